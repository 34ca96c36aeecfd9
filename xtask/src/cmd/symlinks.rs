//! `cargo xtask symlinks`: recreates the TestArea links listed in `TestArea/symlinks.txt` that
//! a copy dropped (cargo-generate copies regular files only).

use anyhow::Result;
use xshell::Shell;

use crate::flags;
use crate::template::symlinks::{parse, read_list, restore};

impl flags::Symlinks {
    /// Recreates the listed links that a copy dropped.
    pub fn run(self, sh: &Shell) -> Result<()> {
        let root = sh.current_dir();
        let listed = parse(&read_list(&root)?)?;
        let created = restore(&listed, &root)?;
        println!("{created} of {} listed links created", listed.len());
        Ok(())
    }
}
