//! Errors in words. Reasons are spelled here rather than taken from the C library, so that
//! glibc and musl builds print the same report, and so that no message is a bare errno.

use std::io;

/// What went wrong, in a few words: `read-only file system`, `permission denied`.
pub fn io_reason(e: &io::Error) -> String {
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    let words = match code {
        libc::ENOENT => "no such file or directory",
        libc::EACCES => "permission denied",
        libc::EPERM => "operation not permitted",
        libc::EISDIR => "is a directory, expected a file",
        libc::ENOTDIR => "a path component is not a directory",
        libc::EINVAL => "invalid argument",
        libc::ELOOP => "symlink loop",
        libc::EROFS => "read-only file system",
        libc::ENOSPC => "no space left on device",
        libc::EDQUOT => "disk quota exceeded",
        libc::EIO => "input/output error",
        libc::EEXIST => "file exists",
        libc::EBUSY => "device or resource busy",
        libc::ETXTBSY => "text file busy",
        libc::EXDEV => "on another file system",
        libc::ENAMETOOLONG => "file name too long",
        libc::ENODEV | libc::ENXIO => "no such device",
        libc::EAGAIN => "resource temporarily unavailable",
        libc::EINTR => "interrupted",
        libc::EMFILE | libc::ENFILE => "too many open files",
        libc::ENOMEM => "out of memory",
        libc::EFBIG | libc::EOVERFLOW => "file too large",
        libc::ESTALE => "stale file handle (NFS)",
        libc::ENOTEMPTY => "directory not empty",
        libc::EOPNOTSUPP => "operation not supported",
        _ => return format!("system error {code}"),
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_errors_are_words_not_numbers() {
        let reason = |code| io_reason(&io::Error::from_raw_os_error(code));
        assert_eq!(reason(libc::EROFS), "read-only file system");
        assert_eq!(reason(libc::ENOSPC), "no space left on device");
        assert_eq!(reason(libc::EACCES), "permission denied");
        assert_eq!(reason(libc::ELOOP), "symlink loop");
        assert!(!reason(libc::EROFS).contains("errno"));
    }
}
