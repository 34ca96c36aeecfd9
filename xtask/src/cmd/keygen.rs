//! `cargo xtask keygen --out DIR`: a new minisign key pair for signing releases.

use anyhow::{Context, Result, ensure};
use minisign::{KeyPair, PublicKeyBox};

use crate::flags;
use crate::util::files;

impl flags::Keygen {
    pub fn run(self, _sh: &xshell::Shell) -> Result<()> {
        let dir = crate::util::user_path(&self.out)?;
        let (key, public) = (dir.join("minisign.key"), dir.join("minisign.pub"));
        for path in [&key, &public] {
            ensure!(
                !path.exists(),
                "{} exists: keygen never overwrites a key; choose another --out",
                path.display()
            );
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let password = crate::util::secrets::get("MINISIGN_PASSWORD").map(String::from);
        let KeyPair { pk, sk } = match password {
            Some(password) => KeyPair::generate_encrypted_keypair(Some(password)),
            None => KeyPair::generate_unencrypted_keypair(),
        }
        .context("generating a key pair")?;
        let sk_box =
            sk.to_box(Some("diag_tool release signing key")).context("encoding the key")?;
        let pk_box: PublicKeyBox = pk.to_box().context("encoding the public key")?;
        files::write_atomic_with(&key, |file| {
            use std::io::Write;
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(sk_box.to_string().as_bytes()).context("writing the key")
        })?;
        files::write_atomic(&public, pk_box.to_string().as_bytes())?;
        println!("wrote {} (keep it secret) and {}", key.display(), public.display());
        println!("\nPut the public key in the shipped package's Cargo.toml:\n");
        println!("[package.metadata.binstall.signing]");
        println!("algorithm = \"minisign\"");
        println!("pubkey = \"{}\"", pk.to_base64());
        println!(
            "\nand give dist the key as MINISIGN_KEY_FILE={} (or its contents as the MINISIGN_KEY secret in CI).",
            key.display()
        );
        Ok(())
    }
}
