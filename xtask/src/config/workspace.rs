//! Cargo's view of the workspace: one set of types for `cargo metadata` (with or without its
//! resolve graph) and the one reader of Cargo.lock. `host/cargo.rs` runs cargo; this parses.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

/// `cargo metadata --format-version 1` output, the parts xtask reads.
#[derive(Deserialize)]
pub struct Metadata {
    pub packages: Vec<Package>,
    pub target_directory: PathBuf,
    /// `[workspace.metadata]` as written; the policy reads its `release` table.
    pub metadata: Option<serde_json::Value>,
    /// Absent with `--no-deps`.
    pub resolve: Option<Resolve>,
}

/// A workspace package as `cargo metadata` describes it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Package {
    /// Cargo's package id, which the resolve graph refers to.
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub version: String,
    /// `description`, `license`, `repository`, `homepage` and `authors` describe the package
    /// in image labels and package metadata.
    pub description: Option<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    /// `None` for a workspace member, else where it comes from (a registry, git).
    pub source: Option<String>,
    /// `license-file`, relative to its Cargo.toml.
    pub license_file: Option<PathBuf>,
    /// `links`: the native library its build script builds or finds.
    pub links: Option<String>,
    /// Its Cargo.toml: the generated assets are in `assets/` beside it.
    pub manifest_path: PathBuf,
    pub targets: Vec<BuildTarget>,
    /// `[package.metadata]` as written; the policy reads the shipped package's.
    pub metadata: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BuildTarget {
    pub name: String,
    pub kind: Vec<String>,
    #[serde(default)]
    pub src_path: PathBuf,
}

impl Package {
    /// The names of its binary targets.
    pub fn bins(&self) -> Vec<&str> {
        let bins = self.targets.iter().filter(|t| t.kind.iter().any(|k| k == "bin"));
        bins.map(|t| t.name.as_str()).collect()
    }

    pub fn is_proc_macro(&self) -> bool {
        self.targets.iter().any(|t| t.kind.iter().any(|k| k == "proc-macro"))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Resolve {
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Node {
    pub id: String,
    pub deps: Vec<NodeDep>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NodeDep {
    pub pkg: String,
    pub dep_kinds: Vec<DepKind>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DepKind {
    /// `null` for normal dependencies, `"build"` or `"dev"` otherwise.
    pub kind: Option<String>,
}

/// `Cargo.lock`: the one reader of it.
#[derive(Deserialize)]
pub struct Lock {
    #[serde(default)]
    pub package: Vec<LockedPackage>,
}

impl Lock {
    pub fn parse(text: &str) -> Result<Lock> {
        toml::from_str(text).context("parsing Cargo.lock")
    }
}

#[derive(Deserialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub checksum: Option<String>,
}
