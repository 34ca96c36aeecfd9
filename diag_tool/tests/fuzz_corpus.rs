//! The `diag_parsers` fuzz corpus (`fuzz/corpus/diag_parsers/`), replayed on the stable
//! toolchain through the fuzz target's own function: no input may panic a parser. Seeded from
//! TestArea's files, grown by `cargo fuzz run diag_parsers` (see `fuzz/README.md`).

use std::path::Path;

#[test]
fn no_parser_panics_on_any_corpus_input() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/diag_parsers");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&corpus).expect("the fuzz corpus") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| diag_tool::parsers::parse_any(&bytes));
        assert!(result.is_ok(), "{} panics a parser", path.display());
        replayed += 1;
    }
    // Every parser has seeds; a corpus that lost them tests nothing.
    assert!(
        replayed >= diag_tool::parsers::PARSERS.len(),
        "{replayed} inputs"
    );
}
