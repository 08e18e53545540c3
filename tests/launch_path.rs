//! The launch path under strace: it reads sysfs and nothing that could wake a
//! GPU: no `/dev` node, no PCI `config` space, no NVML. Opens are told by
//! every call that opens a path (`common::OPEN_CALLS`: `openat2` too), and
//! a positive control shows the trace would show them.

use std::path::Path;

use crate::common::{Call, Env, c_program, calls, fixture, opened, probe_as, strace};

/// Runs gpu-launch under `strace -f -y` (full strings, every argument, the
/// path of each descriptor, so that an open relative to a directory shows
/// where it is) and
/// returns the calls it made before it exec'd PROGRAM (the first execve
/// is gpu-launch itself, the second PROGRAM), and that exec.
fn before_exec(env: &Env, args: &[&str]) -> (Vec<Call>, Call) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = env.command(args);
    cmd.env("PROBE_OUT", dir.path().join("probe.out"));
    let all = calls(&strace(&cmd, &["-y", "-v", "-s", "4096"]));
    let execs: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].name == "execve")
        .collect();
    assert!(execs.len() >= 2, "PROGRAM was not exec'd: {all:#?}");
    (all[execs[0] + 1..execs[1]].to_vec(), all[execs[1]].clone())
}

/// What must never happen before the exec: opening a `/dev` node, PCI
/// config space, NVML or the PCI ID database.
fn assert_wakes_nothing(calls: &[Call]) {
    for path in opened(calls) {
        assert!(!path.starts_with("/dev/"), "opened {path}");
        assert!(!path.ends_with("/config"), "read PCI config space: {path}");
        assert!(!path.contains("nvidia-ml"), "loaded NVML: {path}");
        assert!(!path.contains("pci.ids"), "parsed pci.ids: {path}");
    }
}

fn env_with_prog(root: &Path) -> (Env, tempfile::TempDir) {
    let bin = tempfile::tempdir().unwrap();
    probe_as(bin.path(), "prog");
    let env = Env::new(root).set("PATH", &format!("{}:/usr/bin:/bin", bin.path().display()));
    (env, bin)
}

/// The control: a program that opens `/dev/null` with `openat2`, with
/// `openat`, and with `openat2` relative to a descriptor of `/dev` (as
/// gpu-launch reads sysfs), under the same tracer and parser, shows all
/// three opens of `/dev/null`.
#[test]
fn the_trace_shows_opens_of_every_kind() {
    let control = c_program("open2");
    let mut cmd = std::process::Command::new(&control);
    cmd.arg("/dev/null");
    let calls = calls(&strace(&cmd, &["-y"]));
    let names: Vec<&str> = calls
        .iter()
        .filter(|c| c.resolved.as_deref() == Some("/dev/null"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["openat2", "openat", "openat2"], "{calls:#?}");
    let null = opened(&calls).iter().filter(|p| **p == "/dev/null").count();
    assert_eq!(null, 3);
}

#[test]
fn fixture_launch_reads_only_sysfs() {
    let m = fixture::intel_nvidia_laptop();
    let (env, _bin) = env_with_prog(m.root());
    let (calls, exec) = before_exec(&env, &["prog"]);
    assert_wakes_nothing(&calls);
    // The plan was applied: PROGRAM's execve carries the offload variables.
    assert!(
        exec.line.contains("__NV_PRIME_RENDER_OFFLOAD=1"),
        "{exec:?}"
    );
    let root = m.root().display().to_string();
    let paths = opened(&calls);
    assert!(
        paths.iter().any(|p| *p == format!("{root}/class/drm")),
        "the sysfs walk: {paths:#?}"
    );
    // Each GPU's uevent, through the fixture's own tree.
    for gpu in ["0000:00:02.0", "0000:01:00.0"] {
        assert!(
            paths
                .iter()
                .any(|p| p.starts_with(&root) && p.ends_with(&format!("{gpu}/uevent"))),
            "{gpu}: {paths:#?}"
        );
    }
    // No sysfs path outside the fixture: the real /sys never mixes in.
    assert!(!paths.iter().any(|p| p.starts_with("/sys/")), "{paths:#?}");
}

/// On this machine's real `/sys` (GPU or not), with the compositor variables
/// a Hyprland session sets: the walk happens (`/sys/class/drm` is read, on
/// a machine without GPUs too), and nothing is opened in `/dev`. Following
/// a compositor entry's symlink may look at `/dev/dri/cardN` (readlink,
/// stat), never open it.
#[test]
fn real_sysfs_launch_opens_no_device_node() {
    let (env, _bin) = env_with_prog(Path::new("/sys"));
    let env = env
        .unset("GPU_LAUNCH_SYSFS_ROOT")
        .set("AQ_DRM_DEVICES", "/dev/dri/card1:/dev/dri/card0");
    let (calls, _) = before_exec(&env, &["prog"]);
    assert_wakes_nothing(&calls);
    let paths = opened(&calls);
    assert!(
        paths.contains(&"/sys/class/drm"),
        "the walk of the real sysfs: {paths:#?}"
    );
}

/// PROGRAM gets the caller's descriptors and none of gpu-launch's own (the
/// sysfs root it walks from, the config file, the log): the launch opens
/// each close-on-exec, as a shell's exec leaves nothing of its own behind.
#[test]
fn nothing_gpu_launch_opened_reaches_the_program() {
    use std::os::unix::process::CommandExt;
    let m = fixture::intel_nvidia_laptop();
    let (env, _bin) = env_with_prog(m.root());
    let env = env.config("gpu = \"nvidia\"\n");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probe.out");
    for args in [&["prog"][..], &["--gpu", "integrated", "prog"][..]] {
        let mut cmd = env.command(args);
        cmd.env("PROBE_OUT", &out);
        // SAFETY: only async-signal-safe calls between fork and exec. The
        // caller gives 0, 1, 2 and 7, whatever this test process inherited.
        unsafe {
            cmd.pre_exec(|| {
                for fd in 3..1024 {
                    libc::close(fd);
                }
                libc::dup2(2, 7);
                Ok(())
            });
        }
        assert!(cmd.status().unwrap().success(), "{args:?}");
        let mut fds = crate::common::Probe::read(&out).fds;
        fds.sort_unstable();
        assert_eq!(fds, [0, 1, 2, 7], "{args:?}: the caller's descriptors only");
    }
}
