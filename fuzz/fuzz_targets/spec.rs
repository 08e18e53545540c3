//! The SPEC grammar: any text either parses or is an error, and what parses
//! prints (`Display`, the canonical form `--next` stores) as text that
//! parses back to the same SPEC and prints the same again.
#![no_main]

use gpu_launch::decide::spec::{Origin, Spec, parse_spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes, as `--gpu` and `GPU_LAUNCH_GPU` give them: non-UTF-8 is an
    // error whose message stays one line.
    match parse_spec(data, Origin::Env) {
        Ok(choice) => assert_eq!(
            Ok(&choice.spec),
            Spec::parse(std::str::from_utf8(data).unwrap()).as_ref()
        ),
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = Spec::parse(text) {
        let shown = spec.to_string();
        let again = Spec::parse(&shown);
        assert_eq!(again.as_ref(), Ok(&spec), "{text:?} printed as {shown:?}");
        assert_eq!(again.map(|s| s.to_string()), Ok(shown));
    }
});
