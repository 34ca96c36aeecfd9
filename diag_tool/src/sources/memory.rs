//! Memory totals, swap and huge pages from `/proc/meminfo`, converted to bytes.

use crate::root::{Root, quote};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    pub total_bytes: Option<u64>,
    /// `MemAvailable`: what can be allocated without swapping (kernel 3.14+).
    pub available_bytes: Option<u64>,
    pub free_bytes: Option<u64>,
    pub swap_total_bytes: Option<u64>,
    pub swap_free_bytes: Option<u64>,
    pub hugepages_total: Option<u64>,
    pub hugepages_free: Option<u64>,
    pub hugepage_size_bytes: Option<u64>,
    /// Memory the kernel took out of service after hardware errors.
    pub hardware_corrupted_bytes: Option<u64>,
}
serialize_struct!(Memory {
    total_bytes,
    available_bytes,
    free_bytes,
    swap_total_bytes,
    swap_free_bytes,
    hugepages_total,
    hugepages_free,
    hugepage_size_bytes,
    hardware_corrupted_bytes
});

/// Parses meminfo lines such as `MemTotal:       527031224 kB`. Lines that do
/// not parse are returned as problems; the rest is kept.
pub fn parse_meminfo(text: &str) -> (Memory, Vec<String>) {
    let mut memory = Memory::default();
    let mut problems = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            problems.push(format!("line without a colon: {}", quote(line)));
            continue;
        };
        let slot = match key {
            "MemTotal" => &mut memory.total_bytes,
            "MemAvailable" => &mut memory.available_bytes,
            "MemFree" => &mut memory.free_bytes,
            "SwapTotal" => &mut memory.swap_total_bytes,
            "SwapFree" => &mut memory.swap_free_bytes,
            "HugePages_Total" => &mut memory.hugepages_total,
            "HugePages_Free" => &mut memory.hugepages_free,
            "Hugepagesize" => &mut memory.hugepage_size_bytes,
            "HardwareCorrupted" => &mut memory.hardware_corrupted_bytes,
            _ => continue,
        };
        let mut fields = rest.split_whitespace();
        let number = fields.next().and_then(|n| n.parse::<u64>().ok());
        let value = match (number, fields.next(), fields.next()) {
            (Some(n), Some("kB"), None) => n.checked_mul(1024),
            (Some(n), None, None) if key.starts_with("HugePages_") => Some(n),
            _ => None,
        };
        match value {
            Some(v) => *slot = Some(v),
            None => {
                problems.push(format!("{key}: expected a number, found {}", quote(rest.trim())))
            }
        }
    }
    (memory, problems)
}

pub fn read(root: &mut Root) -> Memory {
    let Some(text) = root.read("proc/meminfo") else {
        return Memory::default();
    };
    let (memory, problems) = parse_meminfo(&text);
    for problem in problems {
        root.warn("proc/meminfo", problem);
    }
    memory
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "MemTotal:       527031224 kB\nMemFree:        470642660 kB\nMemAvailable:   478155232 kB\nBuffers:          308488 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\nHardwareCorrupted:     0 kB\nHugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugepagesize:       2048 kB\n";

    #[test]
    fn meminfo_values_are_converted_from_kib_to_bytes() {
        let (memory, problems) = parse_meminfo(SAMPLE);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(memory.total_bytes, Some(527031224 * 1024));
        assert_eq!(memory.available_bytes, Some(478155232 * 1024));
        assert_eq!(memory.swap_total_bytes, Some(0));
        assert_eq!(memory.hugepages_total, Some(0));
        assert_eq!(memory.hugepage_size_bytes, Some(2 << 20));
        assert_eq!(memory.hardware_corrupted_bytes, Some(0));
    }

    #[test]
    fn old_kernels_without_memavailable_leave_it_absent() {
        let (memory, _) = parse_meminfo("MemTotal:  1024 kB\nMemFree:  512 kB\n");
        assert_eq!(memory.available_bytes, None);
        assert_eq!(memory.free_bytes, Some(512 * 1024));
    }

    #[test]
    fn garbage_and_truncated_lines_are_problems() {
        let (memory, problems) = parse_meminfo("MemTotal:   12x4 kB\nMemFree:\nMemAvail");
        assert_eq!(memory.total_bytes, None);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let (memory, problems) = parse_meminfo("MemTotal: 99999999999999999999 kB\n");
        assert_eq!(memory.total_bytes, None);
        assert_eq!(problems.len(), 1);
    }
}
