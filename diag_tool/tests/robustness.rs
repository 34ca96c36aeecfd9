//! Feeds every parser damaged versions of real-format samples; none may panic.

use diag_tool::{block, cpu, edac, fan, host, md, memory, net, pci, taint, thermal, throttle};

const SAMPLES: &[&str] = &[
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu lm aes avx2\n\n",
    "processor\t: 0\nFeatures\t: fp asimd sve\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd40\n\n",
    "MemTotal:       527031224 kB\nMemAvailable:   478155232 kB\nHugePages_Total:       0\n",
    "0-3,8,10-11\n",
    "00000000,00010000,00000001\n",
    "0.52 0.58 0.59 1/467 12345\n",
    "350735.47 234388.90\n",
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    "0x1003\n",
    "0x010802\n",
    "-273000\n",
    "vendor_id       : IBM/S390\n# processors    : 2\nfeatures\t: esan3 zarch vx \nprocessor 0: version = 00,  identification = 0B8E28,  machine = 8561\n\ncpu number      : 0\n",
    "processor\t: 0\ncpu\t\t: POWER9, altivec supported\nrevision\t: 2.2 (pvr 004e 1202)\n\ntimebase\t: 512000000\n",
    "processor\t: 0\nhart\t\t: 1\nisa\t\t: rv64imafdc\nuarch\t\t: sifive,u74-mc\nmvendorid\t: 0x489\n\n",
    "cpu\t\t: UltraSparc T2 (Niagara2)\ntype\t\t: sun4v\nncpus active\t: 64\ncpucaps\t\t: flush,vis\n",
    "RxErr 0\nBadTLP 41\nBadDLLP 16\nTOTAL_ERR_COR 57\n",
    "16.0 GT/s PCIe\n",
    "md1 : active raid5 sdf1[4] sde1[2](F) sdd1[1]\n      100 blocks level 5, 512k chunk, algorithm 2 [4/3] [UU_U]\n      [=>....]  recovery =  8.5% (1/2) finish=150.3min speed=198000K/sec\n",
    "4112\n",
];

/// Small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn mutate(sample: &str, rng: &mut XorShift) -> String {
    let mut bytes = sample.as_bytes().to_vec();
    match rng.next() % 4 {
        0 => bytes.truncate((rng.next() as usize) % (bytes.len() + 1)),
        1 => {
            for _ in 0..1 + rng.next() % 4 {
                if !bytes.is_empty() {
                    let i = (rng.next() as usize) % bytes.len();
                    bytes[i] = rng.next() as u8;
                }
            }
        }
        2 => {
            let i = (rng.next() as usize) % (bytes.len() + 1);
            let junk = [
                "-",
                "99999999999999999999999",
                ":",
                "\n\n",
                "0x",
                ",",
                "\u{fffd}",
                "-1-",
            ];
            let j = junk[(rng.next() as usize) % junk.len()];
            bytes.splice(i..i, j.bytes());
        }
        _ => bytes = (0..rng.next() % 64).map(|_| rng.next() as u8).collect(),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn damaged_input_never_panics_any_parser() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..4000 {
        let text = mutate(SAMPLES[round % SAMPLES.len()], &mut rng);
        let _ = cpu::parse_cpuinfo(&text);
        let _ = cpu::parse_cpu_list(&text);
        let _ = cpu::parse_cpu_mask(&text);
        let _ = memory::parse_meminfo(&text);
        let _ = host::parse_loadavg(&text);
        let _ = host::parse_uptime(&text);
        let _ = host::parse_os_release(&text);
        let _ = edac::parse_count(&text);
        let _ = thermal::parse_millicelsius(&text);
        let _ = block::parse_size(&text);
        let _ = block::parse_flag(&text);
        let _ = net::parse_speed(&text);
        let _ = net::parse_admin_up(&text);
        let _ = pci::parse_id(&text, 4);
        let _ = pci::parse_id(&text, 6);
        let _ = diag_tool::dmi::parse_string(&text);
        let _ = pci::parse_aer_stats(&text);
        let _ = pci::parse_link_speed(&text);
        let _ = pci::parse_link_width(&text);
        let _ = md::parse_mdstat(&text);
        let _ = taint::parse_tainted(&text);
        let _ = fan::parse_rpm(&text);
        let _ = throttle::parse_throttle_count(&text);
    }
}
