//! The GPU SPEC grammar: what `--gpu`, `GPU_LAUNCH_GPU` and the config accept.
//!
//! Pure: parsing never looks at the machine. Whether a SPEC *matches* a GPU is
//! `select`'s business.

use std::borrow::Cow;
use std::fmt;

use crate::detect::pci::{self, PciAddr};
use crate::detect::{Kind, NodeKind, drm_node};
use crate::error::{Error, Result};

/// A parsed SPEC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// The external, else discrete, non-default GPU; else the default one.
    Auto,
    /// The GPU the desktop renders on.
    Default,
    Kind(KindSpec),
    Vendor(VendorSpec),
    /// Index in `--list`.
    Index(usize),
    Pci(PciAddr),
    /// PCI `vendor:device`.
    Ids(u16, u16),
    /// A DRM node by name: `renderD129`, `card1`.
    Node(String),
    /// NVML's UUID (`GPU-...`), compared case-insensitively.
    Uuid(String),
    /// A case-insensitive substring of the GPU's name.
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindSpec {
    Discrete,
    Integrated,
    External,
}

impl KindSpec {
    pub fn matches(self, kind: Kind) -> bool {
        match self {
            KindSpec::Discrete => kind.is_discrete(),
            KindSpec::Integrated => kind == Kind::Integrated,
            KindSpec::External => kind == Kind::External,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorSpec {
    Nvidia,
    Amd,
    Intel,
}

impl VendorSpec {
    pub fn id(self) -> u16 {
        match self {
            VendorSpec::Nvidia => pci::vendor::NVIDIA,
            VendorSpec::Amd => pci::vendor::AMD,
            VendorSpec::Intel => pci::vendor::INTEL,
        }
    }
}

/// Why a SPEC did not parse (the caller adds where it came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub spec: String,
    /// What is wrong, or `did you mean 'nvidia'?` for a mistyped keyword.
    pub reason: Cow<'static, str>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid GPU SPEC '{}': {}",
            self.spec.escape_debug(),
            self.reason
        )
    }
}

impl std::error::Error for SpecError {}

const EXPECTED: &str = "expected auto, default, discrete, integrated, external, nvidia, amd, intel, \
     an index, a PCI address (0000:01:00.0, PCI:1:0:0), vendor:device ids (10de:25a2), \
     a DRM node (renderD129, card1), GPU-<uuid> or name:<text>";

/// The SPEC keywords, for "did you mean" (the aliases dgpu, igpu, egpu
/// included).
const KEYWORDS: [&str; 11] = [
    "auto",
    "default",
    "discrete",
    "integrated",
    "external",
    "nvidia",
    "amd",
    "intel",
    "dgpu",
    "igpu",
    "egpu",
];

impl Spec {
    /// Parses a SPEC. Keywords are case-insensitive; surrounding white space
    /// is ignored.
    pub fn parse(text: &str) -> Result<Spec, SpecError> {
        let err = |reason: &'static str| SpecError {
            spec: text.to_owned(),
            reason: reason.into(),
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(err("it is empty"));
        }
        if let Some(name) = strip_prefix_ci(t, "name:") {
            return if name.trim().is_empty() {
                Err(err("name: needs some text"))
            } else {
                Ok(Spec::Name(name.trim().to_owned()))
            };
        }
        let keyword = match t.to_ascii_lowercase().as_str() {
            "auto" => Some(Spec::Auto),
            "default" => Some(Spec::Default),
            "discrete" | "dgpu" => Some(Spec::Kind(KindSpec::Discrete)),
            "integrated" | "igpu" => Some(Spec::Kind(KindSpec::Integrated)),
            "external" | "egpu" => Some(Spec::Kind(KindSpec::External)),
            "nvidia" => Some(Spec::Vendor(VendorSpec::Nvidia)),
            "amd" => Some(Spec::Vendor(VendorSpec::Amd)),
            "intel" => Some(Spec::Vendor(VendorSpec::Intel)),
            _ => None,
        };
        if let Some(spec) = keyword {
            return Ok(spec);
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse()
                .map(Spec::Index)
                .map_err(|_| err("the index is too large"));
        }
        if strip_prefix_ci(t, "gpu-").is_some() {
            let uuid = &t[4..];
            let ok = !uuid.is_empty() && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
            return if ok {
                Ok(Spec::Uuid(t.to_owned()))
            } else {
                Err(err("a GPU UUID is GPU- followed by hex digits and dashes"))
            };
        }
        if strip_prefix_ci(t, "pci:").is_some() {
            return PciAddr::parse_xorg(t).map(Spec::Pci).ok_or_else(|| {
                err("the Xorg form is PCI:bus[@domain]:device:function, in decimal")
            });
        }
        if let Some(name) = node_name(t.strip_prefix("/dev/dri/").unwrap_or(t)) {
            return Ok(Spec::Node(name));
        }
        if t.contains('.') {
            return PciAddr::parse_sysfs(t)
                .map(Spec::Pci)
                .ok_or_else(|| err("a PCI address is [domain:]bus:device.function, in hex"));
        }
        if let Some((v, d)) = pci::parse_id_pair(t) {
            return Ok(Spec::Ids(v, d));
        }
        if t.bytes().all(|b| b.is_ascii_alphabetic()) {
            if let Some(k) = crate::cli::suggest::closest(t, KEYWORDS) {
                return Err(SpecError {
                    spec: text.to_owned(),
                    reason: format!("did you mean '{k}'?").into(),
                });
            }
        }
        Err(err(EXPECTED))
    }
}

impl fmt::Display for Spec {
    /// The canonical spelling, which parses back to the same SPEC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Auto => f.write_str("auto"),
            Spec::Default => f.write_str("default"),
            Spec::Kind(KindSpec::Discrete) => f.write_str("discrete"),
            Spec::Kind(KindSpec::Integrated) => f.write_str("integrated"),
            Spec::Kind(KindSpec::External) => f.write_str("external"),
            Spec::Vendor(VendorSpec::Nvidia) => f.write_str("nvidia"),
            Spec::Vendor(VendorSpec::Amd) => f.write_str("amd"),
            Spec::Vendor(VendorSpec::Intel) => f.write_str("intel"),
            Spec::Index(i) => write!(f, "{i}"),
            Spec::Pci(p) => write!(f, "{p}"),
            Spec::Ids(v, d) => write!(f, "{v:04x}:{d:04x}"),
            Spec::Node(n) => f.write_str(n),
            Spec::Uuid(u) => f.write_str(u),
            Spec::Name(n) => write!(f, "name:{n}"),
        }
    }
}

/// Where the SPEC in force came from, in precedence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    /// A pending `--next`.
    Next,
    /// Mode `integrated` sends everything below `--next` to the default GPU.
    IntegratedMode,
    /// `[apps.NAME]` or the top-level `gpu` of a config file (the text says
    /// which and where).
    Config(String),
    Auto,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag => f.write_str("--gpu"),
            Origin::Env => f.write_str("GPU_LAUNCH_GPU"),
            Origin::Next => f.write_str("--next"),
            Origin::IntegratedMode => f.write_str("mode integrated"),
            Origin::Config(where_) => f.write_str(where_),
            Origin::Auto => f.write_str("the default, auto"),
        }
    }
}

/// A SPEC and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub spec: Spec,
    pub origin: Origin,
}

/// Parses a SPEC given as bytes (`--gpu`, `GPU_LAUNCH_GPU`).
pub fn parse_spec(bytes: &[u8], origin: Origin) -> Result<Choice> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Spec {
        origin: origin.to_string(),
        err: SpecError {
            spec: String::from_utf8_lossy(bytes).into_owned(),
            reason: "it is not valid UTF-8".into(),
        },
    })?;
    let spec = Spec::parse(text).map_err(|err| Error::Spec {
        origin: origin.to_string(),
        err,
    })?;
    Ok(Choice { spec, origin })
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `renderD129` / `card1` exactly (no connector suffix), normalised.
fn node_name(text: &str) -> Option<String> {
    let (kind, n) = drm_node(std::ffi::OsStr::new(text))?;
    Some(match kind {
        NodeKind::Render => format!("renderD{n}"),
        NodeKind::Card => format!("card{n}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> Spec {
        Spec::parse(t).unwrap_or_else(|e| panic!("{t:?}: {e}"))
    }

    #[test]
    fn the_contract_grammar() {
        assert_eq!(ok("auto"), Spec::Auto);
        assert_eq!(ok("AUTO"), Spec::Auto);
        assert_eq!(ok("default"), Spec::Default);
        assert_eq!(ok("discrete"), Spec::Kind(KindSpec::Discrete));
        assert_eq!(ok("integrated"), Spec::Kind(KindSpec::Integrated));
        assert_eq!(ok("external"), Spec::Kind(KindSpec::External));
        assert_eq!(ok("nvidia"), Spec::Vendor(VendorSpec::Nvidia));
        assert_eq!(ok("amd"), Spec::Vendor(VendorSpec::Amd));
        assert_eq!(ok("Intel"), Spec::Vendor(VendorSpec::Intel));
        assert_eq!(ok("0"), Spec::Index(0));
        assert_eq!(ok("12"), Spec::Index(12));
        let p = Spec::Pci(PciAddr::new(0, 1, 0, 0));
        assert_eq!(ok("0000:01:00.0"), p);
        assert_eq!(ok("01:00.0"), p);
        assert_eq!(ok("PCI:1:0:0"), p);
        assert_eq!(ok("PCI:1@0:0:0"), p);
        assert_eq!(ok("PCI:60:0:0"), Spec::Pci(PciAddr::new(0, 0x3c, 0, 0)));
        assert_eq!(ok("10de:25a2"), Spec::Ids(0x10de, 0x25a2));
        assert_eq!(ok("10DE:25A2"), Spec::Ids(0x10de, 0x25a2));
        assert_eq!(ok("/dev/dri/renderD129"), Spec::Node("renderD129".into()));
        assert_eq!(ok("renderD129"), Spec::Node("renderD129".into()));
        assert_eq!(ok("/dev/dri/card1"), Spec::Node("card1".into()));
        assert_eq!(ok("card1"), Spec::Node("card1".into()));
        assert_eq!(
            ok("GPU-8c6fd6b3-1a2b-3c4d-5e6f-0123456789ab"),
            Spec::Uuid("GPU-8c6fd6b3-1a2b-3c4d-5e6f-0123456789ab".into())
        );
        assert_eq!(ok("name:RTX 4060"), Spec::Name("RTX 4060".into()));
    }

    #[test]
    fn unparseable_specs_are_errors() {
        for bad in [
            "",
            " ",
            "nvida",
            "PCI:1:0",
            "0000:01:00",
            "01:00.9",
            "10de:25a",
            "/dev/dri/renderD",
            "/dev/dri/card1-eDP-1",
            "card1-eDP-1",
            "-1",
            "GPU-",
            "GPU-xyz",
            "name:",
            "99999999999999999999999",
            "/dev/nvidia0",
            "PCI:+1:0:0",
            "+1de:25a2",
            "10de:+5a2",
            "+1",
            "renderD+12",
        ] {
            assert!(Spec::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn mistyped_keywords_get_a_suggestion() {
        let reason = |t: &str| Spec::parse(t).unwrap_err().to_string();
        assert_eq!(
            reason("nvidai"),
            "invalid GPU SPEC 'nvidai': did you mean 'nvidia'?"
        );
        assert_eq!(
            reason("Intle"),
            "invalid GPU SPEC 'Intle': did you mean 'intel'?"
        );
        assert_eq!(
            reason("discret"),
            "invalid GPU SPEC 'discret': did you mean 'discrete'?"
        );
        assert!(reason("bogus").contains("expected auto, default"));
        assert!(reason("renderX").contains("expected auto"));
    }

    #[test]
    fn display_round_trips() {
        for t in [
            "auto",
            "default",
            "discrete",
            "integrated",
            "external",
            "nvidia",
            "amd",
            "intel",
            "3",
            "0000:01:00.0",
            "10de:25a2",
            "renderD128",
            "card0",
            "GPU-abc-def",
            "name:arc",
        ] {
            let s = ok(t);
            assert_eq!(ok(&s.to_string()), s);
        }
    }
}
