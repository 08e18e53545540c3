//! Chromium and Electron on Wayland pick their render node themselves and
//! ignore every offload variable (Chromium's ozone prefers i915 > amdgpu >
//! virtio_gpu). The one thing they honour is `--render-node-override=PATH`,
//! so for the programs of this family gpu-launch adds that argument.
//!
//! Pure: works on the argument bytes only.

use crate::decide::program::flatpak_app;
use crate::os::paths::basename;

/// Programs (basenames) and flatpak app ids of the Chromium family that take
/// `--render-node-override`. `[chromium] programs` in the config replaces it.
pub const BUILTIN_PROGRAMS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "google-chrome-beta",
    "google-chrome-unstable",
    "brave",
    "brave-browser",
    "microsoft-edge",
    "microsoft-edge-stable",
    "microsoft-edge-beta",
    "vivaldi",
    "vivaldi-stable",
    "opera",
    "electron",
    "code",
    "code-oss",
    "code-insiders",
    "codium",
    "org.chromium.Chromium",
    "com.google.Chrome",
    "com.brave.Browser",
    "com.microsoft.Edge",
    "com.vivaldi.Vivaldi",
    "com.visualstudio.code",
    "com.vscodium.codium",
    "io.github.ungoogled_software.ungoogled_chromium",
];

/// The argument Chromium reads to pick its render node.
pub const FLAG: &str = "--render-node-override";

/// Where `--render-node-override=...` goes in `argv` (`argv[0]` is PROGRAM as
/// the user wrote it), or `None` when the rule does not apply: PROGRAM (or a
/// `flatpak run` APP-ID) is not in `programs`, or the user already passed
/// the flag.
pub fn insertion_point(argv: &[&[u8]], programs: &[&str]) -> Option<usize> {
    let listed = |name: &[u8]| programs.iter().any(|p| p.as_bytes() == name);
    let program = basename(argv.first()?);
    let at = if program == b"flatpak" && !listed(program) {
        let (app, id) = flatpak_app(argv)?;
        if !listed(id) {
            return None;
        }
        app + 1
    } else {
        if !listed(program) {
            return None;
        }
        1
    };
    let already = argv[at..].iter().any(|a| {
        a.strip_prefix(FLAG.as_bytes())
            .is_some_and(|rest| rest.is_empty() || rest[0] == b'=')
    });
    (!already).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(args: &[&str]) -> Option<usize> {
        let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        insertion_point(&v, BUILTIN_PROGRAMS)
    }

    #[test]
    fn the_built_in_list_holds_every_name_the_contract_lists() {
        // The contract's "Chromium and Electron": "at least" these.
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
            "brave",
            "brave-browser",
            "microsoft-edge",
            "microsoft-edge-stable",
            "vivaldi",
            "opera",
            "electron",
            "code",
            "codium",
            "org.chromium.Chromium",
            "com.google.Chrome",
            "com.brave.Browser",
            "com.microsoft.Edge",
            "com.vivaldi.Vivaldi",
            "com.visualstudio.code",
            "com.vscodium.codium",
        ] {
            assert!(BUILTIN_PROGRAMS.contains(&name), "{name} is missing");
        }
    }

    #[test]
    fn programs_of_the_family() {
        assert_eq!(at(&["chromium", "https://example.org"]), Some(1));
        assert_eq!(at(&["/usr/bin/google-chrome-stable"]), Some(1));
        assert_eq!(at(&["code", "."]), Some(1));
        assert_eq!(at(&["firefox"]), None);
        assert_eq!(
            at(&["chromium", "--render-node-override=/dev/dri/renderD128"]),
            None
        );
        assert_eq!(
            at(&["chromium", "--render-node-override", "/dev/dri/renderD128"]),
            None
        );
        assert_eq!(at(&["chromium", "--render-node-overrides"]), Some(1));
    }

    #[test]
    fn flatpak_app_ids() {
        assert_eq!(
            at(&["flatpak", "run", "org.chromium.Chromium", "x"]),
            Some(3)
        );
        assert_eq!(
            at(&[
                "flatpak",
                "--user",
                "run",
                "--command",
                "chromium",
                "--branch=stable",
                "com.google.Chrome"
            ]),
            Some(7)
        );
        assert_eq!(
            at(&["flatpak", "run", "org.chromium.Chromium//beta"]),
            Some(3)
        );
        assert_eq!(at(&["flatpak", "run", "org.mozilla.firefox"]), None);
        assert_eq!(at(&["flatpak", "install", "org.chromium.Chromium"]), None);
        assert_eq!(at(&["flatpak", "run"]), None);
        // `flatpak` itself listed: it is PROGRAM's basename, so argv[1].
        let v: Vec<&[u8]> = vec![b"flatpak", b"run", b"org.mozilla.firefox"];
        assert_eq!(insertion_point(&v, &["flatpak"]), Some(1));
        assert_eq!(insertion_point(&v, &["org.mozilla.firefox"]), Some(3));
        assert_eq!(
            at(&[
                "flatpak",
                "run",
                "com.brave.Browser",
                "--render-node-override=x"
            ]),
            None
        );
    }
}
