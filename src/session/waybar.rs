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
/// - `text`: the mode, plus the pending `--next`;
/// - `alt`: the mode (`integrated` / `hybrid`), for `format-icons`;
/// - `class`: the mode, then `awake` or `asleep` (any non-default GPU awake
///   or none; absent without such a GPU), then `next` when one is pending;
/// - `tooltip`: one line per GPU (Pango markup, escaped).
pub fn render(s: &Overview<'_>) -> String {
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
