//! Every golden `report.json` against the shipped JSON Schema, judged by `check-jsonschema`,
//! and the report's key order against the schema's (the order the README documents).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::json::Json;

const INSTALL: &str = "pip install check-jsonschema";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_path() -> PathBuf {
    manifest_dir().join("assets/report.schema.json")
}

fn golden_reports() -> Vec<PathBuf> {
    let mut reports: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("../TestArea"))
        .expect("TestArea")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("expected/report.json"))
        .filter(|p| p.is_file())
        .collect();
    reports.sort();
    assert!(reports.len() >= 7, "{reports:?}");
    reports
}

fn check_jsonschema(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("check-jsonschema")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run check-jsonschema ({e}): {INSTALL}"))
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    let output = check_jsonschema(&["--check-metaschema".as_ref(), schema_path().as_os_str()]);
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn every_golden_report_validates_against_the_shipped_schema() {
    let mut args = vec!["--schemafile".into(), schema_path().into_os_string()];
    args.extend(golden_reports().into_iter().map(PathBuf::into_os_string));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let output = check_jsonschema(&args);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_schema_rejects_unknown_keys_and_wrong_types() {
    let golden = std::fs::read_to_string(&golden_reports()[0]).unwrap();
    let dir = std::env::temp_dir().join(format!("diag_tool-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("extra-key", golden.replacen("\"host\": {", "\"host\": {\n    \"surprise\": 1,", 1)),
        ("wrong-type", golden.replacen("\"schema_version\": 1", "\"schema_version\": \"1\"", 1)),
    ];
    for (name, text) in cases {
        assert_ne!(text, golden, "{name} changed nothing");
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, text).unwrap();
        let output = check_jsonschema(&[
            "--schemafile".as_ref(),
            schema_path().as_os_str(),
            file.as_os_str(),
        ]);
        assert!(!output.status.success(), "{name} was accepted");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Walks a report value next to its schema and lists every object whose keys are not the
/// schema's properties in the schema's order.
fn order_mismatches(value: &Json, schema: &Json, path: &str, out: &mut Vec<String>) {
    match value {
        Json::Object(fields) => {
            let Some(Json::Object(props)) = schema.get("properties") else {
                out.push(format!("{path}: an object where the schema has none"));
                return;
            };
            let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
            let wanted: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
            if keys != wanted {
                out.push(format!("{path}: keys {keys:?}, schema {wanted:?}"));
                return;
            }
            for ((key, v), (_, s)) in fields.iter().zip(props) {
                order_mismatches(v, s, &format!("{path}.{key}"), out);
            }
        }
        Json::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    order_mismatches(item, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn report_keys_come_in_the_schema_order() {
    let schema = Json::parse(&std::fs::read_to_string(schema_path()).unwrap());
    let mut mismatches = Vec::new();
    for report in golden_reports() {
        let value = Json::parse(&std::fs::read_to_string(&report).unwrap());
        order_mismatches(&value, &schema, &report.display().to_string(), &mut mismatches);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
