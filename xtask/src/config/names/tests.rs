//! Names rendered from tables of real projects' shapes. `xtask/tests/binstall.rs` installs each
//! of these with cargo-binstall 1.15 itself, from a local release holding exactly these names.

use super::*;
use crate::config::target::Target;

/// A CLI that published releases before it used dist.
const PUBLISHED: &str = include_str!("../../../tests/binstall/published.toml");
/// Other names for one target, and a format for a target dist does not build.
const OVERRIDES: &str = include_str!("../../../tests/binstall/overrides.toml");

fn names(table: Option<&str>, triple: &str) -> Result<ReleaseNames> {
    let table: Option<Binstall> = table.map(|t| toml::from_str(t).expect("a binstall table"));
    names_with(table, triple)
}

fn names_with(table: Option<Binstall>, triple: &str) -> Result<ReleaseNames> {
    let target = Target::parse(triple).unwrap();
    let vars = Vars {
        name: "tool",
        version: "1.2.3",
        bin: "tool",
        repo: Some("https://github.com/owner/tool"),
        target: &target,
    };
    ReleaseNames::new(table.as_ref(), &vars)
}

fn triple(n: &ReleaseNames) -> (&str, &str, &str) {
    (&n.archive, &n.dir, &n.binary)
}

#[test]
fn a_published_table_names_the_archive_and_its_directory() {
    let n = names(Some(PUBLISHED), "aarch64-unknown-linux-gnu").unwrap();
    assert_eq!(
        triple(&n),
        (
            "tool-v1.2.3-aarch64-unknown-linux-gnu.tar.gz",
            "tool-v1.2.3-aarch64-unknown-linux-gnu",
            "tool-v1.2.3-aarch64-unknown-linux-gnu/tool"
        )
    );
    assert_eq!(n.sbom(), "tool-v1.2.3-aarch64-unknown-linux-gnu.cdx.json");
}

#[test]
fn without_a_table_the_names_are_binstalls_first_guess() {
    let n = names(None, "x86_64-unknown-linux-musl").unwrap();
    assert_eq!(
        triple(&n),
        (
            "tool-x86_64-unknown-linux-musl-v1.2.3.tar.gz",
            "tool-x86_64-unknown-linux-musl-v1.2.3",
            "tool-x86_64-unknown-linux-musl-v1.2.3/tool"
        )
    );
}

#[test]
fn the_templates_own_table_gives_the_default_names() {
    let text = include_str!("../../../../diag_tool/Cargo.toml");
    let manifest: toml::Table = toml::from_str(text).unwrap();
    let table = manifest["package"]["metadata"]["binstall"].clone();
    let with = names_with(Some(table.try_into().unwrap()), "x86_64-unknown-linux-gnu").unwrap();
    assert_eq!(with, names(None, "x86_64-unknown-linux-gnu").unwrap());
}

#[test]
fn an_override_for_a_configured_target_is_obeyed_and_others_ignored() {
    let gnu = names(Some(OVERRIDES), "x86_64-unknown-linux-gnu").unwrap();
    assert_eq!(
        triple(&gnu),
        (
            "tool-1.2.3-x86_64-unknown-linux-gnu.tar.gz",
            "tool-1.2.3-x86_64-unknown-linux-gnu/bin",
            "tool-1.2.3-x86_64-unknown-linux-gnu/bin/tool"
        )
    );
    assert_eq!(gnu.sbom(), "tool-1.2.3-x86_64-unknown-linux-gnu.cdx.json");
    let musl = names(Some(OVERRIDES), "x86_64-unknown-linux-musl").unwrap();
    assert_eq!(triple(&musl), ("tool_x86_64_musl.tar.gz", "", "tool"));
}

#[test]
fn a_format_dist_cannot_write_is_refused_with_the_one_it_can() {
    let zip = format!("{OVERRIDES}[overrides.x86_64-unknown-linux-gnu]\npkg-fmt = \"zip\"\n");
    let err = names(Some(&zip), "x86_64-unknown-linux-gnu").unwrap_err();
    assert!(format!("{err:#}").contains("pkg-fmt `zip` is not supported"), "{err:#}");
    let guessed = r#"pkg-url = "{ repo }/{ name }-{ target }.tar.xz""#;
    let err = names(Some(guessed), "x86_64-unknown-linux-gnu").unwrap_err();
    assert!(format!("{err:#}").contains("pkg-fmt `txz`"), "{err:#}");
}

#[test]
fn a_bin_dir_naming_another_file_or_an_unknown_variable_is_refused() {
    let other = r#"bin-dir = "{ name }-{ target }/{ name }-cli""#;
    let err = names(Some(other), "x86_64-unknown-linux-gnu").unwrap_err();
    assert!(format!("{err:#}").contains("a file named `tool-cli`"), "{err:#}");
    let unknown = r#"pkg-url = "{ repo }/{ subcrate }-{ target }.tgz""#;
    let err = names(Some(unknown), "x86_64-unknown-linux-gnu").unwrap_err();
    assert!(format!("{err:#}").contains("`{ subcrate }`"), "{err:#}");
}
