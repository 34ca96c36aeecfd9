//! Disks from `sys/block` (and `sys/class/block` on kernels that list some disks only there).

use crate::root::{Root, parse_flag, parse_number, quote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDevice {
    pub name: String,
    /// `size` (always in 512-byte sectors) converted to bytes.
    pub size_bytes: Option<u64>,
    /// `queue/rotational`: true for spinning disks.
    pub rotational: Option<bool>,
    pub removable: Option<bool>,
    pub read_only: Option<bool>,
    /// `device/model`, trimmed.
    pub model: Option<String>,
    /// Backed by no hardware device (md, dm, zram...), from the sysfs path.
    pub is_virtual: bool,
}
serialize_struct!(BlockDevice { name, size_bytes, rotational, removable, read_only, model, is_virtual => "virtual" });

/// Bytes from the `size` attribute, which counts 512-byte sectors whatever the logical block size.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let sectors: u64 = parse_number(text)?;
    sectors.checked_mul(512).ok_or_else(|| format!("size out of range: {}", quote(text.trim())))
}

/// Loop and RAM disks are scratch devices, not hardware; leave them out.
pub fn is_scratch_device(name: &str) -> bool {
    name.starts_with("loop") || name.starts_with("ram")
}

pub fn read(root: &mut Root) -> Vec<BlockDevice> {
    let mut names: Vec<(String, String)> =
        root.list("sys/block").into_iter().map(|n| (n.clone(), format!("sys/block/{n}"))).collect();
    for n in root.list("sys/class/block") {
        let dir = format!("sys/class/block/{n}");
        if !names.iter().any(|(known, _)| *known == n) && !root.exists(&format!("{dir}/partition"))
        {
            names.push((n, dir));
        }
    }
    names.sort_by(|a, b| crate::root::natural_cmp(&a.0, &b.0));

    let mut devices = Vec::new();
    for (name, dir) in names {
        if is_scratch_device(&name) {
            continue;
        }
        let size_bytes = root.parse_with(&format!("{dir}/size"), parse_size);
        if size_bytes == Some(0) {
            continue;
        }
        let is_virtual =
            root.link_target(&dir).is_some_and(|target| target.contains("devices/virtual/"));
        devices.push(BlockDevice {
            size_bytes,
            rotational: root.parse_with(&format!("{dir}/queue/rotational"), parse_flag),
            removable: root.parse_with(&format!("{dir}/removable"), parse_flag),
            read_only: root.parse_with(&format!("{dir}/ro"), parse_flag),
            model: root.text(&format!("{dir}/device/model")),
            is_virtual,
            name,
        });
    }
    devices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_counted_in_512_byte_sectors() {
        assert_eq!(parse_size("1875385008\n"), Ok(1875385008 * 512));
        assert!(parse_size("18446744073709551615").is_err());
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn flags_accept_only_zero_and_one() {
        assert_eq!(parse_flag("1\n"), Ok(true));
        assert_eq!(parse_flag("0"), Ok(false));
        assert!(parse_flag("2").is_err());
    }

    #[test]
    fn loop_and_ram_disks_are_skipped() {
        assert!(is_scratch_device("loop0"));
        assert!(is_scratch_device("ram15"));
        assert!(!is_scratch_device("nvme0n1"));
        assert!(!is_scratch_device("sda"));
    }
}
