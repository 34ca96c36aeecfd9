//! The builders a target can be built with (cargo, cargo-zigbuild, cross) and `--builder`'s
//! choice between them; `host/build.rs` runs them.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

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
    pub fn name(self) -> &'static str {
        match self {
            Builder::Cargo => "cargo",
            Builder::Zigbuild => "zigbuild",
            Builder::Cross => "cross",
        }
    }
}

impl fmt::Display for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
