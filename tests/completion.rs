//! The completion scripts (`--completions SHELL`) in the real shells, on a
//! fixture machine (`GPU_LAUNCH_SYSFS_ROOT`, which the script's own
//! `gpu-launch --list --json` call inherits), from a directory holding files:
//!
//! - bash, with bash-completion's framework as a user's bash has it (and
//!   without it): the function `complete` registered, called as readline
//!   calls it;
//! - zsh's compsys, driven in a pseudo-terminal (zpty) with TAB, `compadd`
//!   recording what is offered;
//! - fish's `complete -C`.
//!
//! What a user relies on: `--gpu <TAB>` offers the SPEC keywords and the
//! machine's PCI addresses, never file names; `--mode` its values; from
//! PROGRAM on, PROGRAM's own completion (a test program `myprog` whose
//! completion offers `alpha beta`), never gpu-launch's options. And the
//! README's install commands work in a fresh home.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::fixture::{self, Fixture};
use crate::common::{Run, bin, run_tool, tool, write_executable};
use gpu_launch::cli::{Complete, OPTIONS};

/// The fixture's GPUs (`laptop_dgpu_and_egpu`), by PCI address.
const GPUS: [&str; 3] = ["0000:00:02.0", "0000:01:00.0", "0000:22:00.0"];
const KEYWORDS: [&str; 8] = [
    "auto",
    "default",
    "discrete",
    "integrated",
    "external",
    "nvidia",
    "amd",
    "intel",
];

/// The values the option table offers for `--long`.
fn values(long: &str) -> Vec<String> {
    let def = OPTIONS.iter().find(|d| d.long == long).unwrap();
    match def.complete {
        Complete::Values(values) => values.iter().map(|v| (*v).to_owned()).collect(),
        _ => panic!("--{long} offers no values"),
    }
}

fn sorted<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut v: Vec<String> = words.into_iter().map(|w| w.as_ref().to_owned()).collect();
    v.sort();
    v
}

/// What `--gpu <TAB>` must offer.
fn specs() -> Vec<String> {
    sorted(KEYWORDS.iter().chain(GPUS.iter()))
}

/// Where a completion runs: the fixture machine, a PATH with gpu-launch and
/// `myprog`, a working directory with files `afile` and `bfile`, and the
/// script for each shell.
struct Session {
    machine: Fixture,
    dir: tempfile::TempDir,
}

impl Session {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["bin", "cwd", "zsh"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        write_executable(&dir.path().join("bin/myprog"), "#!/bin/sh\n", 0o755);
        std::fs::write(dir.path().join("cwd/afile"), "").unwrap();
        std::fs::write(dir.path().join("cwd/bfile"), "").unwrap();
        let s = Session {
            machine: fixture::laptop_dgpu_and_egpu(),
            dir,
        };
        s.write_script("bash", "gpu-launch.bash");
        s.write_script("zsh", "zsh/_gpu-launch");
        s.write_script("fish", "gpu-launch.fish");
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_script(&self, shell: &str, rel: &str) {
        let out = Command::new(bin())
            .args(["--completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
        std::fs::write(self.path(rel), out.stdout).unwrap();
    }

    /// Runs `shell args` there, asserting success; its stdout.
    fn run(&self, shell: &str, args: &[&str]) -> String {
        let bin = bin().parent().unwrap();
        let out: Run = Command::new(tool(shell, shell))
            .args(args)
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:{}:/usr/bin:/bin",
                    self.path("bin").display(),
                    bin.display()
                ),
            )
            .env("HOME", self.path("cwd"))
            .env("TERM", "dumb")
            .env("GPU_LAUNCH_SYSFS_ROOT", self.machine.root())
            .current_dir(self.path("cwd"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
            .into();
        assert!(run_ok(&out), "{shell} {args:?}: {out:?}");
        out.stdout
    }
}

fn run_ok(run: &Run) -> bool {
    run.status == 0 && run.stderr.is_empty()
}

/// Answers per line: `LINE\tw1 w2 ...` (the words sorted), as the harnesses
/// print them.
fn answers(out: &str) -> Vec<(String, Vec<String>)> {
    out.lines()
        .map(|l| {
            let (line, words) = l.split_once('\t').unwrap_or((l, ""));
            (line.to_owned(), sorted(words.split_whitespace()))
        })
        .collect()
}

/// The cases every shell must answer alike: (line, what is offered).
/// `None`: not checked in that shell (see the per-shell lists).
fn common_cases() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("gpu-launch --gpu ", specs()),
        ("gpu-launch -g ", specs()),
        ("gpu-launch --next ", specs()),
        ("gpu-launch --install-desktop app --gpu ", specs()),
        ("gpu-launch -n --gpu 0000:2", sorted(["0000:22:00.0"])),
        ("gpu-launch --gpu nv", sorted(["nvidia"])),
        ("gpu-launch --mode ", sorted(values("mode"))),
        ("gpu-launch --print-env --shell ", sorted(values("shell"))),
        ("gpu-launch --completions ", sorted(values("completions"))),
        ("gpu-launch --dry-r", sorted(["--dry-run"])),
        // From PROGRAM on: PROGRAM's completion, never gpu-launch's options.
        ("gpu-launch --gpu nvidia myprog ", sorted(["alpha", "beta"])),
        ("gpu-launch --gpu nvidia myprog --", vec![]),
        ("gpu-launch -n myprog --dry", vec![]),
        ("gpu-launch -- myprog a", sorted(["alpha"])),
        ("gpu-launch --gpu nvidia mypr", sorted(["myprog"])),
    ]
}

fn check(shell: &str, got: &[(String, Vec<String>)], cases: &[(&str, Vec<String>)]) {
    assert_eq!(got.len(), cases.len(), "{shell}: {got:?}");
    for ((line, offered), (want_line, want)) in got.iter().zip(cases) {
        assert_eq!(line, want_line, "{shell}");
        assert_eq!(offered, want, "{shell}: {line:?} offers");
    }
}

/// Completes each line as readline would and prints `LINE\tREPLIES`:
/// COMP_WORDS split as readline splits (whitespace, and each run of the
/// COMP_WORDBREAKS characters `:` and `=` a word of its own), the cursor at
/// the end, then the function `complete -p gpu-launch` names. `compopt`
/// only works inside a completion readline runs, so it is a no-op here.
const BASH_HARNESS: &str = r#"
[[ $1 ]] && source "$1"
source ./../gpu-launch.bash
complete -W "alpha beta" myprog
compopt() { :; }
fn=$(complete -p gpu-launch | sed -E 's/.* -F ([^ ]+) .*/\1/')
shift
for line; do
    words=()
    read -ra parts <<<"$line"
    for w in "${parts[@]}"; do
        while [[ $w =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
            [[ ${BASH_REMATCH[1]} ]] && words+=("${BASH_REMATCH[1]}")
            words+=("${BASH_REMATCH[2]}")
            w=${BASH_REMATCH[3]}
        done
        [[ $w ]] && words+=("$w")
    done
    [[ $line == *' ' ]] && words+=("")
    COMP_LINE=$line COMP_POINT=${#line}
    COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
    COMPREPLY=()
    "$fn" gpu-launch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\t%s\n' "$line" "${COMPREPLY[*]}"
done
"#;

/// bash-completion's main script (pkg-config knows where: /usr/share on
/// Debian, its store path under Nix).
fn bash_completion() -> PathBuf {
    let datadir = Command::new("pkg-config")
        .args(["--variable=datadir", "bash-completion"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "/usr/share".into());
    let path = Path::new(&datadir).join("bash-completion/bash_completion");
    assert!(
        path.exists(),
        "{} is missing: this test needs the Debian package bash-completion",
        path.display()
    );
    path
}

#[test]
fn bash_completes_specs_and_hands_over_to_program() {
    let s = Session::new();
    let framework = bash_completion();
    let mut cases = common_cases();
    // readline replaces only what follows the last ':'.
    cases[4].1 = sorted(["22:00.0"]);
    cases.push(("gpu-launch --gpu=0000:01", sorted(["01:00.0"])));
    cases.push(("gpu-launch --gpu=nv", sorted(["nvidia"])));
    cases.push(("gpu-launch --list ", vec![]));
    let lines: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let mut args = vec!["--norc", "-c", BASH_HARNESS, "bash"];
    args.push(framework.to_str().unwrap());
    args.extend(&lines);
    check("bash", &answers(&s.run("bash", &args)), &cases);

    // Without bash-completion: PROGRAM's arguments are file names.
    let cases = vec![
        ("gpu-launch --gpu ", specs()),
        (
            "gpu-launch --gpu nvidia myprog ",
            sorted(["afile", "bfile"]),
        ),
        ("gpu-launch --gpu nvidia myprog --", vec![]),
        ("gpu-launch --gpu nvidia mypr", sorted(["myprog"])),
    ];
    let lines: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let mut args = vec!["--norc", "-c", BASH_HARNESS, "bash", ""];
    args.extend(&lines);
    check("bash", &answers(&s.run("bash", &args)), &cases);
}

/// Starts an interactive zsh in a pseudo-terminal for each line, types the
/// line and TAB, and prints `LINE\tMATCHES`: what compsys passed to
/// `compadd` (the completion then exits the shell). Reads wait for output
/// (zselect), 60 s at most.
const ZSH_CAPTURE: &str = r#"
zmodload zsh/zpty && zmodload zsh/zselect || exit 2
setup=$1
shift
next_line() {
    local tries=0
    until zpty -r gl line; do
        zselect -r $fd -t 2000 || (( ++tries < 3 )) || { print -u2 "no output"; exit 3 }
    done
}
for ask; do
    zpty gl zsh -f -i
    fd=$REPLY
    zpty -w gl "source ${(q)setup}"
    while next_line; do [[ $line == *READY* ]] && break; done
    zpty -w -n gl "$ask"$'\t'
    matches=()
    while next_line; do
        [[ $line == *END-OF-COMPLETION* ]] && break
        [[ $line == *MATCH:* ]] && matches+=(${${line##*MATCH:}//[$'\r\n']})
    done
    zpty -d gl
    print -r -- "$ask"$'\t'"$matches"
done
"#;

/// What the interactive zsh sources: compinit with the script's directory
/// first in $fpath, `myprog`'s completion, the recording `compadd`.
const ZSH_SETUP: &str = r#"
PS1= PROMPT= RPROMPT= PS2=
fpath=($GL_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' insert-tab false
bindkey '^I' complete-word
_myprog() { compadd alpha beta }
compdef _myprog myprog
compadd() {
    # Calls that only ask (-O, -A, -D) offer nothing.
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return
    fi
    local -a hits
    builtin compadd -A hits "$@"
    local h
    for h in $hits; do print -r -- "MATCH:$h"; done
    builtin compadd "$@"
}
_gl_done() { print -r -- "END-OF-COMPLETION"; exit }
comppostfuncs=(_gl_done)
print -r -- "READY"
"#;

#[test]
fn zsh_completes_specs_and_hands_over_to_program() {
    let s = Session::new();
    std::fs::write(s.path("setup.zsh"), ZSH_SETUP).unwrap();
    let mut cases = common_cases();
    cases.push(("gpu-launch --gpu=0000:01", sorted(["0000:01:00.0"])));
    cases.push(("gpu-launch -- mypr", sorted(["myprog"])));
    let lines: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let setup = s.path("setup.zsh");
    let mut args = vec!["-f", "-c", ZSH_CAPTURE, "zsh", setup.to_str().unwrap()];
    args.extend(&lines);
    let fpath = s.path("zsh");
    let out = Command::new(tool("timeout", "coreutils"))
        .arg("300")
        .arg(tool("zsh", "zsh"))
        .args(&args)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                s.path("bin").display(),
                bin().parent().unwrap().display()
            ),
        )
        .env("GL_FPATH", &fpath)
        .env("HOME", s.path("cwd"))
        .env("TERM", "dumb")
        .env("GPU_LAUNCH_SYSFS_ROOT", s.machine.root())
        .current_dir(s.path("cwd"))
        .output()
        .unwrap();
    let run: Run = out.into();
    assert!(run_ok(&run), "{run:?}");
    check("zsh", &answers(&run.stdout), &cases);
}

#[test]
fn fish_completes_specs_and_hands_over_to_program() {
    let s = Session::new();
    let mut cases = common_cases();
    // fish completes `--gpu=` as whole words.
    cases.push(("gpu-launch --gpu=nv", sorted(["--gpu=nvidia"])));
    cases.push(("gpu-launch --list ", vec![]));
    let mut script =
        String::from("source ../gpu-launch.fish\ncomplete -c myprog -f -a 'alpha beta'\n");
    for (line, _) in &cases {
        // complete -C prints `candidate<TAB>description` lines.
        script.push_str(&format!(
            "printf '%s\\t%s\\n' '{line}' (complete -C '{line}' | string replace -r '\\t.*' '' | string join ' ')\n"
        ));
    }
    check(
        "fish",
        &answers(&s.run("fish", &["--no-config", "-c", &script])),
        &cases,
    );
}

/// The README's install commands, in a home that has nothing yet: each
/// shell then finds the script where it looks by itself.
#[test]
fn readme_install_commands_work_in_a_fresh_home() {
    let s = Session::new();
    let home = s.path("cwd");
    // bash: bash-completion loads completions/<command> on first use.
    s.run(
        "bash",
        &[
            "--norc",
            "-c",
            "mkdir -p ~/.local/share/bash-completion/completions && \
             gpu-launch --completions bash > ~/.local/share/bash-completion/completions/gpu-launch",
        ],
    );
    let load = format!(
        "source {}; __load_completion gpu-launch && complete -p gpu-launch",
        bash_completion().display()
    );
    let out = s.run("bash", &["--norc", "-c", &load]);
    assert_eq!(out, "complete -F _gpu_launch gpu-launch\n");

    // zsh: a directory in $fpath before compinit.
    s.run(
        "zsh",
        &[
            "-f",
            "-c",
            "mkdir -p ~/.zfunc && gpu-launch --completions zsh > ~/.zfunc/_gpu-launch",
        ],
    );
    std::fs::write(
        home.join(".zshrc"),
        "fpath=(~/.zfunc $fpath)\nautoload -Uz compinit && compinit\n",
    )
    .unwrap();
    let out = s.run("zsh", &["-i", "-c", "print -r -- $_comps[gpu-launch]"]);
    assert_eq!(out.lines().last(), Some("_gpu-launch"), "{out}");

    // fish: ~/.config/fish/completions is autoloaded.
    s.run(
        "fish",
        &[
            "-c",
            "mkdir -p ~/.config/fish/completions && \
             gpu-launch --completions fish > ~/.config/fish/completions/gpu-launch.fish",
        ],
    );
    let out = s.run("fish", &["-c", "complete -C 'gpu-launch --mode '"]);
    assert_eq!(sorted(out.lines()), sorted(values("mode")));
    // The scripts load without complaint (syntax).
    run_tool(
        "bash",
        "bash",
        &["-n", s.path("gpu-launch.bash").to_str().unwrap()],
    );
    run_tool(
        "zsh",
        "zsh",
        &["-n", s.path("zsh/_gpu-launch").to_str().unwrap()],
    );
    run_tool(
        "fish",
        "fish",
        &["-n", s.path("gpu-launch.fish").to_str().unwrap()],
    );
}
