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
