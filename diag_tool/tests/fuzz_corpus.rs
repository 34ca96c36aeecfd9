//! The `diag_parsers` fuzz corpus (`fuzz/corpus/diag_parsers/`), replayed on the stable
//! toolchain through the fuzz target's own function: no input may panic a parser. Seeded from
//! TestArea's files, grown by `cargo fuzz run diag_parsers` (see `fuzz/README.md`).

use std::path::Path;

#[test]
fn no_parser_panics_on_any_corpus_input() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/diag_parsers");
    let parsers = diag_tool::parsers::PARSERS;
    let mut inputs_per_parser = vec![0; parsers.len()];
    for entry in std::fs::read_dir(&corpus).expect("the fuzz corpus") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| diag_tool::parsers::parse_any(&bytes));
        assert!(result.is_ok(), "{} panics a parser", path.display());
        // The parser the input's first byte picks, as `parse_any` picks it.
        if let Some(&which) = bytes.first() {
            inputs_per_parser[usize::from(which) % parsers.len()] += 1;
        }
    }
    // Every parser has inputs; one that lost them would be tested by nothing here.
    let untested: Vec<&str> = (parsers.iter().zip(&inputs_per_parser))
        .filter(|(_, n)| **n == 0)
        .map(|((name, _), _)| *name)
        .collect();
    assert!(untested.is_empty(), "no corpus input drives {untested:?}");
}
