//! `cargo xtask verify`: proves from the ELF bytes that a binary is what its target promises
//! (architecture, linkage, glibc floor, stripped, no search paths) and records its hardening.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::dynamic::{
    DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1, DT_NEEDED, DT_RPATH,
    DT_RUNPATH, DT_STRSZ, DT_STRTAB, DT_VERNEED, DT_VERNEEDNUM, Dynamic,
};
use goblin::elf::header::{self, ET_CORE, ET_DYN, ET_EXEC, ET_REL, Header};
use goblin::elf::program_header::{
    PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP, PT_LOAD, ProgramHeader,
};
use goblin::elf::section_header::{
    SHN_XINDEX, SHT_GNU_VERNEED, SHT_NOBITS, SHT_SYMTAB, SectionHeader,
};
use xshell::Shell;

use crate::flags;
use crate::policy::Policy;
use crate::target::{GlibcVersion, Libc, Target};

/// Shared libraries every glibc-based Linux host has: glibc's own libraries and libgcc's
/// unwinder, besides the target's loader. Anything else may be missing on a user's machine.
const ALLOWED_GNU_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
];

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

/// One entry of `.gnu.version_r`: `version` is required from the library `file`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionRequirement {
    pub file: String,
    pub version: String,
}

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

/// One way a binary breaks the release policy of its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub found: String,
    pub expected: String,
    pub fix: String,
}

impl flags::Verify {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.target;
        let floor = match self.glibc_floor {
            Some(floor) => Some(floor),
            // The same floor dist applies: the target's, a `.2.28` suffix, or the default.
            None => Policy::read(sh)?.floor_for(&target),
        };
        let facts = verify_file(&self.file, &target, floor)?;
        println!("{}\n{facts}", self.file.display());
        println!("ok: meets the release policy of {target}");
        Ok(())
    }
}

/// Reads, inspects and checks one file; `Err` lists every violation.
pub fn verify_file(
    path: &Path,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Result<BinaryFacts> {
    verify_bytes(&read(path)?, path, target, glibc_floor)
}

/// [`verify_file`] on bytes already read from `path`.
pub fn verify_bytes(
    bytes: &[u8],
    path: &Path,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Result<BinaryFacts> {
    let facts = inspect(bytes).with_context(|| format!("inspecting {}", path.display()))?;
    let violations = check(&facts, target, glibc_floor);
    if violations.is_empty() {
        Ok(facts)
    } else {
        Err(violations_error(path, target, &violations))
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn violations_error(path: &Path, target: &Target, violations: &[Violation]) -> anyhow::Error {
    let count = violations.len();
    let noun = if count == 1 {
        "violation"
    } else {
        "violations"
    };
    let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
    anyhow!(
        "{}: {count} release policy {noun} for {target}:\n\n{}",
        path.display(),
        list.join("\n\n")
    )
}

/// Judges the facts against the release policy of `target`. A gnu binary may require no
/// glibc above `glibc_floor` (no limit when `None`).
pub fn check(
    facts: &BinaryFacts,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let triple = target.triple();

    let arch = target.arch;
    if facts.class != arch.class
        || facts.little_endian != arch.little_endian
        || facts.machine != arch.e_machine
    {
        push(
            &mut out,
            facts.architecture(),
            format!(
                "{} (e_machine {}), as {triple} requires",
                arch.elf_description(),
                arch.e_machine
            ),
            format!(
                "this file was built for another target: build it with `cargo xtask dist --target {triple}`"
            ),
        );
        // Every other rule is about this target's binaries; judging a foreign file by them
        // would only bury the one finding that matters.
        return out;
    }
    if let Some((mask, value, what)) = arch.e_flags {
        if facts.e_flags & mask != value {
            push(
                &mut out,
                format!("e_flags {:#010x}", facts.e_flags),
                format!("{what} (e_flags & {mask:#x} == {value:#x}), as {triple} requires"),
                format!(
                    "this file was built for another ABI of {}: build it with `cargo xtask dist --target {triple}`",
                    arch.rust
                ),
            );
            return out;
        }
    }

    if !matches!(facts.file_type, FileType::Executable | FileType::StaticPie) {
        push(&mut out,
            format!("a {} ({})", facts.file_type.name(), facts.file_type.explanation()),
            "an executable".to_string(),
            "ship the `[[bin]]` target's output from target/<triple>/release/, not a library or object file"
                .to_string(),
        );
    }

    match target.libc {
        Libc::Musl => {
            let fix = format!(
                "do not set `linker = \"musl-gcc\"` for {triple} in .cargo/config.toml: rustc's \
                 default self-contained musl linking gives a static-pie binary"
            );
            if let Some(interp) = &facts.interpreter {
                push(
                    &mut out,
                    format!("interpreter {interp}: the binary needs a dynamic loader"),
                    "no interpreter: a static or static-pie binary that runs on any Linux"
                        .to_string(),
                    fix.clone(),
                );
            }
            if !facts.needed.is_empty() {
                push(
                    &mut out,
                    format!("needed shared libraries: {}", facts.needed.join(", ")),
                    "no DT_NEEDED entries: a static or static-pie binary".to_string(),
                    fix,
                );
            }
        }
        Libc::Gnu => {
            let loader = arch.glibc_loader;
            match facts.interpreter.as_deref() {
                Some(interp) if interp == loader => {}
                Some(interp) => push(
                    &mut out,
                    format!("interpreter {interp}"),
                    format!("interpreter {loader}, the glibc loader of {triple}"),
                    format!(
                        "link with the target's glibc toolchain (the `linker` for {triple} in \
                         .cargo/config.toml) or build with `cargo xtask dist --builder zigbuild`"
                    ),
                ),
                None => push(
                    &mut out,
                    "no interpreter: a statically linked binary".to_string(),
                    format!("interpreter {loader}, the glibc loader of {triple}"),
                    "drop `-C target-feature=+crt-static` for gnu targets: glibc is linked \
                     dynamically, and the musl target is the static build"
                        .to_string(),
                ),
            }

            let foreign: Vec<&str> = facts
                .needed
                .iter()
                .map(String::as_str)
                .filter(|lib| {
                    !ALLOWED_GNU_LIBRARIES.contains(lib) && *lib != arch.glibc_loader_name()
                })
                .collect();
            if !foreign.is_empty() {
                push(
                    &mut out,
                    format!(
                        "needed shared libraries not on every glibc host: {}",
                        foreign.join(", ")
                    ),
                    format!(
                        "only {} and {}",
                        ALLOWED_GNU_LIBRARIES.join(", "),
                        arch.glibc_loader_name()
                    ),
                    "remove the dependency or link it statically (many -sys crates have a \
                     `vendored` or `static` feature), or ship the musl target"
                        .to_string(),
                );
            }

            if let Some(floor) = glibc_floor {
                let zig = format!(
                    "build with `cargo zigbuild --target {triple}.{floor}` (`cargo xtask dist \
                     --builder zigbuild`), or raise `glibc-floor` in `[workspace.metadata.release]` \
                     in Cargo.toml"
                );
                if let Some(max) = facts.glibc_max.filter(|max| *max > floor) {
                    let libs = facts.files_requiring(|v| {
                        v.starts_with("GLIBC_") && GlibcVersion::parse(v).ok() == Some(max)
                    });
                    push(
                        &mut out,
                        format!("requires GLIBC_{max} (from {libs})"),
                        format!(
                            "no symbol version above GLIBC_{floor}, the configured glibc floor"
                        ),
                        zig.clone(),
                    );
                }
                for name in &facts.glibc_unnumbered {
                    let libs = facts.files_requiring(|v| v == name);
                    let (why, fix) = match name.as_str() {
                        "GLIBC_PRIVATE" => (
                            "glibc's internal ABI, which changes with every glibc release",
                            "remove the use of the private glibc symbol; then ".to_string() + &zig,
                        ),
                        "GLIBC_ABI_DT_RELR" => (
                            "packed relative relocations, which only glibc 2.36 and later load",
                            "drop `-z pack-relative-relocs` from the link arguments, or "
                                .to_string()
                                + &zig,
                        ),
                        _ => ("a glibc ABI marker without a version number", zig.clone()),
                    };
                    push(
                        &mut out,
                        format!("requires {name} (from {libs}): {why}"),
                        format!("only numbered glibc versions up to GLIBC_{floor}"),
                        fix,
                    );
                }
            }
        }
    }

    if !facts.stripped() {
        let mut what = Vec::new();
        if facts.has_symtab {
            what.push(".symtab".to_string());
        }
        what.extend(facts.debug_sections.iter().cloned());
        push(
            &mut out,
            format!("not stripped: {}", what.join(", ")),
            "a stripped binary: no .symtab and no .debug_*/.zdebug_* sections".to_string(),
            "set `strip = true` in `[profile.release]` in Cargo.toml".to_string(),
        );
    }

    for (tag, paths) in [("RPATH", &facts.rpath), ("RUNPATH", &facts.runpath)] {
        if !paths.is_empty() {
            push(
                &mut out,
                format!("{tag} {}", paths.join(":")),
                "no RPATH and no RUNPATH: libraries come from the host's standard paths"
                    .to_string(),
                "remove `-rpath` from the link arguments (`-C link-arg`, RUSTFLAGS, build scripts \
                 emitting `cargo:rustc-link-arg`)"
                    .to_string(),
            );
        }
    }

    // Enforced although it is "only" hardening: an executable stack comes from one stray
    // assembly object without a .note.GNU-stack section, never from intent, and it turns
    // every stack overflow into code execution. Rust and zig never produce it on their own.
    if !facts.nx_stack {
        push(
            &mut out,
            "an executable stack (PT_GNU_STACK missing or with the X flag)".to_string(),
            "a non-executable stack: PT_GNU_STACK with flags RW".to_string(),
            "find the object without a .note.GNU-stack section (C or assembly built by a build \
             script) and add one, or link with `-C link-arg=-Wl,-z,noexecstack`"
                .to_string(),
        );
    }

    out
}

fn push(
    out: &mut Vec<Violation>,
    found: impl Into<String>,
    expected: impl Into<String>,
    fix: impl Into<String>,
) {
    out.push(Violation {
        found: found.into(),
        expected: expected.into(),
        fix: fix.into(),
    });
}

impl BinaryFacts {
    /// One word for a summary table: `static-pie`, `static` or `dynamic`.
    pub fn linkage(&self) -> &'static str {
        if self.file_type == FileType::StaticPie {
            "static-pie"
        } else if self.interpreter.is_none() && self.needed.is_empty() {
            "static"
        } else {
            "dynamic"
        }
    }

    pub fn stripped(&self) -> bool {
        !self.has_symtab && self.debug_sections.is_empty()
    }

    /// A readable name for `e_machine`.
    pub fn machine_name(&self) -> &'static str {
        crate::arch::ARCHES
            .iter()
            .find(|a| a.e_machine == self.machine)
            .map_or_else(|| header::machine_to_str(self.machine), |a| a.rust)
    }

    /// Class, byte order and machine, such as `ELF64 little-endian x86_64 (e_machine 62)`.
    pub fn architecture(&self) -> String {
        let endian = if self.little_endian {
            "little-endian"
        } else {
            "big-endian"
        };
        format!(
            "ELF{} {endian} {} (e_machine {})",
            self.class,
            self.machine_name(),
            self.machine
        )
    }

    /// The libraries from which versions matching `wanted` are required.
    fn files_requiring(&self, wanted: impl Fn(&str) -> bool) -> String {
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

impl fmt::Display for BinaryFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_string()
            } else {
                items.join(", ")
            }
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut glibc = match self.glibc_max {
            Some(v) => format!("GLIBC_{v}"),
            None => "none".to_string(),
        };
        if !self.glibc_unnumbered.is_empty() {
            glibc = format!("{glibc}, {}", self.glibc_unnumbered.join(", "));
        }
        let mut unstripped: Vec<&str> = Vec::new();
        if self.has_symtab {
            unstripped.push(".symtab");
        }
        unstripped.extend(self.debug_sections.iter().map(String::as_str));
        let stripped = if unstripped.is_empty() {
            "yes".to_string()
        } else {
            format!("no: {}", unstripped.join(", "))
        };
        let rows = [
            ("architecture", self.architecture()),
            ("file type", self.file_type.name().to_string()),
            ("linkage", self.linkage().to_string()),
            (
                "interpreter",
                self.interpreter
                    .clone()
                    .unwrap_or_else(|| "none".to_string()),
            ),
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
        for (i, (key, value)) in rows.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {key:<13}{value}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  found:    {}\n  expected: {}\n  fix:      {}",
            self.found, self.expected, self.fix
        )
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

    fn explanation(self) -> String {
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

macro_rules! malformed {
    ($($arg:tt)*) => { anyhow!("malformed ELF: {}", format!($($arg)*)) };
}

/// Reads the facts of an ELF file. Never panics: any input that is not a well-formed ELF file
/// whose headers, segments and sections all lie inside it is an error.
pub fn inspect(bytes: &[u8]) -> Result<BinaryFacts> {
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        bail!("not an ELF file: starts with {}", describe_start(bytes));
    }
    let ident = bytes.get(..header::SIZEOF_IDENT).ok_or_else(|| {
        malformed!(
            "the file ends inside the ELF identification ({} bytes)",
            bytes.len()
        )
    })?;
    let (class, container, ehsize) = match ident[header::EI_CLASS] {
        header::ELFCLASS32 => (32u8, Container::Little, header::header32::SIZEOF_EHDR),
        header::ELFCLASS64 => (64u8, Container::Big, header::header64::SIZEOF_EHDR),
        other => {
            return Err(malformed!(
                "unknown ELF class {other} (EI_CLASS must be 1 or 2)"
            ));
        }
    };
    let (little_endian, endian) = match ident[header::EI_DATA] {
        header::ELFDATA2LSB => (true, Endian::Little),
        header::ELFDATA2MSB => (false, Endian::Big),
        other => {
            return Err(malformed!(
                "unknown byte order {other} (EI_DATA must be 1 or 2)"
            ));
        }
    };
    if bytes.len() < ehsize {
        return Err(malformed!(
            "truncated: the file is {} bytes, the ELF{class} header alone is {ehsize}",
            bytes.len()
        ));
    }
    let ctx = Ctx::new(container, endian);
    let header =
        goblin::elf::Elf::parse_header(bytes).map_err(|e| malformed!("ELF header: {e}"))?;
    if usize::from(header.e_ehsize) != ehsize {
        return Err(malformed!(
            "e_ehsize is {}, an ELF{class} header is {ehsize} bytes",
            header.e_ehsize
        ));
    }

    let phdrs = program_headers(bytes, &header, ctx)?;
    let sections = Sections::parse(bytes, &header, ctx)?;
    for (i, ph) in phdrs.iter().enumerate() {
        file_range(bytes, ph.p_offset, ph.p_filesz).ok_or_else(|| {
            malformed!(
                "segment {i} ({}) at offset {:#x}, {:#x} bytes, ends past the end of the file ({} bytes): truncated?",
                goblin::elf::program_header::pt_to_str(ph.p_type),
                ph.p_offset,
                ph.p_filesz,
                bytes.len()
            )
        })?;
    }

    let interpreter = interpreter(bytes, &phdrs)?;
    let dynamic = DynamicFacts::read(bytes, &phdrs, ctx, little_endian)?;
    let version_requirements = dynamic.version_requirements.clone();
    sections.check_version_requirements(bytes, little_endian, &version_requirements)?;

    let (glibc_max, glibc_unnumbered) = glibc_summary(&version_requirements);

    let file_type = match header.e_type {
        ET_EXEC => FileType::Executable,
        ET_DYN if interpreter.is_some() => FileType::Executable,
        ET_DYN if dynamic.flags_1 & DF_1_PIE != 0 => FileType::StaticPie,
        ET_DYN => FileType::SharedLibrary,
        ET_REL => FileType::Relocatable,
        ET_CORE => FileType::Core,
        other => FileType::Other(other),
    };
    let pie =
        header.e_type == ET_DYN && matches!(file_type, FileType::Executable | FileType::StaticPie);
    let nx_stack = phdrs.iter().any(|ph| ph.p_type == PT_GNU_STACK)
        && phdrs
            .iter()
            .filter(|ph| ph.p_type == PT_GNU_STACK)
            .all(|ph| ph.p_flags & PF_X == 0);
    let bind_now = dynamic.bind_now();
    let relro = match (phdrs.iter().any(|ph| ph.p_type == PT_GNU_RELRO), bind_now) {
        (false, _) => Relro::None,
        (true, false) => Relro::Partial,
        (true, true) => Relro::Full,
    };

    Ok(BinaryFacts {
        class,
        little_endian,
        machine: header.e_machine,
        e_flags: header.e_flags,
        file_type,
        interpreter,
        needed: dynamic.needed,
        version_requirements,
        glibc_max,
        glibc_unnumbered,
        has_symtab: sections.has_symtab,
        debug_sections: sections.debug_sections,
        rpath: dynamic.rpath,
        runpath: dynamic.runpath,
        pie,
        nx_stack,
        relro,
        bind_now,
        size: bytes.len() as u64,
    })
}

/// The highest numbered `GLIBC_*` requirement, compared as integers, and the `GLIBC_*`
/// requirements that carry no comparable number.
fn glibc_summary(requirements: &[VersionRequirement]) -> (Option<GlibcVersion>, Vec<String>) {
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
            _ => {
                if !unnumbered.contains(&req.version) {
                    unnumbered.push(req.version.clone());
                }
            }
        }
    }
    (max, unnumbered)
}

/// The first bytes of a file that is not ELF, as text when they are text.
fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing: the file is empty".to_string();
    }
    let head = &bytes[..bytes.len().min(16)];
    let printable = head
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if printable {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(" ")
    }
}

/// `offset..offset + size` when it lies inside `bytes`.
fn file_range(bytes: &[u8], offset: u64, size: u64) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    (end <= bytes.len()).then_some(start..end)
}

fn program_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<ProgramHeader>> {
    if header.e_phnum == 0 {
        return Ok(Vec::new());
    }
    if header.e_phnum == u16::MAX {
        // PN_XNUM: the real count hides in section 0. No linker we ship with writes it.
        return Err(malformed!(
            "e_phnum is PN_XNUM (65535 or more program headers)"
        ));
    }
    let entsize = ProgramHeader::size(ctx);
    if usize::from(header.e_phentsize) != entsize {
        return Err(malformed!(
            "e_phentsize is {}, a program header of this class is {entsize} bytes",
            header.e_phentsize
        ));
    }
    let table = u64::from(header.e_phnum) * entsize as u64;
    file_range(bytes, header.e_phoff, table).ok_or_else(|| {
        malformed!(
            "the program header table (offset {:#x}, {} entries) ends past the end of the file ({} bytes): truncated?",
            header.e_phoff,
            header.e_phnum,
            bytes.len()
        )
    })?;
    let offset = usize::try_from(header.e_phoff).context("e_phoff")?;
    ProgramHeader::parse(bytes, offset, usize::from(header.e_phnum), ctx)
        .map_err(|e| malformed!("program headers: {e}"))
}

/// What the section headers say, once their table and every section are known to lie in
/// the file.
struct Sections {
    headers: Vec<SectionHeader>,
    names: Vec<String>,
    has_symtab: bool,
    debug_sections: Vec<String>,
}

impl Sections {
    fn parse(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Sections> {
        let empty = Sections {
            headers: Vec::new(),
            names: Vec::new(),
            has_symtab: false,
            debug_sections: Vec::new(),
        };
        if header.e_shoff == 0 {
            if header.e_shnum != 0 {
                return Err(malformed!(
                    "e_shnum is {} but there is no section header table",
                    header.e_shnum
                ));
            }
            return Ok(empty);
        }
        let entsize = SectionHeader::size(ctx);
        if usize::from(header.e_shentsize) != entsize {
            return Err(malformed!(
                "e_shentsize is {}, a section header of this class is {entsize} bytes",
                header.e_shentsize
            ));
        }
        let past_end = |count: u64| {
            malformed!(
                "the section header table (offset {:#x}, {count} entries) ends past the end of the file ({} bytes): truncated?",
                header.e_shoff,
                bytes.len()
            )
        };
        // With e_shnum 0 the count lives in section 0, which must itself be in the file.
        let announced = u64::from(header.e_shnum).max(1);
        file_range(bytes, header.e_shoff, announced * entsize as u64)
            .ok_or_else(|| past_end(announced))?;
        let offset = usize::try_from(header.e_shoff).context("e_shoff")?;
        let headers = SectionHeader::parse(bytes, offset, usize::from(header.e_shnum), ctx)
            .map_err(|e| malformed!("section headers: {e}"))?;
        let count = headers.len() as u64;
        file_range(bytes, header.e_shoff, count * entsize as u64).ok_or_else(|| past_end(count))?;

        for (i, sh) in headers.iter().enumerate() {
            if sh.sh_type != SHT_NOBITS && file_range(bytes, sh.sh_offset, sh.sh_size).is_none() {
                return Err(malformed!(
                    "section {i} at offset {:#x}, {:#x} bytes, ends past the end of the file ({} bytes): truncated?",
                    sh.sh_offset,
                    sh.sh_size,
                    bytes.len()
                ));
            }
        }

        let mut strndx = u32::from(header.e_shstrndx);
        if strndx == SHN_XINDEX {
            strndx = headers.first().map_or(0, |sh| sh.sh_link);
        }
        if strndx == 0 && headers.len() > 1 {
            return Err(malformed!(
                "the section names have no string table (e_shstrndx is 0)"
            ));
        }
        let names_table = match headers.get(strndx as usize) {
            Some(sh) if strndx != 0 => section_bytes(bytes, sh),
            Some(_) => &[][..],
            None => {
                return Err(malformed!(
                    "e_shstrndx {strndx} names no section ({} sections)",
                    headers.len()
                ));
            }
        };
        let mut names = Vec::with_capacity(headers.len());
        for (i, sh) in headers.iter().enumerate() {
            if i == 0 {
                names.push(String::new());
                continue;
            }
            let name = c_string(names_table, sh.sh_name as u64).ok_or_else(|| {
                malformed!("the name of section {i} is not in the section name table")
            })?;
            names.push(name);
        }

        let has_symtab = headers
            .iter()
            .zip(&names)
            .any(|(sh, name)| sh.sh_type == SHT_SYMTAB || name == ".symtab");
        let debug_sections = names
            .iter()
            .filter(|name| name.starts_with(".debug") || name.starts_with(".zdebug"))
            .cloned()
            .collect();
        Ok(Sections {
            headers,
            names,
            has_symtab,
            debug_sections,
        })
    }

    /// Cross-checks `.gnu.version_r` against the requirements the dynamic section points the
    /// loader to. Tools that read only one of the two (goblin reads only the section) must not
    /// be able to see a different set than the loader enforces.
    fn check_version_requirements(
        &self,
        bytes: &[u8],
        little_endian: bool,
        from_dynamic: &[VersionRequirement],
    ) -> Result<()> {
        if self.headers.is_empty() {
            return Ok(());
        }
        let found: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .filter(|(_, sh)| sh.sh_type == SHT_GNU_VERNEED)
            .map(|(i, _)| i)
            .collect();
        let index = match found[..] {
            [] if from_dynamic.is_empty() => return Ok(()),
            [] => {
                return Err(malformed!(
                    "the dynamic section asks for {} version requirements (DT_VERNEED) but there is no .gnu.version_r section",
                    from_dynamic.len()
                ));
            }
            [index] => index,
            _ => return Err(malformed!("more than one SHT_GNU_VERNEED section")),
        };
        let sh = &self.headers[index];
        let name = &self.names[index];
        let strtab = self
            .headers
            .get(sh.sh_link as usize)
            .filter(|_| sh.sh_link != 0)
            .map(|strtab| section_bytes(bytes, strtab))
            .ok_or_else(|| {
                malformed!("{name} links to no string table (sh_link {})", sh.sh_link)
            })?;
        let from_section = version_requirements(
            section_bytes(bytes, sh),
            u64::from(sh.sh_info),
            strtab,
            little_endian,
            name,
        )?;
        let mut a = from_section.clone();
        let mut b = from_dynamic.to_vec();
        a.sort();
        b.sort();
        if a != b {
            return Err(malformed!(
                "{name} lists {} version requirements, the dynamic section (DT_VERNEED) {}: they must agree",
                from_section.len(),
                from_dynamic.len()
            ));
        }
        Ok(())
    }
}

/// A section's bytes; callers have checked that every section lies in the file.
fn section_bytes<'a>(bytes: &'a [u8], sh: &SectionHeader) -> &'a [u8] {
    if sh.sh_type == SHT_NOBITS {
        return &[];
    }
    file_range(bytes, sh.sh_offset, sh.sh_size)
        .and_then(|r| bytes.get(r))
        .unwrap_or(&[])
}

/// The NUL-terminated UTF-8 string at `offset` in `table`.
fn c_string(table: &[u8], offset: u64) -> Option<String> {
    let rest = table.get(usize::try_from(offset).ok()?..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..len]).ok().map(str::to_string)
}

/// `PT_INTERP`, read from the program header: goblin reports an unreadable one as absent,
/// which would make a dynamic binary look static.
fn interpreter(bytes: &[u8], phdrs: &[ProgramHeader]) -> Result<Option<String>> {
    let mut found = phdrs.iter().filter(|ph| ph.p_type == PT_INTERP);
    let Some(ph) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(malformed!("more than one PT_INTERP segment"));
    }
    let unreadable = || {
        malformed!(
            "PT_INTERP (offset {:#x}, {} bytes) does not hold a NUL-terminated UTF-8 path",
            ph.p_offset,
            ph.p_filesz
        )
    };
    let data = file_range(bytes, ph.p_offset, ph.p_filesz)
        .and_then(|r| bytes.get(r))
        .ok_or_else(unreadable)?;
    match c_string(data, 0) {
        Some(path) if !path.is_empty() => Ok(Some(path)),
        _ => Err(unreadable()),
    }
}

/// What the loader reads from `PT_DYNAMIC`.
#[derive(Default)]
struct DynamicFacts {
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
    version_requirements: Vec<VersionRequirement>,
    flags: u64,
    flags_1: u64,
    has_bind_now_tag: bool,
}

impl DynamicFacts {
    fn read(
        bytes: &[u8],
        phdrs: &[ProgramHeader],
        ctx: Ctx,
        little_endian: bool,
    ) -> Result<DynamicFacts> {
        if phdrs.iter().filter(|ph| ph.p_type == PT_DYNAMIC).count() > 1 {
            return Err(malformed!("more than one PT_DYNAMIC segment"));
        }
        let Some(dynamic) = Dynamic::parse(bytes, phdrs, ctx).map_err(|e| malformed!("{e}"))?
        else {
            return Ok(DynamicFacts::default());
        };
        let tag = |wanted: u64| {
            dynamic
                .dyns
                .iter()
                .find(|d| d.d_tag == wanted)
                .map(|d| d.d_val)
        };
        let mut facts = DynamicFacts {
            flags: tag(DT_FLAGS).unwrap_or(0),
            flags_1: tag(DT_FLAGS_1).unwrap_or(0),
            has_bind_now_tag: tag(DT_BIND_NOW).is_some(),
            ..DynamicFacts::default()
        };

        let uses_strings = dynamic
            .dyns
            .iter()
            .any(|d| matches!(d.d_tag, DT_NEEDED | DT_RPATH | DT_RUNPATH | DT_VERNEED));
        if !uses_strings {
            if tag(DT_VERNEEDNUM).is_some_and(|n| n != 0) {
                return Err(malformed!("DT_VERNEEDNUM without DT_VERNEED"));
            }
            return Ok(facts);
        }
        let strtab = match (tag(DT_STRTAB), tag(DT_STRSZ)) {
            (Some(addr), Some(size)) => mapped(bytes, phdrs, addr)
                .and_then(|data| data.get(..usize::try_from(size).ok()?))
                .ok_or_else(|| {
                    malformed!(
                        "the dynamic string table (DT_STRTAB {addr:#x}, DT_STRSZ {size}) is not in the file"
                    )
                })?,
            _ => return Err(malformed!("the dynamic section names libraries but has no DT_STRTAB/DT_STRSZ")),
        };
        for d in &dynamic.dyns {
            let list = match d.d_tag {
                DT_NEEDED => &mut facts.needed,
                DT_RPATH => &mut facts.rpath,
                DT_RUNPATH => &mut facts.runpath,
                _ => continue,
            };
            let name = c_string(strtab, d.d_val).ok_or_else(|| {
                malformed!(
                    "{} string at offset {:#x} is not in the dynamic string table",
                    goblin::elf::dynamic::tag_to_str(d.d_tag),
                    d.d_val
                )
            })?;
            list.push(name);
        }

        match (tag(DT_VERNEED), tag(DT_VERNEEDNUM)) {
            (None, None) => {}
            (Some(addr), Some(count)) => {
                let table = mapped(bytes, phdrs, addr).ok_or_else(|| {
                    malformed!("DT_VERNEED {addr:#x} points outside the file's loaded segments")
                })?;
                facts.version_requirements =
                    version_requirements(table, count, strtab, little_endian, "DT_VERNEED")?;
            }
            (Some(_), None) => return Err(malformed!("DT_VERNEED without DT_VERNEEDNUM")),
            (None, Some(_)) => return Err(malformed!("DT_VERNEEDNUM without DT_VERNEED")),
        }
        Ok(facts)
    }

    fn bind_now(&self) -> bool {
        self.has_bind_now_tag || self.flags & DF_BIND_NOW != 0 || self.flags_1 & DF_1_NOW != 0
    }
}

/// The file bytes from virtual address `addr` to the end of the `PT_LOAD` segment holding it.
fn mapped<'a>(bytes: &'a [u8], phdrs: &[ProgramHeader], addr: u64) -> Option<&'a [u8]> {
    phdrs
        .iter()
        .filter(|ph| ph.p_type == PT_LOAD)
        .find_map(|ph| {
            let delta = addr.checked_sub(ph.p_vaddr)?;
            if delta >= ph.p_filesz {
                return None;
            }
            let range = file_range(bytes, ph.p_offset.checked_add(delta)?, ph.p_filesz - delta)?;
            bytes.get(range)
        })
}

/// Walks `count` `Elf_Verneed` entries (the same 16-byte layout in both classes) and their
/// `Elf_Vernaux` chains. Unlike goblin's iterator, which stops quietly at the first bad
/// entry, every inconsistency is an error: a hidden requirement would escape the floor.
fn version_requirements(
    table: &[u8],
    count: u64,
    strtab: &[u8],
    little_endian: bool,
    what: &str,
) -> Result<Vec<VersionRequirement>> {
    const ENTRY: usize = 16;
    let u16_at = |base: usize, field: usize| -> Option<u16> {
        let at = base.checked_add(field)?;
        let raw: [u8; 2] = table.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if little_endian {
            u16::from_le_bytes(raw)
        } else {
            u16::from_be_bytes(raw)
        })
    };
    let u32_at = |base: usize, field: usize| -> Option<u32> {
        let at = base.checked_add(field)?;
        let raw: [u8; 4] = table.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little_endian {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        })
    };
    let bad = |detail: String| malformed!("version requirements ({what}): {detail}");

    // Entries never overlap, so the table bounds the total work even for hostile offsets.
    let mut budget = table.len() / ENTRY;
    if count > budget as u64 {
        return Err(bad(format!(
            "{count} entries cannot fit in {} bytes",
            table.len()
        )));
    }
    let mut out = Vec::new();
    let mut offset = 0usize;
    for i in 0..count {
        budget = budget
            .checked_sub(1)
            .ok_or_else(|| bad("more entries than fit".to_string()))?;
        let entry = (|| {
            Some((
                u16_at(offset, 2)?,
                u32_at(offset, 4)?,
                u32_at(offset, 8)?,
                u32_at(offset, 12)?,
            ))
        })();
        let (aux_count, file, aux, next) =
            entry.ok_or_else(|| bad(format!("entry {i} at offset {offset:#x} is cut off")))?;
        let file = c_string(strtab, u64::from(file)).ok_or_else(|| {
            bad(format!(
                "entry {i}: the file name is not in the string table"
            ))
        })?;
        let mut aux_offset = offset
            .checked_add(aux as usize)
            .ok_or_else(|| bad(format!("entry {i}: vn_aux overflows")))?;
        for j in 0..aux_count {
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| bad("more entries than fit".to_string()))?;
            let (name, aux_next) = (|| Some((u32_at(aux_offset, 8)?, u32_at(aux_offset, 12)?)))()
                .ok_or_else(|| {
                bad(format!(
                    "entry {i}, version {j} at offset {aux_offset:#x} is cut off"
                ))
            })?;
            let version = c_string(strtab, u64::from(name)).ok_or_else(|| {
                bad(format!(
                    "entry {i}, version {j}: the name is not in the string table"
                ))
            })?;
            out.push(VersionRequirement {
                file: file.clone(),
                version,
            });
            if aux_next == 0 {
                if j + 1 != aux_count {
                    return Err(bad(format!(
                        "entry {i} announces {aux_count} versions but lists {}",
                        j + 1
                    )));
                }
                break;
            }
            if (aux_next as usize) < ENTRY {
                return Err(bad(format!(
                    "entry {i}: overlapping versions (vna_next {aux_next})"
                )));
            }
            aux_offset = aux_offset
                .checked_add(aux_next as usize)
                .ok_or_else(|| bad(format!("entry {i}: vna_next overflows")))?;
        }
        if next == 0 {
            if i + 1 != count {
                return Err(bad(format!(
                    "{count} entries announced but the chain ends after {}",
                    i + 1
                )));
            }
            break;
        }
        if (next as usize) < ENTRY {
            return Err(bad(format!(
                "entry {i}: overlapping entries (vn_next {next})"
            )));
        }
        offset = offset
            .checked_add(next as usize)
            .ok_or_else(|| bad(format!("entry {i}: vn_next overflows")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
