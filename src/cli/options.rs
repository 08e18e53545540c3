//! The option table: every option of gpu-launch, each defined once, as
//! ripgrep's `flags/defs.rs` does. A row says everything about its option:
//! its names, its value, its documentation, how it updates the parsed
//! [`Cli`], which action it selects or which actions it may modify, and what
//! shell completion offers for its value. The parser, `--help`, the man page
//! and the completions are all built from [`OPTIONS`], so adding an option
//! means adding a row (and, when it carries a value, a field of [`Cli`]).
//!
//! Plain data: no clap here (the launch path parses with [`super::parse`];
//! `render` turns rows into clap arguments).

use std::ffi::OsStr;

use crate::cli::{Action, Cli};

/// Does an option take a value?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    None,
    /// `--opt VALUE` or `--opt=VALUE` (`-oVALUE`, `-o VALUE`).
    Required(&'static str),
    /// `--opt`, `--opt VALUE` (when VALUE does not start with `-`) or `--opt=VALUE`.
    Optional(&'static str),
}

/// What shell completion offers for an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complete {
    /// Nothing in particular.
    Any,
    /// One of these words (the parser does not restrict them; each action
    /// validates its own value).
    Values(&'static [&'static str]),
    /// A file or directory.
    Path,
    /// A GPU SPEC: its keywords and this machine's PCI addresses.
    Spec,
}

/// One option.
#[derive(Debug, Clone, Copy)]
pub struct OptDef {
    pub long: &'static str,
    pub short: Option<char>,
    pub value: Value,
    /// The help text (`--help`, the man page, completion descriptions).
    pub doc: &'static str,
    /// The action this option selects (`--list`); at most one action per
    /// command line, `--help` and `--version` winning over the rest.
    pub selects: Option<Action>,
    /// The actions this option may go with (`--json`); empty: any.
    pub only_with: &'static [Action],
    pub complete: Complete,
    /// Records the option and its value (`None` for [`Value::None`], or an
    /// optional value not given) in the parsed command line.
    pub set: for<'a> fn(&mut Cli<'a>, Option<&'a OsStr>),
}

/// For options whose whole effect is the action they select.
fn nothing(_: &mut Cli<'_>, _: Option<&OsStr>) {}

use Action as A;

/// Every option gpu-launch knows, in `--help` order.
pub const OPTIONS: &[OptDef] = &[
    OptDef {
        long: "gpu",
        short: Some('g'),
        value: Value::Required("SPEC"),
        doc: "Which GPU: auto, default, discrete, integrated, external, nvidia, amd, intel, \
              an index, a PCI address (0000:01:00.0: hex, as lspci; PCI:1:0:0: decimal, as Xorg and \
              NixOS), vendor:device (10de:25a2), \
              a DRM node (renderD129, card1), GPU-<uuid> or name:<text> [default: \
              GPU_LAUNCH_GPU, then the config, then auto]",
        selects: None,
        only_with: &[],
        complete: Complete::Spec,
        set: |cli, v| cli.gpu = v,
    },
    OptDef {
        long: "strict",
        short: None,
        value: Value::None,
        doc: "Turn every warning that would let the launch go on into an error (status 125): \
              no GPU matches SPEC, a skipped config file, a bad GPU_LAUNCH_GPU, unusable \
              session state",
        selects: None,
        only_with: &[],
        complete: Complete::Any,
        set: |cli, _| cli.strict = true,
    },
    OptDef {
        long: "dry-run",
        short: Some('n'),
        value: Value::None,
        doc: "Print the launch plan (program, argv, environment changes, GPU); run nothing",
        selects: Some(A::DryRun),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "json",
        short: None,
        value: Value::None,
        doc: "With --dry-run, --list, --print-env, --doctor, --status: print one JSON document",
        selects: None,
        only_with: &[A::DryRun, A::List, A::PrintEnv, A::Doctor, A::Status],
        complete: Complete::Any,
        set: |cli, _| cli.json = true,
    },
    OptDef {
        long: "list",
        short: None,
        value: Value::None,
        doc: "List the GPUs found (index 0 is the default GPU)",
        selects: Some(A::List),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "print-env",
        short: None,
        value: Value::None,
        doc: "Print the environment changes for the chosen GPU as shell code (sh: export/unset \
              lines; fish: see --shell); with PROGRAM, its [apps.NAME] entry applies",
        selects: Some(A::PrintEnv),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "shell",
        short: None,
        value: Value::Required("SHELL"),
        doc: "With --print-env: the syntax, sh (export K='V' / unset K, for sh, bash and zsh; \
              the default) or fish (set -gx K 'V' / set -e K)",
        selects: None,
        only_with: &[A::PrintEnv],
        complete: Complete::Values(&["sh", "fish"]),
        set: |cli, v| cli.shell = v,
    },
    OptDef {
        long: "config",
        short: None,
        value: Value::Required("FILE"),
        doc: "Read this config file instead of the default search (it must exist)",
        selects: None,
        only_with: &[],
        complete: Complete::Path,
        set: |cli, v| cli.config = v,
    },
    OptDef {
        long: "verbose",
        short: Some('v'),
        value: Value::None,
        doc: "Log the decision to stderr (same as GPU_LAUNCH_LOG=debug)",
        selects: None,
        only_with: &[],
        complete: Complete::Any,
        set: |cli, _| cli.verbose = true,
    },
    OptDef {
        long: "doctor",
        short: None,
        value: Value::None,
        doc: "Check this machine's offload setup; exit 1 when a check fails",
        selects: Some(A::Doctor),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "wake",
        short: None,
        value: Value::None,
        doc: "With --list, --doctor, --status: allow waking a suspended GPU to read its details",
        selects: None,
        only_with: &[A::List, A::Doctor, A::Status],
        complete: Complete::Any,
        set: |cli, _| cli.wake = true,
    },
    OptDef {
        long: "status",
        short: None,
        value: Value::None,
        doc: "Print a one-line status of the GPUs and the mode",
        selects: Some(A::Status),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "waybar",
        short: None,
        value: Value::None,
        doc: "With --status: print waybar's custom-module JSON (text, tooltip, class, alt)",
        selects: None,
        only_with: &[A::Status],
        complete: Complete::Any,
        set: |cli, _| cli.waybar = true,
    },
    OptDef {
        long: "mode",
        short: None,
        value: Value::Optional("MODE"),
        doc: "Show the mode in force, or set it for this login session: integrated (battery \
              first), hybrid (the default), auto (integrated on battery, hybrid on external \
              power), or toggle (flip the mode in force and print the new mode)",
        selects: Some(A::Mode),
        only_with: &[],
        complete: Complete::Values(&["integrated", "hybrid", "auto", "toggle"]),
        set: |cli, v| cli.mode = v,
    },
    OptDef {
        long: "next",
        short: None,
        value: Value::Required("SPEC"),
        doc: "The next launch without --gpu uses SPEC, once",
        selects: Some(A::Next),
        only_with: &[],
        complete: Complete::Spec,
        set: |cli, v| cli.next = v,
    },
    OptDef {
        long: "install-desktop",
        short: None,
        value: Value::Required("APP"),
        doc: "Write a desktop-file override that launches APP (a desktop file ID or path) \
              through gpu-launch",
        selects: Some(A::InstallDesktop),
        only_with: &[],
        complete: Complete::Any,
        set: |cli, v| cli.install_desktop = v,
    },
    OptDef {
        long: "uninstall-desktop",
        short: None,
        value: Value::Required("APP"),
        doc: "Remove an override written by --install-desktop (and nothing else)",
        selects: Some(A::UninstallDesktop),
        only_with: &[],
        complete: Complete::Any,
        set: |cli, v| cli.uninstall_desktop = v,
    },
    OptDef {
        long: "output",
        short: None,
        value: Value::Required("DIR"),
        doc: "With --install-desktop/--uninstall-desktop: the directory of overrides \
              [default: $XDG_DATA_HOME/applications]",
        selects: None,
        only_with: &[A::InstallDesktop, A::UninstallDesktop],
        complete: Complete::Path,
        set: |cli, v| cli.output = v,
    },
    OptDef {
        long: "completions",
        short: None,
        value: Value::Required("SHELL"),
        doc: "Print the completion script for bash, zsh or fish",
        selects: Some(A::Completions),
        only_with: &[],
        complete: Complete::Values(&["bash", "zsh", "fish"]),
        set: |cli, v| cli.completions = v,
    },
    OptDef {
        long: "man",
        short: None,
        value: Value::None,
        doc: "Print the man page (roff)",
        selects: Some(A::Man),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "help",
        short: Some('h'),
        value: Value::None,
        doc: "Print help",
        selects: Some(A::Help),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
    OptDef {
        long: "version",
        short: Some('V'),
        value: Value::None,
        doc: "Print version",
        selects: Some(A::Version),
        only_with: &[],
        complete: Complete::Any,
        set: nothing,
    },
];

/// The option named `--name`.
pub fn lookup_long(name: &[u8]) -> Option<(usize, &'static OptDef)> {
    OPTIONS
        .iter()
        .enumerate()
        .find(|(_, d)| d.long.as_bytes() == name)
}

/// The option named `-c`.
pub fn lookup_short(c: u8) -> Option<(usize, &'static OptDef)> {
    OPTIONS
        .iter()
        .enumerate()
        .find(|(_, d)| d.short.is_some_and(|s| s as u32 == u32::from(c)))
}

/// The option that selects `action` (`None` for a plain launch).
pub fn selecting(action: Action) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|d| d.selects == Some(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_action_has_its_option() {
        for (i, d) in OPTIONS.iter().enumerate() {
            assert_eq!(
                lookup_long(d.long.as_bytes()).map(|(j, _)| j),
                Some(i),
                "--{}",
                d.long
            );
            if let Some(s) = d.short {
                assert_eq!(lookup_short(s as u8).map(|(j, _)| j), Some(i), "-{s}");
            }
            assert!(
                d.selects.is_none() || d.only_with.is_empty(),
                "--{} both selects and modifies",
                d.long
            );
        }
        for a in Action::ALL {
            assert_eq!(selecting(a).is_none(), a == Action::Launch, "{a:?}");
        }
        assert!(OPTIONS.len() <= 64, "Cli::given is a u64");
    }
}
