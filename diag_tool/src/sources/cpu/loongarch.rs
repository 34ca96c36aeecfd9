//! LoongArch `/proc/cpuinfo` (`arch/loongarch/kernel/proc.c`): `system type`, then per CPU
//! `CPU Family`, `Model Name`, `ISA`.

use super::cpuinfo::{CpuInfo, Stanzas};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    info.add_per_cpu_models(
        stanzas,
        |_| Some("Loongson".to_string()),
        |b| b.get("Model Name").map(str::to_string),
    );
    info.architecture = Some("loongarch64".to_string());
}
