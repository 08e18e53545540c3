//! GPU names from the PCI ID database (`pci.ids`, the file `lspci` reads).
//!
//! Read only when a name is needed (`--list`, `--doctor`, `--status`, the
//! `name:<text>` SPEC), and streamed: one pass, line by line, stopping as soon
//! as every wanted device line has been seen (the file is 1.5 MB; nothing is
//! loaded into a map). Reading a file of the installed system is not hardware,
//! so it is allowed on fake machines too; `GPU_LAUNCH_PCI_IDS` points it at
//! another file (testing hook).
//!
//! Opened as every named file is ([`files::open_regular`]: non-blocking, and
//! only a regular file), and read within bounds: at most [`MAX_DATABASE`]
//! bytes, no line over [`MAX_LINE`] (reading stops there, keeping the names
//! found so far), so a FIFO, `/dev/zero` or a huge sparse file at
//! `GPU_LAUNCH_PCI_IDS` costs nothing.

use std::io::BufRead;
use std::path::PathBuf;

use crate::os::environ::Environ;
use crate::os::files::{self, Lines, Links};

/// The database is 1.5 MB (2025); a file ten times larger is not it.
pub const MAX_DATABASE: u64 = 16 << 20;
/// Its lines are under 200 bytes; reading stops at a longer one.
pub const MAX_LINE: usize = 4096;

/// Reads this file instead of the search below (testing hook).
pub const DATABASE_VAR: &str = "GPU_LAUNCH_PCI_IDS";

/// Where distributions install `pci.ids`, first found wins: Debian/Ubuntu,
/// Fedora/Arch (`hwdata`), older layouts, and NixOS's system profile.
pub const SEARCH: &[&str] = &[
    "/usr/share/hwdata/pci.ids",
    "/usr/share/misc/pci.ids",
    "/usr/share/pci.ids",
    "/usr/local/share/hwdata/pci.ids",
    "/run/current-system/sw/share/hwdata/pci.ids",
    "/run/current-system/sw/share/misc/pci.ids",
];

/// The database to read: `GPU_LAUNCH_PCI_IDS` when set, else the first of
/// [`SEARCH`] that exists.
pub fn database(env: &Environ<'_>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    if let Some(path) = env.get_nonempty(DATABASE_VAR) {
        return Some(PathBuf::from(std::ffi::OsStr::from_bytes(path)));
    }
    SEARCH.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The names of the `(vendor, device)` pairs in `wanted`, in the same order
/// (`None` where the database does not know one, or cannot be read).
pub fn names(env: &Environ<'_>, wanted: &[(u16, u16)]) -> Vec<Option<String>> {
    let found = database(env).and_then(|path| {
        let opened = files::open_regular(&path, Links::Follow)
            .and_then(|file| file.map(|f| f.lines(MAX_DATABASE, MAX_LINE)).transpose());
        match opened {
            Ok(Some(lines)) => Some(lookup_lines(lines, wanted)),
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "pci.ids unreadable");
                None
            }
        }
    });
    found.unwrap_or_else(|| vec![None; wanted.len()])
}

/// One pass over a `pci.ids` text: `VVVV  Vendor name` lines, their
/// `\tDDDD  Device name` lines, deeper `\t\t` subsystem lines (skipped), `#`
/// comments, and at the end the `C xx` class list (where reading stops). A
/// name is `"<vendor> <device>"`, as `lspci` prints it. A line longer than
/// [`MAX_LINE`] ends the reading as the end of the text would.
pub fn lookup(reader: impl BufRead, wanted: &[(u16, u16)]) -> Vec<Option<String>> {
    lookup_lines(Lines::new(reader, MAX_LINE), wanted)
}

fn lookup_lines<R: BufRead>(mut lines: Lines<R>, wanted: &[(u16, u16)]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = vec![None; wanted.len()];
    let mut missing = wanted.len();
    // The vendor whose block we are in, and its name when it is wanted.
    let mut vendor: Option<(u16, Option<String>)> = None;
    while missing > 0 {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(error = %e, "pci.ids: reading stopped");
                break;
            }
        };
        let text = trim_end(line);
        match text {
            [b'C', b' ', ..] => break,
            [b'#', ..] | [] | [b'\t', b'\t', ..] => {}
            [b'\t', rest @ ..] => {
                let Some((v, Some(vendor_name))) = &vendor else {
                    continue;
                };
                let Some((id, name)) = id_and_name(rest) else {
                    continue;
                };
                for (slot, _) in out
                    .iter_mut()
                    .zip(wanted)
                    .filter(|(slot, w)| slot.is_none() && **w == (*v, id))
                {
                    *slot = Some(format!("{vendor_name} {name}"));
                    missing -= 1;
                }
            }
            _ => {
                vendor = id_and_name(text).map(|(id, name)| {
                    let name = wanted.iter().any(|w| w.0 == id).then(|| name.to_owned());
                    (id, name)
                });
            }
        }
    }
    out
}

/// `10de  NVIDIA Corporation` -> `(0x10de, "NVIDIA Corporation")`.
fn id_and_name(text: &[u8]) -> Option<(u16, &str)> {
    let (id, rest) = (text.get(..4)?, text.get(4..)?);
    let id = std::str::from_utf8(id).ok()?;
    let id = u16::from_str_radix(id, 16).ok()?;
    let name = std::str::from_utf8(rest).ok()?.trim();
    (!name.is_empty()).then_some((id, name))
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &str = "\
# comment
#\tdevice  device_name
0001  SafeNet (wrong ID)
10de  NVIDIA Corporation
\t1f91  TU117M [GeForce GTX 1650 Mobile / Max-Q]
\t\t1043 1e02  not this
\t28e0  AD107M [GeForce RTX 4060 Max-Q / Mobile]
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t73ff  Navi 23 [Radeon RX 6600/6600 XT/6600M]
8086  Intel Corporation
\ta7a0  Raptor Lake-P [Iris Xe Graphics]
\t28e0  not NVIDIA's
C 03  Display controller
\t00  VGA compatible controller
";

    #[test]
    fn names_come_from_the_right_vendor_block() {
        let got = lookup(
            IDS.as_bytes(),
            &[
                (0x8086, 0xa7a0),
                (0x10de, 0x28e0),
                (0x1002, 0x1234),
                (0x10de, 0x1f91),
            ],
        );
        assert_eq!(
            got,
            [
                Some("Intel Corporation Raptor Lake-P [Iris Xe Graphics]".into()),
                Some("NVIDIA Corporation AD107M [GeForce RTX 4060 Max-Q / Mobile]".into()),
                None,
                Some("NVIDIA Corporation TU117M [GeForce GTX 1650 Mobile / Max-Q]".into()),
            ]
        );
    }

    #[test]
    fn reading_stops_at_the_last_wanted_line() {
        // Everything after the wanted line is garbage that must not be read.
        let mut text = b"10de  NVIDIA Corporation\n\t28e0  AD107M\n".to_vec();
        text.extend_from_slice(&[0xff; 64]);
        let mut reader = &text[..];
        let got = lookup(&mut reader, &[(0x10de, 0x28e0)]);
        assert_eq!(got, [Some("NVIDIA Corporation AD107M".into())]);
        assert_eq!(reader.len(), 64, "read past the device line");
    }

    #[test]
    fn an_overlong_line_ends_the_reading_with_the_names_found() {
        let mut text = b"10de  NVIDIA Corporation\n\t28e0  AD107M\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
        text.extend_from_slice(b"\n8086  Intel Corporation\n\ta7a0  Raptor Lake-P\n");
        let got = lookup(&text[..], &[(0x10de, 0x28e0), (0x8086, 0xa7a0)]);
        assert_eq!(got, [Some("NVIDIA Corporation AD107M".into()), None]);
        let zero = std::fs::File::open("/dev/zero").unwrap();
        let got = lookup(std::io::BufReader::new(zero), &[(0x10de, 0x28e0)]);
        assert_eq!(got, [None]);
    }

    #[test]
    fn duplicates_and_empty_requests() {
        let got = lookup(IDS.as_bytes(), &[(0x10de, 0x28e0), (0x10de, 0x28e0)]);
        assert!(got.iter().all(Option::is_some));
        assert!(lookup(IDS.as_bytes(), &[]).is_empty());
        let crlf = "10de  NVIDIA Corporation\r\n\t28e0  AD107M\r\n";
        assert_eq!(
            lookup(crlf.as_bytes(), &[(0x10de, 0x28e0)]),
            [Some("NVIDIA Corporation AD107M".into())]
        );
    }
}
