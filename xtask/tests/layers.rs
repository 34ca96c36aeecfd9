//! The layering rules of ARCHITECTURE.md, checked on the source of both crates: every
//! `crate::` path in the non-test code of `xtask/src` and `diag_tool/src` goes where its
//! module may import, no files import each other in a circle, and only the xtask layers
//! allowed to run processes do. A module using its own parent or children does not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One crate's rules.
struct Rules {
    src: &'static str,
    /// What each top-level module may import besides itself; one missing here fails the test
    /// until it is given its place.
    may_import: &'static [(&'static str, &'static [&'static str])],
    /// Folders whose modules may not import each other (diag_tool's sources are independent).
    isolated: &'static [&'static str],
    /// Top-level modules whose code may start a process.
    processes: &'static [&'static str],
}

const XTASK: Rules = Rules {
    src: "xtask/src",
    may_import: &[
        (
            "cmd",
            &[
                "flags", "pipeline", "template", "formats", "verify", "host", "manifest", "config",
                "util",
            ],
        ),
        ("flags", &["config"]),
        ("pipeline", &["template", "formats", "verify", "host", "manifest", "config", "util"]),
        ("template", &["manifest", "config", "util"]),
        ("formats", &["manifest", "config", "util"]),
        ("verify", &["manifest", "config", "util"]),
        ("host", &["manifest", "config", "util"]),
        ("manifest", &["config", "util"]),
        ("config", &["util"]),
        ("util", &[]),
    ],
    isolated: &[],
    processes: &["cmd", "host"],
};

/// The shipped sample; a fork that replaces it replaces this entry.
const DIAG_TOOL: Rules = Rules {
    src: "diag_tool/src",
    may_import: &[
        ("cli", &["checks"]),
        ("output", &["checks", "report", "sources", "root", "units"]),
        ("checks", &["report", "sources", "root", "units"]),
        ("report", &["sources", "root"]),
        ("parsers", &["sources", "root"]),
        ("sources", &["root"]),
        ("root", &[]),
        ("units", &[]),
        // `#[macro_use]`: used by its macro, never by path.
        ("serialize", &[]),
    ],
    isolated: &["sources"],
    processes: &[
        "cli",
        "output",
        "checks",
        "report",
        "parsers",
        "sources",
        "root",
        "units",
        "serialize",
    ],
};

/// A module path (`["formats", "linux_package", "deb"]`) to its non-test source.
type Files = BTreeMap<Vec<String>, String>;

fn read_files(src: &Path) -> Files {
    let mut files = Files::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap();
            if !name.ends_with(".rs") || name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_str().unwrap().to_string())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files.insert(module, strip_comments(non_test(&text)));
        }
    }
    files
}

/// The code before the first line-start `#[cfg(test)]`: test modules sit at the end.
fn non_test(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("#[cfg(test)]") {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path written after `crate::`, braces expanded: `crate::{a::b, c}` gives `a::b`, `c`.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        expand(rest, Vec::new(), &mut paths);
    }
    paths
}

fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    if let Some(group) = rest.strip_prefix('{') {
        for item in split_group(group) {
            expand(item.trim(), path.clone(), out);
        }
        return;
    }
    loop {
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        rest = &rest[word.len()..];
        if !word.is_empty() {
            path.push(word);
        }
        if let Some(after) = rest.strip_prefix("::") {
            rest = after;
            if rest.starts_with('{') {
                return expand(rest, path, out);
            }
            continue;
        }
        out.push(path);
        return;
    }
}

/// The top-level items of a braced group, up to its closing brace.
fn split_group(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&text[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// Each file's imports of other files, leaving out a module's own ancestors and descendants.
fn imports(files: &Files) -> BTreeMap<&Vec<String>, BTreeSet<&Vec<String>>> {
    let mut edges = BTreeMap::new();
    for (module, text) in files {
        let targets: BTreeSet<&Vec<String>> = crate_paths(text)
            .iter()
            .filter_map(|path| {
                (1..=path.len()).rev().find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
            })
            .filter(|target| !target.starts_with(module) && !module.starts_with(target))
            .collect();
        edges.insert(module, targets);
    }
    edges
}

fn violations(rules: &Rules, files: &Files) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in imports(files) {
        let Some(top) = from.first() else { continue };
        let Some((_, allowed)) = rules.may_import.iter().find(|(m, _)| m == top) else {
            found.push(format!("{} is in no layer of the rules", from.join("/")));
            continue;
        };
        for to in targets {
            let to_top = to.first().map(String::as_str).unwrap_or_default();
            let same = to_top == top.as_str();
            let isolated = same && rules.isolated.contains(&to_top) && from.get(1) != to.get(1);
            if (!same && !allowed.contains(&to_top)) || isolated {
                found.push(format!(
                    "{} imports {}: against the layers of ARCHITECTURE.md",
                    from.join("/"),
                    to.join("/")
                ));
            }
        }
    }
    found.extend(cycles(files).into_iter().map(|c| format!("import circle: {}", c.join(" -> "))));
    for (module, text) in files {
        let allowed = module.first().is_some_and(|top| rules.processes.contains(&top.as_str()));
        if !allowed && (text.contains("cmd!(") || text.contains("Command::new")) {
            found.push(format!(
                "{} runs a process: only {:?} may",
                module.join("/"),
                rules.processes
            ));
        }
    }
    found
}

/// Circles in the import graph, each as the path of modules that closes it.
fn cycles(files: &Files) -> Vec<Vec<String>> {
    let edges = imports(files);
    let mut found = Vec::new();
    let mut done: BTreeSet<&Vec<String>> = BTreeSet::new();
    for start in edges.keys() {
        let mut stack = vec![(*start, vec![*start])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in &edges[node] {
                if *next == *start {
                    let mut circle: Vec<String> = path.iter().map(|m| m.join("/")).collect();
                    circle.push(start.join("/"));
                    if !done.contains(start) {
                        found.push(circle);
                    }
                } else if seen.insert(*next) && !done.contains(next) {
                    let mut longer = path.clone();
                    longer.push(*next);
                    stack.push((*next, longer));
                }
            }
        }
        done.insert(start);
    }
    found
}

fn check(rules: &Rules) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let files = read_files(&root.join(rules.src));
    let found = violations(rules, &files);
    assert!(
        found.is_empty(),
        "{}: the layering rules of ARCHITECTURE.md are broken:\n{}",
        rules.src,
        found.join("\n")
    );
}

#[test]
fn xtask_imports_point_down_its_layers() {
    check(&XTASK);
}

#[test]
fn the_samples_sources_checks_and_outputs_import_one_way() {
    check(&DIAG_TOOL);
}

fn planted(files: &[(&str, &str)]) -> Files {
    files
        .iter()
        .map(|(m, text)| {
            let module = m.split('/').map(String::from).collect();
            (module, strip_comments(non_test(text)))
        })
        .collect()
}

#[test]
fn a_lower_layer_importing_a_higher_one_a_circle_and_a_process_are_each_found() {
    let files = planted(&[
        ("cmd/dist", "use crate::formats::archive;"),
        ("formats/archive", "use crate::{config::policy::Policy, cmd::dist};"),
        ("formats/oci", "use crate::verify::facts; fn f() { cmd!(sh, \"ls\"); }"),
        ("verify/facts", ""),
        ("config/policy", "// use crate::cmd::dist; a comment is no import"),
    ]);
    let found = violations(&XTASK, &files);
    let has = |needle: &str| found.iter().any(|f| f.contains(needle));
    assert!(has("formats/archive imports cmd/dist"), "{found:#?}");
    assert!(has("formats/oci imports verify/facts"), "{found:#?}");
    assert!(has("import circle: cmd/dist -> formats/archive -> cmd/dist"), "{found:#?}");
    assert!(has("formats/oci runs a process"), "{found:#?}");
    assert!(!has("config/policy"), "{found:#?}");
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn a_source_importing_another_and_a_model_importing_its_renderer_are_found() {
    let files = planted(&[
        ("sources/memory", "use crate::sources::cpu::Cpu; use crate::root::Root;"),
        ("sources/cpu", "use crate::sources::cpu::arm;"),
        ("sources/cpu/arm", ""),
        ("report", "use crate::output::text;"),
        ("output/text", "use crate::report::Report;"),
        ("root", ""),
    ]);
    let found = violations(&DIAG_TOOL, &files);
    let has = |needle: &str| found.iter().any(|f| f.contains(needle));
    assert!(has("sources/memory imports sources/cpu"), "{found:#?}");
    assert!(has("report imports output/text"), "{found:#?}");
    assert!(has("import circle"), "{found:#?}");
    assert_eq!(found.len(), 3, "{found:#?}");
}
