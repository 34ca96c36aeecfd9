//! Release archives: one deterministic `.tar.gz` per target, under the names `config/names.rs`
//! gives, whose bytes depend only on the files' contents and the given mtime.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use crate::config::names::ReleaseNames;
use crate::formats::checksums::HashingWriter;
use crate::formats::tarball::{self, Data, Layout, TarFile};
use crate::manifest::{Artifact, ArtifactKind};
use crate::util::files::{self, write_atomic_with};

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

/// The archive entries for the `include` paths of the release policy, relative to `root`: a
/// file goes to the top of the archive under its own name; a directory's files go to the top
/// keeping their paths below it (`diag_tool/assets/man/diag_tool.1` -> `man/diag_tool.1`).
/// Every entry, and every file below a directory, must resolve (links followed) inside `root`.
pub fn included_files(root: &Path, includes: &[PathBuf]) -> Result<Vec<ArchiveFile>> {
    let mut files = Vec::new();
    // Each source a regular file, each name UTF-8.
    let mut add = |name: &Path, source: PathBuf| -> Result<()> {
        files::open_regular(&source)?;
        let name = name.to_str().with_context(|| {
            format!("{} is not UTF-8: archive entry names must be", name.display())
        })?;
        files.push(ArchiveFile { name: name.to_string(), source, executable: false });
        Ok(())
    };
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
                add(relative, files::inside(root, &path, what)?)?;
            }
        } else {
            let name = include
                .file_name()
                .with_context(|| format!("`include` entry {} names no file", include.display()))?;
            add(Path::new(name), source)?;
        }
    }
    Ok(files)
}

/// Writes `{out_dir}/{names.archive}` holding `files` under the directory `names.dir`, as
/// [`tarball`] writes every stream: the same file contents, names and `mtime` give the same bytes
/// on any machine and in any directory. The archive appears under its final name only once
/// complete, checksummed while it was written.
pub fn write_archive(
    out_dir: &Path,
    names: &ReleaseNames,
    files: &[ArchiveFile],
    mtime: u64,
) -> Result<Artifact> {
    let name = files::plain_name(&names.archive)?;
    ensure!(!files.is_empty(), "nothing to archive: expected at least the binary");
    let entries: Vec<TarFile> = files
        .iter()
        .map(|f| TarFile {
            name: &f.name,
            mode: if f.executable { 0o755 } else { 0o644 },
            data: Data::File(&f.source),
        })
        .collect();
    let prefix = if names.dir.is_empty() { String::new() } else { format!("{}/", names.dir) };
    let layout = Layout { prefix: &prefix, owner: None, mtime };
    let path = out_dir.join(name);
    let (sha256, size) = write_atomic_with(&path, |file| {
        let written = tarball::tar_gz(HashingWriter::new(file), &entries, &layout)?;
        let (_, sha256, size) = written.finish();
        Ok((sha256, size))
    })
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(Artifact { name: name.to_string(), kind: ArtifactKind::Archive, size, sha256 })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::process::Command;
    use std::time::{Duration, SystemTime};

    use std::fs::{self, File};

    use super::*;
    use crate::formats::checksums::sha256_file;
    use crate::formats::tarball::{gzip_to, rfc3339};
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
            ("completions/diag_tool.bash", "complete -F _diag diag_tool\n", false, doc_mode),
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
                ArchiveFile { name: name.to_string(), source, executable: *executable }
            })
            .collect()
    }

    fn run(cmd: &mut Command) -> String {
        let out = cmd.output().expect("running a command");
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn names() -> ReleaseNames {
        crate::config::names::default_for("diag_tool", "x86_64-unknown-linux-musl", "0.1.0")
    }

    #[test]
    fn default_names_are_a_binstall_default_name() {
        let names = names();
        assert_eq!((names.archive, names.dir), (format!("{STEM}.tar.gz"), STEM.into()));
    }

    #[test]
    fn bin_dir_without_a_directory_puts_the_files_at_the_top() {
        let tmp = tempfile::tempdir().unwrap();
        let files = sources(tmp.path(), 0o700, 0o600, 1_000_000);
        let names = ReleaseNames { dir: String::new(), binary: "diag_tool".into(), ..names() };
        let archive = write_archive(tmp.path(), &names, &files, MTIME).unwrap();
        let listing = run(Command::new("tar").arg("-tzf").arg(tmp.path().join(archive.name)));
        assert!(listing.starts_with("LICENSE\nREADME.md\ncompletions/\n"), "{listing}");
    }

    #[test]
    fn same_contents_give_identical_archives_in_other_directories() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files_one = sources(one.path(), 0o700, 0o600, 1_000_000);
        let files_two = sources(two.path(), 0o775, 0o664, 1_600_000_000);
        let a = write_archive(one.path(), &names(), &files_one, MTIME).unwrap();
        let b = write_archive(two.path(), &names(), &files_two, MTIME).unwrap();
        assert_eq!(a.name, format!("{STEM}.tar.gz"));
        assert_eq!(a.kind, ArtifactKind::Archive);
        let (a_path, b_path) = (one.path().join(&a.name), two.path().join(&b.name));
        assert_eq!(fs::read(&a_path).unwrap(), fs::read(&b_path).unwrap());
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, sha256_file(&a_path).unwrap());
        assert_eq!(a.size, fs::metadata(&a_path).unwrap().len());
        // Listing order in `files` does not matter either.
        let reversed: Vec<ArchiveFile> = files_one.iter().rev().cloned().collect();
        let c = write_archive(two.path(), &names(), &reversed, MTIME).unwrap();
        assert_eq!(c.sha256, a.sha256);
    }

    #[test]
    fn tar_lists_sorted_root_owned_entries_with_fixed_mtime_and_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let files = sources(tmp.path(), 0o700, 0o600, 1_000_000);
        let archive =
            tmp.path().join(write_archive(tmp.path(), &names(), &files, MTIME).unwrap().name);
        run(Command::new("gzip").arg("--test").arg(&archive));
        let listing = run(Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvzf"])
            .arg(&archive)
            .env("TZ", "UTC"));
        let rows: Vec<Vec<&str>> =
            listing.lines().map(|l| l.split_whitespace().collect()).collect();
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
        run(Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&extracted));
        assert_eq!(names_in(&extracted), [STEM]);
        let bin = extracted.join(STEM).join("diag_tool");
        assert_eq!(fs::read_to_string(&bin).unwrap(), "bin");
        assert_eq!(fs::metadata(&bin).unwrap().permissions().mode() & 0o111, 0o111);
    }

    #[test]
    fn gzip_header_has_no_time_and_no_name() {
        let tmp = tempfile::tempdir().unwrap();
        let files = sources(tmp.path(), 0o755, 0o644, 1_000_000);
        let archive =
            tmp.path().join(write_archive(tmp.path(), &names(), &files, MTIME).unwrap().name);
        let bytes = fs::read(&archive).unwrap();
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
        let files = [ArchiveFile { name: name.clone(), source, executable: false }];
        let archive =
            tmp.path().join(write_archive(tmp.path(), &names(), &files, MTIME).unwrap().name);
        let listing = run(Command::new("tar").arg("-tzf").arg(&archive));
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
        let err = format!("{:#}", write_archive(&out, &names(), &files, MTIME).unwrap_err());
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
        let files = [ArchiveFile { name: "diag_tool".into(), source: link, executable: true }];
        let err = format!("{:#}", write_archive(&out, &names(), &files, MTIME).unwrap_err());
        assert!(err.contains("is a symlink"), "{err}");
        assert!(names_in(&out).is_empty());

        let files = [ArchiveFile {
            name: "diag_tool".into(),
            source: tmp.path().to_owned(),
            executable: true,
        }];
        let err = format!("{:#}", write_archive(&out, &names(), &files, MTIME).unwrap_err());
        assert!(err.contains("is a directory: only regular files are read"), "{err}");
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
        for entries in [
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
            let files: Vec<ArchiveFile> = entries.iter().map(|n| file(n)).collect();
            assert!(write_archive(tmp.path(), &names(), &files, MTIME).is_err(), "{entries:?}");
        }
        assert!(write_archive(tmp.path(), &names(), &[], MTIME).is_err());
        let bad = ReleaseNames { archive: "a/b".into(), ..names() };
        assert!(write_archive(tmp.path(), &bad, &[file("x")], MTIME).is_err());
        assert_eq!(names_in(tmp.path()), ["f"]);
    }

    #[test]
    fn gzip_to_round_trips_through_gzip() {
        let tmp = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 1000).to_le_bytes()).collect();
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
        let mut names: Vec<String> =
            included_files(root, &includes).unwrap().into_iter().map(|f| f.name).collect();
        names.sort();
        assert_eq!(names, ["README.md", "man/tool.1", "top.txt"]);
        let err = included_files(root, &[PathBuf::from("LICENSE")]).unwrap_err();
        assert!(format!("{err:#}").contains("LICENSE is listed in `include`"), "{err:#}");
    }
    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
