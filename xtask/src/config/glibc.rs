//! glibc versions as integers: 2.4 < 2.17, and "2.3.4" < "2.17".

use std::fmt;

use anyhow::{Context, Result, ensure};

/// A glibc version such as 2.17 or 2.3.4, compared as integers (2.4 < 2.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion(pub [u32; 3]);

/// The newest glibc any builder here can target: the last one `python3 -m ziglang targets`
/// lists for the pinned zig (0.17.1). A floor above it names a glibc no binary can be linked
/// against yet; raise this with the pinned zig.
pub const NEWEST_TARGETABLE: GlibcVersion = GlibcVersion([2, 44, 0]);

impl GlibcVersion {
    /// `self` as a glibc floor, refused when no builder can target it.
    pub fn as_floor(self, whose: &str) -> anyhow::Result<GlibcVersion> {
        ensure!(
            self <= NEWEST_TARGETABLE,
            "{whose}: glibc floor {self} is above {NEWEST_TARGETABLE}, the newest glibc the \
             pinned zig can target: choose a floor such as 2.17 (the oldest glibc the binary \
             must run on)"
        );
        Ok(self)
    }

    /// Parses `2.17`, `2.3.4`, or a symbol version such as `GLIBC_2.17`.
    pub fn parse(text: &str) -> Result<GlibcVersion> {
        let malformed = || format!("`{text}` is not a glibc version such as 2.17");
        let digits = text.strip_prefix("GLIBC_").unwrap_or(text);
        let mut parts = [0u32; 3];
        let fields: Vec<&str> = digits.split('.').collect();
        ensure!(matches!(fields.len(), 2 | 3), malformed());
        for (slot, field) in parts.iter_mut().zip(&fields) {
            *slot = field.parse().with_context(malformed)?;
        }
        Ok(GlibcVersion(parts))
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [major, minor, 0] => write!(f, "{major}.{minor}"),
            [major, minor, patch] => write!(f, "{major}.{minor}.{patch}"),
        }
    }
}

impl std::str::FromStr for GlibcVersion {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<GlibcVersion> {
        GlibcVersion::parse(s)
    }
}
