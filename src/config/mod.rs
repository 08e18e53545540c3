//! The config file: TOML, checked strictly (unknown keys and bad SPECs are
//! errors that name the file, line and column) and trusted only by the one
//! trust rule (`os::trust`). Runs on every launch.
//!
//! Search: `--config FILE`, else `$GPU_LAUNCH_CONFIG`, else
//! `/etc/gpu-launch/config.toml` overlaid key by key with
//! `$XDG_CONFIG_HOME/gpu-launch/config.toml` (`~/.config` when unset). Only
//! the default search may miss files.
//!
//! [`search`] says which files, [`parse`] reads and checks one and lays it
//! over what earlier files said ([`overlay`]).

pub mod parse;
pub mod search;

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use crate::decide::spec::Spec;
use crate::error::{Error, Result};

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
    pub strict: bool,
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
            strict: false,
            chromium_enable: true,
            chromium_programs: None,
            apps: BTreeMap::new(),
            files: Vec::new(),
        }
    }
}

/// Loads and merges the config files of `search`.
pub fn load(search: &Search) -> Result<Config> {
    let mut config = Config::default();
    match search {
        Search::Explicit(path) => {
            let text = parse::read(path)?.ok_or_else(|| Error::ConfigRead {
                path: path.clone(),
                source: io::Error::from(io::ErrorKind::NotFound),
            })?;
            overlay(&mut config, path, &text)?;
        }
        Search::Default { system, user } => {
            for path in std::iter::once(system).chain(user) {
                if let Some(text) = parse::read(path)? {
                    overlay(&mut config, path, &text)?;
                }
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::Path;

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
        assert!(c.strict);
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
        assert!(c.strict);
        assert_eq!(c.apps["a"].spec, Spec::Index(0));
        assert_eq!(c.apps["b"].spec, Spec::Index(2));
        assert_eq!(c.files, [Path::new("/etc"), Path::new("/home")]);
    }
}
