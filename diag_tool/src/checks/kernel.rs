//! Kernel rules: taint flags that mean hardware trouble, and every file the report could not
//! read, which makes the result UNKNOWN rather than OK.

use super::{Finding, Status, Thresholds};
use crate::report::Report;

pub fn taint(report: &Report, t: &Thresholds, findings: &mut Vec<Finding>) {
    let Some(taint) = &report.kernel_taint else {
        return;
    };
    let flagged: Vec<String> = taint
        .flags
        .iter()
        .filter(|f| t.taint_warn.contains(f.letter.as_str()))
        .map(|f| format!("{} ({})", f.letter, f.reason))
        .collect();
    if !flagged.is_empty() {
        findings.push(Finding::new(
            Status::Warning,
            format!("kernel tainted {} ({}): {}", taint.value, taint.letters(), flagged.join(", ")),
        ));
    }
}

pub fn unreadable_files(report: &Report, _: &Thresholds, findings: &mut Vec<Finding>) {
    for w in &report.warnings {
        findings.push(Finding::new(Status::Unknown, format!("{}: {}", w.path, w.reason)));
    }
}
