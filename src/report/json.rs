//! `--format json`: one object, `{"version": 1, "findings", "errors",
//! "warnings", "summary"}` (design.md, "Output contracts"). Keys keep a fixed
//! order. Suppressed findings are listed too, with `suppressed` saying why,
//! so an audit sees every decision; the summary counts only the others.

use super::splice::Spliced;
use super::summary::Summary;
use super::RenderOptions;
use crate::finding::{Finding, ScanResult};
use crate::model::ScanError;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Version of the JSON report's shape.
pub const JSON_VERSION: u64 = 1;

pub fn render(result: &ScanResult, _options: &RenderOptions) -> String {
    spliced(result).text()
}

/// Writes the report to `out` piece by piece, never whole in memory: a
/// large report is tens of megabytes, and building it in one buffer first
/// costs a serial copy and fresh pages for all of it.
pub fn write(result: &ScanResult, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    spliced(result).write(out)
}

/// The findings are most of a large report: rendered in parallel.
fn spliced(result: &ScanResult) -> Spliced {
    Spliced::new(&result.findings, finding, |findings| {
        Value::Object(report(result, findings))
    })
}

/// The report object, with `findings` as its findings.
fn report(result: &ScanResult, findings: Value) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("version".into(), json!(JSON_VERSION));
    object.insert("findings".into(), findings);
    object.insert(
        "errors".into(),
        Value::Array(result.errors.iter().map(error).collect()),
    );
    object.insert(
        "warnings".into(),
        Value::Array(result.warnings.iter().map(error).collect()),
    );
    object.insert("summary".into(), Summary::of(result).to_json());
    // Only with `--compliance`, so the report's shape is unchanged without it.
    if !result.compliance.is_empty() {
        object.insert(
            "compliance".into(),
            super::compliance::to_json(&result.compliance),
        );
    }
    object
}

fn finding(finding: &Finding) -> Value {
    let rule = &finding.rule;
    let location = &finding.location;
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_string(), value);
    };
    put("rule_id", json!(rule.id));
    put("slug", json!(rule.slug));
    put("summary", json!(rule.summary));
    put("severity", json!(finding.severity.name()));
    put("layer", json!(rule.layer.name()));
    put("service_model", json!(finding.service_model.name()));
    put("owner", json!(finding.owner.name()));
    put("framework", json!(finding.framework.name()));
    put("resource", json!(finding.resource));
    put("resource_type", json!(finding.resource_type));
    if let Some(generated) = &finding.generated {
        put("generated", json!(generated));
    }
    put("file", json!(location.file));
    put("start_line", json!(location.start_line));
    put("start_column", json!(location.start_column));
    put("end_line", json!(location.end_line));
    put("end_column", json!(location.end_column));
    put("message", json!(finding.message));
    put("owner_reason", json!(finding.owner_reason));
    put("value", json!(finding.value));
    put("provenance", json!(finding.provenance));
    put("aliases", json!(rule.aliases));
    put("help", json!(super::finding_fix(finding)));
    put("fingerprint", json!(finding.fingerprint));
    put("owners", json!(finding.owners));
    put("owners_from", json!(finding.owners_from.map(|s| s.name())));
    put("unowned", json!(finding.is_unowned()));
    put("suppressed", suppressed(finding));
    put("notes", json!(finding.notes));
    Value::Object(object)
}

/// `{kind, reason, until?}`, or null for a finding that counts.
fn suppressed(finding: &Finding) -> Value {
    let Some(s) = &finding.suppression else {
        return Value::Null;
    };
    let mut object = Map::new();
    object.insert("kind".into(), json!(s.kind.name()));
    object.insert("reason".into(), json!(s.reason));
    if let Some(until) = &s.until {
        object.insert("until".into(), json!(until));
    }
    Value::Object(object)
}

fn error(error: &ScanError) -> Value {
    json!({
        "file": error.file,
        "line": error.line,
        "column": error.column,
        "message": error.message,
    })
}
