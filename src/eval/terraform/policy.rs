//! `data "aws_iam_policy_document"` in the IAM JSON policy shape, so that
//! `data.aws_iam_policy_document.N.json` reads like a policy written with
//! `jsonencode`. It is built from the data source's evaluated body (dynamic
//! blocks expanded, variables resolved); its nodes point into the data
//! source, where the statement is written.

use super::eval::Evaluator;
use crate::parse::json::{mark_holes, parse_json_with_holes};
use crate::source::Span;
use crate::value::{Entry, Node, PartialText, Value};

/// The policy a data source body stands for.
pub fn document(ev: &Evaluator, body: &Node) -> Node {
    let span = body.span;
    if !body.value.is_known() {
        return Node::new(body.value.clone(), span);
    }
    let mut entries = Vec::new();
    entries.push(
        renamed(body, "version", "Version").unwrap_or_else(|| Entry {
            key: "Version".into(),
            key_span: span,
            value: Node::new(Value::String("2012-10-17".into()), span),
        }),
    );
    entries.extend(renamed(body, "policy_id", "Id"));

    let own = body.entry("statement");
    let (own_statements, key_span, list_span) = match own {
        Some(entry) => match &entry.value.value {
            Value::List(items) => (
                items.iter().map(statement).collect(),
                entry.key_span,
                entry.value.span,
            ),
            _ => (vec![entry.value.clone()], entry.key_span, entry.value.span),
        },
        None => (Vec::new(), span, span),
    };
    let mut statements = Vec::new();
    for attribute in ["source_policy_documents", "source_json"] {
        statements.extend(document_statements(ev, body, attribute));
    }
    for statement in own_statements {
        upsert_statement(&mut statements, statement);
    }
    for attribute in ["override_policy_documents", "override_json"] {
        for statement in document_statements(ev, body, attribute) {
            upsert_statement(&mut statements, statement);
        }
    }
    entries.push(Entry {
        key: "Statement".into(),
        key_span,
        value: Node::new(Value::List(statements), list_span),
    });
    Node::new(Value::Map(entries), span)
}

/// The entry `attribute` of a body under the policy's key.
fn renamed(body: &Node, attribute: &str, key: &str) -> Option<Entry> {
    let entry = body.entry(attribute)?;
    if entry.value.value == Value::Null {
        return None;
    }
    Some(Entry {
        key: key.into(),
        key_span: entry.key_span,
        value: entry.value.clone(),
    })
}

fn statement(block: &Node) -> Node {
    if !block.value.is_known() {
        return block.clone();
    }
    let span = block.span;
    let mut entries = Vec::new();
    entries.extend(renamed(block, "sid", "Sid"));
    entries.push(renamed(block, "effect", "Effect").unwrap_or_else(|| Entry {
        key: "Effect".into(),
        key_span: span,
        value: Node::new(Value::String("Allow".into()), span),
    }));
    for (attribute, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        entries.extend(renamed(block, attribute, key));
    }
    entries.extend(principals(block, "principals", "Principal"));
    entries.extend(principals(block, "not_principals", "NotPrincipal"));
    entries.extend(conditions(block));
    Node::new(Value::Map(entries), span)
}

/// `principals { type, identifiers }` blocks as `{ <type>: identifiers }`.
fn principals(statement: &Node, kind: &str, key: &str) -> Option<Entry> {
    let entry = statement.entry(kind)?;
    let (span, key_span) = (entry.value.span, entry.key_span);
    let unknown = |reason: &str| {
        Some(Entry {
            key: key.into(),
            key_span,
            value: Node::new(Value::Unknown(reason.into()), span),
        })
    };
    let Value::List(blocks) = &entry.value.value else {
        return unknown("principals");
    };
    let mut principals: Vec<Entry> = Vec::new();
    for block in blocks {
        if !block.value.is_known() {
            return unknown("dynamic block");
        }
        let (Some(ty), Some(identifiers)) = (block.get("type"), block.get("identifiers")) else {
            continue;
        };
        let Value::String(name) = &ty.value else {
            return unknown("principal type");
        };
        merge_entry(&mut principals, name, ty.span, identifiers.clone());
    }
    Some(Entry {
        key: key.into(),
        key_span,
        value: Node::new(Value::Map(principals), span),
    })
}

/// `condition { test, variable, values }` blocks as
/// `{ <test>: { <variable>: values } }`.
fn conditions(statement: &Node) -> Option<Entry> {
    let entry = statement.entry("condition")?;
    let (span, key_span) = (entry.value.span, entry.key_span);
    let unknown = |reason: &str| {
        Some(Entry {
            key: "Condition".into(),
            key_span,
            value: Node::new(Value::Unknown(reason.into()), span),
        })
    };
    let Value::List(blocks) = &entry.value.value else {
        return unknown("condition");
    };
    let mut tests: Vec<Entry> = Vec::new();
    for block in blocks {
        if !block.value.is_known() {
            return unknown("dynamic block");
        }
        let (Some(test), Some(variable), Some(values)) = (
            block.get("test"),
            block.get("variable"),
            block.get("values"),
        ) else {
            continue;
        };
        let (Value::String(test_name), Value::String(variable_name)) =
            (&test.value, &variable.value)
        else {
            return unknown("condition");
        };
        let index = match tests.iter().position(|e| &e.key == test_name) {
            Some(index) => index,
            None => {
                tests.push(Entry {
                    key: test_name.clone(),
                    key_span: test.span,
                    value: Node::new(Value::Map(Vec::new()), block.span),
                });
                tests.len() - 1
            }
        };
        if let Value::Map(variables) = &mut tests[index].value.value {
            merge_entry(variables, variable_name, variable.span, values.clone());
        }
    }
    Some(Entry {
        key: "Condition".into(),
        key_span,
        value: Node::new(Value::Map(tests), span),
    })
}

/// The statements of the documents an attribute names. An unknown document
/// stands as one unknown statement; a JSON string is decoded.
fn document_statements(ev: &Evaluator, body: &Node, attribute: &str) -> Vec<Node> {
    let Some(documents) = body.get(attribute) else {
        return Vec::new();
    };
    let documents = match &documents.value {
        Value::Null => return Vec::new(),
        Value::List(items) => items.clone(),
        _ => vec![documents.clone()],
    };
    let mut statements = Vec::new();
    for document in documents {
        let span = document.span;
        let text = match &document.value {
            Value::String(text) => {
                let mut whole = PartialText::default();
                whole.push_text(text);
                Some(whole)
            }
            value => value.partial_text().cloned(),
        };
        let document = match text {
            Some(text) => match decode(ev, &text, span) {
                Some(decoded) => decoded,
                None => {
                    statements.push(Node::new(Value::Unknown("policy document".into()), span));
                    continue;
                }
            },
            None => document,
        };
        if !document.value.is_known() {
            statements.push(document);
            continue;
        }
        match document.get("Statement").map(|s| &s.value) {
            Some(Value::List(items)) => statements.extend(items.iter().cloned()),
            Some(Value::Map(_)) => statements.push(document.get("Statement").unwrap().clone()),
            _ => statements.push(Node::new(Value::Unknown("policy document".into()), span)),
        }
    }
    statements
}

/// A policy written as a JSON string, every node at the string's span; its
/// parts known only after apply must be inside JSON strings.
fn decode(ev: &Evaluator, text: &PartialText, span: Span) -> Option<Node> {
    let (marked, holes) = mark_holes(text)?;
    let mut node = parse_json_with_holes(&marked, holes, span.file, 0)?;
    ev.tick(node_count(&node) as u64, span);
    node.respan(span);
    Some(node)
}

/// Adds `value` under `key`, merging with an existing entry into one list.
fn merge_entry(entries: &mut Vec<Entry>, key: &str, key_span: Span, value: Node) {
    match entries.iter_mut().find(|e| e.key == key) {
        Some(existing) => {
            let previous = std::mem::replace(&mut existing.value, Node::new(Value::Null, key_span));
            let span = previous.span;
            let mut items = match previous.value {
                Value::List(items) => items,
                other => vec![Node {
                    value: other,
                    span,
                    origins: previous.origins,
                }],
            };
            match value.value {
                Value::List(more) => items.extend(more),
                other => items.push(Node {
                    value: other,
                    span: value.span,
                    origins: value.origins,
                }),
            }
            existing.value = Node::new(Value::List(items), span);
        }
        None => entries.push(Entry {
            key: key.into(),
            key_span,
            value,
        }),
    }
}

/// Appends a statement, or replaces the earlier one with the same `Sid`, as
/// the provider does.
fn upsert_statement(statements: &mut Vec<Node>, statement: Node) {
    let sid = |node: &Node| node.get("Sid").and_then(Node::as_str).map(str::to_string);
    let existing = sid(&statement).filter(|s| !s.is_empty()).and_then(|s| {
        statements
            .iter()
            .position(|n| sid(n).as_deref() == Some(&s))
    });
    match existing {
        Some(index) => statements[index] = statement,
        None => statements.push(statement),
    }
}

pub fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.value)).sum(),
        _ => 0,
    }
}
