//! The release automation of this workspace as a library: one module per command, used by the
//! `xtask` binary and by the fuzz target in `fuzz/`.

mod arch;
mod auditable;
mod bench;
mod binstall;
mod build;
mod cargo_config;
mod checksum;
mod ci;
mod codegen;
mod deb;
mod dependencies;
mod dist;
mod doctor;
pub mod flags;
mod fsx;
mod git;
mod installer;
mod linux_package;
mod machine;
mod manifest;
mod merge;
mod oci;
mod output;
mod package;
mod plan;
mod policy;
mod push_image;
mod release;
mod rename;
mod reproduce;
mod rpm;
mod sbom;
mod setup;
mod sign;
mod symlinks;
mod target;
mod test;
pub mod verify;

use std::path::PathBuf;

use anyhow::Result;

/// Prints rows under a header, each column as wide as its widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut widths = vec![0; header.len()];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

/// A path given on the command line, taken as the user meant it: relative to the directory
/// `cargo xtask` was run from (the shell's own directory is the workspace root).
fn user_path(path: &std::path::Path) -> Result<PathBuf> {
    Ok(std::env::current_dir()?.join(path))
}

/// The workspace root: the parent of this crate's directory. `CARGO_MANIFEST_DIR` as cargo
/// sets it at run time comes first, so that reproduce can run this binary in another checkout.
pub fn project_root() -> PathBuf {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    PathBuf::from(dir).parent().unwrap().to_owned()
}
