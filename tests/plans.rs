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

const NV: &[(&str, &str)] = &[
    ("__NV_PRIME_RENDER_OFFLOAD", "1"),
    ("__GLX_VENDOR_LIBRARY_NAME", "nvidia"),
    ("__VK_LAYER_NV_optimus", "NVIDIA_only"),
];

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
        let notes = v["notes"].as_array().unwrap();
        let fell_back = notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("no GPU matches"));
        assert_eq!(fell_back, case.fallback, "{ctx}");
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
            p(None, nv, true, NV),
            p(Some("amd"), apu, false, &[]),
            p(Some("integrated"), apu, false, &[]),
            p(Some("card0"), nv, true, NV),
            p(Some("PCI:5:0:0"), apu, false, &[]),
        ],
    );
}

#[test]
fn hybrid_intel_amd_and_amd_amd() {
    let tag = &[("DRI_PRIME", "pci-0000_03_00_0")];
    check_plans(
        "intel_amd_laptop",
        fixture::intel_amd_laptop,
        &[
            p(None, Some("0000:03:00.0"), true, tag),
            p(Some("amd"), Some("0000:03:00.0"), true, tag),
            p(Some("intel"), Some("0000:00:02.0"), false, &[]),
        ],
    );
    check_plans(
        "amd_amd_laptop",
        fixture::amd_amd_laptop,
        &[
            p(None, Some("0000:03:00.0"), true, tag),
            // Several AMD GPUs: the non-default one wins.
            p(Some("amd"), Some("0000:03:00.0"), true, tag),
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
            p(None, Some("0000:2e:00.0"), true, NV),
            p(Some("external"), Some("0000:2e:00.0"), true, NV),
            p(Some("discrete"), Some("0000:2e:00.0"), true, NV),
        ],
    );
    check_plans(
        "laptop_dgpu_and_egpu",
        fixture::laptop_dgpu_and_egpu,
        &[
            p(
                None,
                Some("0000:22:00.0"),
                true,
                &[("DRI_PRIME", "pci-0000_22_00_0")],
            ),
            p(Some("discrete"), Some("0000:01:00.0"), true, NV),
            p(Some("nvidia"), Some("0000:01:00.0"), true, NV),
            p(
                Some("external"),
                Some("0000:22:00.0"),
                true,
                &[("DRI_PRIME", "pci-0000_22_00_0")],
            ),
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
                &[("DRI_PRIME", "pci-0000_00_02_0")],
            ),
            p(
                Some("intel"),
                Some("0000:00:02.0"),
                true,
                &[("DRI_PRIME", "pci-0000_00_02_0")],
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
                &[("DRI_PRIME", "pci-0000_03_00_0")],
            ),
            // Two Intel GPUs: the non-default (Arc) one.
            p(
                Some("intel"),
                Some("0000:03:00.0"),
                true,
                &[("DRI_PRIME", "pci-0000_03_00_0")],
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
                ],
            ),
        ],
    );
    check_plans(
        "intel_nouveau_laptop",
        fixture::intel_nouveau_laptop,
        &[
            p(
                None,
                Some("0000:01:00.0"),
                true,
                &[("DRI_PRIME", "pci-0000_01_00_0")],
            ),
            p(
                Some("nvidia"),
                Some("0000:01:00.0"),
                true,
                &[("DRI_PRIME", "pci-0000_01_00_0")],
            ),
        ],
    );
    check_plans(
        "nvidia_without_drm",
        fixture::nvidia_without_drm,
        &[p(None, Some("0000:01:00.0"), true, NV)],
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
        &[p(None, Some("0000:06:00.0"), true, NV)],
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
            // simpledrm's card0 is not a GPU.
            p(Some("card0"), None, false, &[]),
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
