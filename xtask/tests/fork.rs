//! A fork adds targets by writing them into Cargo.toml and running `cargo xtask codegen`, and
//! nothing else: setup installs what they need, dist builds, verifies, smoke-runs and packages
//! them (a .deb and an .rpm for each gnu one), and the golden tests pass under QEMU for each.
//!
//! Ignored by `cargo test`: it builds three release binaries and three test suites in a copy
//! of the workspace (minutes). `.ci/run` runs it with `--ignored`.

mod checkout;

use std::path::Path;

use checkout::{copy_checkout, run};

/// Targets of three other architectures and C libraries than the default list's.
const EXTRA: [&str; 3] = [
    "aarch64-unknown-linux-musl",
    "armv7-unknown-linux-gnueabihf",
    "riscv64gc-unknown-linux-gnu",
];

#[test]
#[ignore = "builds three release binaries and their tests under QEMU; .ci/run runs it"]
fn a_fork_ships_three_more_architectures_from_cargo_toml_alone() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_checkout(root, &fork);

    let manifest = fork.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    let added: Vec<&str> = EXTRA
        .into_iter()
        .filter(|t| !text.contains(&format!("triple = \"{t}\"")))
        .collect();
    for triple in &added {
        text.push_str(&format!(
            "\n[[workspace.metadata.release.targets]]\ntriple = \"{triple}\"\n"
        ));
    }
    std::fs::write(&manifest, text).unwrap();

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
    let arch = run(
        &out,
        "dpkg-deb",
        &["--field", deb.to_str().unwrap(), "Architecture"],
    );
    assert_eq!(arch.trim(), "armhf");
    let rpm = out.join("diag-tool-0.1.0-1.riscv64.rpm");
    let arch = run(
        &out,
        "rpm",
        &["-qp", "--qf", "%{ARCH}", rpm.to_str().unwrap()],
    );
    assert_eq!(arch, "riscv64");

    // What readelf, not our own reader, says of each shipped binary.
    let expectations = [
        ("aarch64-unknown-linux-musl", ["ELF64", "AArch64", "0x0"]),
        (
            "armv7-unknown-linux-gnueabihf",
            ["ELF32", "ARM", "Version5 EABI, hard-float ABI"],
        ),
        (
            "riscv64gc-unknown-linux-gnu",
            ["ELF64", "RISC-V", "double-float ABI"],
        ),
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
