//! The machine: the only layer that runs processes (the probe of installed tools, the build
//! invocation and its builder choice, git, cargo metadata).

pub mod build;
pub mod cargo;
pub mod dependencies;
pub mod git;
pub mod gpg;
pub mod machine;
