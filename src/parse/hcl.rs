//! HCL parsing through hcl-edit, which keeps the byte span of every
//! expression, attribute and block.
//!
//! The parser is recursive descent, so the nesting depth (and the number of
//! elements, which weigh far more parsed than as text) is checked on the raw
//! text first ([`limits::excessive_structure`]); a parse error carries a span
//! at the position hcl-edit reports.

use crate::model::UnitError;
use crate::parse::limits::{self, Comments};
use crate::source::{FileId, Span};
use hcl_edit::structure::Body;
use hcl_edit::visit::Visit;

/// A UTF-8 byte order mark, which hcl-edit does not accept.
const BOM: char = '\u{feff}';

/// Parses one HCL file. Checks nesting depth and element count first
/// (limits::excessive_structure with Comments::Hcl) because the parser is
/// recursive; errors carry a span at the error position (hcl-edit's
/// line/column converted to a byte offset).
pub fn parse_hcl(text: &str, file: FileId) -> Result<Body, UnitError> {
    if let Some((offset, excess)) = limits::excessive_structure(text, Comments::Hcl) {
        return Err(UnitError {
            file,
            span: Some(char_span(text, file, offset)),
            message: format!("{}; the file is not scanned", excess.message()),
        });
    }
    // A byte order mark is replaced by as many spaces (three bytes), so every
    // span still indexes the original text.
    let parsed = match text.strip_prefix(BOM) {
        Some(rest) => hcl_edit::parser::parse_body(&format!("   {rest}")),
        None => hcl_edit::parser::parse_body(text),
    };
    parsed.map_err(|err| {
        let location = err.location();
        let offset = line_col_offset(text, location.line(), location.column());
        UnitError {
            file,
            span: Some(char_span(text, file, offset)),
            message: format!("HCL syntax error: {}", err.message()),
        }
    })
}

/// One warning per object constructor key that repeats an earlier key of
/// its object. Terraform accepts the object and keeps the last value (the
/// vendored parser does the same), but the earlier value is silently lost,
/// which is worth saying.
pub fn repeated_object_keys(body: &Body, text: &str, file: FileId) -> Vec<UnitError> {
    struct Repeats(Vec<std::ops::Range<usize>>);
    impl Visit for Repeats {
        fn visit_object(&mut self, node: &hcl_edit::expr::Object) {
            self.0.extend(node.repeated_keys().iter().cloned());
            hcl_edit::visit::visit_object(self, node);
        }
    }
    let mut repeats = Repeats(Vec::new());
    repeats.visit_body(body);
    repeats
        .0
        .into_iter()
        .map(|span| UnitError {
            file,
            message: format!(
                "object key `{}` is repeated; Terraform keeps this last value and drops the earlier one",
                text.get(span.clone()).unwrap_or_default().trim()
            ),
            span: Some(Span::new(file, span)),
        })
        .collect()
}

/// The byte offset of a one-based line and column (column in characters),
/// clamped to the end of that line (or of the text).
fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let rest = &text[line_start..];
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let within = rest[..line_len]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_len, |(i, _)| i);
    line_start + within
}

/// The span of the character at `offset`, or an empty span at the end of the
/// text.
fn char_span(text: &str, file: FileId, offset: usize) -> Span {
    let offset = offset.min(text.len());
    let len = text[offset..].chars().next().map_or(0, char::len_utf8);
    Span::new(file, offset..offset + len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn parses_a_body_with_spans() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"logs\"\n}\n";
        let body = parse_hcl(text, 0).unwrap();
        let block = body.get_blocks("resource").next().unwrap();
        let attr = block.body.get_attribute("bucket").unwrap();
        let span = hcl_edit::Span::span(&attr.value).unwrap();
        assert_eq!(&text[span], "\"logs\"");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("x = {}", "[".repeat(100_000));
        let err = parse_hcl(&text, 3).unwrap_err();
        assert_eq!(err.file, 3);
        assert!(err.message.contains("nesting"), "{}", err.message);
        let span = err.span.unwrap();
        assert_eq!(span.start as usize, 4 + limits::MAX_NESTING);
        assert_eq!(span.end, span.start + 1);
    }

    #[test]
    fn nesting_just_below_the_parser_limit_still_errors_cleanly() {
        // Deeper than hcl-edit's own limit but below ours: a parse error.
        let text = format!("x = {}{}\n", "[".repeat(200), "]".repeat(200));
        let err = parse_hcl(&text, 0).unwrap_err();
        assert!(
            err.message.starts_with("HCL syntax error"),
            "{}",
            err.message
        );
    }

    #[test]
    fn syntax_error_reports_the_right_line() {
        let text = "a = 1\nb = \"ok\"\n\nc = = 3\nd = 4\n";
        let err = parse_hcl(text, 1).unwrap_err();
        let file = SourceFile::new("x.tf".into(), text.into());
        let span = err.span.expect("parse errors carry a span");
        assert_eq!(span.file, 1);
        assert_eq!(file.line_col(span.start).line, 4);
        assert!(
            err.message.starts_with("HCL syntax error"),
            "{}",
            err.message
        );
    }

    #[test]
    fn unclosed_block_error_is_located_in_the_file() {
        let text = "resource \"a\" \"b\" {\n  x = 1\n";
        let err = parse_hcl(text, 0).unwrap_err();
        let span = err.span.unwrap();
        assert!(span.start as usize <= text.len());
        assert!(span.end as usize <= text.len());
    }

    #[test]
    fn line_col_offsets_count_characters() {
        let text = "ab\né x\n";
        assert_eq!(line_col_offset(text, 1, 1), 0);
        assert_eq!(line_col_offset(text, 2, 1), 3);
        assert_eq!(line_col_offset(text, 2, 3), 6);
        // Past the end of the line: clamped to it.
        assert_eq!(line_col_offset(text, 2, 40), 7);
        assert_eq!(line_col_offset(text, 9, 1), text.len());
    }

    #[test]
    fn a_repeated_object_key_keeps_the_last_value_and_is_a_warning() {
        // The vendored parser indexes identifier and string keys by text and
        // compares expression keys with each other; a repeat of each kind is
        // found, as Terraform sees it: `a` and `"a"` are one key, `(a)` (the
        // value of `a`) another. The last value wins, as Terraform evaluates.
        for (repeated, again) in [
            ("a = 1, b = 2, a = 3", "a = 3"),
            ("\"a\" = 1, \"a\" = 3", "\"a\" = 3"),
            ("a = 1, \"a\" = 3", "\"a\" = 3"),
            ("(x) = 1, ( x ) = 3", "( x ) = 3"),
        ] {
            let text = format!("m = {{ {repeated} }}\n");
            let body = parse_hcl(&text, 2).unwrap();
            let Some(hcl_edit::expr::Expression::Object(object)) =
                body.get_attribute("m").map(|a| &a.value)
            else {
                panic!("{text}: not an object");
            };
            let values: Vec<String> = object
                .iter()
                .map(|(_, v)| v.expr().to_string().trim().to_string())
                .collect();
            assert!(values.contains(&"3".to_string()), "{text}: {values:?}");
            assert!(!values.contains(&"1".to_string()), "{text}: {values:?}");
            let warnings = repeated_object_keys(&body, &text, 2);
            assert_eq!(warnings.len(), 1, "{text}");
            let span = warnings[0].span.unwrap();
            assert_eq!(span.file, 2);
            assert_eq!(span.start as usize, text.find(again).unwrap(), "{text}");
        }
        let text = "m = { a = 1, (a) = 3 }\n";
        assert!(repeated_object_keys(&parse_hcl(text, 0).unwrap(), text, 0).is_empty());
    }

    #[test]
    fn newlines_are_insignificant_inside_for_expressions() {
        for text in [
            "m = { for k, v in x : k => v > 1\n  ? \"a\" : \"b\" }\n",
            "m = { for k, v in x : k => v &&\n  k }\n",
            "m = { for k, v in x : k => v\n  && k }\n",
            "m = { for k, v in\n  x : k => v }\n",
            "l = [for v in\n  x : v\n  && true]\n",
        ] {
            assert!(parse_hcl(text, 0).is_ok(), "{text}");
        }
        // Outside brackets and `for`, a line break still ends the value.
        for text in ["m = { a = true &&\n  false }\n", "m = true\n  ? 1 : 2\n"] {
            assert!(parse_hcl(text, 0).is_err(), "{text}");
        }
    }

    #[test]
    fn expression_keys_of_one_object_are_bounded() {
        let keys = |n: usize| -> String { (0..n).map(|i| format!("(k{i}) = {i}\n")).collect() };
        assert!(parse_hcl(&format!("m = {{\n{}}}\n", keys(4096)), 0).is_ok());
        let text = format!("m = {{\n{}}}\n", keys(4097));
        let error = parse_hcl(&text, 0).unwrap_err();
        let start = error.span.expect("located").start as usize;
        // The 4097th key, on the object's 4098th line.
        assert_eq!(text[..start].matches('\n').count() + 1, 4098, "{error:?}");
        assert!(error.message.contains("4096 expression keys"), "{error:?}");
    }

    #[test]
    fn nested_operands_of_the_backtracking_shape_still_parse_when_valid() {
        // `{a<b/{…} = 1}` nests an object in an object key; the vendored fix
        // for exponential re-parsing must leave valid input of that shape alone.
        let mut value = "{x = 1}".to_string();
        for _ in 0..40 {
            value = format!("{{a<b/{value} = 1}}");
        }
        let text = format!("d = 8/{value}\n");
        let body = parse_hcl(&text, 0).unwrap();
        let attr = body.get_attribute("d").unwrap();
        let span = hcl_edit::Span::span(&attr.value).unwrap();
        assert_eq!(&text[span], &text[4..text.len() - 1]);
    }

    #[test]
    fn byte_order_mark_is_accepted_and_spans_stay_in_place() {
        let text = "\u{feff}x = \"v\"\n";
        let body = parse_hcl(text, 0).unwrap();
        let attr = body.get_attribute("x").unwrap();
        let span = hcl_edit::Span::span(&attr.value).unwrap();
        assert_eq!(&text[span], "\"v\"");
    }
}
