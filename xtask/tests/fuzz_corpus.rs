//! The fuzz corpus, replayed on the stable toolchain through the fuzz target's code path: no
//! input in `fuzz/corpus/verify_elf/` may panic the verifier or be rejected unexplained. That
//! each gives the outcome `fuzz/corpus/verify_elf.txt` records is checked with the other
//! generated files (`cargo xtask codegen --check`, and codegen's test).

use std::path::Path;

use xtask::verify::corpus;

/// Corpus files stay small so that the repository does not grow with every finding.
const INPUT_LIMIT: u64 = 64 * 1024;

#[test]
fn every_fuzz_corpus_input_is_judged_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let now = corpus::record(root).unwrap();
    let lines: Vec<&str> = now.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(lines.len() >= 50, "{} holds too few inputs", corpus::CORPUS);
    let failures: Vec<&&str> =
        lines.iter().filter(|l| !l.contains(": ok, ") && !l.contains(": err ")).collect();
    assert!(failures.is_empty(), "the verifier failed on: {failures:#?}");
    for entry in std::fs::read_dir(root.join(corpus::CORPUS)).unwrap() {
        let entry = entry.unwrap();
        let size = entry.metadata().unwrap().len();
        assert!(
            size <= INPUT_LIMIT,
            "{:?} is {size} bytes: reduce it (`cargo fuzz tmin`)",
            entry.file_name()
        );
    }
}

/// The seeds of the `release_readers` fuzz target, replayed through its code path: no manifest
/// or SHA256SUMS input panics a reader or gets a path accepted.
#[test]
fn every_release_reader_seed_is_read_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = root.join("fuzz/corpus/release_readers");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() as u64 <= INPUT_LIMIT, "{}", path.display());
        xtask::manifest::check_reader(&bytes);
        xtask::formats::checksums::check_reader(&bytes);
        count += 1;
    }
    assert!(count >= 8, "{} holds too few seeds", dir.display());
}
