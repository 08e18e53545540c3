//! Plans per machine shape, table-driven: what `--dry-run --json` plans for
//! `auto` and other SPECs on each fixture machine: the GPU, whether it
//! offloads, and exactly the variables set. The `--list` side is in
//! `shapes`.

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run};
use serde_json::Value;

/// One planned launch: SPEC (None = auto), extra environment, the chosen
/// GPU's PCI address (None = no GPU), offload, and exactly the variables set.
struct Plan {
    spec: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    gpu: Option<&'static str>,
    offload: bool,
    set: &'static [(&'static str, &'static str)],
    fallback: bool,
}

const fn p(
    spec: Option<&'static str>,
    gpu: Option<&'static str>,
    offload: bool,
    set: &'static [(&'static str, &'static str)],
) -> Plan {
    Plan {
        spec,
        env: &[],
        gpu,
        offload,
        set,
        fallback: false,
    }
}

/// The NVIDIA trio and the Vulkan rule for the RTX 4060 Laptop (10de:28e0).
const NV: &[(&str, &str)] = &[
    ("__NV_PRIME_RENDER_OFFLOAD", "1"),
    ("__GLX_VENDOR_LIBRARY_NAME", "nvidia"),
    ("__VK_LAYER_NV_optimus", "NVIDIA_only"),
    ("MESA_VK_DEVICE_SELECT", "10de:28e0"),
];

/// The NVIDIA trio with the Vulkan rule for another card.
macro_rules! nv {
    ($ids:literal) => {
        &[
            ("__NV_PRIME_RENDER_OFFLOAD", "1"),
            ("__GLX_VENDOR_LIBRARY_NAME", "nvidia"),
            ("__VK_LAYER_NV_optimus", "NVIDIA_only"),
            ("MESA_VK_DEVICE_SELECT", $ids),
        ]
    };
}

/// "Hide NVIDIA": the NVIDIA Vulkan driver never loads.
const HIDE: (&str, &str) = ("VK_LOADER_DRIVERS_DISABLE", "*nvidia*");

fn check_plans(name: &str, shape: fn() -> Fixture, plans: &[Plan]) {
    let m = shape();
    for case in plans {
        let mut env = Env::new(m.root());
        for (k, v) in case.env {
            env = env.set(k, v);
        }
        let mut args = vec!["--dry-run", "--json"];
        if let Some(s) = case.spec {
            args.extend(["--gpu", s]);
        }
        args.push("true");
        let run = env.run(&args);
        let ctx = format!(
            "{name} --gpu {:?} env {:?}: {}{}",
            case.spec, case.env, run.stdout, run.stderr
        );
        assert_eq!(run.status, 0, "{ctx}");
        let v = run.json();
        assert_eq!(v["gpu"]["pci"].as_str(), case.gpu, "{ctx}");
        assert_eq!(v["offload"], case.offload, "{ctx}");
        let mut set: Vec<(String, String)> = v["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        set.sort();
        let mut want: Vec<(String, String)> = case
            .set
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        want.sort();
        assert_eq!(set, want, "{ctx}");
        // A fallback is what --strict refuses ("A parseable SPEC that
        // matches no GPU falls back to the default GPU with a note, or fails
        // with 125 under --strict"); its note is in `notes`.
        let strict = env.run(&[&["--strict"], &args[..]].concat());
        let fell_back = strict.status == 125;
        assert_eq!(fell_back, case.fallback, "{ctx}: strict {strict:?}");
        if fell_back {
            crate::common::one_error_line(&strict);
            assert!(!v["notes"].as_array().unwrap().is_empty(), "{ctx}");
        } else {
            assert_eq!(strict.status, 0, "{ctx}: strict {strict:?}");
        }
    }
}

fn fallback(spec: &'static str, gpu: Option<&'static str>) -> Plan {
    Plan {
        fallback: true,
        ..p(Some(spec), gpu, false, &[])
    }
}

#[test]
fn hybrid_intel_nvidia() {
    let nv = Some("0000:01:00.0");
    let igpu = Some("0000:00:02.0");
    check_plans(
        "intel_nvidia_laptop",
        fixture::intel_nvidia_laptop,
        &[
            p(None, nv, true, NV),
            p(Some("auto"), nv, true, NV),
            p(Some("nvidia"), nv, true, NV),
            p(Some("discrete"), nv, true, NV),
            p(Some("1"), nv, true, NV),
            p(Some("0000:01:00.0"), nv, true, NV),
            p(Some("01:00.0"), nv, true, NV),
            p(Some("PCI:1:0:0"), nv, true, NV),
            p(Some("PCI:1@0:0:0"), nv, true, NV),
            p(Some("10de:28e0"), nv, true, NV),
            p(Some("renderD129"), nv, true, NV),
            p(Some("/dev/dri/renderD129"), nv, true, NV),
            // card0 is the NVIDIA GPU's card here: never assume card0 is the iGPU.
            p(Some("/dev/dri/card0"), nv, true, NV),
            p(Some("card1"), igpu, false, &[]),
            p(Some("default"), igpu, false, &[]),
            p(Some("integrated"), igpu, false, &[]),
            p(Some("intel"), igpu, false, &[]),
            p(Some("0"), igpu, false, &[]),
            fallback("amd", igpu),
            fallback("external", igpu),
            fallback("2", igpu),
            fallback("PCI:2:0:0", igpu),
            fallback("1002:73bf", igpu),
            fallback("renderD130", igpu),
            // The compositor renders on the dGPU: it becomes the default, and auto
            // does not offload to the iGPU.
            Plan {
                env: &[("AQ_DRM_DEVICES", "/dev/dri/card0:/dev/dri/card1")],
                ..p(None, nv, false, &[])
            },
            Plan {
                env: &[("WLR_DRM_DEVICES", "/dev/dri/card0")],
                ..p(None, nv, false, &[])
            },
            Plan {
                env: &[("KWIN_DRM_DEVICES", "/dev/dri/card1:/dev/dri/card0")],
                ..p(None, nv, true, NV)
            },
            // An entry that names no GPU falls through to the next rule.
            Plan {
                env: &[
                    ("AQ_DRM_DEVICES", "/dev/dri/card7"),
                    ("WLR_DRM_DEVICES", "/dev/dri/card0"),
                ],
                ..p(None, nv, false, &[])
            },
            Plan {
                env: &[("AQ_DRM_DEVICES", "/dev/dri/card9")],
                ..p(None, nv, true, NV)
            },
            Plan {
                env: &[("GPU_LAUNCH_GPU", "integrated")],
                ..p(None, igpu, false, &[])
            },
            Plan {
                env: &[("GPU_LAUNCH_GPU", "integrated")],
                ..p(Some("nvidia"), nv, true, NV)
            },
        ],
    );
}

#[test]
fn hybrid_amd_apu_nvidia() {
    let nv = Some("0000:01:00.0");
    let apu = Some("0000:05:00.0");
    check_plans(
        "amd_nvidia_laptop",
        fixture::amd_nvidia_laptop,
        &[
            p(None, nv, true, nv!("10de:25a2")),
            p(Some("amd"), apu, false, &[]),
            p(Some("integrated"), apu, false, &[]),
            p(Some("card0"), nv, true, nv!("10de:25a2")),
            p(Some("PCI:5:0:0"), apu, false, &[]),
        ],
    );
}

#[test]
fn hybrid_intel_amd_and_amd_amd() {
    // No NVIDIA GPU: nothing to hide.
    let navi23 = &[
        ("DRI_PRIME", "pci-0000_03_00_0"),
        ("MESA_VK_DEVICE_SELECT", "1002:73ff"),
    ];
    check_plans(
        "intel_amd_laptop",
        fixture::intel_amd_laptop,
        &[
            p(None, Some("0000:03:00.0"), true, navi23),
            p(Some("amd"), Some("0000:03:00.0"), true, navi23),
            p(Some("intel"), Some("0000:00:02.0"), false, &[]),
        ],
    );
    let navi33 = &[
        ("DRI_PRIME", "pci-0000_03_00_0"),
        ("MESA_VK_DEVICE_SELECT", "1002:7480"),
    ];
    check_plans(
        "amd_amd_laptop",
        fixture::amd_amd_laptop,
        &[
            p(None, Some("0000:03:00.0"), true, navi33),
            // Several AMD GPUs: the non-default one wins.
            p(Some("amd"), Some("0000:03:00.0"), true, navi33),
            p(Some("integrated"), Some("0000:c4:00.0"), false, &[]),
            p(Some("PCI:196:0:0"), Some("0000:c4:00.0"), false, &[]),
        ],
    );
}

#[test]
fn egpus_come_first_for_auto() {
    check_plans(
        "intel_nvidia_egpu",
        fixture::intel_nvidia_egpu,
        &[
            p(None, Some("0000:2e:00.0"), true, nv!("10de:2204")),
            p(
                Some("external"),
                Some("0000:2e:00.0"),
                true,
                nv!("10de:2204"),
            ),
            p(
                Some("discrete"),
                Some("0000:2e:00.0"),
                true,
                nv!("10de:2204"),
            ),
        ],
    );
    // The AMD eGPU: Mesa's variables, and NVIDIA's Vulkan driver hidden.
    let egpu = &[
        ("DRI_PRIME", "pci-0000_22_00_0"),
        ("MESA_VK_DEVICE_SELECT", "1002:744c"),
        HIDE,
    ];
    check_plans(
        "laptop_dgpu_and_egpu",
        fixture::laptop_dgpu_and_egpu,
        &[
            p(None, Some("0000:22:00.0"), true, egpu),
            p(Some("discrete"), Some("0000:01:00.0"), true, NV),
            p(Some("nvidia"), Some("0000:01:00.0"), true, NV),
            p(Some("external"), Some("0000:22:00.0"), true, egpu),
        ],
    );
}

#[test]
fn desktops() {
    check_plans(
        "desktop_boot_dgpu",
        fixture::desktop_boot_dgpu,
        &[
            // The boot GPU is the discrete one: auto must not send work to the iGPU.
            p(None, Some("0000:0b:00.0"), false, &[]),
            p(Some("discrete"), Some("0000:0b:00.0"), false, &[]),
            p(
                Some("integrated"),
                Some("0000:00:02.0"),
                true,
                &[
                    ("DRI_PRIME", "pci-0000_00_02_0"),
                    ("MESA_VK_DEVICE_SELECT", "8086:4680"),
                ],
            ),
            p(
                Some("intel"),
                Some("0000:00:02.0"),
                true,
                &[
                    ("DRI_PRIME", "pci-0000_00_02_0"),
                    ("MESA_VK_DEVICE_SELECT", "8086:4680"),
                ],
            ),
        ],
    );
    const G0: &[(&str, &str)] = &[
        ("__NV_PRIME_RENDER_OFFLOAD", "1"),
        ("__GLX_VENDOR_LIBRARY_NAME", "nvidia"),
        ("__VK_LAYER_NV_optimus", "NVIDIA_only"),
        ("__NV_PRIME_RENDER_OFFLOAD_PROVIDER", "NVIDIA-G0"),
    ];
    const G1: &[(&str, &str)] = &[
        ("__NV_PRIME_RENDER_OFFLOAD", "1"),
        ("__GLX_VENDOR_LIBRARY_NAME", "nvidia"),
        ("__VK_LAYER_NV_optimus", "NVIDIA_only"),
        ("__NV_PRIME_RENDER_OFFLOAD_PROVIDER", "NVIDIA-G1"),
    ];
    check_plans(
        "desktop_three_nvidia",
        fixture::desktop_three_nvidia,
        &[
            p(None, Some("0000:21:00.0"), true, G0),
            p(Some("2"), Some("0000:41:00.0"), true, G1),
            p(Some("0000:41:00.0"), Some("0000:41:00.0"), true, G1),
            p(Some("0"), Some("0000:01:00.0"), false, &[]),
            p(Some("nvidia"), Some("0000:21:00.0"), true, G0),
        ],
    );
    check_plans(
        "intel_arc_desktop",
        fixture::intel_arc_desktop,
        &[
            p(
                None,
                Some("0000:03:00.0"),
                true,
                &[
                    ("DRI_PRIME", "pci-0000_03_00_0"),
                    ("MESA_VK_DEVICE_SELECT", "8086:56a0"),
                ],
            ),
            // Two Intel GPUs: the non-default (Arc) one.
            p(
                Some("intel"),
                Some("0000:03:00.0"),
                true,
                &[
                    ("DRI_PRIME", "pci-0000_03_00_0"),
                    ("MESA_VK_DEVICE_SELECT", "8086:56a0"),
                ],
            ),
        ],
    );
}

#[test]
fn nvidia_drives_the_desktop() {
    check_plans(
        "mux_nvidia_default",
        fixture::mux_nvidia_default,
        &[
            p(None, Some("0000:01:00.0"), false, &[]),
            p(Some("nvidia"), Some("0000:01:00.0"), false, &[]),
            // Offloading to Mesa while NVIDIA's GLX is the default needs mesa's GLX.
            p(
                Some("intel"),
                Some("0000:00:02.0"),
                true,
                &[
                    ("DRI_PRIME", "pci-0000_00_02_0"),
                    ("__GLX_VENDOR_LIBRARY_NAME", "mesa"),
                    ("MESA_VK_DEVICE_SELECT", "8086:a7a0"),
                    HIDE,
                ],
            ),
        ],
    );
    // nouveau is Mesa's: DRI_PRIME, and nothing NVIDIA's to hide.
    let nouveau = &[
        ("DRI_PRIME", "pci-0000_01_00_0"),
        ("MESA_VK_DEVICE_SELECT", "10de:1f91"),
    ];
    check_plans(
        "intel_nouveau_laptop",
        fixture::intel_nouveau_laptop,
        &[
            p(None, Some("0000:01:00.0"), true, nouveau),
            p(Some("nvidia"), Some("0000:01:00.0"), true, nouveau),
        ],
    );
    check_plans(
        "nvidia_without_drm",
        fixture::nvidia_without_drm,
        &[p(None, Some("0000:01:00.0"), true, nv!("10de:2520"))],
    );
}

#[test]
fn vms_socs_and_no_gpu() {
    check_plans(
        "vm_virtio",
        fixture::vm_virtio,
        &[
            p(None, Some("0000:00:01.0"), false, &[]),
            fallback("discrete", Some("0000:00:01.0")),
        ],
    );
    check_plans(
        "vm_passthrough",
        fixture::vm_passthrough,
        &[p(None, Some("0000:06:00.0"), true, nv!("10de:2684"))],
    );
    check_plans(
        "arm_soc",
        fixture::arm_soc,
        &[
            p(None, None, false, &[]),
            p(Some("renderD128"), None, false, &[]),
        ],
    );
    check_plans(
        "no_gpu",
        fixture::no_gpu,
        &[
            p(None, None, false, &[]),
            // simpledrm's card0 is not a GPU: nothing matches (and there
            // is no GPU to fall back to).
            fallback("card0", None),
        ],
    );
}

#[test]
fn arm_soc_gpu_has_no_pci_but_is_the_default() {
    let m = fixture::arm_soc();
    let v = Env::new(m.root())
        .run(&["--dry-run", "--json", "true"])
        .json();
    assert_eq!(v["gpu"]["driver"], "panfrost");
    assert_eq!(v["gpu"]["card"], "/dev/dri/card1");
    assert_eq!(v["gpu"]["default"], true);
}

#[test]
fn no_gpu_leaves_the_environment_alone() {
    let m = fixture::no_gpu();
    let run: Run = Env::new(m.root())
        .set("DRI_PRIME", "1")
        .set("__NV_PRIME_RENDER_OFFLOAD", "1")
        .run(&["--dry-run", "--json", "true"]);
    let v = run.json();
    assert_eq!(v["gpu"], Value::Null);
    assert_eq!(v["unset"], serde_json::json!([]));
    assert_eq!(v["env"], serde_json::json!({}));
    let strict = Env::new(m.root()).run(&["--dry-run", "--strict", "--gpu", "nvidia", "true"]);
    assert_eq!(strict.status, 125, "{strict:?}");
    let auto = Env::new(m.root()).run(&["--dry-run", "--strict", "true"]);
    assert_eq!(auto.status, 0, "auto never fails: {auto:?}");
}

#[test]
fn sriov_virtual_functions_are_never_picked_by_kind_or_vendor() {
    let igpu = Some("0000:00:02.0");
    let nv = Some("0000:01:00.0");
    let vf3 = &[
        ("DRI_PRIME", "pci-0000_00_02_3"),
        // The functions share the iGPU's ids: no MESA_VK_DEVICE_SELECT.
        HIDE,
    ];
    check_plans(
        "intel_sriov_dgpu",
        fixture::intel_sriov_dgpu,
        &[
            p(None, nv, true, nv!("10de:2786")),
            p(Some("discrete"), nv, true, nv!("10de:2786")),
            // The physical iGPU, not one of its virtual functions.
            p(Some("intel"), igpu, false, &[]),
            p(Some("integrated"), igpu, false, &[]),
            p(Some("8086:a780"), igpu, false, &[]),
            // A function named by address is chosen.
            p(Some("0000:00:02.3"), Some("0000:00:02.3"), true, vf3),
            p(Some("renderD131"), Some("0000:00:02.3"), true, vf3),
        ],
    );
}

#[test]
fn boot_display_and_two_identical_cards() {
    let nv = Some("0000:01:00.0");
    check_plans(
        "hybrid_boot_display",
        fixture::hybrid_boot_display,
        &[
            p(None, nv, true, nv!("10de:2860")),
            p(Some("default"), Some("0000:c5:00.0"), false, &[]),
            p(Some("amd"), Some("0000:c5:00.0"), false, &[]),
        ],
    );
    check_plans(
        "desktop_two_identical_nvidia",
        fixture::desktop_two_identical_nvidia,
        &[
            // Same ids: the trio, no MESA_VK_DEVICE_SELECT, and no provider
            // (one non-default NVIDIA GPU).
            p(None, Some("0000:02:00.0"), true, &NV[..3]),
            p(Some("0"), Some("0000:01:00.0"), false, &[]),
        ],
    );
}

#[test]
fn hyprland_renders_on_the_panels_gpu_whatever_boot_vga_says() {
    let igpu = Some("0000:00:02.0");
    let nv = Some("0000:01:00.0");
    const HYPR: (&str, &str) = ("HYPRLAND_INSTANCE_SIGNATURE", "abc_123_456");
    check_plans(
        "laptop_vga_on_dgpu_panel_on_igpu",
        fixture::laptop_vga_on_dgpu_panel_on_igpu,
        &[
            // boot_vga: NVIDIA is the default.
            p(None, nv, false, &[]),
            p(
                Some("intel"),
                igpu,
                true,
                &[
                    ("DRI_PRIME", "pci-0000_00_02_0"),
                    ("__GLX_VENDOR_LIBRARY_NAME", "mesa"),
                    ("MESA_VK_DEVICE_SELECT", "8086:46a6"),
                    HIDE,
                ],
            ),
            // Hyprland: the iGPU drives the connected eDP panel.
            Plan {
                env: &[HYPR],
                ..p(None, nv, true, nv!("10de:25a0"))
            },
            Plan {
                env: &[HYPR],
                ..p(Some("default"), igpu, false, &[])
            },
            // AQ_DRM_DEVICES set: the Hyprland rule does not apply.
            Plan {
                env: &[HYPR, ("AQ_DRM_DEVICES", "/dev/dri/card7")],
                ..p(Some("default"), nv, false, &[])
            },
        ],
    );
}

/// The notes a plan carries for what it cannot do.
#[test]
fn notes_say_what_the_plan_cannot_do() {
    let notes = |shape: fn() -> Fixture, extra: &[(&str, &str)], args: &[&str]| -> Vec<String> {
        let m = shape();
        let mut env = Env::new(m.root());
        for (k, v) in extra {
            env = env.set(k, v);
        }
        let mut all = vec!["--dry-run", "--json"];
        all.extend(args);
        all.push("true");
        let v = env.run(&all).json();
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    };
    let n = notes(fixture::nvidia_without_drm, &[], &[]);
    assert!(
        n.iter()
            .any(|n| n.contains("nvidia-drm") && n.contains("modeset=1")),
        "{n:?}"
    );
    let n = notes(fixture::desktop_two_identical_nvidia, &[], &[]);
    assert!(
        n.iter()
            .any(|n| n.contains("10de:2684") && n.contains("Mesa 23.1")),
        "{n:?}"
    );
    for var in [
        "VK_ICD_FILENAMES",
        "VK_DRIVER_FILES",
        "__EGL_VENDOR_LIBRARY_FILENAMES",
    ] {
        let m = fixture::intel_nvidia_laptop();
        let v = Env::new(m.root())
            .set(var, "/x.json")
            .run(&["--dry-run", "--json", "true"])
            .json();
        let n = v["notes"].as_array().unwrap();
        assert!(
            n.iter().any(|n| n.as_str().unwrap().starts_with(var)),
            "{var}: {v:#}"
        );
        // Kept: neither set nor removed.
        assert!(v["env"].get(var).is_none(), "{v:#}");
        assert!(
            !v["unset"].as_array().unwrap().iter().any(|u| u == var),
            "{v:#}"
        );
    }
    assert_eq!(
        notes(fixture::intel_nvidia_laptop, &[], &[]),
        Vec::<String>::new()
    );
    // One DRM node of the two is enough to show nvidia-drm is loaded.
    fn nvidia_with(card: Option<u32>, render: Option<u32>) -> Fixture {
        use fixture::{Builder, DISPLAY_3D, PciDev, VGA};
        let b = Builder::new();
        b.pci(
            PciDev::new("0000:00:02.0", 0x8086, 0x9a49, VGA, "i915")
                .boot_vga()
                .nodes(0, 128),
        );
        let mut nv = PciDev::new("0000:01:00.0", 0x10de, 0x2520, DISPLAY_3D, "nvidia")
            .behind(&["0000:00:01.0"]);
        nv.drm = Some((card, render));
        b.pci(nv);
        b.build()
    }
    assert_eq!(
        notes(|| nvidia_with(Some(1), None), &[], &[]),
        Vec::<String>::new(),
        "a card node without a render node"
    );
    assert_eq!(
        notes(|| nvidia_with(None, Some(129)), &[], &[]),
        Vec::<String>::new(),
        "a render node without a card node"
    );
}

/// Every selection variable the caller has and the plan does not set is
/// removed: the contract's list of fourteen.
#[test]
fn the_whole_selection_family_is_removed() {
    const FAMILY: [&str; 14] = [
        "DRI_PRIME",
        "MESA_VK_DEVICE_SELECT",
        "MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE",
        "NODEVICE_SELECT",
        "__NV_PRIME_RENDER_OFFLOAD",
        "__NV_PRIME_RENDER_OFFLOAD_PROVIDER",
        "__GLX_VENDOR_LIBRARY_NAME",
        "__VK_LAYER_NV_optimus",
        "VK_LOADER_DRIVERS_SELECT",
        "VK_LOADER_DRIVERS_DISABLE",
        "VK_LOADER_DEVICE_SELECT",
        "VK_LOADER_DEVICE_ID_FILTER",
        "VK_LOADER_VENDOR_ID_FILTER",
        "VK_LOADER_DRIVER_ID_FILTER",
    ];
    let m = fixture::intel_nvidia_laptop();
    let mut env = Env::new(m.root());
    for v in FAMILY {
        env = env.set(v, "1");
    }
    let plan = env
        .run(&["--dry-run", "--json", "--gpu", "default", "true"])
        .json();
    let mut unset: Vec<&str> = plan["unset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    unset.sort();
    let mut want = FAMILY.to_vec();
    want.sort();
    assert_eq!(unset, want);
    // Offloading: those the plan sets are set, not removed.
    let plan = env.run(&["--dry-run", "--json", "true"]).json();
    let unset = plan["unset"].as_array().unwrap();
    assert_eq!(unset.len(), FAMILY.len() - 4, "{plan:#}");
    for set in plan["env"].as_object().unwrap().keys() {
        assert!(!unset.iter().any(|u| u == set), "{set}: {plan:#}");
    }
    // No GPU: nothing removed.
    let none = fixture::no_gpu();
    let mut env = Env::new(none.root());
    for v in FAMILY {
        env = env.set(v, "1");
    }
    let plan = env.run(&["--dry-run", "--json", "true"]).json();
    assert_eq!(plan["unset"], serde_json::json!([]));
}

/// Mode `integrated`: launches on the default GPU hide NVIDIA's Vulkan
/// driver too (in `--dry-run`, `--print-env` and a real launch).
#[test]
fn integrated_mode_hides_nvidia_from_the_default_gpu() {
    use crate::common::{bin_dir, launch, path_with};
    let m = fixture::intel_nvidia_laptop();
    let runtime = tempfile::tempdir().unwrap();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root())
        .set("XDG_RUNTIME_DIR", &runtime.path().display().to_string())
        .set("PATH", &path_with(bin.path()));
    let hybrid = env.run(&["--dry-run", "--json", "--gpu", "integrated", "prog"]);
    assert_eq!(hybrid.json()["env"], serde_json::json!({}));
    assert_eq!(env.run(&["--mode", "integrated"]).status, 0);
    let plan = env.run(&["--dry-run", "--json", "prog"]).json();
    assert_eq!(plan["gpu"]["pci"], "0000:00:02.0");
    assert_eq!(
        plan["env"],
        serde_json::json!({"VK_LOADER_DRIVERS_DISABLE": "*nvidia*"})
    );
    assert_eq!(
        env.run(&["--print-env", "prog"]).stdout,
        "export VK_LOADER_DRIVERS_DISABLE='*nvidia*'\n"
    );
    let (_r, probe, _d) = launch(&env, &["prog"]);
    let probe = probe.expect("prog ran");
    assert_eq!(
        probe.var("VK_LOADER_DRIVERS_DISABLE").as_deref(),
        Some("*nvidia*")
    );
    // No NVIDIA GPU: nothing to hide.
    let amd = fixture::intel_amd_laptop();
    let env = Env::new(amd.root()).set("XDG_RUNTIME_DIR", &runtime.path().display().to_string());
    let plan = env.run(&["--dry-run", "--json", "true"]).json();
    assert_eq!(plan["env"], serde_json::json!({}));
}
