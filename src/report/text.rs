//! The default, human-readable report.
//!
//! Each finding is a miette diagnostic: the rule id as its code, the severity
//! and summary, the layer/owner line, the source snippet with the offending
//! value underlined and labelled with the finding's message, and a help line
//! with the fix for the finding's framework. Then the scan errors and
//! warnings, then a summary: counts by severity and owner, the layer ×
//! service-model matrix, the baseline comparison, and a last line with the
//! totals (and the time taken, when the caller passes it).
//!
//! Suppressed findings are not shown, only counted. `quiet` keeps the
//! findings and errors alone.

use super::snippet::{self, Excerpt, Mark};
use super::summary::{plural, Summary};
use super::RenderOptions;
use crate::finding::{Finding, Layer, ScanResult, ServiceModel, Severity};
use anstyle::AnsiColor;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt::{self, Write as _};

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    let style = Style {
        color: options.color,
    };
    let width = options.width;
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_context_lines(1)
        // Keep rule ids such as `AWS-S3-001` whole when a help line wraps.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .without_syntax_highlighting();

    let mut out = String::new();
    for finding in result.active_findings() {
        let diagnostic = FindingDiagnostic::new(finding, result, width, style);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &diagnostic).is_err() {
            // A span miette cannot render: fall back to the plain form.
            rendered.clear();
            let plain = FindingDiagnostic::build(finding, None, style);
            let _ = handler.render_report(&mut rendered, &plain);
        }
        out.push_str(rendered.trim_end());
        out.push_str("\n\n");
    }

    for error in &result.errors {
        let _ = writeln!(out, "{} {error}", style.paint("error:", ERROR));
    }
    if options.quiet {
        return out;
    }
    for warning in &result.warnings {
        let _ = writeln!(out, "{} {warning}", style.paint("warning:", WARNING));
    }
    if !result.errors.is_empty() || !result.warnings.is_empty() {
        out.push('\n');
    }

    out.push_str(&super::compliance::text(&result.compliance));
    write_summary(&mut out, &Summary::of(result), style, options);
    out
}

/// `; 2 suppressed; 1 error; 3 warnings`, the parts that are not zero.
fn tail_counts(summary: &Summary) -> String {
    super::summary::side_counts(summary)
        .iter()
        .map(|count| format!("; {count}"))
        .collect()
}

/// ` (0.12s)`, when the time is known.
fn took(elapsed: Option<std::time::Duration>) -> String {
    elapsed
        .map(|d| format!(" ({:.2}s)", d.as_secs_f64()))
        .unwrap_or_default()
}

fn write_baseline(out: &mut String, summary: &Summary) {
    if let Some(b) = summary.baseline {
        let _ = writeln!(
            out,
            "Baseline: {} new, {} already in the baseline (not counted), {} in the baseline no longer found",
            b.new, b.matched, b.gone
        );
    }
}

fn write_summary(out: &mut String, summary: &Summary, style: Style, options: &RenderOptions) {
    let (elapsed, width) = (options.elapsed, options.width);
    if summary.total == 0 {
        write_baseline(out, summary);
        let _ = write!(
            out,
            "{}",
            style.paint(
                &format!("No findings {}{}", summary.where_found(), took(elapsed)),
                BOLD
            )
        );
        out.push_str(&tail_counts(summary));
        out.push_str(".\n");
        return;
    }

    let _ = writeln!(out, "{}", style.paint("Summary", BOLD));
    let severities: Vec<String> = summary
        .by_severity
        .iter()
        .map(|(severity, n)| {
            let text = format!("{} {n}", severity.name());
            if *n > 0 {
                style.paint(&text, severity_style(*severity))
            } else {
                text
            }
        })
        .collect();
    let _ = writeln!(out, "  severity  {}", severities.join(" · "));
    let owners: Vec<String> = summary
        .by_owner
        .iter()
        .map(|(owner, n)| format!("{} {n}", owner.name()))
        .collect();
    let _ = writeln!(out, "  owner     {}", owners.join(" · "));
    let _ = writeln!(
        out,
        "  team      {} of {} unowned",
        summary.unowned, summary.total
    );
    out.push('\n');

    // The responsibility matrix: layers as rows, service models as columns.
    let label_width = Layer::ALL
        .iter()
        .map(|l| l.name().len())
        .chain(["layer".len(), "total".len()])
        .max()
        .unwrap_or(0);
    let mut header = format!("  {:<label_width$}", "layer");
    for model in ServiceModel::ALL {
        let _ = write!(header, "  {:>5}", model.name());
    }
    let _ = write!(header, "  {:>5}", "total");
    let _ = writeln!(out, "{}", style.paint(&header, BOLD));
    for layer in Layer::ALL {
        let mut row = format!("  {:<label_width$}", layer.name());
        for model in ServiceModel::ALL {
            let _ = write!(row, "  {:>5}", summary.cell(layer, model));
        }
        let _ = write!(row, "  {:>5}", summary.layer_count(layer));
        let _ = writeln!(out, "{row}");
    }
    let mut total = format!("  {:<label_width$}", "total");
    for model in ServiceModel::ALL {
        let _ = write!(total, "  {:>5}", summary.model_count(model));
    }
    let _ = write!(total, "  {:>5}", summary.total);
    let _ = writeln!(out, "{total}");
    out.push('\n');
    write_baseline(out, summary);

    // `3 findings (1 critical, 2 high) in 2 of 12 files scanned; 1 error`
    let nonzero: Vec<String> = summary
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(severity, n)| format!("{n} {}", severity.name()))
        .collect();
    let mut last = format!(
        "{} ({}) {}{}",
        plural(summary.total, "finding", "findings"),
        nonzero.join(", "),
        summary.where_found(),
        took(elapsed),
    );
    last.push_str(&tail_counts(summary));
    let _ = writeln!(out, "{}", style.paint(&textwrap::fill(&last, width), BOLD));
}

/// The first paragraph of a fix. When there is more (typically an example
/// introduced by a colon), it ends with a pointer to `demarc explain`.
fn short_fix(fix: &str, rule_id: &str) -> String {
    let mut short = super::first_paragraph(fix);
    let words = |text: &str| text.split_whitespace().count();
    if words(&short) < words(fix) {
        let trimmed = short.trim_end_matches([':', ' ']);
        short.truncate(trimmed.len());
        if !short.ends_with(['.', '!', '?']) {
            short.push('.');
        }
        let _ = write!(short, " Full fix: `demarc explain {rule_id}`.");
    }
    short
}

const BOLD: anstyle::Style = anstyle::Style::new().bold();
const ERROR: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const WARNING: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));

/// Each severity its own look, so a critical stands out from a high:
/// critical reversed out of red, high red, medium yellow, low cyan, info dim.
fn severity_style(severity: Severity) -> anstyle::Style {
    let fg = |color: AnsiColor| anstyle::Style::new().fg_color(Some(color.into()));
    match severity {
        Severity::Critical => BOLD
            .fg_color(Some(AnsiColor::BrightWhite.into()))
            .bg_color(Some(AnsiColor::Red.into())),
        Severity::High => fg(AnsiColor::Red).bold(),
        Severity::Medium => fg(AnsiColor::Yellow),
        Severity::Low => fg(AnsiColor::Cyan),
        Severity::Info => anstyle::Style::new().dimmed(),
    }
}

#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    /// `text` in `style` when colour is on, else `text` unchanged.
    fn paint(self, text: &str, style: anstyle::Style) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

/// One finding as a miette diagnostic.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    /// Header and attribution lines, shown after miette's severity icon.
    message: String,
    help: Option<String>,
    /// Present when the file's text is known and the span lies within it:
    /// the primary label, then one per provenance step in the same file.
    snippet: Option<(Excerpt, Vec<LabeledSpan>)>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, result: &ScanResult, width: usize, style: Style) -> Self {
        let location = &finding.location;
        let Some(text) = result.sources.get(&location.file) else {
            return FindingDiagnostic::build(finding, None, style);
        };
        let fits = |start: usize, end: usize| {
            end.max(start) <= text.len()
                && text.is_char_boundary(start)
                && text.is_char_boundary(end)
        };
        if !fits(location.byte_start, location.byte_end) {
            return FindingDiagnostic::build(finding, None, style);
        }
        // The finding's value underlined, and the provenance steps in the
        // same file beside it.
        let steps: Vec<usize> = (0..finding.provenance.len())
            .filter(|&i| {
                let at = &finding.provenance[i].location;
                at.file == location.file && fits(at.byte_start, at.byte_end)
            })
            .collect();
        let marks: Vec<Mark> = std::iter::once(Mark {
            label: Some(finding.message.clone()),
            start: location.byte_start,
            end: location.byte_end,
            primary: true,
        })
        .chain(steps.iter().map(|&i| {
            let step = &finding.provenance[i];
            Mark {
                label: Some(step.label.clone()),
                start: step.location.byte_start,
                end: step.location.byte_end,
                primary: false,
            }
        }))
        .collect();
        let Some((excerpt, labels)) = snippet::excerpt(&location.file, text, &marks, width) else {
            return FindingDiagnostic::build(finding, None, style);
        };
        let drawn: Vec<usize> = steps
            .iter()
            .zip(&labels[1..])
            .filter(|(_, label)| label.is_some())
            .map(|(&i, _)| i)
            .collect();
        FindingDiagnostic {
            snippet: Some((excerpt, labels.into_iter().flatten().collect())),
            ..FindingDiagnostic::build(finding, Some(&drawn), style)
        }
    }

    /// The diagnostic without its snippet. `drawn`: the provenance steps the
    /// snippet shows, when there is one; without one, the location and
    /// message go into the text.
    fn build(finding: &'a Finding, drawn: Option<&[usize]>, style: Style) -> Self {
        let rule = &finding.rule;
        let location = &finding.location;
        let mut message = format!(
            "{} {} {}",
            style.paint(
                &format!("[{}]", finding.severity.name()),
                severity_style(finding.severity)
            ),
            rule.id,
            rule.summary.trim()
        );
        if drawn.is_none() {
            let _ = write!(
                message,
                "\n{}:{}:{}: {}",
                location.file, location.start_line, location.start_column, finding.message
            );
        }
        let _ = write!(
            message,
            "\n{}/{} ({}) · {}",
            rule.layer.name(),
            finding.owner.name(),
            finding.service_model.name(),
            finding.resource_described()
        );
        let reason = finding.owner_reason.trim();
        if !reason.is_empty() {
            let _ = write!(message, "\n{reason}");
        }
        let _ = write!(message, "\n{}", super::summary::team_line(finding));
        for note in &finding.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        // Where the value came from, unless the snippet draws it; in the
        // finding's own file by line and column alone.
        let drawn = drawn.unwrap_or_default();
        for (i, step) in finding.provenance.iter().enumerate() {
            let at = &step.location;
            if drawn.contains(&i) {
                continue;
            }
            let _ = if at.file == location.file {
                write!(
                    message,
                    "\n↳ {} at line {}, column {}",
                    step.label, at.start_line, at.start_column
                )
            } else {
                write!(
                    message,
                    "\n↳ {} at {}:{}:{}",
                    step.label, at.file, at.start_line, at.start_column
                )
            };
        }
        FindingDiagnostic {
            finding,
            message,
            help: super::finding_fix(finding).map(|fix| short_fix(fix, &rule.id)),
            snippet: None,
        }
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("rule", &self.finding.rule.id)
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    // No `code` or `url`: miette would print them on a line of their own,
    // repeating the id our header already carries.
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low | Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet
            .as_ref()
            .map(|(source, _)| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.snippet
            .as_ref()
            .map(|(_, labels)| Box::new(labels.clone().into_iter()) as Box<_>)
    }
}
