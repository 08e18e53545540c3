//! Buses that cannot deliver: a socket nobody accepts on, one that accepts
//! and never answers, garbage, a flood, a hang-up, no usable address. Each
//! is given up on by the deadline (or at once), and none kills the process.

use std::time::Duration;

use gpu_launch::log::notify::{NotifyError, Stage, Urgency};

use crate::common::dbus::{Fake, FakeBus, Field, message, ok_line};
use crate::notify::{DEADLINE, HELD, SLACK, timed, timed_within, within_bound};

#[test]
fn a_socket_nobody_accepts_on_is_given_up_on_at_the_deadline() {
    let fake = FakeBus::start(Fake::NeverAccept);
    let (r, elapsed) = timed(&fake.address, "x", Urgency::Normal);
    assert!(matches!(r, Err(NotifyError::Timeout(Stage::Auth))), "{r:?}");
    within_bound(elapsed);
}

#[test]
fn a_bus_that_accepts_and_never_answers_is_given_up_on_at_the_deadline() {
    let fake = FakeBus::start(Fake::Silent);
    let (r, elapsed) = timed(&fake.address, "x", Urgency::Normal);
    assert!(matches!(r, Err(NotifyError::Timeout(Stage::Auth))), "{r:?}");
    assert!(elapsed >= DEADLINE, "took {elapsed:?}");
    within_bound(elapsed);
}

/// A fixed message header: kind, body length, serial, fields length.
fn fixed(kind: u8, body: u32, fields: u32) -> Vec<u8> {
    let mut h = vec![b'l', kind, 0, 1];
    h.extend(body.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    h.extend(fields.to_le_bytes());
    h
}

#[test]
fn garbage_from_the_bus_is_refused_quickly_and_without_allocating_its_claims() {
    let after_ok = |tail: Vec<u8>| [ok_line(), tail].concat();
    type Expect = fn(&NotifyError) -> bool;
    let cases: Vec<(&str, Fake, Expect)> = vec![
        (
            "rejected",
            Fake::AnswerAuth(b"REJECTED EXTERNAL\r\n".to_vec()),
            |e| matches!(e, NotifyError::Rejected),
        ),
        ("auth error", Fake::AnswerAuth(b"ERROR\r\n".to_vec()), |e| {
            matches!(e, NotifyError::Rejected)
        }),
        (
            "endless auth line",
            Fake::AnswerAuth(vec![b'O'; 100_000]),
            |e| matches!(e, NotifyError::Protocol(Stage::Auth)),
        ),
        (
            "not a message",
            Fake::AnswerAuth(after_ok(b"HTTP/1.1 400 Bad\r\n\r\n".to_vec())),
            |e| matches!(e, NotifyError::Protocol(Stage::Reply)),
        ),
        (
            "4 GiB header",
            Fake::AnswerAuth(after_ok(fixed(2, 0, 0xffff_fff0))),
            |e| matches!(e, NotifyError::Protocol(Stage::Reply)),
        ),
        (
            "2 GiB body",
            Fake::AnswerAuth(after_ok(fixed(2, 0x7fff_ffff, 0))),
            |e| matches!(e, NotifyError::Protocol(Stage::Reply)),
        ),
        (
            "header cut short",
            Fake::AnswerAuth(after_ok(fixed(2, 0, 200))),
            |e| matches!(e, NotifyError::Timeout(Stage::Reply)),
        ),
        (
            "bad header field",
            Fake::AnswerAuth(after_ok(
                [fixed(2, 0, 8), b"\x05\x01v\x00\x00\x00\x00\x00".to_vec()].concat(),
            )),
            |e| matches!(e, NotifyError::Protocol(Stage::Reply)),
        ),
        ("hang-up after OK", Fake::WriteAndClose(ok_line()), |e| {
            matches!(e, NotifyError::Closed(_))
        }),
    ];
    // HELD, so that a loaded machine still gets past auth: each refusal
    // must come without waiting for the deadline.
    for (what, part, expected) in cases {
        let fake = FakeBus::start(part);
        let (r, elapsed) = timed_within(&fake.address, "x", Urgency::Normal, HELD);
        match &r {
            Err(e) if expected(e) => {
                let bound = match e {
                    NotifyError::Timeout(_) => HELD + SLACK,
                    _ => HELD / 2,
                };
                assert!(elapsed < bound, "{what}: took {elapsed:?}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_bus_flooding_messages_is_cut_off() {
    // Valid signals, none of them the reply, as fast as the socket takes them.
    let signal = message(
        4,
        0,
        9,
        &[
            Field::Str(1, 'o', "/x"),
            Field::Str(2, 's', "x.y"),
            Field::Str(3, 's', "Z"),
        ],
        |_| {},
    );
    let fake = FakeBus::start(Fake::Flood(signal.repeat(64)));
    let (r, elapsed) = timed(&fake.address, "x", Urgency::Normal);
    assert!(
        matches!(
            r,
            Err(NotifyError::Protocol(Stage::Reply) | NotifyError::Timeout(_))
        ),
        "{r:?}"
    );
    within_bound(elapsed);
}

#[test]
fn no_usable_address_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-socket");
    std::fs::write(&file, "").unwrap();
    for address in [
        String::new(),
        "garbage".into(),
        "tcp:host=127.0.0.1,port=1".into(),
        "unix:path=/nonexistent/gpu-launch-test/bus".into(),
        format!("unix:path={}", file.display()),
        "unix:abstract=/gpu-launch-test/nobody-listens-here".into(),
    ] {
        let (r, elapsed) = timed(&address, "x", Urgency::Normal);
        assert!(
            matches!(
                r,
                Err(NotifyError::NoAddress | NotifyError::Io(Stage::Connect, _))
            ),
            "{address}: {r:?}"
        );
        assert!(
            elapsed < Duration::from_millis(5),
            "{address}: took {elapsed:?}"
        );
    }
}
