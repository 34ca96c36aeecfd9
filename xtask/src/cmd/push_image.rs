//! `cargo xtask push-image`: copies the release's OCI image to a container registry with skopeo,
//! every platform and every digest as built, so the registry serves the bytes SHA256SUMS lists.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use xshell::{Cmd, Shell, cmd};

use crate::flags;
use crate::formats::checksums;
use crate::formats::oci;
use crate::manifest::{self, ArtifactKind, Manifest};

/// Credentials come from the environment, never the command line, which any process can read;
/// skopeo gets the password on its standard input.
const USERNAME: &str = "REGISTRY_USERNAME";
const PASSWORD: &str = "REGISTRY_PASSWORD";

impl flags::PushImage {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let dir = crate::util::user_path(&self.dir)?;
        let manifest = Manifest::read(&dir.join(manifest::FILE_NAME))?;
        let repository = match self.to {
            Some(to) => to,
            None => default_repository(&manifest.name, std::env::var("GITHUB_REPOSITORY_OWNER"))?,
        };
        let username = std::env::var(USERNAME).ok();
        let (login, copy) = commands(sh, &manifest, &dir, &repository, username.as_deref())?;
        if self.dry_run {
            for command in login.iter().chain([&copy]) {
                println!("{command}");
            }
            return Ok(());
        }
        if let Some(login) = login {
            let password = std::env::var(PASSWORD).with_context(|| {
                format!("{USERNAME} is set but {PASSWORD} is not: set both, or neither to use skopeo's stored login")
            })?;
            login.stdin(password).run().context("skopeo login failed")?;
        }
        copy.run().context("skopeo copy failed")
    }
}

/// `ghcr.io/<owner>/<name>`, lowercase as registries require.
fn default_repository(name: &str, owner: Result<String, std::env::VarError>) -> Result<String> {
    let owner = owner.ok().context(
        "no repository to push to: pass --to REGISTRY/OWNER/NAME, or set \
         GITHUB_REPOSITORY_OWNER (GitHub Actions does)",
    )?;
    Ok(format!("ghcr.io/{owner}/{name}").to_lowercase())
}

/// The skopeo commands that push the image of the release in `dir` to `repository`: a login
/// when a username is given (the password goes to its standard input), then the copy.
fn commands<'a>(
    sh: &'a Shell,
    manifest: &Manifest,
    dir: &Path,
    repository: &str,
    username: Option<&str>,
) -> Result<(Option<Cmd<'a>>, Cmd<'a>)> {
    let Some(image) = manifest.files.iter().find(|f| f.kind == ArtifactKind::OciImage) else {
        bail!(
            "{} lists no OCI image (the release has no musl target): nothing to push",
            dir.join(manifest::FILE_NAME).display()
        );
    };
    let registry = match repository.split_once('/') {
        Some((host, _)) if host.contains(['.', ':']) || host == "localhost" => host,
        _ => bail!(
            "expected --to REGISTRY/OWNER/NAME such as ghcr.io/acme/diag_tool, found `{repository}`"
        ),
    };
    let tag = oci::tag(&manifest.version);
    if tag.contains('+') {
        bail!("version {tag} holds `+`, which a registry tag cannot: release another version");
    }
    let path = dir.join(&image.name);
    let found = checksums::sha256_file(&path)?;
    ensure!(
        found == image.sha256,
        "{} has sha256 {found}, but the release manifest says {}: push the release as built",
        path.display(),
        image.sha256
    );
    let login = username
        .map(|username| cmd!(sh, "skopeo login --username {username} --password-stdin {registry}"));
    // `--all` copies the index and every platform; `--preserve-digests` refuses to convert
    // anything, so the pushed digests are the ones in the archive.
    let source = format!("oci-archive:{}:{tag}", path.display());
    let destination = format!("docker://{repository}:{tag}");
    let copy =
        cmd!(sh, "skopeo copy --all --preserve-digests --retry-times 3 {source} {destination}");
    Ok((login, copy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Artifact;

    /// A release directory holding an image whose manifest entry matches it.
    fn release(dir: &Path) -> Manifest {
        let name = oci::file_name("diag_tool", "1.0.0");
        std::fs::write(dir.join(&name), "image").unwrap();
        let archive = Artifact {
            name: "diag_tool-x86_64-unknown-linux-musl-v1.0.0.tar.gz".into(),
            kind: ArtifactKind::Archive,
            size: 1,
            sha256: "0".repeat(64),
        };
        let mut manifest = manifest::sample("x86_64-unknown-linux-musl", "1.0.0", archive);
        manifest.files.push(Artifact {
            sha256: checksums::sha256_file(&dir.join(&name)).unwrap(),
            name,
            kind: ArtifactKind::OciImage,
            size: 5,
        });
        manifest
    }

    #[test]
    fn the_push_copies_every_platform_with_its_digests_and_no_secret_on_the_command_line() {
        let tmp = tempfile::tempdir().unwrap();
        let sh = Shell::new().unwrap();
        let manifest = release(tmp.path());
        let repository = default_repository("diag_tool", Ok("Acme".into())).unwrap();
        assert_eq!(repository, "ghcr.io/acme/diag_tool");
        let (login, copy) =
            commands(&sh, &manifest, tmp.path(), &repository, Some("octocat")).unwrap();
        let image = tmp.path().join("diag_tool-v1.0.0-oci.tar");
        assert_eq!(
            copy.to_string(),
            format!(
                "skopeo copy --all --preserve-digests --retry-times 3 oci-archive:{}:1.0.0 \
                 docker://ghcr.io/acme/diag_tool:1.0.0",
                image.display()
            )
        );
        assert_eq!(
            login.unwrap().to_string(),
            "skopeo login --username octocat --password-stdin ghcr.io"
        );
        let (login, _) = commands(&sh, &manifest, tmp.path(), &repository, None).unwrap();
        assert!(login.is_none());
    }

    #[test]
    fn a_push_without_a_registry_or_of_a_changed_image_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let sh = Shell::new().unwrap();
        let manifest = release(tmp.path());
        let err = default_repository("diag_tool", Err(std::env::VarError::NotPresent));
        assert!(format!("{:#}", err.unwrap_err()).contains("pass --to REGISTRY/OWNER/NAME"));
        let err = commands(&sh, &manifest, tmp.path(), "acme/diag_tool", None).unwrap_err();
        assert!(err.to_string().contains("found `acme/diag_tool`"), "{err}");
        std::fs::write(tmp.path().join("diag_tool-v1.0.0-oci.tar"), "other").unwrap();
        let err = commands(&sh, &manifest, tmp.path(), "ghcr.io/a/b", None).unwrap_err();
        assert!(err.to_string().contains("push the release as built"), "{err}");
        let mut without = manifest.clone();
        without.files.clear();
        let err = commands(&sh, &without, tmp.path(), "ghcr.io/a/b", None).unwrap_err();
        assert!(err.to_string().contains("lists no OCI image"), "{err}");
    }
}
