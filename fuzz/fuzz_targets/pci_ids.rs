//! The `pci.ids` reader on arbitrary bytes, from memory and from a file
//! through `GPU_LAUNCH_PCI_IDS` (the bounded open and line reader): it never
//! panics, reads no line over `MAX_LINE`, and names exactly what a plain
//! reading of the format says: the first `\tDDDD  Device` line under the
//! latest `VVVV  Vendor` line, as `"<vendor> <device>"`, until the `C `
//! class list, the end, or the first over-long line.
#![no_main]

use std::collections::HashMap;
use std::ffi::CString;

use arbitrary::Arbitrary;
use gpu_launch::details::pci_ids::{self, MAX_LINE};
use gpu_launch::os::environ::Environ;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    wanted: Vec<(u16, u16)>,
    /// Also ask for the first few pairs the text names.
    ask_named: u8,
    text: Vec<u8>,
}

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

fuzz_target!(|input: Input| {
    let named = oracle(&input.text);
    let mut wanted: Vec<(u16, u16)> = input.wanted.iter().take(8).copied().collect();
    let mut keys: Vec<_> = named.keys().copied().collect();
    keys.sort_unstable();
    wanted.extend(keys.iter().take(usize::from(input.ask_named % 5)));

    let got = pci_ids::lookup(&input.text[..], &wanted);
    assert_eq!(got.len(), wanted.len());
    for (w, name) in wanted.iter().zip(&got) {
        assert_eq!(name.as_ref(), named.get(w), "{w:04x?}");
    }

    // The same through a file named by GPU_LAUNCH_PCI_IDS.
    let Ok(mut file) = tempfile::NamedTempFile::new_in("/dev/shm")
        .or_else(|_| tempfile::NamedTempFile::new())
    else {
        return;
    };
    if std::io::Write::write_all(&mut file, &input.text).is_err() {
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
