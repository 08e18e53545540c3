#!/usr/bin/env bash
# Runs every test of gpu-launch on a Debian or Ubuntu machine that has only
# Rust: installs the Debian packages the tests need when some are missing
# (naming them first; with sudo when not root), then runs the whole suite,
# `cargo test --locked`, and, as root, the root-only tests
# (`cargo test --locked -- --ignored`).
#
#   tests/run.sh              install what is missing, then run every test
#   tests/run.sh --check      list the missing packages (exit 1 when some are), run nothing
#   tests/run.sh --install    install what is missing, run nothing
#   tests/run.sh --packaging  also the packages of .ci/run's .deb check
#
# The package list below is the only one: .ci/run calls this script. On
# other systems (no dpkg) nothing is installed; `nix develop` gives the same
# tools (flake.nix, devShells.default).
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages `cargo test` needs, each with the tests that use it.
# A test whose tool is missing fails naming its package.
PACKAGES=(
  strace              # tests/launch_path.rs, tests/session.rs: what the launch path opens
  desktop-file-utils  # tests/desktop.rs, tests/packaging.rs: desktop-file-validate
  libglib2.0-bin      # tests/desktop.rs: gio launch starts an override as a desktop does
  libglib2.0-dev pkg-config  # tests that build C against GLib; pkg-config also finds bash-completion
  gcc libc6-dev       # tests/details.rs, tests/doctor.rs: cc builds the fake libnvidia-ml.so and the probe
                      # (and tests/state_hostile.rs: the attacker, tests/probe/swap.c)
  bash-completion     # tests/completion.rs: _command_offset, as a user's bash has it
  zsh                 # tests/completion.rs, tests/print_env.rs: compsys completes; eval of --print-env
  fish                # tests/completion.rs, tests/print_env.rs: complete -C; --print-env --shell fish | source
  groff-base          # tests/packaging.rs: the man page renders without warnings
  nix-bin             # tests/nix.rs: every .nix parses; the modules evaluate (--store dummy://)
  libvulkan1 libvulkan-dev  # tests/vulkan.rs: the real Vulkan loader (and its headers, to build
                            # the mock drivers and vkprobe)
  mesa-vulkan-drivers # tests/vulkan.rs: Mesa's device-select layer (implicit) and lavapipe
  libdrm-dev          # tests/gl.rs: libdrm's drmGetDevices2 reads the fixture machines (as root)
  libegl-dev libglvnd-core-dev libegl-mesa0 libgl1-mesa-dri
                      # tests/gl.rs: libglvnd's EGL vendor order, with Mesa's EGL (software
                      # driver: no GPU needed) and a stand-in NVIDIA vendor
  dbus-daemon         # tests/notify*.rs: notifications through a private dbus-daemon
  dbus-bin            # tests/notify.rs: dbus-monitor decodes the Notify call independently
)
# Only .ci/run's .deb check (packaging/deb/build.sh, install-test.sh).
PACKAGING=(
  man-db              # packaging/deb/install-test.sh: man finds the installed page
  dpkg-dev            # packaging/deb/build.sh: cargo-deb's depends = "$auto" runs dpkg-shlibdeps
)

mode=test
packages=("${PACKAGES[@]}")
for arg in "$@"; do
  case $arg in
    --check) mode=check ;;
    --install) mode=install ;;
    --packaging) packages+=("${PACKAGING[@]}") ;;
    -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "tests/run.sh: unknown argument '$arg' (see tests/run.sh --help)" >&2; exit 2 ;;
  esac
done

# The packages not installed (dpkg's status "ii"); none without dpkg.
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$p")
  done
else
  echo "tests/run.sh: no dpkg here: not installing anything (the tests need: ${packages[*]}," \
    "or nix develop)" >&2
fi

if [[ $mode == check ]]; then
  if ((${#missing[@]})); then
    echo "missing: ${missing[*]}"
    exit 1
  fi
  echo "all ${#packages[@]} packages the tests need are installed"
  exit 0
fi

if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || {
      echo "tests/run.sh: not root and no sudo: install these, then run again: ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "tests/run.sh: installing the Debian packages the tests need: ${missing[*]}" \
    "(${sudo[*]:-as root} apt-get install)" >&2
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
[[ $mode == install ]] && exit 0

command -v cargo >/dev/null || {
  echo "tests/run.sh: cargo not found: install Rust (https://rustup.rs), then run again" >&2
  exit 1
}
cargo test --locked
if [[ $(id -u) == 0 ]]; then
  # The setuid refusal: chowns a copy of the binary to nobody.
  cargo test --locked -- --ignored
else
  echo "tests/run.sh: the root-only tests (cargo test -- --ignored) were skipped: not root" >&2
fi
