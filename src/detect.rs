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

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::amd_apu;
use crate::pci::{self, PciAddr, vendor};
use crate::sysfs::{self, NodeKind, Sysfs};

/// What kind of GPU a device is (`--list`'s `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Part of the CPU or SoC.
    Integrated,
    /// A PCI GPU of its own.
    Discrete,
    /// A discrete GPU behind a removable link (Thunderbolt/USB4 eGPU).
    External,
    /// virtio-gpu and other paravirtual GPUs.
    Virtual,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Integrated => "integrated",
            Kind::Discrete => "discrete",
            Kind::External => "external",
            Kind::Virtual => "virtual",
        }
    }

    /// External GPUs also count as discrete.
    pub fn is_discrete(self) -> bool {
        matches!(self, Kind::Discrete | Kind::External)
    }
}

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
        match sysfs::drm_node(OsStr::from_bytes(name)) {
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

/// Why the default GPU is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultReason {
    /// The first entry of a compositor variable (`AQ_DRM_DEVICES`, ...).
    Compositor {
        var: &'static str,
        entry: String,
    },
    BootVga,
    Only,
    FirstIntegrated,
    First,
}

impl std::fmt::Display for DefaultReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DefaultReason::Compositor { var, entry } => {
                write!(f, "first entry of {var} ({entry})")
            }
            DefaultReason::BootVga => f.write_str("boot_vga = 1"),
            DefaultReason::Only => f.write_str("the only GPU"),
            DefaultReason::FirstIntegrated => f.write_str("first integrated GPU in PCI order"),
            DefaultReason::First => f.write_str("first GPU in PCI order"),
        }
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
    pub fn default_gpu(&self) -> Option<&Gpu> {
        self.gpus.first()
    }

    pub fn is_default(&self, index: usize) -> bool {
        index == 0 && !self.gpus.is_empty()
    }
}

/// The compositor variables that name the GPU the desktop renders on, in the
/// order they are consulted.
pub const COMPOSITOR_VARS: [&str; 3] = ["AQ_DRM_DEVICES", "WLR_DRM_DEVICES", "KWIN_DRM_DEVICES"];

/// Inputs to detection besides sysfs.
#[derive(Debug, Clone, Default)]
pub struct Hints<'a> {
    /// Values of [`COMPOSITOR_VARS`], in that order.
    pub compositor: [Option<&'a [u8]>; 3],
    /// Follow symlinks of compositor entries in the real `/dev` (off on fixture
    /// machines, so real hardware never mixes into a fake one).
    pub follow_dev_links: bool,
    /// Read `power/runtime_status` (a launch does not need it: three system
    /// calls per GPU saved).
    pub read_power: bool,
}

/// Reads the machine from sysfs.
pub fn detect(sys: &Sysfs, hints: &Hints<'_>) -> Machine {
    let mut gpus = scan(sys, hints.read_power);
    gpus.sort_by_key(pci_order);
    let (index, reason) = match choose_default(&gpus, hints) {
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

#[derive(Default)]
struct Nodes {
    card: Option<u32>,
    render: Option<u32>,
}

fn scan(sys: &Sysfs, read_power: bool) -> Vec<Gpu> {
    let class = sys.path("class/drm");
    // Device directory -> its nodes. BTreeMap: deterministic, deduplicating;
    // keyed by bytes (a `PathBuf` key would parse components per compare).
    let mut devices: BTreeMap<std::ffi::OsString, Nodes> = BTreeMap::new();
    for name in sys.list(&class) {
        let Some((kind, n)) = sysfs::drm_node(&name) else {
            continue;
        };
        let Some(device) = node_device(sys, &sysfs::join(&class, name.as_bytes())) else {
            tracing::debug!(node = ?name, "DRM node without a device; skipped");
            continue;
        };
        let nodes = devices.entry(device.into_os_string()).or_default();
        let slot = match kind {
            NodeKind::Card => &mut nodes.card,
            NodeKind::Render => &mut nodes.render,
        };
        *slot = Some(slot.map_or(n, |old| old.min(n)));
    }

    // PCI functions bound to nvidia: GPUs even without DRM nodes.
    let nvidia = sys.path("bus/pci/drivers/nvidia");
    for name in sys.list(&nvidia) {
        let Some(name) = name.to_str() else { continue };
        if PciAddr::parse_sysfs(name).is_none() {
            continue;
        }
        if let Some(device) = sys.link(&nvidia, name) {
            devices.entry(device.into_os_string()).or_default();
        }
    }

    let mut gpus = Vec::with_capacity(devices.len());
    for (path, nodes) in devices {
        if let Some(gpu) = read_gpu(sys, PathBuf::from(path), nodes, read_power) {
            gpus.push(gpu);
        }
    }
    gpus
}

/// The device directory that owns a DRM node entry of `class/drm`.
///
/// The kernel puts a class device at `<parent>/drm/<node>` and links
/// `class/drm/<node>` there, so the owner is the link target's grandparent:
/// one `readlink`. A tree laid out otherwise (no link, no `drm` directory)
/// is asked through the node's `device` link. The `drm` directory must be
/// below the root: a root that is itself named `drm` is no owner's.
fn node_device(sys: &Sysfs, entry: &Path) -> Option<PathBuf> {
    let real = sys.real(entry)?;
    if real.as_os_str().as_bytes() != entry.as_os_str().as_bytes() {
        if let Some(drm) = sysfs::parent(&real) {
            if sysfs::name(drm) == b"drm" && sys.below_root(drm) {
                return sysfs::parent(drm).map(Path::to_path_buf);
            }
        }
    }
    sys.link(&real, "device")
}

fn read_gpu(sys: &Sysfs, path: PathBuf, nodes: Nodes, read_power: bool) -> Option<Gpu> {
    let uevent = sys.attr(&path, "uevent").unwrap_or_default();
    let driver = sysfs::uevent_value(&uevent, "DRIVER")
        .map(str::to_owned)
        .or_else(|| sys.link_name(&path, "driver"));

    // A card-only device is a GPU only when nvidia drives it (nvidia's
    // PCI function without render node); simpledrm and friends are not GPUs.
    if nodes.render.is_none() && driver.as_deref() != Some("nvidia") {
        return None;
    }

    let pci_path = pci_function(&path);
    let pci_uevent;
    let (pci_dir, pci_ev) = match &pci_path {
        Some(p) if p.as_os_str() == path.as_os_str() => (Some(p.as_path()), uevent.as_str()),
        Some(p) => {
            pci_uevent = sys.attr(p, "uevent").unwrap_or_default();
            (Some(p.as_path()), pci_uevent.as_str())
        }
        None => (None, ""),
    };

    let mut pci = None;
    let mut ids = None;
    let mut boot_vga = false;
    let mut removable = false;
    if let Some(dir) = pci_dir {
        pci = sysfs::uevent_value(pci_ev, "PCI_SLOT_NAME")
            .and_then(PciAddr::parse_sysfs)
            .or_else(|| PciAddr::parse_sysfs(std::str::from_utf8(sysfs::name(dir)).ok()?));
        ids = sysfs::uevent_value(pci_ev, "PCI_ID")
            .and_then(pci::parse_id_pair)
            .or_else(|| {
                let v = pci::parse_id(&sys.attr(dir, "vendor")?)?;
                let d = pci::parse_id(&sys.attr(dir, "device")?)?;
                Some((v, d))
            });
        boot_vga = sys.attr(dir, "boot_vga").as_deref() == Some("1");
        removable = sys.attr(dir, "removable").as_deref() == Some("removable");
    }
    let power = if read_power {
        sys.attr(pci_dir.unwrap_or(&path), "power/runtime_status")
    } else {
        None
    };
    let platform_tag = if pci.is_none() {
        sysfs::uevent_value(&uevent, "OF_FULLNAME").and_then(platform_tag)
    } else {
        None
    };

    let (vendor_id, device_id) = match ids {
        Some((v, d)) => (Some(v), Some(d)),
        None => (None, None),
    };
    let kind = classify(pci, vendor_id, device_id, driver.as_deref(), removable);
    Some(Gpu {
        pci,
        vendor_id,
        device_id,
        driver,
        render: nodes.render,
        card: nodes.card,
        power,
        removable,
        boot_vga,
        kind,
        platform_tag,
        sysfs_path: path,
    })
}

/// The PCI function a device is or hangs off: the nearest directory on its
/// path whose name is a PCI address (`.../0000:00:01.0/virtio0` -> `0000:00:01.0`).
fn pci_function(path: &Path) -> Option<PathBuf> {
    let mut p = path;
    loop {
        let name = sysfs::name(p);
        if name.contains(&b':')
            && std::str::from_utf8(name).is_ok_and(|n| PciAddr::parse_sysfs(n).is_some())
        {
            return Some(p.to_path_buf());
        }
        p = sysfs::parent(p)?;
    }
}

/// Mesa's tag for a platform device from its device-tree full name
/// (`/soc/gpu@ff9a0000` -> `platform-ff9a0000_gpu`), as Mesa's loader builds it.
///
/// `None` unless the node name and unit address use only the characters
/// the Devicetree Specification allows in them (v0.4, 2.2.1, table 2.1:
/// `0-9 a-z A-Z , . _ + -`): the tag becomes `DRI_PRIME`, which must never
/// end with `!` or carry anything else a damaged `uevent` might hold.
pub fn platform_tag(fullname: &str) -> Option<String> {
    let name = fullname.rsplit('/').next()?;
    let dt = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b",._+-".contains(&b))
    };
    match name.split_once('@') {
        Some((name, address)) if dt(name) && dt(address) => {
            Some(format!("platform-{address}_{name}"))
        }
        None if dt(name) => Some(format!("platform-{name}")),
        _ => None,
    }
}

/// Drivers of paravirtual GPUs.
const VIRTUAL_DRIVERS: &[&str] = &[
    "virtio_gpu",
    "virtio-gpu",
    "vmwgfx",
    "qxl",
    "vboxvideo",
    "vgem",
    "vkms",
    "bochs",
    "bochs-drm",
    "cirrus",
    "cirrus-qemu",
    "hyperv_drm",
    "xen_drm_front",
];

/// PCI vendors whose display devices are all paravirtual.
const VIRTUAL_VENDORS: &[u16] = &[
    vendor::VIRTIO,
    vendor::VMWARE,
    vendor::QEMU,
    vendor::BOCHS,
    vendor::VIRTUALBOX,
    vendor::HYPERV,
];

/// The kind of a GPU, from what sysfs says of it. `boot_vga` never decides it.
pub fn classify(
    pci: Option<PciAddr>,
    vendor_id: Option<u16>,
    device_id: Option<u16>,
    driver: Option<&str>,
    removable: bool,
) -> Kind {
    let is_virtual = driver.is_some_and(|d| VIRTUAL_DRIVERS.contains(&d))
        || vendor_id.is_some_and(|v| VIRTUAL_VENDORS.contains(&v));
    if is_virtual {
        return Kind::Virtual;
    }
    let Some(addr) = pci else {
        // A SoC's GPU: a platform device with no PCI function.
        return Kind::Integrated;
    };
    if removable {
        return Kind::External;
    }
    match (vendor_id, device_id) {
        // Intel's integrated GPUs always sit at 00:02.0.
        (Some(vendor::INTEL), _) if addr == PciAddr::new(0, 0, 2, 0) => Kind::Integrated,
        (Some(vendor::AMD), Some(id)) if amd_apu::is_amd_apu(id) => Kind::Integrated,
        _ => Kind::Discrete,
    }
}

fn choose_default(gpus: &[Gpu], hints: &Hints<'_>) -> Option<(usize, DefaultReason)> {
    if gpus.is_empty() {
        return None;
    }
    for (var, value) in COMPOSITOR_VARS.iter().zip(hints.compositor.iter()) {
        let Some(value) = value else { continue };
        let Some(first) = value.split(|b| *b == b':').next().filter(|e| !e.is_empty()) else {
            continue;
        };
        let node = entry_node_name(first, hints.follow_dev_links);
        if let Some(i) = gpus.iter().position(|g| g.has_node(&node)) {
            let entry = String::from_utf8_lossy(first).into_owned();
            return Some((i, DefaultReason::Compositor { var, entry }));
        }
        tracing::debug!(var, entry = %String::from_utf8_lossy(first), "names no GPU; next rule");
    }
    if let Some(i) = gpus.iter().position(|g| g.boot_vga) {
        return Some((i, DefaultReason::BootVga));
    }
    if gpus.len() == 1 {
        return Some((0, DefaultReason::Only));
    }
    if let Some(i) = gpus.iter().position(|g| g.kind == Kind::Integrated) {
        return Some((i, DefaultReason::FirstIntegrated));
    }
    Some((0, DefaultReason::First))
}

/// The node name a compositor entry refers to: its file name, after following
/// symlinks (`/dev/dri/igpu -> card1`) when allowed and the path exists.
fn entry_node_name(entry: &[u8], follow: bool) -> Vec<u8> {
    let given = Path::new(OsStr::from_bytes(entry));
    if follow {
        // Follow the entry's own link chain (`igpu -> card1`); only its last
        // component names the node. A few `readlink`s, never an `open`.
        let mut path = given.to_path_buf();
        for _ in 0..16 {
            let Ok(target) = std::fs::read_link(&path) else {
                break;
            };
            path = match sysfs::parent(&path) {
                Some(dir) if target.is_relative() => dir.join(target),
                _ => target,
            };
        }
        if path.as_os_str() != given.as_os_str() && path.exists() {
            return sysfs::name(&path).to_vec();
        }
    }
    sysfs::name(given).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let igpu = PciAddr::new(0, 0, 2, 0);
        let dgpu = PciAddr::new(0, 1, 0, 0);
        let c = |pci, v, d, drv, rem| classify(pci, v, d, drv, rem);
        assert_eq!(
            c(Some(igpu), Some(0x8086), Some(0x9a49), Some("i915"), false),
            Kind::Integrated
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 3, 0, 0)),
                Some(0x8086),
                Some(0x56a0),
                Some("i915"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(
                Some(dgpu),
                Some(0x10de),
                Some(0x25a2),
                Some("nvidia"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(Some(dgpu), Some(0x10de), Some(0x25a2), Some("nvidia"), true),
            Kind::External
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 5, 0, 0)),
                Some(0x1002),
                Some(0x15e7),
                Some("amdgpu"),
                false
            ),
            Kind::Integrated
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 3, 0, 0)),
                Some(0x1002),
                Some(0x73bf),
                Some("amdgpu"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 0, 1, 0)),
                Some(0x1af4),
                Some(0x1050),
                Some("virtio_gpu"),
                false
            ),
            Kind::Virtual
        );
        assert_eq!(
            c(None, None, None, Some("panfrost"), false),
            Kind::Integrated
        );
        assert_eq!(c(None, None, None, Some("vgem"), false), Kind::Virtual);
    }

    #[test]
    fn compositor_entries_follow_their_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("card1"), "").unwrap();
        std::os::unix::fs::symlink("card1", d.join("igpu")).unwrap();
        std::os::unix::fs::symlink(d.join("igpu"), d.join("gpu-link")).unwrap();
        std::os::unix::fs::symlink("card9", d.join("dangling")).unwrap();
        let name = |p: &Path, follow| entry_node_name(p.as_os_str().as_bytes(), follow);
        assert_eq!(name(&d.join("igpu"), true), b"card1");
        assert_eq!(name(&d.join("gpu-link"), true), b"card1");
        assert_eq!(
            name(&d.join("igpu"), false),
            b"igpu",
            "fixture machines never follow"
        );
        assert_eq!(name(&d.join("dangling"), true), b"dangling");
        assert_eq!(name(Path::new("/dev/dri/card0"), false), b"card0");
    }

    #[test]
    fn platform_tags_follow_mesa() {
        assert_eq!(
            platform_tag("/soc/gpu@ff9a0000").as_deref(),
            Some("platform-ff9a0000_gpu")
        );
        assert_eq!(platform_tag("/gpu").as_deref(), Some("platform-gpu"));
        assert_eq!(platform_tag("/"), None);
    }

    #[test]
    fn platform_tag_of_a_damaged_of_fullname_is_none() {
        // `OF_FULLNAME=/soc/gpu!` gave `DRI_PRIME=platform-gpu!`, which Mesa
        // reads as "this tag, and force it"; other bytes went into the
        // variable unchecked.
        for bad in [
            "/soc/gpu!",
            "/soc/gpu@ff9a0000!",
            "/soc/gpu@",
            "/soc/@ff9a0000",
            "/soc/gpu@a@b",
            "/soc/g pu",
            "/soc/gpu'$(x)",
            "/soc/gpu\u{0}",
            "/soc/gpü",
        ] {
            assert_eq!(platform_tag(bad), None, "{bad:?}");
        }
        assert_eq!(
            platform_tag("/soc/gpu,mali-g52@ff9a0000").as_deref(),
            Some("platform-ff9a0000_gpu,mali-g52")
        );
    }
}
