//! The fuzz corpus's record: each input of `fuzz/corpus/verify_elf/` with the outcome the
//! verifier gives it, as `cargo xtask codegen` writes `fuzz/corpus/verify_elf.txt` and the
//! stable test suite checks it, so a change in what the verifier says of any input is seen.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use anyhow::{Context, Result};

use super::judge_as_every_target;

/// Where the corpus and its record are, from the workspace root.
pub const CORPUS: &str = "fuzz/corpus/verify_elf";
pub const RECORD: &str = "fuzz/corpus/verify_elf.txt";

/// Whether a rejection by [`judge_as_every_target`] blames the file, as every one must: the
/// reader's two kinds of message, never a failure of something else.
pub fn says_the_file_is_bad(message: &str) -> bool {
    ["malformed ELF: ", "not an ELF file: "].iter().any(|start| message.starts_with(start))
}

/// `ok` and the triples that accept the input, or `err` and its message up to the first
/// number (offsets and sizes in messages may change without the finding changing).
pub fn outcome(bytes: &[u8]) -> String {
    let result = panic::catch_unwind(AssertUnwindSafe(|| judge_as_every_target(bytes)));
    match result {
        Err(_) => "panicked".to_string(),
        Ok(Ok(triples)) if triples.is_empty() => "ok, accepted by none".to_string(),
        Ok(Ok(triples)) => format!("ok, accepted by {}", triples.join(" ")),
        Ok(Err(e)) => {
            let text = e.to_string();
            if !says_the_file_is_bad(&text) {
                return format!("an error that does not say the file is malformed: {text}");
            }
            let stable: String =
                text.chars().take_while(|c| !c.is_ascii_digit() && *c != '\n').collect();
            format!("err {}", stable.trim_end())
        }
    }
}

/// The record of every input under `root`'s corpus, sorted by file name.
pub fn record(root: &Path) -> Result<String> {
    let dir = root.join(CORPUS);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    let mut text = "# One line per input of verify_elf/: what the verifier says of it. Written by \
                    `cargo xtask codegen`.\n"
        .to_string();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).with_context(|| format!("reading {name}"))?;
        text.push_str(&format!("{name}: {}\n", outcome(&bytes)));
    }
    Ok(text)
}
