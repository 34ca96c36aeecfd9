//! `cargo xtask merge`: joins the outputs of per-target dist runs (one machine each) into one
//! release: every archive re-hashed against its manifest, one SHA256SUMS, one manifest.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::Shell;

use crate::checksum;
use crate::flags;
use crate::fsx;
use crate::manifest;

impl flags::Merge {
    pub fn run(self, _sh: &Shell) -> Result<()> {
        if self.inputs.is_empty() {
            bail!("name the directories to merge: cargo xtask merge DIR... --out-dir OUT");
        }
        let out_dir = crate::user_path(&self.out_dir)?;
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("cannot create the output directory {}", out_dir.display()))?;
        let inputs: Vec<PathBuf> = self
            .inputs
            .iter()
            .map(|d| crate::user_path(d))
            .collect::<Result<_>>()?;
        let merged = merge(&inputs, &out_dir)?;
        let count = merged["targets"].as_array().map_or(0, Vec::len);
        println!("merged {count} target(s) into {}", out_dir.display());
        Ok(())
    }
}

/// The fields every part of one release must agree on.
const SAME_RELEASE: [&str; 4] = ["name", "version", "commit", "rustc"];

pub fn merge(inputs: &[impl AsRef<Path>], out_dir: &Path) -> Result<Value> {
    let mut merged: Option<Value> = None;
    let mut targets: Vec<Value> = Vec::new();
    for dir in inputs {
        let dir = dir.as_ref();
        let part = manifest::read(&dir.join(manifest::FILE_NAME))?;
        let sums = checksum::read_sums(&dir.join("SHA256SUMS"))?;
        match &merged {
            None => merged = Some(part.clone()),
            Some(first) => {
                for key in SAME_RELEASE {
                    if first[key] != part[key] {
                        bail!(
                            "{} has {key} {}, but the first input has {}: these are not parts of one release",
                            dir.display(),
                            part[key],
                            first[key]
                        );
                    }
                }
            }
        }
        let entries = part["targets"].as_array().map_or(&[][..], Vec::as_slice);
        if sums.len() != entries.len() {
            bail!(
                "{}: SHA256SUMS lists {} archive(s), the manifest {}",
                dir.display(),
                sums.len(),
                entries.len()
            );
        }
        for entry in entries {
            let target = entry["target"]
                .as_str()
                .context("manifest entry without a target")?;
            if targets.iter().any(|t| t["target"] == target) {
                bail!("{target} appears in more than one input");
            }
            let name = entry["archive"]
                .as_str()
                .context("manifest entry without an archive")?;
            let source = dir.join(name);
            let sha256 = checksum::sha256_file(&source)?;
            let listed = sums
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, hex)| hex.as_str());
            if entry["sha256"] != sha256.as_str() || listed != Some(sha256.as_str()) {
                bail!(
                    "{} has sha256 {sha256}, but its manifest says {} and SHA256SUMS {listed:?}",
                    source.display(),
                    entry["sha256"]
                );
            }
            let dest = out_dir.join(name);
            if source.canonicalize()? != dest.canonicalize().unwrap_or_default() {
                fsx::write_atomic_with(&dest, |file| {
                    let mut reader = std::fs::File::open(&source)
                        .with_context(|| format!("reading {}", source.display()))?;
                    std::io::copy(&mut reader, file)
                        .with_context(|| format!("copying {}", source.display()))?;
                    Ok(())
                })?;
            }
            checksum::write_sidecar(&dest, &sha256)?;
            targets.push(entry.clone());
        }
    }
    let mut merged = merged.context("no inputs")?;
    targets.sort_by(|a, b| a["target"].as_str().cmp(&b["target"].as_str()));
    let sums: Vec<(String, String)> = targets
        .iter()
        .map(|t| {
            (
                t["archive"].as_str().unwrap_or_default().to_string(),
                t["sha256"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    checksum::write_sums(out_dir, &sums)?;
    merged["targets"] = Value::Array(targets);
    fsx::write_atomic(
        &out_dir.join(manifest::FILE_NAME),
        manifest::to_string(&merged).as_bytes(),
    )?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fsx::TempDir;
    use crate::package::{self, ArchiveFile};

    /// A per-target dist output as a release runner leaves it: archive, sidecar, SHA256SUMS and
    /// a one-target manifest.
    fn part(dir: &Path, target: &str, version: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let binary = dir.join("payload");
        std::fs::write(&binary, format!("binary for {target}")).unwrap();
        let stem = package::archive_stem("diag_tool", target, version);
        let files = [ArchiveFile {
            name: "diag_tool".into(),
            source: binary.clone(),
            executable: true,
        }];
        let archive = package::write_archive(dir, &stem, &files, 1_700_000_000).unwrap();
        std::fs::remove_file(binary).unwrap();
        checksum::write_sidecar(&archive.path, &archive.sha256).unwrap();
        let name = format!("{stem}.tar.gz");
        checksum::write_sums(dir, &[(name.clone(), archive.sha256.clone())]).unwrap();
        let manifest = json!({
            "schema_version": manifest::SCHEMA_VERSION,
            "name": "diag_tool", "version": version, "commit": "abc", "rustc": "rustc 1.95.0",
            "targets": [{ "target": target, "archive": name, "sha256": archive.sha256, "size": archive.size }],
        });
        fsx::write_atomic(
            &dir.join(manifest::FILE_NAME),
            manifest::to_string(&manifest).as_bytes(),
        )
        .unwrap();
    }

    #[test]
    fn parts_from_several_machines_merge_into_one_checked_release() {
        let tmp = TempDir::new("merge-ok");
        let (a, b, out) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("out"),
        );
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "aarch64-unknown-linux-gnu", "1.0.0");
        std::fs::create_dir_all(&out).unwrap();
        let merged = merge(&[&a, &b], &out).unwrap();
        let targets: Vec<&str> = merged["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["target"].as_str().unwrap())
            .collect();
        assert_eq!(
            targets,
            ["aarch64-unknown-linux-gnu", "x86_64-unknown-linux-musl"]
        );
        let sums = checksum::read_sums(&out.join("SHA256SUMS")).unwrap();
        assert_eq!(sums.len(), 2);
        for (name, hex) in sums {
            assert_eq!(checksum::sha256_file(&out.join(&name)).unwrap(), hex);
            assert!(out.join(format!("{name}.sha256")).is_file());
        }
        let status = std::process::Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&out)
            .output()
            .expect("sha256sum (coreutils) is needed for this test");
        assert!(status.status.success(), "{status:?}");
    }

    #[test]
    fn parts_of_different_versions_are_refused() {
        let tmp = TempDir::new("merge-versions");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "aarch64-unknown-linux-gnu", "1.0.1");
        let err = merge(&[&a, &b], tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("has version \"1.0.1\", but the first input has \"1.0.0\""),
            "{err}"
        );
        assert!(!tmp.path().join("SHA256SUMS").exists());
    }

    #[test]
    fn an_archive_changed_after_its_manifest_is_refused() {
        let tmp = TempDir::new("merge-tampered");
        let (a, out) = (tmp.path().join("a"), tmp.path().join("out"));
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        let archive = a.join("diag_tool-x86_64-unknown-linux-musl-v1.0.0.tar.gz");
        let mut bytes = std::fs::read(&archive).unwrap();
        bytes.push(0);
        std::fs::write(&archive, bytes).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&[&a], &out).unwrap_err().to_string();
        assert!(err.contains("but its manifest says"), "{err}");
        assert!(!out.join("SHA256SUMS").exists());
    }

    #[test]
    fn the_same_target_from_two_parts_is_refused() {
        let tmp = TempDir::new("merge-twice");
        let (a, b, out) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("out"),
        );
        part(&a, "x86_64-unknown-linux-musl", "1.0.0");
        part(&b, "x86_64-unknown-linux-musl", "1.0.0");
        std::fs::create_dir_all(&out).unwrap();
        let err = merge(&[&a, &b], &out).unwrap_err().to_string();
        assert!(err.contains("appears in more than one input"), "{err}");
    }
}
