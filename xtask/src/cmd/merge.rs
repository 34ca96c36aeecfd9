//! `cargo xtask merge`: joins the outputs of per-target dist runs (one machine each) into one
//! release: every file re-hashed against its manifest, one SHA256SUMS, one manifest.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use xshell::Shell;

use crate::config::policy::Policy;
use crate::config::target::Target;
use crate::flags;
use crate::formats::checksums;
use crate::manifest::{Manifest, TargetEntry};
use crate::pipeline::output::Output;
use crate::pipeline::release;
use crate::util::files;

impl flags::Merge {
    pub fn run(self, sh: &Shell) -> Result<()> {
        if self.inputs.is_empty() {
            bail!("name the directories to merge: cargo xtask merge DIR... --out-dir OUT");
        }
        let out_dir = crate::util::user_path(&self.out_dir)?;
        let inputs: Vec<PathBuf> =
            self.inputs.iter().map(|d| crate::util::user_path(d)).collect::<Result<_>>()?;
        let policy = Policy::read(sh)?;
        // Built beside the out dir and switched in whole, as dist does.
        let staging = files::Staging::begin(&out_dir)?;
        let merged = merge(&policy, &inputs, (staging.path(), &out_dir))?;
        if self.publish {
            release::check_publishable(&policy, &merged)?;
        }
        staging.commit()?;
        println!("merged {} target(s) into {}", merged.targets.len(), out_dir.display());
        Ok(())
    }
}

/// Checks every part before copying anything: a refused merge leaves `out_dir` as it was.
/// `out_dir` is the staging directory of `release_dir`.
pub fn merge(
    policy: &Policy,
    inputs: &[impl AsRef<Path>],
    (out_dir, release_dir): (&Path, &Path),
) -> Result<Manifest> {
    let mut merged: Option<Manifest> = None;
    let mut copies: Vec<(PathBuf, String)> = Vec::new();
    for dir in inputs {
        let dir = dir.as_ref();
        let part = release::read_checked(dir)?;
        // A part's release-wide files (its one-platform image) are made again from all parts.
        let artifacts = part.targets.iter().flat_map(|t| &t.artifacts);
        copies.extend(artifacts.map(|a| (dir.join(&a.name), a.sha256.clone())));
        match &mut merged {
            None => merged = Some(part),
            Some(first) => {
                same_release(first, &part, dir)?;
                for entry in part.targets {
                    if first.targets.iter().any(|t| t.target == entry.target) {
                        bail!("{} appears in more than one input", entry.target);
                    }
                    first.targets.push(entry);
                }
            }
        }
    }
    let mut merged = merged.context("no inputs")?;
    for entry in &merged.targets {
        names_as_configured(policy, &merged.version, entry)?;
    }
    for (source, sha256) in &copies {
        // Plain names, checked when the manifest was read: every copy lands in `out_dir`.
        let dest = out_dir.join(source.file_name().context("a file name")?);
        copy_checked(source, &dest, sha256)?;
        checksums::write_sidecar(&dest, sha256)?;
    }
    release::finish(policy, &mut merged, (out_dir, release_dir), &Output { json: false })?;
    Ok(merged)
}

/// A part's archive has the names `[package.metadata.binstall]` gives here: the ones
/// cargo binstall and install.sh will look for once the release is published.
fn names_as_configured(policy: &Policy, version: &str, entry: &TargetEntry) -> Result<()> {
    let names = policy.names_at(&Target::parse(&entry.target)?, version)?;
    let archive = &entry.archive().name;
    ensure!(
        *archive == names.archive && entry.binary_in_archive == names.binary,
        "{}: the part's archive is {archive} holding {}, but [package.metadata.binstall] \
         here names it {} holding {}: merge with the checkout the parts were built from",
        entry.target,
        entry.binary_in_archive,
        names.archive,
        names.binary
    );
    Ok(())
}

/// The parts of one release were built from one commit with one toolchain.
fn same_release(first: &Manifest, part: &Manifest, dir: &Path) -> Result<()> {
    let show = |v: &dyn std::fmt::Debug| format!("{v:?}");
    let fields = [
        ("name", show(&first.name), show(&part.name)),
        ("version", show(&first.version), show(&part.version)),
        ("package", show(&first.package), show(&part.package)),
        ("commit", show(&first.commit), show(&part.commit)),
        ("minisign_pubkey", show(&first.minisign_pubkey), show(&part.minisign_pubkey)),
        ("toolchain", show(&first.toolchain), show(&part.toolchain)),
        ("source_date_epoch", show(&first.source_date_epoch), show(&part.source_date_epoch)),
    ];
    for (key, a, b) in fields {
        ensure!(
            a == b,
            "{} has {key} {b}, but the first input has {a}: these are not parts of one release",
            dir.display()
        );
    }
    Ok(())
}

/// Copies `source` to `dest` after checking it has the SHA-256 its manifest records.
fn copy_checked(source: &Path, dest: &Path, sha256: &str) -> Result<()> {
    let found = checksums::sha256_file(source)?;
    ensure!(
        found == sha256,
        "{} has sha256 {found}, but its manifest and SHA256SUMS say {sha256}",
        source.display()
    );
    if source.canonicalize()? != dest.canonicalize().unwrap_or_default() {
        files::write_atomic_with(dest, |file| {
            std::io::copy(&mut files::open_regular(source)?, file)
                .with_context(|| format!("copying {}", source.display()))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::{self, ArchiveFile};
    use crate::manifest::{self, ArtifactKind};

    fn policy() -> Policy {
        let sh = Shell::new().unwrap();
        sh.change_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap());
        Policy::read(&sh).unwrap()
    }

    /// A per-target dist output as a release runner leaves it: archive, sidecar, SHA256SUMS and
    /// a one-target manifest.
    /// A per-target dist output as a release runner leaves it: archive, sidecar, the release
    /// steps' files (SHA256SUMS, a one-target manifest, a one-platform image for musl).
    fn part(dir: &Path, target: &str, version: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let binary = dir.join("payload");
        let payload = format!("binary for {target}");
        std::fs::write(&binary, &payload).unwrap();
        let names = crate::config::names::default_for("diag_tool", target, version);
        let files =
            [ArchiveFile { name: "diag_tool".into(), source: binary.clone(), executable: true }];
        let archive = archive::write_archive(dir, &names, &files, 1_700_000_000).unwrap();
        std::fs::remove_file(binary).unwrap();
        checksums::write_sidecar(&dir.join(&archive.name), &archive.sha256).unwrap();
        let mut manifest = manifest::sample(target, version, archive);
        manifest.targets[0].binary.size = payload.len() as u64;
        release::finish(&policy(), &mut manifest, (dir, dir), &Output { json: false }).unwrap();
    }

    #[test]
    fn parts_from_several_machines_merge_into_one_checked_release() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        let c = tmp.path().join("c");
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "aarch64-unknown-linux-gnu", "1.0.0");
        part(&c, "aarch64-unknown-linux-musl", "1.0.0");
        std::fs::create_dir_all(&out).unwrap();
        let merged = merge(&policy(), &[&a, &b, &c], (&out, &out)).unwrap();
        let targets: Vec<&str> = merged.targets.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-musl",
                "x86_64-unknown-linux-musl"
            ]
        );
        // The image is made again from every part: the parts' own hold one platform each.
        let [image, installer] = &merged.files[..] else {
            panic!("expected the image and the installer: {:?}", merged.files)
        };
        assert_eq!((image.kind, installer.kind), (ArtifactKind::OciImage, ArtifactKind::Installer));
        let part_image = checksums::sha256_file(&a.join(&image.name)).unwrap();
        assert_ne!(part_image, image.sha256);
        let sums = checksums::read_sums(&out.join("SHA256SUMS")).unwrap();
        // The three archives, and the release's own files made again from them: the image of
        // both musl targets and the installer.
        assert_eq!(sums.len(), 5);
        let installer =
            std::fs::read_to_string(out.join(crate::formats::installer::FILE_NAME)).unwrap();
        for target in targets {
            assert!(installer.contains(&format!("\n{target} ")), "{installer}");
        }
        for (name, hex) in sums {
            assert_eq!(checksums::sha256_file(&out.join(&name)).unwrap(), hex);
            assert!(out.join(format!("{name}.sha256")).is_file());
        }
        assert_eq!(Manifest::read(&out.join(manifest::FILE_NAME)).unwrap(), merged);
        let status = std::process::Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&out)
            .output()
            .expect("sha256sum (coreutils) is needed for this test");
        assert!(status.status.success(), "{status:?}");
    }

    #[test]
    fn parts_of_different_versions_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "aarch64-unknown-linux-gnu", "1.0.1");
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&policy(), &[&a, &b], (&out, &out)).unwrap_err().to_string();
        assert!(err.contains("has version \"1.0.1\", but the first input has \"1.0.0\""), "{err}");
        assert!(!out.join("SHA256SUMS").exists());
    }

    #[test]
    fn an_archive_changed_after_its_manifest_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, out) = (tmp.path().join("a"), tmp.path().join("out"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        let archive = a.join("diag_tool-x86_64-unknown-linux-musl-v1.0.0.tar.gz");
        let mut bytes = std::fs::read(&archive).unwrap();
        bytes.push(0);
        std::fs::write(&archive, bytes).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&policy(), &[&a], (&out, &out)).unwrap_err().to_string();
        assert!(err.contains("but its manifest and SHA256SUMS say"), "{err}");
        assert!(!out.join("SHA256SUMS").exists());
    }

    #[test]
    fn a_part_named_otherwise_than_the_binstall_table_says_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, out) = (tmp.path().join("a"), tmp.path().join("out"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        let path = a.join(manifest::FILE_NAME);
        let mut part = Manifest::read(&path).unwrap();
        part.targets[0].binary_in_archive = "diag_tool".into();
        std::fs::write(&path, serde_json::to_string(&part).unwrap()).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&policy(), &[&a], (&out, &out)).unwrap_err().to_string();
        assert!(err.contains("holding diag_tool, but [package.metadata.binstall]"), "{err}");
        assert!(!out.join("SHA256SUMS").exists());
    }

    #[test]
    fn the_same_target_from_two_parts_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "x86_64-unknown-linux-musl", "1.0.0");
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&policy(), &[&a, &b], (&out, &out)).unwrap_err().to_string();
        assert!(err.contains("appears in more than one input"), "{err}");
    }
}
