//! Finding PROGRAM like a shell does, and replacing gpu-launch with it.
//!
//! The exec is in place (same PID, no shell, no child left behind) through
//! `execve` with an environment built from the caller's own entries, so every
//! variable the plan does not touch passes through byte for byte. Signal
//! dispositions and mask are not touched anywhere in gpu-launch (`main` is a
//! plain C `main`, so Rust's runtime never sets SIGPIPE to ignore), so PROGRAM
//! starts with what the caller gave, as after a shell's `exec`.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::decide::plan::Plan;
use crate::error::{Error, Result};
use crate::os::environ::Environ;

/// The search path `execvp` uses when `PATH` is unset (glibc `_CS_PATH`).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The shell that runs a file the kernel refuses as a format (`ENOEXEC`).
const SHELL: &CStr = c"/bin/sh";

/// Resolves PROGRAM: a name with a `/` is used as is (relative to the current
/// directory), anything else is looked up in `path` (the caller's `PATH`,
/// `/bin:/usr/bin` when unset; empty entries mean the current directory).
/// Errors are 127 (not found) or 126 (found, not executable).
pub fn resolve(program: &OsStr, path: Option<&[u8]>) -> Result<PathBuf> {
    let shown = || program.to_string_lossy().into_owned();
    let bytes = program.as_bytes();
    if bytes.is_empty() {
        return Err(Error::NotFound { program: shown() });
    }
    if bytes.contains(&b'/') {
        let p = Path::new(program);
        check_executable(p).map_err(|source| classify(shown(), source))?;
        return Ok(absolute(p));
    }
    let path = path.unwrap_or(DEFAULT_PATH);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match which::which_in(program, Some(OsStr::from_bytes(path)), &cwd) {
        Ok(found) => Ok(absolute(&found)),
        Err(_) => {
            // Like a shell: a file of that name that is not executable is a
            // 126 ("Permission denied"), no file at all a 127.
            let exists = path.split(|b| *b == b':').any(|dir| {
                let dir = if dir.is_empty() {
                    cwd.clone()
                } else {
                    cwd.join(OsStr::from_bytes(dir))
                };
                std::fs::metadata(dir.join(program)).is_ok_and(|m| !m.is_dir())
            });
            if exists {
                Err(Error::CannotExecute {
                    program: shown(),
                    source: io::Error::from(io::ErrorKind::PermissionDenied),
                })
            } else {
                Err(Error::NotFound { program: shown() })
            }
        }
    }
}

fn check_executable(p: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(p)?;
    if meta.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    if meta.permissions().mode() & 0o111 == 0
        || nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_err()
    {
        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
    }
    Ok(())
}

fn classify(program: String, source: io::Error) -> Error {
    if source.kind() == io::ErrorKind::NotFound {
        Error::NotFound { program }
    } else {
        Error::CannotExecute { program, source }
    }
}

/// `p` made absolute against the current directory, without resolving links.
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// The environment block PROGRAM gets: the caller's entries minus every
/// variable the plan sets or removes, then the plan's variables.
pub fn envp<'e>(
    env: &'e Environ<'_>,
    plan: &Plan<'_>,
    owned: &'e mut Vec<CString>,
) -> Vec<&'e CStr> {
    let mut drop: Vec<&str> = plan.unset.clone();
    drop.extend(plan.set.iter().map(|(k, _)| *k));
    owned.extend(
        plan.set
            .iter()
            .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok()),
    );
    let mut out: Vec<&CStr> = Vec::with_capacity(env.entries().len() + owned.len());
    out.extend(env.without(&drop));
    out.extend(owned.iter().map(CString::as_c_str));
    out
}

/// Replaces this process with the plan's program. Returns only on failure.
pub fn exec(plan: &Plan<'_>, env: &Environ<'_>) -> Error {
    let shown = || {
        plan.argv
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // A plan whose PROGRAM was never resolved has nothing to run.
    let Some(program) = &plan.program else {
        return Error::NotFound { program: shown() };
    };
    let Ok(path) = CString::new(program.as_os_str().as_bytes()) else {
        return Error::NotFound { program: shown() };
    };
    let mut owned = Vec::new();
    let envp = envp(env, plan, &mut owned);
    let argv: Vec<&CStr> = plan.argv.iter().map(AsRef::as_ref).collect();
    let errno = match nix::unistd::execve(&path, &argv, &envp) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    let errno = if errno == Errno::ENOEXEC {
        // Not a binary the kernel knows and no `#!`: run it under /bin/sh,
        // as execvp does.
        let mut sh_argv: Vec<&CStr> = vec![SHELL, &path];
        sh_argv.extend(argv.iter().skip(1).copied());
        match nix::unistd::execve(SHELL, &sh_argv, &envp) {
            Err(e) => e,
            Ok(never) => match never {},
        }
    } else {
        errno
    };
    let source = io::Error::from_raw_os_error(errno as i32);
    if errno == Errno::ENOENT && !program.exists() {
        Error::NotFound { program: shown() }
    } else {
        Error::CannotExecute {
            program: shown(),
            source,
        }
    }
}
