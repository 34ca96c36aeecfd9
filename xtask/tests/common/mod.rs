//! What the tests that run the real `xtask` binary share.

use std::path::Path;
use std::process::Command;

/// The workspace root, where `xtask` runs.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The built `xtask` binary, run from the workspace root. The archive timestamp is fixed, so
/// the tests pass in a checkout with no commit yet (a fresh `cargo generate` project).
#[allow(dead_code)] // tests of a fork run its own
pub fn xtask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.current_dir(root()).env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

/// Copies the checkout's files as they are now, committed or not, links kept as links: a fork
/// made of this working tree.
#[allow(dead_code)] // not every test binary makes a fork
pub fn copy_checkout(from: &Path, to: &Path) {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(from)
        .output()
        .expect("running git ls-files");
    assert!(output.status.success(), "git ls-files failed in {}", from.display());
    let listed = String::from_utf8(output.stdout).expect("UTF-8 paths");
    for rel in listed.split('\0').filter(|r| !r.is_empty()) {
        let (source, dest) = (from.join(rel), to.join(rel));
        let Ok(meta) = source.symlink_metadata() else {
            continue; // deleted in the working tree
        };
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(&source, &dest).unwrap();
        }
    }
}

/// Runs `program` in `dir` with that checkout's own target directory and a fixed archive
/// time, giving its output, or what it printed on failure.
#[allow(dead_code)] // only the tests that build a fork run commands in it
pub fn try_run(dir: &Path, target: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{program} {args:?} failed in {}:\n{stderr}", dir.display()));
    }
    Ok(String::from_utf8(output.stdout).expect("UTF-8 output"))
}

/// [`try_run`] in `dir` with `dir/target`; fails the test unless the command succeeds.
#[allow(dead_code)] // only the tests that build a fork run commands in it
pub fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    try_run(dir, &dir.join("target"), program, args).unwrap_or_else(|e| panic!("{e}"))
}
