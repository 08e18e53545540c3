//! Machine shapes, table-driven: what `--list --json` finds on each fixture
//! machine, and what `--dry-run --json` plans for `auto` and other SPECs.

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run};
use serde_json::Value;

/// One expected GPU of `--list --json`, in index order:
/// (pci, kind, driver, render node, vendor).
type Listed = (
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

fn list(shape: fn() -> Fixture) -> (Fixture, Value) {
    let m = shape();
    let run = Env::new(m.root()).run(&["--list", "--json"]);
    assert_eq!(run.status, 0, "{run:?}");
    let v = run.json();
    (m, v)
}

fn check_list(name: &str, shape: fn() -> Fixture, expected: &[Listed]) {
    let (_m, v) = list(shape);
    let gpus = v
        .as_array()
        .unwrap_or_else(|| panic!("{name}: not an array"));
    assert_eq!(gpus.len(), expected.len(), "{name}: {v:#}");
    for (i, (g, (pci, kind, driver, render, vendor))) in gpus.iter().zip(expected).enumerate() {
        let ctx = format!("{name} gpu {i}: {g}");
        assert_eq!(g["index"], i, "{ctx}");
        assert_eq!(g["pci"].as_str(), *pci, "{ctx}");
        assert_eq!(g["kind"], *kind, "{ctx}");
        assert_eq!(g["driver"], *driver, "{ctx}");
        assert_eq!(g["render_node"].as_str(), *render, "{ctx}");
        assert_eq!(g["vendor"].as_str(), *vendor, "{ctx}");
        assert_eq!(g["default"], i == 0, "{ctx}");
        assert_eq!(
            g["discrete"],
            *kind == "discrete" || *kind == "external",
            "{ctx}"
        );
        assert_eq!(g["removable"], *kind == "external", "{ctx}");
    }
}

#[test]
#[rustfmt::skip] // one line per expected GPU reads like the spec
fn list_finds_each_shapes_gpus() {
    use fixture::*;
    let (nv, amd, intel) = (Some("nvidia"), Some("amd"), Some("intel"));
    let r = |n: u32| Some(["/dev/dri/renderD128", "/dev/dri/renderD129", "/dev/dri/renderD130"][(n - 128) as usize]);
    check_list("intel_nvidia_laptop", intel_nvidia_laptop, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:01:00.0"), "discrete", "nvidia", r(129), nv),
    ]);
    check_list("amd_nvidia_laptop", amd_nvidia_laptop, &[
        (Some("0000:05:00.0"), "integrated", "amdgpu", r(129), amd),
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
    ]);
    check_list("intel_amd_laptop", intel_amd_laptop, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:03:00.0"), "discrete", "amdgpu", r(129), amd),
    ]);
    check_list("amd_amd_laptop", amd_amd_laptop, &[
        (Some("0000:c4:00.0"), "integrated", "amdgpu", r(129), amd),
        (Some("0000:03:00.0"), "discrete", "amdgpu", r(128), amd),
    ]);
    check_list("intel_nvidia_egpu", intel_nvidia_egpu, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:2e:00.0"), "external", "nvidia", r(129), nv),
    ]);
    check_list("laptop_dgpu_and_egpu", laptop_dgpu_and_egpu, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:01:00.0"), "discrete", "nvidia", r(129), nv),
        (Some("0000:22:00.0"), "external", "amdgpu", r(130), amd),
    ]);
    check_list("desktop_boot_dgpu", desktop_boot_dgpu, &[
        (Some("0000:0b:00.0"), "discrete", "amdgpu", r(129), amd),
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
    ]);
    check_list("desktop_three_nvidia", desktop_three_nvidia, &[
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
        (Some("0000:21:00.0"), "discrete", "nvidia", r(129), nv),
        (Some("0000:41:00.0"), "discrete", "nvidia", r(130), nv),
    ]);
    check_list("vm_virtio", vm_virtio, &[
        (Some("0000:00:01.0"), "virtual", "virtio_gpu", r(128), Some("virtio")),
    ]);
    check_list("vm_passthrough", vm_passthrough, &[
        (Some("0000:00:01.0"), "virtual", "virtio_gpu", r(128), Some("virtio")),
        (Some("0000:06:00.0"), "discrete", "nvidia", r(129), nv),
    ]);
    check_list("no_gpu", no_gpu, &[]);
    check_list("nvidia_without_drm", nvidia_without_drm, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:01:00.0"), "discrete", "nvidia", None, nv),
    ]);
    check_list("arm_soc", arm_soc, &[
        (None, "integrated", "panfrost", r(128), None),
    ]);
    check_list("mux_nvidia_default", mux_nvidia_default, &[
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
        (Some("0000:00:02.0"), "integrated", "i915", r(129), intel),
    ]);
    check_list("intel_nouveau_laptop", intel_nouveau_laptop, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:01:00.0"), "discrete", "nouveau", r(129), nv),
    ]);
    check_list("intel_arc_desktop", intel_arc_desktop, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:03:00.0"), "discrete", "xe", r(129), intel),
    ]);
}

/// Every named shape (`fixture::all`): `--list --json` numbers the GPUs in
/// order with exactly index 0 the default, and `--dry-run --json` plans a
/// GPU that `--list` has (none only on a machine without GPUs).
#[test]
fn every_shape_lists_in_order_and_plans_a_listed_gpu() {
    for (name, shape) in fixture::all() {
        let (m, v) = list(shape);
        let gpus = v.as_array().unwrap_or_else(|| panic!("{name}: {v}"));
        for (i, g) in gpus.iter().enumerate() {
            assert_eq!(g["index"], i, "{name}: {g}");
            assert_eq!(g["default"], i == 0, "{name}: {g}");
        }
        let run = Env::new(m.root()).run(&["--dry-run", "--json", "true"]);
        assert_eq!(run.status, 0, "{name}: {run:?}");
        let plan = run.json();
        match gpus.len() {
            0 => assert!(plan["gpu"].is_null(), "{name}: {plan}"),
            n => assert!(
                plan["gpu"]["index"].as_u64().unwrap() < n as u64,
                "{name}: {plan}"
            ),
        }
    }
}

#[test]
fn gpu_objects_carry_every_contract_field() {
    let (_m, v) = list(fixture::intel_nvidia_laptop);
    let g = &v[1];
    for key in [
        "index",
        "pci",
        "vendor_id",
        "device_id",
        "vendor",
        "driver",
        "render_node",
        "card",
        "default",
        "discrete",
        "removable",
        "power",
        "name",
        "kind",
    ] {
        assert!(g.get(key).is_some(), "missing {key}: {g}");
    }
    assert_eq!(g["vendor_id"], "10de");
    assert_eq!(g["device_id"], "28e0");
    assert_eq!(g["card"], "/dev/dri/card0");
    assert_eq!(g["power"], "suspended");
    assert_eq!(v[0]["power"], "active");
}

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

/// A capture of a real machine's sysfs (text attributes and links, never
/// `config`): an NVIDIA H200 in a Firecracker VM, bound to `nvidia` without
/// nvidia-drm, so no `class/drm` at all and no `removable`/`boot_vga`
/// attributes (a 3D controller). Taken on 2026-11-26 with driver 580.159.04.
#[test]
fn real_capture_h200_vm_without_drm() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/h200-vm-nvidia-no-drm/sys");
    let env = Env::new(&root);
    let v = env.run(&["--list", "--json"]).json();
    let gpus = v.as_array().unwrap();
    assert_eq!(gpus.len(), 1, "{v:#}");
    let g = &gpus[0];
    assert_eq!(g["pci"], "0000:00:06.0");
    assert_eq!(g["vendor_id"], "10de");
    assert_eq!(g["device_id"], "2335");
    assert_eq!(g["driver"], "nvidia");
    assert_eq!(g["kind"], "discrete");
    assert_eq!(g["render_node"], Value::Null);
    assert_eq!(g["card"], Value::Null);
    assert_eq!(g["power"], "active");
    assert_eq!(g["default"], true);
    // The only GPU is the default one: nothing to offload, nothing set.
    let plan = env
        .run(&["--dry-run", "--json", "--gpu", "nvidia", "true"])
        .json();
    assert_eq!(plan["offload"], false);
    assert_eq!(plan["env"], serde_json::json!({}));
}
