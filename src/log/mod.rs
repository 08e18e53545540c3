//! Logging: quiet by default, and at no cost when there is nothing to say.
//!
//! - `-v` or `GPU_LAUNCH_LOG=<filter>` installs a stderr subscriber up front,
//!   so the `tracing::debug!` lines of detection and selection show.
//! - Warnings (a fallback, a note of the plan) and errors always reach the
//!   user: on stderr, and, when stderr is not a terminal (a Hyprland keybind
//!   sends it to /dev/null, a desktop file to nowhere anyone reads), also in
//!   the systemd journal ([`journal`]) and, after it, as a desktop
//!   notification ([`notify`]; the config key `notify` says which). Nothing
//!   is set up for this unless there is something to say: a quiet launch
//!   runs no D-Bus code at all.
//! - Writing to stderr never kills, stops or holds up the launch: a closed
//!   stderr, a pipe nobody reads or whose reader is gone, drops the line
//!   (the journal has it), and SIGPIPE is never raised
//!   (`os::sys::write_stderr`).

pub mod journal;
pub mod notify;

use std::os::fd::AsFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

use journal::Priority;
use notify::Urgency;

use crate::os::sys;

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Which messages become desktop notifications (the config key `notify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Notify {
    /// Warnings and errors (the default).
    #[default]
    Warnings = 0,
    /// Errors only: nothing started.
    Errors = 1,
    Never = 2,
}

impl Notify {
    /// The config values, in order.
    pub const NAMES: [&'static str; 3] = ["warnings", "errors", "never"];

    pub fn parse(text: &str) -> Option<Notify> {
        match text {
            "warnings" => Some(Notify::Warnings),
            "errors" => Some(Notify::Errors),
            "never" => Some(Notify::Never),
            _ => None,
        }
    }
}

/// The whole time desktop notifications may take in one run, from the
/// first (a warning and then an error share it). Measured: 0.3 ms when a
/// notification server answers; every failure is given up on by then.
pub const NOTIFY_DEADLINE: Duration = Duration::from_millis(25);

/// [`NOTIFY_DEADLINE`], or `GPU_LAUNCH_NOTIFY_DEADLINE_MS` (a testing hook,
/// 1 to 10,000 ms: a test that a notification arrives must not depend on a
/// loaded machine scheduling the bus within 25 ms). Read only when there is
/// something to notify.
fn notify_deadline() -> Duration {
    std::env::var_os("GPU_LAUNCH_NOTIFY_DEADLINE_MS")
        .and_then(|v| v.to_str()?.parse::<u64>().ok())
        .filter(|ms| (1..=10_000).contains(ms))
        .map_or(NOTIFY_DEADLINE, Duration::from_millis)
}

static NOTIFY: AtomicU8 = AtomicU8::new(Notify::Warnings as u8);
/// `DBUS_SESSION_BUS_ADDRESS`, set once by [`set_session_bus`].
static BUS: OnceLock<Box<[u8]>> = OnceLock::new();
/// When the notification time runs out (on the monotonic clock,
/// [`sys::monotonic`]), set by the first notification.
static NOTIFY_END: OnceLock<Duration> = OnceLock::new();

/// The session bus that desktop notifications go to: the value of
/// `DBUS_SESSION_BUS_ADDRESS` (no fallback: unset means no notification).
pub fn set_session_bus(address: Option<&[u8]>) {
    if let Some(a) = address {
        let _ = BUS.set(a.into());
    }
}

/// What the config's `notify` says (the default until a valid config is
/// read, and when none is).
pub fn set_notify(level: Notify) {
    NOTIFY.store(level as u8, Ordering::Relaxed);
}

/// Where journal messages go instead of journald's socket (testing hook).
pub fn set_journal_socket(path: Option<&[u8]>) {
    if let Some(p) = path.and_then(|p| std::str::from_utf8(p).ok()) {
        let _ = JOURNAL.set(p.to_owned());
    }
}

/// Installs the stderr subscriber when logging is asked for. `filter` is the
/// value of `GPU_LAUNCH_LOG`.
pub fn init(verbose: bool, filter: Option<&[u8]>) {
    if !verbose && filter.is_none() {
        return;
    }
    let text = filter.and_then(|f| std::str::from_utf8(f).ok());
    let (targets, bad) = match text.map(str::parse::<Targets>) {
        Some(Ok(t)) if !verbose => (t, None),
        Some(Err(_)) => (debug(), text),
        _ => (debug(), None),
    };
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(|| Stderr)
            .with_target(false)
            .without_time()
            .with_filter(targets),
    );
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        VERBOSE.store(true, Ordering::Relaxed);
    }
    if let Some(bad) = bad {
        tracing::warn!("GPU_LAUNCH_LOG={bad:?} is not a tracing filter; using debug");
    }
}

/// The `-v` log's writer: each line through [`sys::write_stderr`].
struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sys::write_stderr(buf);
        Ok(buf.len().min(sys::STDERR_WRITE_MAX))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn debug() -> Targets {
    Targets::new().with_default(tracing::Level::DEBUG)
}

/// Sends warnings where the user will see them (see the module comment).
pub fn warn(notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    if VERBOSE.load(Ordering::Relaxed) {
        for n in notes {
            tracing::warn!("{n}");
        }
        return;
    }
    for n in notes {
        to_stderr("gpu-launch: warning: ", n);
    }
    if !stderr_is_terminal() {
        to_journal(notes, Priority::Warning);
        if NOTIFY.load(Ordering::Relaxed) == Notify::Warnings as u8 {
            let lines: Vec<std::borrow::Cow<'_, str>> = notes.iter().map(|n| one_line(n)).collect();
            desktop_notification(&lines.join("\n"), Urgency::Normal);
        }
    }
}

/// Whether stderr is a terminal (someone watches it): `isatty(2)`, through
/// [`sys::is_terminal`].
fn stderr_is_terminal() -> bool {
    sys::is_terminal(std::io::stderr().as_fd())
}

/// A warning for the person who asked (`--list --json`, whose stdout has
/// no place for it): `gpu-launch: warning: <message>` on stderr only.
pub fn warning_here(message: &str) {
    to_stderr("gpu-launch: warning: ", message);
}

/// A remark for the person at the terminal (`--print-env`, desktop-file
/// operations): `gpu-launch: note: <message>` on stderr only.
pub fn note(message: &str) {
    to_stderr("gpu-launch: note: ", message);
}

/// Reports an error: the one line `gpu-launch: <message>` on stderr, and,
/// when stderr is not a terminal (a keybind, a desktop file), the journal.
pub fn error(message: &str) {
    to_stderr("gpu-launch: ", message);
    if !VERBOSE.load(Ordering::Relaxed) && !stderr_is_terminal() {
        to_journal(&[message.to_owned()], Priority::Error);
        if NOTIFY.load(Ordering::Relaxed) != Notify::Never as u8 {
            desktop_notification(&one_line(message), Urgency::Critical);
        }
    }
}

/// `prefix` and `message` as one line on stderr, if stderr takes it now
/// (see the module comment); cut to what one write may carry.
fn to_stderr(prefix: &str, message: &str) {
    let mut line = String::with_capacity(prefix.len() + message.len() + 1);
    line.push_str(prefix);
    line.push_str(&one_line(message));
    if line.len() >= sys::STDERR_WRITE_MAX {
        let mut end = sys::STDERR_WRITE_MAX - 4;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push('…');
    }
    line.push('\n');
    sys::write_stderr(line.as_bytes());
}

/// Shows `body` as a desktop notification (summary `gpu-launch`) on the
/// session bus, within what is left of [`NOTIFY_DEADLINE`]; silent on any
/// failure (stderr and the journal have the message).
fn desktop_notification(body: &str, urgency: Urgency) {
    let Some(address) = BUS.get() else {
        return;
    };
    let end = *NOTIFY_END.get_or_init(|| sys::monotonic() + notify_deadline());
    let left = end.saturating_sub(sys::monotonic());
    if left.is_zero() {
        return;
    }
    if let Err(e) = notify::send(address, "gpu-launch", body, urgency, left) {
        tracing::debug!("no desktop notification: {e}");
    }
}

/// `message` as one line of plain text: line breaks and tabs become blanks,
/// other control characters (a terminal escape in a file name, a NUL from a
/// damaged sysfs attribute) `?`. Messages quote what the user or the machine
/// gave, and each must stay the one line the contract promises.
pub fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if !message.chars().any(char::is_control) {
        return message.into();
    }
    message
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Where journal messages go: journald's socket, or `GPU_LAUNCH_JOURNAL_SOCKET`
/// (a testing hook), set once by [`init`].
static JOURNAL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Writes messages to the systemd journal; silent when there is none.
fn to_journal(messages: &[String], priority: Priority) {
    let socket = JOURNAL.get().map_or(journal::SOCKET, String::as_str);
    journal::send(socket, priority, messages);
}
