//! Performance data for the first line of `check`, in the Monitoring Plugins format
//! (`'label'=value[UOM];[warn];[crit];[min];[max]`, development guidelines section 2.6).

use std::fmt;

use crate::check::Thresholds;
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

impl Perf {
    fn new(label: impl Into<String>, value: impl ToString, uom: &'static str) -> Perf {
        Perf {
            label: label.into(),
            value: value.to_string(),
            uom,
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }
}

impl fmt::Display for Perf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels are always quoted; a quote inside is doubled, as the guideline says.
        write!(
            f,
            "'{}'={}{}",
            self.label.replace('\'', "''"),
            self.value,
            self.uom
        )?;
        let fields = [&self.warn, &self.crit, &self.min, &self.max];
        let used = fields
            .iter()
            .rposition(|v| v.is_some())
            .map_or(0, |i| i + 1);
        for field in &fields[..used] {
            write!(f, ";{}", field.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}

/// Millidegrees as degrees with one decimal, truncated like the text report.
fn degrees(millicelsius: i64) -> String {
    let sign = if millicelsius < 0 { "-" } else { "" };
    let abs = millicelsius.unsigned_abs();
    format!("{sign}{}.{}", abs / 1000, abs % 1000 / 100)
}

/// Memory and swap use, the hottest temperature of each sensor chip against its limits,
/// ECC error counts per memory controller, AER error counts per PCIe device.
pub fn collect(report: &Report, t: &Thresholds) -> Vec<Perf> {
    let mut perf = Vec::new();
    let m = &report.memory;
    if let (Some(total), Some(avail)) = (m.total_bytes, m.available_bytes) {
        // The check alerts when available memory falls below a share: used above the rest.
        let limit = |pct: u8| (pct > 0).then(|| (total - total / 100 * u64::from(pct)).to_string());
        let mut p = Perf::new("memory_used", total.saturating_sub(avail), "B");
        p.warn = limit(t.mem_available_warn);
        p.crit = limit(t.mem_available_crit);
        p.min = Some("0".into());
        p.max = Some(total.to_string());
        perf.push(p);
    }
    if let (Some(total), Some(free)) = (m.swap_total_bytes, m.swap_free_bytes) {
        let limit =
            |pct: u8| (pct > 0 && total > 0).then(|| (total / 100 * u64::from(pct)).to_string());
        let mut p = Perf::new("swap_used", total.saturating_sub(free), "B");
        p.warn = limit(t.swap_used_warn);
        p.crit = limit(t.swap_used_crit);
        p.min = Some("0".into());
        p.max = Some(total.to_string());
        perf.push(p);
    }

    let margin = i64::from(t.temp_margin_celsius) * 1000;
    let mut chips: Vec<(String, &crate::thermal::Temperature)> = Vec::new();
    for temp in report
        .temperatures
        .iter()
        .filter(|t| t.millicelsius.is_some())
    {
        let chip = format!(
            "temp_{}_{}",
            temp.chip.as_deref().unwrap_or("sensor"),
            temp.device
        );
        match chips.iter_mut().find(|(c, _)| *c == chip) {
            Some((_, hottest)) if temp.millicelsius > hottest.millicelsius => *hottest = temp,
            Some(_) => {}
            None => chips.push((chip, temp)),
        }
    }
    for (label, temp) in chips {
        let crit = temp.crit_millicelsius.filter(|&c| c > 0);
        let max = temp.max_millicelsius.filter(|&c| c > 0);
        let warn = match (max, crit.map(|c| c - margin)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut p = Perf::new(label, degrees(temp.millicelsius.unwrap_or(0)), "");
        p.warn = warn.map(degrees);
        p.crit = crit.map(degrees);
        perf.push(p);
    }

    for mc in &report.edac {
        if let Some(ce) = mc.corrected {
            let mut p = Perf::new(format!("ecc_corrected_{}", mc.controller), ce, "c");
            p.warn = (t.ecc_corrected_warn > 0).then(|| (t.ecc_corrected_warn - 1).to_string());
            p.min = Some("0".into());
            perf.push(p);
        }
        if let Some(ue) = mc.uncorrected {
            let mut p = Perf::new(format!("ecc_uncorrected_{}", mc.controller), ue, "c");
            p.crit = Some("0".into());
            p.min = Some("0".into());
            perf.push(p);
        }
    }

    for dev in &report.pci_devices {
        let Some(aer) = &dev.aer else { continue };
        if let Some(ce) = aer.correctable {
            let mut p = Perf::new(format!("aer_correctable_{}", dev.address), ce, "c");
            p.warn = (t.aer_correctable_warn > 0).then(|| (t.aer_correctable_warn - 1).to_string());
            p.min = Some("0".into());
            perf.push(p);
        }
        if aer.nonfatal.is_some() || aer.fatal.is_some() {
            let uncorrectable = aer.nonfatal.unwrap_or(0) + aer.fatal.unwrap_or(0);
            let mut p = Perf::new(
                format!("aer_uncorrectable_{}", dev.address),
                uncorrectable,
                "c",
            );
            p.crit = Some("0".into());
            p.min = Some("0".into());
            perf.push(p);
        }
    }
    perf
}

/// The perfdata part of the status line: data separated by spaces.
pub fn render(perf: &[Perf]) -> String {
    perf.iter()
        .map(Perf::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_quoted_and_unused_trailing_fields_dropped() {
        let mut p = Perf::new("it's hot", "45.0", "");
        assert_eq!(p.to_string(), "'it''s hot'=45.0");
        p.crit = Some("100.0".into());
        assert_eq!(p.to_string(), "'it''s hot'=45.0;;100.0");
    }

    #[test]
    fn temperatures_keep_one_decimal_and_their_sign() {
        assert_eq!(degrees(84850), "84.8");
        assert_eq!(degrees(-5500), "-5.5");
    }
}
