//! What dist tells: status lines for people (cargo's style), or one JSON object per line for
//! programs, and the summary table at the end, whose JSON form bench reads.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::builder::Builder;
use crate::manifest::TargetEntry;

/// The last JSON message of a dist run, which bench reads.
#[derive(Serialize, Deserialize)]
pub struct Summary {
    pub reason: String,
    pub seconds: f64,
    /// Wall time while any compiler ran: what the rest of dist adds is measured against it.
    pub build_seconds: f64,
    pub targets: Vec<SummaryTarget>,
    /// The minisign public key of the signatures; `None`: unsigned.
    pub signed_with: Option<String>,
    /// How long each release-wide step took.
    pub release_step_seconds: Vec<(String, f64)>,
}

#[derive(Serialize, Deserialize)]
pub struct SummaryTarget {
    pub target: String,
    pub builder: Builder,
    pub build_seconds: Option<f64>,
    /// Wall time of each step that ran, by step name (`deb`, `rpm`, ...).
    #[serde(default)]
    pub step_seconds: BTreeMap<String, f64>,
    pub entry: Option<TargetEntry>,
    pub error: Option<String>,
}

/// The columns of the summary table.
const COLUMNS: [&str; 8] =
    ["TARGET", "BUILDER", "BINARY", "ARCHIVE", "LINKAGE", "NEEDS GLIBC", "SHA256", "RESULT"];

/// Status lines for people (cargo's style) or one JSON object per line for programs.
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn status(&self, verb: &str, subject: &str, detail: &str) {
        let json = serde_json::json!({
            "reason": "status", "step": verb.to_lowercase(), "target": subject, "detail": detail
        });
        self.line(json, &format!("{verb:>12} {subject}: {detail}"));
    }

    pub fn error(&self, target: &str, message: &str) {
        let json = serde_json::json!({ "reason": "error", "target": target, "message": message });
        self.line(json, &format!("{:>12} {target}: {message}", "error"));
    }

    /// `json` on stdout for programs, or `text` on stderr for people.
    fn line(&self, json: serde_json::Value, text: &str) {
        if self.json { println!("{json}") } else { eprintln!("{text}") }
    }

    pub fn summary(&self, summary: &Summary) {
        if self.json {
            println!("{}", serde_json::to_string(summary).expect("the summary serializes"));
            return;
        }
        let mut rows = Vec::new();
        for t in &summary.targets {
            let mut row = vec![t.target.clone(), t.builder.to_string()];
            row.extend(match &t.entry {
                Some(e) => [
                    e.binary.size.to_string(),
                    e.archive().size.to_string(),
                    e.binary.linkage.clone(),
                    e.binary.glibc_max.clone().unwrap_or_else(|| "-".into()),
                    e.archive().sha256.chars().take(12).collect(),
                    "ok".to_string(),
                ],
                None => ["-", "-", "-", "-", "-", "FAILED"].map(String::from),
            });
            rows.push(row);
        }
        println!();
        crate::util::print_table(&COLUMNS, &rows);
        let signed = match &summary.signed_with {
            Some(key) => format!("signed with minisign key {key}"),
            None => "unsigned (no MINISIGN_KEY_FILE or MINISIGN_KEY)".to_string(),
        };
        println!("\n{} target(s) in {:.1}s, {signed}", summary.targets.len(), summary.seconds);
    }
}

/// When a target's compiler started and finished.
pub type BuildSpan = (Instant, Instant);

/// The summary of a run, from how each target ended and when its compiler ran.
pub fn summarize(ended: Vec<(SummaryTarget, Option<BuildSpan>)>, started: Instant) -> Summary {
    let spans = ended.iter().filter_map(|e| e.1);
    let first = spans.clone().map(|s| s.0).min();
    let last = spans.map(|s| s.1).max();
    Summary {
        reason: "summary".into(),
        seconds: started.elapsed().as_secs_f64(),
        build_seconds: first.zip(last).map_or(0.0, |(first, last)| (last - first).as_secs_f64()),
        targets: ended.into_iter().map(|e| e.0).collect(),
        signed_with: None,
        release_step_seconds: Vec::new(),
    }
}
