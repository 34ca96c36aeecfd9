//! cargo-auditable's dependency list, read from a binary's bytes (the zlib-compressed JSON in
//! its `.dep-v0` section) and held against the packages the target resolves, so that what a
//! user's scanner reads from the binary is proven to be what went in.

use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::config::dependencies::Dependency;

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
    let Some(section) = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
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
    if json.len() as u64 > MAX_JSON {
        bail!("{SECTION} inflates to more than {MAX_JSON} bytes");
    }
    let data: AuditData = serde_json::from_slice(&json)
        .with_context(|| format!("{SECTION} is not cargo-auditable's JSON"))?;
    if data.packages.iter().filter(|p| p.root).count() != 1 {
        bail!(
            "{SECTION} names {} root packages, expected one",
            data.packages.iter().filter(|p| p.root).count()
        );
    }
    Ok(Some(
        data.packages
            .iter()
            .filter(|p| p.kind.as_deref() != Some("build"))
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect(),
    ))
}

/// Fails unless the binary carries auditable data listing exactly `expected`.
pub fn check(bytes: &[u8], expected: &[Dependency]) -> Result<usize> {
    let Some(found) = packages(bytes)? else {
        bail!(
            "no cargo-auditable data (no {SECTION} section): expected the list of the packages \
             compiled in, which every release binary carries: build through `cargo auditable` \
             (`cargo xtask dist` does; cross's container cannot)"
        );
    };
    let expected: BTreeSet<String> = expected.iter().map(Dependency::key).collect();
    if found != expected {
        let extra: Vec<&String> = found.difference(&expected).collect();
        let lacking: Vec<&String> = expected.difference(&found).collect();
        bail!(
            "the cargo-auditable data does not match the packages this target resolves: it \
             lists {extra:?} that Cargo.lock does not give this target, and lacks {lacking:?}: \
             the binary was built from another Cargo.lock or for another target"
        );
    }
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_without_the_section_is_reported_as_such() {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(packages(&bytes).unwrap(), None);
        let err = check(&bytes, &[]).unwrap_err().to_string();
        assert!(err.contains("no cargo-auditable data"), "{err}");
    }
}
