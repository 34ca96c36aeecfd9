//! `cargo xtask verify FILE --target T`: the checks dist runs on every binary, on any file.

use anyhow::Result;
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::verify::verify_file;

impl flags::Verify {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.target;
        let floor = match self.glibc_floor {
            Some(floor) => Some(floor),
            // The same floor dist applies: the target's, a `.2.28` suffix, or the default.
            None => Policy::read(sh)?.floor_for(&target),
        };
        let facts = verify_file(&self.file, &target, floor)?;
        println!("{}\n{facts}", self.file.display());
        println!("ok: meets the release policy of {target}");
        Ok(())
    }
}
