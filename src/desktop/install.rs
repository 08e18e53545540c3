//! The file-system half of `--install-desktop` and `--uninstall-desktop`:
//! finding the source by desktop file ID in the XDG data directories,
//! reading it safely, and writing or removing the override atomically, only
//! ever an override gpu-launch wrote.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::decide::spec::Spec;
use crate::desktop::{MARK_KEY, PROGRAM, is_ours, rewrite};
use crate::error::{Error, Result};
use crate::os::environ::Environ;
use crate::os::files::{self, Links};
use crate::os::{at, atomic, trust, xdg};

/// Desktop files are a few KiB; a larger one is not a desktop file.
const MAX_DESKTOP: u64 = 1 << 20;

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
        DataDirs {
            home: xdg::data_home(env),
            dirs: xdg::data_dirs(env),
        }
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
                .map_err(Error::io("cannot resolve", Path::new(value)))?;
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

/// The longest ID whose `<id>.desktop` is still a file name (255 bytes).
const MAX_ID: usize = 255 - ".desktop".len();

fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.starts_with('.') || id.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "'{}' is not a desktop file ID (e.g. firefox, org.chromium.Chromium)",
            id.escape_debug()
        )));
    }
    if id.len() > MAX_ID {
        return Err(Error::usage(format!(
            "desktop file ID '{}...' is longer than {MAX_ID} bytes, too long for the \
             override's file name",
            id.chars().take(40).collect::<String>()
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
/// directory, in the order they are tried: `id.desktop`, and for each `-`
/// that stands for a subdirectory that exists, the same below it (`kde-foo`
/// is also `kde/foo.desktop`; shorter directory names first, depth first).
///
/// Walked by prefix: a directory is read once (its listing kept), and only
/// its subdirectories whose name and a `-` begin what is left of the ID are
/// entered, each (directory, place in the ID) at most once, so the work is
/// linear in the ID's length however many `-` it has and however the
/// directories link to each other (`a -> .` and `a-a -> .` made trying every
/// split exponential: minutes for 20 dashes).
fn candidates(apps: &Path, id: &str, out: &mut Vec<PathBuf>) {
    let mut walk = PrefixWalk::default();
    walk.visit(apps, id, out);
}

/// The state of [`candidates`]: listings by directory, and the (directory,
/// rest of the ID) pairs already visited.
#[derive(Default)]
struct PrefixWalk {
    // B-trees, not hash tables: std's hasher seeds itself from `getrandom`,
    // one more libc import for every launch (see `os::sys`).
    listings: std::collections::BTreeMap<(u64, u64), Vec<String>>,
    visited: std::collections::BTreeSet<((u64, u64), usize)>,
}

impl PrefixWalk {
    fn visit(&mut self, dir: &Path, rest: &str, out: &mut Vec<PathBuf>) {
        out.push(dir.join(format!("{rest}.desktop")));
        if !rest.contains('-') {
            return;
        }
        let Ok(meta) = fs::metadata(dir) else {
            return;
        };
        let key = (meta.dev(), meta.ino());
        let names = self.listings.entry(key).or_insert_with(|| listing(dir));
        let mut subdirs: Vec<String> = names
            .iter()
            .filter(|n| {
                !n.is_empty()
                    && rest.len() > n.len() + 1
                    && rest.starts_with(n.as_str())
                    && rest.as_bytes()[n.len()] == b'-'
            })
            .cloned()
            .collect();
        subdirs.sort_by_key(String::len);
        for name in subdirs {
            let sub = dir.join(&name);
            let Ok(sub_meta) = fs::metadata(&sub) else {
                continue;
            };
            let left = rest.len() - name.len() - 1;
            if sub_meta.is_dir()
                && self
                    .visited
                    .insert(((sub_meta.dev(), sub_meta.ino()), left))
            {
                self.visit(&sub, &rest[name.len() + 1..], out);
            }
        }
    }
}

/// The UTF-8 names in `dir` (a desktop file ID is UTF-8); empty when it
/// cannot be read.
fn listing(dir: &Path) -> Vec<String> {
    files::list_dir(dir)
        .map(|names| {
            names
                .into_iter()
                .filter_map(|n| n.into_string().ok())
                .collect()
        })
        .unwrap_or_default()
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
        looked.push(apps);
    }
    Err(Error::NoDesktopFile {
        id: id.to_owned(),
        searched: looked,
        ours,
    })
}

/// Reads a source desktop file (following links: packaged entries are often
/// links into a store); `None` when there is no file at `path`. Opened
/// `O_NONBLOCK`: a FIFO there is refused (not a regular file), not waited on.
fn read_source(path: &Path) -> Result<Option<String>> {
    let file = match files::open_for_reading(path, Links::Follow) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", path)(e)),
    };
    let meta = file.metadata().map_err(Error::io("cannot read", path))?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() || meta.len() > MAX_DESKTOP {
        return Err(Error::NotADesktopFile {
            path: path.to_path_buf(),
            why: format!("not a desktop file (not a regular file of at most {MAX_DESKTOP} bytes)"),
        });
    }
    read_text(file, path).map(Some)
}

fn read_text(file: fs::File, path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    file.take(MAX_DESKTOP + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("cannot read", path))?;
    String::from_utf8(bytes).map_err(|_| Error::NotADesktopFile {
        path: path.to_path_buf(),
        why: "not UTF-8, so not a valid desktop file".into(),
    })
}

/// The directory overrides go to: `--output DIR`, else
/// `$XDG_DATA_HOME/applications`.
fn output_dir(output: Option<&OsStr>, data: &DataDirs) -> Result<PathBuf> {
    if let Some(dir) = output {
        return std::path::absolute(Path::new(dir)).map_err(Error::io("--output", Path::new(dir)));
    }
    data.home
        .as_ref()
        .map(|h| h.join("applications"))
        .ok_or(Error::NoDataHome)
}

/// The output directory must pass the one trust rule (`os::trust`): a
/// directory owned by the user or root that nobody else can write (whoever
/// can write it could swap the files in it). A link to such a directory is
/// fine.
fn check_output_dir(dir: &Path) -> Result<()> {
    let meta = fs::metadata(dir).map_err(Error::io("cannot use", dir))?;
    trust::check_dir(dir, &meta)
}

/// The refusal to replace or remove a file gpu-launch did not write.
fn not_ours(path: &Path, why: &str) -> Error {
    Error::NotOurs {
        path: path.to_path_buf(),
        why: format!(
            "{why}; gpu-launch only replaces or removes overrides it wrote (marked \
             {MARK_KEY}=true)"
        ),
    }
}

/// What is at the override's path now.
enum Target {
    Absent,
    /// An override gpu-launch wrote, with its text.
    Ours(String),
}

/// Looks at `path` without following a link: a link, a non-file or a file
/// without our mark is someone else's, and refused.
fn look_at_target(path: &Path) -> Result<Target> {
    let refuse = |why: &str| Err(not_ours(path, why));
    let file = match files::open_for_reading(path, Links::Refuse) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(Target::Absent),
        Err(e) if files::is_link_error(&e) => {
            return refuse("it is a symbolic link, not a file gpu-launch wrote");
        }
        Err(e) => return Err(Error::io("cannot read", path)(e)),
    };
    let meta = file.metadata().map_err(Error::io("cannot read", path))?;
    if !meta.is_file() || meta.len() > MAX_DESKTOP {
        return refuse("it is not a file gpu-launch wrote");
    }
    match read_text(file, path) {
        Ok(text) if is_ours(&text) => Ok(Target::Ours(text)),
        _ => refuse("it was not written by gpu-launch"),
    }
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
            let text = read_source(path)?.ok_or_else(|| Error::NotADesktopFile {
                path: path.clone(),
                why: "no such desktop file".into(),
            })?;
            (path.clone(), text)
        }
    };
    let dir = output_dir(output, &data)?;
    let name = format!("{}.desktop", app.id());
    let target = dir.join(&name);
    if target == source {
        return Err(not_ours(
            &target,
            "it is the desktop file itself; give --output DIR for the override, or edit its \
             Exec= yourself",
        ));
    }
    let made = rewrite(&text, spec, &source).map_err(|e| Error::Rewrite {
        path: source.clone(),
        source: Box::new(e),
    })?;
    notes.extend(made.notes);
    // 0755 whatever the umask: a group-writable directory (umask 002) would
    // fail the trust rule the moment it was made.
    at::create_dir_all(&dir, 0o755).map_err(Error::io("cannot create", &dir))?;
    check_output_dir(&dir)?;
    let mode = match look_at_target(&target)? {
        Target::Ours(old) if old == made.text => {
            return Ok(format!(
                "{} is already installed (nothing changed)\n",
                target.display()
            ));
        }
        Target::Ours(_) => atomic::Existing::Replace,
        Target::Absent => atomic::Existing::Keep,
    };
    atomic::write(&dir, &name, made.text.as_bytes(), 0o644, mode, true).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            not_ours(&target, "it appeared while gpu-launch was writing")
        } else {
            Error::io("cannot write", &target)(e)
        }
    })?;
    if crate::os::exec::resolve(OsStr::new(PROGRAM), env.get("PATH")).is_err() {
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
    match look_at_target(&target)? {
        Target::Absent => {
            notes.push(format!(
                "there is no override {}; nothing removed",
                target.display()
            ));
            Ok(String::new())
        }
        Target::Ours(_) => {
            check_output_dir(&dir)?;
            at::remove_file(&target).map_err(Error::io("cannot remove", &target))?;
            Ok(format!("removed {}\n", target.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
