//! The one trust rule (`os/trust.rs`) from both sides of the uid line: a
//! config file is read when it is owned by the user or by root and nobody
//! else may write it or a directory above it; otherwise it is skipped with
//! the reason (an error for `--config FILE`). As root every file a test
//! makes is root's, so "owned by the user" and "owned by root" would be one
//! case: each test here runs gpu-launch as an ordinary user. As root that
//! is `nobody` (uid 65534), with the user's files given to it; as anyone
//! else (tests/run.sh's unprivileged pass), the user running the tests,
//! for whom the copied checkout is root's.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run, is_root};

const NOBODY: u32 = 65534;

/// The ordinary user the runs below are made as.
fn user() -> u32 {
    if is_root() {
        NOBODY
    } else {
        nix::unistd::getuid().as_raw()
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The laptop, readable by everyone.
fn machine() -> Fixture {
    let m = fixture::intel_nvidia_laptop();
    chmod(m.root(), 0o755);
    m
}

/// `args` run by [`user`].
fn run(env: &Env, args: &[&str]) -> Run {
    if is_root() {
        let (mut c, _bin) = env.command_as(NOBODY, args);
        c.output().unwrap().into()
    } else {
        env.run(args)
    }
}

/// An environment whose user config says `gpu = "integrated"` (the laptop's
/// default GPU, so a read config means no offload), its home, `.config`,
/// `gpu-launch` and the file owned by `owner` (root may give them away;
/// anyone else owns what they make).
fn with_config(m: &Fixture, text: &str, owner: u32) -> Env {
    let env = Env::new(m.root()).config(text);
    let home = env.home();
    chmod(&home, 0o755);
    for p in [
        home.clone(),
        home.join(".config"),
        home.join(".config/gpu-launch"),
        home.join(".config/gpu-launch/config.toml"),
    ] {
        if is_root() {
            std::os::unix::fs::chown(&p, Some(owner), Some(owner)).unwrap();
        }
        assert_eq!(
            std::fs::metadata(&p).unwrap().uid(),
            owner,
            "{}",
            p.display()
        );
    }
    env
}

/// The plan's GPU and its notes, for a dry run by [`user`].
fn planned(env: &Env, extra: &[&str]) -> (String, Vec<String>) {
    let mut args = extra.to_vec();
    args.extend(["--dry-run", "--json", "true"]);
    let r = run(env, &args);
    assert_eq!(r.status, 0, "{r:?}");
    let v = r.json();
    let notes = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    (v["gpu"]["pci"].as_str().unwrap().to_owned(), notes)
}

const IGPU: &str = "0000:00:02.0";
const DGPU: &str = "0000:01:00.0";

#[test]
fn a_config_the_user_owns_is_read() {
    let m = machine();
    let env = with_config(&m, "gpu = \"integrated\"\n", user());
    assert_eq!(planned(&env, &[]), (IGPU.to_owned(), vec![]));
    // Writable by its group: not read, whoever owns it.
    let file = env.home().join(".config/gpu-launch/config.toml");
    chmod(&file, 0o664);
    let (gpu, notes) = planned(&env, &[]);
    assert_eq!(gpu, DGPU, "{notes:?}");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains(&file.display().to_string()), "{notes:?}");
}

/// Root's files (`/etc/gpu-launch/config.toml`) are read by every user. As
/// root the test gives nothing away; as another user the checkout copy of
/// tests/run.sh's unprivileged pass is root's.
#[test]
fn a_config_root_owns_is_read_by_any_user() {
    let m = machine();
    let (file, _keep) = if is_root() {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "gpu = \"integrated\"\n").unwrap();
        (file, Some(dir))
    } else {
        (
            crate::common::source("tests/data/trust/integrated.toml"),
            None,
        )
    };
    let owner = std::fs::metadata(&file).unwrap().uid();
    if std::env::var_os("GPU_LAUNCH_TEST_ROOT").is_some() || is_root() {
        assert_eq!(owner, 0, "{} must be root's here", file.display());
    }
    let env = Env::new(m.root()).set("GPU_LAUNCH_CONFIG", file.to_str().unwrap());
    assert_eq!(planned(&env, &[]), (IGPU.to_owned(), vec![]));
    let f = file.to_str().unwrap();
    assert_eq!(planned(&env, &["--config", f]), (IGPU.to_owned(), vec![]));
}

#[test]
#[ignore = "needs root: gives a config file and a directory to another user (uid 4321); CI runs it"]
fn a_config_or_directory_another_user_owns_is_skipped() {
    crate::common::root_only();
    let m = machine();
    let env = with_config(&m, "gpu = \"integrated\"\n", user());
    let dir = env.home().join(".config/gpu-launch");
    let file = dir.join("config.toml");
    std::os::unix::fs::chown(&file, Some(4321), Some(4321)).unwrap();
    // Seen by nobody and by root: someone else's.
    for (as_root, uid) in [(false, NOBODY), (true, 0)] {
        let r = if as_root {
            env.run(&["--dry-run", "--json", "true"])
        } else {
            run(&env, &["--dry-run", "--json", "true"])
        };
        assert_eq!(r.status, 0, "{r:?}");
        let v = r.json();
        assert_eq!(v["gpu"]["pci"], DGPU, "{v}");
        let why = format!("owned by uid 4321, neither you (uid {uid}) nor root");
        assert!(v["notes"][0].as_str().unwrap().contains(&why), "{v}");
    }
    let r = run(
        &env,
        &["--config", file.to_str().unwrap(), "--dry-run", "true"],
    );
    crate::common::refused(&r, "owned by uid 4321");
    // The file is the user's again; the directory above it is not, even
    // sticky (whoever owns it could rename the user's file).
    std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).unwrap();
    assert_eq!(planned(&env, &[]), (IGPU.to_owned(), vec![]));
    std::os::unix::fs::chown(&dir, Some(4321), Some(4321)).unwrap();
    for mode in [0o755, 0o1777] {
        chmod(&dir, mode);
        let (gpu, notes) = planned(&env, &[]);
        assert_eq!(gpu, DGPU, "{mode:o}: {notes:?}");
        assert!(
            notes[0].contains("its directory") && notes[0].contains("owned by uid 4321"),
            "{mode:o}: {notes:?}"
        );
    }
}

/// Config files larger than 1 MiB are refused, whoever owns them: a file of
/// exactly 1 MiB is read to its last byte, one byte more is skipped.
#[test]
fn a_config_file_is_read_up_to_one_mebibyte() {
    const MIB: usize = 1 << 20;
    let m = machine();
    // The decisive line last, without a newline: a read that stops a byte
    // short breaks it.
    let last = "gpu = \"integrated\"";
    let file_of = |size: usize| {
        let mut text = String::with_capacity(size);
        while text.len() + last.len() < size {
            let room = size - last.len() - text.len();
            let line = room.min(80);
            text.push('#');
            text.push_str(&" ".repeat(line - 1));
            if line > 1 {
                text.pop();
                text.push('\n');
            }
        }
        text.push_str(last);
        assert_eq!(text.len(), size);
        assert!(text.ends_with(&format!("\n{last}")));
        text
    };
    let env = with_config(&m, &file_of(MIB), user());
    assert_eq!(planned(&env, &[]), (IGPU.to_owned(), vec![]));
    let env = with_config(&m, &file_of(MIB + 1), user());
    let (gpu, notes) = planned(&env, &[]);
    assert_eq!(gpu, DGPU, "{notes:?}");
    assert!(notes[0].contains("larger than 1048576 bytes"), "{notes:?}");
    let file = env.home().join(".config/gpu-launch/config.toml");
    let r = run(
        &env,
        &["--config", file.to_str().unwrap(), "--dry-run", "true"],
    );
    crate::common::refused(&r, "larger than 1048576 bytes");
}
