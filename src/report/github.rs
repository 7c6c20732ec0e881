//! `--format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the pull request's changed lines.
//!
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::MESSAGE`
//! for critical and high findings, `::warning` for medium, `::notice` for low
//! and info; scan errors are `::error` and warnings `::warning`. Message data
//! escapes `%`, `\r` and `\n`; property values also `:` and `,` (the
//! runner's own escaping, as in `@actions/core`). A plain summary line ends
//! the output for the job log. Suppressed findings are left out.

use super::summary::{plural, Summary};
use super::RenderOptions;
use crate::finding::{Finding, ScanResult, Severity};
use crate::model::ScanError;
use std::fmt::Write as _;

pub fn render(result: &ScanResult, _options: &RenderOptions) -> String {
    let mut out = String::new();
    for finding in result.active_findings() {
        out.push_str(&finding_command(finding));
        out.push('\n');
    }
    for error in &result.errors {
        out.push_str(&problem_command("error", error));
        out.push('\n');
    }
    for warning in &result.warnings {
        out.push_str(&problem_command("warning", warning));
        out.push('\n');
    }
    let summary = Summary::of(result);
    let _ = writeln!(
        out,
        "demarc: {} {}; {} suppressed; {}",
        plural(summary.total, "finding", "findings"),
        summary.where_found(),
        summary.suppressed,
        plural(summary.errors, "error", "errors"),
    );
    out
}

/// The annotation level for a severity.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn finding_command(finding: &Finding) -> String {
    let l = &finding.location;
    let title = format!(
        "{} [{}] {}",
        finding.rule.id,
        finding.severity.name(),
        finding.rule.summary.trim()
    );
    let mut message = format!(
        "{}\n{}/{} ({}) · {}",
        finding.message,
        finding.rule.layer.name(),
        finding.owner.name(),
        finding.service_model.name(),
        finding.resource_described()
    );
    let _ = write!(message, "\n{}", super::summary::team_line(finding));
    for note in &finding.notes {
        let _ = write!(message, "\nnote: {note}");
    }
    if let Some(fix) = super::finding_fix(finding) {
        let _ = write!(message, "\nFix: {}", super::first_paragraph(fix));
    }
    let mut properties = vec![
        ("file", l.file.clone()),
        ("line", l.start_line.to_string()),
        ("col", l.start_column.to_string()),
    ];
    if l.end_line >= l.start_line {
        properties.push(("endLine", l.end_line.to_string()));
        properties.push(("endColumn", l.end_column.to_string()));
    }
    properties.push(("title", title));
    format_command(command(finding.severity), &properties, &message)
}

fn problem_command(level: &str, problem: &ScanError) -> String {
    let mut properties = Vec::new();
    if !problem.file.is_empty() {
        properties.push(("file", problem.file.clone()));
    }
    if let Some(line) = problem.line {
        properties.push(("line", line.to_string()));
    }
    if let Some(column) = problem.column {
        properties.push(("col", column.to_string()));
    }
    properties.push(("title", format!("demarc {level}")));
    format_command(level, &properties, &problem.message)
}

/// `::NAME key=value,key=value::message`, every part escaped.
pub fn format_command(name: &str, properties: &[(&str, String)], message: &str) -> String {
    let mut out = format!("::{name}");
    for (i, (key, value)) in properties.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        let _ = write!(out, "{key}={}", escape_property(value));
    }
    let _ = write!(out, "::{}", escape_data(message));
    out
}

/// Escapes a command's message (data).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: also `:` and `,`, which delimit properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties_as_the_runner_expects() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
        assert_eq!(
            format_command(
                "error",
                &[("file", "a,b:c.tf".into()), ("line", "3".into())],
                "x\ny"
            ),
            "::error file=a%2Cb%3Ac.tf,line=3::x%0Ay"
        );
    }
}
