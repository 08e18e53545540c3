//! Test support: run the real binary against a fixture machine.
#![allow(dead_code)]

pub mod fixture;

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

/// What the probe recorded.
#[derive(Debug, Default)]
pub struct Probe {
    pub pid: u32,
    pub ppid: u32,
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
    pub blocked: Vec<i32>,
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

/// Fails with the package to install when a tool the test needs is missing.
pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test needs `{tool}`: install the Debian package `{package}`"
    );
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
