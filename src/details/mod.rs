//! Details of a GPU that sysfs does not give ([`Details`]): its marketing
//! name, NVML's identity and telemetry, the DRM driver version.
//!
//! Filled only by `--list`, `--doctor`, `--status` and the SPECs that need
//! them (`GPU-<uuid>`, `name:<text>`), never on the launch path; every field
//! is `None` (JSON `null`) when unknown. Where each comes from:
//!
//! | field | source |
//! |---|---|
//! | `name` | NVML for GPUs driven by `nvidia`, else `pci.ids` ([`pci_ids`]) |
//! | `uuid`, `memory_*`, `utilization_percent`, `temperature_c`, `power_w` | NVML ([`nvml`]) |
//! | `driver_version` | NVML for `nvidia`, else the DRM version ioctl ([`drm_ioctl`]) |
//!
//! Nothing here wakes a GPU unless `wake` is true: NVML is not loaded while an
//! NVIDIA GPU is suspended, and no render node of a suspended GPU is opened.

pub mod drm_ioctl;
pub mod nvml;
pub mod pci_ids;

use std::path::Path;

use crate::app::Context;
use crate::decide::select::Identity;
use crate::detect::{Details, Machine};

/// The details of every GPU and what became of NVML (which `--doctor` reports).
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    /// Indexed like [`Machine::gpus`].
    pub details: Vec<Details>,
    pub nvml: nvml::Outcome,
}

/// The details of every GPU of `machine`, indexed like `machine.gpus`.
///
/// This is the API for `--list`, `--status` and anything else that shows GPUs:
/// call it after [`Context::detect`], with `wake` = the user's `--wake`. It
/// never fails and never wakes a suspended GPU unless `wake` is true; NVML is
/// initialised at most once per process however often it is called.
pub fn collect(ctx: &Context<'_>, machine: &Machine, wake: bool) -> Vec<Details> {
    gather(ctx, machine, wake).details
}

/// [`collect`], plus NVML's outcome.
pub fn gather(ctx: &Context<'_>, machine: &Machine, wake: bool) -> Gathered {
    fill(ctx, machine, wake, true)
}

/// Names and UUIDs for the `GPU-<uuid>` and `name:<text>` SPECs (see
/// [`crate::decide::select::needs_identity`]): the launch's
/// [`crate::app::launch::Identify`] hook. Never wakes a GPU; opens no render node.
pub fn identities(ctx: &Context<'_>, machine: &Machine) -> Vec<Identity> {
    fill(ctx, machine, false, false)
        .details
        .into_iter()
        .map(|d| Identity {
            uuid: d.uuid,
            name: d.name,
        })
        .collect()
}

fn fill(ctx: &Context<'_>, machine: &Machine, wake: bool, drm: bool) -> Gathered {
    let mut details = vec![Details::default(); machine.gpus.len()];
    let outcome = nvml::probe(ctx, machine, wake);

    for (gpu, d) in machine.gpus.iter().zip(details.iter_mut()) {
        if nvml::is_nvml_gpu(gpu) {
            let Some(report) = outcome.report() else {
                continue;
            };
            if let Some(dev) = gpu.pci.and_then(|p| report.device(p)) {
                d.clone_from(&dev.details);
            }
            d.driver_version.clone_from(&report.driver_version);
        } else if drm && !ctx.fixture && (wake || !gpu.asleep()) {
            d.driver_version = gpu
                .render_node()
                .and_then(|node| drm_ioctl::driver_version(Path::new(&node)));
        }
    }

    // pci.ids for every GPU NVML did not name.
    let unnamed: Vec<(usize, (u16, u16))> = machine
        .gpus
        .iter()
        .enumerate()
        .filter(|(i, _)| details[*i].name.is_none())
        .filter_map(|(i, g)| Some((i, (g.vendor_id?, g.device_id?))))
        .collect();
    if !unnamed.is_empty() {
        let wanted: Vec<(u16, u16)> = unnamed.iter().map(|(_, ids)| *ids).collect();
        for ((i, _), name) in unnamed.iter().zip(pci_ids::names(ctx.env, &wanted)) {
            details[*i].name = name;
        }
    }

    Gathered {
        details,
        nvml: outcome,
    }
}
