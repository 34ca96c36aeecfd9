//! `check`'s output in the Monitoring Plugins format: a status line with the performance data
//! (`'label'=value[UOM];[warn];[crit];[min];[max]`, development guidelines section 2.6) after
//! a `|`, then one line per finding. Which data there are is the metrics table's perfdata rows.

use std::fmt::{self, Write as _};

use super::metrics::{self, Facts, Kind, Unit, Value};
use crate::checks::{Finding, Status, Thresholds, overall};
use crate::report::Report;

/// One performance datum. Values and limits are kept as the text to print: the guideline's
/// `[-0-9.]` numbers, and ranges for warn and crit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perf {
    pub label: String,
    pub value: String,
    /// `""`, `s`, `%`, `B` or `c`: the guideline's units.
    pub uom: &'static str,
    pub warn: Option<String>,
    pub crit: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

impl fmt::Display for Perf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels are always quoted; a quote inside is doubled, as the guideline says.
        write!(f, "'{}'={}{}", self.label.replace('\'', "''"), self.value, self.uom)?;
        let fields = [&self.warn, &self.crit, &self.min, &self.max];
        let used = fields.iter().rposition(|v| v.is_some()).map_or(0, |i| i + 1);
        for field in &fields[..used] {
            write!(f, ";{}", field.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}

/// Memory and swap use, the hottest temperature of each sensor chip against its limits,
/// ECC error counts per memory controller, AER error counts per PCIe device.
pub fn collect(report: &Report, thresholds: &Thresholds) -> Vec<Perf> {
    let facts = Facts { report, findings: &[], thresholds };
    let mut perf = Vec::new();
    metrics::walk(&facts, &mut |sample| {
        let Some((label, limits)) = sample.perfdata else {
            return;
        };
        let number = |v: Value| format_value(sample.unit, v);
        perf.push(Perf {
            label,
            value: number(sample.value),
            uom: match (sample.unit, sample.kind) {
                (Unit::Bytes, _) => "B",
                (_, Kind::Counter) => "c",
                _ => "",
            },
            warn: limits.warn.map(number),
            crit: limits.crit.map(number),
            min: limits.min.map(number),
            max: limits.max.map(number),
        });
    });
    perf
}

/// Degrees with one decimal, truncated like the text report; other values as they are.
fn format_value(unit: Unit, value: Value) -> String {
    match (unit, value) {
        (Unit::Millicelsius, Value::Int(v)) => degrees(v),
        (_, Value::Int(v)) => v.to_string(),
        (_, Value::Float(v)) => v.to_string(),
    }
}

fn degrees(millicelsius: i128) -> String {
    let sign = if millicelsius < 0 { "-" } else { "" };
    let abs = millicelsius.unsigned_abs();
    format!("{sign}{}.{}", abs / 1000, abs % 1000 / 100)
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
        let data: Vec<String> = perf.iter().map(Perf::to_string).collect();
        out.push_str(" | ");
        out.push_str(&data.join(" "));
    }
    out.push('\n');
    for f in findings {
        let _ = writeln!(out, "{}: {}", f.status.label(), f.message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_quoted_and_unused_trailing_fields_dropped() {
        let mut p = Perf {
            label: "it's hot".into(),
            value: "45.0".into(),
            uom: "",
            warn: None,
            crit: None,
            min: None,
            max: None,
        };
        assert_eq!(p.to_string(), "'it''s hot'=45.0");
        p.crit = Some("100.0".into());
        assert_eq!(p.to_string(), "'it''s hot'=45.0;;100.0");
    }

    #[test]
    fn temperatures_keep_one_decimal_and_their_sign() {
        assert_eq!(degrees(84850), "84.8");
        assert_eq!(degrees(-5500), "-5.5");
    }

    #[test]
    fn a_machine_with_nothing_to_report_is_ok_without_perfdata() {
        assert_eq!(render(&[], &[]), "DIAG OK - 0 critical, 0 warning, 0 unknown\n");
    }
}
