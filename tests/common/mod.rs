//! Test support, one copy of each helper: run the real binary against a
//! fixture machine, find the external tools a test needs, run them, trace
//! them.

pub mod dbus;
pub mod fake_nvml;
pub mod fixture;
pub mod holder;
pub mod probe;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_gpu-launch");

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            status: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `cmd` and fails the test (killing the child) when it takes longer
/// than 20 seconds: what the callers guard against is a hang, not slowness.
pub fn run_briefly(mut cmd: Command) -> Run {
    use std::time::{Duration, Instant};
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn gpu-launch");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gpu-launch hung: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output").into()
}

/// Asserts exit status 0.
pub fn ok(run: &Run) {
    assert_eq!(run.status, 0, "{run:?}");
}

/// Asserts that stderr is the one line `gpu-launch: ...` the contract
/// promises for an error.
pub fn one_error_line(run: &Run) {
    assert!(run.stderr.starts_with("gpu-launch: "), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

/// Asserts a refusal: status 125 and one error line that says `what`.
pub fn refused(run: &Run, what: &str) {
    assert_eq!(run.status, 125, "{run:?}");
    one_error_line(run);
    assert!(run.stderr.contains(what), "expected {what:?}: {run:?}");
}

/// A clean environment for gpu-launch: a fixture root, an empty config home
/// (so no real user config leaks in), PATH, plus `extra`.
pub struct Env {
    pub home: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    pub fn new(root: &Path) -> Self {
        let home = tempfile::tempdir().expect("home");
        let vars = vec![
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
            ("HOME".into(), home.path().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.path().join(".config").display().to_string(),
            ),
            ("GPU_LAUNCH_SYSFS_ROOT".into(), root.display().to_string()),
        ];
        Env { home, vars }
    }

    pub fn set(mut self, k: &str, v: &str) -> Self {
        self.vars.retain(|(key, _)| key != k);
        self.vars.push((k.into(), v.into()));
        self
    }

    pub fn unset(mut self, k: &str) -> Self {
        self.vars.retain(|(key, _)| key != k);
        self
    }

    /// Writes the user's config file.
    pub fn config(self, text: &str) -> Self {
        let dir = self.home.path().join(".config/gpu-launch");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), text).unwrap();
        self
    }

    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(args);
        c
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        self.command(args).output().expect("run gpu-launch").into()
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }
}

/// The compiled probe program (tests/probe/probe.c), built once per test
/// binary with the system C compiler.
pub fn probe_binary() -> &'static Path {
    use std::sync::OnceLock;
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gpu-launch-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("probe dir");
        let out = dir.join("probe");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probe/probe.c");
        let status = Command::new("cc")
            .args(["-O1", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("the tests need a C compiler (cc) to build the probe: install gcc");
        assert!(status.success(), "cc failed to build {}", src.display());
        out
    })
}

/// Puts the probe into `dir` under `name` (a program called `chromium`,
/// `list`, `--weird`, ...), as a hard link: no write descriptor is ever open
/// in this (multi-threaded) test process, so a concurrent fork cannot make
/// the exec fail with ETXTBSY.
pub fn probe_as(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    if std::fs::hard_link(probe_binary(), &to).is_err() {
        let ok = Command::new("cp")
            .arg(probe_binary())
            .arg(&to)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot copy the probe to {}", to.display());
    }
    to
}

/// Writes an executable file from a child process (see [`probe_as`] for why
/// not from this one).
pub fn write_executable(path: &Path, text: &str, mode: u32) {
    use std::io::Write;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("cat > \"$1\" && chmod \"$2\" \"$1\"")
        .arg("sh")
        .arg(path)
        .arg(format!("{mode:o}"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "cannot write {}",
        path.display()
    );
}

/// Runs `args` under gpu-launch with the C probe recording to a temp file;
/// when the probe ran, checks it replaced gpu-launch in place (same pid, no
/// process in between).
pub fn launch<S: AsRef<OsStr>>(env: &Env, args: &[S]) -> (Run, Option<Probe>, tempfile::TempDir) {
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
pub fn bin_dir(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        probe_as(dir.path(), n);
    }
    dir
}

/// `dir`, then the system directories: a PATH for [`bin_dir`]'s probes.
pub fn path_with(dir: &Path) -> String {
    format!("{}:/usr/bin:/bin", dir.display())
}

/// What the probe recorded.
#[derive(Debug, Default)]
pub struct Probe {
    pub pid: u32,
    pub ppid: u32,
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
    pub blocked: Vec<i32>,
    pub pending: Vec<i32>,
    pub ignored: Vec<i32>,
    pub fds: Vec<i32>,
}

impl Probe {
    pub fn read(path: &Path) -> Probe {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("probe did not run ({}): {e}", path.display()));
        let unhex = |h: &str| -> Vec<u8> {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut p = Probe::default();
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            match k {
                "pid" => p.pid = v.parse().unwrap(),
                "ppid" => p.ppid = v.parse().unwrap(),
                "arg" => p.args.push(unhex(v)),
                "env" => p.env.push(unhex(v)),
                "cwd" => p.cwd = unhex(v),
                "blocked" => p.blocked.push(v.parse().unwrap()),
                "pending" => p.pending.push(v.parse().unwrap()),
                "ignored" => p.ignored.push(v.parse().unwrap()),
                "fd" => p.fds.push(v.parse().unwrap()),
                _ => {}
            }
        }
        p
    }

    /// The value of `key` in the probe's environment.
    pub fn var(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}=");
        self.env.iter().find_map(|e| {
            e.strip_prefix(prefix.as_bytes())
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
    }

    pub fn args_lossy(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }
}

/// The path of an external tool; panics, naming the Debian package, when it
/// is missing (a test that needs it must fail, never pass silently).
pub fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: this test needs it; install the Debian package \
                 {package} (apt-get install -y {package}; .ci/run does)"
            )
        })
}

/// Runs `name args...` (a shell, groff, nix-instantiate) with stdin closed
/// and returns what it printed, asserting success.
pub fn run_tool(name: &str, package: &str, args: &[&str]) -> String {
    let out = Command::new(tool(name, package))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Runs `cmd` (a gpu-launch command with its arguments and environment)
/// under `strace -f -qq OPTIONS` and returns the trace, asserting success.
pub fn strace(cmd: &Command, options: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("trace");
    let out = Command::new(tool("strace", "strace"))
        .args(["-f", "-qq"])
        .args(options)
        .arg("-o")
        .arg(&log)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .output()
        .expect("run strace");
    assert!(out.status.success(), "strace run failed: {out:?}");
    std::fs::read_to_string(log).expect("read the trace")
}

/// A copy of gpu-launch in a fresh 0755 directory, owned by `nobody` and
/// set-user-ID: run by root, its real and effective uids differ. Needs root.
/// (Copied by a child process: see [`probe_as`] on ETXTBSY.)
pub fn setuid_copy() -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path().join("gpu-launch");
    let copied = Command::new("cp")
        .arg(BIN)
        .arg(&copy)
        .status()
        .is_ok_and(|s| s.success());
    assert!(copied, "cannot copy the binary to {}", copy.display());
    std::os::unix::fs::chown(&copy, Some(65534), Some(65534)).expect("chown (needs root)");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    (dir, copy)
}
