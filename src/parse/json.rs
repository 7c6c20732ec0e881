//! Strict JSON into a [`Node`] tree with byte spans.
//!
//! jsonc-parser is recursive descent, so the nesting depth is checked on the
//! raw text first (see [`crate::parse::limits`]); only then is the text parsed,
//! with every JSON5/JSONC extension turned off.

use crate::model::UnitError;
use crate::parse::limits::{excessive_structure, Comments};
use crate::source::{FileId, Span};
use crate::value::{Entry, Node, PartialText, Piece, Value};
use jsonc_parser::ast;
use jsonc_parser::common::Range;
use jsonc_parser::{CollectOptions, ParseOptions};

/// Marks a hole while a JSON text with unknown parts (a heredoc policy with
/// `${...}` known only after apply) is parsed: a character
/// for private use, which a text that is decoded must not hold itself.
pub const HOLE: char = '\u{E000}';
/// Pads a hole's mark to the length of the interpolation it stands for in
/// the source, so that positions in the source stay right.
pub const PAD: char = '\u{7F}';

/// The text with each hole as [`HOLE`], and how many holes there are;
/// `None` when a known piece of a text with holes holds a mark itself.
pub fn mark_holes(text: &PartialText) -> Option<(String, usize)> {
    let holes = text
        .pieces()
        .iter()
        .filter(|p| matches!(p, Piece::Hole(_)))
        .count();
    let mut marked = String::new();
    for piece in text.pieces() {
        match piece {
            Piece::Text(t) if holes > 0 && t.contains([HOLE, PAD]) => return None,
            Piece::Text(t) => marked.push_str(t),
            Piece::Hole(_) => marked.push(HOLE),
        }
    }
    Some((marked, holes))
}

/// JSON whose `holes` unknown parts are marked by [`HOLE`] (each maybe
/// padded by [`PAD`]s): the structure is known when every hole lies inside a
/// string value, and each such string is an unknown string keeping its known
/// text. `None` when the text is not JSON or a hole is elsewhere (a key, a
/// bare value).
pub fn parse_json_with_holes(marked: &str, holes: usize, file: FileId, base: u32) -> Option<Node> {
    let mut doc = parse_json(marked, file, base).ok()?;
    if holes > 0 && fill_holes(&mut doc)? != holes {
        return None;
    }
    Some(doc)
}

/// Turns each decoded string holding [`HOLE`]s into an unknown string that
/// keeps its known text; the holes found, or `None` when one is in a key.
fn fill_holes(node: &mut Node) -> Option<usize> {
    match &mut node.value {
        Value::List(items) => items.iter_mut().map(fill_holes).sum(),
        Value::Map(entries) => {
            let mut found = 0;
            for entry in entries {
                if entry.key.contains(HOLE) {
                    return None;
                }
                found += fill_holes(&mut entry.value)?;
            }
            Some(found)
        }
        Value::String(s) if s.contains(HOLE) => {
            let mut text = PartialText::default();
            let mut found = 0;
            for (i, known) in s.split(HOLE).enumerate() {
                if i > 0 {
                    text.push_hole(None);
                    found += 1;
                }
                text.push_text(&known.replace(PAD, ""));
            }
            node.value = text.into_value("JSON string with parts known only after apply");
            Some(found)
        }
        _ => Some(0),
    }
}

/// Parses JSON into a Node tree whose spans are byte offsets into the file
/// (`base` added to every offset, for JSON embedded at an offset of a file,
/// e.g. a heredoc policy).
pub fn parse_json(text: &str, file: FileId, base: u32) -> Result<Node, UnitError> {
    // A UTF-8 byte order mark is not JSON, but editors write it; skip it and
    // keep the offsets pointing into the original text.
    let (text, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, base + '\u{feff}'.len_utf8() as u32),
        None => (text, base),
    };
    if let Some((offset, excess)) = excessive_structure(text, Comments::None) {
        return Err(UnitError {
            file,
            span: Some(offset_span(file, base as usize + offset)),
            message: excess.message(),
        });
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
            let range = e.range();
            UnitError {
                file,
                span: Some(Span::new(file, range.start..range.end).shifted(base)),
                message: e.kind().to_string(),
            }
        })?;
    match parsed.value {
        Some(value) => Ok(convert(value, file, base)),
        None => Err(UnitError {
            file,
            span: Some(offset_span(file, base as usize)),
            message: "empty JSON document".into(),
        }),
    }
}

/// A zero-width span at a byte offset, for errors that point at a position.
pub fn offset_span(file: FileId, offset: usize) -> Span {
    Span::new(file, offset..offset)
}

fn span(file: FileId, base: u32, range: Range) -> Span {
    Span::new(file, range.start..range.end).shifted(base)
}

/// A number, or unknown when it overflowed to infinity (`1e400`): no value
/// a template or plan configures is infinite, and an infinite port would
/// read as "every port".
pub fn finite_number(number: f64) -> Value {
    if number.is_finite() {
        Value::Number(number)
    } else {
        Value::Unknown(format!("number out of range ({number})").into())
    }
}

/// Converts the AST; the depth was bounded by the pre-check, so recursion is safe.
fn convert(value: ast::Value<'_>, file: FileId, base: u32) -> Node {
    match value {
        ast::Value::StringLit(s) => Node::new(
            Value::String(s.value.into_owned()),
            span(file, base, s.range),
        ),
        ast::Value::NumberLit(n) => {
            let number = n.value.parse::<f64>().unwrap_or(f64::NAN);
            Node::new(finite_number(number), span(file, base, n.range))
        }
        ast::Value::BooleanLit(b) => Node::new(Value::Bool(b.value), span(file, base, b.range)),
        ast::Value::NullKeyword(n) => Node::new(Value::Null, span(file, base, n.range)),
        ast::Value::Array(a) => {
            let items = a
                .elements
                .into_iter()
                .map(|v| convert(v, file, base))
                .collect();
            Node::new(Value::List(items), span(file, base, a.range))
        }
        ast::Value::Object(o) => {
            let entries = o
                .properties
                .into_iter()
                .map(|prop| {
                    let (key, key_range) = match prop.name {
                        ast::ObjectPropName::String(s) => (s.value.into_owned(), s.range),
                        ast::ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                    };
                    Entry {
                        key,
                        key_span: span(file, base, key_range),
                        value: convert(prop.value, file, base),
                    }
                })
                .collect();
            Node::new(Value::Map(entries), span(file, base, o.range))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    #[test]
    fn values_keep_byte_spans() {
        let text = r#"{"é": "ü\n", "n": -1.5e2, "b": [true, false, null], "o": {}}"#;
        let doc = parse_json(text, 3, 0).unwrap();
        assert_eq!(doc.span, Span::new(3, 0..text.len()));
        let Value::Map(entries) = &doc.value else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].key, "é");
        assert_eq!(slice(text, entries[0].key_span), "\"é\"");
        assert_eq!(entries[0].value.as_str(), Some("ü\n"));
        assert_eq!(slice(text, entries[0].value.span), r#""ü\n""#);
        assert_eq!(doc.get("n").unwrap().value, Value::Number(-150.0));
        assert_eq!(slice(text, doc.get("n").unwrap().span), "-1.5e2");
        let Value::List(items) = &doc.get("b").unwrap().value else {
            panic!("not a list")
        };
        assert_eq!(
            items.iter().map(|n| n.value.clone()).collect::<Vec<_>>(),
            vec![Value::Bool(true), Value::Bool(false), Value::Null]
        );
        assert_eq!(slice(text, items[2].span), "null");
        assert_eq!(
            slice(text, doc.get("b").unwrap().span),
            "[true, false, null]"
        );
        assert_eq!(doc.get("o").unwrap().value, Value::Map(vec![]));
    }

    #[test]
    fn base_offset_shifts_every_span() {
        let prefix = "policy = <<EOF\n";
        let json = r#"{"Effect": "Allow"}"#;
        let doc = parse_json(json, 0, prefix.len() as u32).unwrap();
        let whole = format!("{prefix}{json}");
        let entry = doc.entry("Effect").unwrap();
        assert_eq!(slice(&whole, entry.key_span), "\"Effect\"");
        assert_eq!(slice(&whole, entry.value.span), "\"Allow\"");
        assert_eq!(doc.span.start, prefix.len() as u32);
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let doc = parse_json(r#"{"a": 1, "b": 2, "a": 3}"#, 0, 0).unwrap();
        let Value::Map(entries) = &doc.value else {
            panic!("not a map")
        };
        let keys: Vec<_> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.value.clone()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("a", Value::Number(1.0)),
                ("b", Value::Number(2.0)),
                ("a", Value::Number(3.0))
            ]
        );
    }

    #[test]
    fn comments_trailing_commas_and_json5_are_rejected() {
        for bad in [
            "{\"a\": 1,}",
            "[1, 2,]",
            "{\"a\": 1 // c\n}",
            "/* c */ {}",
            "{a: 1}",
            "{'a': 1}",
            "[0x10]",
            "[+1]",
            "[.5]",
            "[NaN]",
            "{\"a\": 1} {}",
            "",
        ] {
            assert!(parse_json(bad, 0, 0).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let text = "{\n  \"a\": 1,\n  \"b\" 2\n}";
        let err = parse_json(text, 1, 10).unwrap_err();
        assert_eq!(err.file, 1);
        let span = err.span.unwrap();
        let offset = text.find("2\n}").unwrap() as u32;
        assert!(
            span.start >= 10 + text.find("\"b\"").unwrap() as u32 && span.start <= 10 + offset,
            "{span:?}"
        );
        assert!(!err.message.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let text = "[".repeat(100_000);
        let err = parse_json(&text, 0, 5).unwrap_err();
        assert_eq!(err.message, "nesting deeper than 256 levels");
        assert_eq!(err.span, Some(Span::new(0, 261..261)));
        let depth = crate::parse::limits::MAX_NESTING;
        let ok = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_json(&ok, 0, 0).is_ok());
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let text = "\u{feff}{\"a\": true}";
        let doc = parse_json(text, 0, 0).unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(slice(text, doc.get("a").unwrap().span), "true");
    }
}
