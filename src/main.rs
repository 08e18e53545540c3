//! The `gpu-launch` binary: hands argv and the environment to the library.
//!
//! `main` is a plain C `main` (`#![no_main]`): Rust's runtime start-up would
//! set SIGPIPE to ignored (which PROGRAM would inherit, unlike after a shell's
//! `exec`), reopen closed standard descriptors on /dev/null, and read
//! /proc/self/maps for a stack guard, all before gpu-launch does anything.
#![no_main]

use std::ffi::{c_char, c_int};

#[allow(unsafe_code)]
// SAFETY: exported once as the C entry point; the C runtime calls it with
// valid argc/argv.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: argc/argv come straight from the C runtime and live as long as
    // the process.
    let args = unsafe { gpu_launch::os::sys::args(argc, argv) };
    let env = gpu_launch::os::environ::Environ::new(gpu_launch::os::sys::environ_entries());
    gpu_launch::app::main(&args, &env)
}
