//! Runs `report --json`, `report`, `report --format prometheus` and `check` on every TestArea
//! machine and compares with the golden files next to it (`cargo xtask codegen` writes them).
//! Through the library by default; with `SHIPPED_BINARY=<path>`, through that already-built
//! binary (under `TARGET_RUNNER`, if set), so that a shipped binary is judged on real hardware.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::generated;

fn test_area() -> PathBuf {
    generated::workspace_dir().join("TestArea")
}

fn machines() -> Vec<PathBuf> {
    let dirs = generated::machines();
    assert!(dirs.len() >= 4, "expected at least four machines in TestArea");
    dirs
}

/// diag_tool with `args` and `--root root`: the output and the exit code.
fn run(args: &[&str], root: &Path) -> (String, u8) {
    let Some(binary) = std::env::var_os("SHIPPED_BINARY") else {
        return generated::in_process(args, root);
    };
    let runner = std::env::var("TARGET_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(&binary);
            command
        }
        None => Command::new(&binary),
    };
    let output = command.args(args).arg("--root").arg(root).output().expect("SHIPPED_BINARY runs");
    let code = output.status.code().expect("exited, not killed") as u8;
    (String::from_utf8(output.stdout).expect("output is UTF-8"), code)
}

/// `path:line: expected ... actual ...` for the first line that differs.
fn difference(path: &Path, expected: &str, actual: &str) -> String {
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let line = |text: &str| text.lines().nth(first).unwrap_or("<end of file>").to_string();
    format!(
        "{} differs at line {}:\n  expected: {}\n  actual:   {}\n",
        path.display(),
        first + 1,
        line(expected),
        line(actual)
    )
}

#[test]
fn every_machine_matches_its_golden_files() {
    let root = generated::workspace_dir();
    let mut failures = Vec::new();
    for machine in machines() {
        for (path, bytes) in generated::golden(&machine, &run) {
            let expected = fs::read_to_string(root.join(&path)).unwrap_or_default();
            let actual = String::from_utf8(bytes).expect("UTF-8");
            if expected != actual {
                failures.push(difference(&path, &expected, &actual));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the change is intended, run `cargo xtask codegen`, review the diff and commit.",
        failures.join("\n")
    );
}

#[test]
fn json_report_is_versioned_and_lists_warnings() {
    for machine in machines() {
        let (json, _) = run(&["report", "--json"], &machine);
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["schema_version"], 1);
        assert!(value["warnings"].is_array());
    }
}

/// Machines in good health, one per architecture family the fixtures cover.
const HEALTHY: &[&str] =
    &["x86_64-2socket", "aarch64-graviton", "s390x-z15", "ppc64le-power9", "riscv64-unmatched"];

#[test]
fn every_architecture_is_told_from_the_kernel_not_assumed() {
    for (machine, arch) in [
        ("x86_64-2socket", "x86_64"),
        ("aarch64-graviton", "aarch64"),
        ("s390x-z15", "s390x"),
        ("ppc64le-power9", "ppc64le"),
        ("riscv64-unmatched", "riscv64"),
    ] {
        let (json, _) = run(&["report", "--json"], &test_area().join(machine));
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["cpu"]["architecture"], arch, "{machine}");
        assert!(
            !value["cpu"]["models"].as_array().unwrap().is_empty(),
            "{machine} names its CPU model"
        );
    }
}

#[test]
fn the_degraded_machine_shows_every_fleet_fault() {
    let (check, code) = run(&["check"], &test_area().join("degraded"));
    assert_eq!(code, 2);
    for expected in [
        "CRITICAL: PCIe 0000:5e:00.0",
        "2 uncorrectable AER errors (0 fatal, 2 non-fatal: CmpltTO)",
        "WARNING: PCIe 0000:18:00.0 (Mellanox Ethernet controller, mlx5_core): 57 correctable AER errors (threshold 10: BadTLP, BadDLLP)",
        "link trained to x4 at 8.0 GT/s, capable of x8 at 8.0 GT/s",
        "CRITICAL: md md0 (raid1): degraded, 1 of 2 members working",
        "CRITICAL: md md1 (raid5): degraded, 3 of 4 members working, failed: sde1",
        "WARNING: md md1 (raid5): recovery 8.5% done",
        "WARNING: CPU package 1: thermally throttled 4521 times",
        "CRITICAL: fan nct7904 (hwmon2/fan3): stopped (0 RPM)",
        "WARNING: kernel tainted 4112 (MO): M (processor reported a Machine Check Exception (MCE))",
        "2 uncorrected ECC errors: 2 on CPU_SrcID#1_MC#0_Chan#1_DIMM#0 (channel 1 slot 0)",
        "CRITICAL: NVMe nvme0 (SAMSUNG MZQL21T9HCJR-00A07, serial",
    ] {
        assert!(check.contains(expected), "missing {expected:?} in:\n{check}");
    }
    for healthy in HEALTHY {
        let (check, _) = run(&["check"], &test_area().join(healthy));
        assert_eq!(check.lines().count(), 1, "{healthy} has findings:\n{check}");
    }
}

#[test]
fn healthy_machines_pass_and_damaged_ones_do_not() {
    let code = |name: &str| run(&["check"], &test_area().join(name)).1;
    for healthy in HEALTHY {
        assert_eq!(code(healthy), 0, "{healthy}");
    }
    assert_eq!(code("degraded"), 2);
    assert_eq!(code("broken"), 3);
}

#[test]
fn an_empty_root_reports_nearly_nothing_and_passes() {
    let dir = std::env::temp_dir().join(format!("diag_tool-empty-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("create temp dir");
    let (json, code) = run(&["report", "--json"], &dir);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["cpu"]["logical_cpus"], serde_json::Value::Null);
    assert_eq!(value["dmi"], serde_json::Value::Null);
    assert_eq!(value["warnings"].as_array().map(Vec::len), Some(0));
    let (_, code) = run(&["report"], &dir);
    assert_eq!(code, 0);
    let (check, code) = run(&["check"], &dir);
    assert_eq!((check.as_str(), code), ("DIAG OK - 0 critical, 0 warning, 0 unknown\n", 0));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_root_or_a_file_as_root_exits_unknown() {
    let (out, code) = run(&["report"], Path::new("/nonexistent/diag_tool/root"));
    assert_eq!((out.as_str(), code), ("", 3));
    let file = test_area().join("README.md");
    let (out, code) = run(&["check"], &file);
    assert_eq!((out.as_str(), code), ("", 3));
}

#[test]
fn version_and_help_go_to_the_output() {
    let mut out = Vec::new();
    assert_eq!(diag_tool::run(["diag_tool", "--version"], &mut out), 0);
    let text = String::from_utf8(out).expect("UTF-8");
    assert_eq!(text, format!("diag_tool {}\n", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    assert_eq!(diag_tool::run(["diag_tool", "check", "--help"], &mut out), 0);
    let help = String::from_utf8(out).expect("UTF-8");
    assert!(help.contains("--mem-warn") && help.contains("[default: 10]"), "{help}");
}

#[test]
fn usage_errors_exit_unknown() {
    let mut out = Vec::new();
    assert_eq!(diag_tool::run(["diag_tool", "frobnicate"], &mut out), 3);
    assert_eq!(diag_tool::run(["diag_tool", "check", "--mem-warn", "200"], &mut out), 3);
    assert!(out.is_empty());
}
