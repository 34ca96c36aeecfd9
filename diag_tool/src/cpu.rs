//! CPU facts: models and flags from `/proc/cpuinfo`, topology (sockets, cores,
//! threads, NUMA nodes) from sysfs, counted as distinct values, never max + 1.

use std::collections::BTreeSet;

use crate::arm_ids;
use crate::root::{Root, index_suffix, quote};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cpu {
    /// `uname -m` from `proc/sys/kernel/arch`, else told from the cpuinfo layout.
    pub architecture: Option<String>,
    /// `vendor_id` on x86 (`GenuineIntel`), the implementer's name on Arm (`ARM`).
    pub vendor: Option<String>,
    /// Distinct models in order of first appearance; hybrid chips have several.
    pub models: Vec<CpuModel>,
    /// Online logical CPUs.
    pub logical_cpus: Option<u32>,
    pub sockets: Option<u32>,
    /// Physical cores, total over all sockets.
    pub cores: Option<u32>,
    pub cores_per_socket: Option<u32>,
    pub threads_per_core: Option<u32>,
    pub numa_nodes: Option<u32>,
    /// Notable flags present on every CPU, in a fixed order.
    pub features: Vec<String>,
}
serialize_struct!(Cpu {
    architecture,
    vendor,
    models,
    logical_cpus,
    sockets,
    cores,
    cores_per_socket,
    threads_per_core,
    numa_nodes,
    features
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuModel {
    pub name: String,
    /// Logical CPUs of this model listed in cpuinfo.
    pub cpus: u32,
}
serialize_struct!(CpuModel { name, cpus });

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
struct Block<'a> {
    processors: u32,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Block<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn any<'a>(blocks: &[Block<'a>], key: &str) -> Option<&'a str> {
    blocks.iter().find_map(|b| b.get(key))
}

/// Tells the layout from keys only one architecture's kernel writes; checked in an order
/// where a later rule never matches an earlier layout (s390 also writes `vendor_id`).
fn detect_layout(blocks: &[Block]) -> Option<Layout> {
    let has = |key: &str| any(blocks, key).is_some();
    if any(blocks, "vendor_id").is_some_and(|v| v.starts_with("IBM/S390")) || has("# processors") {
        Some(Layout::S390)
    } else if has("ncpus active") || has("cpucaps") {
        Some(Layout::Sparc)
    } else if any(blocks, "arch") == Some("IA-64") {
        Some(Layout::Ia64)
    } else if has("CPU Family") && any(blocks, "ISA").is_some_and(|i| i.contains("loongarch")) {
        Some(Layout::LoongArch)
    } else if has("hart") || any(blocks, "isa").is_some_and(|i| i.starts_with("rv")) {
        Some(Layout::RiscV)
    } else if has("CPU implementer") {
        Some(Layout::Arm)
    } else if has("vendor_id") || has("flags") {
        Some(Layout::X86)
    } else if has("cpu")
        && (has("timebase") || any(blocks, "revision").is_some_and(|r| r.contains("pvr")))
    {
        Some(Layout::PowerPc)
    } else {
        None
    }
}

pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut blocks = Vec::new();
    let mut block = Block::default();
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

    let mut info = CpuInfo::default();
    let layout = detect_layout(&blocks);
    let mut models: Vec<CpuModel> = Vec::new();
    let mut add_model = |name: String, cpus: u32| match models.iter_mut().find(|m| m.name == name) {
        Some(m) => m.cpus += cpus,
        None => models.push(CpuModel { name, cpus }),
    };
    let mut shared: Option<BTreeSet<&str>> = None;
    // Old 32-bit Arm kernels print the `processor` stanzas first and the ids once after them.
    let mut processors_without_ids = 0;

    for b in &blocks {
        info.processors += b.processors;
        let flags = b
            .get("flags")
            .or_else(|| b.get("Features"))
            .or_else(|| b.get("features"));
        if let Some(flags) = flags {
            let these: BTreeSet<&str> = flags.split_whitespace().collect();
            shared = Some(match shared {
                None => these,
                Some(prev) => prev.intersection(&these).copied().collect(),
            });
        }
        match layout {
            Some(Layout::X86) => {
                if b.processors == 0 {
                    continue;
                }
                if info.vendor.is_none() {
                    info.vendor = b.get("vendor_id").map(str::to_string);
                }
                if let Some(name) = b.get("model name").filter(|n| !n.is_empty()) {
                    add_model(name.to_string(), b.processors);
                }
                let id = |key: &str| b.get(key).and_then(|v| v.parse().ok());
                info.x86_ids.push((id("physical id"), id("core id")));
            }
            Some(Layout::Arm) => {
                let Some(implementer) = b.get("CPU implementer") else {
                    processors_without_ids += b.processors;
                    continue;
                };
                let cpus = match b.processors {
                    0 => std::mem::take(&mut processors_without_ids).max(1),
                    n => n,
                };
                let implementer = match parse_hex(implementer) {
                    Ok(v) => v,
                    Err(e) => {
                        info.problems.push(format!("CPU implementer: {e}"));
                        continue;
                    }
                };
                let vendor = arm_ids::implementer_name(implementer)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{implementer:#04x}"));
                if info.vendor.is_none() {
                    info.vendor = Some(vendor.clone());
                }
                let name = match b.get("CPU part").map(parse_hex) {
                    Some(Ok(part)) => match arm_ids::part_name(implementer, part) {
                        Some(name) => name.to_string(),
                        None => format!("{vendor} part {part:#05x}"),
                    },
                    Some(Err(e)) => {
                        info.problems.push(format!("CPU part: {e}"));
                        continue;
                    }
                    None => continue,
                };
                add_model(name, cpus);
            }
            Some(Layout::PowerPc) | Some(Layout::Ia64) | Some(Layout::LoongArch) => {
                if b.processors == 0 {
                    continue;
                }
                let (vendor, model) = match layout {
                    Some(Layout::PowerPc) => (None, b.get("cpu")),
                    Some(Layout::Ia64) => (b.get("vendor"), b.get("model name")),
                    _ => (Some("Loongson"), b.get("Model Name")),
                };
                if info.vendor.is_none() {
                    info.vendor = vendor.map(str::to_string).or_else(|| {
                        // IBM designs every POWER chip; other powerpc makers print other names.
                        model
                            .filter(|m| m.starts_with("POWER"))
                            .map(|_| "IBM".to_string())
                    });
                }
                if let Some(name) = model.filter(|n| !n.is_empty()) {
                    add_model(name.to_string(), b.processors);
                }
            }
            Some(Layout::RiscV) => {
                if b.processors == 0 {
                    continue;
                }
                if info.vendor.is_none() {
                    info.vendor = b
                        .get("mvendorid")
                        .and_then(|id| parse_hex(id).ok())
                        .and_then(riscv_vendor_name)
                        .map(str::to_string);
                }
                if let Some(name) = b.get("uarch").filter(|n| !n.is_empty()) {
                    add_model(name.to_string(), b.processors);
                }
            }
            Some(Layout::S390) | Some(Layout::Sparc) | None => {}
        }
    }

    match layout {
        Some(Layout::S390) => {
            info.processors = any(&blocks, "# processors")
                .and_then(|n| n.parse().ok())
                .unwrap_or(s390_processor_lines);
            info.vendor = any(&blocks, "vendor_id").map(str::to_string);
            // Every CPU of one machine has the same machine type; the first line names it.
            let machine = blocks
                .iter()
                .flat_map(|b| &b.fields)
                .filter(|(k, _)| k.starts_with("processor "))
                .find_map(|(_, v)| v.split("machine =").nth(1))
                .map(|m| m.trim().trim_end_matches(',').trim())
                .or_else(|| any(&blocks, "machine"));
            if let Some(machine) = machine.filter(|m| !m.is_empty()) {
                let name = match s390_machine_name(machine) {
                    Some(name) => format!("IBM {name} type {machine}"),
                    None => format!("IBM machine type {machine}"),
                };
                add_model(name, info.processors.max(1));
            }
        }
        Some(Layout::Sparc) => {
            info.processors = any(&blocks, "ncpus active")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if let Some(name) = any(&blocks, "cpu").filter(|n| !n.is_empty()) {
                add_model(name.to_string(), info.processors.max(1));
            }
            if let Some(caps) = any(&blocks, "cpucaps") {
                shared = Some(caps.split(',').map(str::trim).collect());
            }
        }
        _ => {}
    }

    info.architecture = match layout {
        Some(Layout::X86) => {
            let long_mode = shared.as_ref().is_some_and(|f| f.contains("lm"));
            Some(if long_mode { "x86_64" } else { "x86" })
        }
        Some(Layout::Arm) => {
            let arch = any(&blocks, "CPU architecture");
            // arm64 kernels print 8 (or "AArch64" on old ones); 32-bit kernels print 7 and below.
            let asimd = blocks
                .iter()
                .any(|b| b.get("Features").is_some_and(|f| f.contains("asimd")));
            Some(match arch {
                Some("8") | Some("AArch64") => "aarch64",
                Some(_) if asimd => "aarch64",
                _ => "arm",
            })
        }
        // 31-bit kernels went away in 4.1; `zarch` is the 64-bit z/Architecture.
        Some(Layout::S390) => Some(if shared.as_ref().is_some_and(|f| f.contains("zarch")) {
            "s390x"
        } else {
            "s390"
        }),
        // cpuinfo does not say whether a POWER kernel is big- or little-endian:
        // `proc/sys/kernel/arch` does, and [`read`] prefers it.
        Some(Layout::PowerPc) => Some("powerpc"),
        Some(Layout::RiscV) => match any(&blocks, "isa") {
            Some(isa) if isa.starts_with("rv32") => Some("riscv32"),
            _ => Some("riscv64"),
        },
        Some(Layout::LoongArch) => Some("loongarch64"),
        Some(Layout::Sparc) => Some(match any(&blocks, "type") {
            Some("sun4m" | "sun4d" | "sun4c") => "sparc",
            _ => "sparc64",
        }),
        Some(Layout::Ia64) => Some("ia64"),
        None => None,
    }
    .map(str::to_string);
    if let Some(shared) = shared {
        info.features = NOTABLE_FEATURES
            .iter()
            .filter(|f| shared.contains(**f))
            .map(|f| f.to_string())
            .collect();
    }
    if info.processors == 0 && !text.trim().is_empty() {
        info.problems.push("no processor entries".to_string());
    } else if layout.is_none() && !text.trim().is_empty() {
        info.problems
            .push("layout of no known architecture: architecture unknown".to_string());
    }
    info.models = models;
    info
}

/// IBM Z machine types as `lscpu` and IBM name them (the `machine =` field).
fn s390_machine_name(machine: &str) -> Option<&'static str> {
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
    MACHINES
        .iter()
        .find(|(t, _)| *t == machine)
        .map(|(_, n)| *n)
}

/// JEDEC vendor ids in the RISC-V `mvendorid` CSR of common server and board chips.
fn riscv_vendor_name(id: u32) -> Option<&'static str> {
    match id {
        0x489 => Some("SiFive"),
        0x5b7 => Some("T-Head"),
        0x31e => Some("Andes"),
        0x710 => Some("SpacemiT"),
        _ => None,
    }
}

fn parse_hex(value: &str) -> Result<u32, String> {
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .ok_or_else(|| format!("expected a hex number, found {}", quote(value)))?;
    u32::from_str_radix(digits, 16)
        .map_err(|_| format!("expected a hex number, found {}", quote(value)))
}

/// Largest CPU number accepted; bigger values are garbage, not hardware.
const MAX_CPU: u32 = 1 << 16;

/// A kernel CPU list such as `0-3,8,10-11`, sorted and deduplicated.
pub fn parse_cpu_list(text: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("expected a CPU list, found {}", quote(text));
    let mut cpus = BTreeSet::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo, hi),
            None => (part, part),
        };
        let lo: u32 = lo.trim().parse().map_err(|_| bad())?;
        let hi: u32 = hi.trim().parse().map_err(|_| bad())?;
        if lo > hi || hi >= MAX_CPU {
            return Err(bad());
        }
        cpus.extend(lo..=hi);
    }
    Ok(cpus.into_iter().collect())
}

/// A kernel CPU mask such as `00000000,00010000,00000001`: comma-separated
/// 32-bit hex words, most significant first (kernels without `*_list` files).
pub fn parse_cpu_mask(text: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("expected a CPU mask, found {}", quote(text));
    let words: Vec<&str> = text.trim().split(',').collect();
    if words.len() as u32 > MAX_CPU / 32 {
        return Err(bad());
    }
    let mut cpus = Vec::new();
    for (index, word) in words.iter().rev().enumerate() {
        if word.is_empty() || word.len() > 8 {
            return Err(bad());
        }
        let bits = u32::from_str_radix(word, 16).map_err(|_| bad())?;
        for bit in 0..32 {
            if bits & (1 << bit) != 0 {
                cpus.push(index as u32 * 32 + bit);
            }
        }
    }
    Ok(cpus)
}

/// What sysfs says about one online CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuTopology {
    pub package: Option<i64>,
    /// The CPUs sharing this CPU's core (itself included).
    pub core_siblings: Option<Vec<u32>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopologySummary {
    pub sockets: Option<u32>,
    pub cores: Option<u32>,
    pub threads_per_core: Option<u32>,
}

/// Counts distinct package ids and distinct sibling sets: package ids on Arm
/// servers are firmware values (36, 8442) and core ids repeat across packages.
pub fn summarize_topology(cpus: &[CpuTopology]) -> TopologySummary {
    let packages: BTreeSet<i64> = cpus.iter().filter_map(|c| c.package).collect();
    let cores: BTreeSet<&Vec<u32>> = cpus
        .iter()
        .filter_map(|c| c.core_siblings.as_ref())
        .collect();
    let threads = cores.iter().map(|s| s.len() as u32).max();
    TopologySummary {
        sockets: (!packages.is_empty()).then_some(packages.len() as u32),
        cores: (!cores.is_empty()).then_some(cores.len() as u32),
        threads_per_core: threads.filter(|&t| t > 0),
    }
}

const CPU_DIR: &str = "sys/devices/system/cpu";

pub fn read(root: &mut Root) -> Cpu {
    let info = root.read("proc/cpuinfo").map(|t| parse_cpuinfo(&t));
    if let Some(info) = &info {
        for problem in &info.problems {
            root.warn("proc/cpuinfo", problem.clone());
        }
    }
    let info = info.unwrap_or_default();
    // `uname -m` as the kernel itself says it (Linux 6.1+); cpuinfo cannot tell ppc64 from
    // ppc64le, nor a 32-bit kernel on a 64-bit CPU.
    let architecture = root.text("proc/sys/kernel/arch").or(info.architecture);

    let cpu_dirs: Vec<u32> = root
        .list(CPU_DIR)
        .iter()
        .filter_map(|name| index_suffix(name, "cpu"))
        .collect();
    let online: Option<Vec<u32>> = if root.exists(&format!("{CPU_DIR}/online")) {
        root.parse_with(&format!("{CPU_DIR}/online"), parse_cpu_list)
    } else if cpu_dirs.is_empty() {
        None
    } else {
        // Old kernels lack cpu/online; cpu0 usually has no per-CPU online file either.
        Some(
            cpu_dirs
                .iter()
                .copied()
                .filter(|n| root.number::<u8>(&format!("{CPU_DIR}/cpu{n}/online")) != Some(0))
                .collect(),
        )
    };

    let mut topology = Vec::new();
    for &n in online.as_deref().unwrap_or(&[]) {
        if !cpu_dirs.contains(&n) {
            continue;
        }
        let dir = format!("{CPU_DIR}/cpu{n}/topology");
        if !root.exists(&dir) {
            continue;
        }
        let package = root.number::<i64>(&format!("{dir}/physical_package_id"));
        let siblings = [
            (
                "core_cpus_list",
                parse_cpu_list as fn(&str) -> Result<Vec<u32>, String>,
            ),
            ("thread_siblings_list", parse_cpu_list),
            ("core_cpus", parse_cpu_mask),
            ("thread_siblings", parse_cpu_mask),
        ]
        .into_iter()
        .find(|(file, _)| root.exists(&format!("{dir}/{file}")))
        .and_then(|(file, parse)| root.parse_with(&format!("{dir}/{file}"), parse))
        .filter(|s| !s.is_empty());
        topology.push(CpuTopology {
            package: package.filter(|&p| p >= 0),
            core_siblings: siblings,
        });
    }
    let mut summary = summarize_topology(&topology);
    if topology.is_empty() && !info.x86_ids.is_empty() {
        summary = summarize_x86_ids(&info.x86_ids);
    }

    let logical_cpus = match &online {
        Some(list) => Some(list.len() as u32),
        None => (info.processors > 0).then_some(info.processors),
    };
    let cores_per_socket = match (summary.cores, summary.sockets) {
        (Some(c), Some(s)) if s > 0 && c % s == 0 => Some(c / s),
        _ => None,
    };

    Cpu {
        architecture,
        vendor: info.vendor,
        models: info.models,
        logical_cpus,
        sockets: summary.sockets,
        cores: summary.cores,
        cores_per_socket,
        threads_per_core: summary.threads_per_core,
        numa_nodes: read_numa_nodes(root),
        features: info.features,
    }
}

/// Topology from x86 cpuinfo ids, for trees that have `/proc` but no sysfs topology.
fn summarize_x86_ids(ids: &[(Option<u32>, Option<u32>)]) -> TopologySummary {
    let packages: BTreeSet<u32> = ids.iter().filter_map(|(p, _)| *p).collect();
    let cores: BTreeSet<(u32, u32)> = ids
        .iter()
        .filter_map(|(p, c)| Some(((*p)?, (*c)?)))
        .collect();
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

/// Node directories are counted, since node numbers can be sparse (0, 2, 3).
fn read_numa_nodes(root: &mut Root) -> Option<u32> {
    const NODE_DIR: &str = "sys/devices/system/node";
    let nodes = root
        .list(NODE_DIR)
        .iter()
        .filter(|name| index_suffix(name, "node").is_some())
        .count() as u32;
    if nodes > 0 {
        return Some(nodes);
    }
    root.parse_with(&format!("{NODE_DIR}/online"), parse_cpu_list)
        .map(|nodes| nodes.len() as u32)
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu vme lm aes avx avx2 avx512f sha_ni\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\nphysical id\t: 1\ncore id\t\t: 0\nflags\t\t: fpu vme lm aes avx avx2 sha_ni\n\n";

    const ARM64: &str = "processor\t: 0\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\nCPU revision\t: 1\n\nprocessor\t: 1\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\nCPU revision\t: 1\n\n";

    #[test]
    fn x86_model_vendor_and_shared_features_come_from_cpuinfo() {
        let info = parse_cpuinfo(X86);
        assert_eq!(info.architecture.as_deref(), Some("x86_64"));
        assert_eq!(info.vendor.as_deref(), Some("GenuineIntel"));
        assert_eq!(
            info.models,
            [CpuModel {
                name: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz".into(),
                cpus: 2
            }]
        );
        // avx512f is missing on one CPU, so it is not reported.
        assert_eq!(info.features, ["aes", "avx", "avx2", "sha_ni"]);
        assert_eq!(summarize_x86_ids(&info.x86_ids).sockets, Some(2));
    }

    #[test]
    fn arm_implementer_and_part_are_decoded_to_names() {
        let info = parse_cpuinfo(ARM64);
        assert_eq!(info.architecture.as_deref(), Some("aarch64"));
        assert_eq!(info.vendor.as_deref(), Some("ARM"));
        assert_eq!(
            info.models,
            [CpuModel {
                name: "Neoverse-V1".into(),
                cpus: 2
            }]
        );
        assert_eq!(
            info.features,
            [
                "aes", "asimd", "pmull", "sha1", "sha2", "crc32", "atomics", "sve"
            ]
        );
    }

    #[test]
    fn hybrid_arm_chips_report_every_core_type() {
        let text = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd46\n\nprocessor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd46\n\nprocessor\t: 2\nCPU implementer\t: 0x41\nCPU part\t: 0xd4e\n\n";
        let info = parse_cpuinfo(text);
        assert_eq!(
            info.models,
            [
                CpuModel {
                    name: "Cortex-A510".into(),
                    cpus: 2
                },
                CpuModel {
                    name: "Cortex-X3".into(),
                    cpus: 1
                }
            ]
        );
    }

    #[test]
    fn old_arm64_layout_with_one_stanza_counts_every_processor() {
        let text = "Processor\t: AArch64 Processor rev 0 (aarch64)\nprocessor\t: 0\nprocessor\t: 1\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU architecture: AArch64\nCPU variant\t: 0x0\nCPU part\t: 0xd03\nCPU revision\t: 0\n\nHardware\t: foo\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.processors, 2);
        assert_eq!(info.architecture.as_deref(), Some("aarch64"));
        assert_eq!(
            info.models,
            [CpuModel {
                name: "Cortex-A53".into(),
                cpus: 2
            }]
        );
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
        assert_eq!(
            info.models,
            [CpuModel {
                name: "IBM z15 T01 type 8561".into(),
                cpus: 2
            }]
        );
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
        assert_eq!(
            info.models[0].name,
            "POWER9 (architected), altivec supported"
        );
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
        assert_eq!(
            (info.architecture.as_deref(), info.processors),
            (Some("riscv64"), 1)
        );
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
        assert_eq!(
            info.models[0].name,
            "Dual-Core Intel(R) Itanium(R) 2 Processor 9140M"
        );
    }

    #[test]
    fn old_32_bit_arm_layout_with_trailing_ids_counts_every_cpu() {
        // arch/arm/kernel/setup.c before 3.8: `processor` stanzas, then the ids once.
        let text = "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 790.52\n\nprocessor\t: 1\nBogoMIPS\t: 790.52\n\nFeatures\t: swp half thumb fastmult vfp edsp neon vfpv3 tls\nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x2\nCPU part\t: 0xc09\nCPU revision\t: 10\n\nHardware\t: Freescale i.MX 6Quad SABRE Smart Device Board\nRevision\t: 63012\nSerial\t\t: 0000000000000000\n";
        let info = parse_cpuinfo(text);
        assert_eq!(info.architecture.as_deref(), Some("arm"));
        assert_eq!(
            info.models,
            [CpuModel {
                name: "Cortex-A9".into(),
                cpus: 2
            }]
        );
    }

    #[test]
    fn new_32_bit_arm_layout_has_ids_in_every_stanza() {
        let stanza = |n| {
            format!(
                "processor\t: {n}\nmodel name\t: ARMv7 Processor rev 5 (v7l)\nBogoMIPS\t: 38.40\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm\nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xc07\nCPU revision\t: 5\n\n"
            )
        };
        let text = format!(
            "{}{}Hardware\t: Allwinner sun8i Family\n",
            stanza(0),
            stanza(1)
        );
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
        assert_eq!(
            parse_cpuinfo("garbage without colons\n\x01\x02")
                .problems
                .len(),
            1
        );
        assert_eq!(parse_cpuinfo(""), CpuInfo::default());
    }

    #[test]
    fn cpu_lists_expand_ranges_and_reject_garbage() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n"),
            Ok(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpu_list("0"), Ok(vec![0]));
        assert_eq!(parse_cpu_list("\n"), Ok(vec![]));
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("0-4294967295").is_err());
        assert!(parse_cpu_list("zero").is_err());
    }

    #[test]
    fn cpu_masks_are_32_bit_words_most_significant_first() {
        assert_eq!(
            parse_cpu_mask("00000000,00010000,00000001"),
            Ok(vec![0, 48])
        );
        assert_eq!(parse_cpu_mask("07"), Ok(vec![0, 1, 2]));
        assert_eq!(parse_cpu_mask("80"), Ok(vec![7]));
        assert!(parse_cpu_mask("xyz").is_err());
        assert!(parse_cpu_mask("1,,2").is_err());
    }

    #[test]
    fn topology_counts_distinct_packages_and_sibling_sets() {
        // Two Arm sockets with firmware package ids 36 and 8442, no SMT.
        let cpus: Vec<CpuTopology> = (0..8)
            .map(|n| CpuTopology {
                package: Some(if n < 4 { 36 } else { 8442 }),
                core_siblings: Some(vec![n]),
            })
            .collect();
        let summary = summarize_topology(&cpus);
        assert_eq!(summary.sockets, Some(2));
        assert_eq!(summary.cores, Some(8));
        assert_eq!(summary.threads_per_core, Some(1));
    }

    #[test]
    fn smt_siblings_make_one_core() {
        let cpus = [
            CpuTopology {
                package: Some(0),
                core_siblings: Some(vec![0, 2]),
            },
            CpuTopology {
                package: Some(0),
                core_siblings: Some(vec![1, 3]),
            },
            CpuTopology {
                package: Some(0),
                core_siblings: Some(vec![0, 2]),
            },
            CpuTopology {
                package: Some(0),
                core_siblings: Some(vec![1, 3]),
            },
        ];
        let summary = summarize_topology(&cpus);
        assert_eq!(
            (summary.sockets, summary.cores, summary.threads_per_core),
            (Some(1), Some(2), Some(2))
        );
    }
}
