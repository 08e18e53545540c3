//! Launching for real: the built binary execs a probe program that records
//! its pid, argv, environment, signal state and descriptors.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::common::fixture;
use crate::common::{Env, Probe, Run, probe_as};

/// Runs `args` under gpu-launch with the probe recording to a temp file.
fn launch<S: AsRef<OsStr>>(env: &Env, args: &[S]) -> (Run, Option<Probe>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.out");
    let mut cmd = env.command(args);
    cmd.env("PROBE_OUT", &out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let run: Run = child.wait_with_output().unwrap().into();
    let probe = out.exists().then(|| Probe::read(&out));
    if let Some(p) = &probe {
        assert_eq!(p.pid, pid, "exec in place: the probe has gpu-launch's pid");
        assert_eq!(p.ppid, std::process::id(), "no process in between");
    }
    (run, probe, dir)
}

/// A PATH directory holding the probe under `names`.
fn bin_dir(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        probe_as(dir.path(), n);
    }
    dir
}

fn path_with(dir: &Path) -> String {
    format!("{}:/usr/bin:/bin", dir.display())
}

#[test]
fn execs_in_place_with_the_offload_environment() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["glxgears"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (run, probe, _d) = launch(&env, &["glxgears", "-info"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(run.stderr, "", "a clean launch says nothing");
    let p = probe.unwrap();
    assert_eq!(p.args_lossy(), ["glxgears", "-info"]);
    assert_eq!(p.var("__NV_PRIME_RENDER_OFFLOAD").as_deref(), Some("1"));
    assert_eq!(
        p.var("__GLX_VENDOR_LIBRARY_NAME").as_deref(),
        Some("nvidia")
    );
    assert_eq!(
        p.var("__VK_LAYER_NV_optimus").as_deref(),
        Some("NVIDIA_only")
    );
    assert_eq!(p.var("DRI_PRIME"), None);
}

#[test]
fn arguments_pass_byte_for_byte() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let args: Vec<OsString> = vec![
        "-g".into(),
        "nvidia".into(),
        "prog".into(),
        "two words".into(),
        "".into(),
        OsString::from_vec(vec![0xff, 0xfe, b'x', 0x80]),
        "--gpu".into(),
        "amd".into(),
        "--help".into(),
        "--".into(),
        "-n".into(),
        "--dry-run".into(),
        "ünïcode ✓".into(),
        "'quotes\" and $VARS `x` \\".into(),
        "\n".into(),
    ];
    let (run, probe, _d) = launch(&env, &args);
    assert_eq!(run.status, 0, "{run:?}");
    let p = probe.unwrap();
    let expected: Vec<Vec<u8>> = args[2..].iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(p.args, expected);
}

#[test]
fn programs_named_like_options_or_words() {
    let m = fixture::no_gpu();
    let bin = bin_dir(&["list", "--weird", "-n"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (run, probe, _d) = launch(&env, &["list", "--list"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(probe.unwrap().args_lossy(), ["list", "--list"]);
    let (run, probe, _d) = launch(&env, &["--", "--weird", "--", "x"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(probe.unwrap().args_lossy(), ["--weird", "--", "x"]);
    let (run, probe, _d) = launch(&env, &["-g", "auto", "--", "-n"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(probe.unwrap().args_lossy(), ["-n"]);
}

#[test]
fn the_environment_passes_through_except_selection_variables() {
    let m = fixture::intel_amd_laptop();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let mut cmd = env.command(&["prog"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.out");
    cmd.env("PROBE_OUT", &out)
        .env("DRI_PRIME", "1")
        .env("__NV_PRIME_RENDER_OFFLOAD", "1")
        .env("VK_LOADER_DRIVERS_SELECT", "*nvidia*")
        .env("MESA_VK_DEVICE_SELECT", "10de:28e0!")
        .env("WEIRD", OsStr::from_bytes(&[0xff, b'=', b' ', 0x01]))
        .env("EMPTY", "")
        .env("MULTI", "line1\nline2")
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let run: Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.status, 0, "{run:?}");
    let p = Probe::read(&out);
    assert_eq!(p.var("DRI_PRIME").as_deref(), Some("pci-0000_03_00_0"));
    for gone in [
        "__NV_PRIME_RENDER_OFFLOAD",
        "VK_LOADER_DRIVERS_SELECT",
        "MESA_VK_DEVICE_SELECT",
    ] {
        assert_eq!(p.var(gone), None, "{gone} must be removed");
    }
    let weird: Vec<u8> = [b"WEIRD=".as_slice(), &[0xff, b'=', b' ', 0x01]].concat();
    assert!(p.env.contains(&weird), "non-UTF-8 value kept byte for byte");
    assert!(p.env.contains(&b"EMPTY=".to_vec()));
    assert!(p.env.contains(&b"MULTI=line1\nline2".to_vec()));
    // Nothing else added: the probe's environment is exactly ours plus DRI_PRIME.
    let mut expected: Vec<Vec<u8>> = cmd
        .get_envs()
        .filter(|(k, _)| {
            ![
                "DRI_PRIME",
                "__NV_PRIME_RENDER_OFFLOAD",
                "VK_LOADER_DRIVERS_SELECT",
                "MESA_VK_DEVICE_SELECT",
            ]
            .contains(&k.to_str().unwrap())
        })
        .filter_map(|(k, v)| Some([k.as_bytes(), b"=", v?.as_bytes()].concat()))
        .collect();
    expected.push(b"DRI_PRIME=pci-0000_03_00_0".to_vec());
    let mut got = p.env.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn exit_statuses() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let dir = bin.path();
    crate::common::write_executable(&dir.join("noexec"), "#!/bin/sh\nexit 0\n", 0o644);
    std::fs::create_dir(dir.join("adir")).unwrap();
    // A script without #!: the kernel refuses it (ENOEXEC), /bin/sh runs it.
    crate::common::write_executable(&dir.join("shebangless"), "exit 7\n", 0o755);
    let env = Env::new(m.root()).set("PATH", &path_with(dir));

    let status = |args: &[&str]| {
        env.command(args)
            .env("PROBE_OUT", dir.join("o"))
            .output()
            .unwrap()
    };
    let code = |args: &[&str]| status(args).status.code().unwrap();
    let err = |args: &[&str]| String::from_utf8(status(args).stderr).unwrap();

    // PROGRAM's own status.
    assert_eq!(
        env.command(&["prog"])
            .env("PROBE_OUT", dir.join("o"))
            .env("PROBE_EXIT", "42")
            .status()
            .unwrap()
            .code(),
        Some(42)
    );
    assert_eq!(code(&["shebangless"]), 7);
    let abs = dir.join("shebangless");
    assert_eq!(code(&[abs.to_str().unwrap()]), 7);
    // 127: not found, by name or path.
    assert_eq!(code(&["no-such-program-xyz"]), 127);
    assert_eq!(code(&["/nonexistent/prog"]), 127);
    assert_eq!(code(&["--dry-run", "no-such-program-xyz"]), 127);
    assert_eq!(code(&[""]), 127);
    let e = err(&["no-such-program-xyz"]);
    assert_eq!(e, "gpu-launch: no-such-program-xyz: command not found\n");
    // 126: found but not executable; a directory.
    assert_eq!(code(&["noexec"]), 126);
    assert_eq!(code(&[dir.join("noexec").to_str().unwrap()]), 126);
    assert_eq!(code(&[dir.to_str().unwrap()]), 126);
    assert_eq!(code(&["--dry-run", "noexec"]), 126);
    assert!(err(&["noexec"]).starts_with("gpu-launch: noexec: "));
    // 125: gpu-launch itself.
    assert_eq!(code(&["--frobnicate", "prog"]), 125);
    assert_eq!(code(&[]), 125);
    assert_eq!(code(&["--gpu", "nvida", "prog"]), 125);
    assert_eq!(code(&["--strict", "--gpu", "amd", "prog"]), 125);
    assert_eq!(code(&["--config", "/nonexistent.toml", "prog"]), 125);
    // 0: queries.
    for q in [
        &["--dry-run", "prog"][..],
        &["--list"],
        &["--print-env"],
        &["--help"],
        &["--version"],
        &["-h"],
        &["-V"],
    ] {
        assert_eq!(code(q), 0, "{q:?}");
    }
    // Usage errors are one line naming what failed.
    for bad in [
        &["--frobnicate", "prog"][..],
        &["--gpu", "nvida", "prog"],
        &["--list", "x"],
        &[],
    ] {
        let e = err(bad);
        assert!(
            e.starts_with("gpu-launch: ") && e.ends_with('\n') && e.matches('\n').count() == 1,
            "{bad:?}: {e:?}"
        );
    }
}

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
    let r = Env::new(m.root())
        .set("GPU_LAUNCH_GPU", "PCI:1:0")
        .run(&["--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(r.stderr.contains("GPU_LAUNCH_GPU"), "{}", r.stderr);
    let env = Env::new(m.root()).config("[apps.true]\ngpu = \"bogus\"\n");
    let r = env.run(&["--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(
        r.stderr.contains("config.toml:2:7") && r.stderr.contains("[apps.true]"),
        "{}",
        r.stderr
    );
    // A bad SPEC in the config fails even when --gpu decides.
    let r = env.run(&["--gpu", "nvidia", "--dry-run", "true"]);
    assert_eq!(r.status, 125, "{r:?}");
}

#[test]
fn fallbacks_warn_on_stderr_and_still_launch() {
    let m = fixture::intel_nvidia_laptop();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let (run, probe, _d) = launch(&env, &["--gpu", "amd", "prog"]);
    assert_eq!(run.status, 0, "{run:?}");
    assert!(
        run.stderr
            .starts_with("gpu-launch: warning: no GPU matches 'amd' (from --gpu)"),
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
fn signal_state_is_what_the_caller_gave() {
    let m = fixture::no_gpu();
    let bin = bin_dir(&["prog"]);
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let mut cmd = env.command(&["prog"]);
    cmd.env("PROBE_OUT", &out);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGUSR1, libc::SIG_IGN);
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            // An inherited descriptor without close-on-exec.
            libc::dup2(2, 7);
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    assert!(status.success());
    let p = Probe::read(&out);
    assert!(
        p.ignored.contains(&libc::SIGUSR1),
        "ignored signals stay ignored: {p:?}"
    );
    assert!(
        !p.ignored.contains(&libc::SIGPIPE),
        "Rust's SIGPIPE ignore must not leak: {p:?}"
    );
    assert_eq!(p.blocked, vec![libc::SIGUSR2], "the mask passes through");
    assert!(p.fds.contains(&7), "descriptors pass through: {:?}", p.fds);

    // An ignored SIGPIPE is passed on too, as a shell's exec would.
    let mut cmd = env.command(&["prog"]);
    cmd.env("PROBE_OUT", &out);
    // SAFETY: as above.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            Ok(())
        });
    }
    assert!(cmd.status().unwrap().success());
    assert!(Probe::read(&out).ignored.contains(&libc::SIGPIPE));
}

#[test]
fn working_directory_is_kept() {
    let m = fixture::no_gpu();
    let bin = bin_dir(&["prog"]);
    let cwd = tempfile::tempdir().unwrap();
    let env = Env::new(m.root()).set("PATH", &path_with(bin.path()));
    let out = cwd.path().join("o");
    let status = env
        .command(&["prog"])
        .current_dir(cwd.path())
        .env("PROBE_OUT", &out)
        .status()
        .unwrap();
    assert!(status.success());
    let p = Probe::read(&out);
    assert_eq!(
        Path::new(OsStr::from_bytes(&p.cwd)),
        cwd.path().canonicalize().unwrap()
    );
}

#[test]
fn relative_program_paths_and_path_entries() {
    let m = fixture::no_gpu();
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("bin")).unwrap();
    probe_as(&cwd.path().join("bin"), "rel");
    let out = cwd.path().join("o");
    // ./bin/rel relative to the working directory.
    let env = Env::new(m.root());
    let r = env
        .command(&["./bin/rel", "a"])
        .current_dir(cwd.path())
        .env("PROBE_OUT", &out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    assert_eq!(Probe::read(&out).args_lossy(), ["./bin/rel", "a"]);
    // A relative PATH entry, as execvp treats it.
    let env = Env::new(m.root()).set("PATH", "bin");
    let r = env
        .command(&["rel"])
        .current_dir(cwd.path())
        .env("PROBE_OUT", &out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    // --dry-run shows the absolute path that will be exec'd.
    let v = Run::from(
        env.command(&["--dry-run", "--json", "rel"])
            .current_dir(cwd.path())
            .output()
            .unwrap(),
    )
    .json();
    assert_eq!(v["program"], cwd.path().join("bin/rel").to_str().unwrap());
    assert_eq!(v["argv"], serde_json::json!(["rel"]));
    // PATH unset: execvp's default /bin:/usr/bin.
    let env = Env::new(m.root()).unset("PATH");
    let v = env.run(&["--dry-run", "--json", "sh"]).json();
    assert!(
        v["program"] == "/bin/sh" || v["program"] == "/usr/bin/sh",
        "{v}"
    );
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
    // No offload, no flag.
    let (_r, p, _d) = launch(&env, &["--gpu", "integrated", "chromium"]);
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
        "unset DRI_PRIME\nexport __NV_PRIME_RENDER_OFFLOAD='1'\nexport __GLX_VENDOR_LIBRARY_NAME='nvidia'\nexport __VK_LAYER_NV_optimus='NVIDIA_only'\n"
    );
    let script = format!(
        "DRI_PRIME=1; export DRI_PRIME; eval \"$({} --print-env)\"; echo \"${{DRI_PRIME-unset}} $__NV_PRIME_RENDER_OFFLOAD\"",
        crate::common::BIN
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
    // Malformed and unknown keys: file, line, column.
    let bad = Env::new(m.root()).config("gpu = \"nvidia\"\n[chromium]\nenabled = true\n");
    let r = bad.run(&["--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(
        r.stderr.contains("config.toml:3:1") && r.stderr.contains("enabled"),
        "{}",
        r.stderr
    );
    let bad = Env::new(m.root()).config("gpu = [\n");
    let r = bad.run(&["--dry-run", "true"]);
    assert_eq!(r.status, 125);
    assert!(r.stderr.contains("config.toml:"), "{}", r.stderr);
    // --config and GPU_LAUNCH_CONFIG replace the search and must exist.
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
    let missing = Env::new(m.root()).set("GPU_LAUNCH_CONFIG", "/nonexistent/c.toml");
    assert_eq!(missing.run(&["--dry-run", "true"]).status, 125);
    // Writable by others: refused, naming the file.
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
#[ignore = "needs root (chowns a copy of the binary to another user); CI runs it"]
fn refuses_to_run_setuid() {
    assert_eq!(unsafe { libc::geteuid() }, 0, "run as root");
    let (_dir, copy) = crate::common::setuid_copy();
    let out = std::process::Command::new(&copy)
        .args(["--dry-run", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("gpu-launch: refusing to run with raised privileges"),
        "{err}"
    );
}
