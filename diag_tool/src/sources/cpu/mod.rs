//! CPU facts: models and flags from `/proc/cpuinfo`, whose layout each architecture's kernel
//! writes its own way (one file per layout here, and the Arm part names in `arm_ids`), and
//! topology (sockets, cores, threads, NUMA nodes) from sysfs (`topology`).

mod arm;
mod arm_ids;
mod cpuinfo;
mod ia64;
mod loongarch;
mod powerpc;
mod riscv;
mod s390x;
mod sparc;
mod topology;
mod x86;

pub use cpuinfo::{CpuInfo, Layout, parse_cpuinfo};
pub use topology::{
    CpuTopology, TopologySummary, parse_cpu_list, parse_cpu_mask, summarize_topology,
};

use crate::root::{Root, index_suffix};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cpu {
    /// `uname -m` from `proc/sys/kernel/arch`, else told from the cpuinfo layout.
    pub architecture: Option<String>,
    /// `vendor_id` on x86 (`GenuineIntel`), the implementer's name on Arm (`ARM`).
    pub vendor: Option<String>,
    /// Distinct models in order of first appearance; hybrid chips have several.
    pub models: Vec<CpuModel>,
    /// Online logical CPUs.
    pub logical_cpus: Option<u32>,
    pub sockets: Option<u32>,
    /// Physical cores, total over all sockets.
    pub cores: Option<u32>,
    pub cores_per_socket: Option<u32>,
    pub threads_per_core: Option<u32>,
    pub numa_nodes: Option<u32>,
    /// Notable flags present on every CPU, in a fixed order.
    pub features: Vec<String>,
}
serialize_struct!(Cpu {
    architecture,
    vendor,
    models,
    logical_cpus,
    sockets,
    cores,
    cores_per_socket,
    threads_per_core,
    numa_nodes,
    features
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuModel {
    pub name: String,
    /// Logical CPUs of this model listed in cpuinfo.
    pub cpus: u32,
}
serialize_struct!(CpuModel { name, cpus });

pub fn read(root: &mut Root) -> Cpu {
    let info = root.read("proc/cpuinfo").map(|t| parse_cpuinfo(&t));
    if let Some(info) = &info {
        for problem in &info.problems {
            root.warn("proc/cpuinfo", problem.clone());
        }
    }
    let info = info.unwrap_or_default();
    // `uname -m` as the kernel itself says it (Linux 6.1+); cpuinfo cannot tell ppc64 from
    // ppc64le, nor a 32-bit kernel on a 64-bit CPU.
    let architecture = root.text("proc/sys/kernel/arch").or(info.architecture);

    let cpu_dirs: Vec<u32> =
        root.list(topology::CPU_DIR).iter().filter_map(|name| index_suffix(name, "cpu")).collect();
    let online = topology::read_online(root, &cpu_dirs);
    let topology = topology::read_topology(root, online.as_deref().unwrap_or(&[]), &cpu_dirs);
    let summary = if topology.is_empty() && !info.x86_ids.is_empty() {
        x86::summarize_ids(&info.x86_ids)
    } else {
        summarize_topology(&topology)
    };
    let logical_cpus = match &online {
        Some(list) => Some(list.len() as u32),
        None => (info.processors > 0).then_some(info.processors),
    };
    let cores_per_socket = match (summary.cores, summary.sockets) {
        (Some(c), Some(s)) if s > 0 && c % s == 0 => Some(c / s),
        _ => None,
    };
    Cpu {
        architecture,
        vendor: info.vendor,
        models: info.models,
        logical_cpus,
        sockets: summary.sockets,
        cores: summary.cores,
        cores_per_socket,
        threads_per_core: summary.threads_per_core,
        numa_nodes: topology::read_numa_nodes(root),
        features: info.features,
    }
}
