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

use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};

use crate::cli::{OPTIONS, Opt, Takes};
use crate::config::SYSTEM_CONFIG;
use crate::error::{Error, Result};

/// The help text's description and usage block.
const ABOUT: &str = "Run a program on the right GPU: sets the PRIME / Vulkan offload \
environment that the chosen GPU's driver honours, then execs PROGRAM in place.";

const USAGE: &str = "gpu-launch [OPTIONS] [--] PROGRAM [ARGS]...\n       \
gpu-launch --dry-run [--json] [OPTIONS] [--] PROGRAM [ARGS]...\n       \
gpu-launch --list [--json]\n       \
gpu-launch --print-env [--json] [OPTIONS] [PROGRAM]";

const AFTER_HELP: &str = "Options are recognised only before PROGRAM; everything from PROGRAM \
on is passed to it unchanged.\n\n\
Environment: GPU_LAUNCH_GPU (a SPEC), GPU_LAUNCH_CONFIG (a config file), GPU_LAUNCH_LOG \
(a tracing filter, e.g. debug), GPU_LAUNCH_NVML_LIBRARY and GPU_LAUNCH_PCI_IDS (where NVML and \
pci.ids are), GPU_LAUNCH_SYSFS_ROOT, GPU_LAUNCH_DATA_ROOT and GPU_LAUNCH_JOURNAL_SOCKET \
(testing hooks).\n\n\
Exit status: PROGRAM's own after exec; 0 for a successful query; 1 when --doctor finds a \
failing check; 125 when gpu-launch fails; 126 when PROGRAM cannot be executed; 127 when \
PROGRAM is not found.";

/// The clap definition of the command line, built from [`OPTIONS`]: the
/// source of `--help`, the man page and the completions.
pub fn command() -> clap::Command {
    use clap::{Arg, ArgAction, Command};
    let mut cmd = Command::new("gpu-launch")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .override_usage(USAGE)
        .after_help(AFTER_HELP)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .max_term_width(100);
    for d in OPTIONS {
        let mut arg = Arg::new(d.long).long(d.long).help(d.help);
        if let Some(s) = d.short {
            arg = arg.short(s);
        }
        arg = match d.takes {
            Takes::Nothing => arg.action(match d.opt {
                Opt::Help => ArgAction::Help,
                Opt::Version => ArgAction::Version,
                _ => ArgAction::SetTrue,
            }),
            Takes::Value(name) => arg.value_name(name).action(ArgAction::Set),
            Takes::OptionalValue(name) => {
                arg.value_name(name).num_args(0..=1).action(ArgAction::Set)
            }
        };
        if !d.values.is_empty() {
            arg = arg.value_parser(clap::builder::PossibleValuesParser::new(d.values));
        }
        if matches!(d.opt, Opt::Config | Opt::Output) {
            arg = arg.value_hint(clap::ValueHint::AnyPath);
        }
        cmd = cmd.arg(arg);
    }
    cmd.arg(
        Arg::new("program")
            .value_name("PROGRAM")
            .help("The program to run, looked up in PATH like a shell does, then its arguments")
            .num_args(0..)
            .trailing_var_arg(true)
            .value_hint(clap::ValueHint::CommandWithArguments)
            .value_parser(clap::value_parser!(std::ffi::OsString)),
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
    OPTIONS
        .iter()
        .find(|d| d.opt == Opt::Completions)
        .map_or(&[], |d| d.values)
}

/// The completion script for `shell` (`bash`, `zsh` or `fish`).
pub fn completions(shell: &OsStr) -> Result<String> {
    let known = shells();
    let shell_name = shell.to_string_lossy();
    let shell_kind = match shell.to_str() {
        Some(name) if known.contains(&name) => name.parse::<Shell>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        Error::usage(format!(
            "unknown shell '{shell_name}' for --completions (one of: {})",
            known.join(", ")
        ))
    })?;
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell_kind, &mut cmd, "gpu-launch", &mut out);
    String::from_utf8(out).map_err(|e| Error::Other(format!("completion script: {e}")))
}

/// The man page, section 1, in roff.
///
/// clap_mangen renders the synopsis, description and options from
/// [`command`]; the sections a man page has and `--help` does not
/// (environment, files, exit status) are added here. No date is written, so
/// the page is the same on every build (reproducible packages).
pub fn man_page() -> Result<String> {
    let man = clap_mangen::Man::new(command());
    // The title by hand: clap_mangen drops an empty date argument, which
    // shifts the source and manual into the wrong fields.
    let mut out = format!(
        ".TH GPU-LAUNCH 1 \"\" \"gpu-launch {}\" \"User Commands\"\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        out.extend_from_slice(name_section().as_bytes());
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        out.extend_from_slice(extra_sections().as_bytes());
        Ok(())
    };
    render(&mut out).map_err(|e| Error::Other(format!("man page: {e}")))?;
    String::from_utf8(out).map_err(|e| Error::Other(format!("man page: {e}")))
}

/// A short NAME line (the one `whatis` and `apropos` show).
fn name_section() -> String {
    let mut r = Roff::new();
    r.control("SH", ["NAME"]);
    r.text([roman("gpu-launch - run a program on the right GPU")]);
    r.to_roff()
}

/// A labelled paragraph: `.TP`, the label in bold, then the text.
fn item(r: &mut Roff, label: &str, text: &str) {
    r.control("TP", []);
    r.text([bold(label)]);
    r.text([roman(text)]);
}

fn extra_sections() -> String {
    let mut r = Roff::new();
    r.control("SH", ["ENVIRONMENT"]);
    for (name, text) in [
        (
            "GPU_LAUNCH_GPU",
            "A SPEC used when --gpu is not given (before the config file).",
        ),
        (
            "GPU_LAUNCH_CONFIG",
            "A config file read instead of the default search; it must exist.",
        ),
        (
            "GPU_LAUNCH_LOG",
            "A tracing filter (for example debug): log the decision to stderr.",
        ),
        (
            "AQ_DRM_DEVICES, WLR_DRM_DEVICES, KWIN_DRM_DEVICES",
            "The compositor's GPU list; its first entry is the default GPU (no offload).",
        ),
        (
            "XDG_CONFIG_HOME",
            "Where the user's config file is (default ~/.config).",
        ),
        (
            "GPU_LAUNCH_SYSFS_ROOT",
            "Testing hook: read this directory instead of /sys; no /dev node is opened.",
        ),
        (
            "GPU_LAUNCH_NVML_LIBRARY",
            "Load NVML from this path (details for --list, --doctor, --status).",
        ),
        (
            "GPU_LAUNCH_PCI_IDS",
            "Read this pci.ids for GPU names instead of the usual places.",
        ),
        (
            "GPU_LAUNCH_DATA_ROOT",
            "Testing hook: --doctor looks for libraries, manifests and /dev/dri under this directory.",
        ),
        (
            "GPU_LAUNCH_JOURNAL_SOCKET",
            "Testing hook: send journal messages to this socket instead of journald's.",
        ),
        (
            "XDG_RUNTIME_DIR",
            "Where the session's mode and pending --next live (gpu-launch/ below it).",
        ),
        (
            "XDG_DATA_HOME, XDG_DATA_DIRS",
            "Where --install-desktop finds desktop files and writes overrides.",
        ),
    ] {
        item(&mut r, name, text);
    }
    r.control("SH", ["FILES"]);
    item(
        &mut r,
        SYSTEM_CONFIG,
        "System-wide config (TOML; written by the NixOS module). Keys: gpu, strict, \
         [chromium] enable and programs, [apps.NAME] gpu.",
    );
    item(
        &mut r,
        "$XDG_CONFIG_HOME/gpu-launch/config.toml",
        "The user's config, laid over the system one key by key. A config file writable \
         by group or others, or owned by anyone but the user or root, is refused.",
    );
    r.control("SH", ["EXIT STATUS"]);
    for (status, text) in [
        (
            "PROGRAM's own",
            "after a successful exec: the process is PROGRAM.",
        ),
        (
            "0",
            "a query (--dry-run, --list, --print-env, --help, ...) succeeded.",
        ),
        ("1", "--doctor found a failing check."),
        (
            "125",
            "gpu-launch itself failed: usage error, bad SPEC, malformed or untrusted config, --strict with no matching GPU, a refused state or desktop-file operation.",
        ),
        ("126", "PROGRAM was found but cannot be executed."),
        ("127", "PROGRAM was not found."),
    ] {
        item(&mut r, status, text);
    }
    r.control("SH", ["EXAMPLES"]);
    for (example, text) in [
        (
            "gpu-launch blender",
            "Run Blender on the discrete or external GPU the desktop is not rendering on.",
        ),
        (
            "gpu-launch --gpu PCI:1:0:0 steam",
            "Run Steam on the GPU at PCI bus 1 (the NixOS/Xorg address form).",
        ),
        (
            "gpu-launch --dry-run --gpu nvidia glxinfo",
            "Show what would be set and run, without running it.",
        ),
        (
            "eval \"$(gpu-launch --print-env --gpu amd)\"",
            "Set the offload variables in the current shell.",
        ),
    ] {
        r.control("TP", []);
        r.text([bold(example)]);
        r.text([roman(text)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([
        italic("prime-run"),
        roman("(1), "),
        italic("switcherooctl"),
        roman("(1), "),
        italic("env"),
        roman("(1)"),
    ]);
    r.to_roff()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::lookup_long;

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
            "ENVIRONMENT",
            "FILES",
        ] {
            assert!(page.contains(&format!(".SH {section}\n")), "{section}");
        }
        assert!(page.contains(".SH \"EXIT STATUS\"\n"));
    }
}
