//! `--status`: the mode, each GPU's power state and the pending `--next`, as
//! one line, as JSON, or as a waybar custom module's JSON.
//!
//! What it must never do: wake a GPU. The power state is
//! `power/runtime_status` from sysfs (reading it never resumes a device);
//! details that need NVML or the DRM ioctl come from the caller through
//! [`command`]'s `details` hook, and are shown only for GPUs that are awake;
//! the processes that hold each GPU's nodes come from [`holders`], which
//! opens no device node.

use std::fmt::Write as _;

use serde::Serialize;

use crate::app::Context;
use crate::app::output::GpuObject;
use crate::cli::Cli;
use crate::decide::spec::Spec;
use crate::detect::Details;
use crate::detect::{Gpu, Holders, Machine};
use crate::error::Result;
use crate::log;
use crate::session::mode::InForce;
use crate::session::state::{self, State};
use crate::session::{holders, power, waybar};

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
    /// Who holds each GPU's nodes (index order; empty: not looked).
    pub holders: Vec<Holders>,
    pub mode: InForce,
    pub next: Option<Spec>,
    /// Warnings (unusable session state), shown in the output too.
    pub notes: Vec<String>,
}

/// `--status [--json | --waybar]`. `details` is where NVML-backed details
/// plug in (one call, given the machine); it must itself leave suspended
/// GPUs alone unless `--wake` was given.
pub fn command(
    ctx: &Context<'_>,
    cli: &Cli<'_>,
    details: impl FnOnce(&Machine) -> Vec<Details>,
) -> Result<String> {
    // Unusable state is a warning here as on a launch, but only on stderr
    // and in the output (the text, the JSON's `notes`, the waybar tooltip
    // and class), never in the journal or as a desktop notification: waybar
    // runs `--status` every few seconds (and logs its modules' stderr), so
    // the launch's path would raise a notification on every poll. `--status`
    // reads no config file, so `notify` and `strict = true` do not apply;
    // `--strict` makes it 125 as elsewhere.
    let (State { mode, next }, warning) = state::peek(ctx.env, cli.strict)?;
    let notes: Vec<String> = warning.into_iter().collect();
    for n in &notes {
        log::warning_here(n);
    }
    let mode = mode.in_force(|| power::read(&ctx.sysfs));
    let machine = ctx.detect();
    let details = details(&machine);
    let holders = holders::find(ctx, &machine, cli.wake);
    let status = Overview {
        machine: &machine,
        details,
        holders,
        mode,
        next,
        notes,
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

    /// `held by firefox (1234), steam (2001)` for GPU `i`, one entry per
    /// process; `None` when holders were not looked for. A list that may
    /// miss processes says so: never "no process" when some were not seen.
    pub(crate) fn held_by(&self, i: usize) -> Option<String> {
        let h = self.holders.get(i)?;
        let mut seen: Vec<u32> = Vec::new();
        let mut names = Vec::new();
        for holder in &h.holders {
            if !seen.contains(&holder.pid) {
                seen.push(holder.pid);
                names.push(format!("{} ({})", holder.command, holder.pid));
            }
        }
        Some(match (names.is_empty(), h.holders_complete) {
            (false, true) => format!("held by {}", names.join(", ")),
            (false, false) => format!(
                "held by {} and perhaps processes you cannot see",
                names.join(", ")
            ),
            (true, true) => "held by no process".to_owned(),
            (true, false) => "held by no process you can see".to_owned(),
        })
    }

    /// What to say of GPU `i`'s holders in the text and the tooltip: only
    /// for a non-default GPU that is awake.
    pub(crate) fn held_note(&self, i: usize) -> Option<String> {
        let g = self.machine.gpus.get(i)?;
        if i == 0 || !is_awake(g) {
            return None;
        }
        self.held_by(i)
    }

    /// Whether some non-default GPU has holders (waybar's `held`).
    pub(crate) fn offload_held(&self) -> bool {
        self.holders.iter().skip(1).any(|h| !h.holders.is_empty())
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

/// One line: `mode hybrid; 0: intel (i915) active, default; 1: nvidia
/// (nvidia) active, held by firefox (1234); next launch: as usual`.
pub fn text(s: &Overview<'_>) -> String {
    let mut out = format!("mode {}", s.mode.describe());
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
        if let Some(held) = s.held_note(i) {
            let _ = write!(out, ", {held}");
        }
    }
    match &s.next {
        Some(spec) => {
            let _ = write!(out, "; next launch: {spec}");
        }
        None => out.push_str("; next launch: as usual"),
    }
    for n in &s.notes {
        let _ = write!(out, "; warning: {}", log::one_line(n));
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct StatusJson<'a> {
    mode: &'static str,
    mode_setting: &'static str,
    mode_reason: Option<&'static str>,
    next: Option<String>,
    gpus: Vec<GpuObject<'a>>,
    notes: &'a [String],
}

/// `--status --json`: `{"mode", "mode_setting", "mode_reason", "next",
/// "gpus": [GPU objects with their holders], "notes": [warnings]}`. `mode`
/// is the mode in force (`hybrid` or `integrated`), `mode_setting` what
/// `--mode` set (`auto` too), `mode_reason` why under `auto` (`on battery`),
/// else null; `notes` is empty unless the session state was ignored.
pub fn json(s: &Overview<'_>) -> String {
    let gpus = (0..s.machine.gpus.len())
        .map(|i| GpuObject::new(s.machine, i, s.details_of(i)).with_holders(s.holders.get(i)))
        .collect();
    let doc = StatusJson {
        mode: s.mode.mode.as_str(),
        mode_setting: s.mode.set.as_str(),
        mode_reason: s.mode.reason(),
        next: s.next.as_ref().map(ToString::to_string),
        gpus,
        notes: &s.notes,
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "null".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Holder, Kind};
    use crate::session::mode::Mode;
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
            boot_display: false,
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
            holders: Vec::new(),
            mode: InForce::explicit(Mode::Hybrid),
            next: None,
            notes: Vec::new(),
        };
        let line = text(&s);
        assert!(!line.contains("RTX"), "{line}");
        assert!(line.contains("1: nvidia (nvidia) suspended"), "{line}");
        let m = machine("active");
        let s = Overview {
            machine: &m,
            details,
            holders: Vec::new(),
            mode: InForce::explicit(Mode::Integrated),
            next: Some(Spec::parse("nvidia").unwrap()),
            notes: Vec::new(),
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

    #[test]
    fn holders_are_named_for_an_awake_offload_gpu_only_and_never_as_none_when_unseen() {
        let m = machine("active");
        let h = |pid, command: &str, node: &str| Holder {
            pid,
            command: command.into(),
            node: node.into(),
        };
        let mut s = Overview {
            machine: &m,
            details: Vec::new(),
            holders: vec![
                Holders {
                    holders: vec![h(7, "Hyprland", "/dev/dri/card0")],
                    holders_complete: true,
                },
                Holders {
                    holders: vec![
                        h(1234, "firefox", "/dev/dri/card0"),
                        h(1234, "firefox", "/dev/dri/renderD128"),
                        h(2001, "steam", "/dev/nvidia0"),
                    ],
                    holders_complete: true,
                },
            ],
            mode: InForce::explicit(Mode::Hybrid),
            next: None,
            notes: Vec::new(),
        };
        let line = text(&s);
        assert!(
            line.contains("1: nvidia (nvidia) active, held by firefox (1234), steam (2001);"),
            "{line}"
        );
        assert!(
            !line.contains("Hyprland"),
            "the default GPU's holders: {line}"
        );
        let w: serde_json::Value = serde_json::from_str(&waybar::render(&s)).unwrap();
        assert_eq!(w["class"], serde_json::json!(["hybrid", "awake", "held"]));
        s.holders[1].holders_complete = false;
        assert!(text(&s).contains("steam (2001) and perhaps processes you cannot see"));
        s.holders[1].holders.clear();
        assert!(text(&s).contains("active, held by no process you can see;"));
        let w: serde_json::Value = serde_json::from_str(&waybar::render(&s)).unwrap();
        assert_eq!(w["class"], serde_json::json!(["hybrid", "awake"]));
        s.holders[1].holders_complete = true;
        assert!(text(&s).contains("active, held by no process;"));
        // Asleep: not named (but still `held` when someone holds it).
        let asleep = machine("suspended");
        s.machine = &asleep;
        s.holders[1].holders.push(h(9, "Xorg", "/dev/nvidia0"));
        assert!(!text(&s).contains("held by"));
        let w: serde_json::Value = serde_json::from_str(&waybar::render(&s)).unwrap();
        assert_eq!(w["class"], serde_json::json!(["hybrid", "asleep", "held"]));
    }
}
