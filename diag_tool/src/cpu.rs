//! CPU facts: models and flags from `/proc/cpuinfo`, topology (sockets, cores,
//! threads, NUMA nodes) from sysfs, counted as distinct values, never max + 1.

use std::collections::BTreeSet;

use crate::arm_ids;
use crate::root::{Root, index_suffix, quote};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cpu {
    /// `x86_64`, `x86`, `aarch64`, `arm`, inferred from the cpuinfo layout.
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

pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut blocks = Vec::new();
    let mut block = Block::default();
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
        }
        block.fields.push((key, value));
    }
    if !block.fields.is_empty() {
        blocks.push(block);
    }

    let mut info = CpuInfo::default();
    let is_x86 = blocks
        .iter()
        .any(|b| b.get("vendor_id").is_some() || b.get("flags").is_some());
    let is_arm = blocks.iter().any(|b| b.get("CPU implementer").is_some());
    let mut models: Vec<CpuModel> = Vec::new();
    let mut add_model = |name: String, cpus: u32| match models.iter_mut().find(|m| m.name == name) {
        Some(m) => m.cpus += cpus,
        None => models.push(CpuModel { name, cpus }),
    };
    let mut shared: Option<BTreeSet<&str>> = None;

    for b in &blocks {
        info.processors += b.processors;
        let flags = b.get("flags").or_else(|| b.get("Features"));
        if let Some(flags) = flags {
            let these: BTreeSet<&str> = flags.split_whitespace().collect();
            shared = Some(match shared {
                None => these,
                Some(prev) => prev.intersection(&these).copied().collect(),
            });
        }
        if is_x86 {
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
        } else if is_arm {
            let Some(implementer) = b.get("CPU implementer") else {
                continue;
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
            add_model(name, b.processors.max(1));
        }
    }

    info.architecture = if is_x86 {
        let long_mode = shared.as_ref().is_some_and(|f| f.contains("lm"));
        Some(if long_mode { "x86_64" } else { "x86" }.to_string())
    } else if is_arm {
        let arch = blocks.iter().find_map(|b| b.get("CPU architecture"));
        // arm64 kernels print 8 (or "AArch64" on old ones); 32-bit kernels print 7 and below.
        Some(
            match arch {
                Some("8") | Some("AArch64") => "aarch64",
                Some(_)
                    if blocks
                        .iter()
                        .any(|b| b.get("Features").is_some_and(|f| f.contains("asimd"))) =>
                {
                    "aarch64"
                }
                _ => "arm",
            }
            .to_string(),
        )
    } else {
        None
    };
    if let Some(shared) = shared {
        info.features = NOTABLE_FEATURES
            .iter()
            .filter(|f| shared.contains(**f))
            .map(|f| f.to_string())
            .collect();
    }
    if info.processors == 0 && !text.trim().is_empty() {
        info.problems.push("no processor entries".to_string());
    }
    info.models = models;
    info
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
        architecture: info.architecture,
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
