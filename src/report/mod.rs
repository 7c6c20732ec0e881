//! Reporters: one module per output format, each a sink over a ScanResult.
//!
//! Reporters know only the types in `finding` and `model`. Each renders the
//! whole report into one `String`, so output is written in one piece and never
//! interleaved. Findings and errors arrive already sorted; reporters keep that
//! order and derive everything else (summary, rule table) deterministically.
//!
//! Suppressed findings (inline, CloudFormation Metadata, baseline) stay in the
//! formats made for audit (JSON, SARIF) and are counted, not shown, in the
//! ones made for reading (text, markdown, GitHub, GitLab, JUnit skips them
//! as skipped test cases).

pub mod compliance;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
mod snippet;
mod splice;
pub mod summary;
pub mod text;

use crate::finding::{Finding, RuleInfo, ScanResult};
use crate::model::Framework;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// An output format (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable report with source snippets (default).
    Text,
    /// One JSON object (`"version": 1`).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// JUnit XML: a test suite per rule, a test case per rule and resource.
    Junit,
    /// GitLab SAST report (schema 15.0.7), for merge-request security widgets.
    Gitlab,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// Markdown for a pull-request comment.
    Markdown,
    /// One self-contained HTML page: summary, heat map, teams, findings.
    Html,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Gitlab,
        Format::Github,
        Format::Markdown,
        Format::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Gitlab => "gitlab",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// One requested report: `FORMAT` (to standard output) or `FORMAT=FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub path: Option<PathBuf>,
}

impl Output {
    /// Parses `FORMAT` or `FORMAT=FILE`.
    pub fn parse(text: &str) -> Result<Output, String> {
        let (name, path) = match text.split_once('=') {
            Some((name, path)) if !path.is_empty() => (name, Some(PathBuf::from(path))),
            Some((name, _)) => {
                return Err(format!("`{name}=` needs a file name after `=`"));
            }
            None => (text, None),
        };
        let format = Format::parse(name.trim()).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown format `{name}`; expected one of: {}",
                names.join(", ")
            )
        })?;
        Ok(Output { format, path })
    }
}

/// The text report's width when nothing says otherwise: the classic
/// terminal's, so a report pasted into a ticket or a CI log stays readable.
pub const DEFAULT_WIDTH: usize = 80;

#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// ANSI colour in the text report. The caller decides (terminal, `NO_COLOR`).
    pub color: bool,
    /// demarc's version, for SARIF's `tool.driver.version`.
    pub tool_version: String,
    /// Text: the findings alone, no summary or warnings (`--quiet`).
    pub quiet: bool,
    /// Text: the columns it may use (the caller decides: the terminal's,
    /// `COLUMNS`, else [`DEFAULT_WIDTH`]).
    pub width: usize,
    /// When the scan started and how long it took: the text summary's time
    /// and the GitLab report's start and end. Left out of snapshot tests.
    pub started: Option<SystemTime>,
    pub elapsed: Option<Duration>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            quiet: false,
            width: DEFAULT_WIDTH,
            started: None,
            elapsed: None,
        }
    }
}

/// Writes the report for one format to `out`. JSON and SARIF, the formats
/// of large reports, stream; the others are rendered whole first.
pub fn write(
    format: Format,
    result: &ScanResult,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(result, options, out),
        Format::Sarif => sarif::write(result, options, out),
        _ => out.write_all(render(format, result, options).as_bytes()),
    }
}

/// Renders the whole report for one format into a String.
pub fn render(format: Format, result: &ScanResult, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(result, options),
        Format::Json => json::render(result, options),
        Format::Sarif => sarif::render(result, options),
        Format::Junit => junit::render(result, options),
        Format::Gitlab => gitlab::render(result, options),
        Format::Github => github::render(result, options),
        Format::Markdown => markdown::render(result, options),
        Format::Html => html::render(result, options),
    }
}

/// A rule's fix text for one framework: the entry named after the framework,
/// else the first entry. Trimmed; `None` when the rule has no fix text.
pub fn fix_text(rule: &RuleInfo, framework: Framework) -> Option<&str> {
    rule.docs
        .fix
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(framework.name()))
        .or_else(|| rule.docs.fix.first())
        .map(|(_, text)| text.trim())
        .filter(|text| !text.is_empty())
}

/// The fix text for a finding's framework (see [`fix_text`]).
pub fn finding_fix(finding: &Finding) -> Option<&str> {
    fix_text(&finding.rule, finding.framework)
}

/// The first paragraph of a text, its lines joined by single spaces.
pub fn first_paragraph(text: &str) -> String {
    let mut words = Vec::new();
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            break;
        }
        words.extend(line.split_whitespace());
    }
    words.join(" ")
}
