//! Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) lowered into the same
//! syntax tree as native HCL, so both feed one evaluator.
//!
//! A `.tf.json` file becomes the body native syntax would have written:
//! `{"resource": {"aws_s3_bucket": {"b": {...}}}}` is the block
//! `resource "aws_s3_bucket" "b" {...}`. Strings in expression positions are
//! templates (`"${var.x}"`); their positions point into the JSON string when
//! it holds no escapes, else at the whole string. Without provider schemas a
//! JSON object inside a resource cannot be told from a nested block, so it is
//! read as an object value: a map rather than a one-element list of maps,
//! which rule paths read alike.

use super::syntax::{lower_expr, lower_template_text, At, Attribute, Block, Body, Expr, ExprKind};
use super::syntax::{Item, ObjectItem, ObjectKey};
use crate::model::UnitError;
use crate::source::Span;
use crate::value::{Entry, Node, Value};

/// Block types whose labels and bodies Terraform reads from JSON.
const LABELLED_BLOCKS: [(&str, usize); 5] = [
    ("resource", 2),
    ("data", 2),
    ("variable", 1),
    ("output", 1),
    ("module", 1),
];

/// Resource meta-blocks that are not part of a resource's configuration.
const SKIPPED_BLOCKS: [&str; 3] = ["lifecycle", "provisioner", "connection"];

/// Lowering of one file: its text for positions, and the errors met.
pub struct JsonFile<'t> {
    pub text: &'t str,
    pub file: u32,
    pub errors: Vec<UnitError>,
}

impl JsonFile<'_> {
    fn at(&self, span: Span) -> At {
        At {
            file: self.file,
            start: span.start,
            end: span.end,
        }
    }

    /// A `.tf.json` document as the body native syntax would have written.
    pub fn config_body(&mut self, root: &Node) -> Body {
        let mut items = Vec::new();
        let Value::Map(entries) = &root.value else {
            self.error(
                root.span,
                "a Terraform JSON file must hold an object".into(),
            );
            return Body::default();
        };
        for entry in entries {
            let key = entry.key.as_str();
            if key == "locals" {
                for object in objects(&entry.value) {
                    let body = self.attributes_body(object);
                    items.push(Item::Block(Block {
                        kind: "locals".into(),
                        kind_at: self.at(entry.key_span),
                        labels: Vec::new(),
                        body,
                        at: self.at(object.span),
                    }));
                }
                continue;
            }
            let Some(&(_, depth)) = LABELLED_BLOCKS.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            let mut labels = Vec::new();
            self.labelled(key, entry, &entry.value, depth, &mut labels, &mut items);
        }
        Body { items }
    }

    /// Walks `depth` levels of label objects down to block bodies.
    fn labelled(
        &mut self,
        kind: &str,
        entry: &Entry,
        node: &Node,
        depth: usize,
        labels: &mut Vec<(String, At)>,
        out: &mut Vec<Item>,
    ) {
        if depth == 0 {
            for object in objects(node) {
                let body = match kind {
                    "variable" => self.variable_body(object),
                    "output" | "module" => self.attributes_body(object),
                    _ => self.block_body(object),
                };
                // Every block of a kind shares one `"resource"` key: the
                // block is known by its innermost label (`"sg"`), which is
                // where a finding about something missing points.
                let kind_at = labels.last().map_or(self.at(entry.key_span), |(_, at)| *at);
                out.push(Item::Block(Block {
                    kind: kind.into(),
                    kind_at,
                    labels: labels.clone(),
                    body,
                    at: self.at(object.span),
                }));
            }
            return;
        }
        for object in objects(node) {
            let Value::Map(children) = &object.value else {
                continue;
            };
            for child in children.iter().filter(|c| c.key != "//") {
                labels.push((child.key.clone(), self.at(child.key_span)));
                self.labelled(kind, entry, &child.value, depth - 1, labels, out);
                labels.pop();
            }
        }
    }

    /// Every property an expression (`locals`, `output`, `module`).
    fn attributes_body(&mut self, object: &Node) -> Body {
        let Value::Map(entries) = &object.value else {
            return Body::default();
        };
        let items = entries
            .iter()
            .filter(|e| e.key != "//")
            .map(|e| Item::Attribute(self.attribute(e)))
            .collect();
        Body { items }
    }

    /// A variable: `default` is a literal value, `type` a type expression in
    /// a string.
    fn variable_body(&mut self, object: &Node) -> Body {
        let Value::Map(entries) = &object.value else {
            return Body::default();
        };
        let mut items = Vec::new();
        for entry in entries.iter().filter(|e| e.key != "//") {
            let expr = match entry.key.as_str() {
                "default" => literal(&entry.value, self.file),
                "type" => self.type_expression(&entry.value),
                _ => self.expr(&entry.value),
            };
            items.push(Item::Attribute(Attribute {
                name: entry.key.clone(),
                name_at: self.at(entry.key_span),
                expr,
            }));
        }
        Body { items }
    }

    /// A resource or data body, or a `dynamic` block's `content`.
    fn block_body(&mut self, object: &Node) -> Body {
        let Value::Map(entries) = &object.value else {
            return Body::default();
        };
        let mut items = Vec::new();
        for entry in entries.iter().filter(|e| e.key != "//") {
            let key = entry.key.as_str();
            if SKIPPED_BLOCKS.contains(&key) {
                continue;
            }
            if key == "dynamic" {
                self.dynamic_blocks(entry, &mut items);
                continue;
            }
            items.push(Item::Attribute(self.attribute(entry)));
        }
        Body { items }
    }

    /// `"dynamic": {"ingress": {"for_each": ..., "iterator": "rule", "content": {...}}}`.
    fn dynamic_blocks(&mut self, entry: &Entry, out: &mut Vec<Item>) {
        for object in objects(&entry.value) {
            let Value::Map(labels) = &object.value else {
                continue;
            };
            for label in labels.iter().filter(|l| l.key != "//") {
                for spec in objects(&label.value) {
                    let Value::Map(fields) = &spec.value else {
                        continue;
                    };
                    let mut items = Vec::new();
                    for field in fields.iter().filter(|f| f.key != "//") {
                        match field.key.as_str() {
                            "content" => {
                                for content in objects(&field.value) {
                                    let body = self.block_body(content);
                                    items.push(Item::Block(Block {
                                        kind: "content".into(),
                                        kind_at: self.at(field.key_span),
                                        labels: Vec::new(),
                                        body,
                                        at: self.at(content.span),
                                    }));
                                }
                            }
                            // The iterator is a name, written as a string.
                            "iterator" => {
                                let at = self.at(field.value.span);
                                let expr = match field.value.as_str() {
                                    Some(name) => Expr::new(ExprKind::Name(name.into()), at),
                                    None => Expr::new(ExprKind::Invalid, at),
                                };
                                items.push(Item::Attribute(Attribute {
                                    name: "iterator".into(),
                                    name_at: self.at(field.key_span),
                                    expr,
                                }));
                            }
                            _ => items.push(Item::Attribute(self.attribute(field))),
                        }
                    }
                    out.push(Item::Block(Block {
                        kind: "dynamic".into(),
                        kind_at: self.at(entry.key_span),
                        labels: vec![(label.key.clone(), self.at(label.key_span))],
                        body: Body { items },
                        at: self.at(spec.span),
                    }));
                }
            }
        }
    }

    fn attribute(&mut self, entry: &Entry) -> Attribute {
        Attribute {
            name: entry.key.clone(),
            name_at: self.at(entry.key_span),
            expr: self.expr(&entry.value),
        }
    }

    /// A JSON value in an expression position: strings are templates.
    pub fn expr(&mut self, node: &Node) -> Expr {
        let at = self.at(node.span);
        let kind = match &node.value {
            Value::String(s) => return self.template(s, node.span),
            Value::Null => ExprKind::Null,
            Value::Bool(b) => ExprKind::Bool(*b),
            Value::Number(n) => ExprKind::Number(*n),
            Value::List(items) => ExprKind::Tuple(items.iter().map(|n| self.expr(n)).collect()),
            Value::Map(entries) => ExprKind::Object(
                entries
                    .iter()
                    .map(|e| ObjectItem {
                        key: if e.key.contains("${") {
                            ObjectKey::Expr(self.template(&e.key, e.key_span))
                        } else {
                            ObjectKey::Name(e.key.clone(), self.at(e.key_span))
                        },
                        value: self.expr(&e.value),
                    })
                    .collect(),
            ),
            Value::Ref(_) | Value::Unknown(_) => ExprKind::Invalid,
        };
        Expr::new(kind, at)
    }

    /// A JSON string as a template. Positions inside it are exact when the
    /// string's source holds no escapes.
    fn template(&mut self, text: &str, span: Span) -> Expr {
        let at = self.at(span);
        if !text.contains("${") && !text.contains("%{") {
            return Expr::new(ExprKind::String(text.to_string()), at);
        }
        match hcl_edit::parser::parse_template(text) {
            Ok(template) => {
                let template =
                    lower_template_text(&template, self.file, self.verbatim(text, span), at);
                Expr::new(ExprKind::Template(template), at)
            }
            Err(err) => {
                self.error(span, format!("invalid template: {}", err.message()));
                Expr::new(ExprKind::Invalid, at)
            }
        }
    }

    /// A type expression written in a string (`"list(string)"`).
    fn type_expression(&mut self, node: &Node) -> Expr {
        let at = self.at(node.span);
        let Some(text) = node.as_str() else {
            return Expr::new(ExprKind::Invalid, at);
        };
        match hcl_edit::parser::parse_expr(text) {
            Ok(parsed) => {
                let mut expr = lower_expr(&parsed, self.file);
                match self.verbatim(text, node.span) {
                    Some(offset) => super::syntax::shift_expr(&mut expr, offset),
                    None => expr.place_all_at(at),
                }
                expr
            }
            Err(_) => Expr::new(ExprKind::Invalid, at),
        }
    }

    /// The offset of a string's content in the file when the source between
    /// the quotes is exactly the decoded text.
    fn verbatim(&self, text: &str, span: Span) -> Option<u32> {
        let inner = self
            .text
            .get(span.start as usize + 1..(span.end as usize).saturating_sub(1))?;
        (inner == text).then_some(span.start + 1)
    }

    fn error(&mut self, span: Span, message: String) {
        self.errors.push(UnitError {
            file: self.file,
            span: Some(Span {
                file: self.file,
                ..span
            }),
            message,
        });
    }
}

/// A JSON value as a literal expression (variable defaults, `.tfvars.json`):
/// strings are not templates.
pub fn literal(node: &Node, file: u32) -> Expr {
    let at = At {
        file,
        start: node.span.start,
        end: node.span.end,
    };
    let kind = match &node.value {
        Value::String(s) => ExprKind::String(s.clone()),
        Value::Null => ExprKind::Null,
        Value::Bool(b) => ExprKind::Bool(*b),
        Value::Number(n) => ExprKind::Number(*n),
        Value::List(items) => ExprKind::Tuple(items.iter().map(|n| literal(n, file)).collect()),
        Value::Map(entries) => ExprKind::Object(
            entries
                .iter()
                .map(|e| ObjectItem {
                    key: ObjectKey::Name(
                        e.key.clone(),
                        At {
                            file,
                            start: e.key_span.start,
                            end: e.key_span.end,
                        },
                    ),
                    value: literal(&e.value, file),
                })
                .collect(),
        ),
        Value::Ref(_) | Value::Unknown(_) => ExprKind::Invalid,
    };
    Expr::new(kind, at)
}

/// A property's value as a list of objects: JSON syntax writes repeated
/// blocks as an array.
fn objects(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;

    fn lower(text: &str) -> (Body, Vec<UnitError>) {
        let node = parse_json(text, 0, 0).unwrap();
        let mut file = JsonFile {
            text,
            file: 0,
            errors: Vec::new(),
        };
        let body = file.config_body(&node);
        (body, file.errors)
    }

    #[test]
    fn resources_variables_and_dynamic_blocks_become_blocks() {
        let text = r#"{
  "variable": {"cidr": {"type": "list(string)", "default": ["${x}"]}},
  "resource": {"aws_security_group": {"sg": {
    "name": "${var.name}-sg",
    "lifecycle": {"create_before_destroy": true},
    "dynamic": {"ingress": {"for_each": "${var.rules}", "iterator": "rule",
                            "content": {"cidr_blocks": "${rule.value}"}}}
  }}},
  "locals": [{"a": 1}, {"b": 2}],
  "terraform": {"required_version": ">= 1.0"}
}"#;
        let (body, errors) = lower(text);
        assert!(errors.is_empty(), "{errors:?}");
        let blocks: Vec<&Block> = body.blocks().collect();
        let kinds: Vec<&str> = blocks.iter().map(|b| b.kind.as_str()).collect();
        assert_eq!(kinds, ["variable", "resource", "locals", "locals"]);
        let variable = blocks[0];
        assert_eq!(variable.labels[0].0, "cidr");
        // A default is literal even when it looks like a template.
        let default = variable.body.attribute("default").unwrap();
        let ExprKind::Tuple(items) = &default.expr.kind else {
            panic!()
        };
        assert!(matches!(&items[0].kind, ExprKind::String(s) if s == "${x}"));
        assert!(matches!(
            variable.body.attribute("type").unwrap().expr.kind,
            ExprKind::Call(_)
        ));

        let sg = blocks[1];
        assert_eq!(
            sg.labels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
            ["aws_security_group", "sg"]
        );
        assert!(sg.body.attribute("lifecycle").is_none());
        let name = &sg.body.attribute("name").unwrap().expr;
        let ExprKind::Template(t) = &name.kind else {
            panic!()
        };
        let super::super::syntax::Part::Interpolation(inner) = &t.parts[0] else {
            panic!()
        };
        assert_eq!(
            &text[inner.at.start as usize..inner.at.end as usize],
            "var.name",
            "positions inside a verbatim string are exact"
        );
        let dynamic = sg.body.blocks().next().unwrap();
        assert_eq!(dynamic.kind, "dynamic");
        assert_eq!(dynamic.labels[0].0, "ingress");
        assert_eq!(
            dynamic.body.attribute("iterator").unwrap().expr.as_name(),
            Some("rule")
        );
        assert_eq!(dynamic.body.blocks().next().unwrap().kind, "content");
    }

    #[test]
    fn escaped_strings_point_at_the_whole_string_and_bad_templates_are_errors() {
        let text = r#"{"output": {"o": {"value": "\u0041${var.x}"}}, "locals": {"bad": "${"}}"#;
        let (body, errors) = lower(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("invalid template"));
        let output = body.blocks().next().unwrap();
        let value = &output.body.attribute("value").unwrap().expr;
        let ExprKind::Template(t) = &value.kind else {
            panic!()
        };
        let super::super::syntax::Part::Interpolation(inner) = &t.parts[1] else {
            panic!("{t:?}")
        };
        assert_eq!(inner.at, value.at);
    }
}
