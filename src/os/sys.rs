//! The few places gpu-launch needs `unsafe`: reading the argument and
//! environment blocks the kernel handed the process, without copying them,
//! and reading a directory's entries from a descriptor (`getdents64`).
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
