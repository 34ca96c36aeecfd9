//! The report: every fact diag_tool found, as typed values from the sources plus the
//! warnings met on the way. This is the model the checks judge and the outputs render; it
//! renders nothing itself (its JSON shape is the sources' `Serialize` impls).

use std::path::Path;

use crate::root::{Root, Warning};
use crate::sources::block::{self, BlockDevice};
use crate::sources::cpu::{self, Cpu};
use crate::sources::dmi::{self, Dmi};
use crate::sources::edac::{self, MemoryController};
use crate::sources::fan::{self, Fan};
use crate::sources::host::{self, Host};
use crate::sources::md::{self, MdArray};
use crate::sources::memory::{self, Memory};
use crate::sources::net::{self, Interface};
use crate::sources::nvme::{self, NvmeController};
use crate::sources::pci::{self, PciDevice};
use crate::sources::taint::{self, Taint};
use crate::sources::thermal::{self, Temperature};
use crate::sources::throttle::{self, PackageThrottling};

/// Bumped on any incompatible change to the JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub host: Host,
    pub cpu: Cpu,
    pub memory: Memory,
    pub dmi: Option<Dmi>,
    pub edac: Vec<MemoryController>,
    pub temperatures: Vec<Temperature>,
    pub fans: Vec<Fan>,
    pub thermal_throttling: Vec<PackageThrottling>,
    pub block_devices: Vec<BlockDevice>,
    pub md_arrays: Vec<MdArray>,
    pub nvme_controllers: Vec<NvmeController>,
    pub network_interfaces: Vec<Interface>,
    pub pci_devices: Vec<PciDevice>,
    pub kernel_taint: Option<Taint>,
    pub warnings: Vec<Warning>,
}
serialize_struct!(Report {
    schema_version,
    host,
    cpu,
    memory,
    dmi,
    edac,
    temperatures,
    fans,
    thermal_throttling,
    block_devices,
    md_arrays,
    nvme_controllers,
    network_interfaces,
    pci_devices,
    kernel_taint,
    warnings
});

/// Reads every source below `root_dir`; what cannot be read becomes a warning.
pub fn collect(root_dir: &Path) -> Report {
    let mut root = Root::new(root_dir);
    let host = host::read(&mut root);
    let cpu = cpu::read(&mut root);
    let memory = memory::read(&mut root);
    let dmi = dmi::read(&mut root);
    let edac = edac::read(&mut root);
    let temperatures = thermal::read(&mut root);
    let fans = fan::read(&mut root);
    let thermal_throttling = throttle::read(&mut root);
    let block_devices = block::read(&mut root);
    let md_arrays = md::read(&mut root);
    let nvme_controllers = nvme::read(&mut root);
    let network_interfaces = net::read(&mut root);
    let pci_devices = pci::read(&mut root);
    let kernel_taint = taint::read(&mut root);
    Report {
        schema_version: SCHEMA_VERSION,
        host,
        cpu,
        memory,
        dmi,
        edac,
        temperatures,
        fans,
        thermal_throttling,
        block_devices,
        md_arrays,
        nvme_controllers,
        network_interfaces,
        pci_devices,
        kernel_taint,
        warnings: root.into_warnings(),
    }
}
