//! Small helpers every layer may use: atomic files, tables, user paths.

pub mod files;
pub mod secrets;

use std::path::PathBuf;

use anyhow::Result;

/// Prints rows under a header, each column as wide as its widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut widths = vec![0; header.len()];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

/// A path given on the command line, taken as the user meant it: relative to the directory
/// `cargo xtask` was run from (the shell's own directory is the workspace root).
/// An empty path is refused: joined, it would name the current directory (the repository root).
pub fn user_path(path: &std::path::Path) -> Result<PathBuf> {
    anyhow::ensure!(
        !path.as_os_str().is_empty(),
        "an empty path was given for a directory: name one (an empty path would mean the \
         current directory)"
    );
    Ok(std::env::current_dir()?.join(path))
}
