//! The packages compiled into the shipped binary for one target, as cargo resolves them for
//! that platform (`cargo metadata --filter-platform`), with the crates.io checksums from
//! Cargo.lock: normal dependencies, without proc-macros and what they use, which run in the
//! compiler (`cargo tree -e normal,no-proc-macro`). The SBOM lists them and verify holds the
//! binary's auditable data against them.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

use crate::config::workspace::{Lock, Metadata, Node, Package};

/// One package of the binary.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    /// SPDX expression from the package's `license`, if it has one.
    pub license: Option<String>,
    /// `crates.io`, `local`, or the source cargo reports (git, another registry).
    pub source: String,
    /// SHA-256 of the `.crate` file, from Cargo.lock.
    pub checksum: Option<String>,
    /// The packages it depends on at run time, as `name@version`.
    pub dependencies: Vec<String>,
    /// It compiles C or C++ for the target: it has a `links` key, or builds with the `cc` or
    /// `cmake` crate.
    pub c_code: bool,
}

impl Dependency {
    pub fn key(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// What one target resolves: the runtime packages, and the `name@version` of the packages only
/// proc-macros reach (the proc-macros included), which run in the compiler.
pub struct Resolved {
    pub deps: Vec<Dependency>,
    pub via_proc_macros: BTreeSet<String>,
}

/// The runtime packages of `package` from `cargo metadata` output (with its resolve) and
/// Cargo.lock's text.
pub fn from_metadata(json: &str, lock: &str, package: &str) -> Result<Resolved> {
    let metadata: Metadata = serde_json::from_str(json).context("parsing `cargo metadata`")?;
    let resolve = metadata.resolve.as_ref().context("`cargo metadata` printed no resolve graph")?;
    let lock = Lock::parse(lock)?;
    let checksums: BTreeMap<(String, String), String> =
        lock.package.into_iter().filter_map(|p| Some(((p.name, p.version), p.checksum?))).collect();
    let graph = Graph {
        packages: metadata.packages.iter().map(|p| (p.id.as_str(), p)).collect(),
        nodes: resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect(),
    };
    let root = metadata
        .packages
        .iter()
        .find(|p| p.name == package && p.source.is_none())
        .with_context(|| format!("`cargo metadata` has no workspace package `{package}`"))?;
    let runtime = graph.reachable(&root.id, false)?;
    let via_proc_macros =
        (graph.reachable(&root.id, true)?.difference(&runtime)).map(|id| graph.key(id)).collect();
    let mut out: Vec<Dependency> = runtime
        .iter()
        .map(|id| {
            let p = graph.packages[id.as_str()];
            let mut deps: Vec<String> =
                graph.edges(graph.nodes[id.as_str()], false).iter().map(|d| graph.key(d)).collect();
            deps.sort();
            Dependency {
                name: p.name.clone(),
                version: p.version.clone(),
                license: p.license.clone(),
                source: source_name(p.source.as_deref()),
                checksum: checksums.get(&(p.name.clone(), p.version.clone())).cloned(),
                dependencies: deps,
                c_code: p.links.is_some() || graph.builds_c(graph.nodes[id.as_str()]),
            }
        })
        .collect();
    out.sort_by_key(|d| (d.name != package, d.name.clone(), d.version.clone()));
    Ok(Resolved { deps: out, via_proc_macros })
}

/// The resolve graph, by package id.
struct Graph<'a> {
    packages: BTreeMap<&'a str, &'a Package>,
    nodes: BTreeMap<&'a str, &'a Node>,
}

impl Graph<'_> {
    /// The ids of a node's normal dependencies, without proc-macros unless `proc_macros`:
    /// what links into it.
    fn edges(&self, node: &Node, proc_macros: bool) -> Vec<String> {
        node.deps
            .iter()
            .filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()))
            .filter(|d| {
                proc_macros || !self.packages.get(d.pkg.as_str()).is_some_and(|p| p.is_proc_macro())
            })
            .map(|d| d.pkg.clone())
            .collect()
    }

    /// Every id reachable from `root` through [`Graph::edges`], `root` included.
    fn reachable(&self, root: &str, proc_macros: bool) -> Result<BTreeSet<String>> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut pending = vec![root.to_string()];
        while let Some(id) = pending.pop() {
            if seen.insert(id.clone()) {
                let node = self
                    .nodes
                    .get(id.as_str())
                    .with_context(|| format!("no resolve node for {id}"))?;
                pending.extend(self.edges(node, proc_macros));
            }
        }
        if let Some(id) = seen.iter().find(|id| !self.packages.contains_key(id.as_str())) {
            anyhow::bail!("`cargo metadata` resolves {id} but lists no such package");
        }
        Ok(seen)
    }

    /// Whether a node's build dependencies include a C compiler driver (`cc`, `cmake`).
    fn builds_c(&self, node: &Node) -> bool {
        node.deps.iter().any(|d| {
            d.dep_kinds.iter().any(|k| k.kind.as_deref() == Some("build"))
                && self
                    .packages
                    .get(d.pkg.as_str())
                    .is_some_and(|p| p.name == "cc" || p.name == "cmake")
        })
    }

    fn key(&self, id: &str) -> String {
        let p = self.packages[id];
        format!("{}@{}", p.name, p.version)
    }
}

/// `crates.io`, `local`, or the source as cargo names it (git, another registry).
fn source_name(source: Option<&str>) -> String {
    match source {
        None => "local".into(),
        Some(s) if s.starts_with("registry+https://github.com/rust-lang/crates.io-index") => {
            "crates.io".into()
        }
        Some("registry+https://index.crates.io/") => "crates.io".into(),
        Some(s) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{
      "target_directory": "/w/target", "packages": [
        {"id": "tool 0.1.0 (path+file:///w/tool)", "name": "tool", "version": "0.1.0", "license": "MIT", "source": null, "manifest_path": "/w/tool/Cargo.toml", "targets": [{"name": "tool", "kind": ["bin"]}]},
        {"id": "serde 1.0.0", "name": "serde", "version": "1.0.0", "license": "MIT OR Apache-2.0",
         "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["lib"]}]},
        {"id": "serde_derive 1.0.0", "name": "serde_derive", "version": "1.0.0", "license": "MIT",
         "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["proc-macro"]}]},
        {"id": "syn 2.0.0", "name": "syn", "version": "2.0.0", "license": "MIT", "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["lib"]}]},
        {"id": "tempfile 3.0.0", "name": "tempfile", "version": "3.0.0", "license": "MIT", "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["lib"]}]},
        {"id": "zstd-sys 2.0.0", "name": "zstd-sys", "version": "2.0.0", "links": "zstd", "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["lib"]}]},
        {"id": "cc 1.0.0", "name": "cc", "version": "1.0.0", "source": "registry+https://github.com/rust-lang/crates.io-index", "manifest_path": "/r/Cargo.toml", "targets": [{"name": "x", "kind": ["lib"]}]}
      ],
      "resolve": {"nodes": [
        {"id": "tool 0.1.0 (path+file:///w/tool)", "deps": [
          {"pkg": "serde 1.0.0", "dep_kinds": [{"kind": null}]},
          {"pkg": "cc 1.0.0", "dep_kinds": [{"kind": "build"}]},
          {"pkg": "zstd-sys 2.0.0", "dep_kinds": [{"kind": null}]},
          {"pkg": "tempfile 3.0.0", "dep_kinds": [{"kind": "dev"}]}]},
        {"id": "zstd-sys 2.0.0", "deps": []},
        {"id": "cc 1.0.0", "deps": []},
        {"id": "serde 1.0.0", "deps": [{"pkg": "syn 2.0.0", "dep_kinds": [{"kind": "build"}]},
                                       {"pkg": "serde_derive 1.0.0", "dep_kinds": [{"kind": null}]}]},
        {"id": "serde_derive 1.0.0", "deps": [{"pkg": "syn 2.0.0", "dep_kinds": [{"kind": null}]}]},
        {"id": "syn 2.0.0", "deps": []},
        {"id": "tempfile 3.0.0", "deps": []}
      ]}
    }"#;
    const LOCK: &str = "version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\n\n[[package]]\nname = \"tool\"\nversion = \"0.1.0\"\n";

    #[test]
    fn only_normal_dependencies_and_no_proc_macros_reach_the_binary() {
        let Resolved { deps, via_proc_macros } = from_metadata(METADATA, LOCK, "tool").unwrap();
        assert_eq!(Vec::from_iter(via_proc_macros), ["serde_derive@1.0.0", "syn@2.0.0"]);
        let keys: Vec<String> = deps.iter().map(Dependency::key).collect();
        assert_eq!(keys, ["tool@0.1.0", "serde@1.0.0", "zstd-sys@2.0.0"]);
        assert_eq!(deps[0].dependencies, ["serde@1.0.0", "zstd-sys@2.0.0"]);
        let c_code: Vec<bool> = deps.iter().map(|d| d.c_code).collect();
        assert_eq!(c_code, [true, false, true], "cc as a build dependency, or `links`");
        assert_eq!(deps[1].source, "crates.io");
        assert_eq!(deps[1].checksum.as_deref(), Some("abc"));
        assert_eq!(deps[0].source, "local");
    }
}
