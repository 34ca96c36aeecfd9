//! `/proc/cpuinfo`: split into stanzas, the layout told apart, and each layout read by the
//! file named after its architecture.

use std::collections::BTreeSet;

use super::{CpuModel, arm, ia64, loongarch, powerpc, riscv, s390x, sparc, x86};
use crate::root::quote;

/// What `/proc/cpuinfo` alone says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuInfo {
    pub architecture: Option<String>,
    pub vendor: Option<String>,
    pub models: Vec<CpuModel>,
    pub processors: u32,
    /// Notable features shared by all processors.
    pub features: Vec<String>,
    /// x86 only: `(physical id, core id)` per processor, for trees without sysfs topology.
    pub x86_ids: Vec<(Option<u32>, Option<u32>)>,
    pub problems: Vec<String>,
}

/// The layout a kernel writes `/proc/cpuinfo` in: each architecture has its own
/// `show_cpuinfo` (`arch/*/kernel/{cpu,setup,proc,processor}.c` in the kernel source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `arch/x86/kernel/cpu/proc.c`: a stanza per CPU with `vendor_id`, `model name`, `flags`.
    X86,
    /// `arch/arm64/kernel/cpuinfo.c` and `arch/arm/kernel/setup.c`: `CPU implementer`/`CPU part`,
    /// per CPU, or (old 32-bit and arm64 kernels) once in a stanza after the `processor` lines.
    Arm,
    /// `arch/s390/kernel/processor.c`: a summary (`vendor_id : IBM/S390`, `# processors`,
    /// `features`), `processor N: version = .., identification = .., machine = ..` lines, and on
    /// newer kernels a `cpu number` stanza per CPU.
    S390,
    /// `arch/powerpc/kernel/setup-common.c`: `processor`/`cpu`/`clock`/`revision` per CPU,
    /// then `timebase`, `platform`, `model`, `machine`.
    PowerPc,
    /// `arch/riscv/kernel/cpu.c`: `processor`, `hart`, `isa`, `mmu`, `uarch`, `mvendorid`.
    RiscV,
    /// `arch/loongarch/kernel/proc.c`: `system type`, then per CPU `CPU Family`, `Model Name`, `ISA`.
    LoongArch,
    /// `arch/sparc/kernel/cpu.c` and `setup_64.c`: one stanza, `cpu`, `type`, `ncpus active`,
    /// no `processor` lines.
    Sparc,
    /// `arch/ia64/kernel/setup.c` (removed in 6.7): `processor`, `vendor`, `arch : IA-64`.
    Ia64,
}

/// One blank-line separated stanza of cpuinfo.
#[derive(Default)]
pub(super) struct Stanza<'a> {
    /// `processor` lines in it.
    pub processors: u32,
    pub fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Stanza<'a> {
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// The whole file, cut into stanzas of `key : value` fields.
pub(super) struct Stanzas<'a> {
    pub blocks: Vec<Stanza<'a>>,
    /// s390's `processor N: version = ..` lines.
    pub s390_processor_lines: u32,
}

impl<'a> Stanzas<'a> {
    fn split(text: &'a str) -> Stanzas<'a> {
        let mut blocks = Vec::new();
        let mut block = Stanza::default();
        let mut s390_processor_lines = 0;
        for line in text.lines() {
            if line.trim().is_empty() {
                if !block.fields.is_empty() {
                    blocks.push(std::mem::take(&mut block));
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if key == "processor" {
                // x86 and current arm64 start a stanza per CPU; old arm64 kernels list
                // every `processor` line in one stanza that ends with the shared ids.
                block.processors += 1;
            } else if key
                .strip_prefix("processor ")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
            {
                s390_processor_lines += 1;
            }
            block.fields.push((key, value));
        }
        if !block.fields.is_empty() {
            blocks.push(block);
        }
        Stanzas { blocks, s390_processor_lines }
    }

    /// The first value of `key` in any stanza.
    pub fn any(&self, key: &str) -> Option<&'a str> {
        self.blocks.iter().find_map(|b| b.get(key))
    }

    /// The flags every stanza that lists flags has (`flags`, `Features` or `features`).
    fn shared_flags(&self) -> Option<BTreeSet<&'a str>> {
        let mut shared: Option<BTreeSet<&str>> = None;
        for b in &self.blocks {
            let flags = b.get("flags").or_else(|| b.get("Features")).or_else(|| b.get("features"));
            if let Some(flags) = flags {
                let these: BTreeSet<&str> = flags.split_whitespace().collect();
                shared = Some(match shared {
                    None => these,
                    Some(prev) => prev.intersection(&these).copied().collect(),
                });
            }
        }
        shared
    }
}

/// Tells the layout from keys only one architecture's kernel writes; checked in an order
/// where a later rule never matches an earlier layout (s390 also writes `vendor_id`).
fn detect_layout(s: &Stanzas) -> Option<Layout> {
    let any = |key: &str| s.any(key);
    let has = |key: &str| s.any(key).is_some();
    if any("vendor_id").is_some_and(|v| v.starts_with("IBM/S390")) || has("# processors") {
        Some(Layout::S390)
    } else if has("ncpus active") || has("cpucaps") {
        Some(Layout::Sparc)
    } else if any("arch") == Some("IA-64") {
        Some(Layout::Ia64)
    } else if has("CPU Family") && any("ISA").is_some_and(|i| i.contains("loongarch")) {
        Some(Layout::LoongArch)
    } else if has("hart") || any("isa").is_some_and(|i| i.starts_with("rv")) {
        Some(Layout::RiscV)
    } else if has("CPU implementer") {
        Some(Layout::Arm)
    } else if has("vendor_id") || has("flags") {
        Some(Layout::X86)
    } else if has("cpu") && (has("timebase") || any("revision").is_some_and(|r| r.contains("pvr")))
    {
        Some(Layout::PowerPc)
    } else {
        None
    }
}

pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let stanzas = Stanzas::split(text);
    let layout = detect_layout(&stanzas);
    let flags = stanzas.shared_flags().unwrap_or_default();
    let mut info = CpuInfo {
        processors: stanzas.blocks.iter().map(|b| b.processors).sum(),
        features: notable(&flags),
        ..CpuInfo::default()
    };
    match layout {
        Some(Layout::X86) => x86::parse(&stanzas, &flags, &mut info),
        Some(Layout::Arm) => arm::parse(&stanzas, &mut info),
        Some(Layout::S390) => s390x::parse(&stanzas, &flags, &mut info),
        Some(Layout::PowerPc) => powerpc::parse(&stanzas, &mut info),
        Some(Layout::RiscV) => riscv::parse(&stanzas, &mut info),
        Some(Layout::LoongArch) => loongarch::parse(&stanzas, &mut info),
        Some(Layout::Sparc) => sparc::parse(&stanzas, &mut info),
        Some(Layout::Ia64) => ia64::parse(&stanzas, &mut info),
        None => {}
    }
    if info.processors == 0 && !text.trim().is_empty() {
        info.problems.push("no processor entries".to_string());
    } else if layout.is_none() && !text.trim().is_empty() {
        info.problems.push("layout of no known architecture: architecture unknown".to_string());
    }
    info
}

impl CpuInfo {
    /// Counts `cpus` more CPUs of the model `name`, a new one listed after those seen before.
    pub(super) fn add_model(&mut self, name: String, cpus: u32) {
        match self.models.iter_mut().find(|m| m.name == name) {
            Some(m) => m.cpus += cpus,
            None => self.models.push(CpuModel { name, cpus }),
        }
    }

    /// The model (and, if none is known yet, the vendor) of each stanza that is one CPU,
    /// for the layouts that print a stanza per CPU.
    pub(super) fn add_per_cpu_models(
        &mut self,
        stanzas: &Stanzas,
        vendor: impl Fn(&Stanza) -> Option<String>,
        model: impl Fn(&Stanza) -> Option<String>,
    ) {
        for b in stanzas.blocks.iter().filter(|b| b.processors > 0) {
            if self.vendor.is_none() {
                self.vendor = vendor(b);
            }
            if let Some(name) = model(b).filter(|n| !n.is_empty()) {
                self.add_model(name, b.processors);
            }
        }
    }
}

/// Flags worth a line in a fleet report; kept in this order.
const NOTABLE_FEATURES: &[&str] = &[
    // x86
    "hypervisor",
    "aes",
    "pclmulqdq",
    "rdrand",
    "avx",
    "avx2",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "vaes",
    "sha_ni",
    // Arm
    "asimd",
    "pmull",
    "sha1",
    "sha2",
    "sha3",
    "sha512",
    "crc32",
    "atomics",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
    // s390
    "vx",
    "vxe2",
    "nnpa",
    "dflt",
    "sie",
    // LoongArch
    "lsx",
    "lasx",
];

/// The notable features among `flags`, in [`NOTABLE_FEATURES`] order.
pub(super) fn notable(flags: &BTreeSet<&str>) -> Vec<String> {
    NOTABLE_FEATURES.iter().filter(|f| flags.contains(**f)).map(|f| f.to_string()).collect()
}

pub(super) fn parse_hex(value: &str) -> Result<u32, String> {
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .ok_or_else(|| format!("expected a hex number, found {}", quote(value)))?;
    u32::from_str_radix(digits, 16)
        .map_err(|_| format!("expected a hex number, found {}", quote(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::cpu::CpuModel;
    use crate::sources::cpu::x86::summarize_ids;

    const X86: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu vme lm aes avx avx2 avx512f sha_ni\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\nphysical id\t: 1\ncore id\t\t: 0\nflags\t\t: fpu vme lm aes avx avx2 sha_ni\n\n";

    const ARM64: &str = "processor\t: 0\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\nCPU revision\t: 1\n\nprocessor\t: 1\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\nCPU revision\t: 1\n\n";

    #[test]
    fn x86_model_vendor_and_shared_features_come_from_cpuinfo() {
        let info = parse_cpuinfo(X86);
        assert_eq!(info.architecture.as_deref(), Some("x86_64"));
        assert_eq!(info.vendor.as_deref(), Some("GenuineIntel"));
        assert_eq!(
            info.models,
            [CpuModel { name: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz".into(), cpus: 2 }]
        );
        // avx512f is missing on one CPU, so it is not reported.
        assert_eq!(info.features, ["aes", "avx", "avx2", "sha_ni"]);
        assert_eq!(summarize_ids(&info.x86_ids).sockets, Some(2));
    }

    #[test]
    fn arm_implementer_and_part_are_decoded_to_names() {
        let info = parse_cpuinfo(ARM64);
        assert_eq!(info.architecture.as_deref(), Some("aarch64"));
        assert_eq!(info.vendor.as_deref(), Some("ARM"));
        assert_eq!(info.models, [CpuModel { name: "Neoverse-V1".into(), cpus: 2 }]);
        assert_eq!(
            info.features,
            ["aes", "asimd", "pmull", "sha1", "sha2", "crc32", "atomics", "sve"]
        );
    }

    #[test]
    fn hybrid_arm_chips_report_every_core_type() {
        let text = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd46\n\nprocessor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd46\n\nprocessor\t: 2\nCPU implementer\t: 0x41\nCPU part\t: 0xd4e\n\n";
        let info = parse_cpuinfo(text);
        assert_eq!(
            info.models,
            [
                CpuModel { name: "Cortex-A510".into(), cpus: 2 },
                CpuModel { name: "Cortex-X3".into(), cpus: 1 }
            ]
        );
    }

    #[test]
    fn old_arm64_layout_with_one_stanza_counts_every_processor() {
        let text = "Processor\t: AArch64 Processor rev 0 (aarch64)\nprocessor\t: 0\nprocessor\t: 1\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU architecture: AArch64\nCPU variant\t: 0x0\nCPU part\t: 0xd03\nCPU revision\t: 0\n\nHardware\t: foo\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.processors, 2);
        assert_eq!(info.architecture.as_deref(), Some("aarch64"));
        assert_eq!(info.models, [CpuModel { name: "Cortex-A53".into(), cpus: 2 }]);
    }

    #[test]
    fn s390_layout_is_ibm_z_with_its_machine_type_not_x86() {
        // arch/s390/kernel/processor.c: summary, `processor N:` lines, per-CPU stanzas.
        let text = "vendor_id       : IBM/S390\n# processors    : 2\nbogomips per cpu: 3241.00\nmax thread id   : 0\nfeatures\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx vxd vxe gs vxe2 vxp sort dflt sie \nprocessor 0: version = 00,  identification = 0B8E28,  machine = 8561\nprocessor 1: version = 00,  identification = 0B8E28,  machine = 8561\n\ncpu number      : 0\nphysical id     : 1\ncore id         : 0\nmachine         : 8561\n\ncpu number      : 1\nphysical id     : 1\ncore id         : 1\nmachine         : 8561\n";
        let info = parse_cpuinfo(text);
        assert!(info.problems.is_empty(), "{:?}", info.problems);
        assert_eq!(info.architecture.as_deref(), Some("s390x"));
        assert_eq!(info.vendor.as_deref(), Some("IBM/S390"));
        assert_eq!(info.processors, 2);
        assert_eq!(info.models, [CpuModel { name: "IBM z15 T01 type 8561".into(), cpus: 2 }]);
        assert_eq!(info.features, ["vx", "vxe2", "dflt", "sie"]);
    }

    #[test]
    fn old_s390_kernels_without_cpu_stanzas_still_count_processors() {
        let text = "vendor_id       : IBM/S390\n# processors    : 4\nbogomips per cpu: 20325.00\nfeatures\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx sie \nprocessor 0: version = FF,  identification = FFFFFF,  machine = 2964\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.processors, 4);
        assert_eq!(info.models[0].name, "IBM z13 type 2964");
    }

    #[test]
    fn powerpc_layout_names_the_power_model() {
        // arch/powerpc/kernel/setup-common.c.
        let text = "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 0202)\n\nprocessor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 0202)\n\ntimebase\t: 512000000\nplatform\t: pSeries\nmodel\t\t: IBM,9009-42A\nmachine\t\t: CHRP IBM,9009-42A\nMMU\t\t: Radix\n";
        let info = parse_cpuinfo(text);
        assert!(info.problems.is_empty(), "{:?}", info.problems);
        assert_eq!(info.architecture.as_deref(), Some("powerpc"));
        assert_eq!(info.vendor.as_deref(), Some("IBM"));
        assert_eq!(info.models[0].name, "POWER9 (architected), altivec supported");
        assert_eq!(info.models[0].cpus, 2);
    }

    #[test]
    fn riscv_layout_gives_the_uarch_and_the_vendor_id() {
        // arch/riscv/kernel/cpu.c.
        let text = "processor\t: 0\nhart\t\t: 1\nisa\t\t: rv64imafdc_zicntr_zicsr_zifencei_zihpm\nmmu\t\t: sv39\nuarch\t\t: sifive,u74-mc\nmvendorid\t: 0x489\nmarchid\t\t: 0x8000000000000007\nmimpid\t\t: 0x20181004\n\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.architecture.as_deref(), Some("riscv64"));
        assert_eq!(info.vendor.as_deref(), Some("SiFive"));
        assert_eq!(info.models[0].name, "sifive,u74-mc");
        // Without uarch (older kernels) there is no model name, and that is no problem.
        let info =
            parse_cpuinfo("processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdcv\nmmu\t\t: sv48\n\n");
        assert_eq!((info.architecture.as_deref(), info.processors), (Some("riscv64"), 1));
        assert!(info.models.is_empty() && info.problems.is_empty());
    }

    #[test]
    fn loongarch_sparc_and_ia64_layouts_are_told_apart() {
        // arch/loongarch/kernel/proc.c.
        let loongarch = "system type\t\t: generic-loongson-machine\n\nprocessor\t\t: 0\npackage\t\t\t: 0\ncore\t\t\t: 0\nglobal_id\t\t: 0\nCPU Family\t\t: Loongson-64bit\nModel Name\t\t: Loongson-3A5000\nCPU Revision\t\t: 0x10\nISA\t\t\t: loongarch32 loongarch64\nFeatures\t\t: cpucfg lam ual fpu lsx lasx complex crypto lvz\n\n";
        let info = parse_cpuinfo(loongarch);
        assert_eq!(info.architecture.as_deref(), Some("loongarch64"));
        assert_eq!(info.models[0].name, "Loongson-3A5000");
        assert_eq!(info.features, ["lsx", "lasx"]);
        // arch/sparc/kernel/cpu.c and setup_64.c: no `processor` lines at all.
        let sparc = "cpu\t\t: UltraSparc T2 (Niagara2)\nfpu\t\t: UltraSparc T2 integrated FPU\npmu\t\t: niagara2\nprom\t\t: OBP 4.30.4.d 2011/07/06 14:29\ntype\t\t: sun4v\nncpus probed\t: 64\nncpus active\t: 64\nD$ parity tl1\t: 0\nI$ parity tl1\t: 0\ncpucaps\t\t: flush,stbar,swap,muldiv,v9,blkinit,n2,mul32,div32,v8plus,popc,vis,vis2,ASIBlkInit\n";
        let info = parse_cpuinfo(sparc);
        assert!(info.problems.is_empty(), "{:?}", info.problems);
        assert_eq!(info.architecture.as_deref(), Some("sparc64"));
        assert_eq!((info.processors, info.models[0].cpus), (64, 64));
        // arch/ia64/kernel/setup.c.
        let ia64 = "processor  : 0\nvendor     : GenuineIntel\narch       : IA-64\nfamily     : 32\nmodel      : 1\nmodel name : Dual-Core Intel(R) Itanium(R) 2 Processor 9140M\nfeatures   : branchlong, 16-byte atomic ops\n\n";
        let info = parse_cpuinfo(ia64);
        assert_eq!(info.architecture.as_deref(), Some("ia64"));
        assert_eq!(info.vendor.as_deref(), Some("GenuineIntel"));
        assert_eq!(info.models[0].name, "Dual-Core Intel(R) Itanium(R) 2 Processor 9140M");
    }

    #[test]
    fn old_32_bit_arm_layout_with_trailing_ids_counts_every_cpu() {
        // arch/arm/kernel/setup.c before 3.8: `processor` stanzas, then the ids once.
        let text = "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 790.52\n\nprocessor\t: 1\nBogoMIPS\t: 790.52\n\nFeatures\t: swp half thumb fastmult vfp edsp neon vfpv3 tls\nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x2\nCPU part\t: 0xc09\nCPU revision\t: 10\n\nHardware\t: Freescale i.MX 6Quad SABRE Smart Device Board\nRevision\t: 63012\nSerial\t\t: 0000000000000000\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.architecture.as_deref(), Some("arm"));
        assert_eq!(info.models, [CpuModel { name: "Cortex-A9".into(), cpus: 2 }]);
    }

    #[test]
    fn new_32_bit_arm_layout_has_ids_in_every_stanza() {
        let stanza = |n| {
            format!(
                "processor\t: {n}\nmodel name\t: ARMv7 Processor rev 5 (v7l)\nBogoMIPS\t: 38.40\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm\nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xc07\nCPU revision\t: 5\n\n"
            )
        };
        let text = format!("{}{}Hardware\t: Allwinner sun8i Family\n", stanza(0), stanza(1));
        let info = parse_cpuinfo(&text);
        assert_eq!(info.architecture.as_deref(), Some("arm"));
        assert_eq!(info.models[0].cpus, 2);
    }

    #[test]
    fn a_layout_of_no_known_architecture_is_a_problem_not_x86() {
        let info = parse_cpuinfo("processor\t: 0\nfrobnication\t: yes\n\n");
        assert_eq!(info.architecture, None);
        assert_eq!(info.problems.len(), 1);
    }

    #[test]
    fn unknown_arm_parts_keep_their_number() {
        let info = parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xfff\n");
        assert_eq!(info.models[0].name, "ARM part 0xfff");
    }

    #[test]
    fn garbage_arm_ids_are_problems_not_panics() {
        let info = parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0xZZ\nCPU part\t: 0xd40\n");
        assert!(info.models.is_empty());
        assert_eq!(info.problems.len(), 1);
        let info = parse_cpuinfo("processor : 0\nCPU implementer : 0x41\nCPU part : \u{fffd}\n");
        assert_eq!(info.problems.len(), 1);
    }

    #[test]
    fn truncated_cpuinfo_keeps_what_it_has() {
        let truncated = &X86[..X86.len() / 2];
        let info = parse_cpuinfo(truncated);
        assert_eq!(info.processors, 1);
        assert_eq!(parse_cpuinfo("garbage without colons\n\x01\x02").problems.len(), 1);
        assert_eq!(parse_cpuinfo(""), CpuInfo::default());
    }
}
