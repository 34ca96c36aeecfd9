//! Health checks over a [`Report`], with monitoring-plugin statuses.

use std::fmt::Write as _;

use crate::pci::{PciDevice, format_speed};
use crate::perfdata::Perf;
use crate::report::{Report, format_bytes, format_temp, percent, sensor_name};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Corrected ECC errors on one controller at which to warn.
    pub ecc_corrected_warn: u64,
    /// Warn when a temperature is this close to its critical point, degrees Celsius.
    pub temp_margin_celsius: u32,
    /// Available memory below this percentage of the total: warning.
    pub mem_available_warn: u8,
    /// Available memory below this percentage of the total: critical.
    pub mem_available_crit: u8,
    /// Swap used at or above this percentage: warning.
    pub swap_used_warn: u8,
    /// Swap used at or above this percentage: critical.
    pub swap_used_crit: u8,
    /// Report a physical link that is down as critical instead of warning.
    pub link_down_critical: bool,
    /// Correctable PCIe AER errors on one device at which to warn.
    pub aer_correctable_warn: u64,
    /// Report a PCIe link trained below its capability as critical instead of warning.
    pub pcie_link_critical: bool,
    /// Thermal throttling events (package, or the most on one CPU) at which to warn.
    pub throttle_warn: u64,
    /// A fan slower than this is critical (0: only stopped, alarmed or under its own minimum).
    pub fan_min_rpm: u64,
    /// Taint letters that warn: machine checks and bad pages by default.
    pub taint_warn: String,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            ecc_corrected_warn: 100,
            temp_margin_celsius: 5,
            mem_available_warn: 10,
            mem_available_crit: 5,
            swap_used_warn: 80,
            swap_used_crit: 95,
            link_down_critical: false,
            aer_correctable_warn: 10,
            pcie_link_critical: false,
            throttle_warn: 100,
            fan_min_rpm: 0,
            taint_warn: "MB".to_string(),
        }
    }
}

pub fn evaluate(report: &Report, t: &Thresholds) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut add = |status, message: String| findings.push(Finding { status, message });

    for mc in &report.edac {
        let name = match &mc.name {
            Some(n) => format!("{} ({n})", mc.controller),
            None => mc.controller.clone(),
        };
        // The DIMMs carrying the errors, so that the finding names the slot to replace.
        let on_dimms = |count: fn(&crate::edac::Dimm) -> Option<u64>| {
            let dimms: Vec<String> = mc
                .dimms
                .iter()
                .filter_map(|d| {
                    count(d)
                        .filter(|&n| n > 0)
                        .map(|n| format!("{n} on {}", d.slot()))
                })
                .collect();
            if dimms.is_empty() {
                String::new()
            } else {
                format!(": {}", dimms.join(", "))
            }
        };
        if let Some(ue) = mc.uncorrected.filter(|&n| n > 0) {
            add(
                Status::Critical,
                format!(
                    "memory controller {name}: {ue} uncorrected ECC errors{}",
                    on_dimms(|d| d.uncorrected)
                ),
            );
        }
        if let Some(ce) = mc.corrected.filter(|&n| n >= t.ecc_corrected_warn && n > 0) {
            add(
                Status::Warning,
                format!(
                    "memory controller {name}: {ce} corrected ECC errors (threshold {}){}",
                    t.ecc_corrected_warn,
                    on_dimms(|d| d.corrected)
                ),
            );
        }
    }

    let m = &report.memory;
    if let Some(bad) = m.hardware_corrupted_bytes.filter(|&b| b > 0) {
        add(
            Status::Warning,
            format!(
                "memory: {} taken out of service after hardware errors",
                format_bytes(bad)
            ),
        );
    }
    if let (Some(avail), Some(total)) = (m.available_bytes, m.total_bytes) {
        if let Some(pct) = percent(avail, total) {
            let below = |pct, limit| pct < limit;
            if let Some((status, limit)) =
                level(pct, t.mem_available_crit, t.mem_available_warn, below)
            {
                add(
                    status,
                    format!(
                        "memory: {pct}% available ({} of {}), below {limit}%",
                        format_bytes(avail),
                        format_bytes(total)
                    ),
                );
            }
        }
    }
    if let (Some(total), Some(free)) = (m.swap_total_bytes, m.swap_free_bytes) {
        let used = total.saturating_sub(free);
        if let Some(pct) = percent(used, total) {
            let at_or_above = |pct, limit| pct >= limit;
            if let Some((status, limit)) =
                level(pct, t.swap_used_crit, t.swap_used_warn, at_or_above)
            {
                add(
                    status,
                    format!(
                        "swap: {pct}% used ({} of {}), at or above {limit}%",
                        format_bytes(used),
                        format_bytes(total)
                    ),
                );
            }
        }
    }

    let margin = i64::from(t.temp_margin_celsius) * 1000;
    for temp in &report.temperatures {
        let Some(now) = temp.millicelsius else {
            continue;
        };
        // Zero or negative limits are unset values some drivers print.
        let crit = temp.crit_millicelsius.filter(|&c| c > 0);
        let max = temp.max_millicelsius.filter(|&c| c > 0);
        let name = format!("{} ({}/{})", sensor_name(temp), temp.device, temp.sensor);
        if let Some(crit) = crit.filter(|&c| now >= c) {
            add(
                Status::Critical,
                format!(
                    "temperature {name}: {} at or above critical {}",
                    format_temp(now),
                    format_temp(crit)
                ),
            );
        } else if let Some(max) = max.filter(|&m| now >= m) {
            add(
                Status::Warning,
                format!(
                    "temperature {name}: {} at or above max {}",
                    format_temp(now),
                    format_temp(max)
                ),
            );
        } else if let Some(crit) = crit.filter(|&c| now >= c - margin) {
            add(
                Status::Warning,
                format!(
                    "temperature {name}: {} within {} °C of critical {}",
                    format_temp(now),
                    t.temp_margin_celsius,
                    format_temp(crit)
                ),
            );
        }
    }

    for dev in &report.block_devices {
        if dev.read_only == Some(true) && dev.removable != Some(true) && !dev.is_virtual {
            add(Status::Warning, format!("disk {}: read-only", dev.name));
        }
    }

    let link_status = if t.link_down_critical {
        Status::Critical
    } else {
        Status::Warning
    };
    for iface in &report.network_interfaces {
        let down = matches!(iface.operstate.as_deref(), Some("down" | "lowerlayerdown"));
        // An interface the administrator left down is unused, not broken.
        if iface.physical && down && iface.admin_up != Some(false) {
            add(
                link_status,
                format!(
                    "network {}: link is {} but the interface is configured up",
                    iface.name,
                    iface.operstate.as_deref().unwrap_or("down")
                ),
            );
        }
    }

    for fan in &report.fans {
        let name = format!(
            "{}{} ({}/{})",
            fan.chip.as_deref().unwrap_or(&fan.device),
            fan.label
                .as_ref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default(),
            fan.device,
            fan.sensor
        );
        let slow = fan
            .rpm
            .filter(|&r| r < t.fan_min_rpm)
            .map(|r| format!("{r} RPM, below {} RPM", t.fan_min_rpm));
        if let Some(problem) = fan.problem().or(slow) {
            add(Status::Critical, format!("fan {name}: {problem}"));
        }
    }

    for p in &report.thermal_throttling {
        let worst = p
            .package_throttle_count
            .max(p.core_throttle_count)
            .unwrap_or(0);
        if worst > 0 && worst >= t.throttle_warn {
            add(
                Status::Warning,
                format!(
                    "CPU package {}: thermally throttled {} times since boot, {} of its CPUs up to {} times (threshold {})",
                    p.package,
                    p.package_throttle_count.unwrap_or(0),
                    p.cpus_throttled,
                    p.core_throttle_count.unwrap_or(0),
                    t.throttle_warn
                ),
            );
        }
    }

    for array in &report.md_arrays {
        let name = match &array.level {
            Some(level) => format!("{} ({level})", array.name),
            None => array.name.clone(),
        };
        if array.is_degraded() {
            let failed = if array.failed_devices.is_empty() {
                String::new()
            } else {
                format!(", failed: {}", array.failed_devices.join(", "))
            };
            let working = match (array.active_disks, array.raid_disks) {
                (Some(m), Some(n)) => format!(", {m} of {n} members working"),
                _ => String::new(),
            };
            add(
                Status::Critical,
                format!("md {name}: degraded{working}{failed}"),
            );
        }
        // `check` and `repair` are scheduled scrubs (Debian runs one monthly), not repairs.
        if let Some(action) = array
            .sync_action
            .as_deref()
            .filter(|a| matches!(*a, "resync" | "recovery" | "reshape"))
        {
            let progress = match (array.sync_percent, &array.sync_waiting) {
                (Some(p), _) => format!("{p:.1}% done"),
                (None, Some(w)) => w.to_lowercase(),
                (None, None) => "in progress".to_string(),
            };
            add(Status::Warning, format!("md {name}: {action} {progress}"));
        }
    }

    for c in &report.nvme_controllers {
        if c.state.is_some() && !c.is_live() {
            let mut what: Vec<&str> = Vec::new();
            what.extend(c.model.as_deref());
            let serial = c.serial.as_ref().map(|s| format!("serial {s}"));
            what.extend(serial.as_deref());
            add(
                Status::Critical,
                format!(
                    "NVMe {} ({}): controller state is {}, not live",
                    c.name,
                    what.join(", "),
                    c.state.as_deref().unwrap_or("unknown")
                ),
            );
        }
    }

    let link_status = if t.pcie_link_critical {
        Status::Critical
    } else {
        Status::Warning
    };
    for dev in &report.pci_devices {
        let name = pci_name(dev);
        if let Some(aer) = &dev.aer {
            let kinds = |kinds: &[String]| {
                if kinds.is_empty() {
                    String::new()
                } else {
                    format!(": {}", kinds.join(", "))
                }
            };
            let fatal = aer.fatal.unwrap_or(0);
            let nonfatal = aer.nonfatal.unwrap_or(0);
            if fatal > 0 || nonfatal > 0 {
                add(
                    Status::Critical,
                    format!(
                        "PCIe {name}: {} uncorrectable AER errors ({fatal} fatal, {nonfatal} non-fatal{})",
                        fatal + nonfatal,
                        kinds(&aer.uncorrectable_kinds)
                    ),
                );
            }
            if let Some(ce) = aer
                .correctable
                .filter(|&n| n > 0 && n >= t.aer_correctable_warn)
            {
                add(
                    Status::Warning,
                    format!(
                        "PCIe {name}: {ce} correctable AER errors (threshold {}{})",
                        t.aer_correctable_warn,
                        kinds(&aer.correctable_kinds)
                    ),
                );
            }
        }
        if let Some(message) = link_below_capability(dev) {
            add(link_status, format!("PCIe {name}: {message}"));
        }
    }

    if let Some(taint) = &report.kernel_taint {
        let flagged: Vec<String> = taint
            .flags
            .iter()
            .filter(|f| t.taint_warn.contains(f.letter.as_str()))
            .map(|f| format!("{} ({})", f.letter, f.reason))
            .collect();
        if !flagged.is_empty() {
            add(
                Status::Warning,
                format!(
                    "kernel tainted {} ({}): {}",
                    taint.value,
                    taint.letters(),
                    flagged.join(", ")
                ),
            );
        }
    }

    for w in &report.warnings {
        add(Status::Unknown, format!("{}: {}", w.path, w.reason));
    }

    findings.sort_by_key(|f| std::cmp::Reverse(f.status.rank()));
    findings
}

/// `0000:18:00.0 (Mellanox Ethernet controller, mlx5_core)`.
fn pci_name(dev: &PciDevice) -> String {
    let mut what: Vec<&str> = Vec::new();
    what.extend(dev.vendor.as_deref());
    what.extend(dev.class_name.as_deref());
    let what = what.join(" ");
    match (what.is_empty(), &dev.driver) {
        (false, Some(d)) => format!("{} ({what}, {d})", dev.address),
        (false, None) => format!("{} ({what})", dev.address),
        (true, Some(d)) => format!("{} ({d})", dev.address),
        (true, None) => dev.address.clone(),
    }
}

/// A link narrower or slower than both of its ends support. Bridges are left out: a port's
/// own maximum is judged from the device below it. Graphics devices lower their link speed
/// to save power when idle, so only their width counts.
fn link_below_capability(dev: &PciDevice) -> Option<String> {
    let link = dev.link.as_ref()?;
    let class = dev.class.as_deref().unwrap_or("");
    if class.starts_with("06") {
        return None;
    }
    let (speed, width) = (link.current_speed_mts?, link.current_width?);
    let (max_speed, max_width) = link.capable();
    let (max_speed, max_width) = (max_speed.unwrap_or(speed), max_width.unwrap_or(width));
    let slow = speed < max_speed && !class.starts_with("03");
    (width < max_width || slow).then(|| {
        format!(
            "link trained to x{width} at {}, capable of x{max_width} at {}",
            format_speed(speed),
            format_speed(max_speed)
        )
    })
}

pub fn overall(findings: &[Finding]) -> Status {
    findings
        .iter()
        .map(|f| f.status)
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::Ok)
}

/// Summary line first, as monitoring plugins print it, with the performance data after a
/// `|`; then one line per finding.
pub fn render(findings: &[Finding], perf: &[Perf]) -> String {
    let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
    let mut out = format!(
        "DIAG {} - {} critical, {} warning, {} unknown",
        overall(findings).label(),
        count(Status::Critical),
        count(Status::Warning),
        count(Status::Unknown)
    );
    if !perf.is_empty() {
        out.push_str(" | ");
        out.push_str(&crate::perfdata::render(perf));
    }
    out.push('\n');
    for f in findings {
        let _ = writeln!(out, "{}: {}", f.status.label(), f.message);
    }
    out
}

/// The status of a percentage against a critical and a warning limit, with the limit it
/// crossed; `crosses(pct, limit)` says on which side of a limit trouble lies.
fn level(pct: u64, crit: u8, warn: u8, crosses: fn(u64, u64) -> bool) -> Option<(Status, u8)> {
    if crosses(pct, crit.into()) {
        Some((Status::Critical, crit))
    } else if crosses(pct, warn.into()) {
        Some((Status::Warning, warn))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edac::MemoryController;
    use crate::memory::Memory;
    use crate::net::Interface;
    use crate::report::collect;
    use crate::thermal::Temperature;
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
            link: Some(crate::pci::PcieLink {
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
            findings[0]
                .message
                .ends_with("x4 at 8.0 GT/s, capable of x8 at 8.0 GT/s"),
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
        dev.aer = Some(crate::pci::AerCounters {
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
        r.kernel_taint = Some(crate::taint::parse_tainted("4096").unwrap());
        assert!(statuses(&r).is_empty());
        r.kernel_taint = Some(crate::taint::parse_tainted("4112").unwrap());
        assert_eq!(statuses(&r), [Status::Warning]);
    }

    #[test]
    fn a_degraded_md_array_is_critical_and_a_recovery_warns() {
        let mut r = empty_report();
        let (arrays, _) = crate::md::parse_mdstat(
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
        assert!(
            findings[0].message.contains("failed: sde1"),
            "{}",
            findings[0].message
        );
        assert!(
            findings[1].message.contains("recovery 8.5% done"),
            "{}",
            findings[1].message
        );
    }

    #[test]
    fn an_nvme_controller_that_is_not_live_is_critical() {
        let mut r = empty_report();
        let mut c = crate::nvme::NvmeController {
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
        evaluate(report, &Thresholds::default())
            .iter()
            .map(|f| f.status)
            .collect()
    }

    #[test]
    fn a_machine_with_nothing_to_read_is_ok() {
        let findings = evaluate(&empty_report(), &Thresholds::default());
        assert_eq!(overall(&findings), Status::Ok);
        assert_eq!(
            render(&findings, &[]),
            "DIAG OK - 0 critical, 0 warning, 0 unknown\n"
        );
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
        r.memory = Memory {
            swap_total_bytes: Some(100),
            swap_free_bytes: Some(15),
            ..Memory::default()
        };
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
        let strict = Thresholds {
            link_down_critical: true,
            ..Thresholds::default()
        };
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
        assert_eq!(
            overall(&evaluate(&r, &Thresholds::default())),
            Status::Unknown
        );
        r.edac = vec![mc(200, 0)];
        let findings = evaluate(&r, &Thresholds::default());
        assert_eq!(overall(&findings), Status::Warning);
        assert_eq!(findings[0].status, Status::Warning);
    }
}
