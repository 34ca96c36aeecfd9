//! The shipped completions and man pages (from the CLI definition) and the README's field
//! table (from the JSON Schema) are committed; they must be what `cargo xtask codegen` writes,
//! and valid for the tools that read them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::generated;

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

#[test]
fn committed_assets_and_readme_match_what_codegen_writes() {
    let root = generated::workspace_dir();
    let stale: Vec<String> = generated::docs()
        .into_iter()
        .filter(|(path, bytes)| std::fs::read(root.join(path)).ok().as_deref() != Some(&bytes[..]))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "{stale:?} differ from the CLI definition and the schema: run `cargo xtask codegen` and commit"
    );
}

#[test]
fn bash_completion_is_valid_bash() {
    let script = assets_dir().join("completions/diag_tool.bash");
    let status = Command::new("bash").arg("-n").arg(&script).status().expect("running bash");
    assert!(status.success(), "bash -n rejects {}", script.display());
}

#[test]
fn man_pages_render_without_warnings() {
    let root = generated::workspace_dir();
    for (file, _) in
        generated::docs().into_iter().filter(|(f, _)| f.extension().is_some_and(|e| e == "1"))
    {
        let page = root.join(file);
        let output = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff is needed to check the man pages: apt-get install groff-base");
        assert!(output.status.success(), "groff failed on {}", page.display());
        let warnings = String::from_utf8_lossy(&output.stderr);
        assert!(warnings.is_empty(), "groff warns on {}: {warnings}", page.display());
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
    assert!(main.contains("--root"), "diag_tool(1) does not document --root:\n{main}");
    let check = render("man/diag_tool-check.1");
    assert!(check.contains("--mem-warn"), "diag_tool-check(1) lacks the thresholds:\n{check}");
}
