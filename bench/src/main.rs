//! `cargo xtask bench` runs this crate, kept out of xtask so that the tool every user compiles
//! first stays small. It measures dist against what users would otherwise run (the plain builder
//! commands one after another, and cargo-dist), in one run on this machine, as ratios. What is
//! measured is in `measure.rs`, the packaging's speed against the system tools in
//! `throughput.rs`, the peer in `peer.rs`.

mod measure;
mod peer;
mod throughput;

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use xshell::Shell;

use xtask::config::policy::Policy;
use xtask::host::machine::Machine;
use xtask::util::files;

/// One ratio and its goal.
pub struct Ratio {
    pub what: &'static str,
    pub value: f64,
    /// `(at most?, bound)`.
    pub goal: (bool, f64),
}

/// Figures in the order measured, for the table and `target/bench.json`.
#[derive(Default)]
pub struct Report(Vec<(String, Value)>);

impl Report {
    pub fn add(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.0.push((key.into(), value.into()));
    }
}

fn main() -> std::process::ExitCode {
    // `--builds`: only dist against the plain commands and the floor (rows (a)), for a package
    // whose full bench would take too long, such as the C fixture of `xtask/tests/c_cli.rs`.
    let builds_only = std::env::args().any(|a| a == "--builds");
    let result = Shell::new().map_err(Into::into).and_then(|sh| {
        sh.change_dir(xtask::project_root());
        run(&sh, builds_only)
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(sh: &Shell, builds_only: bool) -> Result<()> {
    {
        let policy = Policy::read(sh)?;
        let machine = Machine::probe(sh)?;
        let scratch = policy.target_dir.join("bench");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)
                .with_context(|| format!("removing {}", scratch.display()))?;
        }
        std::fs::create_dir_all(&scratch)?;
        let mut report = Report::default();
        let dist = measure::dist(sh, &scratch, &mut report)?;
        let plain = measure::plain(sh, &policy, &machine, &scratch, &mut report)?;
        let floor = measure::floor(&dist, &mut report);
        let at_most = |what, value, bound| Ratio { what, value, goal: (true, bound) };
        // C dependencies add serial steps (configure scripts) that concurrency only partly hides.
        let c_code = match policy.targets.first() {
            Some(tp) => !xtask::host::cargo::c_code(sh, &policy, &tp.target)?.is_empty(),
            None => false,
        };
        let mut ratios = vec![
            match c_code {
                false => at_most("(a) dist / plain commands", dist.cold / plain, 0.70),
                true => at_most("(a) dist / plain commands, C code", dist.cold / plain, 0.75),
            },
            at_most("(a) floor / plain commands", floor / plain, 1.0),
        ];
        if builds_only {
            return print_and_write(&policy, &ratios, report);
        }
        let (xtask_cold, product_cold) = measure::compile(sh, &policy, &scratch, &mut report)?;
        ratios.extend(throughput::packaging(
            sh,
            &scratch,
            (&dist.target_dir, &policy.bin),
            &mut report,
        )?);
        let release = scratch.join("dist-out");
        let reproduce = measure::reproduce(sh, &policy, &release, &mut report)?;
        let auditable = measure::auditable(sh, &policy, &machine, &scratch, &mut report)?;
        let signing = measure::signing(&release, &mut report)?;
        let repository = measure::repository(sh, &release, &mut report)?;
        let packaging = measure::packaging_seconds(&dist.summary, &mut report);
        ratios.extend([
            at_most("(b) no-op re-run / dist", dist.noop / dist.cold, 0.05),
            at_most(
                "(c) dist time outside the compiler",
                (dist.cold - dist.summary.build_seconds) / dist.cold,
                0.02,
            ),
            at_most("(d) xtask cold / product cold", xtask_cold / product_cold, 1.0),
            at_most("(i) auditable and signing / dist", (auditable + signing) / dist.cold, 0.03),
            at_most("(j) packaging steps / dist", packaging / dist.cold, 0.05),
            at_most("(k) repo / dist", repository / dist.cold, 0.05),
        ]);
        if let Some(seconds) = reproduce {
            ratios.push(at_most("(h) reproduce / dist", seconds / dist.cold, 1.1));
        }
        match peer::cargo_dist(sh, &policy, &scratch)? {
            Some((seconds, reproducible)) => {
                ratios.push(at_most("(g) dist / cargo-dist", dist.cold / seconds, 1.0));
                report.add("cargo-dist build, same targets (s)", seconds);
                report.add("cargo-dist archives reproducible", reproducible);
            }
            None => report.add(
                "cargo-dist",
                "skipped: `dist` not found (pip install astral-dev-toolchain-cargo-dist)",
            ),
        }
        ratios.sort_by(|a, b| a.what.cmp(b.what));
        print_and_write(&policy, &ratios, report)
    }
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
    xtask::util::print_table(&["RATIO", "VALUE", "GOAL", ""], &rows);
    println!("\nfigures:");
    let figures: Vec<Vec<String>> =
        report.0.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect();
    xtask::util::print_table(&["FIGURE", "VALUE"], &figures);

    let ratios: serde_json::Map<String, Value> = ratios
        .iter()
        .map(|r| (r.what.to_string(), json!({ "value": r.value, "goal": r.goal.1, "met": met(r) })))
        .collect();
    let figures: serde_json::Map<String, Value> = report.0.into_iter().collect();
    let path = policy.target_dir.join("bench.json");
    let json = json!({ "arch": std::env::consts::ARCH, "ratios": ratios, "figures": figures });
    files::write_atomic(&path, format!("{json:#}\n").as_bytes())?;
    println!("\nwritten to {}", path.display());
    Ok(())
}

pub fn timed<T, E: Into<anyhow::Error>>(f: impl FnOnce() -> Result<T, E>) -> Result<(f64, T)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((start.elapsed().as_secs_f64(), value))
}
