//! Warnings and errors reach the journal when stderr is not a terminal (a
//! keybind sends it to /dev/null), and stay on the terminal when it is one.
//! The journal here is a datagram socket of the test's own, named through
//! `GPU_LAUNCH_JOURNAL_SOCKET`.
#![allow(unsafe_code)]

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::common::{Env, fixture};

fn journal() -> (tempfile::TempDir, UnixDatagram, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("socket");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    (dir, sock, path.to_str().unwrap().to_owned())
}

/// The datagrams sent to the test's journal socket since the last call.
pub(crate) fn received(sock: &UnixDatagram) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = sock.recv(&mut buf) {
        out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    out
}

#[test]
fn fallbacks_and_errors_go_to_the_journal_without_a_terminal() {
    let m = fixture::intel_nvidia_laptop();
    let (_d, sock, path) = journal();
    let env = Env::new(m.root()).set("GPU_LAUNCH_JOURNAL_SOCKET", &path);
    // Stderr is /dev/null, as under a Hyprland bind.
    let status = env
        .command(&["--gpu", "amd", "true"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let got = received(&sock);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(
            "PRIORITY=4\nSYSLOG_IDENTIFIER=gpu-launch\nMESSAGE=no GPU matches 'amd' (from --gpu)"
        ),
        "{got:?}"
    );

    let status = env
        .command(&["no-such-program-xyz"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(127));
    let got = received(&sock);
    assert_eq!(
        got,
        [
            "PRIORITY=3\nSYSLOG_IDENTIFIER=gpu-launch\nMESSAGE=no-such-program-xyz: command not found\n"
        ]
    );

    // A clean launch says nothing anywhere.
    let status = env
        .command(&["true"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(received(&sock).is_empty());
}

#[test]
fn a_terminal_gets_the_message_and_the_journal_nothing() {
    let m = fixture::intel_nvidia_laptop();
    let (_d, sock, path) = journal();
    let env = Env::new(m.root()).set("GPU_LAUNCH_JOURNAL_SOCKET", &path);
    // A pseudo-terminal as stderr.
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two descriptors; no other pointers are passed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: slave is a fresh descriptor owned by nobody else.
    let slave_file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(slave) };
    let status = env
        .command(&["--gpu", "amd", "true"])
        .stderr(slave_file)
        .status()
        .unwrap();
    assert!(status.success());
    // SAFETY: as above, for the master side.
    let mut master_file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(master) };
    let mut buf = [0u8; 4096];
    let n = std::io::Read::read(&mut master_file, &mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.contains("gpu-launch: warning: no GPU matches 'amd'"),
        "{text:?}"
    );
    assert!(
        received(&sock).is_empty(),
        "nothing to the journal with a terminal"
    );
}
