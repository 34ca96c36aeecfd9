//! Network rule: a physical link that is down while the interface is configured up.

use super::{Finding, Status, Thresholds};
use crate::report::Report;

pub fn links(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let status = if t.link_down_critical { Status::Critical } else { Status::Warning };
    for iface in &report.network_interfaces {
        let down = matches!(iface.operstate.as_deref(), Some("down" | "lowerlayerdown"));
        // An interface the administrator left down is unused, not broken.
        if iface.physical && down && iface.admin_up != Some(false) {
            findings.push(Finding::new(
                status,
                format!(
                    "network {}: link is {} but the interface is configured up",
                    iface.name,
                    iface.operstate.as_deref().unwrap_or("down")
                ),
            ));
        }
    }
}
