//! `--status`: the mode, each GPU's power state and the pending `--next`, as
//! one line, as JSON, or as a waybar custom module's JSON.
//!
//! What it must never do: wake a GPU. The power state is
//! `power/runtime_status` from sysfs (reading it never resumes a device);
//! details that need NVML or the DRM ioctl come from the caller through
//! [`command`]'s `details` hook, and are shown only for GPUs that are awake.

use std::fmt::Write as _;

use serde::Serialize;

use crate::app::Context;
use crate::app::output::GpuObject;
use crate::cli::Cli;
use crate::decide::spec::Spec;
use crate::detect::Details;
use crate::detect::{Gpu, Machine};
use crate::error::Result;
use crate::session::mode::Mode;
use crate::session::state::{self, State};
use crate::session::waybar;

/// How `--status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Waybar,
}

/// Everything `--status` shows (whatever the format).
#[derive(Debug)]
pub struct Overview<'m> {
    pub machine: &'m Machine,
    /// Details per GPU (index order); only those of awake GPUs are shown.
    pub details: Vec<Details>,
    pub mode: Mode,
    pub next: Option<Spec>,
}

/// `--status [--json | --waybar]`. `details` is where NVML-backed details
/// plug in (one call, given the machine); it must itself leave suspended
/// GPUs alone unless `--wake` was given.
pub fn command(
    ctx: &Context<'_>,
    cli: &Cli<'_>,
    details: impl FnOnce(&Machine) -> Vec<Details>,
) -> Result<String> {
    let State { mode, next } = state::peek(ctx.env, cli.strict)?;
    let machine = ctx.detect();
    let details = details(&machine);
    let status = Overview {
        machine: &machine,
        details,
        mode,
        next,
    };
    let format = if cli.waybar {
        Format::Waybar
    } else if cli.json {
        Format::Json
    } else {
        Format::Text
    };
    Ok(render(&status, format))
}

pub fn render(status: &Overview<'_>, format: Format) -> String {
    match format {
        Format::Text => text(status),
        Format::Json => json(status),
        Format::Waybar => waybar::render(status),
    }
}

/// A GPU counts as awake unless the kernel says it is suspended (or
/// suspending); an unknown state counts as awake, which is what a GPU without
/// runtime power management is.
pub fn is_awake(gpu: &Gpu) -> bool {
    !gpu.asleep()
}

impl Overview<'_> {
    /// The details of GPU `i`, when it is awake.
    pub(crate) fn details_of(&self, i: usize) -> Details {
        match self.machine.gpus.get(i) {
            Some(g) if is_awake(g) => self.details.get(i).cloned().unwrap_or_default(),
            _ => Details::default(),
        }
    }

    /// `intel (i915)` or NVML's name when known.
    pub(crate) fn label(&self, i: usize) -> String {
        let g = &self.machine.gpus[i];
        match self.details_of(i).name {
            Some(name) => format!("{name} ({})", g.driver.as_deref().unwrap_or("no driver")),
            None => format!(
                "{} ({})",
                g.vendor().unwrap_or("unknown"),
                g.driver.as_deref().unwrap_or("no driver")
            ),
        }
    }

    /// Extra words from the details (temperature, use, power), when awake.
    pub(crate) fn extras(&self, i: usize) -> String {
        let d = self.details_of(i);
        let mut parts = Vec::new();
        if let Some(t) = d.temperature_c {
            parts.push(format!("{t}°C"));
        }
        if let Some(u) = d.utilization_percent {
            parts.push(format!("{u}% busy"));
        }
        if let (Some(used), Some(total)) = (d.memory_used_mib, d.memory_total_mib) {
            parts.push(format!("{used}/{total} MiB"));
        }
        if let Some(w) = d.power_w {
            parts.push(format!("{w:.1} W"));
        }
        parts.join(", ")
    }

    pub(crate) fn power(&self, i: usize) -> &str {
        self.machine.gpus[i].power.as_deref().unwrap_or("unknown")
    }

    /// Whether some non-default GPU is awake (`None` with no such GPU).
    pub(crate) fn offload_awake(&self) -> Option<bool> {
        let others = self.machine.gpus.get(1..).unwrap_or(&[]);
        if others.is_empty() {
            None
        } else {
            Some(others.iter().any(is_awake))
        }
    }
}

/// One line: `hybrid; 0: intel (i915) active, default; 1: nvidia (nvidia) suspended; next: none`.
pub fn text(s: &Overview<'_>) -> String {
    let mut out = format!("mode {}", s.mode.as_str());
    if s.machine.gpus.is_empty() {
        out.push_str("; no GPU");
    }
    for i in 0..s.machine.gpus.len() {
        let _ = write!(out, "; {i}: {} {}", s.label(i), s.power(i));
        let extras = s.extras(i);
        if !extras.is_empty() {
            let _ = write!(out, " ({extras})");
        }
        if i == 0 {
            out.push_str(", default");
        }
    }
    match &s.next {
        Some(spec) => {
            let _ = write!(out, "; next launch: {spec}");
        }
        None => out.push_str("; next launch: as usual"),
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct StatusJson<'a> {
    mode: &'static str,
    next: Option<String>,
    gpus: Vec<GpuObject<'a>>,
}

/// `--status --json`: `{"mode", "next", "gpus": [GPU objects]}`.
pub fn json(s: &Overview<'_>) -> String {
    let gpus = (0..s.machine.gpus.len())
        .map(|i| GpuObject::new(s.machine, i, s.details_of(i)))
        .collect();
    let doc = StatusJson {
        mode: s.mode.as_str(),
        next: s.next.as_ref().map(ToString::to_string),
        gpus,
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "null".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Kind;
    use std::path::PathBuf;

    fn gpu(vendor: u16, driver: &str, power: &str) -> Gpu {
        Gpu {
            pci: None,
            vendor_id: Some(vendor),
            device_id: Some(1),
            driver: Some(driver.into()),
            render: Some(128),
            card: Some(0),
            power: Some(power.into()),
            removable: false,
            boot_vga: false,
            kind: Kind::Discrete,
            platform_tag: None,
            sysfs_path: PathBuf::from("/x"),
        }
    }

    fn machine(dgpu_power: &str) -> Machine {
        Machine {
            gpus: vec![
                gpu(0x8086, "i915", "active"),
                gpu(0x10de, "nvidia", dgpu_power),
            ],
            default_reason: None,
        }
    }

    #[test]
    pub(crate) fn details_of_sleeping_gpus_are_not_shown() {
        let m = machine("suspended");
        let details = vec![
            Details::default(),
            Details {
                name: Some("RTX <4060>".into()),
                temperature_c: Some(50),
                ..Details::default()
            },
        ];
        let s = Overview {
            machine: &m,
            details: details.clone(),
            mode: Mode::Hybrid,
            next: None,
        };
        let line = text(&s);
        assert!(!line.contains("RTX"), "{line}");
        assert!(line.contains("1: nvidia (nvidia) suspended"), "{line}");
        let m = machine("active");
        let s = Overview {
            machine: &m,
            details,
            mode: Mode::Integrated,
            next: Some(Spec::parse("nvidia").unwrap()),
        };
        let line = text(&s);
        assert!(line.contains("RTX <4060> (nvidia) active (50°C)"), "{line}");
        let w: serde_json::Value = serde_json::from_str(&waybar::render(&s)).unwrap();
        assert!(w["tooltip"].as_str().unwrap().contains("RTX &lt;4060&gt;"));
        assert_eq!(
            w["class"],
            serde_json::json!(["integrated", "awake", "next"])
        );
        assert_eq!(w["alt"], "integrated");
        assert_eq!(w["text"], "integrated (next: nvidia)");
    }
}
