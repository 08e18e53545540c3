# Home Manager module: programs.gpu-launch installs gpu-launch for one user,
# writes ~/.config/gpu-launch/config.toml (laid over the system's
# /etc/gpu-launch/config.toml key by key) and, optionally, desktop-file
# overrides that start applications through gpu-launch.
#
# Use: imports = [ ./packaging/nix/home-manager.nix ]; (or the flake's
# homeManagerModules.default).
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.programs.gpu-launch;
  format = pkgs.formats.toml { };
  settings = import ./settings.nix { inherit lib format; };
  cleaned = settings.clean cfg.settings;

  # A desktop file's string value: escape \ first, then newlines and tabs.
  escape = lib.replaceStrings [ "\\" "\n" "\t" ] [ "\\\\" "\\n" "\\t" ];

  overrideType = lib.types.submodule {
    options = {
      name = lib.mkOption {
        type = lib.types.str;
        example = "Blender";
        description = "The application's name in menus.";
      };
      exec = lib.mkOption {
        type = lib.types.str;
        example = "blender %f";
        description = ''
          The command line, as a desktop file's Exec= without gpu-launch
          (field codes such as %f and %U are kept).
        '';
      };
      gpu = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "discrete";
        description = "The GPU SPEC; null: the config's choice for this program.";
      };
      icon = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "blender";
        description = "Icon name or path.";
      };
      extraEntries = lib.mkOption {
        type = lib.types.attrsOf lib.types.str;
        default = { };
        example = {
          MimeType = "application/x-blender;";
          Categories = "Graphics;3DGraphics;";
        };
        description = "More keys of [Desktop Entry], written as given.";
      };
    };
  };

  # One argument of Exec=: bare when plain, else double-quoted. Characters
  # that Exec= would need escaped twice are refused rather than mangled.
  execArg =
    s:
    if builtins.match "[A-Za-z0-9._:/@+=,-]+" s != null then
      s
    else if builtins.match ".*[\"`$\\].*" s != null then
      throw "programs.gpu-launch.desktopOverrides: gpu = ${builtins.toJSON s} has a character Exec= cannot take here"
    else
      "\"${s}\"";

  desktopFile =
    o:
    let
      gpuArgs = lib.optionalString (o.gpu != null) "--gpu ${execArg o.gpu} ";
      keys = {
        Type = "Application";
        Name = escape o.name;
        Exec = "${cfg.package}/bin/gpu-launch ${gpuArgs}-- ${o.exec}";
      }
      // lib.optionalAttrs (o.icon != null) { Icon = escape o.icon; }
      // o.extraEntries;
    in
    lib.concatStringsSep "\n" (
      [ "[Desktop Entry]" ] ++ lib.mapAttrsToList (k: v: "${k}=${v}") keys
    )
    + "\n";
in
{
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
      example = lib.literalExpression ''{ apps.blender.gpu = "discrete"; }'';
      description = ''
        ~/.config/gpu-launch/config.toml (TOML), laid over
        /etc/gpu-launch/config.toml key by key. Keys left null are not written.
      '';
    };

    desktopOverrides = lib.mkOption {
      type = lib.types.attrsOf overrideType;
      default = { };
      example = lib.literalExpression ''
        {
          blender = { name = "Blender"; exec = "blender %f"; gpu = "discrete"; icon = "blender"; };
        }
      '';
      description = ''
        Desktop files written to ~/.local/share/applications/NAME.desktop,
        which hides the system's NAME.desktop: the application then starts
        through gpu-launch. NAME is the desktop file ID without .desktop.
        (`gpu-launch --install-desktop` does the same imperatively.)
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    home.packages = [ cfg.package ];

    xdg.configFile = lib.optionalAttrs (cleaned != { }) {
      "gpu-launch/config.toml".source = settings.generate "gpu-launch-config.toml" cfg.settings;
    };

    xdg.dataFile = lib.mapAttrs' (
      id: o: lib.nameValuePair "applications/${id}.desktop" { text = desktopFile o; }
    ) cfg.desktopOverrides;
  };
}
