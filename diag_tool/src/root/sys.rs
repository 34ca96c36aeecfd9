//! The few system calls the confined reads need, wrapped safely: `openat`, `openat2`,
//! `readlinkat` and directory listing by file descriptor: the only `unsafe` code of the crate.

use std::ffi::{CStr, CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// `struct open_how` of `linux/openat2.h`, spelled here because the `libc` crate's is
/// non-exhaustive.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

#[cfg(not(target_env = "gnu"))]
use libc::readdir;
/// glibc's `readdir` has 32-bit inode numbers on 32-bit targets (EOVERFLOW on large file
/// systems); `readdir64` has not. musl's `readdir` is always the 64-bit one.
#[cfg(target_env = "gnu")]
use libc::readdir64 as readdir;

/// Lets 32-bit targets open large files too; the kernel sets it anyway on 64-bit ones.
const LARGE: libc::c_int = libc::O_LARGEFILE | libc::O_CLOEXEC;

fn c_name(name: &[u8]) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn fd_result(fd: libc::c_long) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// `openat(dir, name, flags)`; the descriptor is close-on-exec.
pub fn openat(dir: BorrowedFd, name: &[u8], flags: libc::c_int) -> io::Result<OwnedFd> {
    let name = c_name(name)?;
    // SAFETY: `name` is a NUL-terminated string that outlives the call; no mode argument is
    // read since the flags never hold O_CREAT or O_TMPFILE.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | LARGE) };
    fd_result(fd.into())
}

/// `openat2(dir, path, {flags, resolve})`: ENOSYS before Linux 5.6, EPERM under seccomp
/// filters that do not know it.
pub fn openat2(
    dir: BorrowedFd,
    path: &[u8],
    flags: libc::c_int,
    resolve: u64,
) -> io::Result<OwnedFd> {
    let path = c_name(path)?;
    // openat2 refuses with EINVAL any flag beside O_PATH's few (O_LARGEFILE is one where the C
    // library defines it, as musl and 32-bit glibc do), where openat ignores them.
    let extra = match flags & libc::O_PATH {
        0 => LARGE,
        _ => libc::O_CLOEXEC,
    };
    let how = OpenHow { flags: (flags | extra) as u64, mode: 0, resolve };
    // SAFETY: `path` and `how` outlive the call and `how` has the kernel's layout and size.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    fd_result(fd)
}

/// The target of the symbolic link `fd` was opened on (with O_PATH | O_NOFOLLOW).
pub fn readlink(fd: BorrowedFd) -> io::Result<OsString> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: the buffer is valid for `buf.len()` bytes; an empty path reads the link
        // `fd` refers to (Linux 2.6.39 and later).
        let n = unsafe {
            libc::readlinkat(fd.as_raw_fd(), c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(OsString::from_vec(buf));
        }
        if buf.len() >= 1 << 16 {
            return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
        }
        buf.resize(buf.len() * 2, 0);
    }
}

/// The names in the directory `dir` (opened with O_RDONLY | O_DIRECTORY), without `.` and
/// `..`; at most `limit` of them, and whether there were more.
pub fn list(dir: OwnedFd, limit: usize) -> io::Result<(Vec<OsString>, bool)> {
    // SAFETY: fdopendir takes ownership of the descriptor; closedir below releases both.
    let stream = unsafe { libc::fdopendir(dir.into_raw_fd()) };
    if stream.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut names = Vec::new();
    let mut more = false;
    let result = loop {
        // readdir returns NULL at the end and on errors, which set errno.
        errno_clear();
        // SAFETY: `stream` is an open directory stream.
        let entry = unsafe { readdir(stream) };
        if entry.is_null() {
            let e = io::Error::last_os_error();
            break if e.raw_os_error() == Some(0) { Ok(()) } else { Err(e) };
        }
        // SAFETY: readdir returned a valid entry whose d_name is NUL-terminated.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        if names.len() == limit {
            more = true;
            break Ok(());
        }
        names.push(std::ffi::OsStr::from_bytes(name).to_os_string());
    };
    // SAFETY: `stream` came from fdopendir and is closed exactly once.
    unsafe { libc::closedir(stream) };
    result.map(|()| (names, more))
}

fn errno_clear() {
    // SAFETY: __errno_location returns this thread's errno.
    unsafe { *libc::__errno_location() = 0 };
}
