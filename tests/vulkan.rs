//! The real-client Vulkan test: does a Vulkan program started through
//! gpu-launch land on the GPU gpu-launch chose?
//!
//! Everything between gpu-launch and the program's device list is the real
//! thing, from Debian packages (`.ci/run` installs them): the Vulkan loader
//! (libvulkan1, libvulkan-dev) and Mesa's device-select layer, an implicit
//! layer on nearly every distribution, NVIDIA systems included
//! (mesa-vulkan-drivers, which also brings lavapipe). Only the drivers are
//! fake: `tests/clients/vulkan/mock_icd.c`, built here with `cc`, copied once
//! per kernel-driver family with every GPU of that family (as RADV reports
//! both GPUs of an AMD APU + AMD dGPU laptop), each GPU with the fixture's
//! vendor/device ids, a device type and its PCI address through
//! `VK_EXT_pci_bus_info`. Their manifests are named as the real ones
//! (`intel_icd.x86_64.json`, `radeon_icd.x86_64.json`, `nvidia_icd.json`,
//! `nouveau_icd.x86_64.json`, `virtio_icd.x86_64.json`), so the loader's
//! file-name filters (`VK_LOADER_DRIVERS_DISABLE=*nvidia*`) match as on a
//! real system, and they are reached through `VK_DRIVER_FILES`, with and
//! without the real lavapipe manifest.
//!
//! The layer reads `boot_vga` and PCI `config` under `/sys`. The program,
//! `tests/clients/vulkan/vkprobe.c`, is linked with
//! `tests/clients/sysfs_shim.c` (and `-rdynamic`), which sends its
//! `/sys` reads to the fixture machine (`SYSFS_SHIM_ROOT`): the executable's
//! `open` comes first in the global symbol scope, so the loader and the layer
//! it dlopens call it. Linked in rather than `LD_PRELOAD`ed: a preloaded shim
//! would also load into gpu-launch's own process, which must be tested as it
//! ships (reading the fixture only through `GPU_LAUNCH_SYSFS_ROOT`), and the
//! environment gpu-launch hands over stays exactly its plan plus the
//! caller's. (Both ways gave the same results when the harness was built.)
//!
//! For every fixture shape with PCI GPUs (`fixture::all()` but `no_gpu` and
//! `arm_soc`, whose GPU has no PCI address the mock could report), plus two
//! compositor variants, for the SPECs `auto`, `default`, `integrated`,
//! `discrete` and each GPU's PCI address, for a Vulkan 1.0 and a 1.3
//! program, with and without lavapipe: a real launch, `gpu-launch --gpu SPEC
//! -- vkprobe --api 1.0|1.3`, whose first device is compared with `gpu.pci`
//! of `--dry-run --json` under the same environment. Each run has a
//! watchdog in vkprobe and a kill timeout here (a driver missing a required
//! entry point hangs the loader). When the plan hides NVIDIA, the NVIDIA
//! mock must never be loaded at all (its constructor logs).
//!
//! Not every case lands. Where the contract sets nothing (the default GPU in
//! mode hybrid) or cannot name the GPU (identical ids), the program goes
//! where Mesa's layer sends it, and Mesa 22.3 sends some elsewhere. Those
//! cases are listed in [`KNOWN_DIVERGENCES`], with where they land, and the
//! test fails if the set changes either way: a new divergence is a bug, a
//! vanished one means docs/CLIENTS.md (which lists them, with the reasons,
//! and the counts this test checks) must be updated.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::bin;
use crate::common::fixture::{self, Fixture};

/// The device-select layer's manifest (mesa-vulkan-drivers).
const LAYER: &str = "/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json";
/// Where the real drivers' manifests are; lavapipe's is `lvp_icd.<arch>.json`.
const ICD_DIR: &str = "/usr/share/vulkan/icd.d";
/// The loader's driver interface header (libvulkan-dev).
const VK_ICD_H: &str = "/usr/include/vulkan/vk_icd.h";

/// How long one program may run before it is killed (vkprobe's own
/// watchdog fires at 20 s).
const KILL_AFTER: Duration = Duration::from_secs(60);

/// The cases that do not land on the chosen GPU with Debian 12's loader
/// (1.3.239) and Mesa (22.3.6), and where they land instead (a PCI address,
/// or `llvmpipe`). Grouped by reason; docs/CLIENTS.md explains each group.
#[rustfmt::skip]
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[
    // (a) The default GPU, mode hybrid (nothing set), Vulkan 1.0: Mesa's 1.0
    // path walks /sys/class/drm/card0, card1, ... for `device/boot_vga` and
    // gives up at the first card without one. Here card0's device has none:
    // a dGPU whose PCI class (3D or display controller) has no boot_vga, or
    // virtio-gpu, whose card hangs off the `virtio0` child. The layer then
    // takes the loader's first device: the discrete GPU.
    ("amd_amd_laptop --gpu 0000:c4:00.0 api 1.0", "0000:03:00.0"),
    ("amd_amd_laptop --gpu 0000:c4:00.0 api 1.0 +lvp", "0000:03:00.0"),
    ("amd_amd_laptop --gpu default api 1.0", "0000:03:00.0"),
    ("amd_amd_laptop --gpu default api 1.0 +lvp", "0000:03:00.0"),
    ("amd_amd_laptop --gpu integrated api 1.0", "0000:03:00.0"),
    ("amd_amd_laptop --gpu integrated api 1.0 +lvp", "0000:03:00.0"),
    ("intel_nvidia_laptop --gpu 0000:00:02.0 api 1.0", "0000:01:00.0"),
    ("intel_nvidia_laptop --gpu 0000:00:02.0 api 1.0 +lvp", "0000:01:00.0"),
    ("intel_nvidia_laptop --gpu default api 1.0", "0000:01:00.0"),
    ("intel_nvidia_laptop --gpu default api 1.0 +lvp", "0000:01:00.0"),
    ("intel_nvidia_laptop --gpu integrated api 1.0", "0000:01:00.0"),
    ("intel_nvidia_laptop --gpu integrated api 1.0 +lvp", "0000:01:00.0"),
    ("vm_passthrough --gpu 0000:00:01.0 api 1.0", "0000:06:00.0"),
    ("vm_passthrough --gpu 0000:00:01.0 api 1.0 +lvp", "0000:06:00.0"),
    ("vm_passthrough --gpu default api 1.0", "0000:06:00.0"),
    ("vm_passthrough --gpu default api 1.0 +lvp", "0000:06:00.0"),
    ("vm_passthrough --gpu integrated api 1.0", "0000:06:00.0"),
    ("vm_passthrough --gpu integrated api 1.0 +lvp", "0000:06:00.0"),
    // (b) The default GPU chosen by `boot_display` or, with neither
    // attribute anywhere, by the first-integrated rule (nothing set): no GPU has
    // boot_vga = 1 (a display-controller-class iGPU), and Mesa's layer, which
    // does not read boot_display, takes the loader's first device: the dGPU.
    ("hybrid_boot_display --gpu 0000:c5:00.0 api 1.0", "0000:01:00.0"),
    ("hybrid_boot_display --gpu 0000:c5:00.0 api 1.0 +lvp", "0000:01:00.0"),
    ("hybrid_boot_display --gpu 0000:c5:00.0 api 1.3", "0000:01:00.0"),
    ("hybrid_boot_display --gpu 0000:c5:00.0 api 1.3 +lvp", "0000:01:00.0"),
    ("hybrid_boot_display --gpu default api 1.0", "0000:01:00.0"),
    ("hybrid_boot_display --gpu default api 1.0 +lvp", "0000:01:00.0"),
    ("hybrid_boot_display --gpu default api 1.3", "0000:01:00.0"),
    ("hybrid_boot_display --gpu default api 1.3 +lvp", "0000:01:00.0"),
    ("hybrid_boot_display --gpu integrated api 1.0", "0000:01:00.0"),
    ("hybrid_boot_display --gpu integrated api 1.0 +lvp", "0000:01:00.0"),
    ("hybrid_boot_display --gpu integrated api 1.3", "0000:01:00.0"),
    ("hybrid_boot_display --gpu integrated api 1.3 +lvp", "0000:01:00.0"),
    // The same with no boot attribute at all (the first-integrated rule
    // names the APU; Mesa takes the loader's first device).
    ("amd_laptop_no_boot_attrs --gpu 0000:c4:00.0 api 1.0", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu 0000:c4:00.0 api 1.0 +lvp", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu 0000:c4:00.0 api 1.3", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu 0000:c4:00.0 api 1.3 +lvp", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu default api 1.0", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu default api 1.0 +lvp", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu default api 1.3", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu default api 1.3 +lvp", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu integrated api 1.0", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu integrated api 1.0 +lvp", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu integrated api 1.3", "0000:03:00.0"),
    ("amd_laptop_no_boot_attrs --gpu integrated api 1.3 +lvp", "0000:03:00.0"),
    // (c) The default GPU is the compositor's (AQ_DRM_DEVICES, Hyprland's
    // internal-panel rule), not the boot_vga GPU; nothing is set, and
    // Mesa's layer puts the boot_vga GPU first (Vulkan 1.0: card0's device,
    // which may agree by accident).
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu 0000:01:00.0 api 1.3", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu 0000:01:00.0 api 1.3 +lvp", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu auto api 1.3", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu auto api 1.3 +lvp", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu default api 1.3", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu default api 1.3 +lvp", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu discrete api 1.3", "0000:00:02.0"),
    ("intel_nvidia_laptop AQ_DRM_DEVICES=/dev/dri/card0 --gpu discrete api 1.3 +lvp", "0000:00:02.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu 0000:00:02.0 api 1.0", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu 0000:00:02.0 api 1.0 +lvp", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu 0000:00:02.0 api 1.3", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu 0000:00:02.0 api 1.3 +lvp", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu default api 1.0", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu default api 1.0 +lvp", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu default api 1.3", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu default api 1.3 +lvp", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu integrated api 1.0", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu integrated api 1.0 +lvp", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu integrated api 1.3", "0000:01:00.0"),
    ("laptop_vga_on_dgpu_panel_on_igpu HYPRLAND_INSTANCE_SIGNATURE=test --gpu integrated api 1.3 +lvp", "0000:01:00.0"),
    // (d) An NVIDIA GPU whose ids another GPU shares: MESA_VK_DEVICE_SELECT
    // cannot name it and DRI_PRIME is not set for NVIDIA, so Mesa's layer
    // puts the boot_vga GPU first (NVIDIA's own layer, which the mocks do not
    // model, keeps NVIDIA devices only: both cards).
    ("desktop_three_nvidia --gpu 0000:21:00.0 api 1.0", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:21:00.0 api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:21:00.0 api 1.3", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:21:00.0 api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:41:00.0 api 1.0", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:41:00.0 api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:41:00.0 api 1.3", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu 0000:41:00.0 api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu auto api 1.0", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu auto api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu auto api 1.3", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu auto api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu discrete api 1.0", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu discrete api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu discrete api 1.3", "0000:01:00.0"),
    ("desktop_three_nvidia --gpu discrete api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu 0000:02:00.0 api 1.0", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu 0000:02:00.0 api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu 0000:02:00.0 api 1.3", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu 0000:02:00.0 api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu auto api 1.0", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu auto api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu auto api 1.3", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu auto api 1.3 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu discrete api 1.0", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu discrete api 1.0 +lvp", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu discrete api 1.3", "0000:01:00.0"),
    ("desktop_two_identical_nvidia --gpu discrete api 1.3 +lvp", "0000:01:00.0"),
    // (e) A Mesa GPU whose ids another GPU shares (the iGPU's SR-IOV
    // functions): only DRI_PRIME names it, and Mesa before 23.1 compares the
    // tag inverted (Vulkan 1.1+: the last device whose tag differs; Vulkan
    // 1.0 has no bus info: the last device), or llvmpipe when lavapipe is
    // installed.
    ("intel_sriov_dgpu --gpu 0000:00:02.1 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.1 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.1 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.1 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.2 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.2 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.2 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.2 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.3 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.3 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.3 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.3 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.4 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.4 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.4 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.4 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.5 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.5 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.5 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.5 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.6 api 1.0", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.6 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.6 api 1.3", "0000:00:02.7"),
    ("intel_sriov_dgpu --gpu 0000:00:02.6 api 1.3 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.7 api 1.0 +lvp", "llvmpipe"),
    ("intel_sriov_dgpu --gpu 0000:00:02.7 api 1.3", "0000:00:02.6"),
    ("intel_sriov_dgpu --gpu 0000:00:02.7 api 1.3 +lvp", "llvmpipe"),
];

/// The built C programs, once per test binary.
struct Toolchain {
    /// The mock driver, copied per family.
    mock: PathBuf,
    /// vkprobe with the sysfs shim linked in.
    vkprobe: PathBuf,
    /// The real lavapipe manifest.
    lavapipe: PathBuf,
}

/// The toolchain; a missing package fails the test, naming it.
fn toolchain() -> &'static Toolchain {
    static TC: OnceLock<Toolchain> = OnceLock::new();
    TC.get_or_init(|| {
        build_toolchain().unwrap_or_else(|why| panic!("the real-client Vulkan test: {why}"))
    })
}

fn build_toolchain() -> Result<Toolchain, String> {
    crate::common::installed(VK_ICD_H, "libvulkan-dev");
    crate::common::installed(LAYER, "mesa-vulkan-drivers");
    let lavapipe = fs::read_dir(ICD_DIR)
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("lvp_icd."))
            })
        })
        .unwrap_or_else(|| {
            crate::common::missing(
                &format!("{ICD_DIR}/lvp_icd.*.json (lavapipe)"),
                "mesa-vulkan-drivers",
            )
        });
    let src = crate::common::source("tests/clients/vulkan");
    let dir = std::env::temp_dir().join(format!("gpu-launch-vulkan-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cc = |args: &[&std::ffi::OsStr]| -> Result<(), String> {
        let out = Command::new("cc")
            .args(["-O1", "-Wall", "-Wextra", "-std=gnu11"])
            .args(args)
            .output()
            .map_err(|e| format!("cc: {e}: install the Debian package gcc"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "cc failed (libvulkan-dev and libvulkan1 installed?): {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let mock = dir.join("libmock_icd.so");
    cc(&[
        "-fPIC".as_ref(),
        "-shared".as_ref(),
        "-fvisibility=hidden".as_ref(),
        "-o".as_ref(),
        mock.as_os_str(),
        src.join("mock_icd.c").as_os_str(),
        "-ldl".as_ref(),
    ])?;
    let vkprobe = dir.join("vkprobe");
    cc(&[
        "-rdynamic".as_ref(),
        "-o".as_ref(),
        vkprobe.as_os_str(),
        src.join("vkprobe.c").as_os_str(),
        src.join("../sysfs_shim.c").as_os_str(),
        "-lvulkan".as_ref(),
        "-ldl".as_ref(),
    ])?;
    Ok(Toolchain {
        mock,
        vkprobe,
        lavapipe,
    })
}

/// The manifest name and mock name of the Vulkan driver that drives a GPU
/// of this kernel driver, named as the real driver's manifest is.
fn family(driver: &str) -> Option<(&'static str, &'static str)> {
    Some(match driver {
        "i915" | "xe" => ("intel", "intel_icd.x86_64.json"),
        "amdgpu" | "radeon" => ("radeon", "radeon_icd.x86_64.json"),
        "nvidia" => ("nvidia", "nvidia_icd.json"),
        "nouveau" => ("nouveau", "nouveau_icd.x86_64.json"),
        "virtio_gpu" => ("virtio", "virtio_icd.x86_64.json"),
        _ => return None,
    })
}

/// A fixture machine with its fake Vulkan drivers.
struct VkMachine {
    name: String,
    fixture: Fixture,
    dir: tempfile::TempDir,
    /// Compositor (or other) variables of this variant.
    vars: Vec<(&'static str, &'static str)>,
    /// `VK_DRIVER_FILES` without and with lavapipe.
    drivers: String,
    drivers_lvp: String,
    /// `--list --json`'s GPU objects.
    gpus: Vec<Value>,
}

impl VkMachine {
    fn new(
        tc: &Toolchain,
        name: &str,
        shape: fn() -> Fixture,
        vars: &[(&'static str, &'static str)],
    ) -> VkMachine {
        let fixture = shape();
        let dir = tempfile::Builder::new()
            .prefix("gpu-launch-vk-")
            .tempdir()
            .unwrap();
        fs::create_dir_all(dir.path().join("icd")).unwrap();
        fs::create_dir_all(dir.path().join("home")).unwrap();
        let mut m = VkMachine {
            name: name.to_owned(),
            fixture,
            dir,
            vars: vars.to_vec(),
            drivers: String::new(),
            drivers_lvp: String::new(),
            gpus: Vec::new(),
        };
        let list = m.command().args(["--list", "--json"]).output().unwrap();
        assert!(list.status.success(), "{name}: {list:?}");
        m.gpus = serde_json::from_slice::<Value>(&list.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone();
        let icd = m.dir.path().join("icd");
        let mut manifests = BTreeSet::new();
        for g in &m.gpus {
            let driver = g["driver"].as_str().unwrap_or("");
            let (fam, manifest) =
                family(driver).unwrap_or_else(|| panic!("{name}: no Vulkan driver for {driver}"));
            let so = icd.join(format!("libmock_{fam}.so"));
            let conf = icd.join(format!("libmock_{fam}.so.conf"));
            if !so.exists() {
                fs::copy(&tc.mock, &so).unwrap();
                fs::write(&conf, format!("name {fam}\n")).unwrap();
                let json = serde_json::json!({
                    "file_format_version": "1.0.0",
                    "ICD": { "library_path": so, "api_version": "1.3.239" },
                });
                fs::write(icd.join(manifest), json.to_string()).unwrap();
                manifests.insert(icd.join(manifest));
            }
            // A GPU's Vulkan device type: what its kind says; the iGPU's
            // SR-IOV functions are integrated GPUs to ANV.
            let kind = match (g["kind"].as_str().unwrap(), driver) {
                ("integrated", _) | ("virtual", "i915" | "xe") => "integrated",
                ("virtual", _) => "virtual",
                _ => "discrete",
            };
            let line = format!(
                "gpu {} {} {kind} {} mock {} {}\n",
                g["vendor_id"].as_str().unwrap(),
                g["device_id"].as_str().unwrap(),
                g["pci"].as_str().unwrap(),
                g["vendor"].as_str().unwrap_or("gpu"),
                g["pci"].as_str().unwrap(),
            );
            let mut text = fs::read_to_string(&conf).unwrap();
            text.push_str(&line);
            fs::write(&conf, text).unwrap();
        }
        // In name order, as a scan of /usr/share/vulkan/icd.d commonly gives.
        let list: Vec<String> = manifests.iter().map(|p| p.display().to_string()).collect();
        m.drivers = list.join(":");
        m.drivers_lvp = format!("{}:{}", m.drivers, tc.lavapipe.display());
        m
    }

    /// gpu-launch in a clean environment on this machine.
    fn command(&self) -> Command {
        self.clean(bin())
    }

    /// `program` with only this machine's variables: the fixture root for
    /// gpu-launch and the shim, vkprobe's watchdog, the variant's variables.
    fn clean(&self, program: &Path) -> Command {
        let home = self.dir.path().join("home");
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GPU_LAUNCH_SYSFS_ROOT", self.fixture.root())
            .env("SYSFS_SHIM_ROOT", self.fixture.root())
            .env("VKPROBE_TIMEOUT", "20");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    fn has_nvidia(&self) -> bool {
        self.gpus.iter().any(|g| g["driver"] == "nvidia")
    }

    /// The SPECs tried: the four words, then each GPU's PCI address.
    fn specs(&self) -> Vec<String> {
        let mut specs: Vec<String> = ["auto", "default", "integrated", "discrete"]
            .map(String::from)
            .to_vec();
        specs.extend(
            self.gpus
                .iter()
                .map(|g| g["pci"].as_str().unwrap().to_owned()),
        );
        specs
    }

    fn label(&self) -> String {
        let mut s = self.name.clone();
        for (k, v) in &self.vars {
            s.push_str(&format!(" {k}={v}"));
        }
        s
    }
}

/// Runs `cmd`, killing it after [`KILL_AFTER`]; its stdout and stderr are
/// small (a few lines), so they are read once it has ended.
fn run_bounded(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{what}: killed after {KILL_AFTER:?}: {out:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One case: a machine, a SPEC, an API version, lavapipe or not.
struct Case<'m> {
    machine: &'m VkMachine,
    spec: String,
    api: &'static str,
    lavapipe: bool,
}

impl Case<'_> {
    fn key(&self) -> String {
        format!(
            "{} --gpu {} api {}{}",
            self.machine.label(),
            self.spec,
            self.api,
            if self.lavapipe { " +lvp" } else { "" }
        )
    }
}

/// What one case gave.
struct Outcome {
    key: String,
    /// `gpu.pci` of the plan.
    chosen: String,
    /// The program's first device (a PCI address, or `llvmpipe`).
    first: String,
}

fn run_case(tc: &Toolchain, case: &Case<'_>, n: usize) -> Outcome {
    let m = case.machine;
    let key = case.key();
    let drivers = if case.lavapipe {
        &m.drivers_lvp
    } else {
        &m.drivers
    };
    let with_env = |extra: &[&str], log: &Path| {
        let mut c = m.command();
        c.env("VK_DRIVER_FILES", drivers).env("MOCK_ICD_LOG", log);
        c.args(extra)
            .args(["--gpu", &case.spec, "--"])
            .arg(&tc.vkprobe)
            .args(["--api", case.api]);
        c
    };
    let log = m.dir.path().join(format!("mock-{n}.log"));
    let dry = run_bounded(with_env(&["--dry-run", "--json"], &log), &key);
    assert!(dry.status.success(), "{key}: --dry-run: {dry:?}");
    let plan: Value = serde_json::from_slice(&dry.stdout).unwrap();
    let chosen = plan["gpu"]["pci"]
        .as_str()
        .unwrap_or_else(|| panic!("{key}: {plan:#}"))
        .to_owned();
    let hides = plan["env"].get("VK_LOADER_DRIVERS_DISABLE").is_some();
    // The launch, and what the mock drivers logged.
    let launch = |log: &Path, debug: bool| {
        let mut cmd = with_env(&[], log);
        if debug {
            cmd.env("VK_LOADER_DEBUG", "error,warn,driver");
        }
        let out = run_bounded(cmd, &key);
        let events = fs::read_to_string(log).unwrap_or_default();
        let nvidia_loaded = events
            .lines()
            .any(|l| l.split(' ').nth(1) == Some("nvidia"));
        (out, events, nvidia_loaded)
    };
    let (mut out, mut events, mut nvidia_loaded) = launch(&log, false);
    // Without the filter, the NVIDIA driver loads. Once (about one case in
    // a few thousand, only with the whole suite running on a loaded 2-core
    // machine) the loader did not load it, with the same plan: that case
    // runs again with the loader's driver log, and must then hold.
    let mut first_try = None;
    if !hides && m.has_nvidia() && !nvidia_loaded {
        let again = m.dir.path().join(format!("mock-{n}-again.log"));
        first_try = Some(format!(
            "first run, NVIDIA's driver not loaded: {}\n{events}",
            String::from_utf8_lossy(&out.stdout)
        ));
        eprintln!("vulkan: {key}: NVIDIA's driver was not loaded; running the case again");
        (out, events, nvidia_loaded) = launch(&again, true);
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let ctx = || {
        format!(
            "{key}\nplan: {plan}\nvkprobe: {}\n{stdout}{}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            first_try.as_deref().unwrap_or("")
        )
    };
    assert!(out.status.success(), "the program failed: {}", ctx());
    assert!(stdout.contains("\ncreated-device "), "{}", ctx());
    let first = stdout
        .lines()
        .find_map(|l| l.strip_prefix("first "))
        .and_then(|l| l.split_once(" pci="))
        .map(|(_, pci)| {
            if pci == "none" {
                "llvmpipe".to_owned()
            } else {
                pci.to_owned()
            }
        })
        .unwrap_or_else(|| panic!("no first device: {}", ctx()));
    if hides {
        assert!(
            !nvidia_loaded,
            "the plan hides NVIDIA, yet its driver was loaded: {}\n{events}",
            ctx()
        );
    } else if m.has_nvidia() {
        // The filter is what keeps it out: without it, the driver loads.
        assert!(nvidia_loaded, "{}\n{events}", ctx());
    }
    Outcome { key, chosen, first }
}

/// The package versions measured, for failure messages.
fn versions() -> String {
    Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${Package} ${Version}; ",
            "libvulkan1",
            "mesa-vulkan-drivers",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|_| "unknown (no dpkg-query)".into())
}

/// The machines: every shape with PCI GPUs, and two compositor variants
/// whose default GPU is not the boot_vga one.
fn machines(tc: &Toolchain) -> Vec<VkMachine> {
    let mut out: Vec<VkMachine> = fixture::all()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "no_gpu" | "arm_soc"))
        .map(|(name, shape)| VkMachine::new(tc, name, shape, &[]))
        .collect();
    out.push(VkMachine::new(
        tc,
        "intel_nvidia_laptop",
        fixture::intel_nvidia_laptop,
        &[("AQ_DRM_DEVICES", "/dev/dri/card0")],
    ));
    out.push(VkMachine::new(
        tc,
        "laptop_vga_on_dgpu_panel_on_igpu",
        fixture::laptop_vga_on_dgpu_panel_on_igpu,
        &[("HYPRLAND_INSTANCE_SIGNATURE", "test")],
    ));
    out
}

#[test]
fn vulkan_programs_land_on_the_chosen_gpu() {
    let tc = toolchain();
    let machines = machines(tc);
    let mut cases = Vec::new();
    for m in &machines {
        for spec in m.specs() {
            for api in ["1.0", "1.3"] {
                for lavapipe in [false, true] {
                    cases.push(Case {
                        machine: m,
                        spec: spec.clone(),
                        api,
                        lavapipe,
                    });
                }
            }
        }
    }
    // Cases share nothing but the built programs: a few at a time.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let mut outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(case) = cases.get(n) else { break done };
                        done.push(run_case(tc, case, n));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    let diverged: BTreeMap<&str, &str> = outcomes
        .iter()
        .filter(|o| o.first != o.chosen)
        .map(|o| (o.key.as_str(), o.first.as_str()))
        .collect();
    let known: BTreeMap<&str, &str> = KNOWN_DIVERGENCES.iter().copied().collect();
    let new: Vec<String> = diverged
        .iter()
        .filter(|(k, v)| known.get(*k) != Some(*v))
        .map(|(k, v)| format!("    (\"{k}\", \"{v}\"),"))
        .collect();
    let gone: Vec<&str> = known
        .iter()
        .filter(|(k, v)| diverged.get(*k) != Some(*v))
        .map(|(k, _)| *k)
        .collect();
    let total = outcomes.len();
    let landed = total - diverged.len();
    eprintln!(
        "real-client Vulkan: {total} cases, {landed} landed, {} diverged ({} known; {})",
        diverged.len(),
        known.len(),
        versions()
    );
    assert!(
        new.is_empty() && gone.is_empty(),
        "the divergences from the chosen GPU changed ({}).\nnot known:\n{}\nno longer seen:\n{}\n\
         Update KNOWN_DIVERGENCES and docs/CLIENTS.md.",
        versions(),
        new.join("\n"),
        gone.join("\n")
    );
    // docs/CLIENTS.md states these counts.
    let doc =
        fs::read_to_string(crate::common::source("docs/CLIENTS.md")).expect("docs/CLIENTS.md");
    let line = format!(
        "{total} cases: {landed} land on the chosen GPU, {} are known divergences",
        diverged.len()
    );
    assert!(doc.contains(&line), "docs/CLIENTS.md must say: {line}");
}

/// The layer is live, so the test measures it: on the Intel + NVIDIA laptop
/// a Vulkan 1.3 program gets the boot_vga GPU (Intel) first, and with the
/// layer disabled (`NODEVICE_SELECT=1`) the loader's order (the discrete
/// NVIDIA first). gpu-launch removes a caller's `NODEVICE_SELECT` and driver
/// filters, so they change nothing through it.
#[test]
fn the_device_select_layer_is_active() {
    let tc = toolchain();
    let m = VkMachine::new(tc, "intel_nvidia_laptop", fixture::intel_nvidia_laptop, &[]);
    let first = |through_gpu_launch: bool, extra: &[(&str, &str)]| -> String {
        let mut c = if through_gpu_launch {
            let mut c = m.command();
            c.args(["--gpu", "default", "--"]).arg(&tc.vkprobe);
            c
        } else {
            m.clean(&tc.vkprobe)
        };
        c.args(["--api", "1.3"]).env("VK_DRIVER_FILES", &m.drivers);
        for (k, v) in extra {
            c.env(k, v);
        }
        let out = run_bounded(c, "vkprobe");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{out:?}");
        text.lines()
            .find_map(|l| l.strip_prefix("first "))
            .unwrap_or_else(|| panic!("{text}"))
            .to_owned()
    };
    let intel = "8086:a7a0 pci=0000:00:02.0";
    let nvidia = "10de:28e0 pci=0000:01:00.0";
    assert_eq!(
        first(false, &[]),
        intel,
        "the layer puts the boot_vga GPU first"
    );
    assert_eq!(
        first(false, &[("NODEVICE_SELECT", "1")]),
        nvidia,
        "the loader's order"
    );
    let callers: [(&str, &str); 3] = [
        ("NODEVICE_SELECT", "1"),
        ("VK_LOADER_DRIVERS_SELECT", "*nvidia*"),
        ("VK_LOADER_DEVICE_SELECT", "10de:28e0"),
    ];
    assert_eq!(
        first(true, &callers),
        intel,
        "gpu-launch removed the caller's filters"
    );
}
