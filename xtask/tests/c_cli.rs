//! A CLI with the C and C++ dependencies real tools have (`fixtures/c-cli`: jemalloc, zstd,
//! bundled SQLite, vendored OpenSSL, ring and a C++ file of its own) ships from a fork of the
//! workspace: dist builds it for every target (zig compiles the C of the musl ones), verifies,
//! smoke-runs (QEMU for aarch64) and packages it, and each binary calls every library.
//!
//! Ignored by `cargo test`: it builds OpenSSL and the rest once per target (minutes). `.ci/run`
//! runs it with `--ignored`; `C_CLI_TARGETS` (triples, space-separated) picks fewer targets.

mod common;

use std::path::Path;

use common::{copy_checkout, run};

/// The lines each library adds to the fixture's output, called at run time.
const LIBRARIES: [&str; 6] = [
    "jemalloc ",
    "zstd ",
    "sqlite ",
    "OpenSSL ",
    "c++: ",
    "c-cli 0.1.0",
];

/// The fork's Cargo.toml: c-cli as the shipped member, with none of diag_tool's files.
fn ship_c_cli(manifest: &str) -> String {
    let mut text = manifest.replace(
        "members = [\"bench\", \"diag_tool\", \"xtask\"]",
        "members = [\"bench\", \"c-cli\", \"diag_tool\", \"xtask\"]",
    );
    // Vendored OpenSSL records its build directory as its default engines and modules folders.
    let package = "package = \"c-cli\"\nallow-build-paths = [\"openssl-build/install\"]";
    text = text.replacen("package = \"diag_tool\"", package, 1);
    text = text.replace(", \"diag_tool/assets\"]", "]");
    // Its own description's lines, not diag_tool's, below the .deb's summary.
    let start = text
        .find("long-description = \"\"\"")
        .expect("a long-description");
    let end = start + text[start..].find("\"\"\"\n").unwrap() + 4;
    let end = end + text[end..].find("\"\"\"\n").unwrap() + 4;
    text.replace_range(start..end, "");
    let dropped = [
        "man = ",
        "completions = ",
        "image-command = ",
        "hardware-test = ",
    ];
    let lines = text
        .lines()
        .filter(|l| !dropped.iter().any(|d| l.starts_with(d)));
    lines.map(|l| format!("{l}\n")).collect()
}

#[test]
#[ignore = "builds OpenSSL, SQLite, jemalloc, zstd and ring for every target; .ci/run runs it"]
fn a_cli_with_c_and_cpp_dependencies_ships_on_every_target() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_checkout(root, &fork);
    copy_checkout(
        &root.join("xtask/tests/fixtures/c-cli"),
        &fork.join("c-cli"),
    );
    let manifest = fork.join("Cargo.toml");
    let text = ship_c_cli(&std::fs::read_to_string(&manifest).unwrap());
    std::fs::write(&manifest, text).unwrap();
    // Cargo.lock gains the fixture's dependencies; the workspace's keep their versions.
    run(&fork, "cargo", &["metadata", "--format-version", "1"]);

    let plan: serde_json::Value =
        serde_json::from_str(&run(&fork, "cargo", &["xtask", "plan", "--json"])).unwrap();
    let wanted = std::env::var("C_CLI_TARGETS").unwrap_or_default();
    let targets: Vec<&serde_json::Value> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| wanted.is_empty() || wanted.split(' ').any(|w| t["target"] == w))
        .collect();
    let out = fork.join("dist");
    let mut args = vec!["xtask", "dist", "--out-dir", out.to_str().unwrap()];
    for target in &targets {
        args.extend(["--target", target["target"].as_str().unwrap()]);
    }
    run(&fork, "cargo", &args);
    run(&out, "sha256sum", &["--check", "--strict", "SHA256SUMS"]);

    for target in targets {
        let triple = target["target"].as_str().unwrap();
        let stem = format!("c-cli-{triple}-v0.1.0");
        let archive = out.join(format!("{stem}.tar.gz"));
        run(&out, "tar", &["-xzf", archive.to_str().unwrap()]);
        let binary = out.join(&stem).join("c-cli");
        let runner: Vec<&str> = target["runner"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let said = match runner.split_first() {
            Some((program, args)) => {
                run(&out, program, &[args, &[binary.to_str().unwrap()]].concat())
            }
            None => run(&out, binary.to_str().unwrap(), &[]),
        };
        for library in LIBRARIES {
            assert!(
                said.contains(library),
                "{triple}: no `{library}` line in\n{said}"
            );
        }
        if triple.ends_with("-gnu") {
            let arch = if triple.starts_with("x86_64") {
                "amd64"
            } else {
                "arm64"
            };
            let deb = out.join(format!("c-cli_0.1.0-1_{arch}.deb"));
            let summary = run(
                &out,
                "dpkg-deb",
                &["--field", deb.to_str().unwrap(), "Description"],
            );
            assert!(
                summary.starts_with("Calls jemalloc, zstd, SQLite"),
                "{summary}"
            );
        }
    }
}

#[test]
fn the_fork_ships_c_cli_and_none_of_the_samples_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let text = ship_c_cli(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap());
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let release = &manifest["workspace"]["metadata"]["release"];
    assert_eq!(release["package"].as_str(), Some("c-cli"));
    for key in [
        "long-description",
        "man",
        "completions",
        "image-command",
        "hardware-test",
    ] {
        assert!(release.get(key).is_none(), "{key} is left in\n{text}");
    }
    assert!(!text.contains("diag_tool/assets"), "{text}");
    let members = manifest["workspace"]["members"].as_array().unwrap();
    assert!(members.iter().any(|m| m.as_str() == Some("c-cli")));
}
