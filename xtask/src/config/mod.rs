//! What the repository declares, as data: the release policy, the architecture table, targets,
//! and builders. Nothing here runs a process.

pub mod arch;
pub mod binstall;
pub mod builder;
pub mod dependencies;
pub mod glibc;
pub mod names;
pub mod policy;
pub mod target;
pub mod workspace;
