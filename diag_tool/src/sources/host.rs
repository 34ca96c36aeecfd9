//! Host identity and load: hostname, kernel release, OS name, uptime, load averages.

use crate::root::{Root, quote};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Host {
    pub hostname: Option<String>,
    /// `uname -r`.
    pub kernel: Option<String>,
    /// `PRETTY_NAME` from os-release.
    pub os: Option<String>,
    pub uptime_seconds: Option<u64>,
    /// 1, 5 and 15 minute load averages.
    pub load_average: Option<[f64; 3]>,
}
serialize_struct!(Host { hostname, kernel, os, uptime_seconds, load_average });

/// `PRETTY_NAME` from os-release text, with shell quoting removed.
pub fn parse_os_release(text: &str) -> Option<String> {
    let value = text.lines().rev().find_map(|line| line.trim().strip_prefix("PRETTY_NAME="))?;
    let unquoted = unquote(value.trim());
    (!unquoted.is_empty()).then_some(unquoted)
}

fn unquote(value: &str) -> String {
    let inner = match value.as_bytes() {
        [b'"', .., b'"'] | [b'\'', .., b'\''] if value.len() >= 2 => &value[1..value.len() - 1],
        _ => value,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whole seconds from `/proc/uptime` ("350735.47 234388.90").
pub fn parse_uptime(text: &str) -> Result<u64, String> {
    let first = text.split_whitespace().next().unwrap_or("");
    let secs = first.split('.').next().unwrap_or("");
    secs.parse().map_err(|_| format!("expected seconds, found {}", quote(text.trim())))
}

/// The three load averages from `/proc/loadavg` ("0.52 0.58 0.59 1/467 12345").
pub fn parse_loadavg(text: &str) -> Result<[f64; 3], String> {
    let bad = || format!("expected three load averages, found {}", quote(text.trim()));
    let mut fields = text.split_whitespace();
    let mut loads = [0.0; 3];
    for slot in &mut loads {
        let field = fields.next().ok_or_else(bad)?;
        let value: f64 = field.parse().map_err(|_| bad())?;
        if !value.is_finite() || value < 0.0 {
            return Err(bad());
        }
        *slot = value;
    }
    Ok(loads)
}

pub fn read(root: &mut Root) -> Host {
    let hostname = root.text("proc/sys/kernel/hostname").or_else(|| root.text("etc/hostname"));
    let kernel = root.text("proc/sys/kernel/osrelease");
    let os = match root.read("etc/os-release") {
        Some(text) => parse_os_release(&text),
        None => root.read("usr/lib/os-release").and_then(|t| parse_os_release(&t)),
    };
    let uptime_seconds = root.parse_with("proc/uptime", parse_uptime);
    let load_average = root.parse_with("proc/loadavg", parse_loadavg);
    Host { hostname, kernel, os, uptime_seconds, load_average }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_name_is_unquoted() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n";
        assert_eq!(parse_os_release(text).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(
            parse_os_release("PRETTY_NAME='Amazon Linux 2023'\n").as_deref(),
            Some("Amazon Linux 2023")
        );
        assert_eq!(parse_os_release("PRETTY_NAME=Alpine\n").as_deref(), Some("Alpine"));
    }

    #[test]
    fn os_release_without_pretty_name_has_no_os() {
        assert_eq!(parse_os_release("NAME=x\nID=y\n"), None);
        assert_eq!(parse_os_release("PRETTY_NAME=\"\"\n"), None);
    }

    #[test]
    fn uptime_keeps_whole_seconds() {
        assert_eq!(parse_uptime("350735.47 234388.90\n"), Ok(350735));
        assert!(parse_uptime("").is_err());
        assert!(parse_uptime("abc 1.0").is_err());
    }

    #[test]
    fn loadavg_reads_three_averages_and_rejects_truncation() {
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345\n"), Ok([0.52, 0.58, 0.59]));
        assert!(parse_loadavg("0.52 0.5").is_err());
        assert!(parse_loadavg("NaN 1 1").is_err());
        assert!(parse_loadavg("-1 1 1").is_err());
    }
}
