//! Completions and man pages (from the CLI definition) and the README's field table (from the
//! JSON Schema) are committed and must match; `UPDATE_ASSETS=1 cargo test -p diag_tool --test assets` rewrites them.

mod common;

use common::Json;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap_complete::Shell;

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// Every shipped asset: its file name under `assets/` and its generated contents.
fn generated() -> Vec<(String, Vec<u8>)> {
    let mut command = diag_tool::cli::command();
    let name = command.get_name().to_string();
    let mut assets = Vec::new();
    for (shell, file) in [
        (Shell::Bash, format!("completions/{name}.bash")),
        (Shell::Zsh, format!("completions/_{name}")),
        (Shell::Fish, format!("completions/{name}.fish")),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut command, name.clone(), &mut out);
        assets.push((file, out));
    }
    // The main page refers to `diag_tool-report(1)` and friends: ship those pages too.
    command.build();
    let pages = std::iter::once((name.clone(), command.clone())).chain(
        command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
            .map(|sub| {
                let page = format!("{name}-{}", sub.get_name());
                (
                    page.clone(),
                    sub.clone().display_name(page.clone()).bin_name(page),
                )
            }),
    );
    for (page, cmd) in pages {
        let mut man = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut man)
            .expect("rendering to memory");
        assets.push((format!("man/{page}.1"), man));
    }
    assets
}

#[test]
fn committed_assets_match_the_cli_definition() {
    let update = std::env::var_os("UPDATE_ASSETS").is_some();
    let mut stale = Vec::new();
    for (file, contents) in generated() {
        let path = assets_dir().join(&file);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &contents).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&contents[..]) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from the CLI definition: run \
         `UPDATE_ASSETS=1 cargo test -p diag_tool --test assets` and commit"
    );
}

const TABLE_BEGIN: &str = "<!-- report-schema:begin -->";
const TABLE_END: &str = "<!-- report-schema:end -->";

/// `int or null`, `[string]`, `object`: a schema type as the README table spells it.
fn type_name(schema: &Json) -> String {
    let mut types: Vec<&str> = match schema.get("type") {
        Some(Json::Str(t)) => vec![t],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => vec!["integer"],
    };
    let nullable = types.contains(&"null");
    types.retain(|t| *t != "null");
    let name = match types.first().copied().unwrap_or("null") {
        "integer" => "int".to_string(),
        "boolean" => "bool".to_string(),
        "array" => match schema.get("items") {
            Some(items) if items.get("properties").is_some() => "list".to_string(),
            Some(items) => format!("[{}]", type_name(items)),
            None => "list".to_string(),
        },
        other => other.to_string(),
    };
    if nullable {
        format!("{name} or null")
    } else {
        name
    }
}

fn table_rows(schema: &Json, prefix: &str, rows: &mut Vec<String>) {
    let Some(Json::Object(props)) = schema.get("properties") else {
        return;
    };
    for (key, prop) in props {
        let description = prop
            .get("description")
            .and_then(Json::as_str)
            .unwrap_or_else(|| panic!("{prefix}{key} has no description"));
        let items = prop.get("items").filter(|i| i.get("properties").is_some());
        let path = if items.is_some() {
            format!("{prefix}{key}[]")
        } else {
            format!("{prefix}{key}")
        };
        rows.push(format!(
            "| `{path}` | {} | {} |",
            type_name(prop),
            description.replace('|', "\\|")
        ));
        match items {
            Some(items) => table_rows(items, &format!("{path}."), rows),
            None => table_rows(prop, &format!("{path}."), rows),
        }
    }
}

/// The README's field table, one row per key of the schema, in the schema's (and the
/// report's) order.
fn schema_table() -> String {
    let text = std::fs::read_to_string(assets_dir().join("report.schema.json")).unwrap();
    let mut rows = vec![
        "| key | type | meaning |".to_string(),
        "|---|---|---|".to_string(),
    ];
    table_rows(&Json::parse(&text), "", &mut rows);
    rows.join("\n") + "\n"
}

#[test]
fn readme_field_table_is_generated_from_the_schema() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (before, rest) = readme
        .split_once(TABLE_BEGIN)
        .expect("README.md has the report-schema markers");
    let (_, after) = rest
        .split_once(TABLE_END)
        .expect("README.md has the end marker");
    let wanted = format!(
        "{before}{TABLE_BEGIN}\n{}{TABLE_END}{after}",
        schema_table()
    );
    if std::env::var_os("UPDATE_ASSETS").is_some() {
        std::fs::write(&readme_path, wanted).unwrap();
    } else {
        assert!(
            readme == wanted,
            "diag_tool/README.md's field table differs from assets/report.schema.json: run \
             `UPDATE_ASSETS=1 cargo test -p diag_tool --test assets` and commit"
        );
    }
}

#[test]
fn bash_completion_is_valid_bash() {
    let script = assets_dir().join("completions/diag_tool.bash");
    let status = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("running bash");
    assert!(status.success(), "bash -n rejects {}", script.display());
}

#[test]
fn man_pages_render_without_warnings() {
    for (file, _) in generated()
        .into_iter()
        .filter(|(f, _)| f.starts_with("man/"))
    {
        let page = assets_dir().join(file);
        let output = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff is needed to check the man pages: apt-get install groff-base");
        assert!(
            output.status.success(),
            "groff failed on {}",
            page.display()
        );
        let warnings = String::from_utf8_lossy(&output.stderr);
        assert!(
            warnings.is_empty(),
            "groff warns on {}: {warnings}",
            page.display()
        );
    }
}

#[test]
fn man_pages_document_the_options() {
    let render = |page: &str| {
        let output = Command::new("groff")
            .args(["-man", "-Tutf8"])
            .arg(assets_dir().join(page))
            .output()
            .expect("groff is needed to check the man pages: apt-get install groff-base");
        // grotty emboldens by overstriking (`x\bx`): keep the last character of each pair.
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let mut plain = String::new();
        for c in text.chars() {
            if c == '\u{8}' {
                plain.pop();
            } else {
                plain.push(c);
            }
        }
        plain
    };
    let main = render("man/diag_tool.1");
    assert!(
        main.contains("--root"),
        "diag_tool(1) does not document --root:\n{main}"
    );
    let check = render("man/diag_tool-check.1");
    assert!(
        check.contains("--mem-warn"),
        "diag_tool-check(1) lacks the thresholds:\n{check}"
    );
}
