//! Machine shapes, table-driven: what `--list --json` finds on each fixture
//! machine (and on a captured real one). What `--dry-run --json` plans on
//! them is in `plans`.

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, run_tool};
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
    check_list("intel_sriov_dgpu", intel_sriov_dgpu, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(128), intel),
        (Some("0000:00:02.1"), "virtual", "i915", Some("/dev/dri/renderD129"), intel),
        (Some("0000:00:02.2"), "virtual", "i915", Some("/dev/dri/renderD130"), intel),
        (Some("0000:00:02.3"), "virtual", "i915", Some("/dev/dri/renderD131"), intel),
        (Some("0000:00:02.4"), "virtual", "i915", Some("/dev/dri/renderD132"), intel),
        (Some("0000:00:02.5"), "virtual", "i915", Some("/dev/dri/renderD133"), intel),
        (Some("0000:00:02.6"), "virtual", "i915", Some("/dev/dri/renderD134"), intel),
        (Some("0000:00:02.7"), "virtual", "i915", Some("/dev/dri/renderD135"), intel),
        (Some("0000:01:00.0"), "discrete", "nvidia", Some("/dev/dri/renderD136"), nv),
    ]);
    check_list("hybrid_boot_display", hybrid_boot_display, &[
        (Some("0000:c5:00.0"), "integrated", "amdgpu", r(129), amd),
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
    ]);
    check_list("laptop_vga_on_dgpu_panel_on_igpu", laptop_vga_on_dgpu_panel_on_igpu, &[
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
        (Some("0000:00:02.0"), "integrated", "i915", r(129), intel),
    ]);
    check_list("desktop_two_identical_nvidia", desktop_two_identical_nvidia, &[
        (Some("0000:01:00.0"), "discrete", "nvidia", r(128), nv),
        (Some("0000:02:00.0"), "discrete", "nvidia", r(129), nv),
    ]);
    // tests/order.rs has the orders of this one.
    let r = |n: u32| Some(["/dev/dri/renderD128", "/dev/dri/renderD129", "/dev/dri/renderD130",
        "/dev/dri/renderD131", "/dev/dri/renderD132"][(n - 128) as usize]);
    check_list("workstation_out_of_order", workstation_out_of_order, &[
        (Some("0000:00:02.0"), "integrated", "i915", r(131), intel),
        (Some("0000:02:00.0"), "discrete", "nvidia", r(129), nv),
        (Some("0000:03:00.0"), "discrete", "nvidia", r(130), nv),
        (Some("0001:01:00.0"), "discrete", "amdgpu", r(132), amd),
        (Some("10000:e1:00.0"), "discrete", "amdgpu", r(128), amd),
    ]);
    check_list("amd_laptop_no_boot_attrs", amd_laptop_no_boot_attrs, &[
        (Some("0000:c4:00.0"), "integrated", "amdgpu", r(128), amd),
        (Some("0000:03:00.0"), "discrete", "amdgpu", r(129), amd),
    ]);
    check_list("compute_server", compute_server, &[
        (Some("0000:41:00.0"), "discrete", "nvidia", r(129), nv),
        (Some("0000:c1:00.0"), "discrete", "nvidia", r(128), nv),
    ]);
    check_list("single_3d_controller", single_3d_controller, &[
        (Some("0000:00:1e.0"), "discrete", "nvidia", r(128), nv),
    ]);
}

/// A machine, compositor variables, and what `--list` says of its default
/// GPU: PCI address, `default_rule`, words of the text form.
type DefaultCase = (
    fn() -> Fixture,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
    &'static str,
);

/// `--list` (JSON and text) says which rule made the default GPU the
/// default, for every rule of the contract's "The default GPU".
#[test]
fn list_says_which_rule_decided_the_default() {
    use fixture::*;
    const HYPR: (&str, &str) = ("HYPRLAND_INSTANCE_SIGNATURE", "x");
    #[rustfmt::skip]
    let cases: &[DefaultCase] = &[
        (intel_nvidia_laptop, &[], "0000:00:02.0", "boot_vga", "boot_vga = 1"),
        (intel_nvidia_laptop, &[("AQ_DRM_DEVICES", "/dev/dri/card9:/dev/dri/renderD129")],
            "0000:01:00.0", "AQ_DRM_DEVICES", "first entry of AQ_DRM_DEVICES that names a GPU (/dev/dri/renderD129)"),
        (intel_nvidia_laptop, &[("WLR_DRM_DEVICES", "/dev/dri/card0")],
            "0000:01:00.0", "WLR_DRM_DEVICES", "WLR_DRM_DEVICES"),
        (intel_nvidia_laptop, &[("KWIN_DRM_DEVICES", "/dev/dri/by-path/pci-0000\\:01\\:00.0-card:/dev/dri/card0")],
            "0000:01:00.0", "KWIN_DRM_DEVICES", "KWIN_DRM_DEVICES"),
        (laptop_vga_on_dgpu_panel_on_igpu, &[], "0000:01:00.0", "boot_vga", "boot_vga = 1"),
        (laptop_vga_on_dgpu_panel_on_igpu, &[HYPR], "0000:00:02.0", "internal_panels",
            "Hyprland: the GPU with the most connected internal panels (1)"),
        // Hyprland agrees with boot_vga here, but says why.
        (intel_nvidia_laptop, &[HYPR], "0000:00:02.0", "internal_panels", "internal panels (1)"),
        (hybrid_boot_display, &[], "0000:c5:00.0", "boot_display", "boot_display = 1"),
        (vm_virtio, &[], "0000:00:01.0", "boot_vga", "boot_vga = 1"),
        (arm_soc, &[], "", "only", "the only GPU"),
        (single_3d_controller, &[], "0000:00:1e.0", "only", "the only GPU"),
        (amd_laptop_no_boot_attrs, &[], "0000:c4:00.0", "first_integrated",
            "first integrated GPU in PCI order"),
        (compute_server, &[], "0000:41:00.0", "first", "first GPU in PCI order"),
        (intel_sriov_dgpu, &[], "0000:00:02.0", "boot_vga", "boot_vga = 1"),
    ];
    for (shape, vars, pci, rule, text) in cases {
        let m = shape();
        let mut env = Env::new(m.root());
        for (k, v) in *vars {
            env = env.set(k, v);
        }
        let v = env.run(&["--list", "--json"]).json();
        let ctx = format!("{vars:?}: {v:#}");
        assert_eq!(v[0]["pci"].as_str().unwrap_or(""), *pci, "{ctx}");
        assert_eq!(v[0]["default_rule"], *rule, "{ctx}");
        for other in v.as_array().unwrap().iter().skip(1) {
            assert!(other["default_rule"].is_null(), "{ctx}");
        }
        let t = env.run(&["--list"]).stdout;
        assert!(
            t.contains("* default GPU: ") && t.contains(text),
            "{vars:?}:\n{t}"
        );
    }
}

/// Hyprland's rule reads connectors only when it applies: Hyprland and no
/// `AQ_DRM_DEVICES`; a launch elsewhere never looks at them.
#[test]
fn connectors_are_read_only_under_hyprland_without_aq_drm_devices() {
    use crate::common::strace;
    let m = fixture::laptop_vga_on_dgpu_panel_on_igpu();
    let reads_connectors = |vars: &[(&str, &str)]| {
        let mut env = Env::new(m.root());
        for (k, v) in vars {
            env = env.set(k, v);
        }
        let t = strace(
            &env.command(&["--dry-run", "true"]),
            &["-e", "trace=%file", "-s", "4096"],
        );
        // The connector's directory (`class/drm/card1-eDP-1`, then its
        // `status` relative to it) or its path in one piece.
        t.lines().any(|l| l.contains("-eDP-1"))
    };
    let hypr = ("HYPRLAND_INSTANCE_SIGNATURE", "x");
    assert!(reads_connectors(&[hypr]));
    assert!(!reads_connectors(&[]));
    assert!(!reads_connectors(&[
        hypr,
        ("AQ_DRM_DEVICES", "/dev/dri/card1")
    ]));
    assert!(!reads_connectors(&[
        hypr,
        ("AQ_DRM_DEVICES", "/dev/dri/card7")
    ]));
    assert!(!reads_connectors(&[
        hypr,
        ("WLR_DRM_DEVICES", "/dev/dri/card1")
    ]));
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

/// A capture of a real machine's sysfs (text attributes and links, never
/// `config`): an NVIDIA H200 in a Firecracker VM, bound to `nvidia` without
/// nvidia-drm, so no `class/drm` at all and no `removable`/`boot_vga`
/// attributes (a 3D controller). Taken on 2026-11-26 with driver 580.159.04.
///
/// Kept as a tar archive (`tar -tvf` lists it), unpacked here into a
/// temporary directory: sysfs links point back up the tree (`driver` ->
/// `bus/pci/drivers/nvidia` -> the device), and cargo, walking a package
/// outside git (a tarball, a Nix build), warns "File system loop found" for
/// each such link in a checked-out tree.
#[test]
fn real_capture_h200_vm_without_drm() {
    let archive = crate::common::source("tests/data/h200-vm-nvidia-no-drm.tar");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().to_str().unwrap();
    run_tool(
        "tar",
        "tar",
        &["-xf", archive.to_str().unwrap(), "-C", dest],
    );
    let env = Env::new(&dir.path().join("sys"));
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

/// DRM nodes laid out otherwise than `<device>/drm/<node>`: as real
/// directories in `class/drm` (the deprecated sysfs layout), or below a
/// directory not named `drm`. The owner is then what the node's `device`
/// link names, never a directory above it.
#[test]
fn drm_nodes_laid_out_otherwise_belong_to_their_device_link() {
    use fixture::{Builder, PciDev, VGA};
    use std::fs;
    use std::os::unix::fs::symlink;
    let owner = "devices/pci0000:00/0000:00:02.0";
    for layout in ["class directories", "nested below gfx/x"] {
        let b = Builder::new();
        b.pci(
            PciDev::new("0000:00:02.0", 0x8086, 0x9a49, VGA, "i915")
                .boot_vga()
                .nodes(0, 128),
        );
        let m = b.build();
        let root = m.root();
        for node in ["card0", "renderD128"] {
            let entry = root.join("class/drm").join(node);
            fs::remove_file(&entry).unwrap();
            let old = root.join(owner).join("drm").join(node);
            let new = match layout {
                "class directories" => entry.clone(),
                _ => root.join(owner).join("gfx/x").join(node),
            };
            fs::create_dir_all(new.parent().unwrap()).unwrap();
            fs::rename(&old, &new).unwrap();
            fs::remove_file(new.join("device")).unwrap();
            if layout == "class directories" {
                symlink(format!("../../../{owner}"), new.join("device")).unwrap();
            } else {
                symlink("../../..", new.join("device")).unwrap();
                symlink(
                    format!("../../{owner}/gfx/x/{node}"),
                    root.join("class/drm").join(node),
                )
                .unwrap();
            }
        }
        let run = Env::new(root).run(&["--list", "--json"]);
        let v = run.json();
        let gpus = v.as_array().unwrap();
        assert_eq!(gpus.len(), 1, "{layout}: {v:#}");
        assert_eq!(gpus[0]["pci"], "0000:00:02.0", "{layout}: {v:#}");
        assert_eq!(gpus[0]["driver"], "i915", "{layout}: {v:#}");
        assert_eq!(
            gpus[0]["render_node"], "/dev/dri/renderD128",
            "{layout}: {v:#}"
        );
    }
}

/// When the DRM device is a child of the PCI function (virtio-gpu's
/// `virtio0`), the PCI address and ids come from the function's `uevent`,
/// not the child's (whose `vendor` and `device` are virtio's own ids), even
/// with no `vendor` or `device` attribute to fall back on.
#[test]
fn a_drm_device_below_its_pci_function_takes_the_functions_ids() {
    let m = fixture::vm_virtio();
    let function = m.root().join("devices/pci0000:00/0000:00:01.0");
    for attr in ["vendor", "device"] {
        std::fs::remove_file(function.join(attr)).unwrap();
    }
    let v = Env::new(m.root()).run(&["--list", "--json"]).json();
    let gpus = v.as_array().unwrap();
    assert_eq!(gpus.len(), 1, "{v:#}");
    assert_eq!(gpus[0]["pci"], "0000:00:01.0", "{v:#}");
    assert_eq!(gpus[0]["vendor"], "virtio", "{v:#}");
    assert_eq!(gpus[0]["device_id"], "1050", "{v:#}");
}

/// The sysfs root is walked from a descriptor that needs only search
/// permission (`O_PATH`): a root the user may enter but not list still
/// shows its GPUs. Root reads any directory, so as root the check runs as
/// an ordinary user.
#[test]
fn a_sysfs_root_the_user_may_search_but_not_list() {
    use std::os::unix::fs::PermissionsExt;
    const NOBODY: u32 = 65534;
    let m = fixture::intel_nvidia_laptop();
    let root = crate::common::is_root();
    // Searchable, not readable: by others (root's tree, run as nobody), or
    // by its owner.
    let mode = if root { 0o711 } else { 0o311 };
    std::fs::set_permissions(m.root(), std::fs::Permissions::from_mode(mode)).unwrap();
    let env = Env::new(m.root());
    let args = ["--list", "--json"];
    let run: crate::common::Run = if root {
        let (mut c, _bin) = env.command_as(NOBODY, &args);
        c.output().unwrap().into()
    } else {
        env.run(&args)
    };
    std::fs::set_permissions(m.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run.status, 0, "{run:?}");
    let v = run.json();
    let pcis: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["pci"].as_str().unwrap())
        .collect();
    assert_eq!(pcis, ["0000:00:02.0", "0000:01:00.0"], "{v:#}");
}
