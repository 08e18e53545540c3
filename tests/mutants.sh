#!/usr/bin/env bash
# Mutation testing of the core decisions (docs/TESTING.md, "Mutation
# testing"): cargo-mutants puts one small bug at a time into the modules
# below and runs the tests; a mutant the tests do not catch is code whose
# behaviour nothing checks.
#
#   tests/mutants.sh [MODULE...]   every mutant of these modules (default: all)
#   tests/mutants.sh --diff [REV]  only mutants in lines `git diff REV HEAD`
#                                  changed (REV: HEAD^1, the first parent,
#                                  so a merge counts what it brought in)
#   tests/mutants.sh --list        the modules and their files
#
# Options: --record writes docs/mutants/results.md (the table and every
# survivor) from this run. Environment: MUTANTS_JOBS (default 2, for 2
# cores), MUTANTS_OUT (default target/mutants), MUTANTS_TIME_LIMIT (seconds
# for the whole run; past it the run fails, naming the limit).
#
# Exit status: 0 when every viable mutant was caught or is a listed
# equivalent (docs/TESTING.md, "Equivalent mutants"); 1 when a mutant
# survived that is not listed; 2 on a usage or setup error; 124 when the
# time limit ran out. Never a silent pass.
#
# Mutants are built in a copy of the tree (cargo-mutants' default; never
# --in-place), with the `mutants` profile (Cargo.toml: the test profile
# without debug information) and the settings in .cargo/mutants.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-mutants, pinned: its mutation operators change between versions,
# and with them the counts docs/TESTING.md reports.
VERSION=27.1.0

# The core modules: name, then the files (globs) that make it up.
MODULES=(
  "spec      src/decide/spec.rs"
  "select    src/decide/select.rs"
  "plan      src/decide/plan.rs"
  "chromium  src/decide/chromium.rs"
  "program   src/decide/program.rs"
  "detect    src/detect/mod.rs src/detect/scan.rs src/detect/kind.rs src/detect/default.rs src/detect/gpu.rs src/detect/amd_apu.rs"
  "sysfs     src/detect/sysfs.rs"
  "pci       src/detect/pci.rs"
  "config    src/config/mod.rs src/config/parse.rs src/config/search.rs"
  "exec      src/os/exec.rs"
  "environ   src/os/environ.rs"
  "trust     src/os/trust.rs"
  "files     src/os/files.rs"
  "state     src/session/state.rs src/os/at.rs src/os/atomic.rs"
)

usage() { sed -n '2,24s/^# \{0,1\}//p' "$0"; }
die() { echo "tests/mutants.sh: $*" >&2; exit 2; }

diff_rev=
record=
wanted=()
while (($#)); do
  case $1 in
    --diff)
      diff_rev=HEAD^1
      if [[ ${2:-} != "" && ${2:-} != -* ]]; then diff_rev=$2; shift; fi
      ;;
    --record) record=1 ;;
    --list)
      for m in "${MODULES[@]}"; do echo "$m"; done
      exit 0
      ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see tests/mutants.sh --help)" ;;
    *) wanted+=("$1") ;;
  esac
  shift
done

# The files of each chosen module.
declare -A files_of=()
names=()
for m in "${MODULES[@]}"; do
  read -r name files <<<"$m"
  files_of[$name]=$files
  names+=("$name")
done
if ((${#wanted[@]})); then
  for w in "${wanted[@]}"; do
    [[ -n ${files_of[$w]:-} ]] || die "no module '$w' (tests/mutants.sh --list)"
  done
  names=("${wanted[@]}")
fi
module_of() { # FILE -> its module, or nothing
  local n f
  for n in "${names[@]}"; do
    for f in ${files_of[$n]}; do
      [[ $1 == "$f" ]] && { echo "$n"; return; }
    done
  done
}

if [[ $(cargo mutants --version 2>/dev/null) != "cargo-mutants $VERSION" ]]; then
  echo "tests/mutants.sh: installing cargo-mutants $VERSION (cargo install, a few minutes)" >&2
  cargo install cargo-mutants --version "$VERSION" --locked --quiet
fi

out=${MUTANTS_OUT:-target/mutants}
mkdir -p "$out"
args=(--jobs "${MUTANTS_JOBS:-2}" --output "$out")
for n in "${names[@]}"; do
  for f in ${files_of[$n]}; do args+=(--file "$f"); done
done

if [[ -n $diff_rev ]]; then
  git rev-parse --verify -q "$diff_rev^{commit}" >/dev/null ||
    die "cannot diff against $diff_rev: not in this clone (a shallow clone? fetch one more commit, or name a REV)"
  diff_file=$out/in.diff
  git diff "$diff_rev" HEAD -- '*.rs' >"$diff_file"
  touched=()
  while read -r f; do
    [[ -n $(module_of "$f") ]] && touched+=("$f")
  done < <(git diff --name-only "$diff_rev" HEAD -- '*.rs')
  if ((${#touched[@]} == 0)); then
    echo "tests/mutants.sh: $(git rev-parse --short "$diff_rev")..HEAD changes no core module: no mutants to test"
    exit 0
  fi
  echo "tests/mutants.sh: mutants in the lines $(git rev-parse --short "$diff_rev")..HEAD changed in: ${touched[*]}"
  args+=(--in-diff "$diff_file")
fi

start=$(date +%s)
limit=${MUTANTS_TIME_LIMIT:-0}
status=0
if ((limit > 0)); then
  timeout --foreground --signal=INT --kill-after=60 "$limit" cargo mutants "${args[@]}" || status=$?
else
  cargo mutants "${args[@]}" || status=$?
fi
elapsed=$(($(date +%s) - start))
if ((status == 124)); then
  echo "tests/mutants.sh: FAILED: the run took longer than MUTANTS_TIME_LIMIT=${limit}s (stopped; nothing was decided)" >&2
  exit 124
fi
# cargo-mutants: 0 all caught, 2 some missed, 3 some timed out (a hang
# the tests stop is a catch); anything else is a failure to run.
case $status in
  0 | 2 | 3) ;;
  4) die "the tests fail on the unmutated tree: fix them first ($out/mutants.out/log/baseline.log)" ;;
  *) die "cargo mutants failed (status $status; $out/mutants.out/debug.log)" ;;
esac

results=$out/mutants.out
# A mutant's name without its line and column, which move with every edit:
# `src/os/exec.rs: replace check_executable -> ... with Ok(())`.
strip() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'; }
# The equivalent mutants docs/TESTING.md lists, one per line: "- `NAME`: why".
equivalent=$(sed -nE 's/^- `(src\/[^`]+)`.*/\1/p' docs/TESTING.md 2>/dev/null || true)

count() { # OUTCOME MODULE
  local f n=0 file=$results/$1.txt
  [[ -s $file ]] || { echo 0; return; }
  for f in ${files_of[$2]}; do
    n=$((n + $(grep -c "^$f:" "$file" || true)))
  done
  echo "$n"
}

table="| module | mutants | caught | missed | timeout | unviable | caught of viable |
|---|---:|---:|---:|---:|---:|---:|"
T=0 C=0 M=0 O=0 U=0
for n in "${names[@]}"; do
  c=$(count caught "$n") m=$(count missed "$n") o=$(count timeout "$n") u=$(count unviable "$n")
  t=$((c + m + o + u))
  ((t)) || continue
  v=$((c + m + o))
  pct=$( ((v)) && echo "$(((100 * (c + o)) / v))%" || echo "-")
  table+=$'\n'"| $n | $t | $c | $m | $o | $u | $pct |"
  T=$((T + t)) C=$((C + c)) M=$((M + m)) O=$((O + o)) U=$((U + u))
done
V=$((C + M + O))
table+=$'\n'"| all | $T | $C | $M | $O | $U | $( ((V)) && echo "$(((100 * (C + O)) / V))%" || echo "-") |"

unlisted=()
survivors=""
if [[ -s $results/missed.txt ]]; then
  while IFS= read -r line; do
    name=$(strip <<<"$line")
    if grep -qxF -- "$name" <<<"$equivalent"; then
      survivors+="- $line (equivalent: docs/TESTING.md)"$'\n'
    else
      survivors+="- $line **(not listed as equivalent)**"$'\n'
      unlisted+=("$line")
    fi
  done <"$results/missed.txt"
fi

echo
echo "$table"
echo
echo "tests/mutants.sh: ${elapsed}s, -j${MUTANTS_JOBS:-2}; results in $results"
[[ -n $survivors ]] && printf '\nSurvivors:\n%s' "$survivors"

if [[ -n $record ]]; then
  mkdir -p docs/mutants
  {
    echo "# Mutation testing results"
    echo
    echo "Written by \`tests/mutants.sh --record ${wanted[*]}\` (cargo-mutants $VERSION," \
      "-j${MUTANTS_JOBS:-2}) on $(git rev-parse --short HEAD), $(date -u +%Y-%m-%d):" \
      "${elapsed} s of wall time. docs/TESTING.md explains the table and each equivalent mutant."
    echo
    echo "$table"
    echo
    echo "## Survivors"
    echo
    if [[ -n $survivors ]]; then printf '%s' "$survivors"; else echo "None."; fi
  } >docs/mutants/results.md
  echo "tests/mutants.sh: wrote docs/mutants/results.md"
fi

if ((${#unlisted[@]})); then
  echo "tests/mutants.sh: FAILED: ${#unlisted[@]} mutant(s) survived that docs/TESTING.md does not list as equivalent:" >&2
  printf '  %s\n' "${unlisted[@]}" >&2
  echo "  (each is a change to the code that no test notices: add a test that fails on it, or list it" \
    "with the reason it cannot change behaviour; the diff is in $results/diff/)" >&2
  exit 1
fi
