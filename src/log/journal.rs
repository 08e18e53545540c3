//! The systemd journal's native protocol, for the warnings and errors of a
//! launch nobody watches (a Hyprland keybind sends stderr to /dev/null).
//!
//! One datagram of `KEY=value` lines to journald's socket
//! (`/run/systemd/journal/socket`, see systemd's `sd_journal_sendv` and
//! "Native Journal Protocol"). Messages are one line, so the simple text
//! form suffices. Nothing is opened unless there is something to say, and a
//! missing or stalled journal is silence, never an error or a wait.

use crate::os::sys;

/// journald's native socket.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// syslog priorities (`PRIORITY=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Error = 3,
    Warning = 4,
}

/// The datagram for one message.
pub fn datagram(priority: Priority, message: &str) -> Vec<u8> {
    let message = super::one_line(message);
    format!(
        "PRIORITY={}\nSYSLOG_IDENTIFIER=gpu-launch\nMESSAGE={message}\n",
        priority as u8
    )
    .into_bytes()
}

/// Sends `messages` to the journal at `socket`; silent on any failure.
///
/// Non-blocking: when the socket's queue is full (journald stalled, or a
/// socket nobody reads; Linux queues `net.unix.max_dgram_qlen` datagrams,
/// 10 by default), the message is dropped (stderr had it) instead of
/// holding up the launch until someone reads.
pub fn send(socket: &str, priority: Priority, messages: &[String]) {
    let Ok(sock) = sys::unix_datagram() else {
        return;
    };
    for m in messages {
        let _ = sys::send_datagram(&sock, socket.as_bytes(), &datagram(priority, m));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_datagram_of_fields_with_the_message_on_one_line() {
        let d = datagram(Priority::Warning, "no GPU matches 'amd'\nsecond line");
        assert_eq!(
            String::from_utf8(d).unwrap(),
            "PRIORITY=4\nSYSLOG_IDENTIFIER=gpu-launch\nMESSAGE=no GPU matches 'amd' second line\n"
        );
    }
}
