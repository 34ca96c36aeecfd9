//! What this machine has (toolchain targets, linkers, runners, zig, a container engine) and what
//! a target still needs here, with the command that fixes it: the preflight of dist and doctor.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::config::arch::Arch;
use crate::config::builder::Builder;
use crate::config::glibc::GlibcVersion;
use crate::config::policy::{Smoke, Tools};
use crate::config::target::{Libc, Target};
use crate::host::cargo_config::{CargoConfig, TargetSettings};
use crate::manifest::Toolchain;

pub struct Machine {
    pub host_arch: Option<&'static Arch>,
    pub host_glibc: Option<GlibcVersion>,
    pub sysroot: PathBuf,
    /// `rustc --print target-list`: the triples rustc knows, and `rustup` could add.
    pub rustc_targets: Vec<String>,
    /// rustc's own tools (`rust-lld`), which it puts on the linker's PATH.
    pub rustc_bin: PathBuf,
    /// cargo-zigbuild and a zig it can run are both here.
    pub zig: bool,
    /// The versions of the pinned build tools found here (`None`: not installed).
    pub tools: Tools,
    /// `cargo install --list`: crate names and versions.
    pub installed_crates: Vec<(String, String)>,
    /// `docker` or `podman`, when one answers `info` (the client alone is not enough).
    pub container_engine: Option<String>,
    pub cargo_config: CargoConfig,
    pub path: Vec<PathBuf>,
}

/// Something a target lacks: what, and the command that fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub fix: String,
}

impl Missing {
    fn new(what: impl Into<String>, fix: impl Into<String>) -> Missing {
        Missing { what: what.into(), fix: fix.into() }
    }
}

impl Machine {
    pub fn probe(sh: &Shell) -> Result<Machine> {
        let sysroot = PathBuf::from(rustc_print(sh, "sysroot")?);
        let host = rustc_print(sh, "host-tuple")?;
        let host_glibc = cmd!(sh, "getconf GNU_LIBC_VERSION")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
            .and_then(|s| GlibcVersion::parse(s.trim_start_matches("glibc ").trim()).ok());
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let installed_crates = installed_crates(sh);
        let tools = Tools::probe(sh, &installed_crates);
        let mut machine = Machine {
            rustc_targets: rustc_print(sh, "target-list")?.lines().map(str::to_string).collect(),
            host_arch: Arch::host(),
            host_glibc,
            rustc_bin: sysroot.join("lib/rustlib").join(host.trim()).join("bin"),
            sysroot,
            zig: tools.ziglang.is_some() && tools.cargo_zigbuild.is_some(),
            tools,
            installed_crates,
            container_engine: None,
            cargo_config: CargoConfig::load(&sh.current_dir())?,
            path,
        };
        let answers = |engine: &&str| {
            cmd!(sh, "{engine} info").quiet().ignore_stdout().ignore_stderr().run().is_ok()
        };
        machine.container_engine = ["docker", "podman"]
            .into_iter()
            .find(|engine| machine.which(engine) && answers(engine))
            .map(str::to_string);
        Ok(machine)
    }

    pub fn installed_crate(&self, name: &str, version: &str) -> bool {
        self.installed_crates.iter().any(|(n, v)| n == name && v == version)
    }

    pub fn which(&self, program: &str) -> bool {
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        self.path.iter().any(|dir| dir.join(program).is_file())
    }

    /// A linker is found where rustc looks: on PATH, or among rustc's own tools.
    fn linker_exists(&self, linker: &str) -> bool {
        self.which(linker) || (!linker.contains('/') && self.rustc_bin.join(linker).is_file())
    }

    /// The linker cargo's configuration names for `target`, if it names one.
    pub fn linker(&self, target: &Target) -> Option<String> {
        self.cargo_config.target(target).ok()?.linker.map(|l| l.value)
    }

    /// Cargo's `linker` and `runner` for `target`, with an unreadable configuration as what is
    /// missing.
    fn readable_settings(&self, target: &Target) -> Result<TargetSettings, Missing> {
        self.cargo_config
            .target(target)
            .map_err(|e| Missing::new("a readable cargo configuration", format!("{e:#}")))
    }

    /// True when the linker cargo would use for a non-native target is installed.
    pub fn linker_found(&self, target: &Target) -> bool {
        self.linker(target).is_some_and(|l| self.linker_exists(&l))
    }

    pub fn rust_std_installed(&self, target: &Target) -> bool {
        self.sysroot.join("lib/rustlib").join(target.triple()).join("lib").is_dir()
    }

    /// How to run a binary of `target` here: nothing for the host's arch, the configured
    /// runner otherwise. `Err` says what is missing.
    pub fn runner(&self, target: &Target) -> Result<Vec<String>, Missing> {
        if Some(target.arch) == self.host_arch {
            return Ok(Vec::new());
        }
        match self.readable_settings(target)?.runner {
            Some(runner) if runner.value.first().is_some_and(|p| self.which(p)) => Ok(runner.value),
            Some(runner) => Err(Missing::new(
                format!("runner `{}`", runner.value.join(" ")),
                "apt-get install qemu-user-static",
            )),
            None => Err(Missing::new("runner", codegen_writes("QEMU runner", target))),
        }
    }

    /// Build tools at other versions than the policy pins, or missing, that `builder` uses.
    pub fn wrong_tools(&self, pinned: &Tools, builder: Builder) -> Vec<Missing> {
        let zigbuild = builder == Builder::Zigbuild;
        // What uses each tool, its pinned and found versions, and the install command the pinned
        // version completes. cross builds in its container, where cargo-auditable is not.
        let tools = [
            (
                builder != Builder::Cross,
                "cargo-auditable",
                &pinned.cargo_auditable,
                &self.tools.cargo_auditable,
                "cargo install --locked cargo-auditable --version ",
            ),
            (zigbuild, "zig", &pinned.ziglang, &self.tools.ziglang, "pip install ziglang=="),
            (
                zigbuild,
                "cargo-zigbuild",
                &pinned.cargo_zigbuild,
                &self.tools.cargo_zigbuild,
                "pip install cargo-zigbuild==",
            ),
        ];
        let used = tools.into_iter().filter(|(used, ..)| *used);
        used.filter_map(|(_, tool, pinned, found, install)| {
            let pinned = pinned.as_ref()?;
            let what = match found {
                Some(found) if found == pinned => return None,
                Some(found) => {
                    format!("{tool} {pinned} (found {found}; the release policy pins {pinned})")
                }
                None => format!("{tool} {pinned}"),
            };
            Some(Missing::new(what, format!("{install}{pinned}")))
        })
        .collect()
    }

    /// What building `target` with `builder` still needs on this machine; `c_code` names the
    /// packages that compile C or C++ for it.
    pub fn missing(&self, target: &Target, builder: Builder, c_code: &[String]) -> Vec<Missing> {
        let triple = target.triple();
        if !self.rustc_targets.contains(&triple) {
            let arch = triple.split('-').next().unwrap_or_default();
            let known: Vec<&str> = (self.rustc_targets.iter())
                .filter(|t| t.starts_with(&format!("{arch}-")) && t.contains("-linux-"))
                .map(String::as_str)
                .collect();
            return vec![Missing::new(
                format!("a target rustc knows: `rustc --print target-list` has no {triple}"),
                format!("use one it lists, e.g. {}", known.join(", ")),
            )];
        }
        let mut missing = Vec::new();
        if builder != Builder::Cross && !self.rust_std_installed(target) {
            let fix = format!("rustup target add {triple}");
            missing.push(Missing::new(format!("Rust standard library for {triple}"), fix));
        }
        match builder {
            Builder::Cargo => {
                missing.extend(self.missing_linker(target).err());
                if !c_code.is_empty() {
                    missing.extend(self.missing_c_compiler(target, c_code));
                }
            }
            // wrong_tools names the versions to install.
            Builder::Zigbuild => {}
            Builder::Cross => {
                if !self.which("cross") {
                    missing.push(Missing::new("cross", "cargo install cross --locked"));
                }
                if self.container_engine.is_none() {
                    missing.push(Missing::new(
                        "a running container engine",
                        "install and start Docker or Podman (cross builds in a container)",
                    ));
                }
            }
        }
        missing
    }

    /// The cargo builder's C and C++ compilers: the cross gcc's siblings, the host's `cc` and
    /// `c++`, and for musl none at all: only zig compiles C into a static musl binary here.
    fn missing_c_compiler(&self, target: &Target, c_code: &[String]) -> Vec<Missing> {
        let c_code = c_code.join(", ");
        if target.libc == Libc::Musl {
            return vec![Missing::new(
                format!("a C compiler for {} ({c_code} have C code)", target.triple()),
                "pip install ziglang cargo-zigbuild, and build with `--builder zigbuild` (auto picks \
                 it): musl-gcc makes dynamic binaries, and Debian has no musl cross gcc",
            )];
        }
        let compilers = match self.linker(target).as_deref() {
            Some(gcc) => c_compilers(target, gcc).into_iter().map(|(_, c)| c).collect(),
            None => vec!["cc".to_string(), "c++".to_string()],
        };
        let fix = match debian_linker_packages(target) {
            Some([gcc, _]) => format!("apt-get install {gcc} {}", gcc.replacen("gcc", "g++", 1)),
            None => "apt-get install build-essential".into(),
        };
        compilers
            .iter()
            .filter(|c| !self.which(c))
            .map(|c| Missing::new(format!("C compiler `{c}` ({c_code} have C code)"), &fix))
            .collect()
    }

    fn missing_linker(&self, target: &Target) -> Result<(), Missing> {
        match self.readable_settings(target)?.linker {
            // Installing the usual package cannot help while the variable points elsewhere:
            // the variable is what has to change.
            Some(linker) if !self.linker_exists(&linker.value) && linker.from_env => Err(Missing {
                fix: format!(
                    "install `{}`, or unset {} to use the linker from .cargo/config.toml",
                    linker.value, linker.source
                ),
                what: format!("linker `{}` (set by {})", linker.value, linker.source),
            }),
            Some(linker) if !self.linker_exists(&linker.value) => Err(Missing {
                fix: match debian_linker_packages(target) {
                    Some(pkgs) if linker.value.ends_with("-gcc") => {
                        format!("apt-get install {}", pkgs.join(" "))
                    }
                    _ => format!("install `{}` or change it in {}", linker.value, linker.source),
                },
                what: format!("linker `{}`", linker.value),
            }),
            None if !target.is_native() => {
                Err(Missing::new("a cross-linker", codegen_writes("linker", target)))
            }
            _ => Ok(()),
        }
    }
}

/// What `cargo install` installed, from `cargo install --list` (`name vX.Y.Z:` lines).
fn installed_crates(sh: &Shell) -> Vec<(String, String)> {
    let list = cmd!(sh, "cargo install --list").quiet().ignore_stderr().read().unwrap_or_default();
    list.lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| {
            let (name, version) = l.trim_end_matches(':').split_once(" v")?;
            Some((name.to_string(), version.split(' ').next()?.to_string()))
        })
        .collect()
}

impl Tools {
    fn probe(sh: &Shell, crates: &[(String, String)]) -> Tools {
        let read = |program: &str, args: &[&str]| {
            cmd!(sh, "{program} {args...}").quiet().ignore_stderr().read().ok()
        };
        let ziglang =
            read("zig", &["version"]).or_else(|| read("python3", &["-m", "ziglang", "version"]));
        Tools {
            ziglang: ziglang.map(|v| v.trim().to_string()),
            cargo_zigbuild: read("cargo-zigbuild", &["--version"])
                .and_then(|v| v.strip_prefix("cargo-zigbuild ").map(str::to_string)),
            // cargo-auditable hands `--version` on to cargo; cargo's install list knows its own.
            cargo_auditable: (crates.iter().find(|(name, _)| name == "cargo-auditable"))
                .map(|(_, version)| version.clone()),
        }
    }
}

/// The toolchain the release is built with, as the manifest records it.
impl Toolchain {
    pub fn probe(sh: &Shell, tools: &Tools) -> Result<Toolchain> {
        let version = |tool: &str| {
            cmd!(sh, "{tool} -V").quiet().read().with_context(|| format!("running `{tool} -V`"))
        };
        Ok(Toolchain {
            rustc: version("rustc")?,
            cargo: version("cargo")?,
            host: rustc_print(sh, "host-tuple")?,
            zig: tools.ziglang.clone(),
            cargo_zigbuild: tools.cargo_zigbuild.clone(),
            cargo_auditable: tools.cargo_auditable.clone(),
        })
    }
}

/// `rustc --print <what>`.
fn rustc_print(sh: &Shell, what: &str) -> Result<String> {
    cmd!(sh, "rustc --print {what}").quiet().read().context("running rustc")
}

/// The fix for a `setting` of `target` that .cargo/config.toml lacks: codegen writes it there.
fn codegen_writes(setting: &str, target: &Target) -> String {
    let triple = target.triple();
    format!(
        "run `cargo xtask codegen`: it writes the {setting} of {triple} into .cargo/config.toml"
    )
}

/// Debian/Ubuntu packages holding the gcc cross-linker and C library for a gnu target on
/// another architecture. musl targets link with rustc's own `rust-lld` and need none.
pub fn debian_linker_packages(target: &Target) -> Option<[String; 2]> {
    (target.libc == Libc::Gnu && !target.is_native()).then(|| target.arch.debian_cross_packages())
}

/// `CC_<triple>`, `CXX_<triple>` and `AR_<triple>` from a gcc linker (`aarch64-linux-gnu-gcc`):
/// the compilers of the same toolchain; nothing for another linker (rust-lld, clang).
pub fn c_compilers(target: &Target, linker: &str) -> Vec<(String, String)> {
    let Some(prefix) = linker.strip_suffix("gcc") else { return Vec::new() };
    let key = target.triple().replace(['-', '.'], "_");
    ["CC", "CXX", "AR"]
        .into_iter()
        .zip(["gcc", "g++", "ar"])
        .map(|(var, tool)| (format!("{var}_{key}"), format!("{prefix}{tool}")))
        .collect()
}

/// The linker and runner cargo should use for `target` on the reference build machine
/// (x86_64, where releases are built), written into .cargo/config.toml by codegen: the cross
/// gcc for glibc, rustc's `rust-lld` for self-contained musl, QEMU with the cross sysroot for
/// glibc binaries.
pub fn default_linker_and_runner(target: &Target) -> (Option<String>, Option<String>) {
    if target.arch == Arch::build_host() {
        return (None, None);
    }
    let qemu = format!("qemu-{}-static", target.arch.qemu);
    match target.libc {
        Libc::Gnu => (
            Some(format!("{}-gcc", target.arch.gnu_triple)),
            Some(format!("{qemu} -L /usr/{}", target.arch.gnu_triple)),
        ),
        Libc::Musl => (Some("rust-lld".to_string()), Some(qemu)),
    }
}

/// Runs `binary` with the smoke test's arguments, natively or as the runner's argument, and
/// judges what it prints; says how it ran.
pub fn smoke_run(sh: &Shell, runner: &[String], binary: &Path, smoke: &Smoke) -> Result<String> {
    let mut line = runner.iter().map(OsStr::new).chain([binary.as_os_str()]);
    let program = line.next().expect("holds the binary");
    let smoke_args = &smoke.args;
    let output = cmd!(sh, "{program} {line...} {smoke_args...}")
        .quiet()
        .read()
        .with_context(|| format!("running {}", binary.display()))?;
    let first = smoke.judge(&output)?;
    let how = runner.first().map_or("natively".to_string(), |r| format!("under {r}"));
    Ok(format!("`{}` {how}: {first}", smoke.args.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_targets_get_gcc_or_rust_lld_and_qemu() {
        let t = |s| Target::parse(s).unwrap();
        assert_eq!(
            default_linker_and_runner(&t("riscv64gc-unknown-linux-gnu")),
            (
                Some("riscv64-linux-gnu-gcc".into()),
                Some("qemu-riscv64-static -L /usr/riscv64-linux-gnu".into())
            )
        );
        assert_eq!(
            default_linker_and_runner(&t("armv7-unknown-linux-musleabihf")),
            (Some("rust-lld".into()), Some("qemu-arm-static".into()))
        );
        assert_eq!(
            debian_linker_packages(&t("armv7-unknown-linux-gnueabihf")).unwrap(),
            ["gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross"]
        );
        assert_eq!(debian_linker_packages(&t("aarch64-unknown-linux-musl")), None);
    }

    #[test]
    fn the_smoke_run_runs_the_binary_natively_or_as_the_runners_argument() {
        let sh = Shell::new().unwrap();
        let smoke = Smoke { args: vec!["a b".into(), "c".into()], expect: "a b c".into() };
        let echo = Path::new("/bin/echo");
        assert_eq!(smoke_run(&sh, &[], echo, &smoke).unwrap(), "`a b c` natively: a b c");
        let runner = ["env".to_string(), "-u".into(), "X".into()];
        assert_eq!(smoke_run(&sh, &runner, echo, &smoke).unwrap(), "`a b c` under env: a b c");
        let wrong = Smoke { expect: "d".into(), ..smoke };
        assert!(smoke_run(&sh, &runner, echo, &wrong).is_err());
    }
}
