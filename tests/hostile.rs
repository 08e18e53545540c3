//! Hostile files at every name gpu-launch opens by a path it was given or
//! found: `GPU_LAUNCH_PCI_IDS`, `GPU_LAUNCH_NVML_LIBRARY`, the user's config
//! file, the session state files, a desktop file and a sysfs attribute.
//! At each, a FIFO (no writer: an open or read that waits, waits for ever),
//! a socket, `/dev/zero` (through a symbolic link; as a device node of its
//! own in the root-only test) and a 10 GiB sparse file are planted, and
//! `--list`, `--status`, `--status --waybar`, `--doctor`, a launch with a
//! `name:` SPEC and `--install-desktop` must each return (a 20 s watchdog)
//! with bounded memory (run under `prlimit --as`, a 10 GiB read or an
//! unbounded line would abort) and an exit status of their own.
//!
//! Also: a directory of a `GPU_LAUNCH_SYSFS_ROOT` tree that links out of the
//! root, and a desktop file ID built to make a lookup exponential.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::fake_nvml::{FakeNvml, Variant, device};
use crate::common::fixture::{self, Fixture};
use crate::common::{Env, Run, bin, run_briefly, tool};

/// The address space gpu-launch may use: far more than it needs (the
/// debug build runs `--doctor` in well under 64 MiB), far less than a 10 GiB
/// file read into memory.
const ADDRESS_SPACE: &str = "--as=536870912";

/// What is planted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plant {
    Fifo,
    Socket,
    /// A symbolic link to `/dev/zero`.
    DevZeroLink,
    /// A character device 1:5 (what `/dev/zero` is): root only.
    DevZeroNode,
    /// A 10 GiB file with no data (`truncate -s 10G`).
    Sparse,
}

const PLANTS: [Plant; 4] = [
    Plant::Fifo,
    Plant::Socket,
    Plant::DevZeroLink,
    Plant::Sparse,
];

/// Puts `plant` at `path` (whatever was there goes).
fn plant(path: &Path, plant: Plant) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).unwrap(),
        Ok(_) => fs::remove_file(path).unwrap(),
        Err(_) => {}
    }
    match plant {
        Plant::Fifo => nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).unwrap(),
        Plant::Socket => drop(std::os::unix::net::UnixListener::bind(path).unwrap()),
        Plant::DevZeroLink => symlink("/dev/zero", path).unwrap(),
        Plant::DevZeroNode => {
            let ok = Command::new("mknod")
                .arg(path)
                .args(["c", "1", "5"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "mknod {} c 1 5 (needs root)", path.display());
        }
        Plant::Sparse => fs::File::create(path).unwrap().set_len(10 << 30).unwrap(),
    }
}

/// Where something is planted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    PciIds,
    NvmlLibrary,
    Config,
    StateMode,
    StateNext,
    DesktopFile,
    SysfsAttribute,
}

/// A machine with an awake NVIDIA GPU (so NVML and pci.ids are read), a
/// runtime dir, a desktop file `app`, and `plant` at `name`.
struct Scene {
    _machine: Fixture,
    dir: tempfile::TempDir,
    _nvml: FakeNvml,
    env: Env,
}

impl Scene {
    fn new(name: Name, what: Plant) -> Scene {
        let machine = fixture::intel_nvidia_laptop_awake();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let nvml = FakeNvml::new(
            Variant::Full,
            &[device(
                "00000000:01:00.0",
                "NVIDIA GeForce RTX 4060",
                "GPU-1",
            )],
        );
        let ids = d.join("pci.ids");
        fs::write(&ids, "10de  NVIDIA Corporation\n\t28e0  AD107M\n").unwrap();
        let run = d.join("run");
        fs::create_dir_all(run.join("gpu-launch")).unwrap();
        for p in [&run, &run.join("gpu-launch")] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o700)).unwrap();
        }
        let apps = d.join("share/applications");
        fs::create_dir_all(&apps).unwrap();
        fs::write(
            apps.join("app.desktop"),
            "[Desktop Entry]\nType=Application\nName=App\nExec=true\n",
        )
        .unwrap();
        let mut env = nvml
            .configure(Env::new(machine.root()))
            .set("GPU_LAUNCH_PCI_IDS", ids.to_str().unwrap())
            .set("XDG_RUNTIME_DIR", run.to_str().unwrap())
            .set("XDG_DATA_HOME", d.join("home").to_str().unwrap())
            .set("XDG_DATA_DIRS", d.join("share").to_str().unwrap());
        let at: PathBuf = match name {
            Name::PciIds => ids,
            Name::NvmlLibrary => {
                let lib = d.join("libnvidia-ml.so.1");
                env = env.set("GPU_LAUNCH_NVML_LIBRARY", lib.to_str().unwrap());
                lib
            }
            Name::Config => env.home().join(".config/gpu-launch/config.toml"),
            Name::StateMode => run.join("gpu-launch/mode"),
            Name::StateNext => run.join("gpu-launch/next"),
            Name::DesktopFile => apps.join("app.desktop"),
            Name::SysfsAttribute => machine
                .root()
                .join("devices/pci0000:00/0000:00:01.0/0000:01:00.0/uevent"),
        };
        plant(&at, what);
        Scene {
            _machine: machine,
            dir,
            _nvml: nvml,
            env,
        }
    }

    /// Runs gpu-launch with `args` under `prlimit --as` and the watchdog.
    fn run(&self, args: &[&str]) -> Run {
        let inner = self.env.command(args);
        let mut cmd = Command::new(tool("prlimit", "util-linux"));
        cmd.arg(ADDRESS_SPACE)
            .arg("--")
            .arg(bin())
            .args(args)
            .env_clear()
            .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .current_dir(self.dir.path());
        run_briefly(cmd)
    }
}

/// Every command that reads one of the names. What is asserted is that it
/// ends by itself, with one of gpu-launch's own statuses (0, 1 for a failed
/// `--doctor` check, 125 for a refusal), not killed by a signal (-1: an
/// abort when the address space ran out) or by the watchdog; which status
/// each area owes a hostile file is asserted by that area's tests.
const COMMANDS: &[&[&str]] = &[
    &["--list", "--json"],
    &["--status"],
    &["--status", "--waybar"],
    &["--doctor"],
    &["--gpu", "name:rtx", "true"],
    &["--install-desktop", "app"],
];

fn survives_every_plant_at(name: Name, plants: &[Plant]) {
    for &what in plants {
        let scene = Scene::new(name, what);
        for args in COMMANDS {
            let r = scene.run(args);
            assert!(
                [0, 1, 125].contains(&r.status),
                "{name:?} as {what:?}: gpu-launch {args:?} ended with {}:\n{r:?}",
                r.status
            );
            assert!(
                r.stderr.len() < 4096,
                "{name:?} as {what:?}: {args:?} printed {} bytes of errors",
                r.stderr.len()
            );
        }
    }
}

#[test]
fn pci_ids_that_is_a_fifo_dev_zero_or_huge_neither_hangs_nor_grows() {
    survives_every_plant_at(Name::PciIds, &PLANTS);
}

#[test]
fn nvml_library_that_is_a_fifo_does_not_hang_list() {
    survives_every_plant_at(Name::NvmlLibrary, &PLANTS);
}

#[test]
fn config_file_that_is_not_a_file_is_skipped_promptly() {
    survives_every_plant_at(Name::Config, &PLANTS);
}

#[test]
fn state_files_that_are_not_files_are_refused_promptly() {
    survives_every_plant_at(Name::StateMode, &PLANTS);
    survives_every_plant_at(Name::StateNext, &PLANTS);
}

#[test]
fn desktop_file_that_is_not_a_file_is_refused_promptly() {
    survives_every_plant_at(Name::DesktopFile, &PLANTS);
}

#[test]
fn sysfs_attribute_that_is_not_a_file_is_not_read() {
    survives_every_plant_at(Name::SysfsAttribute, &PLANTS);
}

/// The names where a link is refused can hold `/dev/zero` only as a device
/// node of their own; making one needs root.
#[test]
#[ignore = "needs root (mknod); CI runs ignored tests as root"]
fn device_node_at_every_name_is_refused() {
    for name in [
        Name::PciIds,
        Name::NvmlLibrary,
        Name::Config,
        Name::StateMode,
        Name::StateNext,
        Name::DesktopFile,
        Name::SysfsAttribute,
    ] {
        survives_every_plant_at(name, &[Plant::DevZeroNode]);
    }
}

/// Pseudo-files that pass for regular files: read non-blocking and bounded,
/// they end the reading at once (`/proc/self/mem` fails at offset 0,
/// `/proc/kmsg` would wait for the next kernel message without
/// `O_NONBLOCK`).
fn survives_proc_files(files: &[&str]) {
    for file in files {
        let scene = Scene::new(Name::PciIds, Plant::Fifo);
        let env = |var: &str| {
            let inner = scene.env.command(&["--list", "--json"]);
            let mut cmd = Command::new(bin());
            cmd.args(["--list", "--json"])
                .env_clear()
                .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .env(var, file);
            cmd
        };
        for var in ["GPU_LAUNCH_PCI_IDS", "GPU_LAUNCH_NVML_LIBRARY"] {
            let r = run_briefly(env(var));
            assert_eq!(r.status, 0, "{var}={file}: {r:?}");
        }
    }
}

#[test]
fn pci_ids_or_nvml_that_name_proc_files_return_promptly() {
    survives_proc_files(&["/proc/self/mem", "/proc/self/environ", "/dev/stdin"]);
}

#[test]
#[ignore = "needs root (/proc/kmsg is root's); CI runs ignored tests as root"]
fn pci_ids_or_nvml_that_name_the_kernel_log_return_promptly() {
    survives_proc_files(&["/proc/kmsg"]);
}

/// What the `nvidia` uevent outside the root says, and where it is.
fn plant_outside_nvidia(outside: &Path, from: &Path) {
    let copied = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(outside)
        .status()
        .is_ok_and(|s| s.success());
    assert!(copied);
    fs::write(
        outside.join("uevent"),
        "DRIVER=nvidia\nPCI_CLASS=30000\nPCI_ID=10DE:28E0\nPCI_SLOT_NAME=0000:01:00.0\n",
    )
    .unwrap();
    fs::write(outside.join("vendor"), "0x10de\n").unwrap();
    fs::write(outside.join("device"), "0x28e0\n").unwrap();
}

#[test]
fn sysfs_directory_that_links_out_of_the_root_is_not_followed() {
    // An AMD dGPU whose device directory is replaced by a link to a copy
    // outside the root that claims NVIDIA: read through the link, the plan
    // would set the NVIDIA PRIME variables.
    for absolute in [false, true] {
        let m = fixture::intel_amd_laptop();
        let outer = tempfile::tempdir().unwrap();
        // The dGPU's device directory: where class/drm/renderD129 leads,
        // less `drm/renderD129`.
        let drm = m.root().join("class/drm");
        let node = fs::read_link(drm.join("renderD129")).unwrap();
        let dev = fs::canonicalize(drm.join(node).join("../..")).unwrap();
        assert!(dev.ends_with("0000:03:00.0"), "{}", dev.display());
        let outside = outer.path().join("gpu");
        plant_outside_nvidia(&outside, &dev);
        fs::remove_dir_all(&dev).unwrap();
        if absolute {
            symlink(&outside, &dev).unwrap();
        } else {
            let up = "../".repeat(dev.strip_prefix("/").unwrap().components().count() - 1);
            symlink(
                format!("{up}{}", outside.strip_prefix("/").unwrap().display()),
                &dev,
            )
            .unwrap();
        }
        assert_eq!(
            fs::read_to_string(dev.join("uevent"))
                .unwrap()
                .lines()
                .next(),
            Some("DRIVER=nvidia"),
            "the link leads out of the root"
        );
        let env = Env::new(m.root());
        let r = run_briefly(env.command(&["--list", "--json"]));
        assert_eq!(r.status, 0, "{r:?}");
        for gpu in r.json().as_array().unwrap() {
            assert_ne!(gpu["driver"], "nvidia", "read out of the root: {gpu}");
            assert_ne!(gpu["vendor"], "nvidia", "read out of the root: {gpu}");
        }
        let r = run_briefly(env.command(&["--dry-run", "--json", "--gpu", "discrete", "true"]));
        assert_eq!(r.status, 0, "{r:?}");
        let plan = r.json();
        assert!(
            plan["env"].get("__NV_PRIME_RENDER_OFFLOAD").is_none(),
            "absolute={absolute}: {plan}"
        );
    }
}

#[test]
fn desktop_id_lookup_is_not_exponential_in_its_dashes() {
    // `a`, `a-a` and `a-a-a` all lead back to applications/ itself: trying
    // every split of an ID made of `a-` pieces visited 3^(dashes/2) paths.
    let m = fixture::intel_nvidia_laptop();
    let dir = tempfile::tempdir().unwrap();
    let apps = dir.path().join("share/applications");
    fs::create_dir_all(&apps).unwrap();
    for link in ["a", "a-a", "a-a-a"] {
        symlink(".", apps.join(link)).unwrap();
    }
    fs::write(
        apps.join("a-target.desktop"),
        "[Desktop Entry]\nType=Application\nName=T\nExec=true\n",
    )
    .unwrap();
    let env = Env::new(m.root())
        .set("XDG_DATA_HOME", dir.path().join("home").to_str().unwrap())
        .set("XDG_DATA_DIRS", dir.path().join("share").to_str().unwrap());
    let pieces = vec!["a"; 40].join("-");
    // Found through the links: applications/a/a/.../a-target.desktop.
    let found = format!("{pieces}-target");
    let r = run_briefly(env.command(&["--install-desktop", &found]));
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        dir.path()
            .join(format!("home/applications/{found}.desktop"))
            .is_file()
    );
    // Not there at all: every split is tried, once.
    let r = run_briefly(env.command(&["--install-desktop", &format!("{pieces}-missing")]));
    assert_eq!(r.status, 125, "{r:?}");
    // A plain subdirectory ID still resolves as before.
    fs::create_dir_all(apps.join("kde")).unwrap();
    fs::write(
        apps.join("kde/foo.desktop"),
        "[Desktop Entry]\nType=Application\nName=F\nExec=true\n",
    )
    .unwrap();
    let r = run_briefly(env.command(&["--install-desktop", "kde-foo"]));
    assert_eq!(r.status, 0, "{r:?}");
}
