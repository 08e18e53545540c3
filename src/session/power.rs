//! The power source, for `--mode auto`: `integrated` while the machine runs
//! on battery, `hybrid` on external power.
//!
//! Read from `<sysfs>/class/power_supply/*` (the kernel's power-supply class,
//! `Documentation/ABI/testing/sysfs-class-power`):
//!
//! - external power: some supply of `type` `Mains`, `USB` or `USB_C` (or one
//!   of the older kernels' names of USB supplies, `USB_PD`, `USB_PD_DRP`,
//!   `USB_DCP`, `USB_CDP`, `USB_ACA`) is `online` (non-zero: 1 is "online
//!   fixed", 2 "online programmable");
//! - on battery: no such supply is online and some `Battery` exists;
//! - no battery at all (a desktop): external power.
//!
//! Supplies whose `scope` is `Device` power a peripheral, not the machine (a
//! wireless mouse's or a game pad's battery, `hid-*`): they are left out, as
//! the kernel's own `power_supply_is_system_supplied()` leaves them out, so
//! a desktop with a Bluetooth mouse is not "on battery".
//!
//! What it must never do: run on a launch unless the mode is `auto` (then it
//! is a handful of sysfs reads; tests/session.rs checks with strace that a
//! launch in another mode reads nothing here), or fail: an unreadable
//! attribute counts as absent.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::detect::Sysfs;
use crate::os::paths::join;
use crate::session::mode::Mode;

/// Where the machine's power comes from, as `--mode auto` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerSource {
    /// No external supply online, and a battery.
    Battery,
    /// An external supply (mains, USB, USB-C) online.
    External,
    /// No battery at all: a desktop, which runs on external power.
    NoBattery,
}

impl PowerSource {
    /// The mode `auto` stands for on this source.
    pub fn mode(self) -> Mode {
        match self {
            PowerSource::Battery => Mode::Integrated,
            PowerSource::External | PowerSource::NoBattery => Mode::Hybrid,
        }
    }

    /// Why, in words: `on battery`, `on external power`, `no battery`.
    pub fn reason(self) -> &'static str {
        match self {
            PowerSource::Battery => "on battery",
            PowerSource::External => "on external power",
            PowerSource::NoBattery => "no battery",
        }
    }
}

/// Supply types that bring external power (the kernel's
/// `power_supply_type_text`: `USB_C` and the `USB_*` kinds are what kernels
/// before 5.x wrote for USB supplies that now say `USB`).
const EXTERNAL_TYPES: &[&str] = &[
    "Mains",
    "USB",
    "USB_C",
    "USB_PD",
    "USB_PD_DRP",
    "USB_DCP",
    "USB_CDP",
    "USB_ACA",
];

/// One supply, as far as the judgement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supply {
    /// An external supply (see [`EXTERNAL_TYPES`]), online or not.
    External {
        online: bool,
    },
    Battery,
    /// Any other type (`UPS`, `Wireless`, `Unknown`), or a supply of a
    /// peripheral (`scope` = `Device`).
    Other,
}

/// The power source, from the supplies (pure; [`read`] feeds it).
pub fn judge(supplies: impl IntoIterator<Item = Supply>) -> PowerSource {
    let mut battery = false;
    for s in supplies {
        match s {
            Supply::External { online: true } => return PowerSource::External,
            Supply::Battery => battery = true,
            Supply::External { online: false } | Supply::Other => {}
        }
    }
    if battery {
        PowerSource::Battery
    } else {
        PowerSource::NoBattery
    }
}

/// Reads the power source from `<sysfs>/class/power_supply`. A supply's
/// `type` is read first; `online` only for external supplies, `scope` only
/// when the supply would count (an online external one, a battery).
pub fn read(sys: &Sysfs) -> PowerSource {
    let dir = sys.path("class/power_supply");
    let names = sys.list(&dir);
    let source = judge(
        names
            .iter()
            .map(|name| classify(sys, &join(&dir, name.as_bytes()))),
    );
    tracing::debug!(source = source.reason(), "power supply");
    source
}

fn classify(sys: &Sysfs, supply: &Path) -> Supply {
    let Some(kind) = sys.attr(supply, "type") else {
        return Supply::Other;
    };
    let system = || sys.attr(supply, "scope").as_deref() != Some("Device");
    if EXTERNAL_TYPES.contains(&kind.as_str()) {
        let online = sys
            .attr(supply, "online")
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v != 0);
        if online && !system() {
            return Supply::Other;
        }
        Supply::External { online }
    } else if kind == "Battery" && system() {
        Supply::Battery
    } else {
        Supply::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: Supply = Supply::External { online: true };
    const OFF: Supply = Supply::External { online: false };

    #[test]
    fn the_power_source_rule() {
        assert_eq!(judge([]), PowerSource::NoBattery);
        assert_eq!(judge([Supply::Battery]), PowerSource::Battery);
        assert_eq!(judge([OFF, Supply::Battery]), PowerSource::Battery);
        assert_eq!(judge([Supply::Battery, ON]), PowerSource::External);
        assert_eq!(judge([ON]), PowerSource::External);
        assert_eq!(judge([OFF]), PowerSource::NoBattery);
        assert_eq!(
            judge([Supply::Other, Supply::Other]),
            PowerSource::NoBattery
        );
        assert_eq!(PowerSource::Battery.mode(), Mode::Integrated);
        assert_eq!(PowerSource::External.mode(), Mode::Hybrid);
        assert_eq!(PowerSource::NoBattery.mode(), Mode::Hybrid);
    }
}
