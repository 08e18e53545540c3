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
use crate::config;
use crate::decide::plan::{self, Plan, Session};
use crate::decide::program;
use crate::decide::select::{self, Identity};
use crate::decide::spec::{Origin, parse_spec};
use crate::detect::Machine;
use crate::error::{Error, ExitStatus, Result};
use crate::log;
use crate::os::exec;
use crate::session::state;

/// Where names and UUIDs come from for the SPECs that match on them (NVML
/// and pci.ids, in `details`): called only for those SPECs.
pub type Identify<'f> = &'f dyn Fn(&Context<'_>, &Machine) -> Vec<Identity>;

/// Builds the plan for a launch, `--dry-run` or `--print-env` (everything but
/// resolving PROGRAM).
pub fn make_plan<'a>(
    ctx: &Context<'_>,
    cli: &Cli<'a>,
    session: &Session,
    identify: Identify<'_>,
) -> Result<(Machine, Plan<'a>)> {
    let config = config::load(&config::Search::new(cli.config, ctx.env))?;
    let strict = cli.strict || config.strict;
    if let (Some(why), true) = (&session.unusable, strict) {
        return Err(Error::StrictState(why.clone()));
    }
    let apps = program::app_names(cli.program);
    let choice = plan::choose(
        cli.gpu,
        ctx.env.get_nonempty("GPU_LAUNCH_GPU"),
        session,
        &config,
        &apps,
    )?;
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
    let mut plan = plan::build(&machine, target, ctx.env, &config, cli.program);
    if let Some(why) = &session.unusable {
        plan.notes.insert(0, state::ignored(why));
    }
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
    // not read at all. Only a real launch claims a pending `--next`, and
    // only once it has found PROGRAM: one that cannot run (126, 127) leaves
    // it in place, and so does a launch that fails later (the claim puts it
    // back when dropped; a successful exec never drops it).
    let decided = cli.gpu.is_some()
        || ctx
            .env
            .get_nonempty("GPU_LAUNCH_GPU")
            .is_some_and(|v| parse_spec(v, Origin::Env).is_ok());
    let resolved = match action {
        Action::Launch => Some(resolve(ctx, cli)?),
        _ => None,
    };
    let state = state::for_launch(ctx.env, decided, action == Action::Launch);
    let (machine, mut plan) = make_plan(ctx, cli, &state.session, identify)?;
    if action == Action::PrintEnv {
        if cli.json {
            return print(&output::print_env_json(&machine, &plan, &[]));
        }
        for n in &plan.notes {
            log::note(n);
        }
        return print(&output::print_env_sh(&plan));
    }
    plan.program = Some(match resolved {
        Some(program) => program,
        None => resolve(ctx, cli)?,
    });
    if action == Action::DryRun {
        return if cli.json {
            print(&output::dry_run_json(&machine, &plan, &[]))
        } else {
            print(&output::dry_run_text(&machine, &plan))
        };
    }
    log::warn(&plan.notes);
    let failed = exec::exec(&plan, ctx.env);
    // Still here: the exec failed, and a claimed `--next` goes back.
    drop(state);
    Err(failed)
}

/// PROGRAM's path, as exec will run it (126, 127 when it cannot).
fn resolve(ctx: &Context<'_>, cli: &Cli<'_>) -> Result<std::path::PathBuf> {
    let program = OsStr::from_bytes(cli.program[0].to_bytes());
    exec::resolve(program, ctx.env.get("PATH"))
}
