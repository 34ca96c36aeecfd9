//! Every text parser by number: what the `diag_parsers` fuzz target in `fuzz/` drives with
//! arbitrary input, and what the stable tests replay its corpus through. Parsers take the
//! text of one kernel file and must never panic, whatever it holds.

use crate::root;
use crate::sources::{
    block, cpu, dmi, edac, fan, host, md, memory, net, pci, taint, thermal, throttle,
};

/// A parser by the name corpus files carry, and a call of it that drops what it returns.
pub type Parser = (&'static str, fn(&str));

/// Each parser; the input's first byte picks one.
pub const PARSERS: &[Parser] = &[
    ("cpuinfo", |t| drop(cpu::parse_cpuinfo(t))),
    ("cpu_list", |t| drop(cpu::parse_cpu_list(t))),
    ("cpu_mask", |t| drop(cpu::parse_cpu_mask(t))),
    ("meminfo", |t| drop(memory::parse_meminfo(t))),
    ("loadavg", |t| drop(host::parse_loadavg(t))),
    ("uptime", |t| drop(host::parse_uptime(t))),
    ("os_release", |t| drop(host::parse_os_release(t))),
    ("edac_count", |t| drop(edac::parse_count(t))),
    ("millicelsius", |t| drop(thermal::parse_millicelsius(t))),
    ("block_size", |t| drop(block::parse_size(t))),
    ("block_flag", |t| drop(root::parse_flag(t))),
    ("net_speed", |t| drop(net::parse_speed(t))),
    ("admin_up", |t| drop(net::parse_admin_up(t))),
    ("pci_id4", |t| drop(pci::parse_id(t, 4))),
    ("pci_id6", |t| drop(pci::parse_id(t, 6))),
    ("dmi_string", |t| drop(dmi::parse_string(t))),
    ("aer_stats", |t| drop(pci::parse_aer_stats(t))),
    ("link_speed", |t| drop(pci::parse_link_speed(t))),
    ("link_width", |t| drop(pci::parse_link_width(t))),
    ("mdstat", |t| drop(md::parse_mdstat(t))),
    ("tainted", |t| drop(taint::parse_tainted(t))),
    ("fan_rpm", |t| drop(fan::parse_rpm(t))),
    ("throttle_count", |t| drop(throttle::parse_throttle_count(t))),
];

/// Runs the parser `input[0]` picks on the rest, decoded as the readers decode files.
pub fn parse_any(input: &[u8]) {
    let Some((&which, rest)) = input.split_first() else {
        return;
    };
    let (_, parse) = PARSERS[usize::from(which) % PARSERS.len()];
    parse(&String::from_utf8_lossy(rest));
}
