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
#   tests/mutants.sh --retest MODULE...
#                                  only the survivors of each module's record
#                                  (docs/mutants/runs/MODULE), after adding
#                                  tests: the record then counts those that
#                                  are caught now, and says so
#
# Options: --results rewrites docs/mutants/results.md from the records
# and runs nothing; --record keeps this run's result for each of its modules in
# docs/mutants/runs/MODULE (its counts, commit, date, wall time and
# survivors; only from a tree without uncommitted changes, never from
# --diff) and writes docs/mutants/results.md from every module's latest
# record. Environment: MUTANTS_JOBS (default 2, for 2 cores), MUTANTS_OUT
# (default target/mutants), MUTANTS_TIME_LIMIT (seconds for the whole run;
# past it the run fails, naming the limit), MUTANTS_MAX (with --diff: when
# the diff holds more mutants than this, test one round-robin share of
# them, 1 in N, chosen by HEAD's hash, and say so; default: no cap).
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

# The core modules: name, the files that make it up, and the test areas
# (modules of tests/tests.rs) that exercise it. Every mutant runs the unit
# tests (`::tests::`: all of them, well under a second) and its module's
# areas, not the whole suite: a caught mutant costs seconds instead of
# minutes. Leaving tests out can only let more mutants survive, so the
# scores are lower bounds for the whole suite.
MODULES=(
  "spec     | src/decide/spec.rs     | choice standing messages plans properties"
  "select   | src/decide/select.rs   | plans order shapes choice properties details"
  "plan     | src/decide/plan.rs     | plans order choice launch print_env standing properties state_decided"
  "chromium | src/decide/chromium.rs | choice plans properties"
  "program  | src/decide/program.rs  | choice launch messages properties"
  "detect   | src/detect/mod.rs src/detect/scan.rs src/detect/kind.rs src/detect/default.rs src/detect/gpu.rs src/detect/amd_apu.rs | shapes plans order choice regression launch_path details"
  "sysfs    | src/detect/sysfs.rs    | shapes plans order regression hostile launch_path"
  "pci      | src/detect/pci.rs      | shapes plans order choice"
  "config   | src/config/mod.rs src/config/parse.rs src/config/search.rs | standing choice trust messages regression launch"
  "exec     | src/os/exec.rs         | launch program_kinds messages launch_path"
  "environ  | src/os/environ.rs      | launch plans print_env choice properties"
  "trust    | src/os/trust.rs        | trust standing regression session state desktop"
  "files    | src/os/files.rs        | regression hostile standing shapes"
  "state    | src/session/state.rs src/os/at.rs src/os/atomic.rs | session state state_decided state_hostile state_warnings regression"
)

# A time limit for the whole run: this script again under timeout(1).
if [[ ${MUTANTS_TIME_LIMIT:-0} != 0 && -z ${MUTANTS_TIMED:-} ]]; then
  s=0
  MUTANTS_TIMED=1 timeout --foreground --kill-after=60 "$MUTANTS_TIME_LIMIT" "$0" "$@" || s=$?
  if ((s == 124 || s == 137)); then
    echo "tests/mutants.sh: FAILED: the run took longer than MUTANTS_TIME_LIMIT=${MUTANTS_TIME_LIMIT}s" \
      "(stopped; nothing was decided)" >&2
    exit 124
  fi
  exit $s
fi

usage() { sed -n '2,36s/^# \{0,1\}//p' "$0"; }
die() { echo "tests/mutants.sh: $*" >&2; exit 2; }

# A mutant's name without its line and column, which move with every edit:
# `src/os/exec.rs: replace check_executable -> ... with Ok(())`.
strip() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'; }
# The equivalent mutants docs/TESTING.md lists, one per line: "- `NAME`: why".
equivalent=$(sed -nE 's/^- `(src\/[^`]+)`.*/\1/p' docs/TESTING.md 2>/dev/null || true)

# docs/mutants/results.md from every module's latest record, in MODULES order.
write_results() {
  table="| module | mutants | caught | missed | timeout | unviable | caught of viable | commit | date | wall time |
|---|---:|---:|---:|---:|---:|---:|---|---|---:|"
  T=0 C=0 M=0 O=0 U=0 S=0 survivors=""
  for m in "${MODULES[@]}"; do
    IFS='|' read -r n _ <<<"$m"
    n=${n// /}
    f=docs/mutants/runs/$n
    if [[ ! -f $f ]]; then
      table+=$'\n'"| $n | not run | | | | | | | | |"
      continue
    fi
    read -r _ _ t c mi o u r d sec _ r2 _ sec2 <"$f"
    v=$((c + mi + o))
    [[ -z $r2 ]] || r+=", survivors re-tested on $r2 ($((sec2 / 60)) min $((sec2 % 60)) s)"
    table+=$'\n'"| $n | $t | $c | $mi | $o | $u | $( ((v)) && echo "$(((100 * (c + o)) / v))%" || echo "-") | $r | $d | $((sec / 60)) min $((sec % 60)) s |"
    sec=$((sec + ${sec2:-0}))
    T=$((T + t)) C=$((C + c)) M=$((M + mi)) O=$((O + o)) U=$((U + u)) S=$((S + sec))
    while IFS= read -r line; do
      name=$(strip <<<"${line#- }")
      if grep -qxF -- "$name" <<<"$equivalent"; then
        survivors+="$line (equivalent: docs/TESTING.md)"$'\n'
      else
        survivors+="$line **(not listed as equivalent)**"$'\n'
      fi
    done < <(tail -n +2 "$f")
  done
  V=$((C + M + O))
  table+=$'\n'"| all | $T | $C | $M | $O | $U | $( ((V)) && echo "$(((100 * (C + O)) / V))%" || echo "-") | | | $((S / 60)) min |"
  {
    echo "# Mutation testing results"
    echo
    echo "Written by \`tests/mutants.sh --record\` (cargo-mutants $VERSION) from the latest"
    echo "whole-module run of each module (docs/mutants/runs/): the commit each ran on, its date"
    echo "and its wall time are in the table. docs/TESTING.md explains the table and each"
    echo "equivalent mutant."
    echo
    echo "$table"
    echo
    echo "## Survivors"
    echo
    if [[ -n $survivors ]]; then printf '%s' "$survivors"; else echo "None."; fi
  } >docs/mutants/results.md
}

diff_rev=
record=
retest=
wanted=()
while (($#)); do
  case $1 in
    --diff)
      diff_rev=HEAD^1
      if [[ ${2:-} != "" && ${2:-} != -* ]]; then diff_rev=$2; shift; fi
      ;;
    --record) record=1 ;;
    --retest) record=1 retest=1 ;;
    --results)
      write_results
      echo "tests/mutants.sh: wrote docs/mutants/results.md from docs/mutants/runs/"
      exit 0
      ;;
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

# The files and test areas of each module.
declare -A files_of=() areas_of=()
names=()
for m in "${MODULES[@]}"; do
  IFS='|' read -r name files areas <<<"$m"
  name=${name// /}
  files_of[$name]=$files
  areas_of[$name]=$areas
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

out=${MUTANTS_OUT:-target/mutants}
mkdir -p "$out"
jobs=${MUTANTS_JOBS:-2}

diff_file=
if [[ -n $diff_rev ]]; then
  git rev-parse --verify -q "$diff_rev^{commit}" >/dev/null ||
    die "cannot diff against $diff_rev: not in this clone (a shallow clone? fetch one more commit, or name a REV)"
  diff_file=$(realpath "$out")/in.diff
  git diff "$diff_rev" HEAD -- '*.rs' >"$diff_file"
  touched=()
  changed=$(git diff --name-only "$diff_rev" HEAD -- '*.rs')
  for n in "${names[@]}"; do
    for f in ${files_of[$n]}; do
      grep -qxF -- "$f" <<<"$changed" && { touched+=("$n"); break; }
    done
  done
  if ((${#touched[@]} == 0)); then
    echo "tests/mutants.sh: $(git rev-parse --short "$diff_rev")..HEAD changes no core module: no mutants to test"
    exit 0
  fi
  echo "tests/mutants.sh: mutants in the lines $(git rev-parse --short "$diff_rev")..HEAD changed in: ${touched[*]}"
  names=("${touched[@]}")
fi

if [[ -n $retest ]]; then
  ((${#wanted[@]})) || die "--retest needs the modules to re-test"
  for n in "${names[@]}"; do
    [[ -f docs/mutants/runs/$n ]] || die "$n: no record to re-test (docs/mutants/runs/$n)"
  done
fi
if [[ -n $record ]]; then
  [[ -z $diff_rev ]] || die "--record keeps whole-module runs only, not --diff"
  [[ -z $(git status --porcelain --untracked-files=no) ]] ||
    die "--record needs a tree without uncommitted changes (the record names the commit it ran on)"
fi
rev=$(git rev-parse --short HEAD)

if [[ $(cargo mutants --version 2>/dev/null) != "cargo-mutants $VERSION" ]]; then
  echo "tests/mutants.sh: installing cargo-mutants $VERSION (cargo install, a few minutes)" >&2
  cargo install cargo-mutants --version "$VERSION" --locked --quiet
fi

# The arguments that pick a module's mutants: its files, and with --diff
# the changed lines.
pick() { # NAME
  local f
  for f in ${files_of[$1]}; do printf '%s\n' --file "$f"; done
  [[ -z $diff_file ]] || printf '%s\n' --in-diff "$diff_file"
}

# With --diff: count the mutants in the changed lines of each module
# (`cargo mutants --list`, no build), and leave out the modules that have
# none. With MUTANTS_MAX: a merge that brings in a whole branch can hold
# hundreds of mutants, hours on 2 cores. Past the cap, test one share of
# them, every N-th (round-robin, so each module is sampled; which share
# is chosen by HEAD's hash), and say so: a bounded sample, never a silent
# pass. `tests/mutants.sh MODULE` tests them all.
shard=()
if [[ -n $diff_file ]]; then
  total=0 some=()
  for n in "${names[@]}"; do
    mapfile -t sel < <(pick "$n")
    list=$(cargo mutants --list "${sel[@]}" 2>"$out/list.err") ||
      die "$n: cargo mutants --list failed: $(cat "$out/list.err")"
    k=$(grep -c . <<<"$list" || true)
    ((k)) && some+=("$n")
    total=$((total + k))
  done
  if ((total == 0)); then
    echo "tests/mutants.sh: the changed lines hold no mutants: nothing to test"
    exit 0
  fi
  # One cargo-mutants run for them all: one baseline build and test run
  # instead of one per module (minutes each), each mutant tested with the
  # areas of every module it could belong to (more tests: never fewer
  # caught).
  files_of[diff]="" areas_of[diff]=""
  for n in "${some[@]}"; do
    files_of[diff]+=" ${files_of[$n]}"
    for a in ${areas_of[$n]}; do
      [[ " ${areas_of[diff]} " == *" $a "* ]] || areas_of[diff]+=" $a"
    done
  done
  names=(diff)
  if ((${MUTANTS_MAX:-0} > 0 && total > MUTANTS_MAX)); then
    parts=$(((total + MUTANTS_MAX - 1) / MUTANTS_MAX))
    index=$((16#$(git rev-parse --short=7 HEAD) % parts))
    shard=(--shard "$index/$parts" --sharding round-robin)
    echo "tests/mutants.sh: the diff holds $total mutants, more than MUTANTS_MAX=$MUTANTS_MAX:" \
      "testing 1 in $parts of them (shard $index/$parts, round-robin) in ${some[*]}"
  else
    echo "tests/mutants.sh: the diff holds $total mutants, in ${some[*]}"
  fi
fi

# One cargo-mutants run per module, each in a copy of the tree.
run_module() { # NAME
  local n=$1 a sel args=(--jobs "$jobs" --output "$out/$1" --cargo-test-arg=--lib --cargo-test-arg=--test --cargo-test-arg=tests)
  mapfile -t sel < <(pick "$n")
  args+=("${sel[@]}" "${shard[@]}")
  if [[ -n $retest ]]; then
    # Each survivor by its whole name, line and column included: when the
    # code has moved, fewer match, and the count check below says so.
    while IFS= read -r line; do
      args+=(-F "^$(sed 's/[][\.*^$(){}?+|]/\\&/g' <<<"${line#- }")\$")
    done < <(tail -n +2 "docs/mutants/runs/$n")
  fi
  args+=(-- -- ::tests::)
  for a in ${areas_of[$n]}; do args+=("$a::"); done
  rm -rf "$out/$n"
  echo "tests/mutants.sh: $n: ${files_of[$n]}" >&2
  cargo mutants "${args[@]}"
}

start=$(date +%s)
declare -A took=()
if [[ -n $retest ]]; then
  some=()
  for n in "${names[@]}"; do
    if (($(wc -l <"docs/mutants/runs/$n") > 1)); then
      some+=("$n")
    else
      echo "tests/mutants.sh: $n: its record has no survivor to re-test"
    fi
  done
  ((${#some[@]})) || exit 0
  names=("${some[@]}")
fi
for n in "${names[@]}"; do
  s=0 t0=$(date +%s)
  run_module "$n" || s=$?
  took[$n]=$(($(date +%s) - t0))
  # cargo-mutants: 0 all caught, 2 some missed, 3 some timed out (a hang
  # the tests stop is a catch); anything else is a failure to run.
  case $s in
    0 | 2 | 3) ;;
    4) die "$n: the tests fail on the unmutated tree: fix them first ($out/$n/mutants.out/log/baseline.log)" ;;
    *) die "$n: cargo mutants failed (status $s; $out/$n/mutants.out/debug.log)" ;;
  esac
done
elapsed=$(($(date +%s) - start))


count() { # OUTCOME MODULE
  local file=$out/$2/mutants.out/$1.txt
  [[ -s $file ]] && wc -l <"$file" || echo 0
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
for n in "${names[@]}"; do
  [[ -s $out/$n/mutants.out/missed.txt ]] || continue
  while IFS= read -r line; do
    name=$(strip <<<"$line")
    if grep -qxF -- "$name" <<<"$equivalent"; then
      survivors+="- $line (equivalent: docs/TESTING.md)"$'\n'
    else
      survivors+="- $line **(not listed as equivalent)**"$'\n'
      unlisted+=("$line")
    fi
  done <"$out/$n/mutants.out/missed.txt"
done

echo
echo "$table"
echo
echo "tests/mutants.sh: ${elapsed}s, -j$jobs; results in $out/MODULE/mutants.out"
[[ -n $survivors ]] && printf '\nSurvivors:\n%s' "$survivors"

if [[ -n $record ]]; then
  # One record per module: "counts MODULE TESTED CAUGHT MISSED TIMEOUT
  # UNVIABLE COMMIT DATE SECONDS", then its survivors.
  mkdir -p docs/mutants/runs
  # A re-test adds "retested COMMIT DATE SECONDS" to the counts line.
  mkdir -p docs/mutants/runs
  for n in "${names[@]}"; do
    c=$(count caught "$n") m=$(count missed "$n") o=$(count timeout "$n") u=$(count unviable "$n")
    line="counts $n $((c + m + o + u)) $c $m $o $u $rev $(date -u +%Y-%m-%d) ${took[$n]}"
    if [[ -n $retest ]]; then
      f=docs/mutants/runs/$n
      read -r _ _ t0 c0 m0 o0 u0 r0 d0 s0 _ <"$f"
      ((c + m + o + u == m0)) ||
        die "$n: $((c + m + o + u)) of the record's $m0 survivors found: the code moved since $r0; run the whole module"
      line="counts $n $t0 $((c0 + c)) $m $((o0 + o)) $u0 $r0 $d0 $s0 retested $rev $(date -u +%Y-%m-%d) ${took[$n]}"
    fi
    {
      echo "$line"
      [[ ! -s $out/$n/mutants.out/missed.txt ]] || sed 's/^/- /' "$out/$n/mutants.out/missed.txt"
    } >"docs/mutants/runs/$n"
  done
  write_results
  echo "tests/mutants.sh: wrote docs/mutants/runs/ ({${names[*]}}) and docs/mutants/results.md"
fi

if ((${#unlisted[@]})); then
  echo "tests/mutants.sh: FAILED: ${#unlisted[@]} mutant(s) survived that docs/TESTING.md does not list as equivalent:" >&2
  printf '  %s\n' "${unlisted[@]}" >&2
  echo "  (each is a change to the code that no test notices: add a test that fails on it, or list it" \
    "with the reason it cannot change behaviour; the diffs are in $out/MODULE/mutants.out/diff/)" >&2
  exit 1
fi
