//! Detection: the GPUs of a machine, read once from sysfs.
//!
//! A GPU is each distinct device that owns a DRM render node (virtio-gpu's
//! `virtioN` included), plus each PCI function bound to `nvidia` that has no
//! DRM node (nvidia-drm not loaded). A device with only a card node (simpledrm,
//! a display controller without rendering) is not a GPU.
//!
//! What it must never do: open `/dev` nodes, read PCI `config` space or load
//! NVML. Everything here is ordinary sysfs attributes, which never wake a
//! suspended device. It never fails either: what cannot be read is `None`.
//!
//! The pure parts have files of their own: [`kind`] (what kind of GPU a
//! device is) and [`default`] (which GPU the desktop renders on); [`scan`]
//! reads, through the one seam [`sysfs`].

pub mod amd_apu;
pub mod default;
pub mod gpu;
pub mod kind;
pub mod pci;
pub mod scan;
pub mod sysfs;

pub use default::{COMPOSITOR_VARS, DefaultReason};
pub use gpu::{Details, Gpu, Holder, Holders, Machine, NodeKind, drm_node};
pub use kind::{Kind, classify};
pub use pci::PciAddr;
pub use scan::platform_tag;
pub use sysfs::Sysfs;

/// Inputs to detection besides sysfs.
#[derive(Debug, Clone, Default)]
pub struct Hints<'a> {
    /// Values of [`COMPOSITOR_VARS`], in that order.
    pub compositor: [Option<&'a [u8]>; 3],
    /// `HYPRLAND_INSTANCE_SIGNATURE` is set: without `AQ_DRM_DEVICES`, the
    /// GPU with the most connected internal panels is the default, as
    /// aquamarine decides.
    pub hyprland: bool,
    /// Follow symlinks of compositor entries in the real `/dev` (off on fixture
    /// machines, so real hardware never mixes into a fake one).
    pub follow_dev_links: bool,
    /// Read `power/runtime_status` (a launch does not need it: three system
    /// calls per GPU saved).
    pub read_power: bool,
}

/// Reads the machine from sysfs.
pub fn detect(sys: &Sysfs, hints: &Hints<'_>) -> Machine {
    let mut gpus = scan::scan(sys, hints.read_power);
    gpus.sort_by_key(pci_order);
    let panels = || scan::internal_panels(sys, &gpus);
    let (index, reason) = match default::choose_default(&gpus, hints, panels) {
        Some(found) => found,
        None => return Machine::default(),
    };
    let default = gpus.remove(index);
    gpus.insert(0, default);
    tracing::debug!(reason = %reason, gpu = %gpus[0].describe(), "default GPU");
    Machine {
        gpus,
        default_reason: Some(reason),
    }
}

/// Sort key for "PCI order": PCI GPUs by address, then non-PCI ones by node.
fn pci_order(g: &Gpu) -> (bool, Option<PciAddr>, Option<u32>, Option<u32>) {
    (g.pci.is_none(), g.pci, g.render, g.card)
}
