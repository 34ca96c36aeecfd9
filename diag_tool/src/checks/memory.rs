//! Memory rules: ECC errors per controller (naming the DIMM slots), memory taken offline,
//! low available memory, swap nearly full.

use super::{Finding, Status, Thresholds};
use crate::report::Report;
use crate::sources::edac::{Dimm, MemoryController};
use crate::units::{format_bytes, percent};

pub fn ecc(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    for mc in &report.edac {
        let name = match &mc.name {
            Some(n) => format!("{} ({n})", mc.controller),
            None => mc.controller.clone(),
        };
        if let Some(ue) = mc.uncorrected.filter(|&n| n > 0) {
            findings.push(Finding::new(
                Status::Critical,
                format!(
                    "memory controller {name}: {ue} uncorrected ECC errors{}",
                    on_dimms(mc, |d| d.uncorrected)
                ),
            ));
        }
        if let Some(ce) = mc.corrected.filter(|&n| n >= t.ecc_corrected_warn && n > 0) {
            findings.push(Finding::new(
                Status::Warning,
                format!(
                    "memory controller {name}: {ce} corrected ECC errors (threshold {}){}",
                    t.ecc_corrected_warn,
                    on_dimms(mc, |d| d.corrected)
                ),
            ));
        }
    }
}

/// The DIMMs carrying the errors, so that the finding names the slot to replace.
fn on_dimms(mc: &MemoryController, count: fn(&Dimm) -> Option<u64>) -> String {
    let dimms: Vec<String> = mc
        .dimms
        .iter()
        .filter_map(|d| count(d).filter(|&n| n > 0).map(|n| format!("{n} on {}", d.slot())))
        .collect();
    if dimms.is_empty() { String::new() } else { format!(": {}", dimms.join(", ")) }
}

pub fn corrupted(report: &Report, _: &Thresholds, findings: &mut Vec<Finding>) {
    if let Some(bad) = report.memory.hardware_corrupted_bytes.filter(|&b| b > 0) {
        findings.push(Finding::new(
            Status::Warning,
            format!("memory: {} taken out of service after hardware errors", format_bytes(bad)),
        ));
    }
}

pub fn available(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let m = &report.memory;
    let (Some(avail), Some(total)) = (m.available_bytes, m.total_bytes) else {
        return;
    };
    let Some(pct) = percent(avail, total) else {
        return;
    };
    let below = |pct, limit| pct < limit;
    if let Some((status, limit)) = level(pct, t.mem_available_crit, t.mem_available_warn, below) {
        findings.push(Finding::new(
            status,
            format!(
                "memory: {pct}% available ({} of {}), below {limit}%",
                format_bytes(avail),
                format_bytes(total)
            ),
        ));
    }
}

pub fn swap(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let m = &report.memory;
    let (Some(total), Some(free)) = (m.swap_total_bytes, m.swap_free_bytes) else {
        return;
    };
    let used = total.saturating_sub(free);
    let Some(pct) = percent(used, total) else {
        return;
    };
    let at_or_above = |pct, limit| pct >= limit;
    if let Some((status, limit)) = level(pct, t.swap_used_crit, t.swap_used_warn, at_or_above) {
        findings.push(Finding::new(
            status,
            format!(
                "swap: {pct}% used ({} of {}), at or above {limit}%",
                format_bytes(used),
                format_bytes(total)
            ),
        ));
    }
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
