//! In-process cost of a launch decision on each fixture machine shape:
//! detection (the sysfs walk), config search, session state, SPEC choice,
//! selection, the environment plan and PROGRAM's PATH lookup — everything
//! but the exec.
//!
//! `cargo bench --bench pipeline` prints time and allocations per shape
//! (divan's AllocProfiler). Numbers are in docs/PERFORMANCE.md.

#[allow(dead_code)] // each user of the fixture builder uses a part of it
#[path = "../tests/common/fixture/mod.rs"]
mod fixture;

use std::ffi::{CStr, CString};

use divan::{AllocProfiler, Bencher};
use gpu_launch::app::launch::standing;
use gpu_launch::app::{Context, make_plan};
use gpu_launch::decide::{plan, spec};
use gpu_launch::os::environ::{Environ, owned};
use gpu_launch::os::exec;
use gpu_launch::{cli, details, detect};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

const SHAPES: &[&str] = &[
    "intel_nvidia_laptop",
    "amd_amd_laptop",
    "laptop_dgpu_and_egpu",
    "desktop_three_nvidia",
    "vm_virtio",
    "nvidia_without_drm",
    "no_gpu",
];

fn shape(name: &str) -> fixture::Fixture {
    let (_, build) = fixture::all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("known shape");
    build()
}

/// The whole decision: what `gpu-launch PROGRAM` does before `execve`.
#[divan::bench(args = SHAPES)]
fn launch_decision(bencher: Bencher, name: &str) {
    let fx = shape(name);
    let home = tempfile::tempdir().unwrap();
    let run = tempfile::tempdir().unwrap(); // 0700, as a session's runtime dir
    let vars = owned(&[
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", home.path().to_str().unwrap()),
        ("GPU_LAUNCH_SYSFS_ROOT", fx.root().to_str().unwrap()),
        ("AQ_DRM_DEVICES", "/dev/dri/card1"),
        ("XDG_RUNTIME_DIR", run.path().to_str().unwrap()),
    ]);
    let args: Vec<CString> = ["gpu-launch", "true"]
        .iter()
        .map(|a| CString::new(*a).unwrap())
        .collect();
    bencher.bench(|| {
        let env = Environ::new(vars.iter().map(AsRef::as_ref).collect());
        let refs: Vec<&CStr> = args.iter().map(AsRef::as_ref).collect();
        let cli = cli::parse(&refs).unwrap();
        let mut ctx = Context::new(&env);
        ctx.read_power = false; // as a launch does
        let ctx = ctx;
        let standing = standing(&ctx, &cli).unwrap();
        let state = gpu_launch::session::state::for_launch(&env, false, false, || {
            gpu_launch::session::power::read(&ctx.sysfs)
        });
        let (machine, mut plan) =
            make_plan(&ctx, &cli, standing, &state.session, &details::identities).unwrap();
        plan.program = Some(exec::resolve("true".as_ref(), env.get("PATH")).unwrap());
        divan::black_box((machine, plan.set.len()));
    });
}

/// The sysfs walk alone.
#[divan::bench(args = SHAPES)]
fn detect_only(bencher: Bencher, name: &str) {
    let fx = shape(name);
    let sys = detect::Sysfs::new(fx.root());
    bencher.bench(|| detect::detect(&sys, &detect::Hints::default()));
}

/// Selection and planning on an already-detected machine (pure).
#[divan::bench(args = SHAPES)]
fn select_and_plan(bencher: Bencher, name: &str) {
    let fx = shape(name);
    let machine = detect::detect(&detect::Sysfs::new(fx.root()), &detect::Hints::default());
    let vars = owned(&[("DRI_PRIME", "1")]);
    let env = Environ::new(vars.iter().map(AsRef::as_ref).collect());
    let choice = spec::Choice {
        spec: spec::Spec::Auto,
        origin: spec::Origin::Auto,
    };
    bencher.bench(|| {
        let target = plan::target(&machine, &choice, &[], false).unwrap();
        plan::env_changes(&machine, target.gpu, &env, false)
    });
}
