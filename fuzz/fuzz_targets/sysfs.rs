//! Detection over generated sysfs trees: an `arbitrary` description of a
//! machine (PCI GPUs behind bridges, virtio and platform devices, built by the
//! test fixture builder) plus raw damage (garbage, non-UTF-8 and empty
//! attributes, FIFOs and directories where files should be, removed files,
//! link loops, dangling links, links out of the root, very long names and
//! link targets, hundreds of nodes), in a root whose name may be `drm` or
//! `devices`. Then `detect::detect` must return without panicking or
//! blocking; every GPU it returns must live inside the tree and own the
//! nodes it claims; and the plan and the `--list`/`--status` output built
//! from it must hold their invariants.
#![no_main]

#[allow(dead_code, unused_imports)] // this target uses the builder, not the named shapes
#[path = "../../tests/common/fixture/mod.rs"]
mod fixture;

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, symlink};
use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use gpu_launch::app::output;
use gpu_launch::decide::plan;
use gpu_launch::decide::spec::{Choice, Origin, Spec};
use gpu_launch::detect::{self, Hints, Kind, Machine, NodeKind, Sysfs, drm_node};
use gpu_launch::os::environ::{self, Environ};
use gpu_launch::session::mode::{InForce, Mode};
use gpu_launch::session::status::{self, Format, Overview};
use libfuzzer_sys::fuzz_target;

use fixture::{Builder, PciDev, PlatformDev};

#[derive(Arbitrary, Debug)]
struct Input {
    root: RootName,
    pci: Vec<Pci>,
    platform: Vec<Platform>,
    damage: Vec<Damage>,
    compositor: [Option<Vec<u8>>; 3],
    read_power: bool,
    hyprland: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum RootName {
    Plain,
    Drm,
    Devices,
    Class,
}

#[derive(Arbitrary, Debug)]
struct Pci {
    bus: u8,
    slot: u8,
    function: u8,
    vendor: VendorPick,
    device: u16,
    class: ClassPick,
    driver: DriverPick,
    boot_vga: bool,
    removable: RemovablePick,
    suspended: bool,
    card: Option<u8>,
    render: Option<u8>,
    bridges: u8,
    virtio: bool,
    audio: bool,
    boot_display: bool,
    /// An SR-IOV virtual function of `0000:00:02.0`.
    virtual_function: bool,
    edp: Option<bool>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum VendorPick {
    Nvidia,
    Amd,
    Intel,
    Virtio,
    Other(u16),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ClassPick {
    Vga,
    Display3d,
    DisplayOther,
    Audio,
    Other(u32),
}

#[derive(Arbitrary, Debug, Clone)]
enum DriverPick {
    Nvidia,
    Nouveau,
    Amdgpu,
    I915,
    Xe,
    VirtioGpu,
    Simpledrm,
    VfioPci,
    None,
    Custom(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum RemovablePick {
    Fixed,
    Removable,
    Unknown,
    Absent,
}

#[derive(Arbitrary, Debug)]
struct Platform {
    path: u8,
    driver: DriverPick,
    of_fullname: Option<String>,
    card: Option<u8>,
    render: Option<u8>,
}

/// Damage to an entry of the built tree (`at` picks it, modulo the number
/// of entries), or to the tree as a whole.
#[derive(Arbitrary, Debug)]
enum Damage {
    Garbage {
        at: u16,
        bytes: Vec<u8>,
    },
    Empty {
        at: u16,
    },
    Remove {
        at: u16,
    },
    Fifo {
        at: u16,
    },
    DirectoryForFile {
        at: u16,
    },
    LinkLoop {
        at: u16,
    },
    Dangling {
        at: u16,
    },
    OutOfRoot {
        at: u16,
        up: u8,
    },
    Absolute {
        at: u16,
        target: AbsoluteTarget,
    },
    /// A link whose target is thousands of bytes long.
    LongTarget {
        at: u16,
        len: u16,
    },
    /// An entry of `class/drm` with a name of up to 255 bytes.
    LongName {
        len: u8,
        render: bool,
    },
    /// Up to a few hundred more nodes in `class/drm`, all pointing at `at`.
    ManyNodes {
        n: u16,
        at: u16,
    },
    /// A file beside the root, where an escaping link would land.
    Beside {
        name: BesideName,
        bytes: Vec<u8>,
    },
    /// A directory (or file) of the tree replaced by a link to a device
    /// directory outside the root ([`OUTSIDE`]), relative or absolute.
    DirOutOfRoot {
        at: u16,
        absolute: bool,
    },
}

/// The device directory beside the root that [`Damage::DirOutOfRoot`] links
/// to: everything in it claims a GPU no read beneath the root can see.
const OUTSIDE: &str = "outside-device";
const OUTSIDE_DRIVER: &str = "fuzz-outside";

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AbsoluteTarget {
    Root,
    DevNull,
    DevZero,
    ProcSelf,
    Sys,
    SysClassDrm,
    EtcPasswd,
    Missing,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BesideName {
    Uevent,
    Drm,
    RenderD128,
    Devices,
}

impl DriverPick {
    fn name(&self) -> Option<String> {
        Some(
            match self {
                DriverPick::Nvidia => "nvidia",
                DriverPick::Nouveau => "nouveau",
                DriverPick::Amdgpu => "amdgpu",
                DriverPick::I915 => "i915",
                DriverPick::Xe => "xe",
                DriverPick::VirtioGpu => "virtio_gpu",
                DriverPick::Simpledrm => "simpledrm",
                DriverPick::VfioPci => "vfio-pci",
                DriverPick::None => return None,
                // A name the builder can make a directory of (the builder
                // trusts its input); raw damage covers the rest.
                DriverPick::Custom(s) => {
                    let s: String = s
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .take(32)
                        .collect();
                    return (!s.is_empty()).then_some(s);
                }
            }
            .to_owned(),
        )
    }
}

fn pci_addr(bus: u8, slot: u8, function: u8) -> String {
    format!("0000:{bus:02x}:{:02x}.{}", slot % 32, function % 8)
}

fn build(input: &Input, outer: &Path) -> Option<Builder> {
    let name = match input.root {
        RootName::Plain => "sys",
        RootName::Drm => "drm",
        RootName::Devices => "devices",
        RootName::Class => "class",
    };
    let dir = tempfile::Builder::new()
        .prefix(name)
        .rand_bytes(0)
        .tempdir_in(outer)
        .ok()?;
    let b = Builder::with_dir(dir);
    for p in input.pci.iter().take(6) {
        let vendor = match p.vendor {
            VendorPick::Nvidia => 0x10de,
            VendorPick::Amd => 0x1002,
            VendorPick::Intel => 0x8086,
            VendorPick::Virtio => 0x1af4,
            VendorPick::Other(v) => v,
        };
        let class = match p.class {
            ClassPick::Vga => fixture::VGA,
            ClassPick::Display3d => fixture::DISPLAY_3D,
            ClassPick::DisplayOther => fixture::DISPLAY_OTHER,
            ClassPick::Audio => fixture::AUDIO_HDA,
            ClassPick::Other(c) => c & 0xff_ffff,
        };
        let addr = pci_addr(p.bus, p.slot, p.function);
        let mut d = PciDev::new(&addr, vendor, p.device, class, "x");
        d.driver = p.driver.name();
        d.boot_vga = p.boot_vga;
        d.boot_display = p.boot_display;
        if p.virtual_function {
            d = d.virtual_function_of("0000:00:02.0");
        }
        if let Some(connected) = p.edp {
            d = d.connector(
                "eDP-1",
                if connected {
                    "connected"
                } else {
                    "disconnected"
                },
            );
        }
        d.removable = match p.removable {
            RemovablePick::Fixed => Some("fixed".into()),
            RemovablePick::Removable => Some("removable".into()),
            RemovablePick::Unknown => Some("unknown".into()),
            RemovablePick::Absent => None,
        };
        if p.suspended {
            d = d.suspended();
        }
        if p.card.is_some() || p.render.is_some() {
            d.drm = Some((p.card.map(u32::from), p.render.map(|r| 128 + u32::from(r))));
        }
        let bridges: Vec<String> = (0..p.bridges % 4)
            .map(|i| pci_addr(i, 1 + (p.bridges >> 2) % 8, 0))
            .collect();
        let bridge_refs: Vec<&str> = bridges.iter().map(String::as_str).collect();
        d = d.behind(&bridge_refs);
        if p.virtio {
            d = d.virtio(p.driver.name().as_deref().unwrap_or("virtio_gpu"));
        }
        b.pci(d);
        if p.audio {
            b.audio(&addr, &bridge_refs, vendor, p.device.wrapping_add(1));
        }
    }
    for p in input.platform.iter().take(3) {
        let path = match p.path % 3 {
            0 => "ff9a0000.gpu".to_owned(),
            1 => "soc/fde60000.gpu".to_owned(),
            _ => format!("display-subsystem.{}", p.path),
        };
        b.platform(PlatformDev {
            path,
            driver: p.driver.name().unwrap_or_else(|| "panfrost".into()),
            of_fullname: p.of_fullname.clone(),
            card: p.card.map(u32::from),
            render: p.render.map(|r| 128 + u32::from(r)),
        });
    }
    Some(b)
}

/// Every entry of the tree (files, directories, links; links not followed).
fn entries(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Clears `path` for a new entry, but only when every directory above it
/// is a real directory inside `outer` (damage never writes through a link).
fn clear(path: &Path, outer: &Path) -> bool {
    let Some(parent) = path.parent() else {
        return false;
    };
    let Ok(real) = fs::canonicalize(parent) else {
        return false;
    };
    if !real.starts_with(outer) || real != parent {
        return false;
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).is_ok(),
        Ok(_) => fs::remove_file(path).is_ok(),
        Err(_) => true,
    }
}

fn write_new(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    if let Ok(mut f) = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        let _ = f.write_all(bytes);
    }
}

fn mkfifo(path: &Path) {
    if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) {
        // SAFETY: a valid NUL-terminated path.
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    }
}

/// True when the input names [`OUTSIDE_DRIVER`] itself (a custom driver,
/// garbage written into a `uevent`), so finding it proves nothing.
fn mentions_outside(input: &Input) -> bool {
    let marker = OUTSIDE_DRIVER.as_bytes();
    let has = |b: &[u8]| b.windows(marker.len()).any(|w| w == marker);
    let custom = |d: &DriverPick| matches!(d, DriverPick::Custom(s) if has(s.as_bytes()));
    input.pci.iter().any(|p| custom(&p.driver))
        || input.platform.iter().any(|p| custom(&p.driver))
        || input.damage.iter().any(|d| match d {
            Damage::Garbage { bytes, .. } | Damage::Beside { bytes, .. } => has(bytes),
            _ => false,
        })
}

/// The device directory outside the root, laid out as a PCI GPU's.
fn plant_outside(outer: &Path) {
    let dev = outer.join(OUTSIDE);
    let _ = fs::create_dir_all(dev.join("power"));
    let _ = fs::create_dir_all(dev.join("drm/renderD250"));
    let uevent = format!(
        "DRIVER={OUTSIDE_DRIVER}\nPCI_CLASS=30000\nPCI_ID=DEAD:BEEF\nPCI_SLOT_NAME=0000:66:00.0\n"
    );
    for (name, text) in [
        ("uevent", uevent.as_str()),
        ("vendor", "0xdead\n"),
        ("device", "0xbeef\n"),
        ("boot_vga", "1\n"),
        ("removable", "removable\n"),
        ("power/runtime_status", "active\n"),
    ] {
        let _ = fs::write(dev.join(name), text);
    }
}

fn damage(root: &Path, outer: &Path, ops: &[Damage]) {
    plant_outside(outer);
    let all = entries(root);
    let pick = |at: u16| -> Option<&PathBuf> {
        (!all.is_empty()).then(|| &all[usize::from(at) % all.len()])
    };
    // The picked entry, cleared for something new in its place.
    let cleared = |at: u16| pick(at).filter(|p| clear(p, outer));
    let drm = root.join("class/drm");
    for op in ops.iter().take(12) {
        match op {
            Damage::Garbage { at, bytes } => {
                if let Some(p) = cleared(*at) {
                    write_new(p, &bytes[..bytes.len().min(8192)]);
                }
            }
            Damage::Empty { at } => {
                if let Some(p) = cleared(*at) {
                    write_new(p, b"");
                }
            }
            Damage::Remove { at } => {
                if let Some(p) = pick(*at) {
                    clear(p, outer);
                }
            }
            Damage::Fifo { at } => {
                if let Some(p) = cleared(*at) {
                    mkfifo(p);
                }
            }
            Damage::DirectoryForFile { at } => {
                if let Some(p) = cleared(*at) {
                    let _ = fs::create_dir(p);
                }
            }
            Damage::LinkLoop { at } => {
                if let Some(p) = cleared(*at) {
                    let _ = symlink(p.file_name().unwrap_or_default(), p);
                }
            }
            Damage::Dangling { at } => {
                if let Some(p) = cleared(*at) {
                    let _ = symlink("../missing/nothing", p);
                }
            }
            Damage::OutOfRoot { at, up } => {
                if let Some(p) = cleared(*at) {
                    let target = "../".repeat(usize::from(up % 24) + 1) + "outside";
                    let _ = symlink(target, p);
                }
            }
            Damage::Absolute { at, target } => {
                if let Some(p) = cleared(*at) {
                    let t = match target {
                        AbsoluteTarget::Root => "/",
                        AbsoluteTarget::DevNull => "/dev/null",
                        AbsoluteTarget::DevZero => "/dev/zero",
                        AbsoluteTarget::ProcSelf => "/proc/self",
                        AbsoluteTarget::Sys => "/sys",
                        AbsoluteTarget::SysClassDrm => "/sys/class/drm",
                        AbsoluteTarget::EtcPasswd => "/etc/passwd",
                        AbsoluteTarget::Missing => "/nonexistent/gpu",
                    };
                    let _ = symlink(t, p);
                }
            }
            Damage::LongTarget { at, len } => {
                if let Some(p) = cleared(*at) {
                    let seg = format!("{}/", "a".repeat(200));
                    let mut t = "../../".to_owned();
                    while t.len() < usize::from(*len % 4000) + 8 {
                        t.push_str(&seg);
                    }
                    t.push_str("drm/renderD128");
                    let _ = symlink(&t[..t.len().min(4095)], p);
                }
            }
            Damage::LongName { len, render } => {
                let prefix = if *render { "renderD" } else { "card" };
                let n = usize::from(*len).clamp(prefix.len() + 1, 255);
                let name = format!("{prefix}{}", "9".repeat(n - prefix.len()));
                let p = drm.join(name);
                if clear(&p, outer) {
                    let _ = symlink("../../devices/pci0000:00", &p);
                }
            }
            Damage::ManyNodes { n, at } => {
                let target = pick(*at).cloned().unwrap_or_else(|| root.join("devices"));
                let rel = Path::new("../..").join(target.strip_prefix(root).unwrap_or(&target));
                for i in 0..usize::from(*n % 400) {
                    let name = if i % 2 == 0 {
                        format!("renderD{}", 1000 + i)
                    } else {
                        format!("card{}", 1000 + i)
                    };
                    let p = drm.join(name);
                    if !clear(&p, outer) {
                        break;
                    }
                    let _ = symlink(&rel, &p);
                }
            }
            Damage::Beside { name, bytes } => {
                let n = match name {
                    BesideName::Uevent => "uevent",
                    BesideName::Drm => "drm",
                    BesideName::RenderD128 => "renderD128",
                    BesideName::Devices => "devices",
                };
                let p = outer.join(n);
                if p != root && clear(&p, outer) {
                    write_new(&p, &bytes[..bytes.len().min(512)]);
                }
            }
            Damage::DirOutOfRoot { at, absolute } => {
                if let Some(p) = cleared(*at) {
                    let target = if *absolute {
                        outer.join(OUTSIDE)
                    } else {
                        let depth = p
                            .parent()
                            .and_then(|d| d.strip_prefix(outer).ok())
                            .map_or(0, |d| d.components().count());
                        PathBuf::from("../".repeat(depth) + OUTSIDE)
                    };
                    let _ = symlink(target, p);
                }
            }
        }
    }
}

/// `forged`: the input itself writes [`OUTSIDE_DRIVER`] into the tree.
fn check(machine: &Machine, sys: &Sysfs, forged: bool) {
    let root = sys.root();
    assert_eq!(machine.default_reason.is_some(), !machine.gpus.is_empty());
    let drm_names: Vec<OsString> = sys.list(&sys.path("class/drm"));
    let has = |kind: NodeKind, n: u32| {
        drm_names
            .iter()
            .any(|name| drm_node(name) == Some((kind, n)))
    };
    for g in &machine.gpus {
        assert!(
            g.sysfs_path
                .as_os_str()
                .as_bytes()
                .starts_with(root.as_os_str().as_bytes())
                && g.sysfs_path.starts_with(root),
            "{} is outside the root {}",
            g.sysfs_path.display(),
            root.display()
        );
        if let Some(n) = g.render {
            assert!(has(NodeKind::Render, n), "renderD{n} is not in class/drm");
        }
        if let Some(n) = g.card {
            assert!(has(NodeKind::Card, n), "card{n} is not in class/drm");
        }
        assert!(
            g.render.is_some() || g.driver.as_deref() == Some("nvidia"),
            "{g:?}"
        );
        if let Some(tag) = &g.platform_tag {
            assert!(g.pci.is_none());
            assert!(
                tag.starts_with("platform-") && !tag.ends_with('!'),
                "{tag:?}"
            );
        }
        if g.kind == Kind::External {
            assert!(g.removable);
        }
        // Nothing is read through a directory link out of the root.
        if !forged {
            assert_ne!(g.driver.as_deref(), Some(OUTSIDE_DRIVER), "{g:?}");
        }
    }
    // Index 0 is the default; the rest in PCI order, non-PCI last.
    let rest: Vec<_> = machine
        .gpus
        .iter()
        .skip(1)
        .map(|g| (g.pci.is_none(), g.pci))
        .collect();
    assert!(rest.windows(2).all(|w| w[0] <= w[1]), "{rest:?}");
}

fn check_plans(machine: &Machine) {
    let owned = environ::owned(&[
        ("DRI_PRIME", "1"),
        ("__GLX_VENDOR_LIBRARY_NAME", "x"),
        ("PATH", "/bin"),
    ]);
    let env = Environ::new(owned.iter().map(AsRef::as_ref).collect());
    let config = gpu_launch::config::Config::default();
    let program = [c"chromium", c"--x"];
    for text in [
        "auto",
        "default",
        "discrete",
        "integrated",
        "nvidia",
        "amd",
        "1",
        "2",
        "renderD129",
    ] {
        let choice = Choice {
            spec: Spec::parse(text).expect("a valid SPEC"),
            origin: Origin::Auto,
        };
        let Ok(target) = plan::target(machine, &choice, &[], false) else {
            panic!("a non-strict target never fails");
        };
        if let Some(i) = target.gpu {
            assert!(i < machine.gpus.len());
        }
        let p = plan::build(machine, target, &env, &config, &program, false);
        for (k, v) in &p.set {
            assert!(!(k == &"DRI_PRIME" && v.ends_with('!')), "{v:?}");
            assert!(!v.contains('\0'));
        }
        assert!(p.argv.len() <= program.len() + 1);
        let _ = output::dry_run_text(machine, &p);
        let json = output::dry_run_json(machine, &p, &[]);
        serde_json::from_str::<serde_json::Value>(&json).expect("dry-run JSON");
        let _ = output::print_env(&p, output::Syntax::Sh);
        let _ = output::print_env(&p, output::Syntax::Fish);
    }
}

fuzz_target!(|input: Input| {
    // tmpfs when there is one: the tree is built and removed every run.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let Ok(outer) = tempfile::Builder::new()
        .prefix("gpu-launch-fuzz-")
        .tempdir_in(base)
    else {
        return;
    };
    let Ok(outer_real) = fs::canonicalize(outer.path()) else {
        return;
    };
    let Some(builder) = build(&input, &outer_real) else {
        return;
    };
    let fixture = builder.build();
    let root = fixture.root().to_path_buf();
    damage(&root, &outer_real, &input.damage);
    let sys = Sysfs::new(&root);
    let compositor = input
        .compositor
        .each_ref()
        .map(|v| v.as_deref().filter(|v| !v.is_empty()));
    let machine = detect::detect(
        &sys,
        &Hints {
            compositor,
            hyprland: input.hyprland,
            follow_dev_links: false,
            read_power: input.read_power,
        },
    );
    check(&machine, &sys, mentions_outside(&input));
    check_plans(&machine);
    let json = output::list_json(&machine, &[], &[]);
    serde_json::from_str::<serde_json::Value>(&json).expect("--list JSON");
    let _ = output::list_text(&machine, &[]);
    let status = Overview {
        machine: &machine,
        details: Vec::new(),
        holders: Vec::new(),
        mode: InForce::explicit(Mode::Hybrid),
        next: None,
        notes: Vec::new(),
    };
    for format in [Format::Text, Format::Json, Format::Waybar] {
        let _ = status::render(&status, format);
    }
    drop(fixture);
});
