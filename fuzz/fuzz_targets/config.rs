//! The config parser on arbitrary text: an error names the file and a line
//! and column inside the text; what parses holds only SPECs that print and
//! parse back, and overlaying it again changes nothing.
#![no_main]

use std::path::Path;

use gpu_launch::config::{self, Config};
use gpu_launch::decide::spec::Spec;
use gpu_launch::error::Error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `config::load` refuses non-UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");
    let mut c = Config::default();
    match config::overlay(&mut c, path, text) {
        Ok(()) => {
            for entry in c.gpu.iter().chain(c.apps.values()) {
                let shown = entry.spec.to_string();
                assert_eq!(Spec::parse(&shown).as_ref(), Ok(&entry.spec), "{shown:?}");
                assert!(
                    entry.origin.contains("/fuzz/config.toml:"),
                    "{}",
                    entry.origin
                );
            }
            assert_eq!(c.files, [path]);
            let first = c.clone();
            config::overlay(&mut c, path, text).expect("the same text parses twice");
            assert_eq!(c.gpu, first.gpu);
            assert_eq!(c.apps, first.apps);
            assert_eq!(c.strict, first.strict);
            assert_eq!(c.chromium_enable, first.chromium_enable);
            assert_eq!(c.chromium_programs, first.chromium_programs);
        }
        Err(Error::ConfigSyntax {
            path: p,
            line,
            column,
            message,
        }) => {
            assert_eq!(p, path);
            let lines = text.split('\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            let width = text
                .split('\n')
                .nth(line - 1)
                .map_or(0, |l| l.chars().count());
            assert!(
                column >= 1 && column <= width + 1,
                "column {column} of {width}"
            );
            // (A message may quote an `[apps."..."]` key with a line break
            // in it: log::one_line keeps the printed error one line.)
            let _ = message;
        }
        Err(other) => panic!("overlay gave {other:?}"),
    }
});
