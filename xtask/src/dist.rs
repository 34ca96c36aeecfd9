//! `cargo xtask dist`: every target goes through [`STEPS`] (preflight, build, verify, smoke-run,
//! package, checksum) on its own thread, then the release as a whole through the steps of
//! `release.rs`. Status lines, JSON messages and the summary table come from these lists, so a
//! new kind of output is one more step.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::binstall;
use crate::build::{self, Builder, Invocation};
use crate::checksum;
use crate::flags::{self, MessageFormat};
use crate::fsx;
use crate::machine::Machine;
use crate::manifest::{
    self, Artifact, ArtifactKind, Binary, Manifest, PackageInfo, TargetEntry, Toolchain,
};
use crate::package::{self, ArchiveFile};
use crate::plan::{self, TargetPlan};
use crate::policy::Policy;
use crate::release::{self, StepTime};
use crate::verify::{self, BinaryFacts};

/// What every target goes through, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Preflight,
    Build,
    Verify,
    Smoke,
    Package,
    Checksum,
}

const STEPS: [Step; 6] = [
    Step::Preflight,
    Step::Build,
    Step::Verify,
    Step::Smoke,
    Step::Package,
    Step::Checksum,
];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Preflight => "preflight",
            Step::Build => "build",
            Step::Verify => "verify",
            Step::Smoke => "smoke-run",
            Step::Package => "package",
            Step::Checksum => "checksum",
        }
    }

    /// The status word once the step is done, in cargo's style.
    fn done(self) -> &'static str {
        match self {
            Step::Preflight => "Ready",
            Step::Build => "Built",
            Step::Verify => "Verified",
            Step::Smoke => "Smoke-ran",
            Step::Package => "Packaged",
            Step::Checksum => "Checksummed",
        }
    }
}

impl flags::Dist {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let out = Output {
            json: self.message_format == Some(MessageFormat::Json),
        };
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let targets = match self.target.is_empty() {
            true => policy.targets.clone(),
            false => self
                .target
                .iter()
                .map(|t| policy.target(&t.to_string()))
                .collect::<Result<_>>()?,
        };
        let builder = self.builder.and_then(|b| b.0);
        let plans: Vec<TargetPlan> = targets
            .into_iter()
            .map(|tp| TargetPlan::new(tp, builder, &machine))
            .collect();
        let out_dir = match self.out_dir {
            Some(dir) => crate::user_path(&dir)?,
            None => policy.target_dir.join("dist"),
        };
        let jobs = jobs(plans.len());
        if self.dry_run {
            for plan in &plans {
                println!("{}", invocation(sh, &policy, plan, jobs).display());
            }
            return Ok(());
        }
        std::fs::create_dir_all(&out_dir).with_context(|| {
            format!(
                "cannot create the output directory {} (choose another with --out-dir DIR)",
                out_dir.display()
            )
        })?;
        fsx::remove_temp_files(&out_dir)?;
        let dist = Dist {
            policy: &policy,
            out,
            out_dir: &out_dir,
            smoke: !self.no_smoke,
            mtime: source_date_epoch(sh)?,
            jobs,
        };
        dist.run(sh, &plans)
    }
}

struct Dist<'a> {
    policy: &'a Policy,
    out: Output,
    out_dir: &'a Path,
    smoke: bool,
    mtime: u64,
    jobs: Option<usize>,
}

/// One target on its way through the steps: each step fills in what later ones need.
struct Job<'a> {
    plan: &'a TargetPlan,
    inv: Invocation<'a>,
    /// The built binary's bytes, read once by the verify step.
    bytes: Vec<u8>,
    facts: Option<BinaryFacts>,
    smoke_run: String,
    artifacts: Vec<Artifact>,
    /// When the compiler started and finished.
    build_span: Option<(Instant, Instant)>,
}

/// How one target ended.
struct Outcome {
    target: String,
    builder: Builder,
    build_span: Option<(Instant, Instant)>,
    result: Result<TargetEntry>,
}

impl Dist<'_> {
    fn run(&self, sh: &Shell, plans: &[TargetPlan]) -> Result<()> {
        let started = Instant::now();
        for plan in plans {
            self.out.status(
                "Planning",
                &plan.policy.target.triple(),
                &format!("{} ({})", plan.builder, plan.why),
            );
        }
        // One thread per target: while one links with LTO on one core, the others compile.
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let sh = sh.clone();
                    scope.spawn(move || self.run_target(&sh, plan))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("dist thread panicked"))
                .collect()
        });

        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        let mut release_steps = Vec::new();
        if failed == 0 {
            let mut manifest = Manifest {
                schema_version: manifest::SCHEMA_VERSION,
                name: self.policy.package.name.clone(),
                version: self.policy.version().to_string(),
                package: PackageInfo::from(self.policy),
                commit: git_commit(sh),
                toolchain: Toolchain::probe(sh)?,
                source_date_epoch: self.mtime,
                targets: outcomes
                    .iter()
                    .filter_map(|o| o.result.as_ref().ok().cloned())
                    .collect(),
                files: Vec::new(),
            };
            release_steps = release::finish(&mut manifest, self.out_dir, &self.out)?;
        } else {
            // A partial set must not pass for a release.
            let policy = self.policy;
            for stale in release::file_names(&policy.package.name, policy.version()) {
                let _ = std::fs::remove_file(self.out_dir.join(stale));
            }
        }
        let summary = Summary::new(&outcomes, release_steps, started);
        self.out.summary(&summary);
        if failed > 0 {
            bail!("{failed} of {} target(s) failed; see above", outcomes.len());
        }
        Ok(())
    }

    fn run_target(&self, sh: &Shell, plan: &TargetPlan) -> Outcome {
        let triple = plan.policy.target.triple();
        let mut job = Job {
            plan,
            inv: invocation(sh, self.policy, plan, self.jobs),
            bytes: Vec::new(),
            facts: None,
            smoke_run: String::new(),
            artifacts: Vec::new(),
            build_span: None,
        };
        let result = STEPS
            .iter()
            .try_for_each(|&step| {
                let detail = self
                    .step(sh, step, &mut job)
                    .with_context(|| format!("{} failed", step.name()))?;
                self.out.status(step.done(), &triple, &detail);
                Ok(())
            })
            .and_then(|()| self.entry(&mut job));
        match &result {
            Ok(entry) => self.out.status("Finished", &triple, &entry.archive().name),
            Err(e) => {
                // A failed target must not leave an earlier run's files under its names.
                for name in plan::artifact_names(self.policy, &plan.policy.target) {
                    let _ = std::fs::remove_file(self.out_dir.join(name));
                }
                self.out.error(&triple, &format!("{e:#}"));
            }
        }
        Outcome {
            target: triple,
            builder: plan.builder,
            build_span: job.build_span,
            result,
        }
    }

    fn step(&self, sh: &Shell, step: Step, job: &mut Job) -> Result<String> {
        match step {
            Step::Preflight => preflight(job.plan),
            Step::Build => self.build(sh, job),
            Step::Verify => self.verify(job),
            Step::Smoke => self.smoke_run(sh, job),
            Step::Package => self.package(sh, job),
            Step::Checksum => {
                let archive = &job.artifacts[0];
                checksum::write_sidecar(&self.out_dir.join(&archive.name), &archive.sha256)?;
                Ok(format!("{}.sha256", archive.name))
            }
        }
    }

    fn build(&self, sh: &Shell, job: &mut Job) -> Result<String> {
        let target = job.inv.target.to_string();
        self.out
            .status("Building", &target, &format!("with {}", job.inv.builder));
        let started = Instant::now();
        let mut build = job.inv.cmd(sh);
        if self.out.json {
            build = build.ignore_stdout();
        }
        let result = build.run();
        job.build_span = Some((started, Instant::now()));
        result.with_context(|| format!("{} failed", job.inv.builder))?;
        Ok(format!("in {:.1}s", started.elapsed().as_secs_f64()))
    }

    fn verify(&self, job: &mut Job) -> Result<String> {
        let binary = job.inv.binary_path(&self.policy.bin);
        job.bytes =
            std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
        let policy = &job.plan.policy;
        let facts = verify::verify_bytes(&job.bytes, &binary, &policy.target, policy.glibc_floor)?;
        let machine_paths: Vec<&Path> = job
            .inv
            .remaps
            .iter()
            .map(|(from, _)| from.as_path())
            .collect();
        if let Some(path) = embedded_path(&job.bytes, &machine_paths) {
            bail!(
                "{} embeds this machine's path {}: expected every such path remapped by \
                 --remap-path-prefix (a build script that records absolute paths defeats it)",
                binary.display(),
                path.display()
            );
        }
        let glibc = facts
            .glibc_max
            .map_or(String::new(), |v| format!(", needs glibc {v}"));
        let detail = format!(
            "{}, {}{glibc}, stripped",
            facts.architecture(),
            facts.linkage()
        );
        job.facts = Some(facts);
        Ok(detail)
    }

    /// Runs `--version` natively or under the runner and checks what it prints.
    fn smoke_run(&self, sh: &Shell, job: &mut Job) -> Result<String> {
        job.smoke_run = if !self.smoke {
            "skipped: --no-smoke".into()
        } else {
            match &job.plan.runner {
                Err(missing) => format!("skipped: no {} ({})", missing.what, missing.fix),
                Ok(runner) => {
                    let binary = job.inv.binary_path(&self.policy.bin);
                    let expected = format!("{} {}", self.policy.bin, self.policy.version());
                    // Under a runner, the binary is the runner's argument.
                    let mut line: Vec<std::ffi::OsString> = runner.iter().map(Into::into).collect();
                    line.push(binary.clone().into());
                    let (program, args) = line.split_first().expect("holds the binary");
                    let output = cmd!(sh, "{program} {args...} --version")
                        .quiet()
                        .read()
                        .with_context(|| format!("running {}", binary.display()))?;
                    if output.trim() != expected {
                        bail!("it printed `{}`, expected `{expected}`", output.trim());
                    }
                    let how = runner
                        .first()
                        .map_or("natively".to_string(), |r| format!("under {r}"));
                    format!("`--version` {how}: {expected}")
                }
            }
        };
        Ok(job.smoke_run.clone())
    }

    fn package(&self, sh: &Shell, job: &mut Job) -> Result<String> {
        let triple = job.plan.policy.target.triple();
        let policy = self.policy;
        let stem = package::archive_stem(&policy.package.name, &triple, policy.version());
        let mut files = vec![ArchiveFile {
            name: policy.bin.clone(),
            source: job.inv.binary_path(&policy.bin),
            executable: true,
        }];
        files.extend(package::included_files(&sh.current_dir(), &policy.include)?);
        binstall::check_release(policy, &triple)?;
        let archive = package::write_archive(self.out_dir, &stem, &files, self.mtime)?;
        let name = format!("{stem}.tar.gz");
        let detail = format!("{name} ({} bytes)", archive.size);
        job.artifacts.push(Artifact {
            name,
            kind: ArtifactKind::Archive,
            size: archive.size,
            sha256: archive.sha256,
        });
        Ok(detail)
    }

    /// The manifest entry of a target that went through every step.
    fn entry(&self, job: &mut Job) -> Result<TargetEntry> {
        let facts = job
            .facts
            .as_ref()
            .ok_or_else(|| anyhow!("no verified facts"))?;
        Ok(TargetEntry {
            target: job.plan.policy.target.triple(),
            build_target: job.inv.target.to_string(),
            builder: job.plan.builder,
            build_command: job.inv.display(),
            glibc_floor: job.plan.policy.glibc_floor.map(|v| v.to_string()),
            smoke_run: std::mem::take(&mut job.smoke_run),
            binary: Binary::from(facts),
            artifacts: std::mem::take(&mut job.artifacts),
        })
    }
}

fn preflight(plan: &TargetPlan) -> Result<String> {
    if plan.missing.is_empty() {
        return Ok(format!("{} is installed", plan.builder));
    }
    let fixes: Vec<String> = plan
        .missing
        .iter()
        .map(|m| format!("{} is missing: {}", m.what, m.fix))
        .collect();
    bail!("{}", fixes.join("; "))
}

/// One cargo invocation per target, each with its own target directory so that all of them run
/// at once without waiting on each other's lock. Building targets together would share the
/// host's proc-macros, but makes a target's bytes depend on which others were built with it
/// (cargo-zigbuild changes the host's linker when the host triple is among its targets), and a
/// release built one target per runner must give the same archives as a local dist.
fn invocation<'a>(
    sh: &Shell,
    policy: &'a Policy,
    plan: &TargetPlan,
    jobs: Option<usize>,
) -> Invocation<'a> {
    let target = plan.build_target();
    let target_dir = policy.target_dir.join("dist-build").join(target.triple());
    Invocation {
        builder: plan.builder,
        package: &policy.package.name,
        remaps: build::remaps(&sh.current_dir(), &target_dir),
        target,
        target_dir,
        jobs,
    }
}

/// `--jobs` for each of `concurrent` builds: concurrent cargos share the cores, and each one
/// running as many jobs as the machine has leaves them fighting over caches and memory
/// (measured: 50.8–53.0 s against 48.9 s with one job each for three targets on two cores).
fn jobs(concurrent: usize) -> Option<usize> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (concurrent > 1 && std::env::var_os("CARGO_BUILD_JOBS").is_none())
        .then(|| cpus.div_ceil(concurrent))
}

/// The first of `paths` whose bytes appear in `binary`: remapping is proven from the bytes,
/// like everything else dist claims.
fn embedded_path<'a>(binary: &[u8], paths: &[&'a Path]) -> Option<&'a Path> {
    use std::os::unix::ffi::OsStrExt;
    paths.iter().copied().find(|path| {
        let needle = path.as_os_str().as_bytes();
        // `/` alone would match anything; such a remap protects nothing anyway.
        needle.len() > 1 && binary.windows(needle.len()).any(|w| w == needle)
    })
}

/// The archive timestamp: SOURCE_DATE_EPOCH, else the last commit's time, so that the same
/// commit always gives the same archives.
pub fn source_date_epoch(sh: &Shell) -> Result<u64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") {
        return value
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH=`{value}` is not a number of seconds"));
    }
    let time = cmd!(sh, "git log -1 --format=%ct")
        .quiet()
        .ignore_stderr()
        .read()
        .context(
            "no commit to take the archive timestamp from: commit first, or set SOURCE_DATE_EPOCH",
        )?;
    time.trim()
        .parse()
        .with_context(|| format!("`git log` printed `{time}`, not a time"))
}

fn git_commit(sh: &Shell) -> Option<String> {
    cmd!(sh, "git rev-parse HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
}

/// The last JSON message of a dist run, which bench reads.
#[derive(Serialize, Deserialize)]
pub struct Summary {
    pub reason: String,
    pub seconds: f64,
    /// Wall time while any compiler ran: what the rest of dist adds is measured against it.
    pub build_seconds: f64,
    pub targets: Vec<SummaryTarget>,
    /// What each release-wide step (image, sums, manifest) took, after the targets.
    pub release_steps: Vec<StepTime>,
}

#[derive(Serialize, Deserialize)]
pub struct SummaryTarget {
    pub target: String,
    pub builder: Builder,
    pub build_seconds: Option<f64>,
    pub entry: Option<TargetEntry>,
    pub error: Option<String>,
}

impl Summary {
    fn new(outcomes: &[Outcome], release_steps: Vec<StepTime>, started: Instant) -> Summary {
        let spans = outcomes.iter().filter_map(|o| o.build_span);
        let first = spans.clone().map(|s| s.0).min();
        let last = spans.map(|s| s.1).max();
        Summary {
            reason: "summary".into(),
            seconds: started.elapsed().as_secs_f64(),
            build_seconds: match (first, last) {
                (Some(first), Some(last)) => (last - first).as_secs_f64(),
                _ => 0.0,
            },
            targets: outcomes
                .iter()
                .map(|o| SummaryTarget {
                    target: o.target.clone(),
                    builder: o.builder,
                    build_seconds: o.build_span.map(|(a, b)| (b - a).as_secs_f64()),
                    entry: o.result.as_ref().ok().cloned(),
                    error: o.result.as_ref().err().map(|e| format!("{e:#}")),
                })
                .collect(),
            release_steps,
        }
    }
}

/// Status lines for people (cargo's style) or one JSON object per line for programs.
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn status(&self, verb: &str, subject: &str, detail: &str) {
        if self.json {
            let message = serde_json::json!({
                "reason": "status", "step": verb.to_lowercase(), "target": subject, "detail": detail
            });
            println!("{message}");
        } else {
            eprintln!("{verb:>12} {subject}: {detail}");
        }
    }

    fn error(&self, target: &str, message: &str) {
        if self.json {
            let message =
                serde_json::json!({ "reason": "error", "target": target, "message": message });
            println!("{message}");
        } else {
            eprintln!("{:>12} {target}: {message}", "error");
        }
    }

    fn summary(&self, summary: &Summary) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string(summary).expect("the summary serializes")
            );
            return;
        }
        let rows: Vec<Vec<String>> = summary
            .targets
            .iter()
            .map(|t| {
                let mut row = vec![t.target.clone(), t.builder.to_string()];
                row.extend(match &t.entry {
                    Some(e) => [
                        e.binary.size.to_string(),
                        e.archive().size.to_string(),
                        e.binary.linkage.clone(),
                        e.binary.glibc_max.clone().unwrap_or_else(|| "-".into()),
                        e.archive().sha256.chars().take(12).collect(),
                        "ok".to_string(),
                    ],
                    None => ["-", "-", "-", "-", "-", "FAILED"].map(String::from),
                });
                row
            })
            .collect();
        println!();
        crate::print_table(
            &[
                "TARGET",
                "BUILDER",
                "BINARY",
                "ARCHIVE",
                "LINKAGE",
                "NEEDS GLIBC",
                "SHA256",
                "RESULT",
            ],
            &rows,
        );
        println!(
            "\n{} target(s) in {:.1}s",
            summary.targets.len(),
            summary.seconds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_path_left_in_a_binary_is_found() {
        let binary = b"\x7fELF...panicked at /home/ci/work/src/main.rs:3";
        let paths = [Path::new("/home/ci/.cargo"), Path::new("/home/ci/work")];
        assert_eq!(
            embedded_path(binary, &paths),
            Some(Path::new("/home/ci/work"))
        );
        assert_eq!(embedded_path(b"/build/src/main.rs", &paths), None);
    }
}
