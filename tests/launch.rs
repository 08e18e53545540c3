//! Launching for real: the built binary execs a probe program that records
//! its pid, argv, environment, signal state and descriptors.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::common::fixture;
use crate::common::{Env, Probe, Run, bin_dir, launch, path_with, probe_as};

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
    // The caller's value is replaced by the plan's.
    assert_eq!(p.var("MESA_VK_DEVICE_SELECT").as_deref(), Some("1002:73ff"));
    for gone in ["__NV_PRIME_RENDER_OFFLOAD", "VK_LOADER_DRIVERS_SELECT"] {
        assert_eq!(p.var(gone), None, "{gone} must be removed");
    }
    let weird: Vec<u8> = [b"WEIRD=".as_slice(), &[0xff, b'=', b' ', 0x01]].concat();
    assert!(p.env.contains(&weird), "non-UTF-8 value kept byte for byte");
    assert!(p.env.contains(&b"EMPTY=".to_vec()));
    assert!(p.env.contains(&b"MULTI=line1\nline2".to_vec()));
    // Nothing else added: the probe's environment is exactly ours plus the
    // plan's two variables.
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
    expected.push(b"MESA_VK_DEVICE_SELECT=1002:73ff".to_vec());
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
    assert_eq!(code(&[&crate::common::absent("prog")]), 127);
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
    assert_eq!(
        code(&["--config", &crate::common::absent("c.toml"), "prog"]),
        125
    );
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
        crate::common::one_error_line(&status(bad).into());
    }
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
