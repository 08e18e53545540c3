//! The renderers of the command line: `--help`, `--version`, the man page
//! (`--man`) and the shell completions (`--completions SHELL`).
//!
//! All are generated from [`command`], the clap definition built from the
//! option table, so packages ship documentation that cannot drift from
//! the parser (as ripgrep's `rg --generate` and fd's `--gen-completions`
//! do). Packagers run the built binary (`packaging/nix/package.nix`,
//! `packaging/deb/build.sh`, `packaging/arch/PKGBUILD`); no copy is kept in
//! the repository.
//!
//! Only these actions call into this module: clap, `clap_complete`,
//! `clap_mangen` and `roff` are linked but never run on the launch path.

use std::ffi::OsStr;

use roff::{Roff, roman};

use crate::cli::environment;
use crate::cli::options::{self, Complete, OPTIONS, OptDef, Value};
use crate::cli::{Action, ProgramArg};
use crate::error::{Error, ExitStatus, Result};

mod completions;
mod man;

pub use man::CONFIG_EXAMPLE;

/// The help text's description.
const ABOUT: &str = "Run a program on the right GPU: sets the PRIME / Vulkan offload \
environment that the chosen GPU's driver honours, then execs PROGRAM in place.";

/// The clap definition of the command line, built from [`OPTIONS`]: the
/// source of `--help`, the man page and the completions.
pub fn command() -> clap::Command {
    let mut cmd = clap::Command::new("gpu-launch")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .override_usage(usage())
        .after_help(after_help())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .max_term_width(100);
    for d in OPTIONS {
        cmd = cmd.arg(arg(d));
    }
    cmd.arg(
        clap::Arg::new("program")
            .value_name("PROGRAM")
            .help("The program to run, looked up in PATH like a shell does, then its arguments")
            .num_args(0..)
            .trailing_var_arg(true)
            .value_hint(clap::ValueHint::CommandWithArguments)
            .value_parser(clap::value_parser!(std::ffi::OsString)),
    )
}

/// One row of the option table as a clap argument.
fn arg(d: &OptDef) -> clap::Arg {
    use clap::{Arg, ArgAction};
    let mut arg = Arg::new(d.long).long(d.long).help(d.doc);
    if let Some(s) = d.short {
        arg = arg.short(s);
    }
    arg = match d.value {
        Value::None => arg.action(match d.selects {
            Some(Action::Help) => ArgAction::Help,
            Some(Action::Version) => ArgAction::Version,
            _ => ArgAction::SetTrue,
        }),
        Value::Required(name) => arg.value_name(name).action(ArgAction::Set),
        Value::Optional(name) => arg.value_name(name).num_args(0..=1).action(ArgAction::Set),
    };
    match d.complete {
        Complete::Any => arg,
        Complete::Values(values) => {
            arg.value_parser(clap::builder::PossibleValuesParser::new(values))
        }
        Complete::Path => arg.value_hint(clap::ValueHint::AnyPath),
        Complete::Spec => arg,
    }
}

/// `--opt`, `--opt VALUE` or `--opt [VALUE]`.
fn with_value(d: &OptDef) -> String {
    match d.value {
        Value::None => format!("--{}", d.long),
        Value::Required(v) => format!("--{} {v}", d.long),
        Value::Optional(v) => format!("--{} [{v}]", d.long),
    }
}

/// Options that go with any action (`only_with` empty) but change what
/// this one does, so its usage line names them: `--install-desktop APP
/// [--gpu SPEC]` writes `--gpu SPEC` into the override.
fn also_modifies(d: &OptDef, action: Action) -> bool {
    action == Action::InstallDesktop && d.long == "gpu"
}

/// The usage lines, one per action, from the table: the option that selects
/// it, the options that may modify it (`only_with`), and PROGRAM when it
/// takes one.
pub fn usage() -> String {
    let line = |action: Action| {
        let mut l = String::from("gpu-launch");
        if let Some(d) = options::selecting(action) {
            l.push(' ');
            l.push_str(&with_value(d));
        }
        for m in OPTIONS
            .iter()
            .filter(|m| m.only_with.contains(&action) || also_modifies(m, action))
        {
            l.push_str(&format!(" [{}]", with_value(m)));
        }
        l.push_str(match action.program() {
            ProgramArg::Required => " [OPTIONS] [--] PROGRAM [ARGS]...",
            ProgramArg::Optional => " [OPTIONS] [PROGRAM]",
            ProgramArg::None => "",
        });
        l
    };
    let mut lines: Vec<String> = Action::ALL
        .into_iter()
        .filter(|a| !matches!(a, Action::Help | Action::Version))
        .map(line)
        .collect();
    lines.push("gpu-launch --help | --version".to_owned());
    lines.join("\n       ")
}

/// What `--help` says after the options: the argument rule, the
/// environment (names; the man page explains them) and the exit statuses.
fn after_help() -> String {
    let vars: Vec<&str> = environment::names().collect();
    let statuses: Vec<String> = ExitStatus::ALL
        .iter()
        .map(|s| format!("{}: {}", i32::from(*s), s.meaning()))
        .collect();
    format!(
        "Options are recognised only before PROGRAM; PROGRAM gets its arguments as given, \
         except that a Chromium-based PROGRAM gets one more, --render-node-override=<the \
         chosen GPU's render node> (gpu-launch --man says when).\n\n\
         Environment (gpu-launch --man explains each): {}.\n\n\
         Exit status: {}; {}.",
        vars.join(", "),
        ExitStatus::AFTER_EXEC,
        statuses.join("; ")
    )
}

/// `--help`'s text.
pub fn help_text() -> String {
    command().render_help().to_string()
}

/// `--version`'s text.
pub fn version_text() -> String {
    format!("gpu-launch {}\n", env!("CARGO_PKG_VERSION"))
}

/// The shells `--completions` writes for: the values the option table
/// offers to completion, so `--help`, the completions and this list agree.
fn shells() -> &'static [&'static str] {
    match options::selecting(Action::Completions).map(|d| d.complete) {
        Some(Complete::Values(shells)) => shells,
        _ => &[],
    }
}

/// The completion script for `shell` (`bash`, `zsh` or `fish`).
pub fn completions(shell: &OsStr) -> Result<String> {
    let known = shells();
    match shell.to_str() {
        Some("bash") => Ok(completions::bash()),
        Some("zsh") => Ok(completions::zsh()),
        Some("fish") => Ok(completions::fish()),
        _ => Err(Error::usage(format!(
            "unknown shell '{}' for --completions (one of: {})",
            shell.to_string_lossy(),
            known.join(", ")
        ))),
    }
}

/// The man page, section 1, in roff.
///
/// clap_mangen renders the synopsis, description and options from
/// [`command`]; the sections a man page has and `--help` does not (the SPEC
/// forms, what gets set, the Chromium argument, the config file, where
/// errors go, environment, files, exit status) come from [`man`]. No date
/// is written, so the page is the same on every build (reproducible
/// packages).
pub fn man_page() -> Result<String> {
    let man = clap_mangen::Man::new(command());
    // The title by hand: clap_mangen drops an empty date argument, which
    // shifts the source and manual into the wrong fields.
    // Ragged right, no hyphenation: the page is full of variable names.
    let mut out = format!(
        ".TH GPU-LAUNCH 1 \"\" \"gpu-launch {}\" \"User Commands\"\n.ad l\n.nh\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        out.extend_from_slice(name_section().as_bytes());
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        out.extend_from_slice(man::sections().as_bytes());
        Ok(())
    };
    render(&mut out).map_err(|source| Error::Output {
        what: "the man page",
        source,
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A short NAME line (the one `whatis` and `apropos` show).
fn name_section() -> String {
    let mut r = Roff::new();
    r.control("SH", ["NAME"]);
    r.text([roman("gpu-launch - run a program on the right GPU")]);
    r.to_roff()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::options::lookup_long;

    #[test]
    fn clap_definition_matches_the_table() {
        let cmd = command();
        cmd.clone().debug_assert();
        for d in OPTIONS {
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(d.long))
                .unwrap_or_else(|| panic!("--{} missing from clap", d.long));
            assert_eq!(arg.get_short(), d.short, "--{}", d.long);
        }
        // Every long option clap documents is one the parser knows.
        for a in cmd.get_arguments() {
            if let Some(long) = a.get_long() {
                assert!(lookup_long(long.as_bytes()).is_some(), "--{long}");
            }
        }
        let help = help_text();
        for d in OPTIONS {
            assert!(
                help.contains(&format!("--{}", d.long)),
                "help lacks --{}",
                d.long
            );
        }
    }

    #[test]
    fn every_offered_shell_generates() {
        assert_eq!(shells(), ["bash", "zsh", "fish"]);
        for shell in shells() {
            let script = completions(OsStr::new(shell)).unwrap();
            assert!(script.contains("gpu-launch"), "{shell}");
            assert!(script.contains("completions"), "{shell}");
        }
    }

    #[test]
    fn unknown_shells_are_usage_errors() {
        for bad in ["tcsh", "Bash", "", "powershell", "elvish"] {
            let e = completions(OsStr::new(bad)).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{bad}: {e:?}");
            assert!(e.to_string().contains("bash, zsh, fish"), "{e}");
        }
    }

    #[test]
    fn man_page_has_every_option_and_section() {
        let page = man_page().unwrap();
        assert!(page.starts_with(".TH GPU-LAUNCH 1"), "{}", &page[..40]);
        for d in OPTIONS {
            // roff escapes '-' as '\-'.
            let long = format!("\\-\\-{}", d.long.replace('-', "\\-"));
            assert!(page.contains(&long), "man page lacks --{}", d.long);
        }
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "CONFIGURATION",
            "DIAGNOSTICS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
        ] {
            assert!(page.contains(&format!(".SH {section}\n")), "{section}");
        }
        for section in [
            "GPU SPEC",
            "WHAT GETS SET",
            "CHROMIUM AND ELECTRON",
            "EXIT STATUS",
            "SEE ALSO",
        ] {
            assert!(page.contains(&format!(".SH \"{section}\"\n")), "{section}");
        }
    }
}
