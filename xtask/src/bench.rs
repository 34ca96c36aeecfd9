//! `cargo xtask bench`: measures dist against what users would otherwise run (the plain builder
//! commands one after another, and cargo-dist), in one run on this machine, as ratios.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
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
        let xtask = std::env::current_exe().context("finding the xtask binary")?;
        let mut report = Report::default();

        // (a), (b), (c), (f): dist from a clean target directory, then again with nothing to do.
        let dist_target = scratch.join("dist-target");
        let out = scratch.join("dist-out");
        let dist = || {
            cmd!(sh, "{xtask} dist --out-dir {out} --message-format json")
                .env("CARGO_TARGET_DIR", &dist_target)
                .ignore_stderr()
                .read()
        };
        let (cold, cold_output) = timed(dist)?;
        let (noop, _) = timed(dist)?;
        let summary = summary_line(&cold_output)?;
        let build_seconds = summary.build_seconds;
        report.add("dist, all targets, clean target dir (s)", json!(cold));
        report.add("dist, no-op re-run (s)", json!(noop));

        // (a) The same targets built by hand, one command after another, with the builder
        // dist picks for each, in one clean target directory.
        let plain_target = scratch.join("plain-target");
        let mut plain = 0.0;
        for plan in TargetPlan::all(&policy, None, &machine) {
            let inv = Invocation {
                builder: plan.builder,
                package: &policy.package.name,
                target: plan.build_target(),
                target_dir: plain_target.clone(),
                remaps: Vec::new(),
                jobs: None,
            };
            let (seconds, _) = timed(|| inv.cmd(sh).ignore_stderr().read())?;
            let what = format!(
                "plain {} build of {} (s)",
                plan.builder.name(),
                plan.build_target()
            );
            report.add(&what, json!(seconds));
            plain += seconds;
        }
        report.add("plain commands, sum (s)", json!(plain));

        // (d) Cold compile of the automation against a cold release build of the product.
        let xtask_target = scratch.join("xtask-target");
        let (xtask_cold, _) = timed(|| {
            cmd!(sh, "cargo build --locked --package xtask")
                .env("CARGO_TARGET_DIR", &xtask_target)
                .ignore_stderr()
                .read()
        })?;
        let product_target = scratch.join("product-target");
        let package_name = &policy.package.name;
        let (product_cold, _) = timed(|| {
            cmd!(
                sh,
                "cargo build --release --locked --package {package_name}"
            )
            .env("CARGO_TARGET_DIR", &product_target)
            .ignore_stderr()
            .read()
        })?;
        report.add("xtask cold compile (s)", json!(xtask_cold));
        report.add(
            &format!("{package_name} cold release build, host (s)"),
            json!(product_cold),
        );

        // (e) Packaging throughput against the system tools on the same 64 MiB file.
        let sample = scratch.join("sample.bin");
        write_sample(&sample, &sh.current_dir(), &dist_target)?;
        let (ours_sha, our_digest) = timed(|| checksum::sha256_file(&sample))?;
        let (their_sha, their_digest) = timed(|| cmd!(sh, "sha256sum {sample}").read())?;
        if !their_digest.starts_with(&our_digest) {
            bail!("sha256 disagrees with sha256sum on {}", sample.display());
        }
        let ours_gz = scratch.join("ours.gz");
        let (ours_gzip, _) = timed(|| {
            let input = File::open(&sample)?;
            let output = BufWriter::new(File::create(&ours_gz)?);
            package::gzip_to(input, output)?.flush()?;
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
        let size = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.len() as f64)
                .unwrap_or(f64::NAN)
        };
        let mib = SAMPLE_BYTES as f64 / (1 << 20) as f64;
        report.add("sha256 MiB/s (ours)", json!(mib / ours_sha));
        report.add("sha256 MiB/s (sha256sum)", json!(mib / their_sha));
        report.add("gzip -9 MiB/s (ours)", json!(mib / ours_gzip));
        report.add("gzip -9 MiB/s (gzip)", json!(mib / their_gzip));

        // (g) The peer: cargo-dist building the same targets on a scratch copy.
        let peer = cargo_dist(sh, &policy, &scratch)?;

        let ratios = [
            (
                "(a) dist / plain commands",
                cold / plain,
                "<= 0.85",
                cold / plain <= 0.85,
            ),
            (
                "(b) no-op re-run / dist",
                noop / cold,
                "<= 0.05",
                noop / cold <= 0.05,
            ),
            (
                "(c) dist time outside the compiler",
                (cold - build_seconds) / cold,
                "<= 0.02",
                (cold - build_seconds) / cold <= 0.02,
            ),
            (
                "(d) xtask cold / product cold",
                xtask_cold / product_cold,
                "<= 1.0",
                xtask_cold <= product_cold,
            ),
            (
                "(e) sha256 speed / sha256sum",
                their_sha / ours_sha,
                ">= 1.0",
                ours_sha <= their_sha,
            ),
            (
                "(e) gzip speed / gzip -9",
                their_gzip / ours_gzip,
                ">= 1.0",
                ours_gzip <= their_gzip,
            ),
            (
                "(e) gzip size / gzip -9",
                size(&ours_gz) / size(&theirs_gz),
                "<= 1.0",
                size(&ours_gz) <= size(&theirs_gz),
            ),
        ];
        println!("\nbench ({}):", std::env::consts::ARCH);
        let mut rows: Vec<Vec<String>> = ratios
            .iter()
            .map(|(what, ratio, goal, met)| {
                let verdict = if *met { "met" } else { "NOT met" };
                vec![
                    what.to_string(),
                    format!("{ratio:.3}"),
                    goal.to_string(),
                    verdict.to_string(),
                ]
            })
            .collect();
        if let Some((seconds, reproducible)) = &peer {
            rows.push(vec![
                "(g) dist / cargo-dist".into(),
                format!("{:.3}", cold / seconds),
                "< 1.0".into(),
                if cold < *seconds { "met" } else { "NOT met" }.into(),
            ]);
            report.add("cargo-dist build, same targets (s)", json!(seconds));
            report.add("cargo-dist archives reproducible", json!(reproducible));
        }
        crate::print_table(&["RATIO", "VALUE", "GOAL", ""], &rows);

        println!("\nfigures:");
        let mut figures: Vec<Vec<String>> = report
            .0
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        for entry in summary.targets.iter().filter_map(|t| t.entry.as_ref()) {
            let size = entry.binary.size;
            figures.push(vec![
                format!("binary size {} (bytes)", entry.target),
                size.to_string(),
            ]);
            report.add(&format!("binary size {}", entry.target), json!(size));
        }
        report.add(
            "gzip size ratio (ours / gzip -9)",
            json!(size(&ours_gz) / size(&theirs_gz)),
        );
        if peer.is_none() {
            figures.push(vec![
                "cargo-dist".into(),
                "skipped: `dist` not found (pip install astral-dev-toolchain-cargo-dist)".into(),
            ]);
        }
        crate::print_table(&["FIGURE", "VALUE"], &figures);

        let ratios_json: Value = ratios
            .iter()
            .map(|(k, v, goal, met)| {
                (
                    k.to_string(),
                    json!({ "value": v, "goal": goal, "met": met }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        let figures_json: serde_json::Map<String, Value> = report.0.into_iter().collect();
        let path = policy.target_dir.join("bench.json");
        let json = json!({ "arch": std::env::consts::ARCH, "ratios": ratios_json, "figures": figures_json });
        fsx::write_atomic(&path, format!("{json:#}\n").as_bytes())?;
        println!("\nwritten to {}", path.display());
        Ok(())
    }
}

#[derive(Default)]
struct Report(Vec<(String, Value)>);

impl Report {
    fn add(&mut self, key: &str, value: Value) {
        self.0.push((key.to_string(), value));
    }
}

fn timed<T, E: Into<anyhow::Error>>(f: impl FnOnce() -> Result<T, E>) -> Result<(f64, T)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((start.elapsed().as_secs_f64(), value))
}

fn summary_line(output: &str) -> Result<Summary> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Summary>(l).ok())
        .find(|s| s.reason == "summary")
        .context("dist printed no summary line")
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
            && !entry.starts_with(root.join("target"))
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
    let mut target_args = Vec::new();
    for t in &policy.targets {
        target_args.extend(["--target".to_string(), t.target.triple()]);
    }
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
            if path.to_string_lossy().ends_with(".tar.xz")
                || path.to_string_lossy().ends_with(".tar.gz")
            {
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
