//! Errors a person can act on: one line each, saying what was meant or
//! what to do, never Rust's internals (`(os error N)`, `entity not found`,
//! type names).

use crate::common::{Env, fixture, one_error_line, write_executable};

/// Runs `args` and returns (status, the one error line without its prefix).
fn error(env: &Env, args: &[&str]) -> (i32, String) {
    let r = env.run(args);
    one_error_line(&r);
    let line = r.stderr.trim_end().trim_start_matches("gpu-launch: ");
    for internal in [
        "(os error",
        "entity not found",
        "struct ",
        "Raw",
        "Os {",
        "Custom {",
        "kind: ",
    ] {
        assert!(!line.contains(internal), "{args:?}: {line}");
    }
    (r.status, line.to_owned())
}

#[test]
fn each_mistake_gets_a_line_that_says_what_to_do() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root());
    let missing = crate::common::absent("c.toml");
    let no_such = format!("cannot read config file {missing}: No such file or directory");
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["--gpus", "nvidia", "true"],
            125,
            "unknown option '--gpus' (did you mean '--gpu'?)",
        ),
        (
            &["-gpu", "nvidia", "true"],
            125,
            "unknown option '-gpu': long options take two dashes (use --gpu or -g)",
        ),
        (
            &["--gpu", "nvidai", "true"],
            125,
            "invalid GPU SPEC 'nvidai': did you mean 'nvidia'? (from --gpu)",
        ),
        (
            &["list"],
            127,
            "list: command not found (to use gpu-launch's own option, write gpu-launch --list)",
        ),
        (
            &["--waybar"],
            125,
            "--waybar needs --status (gpu-launch --status --waybar)",
        ),
        (&["--config", &missing, "true"], 125, &no_such),
    ];
    for (args, status, expected) in cases {
        assert_eq!(
            error(&env, args),
            (*status, (*expected).to_owned()),
            "{args:?}"
        );
    }
}

#[test]
fn an_empty_or_unset_path_is_named_in_the_127() {
    let m = fixture::intel_nvidia_laptop();
    let (status, line) = error(&Env::new(m.root()).set("PATH", ""), &["blender"]);
    assert_eq!(status, 127);
    assert_eq!(
        line,
        "blender: command not found (PATH is empty, so only the current directory was searched)"
    );
    let (status, line) = error(&Env::new(m.root()).unset("PATH"), &["blender"]);
    assert_eq!(status, 127);
    assert_eq!(
        line,
        "blender: command not found (PATH is unset, so only /bin and /usr/bin were searched)"
    );
    // A PATH that is set says nothing about itself.
    let (_, line) = error(&Env::new(m.root()), &["blender-xyz"]);
    assert_eq!(line, "blender-xyz: command not found");
}

#[test]
fn a_missing_script_interpreter_is_named() {
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tool");
    write_executable(&script, "#!/opt/nowhere/bin/python9 -u\nprint(1)\n", 0o755);
    let p = script.to_str().unwrap();
    let env = Env::new(m.root());
    let expected = format!(
        "{p}: its interpreter /opt/nowhere/bin/python9 (named on its #! line) is not installed"
    );
    assert_eq!(error(&env, &[p]), (126, expected.clone()));
    assert_eq!(error(&env, &["--dry-run", p]), (126, expected));
}
