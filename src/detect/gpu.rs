//! What detection finds, as plain data: a [`Gpu`], the [`Machine`] (its GPUs
//! in `--list` order), the DRM node names, and the [`Details`] that only
//! `details` fills. Tests and benches build these by hand.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use serde::Serialize;

use crate::detect::DefaultReason;
use crate::detect::kind::Kind;
use crate::detect::pci::{PciAddr, vendor};

/// One GPU as sysfs describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpu {
    /// Its own PCI address, or its nearest PCI ancestor's.
    pub pci: Option<PciAddr>,
    pub vendor_id: Option<u16>,
    pub device_id: Option<u16>,
    /// The kernel driver bound to the device that owns the render node (or to
    /// the PCI function when there is no DRM node).
    pub driver: Option<String>,
    /// `N` of `/dev/dri/renderDN`.
    pub render: Option<u32>,
    /// `N` of `/dev/dri/cardN`.
    pub card: Option<u32>,
    /// `power/runtime_status` as the kernel writes it.
    pub power: Option<String>,
    pub removable: bool,
    /// The PCI device's `boot_display` attribute is 1 (newer kernels: the
    /// firmware's boot display, whatever the PCI class).
    pub boot_display: bool,
    pub boot_vga: bool,
    pub kind: Kind,
    /// Mesa's tag for a non-PCI (platform) device, from its device-tree name.
    pub platform_tag: Option<String>,
    /// The sysfs directory of the device that owns the nodes.
    pub sysfs_path: PathBuf,
}

impl Gpu {
    /// `nvidia`, `amd`, `intel`, `virtio`, or `None` for others.
    pub fn vendor(&self) -> Option<&'static str> {
        match self.vendor_id? {
            vendor::NVIDIA => Some("nvidia"),
            vendor::AMD => Some("amd"),
            vendor::INTEL => Some("intel"),
            vendor::VIRTIO => Some("virtio"),
            _ => None,
        }
    }

    pub fn driver_is(&self, name: &str) -> bool {
        self.driver.as_deref() == Some(name)
    }

    pub fn render_node(&self) -> Option<String> {
        self.render.map(|n| format!("/dev/dri/renderD{n}"))
    }

    pub fn card_node(&self) -> Option<String> {
        self.card.map(|n| format!("/dev/dri/card{n}"))
    }

    /// True when `name` (`renderD129`, `card1`) is one of this GPU's nodes.
    pub fn has_node(&self, name: &[u8]) -> bool {
        match drm_node(OsStr::from_bytes(name)) {
            Some((NodeKind::Render, n)) => self.render == Some(n),
            Some((NodeKind::Card, n)) => self.card == Some(n),
            None => false,
        }
    }

    /// True when its runtime status says it is asleep (or falling asleep):
    /// then opening its render node or `nvmlInit` would wake it. An unknown
    /// status counts as awake, which is what a GPU without runtime power
    /// management is.
    pub fn asleep(&self) -> bool {
        matches!(self.power.as_deref(), Some("suspended" | "suspending"))
    }

    /// A short human description: `0000:01:00.0 nvidia (nvidia) renderD129`.
    pub fn describe(&self) -> String {
        let mut s = match self.pci {
            Some(p) => p.to_string(),
            None => self
                .sysfs_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "?".into()),
        };
        s.push(' ');
        s.push_str(self.vendor().unwrap_or("unknown"));
        s.push_str(" (");
        s.push_str(self.driver.as_deref().unwrap_or("no driver"));
        s.push(')');
        if let Some(n) = self.render {
            s.push_str(&format!(" renderD{n}"));
        } else if let Some(n) = self.card {
            s.push_str(&format!(" card{n}"));
        }
        s
    }
}

/// The GPUs of a machine in `--list` order: index 0 is the default GPU (the one
/// the desktop renders on), the rest follow in PCI address order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Machine {
    pub gpus: Vec<Gpu>,
    pub default_reason: Option<DefaultReason>,
}

impl Machine {
    pub fn is_default(&self, index: usize) -> bool {
        index == 0 && !self.gpus.is_empty()
    }
}

/// What is known of a GPU beyond sysfs: filled by `details` (NVML, pci.ids,
/// the DRM ioctl) for `--list`, `--doctor` and `--status`, never on a launch;
/// `None` (JSON `null`) when unknown. Serialized flat into the GPU object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Details {
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub memory_total_mib: Option<u64>,
    pub memory_used_mib: Option<u64>,
    pub utilization_percent: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub driver_version: Option<String>,
}

/// A process that holds one of a GPU's device nodes open (found by
/// `session::holders` for `--list` and `--status`, never on a launch).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Holder {
    pub pid: u32,
    /// `/proc/<pid>/comm`.
    pub command: String,
    /// The node's canonical name (`/dev/dri/renderD129`, `/dev/nvidia0`),
    /// whatever path the process opened it by.
    pub node: String,
}

/// A GPU's holders, sorted by pid (then node), and whether every process
/// could be inspected. Serialized flat into the GPU object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Holders {
    pub holders: Vec<Holder>,
    pub holders_complete: bool,
}

/// `renderD128` -> `Some(("renderD", 128))`, `card1` -> `Some(("card", 1))`;
/// connector entries (`card1-eDP-1`) and anything else give `None`.
pub fn drm_node(name: &OsStr) -> Option<(NodeKind, u32)> {
    let bytes = name.as_bytes();
    let (kind, digits) = if let Some(d) = bytes.strip_prefix(b"renderD") {
        (NodeKind::Render, d)
    } else if let Some(d) = bytes.strip_prefix(b"card") {
        (NodeKind::Card, d)
    } else {
        return None;
    };
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some((kind, n))
}

/// The two kinds of DRM node gpu-launch cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Card,
    Render,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drm_node_names() {
        assert_eq!(
            drm_node(OsStr::new("renderD129")),
            Some((NodeKind::Render, 129))
        );
        assert_eq!(drm_node(OsStr::new("card0")), Some((NodeKind::Card, 0)));
        assert_eq!(drm_node(OsStr::new("card1-eDP-1")), None);
        assert_eq!(drm_node(OsStr::new("card")), None);
        assert_eq!(drm_node(OsStr::new("version")), None);
        assert_eq!(drm_node(OsStr::new("renderD99999999999")), None);
        // Nine digits at most (u32 holds them all); digits only.
        assert_eq!(
            drm_node(OsStr::new("renderD999999999")),
            Some((NodeKind::Render, 999_999_999))
        );
        assert_eq!(
            drm_node(OsStr::new("card123456789")),
            Some((NodeKind::Card, 123_456_789))
        );
        assert_eq!(drm_node(OsStr::new("card1234567890")), None);
        assert_eq!(drm_node(OsStr::new("renderD12a")), None);
        assert_eq!(drm_node(OsStr::new("card+1")), None);
        assert_eq!(drm_node(OsStr::new("renderD")), None);
    }

    /// The description notes and `--dry-run` name a GPU by: address (or
    /// sysfs name), vendor, driver, and its render node (else card node).
    #[test]
    fn descriptions_name_the_gpu() {
        let nvidia = Gpu {
            pci: PciAddr::parse_sysfs("0000:01:00.0"),
            vendor_id: Some(vendor::NVIDIA),
            device_id: Some(0x2520),
            driver: Some("nvidia".into()),
            render: Some(129),
            card: Some(1),
            power: None,
            removable: false,
            boot_display: false,
            boot_vga: false,
            kind: Kind::Discrete,
            platform_tag: None,
            sysfs_path: "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0".into(),
        };
        assert_eq!(nvidia.describe(), "0000:01:00.0 nvidia (nvidia) renderD129");
        let display = Gpu {
            pci: None,
            vendor_id: None,
            driver: None,
            render: None,
            card: Some(0),
            sysfs_path: "/sys/devices/platform/display-subsystem".into(),
            ..nvidia.clone()
        };
        assert_eq!(
            display.describe(),
            "display-subsystem unknown (no driver) card0"
        );
    }
}
