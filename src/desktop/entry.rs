//! Reading a desktop entry (Desktop Entry Specification, "Basic format of
//! the file"): each line classified as a group header, a `key=value` pair or
//! a comment. Pure.

use crate::desktop::MARK_KEY;

/// The group every desktop entry must have.
pub const MAIN_GROUP: &str = "Desktop Entry";
/// The prefix of the action groups (`[Desktop Action new-window]`).
pub const ACTION_PREFIX: &str = "Desktop Action ";

/// One line of a desktop entry, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'t> {
    /// Blank or `#` comment.
    Other,
    Group(&'t str),
    /// `key` includes any `[locale]`; `value` starts after `=` and the blanks
    /// around it.
    Entry {
        key: &'t str,
        value: &'t str,
    },
}

pub fn classify(line: &str) -> Option<Line<'_>> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let trimmed = body.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Some(Line::Other);
    }
    if let Some(inner) = trimmed.strip_prefix('[') {
        return inner.trim_end().strip_suffix(']').map(Line::Group);
    }
    let eq = body.find('=')?;
    let key = body[..eq].trim();
    if key.is_empty() {
        return None;
    }
    let value = body[eq + 1..].trim_start_matches([' ', '\t']);
    Some(Line::Entry { key, value })
}

/// True when `group` is one whose `Exec=` the override wraps.
pub fn wraps(group: &str) -> bool {
    group == MAIN_GROUP || group.starts_with(ACTION_PREFIX)
}

/// True when `text` is an override written by gpu-launch.
pub fn is_ours(text: &str) -> bool {
    let mut group = None;
    for line in text.split_inclusive('\n') {
        match classify(line) {
            Some(Line::Group(g)) => group = Some(g),
            Some(Line::Entry { key, value })
                if group == Some(MAIN_GROUP) && key == MARK_KEY && value.trim() == "true" =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}
