//! The one trust rule, for every file and directory gpu-launch reads or
//! writes (config files, the session state, desktop-file targets): it must
//! be owned by the user or root, and writable by nobody else (no group or
//! other write bit), as ssh asks of its files. Anyone else who could write
//! it could choose the GPU, the environment or the program of a launch.
//!
//! One rule, one wording: [`check`] and [`check_dir`] refuse with
//! `Error::Untrusted`, whose reason comes from [`judge`].

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Why a file with permission bits `mode`, owned by `owner`, cannot be
/// trusted by user `uid`; `None` when it can. Pure.
pub fn judge(mode: u32, owner: u32, uid: u32) -> Option<String> {
    if mode & 0o022 != 0 {
        let who = if mode & 0o002 != 0 {
            "others"
        } else {
            "its group"
        };
        return Some(format!(
            "it is writable by {who} (mode {:o}); run chmod go-w on it",
            mode & 0o7777
        ));
    }
    if owner != uid && owner != 0 {
        return Some(format!(
            "it is owned by uid {owner}, neither you (uid {uid}) nor root"
        ));
    }
    None
}

/// Applies the rule to `path`, whose metadata is `meta` (from `stat`,
/// `lstat` or an open descriptor, as the caller needs).
pub fn check(path: &Path, meta: &Metadata) -> Result<()> {
    match judge(meta.mode(), meta.uid(), nix::unistd::getuid().as_raw()) {
        None => Ok(()),
        Some(why) => Err(untrusted(path, why)),
    }
}

/// [`check`] for a directory: `meta` must also be a directory's (from
/// `lstat`, a symbolic link is refused as such).
pub fn check_dir(path: &Path, meta: &Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        return Err(untrusted(
            path,
            "it is a symbolic link, not a directory of your own",
        ));
    }
    if !meta.is_dir() {
        return Err(untrusted(path, "it is not a directory"));
    }
    check(path, meta)
}

/// What an entry must be for gpu-launch to use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
}

/// Why an entry whose `st_mode` is `mode` is not a `want`, in words (`it is
/// a FIFO, not a regular file`); `None` when it is one. Pure.
pub fn judge_kind(mode: u32, want: Kind) -> Option<String> {
    let (is, wanted) = (
        mode & libc::S_IFMT,
        match want {
            Kind::File => (libc::S_IFREG, "a regular file"),
            Kind::Directory => (libc::S_IFDIR, "a directory"),
        },
    );
    if is == wanted.0 {
        return None;
    }
    let what = match is {
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        libc::S_IFDIR => "a directory",
        libc::S_IFREG => "a regular file",
        _ => "of an unknown kind",
    };
    Some(format!("it is {what}, not {}", wanted.1))
}

/// [`judge_kind`], then [`judge`]: the whole rule for an entry whose
/// `st_mode` is `mode`, owned by `owner`, for this process's user. Pure but
/// for the user id.
pub fn judge_entry(mode: u32, owner: u32, want: Kind) -> Option<String> {
    judge_kind(mode, want).or_else(|| judge(mode, owner, nix::unistd::getuid().as_raw()))
}

/// The refusal of `path`.
pub fn untrusted(path: &Path, why: impl Into<String>) -> Error {
    Error::Untrusted {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_by_the_user_or_root_and_writable_by_nobody_else() {
        for (mode, owner) in [(0o644, 1000), (0o600, 1000), (0o755, 0), (0o1700, 1000)] {
            assert_eq!(judge(mode, owner, 1000), None, "{mode:o} {owner}");
        }
        let why = judge(0o664, 1000, 1000).unwrap();
        assert!(
            why.starts_with("it is writable by its group (mode 664)"),
            "{why}"
        );
        let why = judge(0o1777, 1000, 1000).unwrap();
        assert!(
            why.starts_with("it is writable by others (mode 1777)"),
            "{why}"
        );
        assert_eq!(
            judge(0o644, 4321, 1000).unwrap(),
            "it is owned by uid 4321, neither you (uid 1000) nor root"
        );
    }

    #[test]
    fn kinds_in_words() {
        assert_eq!(judge_kind(libc::S_IFREG | 0o600, Kind::File), None);
        assert_eq!(judge_kind(libc::S_IFDIR | 0o700, Kind::Directory), None);
        assert_eq!(
            judge_kind(libc::S_IFIFO | 0o600, Kind::File).unwrap(),
            "it is a FIFO, not a regular file"
        );
        assert_eq!(
            judge_kind(libc::S_IFLNK | 0o777, Kind::Directory).unwrap(),
            "it is a symbolic link, not a directory"
        );
        assert_eq!(
            judge_kind(libc::S_IFSOCK | 0o600, Kind::File).unwrap(),
            "it is a socket, not a regular file"
        );
    }
}
