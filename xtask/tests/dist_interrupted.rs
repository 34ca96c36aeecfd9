//! The real `cargo xtask dist`, killed while it packages, given an out dir with another
//! version's archives, and an out dir whose name is not UTF-8. A run builds its set in a
//! staging directory beside the out dir (`.out.staging-*`) and switches it in whole.
//!
//! Cost: the first run builds `diag_tool` for x86_64-unknown-linux-musl with the release
//! profile in `<target dir>/dist-build/x86_64-unknown-linux-musl` (a minute or two on two cores). That is the
//! directory `cargo xtask dist` itself uses, so later runs here and the full dist in CI reuse
//! the build: each run below then takes a few seconds (cargo's no-op check, the smoke run and
//! the packaging).

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TARGET: &str = "x86_64-unknown-linux-musl";

/// One dist at a time: they share a build directory, and a second cargo would only wait for
/// the first one's lock.
static DIST: Mutex<()> = Mutex::new(());

mod common;

fn dist(out_dir: &Path) -> Command {
    let mut cmd = common::xtask();
    cmd.args(["dist", "--target", TARGET, "--out-dir"]).arg(out_dir);
    cmd
}

/// Runs dist into `out_dir`; its status lines.
fn run_dist(out_dir: &Path) -> String {
    let output = dist(out_dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "dist into {} failed:\n{stderr}", out_dir.display());
    stderr
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// `program args...` run in `dir` succeeds.
fn succeeds(dir: &Path, program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
        .success()
}

/// What a finished dist promises: every checksum file checks with the system's sha256sum.
fn assert_checksums_hold(dir: &Path) {
    for name in names(dir) {
        if name == "SHA256SUMS" || name.ends_with(".sha256") {
            assert!(
                succeeds(dir, "sha256sum", &["--check", "--strict", &name]),
                "{name} does not check in {}",
                dir.display()
            );
        }
    }
}

/// The staging directory a running dist into `out` writes in, if there is one yet.
fn staging_of(out: &Path) -> Option<PathBuf> {
    let prefix = format!(".{}.staging-", out.file_name()?.to_str()?);
    names(out.parent()?).into_iter().find(|n| n.starts_with(&prefix)).map(|n| out.with_file_name(n))
}

/// Every file's name and bytes, to show a directory did not change.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let read = |n: String| (n.clone(), std::fs::read(dir.join(&n)).unwrap());
    names(dir).into_iter().map(read).collect()
}

#[test]
fn killed_dist_leaves_the_previous_release_complete() {
    let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    // The build is the slow part and must not be what gets killed: do it first. It leaves
    // the release the killed run must not damage.
    run_dist(&out);
    let before = snapshot(&out);

    // Files are written under hidden temporary names in the staging directory and renamed
    // when complete: kill the moment such a name appears, so the kill lands mid-write. On a
    // busy machine the poll may miss the window; then the run is repeated, a few times at most.
    let mut attempts = 0;
    let seen = loop {
        attempts += 1;
        let log = File::create(scratch.path().join("killed.log")).unwrap();
        let mut child = dist(&out).stdout(Stdio::null()).stderr(log).spawn().unwrap();
        let started = Instant::now();
        let seen = loop {
            let temp =
                staging_of(&out).and_then(|dir| names(&dir).into_iter().find(|n| is_temp(n)));
            if let Some(name) = temp {
                child.kill().unwrap();
                break Some(name);
            }
            if child.try_wait().unwrap().is_some() {
                break None;
            }
            assert!(started.elapsed() < Duration::from_secs(600), "no temporary file");
            std::thread::sleep(Duration::from_millis(1));
        };
        child.wait().unwrap();
        match seen {
            Some(name) => break name,
            None if attempts < 5 => continue,
            None => panic!("dist finished {attempts} times before a temporary file was seen"),
        }
    };
    eprintln!("killed at {seen}");
    // The killed run changed nothing in the out dir: the same files, byte for byte.
    assert!(snapshot(&out) == before, "the out dir changed: {:?}", names(&out));
    assert_checksums_hold(&out);

    // The next run completes over whatever the killed one left behind, and clears it.
    run_dist(&out);
    let after = names(&out);
    assert!(after.contains(&"SHA256SUMS".to_string()), "{after:?}");
    assert_checksums_hold(&out);
    let leftovers: Vec<&String> = after.iter().filter(|n| n.starts_with('.')).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(staging_of(&out), None, "{:?}", names(scratch.path()));
}

#[test]
fn stale_archives_of_another_version_stay_out_of_the_checksums() {
    let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let stale = format!("diag_tool-{TARGET}-v0.0.9.tar.gz");
    std::fs::write(out.join(&stale), b"an old release").unwrap();
    std::fs::write(out.join("diag_tool-v0.0.9-oci.tar"), b"an old image").unwrap();
    std::fs::write(
        out.join(format!("{stale}.sha256")),
        format!("b9e1bd1e1bd7e8e1dc9d0a5f2be2e6b5a1e0f7f0b5e1e6d3d1f0a9c9b8a7f6e5  {stale}\n"),
    )
    .unwrap();

    let status = run_dist(&out);
    // The status lines name the out dir, not the staging directory the set was written in.
    assert!(status.contains(&format!("Wrote SHA256SUMS: {}\n", out.display())), "{status}");
    assert!(!status.contains(".staging-"), "{status}");
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    // The archive, its SBOM, install.sh and the image of its one platform.
    assert_eq!(sums.lines().count(), 4, "{sums}");
    assert!(
        sums.contains(&format!("diag_tool-{TARGET}-v"))
            && sums.contains("-oci.tar")
            && !sums.contains("v0.0.9"),
        "{sums}"
    );
    let installer = std::fs::read_to_string(out.join("install.sh")).unwrap();
    assert!(!installer.contains("v0.0.9"), "{installer}");
    // The new set replaced the old one whole: no stale file is left beside it.
    let left = names(&out);
    assert!(!left.iter().any(|n| n.contains("v0.0.9")), "{left:?}");
    let manifest = std::fs::read_to_string(out.join("release-manifest.json")).unwrap();
    assert!(!manifest.contains("v0.0.9"), "{manifest}");
    assert!(succeeds(&out, "sha256sum", &["--check", "--strict", "SHA256SUMS"]));
}

#[test]
fn dist_writes_into_an_out_dir_whose_name_is_not_utf8() {
    let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let mut out = scratch.path().as_os_str().to_owned();
    out.push("/dist-");
    out.push(OsStr::from_bytes(b"\xff"));
    let out = PathBuf::from(out);

    run_dist(&out);
    let found = names(&out);
    assert!(found.contains(&"SHA256SUMS".to_string()), "{found:?}");
    assert_checksums_hold(&out);
}

#[test]
fn a_failed_target_leaves_the_out_dir_as_it_was_and_does_not_stop_the_others() {
    let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // What an earlier run left: a failed run must not add to it, nor take from it.
    let earlier = "diag_tool-aarch64-unknown-linux-gnu-v0.1.0.tar.gz";
    std::fs::write(out.join(earlier), b"an earlier build").unwrap();
    let before = snapshot(&out);
    let output = dist(&out)
        .args(["--target", "aarch64-unknown-linux-gnu", "--builder", "cargo"])
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "/nonexistent/gcc")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: 1 of 2 target(s) failed"), "{stderr}");
    let row = |triple: &str| stdout.lines().find(|l| l.starts_with(triple)).map(str::to_string);
    assert!(row(TARGET).is_some_and(|r| r.ends_with(" ok")), "{stdout}");
    let failed = row("aarch64-unknown-linux-gnu");
    assert!(failed.is_some_and(|r| r.ends_with(" FAILED")), "{stdout}");

    // No partial set passes for a release: the out dir is as it was, and the staging
    // directory with the one target that did succeed is gone.
    assert!(snapshot(&out) == before, "{:?}", names(&out));
    assert_eq!(staging_of(&out), None);
}
