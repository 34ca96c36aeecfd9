//! cargo-auditable's dependency list, read from a binary's bytes (the zlib-compressed JSON in
//! its `.dep-v0` section) and held against the packages the target resolves, so that what a
//! user's scanner reads from the binary is proven to be what went in.

use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

use crate::config::dependencies::{Dependency, Resolved};

/// The section cargo-auditable writes.
pub const SECTION: &str = ".dep-v0";
/// No real dependency list comes near this; a bigger one is a zlib bomb, not data.
const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    /// `"build"` for what only ran at build time (proc-macros, build scripts).
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// The `name@version` of every package the binary says was compiled into it, root included.
pub fn packages(bytes: &[u8]) -> Result<Option<BTreeSet<String>>> {
    let elf = goblin::elf::Elf::parse(bytes).context("reading the section headers")?;
    let Some(section) =
        elf.section_headers.iter().find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
    else {
        return Ok(None);
    };
    let range = section
        .file_range()
        .filter(|r| r.end <= bytes.len())
        .with_context(|| format!("the {SECTION} section lies outside the file"))?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[range])
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .with_context(|| format!("{SECTION} is not zlib data"))?;
    ensure!(json.len() as u64 <= MAX_JSON, "{SECTION} inflates to more than {MAX_JSON} bytes");
    let data: AuditData = serde_json::from_slice(&json)
        .with_context(|| format!("{SECTION} is not cargo-auditable's JSON"))?;
    let roots = data.packages.iter().filter(|p| p.root).count();
    ensure!(roots == 1, "{SECTION} names {roots} root packages, expected one");
    Ok(Some(
        data.packages
            .iter()
            .filter(|p| p.kind.as_deref() != Some("build"))
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect(),
    ))
}

/// Fails unless the binary's auditable data lists every runtime package of `resolved` at its
/// version, and nothing else but what only proc-macros use: cargo-auditable 0.7.7 records a
/// proc-macro as build-time only when the package has exactly one target
/// (`proc_macro_packages` in its `auditable_from_metadata.rs`), so one with test or bench
/// targets (`displaydoc`) is listed as a runtime package, with its own dependencies.
pub fn check(bytes: &[u8], resolved: &Resolved) -> Result<usize> {
    let Some(found) = packages(bytes)? else {
        bail!(
            "no cargo-auditable data (no {SECTION} section): expected the list of the packages \
             compiled in, which every release binary carries: build through `cargo auditable` \
             (`cargo xtask dist` does; cross's container cannot)"
        );
    };
    compare(&found, resolved)
}

/// [`check`] on the `name@version` list the binary carries.
fn compare(found: &BTreeSet<String>, resolved: &Resolved) -> Result<usize> {
    let expected: BTreeSet<String> = resolved.deps.iter().map(Dependency::key).collect();
    let name = |key: &str| key.rsplit_once('@').map_or(key.to_string(), |(n, _)| n.to_string());
    let mut causes: Vec<String> = Vec::new();
    for want in expected.difference(found) {
        causes.push(match found.iter().find(|f| name(f) == name(want)) {
            Some(other) => format!(
                "{other} where this workspace's Cargo.lock has {want}: built from another \
                 Cargo.lock"
            ),
            None => format!(
                "no {want}, which this target links: built with other features, for another \
                 target, or from another Cargo.lock"
            ),
        });
    }
    let explained = |f: &&String| {
        expected.contains(*f)
            || resolved.via_proc_macros.contains(*f)
            || expected.iter().any(|e| name(e) == name(f))
    };
    for extra in found.iter().filter(|f| !explained(f)) {
        causes.push(format!(
            "{extra}, which this target neither links nor runs as a proc-macro: built with \
             other features, for another target, or from another Cargo.lock"
        ));
    }
    ensure!(causes.is_empty(), "its cargo-auditable data lists {}", causes.join("; "));
    Ok(expected.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_without_the_section_is_reported_as_such() {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(packages(&bytes).unwrap(), None);
        let none = Resolved { deps: Vec::new(), via_proc_macros: BTreeSet::new() };
        let err = check(&bytes, &none).unwrap_err().to_string();
        assert!(err.contains("no cargo-auditable data"), "{err}");
    }

    fn dependency(key: &str) -> Dependency {
        let (name, version) = key.split_once('@').unwrap();
        Dependency {
            name: name.into(),
            version: version.into(),
            license: None,
            source: "crates.io".into(),
            checksum: None,
            dependencies: Vec::new(),
            c_code: false,
        }
    }

    #[test]
    fn proc_macros_may_be_listed_and_every_runtime_package_must_be_with_its_version() {
        let resolved = Resolved {
            deps: ["tool@1.0.0", "serde@1.0.1"].map(dependency).to_vec(),
            via_proc_macros: ["displaydoc@0.2.5", "syn@2.0.0"].map(String::from).into(),
        };
        let set = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
        // cargo-auditable 0.7.7 lists displaydoc (it has test targets) and what it uses.
        let found = set(&["tool@1.0.0", "serde@1.0.1", "displaydoc@0.2.5", "syn@2.0.0"]);
        assert_eq!(compare(&found, &resolved).unwrap(), 2);
        assert_eq!(compare(&set(&["tool@1.0.0", "serde@1.0.1"]), &resolved).unwrap(), 2);
        let err = compare(&set(&["tool@1.0.0", "serde@1.0.0"]), &resolved).unwrap_err();
        assert_eq!(
            err.to_string(),
            "its cargo-auditable data lists serde@1.0.0 where this workspace's Cargo.lock has \
             serde@1.0.1: built from another Cargo.lock"
        );
        let err = compare(&set(&["tool@1.0.0", "serde@1.0.1", "libc@0.2.0"]), &resolved);
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("libc@0.2.0, which this target neither links nor runs as a proc-macro"),
            "{err}"
        );
        let err = compare(&set(&["tool@1.0.0"]), &resolved).unwrap_err().to_string();
        assert!(
            err.contains("no serde@1.0.1, which this target links: built with other features"),
            "{err}"
        );
    }
}
