//! Details of a GPU that sysfs does not give: its marketing name, NVML's
//! identity and telemetry, the DRM driver version.
//!
//! Filled only by `--list`, `--doctor`, `--status` and the SPECs that need
//! them (`GPU-<uuid>`, `name:<text>`), never on the launch path; every field
//! is `None` (JSON `null`) when unknown.

use serde::Serialize;

/// What is known of a GPU beyond sysfs. Serialized flat into the GPU object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Details {
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub memory_total_mib: Option<u64>,
    pub memory_used_mib: Option<u64>,
    pub utilization_percent: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub driver_version: Option<String>,
}
