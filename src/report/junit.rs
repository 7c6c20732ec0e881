//! `--format junit`: JUnit XML, which every CI shows as a test report.
//!
//! The usual shape (Jenkins, GitLab, Azure DevOps, the surefire schema):
//! `<testsuites>` with one `<testsuite>` per rule and one `<testcase>` per
//! rule and resource it looked at (`classname` the rule id, `name` the
//! resource, `file` and `line` its place). A resource with findings fails:
//! one `<failure>` whose `message` is the first finding's and whose text
//! lists each with file, line and message. A resource whose findings are all
//! suppressed is `<skipped>` with the reason. Scan errors are `<error>`s of
//! a suite of their own. Counts on every suite add up, and the XML is
//! escaped by hand (five entities, and control characters XML 1.0 cannot
//! carry are dropped).

use super::RenderOptions;
use crate::finding::{Finding, RuleInfo, ScanResult};
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

    let mut body = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (rule_id, cases) in &suites {
        let rule = rules.get(rule_id);
        let suite_failures = cases.values().filter(|c| !c.active.is_empty()).count();
        let suite_skipped = cases
            .values()
            .filter(|c| c.active.is_empty() && !c.suppressed.is_empty())
            .count();
        // A rule that looked at nothing still shows, as one passing case, so
        // the report lists every rule that ran.
        let suite_tests = cases.len().max(1);
        tests += suite_tests;
        failures += suite_failures;
        skipped += suite_skipped;
        let name = match rule {
            Some(rule) => format!("{} {}", rule.id, rule.slug),
            None => rule_id.to_string(),
        };
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{suite_tests}\" failures=\"{suite_failures}\" errors=\"0\" skipped=\"{suite_skipped}\">",
            escape(&name)
        );
        if cases.is_empty() {
            let _ = writeln!(
                body,
                "    <testcase name=\"no resource of its types\" classname=\"{}\"/>",
                escape(rule_id)
            );
        }
        for case in cases.values() {
            write_case(&mut body, rule_id, case);
        }
        body.push_str("  </testsuite>\n");
    }
    if !result.errors.is_empty() {
        let n = result.errors.len();
        tests += n;
        let _ = writeln!(
            body,
            "  <testsuite name=\"scan errors\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">"
        );
        for error in &result.errors {
            let line = error
                .line
                .map(|l| format!(" line=\"{l}\""))
                .unwrap_or_default();
            let _ = writeln!(
                body,
                "    <testcase name=\"{file}\" classname=\"demarc.scan\" file=\"{file}\"{line}>\n      <error message=\"{message}\" type=\"scan error\">{text}</error>\n    </testcase>",
                file = escape(&error.file),
                message = escape(&error.message),
                text = escape_text(&error.to_string()),
            );
        }
        body.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"demarc\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{skipped}\">\n{body}</testsuites>\n",
        result.errors.len()
    )
}

fn write_case(out: &mut String, rule_id: &str, case: &Case) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
        escape(&case.resource),
        escape(rule_id),
        escape(&case.file),
        case.line
    );
    if let Some(first) = case.active.first() {
        let mut text = String::new();
        for f in &case.active {
            let _ = writeln!(
                text,
                "{}:{}:{}: [{}] {}",
                f.location.file,
                f.location.start_line,
                f.location.start_column,
                f.severity.name(),
                f.message
            );
        }
        if let Some(fix) = super::finding_fix(first) {
            let _ = writeln!(text, "fix: {}", super::first_paragraph(fix));
        }
        let _ = write!(
            out,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            escape(&format!(
                "{}:{}: {}",
                first.location.file, first.location.start_line, first.message
            )),
            first.severity.name(),
            escape_text(text.trim_end())
        );
    } else if let Some(first) = case.suppressed.first() {
        let reason = first
            .suppression
            .as_ref()
            .map(|s| s.reason.as_str())
            .unwrap_or("");
        let _ = write!(
            out,
            ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            escape(&format!("suppressed: {reason}"))
        );
    } else {
        out.push_str("/>\n");
    }
}

/// Text for an XML attribute or element: the five entities escaped, and
/// characters XML 1.0 cannot carry at all (most C0 controls) left out.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // In attributes a literal newline or tab would be normalized
            // to a space by parsers; the references keep them.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for element content: as [`escape`], but newlines and tabs stay
/// literal so the failure text reads as written.
pub fn escape_text(text: &str) -> String {
    escape(text).replace("&#10;", "\n").replace("&#9;", "\t")
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_text};

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#10;"
        );
        assert_eq!(escape_text("x\n\ty<"), "x\n\ty&lt;");
    }
}
