//! Finding PROGRAM like a shell does, and replacing gpu-launch with it.
//!
//! The exec is in place (same PID, no shell, no child left behind) through
//! `execve` with an environment built from the caller's own entries, so every
//! variable the plan does not touch passes through byte for byte. Signal
//! dispositions and mask are not touched anywhere in gpu-launch (`main` is a
//! plain C `main`, so Rust's runtime never sets SIGPIPE to ignore), so PROGRAM
//! starts with what the caller gave, as after a shell's `exec`.

use std::ffi::{CStr, CString, OsStr};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::decide::plan::Plan;
use crate::decide::program;
use crate::error::{Error, Result, io_words};
use crate::os::environ::Environ;
use crate::os::files::{self, Links};
use crate::os::sys;

/// The search path `execvp` uses when `PATH` is unset (glibc `_CS_PATH`).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The shell that runs a file the kernel refuses as a format (`ENOEXEC`).
const SHELL: &CStr = c"/bin/sh";

/// How much of PROGRAM is read to name what it needs to start (its `#!`
/// line, its ELF program headers); read only after a failure, or for
/// `--dry-run`.
const HEAD_MAX: u64 = 4096;

/// Resolves PROGRAM: a name with a `/` is used as is (relative to the current
/// directory), anything else is looked up in `path` (the caller's `PATH`,
/// `/bin:/usr/bin` when unset; empty entries mean the current directory).
/// Errors are 127 (not found) or 126 (found, not executable: not a regular
/// file, no execute permission), as the launch's `execve` would give them.
pub fn resolve(program: &OsStr, path: Option<&[u8]>) -> Result<PathBuf> {
    let shown = || program.to_string_lossy().into_owned();
    let bytes = program.as_bytes();
    if bytes.is_empty() {
        return Err(Error::NotFound {
            program: shown(),
            hint: " (the PROGRAM argument is empty)".into(),
        });
    }
    if bytes.contains(&b'/') {
        let p = Path::new(program);
        check_executable(p).map_err(|why| classify(shown(), p, why))?;
        return Ok(absolute(p));
    }
    let search = path.unwrap_or(DEFAULT_PATH);
    let cwd = sys::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Ok(found) = which::which_in(program, Some(OsStr::from_bytes(search)), &cwd) {
        return Ok(absolute(&found));
    }
    // Like a shell: a file of that name that cannot be executed is a 126
    // (execvp reports its EACCES when nothing later in PATH runs), no file
    // at all a 127.
    let dirs = search.split(|b| *b == b':').map(|dir| {
        if dir.is_empty() {
            cwd.clone()
        } else {
            cwd.join(OsStr::from_bytes(dir))
        }
    });
    for dir in dirs {
        let candidate = dir.join(program);
        if std::fs::metadata(&candidate).is_ok_and(|m| !m.is_dir()) {
            let why = check_executable(&candidate)
                .err()
                .unwrap_or_else(|| Why::Os(io::Error::from_raw_os_error(libc::EACCES)));
            return Err(Error::CannotExecute {
                program: shown(),
                why: format!("{} ({})", why.words(), candidate.display()),
            });
        }
    }
    Err(Error::NotFound {
        program: shown(),
        hint: not_found_hint(bytes, path),
    })
}

/// Why a file cannot be executed.
#[derive(Debug)]
enum Why {
    /// What `stat` or `access` said.
    Os(io::Error),
    /// Not a regular file (`execve` says `EACCES`): a FIFO, a socket, ...
    NotAFile(&'static str),
}

impl Why {
    fn words(&self) -> String {
        match self {
            Why::Os(e) if e.raw_os_error() == Some(libc::EACCES) => {
                "Permission denied (not executable by you: chmod +x, or a directory on the way \
                 you may not search)"
                    .to_owned()
            }
            Why::Os(e) => io_words(e),
            Why::NotAFile(kind) => format!("Permission denied (it is {kind}, not a program file)"),
        }
    }
}

/// What `execve` demands before it looks inside the file: a regular file
/// that the caller may execute (`access(X_OK)`, which also says no on a
/// `noexec` mount).
fn check_executable(p: &Path) -> std::result::Result<(), Why> {
    let meta = std::fs::metadata(p).map_err(Why::Os)?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(Why::Os(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(Why::NotAFile(what));
    }
    if meta.permissions().mode() & 0o111 == 0
        || nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_err()
    {
        return Err(Why::Os(io::Error::from_raw_os_error(libc::EACCES)));
    }
    Ok(())
}

/// 127 for a path that leads to nothing (`ENOENT`, a dangling link), 126
/// for anything else.
fn classify(program: String, p: &Path, why: Why) -> Error {
    match why {
        Why::Os(e) if e.kind() == io::ErrorKind::NotFound => Error::NotFound {
            program,
            hint: dangling(p),
        },
        why => Error::CannotExecute {
            program,
            why: why.words(),
        },
    }
}

/// ` (a symbolic link to X, which does not exist)` for a dangling link.
fn dangling(p: &Path) -> String {
    match std::fs::read_link(p) {
        Ok(target) => format!(
            " (a symbolic link to {}, which does not exist)",
            target.display()
        ),
        Err(_) => String::new(),
    }
}

/// What a 127 adds for a name looked up in PATH: an empty or unset PATH,
/// and gpu-launch's own option when PROGRAM is named like one
/// (`gpu-launch list`).
fn not_found_hint(name: &[u8], path: Option<&[u8]>) -> String {
    let mut parts = Vec::new();
    match path {
        None => parts.push("PATH is unset, so only /bin and /usr/bin were searched".to_owned()),
        Some([]) => {
            parts.push("PATH is empty, so only the current directory was searched".to_owned());
        }
        Some(_) => {}
    }
    if let Some(option) = program::own_option(name) {
        parts.push(format!(
            "to use gpu-launch's own option, write gpu-launch --{option}"
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// For `--dry-run`: what the kernel would refuse once it looks inside a file
/// [`resolve`] accepted: a `#!` interpreter or an ELF program loader that is
/// missing or cannot be executed (126, as the launch says). A file with
/// neither (a script without `#!`) runs under `/bin/sh` and passes.
pub fn check_runnable(path: &Path, program: &OsStr) -> Result<()> {
    match refused_need(path) {
        Some((need, why)) => Err(Error::CannotExecute {
            program: program.to_string_lossy().into_owned(),
            why: need.words(&why),
        }),
        None => Ok(()),
    }
}

/// How many `#!` interpreters deep the kernel goes (`fs/exec.c`: a chain
/// deeper than this fails with `ELOOP`).
const MAX_INTERPRETERS: usize = 5;

/// The first file on `path`'s chain of needs that the kernel would refuse:
/// its `#!` interpreter, that interpreter's own `#!` interpreter, and so
/// on, and the ELF program loader at the end; with why. `None` when each
/// can be executed (or the chain is longer than the kernel follows).
fn refused_need(path: &Path) -> Option<(Need, Why)> {
    let mut need = needs(path, None)?;
    for _ in 0..MAX_INTERPRETERS {
        if let Err(why) = check_executable(&need.path) {
            return Some((need, why));
        }
        if !need.script {
            return None;
        }
        let via = need.path;
        need = needs(&via, Some(&via))?;
    }
    None
}

/// What a program file needs to start besides itself.
struct Need {
    path: PathBuf,
    /// `#!` interpreter (true) or ELF program loader (false).
    script: bool,
    /// The interpreter that needs it, when it is not PROGRAM's own.
    of: Option<PathBuf>,
}

impl Need {
    fn words(&self, why: &Why) -> String {
        let what = if self.script {
            "interpreter"
        } else {
            "program loader"
        };
        let named = if self.script {
            "named on its #! line"
        } else {
            "its ELF interpreter"
        };
        // PROGRAM's own, or one further down: "its interpreter /x/b needs
        // the interpreter /x/c (named on its #! line), which ...".
        let subject = match &self.of {
            None => format!("its {what} {} ({named})", self.path.display()),
            Some(of) => format!(
                "its interpreter {} needs the {what} {} ({named}), which",
                of.display(),
                self.path.display()
            ),
        };
        match why {
            Why::Os(e) if e.kind() == io::ErrorKind::NotFound => {
                format!("{subject} is not installed")
            }
            why => format!("{subject} cannot be executed: {}", why.words()),
        }
    }
}

/// The `#!` interpreter or ELF `PT_INTERP` of the file at `path`, from its
/// first [`HEAD_MAX`] bytes; `of` is `path` when it is an interpreter.
fn needs(path: &Path, of: Option<&Path>) -> Option<Need> {
    let file = files::open_for_reading(path, Links::Follow).ok()??;
    let mut head = Vec::with_capacity(256);
    file.take(HEAD_MAX).read_to_end(&mut head).ok()?;
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|b| *b == b'\n').next()?;
        let interpreter = line
            .split(|b| *b == b' ' || *b == b'\t')
            .find(|w| !w.is_empty())?;
        return Some(Need {
            path: PathBuf::from(OsStr::from_bytes(interpreter)),
            script: true,
            of: of.map(Path::to_path_buf),
        });
    }
    elf_interpreter(&head).map(|interp| Need {
        path: PathBuf::from(OsStr::from_bytes(interp)),
        script: false,
        of: of.map(Path::to_path_buf),
    })
}

/// The `PT_INTERP` path of a little-endian ELF file whose program headers
/// lie within `head` (elf(5)); `None` for anything else.
fn elf_interpreter(head: &[u8]) -> Option<&[u8]> {
    if head.get(..4)? != b"\x7fELF" || *head.get(5)? != 1 {
        return None;
    }
    let wide = *head.get(4)? == 2;
    let n = |at: usize, len: usize| -> Option<usize> {
        let bytes = head.get(at..at + len)?;
        let mut v = 0u64;
        for (i, b) in bytes.iter().enumerate() {
            v |= u64::from(*b) << (8 * i);
        }
        usize::try_from(v).ok()
    };
    let (phoff, phentsize, phnum) = if wide {
        (n(0x20, 8)?, n(0x36, 2)?, n(0x38, 2)?)
    } else {
        (n(0x1c, 4)?, n(0x2a, 2)?, n(0x2c, 2)?)
    };
    for i in 0..phnum.min(64) {
        let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
        const PT_INTERP: usize = 3;
        if n(at, 4)? != PT_INTERP {
            continue;
        }
        let (offset, size) = if wide {
            (n(at + 0x08, 8)?, n(at + 0x20, 8)?)
        } else {
            (n(at + 0x04, 4)?, n(at + 0x10, 4)?)
        };
        let path = head.get(offset..offset.checked_add(size)?)?;
        return path.split(|b| *b == 0).next().filter(|p| !p.is_empty());
    }
    None
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
        return Error::NotFound {
            program: shown(),
            hint: String::new(),
        };
    };
    let Ok(path) = CString::new(program.as_os_str().as_bytes()) else {
        return Error::NotFound {
            program: shown(),
            hint: String::new(),
        };
    };
    let mut owned = Vec::new();
    let envp = envp(env, plan, &mut owned);
    let argv: Vec<&CStr> = plan.argv.iter().map(AsRef::as_ref).collect();
    let errno = match nix::unistd::execve(&path, &argv, &envp) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    let (errno, under_sh) = if errno == Errno::ENOEXEC {
        // Not a binary the kernel knows and no `#!`: run it under /bin/sh,
        // as execvp does.
        let mut sh_argv: Vec<&CStr> = vec![SHELL, &path];
        sh_argv.extend(argv.iter().skip(1).copied());
        match nix::unistd::execve(SHELL, &sh_argv, &envp) {
            Err(e) => (e, true),
            Ok(never) => match never {},
        }
    } else {
        (errno, false)
    };
    let words = |e: Errno| io_words(&io::Error::from_raw_os_error(e as i32));
    if under_sh {
        return Error::CannotExecute {
            program: shown(),
            why: format!(
                "it is not a program the kernel knows and /bin/sh, which runs such files, \
                 cannot be run: {}",
                words(errno)
            ),
        };
    }
    if errno == Errno::ENOENT {
        // The file is gone, or what it needs to start is missing.
        if !program.exists() {
            return Error::NotFound {
                program: shown(),
                hint: dangling(program),
            };
        }
        let why = match refused_need(program) {
            Some((need, why)) => need.words(&why),
            None => {
                "a file it needs to start (its interpreter or program loader) is missing".to_owned()
            }
        };
        return Error::CannotExecute {
            program: shown(),
            why,
        };
    }
    let why = match errno {
        // EACCES from an interpreter on the way: name it.
        Errno::EACCES => match refused_need(program) {
            Some((need, why)) => need.words(&why),
            None => Why::Os(io::Error::from_raw_os_error(libc::EACCES)).words(),
        },
        e => words(e),
    };
    Error::CannotExecute {
        program: shown(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian ELF image with one program header, `PT_INTERP`,
    /// at `phoff` (zeros around it), naming `/lib/ld.so`.
    fn elf(wide: bool, phoff: usize) -> Vec<u8> {
        let mut h = vec![0u8; 0x200];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = if wide { 2 } else { 1 };
        h[5] = 1;
        let put = |h: &mut Vec<u8>, at: usize, len: usize, v: usize| {
            h[at..at + len].copy_from_slice(&v.to_le_bytes()[..len]);
        };
        let path = b"/lib/ld.so\0";
        let at = 0x180;
        h[at..at + path.len()].copy_from_slice(path);
        if wide {
            put(&mut h, 0x20, 8, phoff);
            put(&mut h, 0x36, 2, 56);
            put(&mut h, 0x38, 2, 1);
            put(&mut h, phoff, 4, 3);
            put(&mut h, phoff + 0x08, 8, at);
            put(&mut h, phoff + 0x20, 8, path.len());
        } else {
            put(&mut h, 0x1c, 4, phoff);
            put(&mut h, 0x2a, 2, 32);
            put(&mut h, 0x2c, 2, 1);
            put(&mut h, phoff, 4, 3);
            put(&mut h, phoff + 0x04, 4, at);
            put(&mut h, phoff + 0x10, 4, path.len());
        }
        h
    }

    /// The program loader is read from `PT_INTERP`'s offset and size
    /// (elf(5)), in 64-bit and 32-bit files, little-endian only.
    #[test]
    fn the_elf_program_loader() {
        for wide in [true, false] {
            let head = elf(wide, 0x100);
            assert_eq!(elf_interpreter(&head), Some(&b"/lib/ld.so"[..]), "{wide}");
            let mut big = head.clone();
            big[5] = 2;
            assert_eq!(elf_interpreter(&big), None, "big-endian, {wide}");
            let mut not_elf = head.clone();
            not_elf[..4].copy_from_slice(b"#!/x");
            assert_eq!(elf_interpreter(&not_elf), None, "{wide}");
            assert_eq!(elf_interpreter(&head[..0x100]), None, "cut short, {wide}");
        }
    }
}
