//! What the repository declares, as data: the release policy, the architecture table, targets,
//! builders and cargo's own configuration. Nothing here runs a process.

pub mod arch;
pub mod binstall;
pub mod builder;
pub mod cargo_config;
pub mod glibc;
pub mod names;
pub mod policy;
pub mod target;
