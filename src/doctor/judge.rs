//! `--doctor`'s verdicts: pure functions from the facts `read` gathered
//! (and the machine) to checks, so each judgement is tested with a
//! hand-built input. Those of the driver pieces offload loads are in
//! [`offload`].

use std::fmt::Write as _;

use crate::decide::select;
use crate::decide::spec::Spec;
use crate::details::Gathered;
use crate::detect::pci::PciAddr;
use crate::detect::{Details, Machine};
use crate::doctor::Check;
use crate::doctor::offload;
use crate::doctor::read::{
    DATA_ROOT_VAR, DisplayFunction, EnvFacts, Facts, PowerControl, RenderNode, SessionFact,
    TbDevice,
};

/// Every check, in the order they are printed.
pub fn checks(machine: &Machine, gathered: &Gathered, facts: &Facts) -> Vec<Check> {
    let mut out = vec![gpus(machine, &gathered.details)];
    out.extend(facts.display_functions.iter().map(|f| driver(f, machine)));
    match &facts.render_nodes {
        Some(nodes) => out.extend(nodes.iter().map(render_node)),
        None => out.push(Check::warn(
            "render_nodes",
            "not checked on a fake machine (GPU_LAUNCH_SYSFS_ROOT is set)",
            format!("set {DATA_ROOT_VAR}=DIR to check DIR/dev/dri instead"),
        )),
    }
    out.extend(facts.power.iter().filter_map(runtime_pm));
    if let Some(n) = &facts.nvidia {
        out.extend(offload::nvidia(n, &gathered.nvml));
    }
    out.extend(
        facts
            .mesa_device_select
            .as_ref()
            .map(offload::mesa_device_select),
    );
    out.push(environment(&facts.environment));
    out.extend(thunderbolt(&facts.thunderbolt));
    out.push(config(facts));
    out.push(session(&facts.session));
    out
}

/// GPUs found, which is the default and why, and what `auto` picks.
pub fn gpus(machine: &Machine, details: &[Details]) -> Check {
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

/// A display-class PCI function: bound to a driver that made it a GPU, or
/// not.
pub fn driver(f: &DisplayFunction, machine: &Machine) -> Check {
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
            format!(
                "see the kernel log (journalctl -k | grep -i {d}) for why the driver made no \
                 render node"
            ),
        ),
    }
}

/// Whether this user may open a GPU's render node.
pub fn render_node(node: &RenderNode) -> Check {
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
                format!(
                    "add yourself to group {group} (sudo usermod -aG {group} $USER), then log \
                     in again"
                )
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
pub fn runtime_pm(p: &PowerControl) -> Option<Check> {
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
            if p.nvidia {
                "for Turing and newer laptop GPUs: options nvidia NVreg_DynamicPowerManagement=0x02 \
                 in /etc/modprobe.d, plus NVIDIA's udev rules that set power/control to auto"
            } else {
                "set power/control to auto with a udev rule (ATTR{power/control}=\"auto\") or TLP's \
                 RUNTIME_PM_ON_BAT"
            },
        ),
    })
}

/// GPU selection variables exported session-wide, which fight gpu-launch in
/// every program it does not start, and driver-list overrides, which it never
/// removes.
pub fn environment(e: &EnvFacts) -> Check {
    let where_ = "remove them from your shell profile, environment.d, or the compositor's config \
                  (Hyprland: env = ...)";
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
pub fn thunderbolt(devices: &[TbDevice]) -> Vec<Check> {
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
                "boltctl list, then boltctl authorize (once) or boltctl enroll (always) its UUID",
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

/// The config files gpu-launch would read, and whether they load.
pub fn config(facts: &Facts) -> Check {
    match &facts.config {
        Ok(c) if c.files.is_empty() => {
            let paths: Vec<String> = facts
                .config_paths
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
            "until it is fixed, launches ignore it (mode hybrid, no --next) with a warning and \
             --mode/--next exit 125; after su or sudo, XDG_RUNTIME_DIR may still name the first \
             user's directory: unset it or set it to your own",
        ),
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
        let ok = render_node(&node(0o666, false, Ok(())));
        assert_eq!(ok.verdict, Verdict::Ok, "{ok:?}");
        let denied = Err("EACCES: Permission denied".to_owned());
        let c = render_node(&node(0o660, false, denied.clone()));
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.ends_with("and you are not in its group"), "{c:?}");
        assert!(c.hint.contains("usermod -aG render"), "{c:?}");
        // In the group and still denied: the udev rules, not the group.
        let c = render_node(&node(0o660, true, denied));
        assert!(c.hint.starts_with("check the udev rules"), "{c:?}");
        let missing = RenderNode {
            stat: Err("No such file or directory".into()),
            ..node(0, false, Ok(()))
        };
        let c = render_node(&missing);
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
            runtime_pm(&p(Some("auto"), true)).unwrap().verdict,
            Verdict::Ok
        );
        let c = runtime_pm(&p(Some("on"), true)).unwrap();
        assert_eq!(c.verdict, Verdict::Warn);
        assert!(c.hint.contains("NVreg_DynamicPowerManagement"), "{c:?}");
        assert!(
            runtime_pm(&p(Some("on"), false))
                .unwrap()
                .hint
                .contains("udev rule")
        );
        assert_eq!(runtime_pm(&p(None, true)), None);
    }

    #[test]
    fn environment_overrides_naming_missing_files_fail() {
        assert_eq!(environment(&EnvFacts::default()).verdict, Verdict::Ok);
        let set = EnvFacts {
            selection: vec!["DRI_PRIME"],
            overrides: vec!["VK_ICD_FILENAMES"],
            broken: Vec::new(),
        };
        let c = environment(&set);
        assert_eq!(c.verdict, Verdict::Warn);
        assert!(
            c.detail.contains("DRI_PRIME (gpu-launch removes them"),
            "{c:?}"
        );
        let broken = EnvFacts {
            broken: vec!["VK_ICD_FILENAMES: /nope.json".into()],
            ..set
        };
        let c = environment(&broken);
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.detail.contains("/nope.json"), "{c:?}");
    }

    #[test]
    fn unusable_session_state_fails_and_says_what_launches_do() {
        let c = session(&SessionFact::NoRuntimeDir);
        assert_eq!(c.verdict, Verdict::Ok);
        let c = session(&SessionFact::Usable {
            dir: "/run/user/1000/gpu-launch".into(),
            mode: "integrated",
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
        assert!(thunderbolt(&[]).is_empty());
        let ok = thunderbolt(&[dev("0-1", Some("1")), dev("0-0", None)]);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].detail, "1 Thunderbolt device(s), all authorised");
        let c = thunderbolt(&[dev("0-1", Some("0")), dev("0-3", Some("1"))]);
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
        let c = driver(&f(None), &m);
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(
            c.detail,
            "display device 0000:01:00.0 [10de:28e0] has no driver bound"
        );
        assert_eq!(driver(&f(Some("vfio-pci")), &m).verdict, Verdict::Ok);
        assert_eq!(driver(&f(Some("nouveau")), &m).verdict, Verdict::Warn);
    }
}
