//! `cargo xtask ci`: everything CI checks, in the order that fails fastest. The workflows call
//! this; the logic lives here, where it is tested.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::flags;

impl flags::Ci {
    pub fn run(self, sh: &Shell) -> Result<()> {
        flags::Codegen { check: true }.run(sh)?;
        cmd!(sh, "cargo fmt --all -- --check").run().context("run `cargo fmt` and commit")?;
        cmd!(sh, "cargo clippy --workspace --all-targets --locked -- -D warnings").run()?;
        lint_workflows(sh)?;
        cmd!(sh, "cargo test --workspace --locked").run()?;
        Ok(())
    }
}

fn lint_workflows(sh: &Shell) -> Result<()> {
    let mut workflows = sh.read_dir(".github/workflows")?;
    workflows.retain(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"));
    let fix =
        "run `cargo xtask setup` (it installs the pinned actionlint, check-jsonschema and zizmor)";
    let workflows = &workflows;
    cmd!(sh, "actionlint {workflows...}")
        .run()
        .with_context(|| format!("actionlint failed or is missing: {fix}"))?;
    cmd!(sh, "check-jsonschema --builtin-schema vendor.github-workflows {workflows...}")
        .run()
        .with_context(|| format!("check-jsonschema failed or is missing: {fix}"))?;
    // The security linter: unpinned actions, persisted credentials, broad permissions,
    // template injection. Offline, so it judges the files alone.
    cmd!(sh, "zizmor --offline .github/workflows")
        .run()
        .with_context(|| format!("zizmor found problems in the workflows, or is missing: {fix}"))
}
