//! Which config files a run reads: `--config FILE`, else
//! `$GPU_LAUNCH_CONFIG`, else the system file overlaid with the user's.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::SYSTEM_CONFIG;
use crate::os::environ::Environ;
use crate::os::xdg;

/// Where the config comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// `--config FILE`: what the user typed, so it must exist and be valid
    /// and trusted (else 125).
    Flag(PathBuf),
    /// `$GPU_LAUNCH_CONFIG`: standing state that replaces the default
    /// search. Missing, broken or untrusted, it is a warning and no config
    /// applies.
    Env(PathBuf),
    /// The system file then the user file; either may be missing (which
    /// says nothing), a broken one is skipped with a warning.
    Default {
        system: PathBuf,
        user: Option<PathBuf>,
    },
}

impl Search {
    /// The search for this command line and environment.
    pub fn new(flag: Option<&OsStr>, env: &Environ<'_>) -> Search {
        if let Some(path) = flag {
            return Search::Flag(PathBuf::from(path));
        }
        if let Some(path) = env.get_nonempty("GPU_LAUNCH_CONFIG") {
            return Search::Env(PathBuf::from(OsStr::from_bytes(path)));
        }
        Search::Default {
            system: PathBuf::from(SYSTEM_CONFIG),
            user: user_config_path(env),
        }
    }

    /// The files this search would read, in overlay order.
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Search::Flag(p) | Search::Env(p) => vec![p.as_path()],
            Search::Default { system, user } => std::iter::once(system.as_path())
                .chain(user.as_deref())
                .collect(),
        }
    }
}

/// `$XDG_CONFIG_HOME/gpu-launch/config.toml`, or `$HOME/.config/...`.
pub fn user_config_path(env: &Environ<'_>) -> Option<PathBuf> {
    Some(xdg::config_home(env)?.join("gpu-launch/config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::environ::owned;

    /// The files a search reads (and `--doctor` names when none exists), in
    /// overlay order.
    #[test]
    fn paths_in_overlay_order() {
        let paths = |flag: Option<&str>, pairs: &[(&str, &str)]| -> Vec<PathBuf> {
            let owned = owned(pairs);
            let env = Environ::new(owned.iter().map(AsRef::as_ref).collect());
            let search = Search::new(flag.map(OsStr::new), &env);
            search.paths().iter().map(|p| p.to_path_buf()).collect()
        };
        let home = [("HOME", "/h")];
        assert_eq!(
            paths(None, &home),
            [
                PathBuf::from(SYSTEM_CONFIG),
                PathBuf::from("/h/.config/gpu-launch/config.toml")
            ]
        );
        assert_eq!(paths(None, &[]), [PathBuf::from(SYSTEM_CONFIG)]);
        assert_eq!(
            paths(None, &[("HOME", "/h"), ("GPU_LAUNCH_CONFIG", "/e.toml")]),
            [PathBuf::from("/e.toml")]
        );
        assert_eq!(
            paths(Some("/f.toml"), &[("GPU_LAUNCH_CONFIG", "/e.toml")]),
            [PathBuf::from("/f.toml")]
        );
    }
}
