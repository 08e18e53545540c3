//! `--dry-run` and the launch agree on 126/127 for every kind of file
//! PROGRAM can name: each kind is set up once, then dry-run and launched,
//! by path and through PATH. A dry run that fails still prints the plan
//! (`program` null, a note).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{Env, fixture, probe_as, write_executable};

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The probe with its ELF loader (`PT_INTERP`) renamed to one that does not
/// exist: `None` where the probe has none to rename (a static build).
fn without_loader(dir: &Path) -> Option<PathBuf> {
    let mut bytes = std::fs::read(crate::common::probe_binary()).unwrap();
    let at = bytes.windows(3).position(|w| w == b"ld-")?;
    bytes[at..at + 3].copy_from_slice(b"zz-");
    let to = dir.join("noloader");
    write_from_child(&to, &bytes, 0o755);
    Some(to)
}

/// Writes a file from a child process, so that no write descriptor is ever
/// open in this (multi-threaded) test process: a concurrent fork could
/// inherit it and make an exec of the file fail with ETXTBSY.
fn write_from_child(path: &Path, bytes: &[u8], mode: u32) {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("cat > \"$1\" && chmod \"$2\" \"$1\"")
        .arg("sh")
        .arg(path)
        .arg(format!("{mode:o}"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "cannot write {}",
        path.display()
    );
}

/// Every kind of file, as (what, path, expected status by path, expected
/// status when looked up in PATH). In PATH, what is not a regular file is
/// passed over, as the shells do (a directory, a FIFO: 127 for a directory,
/// 126 for the rest, which `execvp` would try and fail).
fn kinds(dir: &Path) -> Vec<(&'static str, PathBuf, i32, i32)> {
    let root = crate::common::is_root();
    let mut out = vec![("an executable", probe_as(dir, "exe"), 0, 0)];
    // A copy, not a link: its mode is its own.
    let plain = dir.join("plain");
    let probe = std::fs::read(crate::common::probe_binary()).unwrap();
    write_from_child(&plain, &probe, 0o644);
    out.push(("a regular file without execute bits", plain, 126, 126));
    let d = dir.join("dir");
    std::fs::create_dir(&d).unwrap();
    chmod(&d, 0o755);
    out.push(("a directory", d, 126, 127));
    let fifo = dir.join("fifo");
    nix_mkfifo(&fifo);
    chmod(&fifo, 0o755);
    out.push(("a FIFO with execute bits", fifo, 126, 126));
    let sock = dir.join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::mem::forget(listener);
    chmod(&sock, 0o755);
    out.push(("a socket with execute bits", sock, 126, 126));
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    out.push(("a dangling symlink", dangling, 127, 127));
    out.push(("nothing at all", dir.join("missing"), 127, 127));
    let closed = dir.join("closed");
    std::fs::create_dir(&closed).unwrap();
    let inside = probe_as(&closed, "exe");
    chmod(&closed, 0o600);
    // Root searches any directory; in PATH, an unsearchable directory is
    // passed over (bash says "command not found" too).
    out.push((
        "a file in a directory without search permission",
        inside,
        if root { 0 } else { 126 },
        if root { 0 } else { 127 },
    ));
    let through = dir.join("plain-file");
    std::fs::write(&through, "").unwrap();
    out.push(("a path through a file", through.join("x"), 126, 127));
    let script = dir.join("script");
    write_executable(&script, "exit 0\n", 0o755);
    out.push(("a script without #! (runs under /bin/sh)", script, 0, 0));
    let empty = dir.join("empty");
    write_executable(&empty, "", 0o755);
    out.push(("an empty executable file", empty, 0, 0));
    let missing = dir.join("missing-interpreter");
    // In the test's own directory: `/nonexistent` may exist (a program run
    // as root with HOME=/nonexistent creates it), and not be searchable.
    let python = dir.join("no-such-python9");
    write_executable(
        &missing,
        &format!("#!{} -u\nprint(1)\n", python.display()),
        0o755,
    );
    out.push((
        "a script whose #! interpreter is missing",
        missing,
        126,
        126,
    ));
    let bad = dir.join("bad-interpreter");
    write_executable(&bad, &format!("#!{}\n", dir.join("plain").display()), 0o755);
    out.push((
        "a script whose interpreter is not executable",
        bad.clone(),
        126,
        126,
    ));
    // One level down: the interpreter is an executable script whose own
    // interpreter is not executable (the kernel follows the chain).
    let chained = dir.join("chained-interpreter");
    write_executable(&chained, &format!("#!{}\n", bad.display()), 0o755);
    out.push((
        "a script whose interpreter's interpreter is not executable",
        chained,
        126,
        126,
    ));
    if let Some(p) = without_loader(dir) {
        out.push(("a binary whose ELF loader is missing", p, 126, 126));
    }
    out
}

fn nix_mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo");
}

#[test]
fn dry_run_and_launch_agree_on_126_and_127_for_every_kind_of_file() {
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.out");
    let env = Env::new(m.root()).set("PROBE_OUT", out.to_str().unwrap());
    for (what, path, expected, _) in kinds(dir.path()) {
        let p = path.to_str().unwrap();
        let dry = env.run(&["--dry-run", "--json", p]);
        let launched = env.run(&[p]);
        assert_eq!(
            (dry.status, launched.status),
            (expected, expected),
            "{what}: dry run {dry:?}, launch {launched:?}"
        );
        // The plan is printed either way; a failure also says why, once, on
        // stderr, in the same words as the launch.
        let plan = dry.json();
        if expected == 0 {
            assert_eq!(plan["program"], p, "{what}");
        } else {
            assert!(plan["program"].is_null(), "{what}: {plan}");
            let note = plan["notes"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(
                dry.stderr.trim_end(),
                format!("gpu-launch: {}", note.as_str().unwrap()),
                "{what}"
            );
            assert_eq!(dry.stderr, launched.stderr, "{what}: the same message");
            for bad in ["(os error", "entity not found", "Os {", "kind:"] {
                assert!(!launched.stderr.contains(bad), "{what}: {launched:?}");
            }
        }
    }
    chmod(&dir.path().join("closed"), 0o755);
}

#[test]
fn through_path_too() {
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.out");
    for (what, path, _, expected) in kinds(dir.path()) {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let env = Env::new(m.root())
            .set("PROBE_OUT", out.to_str().unwrap())
            .set("PATH", parent.to_str().unwrap());
        let name = name.to_str().unwrap();
        let dry = env.run(&["--dry-run", name]);
        let launched = env.run(&[name]);
        assert_eq!(
            (dry.status, launched.status),
            (expected, expected),
            "{what}: dry run {dry:?}, launch {launched:?}"
        );
        if expected != 0 {
            assert_eq!(dry.stderr, launched.stderr, "{what}: the same message");
        }
    }
    chmod(&dir.path().join("closed"), 0o755);
}

/// The error line names the reason, in the words a shell would use, and
/// says what to do about a missing execute bit.
#[test]
fn the_error_says_why_it_cannot_run() {
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(m.root());
    let kinds = kinds(dir.path());
    let path_of = |what: &str| -> String {
        let (_, p, _, _) = kinds.iter().find(|k| k.0 == what).unwrap();
        p.to_str().unwrap().to_owned()
    };
    for (what, path, words) in [
        (
            "a regular file without execute bits",
            path_of("a regular file without execute bits"),
            &["Permission denied", "chmod +x"][..],
        ),
        (
            "a directory",
            path_of("a directory"),
            &["Is a directory"][..],
        ),
        (
            "a FIFO with execute bits",
            path_of("a FIFO with execute bits"),
            &["Permission denied", "a FIFO"][..],
        ),
        (
            "a socket with execute bits",
            path_of("a socket with execute bits"),
            &["Permission denied", "a socket"][..],
        ),
        (
            "a character device",
            "/dev/null".to_owned(),
            &["Permission denied", "a device"][..],
        ),
    ] {
        for args in [&["--dry-run", path.as_str()][..], &[path.as_str()][..]] {
            let r = env.run(args);
            assert_eq!(r.status, 126, "{what}: {r:?}");
            crate::common::one_error_line(&r);
            for w in words {
                assert!(r.stderr.contains(w), "{what}: {w:?} not in {r:?}");
            }
        }
    }
    assert!(
        !env.run(&["--dry-run", &path_of("a directory")])
            .stderr
            .contains("chmod"),
        "a directory is not a missing execute bit"
    );
    // 127 for a dangling link names where it leads; a #! interpreter is
    // missing, or there but not executable.
    let nowhere = dir.path().join("nowhere");
    let plain = dir.path().join("plain");
    for (what, status, words) in [
        (
            "a dangling symlink",
            127,
            vec!["symbolic link to".to_owned(), nowhere.display().to_string()],
        ),
        (
            "a script whose #! interpreter is missing",
            126,
            vec![
                dir.path().join("no-such-python9").display().to_string(),
                "is not installed".to_owned(),
            ],
        ),
        (
            "a script whose interpreter is not executable",
            126,
            vec![
                plain.display().to_string(),
                "cannot be executed".to_owned(),
                "Permission denied".to_owned(),
            ],
        ),
        (
            "a script whose interpreter's interpreter is not executable",
            126,
            vec![
                format!(
                    "its interpreter {} needs the interpreter {}",
                    dir.path().join("bad-interpreter").display(),
                    plain.display()
                ),
                "cannot be executed".to_owned(),
            ],
        ),
    ] {
        let p = path_of(what);
        for args in [&["--dry-run", p.as_str()][..], &[p.as_str()][..]] {
            let r = env.run(args);
            assert_eq!(r.status, status, "{what}: {r:?}");
            crate::common::one_error_line(&r);
            for w in &words {
                assert!(r.stderr.contains(w.as_str()), "{what}: {w:?} not in {r:?}");
            }
            assert!(
                !(r.stderr.contains("is not installed") && r.stderr.contains("cannot be executed")),
                "{what}: {r:?}"
            );
        }
    }
    chmod(&dir.path().join("closed"), 0o755);
}

/// Execute bits for the group and others but not for the owner: the owner
/// may not run the file (the kernel checks the owner's bits alone), so
/// `--dry-run` says 126 as the launch does. Root may run it (any execute
/// bit will do), so as root the check runs as an ordinary user.
#[test]
fn execute_bits_that_are_not_the_owners() {
    const NOBODY: u32 = 65534;
    let m = fixture::intel_nvidia_laptop();
    chmod(m.root(), 0o755);
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let file = dir.path().join("others-only");
    write_executable(&file, "exit 0\n", 0o011);
    let root = crate::common::is_root();
    if root {
        std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let env = Env::new(m.root());
    let p = file.to_str().unwrap();
    for args in [&["--dry-run", p][..], &[p][..]] {
        let r = if root {
            let (mut c, _bin) = env.command_as(NOBODY, args);
            crate::common::Run::from(c.output().unwrap())
        } else {
            env.run(args)
        };
        assert_eq!(r.status, 126, "{args:?}: {r:?}");
        crate::common::one_error_line(&r);
        assert!(r.stderr.contains("Permission denied"), "{r:?}");
    }
}
