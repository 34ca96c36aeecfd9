//! Every file generated from the CLI definition, the report schema and the TestArea machines,
//! in one list: `cargo xtask codegen` writes them (through `examples/generate.rs`), and the
//! tests compare the committed files with it.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

use super::json::Json;

/// Runs diag_tool with arguments and a `--root`; gives its output and exit code.
pub type Run<'a> = &'a dyn Fn(&[&str], &Path) -> (String, u8);
/// Generated files: paths from the workspace root, and contents.
pub type Files = Vec<(PathBuf, Vec<u8>)>;

/// The package's directory; generated paths are relative to the workspace, its parent.
pub fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn workspace_dir() -> PathBuf {
    package_dir().parent().expect("the package is in a workspace").to_path_buf()
}

/// Every generated file: its path from the workspace root and its contents. `run` runs
/// diag_tool with arguments and a `--root` and gives its output and exit code.
pub fn all(run: Run) -> Files {
    let mut files = docs();
    for machine in machines() {
        files.extend(golden(&machine, run));
    }
    files
}

/// The completions, man pages and README table: what the CLI definition and schema give.
pub fn docs() -> Files {
    let package = PathBuf::from(package_dir().file_name().expect("a package directory"));
    let mut files: Vec<(PathBuf, Vec<u8>)> = cli_assets()
        .into_iter()
        .map(|(path, bytes)| (package.join("assets").join(path), bytes))
        .collect();
    files.push((package.join("README.md"), readme().into_bytes()));
    files
}

/// The TestArea machines, each a directory with `proc/`, `sys/` and `etc/`.
pub fn machines() -> Vec<PathBuf> {
    let test_area = workspace_dir().join("TestArea");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&test_area)
        .expect("TestArea directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// What diag_tool says of one machine: the golden files in its `expected/`.
pub fn golden(machine: &Path, run: Run) -> Files {
    let rel = machine.strip_prefix(workspace_dir()).expect("a TestArea machine").join("expected");
    let mut files = Vec::new();
    for (file, args) in [
        ("report.json", &["report", "--json"][..]),
        ("report.txt", &["report"][..]),
        ("report.prom", &["report", "--format", "prometheus"][..]),
    ] {
        let (out, code) = run(args, machine);
        assert_eq!(code, 0, "diag_tool {args:?} on {}", machine.display());
        files.push((rel.join(file), out.into_bytes()));
    }
    let (check, code) = run(&["check"], machine);
    files.push((rel.join("check.txt"), check.into_bytes()));
    files.push((rel.join("check.exit"), format!("{code}\n").into_bytes()));
    files
}

/// Runs the CLI in this process, as the library: the same on every architecture the test runs.
pub fn in_process(args: &[&str], root: &Path) -> (String, u8) {
    let mut out = Vec::new();
    let mut argv: Vec<String> = vec![env!("CARGO_PKG_NAME").into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.push("--root".into());
    argv.push(root.to_string_lossy().into_owned());
    let code = diag_tool::run(argv, &mut out);
    (String::from_utf8(out).expect("output is UTF-8"), code)
}

/// README.md with its field table written from the report schema.
fn readme() -> String {
    let readme = std::fs::read_to_string(package_dir().join("README.md")).expect("README.md");
    let (before, rest) =
        readme.split_once(TABLE_BEGIN).expect("README.md has the generated table's BEGIN marker");
    let (_, after) =
        rest.split_once(TABLE_END).expect("README.md has the generated table's END marker");
    format!("{before}{TABLE_BEGIN}\n{}{TABLE_END}{after}", schema_table())
}

/// Completions and man pages from the CLI definition: paths under `assets/` and contents.
fn cli_assets() -> Vec<(String, Vec<u8>)> {
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
        command.get_subcommands().filter(|sub| sub.get_name() != "help").map(|sub| {
            let page = format!("{name}-{}", sub.get_name());
            (page.clone(), sub.clone().display_name(page.clone()).bin_name(page))
        }),
    );
    for (page, cmd) in pages {
        let mut man = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut man).expect("rendering to memory");
        assets.push((format!("man/{page}.1"), man));
    }
    assets
}

const TABLE_BEGIN: &str =
    "<!-- BEGIN generated by `cargo xtask codegen` from assets/report.schema.json -->";
const TABLE_END: &str = "<!-- END generated -->";

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
    if nullable { format!("{name} or null") } else { name }
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
        let path =
            if items.is_some() { format!("{prefix}{key}[]") } else { format!("{prefix}{key}") };
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
    let text = std::fs::read_to_string(package_dir().join("assets/report.schema.json")).unwrap();
    let mut rows = vec!["| key | type | meaning |".to_string(), "|---|---|---|".to_string()];
    table_rows(&Json::parse(&text), "", &mut rows);
    rows.join("\n") + "\n"
}
