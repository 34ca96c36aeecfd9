//! The layers of `src/`, read from the `crate::` paths of its non-test code: imports point one
//! way, and no files import each other in a circle. The rules, lowest layer first:
//!
//! - `root` (the files below `--root`) and `units` import nothing of the crate;
//! - a source (`sources/<name>`) imports only `root` and its own files: no source imports
//!   another, and sources never import the report, checks or output;
//! - `report` (the model) imports sources and `root`, never checks or output;
//! - `checks` read the model and import no output;
//! - `output` renders the model and the checks' findings;
//! - `cli` imports only the checks' thresholds; `lib.rs` and `main.rs` tie everything together.
//!
//! A module using its own parent or children (`super::`, a folder's `mod.rs`) is not a layer
//! crossing. Test code (after the first `#[cfg(test)]` of a file) is not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module of `src/` may import; a top-level module missing here fails the
/// test until it is given its place.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("root", &[]),
    ("units", &[]),
    ("sources", &["root"]),
    ("report", &["sources", "root"]),
    ("parsers", &["sources", "root"]),
    ("checks", &["report", "sources", "root", "units"]),
    ("output", &["checks", "report", "sources", "root", "units"]),
    ("cli", &["checks"]),
    // `#[macro_use]`: used by its macro, never by path.
    ("serialize", &[]),
];

/// A file's module path: `sources/cpu/mod.rs` is `["sources", "cpu"]`, `lib.rs` is `[]`.
type Module = Vec<String>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("a file below src/");
    let mut parts: Module = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code before the first `#[cfg(test)]` line, without comments.
fn non_test_code(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        code.push_str(line);
        code.push('\n');
    }
    strip_comments(&code)
}

/// Drops `//` and `/* */` comments, leaving string literals alone.
fn strip_comments(code: &str) -> String {
    let mut out = String::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('"', _) => {
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ('/', Some('/')) => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for s in chars.by_ref() {
                    if last == '*' && s == '/' {
                        break;
                    }
                    last = s;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path written after `crate::`, with `use crate::{a::b, c}` groups expanded.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue;
        }
        let end = path_end(rest);
        expand(&rest[..end], &[], &mut paths);
        rest = &rest[end..];
    }
    paths
}

/// Where a path (with its braces) ends.
fn path_end(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => return i,
            _ => {}
        }
    }
    text.len()
}

fn expand(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let text = text.trim();
    match text.find('{') {
        None => {
            let mut path = prefix.to_vec();
            path.extend(
                text.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "self")
                    .map(str::to_string),
            );
            out.push(path);
        }
        Some(open) => {
            let mut path = prefix.to_vec();
            path.extend(
                text[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
            for item in split_top_level(inner) {
                if item.trim() == "self" {
                    out.push(path.clone());
                } else if !item.trim().is_empty() {
                    expand(&item, &path, out);
                }
            }
        }
    }
}

fn split_top_level(text: &str) -> Vec<String> {
    let (mut items, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
}

/// The crate's files and, for each, the files its non-test code imports (its own ancestors
/// and descendants left out).
fn import_graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let code: BTreeMap<Module, String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("a readable source file");
            (module_of(src, f), non_test_code(&text))
        })
        .collect();
    let mut graph = BTreeMap::new();
    for (module, text) in &code {
        let mut targets = BTreeSet::new();
        for path in crate_paths(text) {
            // The deepest file the path goes through.
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|m| code.contains_key(m))
            else {
                continue;
            };
            let related = target.starts_with(module) || module.starts_with(&target);
            if !related {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// Files that import each other through a circle, one circle per entry.
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    // Two files are in one circle when each reaches the other.
    let reach = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for next in &graph[&m] {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&Module, BTreeSet<Module>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut circles: Vec<Vec<Module>> = Vec::new();
    for m in graph.keys().filter(|m| reachable[m].contains(*m)) {
        if circles.iter().any(|c| c.contains(m)) {
            continue;
        }
        let circle = graph
            .keys()
            .filter(|n| reachable[m].contains(*n) && reachable[n].contains(m))
            .cloned()
            .collect();
        circles.push(circle);
    }
    circles
}

/// Imports that break [`MAY_IMPORT`] or make one source use another, as messages.
fn layer_violations(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    let mut problems = Vec::new();
    for (module, targets) in graph {
        let Some(top) = module.first() else {
            continue; // lib.rs and main.rs sit above every layer.
        };
        let Some((_, allowed)) = MAY_IMPORT.iter().find(|(m, _)| m == top) else {
            problems.push(format!(
                "`{top}` has no place in MAY_IMPORT (tests/layers.rs): say what it may import"
            ));
            continue;
        };
        for target in targets {
            let (file, imported) = (module.join("/"), target.join("/"));
            let target_top = target.first().map(String::as_str).unwrap_or("");
            if target_top == top {
                // Within one layer only sources are kept apart: one source never uses another.
                if top == "sources" && module.get(1) != target.get(1) {
                    problems.push(format!(
                        "{file} imports {imported}: a source never imports another source"
                    ));
                }
            } else if !allowed.contains(&target_top) {
                problems.push(format!(
                    "{file} imports {imported}: `{top}` may import only {allowed:?}"
                ));
            }
        }
    }
    problems
}

fn module_names(circle: &[Module]) -> Vec<String> {
    circle.iter().map(|m| m.join("/")).collect()
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = import_graph(&src_dir());
    let circles: Vec<Vec<String>> = cycles(&graph).iter().map(|c| module_names(c)).collect();
    assert!(circles.is_empty(), "import circles: {circles:?}");
}

#[test]
fn imports_point_down_the_layers() {
    let graph = import_graph(&src_dir());
    let problems = layer_violations(&graph);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_graph_sees_every_kind_of_import() {
    let code = non_test_code(
        "use crate::report::Report;\n\
         use crate::sources::{cpu::{self, Cpu}, pci::PciDevice};\n\
         // crate::output::text in a comment\n\
         let x = \"crate::checks in a string\";\n\
         fn f() { crate::units::percent(1, 2); }\n\
         #[cfg(test)]\n\
         use crate::cli;\n",
    );
    let paths = crate_paths(&code);
    let heads: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(heads.contains(&"report::Report".to_string()), "{heads:?}");
    assert!(heads.contains(&"sources::cpu".to_string()), "{heads:?}");
    assert!(
        heads.contains(&"sources::cpu::Cpu".to_string()),
        "{heads:?}"
    );
    assert!(
        heads.contains(&"sources::pci::PciDevice".to_string()),
        "{heads:?}"
    );
    assert!(heads.contains(&"units::percent".to_string()), "{heads:?}");
    assert!(!heads.iter().any(|h| h.starts_with("output")), "{heads:?}");
    assert!(!heads.iter().any(|h| h.starts_with("cli")), "{heads:?}");
}

#[test]
fn a_circle_and_a_climbing_import_are_caught() {
    let m = |s: &str| -> Module { s.split('/').map(str::to_string).collect() };
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    graph.insert(m("checks"), [m("output/perfdata")].into());
    graph.insert(m("output/perfdata"), [m("checks")].into());
    graph.insert(m("sources/fan"), [m("sources/block"), m("report")].into());
    graph.insert(m("sources/block"), BTreeSet::new());
    graph.insert(m("report"), BTreeSet::new());
    let circles = cycles(&graph);
    assert_eq!(circles.len(), 1);
    assert_eq!(module_names(&circles[0]), ["checks", "output/perfdata"]);
    let problems = layer_violations(&graph).join("\n");
    assert!(
        problems.contains("checks imports output/perfdata"),
        "{problems}"
    );
    assert!(
        problems.contains("sources/fan imports report"),
        "{problems}"
    );
    assert!(
        problems.contains("sources/fan imports sources/block: a source never imports another"),
        "{problems}"
    );
}
