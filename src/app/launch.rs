//! A launch, `--dry-run` and `--print-env`: the stages of the pipeline in
//! order, then exec (or print the plan).
//!
//! What it must never do: import `details`, `doctor`, `desktop` or the
//! renderers of `cli::render` (tests/layout.rs checks). The `GPU-<uuid>` and
//! `name:<text>` SPECs need NVML's identities: they come in through the
//! [`Identify`] hook the dispatcher passes, so this file never names NVML.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use super::output;
use super::{Context, print};
use crate::cli::{Action, Cli};
use crate::config::{self, Config};
use crate::decide::plan::{self, Plan, Session};
use crate::decide::program;
use crate::decide::select::{self, Identity};
use crate::decide::spec::Choice;
use crate::detect::Machine;
use crate::error::{Error, ExitStatus, Result};
use crate::log;
use crate::os::exec;
use crate::session::{power, state};

/// Where names and UUIDs come from for the SPECs that match on them (NVML
/// and pci.ids, in `details`): called only for those SPECs.
pub type Identify<'f> = &'f dyn Fn(&Context<'_>, &Machine) -> Vec<Identity>;

/// The standing state (README, "A broken file never stops a launch"): the
/// config files, `GPU_LAUNCH_GPU` and the session, with a warning for each
/// piece that was ignored.
#[derive(Debug)]
pub struct Standing {
    pub config: Config,
    /// `GPU_LAUNCH_GPU`, when set and valid.
    pub env_choice: Option<Choice>,
    pub warnings: Vec<String>,
    /// `--strict`, or `strict = true` in a config file that is itself valid.
    pub strict: bool,
}

/// Reads the standing state. Errors: an explicit `--config FILE` that
/// cannot be used, and under `--strict` (or `strict = true`) any warning.
/// Sets the `notify` level for the rest of the run.
pub fn standing(ctx: &Context<'_>, cli: &Cli<'_>, session: &Session) -> Result<Standing> {
    let loaded = config::load(&config::Search::new(cli.config, ctx.env))?;
    let config = loaded.config;
    log::set_notify(config.notify);
    let mut warnings = loaded.warnings;
    let env_choice = match plan::env_choice(ctx.env) {
        Some(Ok(choice)) => Some(choice),
        Some(Err(why)) => {
            warnings.push(why);
            None
        }
        None => None,
    };
    warnings.extend(session.warnings.iter().cloned());
    let by = if cli.strict {
        Some("--strict".to_owned())
    } else {
        config
            .strict
            .as_ref()
            .map(|f| format!("strict = true in {}", f.display()))
    };
    if let (Some(by), Some(warning)) = (by.as_ref(), warnings.first()) {
        return Err(Error::Strict {
            warning: warning.clone(),
            by: by.clone(),
        });
    }
    Ok(Standing {
        strict: by.is_some(),
        config,
        env_choice,
        warnings,
    })
}

/// Builds the plan for a launch, `--dry-run` or `--print-env` (everything but
/// resolving PROGRAM). Its notes start with the standing state's warnings.
pub fn make_plan<'a>(
    ctx: &Context<'_>,
    cli: &Cli<'a>,
    session: &Session,
    identify: Identify<'_>,
) -> Result<(Machine, Plan<'a>)> {
    let Standing {
        config,
        env_choice,
        warnings,
        strict,
    } = standing(ctx, cli, session)?;
    let apps = program::app_names(cli.program);
    let choice = plan::choose(cli.gpu, env_choice, session, &config, &apps)?;
    // Identities come from NVML, which must not run on a suspended GPU: their
    // SPECs need the power status even on a launch.
    let needs_identity = select::needs_identity(&choice.spec);
    let machine = ctx.detect_with(ctx.read_power || needs_identity);
    let ids = if needs_identity {
        identify(ctx, &machine)
    } else {
        Vec::new()
    };
    let target = plan::target(&machine, &choice, &ids, strict)?;
    let mut plan = plan::build(
        &machine,
        target,
        ctx.env,
        &config,
        cli.program,
        session.integrated,
    );
    plan.notes.splice(0..0, warnings);
    Ok((machine, plan))
}

/// Runs `action` (a launch, `--dry-run` or `--print-env`); a launch that
/// succeeds does not return.
pub fn launch(
    ctx: &Context<'_>,
    cli: &Cli<'_>,
    action: Action,
    identify: Identify<'_>,
) -> Result<ExitStatus> {
    // `--gpu` / `GPU_LAUNCH_GPU` decide before the session state: then it is
    // not read at all; only a real launch consumes a pending `--next`; the
    // power supplies are read only in mode `auto`. (A GPU_LAUNCH_GPU that
    // does not parse is ignored: it decides nothing.)
    let syntax = output::Syntax::from_arg(cli.shell)?;
    let decided = cli.gpu.is_some() || matches!(plan::env_choice(ctx.env), Some(Ok(_)));
    let session = state::session(ctx.env, decided, action == Action::Launch, || {
        power::read(&ctx.sysfs)
    })?;
    let (machine, mut plan) = make_plan(ctx, cli, &session, identify)?;
    if action == Action::PrintEnv {
        if cli.json {
            return print(&output::print_env_json(&machine, &plan, &[]));
        }
        for n in &plan.notes {
            log::note(n);
        }
        return print(&output::print_env(&plan, syntax));
    }
    let program = OsStr::from_bytes(cli.program[0].to_bytes());
    let resolved = exec::resolve(program, ctx.env.get("PATH"));
    if action == Action::DryRun {
        // The plan, even for a PROGRAM that cannot run (`program` null and
        // a note), then the status the launch would give (126, 127).
        let runnable = resolved.and_then(|p| exec::check_runnable(&p, program).map(|()| p));
        let failed = match runnable {
            Ok(p) => {
                plan.program = Some(p);
                None
            }
            Err(e) => {
                plan.notes.push(e.to_string());
                Some(e)
            }
        };
        if cli.json {
            print(&output::dry_run_json(&machine, &plan, &[]))?;
        } else {
            print(&output::dry_run_text(&machine, &plan))?;
        }
        return failed.map_or(Ok(ExitStatus::Success), Err);
    }
    plan.program = Some(resolved?);
    log::warn(&plan.notes);
    Err(exec::exec(&plan, ctx.env))
}
