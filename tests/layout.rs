//! The shape of the code, checked by reading the sources:
//!
//! - the launch path imports nothing of what never runs on a launch
//!   (`details`, `doctor`, `desktop`, the `--status` renderers, the
//!   help/man/completion renderers of `cli::render`, clap); the strace
//!   tests in `launch_path` check what it does at run time;
//! - `unsafe` lives in `src/os/sys.rs` alone;
//! - the environment variables the code reads are exactly those
//!   `cli::environment` documents (for `--help` and the man page).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gpu_launch::cli::environment;
use gpu_launch::detect::COMPOSITOR_VARS;

/// The sources the rules are about.
fn src() -> PathBuf {
    crate::common::source("src")
}

/// What runs on a launch: files, or folders (ending in `/`) whose every file
/// does. `app/mod.rs` is the dispatcher, which names every action.
const LAUNCH_PATH: &[&str] = &[
    "main.rs",
    "lib.rs",
    "error.rs",
    "app/launch.rs",
    "app/context.rs",
    "app/output.rs",
    "cli/mod.rs",
    "cli/options.rs",
    "cli/parse.rs",
    "cli/suggest.rs",
    "config/",
    "detect/",
    "decide/",
    "os/",
    "session/state.rs",
    "session/mode.rs",
    "session/power.rs",
    "log/",
];

/// What the launch path must not name.
const NEVER_ON_A_LAUNCH: &[&str] = &[
    "crate::details",
    "crate::doctor",
    "crate::desktop",
    "crate::session::status",
    "crate::session::waybar",
    "crate::session::holders",
    "session::holders",
    "session::{holders",
    "session::{status",
    "cli::render",
    "render::",
    "clap",
];

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A source file's code: comments and the `#[cfg(test)]` module (last in
/// every file here) removed.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| l.split(" // ").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

#[test]
fn the_launch_path_imports_nothing_that_never_runs_on_a_launch() {
    let files: Vec<PathBuf> = rust_files(&src())
        .into_iter()
        .filter(|p| {
            let rel = relative(p);
            LAUNCH_PATH.iter().any(|l| match l.strip_suffix('/') {
                Some(dir) => rel.starts_with(&format!("{dir}/")),
                None => rel == *l,
            })
        })
        .collect();
    assert!(files.len() > 30, "{files:?}");
    for path in files {
        let code = code(&path);
        for bad in NEVER_ON_A_LAUNCH {
            assert!(
                !code.contains(bad),
                "src/{} (on the launch path) names `{bad}`",
                relative(&path)
            );
        }
    }
}

#[test]
fn unsafe_lives_in_os_sys_alone_with_a_safety_line_per_block() {
    for path in rust_files(&src()) {
        let rel = relative(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        match rel.as_str() {
            "os/sys.rs" | "main.rs" => {
                let lines: Vec<&str> = text.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    if line.contains("unsafe {") {
                        let above = &lines[i.saturating_sub(3)..i];
                        assert!(
                            above.iter().any(|l| l.contains("// SAFETY:")),
                            "src/{rel}:{}: unsafe block without a SAFETY line",
                            i + 1
                        );
                    }
                }
            }
            _ => {
                let code = code(&path);
                for token in ["unsafe {", "unsafe fn", "unsafe extern", "unsafe impl"] {
                    assert!(!code.contains(token), "src/{rel} uses `{token}`");
                }
                assert!(
                    !code.contains("allow(unsafe_code)"),
                    "src/{rel} allows unsafe"
                );
            }
        }
    }
}

/// The variables the code reads: the literal (or `const NAME: &str`)
/// arguments of `.get(..)` and `.get_nonempty(..)` on the environment and
/// of `env::var_os(..)` (read only where something rare happens), plus
/// the compositor variables read in a loop over `COMPOSITOR_VARS`.
/// (Arguments in lower case are loop or parameter variables: the
/// compositor loop, doctor's driver-list overrides, `Environ` itself.)
fn variables_read() -> BTreeSet<String> {
    let files: Vec<String> = rust_files(&src()).iter().map(|p| code(p)).collect();
    let mut consts = std::collections::BTreeMap::new();
    for code in &files {
        for part in code.split("const ").skip(1) {
            let Some((name, rest)) = part.split_once(": &str = \"") else {
                continue;
            };
            if let Some((value, _)) = rest.split_once('"') {
                consts.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }
    let mut read = BTreeSet::new();
    for code in &files {
        for call in [".get(", ".get_nonempty(", "env::var_os(", "env::var("] {
            for part in code.split(call).skip(1) {
                let arg = part.split([')', ',']).next().unwrap_or("").trim();
                if let Some(literal) = arg.strip_prefix('"') {
                    read.insert(literal.trim_end_matches('"').to_owned());
                } else if arg.starts_with(|c: char| c.is_ascii_uppercase()) || arg.contains("::") {
                    let name = arg.rsplit("::").next().unwrap_or(arg);
                    let value = consts
                        .get(name)
                        .unwrap_or_else(|| panic!("cannot resolve the variable {arg}"));
                    read.insert(value.clone());
                }
            }
        }
    }
    read.extend(COMPOSITOR_VARS.iter().map(|v| (*v).to_owned()));
    read
}

#[test]
fn the_documented_environment_is_what_the_code_reads() {
    let documented: BTreeSet<String> = environment::names().map(str::to_owned).collect();
    let read = variables_read();
    let undocumented: Vec<_> = read.difference(&documented).collect();
    let unread: Vec<_> = documented.difference(&read).collect();
    assert!(
        undocumented.is_empty() && unread.is_empty(),
        "read but not in cli/environment.rs: {undocumented:?}; listed but never read: {unread:?}"
    );
    assert!(
        read.contains("GPU_LAUNCH_SYSFS_ROOT") && read.contains("PATH"),
        "{read:?}"
    );
}
