//! The command line: what the user typed, validated, with no I/O.
//!
//! - [`options`]: the table, each option defined once ([`OPTIONS`]).
//! - [`parse`](parse()): the parser that runs on every launch, built on the
//!   table.
//! - [`Cli::action`]: what to do, and the combinations that make no sense,
//!   from the table's `selects` and `only_with`.
//! - [`render`]: `--help`, `--version`, the man page and the completions,
//!   generated from the table through clap. Never on a launch.
//! - [`environment`]: the environment variables gpu-launch reads, documented
//!   once.

pub mod environment;
pub mod options;
mod parse;
pub mod render;
pub mod suggest;

use std::ffi::{CStr, OsStr};

pub use options::{Complete, OPTIONS, OptDef, Value};
pub use parse::parse;

use crate::error::{Error, Result};

/// What the user typed, before anything is looked up.
#[derive(Debug, Clone, Default)]
pub struct Cli<'a> {
    /// The options given, as bits of their index in [`OPTIONS`].
    given: u64,
    pub gpu: Option<&'a OsStr>,
    pub strict: bool,
    pub json: bool,
    pub config: Option<&'a OsStr>,
    pub verbose: bool,
    pub wake: bool,
    pub waybar: bool,
    /// `--mode VALUE` (`None` for a bare `--mode`, which shows the mode).
    pub mode: Option<&'a OsStr>,
    pub next: Option<&'a OsStr>,
    pub install_desktop: Option<&'a OsStr>,
    pub uninstall_desktop: Option<&'a OsStr>,
    pub output: Option<&'a OsStr>,
    pub completions: Option<&'a OsStr>,
    /// `--shell SHELL` of `--print-env`.
    pub shell: Option<&'a OsStr>,
    /// PROGRAM and its arguments, exactly as given.
    pub program: &'a [&'a CStr],
}

/// What gpu-launch was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Launch,
    DryRun,
    List,
    PrintEnv,
    Doctor,
    Status,
    Mode,
    Next,
    InstallDesktop,
    UninstallDesktop,
    Completions,
    Man,
    Help,
    Version,
}

/// Whether an action runs PROGRAM (or plans for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramArg {
    Required,
    Optional,
    None,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 14] = [
        Action::Launch,
        Action::DryRun,
        Action::List,
        Action::PrintEnv,
        Action::Doctor,
        Action::Status,
        Action::Mode,
        Action::Next,
        Action::InstallDesktop,
        Action::UninstallDesktop,
        Action::Completions,
        Action::Man,
        Action::Help,
        Action::Version,
    ];

    /// Whether it takes PROGRAM.
    pub fn program(self) -> ProgramArg {
        match self {
            Action::Launch | Action::DryRun => ProgramArg::Required,
            Action::PrintEnv => ProgramArg::Optional,
            _ => ProgramArg::None,
        }
    }

    /// How the user asks for it: `--list`, or `a launch`.
    pub fn flag(self) -> String {
        match options::selecting(self) {
            Some(d) => format!("--{}", d.long),
            None => "a launch".to_owned(),
        }
    }
}

impl<'a> Cli<'a> {
    /// Records option `index` of the table (`def`) and its value.
    fn record(&mut self, index: usize, def: &OptDef, value: Option<&'a OsStr>) {
        self.given |= 1 << index;
        (def.set)(self, value);
    }

    /// The options given, in table order.
    fn given(&self) -> impl Iterator<Item = &'static OptDef> + '_ {
        OPTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.given & (1 << i) != 0)
            .map(|(_, d)| d)
    }

    /// Decides what to do and rejects combinations that make no sense.
    pub fn action(&self) -> Result<Action> {
        let chosen: Vec<Action> = self.given().filter_map(|d| d.selects).collect();
        for first in [Action::Help, Action::Version] {
            if chosen.contains(&first) {
                return Ok(first);
            }
        }
        let action = match chosen.as_slice() {
            [] => Action::Launch,
            [one] => *one,
            [a, b, ..] => {
                return Err(Error::usage(format!(
                    "{} and {} cannot be used together",
                    a.flag(),
                    b.flag()
                )));
            }
        };
        for d in self.given() {
            if !d.only_with.is_empty() && !d.only_with.contains(&action) {
                let with: Vec<String> = d.only_with.iter().map(|a| a.flag()).collect();
                return Err(Error::usage(match with.as_slice() {
                    [one] => format!("--{} needs {one} (gpu-launch {one} --{})", d.long, d.long),
                    _ => format!("--{} only goes with {}", d.long, with.join(", ")),
                }));
            }
        }
        match (action.program(), self.program.first()) {
            (ProgramArg::Required, None) if action == Action::Launch => {
                return Err(Error::usage(
                    "no PROGRAM given (usage: gpu-launch [OPTIONS] [--] PROGRAM [ARGS]...; \
                     see --help)",
                ));
            }
            (ProgramArg::Required, None) => {
                return Err(Error::usage(format!("{} needs a PROGRAM", action.flag())));
            }
            (ProgramArg::None, Some(program)) => {
                return Err(Error::usage(format!(
                    "{} takes no PROGRAM (unexpected '{}')",
                    action.flag(),
                    String::from_utf8_lossy(program.to_bytes())
                )));
            }
            _ => {}
        }
        if self.waybar && self.json {
            return Err(Error::usage("--json and --waybar cannot be used together"));
        }
        if self.shell.is_some() && self.json {
            return Err(Error::usage("--json and --shell cannot be used together"));
        }
        Ok(action)
    }
}
