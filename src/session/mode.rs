//! The session's mode (`--mode`) and the one-shot `--next`, as commands:
//! parse what the user asked, then read or write the state through
//! [`StateDir`].

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::decide::spec::{Origin, parse_spec};
use crate::error::{Error, Result};
use crate::os::environ::Environ;
use crate::session::state::{StateDir, peek};

/// The session's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The precedence rules as they are (the default).
    #[default]
    Hybrid,
    /// Battery first: everything below `--next` goes to the default GPU.
    Integrated,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Hybrid => "hybrid",
            Mode::Integrated => "integrated",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "hybrid" => Some(Mode::Hybrid),
            "integrated" => Some(Mode::Integrated),
            _ => None,
        }
    }

    pub fn toggled(self) -> Mode {
        match self {
            Mode::Hybrid => Mode::Integrated,
            Mode::Integrated => Mode::Hybrid,
        }
    }
}

/// What `--mode VALUE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeRequest {
    Set(Mode),
    /// An extension for waybar's `on-click`: flip between the two.
    Toggle,
}

impl ModeRequest {
    pub fn parse(value: &OsStr) -> Result<ModeRequest> {
        let text = std::str::from_utf8(value.as_bytes()).unwrap_or("");
        if text == "toggle" {
            return Ok(ModeRequest::Toggle);
        }
        Mode::parse(text).map(ModeRequest::Set).ok_or_else(|| {
            Error::usage(format!(
                "invalid mode '{}' (expected integrated, hybrid or toggle)",
                value.to_string_lossy()
            ))
        })
    }
}

fn required(env: &Environ<'_>, what: &'static str) -> Result<StateDir> {
    StateDir::from_env(env).ok_or(Error::NoRuntimeDir { what })
}

/// A refusal to change unusable state, saying what was asked.
fn refused(what: &'static str) -> impl FnOnce(Error) -> Error {
    move |cause| Error::StateRefused {
        what,
        cause: Box::new(cause),
    }
}

/// `--mode [VALUE]`: prints the mode, or sets it. Returns what to print.
/// Showing it is a query: unusable state is a warning (and `hybrid`), or an
/// error under `strict`; setting it with unusable state is an error.
pub fn mode_command(env: &Environ<'_>, value: Option<&OsStr>, strict: bool) -> Result<String> {
    let Some(value) = value else {
        return Ok(format!("{}\n", peek(env, strict)?.mode.as_str()));
    };
    let request = ModeRequest::parse(value)?;
    let what = "set the mode";
    let dir = required(env, "setting the mode")?;
    match request {
        ModeRequest::Set(mode) => {
            dir.set_mode(mode).map_err(refused(what))?;
            Ok(String::new())
        }
        ModeRequest::Toggle => {
            let mode = dir.mode().map_err(refused(what))?.toggled();
            dir.set_mode(mode).map_err(refused(what))?;
            Ok(format!("{}\n", mode.as_str()))
        }
    }
}

/// `--next SPEC`: validates SPEC and records it for the next launch.
/// Prints nothing.
pub fn next_command(env: &Environ<'_>, value: &OsStr) -> Result<String> {
    let choice = parse_spec(value.as_bytes(), Origin::Next)?;
    required(env, "--next")?
        .set_next(&choice.spec)
        .map_err(refused("record --next"))?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_requests() {
        assert_eq!(
            ModeRequest::parse(OsStr::new("integrated")).unwrap(),
            ModeRequest::Set(Mode::Integrated)
        );
        assert_eq!(
            ModeRequest::parse(OsStr::new("toggle")).unwrap(),
            ModeRequest::Toggle
        );
        assert!(ModeRequest::parse(OsStr::new("performance")).is_err());
    }
}
