//! Writing a warning or an error to a stderr that cannot take it (closed, a
//! pipe whose reader is gone, a full pipe nobody reads, a socket whose peer
//! stopped reading) never kills, stops or holds up the launch, and PROGRAM
//! starts with the signal mask, dispositions and pending signals the caller
//! gave, whatever the caller did with SIGPIPE (default, blocked, ignored,
//! blocked with one already pending). The C probe records what it got.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Env, Probe, bin_dir, fixture, path_with};

/// What the caller does with SIGPIPE before it runs gpu-launch.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Default,
    Blocked,
    Ignored,
    /// Blocked, and one SIGPIPE already pending: it must stay pending.
    BlockedPending,
}

/// What stderr is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stderr {
    Closed,
    PipeWithoutReader,
    FullPipe,
    SocketNotRead,
}

/// A pipe (read end, write end).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2");
    // SAFETY: two fresh descriptors nobody else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn set_nonblocking(fd: &OwnedFd, on: bool) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        let flags = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags);
    }
}

/// The stderr to give gpu-launch, and what must stay open meanwhile.
fn stderr(kind: Stderr) -> (Stdio, Vec<Box<dyn std::any::Any>>) {
    match kind {
        // Closed in pre_exec (below); /dev/null until then.
        Stderr::Closed => (Stdio::null(), Vec::new()),
        Stderr::PipeWithoutReader => {
            let (r, w) = pipe();
            drop(r);
            (Stdio::from(w), Vec::new())
        }
        Stderr::FullPipe => {
            let (r, w) = pipe();
            set_nonblocking(&w, true);
            let mut file = File::from(w);
            let chunk = [b'x'; 4096];
            while file.write(&chunk).is_ok() {}
            let mut small = [b'x'; 1];
            while file.write(&small[..]).is_ok() {
                small[0] = b'y';
            }
            // Blocking again, as a caller's pipe is: a write would wait for
            // ever, since nobody reads.
            let w = OwnedFd::from(file);
            set_nonblocking(&w, false);
            (Stdio::from(w), vec![Box::new(r)])
        }
        Stderr::SocketNotRead => {
            let (ours, theirs) = UnixStream::pair().unwrap();
            theirs.shutdown(std::net::Shutdown::Read).unwrap();
            (Stdio::from(OwnedFd::from(ours)), vec![Box::new(theirs)])
        }
    }
}

/// Runs gpu-launch with `args` (the probe is `prog`) as `caller` would,
/// with `kind` as stderr; the exit status and what the probe recorded.
fn run(caller: Caller, kind: Stderr, args: &[&str]) -> (std::process::ExitStatus, Option<Probe>) {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let journal = tempfile::tempdir().unwrap();
    let out = journal.path().join("probe.out");
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path())).set(
        "GPU_LAUNCH_JOURNAL_SOCKET",
        journal.path().join("none").to_str().unwrap(),
    );
    let (err, _keep) = stderr(kind);
    let mut cmd = env.command(args);
    cmd.env("PROBE_OUT", &out).stdout(Stdio::null()).stderr(err);
    // SAFETY: only async-signal-safe calls (signal, sigprocmask, raise,
    // close) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGPIPE);
            let (disposition, how) = match caller {
                Caller::Default => (libc::SIG_DFL, libc::SIG_UNBLOCK),
                Caller::Ignored => (libc::SIG_IGN, libc::SIG_UNBLOCK),
                Caller::Blocked | Caller::BlockedPending => (libc::SIG_DFL, libc::SIG_BLOCK),
            };
            libc::signal(libc::SIGPIPE, disposition);
            libc::sigprocmask(how, &set, std::ptr::null_mut());
            if caller == Caller::BlockedPending {
                libc::raise(libc::SIGPIPE);
            }
            if kind == Stderr::Closed {
                libc::close(2);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{caller:?}, {kind:?}, {args:?}: gpu-launch hangs on its stderr");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status, out.exists().then(|| Probe::read(&out)))
}

const KINDS: [Stderr; 4] = [
    Stderr::Closed,
    Stderr::PipeWithoutReader,
    Stderr::FullPipe,
    Stderr::SocketNotRead,
];

#[test]
fn a_warning_to_a_broken_stderr_leaves_program_the_callers_signals() {
    let pipe = libc::SIGPIPE;
    for caller in [
        Caller::Default,
        Caller::Blocked,
        Caller::Ignored,
        Caller::BlockedPending,
    ] {
        for kind in KINDS {
            // `--gpu amd`: no AMD GPU, so a warning before the exec.
            let (status, probe) = run(caller, kind, &["--gpu", "amd", "prog"]);
            let what = format!("{caller:?}, {kind:?}");
            assert_eq!(status.signal(), None, "{what}: killed by a signal");
            assert!(status.success(), "{what}: {status:?}");
            let p = probe.unwrap_or_else(|| panic!("{what}: PROGRAM did not run"));
            let blocked = matches!(caller, Caller::Blocked | Caller::BlockedPending);
            assert_eq!(
                p.blocked.contains(&pipe),
                blocked,
                "{what}: mask {:?}",
                p.blocked
            );
            assert_eq!(
                p.ignored.contains(&pipe),
                caller == Caller::Ignored,
                "{what}: ignored {:?}",
                p.ignored
            );
            assert_eq!(
                p.pending.contains(&pipe),
                caller == Caller::BlockedPending,
                "{what}: pending {:?}",
                p.pending
            );
            assert!(
                p.pending.iter().all(|s| *s == pipe),
                "{what}: {:?}",
                p.pending
            );
        }
    }
}

#[test]
fn an_error_to_a_broken_stderr_still_exits_with_its_status() {
    for kind in KINDS {
        let (status, probe) = run(Caller::Default, kind, &["no-such-program"]);
        assert_eq!(status.signal(), None, "{kind:?}: killed by a signal");
        assert_eq!(status.code(), Some(127), "{kind:?}");
        assert!(probe.is_none());
    }
}
