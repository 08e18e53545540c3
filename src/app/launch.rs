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
/// config files and `GPU_LAUNCH_GPU` (the session state's warnings join
/// later, through [`Standing::add`]), with a warning for each piece that was
/// ignored.
#[derive(Debug)]
pub struct Standing {
    pub config: Config,
    /// `GPU_LAUNCH_GPU`, when set and valid.
    pub env_choice: Option<Choice>,
    pub warnings: Vec<String>,
    /// What makes a warning an error: `--strict`, or `strict = true in FILE`
    /// (a config file that is itself valid); `None` when nothing does.
    pub strict: Option<String>,
}

impl Standing {
    /// Adds warnings about more standing state (the session's): under
    /// strict, the first is an error instead.
    pub fn add(&mut self, warnings: &[String]) -> Result<()> {
        if let (Some(by), Some(warning)) = (&self.strict, warnings.first()) {
            return Err(Error::Strict {
                warning: warning.clone(),
                by: by.clone(),
            });
        }
        self.warnings.extend(warnings.iter().cloned());
        Ok(())
    }
}

/// Reads the standing state: the config files and `GPU_LAUNCH_GPU`.
/// Errors: an explicit `--config FILE` that cannot be used, and under
/// `--strict` (or `strict = true`) any warning. Sets the `notify` level for
/// the rest of the run.
pub fn standing(ctx: &Context<'_>, cli: &Cli<'_>) -> Result<Standing> {
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
    let strict = if cli.strict {
        Some("--strict".to_owned())
    } else {
        config
            .strict
            .as_ref()
            .map(|f| format!("strict = true in {}", f.display()))
    };
    let mut standing = Standing {
        config,
        env_choice,
        warnings: Vec::new(),
        strict,
    };
    standing.add(&warnings)?;
    Ok(standing)
}

/// Builds the plan for a launch, `--dry-run` or `--print-env` (everything but
/// resolving PROGRAM) from the standing state and the session read for it
/// ([`state::for_launch`]). The session's warnings join the standing ones
/// (125 under strict); the plan's notes start with them all.
///
/// When `--gpu` or `GPU_LAUNCH_GPU` made the choice, the session was not
/// read; the mode alone is read here, and only when it can change the plan:
/// mode `integrated` hides NVIDIA from a launch on the default GPU too.
pub fn make_plan<'a>(
    ctx: &Context<'_>,
    cli: &Cli<'a>,
    mut standing: Standing,
    session: &Session,
    identify: Identify<'_>,
) -> Result<(Machine, Plan<'a>)> {
    standing.add(&session.warnings)?;
    let decided = cli.gpu.is_some() || standing.env_choice.is_some();
    let apps = program::app_names(cli.program);
    let choice = plan::choose(
        cli.gpu,
        standing.env_choice.take(),
        session,
        &standing.config,
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
    let target = plan::target(&machine, &choice, &ids, standing.strict.is_some())?;
    let integrated = if decided && plan::integrated_matters(&machine, target.gpu) {
        match state::integrated(ctx.env, || power::read(&ctx.sysfs)) {
            Ok(integrated) => integrated,
            Err(warning) => {
                standing.add(&[warning])?;
                false
            }
        }
    } else {
        session.integrated
    };
    let mut plan = plan::build(
        &machine,
        target,
        ctx.env,
        &standing.config,
        cli.program,
        integrated,
    );
    plan.notes.splice(0..0, standing.warnings);
    Ok((machine, plan))
}

/// Runs `action` (a launch, `--dry-run` or `--print-env`); a launch that
/// succeeds does not return.
///
/// The order: the standing state (config, `GPU_LAUNCH_GPU`: an explicit
/// `--config` that cannot be used, or a warning under strict, is 125 before
/// anything else); for a launch, PROGRAM (126, 127); then the session state,
/// a launch claiming a pending `--next`; the plan; exec. A launch that does
/// not exec puts a claimed `--next` back (the claim's `Drop`), so 125, 126
/// and 127 all leave it pending.
pub fn launch(
    ctx: &Context<'_>,
    cli: &Cli<'_>,
    action: Action,
    identify: Identify<'_>,
) -> Result<ExitStatus> {
    let syntax = output::Syntax::from_arg(cli.shell)?;
    let standing = standing(ctx, cli)?;
    // `--gpu` / a `GPU_LAUNCH_GPU` that parses decide before the session
    // state: then it is not read here (a GPU_LAUNCH_GPU that does not parse
    // is ignored: it decides nothing). The power supplies are read only in
    // mode `auto`.
    let decided = cli.gpu.is_some() || standing.env_choice.is_some();
    let resolved = match action {
        Action::Launch => Some(resolve(ctx, cli)?),
        _ => None,
    };
    let state = state::for_launch(ctx.env, decided, action == Action::Launch, || {
        power::read(&ctx.sysfs)
    });
    let (machine, mut plan) = make_plan(ctx, cli, standing, &state.session, identify)?;
    if action == Action::PrintEnv {
        if cli.json {
            return print(&output::print_env_json(&machine, &plan, &[]));
        }
        for n in &plan.notes {
            log::note(n);
        }
        return print(&output::print_env(&plan, syntax));
    }
    if action == Action::DryRun {
        // The plan, even for a PROGRAM that cannot run (`program` null and
        // a note), then the status the launch would give (126, 127).
        let program = OsStr::from_bytes(cli.program[0].to_bytes());
        let runnable =
            resolve(ctx, cli).and_then(|p| exec::check_runnable(&p, program).map(|()| p));
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
    plan.program = resolved;
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
