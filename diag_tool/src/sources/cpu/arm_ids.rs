//! Names for the `CPU implementer` and `CPU part` codes of Arm `/proc/cpuinfo`,
//! spelled as util-linux's lscpu (`sys-utils/lscpu-arm.c`) spells them.

const ARM: &[(u32, &str)] = &[
    (0x810, "ARM810"),
    (0x920, "ARM920"),
    (0x922, "ARM922"),
    (0x926, "ARM926"),
    (0x940, "ARM940"),
    (0x946, "ARM946"),
    (0x966, "ARM966"),
    (0xa20, "ARM1020"),
    (0xa22, "ARM1022"),
    (0xa26, "ARM1026"),
    (0xb02, "ARM11 MPCore"),
    (0xb36, "ARM1136"),
    (0xb56, "ARM1156"),
    (0xb76, "ARM1176"),
    (0xc05, "Cortex-A5"),
    (0xc07, "Cortex-A7"),
    (0xc08, "Cortex-A8"),
    (0xc09, "Cortex-A9"),
    (0xc0d, "Cortex-A17"),
    (0xc0f, "Cortex-A15"),
    (0xc0e, "Cortex-A17"),
    (0xc14, "Cortex-R4"),
    (0xc15, "Cortex-R5"),
    (0xc17, "Cortex-R7"),
    (0xc18, "Cortex-R8"),
    (0xc20, "Cortex-M0"),
    (0xc21, "Cortex-M1"),
    (0xc23, "Cortex-M3"),
    (0xc24, "Cortex-M4"),
    (0xc27, "Cortex-M7"),
    (0xc60, "Cortex-M0+"),
    (0xd01, "Cortex-A32"),
    (0xd02, "Cortex-A34"),
    (0xd03, "Cortex-A53"),
    (0xd04, "Cortex-A35"),
    (0xd05, "Cortex-A55"),
    (0xd06, "Cortex-A65"),
    (0xd07, "Cortex-A57"),
    (0xd08, "Cortex-A72"),
    (0xd09, "Cortex-A73"),
    (0xd0a, "Cortex-A75"),
    (0xd0b, "Cortex-A76"),
    (0xd0c, "Neoverse-N1"),
    (0xd0d, "Cortex-A77"),
    (0xd0e, "Cortex-A76AE"),
    (0xd13, "Cortex-R52"),
    (0xd14, "Cortex-R82AE"),
    (0xd15, "Cortex-R82"),
    (0xd16, "Cortex-R52+"),
    (0xd20, "Cortex-M23"),
    (0xd21, "Cortex-M33"),
    (0xd22, "Cortex-M55"),
    (0xd23, "Cortex-M85"),
    (0xd24, "Cortex-M52"),
    (0xd40, "Neoverse-V1"),
    (0xd41, "Cortex-A78"),
    (0xd42, "Cortex-A78AE"),
    (0xd43, "Cortex-A65AE"),
    (0xd44, "Cortex-X1"),
    (0xd46, "Cortex-A510"),
    (0xd47, "Cortex-A710"),
    (0xd48, "Cortex-X2"),
    (0xd49, "Neoverse-N2"),
    (0xd4a, "Neoverse-E1"),
    (0xd4b, "Cortex-A78C"),
    (0xd4c, "Cortex-X1C"),
    (0xd4d, "Cortex-A715"),
    (0xd4e, "Cortex-X3"),
    (0xd4f, "Neoverse-V2"),
    (0xd80, "Cortex-A520"),
    (0xd81, "Cortex-A720"),
    (0xd82, "Cortex-X4"),
    (0xd83, "Neoverse-V3AE"),
    (0xd84, "Neoverse-V3"),
    (0xd85, "Cortex-X925"),
    (0xd87, "Cortex-A725"),
    (0xd88, "Cortex-A520AE"),
    (0xd89, "Cortex-A720AE"),
    (0xd8a, "C1-Nano"),
    (0xd8b, "C1-Pro"),
    (0xd8c, "C1-Ultra"),
    (0xd8e, "Neoverse-N3"),
    (0xd8f, "Cortex-A320"),
    (0xd90, "C1-Premium"),
];

const BROADCOM: &[(u32, &str)] =
    &[(0x0f, "Brahma-B15"), (0x100, "Brahma-B53"), (0x516, "ThunderX2")];

const CAVIUM: &[(u32, &str)] = &[
    (0x0a0, "ThunderX"),
    (0x0a1, "ThunderX-88XX"),
    (0x0a2, "ThunderX-81XX"),
    (0x0a3, "ThunderX-83XX"),
    (0x0af, "ThunderX2-99xx"),
    (0x0b0, "OcteonTX2"),
    (0x0b1, "OcteonTX2-98XX"),
    (0x0b2, "OcteonTX2-96XX"),
    (0x0b3, "OcteonTX2-95XX"),
    (0x0b4, "OcteonTX2-95XXN"),
    (0x0b5, "OcteonTX2-95XXMM"),
    (0x0b6, "OcteonTX2-95XXO"),
    (0x0b8, "ThunderX3-T110"),
];

const FUJITSU: &[(u32, &str)] = &[(0x001, "A64FX")];

const HISILICON: &[(u32, &str)] = &[
    (0xd01, "Kunpeng-920"),
    // HiSilicon reuses this id for a core it advertises as A76.
    (0xd40, "Cortex-A76"),
];

const NVIDIA: &[(u32, &str)] = &[(0x000, "Denver"), (0x003, "Denver 2"), (0x004, "Carmel")];

const APM: &[(u32, &str)] = &[(0x000, "X-Gene")];

const QUALCOMM: &[(u32, &str)] = &[
    (0x001, "Oryon"),
    (0x00f, "Scorpion"),
    (0x02d, "Scorpion"),
    (0x04d, "Krait"),
    (0x06f, "Krait"),
    (0x201, "Kryo"),
    (0x205, "Kryo"),
    (0x211, "Kryo"),
    (0x800, "Falkor-V1/Kryo"),
    (0x801, "Kryo-V2"),
    (0x802, "Kryo-3XX-Gold"),
    (0x803, "Kryo-3XX-Silver"),
    (0x804, "Kryo-4XX-Gold"),
    (0x805, "Kryo-4XX-Silver"),
    (0xc00, "Falkor"),
    (0xc01, "Saphira"),
];

const SAMSUNG: &[(u32, &str)] =
    &[(0x001, "exynos-m1"), (0x002, "exynos-m3"), (0x003, "exynos-m4"), (0x004, "exynos-m5")];

const MARVELL: &[(u32, &str)] =
    &[(0x131, "Feroceon-88FR131"), (0x581, "PJ4/PJ4b"), (0x584, "PJ4B-MP")];

const APPLE: &[(u32, &str)] = &[
    (0x020, "Icestorm-A14"),
    (0x021, "Firestorm-A14"),
    (0x022, "Icestorm-M1"),
    (0x023, "Firestorm-M1"),
    (0x024, "Icestorm-M1-Pro"),
    (0x025, "Firestorm-M1-Pro"),
    (0x028, "Icestorm-M1-Max"),
    (0x029, "Firestorm-M1-Max"),
    (0x030, "Blizzard-A15"),
    (0x031, "Avalanche-A15"),
    (0x032, "Blizzard-M2"),
    (0x033, "Avalanche-M2"),
    (0x034, "Blizzard-M2-Pro"),
    (0x035, "Avalanche-M2-Pro"),
    (0x036, "Sawtooth-A16"),
    (0x037, "Everest-A16"),
    (0x038, "Blizzard-M2-Max"),
    (0x039, "Avalanche-M2-Max"),
];

const PHYTIUM: &[(u32, &str)] =
    &[(0x660, "FTC660"), (0x661, "FTC661"), (0x662, "FTC662"), (0x663, "FTC663")];

const AMPERE: &[(u32, &str)] = &[(0xac3, "Ampere-1"), (0xac4, "Ampere-1a")];

/// Part number and name.
type Parts = &'static [(u32, &'static str)];

const IMPLEMENTERS: &[(u32, &str, Parts)] = &[
    (0x41, "ARM", ARM),
    (0x42, "Broadcom", BROADCOM),
    (0x43, "Cavium", CAVIUM),
    (0x44, "DEC", &[]),
    (0x46, "FUJITSU", FUJITSU),
    (0x48, "HiSilicon", HISILICON),
    (0x49, "Infineon", &[]),
    (0x4d, "Motorola/Freescale", &[]),
    (0x4e, "NVIDIA", NVIDIA),
    (0x50, "APM", APM),
    (0x51, "Qualcomm", QUALCOMM),
    (0x53, "Samsung", SAMSUNG),
    (0x56, "Marvell", MARVELL),
    (0x61, "Apple", APPLE),
    (0x66, "Faraday", &[]),
    (0x69, "Intel", &[]),
    (0x6d, "Microsoft", &[]),
    (0x70, "Phytium", PHYTIUM),
    (0xc0, "Ampere", AMPERE),
];

pub fn implementer_name(implementer: u32) -> Option<&'static str> {
    IMPLEMENTERS.iter().find(|(id, _, _)| *id == implementer).map(|(_, name, _)| *name)
}

pub fn part_name(implementer: u32, part: u32) -> Option<&'static str> {
    let (_, _, parts) = IMPLEMENTERS.iter().find(|(id, _, _)| *id == implementer)?;
    parts.iter().find(|(id, _)| *id == part).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_and_recent_arm_cores_are_named() {
        let cases = [
            (0x41, 0xd03, "Cortex-A53"),
            (0x41, 0xd07, "Cortex-A57"),
            (0x41, 0xd08, "Cortex-A72"),
            (0x41, 0xd09, "Cortex-A73"),
            (0x41, 0xd05, "Cortex-A55"),
            (0x41, 0xd0b, "Cortex-A76"),
            (0x41, 0xd0d, "Cortex-A77"),
            (0x41, 0xd41, "Cortex-A78"),
            (0x41, 0xd44, "Cortex-X1"),
            (0x41, 0xd46, "Cortex-A510"),
            (0x41, 0xd47, "Cortex-A710"),
            (0x41, 0xd48, "Cortex-X2"),
            (0x41, 0xd4d, "Cortex-A715"),
            (0x41, 0xd4e, "Cortex-X3"),
            (0x41, 0xd81, "Cortex-A720"),
            (0x41, 0xd82, "Cortex-X4"),
            (0x41, 0xd80, "Cortex-A520"),
            (0x41, 0xd85, "Cortex-X925"),
            (0x41, 0xd87, "Cortex-A725"),
            (0x41, 0xd0c, "Neoverse-N1"),
            (0x41, 0xd40, "Neoverse-V1"),
            (0x41, 0xd49, "Neoverse-N2"),
            (0x41, 0xd4f, "Neoverse-V2"),
            (0x41, 0xd84, "Neoverse-V3"),
            (0x41, 0xd8e, "Neoverse-N3"),
            (0x48, 0xd01, "Kunpeng-920"),
            (0xc0, 0xac3, "Ampere-1"),
            (0xc0, 0xac4, "Ampere-1a"),
            (0x4e, 0x004, "Carmel"),
            (0x61, 0x023, "Firestorm-M1"),
        ];
        for (implementer, part, name) in cases {
            assert_eq!(part_name(implementer, part), Some(name), "{part:#x}");
        }
    }

    #[test]
    fn the_same_part_number_means_different_cores_per_implementer() {
        assert_eq!(part_name(0x41, 0xd40), Some("Neoverse-V1"));
        assert_eq!(part_name(0x48, 0xd40), Some("Cortex-A76"));
    }

    #[test]
    fn implementers_are_named_like_lscpu() {
        assert_eq!(implementer_name(0x41), Some("ARM"));
        assert_eq!(implementer_name(0x48), Some("HiSilicon"));
        assert_eq!(implementer_name(0x4e), Some("NVIDIA"));
        assert_eq!(implementer_name(0x61), Some("Apple"));
        assert_eq!(implementer_name(0xc0), Some("Ampere"));
        assert_eq!(implementer_name(0x99), None);
        assert_eq!(part_name(0x41, 0xfff), None);
    }
}
