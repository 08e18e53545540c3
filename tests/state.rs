//! The session state under `$XDG_RUNTIME_DIR/gpu-launch/` when it cannot be
//! used, and when `--next` is spent, through the real binary:
//!
//! - unusable state (a runtime dir or state dir others can write, a link in
//!   place of either, a FIFO, socket or link in place of a state file,
//!   garbage in one) is never read, written or followed: launches,
//!   `--dry-run`, `--print-env`, `--status` and `--mode` warn and go on as
//!   mode `hybrid` with no `--next`; `--strict` makes that 125; setting a
//!   mode or `--next` exits 125;
//! - `--next` is spent only by a launch that execs: 125, 126 and 127 leave
//!   it pending.
//!
//! The machine is the Intel + NVIDIA laptop with a config that says
//! `gpu = "default"`, so a launch offloads only when a `--next nvidia` is
//! used (or the state is ignored and the config says auto): what a launch
//! did shows in PROGRAM's environment (`env` is PROGRAM).

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run, ok, one_error_line, refused};

/// A fixture machine and a private `XDG_RUNTIME_DIR` with a state directory
/// that says mode `integrated`.
pub(crate) struct Rt {
    pub machine: Fixture,
    pub base: tempfile::TempDir,
    pub config: String,
}

impl Rt {
    pub fn new() -> Rt {
        let rt = Rt {
            machine: fixture::intel_nvidia_laptop(),
            base: tempfile::Builder::new()
                .prefix("gpu-launch-rt-")
                .tempdir()
                .unwrap(),
            config: "gpu = \"default\"\n".into(),
        };
        ok(&rt.run(&["--mode", "integrated"]));
        rt
    }

    pub fn runtime(&self) -> PathBuf {
        self.base.path().to_path_buf()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.runtime().join("gpu-launch")
    }

    pub fn env(&self) -> Env {
        Env::new(self.machine.root())
            .set("XDG_RUNTIME_DIR", self.runtime().to_str().unwrap())
            .config(&self.config)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.env().run(args)
    }

    /// `gpu-launch ARGS env`: the run, and whether PROGRAM was offloaded
    /// to the NVIDIA GPU.
    pub fn launch(&self, args: &[&str]) -> (Run, bool) {
        let mut all = args.to_vec();
        all.push("env");
        let r = self.run(&all);
        let offloaded = r.stdout.lines().any(|l| l == "__NV_PRIME_RENDER_OFFLOAD=1");
        (r, offloaded)
    }

    /// The pending `--next`, as `--status --json` shows it.
    pub fn pending(&self) -> Option<String> {
        let r = self.run(&["--status", "--json"]);
        ok(&r);
        r.json()["next"].as_str().map(str::to_owned)
    }
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Every query and a launch warn with `why`, behave as mode hybrid with no
/// `--next` (so the config's `gpu = "default"` applies, or nothing: the
/// plan is the hybrid one), and `--strict` makes each 125.
fn ignored_everywhere(rt: &Rt, why: &str) {
    let warned = |r: &Run, what: &str| {
        assert_eq!(r.status, 0, "{what}: {r:?}");
        assert!(
            r.stderr.contains("session state ignored") && r.stderr.contains(why),
            "{what}: expected a warning saying {why:?}: {r:?}"
        );
    };
    let (r, offloaded) = rt.launch(&[]);
    warned(&r, "launch");
    assert!(!offloaded, "a launch used state it must ignore: {r:?}");
    let r = rt.run(&["--dry-run", "--json", "env"]);
    assert_eq!(r.status, 0, "{r:?}");
    let notes = r.json()["notes"].to_string();
    assert!(
        notes.contains("session state ignored") && notes.contains(why),
        "{notes}"
    );
    warned(&rt.run(&["--print-env", "env"]), "--print-env");
    let r = rt.run(&["--status", "--json"]);
    warned(&r, "--status");
    assert_eq!(r.json()["mode"], "hybrid", "{r:?}");
    assert_eq!(r.json()["next"], serde_json::Value::Null, "{r:?}");
    let r = rt.run(&["--mode"]);
    warned(&r, "--mode");
    assert_eq!(r.stdout, "hybrid\n");
    for args in [
        &["--strict", "env"][..],
        &["--strict", "--dry-run", "env"],
        &["--strict", "--print-env"],
        &["--strict", "--status"],
        &["--strict", "--mode"],
    ] {
        let r = rt.run(args);
        refused(&r, "--strict");
        assert!(r.stderr.contains(why), "{args:?}: {r:?}");
    }
    // strict = true in a valid config does the same.
    let r = rt
        .env()
        .config("gpu = \"default\"\nstrict = true\n")
        .run(&["env"]);
    refused(&r, why);
}

#[test]
fn a_state_directory_others_can_write_is_ignored_and_never_changed() {
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    for mode in [0o777, 0o770, 0o722] {
        chmod(&rt.state_dir(), mode);
        ignored_everywhere(&rt, "writable by");
        for args in [
            &["--mode", "hybrid"][..],
            &["--mode", "integrated"],
            &["--mode", "toggle"],
            &["--next", "default"],
        ] {
            let r = rt.run(args);
            refused(&r, "refusing");
            assert!(r.stderr.contains("cannot "), "{args:?}: {r:?}");
        }
    }
    chmod(&rt.state_dir(), 0o700);
    // Nothing was consumed or changed meanwhile.
    assert_eq!(rt.pending().as_deref(), Some("nvidia"));
    assert_eq!(rt.run(&["--mode"]).stdout, "integrated\n");
}

#[test]
fn a_state_directory_others_may_enter_is_not_the_users_plain_0700_one() {
    // The contract: the state directory is "the user's own plain 0700
    // directory"; one that others may list or enter is unusable too.
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    for mode in [0o755, 0o750, 0o711] {
        chmod(&rt.state_dir(), mode);
        ignored_everywhere(&rt, "not 0700; run chmod 700");
        let r = rt.run(&["--mode", "integrated"]);
        refused(&r, "not 0700");
    }
    chmod(&rt.state_dir(), 0o700);
    // Nothing was consumed or changed meanwhile (Rt::new set integrated).
    assert_eq!(rt.pending().as_deref(), Some("nvidia"));
    assert_eq!(rt.run(&["--mode"]).stdout, "integrated\n");
}

#[test]
fn a_world_writable_runtime_dir_is_never_used() {
    // Issue 14: launches used a world-writable XDG_RUNTIME_DIR (only setting
    // a mode there was refused).
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    for mode in [0o777, 0o1777, 0o775] {
        chmod(&rt.runtime(), mode);
        ignored_everywhere(&rt, "writable by");
        let r = rt.run(&["--next", "default"]);
        refused(&r, "cannot record --next: refusing");
        chmod(&rt.runtime(), 0o700);
        assert_eq!(rt.pending().as_deref(), Some("nvidia"), "{mode:o}");
    }
    // Nor is a state directory created in one.
    let open = tempfile::tempdir().unwrap();
    chmod(open.path(), 0o1777);
    let env = rt
        .env()
        .set("XDG_RUNTIME_DIR", open.path().to_str().unwrap());
    refused(&env.run(&["--mode", "integrated"]), "writable by others");
    refused(&env.run(&["--next", "nvidia"]), "writable by others");
    assert!(!open.path().join("gpu-launch").exists());
    // With no state in it, a launch has nothing to ignore and says nothing.
    let r = env.run(&["true"]);
    assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{r:?}");
}

#[test]
fn a_symlink_in_place_of_a_state_or_runtime_directory_is_not_followed() {
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    // The state directory moved away, a link to it in its place.
    let elsewhere = rt.runtime().join("elsewhere");
    fs::rename(rt.state_dir(), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, rt.state_dir()).unwrap();
    ignored_everywhere(&rt, "it is a symbolic link, not a directory");
    refused(&rt.run(&["--mode", "integrated"]), "symbolic link");
    refused(&rt.run(&["--next", "default"]), "symbolic link");
    assert_eq!(
        fs::read_to_string(elsewhere.join("next")).unwrap(),
        "nvidia\n"
    );
    // XDG_RUNTIME_DIR itself a link to a good runtime dir (trailing slashes
    // do not make it followed either).
    fs::remove_file(rt.state_dir()).unwrap();
    fs::rename(&elsewhere, rt.state_dir()).unwrap();
    let link = tempfile::tempdir().unwrap();
    let linked = link.path().join("runtime");
    std::os::unix::fs::symlink(rt.runtime(), &linked).unwrap();
    for value in [
        linked.display().to_string(),
        format!("{}//", linked.display()),
    ] {
        let env = rt.env().set("XDG_RUNTIME_DIR", &value);
        let r = env.run(&["env"]);
        assert_eq!(r.status, 0, "{r:?}");
        assert!(r.stderr.contains("symbolic link"), "{r:?}");
        assert!(!r.stdout.contains("__NV_PRIME_RENDER_OFFLOAD=1"), "{r:?}");
        refused(&env.run(&["--next", "default"]), "symbolic link");
    }
    assert_eq!(rt.pending().as_deref(), Some("nvidia"));
}

#[test]
fn a_fifo_socket_or_symlink_as_mode_or_next_is_never_opened_or_moved() {
    let target = tempfile::tempdir().unwrap();
    let integrated = target.path().join("integrated");
    fs::write(&integrated, "integrated\n").unwrap();
    let nvidia = target.path().join("nvidia");
    fs::write(&nvidia, "nvidia\n").unwrap();
    for name in ["mode", "next"] {
        for kind in ["fifo", "socket", "symlink", "directory"] {
            let rt = Rt::new();
            ok(&rt.run(&["--mode", "hybrid"]));
            let path = rt.state_dir().join(name);
            let _listener;
            match kind {
                "fifo" => nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap(),
                "socket" => _listener = std::os::unix::net::UnixListener::bind(&path).unwrap(),
                "symlink" if name == "mode" => {
                    std::os::unix::fs::symlink(&integrated, &path).unwrap()
                }
                "symlink" => std::os::unix::fs::symlink(&nvidia, &path).unwrap(),
                _ => fs::create_dir(&path).unwrap(),
            }
            let what = match kind {
                "fifo" => "it is a FIFO",
                "symlink" => "it is a symbolic link",
                "socket" => "it is a socket",
                _ => "it is a directory",
            };
            // Mode hybrid with gpu = "default": no offload, whichever file it is.
            ignored_everywhere(&rt, what);
            let set: &[&str] = if name == "mode" {
                &["--mode", "integrated"]
            } else {
                &["--next", "nvidia"]
            };
            refused(&rt.run(set), what);
            let meta = fs::symlink_metadata(&path).unwrap();
            let still = match kind {
                "fifo" => meta.file_type().is_fifo(),
                "socket" => meta.file_type().is_socket(),
                "symlink" => meta.file_type().is_symlink(),
                _ => meta.is_dir(),
            };
            assert!(still, "{name} as a {kind} was replaced");
            assert_eq!(fs::read_dir(rt.state_dir()).unwrap().count(), 1);
        }
    }
    assert_eq!(fs::read_to_string(&nvidia).unwrap(), "nvidia\n");
}

#[test]
fn garbage_in_a_state_file_is_a_warning_and_setting_repairs_it() {
    let rt = Rt::new();
    fs::write(rt.state_dir().join("mode"), "turbo\n").unwrap();
    ignored_everywhere(&rt, "not a mode ('turbo')");
    refused(&rt.run(&["--mode", "toggle"]), "not a mode ('turbo')");
    ok(&rt.run(&["--mode", "integrated"]));
    let (r, offloaded) = rt.launch(&[]);
    assert_eq!(
        (r.status, r.stderr.as_str(), offloaded),
        (0, "", false),
        "{r:?}"
    );
    fs::write(rt.state_dir().join("next"), "nvida\n").unwrap();
    ignored_everywhere(&rt, "invalid GPU SPEC 'nvida'");
    // Never used, so never spent: it stays until replaced.
    assert_eq!(
        fs::read_to_string(rt.state_dir().join("next")).unwrap(),
        "nvida\n"
    );
    ok(&rt.run(&["--next", "nvidia"]));
    assert!(rt.launch(&[]).1, "the repaired --next is used");
    fs::write(rt.state_dir().join("next"), vec![b'x'; 1 << 20]).unwrap();
    ignored_everywhere(&rt, "longer than 4096 bytes");
}

#[test]
fn without_a_usable_xdg_runtime_dir_nothing_is_said() {
    let rt = Rt::new();
    for env in [
        rt.env().unset("XDG_RUNTIME_DIR"),
        rt.env().set("XDG_RUNTIME_DIR", ""),
        rt.env().set("XDG_RUNTIME_DIR", "relative"),
        rt.env()
            .set("XDG_RUNTIME_DIR", &crate::common::absent("runtime")),
    ] {
        for args in [
            &["true"][..],
            &["--strict", "true"],
            &["--dry-run", "true"],
            &["--status"],
        ] {
            let r = env.run(args);
            assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{args:?}: {r:?}");
        }
    }
}

#[test]
fn a_launch_that_fails_leaves_next_pending() {
    // Issue 13: a mistyped launch (`gpu-launch blendr`, 127) used up the
    // pending --next.
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    let bin = tempfile::tempdir().unwrap();
    let not_executable = bin.path().join("not-executable");
    fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let bad_interpreter = bin.path().join("bad-interpreter");
    crate::common::write_executable(&bad_interpreter, "#!/nonexistent/sh\n", 0o755);
    let missing_config = bin.path().join("missing.toml");
    let cases: [(&[&str], i32); 5] = [
        (&["blendr"], 127),
        (&[not_executable.to_str().unwrap()], 126),
        (&[bin.path().to_str().unwrap()], 126),
        // Found and executable, but the exec itself fails after the claim.
        (&[bad_interpreter.to_str().unwrap()], 126),
        (&["--config", missing_config.to_str().unwrap(), "true"], 125),
    ];
    for (args, status) in cases {
        let r = rt.run(args);
        // A missing interpreter may come to be worded as not found (127).
        let accepted = r.status == status || (status == 126 && r.status == 127);
        assert!(accepted, "{args:?}: expected {status}: {r:?}");
        one_error_line(&r);
        assert_eq!(
            rt.pending().as_deref(),
            Some("nvidia"),
            "{args:?} spent --next"
        );
    }
    // The order: the config comes first (125 before PROGRAM's 127).
    let r = rt.run(&["--config", missing_config.to_str().unwrap(), "blendr"]);
    refused(&r, "cannot read config file");
    // --dry-run of a PROGRAM that cannot run: the plan (with the pending
    // --next, which it never spends), `program` null, the reason last, 127.
    let r = rt.run(&["--dry-run", "--json", "blendr"]);
    assert_eq!(r.status, 127, "{r:?}");
    let plan = r.json();
    assert_eq!(plan["program"], serde_json::Value::Null, "{plan:#}");
    assert_eq!(plan["offload"], true, "{plan:#}");
    let notes = plan["notes"].as_array().unwrap();
    assert_eq!(
        notes.last().unwrap(),
        "blendr: command not found",
        "{plan:#}"
    );
    assert_eq!(rt.pending().as_deref(), Some("nvidia"));
    // --strict with a --next that matches no GPU: 125, and still pending.
    ok(&rt.run(&["--next", "PCI:9:0:0"]));
    refused(&rt.run(&["--strict", "true"]), "no GPU matches");
    assert_eq!(rt.pending().as_deref(), Some("0000:09:00.0"));
    // A launch that execs spends it; --dry-run and --gpu never do.
    ok(&rt.run(&["--next", "nvidia"]));
    assert!(rt.run(&["--dry-run", "--json", "env"]).json()["offload"] == true);
    assert!(!rt.launch(&["--gpu", "default"]).1);
    let (r, offloaded) = rt
        .env()
        .set("GPU_LAUNCH_GPU", "default")
        .run(&["env"])
        .pipe();
    assert!(!offloaded, "{r:?}");
    assert_eq!(rt.pending().as_deref(), Some("nvidia"));
    assert!(rt.launch(&[]).1);
    assert_eq!(rt.pending(), None);
    assert!(!rt.launch(&[]).1, "spent once");
    // Nothing is left behind.
    let names: Vec<_> = fs::read_dir(rt.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["mode"]);
}

/// `(run, offloaded)` for a run of `env` started some other way.
trait Pipe {
    fn pipe(self) -> (Run, bool);
}

impl Pipe for Run {
    fn pipe(self) -> (Run, bool) {
        let offloaded = self
            .stdout
            .lines()
            .any(|l| l == "__NV_PRIME_RENDER_OFFLOAD=1");
        (self, offloaded)
    }
}

/// `GPU_LAUNCH_GPU` that does not parse makes no choice, so it does not keep
/// the state from being read (whatever a bad value then does).
#[test]
fn only_a_valid_gpu_launch_gpu_skips_the_state() {
    let rt = Rt::new();
    ok(&rt.run(&["--next", "nvidia"]));
    let r = rt.env().set("GPU_LAUNCH_GPU", "nvida").run(&["env"]);
    if r.status == 0 {
        assert!(
            r.pipe().1,
            "an ignored GPU_LAUNCH_GPU leaves --next to decide"
        );
        assert_eq!(rt.pending(), None);
    } else {
        assert_eq!(r.status, 125, "{r:?}");
        assert_eq!(rt.pending().as_deref(), Some("nvidia"), "125 leaves it");
    }
}
