//! The session's mode (`--mode`) and the one-shot `--next`, as commands:
//! parse what the user asked, then read or write the state through
//! [`StateDir`].
//!
//! Mode `auto` stands for `integrated` on battery and `hybrid` on external
//! power ([`crate::session::power`]); [`Mode::in_force`] says which, reading
//! the power supplies only for `auto`. `--mode toggle` flips the mode in
//! force to the other explicit one (`auto` on battery becomes `hybrid`), so
//! a click always changes what the next launch does.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::decide::spec::{Origin, parse_spec};
use crate::error::{Error, Result};
use crate::os::environ::Environ;
use crate::session::power::PowerSource;
use crate::session::state::{StateDir, peek};

/// The session's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The precedence rules as they are (the default).
    #[default]
    Hybrid,
    /// Battery first: everything below `--next` goes to the default GPU.
    Integrated,
    /// `integrated` on battery, `hybrid` on external power.
    Auto,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Hybrid => "hybrid",
            Mode::Integrated => "integrated",
            Mode::Auto => "auto",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "hybrid" => Some(Mode::Hybrid),
            "integrated" => Some(Mode::Integrated),
            "auto" => Some(Mode::Auto),
            _ => None,
        }
    }

    /// The mode in force: `power` is asked only for `auto`.
    pub fn in_force(self, power: impl FnOnce() -> PowerSource) -> InForce {
        match self {
            Mode::Auto => {
                let source = power();
                InForce {
                    set: Mode::Auto,
                    mode: source.mode(),
                    source: Some(source),
                }
            }
            mode => InForce::explicit(mode),
        }
    }
}

/// The mode a launch follows now (`hybrid` or `integrated`), the mode set,
/// and, under `auto`, the power source that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    pub set: Mode,
    /// Never [`Mode::Auto`].
    pub mode: Mode,
    pub source: Option<PowerSource>,
}

impl InForce {
    /// An explicit mode (`auto` counts as `hybrid` here: use
    /// [`Mode::in_force`] for it).
    pub fn explicit(mode: Mode) -> InForce {
        let mode = if mode == Mode::Auto {
            Mode::Hybrid
        } else {
            mode
        };
        InForce {
            set: mode,
            mode,
            source: None,
        }
    }

    pub fn integrated(&self) -> bool {
        self.mode == Mode::Integrated
    }

    /// Why, in words (`on battery`), under `auto`.
    pub fn reason(&self) -> Option<&'static str> {
        self.source.map(PowerSource::reason)
    }

    /// `hybrid`, or `auto: integrated (on battery)`.
    pub fn describe(&self) -> String {
        match self.reason() {
            Some(why) => format!("{}: {} ({why})", self.set.as_str(), self.mode.as_str()),
            None => self.mode.as_str().to_owned(),
        }
    }

    /// What `--mode toggle` sets: the other explicit mode.
    pub fn toggled(&self) -> Mode {
        match self.mode {
            Mode::Integrated => Mode::Hybrid,
            _ => Mode::Integrated,
        }
    }
}

/// What `--mode VALUE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeRequest {
    Set(Mode),
    /// An extension for waybar's `on-click`: flip the mode in force to the
    /// other explicit one.
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
                "invalid mode '{}' (expected integrated, hybrid, auto or toggle)",
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

/// `--mode [VALUE]`: prints the mode in force (`auto: integrated (on
/// battery)` under `auto`), or sets it. `power` reads the power source (only
/// for `auto`). Returns what to print.
///
/// Showing it is a query: unusable state is a warning on stderr only (like
/// `--status`, it may be polled: no journal entry, no notification) and
/// `hybrid`, or an error under `strict`; setting it with unusable state is an
/// error.
pub fn mode_command(
    env: &Environ<'_>,
    value: Option<&OsStr>,
    strict: bool,
    power: impl FnOnce() -> PowerSource,
) -> Result<String> {
    let Some(value) = value else {
        let (state, warning) = peek(env, strict)?;
        if let Some(warning) = warning {
            crate::log::warning_here(&warning);
        }
        return Ok(format!("{}\n", state.mode.in_force(power).describe()));
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
            let mode = dir.mode().map_err(refused(what))?.in_force(power).toggled();
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
        assert_eq!(
            ModeRequest::parse(OsStr::new("auto")).unwrap(),
            ModeRequest::Set(Mode::Auto)
        );
        assert!(ModeRequest::parse(OsStr::new("performance")).is_err());
    }

    #[test]
    fn auto_stands_for_the_mode_its_power_source_chooses() {
        let battery = Mode::Auto.in_force(|| PowerSource::Battery);
        assert_eq!(battery.mode, Mode::Integrated);
        assert_eq!(battery.describe(), "auto: integrated (on battery)");
        assert_eq!(battery.toggled(), Mode::Hybrid);
        let ac = Mode::Auto.in_force(|| PowerSource::External);
        assert_eq!(ac.describe(), "auto: hybrid (on external power)");
        assert_eq!(ac.toggled(), Mode::Integrated);
        let explicit = Mode::Integrated.in_force(|| unreachable!("read only for auto"));
        assert_eq!(explicit.describe(), "integrated");
        assert_eq!(explicit.toggled(), Mode::Hybrid);
        assert_eq!(Mode::parse(Mode::Auto.as_str()), Some(Mode::Auto));
    }
}
