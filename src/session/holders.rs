//! Who keeps a GPU awake: the processes that hold one of its device nodes
//! open, for `--list` and `--status`. Never on a launch.
//!
//! A GPU's nodes are known by device number: each DRM node's `dev`
//! attribute (`<sysfs>/class/drm/renderD129/dev` is `226:129`; card and
//! render nodes both), and for a GPU driven by `nvidia` also
//! `/dev/nvidia<minor>` (major 195, the minor from
//! `/proc/driver/nvidia/gpus/<pci>/information`, `Device Minor:`;
//! `nvidiactl`, `nvidia-modeset` and `nvidia-uvm` name no single GPU). Each
//! process's descriptors are `statx`ed through `/proc/<pid>/fd/<n>` (the
//! magic link is followed to the inode without opening it;
//! `AT_STATX_DONT_SYNC`, so a file on a dead NFS server never hangs the
//! status bar) and matched by
//! `st_rdev`, never by path name: a node reached through a symlink, a bind
//! mount or an `O_PATH` descriptor counts. `node` is the canonical name of
//! the node matched (`/dev/dri/renderD129`), whatever path was opened.
//!
//! What it must never do:
//! - open a device node, or anything that wakes a GPU: only `/proc` and
//!   sysfs are read. NVIDIA's `information` file takes a runtime-PM reference
//!   on its GPU while it is read (`nv_procfs_read_gpu_info` calls
//!   `rm_ref_dynamic_power`), so it is read only when some process holds a
//!   `/dev/nvidiaN` node, and only for NVIDIA GPUs that are not suspended
//!   (unless `--wake`); a suspended one whose minor is unknown while such a
//!   node is held gets `holders_complete: false`;
//! - report a process it may not inspect as holding nothing: a process whose
//!   descriptors cannot be listed (another user's, as a user; a
//!   non-dumpable one) makes every GPU's `holders_complete` false, and so
//!   does a `/proc` that hides processes (`hidepid`: then `/proc/1` is not
//!   listed for a user). As root every process is seen.
//!
//! With `GPU_LAUNCH_SYSFS_ROOT` set, the device numbers come from the fake
//! tree and NVIDIA's directory only from `GPU_LAUNCH_NVIDIA_PROC`; the
//! processes are the real ones in `/proc`.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::app::Context;
use crate::detect::{Holder, Holders, Machine, Sysfs};
use crate::os::files::{self, Links};
use crate::os::paths::join;
use crate::os::sys;

/// Testing hook: the directory read instead of [`NVIDIA_PROC`].
pub const NVIDIA_PROC_VAR: &str = "GPU_LAUNCH_NVIDIA_PROC";
/// NVIDIA's per-GPU information (`gpus/<pci>/information`).
pub const NVIDIA_PROC: &str = "/proc/driver/nvidia";
const PROC: &str = "/proc";
/// `/dev/nvidiaN`'s major; 254 is `nvidia-modeset`, 255 `nvidiactl`
/// (NVIDIA's `nv-chardev-numbers.h`).
const NVIDIA_MAJOR: u32 = 195;
const NVIDIA_SHARED_MINORS: [u32; 2] = [254, 255];

/// One device node of a GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `(major, minor)`.
    pub dev: (u32, u32),
    pub gpu: usize,
    /// `/dev/dri/renderD129`.
    pub path: String,
}

/// The holders of each GPU of `machine`, in index order. `wake`: `--wake`,
/// which allows reading a suspended NVIDIA GPU's minor.
pub fn find(ctx: &Context<'_>, machine: &Machine, wake: bool) -> Vec<Holders> {
    let nvidia_proc = match ctx.env.get_nonempty(NVIDIA_PROC_VAR) {
        Some(dir) => Some(PathBuf::from(OsStr::from_bytes(dir))),
        None if ctx.fixture => None,
        None => Some(PathBuf::from(NVIDIA_PROC)),
    };
    if machine.gpus.is_empty() {
        return Vec::new();
    }
    let nodes = drm_nodes(&ctx.sysfs, machine);
    let scan = scan(Path::new(PROC), &nodes);
    attribute(machine, &nodes, scan, nvidia_proc.as_deref(), wake)
}

/// The DRM nodes of every GPU, by their `dev` attributes.
pub fn drm_nodes(sys: &Sysfs, machine: &Machine) -> Vec<Node> {
    let mut nodes = Vec::new();
    for (gpu, g) in machine.gpus.iter().enumerate() {
        let names = [
            g.card.map(|n| format!("card{n}")),
            g.render.map(|n| format!("renderD{n}")),
        ];
        for name in names.into_iter().flatten() {
            let dir = sys.path(&format!("class/drm/{name}"));
            if let Some(dev) = sys.attr(&dir, "dev").as_deref().and_then(parse_dev) {
                nodes.push(Node {
                    dev,
                    gpu,
                    path: format!("/dev/dri/{name}"),
                });
            }
        }
    }
    nodes
}

/// `226:129` -> `(226, 129)`.
fn parse_dev(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once(':')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What the walk through `/proc` found.
#[derive(Debug, Default)]
pub struct Scan {
    /// (pid, index into the nodes).
    pub held: Vec<(u32, usize)>,
    /// (pid, minor) of `/dev/nvidiaN` nodes not among the nodes.
    pub nvidia: Vec<(u32, u32)>,
    /// `/proc/<pid>/comm` of each process found above.
    pub commands: Vec<(u32, String)>,
    /// Some process could not be inspected.
    pub hidden: bool,
}

/// Every process's descriptors, matched against `nodes`: one `statx` per
/// descriptor, a listing and an open per process.
///
/// One thread: more would cut the wall time on a many-core machine, but
/// the thread functions are symbols the dynamic loader binds at the start
/// of every run, launches included (about 7,000 instructions, a tenth of
/// what a launch may cost beyond `env`'s).
pub fn scan(proc: &Path, nodes: &[Node]) -> Scan {
    let mut out = Scan::default();
    let Ok(entries) = files::list_dir(proc) else {
        out.hidden = true;
        return out;
    };
    let me = sys::getpid();
    let pids: Vec<u32> = entries
        .iter()
        .filter_map(|name| parse_u32(name.as_bytes()))
        .collect();
    // A `/proc` mounted `hidepid=` hides others' processes from the listing
    // itself; pid 1 is always there otherwise.
    out.hidden = !pids.contains(&1);
    let mut fds: Vec<u32> = Vec::new();
    for pid in pids {
        if pid == me {
            continue; // gpu-launch opens no device node
        }
        let found = out.held.len() + out.nvidia.len();
        match process(proc, pid, nodes, &mut fds, &mut out) {
            Ok(()) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH)) => {} // gone
            Err(_) => out.hidden = true,
        }
        if out.held.len() + out.nvidia.len() > found {
            out.commands.push((pid, command(proc, pid)));
        }
    }
    out
}

/// One process: its descriptors' device numbers.
fn process(
    proc: &Path,
    pid: u32,
    nodes: &[Node],
    fds: &mut Vec<u32>,
    out: &mut Scan,
) -> io::Result<()> {
    let path = join(proc, format!("{pid}/fd").as_bytes());
    // The directory, listed and each entry `statx`ed relative to it;
    // opening it is where another user's process is refused.
    let dir = File::open(&path)?;
    fds.clear();
    for name in files::dir_names(dir.as_fd(), usize::MAX)? {
        if let Some(fd) = parse_u32(name.as_bytes()) {
            fds.push(fd);
        }
    }
    let mut name = itoa_buf();
    for &fd in fds.iter() {
        let found = match sys::char_device_at(dir.as_fd(), format_u32(&mut name, fd)) {
            Ok(found) => found,
            // Closed since the listing.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EBADF)) => continue,
            Err(e) => return Err(e),
        };
        let Some(dev) = found else {
            continue;
        };
        if let Some(i) = nodes.iter().position(|n| n.dev == dev) {
            out.held.push((pid, i));
        } else if dev.0 == NVIDIA_MAJOR && !NVIDIA_SHARED_MINORS.contains(&dev.1) {
            out.nvidia.push((pid, dev.1));
        }
    }
    Ok(())
}

/// Sorts the scan's findings into each GPU's holders, reading NVIDIA minors
/// when some `/dev/nvidiaN` is held.
pub fn attribute(
    machine: &Machine,
    nodes: &[Node],
    scan: Scan,
    nvidia_proc: Option<&Path>,
    wake: bool,
) -> Vec<Holders> {
    let mut per_gpu: Vec<Holders> = machine
        .gpus
        .iter()
        .map(|_| Holders {
            holders: Vec::new(),
            holders_complete: !scan.hidden,
        })
        .collect();
    for &(pid, i) in &scan.held {
        let n = &nodes[i];
        per_gpu[n.gpu].holders.push(Holder {
            pid,
            command: String::new(),
            node: n.path.clone(),
        });
    }
    if !scan.nvidia.is_empty() {
        let mut unknown = Vec::new();
        let mut placed = vec![false; scan.nvidia.len()];
        for (gpu, g) in machine.gpus.iter().enumerate() {
            let (Some(pci), true, Some(dir)) = (g.pci, g.driver_is("nvidia"), nvidia_proc) else {
                continue;
            };
            if g.asleep() && !wake {
                unknown.push(gpu);
                continue;
            }
            let info = dir.join(format!("gpus/{pci}/information"));
            let Some(minor) = read_small(&info).as_deref().and_then(device_minor) else {
                continue;
            };
            for (k, &(pid, m)) in scan.nvidia.iter().enumerate() {
                if m == minor {
                    placed[k] = true;
                    per_gpu[gpu].holders.push(Holder {
                        pid,
                        command: String::new(),
                        node: format!("/dev/nvidia{minor}"),
                    });
                }
            }
        }
        if placed.contains(&false) {
            for gpu in unknown {
                per_gpu[gpu].holders_complete = false;
            }
        }
    }
    let mut commands = scan.commands;
    commands.sort_unstable();
    for h in &mut per_gpu {
        for holder in &mut h.holders {
            holder.command = match commands.binary_search_by_key(&holder.pid, |c| c.0) {
                Ok(k) => commands[k].1.clone(),
                Err(_) => "?".into(),
            };
        }
        h.holders.sort();
        h.holders.dedup();
    }
    per_gpu
}

/// `Device Minor:` of NVIDIA's `information` file.
fn device_minor(info: &str) -> Option<u32> {
    info.lines()
        .find_map(|l| l.strip_prefix("Device Minor:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A small text file of procfs (a process's `comm`, NVIDIA's per-GPU
/// `information`), trimmed; `None` when it cannot be read, is not a regular
/// file, is empty or is longer than 4 KiB (procfs sizes read as 0, so the
/// bound is the read's).
fn read_small(path: &Path) -> Option<String> {
    let file = files::open_regular(path, Links::Follow).ok()??;
    let text = String::from_utf8(file.read_all(4096).ok()?).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `/proc/<pid>/comm`, or `?` when it cannot be read (the process is gone).
fn command(proc: &Path, pid: u32) -> String {
    read_small(&join(proc, format!("{pid}/comm").as_bytes())).unwrap_or_else(|| "?".into())
}

fn parse_u32(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// A buffer for a descriptor number's decimal digits and a NUL.
fn itoa_buf() -> [u8; 11] {
    [0; 11]
}

/// `n`'s decimal digits, written into `buf`, as a C string.
fn format_u32(buf: &mut [u8; 11], mut n: u32) -> &CStr {
    let mut i = buf.len() - 1;
    buf[i] = 0;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    CStr::from_bytes_with_nul(&buf[i..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Gpu, Kind, PciAddr};

    fn gpu(pci: &str, driver: &str, power: &str, render: u32) -> Gpu {
        Gpu {
            pci: PciAddr::parse_sysfs(pci),
            vendor_id: Some(0x10de),
            device_id: Some(0x25a2),
            driver: Some(driver.into()),
            render: Some(render),
            card: None,
            power: Some(power.into()),
            removable: false,
            boot_display: false,
            boot_vga: false,
            kind: Kind::Discrete,
            platform_tag: None,
            sysfs_path: PathBuf::from("/x"),
        }
    }

    fn node(gpu: usize, minor: u32) -> Node {
        Node {
            dev: (226, minor),
            gpu,
            path: format!("/dev/dri/renderD{minor}"),
        }
    }

    fn pids(h: &Holders) -> Vec<(u32, &str)> {
        h.holders.iter().map(|x| (x.pid, x.node.as_str())).collect()
    }

    #[test]
    fn findings_go_to_their_gpus_sorted_once_each() {
        let machine = Machine {
            gpus: vec![
                gpu("0000:00:02.0", "i915", "active", 128),
                gpu("0000:01:00.0", "nvidia", "active", 129),
            ],
            default_reason: None,
        };
        let nodes = [node(0, 128), node(1, 129)];
        let scan = Scan {
            held: vec![(30, 1), (20, 1), (30, 1), (10, 0)],
            nvidia: Vec::new(),
            commands: vec![(10, "Hyprland".into()), (30, "steam".into())],
            hidden: false,
        };
        let h = attribute(&machine, &nodes, scan, None, false);
        assert_eq!(pids(&h[0]), [(10, "/dev/dri/renderD128")]);
        assert_eq!(h[0].holders[0].command, "Hyprland");
        let names: Vec<&str> = h[1].holders.iter().map(|x| x.command.as_str()).collect();
        assert_eq!(
            names,
            ["?", "steam"],
            "a process gone before its name was read"
        );
        assert_eq!(
            pids(&h[1]),
            [(20, "/dev/dri/renderD129"), (30, "/dev/dri/renderD129")]
        );
        assert!(h[0].holders_complete && h[1].holders_complete);
        let hidden = Scan {
            hidden: true,
            ..Scan::default()
        };
        let h = attribute(&machine, &nodes, hidden, None, false);
        assert!(
            h.iter()
                .all(|g| !g.holders_complete && g.holders.is_empty())
        );
    }

    #[test]
    fn nvidia_minors_are_read_only_for_awake_gpus() {
        let dir = tempfile::tempdir().unwrap();
        for (pci, minor) in [("0000:01:00.0", 0), ("0000:02:00.0", 1)] {
            let g = dir.path().join("gpus").join(pci);
            std::fs::create_dir_all(&g).unwrap();
            std::fs::write(g.join("information"), format!("Device Minor: \t {minor}\n")).unwrap();
        }
        let machine = |second: &str| Machine {
            gpus: vec![
                gpu("0000:00:02.0", "i915", "active", 128),
                gpu("0000:01:00.0", "nvidia", "active", 129),
                gpu("0000:02:00.0", "nvidia", second, 130),
            ],
            default_reason: None,
        };
        let scan = || Scan {
            held: Vec::new(),
            nvidia: vec![(5, 1), (6, 0), (7, 9)],
            commands: Vec::new(),
            hidden: false,
        };
        let awake = machine("active");
        let h = attribute(&awake, &[], scan(), Some(dir.path()), false);
        assert_eq!(pids(&h[1]), [(6, "/dev/nvidia0")]);
        assert_eq!(pids(&h[2]), [(5, "/dev/nvidia1")]);
        assert!(h.iter().all(|g| g.holders_complete), "9 names no GPU here");
        // Asleep: its minor is not read, so what it holds is unknown.
        let asleep = machine("suspended");
        let h = attribute(&asleep, &[], scan(), Some(dir.path()), false);
        assert_eq!(pids(&h[1]), [(6, "/dev/nvidia0")]);
        assert!(h[2].holders.is_empty() && !h[2].holders_complete);
        assert!(h[0].holders_complete && h[1].holders_complete);
        let h = attribute(&asleep, &[], scan(), Some(dir.path()), true);
        assert_eq!(pids(&h[2]), [(5, "/dev/nvidia1")]);
        // No NVIDIA directory (a fixture without the hook): nothing known.
        let h = attribute(&awake, &[], scan(), None, false);
        assert!(h.iter().all(|g| g.holders.is_empty() && g.holders_complete));
    }

    #[test]
    fn a_process_holding_a_node_is_found_in_proc() {
        // A child holds /dev/null as its stdin: a node table naming
        // /dev/null's number finds it, and never the scanning process itself
        // (which holds /dev/null too, and is skipped).
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .stdin(std::fs::File::open("/dev/null").unwrap())
            .spawn()
            .unwrap();
        let nodes = [Node {
            dev: (1, 3), // /dev/null (the kernel's devices.txt)
            gpu: 0,
            path: "/dev/dri/renderD128".into(),
        }];
        let scan = scan(Path::new(PROC), &nodes);
        let _ = child.kill();
        let _ = child.wait();
        assert!(scan.held.contains(&(child.id(), 0)), "{scan:?}");
        assert!(!scan.held.iter().any(|(p, _)| *p == std::process::id()));
    }

    #[test]
    fn numbers_and_minors() {
        assert_eq!(parse_dev("226:129"), Some((226, 129)));
        assert_eq!(parse_dev("226"), None);
        assert_eq!(parse_dev("a:1"), None);
        let info = "Model: \t\t NVIDIA GeForce RTX 3050\nBus Location: \t 0000:01:00.0\n\
                    Device Minor: \t 2\nGPU Excluded:\t No\n";
        assert_eq!(device_minor(info), Some(2));
        assert_eq!(device_minor("Model: x\n"), None);
        let mut b = itoa_buf();
        assert_eq!(format_u32(&mut b, 0), c"0");
        assert_eq!(format_u32(&mut b, 4_294_967_295), c"4294967295");
        assert_eq!(format_u32(&mut b, 42), c"42");
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"self"), None);
    }
}
