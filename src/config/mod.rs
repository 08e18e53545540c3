//! The config file: TOML, checked strictly (unknown keys and bad SPECs name
//! the file, line and column) and trusted only by the one trust rule
//! (`os::trust`, the file and every directory above it). Runs on every
//! launch.
//!
//! Search: `--config FILE`, else `$GPU_LAUNCH_CONFIG`, else
//! `/etc/gpu-launch/config.toml` overlaid key by key with
//! `$XDG_CONFIG_HOME/gpu-launch/config.toml` (`~/.config` when unset).
//!
//! A broken file never stops a launch: only `--config FILE` is what the
//! user typed, and its problems are errors (125). Every other file is
//! standing state: one that is malformed, has an unknown key or a bad SPEC,
//! or is untrusted is skipped as a whole, with a warning ([`Loaded`]); a
//! missing `$GPU_LAUNCH_CONFIG` file is a warning; a missing file of the
//! default search says nothing.
//!
//! [`search`] says which files, [`parse`] reads and checks one and lays it
//! over what earlier files said ([`overlay`]).

pub mod parse;
pub mod search;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::decide::spec::Spec;
use crate::error::{Error, Result, io_words};
use crate::log::Notify;

pub use parse::overlay;
pub use search::{Search, user_config_path};

/// The system-wide config file.
pub const SYSTEM_CONFIG: &str = "/etc/gpu-launch/config.toml";

/// A SPEC from the config, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSpec {
    pub spec: Spec,
    /// `gpu in /etc/gpu-launch/config.toml:2:7`, `[apps.blender] in ...`.
    pub origin: String,
}

/// The merged configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Top-level `gpu`.
    pub gpu: Option<ConfigSpec>,
    /// `strict = true`: the file that said so (`None`: not strict).
    pub strict: Option<PathBuf>,
    /// `notify`: which messages become desktop notifications.
    pub notify: Notify,
    /// `[chromium] enable`: the `--render-node-override` rule.
    pub chromium_enable: bool,
    /// `[chromium] programs`: replaces the built-in list when set.
    pub chromium_programs: Option<Vec<String>>,
    /// `[apps.NAME] gpu`, keyed by program basename.
    pub apps: BTreeMap<String, ConfigSpec>,
    /// The files read, in overlay order.
    pub files: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gpu: None,
            strict: None,
            notify: Notify::Warnings,
            chromium_enable: true,
            chromium_programs: None,
            apps: BTreeMap::new(),
            files: Vec::new(),
        }
    }
}

/// The configuration, and a warning for each file skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Loads and merges the config files of `search`. An error only for
/// `--config FILE` (see the module comment).
pub fn load(search: &Search) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    match search {
        Search::Flag(path) => {
            let text = parse::read(path)?.ok_or_else(|| Error::ConfigRead {
                path: path.clone(),
                source: io::Error::from(io::ErrorKind::NotFound),
            })?;
            overlay(&mut loaded.config, path, &text)?;
        }
        Search::Env(path) => {
            if !standing(&mut loaded, path)? {
                loaded.warnings.push(format!(
                    "config file {} (named by GPU_LAUNCH_CONFIG) does not exist; no config \
                     file applies",
                    path.display()
                ));
            }
        }
        Search::Default { system, user } => {
            for path in std::iter::once(system).chain(user) {
                standing(&mut loaded, path)?;
            }
        }
    }
    Ok(loaded)
}

/// Reads one file of standing state into `loaded`, or skips it with a
/// warning; `false` when it does not exist.
fn standing(loaded: &mut Loaded, path: &Path) -> Result<bool> {
    let outcome = parse::read(path).and_then(|text| match text {
        Some(text) => overlay(&mut loaded.config, path, &text).map(|()| true),
        None => Ok(false),
    });
    match outcome {
        Ok(found) => Ok(found),
        Err(e) => {
            loaded.warnings.push(skipped(&e));
            Ok(true)
        }
    }
}

/// The warning for a skipped file.
pub fn skipped(e: &Error) -> String {
    match e {
        Error::ConfigSyntax { .. } => format!("{e} (the whole config file is ignored)"),
        Error::Untrusted { path, why } => {
            format!("config file {} is ignored: {why}", path.display())
        }
        Error::ConfigRead { path, source } => format!(
            "config file {} is ignored: cannot read it: {}",
            path.display(),
            io_words(source)
        ),
        e => format!("{e} (the config file is ignored)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        let mut c = Config::default();
        overlay(&mut c, Path::new("/c.toml"), text)?;
        Ok(c)
    }

    #[test]
    fn the_documented_keys() {
        let c = parse(
            "gpu = \"nvidia\"\nstrict = true\n[chromium]\nenable = false\nprograms = [\"code\"]\n\
             [apps.blender]\ngpu = \"discrete\"\n[apps.\"org.chromium.Chromium\"]\ngpu = \"PCI:1:0:0\"\n",
        )
        .unwrap();
        assert_eq!(c.gpu.unwrap().spec, Spec::parse("nvidia").unwrap());
        assert_eq!(c.strict.as_deref(), Some(Path::new("/c.toml")));
        assert!(!c.chromium_enable);
        assert_eq!(c.chromium_programs.unwrap(), ["code"]);
        assert_eq!(c.apps["blender"].spec, Spec::parse("discrete").unwrap());
        assert!(
            c.apps["blender"]
                .origin
                .starts_with("[apps.blender] gpu in /c.toml:7:")
        );
        assert!(c.apps.contains_key("org.chromium.Chromium"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("gpu = \"nvidia\"\nfoo = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/c.toml:2:1: "), "{e}");
        assert!(e.contains("foo"), "{e}");
        let e = parse("gpu = \"nvida\"\n").unwrap_err().to_string();
        assert!(
            e.starts_with("/c.toml:1:7: gpu: invalid GPU SPEC 'nvida'"),
            "{e}"
        );
        let e = parse("[apps.x]\ngpu = 3\n").unwrap_err().to_string();
        assert!(e.starts_with("/c.toml:2:7: "), "{e}");
        let e = parse("gpu = \n").unwrap_err().to_string();
        assert!(e.starts_with("/c.toml:1:"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let e = parse("[chromium]\nprogramz = []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("programz"), "{e}");
    }

    #[test]
    fn overlay_is_key_by_key() {
        let mut c = Config::default();
        overlay(
            &mut c,
            Path::new("/etc"),
            "gpu = \"amd\"\nstrict = true\n[apps.a]\ngpu = \"0\"\n[apps.b]\ngpu = \"1\"\n",
        )
        .unwrap();
        overlay(
            &mut c,
            Path::new("/home"),
            "gpu = \"nvidia\"\n[apps.b]\ngpu = \"2\"\n",
        )
        .unwrap();
        assert_eq!(c.gpu.unwrap().spec, Spec::parse("nvidia").unwrap());
        assert_eq!(c.strict.as_deref(), Some(Path::new("/etc")));
        assert_eq!(c.apps["a"].spec, Spec::Index(0));
        assert_eq!(c.apps["b"].spec, Spec::Index(2));
        assert_eq!(c.files, [Path::new("/etc"), Path::new("/home")]);
    }

    #[test]
    fn only_an_explicit_config_is_an_error_the_rest_is_skipped_whole() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&good, "gpu = \"amd\"\nstrict = true\n").unwrap();
        std::fs::write(&bad, "gpu = \"nvidia\"\nnotify = \"never\"\nx = 1\n").unwrap();
        let missing = dir.path().join("missing.toml");
        // The system file applies, the user's is skipped as a whole (its
        // gpu and notify lines too).
        let l = load(&Search::Default {
            system: good.clone(),
            user: Some(bad.clone()),
        })
        .unwrap();
        assert_eq!(l.config.gpu.unwrap().spec, Spec::parse("amd").unwrap());
        assert_eq!(l.config.notify, Notify::Warnings);
        assert_eq!(l.config.files, std::slice::from_ref(&good));
        assert_eq!(l.warnings.len(), 1);
        assert!(
            l.warnings[0].ends_with(
                "bad.toml:3:1: unknown key 'x' (the top level takes gpu, \
                                     strict, notify, [chromium], [apps.NAME]) (the whole config \
                                     file is ignored)"
            ),
            "{:?}",
            l.warnings
        );
        // Missing files of the default search say nothing.
        let l = load(&Search::Default {
            system: missing.clone(),
            user: Some(missing.clone()),
        })
        .unwrap();
        assert_eq!(l, Loaded::default());
        // A missing $GPU_LAUNCH_CONFIG is a warning; a broken one too.
        let l = load(&Search::Env(missing.clone())).unwrap();
        assert_eq!(l.config, Config::default());
        assert!(l.warnings[0].contains("does not exist"), "{l:?}");
        let l = load(&Search::Env(bad.clone())).unwrap();
        assert_eq!(l.config, Config::default());
        assert_eq!(l.warnings.len(), 1);
        // --config: errors, in words.
        let e = load(&Search::Flag(missing.clone()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "cannot read config file {}: No such file or directory",
                missing.display()
            )
        );
        assert!(load(&Search::Flag(bad)).is_err());
        assert!(load(&Search::Flag(good)).is_ok());
    }
}
