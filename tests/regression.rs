//! Regression tests, each named after what broke (found by the hostile-input
//! review and the fuzz targets in `fuzz/`; see docs/HARDENING.md).

use std::path::Path;
use std::process::Command;

use crate::common::{Env, fixture, one_error_line, run_briefly, strace};

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn sysfs_attribute_that_is_a_fifo_does_not_hang_detection() {
    let m = fixture::intel_nvidia_laptop();
    let dgpu = m
        .root()
        .join("devices/pci0000:00/0000:00:01.0/0000:01:00.0");
    for attr in ["uevent", "boot_vga", "removable", "power/runtime_status"] {
        let p = dgpu.join(attr);
        let _ = std::fs::remove_file(&p);
        mkfifo(&p);
    }
    let env = Env::new(m.root());
    let r = run_briefly(env.command(&["--list", "--json"]));
    assert_eq!(r.status, 0, "{r:?}");
    // The GPU is still found (its driver through the `driver` link).
    assert_eq!(r.json().as_array().unwrap().len(), 2, "{r:?}");
    let r = run_briefly(env.command(&["--dry-run", "true"]));
    assert_eq!(r.status, 0, "{r:?}");
}

#[test]
fn sysfs_directory_that_is_a_fifo_does_not_hang_detection() {
    let m = fixture::intel_nvidia_laptop();
    let drivers = m.root().join("bus/pci/drivers/nvidia");
    std::fs::remove_dir_all(&drivers).unwrap();
    mkfifo(&drivers);
    let r = run_briefly(Env::new(m.root()).command(&["--list", "--json"]));
    assert_eq!(r.status, 0, "{r:?}");
    // Both GPUs are still found, through their DRM nodes.
    assert_eq!(r.json().as_array().unwrap().len(), 2, "{r:?}");
}

/// A directory's place taken by a FIFO is never opened: `O_DIRECTORY`
/// refuses it in the call itself (an open that succeeded would make a
/// writer waiting on it go on, and a device node in its place could be a
/// GPU's). Told by the trace: every open of it fails.
#[test]
fn sysfs_directory_that_is_a_fifo_is_never_opened() {
    use crate::common::{OPEN_CALLS, calls, strace};
    let m = fixture::intel_nvidia_laptop();
    let drivers = m.root().join("bus/pci/drivers/nvidia");
    std::fs::remove_dir_all(&drivers).unwrap();
    mkfifo(&drivers);
    let cmd = Env::new(m.root()).command(&["--list", "--json"]);
    let trace = calls(&strace(&cmd, &["-y"]));
    let fifo = drivers.to_str().unwrap();
    let opens: Vec<_> = trace
        .iter()
        .filter(|c| OPEN_CALLS.contains(&c.name.as_str()))
        .filter(|c| c.resolved.as_deref() == Some(fifo))
        .collect();
    assert!(!opens.is_empty(), "the walk never tried it: {trace:#?}");
    for c in opens {
        assert!(c.line.contains("= -1 "), "opened: {}", c.line);
    }
}

#[test]
fn sysfs_attribute_that_links_out_of_the_root_is_not_read() {
    let m = fixture::intel_nvidia_laptop();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("uevent"),
        "DRIVER=amdgpu\nPCI_ID=1002:73BF\n",
    )
    .unwrap();
    let uevent = m
        .root()
        .join("devices/pci0000:00/0000:00:01.0/0000:01:00.0/uevent");
    std::fs::remove_file(&uevent).unwrap();
    std::os::unix::fs::symlink(outside.path().join("uevent"), &uevent).unwrap();
    let r = run_briefly(Env::new(m.root()).command(&["--list", "--json"]));
    assert_eq!(r.status, 0, "{r:?}");
    assert!(!r.stdout.contains("amdgpu"), "{}", r.stdout);
}

#[test]
fn config_file_that_is_a_fifo_is_refused_not_waited_on() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root());
    let fifo = env.home().join("config.toml");
    mkfifo(&fifo);
    let r = run_briefly(env.command(&[
        "--config".as_ref(),
        fifo.as_os_str(),
        "--dry-run".as_ref(),
        "true".as_ref(),
    ]));
    assert_eq!(r.status, 125, "{r:?}");
    one_error_line(&r);
    assert!(r.stderr.contains("not a regular file"), "{r:?}");
    // The same in the default search (the user's file): standing state, so
    // skipped with a warning, and the dry run goes on.
    let dir = env.home().join(".config/gpu-launch");
    std::fs::create_dir_all(&dir).unwrap();
    mkfifo(&dir.join("config.toml"));
    let r = run_briefly(env.command(&["--dry-run", "--json", "true"]));
    assert_eq!(r.status, 0, "{r:?}");
    let notes = r.json()["notes"].to_string();
    assert!(
        notes.contains("is ignored") && notes.contains("not a regular file"),
        "{r:?}"
    );
}

/// `$XDG_RUNTIME_DIR` with a private state directory in it.
fn runtime_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::DirBuilderExt;
    let runtime = tempfile::tempdir().unwrap();
    let dir = runtime.path().join("gpu-launch");
    std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    (runtime, dir)
}

#[test]
fn state_file_that_is_a_fifo_is_refused_not_waited_on() {
    let m = fixture::intel_nvidia_laptop();
    for name in ["mode", "next"] {
        let (runtime, dir) = runtime_dir();
        mkfifo(&dir.join(name));
        let env = Env::new(m.root()).set("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap());
        for args in [&["true"][..], &["--dry-run", "true"], &["--status"]] {
            // Unusable state is a warning (a note of --dry-run's plan); the
            // FIFO is left where it is.
            let r = run_briefly(env.command(args));
            assert_eq!(r.status, 0, "{name} {args:?}: {r:?}");
            let said = format!("{}{}", r.stdout, r.stderr);
            assert!(said.contains("it is a FIFO, not a regular file"), "{r:?}");
            assert!(dir.join(name).exists(), "{name} {args:?}");
            let mut strict = vec!["--strict"];
            strict.extend(args);
            let r = run_briefly(env.command(&strict));
            assert_eq!(r.status, 125, "{name} {strict:?}: {r:?}");
            one_error_line(&r);
            assert!(r.stderr.contains("not a regular file"), "{r:?}");
        }
    }
}

#[test]
fn symlinked_state_directory_is_refused_before_next_is_claimed() {
    // The launch used to rename `next` through the link (and remove it)
    // before it checked the directory: a file named `next` wherever the
    // link pointed was lost.
    let m = fixture::intel_nvidia_laptop();
    let runtime = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("next"), "precious\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), runtime.path().join("gpu-launch")).unwrap();
    let env = Env::new(m.root()).set("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap());
    let r = run_briefly(env.command(&["true"]));
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.stderr.contains("symbolic link"), "{r:?}");
    let r = run_briefly(env.command(&["--strict", "true"]));
    assert_eq!(r.status, 125, "{r:?}");
    one_error_line(&r);
    let names: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["next"]);
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("next")).unwrap(),
        "precious\n"
    );
}

#[test]
fn desktop_file_that_is_a_fifo_is_refused_not_waited_on() {
    let m = fixture::no_gpu();
    let share = tempfile::tempdir().unwrap();
    let apps = share.path().join("applications");
    std::fs::create_dir(&apps).unwrap();
    mkfifo(&apps.join("foo.desktop"));
    let out = tempfile::tempdir().unwrap();
    let env = Env::new(m.root()).set("XDG_DATA_DIRS", share.path().to_str().unwrap());
    let by_path = apps.join("foo.desktop");
    for app in ["foo", by_path.to_str().unwrap()] {
        let r = run_briefly(env.command(&[
            "--install-desktop",
            app,
            "--output",
            out.path().to_str().unwrap(),
        ]));
        assert_eq!(r.status, 125, "{app}: {r:?}");
        one_error_line(&r);
        assert!(r.stderr.contains("not a desktop file"), "{r:?}");
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

/// Installs an override of a minimal entry into `out`; returns its path.
fn install_into(env: &Env, out: &Path) -> std::path::PathBuf {
    let src = out.parent().unwrap().join("x.desktop");
    std::fs::write(
        &src,
        "[Desktop Entry]\nType=Application\nName=X\nExec=x %U\n",
    )
    .unwrap();
    let r = env.run(&[
        "--install-desktop".as_ref(),
        src.as_os_str(),
        "--output".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(r.status, 0, "{r:?}");
    out.join("x.desktop")
}

#[test]
fn uninstall_in_a_directory_others_can_write_is_refused() {
    // --install-desktop refused a world-writable directory; --uninstall-desktop
    // removed files in it all the same. And desktop targets refused only
    // world-writable directories, where config files and the session state
    // also refuse group-writable ones: now one rule (os::trust) for all.
    use std::os::unix::fs::PermissionsExt;
    let m = fixture::no_gpu();
    let env = Env::new(m.root());
    for (mode, who) in [
        (0o1777, "writable by others"),
        (0o770, "writable by its group"),
    ] {
        let top = tempfile::tempdir().unwrap();
        let out = top.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let ours = install_into(&env, &out);
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).unwrap();
        let r = env.run(&[
            "--uninstall-desktop".as_ref(),
            "x".as_ref(),
            "--output".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(r.status, 125, "{r:?}");
        one_error_line(&r);
        assert!(r.stderr.contains(who), "{r:?}");
        assert!(ours.exists());
    }
}

#[test]
fn install_under_umask_002_makes_a_directory_the_trust_rule_accepts() {
    // With group-writable directories refused, an output directory created
    // 0775 under umask 002 (user private groups) would be refused right after
    // gpu-launch made it.
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let m = fixture::no_gpu();
    let top = tempfile::tempdir().unwrap();
    let src = top.path().join("x.desktop");
    std::fs::write(&src, "[Desktop Entry]\nType=Application\nName=X\nExec=x\n").unwrap();
    let out = top.path().join("new/applications");
    let mut cmd = Env::new(m.root()).command(&[
        "--install-desktop".as_ref(),
        src.as_os_str(),
        "--output".as_ref(),
        out.as_os_str(),
    ]);
    // SAFETY: umask is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o002);
            Ok(())
        });
    }
    let r = run_briefly(cmd);
    assert_eq!(r.status, 0, "{r:?}");
    for dir in [out.parent().unwrap(), &out] {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "{}", dir.display());
    }
    assert!(out.join("x.desktop").exists());
}

#[test]
#[ignore = "needs root (chowns a directory to another user); CI runs it"]
fn desktop_output_directory_owned_by_another_user_is_refused() {
    crate::common::root_only();
    let m = fixture::no_gpu();
    let env = Env::new(m.root());
    let top = tempfile::tempdir().unwrap();
    let out = top.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let ours = install_into(&env, &out);
    std::os::unix::fs::chown(&out, Some(4321), Some(4321)).unwrap();
    for verb in ["--install-desktop", "--uninstall-desktop"] {
        let app = top.path().join("x.desktop");
        let r = env.run(&[
            verb.as_ref(),
            app.as_os_str(),
            "--output".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(r.status, 125, "{verb}: {r:?}");
        one_error_line(&r);
        assert!(r.stderr.contains("owned by uid 4321"), "{r:?}");
    }
    assert!(ours.exists());
}

#[test]
fn sysfs_root_named_drm_does_not_let_a_node_owner_escape_it() {
    // With GPU_LAUNCH_SYSFS_ROOT=.../drm and `class/drm/renderD128 ->
    // ../../renderD128`, the node's owner was taken to be the root's parent,
    // and its `uevent` (outside the root) was read.
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(
        outer.path().join("uevent"),
        "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:09:00.0\nPCI_ID=1002:73BF\n",
    )
    .unwrap();
    let root = outer.path().join("drm");
    std::fs::create_dir_all(root.join("class/drm")).unwrap();
    std::fs::create_dir_all(root.join("renderD128")).unwrap();
    std::os::unix::fs::symlink("../../renderD128", root.join("class/drm/renderD128")).unwrap();
    let r = run_briefly(Env::new(&root).command(&["--list", "--json"]));
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(r.json(), serde_json::json!([]), "{r:?}");
}

#[test]
fn warnings_and_errors_that_quote_input_stay_one_line() {
    let m = fixture::intel_nvidia_laptop();
    // A SPEC with a line break matched no GPU: the fallback warning quoted it
    // and took two lines.
    let env = Env::new(m.root()).set("GPU_LAUNCH_GPU", "name:a\nb");
    let r = run_briefly(env.command(&["true"]));
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.stderr.starts_with("gpu-launch: warning: "), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    // A terminal escape in PROGRAM's name reaches the terminal as '?'.
    let r = run_briefly(Env::new(m.root()).command(&["\u{1b}]0;title\u{7}\u{1b}[2Jx"]));
    assert_eq!(r.status, 127, "{r:?}");
    one_error_line(&r);
    assert!(!r.stderr.contains('\u{1b}'), "{r:?}");
}

#[test]
#[ignore = "needs root (chowns a copy of the binary to another user); CI runs it"]
fn setuid_start_sends_nothing_to_the_journal_socket_its_caller_names() {
    // The refusal used to come after GPU_LAUNCH_JOURNAL_SOCKET was taken, so
    // a setuid gpu-launch sent its error, with raised privileges, to any
    // socket the caller named.
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixDatagram;
    crate::common::root_only();
    let (dir, copy) = crate::common::setuid_copy();
    let socket = dir.path().join("journal");
    let listener = UnixDatagram::bind(&socket).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut cmd = Command::new(&copy);
    cmd.args(["--dry-run", "true"])
        .env("GPU_LAUNCH_JOURNAL_SOCKET", &socket);
    let r = run_briefly(cmd);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(r.stderr.contains("raised privileges"), "{r:?}");
    let mut buf = [0u8; 4096];
    assert!(
        listener.recv(&mut buf).is_err(),
        "a datagram reached the caller's socket"
    );
}

#[test]
fn a_journal_socket_nobody_reads_does_not_hold_up_the_launch() {
    // The datagram was sent blocking: once the socket's queue was full
    // (10 datagrams by default), a launch with a warning and no terminal
    // waited for ever.
    use std::os::unix::net::UnixDatagram;
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let _listener = UnixDatagram::bind(&path).unwrap();
    let filler = UnixDatagram::unbound().unwrap();
    filler.set_nonblocking(true).unwrap();
    while filler.send_to(b"MESSAGE=filler\n", &path).is_ok() {}
    let env = Env::new(m.root()).set("GPU_LAUNCH_JOURNAL_SOCKET", path.to_str().unwrap());
    // A fallback warning, and an error.
    let r = run_briefly(env.command(&["--gpu", "amd", "true"]));
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.stderr.starts_with("gpu-launch: warning: "), "{r:?}");
    let r = run_briefly(env.command(&["no-such-program-xyz"]));
    assert_eq!(r.status, 127, "{r:?}");
}

#[test]
fn a_config_variable_naming_a_device_node_opened_the_device() {
    // GPU_LAUNCH_CONFIG=/dev/null was opened for reading, then refused as
    // "writable by others; run chmod go-w". Opening a device runs its
    // driver's open (a DRM render node resumes its GPU): anything but a
    // regular file is now refused for what it is, without being opened.
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root()).set("GPU_LAUNCH_CONFIG", "/dev/null");
    let r = env.run(&["--dry-run", "--json", "true"]);
    assert_eq!(r.status, 0, "{r:?}");
    let notes = r.json()["notes"].to_string();
    assert!(
        notes.contains("/dev/null") && notes.contains("a character device"),
        "{notes}"
    );
    assert!(!notes.contains("chmod"), "{notes}");
    let trace = strace(
        &env.command(&["--dry-run", "true"]),
        &["-e", "trace=open,openat,openat2"],
    );
    let looks: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("\"/dev/null\""))
        .collect();
    assert!(!looks.is_empty(), "the trace sees the look: {trace}");
    assert!(looks.iter().all(|l| l.contains("O_PATH")), "{looks:?}");
}
