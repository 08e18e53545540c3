#!/usr/bin/env bash
# Installs a gpu-launch .deb on this machine, checks that every file is where
# Debian's tools look for it and that each shell loads its completion from
# there, then removes the package again. Needs root (dpkg -i), bash, zsh,
# fish and man-db; .ci/run runs it after packaging/deb/build.sh.
#
#   packaging/deb/install-test.sh target/debian/gpu-launch_<version>-1_<arch>.deb
#
# Ends with one line "install-test: N passed, N failed"; stops at the first
# failure (exit 1).
set -euo pipefail

deb=${1:?usage: packaging/deb/install-test.sh PACKAGE.deb}
passed=0
fail() {
    echo "install-test: FAILED: $*" >&2
    echo "install-test: $passed passed, 1 failed"
    exit 1
}
# check WHAT COMMAND...: runs COMMAND quietly; WHAT names it.
check() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        fail "$what"
    fi
}

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
for t in bash:bash zsh:zsh fish:fish man:man-db; do
    command -v "${t%%:*}" >/dev/null || fail "needs ${t%%:*} (Debian package ${t#*:})"
done

version=$(dpkg-deb --field "$deb" Version)
version=${version%-*}
trap 'dpkg --remove gpu-launch >/dev/null 2>&1 || true' EXIT
check "dpkg --install $deb" dpkg --install "$deb"

# The binary, first in PATH, with the package's version.
check "gpu-launch is /usr/bin/gpu-launch" test "$(command -v gpu-launch)" = /usr/bin/gpu-launch
check "gpu-launch --version says $version" test "$(gpu-launch --version)" = "gpu-launch $version"

for f in \
    /usr/share/bash-completion/completions/gpu-launch \
    /usr/share/zsh/vendor-completions/_gpu-launch \
    /usr/share/fish/vendor_completions.d/gpu-launch.fish \
    /usr/share/man/man1/gpu-launch.1.gz \
    /usr/share/doc/gpu-launch/copyright; do
    check "$f belongs to the package" sh -c "test -s '$f' && dpkg --search '$f' | grep -q '^gpu-launch: '"
done

# bash: bash-completion sources completions/<command> on first use.
check "bash -n on the bash completion" bash -n /usr/share/bash-completion/completions/gpu-launch
check "bash registers the completion" \
    bash -c 'source /usr/share/bash-completion/completions/gpu-launch && complete -p gpu-launch'

# zsh: vendor-completions is in the default $fpath; compinit reads #compdef.
check "zsh -n on the zsh completion" zsh -n /usr/share/zsh/vendor-completions/_gpu-launch
check "zsh's compinit finds _gpu-launch" test \
    "$(zsh -f -c 'autoload -Uz compinit && compinit -u -D && print -r -- $_comps[gpu-launch]')" = _gpu-launch

# fish: vendor_completions.d is autoloaded on the first completion (not with
# --no-config, which leaves $fish_complete_path empty).
check "fish -n on the fish completion" fish -n /usr/share/fish/vendor_completions.d/gpu-launch.fish
check "fish autoloads the completion" \
    sh -c "fish -c 'complete -C \"gpu-launch --completions \"' | grep -qx zsh"

# man: found by name, and renders the options.
check "man -w gpu-launch finds the page" test "$(man -w gpu-launch)" = /usr/share/man/man1/gpu-launch.1.gz
check "man gpu-launch renders the options" \
    sh -c "MANWIDTH=100 man gpu-launch 2>/dev/null | grep -q -- '--completions <SHELL>'"

check "dpkg --remove gpu-launch" dpkg --remove gpu-launch
check "nothing left in /usr/bin" test ! -e /usr/bin/gpu-launch
trap - EXIT
echo "install-test: $deb installs, its completions load in bash, zsh and fish, man finds its page, it removes cleanly"
echo "install-test: $passed passed, 0 failed"
