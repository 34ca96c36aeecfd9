//! Builders (cargo, cargo-zigbuild, cross), the `auto` choice between them, and the exact
//! command line each one runs.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::policy::TargetPolicy;
use crate::preflight::Machine;
use crate::target::{Env, GlibcVersion, Target};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Builder {
    Cargo,
    Zigbuild,
    Cross,
}

impl Builder {
    pub fn parse(name: &str) -> Result<Builder> {
        Ok(match name {
            "cargo" => Builder::Cargo,
            "zigbuild" => Builder::Zigbuild,
            "cross" => Builder::Cross,
            _ => bail!("unknown builder `{name}`: expected auto, cargo, zigbuild or cross"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Builder::Cargo => "cargo",
            Builder::Zigbuild => "zigbuild",
            Builder::Cross => "cross",
        }
    }
}

/// The builder `auto` picks for a target, and why: the decision tree of the cross-compilation
/// chapter (static -> musl; old glibc -> zig; same arch -> native; other arch -> cross-linker,
/// zig, or a container), applied to what this machine has.
pub fn choose(tp: &TargetPolicy, machine: &Machine) -> (Builder, String) {
    let t = &tp.target;
    let native = Some(t.arch) == machine.host_arch;
    if t.env == Env::Musl {
        if native {
            return (
                Builder::Cargo,
                "static musl target: rustc links it self-contained".into(),
            );
        }
        if machine.zig {
            return (
                Builder::Zigbuild,
                "static musl target for another arch: zig links it".into(),
            );
        }
        if machine.container_engine.is_some() {
            return (
                Builder::Cross,
                "musl for another arch, no zig: cross's container".into(),
            );
        }
        return (
            Builder::Cargo,
            "musl for another arch: needs a configured linker".into(),
        );
    }
    if let Some((floor, host)) = floor_below_host(tp, machine) {
        return if machine.zig {
            (
                Builder::Zigbuild,
                format!("glibc floor {floor} is below this machine's {host}"),
            )
        } else {
            (
                Builder::Cargo,
                format!(
                    "glibc floor {floor} is below this machine's {host} but zig is missing: \
                     verification will fail (pip install ziglang cargo-zigbuild)"
                ),
            )
        };
    }
    if native {
        return (Builder::Cargo, "native target".into());
    }
    if machine.linker_found(t) {
        return (Builder::Cargo, "cross-linker installed".into());
    }
    if machine.zig {
        return (Builder::Zigbuild, "no cross-linker; zig links it".into());
    }
    if machine.container_engine.is_some() {
        return (
            Builder::Cross,
            "no cross-linker or zig; cross's container has one".into(),
        );
    }
    (
        Builder::Cargo,
        "no cross-linker, zig or container engine".into(),
    )
}

/// The target's glibc floor and this machine's glibc when the floor is the lower: then only
/// zig (or an old sysroot) can link a binary that meets it.
pub fn floor_below_host(
    tp: &TargetPolicy,
    machine: &Machine,
) -> Option<(GlibcVersion, GlibcVersion)> {
    let (floor, host) = (tp.glibc_floor?, machine.host_glibc?);
    (floor < host).then_some((floor, host))
}

/// One build invocation: a builder and the one target it builds.
pub struct Invocation<'a> {
    pub builder: Builder,
    pub package: &'a str,
    pub target: Target,
    pub target_dir: PathBuf,
    /// Path prefixes rewritten in everything rustc embeds, so that builds in other directories
    /// (or on other machines) give identical binaries.
    pub remaps: Vec<(PathBuf, String)>,
    /// `--jobs`, when several invocations share the machine.
    pub jobs: Option<usize>,
}

impl Invocation<'_> {
    /// The program, its arguments and extra environment. `--config target.<triple>.rustflags`
    /// appends to the user's rustflags instead of replacing them, as RUSTFLAGS would.
    pub fn command_line(&self) -> (String, Vec<String>, Vec<(String, String)>) {
        let (program, mut args) = match self.builder {
            Builder::Cargo => ("cargo", vec!["build".to_string()]),
            Builder::Zigbuild => ("cargo", vec!["zigbuild".to_string()]),
            Builder::Cross => ("cross", vec!["build".to_string()]),
        };
        args.extend(["--release", "--locked", "--package", self.package].map(String::from));
        if let Some(jobs) = self.jobs {
            args.extend(["--jobs".to_string(), jobs.to_string()]);
        }
        let t = &self.target;
        let triple = match self.builder {
            Builder::Zigbuild => t.zig_triple(),
            Builder::Cargo | Builder::Cross => t.triple(),
        };
        args.extend(["--target".to_string(), triple]);
        if self.builder != Builder::Cross {
            // cross runs cargo in a container that sees its own paths.
            args.extend([
                "--target-dir".to_string(),
                self.target_dir.display().to_string(),
            ]);
        }
        let flags: Vec<String> = self
            .remaps
            .iter()
            .map(|(from, to)| format!("\"--remap-path-prefix={}={to}\"", from.display()))
            .collect();
        if !flags.is_empty() {
            args.push("--config".into());
            args.push(format!(
                "target.{}.rustflags=[{}]",
                t.triple(),
                flags.join(", ")
            ));
        }
        // cross links with zig against the floor's glibc when told the version.
        let env = match (self.builder, t.glibc_suffix) {
            (Builder::Cross, Some(floor)) => {
                vec![(
                    format!("CROSS_TARGET_{}_ZIG", t.env_key()),
                    floor.to_string(),
                )]
            }
            _ => Vec::new(),
        };
        (program.to_string(), args, env)
    }

    /// Where the built binary `bin` lands.
    pub fn binary_path(&self, bin: &str) -> PathBuf {
        self.target_dir
            .join(self.target.triple())
            .join("release")
            .join(bin)
    }
}

/// The standard remaps: workspace, cargo home, rustup home and the build directory.
pub fn remaps(workspace: &Path, target_dir: &Path) -> Vec<(PathBuf, String)> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME").map_or(home.join(".cargo"), PathBuf::from);
    let rustup_home = std::env::var_os("RUSTUP_HOME").map_or(home.join(".rustup"), PathBuf::from);
    // rustc applies the last matching remap, so the more specific paths come later.
    vec![
        (workspace.to_path_buf(), "/build".to_string()),
        (cargo_home, "/cargo".to_string()),
        (rustup_home, "/rustup".to_string()),
        (target_dir.to_path_buf(), "/target".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, GlibcVersion};

    fn machine(zig: bool, engine: bool, linker: bool) -> Machine {
        Machine {
            host_arch: Some(Arch::X86_64),
            host_glibc: Some(GlibcVersion([2, 36, 0])),
            zig,
            container_engine: engine.then(|| "docker".to_string()),
            ..Machine::fake(linker)
        }
    }

    fn policy(triple: &str, floor: Option<&str>) -> TargetPolicy {
        TargetPolicy {
            target: Target::parse(triple).unwrap(),
            builder: None,
            glibc_floor: floor.map(|f| GlibcVersion::parse(f).unwrap()),
        }
    }

    #[test]
    fn auto_follows_the_decision_tree() {
        let cases = [
            (
                "x86_64-unknown-linux-musl",
                None,
                machine(true, true, true),
                Builder::Cargo,
            ),
            (
                "x86_64-unknown-linux-gnu",
                Some("2.17"),
                machine(true, false, true),
                Builder::Zigbuild,
            ),
            (
                "x86_64-unknown-linux-gnu",
                Some("2.17"),
                machine(false, true, true),
                Builder::Cargo,
            ),
            (
                "x86_64-unknown-linux-gnu",
                Some("2.36"),
                machine(true, false, true),
                Builder::Cargo,
            ),
            (
                "aarch64-unknown-linux-gnu",
                Some("2.17"),
                machine(true, true, true),
                Builder::Zigbuild,
            ),
            (
                "aarch64-unknown-linux-gnu",
                None,
                machine(true, true, true),
                Builder::Cargo,
            ),
            (
                "aarch64-unknown-linux-gnu",
                None,
                machine(true, true, false),
                Builder::Zigbuild,
            ),
            (
                "aarch64-unknown-linux-gnu",
                None,
                machine(false, true, false),
                Builder::Cross,
            ),
            (
                "aarch64-unknown-linux-musl",
                None,
                machine(false, true, true),
                Builder::Cross,
            ),
        ];
        for (triple, floor, m, want) in cases {
            let (got, why) = choose(&policy(triple, floor), &m);
            assert_eq!(got, want, "{triple} floor {floor:?}: {why}");
        }
    }

    #[test]
    fn cross_command_line_builds_in_the_container_with_remapped_paths() {
        let inv = Invocation {
            builder: Builder::Cross,
            package: "diag_tool",
            target: Target::parse("aarch64-unknown-linux-gnu.2.17").unwrap(),
            target_dir: "/w/target/dist-build/cross".into(),
            remaps: vec![("/w".into(), "/build".into())],
            jobs: None,
        };
        let (program, args, env) = inv.command_line();
        assert_eq!(program, "cross");
        assert_eq!(
            env,
            [(
                "CROSS_TARGET_AARCH64_UNKNOWN_LINUX_GNU_ZIG".to_string(),
                "2.17".to_string()
            )]
        );
        assert_eq!(
            args.join(" "),
            "build --release --locked --package diag_tool --target aarch64-unknown-linux-gnu \
             --config target.aarch64-unknown-linux-gnu.rustflags=[\"--remap-path-prefix=/w=/build\"]"
        );
    }

    #[test]
    fn zigbuild_command_line_carries_the_glibc_suffix() {
        let inv = Invocation {
            builder: Builder::Zigbuild,
            package: "diag_tool",
            target: Target::parse("x86_64-unknown-linux-gnu.2.17").unwrap(),
            target_dir: "/t".into(),
            remaps: vec![],
            jobs: Some(1),
        };
        let (program, args, env) = inv.command_line();
        assert_eq!(program, "cargo");
        assert!(env.is_empty());
        assert_eq!(
            args.join(" "),
            "zigbuild --release --locked --package diag_tool --jobs 1 \
             --target x86_64-unknown-linux-gnu.2.17 --target-dir /t"
        );
        let bin = inv.binary_path("diag_tool");
        assert_eq!(
            bin,
            Path::new("/t/x86_64-unknown-linux-gnu/release/diag_tool")
        );
    }
}
