//! The `.rpm` of a gnu target, in RPM's v4 format: lead, signature header, header, and a
//! gzip-compressed cpio payload. Written here rather than with the `rpm` crate, which would
//! about double xtask's compile time (nom, num, itertools, two syn versions), and rather than
//! with rpmbuild, which needs a spec file and records the build host and time; the format is
//! a key-value store of big-endian numbers and strings, and written here it is reproducible
//! byte for byte.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use md5::Md5;
use sha1::Sha1;
use sha2::Digest;

use super::{InstallFile, Kind, Metadata};
use crate::config::arch::Arch;
use crate::formats::checksums::sha256_bytes;
use crate::manifest::Binary;

pub mod read;

// Header tags (rpmtag.h) and the types of their values.
const HEADER_SIGNATURES: u32 = 62;
const HEADER_IMMUTABLE: u32 = 63;
const HEADER_I18NTABLE: u32 = 100;
const SIG_SHA1: u32 = 269;
const SIG_SHA256: u32 = 273;
const SIG_SIZE: u32 = 1000;
const SIG_MD5: u32 = 1004;
const SIG_PAYLOADSIZE: u32 = 1007;
pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
/// Read back for a yum repository's metadata; this crate writes no epoch and no vendor.
pub const EPOCH: u32 = 1003;
pub const SUMMARY: u32 = 1004;
pub const DESCRIPTION: u32 = 1005;
pub const BUILDTIME: u32 = 1006;
pub const BUILDHOST: u32 = 1007;
pub const SIZE: u32 = 1009;
pub const VENDOR: u32 = 1011;
pub const LICENSE: u32 = 1014;
pub const PACKAGER: u32 = 1015;
pub const GROUP: u32 = 1016;
pub const URL: u32 = 1020;
const OS: u32 = 1021;
pub const ARCH: u32 = 1022;
const FILESIZES: u32 = 1028;
const FILEMODES: u32 = 1030;
const FILERDEVS: u32 = 1033;
const FILEMTIMES: u32 = 1034;
const FILEDIGESTS: u32 = 1035;
const FILELINKTOS: u32 = 1036;
const FILEFLAGS: u32 = 1037;
const FILEUSERNAME: u32 = 1039;
const FILEGROUPNAME: u32 = 1040;
pub const SOURCERPM: u32 = 1044;
const PROVIDENAME: u32 = 1047;
const REQUIREFLAGS: u32 = 1048;
const REQUIRENAME: u32 = 1049;
const REQUIREVERSION: u32 = 1050;
const CHANGELOGTIME: u32 = 1080;
const CHANGELOGNAME: u32 = 1081;
const CHANGELOGTEXT: u32 = 1082;
const FILEDEVICES: u32 = 1095;
const FILEINODES: u32 = 1096;
const FILELANGS: u32 = 1097;
const PROVIDEFLAGS: u32 = 1112;
const PROVIDEVERSION: u32 = 1113;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;
const PAYLOADFORMAT: u32 = 1124;
const PAYLOADCOMPRESSOR: u32 = 1125;
const PAYLOADFLAGS: u32 = 1126;
const FILEDIGESTALGO: u32 = 5011;
const ENCODING: u32 = 5062;
const PAYLOADDIGEST: u32 = 5092;
const PAYLOADDIGESTALGO: u32 = 5093;

/// `PGPHASHALGO_SHA256`, for file and payload digests.
const SHA256_ALGO: u32 = 8;
// Dependency flags (rpmds.h).
const SENSE_LESS: u32 = 1 << 1;
const SENSE_EQUAL: u32 = 1 << 3;
const SENSE_FIND_REQUIRES: u32 = 1 << 14;
const SENSE_RPMLIB: u32 = 1 << 24;
// File flags (rpmfiles.h): what `%doc` and `%license` set.
const FILE_DOC: u32 = 1 << 1;
const FILE_LICENSE: u32 = 1 << 7;
/// Fixed, so that no machine's name enters the package (rpmbuild records `uname -n`).
const BUILD_HOST: &str = "reproducible";

/// `diag-tool-0.1.0-1.x86_64.rpm`, as rpmbuild names it.
pub fn file_name(name: &str, full_version: &str, arch: &Arch) -> String {
    format!("{name}-{full_version}.{}.rpm", arch.rpm)
}

/// A header value, by RPM type.
#[derive(Clone)]
enum Value {
    Int16(Vec<u16>),
    Int32(Vec<u32>),
    Str(String),
    Bin(Vec<u8>),
    Strings(Vec<String>),
    I18n(String),
}

impl Value {
    /// The type number, the alignment in the data store and the count.
    fn layout(&self) -> (u32, usize, usize) {
        match self {
            Value::Int16(v) => (3, 2, v.len()),
            Value::Int32(v) => (4, 4, v.len()),
            Value::Str(_) => (6, 1, 1),
            Value::Bin(v) => (7, 1, v.len()),
            Value::Strings(v) => (8, 1, v.len()),
            Value::I18n(_) => (9, 1, 1),
        }
    }

    fn write(&self, data: &mut Vec<u8>) {
        let mut string = |s: &str| {
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        };
        match self {
            Value::Str(s) | Value::I18n(s) => string(s),
            Value::Strings(v) => v.iter().for_each(|s| string(s)),
            Value::Int16(v) => v.iter().for_each(|n| data.extend(n.to_be_bytes())),
            Value::Int32(v) => v.iter().for_each(|n| data.extend(n.to_be_bytes())),
            Value::Bin(v) => data.extend_from_slice(v),
        }
    }
}

/// RPM's header structure: an index of (tag, type, offset, count) sorted by tag, then the
/// values, inside one immutable region whose trailer ends the data.
fn header_bytes(region: u32, mut entries: Vec<(u32, Value)>) -> Vec<u8> {
    entries.sort_by_key(|(tag, _)| *tag);
    let entry = |tag: u32, kind: u32, offset: usize, count: usize| {
        [tag, kind, offset as u32, count as u32].into_iter().flat_map(u32::to_be_bytes)
    };
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, value) in &entries {
        let (kind, align, count) = value.layout();
        data.resize(data.len().next_multiple_of(align), 0);
        index.extend(entry(*tag, kind, data.len(), count));
        value.write(&mut data);
    }
    let entries_in_region = entries.len() + 1;
    let trailer_offset = data.len();
    // The trailer's offset is minus the size of the region's index entries.
    let region_size = (entries_in_region * 16) as i32;
    data.extend(entry(region, 7, (-region_size) as u32 as usize, 16));
    let mut bytes = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    bytes.extend((entries_in_region as u32).to_be_bytes());
    bytes.extend((data.len() as u32).to_be_bytes());
    bytes.extend(entry(region, 7, trailer_offset, 16));
    bytes.extend(index);
    bytes.extend(data);
    bytes
}

/// One entry of the package's file list: a file, or a directory the package owns.
struct Entry<'a> {
    path: String,
    file: Option<&'a InstallFile>,
}

/// The whole `.rpm` of `files` (sorted, from `super::files`): owned by root, every
/// timestamp `meta.mtime`, requiring what the binary was verified to need.
pub fn build(meta: &Metadata, files: &[InstallFile], binary: &Binary) -> Result<Vec<u8>> {
    // Directories of the package's own (its license directory); the rest belong to the
    // distribution's filesystem package and the shells.
    let owned: BTreeSet<String> = files
        .iter()
        .filter(|f| f.kind == Kind::License)
        .filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir.to_string()))
        .collect();
    let mut entries: Vec<Entry> = owned
        .into_iter()
        .map(|path| Entry { path, file: None })
        .chain(files.iter().map(|f| Entry { path: f.path.clone(), file: Some(f) }))
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let cpio = cpio(&entries, meta.mtime);
    let payload = super::gzip(&cpio)?;
    let values = header_entries(meta, &entries, requires(meta, binary), sha256_bytes(&payload));
    let header = header_bytes(HEADER_IMMUTABLE, values);
    let md5 = Md5::new().chain_update(&header).chain_update(&payload).finalize();
    let size = u32::try_from(header.len() + payload.len()).context("the package is over 4 GiB")?;
    let signatures = vec![
        (SIG_SHA1, Value::Str(format!("{:x}", Sha1::digest(&header)))),
        (SIG_SHA256, Value::Str(sha256_bytes(&header))),
        (SIG_SIZE, Value::Int32(vec![size])),
        (SIG_MD5, Value::Bin(md5.to_vec())),
        (SIG_PAYLOADSIZE, Value::Int32(vec![cpio.len() as u32])),
    ];
    Ok(assemble(lead(meta), signatures, &[&header, &payload]))
}

/// A package file: `lead`, the signature header of `signatures`, then the header and payload
/// (`signed`), which start on an 8-byte boundary after the signature.
fn assemble(mut rpm: Vec<u8>, signatures: Vec<(u32, Value)>, signed: &[&[u8]]) -> Vec<u8> {
    rpm.extend(header_bytes(HEADER_SIGNATURES, signatures));
    rpm.resize(rpm.len().next_multiple_of(8), 0);
    signed.iter().for_each(|part| rpm.extend_from_slice(part));
    rpm
}

/// The 96-byte lead: magic, format 3.0, a binary package, its name, Linux, and a header-style
/// signature. rpm reads only the magic, the version and the signature type; the architecture
/// number is historical and left 0.
fn lead(meta: &Metadata) -> Vec<u8> {
    let mut lead = vec![0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0, 0, 0];
    let mut name = format!("{}-{}", meta.name, meta.full_version()).into_bytes();
    name.resize(66, 0);
    name[65] = 0;
    lead.extend(name);
    lead.extend(1u16.to_be_bytes());
    lead.extend(5u16.to_be_bytes());
    lead.resize(96, 0);
    lead
}

/// What rpmbuild's ELF dependency generator writes for the binary, from its verified needs:
/// each library as `libc.so.6()(64bit)` and each symbol version it requires as
/// `libc.so.6(GLIBC_2.17)(64bit)`, which glibc's package provides on every RPM distribution;
/// then the rpmlib features this package's format uses.
fn requires(meta: &Metadata, binary: &Binary) -> Vec<(String, u32, String)> {
    let bits = if meta.arch.class == 64 { "(64bit)" } else { "" };
    let versions = binary.version_requirements.iter();
    let mut requires: Vec<(String, u32, String)> = binary
        .needed
        .iter()
        .map(|lib| format!("{lib}(){bits}"))
        .chain(versions.map(|r| format!("{}({}){bits}", r.file, r.version)))
        .map(|name| (name, SENSE_FIND_REQUIRES, String::new()))
        .collect();
    for (feature, version) in [
        ("CompressedFileNames", "3.0.4-1"),
        ("FileDigests", "4.6.0-1"),
        ("PayloadFilesHavePrefix", "4.0-1"),
    ] {
        let flags = SENSE_RPMLIB | SENSE_LESS | SENSE_EQUAL;
        requires.push((format!("rpmlib({feature})"), flags, version.to_string()));
    }
    requires.sort();
    requires.dedup();
    requires
}

fn header_entries(
    meta: &Metadata,
    entries: &[Entry],
    requires: Vec<(String, u32, String)>,
    payload_sha256: String,
) -> Vec<(u32, Value)> {
    let str = |s: &str| Value::Str(s.to_string());
    let each = |f: &dyn Fn(&Entry) -> String| Value::Strings(entries.iter().map(f).collect());
    let size = |e: &Entry| e.file.map_or(0, |f| f.contents.len() as u32);
    let n = entries.len();
    let mut values = vec![
        (HEADER_I18NTABLE, Value::Strings(vec!["C".into()])),
        (NAME, str(&meta.name)),
        (VERSION, str(&meta.version)),
        (RELEASE, str(super::REVISION)),
        (SUMMARY, Value::I18n(meta.summary.clone())),
        (DESCRIPTION, Value::I18n(meta.description.clone())),
        (BUILDTIME, Value::Int32(vec![meta.mtime as u32])),
        (BUILDHOST, str(BUILD_HOST)),
        (SIZE, Value::Int32(vec![entries.iter().map(size).sum()])),
        (LICENSE, str(&meta.license)),
        (PACKAGER, str(&meta.maintainer)),
        // RPM's traditional group of system tools; rpmbuild's default, "Unspecified", is none.
        (GROUP, Value::I18n("Applications/System".into())),
        (OS, str("linux")),
        (ARCH, str(meta.arch.rpm)),
        (FILESIZES, Value::Int32(entries.iter().map(size).collect())),
        (FILEMODES, Value::Int16(entries.iter().map(mode).collect())),
        (FILERDEVS, Value::Int16(vec![0; n])),
        (FILEMTIMES, Value::Int32(vec![meta.mtime as u32; n])),
        (FILEDIGESTS, each(&|e| e.file.map_or(String::new(), |f| sha256_bytes(&f.contents)))),
        (FILELINKTOS, Value::Strings(vec![String::new(); n])),
        (FILEFLAGS, Value::Int32(entries.iter().map(flags).collect())),
        (FILEUSERNAME, Value::Strings(vec!["root".into(); n])),
        (FILEGROUPNAME, Value::Strings(vec!["root".into(); n])),
        // Its presence makes this a binary package; there is no source package to name.
        (SOURCERPM, str("(none)")),
        (PROVIDENAME, Value::Strings(vec![meta.name.clone()])),
        (REQUIREFLAGS, Value::Int32(requires.iter().map(|r| r.1).collect())),
        (REQUIRENAME, Value::Strings(requires.iter().map(|r| r.0.clone()).collect())),
        (REQUIREVERSION, Value::Strings(requires.into_iter().map(|r| r.2).collect())),
        (FILEDEVICES, Value::Int32(vec![1; n])),
        (FILEINODES, Value::Int32((1..=n as u32).collect())),
        (FILELANGS, Value::Strings(vec![String::new(); n])),
        (PROVIDEFLAGS, Value::Int32(vec![SENSE_EQUAL])),
        (PROVIDEVERSION, Value::Strings(vec![meta.full_version()])),
        (PAYLOADFORMAT, str("cpio")),
        (PAYLOADCOMPRESSOR, str("gzip")),
        (PAYLOADFLAGS, str("9")),
        (FILEDIGESTALGO, Value::Int32(vec![SHA256_ALGO])),
        (ENCODING, str("utf-8")),
        (PAYLOADDIGEST, Value::Strings(vec![payload_sha256])),
        (PAYLOADDIGESTALGO, Value::Int32(vec![SHA256_ALGO])),
    ];
    values.extend(meta.homepage.iter().map(|url| (URL, str(url))));
    values.extend(changelog(meta));
    values.extend(file_names(entries));
    values
}

/// The file names as `rpm` stores them: each directory once, each file as the index of its
/// directory and its base name.
fn file_names(entries: &[Entry]) -> [(u32, Value); 3] {
    let mut dirnames: Vec<String> = Vec::new();
    let mut dirindexes = Vec::new();
    let mut basenames = Vec::new();
    for entry in entries {
        let (dir, base) = entry.path.rsplit_once('/').unwrap_or(("", &entry.path));
        let dir = format!("/{dir}/");
        if !dirnames.contains(&dir) {
            dirnames.push(dir.clone());
        }
        dirindexes.push(dirnames.iter().position(|d| *d == dir).unwrap_or(0) as u32);
        basenames.push(base.to_string());
    }
    [
        (DIRINDEXES, Value::Int32(dirindexes)),
        (BASENAMES, Value::Strings(basenames)),
        (DIRNAMES, Value::Strings(dirnames)),
    ]
}

/// `%changelog`: one entry for this version, its items as `- ` lines.
fn changelog(meta: &Metadata) -> [(u32, Value); 3] {
    let text: Vec<String> = meta.change_lines().iter().map(|l| format!("- {l}")).collect();
    let name = format!("{} - {}", meta.maintainer, meta.full_version());
    [
        (CHANGELOGTIME, Value::Int32(vec![meta.mtime as u32])),
        (CHANGELOGNAME, Value::Strings(vec![name])),
        (CHANGELOGTEXT, Value::Strings(vec![text.join("\n")])),
    ]
}

fn mode(entry: &Entry) -> u16 {
    match entry.file {
        Some(file) => 0o100000 | file.mode() as u16,
        None => 0o040755,
    }
}

fn flags(entry: &Entry) -> u32 {
    match entry.file.map(|f| f.kind) {
        Some(Kind::Doc) => FILE_DOC,
        Some(Kind::License) => FILE_LICENSE,
        _ => 0,
    }
}

/// The payload: a cpio archive in the SVR4 "newc" format, entries in the header's order named
/// `./usr/...`, each file's inode its position in the header as rpmbuild numbers them.
fn cpio(entries: &[Entry], mtime: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mtime = mtime as u32;
    let mut append = |ino: u32, mode: u32, nlink: u32, name: &str, data: &[u8]| {
        let (size, namesize) = (data.len() as u32, name.len() as u32 + 1);
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
        // rdevminor, namesize, check.
        let fields = [ino, mode, 0, 0, nlink, mtime, size, 0, 0, 0, 0, namesize, 0];
        out.extend_from_slice(b"070701");
        for field in fields {
            out.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    };
    for (i, entry) in entries.iter().enumerate() {
        // A directory has the link from its parent and its own `.`.
        let (nlink, data) = entry.file.map_or((2, &[][..]), |file| (1, &file.contents[..]));
        append(i as u32 + 1, u32::from(mode(entry)), nlink, &format!("./{}", entry.path), data);
    }
    append(0, 0, 1, "TRAILER!!!", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::linux_package::{run_on, sample, sample_binary, write_sample};

    fn rpm(args: &[&str], file: &std::path::Path) -> String {
        run_on("rpm", args, file)
    }

    #[test]
    fn rpm_reads_the_header_checks_the_digests_and_lists_the_payload() {
        let (_tmp, path) = write_sample("x86_64", build, file_name);
        assert!(path.ends_with("diag-tool-1.2.0~rc.1-1.x86_64.rpm"));
        assert_eq!(rpm(&["-K"], &path), format!("{}: digests OK\n", path.display()));
        let query = "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{BUILDTIME} %{BUILDHOST} %{URL}";
        assert_eq!(
            rpm(&["-qp", "--qf", query], &path),
            "diag-tool 1.2.0~rc.1 1 x86_64 1700000000 reproducible https://example.com/diag_tool"
        );
        let listing = rpm(&["-qlvp"], &path);
        let rows: Vec<Vec<&str>> =
            listing.lines().map(|l| l.split_whitespace().collect()).collect();
        let paths: Vec<&str> = rows.iter().map(|r| r[8]).collect();
        // The license directory is the package's own; /usr/bin and the rest are the system's.
        assert_eq!(
            paths,
            [
                "/usr/bin/diag_tool",
                "/usr/share/licenses/diag-tool",
                "/usr/share/licenses/diag-tool/LICENSE-MIT",
                "/usr/share/man/man1/diag_tool.1.gz"
            ]
        );
        assert_eq!(rows[0][..4], ["-rwxr-xr-x", "1", "root", "root"]);
        assert_eq!(rows[1][0], "drwxr-xr-x");
        assert_eq!(
            rpm(&["-qp", "--licensefiles"], &path),
            "/usr/share/licenses/diag-tool/LICENSE-MIT\n"
        );
        assert_eq!(rpm(&["-qp", "--docfiles"], &path), "/usr/share/man/man1/diag_tool.1.gz\n");
        let requires = rpm(&["-qp", "--requires"], &path);
        for wanted in [
            "libc.so.6()(64bit)",
            "libc.so.6(GLIBC_2.16)(64bit)",
            "libdl.so.2(GLIBC_2.2.5)(64bit)",
            "rpmlib(FileDigests) <= 4.6.0-1",
        ] {
            assert!(requires.lines().any(|l| l == wanted), "{wanted} in\n{requires}");
        }
        assert_eq!(rpm(&["-qp", "--provides"], &path), "diag-tool = 1.2.0~rc.1-1\n");
        let changelog = rpm(&["-qp", "--changelog"], &path);
        assert!(changelog.ends_with("- Added: a feature.\n- Fixed: a bug.\n\n"), "{changelog}");
    }

    #[test]
    fn a_gpg_signature_of_the_header_is_what_rpm_k_accepts_and_only_the_signature_header_changes() {
        use crate::host::gpg::{Gpg, throwaway_key};
        let (_tmp, path) = write_sample("x86_64", build, file_name);
        let unsigned = std::fs::read(&path).unwrap();
        let package = read::Package::parse(&unsigned).unwrap();
        assert!(!package.is_signed());
        assert_eq!(package.string(NAME), "diag-tool");
        assert_eq!(package.provides()[0].2, "1.2.0~rc.1-1");
        assert!(package.files().contains(&("/usr/share/licenses/diag-tool".into(), true)));
        let sh = xshell::Shell::new().unwrap();
        let (secret, public) = throwaway_key(&sh, "rpm", "").unwrap();
        let gpg = Gpg::import(&sh, &secret, String::new()).unwrap();
        let signature = gpg.sign(&sh, package.header_bytes(), &["--detach-sign"], Some(1)).unwrap();
        let twice = gpg.sign(&sh, package.header_bytes(), &["--detach-sign"], Some(1));
        assert_eq!(signature, twice.unwrap(), "signatures at one time are the same bytes");
        let signed = package.with_signature(&signature).unwrap();
        let again = read::Package::parse(&signed).unwrap();
        assert!(again.is_signed());
        assert_eq!(again.signed_part(), package.signed_part());
        std::fs::write(&path, &signed).unwrap();
        let db = _tmp.path().join("rpmdb");
        let key = _tmp.path().join("key.asc");
        std::fs::write(&key, public).unwrap();
        let dbpath = format!("--dbpath={}", db.display());
        xshell::cmd!(sh, "rpm {dbpath} --import {key}").run().unwrap();
        let checked = xshell::cmd!(sh, "rpm {dbpath} -K {path}").read().unwrap();
        assert_eq!(checked, format!("{}: digests signatures OK", path.display()));
    }

    #[test]
    fn a_32_bit_binary_requires_libraries_without_the_64bit_mark() {
        let (meta, _) = sample("armv7");
        let names: Vec<String> =
            requires(&meta, &sample_binary()).into_iter().map(|r| r.0).collect();
        assert!(names.contains(&"libc.so.6()".to_string()), "{names:?}");
        assert!(names.contains(&"libc.so.6(GLIBC_2.16)".to_string()), "{names:?}");
    }

    #[test]
    fn a_header_is_one_region_whose_trailer_points_back_over_its_index() {
        let bytes = header_bytes(HEADER_IMMUTABLE, vec![(NAME, Value::Str("x".into()))]);
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(&bytes[..8], &[0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
        // Two entries (region and name), "x\0" then the 16-byte trailer.
        assert_eq!((be(8), be(12)), (2, 18));
        // The region entry first, pointing at the trailer, then the name at offset 0.
        assert_eq!([be(16), be(20), be(24), be(28)], [63, 7, 2, 16]);
        assert_eq!([be(32), be(36), be(40), be(44)], [1000, 6, 0, 1]);
        let data = 48;
        assert_eq!(&bytes[data..data + 2], b"x\0");
        let trailer = data + 2;
        assert_eq!(be(trailer), 63);
        assert_eq!(be(trailer + 8) as i32, -32);
    }

    #[test]
    fn integers_are_aligned_to_their_size_in_the_data_store() {
        // The offset of SIZE, the third index entry, after a name of `name.len() + 1` bytes.
        let size_offset = |name: &str| {
            let entries = vec![(NAME, Value::Str(name.into())), (SIZE, Value::Int32(vec![7]))];
            let bytes = header_bytes(HEADER_IMMUTABLE, entries);
            u32::from_be_bytes(bytes[16 + 32 + 8..16 + 32 + 12].try_into().unwrap())
        };
        assert_eq!(size_offset("abc"), 4);
        assert_eq!(size_offset("abcd"), 8);
    }
}
