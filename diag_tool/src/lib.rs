//! diag_tool: hardware diagnostics for Linux server fleets, read from `/proc`
//! and `/sys` below a root directory so that fixtures and containers work alike.

#[macro_use]
mod serialize;

pub mod checks;
pub mod cli;
pub mod output;
pub mod parsers;
pub mod report;
pub mod root;
pub mod sources;
pub mod units;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::error::ErrorKind;

use checks::Thresholds;
use cli::{Cli, Command, Format};

/// Exit code for usage errors and an unusable `--root`: UNKNOWN, as monitoring plugins expect.
pub const EXIT_UNKNOWN: u8 = 3;

const NAME: &str = env!("CARGO_PKG_NAME");

/// Parses `args` (program name first), runs the command, writes its output to
/// `out` and diagnostics to stderr, and returns the process exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::command().try_get_matches_from(args) {
        Ok(matches) => Cli::from_matches(&matches),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            return match write!(out, "{}", e.render()) {
                Ok(()) => 0,
                Err(_) => EXIT_UNKNOWN,
            };
        }
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_UNKNOWN;
        }
    };

    if let Err(reason) = check_root(&cli.root) {
        eprintln!("{NAME}: --root {}: {reason}", cli.root.display());
        return EXIT_UNKNOWN;
    }

    let report = report::collect(&cli.root);
    let (text, code) = match &cli.command {
        Command::Report { textfile: Some(dir), .. } => {
            let findings = checks::evaluate(&report, &Thresholds::default());
            let metrics = output::prometheus::render(&report, &findings);
            if let Err(e) = output::textfile::write(dir, &metrics) {
                eprintln!("{NAME}: {e}");
                return EXIT_UNKNOWN;
            }
            (String::new(), 0)
        }
        Command::Report { format, .. } => match format {
            Format::Json => match output::json::render(&report) {
                Ok(json) => (json, 0),
                Err(e) => {
                    eprintln!("{NAME}: cannot encode the report as JSON: {e}");
                    return EXIT_UNKNOWN;
                }
            },
            Format::Text => (output::text::render(&report), 0),
            Format::Prometheus => {
                let findings = checks::evaluate(&report, &Thresholds::default());
                (output::prometheus::render(&report, &findings), 0)
            }
        },
        Command::Check(thresholds) => {
            let findings = checks::evaluate(&report, thresholds);
            let perf = output::perfdata::collect(&report, thresholds);
            (output::perfdata::render(&findings, &perf), checks::overall(&findings) as u8)
        }
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("{NAME}: cannot write output: {e}");
        }
        return EXIT_UNKNOWN;
    }
    code
}

fn check_root(root: &std::path::Path) -> Result<(), String> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err("not a directory".to_string()),
        Err(e) => Err(root::io_reason(&e)),
    }
}
