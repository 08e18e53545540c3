#!/usr/bin/env bash
# Runs every test of gpu-launch on a Debian or Ubuntu machine that has only
# Rust: installs the Debian packages the tests need when some are missing
# (naming them first; with sudo when not root), then runs the whole suite,
# `cargo test --locked`, and, as root, the root-only tests
# (`cargo test --locked -- --ignored`) and the whole suite once more as an
# ordinary user (uid 65534, `nobody`; see "unprivileged" below).
#
#   tests/run.sh              install what is missing, then run every test
#   tests/run.sh --check      list the missing packages (exit 1 when some are), run nothing
#   tests/run.sh --install    install what is missing, run nothing
#   tests/run.sh --packaging  also the packages of .ci/run's .deb check
#   tests/run.sh --unprivileged  only the pass as an ordinary user (as root)
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
    --unprivileged) mode=unprivileged ;;
    -h | --help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
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
if [[ $mode == unprivileged ]]; then
  [[ $(id -u) == 0 ]] || { echo "tests/run.sh: --unprivileged needs root (it drops to another user)" >&2; exit 1; }
  cargo build --locked --tests
else
  cargo test --locked
  if [[ $(id -u) != 0 ]]; then
    echo "tests/run.sh: the root-only tests (cargo test -- --ignored) and the pass as an" \
      "ordinary user were skipped: not root" >&2
    exit 0
  fi
  # The root-only tests: they chown files to other users, make device nodes,
  # start processes as nobody (each says why in its #[ignore]).
  cargo test --locked -- --ignored
fi

# The unprivileged pass: every test again as an ordinary user. Root owns
# and may read everything, so the ownership half of the trust rule, file
# modes and "may this user open it" checks only show their real behaviour
# as someone else. The checkout may sit where that user cannot go (CI
# clones under /root, 0700), so the test binaries, gpu-launch and the tree
# the tests read files from are copied to a scratch directory everyone may
# read, root's (so a file there is "owned by root" for the tests), and the
# tests are told where by GPU_LAUNCH_TEST_BIN and GPU_LAUNCH_TEST_ROOT.
user=${GPU_LAUNCH_TEST_UID:-65534}
scratch=$(mktemp -d /tmp/gpu-launch-unprivileged.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/tree" "$scratch/bin" "$scratch/home"
# The unit-test binary, the integration-test binary and gpu-launch itself.
mapfile -t executables < <(cargo test --locked --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"/[^"]*"' | sed 's/^"executable":"//; s/"$//')
tests=()
for exe in "${executables[@]}"; do
  cp "$exe" "$scratch/bin/"
  case $exe in
    */gpu-launch) ;;
    *) tests+=("$scratch/bin/$(basename "$exe")") ;;
  esac
done
[[ -x $scratch/bin/gpu-launch && ${#tests[@]} == 2 ]] || {
  echo "tests/run.sh: cannot find the test binaries to run unprivileged (${executables[*]})" >&2
  exit 1
}
tar -C . --exclude=./target --exclude=./.git --exclude=./fuzz/target -cf - . | tar -C "$scratch/tree" -xf -
chmod -R a+rX,go-w "$scratch"
chown "$user:$user" "$scratch/home"
echo "tests/run.sh: every test again as uid $user, from $scratch" >&2
status=0
for t in "${tests[@]}"; do
  (cd "$scratch/tree" && setpriv --reuid="$user" --regid="$user" --clear-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$scratch/home" LANG=C.UTF-8 \
    GPU_LAUNCH_TEST_BIN="$scratch/bin/gpu-launch" GPU_LAUNCH_TEST_ROOT="$scratch/tree" \
    "$t") || status=1
done
exit $status
