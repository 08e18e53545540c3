//! The launch plan: which GPU, which variables to set and remove, which argv.
//!
//! Plain data built by pure functions: `--dry-run` prints it, exec consumes
//! it, tests assert it.

use std::borrow::Cow;
use std::ffi::{CStr, CString, OsStr};
use std::path::PathBuf;

use crate::config::Config;
use crate::decide::chromium;
use crate::decide::select::{self, Identity};
use crate::decide::spec::{Choice, Origin, Spec, parse_spec};
use crate::detect::Machine;
use crate::error::{Error, Result};
use crate::os::environ::Environ;

/// Every variable that steers GPU selection. Those the plan does not set and
/// the caller has are removed, so gpu-launch alone decides.
pub const SELECTION_VARS: [&str; 8] = [
    "DRI_PRIME",
    "MESA_VK_DEVICE_SELECT",
    "__NV_PRIME_RENDER_OFFLOAD",
    "__NV_PRIME_RENDER_OFFLOAD_PROVIDER",
    "__GLX_VENDOR_LIBRARY_NAME",
    "__VK_LAYER_NV_optimus",
    "VK_LOADER_DRIVERS_SELECT",
    "VK_LOADER_DRIVERS_DISABLE",
];

/// Session state that takes part in the choice (`--mode`, `--next`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub integrated: bool,
    pub next: Option<Spec>,
    /// Why the session state is ignored (it is unusable), when it is: then
    /// the two fields above are the defaults, and the plan says why.
    pub unusable: Option<String>,
}

/// The SPEC in force: `--gpu`, `GPU_LAUNCH_GPU`, `--next`, mode `integrated`,
/// `[apps.NAME]`, top-level `gpu`, `auto`, first wins. `app` is the name
/// `[apps.NAME]` is looked up by.
pub fn choose(
    flag: Option<&OsStr>,
    env_spec: Option<&[u8]>,
    session: &Session,
    config: &Config,
    apps: &[&str],
) -> Result<Choice> {
    use std::os::unix::ffi::OsStrExt;
    if let Some(flag) = flag {
        return parse_spec(flag.as_bytes(), Origin::Flag);
    }
    if let Some(env) = env_spec {
        return parse_spec(env, Origin::Env);
    }
    if let Some(next) = &session.next {
        return Ok(Choice {
            spec: next.clone(),
            origin: Origin::Next,
        });
    }
    if session.integrated {
        return Ok(Choice {
            spec: Spec::Default,
            origin: Origin::IntegratedMode,
        });
    }
    if let Some(entry) = apps.iter().find_map(|a| config.apps.get(*a)) {
        return Ok(Choice {
            spec: entry.spec.clone(),
            origin: Origin::Config(entry.origin.clone()),
        });
    }
    if let Some(entry) = &config.gpu {
        return Ok(Choice {
            spec: entry.spec.clone(),
            origin: Origin::Config(entry.origin.clone()),
        });
    }
    Ok(Choice {
        spec: Spec::Auto,
        origin: Origin::Auto,
    })
}

/// The GPU chosen for a launch, after any fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Index into `machine.gpus`; `None` only on a machine without GPUs.
    pub gpu: Option<usize>,
    pub notes: Vec<String>,
}

/// Applies `choice` to `machine`: the matching GPU, else the default GPU with
/// a note, or `Error::NoMatch` when `strict`.
pub fn target(
    machine: &Machine,
    choice: &Choice,
    ids: &[Identity],
    strict: bool,
) -> Result<Target> {
    let mut notes = Vec::new();
    if machine.gpus.is_empty() {
        if strict && !matches!(choice.spec, Spec::Auto | Spec::Default) {
            return Err(no_match(choice));
        }
        notes.push("no GPU found; the environment is left as it is".to_owned());
        return Ok(Target { gpu: None, notes });
    }
    match select::select(machine, &choice.spec, ids) {
        Some(i) => {
            tracing::debug!(spec = %choice.spec, origin = %choice.origin, gpu = %machine.gpus[i].describe(), "selected");
            Ok(Target {
                gpu: Some(i),
                notes,
            })
        }
        None if strict => Err(no_match(choice)),
        None => {
            let nvidia_unidentified = machine.gpus.iter().enumerate().any(|(i, g)| {
                g.driver_is("nvidia") && ids.get(i).is_none_or(|id| id.uuid.is_none())
            });
            let why = match &choice.spec {
                Spec::Uuid(_) | Spec::Name(_) if nvidia_unidentified => {
                    " (NVML did not identify every NVIDIA GPU: its library is missing, or a GPU \
                     is asleep and only --wake (--list, --status, --doctor) wakes it)"
                }
                Spec::Name(_) if ids.iter().all(|i| i.name.is_none()) => {
                    " (GPU names are unknown: no pci.ids database)"
                }
                _ => "",
            };
            notes.push(format!(
                "no GPU matches '{}' (from {}){why}; using the default GPU {}",
                choice.spec,
                choice.origin,
                machine.gpus[0].describe()
            ));
            Ok(Target {
                gpu: Some(0),
                notes,
            })
        }
    }
}

fn no_match(choice: &Choice) -> Error {
    Error::NoMatch {
        spec: choice.spec.to_string(),
        origin: choice.origin.to_string(),
    }
}

/// The environment changes for a launch on `gpu`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvChanges {
    pub set: Vec<(&'static str, String)>,
    pub unset: Vec<&'static str>,
    pub notes: Vec<String>,
}

/// What the chosen GPU's driver needs (see README, "What gets set").
pub fn env_changes(machine: &Machine, gpu: Option<usize>, env: &Environ<'_>) -> EnvChanges {
    let mut out = EnvChanges::default();
    let Some(index) = gpu else {
        // No GPU at all: leave the environment as it is.
        return out;
    };
    let chosen = &machine.gpus[index];
    if index != 0 {
        if chosen.driver_is("nvidia") {
            out.set.push(("__NV_PRIME_RENDER_OFFLOAD", "1".into()));
            out.set.push(("__GLX_VENDOR_LIBRARY_NAME", "nvidia".into()));
            out.set
                .push(("__VK_LAYER_NV_optimus", "NVIDIA_only".into()));
            let nvidia: Vec<usize> = (1..machine.gpus.len())
                .filter(|&i| machine.gpus[i].driver_is("nvidia"))
                .collect();
            if nvidia.len() > 1 {
                // Non-default NVIDIA GPUs in PCI order = --list order after 0.
                let k = nvidia.iter().position(|&i| i == index).unwrap_or(0);
                out.set
                    .push(("__NV_PRIME_RENDER_OFFLOAD_PROVIDER", format!("NVIDIA-G{k}")));
            }
        } else {
            let tag = chosen
                .pci
                .map(|p| p.mesa_tag())
                .or_else(|| chosen.platform_tag.clone());
            match tag {
                Some(tag) => out.set.push(("DRI_PRIME", tag)),
                None => out.notes.push(format!(
                    "{} has neither a PCI address nor a device-tree name, so DRI_PRIME cannot name it; \
                     nothing selects it",
                    chosen.describe()
                )),
            }
            if machine.gpus[0].driver_is("nvidia") {
                out.set.push(("__GLX_VENDOR_LIBRARY_NAME", "mesa".into()));
            }
        }
    }
    out.unset = SELECTION_VARS
        .iter()
        .copied()
        .filter(|v| env.contains(v) && !out.set.iter().any(|(k, _)| k == v))
        .collect();
    out
}

/// Everything a launch will do.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The absolute path that will be exec'd (`None` for `--print-env`).
    pub program: Option<PathBuf>,
    /// Exactly what PROGRAM gets, `argv[0]` as the user wrote it.
    pub argv: Vec<Cow<'a, CStr>>,
    pub gpu: Option<usize>,
    /// True when the plan sends PROGRAM to a GPU other than the default.
    pub offload: bool,
    pub set: Vec<(&'static str, String)>,
    pub unset: Vec<&'static str>,
    pub notes: Vec<String>,
}

/// Builds the plan from the parts (`program` is PROGRAM and its arguments).
pub fn build<'a>(
    machine: &Machine,
    target: Target,
    env: &Environ<'_>,
    config: &Config,
    program: &'a [&'a CStr],
) -> Plan<'a> {
    let changes = env_changes(machine, target.gpu, env);
    let offload = target.gpu.is_some_and(|i| i != 0);
    let mut argv: Vec<Cow<'a, CStr>> = program.iter().map(|a| Cow::Borrowed(*a)).collect();
    if offload && config.chromium_enable {
        let node = target.gpu.and_then(|i| machine.gpus[i].render_node());
        if let Some(node) = node {
            let bytes: Vec<&[u8]> = program.iter().map(|a| a.to_bytes()).collect();
            let programs: Vec<&str> = match &config.chromium_programs {
                Some(list) => list.iter().map(String::as_str).collect(),
                None => chromium::BUILTIN_PROGRAMS.to_vec(),
            };
            if let Some(at) = chromium::insertion_point(&bytes, &programs) {
                let flag = format!("{}={node}", chromium::FLAG);
                if let Ok(flag) = CString::new(flag) {
                    argv.insert(at, Cow::Owned(flag));
                }
            }
        }
    }
    let mut notes = target.notes;
    notes.extend(changes.notes);
    Plan {
        program: None,
        argv,
        gpu: target.gpu,
        offload,
        set: changes.set,
        unset: changes.unset,
        notes,
    }
}
