//! Overrides as GLib itself reads them: a tiny C program
//! (`tests/glib/desktop_info.c`, built against `libglib2.0-dev` through
//! `pkg-config gio-unix-2.0`) asks `g_key_file_get_boolean` and
//! `GDesktopAppInfo` what a desktop file says. For every spelling of
//! `DBusActivatable` that GLib reads as true, the original would be started
//! over D-Bus (bypassing `Exec=`), and the override must not be: GIO must
//! run its `Exec=`, which runs gpu-launch.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{Env, fixture, ok, tool};

/// The compiled `desktop_info`, built once per test process.
fn desktop_info() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = crate::common::source("tests/glib/desktop_info.c");
        let flags = Command::new(tool("pkg-config", "pkg-config"))
            .args(["--cflags", "--libs", "gio-unix-2.0"])
            .output()
            .expect("run pkg-config");
        assert!(
            flags.status.success(),
            "pkg-config finds no gio-unix-2.0: install the Debian package libglib2.0-dev \
             (.ci/run does)"
        );
        let flags = String::from_utf8(flags.stdout).unwrap();
        // Not in the checkout's target/: the unprivileged pass may not write
        // there.
        let dir = std::env::temp_dir().join(format!("gpu-launch-glib-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("desktop_info");
        let status = Command::new("cc")
            .args(["-O1", "-Wall", "-Werror", "-o"])
            .arg(&out)
            .arg(&src)
            .args(flags.split_whitespace())
            .status()
            .expect("run cc (these tests need gcc and libglib2.0-dev)");
        assert!(status.success(), "cc failed to build {}", src.display());
        out
    })
}

/// What GLib makes of `file`: (DBusActivatable as `g_key_file_get_boolean`
/// reads it, as `GDesktopAppInfo` reads it, the command line GIO runs).
/// `path` is the PATH GIO looks for the program in.
fn glib_reads(file: &Path, path: &str) -> (bool, bool, String) {
    let out = Command::new(desktop_info())
        .arg(file)
        .env_clear()
        .env("PATH", path)
        .output()
        .expect("run desktop_info");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("GLib cannot load {}: {text}", file.display()))
            .to_owned()
    };
    (
        field("dbus ") == "true",
        field("info-dbus ") == "true",
        field("exec "),
    )
}

#[test]
fn overrides_turn_off_dbus_activation_in_every_spelling_glib_reads_as_true() {
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let apps = dir.path().join("share/applications");
    let bin = dir.path().join("bin");
    fs::create_dir_all(&apps).unwrap();
    fs::create_dir_all(&bin).unwrap();
    // GDesktopAppInfo loads an entry only when its program is in PATH.
    std::os::unix::fs::symlink(crate::common::bin(), bin.join("gpu-launch")).unwrap();
    std::os::unix::fs::symlink("/bin/true", bin.join("viewer")).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let env = Env::new(m.root())
        .set(
            "XDG_DATA_HOME",
            &dir.path().join("home").display().to_string(),
        )
        .set(
            "XDG_DATA_DIRS",
            &dir.path().join("share").display().to_string(),
        )
        .set("PATH", &path);
    let spellings = [
        "DBusActivatable=true\n",
        "DBusActivatable=1\n",
        "DBusActivatable = true \n",
        "\tDBusActivatable=1\t\n",
        "DBusActivatable=\x0ctrue\n",
        "DBusActivatable=true\r\n",
        "DBusActivatable=1\0not read by GLib\n",
        "DBusActivatable=false\nDBusActivatable=1\n",
        "DBusActivatable[de]=false\nDBusActivatable=true\n",
    ];
    for (i, spelling) in spellings.iter().enumerate() {
        let id = format!("org.example.App{i}");
        let source = apps.join(format!("{id}.desktop"));
        fs::write(
            &source,
            format!("[Desktop Entry]\nType=Application\nName=App\n{spelling}Exec=viewer --x %u\n"),
        )
        .unwrap();
        let (dbus, info_dbus, _) = glib_reads(&source, &path);
        assert!(dbus && info_dbus, "GLib does not read {spelling:?} as true");
        ok(&env.run(&["--install-desktop", &id]));
        let made = dir.path().join(format!("home/applications/{id}.desktop"));
        let (dbus, info_dbus, exec) = glib_reads(&made, &path);
        assert!(
            !dbus && !info_dbus,
            "{spelling:?}: the override is still D-Bus activatable:\n{}",
            fs::read_to_string(&made).unwrap()
        );
        assert_eq!(exec, "gpu-launch -- viewer --x %u", "{spelling:?}");
    }
}
