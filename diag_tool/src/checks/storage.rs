//! Storage rules: read-only disks, degraded or rebuilding MD arrays, NVMe controllers that are
//! not live.

use super::{Finding, Status, Thresholds};
use crate::report::Report;

pub fn read_only_disks(report: &Report, _: &Thresholds, findings: &mut Vec<Finding>) {
    for dev in &report.block_devices {
        if dev.read_only == Some(true) && dev.removable != Some(true) && !dev.is_virtual {
            findings.push(Finding::new(Status::Warning, format!("disk {}: read-only", dev.name)));
        }
    }
}

pub fn md_arrays(report: &Report, _: &Thresholds, findings: &mut Vec<Finding>) {
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
            findings.push(Finding::new(
                Status::Critical,
                format!("md {name}: degraded{working}{failed}"),
            ));
        }
        // `check` and `repair` are scheduled scrubs (Debian runs one monthly), not repairs.
        if let Some(action) =
            array.sync_action.as_deref().filter(|a| matches!(*a, "resync" | "recovery" | "reshape"))
        {
            let progress = match (array.sync_percent, &array.sync_waiting) {
                (Some(p), _) => format!("{p:.1}% done"),
                (None, Some(w)) => w.to_lowercase(),
                (None, None) => "in progress".to_string(),
            };
            findings.push(Finding::new(Status::Warning, format!("md {name}: {action} {progress}")));
        }
    }
}

pub fn nvme(report: &Report, _: &Thresholds, findings: &mut Vec<Finding>) {
    for c in &report.nvme_controllers {
        if c.state.is_some() && !c.is_live() {
            let mut what: Vec<&str> = Vec::new();
            what.extend(c.model.as_deref());
            let serial = c.serial.as_ref().map(|s| format!("serial {s}"));
            what.extend(serial.as_deref());
            findings.push(Finding::new(
                Status::Critical,
                format!(
                    "NVMe {} ({}): controller state is {}, not live",
                    c.name,
                    what.join(", "),
                    c.state.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    }
}
