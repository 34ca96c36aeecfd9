//! Target triples as values: what a triple promises about the binary built for it. The
//! architecture half comes from the table in `arch.rs`.

use std::fmt;

use anyhow::{Context, Result, bail, ensure};

use crate::config::arch::{ARCHES, Arch};
use crate::config::glibc::GlibcVersion;

/// A Linux target triple, with the optional glibc suffix cargo-zigbuild understands
/// (`x86_64-unknown-linux-gnu.2.17`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub arch: &'static Arch,
    pub vendor: String,
    pub libc: Libc,
    /// The glibc a zigbuild build links against, from the `.2.17` suffix.
    pub glibc_suffix: Option<GlibcVersion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    Gnu,
    Musl,
}

impl Target {
    pub fn parse(triple: &str) -> Result<Target> {
        let hint = "expected <arch>-<vendor>-linux-<gnu|musl>[.<glibc>], \
                    for example x86_64-unknown-linux-gnu or x86_64-unknown-linux-gnu.2.17";
        let (base, suffix) = triple.split_once('.').map_or((triple, None), |(b, s)| (b, Some(s)));
        let parts: Vec<&str> = base.split('-').collect();
        let [arch_name, vendor, os, env] = parts[..] else {
            bail!("malformed target triple `{triple}`: {hint}");
        };
        let Some(arch) = Arch::from_rust(arch_name) else {
            bail!(
                "unsupported architecture `{arch_name}` in `{triple}`: supported are {} \
                 (a new one is an entry in xtask/src/config/arch.rs)",
                ARCHES.iter().map(|a| a.rust).collect::<Vec<_>>().join(", ")
            );
        };
        ensure!(
            os == "linux",
            "unsupported operating system `{os}` in `{triple}`: only linux targets are released"
        );
        let gnu = format!("gnu{}", arch.abi);
        let musl = format!("musl{}", arch.abi);
        let libc = match env {
            _ if env == gnu => Libc::Gnu,
            _ if env == musl && arch.musl => Libc::Musl,
            _ if env == musl => bail!(
                "`{triple}`: rustup has no standard library for {arch_name} with musl; use {arch_name}-{vendor}-linux-{gnu}"
            ),
            _ => bail!(
                "unsupported environment `{env}` in `{triple}`: supported for {arch_name} are {gnu}{}",
                if arch.musl { format!(" and {musl}") } else { String::new() }
            ),
        };
        ensure!(
            suffix.is_none() || libc == Libc::Gnu,
            "`{triple}`: a glibc suffix only makes sense on a gnu target"
        );
        let glibc_suffix = (suffix.map(GlibcVersion::parse).transpose())
            .with_context(|| format!("malformed glibc suffix in `{triple}`: {hint}"))?;
        Ok(Target { arch, vendor: vendor.to_string(), libc, glibc_suffix })
    }

    /// Every architecture of the table with glibc, and with musl where rustup has it, vendor
    /// `unknown` and no glibc suffix.
    pub fn every() -> impl Iterator<Item = Target> {
        ARCHES.iter().flat_map(|arch| {
            let libcs = if arch.musl { &[Libc::Gnu, Libc::Musl][..] } else { &[Libc::Gnu][..] };
            libcs.iter().map(|&libc| Target {
                arch,
                vendor: "unknown".to_string(),
                libc,
                glibc_suffix: None,
            })
        })
    }

    /// The triple rustup and cargo know, without the glibc suffix.
    pub fn triple(&self) -> String {
        format!("{}-{}-linux-{}{}", self.arch.rust, self.vendor, self.libc.name(), self.arch.abi)
    }

    /// The triple as cargo-zigbuild takes it, with the glibc suffix when there is one.
    pub fn zig_triple(&self) -> String {
        match self.glibc_suffix {
            Some(v) => format!("{}.{v}", self.triple()),
            None => self.triple(),
        }
    }

    /// Cargo's environment-variable spelling of the triple (`CARGO_TARGET_<THIS>_LINKER`).
    pub fn env_key(&self) -> String {
        self.triple().replace(['-', '.'], "_").to_uppercase()
    }

    /// Binaries of this target run on the machine xtask runs on without an emulator.
    pub fn is_native(&self) -> bool {
        Arch::host() == Some(self.arch)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.zig_triple())
    }
}

impl Libc {
    pub fn name(self) -> &'static str {
        match self {
            Libc::Gnu => "gnu",
            Libc::Musl => "musl",
        }
    }
}

impl std::str::FromStr for Target {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Target> {
        Target::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_with_glibc_suffix_round_trips() {
        let t = Target::parse("x86_64-unknown-linux-gnu.2.17").unwrap();
        assert_eq!(t.arch.rust, "x86_64");
        assert_eq!(t.libc, Libc::Gnu);
        assert_eq!(t.glibc_suffix, Some(GlibcVersion([2, 17, 0])));
        assert_eq!(t.triple(), "x86_64-unknown-linux-gnu");
        assert_eq!(t.to_string(), "x86_64-unknown-linux-gnu.2.17");
        assert_eq!(t.env_key(), "X86_64_UNKNOWN_LINUX_GNU");
    }

    #[test]
    fn abi_suffixes_come_from_the_architecture_table() {
        let arm = Target::parse("armv7-unknown-linux-gnueabihf.2.17").unwrap();
        assert_eq!((arm.arch.rust, arm.libc), ("armv7", Libc::Gnu));
        assert_eq!(arm.triple(), "armv7-unknown-linux-gnueabihf");
        let musl = Target::parse("armv7-unknown-linux-musleabihf").unwrap();
        assert_eq!(musl.triple(), "armv7-unknown-linux-musleabihf");
        let err = Target::parse("armv7-unknown-linux-gnueabi").unwrap_err();
        assert!(
            err.to_string().contains("supported for armv7 are gnueabihf and musleabihf"),
            "{err}"
        );
        let err = Target::parse("s390x-unknown-linux-musl").unwrap_err();
        assert!(err.to_string().contains("s390x-unknown-linux-gnu"), "{err}");
    }

    #[test]
    fn glibc_versions_compare_as_integers() {
        let v = |s| GlibcVersion::parse(s).unwrap();
        assert!(v("2.4") < v("2.17"));
        assert!(v("2.3.4") < v("2.17"));
        assert!(v("GLIBC_2.34") > v("2.17"));
        assert_eq!(v("2.17").to_string(), "2.17");
        assert_eq!(v("2.3.4").to_string(), "2.3.4");
    }

    #[test]
    fn malformed_triples_are_rejected_with_the_expected_form() {
        for bad in [
            "x86_64-linux-gnu",
            "mips64-unknown-linux-gnu",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-gnux32",
            "x86_64-unknown-linux-musl.2.17",
            "x86_64-unknown-linux-gnu.two",
            "",
        ] {
            let err = Target::parse(bad).unwrap_err();
            assert!(format!("{err:#}").contains(bad), "{bad}: {err:#}");
        }
    }
}
