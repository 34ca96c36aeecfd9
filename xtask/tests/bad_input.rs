//! Every mistake a user can make on the command line ends in a clear error and a non-zero exit,
//! never a panic. These run the real binary and stop before any build, so they are quick.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output};

mod common;

fn xtask(args: &[&OsStr], env: &[(&str, &OsStr)]) -> Output {
    let mut cmd = common::xtask();
    cmd.args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().expect("xtask runs")
}

fn args<'a>(list: &'a [&'a str]) -> Vec<&'a OsStr> {
    list.iter().map(OsStr::new).collect()
}

/// Fails with exit code 1 and a last line `error: ...` that contains `message`; nothing on
/// stderr looks like a panic.
fn assert_error(output: &Output, message: &str) -> String {
    assert_exit(output, 1, message)
}

/// A value the command line cannot take: exit code 2, as cargo gives for usage errors.
fn assert_usage_error(output: &Output, message: &str) -> String {
    let stderr = assert_exit(output, 2, message);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

fn assert_exit(output: &Output, code: i32, message: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    assert!(stderr.contains(message), "expected `{message}` in:\n{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{stderr}");
    stderr
}

#[test]
fn unknown_architecture_names_the_supported_ones() {
    let output = xtask(&args(&["dist", "--target", "mips-unknown-linux-gnu"]), &[]);
    assert_usage_error(
        &output,
        "error: can't parse `--target`, unsupported architecture `mips` in \
         `mips-unknown-linux-gnu`: supported are x86_64, aarch64, armv7, riscv64gc",
    );
}

#[test]
fn a_known_but_unconfigured_target_says_how_to_add_it() {
    let output = xtask(&args(&["dist", "--target", "s390x-unknown-linux-gnu"]), &[]);
    let stderr = assert_error(
        &output,
        "error: target `s390x-unknown-linux-gnu` is not configured; configured are: \
         x86_64-unknown-linux-gnu",
    );
    assert!(stderr.contains("Add it as a [[workspace.metadata.release.targets]] entry"));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn malformed_triple_shows_the_expected_form() {
    let output = xtask(&args(&["dist", "--target", "x86_64-linux"]), &[]);
    assert_usage_error(
        &output,
        "error: can't parse `--target`, malformed target triple `x86_64-linux`: expected \
         <arch>-<vendor>-linux-<gnu|musl>",
    );
}

#[test]
fn unknown_builder_lists_the_builders() {
    let output = xtask(&args(&["dist", "--builder", "docker"]), &[]);
    assert_usage_error(
        &output,
        "unknown builder `docker`: expected auto, cargo, zigbuild or cross",
    );
}

#[test]
fn unknown_message_format_lists_the_formats() {
    let output = xtask(&args(&["dist", "--message-format", "xml"]), &[]);
    assert_usage_error(&output, "unknown --message-format `xml`: expected human or json");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let output = xtask(&args(&["dist", "--frobnicate"]), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unexpected flag: `--frobnicate`"), "{stderr}");
}

#[test]
fn missing_linker_set_by_the_environment_names_the_variable() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    let output = xtask(
        &[
            "dist".as_ref(),
            "--builder".as_ref(),
            "cargo".as_ref(),
            "--target".as_ref(),
            "aarch64-unknown-linux-gnu".as_ref(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ],
        &[("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "/nonexistent/gcc".as_ref())],
    );
    let stderr = assert_error(&output, "error: 1 of 1 target(s) failed");
    assert!(
        stderr.contains(
            "error aarch64-unknown-linux-gnu: preflight failed: linker `/nonexistent/gcc` \
             (set by CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER) is missing: install \
             `/nonexistent/gcc`, or unset CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"
        ),
        "{stderr}"
    );
    // Nothing was built, so nothing may claim to be a release: the out dir was not made, and
    // the run's staging directory is gone; the lock file beside it stays (it holds no data).
    let mut left: Vec<_> =
        std::fs::read_dir(scratch.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, [".out.lock"], "{left:?}");
}

/// A toolchain without the target's standard library, as after a fresh `rustup` install: a
/// `rustc` first on PATH whose sysroot has no `lib/rustlib/<target>` (any other call goes to
/// the real rustc). Nothing is uninstalled.
#[test]
fn missing_rust_std_names_the_rustup_command() {
    let scratch = tempfile::tempdir().unwrap();
    let sysroot = scratch.path().join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib/rustlib")).unwrap();
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = Command::new("rustc").args(["--print", "sysroot"]).output().unwrap();
    let real_rustc = Path::new(String::from_utf8(real.stdout).unwrap().trim()).join("bin/rustc");
    let script = format!(
        "#!/bin/sh\nif [ \"$1 $2\" = \"--print sysroot\" ]; then echo '{}'; exit 0; fi\nexec '{}' \"$@\"\n",
        sysroot.display(),
        real_rustc.display()
    );
    let rustc = bin.join("rustc");
    std::fs::write(&rustc, script).unwrap();
    Command::new("chmod").arg("+x").arg(&rustc).status().unwrap();
    let mut path = OsString::from(bin.as_os_str());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());

    let out = scratch.path().join("out");
    let output = xtask(
        &[
            "dist".as_ref(),
            "--target".as_ref(),
            "x86_64-unknown-linux-musl".as_ref(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ],
        &[("PATH", &path)],
    );
    let stderr = assert_error(&output, "error: 1 of 1 target(s) failed");
    assert!(
        stderr.contains(
            "Rust standard library for x86_64-unknown-linux-musl is missing: rustup target add x86_64-unknown-linux-musl"
        ),
        "{stderr}"
    );
}

#[test]
fn out_dir_under_a_regular_file_is_refused_before_building() {
    // Permission bits do not stop root; a path through a regular file stops everyone.
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = file.join("dist");
    let output = xtask(
        &[
            "dist".as_ref(),
            "--target".as_ref(),
            "x86_64-unknown-linux-musl".as_ref(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ],
        &[],
    );
    let stderr =
        assert_error(&output, &format!("cannot create the output directory {}", out.display()));
    let found = format!("{} is a file, not a directory", file.display());
    assert!(stderr.contains(&found), "{stderr}");
    assert!(!stderr.contains("Building"), "{stderr}");
}

#[test]
fn verify_on_a_file_that_is_not_elf_says_what_it_starts_with() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("notes.txt");
    std::fs::write(&file, "hello world\n").unwrap();
    let output = xtask(
        &[
            "verify".as_ref(),
            file.as_os_str(),
            "--target".as_ref(),
            "x86_64-unknown-linux-musl".as_ref(),
        ],
        &[],
    );
    let stderr = assert_error(
        &output,
        &format!(
            "error: inspecting {}: not an ELF file: starts with \"hello world\\n\"",
            file.display()
        ),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn verify_on_a_missing_file_says_it_cannot_read_it() {
    let output = xtask(
        &args(&["verify", "/nonexistent/diag_tool", "--target", "x86_64-unknown-linux-musl"]),
        &[],
    );
    assert_error(&output, "error: reading /nonexistent/diag_tool: no such file or directory");
}

#[test]
fn verify_on_a_truncated_elf_file_says_malformed() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("cut");
    let exe = std::fs::read(env!("CARGO_BIN_EXE_xtask")).unwrap();
    std::fs::write(&file, &exe[..100]).unwrap();
    let output = xtask(
        &[
            "verify".as_ref(),
            file.as_os_str(),
            "--target".as_ref(),
            "x86_64-unknown-linux-gnu".as_ref(),
        ],
        &[],
    );
    assert_error(&output, "malformed ELF: ");
}

#[test]
fn verify_on_a_non_utf8_file_name_reads_the_file() {
    let scratch = tempfile::tempdir().unwrap();
    let mut name = scratch.path().as_os_str().to_owned();
    name.push("/bin-");
    name.push(OsStr::from_bytes(b"\xff"));
    std::fs::write(&name, "#!/bin/sh\n").unwrap();
    let output = xtask(
        &["verify".as_ref(), &name, "--target".as_ref(), "x86_64-unknown-linux-musl".as_ref()],
        &[],
    );
    // The name is shown with U+FFFD; the file itself was read.
    assert_error(&output, "bin-\u{fffd}: not an ELF file: starts with \"#!/bin/sh\\n\"");
}

#[test]
fn verify_with_a_bad_glibc_floor_shows_the_form() {
    let output = xtask(
        &[
            "verify".as_ref(),
            OsStr::new(env!("CARGO_BIN_EXE_xtask")),
            "--target".as_ref(),
            "x86_64-unknown-linux-gnu".as_ref(),
            "--glibc-floor".as_ref(),
            "two".as_ref(),
        ],
        &[],
    );
    assert_usage_error(
        &output,
        "error: can't parse `--glibc-floor`, `two` is not a glibc version such as 2.17",
    );
}

#[test]
fn adopt_refuses_a_folder_without_a_package_outside_or_a_binary_it_lacks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let before = std::fs::read(root.join("Cargo.toml")).unwrap();
    let output = xtask(&args(&["adopt", "xtask/tests/fixtures"]), &[]);
    assert_error(&output, "xtask/tests/fixtures has no Cargo.toml: give the folder");
    let output = xtask(&args(&["adopt", "/tmp"]), &[]);
    assert_error(&output, "outside");
    // A member already: nothing to join, and the refusal comes before any write.
    let output = xtask(&args(&["adopt", "xtask", "--bin", "nope"]), &[]);
    assert_error(&output, "`xtask` has no binary `nope`; it has xtask");
    assert_eq!(std::fs::read(root.join("Cargo.toml")).unwrap(), before);
}
