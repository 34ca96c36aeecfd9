//! Arbitrary bytes through diag_tool's text parsers: the first byte picks the parser, the rest
//! is the file's text. Whatever the kernel (or a broken fixture) writes, no parser may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| diag_tool::parsers::parse_any(bytes));
