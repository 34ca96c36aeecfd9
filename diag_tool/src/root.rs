//! Reads files relative to `--root`: absent files are `None`, unreadable or
//! malformed ones become warnings, and nothing read from disk can panic.

use std::cmp::Ordering;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A file that exists but could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Path relative to the root, without a leading slash.
    pub path: String,
    pub reason: String,
}
serialize_struct!(Warning { path, reason });

/// Guards against a tree where a "file" is a device or something huge.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// The tree being inspected, plus the warnings collected while reading it.
pub struct Root {
    base: PathBuf,
    warnings: Vec<Warning>,
}

impl Root {
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Root {
            base: base.into(),
            warnings: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    pub fn warn(&mut self, rel: &str, reason: impl Into<String>) {
        let warning = Warning {
            path: rel.trim_start_matches('/').to_string(),
            reason: reason.into(),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    pub fn into_warnings(self) -> Vec<Warning> {
        self.warnings
    }

    /// Whole file as text. Absent: `None` silently. Anything else that stops
    /// the read: `None` and a warning. Invalid UTF-8 is decoded lossily, with a warning.
    pub fn read(&mut self, rel: &str) -> Option<String> {
        match read_bytes(&self.path(rel)) {
            Ok(None) => None,
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(e) => {
                    self.warn(rel, "not valid UTF-8 (decoded lossily)");
                    Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
                }
            },
            Err(reason) => {
                self.warn(rel, reason);
                None
            }
        }
    }

    /// Like [`Root::read`] but errors are expected (e.g. `speed` of a link
    /// that is down fails with EINVAL on real kernels) and stay silent.
    pub fn read_quiet(&self, rel: &str) -> Option<String> {
        match read_bytes(&self.path(rel)) {
            Ok(Some(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => None,
        }
    }

    /// A one-value sysfs file, trimmed of surrounding whitespace and NUL padding.
    pub fn value(&mut self, rel: &str) -> Option<String> {
        self.read(rel).map(|s| trim_value(&s).to_string())
    }

    /// A one-value file that must not be empty; empty ones count as absent.
    pub fn text(&mut self, rel: &str) -> Option<String> {
        self.value(rel).filter(|s| !s.is_empty())
    }

    /// A one-value file parsed with `parse`; a value it rejects becomes a warning.
    pub fn parse_with<T>(
        &mut self,
        rel: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.value(rel)?;
        match parse(&value) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.warn(rel, reason);
                None
            }
        }
    }

    /// A one-value decimal number.
    pub fn number<T: FromStr>(&mut self, rel: &str) -> Option<T> {
        self.parse_with(rel, |s| parse_number(s))
    }

    /// Entry names of a directory in natural order (`cpu2` before `cpu10`).
    /// Absent: empty. Not a directory or unreadable: empty and a warning.
    pub fn list(&mut self, rel: &str) -> Vec<String> {
        let path = self.path(rel);
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if fs::symlink_metadata(&path).is_ok() {
                    self.warn(rel, "dangling symlink");
                }
                return Vec::new();
            }
            Err(e) => {
                self.warn(rel, io_reason(&e));
                return Vec::new();
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names
    }

    /// Whether anything (even a dangling symlink) exists at `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.path(rel)).is_ok()
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        fs::metadata(self.path(rel)).is_ok_and(|m| m.is_dir())
    }

    /// Last component of a symlink's target, e.g. the driver name from `device/driver`.
    pub fn link_name(&self, rel: &str) -> Option<String> {
        let target = fs::read_link(self.path(rel)).ok()?;
        target.file_name()?.to_str().map(str::to_string)
    }

    /// Symlink target as written, e.g. to tell `../../devices/virtual/...` apart.
    pub fn link_target(&self, rel: &str) -> Option<String> {
        let target = fs::read_link(self.path(rel)).ok()?;
        target.to_str().map(str::to_string)
    }
}

fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return if fs::symlink_metadata(path).is_ok() {
                Err("dangling symlink".to_string())
            } else {
                Ok(None)
            };
        }
        Err(e) => return Err(io_reason(&e)),
    };
    if meta.is_dir() {
        return Err("is a directory, expected a file".to_string());
    }
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    let file = fs::File::open(path).map_err(|e| io_reason(&e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_reason(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
    }
    Ok(Some(bytes))
}

/// Reasons are spelled here rather than taken from the C library, so that
/// glibc and musl builds print the same report.
pub fn io_reason(e: &io::Error) -> String {
    use io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".to_string(),
        PermissionDenied => "permission denied".to_string(),
        IsADirectory => "is a directory, expected a file".to_string(),
        NotADirectory => "a path component is not a directory".to_string(),
        InvalidInput => "invalid argument".to_string(),
        _ => match e.raw_os_error() {
            // ELOOP on x86 and Arm Linux; io::ErrorKind::FilesystemLoop is not stable.
            Some(40) => "symlink loop".to_string(),
            Some(code) => format!("read error (errno {code})"),
            None => "read error".to_string(),
        },
    }
}

pub fn trim_value(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// Shows a rejected value in a warning: quoted, escaped, and short.
pub fn quote(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    if short.len() < s.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

pub fn parse_number<T: FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected a number, found {}", quote(s)))
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
