//! `cargo xtask adopt PATH`: makes the package in PATH, a team's own CLI copied or kept in the
//! workspace, the one that ships. It joins the workspace members, becomes the policy's
//! `package` (with `binaries` when it has several), brings its own README and license files
//! as `include`, and the keys that described the previous package's files are removed.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use toml::Value;
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::config::workspace::{Metadata, Package};
use crate::flags;
use crate::formats::changelog;
use crate::pipeline::linux_packages::is_license;
use crate::template::cargo_toml::{self, Change};
use crate::util::files;

const RELEASE: &str = "workspace.metadata.release";

/// Policy keys about the shipped package's own files and runs, which the previous package's
/// values would get wrong.
const PACKAGE_KEYS: [&str; 9] = [
    "long-description",
    "man",
    "completions",
    "image-command",
    "hardware-test",
    "binaries",
    "features",
    "smoke",
    "allow-build-paths",
];

impl flags::Adopt {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let root = sh.current_dir();
        let dir = files::inside(&root, &self.path, "the package folder")?;
        let rel = relative(&root, &dir)?;
        if !dir.join("Cargo.toml").is_file() {
            bail!("{rel} has no Cargo.toml: give the folder of the package to ship");
        }
        let manifest = root.join("Cargo.toml");
        let previous = Policy::read(sh)?.package.name;
        let before = files::read_text(&manifest)?;
        // All or nothing: a package cargo refuses leaves Cargo.toml as it was.
        adopt(sh, &dir, &rel, self.bin.as_deref(), &previous).or_else(|e| {
            files::write_atomic(&manifest, before.as_bytes())?;
            Err(e)
        })
    }
}

/// Makes the package in `dir` a member, then the policy's package in place of `previous`, and
/// says what changed.
fn adopt(sh: &Shell, dir: &Path, rel: &str, bin: Option<&str>, previous: &str) -> Result<()> {
    let manifest = &sh.current_dir().join("Cargo.toml");
    // Membership first: cargo then reads the package as the workspace's.
    join_members(manifest, rel)?;
    // Resolving also adds the package's dependencies to Cargo.lock.
    let json = cmd!(sh, "cargo metadata --quiet --format-version 1")
        .quiet()
        .read()
        .context("running `cargo metadata` with the package as a member")?;
    let metadata: Metadata = serde_json::from_str(&json).context("reading cargo metadata")?;
    let package = (metadata.packages.into_iter())
        .find(|p| p.manifest_path.parent() == Some(dir) && p.source.is_none())
        .with_context(|| format!("no package in {rel} (a folder with its Cargo.toml)"))?;

    let text = files::read_text(manifest)?;
    let release = &toml::from_str::<toml::Table>(&text)?["workspace"]["metadata"]["release"];
    let removed: Vec<&'static str> =
        (PACKAGE_KEYS.into_iter()).filter(|&key| release.get(key).is_some()).collect();
    let mut changes: Vec<Change> = (PACKAGE_KEYS.iter()).map(|&key| set(key, None)).collect();
    changes.push(set("package", Some(package.name.clone().into())));
    changes.extend(binaries(&package, bin)?.map(|bin| set("binaries", Some(bin.into()))));
    let include = own_files(dir, rel)?;
    changes.push(set("include", Some(include.clone().into())));
    files::write_atomic(manifest, cargo_toml::edit(&text, &changes)?.as_bytes())?;
    // Everything the policy says must hold for the new package.
    let policy = Policy::read(sh).context("reading the policy for the adopted package")?;
    println!(
        "`{}` {} ships now (binary `{}`), in place of `{previous}`",
        package.name, package.version, policy.bin
    );
    println!("include = {include:?}");
    if !removed.is_empty() {
        println!("removed what described `{previous}`: {}", removed.join(", "));
    }
    next_steps(sh, &policy, previous);
    Ok(())
}

fn set(key: &str, value: Option<Value>) -> Change<'_> {
    Change { table: RELEASE, key, value }
}

/// Adds `rel` to the workspace's members, sorted, unless it is one.
fn join_members(manifest: &Path, rel: &str) -> Result<()> {
    let text = files::read_text(manifest)?;
    let table: toml::Table = toml::from_str(&text).context("reading Cargo.toml")?;
    let mut members = (table.get("workspace").and_then(|w| w.get("members")))
        .and_then(Value::as_array)
        .cloned()
        .context("Cargo.toml has no [workspace] members list")?;
    if members.iter().any(|m| m.as_str() == Some(rel)) {
        return Ok(());
    }
    members.push(rel.into());
    members.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let change = Change { table: "workspace", key: "members", value: Some(members.into()) };
    files::write_atomic(manifest, cargo_toml::edit(&text, &[change])?.as_bytes())
}

/// The path from the workspace root, as Cargo.toml's members list writes it.
fn relative(root: &Path, dir: &Path) -> Result<String> {
    let rel = dir.strip_prefix(root).unwrap_or(dir);
    let rel = (rel.to_str()).with_context(|| format!("{} is not UTF-8", rel.display()))?;
    ensure!(!rel.is_empty(), "give the folder of the package to ship, not the workspace root");
    Ok(rel.to_string())
}

/// `binaries` for the policy: the chosen one, or none when the package has a single one.
fn binaries(package: &Package, chosen: Option<&str>) -> Result<Option<Vec<String>>> {
    let bins = package.bins();
    match (chosen, bins.as_slice()) {
        (_, []) => bail!("`{}` has no binary to ship", package.name),
        (None, [_]) => Ok(None),
        (None, _) => bail!(
            "`{}` has several binaries ({}); name the one to ship with --bin",
            package.name,
            bins.join(", ")
        ),
        (Some(bin), _) if bins.contains(&bin) => Ok(Some(vec![bin.to_string()])),
        (Some(bin), _) => {
            bail!("`{}` has no binary `{bin}`; it has {}", package.name, bins.join(", "))
        }
    }
}

/// The package's README and license files, which its archives carry.
fn own_files(dir: &Path, rel: &str) -> Result<Vec<String>> {
    let own = |name: &str| is_license(name) || name.to_uppercase().starts_with("README");
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut names: Vec<String> = (entries.filter_map(|e| e.ok()))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| own(n))
        .collect();
    names.sort();
    Ok(names.into_iter().map(|n| format!("{rel}/{n}")).collect())
}

fn next_steps(sh: &Shell, policy: &Policy, previous: &str) {
    println!("next:");
    let version = policy.version();
    let notes = sh.read_file("CHANGELOG.md").unwrap_or_default();
    if policy.changelog && changelog::section(&notes, version).is_none() {
        println!(
            "  add a `## [{version}]` section to CHANGELOG.md: dist takes the release notes from it"
        );
    }
    println!("  set what else the package needs in [{RELEASE}]: {}", PACKAGE_KEYS.join(", "));
    println!("  remove `{previous}` from the members and its folder when it should go");
    println!("  cargo xtask doctor && cargo xtask dist");
}
