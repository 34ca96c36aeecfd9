//! PCI devices from `sys/bus/pci/devices`: ids, class and bound driver.

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
}
serialize_struct!(PciDevice {
    address,
    vendor_id,
    vendor,
    device_id,
    class,
    class_name,
    driver
});

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
    ("1022", "AMD"),
    ("102b", "Matrox"),
    ("1077", "QLogic"),
    ("10de", "NVIDIA"),
    ("10ec", "Realtek"),
    ("1137", "Cisco"),
    ("144d", "Samsung"),
    ("14e4", "Broadcom"),
    ("15b3", "Mellanox"),
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
];

pub fn vendor_name(vendor_id: &str) -> Option<&'static str> {
    VENDORS
        .iter()
        .find(|(id, _)| *id == vendor_id)
        .map(|(_, n)| *n)
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

pub fn read(root: &mut Root) -> Vec<PciDevice> {
    const PCI_DIR: &str = "sys/bus/pci/devices";
    let mut addresses = root.list(PCI_DIR);
    // Addresses are fixed-width hex, so plain string order is bus order.
    addresses.sort();
    let mut devices = Vec::new();
    for address in addresses {
        let dir = format!("{PCI_DIR}/{address}");
        let vendor_id = root.parse_with(&format!("{dir}/vendor"), |t| parse_id(t, 4));
        let class = root.parse_with(&format!("{dir}/class"), |t| parse_id(t, 6));
        devices.push(PciDevice {
            vendor: vendor_id
                .as_deref()
                .and_then(vendor_name)
                .map(str::to_string),
            vendor_id,
            device_id: root.parse_with(&format!("{dir}/device"), |t| parse_id(t, 4)),
            class_name: class.as_deref().and_then(class_name).map(str::to_string),
            class,
            driver: root.link_name(&format!("{dir}/driver")),
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
    fn common_vendors_are_named() {
        assert_eq!(vendor_name("15b3"), Some("Mellanox"));
        assert_eq!(vendor_name("1d0f"), Some("Amazon"));
        assert_eq!(vendor_name("abcd"), None);
    }
}
