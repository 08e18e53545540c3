//! `--doctor`'s verdicts: pure functions from the facts `read` gathered
//! (and the machine) to checks, so each judgement is tested with a
//! hand-built input. Those of the driver pieces offload loads are in
//! [`offload`].

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::config::Loaded;
use crate::decide::select;
use crate::decide::spec::Spec;
use crate::details::Gathered;
use crate::detect::pci::PciAddr;
use crate::detect::{Details, Machine};
use crate::doctor::Check;
use crate::doctor::offload;
use crate::doctor::read::{
    DATA_ROOT_VAR, DisplayFunction, EnvFacts, Facts, PowerControl, RenderNode, SessionFact, System,
    TbDevice,
};
use crate::error::Result;

/// Every check, in the order they are printed.
pub fn checks(machine: &Machine, gathered: &Gathered, facts: &Facts) -> Vec<Check> {
    let sys = facts.system;
    let mut out = vec![gpus(machine, &gathered.details, sys)];
    if sys == System::NixOs {
        // The PRIME pair: an NVIDIA GPU the desktop is not on, and the
        // default GPU.
        let nvidia = machine
            .gpus
            .iter()
            .skip(1)
            .find(|g| g.driver_is("nvidia"))
            .and_then(|g| g.pci);
        let default = machine
            .gpus
            .first()
            .and_then(|g| Some((g.vendor()?, g.pci?)));
        out.push(nixos(nvidia, default));
    }
    out.extend(
        facts
            .display_functions
            .iter()
            .map(|f| driver(f, machine, sys)),
    );
    match &facts.render_nodes {
        Some(nodes) => out.extend(nodes.iter().map(|n| render_node(n, sys))),
        None => out.push(Check::warn(
            "render_nodes",
            "not checked on a fake machine (GPU_LAUNCH_SYSFS_ROOT is set)",
            format!("set {DATA_ROOT_VAR}=DIR to check DIR/dev/dri instead"),
        )),
    }
    out.extend(facts.power.iter().filter_map(|p| runtime_pm(p, sys)));
    if let Some(n) = &facts.nvidia {
        out.extend(offload::nvidia(n, &gathered.nvml, sys));
    }
    out.extend(
        facts
            .mesa_device_select
            .as_ref()
            .map(|found| offload::mesa_device_select(found, sys)),
    );
    out.push(environment(&facts.environment, sys));
    out.extend(thunderbolt(&facts.thunderbolt, sys));
    out.push(config(&facts.config_paths, &facts.config, sys));
    out.extend(facts.gpu_launch_gpu.as_ref().map(gpu_launch_gpu));
    out.push(session(&facts.session));
    out
}

/// GPUs found, which is the default and why, and what `auto` picks.
pub fn gpus(machine: &Machine, details: &[Details], sys: System) -> Check {
    if machine.gpus.is_empty() {
        return Check::fail(
            "gpus",
            "no GPU found (no DRM render node, no PCI function bound to nvidia)",
            sys.hint(
                "check that a GPU driver is loaded: lspci -k shows the driver in use per device",
                "check that a GPU driver is loaded (nix-shell -p pciutils --run 'lspci -k'); for \
                 NVIDIA set services.xserver.videoDrivers = [ \"nvidia\" ] and \
                 hardware.graphics.enable = true",
            ),
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

/// A display-class PCI function: bound to a driver that made it a GPU, or
/// not.
pub fn driver(f: &DisplayFunction, machine: &Machine, sys: System) -> Check {
    let name = &f.name;
    let check = format!("driver:{name}");
    let ids = f
        .ids
        .as_ref()
        .map(|(v, d)| format!(" [{v}:{d}]"))
        .unwrap_or_default();
    let addr = PciAddr::parse_sysfs(name);
    let gpu = machine
        .gpus
        .iter()
        .position(|g| addr.is_some() && g.pci == addr);
    match (f.driver.as_deref(), gpu) {
        (None, _) => Check::fail(
            check,
            format!("display device {name}{ids} has no driver bound"),
            sys.hint(
                "install and load its driver (lspci -k shows the kernel modules that could drive \
                 it; check modprobe blacklists)",
                "NVIDIA: services.xserver.videoDrivers = [ \"nvidia\" ] loads its driver; check \
                 boot.blacklistedKernelModules (lspci -k, from pciutils, shows the modules that \
                 could drive it)",
            ),
        ),
        (Some(d), Some(i)) => Check::ok(check, format!("{d} drives GPU {i}")),
        (Some(d), None) if d == "vfio-pci" || d == "pci-stub" => Check::ok(
            check,
            format!("bound to {d}: reserved for virtual machines, not used here"),
        ),
        (Some(d), None) => Check::warn(
            check,
            format!("bound to {d}, but it has no DRM render node, so nothing can render on it"),
            format!(
                "see the kernel log (journalctl -k | grep -i {d}) for why the driver made no \
                 render node"
            ),
        ),
    }
}

/// Whether this user may open a GPU's render node.
pub fn render_node(node: &RenderNode, sys: System) -> Check {
    let name = format!("render_node:renderD{}", node.number);
    let shown = format!("/dev/dri/renderD{}", node.number);
    let stat = match &node.stat {
        Ok(stat) => stat,
        Err(e) => {
            return Check::fail(
                name,
                format!("{shown} ({}): {e}", node.gpu),
                "in a container or sandbox, pass /dev/dri through (flatpak --device=dri, \
                 docker --device /dev/dri)",
            );
        }
    };
    let group = &stat.group;
    let what = format!(
        "{shown}{}: mode {:04o}, owner {}, group {group}",
        if stat.char_device {
            ""
        } else {
            " (not a character device)"
        },
        stat.mode,
        stat.owner,
    );
    match &stat.access {
        Ok(()) => Check::ok(name, format!("{what}; you may open it")),
        Err(e) => {
            let hint = if stat.mode & 0o060 == 0o060 && !stat.in_group {
                match sys {
                    System::Other => format!(
                        "add yourself to group {group} (sudo usermod -aG {group} $USER), then \
                         log in again"
                    ),
                    System::NixOs => format!(
                        "add {group} to users.users.<you>.extraGroups, nixos-rebuild switch, \
                         then log in again"
                    ),
                }
            } else {
                "check the udev rules for /dev/dri: render nodes are normally 0666, or 0660 \
                 root:render with a logind uaccess ACL"
                    .to_owned()
            };
            let not_in_group = if stat.in_group {
                ""
            } else {
                ", and you are not in its group"
            };
            Check::fail(
                name,
                format!("{what}; you may not open it ({e}){not_in_group}"),
                hint,
            )
        }
    }
}

/// A non-default discrete GPU with `power/control` = `on` never sleeps
/// (battery drain); `None` when `power/control` cannot be read.
pub fn runtime_pm(p: &PowerControl, sys: System) -> Option<Check> {
    let name = format!("runtime_pm:{}", p.addr);
    let status = p.status.as_deref().unwrap_or("unknown");
    Some(match p.control.as_deref()? {
        "auto" => Check::ok(
            name,
            format!("power/control = auto; runtime status {status}"),
        ),
        control => Check::warn(
            name,
            format!(
                "power/control = {control}; runtime status {status}: {} never sleeps",
                p.gpu
            ),
            match (p.nvidia, sys) {
                (true, System::Other) => {
                    "for Turing and newer laptop GPUs: options nvidia \
                     NVreg_DynamicPowerManagement=0x02 in /etc/modprobe.d, plus NVIDIA's udev \
                     rules that set power/control to auto"
                }
                (true, System::NixOs) => {
                    "for Turing and newer laptop GPUs: hardware.nvidia.powerManagement.finegrained \
                     = true (with hardware.nvidia.prime.offload.enable = true)"
                }
                (false, System::Other) => {
                    "set power/control to auto with a udev rule (ATTR{power/control}=\"auto\") or \
                     TLP's RUNTIME_PM_ON_BAT"
                }
                (false, System::NixOs) => {
                    "set power/control to auto with services.udev.extraRules \
                     (ATTR{power/control}=\"auto\") or services.tlp's RUNTIME_PM_ON_BAT"
                }
            },
        ),
    })
}

/// GPU selection variables exported session-wide, which fight gpu-launch in
/// every program it does not start, and driver-list overrides, which it never
/// removes.
pub fn environment(e: &EnvFacts, sys: System) -> Check {
    let where_ = &sys.hint(
        "remove them from your shell profile, environment.d, or the compositor's config \
         (Hyprland: env = ...)",
        "remove them from environment.sessionVariables or environment.variables (Home Manager: \
         home.sessionVariables), your shell profile, or the compositor's config (Hyprland: env = \
         ...)",
    );
    if !e.broken.is_empty() {
        return Check::fail(
            "environment",
            format!(
                "set session-wide and naming files that do not exist ({}): EGL or Vulkan fails \
                 for every program",
                e.broken.join(", ")
            ),
            where_,
        );
    }
    if e.selection.is_empty() && e.overrides.is_empty() {
        return Check::ok(
            "environment",
            "no GPU selection variable is set session-wide",
        );
    }
    let mut detail = String::from("set session-wide:");
    if !e.selection.is_empty() {
        let _ = write!(
            detail,
            " {} (gpu-launch removes them for the programs it starts; every other program \
             inherits them)",
            e.selection.join(", ")
        );
    }
    if !e.overrides.is_empty() {
        let _ = write!(
            detail,
            " {} (they replace the driver list of every program, including those gpu-launch \
             starts)",
            e.overrides.join(", ")
        );
    }
    Check::warn("environment", detail, where_)
}

/// Thunderbolt devices the user has not authorised: their PCIe tunnel, and
/// so an eGPU behind it, stays absent.
pub fn thunderbolt(devices: &[TbDevice], sys: System) -> Vec<Check> {
    let mut out: Vec<Check> = devices
        .iter()
        .filter(|d| d.authorized.as_deref() == Some("0"))
        .map(|d| {
            Check::warn(
                format!("thunderbolt:{}", d.name),
                format!(
                    "Thunderbolt device {} ({}) is not authorised: an eGPU behind it stays \
                     absent",
                    d.name, d.label
                ),
                sys.hint(
                    "boltctl list, then boltctl authorize (once) or boltctl enroll (always) its \
                     UUID",
                    "services.hardware.bolt.enable = true; then boltctl list, and boltctl \
                     authorize (once) or boltctl enroll (always) its UUID",
                ),
            )
        })
        .collect();
    let authorised = devices
        .iter()
        .filter(|d| d.authorized.as_deref().is_some_and(|a| a != "0"))
        .count();
    if out.is_empty() && authorised > 0 {
        out.push(Check::ok(
            "thunderbolt",
            format!("{authorised} Thunderbolt device(s), all authorised"),
        ));
    }
    out
}

/// The config files gpu-launch would read, and whether they load: a file a
/// launch skips (malformed, an unknown key, a bad SPEC, untrusted, a
/// missing `$GPU_LAUNCH_CONFIG`) fails, as does an unusable `--config FILE`.
pub fn config(paths: &[PathBuf], loaded: &Result<Loaded>, sys: System) -> Check {
    match loaded {
        Ok(l) if !l.warnings.is_empty() => Check::fail(
            "config",
            l.warnings.join("; "),
            sys.hint(
                "fix what it names (man gpu-launch, CONFIGURATION); until then launches go on \
                 without that file, and exit 125 under --strict",
                "fix what it names (man gpu-launch, CONFIGURATION; /etc/gpu-launch/config.toml \
                 comes from programs.gpu-launch.settings); until then launches go on without \
                 that file, and exit 125 under --strict",
            ),
        ),
        Ok(Loaded { config: c, .. }) if c.files.is_empty() => {
            let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            Check::ok(
                "config",
                format!(
                    "no config file ({} not found); the defaults apply",
                    paths.join(", ")
                ),
            )
        }
        Ok(Loaded { config: c, .. }) => {
            let files: Vec<String> = c.files.iter().map(|p| p.display().to_string()).collect();
            Check::ok("config", format!("read {}", files.join(", ")))
        }
        Err(e) => Check::fail(
            "config",
            e.to_string(),
            sys.hint(
                "fix the file (man gpu-launch, CONFIGURATION) or leave out --config; until then \
                 every command with this --config exits 125",
                "fix the file (man gpu-launch, CONFIGURATION) or leave out --config; \
                 /etc/gpu-launch/config.toml comes from programs.gpu-launch.settings",
            ),
        ),
    }
}

/// The session state: usable, absent (normal), or unusable (a launch
/// ignores it with a warning, and `--mode`/`--next` are refused).
pub fn session(fact: &SessionFact) -> Check {
    match fact {
        SessionFact::NoRuntimeDir => Check::ok(
            "session",
            "XDG_RUNTIME_DIR is unset, empty or relative: no session state (mode hybrid); \
             --mode and --next need it",
        ),
        SessionFact::Usable { dir, mode, next } => Check::ok(
            "session",
            format!(
                "mode {mode}; next launch: {} ({})",
                next.as_deref().unwrap_or("as usual"),
                dir.display()
            ),
        ),
        SessionFact::Unusable(why) => Check::fail(
            "session",
            format!("unusable session state: {why}"),
            "until it is fixed, launches ignore it (mode hybrid, no --next) with a warning (125 \
             under --strict) and --mode/--next exit 125; after su or sudo, XDG_RUNTIME_DIR may \
             still name the first user's directory: unset it or set it to your own",
        ),
    }
}

/// `GPU_LAUNCH_GPU`, when set: a SPEC that does not parse fails (launches
/// ignore it).
pub fn gpu_launch_gpu(verdict: &std::result::Result<String, String>) -> Check {
    match verdict {
        Ok(spec) => Check::ok(
            "gpu_launch_gpu",
            format!("GPU_LAUNCH_GPU chooses '{spec}' for every launch without --gpu"),
        ),
        Err(why) => Check::fail(
            "gpu_launch_gpu",
            why.clone(),
            "set GPU_LAUNCH_GPU to a SPEC (gpu-launch --help lists them) or unset it; until \
             then launches ignore it, and exit 125 under --strict",
        ),
    }
}

/// On NixOS: the options that set up PRIME offload, with this machine's
/// PCI bus ids in the decimal form NixOS takes (writing lspci's hex there
/// is the common mistake), and the module that installs gpu-launch.
/// `nvidia`: an NVIDIA GPU the desktop is not on; `default`: the default
/// GPU's vendor and address.
pub fn nixos(nvidia: Option<PciAddr>, default: Option<(&str, PciAddr)>) -> Check {
    let mut hint = String::new();
    if let Some(nvidia) = nvidia {
        let _ = write!(
            hint,
            "hardware.nvidia.prime.offload.enable = true; hardware.nvidia.prime.nvidiaBusId = \
             \"{}\"; ",
            xorg_bus_id(nvidia)
        );
        let option = match default {
            Some(("intel", pci)) => Some(("intelBusId", pci)),
            Some(("amd", pci)) => Some(("amdgpuBusId", pci)),
            _ => None,
        };
        if let Some((option, pci)) = option {
            let _ = write!(
                hint,
                "hardware.nvidia.prime.{option} = \"{}\"; ",
                xorg_bus_id(pci)
            );
        }
    }
    hint.push_str(
        "programs.gpu-launch.enable = true installs gpu-launch, and programs.gpu-launch.settings \
         writes /etc/gpu-launch/config.toml",
    );
    Check::ok(
        "nixos",
        "NixOS: the hints name the options to set in configuration.nix (then nixos-rebuild \
         switch)",
    )
    .hint(hint)
}

/// A PCI address in the Xorg and NixOS form: `PCI:bus:device:function`,
/// decimal (`PCI:bus@domain:device:function` outside domain 0).
pub fn xorg_bus_id(pci: PciAddr) -> String {
    if pci.domain == 0 {
        format!("PCI:{}:{}:{}", pci.bus, pci.device, pci.function)
    } else {
        format!(
            "PCI:{}@{}:{}:{}",
            pci.bus, pci.domain, pci.device, pci.function
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Verdict;
    use crate::doctor::read::NodeStat;

    fn node(mode: u32, in_group: bool, access: Result<(), String>) -> RenderNode {
        RenderNode {
            number: 129,
            gpu: "0000:01:00.0 nvidia (nvidia) renderD129".into(),
            stat: Ok(NodeStat {
                char_device: true,
                mode,
                owner: "root".into(),
                group: "render".into(),
                in_group,
                access,
            }),
        }
    }

    #[test]
    fn a_render_node_the_user_may_not_open_fails_with_the_right_hint() {
        let ok = render_node(&node(0o666, false, Ok(())), System::Other);
        assert_eq!(ok.verdict, Verdict::Ok, "{ok:?}");
        let denied = Err("EACCES: Permission denied".to_owned());
        let c = render_node(&node(0o660, false, denied.clone()), System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.ends_with("and you are not in its group"), "{c:?}");
        assert!(c.hint.contains("usermod -aG render"), "{c:?}");
        // In the group and still denied: the udev rules, not the group.
        let c = render_node(&node(0o660, true, denied), System::Other);
        assert!(c.hint.starts_with("check the udev rules"), "{c:?}");
        let missing = RenderNode {
            stat: Err("No such file or directory".into()),
            ..node(0, false, Ok(()))
        };
        let c = render_node(&missing, System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.hint.contains("--device=dri"), "{c:?}");
    }

    #[test]
    fn runtime_pm_warns_only_when_the_gpu_never_sleeps() {
        let p = |control: Option<&str>, nvidia| PowerControl {
            addr: PciAddr::new(0, 1, 0, 0),
            gpu: "0000:01:00.0 nvidia (nvidia) renderD129".into(),
            nvidia,
            status: Some("active".into()),
            control: control.map(str::to_owned),
        };
        assert_eq!(
            runtime_pm(&p(Some("auto"), true), System::Other)
                .unwrap()
                .verdict,
            Verdict::Ok
        );
        let c = runtime_pm(&p(Some("on"), true), System::Other).unwrap();
        assert_eq!(c.verdict, Verdict::Warn);
        assert!(c.hint.contains("NVreg_DynamicPowerManagement"), "{c:?}");
        assert!(
            runtime_pm(&p(Some("on"), false), System::Other)
                .unwrap()
                .hint
                .contains("udev rule")
        );
        assert_eq!(runtime_pm(&p(None, true), System::Other), None);
    }

    #[test]
    fn environment_overrides_naming_missing_files_fail() {
        assert_eq!(
            environment(&EnvFacts::default(), System::Other).verdict,
            Verdict::Ok
        );
        let set = EnvFacts {
            selection: vec!["DRI_PRIME"],
            overrides: vec!["VK_ICD_FILENAMES"],
            broken: Vec::new(),
        };
        let c = environment(&set, System::Other);
        assert_eq!(c.verdict, Verdict::Warn);
        assert!(
            c.detail.contains("DRI_PRIME (gpu-launch removes them"),
            "{c:?}"
        );
        let broken = EnvFacts {
            broken: vec!["VK_ICD_FILENAMES: /nope.json".into()],
            ..set
        };
        let c = environment(&broken, System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.contains("/nope.json"), "{c:?}");
    }

    #[test]
    fn unusable_session_state_fails_and_says_what_launches_do() {
        let c = session(&SessionFact::NoRuntimeDir);
        assert_eq!(c.verdict, Verdict::Ok);
        let c = session(&SessionFact::Usable {
            dir: "/run/user/1000/gpu-launch".into(),
            mode: "integrated".into(),
            next: Some("nvidia".into()),
        });
        assert_eq!(c.verdict, Verdict::Ok);
        assert_eq!(
            c.detail,
            "mode integrated; next launch: nvidia (/run/user/1000/gpu-launch)"
        );
        let why =
            "refusing /run/user/1000: it is owned by uid 1000, neither you (uid 1001) nor root";
        let c = session(&SessionFact::Unusable(why.into()));
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.ends_with(why), "{c:?}");
        assert!(
            c.hint.contains("launches ignore it") && c.hint.contains("su"),
            "{c:?}"
        );
    }

    #[test]
    fn thunderbolt_names_each_unauthorised_device() {
        let dev = |name: &str, authorized: Option<&str>| TbDevice {
            name: name.into(),
            authorized: authorized.map(str::to_owned),
            label: "Razer Core X".into(),
        };
        assert!(thunderbolt(&[], System::Other).is_empty());
        let ok = thunderbolt(&[dev("0-1", Some("1")), dev("0-0", None)], System::Other);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].detail, "1 Thunderbolt device(s), all authorised");
        let c = thunderbolt(
            &[dev("0-1", Some("0")), dev("0-3", Some("1"))],
            System::Other,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].name.as_str(), c[0].verdict),
            ("thunderbolt:0-1", Verdict::Warn)
        );
        assert!(
            c[0].detail.contains("(Razer Core X) is not authorised"),
            "{c:?}"
        );
    }

    #[test]
    fn an_unbound_display_device_fails_and_vfio_is_fine() {
        let f = |driver: Option<&str>| DisplayFunction {
            name: "0000:01:00.0".into(),
            ids: Some(("10de".into(), "28e0".into())),
            driver: driver.map(str::to_owned),
        };
        let m = Machine::default();
        let c = driver(&f(None), &m, System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(
            c.detail,
            "display device 0000:01:00.0 [10de:28e0] has no driver bound"
        );
        assert_eq!(
            driver(&f(Some("vfio-pci")), &m, System::Other).verdict,
            Verdict::Ok
        );
        assert_eq!(
            driver(&f(Some("nouveau")), &m, System::Other).verdict,
            Verdict::Warn
        );
    }

    /// Each hint that names packages or files of other distributions names
    /// the NixOS option instead on NixOS, and never the other way round.
    #[test]
    fn on_nixos_the_hints_name_options_not_packages() {
        use crate::details::nvml::Outcome;
        use crate::doctor::offload;
        use crate::doctor::read::NvidiaFacts;

        let missing = NvidiaFacts {
            modeset: Some("N".into()),
            has_drm: true,
            wayland: true,
            library_dirs: vec!["/run/opengl-driver/lib".into()],
            glx_library: None,
            egl_vendor_file: None,
            vulkan_icd: None,
            optimus_layer: None,
        };
        let unavailable = Outcome::Unavailable {
            library: "libnvidia-ml.so.1".into(),
            error: "not found".into(),
        };
        let group = node(0o660, false, Err("EACCES".into()));
        let power = PowerControl {
            addr: PciAddr::new(0, 1, 0, 0),
            gpu: "0000:01:00.0 nvidia (nvidia) renderD129".into(),
            nvidia: true,
            status: Some("active".into()),
            control: Some("on".into()),
        };
        let env = EnvFacts {
            selection: vec!["DRI_PRIME"],
            ..EnvFacts::default()
        };
        let tb = TbDevice {
            name: "0-1".into(),
            authorized: Some("0".into()),
            label: "Razer Core X".into(),
        };
        let unbound = DisplayFunction {
            name: "0000:01:00.0".into(),
            ids: None,
            driver: None,
        };
        let hints = |sys: System| -> Vec<(String, String)> {
            let mut checks = offload::nvidia(&missing, &unavailable, sys);
            checks.push(render_node(&group, sys));
            checks.extend(runtime_pm(&power, sys));
            checks.push(offload::mesa_device_select(&None, sys));
            checks.push(environment(&env, sys));
            checks.extend(thunderbolt(std::slice::from_ref(&tb), sys));
            checks.push(driver(&unbound, &Machine::default(), sys));
            checks.push(gpus(&Machine::default(), &[], sys));
            checks.into_iter().map(|c| (c.name, c.hint)).collect()
        };
        let expect = [
            (
                "nvidia_drm_modeset",
                "hardware.nvidia.modesetting.enable = true",
            ),
            ("nvml", "services.xserver.videoDrivers = [ \"nvidia\" ]"),
            ("glx_vendor_library", "hardware.graphics.enable = true"),
            ("egl_vendor_file", "hardware.graphics.enable = true"),
            ("vulkan_icd", "hardware.graphics.enable = true"),
            ("vulkan_optimus_layer", "hardware.graphics.enable = true"),
            ("render_node:renderD129", "users.users.<you>.extraGroups"),
            (
                "runtime_pm:0000:01:00.0",
                "hardware.nvidia.powerManagement.finegrained = true",
            ),
            (
                "mesa_device_select_layer",
                "hardware.graphics.enable = true",
            ),
            ("environment", "environment.sessionVariables"),
            ("thunderbolt:0-1", "services.hardware.bolt.enable = true"),
            ("driver:0000:01:00.0", "services.xserver.videoDrivers"),
            ("gpus", "services.xserver.videoDrivers"),
        ];
        let nixos = hints(System::NixOs);
        let other = hints(System::Other);
        assert_eq!(nixos.len(), expect.len(), "{nixos:?}");
        for ((name, hint), (want_name, option)) in nixos.iter().zip(expect) {
            assert_eq!(name, want_name);
            assert!(hint.contains(option), "{name}: {hint}");
            for package in [
                "Debian",
                "Arch",
                "apt-get",
                "usermod",
                "modprobe.d",
                "/etc/",
            ] {
                assert!(!hint.contains(package), "{name} names {package}: {hint}");
            }
        }
        // Elsewhere the packages and files, never an option.
        for (name, hint) in &other {
            assert!(!hint.contains(".enable"), "{name}: {hint}");
            assert!(!hint.contains("nixos"), "{name}: {hint}");
        }
        let other_hint = |name: &str| &other.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(other_hint("glx_vendor_library").contains("Debian: libglx-nvidia0"));
        assert!(other_hint("render_node:renderD129").contains("usermod -aG render"));
    }

    #[test]
    fn nixos_check_gives_the_prime_bus_ids_in_decimal() {
        let nvidia = PciAddr::new(0, 0x3c, 0, 0);
        let intel = PciAddr::new(0, 0, 2, 0);
        let c = nixos(Some(nvidia), Some(("intel", intel)));
        assert_eq!(c.verdict, Verdict::Ok);
        assert!(
            c.hint.starts_with(
                "hardware.nvidia.prime.offload.enable = true; \
                 hardware.nvidia.prime.nvidiaBusId = \"PCI:60:0:0\"; \
                 hardware.nvidia.prime.intelBusId = \"PCI:0:2:0\"; "
            ),
            "{c:?}"
        );
        assert!(
            c.hint.contains("programs.gpu-launch.enable = true"),
            "{c:?}"
        );
        let amd = PciAddr::new(0, 0x65, 0, 0);
        let c = nixos(Some(nvidia), Some(("amd", amd)));
        assert!(c.hint.contains("amdgpuBusId = \"PCI:101:0:0\""), "{c:?}");
        // No NVIDIA GPU to offload to: only the module.
        let c = nixos(None, Some(("intel", intel)));
        assert!(c.hint.starts_with("programs.gpu-launch.enable"), "{c:?}");
        // The decimal form reads back as the address, domains included.
        for pci in [nvidia, amd, PciAddr::new(1, 0xff, 31, 7)] {
            assert_eq!(PciAddr::parse_xorg(&xorg_bus_id(pci)), Some(pci));
        }
        assert_eq!(xorg_bus_id(PciAddr::new(1, 2, 3, 4)), "PCI:2@1:3:4");
    }

    #[test]
    fn a_skipped_config_file_or_a_bad_gpu_launch_gpu_fails() {
        use crate::config::Config;
        let paths = [PathBuf::from("/etc/gpu-launch/config.toml")];
        let fine = Ok(Loaded::default());
        let c = config(&paths, &fine, System::Other);
        assert_eq!(c.verdict, Verdict::Ok);
        assert!(c.detail.contains("no config file"), "{c:?}");
        let read = Ok(Loaded {
            config: Config {
                files: paths.to_vec(),
                ..Config::default()
            },
            warnings: Vec::new(),
        });
        assert_eq!(config(&paths, &read, System::Other).verdict, Verdict::Ok);
        let skipped = Ok(Loaded {
            config: Config::default(),
            warnings: vec!["config file /x is ignored: it is writable by others".into()],
        });
        let c = config(&paths, &skipped, System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.contains("/x is ignored"), "{c:?}");
        assert!(c.hint.contains("--strict"), "{c:?}");
        let explicit = Err(crate::error::Error::ConfigSyntax {
            path: "/c.toml".into(),
            line: 2,
            column: 1,
            message: "unknown key 'x'".into(),
        });
        let c = config(&paths, &explicit, System::Other);
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(c.detail, "/c.toml:2:1: unknown key 'x'");
        assert!(c.hint.contains("--config"), "{c:?}");

        assert_eq!(gpu_launch_gpu(&Ok("nvidia".into())).verdict, Verdict::Ok);
        let c = gpu_launch_gpu(&Err("GPU_LAUNCH_GPU is ignored: ...".into()));
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(c.name, "gpu_launch_gpu");
    }
}
