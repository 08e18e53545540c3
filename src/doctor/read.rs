//! What `--doctor` reads: the facts each judgement needs, gathered in one
//! pass and never changed. Sysfs attributes come through [`Sysfs`]; files of
//! the installed system (libraries, manifests) are found by existence under
//! [`DATA_ROOT_VAR`]; render nodes are looked at with `stat` and `access(2)`,
//! never opened. The verdicts are [`super::judge`]'s.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::app::Context;
use crate::config::{self, Loaded};
use crate::decide::plan::{self, SELECTION_VARS};
use crate::details::nvml;
use crate::detect::pci::PciAddr;
use crate::detect::{Machine, Sysfs};
use crate::error::Result;
use crate::os::environ::Environ;
use crate::os::files::{self, Links};
use crate::os::sys;
use crate::session::power;
use crate::session::state::StateDir;

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
pub const EGL_VENDOR_DIRS: &[&str] = &[
    "/etc/glvnd/egl_vendor.d",
    "/usr/share/glvnd/egl_vendor.d",
    "/run/opengl-driver/share/glvnd/egl_vendor.d",
];

/// Where the Vulkan loader looks for driver (ICD) manifests
/// (KhronosGroup/Vulkan-Loader `docs/LoaderDriverInterface.md`), plus NixOS.
pub const VULKAN_ICD_DIRS: &[&str] = &[
    "/etc/vulkan/icd.d",
    "/usr/local/share/vulkan/icd.d",
    "/usr/share/vulkan/icd.d",
    "/run/opengl-driver/share/vulkan/icd.d",
];

/// Where the Vulkan loader looks for implicit layer manifests
/// (`docs/LoaderLayerInterface.md`), plus NixOS.
pub const VULKAN_IMPLICIT_LAYER_DIRS: &[&str] = &[
    "/etc/vulkan/implicit_layer.d",
    "/usr/local/share/vulkan/implicit_layer.d",
    "/usr/share/vulkan/implicit_layer.d",
    "/run/opengl-driver/share/vulkan/implicit_layer.d",
];

/// The system the hints are written for: NixOS is configured through
/// options (`hardware.nvidia.modesetting.enable`), not packages and files
/// in /etc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum System {
    #[default]
    Other,
    NixOs,
}

impl System {
    /// `other` (packages and files; Debian's and Arch's names), or `nixos`
    /// (the options to set in configuration.nix) on NixOS.
    pub fn hint(self, other: &str, nixos: &str) -> String {
        match self {
            System::Other => other.to_owned(),
            System::NixOs => nixos.to_owned(),
        }
    }
}

/// Whether an os-release file says NixOS (`ID=nixos`, quoted or not).
pub fn os_release_is_nixos(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim()
            .strip_prefix("ID=")
            .is_some_and(|id| id.trim_matches(|c| c == '"' || c == '\'') == "nixos")
    })
}

/// Everything the judgements look at, read once.
#[derive(Debug)]
pub struct Facts {
    /// Which system's hints to give.
    pub system: System,
    /// Every display-class PCI function, in address order.
    pub display_functions: Vec<DisplayFunction>,
    /// `None` on a fake machine without [`DATA_ROOT_VAR`]: render nodes are
    /// not checked then.
    pub render_nodes: Option<Vec<RenderNode>>,
    /// The non-default discrete GPUs' runtime power management.
    pub power: Vec<PowerControl>,
    /// `None` when no GPU is driven by nvidia.
    pub nvidia: Option<NvidiaFacts>,
    /// Mesa's device-select layer manifest, when some non-default GPU is not
    /// driven by nvidia (`None`: not needed); found or not.
    pub mesa_device_select: Option<Option<PathBuf>>,
    pub environment: EnvFacts,
    /// Thunderbolt devices, in name order (empty without Thunderbolt).
    pub thunderbolt: Vec<TbDevice>,
    /// The config files of the search, in overlay order, and what loading
    /// them gave.
    pub config_paths: Vec<PathBuf>,
    /// The merged config and a warning per file skipped; an error only for
    /// `--config FILE`.
    pub config: Result<Loaded>,
    /// `GPU_LAUNCH_GPU` when set: its SPEC as gpu-launch reads it, or the
    /// warning that says a launch ignores it.
    pub gpu_launch_gpu: Option<std::result::Result<String, String>>,
    pub session: SessionFact,
}

/// The session state (`--mode`, `--next`) as a launch would find it, with
/// `XDG_RUNTIME_DIR` checked even when no state is kept in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFact {
    /// `XDG_RUNTIME_DIR` is unset, empty or relative.
    NoRuntimeDir,
    /// The state directory (which may not exist yet) and what it holds:
    /// the mode in force, as `--mode` shows it, and the pending `--next`.
    Usable {
        dir: PathBuf,
        mode: String,
        next: Option<String>,
    },
    /// Why it cannot be used.
    Unusable(String),
}

/// A PCI function of display class (0x03xxxx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayFunction {
    /// Its address as sysfs writes it (`0000:01:00.0`).
    pub name: String,
    /// `vendor` and `device` as written, without `0x`.
    pub ids: Option<(String, String)>,
    /// The driver bound to it.
    pub driver: Option<String>,
}

/// A GPU's render node as `stat` and `access(2)` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderNode {
    /// `N` of `renderDN`.
    pub number: u32,
    /// The GPU's description (`Gpu::describe`).
    pub gpu: String,
    /// What `stat` said, or its error.
    pub stat: std::result::Result<NodeStat, String>,
}

/// A render node that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStat {
    pub char_device: bool,
    /// Permission bits (`& 0o7777`).
    pub mode: u32,
    pub owner: String,
    pub group: String,
    /// Whether the user is in the node's group.
    pub in_group: bool,
    /// `access(R_OK | W_OK)`: `Err` with the error when the user may not
    /// open it.
    pub access: std::result::Result<(), String>,
}

/// `power/control` and `power/runtime_status` of a non-default discrete GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerControl {
    pub addr: PciAddr,
    pub gpu: String,
    pub nvidia: bool,
    pub status: Option<String>,
    pub control: Option<String>,
}

/// What PRIME render offload to an NVIDIA GPU needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvidiaFacts {
    /// `module/nvidia_drm/parameters/modeset`.
    pub modeset: Option<String>,
    /// Some NVIDIA GPU has a DRM node.
    pub has_drm: bool,
    /// The session is a Wayland one (`WAYLAND_DISPLAY`, `XDG_SESSION_TYPE`).
    pub wayland: bool,
    /// The library directories searched for `libGLX_nvidia.so.0`.
    pub library_dirs: Vec<String>,
    pub glx_library: Option<PathBuf>,
    pub egl_vendor_file: Option<PathBuf>,
    pub vulkan_icd: Option<PathBuf>,
    pub optimus_layer: Option<PathBuf>,
}

/// GPU selection and driver-list variables set in the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFacts {
    /// Selection variables set (gpu-launch removes them for its programs).
    pub selection: Vec<&'static str>,
    /// Driver-list overrides set (gpu-launch keeps them).
    pub overrides: Vec<&'static str>,
    /// `VAR: path` for each override entry naming a file that does not exist.
    pub broken: Vec<String>,
}

/// A Thunderbolt device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TbDevice {
    pub name: String,
    /// `authorized` as written (`0`, `1`, `2`).
    pub authorized: Option<String>,
    /// Vendor and device name.
    pub label: String,
}

/// Reads every fact about `machine`.
pub fn read(ctx: &Context<'_>, config_flag: Option<&OsStr>, machine: &Machine) -> Facts {
    let files = Files::new(ctx.env);
    let search = config::Search::new(config_flag, ctx.env);
    Facts {
        system: system(ctx, &files),
        display_functions: display_functions(&ctx.sysfs),
        render_nodes: (!ctx.fixture || !files.is_real()).then(|| render_nodes(&files, machine)),
        power: power(&ctx.sysfs, machine),
        nvidia: machine
            .gpus
            .iter()
            .any(nvml::is_nvml_gpu)
            .then(|| nvidia(ctx, &files, machine)),
        mesa_device_select: machine
            .gpus
            .iter()
            .skip(1)
            .any(|g| !g.driver_is("nvidia"))
            .then(|| {
                files.find(
                    VULKAN_IMPLICIT_LAYER_DIRS,
                    "VkLayer_MESA_device_select.json",
                )
            }),
        environment: environment(ctx.env),
        thunderbolt: thunderbolt(&ctx.sysfs),
        config_paths: search.paths().iter().map(|p| p.to_path_buf()).collect(),
        config: config::load(&search),
        gpu_launch_gpu: plan::env_choice(ctx.env).map(|r| r.map(|c| c.spec.to_string())),
        session: session(ctx),
    }
}

/// The session state, read as `--status` reads it (never changed).
fn session(ctx: &Context<'_>) -> SessionFact {
    let Some(dir) = StateDir::from_env(ctx.env) else {
        return SessionFact::NoRuntimeDir;
    };
    match dir.inspect() {
        Ok(state) => SessionFact::Usable {
            dir: dir.path().to_path_buf(),
            mode: state.mode.in_force(|| power::read(&ctx.sysfs)).describe(),
            next: state.next.map(|s| s.to_string()),
        },
        Err(e) => SessionFact::Unusable(e.to_string()),
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
                    let mut entries: Vec<PathBuf> = files::list_dir(&dir)
                        .ok()?
                        .into_iter()
                        .map(|name| dir.join(name))
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

/// NixOS has `/etc/NIXOS`, and `ID=nixos` in os-release. A fake machine
/// (`GPU_LAUNCH_SYSFS_ROOT`) reads them only under [`DATA_ROOT_VAR`], never
/// the real system's.
fn system(ctx: &Context<'_>, files: &Files) -> System {
    if ctx.fixture && files.is_real() {
        return System::Other;
    }
    let os_release = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(files.path(p)).ok());
    if files.path("/etc/NIXOS").exists() || os_release.is_some_and(|t| os_release_is_nixos(&t)) {
        System::NixOs
    } else {
        System::Other
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

/// Every display-class PCI function (class 0x03xxxx).
fn display_functions(sys: &Sysfs) -> Vec<DisplayFunction> {
    let devices = sys.path("bus/pci/devices");
    let mut out = Vec::new();
    for name in sys.list_sorted(&devices) {
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
        let ids = match (sys.attr(&dir, "vendor"), sys.attr(&dir, "device")) {
            (Some(v), Some(d)) => Some((
                v.trim_start_matches("0x").to_owned(),
                d.trim_start_matches("0x").to_owned(),
            )),
            _ => None,
        };
        out.push(DisplayFunction {
            driver: sys.link_name(&dir, "driver"),
            name,
            ids,
        });
    }
    out
}

/// Each GPU's render node: `stat` for what the node is, `access(2)` for
/// whether this user may open it (it honours the ACLs logind adds).
fn render_nodes(files: &Files, machine: &Machine) -> Vec<RenderNode> {
    use nix::unistd::AccessFlags;
    machine
        .gpus
        .iter()
        .filter_map(|g| g.render.map(|n| (g, n)))
        .map(|(g, number)| {
            let path = files.path(&format!("/dev/dri/renderD{number}"));
            let stat = std::fs::metadata(&path)
                .map(|meta| NodeStat {
                    char_device: meta.file_type().is_char_device(),
                    mode: meta.mode() & 0o7777,
                    owner: user_name(meta.uid()),
                    group: group_name(meta.gid()),
                    in_group: user_groups().contains(&meta.gid()),
                    access: nix::unistd::access(&path, AccessFlags::R_OK | AccessFlags::W_OK)
                        .map_err(|e| e.desc().to_owned()),
                })
                .map_err(|e| crate::error::io_words(&e));
            RenderNode {
                number,
                gpu: g.describe(),
                stat,
            }
        })
        .collect()
}

fn user_groups() -> Vec<u32> {
    let mut groups = sys::groups();
    groups.push(sys::getegid());
    groups
}

/// The name of group `gid` from `/etc/group`, else the number. (The file
/// NSS's `files` source reads, where the `render` and `video` groups live;
/// not `getgrgid_r`, a libc import that would cost every launch a symbol
/// lookup: see `os::sys`.)
fn group_name(gid: u32) -> String {
    group_name_in(Path::new("/etc/group"), gid).unwrap_or_else(|| gid.to_string())
}

/// The name of group `gid` in the group file `path` (`name:password:gid:members`).
fn group_name_in(path: &Path, gid: u32) -> Option<String> {
    let file = files::open_regular(path, Links::Follow).ok()??;
    let mut lines = file.lines(1 << 20, 1 << 16).ok()?;
    while let Ok(Some(line)) = lines.next_line() {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let mut fields = line.trim_end_matches(['\n', '\r']).split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        // `+name`/`-name`: NIS compat entries, not names.
        if !name.is_empty() && !name.starts_with(['+', '-']) && id.parse() == Ok(gid) {
            return Some(name.to_owned());
        }
    }
    None
}

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(uid.into())
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

/// Runtime power management of each non-default discrete GPU.
fn power(sys: &Sysfs, machine: &Machine) -> Vec<PowerControl> {
    let devices = sys.path("bus/pci/devices");
    machine
        .gpus
        .iter()
        .skip(1)
        .filter(|g| g.kind.is_discrete())
        .filter_map(|g| {
            let addr = g.pci?;
            let power = sys.link(&devices, &addr.to_string())?.join("power");
            Some(PowerControl {
                addr,
                gpu: g.describe(),
                nvidia: g.driver_is("nvidia"),
                status: sys.attr(&power, "runtime_status"),
                control: sys.attr(&power, "control"),
            })
        })
        .collect()
}

/// nvidia-drm modesetting and the GLX, EGL and Vulkan pieces PRIME render
/// offload loads.
fn nvidia(ctx: &Context<'_>, files: &Files, machine: &Machine) -> NvidiaFacts {
    let module = ctx.sysfs.path("module/nvidia_drm");
    let library_dirs = library_dirs();
    let libs: Vec<&str> = library_dirs.iter().map(String::as_str).collect();
    NvidiaFacts {
        modeset: ctx.sysfs.attr(&module.join("parameters"), "modeset"),
        has_drm: machine
            .gpus
            .iter()
            .any(|g| nvml::is_nvml_gpu(g) && (g.render.is_some() || g.card.is_some())),
        wayland: ctx.env.get_nonempty("WAYLAND_DISPLAY").is_some()
            || ctx.env.get("XDG_SESSION_TYPE") == Some(b"wayland"),
        glx_library: files.find(&libs, "libGLX_nvidia.so.0"),
        egl_vendor_file: files.find(EGL_VENDOR_DIRS, "10_nvidia.json"),
        vulkan_icd: files.find(VULKAN_ICD_DIRS, "nvidia_icd*.json"),
        optimus_layer: files.find(VULKAN_IMPLICIT_LAYER_DIRS, "nvidia_layers*.json"),
        library_dirs,
    }
}

/// Selection variables and driver-list overrides set in the session, and the
/// override entries that name missing files.
fn environment(env: &Environ<'_>) -> EnvFacts {
    let set = |vars: &[&'static str]| -> Vec<&'static str> {
        vars.iter().copied().filter(|v| env.contains(v)).collect()
    };
    let overrides = set(&OVERRIDE_VARS);
    let broken = overrides
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
    EnvFacts {
        selection: set(&SELECTION_VARS),
        overrides,
        broken,
    }
}

/// Thunderbolt devices and whether each is authorised.
fn thunderbolt(sys: &Sysfs) -> Vec<TbDevice> {
    let bus = sys.path("bus/thunderbolt/devices");
    sys.list_sorted(&bus)
        .into_iter()
        .filter_map(|name| {
            let dir = sys.link(&bus, &name)?;
            let label = [sys.attr(&dir, "vendor_name"), sys.attr(&dir, "device_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            Some(TbDevice {
                authorized: sys.attr(&dir, "authorized"),
                name,
                label,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_come_from_the_group_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("group");
        std::fs::write(
            &file,
            "root:x:0:\n+nis:x:44:\nbroken\nvideo:x:44:alice,bob\r\nrender:x:105:\n",
        )
        .unwrap();
        assert_eq!(group_name_in(&file, 0).as_deref(), Some("root"));
        assert_eq!(group_name_in(&file, 44).as_deref(), Some("video"));
        assert_eq!(group_name_in(&file, 105).as_deref(), Some("render"));
        assert_eq!(group_name_in(&file, 7), None);
        assert_eq!(group_name_in(&dir.path().join("absent"), 0), None);
        // The real file, as NSS's `files` source has it.
        assert_eq!(group_name(0), "root");
    }

    #[test]
    fn os_release_says_nixos_by_its_id() {
        let nixos = "BUG_REPORT_URL=\"https://github.com/NixOS/nixpkgs/issues\"\nID=nixos\n\
                     NAME=NixOS\nVERSION_ID=\"24.11\"\n";
        assert!(os_release_is_nixos(nixos));
        assert!(os_release_is_nixos("ID=\"nixos\"\n"));
        assert!(!os_release_is_nixos(
            "ID=debian\nID_LIKE=nixos-not\nNAME=\"Debian\"\n"
        ));
        assert!(!os_release_is_nixos("ID_LIKE=nixos\nID=other\n"));
        assert!(!os_release_is_nixos(""));
    }
}
