//! The peer users would pick instead: cargo-dist's `dist build` of the same targets, timed,
//! and whether two of its builds give the same archives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::timed;
use xtask::config::policy::Policy;
use xtask::formats::checksums;

/// cargo-dist's `dist build` for the configured targets on a scratch clone, twice from clean
/// target directories: the wall time of the first run, and whether both gave the same archives.
pub fn cargo_dist(sh: &Shell, policy: &Policy, scratch: &Path) -> Result<Option<(f64, bool)>> {
    if cmd!(sh, "dist --version").quiet().ignore_stdout().ignore_stderr().run().is_err() {
        return Ok(None);
    }
    let copy = scratch.join("cargo-dist-workspace");
    let root = sh.current_dir();
    cmd!(sh, "git clone --quiet {root} {copy}").run()?;
    let triples: Vec<String> =
        policy.targets.iter().map(|t| format!("{:?}", t.target.triple())).collect();
    let config = format!(
        "[workspace]\nmembers = [\"cargo:.\"]\n\n[dist]\ncargo-dist-version = \"0.33.0\"\ninstallers = []\ntargets = [{}]\n",
        triples.join(", ")
    );
    std::fs::write(copy.join("dist-workspace.toml"), config)?;
    let mut cargo_toml = std::fs::read_to_string(copy.join("Cargo.toml"))?;
    cargo_toml.push_str("\n[profile.dist]\ninherits = \"release\"\n");
    std::fs::write(copy.join("Cargo.toml"), cargo_toml)?;
    // As a cargo-dist user would configure it: xtask is a binary, but no release artifact.
    let mut xtask_toml = std::fs::read_to_string(copy.join("xtask/Cargo.toml"))?;
    xtask_toml.push_str("\n[package.metadata.dist]\ndist = false\n");
    std::fs::write(copy.join("xtask/Cargo.toml"), xtask_toml)?;
    let _dir = sh.push_dir(&copy);
    let target_args: Vec<String> =
        policy.targets.iter().flat_map(|t| ["--target".to_string(), t.target.triple()]).collect();
    let mut hashes = Vec::new();
    let mut first = None;
    for run in ["run-1", "run-2"] {
        let target_dir = copy.join(run);
        let target_args = &target_args;
        // cargo-dist writes its archives to the workspace's target/distrib whatever
        // CARGO_TARGET_DIR says; its JSON report names them.
        let (seconds, report) = timed(|| {
            cmd!(sh, "dist build --artifacts=local --output-format=json {target_args...}")
                .env("CARGO_TARGET_DIR", &target_dir)
                .ignore_stderr()
                .read()
        })?;
        first.get_or_insert(seconds);
        let report: Report =
            serde_json::from_str(&report).context("reading the report of `dist build`")?;
        let mut archives = Vec::new();
        for (name, artifact) in report.artifacts {
            if let Some(path) = artifact.path.filter(|_| name.ends_with(".tar.xz")) {
                archives.push((name, checksums::sha256_file(&path)?));
            }
        }
        hashes.push(archives);
    }
    Ok(Some((first.unwrap_or_default(), !hashes[0].is_empty() && hashes[0] == hashes[1])))
}

/// The part of `dist build --output-format=json` read here.
#[derive(Deserialize)]
struct Report {
    artifacts: BTreeMap<String, Artifact>,
}

#[derive(Deserialize)]
struct Artifact {
    /// Absent for artifacts that were not built locally.
    path: Option<PathBuf>,
}
