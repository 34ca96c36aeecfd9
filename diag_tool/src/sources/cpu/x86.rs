//! x86 `/proc/cpuinfo` (`arch/x86/kernel/cpu/proc.c`): a stanza per CPU with `vendor_id`,
//! `model name`, `physical id`, `core id` and `flags`.

use std::collections::BTreeSet;

use super::cpuinfo::{CpuInfo, Stanzas};
use super::topology::TopologySummary;

pub(super) fn parse(stanzas: &Stanzas, flags: &BTreeSet<&str>, info: &mut CpuInfo) {
    for b in stanzas.blocks.iter().filter(|b| b.processors > 0) {
        if info.vendor.is_none() {
            info.vendor = b.get("vendor_id").map(str::to_string);
        }
        if let Some(name) = b.get("model name").filter(|n| !n.is_empty()) {
            info.add_model(name.to_string(), b.processors);
        }
        let id = |key: &str| b.get(key).and_then(|v| v.parse().ok());
        info.x86_ids.push((id("physical id"), id("core id")));
    }
    let long_mode = flags.contains("lm");
    info.architecture = Some(if long_mode { "x86_64" } else { "x86" }.to_string());
}

/// Topology from x86 cpuinfo ids, for trees that have `/proc` but no sysfs topology.
pub(super) fn summarize_ids(ids: &[(Option<u32>, Option<u32>)]) -> TopologySummary {
    let packages: BTreeSet<u32> = ids.iter().filter_map(|(p, _)| *p).collect();
    let cores: BTreeSet<(u32, u32)> =
        ids.iter().filter_map(|(p, c)| Some(((*p)?, (*c)?))).collect();
    let mut summary = TopologySummary::default();
    if !packages.is_empty() {
        summary.sockets = Some(packages.len() as u32);
    }
    if !cores.is_empty() {
        summary.cores = Some(cores.len() as u32);
        let listed = ids.len() as u32;
        if listed % cores.len() as u32 == 0 {
            summary.threads_per_core = Some(listed / cores.len() as u32);
        }
    }
    summary
}
