//! `cargo xtask bench`: runs the `bench` crate of the workspace, which measures dist against
//! the plain builder commands and cargo-dist.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::flags;

impl flags::Bench {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let xtask = std::env::current_exe().context("finding the xtask binary")?;
        let builds = self.builds.then_some("--builds");
        cmd!(sh, "cargo run --locked --quiet --package bench -- {builds...}")
            .env("XTASK_BINARY", xtask)
            .run()
            .context("running the bench")
    }
}
