//! What this machine has (toolchain targets, linkers, runners, zig, a container engine) and what
//! each target still needs, with the command that fixes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::build::{self, Builder};
use crate::policy::TargetPolicy;
use crate::target::{Arch, Env, GlibcVersion, Target};

pub struct Machine {
    pub host_arch: Option<Arch>,
    pub host_glibc: Option<GlibcVersion>,
    pub sysroot: PathBuf,
    pub zig: bool,
    pub cross: bool,
    /// `docker` or `podman`, when one answers `info` (the client alone is not enough).
    pub container_engine: Option<String>,
    /// `[target.<triple>]` settings from `.cargo/config.toml`, with CARGO_TARGET_* overrides.
    pub cargo_config: BTreeMap<String, TargetConfig>,
    pub path: Vec<PathBuf>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetConfig {
    pub linker: Option<String>,
    pub runner: Option<Vec<String>>,
}

/// Something a target lacks: what, and the command that fixes it.
pub struct Missing {
    pub what: String,
    pub fix: String,
}

impl Machine {
    pub fn probe(sh: &Shell) -> Result<Machine> {
        let sysroot = cmd!(sh, "rustc --print sysroot")
            .quiet()
            .read()
            .context("running rustc")?;
        let host_glibc = cmd!(sh, "getconf GNU_LIBC_VERSION")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
            .and_then(|s| GlibcVersion::parse(s.trim_start_matches("glibc ").trim()).ok());
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let mut machine = Machine {
            host_arch: Arch::host(),
            host_glibc,
            sysroot: PathBuf::from(sysroot),
            zig: false,
            cross: false,
            container_engine: None,
            cargo_config: read_cargo_config(&sh.current_dir().join(".cargo/config.toml"))?,
            path,
        };
        machine.zig = machine.which("cargo-zigbuild")
            && (machine.which("zig")
                || cmd!(sh, "python3 -m ziglang version")
                    .quiet()
                    .ignore_stdout()
                    .ignore_stderr()
                    .run()
                    .is_ok());
        machine.cross = machine.which("cross");
        machine.container_engine = ["docker", "podman"]
            .into_iter()
            .find(|engine| {
                machine.which(engine)
                    && cmd!(sh, "{engine} info")
                        .quiet()
                        .ignore_stdout()
                        .ignore_stderr()
                        .run()
                        .is_ok()
            })
            .map(str::to_string);
        Ok(machine)
    }

    /// A machine with nothing probed, for tests of decisions made from its facts.
    #[cfg(test)]
    pub fn fake(linker: bool) -> Machine {
        let mut cargo_config = BTreeMap::new();
        if linker {
            cargo_config.insert(
                "aarch64-unknown-linux-gnu".to_string(),
                TargetConfig {
                    linker: Some("sh".into()),
                    runner: None,
                },
            );
        }
        Machine {
            host_arch: Arch::host(),
            host_glibc: None,
            sysroot: PathBuf::new(),
            zig: false,
            cross: false,
            container_engine: None,
            cargo_config,
            path: std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect(),
        }
    }

    pub fn which(&self, program: &str) -> bool {
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        self.path.iter().any(|dir| dir.join(program).is_file())
    }

    /// Cargo's settings for `target`: the config file, overridden by CARGO_TARGET_<T>_* variables.
    pub fn config(&self, target: &Target) -> TargetConfig {
        let mut config = self
            .cargo_config
            .get(&target.triple())
            .cloned()
            .unwrap_or_default();
        let key = target.env_key();
        if let Ok(linker) = std::env::var(format!("CARGO_TARGET_{key}_LINKER")) {
            config.linker = Some(linker);
        }
        if let Ok(runner) = std::env::var(format!("CARGO_TARGET_{key}_RUNNER")) {
            config.runner = Some(runner.split_whitespace().map(String::from).collect());
        }
        config
    }

    /// True when the linker cargo would use for a non-native target is installed.
    pub fn linker_found(&self, target: &Target) -> bool {
        self.config(target).linker.is_some_and(|l| self.which(&l))
    }

    pub fn rust_std_installed(&self, target: &Target) -> bool {
        self.sysroot
            .join("lib/rustlib")
            .join(target.triple())
            .join("lib")
            .is_dir()
    }

    /// How to run a binary of `target` here: nothing for the host's arch, the configured
    /// runner otherwise. `Err` says what is missing.
    pub fn runner(&self, target: &Target) -> Result<Vec<String>, Missing> {
        if Some(target.arch) == self.host_arch {
            return Ok(Vec::new());
        }
        match self.config(target).runner {
            Some(runner) if runner.first().is_some_and(|p| self.which(p)) => Ok(runner),
            Some(runner) => Err(Missing {
                what: format!("runner `{}`", runner.join(" ")),
                fix: "apt-get install qemu-user-static".into(),
            }),
            None => Err(Missing {
                what: "runner".into(),
                fix: format!(
                    "add runner = \"qemu-{}-static -L /usr/{}-linux-gnu\" under [target.{}] in .cargo/config.toml",
                    target.arch.name(),
                    target.arch.name(),
                    target.triple()
                ),
            }),
        }
    }

    /// What building `target` with `builder` still needs on this machine.
    pub fn missing(&self, target: &Target, builder: Builder) -> Vec<Missing> {
        let mut missing = Vec::new();
        let triple = target.triple();
        if builder != Builder::Cross && !self.rust_std_installed(target) {
            missing.push(Missing {
                what: format!("Rust standard library for {triple}"),
                fix: format!("rustup target add {triple}"),
            });
        }
        match builder {
            Builder::Cargo => {
                let native = Some(target.arch) == self.host_arch;
                let linker_var = format!("CARGO_TARGET_{}_LINKER", target.env_key());
                match self.config(target).linker {
                    // Installing the usual package cannot help while the variable points
                    // elsewhere: the variable is what has to change.
                    Some(linker)
                        if !self.which(&linker) && std::env::var_os(&linker_var).is_some() =>
                    {
                        missing.push(Missing {
                            fix: format!(
                                "install `{linker}`, or unset {linker_var} to use the linker \
                                 from .cargo/config.toml"
                            ),
                            what: format!("linker `{linker}` (set by {linker_var})"),
                        })
                    }
                    Some(linker) if !self.which(&linker) => missing.push(Missing {
                        fix: match apt_linker_packages(target) {
                            Some(pkgs) => format!("apt-get install {}", pkgs.join(" ")),
                            None => format!("install `{linker}` or change [target.{triple}] in .cargo/config.toml"),
                        },
                        what: format!("linker `{linker}`"),
                    }),
                    None if !native && target.env == Env::Gnu => missing.push(Missing {
                        what: "a cross-linker".into(),
                        fix: format!(
                            "add linker = \"{}-linux-gnu-gcc\" under [target.{triple}] in .cargo/config.toml",
                            target.arch.name()
                        ),
                    }),
                    _ => {}
                }
            }
            Builder::Zigbuild if !self.zig => missing.push(Missing {
                what: "cargo-zigbuild and zig".into(),
                fix: "pip install ziglang cargo-zigbuild".into(),
            }),
            Builder::Cross => {
                if !self.cross {
                    missing.push(Missing {
                        what: "cross".into(),
                        fix: "cargo install cross --locked".into(),
                    });
                }
                if self.container_engine.is_none() {
                    missing.push(Missing {
                        what: "a running container engine".into(),
                        fix: "install and start Docker or Podman (cross builds in a container)"
                            .into(),
                    });
                }
            }
            Builder::Zigbuild => {}
        }
        missing
    }
}

/// Debian/Ubuntu packages holding the gcc cross-linker and C library for a gnu target.
pub fn apt_linker_packages(target: &Target) -> Option<[String; 2]> {
    if target.env != Env::Gnu || Some(target.arch) == Arch::host() {
        return None;
    }
    let (gcc, libc) = match target.arch {
        Arch::Aarch64 => ("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"),
        Arch::X86_64 => ("gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross"),
    };
    Some([gcc.to_string(), libc.to_string()])
}

/// Reads the `[target.<triple>]` sections of a cargo config file: `linker` and `runner` (a string
/// or an array of strings). Only the subset of TOML these keys use is understood.
pub fn read_cargo_config(path: &Path) -> Result<BTreeMap<String, TargetConfig>> {
    let mut targets = BTreeMap::new();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(targets),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut section: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line
                .trim_matches(['[', ']'])
                .strip_prefix("target.")
                .map(|t| t.trim_matches('"').to_string());
            if let Some(t) = &section {
                targets
                    .entry(t.clone())
                    .or_insert_with(TargetConfig::default);
            }
            continue;
        }
        let (Some(t), Some((key, value))) = (&section, line.split_once('=')) else {
            continue;
        };
        let strings: Vec<String> = value
            .split('"')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        let entry = targets.get_mut(t).expect("section inserted above");
        match key.trim() {
            "linker" => entry.linker = strings.into_iter().next(),
            "runner" if value.trim_start().starts_with('[') => entry.runner = Some(strings),
            "runner" => {
                entry.runner = strings
                    .first()
                    .map(|s| s.split_whitespace().map(String::from).collect())
            }
            _ => {}
        }
    }
    Ok(targets)
}

/// How one target will be built here, and what stands in the way.
pub struct Plan {
    pub policy: TargetPolicy,
    pub builder: Builder,
    pub why: String,
    pub missing: Vec<Missing>,
    pub runner: Result<Vec<String>, Missing>,
}

impl Plan {
    pub fn new(policy: TargetPolicy, builder: Option<Builder>, machine: &Machine) -> Plan {
        let (builder, why) = match (builder, policy.builder) {
            (Some(b), _) => (b, "--builder".to_string()),
            (None, Some(b)) => (b, "set in Cargo.toml".to_string()),
            (None, None) => build::choose(&policy, machine),
        };
        let missing = machine.missing(&policy.target, builder);
        let runner = machine.runner(&policy.target);
        Plan {
            policy,
            builder,
            why,
            missing,
            runner,
        }
    }

    /// The target as the builder is given it: zig (directly, or inside cross's container)
    /// links gnu targets against the floor's glibc.
    pub fn build_target(&self) -> Target {
        match (self.builder, self.policy.glibc_floor) {
            (Builder::Zigbuild | Builder::Cross, Some(floor)) => {
                self.policy.target.with_glibc_suffix(floor)
            }
            _ => self.policy.target.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cargo_config_gives_aarch64_its_linker_and_qemu() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let config = read_cargo_config(&root.join(".cargo/config.toml")).unwrap();
        let aarch64 = &config["aarch64-unknown-linux-gnu"];
        assert_eq!(aarch64.linker.as_deref(), Some("aarch64-linux-gnu-gcc"));
        assert_eq!(
            aarch64.runner.as_deref().unwrap(),
            ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
        );
        assert_eq!(config["x86_64-unknown-linux-musl"], TargetConfig::default());
    }

    #[test]
    fn missing_linker_names_the_package_that_provides_it() {
        let mut machine = Machine::fake(false);
        let target = Target::parse("aarch64-unknown-linux-gnu").unwrap();
        machine.cargo_config.insert(
            target.triple(),
            TargetConfig {
                linker: Some("no-such-linker-gcc".into()),
                runner: None,
            },
        );
        machine.host_arch = Some(Arch::X86_64);
        let missing = machine.missing(&target, Builder::Cargo);
        let fixes: Vec<&str> = missing.iter().map(|m| m.fix.as_str()).collect();
        assert!(
            fixes.contains(&"apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"),
            "{fixes:?}"
        );
    }
}
