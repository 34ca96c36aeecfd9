//! The release automation of this workspace as a library: one module per command, used by the
//! `xtask` binary and by the fuzz target in `fuzz/`.

pub mod cmd;
pub mod config;
pub mod flags;
pub mod formats;
pub mod host;
pub mod manifest;
pub mod pipeline;
pub mod template;
pub mod util;
pub mod verify;

use std::path::PathBuf;

/// The workspace root: the parent of this crate's directory. `CARGO_MANIFEST_DIR` as cargo
/// sets it at run time comes first, so that reproduce can run this binary in another checkout.
pub fn project_root() -> PathBuf {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(dir).parent().unwrap().to_owned()
}
