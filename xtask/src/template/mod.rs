//! The repository as a template: generated files and TestArea's links.

pub mod codegen;
pub mod symlinks;
