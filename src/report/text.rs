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
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt::{self, Write as _};

/// Width the report wraps at, fixed so the output does not depend on the
/// terminal.
pub const WIDTH: usize = 100;

pub fn render(result: &ScanResult, options: &RenderOptions) -> String {
    let style = Style {
        color: options.color,
    };
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_context_lines(1)
        // Keep rule ids such as `AWS-S3-001` whole when a help line wraps.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .without_syntax_highlighting();

    let mut out = String::new();
    for finding in result.active_findings() {
        let diagnostic = FindingDiagnostic::new(finding, result, WIDTH);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &diagnostic).is_err() {
            // A span miette cannot render: fall back to the plain form.
            rendered.clear();
            let plain = FindingDiagnostic::plain(finding);
            let _ = handler.render_report(&mut rendered, &plain);
        }
        out.push_str(rendered.trim_end());
        out.push_str("\n\n");
    }

    for error in &result.errors {
        let _ = writeln!(out, "{} {error}", style.paint("error:", "1;31"));
    }
    if options.quiet {
        return out;
    }
    for warning in &result.warnings {
        let _ = writeln!(out, "{} {warning}", style.paint("warning:", "1;33"));
    }
    if !result.errors.is_empty() || !result.warnings.is_empty() {
        out.push('\n');
    }

    write_summary(&mut out, &Summary::of(result), style, options.elapsed);
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

fn write_summary(
    out: &mut String,
    summary: &Summary,
    style: Style,
    elapsed: Option<std::time::Duration>,
) {
    if summary.total == 0 {
        write_baseline(out, summary);
        let _ = write!(
            out,
            "{}",
            style.paint(
                &format!(
                    "No findings in {}{}",
                    plural(summary.files_scanned, "file", "files"),
                    took(elapsed)
                ),
                "1"
            )
        );
        out.push_str(&tail_counts(summary));
        out.push_str(".\n");
        return;
    }

    let _ = writeln!(out, "{}", style.paint("Summary", "1"));
    let severities: Vec<String> = summary
        .by_severity
        .iter()
        .map(|(severity, n)| {
            let text = format!("{} {n}", severity.name());
            if *n > 0 {
                style.paint(&text, severity_color(*severity))
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
    let _ = writeln!(out, "{}", style.paint(&header, "1"));
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

    // `3 findings (1 critical, 2 high) in 12 files; 1 error`
    let nonzero: Vec<String> = summary
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(severity, n)| format!("{n} {}", severity.name()))
        .collect();
    let mut last = format!(
        "{} ({}) in {}{}",
        plural(summary.total, "finding", "findings"),
        nonzero.join(", "),
        plural(summary.files_scanned, "file", "files"),
        took(elapsed),
    );
    last.push_str(&tail_counts(summary));
    let _ = writeln!(out, "{}", style.paint(&last, "1"));
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

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    /// `text` in an SGR style when colour is on, else `text` unchanged.
    fn paint(self, text: &str, sgr: &str) -> String {
        if self.color {
            format!("\u{1b}[{sgr}m{text}\u{1b}[0m")
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
    fn new(finding: &'a Finding, result: &ScanResult, width: usize) -> Self {
        let location = &finding.location;
        let snippet = result.sources.get(&location.file).and_then(|text| {
            // Provenance in the same file is drawn in the snippet; the rest
            // is listed in the message.
            let marks: Vec<Mark> = std::iter::once(Mark {
                label: Some(finding.message.clone()),
                start: location.byte_start,
                end: location.byte_end,
                primary: true,
            })
            .chain(
                finding
                    .provenance
                    .iter()
                    .filter(|p| p.location.file == location.file)
                    .map(|p| Mark {
                        label: Some(p.label.clone()),
                        start: p.location.byte_start,
                        end: p.location.byte_end,
                        primary: false,
                    }),
            )
            .filter(|m| m.end.max(m.start) <= text.len())
            .filter(|m| text.is_char_boundary(m.start) && text.is_char_boundary(m.end))
            .collect();
            if !marks.first().is_some_and(|m| m.primary) {
                return None;
            }
            snippet::excerpt(&location.file, text, &marks, width)
        });
        match snippet {
            Some(snippet) => FindingDiagnostic {
                snippet: Some(snippet),
                ..FindingDiagnostic::build(finding, false)
            },
            None => FindingDiagnostic::build(finding, true),
        }
    }

    /// Without a snippet: the location and message go into the text.
    fn plain(finding: &'a Finding) -> Self {
        FindingDiagnostic::build(finding, true)
    }

    fn build(finding: &'a Finding, plain: bool) -> Self {
        let rule = &finding.rule;
        let location = &finding.location;
        let mut message = format!(
            "[{}] {} {}",
            finding.severity.name(),
            rule.id,
            rule.summary.trim()
        );
        if plain {
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
            finding.resource
        );
        let reason = finding.owner_reason.trim();
        if !reason.is_empty() {
            let _ = write!(message, "\n{reason}");
        }
        if !finding.owners.is_empty() {
            let _ = write!(message, "\nCODEOWNERS: {}", finding.owners.join(" "));
        }
        for note in &finding.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        for step in &finding.provenance {
            let at = &step.location;
            let _ = write!(
                message,
                "\n↳ {} at {}:{}:{}",
                step.label, at.file, at.start_line, at.start_column
            );
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
