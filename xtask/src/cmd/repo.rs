//! `cargo xtask repo --base-url URL --out DIR RELEASE_DIR...`: adds the releases' packages to
//! the signed apt and dnf repositories in DIR (`pipeline/repository.rs`). It never writes an
//! unsigned repository: without a key (PGP_KEY_FILE or PGP_KEY) it refuses.

use anyhow::{Context, Result, ensure};
use xshell::Shell;

use crate::config::policy::Policy;
use crate::flags;
use crate::host::gpg::Gpg;
use crate::pipeline::repository::{self, Request};

impl flags::Repo {
    pub fn run(self, sh: &Shell) -> Result<()> {
        ensure!(
            !self.releases.is_empty(),
            "name the releases to add: cargo xtask repo --base-url URL --out DIR RELEASE_DIR..."
        );
        let policy = Policy::read(sh)?;
        let public_key = policy.pgp_public_key.as_ref().context(
            "no `pgp-public-key` in [workspace.metadata.release]: commit the repository \
             key's public half (see the README, \"Package repositories\") and name its path there",
        )?;
        let gpg = Gpg::from_env(sh)?.context(
            "no signing key: a repository is never written unsigned; give the armored \
             secret key as PGP_KEY_FILE (a path) or PGP_KEY, and its password as PGP_PASSWORD",
        )?;
        let dir = crate::util::user_path(&self.out)?;
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let releases =
            self.releases.iter().map(|r| crate::util::user_path(r)).collect::<Result<Vec<_>>>()?;
        let request = Request {
            base_url: &self.base_url,
            dir: &dir,
            releases: &releases,
            public_key: &crate::project_root().join(public_key),
            gpg: &gpg,
        };
        let (debs, rpms) = repository::update(sh, &request)?;
        println!(
            "{}: {debs} .deb and {rpms} .rpm package(s), signed with {}",
            dir.display(),
            gpg.fingerprint
        );
        Ok(())
    }
}
