//! CPU topology from sysfs (`sys/devices/system/cpu`, `sys/devices/system/node`): which CPUs
//! are online, their packages and core siblings, counted as distinct values, never max + 1.

use std::collections::BTreeSet;

use crate::root::{Root, index_suffix, quote};

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
    let cores: BTreeSet<&Vec<u32>> = cpus.iter().filter_map(|c| c.core_siblings.as_ref()).collect();
    let threads = cores.iter().map(|s| s.len() as u32).max();
    TopologySummary {
        sockets: (!packages.is_empty()).then_some(packages.len() as u32),
        cores: (!cores.is_empty()).then_some(cores.len() as u32),
        threads_per_core: threads.filter(|&t| t > 0),
    }
}

pub(super) const CPU_DIR: &str = "sys/devices/system/cpu";

/// Online CPU numbers: `cpu/online`, else (old kernels) the `cpuN/online` files.
pub(super) fn read_online(root: &mut Root, cpu_dirs: &[u32]) -> Option<Vec<u32>> {
    if root.exists(&format!("{CPU_DIR}/online")) {
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
    }
}

/// The package and core siblings of each online CPU that has a `topology` directory.
pub(super) fn read_topology(root: &mut Root, online: &[u32], cpu_dirs: &[u32]) -> Vec<CpuTopology> {
    let mut topology = Vec::new();
    for &n in online {
        if !cpu_dirs.contains(&n) {
            continue;
        }
        let dir = format!("{CPU_DIR}/cpu{n}/topology");
        if !root.exists(&dir) {
            continue;
        }
        let package = root.number::<i64>(&format!("{dir}/physical_package_id"));
        let siblings = [
            ("core_cpus_list", parse_cpu_list as fn(&str) -> Result<Vec<u32>, String>),
            ("thread_siblings_list", parse_cpu_list),
            ("core_cpus", parse_cpu_mask),
            ("thread_siblings", parse_cpu_mask),
        ]
        .into_iter()
        .find(|(file, _)| root.exists(&format!("{dir}/{file}")))
        .and_then(|(file, parse)| root.parse_with(&format!("{dir}/{file}"), parse))
        .filter(|s| !s.is_empty());
        topology
            .push(CpuTopology { package: package.filter(|&p| p >= 0), core_siblings: siblings });
    }
    topology
}

/// Node directories are counted, since node numbers can be sparse (0, 2, 3).
pub(super) fn read_numa_nodes(root: &mut Root) -> Option<u32> {
    const NODE_DIR: &str = "sys/devices/system/node";
    let nodes =
        root.list(NODE_DIR).iter().filter(|name| index_suffix(name, "node").is_some()).count()
            as u32;
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

    #[test]
    fn cpu_lists_expand_ranges_and_reject_garbage() {
        assert_eq!(parse_cpu_list("0-3,8,10-11\n"), Ok(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list("0"), Ok(vec![0]));
        assert_eq!(parse_cpu_list("\n"), Ok(vec![]));
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("0-4294967295").is_err());
        assert!(parse_cpu_list("zero").is_err());
    }

    #[test]
    fn cpu_masks_are_32_bit_words_most_significant_first() {
        assert_eq!(parse_cpu_mask("00000000,00010000,00000001"), Ok(vec![0, 48]));
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
            CpuTopology { package: Some(0), core_siblings: Some(vec![0, 2]) },
            CpuTopology { package: Some(0), core_siblings: Some(vec![1, 3]) },
            CpuTopology { package: Some(0), core_siblings: Some(vec![0, 2]) },
            CpuTopology { package: Some(0), core_siblings: Some(vec![1, 3]) },
        ];
        let summary = summarize_topology(&cpus);
        assert_eq!(
            (summary.sockets, summary.cores, summary.threads_per_core),
            (Some(1), Some(2), Some(2))
        );
    }
}
