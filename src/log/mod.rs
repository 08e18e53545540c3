//! Logging: quiet by default, and at no cost when there is nothing to say.
//!
//! - `-v` or `GPU_LAUNCH_LOG=<filter>` installs a stderr subscriber up front,
//!   so the `tracing::debug!` lines of detection and selection show.
//! - Warnings (a fallback, a note of the plan) and errors always reach the
//!   user: on stderr, and, when stderr is not a terminal (a Hyprland keybind
//!   sends it to /dev/null, a desktop file to nowhere anyone reads), also in
//!   the systemd journal ([`journal`]). Nothing is set up for this unless
//!   there is something to say.

pub mod journal;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

use journal::Priority;

static VERBOSE: AtomicBool = AtomicBool::new(false);

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
            .with_writer(std::io::stderr)
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
    let mut stderr = std::io::stderr().lock();
    for n in notes {
        let _ = writeln!(stderr, "gpu-launch: warning: {}", one_line(n));
    }
    drop(stderr);
    if !std::io::stderr().is_terminal() {
        to_journal(notes, Priority::Warning);
    }
}

/// A remark for the person at the terminal (`--print-env`, desktop-file
/// operations): `gpu-launch: note: <message>` on stderr only.
pub fn note(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "gpu-launch: note: {}",
        one_line(message)
    );
}

/// Reports an error: the one line `gpu-launch: <message>` on stderr, and,
/// when stderr is not a terminal (a keybind, a desktop file), the journal.
pub fn error(message: &str) {
    let mut line = format!("gpu-launch: {}", one_line(message));
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
    if !VERBOSE.load(Ordering::Relaxed) && !std::io::stderr().is_terminal() {
        to_journal(&[message.to_owned()], Priority::Error);
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
