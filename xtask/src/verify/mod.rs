//! `cargo xtask verify`: proves from the ELF bytes that a binary is what its target promises
//! (architecture, linkage, glibc floor, stripped, no search paths) and records its hardening.

mod elf;
mod facts;
mod rules;

pub mod auditable;
pub mod corpus;
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::config::glibc::GlibcVersion;
use crate::config::target::Target;
use elf::inspect;
pub use facts::{BinaryFacts, FileType, Relro, VersionRequirement};
use rules::{Violation, check};

/// Reads, inspects and checks one file; `Err` lists every violation.
pub fn verify_file(
    path: &Path,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Result<BinaryFacts> {
    let bytes = crate::util::files::read_regular(path, crate::util::files::BINARY_CAP)?;
    verify_bytes(&bytes, path, target, glibc_floor)
}

/// [`verify_file`] on bytes already read from `path`.
pub fn verify_bytes(
    bytes: &[u8],
    path: &Path,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Result<BinaryFacts> {
    let facts = inspect(bytes).with_context(|| format!("inspecting {}", path.display()))?;
    let violations = check(&facts, target, glibc_floor);
    if violations.is_empty() { Ok(facts) } else { Err(violations_error(path, target, &violations)) }
}

fn violations_error(path: &Path, target: &Target, violations: &[Violation]) -> anyhow::Error {
    let count = violations.len();
    let noun = if count == 1 { "violation" } else { "violations" };
    let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
    anyhow!(
        "{}: {count} release policy {noun} for {target}:\n\n{}",
        path.display(),
        list.join("\n\n")
    )
}

/// Everything verification does with a file's bytes, as every target the architecture table
/// supports, with and without glibc floors: read the facts, judge, print and record them.
/// Returns the triples whose every rule the file meets without a floor; `Err` is the reader's.
/// The fuzz target and the corpus replay test run exactly this.
pub fn judge_as_every_target(bytes: &[u8]) -> Result<Vec<String>> {
    let facts = inspect(bytes)?;
    let mut accepted_by = Vec::new();
    for target in Target::every() {
        let floors = [None, Some(GlibcVersion([2, 17, 0])), Some(target.arch.glibc_first)];
        for floor in floors {
            let violations = check(&facts, &target, floor);
            if violations.is_empty() && floor.is_none() {
                accepted_by.push(target.triple());
            }
            let _ = violations_error(Path::new("input"), &target, &violations).to_string();
        }
    }
    let _ = (facts.to_string(), crate::manifest::Binary::from(&facts));
    Ok(accepted_by)
}

#[cfg(test)]
mod tests;
