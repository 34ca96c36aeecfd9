//! `cargo xtask reproduce DIR`: rebuilds a release from the commit its manifest names, in a
//! scratch worktree, with the recorded toolchain and settings, and compares every file byte for
//! byte. DIR is only read. Exit 0 only when every file matches.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::flags;
use crate::formats::checksums;
use crate::formats::minisign;
use crate::host::machine::Machine;
use crate::manifest::{self, Artifact, ArtifactKind, Manifest, Toolchain};
use crate::util::files;

impl flags::Reproduce {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let dir = crate::util::user_path(&self.dir)?;
        let release = Manifest::read(&dir.join(manifest::FILE_NAME))?;
        let mut problems = check_release_dir(&dir, &release);
        if !release.dirty.is_empty() {
            problems.push(format!(
                "the release was built from a checkout with uncommitted changes ({}): its \
                 commit alone cannot give the same bytes",
                release.dirty.join(", ")
            ));
        }
        let commit = commit_here(sh, &release)?;
        let scratch = Policy::read(sh)?.target_dir.join("reproduce");
        let checkout = scratch.join("checkout");
        worktree(sh, &checkout, &commit)?;
        check_toolchain(sh, &checkout, &release, self.allow_toolchain_drift)?;

        let targets: Vec<String> = match self.target.is_empty() {
            true => release.targets.iter().map(|t| t.target.clone()).collect(),
            false => self.target.iter().map(|t| t.triple()).collect(),
        };
        let rebuilt = rebuild(sh, &scratch, &release, &targets)?;

        let consistent = problems.is_empty();
        let files = expected_files(&release, &targets);
        for artifact in &files {
            let (ours, theirs) = (dir.join(&artifact.name), rebuilt.join(&artifact.name));
            problems.extend(compare(sh, &ours, &theirs, artifact));
        }
        // Consistent, so every problem now is a file that differs from its rebuild.
        if consistent && !problems.is_empty() {
            problems.push(format!(
                "the release's files are the ones its manifest records, so they were built \
                 from other sources than commit {commit}: from another commit, with changes \
                 the manifest does not list, or with another toolchain"
            ));
        }
        if !problems.is_empty() {
            bail!("{} does not reproduce:\n- {}", dir.display(), problems.join("\n- "));
        }
        println!(
            "reproduced: {} files of {} {} (commit {commit}) are byte for byte what this \
             machine builds",
            files.len(),
            release.name,
            release.version
        );
        Ok(())
    }
}

/// The release's commit, which must be in this repository to be checked out.
fn commit_here(sh: &Shell, release: &Manifest) -> Result<String> {
    let commit = release.commit.clone().context(
        "the manifest names no commit: it was not built from a git checkout, so there is \
         nothing to rebuild from",
    )?;
    let object = format!("{commit}^{{commit}}");
    if cmd!(sh, "git cat-file -e {object}").quiet().ignore_stderr().run().is_err() {
        bail!(
            "the manifest's commit {commit} is not in this repository: fetch it \
             (git fetch origin {commit}) or reproduce in a clone that has it"
        );
    }
    Ok(commit)
}

/// The toolchain the checkout's files select (rust-toolchain.toml, the pinned tools) against
/// the recorded one: a difference stops the rebuild unless `allow` says to go on.
fn check_toolchain(sh: &Shell, checkout: &Path, release: &Manifest, allow: bool) -> Result<()> {
    let drift = {
        let _dir = sh.push_dir(checkout);
        let machine = Machine::probe(sh)?;
        toolchain_drift(&release.toolchain, &Toolchain::probe(sh, &machine.tools)?)
    };
    if drift.is_empty() {
        return Ok(());
    }
    let list = drift.join("\n  ");
    ensure!(
        allow,
        "this machine's toolchain is not the one the release was built with:\n  {list}\n\
         install those versions, or pass --allow-toolchain-drift to rebuild anyway (then \
         differences may come from the toolchain)"
    );
    eprintln!("warning: rebuilding with another toolchain:\n  {list}");
    Ok(())
}

/// What a release directory must hold before anything is rebuilt: every file the manifest
/// lists, with its SHA-256, SHA256SUMS agreeing, and good signatures when it is signed.
fn check_release_dir(dir: &Path, release: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    for artifact in release.artifacts() {
        let path = dir.join(&artifact.name);
        match checksums::sha256_file(&path) {
            Ok(found) if found == artifact.sha256 => {}
            Ok(found) => problems.push(format!(
                "{} is not the file the manifest records (sha256 {found}, recorded {}): it \
                 changed after the release was made",
                artifact.name, artifact.sha256
            )),
            Err(e) => problems.push(format!("{}: {e:#}", artifact.name)),
        }
        if let Some(signing) = &release.signing {
            let verified = minisign::verify_file(&path, &signing.public_key);
            problems.extend(verified.err().map(|e| format!("{e:#}")));
        }
    }
    match checksums::read_sums(&dir.join("SHA256SUMS")) {
        Ok(mut listed) => {
            let mut recorded = release.sums();
            listed.sort();
            recorded.sort();
            if listed != recorded {
                problems.push("SHA256SUMS does not list what the manifest records".into());
            }
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    problems
}

/// A detached worktree of `commit` at `path`, replacing one an earlier run left.
fn worktree(sh: &Shell, path: &Path, commit: &str) -> Result<()> {
    if path.exists() {
        let _ = cmd!(sh, "git worktree remove --force {path}").quiet().ignore_stderr().run();
        if path.exists() {
            std::fs::remove_dir_all(path)
                .with_context(|| format!("removing {}", path.display()))?;
        }
        cmd!(sh, "git worktree prune").quiet().run()?;
    }
    cmd!(sh, "git worktree add --quiet --detach {path} {commit}")
        .run()
        .with_context(|| format!("checking out {commit} into {}", path.display()))
}

/// Each difference between the recorded toolchain and this machine's, with the fix.
fn toolchain_drift(recorded: &Toolchain, here: &Toolchain) -> Vec<String> {
    type Field = fn(&Toolchain) -> Option<&String>;
    let fields: [(&str, Field, &str); 6] = [
        (
            "rustc",
            |t| Some(&t.rustc),
            "rustup toolchain install <version> (rust-toolchain.toml of the release's commit names it)",
        ),
        ("cargo", |t| Some(&t.cargo), "rustup toolchain install <version>"),
        ("build host", |t| Some(&t.host), "rebuild on a machine of that architecture"),
        ("zig", |t| t.zig.as_ref(), "pip install ziglang==<version>"),
        ("cargo-zigbuild", |t| t.cargo_zigbuild.as_ref(), "pip install cargo-zigbuild==<version>"),
        (
            "cargo-auditable",
            |t| t.cargo_auditable.as_ref(),
            "cargo install --locked cargo-auditable --version <version>",
        ),
    ];
    fields
        .into_iter()
        .map(|(what, field, fix)| (what, field(recorded), field(here), fix))
        .filter(|(_, recorded, here, _)| recorded != here)
        .map(|(what, recorded, here, fix)| {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "none".into());
            // `rustc 1.80.0 (abc 2024-07-21)` or `0.13.0`: the first word that is a version.
            let version = recorded.and_then(|v| {
                v.split(' ').find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
            });
            let fix = match version {
                Some(version) => fix.replace("<version>", version),
                None => "the release was built without it: uninstall it".into(),
            };
            format!("{what}: recorded {}, here {} ({fix})", show(recorded), show(here))
        })
        .collect()
}

/// `cargo xtask dist` in `scratch/checkout`, with the release's timestamp, into `scratch/dist`,
/// which it returns. The commit's own xtask decides the bytes; when its source is this one's,
/// this binary is it.
fn rebuild(sh: &Shell, scratch: &Path, release: &Manifest, targets: &[String]) -> Result<PathBuf> {
    let (checkout, out) = (scratch.join("checkout"), scratch.join("dist"));
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    let commit = release.commit.as_deref().unwrap_or_default();
    let same_xtask =
        cmd!(sh, "git diff --quiet {commit} -- xtask Cargo.lock Cargo.toml").run().is_ok();
    let _dir = sh.push_dir(&checkout);
    let out_arg = out.display().to_string();
    let mut args = vec!["dist", "--out-dir", &out_arg, "--no-smoke"];
    args.extend(targets.iter().flat_map(|t| ["--target", t]));
    let xtask = std::env::current_exe().context("finding the xtask binary")?;
    let dist = match same_xtask {
        true => cmd!(sh, "{xtask} {args...}").env("CARGO_MANIFEST_DIR", checkout.join("xtask")),
        false => cmd!(sh, "cargo run --locked --quiet --package xtask -- {args...}"),
    };
    dist.env("SOURCE_DATE_EPOCH", release.source_date_epoch.to_string())
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        // Never signed: the key and its password left this process's environment at start.
        .run()
        .context("rebuilding the release")?;
    Ok(out)
}

/// The files the rebuild must give: every file of the chosen targets, and the release-wide
/// ones when every target was rebuilt.
fn expected_files<'a>(release: &'a Manifest, targets: &[String]) -> Vec<&'a Artifact> {
    let chosen = release.targets.iter().filter(|t| targets.contains(&t.target));
    let mut files: Vec<&Artifact> = chosen.flat_map(|t| &t.artifacts).collect();
    if targets.len() == release.targets.len() {
        files.extend(&release.files);
    }
    files
}

/// `None` when the two files are the same bytes; else what differs, explained as far as
/// possible: the first differing entry of an archive, and diffoscope's report when installed.
/// The release's copy is read only up to the size its manifest records, and explained only
/// when it has the recorded SHA-256: a file that fails its hash is reported, not unpacked.
fn compare(sh: &Shell, ours: &Path, rebuilt: &Path, recorded: &Artifact) -> Option<String> {
    let name = &recorded.name;
    let a = match files::read_regular(ours, recorded.size) {
        Ok(a) => a,
        Err(e) => return Some(format!("{name}: cannot read the release's copy: {e:#}")),
    };
    if checksums::sha256_bytes(&a) != recorded.sha256 {
        return Some(format!(
            "{name} fails its hash check (the manifest records {}): not compared",
            recorded.sha256
        ));
    }
    let Ok(b) = files::read_regular(rebuilt, files::BINARY_CAP) else {
        return Some(format!("{name}: the rebuild did not write it"));
    };
    if a == b {
        return None;
    }
    let mut problem = format!("{name} differs from its rebuild");
    if recorded.kind == ArtifactKind::Archive {
        problem.push_str(&format!(": {}", first_differing_entry(&a, &b)));
    } else {
        let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        problem.push_str(&format!(" from byte {at} ({} against {} bytes)", a.len(), b.len()));
    }
    if let Some(report) = diffoscope(sh, ours, rebuilt) {
        let lines: Vec<&str> = report.lines().take(40).collect();
        problem.push_str(&format!("\n  diffoscope:\n    {}", lines.join("\n    ")));
    }
    Some(problem)
}

/// diffoscope's report, when it is installed; limited to five minutes and 4 GiB of address
/// space, since it unpacks whatever it is given.
fn diffoscope(sh: &Shell, ours: &Path, rebuilt: &Path) -> Option<String> {
    let found = cmd!(sh, "diffoscope --version").quiet().ignore_stdout().ignore_stderr();
    found.run().ok()?;
    let limits = ["--kill-after=10", "300", "prlimit", "--as=4294967296", "--"];
    let report = cmd!(sh, "timeout {limits...} diffoscope --text - {ours} {rebuilt}")
        .quiet()
        .ignore_status()
        .ignore_stderr()
        .read();
    Some(report.unwrap_or_default())
}

/// An archive entry: its path, its header block and its contents.
type Entry = (String, Vec<u8>, Vec<u8>);

/// The first entry, in archive order, whose name, header or contents differ.
fn first_differing_entry(a: &[u8], b: &[u8]) -> String {
    let entries = |bytes: &[u8]| -> Result<Vec<Entry>> {
        // Never unpacked past the cap, whatever the gzip stream claims.
        let gzip = flate2::read::GzDecoder::new(bytes).take(files::BINARY_CAP);
        let mut archive = tar::Archive::new(gzip);
        let entries = archive.entries()?.map(|entry| -> Result<Entry> {
            let mut entry = entry?;
            let path = entry.path()?.display().to_string();
            let header = entry.header().as_bytes().to_vec();
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            Ok((path, header, data))
        });
        entries.collect()
    };
    match (entries(a), entries(b)) {
        (Err(e), _) => format!("the release's archive cannot be read ({e}): damaged"),
        (_, Err(e)) => format!("the rebuilt archive cannot be read ({e})"),
        (Ok(a), Ok(b)) => {
            if let Some((x, y)) = a.iter().zip(&b).find(|(x, y)| x != y) {
                return if x.0 != y.0 {
                    format!("entry {} where the rebuild has {}", x.0, y.0)
                } else if x.1 != y.1 {
                    format!("the header of {} (mode, owner or time)", x.0)
                } else {
                    format!("the contents of {}", x.0)
                };
            }
            match a.len().cmp(&b.len()) {
                std::cmp::Ordering::Equal => "the same entries; the compression differs".into(),
                _ => format!("{} entries against {} in the rebuild", a.len(), b.len()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ArtifactKind;

    /// A gzip stream of `unpacked` zero bytes: a few hundred kilobytes on disk.
    fn gzip_bomb(unpacked: usize) -> Vec<u8> {
        let mut gzip = crate::formats::tarball::gzip_encoder(Vec::new());
        std::io::Write::write_all(&mut gzip, &vec![0; unpacked]).unwrap();
        gzip.finish().unwrap()
    }

    #[test]
    fn each_toolchain_difference_is_listed_with_its_fix() {
        let recorded = Toolchain {
            rustc: "rustc 1.80.0 (abc 2024-07-21)".into(),
            cargo: "cargo 1.80.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            zig: Some("0.13.0".into()),
            cargo_zigbuild: None,
            cargo_auditable: Some("0.6.6".into()),
        };
        let here = Toolchain {
            rustc: "rustc 1.81.0".into(),
            zig: None,
            cargo_zigbuild: Some("0.19.1".into()),
            ..recorded.clone()
        };
        assert_eq!(
            toolchain_drift(&recorded, &here),
            [
                "rustc: recorded rustc 1.80.0 (abc 2024-07-21), here rustc 1.81.0 (rustup \
                 toolchain install 1.80.0 (rust-toolchain.toml of the release's commit names \
                 it))",
                "zig: recorded 0.13.0, here none (pip install ziglang==0.13.0)",
                "cargo-zigbuild: recorded none, here 0.19.1 (the release was built without it: \
                 uninstall it)",
            ]
        );
        assert!(toolchain_drift(&recorded, &recorded).is_empty());
    }

    #[test]
    fn a_file_in_place_of_an_archive_is_neither_read_past_its_size_nor_unpacked() {
        let tmp = tempfile::tempdir().unwrap();
        let sh = Shell::new().unwrap();
        let (ours, rebuilt) = (tmp.path().join("a.tar.gz"), tmp.path().join("b.tar.gz"));
        let bomb = gzip_bomb(64 << 20);
        std::fs::write(&ours, &bomb).unwrap();
        std::fs::write(&rebuilt, b"the rebuild").unwrap();
        let mut recorded = Artifact {
            name: "a.tar.gz".into(),
            kind: ArtifactKind::Archive,
            size: 1000,
            sha256: checksums::sha256_bytes(b"the release"),
        };
        let problem = compare(&sh, &ours, &rebuilt, &recorded).unwrap();
        assert!(problem.contains("larger than 1000 bytes"), "{problem}");
        // Of the recorded size, but not the recorded file: reported, not explained.
        recorded.size = bomb.len() as u64;
        let problem = compare(&sh, &ours, &rebuilt, &recorded).unwrap();
        assert!(problem.contains("fails its hash check"), "{problem}");
        assert!(!problem.contains("diffoscope"), "{problem}");
    }
}
