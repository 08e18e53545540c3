//! Errors and the exit statuses they map to.
//!
//! The statuses and what each means are written once, in [`ExitStatus`]
//! ([`ExitStatus::meaning`]), which `--help` and the man page print. After a
//! successful exec the status is PROGRAM's own. Every error is printed once,
//! as one line `gpu-launch: <message>` (`app::report`).

use std::io;
use std::path::PathBuf;

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

    /// Anything else gpu-launch could not do (a state or desktop-file
    /// operation, writing output).
    #[error("{0}")]
    Other(String),
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
