//! PCIe rules: AER errors a device logged, and a link trained below what both its ends
//! support.

use super::{Finding, Status, Thresholds};
use crate::report::Report;
use crate::sources::pci::{AerCounters, PciDevice, format_speed};

/// Per device: its AER findings, then its link's.
pub fn devices(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let link_status = if t.pcie_link_critical { Status::Critical } else { Status::Warning };
    for dev in &report.pci_devices {
        let name = pci_name(dev);
        if let Some(aer) = &dev.aer {
            aer_errors(&name, aer, t, findings);
        }
        if let Some(message) = link_below_capability(dev) {
            findings.push(Finding::new(link_status, format!("PCIe {name}: {message}")));
        }
    }
}

fn aer_errors(name: &str, aer: &AerCounters, t: &Thresholds, findings: &mut Vec<Finding>) {
    let kinds = |kinds: &[String]| {
        if kinds.is_empty() { String::new() } else { format!(": {}", kinds.join(", ")) }
    };
    let fatal = aer.fatal.unwrap_or(0);
    let nonfatal = aer.nonfatal.unwrap_or(0);
    if fatal > 0 || nonfatal > 0 {
        findings.push(Finding::new(
            Status::Critical,
            format!(
                "PCIe {name}: {} uncorrectable AER errors ({fatal} fatal, {nonfatal} non-fatal{})",
                fatal + nonfatal,
                kinds(&aer.uncorrectable_kinds)
            ),
        ));
    }
    if let Some(ce) = aer.correctable.filter(|&n| n > 0 && n >= t.aer_correctable_warn) {
        findings.push(Finding::new(
            Status::Warning,
            format!(
                "PCIe {name}: {ce} correctable AER errors (threshold {}{})",
                t.aer_correctable_warn,
                kinds(&aer.correctable_kinds)
            ),
        ));
    }
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
