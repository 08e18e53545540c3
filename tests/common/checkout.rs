//! Where the tests find the files of the checkout (C sources, captured
//! machines, the docs and sources they check). Shared with the benches
//! (`#[path]`-included), so it depends on std alone.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The checkout: `GPU_LAUNCH_TEST_ROOT` when set (tests/run.sh's
/// unprivileged pass runs a copy of the test binary against a copy of the
/// tree that any user may read), else the one the tests were built from.
pub fn checkout() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        std::env::var_os("GPU_LAUNCH_TEST_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
    })
}

/// `rel` (`tests/probe/probe.c`) in [`checkout`].
pub fn source(rel: &str) -> PathBuf {
    checkout().join(rel)
}
