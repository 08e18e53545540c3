//! What a run looks at besides its arguments: the caller's environment and
//! the sysfs tree (the real one, or a fixture machine's).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::detect::{self, Machine, Sysfs};
use crate::os::environ::Environ;

/// The sysfs root unless `GPU_LAUNCH_SYSFS_ROOT` says otherwise.
pub const SYSFS_ROOT: &str = "/sys";

/// The environment and the machine's sysfs tree.
#[derive(Debug)]
pub struct Context<'e> {
    pub env: &'e Environ<'e>,
    pub sysfs: Sysfs,
    /// True when `GPU_LAUNCH_SYSFS_ROOT` is set: then no `/dev` node is opened
    /// or followed and NVML only loads from `GPU_LAUNCH_NVML_LIBRARY`, so real
    /// hardware never mixes into a fake machine.
    pub fixture: bool,
    /// Read each GPU's `power/runtime_status` (everything but a plain launch,
    /// which never shows it).
    pub read_power: bool,
}

impl<'e> Context<'e> {
    pub fn new(env: &'e Environ<'e>) -> Self {
        match env.get_nonempty("GPU_LAUNCH_SYSFS_ROOT") {
            Some(root) => Context {
                env,
                sysfs: Sysfs::new(OsStr::from_bytes(root)),
                fixture: true,
                read_power: true,
            },
            None => Context {
                env,
                sysfs: Sysfs::new(SYSFS_ROOT),
                fixture: false,
                read_power: true,
            },
        }
    }

    /// Reads the machine (sysfs only).
    pub fn detect(&self) -> Machine {
        self.detect_with(self.read_power)
    }

    /// Reads the machine, with or without the GPUs' runtime power status.
    pub fn detect_with(&self, read_power: bool) -> Machine {
        let compositor = detect::COMPOSITOR_VARS.map(|v| self.env.get_nonempty(v));
        detect::detect(
            &self.sysfs,
            &detect::Hints {
                compositor,
                hyprland: self.env.get("HYPRLAND_INSTANCE_SIGNATURE").is_some(),
                follow_dev_links: !self.fixture,
                read_power,
            },
        )
    }
}
