//! SHA-256 of release files, and the `sha256sum` text formats that carry it: a `.sha256`
//! sidecar per archive and one `SHA256SUMS` per release, both checked with `sha256sum -c`.

use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

use crate::util::files::write_atomic;

/// Large reads keep the hashing loop in SHA-256 rather than in syscalls.
const READ_BUFFER: usize = 1 << 20;

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The lowercase hex SHA-256 of a file's contents.
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = crate::util::files::open_regular(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut BufReader::with_capacity(READ_BUFFER, file), &mut hasher)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// A writer that hashes and counts what it passes on, so a file can be checksummed while
/// it is written instead of being read back afterwards.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter { inner, hasher: Sha256::new(), written: 0 }
    }

    /// The inner writer, the lowercase hex SHA-256 and the number of bytes written.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, format!("{:x}", self.hasher.finalize()), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        // Only what the inner writer accepted: the caller retries the rest.
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `{archive}.sha256` holding `"{hex}  {file name}\n"`, which `sha256sum -c` checks
/// when run in the archive's directory.
pub fn write_sidecar(archive: &Path, sha256: &str) -> Result<PathBuf> {
    let name = archive
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} does not end in a UTF-8 file name", archive.display()))?;
    check_entry(name, sha256)?;
    let sidecar = archive.with_file_name(format!("{name}.sha256"));
    write_atomic(&sidecar, format!("{sha256}  {name}\n").as_bytes())?;
    Ok(sidecar)
}

/// Writes `{out_dir}/SHA256SUMS` with exactly the given entries, sorted by file name.
/// Listing the directory instead would let stale archives of other versions in.
pub fn write_sums(out_dir: &Path, entries: &[(String, String)]) -> Result<PathBuf> {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort();
    // Merged per-target lists may repeat an entry; the same name with two hashes is a
    // real conflict.
    sorted.dedup();
    let mut text = String::new();
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        bail!(
            "{} is listed with two different SHA-256 sums ({} and {}); \
             expected one archive per name: rebuild it and merge again",
            pair[0].0,
            pair[0].1,
            pair[1].1
        );
    }
    for (name, hex) in sorted {
        // A plain name, as `sha256sum -c` in `out_dir` finds it.
        check_entry(name, hex)?;
        text.push_str(&format!("{hex}  {name}\n"));
    }
    let path = out_dir.join("SHA256SUMS");
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// Reads a `sha256sum` file (`hex  name` or `hex *name` per line), in file order, with hex
/// in lowercase.
pub fn read_sums(path: &Path) -> Result<Vec<(String, String)>> {
    let text = crate::util::files::read_text(path)?;
    parse_sums(&text).with_context(|| format!("reading {}", path.display()))
}

/// [`read_sums`] on untrusted text (the fuzz target `release_readers` drives this): every
/// name a plain file name, every sum 64 lowercase hex digits.
pub fn parse_sums(text: &str) -> Result<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            parse_sums_line(line).with_context(|| format!("line {}: malformed {line:?}", i + 1))
        })
        .collect()
}

/// What the fuzz target `release_readers` and its corpus replay check of untrusted bytes:
/// [`parse_sums`] never panics and accepts plain names with 64 lowercase hex digits only.
pub fn check_reader(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    for (name, hex) in parse_sums(text).unwrap_or_default() {
        crate::util::files::plain_name(&name).expect("a plain name");
        assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hex, hex.to_ascii_lowercase());
    }
}

fn parse_sums_line(line: &str) -> Result<(String, String)> {
    let expected = "expected `<64 hex digits>  <file name>` or `<64 hex digits> *<file name>`";
    ensure!(!line.starts_with('\\'), "escaped file names are not supported; {expected}");
    let (hex, rest) = line.split_at_checked(64).context(expected)?;
    let name = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *")).context(expected)?;
    let hex = hex.to_ascii_lowercase();
    check_entry(name, &hex)?;
    Ok((name.to_owned(), hex))
}

/// Rejects what `sha256sum` would print escaped or could not read back.
fn check_entry(name: &str, hex: &str) -> Result<()> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        bail!("expected 64 lowercase hex digits as the SHA-256 of {name:?}, found {hex:?}");
    }
    crate::util::files::plain_name(name)?;
    if name.chars().any(|c| c.is_control() || c == '\\') {
        bail!("expected a file name without control characters or backslashes, found {name:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::process::Command;

    use super::*;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn sha256sum_check(dir: &Path, file: &str) -> bool {
        Command::new("sha256sum")
            .args(["--check", "--strict", file])
            .current_dir(dir)
            .output()
            .expect("running sha256sum")
            .status
            .success()
    }

    #[test]
    fn sha256_of_abc_is_the_published_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("abc");
        fs::write(&path, "abc").unwrap();
        assert_eq!(sha256_file(&path).unwrap(), ABC_SHA256);

        let mut writer = HashingWriter::new(Vec::new());
        writer.write_all(b"ab").unwrap();
        writer.write_all(b"c").unwrap();
        assert_eq!(writer.finish(), (b"abc".to_vec(), ABC_SHA256.to_owned(), 3));
    }

    #[test]
    fn sha256_file_agrees_with_sha256sum_across_buffer_boundaries() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("big");
        let data: Vec<u8> = (0..READ_BUFFER * 2 + 12345).map(|i| (i * 7 % 251) as u8).collect();
        fs::write(&path, &data).unwrap();
        let out = Command::new("sha256sum").arg(&path).output().unwrap();
        let expected = String::from_utf8(out.stdout).unwrap();
        assert_eq!(sha256_file(&path).unwrap(), expected.split_whitespace().next().unwrap());
    }

    #[test]
    fn sha256sum_accepts_sidecar_and_sums_until_archive_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let a = dir.join("tool-a-v1.tar.gz");
        let b = dir.join("tool-b-v1.tar.gz");
        fs::write(&a, "archive a").unwrap();
        fs::write(&b, "archive b").unwrap();
        let (sum_a, sum_b) = (sha256_file(&a).unwrap(), sha256_file(&b).unwrap());

        let sidecar = write_sidecar(&a, &sum_a).unwrap();
        assert_eq!(sidecar, dir.join("tool-a-v1.tar.gz.sha256"));
        assert_eq!(fs::read_to_string(&sidecar).unwrap(), format!("{sum_a}  tool-a-v1.tar.gz\n"));
        let sums = write_sums(
            dir,
            &[("tool-b-v1.tar.gz".into(), sum_b), ("tool-a-v1.tar.gz".into(), sum_a)],
        )
        .unwrap();
        assert!(sha256sum_check(dir, "tool-a-v1.tar.gz.sha256"));
        assert!(sha256sum_check(dir, "SHA256SUMS"));

        fs::write(&a, "archive A").unwrap();
        assert!(!sha256sum_check(dir, "tool-a-v1.tar.gz.sha256"));
        assert!(!sha256sum_check(dir, sums.file_name().unwrap().to_str().unwrap()));
    }

    #[test]
    fn read_sums_round_trips_write_sums_in_name_order() {
        let tmp = tempfile::tempdir().unwrap();
        let entries = vec![
            ("z.tar.gz".to_owned(), "1".repeat(64)),
            ("a.tar.gz".to_owned(), ABC_SHA256.to_owned()),
            ("m.tar.gz".to_owned(), "f".repeat(64)),
            ("a.tar.gz".to_owned(), ABC_SHA256.to_owned()),
        ];
        let path = write_sums(tmp.path(), &entries).unwrap();
        let mut expected = entries[..3].to_vec();
        expected.sort();
        assert_eq!(read_sums(&path).unwrap(), expected);
    }

    #[test]
    fn write_sums_lists_only_the_given_entries() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("tool-x-v0.9.tar.gz"), "stale").unwrap();
        let path =
            write_sums(tmp.path(), &[("tool-x-v1.0.tar.gz".into(), ABC_SHA256.into())]).unwrap();
        assert_eq!(
            fs::read_to_string(path).unwrap(),
            format!("{ABC_SHA256}  tool-x-v1.0.tar.gz\n")
        );
    }

    #[test]
    fn one_name_with_two_sums_is_a_conflict() {
        let tmp = tempfile::tempdir().unwrap();
        let entries = [("a".to_owned(), "1".repeat(64)), ("a".to_owned(), "2".repeat(64))];
        let err = write_sums(tmp.path(), &entries).unwrap_err();
        assert!(err.to_string().contains("two different"), "{err}");
        assert!(!tmp.path().join("SHA256SUMS").exists());
    }

    #[test]
    fn read_sums_accepts_binary_mode_and_uppercase_hex() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("SHA256SUMS");
        fs::write(
            &path,
            format!("{}  a.tar.gz\n{ABC_SHA256} *b.tar.gz\n", ABC_SHA256.to_uppercase()),
        )
        .unwrap();
        assert_eq!(
            read_sums(&path).unwrap(),
            [
                ("a.tar.gz".to_owned(), ABC_SHA256.to_owned()),
                ("b.tar.gz".to_owned(), ABC_SHA256.to_owned())
            ]
        );
    }

    #[test]
    fn malformed_sums_lines_are_rejected_with_their_line_number() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("SHA256SUMS");
        for bad in [
            "abc  a.tar.gz",
            &format!("{ABC_SHA256} a.tar.gz"),
            &format!("{ABC_SHA256}  "),
            &format!("{}  a.tar.gz", "g".repeat(64)),
            &format!("\\{ABC_SHA256}  a\\nb"),
            "SHA256 (a.tar.gz) = ba7816bf",
            "",
            "é".repeat(40).as_str(),
        ] {
            fs::write(&path, format!("{ABC_SHA256}  ok.tar.gz\n{bad}\n")).unwrap();
            let err = format!("{:#}", read_sums(&path).unwrap_err());
            assert!(err.contains("SHA256SUMS: line 2: malformed"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn bad_hex_or_names_are_not_written() {
        let tmp = tempfile::tempdir().unwrap();
        let archive = tmp.path().join("a.tar.gz");
        assert!(write_sidecar(&archive, "ABC").is_err());
        assert!(write_sums(tmp.path(), &[("a\nb".into(), ABC_SHA256.into())]).is_err());
        assert!(write_sums(tmp.path(), &[("dir/a.tar.gz".into(), ABC_SHA256.into())]).is_err());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
