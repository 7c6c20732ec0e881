//! `--format gitlab`: a GitLab SAST report (security report schema 15.0.7),
//! which GitLab shows in the merge-request security widget and the
//! vulnerability report when a job publishes it as `artifacts:reports:sast`.
//!
//! One vulnerability per finding that counts (suppressed ones are decisions
//! already made): `id` the fingerprint in UUID form (stable, so GitLab
//! tracks a vulnerability across pipelines), `category` "sast", `name` the
//! rule summary, `description` what the rule checks and this finding's
//! message, `severity` capitalized, `solution` the fix, `location` the file
//! and lines, `identifiers` the demarc rule first (the primary identifier)
//! then its Checkov and Trivy/tfsec aliases. Scan errors (files that could
//! not be scanned: a partial error, level `warn`) and warnings (level
//! `info`) are `scan.messages`; `scan.status` stays "success" because
//! everything else was scanned and is reported (GitLab reads "failure" as a
//! scan that produced nothing usable).

use super::RenderOptions;
use crate::date::Timestamp;
use crate::finding::{Finding, Severity};
use serde_json::{json, Value};
use std::time::UNIX_EPOCH;

pub const SCHEMA_VERSION: &str = "15.0.7";
pub const SCHEMA_URI: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/sast-report-format.json";

/// The schema's length limits.
const MAX_NAME: usize = 255;
const MAX_SOLUTION: usize = 7000;

pub fn render(result: &crate::finding::ScanResult, options: &RenderOptions) -> String {
    let started = options.started.unwrap_or(UNIX_EPOCH);
    let ended = started + options.elapsed.unwrap_or_default();
    let tool = json!({
        "id": "demarc",
        "name": "demarc",
        "version": options.tool_version,
        "vendor": { "name": "demarc" },
    });
    let messages: Vec<Value> = result
        .errors
        .iter()
        .map(|e| json!({ "level": "warn", "value": e.to_string() }))
        .chain(
            result
                .warnings
                .iter()
                .map(|w| json!({ "level": "info", "value": w.to_string() })),
        )
        .collect();
    let report = json!({
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URI,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": Timestamp::of(started).iso8601(),
            "end_time": Timestamp::of(ended).iso8601(),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": result.active_findings().map(vulnerability).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&report).expect("a JSON value always serializes");
    text.push('\n');
    text
}

pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

fn vulnerability(finding: &Finding) -> Value {
    let rule = &finding.rule;
    let mut identifiers = vec![json!({
        "type": "demarc_rule_id",
        "name": format!("demarc {}", rule.id),
        "value": rule.id,
    })];
    for alias in &rule.aliases {
        let (kind, tool) = if alias.starts_with("CKV") {
            ("checkov_id", "Checkov")
        } else if alias.starts_with("AVD-") {
            ("trivy_id", "Trivy")
        } else {
            ("tfsec_id", "tfsec")
        };
        identifiers.push(json!({
            "type": kind,
            "name": format!("{tool} {alias}"),
            "value": alias,
        }));
    }
    // The compliance controls the rule evidences, one identifier each, typed
    // by framework (`cis-aws-3.0`), so GitLab can group vulnerabilities by them.
    for (framework, control) in &rule.compliance {
        identifiers.push(json!({
            "type": framework,
            "name": format!("{framework} {control}"),
            "value": control,
        }));
    }
    let description = format!(
        "{}\n\n{} ({}, layer {}, owner {})\n{}",
        rule.docs.what.trim(),
        finding.message,
        finding.resource_described(),
        rule.layer.name(),
        finding.owner.name(),
        super::summary::team_line(finding)
    );
    let mut object = json!({
        "id": uuid_form(&finding.fingerprint),
        "category": "sast",
        "name": truncate(rule.summary.trim(), MAX_NAME),
        "message": finding.message,
        "description": description.trim(),
        "severity": severity(finding.severity),
        "scanner": { "id": "demarc", "name": "demarc" },
        "location": {
            "file": finding.location.file,
            "start_line": finding.location.start_line,
            "end_line": finding.location.end_line.max(finding.location.start_line),
        },
        "identifiers": identifiers,
    });
    if let Some(fix) = super::finding_fix(finding) {
        object["solution"] = json!(truncate(fix, MAX_SOLUTION));
    }
    let links: Vec<Value> = rule
        .docs
        .references
        .iter()
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"))
        .map(|r| json!({ "url": r }))
        .collect();
    if !links.is_empty() {
        object["links"] = Value::Array(links);
    }
    object
}

/// 32 hex digits as `8-4-4-4-12`, the UUID form the schema recommends.
fn uuid_form(hex: &str) -> String {
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return if hex.is_empty() {
            "0".into()
        } else {
            hex.into()
        };
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// At most `max` characters, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}
