//! The application: [`main`] turns argv and the environment into an action
//! and runs it. Dispatch only; each action lives in its own module:
//! a launch, `--dry-run` and `--print-env` in [`launch`], the others in
//! `details`, `doctor`, `desktop`, `session` and `cli::render`.

mod context;
pub mod launch;
pub mod output;

use std::ffi::CStr;
use std::io::Write;

pub use context::{Context, SYSFS_ROOT};
pub use launch::make_plan;

use crate::cli::{self, Action, Cli, render};
use crate::error::{Error, ExitStatus, Result};
use crate::os::environ::Environ;
use crate::os::sys;
use crate::session::{holders, mode, power, status};
use crate::{desktop, details, doctor, log};

/// Runs gpu-launch with the process's arguments (`args[0]` is its own name)
/// and environment. Returns the exit status; a successful launch does not
/// return at all.
pub fn main(args: &[&CStr], env: &Environ<'_>) -> i32 {
    match run(args, env) {
        Ok(status) => status.into(),
        Err(e) => {
            report(&e);
            e.status().into()
        }
    }
}

/// Prints an error as the one line the contract promises (and sends it to
/// the journal when nobody watches stderr).
pub fn report(e: &Error) {
    log::error(&e.to_string());
}

fn run(args: &[&CStr], env: &Environ<'_>) -> Result<ExitStatus> {
    // First, before any variable is looked at: even the refusal must not
    // go to a socket the caller's environment names.
    refuse_privileged()?;
    log::set_journal_socket(env.get_nonempty("GPU_LAUNCH_JOURNAL_SOCKET"));
    log::set_session_bus(env.get_nonempty("DBUS_SESSION_BUS_ADDRESS"));
    let cli = cli::parse(args)?;
    let action = cli.action()?;
    match action {
        Action::Help => print(&render::help_text()),
        Action::Version => print(&render::version_text()),
        Action::Completions => print(&render::completions(cli.completions.unwrap_or_default())?),
        Action::Man => print(&render::man_page()?),
        Action::Launch | Action::DryRun | Action::PrintEnv | Action::List => {
            log::init(cli.verbose, env.get_nonempty("GPU_LAUNCH_LOG"));
            let mut ctx = Context::new(env);
            ctx.read_power = action != Action::Launch;
            if action == Action::List {
                return list(&ctx, &cli);
            }
            launch::launch(&ctx, &cli, action, &details::identities)
        }
        // Session integration (README, "Modes and `--next`").
        Action::Status => {
            let ctx = Context::new(env);
            print(&status::command(&ctx, &cli, |m| {
                details::collect(&ctx, m, cli.wake)
            })?)
        }
        Action::Mode => {
            let ctx = Context::new(env);
            print(&mode::mode_command(env, cli.mode, cli.strict, || {
                power::read(&ctx.sysfs)
            })?)
        }
        Action::Next => print(&mode::next_command(env, cli.next.unwrap_or_default())?),
        Action::InstallDesktop | Action::UninstallDesktop => print(&desktop::command(env, &cli)?),
        Action::Doctor => {
            let (report, status) = doctor::run(&Context::new(env), &cli);
            print(&report).map(|_| status)
        }
    }
}

/// Refuses to run setuid or setgid: an exec wrapper that sets the environment
/// with raised privileges would be a root shell for anyone.
fn refuse_privileged() -> Result<()> {
    // The kernel flags every exec whose effective ids differ from the real
    // ones; ask the ids themselves only to word the refusal.
    if !sys::secure_exec() {
        return Ok(());
    }
    let why = match (sys::resuid(), sys::resgid()) {
        ((real, effective, _), _) if real != effective => {
            format!("real uid {real} but effective uid {effective}")
        }
        (_, (real, effective, _)) if real != effective => {
            format!("real gid {real} but effective gid {effective}")
        }
        _ => "started in secure mode (AT_SECURE: file capabilities)".into(),
    };
    Err(Error::Privileged(why))
}

/// Writes `text` to stdout.
fn print(text: &str) -> Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Output {
            what: "to stdout",
            source,
        })?;
    Ok(ExitStatus::Success)
}

/// `--list [--json]`; the JSON names each GPU's holders. The standing
/// state's warnings (a skipped config file, a bad `GPU_LAUNCH_GPU`) are shown
/// as a launch would give them: on stderr beside the JSON array (which has no
/// place for them), as `note` lines after the table in the text.
fn list(ctx: &Context<'_>, cli: &Cli<'_>) -> Result<ExitStatus> {
    let standing = launch::standing(ctx, cli)?;
    let machine = ctx.detect();
    let details = details::collect(ctx, &machine, cli.wake);
    if cli.json {
        for w in &standing.warnings {
            log::warning_here(w);
        }
        let holders = holders::find(ctx, &machine, cli.wake);
        print(&output::list_json(&machine, &details, &holders))
    } else {
        let mut text = output::list_text(&machine, &details);
        for w in &standing.warnings {
            text.push_str(&format!("note: {}\n", log::one_line(w)));
        }
        print(&text)
    }
}
