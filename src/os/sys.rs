//! The few places gpu-launch needs `unsafe`: reading the argument and
//! environment blocks the kernel handed the process, without copying them.
//!
//! Everything else in the crate is `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};

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
