//! The release as steps: the plan, the per-target steps, the release-wide steps and the status
//! output.

pub mod checks;
pub mod linux_packages;
pub mod output;
pub mod plan;
pub mod release;
pub mod repository;
pub mod targets;
