//! The man page's own sections, the ones `--help` has no room for: the SPEC
//! forms, what gets set and why, the Chromium argument, the config file,
//! where errors go, then the environment, files, exit statuses and
//! examples. The hand-written text lives here and nowhere else; the lists
//! (the selection variables, the Chromium family, the environment, the exit
//! statuses, the config keys' file) come from the code that uses them.

use roff::{Inline, Roff, bold, italic, roman};

use crate::cli::environment::ENVIRONMENT;
use crate::config::SYSTEM_CONFIG;
use crate::decide::chromium;
use crate::decide::plan::SELECTION_VARS;
use crate::error::ExitStatus;

/// A piece of a section.
enum Block {
    /// A paragraph.
    Para(&'static str),
    /// A labelled paragraph: the label in bold, then the text.
    Item(&'static str, &'static str),
    /// Lines shown as typed (a config file, a command).
    Code(&'static str),
}

use Block::{Code, Item, Para};

/// The config example: every key the config file takes.
pub const CONFIG_EXAMPLE: &str = r#"gpu = "nvidia"          # a SPEC; default "auto"
strict = false          # true: every warning is an error (status 125)
notify = "warnings"     # desktop notifications: "warnings", "errors" or "never"

[chromium]
enable = true           # the --render-node-override argument
programs = ["chromium", "google-chrome-stable", "code"]  # replaces the built-in list

[apps.blender]          # by PROGRAM's name (for flatpak run, the app id)
gpu = "discrete""#;

const SPEC: &[Block] = &[
    Para(
        "A SPEC says which GPU: after --gpu or --next, in GPU_LAUNCH_GPU, or as a gpu key of \
         the config file. gpu-launch --list shows each GPU's index, PCI address, ids, driver \
         and kind.",
    ),
    Item(
        "auto",
        "The first external GPU the desktop is not on, in PCI order; else the first such \
         discrete GPU; else the default GPU (no offload). Never an integrated or virtual GPU.",
    ),
    Item(
        "default",
        "The GPU the desktop renders on: nothing is offloaded.",
    ),
    Item(
        "discrete, integrated, external",
        "By kind. External is a Thunderbolt or USB4 eGPU (it counts as discrete too); \
         integrated is part of the CPU or SoC.",
    ),
    Item(
        "nvidia, amd, intel",
        "By vendor; with several, one the desktop is not on.",
    ),
    Item(
        "0, 1, ...",
        "By index in --list (0 is the default GPU). Indices can change between boots; configs \
         should use a PCI address.",
    ),
    Item(
        "0000:01:00.0, 01:00.0",
        "By PCI address as sysfs and lspci write it: [domain:]bus:device.function in \
         hexadecimal.",
    ),
    Item(
        "PCI:1:0:0, PCI:1@0:0:0",
        "By PCI address in the Xorg and NixOS form (hardware.nvidia.prime.nvidiaBusId): \
         bus[@domain]:device:function in decimal. PCI:60:0:0 is 0000:3c:00.0, bus 60 being \
         0x3c.",
    ),
    Item("10de:25a2", "By PCI vendor:device id, in hexadecimal."),
    Item(
        "renderD129, /dev/dri/renderD129, card1, /dev/dri/card1",
        "By DRM node.",
    ),
    Item(
        "GPU-<uuid>, name:<text>",
        "By NVML's UUID, or by a part of the GPU's name (any case); these read NVML and the \
         PCI ID database, which no other SPEC does.",
    ),
    Para(
        "A SPEC that matches several GPUs prefers one the desktop is not on, then PCI order. \
         One that matches no GPU falls back to the default GPU with a note, or fails with \
         status 125 under --strict. An unparseable --gpu SPEC is a usage error (125); one from \
         GPU_LAUNCH_GPU or a config file is ignored with a warning.",
    ),
];

const WHAT_GETS_SET: &[Block] = &[
    Para(
        "gpu-launch changes only the GPU selection variables of PROGRAM's environment; every \
         other variable passes unchanged. For the chosen GPU:",
    ),
    Item(
        "the default GPU",
        "Nothing in mode hybrid (the default); in mode integrated, only the hide-NVIDIA rule.",
    ),
    Item(
        "a GPU driven by nvidia",
        "__NV_PRIME_RENDER_OFFLOAD=1, __GLX_VENDOR_LIBRARY_NAME=nvidia and \
         __VK_LAYER_NV_optimus=NVIDIA_only: NVIDIA's PRIME render offload for GLX, EGL and \
         Vulkan. With more than one NVIDIA GPU the desktop is not on, also \
         __NV_PRIME_RENDER_OFFLOAD_PROVIDER=NVIDIA-Gk (k counts them in PCI order, from 0). \
         Plus the Vulkan rule. Offload needs nvidia-drm loaded with modeset=1; gpu-launch \
         --doctor checks it.",
    ),
    Item(
        "any other driver (amdgpu, radeon, i915, xe, nouveau, virtio_gpu, ...)",
        "DRI_PRIME=pci-DDDD_BB_SS_F, the PCI address as Mesa's GL and EGL read it; when the \
         default GPU is driven by nvidia, also __GLX_VENDOR_LIBRARY_NAME=mesa. Plus the Vulkan \
         rule and the hide-NVIDIA rule.",
    ),
    Item(
        "the Vulkan rule",
        "MESA_VK_DEVICE_SELECT=vvvv:dddd, the GPU's PCI ids, which Mesa's device-select layer \
         reads on every Mesa version: DRI_PRIME alone does not reach a Vulkan 1.0 program, and \
         Mesa before 23.1 reads it inverted. Not set when another GPU has the same ids (two \
         identical cards); Vulkan programs then rely on DRI_PRIME (Mesa 23.1 or newer) or \
         NVIDIA's layer, and a note says so.",
    ),
    Item(
        "the hide-NVIDIA rule",
        "When the chosen GPU is not driven by nvidia but another GPU is: \
         VK_LOADER_DRIVERS_DISABLE=*nvidia*, so NVIDIA's Vulkan driver never loads in PROGRAM \
         and never wakes its GPU (Vulkan loader 1.3.234 or newer).",
    ),
    Para(
        "gpu-launch never sets __EGL_VENDOR_LIBRARY_FILENAMES, VK_ICD_FILENAMES or \
         VK_DRIVER_FILES (a file that is not there breaks EGL or Vulkan); when the caller has \
         them they are kept, with a note that they can hide the chosen GPU's driver. On a \
         machine with no GPU the environment is left as it is. gpu-launch --dry-run shows the \
         plan; gpu-launch --print-env prints it for a shell.",
    ),
];

const CHROMIUM: &[Block] = &[Para(
    "Chromium and Electron programs on Wayland pick their render node themselves and ignore \
     the variables above (and opening every render node to choose wakes a sleeping GPU). When \
     PROGRAM's name is one of the Chromium family, the chosen GPU has a render node and the \
     machine has more than one GPU with one, gpu-launch inserts one argument, \
     --render-node-override=/dev/dri/renderDN of the chosen GPU, as PROGRAM's first \
     argument, the default GPU included, unless the arguments already carry one. For flatpak \
     run, the app id is looked up and the argument goes right after it. This is the one change \
     gpu-launch makes to PROGRAM's arguments. In the config file, [chromium] enable = false \
     turns it off and [chromium] programs replaces the family, which is:",
)];

const CONFIGURATION: &[Block] = &[
    Para(
        "The config file is TOML: --config FILE, else $GPU_LAUNCH_CONFIG, else \
         /etc/gpu-launch/config.toml overlaid key by key with \
         $XDG_CONFIG_HOME/gpu-launch/config.toml (~/.config when unset). Every key:",
    ),
    Code(CONFIG_EXAMPLE),
    Para(
        "The GPU comes from the first of: --gpu, GPU_LAUNCH_GPU, a pending --next, mode \
         integrated (the default GPU), [apps.NAME] gpu, the top-level gpu, auto.",
    ),
    Para(
        "A file of the search that is malformed, has an unknown key or a bad SPEC, or is not \
         trusted (writable by group or others, or owned by anyone but the user or root) is \
         skipped as a whole, with a warning naming the file, line and column or the reason; \
         the launch goes on without it (status 125 under --strict). An explicit --config FILE \
         must exist and be valid and trusted, else status 125.",
    ),
];

const DIAGNOSTICS: &[Block] = &[
    Para(
        "Errors are one line, starting \"gpu-launch: \" and naming what failed; gpu-launch then \
         exits 125 (126 or 127 for PROGRAM). Warnings (a fallback to the default GPU, a skipped \
         config file, unusable session state) let the launch go on.",
    ),
    Para(
        "Both go to stderr when it is a terminal. From a keybind or a desktop file stderr is \
         not a terminal (Hyprland sends it to /dev/null): there they go to the systemd journal \
         (journalctl --user -t gpu-launch) and appear as a desktop notification \
         (org.freedesktop.Notifications on the session bus, summary gpu-launch), so the user \
         sees why nothing started or why it ran on another GPU. The config key notify chooses \
         what is shown: \"warnings\" (the default: warnings and errors), \"errors\" or \"never\". \
         A notification never delays or stops a launch. --status and --mode (without a \
         value), which a status bar runs every few seconds, give their warnings on stderr and \
         in their output only (the text, the JSON's notes, the waybar tooltip), never in the \
         journal or as a notification.",
    ),
    Para(
        "-v or GPU_LAUNCH_LOG=debug logs the decision to stderr. gpu-launch --doctor checks the \
         machine's offload setup, with a hint for each problem.",
    ),
];

const FILES: &[Block] = &[
    Item(
        SYSTEM_CONFIG,
        "The system-wide config file (written by the NixOS module).",
    ),
    Item(
        "$XDG_CONFIG_HOME/gpu-launch/config.toml",
        "The user's config file, laid over the system one key by key.",
    ),
    Item(
        "$XDG_RUNTIME_DIR/gpu-launch/",
        "The login session's mode and pending --next: a directory of the user's own, mode \
         0700, never followed through a link.",
    ),
    Item(
        "$XDG_DATA_HOME/applications/ID.desktop",
        "Desktop-file overrides written by --install-desktop (~/.local/share when \
         XDG_DATA_HOME is unset).",
    ),
];

const EXAMPLES: &[Block] = &[
    Item(
        "gpu-launch blender",
        "Run Blender on the discrete or external GPU the desktop is not rendering on.",
    ),
    Item(
        "gpu-launch --gpu PCI:1:0:0 steam",
        "Run Steam on the GPU at PCI bus 1 (the Xorg and NixOS form, decimal).",
    ),
    Item(
        "gpu-launch --dry-run --gpu nvidia glxinfo",
        "Show what would be set and run, without running it.",
    ),
    Item(
        "eval \"$(gpu-launch --print-env --gpu amd)\"",
        "Set the offload variables in the current sh, bash or zsh.",
    ),
    Item(
        "gpu-launch --print-env --shell fish --gpu amd | source",
        "The same in fish.",
    ),
    Item(
        "gpu-launch --install-desktop chromium --gpu discrete",
        "Make the menu entry of Chromium start it on the discrete GPU.",
    ),
    Item("gpu-launch --doctor", "Check the offload setup."),
];

fn render_blocks(r: &mut Roff, blocks: &[Block]) {
    for block in blocks {
        match block {
            Para(text) => {
                r.control("PP", []);
                r.text([roman(*text)]);
            }
            Item(label, text) => item(r, label, text),
            Code(text) => {
                r.control("sp", []);
                r.control("RS", []);
                r.control("EX", []);
                for line in text.lines() {
                    r.text([roman(line)]);
                }
                r.control("EE", []);
                r.control("RE", []);
            }
        }
    }
}

/// A labelled paragraph: `.TP`, the label in bold, then the text.
fn item(r: &mut Roff, label: &str, text: &str) {
    r.control("TP", []);
    r.text([bold(label)]);
    r.text([roman(text)]);
}

/// A list of names, in bold, comma-separated.
fn names(r: &mut Roff, names: &[&str]) {
    let mut line: Vec<Inline> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(*n));
    }
    line.push(roman("."));
    r.text(line);
}

/// Every section after OPTIONS, in roff.
pub fn sections() -> String {
    let mut r = Roff::new();
    r.control("SH", ["GPU SPEC"]);
    render_blocks(&mut r, SPEC);
    r.control("SH", ["WHAT GETS SET"]);
    render_blocks(&mut r, WHAT_GETS_SET);
    r.control("PP", []);
    r.text([roman(
        "Every selection variable the plan does not set itself is removed from PROGRAM's \
         environment when the caller has it:",
    )]);
    names(&mut r, &SELECTION_VARS);
    r.control("SH", ["CHROMIUM AND ELECTRON"]);
    render_blocks(&mut r, CHROMIUM);
    names(&mut r, chromium::BUILTIN_PROGRAMS);
    r.control("SH", ["CONFIGURATION"]);
    render_blocks(&mut r, CONFIGURATION);
    r.control("SH", ["DIAGNOSTICS"]);
    render_blocks(&mut r, DIAGNOSTICS);
    r.control("SH", ["ENVIRONMENT"]);
    for var in ENVIRONMENT {
        item(&mut r, &var.names.join(", "), var.doc);
    }
    r.control("SH", ["FILES"]);
    render_blocks(&mut r, FILES);
    r.control("SH", ["EXIT STATUS"]);
    item(
        &mut r,
        "PROGRAM's own",
        &format!("{}.", ExitStatus::AFTER_EXEC),
    );
    for status in ExitStatus::ALL {
        let meaning = format!("{}.", status.meaning());
        item(&mut r, &i32::from(status).to_string(), &meaning);
    }
    r.control("SH", ["EXAMPLES"]);
    render_blocks(&mut r, EXAMPLES);
    r.control("SH", ["SEE ALSO"]);
    r.text([
        italic("prime-run"),
        roman("(1), "),
        italic("switcherooctl"),
        roman("(1), "),
        italic("env"),
        roman("(1)"),
    ]);
    r.render()
}
