//! `cargo xtask test [--target T]`: the workspace tests, or with `--target` the shipped
//! package's tests built for that target and run through its runner (the golden tests must give
//! the same output on every architecture). The automation only ever runs on the build machine,
//! so its tests run without `--target`.

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

use crate::flags;
use crate::machine::Machine;
use crate::policy::Policy;

impl flags::Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let Some(target) = self.target else {
            cmd!(sh, "cargo test --workspace --locked").run()?;
            return Ok(());
        };
        let policy = Policy::read(sh)?;
        let target = policy.target(&target.to_string())?.target;
        let triple = target.triple();
        let runner = match Machine::probe(sh)?.runner(&target) {
            Ok(runner) => runner,
            Err(missing) => bail!(
                "cannot run tests for {triple} here: {} is missing: {}",
                missing.what,
                missing.fix
            ),
        };
        // Cargo runs the test binaries under the runner; tests that start the built binary
        // themselves find the runner in TARGET_RUNNER.
        let package = &policy.package.name;
        cmd!(
            sh,
            "cargo test --locked --package {package} --target {triple}"
        )
        .env("TARGET_RUNNER", runner.join(" "))
        .run()?;
        Ok(())
    }
}
