//! File writes that never leave partial contents under a final name: write a temporary
//! file beside it, sync, rename.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically: readers see the old file or the complete new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| {
        file.write_all(bytes)
            .with_context(|| format!("writing {}", path.display()))
    })
}

/// Runs `write` on a temporary file in `path`'s directory (same file system, so the rename
/// is atomic) and renames it to `path` once `write` succeeded and the data is on disk.
/// On any error the temporary file is removed.
pub fn write_atomic_with<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let tmp = temp_path(path)?;
    let result = (|| {
        let mut file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let value = write(&mut file)?;
        // Without the sync, a crash after the rename can leave an empty or short file
        // under the final name on some file systems.
        file.sync_all()
            .with_context(|| format!("syncing {}", tmp.display()))?;
        drop(file);
        fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes what interrupted writes left in `dir` (see [`temp_path`]): only `.*.tmp-*` files,
/// which no complete output is ever named.
pub fn remove_temp_files(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') && name.contains(".tmp-") && path.is_file() {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// `.{name}.tmp-{pid}-{n}`: hidden, recognisable, and unique even when several threads of
/// one process write at once.
fn temp_path(path: &Path) -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    Ok(path.with_file_name(tmp_name))
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
            let kind = entry
                .file_type()
                .with_context(|| format!("reading {}", path.display()))?;
            if kind.is_dir() {
                if !skip(&path) {
                    pending.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The sorted names of the entries of `dir`, for tests that check what a step left behind.
#[cfg(test)]
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
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
    fn atomic_write_replaces_existing_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("manifest.json");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names_in(tmp.path()), ["manifest.json"]);
    }

    #[test]
    fn leftovers_of_interrupted_writes_are_removed_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        for name in [".a.tar.gz.tmp-12-0", "a.tar.gz", ".hidden", "SHA256SUMS"] {
            fs::write(tmp.path().join(name), "x").unwrap();
        }
        remove_temp_files(tmp.path()).unwrap();
        assert_eq!(names_in(tmp.path()), [".hidden", "SHA256SUMS", "a.tar.gz"]);
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
