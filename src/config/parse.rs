//! Reading one config file (after the trust rule allows it) and laying its
//! keys over what earlier files said. A file is checked whole before any of
//! it applies, so a broken file changes nothing: its problem names the file,
//! line and column, in words a user can act on (the first problem in the
//! file, with "did you mean" for a mistyped key or value).
//!
//! The TOML is read into toml's spanned document tree and checked key by
//! key here, not through serde: serde's messages name Rust types ("expected
//! struct RawApp") and cannot suggest the key that was meant.

use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::cli::suggest;
use crate::config::{Config, ConfigSpec};
use crate::decide::spec::Spec;
use crate::error::{Error, Result};
use crate::log::{Notify, one_line};
use crate::os::files::{self, Links};
use crate::os::trust;

/// Config files larger than this are refused (a config is a few lines).
const MAX_CONFIG: u64 = 1 << 20;

/// The top-level keys, and those of `[chromium]`.
const TOP_KEYS: [&str; 5] = ["gpu", "strict", "notify", "chromium", "apps"];
const CHROMIUM_KEYS: [&str; 2] = ["enable", "programs"];
const APP_KEYS: [&str; 1] = ["gpu"];

/// What one file sets, checked, before it is laid over the others.
#[derive(Debug, Default)]
struct Layer {
    gpu: Option<ConfigSpec>,
    strict: Option<bool>,
    notify: Option<Notify>,
    chromium_enable: Option<bool>,
    chromium_programs: Option<Vec<String>>,
    apps: Vec<(String, ConfigSpec)>,
}

/// A problem at a byte offset of the text.
struct Problem {
    at: usize,
    message: String,
}

type Doc<'t> = Spanned<DeValue<'t>>;

/// Parses one file's text into `config`, over what is already there. On an
/// error nothing of the file applies.
pub fn overlay(config: &mut Config, path: &Path, text: &str) -> Result<()> {
    let layer = parse(path, text)?;
    if let Some(gpu) = layer.gpu {
        config.gpu = Some(gpu);
    }
    match layer.strict {
        Some(true) => config.strict = Some(path.to_path_buf()),
        Some(false) => config.strict = None,
        None => {}
    }
    if let Some(notify) = layer.notify {
        config.notify = notify;
    }
    if let Some(enable) = layer.chromium_enable {
        config.chromium_enable = enable;
    }
    if let Some(programs) = layer.chromium_programs {
        config.chromium_programs = Some(programs);
    }
    config.apps.extend(layer.apps);
    config.files.push(path.to_path_buf());
    Ok(())
}

/// Checks the whole text; the first problem (in file order) is the error.
fn parse(path: &Path, text: &str) -> Result<Layer> {
    let syntax = |at: usize, message: &str| {
        let (line, column) = line_col(text, at);
        Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: one_line(message).into_owned(),
        }
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        syntax(at, &syntax_words(e.message()))
    })?;
    let mut checker = Checker {
        path,
        text,
        layer: Layer::default(),
        problems: Vec::new(),
    };
    checker.top(doc.get_ref());
    match checker.problems.iter().min_by_key(|p| p.at) {
        Some(p) => Err(syntax(p.at, &p.message)),
        None => Ok(checker.layer),
    }
}

/// toml's parse errors in one line: its message is a first line that says
/// what is wrong and sometimes an `expected ...` line (`invalid string\n
/// expected `"`, `'``), which reads well joined with a comma.
fn syntax_words(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(", ").replace('`', "'")
}

struct Checker<'p, 't> {
    path: &'p Path,
    text: &'t str,
    layer: Layer,
    problems: Vec<Problem>,
}

impl Checker<'_, '_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problems.push(Problem {
            at: span.start,
            message,
        });
    }

    fn unknown(&mut self, key: &Spanned<std::borrow::Cow<'_, str>>, table: &str, known: &[&str]) {
        let name = key.get_ref();
        let hint = match suggest::closest(name, known.iter().copied()) {
            Some(k) => format!("did you mean '{k}'?"),
            None => format!("{table} takes {}", shown_keys(known)),
        };
        self.problem(
            key.span(),
            format!("unknown key '{}' ({hint})", name.escape_debug()),
        );
    }

    fn top(&mut self, doc: &DeTable<'_>) {
        for (key, value) in doc.iter() {
            match key.get_ref().as_ref() {
                "gpu" => self.layer.gpu = self.spec(value, "gpu".into()),
                "strict" => self.layer.strict = self.boolean(value, "strict"),
                "notify" => self.layer.notify = self.notify(value),
                "chromium" => self.chromium(value),
                "apps" => self.apps(value),
                _ => self.unknown(key, "the top level", &TOP_KEYS),
            }
        }
    }

    fn chromium(&mut self, value: &Doc<'_>) {
        let Some(table) = self.table(value, "[chromium]", "a table (enable, programs)") else {
            return;
        };
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "enable" => self.layer.chromium_enable = self.boolean(value, "[chromium] enable"),
                "programs" => self.layer.chromium_programs = self.strings(value),
                _ => self.unknown(key, "[chromium]", &CHROMIUM_KEYS),
            }
        }
    }

    fn apps(&mut self, value: &Doc<'_>) {
        let Some(apps) = self.table(value, "[apps]", "a table of [apps.NAME] tables") else {
            return;
        };
        for (name, value) in apps.iter() {
            let what = format!("[apps.{}]", name.get_ref());
            let Some(app) = self.table(value, &what, "a table with gpu = \"SPEC\"") else {
                continue;
            };
            for (key, value) in app.iter() {
                match key.get_ref().as_ref() {
                    "gpu" => {
                        if let Some(spec) = self.spec(value, format!("{what} gpu")) {
                            let name = name.get_ref().to_string();
                            self.layer.apps.push((name, spec));
                        }
                    }
                    _ => self.unknown(key, &what, &APP_KEYS),
                }
            }
        }
    }

    fn table<'v, 'i>(
        &mut self,
        value: &'v Doc<'i>,
        what: &str,
        expected: &str,
    ) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                let message = format!("{what} must be {expected}, not {}", kind(other));
                self.problem(value.span(), message);
                None
            }
        }
    }

    fn boolean(&mut self, value: &Doc<'_>, what: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                let message = format!("{what} must be true or false, not {}", kind(other));
                self.problem(value.span(), message);
                None
            }
        }
    }

    fn string<'v>(&mut self, value: &'v Doc<'_>, what: &str, expected: &str) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s),
            other => {
                let message = format!("{what} must be {expected}, not {}", kind(other));
                self.problem(value.span(), message);
                None
            }
        }
    }

    fn spec(&mut self, value: &Doc<'_>, what: String) -> Option<ConfigSpec> {
        let text = self.string(value, &what, "a GPU SPEC in quotes (\"nvidia\")")?;
        let (line, column) = line_col(self.text, value.span().start);
        match Spec::parse(text) {
            Ok(spec) => Some(ConfigSpec {
                spec,
                origin: format!("{what} in {}:{line}:{column}", self.path.display()),
            }),
            Err(e) => {
                self.problem(value.span(), format!("{what}: {e}"));
                None
            }
        }
    }

    fn notify(&mut self, value: &Doc<'_>) -> Option<Notify> {
        let expected = "\"warnings\", \"errors\" or \"never\"";
        let text = self.string(value, "notify", expected)?;
        if let Some(n) = Notify::parse(text) {
            return Some(n);
        }
        let hint = match suggest::closest(text, Notify::NAMES) {
            Some(n) => format!(" (did you mean \"{n}\"?)"),
            None => String::new(),
        };
        let message = format!(
            "notify must be {expected}, not \"{}\"{hint}",
            text.escape_debug()
        );
        self.problem(value.span(), message);
        None
    }

    fn strings(&mut self, value: &Doc<'_>) -> Option<Vec<String>> {
        let what = "[chromium] programs";
        let expected = "a list of program names ([\"chromium\", \"code\"])";
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!("{what} must be {expected}, not {}", kind(value.get_ref()));
            self.problem(value.span(), message);
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let name = self.string(item, &format!("each of {what}"), "a program name in quotes")?;
            out.push(name.to_owned());
        }
        Some(out)
    }
}

/// `gpu, strict, notify, [chromium], [apps.NAME]`.
fn shown_keys(keys: &[&str]) -> String {
    let shown: Vec<String> = keys
        .iter()
        .map(|k| match *k {
            "chromium" => "[chromium]".to_owned(),
            "apps" => "[apps.NAME]".to_owned(),
            k => k.to_owned(),
        })
        .collect();
    shown.join(", ")
}

/// A TOML value's kind, as a user would call it.
fn kind(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string \"{}\"", s.escape_debug()),
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(_) => "a date".to_owned(),
        DeValue::Array(_) => "a list".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

/// Reads a config file after checking it, and every directory above it,
/// can be trusted; `Ok(None)` when it does not exist. Anything but a
/// regular file (a FIFO, a device node such as `/dev/null`) is refused
/// without being opened (`files::open_regular`), before the trust rule, so
/// the reason given is what it is, not its permission bits.
pub(super) fn read(path: &Path) -> Result<Option<String>> {
    let cannot_read = |source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    };
    let (file, meta) = match files::open_regular(path, Links::Follow) {
        Ok(Some(r)) => (r.file, r.meta),
        Ok(None) => return Ok(None),
        Err(source) => return Err(cannot_read(source)),
    };
    trust::check(path, &meta)?;
    trust::check_ancestors(path)?;
    // One byte past the limit tells a file that is too large, whatever its
    // size said (a file that grew since, or a pseudo-file that says 0).
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_CONFIG) as usize);
    file.take(MAX_CONFIG + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_CONFIG {
        let why = format!("it is larger than {MAX_CONFIG} bytes");
        return Err(cannot_read(io::Error::other(why)));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            line_col(&text, text.len())
        };
        Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "not valid UTF-8 text".into(),
        }
    })?;
    Ok(Some(text))
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_col("", 0), (1, 1));
    }

    fn error(text: &str) -> String {
        let mut c = Config::default();
        let e = overlay(&mut c, Path::new("/c.toml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(c, Config::default(), "a broken file changes nothing");
        assert!(!e.contains('\n'), "{e}");
        e
    }

    #[test]
    fn messages_a_user_can_act_on() {
        let cases = [
            (
                "gpu = \"nvidia\"\nstirct = true\n",
                "/c.toml:2:1: unknown key 'stirct' (did you mean 'strict'?)",
            ),
            (
                "colour = 1\n",
                "/c.toml:1:1: unknown key 'colour' (the top level takes gpu, strict, notify, \
                 [chromium], [apps.NAME])",
            ),
            (
                "[chromium]\nenabled = true\n",
                "/c.toml:2:1: unknown key 'enabled' (did you mean 'enable'?)",
            ),
            (
                "[apps.blender]\ngpus = \"nvidia\"\n",
                "/c.toml:2:1: unknown key 'gpus' (did you mean 'gpu'?)",
            ),
            (
                "[apps]\nblender = \"nvidia\"\n",
                "/c.toml:2:11: [apps.blender] must be a table with gpu = \"SPEC\", not the \
                 string \"nvidia\"",
            ),
            (
                "gpu = 3\n",
                "/c.toml:1:7: gpu must be a GPU SPEC in quotes (\"nvidia\"), not the number 3",
            ),
            (
                "strict = \"yes\"\n",
                "/c.toml:1:10: strict must be true or false, not the string \"yes\"",
            ),
            (
                "notify = \"warning\"\n",
                "/c.toml:1:10: notify must be \"warnings\", \"errors\" or \"never\", not \
                 \"warning\" (did you mean \"warnings\"?)",
            ),
            (
                "[chromium]\nprograms = \"code\"\n",
                "/c.toml:2:12: [chromium] programs must be a list of program names \
                 ([\"chromium\", \"code\"]), not the string \"code\"",
            ),
            (
                "[chromium]\nprograms = [\"code\", 1]\n",
                "/c.toml:2:21: each of [chromium] programs must be a program name in quotes, \
                 not the number 1",
            ),
            (
                "gpu = \"nvidai\"\n",
                "/c.toml:1:7: gpu: invalid GPU SPEC 'nvidai': did you mean 'nvidia'?",
            ),
            (
                "[[apps]]\ngpu = \"x\"\n",
                "/c.toml:1:1: [apps] must be a table of [apps.NAME] tables, not a list",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "{text:?}");
        }
    }

    #[test]
    fn the_first_problem_in_the_file_is_reported() {
        let e = error("zzz = 1\n[apps.a]\ngpu = \"bogus\"\n[chromium]\nenable = 2\n");
        assert!(e.starts_with("/c.toml:1:1: unknown key 'zzz'"), "{e}");
        let e = error("[chromium]\nenable = 2\n[apps.a]\ngpu = \"bogus\"\n");
        assert!(e.starts_with("/c.toml:2:10: [chromium] enable"), "{e}");
    }

    #[test]
    fn syntax_errors_are_one_line_without_type_names() {
        for text in [
            "gpu = \n",
            "gpu = [\n",
            "gpu = \"x\nstrict = true\n",
            "[apps\n",
            "gpu = \"a\"\ngpu = \"b\"\n",
            "= 1\n",
        ] {
            let e = error(text);
            assert!(e.starts_with("/c.toml:"), "{text:?}: {e}");
            for internal in ["struct", "Raw", "enum", "variant", "`"] {
                assert!(!e.contains(internal), "{text:?}: {e}");
            }
            // Every line of what the TOML parser says is there, in order.
            let said = DeTable::parse(text).unwrap_err().message().to_owned();
            let mut rest = e.as_str();
            for line in said.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let line = line.replace('`', "'");
                let at = rest
                    .find(&line)
                    .unwrap_or_else(|| panic!("{text:?}: {line:?} in {e}"));
                rest = &rest[at + line.len()..];
            }
            assert!(
                !said.trim().is_empty() && !e.ends_with(": "),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn notify_takes_its_three_values() {
        for (text, n) in [
            ("warnings", Notify::Warnings),
            ("errors", Notify::Errors),
            ("never", Notify::Never),
        ] {
            let mut c = Config::default();
            overlay(&mut c, Path::new("/c"), &format!("notify = \"{text}\"\n")).unwrap();
            assert_eq!(c.notify, n);
        }
    }
}
