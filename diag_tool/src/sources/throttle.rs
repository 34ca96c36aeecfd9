//! CPU thermal throttling events since boot, per package, from `cpuN/thermal_throttle/`
//! (`arch/x86/kernel/cpu/mce/therm_throt.c`, `Documentation/ABI/testing/sysfs-devices-system-cpu`).

use std::collections::BTreeMap;

use crate::root::{Root, index_suffix, parse_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageThrottling {
    /// `physical_package_id` of the CPUs counted here.
    pub package: i64,
    /// `package_throttle_count`: times the package ran too hot (every CPU of it shows the same).
    pub package_throttle_count: Option<u64>,
    /// Highest `core_throttle_count` among the package's CPUs.
    pub core_throttle_count: Option<u64>,
    /// CPUs of the package with a non-zero `core_throttle_count`.
    pub cpus_throttled: u32,
}
serialize_struct!(PackageThrottling {
    package,
    package_throttle_count,
    core_throttle_count,
    cpus_throttled
});

/// A throttle counter file holds one unsigned decimal.
pub fn parse_throttle_count(text: &str) -> Result<u64, String> {
    parse_number(text)
}

/// One CPU's counters: `(package, core count, package count)`.
pub type CpuThrottle = (i64, Option<u64>, Option<u64>);

/// Folds per-CPU counters into per-package rows, in package order.
pub fn summarize(cpus: &[CpuThrottle]) -> Vec<PackageThrottling> {
    let mut packages: BTreeMap<i64, PackageThrottling> = BTreeMap::new();
    for &(package, core, pkg) in cpus {
        let row = packages.entry(package).or_insert(PackageThrottling {
            package,
            package_throttle_count: None,
            core_throttle_count: None,
            cpus_throttled: 0,
        });
        row.package_throttle_count = row.package_throttle_count.max(pkg);
        row.core_throttle_count = row.core_throttle_count.max(core);
        if core.is_some_and(|c| c > 0) {
            row.cpus_throttled += 1;
        }
    }
    packages.into_values().collect()
}

pub fn read(root: &mut Root) -> Vec<PackageThrottling> {
    const CPU_DIR: &str = "sys/devices/system/cpu";
    let mut cpus = Vec::new();
    for name in root.list(CPU_DIR) {
        if index_suffix(&name, "cpu").is_none() {
            continue;
        }
        let dir = format!("{CPU_DIR}/{name}/thermal_throttle");
        if !root.exists(&dir) {
            continue;
        }
        let package = root
            .number::<i64>(&format!("{CPU_DIR}/{name}/topology/physical_package_id"))
            .unwrap_or(0);
        let core = root.parse_with(&format!("{dir}/core_throttle_count"), parse_throttle_count);
        let pkg = root.parse_with(&format!("{dir}/package_throttle_count"), parse_throttle_count);
        cpus.push((package, core, pkg));
    }
    summarize(&cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_keep_their_highest_counts_and_count_throttled_cpus() {
        let rows = summarize(&[
            (1, Some(0), Some(4521)),
            (0, Some(0), Some(0)),
            (1, Some(17), Some(4521)),
            (1, Some(3), Some(4521)),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].package, 0);
        assert_eq!(rows[0].cpus_throttled, 0);
        assert_eq!(
            (rows[1].package_throttle_count, rows[1].core_throttle_count),
            (Some(4521), Some(17))
        );
        assert_eq!(rows[1].cpus_throttled, 2);
    }
}
