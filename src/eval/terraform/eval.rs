//! Expression evaluation: the [`Evaluator`] of one scan unit, the [`Scope`]
//! an expression is evaluated in, and the resolution of references (`var.`,
//! `local.`, `module.`, `each.`, `count.`, `path.`, resources).
//!
//! Evaluation never fails: what cannot be known before apply is
//! [`Value::Unknown`] (or [`Value::Ref`] for another resource's attribute),
//! and unknowns propagate through every operation. A value that reaches a
//! use through a variable, local, module input or output is copied to the
//! use site with one more provenance step ([`Evaluator::rehome`]): its span
//! becomes the use, and its origins say where it was set, nearest first.

use super::config::ModuleDir;
use super::module::{Binding, Instance};
use super::syntax::{
    Binary, Call, Expr, ExprKind, ForExpr, ObjectKey, Operator, Part, Template, Unary,
};
use super::values::{
    add_origins, as_bool, as_number, cost, derived, failure, first_unknown, has_failure,
    is_failure, json_text, limit_crossed, over_limit, primitive_text, same_value, text_hole,
    unknown, MapBuilder, BYTES_PER_STEP,
};
use super::Library;
use crate::model::{Resource, UnitError};
use crate::source::{FileId, SourceFile, Span};
use crate::value::{format_number, Entry, Node, Origin, PartialText, Value};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// Evaluation work allowed per unit (expressions evaluated, nodes built or
/// copied, string bytes by [`BYTES_PER_STEP`], map entries searched by
/// [`ENTRIES_PER_STEP`]); past it the unit reports an error and the rest is
/// unknown. A resource instance takes some 20 steps, so this is room for
/// about 100,000 of them, while bounding what hostile input can make (time,
/// and memory: some 200 MB of values).
pub const MAX_STEPS: u64 = 2_000_000;

/// Map entries a key lookup may search for one step. Maps are small in real
/// code (a lookup in 1,000 keys costs 16 steps); a lookup per element of a
/// 100,000-key map would otherwise be quadratic for free.
pub const ENTRIES_PER_STEP: u64 = 64;

/// Resource and module instances one unit may create across its whole
/// module tree. [`super::module::MAX_INSTANCES`] bounds one `count` or
/// `for_each`, but limits per call multiply down a chain of modules (two
/// levels of `count = 10000` are 10^8 instances); this bound composes. It
/// matches the step budget's room for 100,000 resource instances, five times
/// the largest single module this tool is benchmarked on.
pub const MAX_UNIT_INSTANCES: usize = 100_000;

/// How deeply evaluations may nest (expressions within expressions, and
/// references followed through locals, variables and modules): past it the
/// unit reports an error, rather than exhausting the stack.
pub const MAX_DEPTH: usize = 1_000;

/// Provenance steps kept per value: the nearest ones and the first place
/// the value was set.
pub const MAX_ORIGINS: usize = 16;

/// The largest collection or string a function may build.
pub const MAX_COLLECTION: usize = 100_000;
pub const MAX_STRING_BYTES: usize = 16 << 20;
/// What crossing each of them is called in errors.
pub const TOO_LARGE: &str = "a collection of more than 100000 elements";
pub const TOO_LONG: &str = "a string of more than 16 MiB";

/// The state of evaluating one scan unit: a root module with every module it
/// calls, plus the unit's files, errors and notes as they are found.
pub struct Evaluator<'a> {
    pub library: &'a Library,
    /// The root module's directory on disk, if any: relative paths in
    /// `file()` and module sources read from `.terraform` start there.
    pub root_dir: Option<PathBuf>,
    pub files: RefCell<Vec<SourceFile>>,
    /// Where each module directory's files start in `files`.
    pub placed: RefCell<HashMap<PathBuf, FileId>>,
    /// The module blocks of the placed directories, for suppressions.
    pub module_blocks: RefCell<Vec<crate::model::ModuleBlock>>,
    /// Directories read during this evaluation (not found by discovery):
    /// remote modules under `.terraform/modules`, ignored directories.
    pub loaded: RefCell<HashMap<PathBuf, Option<Arc<ModuleDir>>>>,
    /// Files read by `file()` and `templatefile()`, placed in the unit.
    pub read_files: RefCell<HashMap<PathBuf, Option<ReadFile>>>,
    pub instances: RefCell<Vec<Rc<Instance>>>,
    pub resources: RefCell<Vec<Resource>>,
    pub errors: RefCell<Vec<UnitError>>,
    /// Where [`Evaluator::error_once`] has reported.
    errors_at: RefCell<HashSet<Span>>,
    pub notes: RefCell<Vec<UnitError>>,
    /// `.terraform/modules/modules.json` of the root: module key to directory.
    pub modules_json: OnceCell<HashMap<String, String>>,
    /// Root variable values set outside the configuration (files, command
    /// line, environment): the winner for each name.
    pub root_inputs: HashMap<&'a str, super::vars::RootInput<'a>>,
    /// Where each `--var-file` used was placed in the unit.
    pub placed_var_files: RefCell<HashMap<usize, FileId>>,
    /// Data source resources whose bodies are filled in at the end:
    /// (position in `resources`, instance, data source instance).
    pub pending_data: RefCell<Vec<(usize, Rc<Instance>, super::module::DataInstance)>>,
    steps: Cell<u64>,
    exhausted: Cell<bool>,
    /// Instances created so far against [`MAX_UNIT_INSTANCES`].
    instances_made: Cell<usize>,
    depth: Cell<usize>,
    too_deep: Cell<bool>,
}

/// A file read by `file()`: where it was placed in the unit, and its text.
pub type ReadFile = (FileId, Arc<str>);

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        for instance in self.instances.get_mut().iter() {
            instance.release();
        }
    }
}

/// Where an expression is evaluated.
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    /// The module instance whose names are visible; `None` in variable files
    /// and command-line values, which may not refer to anything.
    pub instance: Option<&'s Rc<Instance>>,
    /// Where the expression's directory's files start in the unit.
    pub base: FileId,
    /// `count.index` or `each.key`/`each.value`.
    pub binding: &'s Binding,
    /// Names bound by `for` expressions, `dynamic` blocks and `templatefile`.
    pub symbols: Option<&'s Symbol<'s>>,
}

pub struct Symbol<'s> {
    pub name: &'s str,
    pub value: &'s Node,
    /// Provenance step added when the value is used (a `dynamic` block's
    /// iterator); `None` for `for` expression variables.
    pub label: Option<&'s str>,
    pub parent: Option<&'s Symbol<'s>>,
}

static NO_BINDING: Binding = Binding::None;

impl<'s> Scope<'s> {
    pub fn module(instance: &'s Rc<Instance>) -> Scope<'s> {
        Scope {
            instance: Some(instance),
            base: instance.base,
            binding: &NO_BINDING,
            symbols: None,
        }
    }

    /// A scope where nothing may be referred to (variable files).
    pub fn detached(base: FileId) -> Scope<'static> {
        Scope {
            instance: None,
            base,
            binding: &NO_BINDING,
            symbols: None,
        }
    }

    pub fn with_binding<'b>(&self, binding: &'b Binding) -> Scope<'b>
    where
        's: 'b,
    {
        Scope { binding, ..*self }
    }

    pub fn span(&self, at: super::syntax::At) -> Span {
        at.in_unit(self.base)
    }

    fn symbol(&self, name: &str) -> Option<&'s Symbol<'s>> {
        let mut current = self.symbols;
        while let Some(symbol) = current {
            if symbol.name == name {
                return Some(symbol);
            }
            current = symbol.parent;
        }
        None
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(library: &'a Library, root_dir: Option<PathBuf>) -> Self {
        Evaluator {
            library,
            root_dir,
            files: RefCell::new(Vec::new()),
            placed: RefCell::new(HashMap::new()),
            module_blocks: RefCell::new(Vec::new()),
            loaded: RefCell::new(HashMap::new()),
            read_files: RefCell::new(HashMap::new()),
            instances: RefCell::new(Vec::new()),
            resources: RefCell::new(Vec::new()),
            errors: RefCell::new(Vec::new()),
            errors_at: RefCell::new(HashSet::new()),
            notes: RefCell::new(Vec::new()),
            modules_json: OnceCell::new(),
            root_inputs: HashMap::new(),
            placed_var_files: RefCell::new(HashMap::new()),
            pending_data: RefCell::new(Vec::new()),
            steps: Cell::new(0),
            exhausted: Cell::new(false),
            instances_made: Cell::new(0),
            depth: Cell::new(0),
            too_deep: Cell::new(false),
        }
    }

    pub fn error(&self, span: Span, message: String) {
        self.errors.borrow_mut().push(UnitError {
            file: span.file,
            span: Some(span),
            message,
        });
    }

    /// An error at `span` that a module instantiated several times reports
    /// once (the first message at a span wins).
    pub fn error_once(&self, span: Span, message: String) {
        if self.errors_at.borrow_mut().insert(span) {
            self.error(span, message);
        }
    }

    /// A non-fatal message; a module instantiated several times says it once.
    pub fn note(&self, span: Span, message: String) {
        let mut notes = self.notes.borrow_mut();
        if !notes
            .iter()
            .any(|n| n.span == Some(span) && n.message == message)
        {
            notes.push(UnitError {
                file: span.file,
                span: Some(span),
                message,
            });
        }
    }

    /// Counts `n` steps of work; false once the unit's budget is spent (the
    /// first time, an error says so).
    pub fn tick(&self, n: u64, span: Span) -> bool {
        if self.exhausted.get() {
            return false;
        }
        let steps = self.steps.get() + n;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            self.exhausted.set(true);
            self.error(
                span,
                format!(
                    "evaluation stopped after {MAX_STEPS} steps; the rest of this module is not evaluated (values are unknown)"
                ),
            );
            return false;
        }
        true
    }

    /// Whether `n` more steps fit the budget, without spending them; when
    /// they do not, the budget is spent (an error says so) as by
    /// [`Evaluator::tick`]. For work that must be refused before it is done.
    pub fn affords(&self, n: u64, span: Span) -> bool {
        if self.steps.get().saturating_add(n) > MAX_STEPS {
            return self.tick(n, span);
        }
        !self.exhausted.get()
    }

    /// Reserves `n` instances of the unit's [`MAX_UNIT_INSTANCES`]; false
    /// (with an error at `span`, once per place) when they do not fit.
    pub fn reserve_instances(&self, n: usize, span: Span) -> bool {
        let made = self.instances_made.get() + n;
        if made > MAX_UNIT_INSTANCES {
            self.error_once(
                span,
                format!("this expansion would bring the module tree past {MAX_UNIT_INSTANCES} resource and module instances; it is not evaluated"),
            );
            return false;
        }
        self.instances_made.set(made);
        true
    }

    /// Pays for searching `value` for a key (see [`ENTRIES_PER_STEP`]).
    pub fn charge_search(&self, value: &Value, span: Span) -> bool {
        match value {
            Value::Map(entries) => self.tick(entries.len() as u64 / ENTRIES_PER_STEP, span),
            _ => true,
        }
    }

    /// A copy of `node` at the use site `span`, with `label` (where the value
    /// was set) added to the provenance of every node of the copy.
    pub fn rehome(&self, node: &Node, span: Span, label: Option<&str>) -> Node {
        // The node itself and the text copied with it (its string or its
        // keys); the children pay for themselves.
        let bytes = match &node.value {
            Value::String(s) => s.len(),
            Value::Map(entries) => entries.iter().map(|e| e.key.len()).sum(),
            _ => 0,
        };
        if !self.tick(1 + bytes as u64 / BYTES_PER_STEP, span) {
            return Node::new(unknown("evaluation limit"), span);
        }
        let mut origins = Vec::with_capacity(node.origins.len() + usize::from(label.is_some()));
        if let Some(label) = label {
            origins.push(Origin {
                span: node.span,
                label: label.to_string(),
            });
        }
        origins.extend(node.origins.iter().cloned());
        if origins.len() > MAX_ORIGINS {
            let first_set = origins.pop();
            origins.truncate(MAX_ORIGINS - 1);
            origins.extend(first_set);
        }
        let value = match &node.value {
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| self.rehome(item, span, label))
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_span: span,
                        value: self.rehome(&e.value, span, label),
                    })
                    .collect(),
            ),
            value => value.clone(),
        };
        Node {
            value,
            span,
            origins,
        }
    }

    // ----- expressions -------------------------------------------------------

    pub fn eval(&self, expr: &Expr, scope: &Scope) -> Node {
        let span = scope.span(expr.at);
        if !self.tick(1, span) {
            return Node::new(unknown("evaluation limit"), span);
        }
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            if !self.too_deep.replace(true) {
                self.error(
                    span,
                    format!("references nest more than {MAX_DEPTH} levels deep; the rest is not evaluated (values are unknown)"),
                );
            }
            return Node::new(unknown("evaluation depth"), span);
        }
        self.depth.set(depth + 1);
        let node = self.eval_expression(expr, span, scope);
        self.depth.set(depth);
        node
    }

    fn eval_expression(&self, expr: &Expr, span: Span, scope: &Scope) -> Node {
        let value = match &expr.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Number(n) => finite(*n),
            ExprKind::String(s) => Value::String(s.clone()),
            ExprKind::Invalid => failure("invalid expression"),
            ExprKind::Tuple(items) => {
                Value::List(items.iter().map(|e| self.eval(e, scope)).collect())
            }
            ExprKind::Object(items) => return self.eval_object(items, span, scope),
            ExprKind::Template(template) => return self.eval_template(template, span, scope),
            ExprKind::Name(name) => return self.resolve(name, &[], span, scope),
            ExprKind::Traversal(base, ops) => match &base.kind {
                ExprKind::Name(root) => return self.resolve(root, ops, span, scope),
                _ => {
                    let node = self.eval(base, scope);
                    return self.apply_ops(node, ops, span, scope);
                }
            },
            ExprKind::Call(call) => return self.eval_call(call, span, scope),
            ExprKind::Conditional(parts) => {
                return self.eval_conditional(&parts[0], &parts[1], &parts[2], span, scope)
            }
            ExprKind::Unary(op, operand) => {
                let operand = self.eval(operand, scope);
                return derived(unary(*op, &operand.value), span, &[&operand]);
            }
            ExprKind::Binary(op, operands) => return self.eval_binary(*op, operands, span, scope),
            ExprKind::For(f) => return self.eval_for(f, span, scope),
        };
        Node::new(value, span)
    }

    fn eval_object(&self, items: &[super::syntax::ObjectItem], span: Span, scope: &Scope) -> Node {
        let mut entries = MapBuilder::default();
        for item in items {
            let (key, key_span) = match &item.key {
                ObjectKey::Name(name, at) => (name.clone(), scope.span(*at)),
                ObjectKey::Expr(expr) => {
                    let key = self.eval(expr, scope);
                    match primitive_text(&key.value) {
                        Some(text) => (text, key.span),
                        None if key.value == Value::Null => {
                            return Node::new(failure("null object key"), span)
                        }
                        None => return Node::new(unknown("object key"), span),
                    }
                }
            };
            entries.insert(Entry {
                key,
                key_span,
                value: self.eval(&item.value, scope),
            });
        }
        Node::new(Value::Map(entries.into_entries()), span)
    }

    /// A template: one interpolation alone is its value, unconverted; else
    /// the text, with directives applied, of known primitives. Parts known
    /// only after apply leave holes in the text, and what is known stays
    /// known ([`PartialText`]).
    pub fn eval_template(&self, template: &Template, span: Span, scope: &Scope) -> Node {
        if let [Part::Interpolation(expr)] = template.parts.as_slice() {
            return self.eval(expr, scope);
        }
        let mut text = PartialText::default();
        let mut origins = Vec::new();
        match self.render(template, scope, &mut text, &mut origins) {
            Ok(()) => Node {
                value: text.into_value("template with parts known only after apply"),
                span,
                origins,
            },
            Err(value) => self.located(value, span),
        }
    }

    /// The node of a value that could not be computed; one that crossed a
    /// limit is reported at `span` (once per place).
    pub fn located(&self, value: Value, span: Span) -> Node {
        if let Some(what) = limit_crossed(&value) {
            self.error_once(
                span,
                format!("{what} would be built here; it is not evaluated (unknown)"),
            );
        }
        Node::new(value, span)
    }

    fn render(
        &self,
        template: &Template,
        scope: &Scope,
        out: &mut PartialText,
        origins: &mut Vec<Origin>,
    ) -> Result<(), Value> {
        for part in &template.parts {
            match part {
                Part::Literal(text) => out.push_text(text),
                Part::Interpolation(expr) => {
                    let node = self.eval(expr, scope);
                    match template_text(&node) {
                        Ok(text) => out.push_text(&text),
                        Err(missing) if is_after_apply(&missing) => out.append(&text_hole(&node)?),
                        Err(error) => return Err(error),
                    }
                    add_origins(origins, &node.origins);
                }
                Part::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    let condition = self.eval(condition, scope);
                    let branch = match as_bool(&condition.value) {
                        Some(true) => then,
                        Some(false) => otherwise,
                        None if condition.value.is_known() => {
                            return Err(failure("template condition is not a bool"))
                        }
                        None => match propagate(&condition.value, "template") {
                            // Either branch's text: a hole.
                            missing if is_after_apply(&missing) => {
                                out.push_hole(None);
                                continue;
                            }
                            error => return Err(error),
                        },
                    };
                    self.render(branch, scope, out, origins)?;
                }
                Part::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let collection = self.eval(collection, scope);
                    let items = match self.iterate(&collection) {
                        Ok(items) => items,
                        // Text repeated an unknown number of times: a hole.
                        Err(missing) if is_after_apply(&missing) => {
                            out.push_hole(None);
                            continue;
                        }
                        Err(error) => return Err(error),
                    };
                    for (key, value) in &items {
                        let value_symbol = Symbol {
                            name: value_var,
                            value,
                            label: None,
                            parent: scope.symbols,
                        };
                        let key_symbol;
                        let mut inner = Scope {
                            symbols: Some(&value_symbol),
                            ..*scope
                        };
                        if let Some(key_var) = key_var {
                            key_symbol = Symbol {
                                name: key_var,
                                value: key,
                                label: None,
                                parent: Some(&value_symbol),
                            };
                            inner.symbols = Some(&key_symbol);
                        }
                        self.render(body, &inner, out, origins)?;
                    }
                }
            }
            if out.known_len() > MAX_STRING_BYTES {
                return Err(over_limit(TOO_LONG));
            }
        }
        let charged = out.known_len() as u64 / 256;
        if charged > 0 && !self.tick(charged, Span::default()) {
            return Err(unknown("evaluation limit"));
        }
        Ok(())
    }

    fn eval_conditional(
        &self,
        condition: &Expr,
        then: &Expr,
        otherwise: &Expr,
        span: Span,
        scope: &Scope,
    ) -> Node {
        let test = self.eval(condition, scope);
        match as_bool(&test.value) {
            Some(true) => self.eval(then, scope),
            Some(false) => self.eval(otherwise, scope),
            None if test.value.is_known() => Node::new(failure("condition is not a bool"), span),
            None if is_failure(&test.value) => Node::new(test.value, span),
            None => {
                // Either branch may be taken: known only if both agree.
                let a = self.eval(then, scope);
                let b = self.eval(otherwise, scope);
                if same_value(&a, &b) {
                    a
                } else {
                    Node::new(
                        unknown("conditional on a value known only after apply"),
                        span,
                    )
                }
            }
        }
    }

    fn eval_binary(&self, op: Binary, operands: &[Expr; 2], span: Span, scope: &Scope) -> Node {
        let left = self.eval(&operands[0], scope);
        // `false && x` and `true || x` are decided by the left side.
        match (op, as_bool(&left.value)) {
            (Binary::And, Some(false)) => return derived(Value::Bool(false), span, &[&left]),
            (Binary::Or, Some(true)) => return derived(Value::Bool(true), span, &[&left]),
            _ => {}
        }
        let right = self.eval(&operands[1], scope);
        derived(binary(op, &left, &right), span, &[&left, &right])
    }

    fn eval_for(&self, f: &ForExpr, span: Span, scope: &Scope) -> Node {
        let collection = self.eval(&f.collection, scope);
        let items = match self.iterate(&collection) {
            Ok(items) => items,
            Err(value) => return Node::new(value, span),
        };
        let mut list = Vec::new();
        let mut map = MapBuilder::default();
        for (key, value) in &items {
            let value_symbol = Symbol {
                name: &f.value_var,
                value,
                label: None,
                parent: scope.symbols,
            };
            let key_symbol;
            let mut inner = Scope {
                symbols: Some(&value_symbol),
                ..*scope
            };
            if let Some(key_var) = &f.key_var {
                key_symbol = Symbol {
                    name: key_var,
                    value: key,
                    label: None,
                    parent: Some(&value_symbol),
                };
                inner.symbols = Some(&key_symbol);
            }
            if let Some(condition) = &f.condition {
                let keep = self.eval(condition, &inner);
                match as_bool(&keep.value) {
                    Some(true) => {}
                    Some(false) => continue,
                    None if keep.value.is_known() => {
                        return Node::new(failure("for condition is not a bool"), span)
                    }
                    // Which elements remain is not known.
                    None => return Node::new(propagate(&keep.value, "for expression"), span),
                }
            }
            let element = self.eval(&f.value, &inner);
            match &f.key {
                None => list.push(element),
                Some(key_expr) => {
                    let key = self.eval(key_expr, &inner);
                    let Some(name) = primitive_text(&key.value) else {
                        return Node::new(propagate(&key.value, "for expression key"), span);
                    };
                    match map.get_mut(&name) {
                        Some(existing) if f.grouping => {
                            if let Value::List(group) = &mut existing.value.value {
                                group.push(element);
                            }
                        }
                        Some(_) => {
                            return Node::new(failure(format!("duplicate key `{name}`")), span)
                        }
                        None => map.insert(Entry {
                            key: name,
                            key_span: key.span,
                            value: if f.grouping {
                                Node::new(Value::List(vec![element]), span)
                            } else {
                                element
                            },
                        }),
                    }
                }
            }
        }
        let value = if f.key.is_some() {
            Value::Map(map.into_entries())
        } else {
            Value::List(list)
        };
        derived(value, span, &[&collection])
    }

    fn eval_call(&self, call: &Call, span: Span, scope: &Scope) -> Node {
        let name = call.name.as_str();
        if call.namespaced {
            return Node::new(unknown(format!("function {name}")), span);
        }
        match name {
            // The first argument that evaluates without an error; unknowns
            // are not errors, so they stop the search.
            "try" => {
                for arg in &call.args {
                    let node = self.eval(arg, scope);
                    if !has_failure(&node) {
                        return node;
                    }
                }
                return Node::new(failure("no argument of try succeeded"), span);
            }
            "can" => {
                let Some(arg) = call.args.first() else {
                    return Node::new(failure("can needs an argument"), span);
                };
                let node = self.eval(arg, scope);
                let value = if has_failure(&node) {
                    Value::Bool(false)
                } else if !node.value.is_known() {
                    unknown("can of a value known only after apply")
                } else {
                    Value::Bool(true)
                };
                return Node::new(value, span);
            }
            _ => {}
        }
        let mut args: Vec<Node> = call.args.iter().map(|a| self.eval(a, scope)).collect();
        if call.expand_final {
            match args.pop() {
                Some(Node {
                    value: Value::List(items),
                    ..
                }) => args.extend(items),
                Some(other) => {
                    return Node::new(propagate(&other.value, "expanded argument"), span)
                }
                None => {}
            }
        }
        super::functions::call(self, name, args, span, scope)
    }

    // ----- references --------------------------------------------------------

    /// A reference: `root` followed by `ops` (`var.x`, `local.m["k"]`,
    /// `aws_s3_bucket.b[0].id`, or a bound symbol).
    pub fn resolve(&self, root: &str, ops: &[Operator], span: Span, scope: &Scope) -> Node {
        if let Some(symbol) = scope.symbol(root) {
            return self.read_through(symbol.value, ops, span, scope, symbol.label);
        }
        let Some(instance) = scope.instance else {
            return Node::new(
                failure(format!("`{root}` cannot be referred to here")),
                span,
            );
        };
        let attr = |i: usize| match ops.get(i) {
            Some(Operator::Attr(name)) => Some(name.as_str()),
            _ => None,
        };
        match root {
            "var" => {
                let Some(name) = attr(0) else {
                    return Node::new(failure("`var` needs a variable name"), span);
                };
                match self.variable(instance, name) {
                    Some(value) => self.read_through(
                        &value.node,
                        &ops[1..],
                        span,
                        scope,
                        value.label.as_deref(),
                    ),
                    None => Node::new(unknown(format!("var.{name}")), span),
                }
            }
            "local" => {
                let Some(name) = attr(0) else {
                    return Node::new(failure("`local` needs a name"), span);
                };
                match self.local(instance, name) {
                    Some(value) => {
                        let label = format!("local `{name}`");
                        self.read_through(&value, &ops[1..], span, scope, Some(&label))
                    }
                    None => Node::new(unknown(format!("local.{name}")), span),
                }
            }
            "module" => self.module_reference(instance, ops, span, scope),
            "each" => match (scope.binding, attr(0)) {
                (Binding::Each { key, .. }, Some("key")) => {
                    self.read_through(key, &ops[1..], span, scope, None)
                }
                (Binding::Each { value, label, .. }, Some("value")) => {
                    self.read_through(value, &ops[1..], span, scope, Some(label))
                }
                (Binding::Unknown, _) => Node::new(unknown(reference_text(root, ops)), span),
                _ => Node::new(
                    failure("`each` is only set in a resource or module with for_each"),
                    span,
                ),
            },
            "count" => match (scope.binding, attr(0)) {
                (Binding::Count(index), Some("index")) => {
                    let node = Node::new(Value::Number(*index as f64), span);
                    self.apply_ops(node, &ops[1..], span, scope)
                }
                (Binding::Unknown, _) => Node::new(unknown(reference_text(root, ops)), span),
                _ => Node::new(
                    failure("`count` is only set in a resource or module with count"),
                    span,
                ),
            },
            "path" => {
                let value = match attr(0) {
                    Some("module") => Value::String(instance.path_module.clone()),
                    Some("root") | Some("cwd") => Value::String(".".into()),
                    // Terraform refuses the configuration ("Invalid reference").
                    None if ops.is_empty() => {
                        self.error_once(
                            span,
                            "invalid reference: `path` cannot be used alone; use path.module, path.root or path.cwd".into(),
                        );
                        return Node::new(failure("invalid reference `path`"), span);
                    }
                    _ => failure("unknown path attribute"),
                };
                self.apply_ops(Node::new(value, span), &ops[1..], span, scope)
            }
            "terraform" => {
                let value = match attr(0) {
                    Some("workspace") => Value::String("default".into()),
                    _ => unknown(reference_text(root, ops)),
                };
                Node::new(value, span)
            }
            "self" => Node::new(unknown(reference_text(root, ops)), span),
            "data" => {
                let (Some(kind), Some(name)) = (attr(0), attr(1)) else {
                    return Node::new(unknown(reference_text(root, ops)), span);
                };
                self.resource_reference(instance, true, kind, name, &ops[2..], span, scope)
            }
            kind => {
                let Some(name) = attr(0) else {
                    return Node::new(unknown(reference_text(root, ops)), span);
                };
                self.resource_reference(instance, false, kind, name, &ops[1..], span, scope)
            }
        }
    }

    /// Follows `ops` into a value held elsewhere (a variable, a local, a
    /// symbol), then copies only the part reached to the use site.
    pub fn read_through(
        &self,
        value: &Node,
        ops: &[Operator],
        span: Span,
        scope: &Scope,
        label: Option<&str>,
    ) -> Node {
        let mut node = value;
        let mut consumed = 0;
        for op in ops {
            if !self.charge_search(&node.value, span) {
                return Node::new(unknown("evaluation limit"), span);
            }
            let next = match (op, &node.value) {
                (Operator::Attr(name), Value::Map(entries)) => {
                    entries.iter().find(|e| &e.key == name).map(|e| &e.value)
                }
                (Operator::LegacyIndex(i), Value::List(items)) => items.get(*i as usize),
                (Operator::Index(key), Value::List(_) | Value::Map(_)) => {
                    let key = self.eval(key, scope);
                    match select(node, &key.value) {
                        Ok(found) => Some(found),
                        Err(value) => return Node::new(value, span),
                    }
                }
                _ => break,
            };
            match next {
                Some(next) => node = next,
                None => return Node::new(failure("no such element or attribute"), span),
            }
            consumed += 1;
        }
        let copy = self.rehome(node, span, label);
        self.apply_ops(copy, &ops[consumed..], span, scope)
    }

    /// Applies traversal operators to an owned value: attribute and index
    /// access, and splats.
    pub fn apply_ops(&self, mut node: Node, ops: &[Operator], span: Span, scope: &Scope) -> Node {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            i += 1;
            match &mut node.value {
                Value::Unknown(_) => return Node::new(node.value, span),
                // Reading an attribute of a whole resource names the
                // attribute; anything further keeps the reference.
                Value::Ref(reference) => {
                    if let (Operator::Attr(name), None) = (op, &reference.attribute) {
                        reference.attribute = Some(name.clone());
                    }
                    continue;
                }
                _ => {}
            }
            if !self.charge_search(&node.value, span) {
                return Node::new(unknown("evaluation limit"), span);
            }
            node = match op {
                Operator::Attr(name) => match node.value {
                    Value::Map(entries) => match entries.into_iter().find(|e| &e.key == name) {
                        Some(entry) => entry.value,
                        None => return Node::new(failure(format!("no attribute `{name}`")), span),
                    },
                    _ => return Node::new(failure(format!("no attribute `{name}`")), span),
                },
                Operator::Index(key) => {
                    let key = self.eval(key, scope);
                    match take(node, &key.value) {
                        Ok(found) => found,
                        Err(value) => return Node::new(value, span),
                    }
                }
                Operator::LegacyIndex(index) => match take(node, &Value::Number(*index as f64)) {
                    Ok(found) => found,
                    Err(value) => return Node::new(value, span),
                },
                Operator::FullSplat | Operator::AttrSplat => {
                    // `[*]` applies everything after it to each element; `.*`
                    // only the attribute accesses that follow.
                    let end = if matches!(op, Operator::FullSplat) {
                        ops.len()
                    } else {
                        i + ops[i..]
                            .iter()
                            .take_while(|o| matches!(o, Operator::Attr(_)))
                            .count()
                    };
                    let each = &ops[i..end];
                    let items = match node.value {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        value => vec![Node {
                            value,
                            span: node.span,
                            origins: node.origins,
                        }],
                    };
                    let items = items
                        .into_iter()
                        .map(|item| {
                            let item_span = item.span;
                            self.apply_ops(item, each, item_span, scope)
                        })
                        .collect();
                    i = end;
                    Node::new(Value::List(items), span)
                }
            };
        }
        node
    }

    /// The elements to iterate over (see [`iteration`]), copies paid for.
    pub fn iterate(&self, collection: &Node) -> Result<Vec<(Node, Node)>, Value> {
        if !self.tick(cost(collection), collection.span) {
            return Err(unknown("evaluation limit"));
        }
        iteration(collection)
    }

    fn local(&self, instance: &Rc<Instance>, name: &str) -> Option<Rc<Node>> {
        let local = instance.dir.config.local(name)?;
        match instance.locals.borrow().get(name) {
            Some(Some(done)) => return Some(done.clone()),
            Some(None) => {
                let span = local.name_at.in_unit(instance.base);
                self.error(
                    span,
                    format!("local `{name}` depends on itself (a cycle between locals); it is not evaluated"),
                );
                return Some(Rc::new(Node::new(unknown("cyclic reference"), span)));
            }
            None => {}
        }
        instance.locals.borrow_mut().insert(name.to_string(), None);
        let node = Rc::new(self.eval(&local.expr, &Scope::module(instance)));
        instance
            .locals
            .borrow_mut()
            .insert(name.to_string(), Some(node.clone()));
        Some(node)
    }

    /// Reads a file inside the scan root for `file()`/`templatefile()`, and
    /// places it in the unit so that provenance can point into it.
    pub fn read_file(&self, path: &str) -> Result<ReadFile, Value> {
        let Some(root) = &self.root_dir else {
            return Err(unknown("file outside a directory"));
        };
        // Relative paths (`path.module` too) start at the root module's
        // directory, Terraform's working directory.
        let full = root.join(path);
        let Ok(canonical) = full.canonicalize() else {
            return Err(failure(format!("no such file `{path}`")));
        };
        if let Some(cached) = self.read_files.borrow().get(&canonical) {
            return cached
                .clone()
                .ok_or_else(|| unknown(format!("file `{path}`")));
        }
        let read = if self.library.is_inside_scan_root(&canonical) {
            (self.library.overlay)
                .text(&canonical, Some(self.library.scan_roots()))
                .ok()
        } else {
            None
        };
        let placed = read.map(|text| {
            let mut files = self.files.borrow_mut();
            let id = files.len() as FileId;
            files.push(SourceFile::new(
                crate::discover::display_path(&full),
                text.clone(),
            ));
            (id, text)
        });
        self.read_files
            .borrow_mut()
            .insert(canonical, placed.clone());
        placed.ok_or_else(|| {
            unknown(format!(
                "file `{path}` (outside the scan root or unreadable)"
            ))
        })
    }
}

/// The elements a `for` iterates: (index, element) for lists, (key, value)
/// in key order for maps.
pub fn iteration(collection: &Node) -> Result<Vec<(Node, Node)>, Value> {
    match &collection.value {
        Value::List(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| (Node::new(Value::Number(i as f64), item.span), item.clone()))
            .collect()),
        Value::Map(entries) => {
            let mut sorted: Vec<&Entry> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(sorted
                .into_iter()
                .map(|e| {
                    (
                        Node::new(Value::String(e.key.clone()), e.key_span),
                        e.value.clone(),
                    )
                })
                .collect())
        }
        Value::Null => Err(failure("cannot iterate over null")),
        value if value.is_known() => Err(failure("cannot iterate over a primitive value")),
        value => Err(propagate(value, "iteration")),
    }
}

/// An unknown that stands for an unknown input: failures stay failures, so
/// `try` still sees them.
pub fn propagate(value: &Value, what: &str) -> Value {
    match value {
        Value::Unknown(reason) if is_failure(value) => Value::Unknown(reason.clone()),
        Value::Null => failure(format!("null in {what}")),
        _ => unknown(what),
    }
}

/// An unknown known only after apply (not a failure, not a crossed limit):
/// one that leaves a hole in a text rather than spoiling all of it.
fn is_after_apply(value: &Value) -> bool {
    matches!(value, Value::Unknown(u) if u.kind == crate::value::UnknownKind::AfterApply)
}

/// An interpolated value as text. A structure kept from `jsonencode` is
/// written as JSON (a real object in a template is an error in Terraform).
fn template_text(node: &Node) -> Result<String, Value> {
    if let Some(text) = primitive_text(&node.value) {
        return Ok(text);
    }
    match &node.value {
        Value::Null => Err(failure("null in a template")),
        Value::List(_) | Value::Map(_) => match first_unknown(node) {
            Some(value) => Err(propagate(value, "template")),
            None => json_text(node).ok_or_else(|| unknown("template")),
        },
        value => Err(propagate(value, "template")),
    }
}

/// The element an index selects, by reference.
fn select<'n>(node: &'n Node, key: &Value) -> Result<&'n Node, Value> {
    match (&node.value, key) {
        (_, key) if !key.is_known() => Err(propagate(key, "index")),
        (Value::List(items), key) => {
            let index = as_number(key).filter(|n| *n >= 0.0 && n.fract() == 0.0);
            index
                .and_then(|i| items.get(i as usize))
                .ok_or_else(|| failure("index out of range"))
        }
        (Value::Map(entries), key) => {
            let name = primitive_text(key).ok_or_else(|| failure("invalid map key"))?;
            entries
                .iter()
                .find(|e| e.key == name)
                .map(|e| &e.value)
                .ok_or_else(|| failure(format!("no key `{name}`")))
        }
        _ => Err(failure("cannot index this value")),
    }
}

/// The element an index selects, moved out of an owned value.
fn take(node: Node, key: &Value) -> Result<Node, Value> {
    if !key.is_known() {
        return Err(propagate(key, "index"));
    }
    match node.value {
        Value::List(items) => {
            let index = as_number(key).filter(|n| *n >= 0.0 && n.fract() == 0.0);
            index
                .and_then(|i| items.into_iter().nth(i as usize))
                .ok_or_else(|| failure("index out of range"))
        }
        Value::Map(entries) => {
            let name = primitive_text(key).ok_or_else(|| failure("invalid map key"))?;
            entries
                .into_iter()
                .find(|e| e.key == name)
                .map(|e| e.value)
                .ok_or_else(|| failure(format!("no key `{name}`")))
        }
        _ => Err(failure("cannot index this value")),
    }
}

fn unary(op: Unary, value: &Value) -> Value {
    if !value.is_known() {
        return propagate(value, "operation");
    }
    match op {
        Unary::Neg => as_number(value).map_or_else(
            || failure("negation of a non-number"),
            |n| Value::Number(-n),
        ),
        Unary::Not => {
            as_bool(value).map_or_else(|| failure("`!` of a non-bool"), |b| Value::Bool(!b))
        }
    }
}

fn binary(op: Binary, left: &Node, right: &Node) -> Value {
    match op {
        Binary::Eq | Binary::NotEq => {
            // Equality of structures needs every part known.
            if let Some(value) = first_unknown(left).or_else(|| first_unknown(right)) {
                return propagate(value, "comparison");
            }
            let equal = loose_equal(left, right);
            Value::Bool(equal == (op == Binary::Eq))
        }
        Binary::And | Binary::Or => {
            for side in [left, right] {
                if !side.value.is_known() {
                    return propagate(&side.value, "operation");
                }
            }
            match (as_bool(&left.value), as_bool(&right.value)) {
                (Some(a), Some(b)) => Value::Bool(if op == Binary::And { a && b } else { a || b }),
                _ => failure("logical operator on a non-bool"),
            }
        }
        _ => {
            for side in [left, right] {
                if !side.value.is_known() {
                    return propagate(&side.value, "operation");
                }
            }
            let (Some(a), Some(b)) = (as_number(&left.value), as_number(&right.value)) else {
                return failure("arithmetic on a non-number");
            };
            match op {
                Binary::Add => finite(a + b),
                Binary::Sub => finite(a - b),
                Binary::Mul => finite(a * b),
                Binary::Div if b == 0.0 => failure("division by zero"),
                Binary::Div => finite(a / b),
                Binary::Mod if b == 0.0 => failure("modulo by zero"),
                Binary::Mod => Value::Number(a % b),
                Binary::Less => Value::Bool(a < b),
                Binary::LessEq => Value::Bool(a <= b),
                Binary::Greater => Value::Bool(a > b),
                Binary::GreaterEq => Value::Bool(a >= b),
                Binary::Eq | Binary::NotEq | Binary::And | Binary::Or => unreachable!(),
            }
        }
    }
}

/// A number, or a failure when it overflowed: Terraform's numbers are
/// arbitrary-precision, so an infinity here means a value no provider takes.
fn finite(number: f64) -> Value {
    if number.is_finite() {
        Value::Number(number)
    } else {
        failure("number out of range")
    }
}

/// `==` as Terraform decides it: values of different types differ, except
/// that numbers compare by value.
fn loose_equal(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => same_value(a, b),
    }
}

/// `var.x`, `each.value.name`, `count.index` as text, for unknown reasons.
pub fn reference_text(root: &str, ops: &[Operator]) -> String {
    let mut text = root.to_string();
    for op in ops {
        match op {
            Operator::Attr(name) => {
                text.push('.');
                text.push_str(name);
            }
            Operator::Index(e) => match &e.kind {
                ExprKind::Number(n) => text.push_str(&format!("[{}]", format_number(*n))),
                ExprKind::String(s) => text.push_str(&format!("[{s:?}]")),
                _ => text.push_str("[...]"),
            },
            Operator::LegacyIndex(i) => text.push_str(&format!(".{i}")),
            Operator::AttrSplat => text.push_str(".*"),
            Operator::FullSplat => text.push_str("[*]"),
        }
    }
    text
}
