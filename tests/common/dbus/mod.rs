//! A private session bus for tests: Debian's `dbus-daemon` on an address of
//! its own, a recording notification server on it, and fake buses that
//! misbehave. Everything is cleaned up on drop (daemon killed and reaped,
//! directory removed, server thread stopped).
//!
//! The recording server speaks D-Bus through the small codec in `wire`,
//! written apart from `src/log/notify.rs` so that a marshalling mistake
//! there is not repeated here; `dbus-daemon` validates every message on the
//! way through as well. Needs the `dbus-daemon` package (`dbus-monitor` is
//! in `dbus-bin`).

mod fake;
mod wire;

pub use fake::{Fake, FakeBus, ok_line};
use wire::{Decoder, Encoder, Message, take_message};
pub use wire::{Field, message};

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const NOTIFICATIONS: &str = "org.freedesktop.Notifications";

/// A fresh directory for a bus's socket and config, removed on drop (short:
/// a socket path holds at most 107 bytes).
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("gpu-launch-{tag}-"))
        .tempdir()
        .expect("create temp dir")
}

/// How the private bus is set up.
#[derive(Default)]
pub struct BusOptions {
    /// Listen on an abstract socket instead of a path.
    pub abstract_socket: bool,
    /// Make `org.freedesktop.Notifications` activatable, running this
    /// command (which the daemon then waits for).
    pub activate: Option<String>,
}

/// A `dbus-daemon --session`-like bus on a private address.
pub struct Bus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Bus {
    pub fn start() -> Bus {
        Bus::start_with(BusOptions::default())
    }

    pub fn start_with(options: BusOptions) -> Bus {
        let dir = temp_dir("bus");
        let listen = if options.abstract_socket {
            format!("unix:abstract={}/bus", dir.path().display())
        } else {
            format!("unix:path={}/bus", dir.path().display())
        };
        let mut services = String::new();
        if let Some(exec) = &options.activate {
            let sdir = dir.path().join("services");
            std::fs::create_dir_all(&sdir).unwrap();
            std::fs::write(
                sdir.join(format!("{NOTIFICATIONS}.service")),
                format!("[D-BUS Service]\nName={NOTIFICATIONS}\nExec={exec}\n"),
            )
            .unwrap();
            services = format!("<servicedir>{}</servicedir>", sdir.display());
        }
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{listen}</listen>
  <auth>EXTERNAL</auth>
  {services}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )
        .unwrap();
        let mut child = Command::new(crate::common::tool("dbus-daemon", "dbus-daemon"))
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("dbus-daemon prints its address");
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {line:?}");
        Bus {
            child,
            address,
            _dir: dir,
        }
    }

    /// The address, as `DBUS_SESSION_BUS_ADDRESS` would carry it.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A value in a notification's hints.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Byte(u8),
    Bool(bool),
    I32(i32),
    U32(u32),
    Str(String),
}

/// One `Notify` call as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub sender: String,
    pub app_name: String,
    pub replaces_id: u32,
    pub app_icon: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    pub hints: HashMap<String, Value>,
    pub expire_timeout: i32,
}

/// When the recording server answers `Notify`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Now,
    After(Duration),
    Never,
}

/// A notification server that owns `org.freedesktop.Notifications` on a
/// bus and records each `Notify` call; it answers with ids 1, 2, ...
pub struct Recorder {
    rx: Receiver<Notification>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Connects, takes the name and returns once the bus says it owns it.
    pub fn start(address: &str, answer: Answer) -> Recorder {
        let path = address
            .strip_prefix("unix:path=")
            .map(|p| p.split(',').next().unwrap().to_owned())
            .expect("the recorder connects to unix:path= buses");
        let mut conn = Client::connect(Path::new(&path));
        let serial = conn.call(
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "RequestName",
            "su",
            |w| {
                w.string(NOTIFICATIONS);
                w.u32(4); // DBUS_NAME_FLAG_DO_NOT_QUEUE
            },
        );
        let reply = conn.reply_to(serial);
        assert_eq!(reply.kind, 2, "RequestName failed: {:?}", reply.fields);
        assert_eq!(Decoder::body(&reply).u32(), 1, "not the primary owner");

        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || serve(conn, answer, tx, stopped));
        Recorder {
            rx,
            stop,
            thread: Some(thread),
        }
    }

    /// The next notification received within `wait`.
    pub fn next(&self, wait: Duration) -> Option<Notification> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Everything received so far, waiting `settle` for stragglers.
    pub fn drain(&self, settle: Duration) -> Vec<Notification> {
        let mut all = Vec::new();
        while let Ok(n) = self.rx.recv_timeout(settle) {
            all.push(n);
        }
        all
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: Client, answer: Answer, tx: Sender<Notification>, stop: Arc<AtomicBool>) {
    let mut id = 0;
    let mut pending: Vec<(Instant, Message)> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        while let Some(i) = pending.iter().position(|(t, _)| *t <= now) {
            let (_, m) = pending.remove(i);
            id += 1;
            conn.answer(&m, id);
        }
        let Some(m) = conn.poll_message(Duration::from_millis(5)) else {
            continue;
        };
        if m.kind != 1 || m.member() != Some("Notify") {
            continue;
        }
        if let Some(n) = parse_notify(&m) {
            let _ = tx.send(n);
        }
        match answer {
            Answer::Now => {
                id += 1;
                conn.answer(&m, id);
            }
            Answer::After(d) => pending.push((Instant::now() + d, m)),
            Answer::Never => {}
        }
    }
}

fn parse_notify(m: &Message) -> Option<Notification> {
    if m.signature() != Some("susssasa{sv}i") {
        return None;
    }
    let mut d = Decoder::body(m);
    let app_name = d.string();
    let replaces_id = d.u32();
    let app_icon = d.string();
    let summary = d.string();
    let body = d.string();
    let len = d.u32() as usize;
    d.align(4);
    let end = d.pos + len;
    let mut actions = Vec::new();
    while d.pos < end {
        actions.push(d.string());
    }
    let len = d.u32() as usize;
    d.align(8);
    let end = d.pos + len;
    let mut hints = HashMap::new();
    while d.pos < end {
        d.align(8);
        let key = d.string();
        let sig = d.signature();
        let value = match sig.as_str() {
            "y" => Value::Byte(d.byte()),
            "b" => Value::Bool(d.u32() != 0),
            "i" => Value::I32(d.u32() as i32),
            "u" => Value::U32(d.u32()),
            "s" => Value::Str(d.string()),
            _ => return None,
        };
        hints.insert(key, value);
    }
    let expire_timeout = d.u32() as i32;
    Some(Notification {
        sender: m.sender().unwrap_or_default().to_owned(),
        app_name,
        replaces_id,
        app_icon,
        summary,
        body,
        actions,
        hints,
        expire_timeout,
    })
}

/// A blocking bus client for the recorder.
struct Client {
    stream: UnixStream,
    buf: Vec<u8>,
    serial: u32,
}

impl Client {
    fn connect(path: &Path) -> Client {
        let mut stream = UnixStream::connect(path).expect("connect to the private bus");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        // SAFETY: geteuid cannot fail.
        let uid = unsafe { libc::geteuid() };
        let hex: String = uid
            .to_string()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        stream
            .write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())
            .unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while !line.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).unwrap();
            line.push(byte[0]);
        }
        assert!(
            line.starts_with(b"OK "),
            "auth: {:?}",
            String::from_utf8_lossy(&line)
        );
        stream.write_all(b"BEGIN\r\n").unwrap();
        let mut c = Client {
            stream,
            buf: Vec::new(),
            serial: 0,
        };
        let s = c.call(
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "Hello",
            "",
            |_| {},
        );
        c.reply_to(s);
        c
    }

    fn call(
        &mut self,
        path: &str,
        iface: &str,
        member: &str,
        sig: &str,
        body: impl FnOnce(&mut Encoder),
    ) -> u32 {
        self.serial += 1;
        let mut fields = vec![
            Field::Str(1, 'o', path),
            Field::Str(2, 's', iface),
            Field::Str(3, 's', member),
            Field::Str(6, 's', "org.freedesktop.DBus"),
        ];
        if !sig.is_empty() {
            fields.push(Field::Str(8, 'g', sig));
        }
        let msg = message(1, 0, self.serial, &fields, body);
        self.stream.write_all(&msg).unwrap();
        self.serial
    }

    /// Answers a `Notify` call with the id `id`.
    fn answer(&mut self, call: &Message, id: u32) {
        self.serial += 1;
        let sender = call.sender().unwrap_or_default().to_owned();
        let fields = [
            Field::U32(5, call.serial),
            Field::Str(6, 's', &sender),
            Field::Str(8, 'g', "u"),
        ];
        let msg = message(2, 0, self.serial, &fields, |e| e.u32(id));
        let _ = self.stream.write_all(&msg);
    }

    fn reply_to(&mut self, serial: u32) -> Message {
        loop {
            let m = self
                .poll_message(Duration::from_secs(5))
                .expect("reply from the bus");
            if m.reply_serial == Some(serial) {
                return m;
            }
        }
    }

    fn poll_message(&mut self, wait: Duration) -> Option<Message> {
        if let Some(m) = take_message(&mut self.buf) {
            return Some(m);
        }
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                take_message(&mut self.buf)
            }
        }
    }
}
