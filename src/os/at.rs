//! Working inside a directory through its descriptor: open it once without
//! following a link, check what was opened, then name everything in it
//! relative to that descriptor (`openat`, `fstatat`, `renameat`, `linkat`,
//! `unlinkat`, `mkdirat`). No path is walked again after the check, so
//! swapping a directory on the way for a symbolic link (or for another
//! directory) between two steps changes nothing: the descriptor still names
//! the directory that was checked.
//!
//! What it must never do: follow a symbolic link (every open here is
//! `O_NOFOLLOW`), block on a FIFO (`O_NONBLOCK`), acquire a controlling
//! terminal (`O_NOCTTY`), or leak a descriptor into PROGRAM (`O_CLOEXEC`).

use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{AT_FDCWD, OFlag};
use nix::sys::stat::Mode;

use crate::os::sys;

/// A handle on a directory entry that was not followed: a directory, or the
/// symbolic link (or anything else) found where one was expected, for the
/// caller to judge by its metadata before using it as a directory.
#[derive(Debug)]
pub struct Handle {
    fd: OwnedFd,
    pub meta: Metadata,
}

impl Handle {
    /// Opens `path` (absolute, or relative to `dir`) as a handle
    /// (`O_PATH | O_NOFOLLOW`): a final symbolic link is opened as itself,
    /// never followed, and opening needs no permission on the entry itself
    /// (only search permission on the way), so an entry another user owns is
    /// refused for its owner, not for a `Permission denied`. Its metadata
    /// comes from the descriptor (`fstat`), so it describes what was opened.
    pub fn open(dir: Option<BorrowedFd<'_>>, path: &Path) -> io::Result<Handle> {
        // A trailing slash would make the kernel follow a final link in
        // spite of O_NOFOLLOW.
        let path = strip_trailing_slashes(path);
        let fd = sys::openat(
            dir.unwrap_or(AT_FDCWD),
            path,
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let file = File::from(fd);
        let meta = file.metadata()?;
        Ok(Handle {
            fd: file.into(),
            meta,
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Opens `name` in `dir` for reading: `O_NOFOLLOW` (a link fails with
/// `ELOOP`), `O_NONBLOCK` (a FIFO opens at once, and the caller's
/// regular-file check refuses it), `O_NOCTTY`, `O_CLOEXEC`. A socket fails
/// with `ENXIO`.
pub fn open_for_reading(dir: BorrowedFd<'_>, name: &str) -> io::Result<File> {
    let fd = sys::openat(
        dir,
        name,
        OFlag::O_RDONLY
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

/// Creates `name` in `dir`, which must not exist (`O_CREAT | O_EXCL |
/// O_NOFOLLOW`: neither a file nor a link at that name is ever opened).
pub fn create_new(dir: BorrowedFd<'_>, name: &str, mode: u32) -> io::Result<File> {
    let fd = sys::openat(
        dir,
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    )?;
    Ok(File::from(fd))
}

/// What `name` in `dir` is (a link is described, not followed): the
/// metadata of a [`Handle`] on it.
///
/// (`openat(O_PATH)` and `fstat` rather than `fstatat`: each libc function
/// gpu-launch imports costs every launch a symbol lookup in the dynamic
/// loader; `fstat` is imported anyway and `openat` is a raw system call,
/// see `os::sys`.)
pub fn stat(dir: BorrowedFd<'_>, name: &str) -> io::Result<Metadata> {
    Handle::open(Some(dir), Path::new(name)).map(|h| h.meta)
}

/// Whether anything is at `path` (a final link counts, and is not
/// followed): one `openat(O_PATH)`, closed at once. For a quick look only,
/// never to decide that something may be used.
pub fn probe(path: &Path) -> io::Result<()> {
    sys::openat(
        AT_FDCWD,
        strip_trailing_slashes(path),
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(drop)
    .map_err(io::Error::from)
}

/// Renames `from` to `to`, both in `dir`; replaces `to` (`renameat`).
pub fn rename(dir: BorrowedFd<'_>, from: &str, to: &str) -> io::Result<()> {
    Ok(sys::renameat(dir, from.as_ref(), to.as_ref())?)
}

/// Gives `from`'s file the second name `to`, both in `dir`; fails with
/// `EEXIST` rather than replace `to` (`linkat`, not following links).
pub fn link(dir: BorrowedFd<'_>, from: &str, to: &str) -> io::Result<()> {
    Ok(sys::linkat(dir, from.as_ref(), to.as_ref())?)
}

/// Removes the file (not directory) `name` from `dir`.
pub fn unlink(dir: BorrowedFd<'_>, name: &str) -> io::Result<()> {
    Ok(sys::unlinkat(dir, name)?)
}

/// Creates the directory `name` in `dir` with permission bits `mode`
/// (before umask).
pub fn mkdir(dir: BorrowedFd<'_>, name: &str, mode: u32) -> io::Result<()> {
    Ok(sys::mkdirat(dir, name, mode)?)
}

/// Removes the file (not directory) at `path` (`unlinkat` from the current
/// directory: `std::fs::remove_file` without its `unlink` import, see
/// `os::sys`).
pub fn remove_file(path: &Path) -> io::Result<()> {
    Ok(sys::unlinkat(AT_FDCWD, path)?)
}

/// Creates the directory `path` and those above it that are missing, each
/// with permission bits `mode` (before umask); a directory already there is
/// fine. `std::fs::DirBuilder::create` with `recursive(true)`, step for
/// step, without its `mkdir` import (see `os::sys`).
pub fn create_dir_all(path: &Path, mode: u32) -> io::Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    match sys::mkdirat(AT_FDCWD, path, mode) {
        Ok(()) => return Ok(()),
        Err(nix::errno::Errno::ENOENT) => {}
        Err(_) if path.is_dir() => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    match path.parent() {
        Some(parent) => create_dir_all(parent, mode)?,
        None => return Err(io::Error::other("failed to create whole tree")),
    }
    match sys::mkdirat(AT_FDCWD, path, mode) {
        Ok(()) => Ok(()),
        Err(_) if path.is_dir() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `path` without trailing slashes (`/` stays `/`).
fn strip_trailing_slashes(path: &Path) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    Path::new(std::ffi::OsStr::from_bytes(&bytes[..end]))
}

/// `ENOENT`, or `ENOTDIR` when a component of the way is a file: nothing
/// there.
pub fn is_absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_opened_as_itself_and_trailing_slashes_do_not_follow_it() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real", d.path().join("link")).unwrap();
        let h = Handle::open(None, &d.path().join("real")).unwrap();
        assert!(h.meta.is_dir());
        for p in ["link", "link/", "link//"] {
            let h = Handle::open(None, &d.path().join(p)).unwrap();
            assert!(h.meta.file_type().is_symlink(), "{p}");
        }
        let dir = Handle::open(None, d.path()).unwrap();
        let inner = Handle::open(Some(dir.fd()), Path::new("real")).unwrap();
        assert!(inner.meta.is_dir());
        assert_eq!(strip_trailing_slashes(Path::new("/")), Path::new("/"));
        assert_eq!(strip_trailing_slashes(Path::new("//")), Path::new("/"));
    }

    #[test]
    fn files_in_a_directory_by_its_descriptor() {
        let d = tempfile::tempdir().unwrap();
        let dir = Handle::open(None, d.path()).unwrap();
        let fd = dir.fd();
        use std::io::Write;
        create_new(fd, "a", 0o600).unwrap().write_all(b"x").unwrap();
        assert_eq!(
            create_new(fd, "a", 0o600).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        link(fd, "a", "b").unwrap();
        assert_eq!(
            link(fd, "a", "b").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        rename(fd, "b", "c").unwrap();
        unlink(fd, "a").unwrap();
        assert!(is_absent(&stat(fd, "a").unwrap_err()));
        assert_eq!(stat(fd, "c").unwrap().len(), 1);
        assert!(probe(&d.path().join("c")).is_ok());
        assert!(is_absent(&probe(&d.path().join("a")).unwrap_err()));
        mkdir(fd, "sub", 0o700).unwrap();
        std::os::unix::fs::symlink("c", d.path().join("l")).unwrap();
        assert_eq!(
            open_for_reading(fd, "l").unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert!(open_for_reading(fd, "c").is_ok());
    }
}
