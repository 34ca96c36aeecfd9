//! Health checks over a [`Report`], with monitoring-plugin statuses. Each rule lives in the
//! file of what it judges; [`RULES`] lists them in the order their findings are printed.

mod kernel;
mod memory;
mod network;
mod pci;
mod storage;
mod thermal;
mod thresholds;

pub use thresholds::Thresholds;

use crate::report::Report;

/// Monitoring-plugin status; the discriminant is the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// A problem that was found outranks a file that could not be read.
    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub status: Status,
    pub message: String,
}

impl Finding {
    pub fn new(status: Status, message: String) -> Finding {
        Finding { status, message }
    }
}

/// A rule adds its findings about one part of the report.
pub type Rule = fn(&Report, &Thresholds, &mut Vec<Finding>);

/// Every rule; within one status, findings keep this order.
pub const RULES: &[Rule] = &[
    memory::ecc,
    memory::corrupted,
    memory::available,
    memory::swap,
    thermal::temperatures,
    storage::read_only_disks,
    network::links,
    thermal::fans,
    thermal::throttling,
    storage::md_arrays,
    storage::nvme,
    pci::devices,
    kernel::taint,
    kernel::unreadable_files,
];

/// Every finding of every rule, the worst status first.
pub fn evaluate(report: &Report, t: &Thresholds) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in RULES {
        rule(report, t, &mut findings);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.status.rank()));
    findings
}

/// The worst status of the findings: CRITICAL > WARNING > UNKNOWN > OK.
pub fn overall(findings: &[Finding]) -> Status {
    findings.iter().map(|f| f.status).max_by_key(|s| s.rank()).unwrap_or(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::collect;
    use crate::sources::edac::MemoryController;
    use crate::sources::memory::Memory;
    use crate::sources::net::Interface;
    use crate::sources::pci::{AerCounters, PciDevice, PcieLink};
    use crate::sources::thermal::Temperature;
    use std::path::Path;

    fn empty_report() -> Report {
        collect(Path::new("/nonexistent-root-for-tests"))
    }

    fn mc(corrected: u64, uncorrected: u64) -> MemoryController {
        MemoryController {
            controller: "mc0".into(),
            name: None,
            corrected: Some(corrected),
            uncorrected: Some(uncorrected),
            size_bytes: None,
            dimms: vec![],
        }
    }

    fn temp(now: i64, max: Option<i64>, crit: Option<i64>) -> Temperature {
        Temperature {
            source: "hwmon".into(),
            device: "hwmon0".into(),
            chip: Some("coretemp".into()),
            sensor: "temp1".into(),
            label: Some("Package id 0".into()),
            millicelsius: Some(now),
            max_millicelsius: max,
            crit_millicelsius: crit,
        }
    }

    fn pcie(
        class: &str,
        current: (u32, u32),
        max: (u32, u32),
        port: Option<(u32, u32)>,
    ) -> PciDevice {
        PciDevice {
            address: "0000:18:00.0".into(),
            vendor_id: None,
            vendor: None,
            device_id: None,
            class: Some(class.into()),
            class_name: None,
            driver: Some("mlx5_core".into()),
            aer: None,
            link: Some(PcieLink {
                current_speed_mts: Some(current.0),
                current_width: Some(current.1),
                max_speed_mts: Some(max.0),
                max_width: Some(max.1),
                port_max_speed_mts: port.map(|p| p.0),
                port_max_width: port.map(|p| p.1),
            }),
        }
    }

    #[test]
    fn a_pcie_link_below_both_ends_warns_and_names_the_link() {
        let mut r = empty_report();
        r.pci_devices = vec![pcie("020000", (8000, 4), (8000, 8), Some((8000, 16)))];
        let findings = evaluate(&r, &Thresholds::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Warning);
        assert!(
            findings[0].message.ends_with("x4 at 8.0 GT/s, capable of x8 at 8.0 GT/s"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn a_gen4_device_in_a_gen3_slot_and_bridges_are_fine() {
        let mut r = empty_report();
        r.pci_devices = vec![
            pcie("010802", (8000, 4), (16000, 4), Some((8000, 16))),
            pcie("060400", (8000, 4), (8000, 16), None),
            pcie("030000", (2500, 16), (16000, 16), None),
        ];
        assert!(statuses(&r).is_empty());
    }

    #[test]
    fn uncorrectable_aer_errors_are_critical_and_many_correctable_ones_warn() {
        let mut r = empty_report();
        let mut dev = pcie("020000", (8000, 8), (8000, 8), None);
        dev.aer = Some(AerCounters {
            correctable: Some(9),
            nonfatal: Some(0),
            fatal: Some(0),
            correctable_kinds: vec![],
            uncorrectable_kinds: vec![],
        });
        r.pci_devices = vec![dev.clone()];
        assert!(statuses(&r).is_empty());
        dev.aer.as_mut().unwrap().correctable = Some(10);
        r.pci_devices = vec![dev.clone()];
        assert_eq!(statuses(&r), [Status::Warning]);
        dev.aer.as_mut().unwrap().fatal = Some(1);
        r.pci_devices = vec![dev];
        assert_eq!(statuses(&r), [Status::Critical, Status::Warning]);
    }

    #[test]
    fn machine_check_taint_warns_and_out_of_tree_modules_do_not() {
        let mut r = empty_report();
        r.kernel_taint = Some(crate::sources::taint::parse_tainted("4096").unwrap());
        assert!(statuses(&r).is_empty());
        r.kernel_taint = Some(crate::sources::taint::parse_tainted("4112").unwrap());
        assert_eq!(statuses(&r), [Status::Warning]);
    }

    #[test]
    fn a_degraded_md_array_is_critical_and_a_recovery_warns() {
        let mut r = empty_report();
        let (arrays, _) = crate::sources::md::parse_mdstat(
            "md1 : active raid5 sdf1[4] sde1[2](F) sdd1[1] sdc1[0]
      100 blocks level 5, 512k chunk, algorithm 2 [4/3] [UU_U]
      [=>..]  recovery =  8.5% (1/2) finish=150.3min speed=198000K/sec

md0 : active raid1 sda[0] sdb[1]
      100 blocks [2/2] [UU]
      [=>..]  check =  50.0% (1/2) finish=1.0min speed=1K/sec
",
        );
        r.md_arrays = arrays;
        let findings = evaluate(&r, &Thresholds::default());
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [Status::Critical, Status::Warning]);
        assert!(findings[0].message.contains("failed: sde1"), "{}", findings[0].message);
        assert!(findings[1].message.contains("recovery 8.5% done"), "{}", findings[1].message);
    }

    #[test]
    fn an_nvme_controller_that_is_not_live_is_critical() {
        let mut r = empty_report();
        let mut c = crate::sources::nvme::NvmeController {
            name: "nvme0".into(),
            model: Some("SAMSUNG".into()),
            serial: Some("S1".into()),
            firmware: None,
            state: Some("live".into()),
            transport: None,
            address: None,
        };
        r.nvme_controllers = vec![c.clone()];
        assert!(statuses(&r).is_empty());
        c.state = Some("dead".into());
        r.nvme_controllers = vec![c];
        assert_eq!(statuses(&r), [Status::Critical]);
    }

    fn statuses(report: &Report) -> Vec<Status> {
        evaluate(report, &Thresholds::default()).iter().map(|f| f.status).collect()
    }

    #[test]
    fn a_machine_with_nothing_to_read_is_ok() {
        let findings = evaluate(&empty_report(), &Thresholds::default());
        assert_eq!(overall(&findings), Status::Ok);
        assert!(findings.is_empty());
    }

    #[test]
    fn uncorrected_ecc_is_critical() {
        let mut r = empty_report();
        r.edac = vec![mc(0, 1)];
        assert_eq!(statuses(&r), [Status::Critical]);
    }

    #[test]
    fn corrected_ecc_warns_only_at_the_threshold() {
        let mut r = empty_report();
        r.edac = vec![mc(99, 0)];
        assert!(statuses(&r).is_empty());
        r.edac = vec![mc(100, 0)];
        assert_eq!(statuses(&r), [Status::Warning]);
    }

    #[test]
    fn temperature_at_critical_is_critical_and_near_it_warns() {
        let mut r = empty_report();
        r.temperatures = vec![temp(100_000, Some(90_000), Some(100_000))];
        assert_eq!(statuses(&r), [Status::Critical]);
        r.temperatures = vec![temp(90_000, Some(90_000), Some(100_000))];
        assert_eq!(statuses(&r), [Status::Warning]);
        r.temperatures = vec![temp(96_000, None, Some(100_000))];
        assert_eq!(statuses(&r), [Status::Warning]);
        r.temperatures = vec![temp(60_000, Some(90_000), Some(100_000))];
        assert!(statuses(&r).is_empty());
        r.temperatures = vec![temp(60_000, Some(0), Some(0))];
        assert!(statuses(&r).is_empty());
    }

    #[test]
    fn low_available_memory_warns_then_goes_critical() {
        let mut r = empty_report();
        let gib = 1 << 30;
        r.memory = Memory {
            total_bytes: Some(100 * gib),
            available_bytes: Some(8 * gib),
            ..Memory::default()
        };
        assert_eq!(statuses(&r), [Status::Warning]);
        r.memory.available_bytes = Some(4 * gib);
        assert_eq!(statuses(&r), [Status::Critical]);
    }

    #[test]
    fn nearly_full_swap_warns() {
        let mut r = empty_report();
        r.memory =
            Memory { swap_total_bytes: Some(100), swap_free_bytes: Some(15), ..Memory::default() };
        assert_eq!(statuses(&r), [Status::Warning]);
        r.memory.swap_total_bytes = Some(0);
        assert!(statuses(&r).is_empty());
    }

    fn iface(operstate: &str, admin_up: bool, physical: bool) -> Interface {
        Interface {
            name: "eth0".into(),
            operstate: Some(operstate.into()),
            admin_up: Some(admin_up),
            speed_mbps: None,
            mtu: None,
            mac: None,
            physical,
            driver: None,
        }
    }

    #[test]
    fn a_configured_physical_link_that_is_down_warns() {
        let mut r = empty_report();
        r.network_interfaces = vec![iface("down", true, true)];
        assert_eq!(statuses(&r), [Status::Warning]);
        let strict = Thresholds { link_down_critical: true, ..Thresholds::default() };
        assert_eq!(overall(&evaluate(&r, &strict)), Status::Critical);
    }

    #[test]
    fn unused_ports_and_virtual_links_that_are_down_are_fine() {
        let mut r = empty_report();
        r.network_interfaces = vec![iface("down", false, true), iface("down", true, false)];
        assert!(statuses(&r).is_empty());
    }

    #[test]
    fn unreadable_files_are_unknown_but_real_problems_outrank_them() {
        let mut r = empty_report();
        r.warnings = vec![crate::root::Warning {
            path: "proc/meminfo".into(),
            reason: "symlink loop".into(),
        }];
        assert_eq!(overall(&evaluate(&r, &Thresholds::default())), Status::Unknown);
        r.edac = vec![mc(200, 0)];
        let findings = evaluate(&r, &Thresholds::default());
        assert_eq!(overall(&findings), Status::Warning);
        assert_eq!(findings[0].status, Status::Warning);
    }
}
