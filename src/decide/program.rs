//! What PROGRAM is called: its basename, or for `flatpak run [OPTIONS]
//! APP-ID`, the APP-ID. `[apps.NAME]` and the Chromium rule look programs
//! up by these names. Pure: works on the argument bytes only.

use std::ffi::CStr;

use crate::cli::OPTIONS;
use crate::os::paths::basename;

/// `flatpak run` options that take their value as the next argument
/// (`flatpak run --command bash APP`), from `flatpak run --help`.
const FLATPAK_VALUE_OPTIONS: &[&str] = &[
    "--arch",
    "--command",
    "--branch",
    "--runtime",
    "--runtime-version",
    "--commit",
    "--runtime-commit",
    "--cwd",
    "--share",
    "--unshare",
    "--socket",
    "--nosocket",
    "--device",
    "--nodevice",
    "--allow",
    "--disallow",
    "--filesystem",
    "--nofilesystem",
    "--add-policy",
    "--remove-policy",
    "--env",
    "--unset-env",
    "--env-fd",
    "--own-name",
    "--talk-name",
    "--no-talk-name",
    "--system-own-name",
    "--system-talk-name",
    "--system-no-talk-name",
    "--add-a11y-own-name",
    "--persist",
    "--app-path",
    "--usr-path",
    "--instance-id-fd",
    "--parent-pid",
    "--installation",
];

/// For `flatpak [GLOBAL-OPTIONS] run [OPTIONS] APP-ID[//BRANCH] [ARGS]`
/// (`argv[0]`'s basename is `flatpak`): the index of APP-ID in `argv` and
/// the id itself, without its `//branch`.
pub fn flatpak_app<'a>(argv: &[&'a [u8]]) -> Option<(usize, &'a [u8])> {
    if basename(argv.first()?) != b"flatpak" {
        return None;
    }
    let mut i = 1;
    while i < argv.len() && argv[i].starts_with(b"-") {
        i += 1;
    }
    if argv.get(i)? != b"run" {
        return None;
    }
    i += 1;
    while i < argv.len() {
        let a = argv[i];
        if a == b"--" {
            i += 1;
            break;
        }
        if !a.starts_with(b"-") {
            break;
        }
        let takes_next =
            !a.contains(&b'=') && FLATPAK_VALUE_OPTIONS.iter().any(|o| o.as_bytes() == a);
        i += if takes_next { 2 } else { 1 };
    }
    let app = argv.get(i)?;
    let id = app.split(|b| *b == b'/').next().unwrap_or(app);
    Some((i, id))
}

/// The names `[apps.NAME]` is looked up by: for `flatpak run ... APP-ID`, the
/// APP-ID first; then PROGRAM's basename.
pub fn app_names<'a>(program: &'a [&'a CStr]) -> Vec<&'a str> {
    let Some(first) = program.first() else {
        return Vec::new();
    };
    let mut names = Vec::with_capacity(2);
    let argv: Vec<&[u8]> = program.iter().map(|a| a.to_bytes()).collect();
    if let Some((_, id)) = flatpak_app(&argv) {
        if let Ok(id) = std::str::from_utf8(id) {
            names.push(id);
        }
    }
    if let Ok(base) = std::str::from_utf8(basename(first.to_bytes())) {
        names.push(base);
    }
    names
}

/// When PROGRAM (as typed, a name looked up in PATH) is the long name of
/// one of gpu-launch's own options (`list`, `doctor`, `gpu`): that name,
/// for the 127 message to mention (`gpu-launch list` runs a program called
/// `list`; the user likely meant `--list`).
pub fn own_option(name: &[u8]) -> Option<&'static str> {
    let name = std::str::from_utf8(name).ok()?;
    OPTIONS.iter().find(|o| o.long == name).map(|o| o.long)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(args: &[&str]) -> Option<(usize, String)> {
        let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        flatpak_app(&v).map(|(i, id)| (i, String::from_utf8_lossy(id).into_owned()))
    }

    #[test]
    fn flatpak_app_ids() {
        let id = |i, s: &str| Some((i, s.to_owned()));
        assert_eq!(app(&["flatpak", "run", "org.a.B", "x"]), id(2, "org.a.B"));
        assert_eq!(
            app(&[
                "/usr/bin/flatpak",
                "--user",
                "run",
                "--command",
                "sh",
                "--branch=x",
                "org.a.B"
            ]),
            id(6, "org.a.B")
        );
        assert_eq!(
            app(&["flatpak", "run", "--", "org.a.B//beta"]),
            id(3, "org.a.B")
        );
        assert_eq!(app(&["flatpak", "install", "org.a.B"]), None);
        assert_eq!(app(&["flatpak", "run"]), None);
        assert_eq!(app(&["chromium", "run", "org.a.B"]), None);
    }

    #[test]
    fn own_options_are_recognised_by_their_long_name() {
        assert_eq!(own_option(b"list"), Some("list"));
        assert_eq!(own_option(b"doctor"), Some("doctor"));
        assert_eq!(own_option(b"dry-run"), Some("dry-run"));
        assert_eq!(own_option(b"blender"), None);
        assert_eq!(own_option(b"gpu"), Some("gpu"));
        assert_eq!(own_option(b"--list"), None);
    }

    #[test]
    fn app_names_put_the_flatpak_id_first() {
        let args = |list: &[&str]| -> Vec<std::ffi::CString> {
            list.iter()
                .map(|s| std::ffi::CString::new(*s).unwrap())
                .collect()
        };
        let owned = args(&["/usr/bin/flatpak", "run", "org.chromium.Chromium//beta"]);
        let refs: Vec<&CStr> = owned.iter().map(AsRef::as_ref).collect();
        assert_eq!(app_names(&refs), ["org.chromium.Chromium", "flatpak"]);
        let owned = args(&["/opt/blender/blender", "--factory-startup"]);
        let refs: Vec<&CStr> = owned.iter().map(AsRef::as_ref).collect();
        assert_eq!(app_names(&refs), ["blender"]);
        assert!(app_names(&[]).is_empty());
    }
}
