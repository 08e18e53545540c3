# gpu-launch for Nix: `pkgs.callPackage ./package.nix { }` (the flake, its
# overlay and the NixOS module all do this).
#
# Needs a nixpkgs whose Rust is 1.85 or newer (edition 2024, Cargo.toml's
# rust-version): nixos-25.05 or later.
{
  lib,
  rustPlatform,
  installShellFiles,
  stdenv,
}:

let
  root = ../..;
  cargoToml = lib.importTOML (root + "/Cargo.toml");
in
rustPlatform.buildRustPackage {
  pname = cargoToml.package.name;
  inherit (cargoToml.package) version;

  # The repository less what cargo never reads, so that a new build input
  # (build.rs, a data file of the tests) comes along by itself, while
  # target/ of a checkout and edits to packaging/ or CI do not reach the build.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.difference root (
      lib.fileset.unions (
        map (p: lib.fileset.maybeMissing (root + p)) [
          "/.git"
          "/.ci"
          "/target"
          "/fuzz"
          "/packaging"
          "/flake.nix"
          "/flake.lock"
          "/result"
        ]
      )
    );
  };

  cargoLock.lockFile = root + "/Cargo.lock";

  nativeBuildInputs = [ installShellFiles ];

  # The unit tests only. The integration tests in tests/ run the binary with
  # an FHS PATH (/usr/bin/true) and outside tools (cc, strace, zsh, fish,
  # groff, nix-instantiate) that the build sandbox does not have; CI
  # (.ci/run, Debian) runs them all. installCheckPhase runs the built binary.
  cargoTestFlags = [ "--lib" ];

  # Completions and the man page come from the binary itself (the same clap
  # definition as --help), so they cannot drift from it.
  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd gpu-launch \
      --bash <($out/bin/gpu-launch --completions bash) \
      --zsh <($out/bin/gpu-launch --completions zsh) \
      --fish <($out/bin/gpu-launch --completions fish)
    $out/bin/gpu-launch --man > gpu-launch.1
    installManPage gpu-launch.1
  '';

  doInstallCheck = true;
  # An empty sysfs: no GPU, nothing of the build machine is looked at.
  installCheckPhase = ''
    runHook preInstallCheck
    $out/bin/gpu-launch --version | grep -F ${lib.escapeShellArg cargoToml.package.version}
    mkdir empty-sysfs
    GPU_LAUNCH_SYSFS_ROOT=$PWD/empty-sysfs $out/bin/gpu-launch --list
    runHook postInstallCheck
  '';

  meta = {
    inherit (cargoToml.package) description;
    longDescription = ''
      gpu-launch PROGRAM finds the GPUs in sysfs, picks the one asked for (or
      the discrete/external GPU the desktop is not rendering on), sets the
      PRIME and Vulkan offload variables that GPU's driver honours, and execs
      PROGRAM in place.
    '';
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = "gpu-launch";
    platforms = lib.platforms.linux;
  };
}
