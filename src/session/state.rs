//! Session state: the mode (`--mode`) and a pending one-shot choice
//! (`--next`), kept under `$XDG_RUNTIME_DIR/gpu-launch/` for the login
//! session.
//!
//! Layout: `mode` holds `integrated` or `hybrid`; `next` holds one SPEC. Both
//! are written atomically (temporary file + rename). A launch claims `next`
//! by renaming it to a name of its own: `rename` succeeds for exactly one
//! process, so two racing launches never both use one `--next`.
//!
//! What it must never do:
//! - cost a launch more than one syscall when there is no state directory
//!   (an `lstat` failing with `ENOENT`), three when it holds nothing (the
//!   `lstat`, a `rename` of `next` and an `open` of `mode`, both failing), or
//!   any when `--gpu`/`GPU_LAUNCH_GPU` already decides;
//! - read, rename or remove anything in a directory that others can write,
//!   or through a symlink: the directory is checked (`lstat`) before anything
//!   in it is touched, and refused (status 125) like an untrusted config
//!   file; a state file is opened `O_NOFOLLOW | O_NONBLOCK` (a link is
//!   refused, a FIFO never blocks);
//! - guess a place when `XDG_RUNTIME_DIR` is unset, empty or relative: then
//!   there is no state (mode `hybrid`, no `--next`), and setting any is an
//!   error.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::decide::plan::Session;
use crate::decide::spec::{Origin, Spec, parse_spec};
use crate::error::{Error, Result};
use crate::os::environ::Environ;
use crate::os::files::{self, Links};
use crate::os::{atomic, trust, xdg};
use crate::session::mode::Mode;

/// The directory under `$XDG_RUNTIME_DIR`.
pub const DIR_NAME: &str = "gpu-launch";
const MODE_FILE: &str = "mode";
const NEXT_FILE: &str = "next";
/// State files are a few bytes; anything longer is not ours.
const MAX_STATE: u64 = 4096;

/// The state directory, `$XDG_RUNTIME_DIR/gpu-launch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    runtime: PathBuf,
    dir: PathBuf,
}

/// The state as read: the mode and the pending `--next`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub mode: Mode,
    pub next: Option<Spec>,
}

impl State {
    pub fn session(&self) -> Session {
        Session {
            integrated: self.mode == Mode::Integrated,
            next: self.next.clone(),
        }
    }
}

impl StateDir {
    /// `None` when `XDG_RUNTIME_DIR` is unset, empty or relative (the XDG
    /// base directory spec says to ignore a relative one).
    pub fn from_env(env: &Environ<'_>) -> Option<StateDir> {
        let runtime = xdg::runtime_dir(env)?;
        let dir = runtime.join(DIR_NAME);
        Some(StateDir { runtime, dir })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Reads the state without changing it (`--dry-run`, `--print-env`,
    /// `--status`, `--mode`).
    pub fn peek(&self) -> Result<State> {
        if !self.present()? {
            return Ok(State::default());
        }
        let next = match self.read_file(&self.dir.join(NEXT_FILE))? {
            Some(text) => Some(self.parse_next(&text, NEXT_FILE)?),
            None => None,
        };
        let mode = self.read_mode()?;
        Ok(State { mode, next })
    }

    /// Reads the state for a launch, claiming a pending `--next` so that no
    /// other launch gets it. The mode is read only when there is no `--next`
    /// (it would not matter).
    pub fn consume(&self) -> Result<State> {
        if !self.present()? {
            return Ok(State::default());
        }
        let claimed_name = format!("{NEXT_FILE}.{}.claimed", std::process::id());
        let claimed = self.dir.join(&claimed_name);
        match fs::rename(self.dir.join(NEXT_FILE), &claimed) {
            Ok(()) => {
                let text = self.read_file(&claimed);
                let _ = fs::remove_file(&claimed);
                if let Some(text) = text? {
                    let next = self.parse_next(&text, NEXT_FILE)?;
                    tracing::debug!(spec = %next, "consumed --next");
                    return Ok(State {
                        mode: Mode::Hybrid,
                        next: Some(next),
                    });
                }
            }
            Err(e) if absent(&e) => {}
            Err(e) => return Err(Error::io("cannot claim", &self.dir.join(NEXT_FILE))(e)),
        }
        Ok(State {
            mode: self.read_mode()?,
            next: None,
        })
    }

    /// Sets the mode. `hybrid` is the absence of the file, so that a launch
    /// in the default mode reads nothing.
    pub fn set_mode(&self, mode: Mode) -> Result<()> {
        match mode {
            Mode::Integrated => self.write_file(MODE_FILE, mode.as_str()),
            Mode::Hybrid => {
                let path = self.dir.join(MODE_FILE);
                if fs::symlink_metadata(&self.dir).is_err() {
                    return Ok(());
                }
                check_path(&self.runtime, "XDG_RUNTIME_DIR")?;
                self.check_dir()?;
                match fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if absent(&e) => Ok(()),
                    Err(e) => Err(Error::io("cannot remove", &path)(e)),
                }
            }
        }
    }

    /// Records `spec` for the next launch (replacing a pending one).
    pub fn set_next(&self, spec: &Spec) -> Result<()> {
        self.write_file(NEXT_FILE, &spec.to_string())
    }

    fn read_mode(&self) -> Result<Mode> {
        let path = self.dir.join(MODE_FILE);
        match self.read_file(&path)? {
            None => Ok(Mode::Hybrid),
            Some(text) => Mode::parse(&text).ok_or_else(|| Error::BadState {
                why: format!(
                    "not a mode ('{}'); gpu-launch --mode hybrid resets it",
                    text.trim().escape_debug()
                ),
                path: path.clone(),
            }),
        }
    }

    fn parse_next(&self, text: &str, name: &str) -> Result<Spec> {
        let origin = Origin::Config(format!("--next in {}", self.dir.join(name).display()));
        parse_spec(text.trim().as_bytes(), origin).map(|c| c.spec)
    }

    /// True when the state directory exists (and can be trusted: an error
    /// otherwise); false when there is none, so there is no state.
    fn present(&self) -> Result<bool> {
        match fs::symlink_metadata(&self.dir) {
            Ok(meta) => self.trust_dir(&meta).map(|()| true),
            Err(e) if absent(&e) => Ok(false),
            Err(e) => Err(Error::io("cannot read", &self.dir)(e)),
        }
    }

    /// Reads a state file of the (checked) directory; `None` when it does
    /// not exist. Only a regular file of ours is read (`O_NOFOLLOW`: never
    /// through a link; `O_NONBLOCK`: a FIFO is refused, not waited on).
    fn read_file(&self, path: &Path) -> Result<Option<String>> {
        let file = match files::open_for_reading(path, Links::Refuse) {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(None),
            Err(e) if absent(&e) => return Ok(None),
            Err(e) if files::is_link_error(&e) => {
                return Err(trust::untrusted(path, "it is a symbolic link"));
            }
            Err(e) => return Err(Error::io("cannot read", path)(e)),
        };
        let meta = file.metadata().map_err(Error::io("cannot read", path))?;
        trust::check(path, &meta)?;
        if !meta.is_file() {
            return Err(trust::untrusted(path, "it is not a regular file"));
        }
        let bytes = files::Regular { file, meta }
            .read_all(MAX_STATE)
            .map_err(Error::io("cannot read", path))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::io("cannot read", path)(io::ErrorKind::InvalidData.into()))
    }

    /// Creates the directory (0700) when missing, checks it, and writes
    /// `name` atomically.
    fn write_file(&self, name: &str, text: &str) -> Result<()> {
        check_path(&self.runtime, "XDG_RUNTIME_DIR")?;
        match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("cannot create", &self.dir)(e)),
        }
        self.check_dir()?;
        let mut line = text.to_owned();
        line.push('\n');
        atomic::write(
            &self.dir,
            name,
            line.as_bytes(),
            0o600,
            atomic::Existing::Replace,
            false,
        )
        .map_err(|e| Error::io("cannot write", &self.dir.join(name))(e))
    }

    /// The directory must be a real directory (not a link), owned by the user
    /// (or root), and writable by nobody else.
    fn check_dir(&self) -> Result<()> {
        let meta = fs::symlink_metadata(&self.dir).map_err(Error::io("cannot read", &self.dir))?;
        self.trust_dir(&meta)
    }

    /// [`check_dir`](Self::check_dir) on the directory's `lstat`.
    fn trust_dir(&self, meta: &fs::Metadata) -> Result<()> {
        trust::check_dir(&self.dir, meta)
    }
}

/// `XDG_RUNTIME_DIR` itself: a directory nobody else can write (logind makes
/// it 0700), so our directory cannot be swapped under us.
fn check_path(path: &Path, what: &'static str) -> Result<()> {
    let meta = fs::metadata(path).map_err(Error::io(what, path))?;
    trust::check_dir(path, &meta)
}

/// `ENOENT`, or `ENOTDIR` when a path component is a file: nothing there.
fn absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

/// The session for a launch, `--dry-run` or `--print-env`. `decided`: `--gpu`
/// or `GPU_LAUNCH_GPU` already makes the choice, so nothing is read.
/// `consume`: a real launch, which claims a pending `--next`.
pub fn session(env: &Environ<'_>, decided: bool, consume: bool) -> Result<Session> {
    if decided {
        return Ok(Session::default());
    }
    let Some(dir) = StateDir::from_env(env) else {
        return Ok(Session::default());
    };
    let state = if consume { dir.consume()? } else { dir.peek()? };
    Ok(state.session())
}

/// The state for `--status` and `--mode`: the default when there is no
/// state directory.
pub fn peek(env: &Environ<'_>) -> Result<State> {
    match StateDir::from_env(env) {
        Some(dir) => dir.peek(),
        None => Ok(State::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir() -> (tempfile::TempDir, StateDir) {
        let t = tempfile::tempdir().unwrap();
        let runtime = t.path().to_path_buf();
        let s = StateDir {
            dir: runtime.join(DIR_NAME),
            runtime,
        };
        (t, s)
    }

    #[test]
    fn no_state_is_hybrid_without_next() {
        let (_t, s) = dir();
        assert_eq!(s.peek().unwrap(), State::default());
        assert_eq!(s.consume().unwrap(), State::default());
    }

    #[test]
    fn next_is_consumed_once_and_wins_over_the_mode() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        s.set_next(&Spec::parse("nvidia").unwrap()).unwrap();
        let peeked = s.peek().unwrap();
        assert_eq!(peeked.mode, Mode::Integrated);
        assert_eq!(peeked.next, Some(Spec::parse("nvidia").unwrap()));
        let first = s.consume().unwrap();
        assert_eq!(first.next, Some(Spec::parse("nvidia").unwrap()));
        let second = s.consume().unwrap();
        assert_eq!(second.next, None);
        assert_eq!(second.mode, Mode::Integrated);
        // Nothing is left behind but the mode.
        let names: Vec<_> = fs::read_dir(s.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [MODE_FILE]);
        s.set_mode(Mode::Hybrid).unwrap();
        assert_eq!(fs::read_dir(s.path()).unwrap().count(), 0);
        assert_eq!(s.peek().unwrap(), State::default());
    }

    #[test]
    fn the_directory_is_private() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        let mode = fs::metadata(s.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        fs::set_permissions(s.path(), fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(s.peek(), Err(Error::Untrusted { .. })));
        for mode in [Mode::Integrated, Mode::Hybrid] {
            assert!(matches!(s.set_mode(mode), Err(Error::Untrusted { .. })));
        }
    }

    #[test]
    fn a_symlinked_directory_is_refused() {
        let (t, s) = dir();
        let elsewhere = t.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join(MODE_FILE), "integrated\n").unwrap();
        std::os::unix::fs::symlink(&elsewhere, s.path()).unwrap();
        assert!(matches!(s.peek(), Err(Error::Untrusted { .. })));
        assert!(matches!(
            s.set_mode(Mode::Hybrid),
            Err(Error::Untrusted { .. })
        ));
    }

    #[test]
    fn garbage_is_an_error_naming_the_file() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        fs::write(s.path().join(MODE_FILE), "turbo\n").unwrap();
        let e = s.peek().unwrap_err().to_string();
        assert!(e.contains("gpu-launch/mode") && e.contains("turbo"), "{e}");
        fs::write(s.path().join(MODE_FILE), "hybrid\n").unwrap();
        fs::write(s.path().join(NEXT_FILE), "nvida\n").unwrap();
        let e = s.consume().unwrap_err().to_string();
        assert!(e.contains("--next in") && e.contains("nvida"), "{e}");
        // The bad value was consumed: the next launch is not stuck on it.
        assert_eq!(s.consume().unwrap(), State::default());
    }
}
