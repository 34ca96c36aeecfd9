//! `cargo xtask plan [--json]`: the one answer to "what ships", for people and for the
//! workflows' matrices.

use anyhow::{Context, Result};
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::formats::changelog;
use crate::host::machine::Machine;
use crate::pipeline::plan::{TargetPlan, plan_json};

impl flags::Plan {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let mut policy = Policy::read(sh)?;
        if self.release_notes {
            let path = crate::project_root().join("CHANGELOG.md");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let notes = changelog::section(&text, policy.version()).with_context(|| {
                format!("{} has no `## [{}]` section", path.display(), policy.version())
            })?;
            println!("{notes}");
            return Ok(());
        }
        if self.every_arch {
            policy.targets = policy.every_arch()?;
        }
        let machine = Machine::probe(sh)?;
        let plans = TargetPlan::all(sh, &policy, &machine);
        let json = plan_json(&policy, &plans, &machine);
        if self.json {
            // One line, so that a workflow step can put it into $GITHUB_OUTPUT as it is.
            println!("{}", serde_json::to_string(&json)?);
            return Ok(());
        }
        let rows: Vec<Vec<String>> = json
            .targets
            .iter()
            .zip(&plans)
            .map(|(t, p)| {
                let floor = t.glibc_floor_note.clone().or(t.glibc_floor.clone());
                let runner = match &p.runner {
                    Ok(runner) if runner.is_empty() => "native".into(),
                    Ok(runner) => runner.join(" "),
                    Err(missing) => format!("none: {}", missing.fix),
                };
                vec![
                    t.target.clone(),
                    floor.unwrap_or_else(|| "static".into()),
                    format!("{} ({})", t.builder, t.why),
                    t.runs_on.clone(),
                    runner,
                    t.debian_packages.join(" "),
                ]
            })
            .collect();
        crate::util::print_table(
            &["TARGET", "GLIBC FLOOR", "BUILDER", "RUNS ON", "QEMU", "DEBIAN PACKAGES"],
            &rows,
        );
        println!();
        for t in &json.targets {
            println!("{}: {}", t.target, t.archives.join(", "));
        }
        for p in plans.iter().filter(|p| !p.missing.is_empty()) {
            let what: Vec<String> =
                p.missing.iter().map(|m| format!("{} ({})", m.what, m.fix)).collect();
            println!("{}: dist refuses it here: {}", p.policy.target, what.join("; "));
        }
        Ok(())
    }
}
