//! The compliance part of the text, Markdown and JSON reports
//! (`demarc scan --compliance FRAMEWORK`): each framework's controls with
//! their state in this scan. The evaluation is `crate::compliance`'s; this
//! only renders the [`ComplianceReport`]s a scan carries.

use crate::finding::{ComplianceReport, ControlReport, ControlState, Layer};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The `compliance` key of the JSON report.
pub fn to_json(reports: &[ComplianceReport]) -> Value {
    json!(reports)
}

/// `fail 3 · pass 5 · not_applicable 2 · not_checked 52`
fn status_counts(
    counts: &std::collections::BTreeMap<ControlState, usize>,
    states: &[ControlState],
) -> String {
    states
        .iter()
        .map(|s| format!("{} {}", s.name(), counts.get(s).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What a control rests on, in a few words: its rules and findings, or why
/// nothing checks it.
fn evidence(control: &ControlReport) -> String {
    match control.status {
        ControlState::Fail => format!(
            "{} {} of {}; {}",
            control.findings,
            if control.findings == 1 {
                "finding"
            } else {
                "findings"
            },
            control.rules.join(", "),
            resources(control)
        ),
        ControlState::Pass => format!("{}; {}", control.rules.join(", "), resources(control)),
        ControlState::NotApplicable => format!(
            "{}: no resource of the types they check",
            control.rules.join(", ")
        ),
        ControlState::NotChecked => control.status_reason.clone().unwrap_or_default(),
    }
}

fn resources(control: &ControlReport) -> String {
    match control.resources_checked.len() {
        1 => "1 resource examined".to_string(),
        n => format!("{n} resources examined"),
    }
}

/// Who answers for the failing findings: `owner: customer` (attribution),
/// then `teams: @org/net` (`owners:`, CODEOWNERS) when there are any, then
/// how many findings have no team.
fn owners(control: &ControlReport) -> String {
    let mut parts = Vec::new();
    if !control.finding_owners.is_empty() {
        let names: Vec<&str> = control.finding_owners.iter().map(|o| o.name()).collect();
        parts.push(format!("owner: {}", names.join(", ")));
    }
    if !control.owners.is_empty() {
        parts.push(format!("teams: {}", control.owners.join(" ")));
    }
    if control.unowned > 0 {
        parts.push(format!("{} unowned", control.unowned));
    }
    parts.join("; ")
}

/// The text report's section: per framework the totals, per layer, then the
/// controls that failed, passed or do not apply (the unchecked ones are
/// counted, not listed: they are most of a framework).
pub fn text(reports: &[ComplianceReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "Compliance: {} {} ({}, {} controls)",
            report.name,
            report.version,
            report.framework,
            report.controls.len()
        );
        let _ = writeln!(
            out,
            "  {}",
            status_counts(&report.totals.by_status, &ControlState::ALL)
        );
        // A control without rules has no layer: per layer, the checked states.
        for layer in Layer::ALL {
            if let Some(counts) = report.totals.by_layer.get(&layer) {
                let _ = writeln!(
                    out,
                    "  {:<12} {}",
                    layer.name(),
                    status_counts(counts, &ControlState::ALL[..3])
                );
            }
        }
        for state in [
            ControlState::Fail,
            ControlState::Pass,
            ControlState::NotApplicable,
        ] {
            for control in report.controls.iter().filter(|c| c.status == state) {
                let owner = owners(control);
                let _ = writeln!(
                    out,
                    "  {:<14} {:<10} {} ({}){}",
                    state.name(),
                    control.id,
                    control.title,
                    evidence(control),
                    if owner.is_empty() {
                        String::new()
                    } else {
                        format!(" {owner}")
                    }
                );
            }
        }
        out.push('\n');
    }
    out
}

/// A framework's controls in the order Markdown lists them: by state
/// (fail, pass, not_applicable, not_checked), each in the framework's order.
fn in_listing_order(report: &ComplianceReport) -> impl Iterator<Item = &ControlReport> {
    ControlState::ALL
        .into_iter()
        .flat_map(move |state| report.controls.iter().filter(move |c| c.status == state))
}

/// How many controls fail, over all frameworks.
pub fn failing(reports: &[ComplianceReport]) -> usize {
    reports
        .iter()
        .flat_map(|r| &r.controls)
        .filter(|c| c.status == ControlState::Fail)
        .count()
}

/// How many of each framework's controls Markdown lists when `shown` are
/// listed over all frameworks: every framework's failing controls first,
/// then the passing ones, and so on.
pub fn listed(reports: &[ComplianceReport], shown: usize) -> Vec<usize> {
    let mut counts = vec![0; reports.len()];
    let order = ControlState::ALL.into_iter().flat_map(|state| {
        reports.iter().enumerate().flat_map(move |(i, r)| {
            r.controls
                .iter()
                .filter(move |c| c.status == state)
                .map(move |_| i)
        })
    });
    for i in order.take(shown) {
        counts[i] += 1;
    }
    counts
}

/// The Markdown report's section: totals per framework, then its controls,
/// folded, failing ones first. `listed[i]` is how many of framework `i`'s
/// controls the table lists (fewer when a comment is cut to size; a line
/// then says which states were left out).
pub fn markdown(reports: &[ComplianceReport], listed: &[usize]) -> String {
    let mut out = String::new();
    for (report, &listed) in reports.iter().zip(listed) {
        let _ = writeln!(
            out,
            "### Compliance: {} {} (`{}`)\n",
            report.name, report.version, report.framework
        );
        let names: Vec<&str> = ControlState::ALL.iter().map(|s| s.name()).collect();
        let _ = writeln!(out, "| | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(names.len()));
        let row = |counts: &std::collections::BTreeMap<ControlState, usize>| {
            ControlState::ALL
                .iter()
                .map(|s| counts.get(s).copied().unwrap_or(0).to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let _ = writeln!(
            out,
            "| **all controls** | {} |",
            row(&report.totals.by_status)
        );
        for (layer, counts) in &report.totals.by_layer {
            let _ = writeln!(out, "| {} | {} |", layer.name(), row(counts));
        }
        let _ = writeln!(
            out,
            "\n<details><summary>{} controls</summary>\n",
            report.controls.len()
        );
        if listed > 0 {
            let _ = writeln!(
                out,
                "| control | title | status | responsibility (iaas/paas/saas) | evidence | owners |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|");
        }
        for control in in_listing_order(report).take(listed) {
            let r = &control.responsibility;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {}/{}/{} | {} | {} |",
                control.id,
                cell(&control.title),
                control.status.name(),
                r.iaas.name(),
                r.paas.name(),
                r.saas.name(),
                cell(&evidence(control)),
                cell(&owners(control))
            );
        }
        let left_out: Vec<&ControlReport> = in_listing_order(report).skip(listed).collect();
        if !left_out.is_empty() {
            let by_state: Vec<String> = ControlState::ALL
                .iter()
                .filter_map(|s| {
                    let n = left_out.iter().filter(|c| c.status == *s).count();
                    (n > 0).then(|| format!("{n} {}", s.name()))
                })
                .collect();
            let _ = writeln!(
                out,
                "\n_Not listed, to keep the comment within its limit: {} of {} controls ({}). \
The totals above count them; `--format json` or `--format html` lists every control._",
                left_out.len(),
                report.controls.len(),
                by_state.join(", ")
            );
        }
        out.push_str("\n</details>\n\n");
    }
    out
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{ComplianceTotals, ExaminedResource, Owner, Party, Responsibility};

    fn control(id: &str, status: ControlState) -> ControlReport {
        let checked = status != ControlState::NotChecked;
        ControlReport {
            id: id.to_string(),
            title: format!("Control {id} | piped"),
            section: "Networking".to_string(),
            responsibility: Responsibility {
                iaas: Party::Customer,
                paas: Party::Shared,
                saas: Party::Provider,
                reasoning: "why".to_string(),
            },
            checkable: checked,
            checkable_reason: (!checked).then(|| "a process".to_string()),
            status,
            status_reason: (!checked).then(|| "a customer process outside code: a process".into()),
            rules: if checked {
                vec!["AWS-EC2-001".to_string()]
            } else {
                Vec::new()
            },
            layers: if checked {
                vec![Layer::Network]
            } else {
                Vec::new()
            },
            findings: usize::from(status == ControlState::Fail) * 2,
            suppressed: 0,
            resources_checked: match status {
                ControlState::Fail | ControlState::Pass => vec![ExaminedResource {
                    file: "network/main.tf".into(),
                    line: 3,
                    resource: "aws_security_group.a".into(),
                }],
                _ => Vec::new(),
            },
            owners: if status == ControlState::Fail {
                vec!["@org/net".to_string()]
            } else {
                Vec::new()
            },
            unowned: usize::from(status == ControlState::Fail),
            finding_owners: if status == ControlState::Fail {
                vec![Owner::Shared]
            } else {
                Vec::new()
            },
        }
    }

    fn report() -> ComplianceReport {
        let controls: Vec<ControlReport> = ControlState::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| control(&format!("5.{}", i + 1), *s))
            .collect();
        let mut totals = ComplianceTotals::default();
        for c in &controls {
            *totals.by_status.entry(c.status).or_default() += 1;
            for layer in &c.layers {
                *totals
                    .by_layer
                    .entry(*layer)
                    .or_default()
                    .entry(c.status)
                    .or_default() += 1;
            }
        }
        ComplianceReport {
            framework: "test-1.0".to_string(),
            name: "Test Benchmark".to_string(),
            version: "1.0.0".to_string(),
            controls,
            totals,
        }
    }

    #[test]
    fn text_section_snapshot() {
        insta::assert_snapshot!(text(&[report()]));
    }

    #[test]
    fn markdown_section_snapshot() {
        insta::assert_snapshot!(markdown(&[report()], &[4]));
    }

    #[test]
    fn no_framework_renders_nothing() {
        assert_eq!(text(&[]), "");
        assert_eq!(markdown(&[], &[]), "");
    }

    /// Two frameworks whose controls come in the framework's order
    /// not_checked, pass, not_applicable, fail.
    fn two_reports() -> Vec<ComplianceReport> {
        let mut reports = vec![report(), report()];
        for r in &mut reports {
            r.controls.reverse();
            r.controls.swap(1, 2);
        }
        reports
    }

    #[test]
    fn controls_are_listed_failing_first_across_frameworks() {
        let reports = two_reports();
        assert_eq!(failing(&reports), 2);
        assert_eq!(listed(&reports, 0), [0, 0]);
        // Both frameworks' failing controls before either's passing one.
        assert_eq!(listed(&reports, 2), [1, 1]);
        assert_eq!(listed(&reports, 3), [2, 1]);
        assert_eq!(listed(&reports, 8), [4, 4]);
        assert_eq!(listed(&reports, 99), [4, 4]);
        let all = markdown(&reports[..1], &[4]);
        let rows: Vec<&str> = all
            .lines()
            .filter(|l| l.starts_with("| 5."))
            .map(|l| l.split(" | ").nth(2).unwrap())
            .collect();
        assert_eq!(rows, ["fail", "pass", "not_applicable", "not_checked"]);
    }

    #[test]
    fn a_cut_table_says_which_controls_it_left_out() {
        let section = markdown(&two_reports(), &[1, 0]);
        let (one, two) = section.split_at(section.rfind("### Compliance").unwrap());
        assert!(one.contains("| 5.1 | Control 5.1"), "{one}");
        assert!(!one.contains("| 5.2 |"), "{one}");
        assert!(
            one.contains("3 of 4 controls (1 pass, 1 not_applicable, 1 not_checked)"),
            "{one}"
        );
        // Nothing listed: no empty table, and the totals stay.
        assert!(!two.contains("| control |"), "{two}");
        assert!(
            two.contains("| **all controls** | 1 | 1 | 1 | 1 |"),
            "{two}"
        );
        assert!(two.contains("4 of 4 controls (1 fail, 1 pass"), "{two}");
    }
}
