//! Every environment variable gpu-launch reads, documented once: `--help`
//! names them and the man page's ENVIRONMENT section explains them.
//! tests/layout.rs ties this list to the variables the code actually reads
//! (a variable read but not listed, or listed but not read, fails it).
//!
//! Not listed: the selection variables a launch removes and the driver-list
//! overrides `--doctor` names (README, "What gets set"); they are what
//! gpu-launch changes or reports, not what configures it.

/// One entry: the variables (several when they work alike) and what they do.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    pub names: &'static [&'static str],
    pub doc: &'static str,
}

/// In the order the man page lists them.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar {
        names: &["GPU_LAUNCH_GPU"],
        doc: "A SPEC used when --gpu is not given (before the config file).",
    },
    EnvVar {
        names: &["GPU_LAUNCH_CONFIG"],
        doc: "A config file read instead of the default search; it must exist.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_LOG"],
        doc: "A tracing filter (for example debug): log the decision to stderr.",
    },
    EnvVar {
        names: &["AQ_DRM_DEVICES", "WLR_DRM_DEVICES", "KWIN_DRM_DEVICES"],
        doc: "The compositor's GPU list; its first entry that names a GPU is the default GPU \
              (no offload).",
    },
    EnvVar {
        names: &["HYPRLAND_INSTANCE_SIGNATURE"],
        doc: "Set by Hyprland: without AQ_DRM_DEVICES, the GPU driving the most connected \
              internal panels is the default GPU.",
    },
    EnvVar {
        names: &["PATH"],
        doc: "Where PROGRAM is looked up, as a shell does (/bin:/usr/bin when unset).",
    },
    EnvVar {
        names: &["XDG_CONFIG_HOME"],
        doc: "Where the user's config file is (default ~/.config).",
    },
    EnvVar {
        names: &["XDG_RUNTIME_DIR"],
        doc: "Where the session's mode and pending --next live (gpu-launch/ below it).",
    },
    EnvVar {
        names: &["XDG_DATA_HOME", "XDG_DATA_DIRS"],
        doc: "Where --install-desktop finds desktop files and writes overrides.",
    },
    EnvVar {
        names: &["HOME"],
        doc: "The base of the XDG defaults (~/.config, ~/.local/share).",
    },
    EnvVar {
        names: &["WAYLAND_DISPLAY", "XDG_SESSION_TYPE"],
        doc: "--doctor: whether this is a Wayland session (which needs nvidia-drm to offload).",
    },
    EnvVar {
        names: &["DBUS_SESSION_BUS_ADDRESS"],
        doc: "The session bus for desktop notifications of warnings and errors when stderr is \
              not a terminal (unset: none).",
    },
    EnvVar {
        names: &["GPU_LAUNCH_NVML_LIBRARY"],
        doc: "Load NVML from this path (details for --list, --doctor, --status).",
    },
    EnvVar {
        names: &["GPU_LAUNCH_PCI_IDS"],
        doc: "Read this pci.ids for GPU names instead of the usual places.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_SYSFS_ROOT"],
        doc: "Testing hook: read this directory instead of /sys; no /dev node is opened.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_NVIDIA_PROC"],
        doc: "Testing hook: read NVIDIA's per-GPU information (gpus/PCI/information, for the \
              /dev/nvidiaN minor of --list/--status holders) under this directory instead of \
              /proc/driver/nvidia, which is not read while GPU_LAUNCH_SYSFS_ROOT is set.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_DATA_ROOT"],
        doc: "Testing hook: --doctor looks for libraries, manifests, /dev/dri and the NixOS \
              markers (/etc/NIXOS, /etc/os-release) under this directory.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_JOURNAL_SOCKET"],
        doc: "Testing hook: send journal messages to this socket instead of journald's.",
    },
    EnvVar {
        names: &["GPU_LAUNCH_NOTIFY_DEADLINE_MS"],
        doc: "Testing hook: how long desktop notifications may take, in milliseconds (1 to 10000; default 25).",
    },
];

/// Every variable of [`ENVIRONMENT`], in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    ENVIRONMENT.iter().flat_map(|v| v.names.iter().copied())
}
