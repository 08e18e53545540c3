//! `--print-env` in the real shells, as the README shows it:
//! `eval "$(gpu-launch --print-env)"` in bash and zsh,
//! `gpu-launch --print-env --shell fish | source` in fish. The environment
//! each shell then exports (`env -0`) is the caller's with the plan applied:
//! the plan's variables set, the selection variables it removes gone, every
//! other variable (quotes, spaces, `$`, a newline) as it was.

use std::collections::BTreeMap;
use std::process::Command;

use crate::common::fixture;
use crate::common::{Env, bin, tool};
use gpu_launch::app::output::{fish_single_quote, sh_single_quote};
use gpu_launch::decide::plan::SELECTION_VARS;

/// What the caller's environment holds besides the fixture's: a selection
/// variable the plan removes, one it replaces, one it never touches.
const CALLER: &[(&str, &str)] = &[
    ("__GLX_VENDOR_LIBRARY_NAME", "it's \"nvidia\" $HOME `id`"),
    ("DRI_PRIME", "1; echo oops"),
    ("KEEP_ME", "a 'b' \"c\" $d \\e *\nf"),
];

/// (shell, its Debian package, the command line as the README gives it).
const SHELLS: &[(&str, &str, &[&str])] = &[
    (
        "bash",
        "bash",
        &[
            "--norc",
            "-c",
            r#"eval "$(gpu-launch --print-env)" && env -0"#,
        ],
    ),
    (
        "zsh",
        "zsh",
        &["-f", "-c", r#"eval "$(gpu-launch --print-env)" && env -0"#],
    ),
    (
        "fish",
        "fish",
        &[
            "--no-config",
            "-c",
            "gpu-launch --print-env --shell fish | source; and env -0",
        ],
    ),
];

/// `env -0`'s output as a map.
fn parse_env(out: &[u8]) -> BTreeMap<String, String> {
    out.split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let e = String::from_utf8_lossy(e);
            let (k, v) = e.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn eval_and_source_apply_the_plan_in_bash_zsh_and_fish() {
    // auto picks the AMD eGPU: DRI_PRIME replaces the caller's, and NVIDIA's
    // GLX variable goes (with the Vulkan rules, `*nvidia*`: a glob).
    let m = fixture::laptop_dgpu_and_egpu();
    let bin_dir = bin().parent().unwrap().display().to_string();
    let mut env = Env::new(m.root()).set("PATH", &format!("{bin_dir}:/usr/bin:/bin"));
    for (k, v) in CALLER {
        env = env.set(k, v);
    }
    let plan = env.run(&["--print-env", "--json"]).json();
    let set: BTreeMap<String, String> = plan["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let unset: Vec<&str> = plan["unset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(set["DRI_PRIME"], "pci-0000_22_00_0", "{plan}");
    assert_eq!(unset, ["__GLX_VENDOR_LIBRARY_NAME"], "{plan}");

    let vars = env.command::<&str>(&[]);
    for (shell, package, args) in SHELLS {
        let out = Command::new(tool(shell, package))
            .args(*args)
            .env_clear()
            .envs(vars.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .current_dir(m.root())
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{shell}: {out:?}"
        );
        let got = parse_env(&out.stdout);
        // Of the selection variables, exactly the plan's are exported, with
        // its values.
        let selection: BTreeMap<String, String> = got
            .iter()
            .filter(|(k, _)| SELECTION_VARS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(selection, set, "{shell}");
        assert_eq!(got["KEEP_ME"], "a 'b' \"c\" $d \\e *\nf", "{shell}");
    }
}

/// The quoting itself, for any value a plan could carry: what each shell
/// reads back is the value, byte for byte.
#[test]
fn quoted_values_read_back_unchanged_in_each_shell() {
    let values = [
        "",
        " ",
        "plain",
        "it's",
        "\\",
        "\\'",
        "'\\''",
        "$HOME ${x} $(id) `id`",
        "*nvidia* ?[a]",
        "a\nb",
        "\"",
        "; echo oops #",
        "~",
    ];
    // A home of its own: fish writes its universal variables there.
    let home = tempfile::tempdir().unwrap();
    for value in values {
        let sh = format!("export X={}; printf '%s' \"$X\"", sh_single_quote(value));
        let fish = format!("set -gx X {}; printf '%s' \"$X\"", fish_single_quote(value));
        for (shell, package, args) in [
            ("bash", "bash", ["--norc", "-c", sh.as_str()]),
            ("zsh", "zsh", ["-f", "-c", sh.as_str()]),
            ("fish", "fish", ["--no-config", "-c", fish.as_str()]),
        ] {
            let out = Command::new(tool(shell, package))
                .args(args)
                .env_clear()
                .env("HOME", home.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{shell} {value:?}: {out:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                value,
                "{shell} reads back another value"
            );
        }
    }
}
