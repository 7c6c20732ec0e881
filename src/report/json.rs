//! `--format json`: one object, `{"version": 1, "findings", "errors",
//! "warnings", "summary"}` (design.md, "Output contracts"). Keys keep a fixed
//! order. Suppressed findings are listed too, with `suppressed` saying why,
//! so an audit sees every decision; the summary counts only the others.

use super::summary::Summary;
use super::RenderOptions;
use crate::finding::{Finding, ScanResult};
use crate::model::ScanError;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Version of the JSON report's shape.
pub const JSON_VERSION: u64 = 1;

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    let mut text = Vec::new();
    write(result, options, &mut text).expect("writing to memory cannot fail");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Writes the report to `out` in pieces, never whole in memory: a large
/// report is tens of megabytes, and building it in one buffer first costs
/// a serial copy and fresh pages for all of it.
pub fn write(result: &ScanResult, _options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // The findings are most of a large report: each is rendered on its own,
    // in parallel, indented for its place in the array, and written where
    // a marker stands in the rest of the report, so the text is what
    // rendering the whole value gives.
    let findings: Vec<String> = result
        .findings
        .par_iter()
        .map(|f| {
            serde_json::to_string_pretty(&finding(f))
                .expect("a JSON value always serializes")
                .replace('\n', FINDING_INDENT)
        })
        .collect();
    let shell = serde_json::to_string_pretty(&report(result, json!(FINDINGS_MARKER)))
        .expect("a JSON value always serializes");
    // `findings` comes second, after `version`: its marker is the first.
    let marker = serde_json::to_string(FINDINGS_MARKER).expect("a string always serializes");
    let at = shell
        .find(&marker)
        .expect("the report holds the findings marker");
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(&shell.as_bytes()[..at])?;
    if findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        // As serde_json's pretty printer lays out an array one level deep.
        out.write_all(b"[\n    ")?;
        for (i, finding) in findings.iter().enumerate() {
            if i > 0 {
                out.write_all(ARRAY_SEPARATOR.as_bytes())?;
            }
            out.write_all(finding.as_bytes())?;
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(&shell.as_bytes()[at + marker.len()..])?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A line break inside a finding in the pretty-printed report: findings
/// sit two levels deep, two spaces a level.
const FINDING_INDENT: &str = "\n    ";

/// Between two findings of the pretty-printed array.
const ARRAY_SEPARATOR: &str = ",\n    ";

/// Stands for the findings array while the rest of the report renders: a
/// string no report holds before the findings, which come second.
const FINDINGS_MARKER: &str = "\u{1}findings\u{1}";

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
