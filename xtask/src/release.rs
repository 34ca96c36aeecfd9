//! The steps a release goes through once every target is built, in [`RELEASE_STEPS`]: the same
//! for `cargo xtask dist` on one machine and `cargo xtask merge` of per-runner parts, so that
//! both give the same files. They read only the manifest and the files in the out dir.

use std::path::Path;

use anyhow::{Result, bail};

use crate::checksum;
use crate::dist::Output;
use crate::fsx;
use crate::manifest::{self, Manifest};
use crate::policy::Policy;
use crate::sign::Signer;

/// What the release goes through, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReleaseStep {
    /// `SHA256SUMS` of every file, and a `.sha256` beside each release-wide one.
    Sums,
    Manifest,
    /// `<file>.sig` for every file, `SHA256SUMS` and the manifest, when a key is given.
    Sign,
}

const RELEASE_STEPS: [ReleaseStep; 3] =
    [ReleaseStep::Sums, ReleaseStep::Manifest, ReleaseStep::Sign];

/// The names a finished release writes besides the targets' files, removed when a run fails
/// so that a partial set never passes for a release.
pub const RELEASE_FILES: [&str; 4] = [
    "SHA256SUMS",
    "SHA256SUMS.sig",
    manifest::FILE_NAME,
    "release-manifest.json.sig",
];

/// Runs every release step on `manifest`, whose target files are already in `out_dir`.
pub fn finish(
    policy: &Policy,
    manifest: &mut Manifest,
    out_dir: &Path,
    out: &Output,
) -> Result<()> {
    let signer = Signer::from_env()?;
    if let Some(signer) = &signer {
        check_binstall_key(policy, signer)?;
    }
    manifest.signing = signer.as_ref().map(Signer::signing);
    // One order for every way a release is made, so that dist and merge write the same manifest.
    manifest.targets.sort_by(|a, b| a.target.cmp(&b.target));
    for step in RELEASE_STEPS {
        let detail = match step {
            ReleaseStep::Sums => {
                for file in &manifest.files {
                    checksum::write_sidecar(&out_dir.join(&file.name), &file.sha256)?;
                }
                checksum::write_sums(out_dir, &manifest.sums())?;
                "SHA256SUMS".to_string()
            }
            ReleaseStep::Manifest => {
                fsx::write_atomic(
                    &out_dir.join(manifest::FILE_NAME),
                    manifest.to_json().as_bytes(),
                )?;
                manifest::FILE_NAME.to_string()
            }
            ReleaseStep::Sign => match &signer {
                None => "nothing: unsigned (no MINISIGN_KEY_FILE or MINISIGN_KEY)".to_string(),
                Some(signer) => {
                    let mut names: Vec<String> =
                        manifest.artifacts().map(|a| a.name.clone()).collect();
                    names.extend(["SHA256SUMS".to_string(), manifest::FILE_NAME.to_string()]);
                    for name in &names {
                        signer.sign_file(&out_dir.join(name), manifest.source_date_epoch)?;
                    }
                    format!(
                        "{} .sig files (minisign key {})",
                        names.len(),
                        signer.public_base64()
                    )
                }
            },
        };
        out.status("Wrote", &detail, &out_dir.display().to_string());
    }
    Ok(())
}

/// cargo-binstall checks downloads against the key in `[package.metadata.binstall.signing]`:
/// a release signed with another key would be refused by every user.
fn check_binstall_key(policy: &Policy, signer: &Signer) -> Result<()> {
    let ours = signer.public_base64();
    let signing = policy
        .package
        .metadata
        .as_ref()
        .and_then(|m| m.binstall.as_ref())
        .and_then(|b| b.signing.as_ref());
    let fix = format!(
        "put [package.metadata.binstall.signing] algorithm = \"minisign\", pubkey = \"{ours}\" \
         in {}/Cargo.toml",
        policy.package.name
    );
    match signing {
        None => bail!("the release is signed, but cargo binstall is not told the key: {fix}"),
        Some(s) if s.algorithm != "minisign" => {
            bail!(
                "[package.metadata.binstall.signing] algorithm is `{}`, dist signs with minisign: {fix}",
                s.algorithm
            )
        }
        Some(s) if s.pubkey != ours => bail!(
            "the signing key's public key is {ours}, but [package.metadata.binstall.signing] \
             names {}: give dist the matching key, or {fix}",
            s.pubkey
        ),
        Some(s) if s.file.as_deref().is_some_and(|f| f != "{ url }.sig") => bail!(
            "[package.metadata.binstall.signing] file is `{}`, dist writes `<file>.sig`: remove \
             `file` to use binstall's default `{{ url }}.sig`",
            s.file.as_deref().unwrap_or_default()
        ),
        Some(_) => Ok(()),
    }
}

/// The release workflow publishes nothing unsigned unless the policy allows it.
pub fn check_publishable(policy: &Policy, manifest: &Manifest) -> Result<()> {
    if manifest.signing.is_none() && !policy.allow_unsigned {
        bail!(
            "the release is unsigned: give the release job the key (MINISIGN_KEY secret, from \
             `cargo xtask keygen`), or set `allow-unsigned = true` in \
             [workspace.metadata.release] to publish unsigned releases"
        );
    }
    Ok(())
}
