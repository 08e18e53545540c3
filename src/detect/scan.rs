//! The scan: which devices of `class/drm` (and of the `nvidia` PCI driver)
//! are GPUs, and what sysfs says of each. Everything is an ordinary sysfs
//! attribute or link read through [`Sysfs`]; what cannot be read is `None`.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::detect::gpu::{Gpu, NodeKind, drm_node};
use crate::detect::kind::classify;
use crate::detect::pci::{self, PciAddr};
use crate::detect::sysfs::{self, Sysfs};
use crate::os::paths;

#[derive(Default)]
struct Nodes {
    card: Option<u32>,
    render: Option<u32>,
}

pub fn scan(sys: &Sysfs, read_power: bool) -> Vec<Gpu> {
    let class = sys.path("class/drm");
    // Device directory -> its nodes. BTreeMap: deterministic, deduplicating;
    // keyed by bytes (a `PathBuf` key would parse components per compare).
    let mut devices: BTreeMap<std::ffi::OsString, Nodes> = BTreeMap::new();
    for name in sys.list(&class) {
        let Some((kind, n)) = drm_node(&name) else {
            continue;
        };
        let Some(device) = node_device(sys, &paths::join(&class, name.as_bytes())) else {
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
        if let Some(drm) = paths::parent(&real) {
            if paths::name(drm) == b"drm" && sys.below_root(drm) {
                return paths::parent(drm).map(Path::to_path_buf);
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
    let mut boot_display = false;
    let mut boot_vga = false;
    let mut removable = false;
    let mut virtual_function = false;
    if let Some(dir) = pci_dir {
        pci = sysfs::uevent_value(pci_ev, "PCI_SLOT_NAME")
            .and_then(PciAddr::parse_sysfs)
            .or_else(|| PciAddr::parse_sysfs(std::str::from_utf8(paths::name(dir)).ok()?));
        ids = sysfs::uevent_value(pci_ev, "PCI_ID")
            .and_then(pci::parse_id_pair)
            .or_else(|| {
                let v = pci::parse_id(&sys.attr(dir, "vendor")?)?;
                let d = pci::parse_id(&sys.attr(dir, "device")?)?;
                Some((v, d))
            });
        // Newer kernels (wlroots reads it first); absent elsewhere: one
        // failed open per PCI GPU.
        boot_display = sys.attr(dir, "boot_display").as_deref() == Some("1");
        boot_vga = sys.attr(dir, "boot_vga").as_deref() == Some("1");
        removable = sys.attr(dir, "removable").as_deref() == Some("removable");
        // An SR-IOV virtual function links to its physical function.
        virtual_function = sys.link_name(dir, "physfn").is_some();
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
    let kind = classify(
        pci,
        vendor_id,
        device_id,
        driver.as_deref(),
        removable,
        virtual_function,
    );
    Some(Gpu {
        pci,
        vendor_id,
        device_id,
        driver,
        render: nodes.render,
        card: nodes.card,
        power,
        removable,
        boot_display,
        boot_vga,
        kind,
        platform_tag,
        sysfs_path: path,
    })
}

/// How many connected internal panels (`cardN-eDP-*`, `cardN-LVDS-*`,
/// `cardN-DSI-*` whose `status` is `connected`) each of `gpus` drives, by
/// the card number in the connector's name. Read only for the Hyprland rule
/// of the default GPU: a connector's `status` is the kernel's last known
/// state (reading it probes nothing).
pub fn internal_panels(sys: &Sysfs, gpus: &[Gpu]) -> Vec<u32> {
    let mut counts = vec![0u32; gpus.len()];
    let class = sys.path("class/drm");
    for name in sys.list(&class) {
        let Some(card) = internal_panel_card(name.as_bytes()) else {
            continue;
        };
        let Some(i) = gpus.iter().position(|g| g.card == Some(card)) else {
            continue;
        };
        let dir = paths::join(&class, name.as_bytes());
        if sys.attr(&dir, "status").as_deref() == Some("connected") {
            counts[i] += 1;
        }
    }
    counts
}

/// `card1-eDP-1` -> `Some(1)`; other connectors and nodes -> `None`.
fn internal_panel_card(name: &[u8]) -> Option<u32> {
    let rest = name.strip_prefix(b"card")?;
    let dash = rest.iter().position(|b| *b == b'-')?;
    let (digits, connector) = (&rest[..dash], &rest[dash + 1..]);
    let internal = [&b"eDP-"[..], b"LVDS-", b"DSI-"]
        .iter()
        .any(|t| connector.starts_with(t));
    if !internal || digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The PCI function a device is or hangs off: the nearest directory on its
/// path whose name is a PCI address (`.../0000:00:01.0/virtio0` -> `0000:00:01.0`).
fn pci_function(path: &Path) -> Option<PathBuf> {
    let mut p = path;
    loop {
        let name = paths::name(p);
        if name.contains(&b':')
            && std::str::from_utf8(name).is_ok_and(|n| PciAddr::parse_sysfs(n).is_some())
        {
            return Some(p.to_path_buf());
        }
        p = paths::parent(p)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest directory named like a PCI address: not one whose name
    /// merely has a colon (an ACPI device, a host bridge).
    #[test]
    fn the_pci_function_a_device_hangs_off() {
        let f = |p: &str| pci_function(Path::new(p)).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(
            f("/sys/devices/pci0000:00/0000:00:01.0/virtio0"),
            Some("/sys/devices/pci0000:00/0000:00:01.0".into())
        );
        assert_eq!(
            f("/sys/devices/pci0000:00/0000:00:02.0"),
            Some("/sys/devices/pci0000:00/0000:00:02.0".into())
        );
        assert_eq!(f("/sys/devices/LNXSYSTM:00/ACPI0007:00/gpu"), None);
        assert_eq!(f("/sys/devices/pci0000:00/virtual"), None);
        assert_eq!(f("/sys/devices/platform/soc/ff9a0000.gpu"), None);
    }

    #[test]
    fn internal_panels_by_connector_name() {
        assert_eq!(internal_panel_card(b"card1-eDP-1"), Some(1));
        assert_eq!(internal_panel_card(b"card12-LVDS-2"), Some(12));
        assert_eq!(internal_panel_card(b"card0-DSI-1"), Some(0));
        assert_eq!(internal_panel_card(b"card1-DP-1"), None);
        assert_eq!(internal_panel_card(b"card1-HDMI-A-1"), None);
        assert_eq!(internal_panel_card(b"card1"), None);
        assert_eq!(internal_panel_card(b"renderD128"), None);
        assert_eq!(internal_panel_card(b"card-eDP-1"), None);
        assert_eq!(internal_panel_card(b"cardx-eDP-1"), None);
        assert_eq!(
            internal_panel_card(b"card999999999-eDP-1"),
            Some(999_999_999)
        );
        assert_eq!(internal_panel_card(b"card1234567890-eDP-1"), None);
        assert_eq!(internal_panel_card(b"card1eDP-1"), None);
        assert_eq!(internal_panel_card(b"card+1-eDP-1"), None);
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
