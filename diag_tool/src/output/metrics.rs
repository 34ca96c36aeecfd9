//! Every number diag_tool exports, in one table ([`TABLE`]): Prometheus shows the rows it is
//! named in, `check`'s performance data the rows that carry a perfdata label. A new source is
//! its collector and a group of rows here.
//!
//! The table is walked subject by subject (each temperature sensor, each disk...), and for
//! each subject its rows in order; Prometheus groups the samples into families in the order
//! the families first appear.

use crate::checks::{Finding, Status, Thresholds, overall};
use crate::report::Report;
use crate::sources::block::BlockDevice;
use crate::sources::cpu::Cpu;
use crate::sources::dmi::Dmi;
use crate::sources::edac::{Dimm, MemoryController};
use crate::sources::fan::Fan;
use crate::sources::md::MdArray;
use crate::sources::memory::Memory;
use crate::sources::net::Interface;
use crate::sources::nvme::NvmeController;
use crate::sources::pci::PciDevice;
use crate::sources::taint::{Taint, TaintFlag};
use crate::sources::thermal::Temperature;
use crate::sources::throttle::PackageThrottling;

/// What a metric is computed from: the report, what `check` found in it, and the thresholds
/// `check` judged with (they give the perfdata's warning and critical limits).
pub struct Facts<'a> {
    pub report: &'a Report,
    pub findings: &'a [Finding],
    pub thresholds: &'a Thresholds,
}

/// The Prometheus metric type; perfdata prints counters with the `c` unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

/// What a value measures, which decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Counts, flags, lanes, RPM, bytes per second: printed as they are.
    Number,
    /// Bytes (`B` in perfdata).
    Bytes,
    /// Read in millidegrees Celsius; shown in degrees.
    Millicelsius,
    /// Read as a percentage; Prometheus shows it as a ratio from 0 to 1.
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
}

macro_rules! int_values {
    ($($t:ty),*) => { $(impl From<$t> for Value {
        fn from(v: $t) -> Value {
            Value::Int(v as i128)
        }
    })* };
}
int_values!(u8, u32, u64, i64, usize);

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i128::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

pub type Labels = Vec<(&'static str, String)>;

/// Warning and critical limits, minimum and maximum of a perfdata datum, in its value's unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub warn: Option<Value>,
    pub crit: Option<Value>,
    pub min: Option<Value>,
    pub max: Option<Value>,
}

/// How a row appears in `check`'s performance data.
pub struct Perfdata<S> {
    /// The datum's label, e.g. `ecc_corrected_mc0`.
    pub label: fn(&S) -> String,
    pub limits: fn(&S, &Thresholds) -> Limits,
}

/// Which outputs show a row.
pub enum Export<S> {
    Prometheus,
    /// Prometheus, and also a datum of `check`'s performance data.
    Both(Perfdata<S>),
    /// Only a datum of `check`'s performance data.
    Perfdata(Perfdata<S>),
}

/// One row of the table: a metric measured on a subject of type `S`.
pub struct Metric<S> {
    /// The Prometheus family (rows of one family share it); for perfdata-only rows, a name
    /// for people.
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    /// Labels of the Prometheus sample; absent facts make no label.
    pub labels: fn(&S) -> Labels,
    /// `None`: no sample for this subject.
    pub value: fn(&S) -> Option<Value>,
    pub export: Export<S>,
}

const fn gauge<S>(
    name: &'static str,
    unit: Unit,
    help: &'static str,
    labels: fn(&S) -> Labels,
    value: fn(&S) -> Option<Value>,
) -> Metric<S> {
    Metric { name, help, kind: Kind::Gauge, unit, labels, value, export: Export::Prometheus }
}

const fn counter<S>(
    name: &'static str,
    help: &'static str,
    labels: fn(&S) -> Labels,
    value: fn(&S) -> Option<Value>,
) -> Metric<S> {
    Metric { kind: Kind::Counter, ..gauge(name, Unit::Number, help, labels, value) }
}

/// A metric that is also a datum of `check`'s performance data.
const fn with_perfdata<S>(
    metric: Metric<S>,
    label: fn(&S) -> String,
    limits: fn(&S, &Thresholds) -> Limits,
) -> Metric<S> {
    Metric { export: Export::Both(Perfdata { label, limits }), ..metric }
}

/// A datum of `check`'s performance data only.
const fn perfdata_only<S>(
    metric: Metric<S>,
    label: fn(&S) -> String,
    limits: fn(&S, &Thresholds) -> Limits,
) -> Metric<S> {
    Metric { export: Export::Perfdata(Perfdata { label, limits }), ..metric }
}

/// Calls its second argument with each subject of one kind, in report order.
pub type Subjects<S> = fn(&Facts, &mut dyn FnMut(&S));

/// The subjects of one kind in the report, and the rows measured on each of them.
pub struct Group<S: 'static> {
    pub subjects: Subjects<S>,
    pub rows: &'static [Metric<S>],
}

/// One value of one row on one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    pub labels: Labels,
    pub value: Value,
    pub prometheus: bool,
    /// The perfdata label and limits, for rows `check` prints.
    pub perfdata: Option<(String, Limits)>,
}

/// A [`Group`] whatever its subject type, so that one table holds them all.
pub trait Walk {
    fn walk(&self, facts: &Facts, sample: &mut dyn FnMut(Sample));
}

impl<S> Walk for Group<S> {
    fn walk(&self, facts: &Facts, sample: &mut dyn FnMut(Sample)) {
        (self.subjects)(facts, &mut |subject| {
            for row in self.rows {
                let Some(value) = (row.value)(subject) else {
                    continue;
                };
                let (prometheus, perfdata) = match &row.export {
                    Export::Prometheus => (true, None),
                    Export::Both(p) => (true, Some(p)),
                    Export::Perfdata(p) => (false, Some(p)),
                };
                sample(Sample {
                    name: row.name,
                    help: row.help,
                    kind: row.kind,
                    unit: row.unit,
                    labels: if prometheus { (row.labels)(subject) } else { Vec::new() },
                    value,
                    prometheus,
                    perfdata: perfdata
                        .map(|p| ((p.label)(subject), (p.limits)(subject, facts.thresholds))),
                });
            }
        });
    }
}

/// Every sample of the table, in table order.
pub fn walk(facts: &Facts, sample: &mut dyn FnMut(Sample)) {
    for group in TABLE {
        group.walk(facts, sample);
    }
}

/// Every group, in the order the outputs list them. The perfdata-only sensor group sits
/// before ECC because `check` has always printed temperatures before ECC counters.
pub const TABLE: &[&dyn Walk] = &[
    &CHECK,
    &HOST,
    &CPU_MODELS,
    &CPU,
    &MEMORY,
    &HOTTEST_SENSORS,
    &DMI,
    &ECC,
    &TEMPERATURES,
    &FANS,
    &THROTTLING,
    &DISKS,
    &MD_ARRAYS,
    &NVME,
    &NETWORK,
    &PCI,
    &TAINT,
    &TAINT_FLAGS,
];

/// Labels whose value is known; absent facts make no empty labels.
fn known(pairs: &[(&'static str, Option<&str>)]) -> Labels {
    pairs.iter().filter_map(|(k, v)| v.map(|v| (*k, v.to_string()))).collect()
}

fn no_labels<S>(_: &S) -> Labels {
    Vec::new()
}

fn one<S>(_: &S) -> Option<Value> {
    Some(Value::Int(1))
}

fn value<T: Into<Value>>(v: Option<T>) -> Option<Value> {
    v.map(Into::into)
}

/// What `check` says with the thresholds given, and how many files could not be used.
struct CheckSummary {
    status: Status,
    critical: usize,
    warning: usize,
    unknown: usize,
    warnings: usize,
}

impl CheckSummary {
    fn of(facts: &Facts) -> CheckSummary {
        let count = |s: Status| facts.findings.iter().filter(|f| f.status == s).count();
        CheckSummary {
            status: overall(facts.findings),
            critical: count(Status::Critical),
            warning: count(Status::Warning),
            unknown: count(Status::Unknown),
            warnings: facts.report.warnings.len(),
        }
    }
}

const FINDINGS: &str = "Findings of diag_tool check by status.";

const CHECK: Group<CheckSummary> = Group {
    subjects: |f, each| each(&CheckSummary::of(f)),
    rows: &[
        gauge(
            "diag_check_status",
            Unit::Number,
            "Status of diag_tool check with default thresholds: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            no_labels,
            |c| Some((c.status as u8).into()),
        ),
        gauge(
            "diag_check_findings",
            Unit::Number,
            FINDINGS,
            |_| vec![("status", "critical".into())],
            |c| Some(c.critical.into()),
        ),
        gauge(
            "diag_check_findings",
            Unit::Number,
            FINDINGS,
            |_| vec![("status", "warning".into())],
            |c| Some(c.warning.into()),
        ),
        gauge(
            "diag_check_findings",
            Unit::Number,
            FINDINGS,
            |_| vec![("status", "unknown".into())],
            |c| Some(c.unknown.into()),
        ),
        gauge(
            "diag_report_warnings",
            Unit::Number,
            "Files that exist but could not be read or parsed.",
            no_labels,
            |c| Some(c.warnings.into()),
        ),
    ],
};

const HOST: Group<Report> = Group {
    subjects: |f, each| each(f.report),
    rows: &[gauge(
        "diag_host_info",
        Unit::Number,
        "Host identity; the value is always 1.",
        |r| {
            known(&[
                ("hostname", r.host.hostname.as_deref()),
                ("kernel", r.host.kernel.as_deref()),
                ("os", r.host.os.as_deref()),
                ("architecture", r.cpu.architecture.as_deref()),
            ])
        },
        one,
    )],
};

/// One CPU model, with the architecture and vendor of the CPUs.
struct CpuModelOf {
    architecture: Option<String>,
    vendor: Option<String>,
    name: String,
    cpus: u32,
}

const CPU_MODELS: Group<CpuModelOf> = Group {
    subjects: |f, each| {
        let cpu = &f.report.cpu;
        for model in &cpu.models {
            each(&CpuModelOf {
                architecture: cpu.architecture.clone(),
                vendor: cpu.vendor.clone(),
                name: model.name.clone(),
                cpus: model.cpus,
            });
        }
    },
    rows: &[
        gauge(
            "diag_cpu_info",
            Unit::Number,
            "CPU model; the value is always 1.",
            |m| {
                known(&[
                    ("architecture", m.architecture.as_deref()),
                    ("vendor", m.vendor.as_deref()),
                    ("model", Some(&m.name)),
                ])
            },
            one,
        ),
        gauge(
            "diag_cpu_model_logical_cpus",
            Unit::Number,
            "Logical CPUs of one CPU model (hybrid chips have several).",
            |m| vec![("model", m.name.clone())],
            |m| Some(m.cpus.into()),
        ),
    ],
};

const CPU: Group<Cpu> = Group {
    subjects: |f, each| each(&f.report.cpu),
    rows: &[
        gauge("diag_cpu_logical_cpus", Unit::Number, "Online logical CPUs.", no_labels, |c| {
            value(c.logical_cpus)
        }),
        gauge(
            "diag_cpu_sockets",
            Unit::Number,
            "CPU sockets (distinct physical packages).",
            no_labels,
            |c| value(c.sockets),
        ),
        gauge(
            "diag_cpu_cores",
            Unit::Number,
            "Physical CPU cores over all sockets.",
            no_labels,
            |c| value(c.cores),
        ),
        gauge("diag_cpu_numa_nodes", Unit::Number, "NUMA nodes.", no_labels, |c| {
            value(c.numa_nodes)
        }),
    ],
};

const MEMORY: Group<Memory> = Group {
    subjects: |f, each| each(&f.report.memory),
    rows: &[
        gauge(
            "diag_memory_total_bytes",
            Unit::Bytes,
            "MemTotal of /proc/meminfo.",
            no_labels,
            |m| value(m.total_bytes),
        ),
        gauge(
            "diag_memory_available_bytes",
            Unit::Bytes,
            "MemAvailable of /proc/meminfo.",
            no_labels,
            |m| value(m.available_bytes),
        ),
        gauge(
            "diag_memory_swap_total_bytes",
            Unit::Bytes,
            "SwapTotal of /proc/meminfo.",
            no_labels,
            |m| value(m.swap_total_bytes),
        ),
        gauge(
            "diag_memory_swap_free_bytes",
            Unit::Bytes,
            "SwapFree of /proc/meminfo.",
            no_labels,
            |m| value(m.swap_free_bytes),
        ),
        gauge(
            "diag_memory_hardware_corrupted_bytes",
            Unit::Bytes,
            "Memory taken out of service after hardware errors (HardwareCorrupted).",
            no_labels,
            |m| value(m.hardware_corrupted_bytes),
        ),
        perfdata_only(
            gauge(
                "memory_used",
                Unit::Bytes,
                "Memory in use: MemTotal less MemAvailable.",
                no_labels,
                |m| value(Some(m.total_bytes?.saturating_sub(m.available_bytes?))),
            ),
            |_| "memory_used".into(),
            memory_used_limits,
        ),
        perfdata_only(
            gauge(
                "swap_used",
                Unit::Bytes,
                "Swap in use: SwapTotal less SwapFree.",
                no_labels,
                |m| value(Some(m.swap_total_bytes?.saturating_sub(m.swap_free_bytes?))),
            ),
            |_| "swap_used".into(),
            swap_used_limits,
        ),
    ],
};

/// `check` alerts when available memory falls below a share: memory used above the rest.
fn memory_used_limits(m: &Memory, t: &Thresholds) -> Limits {
    let total = m.total_bytes.unwrap_or(0);
    let limit = |pct: u8| (pct > 0).then(|| (total - total / 100 * u64::from(pct)).into());
    Limits {
        warn: limit(t.mem_available_warn),
        crit: limit(t.mem_available_crit),
        min: Some(0u64.into()),
        max: Some(total.into()),
    }
}

fn swap_used_limits(m: &Memory, t: &Thresholds) -> Limits {
    let total = m.swap_total_bytes.unwrap_or(0);
    let limit = |pct: u8| (pct > 0 && total > 0).then(|| (total / 100 * u64::from(pct)).into());
    Limits {
        warn: limit(t.swap_used_warn),
        crit: limit(t.swap_used_crit),
        min: Some(0u64.into()),
        max: Some(total.into()),
    }
}

/// The hottest reading of one sensor chip, for the performance data.
struct HottestSensor {
    label: String,
    temperature: Temperature,
}

const HOTTEST_SENSORS: Group<HottestSensor> = Group {
    subjects: |f, each| {
        let mut chips: Vec<HottestSensor> = Vec::new();
        for temp in f.report.temperatures.iter().filter(|t| t.millicelsius.is_some()) {
            let label =
                format!("temp_{}_{}", temp.chip.as_deref().unwrap_or("sensor"), temp.device);
            match chips.iter_mut().find(|c| c.label == label) {
                Some(c) if temp.millicelsius > c.temperature.millicelsius => {
                    c.temperature = temp.clone()
                }
                Some(_) => {}
                None => chips.push(HottestSensor { label, temperature: temp.clone() }),
            }
        }
        chips.iter().for_each(each);
    },
    rows: &[perfdata_only(
        gauge(
            "temp_<chip>_<device>",
            Unit::Millicelsius,
            "The hottest temperature of one sensor chip against its limits.",
            no_labels,
            |h| value(h.temperature.millicelsius),
        ),
        |h| h.label.clone(),
        hottest_limits,
    )],
};

/// Warn at the sensor's max or within the margin of critical, whichever comes first.
fn hottest_limits(h: &HottestSensor, t: &Thresholds) -> Limits {
    let margin = i64::from(t.temp_margin_celsius) * 1000;
    let crit = h.temperature.crit_millicelsius.filter(|&c| c > 0);
    let max = h.temperature.max_millicelsius.filter(|&c| c > 0);
    let warn = match (max, crit.map(|c| c - margin)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Limits { warn: value(warn), crit: value(crit), ..Limits::default() }
}

const DMI: Group<Dmi> = Group {
    subjects: |f, each| f.report.dmi.iter().for_each(each),
    rows: &[gauge(
        "diag_dmi_info",
        Unit::Number,
        "DMI (SMBIOS) identity of the machine; the value is always 1.",
        |d| {
            known(&[
                ("sys_vendor", d.sys_vendor.as_deref()),
                ("product_name", d.product_name.as_deref()),
                ("product_version", d.product_version.as_deref()),
                ("bios_vendor", d.bios_vendor.as_deref()),
                ("bios_version", d.bios_version.as_deref()),
                ("bios_date", d.bios_date.as_deref()),
                ("board_vendor", d.board_vendor.as_deref()),
                ("board_name", d.board_name.as_deref()),
            ])
        },
        one,
    )],
};

/// A memory controller, or one of its DIMMs: each controller comes before its DIMMs.
enum EccCounters {
    Controller(MemoryController),
    Dimm { controller: String, dimm: Dimm },
}

impl EccCounters {
    fn controller(&self) -> Option<&MemoryController> {
        match self {
            EccCounters::Controller(mc) => Some(mc),
            EccCounters::Dimm { .. } => None,
        }
    }

    fn dimm(&self) -> Option<&Dimm> {
        match self {
            EccCounters::Controller(_) => None,
            EccCounters::Dimm { dimm, .. } => Some(dimm),
        }
    }

    fn labels(&self) -> Labels {
        match self {
            EccCounters::Controller(mc) => {
                known(&[("controller", Some(&mc.controller)), ("name", mc.name.as_deref())])
            }
            EccCounters::Dimm { controller, dimm } => known(&[
                ("controller", Some(controller)),
                ("dimm", Some(&dimm.dimm)),
                ("label", dimm.label.as_deref()),
                ("location", dimm.location.as_deref()),
            ]),
        }
    }

    fn name(&self) -> &str {
        match self {
            EccCounters::Controller(mc) => &mc.controller,
            EccCounters::Dimm { controller, .. } => controller,
        }
    }
}

const ECC: Group<EccCounters> = Group {
    subjects: |f, each| {
        for mc in &f.report.edac {
            each(&EccCounters::Controller(mc.clone()));
            for dimm in &mc.dimms {
                each(&EccCounters::Dimm { controller: mc.controller.clone(), dimm: dimm.clone() });
            }
        }
    },
    rows: &[
        with_perfdata(
            counter(
                "diag_edac_correctable_errors_total",
                "Corrected ECC errors of a memory controller since boot.",
                EccCounters::labels,
                |e| value(e.controller()?.corrected),
            ),
            |e| format!("ecc_corrected_{}", e.name()),
            |_, t| Limits {
                warn: (t.ecc_corrected_warn > 0).then(|| (t.ecc_corrected_warn - 1).into()),
                min: Some(0u64.into()),
                ..Limits::default()
            },
        ),
        with_perfdata(
            counter(
                "diag_edac_uncorrectable_errors_total",
                "Uncorrected ECC errors of a memory controller since boot.",
                EccCounters::labels,
                |e| value(e.controller()?.uncorrected),
            ),
            |e| format!("ecc_uncorrected_{}", e.name()),
            no_errors,
        ),
        counter(
            "diag_edac_dimm_correctable_errors_total",
            "Corrected ECC errors of one DIMM since boot.",
            EccCounters::labels,
            |e| value(e.dimm()?.corrected),
        ),
        counter(
            "diag_edac_dimm_uncorrectable_errors_total",
            "Uncorrected ECC errors of one DIMM since boot.",
            EccCounters::labels,
            |e| value(e.dimm()?.uncorrected),
        ),
    ],
};

/// A counter of errors any one of which is critical.
fn no_errors<S>(_: &S, _: &Thresholds) -> Limits {
    Limits { crit: Some(0u64.into()), min: Some(0u64.into()), ..Limits::default() }
}

fn sensor(t: &Temperature) -> Labels {
    known(&[
        ("device", Some(&t.device)),
        ("sensor", Some(&t.sensor)),
        ("chip", t.chip.as_deref()),
        ("label", t.label.as_deref()),
    ])
}

const TEMPERATURES: Group<Temperature> = Group {
    subjects: |f, each| f.report.temperatures.iter().for_each(each),
    rows: &[
        gauge(
            "diag_temperature_celsius",
            Unit::Millicelsius,
            "Temperature of a hwmon sensor or thermal zone.",
            sensor,
            |t| value(t.millicelsius),
        ),
        gauge(
            "diag_temperature_max_celsius",
            Unit::Millicelsius,
            "Upper limit of a sensor (hwmon max, or the lowest hot trip point).",
            sensor,
            |t| value(t.max_millicelsius),
        ),
        gauge(
            "diag_temperature_crit_celsius",
            Unit::Millicelsius,
            "Critical point of a sensor (hwmon crit, or the lowest critical trip point).",
            sensor,
            |t| value(t.crit_millicelsius),
        ),
    ],
};

fn fan(f: &Fan) -> Labels {
    known(&[
        ("device", Some(&f.device)),
        ("sensor", Some(&f.sensor)),
        ("chip", f.chip.as_deref()),
        ("label", f.label.as_deref()),
    ])
}

const FANS: Group<Fan> = Group {
    subjects: |f, each| f.report.fans.iter().for_each(each),
    rows: &[
        gauge("diag_fan_rpm", Unit::Number, "Fan speed in revolutions per minute.", fan, |f| {
            value(f.rpm)
        }),
        gauge(
            "diag_fan_min_rpm",
            Unit::Number,
            "Fan speed below which the sensor chip alarms.",
            fan,
            |f| value(f.min_rpm),
        ),
        gauge(
            "diag_fan_problem",
            Unit::Number,
            "1 when the fan is stopped, too slow, alarmed or faulty.",
            fan,
            |f| Some(f.problem().is_some().into()),
        ),
    ],
};

fn package(p: &PackageThrottling) -> Labels {
    vec![("package", p.package.to_string())]
}

const THROTTLING: Group<PackageThrottling> = Group {
    subjects: |f, each| f.report.thermal_throttling.iter().for_each(each),
    rows: &[
        counter(
            "diag_cpu_package_throttles_total",
            "Times a CPU package was thermally throttled since boot.",
            package,
            |p| value(p.package_throttle_count),
        ),
        gauge(
            "diag_cpu_core_throttles_max",
            Unit::Number,
            "Most thermal throttling events since boot on one CPU of the package.",
            package,
            |p| value(p.core_throttle_count),
        ),
        gauge(
            "diag_cpu_throttled_cpus",
            Unit::Number,
            "CPUs of the package that were thermally throttled since boot.",
            package,
            |p| Some(p.cpus_throttled.into()),
        ),
    ],
};

fn disk(b: &BlockDevice) -> Labels {
    known(&[("device", Some(&b.name)), ("model", b.model.as_deref())])
}

const DISKS: Group<BlockDevice> = Group {
    subjects: |f, each| f.report.block_devices.iter().for_each(each),
    rows: &[
        gauge("diag_block_device_size_bytes", Unit::Bytes, "Size of a disk.", disk, |b| {
            value(b.size_bytes)
        }),
        gauge(
            "diag_block_device_read_only",
            Unit::Number,
            "1 when the disk is read-only.",
            disk,
            |b| value(b.read_only),
        ),
    ],
};

fn array(a: &MdArray) -> Labels {
    known(&[("array", Some(&a.name)), ("level", a.level.as_deref())])
}

const MD_ARRAYS: Group<MdArray> = Group {
    subjects: |f, each| f.report.md_arrays.iter().for_each(each),
    rows: &[
        gauge(
            "diag_md_raid_disks",
            Unit::Number,
            "Member slots of an MD RAID array.",
            array,
            |a| value(a.raid_disks),
        ),
        gauge(
            "diag_md_active_disks",
            Unit::Number,
            "Working members of an MD RAID array.",
            array,
            |a| value(a.active_disks),
        ),
        gauge(
            "diag_md_degraded_disks",
            Unit::Number,
            "Missing members of an MD RAID array.",
            array,
            |a| value(a.degraded_disks),
        ),
        gauge(
            "diag_md_failed_disks",
            Unit::Number,
            "Members of an MD RAID array marked failed.",
            array,
            |a| Some(a.failed_devices.len().into()),
        ),
        gauge(
            "diag_md_sync_completed_ratio",
            Unit::Percent,
            "Progress of a running resync, recovery, reshape, check or repair, 0 to 1.",
            |a| {
                let mut labels = array(a);
                labels.extend(a.sync_action.clone().map(|action| ("action", action)));
                labels
            },
            |a| value(a.sync_percent.filter(|_| a.sync_action.is_some())),
        ),
    ],
};

const NVME: Group<NvmeController> = Group {
    subjects: |f, each| f.report.nvme_controllers.iter().for_each(each),
    rows: &[
        gauge(
            "diag_nvme_info",
            Unit::Number,
            "NVMe controller identity and state; the value is always 1.",
            |n| {
                known(&[
                    ("controller", Some(&n.name)),
                    ("model", n.model.as_deref()),
                    ("serial", n.serial.as_deref()),
                    ("firmware", n.firmware.as_deref()),
                    ("state", n.state.as_deref()),
                    ("transport", n.transport.as_deref()),
                    ("address", n.address.as_deref()),
                ])
            },
            one,
        ),
        gauge(
            "diag_nvme_live",
            Unit::Number,
            "1 when the NVMe controller state is live.",
            |n| vec![("controller", n.name.clone())],
            |n| Some(n.is_live().into()),
        ),
    ],
};

fn interface(i: &Interface) -> Labels {
    vec![("interface", i.name.clone())]
}

const NETWORK: Group<Interface> = Group {
    subjects: |f, each| f.report.network_interfaces.iter().for_each(each),
    rows: &[
        gauge(
            "diag_network_up",
            Unit::Number,
            "1 when the interface's operstate is up.",
            interface,
            |i| value(i.operstate.as_ref().map(|s| s == "up")),
        ),
        gauge(
            "diag_network_speed_bytes",
            Unit::Number,
            "Negotiated link speed in bytes per second.",
            interface,
            |i| value(i.speed_mbps.map(|v| u64::from(v) * 125_000)),
        ),
        gauge("diag_network_mtu_bytes", Unit::Bytes, "MTU of the interface.", interface, |i| {
            value(i.mtu)
        }),
    ],
};

const AER: &str = "PCIe AER errors a device logged since boot, by severity.";

fn device(d: &PciDevice) -> Labels {
    vec![("device", d.address.clone())]
}

fn aer(d: &PciDevice, severity: &str) -> Labels {
    vec![("device", d.address.clone()), ("severity", severity.to_string())]
}

const PCI: Group<PciDevice> = Group {
    subjects: |f, each| f.report.pci_devices.iter().for_each(each),
    rows: &[
        with_perfdata(
            counter(
                "diag_pcie_aer_errors_total",
                AER,
                |d| aer(d, "correctable"),
                |d| value(d.aer.as_ref()?.correctable),
            ),
            |d| format!("aer_correctable_{}", d.address),
            |_, t| Limits {
                warn: (t.aer_correctable_warn > 0).then(|| (t.aer_correctable_warn - 1).into()),
                min: Some(0u64.into()),
                ..Limits::default()
            },
        ),
        counter(
            "diag_pcie_aer_errors_total",
            AER,
            |d| aer(d, "nonfatal"),
            |d| value(d.aer.as_ref()?.nonfatal),
        ),
        counter(
            "diag_pcie_aer_errors_total",
            AER,
            |d| aer(d, "fatal"),
            |d| value(d.aer.as_ref()?.fatal),
        ),
        gauge(
            "diag_pcie_link_current_width",
            Unit::Number,
            "Lanes the PCIe link trained to.",
            device,
            |d| value(d.link.as_ref()?.current_width),
        ),
        gauge(
            "diag_pcie_link_capable_width",
            Unit::Number,
            "Lanes both ends of the PCIe link support.",
            device,
            |d| value(d.link.as_ref()?.capable().1),
        ),
        gauge(
            "diag_pcie_link_current_transfers_per_second",
            Unit::Number,
            "Speed the PCIe link trained to.",
            device,
            |d| value(d.link.as_ref()?.current_speed_mts.map(mega)),
        ),
        gauge(
            "diag_pcie_link_capable_transfers_per_second",
            Unit::Number,
            "Speed both ends of the PCIe link support.",
            device,
            |d| value(d.link.as_ref()?.capable().0.map(mega)),
        ),
        perfdata_only(
            counter(
                "aer_uncorrectable_<device>",
                "Uncorrectable (non-fatal and fatal) AER errors of a device since boot.",
                no_labels,
                |d| {
                    let aer = d.aer.as_ref()?;
                    (aer.nonfatal.is_some() || aer.fatal.is_some())
                        .then(|| (aer.nonfatal.unwrap_or(0) + aer.fatal.unwrap_or(0)).into())
                },
            ),
            |d| format!("aer_uncorrectable_{}", d.address),
            no_errors,
        ),
    ],
};

fn mega(mts: u32) -> u64 {
    u64::from(mts) * 1_000_000
}

const TAINT: Group<Taint> = Group {
    subjects: |f, each| f.report.kernel_taint.iter().for_each(each),
    rows: &[gauge(
        "diag_kernel_tainted",
        Unit::Number,
        "The kernel's taint bit mask (proc/sys/kernel/tainted); 0 is untainted.",
        no_labels,
        |t| Some(t.value.into()),
    )],
};

const TAINT_FLAGS: Group<TaintFlag> = Group {
    subjects: |f, each| f.report.kernel_taint.iter().flat_map(|t| &t.flags).for_each(each),
    rows: &[gauge(
        "diag_kernel_taint_info",
        Unit::Number,
        "One set kernel taint flag; the value is always 1.",
        |f| {
            vec![
                ("flag", f.letter.clone()),
                ("bit", f.bit.to_string()),
                ("reason", f.reason.clone()),
            ]
        },
        one,
    )],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(report: &Report) -> Vec<Sample> {
        let thresholds = Thresholds::default();
        let facts = Facts { report, findings: &[], thresholds: &thresholds };
        let mut all = Vec::new();
        walk(&facts, &mut |s| all.push(s));
        all
    }

    #[test]
    fn rows_of_one_family_agree_on_help_kind_and_unit() {
        let report = crate::report::collect(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../TestArea/degraded"
        )));
        let all = samples(&report);
        for a in &all {
            for b in all.iter().filter(|b| b.name == a.name) {
                assert_eq!((a.help, a.kind, a.unit), (b.help, b.kind, b.unit), "{}", a.name);
            }
        }
    }

    #[test]
    fn counters_end_in_total_and_perfdata_only_rows_are_not_exported() {
        let report = crate::report::collect(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../TestArea/degraded"
        )));
        for s in samples(&report) {
            if s.prometheus {
                assert!(s.name.starts_with("diag_"), "{}", s.name);
                let total = s.name.ends_with("_total");
                assert_eq!(total, s.kind == Kind::Counter, "{}", s.name);
            } else {
                assert!(s.perfdata.is_some(), "{} is exported nowhere", s.name);
            }
        }
    }
}
