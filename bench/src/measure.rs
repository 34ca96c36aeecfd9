//! The measurements of dist and what it adds: cold and no-op runs with their CPU time, the
//! plain builder commands, compile times, reproduce, cargo-auditable, signing, packaging.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::{Report, timed};
use xtask::config::policy::Policy;
use xtask::host::build::Invocation;
use xtask::host::machine::Machine;
use xtask::pipeline::output::Summary;
use xtask::pipeline::plan::TargetPlan;
use xtask::util::files;

/// A cold dist from a clean target directory, then a no-op re-run.
pub struct DistRun {
    pub cold: f64,
    pub noop: f64,
    /// CPU seconds of everything the cold run started, on all cores.
    pub cpu: f64,
    pub summary: Summary,
    pub target_dir: PathBuf,
}

pub fn dist(sh: &Shell, scratch: &Path, report: &mut Report) -> Result<DistRun> {
    let xtask = xtask_binary()?;
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
    Ok(DistRun { cold, noop, cpu, summary, target_dir })
}

/// The build command a user would type for `plan`'s target: no remapping, all cores.
fn plain_invocation<'a>(
    policy: &'a Policy,
    plan: &TargetPlan,
    target_dir: std::path::PathBuf,
    auditable: bool,
) -> Invocation<'a> {
    Invocation {
        builder: plan.builder,
        package: &policy.package.name,
        target: plan.build_target(),
        target_dir,
        remaps: Vec::new(),
        makeflags: None,
        auditable,
        linker: None,
        features: &policy.features,
    }
}

/// The same targets built by hand, one command after another, with the builder dist picks for
/// each, in one clean target directory.
pub fn plain(
    sh: &Shell,
    policy: &Policy,
    machine: &Machine,
    scratch: &Path,
    report: &mut Report,
) -> Result<f64> {
    let target_dir = scratch.join("plain-target");
    let mut total = 0.0;
    let cpu_before = children_cpu_seconds()?;
    for plan in TargetPlan::all(sh, policy, machine) {
        let inv = plain_invocation(policy, &plan, target_dir.clone(), false);
        let (seconds, _) = timed(|| inv.cmd(sh).ignore_stderr().read())?;
        report.add(format!("plain {} build of {} (s)", plan.builder, inv.target), seconds);
        total += seconds;
    }
    report.add("plain commands, sum (s)", total);
    // Against dist's: more CPU work in dist (its own target directory per target, and
    // cargo-auditable) bounds its speed-up before any scheduling does.
    report.add("plain commands CPU seconds, all processes", children_cpu_seconds()? - cpu_before);
    Ok(total)
}

/// Cold compile of the automation against a cold release build of the product, for the host.
pub fn compile(
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

/// `cargo xtask reproduce` of the cold dist's output, rebuilding from a clean directory.
pub fn reproduce(
    sh: &Shell,
    policy: &Policy,
    release: &Path,
    report: &mut Report,
) -> Result<Option<f64>> {
    let xtask = xtask_binary()?;
    let rebuild = policy.target_dir.join("reproduce");
    if rebuild.exists() {
        std::fs::remove_dir_all(&rebuild)
            .with_context(|| format!("removing {}", rebuild.display()))?;
    }
    let started = Instant::now();
    let result = cmd!(sh, "{xtask} reproduce {release}").ignore_stderr().read();
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(_) => {
            report.add("reproduce of that dist, clean rebuild directory (s)", seconds);
            Ok(Some(seconds))
        }
        Err(e) => {
            // A checkout with uncommitted changes cannot be reproduced from its commit.
            report.add("reproduce", format!("failed, not timed: {e}"));
            Ok(None)
        }
    }
}

/// What embedding the dependency list costs: the last link of one target with and without
/// `cargo auditable`, everything else built already.
pub fn auditable(
    sh: &Shell,
    policy: &Policy,
    machine: &Machine,
    scratch: &Path,
    report: &mut Report,
) -> Result<f64> {
    let plan = TargetPlan::all(sh, policy, machine)
        .into_iter()
        .find(|p| p.builder == xtask::config::builder::Builder::Cargo)
        .context("no target built with plain cargo to time cargo-auditable on")?;
    let package = &policy.package.name;
    let mut times = Vec::new();
    for auditable in [false, true] {
        let inv = plain_invocation(policy, &plan, scratch.join("plain-target"), auditable);
        let (triple, dir) = (inv.target.triple(), &inv.target_dir);
        cmd!(
            sh,
            "cargo clean --quiet --release --package {package} --target {triple} --target-dir {dir}"
        )
        .run()?;
        times.push(timed(|| inv.cmd(sh).ignore_stderr().read())?.0);
    }
    let cost = (times[1] - times[0]).max(0.0);
    report.add(
        format!("last link of {} without / with cargo-auditable (s)", plan.build_target()),
        format!("{:.2} / {:.2}", times[0], times[1]),
    );
    Ok(cost)
}

/// Signing every file of a release with a fresh key, as the release step does.
pub fn signing(release: &Path, report: &mut Report) -> Result<f64> {
    let minisign::KeyPair { sk, .. } =
        minisign::KeyPair::generate_unencrypted_keypair().context("generating a key")?;
    let text = sk.to_box(None).context("encoding the key")?.to_string();
    let signer = xtask::formats::minisign::Signer::from_key_file_text(&text, None)?;
    let files = files::walk(release, &|_| false)?;
    let scratch = release.with_file_name("signing");
    std::fs::create_dir_all(&scratch)?;
    let (seconds, count) = timed(|| {
        for file in &files {
            let copy = scratch.join(file.file_name().context("a file")?);
            std::fs::copy(file, &copy)?;
            signer.sign_file(&copy, 0)?;
        }
        anyhow::Ok(files.len())
    })?;
    report.add(format!("signing the {count} files of the release (s)"), seconds);
    Ok(seconds)
}

/// `cargo xtask repo` of the release into a new apt and dnf repository, with a throwaway key.
pub fn repository(sh: &Shell, release: &Path, report: &mut Report) -> Result<f64> {
    use xtask::pipeline::repository::{Request, update};
    let (secret, public) = xtask::host::gpg::throwaway_key(sh, "bench", "")?;
    let gpg = xtask::host::gpg::Gpg::import(sh, &secret, String::new())?;
    let key = release.with_file_name("repository-key.asc");
    std::fs::write(&key, public)?;
    let releases = [release.to_path_buf()];
    let request = Request {
        base_url: "http://127.0.0.1:8000",
        dir: &release.with_file_name("repository"),
        releases: &releases,
        public_key: &key,
        gpg: &gpg,
    };
    let (seconds, (debs, rpms)) = timed(|| update(sh, &request))?;
    report.add(
        format!("repo: {debs} .deb and {rpms} .rpm into new apt and dnf repositories (s)"),
        seconds,
    );
    Ok(seconds)
}

/// The time dist's steps after verification took: SBOM, packaging, checksums, and the
/// release-wide steps, summed over targets.
pub fn packaging_seconds(summary: &Summary, report: &mut Report) -> f64 {
    let building = ["preflight", "build", "verify", "smoke-run"];
    let per_target: f64 = summary
        .targets
        .iter()
        .flat_map(|t| &t.step_seconds)
        .filter(|(step, _)| !building.contains(&step.as_str()))
        .map(|(_, s)| s)
        .sum();
    let release: f64 = summary.release_step_seconds.iter().map(|(_, s)| s).sum();
    report.add("packaging steps, all targets, and release steps (s)", per_target + release);
    per_target + release
}

/// The least time the same work could take: all cores busy, or the longest single build.
pub fn floor(dist: &DistRun, report: &mut Report) -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let longest = dist.summary.targets.iter().filter_map(|t| t.build_seconds).fold(0.0, f64::max);
    let floor = (dist.cpu / cores).max(longest);
    report.add("dist CPU seconds, all processes", dist.cpu);
    report.add("longest single target build (s)", longest);
    report.add("floor: max(CPU seconds / cores, longest build) (s)", floor);
    for entry in dist.summary.targets.iter().filter_map(|t| t.entry.as_ref()) {
        report.add(format!("binary size {} (bytes)", entry.target), entry.binary.size);
    }
    floor
}

/// User and system time of every finished child process and their descendants, from
/// `/proc/self/stat` (`cutime`, `cstime`, in clock ticks): each process waits for its own
/// children, so a compiler's time reaches cargo, then dist, then here.
fn children_cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).context("parsing /proc/self/stat")?;
    let fields: Vec<&str> = rest.split(' ').collect();
    // cutime and cstime are fields 16 and 17 of stat(5), 14 and 15 after the name.
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields.get(i).context("short /proc/self/stat")?.parse::<f64>()?)
    };
    // Linux reports these in USER_HZ, which is 100 on every architecture.
    Ok((ticks(13)? + ticks(14)?) / 100.0)
}

/// The `cargo xtask` binary that runs this bench, which says where it is.
fn xtask_binary() -> Result<std::path::PathBuf> {
    std::env::var_os("XTASK_BINARY")
        .map(Into::into)
        .context("XTASK_BINARY is not set: run the bench as `cargo xtask bench`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_cpu_time_grows_by_what_a_child_spent() {
        let before = children_cpu_seconds().unwrap();
        // A child that burns CPU time, then reports its own with the `times` builtin.
        let output = std::process::Command::new("bash")
            .args(["-c", "i=0; while ((i < 300000)); do ((i++)); done; times"])
            .output()
            .unwrap();
        let spent = children_cpu_seconds().unwrap() - before;
        let own: f64 = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .map(|t| {
                let (m, s) = t.trim_end_matches('s').split_once('m').unwrap();
                m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
            })
            .sum();
        assert!(own > 0.05, "the loop took {own} s of CPU");
        // Other tests' children finish meanwhile too: never less, maybe more.
        assert!(spent >= own - 0.02, "counted {spent} s, the child says {own} s");
    }
}
