//! `--doctor` on fixture machines: a healthy machine passes (exit 0), each
//! broken piece fails its own check (exit 1), warnings alone do not fail, and
//! the JSON has the contract's shape. Files outside sysfs (libraries,
//! manifests, /dev/dri) come from a fake root in `GPU_LAUNCH_DATA_ROOT`.

use std::path::Path;

use crate::common::fake_nvml::{FakeNvml, Variant, device};
use crate::common::fixture::{self, Builder, Fixture, PciDev, VGA};
use crate::common::{Env, Run};
use serde_json::Value;

/// A fake `/` with what the user space of a machine may have.
struct Data {
    dir: tempfile::TempDir,
}

const NVIDIA_FILES: &[&str] = &[
    "usr/lib/libGLX_nvidia.so.0",
    "usr/share/glvnd/egl_vendor.d/10_nvidia.json",
    "usr/share/vulkan/icd.d/nvidia_icd.json",
    "usr/share/vulkan/implicit_layer.d/nvidia_layers.json",
];
const MESA_LAYER: &str = "usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json";

impl Data {
    /// Render nodes 128..=130 (mode 0666), NVIDIA's and Mesa's files.
    fn complete() -> Self {
        let d = Data {
            dir: tempfile::tempdir().unwrap(),
        };
        for n in 128..=130 {
            d.put(&format!("dev/dri/renderD{n}"), "");
            set_mode(&d.dir.path().join(format!("dev/dri/renderD{n}")), 0o666);
        }
        for f in NVIDIA_FILES.iter().chain([&MESA_LAYER]) {
            d.put(f, "{}\n");
        }
        d
    }

    fn put(&self, rel: &str, text: &str) {
        put(self.dir.path(), rel, text);
    }

    fn without(self, rel: &str) -> Self {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap();
        self
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The awake Intel + NVIDIA laptop with nvidia-drm loaded (modeset=Y).
fn nvidia_laptop() -> Fixture {
    let m = fixture::intel_nvidia_laptop_awake();
    put(m.root(), "module/nvidia_drm/parameters/modeset", "Y\n");
    m
}

/// An environment for machine `m` whose files outside sysfs are `data`'s.
fn machine_env(m: &Fixture, data: &Data) -> Env {
    Env::new(m.root()).set("GPU_LAUNCH_DATA_ROOT", data.path())
}

/// Just an Intel iGPU.
fn intel_only(b: &Builder) {
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x9a49, VGA, "i915")
            .boot_vga()
            .nodes(0, 128),
    );
}

fn nvml() -> FakeNvml {
    FakeNvml::new(
        Variant::Full,
        &[device(
            "00000000:01:00.0",
            "NVIDIA GeForce RTX 4060 Laptop GPU",
            "GPU-1",
        )],
    )
}

fn doctor(env: &Env, extra: &[&str]) -> (Run, Vec<Value>) {
    let mut args = vec!["--doctor", "--json"];
    args.extend(extra);
    let run = env.run(&args);
    let doc = run.json();
    let checks = check_shape(&doc);
    (run, checks)
}

/// `{"checks": [{"name", "status", "detail", "hint"}]}`, strings only, status
/// one of ok/warn/fail, a hint for every check that is not ok.
fn check_shape(doc: &Value) -> Vec<Value> {
    let obj = doc.as_object().expect("an object");
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["checks"], "{doc}");
    let checks = obj["checks"]
        .as_array()
        .expect("checks is an array")
        .clone();
    assert!(!checks.is_empty());
    for c in &checks {
        let o = c.as_object().expect("a check is an object");
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["detail", "hint", "name", "status"], "{c}");
        assert!(o.values().all(Value::is_string), "{c}");
        let status = c["status"].as_str().unwrap();
        assert!(["ok", "warn", "fail"].contains(&status), "{c}");
        assert!(!c["detail"].as_str().unwrap().is_empty(), "{c}");
        if status != "ok" {
            assert!(!c["hint"].as_str().unwrap().is_empty(), "{c}");
        }
    }
    checks
}

fn status_of<'a>(checks: &'a [Value], name: &str) -> &'a str {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {checks:#?}"))["status"]
        .as_str()
        .unwrap()
}

fn detail_of<'a>(checks: &'a [Value], name: &str) -> &'a str {
    checks.iter().find(|c| c["name"] == name).unwrap()["detail"]
        .as_str()
        .unwrap()
}

#[test]
fn a_healthy_nvidia_laptop_passes() {
    let m = nvidia_laptop();
    let data = Data::complete();
    let nvml = nvml();
    let env = nvml.configure(machine_env(&m, &data));
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    for name in [
        "gpus",
        "driver:0000:00:02.0",
        "driver:0000:01:00.0",
        "render_node:renderD128",
        "render_node:renderD129",
        "runtime_pm:0000:01:00.0",
        "nvidia_drm_modeset",
        "nvml",
        "glx_vendor_library",
        "egl_vendor_file",
        "vulkan_icd",
        "vulkan_optimus_layer",
        "environment",
        "config",
        "session",
    ] {
        assert_eq!(status_of(&checks, name), "ok", "{name}: {checks:#?}");
    }
    assert!(detail_of(&checks, "nvml").contains("550.54.14"));
    let gpus = detail_of(&checks, "gpus");
    assert!(gpus.contains("boot_vga = 1"), "{gpus}");
    assert!(gpus.contains("auto picks 1"), "{gpus}");
    assert!(gpus.contains("RTX 4060 Laptop GPU"), "{gpus}");
    // Only NVIDIA is offloaded to: Mesa's layer is not asked about.
    assert!(
        !checks
            .iter()
            .any(|c| c["name"] == "mesa_device_select_layer")
    );

    let text = env.run(&["--doctor"]);
    assert_eq!(text.status, 0, "{text:?}");
    assert!(
        text.stdout.ends_with("0 fail, 0 warn, 15 ok\n"),
        "{}",
        text.stdout
    );
}

/// Each case breaks one thing of a healthy machine; that check fails, and
/// only that one, and the run exits 1.
#[test]
fn each_broken_piece_fails_its_check() {
    type Case = (
        &'static str,
        fn() -> Fixture,
        fn(Data) -> Data,
        fn(Env) -> Env,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            "nvidia-drm not loaded, in a Wayland session",
            fixture::nvidia_without_drm,
            |d| d,
            |e| e.set("WAYLAND_DISPLAY", "wayland-1"),
            "nvidia_drm_modeset",
        ),
        (
            "no GLX library",
            nvidia_laptop,
            |d| d.without(NVIDIA_FILES[0]),
            |e| e,
            "glx_vendor_library",
        ),
        (
            "no EGL vendor file",
            nvidia_laptop,
            |d| d.without(NVIDIA_FILES[1]),
            |e| e,
            "egl_vendor_file",
        ),
        (
            "no Vulkan ICD",
            nvidia_laptop,
            |d| d.without(NVIDIA_FILES[2]),
            |e| e,
            "vulkan_icd",
        ),
        (
            "no render node",
            nvidia_laptop,
            |d| d.without("dev/dri/renderD129"),
            |e| e,
            "render_node:renderD129",
        ),
        (
            "a display device without driver",
            || {
                let b = Builder::new();
                intel_only(&b);
                b.pci(
                    PciDev::new("0000:01:00.0", 0x10de, 0x2504, VGA, "nvidia")
                        .behind(&["0000:00:01.0"])
                        .unbound(),
                );
                b.build()
            },
            |d| d,
            |e| e,
            "driver:0000:01:00.0",
        ),
        (
            "a driver list naming a missing file",
            nvidia_laptop,
            |d| d,
            |e| e.set("VK_ICD_FILENAMES", "/nonexistent/nvidia_icd.json"),
            "environment",
        ),
        (
            "a malformed config",
            nvidia_laptop,
            |d| d,
            |e| e.config("gpu = \n"),
            "config",
        ),
        ("no GPU", fixture::no_gpu, |d| d, |e| e, "gpus"),
    ];
    for (what, machine, data, env, failing) in cases {
        let m = machine();
        let data = data(Data::complete());
        let nvml = nvml();
        let env = env(nvml.configure(machine_env(&m, &data)));
        let (run, checks) = doctor(&env, &[]);
        assert_eq!(run.status, 1, "{what}: {checks:#?}");
        assert_eq!(status_of(&checks, failing), "fail", "{what}: {checks:#?}");
        let failed: Vec<&Value> = checks.iter().filter(|c| c["status"] == "fail").collect();
        assert_eq!(failed.len(), 1, "{what}: only {failing} fails: {failed:#?}");
    }
}

#[test]
fn unusable_session_state_fails_its_check() {
    let m = nvidia_laptop();
    let data = Data::complete();
    let nvml = nvml();
    let runtime = tempfile::tempdir().unwrap();
    let env = nvml
        .configure(machine_env(&m, &data))
        .set("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap());
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    let dir = runtime.path().join("gpu-launch");
    let detail = format!("mode hybrid; next launch: as usual ({})", dir.display());
    assert_eq!(detail_of(&checks, "session"), detail);
    // A runtime dir others can write fails even with no state in it yet.
    set_mode(runtime.path(), 0o777);
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 1, "{checks:#?}");
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["session"]);
    assert!(detail_of(&checks, "session").contains("writable by others"));
}

#[test]
fn the_text_report_names_the_failure_and_its_hint() {
    let m = nvidia_laptop();
    let data = Data::complete().without(NVIDIA_FILES[0]);
    let env = machine_env(&m, &data);
    let run = env.run(&["--doctor"]);
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("FAIL  glx_vendor_library: libGLX_nvidia.so.0 not found"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("      hint: install the NVIDIA driver's GL libraries")
    );
    assert!(run.stdout.contains("\n1 fail, "), "{}", run.stdout);
}

/// Warnings: worth knowing, but exit 0.
#[test]
fn warnings_do_not_fail() {
    // An eGPU enclosure Thunderbolt has not authorised.
    let b = Builder::new();
    intel_only(&b);
    b.thunderbolt("0-1", false, "Core X Chroma");
    let m = b.build();
    let data = Data::complete();
    let env = machine_env(&m, &data);
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(status_of(&checks, "thunderbolt:0-1"), "warn");
    assert!(detail_of(&checks, "thunderbolt:0-1").contains("Core X Chroma"));
    let hint = checks
        .iter()
        .find(|c| c["name"] == "thunderbolt:0-1")
        .unwrap()["hint"]
        .as_str()
        .unwrap();
    assert!(hint.contains("boltctl"), "{hint}");
    // Authorised, it is fine.
    let b = Builder::new();
    intel_only(&b);
    b.thunderbolt("0-1", true, "Core X Chroma");
    let m = b.build();
    let (_, checks) = doctor(&machine_env(&m, &data), &[]);
    assert_eq!(status_of(&checks, "thunderbolt"), "ok");

    // Selection variables exported session-wide.
    let m = nvidia_laptop();
    let env = machine_env(&m, &data)
        .set("DRI_PRIME", "1")
        .set("__GLX_VENDOR_LIBRARY_NAME", "nvidia");
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(status_of(&checks, "environment"), "warn");
    assert!(detail_of(&checks, "environment").contains("DRI_PRIME, __GLX_VENDOR_LIBRARY_NAME"));
    // No NVML library on a fake machine: a warning.
    assert_eq!(status_of(&checks, "nvml"), "warn");

    // A dGPU that never sleeps; nvidia_drm.modeset=N.
    put(
        m.root(),
        "devices/pci0000:00/0000:00:01.0/0000:01:00.0/power/control",
        "on\n",
    );
    put(m.root(), "module/nvidia_drm/parameters/modeset", "N\n");
    let (run, checks) = doctor(&machine_env(&m, &data), &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(status_of(&checks, "runtime_pm:0000:01:00.0"), "warn");
    assert_eq!(status_of(&checks, "nvidia_drm_modeset"), "warn");

    // nvidia-drm not loaded outside Wayland: X11 GLX offload still works.
    let m = fixture::nvidia_without_drm();
    let (run, checks) = doctor(&machine_env(&m, &data), &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(status_of(&checks, "nvidia_drm_modeset"), "warn");

    // Offload to an AMD dGPU without Mesa's device-select layer.
    let m = fixture::intel_amd_laptop();
    let (_, checks) = doctor(&machine_env(&m, &data), &[]);
    assert_eq!(status_of(&checks, "mesa_device_select_layer"), "ok");
    let data = Data::complete().without(MESA_LAYER);
    let (run, checks) = doctor(&machine_env(&m, &data), &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(status_of(&checks, "mesa_device_select_layer"), "warn");
}

#[test]
fn doctor_keeps_a_suspended_gpu_asleep_unless_woken() {
    let m = fixture::intel_nvidia_laptop();
    put(m.root(), "module/nvidia_drm/parameters/modeset", "Y\n");
    let data = Data::complete();
    let nvml = nvml();
    let env = nvml.configure(machine_env(&m, &data));
    let (run, checks) = doctor(&env, &[]);
    assert_eq!(run.status, 0, "{checks:#?}");
    assert_eq!(nvml.inits(), 0);
    assert_eq!(status_of(&checks, "nvml"), "ok");
    assert!(detail_of(&checks, "nvml").contains("suspended"));

    let (_, checks) = doctor(&env, &["--wake"]);
    assert_eq!(nvml.inits(), 1);
    assert!(detail_of(&checks, "nvml").contains("550.54.14"));
}

#[test]
fn render_nodes_on_a_fake_machine_need_a_data_root() {
    let m = nvidia_laptop();
    let (_, checks) = doctor(&Env::new(m.root()), &[]);
    assert_eq!(status_of(&checks, "render_nodes"), "warn");
    assert!(!checks.iter().any(|c| c["name"] == "render_node:renderD128"));
}

/// A node the user may not open fails, with a hint. Root may open anything,
/// so as root the doctor runs as `nobody` (uid 65534), from a copy of the
/// binary that user may reach (the checkout may sit under `/root`).
#[test]
fn a_render_node_the_user_cannot_open_fails() {
    let m = nvidia_laptop();
    let data = Data::complete();
    let env = machine_env(&m, &data);
    set_mode(&data.dir.path().join("dev/dri/renderD129"), 0o660);
    let run: Run = if crate::common::is_root() {
        // Let nobody read the fake machine, the fake root and the config home.
        for dir in [m.root(), data.dir.path(), env.home.path()] {
            set_mode(dir, 0o755);
        }
        let (mut cmd, _bin) = env.command_as(65534, &["--doctor", "--json"]);
        cmd.output().unwrap().into()
    } else {
        set_mode(&data.dir.path().join("dev/dri/renderD129"), 0o000);
        env.run(&["--doctor", "--json"])
    };
    let checks = check_shape(&run.json());
    assert_eq!(run.status, 1, "{checks:#?}");
    assert_eq!(status_of(&checks, "render_node:renderD129"), "fail");
    assert_eq!(status_of(&checks, "render_node:renderD128"), "ok");
    assert!(!hint_of(&checks, "render_node:renderD129").is_empty());
}

fn hint_of<'a>(checks: &'a [Value], name: &str) -> &'a str {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {checks:#?}"))["hint"]
        .as_str()
        .unwrap()
}

/// On NixOS (`/etc/NIXOS`, or `ID=nixos` in os-release, under the data
/// root) the hints name the NixOS options, and a `nixos` check gives the
/// PRIME bus ids of this machine in NixOS's decimal form; elsewhere the
/// packages.
#[test]
fn on_nixos_the_hints_name_nixos_options() {
    let m = fixture::intel_nvidia_laptop_awake();
    put(m.root(), "module/nvidia_drm/parameters/modeset", "N\n");
    let broken = || Data::complete().without(NVIDIA_FILES[0]);

    let debian = broken();
    debian.put("etc/os-release", "ID=debian\n");
    let (_, checks) = doctor(&machine_env(&m, &debian), &[]);
    assert!(hint_of(&checks, "glx_vendor_library").contains("Debian: libglx-nvidia0"));
    assert!(hint_of(&checks, "nvidia_drm_modeset").contains("nvidia_drm.modeset=1"));
    assert!(!checks.iter().any(|c| c["name"] == "nixos"));

    for marker in [
        ("etc/NIXOS", ""),
        ("etc/os-release", "NAME=NixOS\nID=nixos\n"),
    ] {
        let nixos = broken();
        nixos.put(marker.0, marker.1);
        let (run, checks) = doctor(&machine_env(&m, &nixos), &[]);
        assert_eq!(run.status, 1, "{checks:#?}");
        assert_eq!(status_of(&checks, "nixos"), "ok");
        assert!(
            hint_of(&checks, "nixos").starts_with(
                "hardware.nvidia.prime.offload.enable = true; \
                 hardware.nvidia.prime.nvidiaBusId = \"PCI:1:0:0\"; \
                 hardware.nvidia.prime.intelBusId = \"PCI:0:2:0\"; \
                 programs.gpu-launch.enable = true"
            ),
            "{checks:#?}"
        );
        let glx = hint_of(&checks, "glx_vendor_library");
        assert!(glx.contains("hardware.graphics.enable = true"), "{glx}");
        assert!(!glx.contains("Debian"), "{glx}");
        let modeset = hint_of(&checks, "nvidia_drm_modeset");
        assert!(
            modeset.starts_with("hardware.nvidia.modesetting.enable = true"),
            "{modeset}"
        );
    }
}
