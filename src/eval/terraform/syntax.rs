//! The configuration language as the evaluator reads it: a small syntax tree
//! that native HCL (through hcl-edit) and Terraform's JSON syntax both lower
//! into, so evaluation has one input whatever a file is written in.
//!
//! Positions are [`At`]s, relative to the files of one module directory: a
//! directory is parsed once and may be evaluated by several scan units, each
//! of which places its files at its own [`FileId`]s.

use crate::source::{FileId, Span};
use hcl_edit::expr::{
    BinaryOperator, Expression, ObjectKey as HclObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::structure::{Body as HclBody, Structure};
use hcl_edit::template::{Directive, Element, Template as HclTemplate};
use hcl_edit::Span as _;

/// A byte range in one file of a module directory (`file` indexes the
/// directory's files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct At {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl At {
    pub fn new(file: u32, range: std::ops::Range<usize>) -> At {
        At {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The span in a unit whose copy of this directory starts at `base`.
    pub fn in_unit(self, base: FileId) -> Span {
        Span {
            file: base + self.file,
            start: self.start,
            end: self.end,
        }
    }

    /// From the start of `self` to the end of `other` (same file).
    pub fn to(self, other: At) -> At {
        At {
            end: other.end.max(self.start),
            ..self
        }
    }

    fn of(item: &impl hcl_edit::Span, file: u32) -> At {
        At::new(file, item.span().unwrap_or(0..0))
    }
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub at: At,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Template(Template),
    Tuple(Vec<Expr>),
    Object(Vec<ObjectItem>),
    /// A bare name: the root of a reference (`var`, `aws_s3_bucket`) or a
    /// symbol bound by a `for` expression, a `dynamic` block or `templatefile`.
    Name(String),
    Traversal(Box<Expr>, Vec<Operator>),
    Call(Box<Call>),
    Conditional(Box<[Expr; 3]>),
    Unary(Unary, Box<Expr>),
    Binary(Binary, Box<[Expr; 2]>),
    For(Box<ForExpr>),
    /// Text that could not be read as an expression (a broken `${` in a
    /// `.tf.json` string); the error is reported where it was lowered.
    Invalid,
}

#[derive(Clone, Debug)]
pub struct ObjectItem {
    pub key: ObjectKey,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum ObjectKey {
    /// `name = ...`: the name itself, even when a variable has that name.
    Name(String, At),
    /// `(expr) = ...` or `"key" = ...`.
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum Operator {
    Attr(String),
    Index(Expr),
    /// `.0`, the legacy index form.
    LegacyIndex(u64),
    /// `.*`: applies the attribute accesses that follow to every element.
    AttrSplat,
    /// `[*]`: applies everything that follows to every element.
    FullSplat,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub name: String,
    /// `provider::aws::arn_parse(...)`: provider functions are not evaluated.
    pub namespaced: bool,
    pub args: Vec<Expr>,
    /// `f(list...)`: the last argument's elements are the arguments.
    pub expand_final: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Clone, Debug)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// `{for k, v in x : key => value}`; `None` for the list form.
    pub key: Option<Expr>,
    pub value: Expr,
    pub condition: Option<Expr>,
    /// `...` after the value: values with the same key are grouped in a list.
    pub grouping: bool,
}

/// A template with `~` strip markers already applied to its literals.
#[derive(Clone, Debug, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug)]
pub enum Part {
    Literal(String),
    Interpolation(Expr),
    If {
        condition: Expr,
        then: Template,
        otherwise: Template,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Template,
    },
}

/// A block body: attributes and nested blocks in source order.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Attribute(Attribute),
    Block(Block),
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub name_at: At,
    pub expr: Expr,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub kind_at: At,
    pub labels: Vec<(String, At)>,
    pub body: Body,
    pub at: At,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.items.iter().find_map(|item| match item {
            Item::Attribute(a) if a.name == name => Some(a),
            _ => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.items.iter().filter_map(|item| match item {
            Item::Block(b) => Some(b),
            _ => None,
        })
    }

    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().filter_map(|item| match item {
            Item::Attribute(a) => Some(a),
            _ => None,
        })
    }
}

impl Expr {
    pub fn new(kind: ExprKind, at: At) -> Expr {
        Expr { kind, at }
    }

    /// The name when the expression is a bare name (`iterator = rule`).
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }

    /// The string when the expression is a literal string, or a template that
    /// is only literal text.
    pub fn as_literal_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::String(s) => Some(s.clone()),
            ExprKind::Template(t) => t.parts.iter().try_fold(String::new(), |mut acc, p| {
                match p {
                    Part::Literal(s) => acc.push_str(s),
                    _ => return None,
                }
                Some(acc)
            }),
            _ => None,
        }
    }

    /// Moves every position to `at` (values typed on the command line have
    /// no place in a file).
    pub fn place_all_at(&mut self, at: At) {
        self.at = at;
        match &mut self.kind {
            ExprKind::Template(t) => t.place_all_at(at),
            ExprKind::Tuple(items) => items.iter_mut().for_each(|e| e.place_all_at(at)),
            ExprKind::Object(items) => {
                for item in items {
                    match &mut item.key {
                        ObjectKey::Name(_, key_at) => *key_at = at,
                        ObjectKey::Expr(e) => e.place_all_at(at),
                    }
                    item.value.place_all_at(at);
                }
            }
            ExprKind::Traversal(base, ops) => {
                base.place_all_at(at);
                for op in ops {
                    if let Operator::Index(e) = op {
                        e.place_all_at(at);
                    }
                }
            }
            ExprKind::Call(call) => call.args.iter_mut().for_each(|e| e.place_all_at(at)),
            ExprKind::Conditional(parts) => parts.iter_mut().for_each(|e| e.place_all_at(at)),
            ExprKind::Unary(_, e) => e.place_all_at(at),
            ExprKind::Binary(_, parts) => parts.iter_mut().for_each(|e| e.place_all_at(at)),
            ExprKind::For(f) => {
                f.collection.place_all_at(at);
                f.value.place_all_at(at);
                if let Some(k) = &mut f.key {
                    k.place_all_at(at);
                }
                if let Some(c) = &mut f.condition {
                    c.place_all_at(at);
                }
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Name(_)
            | ExprKind::Invalid => {}
        }
    }
}

impl Template {
    fn place_all_at(&mut self, at: At) {
        for part in &mut self.parts {
            match part {
                Part::Literal(_) => {}
                Part::Interpolation(e) => e.place_all_at(at),
                Part::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    condition.place_all_at(at);
                    then.place_all_at(at);
                    otherwise.place_all_at(at);
                }
                Part::For {
                    collection, body, ..
                } => {
                    collection.place_all_at(at);
                    body.place_all_at(at);
                }
            }
        }
    }
}

// ----- lowering from hcl-edit -------------------------------------------------

/// Lowers a parsed HCL body; `file` is the file's index in its directory.
pub fn lower_body(body: &HclBody, file: u32) -> Body {
    let items = body
        .iter()
        .map(|structure| match structure {
            Structure::Attribute(attr) => Item::Attribute(Attribute {
                name: attr.key.as_str().to_string(),
                name_at: At::of(&attr.key, file),
                expr: lower_expr(&attr.value, file),
            }),
            Structure::Block(block) => Item::Block(Block {
                kind: block.ident.as_str().to_string(),
                kind_at: At::of(&block.ident, file),
                labels: block
                    .labels
                    .iter()
                    .map(|l| (l.as_str().to_string(), At::of(l, file)))
                    .collect(),
                body: lower_body(&block.body, file),
                at: At::of(block, file),
            }),
        })
        .collect();
    Body { items }
}

/// Lowers one expression. Nesting was bounded before parsing, so recursion
/// depth is bounded too.
pub fn lower_expr(expr: &Expression, file: u32) -> Expr {
    let at = At::of(expr, file);
    let kind = match expr {
        Expression::Null(_) => ExprKind::Null,
        Expression::Bool(b) => ExprKind::Bool(*b.value()),
        Expression::Number(n) => match n.value().as_f64() {
            Some(n) => ExprKind::Number(n),
            None => ExprKind::Invalid,
        },
        Expression::String(s) => ExprKind::String(s.value().clone()),
        Expression::Array(array) => {
            ExprKind::Tuple(array.iter().map(|e| lower_expr(e, file)).collect())
        }
        Expression::Object(object) => ExprKind::Object(
            object
                .iter()
                .map(|(key, value)| ObjectItem {
                    key: match key {
                        HclObjectKey::Ident(ident) => {
                            ObjectKey::Name(ident.as_str().to_string(), At::of(key, file))
                        }
                        HclObjectKey::Expression(e) => ObjectKey::Expr(lower_expr(e, file)),
                    },
                    value: lower_expr(value.expr(), file),
                })
                .collect(),
        ),
        Expression::StringTemplate(template) => {
            ExprKind::Template(lower_template(template, file, &mut Strips::default()))
        }
        Expression::HeredocTemplate(heredoc) => {
            // The body's own range, so that a policy inside it can be located
            // byte-exactly.
            let body_at = heredoc
                .template
                .span()
                .map_or(at, |range| At::new(file, range));
            return Expr::new(
                ExprKind::Template(lower_template(
                    &heredoc.template,
                    file,
                    &mut Strips::default(),
                )),
                body_at,
            );
        }
        Expression::Parenthesis(inner) => return lower_expr(inner.inner(), file),
        Expression::Variable(name) => ExprKind::Name(name.as_str().to_string()),
        Expression::Traversal(traversal) => ExprKind::Traversal(
            Box::new(lower_expr(&traversal.expr, file)),
            traversal
                .operators
                .iter()
                .map(|op| match op.value() {
                    TraversalOperator::GetAttr(name) => Operator::Attr(name.as_str().to_string()),
                    TraversalOperator::Index(e) => Operator::Index(lower_expr(e, file)),
                    TraversalOperator::LegacyIndex(i) => Operator::LegacyIndex(*i.value()),
                    TraversalOperator::AttrSplat(_) => Operator::AttrSplat,
                    TraversalOperator::FullSplat(_) => Operator::FullSplat,
                })
                .collect(),
        ),
        Expression::FuncCall(call) => {
            let mut name = String::new();
            for part in &call.name.namespace {
                name.push_str(part.as_str());
                name.push_str("::");
            }
            name.push_str(call.name.name.as_str());
            ExprKind::Call(Box::new(Call {
                name,
                namespaced: call.name.is_namespaced(),
                args: call.args.iter().map(|e| lower_expr(e, file)).collect(),
                expand_final: call.args.expand_final(),
            }))
        }
        Expression::Conditional(c) => ExprKind::Conditional(Box::new([
            lower_expr(&c.cond_expr, file),
            lower_expr(&c.true_expr, file),
            lower_expr(&c.false_expr, file),
        ])),
        Expression::UnaryOp(op) => ExprKind::Unary(
            match op.operator.value() {
                UnaryOperator::Neg => Unary::Neg,
                UnaryOperator::Not => Unary::Not,
            },
            Box::new(lower_expr(&op.expr, file)),
        ),
        Expression::BinaryOp(op) => ExprKind::Binary(
            match op.operator.value() {
                BinaryOperator::Eq => Binary::Eq,
                BinaryOperator::NotEq => Binary::NotEq,
                BinaryOperator::Less => Binary::Less,
                BinaryOperator::LessEq => Binary::LessEq,
                BinaryOperator::Greater => Binary::Greater,
                BinaryOperator::GreaterEq => Binary::GreaterEq,
                BinaryOperator::Plus => Binary::Add,
                BinaryOperator::Minus => Binary::Sub,
                BinaryOperator::Mul => Binary::Mul,
                BinaryOperator::Div => Binary::Div,
                BinaryOperator::Mod => Binary::Mod,
                BinaryOperator::And => Binary::And,
                BinaryOperator::Or => Binary::Or,
            },
            Box::new([
                lower_expr(&op.lhs_expr, file),
                lower_expr(&op.rhs_expr, file),
            ]),
        ),
        Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
            key_var: f.intro.key_var.as_ref().map(|k| k.as_str().to_string()),
            value_var: f.intro.value_var.as_str().to_string(),
            collection: lower_expr(&f.intro.collection_expr, file),
            key: f.key_expr.as_ref().map(|k| lower_expr(k, file)),
            value: lower_expr(&f.value_expr, file),
            condition: f.cond.as_ref().map(|c| lower_expr(&c.expr, file)),
            grouping: f.grouping,
        })),
    };
    Expr::new(kind, at)
}

/// Strip markers met while lowering a template: `~` next to a `${`/`%{`
/// removes the whitespace of the adjacent literal.
#[derive(Default)]
struct Strips {
    /// The next literal loses its leading whitespace.
    trim_next: bool,
}

/// Lowers a template, applying strip markers. Literals are merged with their
/// neighbours' markers by trimming them in place.
fn lower_template(template: &HclTemplate, file: u32, strips: &mut Strips) -> Template {
    let mut parts: Vec<Part> = Vec::new();
    for element in template.iter() {
        match element {
            Element::Literal(literal) => {
                let mut text = literal.value().as_str();
                if std::mem::take(&mut strips.trim_next) {
                    text = text.trim_start();
                }
                parts.push(Part::Literal(text.to_string()));
            }
            Element::Interpolation(interpolation) => {
                strips.trim_next = false;
                if interpolation.strip.strip_start() {
                    trim_last_literal(&mut parts);
                }
                parts.push(Part::Interpolation(lower_expr(&interpolation.expr, file)));
                strips.trim_next = interpolation.strip.strip_end();
            }
            Element::Directive(directive) => {
                strips.trim_next = false;
                match directive.as_ref() {
                    Directive::If(d) => {
                        if d.if_expr.strip.strip_start() {
                            trim_last_literal(&mut parts);
                        }
                        strips.trim_next = d.if_expr.strip.strip_end();
                        let mut then = lower_template(&d.if_expr.template, file, strips);
                        let mut otherwise = Template::default();
                        if let Some(e) = &d.else_expr {
                            if e.strip.strip_start() {
                                trim_last_literal(&mut then.parts);
                            }
                            strips.trim_next = e.strip.strip_end();
                            otherwise = lower_template(&e.template, file, strips);
                        }
                        if d.endif_expr.strip.strip_start() {
                            let last = if d.else_expr.is_some() {
                                &mut otherwise
                            } else {
                                &mut then
                            };
                            trim_last_literal(&mut last.parts);
                        }
                        strips.trim_next = d.endif_expr.strip.strip_end();
                        parts.push(Part::If {
                            condition: lower_expr(&d.if_expr.cond_expr, file),
                            then,
                            otherwise,
                        });
                    }
                    Directive::For(d) => {
                        if d.for_expr.strip.strip_start() {
                            trim_last_literal(&mut parts);
                        }
                        strips.trim_next = d.for_expr.strip.strip_end();
                        let mut body = lower_template(&d.for_expr.template, file, strips);
                        if d.endfor_expr.strip.strip_start() {
                            trim_last_literal(&mut body.parts);
                        }
                        strips.trim_next = d.endfor_expr.strip.strip_end();
                        parts.push(Part::For {
                            key_var: d.for_expr.key_var.as_ref().map(|k| k.as_str().to_string()),
                            value_var: d.for_expr.value_var.as_str().to_string(),
                            collection: lower_expr(&d.for_expr.collection_expr, file),
                            body,
                        });
                    }
                }
            }
        }
    }
    Template { parts }
}

fn trim_last_literal(parts: &mut [Part]) {
    if let Some(Part::Literal(text)) = parts.last_mut() {
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
    }
}

/// Lowers a template parsed out of a string (Terraform JSON syntax,
/// `templatefile`). `base` is the byte offset of the template text in its
/// file when the text sits there verbatim; otherwise every position is
/// `whole`.
pub fn lower_template_text(
    template: &HclTemplate,
    file: u32,
    base: Option<u32>,
    whole: At,
) -> Template {
    let mut lowered = lower_template(template, file, &mut Strips::default());
    match base {
        Some(offset) => shift_template(&mut lowered, offset),
        None => lowered.place_all_at(whole),
    }
    lowered
}

/// Adds `offset` to every position (positions of a template parsed from a
/// slice of a file are relative to the slice).
fn shift_template(template: &mut Template, offset: u32) {
    for part in &mut template.parts {
        match part {
            Part::Literal(_) => {}
            Part::Interpolation(e) => shift_expr(e, offset),
            Part::If {
                condition,
                then,
                otherwise,
            } => {
                shift_expr(condition, offset);
                shift_template(then, offset);
                shift_template(otherwise, offset);
            }
            Part::For {
                collection, body, ..
            } => {
                shift_expr(collection, offset);
                shift_template(body, offset);
            }
        }
    }
}

pub fn shift_expr(expr: &mut Expr, offset: u32) {
    expr.at.start += offset;
    expr.at.end += offset;
    match &mut expr.kind {
        ExprKind::Template(t) => shift_template(t, offset),
        ExprKind::Tuple(items) => items.iter_mut().for_each(|e| shift_expr(e, offset)),
        ExprKind::Object(items) => {
            for item in items {
                match &mut item.key {
                    ObjectKey::Name(_, at) => {
                        at.start += offset;
                        at.end += offset;
                    }
                    ObjectKey::Expr(e) => shift_expr(e, offset),
                }
                shift_expr(&mut item.value, offset);
            }
        }
        ExprKind::Traversal(base, ops) => {
            shift_expr(base, offset);
            for op in ops {
                if let Operator::Index(e) = op {
                    shift_expr(e, offset);
                }
            }
        }
        ExprKind::Call(call) => call.args.iter_mut().for_each(|e| shift_expr(e, offset)),
        ExprKind::Conditional(parts) => parts.iter_mut().for_each(|e| shift_expr(e, offset)),
        ExprKind::Unary(_, e) => shift_expr(e, offset),
        ExprKind::Binary(_, parts) => parts.iter_mut().for_each(|e| shift_expr(e, offset)),
        ExprKind::For(f) => {
            shift_expr(&mut f.collection, offset);
            shift_expr(&mut f.value, offset);
            if let Some(k) = &mut f.key {
                shift_expr(k, offset);
            }
            if let Some(c) = &mut f.condition {
                shift_expr(c, offset);
            }
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Name(_)
        | ExprKind::Invalid => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expr {
        lower_expr(&hcl_edit::parser::parse_expr(text).unwrap(), 0)
    }

    fn literal_parts(t: &Template) -> Vec<String> {
        t.parts
            .iter()
            .filter_map(|p| match p {
                Part::Literal(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn strip_markers_trim_the_neighbouring_literals() {
        let e = expr("\"a  ${~ x ~}  b\"");
        let ExprKind::Template(t) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(literal_parts(t), ["a", "b"]);

        let e = expr("\"x %{~ if c ~} yes %{~ else ~} no %{~ endif ~} y\"");
        let ExprKind::Template(t) = &e.kind else {
            panic!()
        };
        assert_eq!(literal_parts(t), ["x", "y"]);
        let Part::If {
            then, otherwise, ..
        } = &t.parts[1]
        else {
            panic!()
        };
        assert_eq!(literal_parts(then), ["yes"]);
        assert_eq!(literal_parts(otherwise), ["no"]);
    }

    #[test]
    fn positions_cover_the_source() {
        let text = "foo(var.a[0], { k = 1 })";
        let e = expr(text);
        assert_eq!(e.at, At::new(0, 0..text.len()));
        let ExprKind::Call(call) = &e.kind else {
            panic!()
        };
        assert_eq!(call.name, "foo");
        let arg = &call.args[0];
        assert_eq!(
            &text[arg.at.start as usize..arg.at.end as usize],
            "var.a[0]"
        );
    }

    #[test]
    fn placing_and_shifting_positions() {
        let mut e = expr("[a, b.c]");
        shift_expr(&mut e, 10);
        assert_eq!(e.at, At::new(0, 10..18));
        let at = At::new(3, 1..2);
        e.place_all_at(at);
        let ExprKind::Tuple(items) = &e.kind else {
            panic!()
        };
        assert!(items.iter().all(|i| i.at == at));
    }
}
