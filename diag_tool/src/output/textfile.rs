//! `report --textfile DIR`: the Prometheus report written to `DIR/diag_tool.prom` for
//! node_exporter's textfile collector, which must never read half a file. The text goes to a
//! new temporary file of an unpredictable name, created exclusively (a link or file planted
//! there is refused, never written through), is synced to disk, and only then renamed to the
//! final name: a run killed at any moment leaves the old file or the new one, whole.

use std::fmt;
use std::fs::{self, File, OpenOptions, Permissions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::root::io_reason;

/// The file name node_exporter's textfile collector reads in `DIR`.
pub const TEXTFILE: &str = "diag_tool.prom";

/// Temporary files are `.diag_tool.prom.<random>.tmp`: not `*.prom`, so the collector skips
/// them while they are written.
const TEMPORARY_PREFIX: &str = ".diag_tool.prom.";
const TEMPORARY_SUFFIX: &str = ".tmp";

/// A temporary file a killed run left behind is removed by a later run once this old.
const STALE: Duration = Duration::from_secs(3600);

/// Why `DIR/diag_tool.prom` could not be written, and what to do about it.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub error: io::Error,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), io_reason(&self.error))?;
        match self.error.raw_os_error().and_then(advice) {
            Some(advice) => write!(f, "; {advice}"),
            None => Ok(()),
        }
    }
}

/// What an operator can do about each error, in the words of `--textfile`.
fn advice(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOENT => "create the directory, or give --textfile one that exists",
        libc::ENOTDIR => "--textfile takes a directory, node_exporter's textfile directory",
        libc::EROFS => "give --textfile a directory on a writable file system",
        libc::ENOSPC => "free some space on that file system",
        libc::EDQUOT => "free some space within the quota, or raise it",
        libc::EACCES | libc::EPERM => {
            "run diag_tool as a user that may write to that directory (its owner)"
        }
        libc::EISDIR => "remove that directory: diag_tool.prom must be a file",
        libc::ELOOP => "fix the symbolic links of the --textfile path",
        libc::EIO => "the disk failed a write: see the kernel log (dmesg)",
        _ => return None,
    })
}

/// Writes `text` to `dir/diag_tool.prom` through a temporary file and a rename. A failed
/// write removes its temporary file and leaves any earlier `diag_tool.prom` as it was.
pub fn write(dir: &Path, text: &str) -> Result<(), WriteError> {
    let path = dir.join(TEXTFILE);
    let (temporary, mut file) =
        create_temporary(dir).map_err(|error| WriteError { path: path.clone(), error })?;
    // The new file's time is the file system's "now", whatever the clocks say.
    if let Ok(now) = file.metadata().and_then(|m| m.modified()) {
        remove_stale_temporaries(dir, now);
    }
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temporary, &path));
    drop(file);
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(WriteError { path, error });
    }
    // The rename itself reaches the disk with the directory; without this a power loss could
    // bring back the old file. Some file systems cannot sync a directory: no harm then.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A new file of an unused, unpredictable name in `dir`, mode 0644 whatever the umask, so
/// that node_exporter can read it. O_EXCL and O_NOFOLLOW: whatever is already at the name,
/// a symbolic link included, makes the creation fail and another name is tried.
fn create_temporary(dir: &Path) -> io::Result<(PathBuf, File)> {
    let mut last = io::Error::from_raw_os_error(libc::EEXIST);
    for _ in 0..16 {
        let name = format!("{TEMPORARY_PREFIX}{:016x}{TEMPORARY_SUFFIX}", random());
        let path = dir.join(name);
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path);
        match created {
            Ok(file) => {
                if let Err(e) = file.set_permissions(Permissions::from_mode(0o644)) {
                    let _ = fs::remove_file(&path);
                    return Err(e);
                }
                return Ok((path, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// 64 bits from the operating system's random source (std seeds `RandomState` from it).
fn random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Removes temporary files of killed runs (regular files of our naming, an hour older than
/// `now`); a run going on at the same time has a fresh one, which stays.
fn remove_stale_temporaries(dir: &Path, now: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if !(name.starts_with(TEMPORARY_PREFIX) && name.ends_with(TEMPORARY_SUFFIX)) {
            continue;
        }
        let old = entry.metadata().is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .is_some_and(|age| age > STALE)
        });
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_happened_and_what_to_do() {
        let error = |errno| WriteError {
            path: PathBuf::from("/var/lib/node_exporter/diag_tool.prom"),
            error: io::Error::from_raw_os_error(errno),
        };
        assert_eq!(
            error(libc::EROFS).to_string(),
            "cannot write /var/lib/node_exporter/diag_tool.prom: read-only file system; \
             give --textfile a directory on a writable file system"
        );
        assert!(
            error(libc::ENOSPC).to_string().contains("no space left on device; free some space")
        );
        assert!(
            error(libc::EACCES).to_string().contains("permission denied; run diag_tool as a user")
        );
        for errno in [libc::EROFS, libc::ENOSPC, libc::EACCES, libc::ENOTDIR] {
            let message = error(errno).to_string();
            assert!(!message.contains("errno"), "{message}");
            assert_eq!(message.lines().count(), 1, "{message}");
        }
    }

    #[test]
    fn temporaries_of_killed_runs_go_once_an_hour_old_and_nothing_else_does() {
        let dir = std::env::temp_dir().join(format!("diag_tool-stale-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let make = |name: &str, age: u64| {
            let file = File::create(dir.join(name)).unwrap();
            let then = SystemTime::now() - Duration::from_secs(age);
            file.set_modified(then).unwrap();
        };
        make(".diag_tool.prom.00000000deadbeef.tmp", 7200);
        make(".diag_tool.prom.1234.tmp", 7200);
        make(".diag_tool.prom.00000000cafebabe.tmp", 60);
        make(".other.prom.tmp", 7200);
        write(&dir, "x 1\n").unwrap();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            names,
            [".diag_tool.prom.00000000cafebabe.tmp", ".other.prom.tmp", "diag_tool.prom"]
        );
    }

    #[test]
    fn temporary_names_differ_and_are_not_prom_files() {
        let (a, b) = (random(), random());
        assert_ne!(a, b);
        let name = format!("{TEMPORARY_PREFIX}{a:016x}{TEMPORARY_SUFFIX}");
        assert!(!name.ends_with(".prom"));
    }
}
