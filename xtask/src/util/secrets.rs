//! The release's secrets, taken out of the environment once, first thing in `main`: the
//! minisign and OpenPGP keys and their passwords. No process xtask starts (cargo, build
//! scripts, rustc, linkers, zig, gpg, diffoscope, the checkout's xtask in reproduce) sees them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The variables that carry a secret.
pub const NAMES: [&str; 6] = [
    "MINISIGN_KEY_FILE",
    "MINISIGN_KEY",
    "MINISIGN_PASSWORD",
    "PGP_KEY_FILE",
    "PGP_KEY",
    "PGP_PASSWORD",
];

static SECRETS: LazyLock<BTreeMap<&'static str, String>> = LazyLock::new(|| {
    NAMES
        .iter()
        .filter_map(|&name| Some((name, std::env::var(name).ok()?)))
        .filter(|(_, value)| !value.trim().is_empty())
        .collect()
});

/// Reads the secrets and removes them from this process's environment.
///
/// # Safety
/// Call before any other thread exists: `std::env::remove_var` races with other threads that
/// read the environment. `main` calls it first thing, while the process is single-threaded.
pub unsafe fn take_from_env() {
    LazyLock::force(&SECRETS);
    for name in NAMES {
        // SAFETY: the caller guarantees the process is single-threaded.
        unsafe { std::env::remove_var(name) };
    }
}

/// The value the environment gave for `name`, one of [`NAMES`]; empty values count as none.
pub fn get(name: &str) -> Option<&'static str> {
    debug_assert!(NAMES.contains(&name), "{name} is not a secret's variable");
    SECRETS.get(name).map(String::as_str)
}
