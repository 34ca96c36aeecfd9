//! One module per kernel interface diag_tool reads: each holds the typed value it gives, a
//! pure parser from the file's text to that value, and a thin `read` that takes the [`Root`].
//! Sources know nothing of checks or output.
//!
//! [`Root`]: crate::root::Root

pub mod block;
pub mod cpu;
pub mod dmi;
pub mod edac;
pub mod fan;
pub mod host;
pub mod md;
pub mod memory;
pub mod net;
pub mod nvme;
pub mod pci;
pub mod taint;
pub mod thermal;
pub mod throttle;
