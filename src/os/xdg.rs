//! The XDG base directories (XDG Base Directory Specification): a variable
//! that must hold an absolute path, else a default under `$HOME`. A
//! relative value is ignored, as the specification says.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::os::environ::Environ;

/// `$XDG_CONFIG_HOME`, else `$HOME/.config`.
pub fn config_home(env: &Environ<'_>) -> Option<PathBuf> {
    absolute(env.get_nonempty("XDG_CONFIG_HOME")).or_else(|| home(env, ".config"))
}

/// `$XDG_DATA_HOME`, else `$HOME/.local/share`.
pub fn data_home(env: &Environ<'_>) -> Option<PathBuf> {
    absolute(env.get_nonempty("XDG_DATA_HOME")).or_else(|| home(env, ".local/share"))
}

/// `$XDG_DATA_DIRS`, its absolute entries in order (default
/// `/usr/local/share:/usr/share`).
pub fn data_dirs(env: &Environ<'_>) -> Vec<PathBuf> {
    match env.get_nonempty("XDG_DATA_DIRS") {
        Some(v) => v
            .split(|b| *b == b':')
            .filter_map(|e| absolute(Some(e)))
            .collect(),
        None => vec![
            PathBuf::from("/usr/local/share"),
            PathBuf::from("/usr/share"),
        ],
    }
}

/// `$XDG_RUNTIME_DIR`; no default (unset is normal: ssh, CI).
pub fn runtime_dir(env: &Environ<'_>) -> Option<PathBuf> {
    absolute(env.get_nonempty("XDG_RUNTIME_DIR"))
}

/// `$HOME/rel`, when `HOME` is absolute.
fn home(env: &Environ<'_>, rel: &str) -> Option<PathBuf> {
    Some(absolute(env.get_nonempty("HOME"))?.join(rel))
}

fn absolute(value: Option<&[u8]>) -> Option<PathBuf> {
    Some(PathBuf::from(OsStr::from_bytes(value?))).filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::environ::owned;

    #[test]
    fn absolute_values_else_home_defaults() {
        let vars = owned(&[
            ("HOME", "/home/u"),
            ("XDG_CONFIG_HOME", "relative"),
            ("XDG_DATA_HOME", "/data"),
            ("XDG_DATA_DIRS", "/a:rel::/b"),
            ("XDG_RUNTIME_DIR", "run/user/1000"),
        ]);
        let env = Environ::new(vars.iter().map(AsRef::as_ref).collect());
        assert_eq!(config_home(&env), Some("/home/u/.config".into()));
        assert_eq!(data_home(&env), Some("/data".into()));
        assert_eq!(runtime_dir(&env), None);
        assert_eq!(data_dirs(&env), [PathBuf::from("/a"), PathBuf::from("/b")]);
        let vars = owned(&[("HOME", "relative")]);
        let env = Environ::new(vars.iter().map(AsRef::as_ref).collect());
        assert_eq!(config_home(&env), None);
        assert_eq!(data_dirs(&env).len(), 2);
    }
}
