//! Cargo's own answers about the workspace: `cargo metadata`, read into the policy's types.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;

impl Policy {
    pub fn read(sh: &Shell) -> Result<Policy> {
        let json = cmd!(
            sh,
            "cargo metadata --format-version 1 --no-deps --locked --offline"
        )
        .quiet()
        .read()
        .context("running `cargo metadata`")?;
        Policy::from_metadata(&json)
    }
}
