//! Session state: the mode (`--mode`) and a pending one-shot choice
//! (`--next`), kept under `$XDG_RUNTIME_DIR/gpu-launch/` for the login
//! session.
//!
//! Layout: `mode` holds a mode's name, `integrated` or `auto` (absent:
//! `hybrid`); `next` holds one SPEC. Both are written atomically (temporary file + rename). A launch
//! claims `next` by renaming it to a name of its own: `rename` succeeds for
//! exactly one process, so two racing launches never both use one `--next`.
//! A launch that does not exec (125, 126, 127) puts it back, unless a newer
//! `--next` was written meanwhile.
//!
//! Every operation works relative to one directory descriptor ([`at`]):
//! `XDG_RUNTIME_DIR` is opened without following a link and checked with the
//! one trust rule (a directory owned by the user or root that nobody else can
//! write), then `gpu-launch` in it the same way, then each file in it
//! (`O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`, a regular file by the same rule,
//! read with a bound). A directory swapped for a symbolic link between two
//! steps changes nothing: no path is walked twice. A symbolic link in place
//! of `XDG_RUNTIME_DIR` itself is refused too (logind's `/run/user/UID` is a
//! real directory; a link could be re-pointed by whoever owns the directory
//! it lives in).
//!
//! State that fails a check is *unusable*: it is never read, written or
//! followed. Launches, `--dry-run`, `--print-env` and `--status` then warn
//! and go on as mode `hybrid` with no pending `--next` (`--strict` makes it
//! status 125); setting a mode or `--next` exits 125.
//!
//! What it must never do:
//! - cost a launch more than one syscall when there is no state directory
//!   (an `openat` of it failing with `ENOENT`: then there is nothing to use,
//!   and nothing is said even when `XDG_RUNTIME_DIR` itself is unusable), or
//!   any when `--gpu`/`GPU_LAUNCH_GPU` already decides;
//! - guess a place when `XDG_RUNTIME_DIR` is unset, empty or relative: then
//!   there is no state (mode `hybrid`, no `--next`), silently, and setting
//!   any is an error.

use std::fs;
use std::io::{self, Read};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::decide::plan::Session;
use crate::decide::spec::{Origin, Spec, parse_spec};
use crate::error::{Error, Result};
use crate::os::at::{self, Handle};
use crate::os::atomic::{self, Existing};
use crate::os::environ::Environ;
use crate::os::trust::{self, Kind};
use crate::os::xdg;
use crate::session::mode::Mode;
use crate::session::power::PowerSource;

/// The directory under `$XDG_RUNTIME_DIR`.
pub const DIR_NAME: &str = "gpu-launch";
const MODE_FILE: &str = "mode";
const NEXT_FILE: &str = "next";
/// State files are a few bytes; anything longer is not ours.
const MAX_STATE: u64 = 4096;

/// The state directory, `$XDG_RUNTIME_DIR/gpu-launch` (the paths are for
/// messages and the first quick look; everything else goes through
/// descriptors).
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
    /// `power` is read only in mode `auto`.
    pub fn session(&self, power: impl FnOnce() -> PowerSource) -> Session {
        Session {
            integrated: self.mode.in_force(power).integrated(),
            next: self.next.clone(),
            ..Session::default()
        }
    }
}

/// A `--next` this launch took: the file is gone, its text kept here. Unless
/// the process execs (and so never runs this), dropping the claim writes it
/// back (`link`, which never replaces: a `--next` written since wins).
#[derive(Debug)]
pub struct Claim {
    dir: Handle,
    text: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let put_back = atomic::write_at(
            self.dir.fd(),
            NEXT_FILE,
            self.text.as_bytes(),
            0o600,
            Existing::Keep,
            false,
        );
        tracing::debug!(?put_back, "the launch did not exec: --next put back");
    }
}

/// The state directory, opened and checked.
struct Opened<'s> {
    paths: &'s StateDir,
    dir: Handle,
}

/// How thoroughly to look before opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// One look at the state directory first: when it is not there, there
    /// is no state, and `XDG_RUNTIME_DIR` is not looked at (a launch).
    Quick,
    /// Check `XDG_RUNTIME_DIR` even when there is no state (`--doctor`).
    Thorough,
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
    /// `--status`, `--mode`). An error means the state is unusable.
    pub fn peek(&self) -> Result<State> {
        self.peek_with(Look::Quick)
    }

    /// [`peek`](Self::peek), checking `XDG_RUNTIME_DIR` even when there is
    /// no state directory in it (`--doctor`).
    pub fn inspect(&self) -> Result<State> {
        self.peek_with(Look::Thorough)
    }

    fn peek_with(&self, look: Look) -> Result<State> {
        let Some(o) = self.open(look)? else {
            return Ok(State::default());
        };
        let mode = o.read_mode()?;
        let next = match o.read_file(NEXT_FILE)? {
            Some(text) => Some(o.parse_next(&text, NEXT_FILE)?),
            None => None,
        };
        Ok(State { mode, next })
    }

    /// Reads the state for a launch, claiming a pending `--next` so that no
    /// other launch gets it. The claim puts it back when dropped (a launch
    /// that does not exec). An error means the state is unusable; nothing
    /// is claimed then.
    pub fn claim(&self) -> Result<(State, Option<Claim>)> {
        let Some(o) = self.open(Look::Quick)? else {
            return Ok((State::default(), None));
        };
        let mode = o.read_mode()?;
        let none = |mode| Ok((State { mode, next: None }, None));
        // Look before taking: what is not a regular file of ours is never
        // moved. (When there is nothing, this is the one call it costs.)
        match at::stat(o.fd(), NEXT_FILE) {
            Ok(st) => o.check_entry(NEXT_FILE, st.mode(), st.uid(), Kind::File)?,
            Err(e) if at::is_absent(&e) => return none(mode),
            Err(e) => return Err(Error::io("cannot read", &o.path(NEXT_FILE))(e)),
        }
        let claimed = format!("{NEXT_FILE}.{}.claimed", crate::os::sys::getpid());
        match at::rename(o.fd(), NEXT_FILE, &claimed) {
            Ok(()) => {}
            // Another launch took it first.
            Err(e) if at::is_absent(&e) => return none(mode),
            Err(e) => return Err(Error::io("cannot claim", &o.path(NEXT_FILE))(e)),
        }
        let text = match o.read_file(&claimed) {
            Ok(Some(text)) => text,
            Ok(None) => return none(mode),
            Err(e) => {
                // Not a state file after all (replaced since the look, or
                // not text): leave it as found.
                let _ = at::rename(o.fd(), &claimed, NEXT_FILE);
                return Err(e);
            }
        };
        let _ = at::unlink(o.fd(), &claimed);
        let parsed = o.parse_next(&text, NEXT_FILE);
        let claim = Claim { dir: o.dir, text };
        // An unparseable one is put back as it was (the claim is dropped).
        let next = parsed?;
        tracing::debug!(spec = %next, "claimed --next");
        Ok((
            State {
                mode,
                next: Some(next),
            },
            Some(claim),
        ))
    }

    /// The mode alone (for `--mode toggle`).
    pub fn mode(&self) -> Result<Mode> {
        match self.open(Look::Quick)? {
            Some(o) => o.read_mode(),
            None => Ok(Mode::Hybrid),
        }
    }

    /// Sets the mode. `hybrid` is the absence of the file, so that a launch
    /// in the default mode reads nothing.
    pub fn set_mode(&self, mode: Mode) -> Result<()> {
        if mode == Mode::Hybrid {
            let Some(o) = self.open(Look::Thorough)? else {
                return Ok(());
            };
            o.check_replaceable(MODE_FILE)?;
            return match at::unlink(o.fd(), MODE_FILE) {
                Err(e) if !at::is_absent(&e) => {
                    Err(Error::io("cannot remove", &o.path(MODE_FILE))(e))
                }
                _ => Ok(()),
            };
        }
        self.write_file(MODE_FILE, mode.as_str())
    }

    /// Records `spec` for the next launch (replacing a pending one).
    pub fn set_next(&self, spec: &Spec) -> Result<()> {
        self.write_file(NEXT_FILE, &spec.to_string())
    }

    /// Opens and checks `XDG_RUNTIME_DIR`, then the state directory in it;
    /// `None` when either does not exist.
    fn open(&self, look: Look) -> Result<Option<Opened<'_>>> {
        if look == Look::Quick {
            // The one call a launch without state makes. Only "nothing
            // there" is believed; anything else is looked at properly.
            if let Err(e) = at::probe(&self.dir) {
                if at::is_absent(&e) {
                    return Ok(None);
                }
            }
        }
        let Some(runtime) = self.open_runtime()? else {
            return Ok(None);
        };
        let dir = match Handle::open(Some(runtime.fd()), Path::new(DIR_NAME)) {
            Ok(h) => h,
            Err(e) if at::is_absent(&e) => return Ok(None),
            Err(e) => return Err(Error::io("cannot open", &self.dir)(e)),
        };
        self.check_dir(&self.dir, &dir)?;
        Ok(Some(Opened { paths: self, dir }))
    }

    /// `XDG_RUNTIME_DIR`, opened and checked; `None` when it does not exist.
    fn open_runtime(&self) -> Result<Option<Handle>> {
        let runtime = match Handle::open(None, &self.runtime) {
            Ok(h) => h,
            Err(e) if at::is_absent(&e) => return Ok(None),
            Err(e) => return Err(Error::io("cannot open", &self.runtime)(e)),
        };
        self.check_runtime(&self.runtime, &runtime)?;
        Ok(Some(runtime))
    }

    /// `XDG_RUNTIME_DIR`: the one trust rule ("owned by another user or
    /// writable by others" is unusable).
    fn check_runtime(&self, path: &Path, h: &Handle) -> Result<()> {
        match trust::judge_entry(h.meta.mode(), h.meta.uid(), Kind::Directory) {
            None => Ok(()),
            Some(why) => Err(trust::untrusted(path, why)),
        }
    }

    /// The state directory: the user's own plain 0700 directory.
    fn check_dir(&self, path: &Path, h: &Handle) -> Result<()> {
        match trust::judge_own_entry(h.meta.mode(), h.meta.uid(), Kind::Directory) {
            None => Ok(()),
            Some(why) => Err(trust::untrusted(path, why)),
        }
    }

    /// Creates the directory (0700) when missing, checks it, and writes
    /// `name` atomically, replacing only a regular file of the user's own.
    fn write_file(&self, name: &str, text: &str) -> Result<()> {
        let runtime = self.open_runtime()?.ok_or_else(|| {
            Error::io("cannot open", &self.runtime)(io::ErrorKind::NotFound.into())
        })?;
        let open = || Handle::open(Some(runtime.fd()), Path::new(DIR_NAME));
        let dir = match open() {
            Err(e) if at::is_absent(&e) => {
                match at::mkdir(runtime.fd(), DIR_NAME, 0o700) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                        return Err(Error::io("cannot create", &self.dir)(e));
                    }
                    _ => {}
                }
                open()
            }
            other => other,
        }
        .map_err(Error::io("cannot open", &self.dir))?;
        self.check_dir(&self.dir, &dir)?;
        let o = Opened { paths: self, dir };
        o.check_replaceable(name)?;
        let mut line = text.to_owned();
        line.push('\n');
        atomic::write_at(
            o.fd(),
            name,
            line.as_bytes(),
            0o600,
            Existing::Replace,
            false,
        )
        .map_err(|e| Error::io("cannot write", &o.path(name))(e))
    }
}

impl Opened<'_> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.dir.fd()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.paths.dir.join(name)
    }

    fn check_entry(&self, name: &str, mode: u32, owner: u32, want: Kind) -> Result<()> {
        match trust::judge_own_entry(mode, owner, want) {
            None => Ok(()),
            Some(why) => Err(trust::untrusted(&self.path(name), why)),
        }
    }

    /// `name` is absent or a regular file of the user's own (so replacing it
    /// is ours to do).
    fn check_replaceable(&self, name: &str) -> Result<()> {
        match at::stat(self.fd(), name) {
            Ok(st) => self.check_entry(name, st.mode(), st.uid(), Kind::File),
            Err(e) if at::is_absent(&e) => Ok(()),
            Err(e) => Err(Error::io("cannot read", &self.path(name))(e)),
        }
    }

    fn read_mode(&self) -> Result<Mode> {
        match self.read_file(MODE_FILE)? {
            None => Ok(Mode::Hybrid),
            Some(text) => Mode::parse(&text).ok_or_else(|| Error::BadState {
                why: format!(
                    "not a mode ('{}'); gpu-launch --mode hybrid resets it",
                    text.trim().escape_debug()
                ),
                path: self.path(MODE_FILE),
            }),
        }
    }

    fn parse_next(&self, text: &str, name: &str) -> Result<Spec> {
        let path = self.path(name);
        let origin = Origin::Config(format!("--next in {}", path.display()));
        parse_spec(text.trim().as_bytes(), origin).map(|c| c.spec)
    }

    /// Reads `name`; `None` when it does not exist. Only a regular file of
    /// the user's own (or root's) is read, at most [`MAX_STATE`] bytes.
    fn read_file(&self, name: &str) -> Result<Option<String>> {
        let path = self.path(name);
        let file = match at::open_for_reading(self.fd(), name) {
            Ok(f) => f,
            Err(e) if at::is_absent(&e) => return Ok(None),
            Err(e) => {
                // A link (ELOOP), a socket (ENXIO): say what it is.
                if let Ok(st) = at::stat(self.fd(), name) {
                    self.check_entry(name, st.mode(), st.uid(), Kind::File)?;
                }
                return Err(Error::io("cannot read", &path)(e));
            }
        };
        let meta = file.metadata().map_err(Error::io("cannot read", &path))?;
        self.check_entry(name, meta.mode(), meta.uid(), Kind::File)?;
        read_bounded(file, &path).map(Some)
    }
}

/// At most [`MAX_STATE`] bytes of text: more is not a state file.
fn read_bounded(file: fs::File, path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    file.take(MAX_STATE + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("cannot read", path))?;
    if bytes.len() as u64 > MAX_STATE {
        return Err(Error::BadState {
            path: path.to_path_buf(),
            why: format!("longer than {MAX_STATE} bytes, so not written by gpu-launch"),
        });
    }
    String::from_utf8(bytes).map_err(|_| Error::BadState {
        path: path.to_path_buf(),
        why: "not text, so not written by gpu-launch".into(),
    })
}

/// The note a launch (or a query) carries when the state is unusable.
pub fn ignored(why: &str) -> String {
    format!("session state ignored (so mode hybrid, no pending --next): {why}")
}

/// What a launch, `--dry-run` or `--print-env` gets from the session state.
#[derive(Debug, Default)]
pub struct ForLaunch {
    /// The session, with why it is ignored when the state is unusable.
    pub session: Session,
    /// The `--next` this launch took (a real launch only): keep it until
    /// exec, so that a launch that fails puts it back.
    pub claim: Option<Claim>,
}

/// The session for a launch, `--dry-run` or `--print-env`. `decided`: `--gpu`
/// or `GPU_LAUNCH_GPU` already makes the choice, so nothing is read here
/// (the launch may still ask [`integrated`] later, when the mode can matter).
/// `consume`: a real launch, which claims a pending `--next`. `power`: the
/// power source, read only in mode `auto`. Unusable state is not an error
/// here: it is standing state, and the session's warning says why it is
/// ignored (the launch shows it, or makes it 125 under `--strict`).
pub fn for_launch(
    env: &Environ<'_>,
    decided: bool,
    consume: bool,
    power: impl FnOnce() -> PowerSource,
) -> ForLaunch {
    if decided {
        return ForLaunch::default();
    }
    let Some(dir) = StateDir::from_env(env) else {
        return ForLaunch::default();
    };
    let read = if consume {
        dir.claim()
    } else {
        dir.peek().map(|s| (s, None))
    };
    match read {
        Ok((state, claim)) => ForLaunch {
            session: state.session(power),
            claim,
        },
        Err(e) => ForLaunch {
            session: Session {
                warnings: vec![ignored(&e.to_string())],
                ..Session::default()
            },
            claim: None,
        },
    }
}

/// Whether the mode in force is `integrated`, reading the mode alone (never
/// `--next`): for a launch whose choice `--gpu` or `GPU_LAUNCH_GPU` made,
/// asked only when the mode can change its plan (the "hide NVIDIA" rule on
/// the default GPU). `power` is read only in mode `auto`. `Err`: the warning
/// for unusable state (then the mode is `hybrid`).
pub fn integrated(
    env: &Environ<'_>,
    power: impl FnOnce() -> PowerSource,
) -> std::result::Result<bool, String> {
    let Some(dir) = StateDir::from_env(env) else {
        return Ok(false);
    };
    match dir.mode() {
        Ok(mode) => Ok(mode.in_force(power).integrated()),
        Err(e) => Err(ignored(&e.to_string())),
    }
}

/// The state for `--status` and `--mode` (show): the default when there is
/// no state directory. Unusable state gives the default and the warning that
/// says why (the caller shows it: these are queries, which a status bar
/// polls, so they say it on stderr and in their output only), or with
/// `strict` an error.
pub fn peek(env: &Environ<'_>, strict: bool) -> Result<(State, Option<String>)> {
    let Some(dir) = StateDir::from_env(env) else {
        return Ok((State::default(), None));
    };
    match dir.peek() {
        Ok(state) => Ok((state, None)),
        Err(e) => {
            let warning = ignored(&e.to_string());
            if strict {
                return Err(Error::Strict {
                    warning,
                    by: "--strict".to_owned(),
                });
            }
            Ok((State::default(), Some(warning)))
        }
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

    fn names(s: &StateDir) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(s.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn no_state_is_hybrid_without_next() {
        let (_t, s) = dir();
        assert_eq!(s.peek().unwrap(), State::default());
        let (state, claim) = s.claim().unwrap();
        assert_eq!(state, State::default());
        assert!(claim.is_none());
    }

    #[test]
    fn next_is_consumed_once_and_wins_over_the_mode() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        s.set_next(&Spec::parse("nvidia").unwrap()).unwrap();
        let peeked = s.peek().unwrap();
        assert_eq!(peeked.mode, Mode::Integrated);
        assert_eq!(peeked.next, Some(Spec::parse("nvidia").unwrap()));
        let (first, claim) = s.claim().unwrap();
        assert_eq!(first.next, Some(Spec::parse("nvidia").unwrap()));
        // Claimed: gone for everyone else while the launch holds it.
        assert_eq!(names(&s), [MODE_FILE]);
        let (second, none) = s.claim().unwrap();
        assert!(none.is_none());
        assert_eq!(second.next, None);
        assert_eq!(second.mode, Mode::Integrated);
        // A launch that does not exec puts it back.
        drop(claim);
        assert_eq!(names(&s), [MODE_FILE, NEXT_FILE]);
        assert_eq!(s.peek().unwrap().next, Some(Spec::parse("nvidia").unwrap()));
        // Unless a newer one was written meanwhile.
        let (_, claim) = s.claim().unwrap();
        s.set_next(&Spec::parse("default").unwrap()).unwrap();
        drop(claim);
        assert_eq!(s.peek().unwrap().next, Some(Spec::Default));
        // A launch that execs never drops its claim: the file stays gone.
        let (_, claim) = s.claim().unwrap();
        std::mem::forget(claim);
        assert_eq!(names(&s), [MODE_FILE]);
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
        assert!(matches!(s.claim(), Err(Error::Untrusted { .. })));
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
        let e = s.peek().unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert!(matches!(
            s.set_mode(Mode::Hybrid),
            Err(Error::Untrusted { .. })
        ));
        assert!(elsewhere.join(MODE_FILE).exists());
    }

    #[test]
    fn garbage_is_an_error_naming_the_file_and_stays_put() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        fs::write(s.path().join(MODE_FILE), "turbo\n").unwrap();
        let e = s.peek().unwrap_err().to_string();
        assert!(e.contains("gpu-launch/mode") && e.contains("turbo"), "{e}");
        // Replacing a regular file of the user's own is how it is repaired.
        s.set_mode(Mode::Hybrid).unwrap();
        fs::write(s.path().join(NEXT_FILE), "nvida\n").unwrap();
        let e = s.claim().unwrap_err().to_string();
        assert!(e.contains("--next in") && e.contains("nvida"), "{e}");
        // Not used, so not consumed.
        assert_eq!(
            fs::read_to_string(s.path().join(NEXT_FILE)).unwrap(),
            "nvida\n"
        );
        fs::write(s.path().join(NEXT_FILE), "x".repeat(5000)).unwrap();
        let e = s.peek().unwrap_err().to_string();
        assert!(e.contains("longer than 4096 bytes"), "{e}");
    }

    #[test]
    fn what_is_not_a_regular_file_is_never_moved() {
        let (_t, s) = dir();
        s.set_mode(Mode::Integrated).unwrap();
        let next = s.path().join(NEXT_FILE);
        nix::unistd::mkfifo(&next, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = s.claim().unwrap_err().to_string();
        assert!(e.contains("it is a FIFO, not a regular file"), "{e}");
        assert_eq!(names(&s), [MODE_FILE, NEXT_FILE]);
        let e = s.set_next(&Spec::Auto).unwrap_err().to_string();
        assert!(e.contains("FIFO"), "{e}");
        fs::remove_file(&next).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &next).unwrap();
        let e = s.peek().unwrap_err().to_string();
        assert!(
            e.contains("it is a symbolic link, not a regular file"),
            "{e}"
        );
    }
}
