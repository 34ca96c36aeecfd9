//! Small text helpers every parser uses: trimming sysfs values, quoting rejected ones,
//! numbers and flags, and the natural order of names such as `cpu2` < `cpu10`.

use std::cmp::Ordering;
use std::str::FromStr;

/// A sysfs value without its trailing newline, surrounding spaces or NUL padding.
pub fn trim_value(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// Shows a rejected value in a warning: quoted, escaped, and short.
pub fn quote(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    if short.len() < s.len() { format!("{short:?}...") } else { format!("{short:?}") }
}

pub fn parse_number<T: FromStr>(s: &str) -> Result<T, String> {
    s.trim().parse().map_err(|_| format!("expected a number, found {}", quote(s)))
}

/// A 0/1 sysfs flag.
pub fn parse_flag(text: &str) -> Result<bool, String> {
    match text.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(format!("expected 0 or 1, found {}", quote(other))),
    }
}

/// Orders names so that embedded numbers compare by value: `hwmon2` < `hwmon10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (strip_zeros(&a[..da]), strip_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

/// Numeric suffix of names like `cpu12`, `mc0`, `hwmon3`; `None` for `cpufreq`.
pub fn index_suffix(name: &str, prefix: &str) -> Option<u32> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_embedded_numbers_by_value() {
        let mut names = vec!["cpu10", "cpu2", "cpufreq", "cpu1", "cpu02"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["cpu1", "cpu2", "cpu02", "cpu10", "cpufreq"]);
    }

    #[test]
    fn index_suffix_rejects_non_numeric_names() {
        assert_eq!(index_suffix("cpu12", "cpu"), Some(12));
        assert_eq!(index_suffix("cpufreq", "cpu"), None);
        assert_eq!(index_suffix("cpu", "cpu"), None);
    }

    #[test]
    fn values_lose_trailing_newlines_spaces_and_nul_padding() {
        assert_eq!(trim_value("XA320 V2 \n\0"), "XA320 V2");
    }

    #[test]
    fn garbage_numbers_are_rejected_with_the_value_quoted() {
        assert_eq!(parse_number::<u64>("42\n"), Ok(42));
        let err = parse_number::<u64>("4x2").unwrap_err();
        assert!(err.contains("\"4x2\""), "{err}");
    }
}
