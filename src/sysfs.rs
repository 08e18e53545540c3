//! The one seam between gpu-launch and the kernel's sysfs.
//!
//! Every attribute gpu-launch reads goes through [`Sysfs`], relative to an
//! injectable root (`/sys`, or `GPU_LAUNCH_SYSFS_ROOT` for fixture machines), so
//! nothing else in the program spells `/sys/...`.
//!
//! What it must never do: open anything outside the root, read PCI `config`
//! space, or follow a chain of links without bound. Links are resolved
//! *lexically* (the kernel writes them relative, e.g.
//! `class/drm/renderD128 -> ../../devices/pci0000:00/0000:00:02.0/drm/renderD128`),
//! which costs one `readlink` per hop, never loops, and never leaves the root.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Attributes longer than this are not GPU attributes: reading stops there, so a
/// damaged or hostile file cannot make gpu-launch allocate without bound.
const MAX_ATTR: usize = 4096;

/// A sysfs tree rooted at `root`.
#[derive(Debug, Clone)]
pub struct Sysfs {
    root: PathBuf,
}

impl Sysfs {
    /// A tree at `root`; a relative root is taken from the current directory.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        let absolute = if root.is_absolute() {
            root
        } else {
            std::env::current_dir().unwrap_or_default().join(root)
        };
        let root = normalize(&absolute).unwrap_or(absolute);
        Sysfs { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// An attribute's text with surrounding white space removed; `None` when it
    /// is absent, unreadable, empty or not UTF-8.
    pub fn attr(&self, dir: &Path, name: &str) -> Option<String> {
        read_attr(&dir.join(name))
    }

    /// Where the link `dir/name` points, resolved lexically, as a path that
    /// stays inside the root; `None` when it is not a link, dangles out of the
    /// root or cannot be read. A link written absolute as `/sys/...` (as some
    /// hand-made fixtures do) is taken relative to the root.
    pub fn link(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        let at = dir.join(name);
        let target = fs::read_link(&at).ok()?;
        self.resolve(dir, &target)
    }

    /// The file name a link points to (`driver -> ../../bus/pci/drivers/i915`
    /// gives `i915`).
    pub fn link_name(&self, dir: &Path, name: &str) -> Option<String> {
        let target = fs::read_link(dir.join(name)).ok()?;
        target.file_name()?.to_str().map(str::to_owned)
    }

    /// The real location of `path`: the path itself when it is not a link, else
    /// its lexically resolved target.
    pub fn real(&self, path: &Path) -> Option<PathBuf> {
        match fs::read_link(path) {
            Ok(target) => self.resolve(path.parent()?, &target),
            Err(_) => Some(path.to_path_buf()),
        }
    }

    /// Names in a directory (unsorted); empty when it cannot be read.
    pub fn list(&self, dir: &Path) -> Vec<std::ffi::OsString> {
        match fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn resolve(&self, base: &Path, target: &Path) -> Option<PathBuf> {
        let joined = if target.is_absolute() {
            match target.strip_prefix(&self.root) {
                Ok(_) => target.to_path_buf(),
                Err(_) => self.root.join(target.strip_prefix("/sys").ok()?),
            }
        } else {
            base.join(target)
        };
        let normal = normalize(&joined)?;
        normal.starts_with(&self.root).then_some(normal)
    }
}

/// Reads a small text attribute (see [`Sysfs::attr`]).
pub fn read_attr(path: &Path) -> Option<String> {
    let file = fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(64);
    file.take(MAX_ATTR as u64).read_to_end(&mut buf).ok()?;
    let text = String::from_utf8(buf).ok()?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == text.len() {
        Some(text)
    } else {
        Some(trimmed.to_owned())
    }
}

/// Removes `.` and resolves `..` without touching the file system; `None` when
/// `..` would climb above the start of the path.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::with_capacity(path.as_os_str().len());
    for part in path.components() {
        match part {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// The value of `KEY=` in a `uevent` file's text.
pub fn uevent_value<'a>(uevent: &'a str, key: &str) -> Option<&'a str> {
    uevent.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?;
        rest.strip_prefix('=').map(str::trim)
    })
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
    fn normalize_resolves_parent_dirs_lexically() {
        let p = normalize(Path::new(
            "/r/class/drm/../../devices/pci0000:00/0000:00:02.0/drm/renderD128",
        ));
        assert_eq!(
            p.unwrap(),
            Path::new("/r/devices/pci0000:00/0000:00:02.0/drm/renderD128")
        );
        assert_eq!(normalize(Path::new("a/../..")), None);
    }

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
    }

    #[test]
    fn uevent_keys() {
        let u = "DRIVER=i915\nPCI_CLASS=30000\nPCI_ID=8086:9A49\nPCI_SLOT_NAME=0000:00:02.0\n";
        assert_eq!(uevent_value(u, "DRIVER"), Some("i915"));
        assert_eq!(uevent_value(u, "PCI_ID"), Some("8086:9A49"));
        assert_eq!(uevent_value(u, "PCI"), None);
        assert_eq!(uevent_value(u, "MODALIAS"), None);
    }

    #[test]
    fn links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("class/drm")).unwrap();
        fs::create_dir_all(root.join("devices/x/drm/renderD128")).unwrap();
        std::os::unix::fs::symlink(
            "../../devices/x/drm/renderD128",
            root.join("class/drm/renderD128"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../../../../../etc", root.join("class/drm/evil")).unwrap();
        std::os::unix::fs::symlink("/sys/devices/x", root.join("class/drm/abs")).unwrap();
        let s = Sysfs::new(root);
        let drm = root.join("class/drm");
        assert_eq!(
            s.link(&drm, "renderD128").unwrap(),
            root.join("devices/x/drm/renderD128")
        );
        assert_eq!(s.link(&drm, "evil"), None);
        assert_eq!(s.link(&drm, "abs").unwrap(), root.join("devices/x"));
        assert_eq!(s.link(&drm, "missing"), None);
    }
}
