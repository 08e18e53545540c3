//! `--doctor`: the checks a user would otherwise piece together from forum
//! posts, each with a verdict (`ok`, `warn`, `fail`), what was found, and a
//! one-line hint. Never on a launch.
//!
//! Two steps: [`read`] gathers the facts (everything is read, never
//! changed; render nodes are looked at, never opened; NVML and the DRM
//! ioctl run only through [`details::gather`], which keeps suspended GPUs
//! asleep unless `--wake`), then [`judge`] turns them into checks with pure
//! functions that tests call with hand-built facts.
//!
//! Files outside sysfs are looked up under [`read::DATA_ROOT_VAR`] (`/`
//! when unset), so tests build a fake `/usr`, `/etc`, `/run` and `/dev` in a
//! temporary directory. On a fake machine (`GPU_LAUNCH_SYSFS_ROOT`) without
//! it, render nodes are not checked at all and the hints are not NixOS's.
//!
//! The hints name what to do on this system: on NixOS (`/etc/NIXOS`, or
//! `ID=nixos` in os-release) the options of configuration.nix, elsewhere
//! Debian's and Arch's packages and the files in /etc.

pub mod judge;
pub mod offload;
pub mod read;

use std::fmt::Write as _;

use serde::Serialize;

use crate::app::Context;
use crate::cli::Cli;
use crate::details;
use crate::error::ExitStatus;

/// How a check came out. Ordered: the worst verdict is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One check: `name` identifies it (`render_node:renderD129`), `detail` says
/// what was found, `hint` what to do (empty when there is nothing to do).
/// JSON: `{"name", "status", "detail", "hint"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    #[serde(rename = "status")]
    pub verdict: Verdict,
    pub detail: String,
    pub hint: String,
}

impl Check {
    pub fn new(name: impl Into<String>, verdict: Verdict, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            verdict,
            detail: detail.into(),
            hint: String::new(),
        }
    }

    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, Verdict::Ok, detail)
    }

    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check::new(name, Verdict::Warn, detail).hint(hint)
    }

    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Check::new(name, Verdict::Fail, detail).hint(hint)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}

/// Runs every check; the text (or JSON) to print and the exit status
/// (`CheckFailed` when a check failed).
pub fn run(ctx: &Context<'_>, cli: &Cli<'_>) -> (String, ExitStatus) {
    crate::log::init(cli.verbose, ctx.env.get_nonempty("GPU_LAUNCH_LOG"));
    let machine = ctx.detect();
    let gathered = details::gather(ctx, &machine, cli.wake);
    let facts = read::read(ctx, cli.config, &machine);
    let checks = judge::checks(&machine, &gathered, &facts);
    let failed = checks.iter().any(|c| c.verdict == Verdict::Fail);
    let out = if cli.json {
        json(&checks)
    } else {
        text(&checks)
    };
    let status = if failed {
        ExitStatus::CheckFailed
    } else {
        ExitStatus::Success
    };
    (out, status)
}

/// `{"checks": [...]}`.
pub fn json(checks: &[Check]) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        checks: &'a [Check],
    }
    crate::app::output::json_line(&Doc { checks })
}

/// One line per check, its hint indented below, a summary last.
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(out, "{:<5} {}: {}", c.verdict.as_str(), c.name, c.detail);
        if !c.hint.is_empty() {
            let _ = writeln!(out, "      hint: {}", c.hint);
        }
    }
    let count = |v| checks.iter().filter(|c| c.verdict == v).count();
    let _ = writeln!(
        out,
        "{} fail, {} warn, {} ok",
        count(Verdict::Fail),
        count(Verdict::Warn),
        count(Verdict::Ok)
    );
    out
}
