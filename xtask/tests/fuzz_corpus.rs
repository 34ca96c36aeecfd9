//! The fuzz corpus, replayed on the stable toolchain through the fuzz target's code path: every
//! input in `fuzz/corpus/verify_elf/` must give the outcome `fuzz/corpus/verify_elf.txt` records.
//! After adding inputs: `UPDATE_FUZZ_OUTCOMES=1 cargo test -p xtask --test fuzz_corpus`.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Corpus files stay small so that the repository does not grow with every finding.
const INPUT_LIMIT: usize = 64 * 1024;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("fuzz")
}

/// `ok` and the triples that accept the input, or `err` and its message up to the first
/// number (offsets and sizes in messages may change without the finding changing).
fn outcome(bytes: &[u8]) -> String {
    match xtask::verify::judge_as_every_target(bytes) {
        Ok(triples) if triples.is_empty() => "ok, accepted by none".to_string(),
        Ok(triples) => format!("ok, accepted by {}", triples.join(" ")),
        Err(e) => {
            let text = e.to_string();
            let class = ["malformed ELF: ", "not an ELF file: "];
            if !class.iter().any(|start| text.starts_with(start)) {
                return format!("an error that does not say the file is malformed: {text}");
            }
            let stable: String = text
                .chars()
                .take_while(|c| !c.is_ascii_digit() && *c != '\n')
                .collect();
            format!("err {}", stable.trim_end())
        }
    }
}

/// Every input's outcome, by file name; a panic is an outcome too, so that all are listed.
fn replay(corpus: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.len() <= INPUT_LIMIT,
            "{name} is {} bytes: reduce it (`cargo fuzz tmin`) or rebuild it from a smaller seed",
            bytes.len()
        );
        let result = panic::catch_unwind(AssertUnwindSafe(|| outcome(&bytes)));
        let outcome = result.unwrap_or_else(|payload| {
            let message = (payload.downcast_ref::<String>().map(String::as_str))
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            format!("panicked: {message}")
        });
        out.insert(name, outcome);
    }
    out
}

fn parse_record(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, outcome) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not `name: outcome`: {line}"));
            (name.to_string(), outcome.to_string())
        })
        .collect()
}

#[test]
fn every_fuzz_corpus_input_gives_its_recorded_outcome() {
    let corpus = fuzz_dir().join("corpus/verify_elf");
    let record = fuzz_dir().join("corpus/verify_elf.txt");
    let actual = replay(&corpus);
    assert!(
        actual.len() >= 50,
        "{} holds too few inputs",
        corpus.display()
    );
    let failures: Vec<_> = (actual.iter())
        .filter(|(_, outcome)| !outcome.starts_with("ok, ") && !outcome.starts_with("err "))
        .collect();
    assert!(failures.is_empty(), "the verifier failed on: {failures:#?}");

    if std::env::var_os("UPDATE_FUZZ_OUTCOMES").is_some() {
        let mut text = "# One line per input of verify_elf/: its outcome, from \
                        `UPDATE_FUZZ_OUTCOMES=1 cargo test -p xtask --test fuzz_corpus`.\n"
            .to_string();
        for (name, outcome) in &actual {
            text.push_str(&format!("{name}: {outcome}\n"));
        }
        std::fs::write(&record, text).unwrap();
        return;
    }
    let recorded = parse_record(&std::fs::read_to_string(&record).unwrap());
    let names: BTreeSet<&String> = actual.keys().chain(recorded.keys()).collect();
    let differences: Vec<_> = (names.into_iter())
        .map(|name| (name, recorded.get(name), actual.get(name)))
        .filter(|(_, then, now)| then != now)
        .collect();
    assert!(
        differences.is_empty(),
        "inputs whose outcome is not the recorded one (name, recorded, now): {differences:#?}\n\
         if the change is intended: UPDATE_FUZZ_OUTCOMES=1 cargo test -p xtask --test fuzz_corpus"
    );
}
