//! `cargo xtask plan [--json]`: the one answer to "what ships", for people and for the
//! workflows' matrices.

use anyhow::Result;
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::host::machine::Machine;
use crate::pipeline::plan::{TargetPlan, plan_json};

impl flags::Plan {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let plans = TargetPlan::all(sh, &policy, None, &machine);
        let json = plan_json(&policy, &plans, &machine);
        if self.json {
            // One line, so that a workflow step can put it into $GITHUB_OUTPUT as it is.
            println!("{}", serde_json::to_string(&json)?);
            return Ok(());
        }
        let rows: Vec<Vec<String>> = json
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.target.clone(),
                    t.glibc_floor_note
                        .clone()
                        .or(t.glibc_floor.clone())
                        .unwrap_or_else(|| "static".into()),
                    format!("{} ({})", t.builder, t.why),
                    t.runs_on.clone(),
                    t.runner.clone().unwrap_or_else(|| "native".into()),
                    t.debian_packages.join(" "),
                ]
            })
            .collect();
        crate::util::print_table(
            &[
                "TARGET",
                "GLIBC FLOOR",
                "BUILDER",
                "RUNS ON",
                "QEMU",
                "DEBIAN PACKAGES",
            ],
            &rows,
        );
        println!();
        for t in &json.targets {
            println!("{}: {}", t.target, t.archives.join(", "));
        }
        Ok(())
    }
}
