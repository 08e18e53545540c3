# NixOS module: `programs.gpu-launch.enable = true;` installs gpu-launch and
# writes programs.gpu-launch.settings to /etc/gpu-launch/config.toml. (The
# Home Manager module, ./home-manager.nix, has the same programs.gpu-launch
# options for one user's ~/.config/gpu-launch/config.toml.)
#
# The option path the first configuration of this project used keeps
# working as an alias (see "The hwc alias" below):
#   hwc.infrastructure.session.commands = { enable = true; gpuLaunch = true; };
# turns on programs.gpu-launch.enable, and
# hwc.infrastructure.session.commands.{settings,package} are
# programs.gpu-launch.{settings,package} under another name.
#
# The GPU default comes from the rest of the system when it says something:
#   - hwc.infrastructure.hardware.gpu.type ("nvidia", "amd", "intel", "none"):
#     settings.gpu defaults to that vendor, and "none" to "default" (no
#     offload);
#   - hardware.nvidia.prime.nvidiaBusId ("PCI:1:0:0"): with gpu.type "nvidia"
#     or no gpu.type, settings.gpu defaults to that exact address (gpu-launch
#     reads the NixOS form as it is), which picks the right card where there
#     are several; not with hardware.nvidia.prime.allowExternalGpu, where the
#     bus number of a Thunderbolt GPU changes from plug to plug.
# Neither option has to exist: this module reads another module's option only
# where the system declares it (see `declared` below), so it evaluates on any
# NixOS system, with or without the hwc tree or the NVIDIA module.
#
# Use: imports = [ ./packaging/nix/module.nix ]; (or the flake's
# nixosModules.default).
{
  config,
  lib,
  pkgs,
  options,
  ...
}:

let
  cfg = config.programs.gpu-launch;
  format = pkgs.formats.toml { };

  # The value of the option at `path`, or null when no module declares it or
  # it has no value. Walks `options`, never `config` (reading an undeclared
  # option through `config` throws). An option met before the end of the path
  # (a submodule, e.g. `gpu` declared as one option holding `type`) is read
  # through its value: the attribute `type` of an *option* is its Nix type,
  # not a value.
  declared =
    path:
    let
      walk =
        node: rest:
        if lib.isOption node then
          (
            if !node.isDefined then
              null
            else if rest == [ ] then
              node.value
            else
              let
                inner = builtins.tryEval (lib.attrByPath rest null node.value);
              in
              if inner.success then inner.value else null
          )
        else if rest == [ ] || !builtins.isAttrs node || !(node ? ${builtins.head rest}) then
          null
        else
          walk node.${builtins.head rest} (builtins.tail rest);
    in
    walk options path;

  # The hwc alias: programs.gpu-launch.enable is on when both
  # hwc.infrastructure.session.commands.enable and .gpuLaunch are.
  #
  # `gpuLaunch` is this project's own option: declared here, in full.
  #
  # `enable` is not: it switches on all of hwc's session commands, and the
  # hwc modules of a configuration may declare it themselves (as
  # mkEnableOption). Declaring it here in full too would stop such a system
  # with "The option `hwc.infrastructure.session.commands.enable' ... is
  # already declared", while not declaring it at all would stop a system
  # without those modules ("... does not exist") when its configuration sets
  # it. So it is declared here bare, a type and nothing else: the module
  # system merges several declarations of one option when at most one of
  # them has a default, an example, a description or an apply and their
  # types merge (bool with bool), so this one joins hwc's where there is one
  # and stands alone where there is not. Its default is a definition instead,
  # weaker (mkOverride 1600) than any option default (1500): off where
  # nothing else says, hwc's own default where hwc declares one, and never
  # "used but not defined". (mkAliasOptionModule and mkRenamedOptionModule
  # do not fit `enable`: they declare the old path in full, and `enable` is
  # hwc's switch, not another name of programs.gpu-launch.enable.)
  #
  # `settings` and `package` are aliases (mkAliasOptionModule, no warning)
  # of programs.gpu-launch.{settings,package}, so the first configuration's
  # hwc.infrastructure.session.commands.settings = { ... } still lands in
  # /etc/gpu-launch/config.toml.
  hwcPath = [
    "hwc"
    "infrastructure"
    "session"
    "commands"
  ];
  hwc = config.hwc.infrastructure.session.commands;
  viaHwc = hwc.enable && hwc.gpuLaunch;

  gpuType = declared [
    "hwc"
    "infrastructure"
    "hardware"
    "gpu"
    "type"
  ];
  nvidiaBusId = declared [
    "hardware"
    "nvidia"
    "prime"
    "nvidiaBusId"
  ];
  externalNvidia =
    declared [
      "hardware"
      "nvidia"
      "prime"
      "allowExternalGpu"
    ] == true;

  vendors = [
    "nvidia"
    "amd"
    "intel"
  ];

  # settings.gpu's default (see the top of this file).
  defaultGpu =
    if gpuType == "none" then
      "default"
    else if
      (gpuType == null || gpuType == "nvidia")
      && builtins.isString nvidiaBusId
      && nvidiaBusId != ""
      && !externalNvidia
    then
      nvidiaBusId
    else if builtins.elem gpuType vendors then
      gpuType
    else
      null;

  settings = import ./settings.nix {
    inherit lib format defaultGpu;
    defaultGpuText = ''
      `"default"` when `hwc.infrastructure.hardware.gpu.type` is `"none"`;
      else `hardware.nvidia.prime.nvidiaBusId` when set (gpu.type `"nvidia"`
      or undeclared, and no `allowExternalGpu`); else gpu.type's vendor when
      declared; else null (gpu-launch's `auto`).
    '';
  };

  cleaned = settings.clean cfg.settings;
  generated = format.generate "gpu-launch-config.toml" cleaned;

  # The file as gpu-launch itself reads it, at build time: an unknown key or
  # a bad SPEC fails the system build instead of every launch. An empty sysfs
  # (no GPU of the build machine is looked at); `--gpu default` so `strict`
  # cannot fail for want of a GPU. The copy is the build user's own (the
  # trust check refuses files owned by others).
  checked =
    pkgs.runCommand "gpu-launch-config.toml"
      {
        toml = generated;
      }
      ''
        cp "$toml" config.toml
        mkdir sysfs
        GPU_LAUNCH_SYSFS_ROOT=$PWD/sysfs ${cfg.package}/bin/gpu-launch \
          --config config.toml --gpu default --print-env > /dev/null
        cp config.toml "$out"
      '';
  canRunPackage = pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform;

  wantedGpu = cfg.settings.gpu;
  contradicts = gpuType != null && builtins.elem wantedGpu vendors && wantedGpu != gpuType;
in
{
  imports = [
    (lib.mkAliasOptionModule (hwcPath ++ [ "settings" ]) [
      "programs"
      "gpu-launch"
      "settings"
    ])
    (lib.mkAliasOptionModule (hwcPath ++ [ "package" ]) [
      "programs"
      "gpu-launch"
      "package"
    ])
  ];

  options.programs.gpu-launch = {
    enable = lib.mkEnableOption "gpu-launch, which runs a program on the right GPU";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.gpu-launch or (pkgs.callPackage ./package.nix { });
      defaultText = lib.literalExpression "pkgs.gpu-launch or (pkgs.callPackage ./package.nix { })";
      description = "The gpu-launch package.";
    };

    settings = lib.mkOption {
      inherit (settings) type;
      default = { };
      example = lib.literalExpression ''
        {
          gpu = "PCI:1:0:0";
          strict = false;
          chromium.programs = [ "chromium" "code" ];
          apps.blender.gpu = "discrete";
        }
      '';
      description = ''
        /etc/gpu-launch/config.toml (TOML). Each user's
        ~/.config/gpu-launch/config.toml is laid over it key by key. Keys
        left null are not written. See `gpu-launch --man` and the README's
        "The config file".
      '';
    };
  };

  options.hwc.infrastructure.session.commands = {
    # Bare on purpose: see "The hwc alias" above.
    enable = lib.mkOption { type = lib.types.bool; };

    gpuLaunch = lib.mkEnableOption "gpu-launch (with `enable`, as programs.gpu-launch.enable does)";
  };

  config = lib.mkMerge [
    {
      hwc.infrastructure.session.commands.enable = lib.mkOverride 1600 false;
      programs.gpu-launch.enable = lib.mkIf viaHwc true;

      warnings = lib.optional (hwc.gpuLaunch && !hwc.enable && !cfg.enable) ''
        hwc.infrastructure.session.commands.gpuLaunch is on but
        hwc.infrastructure.session.commands.enable is off: gpu-launch is not
        installed. Turn on enable too (or set programs.gpu-launch.enable).
      '';
    }
    (lib.mkIf cfg.enable {
      assertions = [
        {
          assertion = !contradicts;
          message = ''
            programs.gpu-launch.settings.gpu is "${toString wantedGpu}" but
            hwc.infrastructure.hardware.gpu.type says this machine's GPU is "${toString gpuType}".
            Correct one of them; if both are right (a second GPU), name that GPU by
            its PCI address instead, e.g. settings.gpu = "PCI:1:0:0".
          '';
        }
      ];

      environment.systemPackages = [ cfg.package ];

      environment.etc = lib.optionalAttrs (cleaned != { }) {
        "gpu-launch/config.toml".source = if canRunPackage then checked else generated;
      };
    })
  ];
}
