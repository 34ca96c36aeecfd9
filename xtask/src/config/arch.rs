//! The architecture table: everything that differs between CPU architectures, in one place.
//! Verify, preflight, setup, plan, doctor and the generated files read this and nothing else,
//! so a new Linux architecture is one entry here and a target one entry in Cargo.toml.

use goblin::elf::header::{
    EM_386, EM_AARCH64, EM_ARM, EM_LOONGARCH, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64,
};

use crate::config::glibc::GlibcVersion;

/// One architecture as Rust, the ELF format, glibc, QEMU, Debian, RPM and OCI name it.
#[derive(Debug, PartialEq, Eq)]
pub struct Arch {
    /// The first component of the Rust triple (`armv7`, `riscv64gc`).
    pub rust: &'static str,
    /// The machines people deploy it to, for the README.
    pub machines: &'static str,
    /// The ABI suffix Rust appends to the environment (`gnueabihf`, `musleabihf`), or "".
    pub abi: &'static str,
    /// 32 or 64: `EI_CLASS`.
    pub class: u8,
    pub little_endian: bool,
    pub e_machine: u16,
    /// What binutils calls `e_machine` (`readelf -h`'s "Machine:"), for judging dist with it.
    pub binutils: &'static str,
    /// `e_flags` the ABI requires: `(mask, value, what it means)`.
    pub e_flags: Option<(u32, u32, &'static str)>,
    /// The dynamic loader a glibc executable names in `PT_INTERP`.
    pub glibc_loader: &'static str,
    /// The first glibc release of the port: no binary can require less, so it bounds the floor.
    pub glibc_first: GlibcVersion,
    /// Rust has a musl target for it with a standard library from rustup.
    pub musl: bool,
    /// `qemu-<this>-static` runs its binaries on other hosts (Debian's qemu-user-static).
    pub qemu: &'static str,
    /// The GNU triple of its cross toolchain: `<this>-gcc`, sysroot `/usr/<this>`.
    pub gnu_triple: &'static str,
    /// Debian's architecture name (`libc6-dev-<this>-cross`, `.deb` file names).
    pub debian: &'static str,
    /// RPM's architecture name.
    pub rpm: &'static str,
    /// OCI platform: `architecture` and `variant`.
    pub oci: (&'static str, Option<&'static str>),
    /// What `uname -m` prints on it (the installer matches these).
    pub uname: &'static [&'static str],
    /// The lowest glibc the pinned zig links a program that unwinds for, as Rust's std does
    /// (`cargo zigbuild --target <triple>.<glibc>`), `None` if it links none: the port's first,
    /// zig's own minimum, or what zig's libunwind calls. `xtask/tests/builder_minimums.rs`
    /// derives these from zig and fails when they drift.
    pub zig_glibc: Option<GlibcVersion>,
    /// A GitHub-hosted runner of this architecture, where the shipped binary is tested on
    /// real hardware.
    pub github_runner: Option<&'static str>,
}

const fn glibc(major: u32, minor: u32, patch: u32) -> GlibcVersion {
    GlibcVersion([major, minor, patch])
}

pub const ARCHES: &[Arch] = &[
    Arch {
        rust: "x86_64",
        machines: "x86 servers",
        abi: "",
        class: 64,
        little_endian: true,
        e_machine: EM_X86_64,
        binutils: "Advanced Micro Devices X86-64",
        e_flags: None,
        glibc_loader: "/lib64/ld-linux-x86-64.so.2",
        glibc_first: glibc(2, 2, 5),
        musl: true,
        qemu: "x86_64",
        gnu_triple: "x86_64-linux-gnu",
        debian: "amd64",
        rpm: "x86_64",
        oci: ("amd64", None),
        uname: &["x86_64", "amd64"],
        zig_glibc: Some(glibc(2, 2, 5)),
        github_runner: Some("ubuntu-24.04"),
    },
    Arch {
        rust: "aarch64",
        machines: "Graviton, Ampere, Grace, Kunpeng",
        abi: "",
        class: 64,
        little_endian: true,
        e_machine: EM_AARCH64,
        binutils: "AArch64",
        e_flags: None,
        glibc_loader: "/lib/ld-linux-aarch64.so.1",
        glibc_first: glibc(2, 17, 0),
        musl: true,
        qemu: "aarch64",
        gnu_triple: "aarch64-linux-gnu",
        debian: "arm64",
        rpm: "aarch64",
        oci: ("arm64", Some("v8")),
        uname: &["aarch64", "arm64"],
        zig_glibc: Some(glibc(2, 17, 0)),
        github_runner: Some("ubuntu-24.04-arm"),
    },
    Arch {
        rust: "armv7",
        machines: "32-bit ARM boards and appliances",
        abi: "eabihf",
        class: 32,
        little_endian: true,
        e_machine: EM_ARM,
        binutils: "ARM",
        // EABI version 5, hard-float calling convention
        // (`EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD`).
        e_flags: Some((0xff00_0400, 0x0500_0400, "EABI version 5 with the hard-float ABI")),
        glibc_loader: "/lib/ld-linux-armhf.so.3",
        glibc_first: glibc(2, 4, 0),
        musl: true,
        qemu: "arm",
        gnu_triple: "arm-linux-gnueabihf",
        debian: "armhf",
        rpm: "armv7hl",
        oci: ("arm", Some("v7")),
        uname: &["armv7l", "armv8l"],
        zig_glibc: Some(glibc(2, 4, 0)),
        github_runner: None,
    },
    Arch {
        rust: "riscv64gc",
        machines: "RISC-V boards and servers",
        abi: "",
        class: 64,
        little_endian: true,
        e_machine: EM_RISCV,
        binutils: "RISC-V",
        // `EF_RISCV_FLOAT_ABI_DOUBLE` within `EF_RISCV_FLOAT_ABI_MASK`: the lp64d ABI.
        e_flags: Some((0x6, 0x4, "the double-float ABI (lp64d)")),
        glibc_loader: "/lib/ld-linux-riscv64-lp64d.so.1",
        glibc_first: glibc(2, 27, 0),
        musl: true,
        qemu: "riscv64",
        gnu_triple: "riscv64-linux-gnu",
        debian: "riscv64",
        rpm: "riscv64",
        oci: ("riscv64", None),
        uname: &["riscv64"],
        zig_glibc: Some(glibc(2, 27, 0)),
        github_runner: None,
    },
    Arch {
        rust: "powerpc64le",
        machines: "IBM POWER8 and later",
        abi: "",
        class: 64,
        little_endian: true,
        e_machine: EM_PPC64,
        binutils: "PowerPC64",
        // The ELFv2 ABI, the only one of little-endian POWER.
        e_flags: Some((0x3, 0x2, "the ELFv2 ABI")),
        glibc_loader: "/lib64/ld64.so.2",
        glibc_first: glibc(2, 17, 0),
        musl: true,
        qemu: "ppc64le",
        gnu_triple: "powerpc64le-linux-gnu",
        debian: "ppc64el",
        rpm: "ppc64le",
        oci: ("ppc64le", None),
        uname: &["ppc64le"],
        // zig links C from 2.19, but its libunwind calls glibc's IEEE128 printf (2.32).
        zig_glibc: Some(glibc(2, 32, 0)),
        github_runner: None,
    },
    Arch {
        rust: "s390x",
        machines: "IBM Z and LinuxONE",
        abi: "",
        class: 64,
        little_endian: false,
        e_machine: EM_S390,
        binutils: "IBM S/390",
        e_flags: None,
        glibc_loader: "/lib/ld64.so.1",
        glibc_first: glibc(2, 2, 0),
        // Rust's s390x-unknown-linux-musl is tier 3: rustup has no standard library for it.
        musl: false,
        qemu: "s390x",
        gnu_triple: "s390x-linux-gnu",
        debian: "s390x",
        rpm: "s390x",
        oci: ("s390x", None),
        uname: &["s390x"],
        // Its libunwind calls dl_iterate_phdr (2.2.4).
        zig_glibc: Some(glibc(2, 2, 4)),
        github_runner: None,
    },
    Arch {
        rust: "i686",
        machines: "32-bit x86",
        abi: "",
        class: 32,
        little_endian: true,
        e_machine: EM_386,
        binutils: "Intel 80386",
        e_flags: None,
        glibc_loader: "/lib/ld-linux.so.2",
        glibc_first: glibc(2, 0, 0),
        musl: true,
        qemu: "i386",
        gnu_triple: "i686-linux-gnu",
        debian: "i386",
        rpm: "i686",
        oci: ("386", None),
        uname: &["i686", "i586", "i386"],
        // Its libunwind calls dl_iterate_phdr (2.2.4).
        zig_glibc: Some(glibc(2, 2, 4)),
        github_runner: None,
    },
    Arch {
        rust: "loongarch64",
        machines: "Loongson 3A5000 and later",
        abi: "",
        class: 64,
        little_endian: true,
        e_machine: EM_LOONGARCH,
        binutils: "LoongArch",
        // `EF_LARCH_ABI_DOUBLE_FLOAT`: the lp64d ABI.
        e_flags: Some((0x7, 0x3, "the double-float ABI (lp64d)")),
        glibc_loader: "/lib64/ld-linux-loongarch-lp64d.so.1",
        glibc_first: glibc(2, 36, 0),
        musl: true,
        qemu: "loongarch64",
        gnu_triple: "loongarch64-linux-gnu",
        debian: "loong64",
        rpm: "loongarch64",
        oci: ("loong64", None),
        uname: &["loongarch64"],
        zig_glibc: Some(glibc(2, 36, 0)),
        github_runner: None,
    },
];

impl Arch {
    /// The entry for the first component of a Rust triple.
    pub fn from_rust(name: &str) -> Option<&'static Arch> {
        ARCHES.iter().find(|a| a.rust == name)
    }

    /// The architecture of the machine xtask runs on, if the table has it.
    pub fn host() -> Option<&'static Arch> {
        let name = match std::env::consts::ARCH {
            "x86" => "i686",
            "arm" => "armv7",
            "riscv64" => "riscv64gc",
            "powerpc64" if cfg!(target_endian = "little") => "powerpc64le",
            other => other,
        };
        Arch::from_rust(name)
    }

    /// The architecture releases are built on: every target is cross-built from it, so anyone
    /// with such a machine can rebuild a release bit for bit.
    pub fn build_host() -> &'static Arch {
        &ARCHES[0]
    }

    /// The loader's file name, which a glibc binary may also list in `DT_NEEDED`.
    pub fn glibc_loader_name(&self) -> &'static str {
        self.glibc_loader.rsplit('/').next().unwrap_or(self.glibc_loader)
    }

    /// Debian packages with the gcc cross-linker and the C library to link glibc binaries.
    pub fn debian_cross_packages(&self) -> [String; 2] {
        [
            format!("gcc-{}", self.gnu_triple.replace('_', "-")),
            format!("libc6-dev-{}-cross", self.debian),
        ]
    }

    /// `linux/arm64/v8`: its platform in an OCI image, as `docker run --platform` takes it.
    pub fn oci_platform(&self) -> String {
        match self.oci {
            (architecture, Some(variant)) => format!("linux/{architecture}/{variant}"),
            (architecture, None) => format!("linux/{architecture}"),
        }
    }

    /// `ELF64 big-endian s390x`: what a binary of this architecture is.
    pub fn elf_description(&self) -> String {
        let endian = if self.little_endian { "little-endian" } else { "big-endian" };
        format!("ELF{} {endian} {}", self.class, self.rust)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_architecture_appears_once_with_distinct_names() {
        for (i, a) in ARCHES.iter().enumerate() {
            for b in &ARCHES[i + 1..] {
                assert_ne!(a.rust, b.rust);
                assert_ne!(a.debian, b.debian);
                assert_ne!(a.e_machine, b.e_machine);
                assert!(a.uname.iter().all(|u| !b.uname.contains(u)), "{} {}", a.rust, b.rust);
            }
            assert!(a.glibc_loader.starts_with('/'));
            assert!(matches!(a.class, 32 | 64));
        }
    }

    #[test]
    fn the_cross_packages_follow_debian_naming() {
        let aarch64 = Arch::from_rust("aarch64").unwrap();
        assert_eq!(
            aarch64.debian_cross_packages(),
            ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]
        );
        let x86_64 = Arch::from_rust("x86_64").unwrap();
        assert_eq!(x86_64.debian_cross_packages()[0], "gcc-x86-64-linux-gnu");
        assert_eq!(x86_64.glibc_loader_name(), "ld-linux-x86-64.so.2");
        assert_eq!(x86_64.oci_platform(), "linux/amd64");
        assert_eq!(aarch64.oci_platform(), "linux/arm64/v8");
    }
}
