//! What the tests that build a fork of the workspace share: a copy of the checkout, and
//! commands run in it with its own target directory.

use std::path::Path;
use std::process::Command;

/// Runs `program` in `dir` with the fork's own target directory and a fixed archive time;
/// fails the test unless it succeeds, and gives its output.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{program} {args:?} failed in {}:\n{stderr}",
        dir.display()
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The checkout's files as they are now, committed or not, links kept as links.
pub fn copy_checkout(from: &Path, to: &Path) {
    let listed = run(
        from,
        "git",
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
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
