//! `--format markdown`: a pull-request comment (GitHub or GitLab flavoured
//! Markdown).
//!
//! Totals first, then the responsibility matrix, then the findings grouped
//! by owning team (CODEOWNERS; findings without one together at the end)
//! and, within a team, by layer; each finding a one-line `<details>`
//! summary that opens on the message, resource, attribution and fix. Then
//! errors and warnings. Suppressed findings are counted, not listed.
//!
//! Text that comes from the scanned files (messages, values, resource
//! names, paths) is escaped: HTML inside `<code>` and `<summary>`, Markdown
//! punctuation elsewhere, so a hostile value cannot break the layout or
//! inject markup. Rule documentation is the rules' own Markdown.

use super::summary::{plural, Summary};
use super::RenderOptions;
use crate::finding::{Finding, Layer, ScanResult, ServiceModel, Severity};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where findings without a CODEOWNERS team are listed.
pub const NO_TEAM: &str = "No CODEOWNERS team";

pub fn render(result: &ScanResult, _options: &RenderOptions) -> String {
    let summary = Summary::of(result);
    let mut out = String::new();
    if summary.total == 0 {
        let _ = writeln!(out, "## demarc: no findings\n");
    } else {
        let _ = writeln!(
            out,
            "## demarc: {}\n",
            plural(summary.total, "finding", "findings")
        );
    }
    let _ = writeln!(out, "{}\n", totals_line(&summary));
    if let Some(b) = summary.baseline {
        let _ = writeln!(
            out,
            "Baseline: {} new · {} already in the baseline (not counted) · {} in the baseline no longer found\n",
            b.new, b.matched, b.gone
        );
    }
    if summary.total > 0 {
        write_severity_table(&mut out, &summary);
        write_matrix(&mut out, &summary);
        write_findings(&mut out, result);
    }
    write_problems(&mut out, "Errors", &result.errors);
    write_problems(&mut out, "Warnings", &result.warnings);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn totals_line(summary: &Summary) -> String {
    let nonzero: Vec<String> = summary
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.name()))
        .collect();
    let mut line = if summary.total == 0 {
        format!("No findings {}", summary.where_found())
    } else {
        format!(
            "**{}** ({}) {}",
            plural(summary.total, "finding", "findings"),
            nonzero.join(", "),
            summary.where_found()
        )
    };
    for count in super::summary::side_counts(summary) {
        let _ = write!(line, " · {count}");
    }
    line
}

fn write_severity_table(out: &mut String, summary: &Summary) {
    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
    let _ = writeln!(out, "| severity | {} |", names.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(names.len()));
    let counts: Vec<String> = summary
        .by_severity
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    let _ = writeln!(out, "| findings | {} |\n", counts.join(" | "));
}

fn write_matrix(out: &mut String, summary: &Summary) {
    let _ = writeln!(out, "### Responsibility matrix\n");
    let models: Vec<&str> = ServiceModel::ALL.iter().map(|m| m.name()).collect();
    let _ = writeln!(out, "| layer | {} | total |", models.join(" | "));
    let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(models.len()));
    for layer in Layer::ALL {
        let cells: Vec<String> = ServiceModel::ALL
            .iter()
            .map(|m| summary.cell(layer, *m).to_string())
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            layer.name(),
            cells.join(" | "),
            summary.layer_count(layer)
        );
    }
    let totals: Vec<String> = ServiceModel::ALL
        .iter()
        .map(|m| summary.model_count(*m).to_string())
        .collect();
    let _ = writeln!(
        out,
        "| **total** | {} | {} |\n",
        totals.join(" | "),
        summary.total
    );
}

fn write_findings(out: &mut String, result: &ScanResult) {
    // team → layer → findings; teams sorted, the team-less group last.
    let mut teams: BTreeMap<(bool, String), BTreeMap<Layer, Vec<&Finding>>> = BTreeMap::new();
    for finding in result.active_findings() {
        let team = if finding.owners.is_empty() {
            (true, NO_TEAM.to_string())
        } else {
            (false, finding.owners.join(", "))
        };
        teams
            .entry(team)
            .or_default()
            .entry(finding.rule.layer)
            .or_default()
            .push(finding);
    }
    let _ = writeln!(out, "### Findings by team\n");
    for ((_, team), layers) in &teams {
        let count: usize = layers.values().map(Vec::len).sum();
        let _ = writeln!(out, "#### {} ({count})\n", escape_md(team));
        for (layer, findings) in layers {
            let _ = writeln!(out, "**{}** ({})\n", layer.name(), findings.len());
            for finding in findings {
                write_finding(out, finding);
            }
        }
    }
}

fn write_finding(out: &mut String, finding: &Finding) {
    let rule = &finding.rule;
    let l = &finding.location;
    let _ = writeln!(
        out,
        "<details>\n<summary>{} <b>{}</b> {} {} — <code>{}:{}</code></summary>\n",
        icon(finding.severity),
        finding.severity.name(),
        escape_html(&rule.id),
        escape_html(rule.summary.trim()),
        escape_html(&l.file),
        l.start_line
    );
    let _ = writeln!(out, "- **Finding:** {}", escape_md(&finding.message));
    let _ = writeln!(
        out,
        "- **Resource:** <code>{}</code> (<code>{}</code>)",
        escape_html(&finding.resource),
        escape_html(&finding.resource_type)
    );
    let _ = writeln!(
        out,
        "- **Where:** <code>{}:{}:{}</code>",
        escape_html(&l.file),
        l.start_line,
        l.start_column
    );
    for step in &finding.provenance {
        let _ = writeln!(
            out,
            "  - {} at <code>{}:{}</code>",
            escape_md(&step.label),
            escape_html(&step.location.file),
            step.location.start_line
        );
    }
    let _ = writeln!(
        out,
        "- **Responsibility:** {} / {} ({}): {}",
        rule.layer.name(),
        finding.owner.name(),
        finding.service_model.name(),
        escape_md(finding.owner_reason.trim())
    );
    for note in &finding.notes {
        let _ = writeln!(out, "- **Note:** {}", escape_md(note));
    }
    if let Some(fix) = super::finding_fix(finding) {
        let _ = writeln!(out, "\n**How to fix**\n\n{fix}");
    }
    let _ = writeln!(out, "\nMore: `demarc explain {}`\n\n</details>\n", rule.id);
}

fn write_problems(out: &mut String, title: &str, problems: &[crate::model::ScanError]) {
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(out, "### {title}\n");
    for p in problems {
        let _ = writeln!(out, "- {}", escape_md(&p.to_string()));
    }
    out.push('\n');
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴",
        Severity::High => "🟠",
        Severity::Medium => "🟡",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

/// Text inside HTML (`<code>`, `<summary>`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Markdown emphasis and code spans still apply to the text
            // between inline HTML tags (`_` only between words, which
            // does not emphasize).
            '*' => out.push_str("&#42;"),
            '`' => out.push_str("&#96;"),
            '|' => out.push_str("&#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Plain Markdown text: punctuation that could start markup is escaped,
/// HTML is neutralized and line breaks become spaces.
pub fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(
            escape_md("Principal \"*\" <img src=x> | `x` [a](b)"),
            "Principal \"\\*\" &lt;img src=x&gt; \\| \\`x\\` \\[a\\](b)"
        );
        assert_eq!(escape_html("<b>a_b*</b>"), "&lt;b&gt;a_b&#42;&lt;/b&gt;");
    }
}
