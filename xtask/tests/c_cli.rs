//! A team's own CLI ships from a fork of the workspace by `cargo xtask adopt`, the README's
//! "Bring your own CLI" path. The fixture `fixtures/c-cli` is shaped like a real one: the C and
//! C++ dependencies real tools have (jemalloc, zstd, bundled SQLite, vendored OpenSSL, ring, a
//! C++ file of its own), a binary named unlike its package, `--version` printing
//! `c-cli 1.2.3 (rev …)` and another line, `Unlicense OR MIT`, a description of several lines,
//! no man pages. dist builds it for every target (zig compiles the C of the musl ones),
//! verifies, smoke-runs (QEMU for aarch64) and packages it; each binary calls every library and
//! names the commit it was built from, also after a second commit.
//!
//! Ignored by `cargo test`: it builds OpenSSL and the rest once per target (minutes). `.ci/run`
//! runs it with `--ignored`; `C_CLI_TARGETS` (triples, space-separated) picks fewer targets, and
//! `C_CLI_BENCH=1` adds the bench's build rows for the fixture (`cargo xtask bench --builds`).

mod common;

use std::path::Path;

use common::{copy_checkout, run};

/// The lines each library adds to the fixture's output, called at run time.
const LIBRARIES: [&str; 5] = ["jemalloc ", "zstd ", "sqlite ", "OpenSSL ", "c++: "];

fn git(dir: &Path, args: &[&str]) -> String {
    let who = ["-c", "user.name=Fleet Team", "-c", "user.email=fleet@example.com"];
    run(dir, "git", &[&who[..], args].concat())
}

/// The binary's output for `args`, run through the target's runner.
fn run_binary(dir: &Path, target: &serde_json::Value, binary: &Path, args: &[&str]) -> String {
    let runner = target["runner"].as_str().unwrap_or_default();
    let mut command: Vec<&str> = runner.split_whitespace().collect();
    command.push(binary.to_str().unwrap());
    command.extend(args);
    run(dir, command[0], &command[1..])
}

#[test]
#[ignore = "builds OpenSSL, SQLite, jemalloc, zstd and ring for every target; .ci/run runs it"]
fn a_teams_cli_with_c_and_cpp_dependencies_ships_on_every_target() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_checkout(root, &fork);
    copy_checkout(&root.join("xtask/tests/fixtures/c-cli"), &fork.join("c-cli"));
    git(&fork, &["init", "--quiet"]);
    git(&fork, &["add", "-A"]);
    git(&fork, &["commit", "--quiet", "-m", "Fork, with our CLI copied in"]);

    let said = run(&fork, "cargo", &["xtask", "adopt", "c-cli"]);
    assert!(said.contains("`c-cli` 1.2.3 ships now (binary `ccli`)"), "{said}");
    assert!(said.contains("add a `## [1.2.3]` section to CHANGELOG.md"), "{said}");
    // What the team writes itself: the release's notes, and the one policy line vendored
    // OpenSSL needs (it records its build directory as its engines and modules folders).
    let changelog = fork.join("CHANGELOG.md");
    let notes = std::fs::read_to_string(&changelog).unwrap().replacen(
        "## [Unreleased]\n",
        "## [Unreleased]\n\n## [1.2.3] - 2026-12-05\n\n- Shipped by the template.\n",
        1,
    );
    std::fs::write(&changelog, notes).unwrap();
    let manifest = fork.join("Cargo.toml");
    let policy = std::fs::read_to_string(&manifest).unwrap().replacen(
        "package = \"c-cli\"\n",
        "package = \"c-cli\"\nallow-build-paths = [\"openssl-build/install\"]\n",
        1,
    );
    std::fs::write(&manifest, policy).unwrap();
    git(&fork, &["commit", "--quiet", "-am", "Ship c-cli"]);

    let plan: serde_json::Value =
        serde_json::from_str(&run(&fork, "cargo", &["xtask", "plan", "--json"])).unwrap();
    let wanted = std::env::var("C_CLI_TARGETS").unwrap_or_default();
    let targets: Vec<&serde_json::Value> = (plan["targets"].as_array().unwrap().iter())
        .filter(|t| wanted.is_empty() || wanted.split(' ').any(|w| t["target"] == w))
        .collect();
    let out = fork.join("dist");
    let mut args = vec!["xtask", "dist", "--out-dir", out.to_str().unwrap()];
    for target in &targets {
        args.extend(["--target", target["target"].as_str().unwrap()]);
    }
    run(&fork, "cargo", &args);
    run(&out, "sha256sum", &["--check", "--strict", "SHA256SUMS"]);
    let rev = git(&fork, &["rev-parse", "--short=12", "HEAD"]);
    for target in &targets {
        let triple = target["target"].as_str().unwrap();
        let archive = target["archive"].as_str().unwrap();
        run(&out, "tar", &["-xzf", archive]);
        let binary = out.join(target["binary"].as_str().unwrap());
        assert!(binary.ends_with("ccli"), "{}", binary.display());
        let said = run_binary(&out, target, &binary, &[]);
        for library in LIBRARIES {
            assert!(said.contains(library), "{triple}: no `{library}` line in\n{said}");
        }
        // `verify FILE` runs dist's checks, and agrees.
        let verified =
            run(&fork, "cargo", &["xtask", "verify", binary.to_str().unwrap(), "--target", triple]);
        assert!(verified.contains("ok: meets the release policy"), "{verified}");
        let version = run_binary(&out, target, &binary, &["--version"]);
        assert!(version.starts_with(&format!("c-cli 1.2.3 (rev {})\n", rev.trim())), "{version}");
        for license in ["LICENSE-MIT", "UNLICENSE", "README.md"] {
            assert!(binary.with_file_name(license).is_file(), "{triple}: no {license}");
        }
        if let Some(deb) = (target["archives"].as_array().unwrap().iter())
            .filter_map(|a| a.as_str())
            .find(|a| a.ends_with(".deb"))
        {
            let summary = run(&out, "dpkg-deb", &["--field", deb, "Description"]);
            assert!(summary.starts_with("Calls jemalloc, zstd, SQLite"), "{summary}");
            let unpacked = scratch.path().join(triple);
            run(&out, "dpkg-deb", &["-x", deb, unpacked.to_str().unwrap()]);
            let copyright = unpacked.join("usr/share/doc/c-cli/copyright");
            let copyright = std::fs::read_to_string(copyright).unwrap();
            assert!(copyright.contains("License: Unlicense or MIT"), "{copyright}");
        }
    }

    // The next commit's release names that commit, though only Cargo.toml's policy changed:
    // dist reruns the build script that embeds it.
    let native = (targets.iter())
        .find(|t| t["runner"].is_null() && t["libc"] == "gnu")
        .or(targets.first())
        .unwrap();
    git(&fork, &["commit", "--quiet", "--allow-empty", "-m", "Another commit"]);
    let rev = git(&fork, &["rev-parse", "--short=12", "HEAD"]);
    let again = fork.join("dist-again");
    let triple = native["target"].as_str().unwrap();
    let out_dir = again.to_str().unwrap();
    run(&fork, "cargo", &["xtask", "dist", "--target", triple, "--out-dir", out_dir]);
    run(&again, "tar", &["-xzf", native["archive"].as_str().unwrap()]);
    let binary = again.join(native["binary"].as_str().unwrap());
    let version = run_binary(&again, native, &binary, &["--version"]);
    assert!(version.starts_with(&format!("c-cli 1.2.3 (rev {})\n", rev.trim())), "{version}");

    // The bench's build rows for this package (dist against the plain builder commands, cold),
    // when asked: they take as long as the test again.
    if std::env::var_os("C_CLI_BENCH").is_some() {
        println!("{}", run(&fork, "cargo", &["xtask", "bench", "--builds"]));
    }
}
