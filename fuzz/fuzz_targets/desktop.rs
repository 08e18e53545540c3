//! The desktop-entry rewriter on arbitrary text: no panic; an override it
//! writes is a valid entry (every line a comment, a group header or a
//! key=value pair), marked as ours, with every Exec= of the entry and its
//! actions a valid command line that runs gpu-launch; its `[Desktop Entry]`
//! never reads as D-Bus activatable to GLib (every `DBusActivatable` there
//! says false, however the original spelled it); and rewriting the override
//! again is refused, so nothing is ever wrapped twice.
#![no_main]

use std::path::Path;

use gpu_launch::decide::spec::Spec;
use gpu_launch::desktop::{self, RewriteError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let spec = match pick % 3 {
        0 => None,
        1 => Spec::parse("nvidia").ok(),
        _ => Spec::parse("name:a \"b\" $c %d \\e `f`").ok(),
    };
    let source = Path::new("/usr/share/applications/fuzz\n.desktop");
    let Ok(made) = desktop::rewrite(text, spec.as_ref(), source) else {
        return;
    };
    assert!(desktop::is_ours(&made.text));
    assert!(made.text.ends_with('\n'));
    let mut group: Option<&str> = None;
    let mut execs = 0;
    let mut dbus_false = 0;
    for line in made.text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let trimmed = body.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(inner) = trimmed.strip_prefix('[') {
            group = Some(
                inner
                    .trim_end()
                    .strip_suffix(']')
                    .unwrap_or_else(|| panic!("bad group line {line:?}")),
            );
            continue;
        }
        let (key, value) = body
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line:?}"));
        assert!(!key.trim().is_empty(), "{line:?}");
        assert!(group.is_some(), "an entry before any group: {line:?}");
        let wrapped =
            group.is_some_and(|g| g == "Desktop Entry" || g.starts_with("Desktop Action "));
        if group == Some("Desktop Entry") && key.trim() == "DBusActivatable" {
            // GLib's reading: leading white space of the value is skipped.
            let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
            assert!(!desktop::rewrite::glib_true(value), "{line:?}");
            dbus_false += 1;
        }
        if wrapped && key.trim() == "Exec" {
            let args = desktop::split_exec(value.trim_start_matches([' ', '\t']))
                .unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let program = args.first().expect("an empty Exec");
            assert!(
                Path::new(program).file_name() == Some("gpu-launch".as_ref()),
                "{line:?}"
            );
            execs += 1;
        }
    }
    assert!(execs >= 1, "no Exec= in {:?}", made.text);
    assert!(
        dbus_false >= 1,
        "no DBusActivatable=false in {:?}",
        made.text
    );
    assert_eq!(
        desktop::rewrite(&made.text, spec.as_ref(), source),
        Err(RewriteError::AlreadyOverride)
    );
});
