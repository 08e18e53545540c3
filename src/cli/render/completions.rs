//! The completion scripts of `--completions SHELL`: hand-written templates
//! for bash, zsh and fish (beside this file, readable as shell code) filled
//! in from the option table, so every option, its value and its help text
//! come from the one definition the parser uses.
//!
//! clap_complete's scripts were not used: they offer gpu-launch's options
//! and file names after PROGRAM, where completion must be PROGRAM's own, and
//! have no way to complete a SPEC from the machine. In these, the options
//! are offered only before PROGRAM (the scripts walk the words as
//! `cli::parse` does: `--`, `--opt=VALUE`, `-gSPEC`, clusters); from PROGRAM
//! on, each shell's own delegation completes (bash-completion's
//! `_command_offset`, zsh's `_normal`, fish's `__fish_complete_subcommand`);
//! a SPEC completes to [`SPEC_KEYWORDS`] and this machine's PCI addresses,
//! read from `gpu-launch --list --json` (which never wakes a GPU), parsed
//! with the shell's own tools (no jq).

use crate::cli::options::{Complete, OPTIONS, OptDef, Value};
use crate::cli::{Action, ProgramArg};

const BASH: &str = include_str!("gpu-launch.bash");
const ZSH: &str = include_str!("_gpu-launch.zsh");
const FISH: &str = include_str!("gpu-launch.fish");

/// The SPEC keywords completion offers, with what each selects (a test
/// checks that each parses).
pub const SPEC_KEYWORDS: &[(&str, &str)] = &[
    (
        "auto",
        "the external, else discrete, GPU the desktop is not on",
    ),
    ("default", "the GPU the desktop renders on (no offload)"),
    ("discrete", "a discrete GPU (external ones included)"),
    ("integrated", "the GPU in the CPU or SoC"),
    ("external", "a Thunderbolt/USB4 eGPU"),
    ("nvidia", "an NVIDIA GPU"),
    ("amd", "an AMD GPU"),
    ("intel", "an Intel GPU"),
];

/// A pattern none of gpu-launch's options matches (for an empty list).
const NO_OPTION: &str = "--@none@";

/// `--gpu`, `-g`.
fn names(d: &OptDef) -> Vec<String> {
    let mut v = vec![format!("--{}", d.long)];
    v.extend(d.short.map(|s| format!("-{s}")));
    v
}

/// Every name of the options `keep` selects, in table order.
fn names_where(keep: impl Fn(&OptDef) -> bool) -> Vec<String> {
    OPTIONS.iter().filter(|d| keep(d)).flat_map(names).collect()
}

/// Options that select an action without PROGRAM (`--list`): after them,
/// no PROGRAM is offered.
fn no_program(d: &OptDef) -> bool {
    d.selects
        .is_some_and(|a: Action| a.program() == ProgramArg::None)
}

fn required(d: &OptDef) -> bool {
    matches!(d.value, Value::Required(_))
}

fn optional(d: &OptDef) -> bool {
    matches!(d.value, Value::Optional(_))
}

/// The help text without its `[default: ...]` (shells show one line).
fn summary(d: &OptDef) -> &'static str {
    d.doc.split(" [default:").next().unwrap_or(d.doc)
}

/// `a|b|c` for a `case` pattern, never empty.
fn alternatives(names: Vec<String>) -> String {
    if names.is_empty() {
        NO_OPTION.to_owned()
    } else {
        names.join("|")
    }
}

/// Replaces each `@NAME@` of `template`.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("@{name}@"), value);
    }
    out
}

pub fn bash() -> String {
    let mut values = String::new();
    for d in OPTIONS.iter().filter(|d| d.value != Value::None) {
        let action = match d.complete {
            Complete::Any => continue,
            Complete::Spec => "_gpu_launch_spec \"$2\"".to_owned(),
            Complete::Values(words) => format!("_gpu_launch_reply \"$2\" {}", words.join(" ")),
            Complete::Path => "_gpu_launch_files \"$2\"".to_owned(),
        };
        values.push_str(&format!("    {}) {action} ;;\n", names(d).join("|")));
    }
    let keywords: Vec<&str> = SPEC_KEYWORDS.iter().map(|(k, _)| *k).collect();
    fill(
        BASH,
        &[
            ("VALUES", values.trim_end().to_owned()),
            ("KEYWORDS", keywords.join(" ")),
            ("NOPROGRAM", alternatives(names_where(no_program))),
            ("REQUIRED", alternatives(names_where(required))),
            ("OPTIONAL", alternatives(names_where(optional))),
            ("OPTIONS", names_where(|_| true).join(" ")),
        ],
    )
}

/// Text inside an `_arguments` or `_describe` description, in single quotes.
fn zsh_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
        .replace('\'', "'\\''")
}

pub fn zsh() -> String {
    let mut specs = String::new();
    for d in OPTIONS {
        let all = names(d).join(" ");
        let exclude = match d.selects {
            Some(Action::Help | Action::Version) => "- 1 *".to_owned(),
            _ if no_program(d) => format!("{all} 1 *"),
            _ => all,
        };
        let (message, optional) = match d.value {
            Value::None => ("", false),
            Value::Required(m) => (m, false),
            Value::Optional(m) => (m, true),
        };
        let action = match d.complete {
            Complete::Any => " ".to_owned(),
            Complete::Spec => "_gpu-launch_spec".to_owned(),
            Complete::Values(words) => format!("({})", words.join(" ")),
            Complete::Path => "_files".to_owned(),
        };
        let value = match d.value {
            Value::None => String::new(),
            _ => format!("{}{message}:{action}", if optional { "::" } else { ":" }),
        };
        let help = zsh_text(summary(d));
        let mut forms = vec![match d.value {
            Value::None => format!("--{}", d.long),
            _ => format!("--{}=", d.long),
        }];
        if let Some(s) = d.short {
            forms.push(match d.value {
                Value::None => format!("-{s}"),
                Value::Required(_) => format!("-{s}+"),
                Value::Optional(_) => format!("-{s}-"),
            });
        }
        for form in forms {
            specs.push_str(&format!("    '({exclude}){form}[{help}]{value}' \\\n"));
        }
    }
    let keywords: Vec<String> = SPEC_KEYWORDS
        .iter()
        .map(|(k, what)| format!("    '{}:{}'", zsh_text(k), zsh_text(what)))
        .collect();
    fill(
        ZSH,
        &[
            ("SPECS", specs.trim_end_matches('\n').to_owned()),
            ("KEYWORDS", keywords.join("\n")),
        ],
    )
}

/// `'...'` for fish: only `\` and `'` are escaped inside its single quotes.
fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub fn fish() -> String {
    let mut completes = String::new();
    for d in OPTIONS {
        let mut line = String::from("complete -c gpu-launch -n __gpu_launch_before_program");
        if let Some(s) = d.short {
            line.push_str(&format!(" -s {s}"));
        }
        line.push_str(&format!(" -l {}", d.long));
        if d.value != Value::None {
            line.push_str(match d.complete {
                Complete::Path => " -r -F",
                _ => " -x",
            });
            match d.complete {
                Complete::Spec => line.push_str(" -a '(__gpu_launch_spec)'"),
                // Without -d: fish would show the option's text for each.
                Complete::Values(words) => {
                    completes.push_str(&format!("{line} -a {}\n", fish_quote(&words.join(" "))))
                }
                Complete::Any | Complete::Path => {}
            }
        }
        line.push_str(&format!(" -d {}\n", fish_quote(summary(d))));
        completes.push_str(&line);
    }
    let mut keywords = String::from("    printf '%s\\t%s\\n'");
    for (k, what) in SPEC_KEYWORDS {
        keywords.push_str(&format!(
            " \\\n        {} {}",
            fish_quote(k),
            fish_quote(what)
        ));
    }
    let list = |names: Vec<String>| names.join(" ");
    fill(
        FISH,
        &[
            ("COMPLETES", completes.trim_end().to_owned()),
            ("KEYWORDS", keywords),
            ("NOPROGRAM", list(names_where(no_program))),
            ("REQUIRED", list(names_where(required))),
            ("OPTIONAL", list(names_where(optional))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::spec::Spec;

    #[test]
    fn every_keyword_is_a_spec() {
        for (k, _) in SPEC_KEYWORDS {
            assert!(Spec::parse(k).is_ok(), "{k}");
        }
    }

    #[test]
    fn every_placeholder_is_filled_and_every_option_named() {
        for (shell, script) in [("bash", bash()), ("zsh", zsh()), ("fish", fish())] {
            let left: Vec<&str> = script
                .split('@')
                .skip(1)
                .step_by(2)
                .filter(|w| w.chars().all(|c| c.is_ascii_uppercase()) && !w.is_empty())
                .collect();
            assert!(left.is_empty(), "{shell}: {left:?} left");
            for d in OPTIONS {
                assert!(
                    script.contains(&format!("--{}", d.long))
                        || script.contains(&format!("-l {}", d.long)),
                    "{shell} lacks --{}",
                    d.long
                );
            }
        }
    }

    /// The words the scripts use unquoted (option names, values, keywords)
    /// need no quoting in any of the three shells.
    #[test]
    fn words_written_unquoted_are_plain() {
        let plain = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        for d in OPTIONS {
            assert!(plain(d.long), "--{}", d.long);
            if let Complete::Values(words) = d.complete {
                assert!(words.iter().all(|w| plain(w)), "--{}", d.long);
            }
        }
        assert!(SPEC_KEYWORDS.iter().all(|(k, _)| plain(k)));
    }

    #[test]
    fn quoting_for_zsh_and_fish() {
        assert_eq!(zsh_text("a [b]: c's \\"), "a \\[b\\]\\: c'\\''s \\\\");
        assert_eq!(fish_quote("it's a \\"), "'it\\'s a \\\\'");
    }
}
