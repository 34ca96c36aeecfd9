//! A `--root` that cannot be inspected is a one-line error and exit 3 (UNKNOWN, what monitoring
//! expects from a check that could not run), never a panic or an empty report.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Output;

fn diag_tool(args: &[&OsStr]) -> Output {
    common::run_binary(args)
}

fn assert_unknown(output: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(stderr.contains(message), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "{output:?}");
}

#[test]
fn root_that_is_a_file_exits_3_with_not_a_directory() {
    let file = std::env::current_exe().unwrap();
    for command in ["report", "check"] {
        let output = diag_tool(&[command.as_ref(), "--root".as_ref(), file.as_os_str()]);
        assert_unknown(&output, "not a directory");
    }
}

#[test]
fn missing_root_exits_3_with_no_such_file() {
    for command in ["report", "check"] {
        let output =
            diag_tool(&[command.as_ref(), "--root".as_ref(), "/nonexistent/diag-root".as_ref()]);
        assert_unknown(&output, "--root /nonexistent/diag-root: no such file or directory");
    }
}

#[test]
fn non_utf8_root_is_reported_not_a_panic() {
    let root = OsStr::from_bytes(b"/nonexistent/r\xff");
    let output = diag_tool(&["report".as_ref(), "--root".as_ref(), root]);
    // The byte shows as U+FFFD: the message stays one readable line.
    assert_unknown(&output, "--root /nonexistent/r\u{fffd}: no such file or directory");
}

#[test]
fn existing_non_utf8_root_is_inspected() {
    let mut name = std::env::temp_dir().into_os_string();
    name.push(format!("/diag-root-{}-", std::process::id()));
    name.push(OsStr::from_bytes(b"\xff"));
    std::fs::create_dir_all(&name).unwrap();
    let output = diag_tool(&["report".as_ref(), "--root".as_ref(), name.as_os_str()]);
    std::fs::remove_dir_all(&name).unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}
