//! Arbitrary text through the readers of what a release directory holds, as merge, reproduce,
//! bench and install.sh's generator read it: `release-manifest.json` and `SHA256SUMS`. Whatever
//! they accept names plain files only, and a manifest reads back as itself. How to run it:
//! `fuzz/README.md`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    xtask::manifest::check_reader(bytes);
    xtask::formats::checksums::check_reader(bytes);
});
