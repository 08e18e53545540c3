//! Reading one config file (after the trust rule allows it) and laying its
//! keys over what earlier files said. Errors name the file, line and column.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use serde::Deserialize;

use crate::config::{Config, ConfigSpec};
use crate::decide::spec::Spec;
use crate::error::{Error, Result};
use crate::log::one_line;
use crate::os::files::{self, Links};
use crate::os::trust;

/// Config files larger than this are refused (a config is a few lines).
const MAX_CONFIG: u64 = 1 << 20;

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

/// Parses one file's text into `config`, over what is already there.
pub fn overlay(config: &mut Config, path: &Path, text: &str) -> Result<()> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        Error::ConfigSyntax {
            path: path.to_path_buf(),
            line,
            column,
            message: one_line(e.message()).into_owned(),
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
pub(super) fn read(path: &Path) -> Result<Option<String>> {
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
    trust::check(path, &meta)?;
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

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
