//! Small operations on evaluated values shared by expressions, functions and
//! module evaluation.
//!
//! Two kinds of "not known" exist while evaluating: a value known only after
//! apply ([`Value::Unknown`], [`Value::Ref`]), and an expression Terraform
//! would reject (a missing map key, a division by zero). The second is also
//! an unknown, of kind [`UnknownKind::Failure`], so that `try` and `can` can
//! tell them apart and a rule still never fires on either.

use crate::source::Span;
use crate::value::{format_number, Entry, Node, Origin, PartialText, Unknown, UnknownKind, Value};
use std::collections::HashMap;

/// A value not built because it would cross a limit (see
/// [`super::eval::Evaluator::located`], which reports it).
pub fn over_limit(what: impl std::fmt::Display) -> Value {
    Value::Unknown(Unknown::new(UnknownKind::OverLimit, what.to_string()))
}

/// What limit `value` crossed, if it is [`over_limit`].
pub fn limit_crossed(value: &Value) -> Option<&str> {
    match value {
        Value::Unknown(Unknown {
            kind: UnknownKind::OverLimit,
            reason,
            ..
        }) => Some(reason),
        _ => None,
    }
}

/// An expression Terraform would reject.
pub fn failure(reason: impl std::fmt::Display) -> Value {
    Value::Unknown(Unknown::new(UnknownKind::Failure, reason.to_string()))
}

pub fn unknown(reason: impl Into<String>) -> Value {
    Value::Unknown(reason.into().into())
}

pub fn is_failure(value: &Value) -> bool {
    matches!(
        value,
        Value::Unknown(Unknown {
            kind: UnknownKind::Failure,
            ..
        })
    )
}

/// Some node of the tree is an evaluation error.
pub fn has_failure(node: &Node) -> bool {
    match &node.value {
        Value::List(items) => items.iter().any(has_failure),
        Value::Map(entries) => entries.iter().any(|e| has_failure(&e.value)),
        value => is_failure(value),
    }
}

/// What a value not known as text adds to a string built around it (a
/// template, `format`, `join`): its own known pieces, or one hole at its
/// span. A failure or a crossed limit is not a hole: it stays the error, so
/// `try` still sees it and the limit is still reported.
pub fn text_hole(node: &Node) -> Result<PartialText, Value> {
    if let Some(text) = node.value.partial_text() {
        return Ok(text.clone());
    }
    let missing = match &node.value {
        Value::List(_) | Value::Map(_) => first_unknown(node).cloned(),
        value => Some(value.clone()),
    };
    match missing {
        Some(Value::Ref(_)) => {}
        Some(Value::Unknown(u)) if u.kind == UnknownKind::AfterApply => {}
        Some(Value::Unknown(u)) => return Err(Value::Unknown(u)),
        Some(Value::Null) => return Err(failure("null in a string")),
        // A known value is text already; callers ask only about the others.
        _ => return Err(failure("not text")),
    }
    let mut text = PartialText::default();
    text.push_hole(Some(node.span));
    Ok(text)
}

/// The first unknown or failure in the tree (failures first), to propagate.
pub fn first_unknown(node: &Node) -> Option<&Value> {
    fn walk<'n>(node: &'n Node, found: &mut Option<&'n Value>) {
        match &node.value {
            Value::List(items) => items.iter().for_each(|n| walk(n, found)),
            Value::Map(entries) => entries.iter().for_each(|e| walk(&e.value, found)),
            value
                if !value.is_known()
                    && (found.is_none() || is_failure(value) && !found.is_some_and(is_failure)) =>
            {
                *found = Some(value);
            }
            _ => {}
        }
    }
    let mut found = None;
    walk(node, &mut found);
    found
}

/// Equal values, whatever their spans and provenance. Unknowns are never
/// equal to anything (callers check knownness first).
pub fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .find(|f| f.key == e.key)
                        .is_some_and(|f| same_value(&e.value, &f.value))
                })
        }
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => false,
        (x, y) => x == y,
    }
}

/// A primitive as template text (`22`, `true`); `None` for anything else.
pub fn primitive_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Terraform's automatic conversion to number (`"22"` is 22).
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

/// Terraform's automatic conversion to bool (`"true"` is true).
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A known structure as compact JSON text (map keys sorted, as Terraform's
/// `jsonencode` writes them). Used where a `jsonencode` result, kept as a
/// structure for the rules, is needed as a string.
pub fn json_text(node: &Node) -> Option<String> {
    let mut out = String::new();
    write_json(node, &mut out).then_some(out)
}

fn write_json(node: &Node, out: &mut String) -> bool {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(item, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let mut sorted: Vec<_> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, entry) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(entry.key.clone()).to_string());
                out.push(':');
                if !write_json(&entry.value, out) {
                    return false;
                }
            }
            out.push('}');
        }
        Value::Ref(_) | Value::Unknown(_) => return false,
    }
    true
}

/// Adds origins not already listed, keeping their order (at most
/// [`super::eval::MAX_ORIGINS`]).
pub fn add_origins(into: &mut Vec<Origin>, from: &[Origin]) {
    for origin in from {
        if into.len() >= super::eval::MAX_ORIGINS {
            return;
        }
        if !into.contains(origin) {
            into.push(origin.clone());
        }
    }
}

/// String bytes that cost one evaluation step, as one node does: copies and
/// built values pay for their size, so the step budget also bounds memory
/// (at most `MAX_STEPS * BYTES_PER_STEP`, 128 MiB, of text per unit).
pub const BYTES_PER_STEP: u64 = 64;

/// The steps a value costs to build or copy: one per node, plus its string
/// values and map keys by size.
pub fn cost(node: &Node) -> u64 {
    1 + match &node.value {
        Value::String(s) => s.len() as u64 / BYTES_PER_STEP,
        Value::List(items) => items.iter().map(cost).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|e| e.key.len() as u64 / BYTES_PER_STEP + cost(&e.value))
            .sum(),
        _ => 0,
    }
}

/// A map's entries built one at a time in linear time: a repeated key finds
/// its earlier entry through an index rather than a search.
#[derive(Default)]
pub struct MapBuilder {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl MapBuilder {
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.index.get(key).map(|&i| &mut self.entries[i])
    }

    /// Adds `entry`; a repeated key replaces the earlier entry in its place
    /// (the last one wins, as in a map).
    pub fn insert(&mut self, entry: Entry) {
        match self.index.get(&entry.key) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.index.insert(entry.key.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }
}

/// A computed value at `span` whose provenance is that of its inputs.
pub fn derived(value: Value, span: Span, inputs: &[&Node]) -> Node {
    let mut node = Node::new(value, span);
    for input in inputs {
        add_origins(&mut node.origins, &input.origins);
    }
    node
}

/// An instance key of a counted or `for_each` resource or module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    Index(usize),
    Key(String),
}

impl InstanceKey {
    /// The key as Terraform writes it in an address: `[0]`, `["a"]`.
    pub fn suffix(&self) -> String {
        match self {
            InstanceKey::Index(i) => format!("[{i}]"),
            InstanceKey::Key(k) => format!("[{}]", quote(k)),
        }
    }
}

/// A string quoted as Terraform quotes instance keys.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Entry;

    fn n(value: Value) -> Node {
        Node::new(value, Span::default())
    }

    #[test]
    fn failures_are_unknowns_that_try_can_recognise() {
        let f = failure("no such key");
        assert!(!f.is_known());
        assert!(is_failure(&f));
        assert!(!is_failure(&unknown("var.x")));
        let list = n(Value::List(vec![n(Value::Number(1.0)), n(f.clone())]));
        assert!(has_failure(&list));
        assert_eq!(first_unknown(&list), Some(&f));
    }

    #[test]
    fn equality_ignores_spans_and_key_order() {
        let a = n(Value::Map(vec![
            Entry {
                key: "a".into(),
                key_span: Span::default(),
                value: n(Value::Number(1.0)),
            },
            Entry {
                key: "b".into(),
                key_span: Span::new(1, 3..4),
                value: n(Value::String("x".into())),
            },
        ]));
        let Value::Map(mut entries) = a.value.clone() else {
            panic!()
        };
        entries.reverse();
        let b = Node::new(Value::Map(entries), Span::new(2, 0..9));
        assert!(same_value(&a, &b));
        assert_eq!(json_text(&b).unwrap(), r#"{"a":1,"b":"x"}"#);
        assert!(!same_value(&n(unknown("x")), &n(unknown("x"))));
    }

    #[test]
    fn instance_keys_are_written_as_terraform_does() {
        assert_eq!(InstanceKey::Index(3).suffix(), "[3]");
        assert_eq!(InstanceKey::Key("a\"b".into()).suffix(), r#"["a\"b"]"#);
    }

    #[test]
    fn failures_limits_and_unknowns_are_told_apart_by_kind_not_text() {
        assert!(is_failure(&failure("no key `a`")));
        assert_eq!(limit_crossed(&over_limit("16 MiB")), Some("16 MiB"));
        assert!(!is_failure(&over_limit("16 MiB")));
        // A reason that reads like a failure (a variable's value, a data
        // source's name) is still only unknown.
        let unknown = unknown("error: from a data source");
        assert!(!is_failure(&unknown));
        assert_eq!(limit_crossed(&unknown), None);
    }
}
