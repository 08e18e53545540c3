//! The fake `libnvidia-ml.so` (`tests/fake-nvml/fake_nvml.c`), compiled once
//! per test process with `cc -shared -fPIC`, and the environment that
//! configures it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::Env;

/// Which library to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Every function gpu-launch uses.
    Full,
    /// No `nvmlShutdown` and no `nvmlDeviceGetName` (a partial library).
    Broken,
}

/// The compiled library's path.
pub fn library(variant: Variant) -> &'static Path {
    static FULL: OnceLock<PathBuf> = OnceLock::new();
    static BROKEN: OnceLock<PathBuf> = OnceLock::new();
    let (cell, name, defines): (_, _, &[&str]) = match variant {
        Variant::Full => (&FULL, "libnvidia-ml-fake.so.1", &[]),
        Variant::Broken => (&BROKEN, "libnvidia-ml-broken.so.1", &["-DFAKE_NVML_BROKEN"]),
    };
    cell.get_or_init(|| compile(name, defines))
}

fn compile(name: &str, defines: &[&str]) -> PathBuf {
    // In a directory of this process's (the target directory may be where
    // the user running the tests cannot write: tests/run.sh's unprivileged
    // pass); compiled to a name of its own, then renamed into place.
    let dir = std::env::temp_dir().join(format!("gpu-launch-fake-nvml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir fake-nvml");
    let out = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&tmp)
        .args(defines)
        .arg(super::source("tests/fake-nvml/fake_nvml.c"))
        .status()
        .expect("run cc (the NVML tests need a C compiler: apt install gcc)");
    assert!(status.success(), "cc failed to build the fake NVML");
    std::fs::rename(&tmp, &out).expect("rename fake NVML");
    out
}

/// One fake NVIDIA device: `(bus id as NVML writes it, name, uuid)` plus
/// fixed telemetry (8188 MiB total, 512 used, 37 %, 45 °C, 15.25 W).
pub fn device(bus_id: &str, name: &str, uuid: &str) -> String {
    format!("{bus_id}|{name}|{uuid}|8188|512|37|45|15250")
}

/// A configured fake NVML and the file its `nvmlInit` calls are recorded in.
pub struct FakeNvml {
    dir: tempfile::TempDir,
    library: &'static Path,
    devices: Vec<String>,
}

impl FakeNvml {
    pub fn new(variant: Variant, devices: &[String]) -> Self {
        FakeNvml {
            dir: tempfile::tempdir().expect("tempdir"),
            library: library(variant),
            devices: devices.to_vec(),
        }
    }

    pub fn record(&self) -> PathBuf {
        self.dir.path().join("record")
    }

    /// `env` with `GPU_LAUNCH_NVML_LIBRARY` pointing at the fake and the
    /// fake's own configuration.
    pub fn configure(&self, env: Env) -> Env {
        env.set(
            "GPU_LAUNCH_NVML_LIBRARY",
            self.library.to_str().expect("UTF-8 path"),
        )
        .set(
            "FAKE_NVML_RECORD",
            self.record().to_str().expect("UTF-8 path"),
        )
        .set("FAKE_NVML_DEVICES", &self.devices.join(";"))
        .set("FAKE_NVML_DRIVER", "550.54.14")
    }

    /// The calls recorded so far (`init`, `shutdown`), in order.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.record())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn inits(&self) -> usize {
        self.calls().iter().filter(|c| *c == "init").count()
    }
}
