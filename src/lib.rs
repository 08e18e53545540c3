//! gpu-launch: run a program on the right GPU.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! argv -> cli::parse (pure) -> config::load -> detect::detect (sysfs, read once)
//!      -> plan::choose + select::select (pure) -> plan::build (data) -> exec::exec
//! ```
//!
//! `main.rs` only hands the process's argv and environment to [`main`]. All
//! logic lives here so tests and benches call it in-process.
#![deny(unsafe_code)]

pub mod amd_apu;
pub mod atomic;
pub mod chromium;
pub mod cli;
pub mod config;
pub mod desktop;
pub mod details;
pub mod detect;
pub mod doctor;
pub mod drm_ioctl;
pub mod environ;
pub mod error;
pub mod exec;
pub mod files;
pub mod journal;
pub mod log;
pub mod nvml;
pub mod output;
pub mod packaging;
pub mod pci;
pub mod pci_ids;
pub mod plan;
pub mod select;
pub mod spec;
pub mod state;
pub mod status;
pub mod sys;
pub mod sysfs;

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use cli::{Action, Cli};
use environ::Environ;
use error::{Error, ExitStatus, Result};
use plan::{Plan, Session};
use sysfs::Sysfs;

/// The sysfs root unless `GPU_LAUNCH_SYSFS_ROOT` says otherwise.
pub const SYSFS_ROOT: &str = "/sys";

/// What a run looks at besides its arguments: the environment and the sysfs
/// tree (the real one or a fixture machine's).
#[derive(Debug)]
pub struct Context<'e> {
    pub env: &'e Environ<'e>,
    pub sysfs: Sysfs,
    /// True when `GPU_LAUNCH_SYSFS_ROOT` is set: then no `/dev` node is opened
    /// or followed and NVML only loads from `GPU_LAUNCH_NVML_LIBRARY`, so real
    /// hardware never mixes into a fake machine.
    pub fixture: bool,
    /// Read each GPU's `power/runtime_status` (everything but a plain launch,
    /// which never shows it).
    pub read_power: bool,
}

impl<'e> Context<'e> {
    pub fn new(env: &'e Environ<'e>) -> Self {
        match env.get_nonempty("GPU_LAUNCH_SYSFS_ROOT") {
            Some(root) => Context {
                env,
                sysfs: Sysfs::new(OsStr::from_bytes(root)),
                fixture: true,
                read_power: true,
            },
            None => Context {
                env,
                sysfs: Sysfs::new(SYSFS_ROOT),
                fixture: false,
                read_power: true,
            },
        }
    }

    /// Reads the machine (sysfs only).
    pub fn detect(&self) -> detect::Machine {
        self.detect_with(self.read_power)
    }

    /// Reads the machine, with or without the GPUs' runtime power status.
    pub fn detect_with(&self, read_power: bool) -> detect::Machine {
        let compositor = detect::COMPOSITOR_VARS.map(|v| self.env.get_nonempty(v));
        detect::detect(
            &self.sysfs,
            &detect::Hints {
                compositor,
                follow_dev_links: !self.fixture,
                read_power,
            },
        )
    }
}

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
    let cli = cli::parse(args)?;
    let action = cli.action()?;
    match action {
        Action::Help => print(&cli::help_text()),
        Action::Version => print(&cli::version_text()),
        Action::Completions => print(&packaging::completions(
            cli.completions.unwrap_or_default(),
        )?),
        Action::Man => print(&packaging::man_page()?),
        Action::Launch | Action::DryRun | Action::PrintEnv | Action::List => {
            log::init(cli.verbose, env.get_nonempty("GPU_LAUNCH_LOG"));
            let mut ctx = Context::new(env);
            ctx.read_power = action != Action::Launch;
            if action == Action::List {
                return list(&ctx, &cli);
            }
            launch(&ctx, &cli, action)
        }
        // Session integration (README, "Session integration").
        Action::Status => {
            let ctx = Context::new(env);
            print(&status::command(&ctx, &cli, |m| {
                details::collect(&ctx, m, cli.wake)
            })?)
        }
        Action::Mode => print(&state::mode_command(env, cli.mode.flatten())?),
        Action::Next => print(&state::next_command(env, cli.next.unwrap_or_default())?),
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
    let why = match (nix::unistd::getresuid(), nix::unistd::getresgid()) {
        (Ok(u), _) if u.real != u.effective => {
            format!("real uid {} but effective uid {}", u.real, u.effective)
        }
        (_, Ok(g)) if g.real != g.effective => {
            format!("real gid {} but effective gid {}", g.real, g.effective)
        }
        _ => "started in secure mode (AT_SECURE: file capabilities)".into(),
    };
    Err(Error::Privileged(why))
}

fn print(text: &str) -> Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Other(format!("cannot write to stdout: {e}")))?;
    Ok(ExitStatus::Success)
}

fn list(ctx: &Context<'_>, cli: &Cli<'_>) -> Result<ExitStatus> {
    let machine = ctx.detect();
    let details = details::collect(ctx, &machine, cli.wake);
    if cli.json {
        print(&output::list_json(&machine, &details))
    } else {
        print(&output::list_text(&machine, &details))
    }
}

/// The names `[apps.NAME]` is looked up by: for `flatpak run ... APP-ID`, the
/// APP-ID first; then PROGRAM's basename.
pub fn app_names<'a>(program: &'a [&'a CStr]) -> Vec<&'a str> {
    let Some(first) = program.first() else {
        return Vec::new();
    };
    let bytes = first.to_bytes();
    let base = bytes.rsplit(|b| *b == b'/').next().unwrap_or(bytes);
    let mut names = Vec::with_capacity(2);
    if base == b"flatpak" {
        let argv: Vec<&[u8]> = program.iter().map(|a| a.to_bytes()).collect();
        if let Some(i) = chromium::flatpak_app_index(&argv) {
            let id = argv[i].split(|b| *b == b'/').next().unwrap_or(argv[i]);
            if let Ok(id) = std::str::from_utf8(id) {
                names.push(id);
            }
        }
    }
    if let Ok(base) = std::str::from_utf8(base) {
        names.push(base);
    }
    names
}

/// Builds the plan for a launch, `--dry-run` or `--print-env` (everything but
/// resolving PROGRAM).
pub fn make_plan<'a>(
    ctx: &Context<'_>,
    cli: &Cli<'a>,
    session: &Session,
) -> Result<(detect::Machine, Plan<'a>)> {
    let config = config::load(&config::Search::new(cli.config, ctx.env))?;
    let apps = app_names(cli.program);
    let choice = plan::choose(
        cli.gpu,
        ctx.env.get_nonempty("GPU_LAUNCH_GPU"),
        session,
        &config,
        &apps,
    )?;
    // Identities come from NVML, which must not run on a suspended GPU: their
    // SPECs need the power status even on a launch.
    let machine = ctx.detect_with(ctx.read_power || select::needs_identity(&choice.spec));
    // NVML and pci.ids only for the SPECs that match on names and UUIDs.
    let ids = if select::needs_identity(&choice.spec) {
        details::identities(ctx, &machine)
    } else {
        Vec::new()
    };
    let target = plan::target(&machine, &choice, &ids, cli.strict || config.strict)?;
    let plan = plan::build(&machine, target, ctx.env, &config, cli.program);
    Ok((machine, plan))
}

fn launch(ctx: &Context<'_>, cli: &Cli<'_>, action: Action) -> Result<ExitStatus> {
    // `--gpu` / `GPU_LAUNCH_GPU` decide before the session state: then it is
    // not read at all; only a real launch consumes a pending `--next`.
    let decided = cli.gpu.is_some() || ctx.env.get_nonempty("GPU_LAUNCH_GPU").is_some();
    let session = state::session(ctx.env, decided, action == Action::Launch)?;
    let (machine, mut plan) = make_plan(ctx, cli, &session)?;
    if action == Action::PrintEnv {
        if cli.json {
            return print(&output::print_env_json(&machine, &plan, &[]));
        }
        for n in &plan.notes {
            log::note(n);
        }
        return print(&output::print_env_sh(&plan));
    }
    let program = OsStr::from_bytes(cli.program[0].to_bytes());
    plan.program = Some(exec::resolve(program, ctx.env.get("PATH"))?);
    if action == Action::DryRun {
        return if cli.json {
            print(&output::dry_run_json(&machine, &plan, &[]))
        } else {
            print(&output::dry_run_text(&machine, &plan))
        };
    }
    log::warn(&plan.notes);
    Err(exec::exec(&plan, ctx.env))
}
