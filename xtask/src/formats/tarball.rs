//! The one reproducible tar and gzip writer of the release, used by the archives, the .deb and
//! the OCI image layers: entries sorted with each directory right before its contents, every
//! mtime the release's, owner 0/0, fixed modes, and a gzip header without time or name. Also
//! the release's timestamp in the forms the formats write.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use flate2::{Compression, GzBuilder, write::GzEncoder};
use tar::{EntryType, Header};

use crate::util::files;

/// Source reads in large chunks: the deflate loop, not syscalls, should set the pace.
const READ_BUFFER: usize = 1 << 20;

/// One file of a tar stream.
pub struct TarFile<'a> {
    /// Its path below the stream's prefix, `/`-separated: `man/diag_tool.1`.
    pub name: &'a str,
    pub mode: u32,
    pub data: Data<'a>,
}

pub enum Data<'a> {
    Bytes(&'a [u8]),
    /// A regular file read while it is written; a link or another kind of file is refused.
    File(&'a Path),
}

/// How a stream names its entries: under `prefix` (`diag_tool-.../`, the `./` of a .deb, or
/// nothing), with that directory as an entry of its own when it is not empty, and `owner` as
/// the user and group name (dpkg-deb writes `root`), else none; every entry's time `mtime`.
pub struct Layout<'a> {
    pub prefix: &'a str,
    pub owner: Option<&'a str>,
    pub mtime: u64,
}

enum Entry<'a> {
    Dir,
    File(&'a TarFile<'a>),
}

/// Writes `files`, and every directory above them, into a tar stream on `writer`.
pub fn write<'a, W: Write>(writer: W, files: &'a [TarFile<'a>], layout: &Layout) -> Result<W> {
    let mut tar = tar::Builder::new(writer);
    for (components, entry) in plan_entries(files)? {
        let mut name = components.iter().fold(layout.prefix.to_string(), |name, c| name + c + "/");
        if name.is_empty() {
            continue;
        }
        match entry {
            Entry::Dir => {
                let mut header = header(EntryType::Directory, 0o755, 0, layout)?;
                append(&mut tar, &mut header, &name, std::io::empty())?;
            }
            Entry::File(file) => {
                name.pop();
                append_file(&mut tar, &name, file, layout)?;
            }
        }
    }
    tar.into_inner().context("finishing the tar stream")
}

/// Every entry below the prefix (the empty path is the prefix itself), keyed by path
/// components so that a directory sorts right before its contents.
fn plan_entries<'a>(files: &'a [TarFile<'a>]) -> Result<BTreeMap<Vec<&'a str>, Entry<'a>>> {
    let mut entries = BTreeMap::new();
    entries.insert(Vec::new(), Entry::Dir);
    for file in files {
        let components: Vec<&str> = file.name.split('/').collect();
        if components.iter().any(|c| c.is_empty() || *c == "." || *c == ".." || c.contains('\0')) {
            bail!(
                "expected a relative path such as completions/diag_tool.bash inside the archive, found {:?}",
                file.name
            );
        }
        for depth in 1..components.len() {
            let dir = components[..depth].to_vec();
            if let Some(Entry::File(other)) = entries.get(&dir) {
                bail!(
                    "{:?} is a file in the archive, so it cannot also hold {:?}",
                    other.name,
                    file.name
                );
            }
            entries.insert(dir, Entry::Dir);
        }
        if entries.insert(components, Entry::File(file)).is_some() {
            bail!("{:?} is listed twice, or is also a directory in the archive", file.name);
        }
    }
    Ok(entries)
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    file: &TarFile,
    layout: &Layout,
) -> Result<()> {
    let source = match file.data {
        Data::Bytes(bytes) => {
            let mut header = header(EntryType::Regular, file.mode, bytes.len() as u64, layout)?;
            return append(tar, &mut header, name, bytes);
        }
        Data::File(source) => source,
    };
    let opened = open_regular(source)?;
    let size = opened.metadata()?.len();
    let mut header = header(EntryType::Regular, file.mode, size, layout)?;
    // `take` keeps the entry at the size its header announces if the file grows meanwhile.
    let mut data = BufReader::with_capacity(READ_BUFFER, opened).take(size);
    append(tar, &mut header, name, &mut data)
        .with_context(|| format!("archiving {}", source.display()))?;
    ensure!(data.limit() == 0, "{} shrank while it was being archived", source.display());
    Ok(())
}

/// Opens `source` as a regular file, checked on the open file in case the path was swapped.
fn open_regular(source: &Path) -> Result<File> {
    let meta =
        fs::symlink_metadata(source).with_context(|| format!("reading {}", source.display()))?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(source).unwrap_or_default();
        bail!(
            "{} is a symlink to {}: archives hold regular files only, pass the file it points to",
            source.display(),
            target.display()
        );
    }
    // Checked on the opened file too, in case the path was swapped in between.
    files::open_regular(source)
}

/// The name goes into the header as written (the tar crate's path setters drop the `./` every
/// .deb has); a name too long for it gets GNU's long-name entry.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    header: &mut Header,
    name: &str,
    data: impl Read,
) -> Result<()> {
    let field = &mut header.as_gnu_mut().context("a GNU header")?.name;
    if name.len() < field.len() {
        field.fill(0);
        field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        tar.append(header, data)
    } else {
        tar.append_data(header, name, data)
    }
    .with_context(|| format!("writing the entry {name}"))
}

/// GNU headers throughout; ids 0, and owner names only where the format expects them, so
/// nothing of the build machine's users gets in.
fn header(kind: EntryType, mode: u32, size: u64, layout: &Layout) -> Result<Header> {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(layout.mtime);
    header.set_uid(0);
    header.set_gid(0);
    if let Some(owner) = layout.owner {
        header.set_username(owner)?;
        header.set_groupname(owner)?;
    }
    Ok(header)
}

/// The gzip settings of every archive: best compression, and a header with neither time
/// nor file name and a fixed OS byte, so the bytes depend on the contents only.
pub fn gzip_encoder<W: Write>(writer: W) -> GzEncoder<W> {
    GzBuilder::new().mtime(0).operating_system(255).write(writer, Compression::best())
}

/// Compresses `reader` into `writer` exactly as archives are compressed, returning the
/// writer; lets the packaging's gzip throughput be measured against `gzip -9`.
pub fn gzip_to<R: Read, W: Write>(reader: R, writer: W) -> Result<W> {
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    let mut gzip = gzip_encoder(writer);
    std::io::copy(&mut reader, &mut gzip).context("compressing")?;
    gzip.finish().context("finishing the gzip stream")
}

/// A gzip-compressed tar stream of `files` on `writer`, returned once the stream is finished.
pub fn tar_gz<W: Write>(writer: W, files: &[TarFile], layout: &Layout) -> Result<W> {
    let gzip = write(gzip_encoder(writer), files, layout)?;
    gzip.finish().context("finishing the gzip stream")
}

/// A time as the calendar has it, in UTC: year, month, day, day of the week (0 = Thursday,
/// as 1970-01-01 was) and (hour, minute, second). Howard Hinnant's `civil_from_days`, so that
/// no date library is needed for the release's one timestamp.
pub fn civil(epoch: u64) -> (i64, i64, i64, usize, (u64, u64, u64)) {
    let (days, secs) = ((epoch / 86_400) as i64, epoch % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, (days % 7) as usize, (secs / 3600, secs / 60 % 60, secs % 60))
}

/// The release's time as RFC 3339 in UTC (SBOMs, image configs): `2023-11-14T22:13:20Z` for
/// 1700000000.
pub fn rfc3339(epoch: u64) -> String {
    let (year, month, day, _, (hour, minute, second)) = civil(epoch);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}
