//! Kernel taint from `proc/sys/kernel/tainted`, decoded into the kernel's letters and reasons
//! (`Documentation/admin-guide/tainted-kernels.rst`, `taint_flags` in `kernel/panic.c`).

use crate::root::{Root, parse_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    /// The bit mask as the file holds it.
    pub value: u64,
    /// One entry per set bit, lowest first.
    pub flags: Vec<TaintFlag>,
}
serialize_struct!(Taint { value, flags });

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaintFlag {
    pub bit: u32,
    /// The letter the kernel prints in `Tainted:` lines, e.g. `M`; `?` for bits it has no name for.
    pub letter: String,
    pub reason: String,
}
serialize_struct!(TaintFlag { bit, letter, reason });

/// Bit, letter when set, and reason, in the kernel's table order.
const FLAGS: &[(u32, char, &str)] = &[
    (0, 'P', "proprietary module was loaded"),
    (1, 'F', "module was force loaded"),
    (2, 'S', "kernel running on an out of specification system"),
    (3, 'R', "module was force unloaded"),
    (4, 'M', "processor reported a Machine Check Exception (MCE)"),
    (5, 'B', "bad page referenced or some unexpected page flags"),
    (6, 'U', "taint requested by userspace application"),
    (7, 'D', "kernel died recently, i.e. there was an OOPS or BUG"),
    (8, 'A', "an ACPI table was overridden by user"),
    (9, 'W', "kernel issued warning"),
    (10, 'C', "staging driver was loaded"),
    (11, 'I', "workaround for bug in platform firmware applied"),
    (12, 'O', "externally-built (\"out-of-tree\") module was loaded"),
    (13, 'E', "unsigned module was loaded"),
    (14, 'L', "soft lockup occurred"),
    (15, 'K', "kernel has been live patched"),
    (16, 'X', "auxiliary taint, defined for and used by distros"),
    (17, 'T', "kernel was built with the struct randomization plugin"),
    (18, 'N', "an in-kernel test has been run"),
    (19, 'J', "userspace used a mutating debug operation in fwctl"),
];

/// The decimal bit mask of `proc/sys/kernel/tainted`.
pub fn parse_tainted(text: &str) -> Result<Taint, String> {
    let value: u64 = parse_number(text)?;
    let flags = (0..64)
        .filter(|bit| value & (1 << bit) != 0)
        .map(|bit| match FLAGS.iter().find(|(b, _, _)| *b == bit) {
            Some((_, letter, reason)) => {
                TaintFlag { bit, letter: letter.to_string(), reason: reason.to_string() }
            }
            None => TaintFlag {
                bit,
                letter: "?".to_string(),
                reason: format!("taint bit {bit}, unknown to this version"),
            },
        })
        .collect();
    Ok(Taint { value, flags })
}

impl Taint {
    /// The letters of the set bits, as `Tainted: P  M ...` shows them without the blanks.
    pub fn letters(&self) -> String {
        self.flags.iter().map(|f| f.letter.as_str()).collect()
    }
}

pub fn read(root: &mut Root) -> Option<Taint> {
    root.parse_with("proc/sys/kernel/tainted", parse_tainted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untainted_kernel_has_no_flags() {
        assert_eq!(parse_tainted("0\n"), Ok(Taint { value: 0, flags: vec![] }));
    }

    #[test]
    fn machine_check_bad_page_and_out_of_tree_taints_are_decoded() {
        let taint = parse_tainted("4144\n").unwrap();
        assert_eq!(taint.letters(), "MBO");
        assert_eq!(taint.flags[0].bit, 4);
        assert!(taint.flags[0].reason.contains("Machine Check"));
    }

    #[test]
    fn unknown_bits_keep_their_number_and_garbage_is_rejected() {
        let taint = parse_tainted(&(1u64 << 40).to_string()).unwrap();
        assert_eq!(taint.letters(), "?");
        assert!(parse_tainted("-1").is_err());
        assert!(parse_tainted("lots").is_err());
    }
}
