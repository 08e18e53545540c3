//! The Nix files: every `.nix` file parses, and the NixOS module, the Home
//! Manager module, the package and the flake (its devShell included)
//! evaluate against the stubs of packaging/nix/tests/ (there is no nixpkgs
//! here: see that directory for what the stubs do and do not prove), with
//! every config file the module writes read back by gpu-launch itself. The
//! NixOS module is evaluated through both of its option paths:
//! `programs.gpu-launch.*` and the `hwc.infrastructure.session.commands.*`
//! alias, with and without hwc's own declarations.
//!
//! Needs `nix-instantiate` (Debian package nix-bin; no store, no daemon: it
//! runs with `--store dummy://`) and fails naming the package without it.

use std::path::{Path, PathBuf};

use crate::common::{Env, fixture, run_tool};

/// Runs `nix-instantiate --store dummy:// args...` and returns its stdout,
/// asserting success.
fn nix_instantiate(args: &[&str]) -> String {
    let mut all = vec!["--store", "dummy://"];
    all.extend(args);
    run_tool("nix-instantiate", "nix-bin", &all)
}

/// Every `.nix` file of the repository: flake.nix and packaging/**.
fn nix_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "nix") {
                out.push(path);
            }
        }
    }
    let mut files = vec![crate::common::source("flake.nix")];
    walk(&crate::common::source("packaging"), &mut files);
    files.sort();
    files
}

#[test]
fn nix_files_parse() {
    let files = nix_files();
    assert!(files.len() >= 7, "{files:?}");
    for f in files {
        nix_instantiate(&["--parse", f.to_str().unwrap()]);
    }
}

/// The cases of packaging/nix/tests/default.nix, evaluated.
fn nix_module_cases() -> serde_json::Value {
    let tests = crate::common::source("packaging/nix/tests");
    let out = nix_instantiate(&["--eval", "--strict", "--json", tests.to_str().unwrap()]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn nix_module_evaluates_and_gpu_launch_reads_what_it_writes() {
    let v = nix_module_cases();
    let failures = v["failures"].as_array().unwrap();
    assert!(
        failures.is_empty(),
        "packaging/nix/tests:\n{}",
        failures
            .iter()
            .map(|f| f.as_str().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(v["cases"].as_u64().unwrap() >= 43, "{v}");

    // Each file the module wrote, as the module's build-time check reads it
    // (no GPU, `--gpu default`): gpu-launch takes it, or refuses the ones the
    // check is there to stop.
    let empty = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let configs = v["configs"].as_object().unwrap();
    assert!(configs.len() >= 25, "{v}");
    for (name, c) in configs {
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, c["text"].as_str().unwrap()).unwrap();
        let run = Env::new(empty.path()).run(&[
            "--config",
            file.to_str().unwrap(),
            "--gpu",
            "default",
            "--print-env",
        ]);
        let want = if c["accepted"].as_bool().unwrap() {
            0
        } else {
            125
        };
        assert_eq!(run.status, want, "{name}: {}\n{run:?}", c["text"]);
    }

    // End to end on an Intel + NVIDIA laptop (NVIDIA at PCI:1:0:0): what the
    // NixOS options say is the GPU gpu-launch picks, through either path.
    let laptop = fixture::intel_nvidia_laptop();
    for (case, pci) in [
        ("programs-hwc-nvidia", "0000:01:00.0"),
        ("programs-prime-bus-id", "0000:01:00.0"),
        ("hwc-declares-its-own-enable", "0000:01:00.0"),
        ("hwc-nvidia", "0000:01:00.0"),
        ("hwc-nvidia-with-prime-bus-id", "0000:01:00.0"),
        ("prime-bus-id-without-hwc", "0000:01:00.0"),
        ("hwc-intel", "0000:00:02.0"),
        ("hwc-none-means-default", "0000:00:02.0"),
    ] {
        let file = dir.path().join(format!("{case}.toml"));
        let run = Env::new(laptop.root()).run(&[
            "--config",
            file.to_str().unwrap(),
            "--print-env",
            "--json",
        ]);
        assert_eq!(run.status, 0, "{case}: {run:?}");
        assert_eq!(run.json()["gpu"]["pci"], pci, "{case}: {run:?}");
    }
}
