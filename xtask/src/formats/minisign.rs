//! minisign signatures of every release file, as `<file>.sig` beside it (where cargo-binstall
//! looks by default), with the key from `MINISIGN_KEY_FILE` (a path) or `MINISIGN_KEY` (the key
//! file's contents, for CI secrets) and its password from `MINISIGN_PASSWORD`; never from the
//! command line. `cargo xtask keygen` makes a key pair in minisign's own formats.

use std::path::Path;

use anyhow::{Context, Result};
use minisign::{PublicKey, SecretKey, SecretKeyBox, SignatureBox};

use crate::manifest::Signing;
use crate::util::{files, secrets};

/// The key dist signs with, and the public half that must match Cargo.toml's.
pub struct Signer {
    secret: SecretKey,
    /// In base64 (`to_base64`), as `minisign -P` and cargo-binstall's `pubkey` take it.
    pub public: PublicKey,
}

impl Signer {
    /// The key the environment gave, or `None` when it gave none: the release is unsigned.
    pub fn from_env() -> Result<Option<Signer>> {
        let text = match (secrets::get("MINISIGN_KEY_FILE"), secrets::get("MINISIGN_KEY")) {
            (Some(path), _) => files::read_text(Path::new(path)).with_context(|| {
                format!("reading MINISIGN_KEY_FILE={}", Path::new(path).display())
            })?,
            (None, Some(text)) => text.to_string(),
            _ => return Ok(None),
        };
        let password = secrets::get("MINISIGN_PASSWORD").map(String::from);
        Signer::from_key_file_text(&text, password).map(Some)
    }

    /// A key in minisign's secret key file format, encrypted (with `password`) or not.
    pub fn from_key_file_text(text: &str, password: Option<String>) -> Result<Signer> {
        let sk_box = SecretKeyBox::from_string(text).context("reading the minisign secret key")?;
        let secret = match password {
            Some(password) => sk_box.into_secret_key(Some(password)),
            None => sk_box.into_unencrypted_secret_key().or_else(|e| unchecked_key(text).ok_or(e)),
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "the minisign secret key cannot be used: {e} (an encrypted key needs its \
                 password in MINISIGN_PASSWORD; an unencrypted one, from `minisign -G -W` or \
                 `cargo xtask keygen`, needs none)"
            )
        })?;
        let public = PublicKey::from_secret_key(&secret).context("deriving the public key")?;
        Ok(Signer { secret, public })
    }

    /// What the manifest records of the key.
    pub fn signing(&self) -> Signing {
        Signing { algorithm: "minisign".into(), public_key: self.public.to_base64() }
    }

    /// Writes `<file>.sig`. The trusted comment names the file and the release's time, as
    /// minisign's own comment does, so that `minisign -V` shows what was signed.
    pub fn sign_file(&self, path: &Path, source_date_epoch: u64) -> Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).context("a UTF-8 file name")?;
        let file = files::open_regular(path)?;
        let comment = format!("timestamp:{source_date_epoch}\tfile:{name}\thashed");
        let signature =
            minisign::sign(Some(&self.public), &self.secret, file, Some(&comment), None)
                .with_context(|| format!("signing {}", path.display()))?;
        let sig = path.with_file_name(format!("{name}.sig"));
        files::write_atomic(&sig, signature.to_string().as_bytes())
    }
}

/// minisign 0.11's `-W` writes unencrypted keys whose checksum field is left zero, which
/// rust-minisign rejects as corrupted. Such a key is taken as it is: every signature is
/// checked against the public key before it is written, so a damaged key still cannot sign.
fn unchecked_key(text: &str) -> Option<SecretKey> {
    use ct_codecs::{Base64, Decoder};
    let line = text.lines().nth(1)?;
    let bytes = Base64::decode_to_vec(line.trim(), None).ok()?;
    // The checksum is the last 32 bytes of the key.
    let unencrypted = bytes.get(2..4) == Some(&[0, 0][..]);
    let zero_checksum = bytes.len() >= 32 && bytes[bytes.len() - 32..].iter().all(|&b| b == 0);
    (unencrypted && zero_checksum).then(|| SecretKey::from_bytes(&bytes).ok()).flatten()
}

/// Checks `path` against its `.sig` with `public_key` (base64, as in Cargo.toml).
pub fn verify_file(path: &Path, public_key: &str) -> Result<()> {
    let public = PublicKey::from_base64(public_key).context("reading the public key")?;
    let name = path.file_name().and_then(|n| n.to_str()).context("a UTF-8 file name")?;
    let text = files::read_text(&path.with_file_name(format!("{name}.sig")))?;
    let signature = SignatureBox::from_string(&text).context("reading the signature")?;
    let file = files::open_regular(path)?;
    minisign::verify(&public, &signature, file, true, false, false)
        .map_err(|e| anyhow::anyhow!("{}: bad signature: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use minisign::KeyPair;

    use super::*;

    /// A key as the real minisign CLI makes it, unencrypted (`-W`).
    fn cli_key(dir: &Path) -> (String, String) {
        let (sk, pk) = (dir.join("cli.key"), dir.join("cli.pub"));
        let out = Command::new("minisign")
            .args(["-G", "-W", "-s"])
            .arg(&sk)
            .arg("-p")
            .arg(&pk)
            .output()
            .expect("minisign is needed: apt-get install minisign");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let public = std::fs::read_to_string(&pk).unwrap();
        (std::fs::read_to_string(sk).unwrap(), public.lines().nth(1).unwrap().to_string())
    }

    fn signer(text: &str) -> Signer {
        Signer::from_key_file_text(text, None).unwrap()
    }

    fn minisign_verifies(file: &Path, public_key: &str) -> bool {
        Command::new("minisign")
            .args(["-V", "-q", "-P", public_key, "-x"])
            .arg(
                file.with_file_name(format!("{}.sig", file.file_name().unwrap().to_str().unwrap())),
            )
            .arg("-m")
            .arg(file)
            .status()
            .unwrap()
            .success()
    }

    #[test]
    fn a_cli_key_signs_what_minisign_verifies_and_tampering_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let (key, public) = cli_key(tmp.path());
        let signer = signer(&key);
        assert_eq!(signer.public.to_base64(), public);
        let file = tmp.path().join("tool.tar.gz");
        std::fs::write(&file, "archive bytes").unwrap();
        signer.sign_file(&file, 1_700_000_000).unwrap();
        assert!(minisign_verifies(&file, &public));
        verify_file(&file, &public).unwrap();

        std::fs::write(&file, "archive bytez").unwrap();
        assert!(!minisign_verifies(&file, &public));
        assert!(verify_file(&file, &public).is_err());

        let other = tempfile::tempdir().unwrap();
        let (_, other_public) = cli_key(other.path());
        // A key of our own keygen's kind, encrypted, works as well.
        let KeyPair { sk, .. } = KeyPair::generate_encrypted_keypair(Some("pw".into())).unwrap();
        let text = sk.to_box(None).unwrap().to_string();
        assert!(Signer::from_key_file_text(&text, Some("pw".into())).is_ok());
        let err = Signer::from_key_file_text(&text, Some("wrong".into())).err().unwrap();
        assert!(format!("{err:#}").contains("MINISIGN_PASSWORD"), "{err:#}");
        std::fs::write(&file, "archive bytes").unwrap();
        assert!(minisign_verifies(&file, &public));
        assert!(!minisign_verifies(&file, &other_public));
    }
}
