//! Errors and the exit statuses they map to.
//!
//! The statuses and what each means are written once, in [`ExitStatus`]
//! ([`ExitStatus::meaning`]), which `--help` and the man page print. After a
//! successful exec the status is PROGRAM's own. Every error is printed once,
//! as one line `gpu-launch: <message>` (`app::report`).

use std::io;
use std::path::{Path, PathBuf};

use crate::decide::spec::SpecError;

/// gpu-launch's exit statuses (as `env`, `nice` and `timeout` use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    CheckFailed = 1,
    Failed = 125,
    CannotExecute = 126,
    NotFound = 127,
}

impl ExitStatus {
    /// Every status, in the order the documentation lists them.
    pub const ALL: [ExitStatus; 5] = [
        ExitStatus::Success,
        ExitStatus::CheckFailed,
        ExitStatus::Failed,
        ExitStatus::CannotExecute,
        ExitStatus::NotFound,
    ];

    /// What the status after a successful exec is (it has no number).
    pub const AFTER_EXEC: &'static str =
        "after a successful exec, PROGRAM's own (the process is PROGRAM)";

    /// When gpu-launch exits with this status.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => {
                "a query (--dry-run, --list, --print-env, --help, ...) succeeded"
            }
            ExitStatus::CheckFailed => "--doctor found a failing check",
            ExitStatus::Failed => {
                "gpu-launch itself failed: a usage error, a bad SPEC, an explicit --config FILE \
                 it cannot use, --strict with a warning, a refused state or desktop-file operation"
            }
            ExitStatus::CannotExecute => "PROGRAM was found but cannot be executed",
            ExitStatus::NotFound => "PROGRAM was not found",
        }
    }
}

impl From<ExitStatus> for i32 {
    fn from(s: ExitStatus) -> i32 {
        s as i32
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line makes no sense.
    #[error("{0}")]
    Usage(String),

    /// A SPEC that does not parse, with where it came from.
    #[error("{err} (from {origin})")]
    Spec { origin: String, err: SpecError },

    /// `--strict` and the SPEC matched no GPU.
    #[error(
        "no GPU matches '{spec}' (from {origin}), and strict mode (--strict, or strict = true \
         in the config) makes this an error"
    )]
    NoMatch { spec: String, origin: String },

    /// A warning that `--strict` (or `strict = true`) makes an error: the
    /// warning's text, then what made it one.
    #[error("{warning} ({by} makes this an error)")]
    Strict { warning: String, by: String },

    /// A config file that cannot be read.
    #[error("cannot read config file {}: {}", path.display(), io_words(.source))]
    ConfigRead { path: PathBuf, source: io::Error },

    /// A config file that does not parse or has unknown keys.
    #[error("{}:{line}:{column}: {message}", path.display())]
    ConfigSyntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A file or directory that others could have written.
    #[error("refusing {}: {why}", path.display())]
    Untrusted { path: PathBuf, why: String },

    /// Started setuid or setgid.
    #[error("refusing to run with raised privileges (setuid or setgid): {0}")]
    Privileged(String),

    /// PROGRAM is not in PATH (or the path does not exist); `hint` is empty
    /// or starts with a blank (` (PATH is empty)`).
    #[error("{program}: command not found{hint}")]
    NotFound { program: String, hint: String },

    /// PROGRAM exists but cannot be executed, and why, in words.
    #[error("{program}: {why}")]
    CannotExecute { program: String, why: String },

    /// A file or directory operation failed: `cannot read PATH: <io error>`.
    #[error("{action} {}: {}", path.display(), io_words(.source))]
    Io {
        /// What was being done (`cannot read`, `cannot claim`, `--output`).
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Writing what was asked for failed (stdout, a rendered page).
    #[error("cannot write {what}: {}", io_words(.source))]
    Output {
        what: &'static str,
        #[source]
        source: io::Error,
    },

    /// A session state file holding what gpu-launch never writes.
    #[error("{}: {why}", path.display())]
    BadState { path: PathBuf, why: String },

    /// Setting the mode or `--next` where the session state is unusable
    /// (`cannot set the mode: refusing PATH: ...`).
    #[error("cannot {what}: {cause}")]
    StateRefused {
        what: &'static str,
        cause: Box<Error>,
    },

    /// `--mode VALUE` or `--next` without a place to keep session state.
    #[error(
        "{what} needs XDG_RUNTIME_DIR (an absolute path, set by the login session) to keep \
         state for this session, and it is unset, empty or relative"
    )]
    NoRuntimeDir { what: &'static str },

    /// A file at a desktop override's path that gpu-launch did not write
    /// (or the original itself): never replaced or removed.
    #[error("refusing to touch {}: {why}", path.display())]
    NotOurs { path: PathBuf, why: String },

    /// A desktop file that cannot be read as one.
    #[error("{}: {why}", path.display())]
    NotADesktopFile { path: PathBuf, why: String },

    /// No desktop file has the ID `--install-desktop` was given.
    #[error(
        "no desktop file with ID '{id}' in {}{}; to use a file, give its path (./{id}.desktop)",
        shown(.searched), only_ours(.ours)
    )]
    NoDesktopFile {
        id: String,
        /// The `applications` directories searched.
        searched: Vec<PathBuf>,
        /// Overrides of gpu-launch's own found under that ID (never a source).
        ours: Vec<PathBuf>,
    },

    /// A desktop entry that cannot be turned into an override.
    #[error("cannot wrap {}: {source}", path.display())]
    Rewrite {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// `--install-desktop` with nowhere to write.
    #[error(
        "neither XDG_DATA_HOME nor HOME is set (to an absolute path), so there is no \
         applications directory to write to; give --output DIR"
    )]
    NoDataHome,
}

impl Error {
    pub fn status(&self) -> ExitStatus {
        match self {
            Error::NotFound { .. } => ExitStatus::NotFound,
            Error::CannotExecute { .. } => ExitStatus::CannotExecute,
            _ => ExitStatus::Failed,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    /// For `map_err`: `action` on `path` failed (`Error::io("cannot read",
    /// path)`).
    pub fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> Error + 'p {
        move |source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An I/O error in the words a user reads: the system's text for its errno
/// (`No such file or directory`, as a shell prints it) without Rust's
/// `(os error N)`, and plain words for the errors that carry no errno
/// (std calls `ErrorKind::NotFound` "entity not found"). Every message that
/// shows an `io::Error` goes through here.
pub fn io_words(e: &io::Error) -> String {
    if let Some(n) = e.raw_os_error() {
        return nix::errno::Errno::from_raw(n).desc().to_owned();
    }
    let errno = match e.kind() {
        io::ErrorKind::NotFound => libc::ENOENT,
        io::ErrorKind::PermissionDenied => libc::EACCES,
        io::ErrorKind::AlreadyExists => libc::EEXIST,
        io::ErrorKind::IsADirectory => libc::EISDIR,
        io::ErrorKind::NotADirectory => libc::ENOTDIR,
        io::ErrorKind::BrokenPipe => libc::EPIPE,
        io::ErrorKind::WouldBlock => libc::EAGAIN,
        io::ErrorKind::Interrupted => libc::EINTR,
        io::ErrorKind::InvalidInput => libc::EINVAL,
        io::ErrorKind::StorageFull => libc::ENOSPC,
        io::ErrorKind::ReadOnlyFilesystem => libc::EROFS,
        io::ErrorKind::CrossesDevices => libc::EXDEV,
        _ => return e.to_string(),
    };
    // A kind alone: its errno's text. An error made with a message of its
    // own (`io::Error::new(kind, "...")`) says that message.
    match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => nix::errno::Errno::from_raw(errno).desc().to_owned(),
    }
}

/// Paths, comma-separated.
fn shown(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// ` (only gpu-launch's own override PATH, ...)`, or nothing.
fn only_ours(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        String::new()
    } else {
        format!(" (only gpu-launch's own override {})", shown(paths))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_as_words_without_rust_internals() {
        let errors = [
            io::Error::from_raw_os_error(libc::ENOENT),
            io::Error::from_raw_os_error(libc::EACCES),
            io::Error::from(io::ErrorKind::NotFound),
            io::Error::from(io::ErrorKind::PermissionDenied),
            io::Error::from(io::ErrorKind::AlreadyExists),
            io::Error::other("it is not a regular file"),
            io::Error::new(io::ErrorKind::NotFound, "no such thing"),
        ];
        let words: Vec<String> = errors.iter().map(io_words).collect();
        assert_eq!(
            words,
            [
                "No such file or directory",
                "Permission denied",
                "No such file or directory",
                "Permission denied",
                "File exists",
                "it is not a regular file",
                "no such thing",
            ]
        );
        // Every variant that carries an io::Error shows it in these words.
        for e in errors {
            let path = PathBuf::from("/p");
            let shown = [
                Error::ConfigRead {
                    path: path.clone(),
                    source: io::Error::from(e.kind()),
                }
                .to_string(),
                Error::Io {
                    action: "cannot read",
                    path,
                    source: io::Error::from(e.kind()),
                }
                .to_string(),
                Error::Output {
                    what: "to stdout",
                    source: io::Error::from(e.kind()),
                }
                .to_string(),
            ];
            for s in shown {
                assert!(
                    !s.contains("(os error") && !s.contains("entity not found"),
                    "{s}"
                );
            }
        }
    }
}
