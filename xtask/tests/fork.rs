//! A fork adds targets by writing them into Cargo.toml and running `cargo xtask codegen`, and
//! nothing else: setup installs what they need, dist builds, verifies, smoke-runs and packages
//! them (a .deb and an .rpm for each gnu one), and the golden tests pass under QEMU for each.
//!
//! Ignored by `cargo test`: it builds three release binaries and three test suites in a copy
//! of the workspace (minutes). `.ci/run` runs it with `--ignored`. The every-arch test does the
//! same for each architecture and C library the table offers, one entry and one dist each.

mod common;

use std::path::Path;
use std::time::Instant;

use xtask::config::arch::ARCHES;

use common::{copy_checkout, run, try_run};

/// Targets of three other architectures and C libraries than the default list's.
const EXTRA: [&str; 3] =
    ["aarch64-unknown-linux-musl", "armv7-unknown-linux-gnueabihf", "riscv64gc-unknown-linux-gnu"];

/// Appends one `[[workspace.metadata.release.targets]]` entry per triple not listed yet.
fn add_targets(fork: &Path, triples: &[String]) {
    let manifest = fork.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    for triple in triples {
        if !text.contains(&format!("triple = \"{triple}\"")) {
            text.push_str(&format!(
                "\n[[workspace.metadata.release.targets]]\ntriple = \"{triple}\"\n"
            ));
        }
    }
    std::fs::write(&manifest, text).unwrap();
}

/// Every architecture of the table with glibc, and with musl where rustup has its library.
fn every_combination() -> Vec<String> {
    let mut all = Vec::new();
    for arch in ARCHES {
        all.push(format!("{}-unknown-linux-gnu{}", arch.rust, arch.abi));
        if arch.musl {
            all.push(format!("{}-unknown-linux-musl{}", arch.rust, arch.abi));
        }
    }
    all
}

/// `XTASK_COMBINATIONS`: `all`, or the triples it lists; unset, two picked by the commit's hash
/// (over a few commits every combination is built), passing over, and naming, those whose
/// standard library rustup cannot install on this machine.
fn chosen_combinations(root: &Path) -> Vec<String> {
    let all = every_combination();
    match std::env::var("XTASK_COMBINATIONS").as_deref() {
        Ok("all") => return all,
        Ok(list) => return list.split_whitespace().map(String::from).collect(),
        Err(_) => {}
    }
    let head = run(root, "git", &["rev-parse", "HEAD"]);
    let n = u64::from_str_radix(&head[..12], 16).expect("a hex hash");
    let start = (n % all.len() as u64) as usize;
    let stride = all.len() / 2;
    let mut picked = Vec::new();
    for i in 0..all.len() {
        let triple = &all[(start + i * stride) % all.len()];
        match try_run(root, &root.join("target"), "rustup", &["target", "add", triple]) {
            Ok(_) => picked.push(triple.clone()),
            Err(e) => println!("passed over {triple}: rustup cannot install its std here: {e}"),
        }
        if picked.len() == 2 {
            break;
        }
    }
    picked
}

#[test]
#[ignore = "builds three release binaries and their tests under QEMU; .ci/run runs it"]
fn a_fork_ships_three_more_architectures_from_cargo_toml_alone() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_checkout(root, &fork);

    add_targets(&fork, &EXTRA.map(String::from));

    run(&fork, "cargo", &["xtask", "codegen"]);
    let config = std::fs::read_to_string(fork.join(".cargo/config.toml")).unwrap();
    for triple in EXTRA {
        assert!(config.contains(&format!("[target.{triple}]")), "{config}");
    }
    run(&fork, "cargo", &["xtask", "codegen", "--check"]);
    run(&fork, "cargo", &["xtask", "setup"]);

    let out = fork.join("dist");
    let mut args = vec!["xtask", "dist", "--out-dir", out.to_str().unwrap()];
    for triple in EXTRA {
        args.extend(["--target", triple]);
    }
    run(&fork, "cargo", &args);
    run(&out, "sha256sum", &["--check", "--strict", "SHA256SUMS"]);
    // The new gnu architectures get their .deb and .rpm from the table's names.
    let deb = out.join("diag-tool_0.1.0-1_armhf.deb");
    let arch = run(&out, "dpkg-deb", &["--field", deb.to_str().unwrap(), "Architecture"]);
    assert_eq!(arch.trim(), "armhf");
    let rpm = out.join("diag-tool-0.1.0-1.riscv64.rpm");
    let arch = run(&out, "rpm", &["-qp", "--qf", "%{ARCH}", rpm.to_str().unwrap()]);
    assert_eq!(arch, "riscv64");

    // What readelf, not our own reader, says of each shipped binary.
    let expectations = [
        ("aarch64-unknown-linux-musl", ["ELF64", "AArch64", "0x0"]),
        ("armv7-unknown-linux-gnueabihf", ["ELF32", "ARM", "Version5 EABI, hard-float ABI"]),
        ("riscv64gc-unknown-linux-gnu", ["ELF64", "RISC-V", "double-float ABI"]),
    ];
    let unpacked = scratch.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    for (triple, wanted) in expectations {
        let stem = format!("diag_tool-{triple}-v0.1.0");
        let archive = out.join(format!("{stem}.tar.gz"));
        run(&unpacked, "tar", &["-xzf", archive.to_str().unwrap()]);
        let binary = unpacked.join(&stem).join("diag_tool");
        let header = run(&unpacked, "readelf", &["-h", binary.to_str().unwrap()]);
        for want in wanted {
            assert!(header.contains(want), "{triple}: no `{want}` in\n{header}");
        }
        let program = run(&unpacked, "readelf", &["-lW", binary.to_str().unwrap()]);
        let interpreter = program.contains("Requesting program interpreter");
        assert_eq!(interpreter, triple.contains("-gnu"), "{triple}:\n{program}");
    }

    for triple in EXTRA {
        run(&fork, "cargo", &["xtask", "test", "--target", triple]);
    }
}

#[test]
#[ignore = "a release build per architecture and C library, run under QEMU; .ci/run builds two \
            picked by the commit, the every-arch workflow each in XTASK_COMBINATIONS"]
fn every_architecture_and_c_library_ships_from_one_entry() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_checkout(root, &fork);
    let combinations = chosen_combinations(root);
    add_targets(&fork, &combinations);
    // Kept between runs, beside the checkout's own builds (a fork's xtask would replace them).
    let target = root.join("target/every-arch");
    let step = |args: &[&str]| try_run(&fork, &target, "cargo", args);
    step(&["xtask", "codegen"]).unwrap();
    step(&["xtask", "setup"]).unwrap();
    println!("{}", step(&["xtask", "plan"]).unwrap());
    let mut rows = vec!["| combination | built | verified | ran | seconds |".to_string()];
    let mut failed = Vec::new();
    for triple in &combinations {
        let out = scratch.path().join(format!("dist-{triple}"));
        let start = Instant::now();
        let dist = step(&["xtask", "dist", "--target", triple, "--out-dir", out.to_str().unwrap()]);
        let seconds = start.elapsed().as_secs();
        // dist stops a target at its first failing step: a manifest means built and verified.
        let manifest = std::fs::read_to_string(out.join("release-manifest.json")).ok();
        let ran = manifest.as_deref().and_then(|text| {
            let json: serde_json::Value = serde_json::from_str(text).unwrap();
            let smoke = json["targets"][0]["smoke_run"].as_str()?.to_string();
            smoke.starts_with("`--version` ").then_some(smoke)
        });
        let (built, verified) = match (&dist, &manifest) {
            (Ok(_), Some(_)) => ("yes", "yes"),
            (Err(e), _) if e.contains("verify") => ("yes", "no"),
            _ => ("no", "no"),
        };
        let ran_cell = if ran.is_some() { "yes" } else { "no" };
        rows.push(format!("| {triple} | {built} | {verified} | {ran_cell} | {seconds} |"));
        match (dist, ran) {
            (Err(e), _) => failed.push(format!("{triple}: {e}")),
            (Ok(_), None) => failed.push(format!("{triple}: built, but not run")),
            (Ok(_), Some(_)) => {}
        }
    }
    println!("{}", rows.join("\n"));
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
