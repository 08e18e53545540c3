# The settings of a gpu-launch config file, shared by the NixOS module
# (/etc/gpu-launch/config.toml) and the Home Manager module
# (~/.config/gpu-launch/config.toml).
#
# `type` is freeform TOML (pkgs.formats.toml) with the keys gpu-launch knows
# declared, typed and documented; a key left null is left out of the file,
# so gpu-launch's own default applies. gpu-launch refuses unknown keys: a key
# that only the freeform part accepts must be one that the installed
# gpu-launch knows (the NixOS module checks the file with it at build time).
#
# Arguments: lib, format (pkgs.formats.toml { }), and the default of `gpu`
# with the text the manual shows for it.
{
  lib,
  format,
  defaultGpu ? null,
  defaultGpuText ? null,
}:

let
  inherit (lib) mkOption types;

  specDoc = ''
    A GPU SPEC: `auto`, `default` (the GPU the desktop renders on, no
    offload), `discrete`, `integrated`, `external`, `nvidia`, `amd`, `intel`,
    an index from `gpu-launch --list`, a PCI address (`0000:01:00.0`, or the
    NixOS/Xorg form `PCI:1:0:0` that `hardware.nvidia.prime.nvidiaBusId`
    uses), `vendor:device` ids (`10de:25a2`) or a DRM node (`renderD129`).
    Prefer PCI forms: indices and node numbers can change between boots.
  '';

  appType = types.submodule {
    options.gpu = mkOption {
      type = types.str;
      example = "discrete";
      description = "The GPU this program runs on. ${specDoc}";
    };
  };

  # Drops nulls, then tables left empty, so gpu-launch's defaults apply.
  clean =
    value:
    if builtins.isAttrs value then
      lib.filterAttrs (_: v: v != null && v != { }) (builtins.mapAttrs (_: clean) value)
    else
      value;
in
{
  type = types.submodule {
    freeformType = format.type;
    options = {
      gpu = mkOption (
        {
          type = types.nullOr types.str;
          default = defaultGpu;
          example = "PCI:1:0:0";
          description = ''
            The GPU programs run on when neither `--gpu` nor `GPU_LAUNCH_GPU`
            nor an `apps` entry says otherwise; null leaves it to gpu-launch
            (`auto`: an external GPU, else a discrete one the desktop is not
            on). ${specDoc}
          '';
        }
        // lib.optionalAttrs (defaultGpuText != null) { defaultText = lib.literalMD defaultGpuText; }
      );
      strict = mkOption {
        type = types.nullOr types.bool;
        default = null;
        example = true;
        description = ''
          When the SPEC matches no GPU, fail (status 125) instead of running
          the program on the default GPU. Null: gpu-launch's default (false).
        '';
      };
      chromium = {
        enable = mkOption {
          type = types.nullOr types.bool;
          default = null;
          example = false;
          description = ''
            Pass `--render-node-override=/dev/dri/renderDN` to Chromium-family
            programs when offloading (Chromium on Wayland ignores the offload
            variables). Null: gpu-launch's default (true).
          '';
        };
        programs = mkOption {
          type = types.nullOr (types.listOf types.str);
          default = null;
          example = [
            "chromium"
            "google-chrome-stable"
            "code"
          ];
          description = ''
            Program basenames (or flatpak app ids) of the Chromium family;
            replaces gpu-launch's built-in list. Null: the built-in list.
          '';
        };
      };
      apps = mkOption {
        type = types.attrsOf appType;
        default = { };
        example = {
          blender.gpu = "discrete";
          steam.gpu = "PCI:1:0:0";
        };
        description = "Per-program GPU, keyed by the program's basename (or flatpak app id).";
      };
    };
  };

  inherit clean;

  # The config file for `settings`, through pkgs.formats.toml.
  generate = name: settings: format.generate name (clean settings);
}
