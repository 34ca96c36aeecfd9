//! Adds releases' .deb and .rpm packages to the signed apt and dnf repositories in one
//! directory, served as static files:
//!
//! ```text
//! DIR/<package>.asc, <package>.sources, <package>.repo   the key; what users install
//! DIR/deb/pool/main/*.deb, DIR/deb/dists/stable/...        apt (formats/repository/apt.rs)
//! DIR/rpm/packages/*.rpm, DIR/rpm/repodata/...             dnf (formats/repository/yum.rs)
//! ```
//!
//! Every package ever added stays (roll back, pin); a version added again must be the same
//! bytes (an .rpm: the same but for its signature). Order keeps clients consistent: packages
//! first, then the indexes under names no current index uses, the signed top-level index
//! last; files only the index before last named are kept for clients that read it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use xshell::Shell;

use crate::formats::checksums;
use crate::formats::linux_package::{deb, rpm::read::Package};
use crate::formats::repository::{IndexFile, PoolFile, apt, yum};
use crate::host::gpg::Gpg;
use crate::manifest::ArtifactKind;
use crate::pipeline::release;
use crate::util::files;

/// What `update` is given.
pub struct Request<'a> {
    pub base_url: &'a str,
    pub dir: &'a Path,
    pub releases: &'a [PathBuf],
    /// The committed public key, armored, which the key signing must match.
    pub public_key: &'a Path,
    pub gpg: &'a Gpg,
}

/// Adds every release's packages and writes the signed indexes; gives the numbers of .deb and
/// .rpm packages the repository then holds.
pub fn update(sh: &Shell, request: &Request) -> Result<(usize, usize)> {
    let Request { dir, gpg, .. } = *request;
    gpg.check_public_key(sh, request.public_key)?;
    let (mut name, mut date) = (String::new(), 0);
    let mut incoming = Vec::new();
    for release_dir in request.releases {
        let manifest = release::read_checked(release_dir)?;
        for artifact in manifest.artifacts() {
            let pool = match artifact.kind {
                ArtifactKind::Deb => "deb/pool/main",
                ArtifactKind::Rpm => "rpm/packages",
                _ => continue,
            };
            let path = release_dir.join(&artifact.name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let found = checksums::sha256_bytes(&bytes);
            ensure!(
                found == artifact.sha256,
                "{} has sha256 {found}, but its release's manifest and SHA256SUMS say {}",
                path.display(),
                artifact.sha256
            );
            incoming.push((dir.join(pool).join(&artifact.name), bytes, manifest.source_date_epoch));
        }
        name = manifest.name.replace('_', "-");
        date = date.max(manifest.source_date_epoch);
    }
    // Every package is checked before any is written: a refused run changes nothing.
    let mut writes = Vec::new();
    for (path, bytes, epoch) in incoming {
        writes.extend(to_write(sh, gpg, &path, bytes, epoch)?.map(|bytes| (path, bytes)));
    }
    for (path, bytes) in &writes {
        write(path, bytes)?;
    }
    write_user_files(request, &name)?;
    let debs = write_apt(sh, gpg, &dir.join("deb"), &name, date)?;
    let rpms = write_dnf(sh, gpg, &dir.join("rpm"), date)?;
    Ok((debs, rpms))
}

/// The bytes to add at `path`, `None` when the repository holds the same package; an .rpm is
/// signed over its header at a fixed time, so that the same inputs give the same file.
fn to_write(
    sh: &Shell,
    gpg: &Gpg,
    path: &Path,
    bytes: Vec<u8>,
    epoch: u64,
) -> Result<Option<Vec<u8>>> {
    let is_rpm = path.extension().is_some_and(|e| e == "rpm");
    if let Ok(old) = std::fs::read(path) {
        let same = match is_rpm {
            true => Package::parse(&old)?.signed_part() == Package::parse(&bytes)?.signed_part(),
            false => old == bytes,
        };
        ensure!(
            same,
            "{} is in the repository with other contents: a published version is never \
             replaced; release a new version (bump `version` in Cargo.toml)",
            path.display()
        );
        return Ok(None);
    }
    if !is_rpm {
        return Ok(Some(bytes));
    }
    let package = Package::parse(&bytes)?;
    let signature = gpg.sign(sh, package.header_bytes(), &["--detach-sign"], Some(epoch))?;
    package.with_signature(&signature).map(Some)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().context("a path in the repository")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    files::write_atomic(path, bytes)
}

/// The public key and the files users install to read the repositories with it.
fn write_user_files(request: &Request, name: &str) -> Result<()> {
    let key = std::fs::read_to_string(request.public_key)
        .with_context(|| format!("reading {}", request.public_key.display()))?;
    let base = request.base_url.trim_end_matches('/');
    let key_url = format!("{base}/{name}.asc");
    for (file, text) in [
        (format!("{name}.asc"), key.clone()),
        (format!("{name}.sources"), apt::sources(base, &key)),
        (format!("{name}.repo"), yum::repo_file(name, base, &key_url)),
    ] {
        write(&request.dir.join(file), text.as_bytes())?;
    }
    Ok(())
}

/// Every file in `dir` with the extension `ext`, sorted (as [`files::walk`] gives them), with
/// its bytes.
fn pool(dir: &Path, ext: &str) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut found = Vec::new();
    for path in files::walk(dir, &|_| false).unwrap_or_default() {
        if path.extension().is_some_and(|e| e == ext) {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            found.push((path, bytes));
        }
    }
    Ok(found)
}

fn pool_file(root: &Path, path: &Path, bytes: &[u8]) -> Result<PoolFile> {
    Ok(PoolFile {
        path: path.strip_prefix(root)?.to_string_lossy().into_owned(),
        size: bytes.len() as u64,
        sha256: checksums::sha256_bytes(bytes),
    })
}

/// The apt indexes of every .deb under `root/pool`, `InRelease` last.
fn write_apt(sh: &Shell, gpg: &Gpg, root: &Path, name: &str, date: u64) -> Result<usize> {
    let mut debs = Vec::new();
    for (path, bytes) in pool(&root.join("pool"), "deb")? {
        let control =
            deb::read_control(&bytes).with_context(|| format!("reading {}", path.display()))?;
        debs.push(apt::Deb { control, file: pool_file(root, &path, &bytes)? });
    }
    let indexes = apt::indexes(&debs)?;
    let release = apt::release(name, date, &indexes);
    let suite = root.join("dists").join(apt::SUITE);
    let old = std::fs::read_to_string(suite.join("InRelease")).unwrap_or_default();
    for index in &indexes {
        write(&suite.join(&index.path), &index.bytes)?;
    }
    let detached = gpg.sign(sh, release.as_bytes(), &["--detach-sign", "--armor"], None)?;
    write(&suite.join("Release.gpg"), &detached)?;
    write(&suite.join("Release"), release.as_bytes())?;
    let inline = gpg.sign(sh, release.as_bytes(), &["--clearsign"], None)?;
    write(&suite.join("InRelease"), &inline)?;
    prune(&suite.join(apt::COMPONENT), &[&old, &release])?;
    Ok(debs.len())
}

/// The dnf metadata of every .rpm under `root/packages`, `repomd.xml` last.
fn write_dnf(sh: &Shell, gpg: &Gpg, root: &Path, date: u64) -> Result<usize> {
    let found = pool(&root.join("packages"), "rpm")?;
    let mut rpms = Vec::new();
    for (path, bytes) in &found {
        let package =
            Package::parse(bytes).with_context(|| format!("reading {}", path.display()))?;
        rpms.push(yum::Rpm { package, file: pool_file(root, path, bytes)? });
    }
    let indexes: Vec<IndexFile> = yum::indexes(&rpms, date)?;
    let old = std::fs::read_to_string(root.join("repodata/repomd.xml")).unwrap_or_default();
    let (repomd, metadata) = indexes.split_last().context("repomd.xml")?;
    for index in metadata {
        write(&root.join(&index.path), &index.bytes)?;
    }
    let signature = gpg.sign(sh, &repomd.bytes, &["--detach-sign", "--armor"], None)?;
    write(&root.join("repodata/repomd.xml.asc"), &signature)?;
    write(&root.join(&repomd.path), &repomd.bytes)?;
    let new = String::from_utf8_lossy(&repomd.bytes);
    prune(&root.join("repodata"), &[&old, &new])?;
    Ok(rpms.len())
}

/// Removes the index files under `dir` that neither the previous nor the new top-level
/// index names (by their hash or file name).
fn prune(dir: &Path, indexes: &[&str]) -> Result<()> {
    for path in files::walk(dir, &|_| false)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let key = name.split('-').next().unwrap_or(name);
        let top = ["repomd.xml", "repomd.xml.asc", "Packages", "Packages.gz"];
        if !top.contains(&name) && !indexes.iter().any(|text| text.contains(key)) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::linux_package::{rpm, write_sample};
    use crate::host::gpg::throwaway_key;

    #[test]
    fn a_version_in_the_repository_is_kept_and_other_bytes_for_it_are_refused() {
        let sh = Shell::new().unwrap();
        let (secret, _) = throwaway_key(&sh, "repo", "").unwrap();
        let gpg = Gpg::import(&sh, &secret, String::new()).unwrap();
        let dir = tempfile::tempdir().unwrap();

        let deb = dir.path().join("pool/t_1_amd64.deb");
        assert_eq!(to_write(&sh, &gpg, &deb, b"one".to_vec(), 1).unwrap(), Some(b"one".to_vec()));
        write(&deb, b"one").unwrap();
        assert_eq!(to_write(&sh, &gpg, &deb, b"one".to_vec(), 1).unwrap(), None);
        let err = to_write(&sh, &gpg, &deb, b"two".to_vec(), 1).unwrap_err();
        assert!(format!("{err:#}").contains("never replaced"), "{err:#}");

        // An .rpm is signed on the way in; the same package again is the one already there.
        let (_tmp, sample) = write_sample("x86_64", rpm::build, rpm::file_name);
        let unsigned = std::fs::read(&sample).unwrap();
        let path = dir.path().join("packages/t.rpm");
        let signed = to_write(&sh, &gpg, &path, unsigned.clone(), 1).unwrap().unwrap();
        assert!(Package::parse(&signed).unwrap().is_signed());
        let again = to_write(&sh, &gpg, &path, unsigned.clone(), 1).unwrap().unwrap();
        assert_eq!(signed, again, "the same inputs give the same signed bytes");
        write(&path, &signed).unwrap();
        assert_eq!(to_write(&sh, &gpg, &path, unsigned.clone(), 1).unwrap(), None);
        let mut other = unsigned;
        let last = other.len() - 1;
        other[last] ^= 1;
        assert!(to_write(&sh, &gpg, &path, other, 1).is_err());
    }
}
