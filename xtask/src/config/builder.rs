//! The builders a target can be built with (cargo, cargo-zigbuild, cross) and `--builder`'s
//! choice between them; `host/build.rs` runs them.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::arch::Arch;
use crate::config::glibc::GlibcVersion;

/// The glibc of Debian 12's cross toolchains (`libc6-dev-<arch>-cross`), which plain cargo links
/// other architectures against on the build machine: its binaries may need symbols that new.
pub const DEBIAN_CROSS_GLIBC: GlibcVersion = GlibcVersion([2, 36, 0]);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    Cargo,
    Zigbuild,
    Cross,
}

/// `--builder`: a builder, or `auto` to choose one per target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuilderChoice(pub Option<Builder>);

impl FromStr for BuilderChoice {
    type Err = anyhow::Error;
    fn from_str(name: &str) -> Result<BuilderChoice> {
        Ok(BuilderChoice(match name {
            "auto" => None,
            "cargo" => Some(Builder::Cargo),
            "zigbuild" => Some(Builder::Zigbuild),
            "cross" => Some(Builder::Cross),
            _ => bail!("unknown builder `{name}`: expected auto, cargo, zigbuild or cross"),
        }))
    }
}

impl Builder {
    /// The lowest glibc floor this builder meets for `arch`, `None` if it links no glibc binary
    /// for it. Plain cargo links a native target against `host_glibc`, others against Debian's
    /// cross toolchain; cross runs zig in its container.
    pub fn lowest_glibc(
        self,
        arch: &Arch,
        host_glibc: Option<GlibcVersion>,
    ) -> Option<GlibcVersion> {
        match self {
            Builder::Zigbuild | Builder::Cross => arch.zig_glibc,
            Builder::Cargo => Some(host_glibc.unwrap_or(DEBIAN_CROSS_GLIBC)),
        }
    }
}

impl fmt::Display for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Builder::Cargo => "cargo",
            Builder::Zigbuild => "zigbuild",
            Builder::Cross => "cross",
        })
    }
}

/// The lowest glibc floor a gnu binary of `arch` can have, and why: the port's first glibc, or
/// the lowest any builder links for it when that is higher.
pub fn lowest_floor(arch: &Arch) -> (GlibcVersion, String) {
    let builders = arch.zig_glibc.map_or(DEBIAN_CROSS_GLIBC, |zig| zig.min(DEBIAN_CROSS_GLIBC));
    if builders <= arch.glibc_first {
        return (arch.glibc_first, format!("the first glibc of {}", arch.rust));
    }
    let zig = arch.zig_glibc.map_or("zig links none".to_string(), |v| format!("zig from {v}"));
    let why = format!(
        "the lowest any builder links for {} ({zig}, Debian's cross gcc from {DEBIAN_CROSS_GLIBC})",
        arch.rust
    );
    (builders, why)
}
