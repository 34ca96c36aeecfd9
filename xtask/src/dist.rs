//! `cargo xtask dist`: preflight, build, verify, smoke-run, package and checksum every target,
//! then write SHA256SUMS and dist-manifest.json.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::binstall;
use crate::build::{self, Builder, Invocation};
use crate::checksum;
use crate::flags;
use crate::fsx;
use crate::manifest;
use crate::package::{self, ArchiveFile};
use crate::policy::Policy;
use crate::preflight::{Machine, Plan};
use crate::verify;

impl flags::Dist {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let out = Output::parse(self.message_format.as_deref())?;
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let builder = match self.builder.as_deref() {
            None | Some("auto") => None,
            Some(name) => Some(Builder::parse(name)?),
        };
        let targets = if self.target.is_empty() {
            policy
                .targets
                .iter()
                .map(|t| policy.target(&t.target.triple()))
                .collect()
        } else {
            self.target
                .iter()
                .map(|t| policy.target(t))
                .collect::<Result<Vec<_>>>()
        }?;
        let plans: Vec<Plan> = targets
            .into_iter()
            .map(|tp| Plan::new(tp, builder, &machine))
            .collect();
        let out_dir = match self.out_dir {
            Some(dir) => crate::user_path(&dir)?,
            None => policy.target_dir.join("dist"),
        };
        if self.dry_run {
            for plan in &plans {
                let (program, args, env) =
                    invocation(sh, &policy, plan, jobs(plans.len())).command_line();
                let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
                println!("{}{program} {}", env.concat(), args.join(" "));
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
            out: &out,
            out_dir: &out_dir,
            smoke: !self.no_smoke,
            mtime: source_date_epoch(sh)?,
        };
        dist.run(sh, &plans)
    }
}

struct Dist<'a> {
    policy: &'a Policy,
    out: &'a Output,
    out_dir: &'a Path,
    smoke: bool,
    mtime: u64,
}

/// When one build invocation started and finished.
struct BuildSpan(Instant, Instant);

/// What happened to one target.
struct Outcome {
    target: String,
    builder: Builder,
    result: Result<Value>,
}

impl Dist<'_> {
    fn run(&self, sh: &Shell, plans: &[Plan]) -> Result<()> {
        let started = Instant::now();
        for plan in plans {
            self.out.status(
                "Planning",
                &plan.policy.target.triple(),
                &format!("{} ({})", plan.builder.name(), plan.why),
            );
        }
        let (ready, blocked): (Vec<&Plan>, Vec<&Plan>) =
            plans.iter().partition(|p| p.missing.is_empty());
        let mut outcomes: Vec<Outcome> = blocked
            .iter()
            .map(|p| {
                let fixes: Vec<String> = p
                    .missing
                    .iter()
                    .map(|m| format!("{} is missing: {}", m.what, m.fix))
                    .collect();
                self.outcome(
                    p,
                    Err(anyhow::anyhow!("preflight failed: {}", fixes.join("; "))),
                )
            })
            .collect();

        // One build per target, all running at once: while one links with LTO on one core,
        // the others compile.
        let jobs = jobs(ready.len());
        let built: Vec<(Outcome, BuildSpan)> = std::thread::scope(|scope| {
            let handles: Vec<_> = ready
                .iter()
                .map(|plan| {
                    let sh = sh.clone();
                    scope.spawn(move || self.build_and_ship(&sh, plan, jobs))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("dist thread panicked"))
                .collect()
        });
        // Wall time while any compiler ran: what the rest of dist adds is measured against it.
        let build_seconds = match (
            built.iter().map(|(_, span)| span.0).min(),
            built.iter().map(|(_, span)| span.1).max(),
        ) {
            (Some(first), Some(last)) => (last - first).as_secs_f64(),
            _ => 0.0,
        };
        outcomes.extend(built.into_iter().map(|(outcome, _)| outcome));
        outcomes.sort_by_key(|o| {
            plans
                .iter()
                .position(|p| p.policy.target.triple() == o.target)
        });

        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        let sums = self.out_dir.join("SHA256SUMS");
        let manifest_path = self.out_dir.join(manifest::FILE_NAME);
        if failed == 0 {
            let entries: Vec<Value> = outcomes
                .iter()
                .filter_map(|o| o.result.as_ref().ok().cloned())
                .collect();
            let sums_lines: Vec<(String, String)> = entries
                .iter()
                .map(|e| {
                    (
                        e["archive"].as_str().unwrap_or_default().to_string(),
                        e["sha256"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            checksum::write_sums(self.out_dir, &sums_lines)?;
            let manifest = manifest::new(sh, self.policy, self.mtime, entries)?;
            fsx::write_atomic(&manifest_path, manifest::to_string(&manifest).as_bytes())?;
            self.out
                .status("Wrote", "SHA256SUMS", &sums.display().to_string());
            self.out.status(
                "Wrote",
                manifest::FILE_NAME,
                &manifest_path.display().to_string(),
            );
        } else {
            // A partial set must not pass for a release.
            for stale in [&sums, &manifest_path] {
                let _ = std::fs::remove_file(stale);
            }
        }
        self.out
            .summary(&outcomes, started.elapsed().as_secs_f64(), build_seconds);
        if failed > 0 {
            bail!("{failed} of {} target(s) failed; see above", outcomes.len());
        }
        Ok(())
    }

    /// Builds one target, then verifies, smoke-runs and packages it.
    fn build_and_ship(&self, sh: &Shell, plan: &Plan, jobs: Option<usize>) -> (Outcome, BuildSpan) {
        let inv = invocation(sh, self.policy, plan, jobs);
        let subject = inv.target.to_string();
        self.out.status(
            "Building",
            &subject,
            &format!("with {}", inv.builder.name()),
        );
        let started = Instant::now();
        let (program, args, env) = inv.command_line();
        let mut build = cmd!(sh, "{program} {args...}").envs(env);
        if self.out.json {
            build = build.ignore_stdout();
        }
        let built = build
            .run()
            .with_context(|| format!("{} failed", inv.builder.name()));
        let span = BuildSpan(started, Instant::now());
        self.out.status(
            "Built",
            &subject,
            &format!("in {:.1}s", started.elapsed().as_secs_f64()),
        );
        let result = match built {
            Ok(()) => self.ship(sh, &inv, plan),
            Err(e) => Err(e),
        };
        (self.outcome(plan, result), span)
    }

    /// Reports how a target ended. A failed target must not leave an archive of an earlier run
    /// under its final name, whatever step it failed at.
    fn outcome(&self, plan: &Plan, result: Result<Value>) -> Outcome {
        if result.is_err() {
            self.remove_archive(plan);
        }
        let target = plan.policy.target.triple();
        match &result {
            Ok(entry) => self.out.status(
                "Finished",
                &target,
                entry["archive"].as_str().unwrap_or_default(),
            ),
            Err(e) => self.out.error(&target, &format!("{e:#}")),
        }
        Outcome {
            target,
            builder: plan.builder,
            result,
        }
    }

    /// Verify, smoke-run, package and checksum one built target; returns its manifest entry.
    fn ship(&self, sh: &Shell, inv: &Invocation, plan: &Plan) -> Result<Value> {
        let target = &plan.policy.target;
        let triple = target.triple();
        let binary = inv.binary_path(&self.policy.bin);
        let bytes =
            std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
        let facts = verify::verify_bytes(&bytes, &binary, target, plan.policy.glibc_floor)?;
        let machine_paths: Vec<&Path> = inv.remaps.iter().map(|(from, _)| from.as_path()).collect();
        if let Some(path) = embedded_path(&bytes, &machine_paths) {
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
        self.out.status("Verified", &triple, &detail);

        let smoke = self.smoke_run(sh, plan, &binary)?;
        self.out.status("Smoke-ran", &triple, &smoke);

        let stem = package::archive_stem(&self.policy.package, &triple, &self.policy.version);
        let mut files = vec![ArchiveFile {
            name: self.policy.bin.clone(),
            source: binary.clone(),
            executable: true,
        }];
        files.extend(package::included_files(
            &sh.current_dir(),
            &self.policy.include,
        )?);
        binstall::check_release(self.policy, &triple)?;
        let archive = package::write_archive(self.out_dir, &stem, &files, self.mtime)?;
        checksum::write_sidecar(&archive.path, &archive.sha256)?;
        let name = archive
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        self.out.status(
            "Packaged",
            &triple,
            &format!("{name} ({} bytes)", archive.size),
        );
        Ok(json!({
            "target": triple,
            "build_target": plan.build_target().to_string(),
            "builder": plan.builder.name(),
            "glibc_floor": plan.policy.glibc_floor.map(|v| v.to_string()),
            "archive": name,
            "size": archive.size,
            "sha256": archive.sha256,
            "smoke_run": smoke,
            "binary": facts.to_json(),
        }))
    }

    /// Runs `--version` natively or under the runner and checks what it prints.
    fn smoke_run(&self, sh: &Shell, plan: &Plan, binary: &Path) -> Result<String> {
        if !self.smoke {
            return Ok("skipped: --no-smoke".into());
        }
        let runner = match &plan.runner {
            Ok(runner) => runner,
            Err(missing) => return Ok(format!("skipped: no {} ({})", missing.what, missing.fix)),
        };
        let expected = format!("{} {}", self.policy.bin, self.policy.version);
        // Under a runner, the binary is the runner's argument.
        let mut line: Vec<String> = runner.clone();
        line.extend([binary.display().to_string(), "--version".to_string()]);
        let (program, args) = line
            .split_first()
            .expect("the line holds at least the binary");
        let output = cmd!(sh, "{program} {args...}")
            .quiet()
            .read()
            .with_context(|| format!("smoke-run of {} failed", binary.display()))?;
        if output.trim() != expected {
            bail!(
                "smoke-run printed `{}`, expected `{expected}`",
                output.trim()
            );
        }
        let how = runner
            .first()
            .map_or("natively".to_string(), |r| format!("under {r}"));
        Ok(format!("`--version` {how}: {expected}"))
    }

    fn remove_archive(&self, plan: &Plan) {
        let stem = package::archive_stem(
            &self.policy.package,
            &plan.policy.target.triple(),
            &self.policy.version,
        );
        for suffix in [".tar.gz", ".tar.gz.sha256"] {
            let _ = std::fs::remove_file(self.out_dir.join(format!("{stem}{suffix}")));
        }
    }
}

/// One cargo invocation per target, each with its own target directory so that all of them run
/// at once without waiting on each other's lock. Building targets together would share the
/// host's proc-macros, but makes a target's bytes depend on which others were built with it
/// (cargo-zigbuild changes the host's linker when the host triple is among its targets), and a
/// release built one target per runner must give the same archives as a local dist.
fn invocation<'a>(
    sh: &Shell,
    policy: &'a Policy,
    plan: &Plan,
    jobs: Option<usize>,
) -> Invocation<'a> {
    let target = plan.build_target();
    let target_dir = policy.target_dir.join("dist-build").join(target.triple());
    Invocation {
        builder: plan.builder,
        package: &policy.package,
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
fn source_date_epoch(sh: &Shell) -> Result<u64> {
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

/// Status lines for people (cargo's style) or one JSON object per line for programs.
struct Output {
    json: bool,
}

impl Output {
    fn parse(format: Option<&str>) -> Result<Output> {
        match format {
            None | Some("human") => Ok(Output { json: false }),
            Some("json") => Ok(Output { json: true }),
            Some(other) => bail!("unknown --message-format `{other}`: expected human or json"),
        }
    }

    fn status(&self, verb: &str, subject: &str, detail: &str) {
        if self.json {
            println!(
                "{}",
                json!({ "reason": "status", "step": verb.to_lowercase(), "target": subject, "detail": detail })
            );
        } else {
            eprintln!("{verb:>12} {subject}: {detail}");
        }
    }

    fn error(&self, target: &str, message: &str) {
        if self.json {
            println!(
                "{}",
                json!({ "reason": "error", "target": target, "message": message })
            );
        } else {
            eprintln!("{:>12} {target}: {message}", "error");
        }
    }

    fn summary(&self, outcomes: &[Outcome], seconds: f64, build_seconds: f64) {
        if self.json {
            let targets: Vec<Value> = outcomes
                .iter()
                .map(|o| match &o.result {
                    Ok(entry) => entry.clone(),
                    Err(e) => json!({ "target": o.target, "builder": o.builder.name(), "error": format!("{e:#}") }),
                })
                .collect();
            println!(
                "{}",
                json!({
                    "reason": "summary",
                    "seconds": seconds,
                    "build_seconds": build_seconds,
                    "targets": targets,
                })
            );
            return;
        }
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .map(|o| {
                let mut row = vec![o.target.clone(), o.builder.name().to_string()];
                row.extend(match &o.result {
                    Ok(e) => [
                        e["binary"]["size"].to_string(),
                        e["size"].to_string(),
                        e["binary"]["linkage"].as_str().unwrap_or("?").to_string(),
                        e["binary"]["glibc_max"].as_str().unwrap_or("-").to_string(),
                        e["sha256"]
                            .as_str()
                            .unwrap_or_default()
                            .chars()
                            .take(12)
                            .collect(),
                        "ok".to_string(),
                    ],
                    Err(_) => ["-", "-", "-", "-", "-", "FAILED"].map(String::from),
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
        println!("\n{} target(s) in {seconds:.1}s", outcomes.len());
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
