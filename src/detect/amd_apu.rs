//! AMD APU (integrated GPU) PCI device ids, vendor 0x1002.
//!
//! Why this exists: gpu-launch must tell an AMD integrated GPU from a discrete
//! one without opening the device (opening a render node can wake a sleeping
//! dGPU), so it decides by device id. An id not listed here counts as discrete.
//!
//! Sources (each entry names one; where several list an id, the first of
//! K, R, L, P is named):
//! - K: Linux `drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c`, `pciidlist`, entries
//!   flagged `AMD_IS_APU` (read from the CachyOS/linux mirror, commit
//!   0129b5ace9389c7ca1bfa155361f81901f26452e, a tree recent enough to have
//!   the Cyan Skillfish ids 0x13DB..0x13FC). Kaveri, Kabini, Mullins, Carrizo,
//!   Stoney, Raven, Renoir family, Yellow Carp, Cyan Skillfish.
//! - R: Linux `include/drm/drm_pciids.h` (`radeon_PCI_IDS`), entries flagged
//!   `RADEON_IS_IGP` with CHIP_SUMO, CHIP_SUMO2, CHIP_PALM, CHIP_ARUBA (plus
//!   Kaveri, Kabini, Mullins, which K already lists) (read from the
//!   intel-lab-lkp/linux mirror, commit 6b2a61dabb0d205be2e7bec7b8b77ca5812de10d).
//!   The chipset IGPs that header also flags `RADEON_IS_IGP` (RS100..RS880,
//!   northbridge graphics, not APUs) are deliberately not listed.
//! - L: libdrm `data/amdgpu.ids` (read from the X11Libre/drm mirror, commit
//!   fd15acdb71ab04c9bac5a32490e75277b0ce9b99): ids whose product names are APU
//!   graphics (Radeon 610M/680M/740M/760M/780M/840M/860M/890M, 8040S-8060S,
//!   "AMD Custom GPU" of the Steam Deck, PlayStation 4 "Liverpool"/"Gladius").
//!   Newer APUs bind through `CHIP_IP_DISCOVERY`, so K has no entry for them;
//!   Van Gogh 0x163F was in K as `CHIP_VANGOGH|AMD_IS_APU` until it moved to IP
//!   discovery.
//! - P: pci.ids (pciutils/pciids, commit
//!   006181e2c5d5b9a3b57d252aa5b3d827971d41a9), vendor 1002, for APU ids found
//!   in no source above (Granite Ridge, Krackan2, Phoenix 0x164F, Fenghuang,
//!   Xbox One S "Bishop [Xbox One S APU]").

/// `(device id, family, source)`, sorted by device id for binary search.
pub const AMD_APU_IDS: &[(u16, &str, &str)] = &[
    (0x1114, "Krackan Point", "L"),
    (0x1304, "Kaveri", "K"),
    (0x1305, "Kaveri", "K"),
    (0x1306, "Kaveri", "K"),
    (0x1307, "Kaveri", "K"),
    (0x1309, "Kaveri", "K"),
    (0x130A, "Kaveri", "K"),
    (0x130B, "Kaveri", "K"),
    (0x130C, "Kaveri", "K"),
    (0x130D, "Kaveri", "K"),
    (0x130E, "Kaveri", "K"),
    (0x130F, "Kaveri", "K"),
    (0x1310, "Kaveri", "K"),
    (0x1311, "Kaveri", "K"),
    (0x1312, "Kaveri", "K"),
    (0x1313, "Kaveri", "K"),
    (0x1315, "Kaveri", "K"),
    (0x1316, "Kaveri", "K"),
    (0x1317, "Kaveri", "K"),
    (0x1318, "Kaveri", "K"),
    (0x131B, "Kaveri", "K"),
    (0x131C, "Kaveri", "K"),
    (0x131D, "Kaveri", "K"),
    (0x13C0, "Granite Ridge", "P"),
    (0x13DB, "Cyan Skillfish", "K"),
    (0x13F9, "Cyan Skillfish", "K"),
    (0x13FA, "Cyan Skillfish", "K"),
    (0x13FB, "Cyan Skillfish", "K"),
    (0x13FC, "Cyan Skillfish", "K"),
    (0x13FE, "Cyan Skillfish", "K"),
    (0x1435, "Sephiroth (Steam Deck OLED)", "L"),
    (0x143F, "Cyan Skillfish", "K"),
    (0x1506, "Mendocino", "L"),
    (0x150E, "Strix Point", "L"),
    (0x1586, "Strix Halo", "L"),
    (0x15BF, "Phoenix", "L"),
    (0x15C8, "Phoenix2", "L"),
    (0x15D8, "Picasso / Raven2", "K"),
    (0x15DD, "Raven Ridge", "K"),
    (0x15E7, "Barcelo (Renoir family)", "K"),
    (0x15FF, "Fenghuang (Subor Z+)", "P"),
    (0x1636, "Renoir", "K"),
    (0x1638, "Cezanne (Renoir family)", "K"),
    (0x163F, "Van Gogh (Steam Deck LCD)", "L"),
    (0x164C, "Lucienne (Renoir family)", "K"),
    (0x164D, "Rembrandt (Yellow Carp)", "K"),
    (0x164E, "Raphael", "L"),
    (0x164F, "Phoenix", "P"),
    (0x1681, "Rembrandt (Yellow Carp)", "K"),
    (0x1900, "Hawk Point", "L"),
    (0x1901, "Hawk Point 2", "L"),
    (0x1902, "Krackan Point 2", "P"),
    (0x9640, "Sumo (Llano)", "R"),
    (0x9641, "Sumo (Llano)", "R"),
    (0x9642, "SuperSumo (Llano)", "R"),
    (0x9643, "SuperSumo (Llano)", "R"),
    (0x9644, "SuperSumo (Llano)", "R"),
    (0x9645, "SuperSumo (Llano)", "R"),
    (0x9647, "Sumo (Llano)", "R"),
    (0x9648, "Sumo (Llano)", "R"),
    (0x9649, "SuperSumo (Llano)", "R"),
    (0x964A, "Sumo (Llano)", "R"),
    (0x964B, "Sumo (Llano)", "R"),
    (0x964C, "Sumo (Llano)", "R"),
    (0x964E, "Sumo (Llano)", "R"),
    (0x964F, "Sumo (Llano)", "R"),
    (0x9802, "Palm (Ontario/Zacate)", "R"),
    (0x9803, "Palm (Ontario/Zacate)", "R"),
    (0x9804, "Palm (Ontario/Zacate)", "R"),
    (0x9805, "Palm (Ontario/Zacate)", "R"),
    (0x9806, "Palm (Ontario/Zacate)", "R"),
    (0x9807, "Palm (Ontario/Zacate)", "R"),
    (0x9808, "Palm (Ontario/Zacate)", "R"),
    (0x9809, "Palm (Ontario/Zacate)", "R"),
    (0x980A, "Palm (Ontario/Zacate)", "R"),
    (0x9830, "Kabini", "K"),
    (0x9831, "Kabini", "K"),
    (0x9832, "Kabini", "K"),
    (0x9833, "Kabini", "K"),
    (0x9834, "Kabini", "K"),
    (0x9835, "Kabini", "K"),
    (0x9836, "Kabini", "K"),
    (0x9837, "Kabini", "K"),
    (0x9838, "Kabini", "K"),
    (0x9839, "Kabini", "K"),
    (0x983A, "Kabini", "K"),
    (0x983B, "Kabini", "K"),
    (0x983C, "Kabini", "K"),
    (0x983D, "Kabini", "K"),
    (0x983E, "Kabini", "K"),
    (0x983F, "Kabini", "K"),
    (0x9850, "Mullins", "K"),
    (0x9851, "Mullins", "K"),
    (0x9852, "Mullins", "K"),
    (0x9853, "Mullins", "K"),
    (0x9854, "Mullins", "K"),
    (0x9855, "Mullins", "K"),
    (0x9856, "Mullins", "K"),
    (0x9857, "Mullins", "K"),
    (0x9858, "Mullins", "K"),
    (0x9859, "Mullins", "K"),
    (0x985A, "Mullins", "K"),
    (0x985B, "Mullins", "K"),
    (0x985C, "Mullins", "K"),
    (0x985D, "Mullins", "K"),
    (0x985E, "Mullins", "K"),
    (0x985F, "Mullins", "K"),
    (0x9870, "Carrizo", "K"),
    (0x9874, "Carrizo", "K"),
    (0x9875, "Carrizo", "K"),
    (0x9876, "Carrizo", "K"),
    (0x9877, "Carrizo", "K"),
    (0x98E4, "Stoney", "K"),
    (0x9900, "Aruba (Trinity/Richland)", "R"),
    (0x9901, "Aruba (Trinity/Richland)", "R"),
    (0x9903, "Aruba (Trinity/Richland)", "R"),
    (0x9904, "Aruba (Trinity/Richland)", "R"),
    (0x9905, "Aruba (Trinity/Richland)", "R"),
    (0x9906, "Aruba (Trinity/Richland)", "R"),
    (0x9907, "Aruba (Trinity/Richland)", "R"),
    (0x9908, "Aruba (Trinity/Richland)", "R"),
    (0x9909, "Aruba (Trinity/Richland)", "R"),
    (0x990A, "Aruba (Trinity/Richland)", "R"),
    (0x990B, "Aruba (Trinity/Richland)", "R"),
    (0x990C, "Aruba (Trinity/Richland)", "R"),
    (0x990D, "Aruba (Trinity/Richland)", "R"),
    (0x990E, "Aruba (Trinity/Richland)", "R"),
    (0x990F, "Aruba (Trinity/Richland)", "R"),
    (0x9910, "Aruba (Trinity/Richland)", "R"),
    (0x9913, "Aruba (Trinity/Richland)", "R"),
    (0x9917, "Aruba (Trinity/Richland)", "R"),
    (0x9918, "Aruba (Trinity/Richland)", "R"),
    (0x9919, "Aruba (Trinity/Richland)", "R"),
    (0x991E, "Bishop (Xbox One S)", "P"),
    (0x9920, "Liverpool (PS4)", "L"),
    (0x9922, "Liverpool (PS4)", "L"),
    (0x9923, "Liverpool (PS4)", "L"),
    (0x9924, "Gladius (PS4)", "L"),
    (0x9990, "Aruba (Trinity/Richland)", "R"),
    (0x9991, "Aruba (Trinity/Richland)", "R"),
    (0x9992, "Aruba (Trinity/Richland)", "R"),
    (0x9993, "Aruba (Trinity/Richland)", "R"),
    (0x9994, "Aruba (Trinity/Richland)", "R"),
    (0x9995, "Aruba (Trinity/Richland)", "R"),
    (0x9996, "Aruba (Trinity/Richland)", "R"),
    (0x9997, "Aruba (Trinity/Richland)", "R"),
    (0x9998, "Aruba (Trinity/Richland)", "R"),
    (0x9999, "Aruba (Trinity/Richland)", "R"),
    (0x999A, "Aruba (Trinity/Richland)", "R"),
    (0x999B, "Aruba (Trinity/Richland)", "R"),
    (0x999C, "Aruba (Trinity/Richland)", "R"),
    (0x999D, "Aruba (Trinity/Richland)", "R"),
    (0x99A0, "Aruba (Trinity/Richland)", "R"),
    (0x99A2, "Aruba (Trinity/Richland)", "R"),
    (0x99A4, "Aruba (Trinity/Richland)", "R"),
];

/// True when `device_id` (vendor 0x1002) is an APU's integrated GPU.
pub fn is_amd_apu(device_id: u16) -> bool {
    AMD_APU_IDS
        .binary_search_by_key(&device_id, |&(id, _, _)| id)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_without_duplicates() {
        for pair in AMD_APU_IDS.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "not strictly ascending: {:#06x} then {:#06x}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn every_entry_names_a_documented_source_and_a_family() {
        for &(id, family, source) in AMD_APU_IDS {
            assert!(
                matches!(source, "K" | "R" | "L" | "P"),
                "{id:#06x} has unknown source {source:?}"
            );
            assert!(!family.is_empty(), "{id:#06x} has no family");
        }
    }

    #[test]
    fn well_known_apus_are_listed() {
        for id in [
            0x1304, // Kaveri
            0x9830, // Kabini
            0x9851, // Mullins
            0x9874, // Carrizo
            0x98E4, // Stoney
            0x9640, // Llano
            0x9802, // Ontario/Zacate
            0x990C, // Richland
            0x15DD, // Raven Ridge
            0x15D8, // Picasso
            0x15E7, // Barcelo
            0x1636, // Renoir
            0x1638, // Cezanne
            0x164C, // Lucienne
            0x1681, // Rembrandt
            0x1506, // Mendocino
            0x164E, // Raphael
            0x15BF, // Phoenix
            0x15C8, // Phoenix2
            0x1900, // Hawk Point
            0x150E, // Strix Point
            0x1586, // Strix Halo
            0x1114, // Krackan Point
            0x163F, // Van Gogh (Steam Deck LCD)
            0x1435, // Sephiroth (Steam Deck OLED)
            0x13FE, // Cyan Skillfish
        ] {
            assert!(is_amd_apu(id), "{id:#06x} should be an APU");
        }
    }

    #[test]
    fn well_known_discrete_gpus_are_not_listed() {
        for id in [
            0x73BF, // Navi 21
            0x744C, // Navi 31
            0x67DF, // Polaris 10
            0x7480, // Navi 33
            0x7550, // Navi 48
            0x687F, // Vega 10
            0x731F, // Navi 10
        ] {
            assert!(!is_amd_apu(id), "{id:#06x} is a discrete GPU");
        }
    }

    /// Every non-APU id of amdgpu's `pciidlist` (source K, same commit) and the
    /// discrete/Instinct ids of libdrm's `amdgpu.ids` (source L). MI300A
    /// (0x74A0) is left out of this list on purpose: the kernel flags it an APU
    /// at run time by package type, and this table does not list it either.
    const DISCRETE_IDS: &[u16] = &[
        0x6600, 0x6601, 0x6602, 0x6603, 0x6604, 0x6605, 0x6606, 0x6607, 0x6608, 0x6610, 0x6611,
        0x6613, 0x6617, 0x6620, 0x6621, 0x6623, 0x6631, 0x6640, 0x6641, 0x6646, 0x6647, 0x6649,
        0x6650, 0x6651, 0x6658, 0x665C, 0x665D, 0x665F, 0x6660, 0x6663, 0x6664, 0x6665, 0x6667,
        0x666F, 0x66A0, 0x66A1, 0x66A2, 0x66A3, 0x66A4, 0x66A7, 0x66AF, 0x6780, 0x6784, 0x6788,
        0x678A, 0x6790, 0x6791, 0x6792, 0x6798, 0x6799, 0x679A, 0x679B, 0x679E, 0x679F, 0x67A0,
        0x67A1, 0x67A2, 0x67A8, 0x67A9, 0x67AA, 0x67B0, 0x67B1, 0x67B8, 0x67B9, 0x67BA, 0x67BE,
        0x67C0, 0x67C1, 0x67C2, 0x67C4, 0x67C7, 0x67C8, 0x67C9, 0x67CA, 0x67CC, 0x67CF, 0x67D0,
        0x67DF, 0x67E0, 0x67E1, 0x67E3, 0x67E7, 0x67E8, 0x67E9, 0x67EB, 0x67EF, 0x67FF, 0x6800,
        0x6801, 0x6802, 0x6806, 0x6808, 0x6809, 0x6810, 0x6811, 0x6816, 0x6817, 0x6818, 0x6819,
        0x6820, 0x6821, 0x6822, 0x6823, 0x6824, 0x6825, 0x6826, 0x6827, 0x6828, 0x6829, 0x682A,
        0x682B, 0x682C, 0x682D, 0x682F, 0x6830, 0x6831, 0x6835, 0x6837, 0x6838, 0x6839, 0x683B,
        0x683D, 0x683F, 0x6860, 0x6861, 0x6862, 0x6863, 0x6864, 0x6867, 0x6868, 0x6869, 0x686A,
        0x686B, 0x686C, 0x686D, 0x686E, 0x686F, 0x687F, 0x6900, 0x6901, 0x6902, 0x6903, 0x6907,
        0x6920, 0x6921, 0x6928, 0x6929, 0x692B, 0x692F, 0x6930, 0x6938, 0x6939, 0x694C, 0x694E,
        0x694F, 0x6980, 0x6981, 0x6985, 0x6986, 0x6987, 0x6995, 0x6997, 0x699F, 0x69A0, 0x69A1,
        0x69A2, 0x69A3, 0x69AF, 0x6FDF, 0x7300, 0x730F, 0x7310, 0x7312, 0x7318, 0x7319, 0x731A,
        0x731B, 0x731E, 0x731F, 0x7340, 0x7341, 0x7347, 0x734F, 0x7360, 0x7362, 0x7388, 0x738C,
        0x738E, 0x7390, 0x73A0, 0x73A1, 0x73A2, 0x73A3, 0x73A5, 0x73A8, 0x73A9, 0x73AB, 0x73AC,
        0x73AD, 0x73AE, 0x73AF, 0x73BF, 0x73C0, 0x73C1, 0x73C3, 0x73DA, 0x73DB, 0x73DC, 0x73DD,
        0x73DE, 0x73DF, 0x73E0, 0x73E1, 0x73E2, 0x73E3, 0x73E8, 0x73E9, 0x73EA, 0x73EB, 0x73EC,
        0x73ED, 0x73EF, 0x73FF, 0x7408, 0x740C, 0x740F, 0x7410, 0x7420, 0x7421, 0x7422, 0x7423,
        0x7424, 0x743F, 0x7448, 0x7449, 0x744A, 0x744C, 0x745E, 0x7460, 0x7461, 0x7470, 0x747E,
        0x7480, 0x7483, 0x7489, 0x7499, 0x74A1, 0x74A2, 0x74A5, 0x74A9, 0x74B5, 0x74B6, 0x74BD,
        0x7550,
    ];

    #[test]
    fn no_discrete_id_from_the_sources_is_listed() {
        for &id in DISCRETE_IDS {
            assert!(!is_amd_apu(id), "{id:#06x} is a discrete GPU");
        }
    }

    #[test]
    fn unknown_ids_count_as_discrete() {
        assert!(!is_amd_apu(0x0000));
        assert!(!is_amd_apu(0xFFFF));
    }
}
