//! POWER `/proc/cpuinfo` (`arch/powerpc/kernel/setup-common.c`): `processor`, `cpu`, `clock`,
//! `revision` per CPU, then `timebase`, `platform`, `model`, `machine`.

use super::cpuinfo::{CpuInfo, Stanzas};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    info.add_per_cpu_models(
        stanzas,
        // IBM designs every POWER chip; other powerpc makers print other names.
        |b| b.get("cpu").filter(|m| m.starts_with("POWER")).map(|_| "IBM".to_string()),
        |b| b.get("cpu").map(str::to_string),
    );
    // cpuinfo does not say whether a POWER kernel is big- or little-endian:
    // `proc/sys/kernel/arch` does, and [`read`](super::read) prefers it.
    info.architecture = Some("powerpc".to_string());
}
