use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::*;
use crate::manifest;

fn archive(name: &str) -> Artifact {
    Artifact {
        name: name.into(),
        kind: ArtifactKind::Archive,
        size: 3,
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
    }
}

/// A release of the x86_64 gnu build only, whose binary needs glibc 2.17.
fn gnu_only() -> Manifest {
    let name = "diag_tool-x86_64-unknown-linux-gnu-v1.0.0.tar.gz";
    manifest::sample("x86_64-unknown-linux-gnu", "1.0.0", archive(name))
}

/// The same with the static musl build beside it.
fn gnu_and_musl() -> Manifest {
    let mut manifest = gnu_only();
    let mut musl = manifest.targets[0].clone();
    musl.target = "x86_64-unknown-linux-musl".into();
    musl.binary.glibc_max = None;
    musl.artifacts = vec![archive("diag_tool-x86_64-unknown-linux-musl-v1.0.0.tar.gz")];
    musl.binary_in_archive = "diag_tool-x86_64-unknown-linux-musl-v1.0.0/diag_tool".into();
    manifest.targets.push(musl);
    manifest
}

/// Runs the script for `manifest` under dash on a host whose `uname -m` and `getconf` print
/// what they are given (`getconf` fails, as on musl, for `None`).
fn run(manifest: &Manifest, uname: &str, glibc: Option<&str>, args: &[&str]) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(manifest, tmp.path()).unwrap();
    let shims = tmp.path().join("shims");
    std::fs::create_dir(&shims).unwrap();
    let getconf = match glibc {
        Some(version) => format!("echo 'glibc {version}'"),
        None => "exit 1".into(),
    };
    for (name, body) in [("uname", format!("echo {uname}")), ("getconf", getconf)] {
        let path = shims.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![shims];
    paths.extend(std::env::split_paths(&path));
    Command::new("dash")
        .arg(tmp.path().join(script.name))
        .args(args)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env("HOME", tmp.path())
        .output()
        .expect("dash is needed: apt-get install dash")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn the_script_carries_the_manifests_archives_and_is_shellcheck_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(&gnu_and_musl(), tmp.path()).unwrap();
    assert_eq!(script.kind, ArtifactKind::Installer);
    let path: PathBuf = tmp.path().join(FILE_NAME);
    assert_eq!(checksums::sha256_file(&path).unwrap(), script.sha256);
    let script_text = std::fs::read_to_string(&path).unwrap();
    assert!(script_text.contains(
        "\nx86_64-unknown-linux-gnu x86_64,amd64 gnu 2.17 /lib64/ld-linux-x86-64.so.2 \
         diag_tool-x86_64-unknown-linux-gnu-v1.0.0.tar.gz \
         diag_tool-x86_64-unknown-linux-gnu-v1.0.0 3 ba7816bf"
    ));
    assert!(script_text.contains("\nx86_64-unknown-linux-musl x86_64,amd64 musl - - "));
    let output = Command::new("shellcheck")
        .args(["-s", "sh"])
        .arg(&path)
        .output()
        .expect("shellcheck is needed: apt-get install shellcheck");
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn the_gnu_build_is_chosen_only_from_the_glibc_its_binary_was_verified_to_need() {
    // Versions compare as integers: 2.9 is older than 2.17.
    for (host, gnu) in
        [("2.9", false), ("2.12", false), ("2.17", true), ("2.36", true), ("3.0", true)]
    {
        let output = run(&gnu_and_musl(), "x86_64", Some(host), &["--dry-run", "--from", "/"]);
        let text = text(&output);
        assert!(output.status.success(), "{text}");
        let chosen = if gnu { "x86_64-unknown-linux-gnu," } else { "x86_64-unknown-linux-musl," };
        assert!(text.contains(chosen), "glibc {host}: {text}");
        assert!(
            text.contains(&format!("this host has glibc {host} (getconf GNU_LIBC_VERSION)")),
            "{text}"
        );
        assert!(text.contains("glibc 2.17 or later (verified from its binary)"), "{text}");
    }
    // Where getconf does not answer, the loader does (the busybox chroot of .ci/test-installer
    // has neither).
    let output = run(&gnu_and_musl(), "amd64", None, &["--dry-run", "--from", "/"]);
    let text = text(&output);
    assert!(
        text.contains("x86_64-unknown-linux-gnu, because this host has glibc ")
            && text.contains("(/lib64/ld-linux-x86-64.so.2 --version)"),
        "{text}"
    );
}

#[test]
fn a_host_below_the_floor_without_a_musl_build_is_told_the_glibc_it_needs() {
    let output = run(&gnu_only(), "x86_64", Some("2.12"), &["--dry-run", "--from", "/"]);
    assert_eq!(output.status.code(), Some(1));
    let text = text(&output);
    assert!(
        text.contains("diag_tool 1.0.0 for x86_64 needs glibc 2.17 or later")
            && text.contains("this host has glibc 2.12")
            && text.contains("no static musl build for x86_64"),
        "{text}"
    );
}

#[test]
fn an_unknown_architecture_is_named_with_the_ones_there_are() {
    let output = run(&gnu_and_musl(), "mips", Some("2.36"), &["--from", "/"]);
    assert_eq!(output.status.code(), Some(1));
    let text = text(&output);
    assert!(
        text.contains("no build of diag_tool 1.0.0 for this machine's architecture `mips` (uname -m): there are builds for x86_64"),
        "{text}"
    );
}

#[test]
fn without_a_github_repository_the_user_names_where_to_download_from() {
    let mut manifest = gnu_only();
    manifest.package.repository = None;
    let output = run(&manifest, "x86_64", Some("2.36"), &["--dry-run"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("names no GitHub repository"), "{}", text(&output));
    manifest.package.repository = Some("https://github.com/acme/diag_tool.git".into());
    let output = run(&manifest, "x86_64", Some("2.36"), &["--dry-run"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output)
            .contains("from https://github.com/acme/diag_tool/releases/download/v1.0.0 into ")
    );
}

#[test]
fn the_default_base_url_is_the_github_release_of_the_version() {
    let mut manifest = gnu_only();
    for (repository, url) in [
        (
            "https://github.com/acme/tool",
            Some("https://github.com/acme/tool/releases/download/v1.0.0"),
        ),
        (
            "https://github.com/acme/tool/",
            Some("https://github.com/acme/tool/releases/download/v1.0.0"),
        ),
        ("https://gitlab.com/acme/tool", None),
        ("https://github.com/acme", None),
        ("https://github.com/acme/tool/tree/main", None),
    ] {
        manifest.package.repository = Some(repository.into());
        assert_eq!(default_base_url(&manifest).as_deref(), url, "{repository}");
    }
}

#[test]
fn a_manifest_value_the_script_cannot_carry_is_refused() {
    let mut manifest = gnu_only();
    manifest.targets[0].artifacts[0].name = "diag tool'.tar.gz".into();
    let err = render(&manifest).unwrap_err().to_string();
    assert!(err.contains("\"diag tool'.tar.gz\", which install.sh cannot carry"), "{err}");
    // Values outside the rows are quoted instead.
    assert_eq!(sh_quote("it's"), r"'it'\''s'");
}

#[test]
fn the_template_alone_refuses_to_run() {
    let output = Command::new("dash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/formats/install.sh"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("this is the template of install.sh"));
}

#[test]
fn a_gnu_binary_that_needs_no_glibc_version_takes_any_glibc() {
    let mut manifest = gnu_and_musl();
    manifest.targets[0].binary.glibc_max = None;
    let output = run(&manifest, "x86_64", Some("2.3"), &["--dry-run", "--from", "/"]);
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("x86_64-unknown-linux-gnu, because this host has glibc 2.3")
            && text.contains("needs a glibc, of any version"),
        "{text}"
    );
}

/// Installs, from a directory, a gnu build whose binary is a script that prints `first` and
/// another line.
fn install_binary_printing(first: &str) -> Output {
    let files = tempfile::tempdir().unwrap();
    let top = "diag_tool-x86_64-unknown-linux-gnu-v1.0.0";
    std::fs::create_dir(files.path().join(top)).unwrap();
    let bin = files.path().join(top).join("diag_tool");
    std::fs::write(&bin, format!("#!/bin/sh\necho '{first}'; echo more\n")).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let name = format!("{top}.tar.gz");
    let tar = Command::new("tar").args(["-czf", &name, top]).current_dir(files.path()).status();
    assert!(tar.unwrap().success());
    let path = files.path().join(&name);
    let mut artifact = archive(&name);
    artifact.size = std::fs::metadata(&path).unwrap().len();
    artifact.sha256 = checksums::sha256_file(&path).unwrap();
    let mut manifest = manifest::sample("x86_64-unknown-linux-gnu", "1.0.0", artifact);
    manifest.minisign_pubkey = None;
    let prefix = files.path().join("prefix");
    let (from, prefix) = (files.path().to_str().unwrap(), prefix.to_str().unwrap());
    run(&manifest, "x86_64", Some("2.36"), &["--from", from, "--prefix", prefix])
}

#[test]
fn a_binary_naming_its_version_anywhere_in_its_first_line_is_installed() {
    let output = install_binary_printing("diag_tool 1.0.0 (rev abc123, 2026-12-01)");
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("bin/diag_tool"), "{}", text(&output));
}

#[test]
fn a_binary_naming_another_version_is_not_installed() {
    let output = install_binary_printing("diag_tool 0.9.0");
    assert!(!output.status.success());
    assert!(
        text(&output).contains(
            "`diag_tool --version` printed `diag_tool 0.9.0`, expected a first line \
             containing `1.0.0`; nothing was installed"
        ),
        "{}",
        text(&output)
    );
}
