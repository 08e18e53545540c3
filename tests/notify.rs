//! Desktop notifications (`log::notify`, called in-process) against a real
//! `dbus-daemon` (a private bus per test), a recording notification server
//! and `dbus-monitor`: what arrives, and what the bus does when nobody, or a
//! slow server, owns the name. `notify_bounds` has the fake buses that never
//! answer or answer garbage; `notify_launch` runs gpu-launch itself.
//!
//! Timing: a call that cannot deliver gets DEADLINE (gpu-launch's own) and
//! must return by DEADLINE + SLACK. SLACK is generous because the tests run
//! in parallel on small CI machines. A call that must deliver gets ROOMY
//! instead, so a loaded machine cannot turn its reply into a timeout, and one
//! that must get past auth and then wait gets HELD.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::dbus::{Answer, Bus, BusOptions, Recorder, Value};
use gpu_launch::log::NOTIFY_DEADLINE;
use gpu_launch::log::notify::{NotifyError, Stage, Urgency, send};

pub(crate) const DEADLINE: Duration = NOTIFY_DEADLINE;
/// What a loaded machine may add to a deadline before the caller runs
/// again: "gives up at the deadline" is `>= DEADLINE` and far below a hang,
/// not a timing (docs/PERFORMANCE.md has the measured figures).
pub(crate) const SLACK: Duration = Duration::from_secs(1);
pub(crate) const ROOMY: Duration = Duration::from_secs(5);
/// For a call that must get past connect and auth and then wait.
pub(crate) const HELD: Duration = Duration::from_secs(1);
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// `send` with the standard summary and DEADLINE, timed.
pub(crate) fn timed(
    address: &str,
    body: &str,
    urgency: Urgency,
) -> (Result<(), NotifyError>, Duration) {
    timed_within(address, body, urgency, DEADLINE)
}

/// `send` with the standard summary and `deadline`, timed.
pub(crate) fn timed_within(
    address: &str,
    body: &str,
    urgency: Urgency,
    deadline: Duration,
) -> (Result<(), NotifyError>, Duration) {
    let t = Instant::now();
    let r = send(address.as_bytes(), "gpu-launch", body, urgency, deadline);
    (r, t.elapsed())
}

/// `send` to a bus that answers: ROOMY, and it must be `Ok`.
pub(crate) fn deliver(address: &str, body: &str, urgency: Urgency) -> Duration {
    let (r, elapsed) = timed_within(address, body, urgency, ROOMY);
    assert!(r.is_ok(), "{r:?}");
    elapsed
}

pub(crate) fn within_bound(elapsed: Duration) {
    assert!(elapsed < DEADLINE + SLACK, "took {elapsed:?}");
}

#[test]
fn a_warning_reaches_the_notification_server_with_every_field() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Now);
    let elapsed = deliver(
        bus.address(),
        "no GPU matches 'amd'; using the default GPU",
        Urgency::Normal,
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    let n = server.next(WAIT).expect("the server got the notification");
    assert!(n.sender.starts_with(":1."), "{}", n.sender);
    assert_eq!(n.app_name, "gpu-launch");
    assert_eq!(n.replaces_id, 0);
    assert_eq!(n.app_icon, "dialog-warning");
    assert_eq!(n.summary, "gpu-launch");
    assert_eq!(n.body, "no GPU matches 'amd'; using the default GPU");
    assert!(n.actions.is_empty());
    assert_eq!(n.hints.len(), 1);
    assert_eq!(n.hints.get("urgency"), Some(&Value::Byte(1)));
    assert_eq!(n.expire_timeout, -1);
    assert!(
        server.drain(Duration::from_millis(50)).is_empty(),
        "sent once"
    );
}

#[test]
fn an_error_is_critical() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Now);
    deliver(
        bus.address(),
        "cannot run 'blendr': not found in PATH",
        Urgency::Critical,
    );
    let n = server.next(WAIT).unwrap();
    assert_eq!(n.hints.get("urgency"), Some(&Value::Byte(2)));
    assert_eq!(n.app_icon, "dialog-error");
}

#[test]
fn the_body_is_escaped_as_markup_and_unicode_survives() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Now);
    deliver(bus.address(), "Größe <b> & \0 \"q\"", Urgency::Normal);
    let n = server.next(WAIT).unwrap();
    assert_eq!(n.body, "Größe &lt;b&gt; &amp; \u{fffd} \"q\"");
}

#[test]
fn a_long_body_is_cut_and_still_delivered() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Now);
    deliver(bus.address(), &"ü".repeat(5000), Urgency::Normal);
    let n = server.next(WAIT).unwrap();
    assert!(
        n.body.len() <= 1024 && n.body.ends_with('…'),
        "{}",
        n.body.len()
    );
}

#[test]
fn an_abstract_socket_address_works() {
    let bus = Bus::start_with(BusOptions {
        abstract_socket: true,
        ..BusOptions::default()
    });
    assert!(
        bus.address().starts_with("unix:abstract="),
        "{}",
        bus.address()
    );
    // The recorder needs a path; dbus-monitor, which speaks any address,
    // observes instead.
    let mut monitor = Monitor::start(bus.address());
    let (r, _) = timed_within(
        bus.address(),
        "over an abstract socket",
        Urgency::Normal,
        ROOMY,
    );
    // Nobody owns the name on this bus: the bus itself answers.
    assert!(
        matches!(&r, Err(NotifyError::Error(e)) if e.ends_with("ServiceUnknown")),
        "{r:?}"
    );
    let seen = monitor.call();
    assert!(
        seen.contains(r#"string "over an abstract socket""#),
        "{seen}"
    );
}

/// `dbus-monitor` (Debian's dbus-bin), an independent decoder of what was
/// sent, watching the notifications interface on a bus.
struct Monitor {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Monitor {
    fn start(address: &str) -> Monitor {
        let mut child = Command::new(crate::common::tool("dbus-monitor", "dbus-bin"))
            .args(["--address", address, "--monitor"])
            .arg("interface='org.freedesktop.Notifications'")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in out.lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        // It is a monitor once the bus has taken its name away again.
        loop {
            let l = lines.recv_timeout(WAIT).expect("dbus-monitor starts");
            if l.contains("member=NameLost") {
                break;
            }
        }
        Monitor { child, lines }
    }

    /// The next Notify call as dbus-monitor prints it.
    fn call(&mut self) -> String {
        let mut text = String::new();
        let mut inside = false;
        while let Ok(l) = self.lines.recv_timeout(WAIT) {
            inside |= l.contains("member=Notify");
            if inside {
                text.push_str(l.trim());
                text.push('\n');
                if l.trim() == "int32 -1" {
                    break;
                }
            }
        }
        text
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn dbus_monitor_decodes_the_call_as_the_spec_says() {
    let bus = Bus::start();
    let _server = Recorder::start(bus.address(), Answer::Now);
    let mut monitor = Monitor::start(bus.address());
    deliver(
        bus.address(),
        "Vulkan: \"nvidia\" & <more>",
        Urgency::Normal,
    );
    let seen = monitor.call();
    let expected = "\
string \"gpu-launch\"
uint32 0
string \"dialog-warning\"
string \"gpu-launch\"
string \"Vulkan: \"nvidia\" &amp; &lt;more&gt;\"
array [
]
array [
dict entry(
string \"urgency\"
variant             byte 1
)
]
int32 -1
";
    assert!(
        seen.contains("interface=org.freedesktop.Notifications; member=Notify"),
        "{seen}"
    );
    assert!(seen.ends_with(expected), "{seen}");
}

#[test]
fn nobody_owning_the_name_is_an_error_reply_at_once() {
    let bus = Bus::start();
    let (r, elapsed) = timed_within(bus.address(), "x", Urgency::Normal, ROOMY);
    match r {
        Err(NotifyError::Error(name)) => {
            assert_eq!(name, "org.freedesktop.DBus.Error.ServiceUnknown")
        }
        other => panic!("{other:?}"),
    }
    // The bus answers by itself (typically in 0.3 ms), not at a deadline.
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[test]
fn an_activatable_server_that_never_starts_is_given_up_on_at_the_deadline() {
    // The bus holds the call while it waits (25 s by default) for the
    // activated program to take the name.
    let bus = Bus::start_with(BusOptions {
        activate: Some("/bin/sleep 2".into()),
        ..BusOptions::default()
    });
    // HELD: connecting surely completes on a loaded machine, and what is
    // left to wait for is the held call.
    let deadline = HELD;
    let (r, elapsed) = timed_within(bus.address(), "x", Urgency::Normal, deadline);
    assert!(
        matches!(r, Err(NotifyError::Timeout(Stage::Reply))),
        "{r:?}"
    );
    assert!(elapsed >= deadline, "took {elapsed:?}");
    assert!(elapsed < deadline + SLACK, "took {elapsed:?}");
}

#[test]
fn an_activatable_server_that_fails_to_start_is_an_error_reply() {
    let bus = Bus::start_with(BusOptions {
        activate: Some("/bin/false".into()),
        ..BusOptions::default()
    });
    // The bus answers once the child has exited (a few ms).
    let (r, elapsed) = timed_within(bus.address(), "x", Urgency::Normal, ROOMY);
    assert!(
        matches!(&r, Err(NotifyError::Error(e)) if e.starts_with("org.freedesktop.DBus.Error.Spawn")),
        "{r:?}"
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[test]
fn a_server_that_never_answers_still_gets_the_notification() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Never);
    let (r, elapsed) = timed_within(bus.address(), "x", Urgency::Normal, HELD);
    assert!(
        matches!(r, Err(NotifyError::Timeout(Stage::Reply))),
        "{r:?}"
    );
    assert!(elapsed < HELD + SLACK, "took {elapsed:?}");
    assert!(server.next(WAIT).is_some(), "delivered, only unconfirmed");
}

#[test]
fn a_late_answer_after_the_sender_left_harms_nothing() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::After(HELD * 2));
    let (r, _) = timed_within(bus.address(), "first", Urgency::Normal, HELD);
    assert!(
        matches!(r, Err(NotifyError::Timeout(Stage::Reply))),
        "{r:?}"
    );
    std::thread::sleep(HELD * 2);
    // The server's reply went nowhere; the bus and the server carry on.
    let (r, _) = timed_within(bus.address(), "second", Urgency::Normal, HELD);
    assert!(
        matches!(r, Err(NotifyError::Timeout(Stage::Reply))),
        "{r:?}"
    );
    let bodies: Vec<_> = server
        .drain(Duration::from_millis(200))
        .into_iter()
        .map(|n| n.body)
        .collect();
    assert_eq!(bodies, ["first", "second"]);
}
