//! Property tests of the pure stages over arbitrary machines (built in
//! memory: `Machine` and `Gpu` are plain data), environments and argv:
//!
//! - a selection is a GPU that exists, or none, and the one the SPEC asks for;
//! - `plan::target` falls back to the default GPU (or fails under
//!   `--strict`) exactly when nothing matches;
//! - the plan never sets a variable outside the documented set, never a
//!   trailing `!` in `DRI_PRIME`, sets `MESA_VK_DEVICE_SELECT` and the
//!   hide-NVIDIA filter exactly where the contract says, and removes only
//!   selection variables the caller has;
//! - everything from PROGRAM on reaches PROGRAM byte for byte, and the plan
//!   only ever inserts the one `--render-node-override=` argument, where the
//!   Chromium rule says.

use std::collections::BTreeSet;
use std::ffi::{CStr, CString};
use std::path::PathBuf;

use gpu_launch::cli;
use gpu_launch::config::Config;
use gpu_launch::decide::chromium;
use gpu_launch::decide::plan::{self, SELECTION_VARS, Target};
use gpu_launch::decide::select::{self, Identity};
use gpu_launch::decide::spec::{Choice, KindSpec, Origin, Spec, VendorSpec};
use gpu_launch::detect::pci::PciAddr;
use gpu_launch::detect::{DefaultReason, Gpu, Kind, Machine, platform_tag};
use gpu_launch::os::environ::Environ;
use proptest::prelude::*;

// ---- Strategies -------------------------------------------------------------

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Integrated),
        Just(Kind::Discrete),
        Just(Kind::External),
        Just(Kind::Virtual),
    ]
}

fn pci() -> impl Strategy<Value = PciAddr> {
    (0u32..3, 0u8..8, 0u8..32, 0u8..8).prop_map(|(d, b, s, f)| PciAddr::new(d, b, s, f))
}

fn driver() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop_oneof![
            Just("nvidia"),
            Just("amdgpu"),
            Just("i915"),
            Just("xe"),
            Just("nouveau"),
            Just("virtio_gpu"),
            Just("panfrost"),
        ]
        .prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

prop_compose! {
    fn gpu()(
        pci in prop::option::weighted(0.8, pci()),
        vendor_id in prop::option::of(prop_oneof![
            Just(0x10deu16), Just(0x1002), Just(0x8086), Just(0x1af4), any::<u16>()
        ]),
        device_id in prop::option::of(any::<u16>()),
        driver in prop::option::weighted(0.9, driver()),
        render in prop::option::weighted(0.8, 128u32..136),
        card in prop::option::of(0u32..8),
        power in prop::option::of(prop_oneof![Just("active"), Just("suspended"), Just("unsupported")]),
        removable in any::<bool>(),
        boot_display in any::<bool>(),
        boot_vga in any::<bool>(),
        kind in kind(),
        // Only what detection can produce: a tag made from an OF_FULLNAME.
        fullname in prop::option::of(prop_oneof![
            Just("/soc/gpu@ff9a0000".to_owned()),
            Just("/gpu!".to_owned()),
            "/[a-z@!,._+ -]{0,10}(@[0-9a-f!]{0,8})?",
            ".{0,16}",
        ]),
        name in "[a-z0-9]{1,8}",
    ) -> Gpu {
        Gpu {
            pci,
            vendor_id,
            device_id,
            driver,
            render,
            card,
            power: power.map(str::to_owned),
            removable,
            boot_display,
            boot_vga,
            kind,
            platform_tag: if pci.is_none() { fullname.as_deref().and_then(platform_tag) } else { None },
            sysfs_path: PathBuf::from(format!("/sys/devices/platform/{name}")),
        }
    }
}

fn machine() -> impl Strategy<Value = Machine> {
    prop::collection::vec(gpu(), 0..6).prop_map(|gpus| Machine {
        default_reason: (!gpus.is_empty()).then_some(DefaultReason::First),
        gpus,
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        Just(Spec::Auto),
        Just(Spec::Default),
        Just(Spec::Kind(KindSpec::Discrete)),
        Just(Spec::Kind(KindSpec::Integrated)),
        Just(Spec::Kind(KindSpec::External)),
        Just(Spec::Vendor(VendorSpec::Nvidia)),
        Just(Spec::Vendor(VendorSpec::Amd)),
        Just(Spec::Vendor(VendorSpec::Intel)),
        (0usize..8).prop_map(Spec::Index),
        pci().prop_map(Spec::Pci),
        (
            prop_oneof![Just(0x10deu16), Just(0x1002), any::<u16>()],
            any::<u16>()
        )
            .prop_map(|(v, d)| Spec::Ids(v, d)),
        (128u32..136).prop_map(|n| Spec::Node(format!("renderD{n}"))),
        (0u32..8).prop_map(|n| Spec::Node(format!("card{n}"))),
        "GPU-[0-9a-f]{1,4}".prop_map(Spec::Uuid),
        "[a-z]{1,3}".prop_map(Spec::Name),
    ]
}

fn identities() -> impl Strategy<Value = Vec<Identity>> {
    prop::collection::vec(
        (
            prop::option::of("GPU-[0-9a-f]{1,4}"),
            prop::option::of("[a-zA-Z ]{0,8}"),
        )
            .prop_map(|(uuid, name)| Identity { uuid, name }),
        0..7,
    )
}

/// Environment entries as a process may get them: selection variables and
/// others, duplicates, entries without `=`, non-UTF-8 bytes.
fn environment() -> impl Strategy<Value = Vec<CString>> {
    let key = prop_oneof![
        3 => prop::sample::select(SELECTION_VARS.to_vec()).prop_map(|k| k.as_bytes().to_vec()),
        1 => prop::sample::select(vec![
            "__EGL_VENDOR_LIBRARY_FILENAMES",
            "VK_ICD_FILENAMES",
            "VK_DRIVER_FILES",
            "PATH",
        ])
        .prop_map(|k| k.as_bytes().to_vec()),
        1 => prop::collection::vec(1u8..=255, 0..6),
    ];
    let entry =
        (key, any::<bool>(), prop::collection::vec(1u8..=255, 0..12)).prop_map(|(mut k, eq, v)| {
            if eq {
                k.push(b'=');
                k.extend(v);
            }
            CString::new(k).expect("no NUL")
        });
    prop::collection::vec(entry, 0..10)
}

fn bytes_arg() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..12)
}

// ---- Oracles ----------------------------------------------------------------

/// Whether GPU `i` is one `spec` asks for (for the SPECs that filter).
fn matches(m: &Machine, i: usize, spec: &Spec, ids: &[Identity]) -> bool {
    let g = &m.gpus[i];
    match spec {
        Spec::Auto | Spec::Default => true,
        Spec::Kind(k) => k.matches(g.kind),
        Spec::Vendor(v) => g.vendor_id == Some(v.id()),
        Spec::Index(n) => i == *n,
        Spec::Pci(a) => g.pci == Some(*a),
        Spec::Ids(v, d) => g.vendor_id == Some(*v) && g.device_id == Some(*d),
        Spec::Node(n) => g.has_node(n.as_bytes()),
        Spec::Uuid(u) => ids
            .get(i)
            .and_then(|id| id.uuid.as_deref())
            .is_some_and(|x| x.eq_ignore_ascii_case(u)),
        Spec::Name(t) => ids
            .get(i)
            .and_then(|id| id.name.as_deref())
            .is_some_and(|x| x.to_lowercase().contains(&t.to_lowercase())),
    }
}

/// What `select` must return, straight from the contract's words.
fn expected(m: &Machine, spec: &Spec, ids: &[Identity]) -> Option<usize> {
    let n = m.gpus.len();
    if n == 0 {
        return None;
    }
    match spec {
        Spec::Default => Some(0),
        Spec::Auto => (1..n)
            .find(|&i| m.gpus[i].kind == Kind::External)
            .or_else(|| (1..n).find(|&i| m.gpus[i].kind.is_discrete()))
            .or(Some(0)),
        Spec::Index(k) => (*k < n).then_some(*k),
        // Non-default first, then PCI order; virtual GPUs only when nothing
        // else matches.
        _ => (1..n)
            .chain(0..1)
            .find(|&i| m.gpus[i].kind != Kind::Virtual && matches(m, i, spec, ids))
            .or_else(|| (1..n).chain(0..1).find(|&i| matches(m, i, spec, ids))),
    }
}

fn no_match<T>(r: &Result<T, gpu_launch::error::Error>) -> bool {
    matches!(r, Err(gpu_launch::error::Error::NoMatch { .. }))
}

const SET_ALLOWED: [&str; 7] = [
    "__NV_PRIME_RENDER_OFFLOAD",
    "__GLX_VENDOR_LIBRARY_NAME",
    "__VK_LAYER_NV_optimus",
    "__NV_PRIME_RENDER_OFFLOAD_PROVIDER",
    "DRI_PRIME",
    "MESA_VK_DEVICE_SELECT",
    "VK_LOADER_DRIVERS_DISABLE",
];
const NEVER_SET: [&str; 3] = [
    "__EGL_VENDOR_LIBRARY_FILENAMES",
    "VK_ICD_FILENAMES",
    "VK_DRIVER_FILES",
];

// ---- Properties -------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_selection_is_a_gpu_that_exists_and_matches_or_none(
        m in machine(),
        spec in spec(),
        ids in identities(),
    ) {
        let got = select::select(&m, &spec, &ids);
        if let Some(i) = got {
            prop_assert!(i < m.gpus.len());
            prop_assert!(matches(&m, i, &spec, &ids));
        }
        prop_assert_eq!(got, expected(&m, &spec, &ids));
        if matches!(spec, Spec::Auto) {
            // auto never offloads to an integrated or virtual GPU.
            if let Some(i) = got.filter(|&i| i != 0) {
                prop_assert!(m.gpus[i].kind.is_discrete());
            }
        }
    }

    #[test]
    fn target_falls_back_to_the_default_gpu_or_fails_under_strict(
        m in machine(),
        spec in spec(),
        strict in any::<bool>(),
    ) {
        let choice = Choice { spec: spec.clone(), origin: Origin::Flag };
        let result = plan::target(&m, &choice, &[], strict);
        let lenient = matches!(spec, Spec::Auto | Spec::Default);
        match (m.gpus.is_empty(), select::select(&m, &spec, &[])) {
            (true, _) if strict && !lenient => {
                prop_assert!(no_match(&result), "{:?}", result);
            }
            (true, _) => {
                let t = result.unwrap();
                prop_assert_eq!(t.gpu, None);
                prop_assert_eq!(t.notes.len(), 1);
            }
            (false, Some(i)) => {
                let t = result.unwrap();
                prop_assert_eq!(t.gpu, Some(i));
                prop_assert!(t.notes.is_empty());
            }
            (false, None) if strict => {
                prop_assert!(!lenient);
                prop_assert!(no_match(&result), "{:?}", result);
            }
            (false, None) => {
                let t = result.unwrap();
                prop_assert_eq!(t.gpu, Some(0));
                prop_assert_eq!(t.notes.len(), 1);
                prop_assert!(t.notes[0].contains("using the default GPU"), "{:?}", t.notes);
            }
        }
    }

    #[test]
    fn the_plan_sets_only_documented_variables_and_unsets_only_present_ones(
        m in machine(),
        pick in any::<usize>(),
        entries in environment(),
        integrated in any::<bool>(),
    ) {
        let env = Environ::new(entries.iter().map(AsRef::as_ref).collect());
        let gpu = (!m.gpus.is_empty()).then(|| pick % m.gpus.len());
        let c = plan::env_changes(&m, gpu, &env, integrated);
        let keys: BTreeSet<&str> = c.set.iter().map(|(k, _)| *k).collect();
        prop_assert_eq!(keys.len(), c.set.len(), "a variable set twice: {:?}", c.set);
        for (k, v) in &c.set {
            prop_assert!(SET_ALLOWED.contains(k), "{} is not documented", k);
            prop_assert!(!NEVER_SET.contains(k));
            prop_assert!(!v.contains('\0'));
            match *k {
                "DRI_PRIME" => {
                    prop_assert!(!v.ends_with('!'), "{:?}", v);
                    prop_assert!(v.starts_with("pci-") || v.starts_with("platform-"), "{:?}", v);
                }
                "__GLX_VENDOR_LIBRARY_NAME" => prop_assert!(v == "nvidia" || v == "mesa"),
                "__NV_PRIME_RENDER_OFFLOAD" => prop_assert_eq!(v, "1"),
                "__VK_LAYER_NV_optimus" => prop_assert_eq!(v, "NVIDIA_only"),
                "VK_LOADER_DRIVERS_DISABLE" => prop_assert_eq!(v, "*nvidia*"),
                "MESA_VK_DEVICE_SELECT" => {
                    let g = &m.gpus[gpu.unwrap()];
                    let ids = format!("{:04x}:{:04x}", g.vendor_id.unwrap(), g.device_id.unwrap());
                    prop_assert_eq!(v, &ids);
                }
                _ => prop_assert!(v.starts_with("NVIDIA-G")),
            }
        }
        let unset: BTreeSet<&str> = c.unset.iter().copied().collect();
        for v in &c.unset {
            prop_assert!(SELECTION_VARS.contains(v));
            prop_assert!(env.contains(v), "{} removed but absent", v);
            prop_assert!(!keys.contains(v));
        }
        match gpu {
            None => {
                // No GPU: the environment is left as it is.
                prop_assert!(c.set.is_empty() && c.unset.is_empty());
            }
            Some(i) => {
                let chosen = &m.gpus[i];
                let nvidia_somewhere = m.gpus.iter().any(|g| g.driver.as_deref() == Some("nvidia"));
                let hide = chosen.driver.as_deref() != Some("nvidia") && nvidia_somewhere;
                if i == 0 {
                    // The default GPU: nothing, but the hide-NVIDIA rule in mode
                    // integrated.
                    let want: Vec<&str> = if integrated && hide {
                        vec!["VK_LOADER_DRIVERS_DISABLE"]
                    } else {
                        vec![]
                    };
                    let got: Vec<&str> = c.set.iter().map(|(k, _)| *k).collect();
                    prop_assert_eq!(got, want, "the default GPU: {:?}", c.set);
                } else {
                    prop_assert_eq!(keys.contains("VK_LOADER_DRIVERS_DISABLE"), hide);
                    // The Vulkan rule: set exactly when the ids are known and
                    // no other GPU shares them.
                    let unique = chosen.vendor_id.is_some()
                        && chosen.device_id.is_some()
                        && !m.gpus.iter().enumerate().any(|(j, g)| {
                            j != i && g.vendor_id == chosen.vendor_id && g.device_id == chosen.device_id
                        });
                    prop_assert_eq!(keys.contains("MESA_VK_DEVICE_SELECT"), unique);
                }
                for v in SELECTION_VARS {
                    if env.contains(v) && !keys.contains(v) {
                        prop_assert!(unset.contains(v), "{} left in place", v);
                    }
                }
                let nvidia = m.gpus[i].driver.as_deref() == Some("nvidia");
                if i != 0 && nvidia {
                    prop_assert!(keys.contains("__NV_PRIME_RENDER_OFFLOAD"));
                    let others = (1..m.gpus.len())
                        .filter(|&j| m.gpus[j].driver.as_deref() == Some("nvidia"))
                        .count();
                    prop_assert_eq!(keys.contains("__NV_PRIME_RENDER_OFFLOAD_PROVIDER"), others > 1);
                }
                if i != 0 && !nvidia {
                    prop_assert!(!keys.contains("__NV_PRIME_RENDER_OFFLOAD"));
                    let tag = m.gpus[i].pci.is_some() || m.gpus[i].platform_tag.is_some();
                    prop_assert_eq!(keys.contains("DRI_PRIME"), tag);
                }
            }
        }
    }

    #[test]
    fn argv_from_program_on_is_handed_over_byte_for_byte(
        options in prop::collection::vec(prop::sample::select(vec![
            &["--strict"][..],
            &["-n"],
            &["--dry-run"],
            &["-v"],
            &["-nv"],
            &["--json"],
            &["--gpu", "nvidia"],
            &["-g", "PCI:1:0:0"],
            &["-gamd"],
            &["--gpu=1"],
            &["--config", "/etc/x.toml"],
            &["--print-env"],
        ]), 0..5),
        dashdash in any::<bool>(),
        program in bytes_arg(),
        tail in prop::collection::vec(bytes_arg(), 0..8),
    ) {
        let mut program = program;
        // Without `--`, PROGRAM is the first word that is no option: it does
        // not start with `-`, or it is `-` alone.
        if !dashdash && program.first() == Some(&b'-') && program != b"-" {
            program.retain(|b| *b != b'-');
        }
        let mut words: Vec<Vec<u8>> = vec![b"gpu-launch".to_vec()];
        for o in &options {
            words.extend(o.iter().map(|w| w.as_bytes().to_vec()));
        }
        if dashdash {
            words.push(b"--".to_vec());
        }
        let from = words.len();
        words.push(program);
        words.extend(tail);
        let owned: Vec<CString> = words.into_iter().map(|w| CString::new(w).unwrap()).collect();
        let args: Vec<&CStr> = owned.iter().map(CString::as_c_str).collect();
        let parsed = cli::parse(&args).unwrap();
        prop_assert_eq!(parsed.program, &args[from..]);
    }

    #[test]
    fn the_plan_only_inserts_the_render_node_flag_where_the_rule_says(
        m in machine().prop_filter("a GPU", |m| !m.gpus.is_empty()),
        pick in any::<usize>(),
        enable in any::<bool>(),
        listed in prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["chromium", "code", "org.chromium.Chromium", "x"]), 0..3)),
        argv in prop_oneof![
            prop::collection::vec(prop::sample::select(vec![
                "chromium", "/usr/bin/google-chrome-stable", "code", "brave", "x", "",
                "flatpak", "run", "--command", "--branch=stable", "--user",
                "org.chromium.Chromium", "org.chromium.Chromium//beta", "com.google.Chrome",
                "--render-node-override=/dev/dri/renderD1", "--render-node-override",
                "--render-node-overrides", "https://example.org", "--", "--gpu",
            ]).prop_map(|s| s.as_bytes().to_vec()), 1..7),
            prop::collection::vec(bytes_arg(), 1..5),
        ],
    ) {
        let i = pick % m.gpus.len();
        let config = Config {
            chromium_enable: enable,
            chromium_programs: listed.map(|l| l.into_iter().map(str::to_owned).collect()),
            ..Config::default()
        };
        let owned: Vec<CString> = argv.into_iter().map(|w| CString::new(w).unwrap()).collect();
        let program: Vec<&CStr> = owned.iter().map(CString::as_c_str).collect();
        let env = Environ::default();
        let target = Target { gpu: Some(i), notes: Vec::new() };
        let p = plan::build(&m, target, &env, &config, &program, false);
        let render_nodes = m.gpus.iter().filter(|g| g.render.is_some()).count();
        let rule = enable && render_nodes > 1 && m.gpus[i].render.is_some();
        let out: Vec<&[u8]> = p.argv.iter().map(|a| a.to_bytes()).collect();
        let input: Vec<&[u8]> = program.iter().map(|a| a.to_bytes()).collect();
        let names: Vec<&str> = match &config.chromium_programs {
            Some(l) => l.iter().map(String::as_str).collect(),
            None => chromium::BUILTIN_PROGRAMS.to_vec(),
        };
        let point = chromium::insertion_point(&input, &names);
        if out.len() == input.len() {
            prop_assert!(!(rule && point.is_some()), "the rule applies, nothing inserted");
            prop_assert_eq!(out, input);
        } else {
            prop_assert_eq!(out.len(), input.len() + 1);
            let at = (0..input.len()).find(|&k| out[k] != input[k]).unwrap_or(input.len());
            let mut without = out.clone();
            let flag = without.remove(at);
            prop_assert_eq!(&without, &input);
            let render = m.gpus[i].render.expect("a render node");
            let want = format!("--render-node-override=/dev/dri/renderD{render}");
            prop_assert_eq!(flag, want.as_bytes());
            prop_assert!(rule, "inserted with the rule off or a single render node");
            prop_assert_eq!(point, Some(at));
            prop_assert!(at >= 1);
        }
    }
}
