//! Where the warning about unusable session state goes, started as a
//! keybind or a status bar starts gpu-launch (stderr a pipe, not a
//! terminal), against a private `dbus-daemon` with a recording notification
//! server and a journal socket of the test's own:
//!
//! - a launch treats it as config's standing-state warnings: stderr, the
//!   journal and a desktop notification, then PROGRAM runs; `--strict`, or
//!   `strict = true` in a valid config, makes it 125;
//! - `--status` (text, JSON, waybar) and `--mode` are queries that waybar
//!   polls every few seconds: they say it on stderr and in their output
//!   only, never in the journal or as a notification.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::common::dbus::{Answer, Bus, Recorder};
use crate::common::{Env, Run, bin_dir, fixture, launch, ok, path_with};
use crate::journal::received;

const WAIT: Duration = Duration::from_secs(5);
/// Nothing more arrives within this after the run has ended.
const SETTLE: Duration = Duration::from_millis(300);
const WARNING: &str = "session state ignored (so mode hybrid, no pending --next)";

#[test]
fn unusable_state_warns_a_launch_everywhere_but_a_status_poll_only_on_stderr() {
    let bus = Bus::start();
    let server = Recorder::start(bus.address(), Answer::Now);
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let runtime = tempfile::tempdir().unwrap();
    let socket_dir = tempfile::tempdir().unwrap();
    let socket = socket_dir.path().join("journal");
    let sock = UnixDatagram::bind(&socket).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let env = Env::new(m.root())
        .set("PATH", &path_with(bin.path()))
        .set("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap())
        .set("DBUS_SESSION_BUS_ADDRESS", bus.address())
        // Notifications are not timed here: one that is not sent is absent
        // because gpu-launch chose not to send it, not because it was late.
        .set("GPU_LAUNCH_NOTIFY_DEADLINE_MS", "5000")
        .set("GPU_LAUNCH_JOURNAL_SOCKET", socket.to_str().unwrap());
    ok(&env.run(&["--mode", "integrated"]));
    let state = runtime.path().join("gpu-launch");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();
    let why = format!(
        "refusing {}: it is writable by others (mode 777); run chmod go-w on it",
        state.display()
    );

    // The queries: on stderr and in the output, nowhere else.
    let warned = |r: &Run, what: &str| {
        assert_eq!(r.status, 0, "{what}: {r:?}");
        assert!(
            r.stderr
                .contains(&format!("gpu-launch: warning: {WARNING}: {why}")),
            "{what}: {r:?}"
        );
    };
    for _poll in 0..3 {
        let r = env.run(&["--status", "--waybar"]);
        warned(&r, "--status --waybar");
        let w = r.json();
        assert!(
            w["tooltip"]
                .as_str()
                .unwrap()
                .contains(&format!("\nWarning: {WARNING}: {why}")),
            "{w}"
        );
        assert_eq!(w["alt"], "hybrid", "{w}");
        assert!(
            w["class"].as_array().unwrap().contains(&"warning".into()),
            "{w}"
        );
    }
    let r = env.run(&["--status", "--json"]);
    warned(&r, "--status --json");
    let notes = r.json()["notes"].clone();
    assert_eq!(notes, serde_json::json!([format!("{WARNING}: {why}")]));
    let r = env.run(&["--status"]);
    warned(&r, "--status");
    assert!(
        r.stdout.starts_with("mode hybrid;") && r.stdout.contains(&format!("; warning: {WARNING}")),
        "{r:?}"
    );
    let r = env.run(&["--mode"]);
    warned(&r, "--mode");
    assert_eq!(r.stdout, "hybrid\n");
    assert!(
        server.drain(SETTLE).is_empty(),
        "a query raised a notification"
    );
    assert_eq!(
        received(&sock),
        Vec::<String>::new(),
        "a query wrote to the journal"
    );

    // A launch: where config's standing-state warnings go, and PROGRAM runs.
    let (r, probe, _d) = launch(&env, &["prog"]);
    assert!(r.status == 0 && probe.is_some(), "{r:?}");
    assert!(
        r.stderr.contains(&format!("warning: {WARNING}: {why}")),
        "{r:?}"
    );
    let n = server
        .next(WAIT)
        .expect("the launch's notification arrived");
    assert!(
        n.body.starts_with(&format!("{WARNING}: {why}")),
        "{}",
        n.body
    );
    assert!(server.drain(SETTLE).is_empty(), "one notification");
    let got = received(&sock);
    assert!(
        got.len() == 1 && got[0].contains(&format!("MESSAGE={WARNING}: {why}")),
        "{got:?}"
    );

    // Strict: from the command line, and from a valid config file.
    let (r, probe, _d) = launch(&env, &["--strict", "prog"]);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(probe.is_none(), "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("{why} (--strict makes this an error)")),
        "{r:?}"
    );
    let env = env.config("strict = true\n");
    let config = env.home().join(".config/gpu-launch/config.toml");
    let (r, probe, _d) = launch(&env, &["prog"]);
    assert_eq!(r.status, 125, "{r:?}");
    assert!(probe.is_none(), "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{why} (strict = true in {} makes this an error)",
            config.display()
        )),
        "{r:?}"
    );
    // A strict = true in a file that is itself skipped does not apply.
    let env = env.config("strict = true\nbogus = 1\n");
    let (r, probe, _d) = launch(&env, &["prog"]);
    assert!(r.status == 0 && probe.is_some(), "{r:?}");
    assert!(r.stderr.contains("unknown key 'bogus'"), "{r:?}");
    assert!(r.stderr.contains(WARNING), "{r:?}");
}
