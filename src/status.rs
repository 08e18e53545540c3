//! `--status`: the mode, each GPU's power state and the pending `--next`, as
//! one line, as JSON, or as a waybar custom module's JSON.
//!
//! What it must never do: wake a GPU. The power state is
//! `power/runtime_status` from sysfs (reading it never resumes a device);
//! details that need NVML or the DRM ioctl come from the caller through
//! [`command`]'s `details` hook, and are shown only for GPUs that are awake.

use std::fmt::Write as _;

use serde::Serialize;

use crate::Context;
use crate::cli::Cli;
use crate::details::Details;
use crate::detect::{Gpu, Machine};
use crate::error::Result;
use crate::output::GpuObject;
use crate::spec::Spec;
use crate::state::{self, Mode, State};

/// How `--status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Waybar,
}

/// Everything `--status` shows.
#[derive(Debug)]
pub struct Status<'m> {
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
    let State { mode, next } = state::peek(ctx.env)?;
    let machine = ctx.detect();
    let details = details(&machine);
    let status = Status {
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

pub fn render(status: &Status<'_>, format: Format) -> String {
    match format {
        Format::Text => text(status),
        Format::Json => json(status),
        Format::Waybar => waybar(status),
    }
}

/// A GPU counts as awake unless the kernel says it is suspended (or
/// suspending); an unknown state counts as awake, which is what a GPU without
/// runtime power management is.
pub fn is_awake(gpu: &Gpu) -> bool {
    !gpu.asleep()
}

impl Status<'_> {
    /// The details of GPU `i`, when it is awake.
    fn details_of(&self, i: usize) -> Details {
        match self.machine.gpus.get(i) {
            Some(g) if is_awake(g) => self.details.get(i).cloned().unwrap_or_default(),
            _ => Details::default(),
        }
    }

    /// `intel (i915)` or NVML's name when known.
    fn label(&self, i: usize) -> String {
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
    fn extras(&self, i: usize) -> String {
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

    fn power(&self, i: usize) -> &str {
        self.machine.gpus[i].power.as_deref().unwrap_or("unknown")
    }

    /// Whether some non-default GPU is awake (`None` with no such GPU).
    fn offload_awake(&self) -> Option<bool> {
        let others = self.machine.gpus.get(1..).unwrap_or(&[]);
        if others.is_empty() {
            None
        } else {
            Some(others.iter().any(is_awake))
        }
    }
}

/// One line: `hybrid; 0: intel (i915) active, default; 1: nvidia (nvidia) suspended; next: none`.
pub fn text(s: &Status<'_>) -> String {
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
pub fn json(s: &Status<'_>) -> String {
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

#[derive(Serialize)]
struct WaybarJson {
    text: String,
    tooltip: String,
    class: Vec<&'static str>,
    alt: &'static str,
}

/// `--status --waybar`: one line of JSON for a waybar `custom` module with
/// `return-type: json`.
///
/// - `text`: the mode, plus the pending `--next`;
/// - `alt`: the mode (`integrated` / `hybrid`), for `format-icons`;
/// - `class`: the mode, then `awake` or `asleep` (any non-default GPU awake
///   or none; absent without such a GPU), then `next` when one is pending;
/// - `tooltip`: one line per GPU (Pango markup, escaped).
pub fn waybar(s: &Status<'_>) -> String {
    let mode = s.mode.as_str();
    let text = match &s.next {
        Some(spec) => format!("{mode} (next: {spec})"),
        None => mode.to_owned(),
    };
    let mut class = vec![mode];
    match s.offload_awake() {
        Some(true) => class.push("awake"),
        Some(false) => class.push("asleep"),
        None => {}
    }
    if s.next.is_some() {
        class.push("next");
    }
    let mut tooltip = format!("Mode: {mode}");
    match &s.next {
        Some(spec) => {
            let _ = write!(tooltip, "\nNext launch: {spec}");
        }
        None => tooltip.push_str("\nNext launch: as usual"),
    }
    if s.machine.gpus.is_empty() {
        tooltip.push_str("\nNo GPU found");
    }
    for i in 0..s.machine.gpus.len() {
        let g = &s.machine.gpus[i];
        let _ = write!(tooltip, "\n{i}: {}", s.label(i));
        if let Some(p) = g.pci {
            let _ = write!(tooltip, " {p}");
        }
        let _ = write!(tooltip, ": {}", s.power(i));
        let extras = s.extras(i);
        if !extras.is_empty() {
            let _ = write!(tooltip, ", {extras}");
        }
        if i == 0 {
            tooltip.push_str(" (default)");
        }
    }
    let doc = WaybarJson {
        text: pango_escape(&text),
        tooltip: pango_escape(&tooltip),
        class,
        alt: mode,
    };
    let mut out = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

/// Waybar renders `text` and `tooltip` as Pango markup.
fn pango_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
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
    fn details_of_sleeping_gpus_are_not_shown() {
        let m = machine("suspended");
        let details = vec![
            Details::default(),
            Details {
                name: Some("RTX <4060>".into()),
                temperature_c: Some(50),
                ..Details::default()
            },
        ];
        let s = Status {
            machine: &m,
            details: details.clone(),
            mode: Mode::Hybrid,
            next: None,
        };
        let line = text(&s);
        assert!(!line.contains("RTX"), "{line}");
        assert!(line.contains("1: nvidia (nvidia) suspended"), "{line}");
        let m = machine("active");
        let s = Status {
            machine: &m,
            details,
            mode: Mode::Integrated,
            next: Some(Spec::parse("nvidia").unwrap()),
        };
        let line = text(&s);
        assert!(line.contains("RTX <4060> (nvidia) active (50°C)"), "{line}");
        let w: serde_json::Value = serde_json::from_str(&waybar(&s)).unwrap();
        assert!(w["tooltip"].as_str().unwrap().contains("RTX &lt;4060&gt;"));
        assert_eq!(
            w["class"],
            serde_json::json!(["integrated", "awake", "next"])
        );
        assert_eq!(w["alt"], "integrated");
        assert_eq!(w["text"], "integrated (next: nvidia)");
    }
}
