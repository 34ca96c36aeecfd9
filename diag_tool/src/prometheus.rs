//! The report in the Prometheus text exposition format, named after Prometheus' naming rules
//! and node_exporter's conventions (base units, `_total` counters, `_info` gauges for strings).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::check::{Finding, Status, overall};
use crate::report::Report;

/// One metric family: HELP and TYPE once, then its samples.
struct Family {
    name: &'static str,
    help: &'static str,
    counter: bool,
    samples: Vec<(Vec<(&'static str, String)>, String)>,
}

#[derive(Default)]
struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    fn family(&mut self, name: &'static str, counter: bool, help: &'static str) -> &mut Family {
        if let Some(i) = self.families.iter().position(|f| f.name == name) {
            return &mut self.families[i];
        }
        self.families.push(Family {
            name,
            help,
            counter,
            samples: Vec::new(),
        });
        self.families.last_mut().expect("just pushed")
    }

    fn gauge(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Labels,
        value: impl ToString,
    ) {
        self.family(name, false, help)
            .samples
            .push((labels, value.to_string()));
    }

    fn counter(&mut self, name: &'static str, help: &'static str, labels: Labels, value: u64) {
        self.family(name, true, help)
            .samples
            .push((labels, value.to_string()));
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for f in self.families.iter().filter(|f| !f.samples.is_empty()) {
            let kind = if f.counter { "counter" } else { "gauge" };
            let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
            let _ = writeln!(out, "# TYPE {} {kind}", f.name);
            for (labels, value) in &f.samples {
                out.push_str(f.name);
                if !labels.is_empty() {
                    let labels: Vec<String> = labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                        .collect();
                    let _ = write!(out, "{{{}}}", labels.join(","));
                }
                let _ = writeln!(out, " {value}");
            }
        }
        out
    }
}

type Labels = Vec<(&'static str, String)>;

/// Label values escape backslash, double quote and line feed.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Thousandths as a decimal without trailing zeros: 45500 is `45.5`.
fn milli(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let frac = format!("{:03}", abs % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{}", abs / 1000)
    } else {
        format!("{sign}{}.{frac}", abs / 1000)
    }
}

/// Labels whose value is known; absent facts make no empty labels.
fn labels(pairs: &[(&'static str, Option<&str>)]) -> Labels {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v.to_string())))
        .collect()
}

fn flag(value: bool) -> u8 {
    u8::from(value)
}

/// Every metric of the report, plus the status `check` gives with its default thresholds.
pub fn render(report: &Report, findings: &[Finding]) -> String {
    let mut e = Exposition::default();
    e.gauge(
        "diag_check_status",
        "Status of diag_tool check with default thresholds: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        vec![],
        overall(findings) as u8,
    );
    for (status, name) in [
        (Status::Critical, "critical"),
        (Status::Warning, "warning"),
        (Status::Unknown, "unknown"),
    ] {
        let n = findings.iter().filter(|f| f.status == status).count();
        e.gauge(
            "diag_check_findings",
            "Findings of diag_tool check by status.",
            vec![("status", name.to_string())],
            n,
        );
    }
    e.gauge(
        "diag_report_warnings",
        "Files that exist but could not be read or parsed.",
        vec![],
        report.warnings.len(),
    );

    let h = &report.host;
    let c = &report.cpu;
    e.gauge(
        "diag_host_info",
        "Host identity; the value is always 1.",
        labels(&[
            ("hostname", h.hostname.as_deref()),
            ("kernel", h.kernel.as_deref()),
            ("os", h.os.as_deref()),
            ("architecture", c.architecture.as_deref()),
        ]),
        1,
    );
    for model in &c.models {
        e.gauge(
            "diag_cpu_info",
            "CPU model; the value is always 1.",
            labels(&[
                ("architecture", c.architecture.as_deref()),
                ("vendor", c.vendor.as_deref()),
                ("model", Some(&model.name)),
            ]),
            1,
        );
    }
    for model in &c.models {
        e.gauge(
            "diag_cpu_model_logical_cpus",
            "Logical CPUs of one CPU model (hybrid chips have several).",
            vec![("model", model.name.clone())],
            model.cpus,
        );
    }
    for (name, help, value) in [
        (
            "diag_cpu_logical_cpus",
            "Online logical CPUs.",
            c.logical_cpus,
        ),
        (
            "diag_cpu_sockets",
            "CPU sockets (distinct physical packages).",
            c.sockets,
        ),
        (
            "diag_cpu_cores",
            "Physical CPU cores over all sockets.",
            c.cores,
        ),
        ("diag_cpu_numa_nodes", "NUMA nodes.", c.numa_nodes),
    ] {
        if let Some(v) = value {
            e.gauge(name, help, vec![], v);
        }
    }

    let m = &report.memory;
    for (name, help, value) in [
        (
            "diag_memory_total_bytes",
            "MemTotal of /proc/meminfo.",
            m.total_bytes,
        ),
        (
            "diag_memory_available_bytes",
            "MemAvailable of /proc/meminfo.",
            m.available_bytes,
        ),
        (
            "diag_memory_swap_total_bytes",
            "SwapTotal of /proc/meminfo.",
            m.swap_total_bytes,
        ),
        (
            "diag_memory_swap_free_bytes",
            "SwapFree of /proc/meminfo.",
            m.swap_free_bytes,
        ),
        (
            "diag_memory_hardware_corrupted_bytes",
            "Memory taken out of service after hardware errors (HardwareCorrupted).",
            m.hardware_corrupted_bytes,
        ),
    ] {
        if let Some(v) = value {
            e.gauge(name, help, vec![], v);
        }
    }

    if let Some(d) = &report.dmi {
        e.gauge(
            "diag_dmi_info",
            "DMI (SMBIOS) identity of the machine; the value is always 1.",
            labels(&[
                ("sys_vendor", d.sys_vendor.as_deref()),
                ("product_name", d.product_name.as_deref()),
                ("product_version", d.product_version.as_deref()),
                ("bios_vendor", d.bios_vendor.as_deref()),
                ("bios_version", d.bios_version.as_deref()),
                ("bios_date", d.bios_date.as_deref()),
                ("board_vendor", d.board_vendor.as_deref()),
                ("board_name", d.board_name.as_deref()),
            ]),
            1,
        );
    }

    for mc in &report.edac {
        let l = || {
            labels(&[
                ("controller", Some(&mc.controller)),
                ("name", mc.name.as_deref()),
            ])
        };
        if let Some(n) = mc.corrected {
            e.counter(
                "diag_edac_correctable_errors_total",
                "Corrected ECC errors of a memory controller since boot.",
                l(),
                n,
            );
        }
        if let Some(n) = mc.uncorrected {
            e.counter(
                "diag_edac_uncorrectable_errors_total",
                "Uncorrected ECC errors of a memory controller since boot.",
                l(),
                n,
            );
        }
        for d in &mc.dimms {
            let l = || {
                labels(&[
                    ("controller", Some(&mc.controller)),
                    ("dimm", Some(&d.dimm)),
                    ("label", d.label.as_deref()),
                    ("location", d.location.as_deref()),
                ])
            };
            if let Some(n) = d.corrected {
                e.counter(
                    "diag_edac_dimm_correctable_errors_total",
                    "Corrected ECC errors of one DIMM since boot.",
                    l(),
                    n,
                );
            }
            if let Some(n) = d.uncorrected {
                e.counter(
                    "diag_edac_dimm_uncorrectable_errors_total",
                    "Uncorrected ECC errors of one DIMM since boot.",
                    l(),
                    n,
                );
            }
        }
    }

    for t in &report.temperatures {
        let l = || {
            labels(&[
                ("device", Some(&t.device)),
                ("sensor", Some(&t.sensor)),
                ("chip", t.chip.as_deref()),
                ("label", t.label.as_deref()),
            ])
        };
        for (name, help, value) in [
            (
                "diag_temperature_celsius",
                "Temperature of a hwmon sensor or thermal zone.",
                t.millicelsius,
            ),
            (
                "diag_temperature_max_celsius",
                "Upper limit of a sensor (hwmon max, or the lowest hot trip point).",
                t.max_millicelsius,
            ),
            (
                "diag_temperature_crit_celsius",
                "Critical point of a sensor (hwmon crit, or the lowest critical trip point).",
                t.crit_millicelsius,
            ),
        ] {
            if let Some(v) = value {
                e.gauge(name, help, l(), milli(v));
            }
        }
    }

    for f in &report.fans {
        let l = || {
            labels(&[
                ("device", Some(&f.device)),
                ("sensor", Some(&f.sensor)),
                ("chip", f.chip.as_deref()),
                ("label", f.label.as_deref()),
            ])
        };
        if let Some(v) = f.rpm {
            e.gauge(
                "diag_fan_rpm",
                "Fan speed in revolutions per minute.",
                l(),
                v,
            );
        }
        if let Some(v) = f.min_rpm {
            e.gauge(
                "diag_fan_min_rpm",
                "Fan speed below which the sensor chip alarms.",
                l(),
                v,
            );
        }
        e.gauge(
            "diag_fan_problem",
            "1 when the fan is stopped, too slow, alarmed or faulty.",
            l(),
            flag(f.problem().is_some()),
        );
    }

    for p in &report.thermal_throttling {
        let l = || vec![("package", p.package.to_string())];
        if let Some(n) = p.package_throttle_count {
            e.counter(
                "diag_cpu_package_throttles_total",
                "Times a CPU package was thermally throttled since boot.",
                l(),
                n,
            );
        }
        if let Some(n) = p.core_throttle_count {
            e.gauge(
                "diag_cpu_core_throttles_max",
                "Most thermal throttling events since boot on one CPU of the package.",
                l(),
                n,
            );
        }
        e.gauge(
            "diag_cpu_throttled_cpus",
            "CPUs of the package that were thermally throttled since boot.",
            l(),
            p.cpus_throttled,
        );
    }

    for b in &report.block_devices {
        let l = || labels(&[("device", Some(&b.name)), ("model", b.model.as_deref())]);
        if let Some(v) = b.size_bytes {
            e.gauge("diag_block_device_size_bytes", "Size of a disk.", l(), v);
        }
        if let Some(v) = b.read_only {
            e.gauge(
                "diag_block_device_read_only",
                "1 when the disk is read-only.",
                l(),
                flag(v),
            );
        }
    }

    for a in &report.md_arrays {
        let l = || labels(&[("array", Some(&a.name)), ("level", a.level.as_deref())]);
        if let Some(v) = a.raid_disks {
            e.gauge(
                "diag_md_raid_disks",
                "Member slots of an MD RAID array.",
                l(),
                v,
            );
        }
        if let Some(v) = a.active_disks {
            e.gauge(
                "diag_md_active_disks",
                "Working members of an MD RAID array.",
                l(),
                v,
            );
        }
        if let Some(v) = a.degraded_disks {
            e.gauge(
                "diag_md_degraded_disks",
                "Missing members of an MD RAID array.",
                l(),
                v,
            );
        }
        e.gauge(
            "diag_md_failed_disks",
            "Members of an MD RAID array marked failed.",
            l(),
            a.failed_devices.len(),
        );
        if let (Some(action), Some(pct)) = (&a.sync_action, a.sync_percent) {
            let mut l = l();
            l.push(("action", action.clone()));
            e.gauge(
                "diag_md_sync_completed_ratio",
                "Progress of a running resync, recovery, reshape, check or repair, 0 to 1.",
                l,
                format!("{:.4}", pct / 100.0),
            );
        }
    }

    for n in &report.nvme_controllers {
        e.gauge(
            "diag_nvme_info",
            "NVMe controller identity and state; the value is always 1.",
            labels(&[
                ("controller", Some(&n.name)),
                ("model", n.model.as_deref()),
                ("serial", n.serial.as_deref()),
                ("firmware", n.firmware.as_deref()),
                ("state", n.state.as_deref()),
                ("transport", n.transport.as_deref()),
                ("address", n.address.as_deref()),
            ]),
            1,
        );
        e.gauge(
            "diag_nvme_live",
            "1 when the NVMe controller state is live.",
            vec![("controller", n.name.clone())],
            flag(n.is_live()),
        );
    }

    for i in &report.network_interfaces {
        let l = || vec![("interface", i.name.clone())];
        if let Some(state) = &i.operstate {
            e.gauge(
                "diag_network_up",
                "1 when the interface's operstate is up.",
                l(),
                flag(state == "up"),
            );
        }
        if let Some(v) = i.speed_mbps {
            e.gauge(
                "diag_network_speed_bytes",
                "Negotiated link speed in bytes per second.",
                l(),
                u64::from(v) * 125_000,
            );
        }
        if let Some(v) = i.mtu {
            e.gauge("diag_network_mtu_bytes", "MTU of the interface.", l(), v);
        }
    }

    for d in &report.pci_devices {
        if let Some(aer) = &d.aer {
            for (severity, value) in [
                ("correctable", aer.correctable),
                ("nonfatal", aer.nonfatal),
                ("fatal", aer.fatal),
            ] {
                if let Some(v) = value {
                    e.counter(
                        "diag_pcie_aer_errors_total",
                        "PCIe AER errors a device logged since boot, by severity.",
                        vec![
                            ("device", d.address.clone()),
                            ("severity", severity.to_string()),
                        ],
                        v,
                    );
                }
            }
        }
        if let Some(link) = &d.link {
            let l = || vec![("device", d.address.clone())];
            let (speed, width) = link.capable();
            for (name, help, value) in [
                (
                    "diag_pcie_link_current_width",
                    "Lanes the PCIe link trained to.",
                    link.current_width.map(u64::from),
                ),
                (
                    "diag_pcie_link_capable_width",
                    "Lanes both ends of the PCIe link support.",
                    width.map(u64::from),
                ),
                (
                    "diag_pcie_link_current_transfers_per_second",
                    "Speed the PCIe link trained to.",
                    link.current_speed_mts.map(|s| u64::from(s) * 1_000_000),
                ),
                (
                    "diag_pcie_link_capable_transfers_per_second",
                    "Speed both ends of the PCIe link support.",
                    speed.map(|s| u64::from(s) * 1_000_000),
                ),
            ] {
                if let Some(v) = value {
                    e.gauge(name, help, l(), v);
                }
            }
        }
    }

    if let Some(t) = &report.kernel_taint {
        e.gauge(
            "diag_kernel_tainted",
            "The kernel's taint bit mask (proc/sys/kernel/tainted); 0 is untainted.",
            vec![],
            t.value,
        );
        for f in &t.flags {
            e.gauge(
                "diag_kernel_taint_info",
                "One set kernel taint flag; the value is always 1.",
                vec![
                    ("flag", f.letter.clone()),
                    ("bit", f.bit.to_string()),
                    ("reason", f.reason.clone()),
                ],
                1,
            );
        }
    }
    e.render()
}

/// The file name node_exporter's textfile collector reads in `DIR`.
pub const TEXTFILE: &str = "diag_tool.prom";

/// Writes `text` to `dir/diag_tool.prom` through a temporary file in the same directory and a
/// rename, so the collector never reads half a file; a failed write leaves no `diag_tool.prom`
/// behind that was not there before, and no temporary file.
pub fn write_textfile(dir: &Path, text: &str) -> io::Result<()> {
    // Not ending in `.prom`: the collector ignores it while it is being written.
    let tmp = dir.join(format!(".{TEXTFILE}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        io::Write::write_all(&mut file, text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, dir.join(TEXTFILE))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_quotes_backslashes_and_newlines() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn thousandths_print_without_trailing_zeros() {
        assert_eq!(milli(45000), "45");
        assert_eq!(milli(84850), "84.85");
        assert_eq!(milli(-5500), "-5.5");
    }

    #[test]
    fn families_without_samples_are_left_out() {
        let mut e = Exposition::default();
        e.family("diag_empty", false, "Nothing.");
        e.gauge("diag_one", "One.", vec![("a", "x".into())], 1);
        assert_eq!(
            e.render(),
            "# HELP diag_one One.\n# TYPE diag_one gauge\ndiag_one{a=\"x\"} 1\n"
        );
    }
}
