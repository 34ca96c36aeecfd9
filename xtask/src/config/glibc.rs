//! glibc versions as integers: 2.4 < 2.17, and "2.3.4" < "2.17".

use std::fmt;

use anyhow::{Context, Result, bail};

/// A glibc version such as 2.17 or 2.3.4, compared as integers (2.4 < 2.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion(pub [u32; 3]);

impl GlibcVersion {
    /// Parses `2.17`, `2.3.4`, or a symbol version such as `GLIBC_2.17`.
    pub fn parse(text: &str) -> Result<GlibcVersion> {
        let digits = text.strip_prefix("GLIBC_").unwrap_or(text);
        let mut parts = [0u32; 3];
        let fields: Vec<&str> = digits.split('.').collect();
        if fields.len() < 2 || fields.len() > 3 {
            bail!("`{text}` is not a glibc version such as 2.17");
        }
        for (slot, field) in parts.iter_mut().zip(&fields) {
            *slot = field
                .parse()
                .with_context(|| format!("`{text}` is not a glibc version such as 2.17"))?;
        }
        Ok(GlibcVersion(parts))
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "{major}.{minor}")?;
        if patch != 0 {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for GlibcVersion {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<GlibcVersion> {
        GlibcVersion::parse(s)
    }
}
