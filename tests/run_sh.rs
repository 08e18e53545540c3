//! `tests/run.sh`, the test command for a fresh Debian or Ubuntu machine: it
//! names exactly the packages that are missing, installs them with apt-get
//! (through sudo when not root) and nothing when all are there; its list
//! holds every package a test names, and `.ci/run` has no list of its own.
//!
//! Run with stand-ins for `dpkg-query`, `apt-get`, `sudo` and `id` first on
//! PATH (they record what they were asked), so nothing is installed and
//! cargo is never run from here (`--check` and `--install` stop before it).

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{Run, write_executable};

/// A PATH directory with the stand-ins: `dpkg-query` reports the packages in
/// `$MISSING` as not installed, `apt-get` and `sudo` append their command
/// line to `$LOG`, `id -u` prints `$UID_IS`.
fn stand_ins() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, body: &str| {
        write_executable(&dir.path().join(name), &format!("#!/bin/sh\n{body}"), 0o755);
    };
    // dpkg-query -W -f='${db:Status-Abbrev}' PACKAGE
    put(
        "dpkg-query",
        r#"for p; do :; done
case " $MISSING " in *" $p "*) exit 1 ;; esac
printf 'ii '
"#,
    );
    put("apt-get", "echo \"apt-get $*\" >>\"$LOG\"\n");
    put("sudo", "echo \"sudo $*\" >>\"$LOG\"\nexec \"$@\"\n");
    put("id", "echo \"$UID_IS\"\n");
    dir
}

/// Runs `tests/run.sh args` with the stand-ins; the run and what apt-get and
/// sudo were asked.
fn run_sh(args: &[&str], missing: &str, uid: &str) -> (Run, Vec<String>) {
    let bin = stand_ins();
    let log = bin.path().join("log");
    let run: Run = Command::new(crate::common::source("tests/run.sh"))
        .args(args)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("MISSING", missing)
        .env("UID_IS", uid)
        .env("LOG", &log)
        .output()
        .expect("run tests/run.sh")
        .into();
    let asked = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    (run, asked)
}

/// The packages of the script's `PACKAGES=( ... )` list (or another).
fn listed(name: &str) -> Vec<String> {
    let script = std::fs::read_to_string(crate::common::source("tests/run.sh")).unwrap();
    let start = script
        .find(&format!("\n{name}=("))
        .unwrap_or_else(|| panic!("tests/run.sh has no {name} list"));
    let body = &script[start..];
    let body = &body[body.find('(').unwrap() + 1..body.find("\n)").unwrap()];
    body.lines()
        .flat_map(|l| l.split('#').next().unwrap().split_whitespace())
        .map(str::to_owned)
        .collect()
}

#[test]
fn check_names_exactly_the_missing_packages() {
    let (run, asked) = run_sh(&["--check"], "zsh fish", "1000");
    assert_eq!(run.status, 1, "{run:?}");
    assert_eq!(run.stdout, "missing: zsh fish\n", "{run:?}");
    assert!(asked.is_empty(), "--check installs nothing: {asked:?}");

    let (run, asked) = run_sh(&["--check"], "", "1000");
    assert_eq!(run.status, 0, "{run:?}");
    let all = listed("PACKAGES").len();
    assert_eq!(
        run.stdout,
        format!("all {all} packages the tests need are installed\n")
    );
    assert!(asked.is_empty(), "{asked:?}");
    // The .deb check's packages only with --packaging.
    let (run, _) = run_sh(&["--check"], "man-db", "1000");
    assert_eq!(run.status, 0, "{run:?}");
    let (run, _) = run_sh(&["--check", "--packaging"], "man-db", "1000");
    assert_eq!(run.stdout, "missing: man-db\n", "{run:?}");
}

#[test]
fn installs_only_what_is_missing_naming_it_first_with_sudo_when_not_root() {
    let install = "apt-get install -y -qq --no-install-recommends bash-completion fish";
    let (run, asked) = run_sh(&["--install"], "fish bash-completion", "1000");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("installing the Debian packages the tests need: bash-completion fish"),
        "{run:?}"
    );
    assert_eq!(
        asked,
        [
            "sudo apt-get update -qq".to_owned(),
            "apt-get update -qq".to_owned(),
            format!("sudo env DEBIAN_FRONTEND=noninteractive {install}"),
            install.to_owned(),
        ]
    );
    // As root: no sudo.
    let (run, asked) = run_sh(&["--install"], "fish bash-completion", "0");
    assert_eq!(run.status, 0, "{run:?}");
    assert_eq!(asked, ["apt-get update -qq", install]);
    // Nothing missing: apt-get is never run.
    let (run, asked) = run_sh(&["--install", "--packaging"], "", "1000");
    assert_eq!(run.status, 0, "{run:?}");
    assert!(asked.is_empty(), "{asked:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn unknown_arguments_are_refused() {
    let (run, asked) = run_sh(&["--frobnicate"], "zsh", "0");
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stderr.contains("'--frobnicate'"), "{run:?}");
    assert!(asked.is_empty(), "{asked:?}");
}

/// Debian's Essential packages: on every Debian system, never installed.
const ESSENTIAL: &[&str] = &[
    "bash",
    "coreutils",
    "tar",
    "sed",
    "grep",
    "findutils",
    "util-linux",
];

/// Every package a test names when its tool is missing (`tool("zsh", "zsh")`,
/// `run_tool("groff", "groff-base", ...)`) is in the script's list, so the
/// test command installs it; and .ci/run keeps no list of its own.
#[test]
fn the_list_holds_every_package_a_test_names() {
    let listed: BTreeSet<String> = listed("PACKAGES").into_iter().collect();
    let mut named = BTreeSet::new();
    let mut files = vec![crate::common::source("tests")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for call in ["tool(\"", "run_tool(\"", "installed(\""] {
            for (i, _) in text.match_indices(call) {
                // tool("NAME", "PACKAGE" ...
                let rest = &text[i + call.len()..];
                let mut quoted = rest.split('"');
                let (Some(_name), Some(sep), Some(package)) =
                    (quoted.next(), quoted.next(), quoted.next())
                else {
                    continue;
                };
                // A Debian package name (not this file's `"PACKAGE"`).
                let debian = package
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b));
                if sep.trim() == "," && debian && !package.is_empty() {
                    named.insert((package.to_owned(), path.display().to_string()));
                }
            }
        }
    }
    assert!(named.len() >= 8, "{named:?}");
    for (package, file) in &named {
        assert!(
            listed.contains(package) || ESSENTIAL.contains(&package.as_str()),
            "{file} needs the Debian package {package}, which tests/run.sh does not install"
        );
    }
    let ci = std::fs::read_to_string(crate::common::source(".ci/run")).unwrap();
    assert!(ci.contains("tests/run.sh --install --packaging\n"), "{ci}");
    assert!(ci.contains("\ntests/run.sh\n"), "{ci}");
    assert!(
        !ci.contains("apt-get"),
        ".ci/run installs through tests/run.sh"
    );
}
