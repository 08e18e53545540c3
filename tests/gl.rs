//! GL and EGL, as far as they can be tested without a GPU.
//!
//! Mesa's GL/EGL loader (`src/loader/loader.c`) picks the GPU named by
//! `DRI_PRIME`: it lists the DRM devices with libdrm's `drmGetDevices2` and
//! compares the value, as a string, with each device's tag, built from
//! libdrm's bus info as `pci-%04x_%02x_%02x_%1u`. So the tag gpu-launch sets
//! must be that string for the address libdrm reads, for every address
//! (domains and functions other than 0 included). Two tests:
//!
//! - every non-NVIDIA offload target of every fixture machine (and of one
//!   with a second PCI domain) gets exactly Mesa's format of its address;
//! - run as root, the real libdrm reads the same fixture machines
//!   (`tests/clients/gl/drmtag.c`, linked with the sysfs shim, over a
//!   `/dev/dri` of `mknod`ed nodes) and Mesa's tag function, applied to what
//!   libdrm read, gives the value gpu-launch set; libdrm's address and ids
//!   for each render node are `--list`'s.
//!
//! And what EGL does on a desktop whose default GPU is NVIDIA's, with the
//! real libglvnd (libegl1) and Mesa's EGL (libegl-mesa0): libglvnd asks its
//! vendors in file-name order (`10_nvidia.json` before `50_mesa.json`), and a
//! stand-in for NVIDIA's EGL (`tests/clients/gl/fake_nvidia_egl.c`, which
//! answers as NVIDIA's does where NVIDIA drives the desktop) takes the
//! program, whatever `DRI_PRIME` and `__GLX_VENDOR_LIBRARY_NAME` say. The
//! test pins that limit down (docs/CLIENTS.md states it).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::fixture::{self, Builder, Fixture, PciDev, VGA};
use crate::common::{Env, tool};

/// A desktop with a GPU in a second PCI domain (multi-segment servers and
/// some ARM workstations number their root complexes so).
fn second_domain() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x4680, VGA, "i915")
            .boot_vga()
            .nodes(0, 128),
    );
    b.pci(
        PciDev::new("0001:03:00.0", 0x1002, 0x744c, VGA, "amdgpu")
            .behind(&["0001:00:01.0", "0001:01:00.0", "0001:02:00.0"])
            .nodes(1, 129),
    );
    b.build()
}

/// Every fixture machine, and the one with a second domain.
fn machines() -> Vec<fixture::Shape> {
    let mut all = fixture::all();
    all.push(("second_domain", second_domain));
    all
}

/// Mesa's tag for a sysfs PCI address, with `loader.c`'s format:
/// `pci-%04x_%02x_%02x_%1u` (domain, bus, device in hex; function decimal).
fn mesa_tag(pci: &str) -> String {
    let (head, function) = pci.rsplit_once('.').unwrap();
    let parts: Vec<u32> = head
        .split(':')
        .map(|h| u32::from_str_radix(h, 16).unwrap())
        .collect();
    let function: u32 = function.parse().unwrap();
    format!(
        "pci-{:04x}_{:02x}_{:02x}_{}",
        parts[0], parts[1], parts[2], function
    )
}

fn list(m: &Fixture) -> Vec<Value> {
    let run = Env::new(m.root()).run(&["--list", "--json"]);
    assert_eq!(run.status, 0, "{run:?}");
    run.json().as_array().unwrap().clone()
}

/// The plan's `DRI_PRIME` for `--gpu SPEC`.
fn dri_prime(m: &Fixture, spec: &str) -> Option<String> {
    let v = Env::new(m.root())
        .run(&["--dry-run", "--json", "--gpu", spec, "true"])
        .json();
    v["env"]["DRI_PRIME"].as_str().map(str::to_owned)
}

#[test]
fn dri_prime_is_mesas_tag_for_every_fixture_address() {
    let mut seen = 0;
    for (name, shape) in machines() {
        let m = shape();
        for (i, g) in list(&m).iter().enumerate() {
            let Some(pci) = g["pci"].as_str() else {
                continue;
            };
            let got = dri_prime(&m, pci);
            if i == 0 || g["driver"] == "nvidia" {
                assert_eq!(got, None, "{name} {pci}: the default GPU or NVIDIA's");
                continue;
            }
            assert_eq!(got.as_deref(), Some(mesa_tag(pci).as_str()), "{name} {pci}");
            seen += 1;
        }
    }
    // Functions 1-7 (SR-IOV), domain 1, buses up to c5 were among them.
    assert!(seen >= 16, "{seen}");
    assert_eq!(mesa_tag("0001:03:00.0"), "pci-0001_03_00_0");
    assert_eq!(mesa_tag("0000:00:02.7"), "pci-0000_00_02_7");
    assert_eq!(
        dri_prime(&second_domain(), "amd").as_deref(),
        Some("pci-0001_03_00_0")
    );
}

/// The fixture's DRM nodes as character devices (226:N, from each node's
/// `dev` attribute) in a directory that stands in for `/dev/dri`.
fn fake_dev_dri(m: &Fixture, dir: &Path) {
    for entry in fs::read_dir(m.root().join("class/drm")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let is_node = ["card", "renderD"].iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        if !is_node {
            continue;
        }
        let dev = fs::read_to_string(m.root().join("class/drm").join(&name).join("dev")).unwrap();
        let (major, minor) = dev.trim().split_once(':').unwrap();
        let ok = Command::new("mknod")
            .arg(dir.join(&name))
            .args(["c", major, minor])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mknod {name} (needs root)");
    }
}

#[test]
#[ignore = "needs root (mknod of a fake /dev/dri); CI runs it"]
fn libdrm_reads_the_address_gpu_launch_names() {
    crate::common::root_only();
    crate::common::installed("/usr/include/xf86drm.h", "libdrm-dev");
    let cc = tool("cc", "gcc");
    let src = crate::common::source("tests/clients");
    let build = tempfile::tempdir().unwrap();
    let drmtag = build.path().join("drmtag");
    let out = Command::new(cc)
        .args([
            "-O1",
            "-Wall",
            "-Wextra",
            "-std=gnu11",
            "-I/usr/include/libdrm",
            "-rdynamic",
            "-o",
        ])
        .arg(&drmtag)
        .arg(src.join("gl/drmtag.c"))
        .arg(src.join("sysfs_shim.c"))
        .args(["-ldrm", "-ldl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "cc: {out:?}");
    let (mut compared, mut unlisted) = (0, 0);
    for (name, shape) in machines() {
        let m = shape();
        let dev = tempfile::tempdir().unwrap();
        fake_dev_dri(&m, dev.path());
        let out = Command::new(&drmtag)
            .env_clear()
            .env("SYSFS_SHIM_ROOT", m.root())
            .env("SYSFS_SHIM_DEV_ROOT", dev.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        // render node -> (tag, address, ids), as libdrm and Mesa see them.
        let seen: BTreeMap<String, Vec<String>> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let mut w = l.split(' ').map(str::to_owned);
                (w.next().unwrap(), w.collect())
            })
            .collect();
        for g in list(&m) {
            let Some(node) = g["render_node"].as_str() else {
                continue;
            };
            // libdrm keeps a PCI domain in 16 bits (`drmPciBusInfo`): a GPU
            // in a VMD domain (10000 and up) is not listed, so Mesa cannot
            // find it by DRI_PRIME (docs/CLIENTS.md).
            let wide_domain = g["pci"]
                .as_str()
                .is_some_and(|p| p.split(':').next().is_some_and(|d| d.len() > 4));
            if wide_domain {
                assert!(!seen.contains_key(node), "{name}: libdrm lists {node} now");
                unlisted += 1;
                continue;
            }
            let drm = seen
                .get(node)
                .unwrap_or_else(|| panic!("{name}: libdrm does not list {node}: {seen:?}"));
            let Some(pci) = g["pci"].as_str() else {
                // A platform GPU: Mesa's tag from the device-tree name.
                let tag = dri_prime(&m, node);
                assert!(
                    tag.is_none() || tag.as_ref() == drm.first(),
                    "{name}: {drm:?}"
                );
                continue;
            };
            assert_eq!(drm.get(1).map(String::as_str), Some(pci), "{name} {node}");
            let ids = format!(
                "{}:{}",
                g["vendor_id"].as_str().unwrap(),
                g["device_id"].as_str().unwrap()
            );
            assert_eq!(drm.get(2), Some(&ids), "{name} {node}");
            if let Some(tag) = dri_prime(&m, pci) {
                assert_eq!(Some(&tag), drm.first(), "{name} {pci}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 16, "{compared}");
    assert_eq!(
        unlisted, 1,
        "the VMD-domain GPU of workstation_out_of_order"
    );
}

/// Builds `tests/clients/gl/NAME.c` with `args`; the EGL headers and libEGL
/// come from libegl-dev, libglvnd's vendor ABI from libglvnd-core-dev.
fn build_c(dir: &Path, name: &str, out: &str, args: &[&str]) -> std::path::PathBuf {
    for (header, package) in [
        ("/usr/include/EGL/egl.h", "libegl-dev"),
        ("/usr/include/glvnd/libeglabi.h", "libglvnd-core-dev"),
    ] {
        crate::common::installed(header, package);
    }
    let src = crate::common::source("tests/clients/gl");
    let path = dir.join(out);
    let run = Command::new(tool("cc", "gcc"))
        .args(["-O1", "-Wall", "-Wextra", "-std=gnu11", "-o"])
        .arg(&path)
        .arg(src.join(format!("{name}.c")))
        .args(args)
        .output()
        .unwrap();
    assert!(run.status.success(), "cc {name}.c: {run:?}");
    path
}

/// An NVIDIA desktop (the MUX laptop switched to its dGPU), a program sent to
/// the Intel iGPU: GLX is steered (`__GLX_VENDOR_LIBRARY_NAME=mesa`,
/// `DRI_PRIME`), EGL is not: libglvnd gives the program NVIDIA's EGL.
#[test]
fn egl_on_an_nvidia_desktop_stays_with_nvidia() {
    let mesa_json =
        crate::common::installed("/usr/share/glvnd/egl_vendor.d/50_mesa.json", "libegl-mesa0");
    let build = tempfile::tempdir().unwrap();
    let vendor = build_c(
        build.path(),
        "fake_nvidia_egl",
        "libEGL_nvidia_stand_in.so",
        &["-fPIC", "-shared", "-fvisibility=hidden"],
    );
    let probe = build_c(build.path(), "eglprobe", "eglprobe", &["-lEGL"]);
    // The vendor directory as a system with NVIDIA's driver has it.
    let with_nvidia = build.path().join("egl_vendor.d");
    fs::create_dir(&with_nvidia).unwrap();
    fs::copy(&mesa_json, with_nvidia.join("50_mesa.json")).unwrap();
    let json = serde_json::json!({
        "file_format_version": "1.0.0",
        "ICD": { "library_path": vendor },
    });
    fs::write(with_nvidia.join("10_nvidia.json"), json.to_string()).unwrap();
    let mesa_only = build.path().join("mesa_only");
    fs::create_dir(&mesa_only).unwrap();
    fs::copy(mesa_json, mesa_only.join("50_mesa.json")).unwrap();

    let m = fixture::mux_nvidia_default();
    let vendor_of = |dirs: &Path| -> String {
        let env = Env::new(m.root()).set("__EGL_VENDOR_LIBRARY_DIRS", &dirs.display().to_string());
        let plan = env
            .run(&["--dry-run", "--json", "--gpu", "intel", "true"])
            .json();
        assert_eq!(plan["env"]["__GLX_VENDOR_LIBRARY_NAME"], "mesa", "{plan:#}");
        assert_eq!(plan["env"]["DRI_PRIME"], "pci-0000_00_02_0", "{plan:#}");
        let out = env
            .command(&["--gpu", "intel", "--"])
            .arg(&probe)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{out:?}");
        text.trim()
            .strip_prefix("vendor ")
            .unwrap_or(&text)
            .to_owned()
    };
    // Without NVIDIA's vendor file, Mesa's EGL answers (llvmpipe here).
    assert_eq!(vendor_of(&mesa_only), "Mesa Project");
    // With it, NVIDIA's EGL is asked first and keeps the program.
    assert_eq!(
        vendor_of(&with_nvidia),
        "NVIDIA Corporation (gpu-launch test stand-in)"
    );
}
