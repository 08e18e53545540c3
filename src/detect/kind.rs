//! The kind of a GPU (integrated, discrete, external, virtual), from what
//! sysfs says of it: the contract's "Kinds of GPU". Pure.

use crate::detect::amd_apu;
use crate::detect::pci::{PciAddr, vendor};

/// What kind of GPU a device is (`--list`'s `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Part of the CPU or SoC.
    Integrated,
    /// A PCI GPU of its own.
    Discrete,
    /// A discrete GPU behind a removable link (Thunderbolt/USB4 eGPU).
    External,
    /// virtio-gpu and other paravirtual GPUs, and SR-IOV virtual functions.
    Virtual,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Integrated => "integrated",
            Kind::Discrete => "discrete",
            Kind::External => "external",
            Kind::Virtual => "virtual",
        }
    }

    /// External GPUs also count as discrete.
    pub fn is_discrete(self) -> bool {
        matches!(self, Kind::Discrete | Kind::External)
    }
}

/// Drivers of paravirtual GPUs.
const VIRTUAL_DRIVERS: &[&str] = &[
    "virtio_gpu",
    "virtio-gpu",
    "vmwgfx",
    "qxl",
    "vboxvideo",
    "vgem",
    "vkms",
    "bochs",
    "bochs-drm",
    "cirrus",
    "cirrus-qemu",
    "hyperv_drm",
    "xen_drm_front",
];

/// PCI vendors whose display devices are all paravirtual.
const VIRTUAL_VENDORS: &[u16] = &[
    vendor::VIRTIO,
    vendor::VMWARE,
    vendor::QEMU,
    vendor::BOCHS,
    vendor::VIRTUALBOX,
    vendor::HYPERV,
];

/// The kind of a GPU, from what sysfs says of it. `boot_vga` never decides it.
/// `virtual_function`: the PCI function is an SR-IOV virtual function (it has
/// a `physfn` link), such as Intel's `0000:00:02.1`-`.7`.
pub fn classify(
    pci: Option<PciAddr>,
    vendor_id: Option<u16>,
    device_id: Option<u16>,
    driver: Option<&str>,
    removable: bool,
    virtual_function: bool,
) -> Kind {
    let is_virtual = virtual_function
        || driver.is_some_and(|d| VIRTUAL_DRIVERS.contains(&d))
        || vendor_id.is_some_and(|v| VIRTUAL_VENDORS.contains(&v));
    if is_virtual {
        return Kind::Virtual;
    }
    let Some(addr) = pci else {
        // A SoC's GPU: a platform device with no PCI function.
        return Kind::Integrated;
    };
    if removable {
        return Kind::External;
    }
    match (vendor_id, device_id) {
        // Intel's integrated GPUs always sit at 00:02.0.
        (Some(vendor::INTEL), _) if addr == PciAddr::new(0, 0, 2, 0) => Kind::Integrated,
        (Some(vendor::AMD), Some(id)) if amd_apu::is_amd_apu(id) => Kind::Integrated,
        _ => Kind::Discrete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let igpu = PciAddr::new(0, 0, 2, 0);
        let dgpu = PciAddr::new(0, 1, 0, 0);
        let c = |pci, v, d, drv, rem| classify(pci, v, d, drv, rem, false);
        assert_eq!(
            c(Some(igpu), Some(0x8086), Some(0x9a49), Some("i915"), false),
            Kind::Integrated
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 3, 0, 0)),
                Some(0x8086),
                Some(0x56a0),
                Some("i915"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(
                Some(dgpu),
                Some(0x10de),
                Some(0x25a2),
                Some("nvidia"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(Some(dgpu), Some(0x10de), Some(0x25a2), Some("nvidia"), true),
            Kind::External
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 5, 0, 0)),
                Some(0x1002),
                Some(0x15e7),
                Some("amdgpu"),
                false
            ),
            Kind::Integrated
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 3, 0, 0)),
                Some(0x1002),
                Some(0x73bf),
                Some("amdgpu"),
                false
            ),
            Kind::Discrete
        );
        assert_eq!(
            c(
                Some(PciAddr::new(0, 0, 1, 0)),
                Some(0x1af4),
                Some(0x1050),
                Some("virtio_gpu"),
                false
            ),
            Kind::Virtual
        );
        assert_eq!(
            c(None, None, None, Some("panfrost"), false),
            Kind::Integrated
        );
        assert_eq!(c(None, None, None, Some("vgem"), false), Kind::Virtual);
        // An SR-IOV virtual function of the Intel iGPU: neither integrated
        // nor discrete.
        let vf = PciAddr::new(0, 0, 2, 1);
        assert_eq!(
            classify(
                Some(vf),
                Some(0x8086),
                Some(0xa7a0),
                Some("i915"),
                false,
                true
            ),
            Kind::Virtual
        );
        assert_eq!(
            classify(
                Some(dgpu),
                Some(0x10de),
                Some(0x2330),
                Some("nvidia"),
                false,
                true
            ),
            Kind::Virtual
        );
    }
}
