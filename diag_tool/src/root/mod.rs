//! Reads files below `--root`, confined to it: every path, and every link on the way, is
//! resolved inside the root as if it were `/` ([`tree`]), so nothing outside it is ever read.
//! Absent files are `None`; files that exist but cannot be used (unreadable, not regular,
//! too large, malformed) become warnings. Nothing read from disk can panic or hang.

mod reason;
mod sys;
mod text;
mod tree;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

pub use reason::io_reason;
pub use text::{index_suffix, natural_cmp, parse_flag, parse_number, quote, trim_value};
pub use tree::Resolver;
use tree::Tree;

/// A file that exists but could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// Path relative to the root, without a leading slash.
    pub path: String,
    pub reason: String,
}
serialize_struct!(Warning { path, reason });

/// Whole files (`/proc/cpuinfo` of a 4096-CPU x86 machine is about 6 MiB) are read up to this.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// One-value sysfs files hold at most a page; this leaves room for 64 KiB pages.
pub const MAX_VALUE_BYTES: u64 = 64 << 10;
/// Entries listed per directory; a machine with 8192 CPUs has about 8200 in `cpu/`.
pub const MAX_ENTRIES: usize = 1 << 16;

/// Set (to anything) to resolve paths in user space even where the kernel has `openat2`.
pub const WALK_ENV: &str = "DIAG_TOOL_NO_OPENAT2";

/// The tree being inspected, plus the warnings collected while reading it.
pub struct Root {
    /// `None` when the root cannot be opened: every file is then absent.
    tree: Option<Tree>,
    warnings: Vec<Warning>,
    seen: HashSet<Warning>,
}

impl Root {
    /// The tree below `base`, resolved by the kernel unless [`WALK_ENV`] is set.
    pub fn new(base: impl AsRef<Path>) -> Self {
        let resolver = match std::env::var_os(WALK_ENV) {
            Some(_) => Resolver::Walk,
            None => Resolver::Kernel,
        };
        Root::with_resolver(base, resolver)
    }

    pub fn with_resolver(base: impl AsRef<Path>, resolver: Resolver) -> Self {
        Root {
            tree: Tree::open(base.as_ref(), resolver).ok(),
            warnings: Vec::new(),
            seen: HashSet::new(),
        }
    }

    pub fn warn(&mut self, rel: &str, reason: impl Into<String>) {
        let warning =
            Warning { path: rel.trim_start_matches('/').to_string(), reason: reason.into() };
        if self.seen.insert(warning.clone()) {
            self.warnings.push(warning);
        }
    }

    pub fn into_warnings(self) -> Vec<Warning> {
        self.warnings
    }

    /// Whole file as text. Absent: `None` silently. Anything else that stops
    /// the read: `None` and a warning. Invalid UTF-8 is decoded lossily, with a warning.
    pub fn read(&mut self, rel: &str) -> Option<String> {
        self.read_capped(rel, MAX_FILE_BYTES)
    }

    fn read_capped(&mut self, rel: &str, cap: u64) -> Option<String> {
        match self.read_bytes(rel, cap) {
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
        match self.read_bytes(rel, MAX_VALUE_BYTES) {
            Ok(Some(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => None,
        }
    }

    /// A one-value sysfs file, trimmed of surrounding whitespace and NUL padding.
    pub fn value(&mut self, rel: &str) -> Option<String> {
        self.read_capped(rel, MAX_VALUE_BYTES).map(|s| trim_value(&s).to_string())
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

    /// Entry names of a directory in natural order (`cpu2` before `cpu10`), at most
    /// [`MAX_ENTRIES`]. Absent: empty. Not a directory or unreadable: empty and a warning.
    pub fn list(&mut self, rel: &str) -> Vec<String> {
        let Some(tree) = &self.tree else {
            return Vec::new();
        };
        let listed = tree.open_at(rel, tree::LIST).and_then(|dir| sys::list(dir, MAX_ENTRIES));
        let (names, more) = match listed {
            Ok(listed) => listed,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.exists(rel) {
                    self.warn(rel, "dangling symlink");
                }
                return Vec::new();
            }
            Err(e) => {
                // A file (or FIFO) where a directory should be is named as such.
                let reason = if tree.stat(rel).is_ok_and(|m| !m.is_dir()) {
                    "not a directory".to_string()
                } else {
                    io_reason(&e)
                };
                self.warn(rel, reason);
                return Vec::new();
            }
        };
        if more {
            self.warn(rel, format!("more than {MAX_ENTRIES} entries, the rest left out"));
        }
        let mut names: Vec<String> =
            names.into_iter().filter_map(|name| name.into_string().ok()).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names
    }

    /// Whether anything (even a dangling symlink) exists at `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        self.tree.as_ref().is_some_and(|t| t.lstat(rel).is_ok())
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        self.tree.as_ref().is_some_and(|t| t.stat(rel).is_ok_and(|m| m.is_dir()))
    }

    /// Last component of a symlink's target, e.g. the driver name from `device/driver`.
    pub fn link_name(&self, rel: &str) -> Option<String> {
        let target = self.link_target(rel)?;
        Path::new(&target).file_name()?.to_str().map(str::to_string)
    }

    /// Symlink target as written, e.g. to tell `../../devices/virtual/...` apart.
    pub fn link_target(&self, rel: &str) -> Option<String> {
        let target = self.tree.as_ref()?.read_link(rel).ok()?;
        target.into_string().ok()
    }

    /// At most `cap` bytes of the regular file at `rel`; `Ok(None)` when nothing is there.
    fn read_bytes(&self, rel: &str, cap: u64) -> Result<Option<Vec<u8>>, String> {
        let Some(tree) = &self.tree else {
            return Ok(None);
        };
        let file = match tree.open_at(rel, tree::READ) {
            Ok(fd) => File::from(fd),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return match tree.lstat(rel) {
                    Ok(_) => Err("dangling symlink".to_string()),
                    Err(_) => Ok(None),
                };
            }
            // Sockets refuse to be opened; say what they are rather than the errno.
            Err(e) => {
                return match tree.stat(rel) {
                    Ok(meta) if !meta.is_file() && !meta.is_dir() => {
                        Err("not a regular file".to_string())
                    }
                    _ => Err(io_reason(&e)),
                };
            }
        };
        // Judged on the open file, so a file swapped for a FIFO after a look cannot block.
        let meta = file.metadata().map_err(|e| io_reason(&e))?;
        if meta.is_dir() {
            return Err("is a directory, expected a file".to_string());
        }
        if !meta.is_file() {
            return Err("not a regular file".to_string());
        }
        let mut bytes = Vec::new();
        file.take(cap + 1).read_to_end(&mut bytes).map_err(|e| io_reason(&e))?;
        if bytes.len() as u64 > cap {
            return Err(format!("larger than {cap} bytes, not read"));
        }
        Ok(Some(bytes))
    }
}
