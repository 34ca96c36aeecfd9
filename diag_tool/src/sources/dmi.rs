//! Firmware identity from `sys/class/dmi/id` (vendor, product, BIOS, board).

use crate::root::Root;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dmi {
    pub sys_vendor: Option<String>,
    pub product_name: Option<String>,
    pub product_version: Option<String>,
    pub bios_vendor: Option<String>,
    pub bios_version: Option<String>,
    pub bios_date: Option<String>,
    pub board_vendor: Option<String>,
    pub board_name: Option<String>,
}
serialize_struct!(Dmi {
    sys_vendor,
    product_name,
    product_version,
    bios_vendor,
    bios_version,
    bios_date,
    board_vendor,
    board_name
});

impl Dmi {
    pub fn is_empty(&self) -> bool {
        *self == Dmi::default()
    }
}

/// A DMI string: firmware pads with spaces (`"XA320 V2 "`); empty means unset.
pub fn parse_string(text: &str) -> Option<String> {
    let value = crate::root::trim_value(text);
    (!value.is_empty()).then(|| value.to_string())
}

const DMI_DIR: &str = "sys/class/dmi/id";

/// Serial numbers and UUIDs are left out: they are root-only on real systems.
pub fn read(root: &mut Root) -> Option<Dmi> {
    let mut field =
        |name: &str| root.value(&format!("{DMI_DIR}/{name}")).and_then(|t| parse_string(&t));
    let dmi = Dmi {
        sys_vendor: field("sys_vendor"),
        product_name: field("product_name"),
        product_version: field("product_version"),
        bios_vendor: field("bios_vendor"),
        bios_version: field("bios_version"),
        bios_date: field("bios_date"),
        board_vendor: field("board_vendor"),
        board_name: field("board_name"),
    };
    (!dmi.is_empty()).then_some(dmi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_spaces_and_padding_are_trimmed() {
        assert_eq!(parse_string("XA320 V2 \n").as_deref(), Some("XA320 V2"));
        assert_eq!(parse_string("Dell\n\0").as_deref(), Some("Dell"));
    }

    #[test]
    fn blank_strings_are_unset() {
        assert_eq!(parse_string("\n"), None);
        assert_eq!(parse_string("   \n"), None);
    }
}
