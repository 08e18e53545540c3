//! Who keeps a GPU awake: `holders` in `--list --json` and `--status
//! --json`, the `held by` words of `--status` and the waybar tooltip, and
//! waybar's `held` class. Real processes hold real descriptors
//! (tests/holder/holder.c, `O_PATH`): on any machine a fixture's node whose
//! `dev` is a device this machine has (`/dev/full`, 1:7) reached through a
//! symlink; as root, nodes made with `mknod` with the fixture's own numbers
//! (226:128, 226:129, 226:0, 195:0), as a GPU machine has them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::fixture::{self, Builder, Fixture};
use crate::common::holder::{Held, holder_binary};
use crate::common::{Env, Run, ok, strace};

/// Where the awake laptop's dGPU (`0000:01:00.0`, card0 + renderD129) keeps
/// its DRM nodes' `dev` attributes.
const DGPU_DRM: &str = "devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm";

/// The Intel + NVIDIA laptop, dGPU awake, its card0 and renderD129 given
/// these device numbers.
fn laptop_with_dgpu_numbers(card0: &str, render: &str) -> Fixture {
    let b = Builder::reopen(fixture::intel_nvidia_laptop_awake());
    b.write(&format!("{DGPU_DRM}/card0/dev"), &format!("{card0}\n"));
    b.write(
        &format!("{DGPU_DRM}/renderD129/dev"),
        &format!("{render}\n"),
    );
    b.build()
}

/// A private directory with `name` -> `target` links.
fn links(pairs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, target) in pairs {
        std::os::unix::fs::symlink(target, dir.path().join(name)).unwrap();
    }
    dir
}

/// The GPU objects of `--list --json` or `--status --json`.
fn gpus(args: &[&str], env: &Env) -> Vec<Value> {
    let r = env.run(args);
    ok(&r);
    let v = r.json();
    let list = if args[0] == "--list" {
        v
    } else {
        v["gpus"].clone()
    };
    list.as_array().unwrap().clone()
}

/// The entries of `gpu`'s holders whose pid is one of `pids`.
fn ours(gpu: &Value, pids: &[u32]) -> Vec<Value> {
    gpu["holders"]
        .as_array()
        .unwrap_or_else(|| panic!("no holders: {gpu}"))
        .iter()
        .filter(|h| pids.iter().any(|p| h["pid"] == json!(p)))
        .cloned()
        .collect()
}

fn holder(pid: u32, node: &str) -> Value {
    json!({"pid": pid, "command": "holder", "node": node})
}

/// True when this process may look at every other process's descriptors
/// (root may not: a non-dumpable process in another user namespace, or
/// without CAP_SYS_PTRACE): what `holders_complete` must then say.
fn sees_everything() -> bool {
    let denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        match std::fs::read_dir(entry.path().join("fd")) {
            Ok(fds) => {
                for fd in fds.flatten() {
                    if std::fs::metadata(fd.path()).is_err_and(|e| denied(&e)) {
                        return false;
                    }
                }
            }
            Err(e) if denied(&e) => return false,
            Err(_) => {}
        }
    }
    true
}

#[test]
fn a_process_is_listed_under_the_gpu_whose_node_it_holds_by_device_number() {
    // /dev/full stands in for the dGPU's render node, reached through a
    // link named otherwise: matched by number, named by the node's own name.
    let m = laptop_with_dgpu_numbers("240:250", "1:7");
    let dir = links(&[("game-gpu", "/dev/full")]);
    let held = Held::new(&[&dir.path().join("game-gpu")]);
    let env = Env::new(m.root());
    for args in [&["--list", "--json"][..], &["--status", "--json"]] {
        let g = gpus(args, &env);
        assert_eq!(
            ours(&g[1], &held.pids),
            [holder(held.pid(), "/dev/dri/renderD129")],
            "{args:?}: {g:#?}"
        );
        assert_eq!(ours(&g[0], &held.pids), Vec::<Value>::new(), "{args:?}");
        for gpu in &g {
            let pids: Vec<u64> = gpu["holders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["pid"].as_u64().unwrap())
                .collect();
            assert!(pids.is_sorted(), "sorted by pid: {gpu}");
            assert!(gpu["holders_complete"].is_boolean(), "{gpu}");
        }
        let complete = sees_everything();
        assert_eq!(g[0]["holders_complete"], complete, "{g:#?}");
        assert_eq!(g[1]["holders_complete"], complete, "{g:#?}");
    }
    // Plans and --print-env show no holders (they never look).
    let r = env.run(&["--dry-run", "--json", "--gpu", "nvidia", "true"]);
    ok(&r);
    assert!(r.json()["gpu"].get("holders").is_none(), "{r:?}");
    let pids = held.pids.clone();
    drop(held);
    let g = gpus(&["--list", "--json"], &env);
    assert_eq!(
        ours(&g[1], &pids),
        Vec::<Value>::new(),
        "gone with its process"
    );
}

#[test]
fn status_and_waybar_name_the_holders_of_an_awake_offload_gpu() {
    let waybar = |env: &Env| -> Value {
        let r = env.run(&["--status", "--waybar"]);
        ok(&r);
        r.json()
    };
    // Nobody holds it (numbers no device has): no `held` class, and the
    // tooltip says so, no more than it saw.
    let unheld = laptop_with_dgpu_numbers("240:250", "240:251");
    let v = waybar(&Env::new(unheld.root()));
    assert_eq!(v["class"], json!(["hybrid", "awake"]), "{v}");
    let tip = v["tooltip"].as_str().unwrap();
    assert!(tip.contains("active, held by no process"), "{tip}");
    // /dev/random (1:8) stands in for renderD129 here (the other tests hold
    // /dev/full, at the same time).
    let m = laptop_with_dgpu_numbers("240:250", "1:8");
    let env = Env::new(m.root());
    let dir = links(&[("render", "/dev/random")]);
    let held = Held::spawn(2, 3, &[&dir.path().join("render")], None);
    let v = waybar(&env);
    assert_eq!(v["class"], json!(["hybrid", "awake", "held"]), "{v}");
    let tip = v["tooltip"].as_str().unwrap();
    let named = format!("holder ({}), holder ({})", held.pids[0], held.pids[1]);
    let line = tip.lines().find(|l| l.starts_with("1: ")).unwrap();
    assert!(
        line.contains(", held by ") && line.contains(&named),
        "{tip}"
    );
    assert!(!tip.lines().next().unwrap().contains("held"), "{tip}");
    let r = env.run(&["--status"]);
    ok(&r);
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
    assert!(r.stdout.contains(&named), "{r:?}");
    let text_gpu1 = r.stdout.split("; ").find(|p| p.starts_with("1: ")).unwrap();
    assert!(
        text_gpu1.starts_with("1: nvidia (nvidia) active, held by "),
        "{r:?}"
    );
    // Only the awake non-default GPU is named: the default GPU, held or
    // not, is what the desktop runs on anyway.
    let m = fixture::intel_nvidia_laptop(); // dGPU suspended
    let asleep = waybar(&Env::new(m.root()));
    assert!(!asleep["tooltip"].as_str().unwrap().contains("held by"));
}

#[test]
fn finding_holders_opens_no_device_and_no_descriptor() {
    let m = laptop_with_dgpu_numbers("240:250", "1:7");
    let dir = links(&[("render", "/dev/full")]);
    let held = Held::new(&[&dir.path().join("render")]);
    let env = Env::new(m.root());
    let trace = strace(
        &env.command(&["--status", "--json"]),
        &["-e", "trace=%file,%desc"],
    );
    let opened: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("open"))
        .filter(|l| {
            // `/dev/...`, the holder's link, `/proc/<pid>/fd/<n>`, or `<n>`
            // relative to a fd directory (opening the directory itself is
            // listing it).
            let arg = l.split('"').nth(1).unwrap_or("");
            let last = arg.rsplit('/').next().unwrap_or(arg);
            arg.starts_with("/dev/")
                || arg.starts_with(&dir.path().display().to_string())
                || (last.parse::<u32>().is_ok() && (arg == last || arg.contains("/fd/")))
        })
        .collect();
    assert!(opened.is_empty(), "{opened:#?}");
    let stats = trace
        .lines()
        .filter(|l| l.contains("stat") && l.contains("S_IFCHR"))
        .count();
    assert!(stats > 0, "descriptors are looked at with stat:\n{trace}");
    drop(held);
}

/// A directory (0755, so another user's holder can reach it) of device
/// nodes made with `mknod`: (name, major, minor).
fn nodes(list: &[(&str, u64, u64)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, major, minor) in list {
        nix::sys::stat::mknod(
            &dir.path().join(name),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o666),
            nix::sys::stat::makedev(*major, *minor),
        )
        .unwrap_or_else(|e| panic!("mknod {name} (needs root): {e}"));
    }
    dir
}

/// `--list --json` run as `uid` (the fixture readable by everyone, the
/// binary copied where that user may run it).
fn list_as(uid: u32, m: &Fixture, extra: &[(&str, &Path)]) -> Run {
    let (_bin_dir, bin) = crate::common::bin_for_anyone();
    open_up(m.root());
    let mut c = std::process::Command::new(&bin);
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("GPU_LAUNCH_SYSFS_ROOT", m.root())
        .args(["--list", "--json"])
        .uid(uid)
        .gid(uid);
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().unwrap().into()
}

/// Makes a tree readable by everyone.
fn open_up(root: &Path) {
    let ok = std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(root)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "chmod {}", root.display());
}

#[test]
#[ignore = "needs root: mknod makes the GPUs' device nodes; a holder runs as nobody; CI runs it"]
fn real_device_numbers_place_each_holder_under_its_own_gpu() {
    crate::common::root_only();
    // The laptop: iGPU card1 (226:1) + renderD128 (226:128); dGPU card0
    // (226:0) + renderD129 (226:129), also /dev/nvidia0 (195:0).
    let m = fixture::intel_nvidia_laptop_awake();
    let nv = tempfile::tempdir().unwrap();
    fixture::nvidia_information(nv.path(), "0000:01:00.0", 0);
    let dev = nodes(&[
        ("renderD128", 226, 128),
        ("renderD129", 226, 129),
        ("card0", 226, 0),
        ("nvidia0", 195, 0),
        ("nvidiactl", 195, 255),
        ("nvidia-modeset", 195, 254),
    ]);
    let d = |n: &str| dev.path().join(n);
    let game = Held::new(&[&d("renderD129"), &d("card0")]);
    let desktop = Held::new(&[&d("renderD128")]);
    let cuda = Held::new(&[&d("nvidiactl"), &d("nvidia0"), &d("nvidia-modeset")]);
    let all = [game.pid(), desktop.pid(), cuda.pid()];
    let env = Env::new(m.root()).set("GPU_LAUNCH_NVIDIA_PROC", &nv.path().display().to_string());
    let g = gpus(&["--list", "--json"], &env);
    let mut dgpu = vec![
        holder(game.pid(), "/dev/dri/card0"),
        holder(game.pid(), "/dev/dri/renderD129"),
        holder(cuda.pid(), "/dev/nvidia0"),
    ];
    dgpu.sort_by_key(|h| h["pid"].as_u64());
    assert_eq!(ours(&g[1], &all), dgpu, "{g:#?}");
    assert_eq!(
        ours(&g[0], &all),
        [holder(desktop.pid(), "/dev/dri/renderD128")],
        "{g:#?}"
    );
    let complete = sees_everything();
    assert_eq!(g[0]["holders_complete"], complete);
    assert_eq!(g[1]["holders_complete"], complete);
    // Without the hook a fixture reads no NVIDIA directory (the real one
    // never mixes in): /dev/nvidia0 names no GPU then.
    let g = gpus(&["--list", "--json"], &Env::new(m.root()));
    assert_eq!(ours(&g[1], &[cuda.pid()]), Vec::<Value>::new());

    // As another user, root's processes cannot be inspected: they are not
    // reported as holding nothing, the list says it is incomplete, and the
    // user's own processes are still found.
    let nobody = Held::spawn(1, 1, &[&d("renderD129")], Some(65534));
    let r = list_as(65534, &m, &[("GPU_LAUNCH_NVIDIA_PROC", nv.path())]);
    ok(&r);
    let g = r.json();
    let g = g.as_array().unwrap();
    let mut everyone = all.to_vec();
    everyone.push(nobody.pid());
    assert_eq!(
        ours(&g[1], &everyone),
        [holder(nobody.pid(), "/dev/dri/renderD129")],
        "{g:#?}"
    );
    assert_eq!(ours(&g[0], &everyone), Vec::<Value>::new());
    for gpu in g {
        assert_eq!(gpu["holders_complete"], false, "{gpu}");
    }
    // Root sees both.
    let g = gpus(&["--list", "--json"], &env);
    let pids: Vec<u64> = ours(&g[1], &everyone)
        .iter()
        .map(|h| h["pid"].as_u64().unwrap())
        .collect();
    assert!(pids.contains(&u64::from(nobody.pid())) && pids.contains(&u64::from(game.pid())));
    assert!(holder_binary().exists());
}

#[test]
#[ignore = "needs root: mknod makes /dev/nvidia0; CI runs it"]
fn a_suspended_nvidia_gpu_is_not_woken_to_read_its_minor() {
    crate::common::root_only();
    let m = fixture::intel_nvidia_laptop(); // dGPU suspended
    let nv = tempfile::tempdir().unwrap();
    fixture::nvidia_information(nv.path(), "0000:01:00.0", 0);
    let info: PathBuf = nv.path().join("gpus/0000:01:00.0/information");
    let dev = nodes(&[("nvidia0", 195, 0)]);
    let cuda = Held::new(&[&dev.path().join("nvidia0")]);
    let env = Env::new(m.root()).set("GPU_LAUNCH_NVIDIA_PROC", &nv.path().display().to_string());
    // NVIDIA's `information` wakes its GPU while read: not read, and the
    // GPU's list says it may miss /dev/nvidia0's holders.
    let trace = strace(&env.command(&["--list", "--json"]), &["-e", "trace=%file"]);
    assert!(
        !trace.contains(&info.display().to_string()),
        "read a suspended GPU's information:\n{trace}"
    );
    let g = gpus(&["--list", "--json"], &env);
    assert_eq!(ours(&g[1], &[cuda.pid()]), Vec::<Value>::new());
    assert_eq!(g[1]["holders_complete"], false, "{g:#?}");
    assert_eq!(g[0]["holders_complete"], sees_everything(), "{g:#?}");
    // --wake allows it.
    let g = gpus(&["--list", "--json", "--wake"], &env);
    assert_eq!(
        ours(&g[1], &[cuda.pid()]),
        [holder(cuda.pid(), "/dev/nvidia0")]
    );
}
