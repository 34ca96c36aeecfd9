//! `cargo xtask dist`: plans the targets, refuses what cannot be meant before any build, runs
//! the steps of `pipeline/targets.rs` into a staging directory and switches it in whole.

use anyhow::{Result, bail};
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags::{self, MessageFormat};
use crate::formats::archive;
use crate::host::build;
use crate::host::git;
use crate::host::jobserver::Jobserver;
use crate::host::machine::Machine;
use crate::manifest::Toolchain;
use crate::pipeline::output::Output;
use crate::pipeline::plan::{self, TargetPlan};
use crate::pipeline::targets::Dist;
use crate::util::files;

impl flags::Dist {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let out = Output { json: self.message_format == Some(MessageFormat::Json) };
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let targets = match self.target.is_empty() {
            true => policy.targets.clone(),
            false => {
                self.target.iter().map(|t| policy.target(&t.to_string())).collect::<Result<_>>()?
            }
        };
        let builder = self.builder.and_then(|b| b.0);
        let plans: Vec<TargetPlan> = targets
            .into_iter()
            .map(|tp| TargetPlan::new(sh, &policy, tp, builder, &machine))
            .collect();
        let out_dir = match self.out_dir {
            Some(dir) => crate::util::user_path(&dir)?,
            None => policy.target_dir.join("dist"),
        };
        if self.dry_run {
            for plan in &plans {
                println!("{}", plan::invocation(sh, &policy, plan, None).display());
            }
            return Ok(());
        }
        // Before any build: a duplicate target, and an `include` entry outside the
        // workspace, are refused by name.
        let mut seen = std::collections::HashSet::new();
        let dup = plans.iter().map(|p| p.policy.target.triple()).find(|t| !seen.insert(t.clone()));
        if let Some(dup) = dup {
            bail!("--target {dup} is given twice: name each target once");
        }
        let included = archive::included_files(&sh.current_dir(), &policy.include)?;
        let staging = files::Staging::begin(&out_dir)?;
        build::rerun_build_scripts(&policy.build_scripts)?;
        let dist = Dist {
            policy: &policy,
            included,
            out,
            out_dir: staging.path(),
            release_dir: &out_dir,
            smoke: !self.no_smoke,
            mtime: git::source_date_epoch(sh)?,
            jobserver: Jobserver::new(Jobserver::slots(), plans.len())?,
            toolchain: Toolchain::probe(sh, &machine.tools)?,
        };
        dist.run(sh, &plans)?;
        staging.commit()
    }
}
