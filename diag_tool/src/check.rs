//! Health checks over a [`Report`], with monitoring-plugin statuses.

use std::fmt::Write as _;

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
        if let Some(ue) = mc.uncorrected.filter(|&n| n > 0) {
            add(
                Status::Critical,
                format!("memory controller {name}: {ue} uncorrected ECC errors"),
            );
        }
        if let Some(ce) = mc.corrected.filter(|&n| n >= t.ecc_corrected_warn && n > 0) {
            add(
                Status::Warning,
                format!(
                    "memory controller {name}: {ce} corrected ECC errors (threshold {})",
                    t.ecc_corrected_warn
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

    for w in &report.warnings {
        add(Status::Unknown, format!("{}: {}", w.path, w.reason));
    }

    findings.sort_by_key(|f| std::cmp::Reverse(f.status.rank()));
    findings
}

pub fn overall(findings: &[Finding]) -> Status {
    findings
        .iter()
        .map(|f| f.status)
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::Ok)
}

/// Summary line first, as monitoring plugins print it, then one line per finding.
pub fn render(findings: &[Finding]) -> String {
    let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
    let mut out = format!(
        "DIAG {} - {} critical, {} warning, {} unknown\n",
        overall(findings).label(),
        count(Status::Critical),
        count(Status::Warning),
        count(Status::Unknown)
    );
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
            render(&findings),
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
