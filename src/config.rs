//! The config file: TOML, checked strictly (unknown keys and bad SPECs are
//! errors that name the file, line and column) and trusted only when nobody
//! but the user or root could have written it.
//!
//! Search: `--config FILE`, else `$GPU_LAUNCH_CONFIG`, else
//! `/etc/gpu-launch/config.toml` overlaid key by key with
//! `$XDG_CONFIG_HOME/gpu-launch/config.toml` (`~/.config` when unset). Only
//! the default search may miss files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::environ::Environ;
use crate::error::{Error, Result};
use crate::files::{self, Links};
use crate::spec::Spec;

/// The system-wide config file.
pub const SYSTEM_CONFIG: &str = "/etc/gpu-launch/config.toml";

/// Config files larger than this are refused (a config is a few lines).
const MAX_CONFIG: u64 = 1 << 20;

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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    gpu: Option<toml::Spanned<String>>,
    strict: Option<bool>,
    chromium: Option<RawChromium>,
    apps: Option<BTreeMap<String, RawApp>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChromium {
    enable: Option<bool>,
    programs: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    gpu: Option<toml::Spanned<String>>,
}

/// Where the config comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// One file that must exist (`--config`, `GPU_LAUNCH_CONFIG`).
    Explicit(PathBuf),
    /// The system file then the user file; either may be missing.
    Default {
        system: PathBuf,
        user: Option<PathBuf>,
    },
}

impl Search {
    /// The search for this command line and environment.
    pub fn new(flag: Option<&std::ffi::OsStr>, env: &Environ<'_>) -> Search {
        if let Some(path) = flag {
            return Search::Explicit(PathBuf::from(path));
        }
        if let Some(path) = env.get_nonempty("GPU_LAUNCH_CONFIG") {
            return Search::Explicit(PathBuf::from(std::ffi::OsStr::from_bytes(path)));
        }
        Search::Default {
            system: PathBuf::from(SYSTEM_CONFIG),
            user: user_config_path(env),
        }
    }

    /// The files this search would read, in overlay order.
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Search::Explicit(p) => vec![p.as_path()],
            Search::Default { system, user } => std::iter::once(system.as_path())
                .chain(user.as_deref())
                .collect(),
        }
    }
}

/// `$XDG_CONFIG_HOME/gpu-launch/config.toml`, or `$HOME/.config/...`.
/// A relative `XDG_CONFIG_HOME` is ignored, as the XDG spec says.
pub fn user_config_path(env: &Environ<'_>) -> Option<PathBuf> {
    let xdg = env
        .get_nonempty("XDG_CONFIG_HOME")
        .map(|v| PathBuf::from(std::ffi::OsStr::from_bytes(v)))
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(p) => p,
        None => {
            let home = env.get_nonempty("HOME")?;
            PathBuf::from(std::ffi::OsStr::from_bytes(home)).join(".config")
        }
    };
    Some(base.join("gpu-launch/config.toml"))
}

/// Loads and merges the config files of `search`.
pub fn load(search: &Search) -> Result<Config> {
    let mut config = Config::default();
    match search {
        Search::Explicit(path) => {
            let text = read(path)?.ok_or_else(|| Error::ConfigRead {
                path: path.clone(),
                source: io::Error::from(io::ErrorKind::NotFound),
            })?;
            overlay(&mut config, path, &text)?;
        }
        Search::Default { system, user } => {
            for path in std::iter::once(system).chain(user) {
                if let Some(text) = read(path)? {
                    overlay(&mut config, path, &text)?;
                }
            }
        }
    }
    Ok(config)
}

/// Parses one file's text into `config`, over what is already there.
pub fn overlay(config: &mut Config, path: &Path, text: &str) -> Result<()> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: one_line(e.message()),
        }
    })?;
    let spec = |value: &toml::Spanned<String>, what: &str| -> Result<ConfigSpec> {
        let (line, column) = line_col(text, value.span().start);
        let spec = Spec::parse(value.get_ref()).map_err(|e| Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("{what}: {e}"),
        })?;
        Ok(ConfigSpec {
            spec,
            origin: format!("{what} in {}:{line}:{column}", path.display()),
        })
    };
    if let Some(gpu) = &raw.gpu {
        config.gpu = Some(spec(gpu, "gpu")?);
    }
    if let Some(strict) = raw.strict {
        config.strict = strict;
    }
    if let Some(chromium) = raw.chromium {
        if let Some(enable) = chromium.enable {
            config.chromium_enable = enable;
        }
        if let Some(programs) = chromium.programs {
            config.chromium_programs = Some(programs);
        }
    }
    for (name, app) in raw.apps.unwrap_or_default() {
        if let Some(gpu) = &app.gpu {
            let entry = spec(gpu, &format!("[apps.{name}] gpu"))?;
            config.apps.insert(name, entry);
        }
    }
    config.files.push(path.to_path_buf());
    Ok(())
}

/// Reads a config file after checking it can be trusted; `Ok(None)` when it
/// does not exist. Opened `O_NONBLOCK` so that a FIFO at the path is refused
/// (not a regular file) instead of blocking the open for ever.
fn read(path: &Path) -> Result<Option<String>> {
    let file = match files::open_for_reading(path, Links::Follow) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(source) => {
            return Err(Error::ConfigRead {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let meta = file.metadata().map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    check_trust(path, &meta, nix::unistd::getuid().as_raw())?;
    if !meta.is_file() {
        return Err(Error::ConfigRead {
            path: path.to_path_buf(),
            source: io::Error::other("not a regular file"),
        });
    }
    if meta.len() > MAX_CONFIG {
        return Err(Error::ConfigRead {
            path: path.to_path_buf(),
            source: io::Error::other(format!("larger than {MAX_CONFIG} bytes")),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_CONFIG + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            line_col(&text, text.len())
        };
        Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "not valid UTF-8".into(),
        }
    })?;
    Ok(Some(text))
}

/// Refuses a file that others could have written, as ssh does with its
/// files: writable by group or others, or owned by someone other than the
/// user or root.
pub fn check_trust(path: &Path, meta: &fs::Metadata, uid: u32) -> Result<()> {
    let mode = meta.mode();
    if mode & 0o022 != 0 {
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            why: format!(
                "it is writable by {} (mode {:o}); run chmod go-w on it",
                if mode & 0o002 != 0 {
                    "others"
                } else {
                    "its group"
                },
                mode & 0o7777
            ),
        });
    }
    if meta.uid() != uid && meta.uid() != 0 {
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            why: format!(
                "it is owned by uid {}, neither you (uid {uid}) nor root",
                meta.uid()
            ),
        });
    }
    Ok(())
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
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

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
