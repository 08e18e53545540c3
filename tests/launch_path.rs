//! The launch path under strace: it reads sysfs and nothing that could wake a
//! GPU: no `/dev` node, no PCI `config` space, no NVML.

use crate::common::{Env, fixture, probe_as, strace};

/// Runs gpu-launch under `strace -f` (full strings, every argument) and
/// returns the trace.
fn trace(env: &Env, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = env.command(args);
    cmd.env("PROBE_OUT", dir.path().join("probe.out"));
    strace(&cmd, &["-v", "-s", "4096"])
}

/// The syscalls gpu-launch made, up to (not including) the exec of PROGRAM.
fn before_exec(trace: &str) -> Vec<&str> {
    let lines: Vec<&str> = trace.lines().collect();
    // The first execve is gpu-launch itself; the second is PROGRAM.
    let execs: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("execve("))
        .map(|(i, _)| i)
        .collect();
    assert!(execs.len() >= 2, "PROGRAM was not exec'd:\n{trace}");
    lines[execs[0] + 1..execs[1]].to_vec()
}

fn assert_wakes_nothing(calls: &[&str]) {
    for l in calls {
        assert!(!l.contains("\"/dev/"), "opened or looked at /dev: {l}");
        assert!(!l.contains("/config\""), "read PCI config space: {l}");
        assert!(!l.contains("nvidia-ml"), "loaded NVML: {l}");
        assert!(!l.contains("pci.ids"), "parsed pci.ids: {l}");
    }
}

#[test]
fn fixture_launch_reads_only_sysfs() {
    let m = fixture::intel_nvidia_laptop();
    let bin = tempfile::tempdir().unwrap();
    probe_as(bin.path(), "prog");
    let env = Env::new(m.root()).set("PATH", &format!("{}:/usr/bin:/bin", bin.path().display()));
    let t = trace(&env, &["prog"]);
    let calls = before_exec(&t);
    assert_wakes_nothing(&calls);
    assert!(
        calls.iter().any(|l| l.contains("class/drm\"")),
        "the trace should show the sysfs walk:\n{t}"
    );
    // The offload plan was applied (the probe's execve carries the variables).
    assert!(t.contains("__NV_PRIME_RENDER_OFFLOAD=1"), "{t}");
}

#[test]
fn real_sysfs_launch_opens_no_device_node() {
    // On this machine's real /sys (GPU or not), with the compositor variables a
    // Hyprland session sets.
    let bin = tempfile::tempdir().unwrap();
    probe_as(bin.path(), "prog");
    let root = std::path::Path::new("/sys");
    let env = Env::new(root)
        .unset("GPU_LAUNCH_SYSFS_ROOT")
        .set("PATH", &format!("{}:/usr/bin:/bin", bin.path().display()))
        .set("AQ_DRM_DEVICES", "/dev/dri/card1:/dev/dri/card0");
    let t = trace(&env, &["prog"]);
    let calls = before_exec(&t);
    for l in &calls {
        // Following a compositor entry's symlink may stat /dev/dri/cardN; it
        // must never open it.
        if l.contains("\"/dev/") {
            assert!(
                !(l.starts_with("openat") || l.contains(" openat(") || l.contains(" open(")),
                "opened a /dev node: {l}"
            );
        }
        assert!(!l.contains("nvidia-ml"), "loaded NVML: {l}");
        assert!(!l.contains("/config\""), "read PCI config space: {l}");
    }
}
