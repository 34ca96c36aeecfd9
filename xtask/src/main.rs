//! `cargo xtask`: the release automation of this workspace. One module per command.

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
mod flags;
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
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use xshell::Shell;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable message with its causes; backtraces are for panics, not user errors.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let flags = match flags::Xtask::from_env() {
        Ok(flags) => flags,
        Err(e) if e.is_help() => e.exit(),
        // A usage error (exit 2, as cargo gives) in the same one-line form as every other.
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2)
        }
    };
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match flags.subcommand {
        flags::XtaskCmd::Setup(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Doctor(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Plan(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Codegen(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Dist(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Merge(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Keygen(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Reproduce(cmd) => cmd.run(&sh),
        flags::XtaskCmd::PushImage(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Verify(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Test(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Ci(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Bench(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Rename(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Symlinks(cmd) => cmd.run(&sh),
    }
}

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

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    PathBuf::from(dir).parent().unwrap().to_owned()
}
