//! The packaging hooks through the real binary and the real tools: the
//! completions and the man page name every option, the man page renders
//! without warnings, an unknown shell is a usage error; the examples under
//! packaging/examples/ use real options and the PKGBUILD parses. (The
//! completions in their shells are tested in tests/completion.rs, the Nix
//! files in tests/nix.rs, the .deb by .ci/run.)
//!
//! Each test needs its tool (bash, groff, desktop-file-validate) and fails
//! naming the Debian package when it is missing; `tests/run.sh` installs
//! them.

use std::process::Command;

use crate::common::{Run, bin, run_tool, tool};
use gpu_launch::cli::OPTIONS;

const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// Runs gpu-launch with a bare environment.
fn gpu_launch(args: &[&str]) -> Run {
    Command::new(bin())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(args)
        .output()
        .expect("run gpu-launch")
        .into()
}

#[test]
fn completions_and_man_page_name_every_option() {
    let man = gpu_launch(&["--man"]);
    assert_eq!(man.status, 0, "{man:?}");
    for shell in SHELLS {
        let run = gpu_launch(&["--completions", shell]);
        assert_eq!(run.status, 0, "{run:?}");
        for d in OPTIONS {
            // fish writes `-l gpu`, the others `--gpu`.
            let named = run.stdout.contains(&format!("--{}", d.long))
                || run.stdout.contains(&format!("-l {}", d.long));
            assert!(named, "{shell} completion lacks --{}", d.long);
        }
    }
    for d in OPTIONS {
        let roff = format!("\\-\\-{}", d.long.replace('-', "\\-"));
        assert!(man.stdout.contains(&roff), "man page lacks --{}", d.long);
    }
}

#[test]
fn man_page_renders_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("gpu-launch.1");
    std::fs::write(&page, gpu_launch(&["--man"]).stdout).unwrap();
    let page = page.to_str().unwrap();
    tool("groff", "groff-base");
    let out = Command::new("groff")
        .args(["-man", "-Tascii", "-ww", "-z", page])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff warns: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = run_tool("groff", "groff-base", &["-man", "-Tascii", "-P-cbou", page]);
    // The text as words (groff wraps lines where it likes).
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "gpu-launch - run a program on the right GPU",
        "SYNOPSIS",
        "--gpu <SPEC>",
        "--completions <SHELL>",
        "EXIT STATUS",
        "/etc/gpu-launch/config.toml",
        "GPU_LAUNCH_GPU",
        // What --help has no room for.
        "GPU SPEC",
        "in hexadecimal",
        "bus[@domain]:device:function in decimal. PCI:60:0:0 is 0000:3c:00.0",
        "WHAT GETS SET",
        "__NV_PRIME_RENDER_OFFLOAD=1",
        "DRI_PRIME=pci-DDDD_BB_SS_F",
        "MESA_VK_DEVICE_SELECT=vvvv:dddd",
        "VK_LOADER_DRIVERS_DISABLE=*nvidia*",
        "CHROMIUM AND ELECTRON",
        "--render-node-override=/dev/dri/renderDN",
        "one change gpu-launch makes to PROGRAM's arguments",
        "CONFIGURATION",
        "notify = \"warnings\"",
        "DIAGNOSTICS",
        "systemd journal",
        "desktop notification",
        "FILES",
        "$XDG_RUNTIME_DIR/gpu-launch/",
        "EXAMPLES",
        "gpu-launch --print-env --shell fish --gpu amd | source",
    ] {
        assert!(
            flat.contains(want),
            "rendered man page lacks {want:?}:\n{text}"
        );
    }
    // The config example, line by line, as typed (apostrophes and quotes
    // kept).
    for line in gpu_launch::cli::render::CONFIG_EXAMPLE.lines() {
        assert!(text.contains(line), "rendered man page lacks {line:?}");
    }
}

/// The man page's config example is TOML with every key of the config
/// file, at the level where it belongs.
#[test]
fn man_page_config_example_holds_every_key() {
    let example: toml::Table = gpu_launch::cli::render::CONFIG_EXAMPLE.parse().unwrap();
    let keys = |t: &toml::Table| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&example),
        ["apps", "chromium", "gpu", "notify", "strict"]
    );
    assert_eq!(
        keys(example["chromium"].as_table().unwrap()),
        ["enable", "programs"]
    );
    assert_eq!(
        keys(example["apps"]["blender"].as_table().unwrap()),
        ["gpu"]
    );
}

/// `--help` has a usage line for every form, and says that the Chromium rule
/// adds an argument rather than that PROGRAM's arguments always pass
/// unchanged.
#[test]
fn help_names_every_form_and_the_chromium_argument() {
    use gpu_launch::cli::Action;
    let run = gpu_launch(&["--help"]);
    assert_eq!(run.status, 0, "{run:?}");
    let usage: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Usage: "))
        .take_while(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("Usage: ").trim())
        .collect();
    for action in Action::ALL {
        let form = match action {
            Action::Launch => "gpu-launch [OPTIONS] [--] PROGRAM [ARGS]...".to_owned(),
            Action::Help | Action::Version => "gpu-launch --help | --version".to_owned(),
            other => format!("gpu-launch {}", other.flag()),
        };
        assert!(
            usage.iter().any(|l| l.starts_with(&form)),
            "no usage line for {action:?}: {usage:?}"
        );
    }
    assert!(usage.contains(&"gpu-launch --install-desktop APP [--gpu SPEC] [--output DIR]"));
    assert!(usage.contains(&"gpu-launch --print-env [--json] [--shell SHELL] [OPTIONS] [PROGRAM]"));
    let text = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(
            "except that a Chromium-based PROGRAM gets one more, --render-node-override="
        ),
        "{text}"
    );
    assert!(!text.contains("passed to it unchanged"), "{text}");
    // The SPEC's two PCI forms, told apart.
    assert!(text.contains("0000:01:00.0: hex"), "{text}");
    assert!(text.contains("PCI:1:0:0: decimal"), "{text}");
}

#[test]
fn unknown_shell_is_a_usage_error() {
    for args in [
        &["--completions", "tcsh"][..],
        &["--completions", "Bash"],
        &["--completions", ""],
        &["--completions"],
        &["--completions", "bash", "extra"],
        &["--man", "extra"],
        &["--man", "--list"],
    ] {
        let run = gpu_launch(args);
        assert_eq!(run.status, 125, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        crate::common::one_error_line(&run);
    }
    let run = gpu_launch(&["--completions", "tcsh"]);
    assert!(
        run.stderr.contains("'tcsh'") && run.stderr.contains("bash, zsh, fish"),
        "{run:?}"
    );
}

/// Every gpu-launch command line in packaging/examples/ and the PKGBUILD's
/// version: the examples use options that exist, in combinations the parser
/// takes (checked in-process with `cli::parse`: nothing is run).
#[test]
fn examples_use_real_options() {
    let examples = crate::common::source("packaging/examples");
    let read = |rel: &str| std::fs::read_to_string(examples.join(rel)).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for line in read("hyprland.conf").lines() {
        if let Some((_, cmd)) = line.split_once("exec, ") {
            lines.push(cmd.split(" && ").next().unwrap().trim().to_owned());
        }
    }
    let waybar: serde_json::Value = serde_json::from_str(&read("waybar/config.json")).unwrap();
    let module = &waybar["custom/gpu"];
    assert_eq!(module["exec"], "gpu-launch --status --waybar");
    assert_eq!(module["return-type"], "json");
    for key in ["exec", "on-click", "on-click-right", "on-click-middle"] {
        let cmd = module[key].as_str().unwrap();
        lines.push(cmd.split(" && ").next().unwrap().to_owned());
    }
    for line in read("blender.desktop").lines() {
        if let Some(cmd) = line.strip_prefix("Exec=") {
            lines.push(cmd.replace(" %f", ""));
        }
    }
    assert!(lines.len() >= 12, "{lines:?}");
    for line in &lines {
        let words: Vec<std::ffi::CString> = line
            .split_whitespace()
            .map(|w| std::ffi::CString::new(w).unwrap())
            .collect();
        assert_eq!(words[0].to_str().unwrap(), "gpu-launch", "{line}");
        let args: Vec<&std::ffi::CStr> = words.iter().map(AsRef::as_ref).collect();
        let parsed = gpu_launch::cli::parse(&args).and_then(|cli| cli.action());
        assert!(parsed.is_ok(), "{line}: {parsed:?}");
    }
}

#[test]
fn example_desktop_file_validates() {
    let file = crate::common::source("packaging/examples/blender.desktop");
    let out = run_tool(
        "desktop-file-validate",
        "desktop-file-utils",
        &[file.to_str().unwrap()],
    );
    assert!(out.is_empty(), "{out}");
}

#[test]
fn pkgbuild_parses_and_matches_the_crate_version() {
    let pkgbuild = crate::common::source("packaging/arch/PKGBUILD");
    let path = pkgbuild.to_str().unwrap();
    run_tool("bash", "bash", &["-n", path]);
    let version = run_tool(
        "bash",
        "bash",
        &[
            "-c",
            "startdir=$(dirname \"$1\"); source \"$1\"; echo \"$pkgver\"",
            "bash",
            path,
        ],
    );
    assert_eq!(version.trim(), env!("CARGO_PKG_VERSION"));
}
