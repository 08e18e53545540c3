//! `--status --waybar`: the status as one line of JSON for a waybar
//! `custom` module with `return-type: json`. Never on a launch.

use std::fmt::Write as _;

use serde::Serialize;

use crate::session::status::Overview;

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
/// - `text`: the mode (`auto: integrated` under `auto`), plus the pending
///   `--next`;
/// - `alt`: the mode in force (`integrated` / `hybrid`), for `format-icons`;
/// - `class`: the mode in force, then `auto` when set to `auto`, then
///   `awake` or `asleep` (any non-default GPU awake or none; absent without
///   such a GPU), then `held` when some process holds a non-default GPU's
///   node, then `next` when one is pending, then `warning` when the session
///   state was ignored (unusable);
/// - `tooltip`: the mode and why, then one line per GPU, an awake
///   non-default one naming the processes that hold it, then a `Warning:`
///   line per warning (Pango markup, escaped).
pub fn render(s: &Overview<'_>) -> String {
    let mode = s.mode.mode.as_str();
    let shown = match s.mode.reason() {
        Some(_) => format!("{}: {mode}", s.mode.set.as_str()),
        None => mode.to_owned(),
    };
    let text = match &s.next {
        Some(spec) => format!("{shown} (next: {spec})"),
        None => shown,
    };
    let mut class = vec![mode];
    if s.mode.reason().is_some() {
        class.push(s.mode.set.as_str());
    }
    match s.offload_awake() {
        Some(true) => class.push("awake"),
        Some(false) => class.push("asleep"),
        None => {}
    }
    if s.offload_held() {
        class.push("held");
    }
    if s.next.is_some() {
        class.push("next");
    }
    if !s.notes.is_empty() {
        class.push("warning");
    }
    let mut tooltip = format!("Mode: {}", s.mode.describe());
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
        if let Some(held) = s.held_note(i) {
            let _ = write!(tooltip, ", {held}");
        }
    }
    for n in &s.notes {
        let _ = write!(tooltip, "\nWarning: {}", crate::log::one_line(n));
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
