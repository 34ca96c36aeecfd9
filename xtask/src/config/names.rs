//! The release's names for a target, in one place: the archive, the directory inside it, the
//! binary's path there and the SBOM. They come from `[package.metadata.binstall]` when the
//! package has one, rendered as cargo-binstall 1.15 renders it, so that a project keeps the names
//! it already publishes; else `{name}-{target}-v{version}`, binstall's first default guess.

use anyhow::{Context, Result, ensure};

use crate::config::binstall::{self, Binstall, TGZ_EXTENSIONS, Vars};

/// Where the target's SBOM goes inside its archive.
pub const SBOM_IN_ARCHIVE: &str = "sbom.cdx.json";
const DEFAULT_PKG_URL: &str = "{ name }-{ target }-v{ version }{ archive-suffix }";
const DEFAULT_BIN_DIR: &str = "{ name }-{ target }-v{ version }/{ bin }{ binary-ext }";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseNames {
    /// The archive's file name: the last path segment of the URL binstall downloads.
    pub archive: String,
    /// The directory inside the archive that holds every file: bin-dir's directory part, `""`
    /// when bin-dir puts the binary at the top.
    pub dir: String,
    /// The binary's path inside the archive, where binstall's bin-dir looks for it.
    pub binary: String,
}

impl ReleaseNames {
    /// The names for `vars.target`, from the package's binstall `table` and its overrides for
    /// that target.
    pub fn new(table: Option<&Binstall>, vars: &Vars) -> Result<ReleaseNames> {
        let triple = vars.target.triple();
        let where_ = format!("[package.metadata.binstall] (for {triple}) in Cargo.toml");
        let fields = table.map(|t| t.fields(&triple)).unwrap_or_default();
        let fmt = match (fields.pkg_fmt.as_deref(), fields.pkg_url.as_deref()) {
            (Some(fmt), _) => fmt,
            (None, Some(url)) if !binstall::has_format_key(url) => binstall::guess_pkg_fmt(url)
                .with_context(|| {
                    format!(
                        "{where_}: no pkg-fmt, and pkg-url `{url}` has neither a format variable \
                         nor a known extension, so cargo-binstall refuses it: set pkg-fmt = \"tgz\""
                    )
                })?,
            _ => "tgz",
        };
        binstall::check_pkg_fmt(fmt, &where_)?;
        // Only the file name is rendered: the URL before it (`{ repo }`) is where it is published.
        let url = fields.pkg_url.as_deref().unwrap_or(DEFAULT_PKG_URL);
        let file = url.rsplit('/').next().unwrap_or_default();
        let archive = binstall::render(file, &|k| binstall::url_value(vars, k))
            .with_context(|| format!("{where_}: pkg-url"))?;
        let archive = archive.rsplit('/').next().unwrap_or_default().to_string();
        let bin_dir = fields.bin_dir.as_deref().unwrap_or(DEFAULT_BIN_DIR);
        let binary = binstall::render(bin_dir, &|k| binstall::bin_dir_value(vars, k))
            .with_context(|| format!("{where_}: bin-dir"))?;
        let binary = binary.trim_start_matches("./").to_string();
        let (dir, file) = binary.rsplit_once('/').unwrap_or(("", &binary));
        ensure!(
            !matches!(archive.as_str(), "" | "." | ".."),
            "{where_}: pkg-url `{url}` ends in no file name: expected it to end with the archive's name"
        );
        ensure!(
            dir.is_empty() || dir.split('/').all(|c| !matches!(c, "" | "." | "..")),
            "{where_}: bin-dir renders to `{binary}`: expected a relative path inside the archive"
        );
        ensure!(
            file == vars.bin,
            "{where_}: bin-dir renders to `{binary}`, a file named `{file}`, but the binary \
             is `{}`: end bin-dir with {{ bin }}{{ binary-ext }}",
            vars.bin
        );
        Ok(ReleaseNames { dir: dir.to_string(), archive, binary })
    }

    /// The target's CycloneDX SBOM, beside the archive: the archive's name without its
    /// extension.
    pub fn sbom(&self) -> String {
        let stem = TGZ_EXTENSIONS.iter().find_map(|e| self.archive.strip_suffix(e));
        format!("{}.cdx.json", stem.unwrap_or(&self.archive))
    }
}

/// The names without a binstall table, for tests of the code that uses them.
#[cfg(test)]
pub fn default_for(name: &str, triple: &str, version: &str) -> ReleaseNames {
    let target = crate::config::target::Target::parse(triple).expect("a valid triple");
    let vars = Vars { name, version, bin: name, repo: None, target: &target };
    ReleaseNames::new(None, &vars).expect("the default names render")
}

#[cfg(test)]
mod tests;
