//! Checks `report --root /` against the system's own tools on the machine running the tests.
//!
//! Under qemu-user (the aarch64 test run) the test binary is emulated but the
//! tools it spawns are host binaries run natively, and the files compared here
//! (`/sys/devices/system/cpu/online`, `/proc/meminfo`, `/proc/sys/kernel/*`) are
//! passed through unchanged by qemu, so the same comparisons hold. One thing differs: qemu's
//! `-L <sysroot>` turns an absolute path that exists in the sysroot into the sysroot's, and
//! `/` itself exists there, so the emulated binary is given `/proc/self/root`, the same root
//! by a path qemu leaves alone. A tool that cannot be spawned fails the test instead of
//! skipping it.

use std::process::Command;

fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(output.status.success(), "{program} {args:?} failed: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn report() -> serde_json::Value {
    let emulated = tool("uname", &["-m"]) != std::env::consts::ARCH;
    let root = if emulated { "/proc/self/root" } else { "/" };
    let mut out = Vec::new();
    let code = diag_tool::run(["diag_tool", "report", "--json", "--root", root], &mut out);
    assert_eq!(code, 0);
    serde_json::from_slice(&out).expect("valid JSON")
}

#[test]
fn report_on_this_machine_agrees_with_system_tools() {
    let host_arch = tool("uname", &["-m"]);
    if host_arch != std::env::consts::ARCH {
        eprintln!(
            "note: test binary is {} on a {host_arch} host (qemu-user); comparing pass-through files only",
            std::env::consts::ARCH
        );
    }
    let r = report();

    // Online CPUs, i.e. glibc's _NPROCESSORS_ONLN (from /sys/devices/system/cpu/online).
    // Plain `nproc` counts the CPUs this process may run on (affinity, cgroups),
    // and `nproc --all` counts configured ones, which may include offline CPUs.
    let online: u64 = tool("getconf", &["_NPROCESSORS_ONLN"]).parse().expect("a number");
    assert_eq!(r["cpu"]["logical_cpus"].as_u64(), Some(online));

    // `free -b` prints MemTotal in bytes in the second column of the Mem: line.
    let free = tool("free", &["-b"]);
    let total: u64 = free
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("free -b prints a Mem: line");
    assert_eq!(r["memory"]["total_bytes"].as_u64(), Some(total));

    assert_eq!(r["host"]["kernel"].as_str(), Some(tool("uname", &["-r"]).as_str()));
    assert_eq!(r["host"]["hostname"].as_str(), Some(tool("hostname", &[]).as_str()));
}

#[test]
fn check_on_this_machine_returns_a_plugin_status() {
    let mut out = Vec::new();
    let code = diag_tool::run(["diag_tool", "check", "--root", "/"], &mut out);
    assert!(code <= 3);
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.starts_with("DIAG "), "{text}");
}
