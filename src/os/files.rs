//! Opening a file to read, as every reader in gpu-launch must: without
//! blocking on a FIFO planted where a file should be (`O_NONBLOCK`: the
//! open returns, and the caller's regular-file check refuses it), without
//! acquiring a controlling terminal, and, where asked, without following a
//! final symbolic link.
//!
//! Also the one place detection looks outside sysfs: [`follow_links`], which
//! follows a compositor's `/dev/dri/...` entry to the node it names with
//! `readlink` alone, never opening it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::os::paths;

/// Whether a final symbolic link in the path may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Follow,
    /// A final link fails with `ELOOP` (see [`is_link_error`]).
    Refuse,
}

/// Opens `path` for reading; `Ok(None)` when nothing is there.
pub fn open_for_reading(path: &Path, links: Links) -> io::Result<Option<File>> {
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// True when an open with [`Links::Refuse`] failed because the path is a link.
pub fn is_link_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Where `path` leads through its own chain of symbolic links (`igpu ->
/// card1`, relative targets taken from the link's directory), at most 16
/// hops; `None` when `path` is not a link or the chain ends nowhere that
/// exists. `readlink` and one `stat`: nothing is opened, so no device wakes.
pub fn follow_links(path: &Path) -> Option<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..16 {
        let Ok(target) = std::fs::read_link(&at) else {
            break;
        };
        at = match paths::parent(&at) {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    (at.as_os_str() != path.as_os_str() && at.exists()).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_do_not_block_links_can_be_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let f = open_for_reading(&fifo, Links::Follow).unwrap().unwrap();
        assert!(!f.metadata().unwrap().is_file());
        assert!(
            open_for_reading(&dir.path().join("absent"), Links::Follow)
                .unwrap()
                .is_none()
        );
        std::fs::write(dir.path().join("file"), "x").unwrap();
        std::os::unix::fs::symlink("file", dir.path().join("link")).unwrap();
        assert!(
            open_for_reading(&dir.path().join("link"), Links::Follow)
                .unwrap()
                .is_some()
        );
        let e = open_for_reading(&dir.path().join("link"), Links::Refuse).unwrap_err();
        assert!(is_link_error(&e));
    }

    #[test]
    fn link_chains_are_followed_to_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("card1"), "").unwrap();
        std::os::unix::fs::symlink("card1", d.join("igpu")).unwrap();
        std::os::unix::fs::symlink(d.join("igpu"), d.join("gpu-link")).unwrap();
        std::os::unix::fs::symlink("card9", d.join("dangling")).unwrap();
        assert_eq!(follow_links(&d.join("igpu")), Some(d.join("card1")));
        assert_eq!(follow_links(&d.join("gpu-link")), Some(d.join("card1")));
        assert_eq!(follow_links(&d.join("dangling")), None);
        assert_eq!(follow_links(&d.join("card1")), None);
    }
}
