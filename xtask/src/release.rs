//! The steps a release goes through once every target is built, in [`RELEASE_STEPS`]: the same
//! for `cargo xtask dist` on one machine and `cargo xtask merge` of per-runner parts, so that
//! both give the same files. They read only the manifest and the files in the out dir.

use std::path::Path;

use anyhow::Result;

use crate::checksum;
use crate::dist::Output;
use crate::fsx;
use crate::installer;
use crate::manifest::{self, Manifest};

/// What the release goes through, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReleaseStep {
    /// `install.sh`, which picks the archive for the host it runs on.
    Installer,
    /// `SHA256SUMS` of every file, and a `.sha256` beside each release-wide one.
    Sums,
    Manifest,
}

const RELEASE_STEPS: [ReleaseStep; 3] = [
    ReleaseStep::Installer,
    ReleaseStep::Sums,
    ReleaseStep::Manifest,
];

/// Runs every release step on `manifest`, whose target files are already in `out_dir`.
pub fn finish(manifest: &mut Manifest, out_dir: &Path, out: &Output) -> Result<()> {
    // One order for every way a release is made, so that dist and merge write the same manifest.
    manifest.targets.sort_by(|a, b| a.target.cmp(&b.target));
    for step in RELEASE_STEPS {
        let detail = run(step, manifest, out_dir)?;
        out.status("Wrote", &detail, &out_dir.display().to_string());
    }
    Ok(())
}

fn run(step: ReleaseStep, manifest: &mut Manifest, out_dir: &Path) -> Result<String> {
    match step {
        ReleaseStep::Installer => {
            let script = installer::write(manifest, out_dir)?;
            manifest.files.push(script);
            Ok(format!(
                "{} ({})",
                installer::FILE_NAME,
                installer::source_note(manifest)
            ))
        }
        ReleaseStep::Sums => {
            for file in &manifest.files {
                checksum::write_sidecar(&out_dir.join(&file.name), &file.sha256)?;
            }
            checksum::write_sums(out_dir, &manifest.sums())?;
            Ok("SHA256SUMS".into())
        }
        ReleaseStep::Manifest => {
            let path = out_dir.join(manifest::FILE_NAME);
            fsx::write_atomic(&path, manifest.to_json().as_bytes())?;
            Ok(manifest::FILE_NAME.into())
        }
    }
}

/// The names a finished release writes besides the targets' files, removed when a run fails
/// so that a partial set never passes for a release.
pub const RELEASE_FILES: [&str; 4] = [
    "SHA256SUMS",
    manifest::FILE_NAME,
    installer::FILE_NAME,
    "install.sh.sha256",
];
