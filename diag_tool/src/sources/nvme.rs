//! NVMe controllers from `sys/class/nvme`: model, serial, firmware and controller state.

use crate::root::Root;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvmeController {
    /// `nvme0`.
    pub name: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// `firmware_rev`.
    pub firmware: Option<String>,
    /// `state`: `live` when working; `new`, `resetting`, `connecting`, `deleting`,
    /// `deleting (no IO)`, `dead` otherwise (`nvme_ctrl_state_show` in `drivers/nvme/host/sysfs.c`).
    pub state: Option<String>,
    /// `transport`: `pcie`, `tcp`, `rdma`, `fc`, `loop`.
    pub transport: Option<String>,
    /// `address`: the PCI address for `pcie`, `traddr=...` for fabrics.
    pub address: Option<String>,
}
serialize_struct!(NvmeController { name, model, serial, firmware, state, transport, address });

impl NvmeController {
    pub fn is_live(&self) -> bool {
        self.state.as_deref() == Some("live")
    }
}

pub fn read(root: &mut Root) -> Vec<NvmeController> {
    const NVME_DIR: &str = "sys/class/nvme";
    let mut controllers = Vec::new();
    for name in root.list(NVME_DIR) {
        if crate::root::index_suffix(&name, "nvme").is_none() {
            continue;
        }
        let dir = format!("{NVME_DIR}/{name}");
        if !root.is_dir(&dir) {
            root.warn(&dir, "dangling symlink or not a directory");
            continue;
        }
        // Model, serial and firmware are space-padded fields of the Identify data.
        controllers.push(NvmeController {
            model: root.text(&format!("{dir}/model")),
            serial: root.text(&format!("{dir}/serial")),
            firmware: root.text(&format!("{dir}/firmware_rev")),
            state: root.text(&format!("{dir}/state")),
            transport: root.text(&format!("{dir}/transport")),
            address: root.text(&format!("{dir}/address")),
            name,
        });
    }
    controllers
}
