//! `cargo xtask dist`: every target goes through [`STEPS`] (preflight, build, verify, smoke-run,
//! package, .deb, .rpm, checksum) on its own thread, then the release as a whole through the steps of
//! `release.rs`. Status lines, JSON messages and the summary table come from these lists, so a
//! new kind of output is one more step.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::auditable;
use crate::binstall;
use crate::build::{self, Builder, Invocation};
use crate::checksum;
use crate::dependencies::{self, Dependency};
use crate::flags::{self, MessageFormat};
use crate::fsx;
use crate::linux_package::{self, Distro};
use crate::machine::Machine;
use crate::manifest::{self, Artifact, ArtifactKind, Binary, Manifest, TargetEntry, Toolchain};
use crate::package::{self, ArchiveFile};
use crate::plan::{self, TargetPlan};
use crate::policy::Policy;
use crate::release;
use crate::sbom;
use crate::verify::{self, BinaryFacts};

/// What every target goes through, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Preflight,
    Build,
    Verify,
    Smoke,
    /// The CycloneDX SBOM, beside the archive and inside it.
    Sbom,
    Package,
    Deb,
    Rpm,
    Checksum,
}

const STEPS: [Step; 9] = [
    Step::Preflight,
    Step::Build,
    Step::Verify,
    Step::Smoke,
    Step::Sbom,
    Step::Package,
    Step::Deb,
    Step::Rpm,
    Step::Checksum,
];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Preflight => "preflight",
            Step::Build => "build",
            Step::Verify => "verify",
            Step::Smoke => "smoke-run",
            Step::Sbom => "sbom",
            Step::Package => "package",
            Step::Deb => "deb",
            Step::Rpm => "rpm",
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
            Step::Sbom => "Described",
            Step::Package => "Packaged",
            Step::Deb => "Wrote .deb",
            Step::Rpm => "Wrote .rpm",
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
            .map(|tp| TargetPlan::new(&policy, tp, builder, &machine))
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
            toolchain: Toolchain::probe(sh, &machine.tools)?,
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
    toolchain: Toolchain,
}

/// One target on its way through the steps: each step fills in what later ones need.
struct Job<'a> {
    plan: &'a TargetPlan,
    inv: Invocation<'a>,
    /// The built binary's bytes, read once by the verify step.
    bytes: Vec<u8>,
    facts: Option<BinaryFacts>,
    /// The packages the target resolves, which the binary's auditable data must list.
    deps: Vec<Dependency>,
    smoke_run: String,
    artifacts: Vec<Artifact>,
    /// When the compiler started and finished.
    build_span: Option<(Instant, Instant)>,
    /// How long each step took, by name.
    step_seconds: BTreeMap<String, f64>,
}

/// How one target ended.
struct Outcome {
    target: String,
    builder: Builder,
    build_span: Option<(Instant, Instant)>,
    step_seconds: BTreeMap<String, f64>,
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
        let mut signing = None;
        let mut release_seconds = Vec::new();
        if failed == 0 {
            let mut manifest = Manifest {
                schema_version: manifest::SCHEMA_VERSION,
                name: self.policy.package.name.clone(),
                bin: self.policy.bin.clone(),
                version: self.policy.version().to_string(),
                repository: self.policy.package.repository.clone(),
                minisign_pubkey: self.policy.minisign_pubkey.clone(),
                dirty: git_dirty(sh),
                commit: git_commit(sh),
                toolchain: self.toolchain.clone(),
                source_date_epoch: self.mtime,
                targets: outcomes
                    .iter()
                    .filter_map(|o| o.result.as_ref().ok().cloned())
                    .collect(),
                files: Vec::new(),
                signing: None,
            };
            release_seconds = release::finish(self.policy, &mut manifest, self.out_dir, &self.out)?;
            signing = Some(manifest.signing.map(|s| s.public_key));
        } else {
            // A partial set must not pass for a release.
            for stale in release::RELEASE_FILES {
                let _ = std::fs::remove_file(self.out_dir.join(stale));
            }
        }
        let mut summary = Summary::new(&outcomes, started);
        summary.signed_with = signing.flatten();
        summary.release_step_seconds = release_seconds;
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
            deps: Vec::new(),
            smoke_run: String::new(),
            artifacts: Vec::new(),
            build_span: None,
            step_seconds: BTreeMap::new(),
        };
        let result = STEPS
            .iter()
            .try_for_each(|&step| {
                if let Some(why) = not_applicable(step, plan) {
                    self.out
                        .status("Skipped", &triple, &format!("{}: {why}", step.name()));
                    return Ok(());
                }
                let started = Instant::now();
                let detail = self
                    .step(sh, step, &mut job)
                    .with_context(|| format!("{} failed", step.name()))?;
                let seconds = started.elapsed().as_secs_f64();
                job.step_seconds.insert(step.name().into(), seconds);
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
            step_seconds: job.step_seconds,
            result,
        }
    }

    fn step(&self, sh: &Shell, step: Step, job: &mut Job) -> Result<String> {
        match step {
            Step::Preflight => preflight(job.plan),
            Step::Build => self.build(sh, job),
            Step::Verify => self.verify(sh, job),
            Step::Smoke => self.smoke_run(sh, job),
            Step::Sbom => self.sbom(job),
            Step::Package => self.package(sh, job),
            Step::Deb => self.linux_package(sh, job, Distro::Debian),
            Step::Rpm => self.linux_package(sh, job, Distro::Rpm),
            Step::Checksum => {
                let mut sidecars = Vec::new();
                for artifact in &job.artifacts {
                    checksum::write_sidecar(&self.out_dir.join(&artifact.name), &artifact.sha256)?;
                    sidecars.push(format!("{}.sha256", artifact.name));
                }
                Ok(sidecars.join(", "))
            }
        }
    }

    /// The .deb or .rpm of the binary that verify read, with the facts it proved.
    fn linux_package(&self, sh: &Shell, job: &mut Job, distro: Distro) -> Result<String> {
        let facts = job.facts.as_ref().context("no verified facts")?;
        let artifact = linux_package::write(
            distro,
            self.policy,
            (&job.bytes, facts),
            job.plan.policy.target.arch,
            self.mtime,
            (&sh.current_dir(), self.out_dir),
        )?;
        let detail = format!("{} ({} bytes)", artifact.name, artifact.size);
        job.artifacts.push(artifact);
        Ok(detail)
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

    fn verify(&self, sh: &Shell, job: &mut Job) -> Result<String> {
        let binary = job.inv.binary_path(&self.policy.bin);
        job.bytes =
            std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
        let policy = &job.plan.policy;
        let facts = verify::verify_bytes(&job.bytes, &binary, &policy.target, policy.glibc_floor)?;
        job.deps = dependencies::resolve(sh, &self.policy.package.name, &policy.target)?;
        let audited = auditable::check(&job.bytes, &job.deps)
            .with_context(|| format!("{}", binary.display()))?;
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
            "{}, {}{glibc}, stripped, lists its {audited} packages",
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

    fn sbom(&self, job: &mut Job) -> Result<String> {
        let triple = job.plan.policy.target.triple();
        let policy = self.policy;
        let stem = package::archive_stem(&policy.package.name, &triple, policy.version());
        let name = format!("{stem}.cdx.json");
        let text = sbom::cyclonedx(&job.deps, &triple, self.mtime);
        fsx::write_atomic(&self.out_dir.join(&name), text.as_bytes())?;
        let detail = format!("{name} ({} packages)", job.deps.len());
        job.artifacts.push(Artifact {
            sha256: checksum::sha256_bytes(text.as_bytes()),
            size: text.len() as u64,
            name,
            kind: ArtifactKind::Sbom,
        });
        Ok(detail)
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
        for sbom in job
            .artifacts
            .iter()
            .filter(|a| a.kind == ArtifactKind::Sbom)
        {
            files.push(ArchiveFile {
                name: package::SBOM_IN_ARCHIVE.to_string(),
                source: self.out_dir.join(&sbom.name),
                executable: false,
            });
        }
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
            build_command: job.inv.portable_display(),
            glibc_floor: job.plan.policy.glibc_floor.map(|v| v.to_string()),
            smoke_run: std::mem::take(&mut job.smoke_run),
            binary: Binary::from(facts),
            artifacts: std::mem::take(&mut job.artifacts),
        })
    }
}

/// Why `step` does nothing for this target, if it does not apply to it.
fn not_applicable(step: Step, plan: &TargetPlan) -> Option<&'static str> {
    match step {
        Step::Deb | Step::Rpm => linux_package::not_applicable(&plan.policy.target),
        _ => None,
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
        auditable: true,
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

/// What `git status` lists: changes and untracked files, which the commit does not hold.
fn git_dirty(sh: &Shell) -> Vec<String> {
    let status = cmd!(sh, "git status --porcelain")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    let mut files: Vec<String> = status
        .lines()
        .filter_map(|l| l.get(3..))
        .map(str::to_string)
        .collect();
    files.sort();
    files
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
    /// The minisign public key of the signatures; `None`: unsigned.
    pub signed_with: Option<String>,
    /// How long each release-wide step took.
    pub release_step_seconds: Vec<(String, f64)>,
}

#[derive(Serialize, Deserialize)]
pub struct SummaryTarget {
    pub target: String,
    pub builder: Builder,
    pub build_seconds: Option<f64>,
    /// Wall time of each step that ran, by step name (`deb`, `rpm`, ...).
    #[serde(default)]
    pub step_seconds: BTreeMap<String, f64>,
    pub entry: Option<TargetEntry>,
    pub error: Option<String>,
}

impl Summary {
    fn new(outcomes: &[Outcome], started: Instant) -> Summary {
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
                    step_seconds: o.step_seconds.clone(),
                    entry: o.result.as_ref().ok().cloned(),
                    error: o.result.as_ref().err().map(|e| format!("{e:#}")),
                })
                .collect(),
            signed_with: None,
            release_step_seconds: Vec::new(),
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
        let signed = match &summary.signed_with {
            Some(key) => format!("signed with minisign key {key}"),
            None => "unsigned (no MINISIGN_KEY_FILE or MINISIGN_KEY)".to_string(),
        };
        println!(
            "\n{} target(s) in {:.1}s, {signed}",
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
