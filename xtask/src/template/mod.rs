//! The repository as a template: generated files, TestArea's links, edits of Cargo.toml.

pub mod cargo_toml;
pub mod codegen;
pub mod symlinks;
