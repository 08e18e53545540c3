//! The verdicts on the user-space pieces PRIME render offload loads:
//! nvidia-drm modesetting, NVML, NVIDIA's GLX, EGL and Vulkan manifests, and
//! Mesa's device-select layer. Pure, like the rest of [`super::judge`].

use std::path::PathBuf;

use crate::details::nvml::{self, Outcome};
use crate::doctor::read::{
    EGL_VENDOR_DIRS, NvidiaFacts, System, VULKAN_ICD_DIRS, VULKAN_IMPLICIT_LAYER_DIRS,
};
use crate::doctor::{Check, Verdict};

/// The NVIDIA checks: nvidia-drm modesetting, NVML, and the GLX, EGL and
/// Vulkan pieces PRIME render offload loads.
pub fn nvidia(n: &NvidiaFacts, outcome: &Outcome, sys: System) -> Vec<Check> {
    let modeset_hint = sys.hint(
        "add nvidia_drm.modeset=1 to the kernel command line (or options nvidia_drm modeset=1 in \
         /etc/modprobe.d) and reboot",
        NIXOS_MODESET,
    );
    // On NixOS every user-space piece comes from the driver package in
    // /run/opengl-driver.
    let pieces = |other: &str| sys.hint(other, NIXOS_DRIVER);
    let modeset = match n.modeset.as_deref() {
        Some("Y" | "1") => Check::ok("nvidia_drm_modeset", "nvidia_drm.modeset = Y"),
        Some(other) => Check::warn(
            "nvidia_drm_modeset",
            format!(
                "nvidia_drm.modeset = {other}: Wayland compositors and XWayland cannot offload \
                 to the NVIDIA GPU"
            ),
            &modeset_hint,
        ),
        None if n.has_drm => Check::warn(
            "nvidia_drm_modeset",
            "nvidia-drm made DRM nodes, but module/nvidia_drm/parameters/modeset cannot be read",
            &modeset_hint,
        ),
        None => Check::new(
            "nvidia_drm_modeset",
            if n.wayland {
                Verdict::Fail
            } else {
                Verdict::Warn
            },
            "nvidia-drm is not loaded: the NVIDIA GPU has no DRM render node, so Wayland \
             sessions (EGL, Vulkan, Chromium's render node) cannot offload to it; X11 GLX \
             offload still works",
        )
        .hint(sys.hint(
            "sudo modprobe nvidia-drm modeset=1, and add nvidia_drm.modeset=1 to the kernel \
             command line",
            NIXOS_MODESET,
        )),
    };
    let found = |name: &str, detail: &str, path: &Option<PathBuf>, missing: Check| match path {
        Some(p) => Check::ok(name, format!("{detail}: {}", p.display())),
        None => missing,
    };
    vec![
        modeset,
        nvml_check(outcome, sys),
        found(
            "glx_vendor_library",
            "NVIDIA's GLX library",
            &n.glx_library,
            Check::fail(
                "glx_vendor_library",
                format!(
                    "libGLX_nvidia.so.0 not found in {}: with __GLX_VENDOR_LIBRARY_NAME=nvidia, \
                     libglvnd silently falls back to Mesa",
                    n.library_dirs.join(", ")
                ),
                pieces(
                    "install the NVIDIA driver's GL libraries (Debian: libglx-nvidia0, Arch: \
                     nvidia-utils) in the same version as the kernel module",
                ),
            ),
        ),
        found(
            "egl_vendor_file",
            "NVIDIA's EGL vendor file",
            &n.egl_vendor_file,
            Check::fail(
                "egl_vendor_file",
                format!(
                    "10_nvidia.json not found in {}: EGL programs cannot use the NVIDIA GPU",
                    EGL_VENDOR_DIRS.join(", ")
                ),
                pieces(
                    "install the NVIDIA driver's EGL library (Debian: libegl-nvidia0, Arch: \
                     nvidia-utils)",
                ),
            ),
        ),
        found(
            "vulkan_icd",
            "NVIDIA's Vulkan driver manifest",
            &n.vulkan_icd,
            Check::fail(
                "vulkan_icd",
                format!(
                    "nvidia_icd.json not found in {}: Vulkan programs cannot see the NVIDIA GPU",
                    VULKAN_ICD_DIRS.join(", ")
                ),
                pieces(
                    "install the NVIDIA driver's Vulkan ICD (Debian: nvidia-vulkan-icd, Arch: \
                     nvidia-utils)",
                ),
            ),
        ),
        found(
            "vulkan_optimus_layer",
            "NVIDIA's optimus layer manifest",
            &n.optimus_layer,
            Check::warn(
                "vulkan_optimus_layer",
                format!(
                    "nvidia_layers.json not found in {}: __VK_LAYER_NV_optimus has no effect \
                     and Vulkan programs see every GPU",
                    VULKAN_IMPLICIT_LAYER_DIRS.join(", ")
                ),
                pieces(
                    "install the NVIDIA driver's Vulkan ICD package, which ships the layer \
                     (Debian: nvidia-vulkan-icd)",
                ),
            ),
        ),
    ]
}

/// What NixOS needs for nvidia-drm modesetting.
const NIXOS_MODESET: &str = "hardware.nvidia.modesetting.enable = true, then nixos-rebuild \
                             switch and reboot";

/// Where NixOS gets the NVIDIA driver's GLX, EGL, Vulkan and NVML pieces.
const NIXOS_DRIVER: &str = "hardware.graphics.enable = true (before NixOS 24.11: \
                            hardware.opengl.enable) and services.xserver.videoDrivers = [ \
                            \"nvidia\" ]: they put the driver's libraries and manifests in \
                            /run/opengl-driver";

/// What became of NVML.
pub fn nvml_check(outcome: &Outcome, sys: System) -> Check {
    match outcome {
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
            sys.hint(
                "install the driver's NVML library (Debian: libnvidia-ml1, Arch: nvidia-utils); \
                 after a driver update, reboot (driver/library version mismatch)",
                &format!(
                    "{NIXOS_DRIVER}; after a driver update, reboot (driver/library version \
                     mismatch)"
                ),
            ),
        ),
        Outcome::NotNeeded => Check::ok("nvml", "no GPU is driven by nvidia"),
    }
}

/// Mesa's device-select layer, through which `DRI_PRIME` reaches Vulkan
/// (asked for only when some non-default GPU is not driven by nvidia).
pub fn mesa_device_select(found: &Option<PathBuf>, sys: System) -> Check {
    match found {
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
            sys.hint(
                "install Mesa's Vulkan drivers (Debian: mesa-vulkan-drivers, Arch: \
                 vulkan-mesa-layers)",
                "hardware.graphics.enable = true (before NixOS 24.11: hardware.opengl.enable): \
                 Mesa's drivers and layers go to /run/opengl-driver",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_drm_without_modeset_fails_only_under_wayland() {
        let facts = |modeset: Option<&str>, has_drm, wayland| NvidiaFacts {
            modeset: modeset.map(str::to_owned),
            has_drm,
            wayland,
            library_dirs: vec!["/usr/lib".into()],
            glx_library: Some("/usr/lib/libGLX_nvidia.so.0".into()),
            egl_vendor_file: None,
            vulkan_icd: None,
            optimus_layer: None,
        };
        let verdict = |f: NvidiaFacts| nvidia(&f, &Outcome::NotNeeded, System::Other)[0].verdict;
        assert_eq!(verdict(facts(Some("Y"), true, true)), Verdict::Ok);
        assert_eq!(verdict(facts(Some("N"), true, true)), Verdict::Warn);
        assert_eq!(verdict(facts(None, true, true)), Verdict::Warn);
        assert_eq!(verdict(facts(None, false, false)), Verdict::Warn);
        assert_eq!(verdict(facts(None, false, true)), Verdict::Fail);
        let all = nvidia(
            &facts(Some("Y"), true, false),
            &Outcome::NotNeeded,
            System::Other,
        );
        let names: Vec<_> = all.iter().map(|c| (c.name.as_str(), c.verdict)).collect();
        assert_eq!(
            names,
            [
                ("nvidia_drm_modeset", Verdict::Ok),
                ("nvml", Verdict::Ok),
                ("glx_vendor_library", Verdict::Ok),
                ("egl_vendor_file", Verdict::Fail),
                ("vulkan_icd", Verdict::Fail),
                ("vulkan_optimus_layer", Verdict::Warn),
            ]
        );
    }
}
