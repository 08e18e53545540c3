//! A broken file never stops a launch: config files (other than an explicit
//! `--config FILE`) and `GPU_LAUNCH_GPU` are standing state. A malformed,
//! mistyped or untrusted config file is skipped as a whole with a warning
//! naming file, line and column (or the trust reason); a bad
//! `GPU_LAUNCH_GPU` is ignored with a warning naming it; PROGRAM still runs.
//! `--strict` (or `strict = true` in a valid file) makes each an error;
//! `--dry-run`, `--print-env`, `--list` and `--doctor` show them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::fixture;
use crate::common::{Env, Run, bin_dir, launch, path_with};

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A launch of the probe on the Intel + NVIDIA laptop: (run, offloaded to
/// the NVIDIA GPU?). Asserts that PROGRAM ran.
fn launched(env: Env, args: &[&str]) -> (Run, bool) {
    let bin = bin_dir(&["prog"]);
    let env = env.set("PATH", &path_with(bin.path()));
    let mut a = args.to_vec();
    a.push("prog");
    let (run, probe, _d) = launch(&env, &a);
    assert_eq!(run.status, 0, "{run:?}");
    let probe = probe.unwrap_or_else(|| panic!("PROGRAM did not run: {run:?}"));
    (run, probe.var("__NV_PRIME_RENDER_OFFLOAD").is_some())
}

/// The warning lines of a run's stderr.
fn warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("gpu-launch: warning: "))
        .collect()
}

#[test]
fn a_broken_user_config_is_skipped_as_a_whole_and_program_still_runs() {
    let m = fixture::intel_nvidia_laptop();
    // Each file also says gpu = "integrated" on its first line: skipped as a
    // whole, that line does not apply either, so auto offloads to NVIDIA.
    let cases = [
        ("bogus = 1\n", "config.toml:2:1: unknown key 'bogus'"),
        ("stirct = true\n", "did you mean 'strict'?"),
        (
            "[apps.prog]\ngpu = \"nvidai\"\n",
            "config.toml:3:7: [apps.prog] gpu: invalid GPU SPEC 'nvidai': did you mean 'nvidia'?",
        ),
        ("strict = [\n", "config.toml:2:"),
        ("[apps]\nprog = \"nvidia\"\n", "[apps.prog] must be a table"),
    ];
    for (rest, expected) in cases {
        let env = Env::new(m.root()).config(&format!("gpu = \"integrated\"\n{rest}"));
        let (run, offload) = launched(env, &[]);
        assert!(offload, "{rest:?}: the file's gpu line applied: {run:?}");
        let w = warnings(&run);
        assert_eq!(w.len(), 1, "{rest:?}: {run:?}");
        assert!(w[0].contains(expected), "{rest:?}: {}", w[0]);
        assert!(
            w[0].contains("the whole config file is ignored"),
            "{}",
            w[0]
        );
        for internal in ["struct", "Raw", "(os error", "entity not found"] {
            assert!(!w[0].contains(internal), "{}", w[0]);
        }
    }
}

#[test]
fn an_untrusted_config_or_directory_is_skipped_with_the_reason() {
    let m = fixture::intel_nvidia_laptop();
    let home = Env::new(m.root()).config("gpu = \"integrated\"\n");
    // Runs with the same home (the config) each time.
    let env = || {
        let h = home.home();
        Env::new(m.root())
            .set("HOME", h.to_str().unwrap())
            .set("XDG_CONFIG_HOME", h.join(".config").to_str().unwrap())
    };
    let dir = home.home().join(".config/gpu-launch");
    let file = dir.join("config.toml");
    chmod(&file, 0o664);
    let (run, offload) = launched(env(), &[]);
    assert!(offload, "the untrusted file applied: {run:?}");
    assert_eq!(
        warnings(&run),
        [format!(
            "config file {} is ignored: it is writable by its group (mode 664); run chmod go-w \
             on it",
            file.display()
        )],
        "{run:?}"
    );
    // The file is fine, its directory is not (as ssh checks).
    chmod(&file, 0o644);
    chmod(&dir, 0o777);
    let (run, offload) = launched(env(), &[]);
    assert!(offload, "{run:?}");
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{run:?}");
    let shown = std::fs::canonicalize(&dir).unwrap();
    assert!(
        w[0].contains(&format!(
            "is ignored: its directory {} is writable by others (mode 777)",
            shown.display()
        )),
        "{}",
        w[0]
    );
    // Named by --config, what the user typed: the same reason, as an error.
    let r = env().run(&["--config", file.to_str().unwrap(), "--dry-run", "true"]);
    crate::common::refused(&r, "is writable by others (mode 777); run chmod go-w");
    // Sticky and world-writable, as /tmp: accepted.
    chmod(&dir, 0o1777);
    let (run, offload) = launched(env(), &[]);
    assert!(!offload && warnings(&run).is_empty(), "{run:?}");
    chmod(&dir, 0o755);
    let (run, offload) = launched(env(), &[]);
    assert!(!offload && warnings(&run).is_empty(), "{run:?}");
}

#[test]
fn gpu_launch_config_missing_or_broken_means_no_config() {
    let m = fixture::intel_nvidia_laptop();
    // The user's file would choose the iGPU, but GPU_LAUNCH_CONFIG replaces
    // the search.
    let env = Env::new(m.root()).config("gpu = \"integrated\"\n").set(
        "GPU_LAUNCH_CONFIG",
        &crate::common::absent("gpu-launch.toml"),
    );
    let (run, offload) = launched(env, &[]);
    assert!(offload, "{run:?}");
    assert_eq!(
        warnings(&run),
        [format!(
            "config file {} (named by GPU_LAUNCH_CONFIG) does not exist; no config file applies",
            crate::common::absent("gpu-launch.toml")
        )]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "gpu = \"integrated\"\ncolor = true\n").unwrap();
    let env = Env::new(m.root()).set("GPU_LAUNCH_CONFIG", file.to_str().unwrap());
    let (run, offload) = launched(env, &[]);
    assert!(offload, "{run:?}");
    let w = warnings(&run);
    assert!(
        w.len() == 1 && w[0].contains("c.toml:2:1: unknown key 'color'"),
        "{run:?}"
    );
}

#[test]
fn a_bad_gpu_launch_gpu_is_ignored_and_the_next_source_decides() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root())
        .config("gpu = \"integrated\"\n")
        .set("GPU_LAUNCH_GPU", "nvidai");
    let (run, offload) = launched(env, &[]);
    assert!(!offload, "the config's gpu decides: {run:?}");
    assert_eq!(
        warnings(&run),
        ["GPU_LAUNCH_GPU is ignored: invalid GPU SPEC 'nvidai': did you mean 'nvidia'?"]
    );
    // A valid one still beats the config.
    let env = Env::new(m.root())
        .config("gpu = \"integrated\"\n")
        .set("GPU_LAUNCH_GPU", "nvidia");
    let (run, offload) = launched(env, &[]);
    assert!(offload && warnings(&run).is_empty(), "{run:?}");
}

#[test]
fn strict_turns_each_warning_into_125() {
    let m = fixture::intel_nvidia_laptop();
    let broken = || Env::new(m.root()).config("gpu = \"integrated\"\nbogus = 1\n");
    let bad_env = || Env::new(m.root()).set("GPU_LAUNCH_GPU", "nvidai");
    let missing = || Env::new(m.root()).set("GPU_LAUNCH_CONFIG", &crate::common::absent("c.toml"));
    for (what, env) in [
        ("config", broken()),
        ("env", bad_env()),
        ("missing", missing()),
    ] {
        for args in [
            &["--strict", "true"][..],
            &["--strict", "--dry-run", "true"],
            &["--strict", "--print-env"],
            &["--strict", "--list"],
        ] {
            let r = env.run(args);
            crate::common::refused(&r, "--strict makes this an error");
            assert!(
                r.stderr.contains("ignored") || r.stderr.contains("does not exist"),
                "{what} {args:?}: {r:?}"
            );
        }
    }
    // strict = true in a valid file applies; in a broken one it does not
    // (the file is skipped).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "strict = true\n").unwrap();
    let r = bad_env()
        .set("GPU_LAUNCH_CONFIG", file.to_str().unwrap())
        .run(&["--dry-run", "true"]);
    crate::common::refused(
        &r,
        &format!("strict = true in {} makes this an error", file.display()),
    );
    let r = Env::new(m.root())
        .config("strict = true\nbogus = 1\n")
        .run(&["--dry-run", "true"]);
    assert_eq!(r.status, 0, "{r:?}");
}

#[test]
fn queries_show_the_same_warnings_and_exit_0() {
    let m = fixture::intel_nvidia_laptop();
    let env = Env::new(m.root())
        .config("bogus = 1\n")
        .set("GPU_LAUNCH_GPU", "nvidai");
    let config_warning = "config.toml:1:1: unknown key 'bogus'";
    let env_warning = "GPU_LAUNCH_GPU is ignored";
    let r = env.run(&["--dry-run", "--json", "true"]);
    assert_eq!(r.status, 0, "{r:?}");
    let notes = r.json()["notes"].to_string();
    assert!(
        notes.contains(config_warning) && notes.contains(env_warning),
        "{notes}"
    );
    let r = env.run(&["--dry-run", "true"]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("note     ") && l.contains(config_warning)),
        "{r:?}"
    );
    let r = env.run(&["--print-env", "--json"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.json()["notes"].to_string().contains(config_warning),
        "{r:?}"
    );
    let r = env.run(&["--print-env"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.stderr.contains(config_warning), "{r:?}");
    // --list: a note line after the table; with --json, the array alone on
    // stdout and the warnings on stderr.
    let r = env.run(&["--list"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("note: ") && l.contains(config_warning)),
        "{r:?}"
    );
    let r = env.run(&["--list", "--json"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.json().is_array());
    let w = warnings(&r);
    assert!(
        w.len() == 2 && w[0].contains(config_warning) && w[1].contains(env_warning),
        "{r:?}"
    );
}

#[test]
fn doctor_fails_the_matching_checks() {
    let m = fixture::intel_nvidia_laptop();
    let r = Env::new(m.root())
        .config("bogus = 1\n")
        .set("GPU_LAUNCH_GPU", "nvidai")
        .run(&["--doctor", "--json"]);
    assert_eq!(r.status, 1, "{r:?}");
    let v = r.json();
    let check = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {v}"))
            .clone()
    };
    let c = check("config");
    assert_eq!(c["status"], "fail");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("unknown key 'bogus'"),
        "{c}"
    );
    let c = check("gpu_launch_gpu");
    assert_eq!(c["status"], "fail");
    assert!(c["detail"].as_str().unwrap().contains("'nvidai'"), "{c}");
}
