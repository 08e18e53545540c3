//! GPU details (NVML, pci.ids) in `--list` and the `GPU-<uuid>` / `name:`
//! SPECs, with a fake `libnvidia-ml.so` that records every `nvmlInit`: details
//! for awake GPUs, no NVML for suspended ones unless `--wake`, never on the
//! launch path, and nothing breaks without NVML.

use crate::common::fake_nvml::{FakeNvml, Variant, device};
use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Probe, probe_as, strace};
use serde_json::Value;

const RTX: &str = "NVIDIA GeForce RTX 4060 Laptop GPU";
const RTX_UUID: &str = "GPU-6f2c1b3a-8d4e-4f5a-9b6c-7d8e9f0a1b2c";

/// A small pci.ids with the ids of the fixture machines used here.
const PCI_IDS: &str = "\
# test database
10de  NVIDIA Corporation
\t2204  GA102 [GeForce RTX 3090]
\t28e0  AD107M [GeForce RTX 4060 Max-Q / Mobile]
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t73ff  Navi 23 [Radeon RX 6600/6600 XT/6600M]
8086  Intel Corporation
\t9a49  TigerLake-LP GT2 [Iris Xe Graphics]
\ta7a0  Raptor Lake-P [Iris Xe Graphics]
C 03  Display controller
";

/// An environment for `m` with the test pci.ids.
fn env(m: &Fixture, dir: &tempfile::TempDir) -> Env {
    let ids = dir.path().join("pci.ids");
    std::fs::write(&ids, PCI_IDS).unwrap();
    Env::new(m.root()).set("GPU_LAUNCH_PCI_IDS", ids.to_str().unwrap())
}

fn rtx() -> Vec<String> {
    vec![device("00000000:01:00.0", RTX, RTX_UUID)]
}

fn list(env: &Env, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--list", "--json"];
    args.extend(extra);
    let run = env.run(&args);
    assert_eq!(run.status, 0, "{run:?}");
    run.json().as_array().cloned().expect("array")
}

#[test]
fn details_appear_for_an_awake_gpu() {
    let m = fixture::intel_nvidia_laptop_awake();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let gpus = list(&nvml.configure(env(&m, &tmp)), &[]);

    let nv = &gpus[1];
    assert_eq!(nv["pci"], "0000:01:00.0");
    assert_eq!(nv["name"], RTX);
    assert_eq!(nv["uuid"], RTX_UUID);
    assert_eq!(nv["memory_total_mib"], 8188);
    assert_eq!(nv["memory_used_mib"], 512);
    assert_eq!(nv["utilization_percent"], 37);
    assert_eq!(nv["temperature_c"], 45);
    assert_eq!(nv["power_w"], 15.25);
    assert_eq!(nv["driver_version"], "550.54.14");

    // The Intel GPU: a name from pci.ids, no NVML fields, no DRM on a fake machine.
    let intel = &gpus[0];
    assert_eq!(
        intel["name"],
        "Intel Corporation Raptor Lake-P [Iris Xe Graphics]"
    );
    for field in ["uuid", "memory_total_mib", "power_w", "driver_version"] {
        assert!(intel[field].is_null(), "{field}: {intel}");
    }
    assert_eq!(nvml.calls(), ["init", "shutdown"], "one init per run");

    // The text listing shows the names too.
    let run = nvml.configure(env(&m, &tmp)).run(&["--list"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert!(run.stdout.contains(RTX), "{}", run.stdout);
}

#[test]
fn nothing_initialises_nvml_for_a_suspended_gpu() {
    // The NVIDIA dGPU of this laptop is runtime-suspended.
    let m = fixture::intel_nvidia_laptop();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let gpus = list(&nvml.configure(env(&m, &tmp)), &[]);
    assert_eq!(nvml.inits(), 0, "nvmlInit ran for a suspended GPU");
    let nv = &gpus[1];
    assert_eq!(nv["power"], "suspended");
    assert!(nv["uuid"].is_null(), "{nv}");
    // Its name still comes from pci.ids, which touches no hardware.
    assert_eq!(
        nv["name"],
        "NVIDIA Corporation AD107M [GeForce RTX 4060 Max-Q / Mobile]"
    );

    // A UUID SPEC does not wake it either: it falls back with a note.
    let run =
        nvml.configure(env(&m, &tmp))
            .run(&["--dry-run", "--json", "--gpu", RTX_UUID, "true"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(nvml.inits(), 0);
    let plan = run.json();
    assert_eq!(plan["gpu"]["index"], 0, "{plan}");
    assert!(
        plan["notes"][0].as_str().unwrap().contains("asleep"),
        "{plan}"
    );
}

#[test]
fn wake_overrides() {
    let m = fixture::intel_nvidia_laptop();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let gpus = list(&nvml.configure(env(&m, &tmp)), &["--wake"]);
    assert_eq!(nvml.inits(), 1);
    assert_eq!(gpus[1]["uuid"], RTX_UUID);
    assert_eq!(gpus[1]["name"], RTX);
}

#[test]
fn the_launch_path_never_loads_nvml() {
    let m = fixture::intel_nvidia_laptop_awake();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    probe_as(&bin, "prog");
    let out = tmp.path().join("probe.out");
    let env = nvml
        .configure(env(&m, &tmp))
        .set("PATH", &format!("{}:/usr/bin:/bin", bin.display()))
        .set("PROBE_OUT", out.to_str().unwrap());
    for args in [
        &["--gpu", "nvidia", "prog"][..],
        &["prog"],
        &["--dry-run", "--json", "--gpu", "nvidia", "prog"],
        &["--print-env", "--gpu", "0000:01:00.0"],
    ] {
        let run = env.run(args);
        assert_eq!(run.status, 0, "{args:?}: {run:?}");
    }
    let probe = Probe::read(&out);
    assert_eq!(
        probe.var("__NV_PRIME_RENDER_OFFLOAD").as_deref(),
        Some("1"),
        "the launch ran, offloaded"
    );
    assert_eq!(nvml.inits(), 0, "a launch loaded NVML");
}

/// Under strace, with NVML and pci.ids configured: a launch opens neither
/// (tests/launch_path.rs checks the same without them), `--list` opens both,
/// and `--list` on a fake machine without GPU_LAUNCH_NVML_LIBRARY does not
/// look for the system's NVML.
#[test]
fn only_queries_open_nvml_and_pci_ids() {
    let m = fixture::intel_nvidia_laptop_awake();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let opened = |env: &Env, args: &[&str]| -> String {
        strace(&env.command(args), &["-e", "trace=open,openat,openat2"])
    };
    let env = nvml.configure(env(&m, &tmp));
    let trace = opened(&env, &["--gpu", "nvidia", "true"]);
    for forbidden in ["libnvidia-ml", "pci.ids", "\"/dev/"] {
        assert!(
            !trace.contains(forbidden),
            "the launch opened {forbidden}:\n{trace}"
        );
    }
    let trace = opened(&env, &["--list"]);
    assert!(trace.contains("libnvidia-ml-fake"), "{trace}");
    assert!(trace.contains("pci.ids"), "{trace}");
    let trace = opened(&Env::new(m.root()), &["--list"]);
    assert!(!trace.contains("libnvidia-ml"), "{trace}");
}

#[test]
fn missing_or_broken_nvml_is_no_details() {
    let m = fixture::intel_nvidia_laptop_awake();
    let tmp = tempfile::tempdir().unwrap();

    // No library at all.
    let env_missing =
        env(&m, &tmp).set("GPU_LAUNCH_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
    let gpus = list(&env_missing, &[]);
    assert!(gpus[1]["uuid"].is_null());
    assert!(gpus[1]["driver_version"].is_null());
    assert_eq!(
        gpus[1]["name"], "NVIDIA Corporation AD107M [GeForce RTX 4060 Max-Q / Mobile]",
        "pci.ids names it instead"
    );

    // A fake machine without GPU_LAUNCH_NVML_LIBRARY: no NVML, no error.
    let gpus = list(&env(&m, &tmp), &[]);
    assert!(gpus[1]["uuid"].is_null());

    // nvmlInit fails (9: driver not loaded).
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let gpus = list(
        &nvml
            .configure(env(&m, &tmp))
            .set("FAKE_NVML_INIT_RESULT", "9"),
        &[],
    );
    assert_eq!(nvml.calls(), ["init"]);
    assert!(gpus[1]["uuid"].is_null());

    // A partial library (no nvmlShutdown, no nvmlDeviceGetName): what it has
    // is used, the rest is null or comes from pci.ids, and nothing panics.
    let broken = FakeNvml::new(Variant::Broken, &rtx());
    let gpus = list(&broken.configure(env(&m, &tmp)), &[]);
    assert_eq!(broken.calls(), ["init"]);
    assert_eq!(gpus[1]["uuid"], RTX_UUID);
    assert_eq!(
        gpus[1]["name"],
        "NVIDIA Corporation AD107M [GeForce RTX 4060 Max-Q / Mobile]"
    );

    // No pci.ids either: names are null.
    let gpus = list(
        &Env::new(m.root()).set("GPU_LAUNCH_PCI_IDS", "/nonexistent/pci.ids"),
        &[],
    );
    assert!(gpus.iter().all(|g| g["name"].is_null()), "{gpus:?}");
}

#[test]
fn uuid_and_name_specs_select() {
    // Three awake NVIDIA cards; NVML names and UUIDs tell the two 3090s apart.
    let m = fixture::desktop_three_nvidia();
    let tmp = tempfile::tempdir().unwrap();
    let nvml = FakeNvml::new(
        Variant::Full,
        &[
            device(
                "00000000:01:00.0",
                "NVIDIA GeForce RTX 4090",
                "GPU-aaaa0000-0000-0000-0000-000000000001",
            ),
            device(
                "00000000:21:00.0",
                "NVIDIA GeForce RTX 3090",
                "GPU-bbbb0000-0000-0000-0000-000000000002",
            ),
            device(
                "00000000:41:00.0",
                "NVIDIA RTX A2000",
                "GPU-cccc0000-0000-0000-0000-000000000003",
            ),
        ],
    );
    let env = nvml.configure(env(&m, &tmp));
    let pick = |spec: &str| -> Value {
        let run = env.run(&["--dry-run", "--json", "--strict", "--gpu", spec, "true"]);
        assert_eq!(run.status, 0, "{spec}: {run:?}");
        run.json()["gpu"]["pci"].clone()
    };
    assert_eq!(
        pick("GPU-cccc0000-0000-0000-0000-000000000003"),
        "0000:41:00.0"
    );
    assert_eq!(
        pick("GPU-BBBB0000-0000-0000-0000-000000000002"),
        "0000:21:00.0"
    );
    assert_eq!(pick("name:a2000"), "0000:41:00.0");
    assert_eq!(pick("name:RTX 4090"), "0000:01:00.0");
    assert_eq!(nvml.inits(), 4, "one init per run that needed it");

    // No match under --strict: 125.
    let run = env.run(&["--dry-run", "--strict", "--gpu", "name:radeon", "true"]);
    assert_eq!(run.status, 125, "{run:?}");

    // Names from pci.ids select without NVML (the AMD dGPU stays asleep).
    let m = fixture::intel_amd_laptop();
    let run = self::env(&m, &tmp).run(&["--dry-run", "--json", "--gpu", "name:navi", "true"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(run.json()["gpu"]["pci"], "0000:03:00.0");
}

#[test]
fn status_shows_the_details_of_awake_gpus() {
    let tmp = tempfile::tempdir().unwrap();
    let m = fixture::intel_nvidia_laptop_awake();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let awake = nvml.configure(env(&m, &tmp));
    let run = awake.run(&["--status", "--json"]);
    assert_eq!(run.status, 0, "{run:?}");
    let nv = &run.json()["gpus"][1];
    assert_eq!(nv["name"], RTX, "{nv}");
    assert_eq!(nv["temperature_c"], 45, "{nv}");
    let run = awake.run(&["--status"]);
    assert!(run.stdout.contains("45°C"), "{}", run.stdout);
    assert_eq!(nvml.inits(), 2);

    // A sleeping NVIDIA GPU is not woken for them.
    let m = fixture::intel_nvidia_laptop();
    let nvml = FakeNvml::new(Variant::Full, &rtx());
    let run = nvml.configure(env(&m, &tmp)).run(&["--status", "--json"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(nvml.inits(), 0);
    assert!(run.json()["gpus"][1]["uuid"].is_null());
}
