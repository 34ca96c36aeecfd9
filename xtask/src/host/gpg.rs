//! OpenPGP signatures with the `gpg` CLI, the field's own tool: the key from `PGP_KEY_FILE` (a
//! path) or `PGP_KEY` (an armored secret key, for CI secrets), its password from
//! `PGP_PASSWORD`. gpg gets the password on a pipe (`--passphrase-fd 0`), never on its command
//! line or in its environment, and works in a temporary `GNUPGHOME` removed afterwards.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Cmd, Shell, cmd};

use crate::util::secrets;

/// A secret key imported into a throwaway keyring.
pub struct Gpg {
    home: PathBuf,
    password: String,
    /// The primary key's fingerprint, which signs.
    pub fingerprint: String,
    /// When the key was made (seconds since the epoch): no signature of it can be older.
    pub created: u64,
}

impl Gpg {
    /// The key the environment gives, or `None` when it gives none.
    pub fn from_env(sh: &Shell) -> Result<Option<Gpg>> {
        let text = match (secrets::get("PGP_KEY_FILE"), secrets::get("PGP_KEY")) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("reading PGP_KEY_FILE={path}"))?,
            (None, Some(text)) => text.to_string(),
            _ => return Ok(None),
        };
        let password = secrets::get("PGP_PASSWORD").unwrap_or_default().to_string();
        Gpg::import(sh, &text, password).map(Some)
    }

    /// A new keyring, empty, in a private temporary directory that goes when it is dropped.
    fn keyring(password: String) -> Result<Gpg> {
        let home = std::env::temp_dir().join(format!(
            "xtask-gpg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos()
        ));
        std::fs::create_dir(&home).with_context(|| format!("creating {}", home.display()))?;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))?;
        Ok(Gpg { home, password, fingerprint: String::new(), created: 0 })
    }

    /// Imports the armored secret key `text` into a new keyring.
    pub fn import(sh: &Shell, text: &str, password: String) -> Result<Gpg> {
        let mut gpg = Gpg::keyring(password)?;
        gpg.gpg(sh, &["--import"])
            .stdin(text)
            .ignore_stderr()
            .run()
            .context("gpg --import refused PGP_KEY/PGP_KEY_FILE: it must be an armored secret key (gpg --armor --export-secret-keys)")?;
        let listing = gpg.gpg(sh, &["--with-colons", "--list-secret-keys"]).read()?;
        gpg.fingerprint = primary_fingerprint(&listing).context(
            "PGP_KEY/PGP_KEY_FILE holds no secret key: export it with gpg --armor --export-secret-keys",
        )?;
        let secret_key = listing.lines().find(|l| l.starts_with("sec:"));
        gpg.created = secret_key.and_then(|l| l.split(':').nth(5)?.parse().ok()).unwrap_or(0);
        Ok(gpg)
    }

    /// gpg in this keyring (the secret variables left the environment at start).
    fn gpg<'a>(&self, sh: &'a Shell, args: &[&str]) -> Cmd<'a> {
        let home = &self.home;
        cmd!(sh, "gpg --batch --no-tty --homedir {home} {args...}").quiet()
    }

    /// Signs `data` as `how` says (`--detach-sign`, `--clearsign`, with `--armor` or not).
    /// A signature made `at` a given time (never before the key was made) is the same bytes
    /// every time: RSA signatures have no randomness, only their creation time differs.
    pub fn sign(&self, sh: &Shell, data: &[u8], how: &[&str], at: Option<u64>) -> Result<Vec<u8>> {
        let (input, output) = (self.home.join("input"), self.home.join("output"));
        std::fs::write(&input, data)?;
        let _ = std::fs::remove_file(&output);
        let (home, fingerprint) = (&self.home, &self.fingerprint);
        let faked = at.map(|t| format!("{}!", t.max(self.created)));
        let faked = faked.iter().flat_map(|time| ["--faked-system-time", time]);
        cmd!(
            sh,
            "gpg --batch --no-tty --homedir {home} --pinentry-mode loopback --passphrase-fd 0
             --digest-algo SHA256 --local-user {fingerprint} --output {output} {faked...}
             {how...} {input}"
        )
        .quiet()
        .stdin(format!("{}\n", self.password))
        .ignore_stderr()
        .run()
        .context("gpg could not sign: is PGP_PASSWORD the key's password?")?;
        std::fs::read(&output).context("reading gpg's signature")
    }

    /// Fails unless the armored public key in `path` is this key's.
    pub fn check_public_key(&self, sh: &Shell, path: &Path) -> Result<()> {
        let listing = self
            .gpg(sh, &["--with-colons", "--import-options", "show-only", "--import"])
            .arg(path)
            .ignore_stderr()
            .read()
            .with_context(|| format!("reading the public key {}", path.display()))?;
        match primary_fingerprint(&listing) {
            Some(fingerprint) if fingerprint == self.fingerprint => Ok(()),
            found => bail!(
                "the signing key (PGP_KEY/PGP_KEY_FILE) is {}, but pgp-public-key {} is {}: give \
                 the matching key, or commit its public key there (gpg --armor --export {})",
                self.fingerprint,
                path.display(),
                found.as_deref().unwrap_or("no key"),
                self.fingerprint
            ),
        }
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        // The agent gpg started for this keyring holds the unlocked key: stop it first.
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.home)
            .args(["--kill", "gpg-agent"])
            .output();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// The first `fpr` record after the first `pub` or `sec` one in gpg's `--with-colons` output.
fn primary_fingerprint(listing: &str) -> Option<String> {
    let mut lines =
        listing.lines().skip_while(|l| !l.starts_with("pub:") && !l.starts_with("sec:"));
    lines.find(|l| l.starts_with("fpr:")).and_then(|l| l.split(':').nth(9)).map(str::to_string)
}

/// A throwaway RSA key (armored secret and public halves) made with gpg itself, for tests
/// and the bench.
pub fn throwaway_key(sh: &Shell, name: &str, password: &str) -> Result<(String, String)> {
    let keyring = Gpg::keyring(String::new())?;
    let pass = ["--pinentry-mode", "loopback", "--passphrase", password];
    let uid = format!("{name} <{name}@example.invalid>");
    let made = || {
        let new_key = ["--quick-gen-key", &uid, "rsa2048", "sign", "never"];
        keyring.gpg(sh, &pass).args(new_key).ignore_stderr().run()?;
        let secret = keyring.gpg(sh, &pass).args(["--armor", "--export-secret-keys"]).read()?;
        let public = keyring.gpg(sh, &["--armor", "--export"]).read()?;
        anyhow::Ok((secret, public))
    };
    made().context("making a key with gpg --quick-gen-key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_with_a_password_signs_what_gpg_verifies_and_another_public_key_is_refused() {
        let sh = Shell::new().unwrap();
        let (secret, public) = throwaway_key(&sh, "one", "pw").unwrap();
        let (_, other_public) = throwaway_key(&sh, "two", "").unwrap();
        let gpg = Gpg::import(&sh, &secret, "pw".into()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (key, other) = (dir.path().join("key.asc"), dir.path().join("other.asc"));
        std::fs::write(&key, &public).unwrap();
        std::fs::write(&other, &other_public).unwrap();
        gpg.check_public_key(&sh, &key).unwrap();
        let err = gpg.check_public_key(&sh, &other).unwrap_err();
        assert!(format!("{err:#}").contains("pgp-public-key"), "{err:#}");

        let signature = gpg.sign(&sh, b"Release\n", &["--detach-sign"], None).unwrap();
        let (data, sig) = (dir.path().join("data"), dir.path().join("data.sig"));
        std::fs::write(&data, b"Release\n").unwrap();
        std::fs::write(&sig, &signature).unwrap();
        let verify = |keyring: &Path| {
            let ring = dir.path().join("ring.gpg");
            let _ = std::fs::remove_file(&ring);
            cmd!(sh, "gpg --batch --dearmor --output {ring} {keyring}").quiet().run().unwrap();
            cmd!(sh, "gpgv --keyring {ring} {sig} {data}").quiet().ignore_stderr().run().is_ok()
        };
        assert!(verify(&key));
        assert!(!verify(&other));

        let home = gpg.home.clone();
        drop(gpg);
        assert!(!home.exists());
        let wrong = Gpg::import(&sh, &secret, "wrong".into()).unwrap();
        let err = wrong.sign(&sh, b"x", &["--detach-sign"], None).unwrap_err();
        assert!(format!("{err:#}").contains("PGP_PASSWORD"), "{err:#}");
    }
}
