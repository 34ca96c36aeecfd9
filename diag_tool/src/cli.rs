//! The command-line definition; completions and the man page are generated from [`command`].

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::check::Thresholds;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Hardware diagnostics for Linux servers: CPU, memory, ECC, temperatures, disks, NICs, PCI, DMI",
    long_about = "Hardware diagnostics for Linux servers: CPU, memory, ECC, temperatures, disks, NICs, PCI, DMI.\n\nEverything is read from /proc and /sys below --root, so a container can inspect its host with --root /host."
)]
pub struct Cli {
    /// Directory holding the proc/, sys/ and etc/ trees to inspect
    #[arg(long, global = true, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what the machine is made of and how it is doing
    Report {
        /// Print JSON (schema_version 1) instead of text
        #[arg(long)]
        json: bool,
    },
    /// Run health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Warn when one memory controller has this many corrected ECC errors
    #[arg(long, value_name = "COUNT", default_value_t = 100)]
    pub ecc_corrected_warn: u64,

    /// Warn when a temperature is within this many degrees Celsius of its critical point
    #[arg(long, value_name = "CELSIUS", default_value_t = 5)]
    pub temp_margin: u32,

    /// Warn when available memory is below this percentage of the total
    #[arg(long, value_name = "PERCENT", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub mem_warn: u8,

    /// Critical when available memory is below this percentage of the total
    #[arg(long, value_name = "PERCENT", default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub mem_crit: u8,

    /// Warn when this percentage of swap is in use
    #[arg(long, value_name = "PERCENT", default_value_t = 80, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub swap_warn: u8,

    /// Critical when this percentage of swap is in use
    #[arg(long, value_name = "PERCENT", default_value_t = 95, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub swap_crit: u8,

    /// Report a configured physical link that is down as CRITICAL instead of WARNING
    #[arg(long)]
    pub link_down_critical: bool,
}

impl CheckArgs {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            ecc_corrected_warn: self.ecc_corrected_warn,
            temp_margin_celsius: self.temp_margin,
            mem_available_warn: self.mem_warn,
            mem_available_crit: self.mem_crit,
            swap_used_warn: self.swap_warn,
            swap_used_crit: self.swap_crit,
            link_down_critical: self.link_down_critical,
        }
    }
}

/// The full clap definition of the `diag_tool` command line.
pub fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn check_defaults_match_the_documented_thresholds() {
        let cli = Cli::parse_from(["diag_tool", "check"]);
        let Command::Check(args) = cli.command else {
            panic!("expected check")
        };
        assert_eq!(args.thresholds(), Thresholds::default());
        assert_eq!(cli.root, PathBuf::from("/"));
    }
}
