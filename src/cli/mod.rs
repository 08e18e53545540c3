//! The command line: what the user typed, validated, with no I/O.
//!
//! One table, [`OPTIONS`], defines every option. Two things are built from it:
//! - [`parse`], a small hand-written parser that runs on every launch. It
//!   recognises options only before PROGRAM and hands everything from PROGRAM
//!   on through untouched (as the C strings the kernel gave us).
//! - [`render::command`], a `clap::Command` used for `--help`, the man page
//!   and the shell completions, so the documentation cannot drift from the
//!   parser. Never built on a launch.
//!
//! clap is not used to parse: building its `Command` costs more user-space
//! instructions than the rest of a launch (see README, "Performance").

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;

pub mod render;

use crate::error::{Error, Result};

/// Identifies an option of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Gpu,
    Strict,
    DryRun,
    Json,
    List,
    PrintEnv,
    Config,
    Verbose,
    Doctor,
    Wake,
    Status,
    Waybar,
    Mode,
    Next,
    InstallDesktop,
    UninstallDesktop,
    Output,
    Completions,
    Man,
    Help,
    Version,
}

/// Does an option take a value?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    /// `--opt VALUE` or `--opt=VALUE`.
    Value(&'static str),
    /// `--opt`, `--opt VALUE` (when VALUE does not start with `-`) or `--opt=VALUE`.
    OptionalValue(&'static str),
}

/// One row of the option table.
#[derive(Debug, Clone, Copy)]
pub struct OptDef {
    pub opt: Opt,
    pub long: &'static str,
    pub short: Option<char>,
    pub takes: Takes,
    /// Values offered to shell completion (the parser does not restrict them;
    /// each action validates its own).
    pub values: &'static [&'static str],
    pub help: &'static str,
}

const fn def(
    opt: Opt,
    long: &'static str,
    short: Option<char>,
    takes: Takes,
    help: &'static str,
) -> OptDef {
    OptDef {
        opt,
        long,
        short,
        takes,
        values: &[],
        help,
    }
}

/// Every option gpu-launch knows, in `--help` order.
pub const OPTIONS: &[OptDef] = &[
    def(
        Opt::Gpu,
        "gpu",
        Some('g'),
        Takes::Value("SPEC"),
        "Which GPU: auto, default, discrete, integrated, external, nvidia, amd, intel, \
         an index, a PCI address (0000:01:00.0, PCI:1:0:0), vendor:device (10de:25a2), \
         a DRM node (renderD129, card1), GPU-<uuid> or name:<text> [default: \
         GPU_LAUNCH_GPU, then the config, then auto]",
    ),
    def(
        Opt::Strict,
        "strict",
        None,
        Takes::Nothing,
        "When SPEC matches no GPU, fail with status 125 instead of falling back to the default GPU",
    ),
    def(
        Opt::DryRun,
        "dry-run",
        Some('n'),
        Takes::Nothing,
        "Print the launch plan (program, argv, environment changes, GPU); run nothing",
    ),
    def(
        Opt::Json,
        "json",
        None,
        Takes::Nothing,
        "With --dry-run, --list, --print-env, --doctor, --status: print one JSON document",
    ),
    def(
        Opt::List,
        "list",
        None,
        Takes::Nothing,
        "List the GPUs found (index 0 is the default GPU)",
    ),
    def(
        Opt::PrintEnv,
        "print-env",
        None,
        Takes::Nothing,
        "Print the environment changes for the chosen GPU as sh code (export/unset lines); \
         with PROGRAM, its [apps.NAME] entry applies",
    ),
    def(
        Opt::Config,
        "config",
        None,
        Takes::Value("FILE"),
        "Read this config file instead of the default search (it must exist)",
    ),
    def(
        Opt::Verbose,
        "verbose",
        Some('v'),
        Takes::Nothing,
        "Log the decision to stderr (same as GPU_LAUNCH_LOG=debug)",
    ),
    def(
        Opt::Doctor,
        "doctor",
        None,
        Takes::Nothing,
        "Check this machine's offload setup; exit 1 when a check fails",
    ),
    def(
        Opt::Wake,
        "wake",
        None,
        Takes::Nothing,
        "With --list, --doctor, --status: allow waking a suspended GPU to read its details",
    ),
    def(
        Opt::Status,
        "status",
        None,
        Takes::Nothing,
        "Print a one-line status of the GPUs and the mode",
    ),
    def(
        Opt::Waybar,
        "waybar",
        None,
        Takes::Nothing,
        "With --status: print waybar's custom-module JSON (text, tooltip, class, alt)",
    ),
    OptDef {
        values: &["integrated", "hybrid", "toggle"],
        ..def(
            Opt::Mode,
            "mode",
            None,
            Takes::OptionalValue("MODE"),
            "Show the mode, or set it for this login session: integrated (battery first), \
             hybrid (the default), or toggle (flip between the two and print the new mode)",
        )
    },
    def(
        Opt::Next,
        "next",
        None,
        Takes::Value("SPEC"),
        "The next launch without --gpu uses SPEC, once",
    ),
    def(
        Opt::InstallDesktop,
        "install-desktop",
        None,
        Takes::Value("APP"),
        "Write a desktop-file override that launches APP (a desktop file ID or path) through gpu-launch",
    ),
    def(
        Opt::UninstallDesktop,
        "uninstall-desktop",
        None,
        Takes::Value("APP"),
        "Remove an override written by --install-desktop (and nothing else)",
    ),
    def(
        Opt::Output,
        "output",
        None,
        Takes::Value("DIR"),
        "With --install-desktop/--uninstall-desktop: the directory of overrides \
         [default: $XDG_DATA_HOME/applications]",
    ),
    OptDef {
        values: &["bash", "zsh", "fish"],
        ..def(
            Opt::Completions,
            "completions",
            None,
            Takes::Value("SHELL"),
            "Print the completion script for bash, zsh or fish",
        )
    },
    def(
        Opt::Man,
        "man",
        None,
        Takes::Nothing,
        "Print the man page (roff)",
    ),
    def(Opt::Help, "help", Some('h'), Takes::Nothing, "Print help"),
    def(
        Opt::Version,
        "version",
        Some('V'),
        Takes::Nothing,
        "Print version",
    ),
];

/// What the user typed, before anything is looked up.
#[derive(Debug, Clone, Default)]
pub struct Cli<'a> {
    pub gpu: Option<&'a OsStr>,
    pub strict: bool,
    pub dry_run: bool,
    pub json: bool,
    pub list: bool,
    pub print_env: bool,
    pub config: Option<&'a OsStr>,
    pub verbose: bool,
    pub doctor: bool,
    pub wake: bool,
    pub status: bool,
    pub waybar: bool,
    /// `--mode` (`Some(None)`) or `--mode VALUE`.
    pub mode: Option<Option<&'a OsStr>>,
    pub next: Option<&'a OsStr>,
    pub install_desktop: Option<&'a OsStr>,
    pub uninstall_desktop: Option<&'a OsStr>,
    pub output: Option<&'a OsStr>,
    pub completions: Option<&'a OsStr>,
    pub man: bool,
    pub help: bool,
    pub version: bool,
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

pub(crate) fn lookup_long(name: &[u8]) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|d| d.long.as_bytes() == name)
}

fn lookup_short(c: u8) -> Option<&'static OptDef> {
    OPTIONS
        .iter()
        .find(|d| d.short.is_some_and(|s| s as u32 == u32::from(c)))
}

/// Parses `args` (`args[0]` is gpu-launch's own name).
pub fn parse<'a>(args: &'a [&'a CStr]) -> Result<Cli<'a>> {
    let mut cli = Cli::default();
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_bytes();
        if arg == b"--" {
            i += 1;
            break;
        }
        if let Some(long) = arg.strip_prefix(b"--") {
            let (name, inline) = match long.iter().position(|b| *b == b'=') {
                Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
                None => (long, None),
            };
            let Some(def) = lookup_long(name) else {
                return Err(unknown(arg));
            };
            i += 1;
            let value = match (def.takes, inline) {
                (Takes::Nothing, Some(_)) => {
                    return Err(Error::usage(format!(
                        "option '--{}' takes no value",
                        def.long
                    )));
                }
                (Takes::Nothing, None) => None,
                (_, Some(v)) => Some(OsStr::from_bytes(v)),
                (Takes::Value(_), None) => {
                    let v = next_value(args, i).ok_or_else(|| missing(def))?;
                    i += 1;
                    Some(v)
                }
                (Takes::OptionalValue(_), None) => {
                    let v = next_value(args, i);
                    if v.is_some() {
                        i += 1;
                    }
                    v
                }
            };
            cli.set(def, value);
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            // A cluster of short options: `-nv`, `-gnvidia`, `-g nvidia`.
            i += 1;
            let mut j = 1;
            while j < arg.len() {
                let Some(def) = lookup_short(arg[j]) else {
                    let c = String::from_utf8_lossy(&arg[j..]);
                    let c = c.chars().next().unwrap_or('?');
                    return Err(Error::usage(format!(
                        "unknown option '-{c}' (gpu-launch --help lists the options)"
                    )));
                };
                j += 1;
                let value = match def.takes {
                    Takes::Nothing => None,
                    Takes::Value(_) | Takes::OptionalValue(_) if j < arg.len() => {
                        let v = OsStr::from_bytes(&arg[j..]);
                        j = arg.len();
                        Some(v)
                    }
                    Takes::Value(_) => {
                        let v = next_value(args, i).ok_or_else(|| missing(def))?;
                        i += 1;
                        Some(v)
                    }
                    Takes::OptionalValue(_) => None,
                };
                cli.set(def, value);
            }
            continue;
        }
        break;
    }
    cli.program = &args[i.min(args.len())..];
    Ok(cli)
}

/// The next argument as an option's value, unless it looks like an option.
fn next_value<'a>(args: &'a [&'a CStr], i: usize) -> Option<&'a OsStr> {
    let v = args.get(i)?.to_bytes();
    (v == b"-" || !v.starts_with(b"-")).then(|| OsStr::from_bytes(v))
}

fn unknown(arg: &[u8]) -> Error {
    let shown = String::from_utf8_lossy(arg);
    let name = shown.split('=').next().unwrap_or(&shown);
    Error::usage(format!(
        "unknown option '{name}' (gpu-launch --help lists the options; \
         use -- before a PROGRAM whose name starts with -)"
    ))
}

fn missing(def: &OptDef) -> Error {
    let value = match def.takes {
        Takes::Value(v) | Takes::OptionalValue(v) => v,
        Takes::Nothing => "",
    };
    Error::usage(format!("option '--{}' needs a value ({value})", def.long))
}

impl<'a> Cli<'a> {
    fn set(&mut self, def: &OptDef, value: Option<&'a OsStr>) {
        match def.opt {
            Opt::Gpu => self.gpu = value,
            Opt::Strict => self.strict = true,
            Opt::DryRun => self.dry_run = true,
            Opt::Json => self.json = true,
            Opt::List => self.list = true,
            Opt::PrintEnv => self.print_env = true,
            Opt::Config => self.config = value,
            Opt::Verbose => self.verbose = true,
            Opt::Doctor => self.doctor = true,
            Opt::Wake => self.wake = true,
            Opt::Status => self.status = true,
            Opt::Waybar => self.waybar = true,
            Opt::Mode => self.mode = Some(value),
            Opt::Next => self.next = value,
            Opt::InstallDesktop => self.install_desktop = value,
            Opt::UninstallDesktop => self.uninstall_desktop = value,
            Opt::Output => self.output = value,
            Opt::Completions => self.completions = value,
            Opt::Man => self.man = true,
            Opt::Help => self.help = true,
            Opt::Version => self.version = true,
        }
    }

    /// Decides what to do and rejects combinations that make no sense.
    pub fn action(&self) -> Result<Action> {
        if self.help {
            return Ok(Action::Help);
        }
        if self.version {
            return Ok(Action::Version);
        }
        let chosen: Vec<(Action, &str)> = [
            (self.dry_run, Action::DryRun, "--dry-run"),
            (self.list, Action::List, "--list"),
            (self.print_env, Action::PrintEnv, "--print-env"),
            (self.doctor, Action::Doctor, "--doctor"),
            (self.status, Action::Status, "--status"),
            (self.mode.is_some(), Action::Mode, "--mode"),
            (self.next.is_some(), Action::Next, "--next"),
            (
                self.install_desktop.is_some(),
                Action::InstallDesktop,
                "--install-desktop",
            ),
            (
                self.uninstall_desktop.is_some(),
                Action::UninstallDesktop,
                "--uninstall-desktop",
            ),
            (
                self.completions.is_some(),
                Action::Completions,
                "--completions",
            ),
            (self.man, Action::Man, "--man"),
        ]
        .into_iter()
        .filter(|(on, _, _)| *on)
        .map(|(_, a, name)| (a, name))
        .collect();
        let (action, name) = match chosen.as_slice() {
            [] => (Action::Launch, ""),
            [one] => *one,
            [a, b, ..] => {
                return Err(Error::usage(format!(
                    "{} and {} cannot be used together",
                    a.1, b.1
                )));
            }
        };
        let takes_program = matches!(action, Action::Launch | Action::DryRun | Action::PrintEnv);
        if action == Action::Launch && self.program.is_empty() {
            return Err(Error::usage(
                "no PROGRAM given (usage: gpu-launch [OPTIONS] [--] PROGRAM [ARGS]...; see --help)",
            ));
        }
        if action == Action::DryRun && self.program.is_empty() {
            return Err(Error::usage("--dry-run needs a PROGRAM"));
        }
        if !takes_program && !self.program.is_empty() {
            return Err(Error::usage(format!(
                "{name} takes no PROGRAM (unexpected '{}')",
                String::from_utf8_lossy(self.program[0].to_bytes())
            )));
        }
        let allowed = |flag: bool, flag_name: &str, with: &[Action]| -> Result<()> {
            if flag && !with.contains(&action) {
                let names: Vec<_> = with.iter().map(|a| action_flag(*a)).collect();
                return Err(Error::usage(format!(
                    "{flag_name} only goes with {}",
                    names.join(", ")
                )));
            }
            Ok(())
        };
        use Action as A;
        allowed(
            self.json,
            "--json",
            &[A::DryRun, A::List, A::PrintEnv, A::Doctor, A::Status],
        )?;
        allowed(self.waybar, "--waybar", &[A::Status])?;
        if self.waybar && self.json {
            return Err(Error::usage("--json and --waybar cannot be used together"));
        }
        allowed(self.wake, "--wake", &[A::List, A::Doctor, A::Status])?;
        allowed(
            self.output.is_some(),
            "--output",
            &[A::InstallDesktop, A::UninstallDesktop],
        )?;
        Ok(action)
    }
}

fn action_flag(a: Action) -> &'static str {
    match a {
        Action::Launch => "a launch",
        Action::DryRun => "--dry-run",
        Action::List => "--list",
        Action::PrintEnv => "--print-env",
        Action::Doctor => "--doctor",
        Action::Status => "--status",
        Action::Mode => "--mode",
        Action::Next => "--next",
        Action::InstallDesktop => "--install-desktop",
        Action::UninstallDesktop => "--uninstall-desktop",
        Action::Completions => "--completions",
        Action::Man => "--man",
        Action::Help => "--help",
        Action::Version => "--version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn args(list: &[&str]) -> Vec<CString> {
        std::iter::once("gpu-launch")
            .chain(list.iter().copied())
            .map(|s| CString::new(s).unwrap())
            .collect()
    }

    fn with<T>(list: &[&str], f: impl FnOnce(Result<Cli<'_>>) -> T) -> T {
        let owned = args(list);
        let refs: Vec<&CStr> = owned.iter().map(AsRef::as_ref).collect();
        f(parse(&refs))
    }

    fn program(cli: &Cli<'_>) -> Vec<String> {
        cli.program
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn options_stop_at_program() {
        with(
            &["-g", "nvidia", "chromium", "--gpu", "amd", "--help", "--"],
            |r| {
                let cli = r.unwrap();
                assert_eq!(cli.gpu, Some(OsStr::new("nvidia")));
                assert!(!cli.help);
                assert_eq!(program(&cli), ["chromium", "--gpu", "amd", "--help", "--"]);
                assert_eq!(cli.action().unwrap(), Action::Launch);
            },
        );
    }

    #[test]
    fn value_forms() {
        for form in [
            &["--gpu=amd", "x"][..],
            &["--gpu", "amd", "x"],
            &["-gamd", "x"],
            &["-g", "amd", "x"],
        ] {
            with(form, |r| {
                assert_eq!(r.unwrap().gpu, Some(OsStr::new("amd")), "{form:?}")
            });
        }
        with(&["-nv", "x"], |r| {
            let c = r.unwrap();
            assert!(c.dry_run && c.verbose);
        });
        with(&["-vng", "1", "x"], |r| {
            let c = r.unwrap();
            assert!(c.dry_run && c.verbose);
            assert_eq!(c.gpu, Some(OsStr::new("1")));
        });
    }

    #[test]
    fn double_dash_and_option_words_as_programs() {
        with(&["--", "--weird", "a"], |r| {
            assert_eq!(program(&r.unwrap()), ["--weird", "a"])
        });
        with(&["--", "--"], |r| assert_eq!(program(&r.unwrap()), ["--"]));
        with(&["list"], |r| {
            let c = r.unwrap();
            assert!(!c.list);
            assert_eq!(program(&c), ["list"]);
        });
        with(&["-"], |r| assert_eq!(program(&r.unwrap()), ["-"]));
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &["--frobnicate", "x"][..],
            &["-x", "y"],
            &["--gpu"],
            &["--gpu", "--dry-run", "x"],
            &["--strict=yes", "x"],
            &[],
            &["--dry-run"],
            &["--list", "foo"],
            &["--list", "--dry-run", "x"],
            &["--json", "x"],
            &["--waybar", "--list"],
            &["--wake", "x"],
            &["--output", "d", "x"],
        ] {
            let r = with(bad, |r| r.and_then(|c| c.action()).map(|_| ()));
            assert!(matches!(r, Err(Error::Usage(_))), "{bad:?}: {r:?}");
        }
    }

    #[test]
    fn mode_takes_an_optional_value() {
        with(&["--mode"], |r| assert_eq!(r.unwrap().mode, Some(None)));
        with(&["--mode", "integrated"], |r| {
            assert_eq!(r.unwrap().mode, Some(Some(OsStr::new("integrated"))))
        });
        with(&["--mode=hybrid"], |r| {
            assert_eq!(r.unwrap().mode, Some(Some(OsStr::new("hybrid"))))
        });
    }
}
