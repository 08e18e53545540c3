//! The `pci.ids` reader on arbitrary bytes, from memory and from a file
//! through `GPU_LAUNCH_PCI_IDS` (the bounded open and line reader): it never
//! panics, reads no line over `MAX_LINE`, and names exactly what a plain
//! reading of the format says: the first `\tDDDD  Device` line under the
//! latest `VVVV  Vendor` line, as `"<vendor> <device>"`, until the `C `
//! class list, the end, or the first over-long line.
#![no_main]

use std::collections::HashMap;
use std::ffi::CString;

use gpu_launch::details::pci_ids::{self, MAX_LINE};
use gpu_launch::os::environ::Environ;
use libfuzzer_sys::fuzz_target;

/// Asked for every run, besides the pairs the text names.
const ALWAYS: [(u16, u16); 3] = [(0x10de, 0x28e0), (0x8086, 0xa7a0), (0x1002, 0x73ff)];

/// The names the text gives, read the plain way: every line, into a map.
fn oracle(text: &[u8]) -> HashMap<(u16, u16), String> {
    let mut names = HashMap::new();
    let mut vendor: Option<(u16, String)> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..=i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if line.len() > MAX_LINE {
            break;
        }
        rest = next;
        let end = line
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let line = &line[..end];
        if line.starts_with(b"C ") {
            break;
        }
        if line.is_empty() || line[0] == b'#' || line.starts_with(b"\t\t") {
            continue;
        }
        if let Some(device) = line.strip_prefix(b"\t") {
            if let (Some((v, vname)), Some((d, dname))) = (&vendor, id_and_name(device)) {
                names
                    .entry((*v, d))
                    .or_insert_with(|| format!("{vname} {dname}"));
            }
        } else {
            vendor = id_and_name(line).map(|(id, name)| (id, name.to_owned()));
        }
    }
    names
}

fn id_and_name(text: &[u8]) -> Option<(u16, &str)> {
    let id = text.get(..4)?;
    if !id.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let id = u16::from_str_radix(std::str::from_utf8(id).ok()?, 16).ok()?;
    let name = std::str::from_utf8(text.get(4..)?).ok()?.trim();
    (!name.is_empty()).then_some((id, name))
}

// The first byte says how many of the pairs the text names are asked for
// too (0 to 4); the rest is the database, so a real `pci.ids` excerpt behind
// one byte is a seed.
fuzz_target!(|data: &[u8]| {
    let Some((&ask, text)) = data.split_first() else {
        return;
    };
    let named = oracle(text);
    let mut wanted: Vec<(u16, u16)> = ALWAYS.to_vec();
    let mut keys: Vec<_> = named.keys().copied().collect();
    keys.sort_unstable();
    wanted.extend(keys.iter().take(usize::from(ask % 5)));

    let got = pci_ids::lookup(text, &wanted);
    assert_eq!(got.len(), wanted.len());
    for (w, name) in wanted.iter().zip(&got) {
        assert_eq!(name.as_ref(), named.get(w), "{w:04x?}");
    }

    // The same through a file named by GPU_LAUNCH_PCI_IDS.
    let Ok(mut file) =
        tempfile::NamedTempFile::new_in("/dev/shm").or_else(|_| tempfile::NamedTempFile::new())
    else {
        return;
    };
    if std::io::Write::write_all(&mut file, text).is_err() {
        return;
    }
    let var = CString::new(
        [
            b"GPU_LAUNCH_PCI_IDS=".as_slice(),
            file.path().as_os_str().as_encoded_bytes(),
        ]
        .concat(),
    )
    .expect("no NUL in a temporary path");
    let env = Environ::new(vec![var.as_c_str()]);
    assert_eq!(pci_ids::names(&env, &wanted), got);
});
