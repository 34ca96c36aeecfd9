//! ECC error counters per memory controller from `sys/devices/system/edac/mc`.

use crate::root::{Root, index_suffix, parse_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryController {
    /// Directory name, e.g. `mc0`.
    pub controller: String,
    /// `mc_name`, e.g. `Skylake Socket#0 IMC#0`.
    pub name: Option<String>,
    /// Corrected errors since boot (`ce_count`).
    pub corrected: Option<u64>,
    /// Uncorrected errors since boot (`ue_count`).
    pub uncorrected: Option<u64>,
    /// Memory behind this controller (`size_mb`), in bytes.
    pub size_bytes: Option<u64>,
}
serialize_struct!(MemoryController {
    controller,
    name,
    corrected,
    uncorrected,
    size_bytes
});

/// An error counter file; EDAC prints one decimal number.
pub fn parse_count(text: &str) -> Result<u64, String> {
    parse_number(text)
}

const MC_DIR: &str = "sys/devices/system/edac/mc";

pub fn read(root: &mut Root) -> Vec<MemoryController> {
    let names: Vec<String> = root
        .list(MC_DIR)
        .into_iter()
        .filter(|n| index_suffix(n, "mc").is_some())
        .collect();
    names
        .into_iter()
        .map(|mc| {
            let dir = format!("{MC_DIR}/{mc}");
            MemoryController {
                name: root.text(&format!("{dir}/mc_name")),
                corrected: root.parse_with(&format!("{dir}/ce_count"), parse_count),
                uncorrected: root.parse_with(&format!("{dir}/ue_count"), parse_count),
                size_bytes: root
                    .number::<u64>(&format!("{dir}/size_mb"))
                    .and_then(|mb| mb.checked_mul(1 << 20)),
                controller: mc,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_decimal_with_a_trailing_newline() {
        assert_eq!(parse_count("17\n"), Ok(17));
        assert!(parse_count("-1\n").is_err());
        assert!(parse_count("lots").is_err());
    }
}
