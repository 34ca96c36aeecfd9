//! PCI devices from `sys/bus/pci/devices`: ids, class, bound driver, PCIe AER error counters
//! and the trained link against what both of its ends can do.

use crate::root::{Root, quote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevice {
    /// Domain:bus:device.function, e.g. `0000:3b:00.0`.
    pub address: String,
    /// Four hex digits, lower case, as lspci prints them.
    pub vendor_id: Option<String>,
    /// Vendor name, for the common server vendors only.
    pub vendor: Option<String>,
    pub device_id: Option<String>,
    /// Six hex digits: class, subclass, programming interface.
    pub class: Option<String>,
    /// Name of the class/subclass, e.g. `Non-Volatile memory controller`.
    pub class_name: Option<String>,
    /// Bound driver, from the `driver` link.
    pub driver: Option<String>,
    /// AER error counters; absent without AER (or on kernels before 5.x).
    pub aer: Option<AerCounters>,
    /// The PCIe link; absent for devices that are not PCIe.
    pub link: Option<PcieLink>,
}
serialize_struct!(PciDevice {
    address,
    vendor_id,
    vendor,
    device_id,
    class,
    class_name,
    driver,
    aer,
    link
});

/// Errors since boot from `aer_dev_correctable`, `aer_dev_nonfatal` and `aer_dev_fatal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AerCounters {
    pub correctable: Option<u64>,
    pub nonfatal: Option<u64>,
    pub fatal: Option<u64>,
    /// Correctable error types with a non-zero count, e.g. `BadTLP`, as the kernel names them.
    pub correctable_kinds: Vec<String>,
    /// Uncorrectable (non-fatal or fatal) error types with a non-zero count, e.g. `CmpltTO`.
    pub uncorrectable_kinds: Vec<String>,
}
serialize_struct!(AerCounters {
    correctable,
    nonfatal,
    fatal,
    correctable_kinds,
    uncorrectable_kinds
});

/// Link speeds in MT/s (`8.0 GT/s` is 8000) and widths in lanes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PcieLink {
    pub current_speed_mts: Option<u32>,
    pub current_width: Option<u32>,
    pub max_speed_mts: Option<u32>,
    pub max_width: Option<u32>,
    /// What the port above this device can do, when it says (the device trains to the lower).
    pub port_max_speed_mts: Option<u32>,
    pub port_max_width: Option<u32>,
}
serialize_struct!(PcieLink {
    current_speed_mts,
    current_width,
    max_speed_mts,
    max_width,
    port_max_speed_mts,
    port_max_width
});

impl PcieLink {
    /// The best link both ends support: the lower of the device's and its port's maximum.
    pub fn capable(&self) -> (Option<u32>, Option<u32>) {
        let lower = |a: Option<u32>, b: Option<u32>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (
            lower(self.max_speed_mts, self.port_max_speed_mts),
            lower(self.max_width, self.port_max_width),
        )
    }
}

/// One AER statistics file: `<ErrorType> <count>` lines ending with `TOTAL_ERR_COR`,
/// `TOTAL_ERR_NONFATAL` or `TOTAL_ERR_FATAL`
/// (`Documentation/ABI/testing/sysfs-bus-pci-devices-aer_stats`, `drivers/pci/pcie/aer.c`).
/// Returns the total and the error types with non-zero counts.
pub fn parse_aer_stats(text: &str) -> Result<(u64, Vec<String>), String> {
    let mut total = None;
    let mut kinds = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(count), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("expected `<error> <count>`, found {}", quote(line)));
        };
        let count: u64 = count
            .parse()
            .map_err(|_| format!("{name}: expected a count, found {}", quote(count)))?;
        if name.starts_with("TOTAL_ERR_") {
            total = Some(count);
        } else if count > 0 {
            kinds.push(name.to_string());
        }
    }
    total.map(|t| (t, kinds)).ok_or_else(|| "no TOTAL_ERR_ line (truncated?)".to_string())
}

/// `current_link_speed`/`max_link_speed`: `8.0 GT/s PCIe` (5.x kernels and later), `8 GT/s`
/// or `2.5 GT/s` on older ones, `Unknown` when there is no link (`drivers/pci/pci-sysfs.c`,
/// `pci_speed_string`). In MT/s; `None` for unknown.
pub fn parse_link_speed(text: &str) -> Result<Option<u32>, String> {
    let value = text.trim();
    if value.starts_with("Unknown") {
        return Ok(None);
    }
    let bad = || format!("expected a speed such as `8.0 GT/s PCIe`, found {}", quote(value));
    let number = value.strip_suffix("PCIe").unwrap_or(value).trim();
    let number = number.strip_suffix("GT/s").ok_or_else(bad)?.trim();
    let (whole, tenths) = match number.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return Err(bad()),
        None => (number, "0"),
    };
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let tenths: u32 = tenths.parse().map_err(|_| bad())?;
    whole.checked_mul(1000).and_then(|w| w.checked_add(tenths * 100)).map(Some).ok_or_else(bad)
}

/// `current_link_width`/`max_link_width`: decimal lanes; 0 means no link.
pub fn parse_link_width(text: &str) -> Result<Option<u32>, String> {
    let width: u32 = crate::root::parse_number(text)?;
    Ok((width > 0).then_some(width))
}

/// `8.0 GT/s` from MT/s, as the kernel prints it.
pub fn format_speed(mts: u32) -> String {
    format!("{}.{} GT/s", mts / 1000, mts % 1000 / 100)
}

/// A sysfs id file such as `0x8086`; `digits` is 4 for vendor/device, 6 for class.
pub fn parse_id(text: &str, digits: usize) -> Result<String, String> {
    let value = text.trim();
    let bad = || format!("expected a {digits}-digit hex id, found {}", quote(value));
    let hex = value.strip_prefix("0x").ok_or_else(bad)?;
    if hex.len() != digits || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(hex.to_ascii_lowercase())
}

const VENDORS: &[(&str, &str)] = &[
    ("1000", "Broadcom / LSI"),
    ("1002", "AMD/ATI"),
    ("1014", "IBM"),
    ("1022", "AMD"),
    ("102b", "Matrox"),
    ("1077", "QLogic"),
    ("10de", "NVIDIA"),
    ("10ec", "Realtek"),
    ("1137", "Cisco"),
    ("144d", "Samsung"),
    ("14e4", "Broadcom"),
    ("15b3", "Mellanox"),
    ("15b7", "Western Digital"),
    ("1924", "Solarflare"),
    ("19e5", "Huawei"),
    ("1af4", "Red Hat (virtio)"),
    ("1b36", "Red Hat (QEMU)"),
    ("1c5c", "SK hynix"),
    ("1d0f", "Amazon"),
    ("1dd8", "AMD Pensando"),
    ("1e0f", "KIOXIA"),
    ("8086", "Intel"),
    ("9005", "Microchip / Adaptec"),
    ("f15e", "SiFive"),
];

pub fn vendor_name(vendor_id: &str) -> Option<&'static str> {
    VENDORS.iter().find(|(id, _)| *id == vendor_id).map(|(_, n)| *n)
}

/// Class (first four hex digits) to name; the base class alone as a fallback.
const CLASSES: &[(&str, &str)] = &[
    ("0100", "SCSI storage controller"),
    ("0101", "IDE interface"),
    ("0104", "RAID bus controller"),
    ("0106", "SATA controller"),
    ("0107", "Serial Attached SCSI controller"),
    ("0108", "Non-Volatile memory controller"),
    ("01", "Mass storage controller"),
    ("0200", "Ethernet controller"),
    ("0207", "Infiniband controller"),
    ("02", "Network controller"),
    ("0300", "VGA compatible controller"),
    ("0302", "3D controller"),
    ("03", "Display controller"),
    ("04", "Multimedia controller"),
    ("05", "Memory controller"),
    ("0600", "Host bridge"),
    ("0601", "ISA bridge"),
    ("0604", "PCI bridge"),
    ("06", "Bridge"),
    ("07", "Communication controller"),
    ("0800", "PIC"),
    ("0806", "IOMMU"),
    ("08", "System peripheral"),
    ("0b", "Processor"),
    ("0c03", "USB controller"),
    ("0c05", "SMBus"),
    ("0c", "Serial bus controller"),
    ("0d", "Wireless controller"),
    ("10", "Encryption controller"),
    ("11", "Signal processing controller"),
    ("12", "Processing accelerators"),
    ("13", "Non-Essential Instrumentation"),
    ("ff", "Unassigned class"),
];

pub fn class_name(class: &str) -> Option<&'static str> {
    let sub = class.get(..4)?;
    let base = class.get(..2)?;
    CLASSES
        .iter()
        .find(|(c, _)| *c == sub)
        .or_else(|| CLASSES.iter().find(|(c, _)| *c == base))
        .map(|(_, n)| *n)
}

const PCI_DIR: &str = "sys/bus/pci/devices";

fn read_aer(root: &mut Root, dir: &str) -> Option<AerCounters> {
    let mut aer = AerCounters::default();
    let mut any = false;
    for file in ["aer_dev_correctable", "aer_dev_nonfatal", "aer_dev_fatal"] {
        let path = format!("{dir}/{file}");
        any |= root.exists(&path);
        let Some((total, seen)) = root.parse_with(&path, parse_aer_stats) else {
            continue;
        };
        let kinds = match file {
            "aer_dev_correctable" => {
                aer.correctable = Some(total);
                &mut aer.correctable_kinds
            }
            "aer_dev_nonfatal" => {
                aer.nonfatal = Some(total);
                &mut aer.uncorrectable_kinds
            }
            _ => {
                aer.fatal = Some(total);
                &mut aer.uncorrectable_kinds
            }
        };
        for kind in seen {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    any.then_some(aer)
}

fn read_link(root: &mut Root, dir: &str) -> Option<PcieLink> {
    if !root.exists(&format!("{dir}/max_link_speed")) {
        return None;
    }
    let speed = |root: &mut Root, d: &str, f: &str| {
        root.parse_with(&format!("{d}/{f}"), parse_link_speed).flatten()
    };
    let width = |root: &mut Root, d: &str, f: &str| {
        root.parse_with(&format!("{d}/{f}"), parse_link_width).flatten()
    };
    // The sysfs device path nests a device below the port it hangs off:
    // devices/pci0000:5d/0000:5d:00.0/0000:5e:00.0.
    let port = root
        .link_target(dir)
        .and_then(|t| {
            let mut parts = t.rsplit('/');
            parts.next();
            parts.next().map(str::to_string)
        })
        .filter(|p| p.len() == 12 && p.as_bytes()[4] == b':')
        .map(|p| format!("{PCI_DIR}/{p}"))
        .filter(|p| root.exists(&format!("{p}/max_link_speed")));
    let (port_max_speed_mts, port_max_width) = match &port {
        Some(p) => (speed(root, p, "max_link_speed"), width(root, p, "max_link_width")),
        None => (None, None),
    };
    Some(PcieLink {
        current_speed_mts: speed(root, dir, "current_link_speed"),
        current_width: width(root, dir, "current_link_width"),
        max_speed_mts: speed(root, dir, "max_link_speed"),
        max_width: width(root, dir, "max_link_width"),
        port_max_speed_mts,
        port_max_width,
    })
}

pub fn read(root: &mut Root) -> Vec<PciDevice> {
    let mut addresses = root.list(PCI_DIR);
    // Addresses are fixed-width hex, so plain string order is bus order.
    addresses.sort();
    let mut devices = Vec::new();
    for address in addresses {
        let dir = format!("{PCI_DIR}/{address}");
        let vendor_id = root.parse_with(&format!("{dir}/vendor"), |t| parse_id(t, 4));
        let class = root.parse_with(&format!("{dir}/class"), |t| parse_id(t, 6));
        devices.push(PciDevice {
            vendor: vendor_id.as_deref().and_then(vendor_name).map(str::to_string),
            vendor_id,
            device_id: root.parse_with(&format!("{dir}/device"), |t| parse_id(t, 4)),
            class_name: class.as_deref().and_then(class_name).map(str::to_string),
            class,
            driver: root.link_name(&format!("{dir}/driver")),
            aer: read_aer(root, &dir),
            link: read_link(root, &dir),
            address,
        });
    }
    devices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lose_the_prefix_and_keep_their_width() {
        assert_eq!(parse_id("0x8086\n", 4).as_deref(), Ok("8086"));
        assert_eq!(parse_id("0x010802\n", 6).as_deref(), Ok("010802"));
        assert_eq!(parse_id("0x15B3", 4).as_deref(), Ok("15b3"));
        assert!(parse_id("8086", 4).is_err());
        assert!(parse_id("0x80", 4).is_err());
        assert!(parse_id("0xgggg", 4).is_err());
    }

    #[test]
    fn classes_fall_back_from_subclass_to_base_class() {
        assert_eq!(class_name("010802"), Some("Non-Volatile memory controller"));
        assert_eq!(class_name("020000"), Some("Ethernet controller"));
        assert_eq!(class_name("028000"), Some("Network controller"));
        assert_eq!(class_name("fe0000"), None);
    }

    #[test]
    fn aer_stats_give_the_total_and_the_error_types_seen() {
        let text = "RxErr 0\nBadTLP 41\nBadDLLP 16\nRollover 0\nTimeout 0\nNonFatalErr 0\nCorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR 57\n";
        assert_eq!(
            parse_aer_stats(text),
            Ok((57, vec!["BadTLP".to_string(), "BadDLLP".to_string()]))
        );
        assert!(parse_aer_stats("RxErr 0\nBadTLP 4").is_err());
        assert!(parse_aer_stats("TOTAL_ERR_FATAL lots\n").is_err());
        assert!(parse_aer_stats("").is_err());
    }

    #[test]
    fn link_speeds_of_old_and_new_kernels_are_read_as_mts() {
        assert_eq!(parse_link_speed("16.0 GT/s PCIe\n"), Ok(Some(16000)));
        assert_eq!(parse_link_speed("2.5 GT/s PCIe\n"), Ok(Some(2500)));
        assert_eq!(parse_link_speed("8 GT/s\n"), Ok(Some(8000)));
        assert_eq!(parse_link_speed("Unknown\n"), Ok(None));
        assert!(parse_link_speed("fast").is_err());
        assert_eq!(format_speed(2500), "2.5 GT/s");
        assert_eq!(parse_link_width("0\n"), Ok(None));
        assert_eq!(parse_link_width("16\n"), Ok(Some(16)));
    }

    #[test]
    fn a_link_is_capable_of_the_lower_of_its_two_ends() {
        let link = PcieLink {
            max_speed_mts: Some(16000),
            max_width: Some(4),
            port_max_speed_mts: Some(8000),
            port_max_width: Some(16),
            ..PcieLink::default()
        };
        assert_eq!(link.capable(), (Some(8000), Some(4)));
    }

    #[test]
    fn common_vendors_are_named() {
        assert_eq!(vendor_name("15b3"), Some("Mellanox"));
        assert_eq!(vendor_name("1d0f"), Some("Amazon"));
        assert_eq!(vendor_name("abcd"), None);
    }
}
