//! The README, as a newcomer uses it: every command it shows runs as shown.
//!
//! Each line of a fenced ```` ```sh ```` block is a command (a trailing
//! `# comment` is not part of its name). A command is either in [`HERE`],
//! and runs in a sandbox with the status given there, or in [`NOT_HERE`]
//! with the reason it cannot run inside `cargo test`. A command that is in
//! neither list fails the test, and so does a list entry the README no
//! longer shows. The Hyprland binds (```` ```ini ````) and the waybar
//! module's commands (```` ```jsonc ````) run too, and the config example
//! (```` ```toml ````) is read by gpu-launch with no note.
//!
//! The sandbox: an empty HOME (so `~` is new, as on a fresh machine), a
//! private `XDG_RUNTIME_DIR`, the Intel + NVIDIA laptop fixture through
//! `GPU_LAUNCH_SYSFS_ROOT`, an empty `GPU_LAUNCH_DATA_ROOT` (so `--doctor`
//! looks at no file of this machine), the journal pointed at a socket that
//! does not exist, no session bus, and on PATH the `gpu-launch` cargo built
//! for this test plus stand-ins for the programs the README launches
//! (`blender`, `chromium`: scripts that exit 0) and a `blender.desktop` in
//! `XDG_DATA_DIRS`. The commands run in README order in the one sandbox,
//! so a `mkdir -p` prepares the redirect after it, as for a reader.
//!
//! Also checked: the README's size (at most ~20 KB), that it names every
//! Debian package `tests/run.sh` installs, that its links point into the
//! repository, and that it cites no issue numbers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::fixture;
use crate::common::{tool, write_executable};

/// The shells a command runs in.
#[derive(Clone, Copy, Debug)]
enum Sh {
    Bash,
    Posix,
    Zsh,
    Fish,
}

/// Commands that run here: (command, the shells it runs in, exit status in
/// the sandbox).
const HERE: &[(&str, &[Sh], i32)] = &[
    ("gpu-launch --list", &[Sh::Bash], 0),
    (
        "mkdir -p ~/.local/share/bash-completion/completions",
        &[Sh::Bash],
        0,
    ),
    (
        "gpu-launch --completions bash > ~/.local/share/bash-completion/completions/gpu-launch",
        &[Sh::Bash],
        0,
    ),
    ("mkdir -p ~/.zfunc", &[Sh::Bash], 0),
    (
        "gpu-launch --completions zsh > ~/.zfunc/_gpu-launch",
        &[Sh::Bash],
        0,
    ),
    ("mkdir -p ~/.config/fish/completions", &[Sh::Bash], 0),
    (
        "gpu-launch --completions fish > ~/.config/fish/completions/gpu-launch.fish",
        &[Sh::Bash],
        0,
    ),
    ("mkdir -p ~/.local/share/man/man1", &[Sh::Bash], 0),
    (
        "gpu-launch --man > ~/.local/share/man/man1/gpu-launch.1",
        &[Sh::Bash],
        0,
    ),
    ("gpu-launch blender", &[Sh::Bash], 0),
    ("gpu-launch --gpu integrated blender", &[Sh::Bash], 0),
    (
        "gpu-launch -g PCI:1:0:0 -- blender --factory-startup",
        &[Sh::Bash],
        0,
    ),
    ("gpu-launch --dry-run sh -c 'echo hi'", &[Sh::Bash], 0),
    (
        "gpu-launch --dry-run --json --gpu nvidia true",
        &[Sh::Bash],
        0,
    ),
    ("gpu-launch --list --json", &[Sh::Bash], 0),
    (
        r#"eval "$(gpu-launch --print-env)""#,
        &[Sh::Bash, Sh::Posix, Sh::Zsh],
        0,
    ),
    (
        "gpu-launch --print-env --shell fish | source",
        &[Sh::Fish],
        0,
    ),
    (
        "gpu-launch --install-desktop blender --gpu discrete",
        &[Sh::Bash],
        0,
    ),
    ("gpu-launch --uninstall-desktop blender", &[Sh::Bash], 0),
    ("gpu-launch --mode", &[Sh::Bash], 0),
    ("gpu-launch --mode integrated", &[Sh::Bash], 0),
    ("gpu-launch --mode hybrid", &[Sh::Bash], 0),
    ("gpu-launch --mode auto", &[Sh::Bash], 0),
    ("gpu-launch --mode toggle", &[Sh::Bash], 0),
    ("gpu-launch --next discrete", &[Sh::Bash], 0),
    ("gpu-launch --status", &[Sh::Bash], 0),
    // The fixture has an NVIDIA GPU and GPU_LAUNCH_DATA_ROOT holds none of
    // NVIDIA's libraries: checks fail, as on a machine without the driver.
    ("gpu-launch --doctor", &[Sh::Bash], 1),
    ("gpu-launch --doctor --json", &[Sh::Bash], 1),
    ("gpu-launch -v --dry-run true", &[Sh::Bash], 0),
];

/// Commands that cannot run inside `cargo test`, and why.
const NOT_HERE: &[(&str, &str)] = &[
    (
        "cargo install --locked --path .",
        "a release build with fat LTO (minutes) into ~/.cargo; the sandbox puts the \
         gpu-launch cargo built for this test on PATH instead",
    ),
    (
        "tests/run.sh",
        "runs cargo test, of which this test is a part; tests/run_sh.rs checks the script \
         and CI (.ci/run) runs it from a clean clone",
    ),
    (
        "cargo install cargo-deb --locked --version 3.8.0",
        "downloads and builds cargo-deb from crates.io; .ci/run does",
    ),
    (
        "packaging/deb/build.sh",
        "a release build and cargo-deb (minutes); .ci/run builds the .deb",
    ),
    (
        "sudo apt install ./target/debian/gpu-launch_0.1.0-1_amd64.deb",
        "installs into the system as root; .ci/run installs the .deb, checks it with \
         packaging/deb/install-test.sh and removes it",
    ),
    (
        "cd packaging/arch && makepkg -si",
        "needs Arch Linux (makepkg, pacman); tests/packaging.rs checks the PKGBUILD",
    ),
];

/// At most ~20 KB: a user's README, not the developer's notes.
const MAX_BYTES: usize = 20 * 1024;

fn root() -> PathBuf {
    crate::common::source("")
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The lines of the fenced blocks of language `lang`, block by block.
fn blocks(text: &str, lang: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, l) if l == format!("```{lang}") => current = Some(Vec::new()),
            (Some(_), "```") => out.push(current.take().unwrap()),
            (Some(b), l) => b.push(l.to_owned()),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "a ```{lang} block is not closed");
    out
}

/// `line` without a trailing shell comment: a `#` that starts a word
/// outside quotes.
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev_blank) = (false, false, true);
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev_blank => return line[..i].trim_end(),
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    line.trim_end()
}

/// The commands of the README's ```sh blocks, in order (continuation lines
/// joined, comments and blank lines left out).
fn sh_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in blocks(text, "sh") {
        let mut pending = String::new();
        for line in block {
            let line = strip_comment(&line);
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                continue;
            }
            pending.push_str(line);
            let cmd = pending.trim().to_owned();
            pending.clear();
            if !cmd.is_empty() {
                out.push(cmd);
            }
        }
        assert!(pending.is_empty(), "a ```sh block ends in a continuation");
    }
    out
}

/// The sandbox every command runs in.
struct Sandbox {
    _fixture: fixture::Fixture,
    _dir: tempfile::TempDir,
    home: PathBuf,
    vars: Vec<(&'static str, String)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let fixture = fixture::intel_nvidia_laptop();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let home = d.join("home");
        let bin = d.join("bin");
        let run = d.join("run");
        let share = d.join("share");
        let data_root = d.join("data-root");
        for p in [&home, &bin, &run, &share.join("applications"), &data_root] {
            std::fs::create_dir_all(p).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(crate::common::bin(), bin.join("gpu-launch")).unwrap();
        for program in ["blender", "chromium"] {
            write_executable(&bin.join(program), "#!/bin/sh\nexit 0\n", 0o755);
        }
        std::fs::write(
            share.join("applications/blender.desktop"),
            "[Desktop Entry]\nType=Application\nName=Blender\nExec=blender %F\n",
        )
        .unwrap();
        let vars = vec![
            ("PATH", format!("{}:/usr/bin:/bin", bin.display())),
            ("HOME", home.display().to_string()),
            ("XDG_RUNTIME_DIR", run.display().to_string()),
            ("XDG_DATA_DIRS", share.display().to_string()),
            (
                "GPU_LAUNCH_SYSFS_ROOT",
                fixture.root().display().to_string(),
            ),
            ("GPU_LAUNCH_DATA_ROOT", data_root.display().to_string()),
            (
                "GPU_LAUNCH_JOURNAL_SOCKET",
                d.join("no-journal").display().to_string(),
            ),
        ];
        Sandbox {
            _fixture: fixture,
            _dir: dir,
            home,
            vars,
        }
    }

    /// Runs `cmd` in `sh`; returns (status, stdout, stderr).
    fn run(&self, sh: Sh, cmd: &str) -> (i32, String, String) {
        let (name, package, args): (&str, &str, &[&str]) = match sh {
            Sh::Bash => ("bash", "bash", &["--norc", "--noprofile", "-c"]),
            // /bin/sh, whichever shell it is (dash on Debian): no package.
            Sh::Posix => ("sh", "", &["-c"]),
            Sh::Zsh => ("zsh", "zsh", &["-f", "-c"]),
            Sh::Fish => ("fish", "fish", &["--no-config", "-c"]),
        };
        let program = if package.is_empty() {
            PathBuf::from("/bin/sh")
        } else {
            tool(name, package)
        };
        let out = Command::new(program)
            .args(args)
            .arg(cmd)
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.home)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `cmd` and asserts its status; a command that succeeds must say
    /// nothing went wrong (no `gpu-launch: ` error or warning line; a
    /// `gpu-launch: note:` is a remark).
    fn check(&self, sh: Sh, cmd: &str, want: i32) {
        let (status, stdout, stderr) = self.run(sh, cmd);
        assert_eq!(
            status, want,
            "README command `{cmd}` in {sh:?}: status {status}, expected {want}\n\
             stdout:\n{stdout}\nstderr:\n{stderr}"
        );
        if want == 0 {
            assert!(
                !stderr
                    .lines()
                    .any(|l| l.starts_with("gpu-launch: ") && !l.starts_with("gpu-launch: note: ")),
                "README command `{cmd}` in {sh:?} complained:\n{stderr}"
            );
        }
    }
}

#[test]
fn every_readme_command_runs_or_says_why_not() {
    let text = readme();
    let commands = sh_commands(&text);
    assert!(commands.len() > 20, "found only {commands:?}");

    // Every command is in one list, and every list entry is in the README.
    let here = |c: &str| HERE.iter().find(|(h, _, _)| *h == c);
    let not_here = |c: &str| NOT_HERE.iter().find(|(n, _)| *n == c);
    let unknown: Vec<&String> = commands
        .iter()
        .filter(|c| here(c).is_none() && not_here(c).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "README commands in neither HERE nor NOT_HERE of tests/readme.rs (add each to \
         HERE with its status, or to NOT_HERE with the reason it cannot run): {unknown:#?}"
    );
    let stale: Vec<&str> = HERE
        .iter()
        .map(|(c, _, _)| *c)
        .chain(NOT_HERE.iter().map(|(c, _)| *c))
        .filter(|c| !commands.iter().any(|x| x == c))
        .collect();
    assert!(
        stale.is_empty(),
        "tests/readme.rs lists commands the README no longer shows: {stale:#?}"
    );
    for (c, why) in NOT_HERE {
        assert!(!why.is_empty(), "{c}: say why it cannot run");
    }

    // Run them, in README order.
    let sandbox = Sandbox::new();
    for cmd in &commands {
        if let Some((_, shells, want)) = here(cmd) {
            for sh in *shells {
                sandbox.check(*sh, cmd, *want);
            }
        }
    }

    // What they were for is there.
    let home = &sandbox.home;
    for file in [
        ".local/share/bash-completion/completions/gpu-launch",
        ".zfunc/_gpu-launch",
        ".config/fish/completions/gpu-launch.fish",
        ".local/share/man/man1/gpu-launch.1",
    ] {
        let len = std::fs::metadata(home.join(file)).map_or(0, |m| m.len());
        assert!(len > 0, "~/{file} was not written");
    }
    assert!(
        !home
            .join(".local/share/applications/blender.desktop")
            .exists(),
        "--uninstall-desktop left the override behind"
    );
}

/// The Hyprland binds and the waybar module's commands run (the part before
/// `&&`: `pkill` only refreshes a waybar that is not running here).
#[test]
fn readme_binds_and_bar_commands_run() {
    let text = readme();
    let mut commands = Vec::new();
    for line in blocks(&text, "ini").concat() {
        if let Some((_, cmd)) = line.split_once(", exec, ") {
            let cmd = cmd.split(" && ").next().unwrap().trim();
            commands.push(cmd.to_owned());
        }
    }
    for line in blocks(&text, "jsonc").concat() {
        let line = line.trim();
        for key in ["\"exec\": ", "\"on-click\": ", "\"on-click-right\": "] {
            if let Some(rest) = line.strip_prefix(key) {
                let cmd: String = serde_json::from_str(rest.trim_end_matches(','))
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
                commands.push(cmd);
            }
        }
    }
    assert!(commands.len() >= 6, "found only {commands:?}");
    let sandbox = Sandbox::new();
    for cmd in &commands {
        assert!(cmd.starts_with("gpu-launch "), "{cmd}");
        sandbox.check(Sh::Posix, cmd, 0);
    }
    let (_, waybar, _) = sandbox.run(Sh::Posix, "gpu-launch --status --waybar");
    let v: serde_json::Value = serde_json::from_str(&waybar).expect("waybar JSON");
    for key in ["text", "tooltip", "class", "alt"] {
        assert!(v.get(key).is_some(), "{key} missing: {waybar}");
    }
}

/// The README's config example holds every key and is a valid config: a
/// dry run with it has no note.
#[test]
fn readme_config_example_is_read_without_a_note() {
    let text = readme();
    let toml = blocks(&text, "toml");
    assert_eq!(toml.len(), 1, "one config example");
    let example = toml[0].join("\n");
    for key in [
        "gpu =",
        "strict =",
        "notify =",
        "[chromium]",
        "enable =",
        "programs =",
        "[apps.",
    ] {
        assert!(example.contains(key), "the example lacks {key}");
    }
    let sandbox = Sandbox::new();
    let file = sandbox.home.join("config.toml");
    std::fs::write(&file, &example).unwrap();
    let (status, stdout, stderr) = sandbox.run(
        Sh::Posix,
        &format!(
            "gpu-launch --config {} --dry-run --json true",
            file.display()
        ),
    );
    assert_eq!(status, 0, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["notes"], serde_json::json!([]), "{stdout}");
}

/// Size, the test command's packages, links, no issue numbers.
#[test]
fn readme_is_short_self_contained_and_names_the_test_packages() {
    let text = readme();
    assert!(
        text.len() <= MAX_BYTES,
        "README.md is {} bytes; at most {MAX_BYTES}: move developer material to docs/",
        text.len()
    );

    // tests/run.sh's PACKAGES list, one word per package.
    let script = std::fs::read_to_string(root().join("tests/run.sh")).unwrap();
    let list = script
        .split_once("PACKAGES=(")
        .and_then(|(_, rest)| rest.split_once("\n)"))
        .expect("PACKAGES=( ... ) in tests/run.sh")
        .0;
    let packages: Vec<&str> = list
        .lines()
        .flat_map(|l| strip_comment(l).split_whitespace())
        .collect();
    assert!(packages.len() > 10, "{packages:?}");
    for p in &packages {
        assert!(
            text.contains(&format!("`{p}`")),
            "the README does not name the package `{p}` that tests/run.sh installs"
        );
    }

    // Links point into the repository, at files that exist.
    for (i, _) in text.match_indices("](") {
        let target = &text[i + 2..];
        let target = &target[..target.find(')').expect("a closed link")];
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        assert!(
            !target.contains(".."),
            "a link out of the repository: {target}"
        );
        assert!(
            Path::new(&root().join(target)).exists(),
            "a link to a missing file: {target}"
        );
    }
    assert!(!text.contains("../"), "a path outside the repository");
    let lower = text.to_lowercase();
    for (i, _) in lower.match_indices("issue") {
        let after = lower[i + 5..].trim_start_matches([' ', '#']);
        assert!(
            !after.starts_with(|c: char| c.is_ascii_digit()),
            "the README cites an issue number: {}",
            &text[i..(i + 12).min(text.len())]
        );
    }
}

#[test]
fn comments_are_not_part_of_a_command() {
    assert_eq!(
        strip_comment("gpu-launch --list   # the GPUs"),
        "gpu-launch --list"
    );
    assert_eq!(
        strip_comment("echo '# not a comment'"),
        "echo '# not a comment'"
    );
    assert_eq!(strip_comment("echo a#b"), "echo a#b");
    assert_eq!(
        sh_commands("```sh\n# a comment\nfoo \\\n  bar # x\n\nbaz\n```\n"),
        ["foo   bar", "baz"]
    );
}

/// The README's numbers follow the code: the count of removed variables, the
/// Vulkan test's counts (as docs/CLIENTS.md states them, which
/// tests/vulkan.rs checks), the Rust version, the .deb's name, the cargo-deb
/// version CI pins.
#[test]
fn readme_numbers_follow_the_code() {
    // One line per paragraph, so a wrapped phrase still matches.
    let text = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let n = gpu_launch::decide::plan::SELECTION_VARS.len();
    assert!(
        text.contains(&format!("lists all {n})")),
        "say: lists all {n}"
    );

    let clients = std::fs::read_to_string(root().join("docs/CLIENTS.md")).unwrap();
    let counts = clients
        .lines()
        .find_map(|l| l.strip_prefix("**")?.split_once(" cases: "))
        .expect("docs/CLIENTS.md: **N cases: ...");
    let numbers: Vec<&str> = counts
        .1
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .collect();
    let want = format!(
        "{} cases, {} land, {} known divergences",
        counts.0, numbers[0], numbers[1]
    );
    assert!(text.contains(&want), "say: {want}");

    let cargo: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = &cargo["package"];
    let rust = package["rust-version"].as_str().unwrap();
    assert!(
        text.contains(&format!("Rust {rust} or newer")),
        "Rust {rust}"
    );
    let version = package["version"].as_str().unwrap();
    let deb = format!("target/debian/gpu-launch_{version}-1_amd64.deb");
    assert!(text.contains(&deb), "say: {deb}");

    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let pin = ci
        .split_once("cargo install cargo-deb --version ")
        .and_then(|(_, r)| r.split_whitespace().next())
        .expect("the cargo-deb pin in .ci/run");
    assert!(
        text.contains(&format!("cargo-deb --locked --version {pin}")),
        "cargo-deb {pin}"
    );
}
