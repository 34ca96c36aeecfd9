//! `cargo xtask plan`: the one answer to "what ships". For every configured target: its glibc
//! floor, the builder and why, the release runner, linker, QEMU runner, the Debian packages it
//! needs and the files it produces. The workflows take their matrices from `plan --json`.

use anyhow::Result;
use serde::Serialize;
use xshell::Shell;

use crate::config::builder::{self, Builder};
use crate::config::policy::{Policy, Smoke, TargetPolicy};
use crate::config::target::{Libc, Target};
use crate::host::build::{self, Invocation};
use crate::host::cargo;
use crate::host::machine::{self, Machine, Missing};
use crate::pipeline::linux_packages;

/// How one target will be built here, and what stands in the way.
pub struct TargetPlan {
    pub policy: TargetPolicy,
    pub builder: Builder,
    pub why: String,
    /// Preflight: what this machine lacks for the build.
    pub missing: Vec<Missing>,
    /// How to run its binaries here; `Err` when that is missing.
    pub runner: Result<Vec<String>, Missing>,
    /// The linker cargo's configuration names for the target.
    pub linker: Option<String>,
}

impl TargetPlan {
    pub fn new(
        sh: &Shell,
        release: &Policy,
        policy: TargetPolicy,
        builder: Option<Builder>,
        machine: &Machine,
    ) -> TargetPlan {
        let mut missing = Vec::new();
        let c_code = cargo::c_code(sh, release, &policy.target).unwrap_or_else(|e| {
            missing.push(Missing { what: "the dependency graph".into(), fix: format!("{e:#}") });
            Vec::new()
        });
        let (builder, why) = match (builder, policy.builder) {
            (Some(b), _) => (b, "--builder".to_string()),
            (None, Some(b)) => (b, "set in Cargo.toml".to_string()),
            (None, None) => build::choose(&policy, machine, &c_code),
        };
        missing.extend(machine.missing(&policy.target, builder, &c_code));
        missing.extend(machine.wrong_tools(&release.tools, builder));
        missing.extend(unmet_floor(&policy, builder, machine));
        TargetPlan {
            builder,
            why,
            missing,
            runner: machine.runner(&policy.target),
            linker: machine.linker(&policy.target),
            policy,
        }
    }

    /// Every configured target, planned for this machine with the builder its policy names or
    /// the best one here.
    pub fn all(sh: &Shell, policy: &Policy, machine: &Machine) -> Vec<TargetPlan> {
        policy
            .targets
            .iter()
            .map(|tp| TargetPlan::new(sh, policy, tp.clone(), None, machine))
            .collect()
    }

    /// The target as the builder is given it: zig (directly, or inside cross's container)
    /// links gnu targets against the floor's glibc.
    pub fn build_target(&self) -> Target {
        match (self.builder, self.policy.glibc_floor) {
            (Builder::Zigbuild | Builder::Cross, Some(floor)) => {
                Target { glibc_suffix: Some(floor), ..self.policy.target.clone() }
            }
            _ => self.policy.target.clone(),
        }
    }
}

/// The builder would link a binary that needs more than the floor: refused before building,
/// with a builder that can meet it.
fn unmet_floor(policy: &TargetPolicy, builder: Builder, machine: &Machine) -> Option<Missing> {
    let (floor, arch) = (policy.glibc_floor?, policy.target.arch);
    let host = machine.host_glibc.filter(|_| Some(arch) == machine.host_arch);
    let links = match builder.lowest_glibc(arch, host) {
        Some(lowest) if lowest <= floor => return None,
        Some(lowest) => format!("it links {} against glibc {lowest}", arch.rust),
        None => format!("it links no glibc binary for {}", arch.rust),
    };
    let fix = match builder {
        Builder::Cargo => {
            "pip install ziglang cargo-zigbuild, then --builder zigbuild or auto".into()
        }
        Builder::Zigbuild | Builder::Cross => {
            format!("--builder cargo with glibc-floor = \"{}\"", builder::DEBIAN_CROSS_GLIBC)
        }
    };
    Some(Missing { what: format!("a {builder} build within glibc floor {floor} ({links})"), fix })
}

/// One cargo invocation per target, each with its own target directory so that all of them run
/// at once without waiting on each other's lock. Building targets together would share the
/// host's proc-macros, but makes a target's bytes depend on which others were built with it
/// (cargo-zigbuild changes the host's linker when the host triple is among its targets), and a
/// release built one target per runner must give the same archives as a local dist.
pub fn invocation<'a>(
    sh: &Shell,
    policy: &'a Policy,
    plan: &TargetPlan,
    makeflags: Option<String>,
) -> Invocation<'a> {
    let target = plan.build_target();
    let target_dir = policy.target_dir.join("dist-build").join(target.triple());
    Invocation {
        builder: plan.builder,
        package: &policy.package.name,
        remaps: build::remaps(&sh.current_dir(), &target_dir),
        target,
        target_dir,
        makeflags,
        auditable: true,
        linker: plan.linker.clone(),
        features: &policy.features,
    }
}

/// Debian packages a target needs on an x86_64 build machine: the cross gcc and C library
/// (the cargo builder and `cargo xtask test --target` link with them) and QEMU to run it.
pub fn debian_packages(target: &Target) -> Vec<String> {
    let mut packages = Vec::new();
    if let Some([gcc, libc]) = machine::debian_linker_packages(target) {
        // C++ dependencies compile with the cross gcc's g++.
        let gxx = gcc.replacen("gcc", "g++", 1);
        packages.extend([gcc, libc, gxx]);
    }
    if !target.is_native() {
        packages.push("qemu-user-static".into());
    }
    packages
}

/// The `plan --json` document. The workflows read `targets` as their build matrix and
/// `hardware` as the matrix of shipped binaries tested on machines of their own architecture.
#[derive(Serialize)]
pub struct PlanJson {
    pub package: String,
    pub version: String,
    /// How dist runs each binary, and what the first line it prints must contain.
    pub smoke: Smoke,
    pub targets: Vec<TargetJson>,
    pub hardware: Vec<HardwareJson>,
}

/// A shipped binary to run on a GitHub runner of its architecture.
#[derive(Serialize)]
pub struct HardwareJson {
    pub target: String,
    pub runs_on: &'static str,
    pub archive: String,
    /// The binary's path inside the unpacked archive.
    pub binary: String,
    /// The package's test to run against it, with its path in `SHIPPED_BINARY`.
    pub test: Option<String>,
}

#[derive(Serialize)]
pub struct TargetJson {
    pub target: String,
    pub build_target: String,
    pub libc: &'static str,
    /// What `readelf -h` must say of its binary: class, data and machine.
    pub elf: [String; 3],
    pub glibc_floor: Option<String>,
    pub glibc_floor_note: Option<String>,
    pub builder: Builder,
    pub why: String,
    /// The GitHub runner that builds its release.
    pub runs_on: String,
    /// A GitHub runner of its own architecture, where the shipped binary is tested.
    pub test_runs_on: Option<&'static str>,
    pub linker: Option<String>,
    pub runner: Option<String>,
    pub debian_packages: Vec<String>,
    /// Its archive, as `[package.metadata.binstall]` names it, and the binary's path inside.
    pub archive: String,
    pub binary: String,
    /// Its SBOM, beside the archive.
    pub sbom: String,
    /// Every file it adds to the release, each followed by its `.sha256`.
    pub archives: Vec<String>,
    /// `os/architecture[/variant]` of its image in the release's OCI image (musl targets).
    pub image_platform: Option<String>,
    pub missing: Vec<String>,
}

pub fn plan_json(policy: &Policy, plans: &[TargetPlan], machine: &Machine) -> PlanJson {
    let targets = plans
        .iter()
        .map(|p| {
            let target = &p.policy.target;
            let runner = machine.cargo_config.target(target).unwrap_or_default().runner;
            TargetJson {
                target: target.triple(),
                build_target: p.build_target().to_string(),
                libc: target.libc.name(),
                elf: [
                    format!("ELF{}", target.arch.class),
                    if target.arch.little_endian { "little endian" } else { "big endian" }.into(),
                    target.arch.binutils.into(),
                ],
                glibc_floor: p.policy.glibc_floor.map(|v| v.to_string()),
                glibc_floor_note: p.policy.floor_note(),
                builder: p.builder,
                why: p.why.clone(),
                runs_on: p.policy.runs_on.clone(),
                test_runs_on: target.arch.github_runner,
                linker: p.linker.clone(),
                runner: runner.map(|r| r.value.join(" ")),
                debian_packages: debian_packages(target),
                archive: p.policy.names.archive.clone(),
                binary: p.policy.names.binary.clone(),
                sbom: p.policy.names.sbom(),
                archives: artifact_names(policy, &p.policy),
                image_platform: (target.libc == Libc::Musl).then(|| target.arch.oci_platform()),
                missing: p.missing.iter().map(|m| m.fix.clone()).collect(),
            }
        })
        .collect();
    let hardware = policy
        .targets
        .iter()
        .filter_map(|tp| {
            Some(HardwareJson {
                target: tp.target.triple(),
                runs_on: tp.target.arch.github_runner?,
                archive: tp.names.archive.clone(),
                binary: tp.names.binary.clone(),
                test: policy.hardware_test.clone(),
            })
        })
        .collect();
    PlanJson {
        package: policy.package.name.clone(),
        version: policy.version().to_string(),
        smoke: policy.smoke.clone(),
        targets,
        hardware,
    }
}

/// The files a target adds to a release, each with its `.sha256`.
pub fn artifact_names(policy: &Policy, target: &TargetPolicy) -> Vec<String> {
    [target.names.archive.clone(), target.names.sbom()]
        .into_iter()
        .chain(linux_packages::file_names(policy, &target.target))
        .flat_map(|name| [name.clone(), format!("{name}.sha256")])
        .collect()
}
