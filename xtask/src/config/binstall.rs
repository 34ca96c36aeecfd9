//! `[package.metadata.binstall]`: the archive URL and binary path `cargo binstall` will look for,
//! rendered for a target and checked against the archive dist just wrote.

use anyhow::{Result, bail};

use crate::config::policy::{Binstall, Policy};
use crate::formats::archive;

/// The values binstall substitutes for a Linux `.tar.gz` release archive.
pub struct Substitutions<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub target: &'a str,
    pub bin: &'a str,
}

/// Checks the package's metadata against the archive dist writes for `triple`: its name, and
/// the binary at `{stem}/{bin}` inside it.
pub fn check_release(policy: &Policy, triple: &str) -> Result<()> {
    let stem = archive::archive_stem(&policy.package.name, triple, policy.version());
    let names = Substitutions {
        name: &policy.package.name,
        version: policy.version(),
        target: triple,
        bin: &policy.bin,
    };
    let entry = format!("{stem}/{}", policy.bin);
    check(
        policy.binstall.as_ref(),
        &names,
        &format!("{stem}.tar.gz"),
        &entry,
    )
}

/// Checks that binstall, reading `metadata`, would download `archive` and find the binary at
/// `binary_entry` (its path inside the archive). `None` metadata means binstall's defaults, which
/// dist's naming follows.
pub fn check(
    metadata: Option<&Binstall>,
    names: &Substitutions,
    archive: &str,
    binary_entry: &str,
) -> Result<()> {
    let default_url = "{ repo }/releases/download/v{ version }/{ name }-{ target }-v{ version }{ archive-suffix }";
    let default_bin_dir = "{ name }-{ target }-v{ version }/{ bin }{ binary-ext }";
    let field = |value: Option<&String>, default: &str| value.cloned().unwrap_or(default.into());
    let url = render(
        &field(metadata.and_then(|m| m.pkg_url.as_ref()), default_url),
        names,
    );
    let bin_dir = render(
        &field(metadata.and_then(|m| m.bin_dir.as_ref()), default_bin_dir),
        names,
    );
    let fmt = field(metadata.and_then(|m| m.pkg_fmt.as_ref()), "tgz");
    let file = url.rsplit('/').next().unwrap_or_default();
    if fmt != "tgz" || file != archive {
        bail!(
            "cargo binstall would download `{file}` (pkg-fmt {fmt}), but dist wrote `{archive}`: \
             make pkg-url in [package.metadata.binstall] end with \
             {{ name }}-{{ target }}-v{{ version }}{{ archive-suffix }} and pkg-fmt = \"tgz\""
        );
    }
    if bin_dir != binary_entry {
        bail!(
            "cargo binstall would look for the binary at `{bin_dir}`, but the archive has it at \
             `{binary_entry}`: set bin-dir in [package.metadata.binstall] to \
             \"{{ name }}-{{ target }}-v{{ version }}/{{ bin }}{{ binary-ext }}\""
        );
    }
    Ok(())
}

fn render(template: &str, names: &Substitutions) -> String {
    let mut out = template.to_string();
    for (key, value) in [
        ("name", names.name),
        ("version", names.version),
        ("target", names.target),
        ("bin", names.bin),
        ("archive-suffix", ".tar.gz"),
        ("archive-format", "tgz"),
        ("binary-ext", ""),
    ] {
        out = out
            .replace(&format!("{{ {key} }}"), value)
            .replace(&format!("{{{key}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: Substitutions = Substitutions {
        name: "diag_tool",
        version: "0.1.0",
        target: "aarch64-unknown-linux-gnu",
        bin: "diag_tool",
    };
    const ARCHIVE: &str = "diag_tool-aarch64-unknown-linux-gnu-v0.1.0.tar.gz";
    const ENTRY: &str = "diag_tool-aarch64-unknown-linux-gnu-v0.1.0/diag_tool";

    #[test]
    fn the_shipped_metadata_finds_every_archive_dist_writes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let sh = xshell::Shell::new().unwrap();
        sh.change_dir(root);
        let policy = crate::config::policy::Policy::read(&sh).unwrap();
        assert!(
            policy.binstall.as_ref().is_some(),
            "the shipped package declares [package.metadata.binstall]"
        );
        for t in &policy.targets {
            check_release(&policy, &t.target.triple()).unwrap();
        }
    }

    #[test]
    fn a_pkg_url_for_another_name_is_reported_with_the_fix() {
        let metadata = Binstall {
            pkg_url: Some("{ repo }/releases/download/v{ version }/{ name }-{ target }.tgz".into()),
            ..Binstall::default()
        };
        let err = check(Some(&metadata), &NAMES, ARCHIVE, ENTRY)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("would download `diag_tool-aarch64-unknown-linux-gnu.tgz`"),
            "{err}"
        );
    }

    #[test]
    fn a_bin_dir_outside_the_top_directory_is_reported() {
        let metadata = Binstall {
            bin_dir: Some("{ bin }{ binary-ext }".into()),
            ..Binstall::default()
        };
        let err = check(Some(&metadata), &NAMES, ARCHIVE, ENTRY)
            .unwrap_err()
            .to_string();
        assert!(err.contains("look for the binary at `diag_tool`"), "{err}");
    }
}
