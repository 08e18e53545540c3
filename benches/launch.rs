//! Whole-process cost of a launch, measured with public tools against the
//! anchors: coreutils `env DRI_PRIME=1 /bin/true` (a C exec wrapper) and a
//! prime-run style bash script, on the two-GPU hybrid-laptop fixture, in one
//! run and with the same environment.
//!
//! - user-space instructions before the exec of PROGRAM:
//!   `valgrind --tool=callgrind --dump-before=execve` (deterministic);
//! - median wall time: `hyperfine -N` (each command's runs, then the ratio);
//! - syscalls before the exec: `strace -f`;
//! - the binary's size.
//!
//! `cargo bench --bench launch` (needs valgrind, hyperfine, strace: Debian
//! packages of those names). Set `LAUNCH_BENCH_QUICK=1` for fewer runs.

#[allow(dead_code)] // each user of the fixture builder uses a part of it
#[path = "../tests/common/fixture/mod.rs"]
mod fixture;

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gpu-launch");

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null"))
        .status()
        .is_ok_and(|s| s.success())
}

/// The locale of the run: `None` (no `LANG`, the strict comparison: `env`
/// then skips loading locale data) or a desktop's `C.UTF-8`.
static LANG: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);

/// The same environment for every command measured.
fn env_for(cmd: &mut Command, root: &Path, home: &Path) {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("GPU_LAUNCH_SYSFS_ROOT", root);
    if let Some(lang) = *LANG.lock().unwrap() {
        cmd.env("LANG", lang);
    }
}

/// Instructions executed before the first `execve` (callgrind's first dump).
fn instructions(argv: &[&str], root: &Path, home: &Path, work: &Path) -> u64 {
    let out = work.join(format!("cg.{}", argv[0].replace('/', "_")));
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--dump-before=execve"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .args(argv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    env_for(&mut cmd, root, home);
    let status = cmd.status().expect("valgrind");
    assert!(status.success(), "valgrind {argv:?} failed");
    // The dump before execve is the `.1` part.
    let part = PathBuf::from(format!("{}.1", out.display()));
    let text = std::fs::read_to_string(&part).unwrap_or_else(|e| panic!("{}: {e}", part.display()));
    text.lines()
        .find_map(|l| l.strip_prefix("totals: "))
        .and_then(|t| t.trim().parse().ok())
        .expect("callgrind totals")
}

/// Median wall time in microseconds of each command, from one hyperfine run.
fn medians(cmds: &[String], root: &Path, home: &Path, work: &Path, runs: u32) -> Vec<f64> {
    let json = work.join("hyperfine.json");
    let mut cmd = Command::new("hyperfine");
    cmd.args([
        "-N",
        "--warmup",
        "20",
        "--runs",
        &runs.to_string(),
        "--export-json",
    ])
    .arg(&json)
    .args(cmds)
    .stdout(std::process::Stdio::null());
    env_for(&mut cmd, root, home);
    assert!(
        cmd.status().expect("hyperfine").success(),
        "hyperfine failed"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["median"].as_f64().unwrap() * 1e6)
        .collect()
}

/// Syscalls between gpu-launch's own execve and PROGRAM's.
fn syscalls(argv: &[&str], root: &Path, home: &Path, work: &Path) -> (usize, Vec<String>) {
    let log = work.join("strace.log");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o"]).arg(&log).args(argv);
    env_for(&mut cmd, root, home);
    assert!(cmd.status().expect("strace").success());
    let text = std::fs::read_to_string(log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let execs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("execve("))
        .collect();
    let calls: Vec<String> = lines[execs[0] + 1..execs[1]]
        .iter()
        .map(|l| l.split_once(' ').map_or(*l, |(_, c)| c).to_owned())
        .collect();
    (calls.len(), calls)
}

fn main() {
    use std::os::unix::fs::PermissionsExt;
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too:
    // only measure when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for (tool, package) in [
        ("valgrind", "valgrind"),
        ("hyperfine", "hyperfine"),
        ("strace", "strace"),
    ] {
        assert!(
            have(tool),
            "this bench needs `{tool}`: install the Debian package `{package}`"
        );
    }
    let machine = fixture::intel_nvidia_laptop();
    let root = machine.root();
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir(&home).unwrap();
    // A session's runtime directory (mode and --next state are looked up there).
    std::fs::create_dir(home.join("run")).unwrap();
    std::fs::set_permissions(home.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let prime_run = work.path().join("prime-run");
    std::fs::write(
        &prime_run,
        "#!/bin/bash\n__NV_PRIME_RENDER_OFFLOAD=1 __VK_LAYER_NV_optimus=NVIDIA_only \
         __GLX_VENDOR_LIBRARY_NAME=nvidia exec \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&prime_run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let prime_run = prime_run.to_str().unwrap();

    for lang in [None, Some("C.UTF-8")] {
        *LANG.lock().unwrap() = lang;
        measure(root, &home, work.path(), prime_run, lang);
    }
}

fn measure(root: &Path, home: &Path, work: &Path, prime_run: &str, lang: Option<&str>) {
    let env_cmd = ["env", "DRI_PRIME=1", "/bin/true"];
    let ours = [BIN, "/bin/true"];
    let script = [prime_run, "/bin/true"];

    let i_env = instructions(&env_cmd, root, home, work);
    let i_ours = instructions(&ours, root, home, work);
    let i_script = instructions(&script, root, home, work);

    let quick = std::env::var_os("LAUNCH_BENCH_QUICK").is_some();
    let (rounds, runs) = if quick { (3, 100) } else { (10, 300) };
    let cmds = [env_cmd.join(" "), ours.join(" "), script.join(" ")];
    // Paired measurement: short hyperfine rounds, alternating which command
    // goes first, so drift in machine load hits both sides; each ratio is
    // per round, the reported ratio the median over rounds.
    let mut per_round: Vec<Vec<f64>> = Vec::new();
    for r in 0..rounds {
        let order: Vec<usize> = if r % 2 == 0 {
            vec![0, 1, 2]
        } else {
            vec![2, 1, 0]
        };
        let ordered: Vec<String> = order.iter().map(|&i| cmds[i].clone()).collect();
        let got = medians(&ordered, root, home, work, runs);
        let mut round = vec![0.0; 3];
        for (k, &i) in order.iter().enumerate() {
            round[i] = got[k];
        }
        per_round.push(round);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let m: Vec<f64> = (0..3)
        .map(|i| median(per_round.iter().map(|r| r[i]).collect()))
        .collect();
    let wall_ratio: Vec<f64> = (0..3)
        .map(|i| median(per_round.iter().map(|r| r[i] / r[0]).collect()))
        .collect();

    let (n_ours, calls) = syscalls(&ours, root, home, work);
    let (n_env, _) = syscalls(&env_cmd, root, home, work);
    let size = std::fs::metadata(BIN).map(|m| m.len()).unwrap_or(0);

    println!();
    println!(
        "launch cost on the two-GPU hybrid-laptop fixture, LANG={}",
        lang.unwrap_or("(unset)")
    );
    println!(
        "{:<34} {:>14} {:>10} {:>14} {:>10}",
        "command", "instructions", "ratio", "median wall", "ratio"
    );
    let rows = [
        ("env DRI_PRIME=1 /bin/true", i_env, m[0]),
        ("gpu-launch /bin/true", i_ours, m[1]),
        ("prime-run-style bash /bin/true", i_script, m[2]),
    ];
    for (k, (name, i, t)) in rows.into_iter().enumerate() {
        println!(
            "{name:<34} {i:>14} {:>9.2}x {:>11.0} µs {:>9.2}x",
            i as f64 / i_env as f64,
            t,
            wall_ratio[k]
        );
    }
    println!("(wall: median over {rounds} paired rounds of {runs} runs each)");
    println!("syscalls before exec: gpu-launch {n_ours}, env {n_env}");
    println!("binary size: {size} bytes");
    if std::env::var_os("LAUNCH_BENCH_SYSCALLS").is_some() {
        for c in calls {
            println!("  {c}");
        }
    }
}
