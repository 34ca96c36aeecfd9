//! Target triples as values: what a triple promises about the binary built for it.

use std::fmt;

use anyhow::{Context, Result, bail};

/// A Linux target triple, with the optional glibc suffix cargo-zigbuild understands
/// (`x86_64-unknown-linux-gnu.2.17`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub arch: Arch,
    pub vendor: String,
    pub env: Env,
    /// The glibc a zigbuild build links against, from the `.2.17` suffix.
    pub glibc_suffix: Option<GlibcVersion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Env {
    Gnu,
    Musl,
}

/// A glibc version such as 2.17 or 2.3.4, compared as integers (2.4 < 2.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion(pub [u32; 3]);

impl Target {
    pub fn parse(triple: &str) -> Result<Target> {
        let hint = "expected <arch>-<vendor>-linux-<gnu|musl>[.<glibc>], \
                    for example x86_64-unknown-linux-gnu or x86_64-unknown-linux-gnu.2.17";
        let (base, suffix) = match triple.split_once('.') {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (triple, None),
        };
        let parts: Vec<&str> = base.split('-').collect();
        let [arch, vendor, os, env] = parts[..] else {
            bail!("malformed target triple `{triple}`: {hint}");
        };
        let arch = match arch {
            "x86_64" => Arch::X86_64,
            "aarch64" => Arch::Aarch64,
            _ => bail!(
                "unsupported architecture `{arch}` in `{triple}`: supported are x86_64 and aarch64"
            ),
        };
        if os != "linux" {
            bail!(
                "unsupported operating system `{os}` in `{triple}`: only linux targets are released"
            );
        }
        let env = match env {
            "gnu" => Env::Gnu,
            "musl" => Env::Musl,
            _ => bail!("unsupported environment `{env}` in `{triple}`: supported are gnu and musl"),
        };
        let glibc_suffix = match suffix {
            None => None,
            Some(_) if env == Env::Musl => {
                bail!("`{triple}`: a glibc suffix only makes sense on a gnu target")
            }
            Some(v) => Some(
                GlibcVersion::parse(v)
                    .with_context(|| format!("malformed glibc suffix in `{triple}`: {hint}"))?,
            ),
        };
        Ok(Target {
            arch,
            vendor: vendor.to_string(),
            env,
            glibc_suffix,
        })
    }

    /// The triple rustup and cargo know, without the glibc suffix.
    pub fn triple(&self) -> String {
        format!(
            "{}-{}-linux-{}",
            self.arch.name(),
            self.vendor,
            self.env.name()
        )
    }

    /// The triple as cargo-zigbuild takes it, with the glibc suffix when there is one.
    pub fn zig_triple(&self) -> String {
        match self.glibc_suffix {
            Some(v) => format!("{}.{v}", self.triple()),
            None => self.triple(),
        }
    }

    pub fn with_glibc_suffix(&self, version: GlibcVersion) -> Target {
        Target {
            glibc_suffix: Some(version),
            ..self.clone()
        }
    }

    /// The dynamic loader a gnu executable for this target must name as its interpreter.
    pub fn gnu_loader(&self) -> &'static str {
        match self.arch {
            Arch::X86_64 => "/lib64/ld-linux-x86-64.so.2",
            Arch::Aarch64 => "/lib/ld-linux-aarch64.so.1",
        }
    }

    /// Cargo's environment-variable spelling of the triple (`CARGO_TARGET_<THIS>_LINKER`).
    pub fn env_key(&self) -> String {
        self.triple().replace(['-', '.'], "_").to_uppercase()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.zig_triple())
    }
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The ELF `e_machine` value of binaries for this architecture.
    pub fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => goblin::elf::header::EM_X86_64,
            Arch::Aarch64 => goblin::elf::header::EM_AARCH64,
        }
    }

    /// The architecture of the machine xtask runs on, if it is one we know.
    pub fn host() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            _ => None,
        }
    }
}

impl Env {
    pub fn name(self) -> &'static str {
        match self {
            Env::Gnu => "gnu",
            Env::Musl => "musl",
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_with_glibc_suffix_round_trips() {
        let t = Target::parse("x86_64-unknown-linux-gnu.2.17").unwrap();
        assert_eq!(t.arch, Arch::X86_64);
        assert_eq!(t.env, Env::Gnu);
        assert_eq!(t.glibc_suffix, Some(GlibcVersion([2, 17, 0])));
        assert_eq!(t.triple(), "x86_64-unknown-linux-gnu");
        assert_eq!(t.to_string(), "x86_64-unknown-linux-gnu.2.17");
        assert_eq!(t.env_key(), "X86_64_UNKNOWN_LINUX_GNU");
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
            "riscv64gc-unknown-linux-gnu",
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
