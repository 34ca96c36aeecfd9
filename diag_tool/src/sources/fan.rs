//! Fans from hwmon (`sys/class/hwmon/*/fanN_*`, `Documentation/hwmon/sysfs-interface.rst`):
//! speed, lower limit, alarm and fault flags.

use crate::root::{Root, index_suffix, parse_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fan {
    /// `hwmon2`.
    pub device: String,
    /// hwmon `name`, e.g. `nct7904`.
    pub chip: Option<String>,
    /// `fan1`.
    pub sensor: String,
    /// `fanN_label`.
    pub label: Option<String>,
    /// `fanN_input`, revolutions per minute.
    pub rpm: Option<u64>,
    /// `fanN_min`: the chip alarms below it.
    pub min_rpm: Option<u64>,
    /// `fanN_alarm`: the chip says the fan is below its minimum or stopped.
    pub alarm: Option<bool>,
    /// `fanN_fault`: the chip sees no fan signal at all.
    pub fault: Option<bool>,
}
serialize_struct!(Fan { device, chip, sensor, label, rpm, min_rpm, alarm, fault });

impl Fan {
    /// What people call the fan: the chip and its label, e.g. `nct7904 CPU1`.
    pub fn name(&self) -> String {
        let mut name = self.chip.clone().unwrap_or_else(|| self.device.clone());
        if let Some(label) = &self.label {
            name.push(' ');
            name.push_str(label);
        }
        name
    }

    /// Why the fan is not cooling, if it is not: stopped, under its minimum, alarmed or faulty.
    pub fn problem(&self) -> Option<String> {
        let min = self.min_rpm.filter(|&m| m > 0);
        match (self.rpm, min) {
            (Some(0), _) => Some("stopped (0 RPM)".to_string()),
            (Some(rpm), Some(min)) if rpm < min => {
                Some(format!("{rpm} RPM, below its minimum {min} RPM"))
            }
            _ if self.fault == Some(true) => Some("fault reported by the sensor chip".to_string()),
            _ if self.alarm == Some(true) => Some(format!(
                "alarm raised by the sensor chip{}",
                self.rpm.map(|r| format!(" at {r} RPM")).unwrap_or_default()
            )),
            _ => None,
        }
    }
}

/// Fan inputs of an hwmon directory listing, e.g. `fan3_input` -> 3, sorted.
pub fn fan_inputs(names: &[String]) -> Vec<u32> {
    let mut inputs: Vec<u32> = names
        .iter()
        .filter_map(|n| n.strip_suffix("_input"))
        .filter_map(|n| index_suffix(n, "fan"))
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// RPM values are unsigned decimals.
pub fn parse_rpm(text: &str) -> Result<u64, String> {
    parse_number(text)
}

pub fn read(root: &mut Root) -> Vec<Fan> {
    const HWMON_DIR: &str = "sys/class/hwmon";
    let mut fans = Vec::new();
    for hwmon in root.list(HWMON_DIR) {
        if index_suffix(&hwmon, "hwmon").is_none() {
            continue;
        }
        let mut dir = format!("{HWMON_DIR}/{hwmon}");
        if !root.exists(&format!("{dir}/name")) && root.exists(&format!("{dir}/device/name")) {
            dir.push_str("/device");
        }
        let names = root.list(&dir);
        let inputs = fan_inputs(&names);
        if inputs.is_empty() {
            continue;
        }
        let chip = root.text(&format!("{dir}/name"));
        for n in inputs {
            let file = |suffix: &str| format!("{dir}/fan{n}_{suffix}");
            fans.push(Fan {
                device: hwmon.clone(),
                chip: chip.clone(),
                sensor: format!("fan{n}"),
                label: root.text(&file("label")),
                rpm: root.parse_with(&file("input"), parse_rpm),
                min_rpm: root.parse_with(&file("min"), parse_rpm),
                alarm: root.parse_with(&file("alarm"), crate::root::parse_flag),
                fault: root.parse_with(&file("fault"), crate::root::parse_flag),
            });
        }
    }
    fans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fan(rpm: u64, min: Option<u64>, alarm: bool) -> Fan {
        Fan {
            device: "hwmon2".into(),
            chip: Some("nct7904".into()),
            sensor: "fan1".into(),
            label: None,
            rpm: Some(rpm),
            min_rpm: min,
            alarm: Some(alarm),
            fault: None,
        }
    }

    #[test]
    fn a_stopped_fan_slow_fan_or_alarm_is_a_problem() {
        assert!(fan(0, None, false).problem().unwrap().contains("stopped"));
        assert!(fan(800, Some(1000), false).problem().unwrap().contains("below"));
        assert!(fan(5000, Some(1000), true).problem().unwrap().contains("alarm"));
        assert_eq!(fan(5000, Some(1000), false).problem(), None);
        assert_eq!(fan(5000, Some(0), false).problem(), None);
    }

    #[test]
    fn only_fan_inputs_are_fans() {
        let names: Vec<String> = ["fan10_input", "fan2_input", "fan2_min", "pwm1", "temp1_input"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(fan_inputs(&names), [2, 10]);
    }
}
