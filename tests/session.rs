//! Session integration through the real binary: `--mode`, `--next`, the
//! state directory's trust rules, `--status` (text, JSON, waybar), and what
//! the launch path reads.

use crate::common::probe;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::common::fixture::{self, Fixture};
use crate::common::probe::Probes;
use crate::common::{Env, Run, ok, refused, strace};
use serde_json::{Value, json};

/// A fixture machine, a private `XDG_RUNTIME_DIR`, and probes on PATH.
struct Session {
    machine: Fixture,
    runtime: tempfile::TempDir,
    probes: Probes,
    config: Option<String>,
}

impl Session {
    fn new(machine: fn() -> Fixture) -> Session {
        let runtime = tempfile::Builder::new()
            .prefix("gpu-launch-runtime-")
            .tempdir()
            .unwrap();
        Session {
            machine: machine(),
            runtime,
            probes: Probes::new(),
            config: None,
        }
    }

    fn with_config(mut self, text: &str) -> Session {
        self.config = Some(text.to_owned());
        self
    }

    fn state_dir(&self) -> PathBuf {
        self.runtime.path().join("gpu-launch")
    }

    fn env(&self) -> Env {
        let e = Env::new(self.machine.root())
            .set(
                "XDG_RUNTIME_DIR",
                &self.runtime.path().display().to_string(),
            )
            .set("PATH", &self.probes.path_var());
        match &self.config {
            Some(c) => e.config(c),
            None => e,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.env().run(args)
    }

    /// Launches the probe through gpu-launch; returns its record.
    fn launch(&self, extra: &[&str], tag: &str) -> probe::Record {
        let mut args: Vec<&str> = extra.to_vec();
        args.push("probe");
        let mut c = self.env().command(&args);
        c.env("PROBE_OUT", self.probes.out(tag));
        let out = c.output().expect("launch");
        assert!(out.status.success(), "{tag}: {out:?}");
        self.probes.wait(tag)
    }

    /// `--dry-run --json probe`'s plan.
    fn plan(&self, extra: &[&str]) -> Value {
        let mut args = vec!["--dry-run", "--json"];
        args.extend(extra);
        args.push("probe");
        let r = self.run(&args);
        assert_eq!(r.status, 0, "{r:?}");
        r.json()
    }

    fn status_json(&self) -> Value {
        let r = self.run(&["--status", "--json"]);
        assert_eq!(r.status, 0, "{r:?}");
        r.json()
    }
}

/// The variables `env` gives gpu-launch, for running it under another program.
fn vars(env: &Env) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    env.command::<&str>(&[])
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect()
}

#[test]
fn mode_is_shown_set_and_toggled() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    let shown = |s: &Session| s.run(&["--mode"]).stdout;
    assert_eq!(shown(&s), "hybrid\n");
    ok(&s.run(&["--mode", "integrated"]));
    assert_eq!(shown(&s), "integrated\n");
    let mode = fs::metadata(s.state_dir()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "the state directory is private");
    let t = s.run(&["--mode", "toggle"]);
    ok(&t);
    assert_eq!(t.stdout, "hybrid\n");
    assert_eq!(shown(&s), "hybrid\n");
    ok(&s.run(&["--mode=toggle"]));
    assert_eq!(shown(&s), "integrated\n");
    ok(&s.run(&["--mode", "hybrid"]));
    assert_eq!(shown(&s), "hybrid\n");
    refused(
        &s.run(&["--mode", "performance"]),
        "invalid mode 'performance'",
    );
}

#[test]
fn integrated_mode_sends_config_and_auto_to_the_default_gpu() {
    let s = Session::new(fixture::intel_nvidia_laptop).with_config(
        "gpu = \"auto\"\n[apps.probe]\ngpu = \"nvidia\"\n[apps.other]\ngpu = \"nvidia\"\n",
    );
    assert_eq!(s.plan(&[])["offload"], true, "hybrid: [apps.probe] applies");
    ok(&s.run(&["--mode", "integrated"]));
    let plan = s.plan(&[]);
    assert_eq!(plan["offload"], false, "{plan:#}");
    assert_eq!(plan["gpu"]["index"], 0);
    // --gpu and GPU_LAUNCH_GPU still decide in mode integrated.
    assert_eq!(s.plan(&["--gpu", "nvidia"])["offload"], true);
    let r = s
        .env()
        .set("GPU_LAUNCH_GPU", "nvidia")
        .run(&["--dry-run", "--json", "probe"]);
    assert_eq!(r.json()["offload"], true);
    assert!(!s.launch(&[], "integrated").nvidia_offload());
    assert!(
        s.launch(&["--gpu", "discrete"], "integrated-flag")
            .nvidia_offload()
    );
}

#[test]
fn next_is_used_by_exactly_one_launch() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    ok(&s.run(&["--mode", "integrated"]));
    ok(&s.run(&["--next", "nvidia"]));
    assert_eq!(s.status_json()["next"], "nvidia");
    // --dry-run and --print-env show it without using it up.
    for _ in 0..2 {
        assert_eq!(s.plan(&[])["offload"], true);
        let r = s.run(&["--print-env", "probe"]);
        assert!(r.stdout.contains("__NV_PRIME_RENDER_OFFLOAD='1'"), "{r:?}");
    }
    // A launch whose choice --gpu or GPU_LAUNCH_GPU makes leaves it pending.
    assert!(!s.launch(&["--gpu", "default"], "flag").nvidia_offload());
    let mut c = s.env().set("GPU_LAUNCH_GPU", "default").command(&["probe"]);
    c.env("PROBE_OUT", s.probes.out("env"));
    assert!(c.status().unwrap().success());
    assert!(!s.probes.wait("env").nvidia_offload());
    assert_eq!(s.status_json()["next"], "nvidia");
    // The next plain launch takes it; the one after is back to the mode.
    assert!(s.launch(&[], "first").nvidia_offload());
    assert_eq!(s.status_json()["next"], Value::Null);
    assert!(!s.launch(&[], "second").nvidia_offload());
    // The latest --next wins; an invalid one is refused and changes nothing.
    ok(&s.run(&["--next", "nvidia"]));
    ok(&s.run(&["--next", "default"]));
    refused(&s.run(&["--next", "nvida"]), "invalid GPU SPEC 'nvida'");
    assert_eq!(s.status_json()["next"], "default");
    refused(&s.run(&["--next", "--dry-run"]), "--next");
}

#[test]
fn racing_launches_consume_one_next_once() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    ok(&s.run(&["--mode", "integrated"]));
    let gate = s.runtime.path().join("gate");
    let ready = s.runtime.path().join("ready");
    let fifo = |p: &std::path::Path| {
        nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Held open read-write for the whole round: no launcher blocks on
        // opening it, and none sees it closed.
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .unwrap()
    };
    for round in 0..20 {
        ok(&s.run(&["--next", "nvidia"]));
        // Each launcher says it is ready, then blocks reading a line from the
        // gate; once all are ready, one write of a line per launcher releases
        // them all at once, so their claims of --next really race. No sleep.
        let (mut gate_w, mut ready_r) = (fifo(&gate), fifo(&ready));
        let tags: Vec<String> = (0..6).map(|i| format!("race{round}-{i}")).collect();
        let children: Vec<_> = tags
            .iter()
            .map(|tag| {
                let mut sh = std::process::Command::new("/bin/sh");
                sh.args([
                    "-c",
                    "printf x > \"$READY\"; read x < \"$GATE\"; exec gpu-launch probe",
                ])
                .env_clear()
                .envs(vars(&s.env()))
                .env("GATE", &gate)
                .env("READY", &ready)
                .env("PROBE_OUT", s.probes.out(tag));
                sh.spawn().expect("spawn")
            })
            .collect();
        let mut all_ready = vec![0u8; tags.len()];
        std::io::Read::read_exact(&mut ready_r, &mut all_ready).unwrap();
        gate_w.write_all(&b"\n".repeat(tags.len())).unwrap();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        drop((gate_w, ready_r));
        fs::remove_file(&gate).unwrap();
        fs::remove_file(&ready).unwrap();
        let offloaded = tags
            .iter()
            .filter(|t| s.probes.wait(t).nvidia_offload())
            .count();
        assert_eq!(
            offloaded, 1,
            "round {round}: exactly one launch gets --next"
        );
        // Nothing is left in the state directory but the mode.
        let names: Vec<_> = fs::read_dir(s.state_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["mode"], "round {round}");
    }
}

#[test]
fn without_xdg_runtime_dir_there_is_no_state() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    // Some state in the real directory, which must now be ignored.
    ok(&s.run(&["--mode", "integrated"]));
    ok(&s.run(&["--next", "default"]));
    for value in [None, Some(""), Some("relative/dir")] {
        let env = match value {
            None => s.env().unset("XDG_RUNTIME_DIR"),
            Some(v) => s.env().set("XDG_RUNTIME_DIR", v),
        };
        let r = env.run(&["--mode", "integrated"]);
        assert_eq!(r.status, 125, "{value:?}: {r:?}");
        assert!(r.stderr.contains("XDG_RUNTIME_DIR"), "{r:?}");
        let r = env.run(&["--next", "nvidia"]);
        assert_eq!(r.status, 125, "{value:?}: {r:?}");
        assert!(r.stderr.contains("XDG_RUNTIME_DIR"), "{r:?}");
        // An invalid SPEC is still reported as such.
        let r = env.run(&["--next", "nvida"]);
        assert!(
            r.status == 125 && r.stderr.contains("invalid GPU SPEC"),
            "{r:?}"
        );
        // Queries and launches behave as mode hybrid with no --next.
        assert_eq!(env.run(&["--mode"]).stdout, "hybrid\n");
        let st = env.run(&["--status", "--json"]).json();
        assert_eq!(st["mode"], "hybrid");
        assert_eq!(st["next"], Value::Null);
        assert_eq!(
            env.run(&["--dry-run", "--json", "probe"]).json()["offload"],
            true
        );
        let mut c = env.command(&["probe"]);
        let tag = format!("no-runtime-{}", value.map_or(0, str::len));
        c.env("PROBE_OUT", s.probes.out(&tag));
        assert!(c.status().unwrap().success());
        assert!(
            s.probes.wait(&tag).nvidia_offload(),
            "auto offloads in hybrid"
        );
    }
    // The state in the real directory was not touched.
    assert_eq!(s.status_json()["next"], "default");
}

#[test]
#[ignore = "needs root: chowns the state directory to another user; CI runs it"]
fn a_state_directory_owned_by_someone_else_is_refused() {
    crate::common::root_only();
    let s = Session::new(fixture::intel_nvidia_laptop);
    ok(&s.run(&["--mode", "integrated"]));
    std::os::unix::fs::chown(s.state_dir(), Some(4321), Some(4321)).unwrap();
    // Queries and launches warn and go on as mode hybrid.
    let r = s.run(&["--mode"]);
    assert_eq!(r.stdout, "hybrid\n", "{r:?}");
    assert!(r.stderr.contains("owned by uid 4321"), "{r:?}");
    assert!(
        s.launch(&[], "foreign").nvidia_offload(),
        "hybrid: auto offloads"
    );
    refused(&s.run(&["--strict", "--mode"]), "owned by uid 4321");
    refused(&s.run(&["--next", "nvidia"]), "owned by uid 4321");
    refused(&s.run(&["--mode", "hybrid"]), "owned by uid 4321");
}

#[test]
fn status_reports_mode_power_and_next_without_nvml() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    let r = s.run(&["--status"]);
    ok(&r);
    assert_eq!(r.stdout.lines().count(), 1, "one line: {r:?}");
    assert!(
        r.stdout.starts_with(
            "mode hybrid; 0: intel (i915) active, default; 1: nvidia (nvidia) suspended"
        ),
        "{r:?}"
    );
    let j = s.status_json();
    assert_eq!(j["mode"], "hybrid");
    assert_eq!(j["next"], Value::Null);
    assert_eq!(j["gpus"][0]["power"], "active");
    assert_eq!(j["gpus"][1]["power"], "suspended");
    assert_eq!(j["gpus"][1]["pci"], "0000:01:00.0");
    ok(&s.run(&["--mode", "integrated"]));
    ok(&s.run(&["--next", "PCI:1:0:0"]));
    let r = s.run(&["--status"]);
    assert!(
        r.stdout.starts_with("mode integrated;") && r.stdout.contains("next launch: 0000:01:00.0"),
        "{r:?}"
    );
    assert_eq!(s.status_json()["next"], "0000:01:00.0");
}

#[test]
fn waybar_output_is_a_custom_module_document() {
    let waybar = |s: &Session| -> Value {
        let r = s.run(&["--status", "--waybar"]);
        ok(&r);
        assert_eq!(r.stdout.lines().count(), 1, "waybar reads one line: {r:?}");
        let v = r.json();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["alt", "class", "text", "tooltip"], "{v}");
        v
    };
    let s = Session::new(fixture::intel_nvidia_laptop);
    let v = waybar(&s);
    assert_eq!(v["text"], "hybrid");
    assert_eq!(v["alt"], "hybrid");
    assert_eq!(v["class"], json!(["hybrid", "asleep"]));
    let tip = v["tooltip"].as_str().unwrap();
    assert!(
        tip.starts_with("Mode: hybrid\nNext launch: as usual\n"),
        "{tip}"
    );
    assert!(
        tip.contains("0: intel (i915) 0000:00:02.0: active (default)"),
        "{tip}"
    );
    assert!(
        tip.contains("1: nvidia (nvidia) 0000:01:00.0: suspended"),
        "{tip}"
    );
    ok(&s.run(&["--mode", "toggle"]));
    ok(&s.run(&["--next", "nvidia"]));
    let v = waybar(&s);
    assert_eq!(v["text"], "integrated (next: nvidia)");
    assert_eq!(v["alt"], "integrated");
    assert_eq!(v["class"], json!(["integrated", "asleep", "next"]));
    // An awake eGPU; a machine with a single GPU has neither class.
    let egpu = Session::new(fixture::intel_nvidia_egpu);
    assert_eq!(waybar(&egpu)["class"], json!(["hybrid", "awake"]));
    let vm = Session::new(fixture::vm_virtio);
    assert_eq!(waybar(&vm)["class"], json!(["hybrid"]));
    let none = Session::new(fixture::no_gpu);
    assert!(
        waybar(&none)["tooltip"]
            .as_str()
            .unwrap()
            .contains("No GPU found")
    );
    // --waybar goes with --status only, and not with --json.
    assert_eq!(s.run(&["--waybar"]).status, 125);
    assert_eq!(s.run(&["--status", "--waybar", "--json"]).status, 125);
}

/// The calls a launch makes on `XDG_RUNTIME_DIR` and what is in it, from
/// `strace -f -y -e trace=%file` (`-y` shows the path of each descriptor,
/// so a call relative to the state directory's descriptor shows it too):
/// the call's name, and whether it walked a path from the current directory
/// (`AT_FDCWD`) rather than from a checked descriptor.
fn state_syscalls(s: &Session, env: &Env, args: &[&str]) -> Vec<(String, bool)> {
    let text = strace(&env.command(args), &["-y", "-e", "trace=%file"]);
    let runtime = s.runtime.path().display().to_string();
    crate::common::calls(&text)
        .into_iter()
        .filter(|c| c.line.contains(&runtime))
        .map(|c| {
            let by_path = c.line.contains(&format!("{}(AT_FDCWD", c.name));
            (c.name, by_path)
        })
        .collect()
}

#[test]
fn the_launch_path_reads_state_only_when_it_matters() {
    let s = Session::new(fixture::intel_nvidia_laptop);
    let names = |calls: &[(String, bool)]| -> Vec<String> {
        calls.iter().map(|(n, _)| n.clone()).collect()
    };
    // No state directory: one look at it, by its path, failing. (Which
    // system call looks is libc's business: only the count is asserted.)
    let calls = state_syscalls(&s, &s.env(), &["probe"]);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].1, "{calls:?}");
    // An empty one: that look, then the runtime dir opened (by its path,
    // not following a link) and checked; everything after it is relative to
    // a checked descriptor: the state directory opened and checked, the mode
    // looked for, and `next` looked at (both absent).
    ok(&s.run(&["--mode", "integrated"]));
    ok(&s.run(&["--mode", "hybrid"]));
    let calls = state_syscalls(&s, &s.env(), &["probe"]);
    let by_path = calls.iter().take_while(|c| c.1).count();
    assert_eq!(by_path, 2, "two walks by path, first: {calls:?}");
    assert!(
        calls.len() > by_path && calls[by_path..].iter().all(|c| !c.1),
        "the rest relative to the checked descriptors: {calls:?}"
    );
    assert!(
        !names(&calls).iter().any(|n| n.starts_with("rename")),
        "{calls:?}"
    );
    // A pending --next: claimed by a rename in the directory, read, removed.
    ok(&s.run(&["--next", "default"]));
    let calls = state_syscalls(&s, &s.env(), &["probe"]);
    assert!(calls[2..].iter().all(|c| !c.1), "{calls:?}");
    let n = names(&calls);
    assert!(
        n.iter().any(|n| n == "renameat" || n == "renameat2"),
        "{calls:?}"
    );
    assert!(n.iter().any(|n| n == "unlinkat"), "{calls:?}");
    assert_eq!(s.status_json()["next"], Value::Null);
    // --gpu or GPU_LAUNCH_GPU decides: nothing at all.
    ok(&s.run(&["--mode", "integrated"]));
    ok(&s.run(&["--next", "nvidia"]));
    assert_eq!(
        state_syscalls(&s, &s.env(), &["--gpu", "nvidia", "probe"]),
        Vec::<(String, bool)>::new()
    );
    let env = s.env().set("GPU_LAUNCH_GPU", "nvidia");
    assert_eq!(
        state_syscalls(&s, &env, &["probe"]),
        Vec::<(String, bool)>::new()
    );
    // Mode hybrid is the absence of the mode file.
    ok(&s.run(&["--mode", "hybrid"]));
    assert!(!s.state_dir().join("mode").exists());
}

#[test]
fn auto_mode_follows_the_power_source() {
    // (machine, what `--mode` says once the mode is auto).
    type Case = (&'static str, fn() -> Fixture, &'static str);
    let cases: [Case; 9] = [
        (
            "laptop on battery",
            fixture::laptop_on_battery,
            "auto: integrated (on battery)",
        ),
        (
            "laptop on its adapter",
            fixture::laptop_on_ac,
            "auto: hybrid (on external power)",
        ),
        (
            "laptop on USB-C PD (type USB)",
            fixture::laptop_on_usb_pd,
            "auto: hybrid (on external power)",
        ),
        (
            "laptop on USB-C (type USB_C)",
            fixture::laptop_on_usb_c,
            "auto: hybrid (on external power)",
        ),
        (
            "desktop without battery",
            fixture::desktop_no_battery,
            "auto: hybrid (no battery)",
        ),
        (
            "desktop with a mouse battery",
            fixture::desktop_mouse_battery,
            "auto: hybrid (no battery)",
        ),
        (
            "desktop UPS, mains on",
            fixture::desktop_ups_on_mains,
            "auto: hybrid (on external power)",
        ),
        (
            "desktop UPS, mains off",
            fixture::desktop_ups_on_battery,
            "auto: integrated (on battery)",
        ),
        (
            "machine without power supplies",
            fixture::intel_nvidia_laptop,
            "auto: hybrid (no battery)",
        ),
    ];
    for (what, machine, shown) in cases {
        let s = Session::new(machine);
        let r = s.run(&["--mode", "auto"]);
        ok(&r);
        assert_eq!(r.stdout, "", "{what}");
        assert_eq!(
            fs::read_to_string(s.state_dir().join("mode")).unwrap(),
            "auto\n"
        );
        assert_eq!(s.run(&["--mode"]).stdout, format!("{shown}\n"), "{what}");
        let integrated = shown.contains("integrated");
        let in_force = if integrated { "integrated" } else { "hybrid" };
        let j = s.status_json();
        assert_eq!(j["mode"], in_force, "{what}: {j}");
        assert_eq!(j["mode_setting"], "auto", "{what}");
        assert_eq!(
            j["mode_reason"],
            shown.split(['(', ')']).nth(1).unwrap(),
            "{what}"
        );
        let r = s.run(&["--status"]);
        assert!(
            r.stdout.starts_with(&format!("mode {shown}; ")),
            "{what}: {r:?}"
        );
        let w = s.run(&["--status", "--waybar"]).json();
        assert_eq!(w["alt"], in_force, "{what}: {w}");
        assert_eq!(w["text"], format!("auto: {in_force}"), "{what}: {w}");
        assert_eq!(w["class"][0], in_force, "{what}: {w}");
        assert_eq!(w["class"][1], "auto", "{what}: {w}");
        assert!(
            w["tooltip"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Mode: {shown}\n")),
            "{what}: {w}"
        );
    }
}

#[test]
fn auto_mode_on_battery_keeps_launches_on_the_default_gpu() {
    let config = "gpu = \"auto\"\n[apps.probe]\ngpu = \"nvidia\"\n";
    let battery = Session::new(fixture::laptop_on_battery).with_config(config);
    let ac = Session::new(fixture::laptop_on_ac).with_config(config);
    for s in [&battery, &ac] {
        ok(&s.run(&["--mode", "auto"]));
    }
    let plan = battery.plan(&[]);
    assert_eq!(plan["offload"], false, "{plan:#}");
    assert_eq!(plan["gpu"]["index"], 0);
    assert_eq!(ac.plan(&[])["offload"], true);
    // --gpu still decides, and a real launch does what the plan said.
    assert_eq!(battery.plan(&["--gpu", "nvidia"])["offload"], true);
    let rec = battery.launch(&[], "auto-battery");
    assert_eq!(rec.var("__NV_PRIME_RENDER_OFFLOAD"), None, "{rec:?}");
    let rec = ac.launch(&[], "auto-ac");
    assert_eq!(rec.var("__NV_PRIME_RENDER_OFFLOAD"), Some("1"));
}

#[test]
fn help_names_auto_as_a_mode() {
    let s = Session::new(fixture::laptop_on_battery);
    let help = s.run(&["--help"]);
    ok(&help);
    let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("auto (integrated on battery, hybrid on external power)"),
        "{text}"
    );
    refused(
        &s.run(&["--mode", "Auto"]),
        "expected integrated, hybrid, auto or toggle",
    );
}

#[test]
fn toggle_flips_the_mode_in_force_under_auto() {
    let s = Session::new(fixture::laptop_on_battery);
    ok(&s.run(&["--mode", "auto"]));
    let t = s.run(&["--mode", "toggle"]);
    ok(&t);
    assert_eq!(
        t.stdout, "hybrid\n",
        "auto on battery is integrated: toggle gives hybrid"
    );
    let s = Session::new(fixture::laptop_on_ac);
    ok(&s.run(&["--mode", "auto"]));
    assert_eq!(s.run(&["--mode", "toggle"]).stdout, "integrated\n");
    assert_eq!(s.run(&["--mode"]).stdout, "integrated\n");
}

#[test]
fn a_launch_reads_the_power_supplies_only_in_auto_mode() {
    let s = Session::new(fixture::laptop_on_battery);
    let supplies = |env: &Env| -> usize {
        let text = strace(&env.command(&["probe"]), &["-e", "trace=%file"]);
        text.lines().filter(|l| l.contains("power_supply")).count()
    };
    assert_eq!(supplies(&s.env()), 0, "no state: hybrid");
    ok(&s.run(&["--mode", "integrated"]));
    assert_eq!(supplies(&s.env()), 0, "integrated");
    ok(&s.run(&["--mode", "auto"]));
    assert!(supplies(&s.env()) > 0, "auto reads them");
    // --gpu decides before the mode: nothing is read then.
    let text = strace(
        &s.env().command(&["--gpu", "nvidia", "probe"]),
        &["-e", "trace=%file"],
    );
    assert!(!text.contains("power_supply"), "{text}");
}
