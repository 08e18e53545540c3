//! Release builds link the unwinder (`libgcc_eh.a`) statically, so the binary
//! does not load `libgcc_s.so.1` at start-up: one shared library less to map,
//! relocate and version-check on every launch (about 21,000 instructions
//! before `main`, measured with callgrind; see README, "Performance"). gcc's
//! own `-static-libgcc` does the same. Skipped when the C toolchain has no
//! `libgcc_eh.a` (the binary then links `libgcc_s` as usual).
//!
//! They also resolve undefined weak symbols (`__gmon_start__`, `_ITM_*`,
//! which nothing defines) at link time instead of asking the dynamic loader
//! on every start (`-z nodynamic-undefined-weak`: about 1,600 instructions).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if !(release && linux && gnu) {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let found = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|p| p.trim().to_owned())
        .filter(|p| p.starts_with('/') && std::path::Path::new(p).exists());
    println!("cargo:rustc-link-arg-bins=-Wl,-z,nodynamic-undefined-weak");
    if let Some(path) = found {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static=gcc_eh");
        }
    }
}
