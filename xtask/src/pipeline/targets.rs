//! The steps of a target: every target goes through [`STEPS`] (preflight, build, verify,
//! smoke-run, SBOM, package, .deb, .rpm, checksum) on its own thread, then the release as a whole
//! through the steps of `release.rs`. Status lines, JSON messages and the summary table come
//! from these lists, so a new kind of output is one more step.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use xshell::Shell;

use crate::config::dependencies::Dependency;
use crate::config::names;
use crate::config::policy::Policy;
use crate::formats::archive::{self, ArchiveFile};
use crate::formats::checksums;
use crate::formats::linux_package::Distro;
use crate::formats::sbom;
use crate::host::build::Invocation;
use crate::host::git;
use crate::host::jobserver::Jobserver;
use crate::host::machine;
use crate::manifest::{Artifact, ArtifactKind, Binary, Manifest, TargetEntry, Toolchain};
use crate::pipeline::checks;
use crate::pipeline::linux_packages;
use crate::pipeline::output::{self, BuildSpan, Output, Summary, SummaryTarget};
use crate::pipeline::plan::{self, TargetPlan};
use crate::pipeline::release;
use crate::util::files;

/// One of the steps every target goes through.
struct Step {
    name: &'static str,
    /// The status word once the step is done, in cargo's style.
    done: &'static str,
    /// Runs the step; gives the detail of its status line.
    run: fn(&Dist, &Shell, &mut Job) -> Result<String>,
}

/// What every target goes through, in order.
const STEPS: [Step; 9] = [
    Step { name: "preflight", done: "Ready", run: preflight },
    Step { name: "build", done: "Built", run: build },
    Step { name: "verify", done: "Verified", run: verify },
    Step { name: "smoke-run", done: "Smoke-ran", run: smoke_run },
    // The CycloneDX SBOM, beside the archive and inside it.
    Step { name: "sbom", done: "Described", run: sbom },
    Step { name: "package", done: "Packaged", run: package },
    Step { name: "deb", done: "Wrote .deb", run: |d, s, j| linux_package(d, s, j, Distro::Debian) },
    Step { name: "rpm", done: "Wrote .rpm", run: |d, s, j| linux_package(d, s, j, Distro::Rpm) },
    Step { name: "checksum", done: "Checksummed", run: checksum },
];

/// One dist run: the release policy, where the files go and how targets are built.
pub struct Dist<'a> {
    pub policy: &'a Policy,
    /// The `include` files, resolved inside the workspace.
    pub included: Vec<ArchiveFile>,
    pub out: Output,
    pub out_dir: &'a Path,
    /// The out dir that the staging directory `out_dir` becomes, for status lines.
    pub release_dir: &'a Path,
    pub smoke: bool,
    pub mtime: u64,
    /// Shared by the targets' builds.
    pub jobserver: Jobserver,
    pub toolchain: Toolchain,
}

/// One target on its way through the steps: each step fills in what later ones need.
struct Job<'a> {
    plan: &'a TargetPlan,
    inv: Invocation<'a>,
    /// The built binary's bytes, read once by the verify step.
    bytes: Vec<u8>,
    /// What verify proved of the binary, as the manifest records it.
    binary: Option<Binary>,
    /// The packages the target resolves, which the binary's auditable data must list.
    deps: Vec<Dependency>,
    smoke_run: String,
    artifacts: Vec<Artifact>,
    build_span: Option<BuildSpan>,
    /// How long each step took, by name.
    step_seconds: BTreeMap<String, f64>,
}

impl Dist<'_> {
    /// Every target through [`STEPS`], concurrently, then the release as a whole.
    pub fn run(&self, sh: &Shell, plans: &[TargetPlan]) -> Result<()> {
        let started = Instant::now();
        for plan in plans {
            let builder = format!("{} ({})", plan.builder, plan.why);
            self.out.status("Planning", &plan.policy.target.triple(), &builder);
        }
        // One thread per target, all at once, their builds sharing one jobserver: while one
        // links with LTO on one core, the others compile.
        let ended: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let sh = sh.clone();
                    scope.spawn(move || self.run_target(&sh, plan))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("dist thread panicked")).collect()
        });

        let failed = ended.iter().filter(|(t, _)| t.error.is_some()).count();
        let (mut signed_with, mut release_step_seconds) = (None, Vec::new());
        if failed == 0 {
            let mut manifest = Manifest::new(
                self.policy,
                git::commit(sh),
                git::dirty_files(sh),
                self.toolchain.clone(),
                self.mtime,
                ended.iter().filter_map(|(t, _)| t.entry.clone()).collect(),
            );
            let dirs = (self.out_dir, self.release_dir);
            release_step_seconds = release::finish(self.policy, &mut manifest, dirs, &self.out)?;
            signed_with = manifest.signing.map(|s| s.public_key);
        }
        let summary = output::summarize(ended, started);
        self.out.summary(&Summary { signed_with, release_step_seconds, ..summary });
        ensure!(failed == 0, "{failed} of {} target(s) failed; see above", plans.len());
        Ok(())
    }

    /// How the target ended, and when its compiler ran.
    fn run_target(&self, sh: &Shell, plan: &TargetPlan) -> (SummaryTarget, Option<BuildSpan>) {
        let triple = plan.policy.target.triple();
        let mut job = Job {
            plan,
            inv: plan::invocation(sh, self.policy, plan, Some(self.jobserver.makeflags())),
            bytes: Vec::new(),
            binary: None,
            deps: Vec::new(),
            smoke_run: String::new(),
            artifacts: Vec::new(),
            build_span: None,
            step_seconds: BTreeMap::new(),
        };
        let result = STEPS
            .iter()
            .try_for_each(|step| {
                if let Some(why) = not_applicable(step, plan) {
                    self.out.status("Skipped", &triple, &format!("{}: {why}", step.name));
                    return Ok(());
                }
                let started = Instant::now();
                let detail = (step.run)(self, sh, &mut job)
                    .with_context(|| format!("{} failed", step.name))?;
                let seconds = started.elapsed().as_secs_f64();
                job.step_seconds.insert(step.name.into(), seconds);
                self.out.status(step.done, &triple, &detail);
                Ok(())
            })
            .and_then(|()| self.entry(&mut job));
        // This target's core goes to the builds still running, whether it failed or not.
        let released = self.jobserver.finished();
        let result = result.and_then(|entry| released.map(|()| entry));
        match &result {
            Ok(entry) => self.out.status("Finished", &triple, &entry.archive().name),
            // The staging directory, and the files of this target in it, are discarded.
            Err(e) => self.out.error(&triple, &format!("{e:#}")),
        }
        let ended = SummaryTarget {
            target: triple,
            builder: plan.builder,
            build_seconds: job.build_span.map(|(a, b)| (b - a).as_secs_f64()),
            step_seconds: job.step_seconds,
            error: result.as_ref().err().map(|e| format!("{e:#}")),
            entry: result.ok(),
        };
        (ended, job.build_span)
    }

    /// The manifest entry of a target that went through every step.
    fn entry(&self, job: &mut Job) -> Result<TargetEntry> {
        Ok(TargetEntry {
            target: job.plan.policy.target.triple(),
            build_target: job.inv.target.to_string(),
            builder: job.plan.builder,
            build_command: job.inv.portable_display(),
            glibc_floor: job.plan.policy.glibc_floor.map(|v| v.to_string()),
            smoke_run: std::mem::take(&mut job.smoke_run),
            binary: job.binary.take().context("no verified facts")?,
            binary_in_archive: job.plan.policy.names.binary.clone(),
            artifacts: std::mem::take(&mut job.artifacts),
        })
    }
}

/// Why `step` does nothing for this target, if it does not apply to it.
fn not_applicable(step: &Step, plan: &TargetPlan) -> Option<&'static str> {
    match step.name {
        "deb" | "rpm" => linux_packages::not_applicable(&plan.policy.target),
        _ => None,
    }
}

fn preflight(_: &Dist, _: &Shell, job: &mut Job) -> Result<String> {
    let plan = job.plan;
    let fixes: Vec<String> =
        plan.missing.iter().map(|m| format!("{} is missing: {}", m.what, m.fix)).collect();
    ensure!(fixes.is_empty(), "{}", fixes.join("; "));
    Ok(format!("{} is installed", plan.builder))
}

fn build(dist: &Dist, sh: &Shell, job: &mut Job) -> Result<String> {
    let target = job.inv.target.to_string();
    dist.out.status("Building", &target, &format!("with {}", job.inv.builder));
    let started = Instant::now();
    let build = job.inv.cmd(sh);
    let result = if dist.out.json { build.ignore_stdout() } else { build }.run();
    job.build_span = Some((started, Instant::now()));
    result.with_context(|| format!("{} failed", job.inv.builder))?;
    Ok(format!("in {:.1}s", started.elapsed().as_secs_f64()))
}

fn verify(dist: &Dist, sh: &Shell, job: &mut Job) -> Result<String> {
    let binary = job.inv.binary_path(&dist.policy.bin);
    job.bytes = files::read_regular(&binary, files::BINARY_CAP)?;
    let policy = &job.plan.policy;
    let target = (&policy.target, policy.glibc_floor);
    let checks::Checked { facts, deps, audited } =
        checks::run(sh, dist.policy, (&job.bytes, &binary), target, &job.inv.remaps)?;
    job.deps = deps;
    let (arch, linkage) = (facts.architecture(), facts.linkage());
    let glibc = facts.glibc_max.map_or(String::new(), |v| format!(", needs glibc {v}"));
    let detail = format!("{arch}, {linkage}{glibc}, stripped, lists its {audited} packages");
    job.binary = Some(Binary::from(&facts));
    Ok(detail)
}

/// Runs the binary (`--version`) natively or under the runner and checks what it prints.
fn smoke_run(dist: &Dist, sh: &Shell, job: &mut Job) -> Result<String> {
    job.smoke_run = match (&job.plan.runner, dist.smoke) {
        (_, false) => "skipped: --no-smoke".into(),
        (Err(missing), _) => format!("skipped: no {} ({})", missing.what, missing.fix),
        (Ok(runner), true) => {
            let binary = job.inv.binary_path(&dist.policy.bin);
            machine::smoke_run(sh, runner, &binary, &dist.policy.smoke)?
        }
    };
    Ok(job.smoke_run.clone())
}

fn sbom(dist: &Dist, _: &Shell, job: &mut Job) -> Result<String> {
    let name = job.plan.policy.names.sbom();
    let text = sbom::cyclonedx(&job.deps, &job.plan.policy.target.triple(), dist.mtime);
    files::write_atomic(&dist.out_dir.join(&name), text.as_bytes())?;
    let detail = format!("{name} ({} packages)", job.deps.len());
    let (size, sha256) = (text.len() as u64, checksums::sha256_bytes(text.as_bytes()));
    job.artifacts.push(Artifact { name, kind: ArtifactKind::Sbom, size, sha256 });
    Ok(detail)
}

fn package(dist: &Dist, _: &Shell, job: &mut Job) -> Result<String> {
    let names = &job.plan.policy.names;
    let mut files = vec![ArchiveFile {
        name: dist.policy.bin.clone(),
        source: job.inv.binary_path(&dist.policy.bin),
        executable: true,
    }];
    files.extend(dist.included.iter().cloned());
    for sbom in job.artifacts.iter().filter(|a| a.kind == ArtifactKind::Sbom) {
        files.push(ArchiveFile {
            name: names::SBOM_IN_ARCHIVE.to_string(),
            source: dist.out_dir.join(&sbom.name),
            executable: false,
        });
    }
    let archive = archive::write_archive(dist.out_dir, names, &files, dist.mtime)?;
    let detail = format!("{} ({} bytes)", archive.name, archive.size);
    job.artifacts.push(archive);
    Ok(detail)
}

/// The .deb or .rpm of the binary that verify read, with the facts it proved.
fn linux_package(dist: &Dist, sh: &Shell, job: &mut Job, distro: Distro) -> Result<String> {
    let binary = job.binary.as_ref().context("no verified facts")?;
    let artifact = linux_packages::write(
        distro,
        dist.policy,
        (&job.bytes, binary),
        job.plan.policy.target.arch,
        dist.mtime,
        (&sh.current_dir(), dist.out_dir),
    )?;
    let detail = format!("{} ({} bytes)", artifact.name, artifact.size);
    job.artifacts.push(artifact);
    Ok(detail)
}

fn checksum(dist: &Dist, _: &Shell, job: &mut Job) -> Result<String> {
    let mut sidecars = Vec::new();
    for artifact in &job.artifacts {
        checksums::write_sidecar(&dist.out_dir.join(&artifact.name), &artifact.sha256)?;
        sidecars.push(format!("{}.sha256", artifact.name));
    }
    Ok(sidecars.join(", "))
}
