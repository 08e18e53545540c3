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

      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });
    };
}
