//! NVIDIA's management library (NVML): names, UUIDs and telemetry of the GPUs
//! the `nvidia` driver runs.
//!
//! NVML is `dlopen`ed at run time through `nvml-wrapper`
//! (`libnvidia-ml.so.1`, or `GPU_LAUNCH_NVML_LIBRARY`), initialised at most
//! once per run, read in one go and shut down again.
//!
//! What it must never do:
//! - run on the launch path: only `details` calls it, and only for `--list`,
//!   `--doctor`, `--status` and the `GPU-<uuid>` / `name:<text>` SPECs;
//! - wake a GPU: `nvmlInit` touches every NVIDIA GPU (btop#1831,
//!   gpu-usage-waybar#41), so [`probe`] does not load NVML while an NVIDIA
//!   GPU's runtime status is `suspended`, unless the user said `--wake`;
//! - mix real hardware into a fake machine: with `GPU_LAUNCH_SYSFS_ROOT` set it
//!   loads only `GPU_LAUNCH_NVML_LIBRARY`, never the system library;
//! - fail: a missing or broken library is [`Outcome::Unavailable`], "no details";
//! - hang: a library named by a path (`GPU_LAUNCH_NVML_LIBRARY`) is opened
//!   as every named file is ([`files::open_regular`]: non-blocking, and only
//!   a regular file), and `dlopen` loads that very descriptor
//!   (`/proc/self/fd/N`), so the file checked is the file loaded, and a FIFO
//!   there is refused instead of blocking `dlopen` for ever. A bare soname
//!   (`libnvidia-ml.so.1`) is found by the dynamic loader in the system's
//!   library directories.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;

use crate::app::Context;
use crate::detect::Details;
use crate::detect::pci::PciAddr;
use crate::detect::{Gpu, Machine};
use crate::os::files::{self, Links};

/// The library's soname (the unversioned `libnvidia-ml.so` that
/// `nvml-wrapper` defaults to only exists where development files are
/// installed).
pub const DEFAULT_LIBRARY: &str = "libnvidia-ml.so.1";

/// Loads NVML from this path instead (testing hook, and for systems that keep
/// it elsewhere).
pub const LIBRARY_VAR: &str = "GPU_LAUNCH_NVML_LIBRARY";

const MIB: u64 = 1024 * 1024;

/// One device as NVML reports it: its PCI address (to join with sysfs) and
/// what it says of the GPU (`driver_version` is the [`Report`]'s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Device {
    /// Parsed from NVML's bus id (`00000000:01:00.0`).
    pub pci: Option<PciAddr>,
    pub details: Details,
}

/// Everything read from one initialisation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub driver_version: Option<String>,
    pub devices: Vec<Device>,
}

impl Report {
    /// The device at `pci`, if NVML knows it.
    pub fn device(&self, pci: PciAddr) -> Option<&Device> {
        self.devices.iter().find(|d| d.pci == Some(pci))
    }
}

/// What became of NVML in this run.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No GPU is driven by `nvidia`: nothing to ask NVML about.
    NotNeeded,
    /// Not loaded because these NVIDIA GPUs (PCI addresses or descriptions)
    /// are suspended and `--wake` was not given.
    Asleep(Vec<String>),
    /// A fake machine (`GPU_LAUNCH_SYSFS_ROOT`) without `GPU_LAUNCH_NVML_LIBRARY`.
    NotConfigured,
    /// The library is missing, lacks `nvmlInit_v2`, or its init failed.
    Unavailable {
        library: OsString,
        error: String,
    },
    Loaded(Report),
}

impl Outcome {
    pub fn report(&self) -> Option<&Report> {
        match self {
            Outcome::Loaded(r) => Some(r),
            _ => None,
        }
    }
}

/// True for a GPU that NVML would talk to (bound to the `nvidia` driver).
pub fn is_nvml_gpu(gpu: &Gpu) -> bool {
    gpu.driver_is("nvidia")
}

/// The library to load: `GPU_LAUNCH_NVML_LIBRARY`, else the system's
/// [`DEFAULT_LIBRARY`], except on a fake machine where only the variable counts.
pub fn library(ctx: &Context<'_>) -> Option<OsString> {
    match ctx.env.get_nonempty(LIBRARY_VAR) {
        Some(path) => Some(OsStr::from_bytes(path).to_owned()),
        None if ctx.fixture => None,
        None => Some(DEFAULT_LIBRARY.into()),
    }
}

/// Loads NVML when the machine has an NVIDIA GPU and none of them is asleep
/// (or `wake`), and reads every device. Never fails; see [`Outcome`].
pub fn probe(ctx: &Context<'_>, machine: &Machine, wake: bool) -> Outcome {
    let nvidia: Vec<&Gpu> = machine.gpus.iter().filter(|g| is_nvml_gpu(g)).collect();
    if nvidia.is_empty() {
        return Outcome::NotNeeded;
    }
    let sleeping: Vec<String> = nvidia
        .iter()
        .filter(|g| g.asleep())
        .map(|g| g.describe())
        .collect();
    if !sleeping.is_empty() && !wake {
        tracing::debug!(?sleeping, "NVML not loaded: it would wake these GPUs");
        return Outcome::Asleep(sleeping);
    }
    let Some(library) = library(ctx) else {
        return Outcome::NotConfigured;
    };
    match query_once(&library) {
        Ok(report) => Outcome::Loaded(report.clone()),
        Err(error) => {
            tracing::debug!(?library, %error, "NVML unavailable");
            Outcome::Unavailable {
                library,
                error: error.clone(),
            }
        }
    }
}

/// [`query`], at most once per process: later calls get the first answer.
fn query_once(library: &OsStr) -> &'static Result<Report, String> {
    static ONCE: OnceLock<Result<Report, String>> = OnceLock::new();
    ONCE.get_or_init(|| query(library))
}

/// Initialises NVML from `library`, reads every device, shuts it down.
/// `Err` carries NVML's or the loader's message (or why a library named by
/// a path was not loaded).
pub fn query(library: &OsStr) -> Result<Report, String> {
    // A path is opened and checked first, then loaded through its
    // descriptor; the descriptor stays open until `dlopen` is done.
    let checked = if library.as_bytes().contains(&b'/') {
        let path = Path::new(library);
        match files::open_regular(path, Links::Follow) {
            Ok(Some(file)) => {
                elf_header(&file).map_err(|why| format!("{}: {why}", path.display()))?;
                Some(file)
            }
            Ok(None) => return Err(format!("{}: no such file", path.display())),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    } else {
        None
    };
    let load = match &checked {
        Some(file) => OsString::from(format!("/proc/self/fd/{}", file.file.as_raw_fd())),
        None => library.to_owned(),
    };
    // The loader's message names what it was given; say the path instead.
    let nvml = Nvml::builder().lib_path(&load).init().map_err(|e| {
        e.to_string()
            .replace(&*load.to_string_lossy(), &library.to_string_lossy())
    })?;
    drop(checked);
    let report = read(&nvml);
    // `Nvml`'s `Drop` calls `nvmlShutdown` through a method that panics when
    // the library lacks the symbol; such a library is simply left loaded.
    if nvml.lib().nvmlShutdown.is_ok() {
        drop(nvml);
    } else {
        std::mem::forget(nvml);
    }
    Ok(report)
}

/// Checks that `file` starts as a shared library does (`\x7fELF`), read
/// through the checked, non-blocking descriptor: `dlopen` reads the file
/// again, blocking, and a pseudo-file that passes for a regular file
/// (`/proc/kmsg`: size 0, and a read waits for the next kernel message)
/// would hang it there.
fn elf_header(file: &files::Regular) -> Result<(), String> {
    const ELF_HEADER: u64 = 64;
    if file.meta.len() < ELF_HEADER {
        return Err("not a shared library (shorter than an ELF header)".into());
    }
    let mut magic = [0u8; 4];
    // The first bytes of a file just opened: a plain `read` (`pread` would
    // be one more libc import, see `os::sys`).
    (&file.file)
        .read_exact(&mut magic)
        .map_err(|e| format!("not a shared library ({e})"))?;
    if &magic != b"\x7fELF" {
        return Err("not a shared library (no ELF header)".into());
    }
    Ok(())
}

fn read(nvml: &Nvml) -> Report {
    let count = nvml.device_count().unwrap_or(0);
    let devices = (0..count)
        .filter_map(|i| nvml.device_by_index(i).ok())
        .map(|d| {
            let memory = d.memory_info().ok();
            Device {
                pci: d.pci_info().ok().and_then(|p| {
                    PciAddr::parse_sysfs(&p.bus_id).or_else(|| {
                        Some(PciAddr::new(
                            p.domain,
                            u8::try_from(p.bus).ok()?,
                            u8::try_from(p.device).ok()?,
                            0,
                        ))
                    })
                }),
                details: Details {
                    name: d.name().ok(),
                    uuid: d.uuid().ok(),
                    memory_total_mib: memory.as_ref().map(|m| m.total / MIB),
                    memory_used_mib: memory.as_ref().map(|m| m.used / MIB),
                    utilization_percent: d.utilization_rates().ok().map(|u| u.gpu),
                    temperature_c: d.temperature(TemperatureSensor::Gpu).ok(),
                    power_w: d.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
                    driver_version: None,
                },
            }
        })
        .collect();
    Report {
        driver_version: nvml.sys_driver_version().ok(),
        devices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_an_error_not_a_panic() {
        // A path that does not exist (`/nonexistent` may: a program run as
        // root with HOME=/nonexistent creates it).
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("libnvidia-ml.so.1");
        let e = query(missing.as_os_str()).unwrap_err();
        assert_eq!(e, format!("{}: no such file", missing.display()));
        let e = query(OsStr::new("libnvidia-ml-nonexistent.so.1")).unwrap_err();
        assert!(e.contains("libloading"), "{e}");
    }

    #[test]
    fn a_library_path_that_is_no_file_is_refused_before_dlopen() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("libnvidia-ml.so.1");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = query(fifo.as_os_str()).unwrap_err();
        assert!(e.ends_with("not a regular file (it is a FIFO)"), "{e}");
        let e = query(OsStr::new("/dev/zero")).unwrap_err();
        assert!(e.ends_with("(it is a character device)"), "{e}");
        // Not a shared library: refused before dlopen reads it (blocking).
        let junk = dir.path().join("libjunk.so");
        std::fs::write(&junk, "").unwrap();
        let e = query(junk.as_os_str()).unwrap_err();
        assert!(e.ends_with("(shorter than an ELF header)"), "{e}");
        std::fs::write(&junk, [b'x'; 100]).unwrap();
        let e = query(junk.as_os_str()).unwrap_err();
        assert!(e.ends_with("(no ELF header)"), "{e}");
        // Loaded through its descriptor, named by its path.
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(100, 0);
        std::fs::write(&junk, elf).unwrap();
        let e = query(junk.as_os_str()).unwrap_err();
        assert!(e.contains(&*junk.to_string_lossy()), "{e}");
        assert!(!e.contains("/proc/self/fd"), "{e}");
    }

    #[test]
    fn a_library_without_nvml_is_an_error() {
        // libc has no nvmlInit_v2.
        let e = query(OsStr::new("libc.so.6")).unwrap_err();
        assert!(e.contains("nvmlInit_v2"), "{e}");
    }
}
