//! An `.rpm` read back: its headers, the facts a yum repository's metadata lists, and an
//! OpenPGP signature added to its signature header as rpmsign adds it (rpm 4.18 checks
//! `RSAHEADER`/`DSAHEADER`: a signature of the header's bytes), leaving every other byte as it
//! was written.

use anyhow::{Context, Result, bail, ensure};

use super::*;

/// rpmsign's header-only signatures (rpmtag.h `RPMSIGTAG_DSA`, `RPMSIGTAG_RSA`); DSA's is also
/// where EdDSA and ECDSA signatures go.
const SIG_DSA: u32 = 267;
const SIG_RSA: u32 = 268;

/// A package's headers as read from its bytes.
pub struct Package<'a> {
    signature: Vec<(u32, Value)>,
    header: Vec<(u32, Value)>,
    /// Where the header starts and ends in the file; the payload follows.
    pub header_range: (usize, usize),
    bytes: &'a [u8],
}

/// A dependency or a provided capability: name, `RPMSENSE_*` flags, `[epoch:]version-release`.
pub type Capability = (String, u32, String);

impl<'a> Package<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Package<'a>> {
        ensure!(bytes.get(..4) == Some(&[0xed, 0xab, 0xee, 0xdb][..]), "not an rpm: no lead");
        let (signature, end) = parse_header(bytes, 96).context("reading the signature header")?;
        let start = end.next_multiple_of(8);
        let (header, end) = parse_header(bytes, start).context("reading the header")?;
        Ok(Package { signature, header, header_range: (start, end), bytes })
    }

    /// The header's bytes: what a header-only signature signs.
    pub fn header_bytes(&self) -> &'a [u8] {
        &self.bytes[self.header_range.0..self.header_range.1]
    }

    /// Header and payload: every byte but the lead and the signatures.
    pub fn signed_part(&self) -> &'a [u8] {
        &self.bytes[self.header_range.0..]
    }

    /// The package with `openpgp` (a binary signature packet of [`Self::header_bytes`]) in
    /// its signature header, replacing any header signature there was.
    pub fn with_signature(&self, openpgp: &[u8]) -> Result<Vec<u8>> {
        // Algorithm 1 is RSA; DSA's tag takes the others.
        let tag = if public_key_algorithm(openpgp)? == 1 { SIG_RSA } else { SIG_DSA };
        let mut entries: Vec<(u32, Value)> = self
            .signature
            .iter()
            .filter(|(t, _)| *t != SIG_RSA && *t != SIG_DSA)
            .cloned()
            .collect();
        entries.push((tag, Value::Bin(openpgp.to_vec())));
        Ok(assemble(self.bytes[..96].to_vec(), entries, &[self.signed_part()]))
    }

    pub fn is_signed(&self) -> bool {
        self.signature.iter().any(|(t, _)| *t == SIG_RSA || *t == SIG_DSA)
    }

    fn get(&self, tag: u32) -> Option<&Value> {
        self.header.iter().find(|(t, _)| *t == tag).map(|(_, v)| v)
    }

    /// A string tag (`NAME`, `VERSION`, ...); empty when absent.
    pub fn string(&self, tag: u32) -> String {
        match self.get(tag) {
            Some(Value::Str(s) | Value::I18n(s)) => s.clone(),
            _ => String::new(),
        }
    }

    pub fn strings(&self, tag: u32) -> Vec<String> {
        match self.get(tag) {
            Some(Value::Strings(v)) => v.clone(),
            Some(Value::Str(s) | Value::I18n(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    pub fn numbers(&self, tag: u32) -> Vec<u32> {
        match self.get(tag) {
            Some(Value::Int32(v)) => v.clone(),
            Some(Value::Int16(v)) => v.iter().map(|&n| u32::from(n)).collect(),
            _ => Vec::new(),
        }
    }

    pub fn number(&self, tag: u32) -> u32 {
        self.numbers(tag).first().copied().unwrap_or(0)
    }

    /// The uncompressed payload's size, from the signature header.
    pub fn archive_size(&self) -> u32 {
        match self.signature.iter().find(|(t, _)| *t == SIG_PAYLOADSIZE) {
            Some((_, Value::Int32(v))) => v.first().copied().unwrap_or(0),
            _ => 0,
        }
    }

    pub fn provides(&self) -> Vec<Capability> {
        self.capabilities(PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION)
    }

    pub fn requires(&self) -> Vec<Capability> {
        self.capabilities(REQUIRENAME, REQUIREFLAGS, REQUIREVERSION)
    }

    fn capabilities(&self, names: u32, flags: u32, versions: u32) -> Vec<Capability> {
        let (flags, versions) = (self.numbers(flags), self.strings(versions));
        self.strings(names)
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let flag = flags.get(i).copied().unwrap_or(0);
                (name, flag, versions.get(i).cloned().unwrap_or_default())
            })
            .collect()
    }

    /// Every path the package owns, with whether it is a directory.
    pub fn files(&self) -> Vec<(String, bool)> {
        let (dirs, indexes) = (self.strings(DIRNAMES), self.numbers(DIRINDEXES));
        let modes = self.numbers(FILEMODES);
        self.strings(BASENAMES)
            .into_iter()
            .enumerate()
            .map(|(i, base)| {
                let dir = indexes.get(i).and_then(|&d| dirs.get(d as usize));
                let is_dir = modes.get(i).is_some_and(|m| m & 0o170000 == 0o040000);
                (format!("{}{base}", dir.map_or("", String::as_str)), is_dir)
            })
            .collect()
    }

    /// `(time, author, text)` of each changelog entry.
    pub fn changelog(&self) -> Vec<(u32, String, String)> {
        let (names, texts) = (self.strings(CHANGELOGNAME), self.strings(CHANGELOGTEXT));
        self.numbers(CHANGELOGTIME)
            .into_iter()
            .zip(names.into_iter().zip(texts))
            .map(|(time, (name, text))| (time, name, text))
            .collect()
    }
}

/// The entries of the header at `at` (its region tag left out) and where it ends.
fn parse_header(bytes: &[u8], at: usize) -> Result<(Vec<(u32, Value)>, usize)> {
    let be = |at: usize| -> Result<u32> {
        let word = bytes.get(at..at + 4).context("the header is cut short")?;
        Ok(u32::from_be_bytes(word.try_into()?))
    };
    ensure!(
        bytes.get(at..at + 4) == Some(&[0x8e, 0xad, 0xe8, 0x01][..]),
        "no header magic at byte {at}"
    );
    let (count, size) = (be(at + 8)? as usize, be(at + 12)? as usize);
    let data_start = at + 16 + 16 * count;
    let data =
        bytes.get(data_start..data_start + size).context("the header's data is cut short")?;
    let mut entries = Vec::new();
    for i in 0..count {
        let e = at + 16 + 16 * i;
        let (tag, kind, offset, n) = (be(e)?, be(e + 4)?, be(e + 8)? as usize, be(e + 12)?);
        if tag == HEADER_SIGNATURES || tag == HEADER_IMMUTABLE {
            continue;
        }
        let value = read_value(kind, n as usize, data.get(offset..).context("bad offset")?)
            .with_context(|| format!("tag {tag}"))?;
        entries.push((tag, value));
    }
    Ok((entries, data_start + size))
}

fn read_value(kind: u32, count: usize, data: &[u8]) -> Result<Value> {
    let mut strings = data.split(|&b| b == 0).map(String::from_utf8_lossy);
    let mut take = |n: usize| -> Result<Vec<String>> {
        let v: Vec<String> = strings.by_ref().take(n).map(|s| s.into_owned()).collect();
        ensure!(v.len() == n, "strings cut short");
        Ok(v)
    };
    let bytes = |width: usize| data.get(..count * width).context("numbers cut short");
    Ok(match kind {
        3 => Value::Int16(bytes(2)?.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()),
        4 => Value::Int32(
            bytes(4)?.chunks(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect(),
        ),
        6 => Value::Str(take(1)?.remove(0)),
        7 => Value::Bin(bytes(1)?.to_vec()),
        8 => Value::Strings(take(count)?),
        9 => Value::I18n(take(1)?.remove(0)),
        other => bail!("type {other} is not one this reader knows"),
    })
}

/// The public-key algorithm of a binary OpenPGP signature packet (RFC 4880 §5.2).
fn public_key_algorithm(packet: &[u8]) -> Result<u8> {
    let first = *packet.first().context("an empty signature")?;
    let body = match first {
        // Old format, tag 2: the length's size is in the low bits.
        0x88 => 2,
        0x89 => 3,
        0x8a => 5,
        // New format, tag 2.
        0xc2 => match packet.get(1) {
            Some(0..=191) => 2,
            Some(192..=223) => 3,
            _ => 6,
        },
        _ => bail!("not an OpenPGP signature packet (first byte {first:#x})"),
    };
    match packet.get(body..body + 4) {
        Some([4, _, algorithm, _]) => Ok(*algorithm),
        Some([3, ..]) => packet.get(body + 15).copied().context("a short signature"),
        _ => bail!("an OpenPGP signature of an unknown version"),
    }
}
