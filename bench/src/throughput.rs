//! The packaging's speed against the system tools: SHA-256 against `sha256sum` and gzip
//! against `gzip -9`, on the same sample of what archives hold.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

use crate::{Ratio, Report, timed};
use xtask::formats::checksums;
use xtask::formats::tarball;
use xtask::util::files;

const SAMPLE_BYTES: usize = 64 << 20;

/// Packaging throughput against the system tools on the same 64 MiB file.
pub fn packaging(
    sh: &Shell,
    scratch: &Path,
    (dist_target, bin): (&Path, &str),
    report: &mut Report,
) -> Result<Vec<Ratio>> {
    let sample = scratch.join("sample.bin");
    write_sample(&sample, &sh.current_dir(), dist_target, bin)?;
    let (ours_sha, our_digest) = timed(|| checksums::sha256_file(&sample))?;
    let (their_sha, their_digest) = timed(|| cmd!(sh, "sha256sum {sample}").read())?;
    if !their_digest.starts_with(&our_digest) {
        bail!("sha256 disagrees with sha256sum on {}", sample.display());
    }
    let ours_gz = scratch.join("ours.gz");
    let (ours_gzip, _) = timed(|| {
        let output = BufWriter::new(File::create(&ours_gz)?);
        tarball::gzip_to(File::open(&sample)?, output)?.flush()?;
        anyhow::Ok(())
    })?;
    let theirs_gz = scratch.join("theirs.gz");
    let (their_gzip, _) =
        timed(|| cmd!(sh, "sh -c 'gzip -9 -n -c \"$1\" > \"$2\"' sh {sample} {theirs_gz}").run())?;
    let size = |p: &Path| std::fs::metadata(p).map_or(f64::NAN, |m| m.len() as f64);
    let mib = SAMPLE_BYTES as f64 / (1 << 20) as f64;
    report.add("sha256 MiB/s (ours)", mib / ours_sha);
    report.add("sha256 MiB/s (sha256sum)", mib / their_sha);
    report.add("gzip -9 MiB/s (ours)", mib / ours_gzip);
    report.add("gzip -9 MiB/s (gzip)", mib / their_gzip);
    Ok(vec![
        Ratio {
            what: "(e) sha256 speed / sha256sum",
            value: their_sha / ours_sha,
            goal: (false, 1.0),
        },
        Ratio {
            what: "(e) gzip speed / gzip -9",
            value: their_gzip / ours_gzip,
            goal: (false, 1.0),
        },
        Ratio {
            what: "(e) gzip size / gzip -9",
            value: size(&ours_gz) / size(&theirs_gz),
            goal: (true, 1.0),
        },
    ])
}

/// 64 MiB of what archives hold: the built binaries, text, and incompressible bytes, a third
/// each, so neither tool is measured on a best or worst case alone.
fn write_sample(path: &Path, root: &Path, dist_target: &Path, bin: &str) -> Result<()> {
    let mut binaries = Vec::new();
    for entry in files::walk(dist_target, &|_| false)? {
        if entry.ends_with(format!("release/{bin}"))
            || entry.file_name().is_some_and(|n| n == "libserde_json.rlib")
        {
            binaries.extend(std::fs::read(&entry)?);
        }
    }
    let mut text = Vec::new();
    for entry in files::walk(root, &|p| p.ends_with("target") || p.ends_with(".git"))? {
        if entry.extension().is_some_and(|e| e == "rs" || e == "md" || e == "json") {
            text.extend(std::fs::read(&entry)?);
        }
    }
    if binaries.is_empty() || text.is_empty() {
        bail!("no binaries or text to build the benchmark sample from");
    }
    let third = SAMPLE_BYTES / 3;
    let mut out = BufWriter::new(File::create(path)?);
    for source in [&binaries, &text] {
        let mut written = 0;
        while written < third {
            let n = source.len().min(third - written);
            out.write_all(&source[..n])?;
            written += n;
        }
    }
    // xorshift64: incompressible, and the same bytes on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = vec![0u8; SAMPLE_BYTES - 2 * third];
    for byte in random.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    out.write_all(&random)?;
    out.flush()?;
    Ok(())
}
