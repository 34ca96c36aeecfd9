//! Builders (cargo, cargo-zigbuild, cross), the `auto` choice between them, and the exact
//! command line each one runs.

use std::path::{Path, PathBuf};

use xshell::{Cmd, Shell, cmd};

use crate::config::builder::Builder;
use crate::config::glibc::GlibcVersion;
use crate::config::policy::TargetPolicy;
use crate::config::target::{Libc, Target};
use crate::host::machine::{self, Machine};

/// The builder `auto` picks for a target, and why: the decision tree of the cross-compilation
/// chapter (static -> musl; old glibc -> zig; same arch -> native; other arch -> cross-linker,
/// zig, or a container), applied to what this machine has. `c_code` names the packages that
/// compile C for the target: for musl only zig is a C compiler that links statically (Debian
/// has no musl cross gcc, and musl-gcc's binaries are dynamic).
pub fn choose(tp: &TargetPolicy, machine: &Machine, c_code: &[String]) -> (Builder, String) {
    let t = &tp.target;
    let native = Some(t.arch) == machine.host_arch;
    let linker = machine.linker_found(t);
    if t.libc == Libc::Musl {
        let c = c_code.join(", ");
        return if !c_code.is_empty() && machine.zig {
            (
                Builder::Zigbuild,
                format!("static musl target with C code ({c}): zig compiles and links it"),
            )
        } else if native {
            (Builder::Cargo, "static musl target: rustc links it self-contained".into())
        } else if linker {
            (Builder::Cargo, "static musl target: rust-lld links it self-contained".into())
        } else if machine.zig {
            (Builder::Zigbuild, "static musl target for another arch: zig links it".into())
        } else if machine.container_engine.is_some() {
            (Builder::Cross, "musl for another arch, no linker or zig: cross's container".into())
        } else {
            (Builder::Cargo, "musl for another arch: needs a configured linker".into())
        };
    }
    if let Some((floor, host)) = floor_below_host(tp, machine) {
        let why = format!("glibc floor {floor} is below this machine's {host}");
        return if machine.zig && t.arch.zig_glibc.is_some() {
            (Builder::Zigbuild, why)
        } else {
            (Builder::Cargo, why + " but zig is missing (pip install ziglang cargo-zigbuild)")
        };
    }
    if native {
        (Builder::Cargo, "native target".into())
    } else if linker {
        (Builder::Cargo, "cross-linker installed".into())
    } else if machine.zig && t.arch.zig_glibc.is_some() {
        (Builder::Zigbuild, "no cross-linker; zig links it".into())
    } else if machine.container_engine.is_some() {
        (Builder::Cross, "no cross-linker or zig; cross's container has one".into())
    } else {
        (Builder::Cargo, "no cross-linker, zig or container engine".into())
    }
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
    /// With the glibc suffix when the builder links against the floor's glibc.
    pub target: Target,
    pub target_dir: PathBuf,
    /// Path prefixes rewritten in everything rustc embeds, so that builds in other directories
    /// (or on other machines) give identical binaries.
    pub remaps: Vec<(PathBuf, String)>,
    /// `CARGO_MAKEFLAGS` naming the jobserver that concurrent builds share (not part of the
    /// recorded command: its descriptors differ from run to run).
    pub makeflags: Option<String>,
    /// Through `cargo auditable`, which embeds the dependency list in the binary.
    pub auditable: bool,
    /// The cargo builder's cross gcc, when that is the linker: the `cc` and `cmake` crates
    /// compile C and C++ with its siblings. cargo-zigbuild sets `CC_<triple>`, `CXX_<triple>`,
    /// `AR_<triple>`, `RANLIB_<triple>` and `CMAKE_TOOLCHAIN_FILE_<triple>` to zig itself.
    pub linker: Option<String>,
    /// `features` of the release policy.
    pub features: &'a [String],
}

impl Invocation<'_> {
    /// The program and its arguments. `--config target.<triple>.rustflags` appends to the
    /// user's rustflags instead of replacing them, as RUSTFLAGS would.
    fn argv(&self) -> (&'static str, Vec<String>) {
        let (program, subcommand, triple) = match self.builder {
            Builder::Cargo => ("cargo", "build", self.target.triple()),
            Builder::Zigbuild => ("cargo", "zigbuild", self.target.zig_triple()),
            Builder::Cross => ("cross", "build", self.target.triple()),
        };
        // cargo-auditable wraps cargo's own subcommand: `cargo auditable zigbuild` works too.
        let auditable = (self.auditable && self.builder != Builder::Cross).then_some("auditable");
        let words = [subcommand, "--release", "--locked", "--package", self.package];
        let mut args: Vec<String> = auditable.into_iter().chain(words).map(String::from).collect();
        if !self.features.is_empty() {
            args.extend(["--features".to_string(), self.features.join(",")]);
        }
        args.extend(["--target".to_string(), triple]);
        // cross runs cargo in a container that sees its own paths.
        if self.builder != Builder::Cross {
            args.extend(["--target-dir".into(), self.target_dir.display().to_string()]);
        }
        let flags: Vec<String> = (self.remaps.iter())
            .map(|(from, to)| format!("\"--remap-path-prefix={}={to}\"", from.display()))
            .collect();
        if !flags.is_empty() {
            let key = format!("target.{}.rustflags", self.target.triple());
            args.extend(["--config".into(), format!("{key}=[{}]", flags.join(", "))]);
        }
        (program, args)
    }

    /// The command, ready to run in `sh`.
    pub fn cmd<'s>(&self, sh: &'s Shell) -> Cmd<'s> {
        let (program, args) = self.argv();
        // cross's cargo runs in a container, where the pipe's descriptors do not exist.
        let makeflags = self.makeflags.iter().filter(|_| self.builder != Builder::Cross);
        let makeflags = makeflags.map(|flags| ("CARGO_MAKEFLAGS", flags));
        cmd!(sh, "{program} {args...}").envs(self.env()).envs(makeflags)
    }

    /// Environment the builder needs beyond the command line: cross links with zig against
    /// the floor's glibc when told the version; the C and C++ compilers and archiver of the
    /// cargo builder's cross gcc.
    pub fn env(&self) -> Vec<(String, String)> {
        match (self.builder, self.target.glibc_suffix, &self.linker) {
            (Builder::Cross, Some(floor), _) => {
                vec![(format!("CROSS_TARGET_{}_ZIG", self.target.env_key()), floor.to_string())]
            }
            (Builder::Cargo, _, Some(gcc)) => machine::c_compilers(&self.target, gcc),
            _ => Vec::new(),
        }
    }

    /// The command as a POSIX shell would run it, environment first.
    pub fn display(&self) -> String {
        let (program, args) = self.argv();
        let mut words: Vec<String> = self.env().iter().map(|(k, v)| format!("{k}={v}")).collect();
        words.push(program.to_string());
        words.extend(args.iter().map(|a| shell_quote(a)));
        words.join(" ")
    }

    /// [`Invocation::display`] with the build machine's own paths written as `$WORKSPACE`,
    /// `$CARGO_HOME` and `$RUSTUP_HOME`, so that the same build records the same command in
    /// any directory and on any machine.
    pub fn portable_display(&self) -> String {
        let names = ["$WORKSPACE", "$CARGO_HOME", "$RUSTUP_HOME"];
        let mut paths: Vec<(String, &str)> = (self.remaps.iter().zip(names))
            .map(|((from, _), name)| (from.display().to_string(), name))
            .filter(|(from, _)| from.len() > 1)
            .collect();
        // The longest first: a path inside another is replaced as a whole.
        paths.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        paths.into_iter().fold(self.display(), |text, (from, name)| text.replace(&from, name))
    }

    /// Where the built binary `bin` lands.
    pub fn binary_path(&self, bin: &str) -> PathBuf {
        self.target_dir.join(self.target.triple()).join("release").join(bin)
    }
}

/// Makes cargo rerun the workspace members' build scripts, and only theirs: a script that
/// embeds the commit (`git rev-parse`) without `rerun-if` lines would otherwise keep an older
/// commit's output in an incremental build. Dependencies' builds stay cached.
pub fn rerun_build_scripts(scripts: &[PathBuf]) -> anyhow::Result<()> {
    for script in scripts {
        std::fs::File::options()
            .write(true)
            .open(script)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            .map_err(|e| anyhow::anyhow!("marking {} to rerun: {e}", script.display()))?;
    }
    Ok(())
}

/// `word` as one POSIX shell word: as it is when that is safe, else in single quotes.
fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The standard remaps: workspace, cargo home, rustup home and the build directory.
pub fn remaps(workspace: &Path, target_dir: &Path) -> Vec<(PathBuf, String)> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let dir = |var, default| std::env::var_os(var).map_or(home.join(default), PathBuf::from);
    // rustc applies the last matching remap, so the more specific paths come later.
    vec![
        (workspace.to_path_buf(), "/build".to_string()),
        (dir("CARGO_HOME", ".cargo"), "/cargo".to_string()),
        (dir("RUSTUP_HOME", ".rustup"), "/rustup".to_string()),
        (target_dir.to_path_buf(), "/target".to_string()),
    ]
}

/// The text around the first of `paths` found in `binary` whose surroundings hold none of
/// `allowed`: remapping is proven from the bytes, like everything else dist claims. A path
/// counts where it ends its string or goes on into one of its own entries: a workspace at
/// `/src` is not found in the standard library's `/rust/deps/addr2line-0.25.1/src/line.rs`.
pub fn embedded_path(binary: &[u8], paths: &[&Path], allowed: &[String]) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    for path in paths {
        let needle = path.as_os_str().as_bytes();
        // `/` alone would match anything; such a remap protects nothing anyway.
        if needle.len() <= 1 {
            continue;
        }
        let entries: Vec<Vec<u8>> = (std::fs::read_dir(path).into_iter().flatten())
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().as_bytes().to_vec())
            .collect();
        let goes_under = |rest: &[u8]| match rest.split_first() {
            None => true,
            Some((b'/', rest)) => entries.iter().any(|e| rest.starts_with(e)),
            Some((&b, _)) => !(b.is_ascii_alphanumeric() || b"._-+~@".contains(&b)),
        };
        let starts = (0..binary.len()).filter(|&at| binary[at..].starts_with(needle));
        for at in starts.filter(|&at| goes_under(&binary[at + needle.len()..])) {
            // The C string holding it, or up to 80 bytes before and 256 after in Rust's
            // unterminated data.
            let start = at.saturating_sub(80);
            let start =
                (binary[start..at].iter().rposition(|&b| b == 0)).map_or(start, |i| start + i + 1);
            let end = (at + needle.len() + 256).min(binary.len());
            let end = (binary[at..end].iter().position(|&b| b == 0)).map_or(end, |i| at + i);
            let text = String::from_utf8_lossy(&binary[start..end]);
            if !allowed.iter().any(|a| text.contains(a.as_str())) {
                return Some(text.into_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::builder::BuilderChoice;

    fn invocation(builder: Builder, triple: &str) -> Invocation<'static> {
        Invocation {
            builder,
            package: "diag_tool",
            target: Target::parse(triple).unwrap(),
            target_dir: "/w/target/dist-build".into(),
            remaps: vec![("/w".into(), "/build".into())],
            makeflags: None,
            auditable: true,
            linker: None,
            features: &[],
        }
    }

    #[test]
    fn musl_with_c_code_is_built_by_zig_and_the_cargo_builder_says_why_not() {
        let sh = Shell::new().unwrap();
        sh.change_dir(crate::project_root());
        let machine = Machine::probe(&sh).unwrap();
        assert!(machine.zig, "zig is needed: cargo xtask setup");
        let policy = crate::config::policy::Policy::read(&sh).unwrap();
        let tp = policy.target("aarch64-unknown-linux-musl").unwrap();
        assert_eq!(tp.builder, None, "auto, as the template configures it");
        let c_code = ["tikv-jemalloc-sys".to_string(), "libz-sys".to_string()];
        let (builder, why) = choose(&tp, &machine, &c_code);
        assert_eq!(builder, Builder::Zigbuild, "{why}");
        assert!(why.contains("C code (tikv-jemalloc-sys, libz-sys)"), "{why}");
        assert_eq!(choose(&tp, &machine, &[]).0, Builder::Cargo);
        let missing = machine.missing(&tp.target, Builder::Cargo, &c_code);
        let compiler = missing.iter().find(|m| m.what.starts_with("a C compiler"));
        let compiler = compiler.unwrap_or_else(|| panic!("{missing:#?}"));
        assert!(compiler.fix.contains("--builder zigbuild"), "{compiler:?}");
    }

    #[test]
    fn a_members_build_script_is_newer_than_any_earlier_build() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("build.rs");
        std::fs::write(&script, "fn main() {}").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let file = std::fs::File::options().write(true).open(&script).unwrap();
        file.set_modified(old).unwrap();
        rerun_build_scripts(std::slice::from_ref(&script)).unwrap();
        let modified = std::fs::metadata(&script).unwrap().modified().unwrap();
        assert!(modified.elapsed().unwrap().as_secs() < 60);
        assert_eq!(std::fs::read_to_string(&script).unwrap(), "fn main() {}");
    }

    #[test]
    fn the_cargo_builder_compiles_c_with_the_linkers_toolchain() {
        let inv = Invocation {
            linker: Some("aarch64-linux-gnu-gcc".into()),
            remaps: vec![],
            ..invocation(Builder::Cargo, "aarch64-unknown-linux-gnu")
        };
        assert!(inv.display().starts_with(
            "CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
             CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++ \
             AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar cargo auditable build"
        ));
        let lld = Invocation {
            linker: Some("rust-lld".into()),
            ..invocation(Builder::Cargo, "aarch64-unknown-linux-musl")
        };
        assert!(lld.env().is_empty());
    }

    #[test]
    fn cross_command_line_builds_in_the_container_with_remapped_paths() {
        let inv = invocation(Builder::Cross, "aarch64-unknown-linux-gnu.2.17");
        assert_eq!(
            inv.display(),
            "CROSS_TARGET_AARCH64_UNKNOWN_LINUX_GNU_ZIG=2.17 cross build --release --locked \
             --package diag_tool --target aarch64-unknown-linux-gnu --config \
             'target.aarch64-unknown-linux-gnu.rustflags=[\"--remap-path-prefix=/w=/build\"]'"
        );
    }

    #[test]
    fn zigbuild_command_line_carries_the_glibc_suffix() {
        let inv = Invocation {
            remaps: vec![],
            makeflags: Some("-j --jobserver-auth=3,4".into()),
            target_dir: "/t".into(),
            ..invocation(Builder::Zigbuild, "x86_64-unknown-linux-gnu.2.17")
        };
        assert!(inv.env().is_empty());
        assert_eq!(
            inv.display(),
            "cargo auditable zigbuild --release --locked --package diag_tool \
             --target x86_64-unknown-linux-gnu.2.17 --target-dir /t"
        );
        assert_eq!(
            inv.binary_path("diag_tool"),
            Path::new("/t/x86_64-unknown-linux-gnu/release/diag_tool")
        );
    }

    #[test]
    fn the_recorded_command_names_no_path_of_the_build_machine() {
        let inv = Invocation {
            target_dir: "/home/ci/work/target/dist-build/x".into(),
            remaps: vec![
                ("/home/ci/work".into(), "/build".into()),
                ("/home/ci/.cargo".into(), "/cargo".into()),
                ("/home/ci/.rustup".into(), "/rustup".into()),
                ("/home/ci/work/target/dist-build/x".into(), "/target".into()),
            ],
            ..invocation(Builder::Cargo, "x86_64-unknown-linux-musl")
        };
        let recorded = inv.portable_display();
        assert!(!recorded.contains("/home/ci"), "{recorded}");
        assert!(recorded.contains("--target-dir $WORKSPACE/target/dist-build/x"), "{recorded}");
        assert!(recorded.contains("--remap-path-prefix=$CARGO_HOME=/cargo"), "{recorded}");
    }

    #[test]
    fn builder_names_parse_and_auto_means_none() {
        assert_eq!("auto".parse::<BuilderChoice>().unwrap(), BuilderChoice(None));
        assert_eq!(
            "zigbuild".parse::<BuilderChoice>().unwrap(),
            BuilderChoice(Some(Builder::Zigbuild))
        );
        let err = "docker".parse::<BuilderChoice>().unwrap_err().to_string();
        assert!(err.contains("expected auto, cargo, zigbuild or cross"), "{err}");
    }

    #[test]
    fn a_build_path_left_in_a_binary_is_found() {
        let home = tempfile::tempdir().unwrap();
        let (cargo, work) = (home.path().join(".cargo"), home.path().join("work"));
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::create_dir_all(work.join("target")).unwrap();
        let paths = [cargo.as_path(), work.as_path()];
        let w = work.display();
        let binary = format!("\x7fELF...panicked at {w}/src/main.rs:3");
        let found = embedded_path(binary.as_bytes(), &paths, &[]);
        assert_eq!(found.as_deref(), Some(binary.as_str()));
        // Rust's strings run into each other; the path is found after another one's end.
        let run_on = format!("library/std/src/panicking.rs{w}/src/main.rs");
        assert_eq!(embedded_path(run_on.as_bytes(), &paths, &[]).as_deref(), Some(run_on.as_str()));
        assert_eq!(embedded_path(b"/build/src/main.rs", &paths, &[]), None);
        // The same letters inside another path, going on to what the workspace does not hold.
        let inside = format!("/rust/deps/addr2line-0.25.1{w}/line.rs\0{w}-old/src");
        assert_eq!(embedded_path(inside.as_bytes(), &paths, &[]), None);
        let openssl = format!("\0ENGINESDIR: \"{w}/target/out/openssl-build/install/lib\"\0");
        let allowed = ["openssl-build/install".to_string()];
        assert_eq!(embedded_path(openssl.as_bytes(), &paths, &allowed), None);
    }
}
