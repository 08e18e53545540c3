//! The caller's environment, borrowed as the `KEY=VALUE` C strings the process
//! was given: read once, never copied, and handed to `execve` unchanged except
//! for the selection variables the plan sets or removes.

use std::ffi::{CStr, CString};

/// A view of an environment block.
#[derive(Debug, Clone, Default)]
pub struct Environ<'a> {
    entries: Vec<&'a CStr>,
}

impl<'a> Environ<'a> {
    pub fn new(entries: Vec<&'a CStr>) -> Self {
        Environ { entries }
    }

    /// The value of the first `key=` entry, as `getenv` finds it.
    pub fn get(&self, key: &str) -> Option<&'a [u8]> {
        self.entries
            .iter()
            .find_map(|e| value_of(e.to_bytes(), key.as_bytes()))
    }

    /// Like [`get`](Self::get), treating an empty value as unset.
    pub fn get_nonempty(&self, key: &str) -> Option<&'a [u8]> {
        self.get(key).filter(|v| !v.is_empty())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &[&'a CStr] {
        &self.entries
    }

    /// The entries whose key is not in `drop` (all duplicates of a dropped key
    /// go).
    pub fn without<'s>(&'s self, drop: &'s [&str]) -> impl Iterator<Item = &'a CStr> + 's {
        self.entries.iter().copied().filter(move |e| {
            let bytes = e.to_bytes();
            let key = bytes.split(|b| *b == b'=').next().unwrap_or(bytes);
            !drop.iter().any(|d| d.as_bytes() == key)
        })
    }
}

fn value_of<'e>(entry: &'e [u8], key: &[u8]) -> Option<&'e [u8]> {
    let rest = entry.strip_prefix(key)?;
    rest.strip_prefix(b"=")
}

/// Builds owned `KEY=VALUE` strings, for tests and benches that make an
/// [`Environ`] by hand (`Environ::new(owned.iter().map(AsRef::as_ref).collect())`).
pub fn owned(pairs: &[(&str, &str)]) -> Vec<CString> {
    pairs
        .iter()
        .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_match_whole_keys_first_entry_wins() {
        let owned = owned(&[
            ("PATHX", "no"),
            ("PATH", "/bin"),
            ("PATH", "/other"),
            ("E", ""),
        ]);
        let env = Environ::new(owned.iter().map(AsRef::as_ref).collect());
        assert_eq!(env.get("PATH"), Some(&b"/bin"[..]));
        assert_eq!(env.get("PAT"), None);
        assert_eq!(env.get("E"), Some(&b""[..]));
        assert_eq!(env.get_nonempty("E"), None);
        let kept: Vec<_> = env
            .without(&["PATH"])
            .map(|c| c.to_bytes().to_vec())
            .collect();
        assert_eq!(kept, vec![b"PATHX=no".to_vec(), b"E=".to_vec()]);
    }
}
