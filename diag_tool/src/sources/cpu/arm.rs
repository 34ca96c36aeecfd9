//! Arm `/proc/cpuinfo` (`arch/arm64/kernel/cpuinfo.c`, `arch/arm/kernel/setup.c`): `CPU
//! implementer` and `CPU part` per CPU, or (old 32-bit and arm64 kernels) once in a stanza
//! after the `processor` lines; decoded to names with [`arm_ids`](super::arm_ids).

use super::arm_ids;
use super::cpuinfo::{CpuInfo, Stanza, Stanzas, parse_hex};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    // Old 32-bit Arm kernels print the `processor` stanzas first and the ids once after them.
    let mut processors_without_ids = 0;
    for b in &stanzas.blocks {
        if b.get("CPU implementer").is_none() {
            processors_without_ids += b.processors;
            continue;
        }
        let cpus = match b.processors {
            0 => std::mem::take(&mut processors_without_ids).max(1),
            n => n,
        };
        if let Some(name) = model(b, info) {
            info.add_model(name, cpus);
        }
    }
    // arm64 kernels print 8 (or "AArch64" on old ones); 32-bit kernels print 7 and below.
    let asimd =
        stanzas.blocks.iter().any(|b| b.get("Features").is_some_and(|f| f.contains("asimd")));
    let architecture = match stanzas.any("CPU architecture") {
        Some("8") | Some("AArch64") => "aarch64",
        Some(_) if asimd => "aarch64",
        _ => "arm",
    };
    info.architecture = Some(architecture.to_string());
}

/// The model one stanza's ids name; the first implementer seen is the vendor.
fn model(b: &Stanza, info: &mut CpuInfo) -> Option<String> {
    let implementer = match parse_hex(b.get("CPU implementer")?) {
        Ok(v) => v,
        Err(e) => {
            info.problems.push(format!("CPU implementer: {e}"));
            return None;
        }
    };
    let vendor = arm_ids::implementer_name(implementer)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{implementer:#04x}"));
    if info.vendor.is_none() {
        info.vendor = Some(vendor.clone());
    }
    match b.get("CPU part").map(parse_hex)? {
        Ok(part) => Some(match arm_ids::part_name(implementer, part) {
            Some(name) => name.to_string(),
            None => format!("{vendor} part {part:#05x}"),
        }),
        Err(e) => {
            info.problems.push(format!("CPU part: {e}"));
            None
        }
    }
}
