//! PCI addresses and vendor ids: parsing the forms users and the kernel write,
//! and printing the forms sysfs and Mesa expect.
//!
//! Pure: no I/O.

use std::fmt;

/// PCI vendor ids gpu-launch knows by name (from the PCI ID database).
pub mod vendor {
    pub const NVIDIA: u16 = 0x10de;
    pub const AMD: u16 = 0x1002;
    pub const INTEL: u16 = 0x8086;
    /// Red Hat, Inc. (virtio devices).
    pub const VIRTIO: u16 = 0x1af4;
    /// VMware SVGA (vmwgfx).
    pub const VMWARE: u16 = 0x15ad;
    /// Red Hat / QEMU emulated devices (qxl, bochs-display).
    pub const QEMU: u16 = 0x1b36;
    /// Bochs/QEMU standard VGA.
    pub const BOCHS: u16 = 0x1234;
    /// VirtualBox graphics adapter.
    pub const VIRTUALBOX: u16 = 0x80ee;
    /// Microsoft Hyper-V synthetic video.
    pub const HYPERV: u16 = 0x1414;
}

/// A PCI function address: domain, bus, device (slot) and function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddr {
    pub domain: u32,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl PciAddr {
    pub const fn new(domain: u32, bus: u8, device: u8, function: u8) -> Self {
        PciAddr {
            domain,
            bus,
            device,
            function,
        }
    }

    /// Parses the form sysfs writes, `0000:01:00.0` (hex), or the short form
    /// `01:00.0` (domain 0). Case-insensitive. NVML's `00000000:01:00.0`
    /// (eight-digit domain) parses too.
    pub fn parse_sysfs(text: &str) -> Option<Self> {
        let (head, function) = text.rsplit_once('.')?;
        let mut parts = head.rsplit(':');
        let device = parts.next()?;
        let bus = parts.next()?;
        let domain = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let domain = match domain {
            Some(d) => hex(d, 8)?,
            None => 0,
        };
        let bus = u8::try_from(hex(bus, 2)?).ok()?;
        let device = u8::try_from(hex(device, 2)?).ok()?;
        let function = u8::try_from(hex(function, 1)?).ok()?;
        (device < 32 && function < 8).then_some(PciAddr::new(domain, bus, device, function))
    }

    /// Parses the Xorg / NixOS form `PCI:bus:device:function` or
    /// `PCI:bus@domain:device:function`, all **decimal** (`PCI:60:0:0` is
    /// `0000:3c:00.0`). The `PCI:` prefix is case-insensitive.
    pub fn parse_xorg(text: &str) -> Option<Self> {
        let rest = text
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("pci:"))
            .map(|_| &text[4..])?;
        let mut parts = rest.split(':');
        let bus_domain = parts.next()?;
        let device = dec(parts.next()?)?;
        let function = dec(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let (bus, domain) = match bus_domain.split_once('@') {
            Some((b, d)) => (dec(b)?, dec(d)?),
            None => (dec(bus_domain)?, 0),
        };
        let bus = u8::try_from(bus).ok()?;
        let device = u8::try_from(device).ok().filter(|d| *d < 32)?;
        let function = u8::try_from(function).ok().filter(|f| *f < 8)?;
        Some(PciAddr::new(domain, bus, device, function))
    }

    /// Mesa's ID_PATH_TAG form, the value `DRI_PRIME` matches as a string:
    /// `pci-0000_03_00_0` (Mesa `src/loader/loader.c`, `drm_construct_id_path_tag`).
    pub fn mesa_tag(&self) -> String {
        format!(
            "pci-{:04x}_{:02x}_{:02x}_{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

impl fmt::Display for PciAddr {
    /// The form sysfs writes: `0000:01:00.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

/// Parses 1..=`max` hex digits (no `0x`).
fn hex(text: &str, max: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// Parses 1..=10 decimal digits.
fn dec(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses a sysfs id attribute (`0x10de`) or a bare hex id (`10de`, `10DE`).
pub fn parse_id(text: &str) -> Option<u16> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    // `hex` checks every digit: `from_str_radix` alone takes a leading `+`.
    u16::try_from(hex(digits, 4)?).ok()
}

/// Parses `VVVV:DDDD` (a uevent `PCI_ID=`, or a `10de:25a2` SPEC).
pub fn parse_id_pair(text: &str) -> Option<(u16, u16)> {
    let (v, d) = text.split_once(':')?;
    if v.len() != 4 || d.len() != 4 {
        return None;
    }
    Some((parse_id(v)?, parse_id(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysfs_forms() {
        let a = PciAddr::new(0, 1, 0, 0);
        assert_eq!(PciAddr::parse_sysfs("0000:01:00.0"), Some(a));
        assert_eq!(PciAddr::parse_sysfs("01:00.0"), Some(a));
        assert_eq!(PciAddr::parse_sysfs("00000000:01:00.0"), Some(a));
        assert_eq!(
            PciAddr::parse_sysfs("0000:C1:00.1"),
            Some(PciAddr::new(0, 0xc1, 0, 1))
        );
        assert_eq!(
            PciAddr::parse_sysfs("10000:e1:00.0"),
            Some(PciAddr::new(0x10000, 0xe1, 0, 0))
        );
        for bad in [
            "",
            "01:00",
            "1:2:3:4.0",
            "0000:01:20.0",
            "0000:01:00.8",
            "0000:101:00.0",
            "zz:00.0",
            "0000:01:00.0 ",
        ] {
            assert_eq!(PciAddr::parse_sysfs(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn xorg_forms_are_decimal() {
        assert_eq!(
            PciAddr::parse_xorg("PCI:1:0:0"),
            Some(PciAddr::new(0, 1, 0, 0))
        );
        assert_eq!(
            PciAddr::parse_xorg("PCI:60:0:0"),
            Some(PciAddr::new(0, 0x3c, 0, 0))
        );
        assert_eq!(
            PciAddr::parse_xorg("pci:1@2:0:1"),
            Some(PciAddr::new(2, 1, 0, 1))
        );
        for bad in [
            "PCI:",
            "PCI:1:0",
            "PCI:256:0:0",
            "PCI:1:32:0",
            "PCI:1:0:8",
            "PCI:0x1:0:0",
            "PCI:1:0:0:0",
            "1:0:0",
        ] {
            assert_eq!(PciAddr::parse_xorg(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parsing_edges() {
        // Decimal means digits only: no sign, no spaces, 1 to 10 digits.
        for bad in [
            "PCI:+1:0:0",
            "PCI:1:+0:0",
            "PCI:1:0:+0",
            "PCI:1@+0:0:0",
            "PCI: 1:0:0",
        ] {
            assert_eq!(PciAddr::parse_xorg(bad), None, "{bad:?}");
        }
        assert_eq!(
            PciAddr::parse_xorg("PCI:0000000001:0:0"),
            Some(PciAddr::new(0, 1, 0, 0)),
            "ten digits"
        );
        assert_eq!(PciAddr::parse_xorg("PCI:00000000001:0:0"), None, "eleven");
        assert_eq!(
            PciAddr::parse_xorg("PCI:255@4294967295:31:7"),
            Some(PciAddr::new(u32::MAX, 255, 31, 7)),
            "the largest of each"
        );
        assert_eq!(PciAddr::parse_xorg("PCI:1@4294967296:0:0"), None);
        assert_eq!(PciAddr::parse_xorg("PCI"), None);
        assert_eq!(
            PciAddr::parse_xorg("Pci:2:0:0"),
            Some(PciAddr::new(0, 2, 0, 0))
        );
        // Hex fields: 1 up to their width, hex digits only.
        assert_eq!(
            PciAddr::parse_sysfs("1:2.3"),
            Some(PciAddr::new(0, 1, 2, 3)),
            "one digit each"
        );
        assert_eq!(
            PciAddr::parse_sysfs("ffffffff:ff:1f.7"),
            Some(PciAddr::new(u32::MAX, 0xff, 0x1f, 7))
        );
        for bad in [
            "100000000:01:00.0",
            "0000:01:000.0",
            "0000:01:00.00",
            "0000::00.0",
            ":01:00.0",
            "0000:01:.0",
            "0000:01:00.",
            "+000:01:00.0",
            "0000:+1:00.0",
            "0000:01:00.+",
        ] {
            assert_eq!(PciAddr::parse_sysfs(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn short_and_long_ids() {
        assert_eq!(parse_id("1"), Some(1));
        assert_eq!(parse_id("0x1"), Some(1));
        assert_eq!(parse_id("0X1af4"), Some(0x1af4));
        assert_eq!(parse_id("ffff"), Some(0xffff));
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("10de0"), None);
        assert_eq!(parse_id("+1"), None);
        assert_eq!(parse_id("0x+1"), None);
        assert_eq!(parse_id("xyz"), None);
        // An id pair is exactly four and four (uevent's PCI_ID, the SPEC).
        assert_eq!(parse_id_pair("0010:0001"), Some((0x10, 1)));
        for bad in [
            "10de:25a2a",
            "10de25a2",
            "10d:25a2",
            ":",
            "10de:",
            "+1de:25a2",
        ] {
            assert_eq!(parse_id_pair(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn printed_forms() {
        let a = PciAddr::new(0, 3, 0, 0);
        assert_eq!(a.to_string(), "0000:03:00.0");
        assert_eq!(a.mesa_tag(), "pci-0000_03_00_0");
        assert_eq!(
            PciAddr::new(0, 0xc1, 0x1f, 7).mesa_tag(),
            "pci-0000_c1_1f_7"
        );
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("0x10de"), Some(0x10de));
        assert_eq!(parse_id("10DE"), Some(0x10de));
        assert_eq!(parse_id("0x"), None);
        assert_eq!(parse_id("0x123456"), None);
        assert_eq!(parse_id_pair("10DE:25A2"), Some((0x10de, 0x25a2)));
        assert_eq!(parse_id_pair("10de:25a"), None);
    }
}
