//! Runs `report --json`, `report`, `report --format prometheus` and `check` on every TestArea
//! machine through the library and compares with the golden files next to it.
//! `UPDATE_GOLDEN=1 cargo test -p diag_tool --test golden` rewrites them.

use std::fs;
use std::path::{Path, PathBuf};

fn test_area() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../TestArea")
}

fn machines() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(test_area())
        .expect("TestArea directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 4,
        "expected at least four machines in TestArea"
    );
    dirs
}

fn run(args: &[&str], root: &Path) -> (String, u8) {
    let mut out = Vec::new();
    let mut argv: Vec<String> = vec!["diag_tool".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.push("--root".into());
    argv.push(root.to_string_lossy().into_owned());
    let code = diag_tool::run(argv, &mut out);
    (String::from_utf8(out).expect("output is UTF-8"), code)
}

/// Compares or, with UPDATE_GOLDEN set, rewrites; returns a message on mismatch.
fn compare(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().expect("golden file has a parent"))
            .expect("create expected/");
        fs::write(path, actual).expect("write golden file");
        return None;
    }
    let expected = fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let first_diff = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let line = |text: &str| {
        text.lines()
            .nth(first_diff)
            .unwrap_or("<end of file>")
            .to_string()
    };
    Some(format!(
        "{} differs at line {}:\n  expected: {}\n  actual:   {}\n",
        path.display(),
        first_diff + 1,
        line(&expected),
        line(actual)
    ))
}

#[test]
fn every_machine_matches_its_golden_files() {
    let mut failures = Vec::new();
    for machine in machines() {
        let expected = machine.join("expected");
        let (json, code) = run(&["report", "--json"], &machine);
        assert_eq!(code, 0, "report --json on {}", machine.display());
        let (text, code) = run(&["report"], &machine);
        assert_eq!(code, 0, "report on {}", machine.display());
        let (prom, code) = run(&["report", "--format", "prometheus"], &machine);
        assert_eq!(
            code,
            0,
            "report --format prometheus on {}",
            machine.display()
        );
        let (check, check_code) = run(&["check"], &machine);
        failures.extend(compare(&expected.join("report.json"), &json));
        failures.extend(compare(&expected.join("report.txt"), &text));
        failures.extend(compare(&expected.join("report.prom"), &prom));
        failures.extend(compare(&expected.join("check.txt"), &check));
        failures.extend(compare(
            &expected.join("check.exit"),
            &format!("{check_code}\n"),
        ));
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the change is intended, regenerate with:\n  UPDATE_GOLDEN=1 cargo test -p diag_tool --test golden\nand review the diff.",
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
const HEALTHY: &[&str] = &[
    "x86_64-2socket",
    "aarch64-graviton",
    "s390x-z15",
    "ppc64le-power9",
    "riscv64-unmatched",
];

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
        assert!(
            check.contains(expected),
            "missing {expected:?} in:\n{check}"
        );
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
    assert_eq!(
        (check.as_str(), code),
        ("DIAG OK - 0 critical, 0 warning, 0 unknown\n", 0)
    );
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
    assert_eq!(
        diag_tool::run(["diag_tool", "check", "--help"], &mut out),
        0
    );
    let help = String::from_utf8(out).expect("UTF-8");
    assert!(
        help.contains("--mem-warn") && help.contains("[default: 10]"),
        "{help}"
    );
}

#[test]
fn usage_errors_exit_unknown() {
    let mut out = Vec::new();
    assert_eq!(diag_tool::run(["diag_tool", "frobnicate"], &mut out), 3);
    assert_eq!(
        diag_tool::run(["diag_tool", "check", "--mem-warn", "200"], &mut out),
        3
    );
    assert!(out.is_empty());
}
