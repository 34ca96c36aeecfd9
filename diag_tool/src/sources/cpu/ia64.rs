//! Itanium `/proc/cpuinfo` (`arch/ia64/kernel/setup.c`, removed in Linux 6.7): `processor`,
//! `vendor`, `arch : IA-64`, `model name`.

use super::cpuinfo::{CpuInfo, Stanzas};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    info.add_per_cpu_models(
        stanzas,
        |b| b.get("vendor").map(str::to_string),
        |b| b.get("model name").map(str::to_string),
    );
    info.architecture = Some("ia64".to_string());
}
