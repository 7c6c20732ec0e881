//! YAML into a [`Node`] tree with byte spans, read the way CloudFormation
//! reads templates.
//!
//! The tree is built from saphyr-parser's event stream with an explicit stack,
//! so nesting is bounded by [`MAX_NESTING`] before any deeper node is built and
//! nothing here recurses on the input's depth. Aliases are refused (as
//! CloudFormation does), which also defuses alias bombs; rule files may use
//! them ([`parse_yaml_with_aliases`]) within a budget of expanded nodes.
//! Only the first document is read.
//!
//! Plain scalars are typed as YAML 1.1 types them (`yes`/`on` are booleans,
//! `0755` is octal); quoted and block scalars are always strings.
//! CloudFormation short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become
//! their long form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, ...).

use crate::model::UnitError;
use crate::parse::limits::MAX_NESTING;
use crate::source::{FileId, Span};
use crate::value::{Entry, Node, Value};
use regex::Regex;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The handle saphyr gives `!!` tags (`!!str`, `!!int`).
const CORE_HANDLE: &str = "tag:yaml.org,2002:";

/// Short-form tags that become `Fn::<Name>`.
const FN_TAGS: [&str; 18] = [
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
    "ForEach",
];

/// Parses the first YAML document of `text`. Spans are byte offsets in `text`.
pub fn parse_yaml(text: &str, file: FileId) -> Result<Node, UnitError> {
    Builder {
        text,
        file,
        offsets: Offsets::new(text),
        stack: Vec::new(),
        root: None,
        aliases: None,
    }
    .run()
}

/// [`parse_yaml`] that also expands aliases (`*name` copies the node anchored
/// `&name`), up to `max_nodes` nodes copied in all: an alias bomb is an error,
/// not a hang. For demarc's own files (rules), never for templates.
pub fn parse_yaml_with_aliases(
    text: &str,
    file: FileId,
    max_nodes: usize,
) -> Result<Node, UnitError> {
    Builder {
        text,
        file,
        offsets: Offsets::new(text),
        stack: Vec::new(),
        root: None,
        aliases: Some(Aliases {
            anchored: HashMap::new(),
            budget: max_nodes,
            max_nodes,
        }),
    }
    .run()
}

/// The anchors seen so far and how many more nodes aliases may copy.
struct Aliases {
    /// Anchor id → the anchored node and its node count.
    anchored: HashMap<usize, (Node, usize)>,
    budget: usize,
    max_nodes: usize,
}

/// How many nodes a tree holds.
pub fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.value)).sum(),
        _ => 0,
    }
}

/// A collection being built.
struct Frame {
    kind: Kind,
    start: u32,
    tag: Option<Tag>,
    /// The anchor id (`&name`) of the collection; 0 for none.
    anchor: usize,
}

enum Kind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        /// The key read and waiting for its value.
        key: Option<(String, Span)>,
    },
}

struct Builder<'t> {
    text: &'t str,
    file: FileId,
    offsets: Offsets<'t>,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// `None`: aliases are refused.
    aliases: Option<Aliases>,
}

impl Builder<'_> {
    fn run(mut self) -> Result<Node, UnitError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            let start = self.offsets.byte(span.start.index());
            let end = self.offsets.byte(span.end.index()).max(start);
            match event {
                Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
                // Only the first document is read.
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Alias(id) => {
                    let node = self.expand_alias(id, start)?;
                    self.add(node, None);
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let span = self.scalar_span(start, end, style);
                    let tag = tag.map(|t| t.into_owned());
                    let typed = scalar_value(&value, style, tag.as_ref());
                    let node = self.apply_tag(Node::new(typed, span), tag.as_ref());
                    self.anchor(anchor, &node);
                    let raw = self.expecting_key().then(|| value.into_owned());
                    self.add(node, raw);
                }
                Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                    if self.stack.len() >= MAX_NESTING {
                        return Err(
                            self.error(start, format!("nesting deeper than {MAX_NESTING} levels"))
                        );
                    }
                    let kind = if matches!(event, Event::SequenceStart(..)) {
                        Kind::Seq(Vec::new())
                    } else {
                        Kind::Map {
                            entries: Vec::new(),
                            key: None,
                        }
                    };
                    self.stack.push(Frame {
                        kind,
                        start: start as u32,
                        tag: tag.as_ref().map(|t| t.clone().into_owned()),
                        anchor,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        return Err(self.error(start, "unbalanced YAML collection".into()));
                    };
                    // A flow collection ends at its bracket; a block one at its
                    // last child (its end event sits at the next token).
                    let last_child = match &frame.kind {
                        Kind::Seq(items) => items.last().map(|n| n.span.end),
                        Kind::Map { entries, key } => match key {
                            Some((_, key_span)) => Some(key_span.end),
                            None => entries.last().map(|e| e.value.span.end),
                        },
                    };
                    let end = if end > start {
                        end as u32
                    } else {
                        last_child.unwrap_or(frame.start)
                    };
                    let span = Span {
                        file: self.file,
                        start: frame.start,
                        end: end.max(frame.start),
                    };
                    let value = match frame.kind {
                        Kind::Seq(items) => Value::List(items),
                        Kind::Map { mut entries, key } => {
                            // A key with no value event (never emitted by the
                            // parser, but cheap to be safe about).
                            if let Some((key, key_span)) = key {
                                entries.push(Entry {
                                    key,
                                    key_span,
                                    value: Node::new(
                                        Value::Null,
                                        Span {
                                            start: key_span.end,
                                            ..key_span
                                        },
                                    ),
                                });
                            }
                            Value::Map(entries)
                        }
                    };
                    let node = self.apply_tag(Node::new(value, span), frame.tag.as_ref());
                    self.anchor(frame.anchor, &node);
                    self.add(node, None);
                }
            }
        }
        Ok(self
            .root
            .unwrap_or(Node::new(Value::Null, Span::new(self.file, 0..0))))
    }

    /// Remembers an anchored node when aliases are allowed.
    fn anchor(&mut self, id: usize, node: &Node) {
        if let (Some(aliases), true) = (&mut self.aliases, id != 0) {
            aliases
                .anchored
                .insert(id, (node.clone(), node_count(node)));
        }
    }

    /// A copy of the node an alias names, charged against the budget.
    fn expand_alias(&mut self, id: usize, start: usize) -> Result<Node, UnitError> {
        let Some(aliases) = &mut self.aliases else {
            return Err(self.error(
                start,
                "YAML aliases are not allowed in CloudFormation templates".into(),
            ));
        };
        let Some((node, count)) = aliases.anchored.get(&id) else {
            return Err(self.error(start, "alias to an unknown anchor".into()));
        };
        if *count > aliases.budget {
            let max = aliases.max_nodes;
            return Err(self.error(
                start,
                format!("YAML aliases expand to more than {max} nodes"),
            ));
        }
        aliases.budget -= count;
        Ok(node.clone())
    }

    /// Whether the next node is a mapping key.
    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Map { key: None, .. },
                ..
            })
        )
    }

    /// Hands a finished node to its parent. `raw` is a scalar's text, which
    /// is what a mapping key is named by (`1:` is the key "1", not 1.0).
    fn add(&mut self, node: Node, raw: Option<String>) {
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        match &mut frame.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map { entries, key } => match key.take() {
                Some((key, key_span)) => entries.push(Entry {
                    key,
                    key_span,
                    value: node,
                }),
                None => {
                    // A collection used as a key is named by its source text.
                    let name = raw.unwrap_or_else(|| {
                        self.text
                            .get(node.span.start as usize..node.span.end as usize)
                            .unwrap_or("")
                            .to_string()
                    });
                    *key = Some((name, node.span));
                }
            },
        }
    }

    /// The span of a scalar: its event span (tag, anchor and quotes
    /// included), without the trailing line breaks a block scalar's event
    /// covers, and ending at a quoted scalar's closing quote (its event runs
    /// on over spaces and a comment, up to the next token).
    fn scalar_span(&self, start: usize, end: usize, style: ScalarStyle) -> Span {
        let end = match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let slice = self.text.get(start..end).unwrap_or("");
                start + slice.trim_end().len()
            }
            ScalarStyle::SingleQuoted => closing_quote(self.text, start, end, b'\'').unwrap_or(end),
            ScalarStyle::DoubleQuoted => closing_quote(self.text, start, end, b'"').unwrap_or(end),
            _ => end,
        };
        Span::new(self.file, start..end)
    }

    /// Turns a CloudFormation short-form tag into its long form; other tags
    /// leave the node as it is.
    fn apply_tag(&self, node: Node, tag: Option<&Tag>) -> Node {
        let Some(name) = tag.and_then(local_tag) else {
            return node;
        };
        let key = match name {
            "Ref" | "Condition" => name.to_string(),
            _ if FN_TAGS.contains(&name) || name == "GetAtt" => format!("Fn::{name}"),
            _ => return node,
        };
        let span = node.span;
        let tag_text = format!("!{name}");
        let key_span = self
            .text
            .get(span.start as usize..span.end as usize)
            .and_then(|s| s.find(&tag_text))
            .map(|pos| {
                let start = span.start + pos as u32;
                Span {
                    start,
                    end: start + tag_text.len() as u32,
                    ..span
                }
            })
            .unwrap_or(span);
        let value = if name == "GetAtt" {
            self.split_get_att(node)
        } else {
            node
        };
        Node::new(
            Value::Map(vec![Entry {
                key,
                key_span,
                value,
            }]),
            span,
        )
    }

    /// `!GetAtt A.B` is `["A", "B"]`, split at the first dot; the element
    /// spans point at the two parts when the scalar sits verbatim in the text.
    fn split_get_att(&self, node: Node) -> Node {
        let Value::String(text) = &node.value else {
            return node;
        };
        let Some(dot) = text.find('.') else {
            return node;
        };
        let span = node.span;
        let slice = self
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let (a_span, b_span) = if slice.ends_with(text.as_str()) {
            let at = span.end - text.len() as u32;
            let dot = at + dot as u32;
            (
                Span {
                    end: dot,
                    start: at,
                    ..span
                },
                Span {
                    start: dot + 1,
                    ..span
                },
            )
        } else {
            (span, span)
        };
        let (a, b) = (text[..dot].to_string(), text[dot + 1..].to_string());
        Node::new(
            Value::List(vec![
                Node::new(Value::String(a), a_span),
                Node::new(Value::String(b), b_span),
            ]),
            span,
        )
    }

    fn error(&self, offset: usize, message: String) -> UnitError {
        UnitError {
            file: self.file,
            span: Some(Span::new(self.file, offset..offset)),
            message,
        }
    }

    fn scan_error(&self, e: &ScanError) -> UnitError {
        let offset = self.offsets.byte(e.marker().index());
        let message = if e.info().contains("recursion limit exceeded") {
            format!("nesting deeper than {MAX_NESTING} levels")
        } else {
            e.info().to_string()
        };
        self.error(offset, message)
    }
}

/// The offset just past the closing quote of the quoted scalar that opens
/// in `text[start..end]` (after any tag or anchor). Double quotes escape with
/// a backslash, single quotes by doubling.
fn closing_quote(text: &str, start: usize, end: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes().get(..end)?;
    let open = start + bytes.get(start..)?.iter().position(|&b| b == quote)?;
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote && quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The name of a local tag (`!Ref` → `Ref`, also written `!<!Ref>`).
fn local_tag(tag: &Tag) -> Option<&str> {
    match tag.handle.as_str() {
        "!" => Some(&tag.suffix),
        "" => tag.suffix.strip_prefix('!'),
        _ => None,
    }
}

fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == CORE_HANDLE {
            return match tag.suffix.as_str() {
                "str" => Value::String(text.into()),
                "null" => Value::Null,
                "bool" => match plain_value(text) {
                    b @ Value::Bool(_) => b,
                    _ => Value::String(text.into()),
                },
                "int" | "float" => match plain_value(text) {
                    n @ (Value::Number(_) | Value::Unknown(_)) => n,
                    _ => Value::String(text.into()),
                },
                _ => plain_or_string(text, style),
            };
        }
        // The operand of an intrinsic function (`!Ref 123`) is text.
        if local_tag(tag).is_some_and(|n| {
            n == "Ref" || n == "Condition" || n == "GetAtt" || FN_TAGS.contains(&n)
        }) {
            return Value::String(text.into());
        }
    }
    plain_or_string(text, style)
}

fn plain_or_string(text: &str, style: ScalarStyle) -> Value {
    match style {
        ScalarStyle::Plain => plain_value(text),
        _ => Value::String(text.into()),
    }
}

/// Types a plain scalar the way YAML 1.1 does (without sexagesimal numbers
/// and without `y`/`n`, which CloudFormation's parser reads as strings).
fn plain_value(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Value::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        _ => match number(text) {
            Some(n) => crate::parse::json::finite_number(n),
            None => Value::String(text.into()),
        },
    }
}

fn number(text: &str) -> Option<f64> {
    static FLOAT: OnceLock<Regex> = OnceLock::new();
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let radix = |digits: &str, radix: u32| -> Option<f64> {
        let mut any = false;
        let mut n = 0.0f64;
        for c in digits.chars() {
            if c == '_' {
                continue;
            }
            n = n * radix as f64 + c.to_digit(radix)? as f64;
            any = true;
        }
        any.then_some(sign * n)
    };
    if let Some(hex) = body.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return radix(oct, 8);
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return radix(bin, 2);
    }
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if text == body => return Some(f64::NAN),
        _ => {}
    }
    if body.len() > 1
        && body.starts_with('0')
        && body.bytes().all(|b| matches!(b, b'0'..=b'7' | b'_'))
    {
        // YAML 1.1 octal: `0755`.
        return radix(&body[1..], 8);
    }
    let float = FLOAT.get_or_init(|| {
        Regex::new(r"^(?:(?:0|[1-9][0-9_]*)(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?)$")
            .expect("valid regex")
    });
    if !float.is_match(body) {
        return None;
    }
    let cleaned: String = body.chars().filter(|&c| c != '_').collect();
    cleaned.parse::<f64>().ok().map(|n| sign * n)
}

/// saphyr's markers count characters; spans are bytes. Converts with a
/// checkpoint every [`Offsets::STEP`] characters (identity for ASCII text).
struct Offsets<'t> {
    text: &'t str,
    /// Byte offset of character `k * STEP`; empty when the text is ASCII.
    checkpoints: Vec<u32>,
}

impl<'t> Offsets<'t> {
    const STEP: usize = 64;

    fn new(text: &'t str) -> Self {
        let checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(Self::STEP)
                .map(|(b, _)| b as u32)
                .collect()
        };
        Offsets { text, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / Self::STEP) else {
            return self.text.len();
        };
        let base = base as usize;
        self.text[base..]
            .char_indices()
            .nth(char_index % Self::STEP)
            .map_or(self.text.len(), |(b, _)| base + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn parse(text: &str) -> Node {
        parse_yaml(text, 0).unwrap_or_else(|e| panic!("{}: {e:?}", e.message))
    }

    /// The error of a parse that must fail (without printing a huge tree).
    fn refused(result: Result<Node, UnitError>) -> UnitError {
        match result {
            Ok(_) => panic!("deep nesting accepted"),
            Err(e) => e,
        }
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn plain_scalars_are_typed_as_yaml_1_1() {
        let cases: &[(&str, Value)] = &[
            ("true", Value::Bool(true)),
            ("True", Value::Bool(true)),
            ("YES", Value::Bool(true)),
            ("on", Value::Bool(true)),
            ("Off", Value::Bool(false)),
            ("no", Value::Bool(false)),
            ("FALSE", Value::Bool(false)),
            ("tRUE", s("tRUE")),
            ("y", s("y")),
            ("42", Value::Number(42.0)),
            ("-7", Value::Number(-7.0)),
            ("+3", Value::Number(3.0)),
            ("1_000", Value::Number(1000.0)),
            ("0x1F", Value::Number(31.0)),
            ("0o17", Value::Number(15.0)),
            ("0755", Value::Number(493.0)),
            ("0b101", Value::Number(5.0)),
            ("3.5", Value::Number(3.5)),
            ("-.5", Value::Number(-0.5)),
            ("1e3", Value::Number(1000.0)),
            ("6.02e+23", Value::Number(6.02e23)),
            (".inf", Value::Unknown("number out of range (inf)".into())),
            ("-.Inf", Value::Unknown("number out of range (-inf)".into())),
            ("1e400", Value::Unknown("number out of range (inf)".into())),
            ("null", Value::Null),
            ("Null", Value::Null),
            ("NULL", Value::Null),
            ("~", Value::Null),
            ("012345678912", s("012345678912")),
            ("1.2.3", s("1.2.3")),
            ("2010-09-09", s("2010-09-09")),
            ("12:30", s("12:30")),
            ("0x", s("0x")),
            ("_1", s("_1")),
            ("-a", s("-a")),
            ("1.e3", Value::Number(1000.0)),
            ("0.0.0.0/0", s("0.0.0.0/0")),
            ("AWS::S3::Bucket", s("AWS::S3::Bucket")),
        ];
        for (text, want) in cases {
            let doc = parse(&format!("v: {text}\n"));
            assert_eq!(&doc.get("v").unwrap().value, want, "for {text:?}");
        }
        assert!(!parse("v: .nan").get("v").unwrap().value.is_known());
        assert_eq!(parse("v:\n").get("v").unwrap().value, Value::Null);
    }

    #[test]
    fn quoted_block_and_str_tagged_scalars_are_strings() {
        let doc =
            parse("a: 'true'\nb: \"42\"\nc: |\n  yes\nd: >\n  1\ne: !!str 12\nf: !!int '5'\n");
        assert_eq!(doc.get("a").unwrap().value, s("true"));
        assert_eq!(doc.get("b").unwrap().value, s("42"));
        assert_eq!(doc.get("c").unwrap().value, s("yes\n"));
        assert_eq!(doc.get("d").unwrap().value, s("1\n"));
        assert_eq!(doc.get("e").unwrap().value, s("12"));
        assert_eq!(doc.get("f").unwrap().value, Value::Number(5.0));
    }

    #[test]
    fn spans_are_byte_offsets_even_after_non_ascii_text() {
        let text = "Description: \"Ünïcödé — ✓ 日本語\"\nKey: value\nList:\n  - 'q'\n  - [1, 2]\nLit: |\n  hello\n\nNext: 1\n";
        let doc = parse(text);
        let entry = doc.entry("Key").unwrap();
        assert_eq!(slice(text, entry.key_span), "Key");
        assert_eq!(slice(text, entry.value.span), "value");
        let list = doc.get("List").unwrap();
        assert_eq!(slice(text, list.span), "- 'q'\n  - [1, 2]");
        let Value::List(items) = &list.value else {
            panic!("not a list")
        };
        assert_eq!(slice(text, items[0].span), "'q'");
        assert_eq!(slice(text, items[1].span), "[1, 2]");
        assert_eq!(
            slice(text, doc.get("Description").unwrap().span),
            "\"Ünïcödé — ✓ 日本語\""
        );
        assert_eq!(slice(text, doc.get("Lit").unwrap().span), "hello");
        assert_eq!(doc.span.start, 0);
        assert_eq!(slice(text, doc.span).lines().last(), Some("Next: 1"));
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        for (text, want) in [
            ("a: \"*\" # it's \"x\"\nb: 1\n", "\"*\""),
            ("a: '*'   # c\nb: 1\n", "'*'"),
            ("a: 'it''s' # c\n", "'it''s'"),
            ("a: \"q\\\" \\\\\"  # c\n", "\"q\\\" \\\\\""),
            ("a: !Sub \"${X}\" # c\n", "!Sub \"${X}\""),
            ("a: \"two\n  lines\" # c\n", "\"two\n  lines\""),
            ("a: x # c\n", "x"),
        ] {
            let doc = parse(text);
            assert_eq!(slice(text, doc.get("a").unwrap().span), want, "in {text:?}");
        }
        let text = "\"key\" : 1\n";
        assert_eq!(
            slice(text, parse(text).entry("key").unwrap().key_span),
            "\"key\""
        );
    }

    #[test]
    fn offsets_convert_characters_to_bytes() {
        let text = format!("{}é{}", "a".repeat(100), "ü".repeat(200));
        let offsets = Offsets::new(&text);
        for (char_index, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(offsets.byte(char_index), byte);
        }
        assert_eq!(offsets.byte(text.chars().count()), text.len());
        assert_eq!(offsets.byte(10_000), text.len());
    }

    #[test]
    fn short_form_tags_become_long_form() {
        let text = "A: !Ref Bucket\nB: !GetAtt Role.Arn\nC: !Sub 'x-${AWS::Region}'\nD: !Join ['', [a, !Ref B]]\nE: !GetAtt [R, Arn]\nF: !Condition IsProd\nG: !Unknown 5\nH: !GetAZs ''\nI: !Ref 123\n";
        let doc = parse(text);
        let a = doc.get("A").unwrap();
        assert_eq!(slice(text, a.span), "!Ref Bucket");
        let ref_entry = a.entry("Ref").unwrap();
        assert_eq!(slice(text, ref_entry.key_span), "!Ref");
        assert_eq!(ref_entry.value.value, s("Bucket"));

        let b = doc.get("B").unwrap().get("Fn::GetAtt").unwrap();
        let Value::List(parts) = &b.value else {
            panic!("GetAtt not split: {b:?}")
        };
        assert_eq!(
            parts.iter().map(|p| p.value.clone()).collect::<Vec<_>>(),
            vec![s("Role"), s("Arn")]
        );
        assert_eq!(slice(text, parts[0].span), "Role");
        assert_eq!(slice(text, parts[1].span), "Arn");

        assert_eq!(
            doc.get("C").unwrap().get("Fn::Sub").unwrap().value,
            s("x-${AWS::Region}")
        );
        let join = doc.get("D").unwrap();
        assert_eq!(slice(text, join.span), "!Join ['', [a, !Ref B]]");
        let Value::List(args) = &join.get("Fn::Join").unwrap().value else {
            panic!("not a list")
        };
        let Value::List(inner) = &args[1].value else {
            panic!("not a list")
        };
        assert_eq!(inner[1].get("Ref").unwrap().value, s("B"));
        let e = doc.get("E").unwrap().get("Fn::GetAtt").unwrap();
        assert!(matches!(&e.value, Value::List(l) if l.len() == 2));
        assert_eq!(
            doc.get("F").unwrap().get("Condition").unwrap().value,
            s("IsProd")
        );
        assert_eq!(doc.get("G").unwrap().value, Value::Number(5.0));
        assert_eq!(
            doc.get("H").unwrap().get("Fn::GetAZs").unwrap().value,
            s("")
        );
        assert_eq!(doc.get("I").unwrap().get("Ref").unwrap().value, s("123"));
    }

    #[test]
    fn every_listed_tag_maps_to_its_function() {
        for name in FN_TAGS {
            let doc = parse(&format!("v: !{name} [a]\n"));
            let v = doc.get("v").unwrap();
            assert!(v.get(&format!("Fn::{name}")).is_some(), "{name}: {v:?}");
        }
        let doc = parse("v: !Sub\n  - '${A}'\n  - A: b\n");
        let sub = doc.get("v").unwrap();
        assert!(matches!(&sub.get("Fn::Sub").unwrap().value, Value::List(l) if l.len() == 2));
        let doc = parse("v: !If\n  c: d\n");
        assert_eq!(
            doc.get("v")
                .unwrap()
                .get("Fn::If")
                .unwrap()
                .get("c")
                .unwrap()
                .value,
            s("d")
        );
    }

    #[test]
    fn duplicate_keys_and_non_string_keys_are_kept() {
        let text = "a: 1\n1: x\na: 2\ntrue: y\n";
        let doc = parse(text);
        let Value::Map(entries) = &doc.value else {
            panic!("not a map")
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["a", "1", "a", "true"]);
        assert_eq!(entries[2].value.value, Value::Number(2.0));
    }

    #[test]
    fn only_the_first_document_is_read() {
        let doc = parse("---\na: 1\n---\nb: 2\n");
        assert_eq!(doc.get("a").unwrap().value, Value::Number(1.0));
        assert!(doc.get("b").is_none());
        assert_eq!(parse("").value, Value::Null);
        assert_eq!(parse("# only a comment\n").value, Value::Null);
    }

    #[test]
    fn aliases_are_refused_and_bombs_defused() {
        let text = "a: &x 1\nb: *x\n";
        let err = parse_yaml(text, 2).unwrap_err();
        assert_eq!(
            err.message,
            "YAML aliases are not allowed in CloudFormation templates"
        );
        assert_eq!(err.file, 2);
        assert_eq!(err.span.unwrap().start as usize, text.find('*').unwrap());

        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(",");
            bomb.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        let started = Instant::now();
        let err = parse_yaml(&bomb, 0).unwrap_err();
        assert!(err.message.contains("aliases"));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn aliases_expand_when_allowed_within_a_budget() {
        let text = "ports: &db [3306, 5432]\nagain: *db\nscalar: &s x\nother: *s\n";
        let doc = parse_yaml_with_aliases(text, 0, 100).unwrap();
        assert_eq!(
            doc.get("again").unwrap().value,
            doc.get("ports").unwrap().value
        );
        assert_eq!(doc.get("other").unwrap().as_str(), Some("x"));
        // The budget counts copied nodes: three for the list, one for `x`.
        assert!(parse_yaml_with_aliases(text, 0, 4).is_ok());
        let err = parse_yaml_with_aliases(text, 0, 3).unwrap_err();
        assert_eq!(err.message, "YAML aliases expand to more than 3 nodes");
        assert_eq!(err.span.unwrap().start as usize, text.find("*s").unwrap());

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 10].join(",");
            bomb.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        let started = Instant::now();
        let err = parse_yaml_with_aliases(&bomb, 0, 10_000).unwrap_err();
        assert!(err.message.contains("more than 10000 nodes"));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn deep_flow_nesting_errors_without_overflow() {
        for open in ["[", "{", "{a: ", "- "] {
            let text = open.repeat(100_000);
            let err = refused(parse_yaml(&text, 0));
            assert_eq!(
                err.message, "nesting deeper than 256 levels",
                "for {open:?}"
            );
            assert!(err.span.unwrap().start as usize <= open.len() * (MAX_NESTING + 1));
        }
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_yaml(&ok, 0).is_ok());
    }

    #[test]
    fn deep_block_nesting_errors_without_overflow() {
        // 100,000 nested block mappings (explicit keys) and block sequences
        // fit on one line each.
        for open in ["? ", "- ", "? - "] {
            let text = open.repeat(100_000);
            let err = refused(parse_yaml(&text, 0));
            assert_eq!(
                err.message, "nesting deeper than 256 levels",
                "for {open:?}"
            );
        }
        // Indented block mappings: the error is at the 257th key.
        let text: String = (0..400)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        let err = refused(parse_yaml(&text, 0));
        assert_eq!(err.message, "nesting deeper than 256 levels");
        let start = err.span.unwrap().start as usize;
        assert_eq!(&text[start..start + 2], "k:");
        assert_eq!(
            text[..start].matches('\n').count(),
            MAX_NESTING,
            "error on line 257"
        );
        let ok: String = (0..200)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        assert!(parse_yaml(&ok, 0).is_ok());
    }

    #[test]
    fn scanner_errors_point_at_their_position() {
        let text = "é: [b\n";
        let err = parse_yaml(text, 0).unwrap_err();
        assert!(err.message.contains("flow sequence"), "{}", err.message);
        assert_eq!(err.span.unwrap().start as usize, text.len());
        let text = "a: b\n c: d\n";
        let err = parse_yaml(text, 0).unwrap_err();
        assert!(err.message.contains("mapping values"), "{}", err.message);
        assert_eq!(err.span.unwrap().start, 7);
    }
}
