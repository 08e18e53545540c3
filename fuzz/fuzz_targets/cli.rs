//! The command-line parser on arbitrary argv (the input split at NUL
//! bytes): no panic; PROGRAM and everything after it is exactly the tail of
//! argv; and the pure steps a launch takes next (the action, the SPEC, the
//! names `[apps.NAME]` is looked up by, the Chromium rule) never panic.
#![no_main]

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;

use gpu_launch::cli::{self, Action};
use gpu_launch::decide::spec::{Origin, parse_spec};
use gpu_launch::decide::{chromium, program};
use gpu_launch::session::mode::ModeRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let owned: Vec<CString> = std::iter::once(&b"gpu-launch"[..])
        .chain(data.split(|b| *b == 0))
        .map(|a| CString::new(a).expect("no NUL after the split"))
        .collect();
    let args: Vec<&CStr> = owned.iter().map(CString::as_c_str).collect();
    let Ok(parsed) = cli::parse(&args) else {
        return;
    };
    // PROGRAM and its arguments are the tail of argv, untouched.
    let n = parsed.program.len();
    assert!(n < args.len());
    assert_eq!(parsed.program, &args[args.len() - n..]);
    if let Some(first) = parsed.program.first() {
        // What precedes PROGRAM is `--` or an option word, or PROGRAM is the
        // first word that does not look like an option.
        let before = args[args.len() - n - 1].to_bytes();
        let program = first.to_bytes();
        assert!(
            before == b"--" || program == b"-" || !program.starts_with(b"-") || program.is_empty(),
            "{:?} after {:?}",
            first,
            args[args.len() - n - 1]
        );
    }
    let Ok(action) = parsed.action() else {
        return;
    };
    if matches!(action, Action::Launch | Action::DryRun) {
        assert!(!parsed.program.is_empty());
    }
    if let Some(gpu) = parsed.gpu {
        let _ = parse_spec(gpu.as_bytes(), Origin::Flag);
    }
    if let Some(mode) = parsed.mode {
        let _ = ModeRequest::parse(mode);
    }
    let names = program::app_names(parsed.program);
    assert!(names.len() <= 2);
    let argv: Vec<&[u8]> = parsed.program.iter().map(|a| a.to_bytes()).collect();
    if let Some(at) = chromium::insertion_point(&argv, chromium::BUILTIN_PROGRAMS) {
        assert!(at >= 1 && at <= argv.len());
    }
});
