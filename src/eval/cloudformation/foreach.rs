//! `Fn::ForEach` loops in `Resources` (the `AWS::LanguageExtensions`
//! transform): `Fn::ForEach::Name: [Identifier, Collection, {OutputKey:
//! OutputValue}]` makes one copy of the output entries per element of the
//! collection, with `${Identifier}` (and `&{Identifier}`, the element with
//! everything but letters and digits removed) replaced in keys and strings,
//! and `Ref: Identifier` replaced by the element. Loops nest.
//!
//! The copies keep the spans of the loop's body, so a finding on a resource
//! a loop makes points at the line the user wrote.

use super::error;
use super::resolve::Resolver;
use crate::model::UnitError;
use crate::value::{Entry, Node, Value};

/// CloudFormation's limit on the resources of one template: a loop that
/// makes more is an error, not unbounded work.
pub(super) const MAX_GENERATED: usize = 500;

/// Loops nest in practice two or three deep; deeper is refused.
const MAX_DEPTH: usize = 8;

pub(super) const LOOP_PREFIX: &str = "Fn::ForEach::";

#[derive(Default)]
pub(super) struct Expansion {
    /// The resources the loops make, in order.
    pub entries: Vec<Entry>,
    pub errors: Vec<UnitError>,
    /// Loops left unexpanded because their collection is not known before
    /// deployment.
    pub notes: Vec<UnitError>,
}

/// Expands every loop among `entries` (the `Resources` section).
pub(super) fn expand(entries: &[Entry], resolver: &mut Resolver) -> Expansion {
    let mut expansion = Expansion::default();
    for entry in entries.iter().filter(|e| e.key.starts_with(LOOP_PREFIX)) {
        expand_loop(entry, resolver, &mut expansion, 1);
    }
    expansion
}

fn expand_loop(entry: &Entry, resolver: &mut Resolver, out: &mut Expansion, depth: usize) {
    let (identifier, collection, body) = match &entry.value.value {
        Value::List(args) => match args.as_slice() {
            [identifier, collection, body] => match (identifier.as_str(), &body.value) {
                (Some(identifier), Value::Map(body)) => (identifier, collection, body),
                _ => return malformed(entry, out),
            },
            _ => return malformed(entry, out),
        },
        _ => return malformed(entry, out),
    };
    if depth > MAX_DEPTH {
        out.errors.push(error(
            Some(entry.key_span),
            format!("`{}` nests loops more than {MAX_DEPTH} deep", entry.key),
        ));
        return;
    }
    let elements: Option<Vec<String>> = match resolver.resolve(collection).map(|n| n.value) {
        Some(Value::List(items)) => items.iter().map(|item| item.value.scalar_text()).collect(),
        _ => None,
    };
    let Some(elements) = elements else {
        out.notes.push(error(
            Some(entry.key_span),
            format!(
                "`{}` (AWS::LanguageExtensions) is not expanded: its collection is not known before deployment, so the resources it makes are not scanned",
                entry.key
            ),
        ));
        return;
    };
    for element in &elements {
        for item in body {
            let made = Entry {
                key: substitute_text(&item.key, identifier, element),
                key_span: item.key_span,
                value: substitute(&item.value, identifier, element),
            };
            if made.key.starts_with(LOOP_PREFIX) {
                expand_loop(&made, resolver, out, depth + 1);
            } else if out.entries.len() < MAX_GENERATED {
                out.entries.push(made);
            } else {
                out.errors.push(error(
                    Some(entry.key_span),
                    format!(
                        "`{}` makes more than {MAX_GENERATED} resources, CloudFormation's limit for a template; the rest are not scanned",
                        entry.key
                    ),
                ));
                return;
            }
        }
    }
}

fn malformed(entry: &Entry, out: &mut Expansion) {
    out.errors.push(error(
        Some(entry.key_span),
        format!(
            "`{}` must be a list of an identifier, a collection and a map of the entries to make",
            entry.key
        ),
    ));
}

/// `node` with the loop's identifier replaced by `element`.
fn substitute(node: &Node, identifier: &str, element: &str) -> Node {
    let value = match &node.value {
        Value::String(text) => Value::String(substitute_text(text, identifier, element)),
        Value::Map(entries) => match entries.as_slice() {
            [only] if only.key == "Ref" && only.value.as_str() == Some(identifier) => {
                Value::String(element.to_string())
            }
            _ => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: substitute_text(&e.key, identifier, element),
                        key_span: e.key_span,
                        value: substitute(&e.value, identifier, element),
                    })
                    .collect(),
            ),
        },
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| substitute(item, identifier, element))
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        value,
        span: node.span,
        origins: node.origins.clone(),
    }
}

fn substitute_text(text: &str, identifier: &str, element: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let alphanumeric: String = element
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    text.replace(&format!("${{{identifier}}}"), element)
        .replace(&format!("&{{{identifier}}}"), &alphanumeric)
}
