#!/usr/bin/env bash
# Installs a gpu-launch .deb on this machine, checks that every file is where
# Debian's tools look for it and that each shell loads its completion from
# there, then removes the package again. Needs root (dpkg -i), bash, zsh,
# fish and man-db; .ci/run runs it after packaging/deb/build.sh.
#
#   packaging/deb/install-test.sh target/debian/gpu-launch_<version>-1_<arch>.deb
set -euo pipefail

deb=${1:?usage: packaging/deb/install-test.sh PACKAGE.deb}
fail() {
    echo "install-test: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
for t in zsh fish man; do
    command -v "$t" >/dev/null || fail "needs $t (apt-get install $([ "$t" = man ] && echo man-db || echo "$t"))"
done

version=$(dpkg-deb --field "$deb" Version)
version=${version%-*}
trap 'dpkg --remove gpu-launch >/dev/null 2>&1 || true' EXIT
dpkg --install "$deb"

# The binary, first in PATH, the version in the package's name.
[ "$(command -v gpu-launch)" = /usr/bin/gpu-launch ] || fail "gpu-launch is not /usr/bin/gpu-launch"
[ "$(gpu-launch --version)" = "gpu-launch $version" ] || fail "gpu-launch --version: $(gpu-launch --version)"

for f in \
    /usr/share/bash-completion/completions/gpu-launch \
    /usr/share/zsh/vendor-completions/_gpu-launch \
    /usr/share/fish/vendor_completions.d/gpu-launch.fish \
    /usr/share/man/man1/gpu-launch.1.gz \
    /usr/share/doc/gpu-launch/copyright; do
    [ -s "$f" ] || fail "$f is missing or empty"
    dpkg --search "$f" | grep -q '^gpu-launch: ' || fail "$f does not belong to the package"
done

# bash: bash-completion sources completions/<command> on first use.
bash -n /usr/share/bash-completion/completions/gpu-launch
bash -c 'source /usr/share/bash-completion/completions/gpu-launch && complete -p gpu-launch' >/dev/null \
    || fail "bash does not register the completion"

# zsh: vendor-completions is in the default $fpath; compinit reads #compdef.
zsh -n /usr/share/zsh/vendor-completions/_gpu-launch
[ "$(zsh -f -c 'autoload -Uz compinit && compinit -u -D && print -r -- $_comps[gpu-launch]')" = _gpu-launch ] \
    || fail "zsh's compinit does not find _gpu-launch"

# fish: vendor_completions.d is autoloaded on the first completion (not with
# --no-config, which leaves $fish_complete_path empty).
fish -n /usr/share/fish/vendor_completions.d/gpu-launch.fish
fish -c 'complete -C "gpu-launch --completions "' | grep -qx 'zsh' \
    || fail "fish does not autoload the completion"

# man: found by name, and renders the options.
[ "$(man -w gpu-launch)" = /usr/share/man/man1/gpu-launch.1.gz ] || fail "man -w gpu-launch: $(man -w gpu-launch)"
MANWIDTH=100 man gpu-launch 2>/dev/null | grep -q -- '--completions <SHELL>' || fail "man gpu-launch does not render"

dpkg --remove gpu-launch >/dev/null
[ ! -e /usr/bin/gpu-launch ] || fail "dpkg --remove left /usr/bin/gpu-launch"
trap - EXIT
echo "install-test: $deb installs, loads in bash, zsh and fish, has its man page, and removes cleanly"
