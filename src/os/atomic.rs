//! Writing a small file so that readers see the old content or the new one,
//! never half of either: a temporary file in the same directory, created
//! without following links, then renamed (or linked) over the name.
//!
//! What it must never do: follow a symlink planted at the temporary name,
//! leave the temporary file behind when a step fails, or replace a file when
//! asked not to.

use std::fs;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::os::{at, sys};

/// What to do when `name` already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it (atomic `rename`).
    Replace,
    /// Fail with `AlreadyExists` (atomic `link`, which never replaces).
    Keep,
}

/// Writes `bytes` to `dir/name` with permission bits `mode` (before umask).
/// `sync` flushes the data to disk before the rename (wanted for files that
/// outlive a reboot; pointless on the tmpfs of `XDG_RUNTIME_DIR`).
pub fn write(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mode: u32,
    existing: Existing,
    sync: bool,
) -> io::Result<()> {
    let dir = sys::openat(
        nix::fcntl::AT_FDCWD,
        dir,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    write_at(dir.as_fd(), name, bytes, mode, existing, sync)
}

/// [`write`] into the directory `dir` names by its descriptor: every step
/// (create, rename or link, clean up) is relative to it, so nothing on the
/// way to the directory is looked up again.
pub fn write_at(
    dir: BorrowedFd<'_>,
    name: &str,
    bytes: &[u8],
    mode: u32,
    existing: Existing,
    sync: bool,
) -> io::Result<()> {
    let (tmp, mut file) = create_temp(dir, name, mode)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| {
            if sync {
                sys::fsync(file.as_fd())
            } else {
                Ok(())
            }
        })
        .and_then(|()| {
            drop(file);
            match existing {
                Existing::Replace => at::rename(dir, &tmp, name),
                // link(2) fails with EEXIST instead of replacing, and works on
                // every libc (renameat2's RENAME_NOREPLACE is glibc-only in nix).
                Existing::Keep => at::link(dir, &tmp, name),
            }
        });
    if result.is_err() || existing == Existing::Keep {
        let _ = at::unlink(dir, &tmp);
    }
    result
}

/// Creates a fresh temporary file beside `name`: `O_CREAT|O_EXCL|O_NOFOLLOW`,
/// so an existing file or symlink at that name is never opened. The name
/// starts with a dot and ends in `.tmp`, so directory watchers that look for
/// `*.desktop` ignore it.
fn create_temp(dir: BorrowedFd<'_>, name: &str, mode: u32) -> io::Result<(String, fs::File)> {
    let pid = sys::getpid();
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for attempt in 0..16u32 {
        let nanos = sys::since_epoch().subsec_nanos();
        let tmp = format!(".{name}.{pid}.{nanos:x}{attempt}.tmp");
        match at::create_new(dir, &tmp, mode) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_and_keep() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "f", b"one", 0o600, Existing::Keep, false).unwrap();
        let e = write(d.path(), "f", b"two", 0o600, Existing::Keep, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(d.path().join("f")).unwrap(), b"one");
        write(d.path(), "f", b"three", 0o600, Existing::Replace, true).unwrap();
        assert_eq!(fs::read(d.path().join("f")).unwrap(), b"three");
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
