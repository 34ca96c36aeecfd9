//! The command-line definition, built with clap's builder API (no derive macros in the
//! build); completions and the man page are generated from [`command`].

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, value_parser};

use crate::checks::Thresholds;

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
    Report {
        format: Format,
        /// Write the Prometheus metrics to `DIR/diag_tool.prom` instead of printing.
        textfile: Option<PathBuf>,
    },
    Check(Thresholds),
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Prometheus,
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
        .subcommand(report_command())
        .subcommand(check_command())
}

fn report_command() -> clap::Command {
    clap::Command::new("report")
        .about("Print what the machine is made of and how it is doing")
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(["text", "json", "prometheus"])
                .default_value("text")
                .help(
                    "text for people, json (schema_version 1), or prometheus \
                     (text exposition format)",
                ),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .conflicts_with("format")
                .help("Print JSON (schema_version 1) instead of text; same as --format json"),
        )
        .arg(
            Arg::new("textfile")
                .long("textfile")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .conflicts_with_all(["format", "json"])
                .help(
                    "Write the Prometheus metrics to DIR/diag_tool.prom atomically, for \
                     node_exporter's textfile collector, and print nothing",
                ),
        )
}

fn check_command() -> clap::Command {
    clap::Command::new("check")
        .about("Run health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
        .arg(count(
            "ecc-corrected-warn",
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
        .arg(percent("swap-warn", "80", "Warn when this percentage of swap is in use"))
        .arg(percent("swap-crit", "95", "Critical when this percentage of swap is in use"))
        .arg(flag(
            "link-down-critical",
            "Report a configured physical link that is down as CRITICAL instead of WARNING",
        ))
        .arg(count(
            "aer-correctable-warn",
            "10",
            "Warn when one PCIe device has logged this many correctable AER errors",
        ))
        .arg(flag(
            "pcie-link-critical",
            "Report a PCIe link trained below its capability as CRITICAL instead of WARNING",
        ))
        .arg(count(
            "throttle-warn",
            "100",
            "Warn when a CPU package or one of its CPUs was thermally throttled this many times",
        ))
        .arg(
            Arg::new("fan-min-rpm")
                .long("fan-min-rpm")
                .value_name("RPM")
                .default_value("0")
                .value_parser(value_parser!(u64))
                .help(
                    "Critical when a fan turns slower than this (0: only stopped, \
                     alarmed or below the chip's own minimum)",
                ),
        )
        .arg(
            Arg::new("taint-warn")
                .long("taint-warn")
                .value_name("LETTERS")
                .default_value("MB")
                .help(
                    "Warn when the kernel carries one of these taint letters \
                     (M machine check, B bad page; add D for oopses)",
                ),
        )
}

fn count(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("COUNT")
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

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).action(ArgAction::SetTrue).help(help)
}

impl Cli {
    /// Reads the matches of [`command`]; every value has a default, so nothing is missing.
    pub fn from_matches(matches: &ArgMatches) -> Cli {
        let root =
            matches.get_one::<PathBuf>("root").cloned().unwrap_or_else(|| PathBuf::from("/"));
        let command = match matches.subcommand() {
            Some(("check", m)) => Command::Check(thresholds(m)),
            Some(("report", m)) => {
                let format = match m.get_one::<String>("format").map(String::as_str) {
                    _ if m.get_flag("json") => Format::Json,
                    Some("json") => Format::Json,
                    Some("prometheus") => Format::Prometheus,
                    _ => Format::Text,
                };
                Command::Report { format, textfile: m.get_one::<PathBuf>("textfile").cloned() }
            }
            // subcommand_required(true) makes clap reject anything else before this point.
            _ => unreachable!("clap requires a subcommand"),
        };
        Cli { root, command }
    }
}

fn thresholds(m: &ArgMatches) -> Thresholds {
    let d = Thresholds::default();
    let count = |name: &str, default: u64| m.get_one::<u64>(name).copied().unwrap_or(default);
    let pct = |name: &str, default: u8| m.get_one::<u8>(name).copied().unwrap_or(default);
    Thresholds {
        ecc_corrected_warn: count("ecc-corrected-warn", d.ecc_corrected_warn),
        temp_margin_celsius: m
            .get_one::<u32>("temp-margin")
            .copied()
            .unwrap_or(d.temp_margin_celsius),
        mem_available_warn: pct("mem-warn", d.mem_available_warn),
        mem_available_crit: pct("mem-crit", d.mem_available_crit),
        swap_used_warn: pct("swap-warn", d.swap_used_warn),
        swap_used_crit: pct("swap-crit", d.swap_used_crit),
        link_down_critical: m.get_flag("link-down-critical"),
        aer_correctable_warn: count("aer-correctable-warn", d.aer_correctable_warn),
        pcie_link_critical: m.get_flag("pcie-link-critical"),
        throttle_warn: count("throttle-warn", d.throttle_warn),
        fan_min_rpm: count("fan-min-rpm", d.fan_min_rpm),
        taint_warn: m.get_one::<String>("taint-warn").cloned().unwrap_or(d.taint_warn),
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
    fn json_is_an_alias_of_format_json_and_textfile_implies_prometheus() {
        let report = |args: &[&str]| {
            let mut argv = vec!["diag_tool", "report"];
            argv.extend(args);
            parse(&argv).command
        };
        let json = Command::Report { format: Format::Json, textfile: None };
        assert_eq!(report(&["--json"]), json);
        assert_eq!(report(&["--format", "json"]), json);
        assert!(matches!(
            report(&["--textfile", "/tmp"]),
            Command::Report { textfile: Some(_), .. }
        ));
        assert!(
            command()
                .try_get_matches_from(["diag_tool", "report", "--json", "--format", "text"])
                .is_err()
        );
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
        let Command::Check(t) = cli.command else { panic!("expected check") };
        assert_eq!((t.mem_available_warn, t.link_down_critical), (20, true));
        assert_eq!(cli.root, PathBuf::from("/host"));
    }
}
