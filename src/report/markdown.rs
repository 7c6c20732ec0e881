//! `--format markdown`: a pull-request comment (GitHub or GitLab flavoured
//! Markdown).
//!
//! Totals first, then the responsibility matrix, then the findings grouped
//! by owning team (CODEOWNERS; findings without one together at the end)
//! and, within a team, by layer; the most severe first everywhere; each
//! finding a one-line `<details>` summary that opens on the message,
//! resource, attribution and fix. Then, with `--compliance`, each
//! framework's totals and controls; then errors and warnings. Suppressed
//! findings are counted, not listed. A report longer than a GitHub comment
//! may be is cut to what fits (failing controls, the most severe findings,
//! then the rest), with a note.
//!
//! Text that comes from the scanned files (messages, values, resource
//! names, paths) is escaped: HTML inside `<code>` and `<summary>`, Markdown
//! punctuation elsewhere, so a hostile value cannot break the layout or
//! inject markup. Rule documentation is the rules' own Markdown.

use super::summary::{plural, Summary};
use super::RenderOptions;
use crate::finding::{Finding, Layer, ScanResult, ServiceModel, Severity};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where findings without a CODEOWNERS team are listed.
pub const NO_TEAM: &str = "Unowned (no team in .demarc.yaml owners or CODEOWNERS)";

/// The longest comment GitHub accepts is 65,536 characters. Bytes are
/// counted here, never fewer than characters (or UTF-16 units), so a
/// report within this fits.
pub const MAX_COMMENT_BYTES: usize = 65_536;

pub fn render(result: &ScanResult, _options: &RenderOptions) -> String {
    render_within(result, MAX_COMMENT_BYTES)
}

/// The report in at most `limit` bytes when it can be. When the whole of
/// it is longer, the summary and the compliance totals stay, then as many
/// as fit of, in turn: the failing compliance controls, the findings (the
/// most severe first), the other controls (passing first), the errors and
/// the warnings. A note says what was left out and where to find it.
pub fn render_within(result: &ScanResult, limit: usize) -> String {
    let summary = Summary::of(result);
    let mut findings: Vec<&Finding> = result.active_findings().collect();
    findings.sort_by(|a, b| {
        (Reverse(a.severity), a.sort_key()).cmp(&(Reverse(b.severity), b.sort_key()))
    });
    let all = Shown {
        findings: findings.len(),
        controls: result.compliance.iter().map(|r| r.controls.len()).sum(),
        errors: result.errors.len(),
        warnings: result.warnings.len(),
    };
    let compose = |shown: Shown| compose(result, &summary, &findings, shown, all);
    let whole = compose(all);
    if whole.len() <= limit {
        return whole;
    }
    let fits = |shown: Shown| compose(shown).len() <= limit;
    let mut shown = Shown::default();
    let failing = super::compliance::failing(&result.compliance);
    shown.controls = most_that_fit(failing, |n| {
        fits(Shown {
            controls: n,
            ..shown
        })
    });
    shown.findings = most_that_fit(all.findings, |n| {
        fits(Shown {
            findings: n,
            ..shown
        })
    });
    if shown.controls == failing {
        shown.controls += most_that_fit(all.controls - failing, |n| {
            fits(Shown {
                controls: failing + n,
                ..shown
            })
        });
    }
    shown.errors = most_that_fit(all.errors, |n| fits(Shown { errors: n, ..shown }));
    shown.warnings = most_that_fit(all.warnings, |n| {
        fits(Shown {
            warnings: n,
            ..shown
        })
    });
    compose(shown)
}

/// How many findings, compliance controls (over all frameworks, failing
/// ones first), errors and warnings a comment lists.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Shown {
    findings: usize,
    controls: usize,
    errors: usize,
    warnings: usize,
}

/// The largest `n <= max` that `fits`, by bisection (a comment grows with
/// what it lists); 0 when none does.
fn most_that_fit(max: usize, fits: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, max);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if fits(middle) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    low
}

/// The comment listing the first `shown` of `findings` (in order of
/// severity), errors and warnings.
fn compose(
    result: &ScanResult,
    summary: &Summary,
    findings: &[&Finding],
    shown: Shown,
    all: Shown,
) -> String {
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
    let _ = writeln!(out, "{}\n", totals_line(summary));
    if let Some(b) = summary.baseline {
        let _ = writeln!(
            out,
            "Baseline: {} new · {} already in the baseline (not counted) · {} in the baseline no longer found\n",
            b.new, b.matched, b.gone
        );
    }
    if shown != all {
        write_left_out(&mut out, shown, all);
    }
    if summary.total > 0 {
        write_severity_table(&mut out, summary);
        write_matrix(&mut out, summary);
        write_findings(&mut out, &findings[..shown.findings]);
    }
    let listed = super::compliance::listed(&result.compliance, shown.controls);
    out.push_str(&super::compliance::markdown(&result.compliance, &listed));
    write_problems(&mut out, "Errors", &result.errors[..shown.errors]);
    write_problems(&mut out, "Warnings", &result.warnings[..shown.warnings]);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The note on what a comment cut to size leaves out.
fn write_left_out(out: &mut String, shown: Shown, all: Shown) {
    let parts: Vec<String> = [
        (shown.findings, all.findings, "finding", "findings"),
        (
            shown.controls,
            all.controls,
            "compliance control",
            "compliance controls",
        ),
        (shown.errors, all.errors, "error", "errors"),
        (shown.warnings, all.warnings, "warning", "warnings"),
    ]
    .into_iter()
    .filter(|(shown, all, _, _)| shown < all)
    .map(|(shown, all, one, many)| format!("{} of {}", all - shown, plural(all, one, many)))
    .collect();
    let _ = writeln!(
        out,
        "> **Not shown:** {}, to keep this comment within GitHub's {} characters. \
The findings listed are the most severe, the controls listed the failing ones first. \
For the full report run `demarc scan --format text` (or `--format json`, `--format html`), \
or keep it as a CI artifact.\n",
        parts.join(", "),
        thousands(MAX_COMMENT_BYTES)
    );
}

/// `65,536`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
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
    if summary.unowned > 0 {
        let _ = write!(line, " · {} unowned", summary.unowned);
    }
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

/// `findings`, most severe first, grouped by team (sorted, the team-less
/// group last) and within a team by layer (the layer with the most severe
/// finding first).
fn write_findings(out: &mut String, findings: &[&Finding]) {
    type Layers<'a> = Vec<(Layer, Vec<&'a Finding>)>;
    let mut teams: BTreeMap<(bool, String), Layers> = BTreeMap::new();
    for &finding in findings {
        let team = if finding.owners.is_empty() {
            (true, NO_TEAM.to_string())
        } else {
            (false, finding.owners.join(", "))
        };
        let layers = teams.entry(team).or_default();
        // Findings come most severe first, so a layer's first finding is
        // its most severe and layers are added in order of severity.
        match layers
            .iter_mut()
            .find(|(layer, _)| *layer == finding.rule.layer)
        {
            Some((_, group)) => group.push(finding),
            None => layers.push((finding.rule.layer, vec![finding])),
        }
    }
    if teams.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Findings by team\n");
    for ((_, team), layers) in &teams {
        let count: usize = layers.iter().map(|(_, group)| group.len()).sum();
        let _ = writeln!(out, "#### {} ({count})\n", escape_md(team));
        for (layer, group) in layers {
            let _ = writeln!(out, "**{}** ({})\n", layer.name(), group.len());
            for finding in group {
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
    if let Some(generated) = &finding.generated {
        let _ = writeln!(out, "- **Generated:** {}", escape_md(&generated.describe()));
    }
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
