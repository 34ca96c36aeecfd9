//! What git says of the checkout a release is built from: its commit, its time (the archive
//! timestamp), and the files that differ from it.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

/// The archive timestamp: SOURCE_DATE_EPOCH, else the last commit's time, so that the same
/// commit always gives the same archives.
pub fn source_date_epoch(sh: &Shell) -> Result<u64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") {
        return value
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH=`{value}` is not a number of seconds"));
    }
    let time = cmd!(sh, "git log -1 --format=%ct").quiet().ignore_stderr().read().context(
        "no commit to take the archive timestamp from: commit first, or set SOURCE_DATE_EPOCH",
    )?;
    time.trim().parse().with_context(|| format!("`git log` printed `{time}`, not a time"))
}

/// What `git status` lists: changes and untracked files, which the commit does not hold.
pub fn dirty_files(sh: &Shell) -> Vec<String> {
    let status =
        cmd!(sh, "git status --porcelain").quiet().ignore_stderr().read().unwrap_or_default();
    let mut files: Vec<String> =
        status.lines().filter_map(|l| l.get(3..)).map(str::to_string).collect();
    files.sort();
    files
}

pub fn commit(sh: &Shell) -> Option<String> {
    cmd!(sh, "git rev-parse HEAD").quiet().ignore_stderr().read().ok()
}
