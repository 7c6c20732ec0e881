//! A self-contained HTML report: one file with inline CSS and a few lines
//! of inline script, nothing fetched, so it opens from a CI artifact or an
//! email attachment. Everything reads without the script; the script only
//! adds the severity, layer, team and framework filters (the filter form is
//! `hidden` until the script reveals it). Print CSS drops the filters and
//! keeps every finding. All text from the scan (messages, values, file
//! names, source) is escaped.
//!
//! Sections: the summary, the layer × service-model matrix as a heat map,
//! the teams (from `.demarc.yaml` `owners:` and CODEOWNERS, unowned
//! included), a table per `--compliance` framework (each control's state,
//! rules, findings, resources examined, teams and responsibility; cards on
//! narrow screens), every counted finding with its source, provenance, fix
//! and controls, then errors and warnings.

use super::summary::{plural, Summary};
use super::RenderOptions;
use crate::finding::{
    ComplianceReport, ControlReport, ControlState, Finding, Layer, Location, ScanResult,
    ServiceModel, Severity,
};
use crate::model::ScanError;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The team name the per-team view and the filter give unowned findings.
const UNOWNED: &str = "unowned";
/// Lines longer than this are shown as a window around the finding.
const MAX_LINE_BYTES: usize = 240;
/// Bytes kept before the finding on such a line.
const LEAD_BYTES: usize = 60;
/// Lines of a finding's source shown at most (a whole resource can be long).
const MAX_SNIPPET_LINES: usize = 12;

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    let summary = Summary::of(result);
    let findings: Vec<&Finding> = result.active_findings().collect();
    let mut out = String::with_capacity(16 * 1024 + findings.len() * 2048);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No network, ever: the policy forbids any fetch, and inline code only.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
    let _ = writeln!(
        out,
        "<title>demarc report: {}</title>",
        esc(&plural(summary.total, "finding", "findings"))
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str("<a class=\"skip\" href=\"#findings\">Skip to findings</a>\n<main>\n");
    let _ = writeln!(
        out,
        "<header><h1>demarc report</h1><p class=\"meta\">demarc {}</p></header>",
        esc(&options.tool_version)
    );
    write_summary(&mut out, &summary);
    write_matrix(&mut out, &summary);
    write_teams(&mut out, &findings);
    for report in &result.compliance {
        write_compliance(&mut out, report);
    }
    write_findings(&mut out, result, &findings);
    write_problems(&mut out, "errors", "Errors", &result.errors);
    write_problems(&mut out, "warnings", "Warnings", &result.warnings);
    out.push_str("</main>\n");
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn write_summary(out: &mut String, summary: &Summary) {
    out.push_str("<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"total\"><strong>{}</strong> {}</p>",
        esc(&plural(summary.total, "finding", "findings")),
        esc(&summary.where_found())
    );
    out.push_str("<ul class=\"counts\">\n");
    for (severity, n) in summary.by_severity {
        let _ = writeln!(
            out,
            "<li class=\"sev sev-{0}\"><span>{0}</span> <strong>{n}</strong></li>",
            severity.name()
        );
    }
    out.push_str("</ul>\n<dl class=\"facts\">\n");
    let mut fact = |name: &str, value: usize| {
        let _ = writeln!(out, "<div><dt>{name}</dt><dd>{value}</dd></div>");
    };
    for (owner, n) in summary.by_owner {
        fact(owner.name(), n);
    }
    fact("unowned", summary.unowned);
    fact("suppressed", summary.suppressed);
    fact("undecided (unknown values)", summary.undecided);
    fact("errors", summary.errors);
    fact("warnings", summary.warnings);
    if let Some(b) = summary.baseline {
        fact("baseline: new", b.new);
        fact("baseline: matched", b.matched);
        fact("baseline: gone", b.gone);
    }
    out.push_str("</dl>\n</section>\n");
}

/// Layers as rows, service models as columns; each cell's shade grows with
/// its share of the largest cell, and the count is written in it too.
fn write_matrix(out: &mut String, summary: &Summary) {
    out.push_str("<section id=\"matrix\" aria-labelledby=\"matrix-h\">\n<h2 id=\"matrix-h\">Responsibility matrix</h2>\n");
    out.push_str(
        "<p class=\"note\">Findings that count, by layer and service model; darker is more.</p>\n",
    );
    out.push_str(
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Responsibility matrix\"><table class=\"heat\">\n<thead><tr><th scope=\"col\">layer</th>",
    );
    for model in ServiceModel::ALL {
        let _ = write!(out, "<th scope=\"col\">{}</th>", model.name());
    }
    out.push_str("<th scope=\"col\">total</th></tr></thead>\n<tbody>\n");
    let max = Layer::ALL
        .iter()
        .flat_map(|&l| ServiceModel::ALL.map(|m| summary.cell(l, m)))
        .max()
        .unwrap_or(0);
    for layer in Layer::ALL {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", layer.name());
        for model in ServiceModel::ALL {
            let n = summary.cell(layer, model);
            let _ = write!(out, "<td class=\"heat-{}\">{n}</td>", shade(n, max));
        }
        let _ = writeln!(
            out,
            "<td class=\"sum\">{}</td></tr>",
            summary.layer_count(layer)
        );
    }
    out.push_str("</tbody>\n<tfoot><tr><th scope=\"row\">total</th>");
    for model in ServiceModel::ALL {
        let _ = write!(out, "<td class=\"sum\">{}</td>", summary.model_count(model));
    }
    let _ = writeln!(
        out,
        "<td class=\"sum\">{}</td></tr></tfoot>\n</table></div>\n</section>",
        summary.total
    );
}

/// 0 for an empty cell, else 1 to 4 by the cell's share of `max`.
fn shade(n: usize, max: usize) -> usize {
    if n == 0 || max == 0 {
        0
    } else {
        (4 * n).div_ceil(max).clamp(1, 4)
    }
}

/// A finding's team for grouping and filtering: its teams joined, or
/// [`UNOWNED`].
fn team_of(finding: &Finding) -> String {
    if finding.is_unowned() {
        UNOWNED.to_string()
    } else {
        finding.owners.join(" ")
    }
}

/// The frameworks with a control the finding's rule evidences, sorted: what
/// the framework filter matches. Every framework the rule names, not only
/// those asked for with `--compliance`, so the filter works without it.
fn frameworks_of(finding: &Finding) -> Vec<String> {
    let mut keys: Vec<String> = finding
        .rule
        .compliance
        .iter()
        .map(|(framework, _)| framework.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn write_teams(out: &mut String, findings: &[&Finding]) {
    out.push_str(
        "<section id=\"teams\" aria-labelledby=\"teams-h\">\n<h2 id=\"teams-h\">Teams</h2>\n",
    );
    if findings.is_empty() {
        out.push_str("<p>No findings, so no team has anything to fix.</p>\n</section>\n");
        return;
    }
    let mut teams: BTreeMap<(bool, String), Vec<&Finding>> = BTreeMap::new();
    for &finding in findings {
        let key = (finding.is_unowned(), team_of(finding));
        teams.entry(key).or_default().push(finding);
    }
    out.push_str(
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Findings by team\"><table class=\"teams\">\n<thead><tr><th scope=\"col\">team</th>",
    );
    for severity in Severity::ALL {
        let _ = write!(out, "<th scope=\"col\">{}</th>", severity.name());
    }
    out.push_str("<th scope=\"col\">total</th></tr></thead>\n<tbody>\n");
    for ((unowned, team), list) in &teams {
        let class = if *unowned { " class=\"unowned\"" } else { "" };
        let _ = write!(out, "<tr{class}><th scope=\"row\">{}</th>", esc(team));
        for severity in Severity::ALL {
            let n = list.iter().filter(|f| f.severity == severity).count();
            let _ = write!(out, "<td>{n}</td>");
        }
        let _ = writeln!(out, "<td>{}</td></tr>", list.len());
    }
    out.push_str("</tbody></table></div>\n");
    // Each team's findings, as links into the list below.
    for ((unowned, team), list) in &teams {
        let class = if *unowned { " unowned" } else { "" };
        let _ = write!(
            out,
            "<div class=\"team{class}\"><h3>{}</h3><ul class=\"links\">",
            esc(team)
        );
        for finding in list {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a> <span class=\"sev-text\">{}</span></li>",
                anchor(findings, finding),
                esc(&finding.rule.id),
                finding.severity.name()
            );
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("</section>\n");
}

/// One framework asked for with `--compliance`: totals by status, then each
/// control with its state, rules, findings, teams and who answers for it.
fn write_compliance(out: &mut String, report: &ComplianceReport) {
    let id = format!("compliance-{}", esc(&report.framework));
    let _ = writeln!(
        out,
        "<section id=\"{id}\" class=\"compliance\" aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{} {}</h2>",
        esc(&report.name),
        esc(&report.version)
    );
    out.push_str("<p class=\"note\">");
    for (i, state) in ControlState::ALL.into_iter().enumerate() {
        let n = report.totals.by_status.get(&state).copied().unwrap_or(0);
        let sep = if i == 0 { "" } else { " · " };
        let _ = write!(
            out,
            "{sep}<span class=\"state-{}\">{n} {}</span>",
            state.name(),
            state.name().replace('_', " ")
        );
    }
    out.push_str("</p>\n");
    let _ = write!(
        out,
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{} controls\"><table class=\"controls\">\n<thead><tr>",
        esc(&report.name)
    );
    let columns = [
        "control",
        "title",
        "status",
        "rules",
        "findings",
        "examined",
        "teams",
        "responsibility",
    ];
    for column in columns {
        let _ = write!(out, "<th scope=\"col\">{column}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for control in &report.controls {
        let _ = write!(
            out,
            "<tr class=\"state-{}\" id=\"{}\"><th scope=\"row\">{}</th>",
            control.status.name(),
            control_anchor(&report.framework, &control.id),
            esc(&control.id)
        );
        // Each cell carries its column's name, which narrow screens show
        // before it when the rows become cards.
        let cells = [
            ("title", esc(&control.title)),
            ("status", control.status.name().replace('_', " ")),
            ("rules", rules(control)),
            ("findings", control.findings.to_string()),
            ("examined", examined(control)),
            ("teams", control_teams(control)),
            ("responsibility", responsibility(control)),
        ];
        for (column, cell) in cells {
            let _ = write!(
                out,
                "<td class=\"{column}\" data-label=\"{column}\">{cell}</td>"
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

/// A control's rules; for one no rule evidences, why (inherited from the
/// provider, a process outside code, or no rule yet), folded.
fn rules(control: &ControlReport) -> String {
    match &control.status_reason {
        Some(reason) if control.rules.is_empty() => format!(
            "<details><summary>none: why</summary><p>{}</p></details>",
            esc(reason)
        ),
        _ => esc(&control.rules.join(", ")),
    }
}

/// How many resources a control's rules examined, opening on where each is.
fn examined(control: &ControlReport) -> String {
    if control.resources_checked.is_empty() {
        return "0".to_string();
    }
    let mut cell = format!(
        "<details><summary>{}</summary><ul>",
        control.resources_checked.len()
    );
    for resource in &control.resources_checked {
        let _ = write!(
            cell,
            "<li><code>{}:{}</code> <code>{}</code></li>",
            esc(&resource.file),
            resource.line,
            esc(&resource.resource)
        );
    }
    cell.push_str("</ul></details>");
    cell
}

/// Who answers for a control under each service model (one word when it is
/// the same under all three), opening on the reasoning.
fn responsibility(control: &ControlReport) -> String {
    let r = &control.responsibility;
    let parties = if r.iaas == r.paas && r.paas == r.saas {
        r.iaas.name().to_string()
    } else {
        format!(
            "iaas {}, paas {}, saas {}",
            r.iaas.name(),
            r.paas.name(),
            r.saas.name()
        )
    };
    format!(
        "<details><summary>{parties}</summary><p>{}</p></details>",
        esc(&r.reasoning)
    )
}

/// A control's teams, then how many of its findings have none.
fn control_teams(control: &ControlReport) -> String {
    let mut teams = esc(&control.owners.join(", "));
    if control.unowned > 0 {
        let sep = if teams.is_empty() { "" } else { ", " };
        let _ = write!(
            teams,
            "{sep}<strong class=\"unowned\">{} unowned</strong>",
            control.unowned
        );
    }
    teams
}

/// The finding's element id: its position in the report.
fn anchor(findings: &[&Finding], finding: &Finding) -> String {
    let index = findings
        .iter()
        .position(|f| std::ptr::eq(*f, finding))
        .unwrap_or(0);
    format!("finding-{}", index + 1)
}

fn write_findings(out: &mut String, result: &ScanResult, findings: &[&Finding]) {
    out.push_str("<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n");
    write_filters(out, findings);
    if findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    }
    for (index, finding) in findings.iter().enumerate() {
        write_finding(out, result, finding, index + 1);
    }
    out.push_str("<p id=\"none-shown\" hidden>No finding matches the filters.</p>\n</section>\n");
}

/// The filter form, `hidden` until the script shows it: without script it
/// would do nothing.
fn write_filters(out: &mut String, findings: &[&Finding]) {
    out.push_str("<form id=\"filters\" class=\"filters\" hidden aria-label=\"Filter findings\">\n");
    let select = |out: &mut String, name: &str, label: &str, values: Vec<String>| {
        let _ = write!(
            out,
            "<label>{label} <select name=\"{name}\"><option value=\"\">all</option>"
        );
        for value in values {
            let value = esc(&value);
            let _ = write!(out, "<option value=\"{value}\">{value}</option>");
        }
        out.push_str("</select></label>\n");
    };
    select(
        out,
        "severity",
        "Severity",
        Severity::ALL.iter().map(|s| s.name().to_string()).collect(),
    );
    select(
        out,
        "layer",
        "Layer",
        Layer::ALL.iter().map(|l| l.name().to_string()).collect(),
    );
    let mut teams: Vec<String> = findings
        .iter()
        .flat_map(|f| {
            if f.is_unowned() {
                vec![UNOWNED.to_string()]
            } else {
                f.owners.clone()
            }
        })
        .collect();
    teams.sort();
    teams.dedup();
    select(out, "team", "Team", teams);
    let mut frameworks: Vec<String> = findings.iter().flat_map(|f| frameworks_of(f)).collect();
    frameworks.sort();
    frameworks.dedup();
    select(out, "framework", "Framework", frameworks);
    out.push_str("<output id=\"shown\" aria-live=\"polite\"></output>\n</form>\n");
}

fn write_finding(out: &mut String, result: &ScanResult, finding: &Finding, number: usize) {
    let rule = &finding.rule;
    let location = &finding.location;
    // Teams as a space-separated list for the filter.
    let teams = team_of(finding);
    let _ = writeln!(
        out,
        "<article class=\"finding sev-{sev}\" id=\"finding-{number}\" data-severity=\"{sev}\" data-layer=\"{layer}\" data-teams=\"{teams}\" data-frameworks=\"{frameworks}\">",
        sev = finding.severity.name(),
        layer = rule.layer.name(),
        teams = esc(&teams),
        frameworks = esc(&frameworks_of(finding).join(" ")),
    );
    let _ = writeln!(
        out,
        "<h3><span class=\"badge sev-{sev}\">{sev}</span> <code>{id}</code> {summary}</h3>",
        sev = finding.severity.name(),
        id = esc(&rule.id),
        summary = esc(rule.summary.trim()),
    );
    let _ = writeln!(out, "<p class=\"message\">{}</p>", esc(&finding.message));
    out.push_str("<dl class=\"props\">\n");
    let mut fact = |name: &str, value: String| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{value}</dd>");
    };
    fact("where", format!("<code>{}</code>", esc(&place(location))));
    fact(
        "resource",
        format!(
            "<code>{}</code> ({})",
            esc(&finding.resource),
            esc(&finding.resource_type)
        ),
    );
    if let Some(generated) = &finding.generated {
        fact("generated", esc(&generated.describe()));
    }
    fact("layer", rule.layer.name().to_string());
    fact(
        "owner",
        format!(
            "{} ({})",
            finding.owner.name(),
            finding.service_model.name()
        ),
    );
    let team = match finding.owners_from {
        _ if finding.is_unowned() => "<strong class=\"unowned\">unowned</strong>".to_string(),
        Some(source) => format!("{} <small>({})</small>", esc(&teams), source.name()),
        None => esc(&teams),
    };
    fact("team", team);
    if !rule.compliance.is_empty() {
        fact("controls", controls_of(result, finding));
    }
    out.push_str("</dl>\n");
    let reason = finding.owner_reason.trim();
    if !reason.is_empty() {
        let _ = writeln!(out, "<p class=\"why\">{}</p>", esc(reason));
    }
    if let Some(source) = result.sources.get(&location.file) {
        write_snippet(out, source, location);
    }
    if !finding.provenance.is_empty() {
        out.push_str("<h4>Where the value comes from</h4>\n<ol class=\"provenance\">\n");
        for step in &finding.provenance {
            let _ = writeln!(
                out,
                "<li>{} <code>{}</code></li>",
                esc(&step.label),
                esc(&place(&step.location))
            );
        }
        out.push_str("</ol>\n");
    }
    for note in &finding.notes {
        let _ = writeln!(out, "<p class=\"note\">note: {}</p>", esc(note));
    }
    if let Some(fix) = super::finding_fix(finding) {
        let _ = writeln!(
            out,
            "<h4>How to fix</h4>\n<div class=\"fix\">{}</div>",
            esc(fix)
        );
    }
    if let Some(uri) = &rule.help_uri {
        let _ = writeln!(
            out,
            "<p class=\"more\">More: <code>demarc explain {}</code> · {}</p>",
            esc(&rule.id),
            esc(uri)
        );
    }
    out.push_str("</article>\n");
}

/// The controls a finding's rule evidences, by framework
/// (`cis-aws-3.0 5.2 · nist-800-53 AC-4, SC-7`); each a link to its row
/// when the framework's table is on the page.
fn controls_of(result: &ScanResult, finding: &Finding) -> String {
    let mut by_framework: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (framework, control) in &finding.rule.compliance {
        by_framework.entry(framework).or_default().push(control);
    }
    let groups: Vec<String> = by_framework
        .into_iter()
        .map(|(framework, controls)| {
            let on_page = result.compliance.iter().any(|r| r.framework == framework);
            let controls: Vec<String> = controls
                .into_iter()
                .map(|control| match on_page {
                    true => format!(
                        "<a class=\"control\" href=\"#{}\">{}</a>",
                        control_anchor(framework, control),
                        esc(control)
                    ),
                    false => format!("<span class=\"control\">{}</span>", esc(control)),
                })
                .collect();
            format!("{} {}", esc(framework), controls.join(", "))
        })
        .collect();
    groups.join(" · ")
}

/// The element id of a control's row in its framework's table.
fn control_anchor(framework: &str, control: &str) -> String {
    esc(&format!("compliance-{framework}-{control}"))
}

/// `file:line:column`.
fn place(location: &Location) -> String {
    format!(
        "{}:{}:{}",
        location.file, location.start_line, location.start_column
    )
}

/// The finding's lines (one line of context each side, at most
/// [`MAX_SNIPPET_LINES`]) with line numbers and the offending bytes marked.
fn write_snippet(out: &mut String, source: &str, location: &Location) {
    let (start, end) = (
        location.byte_start,
        location.byte_end.max(location.byte_start),
    );
    if end > source.len() || !source.is_char_boundary(start) || !source.is_char_boundary(end) {
        return;
    }
    let first = location.start_line.saturating_sub(1).max(1);
    let last = (location.end_line + 1).min(first + MAX_SNIPPET_LINES - 1);
    out.push_str("<pre class=\"snippet\"><code>");
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let line_start = offset;
        offset += line.len();
        if number < first {
            continue;
        }
        if number > last {
            break;
        }
        let text = line.trim_end_matches(['\n', '\r']);
        let line_end = line_start + text.len();
        // A long line (a minified template) is shown around the mark.
        let (shown_start, shown_end) = if text.len() > MAX_LINE_BYTES {
            let from = if (line_start..=line_end).contains(&start) {
                start.saturating_sub(LEAD_BYTES).max(line_start)
            } else {
                line_start
            };
            let from = floor_boundary(source, from);
            (
                from,
                floor_boundary(source, (from + MAX_LINE_BYTES).min(line_end)),
            )
        } else {
            (line_start, line_end)
        };
        let _ = write!(
            out,
            "<span class=\"ln\" aria-hidden=\"true\">{number:>4} </span>"
        );
        if shown_start > line_start {
            out.push('…');
        }
        let mark_from = start.clamp(shown_start, shown_end);
        let mark_to = end.clamp(shown_start, shown_end);
        out.push_str(&esc(&source[shown_start..mark_from]));
        if mark_to > mark_from {
            let _ = write!(out, "<mark>{}</mark>", esc(&source[mark_from..mark_to]));
        }
        out.push_str(&esc(&source[mark_to..shown_end]));
        if shown_end < line_end {
            out.push('…');
        }
        out.push('\n');
    }
    out.push_str("</code></pre>\n");
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn write_problems(out: &mut String, id: &str, title: &str, problems: &[ScanError]) {
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"{id}\" aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{title}</h2>\n<ul class=\"problems\">"
    );
    for problem in problems {
        let _ = writeln!(out, "<li><code>{}</code></li>", esc(&problem.to_string()));
    }
    out.push_str("</ul>\n</section>\n");
}

/// Text for an element or a quoted attribute.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--focus:#0969da;
--critical:#8b0000;--high:#c62828;--medium:#b35c00;--low:#1f6feb;--info:#57606a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{margin:.2rem 0;font-size:1.6rem}h2{margin:1.6rem 0 .6rem;font-size:1.25rem;border-bottom:1px solid var(--line)}
h3{margin:0 0 .4rem;font-size:1.05rem;overflow-wrap:anywhere}h4{margin:.8rem 0 .2rem;font-size:.95rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
.meta,.note,small{color:var(--muted)}
a{color:var(--focus)}
a:focus-visible,select:focus-visible,summary:focus-visible,.scroll:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.3rem .6rem}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:.5rem 0}
.counts li{border:1px solid var(--line);border-left-width:6px;border-radius:4px;padding:.2rem .7rem}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.2rem 1rem;margin:.5rem 0}
.props{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.5rem 0}
.props dt{color:var(--muted)}.props dd{margin:0;overflow-wrap:anywhere;min-width:0}
.facts div{display:flex;gap:.5rem;min-width:0}.facts dt{color:var(--muted);white-space:nowrap}
.facts dd{margin:0;overflow-wrap:anywhere;min-width:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid var(--line);padding:.35rem .7rem;text-align:right}
th[scope=row],thead th:first-child{text-align:left}thead th{background:var(--soft)}
.heat td{min-width:4.5rem;font-weight:600}
.heat-0{background:#fff;color:var(--muted)}.heat-1{background:#fde7e4}.heat-2{background:#f9b9ae}
.heat-3{background:#ef7d69;color:#fff}.heat-4{background:#b3261e;color:#fff}
.sum{background:var(--soft)}
.team h3{margin:.8rem 0 .2rem}.links{display:flex;flex-wrap:wrap;gap:.2rem 1rem;list-style:none;padding:0;margin:0}
.links li,.control{white-space:nowrap}.sev-text{color:var(--muted);font-size:.85em}
tr.unowned th,strong.unowned,.team.unowned h3{color:var(--high)}
table.controls{width:100%;table-layout:fixed}
table.controls th,table.controls td{text-align:left;vertical-align:top;padding:.35rem .45rem;overflow-wrap:break-word}
table.controls td.findings{text-align:right}
table.controls details p{margin:.2rem 0;font-size:.9em}
table.controls details ul{margin:.2rem 0;padding-left:1rem;font-size:.85em}
table.controls thead th:nth-child(1){width:7%}table.controls thead th:nth-child(2){width:22%}
table.controls thead th:nth-child(3){width:10.5%}table.controls thead th:nth-child(5){width:7.5%}
table.controls thead th:nth-child(4),table.controls thead th:nth-child(6){width:14%}
table.controls thead th:nth-child(7){width:13%}table.controls thead th:nth-child(8){width:12%}
table.controls summary{cursor:pointer}
tr.state-fail td.status,span.state-fail{color:var(--high);font-weight:600}
tr.state-pass td.status,span.state-pass{color:#1e6b34}
tr.state-not_applicable td,tr.state-not_checked td{color:var(--muted)}
tr:target{outline:3px solid var(--focus);outline-offset:-3px}
.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:center;padding:.6rem;background:var(--soft);border:1px solid var(--line);border-radius:6px;margin:.5rem 0 1rem}
.filters[hidden]{display:none}
.filters select{font:inherit;padding:.15rem .3rem}
.finding{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.finding[hidden]{display:none}
.finding.sev-critical,.sev-critical{border-left-color:var(--critical)}.finding.sev-high,.sev-high{border-left-color:var(--high)}
.finding.sev-medium,.sev-medium{border-left-color:var(--medium)}.finding.sev-low,.sev-low{border-left-color:var(--low)}
.finding.sev-info,.sev-info{border-left-color:var(--info)}
.badge{display:inline-block;color:#fff;border-radius:3px;padding:0 .4rem;font-size:.8rem;text-transform:uppercase;vertical-align:.1em}
.badge.sev-critical{background:var(--critical)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--medium)}
.badge.sev-low{background:var(--low)}.badge.sev-info{background:var(--info)}
.message{margin:.2rem 0;font-weight:500}.why{color:var(--muted);margin:.3rem 0}
.snippet{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:.5rem;overflow-x:auto;margin:.5rem 0}
.snippet .ln{color:var(--muted);user-select:none}
mark{background:#ffd33d;color:#000;text-decoration:underline wavy #c62828;text-underline-offset:3px}
.fix{white-space:pre-wrap;overflow-wrap:anywhere;border-left:3px solid var(--line);padding-left:.7rem}
.provenance,.problems{padding-left:1.4rem}.problems code{overflow-wrap:anywhere;white-space:pre-wrap}
@media (max-width:40rem){main{padding:.6rem}body{font-size:14px}th,td{padding:.3rem .4rem}.heat td{min-width:3rem}}
@media (max-width:60rem){table.controls thead{position:absolute;left:-9999px}
table.controls,table.controls tbody,table.controls tr,table.controls th,table.controls td{display:block}
table.controls tr{border:1px solid var(--line);border-radius:4px;margin:0 0 .5rem;padding:.3rem .6rem}
table.controls th,table.controls td{border:0;padding:.1rem 0;text-align:left}
table.controls td.findings{text-align:left}
table.controls td::before{content:attr(data-label) ": ";color:var(--muted)}
table.controls td.title::before{content:none}table.controls td details{display:inline-block;vertical-align:top}table.controls td.teams:empty{display:none}}
@media print{.filters,.skip{display:none!important}.finding[hidden]{display:block!important}
.finding,table.controls tr{break-inside:avoid}.snippet{white-space:pre-wrap;overflow:visible}.scroll{overflow:visible}
.heat-1,.heat-2,.heat-3,.heat-4,.badge,mark{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit;text-decoration:none}main{max-width:none}}
"#;

/// Shows the filter form and hides the findings it does not select.
const SCRIPT: &str = r#"
(function(){
var form=document.getElementById('filters');if(!form)return;
var cards=[].slice.call(document.querySelectorAll('article.finding'));
var none=document.getElementById('none-shown'),shown=document.getElementById('shown');
function apply(){
var sev=form.severity.value,layer=form.layer.value,team=form.team.value,fw=form.framework.value,n=0;
cards.forEach(function(c){
var ok=(!sev||c.dataset.severity===sev)&&(!layer||c.dataset.layer===layer)&&
(!team||c.dataset.teams.split(' ').indexOf(team)>=0)&&
(!fw||c.dataset.frameworks.split(' ').indexOf(fw)>=0);
c.hidden=!ok;if(ok)n++;});
none.hidden=n>0;shown.textContent=n+' of '+cards.length+' shown';}
form.hidden=false;form.addEventListener('change',apply);apply();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn location(start: usize, end: usize, line: usize) -> Location {
        Location {
            file: "t.json".into(),
            start_line: line,
            start_column: 1,
            end_line: line,
            end_column: 1,
            byte_start: start,
            byte_end: end,
        }
    }

    #[test]
    fn a_long_line_is_shown_around_its_mark() {
        // A minified template: one 2,000-byte line, the value near its end.
        let source = format!(
            "{}\"<b>0.0.0.0/0</b>\"{}",
            "x".repeat(1800),
            "y".repeat(200)
        );
        let start = 1800;
        let mut out = String::new();
        write_snippet(&mut out, &source, &location(start, start + 18, 1));
        assert!(
            out.contains("<mark>&quot;&lt;b&gt;0.0.0.0/0&lt;/b&gt;&quot;</mark>"),
            "{out}"
        );
        assert!(out.contains('…'));
        assert!(out.len() < MAX_LINE_BYTES * 2, "{}", out.len());
    }

    #[test]
    fn the_heat_shade_is_zero_only_for_empty_cells_and_four_for_the_largest() {
        assert_eq!(shade(0, 0), 0);
        assert_eq!(shade(0, 9), 0);
        assert_eq!(shade(1, 100), 1);
        assert_eq!(shade(5, 9), 3);
        assert_eq!(shade(9, 9), 4);
    }
}
