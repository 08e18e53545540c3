//! Desktop-file overrides: `--install-desktop APP` writes a copy of APP's
//! desktop entry whose every `Exec=` runs through gpu-launch, under the same
//! desktop file ID in a directory that comes first in the XDG search
//! (`$XDG_DATA_HOME/applications`), so menus and launchers use it instead of
//! the original. `--uninstall-desktop APP` removes it again.
//!
//! Two halves:
//! - [`rewrite`], pure: desktop entry text in, override text out. Every
//!   `Exec=` of `[Desktop Entry]` and of each `[Desktop Action ...]` becomes
//!   `gpu-launch [--gpu SPEC] -- <the original value, byte for byte>`, so
//!   field codes and the original quoting stay exactly as they were; the
//!   prefix is quoted by the Exec rules of the Desktop Entry spec. Everything
//!   else (TryExec, localised keys, comments, other groups) is kept.
//! - [`install`] and [`uninstall`], the file system: finding the source by
//!   desktop file ID, and writing atomically.
//!
//! What it must never do: overwrite or remove a file it did not write (ours
//! carry `X-GPU-Launch-Override=true`), wrap an Exec twice, follow a symlink
//! where it writes, write (or remove) in a world-writable directory or one
//! owned by another user, or block on a FIFO where a desktop file should be.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::cli::Cli;
use crate::environ::Environ;
use crate::error::{Error, Result};
use crate::files::{self, Links};
use crate::plan::{self, Origin};
use crate::spec::Spec;

/// The program the overrides run. Plain, found through the launcher's `PATH`:
/// an absolute path to this binary would go stale when a package manager
/// moves it (on NixOS the store path changes with every update).
pub const PROGRAM: &str = "gpu-launch";
/// The key that marks a file as written by gpu-launch.
pub const MARK_KEY: &str = "X-GPU-Launch-Override";
/// The file the override was made from (informational).
pub const SOURCE_KEY: &str = "X-GPU-Launch-Source";

const MAIN_GROUP: &str = "Desktop Entry";
/// Programs there change path with every update (NixOS).
const NIX_STORE: &str = "/nix/store/";
const ACTION_PREFIX: &str = "Desktop Action ";
/// Desktop files are a few KiB; a larger one is not a desktop file.
const MAX_DESKTOP: u64 = 1 << 20;

/// Why a desktop entry cannot be turned into an override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("line {0} is neither a group header, a key=value pair nor a comment")]
    BadLine(usize),
    #[error("it has no [Desktop Entry] group")]
    NoMainGroup,
    #[error("it is already an override written by gpu-launch")]
    AlreadyOverride,
    #[error("its Type is {0}, and only Type=Application entries launch a program")]
    NotApplication(String),
    #[error("[Desktop Entry] has no Exec= to run through gpu-launch{0}")]
    NoExec(&'static str),
    #[error(
        "[{0}] has no Exec= and is started over D-Bus; the override turns D-Bus \
         activation off, which would leave that action with nothing to run"
    )]
    ActionWithoutExec(String),
    #[error("Exec= on line {line} is not a valid command line: {why}")]
    BadExec { line: usize, why: &'static str },
}

/// An override and what the user should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub text: String,
    pub notes: Vec<String>,
}

/// One line of a desktop entry, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'t> {
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

fn classify(line: &str) -> Option<Line<'_>> {
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
fn wraps(group: &str) -> bool {
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

/// Turns a desktop entry into an override that runs every `Exec=` through
/// gpu-launch (with `--gpu SPEC` when `spec` is given). `source` names the
/// original in the override's comment and `X-GPU-Launch-Source`. Pure.
pub fn rewrite(text: &str, spec: Option<&Spec>, source: &Path) -> Result<Override, RewriteError> {
    // First pass: what the entry is.
    let mut group: Option<&str> = None;
    let mut seen_main = false;
    let mut kind = None;
    let mut dbus = false;
    let mut main_exec = false;
    let mut groups_with_exec: Vec<&str> = Vec::new();
    let mut action_groups: Vec<&str> = Vec::new();
    let mut store_paths = false;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        match classify(line).ok_or(RewriteError::BadLine(n + 1))? {
            Line::Group(g) => {
                group = Some(g);
                seen_main |= g == MAIN_GROUP;
                if g.starts_with(ACTION_PREFIX) {
                    action_groups.push(g);
                }
            }
            Line::Entry { key, value } => {
                let Some(g) = group else {
                    return Err(RewriteError::BadLine(n + 1));
                };
                if !wraps(g) {
                    continue;
                }
                if g == MAIN_GROUP {
                    match key {
                        MARK_KEY => return Err(RewriteError::AlreadyOverride),
                        "Type" => kind = Some(value.trim_end()),
                        "DBusActivatable" => dbus = value.trim_end() == "true",
                        _ => {}
                    }
                }
                if key == "Exec" {
                    let args = split_exec(value)
                        .map_err(|why| RewriteError::BadExec { line: n + 1, why })?;
                    if args.is_empty() {
                        return Err(RewriteError::BadExec {
                            line: n + 1,
                            why: "it is empty",
                        });
                    }
                    main_exec |= g == MAIN_GROUP;
                    groups_with_exec.push(g);
                    store_paths |= args[0].starts_with(NIX_STORE);
                }
            }
            Line::Other => {}
        }
    }
    if !seen_main {
        return Err(RewriteError::NoMainGroup);
    }
    match kind {
        Some("Application") => {}
        Some(other) => return Err(RewriteError::NotApplication(other.to_owned())),
        None => return Err(RewriteError::NotApplication("missing".to_owned())),
    }
    if !main_exec {
        return Err(RewriteError::NoExec(if dbus {
            " (it is only started over D-Bus, which bypasses Exec)"
        } else {
            ""
        }));
    }
    if dbus {
        if let Some(g) = action_groups.iter().find(|g| !groups_with_exec.contains(g)) {
            return Err(RewriteError::ActionWithoutExec((*g).to_owned()));
        }
    }

    // Second pass: write the override.
    let prefix = exec_prefix(spec);
    let shown_source = source.to_string_lossy();
    let mut out = String::with_capacity(text.len() + 256);
    let _ = writeln!(
        out,
        "# Written by gpu-launch --install-desktop from {}",
        comment_safe(&shown_source)
    );
    out.push_str(
        "# Every Exec= runs through gpu-launch; gpu-launch --uninstall-desktop removes this file.\n",
    );
    let mut notes = Vec::new();
    if store_paths {
        notes.push(format!(
            "its Exec= runs a program by its {NIX_STORE} path, which the override copies: \
             after an update that path can be garbage-collected, so run --install-desktop \
             again after each update (from an activation script, say)"
        ));
    }
    let mut group = None;
    for line in text.split_inclusive('\n') {
        let ending = if line.ends_with('\n') { "\n" } else { "" };
        match classify(line) {
            Some(Line::Group(g)) => {
                group = Some(g);
                out.push_str(line);
                if g == MAIN_GROUP {
                    out.push_str(if ending.is_empty() { "\n" } else { "" });
                    let _ = writeln!(out, "{MARK_KEY}=true");
                    let _ = writeln!(out, "{SOURCE_KEY}={}", escape_string(&shown_source));
                }
            }
            Some(Line::Entry { key: "Exec", value }) if group.is_some_and(wraps) => {
                if already_wrapped(value) {
                    out.push_str(line);
                } else {
                    let _ = write!(out, "Exec={prefix} {value}{ending}");
                }
            }
            Some(Line::Entry {
                key: "DBusActivatable",
                value,
            }) if group == Some(MAIN_GROUP) && value.trim_end() == "true" => {
                notes.push(
                    "the original is D-Bus activatable (DBusActivatable=true), which starts \
                     it without Exec; the override sets DBusActivatable=false so launchers \
                     use Exec. A D-Bus activation by another program still bypasses gpu-launch"
                        .to_owned(),
                );
                let _ = write!(out, "DBusActivatable=false{ending}");
            }
            _ => out.push_str(line),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(Override { text: out, notes })
}

/// `gpu-launch --gpu SPEC --` (or `gpu-launch --`), quoted for an Exec value.
fn exec_prefix(spec: Option<&Spec>) -> String {
    let mut args = vec![PROGRAM.to_owned()];
    if let Some(spec) = spec {
        args.push("--gpu".to_owned());
        args.push(spec.to_string());
    }
    args.push("--".to_owned());
    args.iter()
        .map(|a| quote_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when an Exec value already runs gpu-launch (so it is not wrapped
/// again).
fn already_wrapped(value: &str) -> bool {
    split_exec(value).ok().is_some_and(|args| {
        args.first().is_some_and(|p| {
            Path::new(p)
                .file_name()
                .is_some_and(|n| n == OsStr::new(PROGRAM))
        })
    })
}

/// The Exec reserved characters (Desktop Entry spec, "The Exec key"): an
/// argument holding any of them must be quoted.
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// Quotes one argument for an Exec value: `%` doubled (field codes are
/// expanded after unquoting), then double quotes with `"` `` ` `` `$` `\`
/// backslash-escaped when the argument holds a reserved character, then the
/// escapes of the string type (`\\`, `\n`, `\t`, `\r`), which are undone
/// first by readers.
pub fn quote_arg(arg: &str) -> String {
    let percent = arg.replace('%', "%%");
    let quoted = if percent.is_empty() || percent.contains(RESERVED) {
        let mut q = String::with_capacity(percent.len() + 2);
        q.push('"');
        for c in percent.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        percent
    };
    escape_string(&quoted)
}

/// The escapes of the Desktop Entry `string` type.
fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// A path shown in a comment line: control characters would end the line.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Splits an Exec value into its arguments as a reader would: string
/// escapes undone, then double-quoted arguments unquoted. Field codes are
/// left in place. Lenient about what the spec only discourages (an unknown
/// escape, a reserved character outside quotes); an unterminated quote is an
/// error.
pub fn split_exec(value: &str) -> Result<Vec<String>, &'static str> {
    // The string type's escapes.
    let mut unescaped = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            unescaped.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => unescaped.push(' '),
            Some('n') => unescaped.push('\n'),
            Some('t') => unescaped.push('\t'),
            Some('r') => unescaped.push('\r'),
            Some('\\') => unescaped.push('\\'),
            Some(other) => {
                unescaped.push('\\');
                unescaped.push(other);
            }
            None => return Err("it ends with a lone backslash"),
        }
    }
    // The Exec quoting.
    let mut args = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = unescaped.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(arg) = current.take() {
                    args.push(arg);
                }
            }
            '"' => {
                let arg = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        None => return Err("a double quote is not closed"),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '`' | '$' | '\\')) => arg.push(e),
                            Some(other) => {
                                arg.push('\\');
                                arg.push(other);
                            }
                            None => return Err("a double quote is not closed"),
                        },
                        Some(other) => arg.push(other),
                    }
                }
            }
            other => current.get_or_insert_with(String::new).push(other),
        }
    }
    if let Some(arg) = current {
        args.push(arg);
    }
    Ok(args)
}

// ---- The file system -----------------------------------------------------

/// The XDG data directories, in search order: `$XDG_DATA_HOME` (default
/// `~/.local/share`), then each of `$XDG_DATA_DIRS` (default
/// `/usr/local/share:/usr/share`). Relative entries are ignored, as the XDG
/// base directory spec says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDirs {
    pub home: Option<PathBuf>,
    pub dirs: Vec<PathBuf>,
}

impl DataDirs {
    pub fn from_env(env: &Environ<'_>) -> DataDirs {
        let abs = |b: &[u8]| Some(PathBuf::from(OsStr::from_bytes(b))).filter(|p| p.is_absolute());
        let home = env.get_nonempty("XDG_DATA_HOME").and_then(abs).or_else(|| {
            env.get_nonempty("HOME")
                .and_then(abs)
                .map(|h| h.join(".local/share"))
        });
        let dirs = match env.get_nonempty("XDG_DATA_DIRS") {
            Some(v) => v.split(|b| *b == b':').filter_map(abs).collect(),
            None => vec![
                PathBuf::from("/usr/local/share"),
                PathBuf::from("/usr/share"),
            ],
        };
        DataDirs { home, dirs }
    }

    /// Every `<dir>/applications`, in search order.
    pub fn applications(&self) -> Vec<PathBuf> {
        self.home
            .iter()
            .chain(&self.dirs)
            .map(|d| d.join("applications"))
            .collect()
    }
}

/// What APP names: a desktop file ID, or a path to a `.desktop` file (any
/// value with a `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum App {
    Id(String),
    Path { path: PathBuf, id: String },
}

impl App {
    pub fn parse(value: &OsStr, data: &DataDirs) -> Result<App> {
        let bytes = value.as_bytes();
        if bytes.contains(&b'/') {
            let path = std::path::absolute(Path::new(value))
                .map_err(|e| Error::Other(format!("{}: {e}", value.to_string_lossy())))?;
            let id = id_of_path(&path, data).ok_or_else(|| {
                Error::usage(format!(
                    "{} is not a .desktop file with a usable name",
                    path.display()
                ))
            })?;
            return Ok(App::Path { path, id });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Error::usage(format!(
                "desktop file ID '{}' is not valid UTF-8",
                value.to_string_lossy()
            ))
        })?;
        let id = text.strip_suffix(".desktop").unwrap_or(text);
        check_id(id)?;
        Ok(App::Id(id.to_owned()))
    }

    pub fn id(&self) -> &str {
        match self {
            App::Id(id) | App::Path { id, .. } => id,
        }
    }
}

fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.starts_with('.') || id.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "'{}' is not a desktop file ID (e.g. firefox, org.chromium.Chromium)",
            id.escape_debug()
        )));
    }
    Ok(())
}

/// The desktop file ID of a file: its path below some `<data dir>/applications`
/// with `/` turned into `-` (Desktop Entry spec, "Desktop File ID"), else its
/// file name; without `.desktop`.
fn id_of_path(path: &Path, data: &DataDirs) -> Option<String> {
    let rel = data
        .applications()
        .into_iter()
        .find_map(|apps| path.strip_prefix(&apps).ok().map(Path::to_path_buf))
        .filter(|rel| rel.components().count() > 0)
        .unwrap_or_else(|| PathBuf::from(path.file_name().unwrap_or_default()));
    let rel = rel.to_str()?;
    let id = rel.strip_suffix(".desktop")?.replace('/', "-");
    check_id(&id).ok()?;
    Some(id)
}

/// The files that may hold desktop file ID `id` under one `applications`
/// directory: `id.desktop`, and for each `-` that might stand for a
/// subdirectory that exists, the same below it (`kde-foo` is also
/// `kde/foo.desktop`).
fn candidates(apps: &Path, id: &str, out: &mut Vec<PathBuf>) {
    out.push(apps.join(format!("{id}.desktop")));
    for (i, _) in id.match_indices('-') {
        let (dir, rest) = (&id[..i], &id[i + 1..]);
        if dir.is_empty() || rest.is_empty() {
            continue;
        }
        let sub = apps.join(dir);
        if sub.is_dir() {
            candidates(&sub, rest, out);
        }
    }
}

/// Finds the desktop file for `id`: the first in XDG order that is not an
/// override of ours. Returns the path and its text.
fn find_by_id(id: &str, data: &DataDirs) -> Result<(PathBuf, String)> {
    let mut ours = Vec::new();
    let mut looked = Vec::new();
    for apps in data.applications() {
        let mut paths = Vec::new();
        candidates(&apps, id, &mut paths);
        for path in paths {
            if let Some(text) = read_source(&path)? {
                if is_ours(&text) {
                    ours.push(path);
                    continue;
                }
                return Ok((path, text));
            }
        }
        looked.push(apps.display().to_string());
    }
    let also = if ours.is_empty() {
        String::new()
    } else {
        format!(
            " (only gpu-launch's own override {})",
            ours.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Err(Error::Other(format!(
        "no desktop file with ID '{id}' in {}{also}; to use a file, give its path (./{id}.desktop)",
        looked.join(", ")
    )))
}

/// Reads a source desktop file (following links: packaged entries are often
/// links into a store); `None` when there is no file at `path`. Opened
/// `O_NONBLOCK`: a FIFO there is refused (not a regular file), not waited on.
fn read_source(path: &Path) -> Result<Option<String>> {
    let file = match files::open_for_reading(path, Links::Follow) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(e) => return Err(file_error("cannot read", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| file_error("cannot read", path, e))?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() || meta.len() > MAX_DESKTOP {
        return Err(Error::Other(format!(
            "{} is not a desktop file (not a regular file of at most {MAX_DESKTOP} bytes)",
            path.display()
        )));
    }
    read_text(file, path).map(Some)
}

fn read_text(file: fs::File, path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    file.take(MAX_DESKTOP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error("cannot read", path, e))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::Other(format!(
            "{} is not UTF-8, so it is not a valid desktop file",
            path.display()
        ))
    })
}

fn file_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::Other(format!("{what} {}: {e}", path.display()))
}

/// The directory overrides go to: `--output DIR`, else
/// `$XDG_DATA_HOME/applications`.
fn output_dir(output: Option<&OsStr>, data: &DataDirs) -> Result<PathBuf> {
    if let Some(dir) = output {
        return std::path::absolute(Path::new(dir))
            .map_err(|e| Error::Other(format!("--output {}: {e}", dir.to_string_lossy())));
    }
    data.home
        .as_ref()
        .map(|h| h.join("applications"))
        .ok_or_else(|| {
            Error::Other(
                "neither XDG_DATA_HOME nor HOME is set (to an absolute path), so there is no \
             applications directory to write to; give --output DIR"
                    .into(),
            )
        })
}

/// The output directory must be a directory that not everyone can write,
/// owned by the user or root (its owner could swap the files in it).
fn check_output_dir(dir: &Path) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| file_error("cannot use", dir, e))?;
    if !meta.is_dir() {
        return Err(Error::Other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid && meta.uid() != 0 {
        return Err(Error::Untrusted {
            path: dir.to_path_buf(),
            why: format!(
                "it is owned by uid {}, neither you (uid {uid}) nor root",
                meta.uid()
            ),
        });
    }
    if meta.mode() & 0o002 != 0 {
        return Err(Error::Untrusted {
            path: dir.to_path_buf(),
            why: format!(
                "it is writable by everyone (mode {:o}); desktop files there could be \
                 replaced by anyone",
                meta.mode() & 0o7777
            ),
        });
    }
    Ok(())
}

/// What is at the override's path now.
enum Existing {
    Nothing,
    Ours(String),
}

/// Looks at `path` without following a link: a link, a non-file or a file
/// without our mark is someone else's, and refused.
fn existing(path: &Path) -> Result<Existing> {
    let refuse = |why: &str| {
        Err(Error::Other(format!(
            "refusing to touch {}: {why}; gpu-launch only replaces or removes \
             overrides it wrote (marked {MARK_KEY}=true)",
            path.display()
        )))
    };
    let file = match files::open_for_reading(path, Links::Refuse) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(Existing::Nothing),
        Err(e) if files::is_link_error(&e) => {
            return refuse("it is a symbolic link, not a file gpu-launch wrote");
        }
        Err(e) => return Err(file_error("cannot read", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| file_error("cannot read", path, e))?;
    if !meta.is_file() || meta.len() > MAX_DESKTOP {
        return refuse("it is not a file gpu-launch wrote");
    }
    match read_text(file, path) {
        Ok(text) if is_ours(&text) => Ok(Existing::Ours(text)),
        _ => refuse("it was not written by gpu-launch"),
    }
}

/// `--install-desktop` or `--uninstall-desktop`, as the command line asks.
/// Notes go to stderr; returns what to print on stdout.
pub fn command(env: &Environ<'_>, cli: &Cli<'_>) -> Result<String> {
    let mut notes = Vec::new();
    let done = match (cli.install_desktop, cli.uninstall_desktop) {
        (Some(app), _) => {
            let spec = match cli.gpu {
                Some(g) => Some(plan::parse_spec(g.as_bytes(), Origin::Flag)?.spec),
                None => None,
            };
            install(env, app, spec.as_ref(), cli.output, &mut notes)
        }
        (None, Some(app)) => uninstall(env, app, cli.output, &mut notes),
        (None, None) => Err(Error::usage(
            "--install-desktop or --uninstall-desktop needs APP",
        )),
    };
    for n in &notes {
        crate::log::note(n);
    }
    done
}

/// `--install-desktop APP [--gpu SPEC] [--output DIR]`. Returns the lines to
/// print on stdout; notes go to `notes`.
pub fn install(
    env: &Environ<'_>,
    app: &OsStr,
    spec: Option<&Spec>,
    output: Option<&OsStr>,
    notes: &mut Vec<String>,
) -> Result<String> {
    let data = DataDirs::from_env(env);
    let app = App::parse(app, &data)?;
    let (source, text) = match &app {
        App::Id(id) => find_by_id(id, &data)?,
        App::Path { path, .. } => {
            let text = read_source(path)?
                .ok_or_else(|| Error::Other(format!("{}: no such desktop file", path.display())))?;
            (path.clone(), text)
        }
    };
    let dir = output_dir(output, &data)?;
    let name = format!("{}.desktop", app.id());
    let target = dir.join(&name);
    if target == source {
        return Err(Error::Other(format!(
            "refusing to overwrite {}: it is the desktop file itself, not one gpu-launch \
             wrote; give --output DIR for the override, or edit its Exec= yourself",
            target.display()
        )));
    }
    let made = rewrite(&text, spec, &source)
        .map_err(|e| Error::Other(format!("cannot wrap {}: {e}", source.display())))?;
    notes.extend(made.notes);
    fs::create_dir_all(&dir).map_err(|e| file_error("cannot create", &dir, e))?;
    check_output_dir(&dir)?;
    let mode = match existing(&target)? {
        Existing::Ours(old) if old == made.text => {
            return Ok(format!(
                "{} is already installed (nothing changed)\n",
                target.display()
            ));
        }
        Existing::Ours(_) => atomic::Existing::Replace,
        Existing::Nothing => atomic::Existing::Keep,
    };
    atomic::write(&dir, &name, made.text.as_bytes(), 0o644, mode, true).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            Error::Other(format!(
                "refusing to overwrite {}: it appeared while gpu-launch was writing",
                target.display()
            ))
        } else {
            file_error("cannot write", &target, e)
        }
    })?;
    if crate::exec::resolve(OsStr::new(PROGRAM), env.get("PATH")).is_err() {
        notes.push(format!(
            "{PROGRAM} is not in PATH here; the override runs '{PROGRAM}' from the PATH of \
             whatever starts it, so install gpu-launch where that PATH looks"
        ));
    }
    let verb = if mode == atomic::Existing::Replace {
        "updated"
    } else {
        "wrote"
    };
    Ok(format!(
        "{verb} {} (from {})\n",
        target.display(),
        source.display()
    ))
}

/// `--uninstall-desktop APP [--output DIR]`: removes our override, and
/// nothing else.
pub fn uninstall(
    env: &Environ<'_>,
    app: &OsStr,
    output: Option<&OsStr>,
    notes: &mut Vec<String>,
) -> Result<String> {
    let data = DataDirs::from_env(env);
    let app = App::parse(app, &data)?;
    let dir = output_dir(output, &data)?;
    let target = dir.join(format!("{}.desktop", app.id()));
    match existing(&target)? {
        Existing::Nothing => {
            notes.push(format!(
                "there is no override {}; nothing removed",
                target.display()
            ));
            Ok(String::new())
        }
        Existing::Ours(_) => {
            check_output_dir(&dir)?;
            fs::remove_file(&target).map_err(|e| file_error("cannot remove", &target, e))?;
            Ok(format!("removed {}\n", target.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(text: &str, spec: Option<&str>) -> Result<Override, RewriteError> {
        let spec = spec.map(|s| Spec::parse(s).unwrap());
        rewrite(
            text,
            spec.as_ref(),
            Path::new("/usr/share/applications/x.desktop"),
        )
    }

    fn exec_lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("Exec=")).collect()
    }

    const FIREFOX: &str = "[Desktop Entry]\nVersion=1.0\nName=Firefox\nName[de]=Firefox-Webbrowser\n\
        # a comment\nExec=firefox %u\nTryExec=firefox\nIcon=firefox\nType=Application\n\
        Actions=new-window;\n\n[Desktop Action new-window]\nName=New Window\nExec=firefox --new-window %u\n\
        \n[X-Other]\nExec=left alone\n";

    #[test]
    fn every_exec_of_the_entry_and_its_actions_is_wrapped() {
        let o = wrap(FIREFOX, Some("nvidia")).unwrap();
        assert_eq!(
            exec_lines(&o.text),
            [
                "Exec=gpu-launch --gpu nvidia -- firefox %u",
                "Exec=gpu-launch --gpu nvidia -- firefox --new-window %u",
                "Exec=left alone",
            ]
        );
        for kept in [
            "TryExec=firefox",
            "Name[de]=Firefox-Webbrowser",
            "# a comment",
        ] {
            assert!(o.text.contains(kept), "{kept}");
        }
        assert!(is_ours(&o.text));
        assert!(!is_ours(FIREFOX));
        assert!(o.notes.is_empty());
        let plain = wrap(FIREFOX, None).unwrap();
        assert_eq!(exec_lines(&plain.text)[0], "Exec=gpu-launch -- firefox %u");
    }

    #[test]
    fn an_override_is_never_wrapped_again() {
        let o = wrap(FIREFOX, None).unwrap();
        assert_eq!(wrap(&o.text, None), Err(RewriteError::AlreadyOverride));
        // A hand-written wrapper is left as it is.
        let hand = "[Desktop Entry]\nType=Application\nName=X\nExec=/usr/bin/gpu-launch -g amd x\n";
        let o = wrap(hand, Some("nvidia")).unwrap();
        assert_eq!(exec_lines(&o.text), ["Exec=/usr/bin/gpu-launch -g amd x"]);
    }

    #[test]
    fn the_prefix_is_quoted_by_the_exec_rules() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nExec=x\n";
        let o = wrap(text, Some("name:RTX 40%0 \"Ti\"")).unwrap();
        let line = exec_lines(&o.text)[0];
        assert_eq!(
            line,
            r#"Exec=gpu-launch --gpu "name:RTX 40%%0 \\"Ti\\"" -- x"#
        );
        let value = line.strip_prefix("Exec=").unwrap();
        assert_eq!(
            split_exec(value).unwrap(),
            ["gpu-launch", "--gpu", "name:RTX 40%%0 \"Ti\"", "--", "x"]
        );
    }

    #[test]
    fn original_quoting_and_field_codes_stay_byte_for_byte() {
        let value = r#""/opt/My App/app" --title="a \\"b\\"" --dollar "\\$HOME" %F %i %c %k"#;
        let text = format!("[Desktop Entry]\nType=Application\nName=X\nExec = {value}\n");
        let o = wrap(&text, None).unwrap();
        assert_eq!(exec_lines(&o.text), [format!("Exec=gpu-launch -- {value}")]);
        assert_eq!(
            split_exec(value).unwrap(),
            [
                "/opt/My App/app",
                "--title=a \"b\"",
                "--dollar",
                "$HOME",
                "%F",
                "%i",
                "%c",
                "%k"
            ]
        );
    }

    #[test]
    fn dbus_activation_is_turned_off_with_a_note() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\nExec=x --gapplication-service\n";
        let o = wrap(text, None).unwrap();
        assert!(o.text.contains("\nDBusActivatable=false\n"));
        assert_eq!(o.notes.len(), 1);
        let only_dbus = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\n";
        assert!(matches!(
            wrap(only_dbus, None),
            Err(RewriteError::NoExec(_))
        ));
        let action = "[Desktop Entry]\nType=Application\nName=X\nDBusActivatable=true\nExec=x\n\
                      Actions=a;\n[Desktop Action a]\nName=A\n";
        assert!(matches!(
            wrap(action, None),
            Err(RewriteError::ActionWithoutExec(_))
        ));
    }

    #[test]
    fn store_paths_get_a_note() {
        let text = "[Desktop Entry]\nType=Application\nName=X\nExec=/nix/store/abc-x-1/bin/x %U\n";
        let o = wrap(text, None).unwrap();
        assert_eq!(o.notes.len(), 1);
        assert!(o.notes[0].contains("/nix/store/"), "{:?}", o.notes);
        assert!(wrap(FIREFOX, None).unwrap().notes.is_empty());
    }

    #[test]
    fn refusals() {
        let bad = [
            ("Type=Application\n", RewriteError::BadLine(1)),
            ("[Other]\nType=Application\n", RewriteError::NoMainGroup),
            (
                "[Desktop Entry]\nType=Link\nURL=https://example.org\n",
                RewriteError::NotApplication("Link".into()),
            ),
            (
                "[Desktop Entry]\nType=Application\nName=X\n",
                RewriteError::NoExec(""),
            ),
            (
                "[Desktop Entry]\nType=Application\nExec=\"x\n",
                RewriteError::BadExec {
                    line: 3,
                    why: "a double quote is not closed",
                },
            ),
            (
                "[Desktop Entry]\nType=Application\nnot a pair\n",
                RewriteError::BadLine(3),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(wrap(text, None), Err(want), "{text:?}");
        }
    }

    #[test]
    fn the_mark_and_source_are_in_the_main_group() {
        let o = rewrite(
            "[Desktop Entry]\nType=Application\nName=X\nExec=x",
            None,
            Path::new("/a\nb/x.desktop"),
        )
        .unwrap();
        assert!(
            o.text
                .starts_with("# Written by gpu-launch --install-desktop from /a?b/x.desktop\n")
        );
        assert!(o.text.contains(
            "[Desktop Entry]\nX-GPU-Launch-Override=true\nX-GPU-Launch-Source=/a\\nb/x.desktop\n"
        ));
        assert!(o.text.ends_with("Exec=gpu-launch -- x\n"));
    }

    /// What a fuzz target will check, over every truncation and one-byte
    /// deletion of the real-world-shaped test entries: no panic, and every
    /// override is ours, refuses a second wrap, and has valid Exec lines that
    /// start with gpu-launch.
    #[test]
    fn rewrite_holds_its_invariants_on_damaged_input() {
        let shapes = [
            include_str!("../tests/data/desktop/firefox.desktop"),
            include_str!("../tests/data/desktop/my-tool.desktop"),
            include_str!("../tests/data/desktop/org.example.Viewer.desktop"),
        ];
        let spec = Spec::parse("name:a \"b\" $c %d").unwrap();
        let check = |text: &str| {
            for spec in [None, Some(&spec)] {
                let Ok(o) = rewrite(text, spec, Path::new("/s")) else {
                    continue;
                };
                assert!(is_ours(&o.text), "{text:?}");
                assert_eq!(
                    rewrite(&o.text, spec, Path::new("/s")),
                    Err(RewriteError::AlreadyOverride)
                );
                let mut group = None;
                for line in o.text.split_inclusive('\n') {
                    match classify(line) {
                        Some(Line::Group(g)) => group = Some(g),
                        Some(Line::Entry { key: "Exec", value }) if group.is_some_and(wraps) => {
                            let args = split_exec(value).unwrap();
                            assert_eq!(args[0], PROGRAM, "{line}");
                        }
                        _ => {}
                    }
                }
            }
        };
        for text in shapes {
            let mut cuts: Vec<usize> = (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .collect();
            cuts.dedup();
            for &i in &cuts {
                check(&text[..i]);
            }
            for w in cuts.windows(2) {
                check(&format!("{}{}", &text[..w[0]], &text[w[1]..]));
            }
        }
    }

    #[test]
    fn ids_of_paths_and_subdirectories() {
        let data = DataDirs {
            home: Some(PathBuf::from("/home/u/.local/share")),
            dirs: vec![PathBuf::from("/usr/share")],
        };
        let id = |p: &str| id_of_path(Path::new(p), &data);
        assert_eq!(
            id("/usr/share/applications/kde/foo.desktop").as_deref(),
            Some("kde-foo")
        );
        assert_eq!(id("/tmp/x/org.a.B.desktop").as_deref(), Some("org.a.B"));
        assert_eq!(id("/tmp/x/readme.txt"), None);
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("kde/sub")).unwrap();
        let mut c = Vec::new();
        candidates(d.path(), "kde-sub-a-b", &mut c);
        let shown: Vec<_> = c
            .iter()
            .map(|p| p.strip_prefix(d.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "kde-sub-a-b.desktop",
                "kde/sub-a-b.desktop",
                "kde/sub/a-b.desktop"
            ]
        );
    }
}
