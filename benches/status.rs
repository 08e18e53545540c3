//! What `--status --waybar` costs with many processes holding descriptors:
//! waybar runs it every few seconds, and finding who holds each GPU `stat`s
//! every descriptor of every process.
//!
//! The bench starts 500 processes (tests/holder/holder.c) holding 20
//! descriptors each, on the awake-dGPU laptop fixture:
//!
//! - as root, on device nodes made with `mknod` with the fixture's numbers
//!   (the dGPU's card0 226:0 and renderD129 226:129), so every process is a
//!   holder (its `comm` read, its name in the tooltip): the worst case;
//! - on ordinary files (any user): nothing matches, every descriptor is
//!   still looked at.
//!
//! and measures, against the same command with only the machine's own
//! processes: the median wall time (`hyperfine -N`) and the system calls
//! (`strace -f -c`). `cargo bench --bench status` (needs hyperfine and
//! strace, Debian packages of those names; cc builds the holder). Set
//! `STATUS_BENCH_QUICK=1` for fewer runs.

#[allow(dead_code)] // the holders' source file only
#[path = "../tests/common/checkout.rs"]
mod checkout;
#[allow(dead_code)] // each user of the fixture builder uses a part of it
#[path = "../tests/common/fixture/mod.rs"]
mod fixture;
#[allow(dead_code)]
#[path = "../tests/common/holder.rs"]
mod holder;

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gpu-launch");
const PROCS: u32 = 500;
const FDS: u32 = 20;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null"))
        .status()
        .is_ok_and(|s| s.success())
}

fn status_cmd(root: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["--status", "--waybar"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("GPU_LAUNCH_SYSFS_ROOT", root);
    cmd
}

/// Median wall time and mean CPU time (user + system) in milliseconds
/// (hyperfine -N); the CPU time says more on a loaded machine.
fn times_ms(root: &Path, work: &Path, runs: u32) -> (f64, f64) {
    let json = work.join("hyperfine.json");
    let status = Command::new("hyperfine")
        .args(["-N", "--warmup", "5", "--runs", &runs.to_string()])
        .arg("--export-json")
        .arg(&json)
        .arg(format!("{BIN} --status --waybar"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("GPU_LAUNCH_SYSFS_ROOT", root)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("hyperfine");
    assert!(status.success(), "hyperfine failed");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let r = &v["results"][0];
    let cpu = r["user"].as_f64().unwrap() + r["system"].as_f64().unwrap();
    (r["median"].as_f64().unwrap() * 1e3, cpu * 1e3)
}

/// (total system calls, the busiest calls) from `strace -f -c`.
fn syscalls(root: &Path, work: &Path) -> (u64, Vec<String>) {
    let log = work.join("strace-c.log");
    let cmd = status_cmd(root);
    let status = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&log)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("strace");
    assert!(status.success(), "strace failed");
    let text = std::fs::read_to_string(log).unwrap();
    // `% time seconds usecs/call calls errors syscall`, then a `total` row.
    let calls = |l: &str| -> Option<u64> {
        let cols: Vec<&str> = l.split_whitespace().collect();
        let n = cols.len();
        (n >= 5).then(|| cols[3].parse().ok()).flatten()
    };
    let total = text
        .lines()
        .find(|l| l.trim_end().ends_with(" total"))
        .and_then(calls)
        .expect("strace -c total");
    let mut rows: Vec<(u64, String)> = text
        .lines()
        .filter(|l| !l.contains("total") && !l.contains("syscall") && !l.starts_with('-'))
        .filter_map(|l| Some((calls(l)?, l.split_whitespace().last()?.to_owned())))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let top = rows
        .into_iter()
        .take(5)
        .map(|(n, name)| format!("{name} {n}"))
        .collect();
    (total, top)
}

fn report(label: &str, root: &Path, work: &Path, runs: u32) {
    let (ms, cpu) = times_ms(root, work, runs);
    let (n, top) = syscalls(root, work);
    let out = status_cmd(root).output().expect("gpu-launch --status");
    assert!(out.status.success(), "{out:?}");
    let held = String::from_utf8_lossy(&out.stdout).contains("\"held\"");
    println!(
        "{label:<46} {ms:>8.2} ms wall {cpu:>8.2} ms cpu {n:>8} syscalls  held={held}  ({})",
        top.join(", ")
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for tool in ["hyperfine", "strace"] {
        assert!(
            have(tool),
            "this bench needs `{tool}`: install the Debian package `{tool}`"
        );
    }
    let runs = if std::env::var_os("STATUS_BENCH_QUICK").is_some() {
        20
    } else {
        100
    };
    let machine = fixture::intel_nvidia_laptop_awake();
    let root = machine.root();
    let work = tempfile::tempdir().unwrap();
    let procs = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .count();
    println!();
    println!("--status --waybar on the awake-dGPU laptop fixture");
    report(
        &format!("machine's own processes ({procs})"),
        root,
        work.path(),
        runs,
    );

    // Ordinary files: every descriptor is looked at, none matches.
    let files: Vec<PathBuf> = (0..FDS)
        .map(|i| {
            let p = work.path().join(format!("file{i}"));
            std::fs::write(&p, b"").unwrap();
            p
        })
        .collect();
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    {
        let _held = holder::Held::spawn(PROCS, 1, &paths, None);
        report(
            &format!("+{PROCS} processes x {FDS} files"),
            root,
            work.path(),
            runs,
        );
    }

    // Device nodes with the dGPU's numbers: every process is a holder.
    if nix_is_root() {
        let dev = work.path().join("dev");
        std::fs::create_dir(&dev).unwrap();
        let mut nodes = Vec::new();
        for (name, minor) in [("card0", 0), ("renderD129", 129)] {
            let p = dev.join(name);
            let ok = Command::new("mknod")
                .arg(&p)
                .args(["c", "226", &minor.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "mknod {}", p.display());
            nodes.push(p);
        }
        let paths: Vec<&Path> = nodes.iter().map(PathBuf::as_path).collect();
        let _held = holder::Held::spawn(PROCS, FDS / 2, &paths, None);
        report(
            &format!("+{PROCS} processes x {FDS} dGPU nodes (root)"),
            root,
            work.path(),
            runs,
        );
    } else {
        println!("(not root: the device-node case needs mknod)");
    }
    println!(
        "(wall: median of {runs} runs, cpu: mean user + system, hyperfine -N; \
         syscalls: strace -f -c; load average {})",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
