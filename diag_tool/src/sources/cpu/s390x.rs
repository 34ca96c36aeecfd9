//! IBM Z `/proc/cpuinfo` (`arch/s390/kernel/processor.c`): a summary (`vendor_id :
//! IBM/S390`, `# processors`, `features`), `processor N: version = .., identification = ..,
//! machine = ..` lines, and on newer kernels a `cpu number` stanza per CPU.

use std::collections::BTreeSet;

use super::cpuinfo::{CpuInfo, Stanzas};

pub(super) fn parse(stanzas: &Stanzas, flags: &BTreeSet<&str>, info: &mut CpuInfo) {
    info.processors = stanzas
        .any("# processors")
        .and_then(|n| n.parse().ok())
        .unwrap_or(stanzas.s390_processor_lines);
    info.vendor = stanzas.any("vendor_id").map(str::to_string);
    // Every CPU of one machine has the same machine type; the first line names it.
    let machine = stanzas
        .blocks
        .iter()
        .flat_map(|b| &b.fields)
        .filter(|(k, _)| k.starts_with("processor "))
        .find_map(|(_, v)| v.split("machine =").nth(1))
        .map(|m| m.trim().trim_end_matches(',').trim())
        .or_else(|| stanzas.any("machine"));
    if let Some(machine) = machine.filter(|m| !m.is_empty()) {
        let name = match machine_name(machine) {
            Some(name) => format!("IBM {name} type {machine}"),
            None => format!("IBM machine type {machine}"),
        };
        info.add_model(name, info.processors.max(1));
    }
    // 31-bit kernels went away in 4.1; `zarch` is the 64-bit z/Architecture.
    let architecture = if flags.contains("zarch") { "s390x" } else { "s390" };
    info.architecture = Some(architecture.to_string());
}

/// IBM Z machine types as `lscpu` and IBM name them (the `machine =` field).
fn machine_name(machine: &str) -> Option<&'static str> {
    const MACHINES: &[(&str, &str)] = &[
        ("2064", "z900"),
        ("2066", "z800"),
        ("2084", "z990"),
        ("2086", "z890"),
        ("2094", "z9 EC"),
        ("2096", "z9 BC"),
        ("2097", "z10 EC"),
        ("2098", "z10 BC"),
        ("2817", "z196"),
        ("2818", "z114"),
        ("2827", "zEC12"),
        ("2828", "zBC12"),
        ("2964", "z13"),
        ("2965", "z13s"),
        ("3906", "z14"),
        ("3907", "z14 ZR1"),
        ("8561", "z15 T01"),
        ("8562", "z15 T02"),
        ("3931", "z16 A01"),
        ("3932", "z16 A02"),
        ("9175", "z17 ME1"),
    ];
    MACHINES.iter().find(|(t, _)| *t == machine).map(|(_, n)| *n)
}
