//! Arbitrary bytes through the verifier, read and judged as every supported target, as dist
//! and `cargo xtask verify` treat a built binary. How to run it: `fuzz/README.md`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Err(e) = xtask::verify::judge_as_every_target(bytes) {
        let text = e.to_string();
        assert!(xtask::verify::corpus::says_the_file_is_bad(&text), "{text}");
    }
});
