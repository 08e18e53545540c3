//! The pure half of `--install-desktop`: a desktop entry's text in, the
//! override's text out (see the module above). No I/O; fuzzed
//! (`fuzz/fuzz_targets/desktop.rs`).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

use crate::decide::spec::Spec;
use crate::desktop::entry::{ACTION_PREFIX, Line, MAIN_GROUP, classify, wraps};
use crate::desktop::exec_key::{comment_safe, escape_string, quote_arg, split_exec};
use crate::desktop::{MARK_KEY, PROGRAM, SOURCE_KEY};

/// Programs there change path with every update (NixOS).
const NIX_STORE: &str = "/nix/store/";

/// Why a desktop entry cannot be turned into an override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("line {0} is neither a group header, a key=value pair nor a comment")]
    BadLine(usize),
    #[error("it has no [Desktop Entry] group")]
    NoMainGroup,
    #[error("it is already an override written by gpu-launch")]
    AlreadyOverride,
    #[error("its Type is {0}, and only Type=Application entries launch a program")]
    NotApplication(String),
    #[error("[Desktop Entry] has no Exec= to run through gpu-launch{0}")]
    NoExec(&'static str),
    #[error(
        "[{0}] has no Exec= and is started over D-Bus; the override turns D-Bus \
         activation off, which would leave that action with nothing to run"
    )]
    ActionWithoutExec(String),
    #[error("Exec= on line {line} is not a valid command line: {why}")]
    BadExec { line: usize, why: &'static str },
}

/// An override and what the user should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub text: String,
    pub notes: Vec<String>,
}

/// Turns a desktop entry into an override that runs every `Exec=` through
/// gpu-launch (with `--gpu SPEC` when `spec` is given). `source` names the
/// original in the override's comment and `X-GPU-Launch-Source`. Pure.
pub fn rewrite(text: &str, spec: Option<&Spec>, source: &Path) -> Result<Override, RewriteError> {
    // First pass: what the entry is.
    let mut group: Option<&str> = None;
    let mut seen_main = false;
    let mut kind = None;
    let mut dbus = false;
    let mut main_exec = false;
    let mut groups_with_exec: Vec<&str> = Vec::new();
    let mut action_groups: Vec<&str> = Vec::new();
    let mut store_paths = false;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        match classify(line).ok_or(RewriteError::BadLine(n + 1))? {
            Line::Group(g) => {
                group = Some(g);
                seen_main |= g == MAIN_GROUP;
                if g.starts_with(ACTION_PREFIX) {
                    action_groups.push(g);
                }
            }
            Line::Entry { key, value } => {
                let Some(g) = group else {
                    return Err(RewriteError::BadLine(n + 1));
                };
                if !wraps(g) {
                    continue;
                }
                if g == MAIN_GROUP {
                    match key {
                        MARK_KEY => return Err(RewriteError::AlreadyOverride),
                        "Type" => kind = Some(value.trim_end()),
                        DBUS_KEY => dbus = glib_true(value),
                        _ => {}
                    }
                }
                if key == "Exec" {
                    let args = split_exec(value)
                        .map_err(|why| RewriteError::BadExec { line: n + 1, why })?;
                    if args.is_empty() {
                        return Err(RewriteError::BadExec {
                            line: n + 1,
                            why: "it is empty",
                        });
                    }
                    main_exec |= g == MAIN_GROUP;
                    groups_with_exec.push(g);
                    store_paths |= args[0].starts_with(NIX_STORE);
                }
            }
            Line::Other => {}
        }
    }
    if !seen_main {
        return Err(RewriteError::NoMainGroup);
    }
    match kind {
        Some("Application") => {}
        Some(other) => return Err(RewriteError::NotApplication(other.to_owned())),
        None => return Err(RewriteError::NotApplication("missing".to_owned())),
    }
    if !main_exec {
        return Err(RewriteError::NoExec(if dbus {
            " (it is only started over D-Bus, which bypasses Exec)"
        } else {
            ""
        }));
    }
    if dbus {
        if let Some(g) = action_groups.iter().find(|g| !groups_with_exec.contains(g)) {
            return Err(RewriteError::ActionWithoutExec((*g).to_owned()));
        }
    }

    // Second pass: write the override.
    let prefix = exec_prefix(spec);
    let shown_source = source.to_string_lossy();
    let mut out = String::with_capacity(text.len() + 256);
    let _ = writeln!(
        out,
        "# Written by gpu-launch --install-desktop from {}",
        comment_safe(&shown_source)
    );
    out.push_str(
        "# Every Exec= runs through gpu-launch; gpu-launch --uninstall-desktop removes this file.\n",
    );
    let mut notes = Vec::new();
    if store_paths {
        notes.push(format!(
            "its Exec= runs a program by its {NIX_STORE} path, which the override copies: \
             after an update that path can be garbage-collected, so run --install-desktop \
             again after each update (from an activation script, say)"
        ));
    }
    let mut group = None;
    for line in text.split_inclusive('\n') {
        let ending = if line.ends_with('\n') { "\n" } else { "" };
        match classify(line) {
            Some(Line::Group(g)) => {
                group = Some(g);
                out.push_str(line);
                if g == MAIN_GROUP {
                    out.push_str(if ending.is_empty() { "\n" } else { "" });
                    let _ = writeln!(out, "{MARK_KEY}=true");
                    let _ = writeln!(out, "{SOURCE_KEY}={}", escape_string(&shown_source));
                    let _ = writeln!(out, "{DBUS_KEY}=false");
                }
            }
            Some(Line::Entry { key: "Exec", value }) if group.is_some_and(wraps) => {
                if already_wrapped(value) {
                    out.push_str(line);
                } else {
                    let _ = write!(out, "Exec={prefix} {value}{ending}");
                }
            }
            // Every DBusActivatable of the main group goes, whatever its
            // spelling; the one written after the mark says false.
            Some(Line::Entry { key: DBUS_KEY, .. }) if group == Some(MAIN_GROUP) => {}
            _ => out.push_str(line),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if dbus {
        notes.push(
            "the original is D-Bus activatable (DBusActivatable=true), which starts \
             it without Exec; the override sets DBusActivatable=false so launchers \
             use Exec. A D-Bus activation by another program still bypasses gpu-launch"
                .to_owned(),
        );
    }
    Ok(Override { text: out, notes })
}

/// The key that makes launchers start an application over D-Bus instead of
/// running its `Exec=`.
const DBUS_KEY: &str = "DBusActivatable";

/// True when GLib reads `value` (as [`classify`] gives it) as boolean true:
/// `g_key_file_get_boolean` takes the value after the `=` and any ASCII
/// white space (`g_ascii_isspace`: space, `\t`, `\n`, `\f`, `\r`; not `\v`),
/// up to a NUL, drops trailing ASCII white space, and accepts
/// `true` and `1` (glib/gkeyfile.c, `g_key_file_parse_value_as_boolean`).
/// Used for what the notes and refusals say; the override drops the key in
/// every spelling and writes `DBusActivatable=false` itself.
pub fn glib_true(value: &str) -> bool {
    let value = value.split('\0').next().unwrap_or(value);
    matches!(
        value.trim_matches(|c: char| c.is_ascii_whitespace()),
        "true" | "1"
    )
}

/// `gpu-launch --gpu SPEC --` (or `gpu-launch --`), quoted for an Exec value.
fn exec_prefix(spec: Option<&Spec>) -> String {
    let mut args = vec![PROGRAM.to_owned()];
    if let Some(spec) = spec {
        args.push("--gpu".to_owned());
        args.push(spec.to_string());
    }
    args.push("--".to_owned());
    args.iter()
        .map(|a| quote_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when an Exec value already runs gpu-launch (so it is not wrapped
/// again).
fn already_wrapped(value: &str) -> bool {
    split_exec(value).ok().is_some_and(|args| {
        args.first().is_some_and(|p| {
            Path::new(p)
                .file_name()
                .is_some_and(|n| n == OsStr::new(PROGRAM))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desktop::is_ours;

    fn wrap(text: &str, spec: Option<&str>) -> Result<Override, RewriteError> {
        let spec = spec.map(|s| Spec::parse(s).unwrap());
        rewrite(
            text,
            spec.as_ref(),
            Path::new("/usr/share/applications/x.desktop"),
        )
    }

    fn exec_lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("Exec=")).collect()
    }

    const FIREFOX: &str = "[Desktop Entry]\nVersion=1.0\nName=Firefox\nName[de]=Firefox-Webbrowser\n\
        # a comment\nExec=firefox %u\nTryExec=firefox\nIcon=firefox\nType=Application\n\
        Actions=new-window;\n\n[Desktop Action new-window]\nName=New Window\nExec=firefox --new-window %u\n\
        \n[X-Other]\nExec=left alone\n";

    #[test]
    fn every_exec_of_the_entry_and_its_actions_is_wrapped() {
        let o = wrap(FIREFOX, Some("nvidia")).unwrap();
        assert_eq!(
            exec_lines(&o.text),
            [
                "Exec=gpu-launch --gpu nvidia -- firefox %u",
                "Exec=gpu-launch --gpu nvidia -- firefox --new-window %u",
                "Exec=left alone",
            ]
        );
        for kept in [
            "TryExec=firefox",
            "Name[de]=Firefox-Webbrowser",
            "# a comment",
        ] {
            assert!(o.text.contains(kept), "{kept}");
        }
        assert!(is_ours(&o.text));
        assert!(!is_ours(FIREFOX));
        assert!(o.notes.is_empty());
        let plain = wrap(FIREFOX, None).unwrap();
        assert_eq!(exec_lines(&plain.text)[0], "Exec=gpu-launch -- firefox %u");
    }

    #[test]
    fn an_override_is_never_wrapped_again() {
        let o = wrap(FIREFOX, None).unwrap();
        assert_eq!(wrap(&o.text, None), Err(RewriteError::AlreadyOverride));
        // A hand-written wrapper is left as it is.
        let hand = "[Desktop Entry]\nType=Application\nName=X\nExec=/usr/bin/gpu-launch -g amd x\n";
        let o = wrap(hand, Some("nvidia")).unwrap();
        assert_eq!(exec_lines(&o.text), ["Exec=/usr/bin/gpu-launch -g amd x"]);
    }

    #[test]
    fn the_prefix_is_quoted_by_the_exec_rules() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nExec=x\n";
        let o = wrap(text, Some("name:RTX 40%0 \"Ti\"")).unwrap();
        let line = exec_lines(&o.text)[0];
        assert_eq!(
            line,
            r#"Exec=gpu-launch --gpu "name:RTX 40%%0 \\"Ti\\"" -- x"#
        );
        let value = line.strip_prefix("Exec=").unwrap();
        assert_eq!(
            split_exec(value).unwrap(),
            ["gpu-launch", "--gpu", "name:RTX 40%%0 \"Ti\"", "--", "x"]
        );
    }

    #[test]
    fn original_quoting_and_field_codes_stay_byte_for_byte() {
        let value = r#""/opt/My App/app" --title="a \\"b\\"" --dollar "\\$HOME" %F %i %c %k"#;
        let text = format!("[Desktop Entry]\nType=Application\nName=X\nExec = {value}\n");
        let o = wrap(&text, None).unwrap();
        assert_eq!(exec_lines(&o.text), [format!("Exec=gpu-launch -- {value}")]);
        assert_eq!(
            split_exec(value).unwrap(),
            [
                "/opt/My App/app",
                "--title=a \"b\"",
                "--dollar",
                "$HOME",
                "%F",
                "%i",
                "%c",
                "%k"
            ]
        );
    }

    #[test]
    fn dbus_activation_is_turned_off_with_a_note() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\nExec=x --gapplication-service\n";
        let o = wrap(text, None).unwrap();
        assert!(o.text.contains("\nDBusActivatable=false\n"));
        assert_eq!(o.notes.len(), 1);
        let only_dbus = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\n";
        assert!(matches!(
            wrap(only_dbus, None),
            Err(RewriteError::NoExec(_))
        ));
        let action = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\nExec=x\n\
                      Actions=a;\n[Desktop Action a]\nName=A\n";
        assert!(matches!(
            wrap(action, None),
            Err(RewriteError::ActionWithoutExec(_))
        ));
    }

    #[test]
    fn every_spelling_glib_reads_as_true_is_turned_off() {
        for value in ["true", "1", "true ", "1\t", "\x0ctrue", "true\r", "1\0x"] {
            assert!(glib_true(value), "{value:?}");
        }
        for value in [
            "false", "0", "True", "yes", "tru", "10", "", "\0true", "\x0b1",
        ] {
            assert!(!glib_true(value), "{value:?}");
        }
        for entry in [
            "DBusActivatable=1\n",
            "DBusActivatable = true\n",
            "\tDBusActivatable=true\r\n",
            "DBusActivatable=false\nDBusActivatable=true\n",
            "DBusActivatable[de]=false\nDBusActivatable=1\n",
        ] {
            let text = format!("[Desktop Entry]\nType=Application\nName=X\n{entry}Exec=x\n");
            let o = wrap(&text, None).unwrap();
            let dbus: Vec<&str> = o
                .text
                .lines()
                .filter(|l| l.trim_start().starts_with("DBusActivatable"))
                .collect();
            assert_eq!(
                dbus,
                ["DBusActivatable=false", "DBusActivatable[de]=false"]
                    [..if entry.contains("[de]") { 2 } else { 1 }],
                "{entry:?}"
            );
            assert_eq!(o.notes.len(), 1, "{entry:?}");
        }
        // An entry that is not D-Bus activatable gets the key too, and no note.
        let o = wrap(FIREFOX, None).unwrap();
        assert!(o.text.contains("\nDBusActivatable=false\n"));
        assert!(o.notes.is_empty());
    }

    #[test]
    fn store_paths_get_a_note() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nExec=/nix/store/abc-x-1/bin/x %U\n";
        let o = wrap(text, None).unwrap();
        assert_eq!(o.notes.len(), 1);
        assert!(o.notes[0].contains("/nix/store/"), "{:?}", o.notes);
        assert!(wrap(FIREFOX, None).unwrap().notes.is_empty());
    }

    #[test]
    fn refusals() {
        let bad = [
            ("Type=Application\n", RewriteError::BadLine(1)),
            ("[Other]\nType=Application\n", RewriteError::NoMainGroup),
            (
                "[Desktop Entry]\nType=Link\nURL=https://example.org\n",
                RewriteError::NotApplication("Link".into()),
            ),
            (
                "[Desktop Entry]\nType=Application\nName=X\n",
                RewriteError::NoExec(""),
            ),
            (
                "[Desktop Entry]\nType=Application\nExec=\"x\n",
                RewriteError::BadExec {
                    line: 3,
                    why: "a double quote is not closed",
                },
            ),
            (
                "[Desktop Entry]\nType=Application\nnot a pair\n",
                RewriteError::BadLine(3),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(wrap(text, None), Err(want), "{text:?}");
        }
    }

    #[test]
    fn the_mark_and_source_are_in_the_main_group() {
        let o = rewrite(
            "[Desktop Entry]\nType=Application\nName=X\nExec=x",
            None,
            Path::new("/a\nb/x.desktop"),
        )
        .unwrap();
        assert!(
            o.text
                .starts_with("# Written by gpu-launch --install-desktop from /a?b/x.desktop\n")
        );
        assert!(o.text.contains(
            "[Desktop Entry]\nX-GPU-Launch-Override=true\nX-GPU-Launch-Source=/a\\nb/x.desktop\n"
        ));
        assert!(o.text.ends_with("Exec=gpu-launch -- x\n"));
    }

    /// What a fuzz target will check, over every truncation and one-byte
    /// deletion of the real-world-shaped test entries: no panic, and every
    /// override is ours, refuses a second wrap, and has valid Exec lines that
    /// start with gpu-launch.
    #[test]
    fn rewrite_holds_its_invariants_on_damaged_input() {
        let shapes = [
            include_str!("../../tests/data/desktop/firefox.desktop"),
            include_str!("../../tests/data/desktop/my-tool.desktop"),
            include_str!("../../tests/data/desktop/org.example.Viewer.desktop"),
        ];
        let spec = Spec::parse("name:a \"b\" $c %d").unwrap();
        let check = |text: &str| {
            for spec in [None, Some(&spec)] {
                let Ok(o) = rewrite(text, spec, Path::new("/s")) else {
                    continue;
                };
                assert!(is_ours(&o.text), "{text:?}");
                assert_eq!(
                    rewrite(&o.text, spec, Path::new("/s")),
                    Err(RewriteError::AlreadyOverride)
                );
                let mut group = None;
                for line in o.text.split_inclusive('\n') {
                    match classify(line) {
                        Some(Line::Group(g)) => group = Some(g),
                        Some(Line::Entry { key: "Exec", value }) if group.is_some_and(wraps) => {
                            let args = split_exec(value).unwrap();
                            assert_eq!(args[0], PROGRAM, "{line}");
                        }
                        _ => {}
                    }
                }
            }
        };
        for text in shapes {
            let mut cuts: Vec<usize> = (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .collect();
            cuts.dedup();
            for &i in &cuts {
                check(&text[..i]);
            }
            for w in cuts.windows(2) {
                check(&format!("{}{}", &text[..w[0]], &text[w[1]..]));
            }
        }
    }
}
