//! The steps of a target: every target goes through [`STEPS`] (preflight, build, verify,
//! smoke-run, SBOM, package, .deb, .rpm, checksum) on its own thread, then the release as a whole
//! through the steps of `release.rs`. Status lines, JSON messages and the summary table come
//! from these lists, so a new kind of output is one more step.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
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
use crate::pipeline::output::{self, Outcome, Output};
use crate::pipeline::plan::{self, TargetPlan};
use crate::pipeline::release;
use crate::util::files;
use crate::verify::BinaryFacts;

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

/// One dist run: the release policy, where the files go and how targets are built.
pub struct Dist<'a> {
    pub policy: &'a Policy,
    /// The `include` files, resolved inside the workspace.
    pub included: Vec<ArchiveFile>,
    pub out: Output,
    pub out_dir: &'a Path,
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

impl Dist<'_> {
    /// Every target through [`STEPS`], concurrently, then the release as a whole.
    pub fn run(&self, sh: &Shell, plans: &[TargetPlan]) -> Result<()> {
        let started = Instant::now();
        for plan in plans {
            self.out.status(
                "Planning",
                &plan.policy.target.triple(),
                &format!("{} ({})", plan.builder, plan.why),
            );
        }
        // One thread per target, all at once, their builds sharing one jobserver: while one
        // links with LTO on one core, the others compile.
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|plan| {
                    let sh = sh.clone();
                    scope.spawn(move || self.run_target(&sh, plan))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("dist thread panicked")).collect()
        });

        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        let mut signing = None;
        let mut release_seconds = Vec::new();
        if failed == 0 {
            let targets = outcomes.iter().filter_map(|o| o.result.as_ref().ok().cloned());
            let mut manifest = Manifest::new(
                self.policy,
                git::commit(sh),
                git::dirty_files(sh),
                self.toolchain.clone(),
                self.mtime,
                targets.collect(),
            );
            release_seconds = release::finish(self.policy, &mut manifest, self.out_dir, &self.out)?;
            signing = Some(manifest.signing.map(|s| s.public_key));
        }
        let mut summary = output::summarize(&outcomes, started);
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
            inv: plan::invocation(sh, self.policy, plan, Some(self.jobserver.makeflags())),
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
                    self.out.status("Skipped", &triple, &format!("{}: {why}", step.name()));
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
        // This target's core goes to the builds still running, whether it failed or not.
        let released = self.jobserver.finished();
        let result = result.and_then(|entry| released.map(|()| entry));
        match &result {
            Ok(entry) => self.out.status("Finished", &triple, &entry.archive().name),
            // The staging directory, and the files of this target in it, are discarded.
            Err(e) => self.out.error(&triple, &format!("{e:#}")),
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
            Step::Package => self.package(job),
            Step::Deb => self.linux_package(sh, job, Distro::Debian),
            Step::Rpm => self.linux_package(sh, job, Distro::Rpm),
            Step::Checksum => {
                let mut sidecars = Vec::new();
                for artifact in &job.artifacts {
                    checksums::write_sidecar(&self.out_dir.join(&artifact.name), &artifact.sha256)?;
                    sidecars.push(format!("{}.sha256", artifact.name));
                }
                Ok(sidecars.join(", "))
            }
        }
    }

    /// The .deb or .rpm of the binary that verify read, with the facts it proved.
    fn linux_package(&self, sh: &Shell, job: &mut Job, distro: Distro) -> Result<String> {
        let facts = job.facts.as_ref().context("no verified facts")?;
        let artifact = linux_packages::write(
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
        self.out.status("Building", &target, &format!("with {}", job.inv.builder));
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
        job.bytes = files::read_regular(&binary, files::BINARY_CAP)?;
        let policy = &job.plan.policy;
        let machine_paths: Vec<&Path> = job.inv.remaps.iter().map(|(p, _)| p.as_path()).collect();
        let target = (&policy.target, policy.glibc_floor);
        let checked = checks::run(sh, self.policy, (&job.bytes, &binary), target, &machine_paths)?;
        let (facts, audited) = (checked.facts, checked.audited);
        job.deps = checked.deps;
        let glibc = facts.glibc_max.map_or(String::new(), |v| format!(", needs glibc {v}"));
        let detail = format!(
            "{}, {}{glibc}, stripped, lists its {audited} packages",
            facts.architecture(),
            facts.linkage()
        );
        job.facts = Some(facts);
        Ok(detail)
    }

    /// Runs the binary (`--version`) natively or under the runner and checks what it prints.
    fn smoke_run(&self, sh: &Shell, job: &mut Job) -> Result<String> {
        job.smoke_run = match (&job.plan.runner, self.smoke) {
            (_, false) => "skipped: --no-smoke".into(),
            (Err(missing), _) => format!("skipped: no {} ({})", missing.what, missing.fix),
            (Ok(runner), true) => {
                let binary = job.inv.binary_path(&self.policy.bin);
                machine::smoke_run(sh, runner, &binary, &self.policy.smoke)?
            }
        };
        Ok(job.smoke_run.clone())
    }

    fn sbom(&self, job: &mut Job) -> Result<String> {
        let triple = job.plan.policy.target.triple();
        let name = job.plan.policy.names.sbom();
        let text = sbom::cyclonedx(&job.deps, &triple, self.mtime);
        files::write_atomic(&self.out_dir.join(&name), text.as_bytes())?;
        let detail = format!("{name} ({} packages)", job.deps.len());
        job.artifacts.push(Artifact {
            sha256: checksums::sha256_bytes(text.as_bytes()),
            size: text.len() as u64,
            name,
            kind: ArtifactKind::Sbom,
        });
        Ok(detail)
    }

    fn package(&self, job: &mut Job) -> Result<String> {
        let policy = self.policy;
        let names = &job.plan.policy.names;
        let mut files = vec![ArchiveFile {
            name: policy.bin.clone(),
            source: job.inv.binary_path(&policy.bin),
            executable: true,
        }];
        files.extend(self.included.iter().cloned());
        for sbom in job.artifacts.iter().filter(|a| a.kind == ArtifactKind::Sbom) {
            files.push(ArchiveFile {
                name: names::SBOM_IN_ARCHIVE.to_string(),
                source: self.out_dir.join(&sbom.name),
                executable: false,
            });
        }
        let archive = archive::write_archive(self.out_dir, names, &files, self.mtime)?;
        let name = names.archive.clone();
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
        let facts = job.facts.as_ref().ok_or_else(|| anyhow!("no verified facts"))?;
        Ok(TargetEntry {
            target: job.plan.policy.target.triple(),
            build_target: job.inv.target.to_string(),
            builder: job.plan.builder,
            build_command: job.inv.portable_display(),
            glibc_floor: job.plan.policy.glibc_floor.map(|v| v.to_string()),
            smoke_run: std::mem::take(&mut job.smoke_run),
            binary: Binary::from(facts),
            binary_in_archive: job.plan.policy.names.binary.clone(),
            artifacts: std::mem::take(&mut job.artifacts),
        })
    }
}

/// Why `step` does nothing for this target, if it does not apply to it.
fn not_applicable(step: Step, plan: &TargetPlan) -> Option<&'static str> {
    match step {
        Step::Deb | Step::Rpm => linux_packages::not_applicable(&plan.policy.target),
        _ => None,
    }
}

fn preflight(plan: &TargetPlan) -> Result<String> {
    if plan.missing.is_empty() {
        return Ok(format!("{} is installed", plan.builder));
    }
    let fixes: Vec<String> =
        plan.missing.iter().map(|m| format!("{} is missing: {}", m.what, m.fix)).collect();
    bail!("{}", fixes.join("; "))
}
