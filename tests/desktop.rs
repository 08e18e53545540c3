//! Desktop-file overrides (`--install-desktop`, `--uninstall-desktop`), run
//! through the real binary on real-world-shaped desktop files
//! (`tests/data/desktop/`): every override passes `desktop-file-validate`
//! with no message the original did not already get, and `gio launch` of an
//! override starts the program with the offload environment and the same
//! arguments as launching the original.
//!
//! Needs `desktop-file-validate` (Debian `desktop-file-utils`) and `gio`
//! (Debian `libglib2.0-bin`); a test fails, naming the package, when one is
//! missing.

use crate::common::probe;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::fixture::{self, Fixture};
use crate::common::probe::Probes;
use crate::common::{Env, ok, tool};

/// The desktop file IDs under `tests/data/desktop/`, with what `gio launch`
/// is given for each (one argument for `%u`/`%f`, which GLib would otherwise
/// start once per argument).
const SHAPES: &[(&str, &[&str])] = &[
    ("firefox", &["https://example.org/a b?q=1&r=2"]),
    ("chromium", &["/tmp/a file.pdf", "https://example.org/"]),
    ("code", &["/tmp/dir with space/main.rs", "/tmp/other.rs"]),
    ("steam", &["steam://rungameid/570"]),
    ("org.blender.Blender", &["/tmp/scene one.blend"]),
    ("org.example.Viewer", &[]),
    ("my-tool", &["/tmp/x y.txt", "/tmp/z.txt"]),
];

fn data(id: &str) -> String {
    let p = crate::common::source("tests/data/desktop").join(format!("{id}.desktop"));
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A home and a system data directory holding the shapes, with `@BIN@`
/// replaced by `bin`.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new(bin: &Path) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let apps = dir.path().join("share/applications");
        fs::create_dir_all(&apps).unwrap();
        fs::create_dir_all(dir.path().join("home")).unwrap();
        for (id, _) in SHAPES {
            let text = data(id).replace("@BIN@", &bin.display().to_string());
            fs::write(apps.join(format!("{id}.desktop")), text).unwrap();
        }
        Desk { dir }
    }

    fn share(&self) -> PathBuf {
        self.dir.path().join("share")
    }

    fn data_home(&self) -> PathBuf {
        self.dir.path().join("home/.local/share")
    }

    fn original(&self, id: &str) -> PathBuf {
        self.share().join(format!("applications/{id}.desktop"))
    }

    fn override_path(&self, id: &str) -> PathBuf {
        self.data_home().join(format!("applications/{id}.desktop"))
    }

    /// An environment for gpu-launch on `machine` that finds these files.
    fn env(&self, machine: &Fixture) -> Env {
        Env::new(machine.root())
            .set("XDG_DATA_HOME", &self.data_home().display().to_string())
            .set("XDG_DATA_DIRS", &self.share().display().to_string())
    }
}

/// `desktop-file-validate FILE`: exit status and its messages with the file
/// name taken off.
fn validate(path: &Path) -> (i32, Vec<String>) {
    let out = Command::new(tool("desktop-file-validate", "desktop-file-utils"))
        .arg(path)
        .output()
        .expect("run desktop-file-validate");
    let prefix = format!("{}: ", path.display());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let messages = text
        .lines()
        .map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_owned())
        .collect();
    (out.status.code().unwrap_or(-1), messages)
}

/// `(group, value)` of every `Exec=` line.
fn execs(text: &str) -> Vec<(String, String)> {
    let mut group = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(g) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            group = g.to_owned();
        } else if let Some(v) = line.strip_prefix("Exec=") {
            out.push((group.clone(), v.to_owned()));
        }
    }
    out
}

#[test]
fn every_override_passes_desktop_file_validate() {
    let m = fixture::intel_nvidia_laptop();
    let desk = Desk::new(Path::new("/usr/bin"));
    let env = desk.env(&m);
    // A SPEC full of Exec reserved characters must come out quoted.
    let specs = [
        None,
        Some("nvidia"),
        Some("name:RTX 4060 (Laptop) & \"Ti\" $5 50%"),
    ];
    for spec in specs {
        for (id, _) in SHAPES {
            let mut args = vec!["--install-desktop", id];
            if let Some(s) = spec {
                args.extend(["--gpu", s]);
            }
            let _ = fs::remove_file(desk.override_path(id));
            ok(&env.run(&args));
            let (status, before) = validate(&desk.original(id));
            assert_eq!(status, 0, "{id}: the original must be valid: {before:?}");
            let (status, after) = validate(&desk.override_path(id));
            let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
            assert!(
                status == 0 && new.is_empty(),
                "{id} with --gpu {spec:?}: desktop-file-validate says {after:?}\n{}",
                fs::read_to_string(desk.override_path(id)).unwrap()
            );
        }
    }
}

#[test]
fn every_exec_runs_through_gpu_launch_and_the_rest_is_kept() {
    let m = fixture::intel_nvidia_laptop();
    let desk = Desk::new(Path::new("/usr/bin"));
    let env = desk.env(&m);
    for (id, _) in SHAPES {
        ok(&env.run(&["--install-desktop", id, "--gpu", "discrete"]));
        let original = fs::read_to_string(desk.original(id)).unwrap();
        let made = fs::read_to_string(desk.override_path(id)).unwrap();
        let want: Vec<(String, String)> = execs(&original)
            .into_iter()
            .map(|(g, v)| (g, format!("gpu-launch --gpu discrete -- {v}")))
            .collect();
        assert_eq!(execs(&made), want, "{id}");
        assert!(made.contains("\nX-GPU-Launch-Override=true\n"), "{id}");
        // Every other line of the original is still there, in order
        // (DBusActivatable aside, which the override turns off).
        let kept: Vec<&str> = made.lines().collect();
        let mut at = 0;
        for line in original.lines() {
            if line.starts_with("Exec=") || line == "DBusActivatable=true" {
                continue;
            }
            let found = kept[at..].iter().position(|l| *l == line);
            let Some(found) = found else {
                panic!("{id}: line {line:?} is missing from the override:\n{made}");
            };
            at += found + 1;
        }
    }
    let viewer = fs::read_to_string(desk.override_path("org.example.Viewer")).unwrap();
    assert!(viewer.contains("\nDBusActivatable=false\n"), "{viewer}");
}

#[test]
fn a_second_install_changes_nothing_and_never_wraps_twice() {
    let m = fixture::intel_nvidia_laptop();
    let desk = Desk::new(Path::new("/usr/bin"));
    let env = desk.env(&m);
    ok(&env.run(&["--install-desktop", "firefox", "--gpu", "nvidia"]));
    let path = desk.override_path("firefox");
    let first = fs::read(&path).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = env.run(&["--install-desktop", "firefox", "--gpu", "nvidia"]);
    ok(&again);
    assert!(again.stdout.contains("already installed"), "{again:?}");
    assert_eq!(fs::read(&path).unwrap(), first);
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    // A different SPEC rewrites the override from the original, not from the
    // override: still one gpu-launch per Exec.
    ok(&env.run(&["--install-desktop", "firefox", "--gpu", "amd"]));
    let text = fs::read_to_string(&path).unwrap();
    for (_, v) in execs(&text) {
        assert_eq!(v.matches("gpu-launch").count(), 1, "{v}");
        assert!(v.starts_with("gpu-launch --gpu amd -- "), "{v}");
    }
    // The override itself, given as a path, is refused as a source.
    let r = env.run(&[
        "--install-desktop",
        &path.display().to_string(),
        "--output",
        "/tmp",
    ]);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(r.stderr.contains("already an override"), "{r:?}");
}

#[test]
fn ids_follow_xdg_order_and_subdirectories_and_paths_work() {
    let m = fixture::no_gpu();
    let t = tempfile::tempdir().unwrap();
    let entry = |exec: &str| format!("[Desktop Entry]\nType=Application\nName=Foo\nExec={exec}\n");
    let first = t.path().join("first/applications/kde");
    let second = t.path().join("second/applications");
    fs::create_dir_all(&first).unwrap();
    fs::create_dir_all(&second).unwrap();
    fs::write(first.join("foo.desktop"), entry("first-foo")).unwrap();
    fs::write(second.join("kde-foo.desktop"), entry("second-foo")).unwrap();
    let home = t.path().join("home");
    let dirs = format!(
        "relative/ignored:{}:{}",
        t.path().join("first").display(),
        t.path().join("second").display()
    );
    let env = Env::new(m.root())
        .set("XDG_DATA_HOME", &home.display().to_string())
        .set("XDG_DATA_DIRS", &dirs);
    ok(&env.run(&["--install-desktop", "kde-foo"]));
    let made = home.join("applications/kde-foo.desktop");
    let text = fs::read_to_string(&made).unwrap();
    assert!(text.contains("Exec=gpu-launch -- first-foo"), "{text}");
    // Our own override in XDG_DATA_HOME is skipped when looking for the
    // original, so reinstalling is a no-op, not a wrap of the wrap.
    let r = env.run(&["--install-desktop", "kde-foo.desktop"]);
    ok(&r);
    assert!(r.stdout.contains("already installed"), "{r:?}");
    // A path: its ID comes from below applications/ when it is there.
    let out = t.path().join("out");
    let r = env.run(&[
        "--install-desktop",
        &second.join("kde-foo.desktop").display().to_string(),
        "--output",
        &out.display().to_string(),
    ]);
    ok(&r);
    let text = fs::read_to_string(out.join("kde-foo.desktop")).unwrap();
    assert!(text.contains("Exec=gpu-launch -- second-foo"), "{text}");
    // Unknown IDs name where they were looked for.
    let r = env.run(&["--install-desktop", "nope"]);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(r.stderr.contains("no desktop file with ID 'nope'"), "{r:?}");
    // Uninstall removes ours from the default directory and the --output one.
    ok(&env.run(&["--uninstall-desktop", "kde-foo"]));
    assert!(!made.exists());
    ok(&env.run(&[
        "--uninstall-desktop",
        "kde-foo",
        "--output",
        &out.display().to_string(),
    ]));
    assert!(!out.join("kde-foo.desktop").exists());
    // Nothing to remove is not an error.
    let r = env.run(&["--uninstall-desktop", "kde-foo"]);
    ok(&r);
    assert!(r.stderr.contains("nothing removed"), "{r:?}");
}

#[test]
fn files_gpu_launch_did_not_write_are_never_touched() {
    let m = fixture::no_gpu();
    let desk = Desk::new(Path::new("/usr/bin"));
    let env = desk.env(&m);
    let apps = desk.data_home().join("applications");
    fs::create_dir_all(&apps).unwrap();
    // The user's own file under the override's name.
    let mine = "[Desktop Entry]\nType=Application\nName=Mine\nExec=my-firefox %u\n";
    fs::write(apps.join("firefox.desktop"), mine).unwrap();
    for args in [
        &["--install-desktop", "firefox"][..],
        &["--uninstall-desktop", "firefox"],
    ] {
        let r = env.run(args);
        assert_eq!(r.status, 125, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("gpu-launch: refusing"), "{r:?}");
        assert_eq!(
            fs::read_to_string(apps.join("firefox.desktop")).unwrap(),
            mine
        );
    }
    // Installing from the system file into another directory still works.
    let out = desk.dir.path().join("out");
    ok(&env.run(&[
        "--install-desktop",
        &desk.original("firefox").display().to_string(),
        "--output",
        &out.display().to_string(),
    ]));
    // A symlink at the override's name (even to one of our overrides) is not
    // ours: never replaced, never removed.
    let link = apps.join("chromium.desktop");
    std::os::unix::fs::symlink(out.join("firefox.desktop"), &link).unwrap();
    for args in [
        &["--install-desktop", "chromium"][..],
        &["--uninstall-desktop", "chromium"],
    ] {
        let r = env.run(args);
        assert_eq!(r.status, 125, "{args:?}: {r:?}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    // An output directory others or its group can write is refused (the
    // trust rule of config files and the session state).
    for (mode, who) in [
        (0o1777, "writable by others"),
        (0o775, "writable by its group"),
    ] {
        let open = desk.dir.path().join(format!("open{mode:o}"));
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(mode)).unwrap();
        let r = env.run(&[
            "--install-desktop",
            "code",
            "--output",
            &open.display().to_string(),
        ]);
        assert_eq!(r.status, 125, "{r:?}");
        assert!(r.stderr.contains(who), "{r:?}");
        assert_eq!(fs::read_dir(&open).unwrap().count(), 0);
    }
    // A bad SPEC is refused before anything is written.
    let r = env.run(&["--install-desktop", "code", "--gpu", "nvida"]);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(!apps.join("code.desktop").exists());
}

/// `gio launch FILE ARGS` with `env`; returns the probe's record.
fn gio_launch(
    probes: &Probes,
    env: &[(&str, String)],
    file: &Path,
    args: &[&str],
    tag: &str,
) -> probe::Record {
    let gio = tool("gio", "libglib2.0-bin");
    let mut c = Command::new(gio);
    c.env_clear();
    for (k, v) in env {
        c.env(k, v);
    }
    c.env("PROBE_OUT", probes.out(tag));
    let out = c
        .arg("launch")
        .arg(file)
        .args(args)
        .output()
        .expect("run gio");
    assert!(
        out.status.success(),
        "gio launch {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    probes.wait(tag)
}

#[test]
fn gio_launch_of_an_override_offloads_with_arguments_intact() {
    let m = fixture::intel_nvidia_laptop();
    let probes = Probes::new();
    for name in [
        "firefox",
        "chromium",
        "code",
        "steam",
        "flatpak",
        "example-viewer",
        "my tool",
    ] {
        probes.add(name);
    }
    let desk = Desk::new(&probes.bin());
    let config = tempfile::tempdir().unwrap();
    let env: Vec<(&str, String)> = vec![
        ("PATH", probes.path_var()),
        ("HOME", desk.dir.path().join("home").display().to_string()),
        ("XDG_CONFIG_HOME", config.path().display().to_string()),
        ("XDG_DATA_HOME", desk.data_home().display().to_string()),
        ("XDG_DATA_DIRS", desk.share().display().to_string()),
        ("GPU_LAUNCH_SYSFS_ROOT", m.root().display().to_string()),
        ("LANGUAGE", "de".into()),
        ("LC_ALL", "C.UTF-8".into()),
    ];
    let gpu_env = env.iter().fold(Env::new(m.root()), |e, (k, v)| e.set(k, v));
    for (id, args) in SHAPES {
        ok(&gpu_env.run(&["--install-desktop", id]));
        let plain = gio_launch(
            &probes,
            &env,
            &desk.original(id),
            args,
            &format!("{id}-plain"),
        );
        let wrapped = gio_launch(
            &probes,
            &env,
            &desk.override_path(id),
            args,
            &format!("{id}-wrapped"),
        );
        assert!(!plain.nvidia_offload(), "{id}: {plain:?}");
        assert!(wrapped.nvidia_offload(), "{id}: no offload: {wrapped:?}");
        // Same arguments, except the Chromium rule's flag as argv[1] and %k,
        // the location of the desktop file itself.
        let mut want = plain.argv.clone();
        if ["chromium", "code"].contains(id) {
            want.insert(1, "--render-node-override=/dev/dri/renderD129".into());
        }
        let original = desk.original(id).display().to_string();
        let made = desk.override_path(id).display().to_string();
        let got: Vec<String> = wrapped
            .argv
            .iter()
            .map(|a| a.replace(&made, &original))
            .collect();
        assert_eq!(got, want, "{id}");
        for (k, v) in &plain.env {
            if !k.starts_with("GIO_LAUNCHED") && !["PWD", "PROBE_OUT"].contains(&k.as_str()) {
                assert_eq!(wrapped.var(k), Some(v.as_str()), "{id}: {k}");
            }
        }
    }
    // The shapes carry what the test is about: field codes expanded by GLib,
    // quoted arguments with spaces and reserved characters kept whole.
    let tool_argv = probes.record("my-tool-wrapped").unwrap().argv;
    for want in [
        "Hello World",
        "--dir=/tmp/a b",
        "--price=$5 \"net\"",
        "--percent=100%",
        "Mein Werkzeug",
        "/tmp/x y.txt",
    ] {
        assert!(
            tool_argv.iter().any(|a| a == want),
            "{want:?} not in {tool_argv:?}"
        );
    }
    let icon = tool_argv
        .iter()
        .position(|a| a == "--icon")
        .expect("%i expands to --icon ICON");
    assert_eq!(tool_argv[icon + 1], "my-tool");
}
