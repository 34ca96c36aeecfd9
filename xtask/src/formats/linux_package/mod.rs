//! The .deb and .rpm writers and the model they share: what a package says of itself and the
//! files it installs. What its binary needs of the system, both state as dependencies from
//! the verified [`crate::manifest::Binary`]: its `DT_NEEDED` libraries and the symbol
//! versions it requires of them.

pub mod deb;
pub mod rpm;

use std::collections::BTreeSet;

use anyhow::Result;

use crate::config::arch::Arch;
use crate::formats::tarball;

/// The packaging revision of each upstream version: a fork that repackages the same version
/// raises it.
pub const REVISION: &str = "1";

/// Debian's and Fedora's package conventions, where they differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distro {
    Debian,
    Rpm,
}

/// What both kinds of package say of the software.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// `diag-tool`.
    pub name: String,
    /// The name upstream gives it, the Cargo package's: `diag_tool`.
    pub upstream_name: String,
    /// The upstream version: `0.1.0`, `1.0.0~rc.1`.
    pub version: String,
    /// One line, under 80 characters.
    pub summary: String,
    /// Paragraphs of plain text.
    pub description: String,
    /// An SPDX expression.
    pub license: String,
    pub homepage: Option<String>,
    /// `Name <address>`.
    pub maintainer: String,
    pub arch: &'static Arch,
    /// Every timestamp in the package.
    pub mtime: u64,
    /// This version's changelog entries (from `CHANGELOG.md`), one line each.
    pub changes: Vec<String>,
}

impl Metadata {
    /// The changelog entries, or one saying which release this is when there are none.
    pub fn change_lines(&self) -> Vec<String> {
        match self.changes.is_empty() {
            true => vec![format!("Release {} of {}.", self.version, self.name)],
            false => self.changes.clone(),
        }
    }

    /// `0.1.0-1`: the version and the packaging revision.
    pub fn full_version(&self) -> String {
        format!("{}-{REVISION}", self.version)
    }
}

/// What a file is to the package manager: RPM marks documentation and licenses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Program,
    Doc,
    License,
    Other,
}

/// One file the package installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallFile {
    /// The installed path without the leading `/`: `usr/bin/diag_tool`.
    pub path: String,
    pub contents: Vec<u8>,
    pub kind: Kind,
}

impl InstallFile {
    /// 0755 for the program, 0644 for the rest, whatever the sources' permissions are.
    pub fn mode(&self) -> u32 {
        match self.kind {
            Kind::Program => 0o755,
            _ => 0o644,
        }
    }
}

/// Every directory above the files, parents first: `usr`, `usr/bin`, ...
pub fn directories(files: &[InstallFile]) -> BTreeSet<String> {
    files
        .iter()
        .flat_map(|file| {
            file.path.match_indices('/').map(|(slash, _)| file.path[..slash].to_string())
        })
        .collect()
}

/// Compressed as `gzip -9n` does (best compression, no name, no time), which lintian checks
/// of man pages and changelogs.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    tarball::gzip_to(bytes, Vec::new())
}

/// Metadata and files of a small package, for the writers' tests.
#[cfg(test)]
pub fn sample(rust_arch: &str) -> (Metadata, Vec<InstallFile>) {
    let meta = Metadata {
        name: "diag-tool".into(),
        upstream_name: "diag_tool".into(),
        version: "1.2.0~rc.1".into(),
        summary: "Hardware diagnostics".into(),
        description: "Reads /proc and /sys.\n\nChecks them.".into(),
        license: "MIT OR Apache-2.0".into(),
        homepage: Some("https://example.com/diag_tool".into()),
        maintainer: "Fleet Team <fleet@example.com>".into(),
        arch: Arch::from_rust(rust_arch).expect("an architecture of the table"),
        mtime: 1_700_000_000,
        changes: vec!["Added: a feature.".into(), "Fixed: a bug.".into()],
    };
    let file = |path: &str, contents: &[u8], kind: Kind| InstallFile {
        path: path.into(),
        contents: contents.to_vec(),
        kind,
    };
    let files = vec![
        file("usr/bin/diag_tool", b"\x7fELF binary", Kind::Program),
        file("usr/share/licenses/diag-tool/LICENSE-MIT", b"MIT\n", Kind::License),
        file("usr/share/man/man1/diag_tool.1.gz", b"gz", Kind::Doc),
    ];
    (meta, files)
}

/// A glibc binary that needs libc.so.6 and libdl.so.2, up to GLIBC_2.16.
#[cfg(test)]
pub fn sample_binary() -> crate::manifest::Binary {
    use crate::manifest::{Artifact, ArtifactKind, Requirement};
    let archive = Artifact {
        name: "a.tar.gz".into(),
        kind: ArtifactKind::Archive,
        size: 1,
        sha256: "".into(),
    };
    let target = "x86_64-unknown-linux-gnu";
    let mut binary = crate::manifest::sample(target, "1.0.0", archive).targets.remove(0).binary;
    let req =
        |file: &str, version: &str| Requirement { file: file.into(), version: version.into() };
    binary.needed = vec!["libc.so.6".into(), "libdl.so.2".into()];
    binary.version_requirements = vec![
        req("libc.so.6", "GLIBC_2.2.5"),
        req("libc.so.6", "GLIBC_2.16"),
        req("libc.so.6", "GLIBC_2.3.4"),
        req("libdl.so.2", "GLIBC_2.2.5"),
    ];
    binary
}

/// A package of [`sample`] as `build` writes it (twice, which must give the same bytes),
/// saved in a scratch directory under the name `file_name` gives it.
#[cfg(test)]
pub fn write_sample(
    rust_arch: &str,
    build: fn(&Metadata, &[InstallFile], &crate::manifest::Binary) -> Result<Vec<u8>>,
    file_name: fn(&str, &str, &Arch) -> String,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let (meta, files) = sample(rust_arch);
    let binary = sample_binary();
    let bytes = build(&meta, &files, &binary).unwrap();
    assert_eq!(bytes, build(&meta, &files, &binary).unwrap(), "the same bytes every time");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name(&meta.name, &meta.full_version(), meta.arch));
    std::fs::write(&path, &bytes).unwrap();
    (tmp, path)
}

/// What `program args... file` prints; it must succeed.
#[cfg(test)]
pub fn run_on(program: &str, args: &[&str], file: &std::path::Path) -> String {
    let out = std::process::Command::new(program).args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_every_parent_of_every_file_once() {
        let (_, files) = sample("x86_64");
        let dirs: Vec<String> = directories(&files).into_iter().collect();
        assert_eq!(
            dirs,
            [
                "usr",
                "usr/bin",
                "usr/share",
                "usr/share/licenses",
                "usr/share/licenses/diag-tool",
                "usr/share/man",
                "usr/share/man/man1"
            ]
        );
    }
}
