//! The default GPU: the one the compositor renders on, decided as the
//! compositors themselves decide (the contract's "The default GPU"). Pure,
//! but for following a compositor entry's symbolic link in `/dev`, which
//! goes through [`files::follow_links`] (readlink, never open) and only on
//! a real machine.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::detect::Hints;
use crate::detect::gpu::Gpu;
use crate::detect::kind::Kind;
use crate::os::files;
use crate::os::paths;

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

/// The compositor variables that name the GPU the desktop renders on, in the
/// order they are consulted.
pub const COMPOSITOR_VARS: [&str; 3] = ["AQ_DRM_DEVICES", "WLR_DRM_DEVICES", "KWIN_DRM_DEVICES"];

pub fn choose_default(gpus: &[Gpu], hints: &Hints<'_>) -> Option<(usize, DefaultReason)> {
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
    // Only the last component of the chain's end names the node.
    match follow.then(|| files::follow_links(given)).flatten() {
        Some(node) => paths::name(&node).to_vec(),
        None => paths::name(given).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositor_entries_name_the_node_their_links_lead_to() {
        // The link walk itself is os::files::follow_links's (tested there).
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("card1"), "").unwrap();
        let igpu = dir.path().join("igpu");
        std::os::unix::fs::symlink("card1", &igpu).unwrap();
        let name = |p: &Path, follow| entry_node_name(p.as_os_str().as_bytes(), follow);
        assert_eq!(name(&igpu, true), b"card1");
        assert_eq!(name(&igpu, false), b"igpu", "fixture machines never follow");
        assert_eq!(name(Path::new("/dev/dri/card0"), false), b"card0");
        assert_eq!(name(Path::new("/nonexistent/card7"), true), b"card7");
    }

    fn gpu(card: u32, kind: Kind, boot_vga: bool) -> Gpu {
        Gpu {
            pci: None,
            vendor_id: None,
            device_id: None,
            driver: None,
            render: Some(128 + card),
            card: Some(card),
            power: None,
            removable: false,
            boot_vga,
            kind,
            platform_tag: None,
            sysfs_path: format!("/sys/devices/gpu{card}").into(),
        }
    }

    #[test]
    fn the_default_gpu_rules_in_order() {
        let choose = |gpus: &[Gpu], aq: Option<&str>| {
            let hints = Hints {
                compositor: [aq.map(str::as_bytes), None, None],
                ..Hints::default()
            };
            choose_default(gpus, &hints).map(|(i, r)| (i, r.to_string()))
        };
        let (igpu, dgpu) = (Kind::Integrated, Kind::Discrete);
        assert_eq!(choose(&[], Some("/dev/dri/card0")), None);
        let two = [gpu(0, dgpu, false), gpu(1, igpu, true)];
        assert_eq!(
            choose(&two, Some("/dev/dri/card0:/dev/dri/card1")),
            Some((0, "first entry of AQ_DRM_DEVICES (/dev/dri/card0)".into()))
        );
        // An entry that names no GPU passes to the next rule: boot_vga.
        assert_eq!(
            choose(&two, Some("/dev/dri/card9")),
            Some((1, "boot_vga = 1".into()))
        );
        assert_eq!(choose(&two[..1], None), Some((0, "the only GPU".into())));
        let no_vga = [gpu(0, dgpu, false), gpu(1, igpu, false)];
        assert_eq!(
            choose(&no_vga, None),
            Some((1, "first integrated GPU in PCI order".into()))
        );
        let dgpus = [gpu(0, dgpu, false), gpu(1, dgpu, false)];
        assert_eq!(
            choose(&dgpus, None),
            Some((0, "first GPU in PCI order".into()))
        );
    }
}
