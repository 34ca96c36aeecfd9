//! Reads an ELF file into [`BinaryFacts`] with goblin's parsers, plus the cross-checks for what
//! goblin trusts or skips (SPEC §9): entry sizes, bounds, PT_INTERP, strings, DT_VERNEED.

use std::ops::Range;

use anyhow::{Result, bail, ensure};
use goblin::container::Ctx;
use goblin::elf::Elf;
use goblin::elf::dynamic::{
    DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_STRSZ,
    DT_STRTAB, DT_VERNEED, DT_VERNEEDNUM, Dyn, Dynamic, tag_to_str,
};
use goblin::elf::header::{self, ET_CORE, ET_DYN, ET_EXEC, ET_REL, Header};
use goblin::elf::program_header::{
    PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP, PT_LOAD, ProgramHeader, pt_to_str,
};
use goblin::elf::section_header::{SHN_XINDEX, SHT_NOBITS, SHT_SYMTAB, SectionHeader};

use super::facts::{BinaryFacts, FileType, Relro, VersionRequirement, glibc_summary};
use verneed::VerneedWalk;

macro_rules! malformed {
    ($($arg:tt)*) => { anyhow::anyhow!("malformed ELF: {}", format!($($arg)*)) };
}

// After the macro, which it uses.
mod verneed;

/// Reads the facts of an ELF file. Never panics: any input that is not a well-formed ELF file
/// whose headers, segments and sections all lie inside it is an error.
pub fn inspect(bytes: &[u8]) -> Result<BinaryFacts> {
    let (header, ctx) = file_header(bytes)?;
    let phdrs = program_headers(bytes, &header, ctx)?;
    let sections = Sections::parse(bytes, &header, ctx)?;
    let interpreter = interpreter(bytes, &phdrs)?;
    let dynamic = DynamicFacts::read(bytes, &phdrs, ctx)?;
    sections.check_version_requirements(bytes, ctx, &dynamic.version_requirements)?;
    let (glibc_max, glibc_unnumbered) = glibc_summary(&dynamic.version_requirements);

    let file_type = match header.e_type {
        ET_EXEC => FileType::Executable,
        ET_DYN if interpreter.is_some() => FileType::Executable,
        ET_DYN if dynamic.pie_flag => FileType::StaticPie,
        ET_DYN => FileType::SharedLibrary,
        ET_REL => FileType::Relocatable,
        ET_CORE => FileType::Core,
        other => FileType::Other(other),
    };
    let pie =
        header.e_type == ET_DYN && matches!(file_type, FileType::Executable | FileType::StaticPie);
    let mut stacks = phdrs.iter().filter(|ph| ph.p_type == PT_GNU_STACK).peekable();
    let nx_stack = stacks.peek().is_some() && stacks.all(|ph| ph.p_flags & PF_X == 0);
    let relro = match (phdrs.iter().any(|ph| ph.p_type == PT_GNU_RELRO), dynamic.bind_now) {
        (false, _) => Relro::None,
        (true, false) => Relro::Partial,
        (true, true) => Relro::Full,
    };
    Ok(BinaryFacts {
        class: if ctx.is_big() { 64 } else { 32 },
        little_endian: ctx.is_little_endian(),
        machine: header.e_machine,
        e_flags: header.e_flags,
        file_type,
        interpreter,
        needed: dynamic.needed,
        version_requirements: dynamic.version_requirements,
        glibc_max,
        glibc_unnumbered,
        has_symtab: sections.has_symtab(),
        debug_sections: sections.debug_sections(),
        rpath: dynamic.rpath,
        runpath: dynamic.runpath,
        pie,
        nx_stack,
        relro,
        bind_now: dynamic.bind_now,
        size: bytes.len() as u64,
    })
}

/// The file header. The identification is checked first so that a damaged one is named (goblin
/// would say "bad magic" or "buffer too short"), and `e_ehsize`, which goblin ignores, after.
fn file_header(bytes: &[u8]) -> Result<(Header, Ctx)> {
    if bytes.get(..header::SELFMAG) != Some(&header::ELFMAG[..]) {
        bail!("not an ELF file: starts with {}", describe_start(bytes));
    }
    let ident = bytes.get(..header::SIZEOF_IDENT).ok_or_else(|| {
        malformed!("the file ends inside the ELF identification ({} bytes)", bytes.len())
    })?;
    let (class, ehsize) = match ident[header::EI_CLASS] {
        header::ELFCLASS32 => (32, header::header32::SIZEOF_EHDR),
        header::ELFCLASS64 => (64, header::header64::SIZEOF_EHDR),
        other => bail!(malformed!("unknown ELF class {other} (EI_CLASS must be 1 or 2)")),
    };
    let data = ident[header::EI_DATA];
    if !matches!(data, header::ELFDATA2LSB | header::ELFDATA2MSB) {
        bail!(malformed!("unknown byte order {data} (EI_DATA must be 1 or 2)"));
    }
    if bytes.len() < ehsize {
        bail!(malformed!(
            "truncated: the file is {} bytes, the ELF{class} header alone is {ehsize}",
            bytes.len()
        ));
    }
    let header = Elf::parse_header(bytes).map_err(|e| malformed!("ELF header: {e}"))?;
    ensure!(
        usize::from(header.e_ehsize) == ehsize,
        malformed!("e_ehsize is {}, an ELF{class} header is {ehsize} bytes", header.e_ehsize)
    );
    let ctx = Ctx::new(header.container()?, header.endianness()?);
    Ok((header, ctx))
}

/// The first bytes of a file that is not ELF, as text when they are text.
fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing: the file is empty".to_string();
    }
    let head = &bytes[..bytes.len().min(16)];
    let printable = head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if printable {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(" ")
    }
}

/// `offset..offset + size` when it lies inside `bytes`.
fn file_range(bytes: &[u8], offset: u64, size: u64) -> Option<Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    (end <= bytes.len()).then_some(start..end)
}

/// [`file_range`], or an error saying that `what` ends past the end of the file.
fn in_file(
    bytes: &[u8],
    offset: u64,
    size: u64,
    what: impl FnOnce() -> String,
) -> Result<Range<usize>> {
    file_range(bytes, offset, size).ok_or_else(|| {
        malformed!("{} ends past the end of the file ({} bytes): truncated?", what(), bytes.len())
    })
}

/// goblin's program headers, once `e_phentsize` is the class's and the table and every segment
/// lie in the file: goblin checks neither, so a truncated file would parse cleanly.
fn program_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<ProgramHeader>> {
    if header.e_phnum == 0 {
        return Ok(Vec::new());
    }
    if header.e_phnum == u16::MAX {
        // PN_XNUM: the real count hides in section 0. No linker we ship with writes it.
        bail!(malformed!("e_phnum is PN_XNUM (65535 or more program headers)"));
    }
    let entsize = ProgramHeader::size(ctx);
    entry_size("e_phentsize", header.e_phentsize, "program header", entsize)?;
    let table = u64::from(header.e_phnum) * entsize as u64;
    let range = in_file(bytes, header.e_phoff, table, || {
        format!(
            "the program header table (offset {:#x}, {} entries)",
            header.e_phoff, header.e_phnum
        )
    })?;
    let phdrs = ProgramHeader::parse(bytes, range.start, usize::from(header.e_phnum), ctx)
        .map_err(|e| malformed!("program headers: {e}"))?;
    for (i, ph) in phdrs.iter().enumerate() {
        in_file(bytes, ph.p_offset, ph.p_filesz, || {
            let kind = pt_to_str(ph.p_type);
            format!("segment {i} ({kind}) at offset {:#x}, {:#x} bytes,", ph.p_offset, ph.p_filesz)
        })?;
    }
    Ok(phdrs)
}

/// goblin's section headers and their names, once the table and every section are known to lie
/// in the file and every name to be readable.
#[derive(Default)]
struct Sections {
    headers: Vec<SectionHeader>,
    names: Vec<String>,
}

impl Sections {
    fn parse(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Sections> {
        if header.e_shoff == 0 {
            ensure!(
                header.e_shnum == 0,
                malformed!("e_shnum is {} but there is no section header table", header.e_shnum)
            );
            return Ok(Sections::default());
        }
        let headers = section_headers(bytes, header, ctx)?;
        let mut strndx = u32::from(header.e_shstrndx);
        if strndx == SHN_XINDEX {
            strndx = headers.first().map_or(0, |sh| sh.sh_link);
        }
        if strndx == 0 && headers.len() > 1 {
            bail!(malformed!("the section names have no string table (e_shstrndx is 0)"));
        }
        let names_table = match headers.get(strndx as usize) {
            Some(sh) if strndx != 0 => section_bytes(bytes, sh),
            Some(_) => &[][..],
            None => bail!(malformed!(
                "e_shstrndx {strndx} names no section ({} sections)",
                headers.len()
            )),
        };
        // Section 0 has no name; every other name must be readable, or a `.symtab` or
        // `.debug_*` section could hide behind an unreadable one.
        let mut names = vec![String::new()];
        for (i, sh) in headers.iter().enumerate().skip(1) {
            let name = c_string(names_table, sh.sh_name as u64).ok_or_else(|| {
                malformed!("the name of section {i} is not in the section name table")
            })?;
            names.push(name);
        }
        Ok(Sections { headers, names })
    }

    fn has_symtab(&self) -> bool {
        self.headers
            .iter()
            .zip(&self.names)
            .any(|(sh, name)| sh.sh_type == SHT_SYMTAB || name == ".symtab")
    }

    fn debug_sections(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|name| name.starts_with(".debug") || name.starts_with(".zdebug"))
            .cloned()
            .collect()
    }
}

/// The section header table, once `e_shentsize` is the class's and the table and every section
/// lie in the file.
fn section_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<SectionHeader>> {
    let entsize = SectionHeader::size(ctx);
    entry_size("e_shentsize", header.e_shentsize, "section header", entsize)?;
    let table = |count: u64| {
        in_file(bytes, header.e_shoff, count * entsize as u64, || {
            format!("the section header table (offset {:#x}, {count} entries)", header.e_shoff)
        })
    };
    // With e_shnum 0 the count lives in section 0, which goblin reads: check it, then the rest.
    let start = table(u64::from(header.e_shnum).max(1))?.start;
    let headers = SectionHeader::parse(bytes, start, usize::from(header.e_shnum), ctx)
        .map_err(|e| malformed!("section headers: {e}"))?;
    table(headers.len() as u64)?;
    for (i, sh) in headers.iter().enumerate().filter(|(_, sh)| sh.sh_type != SHT_NOBITS) {
        in_file(bytes, sh.sh_offset, sh.sh_size, || {
            format!("section {i} at offset {:#x}, {:#x} bytes,", sh.sh_offset, sh.sh_size)
        })?;
    }
    Ok(headers)
}

/// Fails unless the header's `field`, the size of one `what` in its table, is the class's `size`.
fn entry_size(field: &str, found: u16, what: &str, size: usize) -> Result<()> {
    ensure!(
        usize::from(found) == size,
        malformed!("{field} is {found}, a {what} of this class is {size} bytes")
    );
    Ok(())
}

/// A section's bytes; callers have checked that every section lies in the file.
fn section_bytes<'a>(bytes: &'a [u8], sh: &SectionHeader) -> &'a [u8] {
    if sh.sh_type == SHT_NOBITS {
        return &[];
    }
    file_range(bytes, sh.sh_offset, sh.sh_size).map_or(&[], |r| &bytes[r])
}

/// The NUL-terminated UTF-8 string at `offset` in `table`. goblin's string tables would drop an
/// unreadable name or accept one cut off by the end of the table.
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
    ensure!(found.next().is_none(), malformed!("more than one PT_INTERP segment"));
    let path = file_range(bytes, ph.p_offset, ph.p_filesz)
        .and_then(|r| c_string(&bytes[r], 0))
        .filter(|path| !path.is_empty());
    let path = path.ok_or_else(|| {
        malformed!(
            "PT_INTERP (offset {:#x}, {} bytes) does not hold a NUL-terminated UTF-8 path",
            ph.p_offset,
            ph.p_filesz
        )
    })?;
    Ok(Some(path))
}

/// What the loader reads from `PT_DYNAMIC`.
#[derive(Default)]
struct DynamicFacts {
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
    version_requirements: Vec<VersionRequirement>,
    pie_flag: bool,
    bind_now: bool,
}

impl DynamicFacts {
    fn read(bytes: &[u8], phdrs: &[ProgramHeader], ctx: Ctx) -> Result<DynamicFacts> {
        let dynamics = phdrs.iter().filter(|ph| ph.p_type == PT_DYNAMIC).count();
        ensure!(dynamics <= 1, malformed!("more than one PT_DYNAMIC segment"));
        let Some(dynamic) = Dynamic::parse(bytes, phdrs, ctx).map_err(|e| malformed!("{e}"))?
        else {
            return Ok(DynamicFacts::default());
        };
        // goblin's `info` holds the last entry of each tag, as ld.so reads them; so does `tag`.
        // Its addresses are not used: it maps them through p_memsz and turns an unmapped one
        // into offset 0, the start of the file.
        let tag = |wanted: u64| {
            let last = dynamic.dyns.iter().rev().find(|d| d.d_tag == wanted);
            last.map(|d| d.d_val)
        };
        let (flags, flags_1) = (dynamic.info.flags, dynamic.info.flags_1);
        let mut facts = DynamicFacts {
            pie_flag: flags_1 & DF_1_PIE != 0,
            bind_now: tag(DT_BIND_NOW).is_some()
                || flags & DF_BIND_NOW != 0
                || flags_1 & DF_1_NOW != 0,
            ..DynamicFacts::default()
        };
        let names = [DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_VERNEED];
        if !dynamic.dyns.iter().any(|d| names.contains(&d.d_tag)) {
            let count = tag(DT_VERNEEDNUM).unwrap_or(0);
            ensure!(count == 0, malformed!("DT_VERNEEDNUM without DT_VERNEED"));
            return Ok(facts);
        }
        let (Some(addr), Some(size)) = (tag(DT_STRTAB), tag(DT_STRSZ)) else {
            bail!(malformed!("the dynamic section names libraries but has no DT_STRTAB/DT_STRSZ"));
        };
        let strtab = mapped(bytes, phdrs, addr)
            .and_then(|data| data.get(..usize::try_from(size).ok()?))
            .ok_or_else(|| {
                malformed!(
                    "the dynamic string table (DT_STRTAB {addr:#x}, DT_STRSZ {size}) is not in the file"
                )
            })?;
        facts.read_names(&dynamic.dyns, strtab)?;
        facts.version_requirements = match (tag(DT_VERNEED), tag(DT_VERNEEDNUM)) {
            (None, None) => Vec::new(),
            (Some(addr), Some(count)) => {
                let table = mapped(bytes, phdrs, addr).ok_or_else(|| {
                    malformed!("DT_VERNEED {addr:#x} points outside the file's loaded segments")
                })?;
                VerneedWalk::new(table, strtab, ctx, "DT_VERNEED").requirements(count)?
            }
            (Some(_), None) => bail!(malformed!("DT_VERNEED without DT_VERNEEDNUM")),
            (None, Some(_)) => bail!(malformed!("DT_VERNEEDNUM without DT_VERNEED")),
        };
        Ok(facts)
    }

    /// Every name, in file order: goblin's `libraries`, `rpaths` and `runpaths` silently drop
    /// the ones they cannot read.
    fn read_names(&mut self, dyns: &[Dyn], strtab: &[u8]) -> Result<()> {
        for d in dyns {
            let list = match d.d_tag {
                DT_NEEDED => &mut self.needed,
                DT_RPATH => &mut self.rpath,
                DT_RUNPATH => &mut self.runpath,
                _ => continue,
            };
            let name = c_string(strtab, d.d_val).ok_or_else(|| {
                malformed!(
                    "{} string at offset {:#x} is not in the dynamic string table",
                    tag_to_str(d.d_tag),
                    d.d_val
                )
            })?;
            list.push(name);
        }
        Ok(())
    }
}

/// The file bytes from virtual address `addr` to the end of the `PT_LOAD` segment holding it.
fn mapped<'a>(bytes: &'a [u8], phdrs: &[ProgramHeader], addr: u64) -> Option<&'a [u8]> {
    phdrs.iter().filter(|ph| ph.p_type == PT_LOAD).find_map(|ph| {
        let delta = addr.checked_sub(ph.p_vaddr)?;
        if delta >= ph.p_filesz {
            return None;
        }
        let range = file_range(bytes, ph.p_offset.checked_add(delta)?, ph.p_filesz - delta)?;
        Some(&bytes[range])
    })
}
