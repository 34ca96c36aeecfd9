//! The report in the Prometheus text exposition format, named after Prometheus' naming rules
//! and node_exporter's conventions (base units, `_total` counters, `_info` gauges for strings).
//! What is exported is the metrics table; this file only spells it.

use std::fmt::Write as _;

use super::metrics::{self, Facts, Kind, Labels, Sample, Unit, Value};
use crate::checks::{Finding, Thresholds};
use crate::report::Report;

/// Every metric of the report, plus the status `check` gives with its default thresholds.
pub fn render(report: &Report, findings: &[Finding]) -> String {
    let thresholds = Thresholds::default();
    let facts = Facts { report, findings, thresholds: &thresholds };
    let mut exposition = Exposition::default();
    metrics::walk(&facts, &mut |sample| {
        if sample.prometheus {
            exposition.push(sample);
        }
    });
    exposition.render()
}

/// One metric family: HELP and TYPE once, then its samples.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    samples: Vec<(Labels, String)>,
}

/// Families in the order they first appear.
#[derive(Default)]
struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    fn push(&mut self, sample: Sample) {
        let i = match self.families.iter().position(|f| f.name == sample.name) {
            Some(i) => i,
            None => {
                self.families.push(Family {
                    name: sample.name,
                    help: sample.help,
                    kind: sample.kind,
                    samples: Vec::new(),
                });
                self.families.len() - 1
            }
        };
        let value = format_value(sample.unit, sample.value);
        self.families[i].samples.push((sample.labels, value));
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.families {
            let kind = match f.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
            let _ = writeln!(out, "# TYPE {} {kind}", f.name);
            for (labels, value) in &f.samples {
                out.push_str(f.name);
                if !labels.is_empty() {
                    let labels: Vec<String> =
                        labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
                    let _ = write!(out, "{{{}}}", labels.join(","));
                }
                let _ = writeln!(out, " {value}");
            }
        }
        out
    }
}

/// Base units: degrees rather than millidegrees, ratios rather than percentages.
fn format_value(unit: Unit, value: Value) -> String {
    match (unit, value) {
        (Unit::Millicelsius, Value::Int(v)) => milli(v),
        (Unit::Percent, Value::Float(pct)) => format!("{:.4}", pct / 100.0),
        (_, Value::Int(v)) => v.to_string(),
        (_, Value::Float(v)) => v.to_string(),
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Thousandths as a decimal without trailing zeros: 45500 is `45.5`.
fn milli(value: i128) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let frac = format!("{:03}", abs % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{}", abs / 1000)
    } else {
        format!("{sign}{}.{frac}", abs / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_quotes_backslashes_and_newlines() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn thousandths_print_without_trailing_zeros() {
        assert_eq!(milli(45000), "45");
        assert_eq!(milli(84850), "84.85");
        assert_eq!(milli(-5500), "-5.5");
    }

    #[test]
    fn samples_of_one_family_print_together_in_first_appearance_order() {
        let sample = |name, labels: Labels, value: u64| Sample {
            name,
            help: "Help.",
            kind: Kind::Gauge,
            unit: Unit::Number,
            labels,
            value: value.into(),
            prometheus: true,
            perfdata: None,
        };
        let mut e = Exposition::default();
        e.push(sample("diag_b", vec![("a", "x".into())], 1));
        e.push(sample("diag_a", vec![], 2));
        e.push(sample("diag_b", vec![("a", "y".into())], 3));
        assert_eq!(
            e.render(),
            "# HELP diag_b Help.\n# TYPE diag_b gauge\ndiag_b{a=\"x\"} 1\ndiag_b{a=\"y\"} 3\n\
             # HELP diag_a Help.\n# TYPE diag_a gauge\ndiag_a 2\n"
        );
    }
}
