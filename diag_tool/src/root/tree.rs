//! Paths resolved inside the root as if it were `/`: absolute links start again at the root,
//! `..` stops at it, and no link is ever followed by the kernel outside it. The kernel does
//! this itself with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` (Linux 5.6 and later);
//! where it cannot (older kernels: ENOSYS; seccomp filters: EPERM), the same rules are
//! applied here, one component at a time, every link read rather than followed.

use std::cell::Cell;
use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::sys;

/// Links followed in one lookup before giving up with ELOOP, as the kernel's limit.
const MAX_LINKS: u32 = 40;

/// How paths are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    /// `openat2` when the kernel has it, else [`Resolver::Walk`].
    Kernel,
    /// Component by component in user space.
    Walk,
}

/// The directory `--root` names, opened once; every lookup starts from it.
pub struct Tree {
    root: OwnedFd,
    openat2: Cell<bool>,
}

/// Flags for reading a file: never blocks on a FIFO or device, never takes a terminal.
pub const READ: libc::c_int = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY;
/// Flags for listing a directory.
pub const LIST: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK;
/// Flags for looking at a file without opening it for reading.
const PATH: libc::c_int = libc::O_PATH;

impl Tree {
    pub fn open(base: &Path, resolver: Resolver) -> io::Result<Tree> {
        // `--root` itself is the operator's choice: links in it are followed as usual.
        let root = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
            .open(base)?;
        Ok(Tree { root: root.into(), openat2: Cell::new(resolver == Resolver::Kernel) })
    }

    /// Opens `rel` with `flags`, following links inside the tree.
    pub fn open_at(&self, rel: &str, flags: libc::c_int) -> io::Result<OwnedFd> {
        self.resolve(rel, flags, true)
    }

    /// What is at `rel`, a link itself rather than what it points to.
    pub fn lstat(&self, rel: &str) -> io::Result<Metadata> {
        File::from(self.resolve(rel, PATH | libc::O_NOFOLLOW, false)?).metadata()
    }

    /// What is at `rel` once links are followed inside the tree.
    pub fn stat(&self, rel: &str) -> io::Result<Metadata> {
        File::from(self.resolve(rel, PATH, true)?).metadata()
    }

    /// The target of the link at `rel`, as written.
    pub fn read_link(&self, rel: &str) -> io::Result<OsString> {
        sys::readlink(self.resolve(rel, PATH | libc::O_NOFOLLOW, false)?.as_fd())
    }

    fn resolve(&self, rel: &str, flags: libc::c_int, follow_last: bool) -> io::Result<OwnedFd> {
        if self.openat2.get() {
            let flags = if follow_last { flags } else { flags | libc::O_NOFOLLOW };
            let resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
            let path = if rel.is_empty() { "." } else { rel };
            for _ in 0..3 {
                match sys::openat2(self.root.as_fd(), path.as_bytes(), flags, resolve) {
                    // A rename raced with the lookup of `..`: the kernel asks to try again.
                    Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => continue,
                    Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                        self.openat2.set(false);
                        break;
                    }
                    result => return result,
                }
            }
        }
        walk(self.root.as_fd(), rel, flags, follow_last)
    }
}

/// Resolves `rel` below `root` one component at a time. Every component is opened with
/// O_PATH | O_NOFOLLOW and looked at: a directory is entered, a link is read and its target
/// put in front of what is left (an absolute one from the root again), `..` goes back to the
/// directory entered before (never above the root). The last component is opened with
/// `flags | O_NOFOLLOW`, so a link swapped in meanwhile fails rather than being followed.
pub fn walk(
    root: BorrowedFd,
    rel: &str,
    flags: libc::c_int,
    follow_last: bool,
) -> io::Result<OwnedFd> {
    // Directories entered below the root; the last is the current one.
    let mut dirs: Vec<OwnedFd> = Vec::new();
    let mut todo: Vec<Vec<u8>> = components(rel.as_bytes());
    let mut links = 0;
    while let Some(name) = todo.pop() {
        let current = dirs.last().map_or(root, |d| d.as_fd());
        match name.as_slice() {
            b"." => continue,
            b".." => {
                dirs.pop();
                continue;
            }
            _ => {}
        }
        let last = todo.is_empty();
        if last && !follow_last {
            return sys::openat(current, &name, flags | libc::O_NOFOLLOW);
        }
        let found = File::from(sys::openat(current, &name, PATH | libc::O_NOFOLLOW)?);
        let meta = found.metadata()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return Err(io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = sys::readlink(found.as_fd())?.into_vec();
            if target.first() == Some(&b'/') {
                dirs.clear();
            }
            todo.extend(components(&target));
        } else if last {
            if flags == PATH {
                return Ok(found.into());
            }
            match sys::openat(current, &name, flags | libc::O_NOFOLLOW) {
                // It became a link since it was looked at: look again, as one more link.
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) && links < MAX_LINKS => {
                    links += 1;
                    todo.push(name);
                }
                result => return result,
            }
        } else if meta.is_dir() {
            dirs.push(found.into());
        } else {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
    }
    // The path named a directory (empty, or ending in `.` or `..`).
    let current = dirs.last().map_or(root, |d| d.as_fd());
    sys::openat(current, b".", flags)
}

/// Path components in reverse order, so that the next one is popped from the end.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&c| c == b'/').filter(|c| !c.is_empty()).rev().map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A scratch tree: `root/` inside, and a file outside it holding a secret.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("diag_tool-tree-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("root/etc")).unwrap();
            std::fs::create_dir_all(dir.join("root/sys/devices/virtual/dmi/id")).unwrap();
            std::fs::create_dir_all(dir.join("root/sys/class/dmi")).unwrap();
            std::fs::write(dir.join("secret"), "outside").unwrap();
            std::fs::write(dir.join("root/secret"), "inside").unwrap();
            std::fs::write(dir.join("root/sys/devices/virtual/dmi/id/sys_vendor"), "Dell").unwrap();
            Scratch(dir)
        }

        fn root(&self) -> std::path::PathBuf {
            self.0.join("root")
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn read(tree: &Tree, rel: &str) -> io::Result<String> {
        let file = File::from(tree.open_at(rel, READ)?);
        io::read_to_string(file)
    }

    fn both(scratch: &Scratch) -> [Tree; 2] {
        [Resolver::Kernel, Resolver::Walk].map(|r| Tree::open(&scratch.root(), r).unwrap())
    }

    #[test]
    fn links_out_of_the_root_land_inside_it() {
        let s = Scratch::new("escape");
        symlink(s.0.join("secret"), s.root().join("etc/absolute")).unwrap();
        symlink("../../secret", s.root().join("etc/relative")).unwrap();
        symlink("/", s.root().join("etc/slash")).unwrap();
        for tree in both(&s) {
            // `/<scratch>/secret` names `root/<scratch>/secret`, which does not exist.
            let e = read(&tree, "etc/absolute").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotFound);
            // `..` stops at the root: `root/secret`.
            assert_eq!(read(&tree, "etc/relative").unwrap(), "inside");
            assert_eq!(read(&tree, "etc/slash/secret").unwrap(), "inside");
            assert_eq!(read(&tree, "../../secret").unwrap(), "inside");
        }
    }

    #[test]
    fn links_inside_the_tree_work_as_in_sysfs() {
        let s = Scratch::new("inside");
        symlink("../../devices/virtual/dmi/id", s.root().join("sys/class/dmi/id")).unwrap();
        for tree in both(&s) {
            assert_eq!(read(&tree, "sys/class/dmi/id/sys_vendor").unwrap(), "Dell");
            assert!(tree.lstat("sys/class/dmi/id").unwrap().file_type().is_symlink());
            assert!(tree.stat("sys/class/dmi/id").unwrap().is_dir());
            assert_eq!(tree.read_link("sys/class/dmi/id").unwrap(), "../../devices/virtual/dmi/id");
            // `..` after a link goes up from where the link led, as the kernel does.
            assert_eq!(read(&tree, "sys/class/dmi/id/../id/sys_vendor").unwrap(), "Dell");
        }
    }

    #[test]
    fn link_loops_stop_with_eloop() {
        let s = Scratch::new("loop");
        symlink("loop", s.root().join("etc/loop")).unwrap();
        symlink("b", s.root().join("etc/a")).unwrap();
        symlink("a", s.root().join("etc/b")).unwrap();
        for tree in both(&s) {
            for rel in ["etc/loop", "etc/a"] {
                let e = read(&tree, rel).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{rel}");
            }
        }
    }

    #[test]
    fn a_file_in_the_middle_of_a_path_is_not_a_directory() {
        let s = Scratch::new("notdir");
        for tree in both(&s) {
            let e = read(&tree, "secret/more").unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
        }
    }

    #[test]
    fn the_walk_is_used_when_asked_and_finds_the_same_files() {
        let s = Scratch::new("walk");
        let tree = Tree::open(&s.root(), Resolver::Walk).unwrap();
        assert!(!tree.openat2.get());
        assert_eq!(read(&tree, "./secret").unwrap(), "inside");
        assert!(tree.stat("").unwrap().is_dir());
        assert!(tree.stat("etc/..").unwrap().is_dir());
    }
}
