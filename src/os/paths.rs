//! Paths as bytes: joins, parents and file names without `std::path`'s
//! component parsing, which on the launch path cost more than everything
//! else detection does (see docs/PERFORMANCE.md). Pure: no I/O.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// `dir/name`.
pub fn join(dir: &Path, name: &[u8]) -> PathBuf {
    let dir = dir.as_os_str().as_bytes();
    let mut v = Vec::with_capacity(dir.len() + 1 + name.len());
    v.extend_from_slice(dir);
    if !dir.ends_with(b"/") {
        v.push(b'/');
    }
    v.extend_from_slice(name);
    from_bytes(v)
}

/// The directory part of `path` (bytes before the last `/`); `None` at the top.
pub fn parent(path: &Path) -> Option<&Path> {
    let b = path.as_os_str().as_bytes();
    let cut = b.iter().rposition(|c| *c == b'/')?;
    (cut > 0).then(|| Path::new(OsStr::from_bytes(&b[..cut])))
}

/// The last segment of `path` (`/usr/bin/chromium` -> `chromium`).
pub fn name(path: &Path) -> &[u8] {
    basename(path.as_os_str().as_bytes())
}

/// The last `/`-separated segment of `bytes` (all of it when there is no `/`).
pub fn basename(bytes: &[u8]) -> &[u8] {
    bytes.rsplit(|c| *c == b'/').next().unwrap_or(bytes)
}

/// A path from its bytes.
pub fn from_bytes(v: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_paths() {
        assert_eq!(join(Path::new("/a"), b"b"), Path::new("/a/b"));
        assert_eq!(join(Path::new("/"), b"b"), Path::new("/b"));
        assert_eq!(parent(Path::new("/a/b")), Some(Path::new("/a")));
        assert_eq!(parent(Path::new("/a")), None);
        assert_eq!(name(Path::new("/a/b")), b"b");
        assert_eq!(basename(b"chromium"), b"chromium");
        assert_eq!(basename(b"/usr/bin/"), b"");
    }
}
