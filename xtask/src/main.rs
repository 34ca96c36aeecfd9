//! `cargo xtask`: parses the command line and runs the command; the commands live in the
//! library (`lib.rs`).

use std::process::ExitCode;

use anyhow::Result;
use xshell::Shell;
use xtask::flags;

fn main() -> ExitCode {
    // SAFETY: first thing in main, before any thread or child process exists.
    unsafe { xtask::util::secrets::take_from_env() };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable message with its causes; backtraces are for panics, not user errors.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let flags = match flags::Xtask::from_env() {
        Ok(flags) => flags,
        Err(e) if e.is_help() => e.exit(),
        // A usage error (exit 2, as cargo gives) in the same one-line form as every other.
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2)
        }
    };
    let sh = Shell::new()?;
    sh.change_dir(xtask::project_root());
    match flags.subcommand {
        flags::XtaskCmd::Setup(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Doctor(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Plan(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Codegen(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Dist(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Merge(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Keygen(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Repo(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Reproduce(cmd) => cmd.run(&sh),
        flags::XtaskCmd::PushImage(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Verify(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Test(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Ci(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Bench(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Rename(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Adopt(cmd) => cmd.run(&sh),
        flags::XtaskCmd::Symlinks(cmd) => cmd.run(&sh),
    }
}
