//! The release policy from `[workspace.metadata.release]` in the root Cargo.toml: what ships, for
//! which targets, under which rules. Read through `cargo metadata`, so cargo parses the TOML.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::build::Builder;
use crate::target::{Env, GlibcVersion, Target};

pub struct Policy {
    /// The package whose binary ships, and that binary's name.
    pub package: String,
    pub bin: String,
    pub version: String,
    /// Files from the workspace root copied into every archive.
    pub include: Vec<PathBuf>,
    /// The glibc floor of gnu targets that do not set their own.
    pub glibc_floor: Option<GlibcVersion>,
    pub targets: Vec<TargetPolicy>,
    pub target_dir: PathBuf,
    /// The package's `[package.metadata.binstall]`, if it has one.
    pub binstall: Option<Value>,
}

pub struct TargetPolicy {
    pub target: Target,
    /// `None` means `auto`: the builder is chosen from what the machine has.
    pub builder: Option<Builder>,
    /// Highest glibc version a gnu binary may require; `None` for musl targets.
    pub glibc_floor: Option<GlibcVersion>,
}

impl Policy {
    pub fn read(sh: &Shell) -> Result<Policy> {
        let json = cmd!(
            sh,
            "cargo metadata --format-version 1 --no-deps --locked --offline"
        )
        .quiet()
        .read()
        .context("running `cargo metadata`")?;
        let metadata: Value = serde_json::from_str(&json).context("parsing `cargo metadata`")?;
        Policy::from_metadata(&metadata)
    }

    fn from_metadata(metadata: &Value) -> Result<Policy> {
        let where_ = "[workspace.metadata.release] in Cargo.toml";
        let release = &metadata["metadata"]["release"];
        if !release.is_object() {
            bail!("{where_} is missing: it names the package to ship and its targets");
        }
        let package = string(release, "package", where_)?;
        let found = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == package.as_str())
            .with_context(|| format!("{where_}: package `{package}` is not a workspace member"))?;
        let bin = found["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .and_then(|t| t["name"].as_str())
            .with_context(|| format!("package `{package}` has no binary target to ship"))?
            .to_string();
        let version = string(found, "version", "cargo metadata")?;

        let include = match &release["include"] {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(PathBuf::from))
                .collect::<Option<_>>()
                .with_context(|| format!("{where_}: `include` must be a list of paths"))?,
            _ => bail!("{where_}: `include` must be a list of paths"),
        };
        let default_floor = optional_floor(release, where_)?;
        let mut targets = Vec::new();
        for entry in release["targets"].as_array().into_iter().flatten() {
            let triple = string(entry, "triple", where_)?;
            let target = Target::parse(&triple).with_context(|| format!("in {where_}"))?;
            let builder = match entry["builder"].as_str() {
                None | Some("auto") => None,
                Some(name) => {
                    Some(Builder::parse(name).with_context(|| format!("{triple} in {where_}"))?)
                }
            };
            let glibc_floor = match target.env {
                Env::Musl => None,
                Env::Gnu => optional_floor(entry, where_)?.or(default_floor),
            };
            targets.push(TargetPolicy {
                target,
                builder,
                glibc_floor,
            });
        }
        if targets.is_empty() {
            bail!("{where_} lists no targets: add [[workspace.metadata.release.targets]] entries");
        }
        let target_dir = PathBuf::from(string(metadata, "target_directory", "cargo metadata")?);
        Ok(Policy {
            package,
            bin,
            version,
            include,
            glibc_floor: default_floor,
            targets,
            target_dir,
            binstall: found["metadata"].get("binstall").cloned(),
        })
    }

    /// The glibc floor for any target, configured or not: a `.2.28` suffix, the target's own
    /// floor, or the default. `None` for musl targets.
    pub fn floor_for(&self, target: &Target) -> Option<GlibcVersion> {
        if target.env == Env::Musl {
            return None;
        }
        let configured = self
            .targets
            .iter()
            .find(|t| t.target.triple() == target.triple());
        target
            .glibc_suffix
            .or(configured.map_or(self.glibc_floor, |t| t.glibc_floor))
    }

    /// The policy for `triple`, which must be configured: release rules are not invented on the
    /// command line. A zigbuild suffix on the command line (`.2.28`) sets the glibc floor.
    pub fn target(&self, triple: &str) -> Result<TargetPolicy> {
        let wanted = Target::parse(triple)?;
        let Some(configured) = self
            .targets
            .iter()
            .find(|t| t.target.triple() == wanted.triple())
        else {
            let known: Vec<String> = self.targets.iter().map(|t| t.target.triple()).collect();
            bail!(
                "target `{triple}` is not configured; configured are: {}. \
                 Add it as a [[workspace.metadata.release.targets]] entry in Cargo.toml",
                known.join(", ")
            );
        };
        Ok(TargetPolicy {
            target: configured.target.clone(),
            builder: configured.builder,
            glibc_floor: self.floor_for(&wanted),
        })
    }
}

fn string(value: &Value, key: &str, where_: &str) -> Result<String> {
    value[key]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{where_}: `{key}` must be a string"))
}

fn optional_floor(value: &Value, where_: &str) -> Result<Option<GlibcVersion>> {
    match &value["glibc-floor"] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(
            GlibcVersion::parse(s).with_context(|| format!("`glibc-floor` in {where_}"))?,
        )),
        _ => bail!("{where_}: `glibc-floor` must be a string such as \"2.17\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(release: Value) -> Value {
        serde_json::json!({
            "metadata": { "release": release },
            "target_directory": "/w/target",
            "packages": [{
                "name": "diag_tool",
                "version": "1.2.3",
                "targets": [{ "kind": ["lib"], "name": "diag_tool" },
                            { "kind": ["bin"], "name": "diag_tool" }]
            }]
        })
    }

    #[test]
    fn gnu_targets_inherit_the_default_floor_and_musl_targets_have_none() {
        let policy = Policy::from_metadata(&metadata(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [
                { "triple": "x86_64-unknown-linux-gnu" },
                { "triple": "aarch64-unknown-linux-gnu", "glibc-floor": "2.28", "builder": "cargo" },
                { "triple": "x86_64-unknown-linux-musl" },
            ]
        })))
        .unwrap();
        let floors: Vec<_> = policy.targets.iter().map(|t| t.glibc_floor).collect();
        assert_eq!(
            floors,
            [
                Some(GlibcVersion([2, 17, 0])),
                Some(GlibcVersion([2, 28, 0])),
                None
            ]
        );
        assert_eq!(policy.targets[1].builder, Some(Builder::Cargo));
        assert_eq!(
            (policy.bin.as_str(), policy.version.as_str()),
            ("diag_tool", "1.2.3")
        );
    }

    #[test]
    fn unconfigured_target_names_the_configured_ones() {
        let policy = Policy::from_metadata(&metadata(serde_json::json!({
            "package": "diag_tool",
            "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
        })))
        .unwrap();
        let err = policy
            .target("aarch64-unknown-linux-gnu")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("configured are: x86_64-unknown-linux-musl"),
            "{err}"
        );
    }

    #[test]
    fn command_line_glibc_suffix_overrides_the_floor() {
        let policy = Policy::from_metadata(&metadata(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [{ "triple": "x86_64-unknown-linux-gnu" }]
        })))
        .unwrap();
        let t = policy.target("x86_64-unknown-linux-gnu.2.28").unwrap();
        assert_eq!(t.glibc_floor, Some(GlibcVersion([2, 28, 0])));
    }

    #[test]
    fn missing_release_table_says_where_it_belongs() {
        let err = Policy::from_metadata(&serde_json::json!({ "metadata": null }))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("[workspace.metadata.release]"), "{err}");
    }
}
