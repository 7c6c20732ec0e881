//! From demarc's findings to the Language Server Protocol's terms:
//! positions (UTF-16 columns), diagnostics, hover text and the suppression
//! a quick fix inserts.

use crate::finding::{Finding, Severity};
use crate::model::Framework;
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString, Position, Range,
    TextEdit, Url,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Line starts of a text, to turn byte offsets and demarc's 1-based
/// line/column (in characters) into LSP positions (0-based, UTF-16 units).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    pub fn position(&self, byte: usize) -> Position {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= byte) - 1;
        let character = self.text[self.starts[line]..byte].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end.max(start)))
    }

    /// The position of demarc's 1-based `line` and character `column`.
    pub fn position_at(&self, line: usize, column: usize) -> Position {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.position(self.text.len());
        };
        let end = self.line_end_byte(line.saturating_sub(1));
        let byte = self.text[start..end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(end, |(i, _)| start + i);
        self.position(byte)
    }

    /// The end of (0-based) `line`, before its line break.
    pub fn line_end(&self, line: u32) -> Position {
        self.position(self.line_end_byte(line as usize))
    }

    fn line_end_byte(&self, line: usize) -> usize {
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next - 1);
        if self.text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        }
    }

    /// The whitespace a (1-based) line starts with.
    fn indent(&self, line: usize) -> &'a str {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let rest = &self.text[start..self.line_end_byte(line.saturating_sub(1))];
        &rest[..rest.len() - rest.trim_start().len()]
    }
}

/// Terraform configuration and variable files, by name; the rest an editor
/// opens may be a CloudFormation template, which the scan decides.
pub fn is_terraform(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".tf", ".tf.json", ".tfvars", ".tfvars.json"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// One spelling of a path, to compare a report's display path with a
/// document's path: absolute, links resolved where it exists.
pub fn file_key(path: &Path) -> PathBuf {
    let absolute = crate::repo::absolute(path);
    absolute.canonicalize().unwrap_or(absolute)
}

/// The rule's severity as the editor's: what blocks a merge is an error.
pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Critical | Severity::High => DiagnosticSeverity::ERROR,
        Severity::Medium => DiagnosticSeverity::WARNING,
        Severity::Low => DiagnosticSeverity::INFORMATION,
        Severity::Info => DiagnosticSeverity::HINT,
    }
}

/// A finding as a diagnostic at `range`; where its value was set
/// (provenance) becomes related information, located with `text_of`.
pub fn finding_diagnostic(
    finding: &Finding,
    range: Range,
    text_of: impl Fn(&Path) -> Option<Arc<str>>,
) -> Diagnostic {
    let rule = &finding.rule;
    let related = finding
        .provenance
        .iter()
        .filter_map(|step| {
            let path = crate::repo::absolute(Path::new(&step.location.file));
            let uri = Url::from_file_path(&path).ok()?;
            let text = text_of(&path)?;
            let index = LineIndex::new(&text);
            Some(DiagnosticRelatedInformation {
                location: lsp_types::Location {
                    uri,
                    range: index.range(step.location.byte_start, step.location.byte_end),
                },
                message: step.label.clone(),
            })
        })
        .collect::<Vec<_>>();
    Diagnostic {
        range,
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(rule.id.clone())),
        code_description: rule
            .help_uri
            .as_deref()
            .and_then(|uri| Url::parse(uri).ok())
            .map(|href| lsp_types::CodeDescription { href }),
        source: Some("demarc".into()),
        message: format!(
            "{} {} [{}/{}]: {}",
            rule.id,
            rule.summary,
            rule.layer.name(),
            finding.owner.name(),
            finding.message
        ),
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// The rule's documentation for a hover: what it checks, why it matters,
/// and the fix for the finding's framework.
pub fn hover_markdown(finding: &Finding) -> String {
    let rule = &finding.rule;
    let mut out = format!(
        "**{}** `{}`: {}\n\nseverity **{}** · layer **{}** · owner **{}** ({})\n\n{}\n",
        rule.id,
        rule.slug,
        rule.summary,
        finding.severity.name(),
        rule.layer.name(),
        finding.owner.name(),
        finding.service_model.name(),
        finding.message
    );
    out.push_str(&format!(
        "\n#### What it checks\n{}\n\n#### Why it matters\n{}\n",
        rule.docs.what.trim_end(),
        rule.docs.why.trim_end()
    ));
    let framework = finding.framework.name();
    for (name, fix) in rule.docs.fix.iter().filter(|(name, _)| name == framework) {
        out.push_str(&format!("\n#### How to fix ({name})\n{}\n", fix.trim_end()));
    }
    if !rule.docs.references.is_empty() {
        out.push_str("\n#### References\n");
        for reference in &rule.docs.references {
            out.push_str(&format!("- {reference}\n"));
        }
    }
    out
}

/// What the inserted suppression gives as its reason, for the author to
/// replace (demarc warns of a suppression with no reason).
const REASON_PLACEHOLDER: &str = "<why this is accepted>";

/// The suppression demarc reads for `finding`, as an edit of `file` (whose
/// text is `text`). A comment goes on the line above the resource: it
/// covers the rule for the whole resource and is valid syntax there
/// whatever the finding's value is (a heredoc, a multi-line string). JSON
/// has no comments: a CloudFormation resource gets `Metadata` (when it has
/// none yet); Terraform JSON gets no quick fix.
pub fn suppression_edit(finding: &Finding, file: &Path, text: &str) -> Option<TextEdit> {
    let resource = &finding.resource_location;
    let index = LineIndex::new(text);
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    if !is_json {
        let line = resource.start_line;
        let at = Position::new(line.saturating_sub(1) as u32, 0);
        return Some(TextEdit::new(
            Range::new(at, at),
            format!(
                "{}# demarc:ignore {} {REASON_PLACEHOLDER}\n",
                index.indent(line),
                finding.rule.id
            ),
        ));
    }
    if finding.framework != Framework::Cloudformation {
        return None;
    }
    let body = text.get(resource.byte_start..resource.byte_end.max(resource.byte_start))?;
    if body.contains("\"Metadata\"") {
        return None;
    }
    let open = resource.byte_start + body.find('{')? + 1;
    let at = index.position(open);
    Some(TextEdit::new(
        Range::new(at, at),
        format!(
            " \"Metadata\": {{\"demarc\": {{\"ignore\": [{{\"id\": \"{}\", \"reason\": \"{REASON_PLACEHOLDER}\"}}]}}}},",
            finding.rule.id
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_clamp() {
        // "é" is two bytes and one UTF-16 unit; "𝄞" four bytes and two units.
        let text = "a = \"é𝄞\"\r\nb = 1\n";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(b), Position::new(1, 0));
        let quote = text.rfind('"').unwrap();
        assert_eq!(index.position(quote), Position::new(0, 8));
        assert_eq!(index.line_end(0), Position::new(0, 9));
        assert_eq!(index.position_at(2, 5), Position::new(1, 4));
        assert_eq!(index.position(10_000), Position::new(2, 0));
        assert_eq!(index.indent(1), "");
    }

    #[test]
    fn severities_map_to_the_editors_levels() {
        assert_eq!(severity(Severity::Critical), DiagnosticSeverity::ERROR);
        assert_eq!(severity(Severity::High), DiagnosticSeverity::ERROR);
        assert_eq!(severity(Severity::Medium), DiagnosticSeverity::WARNING);
        assert_eq!(severity(Severity::Low), DiagnosticSeverity::INFORMATION);
        assert_eq!(severity(Severity::Info), DiagnosticSeverity::HINT);
    }
}
