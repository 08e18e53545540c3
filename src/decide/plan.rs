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

/// Every variable that steers GPU selection (the contract's "unset list").
/// Those the plan does not set and the caller has are removed, so gpu-launch
/// alone decides.
pub const SELECTION_VARS: [&str; 14] = [
    "DRI_PRIME",
    "MESA_VK_DEVICE_SELECT",
    "MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE",
    "NODEVICE_SELECT",
    "__NV_PRIME_RENDER_OFFLOAD",
    "__NV_PRIME_RENDER_OFFLOAD_PROVIDER",
    "__GLX_VENDOR_LIBRARY_NAME",
    "__VK_LAYER_NV_optimus",
    "VK_LOADER_DRIVERS_SELECT",
    "VK_LOADER_DRIVERS_DISABLE",
    "VK_LOADER_DEVICE_SELECT",
    "VK_LOADER_DEVICE_ID_FILTER",
    "VK_LOADER_VENDOR_ID_FILTER",
    "VK_LOADER_DRIVER_ID_FILTER",
];

/// Variables that replace the EGL or Vulkan driver list for every program.
/// gpu-launch never sets them (a file that is not there breaks EGL or Vulkan
/// for the program) and never removes them; when the caller has one, the plan
/// says so, because it can hide the chosen GPU's driver.
pub const DRIVER_LIST_VARS: [&str; 3] = [
    "VK_ICD_FILENAMES",
    "VK_DRIVER_FILES",
    "__EGL_VENDOR_LIBRARY_FILENAMES",
];

/// The Vulkan loader's driver filter that keeps NVIDIA's Vulkan driver from
/// loading (and waking its GPU); it matches manifest file names
/// (`nvidia_icd.json`), loader 1.3.234 or newer.
const HIDE_NVIDIA: (&str, &str) = ("VK_LOADER_DRIVERS_DISABLE", "*nvidia*");

/// Session state that takes part in the choice (`--mode`, `--next`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub integrated: bool,
    pub next: Option<Spec>,
    /// Why session state was ignored (unusable state is standing state: a
    /// warning, an error under `--strict`); then the two fields above are
    /// the defaults.
    pub warnings: Vec<String>,
}

/// `GPU_LAUNCH_GPU`, when set and non-empty: its SPEC, or, when it does not
/// parse, the warning that says it is ignored (it is standing state, which
/// never stops a launch; the choice goes on with the next source).
pub fn env_choice(env: &Environ<'_>) -> Option<std::result::Result<Choice, String>> {
    let value = env.get_nonempty("GPU_LAUNCH_GPU")?;
    Some(parse_spec(value, Origin::Env).map_err(|e| match e {
        Error::Spec { err, .. } => format!("GPU_LAUNCH_GPU is ignored: {err}"),
        e => format!("GPU_LAUNCH_GPU is ignored: {e}"),
    }))
}

/// The SPEC in force: `--gpu`, `GPU_LAUNCH_GPU` (as [`env_choice`] read
/// it), `--next`, mode `integrated`, `[apps.NAME]`, top-level `gpu`, `auto`,
/// first wins. `apps` are the names `[apps.NAME]` is looked up by.
pub fn choose(
    flag: Option<&OsStr>,
    env: Option<Choice>,
    session: &Session,
    config: &Config,
    apps: &[&str],
) -> Result<Choice> {
    use std::os::unix::ffi::OsStrExt;
    if let Some(flag) = flag {
        return parse_spec(flag.as_bytes(), Origin::Flag);
    }
    if let Some(env) = env {
        return Ok(env);
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

/// Whether the "hide NVIDIA" rule can apply to a launch on GPU `index`: it
/// is not nvidia-driven, and some GPU of the machine is.
fn hides_nvidia(machine: &Machine, index: usize) -> bool {
    !machine.gpus[index].driver_is("nvidia") && machine.gpus.iter().any(|g| g.driver_is("nvidia"))
}

/// Whether mode `integrated` changes the plan for a launch already decided
/// on GPU `gpu` (by `--gpu` or `GPU_LAUNCH_GPU`): only on the default GPU,
/// when the "hide NVIDIA" rule can apply to it. Otherwise the mode need not
/// be read at all.
pub fn integrated_matters(machine: &Machine, gpu: Option<usize>) -> bool {
    gpu == Some(0) && hides_nvidia(machine, 0)
}

/// What the chosen GPU's driver needs: the contract's "What gets set".
/// `integrated`: the session is in mode `integrated` (then the default GPU
/// gets the "hide NVIDIA" rule too).
pub fn env_changes(
    machine: &Machine,
    gpu: Option<usize>,
    env: &Environ<'_>,
    integrated: bool,
) -> EnvChanges {
    let mut out = EnvChanges::default();
    let Some(index) = gpu else {
        // No GPU at all: leave the environment as it is.
        return out;
    };
    let chosen = &machine.gpus[index];
    let hide_nvidia = hides_nvidia(machine, index);
    if index == 0 {
        // The default GPU: nothing, but in mode `integrated` NVIDIA's Vulkan
        // driver stays unloaded.
        if integrated && hide_nvidia {
            out.set.push((HIDE_NVIDIA.0, HIDE_NVIDIA.1.into()));
        }
    } else if chosen.driver_is("nvidia") {
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
        vulkan_rule(machine, index, &mut out);
        if chosen.render.is_none() && chosen.card.is_none() {
            out.notes.push(format!(
                "{} has no DRM node (nvidia-drm is not loaded): PRIME offload needs nvidia-drm \
                 with modeset=1",
                chosen.describe()
            ));
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
        vulkan_rule(machine, index, &mut out);
        if hide_nvidia {
            out.set.push((HIDE_NVIDIA.0, HIDE_NVIDIA.1.into()));
        }
    }
    // The caller's variable names, once: one pass over the environment
    // instead of one per name asked about.
    let keys: Vec<&[u8]> = env
        .entries()
        .iter()
        .filter_map(|e| {
            let e = e.to_bytes();
            e.iter().position(|b| *b == b'=').map(|at| &e[..at])
        })
        .collect();
    let has = |var: &str| keys.contains(&var.as_bytes());
    for var in DRIVER_LIST_VARS {
        if has(var) {
            out.notes.push(format!(
                "{var} is set and kept: it replaces the driver list and can hide the chosen GPU's \
                 driver (gpu-launch --doctor checks it)"
            ));
        }
    }
    out.unset = SELECTION_VARS
        .iter()
        .copied()
        .filter(|v| has(v) && !out.set.iter().any(|(k, _)| k == v))
        .collect();
    out
}

/// The Vulkan rule: `MESA_VK_DEVICE_SELECT=vvvv:dddd` names the chosen GPU
/// to Mesa's device-select layer (read before `DRI_PRIME`, on every Mesa
/// version), unless another GPU of the machine has the same ids.
fn vulkan_rule(machine: &Machine, index: usize, out: &mut EnvChanges) {
    let chosen = &machine.gpus[index];
    let (Some(vendor), Some(device)) = (chosen.vendor_id, chosen.device_id) else {
        out.notes.push(format!(
            "{} has no PCI ids, so MESA_VK_DEVICE_SELECT cannot name it: Vulkan programs rely \
             on DRI_PRIME (Mesa 23.1 or newer)",
            chosen.describe()
        ));
        return;
    };
    let twin = machine
        .gpus
        .iter()
        .enumerate()
        .any(|(i, g)| i != index && g.vendor_id == Some(vendor) && g.device_id == Some(device));
    if twin {
        out.notes.push(format!(
            "another GPU has the same ids {vendor:04x}:{device:04x}, so MESA_VK_DEVICE_SELECT \
             cannot tell them apart and is not set: Vulkan programs rely on DRI_PRIME (Mesa 23.1 \
             or newer) or NVIDIA's layer"
        ));
    } else {
        out.set.push((
            "MESA_VK_DEVICE_SELECT",
            format!("{vendor:04x}:{device:04x}"),
        ));
    }
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

/// Builds the plan from the parts (`program` is PROGRAM and its arguments;
/// `integrated`: the session is in mode `integrated`).
pub fn build<'a>(
    machine: &Machine,
    target: Target,
    env: &Environ<'_>,
    config: &Config,
    program: &'a [&'a CStr],
    integrated: bool,
) -> Plan<'a> {
    let changes = env_changes(machine, target.gpu, env, integrated);
    let offload = target.gpu.is_some_and(|i| i != 0);
    let mut argv: Vec<Cow<'a, CStr>> = program.iter().map(|a| Cow::Borrowed(*a)).collect();
    // The Chromium rule, the default GPU included: Chromium picks its render
    // node itself (and opens every one to probe it), so it is told which.
    let render_nodes = machine.gpus.iter().filter(|g| g.render.is_some()).count();
    let node = target.gpu.and_then(|i| machine.gpus[i].render_node());
    if let Some(node) = node.filter(|_| config.chromium_enable && render_nodes > 1) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Gpu, Kind};

    fn gpu(driver: &str, render: u32) -> Gpu {
        Gpu {
            pci: None,
            vendor_id: None,
            device_id: None,
            driver: Some(driver.into()),
            render: Some(render),
            card: None,
            power: None,
            removable: false,
            boot_display: false,
            boot_vga: false,
            kind: Kind::Discrete,
            platform_tag: None,
            sysfs_path: format!("/sys/devices/gpu{render}").into(),
        }
    }

    /// The note of a `GPU-<uuid>` or `name:` SPEC that matched nothing says
    /// why when it can: NVML left an NVIDIA GPU unidentified (asleep, or no
    /// library), or no GPU has a name (no pci.ids).
    #[test]
    fn a_uuid_or_name_fallback_says_why() {
        let note = |gpus: Vec<Gpu>, spec: &str, ids: &[Identity]| -> String {
            let machine = Machine {
                gpus,
                default_reason: None,
            };
            let choice = Choice {
                spec: Spec::parse(spec).unwrap(),
                origin: Origin::Flag,
            };
            let t = target(&machine, &choice, ids, false).unwrap();
            assert_eq!(t.gpu, Some(0));
            assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
            t.notes[0].clone()
        };
        let named = |name: &str| Identity {
            uuid: None,
            name: Some(name.into()),
        };
        let identified = Identity {
            uuid: Some("GPU-1".into()),
            name: Some("NVIDIA X".into()),
        };
        let nvidia = || vec![gpu("i915", 128), gpu("nvidia", 129)];
        let amd = || vec![gpu("i915", 128), gpu("amdgpu", 129)];
        // An NVIDIA GPU NVML did not identify: that is why.
        for spec in ["GPU-abc", "name:rtx"] {
            let n = note(nvidia(), spec, &[named("Intel"), Identity::default()]);
            assert!(n.contains("NVML did not identify"), "{n}");
            let n = note(nvidia(), spec, &[]);
            assert!(n.contains("NVML did not identify"), "{n}");
        }
        // Every NVIDIA GPU identified: nothing to add.
        let n = note(nvidia(), "GPU-abc", &[named("Intel"), identified.clone()]);
        assert!(!n.contains("NVML") && !n.contains("pci.ids"), "{n}");
        let n = note(nvidia(), "name:rtx", &[named("Intel"), identified]);
        assert!(!n.contains("NVML") && !n.contains("pci.ids"), "{n}");
        // No NVIDIA GPU: a name SPEC without any name is the pci.ids' fault;
        // with names, or for a UUID, nothing to add.
        let n = note(
            amd(),
            "name:rx",
            &[Identity::default(), Identity::default()],
        );
        assert!(n.contains("no pci.ids"), "{n}");
        let n = note(amd(), "name:rx", &[named("Intel"), Identity::default()]);
        assert!(!n.contains("pci.ids"), "{n}");
        let n = note(amd(), "GPU-abc", &[]);
        assert!(!n.contains("NVML") && !n.contains("pci.ids"), "{n}");
    }
}
