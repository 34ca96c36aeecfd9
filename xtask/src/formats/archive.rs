//! Release archives: one deterministic `.tar.gz` per target, named so that `cargo binstall`
//! finds it, whose bytes depend only on the files' contents and the given mtime.

use std::collections::BTreeMap;
use std::fs;
#[cfg(test)]
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use flate2::{Compression, GzBuilder, write::GzEncoder};
use tar::{EntryType, Header};

use crate::formats::checksums::HashingWriter;
use crate::util::files::{self, write_atomic_with};

/// Source reads in large chunks: the deflate loop, not syscalls, should set the pace.
const READ_BUFFER: usize = 1 << 20;

/// A file to put into an archive.
#[derive(Clone, Debug)]
pub struct ArchiveFile {
    /// Path inside the archive's top-level directory, e.g. `diag_tool` or
    /// `completions/diag_tool.bash`.
    pub name: String,
    pub source: PathBuf,
    /// Mode 0755 if set, 0644 otherwise, whatever the source's permissions are.
    pub executable: bool,
}

/// A written archive, checksummed while it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archive {
    pub path: PathBuf,
    /// Lowercase hex SHA-256 of the archive file.
    pub sha256: String,
    pub size: u64,
}

/// Where the target's SBOM goes inside its archive.
pub const SBOM_IN_ARCHIVE: &str = "sbom.cdx.json";

/// `{bin}-{target}-v{version}`: one of the names `cargo binstall` tries by default, both for
/// the archive (`{stem}.tar.gz`) and its top-level directory. `target` is the plain rustc
/// triple, without a zigbuild glibc suffix.
pub fn archive_stem(bin: &str, target: &str, version: &str) -> String {
    format!("{bin}-{target}-v{version}")
}

/// The archive entries for the `include` paths of the release policy, relative to `root`: a
/// file goes to the top of the archive under its own name; a directory's files go to the top
/// keeping their paths below it (`diag_tool/assets/man/diag_tool.1` -> `man/diag_tool.1`).
/// Every entry, and every file below a directory, must resolve (links followed) inside `root`.
pub fn included_files(root: &Path, includes: &[PathBuf]) -> Result<Vec<ArchiveFile>> {
    let mut files = Vec::new();
    for include in includes {
        let what = "`include` entry";
        let source = files::inside(root, include, what).with_context(|| {
            format!(
                "{} is listed in `include` in Cargo.toml but cannot be packaged",
                include.display()
            )
        })?;
        if source.is_dir() {
            for path in files::walk(&source, &|_| false)? {
                let relative = path.strip_prefix(&source).expect("walked from source");
                let resolved = files::inside(root, &path, what)?;
                files::open_regular(&resolved)?;
                files.push(ArchiveFile {
                    name: archive_name(relative)?,
                    source: resolved,
                    executable: false,
                });
            }
        } else {
            let name = include
                .file_name()
                .with_context(|| format!("`include` entry {} names no file", include.display()))?;
            files::open_regular(&source)?;
            files.push(ArchiveFile {
                name: archive_name(Path::new(name))?,
                source,
                executable: false,
            });
        }
    }
    Ok(files)
}

fn archive_name(relative: &Path) -> Result<String> {
    let name = relative.to_str().with_context(|| {
        format!(
            "{} is not UTF-8: archive entry names must be",
            relative.display()
        )
    })?;
    Ok(name.to_string())
}

/// Writes `{out_dir}/{stem}.tar.gz` holding `files` under the directory `{stem}/`.
///
/// The same file contents, names and `mtime` give the same bytes on any machine and in any
/// directory: entries sorted by path with their directories first, every mtime `mtime`,
/// owner 0/0 without names, modes 0755/0644, and a gzip header without time or name.
/// The archive appears under its final name only once complete.
pub fn write_archive(
    out_dir: &Path,
    stem: &str,
    files: &[ArchiveFile],
    mtime: u64,
) -> Result<Archive> {
    if stem.is_empty() || stem.contains('/') || stem == "." || stem == ".." {
        bail!(
            "expected an archive stem such as diag_tool-x86_64-unknown-linux-musl-v0.1.0, found {stem:?}"
        );
    }
    let entries = plan_entries(files)?;
    let path = out_dir.join(format!("{stem}.tar.gz"));
    let (sha256, size) = write_atomic_with(&path, |file| {
        let mut tar = tar::Builder::new(gzip_encoder(HashingWriter::new(file)));
        for (components, entry) in &entries {
            let mut name = format!("{stem}/");
            for component in components {
                name.push_str(component);
                name.push('/');
            }
            match entry {
                Entry::Dir => {
                    let mut header = header(EntryType::Directory, 0o755, 0, mtime);
                    tar.append_data(&mut header, &name, std::io::empty())
                        .with_context(|| format!("writing the entry {name}"))?;
                }
                Entry::File(file) => {
                    name.pop();
                    append_file(&mut tar, &name, file, mtime)?;
                }
            }
        }
        let gzip = tar.into_inner().context("finishing the tar stream")?;
        let hashing = gzip.finish().context("finishing the gzip stream")?;
        let (_, sha256, size) = hashing.finish();
        Ok((sha256, size))
    })
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(Archive { path, sha256, size })
}

/// The gzip settings of every archive: best compression, and a header with neither time
/// nor file name and a fixed OS byte, so the bytes depend on the contents only.
pub fn gzip_encoder<W: Write>(writer: W) -> GzEncoder<W> {
    GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(writer, Compression::best())
}

/// Compresses `reader` into `writer` exactly as archives are compressed, returning the
/// writer; lets the packaging's gzip throughput be measured against `gzip -9`.
pub fn gzip_to<R: Read, W: Write>(reader: R, writer: W) -> Result<W> {
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    let mut gzip = gzip_encoder(writer);
    std::io::copy(&mut reader, &mut gzip).context("compressing")?;
    gzip.finish().context("finishing the gzip stream")
}

enum Entry<'a> {
    Dir,
    File(&'a ArchiveFile),
}

/// Every entry below the top-level directory (the empty path), keyed by path components so
/// that a directory sorts right before its contents.
fn plan_entries(files: &[ArchiveFile]) -> Result<BTreeMap<Vec<&str>, Entry<'_>>> {
    if files.is_empty() {
        bail!("nothing to archive: expected at least the binary");
    }
    let mut entries = BTreeMap::new();
    entries.insert(Vec::new(), Entry::Dir);
    for file in files {
        let components: Vec<&str> = file.name.split('/').collect();
        if components
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == ".." || c.contains('\0'))
        {
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
            bail!(
                "{:?} is listed twice, or is also a directory in the archive",
                file.name
            );
        }
    }
    Ok(entries)
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    file: &ArchiveFile,
    mtime: u64,
) -> Result<()> {
    let source = &file.source;
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
    // Checked on the opened file, in case the path was swapped in between.
    let opened = files::open_regular(source)?;
    let meta = opened
        .metadata()
        .with_context(|| format!("reading {}", source.display()))?;
    let size = meta.len();
    let mode = if file.executable { 0o755 } else { 0o644 };
    let mut header = header(EntryType::Regular, mode, size, mtime);
    // `take` keeps the entry at the size its header announces if the file grows meanwhile.
    let mut data = BufReader::with_capacity(READ_BUFFER, opened).take(size);
    tar.append_data(&mut header, name, &mut data)
        .with_context(|| format!("archiving {} as {name}", source.display()))?;
    if data.limit() != 0 {
        bail!("{} shrank while it was being archived", source.display());
    }
    Ok(())
}

/// GNU headers throughout (they also carry names longer than 100 bytes); owner names stay
/// empty and ids 0, so nothing of the build machine's users gets in.
pub fn header(kind: EntryType, mode: u32, size: u64, mtime: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header
}

/// A time as the calendar has it, in UTC: year, month, day, day of the week (0 = Thursday,
/// as 1970-01-01 was) and seconds into the day. Howard Hinnant's `civil_from_days`, so that no
/// date library is needed for the release's one timestamp.
pub fn civil(epoch: u64) -> (i64, i64, i64, usize, u64) {
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
    (year, month, day, (days % 7) as usize, secs)
}

/// The release's time as RFC 3339 in UTC (SBOMs, image configs): `2023-11-14T22:13:20Z` for
/// 1700000000.
pub fn rfc3339(epoch: u64) -> String {
    let (year, month, day, _, secs) = civil(epoch);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::process::Command;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::formats::checksums::sha256_file;
    use crate::util::files::names_in;

    const STEM: &str = "diag_tool-x86_64-unknown-linux-musl-v0.1.0";
    /// 2023-11-14 22:13:20 UTC.
    const MTIME: u64 = 1_700_000_000;

    /// Writes the same contents under `dir/src` with the given permissions and file mtime.
    fn sources(dir: &Path, exe_mode: u32, doc_mode: u32, file_mtime: u64) -> Vec<ArchiveFile> {
        let src = dir.join("src");
        fs::create_dir_all(src.join("nested")).unwrap();
        let spec = [
            ("diag_tool", "bin", true, exe_mode),
            ("README.md", "readme\n", false, doc_mode),
            (
                "completions/diag_tool.bash",
                "complete -F _diag diag_tool\n",
                false,
                doc_mode,
            ),
            ("man/diag_tool.1", ".TH DIAG_TOOL 1\n", false, doc_mode),
            ("LICENSE", "MIT\n", false, doc_mode),
        ];
        spec.iter()
            .enumerate()
            .map(|(i, (name, contents, executable, mode))| {
                let source = src.join("nested").join(format!("f{i}"));
                fs::write(&source, contents).unwrap();
                fs::set_permissions(&source, fs::Permissions::from_mode(*mode)).unwrap();
                let file = File::options().write(true).open(&source).unwrap();
                file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(file_mtime))
                    .unwrap();
                ArchiveFile {
                    name: name.to_string(),
                    source,
                    executable: *executable,
                }
            })
            .collect()
    }

    fn run(cmd: &mut Command) -> String {
        let out = cmd.output().expect("running a command");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn stem_is_a_binstall_default_name() {
        assert_eq!(
            archive_stem("diag_tool", "x86_64-unknown-linux-musl", "0.1.0"),
            STEM
        );
    }

    #[test]
    fn same_contents_give_identical_archives_in_other_directories() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files_one = sources(one.path(), 0o700, 0o600, 1_000_000);
        let files_two = sources(two.path(), 0o775, 0o664, 1_600_000_000);
        let a = write_archive(one.path(), STEM, &files_one, MTIME).unwrap();
        let b = write_archive(two.path(), STEM, &files_two, MTIME).unwrap();
        assert_eq!(a.path, one.path().join(format!("{STEM}.tar.gz")));
        assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, sha256_file(&a.path).unwrap());
        assert_eq!(a.size, fs::metadata(&a.path).unwrap().len());
        // Listing order in `files` does not matter either.
        let reversed: Vec<ArchiveFile> = files_one.iter().rev().cloned().collect();
        let c = write_archive(two.path(), STEM, &reversed, MTIME).unwrap();
        assert_eq!(c.sha256, a.sha256);
    }

    #[test]
    fn tar_lists_sorted_root_owned_entries_with_fixed_mtime_and_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let files = sources(tmp.path(), 0o700, 0o600, 1_000_000);
        let archive = write_archive(tmp.path(), STEM, &files, MTIME).unwrap();
        run(Command::new("gzip").arg("--test").arg(&archive.path));
        let listing = run(Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvzf"])
            .arg(&archive.path)
            .env("TZ", "UTC"));
        let rows: Vec<Vec<&str>> = listing
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        let expected = [
            ("drwxr-xr-x", ""),
            ("-rw-r--r--", "LICENSE"),
            ("-rw-r--r--", "README.md"),
            ("drwxr-xr-x", "completions/"),
            ("-rw-r--r--", "completions/diag_tool.bash"),
            ("-rwxr-xr-x", "diag_tool"),
            ("drwxr-xr-x", "man/"),
            ("-rw-r--r--", "man/diag_tool.1"),
        ];
        assert_eq!(rows.len(), expected.len(), "{listing}");
        for (row, (mode, name)) in rows.iter().zip(expected) {
            assert_eq!(row.len(), 6, "{listing}");
            assert_eq!(row[0], mode, "{listing}");
            assert_eq!(row[1], "0/0", "{listing}");
            assert_eq!((row[3], row[4]), ("2023-11-14", "22:13:20"), "{listing}");
            assert_eq!(row[5], format!("{STEM}/{name}"), "{listing}");
        }

        let extracted = tmp.path().join("extracted");
        fs::create_dir(&extracted).unwrap();
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&archive.path)
            .arg("-C")
            .arg(&extracted));
        assert_eq!(names_in(&extracted), [STEM]);
        let bin = extracted.join(STEM).join("diag_tool");
        assert_eq!(fs::read_to_string(&bin).unwrap(), "bin");
        assert_eq!(
            fs::metadata(&bin).unwrap().permissions().mode() & 0o111,
            0o111
        );
    }

    #[test]
    fn gzip_header_has_no_time_and_no_name() {
        let tmp = tempfile::tempdir().unwrap();
        let files = sources(tmp.path(), 0o755, 0o644, 1_000_000);
        let archive = write_archive(tmp.path(), STEM, &files, MTIME).unwrap();
        let bytes = fs::read(&archive.path).unwrap();
        assert_eq!(bytes[..3], [0x1f, 0x8b, 8], "gzip magic and deflate");
        assert_eq!(bytes[3] & 0x08, 0, "FNAME flag set");
        assert_eq!(bytes[4..8], [0, 0, 0, 0], "MTIME set");
        assert_eq!(bytes[9], 255, "OS byte");
    }

    #[test]
    fn long_names_survive() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("doc");
        fs::write(&source, "doc").unwrap();
        let name = format!("doc/{}.md", "x".repeat(150));
        let files = [ArchiveFile {
            name: name.clone(),
            source,
            executable: false,
        }];
        let archive = write_archive(tmp.path(), STEM, &files, MTIME).unwrap();
        let listing = run(Command::new("tar").arg("-tzf").arg(&archive.path));
        assert_eq!(listing, format!("{STEM}/\n{STEM}/doc/\n{STEM}/{name}\n"));
    }

    #[test]
    fn failure_midway_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = sources(tmp.path(), 0o755, 0o644, 1_000_000);
        files.push(ArchiveFile {
            name: "zz_last".into(),
            source: tmp.path().join("missing"),
            executable: false,
        });
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let err = format!(
            "{:#}",
            write_archive(&out, STEM, &files, MTIME).unwrap_err()
        );
        assert!(err.contains("missing"), "{err}");
        assert!(names_in(&out).is_empty(), "{:?}", names_in(&out));
    }

    #[test]
    fn symlink_source_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::write(&real, "bin").unwrap();
        let link = tmp.path().join("link");
        symlink(&real, &link).unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let files = [ArchiveFile {
            name: "diag_tool".into(),
            source: link,
            executable: true,
        }];
        let err = format!(
            "{:#}",
            write_archive(&out, STEM, &files, MTIME).unwrap_err()
        );
        assert!(err.contains("is a symlink"), "{err}");
        assert!(names_in(&out).is_empty());

        let files = [ArchiveFile {
            name: "diag_tool".into(),
            source: tmp.path().to_owned(),
            executable: true,
        }];
        let err = format!(
            "{:#}",
            write_archive(&out, STEM, &files, MTIME).unwrap_err()
        );
        assert!(
            err.contains("is a directory: only regular files are read"),
            "{err}"
        );
    }

    #[test]
    fn names_that_escape_or_collide_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("f");
        fs::write(&source, "x").unwrap();
        let file = |name: &str| ArchiveFile {
            name: name.into(),
            source: source.clone(),
            executable: false,
        };
        for names in [
            vec![""],
            vec!["../escape"],
            vec!["/abs"],
            vec!["a//b"],
            vec!["a/./b"],
            vec!["dir/"],
            vec!["a", "a"],
            vec!["a", "a/b"],
            vec!["a/b", "a"],
        ] {
            let files: Vec<ArchiveFile> = names.iter().map(|n| file(n)).collect();
            assert!(
                write_archive(tmp.path(), STEM, &files, MTIME).is_err(),
                "{names:?}"
            );
        }
        assert!(write_archive(tmp.path(), STEM, &[], MTIME).is_err());
        assert!(write_archive(tmp.path(), "a/b", &[file("x")], MTIME).is_err());
        assert_eq!(names_in(tmp.path()), ["f"]);
    }

    #[test]
    fn gzip_to_round_trips_through_gzip() {
        let tmp = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 1000).to_le_bytes())
            .collect();
        let path = tmp.path().join("data.gz");
        let file = gzip_to(&data[..], File::create(&path).unwrap()).unwrap();
        file.sync_all().unwrap();
        let out = Command::new("gzip").arg("-dc").arg(&path).output().unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, data);
    }

    #[test]
    fn included_directories_keep_their_layout_and_files_go_to_the_top() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("tool/assets/man")).unwrap();
        fs::write(root.join("tool/assets/man/tool.1"), ".TH tool 1").unwrap();
        fs::write(root.join("tool/assets/top.txt"), "x").unwrap();
        fs::write(root.join("README.md"), "# tool").unwrap();
        let includes = [PathBuf::from("README.md"), PathBuf::from("tool/assets")];
        let mut names: Vec<String> = included_files(root, &includes)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        names.sort();
        assert_eq!(names, ["README.md", "man/tool.1", "top.txt"]);
        let err = included_files(root, &[PathBuf::from("LICENSE")]).unwrap_err();
        assert!(
            format!("{err:#}").contains("LICENSE is listed in `include`"),
            "{err:#}"
        );
    }
    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
