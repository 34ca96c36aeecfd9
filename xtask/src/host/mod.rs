//! The machine: the only layer that runs processes (the probe of installed tools, the build
//! invocation and its builder choice, the jobserver the builds share, git, cargo metadata, cargo's configuration, whose cfg tables
//! need `rustc --print cfg`).

pub mod build;
pub mod cargo;
pub mod cargo_config;
pub mod git;
pub mod gpg;
pub mod jobserver;
pub mod machine;
