//! What the tests that run the real `xtask` binary share.

use std::path::Path;
use std::process::Command;

/// The workspace root, where `xtask` runs.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The built `xtask` binary, run from the workspace root. The archive timestamp is fixed, so
/// the tests pass in a checkout with no commit yet (a fresh `cargo generate` project).
pub fn xtask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}
