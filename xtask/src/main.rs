//! `cargo xtask`: the release automation of this workspace. One module per command.

mod flags;
mod target;

use std::path::PathBuf;

use anyhow::Result;
use xshell::Shell;

fn main() -> Result<()> {
    let flags = flags::Xtask::from_env_or_exit();
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match flags.subcommand {
        _ => anyhow::bail!("not yet"),
    }
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    PathBuf::from(dir).parent().unwrap().to_owned()
}
