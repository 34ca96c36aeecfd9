//! `cargo xtask doctor`: for every configured target, the builder `auto` picks and why, and
//! every missing piece with the command that fixes it.

use anyhow::{Result, bail};
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::host::machine::Machine;
use crate::pipeline::plan::TargetPlan;

impl flags::Doctor {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let plans = TargetPlan::all(sh, &policy, &machine);
        print_table(&plans, &machine);
        let fixes = fixes(&plans);
        if fixes.is_empty() {
            println!("\nEverything the configured targets need is installed.");
            return Ok(());
        }
        println!("\nTo fix (or run `cargo xtask setup`):");
        for fix in &fixes {
            println!("  {fix}");
        }
        bail!(
            "{} target(s) cannot be built here yet",
            plans.iter().filter(|p| !p.missing.is_empty()).count()
        )
    }
}

fn print_table(plans: &[TargetPlan], machine: &Machine) {
    let arch = machine.host_arch.map_or(std::env::consts::ARCH, |a| a.rust);
    let host =
        machine.host_glibc.map_or(arch.to_string(), |glibc| format!("{arch} with glibc {glibc}"));
    println!(
        "host: {host}; zig: {}; container engine: {}",
        if machine.zig { "yes" } else { "no" },
        machine.container_engine.as_deref().unwrap_or("none")
    );
    let rows: Vec<Vec<String>> = plans
        .iter()
        .map(|p| {
            let status = if p.missing.is_empty() {
                "ready".to_string()
            } else {
                let what: Vec<&str> = p.missing.iter().map(|m| m.what.as_str()).collect();
                format!("missing {}", what.join(", "))
            };
            let runner = match &p.runner {
                Ok(r) if r.is_empty() => "native".to_string(),
                Ok(r) => r[0].clone(),
                Err(m) => format!("no ({})", m.what),
            };
            vec![p.build_target().to_string(), p.builder.to_string(), p.why.clone(), runner, status]
        })
        .collect();
    crate::util::print_table(&["TARGET", "BUILDER", "WHY", "SMOKE-RUN", "STATUS"], &rows);
}

/// Every fix command once, in the order the targets need them.
fn fixes(plans: &[TargetPlan]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let all = plans.iter().flat_map(|p| p.missing.iter().chain(p.runner.as_ref().err()));
    all.filter(|m| seen.insert(&m.fix)).map(|m| m.fix.clone()).collect()
}
