//! Network interfaces from `sys/class/net`: state, speed, MTU, MAC, driver.

use crate::root::{Root, parse_number, quote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// `operstate`: `up`, `down`, `lowerlayerdown`, `dormant`, `unknown`...
    pub operstate: Option<String>,
    /// IFF_UP from `flags`: the administrator brought the interface up.
    pub admin_up: Option<bool>,
    /// Negotiated speed in Mbit/s; absent when the link is down or the driver does not say.
    pub speed_mbps: Option<u32>,
    pub mtu: Option<u32>,
    pub mac: Option<String>,
    /// Backed by a device (has a `device` link), as opposed to bridges, bonds, VLANs, `lo`.
    pub physical: bool,
    /// Driver bound to the backing device, from the `device/driver` link.
    pub driver: Option<String>,
}
serialize_struct!(Interface { name, operstate, admin_up, speed_mbps, mtu, mac, physical, driver });

/// `speed`: the kernel prints -1 (older ones 65535 or 4294967295) when unknown.
pub fn parse_speed(text: &str) -> Result<Option<u32>, String> {
    let speed: i64 = parse_number(text)?;
    Ok(match speed {
        s if s <= 0 || s == 65535 || s >= u32::MAX as i64 => None,
        s => Some(s as u32),
    })
}

/// `flags` is hex (`0x1003`); bit 0 is IFF_UP.
pub fn parse_admin_up(text: &str) -> Result<bool, String> {
    let bad = || format!("expected hex flags, found {}", quote(text.trim()));
    let digits = text.trim().strip_prefix("0x").ok_or_else(bad)?;
    let flags = u32::from_str_radix(digits, 16).map_err(|_| bad())?;
    Ok(flags & 0x1 != 0)
}

pub fn read(root: &mut Root) -> Vec<Interface> {
    const NET_DIR: &str = "sys/class/net";
    let mut interfaces = Vec::new();
    for name in root.list(NET_DIR) {
        let dir = format!("{NET_DIR}/{name}");
        if !root.is_dir(&dir) {
            // e.g. the `bonding_masters` file that lives next to the interfaces.
            continue;
        }
        // Reading `speed` of a link that is down fails with EINVAL on real kernels.
        let speed_mbps =
            root.read_quiet(&format!("{dir}/speed")).and_then(|t| parse_speed(&t).ok().flatten());
        interfaces.push(Interface {
            operstate: root.text(&format!("{dir}/operstate")),
            admin_up: root.parse_with(&format!("{dir}/flags"), parse_admin_up),
            speed_mbps,
            mtu: root.number(&format!("{dir}/mtu")),
            mac: root.text(&format!("{dir}/address")),
            physical: root.exists(&format!("{dir}/device")),
            driver: root.link_name(&format!("{dir}/device/driver")),
            name,
        });
    }
    interfaces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_speed_is_absent() {
        assert_eq!(parse_speed("25000\n"), Ok(Some(25000)));
        assert_eq!(parse_speed("-1\n"), Ok(None));
        assert_eq!(parse_speed("4294967295\n"), Ok(None));
        assert!(parse_speed("fast").is_err());
    }

    #[test]
    fn admin_state_is_bit_zero_of_the_hex_flags() {
        assert_eq!(parse_admin_up("0x1003\n"), Ok(true));
        assert_eq!(parse_admin_up("0x1002\n"), Ok(false));
        assert!(parse_admin_up("1003").is_err());
        assert!(parse_admin_up("0xzz").is_err());
    }
}
