//! Cargo's own answers about the workspace: `cargo metadata`, read into the policy's types.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::config::dependencies::{self, Resolved};
use crate::config::policy::Policy;
use crate::config::target::Target;

impl Policy {
    pub fn read(sh: &Shell) -> Result<Policy> {
        let json = cmd!(sh, "cargo metadata --format-version 1 --no-deps --locked --offline")
            .quiet()
            .read()
            .context("running `cargo metadata`")?;
        Policy::from_metadata(&json)
    }
}

/// The shipped package and everything it links for `target` with `features`, the package
/// first, then by name.
pub fn resolve(
    sh: &Shell,
    package: &str,
    features: &[String],
    target: &Target,
) -> Result<Resolved> {
    let triple = target.triple();
    let features: Vec<String> =
        features.iter().flat_map(|f| ["--features".into(), format!("{package}/{f}")]).collect();
    let json = cmd!(
        sh,
        "cargo metadata --format-version 1 --locked --filter-platform {triple} {features...}"
    )
    .quiet()
    .read()
    .with_context(|| format!("running `cargo metadata --filter-platform {triple}`"))?;
    let lock = sh.read_file("Cargo.lock").context("reading Cargo.lock")?;
    dependencies::from_metadata(&json, &lock, package)
}

/// The packages of [`resolve`] that compile C or C++ for `target`: they need its C compiler.
pub fn c_code(sh: &Shell, policy: &Policy, target: &Target) -> Result<Vec<String>> {
    let deps = resolve(sh, &policy.package.name, &policy.features, target)?.deps;
    Ok(deps.into_iter().filter(|d| d.c_code).map(|d| d.name).collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_platform_resolves_its_own_set() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let sh = Shell::new().unwrap();
        sh.change_dir(root);
        let linux = resolve(&sh, "xtask", &[], &Target::parse("x86_64-unknown-linux-gnu").unwrap())
            .unwrap()
            .deps;
        let names: BTreeSet<&str> = linux.iter().map(|d| d.name.as_str()).collect();
        assert!(names.contains("goblin") && names.contains("xshell"), "{names:?}");
        // Dev-dependencies are not compiled into the binary (diag_tool's generate its assets).
        let tool =
            resolve(&sh, "diag_tool", &[], &Target::parse("x86_64-unknown-linux-gnu").unwrap());
        let tool: BTreeSet<String> = tool.unwrap().deps.into_iter().map(|d| d.name).collect();
        assert!(!tool.contains("clap_mangen"), "{tool:?}");
        assert!(linux.iter().filter(|d| d.source == "crates.io").all(|d| d.checksum.is_some()));
    }
}
