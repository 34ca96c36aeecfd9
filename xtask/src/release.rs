//! The steps a release goes through once every target is built, in [`RELEASE_STEPS`]: the same
//! for `cargo xtask dist` on one machine and `cargo xtask merge` of per-runner parts, so that
//! both give the same files. They read only the manifest and the files in the out dir.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::checksum;
use crate::dist::Output;
use crate::fsx;
use crate::manifest::{self, Manifest};
use crate::oci;

/// What the release goes through, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReleaseStep {
    /// The multi-arch OCI image of the musl targets.
    Image,
    /// `SHA256SUMS` of every file, and a `.sha256` beside each release-wide one.
    Sums,
    Manifest,
}

const RELEASE_STEPS: [ReleaseStep; 3] =
    [ReleaseStep::Image, ReleaseStep::Sums, ReleaseStep::Manifest];

impl ReleaseStep {
    fn name(self) -> &'static str {
        match self {
            ReleaseStep::Image => "image",
            ReleaseStep::Sums => "sums",
            ReleaseStep::Manifest => "manifest",
        }
    }
}

/// How long a release step took, for dist's summary and bench.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepTime {
    pub step: String,
    pub seconds: f64,
}

/// Runs every release step on `manifest`, whose target files are already in `out_dir`.
pub fn finish(manifest: &mut Manifest, out_dir: &Path, out: &Output) -> Result<Vec<StepTime>> {
    // One order for every way a release is made, so that dist and merge write the same manifest.
    manifest.targets.sort_by(|a, b| a.target.cmp(&b.target));
    let mut times = Vec::new();
    for step in RELEASE_STEPS {
        let started = Instant::now();
        let wrote =
            run(step, manifest, out_dir).with_context(|| format!("{} failed", step.name()))?;
        let seconds = started.elapsed().as_secs_f64();
        match wrote {
            Some(name) => {
                let detail = format!("{} in {seconds:.2}s", out_dir.display());
                out.status("Wrote", &name, &detail);
            }
            None => out.status("Skipped", step.name(), "nothing to make it from"),
        }
        times.push(StepTime {
            step: step.name().into(),
            seconds,
        });
    }
    Ok(times)
}

/// Runs `step`; the name of the file it wrote, `None` when the release has nothing for it.
fn run(step: ReleaseStep, manifest: &mut Manifest, out_dir: &Path) -> Result<Option<String>> {
    match step {
        ReleaseStep::Image => {
            let Some(image) = oci::write_image(manifest, out_dir)? else {
                return Ok(None);
            };
            let name = image.name.clone();
            manifest.files.push(image);
            Ok(Some(name))
        }
        ReleaseStep::Sums => {
            for file in &manifest.files {
                checksum::write_sidecar(&out_dir.join(&file.name), &file.sha256)?;
            }
            checksum::write_sums(out_dir, &manifest.sums())?;
            Ok(Some("SHA256SUMS".into()))
        }
        ReleaseStep::Manifest => {
            let path = out_dir.join(manifest::FILE_NAME);
            fsx::write_atomic(&path, manifest.to_json().as_bytes())?;
            Ok(Some(manifest::FILE_NAME.into()))
        }
    }
}

/// The names a finished release writes besides the targets' files, removed when a run fails
/// so that a partial set never passes for a release.
pub fn file_names(name: &str, version: &str) -> Vec<String> {
    let image = oci::file_name(name, version);
    vec![
        "SHA256SUMS".into(),
        manifest::FILE_NAME.into(),
        format!("{image}.sha256"),
        image,
    ]
}
