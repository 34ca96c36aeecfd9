//! SPARC `/proc/cpuinfo` (`arch/sparc/kernel/cpu.c`, `setup_64.c`): one stanza with `cpu`,
//! `type`, `ncpus active` and `cpucaps`, and no `processor` lines.

use super::cpuinfo::{CpuInfo, Stanzas, notable};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    info.processors = stanzas.any("ncpus active").and_then(|n| n.parse().ok()).unwrap_or(0);
    if let Some(name) = stanzas.any("cpu").filter(|n| !n.is_empty()) {
        info.add_model(name.to_string(), info.processors.max(1));
    }
    if let Some(caps) = stanzas.any("cpucaps") {
        info.features = notable(&caps.split(',').map(str::trim).collect());
    }
    let architecture = match stanzas.any("type") {
        Some("sun4m" | "sun4d" | "sun4c") => "sparc",
        _ => "sparc64",
    };
    info.architecture = Some(architecture.to_string());
}
