{
  description = "gpu-launch: run a program on the right GPU (PRIME/Vulkan offload from sysfs, exec in place)";

  # Rust 1.85 or newer (edition 2024): nixos-25.05 or later. No flake.lock is
  # committed (it was written where no network reached GitHub): the first
  # `nix build`/`nix flake lock` writes one, or a consuming flake's
  # `inputs.gpu-launch.inputs.nixpkgs.follows = "nixpkgs"` makes it moot.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        gpu-launch = pkgs.callPackage ./packaging/nix/package.nix { };
        default = gpu-launch;
      });

      overlays.default = final: _prev: {
        gpu-launch = final.callPackage ./packaging/nix/package.nix { };
      };

      # The modules take the package from pkgs.gpu-launch when an overlay
      # provides it, else build packaging/nix/package.nix with the system's
      # own nixpkgs.
      nixosModules.default = ./packaging/nix/module.nix;
      homeManagerModules.default = ./packaging/nix/home-manager.nix;

      # `nix develop`: what `cargo test` and the benches run, the Debian
      # packages of .ci/run by their nixpkgs names.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [
            rustc
            cargo
            rustfmt
            clippy
            gcc # cc: the fake libnvidia-ml.so, the probe, the Vulkan harness
            pkg-config
            strace # the launch path opens nothing under /dev
            desktop-file-utils # desktop-file-validate
            (lib.getBin glib) # gio, which starts a desktop file as a desktop does
            zsh # the completions load
            fish
            groff # the man page renders without warnings
            man-db
            nix # nix-instantiate: every .nix file parses, the modules evaluate
            vulkan-tools
            mesa # Mesa's device-select layer and lavapipe
            dbus # dbus-daemon
            valgrind # callgrind: the launch path's instruction count
            hyperfine
          ];
          # Libraries the tests link against (-lvulkan, vulkan/vulkan.h), and
          # what pkg-config must find.
          buildInputs = with pkgs; [
            vulkan-loader
            vulkan-headers
            # tests/completion.rs: the bash completion hands over to PROGRAM's
            # (_command_offset); pkg-config finds it through buildInputs.
            bash-completion
          ];
          # The Vulkan loader looks for drivers and implicit layers under
          # $XDG_DATA_DIRS/vulkan, which a shell does not get from its
          # packages: Mesa's share goes first (where Debian has
          # /usr/share), the rest stays (unset: the XDG default).
          shellHook = ''
            export XDG_DATA_DIRS="${pkgs.mesa}/share:''${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
          '';
        };
      });

      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });
    };
}
