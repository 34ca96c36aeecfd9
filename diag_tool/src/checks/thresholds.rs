//! The limits `check` judges against; each is a flag of `check` (see `cli`), with these defaults.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Corrected ECC errors on one controller at which to warn.
    pub ecc_corrected_warn: u64,
    /// Warn when a temperature is this close to its critical point, degrees Celsius.
    pub temp_margin_celsius: u32,
    /// Available memory below this percentage of the total: warning.
    pub mem_available_warn: u8,
    /// Available memory below this percentage of the total: critical.
    pub mem_available_crit: u8,
    /// Swap used at or above this percentage: warning.
    pub swap_used_warn: u8,
    /// Swap used at or above this percentage: critical.
    pub swap_used_crit: u8,
    /// Report a physical link that is down as critical instead of warning.
    pub link_down_critical: bool,
    /// Correctable PCIe AER errors on one device at which to warn.
    pub aer_correctable_warn: u64,
    /// Report a PCIe link trained below its capability as critical instead of warning.
    pub pcie_link_critical: bool,
    /// Thermal throttling events (package, or the most on one CPU) at which to warn.
    pub throttle_warn: u64,
    /// A fan slower than this is critical (0: only stopped, alarmed or under its own minimum).
    pub fan_min_rpm: u64,
    /// Taint letters that warn: machine checks and bad pages by default.
    pub taint_warn: String,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            ecc_corrected_warn: 100,
            temp_margin_celsius: 5,
            mem_available_warn: 10,
            mem_available_crit: 5,
            swap_used_warn: 80,
            swap_used_crit: 95,
            link_down_critical: false,
            aer_correctable_warn: 10,
            pcie_link_critical: false,
            throttle_warn: 100,
            fan_min_rpm: 0,
            taint_warn: "MB".to_string(),
        }
    }
}
