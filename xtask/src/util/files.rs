//! Files read from places others control and written where readers look: plain names, regular
//! files opened without blocking and read up to a cap, paths kept inside a root, writes that
//! never leave partial contents under a final name, and the lock of an output directory.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

/// The largest manifest, SHA256SUMS or other text xtask reads: far above any real one.
pub const TEXT_CAP: u64 = 64 << 20;
/// The largest binary, or unpacked archive, xtask reads into memory.
pub const BINARY_CAP: u64 = 1 << 30;

/// Checks that `name`, read from a manifest, SHA256SUMS or an archive, is one plain file name
/// before it is joined to a directory: no `/`, not `.` or `..`, not empty, no NUL. The one
/// check merge, reproduce, bench and the installer rely on.
pub fn plain_name(name: &str) -> Result<&str> {
    ensure!(
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']),
        "expected a plain file name such as diag_tool-x86_64-unknown-linux-musl-v0.1.0.tar.gz, found {name:?}: release files are named without directories"
    );
    Ok(name)
}

/// Opens `path` for reading if it is a regular file. Opened with `O_NONBLOCK` so that a FIFO
/// does not block the open, and the type checked on the open file, so that a path swapped
/// in between is caught too.
pub fn open_regular(path: &Path) -> Result<File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io_error(format!("reading {}", path.display())))?;
    let kind = file.metadata().with_context(|| format!("reading {}", path.display()))?.file_type();
    if !kind.is_file() {
        let kinds = [
            (kind.is_dir(), "a directory"),
            (kind.is_fifo(), "a FIFO"),
            (kind.is_char_device() || kind.is_block_device(), "a device"),
            (kind.is_socket(), "a socket"),
        ];
        let what = kinds.iter().find(|(is, _)| *is).map_or("not a file", |(_, what)| what);
        bail!("{} is {what}: only regular files are read", path.display());
    }
    Ok(file)
}

/// The contents of the regular file `path`, refused when larger than `cap` bytes.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        bytes.len() as u64 <= cap,
        "{} is larger than {cap} bytes, more than such a file ever holds: refused",
        path.display()
    );
    Ok(bytes)
}

/// [`read_regular`] for UTF-8 text of at most [`TEXT_CAP`] bytes.
pub fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_regular(path, TEXT_CAP)?)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// `path` (relative to `root`, or absolute) with every link followed, if it is inside `root`;
/// an error naming `what` otherwise. Keeps configuration from reaching files of the host.
pub fn inside(root: &Path, path: &Path, what: &str) -> Result<PathBuf> {
    let root = root.canonicalize().with_context(|| format!("resolving {}", root.display()))?;
    let resolved =
        root.join(path).canonicalize().map_err(io_error(format!("{what} {}", path.display())))?;
    ensure!(
        resolved.starts_with(&root),
        "{what} {} resolves to {}, outside {}: only files of the workspace are packaged",
        path.display(),
        resolved.display(),
        root.display()
    );
    Ok(resolved)
}

/// An I/O error in words, with what to do about it where that is clear.
pub fn describe(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied: choose a place you may write to".into(),
        K::ReadOnlyFilesystem => "read-only file system: choose a writable place".into(),
        K::StorageFull => "no space left on device: free some space or choose another disk".into(),
        K::NotADirectory => {
            "not a directory: a file has that name; remove it or choose another".into()
        }
        K::AlreadyExists => "a file of that name exists: remove it or choose another name".into(),
        K::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

/// Makes an I/O error `{what}: ` and its [`describe`]d cause.
fn io_error(what: String) -> impl FnOnce(std::io::Error) -> anyhow::Error {
    move |e| anyhow::anyhow!("{what}: {}", describe(&e))
}

/// Writes `bytes` to `path` atomically: readers see the old file or the complete new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| {
        file.write_all(bytes).with_context(|| format!("writing {}", path.display()))
    })
}

/// Runs `write` on a temporary file in `path`'s directory (same file system, so the rename
/// is atomic) and renames it to `path` once `write` succeeded and the data is on disk.
/// The temporary file is created exclusively (`O_EXCL`, so no planted link is followed) under
/// an unpredictable `.{name}.tmp-XXXXXX` name; on any error it is removed.
pub fn write_atomic_with<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let name =
        path.file_name().with_context(|| format!("{} does not name a file", path.display()))?;
    let dir = parent_dir(path);
    let (tmp, mut file) = create_unique(dir, &hidden(name, ".tmp-"), |p| {
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(p)
    })
    .map_err(io_error(format!("cannot write in {}", dir.display())))?;
    // Created 0600 whatever the umask; release files are read by others (`write` may narrow it).
    use std::os::unix::fs::PermissionsExt;
    let written = || io_error(format!("writing {}", path.display()));
    file.set_permissions(fs::Permissions::from_mode(0o644)).map_err(written())?;
    let value = write(&mut file)?;
    // Without the sync, a crash after the rename can leave an empty or short file
    // under the final name on some file systems.
    file.sync_all().map_err(written())?;
    fs::rename(tmp.keep(), path).map_err(written())?;
    Ok(value)
}

/// `.{name}{suffix}`: a hidden name for something kept beside `name`.
fn hidden(name: &std::ffi::OsStr, suffix: &str) -> std::ffi::OsString {
    [".".as_ref(), name, suffix.as_ref()].into_iter().collect()
}

/// The directory `path` is in: its parent, or `.` for a bare name.
fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A file or directory created under an unpredictable name, removed when dropped unless kept.
struct Temp(Option<PathBuf>);

impl Temp {
    fn keep(mut self) -> PathBuf {
        self.0.take().expect("kept once")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir_all(&path));
        }
    }
}

/// Runs `create` on `dir/{prefix}` and 16 hex digits until it makes a new entry. `create`
/// must refuse an existing name (`create_new`, `create_dir`), so that a planted file or link
/// is skipped and never opened. The digits come from std's per-process random SipHash keys.
fn create_unique<T>(
    dir: &Path,
    prefix: &std::ffi::OsStr,
    create: impl Fn(&Path) -> std::io::Result<T>,
) -> std::io::Result<(Temp, T)> {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..64 {
        let mut name = prefix.to_os_string();
        name.push(format!("{:016x}", std::hash::RandomState::new().build_hasher().finish()));
        let path = dir.join(name);
        match create(&path) {
            Ok(value) => return Ok((Temp(Some(path)), value)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::ErrorKind::AlreadyExists.into())
}

/// Locks `.{dir}.lock`, beside `dir` (whose contents a run replaces), while the returned file is
/// open; a second run fails at once naming the process that holds it.
pub fn lock_dir(dir: &Path) -> Result<File> {
    use std::os::fd::AsRawFd;
    let path = dir.with_file_name(hidden(dir.file_name().unwrap_or_default(), ".lock"));
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(io_error(format!("cannot create {}", path.display())))?;
    // SAFETY: flock on a descriptor this function owns; no memory is shared.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        bail!(
            "another run (pid {}) is writing to {}: wait for it to finish, or choose another --out-dir",
            holder.trim(),
            dir.display()
        );
    }
    file.set_len(0)?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// A run's output set, built in a hidden directory beside the out dir and switched in whole:
/// the out dir holds the previous complete set or the new one at every moment, and a failed
/// or killed run leaves it as it was. The out dir stays a real directory: `commit` exchanges
/// it with the staging directory in one `renameat2(RENAME_EXCHANGE)` and removes the old set.
pub struct Staging {
    out: PathBuf,
    dir: Temp,
    /// Held while the run writes; the lock goes with the process, even on `kill -9`.
    _lock: File,
}

impl Staging {
    /// Locks `out` for this run, removes what killed runs left beside it, and creates the
    /// staging directory. `out` must be new, or hold files only (a previous set): a run
    /// replaces everything in it, so a directory with folders in it is refused.
    pub fn begin(out: &Path) -> Result<Staging> {
        let cannot = |e: std::io::Error| {
            anyhow::anyhow!(
                "cannot create the output directory {}: {} (choose another with --out-dir DIR)",
                out.display(),
                describe(&e)
            )
        };
        if let Some(file) = out.ancestors().find(|a| a.is_file()) {
            bail!(
                "cannot create the output directory {}: {} is a file, not a directory; remove \
                 it or choose another --out-dir",
                out.display(),
                file.display()
            );
        }
        let parent = parent_dir(out);
        fs::create_dir_all(parent).map_err(cannot)?;
        let out = match out.canonicalize() {
            Ok(real) => real,
            Err(_) => parent
                .canonicalize()
                .map_err(cannot)?
                .join(out.file_name().context("an out dir name")?),
        };
        let lock = lock_dir(&out)?;
        let prefix = hidden(out.file_name().context("an out dir name")?, ".staging-");
        let parent = out.parent().expect("canonical");
        remove_stale_staging(parent, &prefix)?;
        check_replaceable(&out)?;
        let (dir, ()) =
            create_unique(parent, &prefix, |p| fs::DirBuilder::new().mode(0o700).create(p))
                .map_err(cannot)?;
        Ok(Staging { out, dir, _lock: lock })
    }

    /// Where this run writes.
    pub fn path(&self) -> &Path {
        self.dir.0.as_deref().expect("not yet committed")
    }

    /// Makes the staged set the out dir's contents: one exchange of the two directories, then
    /// the old set (stale signatures and sidecars with it) is removed.
    pub fn commit(self) -> Result<()> {
        let staged = self.dir.keep();
        let out = &self.out;
        if fs::symlink_metadata(out).is_err() {
            fs::rename(&staged, out)
                .map_err(io_error(format!("moving the release into {}", out.display())))?;
        } else {
            exchange(&staged, out)?;
            fs::remove_dir_all(&staged).with_context(|| {
                format!("removing the previous set, now at {}", staged.display())
            })?;
        }
        let _ = File::open(out.parent().expect("canonical")).and_then(|dir| dir.sync_all());
        Ok(())
    }
}

/// Swaps two directories atomically (Linux 3.15+, on ext4, xfs, btrfs, tmpfs, overlayfs).
fn exchange(a: &Path, b: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).expect("no NUL in a path");
    let (ca, cb) = (c(a), c(b));
    // SAFETY: two NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    ensure!(
        rc == 0,
        "cannot switch {} in (renameat2 RENAME_EXCHANGE): {}; the new set is in {}",
        b.display(),
        describe(&std::io::Error::last_os_error()),
        a.display()
    );
    Ok(())
}

/// Removes the staging directories of killed runs, `{prefix}*` in `parent`; called under the
/// out dir's lock, so none of them belongs to a live run.
fn remove_stale_staging(parent: &Path, prefix: &std::ffi::OsStr) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    for entry in fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))? {
        let entry = entry.with_context(|| format!("reading {}", parent.display()))?;
        let stale = entry.file_name().as_bytes().starts_with(prefix.as_bytes());
        if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// An existing out dir is replaced whole: it must hold files only, and be writable.
fn check_replaceable(out: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    ensure!(
        meta.is_dir(),
        "{} is a file, not a directory: remove it or choose another --out-dir",
        out.display()
    );
    for entry in fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let entry = entry.with_context(|| format!("reading {}", out.display()))?;
        ensure!(
            entry.file_type().is_ok_and(|t| t.is_file()),
            "{} holds {}, which is not a release file: a run replaces everything in its out dir, \
             so choose an empty or new directory with --out-dir",
            out.display(),
            entry.path().display()
        );
    }
    let probe = std::ffi::OsStr::new(".probe.tmp-");
    create_unique(out, probe, |p| fs::OpenOptions::new().write(true).create_new(true).open(p))
        .map_err(io_error(format!("cannot write in the output directory {}", out.display())))?;
    Ok(())
}

/// Every file and symbolic link below `dir`, sorted, without following links (TestArea holds
/// loops on purpose) and without entering directories `skip` refuses.
pub fn walk(dir: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let path = entry.path();
            let kind = entry.file_type().with_context(|| format!("reading {}", path.display()))?;
            if !kind.is_dir() {
                files.push(path);
            } else if !skip(&path) {
                pending.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The sorted names of the entries of `dir`, for tests that check what a step left behind.
#[cfg(test)]
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_lists_files_and_links_sorted_and_skips_what_it_is_told() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::create_dir_all(root.join("target/x")).unwrap();
        fs::write(root.join("a/b/f"), "").unwrap();
        fs::write(root.join("target/x/g"), "").unwrap();
        std::os::unix::fs::symlink("a", root.join("loop")).unwrap();
        let found = walk(root, &|p| p.ends_with("target")).unwrap();
        assert_eq!(found, [root.join("a/b/f"), root.join("loop")]);
    }

    #[test]
    fn only_plain_file_names_pass() {
        for bad in ["", ".", "..", "../x.cdx.json", "/etc/passwd", "a/b", "a\0b"] {
            assert!(plain_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(plain_name("a.tar.gz").unwrap(), "a.tar.gz");
    }

    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_regular(&fifo, 10).unwrap_err().to_string();
        assert!(err.contains("is a FIFO: only regular files are read"), "{err}");
        let err = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(err.to_string().contains("is a device"), "{err}");
        fs::write(tmp.path().join("big"), [0; 11]).unwrap();
        let err = read_regular(&tmp.path().join("big"), 10).unwrap_err();
        assert!(err.to_string().contains("larger than 10 bytes"), "{err}");
        assert_eq!(read_regular(&tmp.path().join("big"), 11).unwrap().len(), 11);
    }

    #[test]
    fn paths_outside_the_root_are_refused_links_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(root.join("docs/a"), "").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        std::os::unix::fs::symlink("docs/a", root.join("in")).unwrap();
        for bad in ["/etc/hostname", "../../../../../../etc/passwd", "out/passwd", "out"] {
            let err = inside(&root, Path::new(bad), "entry").unwrap_err().to_string();
            assert!(err.contains("outside"), "{bad}: {err}");
        }
        let found = inside(&root, Path::new("in"), "entry").unwrap();
        assert_eq!(found, root.canonicalize().unwrap().join("docs/a"));
    }

    #[test]
    fn a_second_lock_of_one_directory_is_refused_naming_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dist");
        let _held = lock_dir(&dir).unwrap();
        let err = lock_dir(&dir).err().unwrap().to_string();
        let pid = std::process::id();
        assert!(err.contains(&format!("another run (pid {pid})")), "{err}");
    }

    #[test]
    fn temporary_files_are_not_followed_links() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let path = tmp.path().join("SHA256SUMS");
        for n in 0..4 {
            let planted = tmp.path().join(format!(".SHA256SUMS.tmp-{}-{n}", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn a_taken_temporary_name_is_skipped_and_an_unkept_one_removed() {
        let tmp = tempfile::tempdir().unwrap();
        // The first name tried is taken by a planted file: it is skipped, never opened.
        let planted = std::cell::RefCell::new(None);
        let (temp, _file) = create_unique(tmp.path(), std::ffi::OsStr::new(".x.tmp-"), |p| {
            if planted.borrow().is_none() {
                fs::write(p, "planted").unwrap();
                *planted.borrow_mut() = Some(p.to_path_buf());
            }
            fs::OpenOptions::new().write(true).create_new(true).open(p)
        })
        .unwrap();
        let planted = planted.into_inner().unwrap();
        let created = temp.0.clone().unwrap();
        assert_ne!(created, planted);
        assert_eq!(fs::read_to_string(&planted).unwrap(), "planted");
        let name = created.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".x.tmp-") && name.len() == ".x.tmp-".len() + 16, "{name}");
        assert_eq!(names_in(tmp.path()).len(), 2);
        drop(temp);
        assert!(!created.exists());
        assert_eq!(fs::read_to_string(&planted).unwrap(), "planted");
    }

    #[test]
    fn atomic_write_replaces_existing_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("manifest.json");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names_in(tmp.path()), ["manifest.json"]);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{mode:o}");
    }

    #[test]
    fn failed_write_keeps_old_file_and_removes_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("manifest.json");
        fs::write(&path, "old").unwrap();
        let err = write_atomic_with(&path, |file| -> Result<()> {
            file.write_all(b"half")?;
            anyhow::bail!("interrupted")
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "interrupted");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names_in(tmp.path()), ["manifest.json"]);
    }
}
