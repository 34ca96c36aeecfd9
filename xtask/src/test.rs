//! `cargo xtask test [--target T]`: the tests, for one target, through its runner. On a foreign
//! architecture only the shipped package runs (its golden tests must give the same output
//! there); the automation itself only ever runs on the build machine.

use anyhow::Result;
use xshell::{Shell, cmd};

use crate::flags;
use crate::policy::Policy;
use crate::target::Arch;
use crate::target::Target;

impl flags::Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let Some(triple) = self.target else {
            cmd!(sh, "cargo test --workspace --locked").run()?;
            return Ok(());
        };
        let policy = Policy::read(sh)?;
        let target: Target = policy.target(&triple)?.target;
        let triple = target.triple();
        if Some(target.arch) == Arch::host() {
            cmd!(sh, "cargo test --workspace --locked --target {triple}").run()?;
        } else {
            let package = &policy.package;
            cmd!(
                sh,
                "cargo test --locked --package {package} --target {triple}"
            )
            .run()?;
        }
        Ok(())
    }
}
