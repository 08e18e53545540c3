//! The XDG base directories (XDG Base Directory Specification): a variable
//! that must hold an absolute path, else a default under `$HOME`. A
//! relative value is ignored, as the specification says.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::os::environ::Environ;

/// `$var` when it is set to an absolute path, else `$HOME/home_default`
/// (`None` for no default, or when `HOME` is not absolute either).
pub fn dir(env: &Environ<'_>, var: &str, home_default: Option<&str>) -> Option<PathBuf> {
    absolute(env.get_nonempty(var))
        .or_else(|| Some(absolute(env.get_nonempty("HOME"))?.join(home_default?)))
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
        ]);
        let env = Environ::new(vars.iter().map(AsRef::as_ref).collect());
        let d = |var, default| dir(&env, var, default);
        assert_eq!(
            d("XDG_CONFIG_HOME", Some(".config")),
            Some("/home/u/.config".into())
        );
        assert_eq!(
            d("XDG_DATA_HOME", Some(".local/share")),
            Some("/data".into())
        );
        assert_eq!(d("XDG_RUNTIME_DIR", None), None);
        assert_eq!(data_dirs(&env), [PathBuf::from("/a"), PathBuf::from("/b")]);
    }
}
