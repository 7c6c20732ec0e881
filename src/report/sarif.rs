//! `--format sarif`: SARIF 2.1.0 (errata01), one run, valid against the
//! official schema (design.md, "Output contracts").
//!
//! - `tool.driver.rules`: every rule that ran, in the given order (plus, at the
//!   end, any rule a finding names that the table lacks, so `ruleIndex` is
//!   always valid);
//! - `results`: one per finding, in the given order;
//! - `invocations[0]`: always present; scan errors and warnings become
//!   `toolExecutionNotifications` (levels `error` and `warning`);
//! - each result carries its fingerprint in `partialFingerprints`
//!   (`demarc/v1`), and a suppressed finding its `suppressions`, so code
//!   scanning shows it as dismissed rather than dropping it.
//!
//! Columns are counted in Unicode code points (`columnKind`), end exclusive,
//! which is what `Location` holds.

use super::RenderOptions;
use crate::finding::{Finding, Location, RuleInfo, ScanResult, Severity};
use crate::model::{Framework, ScanError};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(result, options))
        .expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// SARIF `level` for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` for a severity.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Info => "0.0",
    }
}

/// The SARIF log as a JSON value.
pub fn to_value(result: &ScanResult, options: &RenderOptions) -> Value {
    // The rule table: all rules run, then any rule only a finding knows.
    let mut rules: Vec<&RuleInfo> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let finding_rules = result.findings.iter().map(|f| &*f.rule);
    for rule in result.rules.iter().map(|r| &**r).chain(finding_rules) {
        if !index.contains_key(rule.id.as_str()) {
            index.insert(&rule.id, rules.len());
            rules.push(rule);
        }
    }

    let driver = json!({
        "name": "demarc",
        "version": options.tool_version,
        "rules": rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
    });
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|f| finding(f, index[f.rule.id.as_str()]))
        .collect();
    let invocation = json!({
        "executionSuccessful": result.errors.is_empty(),
        "toolExecutionNotifications": result
            .errors
            .iter()
            .map(|e| notification(e, "error"))
            .chain(result.warnings.iter().map(|w| notification(w, "warning")))
            .collect::<Vec<_>>(),
    });
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule(rule: &RuleInfo) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(rule.id));
    object.insert("name".into(), json!(rule.slug));
    object.insert("shortDescription".into(), json!({ "text": rule.summary }));
    let full = if rule.docs.what.trim().is_empty() {
        rule.summary.trim()
    } else {
        rule.docs.what.trim()
    };
    object.insert("fullDescription".into(), json!({ "text": full }));
    object.insert(
        "help".into(),
        json!({ "text": help_text(rule), "markdown": help_markdown(rule) }),
    );
    if let Some(uri) = &rule.help_uri {
        object.insert("helpUri".into(), json!(uri));
    }
    object.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(rule.severity) }),
    );
    let mut properties = Map::new();
    properties.insert(
        "security-severity".into(),
        json!(security_severity(rule.severity)),
    );
    let mut tags = vec!["security".to_string(), rule.layer.name().to_string()];
    if !rule.provider.is_empty() && !tags.contains(&rule.provider) {
        tags.push(rule.provider.clone());
    }
    properties.insert("tags".into(), json!(tags));
    properties.insert("precision".into(), json!("high"));
    if !rule.aliases.is_empty() {
        properties.insert("aliases".into(), json!(rule.aliases));
    }
    if !rule.compliance.is_empty() {
        let compliance: Vec<String> = rule
            .compliance
            .iter()
            .map(|(framework, control)| format!("{framework}: {control}"))
            .collect();
        properties.insert("compliance".into(), json!(compliance));
    }
    object.insert("properties".into(), Value::Object(properties));
    Value::Object(object)
}

/// Frameworks are named `terraform`/`cloudformation` in rule files; show them
/// the way their users write them.
fn framework_title(name: &str) -> String {
    for framework in Framework::ALL {
        if name.eq_ignore_ascii_case(framework.name()) {
            return match framework {
                Framework::Terraform => "Terraform".to_string(),
                Framework::Cloudformation => "CloudFormation".to_string(),
            };
        }
    }
    name.to_string()
}

fn help_text(rule: &RuleInfo) -> String {
    let docs = &rule.docs;
    let mut text = String::new();
    let mut section = |title: &str, body: &str| {
        let body = body.trim();
        if body.is_empty() {
            return;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let _ = write!(text, "{title}:\n{body}");
    };
    section("What it checks", &docs.what);
    section("Why it matters", &docs.why);
    for (framework, fix) in &docs.fix {
        section(&format!("How to fix ({})", framework_title(framework)), fix);
    }
    let references: Vec<String> = docs.references.iter().map(|r| format!("- {r}")).collect();
    section("References", &references.join("\n"));
    if text.is_empty() {
        text = rule.summary.trim().to_string();
    }
    text
}

fn help_markdown(rule: &RuleInfo) -> String {
    let docs = &rule.docs;
    let mut md = String::new();
    let mut section = |title: &str, body: &str| {
        let body = body.trim();
        if body.is_empty() {
            return;
        }
        if !md.is_empty() {
            md.push_str("\n\n");
        }
        let _ = write!(md, "## {title}\n\n{body}");
    };
    section("What it checks", &docs.what);
    section("Why it matters", &docs.why);
    if !docs.fix.is_empty() {
        let mut fixes = String::new();
        for (framework, fix) in &docs.fix {
            if !fixes.is_empty() {
                fixes.push_str("\n\n");
            }
            let _ = write!(
                fixes,
                "### {}\n\n{}",
                framework_title(framework),
                fix.trim()
            );
        }
        section("How to fix", &fixes);
    }
    let references: Vec<String> = docs
        .references
        .iter()
        .map(|r| {
            let r = r.trim();
            if r.starts_with("http://") || r.starts_with("https://") {
                format!("- <{r}>")
            } else {
                format!("- {r}")
            }
        })
        .collect();
    section("References", &references.join("\n"));
    if md.is_empty() {
        md = rule.summary.trim().to_string();
    }
    md
}

fn finding(finding: &Finding, rule_index: usize) -> Value {
    let physical = physical_location(&finding.location);
    // Where the value was set (a variable default, a tfvars entry, a
    // parameter default) when it came from elsewhere.
    let related: Vec<Value> = finding
        .provenance
        .iter()
        .enumerate()
        .map(|(id, step)| {
            json!({
                "id": id,
                "physicalLocation": physical_location(&step.location),
                "message": { "text": step.label },
            })
        })
        .collect();
    let mut result = result_object(finding, rule_index, physical);
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    if !finding.fingerprint.is_empty() {
        result["partialFingerprints"] = json!({ crate::fingerprint::SCHEME: finding.fingerprint });
    }
    if let Some(suppression) = &finding.suppression {
        result["suppressions"] = json!([{
            "kind": suppression.kind.sarif_name(),
            "justification": suppression.reason,
        }]);
    }
    if !finding.owners.is_empty() {
        result["properties"]["owners"] = json!(finding.owners);
    }
    result
}

fn physical_location(location: &Location) -> Value {
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), artifact_location(&location.file));
    if location.start_line >= 1 {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(location.start_line));
        if location.start_column >= 1 {
            region.insert("startColumn".into(), json!(location.start_column));
        }
        if location.end_line >= location.start_line {
            region.insert("endLine".into(), json!(location.end_line));
            if location.end_column >= 1 {
                region.insert("endColumn".into(), json!(location.end_column));
            }
        }
        physical.insert("region".into(), Value::Object(region));
    }
    Value::Object(physical)
}

fn result_object(finding: &Finding, rule_index: usize, physical: Value) -> Value {
    json!({
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": finding.message },
        "locations": [{ "physicalLocation": physical }],
        "properties": {
            "layer": finding.rule.layer.name(),
            "service_model": finding.service_model.name(),
            "owner": finding.owner.name(),
            "owner_reason": finding.owner_reason,
            "resource": finding.resource,
            "resource_type": finding.resource_type,
            "framework": finding.framework.name(),
            "severity": finding.severity.name(),
        },
    })
}

fn notification(error: &ScanError, level: &str) -> Value {
    let mut object = Map::new();
    object.insert("level".into(), json!(level));
    object.insert("message".into(), json!({ "text": error.message }));
    if !error.file.is_empty() {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), artifact_location(&error.file));
        if let Some(line) = error.line.filter(|&l| l >= 1) {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(line));
            if let Some(column) = error.column.filter(|&c| c >= 1) {
                region.insert("startColumn".into(), json!(column));
            }
            physical.insert("region".into(), Value::Object(region));
        }
        object.insert(
            "locations".into(),
            json!([{ "physicalLocation": Value::Object(physical) }]),
        );
    }
    Value::Object(object)
}

/// A file path as a SARIF `artifactLocation`: a relative path becomes a
/// percent-encoded relative URI against `%SRCROOT%`; an absolute path (a file
/// outside the current directory) becomes a `file://` URI.
fn artifact_location(path: &str) -> Value {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let is_drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", encode_path(&path)) })
    } else if is_drive {
        let (drive, rest) = path.split_at(2);
        json!({ "uri": format!("file:///{drive}{}", encode_path(rest)) })
    } else {
        json!({ "uri": encode_path(&path), "uriBaseId": SRCROOT })
    }
}

/// Percent-encodes everything but unreserved characters, `/` and the
/// sub-delimiters that are safe in a path. `:` is encoded too, so a relative
/// path never reads as a scheme.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_relative_and_are_encoded() {
        assert_eq!(
            artifact_location("infra/main.tf"),
            json!({ "uri": "infra/main.tf", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("my dir\\a:b#.tf"),
            json!({ "uri": "my%20dir/a%3Ab%23.tf", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("/abs/x.tf"),
            json!({ "uri": "file:///abs/x.tf" })
        );
        assert_eq!(
            artifact_location("C:\\x\\y.tf"),
            json!({ "uri": "file:///C:/x/y.tf" })
        );
    }
}
