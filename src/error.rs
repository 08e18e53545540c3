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
    #[error("no GPU matches '{spec}' (from {origin}) and --strict is set")]
    NoMatch { spec: String, origin: String },

    /// A config file that cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
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

    /// PROGRAM is not in PATH (or the path does not exist).
    #[error("{program}: command not found")]
    NotFound { program: String },

    /// PROGRAM exists but cannot be executed.
    #[error("{program}: {source}")]
    CannotExecute { program: String, source: io::Error },

    /// A file or directory operation failed: `cannot read PATH: <io error>`.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`cannot read`, `cannot claim`, `--output`).
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Writing what was asked for failed (stdout, a rendered page).
    #[error("cannot write {what}: {source}")]
    Output {
        what: &'static str,
        #[source]
        source: io::Error,
    },

    /// A session state file holding what gpu-launch never writes.
    #[error("{}: {why}", path.display())]
    BadState { path: PathBuf, why: String },

    /// Unusable session state under `--strict` (without it, a warning).
    #[error("unusable session state and --strict is set: {0}")]
    StrictState(String),

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
