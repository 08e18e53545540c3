//! The one trust rule, for every file and directory gpu-launch reads or
//! writes (config files, the session state, desktop-file targets): it must
//! be owned by the user or root, and writable by nobody else (no group or
//! other write bit), as ssh asks of its files. Anyone else who could write
//! it could choose the GPU, the environment or the program of a launch.
//!
//! One rule, one wording: [`check`] and [`check_dir`] refuse with
//! `Error::Untrusted`, whose reason comes from [`judge`].
//!
//! Config files also need their directories trusted, as ssh checks
//! `~/.ssh/authorized_keys` ([`check_ancestors`]): whoever can write a
//! directory above the file can put another file in its place. Every
//! directory from the file's own up to `/` is checked (ssh stops at the home
//! directory; a config file may live anywhere, `/etc` or a path in
//! `$GPU_LAUNCH_CONFIG`, so the walk always goes to the top). One exception:
//! a directory writable by others that has the sticky bit and is owned by
//! root or the user (`/tmp`, `/var/tmp`, `/dev/shm`). There, others may add
//! entries but cannot rename or remove the user's, and each entry below it
//! on the way to the file is checked in its turn, so nothing in the path can
//! be swapped.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::os::sys;

/// Why a file with permission bits `mode`, owned by `owner`, cannot be
/// trusted by user `uid`; `None` when it can. Pure.
pub fn judge(mode: u32, owner: u32, uid: u32) -> Option<String> {
    judge_as(mode, owner, uid, "it", "on it")
}

/// [`judge`] for a directory above a file, named `dir`: a sticky directory
/// owned by root or the user may be writable by others (see the module
/// comment).
pub fn judge_dir(mode: u32, owner: u32, uid: u32, dir: &Path) -> Option<String> {
    let sticky = mode & 0o1000 != 0;
    let mode = if sticky { mode & !0o022 } else { mode };
    let shown = dir.display();
    judge_as(
        mode,
        owner,
        uid,
        &format!("its directory {shown}"),
        &shown.to_string(),
    )
}

/// The reason, with `subject` for what is judged (`it`, `its directory
/// /x`) and `target` for where chmod goes (`on it`, `/x`).
fn judge_as(mode: u32, owner: u32, uid: u32, subject: &str, target: &str) -> Option<String> {
    if mode & 0o022 != 0 {
        let who = if mode & 0o002 != 0 {
            "others"
        } else {
            "its group"
        };
        return Some(format!(
            "{subject} is writable by {who} (mode {:o}); run chmod go-w {target}",
            mode & 0o7777
        ));
    }
    if owner != uid && owner != 0 {
        return Some(format!(
            "{subject} is owned by uid {owner}, neither you (uid {uid}) nor root"
        ));
    }
    None
}

/// Applies the rule to `path`, whose metadata is `meta` (from `stat`,
/// `lstat` or an open descriptor, as the caller needs).
pub fn check(path: &Path, meta: &Metadata) -> Result<()> {
    match judge(meta.mode(), meta.uid(), sys::getuid()) {
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
    judge_kind(mode, want).or_else(|| judge(mode, owner, sys::getuid()))
}

/// The session state's form of the rule. The contract asks the state
/// directory and files to be "the user's own plain 0700 directory / regular
/// file": on top of [`judge_entry`], owned by the user (root's is not the
/// user's own), and a directory nobody else may enter or list. Pure but for
/// the user id.
pub fn judge_own_entry(mode: u32, owner: u32, want: Kind) -> Option<String> {
    judge_entry(mode, owner, want).or_else(|| judge_own(mode, owner, sys::getuid(), want))
}

/// The part of [`judge_own_entry`] beyond the one rule, for user `uid`. Pure.
fn judge_own(mode: u32, owner: u32, uid: u32, want: Kind) -> Option<String> {
    if owner != uid {
        return Some(format!(
            "it is owned by uid {owner}, not by you (uid {uid})"
        ));
    }
    if want == Kind::Directory && mode & 0o077 != 0 {
        return Some(format!(
            "it is open to others (mode {:o}), not 0700; run chmod 700 on it",
            mode & 0o7777
        ));
    }
    None
}

/// Applies the rule to every directory above the file `path` (see the
/// module comment), from its own directory up to `/`. The path is made
/// absolute and free of symbolic links first, so the directories checked
/// are those the file is really in.
pub fn check_ancestors(path: &Path) -> Result<()> {
    let real = std::fs::canonicalize(path).map_err(Error::io("cannot resolve", path))?;
    let uid = sys::getuid();
    let mut dir = real.parent();
    while let Some(d) = dir {
        let meta = std::fs::metadata(d).map_err(Error::io("cannot look at", d))?;
        if let Some(why) = judge_dir(meta.mode(), meta.uid(), uid, d) {
            return Err(untrusted(path, why));
        }
        dir = d.parent();
    }
    Ok(())
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
        assert_eq!(
            judge(0o664, 1000, 1000).unwrap(),
            "it is writable by its group (mode 664); run chmod go-w on it"
        );
        assert_eq!(
            judge(0o1777, 1000, 1000).unwrap(),
            "it is writable by others (mode 1777); run chmod go-w on it"
        );
        assert_eq!(
            judge(0o644, 4321, 1000).unwrap(),
            "it is owned by uid 4321, neither you (uid 1000) nor root"
        );
    }

    #[test]
    fn session_state_is_the_users_own_and_a_directory_is_0700() {
        let dir = Kind::Directory;
        assert_eq!(judge_own(0o700, 1000, 1000, dir), None);
        assert_eq!(judge_own(0o644, 1000, 1000, Kind::File), None);
        assert_eq!(
            judge_own(0o700, 0, 1000, dir).unwrap(),
            "it is owned by uid 0, not by you (uid 1000)"
        );
        assert!(judge_own(0o600, 0, 1000, Kind::File).is_some());
        for mode in [0o755, 0o750, 0o701, 0o710] {
            assert_eq!(
                judge_own(mode, 1000, 1000, dir).unwrap(),
                format!("it is open to others (mode {mode:o}), not 0700; run chmod 700 on it")
            );
        }
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
        assert_eq!(
            judge_kind(libc::S_IFCHR | 0o666, Kind::File).unwrap(),
            "it is a character device, not a regular file"
        );
        assert_eq!(
            judge_kind(libc::S_IFBLK | 0o660, Kind::Directory).unwrap(),
            "it is a block device, not a directory"
        );
        assert_eq!(
            judge_kind(libc::S_IFREG | 0o600, Kind::Directory).unwrap(),
            "it is a regular file, not a directory"
        );
        assert_eq!(
            judge_kind(libc::S_IFDIR | 0o700, Kind::File).unwrap(),
            "it is a directory, not a regular file"
        );
    }

    #[test]
    fn directories_above_a_file_may_be_sticky_but_not_open_to_others() {
        let d = Path::new("/x");
        for (mode, owner) in [
            (0o755, 1000),
            (0o700, 0),
            (0o1777, 0),
            (0o1777, 1000),
            (0o1775, 0),
        ] {
            assert_eq!(judge_dir(mode, owner, 1000, d), None, "{mode:o} {owner}");
        }
        assert_eq!(
            judge_dir(0o777, 0, 1000, d).unwrap(),
            "its directory /x is writable by others (mode 777); run chmod go-w /x"
        );
        assert_eq!(
            judge_dir(0o775, 1000, 1000, d).unwrap(),
            "its directory /x is writable by its group (mode 775); run chmod go-w /x"
        );
        // Sticky, but someone else's: they could rename what is in it.
        assert_eq!(
            judge_dir(0o1777, 4321, 1000, d).unwrap(),
            "its directory /x is owned by uid 4321, neither you (uid 1000) nor root"
        );
    }

    #[test]
    fn ancestors_are_walked_to_the_top() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "").unwrap();
        let set = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        set(&tmp.path().join("a"), 0o755);
        set(&dir, 0o755);
        check_ancestors(&file).unwrap();
        set(&tmp.path().join("a"), 0o777);
        let e = check_ancestors(&file).unwrap_err().to_string();
        let a = std::fs::canonicalize(tmp.path().join("a")).unwrap();
        assert!(
            e.contains(&format!("its directory {} is writable", a.display())),
            "{e}"
        );
        // A link to the directory is no way around it.
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(check_ancestors(&link.join("c.toml")).is_err());
        set(&tmp.path().join("a"), 0o1777);
        check_ancestors(&link.join("c.toml")).unwrap();
    }
}
