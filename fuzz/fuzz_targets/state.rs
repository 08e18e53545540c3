//! The session state files (`mode`, `next` under
//! `$XDG_RUNTIME_DIR/gpu-launch/`) with arbitrary bytes in them, read as a
//! launch and `--status` read them: never a panic; an error is one line;
//! what is read is what the text says (`Mode::parse`, the SPEC grammar); a
//! pending `--next` is consumed once, by the first launch that claims it.
#![no_main]

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use gpu_launch::decide::spec::Spec;
use gpu_launch::os::environ::Environ;
use gpu_launch::session::mode::Mode;
use gpu_launch::session::state::StateDir;
use libfuzzer_sys::fuzz_target;

/// The state files an input makes: its first byte says which exist (bit 0
/// `mode`, bit 1 `next`), its second how many of the remaining bytes are
/// `mode`'s; `next` has the rest. So `\x03\x0bintegrated\nnvidia\n` is a seed.
#[derive(Debug)]
struct Input<'a> {
    mode: Option<&'a [u8]>,
    next: Option<&'a [u8]>,
}

impl<'a> Input<'a> {
    fn from(data: &'a [u8]) -> Option<Input<'a>> {
        let (&which, rest) = data.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let (mode, next) = rest.split_at(usize::from(len).min(rest.len()));
        Some(Input {
            mode: (which & 1 != 0).then_some(mode),
            next: (which & 2 != 0).then_some(next),
        })
    }
}

/// State files are a few bytes; a longer one is not gpu-launch's.
const MAX_STATE: usize = 4096;

/// What a state file's text should read as: `None` when it is too long, or
/// not text that parses.
fn expected_mode(bytes: &[u8]) -> Option<Mode> {
    if bytes.len() > MAX_STATE {
        return None;
    }
    Mode::parse(std::str::from_utf8(bytes).ok()?)
}

fn expected_next(bytes: &[u8]) -> Option<Spec> {
    if bytes.len() > MAX_STATE {
        return None;
    }
    Spec::parse(std::str::from_utf8(bytes).ok()?.trim()).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::from(data) else {
        return;
    };
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let Ok(runtime) = tempfile::Builder::new()
        .prefix("gpu-launch-fuzz-run-")
        .tempdir_in(base)
    else {
        return;
    };
    let dir = runtime.path().join("gpu-launch");
    let made = fs::create_dir(&dir)
        .and_then(|()| fs::set_permissions(runtime.path(), fs::Permissions::from_mode(0o700)))
        .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)));
    if made.is_err() {
        return;
    }
    for (name, bytes) in [("mode", input.mode), ("next", input.next)] {
        if let Some(bytes) = bytes {
            let path = dir.join(name);
            if fs::write(&path, bytes).is_err()
                || fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).is_err()
            {
                return;
            }
        }
    }
    let var = CString::new(
        [
            b"XDG_RUNTIME_DIR=".as_slice(),
            runtime.path().as_os_str().as_encoded_bytes(),
        ]
        .concat(),
    )
    .expect("no NUL in a temporary path");
    let env = Environ::new(vec![var.as_c_str()]);
    let state = StateDir::from_env(&env).expect("an absolute XDG_RUNTIME_DIR");

    let next = input.next.map(expected_next);
    let mode = input.mode.map(expected_mode);
    let peeked = state.peek();
    match &peeked {
        Ok(s) => {
            // Read as the text says; a missing file is the default.
            assert_eq!(s.next, next.clone().flatten());
            if next.is_none() {
                assert!(s.next.is_none());
            }
            if let Some(m) = mode {
                assert_eq!(Some(s.mode), m);
            } else {
                assert_eq!(s.mode, Mode::Hybrid);
            }
            if let Some(spec) = &s.next {
                assert_eq!(Spec::parse(&spec.to_string()).as_ref(), Ok(spec));
            }
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains('\n'), "{shown:?}");
            // Only a file whose text does not parse is an error here.
            let bad_next = matches!(next, Some(None));
            let bad_mode = matches!(mode, Some(None));
            assert!(bad_next || bad_mode, "{shown}");
        }
    }

    // A launch claims a pending --next once; the next launch sees none.
    if let Ok(s) = &peeked {
        if let Some(spec) = &s.next {
            let (first, claim) = state.claim().expect("the state peeked fine");
            assert_eq!(first.next.as_ref(), Some(spec));
            assert!(!dir.join("next").exists());
            let (second, none) = state.claim().expect("the state peeked fine");
            assert!(second.next.is_none() && none.is_none());
            assert_eq!(second.mode, s.mode);
            // A launch that does not exec puts its claim back, whole.
            drop(claim);
            let (third, again) = state.claim().expect("the claim was put back");
            assert_eq!(third.next.as_ref(), Some(spec));
            drop(again);
        }
    }
});
