//! Fake sysfs trees laid out as the kernel lays them out, for
//! `GPU_LAUNCH_SYSFS_ROOT`.
//!
//! What a real machine has, and so what these trees have:
//! - `devices/pci0000:00/<bridge>/.../<function>/` directories with `vendor`,
//!   `device`, `subsystem_vendor`, `subsystem_device`, `class`, `boot_vga` (VGA
//!   class only), `removable`, `power/runtime_status`, `power/control`,
//!   `power_state`, `uevent` (`DRIVER=`, `PCI_CLASS=`, `PCI_ID=`,
//!   `PCI_SUBSYS_ID=`, `PCI_SLOT_NAME=`, `MODALIAS=`), a binary `config` (which
//!   gpu-launch must never read), and the links `driver` and `subsystem`;
//! - PCI bridges (root ports, Thunderbolt up/downstream ports) above GPUs;
//! - `drm/cardN/` and `drm/renderDN/` under the device that owns them, with
//!   `dev`, `uevent`, `device` and `subsystem` links, and `cardN-<connector>/`
//!   directories (`status`, `enabled`) under the card;
//! - `class/drm/<node>` links into `devices/`, `class/drm/version`;
//! - `bus/pci/devices/<addr>` and `bus/pci/drivers/<driver>/<addr>` links;
//! - HDMI/DP audio functions (`.1`, `snd_hda_intel`) beside discrete GPUs;
//! - virtio devices (`virtioN`) under their PCI function, platform devices
//!   (`devices/platform/...`) with device-tree uevents, Thunderbolt devices
//!   with `authorized`.
//!
//! Shared by the integration tests, the benches and the fuzz targets
//! (`#[path]`-included, with `#[allow(dead_code)]` there: each uses a part),
//! so it depends on nothing but std and tempfile.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// PCI class codes (`class` attribute).
pub const VGA: u32 = 0x030000;
pub const DISPLAY_3D: u32 = 0x030200;
pub const DISPLAY_OTHER: u32 = 0x038000;
pub const AUDIO_HDA: u32 = 0x040300;
pub const BRIDGE_PCI: u32 = 0x060400;

/// A built fake machine; the tree is removed on drop.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// A PCI GPU (or other PCI function) to put in the tree.
#[derive(Debug, Clone)]
pub struct PciDev {
    /// `0000:01:00.0`.
    pub addr: String,
    /// Bridges above it, outermost first (each an address like `0000:00:01.0`).
    pub bridges: Vec<String>,
    pub vendor: u16,
    pub device: u16,
    pub class: u32,
    pub driver: Option<String>,
    /// `Some(true)` writes `boot_vga` = 1; VGA-class devices get the attribute
    /// (0 or 1), others none.
    pub boot_vga: bool,
    /// The `removable` attribute: `fixed`, `removable`, `unknown`, or absent.
    pub removable: Option<String>,
    pub runtime_status: String,
    /// DRM nodes: (card number, render number); `None` for no DRM at all.
    pub drm: Option<(Option<u32>, Option<u32>)>,
    pub connectors: Vec<(String, String)>,
    /// Put the DRM nodes under a child device (`virtio0`) bound to this driver.
    pub virtio_child: Option<String>,
}

impl PciDev {
    pub fn new(addr: &str, vendor: u16, device: u16, class: u32, driver: &str) -> Self {
        PciDev {
            addr: addr.into(),
            bridges: Vec::new(),
            vendor,
            device,
            class,
            driver: Some(driver.into()),
            boot_vga: false,
            removable: Some("fixed".into()),
            runtime_status: "active".into(),
            drm: None,
            connectors: Vec::new(),
            virtio_child: None,
        }
    }

    pub fn behind(mut self, bridges: &[&str]) -> Self {
        self.bridges = bridges.iter().map(|b| (*b).to_owned()).collect();
        self
    }
    pub fn boot_vga(mut self) -> Self {
        self.boot_vga = true;
        self
    }
    pub fn removable(mut self) -> Self {
        self.removable = Some("removable".into());
        self
    }
    pub fn no_removable_attr(mut self) -> Self {
        self.removable = None;
        self
    }
    pub fn suspended(mut self) -> Self {
        self.runtime_status = "suspended".into();
        self
    }
    pub fn nodes(mut self, card: u32, render: u32) -> Self {
        self.drm = Some((Some(card), Some(render)));
        self
    }
    pub fn connector(mut self, name: &str, status: &str) -> Self {
        self.connectors.push((name.into(), status.into()));
        self
    }
    pub fn unbound(mut self) -> Self {
        self.driver = None;
        self
    }
    pub fn virtio(mut self, child_driver: &str) -> Self {
        self.virtio_child = Some(child_driver.into());
        self
    }
}

/// A platform (SoC) device with DRM nodes.
#[derive(Debug, Clone)]
pub struct PlatformDev {
    /// Path under `devices/platform/`, e.g. `ff9a0000.gpu` or `soc/ff9a0000.gpu`.
    pub path: String,
    pub driver: String,
    pub of_fullname: Option<String>,
    pub card: Option<u32>,
    pub render: Option<u32>,
}

/// Builds a tree. Every method writes immediately.
pub struct Builder {
    dir: tempfile::TempDir,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gpu-launch-sysfs-")
            .tempdir()
            .expect("tempdir");
        Self::with_dir(dir)
    }

    /// A tree in `dir` (the sysfs fuzz target puts it under a name of its
    /// choice, such as `drm`, inside a directory of its own).
    pub fn with_dir(dir: tempfile::TempDir) -> Self {
        let b = Builder { dir };
        b.write("class/drm/version", "drm 1.1.0 20060810\n");
        b.mkdir("bus/pci/devices");
        b.mkdir("bus/pci/drivers");
        b.mkdir("bus/platform/drivers");
        b.mkdir("devices/pci0000:00");
        b.mkdir("devices/platform");
        b
    }

    pub fn build(self) -> Fixture {
        Fixture { dir: self.dir }
    }

    fn abs(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn mkdir(&self, rel: &str) {
        fs::create_dir_all(self.abs(rel)).expect("mkdir");
    }

    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let p = self.abs(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, bytes).expect("write");
    }

    /// `link_rel` -> `target_rel` (both relative to the root), written as a
    /// relative link as the kernel does.
    pub fn link(&self, link_rel: &str, target_rel: &str) {
        let link = self.abs(link_rel);
        fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
        let depth = Path::new(link_rel).components().count() - 1;
        let mut target = String::new();
        for _ in 0..depth {
            target.push_str("../");
        }
        target.push_str(target_rel);
        let _ = fs::remove_file(&link);
        symlink(target, link).expect("symlink");
    }

    /// Writes a raw link (for damaged trees).
    pub fn raw_link(&self, link_rel: &str, target: &str) {
        let link = self.abs(link_rel);
        fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
        let _ = fs::remove_file(&link);
        symlink(target, link).expect("symlink");
    }

    fn bridge(&self, parent: &str, addr: &str) -> String {
        let path = format!("{parent}/{addr}");
        if !self.abs(&path).exists() {
            self.pci_function_files(
                &path,
                addr,
                0x8086,
                0x7ab8,
                BRIDGE_PCI,
                Some("pcieport"),
                false,
                Some("fixed"),
                "active",
            );
        }
        path
    }

    #[allow(clippy::too_many_arguments)]
    fn pci_function_files(
        &self,
        path: &str,
        addr: &str,
        vendor: u16,
        device: u16,
        class: u32,
        driver: Option<&str>,
        boot_vga: bool,
        removable: Option<&str>,
        runtime_status: &str,
    ) {
        self.mkdir(path);
        self.write(&format!("{path}/vendor"), &format!("0x{vendor:04x}\n"));
        self.write(&format!("{path}/device"), &format!("0x{device:04x}\n"));
        self.write(&format!("{path}/subsystem_vendor"), "0x1043\n");
        self.write(&format!("{path}/subsystem_device"), "0x1e02\n");
        self.write(&format!("{path}/class"), &format!("0x{class:06x}\n"));
        self.write(&format!("{path}/revision"), "0xa1\n");
        self.write(&format!("{path}/enable"), "1\n");
        self.write(&format!("{path}/irq"), "16\n");
        self.write(&format!("{path}/numa_node"), "-1\n");
        self.write(&format!("{path}/local_cpulist"), "0-15\n");
        // Reading `config` is what wakes a device; it must stay unread.
        self.write_bytes(&format!("{path}/config"), &[0xffu8; 256]);
        if class >> 8 == 0x0300 {
            self.write(
                &format!("{path}/boot_vga"),
                if boot_vga { "1\n" } else { "0\n" },
            );
        }
        if let Some(r) = removable {
            self.write(&format!("{path}/removable"), &format!("{r}\n"));
        }
        self.write(
            &format!("{path}/power/runtime_status"),
            &format!("{runtime_status}\n"),
        );
        self.write(&format!("{path}/power/control"), "auto\n");
        self.write(&format!("{path}/power/runtime_suspended_time"), "123456\n");
        self.write(
            &format!("{path}/power_state"),
            if runtime_status == "suspended" {
                "D3cold\n"
            } else {
                "D0\n"
            },
        );
        let mut uevent = String::new();
        if let Some(d) = driver {
            uevent.push_str(&format!("DRIVER={d}\n"));
        }
        uevent.push_str(&format!(
            "PCI_CLASS={class:X}\nPCI_ID={vendor:04X}:{device:04X}\nPCI_SUBSYS_ID=1043:1E02\n\
             PCI_SLOT_NAME={addr}\nMODALIAS=pci:v0000{vendor:04X}d0000{device:04X}sv00001043sd00001E02bc{:02X}sc{:02X}i{:02X}\n",
            class >> 16,
            (class >> 8) & 0xff,
            class & 0xff
        ));
        self.write(&format!("{path}/uevent"), &uevent);
        self.link(&format!("{path}/subsystem"), "bus/pci");
        self.link(&format!("bus/pci/devices/{addr}"), path);
        if let Some(d) = driver {
            self.link(&format!("{path}/driver"), &format!("bus/pci/drivers/{d}"));
            self.mkdir(&format!("bus/pci/drivers/{d}"));
            self.link(&format!("bus/pci/drivers/{d}/{addr}"), path);
        }
    }

    /// DRM nodes under `owner` (a device directory, relative to the root).
    fn drm_nodes(
        &self,
        owner: &str,
        card: Option<u32>,
        render: Option<u32>,
        connectors: &[(String, String)],
    ) {
        let owner_name = Path::new(owner)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        for (name, minor) in [
            (card.map(|n| format!("card{n}")), card),
            (render.map(|n| format!("renderD{n}")), render),
        ] {
            let (Some(name), Some(minor)) = (name, minor) else {
                continue;
            };
            let node = format!("{owner}/drm/{name}");
            self.write(&format!("{node}/dev"), &format!("226:{minor}\n"));
            self.write(
                &format!("{node}/uevent"),
                &format!("MAJOR=226\nMINOR={minor}\nDEVNAME=dri/{name}\nDEVTYPE=drm_minor\n"),
            );
            self.write(&format!("{node}/power/runtime_status"), "unsupported\n");
            self.raw_link(&format!("{node}/device"), &format!("../../../{owner_name}"));
            self.link(&format!("{node}/subsystem"), "class/drm");
            self.link(&format!("class/drm/{name}"), &node);
        }
        if let Some(n) = card {
            for (conn, status) in connectors {
                let c = format!("{owner}/drm/card{n}/card{n}-{conn}");
                self.write(&format!("{c}/status"), &format!("{status}\n"));
                self.write(
                    &format!("{c}/enabled"),
                    if status == "connected" {
                        "enabled\n"
                    } else {
                        "disabled\n"
                    },
                );
                self.write(&format!("{c}/dpms"), "On\n");
                self.link(&format!("{c}/subsystem"), "class/drm");
                self.link(&format!("class/drm/card{n}-{conn}"), &c);
            }
        }
    }

    /// Adds a PCI device (with its bridges, DRM nodes and connectors).
    pub fn pci(&self, d: PciDev) -> &Self {
        let mut parent = "devices/pci0000:00".to_owned();
        for b in &d.bridges {
            parent = self.bridge(&parent, b);
        }
        let path = format!("{parent}/{}", d.addr);
        self.pci_function_files(
            &path,
            &d.addr,
            d.vendor,
            d.device,
            d.class,
            d.driver.as_deref(),
            d.boot_vga,
            d.removable.as_deref(),
            &d.runtime_status,
        );
        if let Some((card, render)) = d.drm {
            match &d.virtio_child {
                Some(child_driver) => {
                    let child = format!("{path}/virtio0");
                    self.write(
                        &format!("{child}/uevent"),
                        &format!("DRIVER={child_driver}\nMODALIAS=virtio:d00000010v00001AF4\n"),
                    );
                    self.write(&format!("{child}/device"), "0x0010\n");
                    self.write(&format!("{child}/vendor"), "0x1af4\n");
                    self.write(&format!("{child}/power/runtime_status"), "unsupported\n");
                    self.link(
                        &format!("{child}/driver"),
                        &format!("bus/virtio/drivers/{child_driver}"),
                    );
                    self.link(&format!("{child}/subsystem"), "bus/virtio");
                    self.mkdir(&format!("bus/virtio/drivers/{child_driver}"));
                    self.link("bus/virtio/devices/virtio0", &child);
                    self.drm_nodes(&child, card, render, &d.connectors);
                }
                None => self.drm_nodes(&path, card, render, &d.connectors),
            }
        }
        self
    }

    /// The HDMI/DP audio function beside a discrete GPU (`.1`).
    pub fn audio(&self, gpu_addr: &str, bridges: &[&str], vendor: u16, device: u16) -> &Self {
        let addr = format!("{}.1", gpu_addr.rsplit_once('.').unwrap().0);
        self.pci(PciDev::new(&addr, vendor, device, AUDIO_HDA, "snd_hda_intel").behind(bridges))
    }

    /// A platform device (SoC GPU, display controller, simpledrm).
    pub fn platform(&self, d: PlatformDev) -> &Self {
        let path = format!("devices/platform/{}", d.path);
        let mut uevent = format!("DRIVER={}\n", d.driver);
        if let Some(full) = &d.of_fullname {
            let name = full.rsplit('/').next().unwrap().split('@').next().unwrap();
            uevent.push_str(&format!(
                "OF_NAME={name}\nOF_FULLNAME={full}\nOF_COMPATIBLE_N=1\n"
            ));
        }
        uevent.push_str(&format!("MODALIAS=platform:{}\n", d.driver));
        self.write(&format!("{path}/uevent"), &uevent);
        self.write(&format!("{path}/power/runtime_status"), "active\n");
        self.write(&format!("{path}/driver_override"), "(null)\n");
        self.link(
            &format!("{path}/driver"),
            &format!("bus/platform/drivers/{}", d.driver),
        );
        self.link(&format!("{path}/subsystem"), "bus/platform");
        self.mkdir(&format!("bus/platform/drivers/{}", d.driver));
        self.drm_nodes(&path, d.card, d.render, &[]);
        self
    }

    /// A Thunderbolt device with its `authorized` attribute (0 = an eGPU the
    /// user has not approved: its PCIe tunnel, and so its GPU, is absent).
    pub fn thunderbolt(&self, name: &str, authorized: bool, device_name: &str) -> &Self {
        let path = format!("devices/pci0000:00/0000:00:0d.2/domain0/0-0/{name}");
        self.write(
            &format!("{path}/authorized"),
            if authorized { "1\n" } else { "0\n" },
        );
        self.write(&format!("{path}/device_name"), &format!("{device_name}\n"));
        self.write(&format!("{path}/vendor_name"), "Razer\n");
        self.write(&format!("{path}/uevent"), "DEVTYPE=thunderbolt_device\n");
        self.link(&format!("bus/thunderbolt/devices/{name}"), &path);
        self
    }
}

// ---- The machine shapes -------------------------------------------------

/// Intel iGPU (boot VGA, eDP panel) + NVIDIA RTX 4060 Laptop (3D controller,
/// suspended, nvidia-drm loaded) behind a root port, with its audio function.
pub fn intel_nvidia_laptop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0xa7a0, VGA, "i915")
            .boot_vga()
            .nodes(1, 128)
            .connector("eDP-1", "connected")
            .connector("DP-1", "disconnected"),
    );
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x28e0, DISPLAY_3D, "nvidia")
            .behind(&["0000:00:01.0"])
            .suspended()
            .nodes(0, 129),
    );
    b.audio("0000:01:00.0", &["0000:00:01.0"], 0x10de, 0x22be);
    b.pci(PciDev::new(
        "0000:00:1f.3",
        0x8086,
        0x51ca,
        AUDIO_HDA,
        "sof-audio-pci-intel-tgl",
    ));
    b.build()
}

/// The Intel + NVIDIA laptop with its dGPU awake (runtime status active), so
/// NVML and the DRM ioctl may look at it.
pub fn intel_nvidia_laptop_awake() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0xa7a0, VGA, "i915")
            .boot_vga()
            .nodes(1, 128),
    );
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x28e0, DISPLAY_3D, "nvidia")
            .behind(&["0000:00:01.0"])
            .nodes(0, 129),
    );
    b.build()
}

/// AMD Rembrandt APU (boot VGA) + NVIDIA dGPU; the dGPU's card is card0, so
/// "card0 is the iGPU" would be wrong here.
pub fn amd_nvidia_laptop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x25a2, VGA, "nvidia")
            .behind(&["0000:00:01.1"])
            .suspended()
            .nodes(0, 128),
    );
    b.audio("0000:01:00.0", &["0000:00:01.1"], 0x10de, 0x2291);
    b.pci(
        PciDev::new("0000:05:00.0", 0x1002, 0x1681, VGA, "amdgpu")
            .behind(&["0000:00:08.1"])
            .boot_vga()
            .nodes(1, 129)
            .connector("eDP-1", "connected"),
    );
    b.audio("0000:05:00.0", &["0000:00:08.1"], 0x1002, 0x1640);
    b.build()
}

/// Intel iGPU + AMD Navi 23 dGPU (amdgpu, runtime PM).
pub fn intel_amd_laptop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x9a49, VGA, "i915")
            .boot_vga()
            .nodes(0, 128)
            .connector("eDP-1", "connected"),
    );
    b.pci(
        PciDev::new("0000:03:00.0", 0x1002, 0x73ff, DISPLAY_OTHER, "amdgpu")
            .behind(&["0000:00:01.0", "0000:01:00.0", "0000:02:00.0"])
            .suspended()
            .nodes(1, 129),
    );
    b.audio(
        "0000:03:00.0",
        &["0000:00:01.0", "0000:01:00.0", "0000:02:00.0"],
        0x1002,
        0xab28,
    );
    b.build()
}

/// AMD Phoenix APU + AMD Navi 33 dGPU: both amdgpu, told apart by device id.
pub fn amd_amd_laptop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:03:00.0", 0x1002, 0x7480, DISPLAY_OTHER, "amdgpu")
            .behind(&["0000:00:01.1", "0000:01:00.0", "0000:02:00.0"])
            .suspended()
            .nodes(0, 128),
    );
    b.pci(
        PciDev::new("0000:c4:00.0", 0x1002, 0x15bf, VGA, "amdgpu")
            .behind(&["0000:00:08.1"])
            .boot_vga()
            .nodes(1, 129)
            .connector("eDP-1", "connected"),
    );
    b.build()
}

/// Intel laptop + NVIDIA eGPU in a Thunderbolt enclosure (removable).
pub fn intel_nvidia_egpu() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x46a6, VGA, "i915")
            .boot_vga()
            .nodes(0, 128)
            .connector("eDP-1", "connected"),
    );
    let tb = ["0000:00:07.0", "0000:2c:00.0", "0000:2d:01.0"];
    b.pci(
        PciDev::new("0000:2e:00.0", 0x10de, 0x2204, VGA, "nvidia")
            .behind(&tb)
            .removable()
            .nodes(1, 129)
            .connector("DP-1", "connected"),
    );
    b.audio("0000:2e:00.0", &tb, 0x10de, 0x1aef);
    b.thunderbolt("0-1", true, "Core X Chroma");
    b.build()
}

/// Intel iGPU + NVIDIA dGPU + AMD eGPU: auto prefers the external one.
pub fn laptop_dgpu_and_egpu() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0xa7a0, VGA, "i915")
            .boot_vga()
            .nodes(0, 128),
    );
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x28e0, DISPLAY_3D, "nvidia")
            .behind(&["0000:00:01.0"])
            .suspended()
            .nodes(1, 129),
    );
    let tb = ["0000:00:07.0", "0000:20:00.0", "0000:21:01.0"];
    b.pci(
        PciDev::new("0000:22:00.0", 0x1002, 0x744c, VGA, "amdgpu")
            .behind(&tb)
            .removable()
            .nodes(2, 130),
    );
    b.thunderbolt("0-1", true, "Razer Core X");
    b.build()
}

/// Desktop whose boot GPU is the discrete AMD card; the Intel iGPU is also on.
/// auto must stay on the dGPU (no offload to the iGPU).
pub fn desktop_boot_dgpu() -> Fixture {
    let b = Builder::new();
    b.pci(PciDev::new("0000:00:02.0", 0x8086, 0x4680, VGA, "i915").nodes(0, 128));
    b.pci(
        PciDev::new("0000:0b:00.0", 0x1002, 0x73bf, VGA, "amdgpu")
            .behind(&["0000:00:01.0", "0000:09:00.0", "0000:0a:00.0"])
            .boot_vga()
            .nodes(1, 129)
            .connector("DP-1", "connected"),
    );
    b.audio(
        "0000:0b:00.0",
        &["0000:00:01.0", "0000:09:00.0", "0000:0a:00.0"],
        0x1002,
        0xab28,
    );
    b.build()
}

/// Desktop with three NVIDIA cards; the first drives the desktop.
pub fn desktop_three_nvidia() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x2684, VGA, "nvidia")
            .behind(&["0000:00:01.0"])
            .boot_vga()
            .nodes(0, 128)
            .connector("DP-1", "connected"),
    );
    b.pci(
        PciDev::new("0000:21:00.0", 0x10de, 0x2204, VGA, "nvidia")
            .behind(&["0000:00:03.0"])
            .nodes(1, 129),
    );
    b.pci(
        PciDev::new("0000:41:00.0", 0x10de, 0x2204, VGA, "nvidia")
            .behind(&["0000:00:03.1"])
            .nodes(2, 130),
    );
    b.build()
}

/// A QEMU/KVM guest with virtio-gpu (its nodes hang off `virtio0`).
pub fn vm_virtio() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:01.0", 0x1af4, 0x1050, VGA, "virtio-pci")
            .boot_vga()
            .nodes(0, 128)
            .virtio("virtio_gpu")
            .connector("Virtual-1", "connected"),
    );
    b.build()
}

/// A VM with virtio-gpu for the desktop and an NVIDIA card passed through.
pub fn vm_passthrough() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:01.0", 0x1af4, 0x1050, VGA, "virtio-pci")
            .boot_vga()
            .nodes(0, 128)
            .virtio("virtio_gpu"),
    );
    b.pci(
        PciDev::new("0000:06:00.0", 0x10de, 0x2684, VGA, "nvidia")
            .behind(&["0000:00:02.0"])
            .no_removable_attr()
            .nodes(1, 129),
    );
    b.build()
}

/// A server or container without any GPU: only simpledrm's card0.
pub fn no_gpu() -> Fixture {
    let b = Builder::new();
    b.platform(PlatformDev {
        path: "simple-framebuffer.0".into(),
        driver: "simple-framebuffer".into(),
        of_fullname: None,
        card: Some(0),
        render: None,
    });
    b.build()
}

/// Intel iGPU + NVIDIA dGPU bound to `nvidia` without nvidia-drm: no DRM
/// nodes for the dGPU at all.
pub fn nvidia_without_drm() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x9a49, VGA, "i915")
            .boot_vga()
            .nodes(0, 128),
    );
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x2520, DISPLAY_3D, "nvidia")
            .behind(&["0000:00:01.0"])
            .suspended(),
    );
    b.build()
}

/// An ARM SoC: rockchip's display controller has card0 (no render node),
/// the Mali GPU (panfrost) has card1 + renderD128; no PCI at all.
pub fn arm_soc() -> Fixture {
    let b = Builder::new();
    b.platform(PlatformDev {
        path: "display-subsystem".into(),
        driver: "rockchip-drm".into(),
        of_fullname: Some("/display-subsystem".into()),
        card: Some(0),
        render: None,
    });
    b.platform(PlatformDev {
        path: "ff9a0000.gpu".into(),
        driver: "panfrost".into(),
        of_fullname: Some("/gpu@ff9a0000".into()),
        card: Some(1),
        render: Some(128),
    });
    b.build()
}

/// A MUX laptop switched to the dGPU: NVIDIA is boot VGA and drives the
/// panel; the Intel iGPU is the other one.
pub fn mux_nvidia_default() -> Fixture {
    let b = Builder::new();
    b.pci(PciDev::new("0000:00:02.0", 0x8086, 0xa7a0, VGA, "i915").nodes(1, 129));
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x2860, VGA, "nvidia")
            .behind(&["0000:00:01.0"])
            .boot_vga()
            .nodes(0, 128)
            .connector("eDP-1", "connected"),
    );
    b.build()
}

/// Intel iGPU + NVIDIA dGPU driven by nouveau: Mesa's DRI_PRIME, not the
/// NVIDIA variables.
pub fn intel_nouveau_laptop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0x3e9b, VGA, "i915")
            .boot_vga()
            .nodes(0, 128),
    );
    b.pci(
        PciDev::new("0000:01:00.0", 0x10de, 0x1f91, DISPLAY_3D, "nouveau")
            .behind(&["0000:00:01.0"])
            .suspended()
            .nodes(1, 129),
    );
    b.build()
}

/// Intel iGPU + Intel Arc dGPU (xe): both vendor intel.
pub fn intel_arc_desktop() -> Fixture {
    let b = Builder::new();
    b.pci(
        PciDev::new("0000:00:02.0", 0x8086, 0xa780, VGA, "i915")
            .boot_vga()
            .nodes(0, 128)
            .connector("HDMI-A-1", "connected"),
    );
    b.pci(
        PciDev::new("0000:03:00.0", 0x8086, 0x56a0, VGA, "xe")
            .behind(&["0000:00:01.0", "0000:01:00.0", "0000:02:01.0"])
            .nodes(1, 129),
    );
    b.build()
}

/// A named shape.
pub type Shape = (&'static str, fn() -> Fixture);

/// Every named shape, for table-driven tests and benches.
pub fn all() -> Vec<Shape> {
    vec![
        (
            "intel_nvidia_laptop",
            intel_nvidia_laptop as fn() -> Fixture,
        ),
        ("amd_nvidia_laptop", amd_nvidia_laptop),
        ("intel_amd_laptop", intel_amd_laptop),
        ("amd_amd_laptop", amd_amd_laptop),
        ("intel_nvidia_egpu", intel_nvidia_egpu),
        ("laptop_dgpu_and_egpu", laptop_dgpu_and_egpu),
        ("desktop_boot_dgpu", desktop_boot_dgpu),
        ("desktop_three_nvidia", desktop_three_nvidia),
        ("vm_virtio", vm_virtio),
        ("vm_passthrough", vm_passthrough),
        ("no_gpu", no_gpu),
        ("nvidia_without_drm", nvidia_without_drm),
        ("arm_soc", arm_soc),
        ("mux_nvidia_default", mux_nvidia_default),
        ("intel_nouveau_laptop", intel_nouveau_laptop),
        ("intel_arc_desktop", intel_arc_desktop),
    ]
}
