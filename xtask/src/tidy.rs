//! Repository checks: every file that names release targets names exactly the configured ones.
//! Run by `cargo test` (so they cannot be forgotten) and by `cargo xtask ci`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::target::Target;

/// Files that must name exactly the configured targets, and how each names them.
const TARGET_FILES: &[(&str, Naming)] = &[
    (".cargo/config.toml", Naming::Sections),
    ("Cross.toml", Naming::Sections),
    (".github/workflows/ci.yml", Naming::Anywhere),
    (".github/workflows/release.yml", Naming::Anywhere),
    ("README.md", Naming::BetweenMarkers),
];

#[derive(Clone, Copy)]
enum Naming {
    /// `[target.<triple>]` table headers.
    Sections,
    /// Any Linux triple anywhere in the file.
    Anywhere,
    /// Triples between `<!-- targets -->` and `<!-- /targets -->`.
    BetweenMarkers,
}

/// One line per file that disagrees with `configured`: what it lacks and what it has extra.
pub fn target_disagreements(root: &Path, configured: &[String]) -> Vec<String> {
    let configured: BTreeSet<String> = configured.iter().cloned().collect();
    let mut problems = Vec::new();
    for &(file, naming) in TARGET_FILES {
        let text = match std::fs::read_to_string(root.join(file)) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{file}: cannot be read ({e})"));
                continue;
            }
        };
        let named = named_targets(&text, naming);
        let lacks: Vec<&String> = configured.difference(&named).collect();
        let extra: Vec<&String> = named.difference(&configured).collect();
        if !lacks.is_empty() {
            problems.push(format!("{file}: does not name {}", join(&lacks)));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "{file}: names {}, which is not configured",
                join(&extra)
            ));
        }
    }
    problems
}

fn named_targets(text: &str, naming: Naming) -> BTreeSet<String> {
    let scope = match naming {
        Naming::Sections => text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[target."))
            .map(|l| l.trim_end_matches(']').trim_matches('"'))
            .collect::<Vec<_>>()
            .join("\n"),
        Naming::Anywhere => text.to_string(),
        Naming::BetweenMarkers => text
            .split_once("<!-- targets -->")
            .and_then(|(_, rest)| rest.split_once("<!-- /targets -->"))
            .map_or(String::new(), |(inside, _)| inside.to_string()),
    };
    scope
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .filter(|word| word.contains("-linux-"))
        .filter_map(|word| Target::parse(word.trim_end_matches('.')).ok())
        .map(|t| t.triple())
        .collect()
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn every_file_names_the_configured_targets() {
        let sh = xshell::Shell::new().unwrap();
        sh.change_dir(root());
        let policy = Policy::read(&sh).unwrap();
        let configured: Vec<String> = policy.targets.iter().map(|t| t.target.triple()).collect();
        let problems = target_disagreements(root(), &configured);
        assert!(
            problems.is_empty(),
            "these files disagree with [workspace.metadata.release] in Cargo.toml:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn a_changed_target_list_is_reported_in_every_file() {
        let configured = vec![
            "x86_64-unknown-linux-gnu".to_string(),
            "x86_64-unknown-linux-musl".to_string(),
            "riscv64gc-unknown-linux-gnu".to_string(),
        ];
        let problems = target_disagreements(root(), &configured);
        for (file, _) in TARGET_FILES {
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(&format!("{file}: names aarch64-unknown-linux-gnu"))),
                "{file} not reported: {problems:#?}"
            );
        }
    }

    #[test]
    fn triples_are_found_in_yaml_toml_and_markdown() {
        let yaml = "matrix:\n  target: [x86_64-unknown-linux-musl, 'aarch64-unknown-linux-gnu']\n  # x86_64-unknown-linux-gnu.2.17";
        let found = named_targets(yaml, Naming::Anywhere);
        assert_eq!(found.len(), 3, "{found:?}");
        let toml = "[target.aarch64-unknown-linux-gnu]\nlinker = \"x86_64-unknown-linux-musl\"\n";
        assert_eq!(named_targets(toml, Naming::Sections).len(), 1);
        let md = "x86_64-unknown-linux-gnu\n<!-- targets -->\n| `x86_64-unknown-linux-musl` |\n<!-- /targets -->";
        assert_eq!(
            named_targets(md, Naming::BetweenMarkers)
                .into_iter()
                .collect::<Vec<_>>(),
            ["x86_64-unknown-linux-musl"]
        );
    }
}
