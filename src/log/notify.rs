//! Desktop notifications: one `org.freedesktop.Notifications.Notify` call on
//! the session bus, for the warnings and errors of a launch nobody watches.
//!
//! A minimal D-Bus client, std + libc only, because the launch must never
//! wait on it: one socket, no threads, no executor, and ONE deadline for the
//! whole exchange (connect, `AUTH EXTERNAL`, `Hello`, `Notify` and its reply),
//! enforced with a non-blocking socket and `ppoll(2)`. Whatever goes wrong (no
//! address, no bus, nobody owning the name, a bus that never answers, a
//! garbage reply) is an `Err` returned by the deadline at the latest; the
//! caller ignores it (stderr and the journal already have the message).
//!
//! The exchange (D-Bus specification, "Authentication protocol" and
//! "Message protocol"):
//!
//! ```text
//! -> \0AUTH EXTERNAL <euid as ASCII decimal, hex-encoded>\r\n
//! <- OK <server guid>\r\n
//! -> BEGIN\r\n  Hello (serial 1)  Notify (serial 2)      one write
//! <- Hello's reply, NameAcquired, ..., Notify's reply (REPLY_SERIAL 2)
//! ```
//!
//! Waiting for Notify's reply (within the deadline) rather than closing
//! right after the write: the reply says the notification server took it (or
//! the bus's error name says why not: `ServiceUnknown` when nobody owns the
//! name), and a server that looks up the sender (older GNOME Shell and
//! Cinnamon ask the bus for the sender's PID to find its app) still finds the
//! connection alive. When
//! the deadline passes after the write, the message is already in the bus:
//! it is delivered all the same, only unconfirmed (`Timeout(Stage::Reply)`).
//!
//! Bounded: an auth line longer than [`LINE_MAX`], a message header longer
//! than [`HEADER_MAX`] or more than [`READ_MAX`] bytes read in all is a
//! protocol error; no length the peer claims is ever allocated. Writes use
//! `MSG_NOSIGNAL`: a peer that hangs up never raises SIGPIPE. The socket is
//! `SOCK_CLOEXEC` and closed on return, so PROGRAM inherits nothing.
//!
//! The system calls are in `os::sys`, which keeps to libc functions the
//! binary already imports: linking this module costs a quiet launch 154
//! instructions (ld.so's relocations; zbus's blocking API cost 56,000 and
//! has no deadline on its handshake). It runs only when there is a warning
//! or an error to show, and only when `DBUS_SESSION_BUS_ADDRESS` names the
//! bus: there is no fallback to `$XDG_RUNTIME_DIR/bus` (sd-bus and libdbus
//! have one), so a session that does not export the address gets no
//! notification, as the contract says.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::time::Duration;

use crate::os::sys::{self, Ready};

/// The notification's urgency (the `urgency` hint, a byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low = 0,
    /// Warnings: a fallback, a skipped config file.
    Normal = 1,
    /// Errors: nothing started.
    Critical = 2,
}

impl Urgency {
    /// A standard icon name (freedesktop Icon Naming Specification).
    fn icon(self) -> &'static str {
        match self {
            Urgency::Low => "dialog-information",
            Urgency::Normal => "dialog-warning",
            Urgency::Critical => "dialog-error",
        }
    }
}

/// Where the exchange was when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connect,
    Auth,
    /// Sending BEGIN, Hello and Notify.
    Send,
    /// Waiting for Notify's reply: the notification was written to the bus.
    Reply,
}

/// Why no notification (or no confirmation of one).
#[derive(Debug)]
pub enum NotifyError {
    /// The address names no `unix:path=` or `unix:abstract=` entry.
    NoAddress,
    /// A system call failed.
    Io(Stage, io::Error),
    /// The deadline passed.
    Timeout(Stage),
    /// The peer closed the connection.
    Closed(Stage),
    /// The bus refused `AUTH EXTERNAL`.
    Rejected,
    /// The peer sent something that is not D-Bus, or too much of it.
    Protocol(Stage),
    /// An error reply: the bus's or the notification server's error name
    /// (`org.freedesktop.DBus.Error.ServiceUnknown` when nobody owns
    /// `org.freedesktop.Notifications`).
    Error(String),
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyError::NoAddress => f.write_str("no unix: address for the session bus"),
            NotifyError::Io(s, e) => write!(f, "session bus ({s:?}): {e}"),
            NotifyError::Timeout(s) => write!(f, "session bus did not answer in time ({s:?})"),
            NotifyError::Closed(s) => write!(f, "session bus closed the connection ({s:?})"),
            NotifyError::Rejected => f.write_str("session bus refused authentication"),
            NotifyError::Protocol(s) => write!(f, "session bus sent an invalid reply ({s:?})"),
            NotifyError::Error(name) => write!(f, "notification refused: {name}"),
        }
    }
}

impl std::error::Error for NotifyError {}

/// The longest auth line read (the bus's `OK <32 hex digits>` is 37 bytes).
pub const LINE_MAX: usize = 256;
/// The longest message header read (fixed part and header fields).
pub const HEADER_MAX: usize = 1024;
/// The most bytes read from the bus in all.
pub const READ_MAX: usize = 64 * 1024;
/// The longest body text sent, in bytes (longer text is cut on a character).
pub const BODY_MAX: usize = 1024;

/// Sends one notification to the bus at `address` (the value of
/// `DBUS_SESSION_BUS_ADDRESS`), giving up when `deadline` has passed since
/// the call. `Ok` when the notification server replied to `Notify`.
///
/// `body` is plain text: it is sent with `&`, `<` and `>` escaped (servers
/// may read the body as markup) and cut to [`BODY_MAX`] bytes.
pub fn send(
    address: &[u8],
    summary: &str,
    body: &str,
    urgency: Urgency,
    deadline: Duration,
) -> Result<(), NotifyError> {
    let end = sys::monotonic() + deadline;
    let target = parse_address(address).ok_or(NotifyError::NoAddress)?;
    let mut conn = Conn::connect(&target, end)?;

    conn.write_all(&auth_line(sys::effective_uid()), Stage::Auth)?;
    let line = conn.read_line()?;
    if !line.starts_with(b"OK ") {
        return Err(NotifyError::Rejected);
    }

    let mut out = b"BEGIN\r\n".to_vec();
    out.extend_from_slice(&hello(1));
    out.extend_from_slice(&notify(2, summary, body, urgency));
    conn.write_all(&out, Stage::Send)?;
    loop {
        let reply = conn.read_message()?;
        match reply.reply_serial {
            Some(2) if reply.kind == METHOD_RETURN => return Ok(()),
            Some(1 | 2) if reply.kind == ERROR => {
                return Err(NotifyError::Error(reply.error_name.unwrap_or_default()));
            }
            _ => {} // Hello's reply, NameAcquired, anything else: skip.
        }
    }
}

/// The first entry of a D-Bus address list (`;`-separated) that a client can
/// connect to: `unix:path=` or `unix:abstract=`, values unescaped (`%XX`).
/// `tcp:` and `nonce-tcp:` are skipped: EXTERNAL does not work over TCP (the
/// bus would want DBUS_COOKIE_SHA1 and a keyring), and no desktop session
/// bus listens there. `guid=` and other keys are ignored.
pub fn parse_address(list: &[u8]) -> Option<Target> {
    list.split(|&b| b == b';').find_map(|entry| {
        let rest = entry.strip_prefix(b"unix:")?;
        let mut found = None;
        for pair in rest.split(|&b| b == b',') {
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (key, value) = (&pair[..eq], &pair[eq + 1..]);
            match key {
                b"path" => found = Some(Target::Path(unescape(value)?)),
                b"abstract" => found = Some(Target::Abstract(unescape(value)?)),
                // Listening-only forms: not a place to connect to.
                b"tmpdir" | b"dir" | b"runtime" => return None,
                _ => {}
            }
        }
        // sun_path holds 108 bytes: a path and its NUL, or NUL and a name.
        match found? {
            Target::Path(p) | Target::Abstract(p) if p.is_empty() || p.len() > 107 => None,
            Target::Path(p) if p.contains(&0) => None,
            t => Some(t),
        }
    })
}

/// A socket to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file system path.
    Path(Vec<u8>),
    /// A Linux abstract socket name (without the leading NUL).
    Abstract(Vec<u8>),
}

/// A D-Bus address value with `%XX` escapes undone; `None` when malformed.
fn unescape(value: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `\0AUTH EXTERNAL <hex>\r\n`: the credentials byte, then the uid as ASCII
/// decimal, hex-encoded (1000 -> "31303030").
fn auth_line(uid: u32) -> Vec<u8> {
    let mut line = b"\0AUTH EXTERNAL ".to_vec();
    for d in uid.to_string().bytes() {
        line.extend_from_slice(format!("{d:02x}").as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    line
}

// ---- marshalling (little-endian, D-Bus protocol version 1) ----

const METHOD_CALL: u8 = 1;
const METHOD_RETURN: u8 = 2;
const ERROR: u8 = 3;

const FIELD_PATH: u8 = 1;
const FIELD_INTERFACE: u8 = 2;
const FIELD_MEMBER: u8 = 3;
const FIELD_ERROR_NAME: u8 = 4;
const FIELD_REPLY_SERIAL: u8 = 5;
const FIELD_DESTINATION: u8 = 6;
const FIELD_SIGNATURE: u8 = 8;

/// A message being written: every value aligned to its size, counted from
/// the start of the message (the body starts 8-aligned, so this is also the
/// alignment the body needs).
struct Writer(Vec<u8>);

impl Writer {
    fn pad(&mut self, align: usize) {
        while self.0.len() % align != 0 {
            self.0.push(0);
        }
    }
    fn byte(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.pad(4);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.pad(4);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// `s` or `o`: u32 length, bytes, NUL. Callers pass no interior NUL.
    fn string(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s);
        self.0.push(0);
    }
    /// `g`: byte length, bytes, NUL.
    fn signature(&mut self, s: &[u8]) {
        self.byte(s.len() as u8);
        self.0.extend_from_slice(s);
        self.0.push(0);
    }
    /// Writes the u32 `v` at `at` (a length placeholder).
    fn patch(&mut self, at: usize, v: u32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    /// One header field: a struct (8-aligned) of the code and a variant.
    fn field(&mut self, code: u8, sig: u8, value: &[u8]) {
        self.pad(8);
        self.byte(code);
        self.signature(&[sig]);
        if sig == b'g' {
            self.signature(value);
        } else {
            self.string(value);
        }
    }
}

/// A method call: the header (PATH, INTERFACE, MEMBER, DESTINATION and,
/// with a body, SIGNATURE), then the body `write_body` writes.
fn method_call(
    serial: u32,
    flags: u8,
    [destination, path, interface, member]: [&str; 4],
    signature: &str,
    write_body: impl FnOnce(&mut Writer),
) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256));
    w.0.extend_from_slice(&[b'l', METHOD_CALL, flags, 1]);
    w.u32(0); // body length, patched below
    w.u32(serial);
    w.u32(0); // header fields' array length, patched below
    w.field(FIELD_PATH, b'o', path.as_bytes());
    w.field(FIELD_INTERFACE, b's', interface.as_bytes());
    w.field(FIELD_MEMBER, b's', member.as_bytes());
    w.field(FIELD_DESTINATION, b's', destination.as_bytes());
    if !signature.is_empty() {
        w.field(FIELD_SIGNATURE, b'g', signature.as_bytes());
    }
    let fields = w.0.len() - 16;
    w.patch(12, fields as u32);
    w.pad(8);
    let body_start = w.0.len();
    write_body(&mut w);
    let body = w.0.len() - body_start;
    w.patch(4, body as u32);
    w.0
}

/// `org.freedesktop.DBus.Hello`, the first call on a bus connection.
fn hello(serial: u32) -> Vec<u8> {
    let bus = "org.freedesktop.DBus";
    method_call(
        serial,
        0,
        [bus, "/org/freedesktop/DBus", bus, "Hello"],
        "",
        |_| {},
    )
}

/// `org.freedesktop.Notifications.Notify(app_name s, replaces_id u,
/// app_icon s, summary s, body s, actions as, hints a{sv}, expire_timeout i)`
/// with hints `{"urgency": <byte>}` and the server's default expiry (-1).
fn notify(serial: u32, summary: &str, body: &str, urgency: Urgency) -> Vec<u8> {
    let name = "org.freedesktop.Notifications";
    let flags = 0;
    let summary = text(summary, false);
    let body = text(body, true);
    let target = [name, "/org/freedesktop/Notifications", name, "Notify"];
    method_call(serial, flags, target, "susssasa{sv}i", |w| {
        w.string(b"gpu-launch");
        w.u32(0);
        w.string(urgency.icon().as_bytes());
        w.string(summary.as_bytes());
        w.string(body.as_bytes());
        w.u32(0); // actions: empty array of strings
        w.u32(0); // hints: length, patched below
        let len_at = w.0.len() - 4;
        w.pad(8); // dict entries are 8-aligned, even the first
        let start = w.0.len();
        w.pad(8);
        w.string(b"urgency");
        w.signature(b"y");
        w.byte(urgency as u8);
        let len = w.0.len() - start;
        w.patch(len_at, len as u32);
        w.i32(-1);
    })
}

/// Text as a notification carries it: at most [`BODY_MAX`] bytes (cut on a
/// character, with "…"), NUL (invalid in a D-Bus string) as U+FFFD, and for
/// the body (`markup`) `&`, `<`, `>` escaped, since servers with
/// `body-markup` parse it; the summary is plain text by the specification.
fn text(s: &str, markup: bool) -> String {
    let mut out = String::with_capacity(s.len().min(BODY_MAX));
    for c in s.chars() {
        let piece = match c {
            '&' if markup => "&amp;",
            '<' if markup => "&lt;",
            '>' if markup => "&gt;",
            '\0' => "\u{fffd}",
            _ => {
                if out.len() + c.len_utf8() > BODY_MAX - 3 {
                    out.push('…');
                    break;
                }
                out.push(c);
                continue;
            }
        };
        if out.len() + piece.len() > BODY_MAX - 3 {
            out.push('…');
            break;
        }
        out.push_str(piece);
    }
    out
}

// ---- reading ----

/// What the client needs from a message it receives.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    kind: u8,
    reply_serial: Option<u32>,
    error_name: Option<String>,
}

/// The fixed 16 bytes that start every message.
#[derive(Debug, PartialEq, Eq)]
struct Fixed {
    big_endian: bool,
    kind: u8,
    /// The header fields' length (without the padding after them).
    fields: usize,
    /// The header's length up to the body (8-aligned).
    header: usize,
    body: usize,
}

fn parse_fixed(fixed: &[u8; 16]) -> Option<Fixed> {
    let big = match fixed[0] {
        b'l' => false,
        b'B' => true,
        _ => return None,
    };
    let kind = fixed[1];
    if !(1..=4).contains(&kind) || fixed[3] != 1 {
        return None;
    }
    let word = |at: usize| {
        let b = [fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]];
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let body = word(4) as usize;
    let fields = word(12) as usize;
    let header = (16usize.checked_add(fields)?).checked_next_multiple_of(8)?;
    Some(Fixed {
        big_endian: big,
        kind,
        fields,
        header,
        body,
    })
}

/// Finds REPLY_SERIAL and ERROR_NAME among the header fields (the bytes
/// after the fixed 16, `base` = 16 for alignment). Fields of other codes are
/// skipped when their type is one a bus sends (o, s, g, u and the other
/// fixed-size basic types); anything else is a protocol error.
fn parse_fields(fields: &[u8], big: bool) -> Option<(Option<u32>, Option<String>)> {
    let base = 16;
    let mut at = 0usize;
    let (mut serial, mut error) = (None, None);
    let align = |at: usize, a: usize| (base + at).next_multiple_of(a) - base;
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = fields.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    while at < fields.len() {
        at = align(at, 8);
        let code = *fields.get(at)?;
        let sig_len = *fields.get(at + 1)? as usize;
        if sig_len != 1 || *fields.get(at + 3)? != 0 {
            return None;
        }
        let sig = *fields.get(at + 2)?;
        at += 4;
        match sig {
            b's' | b'o' => {
                at = align(at, 4);
                let len = word(at)? as usize;
                let s = fields.get(at + 4..at.checked_add(4 + len)?)?;
                if *fields.get(at + 4 + len)? != 0 {
                    return None;
                }
                if code == FIELD_ERROR_NAME {
                    error = Some(String::from_utf8_lossy(s).into_owned());
                }
                at += 4 + len + 1;
            }
            b'g' => {
                let len = *fields.get(at)? as usize;
                fields.get(at + 1 + len)?;
                at += 1 + len + 1;
            }
            b'u' | b'i' | b'b' => {
                at = align(at, 4);
                let v = word(at)?;
                if code == FIELD_REPLY_SERIAL {
                    serial = Some(v);
                }
                at += 4;
            }
            b'y' => at += 1,
            b'n' | b'q' => at = align(at, 2) + 2,
            b'x' | b't' | b'd' => at = align(at, 8) + 8,
            _ => return None,
        }
        if at > fields.len() {
            return None;
        }
    }
    Some((serial, error))
}

/// The connection: a non-blocking socket, the deadline, a small read buffer.
struct Conn {
    fd: OwnedFd,
    /// When the time runs out, on the monotonic clock ([`sys::monotonic`]).
    end: Duration,
    buf: Box<[u8; HEADER_MAX]>,
    /// Bytes buffered: buf[start..filled].
    start: usize,
    filled: usize,
    /// Bytes read in all (bounded by READ_MAX).
    total: usize,
}

impl Conn {
    fn connect(target: &Target, end: Duration) -> Result<Conn, NotifyError> {
        let io = |e| NotifyError::Io(Stage::Connect, e);
        let fd = sys::unix_stream().map_err(io)?;
        // ENOENT, ECONNREFUSED, or EAGAIN: the bus's listen backlog is full
        // (a stalled bus). AF_UNIX never answers EINPROGRESS.
        match target {
            Target::Path(p) => sys::connect_unix(&fd, p, false),
            Target::Abstract(name) => sys::connect_unix(&fd, name, true),
        }
        .map_err(io)?;
        Ok(Conn {
            fd,
            end,
            buf: Box::new([0; HEADER_MAX]),
            start: 0,
            filled: 0,
            total: 0,
        })
    }

    fn write_all(&mut self, mut data: &[u8], stage: Stage) -> Result<(), NotifyError> {
        while !data.is_empty() {
            match sys::send_nosignal(&self.fd, data) {
                Ok(n) => data = &data[n..],
                Err(e) => match e.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::WouldBlock => wait(&self.fd, Ready::Write, self.end, stage)?,
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                        return Err(NotifyError::Closed(stage));
                    }
                    _ => return Err(NotifyError::Io(stage, e)),
                },
            }
        }
        Ok(())
    }

    /// Reads more bytes into the buffer (after compacting it), waiting until
    /// the deadline.
    fn fill(&mut self, stage: Stage) -> Result<(), NotifyError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        let room = (HEADER_MAX - self.filled).min(READ_MAX - self.total);
        if room == 0 {
            return Err(NotifyError::Protocol(stage));
        }
        loop {
            let dst = &mut self.buf[self.filled..self.filled + room];
            match sys::read_some(&self.fd, dst) {
                Ok(0) => return Err(NotifyError::Closed(stage)),
                Ok(n) => {
                    self.filled += n;
                    self.total += n;
                    return Ok(());
                }
                Err(e) => match e.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::WouldBlock => wait(&self.fd, Ready::Read, self.end, stage)?,
                    io::ErrorKind::ConnectionReset => return Err(NotifyError::Closed(stage)),
                    _ => return Err(NotifyError::Io(stage, e)),
                },
            }
        }
    }

    /// Makes `n` (at most HEADER_MAX) bytes available at buf[start..].
    fn need(&mut self, n: usize, stage: Stage) -> Result<&[u8], NotifyError> {
        while self.filled - self.start < n {
            self.fill(stage)?;
        }
        Ok(&self.buf[self.start..self.start + n])
    }

    /// The bus's auth reply line, without its `\r\n`.
    fn read_line(&mut self) -> Result<Vec<u8>, NotifyError> {
        let mut scanned = 0;
        loop {
            let have = &self.buf[self.start..self.filled];
            if let Some(i) = have[scanned..].windows(2).position(|w| w == b"\r\n") {
                let line = have[..scanned + i].to_vec();
                self.start += scanned + i + 2;
                return Ok(line);
            }
            scanned = have.len().saturating_sub(1);
            if have.len() >= LINE_MAX {
                return Err(NotifyError::Protocol(Stage::Auth));
            }
            self.fill(Stage::Auth)?;
        }
    }

    /// The next message's header; its body is read and dropped.
    fn read_message(&mut self) -> Result<Reply, NotifyError> {
        let stage = Stage::Reply;
        let bad = NotifyError::Protocol(stage);
        let fixed: [u8; 16] = self.need(16, stage)?.try_into().map_err(|_| bad)?;
        let f = parse_fixed(&fixed).ok_or(NotifyError::Protocol(stage))?;
        if f.header > HEADER_MAX || f.body > READ_MAX {
            return Err(NotifyError::Protocol(stage));
        }
        let bytes = self.need(f.header, stage)?;
        let (reply_serial, error_name) = parse_fields(&bytes[16..16 + f.fields], f.big_endian)
            .ok_or(NotifyError::Protocol(stage))?;
        self.start += f.header;
        let mut left = f.body;
        while left > 0 {
            if self.filled == self.start {
                self.fill(stage)?;
            }
            let take = left.min(self.filled - self.start);
            self.start += take;
            left -= take;
        }
        Ok(Reply {
            kind: f.kind,
            reply_serial,
            error_name,
        })
    }
}

/// Waits until `fd` is ready or the deadline passes.
fn wait(fd: &OwnedFd, ready: Ready, end: Duration, stage: Stage) -> Result<(), NotifyError> {
    loop {
        let left = end.saturating_sub(sys::monotonic());
        if left.is_zero() {
            return Err(NotifyError::Timeout(stage));
        }
        match sys::wait_ready(fd, ready, left) {
            Ok(true) => return Ok(()),
            Ok(false) => {} // the deadline, checked above
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(NotifyError::Io(stage, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Concatenates byte pieces: the expected messages below are written as
    /// the fields of the D-Bus wire format, one piece per line.
    fn cat(pieces: &[&[u8]]) -> Vec<u8> {
        pieces.concat()
    }

    #[test]
    fn hello_is_the_bus_hello_call_byte_for_byte() {
        let expected = cat(&[
            b"l\x01\x00\x01",    // little-endian, METHOD_CALL, no flags, version 1
            b"\x00\x00\x00\x00", // body length 0
            b"\x07\x00\x00\x00", // serial 7
            b"\x6d\x00\x00\x00", // header fields: 109 bytes (16..125)
            b"\x01\x01o\x00\x15\x00\x00\x00/org/freedesktop/DBus\x00", // PATH 16..46
            b"\x00\x00",         // pad to 48
            b"\x02\x01s\x00\x14\x00\x00\x00org.freedesktop.DBus\x00", // INTERFACE 48..77
            b"\x00\x00\x00",     // pad to 80
            b"\x03\x01s\x00\x05\x00\x00\x00Hello\x00", // MEMBER 80..94
            b"\x00\x00",         // pad to 96
            b"\x06\x01s\x00\x14\x00\x00\x00org.freedesktop.DBus\x00", // DESTINATION 96..125
            b"\x00\x00\x00",     // pad to 128, no body
        ]);
        assert_eq!(hello(7), expected);
    }

    #[test]
    fn notify_is_marshalled_with_the_susssasa_sv_i_body() {
        let name = b"org.freedesktop.Notifications";
        let expected = cat(&[
            b"l\x01\x00\x01",
            b"\x74\x00\x00\x00", // body length 116
            b"\x02\x00\x00\x00", // serial 2
            b"\x9b\x00\x00\x00", // header fields: 155 bytes (16..171)
            b"\x01\x01o\x00\x1e\x00\x00\x00/org/freedesktop/Notifications\x00", // 16..55
            b"\x00",             // pad to 56
            b"\x02\x01s\x00\x1d\x00\x00\x00",
            name,
            b"\x00",                                    // INTERFACE 56..94
            b"\x00\x00",                                // pad to 96
            b"\x03\x01s\x00\x06\x00\x00\x00Notify\x00", // MEMBER 96..111
            b"\x00",                                    // pad to 112
            b"\x06\x01s\x00\x1d\x00\x00\x00",
            name,
            b"\x00",                                     // DESTINATION 112..150
            b"\x00\x00",                                 // pad to 152
            b"\x08\x01g\x00\x0dsusssasa{sv}i\x00",       // SIGNATURE 152..171
            b"\x00\x00\x00\x00\x00",                     // pad to 176: body
            b"\x0a\x00\x00\x00gpu-launch\x00\x00",       // app_name    0..15, pad to 16
            b"\x00\x00\x00\x00",                         // replaces_id 16..20
            b"\x0e\x00\x00\x00dialog-warning\x00\x00",   // app_icon    20..39, pad to 40
            b"\x0a\x00\x00\x00gpu-launch\x00\x00",       // summary     40..55, pad to 56
            b"\x14\x00\x00\x00no GPU matches 'amd'\x00", // body        56..81
            b"\x00\x00\x00",                             // pad to 84
            b"\x00\x00\x00\x00",                         // actions: [] 84..88
            b"\x10\x00\x00\x00",                         // hints: 16 bytes of entries
            b"\x00\x00\x00\x00",                         // pad to 96: entries are 8-aligned
            b"\x07\x00\x00\x00urgency\x00",              // "urgency"   96..108
            b"\x01y\x00\x01",                            // <byte 1>    108..112
            b"\xff\xff\xff\xff",                         // expire -1   112..116
        ]);
        let msg = notify(2, "gpu-launch", "no GPU matches 'amd'", Urgency::Normal);
        assert_eq!(msg, expected);
    }

    #[test]
    fn an_error_notification_is_critical() {
        let msg = notify(2, "gpu-launch", "x", Urgency::Critical);
        assert_eq!(msg[2], 0, "a reply is expected");
        // The last 8 bytes of the body: the urgency variant, then -1.
        let n = msg.len();
        assert_eq!(&msg[n - 8..], b"\x01y\x00\x02\xff\xff\xff\xff");
        let icon = b"\x0c\x00\x00\x00dialog-error\x00";
        assert!(msg.windows(icon.len()).any(|w| w == icon));
    }

    #[test]
    fn the_auth_line_carries_the_uid_in_ascii_hex() {
        assert_eq!(auth_line(1000), b"\0AUTH EXTERNAL 31303030\r\n");
        assert_eq!(auth_line(0), b"\0AUTH EXTERNAL 30\r\n");
    }

    #[test]
    fn body_text_is_escaped_bounded_and_free_of_nul() {
        assert_eq!(text("a & <b> \0 c", true), "a &amp; &lt;b&gt; \u{fffd} c");
        assert_eq!(text("a & <b> \0 c", false), "a & <b> \u{fffd} c");
        let long = "é".repeat(2000);
        let t = text(&long, true);
        assert!(t.len() <= BODY_MAX, "{}", t.len());
        assert!(t.ends_with('…'));
        let amps = "&".repeat(1000);
        assert!(text(&amps, true).len() <= BODY_MAX);
    }

    #[test]
    fn addresses_take_the_first_unix_entry_unescaped() {
        let p = |s: &[u8]| parse_address(s);
        assert_eq!(
            p(b"unix:path=/run/user/1000/bus"),
            Some(Target::Path(b"/run/user/1000/bus".to_vec()))
        );
        assert_eq!(
            p(b"unix:abstract=/tmp/dbus-XyZ,guid=0123456789abcdef0123456789abcdef"),
            Some(Target::Abstract(b"/tmp/dbus-XyZ".to_vec()))
        );
        assert_eq!(
            p(b"tcp:host=localhost,port=1;unix:path=/a%20b%2cc"),
            Some(Target::Path(b"/a b,c".to_vec()))
        );
        assert_eq!(
            p(b"unix:tmpdir=/tmp;unix:guid=x,path=/b"),
            Some(Target::Path(b"/b".to_vec()))
        );
        for bad in [
            &b""[..],
            b"tcp:host=localhost,port=4444",
            b"unix:path=",
            b"unix:path=/x%zz",
            b"unix:path=/x%2",
            b"unix:path=/x%00y",
            b"unix:runtime=yes",
            b"autolaunch:",
            b"unix:nonsense",
            b"garbage",
        ] {
            assert_eq!(p(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let long = [b"unix:path=/".as_slice(), &[b'a'; 107]].concat();
        assert_eq!(p(&long), None);
        let fits = [b"unix:path=/".as_slice(), &[b'a'; 106]].concat();
        assert!(p(&fits).is_some());
    }

    #[test]
    fn replies_are_read_from_their_header_fields() {
        // A METHOD_RETURN from the bus: REPLY_SERIAL 2, DESTINATION, SENDER, SIGNATURE "u".
        let fields = cat(&[
            b"\x05\x01u\x00\x02\x00\x00\x00", // REPLY_SERIAL = 2      16..24
            b"\x06\x01s\x00\x04\x00\x00\x00:1.9\x00", // DESTINATION   24..37
            b"\x00\x00\x00",                  // pad to 40
            b"\x08\x01g\x00\x01u\x00",        // SIGNATURE "u"         40..47
        ]);
        assert_eq!(parse_fields(&fields, false), Some((Some(2), None)));
        let err = cat(&[
            b"\x04\x01s\x00\x07\x00\x00\x00a.b.Err\x00", // ERROR_NAME 16..32
            b"\x05\x01u\x00\x01\x00\x00\x00",            // REPLY_SERIAL 1
        ]);
        assert_eq!(
            parse_fields(&err, false),
            Some((Some(1), Some("a.b.Err".to_owned())))
        );
        let be = b"\x05\x01u\x00\x00\x00\x00\x02";
        assert_eq!(parse_fields(be, true), Some((Some(2), None)));
        // Truncated, lying about a string's length, an unknown variant type.
        assert_eq!(parse_fields(b"\x05\x01u\x00\x02\x00", false), None);
        assert_eq!(
            parse_fields(b"\x04\x01s\x00\xff\xff\xff\x7fab", false),
            None
        );
        assert_eq!(parse_fields(b"\x01\x01v\x00\x00\x00\x00\x00", false), None);
        assert_eq!(parse_fields(b"\x01\x02ai\x00\x00\x00\x00", false), None);
    }

    #[test]
    fn the_fixed_header_is_checked_before_any_length_is_used() {
        let ok = *b"l\x02\x01\x01\x04\x00\x00\x00\x09\x00\x00\x00\x1f\x00\x00\x00";
        let fixed = Fixed {
            big_endian: false,
            kind: METHOD_RETURN,
            fields: 31,
            header: 48,
            body: 4,
        };
        assert_eq!(parse_fixed(&ok), Some(fixed));
        let mut huge = ok;
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            parse_fixed(&huge).map(|f| f.header > HEADER_MAX),
            Some(true)
        );
        let mut wrong = ok;
        wrong[0] = b'x';
        assert_eq!(parse_fixed(&wrong), None);
        let mut version = ok;
        version[3] = 2;
        assert_eq!(parse_fixed(&version), None);
        let mut kind = ok;
        kind[1] = 9;
        assert_eq!(parse_fixed(&kind), None);
    }
}
