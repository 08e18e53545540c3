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
//! Every open (attributes, directory listings, the directories links are read
//! in) is made relative to the root's descriptor with the kernel's promise
//! that the path stays beneath it (`openat2` with `RESOLVE_BENEATH`, see
//! [`files::open_beneath`]), so a directory of a `GPU_LAUNCH_SYSFS_ROOT` tree
//! that is a link out of the root is not followed out of it. An attribute
//! that is itself a link is not read.
//!
//! Under `GPU_LAUNCH_SYSFS_ROOT`, each attribute must also be a regular file
//! (one `fstat` on the open descriptor). Under `/sys` it is not asked: every
//! attribute of sysfs is a regular file by construction, the paths read
//! (`class/drm`, `bus/pci`, `devices`, `module`) hold no other file system,
//! and only root could mount one there; the read is bounded and non-blocking
//! either way (docs/HARDENING.md, "sysfs", has the measurements).

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use nix::fcntl::OFlag;

use crate::os::files::{self, Links};
use crate::os::paths::{self, join};
use crate::os::sys;

/// Attributes longer than this are not GPU attributes: reading stops there, so a
/// damaged or hostile file cannot make gpu-launch allocate without bound.
const MAX_ATTR: usize = 4096;

/// Directories read here hold tens of entries (`class/drm`) to hundreds
/// (`bus/pci/devices`); a listing stops at this many, so a hostile tree
/// cannot make one grow without bound.
const MAX_ENTRIES: usize = 1 << 16;

/// The kernel's sysfs, where attributes need no `fstat` (see above).
const KERNEL_ROOT: &[u8] = b"/sys";

/// A sysfs tree rooted at `root`.
///
/// Paths are handled as bytes (joins and `..` resolution by hand): on the
/// launch path, `std::path` component parsing cost more than everything else
/// detection does (see docs/PERFORMANCE.md).
#[derive(Debug)]
pub struct Sysfs {
    root: PathBuf,
    /// The root, opened (`O_PATH`) on first use; `None` when it cannot be.
    fd: OnceLock<Option<Arc<OwnedFd>>>,
    /// Whether each attribute's kind is checked (anything but `/sys`).
    check_kinds: bool,
    /// The directory last listed or read a link in, still open: the links
    /// of a listing are read there (`readlinkat`) without a second open.
    dir: Mutex<Option<(PathBuf, OwnedFd)>>,
}

impl Clone for Sysfs {
    fn clone(&self) -> Self {
        Sysfs {
            root: self.root.clone(),
            fd: self.fd.clone(),
            check_kinds: self.check_kinds,
            dir: Mutex::new(None),
        }
    }
}

impl Sysfs {
    /// A tree at `root`; a relative root is taken from the current directory.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        let absolute = if root.is_absolute() {
            root
        } else {
            sys::current_dir().unwrap_or_default().join(root)
        };
        let root = match normalize(absolute.as_os_str().as_bytes()) {
            Some(n) if !n.is_empty() => paths::from_bytes(n),
            _ => absolute,
        };
        Sysfs {
            check_kinds: root.as_os_str().as_bytes() != KERNEL_ROOT,
            root,
            fd: OnceLock::new(),
            dir: Mutex::new(None),
        }
    }

    /// The root's descriptor, opened on first use.
    fn root_fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd
            .get_or_init(|| {
                sys::openat(
                    nix::fcntl::AT_FDCWD,
                    &self.root,
                    OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                    nix::sys::stat::Mode::empty(),
                )
                .ok()
                .map(Arc::new)
            })
            .as_ref()
            .map(|fd| fd.as_fd())
    }

    /// `path` relative to the root (`.` for the root itself); `None` when it
    /// is not below it.
    fn relative<'p>(&self, path: &'p Path) -> Option<&'p [u8]> {
        let rest = path
            .as_os_str()
            .as_bytes()
            .strip_prefix(self.root.as_os_str().as_bytes())?;
        if rest.is_empty() {
            return Some(b".");
        }
        if self.root.as_os_str().as_bytes().ends_with(b"/") {
            return Some(rest);
        }
        rest.strip_prefix(b"/")
    }

    /// Runs `f` on the directory `dir` (a path below the root) opened
    /// beneath the root: the one kept open when it was the last used, else
    /// opened now and kept in its place. Attributes, links and listings come
    /// in runs per directory (a device's `uevent`, `boot_vga`, `removable`;
    /// the links of `class/drm`), so each directory is opened once.
    fn in_dir<T>(&self, dir: &Path, f: impl FnOnce(BorrowedFd<'_>) -> Option<T>) -> Option<T> {
        let mut cache = self.dir.lock().unwrap_or_else(|e| e.into_inner());
        let key = dir.as_os_str().as_bytes();
        if cache
            .as_ref()
            .is_none_or(|(d, _)| d.as_os_str().as_bytes() != key)
        {
            *cache = None;
            let fd = self.open_dir(dir)?;
            *cache = Some((dir.to_path_buf(), fd));
        }
        f(cache.as_ref()?.1.as_fd())
    }

    /// Opens the directory `dir` beneath the root, readable (for a listing).
    fn open_dir(&self, dir: &Path) -> Option<OwnedFd> {
        let rel = self.relative(dir)?;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NONBLOCK;
        files::open_beneath(self.root_fd()?, rel, flags).ok()?
    }

    /// Where the link `path` points, as written (`readlinkat` in its
    /// directory, opened beneath the root).
    fn read_link(&self, path: &Path) -> Option<OsString> {
        let dir = paths::parent(path)?;
        let name = paths::name(path);
        self.in_dir(dir, |fd| {
            sys::readlinkat(fd, std::ffi::OsStr::from_bytes(name)).ok()
        })
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
    ///
    /// Usually one `read` into a small stack buffer: sysfs hands over a whole
    /// attribute in the first read, and GPU attributes (a PCI `uevent` is the
    /// longest) fit in 512 bytes. Opened as every file is
    /// ([`files::read_flags`]: `O_NONBLOCK`, `O_NOCTTY`; `O_NOFOLLOW`: an
    /// attribute is a file, never a link, which could point anywhere, `/dev`
    /// included), beneath the root.
    pub fn attr(&self, dir: &Path, name: &str) -> Option<String> {
        let flags = files::read_flags(Links::Refuse);
        let fd = self.in_dir(dir, |d| files::open_in(d, name.as_bytes(), flags).ok()?)?;
        if self.check_kinds {
            files::require_regular(fd.as_fd()).ok()?;
        }
        read_attr(File::from(fd))
    }

    /// Where the link `dir/name` points, resolved lexically, as a path that
    /// stays inside the root; `None` when it is not a link, dangles out of the
    /// root or cannot be read. A link written absolute as `/sys/...` (as some
    /// hand-made fixtures do) is taken relative to the root.
    pub fn link(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        let target = self.read_link(&join(dir, name.as_bytes()))?;
        self.resolve(dir, Path::new(&target))
    }

    /// The file name a link points to (`driver -> ../../bus/pci/drivers/i915`
    /// gives `i915`).
    pub fn link_name(&self, dir: &Path, name: &str) -> Option<String> {
        let target = self.read_link(&join(dir, name.as_bytes()))?;
        Path::new(&target).file_name()?.to_str().map(str::to_owned)
    }

    /// The real location of `path`: the path itself when it is not a link, else
    /// its lexically resolved target.
    pub fn real(&self, path: &Path) -> Option<PathBuf> {
        match self.read_link(path) {
            Some(target) => self.resolve(paths::parent(path)?, Path::new(&target)),
            None => Some(path.to_path_buf()),
        }
    }

    /// Names in a directory (unsorted); empty when it cannot be read. The
    /// directory stays open for the links read in it next.
    pub fn list(&self, dir: &Path) -> Vec<OsString> {
        // Opened afresh (a kept descriptor may have been read to its end).
        let Some(fd) = self.open_dir(dir) else {
            return Vec::new();
        };
        let names = files::dir_names(fd.as_fd(), MAX_ENTRIES).unwrap_or_default();
        *self.dir.lock().unwrap_or_else(|e| e.into_inner()) = Some((dir.to_path_buf(), fd));
        names
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

/// Reads a small text attribute of `file` (see [`Sysfs::attr`]).
fn read_attr(mut file: File) -> Option<String> {
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
    out.extend_from_slice(base[..end].strip_suffix(b"/").unwrap_or(&base[..end]));
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
    use std::fs;

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

    /// `climb` is `normalize`'s fast path for the kernel's `../../x/y`
    /// links: when it answers, it answers what `normalize` would.
    #[test]
    fn climb_agrees_with_normalize() {
        let bases: [&[u8]; 4] = [b"/r/class/drm", b"/r", b"/r/a/b/c/d", b"/"];
        let targets: [&[u8]; 8] = [
            b"../../devices/x/drm/renderD128",
            b"../x",
            b"x/y",
            b"../../../../x",
            b"../",
            b"../a/../b",
            b"./x",
            b"..",
        ];
        let mut answered = 0;
        for base in bases {
            for target in targets {
                let Some(fast) = climb(base, target) else {
                    continue;
                };
                answered += 1;
                let joined = [base, b"/", target].concat();
                assert_eq!(Some(fast), normalize(&joined), "{base:?} {target:?}");
            }
        }
        assert!(answered >= 6, "the fast path answers the kernel's shapes");
    }

    /// `--doctor`'s listings: the UTF-8 names, sorted.
    #[test]
    fn sorted_listings_keep_utf8_names() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in ["b", "a", "c0"] {
            fs::create_dir_all(root.join("d").join(name)).unwrap();
        }
        fs::write(
            root.join("d").join(std::ffi::OsStr::from_bytes(b"\xff")),
            "",
        )
        .unwrap();
        let s = Sysfs::new(root);
        assert_eq!(s.list_sorted(&root.join("d")), ["a", "b", "c0"]);
        assert!(s.list_sorted(&root.join("missing")).is_empty());
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

    /// Links the kernel never writes but a tree may hold: each resolves
    /// where `..` and `.` really lead, or nowhere when that is outside.
    #[test]
    fn unusual_links_resolve_lexically_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let drm = root.join("class/drm");
        fs::create_dir_all(&drm).unwrap();
        let s = Sysfs::new(&root);
        let link = |name: &str, target: &str| {
            std::os::unix::fs::symlink(target, drm.join(name)).unwrap();
            s.link(&drm, name)
        };
        let x = Some(root.join("devices/x/drm/renderD128"));
        // `..` after a plain segment, `.`, `//`: not the kernel's shape, so
        // resolved the long way, to the same place.
        assert_eq!(link("a", "../../devices/y/../x/drm/renderD128"), x);
        assert_eq!(link("b", "../../devices/./x/drm/renderD128"), x);
        assert_eq!(link("c", "../../devices//x/drm/renderD128"), x);
        assert_eq!(link("d", "./../../devices/x/drm/renderD128"), x);
        assert_eq!(link("e", "../../devices/x/drm/renderD128/"), x);
        // Up to the root itself, and no further.
        assert_eq!(link("f", "../.."), Some(root.clone()));
        assert_eq!(link("f2", "../../"), Some(root.clone()));
        assert_eq!(link("g", "../../.."), None);
        assert_eq!(link("h", "../../devices/../../x"), None);
        assert_eq!(link("i", "../../../x"), None);
        assert_eq!(link("j", "../../../../../../../../../../x"), None);
        // Absolute: `/sys` is the root, `/sysX` is not `/sys`, the root's
        // own path is kept, and `..` cannot climb out of either.
        assert_eq!(link("k", "/sys"), Some(root.clone()));
        assert_eq!(link("l", "/sys/"), Some(root.clone()));
        assert_eq!(link("m", "/sysX/devices/x"), None);
        assert_eq!(link("n", "/sys/../etc"), None);
        assert_eq!(
            link("o", "/sys/devices/../devices/x"),
            Some(root.join("devices/x"))
        );
        let own = format!("{}/devices/x", root.display());
        assert_eq!(link("p", &own), Some(root.join("devices/x")));
        let out = format!("{}/../x", root.display());
        assert_eq!(link("q", &out), None);
        assert_eq!(link("r", "/etc/passwd"), None);
        // What the links name, by their last component.
        assert_eq!(s.link_name(&drm, "a").as_deref(), Some("renderD128"));
        assert_eq!(s.link_name(&drm, "missing"), None);
        // `real`: a link's target, or the path itself.
        assert_eq!(s.real(&drm.join("a")), x);
        assert_eq!(s.real(&drm), Some(drm.clone()));
        assert!(s.below_root(&drm) && !s.below_root(&root));
        assert!(!s.below_root(Path::new(&format!("{}x", root.display()))));
    }

    /// Attributes up to 512 bytes come in one read, longer ones are read on
    /// to 4096 bytes and cut there; empty, blank or non-UTF-8 ones are none.
    #[test]
    fn attributes_at_the_read_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let s = Sysfs::new(root);
        let attr = |len: usize| {
            let text = "a".repeat(len);
            fs::write(root.join("attr"), format!("{text}\n")).unwrap();
            s.attr(root, "attr")
        };
        for len in [1, 510, 511, 512, 513, 1024, 4095, 4096] {
            assert_eq!(attr(len).map(|t| t.len()), Some(len), "{len}");
        }
        // Cut at 4096 bytes read (the newline of 4096 is the 4097th).
        for len in [4097, 5000, 100_000] {
            assert_eq!(attr(len).map(|t| t.len()), Some(4096), "{len}");
        }
        fs::write(root.join("attr"), " \n\t").unwrap();
        assert_eq!(s.attr(root, "attr"), None);
        fs::write(root.join("attr"), "").unwrap();
        assert_eq!(s.attr(root, "attr"), None);
        fs::write(root.join("attr"), b"\xff\xfe").unwrap();
        assert_eq!(s.attr(root, "attr"), None);
        let mut long = vec![b'a'; 600];
        long.push(0xff);
        fs::write(root.join("attr"), &long).unwrap();
        assert_eq!(s.attr(root, "attr"), None, "not UTF-8 past the first read");
        fs::write(root.join("attr"), "  x \n").unwrap();
        assert_eq!(s.attr(root, "attr").as_deref(), Some("x"));
        assert_eq!(s.attr(root, "absent"), None);
    }
}
