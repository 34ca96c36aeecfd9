//! Cooling rules: temperatures against their limits, fans that stopped or slowed, CPU
//! packages that were thermally throttled.

use super::{Finding, Status, Thresholds};
use crate::report::Report;
use crate::units::format_temp;

pub fn temperatures(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let margin = i64::from(t.temp_margin_celsius) * 1000;
    for temp in &report.temperatures {
        let Some(now) = temp.millicelsius else {
            continue;
        };
        // Zero or negative limits are unset values some drivers print.
        let crit = temp.crit_millicelsius.filter(|&c| c > 0);
        let max = temp.max_millicelsius.filter(|&c| c > 0);
        let name = format!("{} ({}/{})", temp.name(), temp.device, temp.sensor);
        let (status, message) = if let Some(crit) = crit.filter(|&c| now >= c) {
            let limit = format_temp(crit);
            (Status::Critical, format!("at or above critical {limit}"))
        } else if let Some(max) = max.filter(|&m| now >= m) {
            (Status::Warning, format!("at or above max {}", format_temp(max)))
        } else if let Some(crit) = crit.filter(|&c| now >= c - margin) {
            let within = t.temp_margin_celsius;
            let limit = format_temp(crit);
            (Status::Warning, format!("within {within} °C of critical {limit}"))
        } else {
            continue;
        };
        let now = format_temp(now);
        findings.push(Finding::new(status, format!("temperature {name}: {now} {message}")));
    }
}

pub fn fans(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    for fan in &report.fans {
        let name = format!("{} ({}/{})", fan.name(), fan.device, fan.sensor);
        let slow = fan
            .rpm
            .filter(|&r| r < t.fan_min_rpm)
            .map(|r| format!("{r} RPM, below {} RPM", t.fan_min_rpm));
        if let Some(problem) = fan.problem().or(slow) {
            findings.push(Finding::new(Status::Critical, format!("fan {name}: {problem}")));
        }
    }
}

pub fn throttling(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    for p in &report.thermal_throttling {
        let worst = p.package_throttle_count.max(p.core_throttle_count).unwrap_or(0);
        if worst > 0 && worst >= t.throttle_warn {
            findings.push(Finding::new(
                Status::Warning,
                format!(
                    "CPU package {}: thermally throttled {} times since boot, {} of its CPUs up to {} times (threshold {})",
                    p.package,
                    p.package_throttle_count.unwrap_or(0),
                    p.cpus_throttled,
                    p.core_throttle_count.unwrap_or(0),
                    t.throttle_warn
                ),
            ));
        }
    }
}
