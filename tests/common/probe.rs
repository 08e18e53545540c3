//! A probe script that records what it was started with, under any name, on
//! a PATH of its own (for programs started by others: `gio launch`, racing
//! launches). `common::Probe` is the C probe that also records signal state
//! and descriptors.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The probe: a shell script that writes its argv (`$0` first) NUL-separated
/// to `$PROBE_OUT.argv` and its environment (`env -0`) to `$PROBE_OUT.env`,
/// each renamed into place when complete. Without `PROBE_OUT` it does
/// nothing.
const SCRIPT: &str = r#"#!/bin/sh
[ -n "$PROBE_OUT" ] || exit 0
printf '%s\0' "$0" "$@" > "$PROBE_OUT.argv.tmp"
env -0 > "$PROBE_OUT.env.tmp"
mv "$PROBE_OUT.env.tmp" "$PROBE_OUT.env"
mv "$PROBE_OUT.argv.tmp" "$PROBE_OUT.argv"
"#;

/// What one run of the probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl Record {
    pub fn var(&self, k: &str) -> Option<&str> {
        self.env.get(k).map(String::as_str)
    }

    /// True when the NVIDIA PRIME offload variables are set.
    pub fn nvidia_offload(&self) -> bool {
        self.var("__NV_PRIME_RENDER_OFFLOAD") == Some("1")
            && self.var("__GLX_VENDOR_LIBRARY_NAME") == Some("nvidia")
            && self.var("__VK_LAYER_NV_optimus") == Some("NVIDIA_only")
    }
}

/// A directory of probe programs (under any names) plus `gpu-launch` itself,
/// to put first on PATH.
pub struct Probes {
    dir: tempfile::TempDir,
}

impl Default for Probes {
    fn default() -> Self {
        Self::new()
    }
}

impl Probes {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gpu-launch-probes-")
            .tempdir()
            .expect("tempdir");
        fs::create_dir(dir.path().join("bin")).expect("mkdir bin");
        fs::create_dir(dir.path().join("out")).expect("mkdir out");
        std::os::unix::fs::symlink(crate::common::bin(), dir.path().join("bin/gpu-launch"))
            .expect("link gpu-launch");
        let p = Probes { dir };
        p.add("probe");
        p
    }

    /// The directory to put first on PATH.
    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// PATH with the probes (and gpu-launch) first.
    pub fn path_var(&self) -> String {
        format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin().display())
    }

    /// Installs the probe under `name` (which may contain spaces); returns its
    /// path.
    pub fn add(&self, name: &str) -> PathBuf {
        let p = self.bin().join(name);
        fs::write(&p, SCRIPT).expect("write probe");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod probe");
        p
    }

    /// The `PROBE_OUT` value for a run tagged `tag`.
    pub fn out(&self, tag: &str) -> String {
        self.dir.path().join("out").join(tag).display().to_string()
    }

    /// The record of run `tag`, if it has finished.
    pub fn record(&self, tag: &str) -> Option<Record> {
        let base = self.dir.path().join("out").join(tag);
        let argv = fs::read(with_ext(&base, "argv")).ok()?;
        let env = fs::read(with_ext(&base, "env")).ok()?;
        let split = |b: &[u8]| -> Vec<String> {
            b.split(|c| *c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        };
        let argv = split(&argv);
        let env = split(&env)
            .into_iter()
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect();
        Some(Record { argv, env })
    }

    /// Waits (up to 10 s) for run `tag` to finish: programs started by `gio
    /// launch` run after gio has returned.
    pub fn wait(&self, tag: &str) -> Record {
        let start = Instant::now();
        loop {
            if let Some(r) = self.record(tag) {
                return r;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the probe never ran for {tag}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn with_ext(base: &Path, ext: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}
