//! `[package.metadata.binstall]` as cargo-binstall 1.15 reads it: the table, its per-target
//! `overrides`, its template syntax and variables, and its package formats. `names.rs` renders
//! the release's file names from it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Deserialize;

use crate::config::target::Target;

/// `[package.metadata.binstall]`, the URLs and paths `cargo binstall` will look for.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Binstall {
    /// pkg-url, bin-dir and pkg-fmt as the table sets them for every target.
    #[serde(flatten)]
    pub base: Override,
    pub signing: Option<BinstallSigning>,
    /// `[package.metadata.binstall.overrides.<target>]`: binstall takes these fields for that
    /// target instead of the table's.
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
}

/// One `overrides.<target>` table, or what [`Binstall::fields`] picks for a target; binstall's
/// other keys there do not change names.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Override {
    pub pkg_url: Option<String>,
    pub bin_dir: Option<String>,
    pub pkg_fmt: Option<String>,
}

/// `[package.metadata.binstall.signing]`: the key the release files' `.sig` files are made
/// with, which cargo-binstall checks them against.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinstallSigning {
    pub algorithm: String,
    pub pubkey: String,
    /// Where the signature of `{ url }` is; binstall's default is `{ url }.sig`.
    pub file: Option<String>,
}

impl Binstall {
    /// The fields binstall uses for `triple`: the override's where it sets them, else the table's.
    pub fn fields(&self, triple: &str) -> Override {
        let o = self.overrides.get(triple).cloned().unwrap_or_default();
        Override {
            pkg_url: o.pkg_url.or_else(|| self.base.pkg_url.clone()),
            bin_dir: o.bin_dir.or_else(|| self.base.bin_dir.clone()),
            pkg_fmt: o.pkg_fmt.or_else(|| self.base.pkg_fmt.clone()),
        }
    }
}

/// The package formats binstall knows (`PkgFmt`), each with the file extensions that make
/// binstall guess it from a pkg-url. dist writes `tgz`; the others are refused before anything
/// is built.
pub const PKG_FMTS: [(&str, &[&str]); 7] = [
    ("tar", &[".tar"]),
    ("tbz2", &[".tbz2", ".tar.bz2"]),
    ("tgz", &TGZ_EXTENSIONS),
    ("txz", &[".txz", ".tar.xz"]),
    ("tzstd", &[".tzstd", ".tzst", ".tar.zst"]),
    ("zip", &[".zip"]),
    ("bin", &[".exe", ".bin"]),
];

/// The extensions binstall tries for `tgz`, the one format dist writes (a gzip-compressed tar).
pub const TGZ_EXTENSIONS: [&str; 2] = [".tgz", ".tar.gz"];
/// The one binstall tries last, which dist writes when pkg-url leaves the extension to
/// `{ archive-suffix }` or `{ archive-format }`.
pub const TGZ_SUFFIX: &str = TGZ_EXTENSIONS[1];

/// Checks `pkg-fmt` as written (binstall ignores case): dist writes tgz only; `where_` names
/// the table for the message.
pub fn check_pkg_fmt(text: &str, where_: &str) -> Result<()> {
    match text.to_ascii_lowercase().as_str() {
        "tgz" => Ok(()),
        known if PKG_FMTS.iter().any(|(fmt, _)| *fmt == known) => bail!(
            "{where_}: pkg-fmt `{text}` is not supported by `cargo xtask dist`, which writes \
             tgz (.tar.gz) archives only: set pkg-fmt = \"tgz\" and publish .tar.gz archives"
        ),
        _ => bail!(
            "{where_}: pkg-fmt `{text}` is not a cargo-binstall format (expected one of {}); \
             `cargo xtask dist` writes tgz",
            PKG_FMTS.map(|(fmt, _)| fmt).join(", ")
        ),
    }
}

/// binstall's guess of the format from the end of a pkg-url without a format variable.
pub fn guess_pkg_fmt(url: &str) -> Option<&'static str> {
    let known = PKG_FMTS.iter().find(|(_, ends)| ends.iter().any(|e| url.ends_with(e)));
    known.map(|(fmt, _)| *fmt)
}

/// The values binstall substitutes, for one package and target.
pub struct Vars<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub bin: &'a str,
    pub repo: Option<&'a str>,
    pub target: &'a Target,
}

/// The variables pkg-url may use, as binstall's `gh_crate_meta::Context` gives them.
pub fn url_value(vars: &Vars, key: &str) -> Option<String> {
    match key {
        "archive-suffix" => Some(TGZ_SUFFIX.into()),
        "archive-format" | "format" => Some(TGZ_SUFFIX.trim_start_matches('.').into()),
        _ => common_value(vars, key),
    }
}

/// The variables bin-dir may use, as binstall's `bins::Context` gives them: `format` is
/// `binary-ext` there.
pub fn bin_dir_value(vars: &Vars, key: &str) -> Option<String> {
    match key {
        "bin" => Some(vars.bin.into()),
        "format" => Some(String::new()),
        _ => common_value(vars, key),
    }
}

fn common_value(vars: &Vars, key: &str) -> Option<String> {
    let t = vars.target;
    Some(match key {
        "name" => vars.name.into(),
        "version" => vars.version.into(),
        "target" => t.triple(),
        "repo" => vars.repo?.trim_end_matches('/').into(),
        // No `.exe` on Linux.
        "binary-ext" => String::new(),
        // target-lexicon's names, which binstall's `TargetTriple` uses.
        "target-family" => "linux".into(),
        "target-arch" => t.arch.rust.into(),
        "target-vendor" => t.vendor.clone(),
        "target-libc" => format!("{}{}", t.libc.name(), t.arch.abi),
        _ => return None,
    })
}

/// Renders a template in binstall's syntax (the `leon` crate): `{ key }` with any spaces around
/// the key, `\{`, `\}` and `\\` for the characters themselves; a key without a value is an error.
pub fn render(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '{' => {
                let key: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let key = key.trim();
                match value(key) {
                    Some(v) => out.push_str(&v),
                    None => bail!(
                        "`{template}` uses `{{ {key} }}`, which cargo-binstall has no value for \
                         here"
                    ),
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Whether pkg-url leaves the file extension to binstall, which then tries each of the format's.
pub fn has_format_key(template: &str) -> bool {
    ["format", "archive-format", "archive-suffix"]
        .iter()
        .any(|key| render(template, &|k| (k != *key).then(String::new)).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_as_leon_does() {
        let value = |k: &str| (k == "name").then(|| "tool".to_string());
        assert_eq!(render("{ name }-{name}", &value).unwrap(), "tool-tool");
        assert_eq!(render(r"\{ name \}", &value).unwrap(), "{ name }");
        let err = render("{ subcrate }", &value).unwrap_err().to_string();
        assert!(err.contains("`{ subcrate }`"), "{err}");
    }

    #[test]
    fn an_override_replaces_only_the_fields_it_sets() {
        let base =
            Override { pkg_url: Some("base".into()), bin_dir: Some("dir".into()), pkg_fmt: None };
        let mut table = Binstall { base, ..Binstall::default() };
        let o = Override { pkg_url: Some("other".into()), ..Override::default() };
        table.overrides.insert("x86_64-unknown-linux-musl".into(), o);
        let f = table.fields("x86_64-unknown-linux-musl");
        assert_eq!((f.pkg_url.as_deref(), f.bin_dir.as_deref()), (Some("other"), Some("dir")));
        assert_eq!(table.fields("aarch64-unknown-linux-musl").pkg_url.as_deref(), Some("base"));
    }

    #[test]
    fn formats_other_than_tgz_are_refused_with_the_supported_one() {
        for fmt in ["zip", "txz", "tzstd", "tar", "bin", "tbz2"] {
            let err = check_pkg_fmt(fmt, "here").unwrap_err().to_string();
            assert!(err.contains("writes tgz (.tar.gz) archives only"), "{err}");
        }
        let err = check_pkg_fmt("rar", "here").unwrap_err().to_string();
        assert!(err.contains("not a cargo-binstall format"), "{err}");
        check_pkg_fmt("TGZ", "here").unwrap();
    }
}
