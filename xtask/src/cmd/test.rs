//! `cargo xtask test [--target T]`: the shipped package's tests (golden tests included) built
//! for every configured target, or for T, and run through its runner: the output must be the
//! same on every architecture. The workspace's own tests are `cargo test`, run by `ci`.

use anyhow::{Result, anyhow};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::flags;
use crate::host::machine::Machine;

impl flags::Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let targets = match self.target {
            Some(target) => vec![policy.target(&target.to_string())?.target],
            None => policy.targets.iter().map(|t| t.target.clone()).collect(),
        };
        let package = &policy.package.name;
        for target in targets {
            let triple = target.triple();
            let runner = machine.runner(&target).map_err(|missing| {
                let (what, fix) = (missing.what, missing.fix);
                anyhow!("cannot run tests for {triple} here: {what} is missing: {fix}")
            })?;
            // Cargo runs the test binaries under the runner; tests that start the built binary
            // themselves find the runner in TARGET_RUNNER.
            cmd!(sh, "cargo test --locked --package {package} --target {triple}")
                .env("TARGET_RUNNER", runner.join(" "))
                .run()?;
        }
        Ok(())
    }
}
