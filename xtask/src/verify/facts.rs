//! What verification records about a binary: the facts read from its bytes, which both the
//! release-policy rules and the release manifest use.

use std::fmt;

use goblin::elf::header;

use crate::config::glibc::GlibcVersion;
use crate::manifest;

/// What the bytes of one ELF file say about it, computed once and used by both the policy
/// checks and the dist manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryFacts {
    /// 32 or 64.
    pub class: u8,
    pub little_endian: bool,
    /// `e_machine`.
    pub machine: u16,
    /// `e_flags`: the ABI variant on ARM, RISC-V, POWER and LoongArch.
    pub e_flags: u32,
    pub file_type: FileType,
    /// The path in `PT_INTERP`, if there is one.
    pub interpreter: Option<String>,
    /// `DT_NEEDED` names, in file order.
    pub needed: Vec<String>,
    /// Every symbol version the file requires (`DT_VERNEED`), in file order.
    pub version_requirements: Vec<VersionRequirement>,
    /// The highest numbered `GLIBC_x.y[.z]` requirement.
    pub glibc_max: Option<GlibcVersion>,
    /// `GLIBC_*` requirements without a number, such as `GLIBC_PRIVATE` and
    /// `GLIBC_ABI_DT_RELR`: no floor is low enough for them.
    pub glibc_unnumbered: Vec<String>,
    /// A `SHT_SYMTAB` section or a section named `.symtab`.
    pub has_symtab: bool,
    /// `.debug_*` and `.zdebug_*` sections.
    pub debug_sections: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub pie: bool,
    /// `PT_GNU_STACK` without the execute flag.
    pub nx_stack: bool,
    pub relro: Relro,
    pub bind_now: bool,
    pub size: u64,
}

/// One entry of `.gnu.version_r`: `version` is required from the library `file`; recorded in
/// the manifest as it is.
pub use crate::manifest::Requirement as VersionRequirement;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `ET_EXEC`, or `ET_DYN` with an interpreter (a dynamically linked PIE).
    Executable,
    /// `ET_DYN` without an interpreter but with `DF_1_PIE`: runs on its own.
    StaticPie,
    /// `ET_DYN` without an interpreter and without `DF_1_PIE`.
    SharedLibrary,
    Relocatable,
    Core,
    Other(u16),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relro {
    None,
    Partial,
    Full,
}

impl BinaryFacts {
    /// One word for a summary table: `static-pie`, `static` or `dynamic`.
    pub fn linkage(&self) -> &'static str {
        match self.file_type {
            FileType::StaticPie => "static-pie",
            _ if self.interpreter.is_none() && self.needed.is_empty() => "static",
            _ => "dynamic",
        }
    }

    pub fn stripped(&self) -> bool {
        !self.has_symtab && self.debug_sections.is_empty()
    }

    /// The sections that make the file unstripped, `.symtab` first.
    pub(super) fn unstripped_sections(&self) -> Vec<&str> {
        let symtab = self.has_symtab.then_some(".symtab");
        symtab.into_iter().chain(self.debug_sections.iter().map(String::as_str)).collect()
    }

    /// A readable name for `e_machine`.
    pub fn machine_name(&self) -> &'static str {
        crate::config::arch::ARCHES
            .iter()
            .find(|a| a.e_machine == self.machine)
            .map_or_else(|| header::machine_to_str(self.machine), |a| a.rust)
    }

    /// Class, byte order and machine, such as `ELF64 little-endian x86_64 (e_machine 62)`.
    pub fn architecture(&self) -> String {
        let endian = if self.little_endian { "little-endian" } else { "big-endian" };
        format!("ELF{} {endian} {} (e_machine {})", self.class, self.machine_name(), self.machine)
    }

    /// The libraries from which versions matching `wanted` are required.
    pub(super) fn files_requiring(&self, wanted: impl Fn(&str) -> bool) -> String {
        let mut files: Vec<&str> = self
            .version_requirements
            .iter()
            .filter(|r| wanted(&r.version))
            .map(|r| r.file.as_str())
            .collect();
        files.dedup();
        files.join(", ")
    }
}

/// The highest numbered `GLIBC_*` requirement, compared as integers, and the `GLIBC_*`
/// requirements that carry no comparable number.
pub(super) fn glibc_summary(
    requirements: &[VersionRequirement],
) -> (Option<GlibcVersion>, Vec<String>) {
    let mut max = None;
    let mut unnumbered: Vec<String> = Vec::new();
    for req in requirements {
        let Some(rest) = req.version.strip_prefix("GLIBC_") else {
            continue;
        };
        let numbered = rest.starts_with(|c: char| c.is_ascii_digit());
        match GlibcVersion::parse(&req.version) {
            Ok(v) if numbered => max = max.max(Some(v)),
            // A name such as GLIBC_2.1.2.3 is neither comparable nor safe to ignore: it goes
            // with the unnumbered ones, which no floor allows.
            _ if !unnumbered.contains(&req.version) => unnumbered.push(req.version.clone()),
            _ => {}
        }
    }
    (max, unnumbered)
}

impl fmt::Display for BinaryFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |items: &[String]| {
            if items.is_empty() { "none".to_string() } else { items.join(", ") }
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut glibc = self.glibc_max.map_or("none".to_string(), |v| format!("GLIBC_{v}"));
        if !self.glibc_unnumbered.is_empty() {
            glibc = format!("{glibc}, {}", self.glibc_unnumbered.join(", "));
        }
        let stripped = match self.unstripped_sections() {
            unstripped if unstripped.is_empty() => "yes".to_string(),
            unstripped => format!("no: {}", unstripped.join(", ")),
        };
        let rows = [
            ("architecture", self.architecture()),
            ("file type", self.file_type.name().to_string()),
            ("linkage", self.linkage().to_string()),
            ("interpreter", self.interpreter.clone().unwrap_or_else(|| "none".to_string())),
            ("needed", list(&self.needed)),
            ("glibc", glibc),
            ("stripped", stripped),
            ("rpath", list(&self.rpath)),
            ("runpath", list(&self.runpath)),
            ("pie", yes_no(self.pie).to_string()),
            ("nx stack", yes_no(self.nx_stack).to_string()),
            ("relro", self.relro.name().to_string()),
            ("bind now", yes_no(self.bind_now).to_string()),
            ("size", format!("{} bytes", self.size)),
        ];
        let lines: Vec<String> =
            rows.iter().map(|(key, value)| format!("  {key:<13}{value}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl FileType {
    pub fn name(self) -> &'static str {
        match self {
            FileType::Executable => "executable",
            FileType::StaticPie => "static-pie",
            FileType::SharedLibrary => "shared-library",
            FileType::Relocatable => "relocatable",
            FileType::Core => "core",
            FileType::Other(_) => "unknown",
        }
    }

    pub(super) fn explanation(self) -> String {
        match self {
            FileType::SharedLibrary => "ET_DYN without an interpreter or DF_1_PIE".to_string(),
            FileType::Relocatable => "ET_REL, an object file".to_string(),
            FileType::Core => "ET_CORE, a core dump".to_string(),
            FileType::Other(t) => format!("e_type {t:#x}"),
            FileType::Executable | FileType::StaticPie => "runs on its own".to_string(),
        }
    }
}

impl Relro {
    pub fn name(self) -> &'static str {
        match self {
            Relro::None => "none",
            Relro::Partial => "partial",
            Relro::Full => "full",
        }
    }
}

impl From<&BinaryFacts> for manifest::Binary {
    fn from(f: &BinaryFacts) -> manifest::Binary {
        manifest::Binary {
            class: f.class,
            endian: if f.little_endian { "little" } else { "big" }.into(),
            machine: f.machine,
            machine_name: f.machine_name().into(),
            e_flags: f.e_flags,
            file_type: f.file_type.name().into(),
            linkage: f.linkage().into(),
            interpreter: f.interpreter.clone(),
            needed: f.needed.clone(),
            version_requirements: f.version_requirements.clone(),
            glibc_max: f.glibc_max.map(|v| v.to_string()),
            glibc_unnumbered: f.glibc_unnumbered.clone(),
            stripped: f.stripped(),
            rpath: f.rpath.clone(),
            runpath: f.runpath.clone(),
            pie: f.pie,
            nx_stack: f.nx_stack,
            relro: f.relro.name().into(),
            bind_now: f.bind_now,
            size: f.size,
        }
    }
}
