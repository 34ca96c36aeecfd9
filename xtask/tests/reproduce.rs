//! `cargo xtask reproduce` on real releases in a clone: a fresh one reproduces, and each planted
//! difference (a flipped byte, an uncommitted change, a manifest naming another commit) fails
//! with a message that names it, while the release directory is left as it was.
//!
//! Ignored by `cargo test`: it builds one target five times (minutes). `.ci/run` runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TARGET: &str = "x86_64-unknown-linux-musl";

fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

fn ok(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = run(dir, program, args);
    assert!(out.status.success(), "{program} {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn dist(clone: &Path, out: &Path) {
    let out = out.to_str().unwrap();
    ok(clone, "cargo", &["xtask", "dist", "--no-smoke", "--target", TARGET, "--out-dir", out]);
}

/// `reproduce DIR` fails; its message is returned. DIR must be unchanged by it.
fn refused(clone: &Path, dir: &Path) -> String {
    let before = snapshot(dir);
    let out = run(clone, "cargo", &["xtask", "reproduce", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(snapshot(dir), before, "reproduce changed {}", dir.display());
    stderr
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

fn archive(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("an archive")
}

#[test]
#[ignore = "rebuilds a release target five times; .ci/run runs it"]
fn releases_reproduce_and_each_planted_difference_names_its_cause() {
    let scratch = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let clone = scratch.path().join("clone");
    ok(root, "git", &["clone", "--quiet", root.to_str().unwrap(), clone.to_str().unwrap()]);
    let git = |args: &[&str]| ok(&clone, "git", args);
    git(&["config", "user.email", "ci@example.invalid"]);
    git(&["config", "user.name", "CI"]);

    // A fresh release reproduces, and reproducing leaves it as it was.
    let fresh = scratch.path().join("fresh");
    dist(&clone, &fresh);
    let before = snapshot(&fresh);
    let said = ok(&clone, "cargo", &["xtask", "reproduce", fresh.to_str().unwrap()]);
    assert!(said.contains("reproduced:"), "{said}");
    assert_eq!(snapshot(&fresh), before);

    // One flipped byte in the archive.
    let flipped = scratch.path().join("flipped");
    copy_dir(&fresh, &flipped);
    let path = archive(&flipped);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let err = refused(&clone, &flipped);
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(&format!("{name} is not the file the manifest records")), "{err}");
    // A file that fails its hash is reported, never unpacked or given to diffoscope.
    assert!(
        err.contains(&format!("{name} fails its hash check")) && err.contains("not compared"),
        "{err}"
    );

    // A change the commit does not hold, in the checkout the release was built from.
    let cli = clone.join("diag_tool/src/cli.rs");
    let text = std::fs::read_to_string(&cli).unwrap();
    let changed = text.replacen("Hardware diagnostics", "Hardware diagnostics, changed,", 1);
    assert_ne!(changed, text, "the planted change must change the binary");
    std::fs::write(&cli, changed).unwrap();
    let dirty = scratch.path().join("dirty");
    dist(&clone, &dirty);
    let err = refused(&clone, &dirty);
    assert!(
        err.contains("built from a checkout with uncommitted changes (diag_tool/src/cli.rs)"),
        "{err}"
    );
    assert!(err.contains("differs from its rebuild: the contents of"), "{err}");

    // A manifest that names another commit than the one its files were built from.
    let first = git(&["rev-parse", "HEAD"]).trim().to_string();
    git(&["commit", "--quiet", "-am", "Another description"]);
    let other = scratch.path().join("other");
    dist(&clone, &other);
    let manifest = other.join("release-manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let second = git(&["rev-parse", "HEAD"]).trim().to_string();
    std::fs::write(&manifest, text.replace(&second, &first)).unwrap();
    let err = refused(&clone, &other);
    assert!(err.contains(&format!("(commit {first})")) || err.contains(&first), "{err}");
    assert!(err.contains("differs from its rebuild: the contents of"), "{err}");
}
