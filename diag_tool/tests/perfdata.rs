//! `check`'s perfdata read back with a parser written from the Monitoring Plugins development
//! guidelines (2.6 performance data, 2.5 ranges).

// The grammar: `'label'=value[UOM];[warn];[crit];[min];[max]`, space separated; labels quoted
// with `'`, a quote inside doubled; value/min/max in `[-0-9.]`; warn/crit in the range format;
// UOM one of none, s/ms/us, %, B/KB/MB/GB/TB, c.

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq)]
struct Datum {
    label: String,
    value: f64,
    uom: String,
    warn: Option<String>,
    crit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
}

const UOMS: &[&str] = &["", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"];

fn number(text: &str) -> Result<f64, String> {
    if text.is_empty() || !text.bytes().all(|c| c == b'-' || c == b'.' || c.is_ascii_digit()) {
        return Err(format!("{text:?} is not in [-0-9.]"));
    }
    text.parse().map_err(|_| format!("{text:?} is not a number"))
}

/// Range format: `[@][start:]end`, start `~` for minus infinity, end empty for infinity.
fn range(text: &str) -> Result<(), String> {
    let body = text.strip_prefix('@').unwrap_or(text);
    let (start, end) = match body.split_once(':') {
        Some((s, e)) => (Some(s), e),
        None => (None, body),
    };
    let start = match start {
        Some("~") | None => None,
        Some(s) => Some(number(s)?),
    };
    let end = if end.is_empty() && start.is_some() { None } else { Some(number(end)?) };
    match (start, end) {
        (Some(s), Some(e)) if s > e => Err(format!("range {text:?} has start above end")),
        _ => Ok(()),
    }
}

fn parse_perfdata(text: &str) -> Result<Vec<Datum>, String> {
    let mut data = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let label;
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '\'')) if quoted[i + 1..].starts_with('\'') => {
                        out.push('\'');
                        chars.next();
                    }
                    Some((i, '\'')) => break i + 1,
                    Some((_, c)) => out.push(c),
                    None => return Err(format!("unterminated label in {rest:?}")),
                }
            };
            label = out;
            rest = &quoted[end..];
        } else {
            let end = rest.find('=').ok_or_else(|| format!("no '=' in {rest:?}"))?;
            label = rest[..end].to_string();
            if label.contains(' ') || label.contains('\'') {
                return Err(format!("label {label:?} needs quotes"));
            }
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('=').ok_or_else(|| format!("no '=' after label {label:?}"))?;
        let end = rest.find(' ').unwrap_or(rest.len());
        let (item, tail) = rest.split_at(end);
        rest = tail.trim_start();
        let fields: Vec<&str> = item.split(';').collect();
        if fields.len() > 5 {
            return Err(format!("{label}: more than five fields in {item:?}"));
        }
        let digits = fields[0]
            .find(|c: char| !(c == '-' || c == '.' || c.is_ascii_digit()))
            .unwrap_or(fields[0].len());
        let (value, uom) = fields[0].split_at(digits);
        if !UOMS.contains(&uom) {
            return Err(format!("{label}: unit {uom:?} is not one of the guideline's"));
        }
        let field = |i: usize| fields.get(i).copied().filter(|f| !f.is_empty());
        for threshold in [field(1), field(2)].into_iter().flatten() {
            range(threshold).map_err(|e| format!("{label}: {e}"))?;
        }
        data.push(Datum {
            label,
            value: number(value)?,
            uom: uom.to_string(),
            warn: field(1).map(str::to_string),
            crit: field(2).map(str::to_string),
            min: field(3).map(number).transpose()?,
            max: field(4).map(number).transpose()?,
        });
    }
    Ok(data)
}

fn machines() -> Vec<PathBuf> {
    let area = Path::new(env!("CARGO_MANIFEST_DIR")).join("../TestArea");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(area)
        .expect("TestArea")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn first_line(machine: &Path) -> String {
    let mut out = Vec::new();
    let root = machine.to_str().expect("UTF-8 path");
    diag_tool::run(["diag_tool", "check", "--root", root], &mut out);
    let text = String::from_utf8(out).expect("UTF-8");
    text.lines().next().expect("a status line").to_string()
}

fn perfdata_of(machine: &str) -> Vec<Datum> {
    let area = Path::new(env!("CARGO_MANIFEST_DIR")).join("../TestArea");
    let line = first_line(&area.join(machine));
    let (_, perf) = line.split_once('|').expect("perfdata after '|'");
    parse_perfdata(perf).unwrap_or_else(|e| panic!("{machine}: {e}\n{line}"))
}

#[test]
fn every_fixture_prints_perfdata_the_guideline_grammar_accepts() {
    for machine in machines() {
        let line = first_line(&machine);
        let Some((status, perf)) = line.split_once(" | ") else {
            panic!("{}: no perfdata in {line:?}", machine.display());
        };
        assert!(status.starts_with("DIAG "), "{status}");
        assert!(!status.contains('|'));
        let data = parse_perfdata(perf).unwrap_or_else(|e| panic!("{}: {e}", machine.display()));
        assert!(!data.is_empty());
        let mut labels: Vec<&str> = data.iter().map(|d| d.label.as_str()).collect();
        labels.sort();
        let count = labels.len();
        labels.dedup();
        assert_eq!(labels.len(), count, "labels repeat on {}", machine.display());
    }
}

#[test]
fn memory_swap_temperature_ecc_and_aer_have_units_and_limits() {
    let data = perfdata_of("x86_64-2socket");
    let get = |label: &str| {
        data.iter().find(|d| d.label == label).unwrap_or_else(|| panic!("no {label} in {data:?}"))
    };
    let memory = get("memory_used");
    assert_eq!(memory.uom, "B");
    assert_eq!(memory.min, Some(0.0));
    assert!(memory.max.unwrap() > memory.value);
    assert!(memory.warn.is_some() && memory.crit.is_some());
    assert_eq!(get("swap_used").uom, "B");
    let hottest = get("temp_coretemp_hwmon0");
    assert_eq!(hottest.uom, "");
    assert_eq!(hottest.crit.as_deref(), Some("100.0"));
    assert_eq!(get("ecc_corrected_mc2").uom, "c");
    assert_eq!(get("ecc_corrected_mc2").value, 12.0);
    assert_eq!(get("aer_correctable_0000:18:00.0").value, 2.0);
}

#[test]
fn the_degraded_machine_has_values_beyond_their_limits() {
    let data = perfdata_of("degraded");
    let get = |label: &str| data.iter().find(|d| d.label == label).expect(label);
    let ue = get("ecc_uncorrected_mc2");
    assert_eq!((ue.value, ue.crit.as_deref()), (2.0, Some("0")));
    let aer = get("aer_uncorrectable_0000:5e:00.0");
    assert_eq!((aer.value, aer.crit.as_deref()), (2.0, Some("0")));
    let hot = get("temp_coretemp_hwmon1");
    let crit: f64 = hot.crit.as_deref().unwrap().parse().unwrap();
    assert!(hot.value >= crit, "{hot:?}");
}

#[test]
fn the_parser_rejects_what_the_guideline_forbids() {
    assert!(parse_perfdata("'a b'=1").is_ok());
    assert_eq!(parse_perfdata("'it''s'=1").unwrap()[0].label, "it's");
    assert!(parse_perfdata("a b=1").is_err());
    assert!(parse_perfdata("'a=1").is_err());
    assert!(parse_perfdata("a=1X").is_err());
    assert!(parse_perfdata("a=1;2;3;4;5;6").is_err());
    assert!(parse_perfdata("a=abc").is_err());
    assert!(parse_perfdata("a=1;20:10").is_err());
    assert!(parse_perfdata("a=1;@~:10;10:;0;").is_ok());
}
