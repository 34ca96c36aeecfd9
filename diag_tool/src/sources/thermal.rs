//! Temperatures from hwmon sensors (`sys/class/hwmon`) and thermal zones
//! (`sys/class/thermal`), with their max and critical points.

use crate::root::{Root, index_suffix, parse_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Temperature {
    /// `hwmon` or `thermal_zone`.
    pub source: String,
    /// `hwmon1`, `thermal_zone0`.
    pub device: String,
    /// hwmon `name` (`coretemp`, `nvme`) or thermal zone `type` (`x86_pkg_temp`).
    pub chip: Option<String>,
    /// hwmon input (`temp1`); `temp` for thermal zones.
    pub sensor: String,
    /// hwmon `tempN_label`, e.g. `Package id 0`.
    pub label: Option<String>,
    /// Current reading, millidegrees Celsius.
    pub millicelsius: Option<i64>,
    /// hwmon `tempN_max`, or the lowest `hot` trip point of a thermal zone.
    pub max_millicelsius: Option<i64>,
    /// hwmon `tempN_crit`, or the lowest `critical` trip point of a thermal zone.
    pub crit_millicelsius: Option<i64>,
}
serialize_struct!(Temperature {
    source,
    device,
    chip,
    sensor,
    label,
    millicelsius,
    max_millicelsius,
    crit_millicelsius
});

impl Temperature {
    /// What people call the sensor: the chip and its label, e.g. `coretemp Package id 0`.
    pub fn name(&self) -> String {
        let mut name = self.chip.clone().unwrap_or_else(|| self.device.clone());
        if let Some(label) = &self.label {
            name.push(' ');
            name.push_str(label);
        }
        name
    }
}

/// Kernel temperatures are integers in millidegrees Celsius.
pub fn parse_millicelsius(text: &str) -> Result<i64, String> {
    parse_number(text)
}

/// Temperature inputs of an hwmon directory listing, e.g. `temp1_input` -> 1, sorted.
pub fn temp_inputs(names: &[String]) -> Vec<u32> {
    let mut inputs: Vec<u32> = names
        .iter()
        .filter_map(|n| n.strip_suffix("_input"))
        .filter_map(|n| index_suffix(n, "temp"))
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Lowest trip temperature of the given type among `(type, millicelsius)` pairs.
pub fn lowest_trip(trips: &[(String, i64)], kind: &str) -> Option<i64> {
    trips.iter().filter(|(t, _)| t == kind).map(|(_, c)| *c).min()
}

pub fn read(root: &mut Root) -> Vec<Temperature> {
    let mut temps = read_hwmon(root);
    temps.extend(read_thermal_zones(root));
    temps
}

fn read_hwmon(root: &mut Root) -> Vec<Temperature> {
    const HWMON_DIR: &str = "sys/class/hwmon";
    let mut temps = Vec::new();
    for hwmon in root.list(HWMON_DIR) {
        if index_suffix(&hwmon, "hwmon").is_none() {
            continue;
        }
        let mut dir = format!("{HWMON_DIR}/{hwmon}");
        // Drivers from before kernel 3.x keep their attributes in the device directory.
        if !root.exists(&format!("{dir}/name")) && root.exists(&format!("{dir}/device/name")) {
            dir.push_str("/device");
        }
        let chip = root.text(&format!("{dir}/name"));
        let names = root.list(&dir);
        for n in temp_inputs(&names) {
            let file = |suffix: &str| format!("{dir}/temp{n}_{suffix}");
            temps.push(Temperature {
                source: "hwmon".to_string(),
                device: hwmon.clone(),
                chip: chip.clone(),
                sensor: format!("temp{n}"),
                label: root.text(&file("label")),
                millicelsius: root.parse_with(&file("input"), parse_millicelsius),
                max_millicelsius: root.parse_with(&file("max"), parse_millicelsius),
                crit_millicelsius: root.parse_with(&file("crit"), parse_millicelsius),
            });
        }
    }
    temps
}

fn read_thermal_zones(root: &mut Root) -> Vec<Temperature> {
    const THERMAL_DIR: &str = "sys/class/thermal";
    let mut temps = Vec::new();
    for zone in root.list(THERMAL_DIR) {
        if index_suffix(&zone, "thermal_zone").is_none() {
            continue;
        }
        let dir = format!("{THERMAL_DIR}/{zone}");
        let mut trip_ids: Vec<u32> = root
            .list(&dir)
            .iter()
            .filter_map(|n| n.strip_prefix("trip_point_")?.strip_suffix("_type")?.parse().ok())
            .collect();
        trip_ids.sort_unstable();
        let mut trips = Vec::new();
        for id in trip_ids {
            let kind = root.text(&format!("{dir}/trip_point_{id}_type"));
            let temp = root.parse_with(&format!("{dir}/trip_point_{id}_temp"), parse_millicelsius);
            if let (Some(kind), Some(temp)) = (kind, temp) {
                trips.push((kind, temp));
            }
        }
        temps.push(Temperature {
            source: "thermal_zone".to_string(),
            device: zone.clone(),
            chip: root.text(&format!("{dir}/type")),
            sensor: "temp".to_string(),
            label: None,
            millicelsius: root.parse_with(&format!("{dir}/temp"), parse_millicelsius),
            max_millicelsius: lowest_trip(&trips, "hot"),
            crit_millicelsius: lowest_trip(&trips, "critical"),
        });
    }
    temps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperatures_are_signed_millidegrees() {
        assert_eq!(parse_millicelsius("45000\n"), Ok(45000));
        assert_eq!(parse_millicelsius("-273000\n"), Ok(-273000));
        assert!(parse_millicelsius("45.0").is_err());
        assert!(parse_millicelsius("").is_err());
    }

    #[test]
    fn only_temperature_inputs_are_sensors() {
        let names: Vec<String> = [
            "name",
            "temp10_input",
            "temp2_input",
            "temp2_crit",
            "in0_input",
            "temp_input",
            "device",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(temp_inputs(&names), [2, 10]);
    }

    #[test]
    fn critical_point_is_the_lowest_critical_trip() {
        let trips = vec![
            ("passive".to_string(), 85000),
            ("critical".to_string(), 105000),
            ("critical".to_string(), 100000),
        ];
        assert_eq!(lowest_trip(&trips, "critical"), Some(100000));
        assert_eq!(lowest_trip(&trips, "hot"), None);
    }
}
