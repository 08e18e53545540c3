//! Processes that hold device nodes open (tests/holder/holder.c), for the
//! holders tests and the `--status` bench: each opens its paths with
//! `O_PATH` (no driver needed behind a node made with `mknod`, nothing
//! woken) and keeps them until the [`Held`] is dropped.
//!
//! Shared by the tests and `benches/status.rs` (`#[path]`-included), so it
//! depends on std alone.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The holder program, built once per process with the system C compiler.
pub fn holder_binary() -> &'static Path {
    static HOLDER: OnceLock<PathBuf> = OnceLock::new();
    HOLDER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gpu-launch-holder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("holder dir");
        // Others may run it (the tests hold nodes as another user too).
        let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755));
        let out = dir.join("holder");
        let src = super::checkout::source("tests/holder/holder.c");
        let status = Command::new("cc")
            .args(["-O1", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("the holders tests need a C compiler (cc): install gcc");
        assert!(status.success(), "cc failed to build {}", src.display());
        out
    })
}

/// Running holders: `procs` processes, each holding every path `count`
/// times. Dropping it ends them (their stdin reaches end of file).
pub struct Held {
    child: Child,
    pub pids: Vec<u32>,
}

impl Held {
    /// One process holding `paths` once each.
    pub fn new(paths: &[&Path]) -> Held {
        Held::spawn(1, 1, paths, None)
    }

    /// `procs` processes holding `paths` `count` times each, as `uid` when
    /// given (needs root).
    pub fn spawn(procs: u32, count: u32, paths: &[&Path], uid: Option<u32>) -> Held {
        let mut cmd = Command::new(holder_binary());
        cmd.arg("-p")
            .arg(procs.to_string())
            .arg("-n")
            .arg(count.to_string())
            .args(paths)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        let mut child = cmd.spawn().expect("start the holder");
        let out = child.stdout.take().expect("holder stdout");
        let mut pids = Vec::new();
        for line in BufReader::new(out).lines() {
            let line = line.expect("read the holder's pids");
            pids.push(line.trim().parse().expect("a pid"));
            if pids.len() == procs as usize {
                break;
            }
        }
        assert_eq!(
            pids.len(),
            procs as usize,
            "the holder did not start (cannot open {paths:?}?)"
        );
        pids.sort_unstable();
        Held { child, pids }
    }

    /// The pid of a single holder.
    pub fn pid(&self) -> u32 {
        self.pids[0]
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
