//! The release checks of one binary, the same in `dist` and `verify FILE`: the ELF rules, its
//! cargo-auditable data against what the workspace's Cargo.lock resolves for the target, and no
//! path of the build machine.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::Shell;

use crate::config::dependencies::Dependency;
use crate::config::glibc::GlibcVersion;
use crate::config::policy::Policy;
use crate::config::target::Target;
use crate::host::{build, cargo};
use crate::verify::{self, BinaryFacts, auditable};

/// What the checks found: the facts, the runtime packages, and how many the binary lists.
pub struct Checked {
    pub facts: BinaryFacts,
    pub deps: Vec<Dependency>,
    pub audited: usize,
}

/// Runs every release check on `bytes`, read from `path`; the paths the build remapped
/// (`remaps`, as [`build::remaps`] gives them) must not appear in them.
pub fn run(
    sh: &Shell,
    policy: &Policy,
    (bytes, path): (&[u8], &Path),
    (target, floor): (&Target, Option<GlibcVersion>),
    remaps: &[(PathBuf, String)],
) -> Result<Checked> {
    let machine_paths: Vec<&Path> = remaps.iter().map(|(p, _)| p.as_path()).collect();
    let facts = verify::verify_bytes(bytes, path, target, floor)?;
    let resolved = cargo::resolve(sh, &policy.package.name, &policy.features, target)?;
    let audited =
        auditable::check(bytes, &resolved).with_context(|| format!("{}", path.display()))?;
    if let Some(found) = build::embedded_path(bytes, &machine_paths, &policy.allow_build_paths) {
        bail!(
            "{} embeds a path of this machine in `{found}`: expected every such path remapped \
             by --remap-path-prefix (a build script or C build that records absolute paths \
             defeats it; `allow-build-paths` in [workspace.metadata.release] accepts text \
             that holds one)",
            path.display()
        );
    }
    Ok(Checked { facts, deps: resolved.deps, audited })
}
