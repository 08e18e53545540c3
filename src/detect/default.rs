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

/// Why the default GPU is the default: the rule of the contract's "The
/// default GPU" that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultReason {
    /// The first entry of a compositor variable (`AQ_DRM_DEVICES`, ...) that
    /// names a GPU.
    Compositor {
        var: &'static str,
        entry: String,
    },
    /// Hyprland without `AQ_DRM_DEVICES`: the one GPU with the most connected
    /// internal panels (aquamarine's rule).
    InternalPanels {
        count: u32,
    },
    BootDisplay,
    BootVga,
    Only,
    FirstIntegrated,
    First,
}

impl DefaultReason {
    /// A short, stable name of the rule (`--list --json`'s `default_rule`).
    pub fn rule(&self) -> &'static str {
        match self {
            DefaultReason::Compositor { var, .. } => var,
            DefaultReason::InternalPanels { .. } => "internal_panels",
            DefaultReason::BootDisplay => "boot_display",
            DefaultReason::BootVga => "boot_vga",
            DefaultReason::Only => "only",
            DefaultReason::FirstIntegrated => "first_integrated",
            DefaultReason::First => "first",
        }
    }
}

impl std::fmt::Display for DefaultReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DefaultReason::Compositor { var, entry } => {
                write!(f, "first entry of {var} that names a GPU ({entry})")
            }
            DefaultReason::InternalPanels { count } => write!(
                f,
                "Hyprland: the GPU with the most connected internal panels ({count})"
            ),
            DefaultReason::BootDisplay => f.write_str("boot_display = 1"),
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

/// The default GPU among `gpus` (in PCI order) and the rule that decided.
///
/// `panels` counts each GPU's connected internal panels; it is called only
/// when the Hyprland rule is reached (Hyprland, no `AQ_DRM_DEVICES`, no
/// other compositor variable naming a GPU), so connectors are read then and
/// only then.
pub fn choose_default(
    gpus: &[Gpu],
    hints: &Hints<'_>,
    panels: impl FnOnce() -> Vec<u32>,
) -> Option<(usize, DefaultReason)> {
    if gpus.is_empty() {
        return None;
    }
    for (var, value) in COMPOSITOR_VARS.iter().zip(hints.compositor.iter()) {
        let Some(value) = value else { continue };
        for entry in split_entries(value, *var == "KWIN_DRM_DEVICES") {
            let node = entry_node_name(&entry, hints.follow_dev_links);
            if let Some(i) = gpus.iter().position(|g| g.has_node(&node)) {
                let entry = String::from_utf8_lossy(&entry).into_owned();
                return Some((i, DefaultReason::Compositor { var, entry }));
            }
            tracing::debug!(var, entry = %String::from_utf8_lossy(&entry), "names no GPU; next entry");
        }
    }
    if hints.hyprland && hints.compositor[0].is_none() {
        let counts = panels();
        let most = counts.iter().copied().max().unwrap_or(0);
        let mut with_most = counts.iter().enumerate().filter(|(_, c)| **c == most);
        if let (Some((i, _)), None) = (with_most.next(), with_most.next()) {
            if most > 0 && i < gpus.len() {
                return Some((i, DefaultReason::InternalPanels { count: most }));
            }
        }
    }
    if let Some(i) = gpus.iter().position(|g| g.boot_display) {
        return Some((i, DefaultReason::BootDisplay));
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

/// The entries of a compositor variable: split on `:`, empty entries
/// dropped. In `KWIN_DRM_DEVICES`, `\:` is a literal colon (KWin's
/// `splitPathList`).
fn split_entries(value: &[u8], kwin_escapes: bool) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    let mut entry: Vec<u8> = Vec::new();
    for &b in value {
        if b == b':' {
            match entry.last_mut() {
                Some(last) if kwin_escapes && *last == b'\\' => {
                    *last = b':';
                    continue;
                }
                _ => {}
            }
            if !entry.is_empty() {
                entries.push(std::mem::take(&mut entry));
            }
        } else {
            entry.push(b);
        }
    }
    if !entry.is_empty() {
        entries.push(entry);
    }
    entries
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
            boot_display: false,
            boot_vga,
            kind,
            platform_tag: None,
            sysfs_path: format!("/sys/devices/gpu{card}").into(),
        }
    }

    /// (index, reason) for `gpus` under `vars` (AQ, WLR, KWIN), Hyprland or
    /// not, with these panel counts; panics when panels are read although
    /// `panels` is `None`.
    fn choose(
        gpus: &[Gpu],
        vars: [Option<&str>; 3],
        hyprland: bool,
        panels: Option<Vec<u32>>,
    ) -> Option<(usize, String)> {
        let hints = Hints {
            compositor: vars.map(|v| v.map(str::as_bytes)),
            hyprland,
            ..Hints::default()
        };
        choose_default(gpus, &hints, || {
            panels.expect("connectors must not be read in this case")
        })
        .map(|(i, r)| (i, r.to_string()))
    }

    #[test]
    fn the_default_gpu_rules_in_order() {
        let (igpu, dgpu) = (Kind::Integrated, Kind::Discrete);
        let aq = |v| [Some(v), None, None];
        let none = [None, None, None];
        assert_eq!(choose(&[], aq("/dev/dri/card0"), false, None), None);
        let two = [gpu(0, dgpu, false), gpu(1, igpu, true)];
        assert_eq!(
            choose(&two, aq("/dev/dri/card0:/dev/dri/card1"), false, None),
            Some((
                0,
                "first entry of AQ_DRM_DEVICES that names a GPU (/dev/dri/card0)".into()
            ))
        );
        // An entry that names no GPU is skipped: the next entry decides.
        assert_eq!(
            choose(
                &two,
                aq("/dev/dri/card9:/dev/dri/igpu:/dev/dri/card0"),
                false,
                None
            ),
            Some((
                0,
                "first entry of AQ_DRM_DEVICES that names a GPU (/dev/dri/card0)".into()
            ))
        );
        // None names a GPU: the next variable, then the next rule.
        assert_eq!(
            choose(
                &two,
                [Some("/dev/dri/card9"), Some("card0"), None],
                false,
                None
            ),
            Some((
                0,
                "first entry of WLR_DRM_DEVICES that names a GPU (card0)".into()
            ))
        );
        assert_eq!(
            choose(&two, aq("/dev/dri/card9"), false, None),
            Some((1, "boot_vga = 1".into()))
        );
        assert_eq!(
            choose(&two[..1], none, false, None),
            Some((0, "the only GPU".into()))
        );
        let no_vga = [gpu(0, dgpu, false), gpu(1, igpu, false)];
        assert_eq!(
            choose(&no_vga, none, false, None),
            Some((1, "first integrated GPU in PCI order".into()))
        );
        let dgpus = [gpu(0, dgpu, false), gpu(1, dgpu, false)];
        assert_eq!(
            choose(&dgpus, none, false, None),
            Some((0, "first GPU in PCI order".into()))
        );
        // boot_display before boot_vga (wlroots reads it first).
        let mut both = [gpu(0, dgpu, true), gpu(1, igpu, false)];
        both[1].boot_display = true;
        assert_eq!(
            choose(&both, none, false, None),
            Some((1, "boot_display = 1".into()))
        );
    }

    #[test]
    fn kwin_reads_backslash_colon_as_a_colon() {
        assert_eq!(
            split_entries(br"/dev/dri/by-path/pci-0000\:01\:00.0-card:card1", true),
            vec![
                b"/dev/dri/by-path/pci-0000:01:00.0-card".to_vec(),
                b"card1".to_vec()
            ]
        );
        assert_eq!(
            split_entries(br"a\:b::c:", false),
            vec![br"a\".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        let two = [
            gpu(0, Kind::Discrete, false),
            gpu(1, Kind::Integrated, true),
        ];
        // `card0\:x` is one entry named `card0:x`, which names no GPU.
        assert_eq!(
            choose(&two, [None, None, Some(r"/dev/dri/card0\:x")], false, None),
            Some((1, "boot_vga = 1".into()))
        );
        assert_eq!(
            choose(
                &two,
                [None, None, Some(r"/x\:y:/dev/dri/card0")],
                false,
                None
            ),
            Some((
                0,
                "first entry of KWIN_DRM_DEVICES that names a GPU (/dev/dri/card0)".into()
            ))
        );
    }

    #[test]
    fn hyprland_prefers_the_one_gpu_with_the_most_internal_panels() {
        let (igpu, dgpu) = (Kind::Integrated, Kind::Discrete);
        let vga_on_dgpu = [gpu(0, igpu, false), gpu(1, dgpu, true)];
        let none = [None, None, None];
        assert_eq!(
            choose(&vga_on_dgpu, none, true, Some(vec![1, 0])),
            Some((
                0,
                "Hyprland: the GPU with the most connected internal panels (1)".into()
            ))
        );
        // A tie, or no panel at all: the next rule.
        assert_eq!(
            choose(&vga_on_dgpu, none, true, Some(vec![1, 1])),
            Some((1, "boot_vga = 1".into()))
        );
        assert_eq!(
            choose(&vga_on_dgpu, none, true, Some(vec![0, 0])),
            Some((1, "boot_vga = 1".into()))
        );
        // Not Hyprland, or AQ_DRM_DEVICES set (even naming no GPU): the
        // connectors are never read (`None` panics when they are).
        assert_eq!(
            choose(&vga_on_dgpu, none, false, None),
            Some((1, "boot_vga = 1".into()))
        );
        assert_eq!(
            choose(
                &vga_on_dgpu,
                [Some("/dev/dri/card7"), None, None],
                true,
                None
            ),
            Some((1, "boot_vga = 1".into()))
        );
        // A compositor variable naming a GPU decides before the panels.
        assert_eq!(
            choose(&vga_on_dgpu, [None, Some("card1"), None], true, None),
            Some((
                1,
                "first entry of WLR_DRM_DEVICES that names a GPU (card1)".into()
            ))
        );
        // The one GPU without a panel (a desktop): no panel decides, the
        // next rule does.
        assert_eq!(
            choose(&[gpu(0, dgpu, false)], none, true, Some(vec![0])),
            Some((0, "the only GPU".into()))
        );
        // A count for a GPU that is not in the list never becomes the
        // default.
        assert_eq!(
            choose(&[gpu(0, dgpu, false)], none, true, Some(vec![0, 1])),
            Some((0, "the only GPU".into()))
        );
    }

    /// Only KWin reads `\:` as a colon: `x\:card1:card0` is `x:card1`,
    /// `card0` to KWin and `x\`, `card1`, `card0` to wlroots.
    #[test]
    fn the_backslash_escape_is_kwins_alone() {
        let two = [
            gpu(0, Kind::Discrete, false),
            gpu(1, Kind::Integrated, true),
        ];
        let value = r"x\:card1:card0";
        assert_eq!(
            choose(&two, [None, None, Some(value)], false, None),
            Some((
                0,
                "first entry of KWIN_DRM_DEVICES that names a GPU (card0)".into()
            ))
        );
        assert_eq!(
            choose(&two, [None, Some(value), None], false, None),
            Some((
                1,
                "first entry of WLR_DRM_DEVICES that names a GPU (card1)".into()
            ))
        );
        assert_eq!(
            choose(&two, [Some(value), None, None], false, None),
            Some((
                1,
                "first entry of AQ_DRM_DEVICES that names a GPU (card1)".into()
            ))
        );
    }
}
