//! The command-line definition, built with clap's builder API (no derive macros in the
//! build); completions and the man page are generated from [`command`].

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, value_parser};

use crate::check::Thresholds;

const ABOUT: &str =
    "Hardware diagnostics for Linux servers: CPU, memory, ECC, temperatures, disks, NICs, PCI, DMI";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    /// Directory holding the proc/, sys/ and etc/ trees to inspect.
    pub root: PathBuf,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Report { json: bool },
    Check(Thresholds),
}

/// The full clap definition of the `diag_tool` command line.
pub fn command() -> clap::Command {
    clap::Command::new(env!("CARGO_PKG_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(format!(
            "{ABOUT}.\n\nEverything is read from /proc and /sys below --root, so a container can \
             inspect its host with --root /host."
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("root")
                .long("root")
                .global(true)
                .value_name("DIR")
                .default_value("/")
                .value_parser(value_parser!(PathBuf))
                .help("Directory holding the proc/, sys/ and etc/ trees to inspect"),
        )
        .subcommand(
            clap::Command::new("report")
                .about("Print what the machine is made of and how it is doing")
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("Print JSON (schema_version 1) instead of text"),
                ),
        )
        .subcommand(
            clap::Command::new("check")
                .about("Run health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
                .arg(count(
                    "ecc-corrected-warn",
                    "COUNT",
                    "100",
                    "Warn when one memory controller has this many corrected ECC errors",
                ))
                .arg(
                    Arg::new("temp-margin")
                        .long("temp-margin")
                        .value_name("CELSIUS")
                        .default_value("5")
                        .value_parser(value_parser!(u32))
                        .help(
                            "Warn when a temperature is within this many degrees Celsius of \
                             its critical point",
                        ),
                )
                .arg(percent(
                    "mem-warn",
                    "10",
                    "Warn when available memory is below this percentage of the total",
                ))
                .arg(percent(
                    "mem-crit",
                    "5",
                    "Critical when available memory is below this percentage of the total",
                ))
                .arg(percent(
                    "swap-warn",
                    "80",
                    "Warn when this percentage of swap is in use",
                ))
                .arg(percent(
                    "swap-crit",
                    "95",
                    "Critical when this percentage of swap is in use",
                ))
                .arg(
                    Arg::new("link-down-critical")
                        .long("link-down-critical")
                        .action(ArgAction::SetTrue)
                        .help(
                            "Report a configured physical link that is down as CRITICAL \
                             instead of WARNING",
                        ),
                ),
        )
}

fn count(
    name: &'static str,
    value_name: &'static str,
    default: &'static str,
    help: &'static str,
) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name(value_name)
        .default_value(default)
        .value_parser(value_parser!(u64))
        .help(help)
}

fn percent(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("PERCENT")
        .default_value(default)
        .value_parser(value_parser!(u8).range(0..=100))
        .help(help)
}

impl Cli {
    /// Reads the matches of [`command`]; every argument has a default, so nothing is missing.
    pub fn from_matches(matches: &ArgMatches) -> Cli {
        let root = matches
            .get_one::<PathBuf>("root")
            .cloned()
            .unwrap_or_else(|| PathBuf::from("/"));
        let command = match matches.subcommand() {
            Some(("check", m)) => Command::Check(thresholds(m)),
            Some(("report", m)) => Command::Report {
                json: m.get_flag("json"),
            },
            // subcommand_required(true) makes clap reject anything else before this point.
            _ => unreachable!("clap requires a subcommand"),
        };
        Cli { root, command }
    }
}

fn thresholds(m: &ArgMatches) -> Thresholds {
    let defaults = Thresholds::default();
    let get = |name: &str| m.get_one::<u8>(name).copied();
    Thresholds {
        ecc_corrected_warn: m
            .get_one::<u64>("ecc-corrected-warn")
            .copied()
            .unwrap_or(defaults.ecc_corrected_warn),
        temp_margin_celsius: m
            .get_one::<u32>("temp-margin")
            .copied()
            .unwrap_or(defaults.temp_margin_celsius),
        mem_available_warn: get("mem-warn").unwrap_or(defaults.mem_available_warn),
        mem_available_crit: get("mem-crit").unwrap_or(defaults.mem_available_crit),
        swap_used_warn: get("swap-warn").unwrap_or(defaults.swap_used_warn),
        swap_used_crit: get("swap-crit").unwrap_or(defaults.swap_used_crit),
        link_down_critical: m.get_flag("link-down-critical"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::from_matches(&command().get_matches_from(args))
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn check_defaults_match_the_documented_thresholds() {
        let cli = parse(&["diag_tool", "check"]);
        assert_eq!(cli.command, Command::Check(Thresholds::default()));
        assert_eq!(cli.root, PathBuf::from("/"));
    }

    #[test]
    fn threshold_flags_reach_the_checks() {
        let cli = parse(&[
            "diag_tool",
            "check",
            "--mem-warn",
            "20",
            "--link-down-critical",
            "--root",
            "/host",
        ]);
        let Command::Check(t) = cli.command else {
            panic!("expected check")
        };
        assert_eq!((t.mem_available_warn, t.link_down_critical), (20, true));
        assert_eq!(cli.root, PathBuf::from("/host"));
    }
}
