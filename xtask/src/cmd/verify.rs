//! `cargo xtask verify FILE --target T`: the checks dist runs on every binary, on any file:
//! the ELF rules, the cargo-auditable data against this workspace's Cargo.lock, and no path of
//! this machine.

use anyhow::Result;
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::host::build;
use crate::pipeline::checks;
use crate::util::files;

impl flags::Verify {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.target;
        let policy = Policy::read(sh)?;
        // The same floor dist applies: the target's, a `.2.28` suffix, or the default.
        let floor = self.glibc_floor.or_else(|| policy.floor_for(&target));
        let bytes = files::read_regular(&self.file, files::BINARY_CAP)?;
        let remaps = build::remaps(&sh.current_dir(), &policy.target_dir);
        let checked = checks::run(sh, &policy, (&bytes, &self.file), (&target, floor), &remaps)?;
        println!("{}\n{}", self.file.display(), checked.facts);
        println!(
            "ok: meets the release policy of {target}; its cargo-auditable data lists the {} \
             packages this workspace's Cargo.lock resolves for it",
            checked.audited
        );
        Ok(())
    }
}
