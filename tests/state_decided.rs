//! When `--gpu` or `GPU_LAUNCH_GPU` already made the choice, the session
//! state takes no part in it (a pending `--next` stays pending), yet mode
//! `integrated` still hides NVIDIA from a launch on the default GPU
//! (contract, Session integration: "In mode integrated, the hide NVIDIA
//! rule applies to launches on the default GPU too"). The mode alone is read
//! then, and only when it can matter: the chosen GPU is the default one, it
//! is not nvidia-driven, and some GPU of the machine is.

use serde_json::{Value, json};

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, bin_dir, launch, ok, path_with, refused, strace};

const HIDE: &str = "VK_LOADER_DRIVERS_DISABLE";

struct Machine {
    machine: Fixture,
    bin: tempfile::TempDir,
    runtime: tempfile::TempDir,
    env: Env,
}

fn machine(shape: fn() -> Fixture) -> Machine {
    let m = shape();
    let bin = bin_dir(&["prog"]);
    let runtime = tempfile::tempdir().unwrap();
    let env = env(&m, &bin, &runtime);
    Machine {
        machine: m,
        bin,
        runtime,
        env,
    }
}

fn env(m: &Fixture, bin: &tempfile::TempDir, runtime: &tempfile::TempDir) -> Env {
    Env::new(m.root())
        .set("PATH", &path_with(bin.path()))
        .set("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap())
}

impl Machine {
    /// The same environment, with `k=v` too.
    fn env_with(&self, k: &str, v: &str) -> Env {
        env(&self.machine, &self.bin, &self.runtime).set(k, v)
    }

    /// `--dry-run --json ARGS prog`'s `env`, with the default GPU chosen.
    fn plan_env(&self, env: &Env, args: &[&str]) -> Value {
        let mut all = vec!["--dry-run", "--json"];
        all.extend(args);
        all.push("prog");
        let r = env.run(&all);
        ok(&r);
        let plan = r.json();
        assert_eq!(plan["gpu"]["index"], 0, "{args:?}: {plan:#}");
        plan["env"].clone()
    }

    /// The file calls a launch makes in `XDG_RUNTIME_DIR` (`strace -y`).
    fn state_calls(&self, env: &Env, args: &[&str]) -> Vec<String> {
        let text = strace(&env.command(args), &["-y", "-e", "trace=%file"]);
        let runtime = self.runtime.path().display().to_string();
        text.lines()
            .filter(|l| l.contains(&runtime))
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn integrated_mode_hides_nvidia_when_gpu_or_gpu_launch_gpu_chose_the_default_gpu() {
    let m = machine(fixture::intel_nvidia_laptop);
    let hidden = json!({ HIDE: "*nvidia*" });
    // Mode hybrid: the default GPU gets nothing.
    assert_eq!(m.plan_env(&m.env, &["--gpu", "default"]), json!({}));
    ok(&m.env.run(&["--mode", "integrated"]));
    ok(&m.env.run(&["--next", "nvidia"]));
    for args in [
        &["--gpu", "default"][..],
        &["--gpu", "integrated"],
        &["--gpu", "0000:00:02.0"],
        &["--gpu", "intel"],
    ] {
        assert_eq!(m.plan_env(&m.env, args), hidden, "{args:?}");
    }
    let env = m.env_with("GPU_LAUNCH_GPU", "default");
    assert_eq!(m.plan_env(&env, &[]), hidden, "GPU_LAUNCH_GPU=default");
    assert_eq!(
        m.env.run(&["--print-env", "--gpu", "default"]).stdout,
        "export VK_LOADER_DRIVERS_DISABLE='*nvidia*'\n"
    );
    let (r, probe, _d) = launch(&m.env, &["--gpu", "default", "prog"]);
    let probe = probe.unwrap_or_else(|| panic!("prog ran: {r:?}"));
    assert_eq!(probe.var(HIDE).as_deref(), Some("*nvidia*"), "{r:?}");
    // The NVIDIA GPU itself, chosen by --gpu: nothing to hide, nothing read.
    let r = m
        .env
        .run(&["--dry-run", "--json", "--gpu", "nvidia", "prog"]);
    assert_eq!(r.json()["offload"], true, "{r:?}");
    assert_eq!(r.json()["env"].get(HIDE), None, "{r:?}");
    assert_eq!(
        m.state_calls(&m.env, &["--gpu", "nvidia", "true"]),
        Vec::<String>::new()
    );
    // On the default GPU the mode is read, `next` never: it stays pending.
    let calls = m.state_calls(&m.env, &["--gpu", "default", "true"]);
    assert!(calls.iter().any(|c| c.contains("\"mode\"")), "{calls:#?}");
    assert!(!calls.iter().any(|c| c.contains("next")), "{calls:#?}");
    let status = m.env.run(&["--status", "--json"]);
    assert_eq!(status.json()["next"], "nvidia", "{status:?}");

    // Read from unusable state, the mode is ignored as everywhere: a
    // warning and mode hybrid, 125 under --strict; --gpu nvidia reads
    // nothing, so it says nothing.
    let state = m.runtime.path().join("gpu-launch");
    std::fs::set_permissions(&state, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let r = m
        .env
        .run(&["--dry-run", "--json", "--gpu", "default", "prog"]);
    assert_eq!(r.json()["env"], json!({}), "{r:?}");
    assert!(
        r.json()["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("session state ignored"),
        "{r:?}"
    );
    refused(
        &m.env.run(&["--strict", "--gpu", "default", "prog"]),
        "writable by others",
    );
    let r = m.env.run(&["--gpu", "nvidia", "true"]);
    assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{r:?}");
}

#[test]
fn under_auto_the_power_source_decides_for_a_launch_on_the_default_gpu() {
    for (shape, hides) in [
        (fixture::laptop_on_battery as fn() -> Fixture, true),
        (fixture::laptop_on_ac, false),
    ] {
        let m = machine(shape);
        ok(&m.env.run(&["--mode", "auto"]));
        let want = if hides {
            json!({ HIDE: "*nvidia*" })
        } else {
            json!({})
        };
        assert_eq!(m.plan_env(&m.env, &["--gpu", "default"]), want);
        // The supplies are read for it (only in mode auto, and only here).
        let text = strace(
            &m.env.command(&["--gpu", "default", "true"]),
            &["-e", "trace=%file"],
        );
        assert!(text.contains("power_supply"), "{text}");
    }
}
