//! `--format junit`: JUnit XML, which every CI shows as a test report.
//!
//! The usual shape (Jenkins, GitLab, Azure DevOps, the surefire schema):
//! `<testsuites>` with one `<testsuite>` per rule and one `<testcase>` per
//! rule and resource it looked at (`classname` the rule id, `name` the
//! resource, `file` and `line` its place). A resource with findings fails:
//! one `<failure>` whose `message` is the first finding's and whose text
//! lists each with file, line and message. A resource whose findings are all
//! suppressed is `<skipped>` with the reason. Scan errors are `<error>`s of
//! a suite of their own. Counts on every suite add up. The XML is written
//! by quick-junit (nextest's), which escapes it and drops what XML 1.0
//! cannot carry; a line break in an attribute reads back as a space, so the
//! failure text (element content) keeps the messages as written.

use super::RenderOptions;
use crate::finding::{Finding, RuleInfo, ScanResult};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One test case: a rule on a resource.
struct Case<'a> {
    resource: String,
    file: String,
    line: usize,
    active: Vec<&'a Finding>,
    suppressed: Vec<&'a Finding>,
}

pub fn render(result: &ScanResult, _options: &RenderOptions) -> String {
    // rule id → (resource, file) → case; BTreeMaps keep the output sorted.
    let mut suites: BTreeMap<&str, BTreeMap<(String, String), Case>> = BTreeMap::new();
    let mut rules: BTreeMap<&str, &RuleInfo> = BTreeMap::new();
    for rule in &result.rules {
        rules.insert(&rule.id, rule);
        suites.entry(&rule.id).or_default();
    }
    for checked in &result.checked {
        suites
            .entry(&checked.rule_id)
            .or_default()
            .entry((checked.resource.clone(), checked.file.clone()))
            .or_insert_with(|| Case {
                resource: checked.resource.clone(),
                file: checked.file.clone(),
                line: checked.line,
                active: Vec::new(),
                suppressed: Vec::new(),
            });
    }
    for finding in &result.findings {
        rules.entry(&finding.rule.id).or_insert(&finding.rule);
        let resource = &finding.resource_location;
        let case = suites
            .entry(&finding.rule.id)
            .or_default()
            .entry((finding.resource.clone(), resource.file.clone()))
            .or_insert_with(|| Case {
                resource: finding.resource.clone(),
                file: resource.file.clone(),
                line: resource.start_line,
                active: Vec::new(),
                suppressed: Vec::new(),
            });
        if finding.is_active() {
            case.active.push(finding);
        } else {
            case.suppressed.push(finding);
        }
    }

    let mut report = Report::new("demarc");
    for (rule_id, cases) in &suites {
        let name = match rules.get(rule_id) {
            Some(rule) => format!("{} {}", rule.id, rule.slug),
            None => rule_id.to_string(),
        };
        let mut suite = TestSuite::new(name);
        // A rule that looked at nothing still shows, as one passing case, so
        // the report lists every rule that ran.
        if cases.is_empty() {
            let mut case = TestCase::new("no resource of its types", TestCaseStatus::success());
            case.set_classname(*rule_id);
            suite.add_test_case(case);
        }
        suite.add_test_cases(cases.values().map(|case| test_case(rule_id, case)));
        report.add_test_suite(suite);
    }
    if !result.errors.is_empty() {
        let mut suite = TestSuite::new("scan errors");
        suite.add_test_cases(result.errors.iter().map(|error| {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(error.message.as_str())
                .set_type("scan error")
                .set_description(error.to_string());
            let mut case = TestCase::new(error.file.as_str(), status);
            case.set_classname("demarc.scan");
            case.extra.insert("file".into(), error.file.as_str().into());
            if let Some(line) = error.line {
                case.extra.insert("line".into(), line.to_string().into());
            }
            case
        }));
        report.add_test_suite(suite);
    }
    let mut xml = report
        .to_string()
        .expect("an in-memory JUnit report always serializes");
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

fn test_case(rule_id: &str, case: &Case) -> TestCase {
    let status = if let Some(first) = case.active.first() {
        let mut text = String::new();
        for f in &case.active {
            let _ = writeln!(
                text,
                "{}:{}:{}: [{}] {} ({})",
                f.location.file,
                f.location.start_line,
                f.location.start_column,
                f.severity.name(),
                f.message,
                super::summary::team_line(f)
            );
        }
        if let Some(fix) = super::finding_fix(first) {
            let _ = writeln!(text, "fix: {}", super::first_paragraph(fix));
        }
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!(
                "{}:{}: {}",
                first.location.file, first.location.start_line, first.message
            ))
            .set_type(first.severity.name())
            .set_description(text.trim_end());
        status
    } else if let Some(first) = case.suppressed.first() {
        let reason = first.suppression.as_ref().map_or("", |s| s.reason.as_str());
        let mut status = TestCaseStatus::skipped();
        status.set_message(format!("suppressed: {reason}"));
        status
    } else {
        TestCaseStatus::success()
    };
    let mut test_case = TestCase::new(case.resource.as_str(), status);
    test_case.set_classname(rule_id);
    test_case
        .extra
        .insert("file".into(), case.file.as_str().into());
    test_case
        .extra
        .insert("line".into(), case.line.to_string().into());
    test_case
}
