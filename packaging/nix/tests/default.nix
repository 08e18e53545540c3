# Evaluates the NixOS module, the Home Manager module, the package and the
# flake against the stubs in ./stubs.nix (no nixpkgs, no store):
#
#   nix-instantiate --store dummy:// --eval --strict --json packaging/nix/tests
#
# prints { failures = [ ... ]; configs = { CASE = { text; accepted; }; }; }.
# `failures` lists every expectation that did not hold (empty: all did).
# `configs` holds each config file the NixOS module wrote, for tests/nix.rs
# to run through gpu-launch itself (`accepted`: whether gpu-launch must take
# it).
#
# The NixOS module is evaluated both ways a system turns it on: the main
# options, programs.gpu-launch.*, and the alias of the first configuration,
# hwc.infrastructure.session.commands.{enable,gpuLaunch,settings,package};
# with and without hwc's own declarations (gpu.type, and a
# session.commands.enable of hwc's that this module's must merge with).
let
  stubs = import ./stubs.nix;
  inherit (stubs) lib mkPkgs evalModule;
  # Definitions from several places, merged as NixOS merges a configuration.
  system = builtins.foldl' stubs.recursiveUpdate { };

  module = ../module.nix;
  mkOption = lib.mkOption;
  t = lib.types;

  # Other modules' options, as a system may declare them.
  hwcGpuType = {
    hwc.infrastructure.hardware.gpu.type = mkOption {
      type = t.nullOr (
        t.enum [
          "nvidia"
          "amd"
          "intel"
          "none"
        ]
      );
      default = null;
    };
  };
  hwcGpuTypeNoDefault = {
    hwc.infrastructure.hardware.gpu.type = mkOption {
      type = t.enum [
        "nvidia"
        "amd"
        "intel"
        "none"
      ];
    };
  };
  # `gpu` as one submodule option holding `type`.
  hwcGpuSubmodule = {
    hwc.infrastructure.hardware.gpu = mkOption {
      type = t.submodule {
        options.type = mkOption {
          type = t.str;
          default = "intel";
        };
      };
      default = { };
    };
  };
  # `gpu` as a plain string option: `options...gpu.type` is then its Nix type.
  hwcGpuString = {
    hwc.infrastructure.hardware.gpu = mkOption {
      type = t.str;
      default = "nvidia";
    };
  };
  nvidiaPrime = {
    hardware.nvidia.prime = {
      nvidiaBusId = mkOption {
        type = t.str;
        default = "";
      };
      allowExternalGpu = mkOption {
        type = t.bool;
        default = false;
      };
    };
  };

  # hwc's own session commands, as the first configuration's hwc modules
  # declare them: `enable` in full (mkEnableOption), next to commands of
  # their own. module.nix declares `enable` too, bare, and the two merge.
  hwcOwnCommands = enableDefault: {
    hwc.infrastructure.session.commands = {
      enable = mkOption {
        type = t.bool;
        default = enableDefault;
        example = true;
        description = "Whether to enable hwc's session commands.";
      };
      screenshot = lib.mkEnableOption "hwc's screenshot command";
    };
  };

  on = {
    enable = true;
    gpuLaunch = true;
  };
  commands = c: { hwc.infrastructure.session.commands = c; };
  programs = c: { programs.gpu-launch = c; };
  enabled = programs { enable = true; };
  otherPackage = {
    pname = "gpu-launch-chosen";
    outPath = "/nix/store/44444444444444444444444444444444-gpu-launch-chosen";
  };
  gpuType = v: { hwc.infrastructure.hardware.gpu.type = v; };
  busId = v: { hardware.nvidia.prime.nvidiaBusId = v; };

  # One case: a system, and what the module must make of it.
  #   etc: the config file's contents as TOML values, or null for no file.
  #   packages: how many packages it installs (0 or 1).
  #   warnings / failedAssertions: how many.
  #   accepted: whether gpu-launch must accept the file (tests/nix.rs).
  #   throws: the evaluation must stop (as nixos-rebuild would).
  cases = {
    # programs.gpu-launch.*, the main options.
    nothing-set-does-nothing = {
      definitions = { };
      etc = null;
      packages = 0;
    };
    programs-enable-no-settings = {
      definitions = enabled;
      etc = null;
    };
    programs-with-settings = {
      definitions = programs {
        enable = true;
        settings = {
          strict = true;
          apps.blender.gpu = "discrete";
        };
      };
      etc = {
        strict = true;
        apps.blender.gpu = "discrete";
      };
    };
    programs-settings-without-enable-write-nothing = {
      definitions = programs { settings.gpu = "discrete"; };
      etc = null;
      packages = 0;
    };
    programs-hwc-nvidia = {
      otherOptions = hwcGpuType;
      definitions = system [ enabled (gpuType "nvidia") ];
      etc.gpu = "nvidia";
    };
    programs-prime-bus-id = {
      otherOptions = nvidiaPrime;
      definitions = system [ enabled (busId "PCI:1:0:0") ];
      etc.gpu = "PCI:1:0:0";
    };
    programs-contradiction-is-an-assertion = {
      otherOptions = hwcGpuType;
      definitions = system [
        (programs {
          enable = true;
          settings.gpu = "nvidia";
        })
        (gpuType "intel")
      ];
      etc.gpu = "nvidia";
      failedAssertions = 1;
    };
    programs-package = {
      definitions = programs {
        enable = true;
        package = otherPackage;
      };
      etc = null;
      packageName = "gpu-launch-chosen";
    };

    # The hwc alias: hwc.infrastructure.session.commands.*.
    no-hwc-option-no-settings = {
      definitions = commands on;
      etc = null;
    };
    no-hwc-option-with-settings = {
      definitions = commands (on // { settings.apps.blender.gpu = "discrete"; });
      etc = {
        apps.blender.gpu = "discrete";
      };
    };
    hwc-nvidia = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands on) (gpuType "nvidia") ];
      etc.gpu = "nvidia";
    };
    hwc-amd = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands on) (gpuType "amd") ];
      etc.gpu = "amd";
    };
    hwc-intel = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands on) (gpuType "intel") ];
      etc.gpu = "intel";
    };
    hwc-none-means-default = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands on) (gpuType "none") ];
      etc.gpu = "default";
    };
    hwc-declared-null = {
      otherOptions = hwcGpuType;
      definitions = commands on;
      etc = null;
    };
    hwc-declared-without-default-and-unset = {
      otherOptions = hwcGpuTypeNoDefault;
      definitions = commands on;
      etc = null;
    };
    hwc-gpu-submodule = {
      otherOptions = hwcGpuSubmodule;
      definitions = commands on;
      etc.gpu = "intel";
    };
    hwc-gpu-is-a-string-option = {
      otherOptions = hwcGpuString;
      definitions = commands on;
      etc = null;
    };
    hwc-nvidia-with-prime-bus-id = {
      otherOptions = hwcGpuType // nvidiaPrime;
      definitions = system [ (commands on) (gpuType "nvidia") (busId "PCI:1:0:0") ];
      etc.gpu = "PCI:1:0:0";
    };
    prime-bus-id-without-hwc = {
      otherOptions = nvidiaPrime;
      definitions = system [ (commands on) (busId "PCI:1:0:0") ];
      etc.gpu = "PCI:1:0:0";
    };
    prime-declared-but-empty = {
      otherOptions = hwcGpuType // nvidiaPrime;
      definitions = system [ (commands on) (gpuType "nvidia") ];
      etc.gpu = "nvidia";
    };
    prime-external-gpu-uses-the-vendor = {
      otherOptions = hwcGpuType // nvidiaPrime;
      definitions = system [
        (commands on)
        (gpuType "nvidia")
        {
          hardware.nvidia.prime = {
            nvidiaBusId = "PCI:1:0:0";
            allowExternalGpu = true;
          };
        }
      ];
      etc.gpu = "nvidia";
    };
    hwc-amd-ignores-nvidia-bus-id = {
      otherOptions = hwcGpuType // nvidiaPrime;
      definitions = system [ (commands on) (gpuType "amd") (busId "PCI:1:0:0") ];
      etc.gpu = "amd";
    };
    user-setting-wins = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands (on // { settings.gpu = "discrete"; })) (gpuType "amd") ];
      etc.gpu = "discrete";
    };
    user-null-drops-the-default = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands (on // { settings.gpu = null; })) (gpuType "amd") ];
      etc = null;
    };
    every-key = {
      definitions = commands (
        on
        // {
          settings = {
            gpu = "PCI:1:0:0";
            strict = true;
            chromium = {
              enable = false;
              programs = [
                "chromium"
                "code"
              ];
            };
            apps = {
              blender.gpu = "discrete";
              "org.chromium.Chromium".gpu = "nvidia";
            };
          };
        }
      );
      etc = {
        gpu = "PCI:1:0:0";
        strict = true;
        chromium = {
          enable = false;
          programs = [
            "chromium"
            "code"
          ];
        };
        apps = {
          blender.gpu = "discrete";
          "org.chromium.Chromium".gpu = "nvidia";
        };
      };
    };
    # The freeform part takes any key; gpu-launch does not, and the build-time
    # check (runCommand) is what stops it.
    freeform-key-gpu-launch-refuses = {
      definitions = commands (on // { settings.stict = true; });
      etc.stict = true;
      accepted = false;
    };
    bad-spec-gpu-launch-refuses = {
      definitions = commands (on // { settings.gpu = "nvida"; });
      etc.gpu = "nvida";
      accepted = false;
    };
    contradiction-is-an-assertion = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands (on // { settings.gpu = "nvidia"; })) (gpuType "amd") ];
      etc.gpu = "nvidia";
      failedAssertions = 1;
    };
    none-with-a-vendor-is-an-assertion = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands (on // { settings.gpu = "amd"; })) (gpuType "none") ];
      etc.gpu = "amd";
      failedAssertions = 1;
    };
    gpu-launch-without-enable-warns = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands { gpuLaunch = true; }) (gpuType "nvidia") ];
      etc = null;
      packages = 0;
      warnings = 1;
    };
    enable-without-gpu-launch-is-quiet = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands { enable = true; }) (gpuType "nvidia") ];
      etc = null;
      packages = 0;
    };
    cross-build-skips-the-check = {
      otherOptions = hwcGpuType;
      definitions = system [ (commands on) (gpuType "amd") ];
      pkgs = mkPkgs { canExecute = false; };
      etc.gpu = "amd";
    };
    hwc-package-alias = {
      definitions = commands (on // { package = otherPackage; });
      etc = null;
      packageName = "gpu-launch-chosen";
    };

    # Where hwc's modules declare session.commands.enable themselves.
    hwc-declares-its-own-enable = {
      otherOptions = system [
        hwcGpuType
        (hwcOwnCommands false)
      ];
      definitions = system [ (commands on) (gpuType "nvidia") ];
      etc.gpu = "nvidia";
    };
    hwc-own-enable-off-warns = {
      otherOptions = hwcOwnCommands false;
      definitions = commands {
        gpuLaunch = true;
        screenshot = true;
      };
      etc = null;
      packages = 0;
      warnings = 1;
    };
    hwc-own-enable-on-by-default = {
      otherOptions = hwcOwnCommands true;
      definitions = commands (on // { settings.apps.blender.gpu = "discrete"; });
      etc.apps.blender.gpu = "discrete";
    };
    hwc-own-enable-without-a-default-is-off = {
      otherOptions.hwc.infrastructure.session.commands.enable = mkOption {
        type = t.bool;
        description = "Whether to enable hwc's session commands.";
      };
      definitions = commands { gpuLaunch = true; };
      etc = null;
      packages = 0;
      warnings = 1;
    };
    hwc-own-enable-without-gpu-launch-is-quiet = {
      otherOptions = hwcOwnCommands true;
      definitions = commands { screenshot = true; };
      etc = null;
      packages = 0;
    };

    # Both paths in one configuration.
    both-paths-on = {
      definitions = system [ (commands on) enabled ];
      etc = null;
    };
    programs-enable-without-hwc-enable-is-quiet = {
      definitions = system [ (commands { gpuLaunch = true; }) enabled ];
      etc = null;
    };
    settings-of-both-paths-merge = {
      otherOptions = hwcGpuType;
      definitions = system [
        (commands (on // { settings.strict = true; }))
        (programs { settings.apps.blender.gpu = "discrete"; })
        (gpuType "amd")
      ];
      etc = {
        gpu = "amd";
        strict = true;
        apps.blender.gpu = "discrete";
      };
    };
    # Two definitions of programs.gpu-launch.enable that disagree:
    # NixOS's "conflicting definition values" (lib.mkForce decides).
    programs-off-contradicts-hwc-on = {
      definitions = system [
        (commands on)
        (programs { enable = false; })
      ];
      throws = true;
    };
    programs-forced-off-beats-hwc-on = {
      definitions = system [
        (commands on)
        (programs { enable = lib.mkForce false; })
      ];
      etc = null;
      packages = 0;
    };

    overlay-package-is-used = {
      definitions = commands on;
      pkgs = mkPkgs {
        extra.gpu-launch = {
          pname = "gpu-launch-from-overlay";
          outPath = "/nix/store/33333333333333333333333333333333-gpu-launch-from-overlay";
        };
      };
      etc = null;
      packageName = "gpu-launch-from-overlay";
    };
  };

  evalCase =
    c:
    (evalModule {
      inherit module;
      pkgs = c.pkgs or (mkPkgs { });
      definitions = c.definitions;
      otherOptions = c.otherOptions or { };
    }).out;

  check =
    name: c:
    if c.throws or false then
      (
        if (builtins.tryEval (builtins.deepSeq (evalCase c) true)).success then
          [ "${name}: the evaluation must stop, and did not" ]
        else
          [ ]
      )
    else
      checkOut name c (evalCase c);

  checkOut =
    name: c: out:
    let
      pkgs = c.pkgs or (mkPkgs { });
      packages = out.environment.systemPackages or [ ];
      etcEntry = (out.environment.etc or { })."gpu-launch/config.toml" or null;
      canExecute = pkgs.stdenv.buildPlatform.canExecute null;
      # With the check, the file is a runCommand whose input is the TOML.
      generated =
        if etcEntry == null then
          null
        else if canExecute then
          etcEntry.source.env.toml
        else
          etcEntry.source;
      failed = builtins.filter (a: !a.assertion) (out.assertions or [ ]);
      expect = what: cond: if cond then [ ] else [ "${name}: ${what}" ];
      wantPackages = c.packages or 1;
      wantPackageName = c.packageName or "gpu-launch";
    in
    expect "installs ${toString wantPackages} package(s), got ${toString (builtins.length packages)}" (
      builtins.length packages == wantPackages
    )
    ++ expect "the package is ${wantPackageName}" (
      packages == [ ] || (builtins.head packages).pname == wantPackageName
    )
    ++ expect "config file ${builtins.toJSON c.etc}, got ${
      builtins.toJSON (if generated == null then null else generated.value)
    }" (if c.etc == null then etcEntry == null else generated != null && generated.value == c.etc)
    ++ expect "the TOML written reads back as the settings" (
      generated == null || builtins.fromTOML generated.text == generated.value
    )
    ++ expect "the file goes through the gpu-launch check when the build can run it" (
      etcEntry == null
      || (
        if canExecute then
          etcEntry.source._stub == "runCommand"
          && builtins.match ".*/bin/gpu-launch[^\n]*\n *--config config.toml --gpu default --print-env.*" etcEntry.source.script
            != null
        else
          etcEntry.source._stub == "formats.toml.generate"
      )
    )
    ++ expect "${toString (c.warnings or 0)} warning(s), got ${builtins.toJSON (out.warnings or [ ])}" (
      builtins.length (out.warnings or [ ]) == (c.warnings or 0)
    )
    ++ expect "${toString (c.failedAssertions or 0)} failed assertion(s), got ${builtins.toJSON (map (a: a.message) failed)}" (
      builtins.length failed == (c.failedAssertions or 0)
    );

  moduleFailures =
    builtins.concatLists (builtins.attrValues (builtins.mapAttrs check cases))
    ++ (
      let
        hwcConfig = (evalModule { inherit module; }).config.hwc.infrastructure.session.commands;
      in
      if hwcConfig.enable == false && hwcConfig.gpuLaunch == false then
        [ ]
      else
        [ "hwc.infrastructure.session.commands.{enable,gpuLaunch} read false where nothing sets them" ]
    );

  # (A case whose file is missing is in `failures`, not here.)
  configs = builtins.mapAttrs (
    name: c:
    let
      source = (evalCase c).environment.etc."gpu-launch/config.toml".source;
    in
    {
      text = (if source._stub == "runCommand" then source.env.toml else source).text;
      accepted = c.accepted or true;
    }
  ) (lib.filterAttrs (_: c: !(c.throws or false) && c.etc != null && written c) cases);
  written = c: (evalCase c) ? environment.etc."gpu-launch/config.toml";

  # The stubs themselves stop where NixOS stops, or the cases above that
  # must evaluate would prove nothing.
  stops = args: !(builtins.tryEval (builtins.deepSeq (evalModule args) true)).success;
  expectStub = what: cond: if cond then [ ] else [ "stubs.nix: ${what}" ];
  stubFailures =
    expectStub "an option declared in full by two modules stops the evaluation" (stops {
      module.options.x = lib.mkEnableOption "x";
      otherOptions.x = lib.mkEnableOption "x, again";
    })
    ++ expectStub "a bare declaration (a type only) merges with a full one" (
      !stops {
        module.options.x = mkOption { type = t.bool; };
        otherOptions.x = lib.mkEnableOption "x";
        definitions.x = true;
      }
    )
    ++ expectStub "defining an option nobody declares stops the evaluation" (stops {
      module.options.x = lib.mkEnableOption "x";
      definitions.y = true;
    })
    ++ expectStub "a definition weaker than the option's default loses to it" (
      (evalModule {
        module = {
          options.x = mkOption {
            type = t.bool;
            default = true;
          };
          config.x = lib.mkOverride 1600 false;
        };
      }).config.x
    )
    ++ expectStub "two different values for one bool stop the evaluation" (stops {
      module = {
        options.x = lib.mkEnableOption "x";
        config.x = true;
      };
      definitions.x = false;
    });

  # The Home Manager module.
  hm =
    definitions:
    (evalModule {
      module = ../home-manager.nix;
      inherit definitions;
    }).out;
  hmOn = hm {
    programs.gpu-launch = {
      enable = true;
      settings.apps.blender.gpu = "discrete";
      desktopOverrides.blender = {
        name = "Blender";
        exec = "blender %f";
        gpu = "PCI:1:0:0";
        icon = "blender";
      };
      desktopOverrides.steam = {
        name = "Steam";
        exec = "steam %U";
        gpu = "name:RTX 4070";
      };
    };
  };
  hmOff = hm { };
  expect = what: cond: if cond then [ ] else [ "home-manager: ${what}" ];
  hmFailures =
    expect "installs the package" (builtins.length hmOn.home.packages == 1)
    ++ expect "writes the user config" (
      hmOn.xdg.configFile."gpu-launch/config.toml".source.value == { apps.blender.gpu = "discrete"; }
    )
    ++ expect "writes a desktop override through gpu-launch" (
      hmOn.xdg.dataFile."applications/blender.desktop".text == ''
        [Desktop Entry]
        Exec=/nix/store/22222222222222222222222222222222-gpu-launch-${cargoVersion}/bin/gpu-launch --gpu PCI:1:0:0 -- blender %f
        Icon=blender
        Name=Blender
        Type=Application
      ''
    )
    ++ expect "quotes a SPEC with a space in Exec=" (
      builtins.match ''.*Exec=[^ ]*/bin/gpu-launch --gpu "name:RTX 4070" -- steam %U.*'' hmOn.xdg.dataFile."applications/steam.desktop".text
      != null
    )
    ++ expect "does nothing when off" (hmOff == { });

  # The package, built by the stub buildRustPackage (its attributes only).
  cargoVersion = (builtins.fromTOML (builtins.readFile ../../../Cargo.toml)).package.version;
  pkg = (mkPkgs { }).callPackage ../package.nix { };
  expectPkg = what: cond: if cond then [ ] else [ "package.nix: ${what}" ];
  packageFailures =
    expectPkg "pname/version from Cargo.toml" (pkg.pname == "gpu-launch" && pkg.version == cargoVersion)
    ++ expectPkg "uses the repository's Cargo.lock" (pkg.cargoLock.lockFile == ../../../Cargo.lock)
    ++ expectPkg "meta.mainProgram" (pkg.meta.mainProgram == "gpu-launch")
    ++ expectPkg "dual license" (
      map (l: l.spdxId) pkg.meta.license == [
        "MIT"
        "Apache-2.0"
      ]
    )
    ++ expectPkg "installs bash, zsh and fish completions and the man page from the binary" (
      builtins.all (s: builtins.match ".*${s}.*" pkg.postInstall != null) [
        "--bash <[(][$]out/bin/gpu-launch --completions bash[)]"
        "--zsh <[(][$]out/bin/gpu-launch --completions zsh[)]"
        "--fish <[(][$]out/bin/gpu-launch --completions fish[)]"
        "installManPage gpu-launch.1"
      ]
    )
    ++ expectPkg "source is the repository less packaging/, target/ and CI" (
      pkg.src.root == ../../..
      && pkg.src.fileset.from == ../../..
      && builtins.all (p: builtins.elem p pkg.src.fileset.without) [
        ../../../packaging
        ../../../.ci
        ../../../flake.nix
      ]
      && !(builtins.elem ../../../src pkg.src.fileset.without)
    );

  # The flake's outputs, with a stub nixpkgs input.
  flake = (import ../../../flake.nix).outputs {
    self = flake;
    nixpkgs = {
      inherit lib;
      legacyPackages = lib.genAttrs flakeSystems (_: mkPkgs { });
    };
  };
  expectFlake = what: cond: if cond then [ ] else [ "flake.nix: ${what}" ];
  flakeFailures =
    expectFlake "packages.<system>.default" (
      flake.packages.x86_64-linux.default.pname == "gpu-launch"
      && flake.packages.aarch64-linux.default.pname == "gpu-launch"
    )
    ++ expectFlake "overlays.default adds gpu-launch" (
      ((flake.overlays.default (mkPkgs { }) { }).gpu-launch).pname == "gpu-launch"
    )
    ++ expectFlake "nixosModules.default is module.nix" (flake.nixosModules.default == ../module.nix)
    ++ expectFlake "homeManagerModules.default is home-manager.nix" (
      flake.homeManagerModules.default == ../home-manager.nix
    )
    ++ builtins.concatMap (
      system:
      let
        shell = flake.devShells.${system}.default;
        inShell = map (p: p.pname) (shell.packages ++ shell.buildInputs or [ ]);
        missing = builtins.filter (tool: !builtins.elem tool inShell) testTools;
      in
      expectFlake "devShells.${system}.default is a mkShell" (shell._stub == "mkShell")
      ++ expectFlake "devShells.${system}.default lacks ${builtins.toJSON missing}" (missing == [ ])
      ++ expectFlake "devShells.${system}.default has gio (glib's bin output)" (
        builtins.any (p: p.pname == "glib" && (p.outputName or null) == "bin") shell.packages
      )
      ++ expectFlake "devShells.${system}.default puts Mesa's Vulkan files where the loader looks" (
        builtins.match ''.*export XDG_DATA_DIRS="/nix/store/[^"]*-mesa/share:.*'' shell.shellHook
        != null
      )
    ) flakeSystems;
  flakeSystems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  # What `cargo test` and the benches run (.ci/run's Debian packages, by
  # their nixpkgs names).
  testTools = [
    "rustc"
    "cargo"
    "rustfmt"
    "clippy"
    "gcc" # cc
    "pkg-config"
    "strace"
    "desktop-file-utils" # desktop-file-validate
    "glib" # gio
    "zsh"
    "fish"
    "groff"
    "man-db"
    "nix" # nix-instantiate
    "vulkan-loader"
    "vulkan-headers"
    "vulkan-tools"
    "mesa" # the device-select layer, lavapipe
    "dbus" # dbus-daemon
    "valgrind"
    "hyperfine"
  ];
in
{
  failures = stubFailures ++ moduleFailures ++ hmFailures ++ packageFailures ++ flakeFailures;
  inherit configs;
  cases = builtins.length (builtins.attrNames cases);
}
