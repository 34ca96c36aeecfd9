//! `install.sh`: the release's installer, written from the manifest into the out dir. Its logic
//! is the shell file `install.sh` beside this one; this fills in its block of release data.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::config::target::{Libc, Target};
use crate::formats::checksums;
use crate::manifest::{Artifact, ArtifactKind, Manifest, TargetEntry};
use crate::util::files;

pub const FILE_NAME: &str = "install.sh";
/// The script, with an empty data block between these two lines.
const TEMPLATE: &str = include_str!("install.sh");
const BEGIN: &str = "# >>> release data\n";
const END: &str = "# <<< release data\n";

/// Writes `install.sh` for the release `manifest` describes and returns it as an artifact.
pub fn write(manifest: &Manifest, out_dir: &Path) -> Result<Artifact> {
    let script = render(manifest)?.into_bytes();
    files::write_atomic(&out_dir.join(FILE_NAME), &script)?;
    let (size, sha256) = (script.len() as u64, checksums::sha256_bytes(&script));
    Ok(Artifact { name: FILE_NAME.into(), kind: ArtifactKind::Installer, size, sha256 })
}

/// What the status line says of the script's default download location.
pub fn source_note(manifest: &Manifest) -> String {
    match default_base_url(manifest) {
        Some(url) => format!("downloads from {url}"),
        None => "no default download URL: no GitHub `repository` in Cargo.toml, so users pass \
                 --base-url or --from"
            .into(),
    }
}

/// The template with the release's data. The checksums are written into the script rather
/// than read from SHA256SUMS at install time: whoever can replace an archive on the server can
/// replace SHA256SUMS beside it, but not the copy of the script a user already has.
fn render(manifest: &Manifest) -> Result<String> {
    let (start, end) = match (TEMPLATE.find(BEGIN), TEMPLATE.find(END)) {
        (Some(start), Some(end)) if start < end => (start + BEGIN.len(), end),
        _ => bail!("xtask/src/formats/install.sh lost its `{BEGIN}`/`{END}` lines"),
    };
    let mut rows = String::from("\n");
    for entry in &manifest.targets {
        let target = Target::parse(&entry.target)
            .with_context(|| format!("{}: a target of the manifest", entry.target))?;
        let arch = target.arch;
        let (glibc, loader) = match target.libc {
            // The newest glibc the binary asks for, as verify read it from the ELF bytes;
            // `-`: a gnu binary that needs no versioned glibc symbol runs on any.
            Libc::Gnu => (entry.binary.glibc_max.as_deref().unwrap_or("-"), arch.glibc_loader),
            Libc::Musl => ("-", "-"),
        };
        let archive = entry.archive();
        // The script joins these to its --prefix and stage directories.
        files::plain_name(&archive.name)?;
        files::plain_name(&manifest.package.bin)?;
        let fields = [
            entry.target.as_str(),
            &arch.uname.join(","),
            target.libc.name(),
            glibc,
            loader,
            &archive.name,
            archive_dir(entry, &manifest.package.bin)?,
            &archive.size.to_string(),
            &archive.sha256,
        ];
        rows.push_str(&word_row(&fields)?);
    }
    let data = [
        ("NAME", manifest.name.clone()),
        ("BIN", manifest.package.bin.clone()),
        ("VERSION", manifest.version.clone()),
        ("DEFAULT_BASE_URL", default_base_url(manifest).unwrap_or_default()),
        ("MINISIGN_PUBKEY", manifest.minisign_pubkey.clone().unwrap_or_default()),
        ("ARCHIVES", rows),
        ("SMOKE_ARGS", words(&manifest.package.smoke.args)),
        ("SMOKE_EXPECT", manifest.package.smoke.expect.clone()),
    ];
    let block: String =
        data.iter().map(|(key, value)| format!("{key}={}\n", sh_quote(value))).collect();
    Ok(format!("{}{block}{}", &TEMPLATE[..start], &TEMPLATE[end..]))
}

/// The directory inside the archive holding the binary (`.` for the top), as the manifest
/// records the binary's path there.
fn archive_dir<'a>(entry: &'a TargetEntry, bin: &str) -> Result<&'a str> {
    let path = entry.binary_in_archive.as_str();
    match path.rsplit_once('/') {
        Some((dir, file)) if file == bin => Ok(dir),
        None if path == bin => Ok("."),
        _ => bail!(
            "{}: the manifest puts the binary at `{path}` in the archive, expected `<dir>/{bin}`",
            entry.target
        ),
    }
}

/// One line of `ARCHIVES`, read by the script with `read -r`: every field one plain word.
fn word_row(fields: &[&str]) -> Result<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._,/+-".contains(c);
    if let Some(field) = fields.iter().find(|f| f.is_empty() || !f.chars().all(plain)) {
        bail!(
            "the manifest holds {field:?}, which install.sh cannot carry: expected a name made of \
             letters, digits and `._,/+-`"
        );
    }
    Ok(format!("{}\n", fields.join(" ")))
}

/// Words for `eval "set -- $WORDS"`: each one quoted.
fn words(words: &[String]) -> String {
    words.iter().map(|w| sh_quote(w)).collect::<Vec<_>>().join(" ")
}

/// `'value'`, which a POSIX shell reads back as exactly `value`.
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The GitHub release of this version, when `repository` is a GitHub repository: where the
/// release workflow publishes the files.
fn default_base_url(manifest: &Manifest) -> Option<String> {
    let repository = manifest.package.repository.as_deref()?;
    let path = repository
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .strip_prefix("https://github.com/")?;
    let (owner, name) = path.split_once('/')?;
    let word = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    (word(owner) && word(name)).then(|| {
        format!("https://github.com/{owner}/{name}/releases/download/v{}", manifest.version)
    })
}

#[cfg(test)]
mod tests;
