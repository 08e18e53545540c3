//! Another user against the session state, for real: root only (CI runs
//! `cargo test -- --ignored` as root), each test ignored with the reason.
//!
//! - The swap (issue 14): between the check of the state directory and the
//!   path-based rename that claimed `--next`, another user who could write
//!   the runtime dir swapped the directory for a symbolic link, and a file
//!   of the victim's elsewhere was renamed, read and deleted. Here an
//!   attacker of another uid (65534, `tests/probe/swap.c`) exchanges the
//!   names in a tight loop (`renameat2(RENAME_EXCHANGE)`, atomic) while ~200
//!   launches run as root, and an inotify watch on the victim's files
//!   records every open, read, rename and removal: there must be none.
//! - `su` with the first user's `XDG_RUNTIME_DIR`: a launch runs, warning.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run, refused};

/// The attacker's uid and gid.
const NOBODY: u32 = 65534;

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn mkdir(p: &Path, mode: u32) {
    fs::create_dir(p).unwrap();
    chmod(p, mode);
}

/// `tests/probe/swap.c`, built once with the system C compiler, in a
/// directory anyone may read.
fn swapper() -> PathBuf {
    crate::common::c_program("swap")
}

/// The attacker at work: exchanging two names as uid 65534.
struct Attack {
    child: Child,
    stop: PathBuf,
}

impl Attack {
    /// Starts exchanging `a` and `b`; returns once it has tried once.
    fn start(a: &Path, b: &Path, scratch: &Path) -> Attack {
        let stop = scratch.join("stop");
        let mut child = Command::new(swapper())
            .arg(a)
            .arg(b)
            .arg(&stop)
            .uid(NOBODY)
            .gid(NOBODY)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the attacker");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.as_mut().unwrap());
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n", "the attacker did not start");
        Attack { child, stop }
    }

    /// Stops it; returns how many exchanges succeeded and the last error.
    fn stop(mut self) -> (u64, i32) {
        fs::write(&self.stop, "").unwrap();
        let mut out = String::new();
        let mut pipe = self.child.stdout.take().unwrap();
        std::io::Read::read_to_string(&mut pipe, &mut out).unwrap();
        assert!(self.child.wait().unwrap().success());
        let words: Vec<i64> = out.split_whitespace().map(|w| w.parse().unwrap()).collect();
        (words[0] as u64, words[2] as i32)
    }
}

impl Drop for Attack {
    /// A test that fails before [`Attack::stop`] kills its attacker.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An inotify watch on directories: every open, read, write, rename,
/// removal or change of them or of what is in them.
struct Watch {
    fd: std::os::fd::OwnedFd,
}

impl Watch {
    fn new(dirs: &[&Path]) -> Watch {
        use std::os::fd::FromRawFd;
        // SAFETY: no arguments beyond the flags; the descriptor returned is
        // owned here from now on.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(raw >= 0, "inotify_init1");
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        for dir in dirs {
            let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
            // SAFETY: a valid descriptor and a NUL-terminated path.
            let wd = unsafe { libc::inotify_add_watch(raw, c.as_ptr(), libc::IN_ALL_EVENTS) };
            assert!(wd >= 0, "inotify_add_watch {}", dir.display());
        }
        Watch { fd }
    }

    /// The events so far, as `(mask, name)`, but for `IN_MOVE_SELF`: the
    /// attacker's own exchanges move a watched directory itself.
    fn events(&self) -> Vec<(u32, String)> {
        use std::os::fd::AsRawFd;
        let mut buf = vec![0u8; 1 << 16];
        let mut out = Vec::new();
        loop {
            // SAFETY: `buf` is writable for its whole length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return out;
            }
            let mut at = 0;
            while at < n as usize {
                // struct inotify_event { int wd; u32 mask, cookie, len; char name[]; }
                let word =
                    |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().unwrap());
                let (mask, len) = (word(4), word(12) as usize);
                let name = &buf[at + 16..at + 16 + len];
                let name = String::from_utf8_lossy(name)
                    .trim_end_matches('\0')
                    .to_owned();
                if mask != libc::IN_MOVE_SELF {
                    out.push((mask, name));
                }
                at += 16 + len;
            }
        }
    }
}

/// A victim's directory that looks like a state directory (root's, 0700,
/// so the trust rule would accept it), holding a `--next` for the NVIDIA GPU.
fn victim_state(dir: &Path) {
    mkdir(dir, 0o700);
    fs::write(dir.join("next"), "nvidia\n").unwrap();
    fs::write(dir.join("mode"), "integrated\n").unwrap();
}

fn assert_untouched(dir: &Path) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["mode", "next"], "{}", dir.display());
    assert_eq!(fs::read_to_string(dir.join("next")).unwrap(), "nvidia\n");
}

/// Runs `gpu-launch env` `count` times as root with `runtime` as
/// `XDG_RUNTIME_DIR` and a config that says `gpu = "default"` (so only a
/// `--next` read from somewhere offloads); returns how many offloaded and
/// how many warned.
fn launches(m: &Fixture, runtime: &Path, count: usize) -> (usize, usize) {
    let env = Env::new(m.root())
        .set("XDG_RUNTIME_DIR", runtime.to_str().unwrap())
        .config("gpu = \"default\"\n");
    let (mut offloaded, mut warned) = (0, 0);
    for _ in 0..count {
        let r: Run = env.run(&["env"]);
        assert_eq!(r.status, 0, "{r:?}");
        offloaded += usize::from(r.stdout.contains("__NV_PRIME_RENDER_OFFLOAD=1"));
        warned += usize::from(r.stderr.contains("session state ignored"));
    }
    (offloaded, warned)
}

#[test]
#[ignore = "needs root: an attacker of uid 65534 swaps the state directory; CI runs it"]
fn a_state_dir_swapped_for_a_symlink_in_a_runtime_dir_others_can_write_is_never_followed() {
    crate::common::root_only();
    let m = fixture::intel_nvidia_laptop();
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    // The runtime dir the attacker can write (not sticky): refused as a whole.
    let rt = base.path().join("rt");
    mkdir(&rt, 0o777);
    victim_state(&rt.join("gpu-launch"));
    let victim = base.path().join("victim");
    victim_state(&victim);
    std::os::unix::fs::symlink(&victim, rt.join("evil")).unwrap();
    let watch = Watch::new(&[&victim, &rt.join("gpu-launch")]);
    let attack = Attack::start(&rt.join("gpu-launch"), &rt.join("evil"), base.path());
    let (offloaded, warned) = launches(&m, &rt, 200);
    let (swaps, _) = attack.stop();
    assert!(
        swaps > 0,
        "the attacker could not swap: the test proves nothing"
    );
    assert_eq!(offloaded, 0, "a --next was read");
    assert_eq!(warned, 200, "every launch refuses the runtime dir");
    assert_eq!(watch.events(), [], "the victim's files were touched");
    assert_untouched(&victim);
    if fs::symlink_metadata(rt.join("gpu-launch"))
        .unwrap()
        .is_symlink()
    {
        nix::fcntl::renameat2(
            nix::fcntl::AT_FDCWD,
            &rt.join("gpu-launch"),
            nix::fcntl::AT_FDCWD,
            &rt.join("evil"),
            nix::fcntl::RenameFlags::RENAME_EXCHANGE,
        )
        .unwrap();
    }
    assert_untouched(&rt.join("gpu-launch"));
}

#[test]
#[ignore = "needs root: an attacker of uid 65534 swaps XDG_RUNTIME_DIR itself; CI runs it"]
fn a_runtime_dir_swapped_for_a_symlink_by_another_user_is_never_followed() {
    // The runtime dir is the user's own (0700) and passes the check, but its
    // parent is open to the attacker, who swaps the runtime dir itself for a
    // link to another directory of the victim's that the trust rule accepts.
    crate::common::root_only();
    let m = fixture::intel_nvidia_laptop();
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let open = base.path().join("open");
    mkdir(&open, 0o777);
    let rt = open.join("rt");
    mkdir(&rt, 0o700);
    mkdir(&rt.join("gpu-launch"), 0o700);
    let victim_rt = base.path().join("victim-rt");
    mkdir(&victim_rt, 0o700);
    let victim = victim_rt.join("gpu-launch");
    victim_state(&victim);
    std::os::unix::fs::symlink(&victim_rt, open.join("evil")).unwrap();
    let watch = Watch::new(&[&victim]);
    let attack = Attack::start(&rt, &open.join("evil"), base.path());
    let (offloaded, warned) = launches(&m, &rt, 200);
    let (swaps, _) = attack.stop();
    assert!(
        swaps > 0,
        "the attacker could not swap: the test proves nothing"
    );
    eprintln!("{warned} of 200 launches found the link in place of the runtime dir");
    assert_eq!(offloaded, 0, "the victim's --next was read");
    assert_eq!(watch.events(), [], "the victim's files were touched");
    assert_untouched(&victim);
}

#[test]
#[ignore = "needs root: an attacker of uid 65534 tries to swap the state directory; CI runs it"]
fn in_a_runtime_dir_the_attacker_cannot_write_the_swap_fails_and_next_works() {
    crate::common::root_only();
    let m = fixture::intel_nvidia_laptop();
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let rt = base.path().join("rt");
    mkdir(&rt, 0o755);
    mkdir(&rt.join("gpu-launch"), 0o700);
    fs::write(rt.join("gpu-launch/next"), "nvidia\n").unwrap();
    let victim = base.path().join("victim");
    victim_state(&victim);
    std::os::unix::fs::symlink(&victim, rt.join("evil")).unwrap();
    let watch = Watch::new(&[&victim]);
    let attack = Attack::start(&rt.join("gpu-launch"), &rt.join("evil"), base.path());
    let (offloaded, warned) = launches(&m, &rt, 200);
    let (swaps, errno) = attack.stop();
    assert_eq!((swaps, errno), (0, libc::EACCES), "the attacker swapped");
    assert_eq!((offloaded, warned), (1, 0), "the one --next, used once");
    assert_eq!(watch.events(), [], "the victim's files were touched");
    assert_untouched(&victim);
}

#[test]
#[ignore = "needs root: runs gpu-launch as uid 65534 with another user's runtime dir; CI runs it"]
fn after_su_with_the_first_users_runtime_dir_a_launch_still_runs() {
    // Issue 13: every launch exited 125 ("cannot read .../gpu-launch:
    // Permission denied"), even with no state at all.
    crate::common::root_only();
    let m = fixture::intel_nvidia_laptop();
    chmod(m.root(), 0o755);
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    // The first user's runtime dir (uid 4321, 0700): nobody else can even
    // look into it. Once with state in it, once without.
    for with_state in [true, false] {
        let rt = base.path().join(format!("rt-{with_state}"));
        mkdir(&rt, 0o700);
        if with_state {
            victim_state(&rt.join("gpu-launch"));
            std::os::unix::fs::chown(rt.join("gpu-launch"), Some(4321), Some(4321)).unwrap();
        }
        std::os::unix::fs::chown(&rt, Some(4321), Some(4321)).unwrap();
        let env = Env::new(m.root())
            .set("XDG_RUNTIME_DIR", rt.to_str().unwrap())
            .config("gpu = \"default\"\n");
        chmod(env.home.path(), 0o755);
        let as_nobody = |args: &[&str]| -> Run {
            let (mut c, _bin) = env.command_as(NOBODY, args);
            c.output().unwrap().into()
        };
        let why = "owned by uid 4321, neither you (uid 65534) nor root";
        let r = as_nobody(&["env"]);
        assert_eq!(r.status, 0, "{r:?}");
        assert!(r.stderr.contains(why), "{r:?}");
        assert!(!r.stdout.contains("__NV_PRIME_RENDER_OFFLOAD=1"), "{r:?}");
        let r = as_nobody(&["--mode"]);
        assert_eq!((r.status, r.stdout.as_str()), (0, "hybrid\n"), "{r:?}");
        assert_eq!(as_nobody(&["--status"]).status, 0);
        refused(&as_nobody(&["--strict", "env"]), why);
        refused(&as_nobody(&["--next", "nvidia"]), why);
        refused(&as_nobody(&["--mode", "integrated"]), why);
        // And su to root: root does not use another user's state either.
        let r = env.run(&["env"]);
        assert_eq!(r.status, 0, "{r:?}");
        if with_state {
            assert!(r.stderr.contains("owned by uid 4321"), "{r:?}");
            assert_untouched(&rt.join("gpu-launch"));
        }
        assert!(!r.stdout.contains("__NV_PRIME_RENDER_OFFLOAD=1"), "{r:?}");
    }
}
