//! Attacks on the release tooling, each in a scratch directory: hostile `include` entries,
//! manifests and SHA256SUMS naming paths, planted links and a held lock, signing keys in the
//! environment, inputs that must be refused, and unbounded files. Each test asserts the attack
//! is refused or contained, and that nothing outside its scratch directory changed.
//!
//! Cost: most run xtask against a tiny scratch workspace and stop before building (a second
//! each); the secrets test builds that workspace's one-line crate (seconds); the merge test
//! reuses one dist of x86_64-unknown-linux-musl from the build directory the other dist
//! tests warm. The kill loop is `#[ignore]`d: `.ci/run` runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod common;

const TARGET: &str = "x86_64-unknown-linux-musl";

/// One dist of the real workspace at a time: they share a build directory.
static DIST: Mutex<()> = Mutex::new(());

/// A workspace of one tiny crate, `tool`, whose `build.rs` records its environment in
/// `build-env.txt` at the workspace root, and a release policy with `include`.
fn scratch_workspace(dir: &Path, include: &[&str]) -> PathBuf {
    let ws = dir.join("ws");
    std::fs::create_dir_all(ws.join("tool/src")).unwrap();
    std::fs::create_dir_all(ws.join("xtask")).unwrap();
    let include: Vec<String> = include.iter().map(|i| format!("{i:?}")).collect();
    let manifest = format!(
        "[workspace]\nmembers = [\"tool\"]\nresolver = \"2\"\n\n\
         [workspace.metadata.release]\npackage = \"tool\"\ninclude = [{}]\n\n\
         [[workspace.metadata.release.targets]]\ntriple = \"{TARGET}\"\n",
        include.join(", ")
    );
    std::fs::write(ws.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        ws.join("tool/Cargo.toml"),
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         license = \"MIT\"\ndescription = \"scratch\"\n",
    )
    .unwrap();
    std::fs::write(ws.join("tool/src/main.rs"), "fn main() {}\n").unwrap();
    let record = ws.join("build-env.txt");
    std::fs::write(
        ws.join("tool/build.rs"),
        format!(
            "fn main() {{\n    let env: Vec<String> = std::env::vars().map(|(k, v)| \
             format!(\"{{k}}={{v}}\")).collect();\n    std::fs::write({record:?}, \
             env.join(\"\\n\")).unwrap();\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(ws.join("LICENSE"), "MIT\n").unwrap();
    ws
}

/// The xtask binary run as the xtask of `ws` (its root is `CARGO_MANIFEST_DIR`'s parent).
fn xtask_in(ws: &Path, args: &[&str]) -> Command {
    let mut cmd = common::xtask();
    cmd.current_dir(ws)
        .env("CARGO_MANIFEST_DIR", ws.join("xtask"))
        .env("CARGO_TARGET_DIR", ws.join("target"))
        .args(args);
    cmd
}

/// Runs `cmd`, killing it after `limit`: a hang is a failure, not a stuck test.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let id = child.id();
    let started = Instant::now();
    let watchdog = std::thread::spawn(move || {
        while started.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
    });
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < limit,
        "killed after {limit:?}: it hung\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    drop(watchdog);
    output
}

fn refused(output: &Output, message: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(message), "expected `{message}` in:\n{stderr}");
    stderr
}

/// Every file below `dir` with its bytes, links as their targets: what "nothing changed" means.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = path.symlink_metadata().unwrap();
            if meta.is_dir() {
                pending.push(path);
            } else if meta.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                found.push((path, target.into_os_string().into_encoded_bytes()));
            } else if meta.is_file() {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            } else {
                found.push((path, b"special".to_vec()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn include_entries_outside_the_workspace_are_refused_by_name() {
    let scratch = tempfile::tempdir().unwrap();
    let outside = scratch.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), "host file").unwrap();
    let link = "link_to_a_folder_outside";
    for entry in ["/etc/hostname", "../../../../../../../../etc/passwd", link] {
        let ws = scratch_workspace(scratch.path(), &["LICENSE", entry]);
        let _ = std::fs::remove_file(ws.join(link));
        std::os::unix::fs::symlink(&outside, ws.join(link)).unwrap();
        let out = scratch.path().join("out");
        let output = xtask_in(&ws, &["dist", "--out-dir", out.to_str().unwrap()]).output().unwrap();
        let stderr = refused(&output, &format!("{entry} is listed in `include`"));
        assert!(stderr.contains("outside"), "{stderr}");
        assert!(!out.exists(), "{entry}: an out dir was made");
    }
}

#[test]
fn a_fifo_in_an_included_folder_is_refused_without_hanging() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch_workspace(scratch.path(), &["LICENSE", "docs"]);
    std::fs::create_dir_all(ws.join("docs")).unwrap();
    let fifo = ws.join("docs/fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = scratch.path().join("out");
    let cmd = xtask_in(&ws, &["dist", "--out-dir", out.to_str().unwrap()]);
    let output = output_within(cmd, Duration::from_secs(60));
    refused(&output, "is a FIFO: only regular files are read");
}

/// One dist of the real workspace for [`TARGET`], made once for every test that needs one.
fn release() -> &'static Path {
    static RELEASE: OnceLock<PathBuf> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
        // Under cargo's scratch directory for integration tests, replaced whole by each run.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-release");
        let output = common::xtask()
            .args(["dist", "--target", TARGET, "--out-dir"])
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn merge_refuses_parts_whose_manifest_names_paths() {
    let scratch = tempfile::tempdir().unwrap();
    let victim = scratch.path().join("x.cdx.json");
    std::fs::write(&victim, "a host file").unwrap();
    let sbom = format!("diag_tool-{TARGET}-v0.1.0.cdx.json");
    for hostile in ["../x.cdx.json".to_string(), victim.display().to_string()] {
        let part = scratch.path().join("part");
        let _ = std::fs::remove_dir_all(&part);
        copy_dir(release(), &part);
        let hash =
            String::from_utf8(Command::new("sha256sum").arg(&victim).output().unwrap().stdout)
                .unwrap()[..64]
                .to_string();
        for file in ["release-manifest.json", "SHA256SUMS"] {
            let text = std::fs::read_to_string(part.join(file)).unwrap();
            let old = text
                .lines()
                .find(|l| l.contains(&sbom))
                .map(|l| l.split_whitespace().next().unwrap().to_string())
                .unwrap();
            let text = text.replace(&sbom, &hostile);
            let text = if file == "SHA256SUMS" { text.replace(&old, &hash) } else { text };
            std::fs::write(part.join(file), text).unwrap();
        }
        let before = snapshot(scratch.path());
        let out = scratch.path().join("merged");
        let output = common::xtask()
            .args(["merge", part.to_str().unwrap(), "--out-dir"])
            .arg(&out)
            .output()
            .unwrap();
        refused(&output, "expected a plain file name");
        assert!(!out.exists());
        assert!(!scratch.path().join("x.cdx.json.sha256").exists());
        // The lock file beside the out dir is the one thing a refused run leaves.
        let _ = std::fs::remove_file(scratch.path().join(".merged.lock"));
        let after = snapshot(scratch.path());
        assert!(after == before, "{hostile}: files changed outside the out dir");
    }
}

#[test]
fn planted_links_are_not_followed_and_a_held_out_dir_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch_workspace(scratch.path(), &["LICENSE"]);
    let victim = scratch.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let out = scratch.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The names temporary files had before they were random, and a link in the out dir.
    for n in 0..16 {
        let name = format!(".SHA256SUMS.tmp-{n}-0");
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
    }
    let output = xtask_in(&ws, &["dist", "--out-dir", out.to_str().unwrap()]).output().unwrap();
    refused(&output, "which is not a release file");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");

    let held = scratch.path().join("held");
    let _lock = xtask::util::files::lock_dir(&held).unwrap();
    let output = xtask_in(&ws, &["dist", "--out-dir", held.to_str().unwrap()]).output().unwrap();
    let pid = std::process::id();
    refused(&output, &format!("another run (pid {pid}) is writing to"));
    assert!(!held.exists());
}

#[test]
fn no_signing_secret_reaches_a_build_script() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch_workspace(scratch.path(), &["LICENSE"]);
    assert!(
        Command::new("cargo")
            .args(["generate-lockfile", "--offline"])
            .current_dir(&ws)
            .status()
            .unwrap()
            .success()
    );
    let key = scratch.path().join("minisign.key");
    std::fs::write(&key, "untrusted comment: not a key\n").unwrap();
    let out = scratch.path().join("out");
    // However the run ends (the scratch crate has no man pages to package), it built.
    let _ = xtask_in(&ws, &["dist", "--no-smoke", "--out-dir", out.to_str().unwrap()])
        .env("MINISIGN_KEY", "SECRET-KEY-TEXT")
        .env("MINISIGN_KEY_FILE", &key)
        .env("MINISIGN_PASSWORD", "SECRET-PASSWORD")
        .env("PGP_KEY", "SECRET-PGP-KEY")
        .env("PGP_KEY_FILE", &key)
        .env("PGP_PASSWORD", "SECRET-PGP-PASSWORD")
        .output()
        .unwrap();
    let env = std::fs::read_to_string(ws.join("build-env.txt"))
        .expect("the build script ran and recorded its environment");
    assert!(env.contains("CARGO_PKG_NAME=tool"), "{env}");
    assert!(!env.contains("MINISIGN"), "{env}");
    assert!(!env.contains("PGP_"), "{env}");
    assert!(!env.contains("SECRET-"), "{env}");
}

#[test]
fn inputs_that_cannot_be_meant_are_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch_workspace(scratch.path(), &["LICENSE"]);
    let before = snapshot(&ws);
    let out = scratch.path().join("out");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["dist", "--target", TARGET, "--target", TARGET, "--out-dir", out], "is given twice"),
        (&["keygen", "--out", ""], "an empty path was given"),
        (&["dist", "--out-dir", ""], "an empty path was given"),
    ];
    for (args, message) in cases {
        refused(&xtask_in(&ws, args).output().unwrap(), message);
    }
    // A floor no builder can target, on the command line of the real workspace.
    let args = ["dist", "--target", "x86_64-unknown-linux-gnu.9.99", "--out-dir", out];
    let output = common::xtask().args(args).output().unwrap();
    refused(&output, "glibc floor 9.99 is above 2.44, the newest glibc");
    assert!(snapshot(&ws) == before, "the workspace changed");

    let toml = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    let floor = toml.replace(
        &format!("triple = \"{TARGET}\""),
        "triple = \"x86_64-unknown-linux-gnu\"\nglibc-floor = \"9.99\"",
    );
    std::fs::write(ws.join("Cargo.toml"), floor).unwrap();
    let output = xtask_in(&ws, &["plan"]).output().unwrap();
    refused(&output, "glibc floor 9.99 is above 2.44");

    let bogus = toml.replace(TARGET, "x86_64-bogus-linux-musl");
    std::fs::write(ws.join("Cargo.toml"), bogus).unwrap();
    let output = xtask_in(&ws, &["dist", "--out-dir", out]).output().unwrap();
    let stderr = refused(&output, "has no x86_64-bogus-linux-musl");
    assert!(!stderr.contains("rustup target add"), "{stderr}");
    assert!(!Path::new(out).exists());
}

#[test]
fn out_dir_problems_are_said_in_words() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch_workspace(scratch.path(), &["LICENSE"]);
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = xtask_in(&ws, &["dist", "--out-dir", file.to_str().unwrap()]).output().unwrap();
    let stderr = refused(&output, "is a file, not a directory");
    assert!(!stderr.contains("File exists"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn verify_refuses_what_is_not_a_regular_file_without_hanging() {
    let scratch = tempfile::tempdir().unwrap();
    let fifo = scratch.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, message) in [(fifo.as_path(), "is a FIFO"), (Path::new("/dev/zero"), "is a device")]
    {
        let mut cmd = common::xtask();
        cmd.args(["verify", "--target", TARGET]).arg(path);
        let output = output_within(cmd, Duration::from_secs(30));
        refused(&output, message);
    }
}

/// install.sh of [`release()`], from that directory into `prefix`, under `shell`, with `path`
/// first on PATH.
fn install(shell: &str, prefix: &Path, path: Option<&Path>) -> Output {
    let dir = release();
    let mut cmd = Command::new(shell);
    cmd.arg(dir.join("install.sh")).args(["--from", dir.to_str().unwrap(), "--prefix"]).arg(prefix);
    if let Some(first) = path {
        let rest = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{rest}", first.display()));
    }
    cmd.output().unwrap()
}

#[test]
fn install_sh_installs_all_files_or_none() {
    let scratch = tempfile::tempdir().unwrap();
    for shell in ["dash", "bash"] {
        // A folder where the binary goes: refused, not filled.
        let prefix = scratch.path().join(shell);
        std::fs::create_dir_all(prefix.join("bin/diag_tool")).unwrap();
        let output = install(shell, &prefix, None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains("is a directory, where the file bin/diag_tool goes"), "{stderr}");
        let inside: Vec<_> = std::fs::read_dir(prefix.join("bin/diag_tool")).unwrap().collect();
        assert!(inside.is_empty(), "{inside:?}");
        assert!(!prefix.join("share").exists());

        // The old binary cannot be replaced (an `mv` that fails for it): the man pages and
        // completions already moved are taken back out, the old binary stays.
        std::fs::remove_dir(prefix.join("bin/diag_tool")).unwrap();
        std::fs::write(prefix.join("bin/diag_tool"), "old binary").unwrap();
        let shims = scratch.path().join("shims");
        std::fs::create_dir_all(&shims).unwrap();
        let mv = shims.join("mv");
        let shim = "#!/bin/sh\nfor last; do :; done\ncase $last in */bin/diag_tool)\n  \
                    case \"$*\" in *unpacked*) echo 'mv: cannot replace' >&2; exit 1 ;; esac ;;\n\
                    esac\nexec /bin/mv \"$@\"\n";
        std::fs::write(&mv, shim).unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&mv).status().unwrap();
        // A stage a SIGKILLed run left behind.
        std::fs::create_dir_all(prefix.join(".diag_tool-install.AbC123/unpacked")).unwrap();
        let output = install(shell, &prefix, Some(&shims));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains("nothing was installed"), "{stderr}");
        assert_eq!(std::fs::read_to_string(prefix.join("bin/diag_tool")).unwrap(), "old binary");
        let left = snapshot(&prefix);
        assert_eq!(left.len(), 1, "{:?}", left.iter().map(|f| &f.0).collect::<Vec<_>>());

        // Without the shim it installs, and says so.
        let output = install(shell, &prefix, None);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(prefix.join("share/man/man1/diag_tool.1").is_file());
        let stages: Vec<_> = std::fs::read_dir(&prefix)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(stages.is_empty(), "{stages:?}");
    }
}

/// What a reader of the out dir may rely on at any moment: no hidden or temporary file, every
/// checksum file checks, every file is listed (or is a checksum or signature of one), and
/// every signature verifies with `public_key`.
fn assert_complete_release(dir: &Path, public_key: &Path) {
    let ok = |program: &str, args: &[&str]| {
        let status = Command::new(program).args(args).current_dir(dir).output().unwrap();
        assert!(status.status.success(), "{program} {args:?} in {}: {status:?}", dir.display());
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return; // no release yet
    };
    let names: Vec<String> =
        entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    ok("sha256sum", &["--check", "--strict", "--quiet", "SHA256SUMS"]);
    for name in &names {
        assert!(!name.starts_with('.'), "{name} in {names:?}");
        let base = name.trim_end_matches(".sig").trim_end_matches(".sha256");
        let listed = sums.lines().any(|l| l.ends_with(&format!("  {base}")));
        assert!(
            listed || ["SHA256SUMS", "release-manifest.json"].contains(&base),
            "{name} is not part of the release: {names:?}"
        );
        if name.ends_with(".sha256") {
            ok("sha256sum", &["--check", "--strict", "--quiet", name]);
        }
        if name.ends_with(".sig") {
            let key = public_key.to_str().unwrap();
            ok("minisign", &["-V", "-q", "-p", key, "-m", base, "-x", name]);
        }
    }
}

/// A pseudo-random number below `n` from the clock: kill moments need no seeded generator.
fn random_below(n: u128) -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    (nanos.wrapping_mul(6364136223846793005) % n.max(1)) as u64
}

/// Runs `make` to completion once, then 20 times killed with SIGKILL at a random moment of
/// its duration, signed and unsigned in turn, checking `out` after every kill.
fn kill_loop(out: &Path, keys: &Path, make: &dyn Fn() -> Command) {
    let started = Instant::now();
    let output = make().env("MINISIGN_KEY_FILE", keys.join("minisign.key")).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let length = started.elapsed().as_millis();
    let public = keys.join("minisign.pub");
    assert_complete_release(out, &public);
    for round in 0..20 {
        let mut cmd = make();
        if round % 2 == 0 {
            cmd.env("MINISIGN_KEY_FILE", keys.join("minisign.key"));
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(random_below(length)));
        let _ = child.kill();
        child.wait().unwrap();
        assert_complete_release(out, &public);
    }
    // An unsigned run over a signed release leaves no signature behind.
    let output = make().output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let names: Vec<_> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().ends_with(".sig")), "{names:?}");
    assert_complete_release(out, &public);
}

#[test]
#[ignore = "kills dist and merge 20 times each (a few minutes); .ci/run runs it"]
fn dist_and_merge_killed_at_random_moments_leave_a_complete_release() {
    let scratch = tempfile::tempdir().unwrap();
    let keys = scratch.path().join("keys");
    let output = common::xtask().args(["keygen", "--out"]).arg(&keys).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let part = release();
    let _one = DIST.lock().unwrap_or_else(|e| e.into_inner());
    let out = scratch.path().join("dist");
    kill_loop(&out, &keys, &|| {
        let mut cmd = common::xtask();
        cmd.args(["dist", "--target", TARGET, "--out-dir"]).arg(&out);
        cmd
    });
    let merged = scratch.path().join("merged");
    kill_loop(&merged, &keys, &|| {
        let mut cmd = common::xtask();
        cmd.arg("merge").arg(part).arg("--out-dir").arg(&merged);
        cmd
    });
}
