//! Choosing a GPU: a pure function of (SPEC, machine).
//!
//! Tests call it with hand-built machines; nothing here reads the system.

use crate::decide::spec::Spec;
use crate::detect::{Kind, Machine};

/// What NVML (or pci.ids) knows of a GPU, for the `GPU-<uuid>` and
/// `name:<text>` SPECs. Indexed like [`Machine::gpus`]; missing means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub uuid: Option<String>,
    pub name: Option<String>,
}

/// The index of the GPU `spec` selects, or `None` when it matches none (or the
/// machine has no GPU). `auto` and `default` always select one on a machine
/// with GPUs.
///
/// A SPEC that matches several GPUs prefers the non-default ones, then PCI
/// order, which is exactly `--list` order after index 0. Virtual GPUs
/// (virtio-gpu, SR-IOV virtual functions) match only when no other GPU does:
/// `intel` on a machine with the iGPU's virtual functions is the iGPU.
pub fn select(machine: &Machine, spec: &Spec, ids: &[Identity]) -> Option<usize> {
    let gpus = &machine.gpus;
    if gpus.is_empty() {
        return None;
    }
    let preferring_non_default = |pred: &dyn Fn(usize) -> bool| -> Option<usize> {
        let order = || (1..gpus.len()).chain(0..1);
        order()
            .find(|&i| gpus[i].kind != Kind::Virtual && pred(i))
            .or_else(|| order().find(|&i| pred(i)))
    };
    match spec {
        Spec::Auto => {
            let non_default =
                |kind: fn(Kind) -> bool| (1..gpus.len()).find(|&i| kind(gpus[i].kind));
            Some(
                non_default(|k| k == Kind::External)
                    .or_else(|| non_default(Kind::is_discrete))
                    .unwrap_or(0),
            )
        }
        Spec::Default => Some(0),
        Spec::Kind(k) => preferring_non_default(&|i| k.matches(gpus[i].kind)),
        Spec::Vendor(v) => preferring_non_default(&|i| gpus[i].vendor_id == Some(v.id())),
        Spec::Index(n) => (*n < gpus.len()).then_some(*n),
        Spec::Pci(addr) => preferring_non_default(&|i| gpus[i].pci == Some(*addr)),
        Spec::Ids(v, d) => preferring_non_default(&|i| {
            gpus[i].vendor_id == Some(*v) && gpus[i].device_id == Some(*d)
        }),
        Spec::Node(name) => preferring_non_default(&|i| gpus[i].has_node(name.as_bytes())),
        Spec::Uuid(uuid) => preferring_non_default(&|i| {
            ids.get(i)
                .and_then(|id| id.uuid.as_deref())
                .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
        }),
        Spec::Name(text) => {
            let needle = text.to_lowercase();
            preferring_non_default(&|i| {
                ids.get(i)
                    .and_then(|id| id.name.as_deref())
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
            })
        }
    }
}

/// True when `spec` needs NVML/pci.ids identities to be matched.
pub fn needs_identity(spec: &Spec) -> bool {
    matches!(spec, Spec::Uuid(_) | Spec::Name(_))
}
