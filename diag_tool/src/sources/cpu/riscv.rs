//! RISC-V `/proc/cpuinfo` (`arch/riscv/kernel/cpu.c`): `processor`, `hart`, `isa`, `mmu`,
//! `uarch` (newer kernels) and `mvendorid` per CPU.

use super::cpuinfo::{CpuInfo, Stanzas, parse_hex};

pub(super) fn parse(stanzas: &Stanzas, info: &mut CpuInfo) {
    info.add_per_cpu_models(
        stanzas,
        |b| {
            b.get("mvendorid")
                .and_then(|id| parse_hex(id).ok())
                .and_then(vendor_name)
                .map(str::to_string)
        },
        |b| b.get("uarch").map(str::to_string),
    );
    let architecture = match stanzas.any("isa") {
        Some(isa) if isa.starts_with("rv32") => "riscv32",
        _ => "riscv64",
    };
    info.architecture = Some(architecture.to_string());
}

/// JEDEC vendor ids in the RISC-V `mvendorid` CSR of common server and board chips.
fn vendor_name(id: u32) -> Option<&'static str> {
    match id {
        0x489 => Some("SiFive"),
        0x5b7 => Some("T-Head"),
        0x31e => Some("Andes"),
        0x710 => Some("SpacemiT"),
        _ => None,
    }
}
