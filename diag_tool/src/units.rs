//! Numbers as people read them, shared by the text report and the messages of the checks:
//! binary byte units, degrees Celsius, percentages. Integer arithmetic only, so that every
//! platform prints the same.

/// Binary units with one decimal: `502.6 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut scale: u128 = 1024;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= scale * 1024 {
        scale *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(bytes) * 10 + scale / 2) / scale;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// Millidegrees as degrees with one decimal, truncated toward zero: `84.8 °C`.
pub fn format_temp(millicelsius: i64) -> String {
    let sign = if millicelsius < 0 { "-" } else { "" };
    let abs = millicelsius.unsigned_abs();
    format!("{sign}{}.{} °C", abs / 1000, (abs % 1000) / 100)
}

/// `part` as a whole percentage of `whole`, rounded down; `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| (u128::from(part) * 100 / u128::from(whole)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_binary_units_with_one_decimal() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.0 KiB");
        assert_eq!(format_bytes(527031224 * 1024), "502.6 GiB");
        assert_eq!(format_bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn temperatures_print_one_decimal_and_keep_the_sign() {
        assert_eq!(format_temp(45000), "45.0 °C");
        assert_eq!(format_temp(84850), "84.8 °C");
        assert_eq!(format_temp(-5500), "-5.5 °C");
    }

    #[test]
    fn percentages_round_down_and_need_a_whole() {
        assert_eq!(percent(8, 100), Some(8));
        assert_eq!(percent(2, 3), Some(66));
        assert_eq!(percent(1, 0), None);
    }
}
