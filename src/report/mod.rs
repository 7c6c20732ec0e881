//! Reporters: one module per output format, each a sink over a ScanResult.
//!
//! Reporters know only the types in `finding` and `model`. Each renders the
//! whole report into one `String`, so output is written in one piece and never
//! interleaved. Findings and errors arrive already sorted; reporters keep that
//! order and derive everything else (summary, rule table) deterministically.

pub mod json;
pub mod sarif;
pub mod summary;
pub mod text;

use crate::finding::{Finding, RuleInfo, ScanResult};
use crate::model::Framework;

/// An output format (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable report with source snippets (default).
    Text,
    /// One JSON object (`"version": 1`).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }
}

#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// ANSI colour in the text report. The caller decides (terminal, `NO_COLOR`).
    pub color: bool,
    /// demarc's version, for SARIF's `tool.driver.version`.
    pub tool_version: String,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Renders the whole report for one format into a String.
pub fn render(format: Format, result: &ScanResult, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(result, options),
        Format::Json => json::render(result, options),
        Format::Sarif => sarif::render(result, options),
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
