//! Property tests of the pure stages over arbitrary machines (built in
//! memory: `Machine` and `Gpu` are plain data, in `--list` order as
//! detection leaves them), environments and argv. Each oracle is the
//! contract's own words (docs: /spec cli-contract.md, quoted beside each),
//! written as a description of the answer, never as a second copy of the
//! code under test:
//!
//! - a selection is the GPU the SPEC grammar and "A SPEC that matches
//!   several GPUs prefers the non-default ones, then PCI order; virtual GPUs
//!   match only when no other GPU does" name, or none;
//! - `plan::target` falls back to the default GPU (or fails under
//!   `--strict`) exactly when that answer is none;
//! - the plan sets exactly the variables of "What gets set" for the chosen
//!   GPU, and removes exactly the selection variables the caller has and the
//!   plan does not set;
//! - everything from PROGRAM on reaches PROGRAM byte for byte, and the plan
//!   inserts `--render-node-override=` only where the Chromium rule says,
//!   which the generator knows because it built the argv.
//!
//! A failing case is printed shrunk; it becomes a named test (proptest
//! keeps no regressions file: the checkout stays as it is).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{CStr, CString};
use std::path::PathBuf;

use gpu_launch::cli;
use gpu_launch::config::Config;
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

/// A machine as detection leaves it: distinct devices, the default GPU
/// (any of them) at index 0, the rest in PCI address order ("Index 0 is the
/// default GPU; the rest follow in PCI address order"), GPUs without a PCI
/// address last, by node.
fn machine() -> impl Strategy<Value = Machine> {
    (prop::collection::vec(gpu(), 0..6), any::<usize>()).prop_map(|(gpus, pick)| {
        let mut seen = BTreeSet::new();
        let mut gpus: Vec<Gpu> = gpus
            .into_iter()
            .filter(|g| g.pci.is_none_or(|p| seen.insert(p)))
            .collect();
        if !gpus.is_empty() {
            let default = gpus.remove(pick % gpus.len());
            gpus.sort_by_key(|g| (g.pci.is_none(), g.pci, g.render, g.card));
            gpus.insert(0, default);
        }
        Machine {
            default_reason: (!gpus.is_empty()).then_some(DefaultReason::First),
            gpus,
        }
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

// ---- Oracles: the contract's words ----------------------------------------

/// Whether GPU `i` is one `spec` names, by the SPEC grammar's table ("by
/// kind", "by vendor", "by PCI address", "by PCI vendor:device id", "by DRM
/// node"; NVML's UUID and a case-insensitive substring of the name).
fn named(m: &Machine, i: usize, spec: &Spec, ids: &[Identity]) -> bool {
    let g = &m.gpus[i];
    match spec {
        Spec::Auto | Spec::Default | Spec::Index(_) => unreachable!("not a filter"),
        Spec::Kind(KindSpec::Discrete) => matches!(g.kind, Kind::Discrete | Kind::External),
        Spec::Kind(KindSpec::Integrated) => g.kind == Kind::Integrated,
        Spec::Kind(KindSpec::External) => g.kind == Kind::External,
        Spec::Vendor(VendorSpec::Nvidia) => g.vendor_id == Some(0x10de),
        Spec::Vendor(VendorSpec::Amd) => g.vendor_id == Some(0x1002),
        Spec::Vendor(VendorSpec::Intel) => g.vendor_id == Some(0x8086),
        Spec::Pci(a) => g.pci == Some(*a),
        Spec::Ids(v, d) => g.vendor_id == Some(*v) && g.device_id == Some(*d),
        Spec::Node(n) => {
            let render = g.render.map(|r| format!("renderD{r}"));
            let card = g.card.map(|c| format!("card{c}"));
            render.as_deref() == Some(n.as_str()) || card.as_deref() == Some(n.as_str())
        }
        Spec::Uuid(u) => ids
            .get(i)
            .and_then(|id| id.uuid.as_deref())
            .is_some_and(|x| x.to_lowercase() == u.to_lowercase()),
        Spec::Name(t) => ids
            .get(i)
            .and_then(|id| id.name.as_deref())
            .is_some_and(|x| x.to_lowercase().contains(&t.to_lowercase())),
    }
}

/// The first of `candidates` in PCI address order (those without an
/// address after those with one, then as listed).
fn first_in_pci_order(m: &Machine, candidates: impl Iterator<Item = usize>) -> Option<usize> {
    candidates.min_by_key(|&i| (m.gpus[i].pci.is_none(), m.gpus[i].pci, i))
}

/// What `select` must return, from the SPEC grammar and the sentence after
/// it.
fn expected(m: &Machine, spec: &Spec, ids: &[Identity]) -> Option<usize> {
    let n = m.gpus.len();
    if n == 0 {
        return None;
    }
    let kind = |i: usize| m.gpus[i].kind;
    match spec {
        // "the GPU the desktop already renders on": index 0.
        Spec::Default => Some(0),
        // "by index in --list".
        Spec::Index(k) => (*k < n).then_some(*k),
        // "the first external non-default GPU in PCI order, else the first
        // discrete non-default one, else the default GPU".
        Spec::Auto => first_in_pci_order(m, (1..n).filter(|&i| kind(i) == Kind::External))
            .or_else(|| {
                first_in_pci_order(
                    m,
                    (1..n).filter(|&i| matches!(kind(i), Kind::Discrete | Kind::External)),
                )
            })
            .or(Some(0)),
        _ => {
            let mut matching: BTreeSet<usize> =
                (0..n).filter(|&i| named(m, i, spec, ids)).collect();
            // "virtual GPUs match only when no other GPU does".
            if matching.iter().any(|&i| kind(i) != Kind::Virtual) {
                matching.retain(|&i| kind(i) != Kind::Virtual);
            }
            // "prefers the non-default ones, then PCI order".
            first_in_pci_order(m, matching.iter().copied().filter(|&i| i != 0))
                .or_else(|| matching.contains(&0).then_some(0))
        }
    }
}

/// The variables "What gets set" lists for a launch on GPU `i` (mode
/// `integrated` or not), as a map.
fn contract_set(m: &Machine, i: usize, integrated: bool) -> BTreeMap<&'static str, String> {
    let nvidia = |j: usize| m.gpus[j].driver.as_deref() == Some("nvidia");
    let chosen = &m.gpus[i];
    let mut set = BTreeMap::new();
    // "Hide NVIDIA rule: when the chosen GPU is not driven by nvidia but
    // some GPU of the machine is".
    let hide = !nvidia(i) && (0..m.gpus.len()).any(nvidia);
    // "Vulkan rule: MESA_VK_DEVICE_SELECT=vvvv:dddd ... when no other GPU
    // of the machine has the same pair".
    let vulkan = |set: &mut BTreeMap<&'static str, String>| {
        if let (Some(v), Some(d)) = (chosen.vendor_id, chosen.device_id) {
            let twin = m
                .gpus
                .iter()
                .enumerate()
                .any(|(j, g)| j != i && g.vendor_id == Some(v) && g.device_id == Some(d));
            if !twin {
                set.insert("MESA_VK_DEVICE_SELECT", format!("{v:04x}:{d:04x}"));
            }
        }
    };
    if i == 0 {
        // "the default GPU, mode hybrid: none"; "mode integrated: only the
        // hide NVIDIA rule".
        if integrated && hide {
            set.insert("VK_LOADER_DRIVERS_DISABLE", "*nvidia*".to_owned());
        }
    } else if nvidia(i) {
        set.insert("__NV_PRIME_RENDER_OFFLOAD", "1".to_owned());
        set.insert("__GLX_VENDOR_LIBRARY_NAME", "nvidia".to_owned());
        set.insert("__VK_LAYER_NV_optimus", "NVIDIA_only".to_owned());
        // "with more than one non-default NVIDIA GPU also
        // __NV_PRIME_RENDER_OFFLOAD_PROVIDER=NVIDIA-G<k>, k its position
        // (from 0) among the non-default NVIDIA GPUs in PCI order".
        let mut others: Vec<usize> = (1..m.gpus.len()).filter(|&j| nvidia(j)).collect();
        if others.len() > 1 {
            others.sort_by_key(|&j| (m.gpus[j].pci.is_none(), m.gpus[j].pci, j));
            let k = others.iter().position(|&j| j == i).unwrap();
            set.insert("__NV_PRIME_RENDER_OFFLOAD_PROVIDER", format!("NVIDIA-G{k}"));
        }
        vulkan(&mut set);
    } else {
        // "DRI_PRIME=pci-DDDD_BB_SS_F, the PCI address in Mesa's tag form";
        // a platform GPU by its device-tree tag.
        let tag = match chosen.pci {
            Some(p) => Some(format!(
                "pci-{:04x}_{:02x}_{:02x}_{:x}",
                p.domain, p.bus, p.device, p.function
            )),
            None => chosen.platform_tag.clone(),
        };
        if let Some(tag) = tag {
            set.insert("DRI_PRIME", tag);
        }
        // "when the default GPU is driven by nvidia, also
        // __GLX_VENDOR_LIBRARY_NAME=mesa".
        if nvidia(0) {
            set.insert("__GLX_VENDOR_LIBRARY_NAME", "mesa".to_owned());
        }
        vulkan(&mut set);
        if hide {
            set.insert("VK_LOADER_DRIVERS_DISABLE", "*nvidia*".to_owned());
        }
    }
    set
}

fn no_match<T>(r: &Result<T, gpu_launch::error::Error>) -> bool {
    matches!(r, Err(gpu_launch::error::Error::NoMatch { .. }))
}

const NEVER_SET: [&str; 3] = [
    "__EGL_VENDOR_LIBRARY_FILENAMES",
    "VK_ICD_FILENAMES",
    "VK_DRIVER_FILES",
];

/// Where the Chromium rule puts its argument, known from how the argv was
/// built: "inserted as argv[1]" for a program of the family, "right after
/// APP-ID" for `flatpak run [OPTIONS] APP-ID`, nowhere when "the user's
/// arguments already carry a --render-node-override".
#[derive(Debug, Clone)]
struct Argv {
    words: Vec<Vec<u8>>,
    /// The name looked up in the family (basename, or the flatpak APP-ID
    /// without its `//branch`).
    looked_up: String,
    /// Where the argument goes when the rule applies.
    at: usize,
}

fn user_args() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "https://example.org",
                "--",
                "--gpu",
                "--render-node-override",
                "--render-node-override=/dev/dri/renderD1",
                "--render-node-overrides",
                "-render-node-override=x",
                "run",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            bytes_arg(),
        ],
        0..4,
    )
}

fn chromium_argv() -> impl Strategy<Value = Argv> {
    let direct = (
        prop::sample::select(vec![
            "chromium",
            "/usr/bin/google-chrome-stable",
            "./code",
            "brave",
            "firefox",
            "org.chromium.Chromium",
            "x",
        ]),
        user_args(),
    )
        .prop_map(|(program, args)| {
            let looked_up = program.rsplit('/').next().unwrap().to_owned();
            let mut words = vec![program.as_bytes().to_vec()];
            words.extend(args);
            Argv {
                words,
                looked_up,
                at: 1,
            }
        });
    // `flatpak [GLOBAL-OPTIONS] run [OPTIONS] APP-ID[//BRANCH] [ARGS]`, with
    // options as `flatpak run --help` documents them (some take a value).
    let flatpak = (
        prop::sample::select(vec![&[][..], &["--user"], &["--system", "-v"]]),
        prop::collection::vec(
            prop::sample::select(vec![
                &["--command", "chromium"][..],
                &["--branch=stable"],
                &["--arch", "x86_64"],
                &["--env=A=B"],
                &["--filesystem", "home"],
                &["--device=dri"],
                &["-p"],
            ]),
            0..3,
        ),
        any::<bool>(),
        prop::sample::select(vec![
            "org.chromium.Chromium",
            "com.google.Chrome",
            "org.mozilla.firefox",
            "chromium",
        ]),
        prop::option::of(prop::sample::select(vec!["//beta", "//stable"])),
        user_args(),
    )
        .prop_map(|(globals, options, dashdash, app, branch, args)| {
            let mut words: Vec<Vec<u8>> = vec![b"flatpak".to_vec()];
            words.extend(globals.iter().map(|w| w.as_bytes().to_vec()));
            words.push(b"run".to_vec());
            for o in options {
                words.extend(o.iter().map(|w| w.as_bytes().to_vec()));
            }
            if dashdash {
                words.push(b"--".to_vec());
            }
            words.push(format!("{app}{}", branch.unwrap_or("")).into_bytes());
            let at = words.len();
            words.extend(args);
            Argv {
                words,
                looked_up: app.to_owned(),
                at,
            }
        });
    prop_oneof![direct, flatpak]
}

// ---- Properties -------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // No regressions file in the checkout: a failure prints its shrunk
        // case, which becomes a named test.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn each_spec_selects_the_gpu_the_contract_names(
        m in machine(),
        spec in spec(),
        ids in identities(),
    ) {
        let got = select::select(&m, &spec, &ids);
        prop_assert_eq!(got, expected(&m, &spec, &ids));
        if matches!(spec, Spec::Auto | Spec::Default) {
            // "auto and default never fail".
            prop_assert_eq!(got.is_some(), !m.gpus.is_empty());
        }
        if let (Spec::Auto, Some(i)) = (&spec, got) {
            // "It never offloads to an integrated or virtual GPU."
            prop_assert!(
                i == 0 || !matches!(m.gpus[i].kind, Kind::Integrated | Kind::Virtual),
                "auto offloaded to {:?}", m.gpus[i].kind
            );
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
        // "A parseable SPEC that matches no GPU falls back to the default
        // GPU with a note, or fails with 125 under --strict; auto and
        // default never fail." On a machine with no GPU "the environment is
        // left as it is" (with a note).
        let never_fails = matches!(spec, Spec::Auto | Spec::Default);
        match expected(&m, &spec, &[]) {
            _ if strict && !never_fails && expected(&m, &spec, &[]).is_none() => {
                prop_assert!(no_match(&result), "{:?}", result);
            }
            Some(i) => {
                let t = result.unwrap();
                prop_assert_eq!(t.gpu, Some(i));
                prop_assert!(t.notes.is_empty(), "{:?}", t.notes);
            }
            None => {
                let t = result.unwrap();
                let default = (!m.gpus.is_empty()).then_some(0);
                prop_assert_eq!(t.gpu, default);
                prop_assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
            }
        }
    }

    #[test]
    fn the_plan_sets_exactly_what_the_contract_lists(
        m in machine(),
        pick in any::<usize>(),
        entries in environment(),
        integrated in any::<bool>(),
    ) {
        let env = Environ::new(entries.iter().map(AsRef::as_ref).collect());
        let gpu = (!m.gpus.is_empty()).then(|| pick % m.gpus.len());
        let c = plan::env_changes(&m, gpu, &env, integrated);
        let set: BTreeMap<&str, String> = c.set.iter().cloned().collect();
        prop_assert_eq!(set.len(), c.set.len(), "a variable set twice: {:?}", c.set);
        let want = match gpu {
            // "On a machine with no GPU at all, the environment is left as
            // it is."
            None => BTreeMap::new(),
            Some(i) => contract_set(&m, i, integrated),
        };
        prop_assert_eq!(&set, &want);
        for k in set.keys() {
            prop_assert!(!NEVER_SET.contains(k), "{} is never set", k);
        }
        if let Some(tag) = set.get("DRI_PRIME") {
            prop_assert!(!tag.ends_with('!'), "{:?}", tag);
        }
        // "Every variable of the selection family that the plan does not
        // set itself and that the caller's environment has is removed".
        let has = |k: &str| {
            entries.iter().any(|e| {
                e.as_bytes().split(|b| *b == b'=').next() == Some(k.as_bytes())
                    && e.as_bytes().contains(&b'=')
            })
        };
        let want_unset: BTreeSet<&str> = match gpu {
            None => BTreeSet::new(),
            Some(_) => SELECTION_VARS
                .iter()
                .copied()
                .filter(|k| has(k) && !set.contains_key(k))
                .collect(),
        };
        let unset: BTreeSet<&str> = c.unset.iter().copied().collect();
        prop_assert_eq!(unset.len(), c.unset.len(), "removed twice: {:?}", c.unset);
        prop_assert_eq!(unset, want_unset);
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
    fn the_plan_inserts_the_render_node_argument_where_the_rule_says(
        m in machine().prop_filter("a GPU", |m| !m.gpus.is_empty()),
        pick in any::<usize>(),
        enable in any::<bool>(),
        listed in prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["chromium", "code", "org.chromium.Chromium", "x"]), 0..3)),
        argv in chromium_argv(),
    ) {
        let i = pick % m.gpus.len();
        let config = Config {
            chromium_enable: enable,
            chromium_programs: listed.clone().map(|l| l.into_iter().map(str::to_owned).collect()),
            ..Config::default()
        };
        let owned: Vec<CString> = argv.words.iter().map(|w| CString::new(w.clone()).unwrap()).collect();
        let program: Vec<&CStr> = owned.iter().map(CString::as_c_str).collect();
        let target = Target { gpu: Some(i), notes: Vec::new() };
        let p = plan::build(&m, target, &Environ::default(), &config, &program, false);
        let out: Vec<&[u8]> = p.argv.iter().map(|a| a.to_bytes()).collect();
        // "When PROGRAM's basename is in the configurable Chromium family
        // (at least chromium, ..., code, codium), the chosen GPU has a
        // render node, and the machine has more than one GPU with a render
        // node, the argument --render-node-override=/dev/dri/renderDNNN of
        // the chosen GPU is inserted ... unless the user's arguments
        // already carry a --render-node-override. Config can turn it off."
        let family = match &listed {
            Some(l) => l.contains(&argv.looked_up.as_str()),
            None => [
                "chromium", "google-chrome-stable", "brave", "code", "org.chromium.Chromium",
                "com.google.Chrome",
            ]
            .contains(&argv.looked_up.as_str()),
        };
        let carried = argv.words[argv.at..].iter().any(|w| {
            w == b"--render-node-override" || w.starts_with(b"--render-node-override=")
        });
        let render_nodes = m.gpus.iter().filter(|g| g.render.is_some()).count();
        let applies = enable && family && !carried && render_nodes > 1;
        let mut want: Vec<Vec<u8>> = argv.words.clone();
        if let (true, Some(n)) = (applies, m.gpus[i].render) {
            want.insert(argv.at, format!("--render-node-override=/dev/dri/renderD{n}").into_bytes());
        }
        let want: Vec<&[u8]> = want.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(out, want);
    }
}
