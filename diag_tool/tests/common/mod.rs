//! Shared by the integration tests: ordered JSON, the generated files and how to make them,
//! and running the built binary, under the target's runner if need be.
// Each test crate that includes this module uses part of it.
#![allow(dead_code)]

pub mod generated;
pub mod json;

use std::process::{Command, Output};

/// The built binary as a command. For a foreign target (`cargo xtask test --target
/// aarch64-unknown-linux-gnu`) a test runs under an emulator and cannot exec the binary
/// itself: `cargo xtask test` passes the target's runner in TARGET_RUNNER.
pub fn binary_command() -> Command {
    let binary = env!("CARGO_BIN_EXE_diag_tool");
    let runner = std::env::var("TARGET_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

/// Runs the built binary (see [`binary_command`]).
pub fn run_binary<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    binary_command().args(args).output().expect("diag_tool runs")
}
