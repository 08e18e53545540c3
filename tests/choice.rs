//! What decides the GPU and the argv, through real launches and dry runs:
//! the SPEC's sources and their precedence, bad SPECs naming their source,
//! config files (errors, trust), fallbacks and their warnings, the Chromium
//! rule, and `--print-env`.

use crate::common::fixture;
use crate::common::{Env, bin_dir, launch, path_with};

#[test]
fn bad_specs_name_their_source() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root());
    let r = env.run(&["--gpu", "nvida", "--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(
        r.stderr.contains("'nvida'") && r.stderr.contains("--gpu"),
        "{}",
        r.stderr
    );
    // GPU_LAUNCH_GPU and the config are standing state: a warning that
    // names them, and the choice goes on with the next source
    // (tests/standing.rs has the rest).
    let r =
        Env::new(m.root())
            .set("GPU_LAUNCH_GPU", "PCI:1:0")
            .run(&["--dry-run", "--json", "true"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.json()["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("GPU_LAUNCH_GPU is ignored")
    );
    let env = Env::new(m.root()).config("[apps.true]\ngpu = \"bogus\"\n");
    let r = env.run(&["--dry-run", "--json", "true"]);
    assert_eq!(r.status, 0, "{r:?}");
    let note = r.json()["notes"][0].as_str().unwrap().to_owned();
    assert!(
        note.contains("config.toml:2:7") && note.contains("[apps.true]"),
        "{note}"
    );
    // --strict makes it an error, even when --gpu decides.
    let r = env.run(&["--strict", "--gpu", "nvidia", "--dry-run", "true"]);
    assert_eq!(r.status, 125, "{r:?}");
}

#[test]
fn fallbacks_warn_on_stderr_and_still_launch() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (run, probe, _d) = launch(&env, &["--gpu", "amd", "prog"]);
    assert_eq!(run.status, 0, "{run:?}");
    // One line that names the SPEC and where it came from.
    crate::common::one_error_line(&run);
    assert!(
        run.stderr.contains("'amd'") && run.stderr.contains("--gpu"),
        "{}",
        run.stderr
    );
    let p = probe.unwrap();
    assert_eq!(
        p.var("__NV_PRIME_RENDER_OFFLOAD"),
        None,
        "fell back to the default GPU"
    );
}

#[test]
fn verbose_logs_the_decision() {
    let m = fixture::intel_nvidia_laptop();
    let r = Env::new(m.root()).run(&["-v", "--dry-run", "true"]);
    assert_eq!(r.status, 0);
    assert!(
        r.stderr.contains("default GPU") && r.stderr.contains("boot_vga"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("selected"), "{}", r.stderr);
    let r = Env::new(m.root())
        .set("GPU_LAUNCH_LOG", "debug")
        .run(&["--dry-run", "true"]);
    assert!(r.stderr.contains("selected"), "{}", r.stderr);
    let quiet = Env::new(m.root()).run(&["--dry-run", "true"]);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn choice_precedence() {
    let m = fixture::laptop_dgpu_and_egpu();
    let cfg = "gpu = \"nvidia\"\n[apps.blender]\ngpu = \"integrated\"\n[apps.\"org.blender.Blender\"]\ngpu = \"external\"\n";
    let pci = |env: &Env, args: &[&str]| -> String {
        let mut a = vec!["--print-env", "--json"];
        a.extend_from_slice(args);
        env.run(&a).json()["gpu"]["pci"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let env = Env::new(m.root()).config(cfg);
    assert_eq!(pci(&env, &["true"]), "0000:01:00.0", "top-level gpu");
    assert_eq!(
        pci(&env, &["blender"]),
        "0000:00:02.0",
        "[apps.NAME] beats gpu"
    );
    assert_eq!(
        pci(&env, &["/opt/blender/blender"]),
        "0000:00:02.0",
        "keyed by basename"
    );
    assert_eq!(
        pci(&env, &["flatpak", "run", "org.blender.Blender"]),
        "0000:22:00.0",
        "flatpak APP-ID"
    );
    let env = env.set("GPU_LAUNCH_GPU", "external");
    assert_eq!(
        pci(&env, &["blender"]),
        "0000:22:00.0",
        "GPU_LAUNCH_GPU beats the config"
    );
    assert_eq!(
        pci(&env, &["--gpu", "0", "blender"]),
        "0000:00:02.0",
        "--gpu beats everything"
    );
    let none = Env::new(m.root());
    assert_eq!(pci(&none, &["true"]), "0000:22:00.0", "auto: the eGPU");
    let empty = Env::new(m.root()).set("GPU_LAUNCH_GPU", "");
    assert_eq!(
        pci(&empty, &["true"]),
        "0000:22:00.0",
        "an empty GPU_LAUNCH_GPU is unset"
    );
}

#[test]
fn config_files_errors_and_trust() {
    use std::os::unix::fs::PermissionsExt;
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root()).config("gpu = \"integrated\"\nstrict = true\n");
    let v = env.run(&["--dry-run", "--json", "true"]).json();
    assert_eq!(v["gpu"]["pci"], "0000:00:02.0");
    // strict from the config.
    assert_eq!(env.run(&["--dry-run", "--gpu", "amd", "true"]).status, 125);
    // --config and GPU_LAUNCH_CONFIG replace the search.
    let other = tempfile::tempdir().unwrap();
    let file = other.path().join("c.toml");
    std::fs::write(&file, "gpu = \"default\"\n").unwrap();
    let env = Env::new(m.root()).config("gpu = \"nvidia\"\n");
    let f = file.to_str().unwrap();
    assert_eq!(
        env.run(&["--config", f, "--dry-run", "--json", "true"])
            .json()["offload"],
        false
    );
    let via_env = Env::new(m.root()).set("GPU_LAUNCH_CONFIG", f);
    assert_eq!(
        via_env.run(&["--dry-run", "--json", "true"]).json()["offload"],
        false
    );
    // An explicit --config is what the user typed: missing, malformed or
    // untrusted, it is an error naming the file.
    let r = env.run(&[
        "--config",
        &crate::common::absent("c.toml"),
        "--dry-run",
        "true",
    ]);
    assert_eq!(r.status, 125, "{r:?}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let r = env.run(&["--config", f, "--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(
        r.stderr.contains(f) && r.stderr.contains("writable"),
        "{}",
        r.stderr
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o620)).unwrap();
    assert_eq!(env.run(&["--config", f, "--dry-run", "true"]).status, 125);
}

#[test]
fn chromium_family_gets_the_render_node() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["chromium", "flatpak", "firefox"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (_r, p, _d) = launch(&env, &["chromium", "https://example.org"]);
    assert_eq!(
        p.unwrap().args_lossy(),
        [
            "chromium",
            "--render-node-override=/dev/dri/renderD129",
            "https://example.org"
        ]
    );
    let (_r, p, _d) = launch(
        &env,
        &["chromium", "--render-node-override=/dev/dri/renderD128"],
    );
    assert_eq!(
        p.unwrap().args_lossy(),
        ["chromium", "--render-node-override=/dev/dri/renderD128"]
    );
    let (_r, p, _d) = launch(
        &env,
        &[
            "flatpak",
            "run",
            "--branch=stable",
            "org.chromium.Chromium",
            "x",
        ],
    );
    assert_eq!(
        p.unwrap().args_lossy(),
        [
            "flatpak",
            "run",
            "--branch=stable",
            "org.chromium.Chromium",
            "--render-node-override=/dev/dri/renderD129",
            "x"
        ]
    );
    let (_r, p, _d) = launch(&env, &["firefox"]);
    assert_eq!(p.unwrap().args_lossy(), ["firefox"]);
    // The default GPU gets the flag too: left alone, Chromium would open
    // (and wake) every render node to pick one itself.
    let (_r, p, _d) = launch(&env, &["--gpu", "integrated", "chromium"]);
    assert_eq!(
        p.unwrap().args_lossy(),
        ["chromium", "--render-node-override=/dev/dri/renderD128"]
    );
    let (_r, p, _d) = launch(
        &env,
        &["--gpu", "default", "flatpak", "run", "com.google.Chrome"],
    );
    assert_eq!(
        p.unwrap().args_lossy(),
        [
            "flatpak",
            "run",
            "com.google.Chrome",
            "--render-node-override=/dev/dri/renderD128"
        ]
    );
    // One GPU with a render node: nothing to choose between, no flag.
    let vm = fixture::vm_virtio();
    let single = Env::new(vm.root()).set("PATH", &path_with(bin.path()));
    let (_r, p, _d) = launch(&single, &["chromium"]);
    assert_eq!(p.unwrap().args_lossy(), ["chromium"]);
    let nodrm = fixture::nvidia_without_drm();
    let one_node = Env::new(nodrm.root()).set("PATH", &path_with(bin.path()));
    let (_r, p, _d) = launch(&one_node, &["--gpu", "default", "chromium"]);
    assert_eq!(p.unwrap().args_lossy(), ["chromium"]);
    // Config turns it off, or replaces the list.
    let off = Env::new(m.root())
        .set("PATH", &path_with(bin.path()))
        .config("[chromium]\nenable = false\n");
    let (_r, p, _d) = launch(&off, &["chromium"]);
    assert_eq!(p.unwrap().args_lossy(), ["chromium"]);
    let list = Env::new(m.root())
        .set("PATH", &path_with(bin.path()))
        .config("[chromium]\nprograms = [\"firefox\"]\n");
    let (_r, p, _d) = launch(&list, &["firefox"]);
    assert_eq!(
        p.unwrap().args_lossy(),
        ["firefox", "--render-node-override=/dev/dri/renderD129"]
    );
    let (_r, p, _d) = launch(&list, &["chromium"]);
    assert_eq!(p.unwrap().args_lossy(), ["chromium"]);
}

#[test]
fn print_env_is_safe_to_eval() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root()).set("DRI_PRIME", "1");
    let r = env.run(&["--print-env"]);
    assert_eq!(r.status, 0);
    assert_eq!(
        r.stdout,
        "unset DRI_PRIME\nexport __NV_PRIME_RENDER_OFFLOAD='1'\nexport __GLX_VENDOR_LIBRARY_NAME='nvidia'\nexport __VK_LAYER_NV_optimus='NVIDIA_only'\nexport MESA_VK_DEVICE_SELECT='10de:28e0'\n"
    );
    let script = format!(
        "DRI_PRIME=1; export DRI_PRIME; eval \"$({} --print-env)\"; echo \"${{DRI_PRIME-unset}} $__NV_PRIME_RENDER_OFFLOAD\"",
        crate::common::bin().display()
    );
    let sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("GPU_LAUNCH_SYSFS_ROOT", m.root())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&sh.stdout), "unset 1\n");
    // With PROGRAM, its [apps.NAME] entry applies.
    let env = Env::new(m.root()).config("[apps.blender]\ngpu = \"integrated\"\n");
    assert_eq!(env.run(&["--print-env", "blender"]).stdout, "");
    let v = env.run(&["--print-env", "--json", "blender"]).json();
    assert_eq!(v["gpu"]["pci"], "0000:00:02.0");
    assert_eq!(v["env"], serde_json::json!({}));
    let v = env.run(&["--print-env", "--json", "other"]).json();
    assert_eq!(v["gpu"]["pci"], "0000:01:00.0");
}
