//! `dist-manifest.json`: what was released, built how, and the verified facts of each binary.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::policy::Policy;

pub const FILE_NAME: &str = "dist-manifest.json";
/// Bumped when a field changes meaning or disappears; adding fields keeps it.
pub const SCHEMA_VERSION: u32 = 1;

/// The manifest of one dist run: release-wide facts and one entry per target.
pub fn new(
    sh: &Shell,
    policy: &Policy,
    source_date_epoch: u64,
    targets: Vec<Value>,
) -> Result<Value> {
    let commit = cmd!(sh, "git rev-parse HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .ok();
    let rustc = cmd!(sh, "rustc -V")
        .quiet()
        .read()
        .context("running `rustc -V`")?;
    Ok(json!({
        "schema_version": SCHEMA_VERSION,
        "name": policy.package,
        "version": policy.version,
        "commit": commit,
        "rustc": rustc,
        "source_date_epoch": source_date_epoch,
        "targets": targets,
    }))
}

pub fn to_string(manifest: &Value) -> String {
    let mut text = serde_json::to_string_pretty(manifest).expect("a Value always serializes");
    text.push('\n');
    text
}

pub fn read(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let version = manifest["schema_version"].as_u64();
    if version != Some(u64::from(SCHEMA_VERSION)) {
        anyhow::bail!(
            "{}: schema_version {version:?}, this xtask reads {SCHEMA_VERSION}",
            path.display()
        );
    }
    Ok(manifest)
}
