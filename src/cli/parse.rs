//! The parser that runs on every launch: a small hand-written loop over the
//! C strings the kernel gave us, driven by the option table. It recognises
//! options only before PROGRAM and hands everything from PROGRAM on through
//! untouched. No I/O, no allocation but the parsed [`Cli`].
//!
//! clap is not used to parse: building its `Command` costs more user-space
//! instructions than the rest of a launch (see docs/PERFORMANCE.md).

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;

use crate::cli::options::{OPTIONS, OptDef, Value, lookup_long, lookup_short};
use crate::cli::{Cli, suggest};
use crate::error::{Error, Result};

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
            let Some((index, def)) = lookup_long(name) else {
                return Err(unknown(arg));
            };
            i += 1;
            let value = match (def.value, inline) {
                (Value::None, Some(_)) => {
                    return Err(Error::usage(format!(
                        "option '--{}' takes no value",
                        def.long
                    )));
                }
                (Value::None, None) => None,
                (_, Some(v)) => Some(OsStr::from_bytes(v)),
                (Value::Required(_), None) => {
                    let v = next_value(args, i).ok_or_else(|| missing(def))?;
                    i += 1;
                    Some(v)
                }
                (Value::Optional(_), None) => {
                    let v = next_value(args, i);
                    if v.is_some() {
                        i += 1;
                    }
                    v
                }
            };
            cli.record(index, def, value);
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            // A cluster of short options: `-nv`, `-gnvidia`, `-g nvidia`.
            // A long option with one dash (`-gpu nvidia`) is a mistake, not
            // `-g pu`.
            let word = arg[1..].split(|b| *b == b'=').next().unwrap_or_default();
            if word.len() > 1 {
                if let Some((_, def)) = lookup_long(word) {
                    return Err(one_dash(arg, def));
                }
            }
            i += 1;
            let mut j = 1;
            while j < arg.len() {
                let Some((index, def)) = lookup_short(arg[j]) else {
                    let c = String::from_utf8_lossy(&arg[j..]);
                    let c = c.chars().next().unwrap_or('?');
                    let hint = match std::str::from_utf8(word)
                        .ok()
                        .and_then(|w| suggest::closest(w, OPTIONS.iter().map(|o| o.long)))
                    {
                        Some(long) => format!("did you mean '--{long}'?"),
                        None => "gpu-launch --help lists the options".to_owned(),
                    };
                    return Err(Error::usage(format!("unknown option '-{c}' ({hint})")));
                };
                j += 1;
                let value = match def.value {
                    Value::None => None,
                    Value::Required(_) | Value::Optional(_) if j < arg.len() => {
                        let v = OsStr::from_bytes(&arg[j..]);
                        j = arg.len();
                        Some(v)
                    }
                    Value::Required(_) => {
                        let v = next_value(args, i).ok_or_else(|| missing(def))?;
                        i += 1;
                        Some(v)
                    }
                    Value::Optional(_) => None,
                };
                cli.record(index, def, value);
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
    let typed = name.trim_start_matches('-');
    if let Some(long) = suggest::closest(typed, OPTIONS.iter().map(|o| o.long)) {
        return Error::usage(format!(
            "unknown option '{name}' (did you mean '--{long}'?)"
        ));
    }
    Error::usage(format!(
        "unknown option '{name}' (gpu-launch --help lists the options; \
         use -- before a PROGRAM whose name starts with -)"
    ))
}

/// `-gpu`: a long option written with one dash.
fn one_dash(arg: &[u8], def: &OptDef) -> Error {
    let shown = String::from_utf8_lossy(arg);
    let name = shown.split('=').next().unwrap_or(&shown);
    let short = match def.short {
        Some(c) => format!(" or -{c}"),
        None => String::new(),
    };
    Error::usage(format!(
        "unknown option '{name}': long options take two dashes (use --{}{short})",
        def.long
    ))
}

fn missing(def: &OptDef) -> Error {
    let value = match def.value {
        Value::Required(v) | Value::Optional(v) => v,
        Value::None => "",
    };
    Error::usage(format!("option '--{}' needs a value ({value})", def.long))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Action, parse};
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
            assert!(c.action().unwrap() == Action::DryRun && c.verbose);
        });
        with(&["-vng", "1", "x"], |r| {
            let c = r.unwrap();
            assert!(c.action().unwrap() == Action::DryRun && c.verbose);
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
            assert_eq!(c.action().unwrap(), Action::Launch);
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
    fn mistakes_get_a_suggestion() {
        let err = |list: &[&str]| {
            with(list, |r| {
                r.and_then(|c| c.action()).unwrap_err().to_string()
            })
        };
        assert_eq!(
            err(&["--gpus", "nvidia", "x"]),
            "unknown option '--gpus' (did you mean '--gpu'?)"
        );
        assert_eq!(
            err(&["--dryrun", "x"]),
            "unknown option '--dryrun' (did you mean '--dry-run'?)"
        );
        assert_eq!(
            err(&["--lsit"]),
            "unknown option '--lsit' (did you mean '--list'?)"
        );
        assert_eq!(
            err(&["-gpu", "nvidia", "x"]),
            "unknown option '-gpu': long options take two dashes (use --gpu or -g)"
        );
        assert_eq!(
            err(&["-gpu=nvidia", "x"]),
            "unknown option '-gpu': long options take two dashes (use --gpu or -g)"
        );
        assert_eq!(
            err(&["-list"]),
            "unknown option '-list': long options take two dashes (use --list)"
        );
        assert_eq!(
            err(&["-lsit"]),
            "unknown option '-l' (did you mean '--list'?)"
        );
        assert!(err(&["--frobnicate", "x"]).contains("gpu-launch --help lists the options"));
        // Short clusters still work.
        with(&["-gamd", "x"], |r| {
            assert_eq!(r.unwrap().gpu, Some(OsStr::new("amd")))
        });
    }

    #[test]
    fn mode_takes_an_optional_value() {
        let mode = |list: &[&str]| {
            with(list, |r| {
                let c = r.unwrap();
                assert_eq!(c.action().unwrap(), Action::Mode, "{list:?}");
                c.mode.map(|m| m.to_string_lossy().into_owned())
            })
        };
        assert_eq!(mode(&["--mode"]), None);
        assert_eq!(
            mode(&["--mode", "integrated"]).as_deref(),
            Some("integrated")
        );
        assert_eq!(mode(&["--mode=hybrid"]).as_deref(), Some("hybrid"));
        assert_eq!(mode(&["--mode", "--verbose"]), None);
    }

    #[test]
    fn actions_and_their_messages_come_from_the_table() {
        let err = |list: &[&str]| {
            with(list, |r| {
                r.and_then(|c| c.action()).unwrap_err().to_string()
            })
        };
        assert_eq!(
            err(&["--list", "--status"]),
            "--list and --status cannot be used together"
        );
        assert_eq!(
            err(&["--status", "--list"]),
            "--list and --status cannot be used together"
        );
        assert_eq!(
            err(&["--json", "x"]),
            "--json only goes with --dry-run, --list, --print-env, --doctor, --status"
        );
        assert_eq!(
            err(&["--output", "d", "--list"]),
            "--output only goes with --install-desktop, --uninstall-desktop"
        );
        assert_eq!(err(&["--dry-run"]), "--dry-run needs a PROGRAM");
        assert_eq!(
            err(&["--man", "x"]),
            "--man takes no PROGRAM (unexpected 'x')"
        );
        assert_eq!(
            err(&["--waybar"]),
            "--waybar needs --status (gpu-launch --status --waybar)"
        );
        assert_eq!(
            err(&["--waybar", "--list"]),
            "--waybar needs --status (gpu-launch --status --waybar)"
        );
        with(&["--list", "--help", "--version"], |r| {
            assert_eq!(r.unwrap().action().unwrap(), Action::Help)
        });
        with(&["--print-env"], |r| {
            assert_eq!(r.unwrap().action().unwrap(), Action::PrintEnv)
        });
    }
}
