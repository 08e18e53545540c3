//! The few places gpu-launch needs `unsafe`: reading the argument and
//! environment blocks the kernel handed the process, without copying them;
//! writing a line to stderr without ever being killed or held by it; the
//! sockets of the journal and of a desktop notification (`log`); reading a
//! directory's entries from a descriptor (`getdents64`); and the system
//! calls that name a file relative to a directory's descriptor (`openat`,
//! `readlinkat`, `mkdirat`, ...), the ids and the clocks.
//!
//! Everything else in the crate is `#![deny(unsafe_code)]`.
//!
//! Why system calls go through `syscall(2)` here rather than through their
//! libc functions (or through nix and std, which call those): the binary is
//! linked BIND_NOW, so every libc function it imports is one more symbol
//! the dynamic loader looks up at every start, launches included, whether
//! or not that run calls it (about 300 to 1,000 instructions each under
//! callgrind; docs/PERFORMANCE.md). `syscall`, `read`, `write`, `close`,
//! `fstat64`, `statx` and `getauxval` are imported anyway (std and the C
//! start-up need them); everything else here is a raw system call, the same
//! one the libc function would make (strace shows no difference but for
//! `socket`+`ioctl(FIONBIO)` becoming one `socket(SOCK_NONBLOCK)`).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, OsStr, OsString, c_char, c_int};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

unsafe extern "C" {
    /// The process environment (POSIX `environ`).
    static environ: *const *const c_char;
}

/// The process's arguments from `main`'s `argc`/`argv`.
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings that live for the
/// whole process, as the C runtime's `main` arguments do.
pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<&'static CStr> {
    let n = usize::try_from(argc).unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: the caller guarantees argv[0..argc] are valid C strings with
        // static lifetime; a null entry ends the walk early.
        let p = unsafe { *argv.add(i) };
        if p.is_null() {
            break;
        }
        // SAFETY: p is a valid NUL-terminated string (above).
        out.push(unsafe { CStr::from_ptr(p) });
    }
    out
}

/// The process's environment block, entry by entry, borrowed.
///
/// gpu-launch never calls `setenv`/`putenv`, so the block and its strings stay
/// valid and unchanged for the life of the process.
pub fn environ_entries() -> Vec<&'static CStr> {
    let mut out = Vec::with_capacity(64);
    // SAFETY: `environ` is a null-terminated array of NUL-terminated strings
    // maintained by libc; nothing in this process modifies it (above).
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return out;
        }
        while !(*p).is_null() {
            out.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
    }
    out
}

/// True when the kernel started this process in secure mode (`AT_SECURE`):
/// set-user-ID or set-group-ID (effective ids differ from the real ones) or
/// with gained capabilities. Read from the auxiliary vector: no system call.
pub fn secure_exec() -> bool {
    // SAFETY: getauxval only reads the auxiliary vector the kernel passed in;
    // it has no preconditions.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// The device numbers `(major, minor)` of the character device that
/// `dir/name` leads to, `None` for any other kind of file: `statx` with
/// `AT_STATX_DONT_SYNC`, so the magic links of `/proc/<pid>/fd` are
/// followed to their inode without opening anything, and a file on a
/// network file system whose server is gone answers from the cache instead
/// of hanging the caller (as `lsof` can hang).
pub fn char_device_at(
    dir: std::os::fd::BorrowedFd<'_>,
    name: &CStr,
) -> std::io::Result<Option<(u32, u32)>> {
    use std::os::fd::AsRawFd;
    let mut st = std::mem::MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: `dir` is an open descriptor for the whole call, `name` a
    // NUL-terminated string, and `st` points to a statx the kernel may fill.
    let rc = unsafe {
        libc::statx(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_STATX_DONT_SYNC,
            libc::STATX_TYPE,
            st.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: zero-initialised plain integers, filled in by a successful call.
    let st = unsafe { st.assume_init() };
    let kind = u32::from(st.stx_mode) & libc::S_IFMT;
    Ok((kind == libc::S_IFCHR).then_some((st.stx_rdev_major, st.stx_rdev_minor)))
}

// ---- stderr: a warning never kills, stops or holds up the launch ----

/// The kernel's signal set (`rt_sigprocmask` and friends take 8 bytes on
/// Linux, not glibc's 128-byte `sigset_t`).
type KernelSigset = u64;

const fn signal_bit(sig: c_int) -> KernelSigset {
    1 << (sig - 1)
}

/// The longest write [`write_stderr`] makes: `PIPE_BUF`, so a write to a
/// pipe with room for one more buffer completes at once, whole or not at
/// all (pipe(7)).
pub const STDERR_WRITE_MAX: usize = libc::PIPE_BUF;

/// Writes `line` (at most [`STDERR_WRITE_MAX`] bytes; longer is cut) to
/// stderr when that can be done at once, and drops it otherwise: stderr
/// closed, a pipe whose reader is gone, a full pipe nobody reads, a stopped
/// terminal. Never blocks, and never raises SIGPIPE: SIGPIPE is blocked
/// around the write, a SIGPIPE this write raised is taken off the pending
/// set (`sigtimedwait` with a zero timeout) unless one was pending before,
/// and the caller's mask is restored, so PROGRAM starts with the signal
/// state the caller gave. `false` when the line was dropped.
pub fn write_stderr(line: &[u8]) -> bool {
    let line = &line[..line.len().min(STDERR_WRITE_MAX)];
    let mut p = libc::pollfd {
        fd: libc::STDERR_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: one valid pollfd and a valid timespec; no signal mask (the
    // kernel then ignores its size). ppoll(2) through syscall(2): see the
    // module comment.
    let ready = unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            &raw mut p,
            1 as libc::nfds_t,
            &raw const zero,
            std::ptr::null::<KernelSigset>(),
            8 as libc::size_t,
        )
    };
    let broken = libc::POLLERR | libc::POLLHUP | libc::POLLNVAL;
    if ready != 1 || p.revents & libc::POLLOUT == 0 || p.revents & broken != 0 {
        return false;
    }
    let pipe = signal_bit(libc::SIGPIPE);
    let mut old: KernelSigset = 0;
    // SAFETY: valid pointers to two kernel-sized signal sets.
    let blocked = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &raw const pipe,
            &raw mut old,
            8 as libc::size_t,
        )
    } == 0;
    if !blocked {
        return false;
    }
    let mut pending: KernelSigset = 0;
    // SAFETY: a valid pointer to a kernel-sized signal set.
    let was_pending =
        unsafe { libc::syscall(libc::SYS_rt_sigpending, &raw mut pending, 8 as libc::size_t) } == 0
            && pending & pipe != 0;
    // SAFETY: line is a valid buffer of line.len() bytes.
    let n = unsafe { libc::write(libc::STDERR_FILENO, line.as_ptr().cast(), line.len()) };
    if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EPIPE) && !was_pending {
        // SAFETY: a valid signal set and timespec; no siginfo is asked for.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &raw const pipe,
                std::ptr::null_mut::<libc::siginfo_t>(),
                &raw const zero,
                8 as libc::size_t,
            )
        };
    }
    // SAFETY: restores the mask saved above; no old set is asked for.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &raw const old,
            std::ptr::null_mut::<KernelSigset>(),
            8 as libc::size_t,
        )
    };
    usize::try_from(n).is_ok_and(|n| n == line.len())
}

// ---- the socket of a desktop notification (`log::notify`) ----

/// A new AF_UNIX stream socket, non-blocking and close-on-exec.
pub fn unix_stream() -> io::Result<OwnedFd> {
    unix_socket(libc::SOCK_STREAM)
}

/// A new AF_UNIX datagram socket, non-blocking and close-on-exec, unbound
/// (the journal's).
pub fn unix_datagram() -> io::Result<OwnedFd> {
    unix_socket(libc::SOCK_DGRAM)
}

fn unix_socket(kind: c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked before use.
    let raw = unsafe {
        libc::syscall(
            libc::SYS_socket,
            libc::AF_UNIX,
            kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    new_fd(raw).map_err(io::Error::from)
}

/// A `sockaddr_un` for the socket file `name`, or with `abstract_name` for
/// the Linux abstract socket `name` (without its leading NUL), and its
/// length; `InvalidInput` unless `name` is 1 to 107 bytes (a path without
/// NUL).
fn unix_address(name: &[u8], abstract_name: bool) -> io::Result<(libc::sockaddr_un, usize)> {
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let skip = usize::from(abstract_name); // sun_path[0] stays NUL
    // 107 bytes: a path and its NUL, or the NUL and an abstract name.
    let fits = !name.is_empty() && name.len() < addr.sun_path.len();
    if !fits || (!abstract_name && name.contains(&0)) {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    for (dst, &src) in addr.sun_path[skip..].iter_mut().zip(name) {
        *dst = src as libc::c_char;
    }
    let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    // A path is counted with its NUL; an abstract name is exactly its bytes.
    Ok((addr, base + skip + name.len() + (1 - skip)))
}

/// sendto(2) of one datagram to the socket file `path`, not waiting
/// (`MSG_DONTWAIT`) and never raising SIGPIPE.
pub fn send_datagram(fd: &OwnedFd, path: &[u8], data: &[u8]) -> io::Result<usize> {
    let (addr, len) = unix_address(path, false)?;
    sendto(fd, data, (&raw const addr).cast(), len)
}

/// sendto(2) with MSG_NOSIGNAL | MSG_DONTWAIT to `addr` (`len` bytes; null
/// and 0 on a connected socket): never waits, and a peer that hung up is
/// `EPIPE`, never SIGPIPE.
fn sendto(fd: &OwnedFd, data: &[u8], addr: *const libc::sockaddr, len: usize) -> io::Result<usize> {
    // SAFETY: data is a valid buffer of data.len() bytes; addr is null with
    // len 0, or a valid sockaddr that len lies within (the callers').
    let n = unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd.as_raw_fd(),
            data.as_ptr(),
            data.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            addr,
            len as libc::socklen_t,
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// connect(2) to the socket file `name`, or with `abstract_name` to the
/// Linux abstract socket `name` (without its leading NUL). `name` must be
/// 1 to 107 bytes (a path without NUL); anything else is `InvalidInput`.
/// On a non-blocking socket, a listener whose backlog is full is `EAGAIN`.
pub fn connect_unix(fd: &OwnedFd, name: &[u8], abstract_name: bool) -> io::Result<()> {
    let (addr, len) = unix_address(name, abstract_name)?;
    loop {
        // SAFETY: addr is a valid sockaddr_un and len lies within it (checked
        // above). connect(2) through syscall(2): see the module comment.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_connect,
                fd.as_raw_fd(),
                (&raw const addr).cast::<libc::sockaddr>(),
                len as libc::socklen_t,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// send(2) with MSG_NOSIGNAL | MSG_DONTWAIT (as sendto(2) without an
/// address): a peer that hung up is `EPIPE`, never SIGPIPE.
pub fn send_nosignal(fd: &OwnedFd, data: &[u8]) -> io::Result<usize> {
    sendto(fd, data, std::ptr::null(), 0)
}

/// read(2) into `buf`; 0 is end of file.
pub fn read_some(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: buf is a valid, writable buffer of buf.len() bytes.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// What to wait for in [`wait_ready`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    Read,
    Write,
}

/// ppoll(2) on `fd` for at most `timeout`: `Ok(true)` when it is ready (or
/// has hung up or failed: the next read or write says which), `Ok(false)`
/// when the time ran out.
pub fn wait_ready(fd: &OwnedFd, ready: Ready, timeout: Duration) -> io::Result<bool> {
    let events = match ready {
        Ready::Read => libc::POLLIN,
        Ready::Write => libc::POLLOUT,
    };
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: p is one valid pollfd, ts a valid timespec; no signal mask (the
    // kernel then ignores the mask size). ppoll(2) through syscall(2): see
    // the module comment.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            &raw mut p,
            1 as libc::nfds_t,
            &raw const ts,
            std::ptr::null::<libc::sigset_t>(),
            8 as libc::size_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc > 0)
    }
}

/// The effective uid: what a bus reads from SO_PEERCRED.
pub fn effective_uid() -> u32 {
    resuid().1
}

/// Reads directory entries of the directory open as `fd` into `buf`
/// (`getdents64`: records of `struct linux_dirent64`) and returns the part
/// of `buf` the kernel filled, empty at the end. `buf` need not be
/// initialised (no `memset` of a buffer the kernel overwrites). Used where a
/// directory was opened through a descriptor (beneath the sysfs root):
/// `opendir` needs a path, and `fdopendir` costs three more system calls
/// (`fstat`, two `fcntl`).
pub fn getdents<'b>(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &'b mut [std::mem::MaybeUninit<u8>],
) -> std::io::Result<&'b [u8]> {
    use std::os::fd::AsRawFd;
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, which
    // is valid and exclusively borrowed for the call; `fd` is a live
    // descriptor for the duration of the borrow.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    let n = usize::try_from(n).map_err(|_| std::io::Error::last_os_error())?;
    let n = n.min(buf.len());
    // SAFETY: the kernel initialised the first `n` bytes (its return value,
    // at most `buf.len()`); `MaybeUninit<u8>` has the layout of `u8`.
    Ok(unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) })
}

// ---- files named relative to a directory's descriptor ----

/// The result of a system call that returns a value or -1 and `errno`.
fn check(rc: libc::c_long) -> nix::Result<libc::c_long> {
    if rc < 0 { Err(Errno::last()) } else { Ok(rc) }
}

/// A descriptor a system call just returned, owned; or its error.
fn new_fd(rc: libc::c_long) -> nix::Result<OwnedFd> {
    let fd = RawFd::try_from(check(rc)?).map_err(|_| Errno::EBADF)?;
    // SAFETY: a descriptor the kernel just created, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Calls `f` with `path` as a NUL-terminated string: copied into a stack
/// buffer when it fits (no allocation: a path on the launch path is
/// short), else into a `CString`. A path with a NUL in it is `EINVAL`, as
/// nix and libc-based callers say.
fn with_path<T>(path: &OsStr, f: impl FnOnce(*const c_char) -> T) -> nix::Result<T> {
    const STACK: usize = 512;
    let bytes = path.as_bytes();
    if bytes.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if bytes.len() >= STACK {
        let c = CString::new(bytes).map_err(|_| Errno::EINVAL)?;
        return Ok(f(c.as_ptr()));
    }
    let mut buf = [MaybeUninit::<u8>::uninit(); STACK];
    // SAFETY: `bytes.len() + 1 <= STACK`: the copy and the NUL after it stay
    // inside `buf`, which does not overlap `bytes`.
    unsafe {
        let dst = buf.as_mut_ptr().cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len());
        dst.add(bytes.len()).write(0);
    }
    Ok(f(buf.as_ptr().cast()))
}

/// openat(2): `path` relative to `dir` (or `nix::fcntl::AT_FDCWD`).
pub fn openat(
    dir: BorrowedFd<'_>,
    path: &(impl AsRef<OsStr> + ?Sized),
    flags: OFlag,
    mode: Mode,
) -> nix::Result<OwnedFd> {
    let rc = with_path(path.as_ref(), |p| {
        // SAFETY: `p` is a NUL-terminated path alive for the call; `dir` is
        // open (or AT_FDCWD) for the call; the kernel returns a new
        // descriptor or -1.
        unsafe {
            libc::syscall(
                libc::SYS_openat,
                dir.as_raw_fd(),
                p,
                flags.bits(),
                mode.bits() as libc::c_uint,
            )
        }
    })?;
    new_fd(rc)
}

/// readlinkat(2): where the link `path` (relative to `dir`) points, as
/// written. One system call into a stack buffer of `PATH_MAX` bytes (a
/// link's target is shorter: the kernel refuses longer ones), copied out at
/// its length; a target that fills the buffer is read again into a larger
/// one, as nix does.
pub fn readlinkat(
    dir: BorrowedFd<'_>,
    path: &(impl AsRef<OsStr> + ?Sized),
) -> nix::Result<OsString> {
    let path = path.as_ref();
    let mut stack = [MaybeUninit::<u8>::uninit(); libc::PATH_MAX as usize];
    let n = readlink_into(dir, path, &mut stack)?;
    if n < stack.len() {
        // SAFETY: the kernel wrote the first `n` bytes of `stack`.
        let bytes = unsafe { std::slice::from_raw_parts(stack.as_ptr().cast::<u8>(), n) };
        return Ok(OsString::from_vec(bytes.to_vec()));
    }
    let mut size = stack.len() * 2;
    loop {
        let mut heap: Vec<MaybeUninit<u8>> = Vec::with_capacity(size);
        heap.resize(size, MaybeUninit::uninit());
        let n = readlink_into(dir, path, &mut heap)?;
        if n < size {
            // SAFETY: the kernel wrote the first `n` bytes of `heap`.
            let bytes = unsafe { std::slice::from_raw_parts(heap.as_ptr().cast::<u8>(), n) };
            return Ok(OsString::from_vec(bytes.to_vec()));
        }
        size = size.checked_mul(2).ok_or(Errno::ENAMETOOLONG)?;
    }
}

fn readlink_into(
    dir: BorrowedFd<'_>,
    path: &OsStr,
    buf: &mut [MaybeUninit<u8>],
) -> nix::Result<usize> {
    let rc = with_path(path, |p| {
        // SAFETY: `p` is a NUL-terminated path alive for the call, `dir` is
        // open (or AT_FDCWD); the kernel writes at most `buf.len()` bytes
        // into `buf`, exclusively borrowed for the call.
        unsafe {
            libc::syscall(
                libc::SYS_readlinkat,
                dir.as_raw_fd(),
                p,
                buf.as_mut_ptr(),
                buf.len(),
            )
        }
    })?;
    Ok(check(rc)? as usize)
}

/// mkdirat(2): the directory `path` in `dir` with permission bits `mode`
/// (before umask).
pub fn mkdirat(
    dir: BorrowedFd<'_>,
    path: &(impl AsRef<OsStr> + ?Sized),
    mode: u32,
) -> nix::Result<()> {
    let rc = with_path(path.as_ref(), |p| {
        // SAFETY: `p` is a NUL-terminated path alive for the call, `dir` is
        // open (or AT_FDCWD).
        unsafe { libc::syscall(libc::SYS_mkdirat, dir.as_raw_fd(), p, mode as libc::mode_t) }
    })?;
    check(rc).map(drop)
}

/// unlinkat(2) of the file (not directory) `path` in `dir`.
pub fn unlinkat(dir: BorrowedFd<'_>, path: &(impl AsRef<OsStr> + ?Sized)) -> nix::Result<()> {
    let rc = with_path(path.as_ref(), |p| {
        // SAFETY: `p` is a NUL-terminated path alive for the call, `dir` is
        // open (or AT_FDCWD).
        unsafe { libc::syscall(libc::SYS_unlinkat, dir.as_raw_fd(), p, 0) }
    })?;
    check(rc).map(drop)
}

/// renameat(2) of `from` to `to`, both in `dir`, replacing `to`
/// (`renameat2` without flags: the same call, and the one every
/// architecture has).
pub fn renameat(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> nix::Result<()> {
    let rc = with_path(from, |f| {
        with_path(to, |t| {
            // SAFETY: `f` and `t` are NUL-terminated paths alive for the
            // call, `dir` is open.
            unsafe {
                libc::syscall(
                    libc::SYS_renameat2,
                    dir.as_raw_fd(),
                    f,
                    dir.as_raw_fd(),
                    t,
                    0,
                )
            }
        })
    })??;
    check(rc).map(drop)
}

/// linkat(2): `from`'s file gets the second name `to`, both in `dir`;
/// `EEXIST` rather than replacing `to`; a link `from` is not followed.
pub fn linkat(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> nix::Result<()> {
    let rc = with_path(from, |f| {
        with_path(to, |t| {
            // SAFETY: `f` and `t` are NUL-terminated paths alive for the
            // call, `dir` is open.
            unsafe { libc::syscall(libc::SYS_linkat, dir.as_raw_fd(), f, dir.as_raw_fd(), t, 0) }
        })
    })??;
    check(rc).map(drop)
}

/// The mode (type and permission bits) of the file open as `fd`: one
/// `fstat` (libc's `fstat64`, which std imports anyway).
pub fn fstat_mode(fd: BorrowedFd<'_>) -> nix::Result<u32> {
    let mut st = MaybeUninit::<libc::stat64>::uninit();
    // SAFETY: `fd` is open for the call, `st` points to a stat64 the
    // function fills on success.
    if unsafe { libc::fstat64(fd.as_raw_fd(), st.as_mut_ptr()) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: filled by the successful call above.
    Ok(unsafe { st.assume_init() }.st_mode)
}

/// fsync(2): the file's data and metadata on disk.
pub fn fsync(fd: BorrowedFd<'_>) -> io::Result<()> {
    loop {
        // SAFETY: `fd` is open for the call; fsync takes nothing else.
        let rc = unsafe { libc::syscall(libc::SYS_fsync, fd.as_raw_fd()) };
        match check(rc) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The current directory (getcwd(2)); like libc, `ENOENT` when it is not
/// reachable from the root (the kernel then answers `(unreachable)/...`).
pub fn current_dir() -> io::Result<PathBuf> {
    let mut size = libc::PATH_MAX as usize;
    loop {
        let mut buf: Vec<u8> = Vec::with_capacity(size);
        // SAFETY: the kernel writes at most `size` bytes (the path and its
        // NUL) into the spare capacity of `buf`.
        let rc = unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), size) };
        match check(rc) {
            Ok(n) => {
                // SAFETY: the kernel wrote `n` bytes, the last of them the NUL.
                unsafe { buf.set_len((n as usize).saturating_sub(1)) };
                if buf.first() != Some(&b'/') {
                    return Err(io::Error::from_raw_os_error(libc::ENOENT));
                }
                return Ok(PathBuf::from(OsString::from_vec(buf)));
            }
            Err(Errno::ERANGE) => size = size.checked_mul(2).ok_or(Errno::ENAMETOOLONG)?,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether `fd` is a terminal: the `TCGETS` ioctl succeeds, as libc's
/// `isatty` asks.
pub fn is_terminal(fd: BorrowedFd<'_>) -> bool {
    let mut t = MaybeUninit::<libc::termios>::uninit();
    // SAFETY: `t` has room for the kernel's termios (libc's is larger), which
    // TCGETS fills; `fd` is open for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_ioctl,
            fd.as_raw_fd(),
            libc::TCGETS,
            t.as_mut_ptr(),
        )
    };
    rc == 0
}

// ---- ids and clocks ----

/// The real uid.
pub fn getuid() -> u32 {
    // SAFETY: getuid(2) takes nothing and cannot fail.
    unsafe { libc::syscall(libc::SYS_getuid) as u32 }
}

/// The effective gid.
pub fn getegid() -> u32 {
    // SAFETY: getegid(2) takes nothing and cannot fail.
    unsafe { libc::syscall(libc::SYS_getegid) as u32 }
}

/// This process's id.
pub fn getpid() -> u32 {
    // SAFETY: getpid(2) takes nothing and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) as u32 }
}

/// The real, effective and saved uid.
pub fn resuid() -> (u32, u32, u32) {
    let (mut r, mut e, mut s): (libc::uid_t, libc::uid_t, libc::uid_t) = (0, 0, 0);
    // SAFETY: three valid pointers to uid_t; getresuid(2) cannot fail with them.
    unsafe { libc::syscall(libc::SYS_getresuid, &raw mut r, &raw mut e, &raw mut s) };
    (r, e, s)
}

/// The real, effective and saved gid.
pub fn resgid() -> (u32, u32, u32) {
    let (mut r, mut e, mut s): (libc::gid_t, libc::gid_t, libc::gid_t) = (0, 0, 0);
    // SAFETY: three valid pointers to gid_t; getresgid(2) cannot fail with them.
    unsafe { libc::syscall(libc::SYS_getresgid, &raw mut r, &raw mut e, &raw mut s) };
    (r, e, s)
}

/// The supplementary groups (getgroups(2)); empty when they cannot be read.
pub fn groups() -> Vec<u32> {
    // SAFETY: a size of 0 only asks how many there are; nothing is written.
    let n = unsafe { libc::syscall(libc::SYS_getgroups, 0, std::ptr::null_mut::<libc::gid_t>()) };
    let Ok(n) = usize::try_from(n) else {
        return Vec::new();
    };
    let mut out: Vec<libc::gid_t> = vec![0; n];
    // SAFETY: `out` has room for `n` gids, the size passed.
    let got = unsafe { libc::syscall(libc::SYS_getgroups, n, out.as_mut_ptr()) };
    match usize::try_from(got) {
        Ok(got) => {
            out.truncate(got);
            out
        }
        Err(_) => Vec::new(),
    }
}

/// A clock's reading (clock_gettime(2)) as the time since its start.
fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec for the kernel to fill; the clocks asked for
    // exist on every Linux.
    unsafe { libc::syscall(libc::SYS_clock_gettime, id, &raw mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// The monotonic clock (`CLOCK_MONOTONIC`, what `Instant` reads): for
/// deadlines.
pub fn monotonic() -> Duration {
    clock(libc::CLOCK_MONOTONIC)
}

/// The time since the Unix epoch (`CLOCK_REALTIME`).
pub fn since_epoch() -> Duration {
    clock(libc::CLOCK_REALTIME)
}
