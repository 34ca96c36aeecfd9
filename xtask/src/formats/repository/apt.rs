//! An apt repository in the `dists/<suite>/` layout: one suite, one component, a `Packages`
//! index (and its `.gz`) per architecture, and the `Release` file that lists them with their
//! sizes and SHA-256, which apt checks after checking the signature of `InRelease` or
//! `Release.gpg`. Every index is also under `by-hash/SHA256/` (`Acquire-By-Hash`), so a client
//! that read the previous `InRelease` still finds the indexes it names while a new one is
//! written.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::{IndexFile, PoolFile};
use crate::formats::linux_package;

pub const SUITE: &str = "stable";
pub const COMPONENT: &str = "main";

/// A `.deb` of the repository: its control file and where it is.
pub struct Deb {
    pub control: String,
    pub file: PoolFile,
}

impl Deb {
    fn field(&self, name: &str) -> &str {
        self.control
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .unwrap_or_default()
            .trim()
    }
}

/// `Packages` and `Packages.gz` of each architecture, as `by-hash` copies too, in the
/// order they must be written: the by-hash copies (which no client reads before the new
/// `InRelease` names them) first.
pub fn indexes(debs: &[Deb]) -> Result<Vec<IndexFile>> {
    let mut by_arch: BTreeMap<&str, Vec<&Deb>> = BTreeMap::new();
    for deb in debs {
        by_arch.entry(deb.field("Architecture")).or_default().push(deb);
    }
    let mut plain = Vec::new();
    for (arch, debs) in by_arch {
        let dir = format!("{COMPONENT}/binary-{arch}");
        let text = packages(&debs);
        plain.push(IndexFile {
            path: format!("{dir}/Packages.gz"),
            bytes: linux_package::gzip(text.as_bytes())?,
        });
        plain.push(IndexFile { path: format!("{dir}/Packages"), bytes: text.into_bytes() });
    }
    let by_hash = plain.iter().map(|f| {
        let (dir, _) = f.path.rsplit_once('/').unwrap_or_default();
        IndexFile { path: format!("{dir}/by-hash/SHA256/{}", f.sha256()), bytes: f.bytes.clone() }
    });
    Ok(by_hash.collect::<Vec<_>>().into_iter().chain(plain).collect())
}

/// The `Packages` index: each control file with where the package is and its digest.
fn packages(debs: &[&Deb]) -> String {
    let mut stanzas: Vec<String> = debs
        .iter()
        .map(|deb| {
            format!(
                "{}\nFilename: {}\nSize: {}\nSHA256: {}\n",
                deb.control.trim_end(),
                deb.file.path,
                deb.file.size,
                deb.file.sha256
            )
        })
        .collect();
    stanzas.sort();
    stanzas.join("\n")
}

/// The unsigned `Release` of the suite, listing `indexes` (paths under `dists/<suite>/`),
/// dated `date` (seconds since the epoch).
pub fn release(origin: &str, date: u64, indexes: &[IndexFile]) -> String {
    let arches: BTreeSet<&str> =
        indexes.iter().filter_map(|f| f.path.split('/').nth(1)?.strip_prefix("binary-")).collect();
    let mut text = format!(
        "Origin: {origin}\nLabel: {origin}\nSuite: {SUITE}\nCodename: {SUITE}\nDate: {}\n\
         Architectures: {}\nComponents: {COMPONENT}\nAcquire-By-Hash: yes\nSHA256:\n",
        linux_package::deb::rfc2822(date),
        Vec::from_iter(arches).join(" ")
    );
    for file in indexes.iter().filter(|f| !f.path.contains("/by-hash/")) {
        text.push_str(&format!(" {} {:>16} {}\n", file.sha256(), file.bytes.len(), file.path));
    }
    text
}

/// The deb822 `.sources` file users put into `/etc/apt/sources.list.d/`, trusting only
/// `public_key` (armored) for this repository.
pub fn sources(base_url: &str, public_key: &str) -> String {
    let key: Vec<String> = public_key
        .trim_end()
        .lines()
        .map(|l| if l.trim().is_empty() { " .".into() } else { format!(" {l}") })
        .collect();
    format!(
        "Types: deb\nURIs: {}/deb\nSuites: {SUITE}\nComponents: {COMPONENT}\nSigned-By:\n{}\n",
        base_url.trim_end_matches('/'),
        key.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deb(name: &str, version: &str, arch: &str) -> Deb {
        Deb {
            control: format!("Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"),
            file: PoolFile {
                path: format!("pool/{name}_{version}_{arch}.deb"),
                size: 10,
                sha256: "ab".repeat(32),
            },
        }
    }

    #[test]
    fn release_lists_each_architectures_packages_with_size_and_sha256() {
        let debs =
            [deb("t", "0.1.1", "amd64"), deb("t", "0.1.0", "amd64"), deb("t", "0.1.0", "arm64")];
        let files = indexes(&debs).unwrap();
        let packages = files.iter().find(|f| f.path == "main/binary-amd64/Packages").unwrap();
        let text = String::from_utf8(packages.bytes.clone()).unwrap();
        assert!(text.starts_with("Package: t\nVersion: 0.1.0\n"), "{text}");
        assert!(text.contains("\n\nPackage: t\nVersion: 0.1.1\n"), "{text}");
        assert!(text.contains("Filename: pool/t_0.1.0_amd64.deb\nSize: 10\nSHA256: abab"));
        let by_hash = format!("main/binary-amd64/by-hash/SHA256/{}", packages.sha256());
        assert!(files.iter().any(|f| f.path == by_hash));
        let release = release("t", 1_700_000_000, &files);
        assert!(release.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000\n"), "{release}");
        assert!(release.contains("Architectures: amd64 arm64\n"), "{release}");
        let line = format!(
            " {} {:>16} main/binary-amd64/Packages\n",
            packages.sha256(),
            packages.bytes.len()
        );
        assert!(release.contains(&line), "{release}");
        assert!(!release.contains("by-hash/"), "{release}");
    }

    #[test]
    fn the_sources_file_carries_the_key_inline_with_blank_lines_as_dots() {
        let text = sources("https://x.example/r/", "-----BEGIN-----\n\nabc\n-----END-----\n");
        assert_eq!(
            text,
            "Types: deb\nURIs: https://x.example/r/deb\nSuites: stable\nComponents: main\n\
             Signed-By:\n -----BEGIN-----\n .\n abc\n -----END-----\n"
        );
    }
}
