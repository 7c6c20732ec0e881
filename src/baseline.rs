//! Baselines: gate only on what is new. `demarc baseline` records the
//! findings of today; `demarc scan --baseline FILE` then reports only those
//! not in it (the rest as suppressed, kind external) and counts the entries
//! that no longer occur, so a team can adopt demarc on an old repository
//! and pay the debt down.
//!
//! The file is JSON made to be committed and reviewed: entries sorted by
//! file, rule and resource; no line numbers and no timestamp, so it changes
//! only when the findings do.
//!
//! ```json
//! { "version": 1,
//!   "entries": [ { "fingerprint": "…", "rule_id": "AWS-EC2-001",
//!                  "file": "infra/main.tf", "resource": "aws_security_group.ssh" } ] }
//! ```

use crate::finding::{BaselineCounts, ScanResult, Suppression, SuppressionKind};
use crate::repo::RepoPaths;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

pub const BASELINE_VERSION: u64 = 1;

/// The reason every baselined finding carries.
pub const REASON: &str = "in baseline";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u64,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// Ordered first among the sort keys below it only for serde; entries
    /// are sorted by (file, rule_id, resource, fingerprint) before writing.
    pub fingerprint: String,
    pub rule_id: String,
    /// From the repository root (or as displayed, outside a repository).
    pub file: String,
    pub resource: String,
}

impl Baseline {
    /// The findings that count now (suppressed ones are already decided).
    pub fn of(result: &ScanResult, repo: &RepoPaths) -> Baseline {
        let mut entries: Vec<Entry> = result
            .active_findings()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule.id.clone(),
                file: repo.relative(&f.location.file),
                resource: f.resource.clone(),
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.file, &a.rule_id, &a.resource, &a.fingerprint).cmp(&(
                &b.file,
                &b.rule_id,
                &b.resource,
                &b.fingerprint,
            ))
        });
        entries.dedup();
        Baseline {
            version: BASELINE_VERSION,
            entries,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serializes");
        text.push('\n');
        text
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let shown = crate::discover::display_path(path);
        let text = crate::read::text(path, crate::repo::confinement(path).as_ref())
            .map_err(|e| format!("{shown}: cannot read the baseline: {e}"))?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{shown}:{}:{}: not a demarc baseline: {e}",
                e.line(),
                e.column()
            )
        })?;
        if baseline.version != BASELINE_VERSION {
            return Err(format!(
                "{shown}: baseline version {} is not supported (expected {BASELINE_VERSION}); write it again with `demarc baseline`",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Marks the findings the baseline holds as suppressed (external) and
    /// counts matched, new and gone. An entry is gone when its finding did
    /// not occur although its file was scanned (or no longer exists); entries
    /// of files outside this scan say nothing either way.
    pub fn apply(&self, result: &mut ScanResult, repo: &RepoPaths) {
        let known: HashSet<&str> = self
            .entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let mut counts = BaselineCounts::default();
        let mut occurring = HashSet::new();
        for finding in &mut result.findings {
            if known.contains(finding.fingerprint.as_str()) {
                occurring.insert(finding.fingerprint.clone());
                counts.matched += 1;
                if finding.suppression.is_none() {
                    finding.suppression = Some(Suppression {
                        kind: SuppressionKind::External,
                        reason: REASON.to_string(),
                        until: None,
                    });
                }
            } else if finding.is_active() {
                counts.new += 1;
            }
        }
        let scanned: BTreeSet<String> = result
            .scanned_files
            .iter()
            .map(|f| repo.relative(f))
            .collect();
        let exists = |file: &str| match repo.root() {
            Some(root) => root.join(file).exists(),
            None => Path::new(file).exists(),
        };
        counts.gone = self
            .entries
            .iter()
            .filter(|e| !occurring.contains(&e.fingerprint))
            .filter(|e| scanned.contains(&e.file) || !exists(&e.file))
            .count();
        result.baseline = Some(counts);
    }
}
