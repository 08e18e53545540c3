//! Desktop-file overrides: `--install-desktop APP` writes a copy of APP's
//! desktop entry whose every `Exec=` runs through gpu-launch, under the same
//! desktop file ID in a directory that comes first in the XDG search
//! (`$XDG_DATA_HOME/applications`), so menus and launchers use it instead of
//! the original. `--uninstall-desktop APP` removes it again. Never on a
//! launch.
//!
//! Two halves:
//! - [`rewrite`](rewrite::rewrite), pure (and fuzzed): desktop entry text in,
//!   override text out. Every `Exec=` of `[Desktop Entry]` and of each
//!   `[Desktop Action ...]` becomes `gpu-launch [--gpu SPEC] -- <the original
//!   value, byte for byte>`, so field codes and the original quoting stay
//!   exactly as they were; the prefix is quoted by the Exec rules of the
//!   Desktop Entry spec ([`exec_key`]). Everything else (TryExec, localised
//!   keys, comments, other groups) is kept. [`entry`] reads the format.
//! - [`install`], the file system: finding the source by desktop file ID,
//!   and writing atomically.
//!
//! What it must never do: overwrite or remove a file it did not write (ours
//! carry `X-GPU-Launch-Override=true`), wrap an Exec twice, follow a symlink
//! where it writes, write (or remove) in a directory that fails the one trust
//! rule (`os::trust`: owned by the user or root, writable by nobody else), or
//! block on a FIFO where a desktop file should be.

pub mod entry;
pub mod exec_key;
pub mod install;
pub mod rewrite;

use std::os::unix::ffi::OsStrExt;

use crate::cli::Cli;
use crate::decide::spec::{Origin, parse_spec};
use crate::error::{Error, Result};
use crate::os::environ::Environ;

pub use entry::is_ours;
pub use exec_key::{quote_arg, split_exec};
pub use rewrite::{Override, RewriteError, rewrite};

/// The program the overrides run. Plain, found through the launcher's `PATH`:
/// an absolute path to this binary would go stale when a package manager
/// moves it (on NixOS the store path changes with every update).
pub const PROGRAM: &str = "gpu-launch";
/// The key that marks a file as written by gpu-launch.
pub const MARK_KEY: &str = "X-GPU-Launch-Override";
/// The file the override was made from (informational).
pub const SOURCE_KEY: &str = "X-GPU-Launch-Source";

/// `--install-desktop` or `--uninstall-desktop`, as the command line asks.
/// Notes go to stderr; returns what to print on stdout.
pub fn command(env: &Environ<'_>, cli: &Cli<'_>) -> Result<String> {
    let mut notes = Vec::new();
    let done = match (cli.install_desktop, cli.uninstall_desktop) {
        (Some(app), _) => {
            let spec = match cli.gpu {
                Some(g) => Some(parse_spec(g.as_bytes(), Origin::Flag)?.spec),
                None => None,
            };
            install::install(env, app, spec.as_ref(), cli.output, &mut notes)
        }
        (None, Some(app)) => install::uninstall(env, app, cli.output, &mut notes),
        (None, None) => Err(Error::usage(
            "--install-desktop or --uninstall-desktop needs APP",
        )),
    };
    for n in &notes {
        crate::log::note(n);
    }
    done
}
