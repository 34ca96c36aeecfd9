//! Version requirements, read strictly from `DT_VERNEED` as the loader reads them and checked
//! against `.gnu.version_r`, the only copy goblin (and tools built on it) read.

use anyhow::{Result, bail};
use goblin::container::Ctx;
use goblin::elf::section_header::SHT_GNU_VERNEED;

use super::{Sections, c_string, section_bytes};
use crate::verify::facts::VersionRequirement;

/// A strict walk over `Elf_Verneed` entries (the same 16-byte layout in both classes) and their
/// `Elf_Vernaux` chains. goblin's iterator stops quietly at the first bad entry; here every
/// inconsistency is an error, since a hidden requirement would escape the glibc floor.
pub(super) struct VerneedWalk<'a> {
    table: &'a [u8],
    strtab: &'a [u8],
    little_endian: bool,
    /// Where the table came from, for messages.
    what: &'a str,
    /// Records never overlap, so the table bounds the total work even for hostile offsets.
    budget: usize,
}

const RECORD: usize = 16;

/// The two chains of the table: entries (one per library) and each entry's versions.
#[derive(Clone, Copy)]
enum Chain {
    Entries,
    Versions,
}

impl<'a> VerneedWalk<'a> {
    pub(super) fn new(table: &'a [u8], strtab: &'a [u8], ctx: Ctx, what: &'a str) -> Self {
        VerneedWalk {
            table,
            strtab,
            little_endian: ctx.is_little_endian(),
            what,
            budget: table.len() / RECORD,
        }
    }

    /// The `count` entries the table announces, with every version each requires.
    pub(super) fn requirements(mut self, count: u64) -> Result<Vec<VersionRequirement>> {
        if count > self.budget as u64 {
            let len = self.table.len();
            return Err(self.bad(format!("{count} entries cannot fit in {len} bytes")));
        }
        let mut out = Vec::new();
        let mut offset = Some(0);
        for i in 0..count {
            let Some(at) = offset else { break };
            self.spend()?;
            let (versions, [file, aux, next]) = self
                .record(at)
                .ok_or_else(|| self.bad(format!("entry {i} at offset {at:#x} is cut off")))?;
            let file = c_string(self.strtab, u64::from(file)).ok_or_else(|| {
                self.bad(format!("entry {i}: the file name is not in the string table"))
            })?;
            let first = (at.checked_add(aux as usize))
                .ok_or_else(|| self.bad(format!("entry {i}: vn_aux overflows")))?;
            self.versions(i, u64::from(versions), first, &file, &mut out)?;
            offset = self.link(Chain::Entries, i, i, count, at, next)?;
        }
        Ok(out)
    }

    /// The `count` versions entry `i` requires from `file`, the first at `offset`.
    fn versions(
        &mut self,
        i: u64,
        count: u64,
        offset: usize,
        file: &str,
        out: &mut Vec<VersionRequirement>,
    ) -> Result<()> {
        let mut offset = Some(offset);
        for j in 0..count {
            let Some(at) = offset else { break };
            self.spend()?;
            let (_, [_, name, next]) = self.record(at).ok_or_else(|| {
                self.bad(format!("entry {i}, version {j} at offset {at:#x} is cut off"))
            })?;
            let version = c_string(self.strtab, u64::from(name)).ok_or_else(|| {
                self.bad(format!("entry {i}, version {j}: the name is not in the string table"))
            })?;
            out.push(VersionRequirement { file: file.to_string(), version });
            offset = self.link(Chain::Versions, i, j, count, at, next)?;
        }
        Ok(())
    }

    /// Where record `n` of `count` (at `at`, in entry `i`) links to with `next`: `None` at the
    /// end of its chain, which must be its last record.
    fn link(
        &self,
        chain: Chain,
        i: u64,
        n: u64,
        count: u64,
        at: usize,
        next: u32,
    ) -> Result<Option<usize>> {
        let (field, records) = match chain {
            Chain::Entries => ("vn_next", "entries"),
            Chain::Versions => ("vna_next", "versions"),
        };
        let read = n + 1;
        match next {
            0 if read == count => Ok(None),
            0 => Err(self.bad(match chain {
                Chain::Entries => {
                    format!("{count} entries announced but the chain ends after {read}")
                }
                Chain::Versions => format!("entry {i} announces {count} versions but lists {read}"),
            })),
            next if (next as usize) < RECORD => {
                Err(self.bad(format!("entry {i}: overlapping {records} ({field} {next})")))
            }
            next => (at.checked_add(next as usize))
                .map(Some)
                .ok_or_else(|| self.bad(format!("entry {i}: {field} overflows"))),
        }
    }

    /// The record at `at`, `None` when it is cut off: its 2-byte field at 2 (`vn_cnt`) and its
    /// 4-byte fields at 4, 8 and 12 (`vn_file`, `vn_aux`, `vn_next`; `vna_name`, `vna_next`).
    fn record(&self, at: usize) -> Option<(u32, [u32; 3])> {
        let record = self.table.get(at..at.checked_add(RECORD)?)?;
        let field = |range: std::ops::Range<usize>| {
            let raw = record[range].iter();
            let value = |v: u32, &b: &u8| v << 8 | u32::from(b);
            if self.little_endian { raw.rev().fold(0, value) } else { raw.fold(0, value) }
        };
        Some((field(2..4), [field(4..8), field(8..12), field(12..16)]))
    }

    fn spend(&mut self) -> Result<()> {
        self.budget = (self.budget.checked_sub(1))
            .ok_or_else(|| self.bad("more entries than fit".to_string()))?;
        Ok(())
    }

    fn bad(&self, detail: String) -> anyhow::Error {
        malformed!("version requirements ({}): {detail}", self.what)
    }
}

impl Sections {
    /// Cross-checks `.gnu.version_r` against the requirements the dynamic section points the
    /// loader to. Tools that read only one of the two (goblin reads only the section) must not
    /// be able to see a different set than the loader enforces.
    pub(super) fn check_version_requirements(
        &self,
        bytes: &[u8],
        ctx: Ctx,
        from_dynamic: &[VersionRequirement],
    ) -> Result<()> {
        if self.headers.is_empty() {
            return Ok(());
        }
        let mut found =
            (self.headers.iter().enumerate()).filter(|(_, sh)| sh.sh_type == SHT_GNU_VERNEED);
        let (index, sh) = match (found.next(), found.next()) {
            (None, _) if from_dynamic.is_empty() => return Ok(()),
            (None, _) => bail!(malformed!(
                "the dynamic section asks for {} version requirements (DT_VERNEED) but there is no .gnu.version_r section",
                from_dynamic.len()
            )),
            (Some(only), None) => only,
            (Some(_), Some(_)) => bail!(malformed!("more than one SHT_GNU_VERNEED section")),
        };
        let name = &self.names[index];
        let strtab =
            (sh.sh_link != 0).then(|| self.headers.get(sh.sh_link as usize)).flatten().ok_or_else(
                || malformed!("{name} links to no string table (sh_link {})", sh.sh_link),
            )?;
        let (table, strings) = (section_bytes(bytes, sh), section_bytes(bytes, strtab));
        let mut from_section =
            VerneedWalk::new(table, strings, ctx, name).requirements(u64::from(sh.sh_info))?;
        let mut expected = from_dynamic.to_vec();
        let key = |r: &VersionRequirement| (r.file.clone(), r.version.clone());
        from_section.sort_by_key(key);
        expected.sort_by_key(key);
        if from_section != expected {
            bail!(malformed!(
                "{name} lists {} version requirements, the dynamic section (DT_VERNEED) {}: they must agree",
                from_section.len(),
                from_dynamic.len()
            ));
        }
        Ok(())
    }
}
