//! The one way gpu-launch opens a file it was given or found by a path
//! (config files, session state, sysfs attributes, `pci.ids`, desktop files,
//! the NVML library before `dlopen`), and the bounded ways it reads one.
//!
//! Every open is `O_NONBLOCK` (a FIFO planted where a file should be never
//! blocks the open, and a read of it returns at once), `O_NOCTTY` (a
//! terminal there never becomes the controlling terminal PROGRAM inherits)
//! and `O_CLOEXEC`, and `O_NOFOLLOW` where a final link must be refused.
//! Then the descriptor is asked what it is (`fstat` on the open descriptor,
//! not a second look at the path, so nothing can be swapped in between):
//! where a file is meant, anything but a regular file is refused
//! ([`open_regular`]). Reading is bounded twice: by size ([`Regular::read_all`])
//! and, for files read line by line, by line length ([`Lines`]), so
//! `/dev/zero` or a 10 GiB sparse file costs a refusal, not memory.
//!
//! Sysfs attributes open relative to the sysfs root's descriptor instead,
//! with the same flags and the kernel's guarantee that the path stays
//! beneath the root ([`open_beneath`]: `openat2` with `RESOLVE_BENEATH`, or a
//! walk of the path one name at a time where the kernel lacks it).
//!
//! Also the one place detection looks outside sysfs: [`follow_links`], which
//! follows a compositor's `/dev/dri/...` entry to the node it names with
//! `readlink` alone, never opening it.

use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Take};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{Mode, SFlag};

use crate::os::{paths, sys};

/// Whether a final symbolic link in the path may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Follow,
    /// A final link fails with `ELOOP` (see [`is_link_error`]).
    Refuse,
}

/// The flags of every open for reading, besides `O_RDONLY`.
const READ_FLAGS: libc::c_int = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;

/// The flags of an open for reading, as [`open_beneath`] takes them.
pub fn read_flags(links: Links) -> OFlag {
    let flags = OFlag::from_bits_retain(READ_FLAGS) | OFlag::O_RDONLY;
    match links {
        Links::Follow => flags,
        Links::Refuse => flags | OFlag::O_NOFOLLOW,
    }
}

/// Opens `path` for reading; `Ok(None)` when nothing is there. The file may
/// be of any kind: callers that mean a file use [`open_regular`].
pub fn open_for_reading(path: &Path, links: Links) -> io::Result<Option<File>> {
    let mut flags = READ_FLAGS;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// True when an open with [`Links::Refuse`] failed because the path is a link.
pub fn is_link_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// True for the errors that mean "nothing is there": no such file, a
/// component that is not a directory, or a name too long to exist.
fn absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || matches!(e.raw_os_error(), Some(libc::ENOTDIR | libc::ENAMETOOLONG))
}

/// A regular file open for reading, with what `fstat` said of the descriptor.
#[derive(Debug)]
pub struct Regular {
    pub file: File,
    pub meta: Metadata,
}

/// Opens `path` ([`open_for_reading`]) and requires a regular file there:
/// anything else (a FIFO, a socket, a device, a directory) is an error that
/// [`is_not_regular`] recognises and whose message says what it is.
/// `Ok(None)` when nothing is there.
///
/// It looks before it opens: opening a device node runs its driver's open
/// (a DRM render node resumes a sleeping GPU), so the path is first opened
/// `O_PATH` (which opens nothing) and anything but a regular file is refused
/// unopened. The check after the real open stays, as the path may change
/// in between.
pub fn open_regular(path: &Path, links: Links) -> io::Result<Option<Regular>> {
    let mut look = OFlag::O_PATH | OFlag::O_CLOEXEC;
    if links == Links::Refuse {
        look |= OFlag::O_NOFOLLOW;
    }
    match sys::openat(nix::fcntl::AT_FDCWD, path, look, Mode::empty()) {
        Ok(fd) => {
            let meta = File::from(fd).metadata()?;
            if links == Links::Refuse && meta.file_type().is_symlink() {
                // What the open below would say ([`is_link_error`]).
                return Err(io::Error::from_raw_os_error(libc::ELOOP));
            }
            if !meta.is_file() {
                return Err(not_regular(kind_of(&meta.file_type())));
            }
        }
        Err(e) => {
            let e = io::Error::from(e);
            return if absent(&e) { Ok(None) } else { Err(e) };
        }
    }
    let Some(file) = open_for_reading(path, links)? else {
        return Ok(None);
    };
    regular(file).map(Some)
}

/// [`open_regular`] for `name` in the directory open as `dir` (`openat`):
/// for state kept relative to a directory descriptor.
pub fn open_regular_at(
    dir: BorrowedFd<'_>,
    name: &Path,
    links: Links,
) -> io::Result<Option<Regular>> {
    match sys::openat(dir, name, read_flags(links), Mode::empty()) {
        Ok(fd) => regular(File::from(fd)).map(Some),
        Err(e) => {
            let e = io::Error::from(e);
            if absent(&e) { Ok(None) } else { Err(e) }
        }
    }
}

fn regular(file: File) -> io::Result<Regular> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(kind_of(&meta.file_type())));
    }
    Ok(Regular { file, meta })
}

/// What a file of type `t` is, in words ("a FIFO").
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// The error of a path that names something other than a regular file.
#[derive(Debug)]
struct NotRegular(&'static str);

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a regular file (it is {})", self.0)
    }
}

impl std::error::Error for NotRegular {}

fn not_regular(kind: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, NotRegular(kind))
}

/// True when `e` is [`open_regular`]'s refusal of something not a regular file.
pub fn is_not_regular(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NotRegular>())
}

/// Requires the file open as `fd` to be a regular file: one `fstat`.
pub fn require_regular(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mode = sys::fstat_mode(fd)?;
    let fmt = SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits());
    if fmt == SFlag::S_IFREG {
        return Ok(());
    }
    let kind = match fmt {
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        _ => "not a file",
    };
    Err(not_regular(kind))
}

fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than {max} bytes"),
    )
}

impl Regular {
    /// The whole file, which must be at most `max` bytes (as `fstat` says
    /// and as read: a file that grows meanwhile is still cut at `max + 1`).
    pub fn read_all(self, max: u64) -> io::Result<Vec<u8>> {
        if self.meta.len() > max {
            return Err(too_large(max));
        }
        let mut bytes = Vec::with_capacity(self.meta.len() as usize);
        self.file.take(max + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Err(too_large(max));
        }
        Ok(bytes)
    }

    /// The file line by line: at most `max` bytes in all (a larger file is
    /// refused before reading, one that grows is cut there), no line longer
    /// than `max_line` bytes (see [`Lines`]).
    pub fn lines(self, max: u64, max_line: usize) -> io::Result<Lines<BufReader<Take<File>>>> {
        if self.meta.len() > max {
            return Err(too_large(max));
        }
        Ok(Lines::new(BufReader::new(self.file.take(max)), max_line))
    }
}

/// Lines of a reader, each at most `max_line` bytes: a longer one is an
/// error (`InvalidData`) once `max_line` bytes of it have been buffered, so
/// a file without line breaks never grows memory past the bound.
#[derive(Debug)]
pub struct Lines<R> {
    reader: R,
    max_line: usize,
    line: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R, max_line: usize) -> Self {
        Lines {
            reader,
            max_line,
            line: Vec::new(),
        }
    }

    /// The next line with its `\n` (the last one may lack it); `None` at
    /// the end.
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.line.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok((!self.line.is_empty()).then_some(&self.line[..]));
            }
            let (take, done) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if self.line.len() + take > self.max_line {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line longer than {} bytes", self.max_line),
                ));
            }
            self.line.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            if done {
                return Ok(Some(&self.line[..]));
            }
        }
    }
}

/// False once `openat2` has answered `ENOSYS` (a kernel before 5.6, or a
/// sandbox that hides it): then [`open_beneath`] walks.
static OPENAT2: AtomicBool = AtomicBool::new(true);

/// Opens `rel`, a relative path, beneath the directory open as `root`: no
/// component may lead out of it (no `..` above it, no absolute link, no
/// magic link of `/proc`), whatever the tree holds. Links inside it are
/// followed as the kernel does, but for a final link when `flags` holds
/// `O_NOFOLLOW`. `Ok(None)` when nothing is there (or the path would leave
/// the root: to the caller, that is no attribute).
///
/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: one system call, like
/// the plain `openat` it replaces. Where the kernel has no `openat2`, the
/// same is done by [`walk_beneath`].
pub fn open_beneath(root: BorrowedFd<'_>, rel: &[u8], flags: OFlag) -> io::Result<Option<OwnedFd>> {
    let rel = if rel.is_empty() { &b"."[..] } else { rel };
    let result = if OPENAT2.load(Ordering::Relaxed) {
        let how = OpenHow::new()
            .flags(flags | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        match nix::fcntl::openat2(root, std::ffi::OsStr::from_bytes(rel), how) {
            Err(Errno::ENOSYS) => {
                OPENAT2.store(false, Ordering::Relaxed);
                walk_beneath(root, rel, flags)
            }
            other => other,
        }
    } else {
        walk_beneath(root, rel, flags)
    };
    match result {
        Ok(fd) => Ok(Some(fd)),
        // EXDEV: the path would leave the root; ELOOP/EAGAIN: too many
        // links, or a rename raced the resolution.
        Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::EXDEV) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The names in the directory open as `dir` (unsorted, without `.` and
/// `..`), at most `max` of them (a directory with more is read that far):
/// `getdents64` until it returns nothing, into a stack buffer.
pub fn dir_names(dir: BorrowedFd<'_>, max: usize) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8192];
    loop {
        let mut records = match crate::os::sys::getdents(dir, &mut buf) {
            Ok([]) => return Ok(names),
            Ok(filled) => filled,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16,
        // d_type u8, then the NUL-terminated name.
        while let Some(len) = records.get(16..18) {
            let len = usize::from(u16::from_ne_bytes([len[0], len[1]]));
            let (Some(record), true) = (records.get(..len), len > 19) else {
                return Err(io::Error::from(io::ErrorKind::InvalidData));
            };
            let name = &record[19..];
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            if name != b"." && name != b".." {
                if names.len() == max {
                    return Ok(names);
                }
                names.push(OsString::from_vec(name.to_vec()));
            }
            records = &records[len..];
        }
    }
}

/// The names in the directory `path` (unsorted, without `.` and `..`): one
/// `openat` as `opendir` makes it, then [`dir_names`]. `std::fs::read_dir`
/// without its four libc imports (`opendir`, `readdir64`, `closedir`,
/// `dirfd`; see `os::sys`).
pub fn list_dir(path: &Path) -> io::Result<Vec<OsString>> {
    let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let fd = sys::openat(nix::fcntl::AT_FDCWD, path, flags, Mode::empty())?;
    dir_names(fd.as_fd(), usize::MAX)
}

/// Opens `name` in the directory open as `dir`, beneath it: a plain name
/// (no `/`, not `.` or `..`) with one `openat`, anything else through
/// [`open_beneath`]. `Ok(None)` when nothing is there.
pub fn open_in(dir: BorrowedFd<'_>, name: &[u8], flags: OFlag) -> io::Result<Option<OwnedFd>> {
    if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
        return open_beneath(dir, name, flags);
    }
    match sys::openat(
        dir,
        std::ffi::OsStr::from_bytes(name),
        flags | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How many links a walk follows at most (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// [`open_beneath`] without `openat2`: the path is walked one name at a time
/// from `root`, each opened `O_PATH | O_NOFOLLOW` relative to the one before,
/// so the kernel never follows a link on its own. A link met on the way is
/// read (`readlinkat`) and its target spliced in place of it, resolved
/// against the names walked so far: an absolute target, or a `..` above the
/// root, fails with `EXDEV`, as `RESOLVE_BENEATH` does. `..` is resolved on
/// the names (the walk restarts from `root`), never by opening `..`.
pub fn walk_beneath(root: BorrowedFd<'_>, rel: &[u8], flags: OFlag) -> nix::Result<OwnedFd> {
    use std::borrow::Cow;
    let nofollow_last = flags.contains(OFlag::O_NOFOLLOW);
    // Names still to walk, last first (so `pop` takes the next one):
    // borrowed from `rel`, owned where a link's target was spliced in.
    let mut todo: Vec<Cow<'_, [u8]>> = segments(rel).rev().map(Cow::Borrowed).collect();
    // Names walked (all directories), and the descriptor of the last.
    let mut done: Vec<Cow<'_, [u8]>> = Vec::with_capacity(todo.len());
    let mut links = 0;
    let mut at: Option<OwnedFd> = None;
    let path_flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    while let Some(name) = todo.pop() {
        if *name == *b".." {
            if done.pop().is_none() {
                return Err(Errno::EXDEV);
            }
            at = reopen(root, &done)?;
            continue;
        }
        let dir = at.as_ref().map_or(root, AsFd::as_fd);
        let last = todo.is_empty();
        let cname = std::ffi::OsStr::from_bytes(&name);
        let opened = if last {
            sys::openat(
                dir,
                cname,
                flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
        } else {
            sys::openat(dir, cname, path_flags | OFlag::O_DIRECTORY, Mode::empty())
        };
        let error = match opened {
            Ok(fd) if last => return Ok(fd),
            Ok(fd) => {
                done.push(name);
                at = Some(fd);
                continue;
            }
            // What a link gives under O_NOFOLLOW: ELOOP, or ENOTDIR with
            // O_DIRECTORY (a file gives ENOTDIR too: readlinkat tells).
            Err(e @ (Errno::ELOOP | Errno::ENOTDIR)) if !(last && nofollow_last) => e,
            Err(e) => return Err(e),
        };
        let target = match sys::readlinkat(dir, cname) {
            Ok(t) => t,
            Err(Errno::EINVAL) => return Err(error),
            Err(e) => return Err(e),
        };
        links += 1;
        if links > MAX_LINKS {
            return Err(Errno::ELOOP);
        }
        let target = target.as_bytes();
        if target.first() == Some(&b'/') {
            return Err(Errno::EXDEV);
        }
        todo.extend(segments(target).rev().map(|s| Cow::Owned(s.to_vec())));
    }
    // Only names that were all `..`/`.`: the directory reached.
    let dir = at.as_ref().map_or(root, AsFd::as_fd);
    sys::openat(dir, ".", flags | OFlag::O_CLOEXEC, Mode::empty())
}

/// The non-empty, non-`.` segments of a path.
fn segments(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|c| *c == b'/')
        .filter(|s| !s.is_empty() && *s != b".")
}

/// The descriptor of `names` below `root` again, each opened without
/// following a link (they were directories a moment ago); `None` for the
/// root itself.
fn reopen(
    root: BorrowedFd<'_>,
    names: &[std::borrow::Cow<'_, [u8]>],
) -> nix::Result<Option<OwnedFd>> {
    let mut at: Option<OwnedFd> = None;
    for name in names {
        let dir = at.as_ref().map_or(root, AsFd::as_fd);
        at = Some(sys::openat(
            dir,
            std::ffi::OsStr::from_bytes(name.as_ref()),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?);
    }
    Ok(at)
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
    use std::os::fd::AsFd;
    use std::os::unix::fs::symlink;

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
        symlink("file", dir.path().join("link")).unwrap();
        assert!(
            open_for_reading(&dir.path().join("link"), Links::Follow)
                .unwrap()
                .is_some()
        );
        let e = open_for_reading(&dir.path().join("link"), Links::Refuse).unwrap_err();
        assert!(is_link_error(&e));
    }

    #[test]
    fn refusing_links_and_never_waiting_on_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("file"), "x").unwrap();
        symlink(d.join("file"), d.join("link")).unwrap();
        nix::unistd::mkfifo(&d.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(
            open_regular(&d.join("file"), Links::Refuse)
                .unwrap()
                .is_some()
        );
        let e = open_regular(&d.join("link"), Links::Refuse).unwrap_err();
        assert!(is_link_error(&e), "{e}");
        assert!(
            open_regular(&d.join("link"), Links::Follow)
                .unwrap()
                .is_some()
        );
        // A FIFO nobody writes: looked at O_PATH, never opened, so never
        // waited on, whichever way links are taken.
        for links in [Links::Follow, Links::Refuse] {
            let e = open_regular(&d.join("fifo"), links).unwrap_err();
            assert!(is_not_regular(&e), "{links:?}: {e}");
        }
    }

    #[test]
    fn only_regular_files_are_opened_as_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        nix::unistd::mkfifo(&d.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
        symlink("/dev/zero", d.join("zero")).unwrap();
        std::fs::create_dir(d.join("dir")).unwrap();
        for (name, kind) in [
            ("fifo", "a FIFO"),
            ("zero", "a character device"),
            ("dir", "a directory"),
        ] {
            let e = open_regular(&d.join(name), Links::Follow).unwrap_err();
            assert!(is_not_regular(&e), "{name}: {e}");
            assert_eq!(e.to_string(), format!("not a regular file (it is {kind})"));
            let e = open_regular_at(dir_fd(d).as_fd(), Path::new(name), Links::Follow).unwrap_err();
            assert!(is_not_regular(&e), "{name}: {e}");
        }
        // A socket cannot be opened at all.
        assert!(open_regular(&d.join("sock"), Links::Follow).is_err());
        let e = open_regular_at(dir_fd(d).as_fd(), Path::new("zero"), Links::Refuse).unwrap_err();
        assert!(is_link_error(&e));
        assert!(
            open_regular(&d.join("nothing"), Links::Follow)
                .unwrap()
                .is_none()
        );
        // Through a file, or a name too long to exist: nothing there.
        std::fs::write(d.join("file"), "x").unwrap();
        assert!(
            open_regular(&d.join("file/x"), Links::Follow)
                .unwrap()
                .is_none()
        );
        let long = "x".repeat(300);
        assert!(
            open_regular(&d.join(long), Links::Follow)
                .unwrap()
                .is_none()
        );
        let fd = File::open(d.join("fifo").parent().unwrap()).unwrap();
        assert!(require_regular(fd.as_fd()).is_err());
        let file = File::open(d.join("file")).unwrap();
        assert!(require_regular(file.as_fd()).is_ok());
    }

    fn dir_fd(d: &Path) -> File {
        File::open(d).unwrap()
    }

    #[test]
    fn reads_are_bounded_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "0123456789").unwrap();
        let open = || open_regular(&p, Links::Follow).unwrap().unwrap();
        assert_eq!(open().read_all(10).unwrap(), b"0123456789");
        let e = open().read_all(9).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(e.to_string(), "larger than 9 bytes");
        // A 10 GiB sparse file is refused before a byte is read.
        let sparse = dir.path().join("sparse");
        File::create(&sparse).unwrap().set_len(10 << 30).unwrap();
        let big = open_regular(&sparse, Links::Follow).unwrap().unwrap();
        assert_eq!(
            big.read_all(1 << 20).unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
        let big = open_regular(&sparse, Links::Follow).unwrap().unwrap();
        assert!(big.lines(1 << 20, 100).is_err());
    }

    #[test]
    fn lines_are_bounded_by_length() {
        let text = b"one\ntwo\r\n\nthree";
        let mut lines = Lines::new(&text[..], 5);
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            got.push(l.to_vec());
        }
        assert_eq!(got, [&b"one\n"[..], b"two\r\n", b"\n", b"three"]);
        // A line of 6 bytes (with its \n) is one too many; so is a file of
        // zeros without any line break: the error comes at the bound.
        let mut lines = Lines::new(&b"ok\nsixsix\n"[..], 5);
        assert_eq!(lines.next_line().unwrap(), Some(&b"ok\n"[..]));
        assert_eq!(
            lines.next_line().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let zero = File::open("/dev/zero").unwrap();
        let mut lines = Lines::new(BufReader::with_capacity(64, zero), 1000);
        let e = lines.next_line().unwrap_err();
        assert_eq!(e.to_string(), "a line longer than 1000 bytes");
        assert!(lines.line.capacity() < 4096, "{}", lines.line.capacity());
    }

    /// A tree with links inside and out of `root`, opened both ways: by
    /// `openat2` and by the walk, which must agree.
    #[test]
    fn opens_beneath_stay_beneath_both_ways() {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("root");
        let outside = top.path().join("outside");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("a/b/attr"), "in").unwrap();
        std::fs::write(outside.join("attr"), "out").unwrap();
        symlink("a/b", root.join("inner")).unwrap();
        symlink("../a", root.join("a/up")).unwrap();
        symlink("../outside", root.join("escape")).unwrap();
        symlink(&outside, root.join("absolute")).unwrap();
        symlink("../../..", root.join("a/b/high")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("b/attr", root.join("a/attr-link")).unwrap();
        let fd = File::open(&root).unwrap();
        let read = |how: &dyn Fn(&[u8], OFlag) -> nix::Result<OwnedFd>, rel: &str| {
            how(rel.as_bytes(), OFlag::O_RDONLY | OFlag::O_NOFOLLOW).map(|fd| {
                std::fs::read_to_string(format!("/proc/self/fd/{}", {
                    use std::os::fd::AsRawFd;
                    fd.as_raw_fd()
                }))
                .unwrap()
            })
        };
        let openat2 = |rel: &[u8], flags| {
            open_beneath(fd.as_fd(), rel, flags)
                .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap()))?
                .ok_or(Errno::ENOENT)
        };
        let walk = |rel: &[u8], flags| walk_beneath(fd.as_fd(), rel, flags);
        for how in [
            &openat2 as &dyn Fn(&[u8], OFlag) -> nix::Result<OwnedFd>,
            &walk,
        ] {
            assert_eq!(read(how, "a/b/attr").as_deref(), Ok("in"));
            assert_eq!(read(how, "./a//b/attr").as_deref(), Ok("in"));
            assert_eq!(read(how, "inner/attr").as_deref(), Ok("in"));
            assert_eq!(read(how, "a/up/b/attr").as_deref(), Ok("in"));
            assert_eq!(read(how, "a/b/../b/attr").as_deref(), Ok("in"));
            assert!(read(how, "escape/attr").is_err());
            assert!(read(how, "absolute/attr").is_err());
            assert!(read(how, "a/b/high/outside/attr").is_err());
            assert!(read(how, "../outside/attr").is_err());
            assert!(read(how, "loop/x").is_err());
            // A final link is refused under O_NOFOLLOW.
            assert!(read(how, "a/attr-link").is_err());
            let dir = how(b"inner", OFlag::O_RDONLY | OFlag::O_DIRECTORY);
            assert!(dir.is_ok());
        }
        // Without O_NOFOLLOW, a final link inside the root is followed.
        let fd2 = walk_beneath(fd.as_fd(), b"a/attr-link", OFlag::O_RDONLY).unwrap();
        assert!(require_regular(fd2.as_fd()).is_ok());
        assert!(walk_beneath(fd.as_fd(), b"escape", OFlag::O_RDONLY).is_err());
    }

    #[test]
    fn directory_names_from_a_descriptor() {
        let dir = tempfile::tempdir().unwrap();
        let mut want: Vec<OsString> = (0..500)
            .map(|i| OsString::from(format!("entry-{i}-{}", "x".repeat(i % 200))))
            .collect();
        for name in &want {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let fd = File::open(dir.path()).unwrap();
        let mut got = dir_names(fd.as_fd(), usize::MAX).unwrap();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let fd = File::open(dir.path()).unwrap();
        assert_eq!(dir_names(fd.as_fd(), 100).unwrap().len(), 100);
        let empty = tempfile::tempdir().unwrap();
        let fd = File::open(empty.path()).unwrap();
        assert!(dir_names(fd.as_fd(), 10).unwrap().is_empty());
        let file = File::open("/dev/null").unwrap();
        assert!(dir_names(file.as_fd(), 10).is_err());
    }

    #[test]
    fn link_chains_are_followed_to_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("card1"), "").unwrap();
        symlink("card1", d.join("igpu")).unwrap();
        symlink(d.join("igpu"), d.join("gpu-link")).unwrap();
        symlink("card9", d.join("dangling")).unwrap();
        assert_eq!(follow_links(&d.join("igpu")), Some(d.join("card1")));
        assert_eq!(follow_links(&d.join("gpu-link")), Some(d.join("card1")));
        assert_eq!(follow_links(&d.join("dangling")), None);
        assert_eq!(follow_links(&d.join("card1")), None);
    }
}
