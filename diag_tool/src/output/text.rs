//! `report` for people: one section per source, fields aligned, tables in columns, `-` for
//! what is absent, and the warnings last.

use std::fmt::Write as _;

use crate::report::Report;
use crate::root::Warning;
use crate::sources::block::BlockDevice;
use crate::sources::cpu::Cpu;
use crate::sources::dmi::Dmi;
use crate::sources::edac::MemoryController;
use crate::sources::fan::Fan;
use crate::sources::host::Host;
use crate::sources::md::MdArray;
use crate::sources::memory::Memory;
use crate::sources::net::Interface;
use crate::sources::nvme::NvmeController;
use crate::sources::pci::{PciDevice, format_speed};
use crate::sources::taint::Taint;
use crate::sources::thermal::Temperature;
use crate::sources::throttle::PackageThrottling;
use crate::units::{format_bytes, format_temp, percent};

const ABSENT: &str = "-";

/// The report as aligned sections and tables, for people.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    render_host(&mut out, &report.host);
    render_cpu(&mut out, &report.cpu);
    render_memory(&mut out, &report.memory);
    render_dmi(&mut out, report.dmi.as_ref());
    render_edac(&mut out, &report.edac);
    render_temperatures(&mut out, &report.temperatures);
    render_fans(&mut out, &report.fans);
    render_throttling(&mut out, &report.thermal_throttling);
    render_block(&mut out, &report.block_devices);
    render_md(&mut out, &report.md_arrays);
    render_nvme(&mut out, &report.nvme_controllers);
    render_net(&mut out, &report.network_interfaces);
    render_pci(&mut out, &report.pci_devices);
    render_pcie(&mut out, &report.pci_devices);
    render_taint(&mut out, report.kernel_taint.as_ref());
    render_warnings(&mut out, &report.warnings);
    out
}

fn section(out: &mut String, title: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(title);
    out.push('\n');
}

fn field(out: &mut String, label: &str, value: Option<String>) {
    let value = value.unwrap_or_else(|| ABSENT.to_string());
    let _ = writeln!(out, "  {label:<14} {value}");
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| ABSENT.to_string(), |v| v.to_string())
}

/// Left-aligned columns, two spaces apart, no trailing spaces.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("  none found\n");
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::from(" ");
        for (cell, w) in row.iter().zip(&widths) {
            let _ = write!(line, " {cell:<w$} ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn format_uptime(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60);
    if days > 0 { format!("{days}d {hours}h {minutes}m") } else { format!("{hours}h {minutes}m") }
}

fn render_host(out: &mut String, host: &Host) {
    section(out, "Host");
    field(out, "Hostname", host.hostname.clone());
    field(out, "Kernel", host.kernel.clone());
    field(out, "OS", host.os.clone());
    field(out, "Uptime", host.uptime_seconds.map(format_uptime));
    field(out, "Load average", host.load_average.map(|[a, b, c]| format!("{a:.2} {b:.2} {c:.2}")));
}

fn render_cpu(out: &mut String, cpu: &Cpu) {
    section(out, "CPU");
    field(out, "Architecture", cpu.architecture.clone());
    field(out, "Vendor", cpu.vendor.clone());
    if cpu.models.is_empty() {
        field(out, "Model", None);
    }
    for model in &cpu.models {
        let cpus = if model.cpus == 1 { "CPU" } else { "CPUs" };
        field(out, "Model", Some(format!("{} ({} {cpus})", model.name, model.cpus)));
    }
    field(out, "Logical CPUs", cpu.logical_cpus.map(|n| n.to_string()));
    field(out, "Sockets", cpu.sockets.map(|n| n.to_string()));
    let cores = cpu.cores.map(|c| match cpu.cores_per_socket {
        Some(per) if cpu.sockets.is_some_and(|s| s > 1) => format!("{c} ({per} per socket)"),
        _ => c.to_string(),
    });
    field(out, "Cores", cores);
    field(out, "Threads/core", cpu.threads_per_core.map(|n| n.to_string()));
    field(out, "NUMA nodes", cpu.numa_nodes.map(|n| n.to_string()));
    let features = (!cpu.features.is_empty()).then(|| cpu.features.join(" "));
    field(out, "Features", features);
}

fn render_memory(out: &mut String, m: &Memory) {
    section(out, "Memory");
    field(out, "Total", m.total_bytes.map(format_bytes));
    let available = m.available_bytes.map(|a| match m.total_bytes.and_then(|t| percent(a, t)) {
        Some(p) => format!("{} ({p}%)", format_bytes(a)),
        None => format_bytes(a),
    });
    field(out, "Available", available);
    let swap = match (m.swap_total_bytes, m.swap_free_bytes) {
        (Some(0), _) => Some("none".to_string()),
        (Some(total), Some(free)) => Some(format!(
            "{} used of {}",
            format_bytes(total.saturating_sub(free)),
            format_bytes(total)
        )),
        (Some(total), None) => Some(format_bytes(total)),
        (None, _) => None,
    };
    field(out, "Swap", swap);
    let huge = match (m.hugepages_total, m.hugepages_free, m.hugepage_size_bytes) {
        (Some(0), _, _) => Some("none".to_string()),
        (Some(total), free, size) => Some(format!(
            "{} free of {total}{}",
            opt(free),
            size.map(|s| format!(", {} each", format_bytes(s))).unwrap_or_default()
        )),
        _ => None,
    };
    field(out, "Huge pages", huge);
    if let Some(bad) = m.hardware_corrupted_bytes.filter(|&b| b > 0) {
        field(out, "Corrupted", Some(format_bytes(bad)));
    }
}

fn render_dmi(out: &mut String, dmi: Option<&Dmi>) {
    section(out, "DMI");
    let Some(d) = dmi else {
        out.push_str("  not available\n");
        return;
    };
    let join = |parts: &[&Option<String>]| {
        let parts: Vec<&str> = parts.iter().filter_map(|p| p.as_deref()).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    field(out, "System", join(&[&d.sys_vendor, &d.product_name, &d.product_version]));
    field(out, "Board", join(&[&d.board_vendor, &d.board_name]));
    let bios_extra = join(&[&d.bios_vendor, &d.bios_date]);
    let bios = match (&d.bios_version, bios_extra) {
        (Some(v), Some(extra)) => Some(format!("{v} ({extra})")),
        (Some(v), None) => Some(v.clone()),
        (None, extra) => extra,
    };
    field(out, "BIOS", bios);
}

fn render_edac(out: &mut String, controllers: &[MemoryController]) {
    section(out, "ECC memory controllers (EDAC)");
    let rows: Vec<Vec<String>> = controllers
        .iter()
        .map(|mc| {
            vec![
                mc.controller.clone(),
                opt(mc.name.clone()),
                opt(mc.size_bytes.map(format_bytes)),
                opt(mc.corrected),
                opt(mc.uncorrected),
            ]
        })
        .collect();
    table(out, &["CONTROLLER", "NAME", "SIZE", "CORRECTED", "UNCORRECTED"], &rows);
    let dimms: Vec<Vec<String>> = controllers
        .iter()
        .flat_map(|mc| mc.dimms.iter().map(move |d| (mc, d)))
        .map(|(mc, d)| {
            vec![
                format!("{}/{}", mc.controller, d.dimm),
                opt(d.label.clone()),
                opt(d.location.clone()),
                opt(d.size_bytes.map(format_bytes)),
                opt(d.corrected),
                opt(d.uncorrected),
            ]
        })
        .collect();
    if !dimms.is_empty() {
        out.push('\n');
        table(out, &["DIMM", "LABEL", "LOCATION", "SIZE", "CORRECTED", "UNCORRECTED"], &dimms);
    }
}

fn render_temperatures(out: &mut String, temps: &[Temperature]) {
    section(out, "Temperatures");
    let rows: Vec<Vec<String>> = temps
        .iter()
        .map(|t| {
            vec![
                t.name(),
                format!("{}/{}", t.device, t.sensor),
                opt(t.millicelsius.map(format_temp)),
                opt(t.max_millicelsius.map(format_temp)),
                opt(t.crit_millicelsius.map(format_temp)),
            ]
        })
        .collect();
    table(out, &["SENSOR", "SOURCE", "NOW", "MAX", "CRIT"], &rows);
}

/// Sections for facts many machines do not have (fans, RAID, NVMe) are left out when empty.
fn render_fans(out: &mut String, fans: &[Fan]) {
    if fans.is_empty() {
        return;
    }
    section(out, "Fans");
    let rows: Vec<Vec<String>> = fans
        .iter()
        .map(|f| {
            let state = match f.problem() {
                Some(p) => p,
                None => "ok".to_string(),
            };
            vec![
                f.name(),
                format!("{}/{}", f.device, f.sensor),
                opt(f.rpm.map(|r| format!("{r} RPM"))),
                opt(f.min_rpm.map(|r| format!("{r} RPM"))),
                state,
            ]
        })
        .collect();
    table(out, &["FAN", "SOURCE", "NOW", "MIN", "STATE"], &rows);
}

fn render_throttling(out: &mut String, packages: &[PackageThrottling]) {
    if packages.is_empty() {
        return;
    }
    section(out, "CPU thermal throttling (events since boot)");
    let rows: Vec<Vec<String>> = packages
        .iter()
        .map(|p| {
            vec![
                p.package.to_string(),
                opt(p.package_throttle_count),
                opt(p.core_throttle_count),
                p.cpus_throttled.to_string(),
            ]
        })
        .collect();
    table(out, &["PACKAGE", "PACKAGE EVENTS", "MOST CORE EVENTS", "CPUS THROTTLED"], &rows);
}

fn render_md(out: &mut String, arrays: &[MdArray]) {
    if arrays.is_empty() {
        return;
    }
    section(out, "MD RAID arrays");
    let rows: Vec<Vec<String>> = arrays
        .iter()
        .map(|a| {
            let members = match (a.raid_disks, a.active_disks) {
                (Some(n), Some(m)) => format!("{m}/{n}"),
                _ => ABSENT.to_string(),
            };
            let mut notes = Vec::new();
            if a.is_degraded() {
                notes.push("degraded".to_string());
            }
            if !a.failed_devices.is_empty() {
                notes.push(format!("failed: {}", a.failed_devices.join(",")));
            }
            match (&a.sync_action, a.sync_percent, &a.sync_waiting) {
                (Some(action), Some(p), _) => notes.push(format!("{action} {p:.1}%")),
                (Some(action), None, Some(w)) => notes.push(format!("{action} {w}")),
                _ => {}
            }
            vec![
                a.name.clone(),
                opt(a.level.clone()),
                opt(a.state.clone()),
                members,
                notes.join(", "),
            ]
        })
        .collect();
    table(out, &["ARRAY", "LEVEL", "STATE", "WORKING", "NOTES"], &rows);
}

fn render_nvme(out: &mut String, controllers: &[NvmeController]) {
    if controllers.is_empty() {
        return;
    }
    section(out, "NVMe controllers");
    let rows: Vec<Vec<String>> = controllers
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                opt(c.model.clone()),
                opt(c.serial.clone()),
                opt(c.firmware.clone()),
                opt(c.state.clone()),
                opt(c.address.clone()),
            ]
        })
        .collect();
    table(out, &["NAME", "MODEL", "SERIAL", "FIRMWARE", "STATE", "ADDRESS"], &rows);
}

fn render_pcie(out: &mut String, devices: &[PciDevice]) {
    let devices: Vec<&PciDevice> =
        devices.iter().filter(|d| d.link.is_some() || d.aer.is_some()).collect();
    if devices.is_empty() {
        return;
    }
    section(out, "PCIe links and AER errors");
    let link = |speed: Option<u32>, width: Option<u32>| match (speed, width) {
        (Some(s), Some(w)) => format!("x{w} {}", format_speed(s)),
        (None, Some(w)) => format!("x{w}"),
        (Some(s), None) => format_speed(s),
        (None, None) => ABSENT.to_string(),
    };
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            let (now, capable) = match &d.link {
                Some(l) => {
                    let (speed, width) = l.capable();
                    (link(l.current_speed_mts, l.current_width), link(speed, width))
                }
                None => (ABSENT.to_string(), ABSENT.to_string()),
            };
            let aer = d.aer.as_ref();
            vec![
                d.address.clone(),
                now,
                capable,
                opt(aer.and_then(|a| a.correctable)),
                opt(aer.and_then(|a| a.nonfatal)),
                opt(aer.and_then(|a| a.fatal)),
            ]
        })
        .collect();
    table(out, &["ADDRESS", "LINK", "CAPABLE", "CORRECTABLE", "NONFATAL", "FATAL"], &rows);
}

fn render_taint(out: &mut String, taint: Option<&Taint>) {
    let Some(taint) = taint else {
        return;
    };
    section(out, "Kernel taint");
    if taint.flags.is_empty() {
        out.push_str("  not tainted\n");
        return;
    }
    let _ = writeln!(out, "  {} ({})", taint.value, taint.letters());
    for flag in &taint.flags {
        let _ = writeln!(out, "  {}  {}", flag.letter, flag.reason);
    }
}

fn render_block(out: &mut String, devices: &[BlockDevice]) {
    section(out, "Block devices");
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            let kind = match (d.is_virtual, d.rotational) {
                (true, _) => "virtual",
                (false, Some(true)) => "HDD",
                (false, Some(false)) => "SSD",
                (false, None) => ABSENT,
            };
            let mut flags = Vec::new();
            if d.removable == Some(true) {
                flags.push("removable");
            }
            if d.read_only == Some(true) {
                flags.push("read-only");
            }
            vec![
                d.name.clone(),
                opt(d.size_bytes.map(format_bytes)),
                kind.to_string(),
                opt(d.model.clone()),
                flags.join(","),
            ]
        })
        .collect();
    table(out, &["NAME", "SIZE", "TYPE", "MODEL", "FLAGS"], &rows);
}

fn render_net(out: &mut String, interfaces: &[Interface]) {
    section(out, "Network interfaces");
    let rows: Vec<Vec<String>> = interfaces
        .iter()
        .map(|i| {
            let state = match (i.operstate.as_deref(), i.admin_up) {
                (Some(s), Some(false)) => format!("{s} (admin down)"),
                (s, _) => opt(s),
            };
            vec![
                i.name.clone(),
                if i.physical { "physical" } else { "virtual" }.to_string(),
                state,
                opt(i.speed_mbps.map(|s| format!("{s} Mb/s"))),
                opt(i.mtu),
                opt(i.mac.clone()),
                opt(i.driver.clone()),
            ]
        })
        .collect();
    table(out, &["NAME", "KIND", "STATE", "SPEED", "MTU", "MAC", "DRIVER"], &rows);
}

fn render_pci(out: &mut String, devices: &[PciDevice]) {
    section(out, "PCI devices");
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            let id = format!(
                "{}:{}",
                d.vendor_id.as_deref().unwrap_or("????"),
                d.device_id.as_deref().unwrap_or("????")
            );
            vec![
                d.address.clone(),
                id,
                opt(d.class_name.clone().or_else(|| d.class.clone())),
                opt(d.vendor.clone()),
                opt(d.driver.clone()),
            ]
        })
        .collect();
    table(out, &["ADDRESS", "ID", "CLASS", "VENDOR", "DRIVER"], &rows);
}

fn render_warnings(out: &mut String, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    section(out, "Warnings");
    for w in warnings {
        let _ = writeln!(out, "  {}: {}", w.path, w.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let mut out = String::new();
        table(
            &mut out,
            &["A", "BB"],
            &[vec!["long".into(), "x".into()], vec!["s".into(), "".into()]],
        );
        assert_eq!(out, "  A     BB\n  long  x\n  s\n");
    }

    #[test]
    fn an_empty_report_renders_every_section() {
        let report = crate::report::collect(std::path::Path::new("/nonexistent-root-for-tests"));
        let text = render(&report);
        for title in ["Host", "CPU", "Memory", "DMI", "Temperatures", "PCI devices"] {
            assert!(text.contains(&format!("{title}\n")), "{title}");
        }
        assert!(report.warnings.is_empty());
    }
}
