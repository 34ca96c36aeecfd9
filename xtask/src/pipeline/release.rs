//! The steps a release goes through once every target is built, in [`RELEASE_STEPS`]: the same
//! for `cargo xtask dist` on one machine and `cargo xtask merge` of per-runner parts, so that
//! both give the same files. They read only the manifest and the files in the out dir.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::config::policy::Policy;
use crate::formats::checksums;
use crate::formats::installer;
use crate::formats::minisign::Signer;
use crate::formats::oci;
use crate::manifest::{self, Manifest};
use crate::pipeline::output::Output;
use crate::util::files;

/// One of the steps the release goes through.
struct ReleaseStep {
    name: &'static str,
    run: fn(&mut Manifest, &Path, Option<&Signer>) -> Wrote,
}

/// What a release step wrote, `None` when the release has nothing for it.
type Wrote = Result<Option<String>>;

/// What the release goes through, in order.
const RELEASE_STEPS: [ReleaseStep; 5] = [
    // The multi-arch OCI image of the musl targets.
    ReleaseStep { name: "image", run: image },
    // `install.sh`, with every target's verified facts baked in.
    ReleaseStep { name: "installer", run: installer },
    // `SHA256SUMS` of every file, and a `.sha256` beside each release-wide one.
    ReleaseStep { name: "sums", run: sums },
    ReleaseStep { name: "manifest", run: write_manifest },
    // `<file>.sig` for every file, `SHA256SUMS` and the manifest, when a key is given.
    ReleaseStep { name: "sign", run: sign },
];

/// Runs every release step on `manifest`, whose target files are already in `out_dir`; gives
/// how long each took.
/// The files go to `out_dir`, a staging directory; the status lines name `release_dir`, the out
/// dir the staged set becomes.
pub fn finish(
    policy: &Policy,
    manifest: &mut Manifest,
    (out_dir, release_dir): (&Path, &Path),
    out: &Output,
) -> Result<Vec<(String, f64)>> {
    let signer = Signer::from_env()?;
    if let Some(signer) = &signer {
        if let Some(warning) = key_mismatch(policy, manifest, signer)? {
            out.status("Warning", "signing", &warning);
        }
    }
    manifest.signing = signer.as_ref().map(Signer::signing);
    // One order for every way a release is made, so that dist and merge write the same manifest.
    manifest.targets.sort_by(|a, b| a.target.cmp(&b.target));
    manifest.files.clear();
    let mut seconds = Vec::new();
    for step in &RELEASE_STEPS {
        let started = Instant::now();
        let detail = (step.run)(manifest, out_dir, signer.as_ref())
            .with_context(|| format!("{} failed", step.name))?;
        seconds.push((step.name.to_string(), started.elapsed().as_secs_f64()));
        match detail {
            Some(detail) => out.status("Wrote", &detail, &release_dir.display().to_string()),
            None => out.status("Skipped", step.name, "nothing to make it from"),
        }
    }
    Ok(seconds)
}

fn image(manifest: &mut Manifest, out_dir: &Path, _: Option<&Signer>) -> Wrote {
    let image = oci::write_image(manifest, out_dir)?;
    let name = image.as_ref().map(|image| image.name.clone());
    manifest.files.extend(image);
    Ok(name)
}

fn installer(manifest: &mut Manifest, out_dir: &Path, _: Option<&Signer>) -> Wrote {
    let script = installer::write(manifest, out_dir)?;
    manifest.files.push(script);
    let note = installer::source_note(manifest);
    Ok(Some(format!("{} ({note})", installer::FILE_NAME)))
}

fn sums(manifest: &mut Manifest, out_dir: &Path, _: Option<&Signer>) -> Wrote {
    for file in &manifest.files {
        checksums::write_sidecar(&out_dir.join(&file.name), &file.sha256)?;
    }
    checksums::write_sums(out_dir, &manifest.sums())?;
    Ok(Some("SHA256SUMS".into()))
}

fn write_manifest(manifest: &mut Manifest, out_dir: &Path, _: Option<&Signer>) -> Wrote {
    let path = out_dir.join(manifest::FILE_NAME);
    files::write_atomic(&path, manifest.to_json().as_bytes())?;
    Ok(Some(manifest::FILE_NAME.into()))
}

fn sign(manifest: &mut Manifest, out_dir: &Path, signer: Option<&Signer>) -> Wrote {
    let Some(signer) = signer else {
        return Ok(Some("no signatures: unsigned (no MINISIGN_KEY_FILE or MINISIGN_KEY)".into()));
    };
    let mut names: Vec<String> = manifest.artifacts().map(|a| a.name.clone()).collect();
    names.extend(["SHA256SUMS".to_string(), manifest::FILE_NAME.to_string()]);
    for name in &names {
        signer.sign_file(&out_dir.join(name), manifest.source_date_epoch)?;
    }
    let key = signer.public.to_base64();
    Ok(Some(format!("{} .sig files (minisign key {key})", names.len())))
}

/// cargo-binstall and install.sh check downloads against the key in
/// `[package.metadata.binstall.signing]`: a release signed with another key would be refused by
/// every user, so that is an error. No key there only means nothing checks, worth a warning.
fn key_mismatch(policy: &Policy, manifest: &Manifest, signer: &Signer) -> Result<Option<String>> {
    let ours = signer.public.to_base64();
    let fix = format!(
        "put [package.metadata.binstall.signing] algorithm = \"minisign\", pubkey = \"{ours}\" \
         in {}/Cargo.toml",
        policy.package.name
    );
    match &manifest.minisign_pubkey {
        None => Ok(Some(format!(
            "signed, but cargo binstall and install.sh are not told the key and will check \
             nothing: {fix}"
        ))),
        Some(named) if *named != ours => bail!(
            "the signing key's public key is {ours}, but [package.metadata.binstall.signing] \
             names {named}: give dist the matching key, or {fix}"
        ),
        Some(_) => Ok(None),
    }
}

/// The manifest of the release in `dir`, whose SHA256SUMS must list the same files.
pub fn read_checked(dir: &Path) -> Result<Manifest> {
    let part = Manifest::read(&dir.join(manifest::FILE_NAME))?;
    let mut listed = checksums::read_sums(&dir.join("SHA256SUMS"))?;
    let mut expected = part.sums();
    listed.sort();
    expected.sort();
    ensure!(
        listed == expected,
        "{}: SHA256SUMS lists {} file(s), the manifest {}, and they must agree",
        dir.display(),
        listed.len(),
        expected.len()
    );
    Ok(part)
}

/// The release workflow publishes nothing unsigned unless the policy allows it.
pub fn check_publishable(policy: &Policy, manifest: &Manifest) -> Result<()> {
    ensure!(
        manifest.signing.is_some() || policy.allow_unsigned,
        "the release is unsigned: give the release job the key (MINISIGN_KEY secret, from \
         `cargo xtask keygen`), or set `allow-unsigned = true` in [workspace.metadata.release] \
         to publish unsigned releases"
    );
    Ok(())
}
