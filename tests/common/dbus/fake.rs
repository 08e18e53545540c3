//! Fake buses: unix sockets that accept and then misbehave (never answer,
//! answer garbage, hang up, flood).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a fake bus does with the one connection it gets.
#[derive(Debug, Clone)]
pub enum Fake {
    /// Never calls accept(2): the kernel completes connect(2) from the
    /// backlog, and nobody ever reads or writes.
    NeverAccept,
    /// Accepts and holds the connection, reading and writing nothing.
    Silent,
    /// Reads the auth line, writes these bytes, holds the connection.
    AnswerAuth(Vec<u8>),
    /// Writes these bytes right after accepting, then closes.
    WriteAndClose(Vec<u8>),
    /// Answers auth with OK, then writes `chunk` over and over.
    Flood(Vec<u8>),
}

/// A unix socket that plays one [`Fake`] part; stops on drop.
pub struct FakeBus {
    pub address: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _listener: Arc<UnixListener>,
    _dir: tempfile::TempDir,
}

impl FakeBus {
    pub fn start(part: Fake) -> FakeBus {
        let dir = super::temp_dir("fake");
        let path = dir.path().join("bus");
        let listener = Arc::new(UnixListener::bind(&path).unwrap());
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (listener.clone(), stop.clone());
        let thread = std::thread::spawn(move || fake(&l, part, &s));
        FakeBus {
            address: format!(
                "unix:path={},guid=0123456789abcdef0123456789abcdef",
                path.display()
            ),
            stop,
            thread: Some(thread),
            _listener: listener,
            _dir: dir,
        }
    }
}

impl Drop for FakeBus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const OK_LINE: &[u8] = b"OK 0123456789abcdef0123456789abcdef\r\n";

fn fake(listener: &UnixListener, part: Fake, stop: &AtomicBool) {
    let idle = || std::thread::sleep(Duration::from_millis(2));
    if matches!(part, Fake::NeverAccept) {
        while !stop.load(Ordering::Relaxed) {
            idle();
        }
        return;
    }
    let mut stream = loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(_) => idle(),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let read_auth = |s: &mut UnixStream| {
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        while !got.ends_with(b"\r\n") && !stop.load(Ordering::Relaxed) {
            if let Ok(n @ 1..) = s.read(&mut chunk) {
                got.extend_from_slice(&chunk[..n]);
            }
        }
    };
    match part {
        Fake::NeverAccept => unreachable!(),
        Fake::Silent => {}
        Fake::AnswerAuth(bytes) => {
            read_auth(&mut stream);
            let _ = stream.write_all(&bytes);
        }
        Fake::WriteAndClose(bytes) => {
            let _ = stream.write_all(&bytes);
            return;
        }
        Fake::Flood(chunk) => {
            read_auth(&mut stream);
            let _ = stream.write_all(OK_LINE);
            stream
                .set_write_timeout(Some(Duration::from_millis(5)))
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                if stream.write_all(&chunk).is_err() {
                    idle();
                }
            }
        }
    }
    while !stop.load(Ordering::Relaxed) {
        idle();
    }
}

/// The OK line a fake bus answers auth with.
pub fn ok_line() -> Vec<u8> {
    OK_LINE.to_vec()
}
