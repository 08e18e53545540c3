//! `--doctor`: the checks a user would otherwise piece together from forum
//! posts, each with a status (`ok`, `warn`, `fail`), what was found, and a
//! one-line hint.
//!
//! Everything is read, never changed: sysfs attributes through [`Sysfs`],
//! files of the installed system (libraries, manifests) by existence, render
//! nodes by `stat` and `access(2)` (never opened). NVML and the DRM ioctl run
//! only through [`details::gather`], which keeps suspended GPUs asleep unless
//! `--wake`.
//!
//! Files outside sysfs are looked up under [`DATA_ROOT_VAR`] (`/` when unset),
//! so tests build a fake `/usr`, `/etc`, `/run` and `/dev` in a temporary
//! directory. On a fake machine (`GPU_LAUNCH_SYSFS_ROOT`) without it, render
//! nodes are not checked at all.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Context;
use crate::cli::Cli;
use crate::config;
use crate::details::{self, Details, Gathered};
use crate::detect::Machine;
use crate::environ::Environ;
use crate::error::ExitStatus;
use crate::nvml::{self, Outcome};
use crate::pci::PciAddr;
use crate::plan::SELECTION_VARS;
use crate::select;
use crate::spec::Spec;

/// Every path doctor looks at outside sysfs (libraries, manifests, `/dev/dri`)
/// is taken under this directory instead of `/` (testing hook).
pub const DATA_ROOT_VAR: &str = "GPU_LAUNCH_DATA_ROOT";

/// Variables that replace the EGL or Vulkan driver list for every program;
/// gpu-launch never sets them (a missing file breaks EGL/Vulkan entirely).
pub const OVERRIDE_VARS: [&str; 3] = [
    "VK_ICD_FILENAMES",
    "VK_DRIVER_FILES",
    "__EGL_VENDOR_LIBRARY_FILENAMES",
];

/// Where libglvnd looks for EGL vendor files (NVIDIA/libglvnd
/// `src/EGL/icd_enumeration.md`), plus NixOS's driver profile.
const EGL_VENDOR_DIRS: &[&str] = &[
    "/etc/glvnd/egl_vendor.d",
    "/usr/share/glvnd/egl_vendor.d",
    "/run/opengl-driver/share/glvnd/egl_vendor.d",
];

/// Where the Vulkan loader looks for driver (ICD) manifests
/// (KhronosGroup/Vulkan-Loader `docs/LoaderDriverInterface.md`), plus NixOS.
const VULKAN_ICD_DIRS: &[&str] = &[
    "/etc/vulkan/icd.d",
    "/usr/local/share/vulkan/icd.d",
    "/usr/share/vulkan/icd.d",
    "/run/opengl-driver/share/vulkan/icd.d",
];

/// Where the Vulkan loader looks for implicit layer manifests
/// (`docs/LoaderLayerInterface.md`), plus NixOS.
const VULKAN_IMPLICIT_LAYER_DIRS: &[&str] = &[
    "/etc/vulkan/implicit_layer.d",
    "/usr/local/share/vulkan/implicit_layer.d",
    "/usr/share/vulkan/implicit_layer.d",
    "/run/opengl-driver/share/vulkan/implicit_layer.d",
];

/// How a check came out. Ordered: the worst status is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One check: `name` identifies it (`render_node:renderD129`), `detail` says
/// what was found, `hint` what to do (empty when there is nothing to do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    pub hint: String,
}

impl Check {
    fn new(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
            hint: String::new(),
        }
    }

    fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, Status::Ok, detail)
    }

    fn warn(name: impl Into<String>, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Check::new(name, Status::Warn, detail).hint(hint)
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Check::new(name, Status::Fail, detail).hint(hint)
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}

/// The file system doctor reads besides sysfs, rooted at [`DATA_ROOT_VAR`].
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
}

impl Files {
    pub fn new(env: &Environ<'_>) -> Self {
        let root = env.get_nonempty(DATA_ROOT_VAR).map_or_else(
            || PathBuf::from("/"),
            |r| PathBuf::from(OsStr::from_bytes(r)),
        );
        Files { root }
    }

    /// True when the root is the real `/`.
    fn is_real(&self) -> bool {
        self.root == Path::new("/")
    }

    /// `abs` (`/usr/lib`) under the root.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// The first `dir/name` that exists, `name` matched exactly or, when it
    /// ends with `*.json`, as a prefix of a `.json` file name
    /// (`nvidia_icd.x86_64.json` for `nvidia_icd*.json`).
    fn find(&self, dirs: &[&str], name: &str) -> Option<PathBuf> {
        let prefix = name.strip_suffix("*.json");
        dirs.iter()
            .map(|d| self.path(d))
            .find_map(|dir| match prefix {
                None => Some(dir.join(name)).filter(|p| p.exists()),
                Some(prefix) => {
                    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                        .ok()?
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| {
                            p.file_name()
                                .and_then(OsStr::to_str)
                                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
                                && p.exists()
                        })
                        .collect();
                    entries.sort();
                    entries.into_iter().next()
                }
            })
    }
}

/// Directories the dynamic loader searches on common distributions (Debian
/// multiarch, Fedora `lib64`, Arch `lib`) and NixOS's driver profile.
fn library_dirs() -> Vec<String> {
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    vec![
        format!("/usr/lib/{multiarch}"),
        "/usr/lib64".into(),
        "/usr/lib".into(),
        format!("/lib/{multiarch}"),
        "/lib64".into(),
        "/usr/local/lib".into(),
        "/run/opengl-driver/lib".into(),
    ]
}

/// Runs every check; the text (or JSON) to print and the exit status
/// (`CheckFailed` when a check failed).
pub fn run(ctx: &Context<'_>, cli: &Cli<'_>) -> (String, ExitStatus) {
    crate::log::init(cli.verbose, ctx.env.get_nonempty("GPU_LAUNCH_LOG"));
    let machine = ctx.detect();
    let gathered = details::gather(ctx, &machine, cli.wake);
    let checks = checks(ctx, cli.config, &machine, &gathered);
    let failed = checks.iter().any(|c| c.status == Status::Fail);
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

/// Every check for this machine, in the order they are printed.
pub fn checks(
    ctx: &Context<'_>,
    config_flag: Option<&OsStr>,
    machine: &Machine,
    gathered: &Gathered,
) -> Vec<Check> {
    let files = Files::new(ctx.env);
    let mut out = vec![gpus(machine, &gathered.details)];
    out.extend(drivers(ctx, machine));
    out.extend(render_nodes(ctx, &files, machine));
    out.extend(runtime_pm(ctx, machine));
    if machine.gpus.iter().any(nvml::is_nvml_gpu) {
        out.extend(nvidia(ctx, &files, machine, &gathered.nvml));
    }
    out.extend(mesa_device_select(&files, machine));
    out.push(environment(ctx.env));
    out.extend(thunderbolt(ctx));
    out.push(config_files(config_flag, ctx.env));
    out
}

/// `{"checks": [...]}`.
pub fn json(checks: &[Check]) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        checks: &'a [Check],
    }
    crate::output::json_line(&Doc { checks })
}

/// One line per check, its hint indented below, a summary last.
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(out, "{:<5} {}: {}", c.status.as_str(), c.name, c.detail);
        if !c.hint.is_empty() {
            let _ = writeln!(out, "      hint: {}", c.hint);
        }
    }
    let count = |s| checks.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        out,
        "{} fail, {} warn, {} ok",
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Ok)
    );
    out
}

/// GPUs found, which is the default and why, and what `auto` picks.
fn gpus(machine: &Machine, details: &[Details]) -> Check {
    if machine.gpus.is_empty() {
        return Check::fail(
            "gpus",
            "no GPU found (no DRM render node, no PCI function bound to nvidia)",
            "check that a GPU driver is loaded: lspci -k shows the driver in use per device",
        );
    }
    let mut detail = format!("{} GPU(s):", machine.gpus.len());
    for (i, g) in machine.gpus.iter().enumerate() {
        let _ = write!(detail, " {i}: {} [{}]", g.describe(), g.kind.as_str());
        if let Some(name) = details.get(i).and_then(|d| d.name.as_deref()) {
            let _ = write!(detail, " \"{name}\"");
        }
        detail.push(';');
    }
    if let Some(reason) = &machine.default_reason {
        let _ = write!(detail, " default is 0 ({reason})");
    }
    if let Some(i) = select::select(machine, &Spec::Auto, &[]) {
        let _ = write!(
            detail,
            "; auto picks {i}{}",
            if i == 0 { " (no offload)" } else { "" }
        );
    }
    Check::ok("gpus", detail)
}

/// Every display-class PCI function (class 0x03xxxx): bound to a driver that
/// made it a GPU, or not.
fn drivers(ctx: &Context<'_>, machine: &Machine) -> Vec<Check> {
    let sys = &ctx.sysfs;
    let devices = sys.path("bus/pci/devices");
    let mut names: Vec<String> = sys
        .list(&devices)
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let Some(dir) = sys.link(&devices, &name) else {
            continue;
        };
        let is_display = sys
            .attr(&dir, "class")
            .and_then(|c| u32::from_str_radix(c.trim_start_matches("0x"), 16).ok())
            .is_some_and(|c| c >> 16 == 0x03);
        if !is_display {
            continue;
        }
        let check = format!("driver:{name}");
        let ids = match (sys.attr(&dir, "vendor"), sys.attr(&dir, "device")) {
            (Some(v), Some(d)) => format!(
                " [{}:{}]",
                v.trim_start_matches("0x"),
                d.trim_start_matches("0x")
            ),
            _ => String::new(),
        };
        let addr = PciAddr::parse_sysfs(&name);
        let gpu = machine
            .gpus
            .iter()
            .position(|g| addr.is_some() && g.pci == addr);
        out.push(match (sys.link_name(&dir, "driver"), gpu) {
            (None, _) => Check::fail(
                check,
                format!("display device {name}{ids} has no driver bound"),
                "install and load its driver (lspci -k shows the kernel modules that could drive it; \
                 check modprobe blacklists)",
            ),
            (Some(d), Some(i)) => Check::ok(check, format!("{d} drives GPU {i}")),
            (Some(d), None) if d == "vfio-pci" || d == "pci-stub" => Check::ok(
                check,
                format!("bound to {d}: reserved for virtual machines, not used here"),
            ),
            (Some(d), None) => Check::warn(
                check,
                format!("bound to {d}, but it has no DRM render node, so nothing can render on it"),
                format!("see the kernel log (journalctl -k | grep -i {d}) for why the driver made no render node"),
            ),
        });
    }
    out
}

/// Whether this user may open each GPU's render node: `stat` for what the
/// node is, `access(2)` for the verdict (it honours the ACLs logind adds).
fn render_nodes(ctx: &Context<'_>, files: &Files, machine: &Machine) -> Vec<Check> {
    if ctx.fixture && files.is_real() {
        return vec![Check::warn(
            "render_nodes",
            "not checked on a fake machine (GPU_LAUNCH_SYSFS_ROOT is set)",
            format!("set {DATA_ROOT_VAR}=DIR to check DIR/dev/dri instead"),
        )];
    }
    machine
        .gpus
        .iter()
        .filter_map(|g| g.render.map(|n| (g, n)))
        .map(|(g, n)| {
            let name = format!("render_node:renderD{n}");
            let shown = format!("/dev/dri/renderD{n}");
            let path = files.path(&shown);
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    return Check::fail(
                        name,
                        format!("{shown} ({}): {e}", g.describe()),
                        "in a container or sandbox, pass /dev/dri through (flatpak --device=dri, \
                         docker --device /dev/dri)",
                    );
                }
            };
            let group = group_name(meta.gid());
            let what = format!(
                "{shown}{}: mode {:04o}, owner {}, group {group}",
                if meta.file_type().is_char_device() {
                    ""
                } else {
                    " (not a character device)"
                },
                meta.mode() & 0o7777,
                user_name(meta.uid()),
            );
            use nix::unistd::AccessFlags;
            match nix::unistd::access(&path, AccessFlags::R_OK | AccessFlags::W_OK) {
                Ok(()) => Check::ok(name, format!("{what}; you may open it")),
                Err(e) => {
                    let in_group = user_groups().contains(&meta.gid());
                    let hint = if meta.mode() & 0o060 == 0o060 && !in_group {
                        format!("add yourself to group {group} (sudo usermod -aG {group} $USER), then log in again")
                    } else {
                        "check the udev rules for /dev/dri: render nodes are normally 0666, or 0660 \
                         root:render with a logind uaccess ACL"
                            .to_owned()
                    };
                    Check::fail(
                        name,
                        format!(
                            "{what}; you may not open it ({e}){}",
                            if in_group {
                                ""
                            } else {
                                ", and you are not in its group"
                            }
                        ),
                        hint,
                    )
                }
            }
        })
        .collect()
}

fn user_groups() -> Vec<u32> {
    let mut groups: Vec<u32> = nix::unistd::getgroups()
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.as_raw())
        .collect();
    groups.push(nix::unistd::getegid().as_raw());
    groups
}

fn group_name(gid: u32) -> String {
    nix::unistd::Group::from_gid(gid.into())
        .ok()
        .flatten()
        .map_or_else(|| gid.to_string(), |g| g.name)
}

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(uid.into())
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

/// Runtime power management of each non-default discrete GPU: with
/// `power/control` = `on` it never sleeps (battery drain).
fn runtime_pm(ctx: &Context<'_>, machine: &Machine) -> Vec<Check> {
    let sys = &ctx.sysfs;
    let devices = sys.path("bus/pci/devices");
    let mut out = Vec::new();
    for g in machine.gpus.iter().skip(1).filter(|g| g.kind.is_discrete()) {
        let Some(addr) = g.pci else { continue };
        let name = format!("runtime_pm:{addr}");
        let Some(dir) = sys.link(&devices, &addr.to_string()) else {
            continue;
        };
        let power = dir.join("power");
        let status = sys.attr(&power, "runtime_status");
        let status = status.as_deref().unwrap_or("unknown");
        out.push(match sys.attr(&power, "control").as_deref() {
            Some("auto") => Check::ok(
                name,
                format!("power/control = auto; runtime status {status}"),
            ),
            Some(control) => Check::warn(
                name,
                format!(
                    "power/control = {control}; runtime status {status}: {} never sleeps",
                    g.describe()
                ),
                if g.driver_is("nvidia") {
                    "for Turing and newer laptop GPUs: options nvidia NVreg_DynamicPowerManagement=0x02 \
                     in /etc/modprobe.d, plus NVIDIA's udev rules that set power/control to auto"
                } else {
                    "set power/control to auto with a udev rule (ATTR{power/control}=\"auto\") or TLP's RUNTIME_PM_ON_BAT"
                },
            ),
            None => continue,
        });
    }
    out
}

/// The NVIDIA checks: nvidia-drm modesetting, NVML, and the GLX, EGL and
/// Vulkan pieces PRIME render offload loads.
fn nvidia(ctx: &Context<'_>, files: &Files, machine: &Machine, outcome: &Outcome) -> Vec<Check> {
    let mut out = Vec::new();
    let sys = &ctx.sysfs;
    let module = sys.path("module/nvidia_drm");
    let modeset = sys.attr(&module.join("parameters"), "modeset");
    let has_drm = machine
        .gpus
        .iter()
        .any(|g| nvml::is_nvml_gpu(g) && (g.render.is_some() || g.card.is_some()));
    let wayland = ctx.env.get_nonempty("WAYLAND_DISPLAY").is_some()
        || ctx.env.get("XDG_SESSION_TYPE") == Some(b"wayland");
    let modeset_hint = "add nvidia_drm.modeset=1 to the kernel command line (or options nvidia_drm \
                        modeset=1 in /etc/modprobe.d) and reboot";
    out.push(match modeset.as_deref() {
        Some("Y" | "1") => Check::ok("nvidia_drm_modeset", "nvidia_drm.modeset = Y"),
        Some(other) => Check::warn(
            "nvidia_drm_modeset",
            format!(
                "nvidia_drm.modeset = {other}: Wayland compositors and XWayland cannot offload \
                 to the NVIDIA GPU"
            ),
            modeset_hint,
        ),
        None if has_drm => Check::warn(
            "nvidia_drm_modeset",
            "nvidia-drm made DRM nodes, but module/nvidia_drm/parameters/modeset cannot be read",
            modeset_hint,
        ),
        None => Check::new(
            "nvidia_drm_modeset",
            if wayland { Status::Fail } else { Status::Warn },
            "nvidia-drm is not loaded: the NVIDIA GPU has no DRM render node, so Wayland \
             sessions (EGL, Vulkan, Chromium's render node) cannot offload to it; X11 GLX \
             offload still works",
        )
        .hint("sudo modprobe nvidia-drm modeset=1, and add nvidia_drm.modeset=1 to the kernel command line"),
    });

    out.push(match outcome {
        Outcome::Loaded(r) => Check::ok(
            "nvml",
            format!(
                "NVML loaded: driver {}, {} device(s)",
                r.driver_version.as_deref().unwrap_or("unknown"),
                r.devices.len()
            ),
        ),
        Outcome::Asleep(gpus) => Check::ok(
            "nvml",
            format!(
                "not loaded: nvmlInit would wake {} (suspended)",
                gpus.join(", ")
            ),
        )
        .hint("gpu-launch --doctor --wake loads it anyway"),
        Outcome::NotConfigured => Check::warn(
            "nvml",
            format!("not loaded on a fake machine without {}", nvml::LIBRARY_VAR),
            format!("set {}=PATH", nvml::LIBRARY_VAR),
        ),
        Outcome::Unavailable { library, error } => Check::warn(
            "nvml",
            format!(
                "{} did not load: {error}; GPU names, UUIDs and telemetry are unknown, so \
                 GPU-<uuid> SPECs cannot match",
                library.to_string_lossy()
            ),
            "install the driver's NVML library (Debian: libnvidia-ml1, Arch: nvidia-utils); \
             after a driver update, reboot (driver/library version mismatch)",
        ),
        Outcome::NotNeeded => Check::ok("nvml", "no GPU is driven by nvidia"),
    });

    let found = |name: &str, detail: &str, path: Option<PathBuf>, missing: Check| match path {
        Some(p) => Check::ok(name, format!("{detail}: {}", p.display())),
        None => missing,
    };
    let libs = library_dirs();
    let libs: Vec<&str> = libs.iter().map(String::as_str).collect();
    out.push(found(
        "glx_vendor_library",
        "NVIDIA's GLX library",
        files.find(&libs, "libGLX_nvidia.so.0"),
        Check::fail(
            "glx_vendor_library",
            format!(
                "libGLX_nvidia.so.0 not found in {}: with __GLX_VENDOR_LIBRARY_NAME=nvidia, \
                 libglvnd silently falls back to Mesa",
                libs.join(", ")
            ),
            "install the NVIDIA driver's GL libraries (Debian: libglx-nvidia0, Arch: nvidia-utils) \
             in the same version as the kernel module",
        ),
    ));
    out.push(found(
        "egl_vendor_file",
        "NVIDIA's EGL vendor file",
        files.find(EGL_VENDOR_DIRS, "10_nvidia.json"),
        Check::fail(
            "egl_vendor_file",
            format!(
                "10_nvidia.json not found in {}: EGL programs cannot use the NVIDIA GPU",
                EGL_VENDOR_DIRS.join(", ")
            ),
            "install the NVIDIA driver's EGL library (Debian: libegl-nvidia0, Arch: nvidia-utils)",
        ),
    ));
    out.push(found(
        "vulkan_icd",
        "NVIDIA's Vulkan driver manifest",
        files.find(VULKAN_ICD_DIRS, "nvidia_icd*.json"),
        Check::fail(
            "vulkan_icd",
            format!(
                "nvidia_icd.json not found in {}: Vulkan programs cannot see the NVIDIA GPU",
                VULKAN_ICD_DIRS.join(", ")
            ),
            "install the NVIDIA driver's Vulkan ICD (Debian: nvidia-vulkan-icd, Arch: nvidia-utils)",
        ),
    ));
    out.push(found(
        "vulkan_optimus_layer",
        "NVIDIA's optimus layer manifest",
        files.find(VULKAN_IMPLICIT_LAYER_DIRS, "nvidia_layers*.json"),
        Check::warn(
            "vulkan_optimus_layer",
            format!(
                "nvidia_layers.json not found in {}: __VK_LAYER_NV_optimus has no effect and \
                 Vulkan programs see every GPU",
                VULKAN_IMPLICIT_LAYER_DIRS.join(", ")
            ),
            "install the NVIDIA driver's Vulkan ICD package, which ships the layer \
             (Debian: nvidia-vulkan-icd)",
        ),
    ));
    out
}

/// Mesa's device-select layer, through which `DRI_PRIME` reaches Vulkan: needed
/// when some non-default GPU is not driven by nvidia.
fn mesa_device_select(files: &Files, machine: &Machine) -> Option<Check> {
    machine
        .gpus
        .iter()
        .skip(1)
        .any(|g| !g.driver_is("nvidia"))
        .then(|| {
            match files.find(
                VULKAN_IMPLICIT_LAYER_DIRS,
                "VkLayer_MESA_device_select.json",
            ) {
                Some(p) => Check::ok(
                    "mesa_device_select_layer",
                    format!("Mesa's device-select layer: {}", p.display()),
                ),
                None => Check::warn(
                    "mesa_device_select_layer",
                    format!(
                        "VkLayer_MESA_device_select.json not found in {}: DRI_PRIME does not reach \
                         Vulkan programs",
                        VULKAN_IMPLICIT_LAYER_DIRS.join(", ")
                    ),
                    "install Mesa's Vulkan drivers (Debian: mesa-vulkan-drivers, Arch: vulkan-mesa-layers)",
                ),
            }
        })
}

/// GPU selection variables exported session-wide, which fight gpu-launch in
/// every program it does not start, and driver-list overrides, which it never
/// removes.
fn environment(env: &Environ<'_>) -> Check {
    let selection: Vec<&str> = SELECTION_VARS
        .iter()
        .copied()
        .filter(|v| env.contains(v))
        .collect();
    let overrides: Vec<&str> = OVERRIDE_VARS
        .iter()
        .copied()
        .filter(|v| env.contains(v))
        .collect();
    let broken: Vec<String> = overrides
        .iter()
        .flat_map(|v| {
            env.get(v)
                .unwrap_or_default()
                .split(|b| *b == b':')
                .filter(|p| !p.is_empty())
                .filter(|p| !Path::new(OsStr::from_bytes(p)).exists())
                .map(move |p| format!("{v}: {}", String::from_utf8_lossy(p)))
        })
        .collect();
    let where_ = "remove them from your shell profile, environment.d, or the compositor's config \
                  (Hyprland: env = ...)";
    if !broken.is_empty() {
        return Check::fail(
            "environment",
            format!(
                "set session-wide and naming files that do not exist ({}): EGL or Vulkan fails \
                 for every program",
                broken.join(", ")
            ),
            where_,
        );
    }
    if selection.is_empty() && overrides.is_empty() {
        return Check::ok(
            "environment",
            "no GPU selection variable is set session-wide",
        );
    }
    let mut detail = String::from("set session-wide:");
    if !selection.is_empty() {
        let _ = write!(
            detail,
            " {} (gpu-launch removes them for the programs it starts; every other program \
             inherits them)",
            selection.join(", ")
        );
    }
    if !overrides.is_empty() {
        let _ = write!(
            detail,
            " {} (they replace the driver list of every program, including those gpu-launch starts)",
            overrides.join(", ")
        );
    }
    Check::warn("environment", detail, where_)
}

/// Thunderbolt devices the user has not authorised: their PCIe tunnel, and
/// so an eGPU behind it, stays absent.
fn thunderbolt(ctx: &Context<'_>) -> Vec<Check> {
    let sys = &ctx.sysfs;
    let bus = sys.path("bus/thunderbolt/devices");
    if !bus.is_dir() {
        return Vec::new();
    }
    let mut names: Vec<String> = sys
        .list(&bus)
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .collect();
    names.sort();
    let mut authorised = 0;
    let mut out = Vec::new();
    for name in names {
        let Some(dir) = sys.link(&bus, &name) else {
            continue;
        };
        match sys.attr(&dir, "authorized").as_deref() {
            Some("0") => {
                let label = [sys.attr(&dir, "vendor_name"), sys.attr(&dir, "device_name")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push(Check::warn(
                    format!("thunderbolt:{name}"),
                    format!(
                        "Thunderbolt device {name} ({label}) is not authorised: an eGPU behind it \
                         stays absent"
                    ),
                    "boltctl list, then boltctl authorize (once) or boltctl enroll (always) its UUID",
                ));
            }
            Some(_) => authorised += 1,
            None => {}
        }
    }
    if out.is_empty() && authorised > 0 {
        out.push(Check::ok(
            "thunderbolt",
            format!("{authorised} Thunderbolt device(s), all authorised"),
        ));
    }
    out
}

/// The config files gpu-launch would read, and whether they load.
fn config_files(flag: Option<&OsStr>, env: &Environ<'_>) -> Check {
    let search = config::Search::new(flag, env);
    match config::load(&search) {
        Ok(c) if c.files.is_empty() => {
            let paths: Vec<String> = search
                .paths()
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            Check::ok(
                "config",
                format!(
                    "no config file ({} not found); the defaults apply",
                    paths.join(", ")
                ),
            )
        }
        Ok(c) => {
            let files: Vec<String> = c.files.iter().map(|p| p.display().to_string()).collect();
            Check::ok("config", format!("read {}", files.join(", ")))
        }
        Err(e) => Check::fail(
            "config",
            e.to_string(),
            "fix the file (README, \"The config file\"); until then every launch exits 125",
        ),
    }
}
