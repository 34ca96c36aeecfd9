//! ECC error counters per memory controller and per DIMM from `sys/devices/system/edac/mc`
//! (`Documentation/ABI/testing/sysfs-devices-edac`, `Documentation/admin-guide/ras.rst`).

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
    /// The memory modules behind it (`dimmN` or, on old drivers, `rankN`).
    pub dimms: Vec<Dimm>,
}
serialize_struct!(MemoryController { controller, name, corrected, uncorrected, size_bytes, dimms });

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimm {
    /// Directory name, e.g. `dimm3`.
    pub dimm: String,
    /// `dimm_label`: the board's name for the slot (`CPU_SrcID#1_MC#0_Chan#1_DIMM#0`, `B2`).
    pub label: Option<String>,
    /// `dimm_location`: the controller's layers, e.g. `channel 1 slot 0`.
    pub location: Option<String>,
    /// `size` (MiB), in bytes.
    pub size_bytes: Option<u64>,
    /// `dimm_ce_count`.
    pub corrected: Option<u64>,
    /// `dimm_ue_count`.
    pub uncorrected: Option<u64>,
}
serialize_struct!(Dimm { dimm, label, location, size_bytes, corrected, uncorrected });

impl Dimm {
    /// `CPU_SrcID#1_MC#0_Chan#1_DIMM#0 (channel 1 slot 0)`: what a technician looks for.
    pub fn slot(&self) -> String {
        match (&self.label, &self.location) {
            (Some(l), Some(loc)) => format!("{l} ({loc})"),
            (Some(l), None) => l.clone(),
            (None, Some(loc)) => format!("{} ({loc})", self.dimm),
            (None, None) => self.dimm.clone(),
        }
    }
}

/// An error counter file; EDAC prints one decimal number.
pub fn parse_count(text: &str) -> Result<u64, String> {
    parse_number(text)
}

const MC_DIR: &str = "sys/devices/system/edac/mc";

pub fn read(root: &mut Root) -> Vec<MemoryController> {
    let names: Vec<String> =
        root.list(MC_DIR).into_iter().filter(|n| index_suffix(n, "mc").is_some()).collect();
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
                dimms: read_dimms(root, &dir),
                controller: mc,
            }
        })
        .collect()
}

fn read_dimms(root: &mut Root, dir: &str) -> Vec<Dimm> {
    let names: Vec<String> = root
        .list(dir)
        .into_iter()
        .filter(|n| index_suffix(n, "dimm").is_some() || index_suffix(n, "rank").is_some())
        .collect();
    names
        .into_iter()
        .map(|dimm| {
            let d = format!("{dir}/{dimm}");
            Dimm {
                label: root.text(&format!("{d}/dimm_label")),
                location: root.text(&format!("{d}/dimm_location")),
                size_bytes: root
                    .number::<u64>(&format!("{d}/size"))
                    .and_then(|mb| mb.checked_mul(1 << 20)),
                corrected: root.parse_with(&format!("{d}/dimm_ce_count"), parse_count),
                uncorrected: root.parse_with(&format!("{d}/dimm_ue_count"), parse_count),
                dimm,
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
