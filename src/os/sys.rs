//! The few places gpu-launch needs `unsafe`: reading the argument and
//! environment blocks the kernel handed the process, without copying them;
//! writing a line to stderr without ever being killed or held by it; the
//! socket of a desktop notification (`log::notify`); and reading a
//! directory's entries from a descriptor (`getdents64`).
//!
//! Everything else in the crate is `#![deny(unsafe_code)]`.
//!
//! Only libc functions the binary already imports are called (`socket`,
//! `sendto`, `read`, `write`, `getresuid`, `syscall`); `connect`, `ppoll`
//! and the signal-mask calls go through `syscall(2)`. The binary is linked
//! BIND_NOW, so each new dynamic import would be one more symbol lookup by
//! ld.so on every launch, quiet ones included (about 700 instructions each).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

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
    // SAFETY: plain socket(2); the result is checked before use.
    let raw = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// connect(2) to the socket file `name`, or with `abstract_name` to the
/// Linux abstract socket `name` (without its leading NUL). `name` must be
/// 1 to 107 bytes (a path without NUL); anything else is `InvalidInput`.
/// On a non-blocking socket, a listener whose backlog is full is `EAGAIN`.
pub fn connect_unix(fd: &OwnedFd, name: &[u8], abstract_name: bool) -> io::Result<()> {
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
    let len = base + skip + name.len() + (1 - skip);
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
    // SAFETY: data is a valid buffer of data.len() bytes; no address.
    let n = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
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
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: three valid pointers to uid_t; getresuid cannot fail with them.
    unsafe { libc::getresuid(&mut r, &mut e, &mut s) };
    e
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
