//! Test support, one copy of each helper: run the real binary against a
//! fixture machine, find the external tools a test needs, run them, trace
//! them.

mod checkout;
pub mod dbus;
pub mod fake_nvml;
pub mod fixture;
pub mod holder;
pub mod probe;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use checkout::source;

/// The gpu-launch binary under test: `GPU_LAUNCH_TEST_BIN` when set
/// (tests/run.sh's unprivileged pass runs a copy of the test binary, with
/// copies of gpu-launch and the tree where any user may read them), else
/// the one cargo built beside this test binary.
pub fn bin() -> &'static Path {
    use std::sync::OnceLock;
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("GPU_LAUNCH_TEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gpu-launch")))
    })
}

/// A path that names nothing, for anyone: `name` in a directory of this
/// process's that is never made. (`/nonexistent` is only a convention: a
/// program run as root with `HOME=/nonexistent` creates it.)
pub fn absent(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gpu-launch-absent-{}", std::process::id()));
    dir.join(name).display().to_string()
}

/// True when the tests run as root (root may open and search anything, and
/// owns every file it makes).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The first line of a root-only test (`#[ignore = "needs root: ..."]`,
/// which tests/run.sh runs as root): fails, never passes, without root.
pub fn root_only() {
    assert!(
        is_root(),
        "run as root (cargo test -- --ignored, as tests/run.sh does as root)"
    );
}

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
        let mut c = Command::new(bin());
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(args);
        c
    }

    /// [`Env::command`] run as user and group `uid`, from a copy of the
    /// binary that user may reach ([`bin_for_anyone`]; keep the returned
    /// directory while the command runs). Needs root.
    pub fn command_as<S: AsRef<OsStr>>(
        &self,
        uid: u32,
        args: &[S],
    ) -> (Command, tempfile::TempDir) {
        use std::os::unix::process::CommandExt;
        let (dir, copy) = bin_for_anyone();
        let mut c = Command::new(copy);
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(args).uid(uid).gid(uid);
        (c, dir)
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        self.command(args).output().expect("run gpu-launch").into()
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }
}

/// The C program `tests/probe/NAME.c`, built once per test binary with the
/// system C compiler, in a directory any user may read (some run as
/// another user).
pub fn c_program(name: &str) -> PathBuf {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Mutex;
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let dir = std::env::temp_dir().join(format!("gpu-launch-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the C programs");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.join(name);
    let src = source(&format!("tests/probe/{name}.c"));
    let status = Command::new(tool("cc", "gcc"))
        .args(["-O1", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed to build {}", src.display());
    built.insert(name.to_owned(), out.clone());
    out
}

/// The probe program (tests/probe/probe.c).
pub fn probe_binary() -> &'static Path {
    use std::sync::OnceLock;
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| c_program("probe"))
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

/// Fails the test: `what` is missing, and the Debian package that has it.
/// (A test whose tool is missing must fail, never pass silently; tests/run.sh
/// installs every package a test names.)
pub fn missing(what: &str, package: &str) -> ! {
    panic!(
        "{what} is not installed: this test needs it; install the Debian package {package} \
         (apt-get install -y {package}; tests/run.sh does)"
    )
}

/// The path of an external tool, looked up in PATH; fails the test naming
/// its package when it is missing.
pub fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| missing(name, package))
}

/// `path`, a file a Debian package installs (a header, a manifest); fails
/// the test naming the package when it is missing.
pub fn installed(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    if !p.is_file() {
        missing(path, package);
    }
    p
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

/// The system calls that open a file by path (what a trace must look at
/// to see whether something was opened: `openat2` too).
pub const OPEN_CALLS: [&str; 5] = ["open", "openat", "openat2", "creat", "open_tree"];

/// One system call of a [`strace`] trace: its name and the first path it
/// names (the first quoted argument), as `strace -f` prints a line
/// (`PID name(args) = result`, the PID padded with blanks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    /// The path as the call gave it.
    pub path: Option<String>,
    /// The path made absolute when the call named it relative to a
    /// directory descriptor that `strace -y` shows (`openat2(3</sys>,
    /// "class/drm", ...)` is `/sys/class/drm`).
    pub resolved: Option<String>,
    pub line: String,
}

/// The calls of a trace, in order.
pub fn calls(trace: &str) -> Vec<Call> {
    trace
        .lines()
        .filter_map(|l| {
            let call = l.trim_start();
            let call = match call.split_once(' ') {
                Some((pid, rest)) if pid.bytes().all(|b| b.is_ascii_digit()) => rest.trim_start(),
                _ => call,
            };
            let (name, args) = call.split_once('(')?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None; // `<... openat resumed>`, `+++ exited`, signals
            }
            let path = args
                .split_once('"')
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(p, _)| p.to_owned());
            // `N</dir>, "path"`: relative to that directory.
            let dir = args
                .split_once('<')
                .filter(|(fd, _)| !fd.is_empty() && fd.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|(_, rest)| rest.split_once(">, \""))
                .map(|(dir, _)| dir);
            let resolved = match (&path, dir) {
                (Some(p), Some(d)) if !p.starts_with('/') => Some(format!("{d}/{p}")),
                (p, _) => p.clone(),
            };
            Some(Call {
                name: name.to_owned(),
                path,
                resolved,
                line: l.to_owned(),
            })
        })
        .collect()
}

/// The paths a trace's calls opened (or tried to), by [`OPEN_CALLS`], made
/// absolute where the trace shows the directory (`strace -y`).
pub fn opened(calls: &[Call]) -> Vec<&str> {
    calls
        .iter()
        .filter(|c| OPEN_CALLS.contains(&c.name.as_str()))
        .filter_map(|c| c.resolved.as_deref())
        .collect()
}

/// gpu-launch copied into a fresh 0755 directory, where any user may run
/// it: the checkout (and so cargo's binary) may sit under a directory only
/// its owner may enter, such as `/root` in CI. (Copied by a child process:
/// see [`probe_as`] on ETXTBSY.)
pub fn bin_for_anyone() -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path().join("gpu-launch");
    let copied = Command::new("cp")
        .arg(bin())
        .arg(&copy)
        .status()
        .is_ok_and(|s| s.success());
    assert!(copied, "cannot copy the binary to {}", copy.display());
    (dir, copy)
}

/// [`bin_for_anyone`], owned by `nobody` and set-user-ID: run by root, its
/// real and effective uids differ. Needs root.
pub fn setuid_copy() -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let (dir, copy) = bin_for_anyone();
    std::os::unix::fs::chown(&copy, Some(65534), Some(65534)).expect("chown (needs root)");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    (dir, copy)
}
