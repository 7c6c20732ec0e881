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
//!
//! The log is built from serde-sarif's types, generated from the 2.1.0
//! schema, so a field name or nesting the schema does not have cannot be
//! written.

use super::splice::Spliced;
use super::RenderOptions;
use crate::finding::{Finding, Location, RuleInfo, ScanResult, Severity};
use crate::model::{Framework, ScanError};
use serde_json::{json, Value};
use serde_sarif::sarif;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    spliced(result, options).text()
}

/// Writes the log to `out` piece by piece (see [`super::json::write`]).
pub fn write(result: &ScanResult, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    spliced(result, options).write(out)
}

/// The results are most of a large log: rendered in parallel, each where
/// the run's `results` go.
fn spliced(result: &ScanResult, options: &RenderOptions) -> Spliced {
    let (log, rule_index) = log(result, options);
    let shell = serde_json::to_value(&log).expect("a SARIF log always serializes");
    Spliced::new(
        &result.findings,
        |f| finding(f, rule_index[f.rule.id.as_str()]),
        |results| {
            let mut shell = shell.clone();
            shell["runs"][0]["results"] = results;
            shell
        },
    )
}

/// SARIF `level` for a severity.
pub fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low | Severity::Info => sarif::ResultLevel::Note,
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

/// The SARIF log with an empty list of results, and the index of each
/// rule in its rule table.
fn log<'a>(
    result: &'a ScanResult,
    options: &RenderOptions,
) -> (sarif::Sarif, HashMap<&'a str, usize>) {
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

    let driver = sarif::ToolComponent::builder()
        .name("demarc")
        .version(options.tool_version.clone())
        .rules(rules.iter().map(|r| rule(r)).collect::<Vec<_>>())
        .build();
    let notifications: Vec<sarif::Notification> = result
        .errors
        .iter()
        .map(|e| notification(e, "error"))
        .chain(result.warnings.iter().map(|w| notification(w, "warning")))
        .collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(result.errors.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::from(driver))
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .results(Vec::new())
        .build();
    let log = sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    (log, index)
}

fn text(text: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(text)
        .build()
}

fn rule(rule: &RuleInfo) -> sarif::ReportingDescriptor {
    let full = if rule.docs.what.trim().is_empty() {
        rule.summary.trim()
    } else {
        rule.docs.what.trim()
    };
    let mut tags = vec!["security".to_string(), rule.layer.name().to_string()];
    if !rule.provider.is_empty() && !tags.contains(&rule.provider) {
        tags.push(rule.provider.clone());
    }
    // Compliance controls as tags (`cis-aws-3.0/5.2`), so code scanning can
    // filter alerts by the control they evidence.
    tags.extend(
        rule.compliance
            .iter()
            .map(|(framework, control)| format!("{framework}/{control}")),
    );
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_string(),
        json!(security_severity(rule.severity)),
    );
    properties.insert("precision".to_string(), json!("high"));
    if !rule.aliases.is_empty() {
        properties.insert("aliases".to_string(), json!(rule.aliases));
    }
    if !rule.compliance.is_empty() {
        let compliance: Vec<String> = rule
            .compliance
            .iter()
            .map(|(framework, control)| format!("{framework}: {control}"))
            .collect();
        properties.insert("compliance".to_string(), json!(compliance));
    }
    let mut descriptor = sarif::ReportingDescriptor::builder()
        .id(rule.id.as_str())
        .name(rule.slug.as_str())
        .short_description(text(&rule.summary))
        .full_description(text(full))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(help_text(rule))
                .markdown(help_markdown(rule))
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags)
                .additional_properties(properties)
                .build(),
        )
        .build();
    descriptor.help_uri = rule.help_uri.clone();
    descriptor
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

fn finding(finding: &Finding, rule_index: usize) -> sarif::Result {
    let mut properties = BTreeMap::new();
    let mut property = |name: &str, value: Value| {
        properties.insert(name.to_string(), value);
    };
    property("layer", json!(finding.rule.layer.name()));
    property("service_model", json!(finding.service_model.name()));
    property("owner", json!(finding.owner.name()));
    property("owner_reason", json!(finding.owner_reason));
    property("resource", json!(finding.resource));
    property("resource_type", json!(finding.resource_type));
    if let Some(generated) = &finding.generated {
        property("generated", json!(generated));
    }
    property("framework", json!(finding.framework.name()));
    property("severity", json!(finding.severity.name()));
    if !finding.owners.is_empty() {
        property("owners", json!(finding.owners));
    }
    if let Some(source) = finding.owners_from {
        property("owners_from", json!(source.name()));
    }
    property("unowned", json!(finding.is_unowned()));
    let location = sarif::Location::builder()
        .physical_location(physical_location(&finding.location))
        .build();
    let mut result = sarif::Result::builder()
        .rule_id(finding.rule.id.as_str())
        .rule_index(rule_index as i64)
        .level(level(finding.severity))
        .message(sarif::Message::from(&finding.message))
        .locations(vec![location])
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build();
    // Where the value was set (a variable default, a tfvars entry, a
    // parameter default) when it came from elsewhere.
    if !finding.provenance.is_empty() {
        let related = finding.provenance.iter().enumerate().map(|(id, step)| {
            sarif::Location::builder()
                .id(id as i64)
                .physical_location(physical_location(&step.location))
                .message(sarif::Message::from(&step.label))
                .build()
        });
        result.related_locations = Some(related.collect());
    }
    if !finding.fingerprint.is_empty() {
        result.partial_fingerprints = Some(BTreeMap::from([(
            crate::fingerprint::SCHEME.to_string(),
            finding.fingerprint.clone(),
        )]));
    }
    if let Some(suppression) = &finding.suppression {
        result.suppressions = Some(vec![sarif::Suppression::builder()
            .kind(json!(suppression.kind.sarif_name()))
            .justification(suppression.reason.as_str())
            .build()]);
    }
    result
}

/// A region from a start line (and optionally a start column and an end),
/// `None` when the line is unknown.
fn region(start: (usize, usize), end: Option<(usize, usize)>) -> Option<sarif::Region> {
    let (line, column) = start;
    if line < 1 {
        return None;
    }
    let mut region = sarif::Region::builder().start_line(line as i64).build();
    region.start_column = (column >= 1).then_some(column as i64);
    if let Some((end_line, end_column)) = end.filter(|&(end_line, _)| end_line >= line) {
        region.end_line = Some(end_line as i64);
        region.end_column = (end_column >= 1).then_some(end_column as i64);
    }
    Some(region)
}

fn physical_location(location: &Location) -> sarif::PhysicalLocation {
    let mut physical = sarif::PhysicalLocation::builder()
        .artifact_location(artifact_location(&location.file))
        .build();
    physical.region = region(
        (location.start_line, location.start_column),
        Some((location.end_line, location.end_column)),
    );
    physical
}

fn notification(error: &ScanError, level: &str) -> sarif::Notification {
    let mut notification = sarif::Notification::builder()
        .level(json!(level))
        .message(sarif::Message::from(&error.message))
        .build();
    if !error.file.is_empty() {
        let mut physical = sarif::PhysicalLocation::builder()
            .artifact_location(artifact_location(&error.file))
            .build();
        physical.region = error
            .line
            .and_then(|line| region((line, error.column.unwrap_or(0)), None));
        notification.locations = Some(vec![sarif::Location::builder()
            .physical_location(physical)
            .build()]);
    }
    notification
}

/// A file path as a SARIF `artifactLocation`: a relative path becomes a
/// percent-encoded relative URI against `%SRCROOT%`; an absolute path (a file
/// outside the current directory) becomes a `file://` URI.
fn artifact_location(path: &str) -> sarif::ArtifactLocation {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let is_drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    let uri = |uri: String| sarif::ArtifactLocation::builder().uri(uri).build();
    if path.starts_with('/') {
        uri(format!("file://{}", encode_path(&path)))
    } else if is_drive {
        let (drive, rest) = path.split_at(2);
        uri(format!("file:///{drive}{}", encode_path(rest)))
    } else {
        sarif::ArtifactLocation::builder()
            .uri(encode_path(&path))
            .uri_base_id(SRCROOT)
            .build()
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

    fn artifact_location(path: &str) -> Value {
        serde_json::to_value(super::artifact_location(path)).unwrap()
    }

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
