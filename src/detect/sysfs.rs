//! The one seam between gpu-launch and the kernel's sysfs.
//!
//! Every attribute gpu-launch reads goes through [`Sysfs`], relative to an
//! injectable root (`/sys`, or `GPU_LAUNCH_SYSFS_ROOT` for fixture machines), so
//! nothing else in the program spells `/sys/...`.
//!
//! What it must never do: open anything outside the root, read PCI `config`
//! space, follow a chain of links without bound, or block. Links are resolved
//! *lexically* (the kernel writes them relative, e.g.
//! `class/drm/renderD128 -> ../../devices/pci0000:00/0000:00:02.0/drm/renderD128`),
//! which costs one `readlink` per hop, never loops, and never leaves the root.
//! An attribute that is itself a link is not read; a directory of a
//! `GPU_LAUNCH_SYSFS_ROOT` tree that is a link is followed by the kernel (real
//! sysfs has none on the paths read here).

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::os::files::{self, Links};
use crate::os::paths::{self, join};

/// Attributes longer than this are not GPU attributes: reading stops there, so a
/// damaged or hostile file cannot make gpu-launch allocate without bound.
const MAX_ATTR: usize = 4096;

/// A sysfs tree rooted at `root`.
///
/// Paths are handled as bytes (joins and `..` resolution by hand): on the
/// launch path, `std::path` component parsing cost more than everything else
/// detection does (see docs/PERFORMANCE.md).
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
        let root = match normalize(absolute.as_os_str().as_bytes()) {
            Some(n) if !n.is_empty() => paths::from_bytes(n),
            _ => absolute,
        };
        Sysfs { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when `path` is strictly below the root (lexically).
    pub fn below_root(&self, path: &Path) -> bool {
        let (path, root) = (
            path.as_os_str().as_bytes(),
            self.root.as_os_str().as_bytes(),
        );
        path.len() > root.len() && within(path, root)
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        join(&self.root, rel.as_bytes())
    }

    /// An attribute's text with surrounding white space removed; `None` when it
    /// is absent, unreadable, empty or not UTF-8.
    pub fn attr(&self, dir: &Path, name: &str) -> Option<String> {
        read_attr(&join(dir, name.as_bytes()))
    }

    /// Where the link `dir/name` points, resolved lexically, as a path that
    /// stays inside the root; `None` when it is not a link, dangles out of the
    /// root or cannot be read. A link written absolute as `/sys/...` (as some
    /// hand-made fixtures do) is taken relative to the root.
    pub fn link(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        let target = fs::read_link(join(dir, name.as_bytes())).ok()?;
        self.resolve(dir, &target)
    }

    /// The file name a link points to (`driver -> ../../bus/pci/drivers/i915`
    /// gives `i915`).
    pub fn link_name(&self, dir: &Path, name: &str) -> Option<String> {
        let target = fs::read_link(join(dir, name.as_bytes())).ok()?;
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
    pub fn list(&self, dir: &Path) -> Vec<OsString> {
        match fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The names in a directory that are UTF-8, sorted (`--doctor`'s
    /// listings); empty when it cannot be read.
    pub fn list_sorted(&self, dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = self
            .list(dir)
            .into_iter()
            .filter_map(|n| n.into_string().ok())
            .collect();
        names.sort();
        names
    }

    fn resolve(&self, base: &Path, target: &Path) -> Option<PathBuf> {
        let target = target.as_os_str().as_bytes();
        let root = self.root.as_os_str().as_bytes();
        let joined = if target.first() == Some(&b'/') {
            if within(target, root) {
                target.to_vec()
            } else {
                let rest = target.strip_prefix(b"/sys")?;
                if !rest.is_empty() && rest[0] != b'/' {
                    return None;
                }
                [root, rest].concat()
            }
        } else {
            let base = base.as_os_str().as_bytes();
            if let Some(fast) = climb(base, target) {
                return within(&fast, root).then(|| paths::from_bytes(fast));
            }
            let mut j = Vec::with_capacity(base.len() + 1 + target.len());
            j.extend_from_slice(base);
            j.push(b'/');
            j.extend_from_slice(target);
            j
        };
        let normal = normalize(&joined)?;
        within(&normal, root).then(|| paths::from_bytes(normal))
    }
}

/// True when `path` is `root` or below it.
fn within(path: &[u8], root: &[u8]) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'/' || root.ends_with(b"/"))
}

/// Reads a small text attribute (see [`Sysfs::attr`]). Usually one `read`
/// into a small stack buffer: sysfs hands over a whole attribute in the first
/// read, and GPU attributes (a PCI `uevent` is the longest) fit in 512 bytes.
///
/// Opened `O_NONBLOCK`: a FIFO (or a terminal) where an attribute should be
/// would otherwise block the open, or the read, for ever. Real sysfs has
/// neither, but a `GPU_LAUNCH_SYSFS_ROOT` tree may; the flag costs nothing
/// (sysfs attributes ignore it), where checking the file type would cost a
/// system call per attribute. `O_NOCTTY`: a terminal there never becomes the
/// controlling terminal that PROGRAM inherits. `O_NOFOLLOW`: an attribute is
/// a file, never a link (a link there could point anywhere, `/dev` included).
pub fn read_attr(path: &Path) -> Option<String> {
    let mut file = files::open_for_reading(path, Links::Refuse).ok()??;
    let mut buf = [0u8; 512];
    let n = file.read(&mut buf).ok()?;
    let text = if n < buf.len() {
        std::str::from_utf8(&buf[..n]).ok()?.trim().to_owned()
    } else {
        let mut long = buf.to_vec();
        file.take((MAX_ATTR - n) as u64)
            .read_to_end(&mut long)
            .ok()?;
        String::from_utf8(long).ok()?.trim().to_owned()
    };
    (!text.is_empty()).then_some(text)
}

/// The common shape of a kernel link, `../../devices/x/y` relative to `base`:
/// drop one segment of `base` per leading `../`, then append the rest, when
/// the rest is plain (no `.`/`..` segments, no `//`). `None` sends the caller
/// to [`normalize`].
fn climb(base: &[u8], target: &[u8]) -> Option<Vec<u8>> {
    let mut rest = target;
    let mut end = base.len();
    while let Some(r) = rest.strip_prefix(b"../") {
        end = base[..end].iter().rposition(|c| *c == b'/')?;
        rest = r;
    }
    let plain = !rest.is_empty()
        && rest[0] != b'/'
        && rest
            .split(|c| *c == b'/')
            .all(|seg| !matches!(seg, b"" | b"." | b".."));
    if !plain || end == 0 || base.first() != Some(&b'/') {
        return None;
    }
    let mut out = Vec::with_capacity(end + 1 + rest.len());
    out.extend_from_slice(&base[..end]);
    out.push(b'/');
    out.extend_from_slice(rest);
    Some(out)
}

/// Removes `.` and empty segments and resolves `..`, on bytes, without
/// touching the file system; `None` when `..` would climb above the start.
/// Absolute paths stay absolute.
fn normalize(path: &[u8]) -> Option<Vec<u8>> {
    let absolute = path.first() == Some(&b'/');
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    for seg in path.split(|b| *b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                let cut = out.iter().rposition(|b| *b == b'/')?;
                out.truncate(cut);
            }
            _ => {
                if absolute || !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(seg);
            }
        }
    }
    if absolute && out.is_empty() {
        out.push(b'/');
    }
    Some(out)
}

/// The value of `KEY=` in a `uevent` file's text (line by line, `memchr`
/// from one line to the next).
pub fn uevent_value<'a>(uevent: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = uevent;
    loop {
        if let Some(v) = rest.strip_prefix(key).and_then(|r| r.strip_prefix('=')) {
            return Some(v.split('\n').next().unwrap_or(v).trim());
        }
        rest = &rest[rest.find('\n')? + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_parent_dirs_lexically() {
        let p = normalize(b"/r/class/drm/../../devices/pci0000:00/0000:00:02.0/drm/renderD128");
        assert_eq!(
            p.unwrap(),
            b"/r/devices/pci0000:00/0000:00:02.0/drm/renderD128"
        );
        assert_eq!(normalize(b"a/../.."), None);
        assert_eq!(normalize(b"/a/./b//c/.."), Some(b"/a/b".to_vec()));
        assert_eq!(normalize(b"a/b/../c"), Some(b"a/c".to_vec()));
        assert_eq!(normalize(b"/.."), None);
        assert_eq!(normalize(b"/a/.."), Some(b"/".to_vec()));
        assert!(within(b"/r/x", b"/r"));
        assert!(within(b"/r", b"/r"));
        assert!(!within(b"/rx", b"/r"));
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
