//! The order of the GPUs, on machines where the three orders a program
//! could follow all differ: sysfs directory order, PCI address order and
//! `renderD` numbering (`fixture::workstation_out_of_order`, five GPUs in
//! three PCI domains). The contract: index 0 is the default GPU and the
//! rest follow in PCI address order; index SPECs and `NVIDIA-G<k>` count in
//! that order; a SPEC that matches several GPUs prefers the non-default
//! ones, then PCI order. On every other fixture the directory order happens
//! to be PCI order, so only these tests notice a launcher that sorts by
//! path, by node number, or not at all.

use serde_json::Value;

use crate::common::fixture;
use crate::common::{Env, bin_dir, launch, ok, path_with};

const IGPU: &str = "0000:00:02.0";
const RTX3090: &str = "0000:02:00.0";
const RTX4090: &str = "0000:03:00.0";
const RX6900: &str = "0001:01:00.0";
const RX7900: &str = "10000:e1:00.0";

/// `--list --json`'s PCI addresses and render nodes, in index order.
fn listed(env: &Env) -> Vec<(String, String)> {
    let run = env.run(&["--list", "--json"]);
    ok(&run);
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, g)| {
            assert_eq!(g["index"], i, "{g}");
            (
                g["pci"].as_str().unwrap().to_owned(),
                g["render_node"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `--dry-run --json --gpu SPEC`: the chosen GPU's PCI address and the
/// plan's `env`.
fn planned(env: &Env, spec: Option<&str>) -> (String, Value) {
    let mut args = vec!["--dry-run", "--json"];
    if let Some(s) = spec {
        args.extend(["--gpu", s]);
    }
    args.push("true");
    let run = env.run(&args);
    ok(&run);
    let v = run.json();
    let notes = v["notes"].as_array().unwrap();
    assert!(notes.is_empty(), "{spec:?}: {v}");
    (
        v["gpu"]["pci"].as_str().unwrap().to_owned(),
        v["env"].clone(),
    )
}

fn provider(plan_env: &Value) -> Option<&str> {
    plan_env["__NV_PRIME_RENDER_OFFLOAD_PROVIDER"].as_str()
}

#[test]
fn list_follows_pci_order_not_directory_or_node_order() {
    let m = fixture::workstation_out_of_order();
    let node = |n: u32| format!("/dev/dri/renderD{n}");
    let want: Vec<(String, String)> = [
        (IGPU, 131),
        (RTX3090, 129),
        (RTX4090, 130),
        (RX6900, 132),
        (RX7900, 128),
    ]
    .iter()
    .map(|(p, n)| ((*p).to_owned(), node(*n)))
    .collect();
    assert_eq!(listed(&Env::new(m.root())), want);
    // The text form lists them in the same order.
    let text = Env::new(m.root()).run(&["--list"]).stdout;
    let at: Vec<usize> = want
        .iter()
        .map(|(p, _)| {
            text.find(p.as_str())
                .unwrap_or_else(|| panic!("{p}:\n{text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn index_specs_count_in_list_order() {
    let m = fixture::workstation_out_of_order();
    let env = Env::new(m.root());
    for (i, pci) in [IGPU, RTX3090, RTX4090, RX6900, RX7900].iter().enumerate() {
        let (got, _) = planned(&env, Some(&i.to_string()));
        assert_eq!(got, *pci, "--gpu {i}");
    }
    // Past the end: no GPU has that index, so the default with a note.
    let v = env
        .run(&["--dry-run", "--json", "--gpu", "5", "true"])
        .json();
    assert_eq!(v["gpu"]["pci"], IGPU);
    assert_eq!(v["offload"], false);
}

#[test]
fn nvidia_g_k_counts_the_non_default_nvidia_gpus_in_pci_order() {
    let m = fixture::workstation_out_of_order();
    let env = Env::new(m.root());
    let (_, g0) = planned(&env, Some(RTX3090));
    assert_eq!(provider(&g0), Some("NVIDIA-G0"), "{g0}");
    assert_eq!(g0["MESA_VK_DEVICE_SELECT"], "10de:2204");
    let (_, g1) = planned(&env, Some(RTX4090));
    assert_eq!(provider(&g1), Some("NVIDIA-G1"), "{g1}");
    assert_eq!(g1["MESA_VK_DEVICE_SELECT"], "10de:2684");
    // And what the program gets is that plan.
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (run, probe, _d) = launch(&env, &["--gpu", "PCI:3:0:0", "prog"]);
    ok(&run);
    let probe = probe.expect("the program ran");
    assert_eq!(
        probe.var("__NV_PRIME_RENDER_OFFLOAD_PROVIDER").as_deref(),
        Some("NVIDIA-G1")
    );
}

#[test]
fn several_matches_prefer_the_non_default_then_pci_order() {
    let m = fixture::workstation_out_of_order();
    let env = Env::new(m.root());
    for (spec, pci) in [
        (None, RTX3090),
        (Some("auto"), RTX3090),
        (Some("discrete"), RTX3090),
        (Some("nvidia"), RTX3090),
        (Some("amd"), RX6900),
        (Some("intel"), IGPU),
        (Some("default"), IGPU),
    ] {
        let (got, _) = planned(&env, spec);
        assert_eq!(got, pci, "--gpu {spec:?}");
    }
}

#[test]
fn a_compositor_default_reorders_only_index_0() {
    let m = fixture::workstation_out_of_order();
    // The RX 7900 (renderD128, card0, in the VMD domain) drives the desktop.
    let env = Env::new(m.root()).set("AQ_DRM_DEVICES", "/dev/dri/card0");
    let order: Vec<String> = listed(&env).into_iter().map(|(p, _)| p).collect();
    assert_eq!(order, [RX7900, IGPU, RTX3090, RTX4090, RX6900]);
    let (got, _) = planned(&env, Some("amd"));
    assert_eq!(got, RX6900, "amd prefers the non-default AMD GPU");
    let (got, _) = planned(&env, Some("2"));
    assert_eq!(got, RTX3090);
    let (_, g1) = planned(&env, Some(RTX4090));
    assert_eq!(provider(&g1), Some("NVIDIA-G1"), "{g1}");

    // The RTX 3090 drives it: one non-default NVIDIA GPU is left, which
    // needs no provider name.
    let env = Env::new(m.root()).set("WLR_DRM_DEVICES", "/dev/dri/renderD129");
    let order: Vec<String> = listed(&env).into_iter().map(|(p, _)| p).collect();
    assert_eq!(order, [RTX3090, IGPU, RTX4090, RX6900, RX7900]);
    let (got, e) = planned(&env, Some("nvidia"));
    assert_eq!(got, RTX4090);
    assert_eq!(provider(&e), None, "{e}");
    assert_eq!(e["__NV_PRIME_RENDER_OFFLOAD"], "1");
    // auto: the first discrete non-default GPU in PCI order.
    let (got, _) = planned(&env, None);
    assert_eq!(got, RTX4090);
}

/// Where no attribute names the boot GPU: the first integrated GPU in PCI
/// order (not the first GPU, and not the first directory), else the first
/// GPU in PCI order (not the first directory).
#[test]
fn without_boot_attributes_the_default_follows_pci_order() {
    let m = fixture::amd_laptop_no_boot_attrs();
    let v = Env::new(m.root()).run(&["--list", "--json"]).json();
    assert_eq!(v[0]["pci"], "0000:c4:00.0", "{v:#}");
    assert_eq!(v[0]["kind"], "integrated");
    assert_eq!(v[0]["default_rule"], "first_integrated");
    assert_eq!(v[1]["pci"], "0000:03:00.0");
    let (got, _) = planned(&Env::new(m.root()), None);
    assert_eq!(got, "0000:03:00.0", "auto offloads to the dGPU");

    let m = fixture::compute_server();
    let v = Env::new(m.root()).run(&["--list", "--json"]).json();
    assert_eq!(v[0]["pci"], "0000:41:00.0", "{v:#}");
    assert_eq!(v[0]["default_rule"], "first");
    assert_eq!(v[1]["pci"], "0000:c1:00.0");
}
