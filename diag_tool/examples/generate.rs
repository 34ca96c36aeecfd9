//! Writes every file generated from the CLI definition, the report schema and the TestArea
//! machines into the directory given, at its path from the workspace root. `cargo xtask
//! codegen` runs it and copies what differs into place; the tests check the same list.

#[path = "../tests/common/generated.rs"]
mod generated;
#[path = "../tests/common/json.rs"]
mod json;

use std::path::PathBuf;

fn main() {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: generate OUT_DIR");
        std::process::exit(2);
    };
    for (path, bytes) in generated::all(&generated::in_process) {
        let dest = out.join(&path);
        std::fs::create_dir_all(dest.parent().expect("a file in a directory"))
            .and_then(|()| std::fs::write(&dest, bytes))
            .unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
    }
}
