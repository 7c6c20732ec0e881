//! Terraform module evaluation: from the HCL of one module directory to
//! resources whose bodies are [`Node`] trees.
//!
//! Evaluation is a recursive walk over hcl-edit expressions (`Module::eval`).
//! Whatever cannot be known before apply becomes [`Value::Unknown`] with a
//! reason; an attribute of another resource becomes [`Value::Ref`]. The walk
//! carries a `Scope` (today only the file being evaluated), which is where
//! `each`, `count.index` and module inputs will go; references are resolved in
//! `Module::resolve`, which is where variables, locals and module outputs
//! will be looked up.
//!
//! `data "aws_iam_policy_document"` blocks are collected in a pre-pass over
//! every file and built lazily into the IAM JSON policy shape, so
//! `data.aws_iam_policy_document.N.json` reads like an inline `jsonencode`d
//! policy wherever it is defined.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use hcl_edit::expr::{Expression, FuncCall, Object, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span as HclSpan;

use crate::model::{Framework, Resource, Unit, UnitError};
use crate::parse::hcl::parse_hcl;
use crate::source::{FileId, SourceFile, Span};
use crate::value::{format_number, Entry, Node, Reference, Value};

/// Resource arguments that Terraform itself interprets; they are not part of
/// the resource's configuration as the provider sees it.
const META_ARGUMENTS: [&str; 5] = ["count", "for_each", "depends_on", "provider", "lifecycle"];

/// The data source whose `json` attribute is built here.
const POLICY_DOCUMENT: &str = "aws_iam_policy_document";

/// References that name something other than a resource; unknown until
/// variables, locals, modules and instances are evaluated.
const NON_RESOURCE_ROOTS: [&str; 8] = [
    "var",
    "local",
    "module",
    "each",
    "count",
    "path",
    "terraform",
    "self",
];

/// How many policy documents may be being built inside one another.
const MAX_REFERENCE_DEPTH: usize = 64;

/// How many nodes may be copied out of built policy documents in one module,
/// so that documents including each other many times cannot explode.
const MAX_COPIED_NODES: usize = 1_000_000;

/// What the command line adds to a Terraform evaluation.
#[derive(Clone, Debug, Default)]
pub struct TerraformOptions {
    /// `--var-file FILE`, in the order given (later files win).
    pub var_files: Vec<std::path::PathBuf>,
    /// `--var NAME=VALUE`, in the order given (later win; they beat files).
    pub vars: Vec<(String, String)>,
}

/// Loads one Terraform module directory: `files` are its `.tf` files as
/// (display path, text). Each becomes a SourceFile (FileId = index). Parse
/// errors are pushed to unit.errors and the other files still load.
pub fn load_module(files: Vec<(String, Arc<str>)>, _options: &TerraformOptions) -> Unit {
    let mut unit = Unit::default();
    let mut bodies = Vec::with_capacity(files.len());
    for (index, (display, text)) in files.into_iter().enumerate() {
        let file = index as FileId;
        match parse_hcl(&text, file) {
            Ok(body) => bodies.push(Some(body)),
            Err(error) => {
                unit.errors.push(error);
                bodies.push(None);
            }
        }
        unit.files.push(SourceFile::new(display, text));
    }

    let module = Module::new(&bodies);
    for (index, body) in bodies.iter().enumerate() {
        if let Some(body) = body {
            module.collect_resources(
                body,
                Scope {
                    file: index as FileId,
                },
                &mut unit.resources,
            );
        }
    }
    unit.errors.extend(module.errors.into_inner());
    unit
}

/// Where an expression is evaluated.
#[derive(Clone, Copy, Debug)]
struct Scope {
    file: FileId,
}

impl Scope {
    /// The span of a parsed item; everything hcl-edit parses has one.
    fn span(self, item: &impl HclSpan) -> Span {
        Span::new(self.file, item.span().unwrap_or(0..0))
    }
}

/// A policy document while it is built, and after.
enum Built {
    InProgress,
    Done { node: Node, size: usize },
}

/// The evaluation state of one module.
struct Module<'a> {
    /// `data "aws_iam_policy_document" "N"` blocks by `N`, from every file.
    policy_documents: HashMap<&'a str, (Scope, &'a Block)>,
    built: RefCell<HashMap<&'a str, Built>>,
    depth: Cell<usize>,
    /// Nodes that may still be copied out of built documents.
    budget: Cell<usize>,
    errors: RefCell<Vec<UnitError>>,
}

impl<'a> Module<'a> {
    /// The pre-pass: finds the policy documents of every file.
    fn new(bodies: &'a [Option<Body>]) -> Self {
        let mut policy_documents = HashMap::new();
        for (index, body) in bodies.iter().enumerate() {
            let Some(body) = body else { continue };
            let scope = Scope {
                file: index as FileId,
            };
            for block in body.blocks().filter(|b| b.ident.as_str() == "data") {
                if let [kind, name] = block.labels.as_slice() {
                    if kind.as_str() == POLICY_DOCUMENT {
                        policy_documents
                            .entry(name.as_str())
                            .or_insert((scope, block));
                    }
                }
            }
        }
        Module {
            policy_documents,
            built: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
            budget: Cell::new(MAX_COPIED_NODES),
            errors: RefCell::new(Vec::new()),
        }
    }

    fn error(&self, span: Span, message: String) {
        self.errors.borrow_mut().push(UnitError {
            file: span.file,
            span: Some(span),
            message,
        });
    }

    // ----- resources ---------------------------------------------------------

    fn collect_resources(&self, body: &Body, scope: Scope, out: &mut Vec<Resource>) {
        for block in body.blocks() {
            let is_data = match block.ident.as_str() {
                "resource" => false,
                "data" => true,
                _ => continue,
            };
            let [kind, name] = block.labels.as_slice() else {
                self.error(
                    scope.span(&block.ident),
                    format!(
                        "a `{}` block needs two labels, a type and a name",
                        block.ident.as_str()
                    ),
                );
                continue;
            };
            if !self.has_instances(&block.body, scope) {
                continue;
            }
            let header = Span {
                end: scope.span(name).end,
                ..scope.span(&block.ident)
            };
            let address = if is_data {
                format!("data.{}.{}", kind.as_str(), name.as_str())
            } else {
                format!("{}.{}", kind.as_str(), name.as_str())
            };
            out.push(Resource {
                framework: Framework::Terraform,
                resource_type: kind.as_str().to_string(),
                address,
                is_data,
                body: self.eval_body(&block.body, scope.span(block), scope, &META_ARGUMENTS),
                header,
            });
        }
    }

    /// False when `count` or `for_each` says the resource has no instance.
    fn has_instances(&self, body: &Body, scope: Scope) -> bool {
        let zero_count = body.get_attribute("count").is_some_and(|attr| {
            match self.eval(&attr.value, scope).value {
                Value::Number(n) => n == 0.0,
                Value::String(s) => s.trim().parse() == Ok(0.0),
                _ => false,
            }
        });
        let empty_for_each = body.get_attribute("for_each").is_some_and(|attr| {
            match self.eval(&attr.value, scope).value {
                Value::List(items) => items.is_empty(),
                Value::Map(entries) => entries.is_empty(),
                _ => false,
            }
        });
        !zero_count && !empty_for_each
    }

    /// A block body as a map: attributes by name, nested blocks grouped by
    /// type into one list entry each, `dynamic` blocks unknown.
    fn eval_body(&self, body: &Body, span: Span, scope: Scope, skip: &[&str]) -> Node {
        let mut entries: Vec<Entry> = Vec::new();
        // Entry index of each nested block type.
        let mut groups: HashMap<&str, usize> = HashMap::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    if skip.contains(&attr.key.as_str()) {
                        continue;
                    }
                    entries.push(Entry {
                        key: attr.key.as_str().to_string(),
                        key_span: scope.span(&attr.key),
                        value: self.eval(&attr.value, scope),
                    });
                }
                Structure::Block(block) => {
                    let kind = block.ident.as_str();
                    if skip.contains(&kind) {
                        continue;
                    }
                    let block_span = scope.span(block);
                    if kind == "dynamic" {
                        let Some(label) = block.labels.first() else {
                            continue;
                        };
                        let unknown = Node::new(Value::Unknown("dynamic block".into()), block_span);
                        match groups.get(label.as_str()) {
                            Some(&i) => entries[i].value = unknown,
                            None => {
                                groups.insert(label.as_str(), entries.len());
                                entries.push(Entry {
                                    key: label.as_str().to_string(),
                                    key_span: scope.span(label),
                                    value: unknown,
                                });
                            }
                        }
                        continue;
                    }
                    let node = self.eval_body(&block.body, block_span, scope, &[]);
                    match groups.get(kind) {
                        Some(&i) => {
                            let list = &mut entries[i].value;
                            if let Value::List(items) = &mut list.value {
                                items.push(node);
                                list.span.end = list.span.end.max(block_span.end);
                            }
                        }
                        None => {
                            groups.insert(kind, entries.len());
                            entries.push(Entry {
                                key: kind.to_string(),
                                key_span: scope.span(&block.ident),
                                value: Node::new(Value::List(vec![node]), block_span),
                            });
                        }
                    }
                }
            }
        }
        Node::new(Value::Map(entries), span)
    }

    // ----- expressions -------------------------------------------------------

    /// Evaluates one expression; never fails, unknowable parts become
    /// [`Value::Unknown`].
    fn eval(&self, expr: &Expression, scope: Scope) -> Node {
        let span = scope.span(expr);
        let value = match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n
                .value()
                .as_f64()
                .map_or_else(|| Value::Unknown("number".into()), Value::Number),
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Array(array) => {
                Value::List(array.iter().map(|e| self.eval(e, scope)).collect())
            }
            Expression::Object(object) => return self.eval_object(object, span, scope),
            Expression::StringTemplate(template) => {
                return self.eval_template(template, span, scope)
            }
            Expression::HeredocTemplate(heredoc) => {
                // The body's own range, so that a policy inside it can be
                // located byte-exactly.
                let body = heredoc
                    .template
                    .span()
                    .map_or(span, |r| Span::new(scope.file, r));
                return self.eval_template(&heredoc.template, body, scope);
            }
            Expression::Parenthesis(inner) => return self.eval(inner.inner(), scope),
            Expression::Variable(name) => return self.resolve(name.as_str(), &[], span, scope),
            Expression::Traversal(traversal) => return self.eval_traversal(traversal, span, scope),
            Expression::FuncCall(call) => return self.eval_call(call, span, scope),
            Expression::Conditional(_) => Value::Unknown("conditional".into()),
            Expression::UnaryOp(_) | Expression::BinaryOp(_) => Value::Unknown("operation".into()),
            Expression::ForExpr(_) => Value::Unknown("for expression".into()),
        };
        Node::new(value, span)
    }

    fn eval_object(&self, object: &Object, span: Span, scope: Scope) -> Node {
        let mut entries: Vec<Entry> = Vec::with_capacity(object.len());
        for (key, value) in object.iter() {
            let name = match key {
                ObjectKey::Ident(ident) => ident.as_str().to_string(),
                ObjectKey::Expression(expr) => match self.eval(expr, scope).value {
                    Value::String(s) => s,
                    Value::Number(n) => format_number(n),
                    Value::Bool(b) => b.to_string(),
                    _ => return Node::new(Value::Unknown("object key".into()), span),
                },
            };
            let entry = Entry {
                key: name,
                key_span: scope.span(key),
                value: self.eval(value.expr(), scope),
            };
            // A repeated key: the last one wins, as in a map.
            match entries.iter_mut().find(|e| e.key == entry.key) {
                Some(existing) => *existing = entry,
                None => entries.push(entry),
            }
        }
        Node::new(Value::Map(entries), span)
    }

    /// A template: literal text, or exactly one interpolation (its value), or
    /// literals and interpolations of known primitives (their concatenation).
    /// Directives and unknown interpolations make it unknown.
    fn eval_template(&self, template: &Template, span: Span, scope: Scope) -> Node {
        if let Some(Element::Interpolation(interpolation)) = template.as_single_element() {
            return self.eval(&interpolation.expr, scope);
        }
        let unknown = || Node::new(Value::Unknown("template".into()), span);
        let elements: Vec<&Element> = template.iter().collect();
        let mut out = String::new();
        for (i, element) in elements.iter().enumerate() {
            match element {
                Element::Literal(literal) => {
                    let mut text = literal.value().as_str();
                    if i > 0 && strips_after(elements[i - 1]) {
                        text = text.trim_start();
                    }
                    if elements.get(i + 1).is_some_and(|e| strips_before(e)) {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                }
                Element::Interpolation(interpolation) => {
                    match self.eval(&interpolation.expr, scope).value {
                        Value::String(s) => out.push_str(&s),
                        Value::Number(n) => out.push_str(&format_number(n)),
                        Value::Bool(b) => out.push_str(&b.to_string()),
                        _ => return unknown(),
                    }
                }
                Element::Directive(_) => return unknown(),
            }
        }
        Node::new(Value::String(out), span)
    }

    fn eval_traversal(&self, traversal: &Traversal, span: Span, scope: Scope) -> Node {
        let ops: Vec<&TraversalOperator> =
            traversal.operators.iter().map(|op| op.value()).collect();
        match &traversal.expr {
            Expression::Variable(root) => self.resolve(root.as_str(), &ops, span, scope),
            base => {
                let node = self.eval(base, scope);
                self.apply_ops(node, &ops, span, scope)
            }
        }
    }

    /// A reference: `root` followed by `ops` (`var.x`, `aws_s3_bucket.b.id`,
    /// `data.aws_iam_policy_document.p.json`).
    fn resolve(&self, root: &str, ops: &[&TraversalOperator], span: Span, scope: Scope) -> Node {
        let unknown = || Node::new(Value::Unknown(reference_text(root, ops)), span);
        if NON_RESOURCE_ROOTS.contains(&root) {
            return unknown();
        }
        let (target, rest) = if root == "data" {
            let (Some(kind), Some(name)) = (attr_name(ops.first()), attr_name(ops.get(1))) else {
                return unknown();
            };
            let rest = skip_instance_keys(&ops[2..]);
            if kind == POLICY_DOCUMENT
                && matches!(attr_name(rest.first()), Some("json" | "minified_json"))
            {
                if let Some(document) = self.policy_document(name, span) {
                    return self.apply_ops(document, &rest[1..], span, scope);
                }
            }
            (format!("data.{kind}.{name}"), rest)
        } else {
            let Some(name) = attr_name(ops.first()) else {
                return unknown();
            };
            (format!("{root}.{name}"), skip_instance_keys(&ops[1..]))
        };
        let reference = Reference {
            target,
            attribute: attr_name(rest.first()).map(str::to_string),
        };
        Node::new(Value::Ref(reference), span)
    }

    /// Applies traversal operators to a value: attribute and index access on
    /// known maps and lists. Unknowns and references stay as they are.
    fn apply_ops(
        &self,
        mut node: Node,
        ops: &[&TraversalOperator],
        span: Span,
        scope: Scope,
    ) -> Node {
        for op in ops {
            if !node.value.is_known() {
                return Node::new(node.value, span);
            }
            let found = match op {
                TraversalOperator::GetAttr(name) => take_entry(node, name.as_str()),
                TraversalOperator::Index(key) => match self.eval(key, scope).value {
                    Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => take_item(node, n as usize),
                    Value::String(s) => take_entry(node, &s),
                    _ => None,
                },
                TraversalOperator::LegacyIndex(i) => take_item(node, *i.value() as usize),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return Node::new(Value::Unknown("splat".into()), span)
                }
            };
            match found {
                Some(next) => node = next,
                None => {
                    return Node::new(Value::Unknown("invalid index or attribute".into()), span)
                }
            }
        }
        node
    }

    fn eval_call(&self, call: &FuncCall, span: Span, scope: Scope) -> Node {
        let name = call.name.name.as_str();
        let unknown = || Node::new(Value::Unknown(format!("function {name}")), span);
        if call.name.is_namespaced() || call.args.expand_final() {
            return unknown();
        }
        let args: Vec<&Expression> = call.args.iter().collect();
        let [arg] = args.as_slice() else {
            return unknown();
        };
        match name {
            // Rules read a policy's structure, so the encoded value is kept.
            "jsonencode" => self.eval(arg, scope),
            "tostring" | "tonumber" | "tobool" | "tolist" | "toset" => {
                convert(name, self.eval(arg, scope)).unwrap_or_else(unknown)
            }
            _ => unknown(),
        }
    }

    // ----- policy documents --------------------------------------------------

    /// The policy `data.aws_iam_policy_document.<name>.json` stands for, or
    /// `None` when the module does not define that data source.
    fn policy_document(&self, name: &str, span: Span) -> Option<Node> {
        let &(scope, block) = self.policy_documents.get(name)?;
        let key = block.labels[1].as_str();
        match self.built.borrow().get(key) {
            Some(Built::Done { node, size }) => return Some(self.copy(node, *size, span)),
            Some(Built::InProgress) => {
                return Some(Node::new(Value::Unknown("cyclic reference".into()), span))
            }
            None => {}
        }
        if self.depth.get() >= MAX_REFERENCE_DEPTH {
            return Some(Node::new(Value::Unknown("reference depth".into()), span));
        }
        self.built.borrow_mut().insert(key, Built::InProgress);
        self.depth.set(self.depth.get() + 1);
        let node = self.build_policy_document(block, scope);
        self.depth.set(self.depth.get() - 1);
        let size = node_count(&node);
        let copy = self.copy(&node, size, span);
        self.built
            .borrow_mut()
            .insert(key, Built::Done { node, size });
        Some(copy)
    }

    /// A copy of a built document, within the module's copy budget.
    fn copy(&self, node: &Node, size: usize, span: Span) -> Node {
        let budget = self.budget.get();
        if size > budget {
            if budget > 0 {
                self.error(
                    span,
                    "policy documents include each other too many times; the rest are not evaluated"
                        .into(),
                );
                self.budget.set(0);
            }
            return Node::new(Value::Unknown("evaluation limit".into()), span);
        }
        self.budget.set(budget - size);
        node.clone()
    }

    /// `data "aws_iam_policy_document"` in the IAM JSON policy shape.
    fn build_policy_document(&self, block: &Block, scope: Scope) -> Node {
        let body = &block.body;
        let span = scope.span(block);
        let ident_span = scope.span(&block.ident);
        let mut entries = Vec::new();
        entries.push(
            self.attribute_entry(body, "version", "Version", scope)
                .unwrap_or_else(|| Entry {
                    key: "Version".into(),
                    key_span: ident_span,
                    value: Node::new(Value::String("2012-10-17".into()), span),
                }),
        );
        entries.extend(self.attribute_entry(body, "policy_id", "Id", scope));

        let mut statements = Vec::new();
        let mut first: Option<&Block> = None;
        let mut list_span = span;
        for statement in body.blocks() {
            let node = match (statement.ident.as_str(), statement.labels.first()) {
                ("statement", _) => self.build_statement(statement, scope),
                ("dynamic", Some(label)) if label.as_str() == "statement" => Node::new(
                    Value::Unknown("dynamic block".into()),
                    scope.span(statement),
                ),
                _ => continue,
            };
            match first {
                None => {
                    first = Some(statement);
                    list_span = scope.span(statement);
                }
                Some(_) => list_span.end = scope.span(statement).end,
            }
            statements.push(node);
        }
        let statements = self.combine_documents(body, statements, scope);
        entries.push(Entry {
            key: "Statement".into(),
            key_span: first.map_or(ident_span, |b| scope.span(&b.ident)),
            value: Node::new(Value::List(statements), list_span),
        });
        Node::new(Value::Map(entries), span)
    }

    /// The statements of the documents in `source_policy_documents` (and
    /// `source_json`) come first, then the block's own, then those of
    /// `override_policy_documents` (and `override_json`); a statement with a
    /// `Sid` replaces an earlier one with the same `Sid`, as the provider does.
    fn combine_documents(&self, body: &Body, own: Vec<Node>, scope: Scope) -> Vec<Node> {
        let mut statements = Vec::new();
        for attribute in ["source_policy_documents", "source_json"] {
            statements.extend(self.document_statements(body, attribute, scope));
        }
        for statement in own {
            upsert_statement(&mut statements, statement);
        }
        for attribute in ["override_policy_documents", "override_json"] {
            for statement in self.document_statements(body, attribute, scope) {
                upsert_statement(&mut statements, statement);
            }
        }
        statements
    }

    /// The statements of the documents an attribute names. An unknown
    /// document stands as one unknown statement, and so does a document that
    /// is not a policy structure (a JSON string).
    fn document_statements(&self, body: &Body, attribute: &str, scope: Scope) -> Vec<Node> {
        let Some(attr) = body.get_attribute(attribute) else {
            return Vec::new();
        };
        let documents = self.eval(&attr.value, scope);
        let documents = match documents.value {
            Value::Null => return Vec::new(),
            Value::List(items) => items,
            _ => vec![documents],
        };
        let mut statements = Vec::new();
        for document in documents {
            if !document.value.is_known() {
                statements.push(document);
                continue;
            }
            let span = document.span;
            match take_entry(document, "Statement") {
                Some(Node {
                    value: Value::List(items),
                    ..
                }) => statements.extend(items),
                Some(
                    statement @ Node {
                        value: Value::Map(_),
                        ..
                    },
                ) => statements.push(statement),
                _ => statements.push(Node::new(Value::Unknown("policy document".into()), span)),
            }
        }
        statements
    }

    fn build_statement(&self, block: &Block, scope: Scope) -> Node {
        let body = &block.body;
        let span = scope.span(block);
        let mut entries = Vec::new();
        entries.extend(self.attribute_entry(body, "sid", "Sid", scope));
        entries.push(
            self.attribute_entry(body, "effect", "Effect", scope)
                .unwrap_or_else(|| Entry {
                    key: "Effect".into(),
                    key_span: scope.span(&block.ident),
                    value: Node::new(Value::String("Allow".into()), span),
                }),
        );
        for (attribute, key) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            entries.extend(self.attribute_entry(body, attribute, key, scope));
        }
        entries.extend(self.principals(body, "principals", "Principal", scope));
        entries.extend(self.principals(body, "not_principals", "NotPrincipal", scope));
        entries.extend(self.conditions(body, scope));
        Node::new(Value::Map(entries), span)
    }

    /// The entry `key` for the attribute `attribute`, when it is set.
    fn attribute_entry(
        &self,
        body: &Body,
        attribute: &str,
        key: &str,
        scope: Scope,
    ) -> Option<Entry> {
        let attr = body.get_attribute(attribute)?;
        Some(Entry {
            key: key.into(),
            key_span: scope.span(&attr.key),
            value: self.eval(&attr.value, scope),
        })
    }

    /// `principals { type, identifiers }` blocks as `{ <type>: identifiers }`.
    fn principals(&self, body: &Body, kind: &str, key: &str, scope: Scope) -> Option<Entry> {
        let (blocks, span, key_span) = nested_blocks(body, kind, scope)?;
        let mut entries = Vec::new();
        for block in blocks {
            if block.ident.as_str() == "dynamic" {
                return Some(unknown_entry(
                    key,
                    key_span,
                    "dynamic block",
                    scope.span(block),
                ));
            }
            let ty = self.block_attribute(block, "type", scope);
            let identifiers = self.block_attribute(block, "identifiers", scope);
            let (Some(ty), Some(identifiers)) = (ty, identifiers) else {
                continue;
            };
            let Value::String(name) = &ty.value else {
                return Some(unknown_entry(key, key_span, "principal type", span));
            };
            merge_entry(&mut entries, name, ty.span, identifiers);
        }
        Some(Entry {
            key: key.into(),
            key_span,
            value: Node::new(Value::Map(entries), span),
        })
    }

    /// `condition { test, variable, values }` blocks as
    /// `{ <test>: { <variable>: values } }`.
    fn conditions(&self, body: &Body, scope: Scope) -> Option<Entry> {
        let (blocks, span, key_span) = nested_blocks(body, "condition", scope)?;
        let mut tests: Vec<Entry> = Vec::new();
        for block in blocks {
            let block_span = scope.span(block);
            if block.ident.as_str() == "dynamic" {
                return Some(unknown_entry(
                    "Condition",
                    key_span,
                    "dynamic block",
                    block_span,
                ));
            }
            let test = self.block_attribute(block, "test", scope);
            let variable = self.block_attribute(block, "variable", scope);
            let values = self.block_attribute(block, "values", scope);
            let (Some(test), Some(variable), Some(values)) = (test, variable, values) else {
                continue;
            };
            let (Value::String(test_name), Value::String(variable_name)) =
                (&test.value, &variable.value)
            else {
                return Some(unknown_entry("Condition", key_span, "condition", span));
            };
            let index = match tests.iter().position(|e| &e.key == test_name) {
                Some(index) => index,
                None => {
                    tests.push(Entry {
                        key: test_name.clone(),
                        key_span: test.span,
                        value: Node::new(Value::Map(Vec::new()), block_span),
                    });
                    tests.len() - 1
                }
            };
            if let Value::Map(variables) = &mut tests[index].value.value {
                merge_entry(variables, variable_name, variable.span, values);
            }
        }
        Some(Entry {
            key: "Condition".into(),
            key_span,
            value: Node::new(Value::Map(tests), span),
        })
    }

    fn block_attribute(&self, block: &Block, name: &str, scope: Scope) -> Option<Node> {
        block
            .body
            .get_attribute(name)
            .map(|attr| self.eval(&attr.value, scope))
    }
}

/// The nested blocks of one type (static, and `dynamic` ones labelled with
/// it), with the span from the first to the last and the first one's keyword.
fn nested_blocks<'b>(
    body: &'b Body,
    kind: &str,
    scope: Scope,
) -> Option<(Vec<&'b Block>, Span, Span)> {
    let blocks: Vec<&Block> = body
        .blocks()
        .filter(|b| match b.ident.as_str() {
            "dynamic" => b.labels.first().is_some_and(|l| l.as_str() == kind),
            ident => ident == kind,
        })
        .collect();
    let first = *blocks.first()?;
    let mut span = scope.span(first);
    span.end = span
        .end
        .max(blocks.last().map_or(span.end, |b| scope.span(*b).end));
    Some((blocks, span, scope.span(&first.ident)))
}

fn unknown_entry(key: &str, key_span: Span, reason: &str, span: Span) -> Entry {
    Entry {
        key: key.into(),
        key_span,
        value: Node::new(Value::Unknown(reason.into()), span),
    }
}

/// Adds `value` under `key`, merging with an existing entry into one list.
fn merge_entry(entries: &mut Vec<Entry>, key: &str, key_span: Span, value: Node) {
    match entries.iter_mut().find(|e| e.key == key) {
        Some(existing) => {
            let previous = std::mem::replace(&mut existing.value, Node::new(Value::Null, key_span));
            let span = previous.span;
            let mut items = match previous.value {
                Value::List(items) => items,
                other => vec![Node::new(other, span)],
            };
            match value.value {
                Value::List(more) => items.extend(more),
                other => items.push(Node::new(other, value.span)),
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

/// Appends a statement, or replaces the earlier one with the same `Sid`.
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

/// Terraform's type conversion functions on a known value; unknowns and
/// references pass through. `None` when the conversion is not possible.
fn convert(function: &str, node: Node) -> Option<Node> {
    let span = node.span;
    let value = match (function, node.value) {
        (_, value @ (Value::Null | Value::Unknown(_) | Value::Ref(_))) => value,
        ("tostring", value @ Value::String(_)) => value,
        ("tostring", Value::Number(n)) => Value::String(format_number(n)),
        ("tostring", Value::Bool(b)) => Value::String(b.to_string()),
        ("tonumber", value @ Value::Number(_)) => value,
        ("tonumber", Value::String(s)) => Value::Number(s.trim().parse().ok()?),
        ("tobool", value @ Value::Bool(_)) => value,
        ("tobool", Value::String(s)) => Value::Bool(s.parse().ok()?),
        ("tolist" | "toset", value @ Value::List(_)) => value,
        _ => return None,
    };
    Some(Node::new(value, span))
}

fn strips_after(element: &Element) -> bool {
    match element {
        Element::Interpolation(i) => i.strip.strip_end(),
        _ => false,
    }
}

fn strips_before(element: &Element) -> bool {
    match element {
        Element::Interpolation(i) => i.strip.strip_start(),
        _ => false,
    }
}

fn attr_name<'o>(op: Option<&&'o TraversalOperator>) -> Option<&'o str> {
    match op {
        Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
        _ => None,
    }
}

/// Skips the instance key or splat after a resource name (`[0]`, `["a"]`,
/// `[*]`, `.*`, `.0`).
fn skip_instance_keys<'s, 'o>(ops: &'s [&'o TraversalOperator]) -> &'s [&'o TraversalOperator] {
    let skip = ops
        .iter()
        .take_while(|op| !matches!(op, TraversalOperator::GetAttr(_)))
        .count();
    &ops[skip..]
}

/// `var.x`, `each.value.name`, `count.index`, `local.m["k"]` for unknowns.
fn reference_text(root: &str, ops: &[&TraversalOperator]) -> String {
    let mut text = root.to_string();
    for op in ops {
        match op {
            TraversalOperator::GetAttr(name) => {
                text.push('.');
                text.push_str(name.as_str());
            }
            TraversalOperator::Index(Expression::Number(n)) => {
                text.push_str(&format!("[{}]", n.value()))
            }
            TraversalOperator::Index(Expression::String(s)) => {
                text.push_str(&format!("[{:?}]", s.value()))
            }
            TraversalOperator::Index(_) => text.push_str("[...]"),
            TraversalOperator::LegacyIndex(i) => text.push_str(&format!(".{}", i.value())),
            TraversalOperator::AttrSplat(_) => text.push_str(".*"),
            TraversalOperator::FullSplat(_) => text.push_str("[*]"),
        }
    }
    text
}

fn take_entry(node: Node, key: &str) -> Option<Node> {
    match node.value {
        Value::Map(entries) => entries.into_iter().find(|e| e.key == key).map(|e| e.value),
        _ => None,
    }
}

fn take_item(node: Node, index: usize) -> Option<Node> {
    match node.value {
        Value::List(items) => items.into_iter().nth(index),
        _ => None,
    }
}

fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.value)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Path;

    fn load(files: &[(&str, &str)]) -> Unit {
        load_module(
            files
                .iter()
                .map(|(name, text)| (name.to_string(), Arc::from(*text)))
                .collect(),
            &TerraformOptions::default(),
        )
    }

    fn resource<'u>(unit: &'u Unit, address: &str) -> &'u Resource {
        unit.resource(address)
            .unwrap_or_else(|| panic!("no resource {address}; errors: {:?}", unit.errors))
    }

    fn at<'n>(node: &'n Node, path: &str) -> &'n Node {
        let found = node.lookup(&Path::parse(path).unwrap());
        assert_eq!(found.nodes.len(), 1, "path {path}: {found:?}");
        found.nodes[0]
    }

    fn slice<'u>(unit: &'u Unit, node: &Node) -> &'u str {
        span_text(unit, node.span)
    }

    fn span_text(unit: &Unit, span: Span) -> &str {
        unit.file(span).slice(span)
    }

    #[test]
    fn security_group_ingress_blocks_become_a_list_of_maps() {
        let text = r#"
resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
  }
  tags = { Name = "web", "team:owner" = "ops" }
}
"#;
        let unit = load(&[("main.tf", text)]);
        assert!(unit.errors.is_empty(), "{:?}", unit.errors);
        let sg = resource(&unit, "aws_security_group.web");
        assert_eq!(sg.resource_type, "aws_security_group");
        assert!(!sg.is_data);
        assert_eq!(sg.framework, Framework::Terraform);
        assert_eq!(
            unit.file(sg.header).slice(sg.header),
            r#"resource "aws_security_group" "web""#
        );
        assert!(slice(&unit, &sg.body).starts_with("resource \"aws_security_group\""));
        assert!(slice(&unit, &sg.body).ends_with('}'));

        let ingress = sg.body.get("ingress").unwrap();
        let Value::List(blocks) = &ingress.value else {
            panic!("{ingress:?}")
        };
        assert_eq!(blocks.len(), 2);
        assert!(slice(&unit, &blocks[0]).starts_with("ingress {"));
        assert_eq!(
            blocks[0].get("from_port").unwrap().value,
            Value::Number(22.0)
        );
        assert_eq!(
            span_text(&unit, sg.body.entry("ingress").unwrap().key_span),
            "ingress"
        );

        let cidrs = sg
            .body
            .lookup(&Path::parse("ingress[*].cidr_blocks[*]").unwrap());
        let values: Vec<&str> = cidrs.nodes.iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(values, ["0.0.0.0/0", "10.0.0.0/8", "0.0.0.0/0"]);
        for node in &cidrs.nodes {
            assert_eq!(
                slice(&unit, node),
                format!("\"{}\"", node.as_str().unwrap())
            );
        }
        assert_ne!(cidrs.nodes[0].span, cidrs.nodes[2].span);

        assert_eq!(
            span_text(&unit, sg.body.entry("name").unwrap().key_span),
            "name"
        );
        let tags = sg.body.get("tags").unwrap();
        assert_eq!(
            span_text(&unit, tags.entry("Name").unwrap().key_span),
            "Name"
        );
        assert_eq!(at(tags, "Name").as_str(), Some("web"));
        assert_eq!(at(tags, "\"team:owner\"").as_str(), Some("ops"));
        assert_eq!(
            span_text(&unit, tags.entry("team:owner").unwrap().key_span),
            "\"team:owner\""
        );
    }

    #[test]
    fn jsonencode_keeps_the_policy_structure() {
        let text = r#"
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject"]
      Resource  = "${aws_s3_bucket.b.arn}/*"
    }]
  })
}
"#;
        let unit = load(&[("main.tf", text)]);
        let policy = resource(&unit, "aws_s3_bucket_policy.p")
            .body
            .get("policy")
            .unwrap();
        assert!(matches!(policy.value, Value::Map(_)), "{policy:?}");
        let principal = at(policy, "Statement[0].Principal");
        assert_eq!(principal.as_str(), Some("*"));
        assert_eq!(slice(&unit, principal), "\"*\"");
        assert_eq!(
            at(policy, "Statement[0].Action[0]").as_str(),
            Some("s3:GetObject")
        );
        assert_eq!(
            at(policy, "Statement[0].Resource").value,
            Value::Unknown("template".into())
        );
    }

    #[test]
    fn heredoc_policy_span_is_exactly_the_body() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}\nEOF\n}\n";
        let unit = load(&[("main.tf", text)]);
        let policy = resource(&unit, "aws_iam_policy.p")
            .body
            .get("policy")
            .unwrap();
        let string = policy
            .as_str()
            .expect("a heredoc without interpolation is a string");
        assert_eq!(string, "{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}\n");
        assert_eq!(slice(&unit, policy), string);
    }

    #[test]
    fn indented_heredoc_is_dedented() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<-EOT\n    {\n      \"a\": 1\n    }\n  EOT\n}\n";
        let unit = load(&[("main.tf", text)]);
        let policy = resource(&unit, "aws_iam_policy.p")
            .body
            .get("policy")
            .unwrap();
        assert_eq!(policy.as_str(), Some("{\n  \"a\": 1\n}\n"));
        assert_eq!(slice(&unit, policy), "    {\n      \"a\": 1\n    }\n");
    }

    #[test]
    fn policy_document_from_another_file() {
        let main = r#"
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.public.json
}
"#;
        let policies = r#"
data "aws_iam_policy_document" "public" {
  statement {
    sid     = "PublicRead"
    actions = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-1"]
    }
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
    not_principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}
"#;
        let unit = load(&[("main.tf", main), ("policies.tf", policies)]);
        assert!(unit.errors.is_empty(), "{:?}", unit.errors);
        let policy = resource(&unit, "aws_s3_bucket_policy.p")
            .body
            .get("policy")
            .unwrap();
        assert_eq!(
            policy.span.file, 1,
            "the document's nodes point into policies.tf"
        );
        assert_eq!(at(policy, "Version").as_str(), Some("2012-10-17"));

        let effect = at(policy, "Statement[0].Effect");
        assert_eq!(effect.as_str(), Some("Allow"));
        assert!(
            slice(&unit, effect).starts_with("statement {"),
            "default Effect points at the statement"
        );
        assert_eq!(at(policy, "Statement[0].Sid").as_str(), Some("PublicRead"));
        assert_eq!(
            at(policy, "Statement[0].Action[0]").as_str(),
            Some("s3:GetObject")
        );

        let aws = at(policy, "Statement[0].Principal.AWS");
        let Value::List(ids) = &aws.value else {
            panic!("{aws:?}")
        };
        let ids: Vec<&str> = ids.iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(ids, ["*", "arn:aws:iam::123456789012:root"]);
        let star = at(policy, "Statement[0].Principal.AWS[0]");
        assert_eq!(slice(&unit, star), "\"*\"");
        assert_eq!(star.span.file, 1);

        let vpce = at(
            policy,
            "Statement[0].Condition.StringEquals.\"aws:SourceVpce\"[0]",
        );
        assert_eq!(vpce.as_str(), Some("vpce-1"));
        assert_eq!(slice(&unit, vpce), "\"vpce-1\"");

        assert_eq!(at(policy, "Statement[1].Effect").as_str(), Some("Deny"));
        assert_eq!(
            at(policy, "Statement[1].NotPrincipal.Service[0]").as_str(),
            Some("cloudtrail.amazonaws.com")
        );
        assert!(at(policy, "Statement[1]").get("Principal").is_none());

        // The data source itself is a resource with its ordinary body.
        let data = resource(&unit, "data.aws_iam_policy_document.public");
        assert!(data.is_data);
        assert_eq!(data.resource_type, "aws_iam_policy_document");
        let statements = data.body.lookup(&Path::parse("statement[*]").unwrap());
        assert_eq!(statements.nodes.len(), 2);
        assert_eq!(
            unit.file(data.header).slice(data.header),
            r#"data "aws_iam_policy_document" "public""#
        );
    }

    #[test]
    fn source_and_override_documents_are_combined() {
        let text = r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid     = "Read"
    actions = ["s3:GetObject"]
  }
  statement {
    sid     = "List"
    actions = ["s3:ListBucket"]
  }
}
data "aws_iam_policy_document" "extra" {
  statement {
    sid     = "List"
    actions = ["s3:*"]
  }
}
data "aws_iam_policy_document" "combined" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json, var.more]
  override_policy_documents = [data.aws_iam_policy_document.extra.json]
  statement {
    sid     = "Read"
    actions = ["s3:GetObjectVersion"]
  }
  statement {
    actions = ["s3:PutObject"]
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.combined.json
}
"#;
        let unit = load(&[("main.tf", text)]);
        let policy = resource(&unit, "aws_iam_policy.p")
            .body
            .get("policy")
            .unwrap();
        let Value::List(statements) = &at(policy, "Statement").value else {
            panic!("{policy:?}")
        };
        assert_eq!(statements.len(), 4, "{statements:?}");
        assert_eq!(
            at(&statements[0], "Action[0]").as_str(),
            Some("s3:GetObjectVersion")
        );
        assert_eq!(at(&statements[1], "Action[0]").as_str(), Some("s3:*"));
        assert_eq!(statements[2].value, Value::Unknown("var.more".into()));
        assert_eq!(
            at(&statements[3], "Action[0]").as_str(),
            Some("s3:PutObject")
        );
    }

    #[test]
    fn references_to_resources_and_other_data_sources() {
        let text = r#"
resource "aws_s3_bucket_logging" "l" {
  bucket        = aws_s3_bucket.b.id
  target_bucket = aws_s3_bucket.logs[0].id
  others        = aws_s3_bucket.many[*].arn
  whole         = aws_s3_bucket.b
  vpc           = data.aws_vpc.main.id
  doc           = data.aws_iam_policy_document.missing.json
}
"#;
        let unit = load(&[("main.tf", text)]);
        let body = &resource(&unit, "aws_s3_bucket_logging.l").body;
        let reference = |target: &str, attribute: Option<&str>| {
            Value::Ref(Reference {
                target: target.into(),
                attribute: attribute.map(str::to_string),
            })
        };
        assert_eq!(
            body.get("bucket").unwrap().value,
            reference("aws_s3_bucket.b", Some("id"))
        );
        assert_eq!(
            slice(&unit, body.get("bucket").unwrap()),
            "aws_s3_bucket.b.id"
        );
        assert_eq!(
            body.get("target_bucket").unwrap().value,
            reference("aws_s3_bucket.logs", Some("id"))
        );
        assert_eq!(
            body.get("others").unwrap().value,
            reference("aws_s3_bucket.many", Some("arn"))
        );
        assert_eq!(
            body.get("whole").unwrap().value,
            reference("aws_s3_bucket.b", None)
        );
        assert_eq!(
            body.get("vpc").unwrap().value,
            reference("data.aws_vpc.main", Some("id"))
        );
        assert_eq!(
            body.get("doc").unwrap().value,
            reference("data.aws_iam_policy_document.missing", Some("json"))
        );
    }

    #[test]
    fn variables_locals_and_unsupported_expressions_are_unknown() {
        let text = r#"
resource "aws_s3_bucket" "b" {
  bucket    = var.x
  acl       = local.acl
  name      = each.key
  tagged    = "prefix-${var.x}"
  joined    = "a-${1}-${true}"
  single    = "${"lit"}"
  cond      = var.x ? 1 : 0
  sum       = 1 + 2
  upper     = upper("x")
  str       = tostring(5)
  num       = tonumber("7")
  list      = tolist(["a"])
  nested    = { a = [1, { b = null }] }[ "a" ][1].b
  paren     = ("p")
  badkey    = { (var.k) = 1 }
  exprkey   = { ("k") = 1 }
  forexpr   = [for s in var.l : s]
  directive = "%{if true}x%{endif}"
}
"#;
        let unit = load(&[("main.tf", text)]);
        assert!(unit.errors.is_empty(), "{:?}", unit.errors);
        let body = &resource(&unit, "aws_s3_bucket.b").body;
        let value = |key: &str| body.get(key).unwrap().value.clone();
        let unknown = |reason: &str| Value::Unknown(reason.into());
        assert_eq!(value("bucket"), unknown("var.x"));
        assert!(!value("bucket").is_known());
        assert_eq!(value("acl"), unknown("local.acl"));
        assert_eq!(value("name"), unknown("each.key"));
        assert_eq!(value("tagged"), unknown("template"));
        assert_eq!(value("joined"), Value::String("a-1-true".into()));
        assert_eq!(value("single"), Value::String("lit".into()));
        assert!(matches!(value("cond"), Value::Unknown(_)));
        assert!(matches!(value("sum"), Value::Unknown(_)));
        assert_eq!(value("upper"), unknown("function upper"));
        assert_eq!(value("str"), Value::String("5".into()));
        assert_eq!(value("num"), Value::Number(7.0));
        assert!(matches!(value("list"), Value::List(ref l) if l.len() == 1));
        assert_eq!(value("nested"), Value::Null);
        assert_eq!(value("paren"), Value::String("p".into()));
        assert_eq!(value("badkey"), unknown("object key"));
        assert_eq!(at(body, "exprkey.k").value, Value::Number(1.0));
        assert!(matches!(value("forexpr"), Value::Unknown(_)));
        assert_eq!(value("directive"), unknown("template"));
    }

    #[test]
    fn count_zero_drops_the_resource_and_meta_arguments_are_left_out() {
        let text = r#"
resource "aws_s3_bucket" "gone" {
  count  = 0
  bucket = "x"
}
resource "aws_s3_bucket" "gone_too" {
  count = "0"
}
resource "aws_s3_bucket" "none" {
  for_each = {}
}
resource "aws_s3_bucket" "kept" {
  count      = 2
  for_each   = var.m
  depends_on = [aws_s3_bucket.gone]
  provider   = aws.east
  bucket     = "y"
  lifecycle {
    prevent_destroy = true
  }
}
"#;
        let unit = load(&[("main.tf", text)]);
        assert!(unit.resource("aws_s3_bucket.gone").is_none());
        assert!(unit.resource("aws_s3_bucket.none").is_none());
        assert!(unit.resource("aws_s3_bucket.gone_too").is_none());
        let kept = resource(&unit, "aws_s3_bucket.kept");
        let Value::Map(entries) = &kept.body.value else {
            panic!()
        };
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["bucket"]);
    }

    #[test]
    fn dynamic_blocks_are_unknown() {
        let text = r#"
resource "aws_security_group" "a" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      cidr_blocks = ingress.value.cidrs
    }
  }
}
resource "aws_security_group" "b" {
  ingress {
    cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "ingress" {
    for_each = var.rules
    content {}
  }
  egress {
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;
        let unit = load(&[("main.tf", text)]);
        let a = &resource(&unit, "aws_security_group.a").body;
        assert_eq!(
            a.get("ingress").unwrap().value,
            Value::Unknown("dynamic block".into())
        );
        assert_eq!(
            span_text(&unit, a.entry("ingress").unwrap().key_span),
            "\"ingress\""
        );
        let b = &resource(&unit, "aws_security_group.b").body;
        assert_eq!(
            b.get("ingress").unwrap().value,
            Value::Unknown("dynamic block".into())
        );
        let found = b.lookup(&Path::parse("ingress[*].cidr_blocks").unwrap());
        assert!(found.nodes.is_empty());
        assert_eq!(found.unknown.len(), 1);
        assert!(matches!(b.get("egress").unwrap().value, Value::List(_)));
    }

    #[test]
    fn syntax_error_in_one_file_keeps_the_others() {
        let good = "resource \"aws_s3_bucket\" \"ok\" {\n  bucket = \"ok\"\n}\n";
        let bad = "resource \"aws_s3_bucket\" \"bad\" {\n  bucket = \n}\n";
        let unit = load(&[("bad.tf", bad), ("good.tf", good)]);
        assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
        assert_eq!(unit.errors[0].file, 0);
        assert_eq!(unit.files.len(), 2);
        assert_eq!(unit.files[0].display, "bad.tf");
        let ok = resource(&unit, "aws_s3_bucket.ok");
        assert_eq!(ok.header.file, 1);
        assert_eq!(ok.body.get("bucket").unwrap().as_str(), Some("ok"));
        assert!(unit.resource("aws_s3_bucket.bad").is_none());
    }

    #[test]
    fn policy_document_cycles_and_dynamic_statements_stay_unknown() {
        let text = r#"
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.a.json
}
data "aws_iam_policy_document" "a" {
  statement {
    resources = [data.aws_iam_policy_document.b.json]
  }
}
data "aws_iam_policy_document" "b" {
  version = "2008-10-17"
  statement {
    resources = [data.aws_iam_policy_document.a.json]
  }
  dynamic "statement" {
    for_each = var.s
    content {}
  }
}
"#;
        let unit = load(&[("main.tf", text)]);
        let policy = resource(&unit, "aws_iam_policy.p")
            .body
            .get("policy")
            .unwrap();
        let inner = at(policy, "Statement[0].Resource[0]");
        assert_eq!(at(inner, "Version").as_str(), Some("2008-10-17"));
        assert_eq!(
            at(inner, "Statement[0].Resource[0]").value,
            Value::Unknown("cyclic reference".into())
        );
        assert_eq!(
            at(inner, "Statement[1]").value,
            Value::Unknown("dynamic block".into())
        );
    }

    #[test]
    fn exponential_document_inclusion_is_bounded() {
        let mut text = String::from("data \"aws_iam_policy_document\" \"d0\" {\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n}\n");
        for i in 1..40 {
            let prev = i - 1;
            text.push_str(&format!(
                "data \"aws_iam_policy_document\" \"d{i}\" {{\n  statement {{\n    resources = [data.aws_iam_policy_document.d{prev}.json, data.aws_iam_policy_document.d{prev}.json]\n  }}\n}}\n"
            ));
        }
        text.push_str("resource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d39.json\n}\n");
        let unit = load(&[("main.tf", &text)]);
        assert!(unit.resource("aws_iam_policy.p").is_some());
        assert!(!unit.errors.is_empty(), "the copy limit is reported");
    }

    #[test]
    fn resource_blocks_need_two_labels() {
        let unit = load(&[("main.tf", "resource \"aws_s3_bucket\" {\n}\n")]);
        assert!(unit.resources.is_empty());
        assert_eq!(unit.errors.len(), 1);
        assert!(unit.errors[0].message.contains("two labels"));
    }
}
