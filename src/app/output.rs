//! What gpu-launch prints: the GPU objects, the plan, the environment as sh
//! code, in text and JSON.
//!
//! Strings that are not UTF-8 (an argument, a path) appear in JSON with the
//! invalid bytes replaced by U+FFFD; the launch itself always uses the exact
//! bytes.

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::decide::plan::Plan;
use crate::detect::Details;
use crate::detect::{Gpu, Holders, Machine};

/// A GPU as `--list --json` and the plans print it.
#[derive(Debug, Serialize)]
pub struct GpuObject<'a> {
    pub index: usize,
    pub pci: Option<String>,
    pub vendor_id: Option<String>,
    pub device_id: Option<String>,
    pub vendor: Option<&'static str>,
    pub driver: Option<&'a str>,
    pub render_node: Option<String>,
    pub card: Option<String>,
    pub default: bool,
    pub discrete: bool,
    pub removable: bool,
    pub power: Option<&'a str>,
    pub kind: &'static str,
    pub boot_vga: bool,
    /// On the default GPU, the rule that made it the default (`boot_vga`,
    /// `AQ_DRM_DEVICES`, `internal_panels`, ...); `null` on the others.
    pub default_rule: Option<&'static str>,
    #[serde(flatten)]
    pub details: Details,
    /// `holders` and `holders_complete`: in `--list --json` and `--status
    /// --json` only.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub holders: Option<&'a Holders>,
}

impl<'a> GpuObject<'a> {
    pub fn new(machine: &'a Machine, index: usize, details: Details) -> Self {
        let g: &Gpu = &machine.gpus[index];
        GpuObject {
            index,
            pci: g.pci.map(|p| p.to_string()),
            vendor_id: g.vendor_id.map(|v| format!("{v:04x}")),
            device_id: g.device_id.map(|d| format!("{d:04x}")),
            vendor: g.vendor(),
            driver: g.driver.as_deref(),
            render_node: g.render_node(),
            card: g.card_node(),
            default: machine.is_default(index),
            discrete: g.kind.is_discrete(),
            removable: g.removable,
            power: g.power.as_deref(),
            kind: g.kind.as_str(),
            boot_vga: g.boot_vga,
            default_rule: machine
                .default_reason
                .as_ref()
                .filter(|_| machine.is_default(index))
                .map(|r| r.rule()),
            details,
            holders: None,
        }
    }

    /// With the GPU's holders (when known).
    pub fn with_holders(mut self, holders: Option<&'a Holders>) -> Self {
        self.holders = holders;
        self
    }
}

/// Variables in the order the plan sets them, as a JSON object.
struct EnvMap<'p>(&'p [(&'static str, String)]);

impl Serialize for EnvMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct DryRunJson<'p> {
    program: Option<String>,
    argv: Vec<String>,
    gpu: Option<GpuObject<'p>>,
    offload: bool,
    env: EnvMap<'p>,
    unset: &'p [&'static str],
    notes: &'p [String],
}

#[derive(Serialize)]
struct PrintEnvJson<'p> {
    gpu: Option<GpuObject<'p>>,
    env: EnvMap<'p>,
    unset: &'p [&'static str],
    notes: &'p [String],
}

pub(crate) fn json_line(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// `--list --json`; `holders` in index order (empty: none shown).
pub fn list_json(machine: &Machine, details: &[Details], holders: &[Holders]) -> String {
    let objects: Vec<GpuObject<'_>> = (0..machine.gpus.len())
        .map(|i| {
            GpuObject::new(machine, i, details.get(i).cloned().unwrap_or_default())
                .with_holders(holders.get(i))
        })
        .collect();
    json_line(&objects)
}

/// `--list`.
pub fn list_text(machine: &Machine, details: &[Details]) -> String {
    if machine.gpus.is_empty() {
        return "no GPU found\n".into();
    }
    let rows: Vec<[String; 9]> = machine
        .gpus
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let name = details
                .get(i)
                .and_then(|d| d.name.clone())
                .unwrap_or_default();
            [
                format!("{}{i}", if i == 0 { "*" } else { " " }),
                g.pci.map_or_else(|| "-".into(), |p| p.to_string()),
                match (g.vendor_id, g.device_id) {
                    (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
                    _ => "-".into(),
                },
                g.driver.clone().unwrap_or_else(|| "-".into()),
                g.kind.as_str().into(),
                g.render
                    .map(|n| format!("renderD{n}"))
                    .or_else(|| g.card.map(|n| format!("card{n}")))
                    .unwrap_or_else(|| "-".into()),
                g.power.clone().unwrap_or_else(|| "-".into()),
                if g.removable { "yes" } else { "no" }.into(),
                name,
            ]
        })
        .collect();
    let header = [
        "#",
        "PCI",
        "ID",
        "DRIVER",
        "KIND",
        "NODE",
        "POWER",
        "REMOVABLE",
        "NAME",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    if let Some(reason) = &machine.default_reason {
        let _ = writeln!(out, "* default GPU: {reason}");
    }
    out
}

fn gpu_object<'p>(
    machine: &'p Machine,
    gpu: Option<usize>,
    details: &[Details],
) -> Option<GpuObject<'p>> {
    gpu.map(|i| GpuObject::new(machine, i, details.get(i).cloned().unwrap_or_default()))
}

/// `--dry-run --json`.
pub fn dry_run_json(machine: &Machine, plan: &Plan<'_>, details: &[Details]) -> String {
    json_line(&DryRunJson {
        program: plan
            .program
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        argv: plan
            .argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        gpu: gpu_object(machine, plan.gpu, details),
        offload: plan.offload,
        env: EnvMap(&plan.set),
        unset: &plan.unset,
        notes: &plan.notes,
    })
}

/// `--dry-run`.
pub fn dry_run_text(machine: &Machine, plan: &Plan<'_>) -> String {
    let mut out = String::new();
    match &plan.program {
        Some(p) => _ = writeln!(out, "program  {}", p.display()),
        None => out.push_str("program  none (see the note)\n"),
    }
    let argv: Vec<String> = plan
        .argv
        .iter()
        .map(|a| sh_quote(&a.to_string_lossy()))
        .collect();
    let _ = writeln!(out, "argv     {}", argv.join(" "));
    match plan.gpu {
        Some(i) => {
            let g = &machine.gpus[i];
            let default = if i == 0 { ", default" } else { "" };
            let power = g.power.as_deref().unwrap_or("unknown");
            let _ = writeln!(
                out,
                "gpu      {i}: {} [{}{default}, {power}]",
                g.describe(),
                g.kind.as_str()
            );
        }
        None => out.push_str("gpu      none\n"),
    }
    let _ = writeln!(out, "offload  {}", if plan.offload { "yes" } else { "no" });
    for (k, v) in &plan.set {
        let _ = writeln!(out, "set      {k}={v}");
    }
    for k in &plan.unset {
        let _ = writeln!(out, "unset    {k}");
    }
    for n in &plan.notes {
        let _ = writeln!(out, "note     {n}");
    }
    out
}

/// `--print-env --json`.
pub fn print_env_json(machine: &Machine, plan: &Plan<'_>, details: &[Details]) -> String {
    json_line(&PrintEnvJson {
        gpu: gpu_object(machine, plan.gpu, details),
        env: EnvMap(&plan.set),
        unset: &plan.unset,
        notes: &plan.notes,
    })
}

/// The syntax of `--print-env` (`--shell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// sh, bash, zsh: `eval "$(gpu-launch --print-env)"`.
    Sh,
    /// fish: `gpu-launch --print-env --shell fish | source`.
    Fish,
}

impl Syntax {
    /// `--shell`'s value (sh when not given).
    pub fn from_arg(shell: Option<&std::ffi::OsStr>) -> crate::error::Result<Syntax> {
        match shell.map(|s| s.as_encoded_bytes()) {
            None | Some(b"sh") => Ok(Syntax::Sh),
            Some(b"fish") => Ok(Syntax::Fish),
            Some(other) => Err(crate::error::Error::usage(format!(
                "unknown shell '{}' for --shell (one of: sh, fish)",
                String::from_utf8_lossy(other)
            ))),
        }
    }
}

/// `--print-env`: in sh, `unset K` and `export K='V'` lines, safe to `eval`;
/// in fish, `set -e K` and `set -gx K 'V'`, safe to `source`.
pub fn print_env(plan: &Plan<'_>, syntax: Syntax) -> String {
    let mut out = String::new();
    for k in &plan.unset {
        let _ = match syntax {
            Syntax::Sh => writeln!(out, "unset {k}"),
            Syntax::Fish => writeln!(out, "set -e {k}"),
        };
    }
    for (k, v) in &plan.set {
        let _ = match syntax {
            Syntax::Sh => writeln!(out, "export {k}={}", sh_single_quote(v)),
            Syntax::Fish => writeln!(out, "set -gx {k} {}", fish_single_quote(v)),
        };
    }
    out
}

/// `'...'` with `\` and `'` escaped by a backslash, the only escapes inside
/// fish's single quotes: safe in fish for any value.
pub fn fish_single_quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// `'...'` with every `'` written as `'\''`: safe in sh for any value.
pub fn sh_single_quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        if c == '\'' {
            s.push_str("'\\''");
        } else {
            s.push(c);
        }
    }
    s.push('\'');
    s
}

/// Quotes an argument for display only when it needs it.
fn sh_quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        v.to_owned()
    } else {
        sh_single_quote(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quoting_survives_any_value() {
        assert_eq!(sh_single_quote("a'b"), "'a'\\''b'");
        assert_eq!(sh_single_quote(""), "''");
        assert_eq!(
            sh_quote("--x=/dev/dri/renderD128"),
            "--x=/dev/dri/renderD128"
        );
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(fish_single_quote(r"a'b\c $d"), r"'a\'b\\c $d'");
        assert_eq!(fish_single_quote(""), "''");
    }
}
