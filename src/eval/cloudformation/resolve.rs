//! A template's values as CloudFormation resolves them at deploy time:
//! parameters (given values, then defaults), pseudo parameters, `Mappings`,
//! `Conditions` and every intrinsic function.
//!
//! What cannot be known before deployment stays unknown and propagates, but
//! known text stays known: an `Fn::Sub` or `Fn::Join` with an unknown part is
//! an unknown string keeping the text around it ([`PartialText`], as in
//! Terraform templates), and `Fn::Select` with a known index picks its element
//! even when other elements are unknown. `Ref` and
//! `Fn::GetAtt` to a resource are [`Value::Ref`]: unknown as values, but links
//! for companion resources.
//!
//! A value that reaches its use through a parameter, a mapping or a branch of
//! `Fn::If` keeps the span of its use (where the intrinsic is written) and
//! lists where it was set in its `origins`, nearest first.
//!
//! Unknown by design: pseudo parameters not given on the command line,
//! parameters without a value, SSM parameter types and `{{resolve:...}}`
//! dynamic references, `Fn::GetAZs`, `Fn::ImportValue`, resource attributes.
//! Not evaluated: macros (`Fn::Transform`, a note). `Fn::ForEach` loops in
//! `Resources` are expanded beforehand (`foreach`); one whose collection is
//! unknown leaves a note, and names it would define are not reported as
//! undefined.

use super::intrinsics::{self, SubPart};
use super::params::{Overrides, Source};
use crate::model::UnitError;
use crate::source::Span;
use crate::value::{format_number, Entry, Node, Origin, PartialText, Piece, Reference, Value};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use std::collections::{HashMap, HashSet};

/// Work allowed per template, in steps: one per node resolved or copied
/// (a parameter's value at each use, a mapping entry), one per 64 bytes of
/// text built. Past it the rest is unknown and the template gets an error,
/// so no input can make evaluation hang or exhaust memory. CloudFormation
/// takes templates of at most 1 MB, far fewer nodes than this.
pub(super) const MAX_STEPS: usize = 1_000_000;

/// How deep conditions may refer to conditions (real templates: a handful).
const MAX_CONDITION_DEPTH: usize = 64;

/// The pseudo parameters; `AWS::NoValue` is handled apart (it removes the
/// property that holds it).
pub(super) const PSEUDO_PARAMETERS: [&str; 7] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

pub(super) struct Resolver<'d> {
    /// The template's text, where the unknown parts of an `Fn::Sub` are
    /// looked up so that a JSON document built by it can be read in place.
    source: &'d str,
    resources: HashSet<&'d str>,
    /// Resources `Fn::ForEach` loops make.
    generated: HashSet<String>,
    /// SAM templates: the logical IDs of SAM resources. Names SAM derives
    /// from them (`FnRole`, `Fn.Alias`) and its implicit APIs
    /// (`ServerlessRestApi`) are valid targets of `Ref` and `Fn::GetAtt`.
    sam_ids: Option<Vec<&'d str>>,
    /// The template has `Fn::ForEach` loops in `Resources`: names one
    /// that could not be expanded would define are not reported as
    /// undefined.
    loops: bool,
    parameters: HashMap<String, Param>,
    mappings: Option<&'d Node>,
    conditions: HashMap<&'d str, &'d Node>,
    /// Evaluated conditions; `None` while one is being evaluated (a cycle).
    memo: HashMap<String, Option<Option<bool>>>,
    pub(super) errors: Vec<UnitError>,
    /// What is worth knowing but does not stop the scan (a value outside a
    /// parameter's `AllowedValues`, a macro not run).
    pub(super) notes: Vec<UnitError>,
    steps: usize,
    /// Named conditions being evaluated, innermost last.
    condition_depth: usize,
}

/// What `Ref` to a parameter (or pseudo parameter) yields.
struct Param {
    /// The typed value, with the spans where it was written; or why it is unknown.
    value: Result<Node, String>,
    /// The provenance label (`default of parameter `Cidr``).
    label: String,
    at: OriginAt,
    /// Nodes in the value: what each use of it costs.
    size: usize,
}

/// Where a parameter value was set, for its origin.
#[derive(Clone, Copy)]
enum OriginAt {
    /// The value's own spans (a default, a parameters file).
    Value,
    /// One place: the parameter's declaration (a command-line value).
    Fixed(Span),
    /// The use site itself (a command-line pseudo parameter: declared nowhere).
    Use,
}

impl<'d> Resolver<'d> {
    pub(super) fn new(doc: &'d Node, source: &'d str, overrides: Overrides, sam: bool) -> Self {
        let section = |name: &str| match doc.get(name).map(|n| &n.value) {
            Some(Value::Map(entries)) => entries.as_slice(),
            _ => &[],
        };
        let resources = section("Resources")
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        let sam_ids = sam.then(|| {
            section("Resources")
                .iter()
                .filter(|e| {
                    e.value
                        .get("Type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| t.starts_with("AWS::Serverless::"))
                })
                .map(|e| e.key.as_str())
                .collect()
        });
        let mut errors = Vec::new();
        let mut notes = Vec::new();
        let mut parameters = HashMap::new();
        for entry in section("Parameters") {
            let param = declared_parameter(entry, &overrides, &mut errors);
            if let Some(note) = outside_allowed_values(entry, &param) {
                notes.push(note);
            }
            parameters.insert(entry.key.clone(), param);
        }
        pseudo_parameters(&overrides, &mut parameters);
        Resolver {
            source,
            loops: doc.get("Resources").is_some_and(has_loop),
            resources,
            generated: HashSet::new(),
            sam_ids,
            parameters,
            mappings: doc.get("Mappings"),
            conditions: section("Conditions")
                .iter()
                .map(|e| (e.key.as_str(), &e.value))
                .collect(),
            memo: HashMap::new(),
            errors,
            notes,
            steps: 0,
            condition_depth: 0,
        }
    }

    pub(super) fn error(&mut self, span: Span, message: String) {
        self.errors.push(UnitError {
            file: span.file,
            span: Some(span),
            message,
        });
    }

    /// A reference to a name the template does not define: an error, as
    /// CloudFormation rejects it; except beside `Fn::ForEach` loops, which
    /// are not expanded and may define it.
    fn undefined(&mut self, span: Span, message: String) {
        if !self.loops {
            self.error(span, message);
        }
    }

    /// Counts one step; false once the budget is spent.
    fn step(&mut self, span: Span) -> bool {
        self.charge(1, span)
    }

    /// Counts `cost` steps; false once the budget is spent (reported once).
    fn charge(&mut self, cost: usize, span: Span) -> bool {
        let before = self.steps;
        self.steps = self.steps.saturating_add(cost);
        if before < MAX_STEPS && self.steps >= MAX_STEPS {
            self.error(
                span,
                format!("evaluation stopped after {MAX_STEPS} steps; the rest is unknown"),
            );
        }
        self.steps < MAX_STEPS
    }

    /// Whether `name` is a resource of the template (or, in a SAM template,
    /// one SAM generates).
    pub(super) fn is_resource(&self, name: &str) -> bool {
        self.resources.contains(name)
            || self.generated.contains(name)
            || self.sam_ids.as_ref().is_some_and(|ids| {
                name.starts_with("Serverless")
                    || name.starts_with("ApiGatewayDomainName")
                    || ids.iter().any(|id| name.starts_with(id))
            })
    }

    /// Declares a resource an `Fn::ForEach` loop makes.
    pub(super) fn add_resource(&mut self, name: String) {
        self.generated.insert(name);
    }

    /// The node with its intrinsic functions resolved; `None` when it is
    /// `AWS::NoValue` (the property is absent). Depth is bounded by the
    /// parsers' nesting limit.
    pub(super) fn resolve(&mut self, node: &Node) -> Option<Node> {
        if !self.step(node.span) {
            return Some(unknown(node.span, "evaluation limit"));
        }
        let value = match &node.value {
            Value::Map(entries) if entries.len() == 1 && is_intrinsic(&entries[0]) => {
                return self.intrinsic(&entries[0], node.span);
            }
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .filter_map(|e| {
                        Some(Entry {
                            key: e.key.clone(),
                            key_span: e.key_span,
                            value: self.resolve(&e.value)?,
                        })
                    })
                    .collect(),
            ),
            Value::List(items) => {
                Value::List(items.iter().filter_map(|n| self.resolve(n)).collect())
            }
            // A dynamic reference is read from SSM or Secrets Manager at deploy.
            Value::String(s) if s.contains("{{resolve:") => {
                Value::Unknown("dynamic reference".into())
            }
            value => value.clone(),
        };
        Some(Node {
            value,
            span: node.span,
            origins: node.origins.clone(),
        })
    }

    /// One intrinsic function call; the result takes the call's span.
    fn intrinsic(&mut self, call: &Entry, span: Span) -> Option<Node> {
        let args = &call.value;
        let value = match call.key.as_str() {
            "Ref" => match args.as_str() {
                Some(name) => return self.reference(name, span),
                None => {
                    self.error(
                        span,
                        "`Ref` takes the name of a parameter or resource".into(),
                    );
                    Value::Unknown("Ref".into())
                }
            },
            "Fn::GetAtt" => return Some(self.get_att(args, span)),
            "Fn::Sub" => return Some(self.sub(args, span)),
            "Fn::Join" => return Some(self.join(args, span)),
            "Fn::Select" => return self.select(args, span),
            "Fn::Split" => return Some(self.split(args, span)),
            "Fn::FindInMap" => return self.find_in_map(args, span),
            "Fn::If" => return self.fn_if(args, span),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => {
                let wrapper = Node::new(Value::Map(vec![call.clone()]), span);
                match self.condition_expr(&wrapper) {
                    Some(b) => Value::Bool(b),
                    None => Value::Unknown(format!("{} not known before deploy", call.key).into()),
                }
            }
            "Fn::Base64" => return Some(self.base64(args, span)),
            "Fn::Cidr" => return Some(self.cidr(args, span)),
            "Fn::Length" => return Some(self.length(args, span)),
            "Fn::ToJsonString" => return Some(self.json_string(args, span)),
            // Known only in the deployed account: resolved for their errors.
            "Fn::GetAZs" | "Fn::ImportValue" => {
                self.resolve(args);
                Value::Unknown(call.key.clone().into())
            }
            // Macros (`Fn::Transform`, e.g. `AWS::Include`) run in the
            // deploying account: not evaluated.
            "Fn::Transform" => {
                self.notes.push(UnitError {
                    file: span.file,
                    span: Some(span),
                    message: "`Fn::Transform` (a macro) is not run; its result is unknown".into(),
                });
                Value::Unknown(call.key.clone().into())
            }
            other => Value::Unknown(other.to_string().into()),
        };
        Some(Node::new(value, span))
    }

    // ----- Ref, parameters, GetAtt -------------------------------------------------

    /// `Ref`: a parameter's value, a resource (a link), a pseudo parameter;
    /// `None` for `AWS::NoValue`. A name that is none of these is an error.
    pub(super) fn reference(&mut self, name: &str, span: Span) -> Option<Node> {
        if name == "AWS::NoValue" {
            return None;
        }
        if let Some(size) = self.parameters.get(name).map(|p| p.size) {
            if !self.charge(size, span) {
                return Some(unknown(span, "evaluation limit"));
            }
            let param = &self.parameters[name];
            return Some(match &param.value {
                Ok(value) => import(value, span, &param.label, param.at),
                Err(reason) => unknown(span, reason),
            });
        }
        if self.is_resource(name) {
            return Some(ref_node(name, None, span));
        }
        if PSEUDO_PARAMETERS.contains(&name) {
            return Some(unknown(span, &format!("pseudo parameter {name}")));
        }
        self.undefined(
            span,
            format!("`Ref` to `{name}`, which is not a parameter, resource or pseudo parameter of this template"),
        );
        Some(unknown(span, &format!("undefined {name}")))
    }

    /// `Fn::GetAtt`: `[Resource, Attribute]` or `"Resource.Attribute"`; the
    /// attribute may itself be an intrinsic (`!Ref AttrName`).
    fn get_att(&mut self, args: &Node, span: Span) -> Node {
        let parts = match &args.value {
            Value::String(text) => text
                .split_once('.')
                .map(|(a, b)| (a.to_string(), Some(b.to_string()))),
            Value::List(items) if items.len() == 2 => {
                let attribute = self.resolve(&items[1]).and_then(|n| n.value.scalar_text());
                items[0].as_str().map(|a| (a.to_string(), attribute))
            }
            _ => None,
        };
        let Some((target, attribute)) = parts else {
            self.error(span, "`Fn::GetAtt` takes [resource, attribute]".into());
            return unknown(span, "Fn::GetAtt");
        };
        if !self.is_resource(&target) {
            self.undefined(
                span,
                format!(
                    "`Fn::GetAtt` refers to `{target}`, which is not a resource of this template"
                ),
            );
            return unknown(span, &format!("undefined {target}"));
        }
        ref_node(&target, Some(attribute.unwrap_or_else(|| "?".into())), span)
    }

    // ----- Conditions ---------------------------------------------------------------

    /// A named condition: `Some(true|false)` when it can be decided from the
    /// parameter values, `None` when not (or when it is undefined or cyclic,
    /// which are errors).
    pub(super) fn condition(&mut self, name: &str, span: Span) -> Option<bool> {
        match self.memo.get(name) {
            Some(Some(result)) => return *result,
            Some(None) => {
                self.error(span, format!("condition `{name}` depends on itself"));
                return None;
            }
            None => {}
        }
        let Some(definition) = self.conditions.get(name).copied() else {
            self.error(
                span,
                format!("condition `{name}` is not defined in `Conditions`"),
            );
            return None;
        };
        if self.condition_depth >= MAX_CONDITION_DEPTH {
            self.error(
                span,
                format!(
                    "conditions refer to conditions more than {MAX_CONDITION_DEPTH} levels deep"
                ),
            );
            return None;
        }
        self.memo.insert(name.to_string(), None);
        self.condition_depth += 1;
        let result = self.condition_expr(definition);
        self.condition_depth -= 1;
        self.memo.insert(name.to_string(), Some(result));
        result
    }

    /// A condition function: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`,
    /// `Condition`. Three-valued: false wins an `And`, true wins an `Or`.
    fn condition_expr(&mut self, node: &Node) -> Option<bool> {
        if !self.step(node.span) {
            return None;
        }
        let call = match &node.value {
            Value::Map(entries) if entries.len() == 1 => &entries[0],
            Value::Bool(b) => return Some(*b),
            Value::String(s) if s == "true" || s == "false" => return Some(s == "true"),
            _ => {
                self.error(node.span, "expected a condition function".into());
                return None;
            }
        };
        let operands = match &call.value.value {
            Value::List(items) => items.as_slice(),
            _ => std::slice::from_ref(&call.value),
        };
        match call.key.as_str() {
            "Condition" => match call.value.as_str() {
                Some(name) => self.condition(name, call.value.span),
                None => None,
            },
            "Fn::Equals" => {
                let [a, b] = operands else {
                    self.error(node.span, "`Fn::Equals` takes two values".into());
                    return None;
                };
                let (a, b) = (self.resolve(a)?, self.resolve(b)?);
                same_value(&a.value, &b.value)
            }
            "Fn::Not" => {
                let [operand] = operands else {
                    self.error(node.span, "`Fn::Not` takes one condition".into());
                    return None;
                };
                self.condition_expr(operand).map(|b| !b)
            }
            "Fn::And" | "Fn::Or" => {
                let is_and = call.key == "Fn::And";
                let mut undecided = false;
                let mut decided = false;
                for operand in operands {
                    match self.condition_expr(operand) {
                        Some(b) if b != is_and => decided = true,
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                match (decided, undecided) {
                    (true, _) => Some(!is_and),
                    (false, true) => None,
                    (false, false) => Some(is_and),
                }
            }
            _ => {
                let value = self.resolve(node)?;
                match value.value {
                    Value::Bool(b) => Some(b),
                    _ => None,
                }
            }
        }
    }

    /// `Fn::If: [condition, if_true, if_false]`. The chosen branch is the
    /// value (NoValue removes the property); with an undecided condition the
    /// value is known only when both branches agree.
    fn fn_if(&mut self, args: &Node, span: Span) -> Option<Node> {
        let (name, yes, no) = match &args.value {
            Value::List(items) if items.len() == 3 => match items[0].as_str() {
                Some(name) => (name, &items[1], &items[2]),
                None => {
                    self.error(span, "`Fn::If` takes a condition name first".into());
                    return Some(unknown(span, "Fn::If"));
                }
            },
            _ => {
                self.error(
                    span,
                    "`Fn::If` takes [condition, value if true, value if false]".into(),
                );
                return Some(unknown(span, "Fn::If"));
            }
        };
        let condition_span = match &args.value {
            Value::List(items) => items[0].span,
            _ => span,
        };
        match self.condition(name, condition_span) {
            Some(truth) => {
                let branch = if truth { yes } else { no };
                let mut node = self.resolve(branch)?;
                let origin = Origin {
                    span: branch.span,
                    label: format!(
                        "{} branch of `Fn::If` on condition `{name}`",
                        if truth { "true" } else { "false" }
                    ),
                };
                prepend_origin(&mut node, &origin);
                node.span = span;
                Some(node)
            }
            None => {
                let (a, b) = (self.resolve(yes), self.resolve(no));
                match (a, b) {
                    (None, None) => None,
                    (Some(mut a), Some(b)) if same_value(&a.value, &b.value) == Some(true) => {
                        a.span = span;
                        Some(a)
                    }
                    _ => Some(unknown(
                        span,
                        &format!("Fn::If on condition {name}, not known before deploy"),
                    )),
                }
            }
        }
    }

    // ----- String and list functions ---------------------------------------------

    /// `Fn::Sub`: `"text ${Name}"` or `["text ${Var}", {Var: value}]`.
    /// Variables known only at deploy leave holes in the text, and the text
    /// around them stays known ([`PartialText`]).
    fn sub(&mut self, args: &Node, span: Span) -> Node {
        let (template_node, vars) = match &args.value {
            Value::String(_) => (args, &[][..]),
            Value::List(items) if items.len() == 2 => match (&items[0].value, &items[1].value) {
                (Value::String(_), Value::Map(vars)) => (&items[0], vars.as_slice()),
                _ => {
                    self.error(
                        span,
                        "`Fn::Sub` takes a string or [string, {variables}]".into(),
                    );
                    return unknown(span, "Fn::Sub");
                }
            },
            _ => {
                self.error(
                    span,
                    "`Fn::Sub` takes a string or [string, {variables}]".into(),
                );
                return unknown(span, "Fn::Sub");
            }
        };
        let template = template_node.as_str().unwrap_or_default();
        let parts = intrinsics::sub_parts(template);
        let mut values = Vec::new();
        for part in &parts {
            if let SubPart::Var(name) = part {
                let value = match vars.iter().find(|v| v.key == *name) {
                    Some(var) => self.resolve(&var.value),
                    None => self.sub_variable(name, span),
                };
                values.push(value);
            }
        }
        // `!Sub "${Bucket}"` is `!Ref Bucket`: keep the link.
        if let ([SubPart::Var(_)], [Some(node)]) = (parts.as_slice(), values.as_slice()) {
            if matches!(node.value, Value::Ref(_)) {
                let mut node = node.clone();
                node.span = span;
                return node;
            }
        }
        let mut places = self.sub_places(template_node, &parts).into_iter();
        let mut text = PartialText::default();
        let mut origins = Vec::new();
        let mut values = values.into_iter();
        for part in &parts {
            match part {
                SubPart::Text(t) => text.push_text(t),
                SubPart::Var(_) => {
                    let Some(Some(node)) = values.next() else {
                        return unknown(span, "Fn::Sub");
                    };
                    if !push_text(&mut text, &node, places.next().flatten()) {
                        return unknown(span, "Fn::Sub");
                    }
                    extend_origins(&mut origins, &node.origins);
                }
            }
        }
        if !self.charge(text.known_len() / 64, span) {
            return unknown(span, "evaluation limit");
        }
        Node {
            value: text.into_value("Fn::Sub"),
            span,
            origins,
        }
    }

    /// Where each variable of an `Fn::Sub` template is named in the
    /// template's text (the span of `Name` in `${Name}`), so a hole it leaves
    /// can be found there; all `None` when the text does not name the same
    /// variables (a template `Fn::ForEach` rewrote, one built by SAM).
    fn sub_places(&self, template: &Node, parts: &[SubPart]) -> Vec<Option<Span>> {
        let names = parts.iter().filter_map(|p| match p {
            SubPart::Var(name) => Some(*name),
            SubPart::Text(_) => None,
        });
        let at = template.span;
        let written = match self.source.get(at.start as usize..at.end as usize) {
            Some(raw) if at.file == 0 => intrinsics::sub_variables(raw),
            _ => Vec::new(),
        };
        if !written.iter().map(|(name, _)| *name).eq(names.clone()) {
            return names.map(|_| None).collect();
        }
        written
            .into_iter()
            .map(|(_, range)| {
                Some(Span {
                    start: at.start + range.start as u32,
                    end: at.start + range.end as u32,
                    ..at
                })
            })
            .collect()
    }

    /// A `${Name}` of `Fn::Sub` not given in its variable map: a parameter,
    /// resource or pseudo parameter, or `${Resource.Attribute}`.
    fn sub_variable(&mut self, name: &str, span: Span) -> Option<Node> {
        if !self.parameters.contains_key(name) && !name.starts_with("AWS::") {
            if let Some((target, attribute)) = name.split_once('.') {
                if self.is_resource(target) {
                    return Some(ref_node(target, Some(attribute.to_string()), span));
                }
                self.undefined(
                    span,
                    format!("`Fn::Sub` variable `${{{name}}}` refers to `{target}`, which is not a resource of this template"),
                );
                return Some(unknown(span, &format!("undefined {target}")));
            }
        }
        self.reference(name, span)
    }

    /// `Fn::Join: [delimiter, [values]]`. Elements known only at deploy
    /// leave holes in the text, and the rest stays known ([`PartialText`]).
    fn join(&mut self, args: &Node, span: Span) -> Node {
        let Value::List(items) = &args.value else {
            self.error(span, "`Fn::Join` takes [delimiter, [values]]".into());
            return unknown(span, "Fn::Join");
        };
        let [delimiter, list] = items.as_slice() else {
            self.error(span, "`Fn::Join` takes [delimiter, [values]]".into());
            return unknown(span, "Fn::Join");
        };
        let delimiter = self.resolve(delimiter);
        let list = self.resolve(list);
        let (Some(delimiter), Some(list)) = (delimiter, list) else {
            return unknown(span, "Fn::Join");
        };
        let (Value::String(delimiter), Value::List(parts)) = (&delimiter.value, &list.value) else {
            return unknown(span, "Fn::Join");
        };
        let mut text = PartialText::default();
        let mut origins = list.origins.clone();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                text.push_text(delimiter);
            }
            if !push_text(&mut text, part, Some(part.span)) {
                return unknown(span, "Fn::Join");
            }
            extend_origins(&mut origins, &part.origins);
        }
        if !self.charge(text.known_len() / 64, span) {
            return unknown(span, "evaluation limit");
        }
        Node {
            value: text.into_value("Fn::Join"),
            span,
            origins,
        }
    }

    /// `Fn::Select: [index, list]`: the element, even when others are
    /// unknown. Over `Fn::Split` of text known in part, the elements the
    /// known text settles ([`split_element`]).
    fn select(&mut self, args: &Node, span: Span) -> Option<Node> {
        let Value::List(items) = &args.value else {
            self.error(span, "`Fn::Select` takes [index, list]".into());
            return Some(unknown(span, "Fn::Select"));
        };
        let [index, list] = items.as_slice() else {
            self.error(span, "`Fn::Select` takes [index, list]".into());
            return Some(unknown(span, "Fn::Select"));
        };
        let index = self.resolve(index).and_then(|n| n.value.as_number());
        let list = match list.get("Fn::Split").filter(|_| list_is_call(list)) {
            Some(split) => match self.split_of(split, list.span) {
                Split::Known(list) => Some(list),
                Split::Partial(delimiter, text, origins) => {
                    let value = match index {
                        Some(i) if i >= 0.0 && i.fract() == 0.0 => {
                            split_element(&text, &delimiter, i as usize)
                        }
                        _ => Value::Unknown("Fn::Select".into()),
                    };
                    return Some(Node {
                        value,
                        span,
                        origins,
                    });
                }
                Split::Unknown => None,
            },
            None => self.resolve(list),
        };
        let (Some(index), Some(list)) = (index, list) else {
            return Some(unknown(span, "Fn::Select"));
        };
        let Value::List(elements) = &list.value else {
            return Some(unknown(span, "Fn::Select"));
        };
        if index < 0.0 || index.fract() != 0.0 || index as usize >= elements.len() {
            self.error(
                span,
                format!(
                    "`Fn::Select` index {} is outside the list of {} elements",
                    format_number(index),
                    elements.len()
                ),
            );
            return Some(unknown(span, "Fn::Select"));
        }
        if !self.charge(node_count(&elements[index as usize]), span) {
            return Some(unknown(span, "evaluation limit"));
        }
        let mut element = elements[index as usize].clone();
        element.span = span;
        Some(element)
    }

    /// `Fn::Split: [delimiter, text]`: a list when the text is known, else
    /// unknown (a hole may hold any number of delimiters, so not even the
    /// length is known).
    fn split(&mut self, args: &Node, span: Span) -> Node {
        match self.split_of(args, span) {
            Split::Known(list) => list,
            Split::Partial(..) | Split::Unknown => unknown(span, "Fn::Split"),
        }
    }

    fn split_of(&mut self, args: &Node, span: Span) -> Split {
        let pair = match &args.value {
            Value::List(items) if items.len() == 2 => {
                let delimiter = self.resolve(&items[0]);
                let source = self.resolve(&items[1]);
                delimiter.zip(source)
            }
            _ => {
                self.error(span, "`Fn::Split` takes [delimiter, text]".into());
                None
            }
        };
        let Some((delimiter, source)) = pair else {
            return Split::Unknown;
        };
        let d = match &delimiter.value {
            Value::String(d) if !d.is_empty() => d.as_str(),
            _ => return Split::Unknown,
        };
        if let Some(text) = source.value.partial_text() {
            return Split::Partial(d.to_string(), text.clone(), source.origins);
        }
        match source.value.scalar_text() {
            Some(text) if self.charge(text.matches(d).count() + 1, span) => {
                Split::Known(Node::new(
                    Value::List(
                        text.split(d)
                            .map(|piece| Node {
                                value: Value::String(piece.to_string()),
                                span,
                                origins: source.origins.clone(),
                            })
                            .collect(),
                    ),
                    span,
                ))
            }
            _ => Split::Unknown,
        }
    }

    /// `Fn::FindInMap: [Map, TopKey, SecondKey]`, with the LanguageExtensions
    /// transform's optional fourth element `{DefaultValue: value}`.
    fn find_in_map(&mut self, args: &Node, span: Span) -> Option<Node> {
        let items = match &args.value {
            Value::List(items) if items.len() == 3 || items.len() == 4 => items,
            _ => {
                self.error(
                    span,
                    "`Fn::FindInMap` takes [map, top-level key, second-level key]".into(),
                );
                return Some(unknown(span, "Fn::FindInMap"));
            }
        };
        let default = items.get(3).and_then(|options| options.get("DefaultValue"));
        let mut keys = Vec::new();
        let mut key_origins = Vec::new();
        for item in &items[..3] {
            let resolved = self.resolve(item);
            match resolved.as_ref().and_then(|n| n.value.scalar_text()) {
                Some(text) => {
                    keys.push(text);
                    extend_origins(&mut key_origins, &resolved.expect("resolved").origins);
                }
                None => return Some(unknown(span, "Fn::FindInMap")),
            }
        }
        let mappings = self.mappings;
        let Some(map) = mappings.and_then(|m| m.get(&keys[0])) else {
            self.error(
                span,
                format!("`Fn::FindInMap`: no mapping `{}` in `Mappings`", keys[0]),
            );
            return Some(unknown(span, "Fn::FindInMap"));
        };
        match map.get(&keys[1]).and_then(|top| top.get(&keys[2])) {
            Some(value) => {
                if !self.charge(node_count(value), span) {
                    return Some(unknown(span, "evaluation limit"));
                }
                let label = format!("mapping `{}` → `{}` → `{}`", keys[0], keys[1], keys[2]);
                let mut node = import(value, span, &label, OriginAt::Value);
                extend_origins(&mut node.origins, &key_origins);
                Some(node)
            }
            None => match default {
                Some(default) => {
                    let mut node = self.resolve(default)?;
                    let origin = Origin {
                        span: default.span,
                        label: format!(
                            "`DefaultValue` of `Fn::FindInMap` on mapping `{}`",
                            keys[0]
                        ),
                    };
                    prepend_origin(&mut node, &origin);
                    node.span = span;
                    Some(node)
                }
                None => {
                    self.error(
                        span,
                        format!(
                            "`Fn::FindInMap`: mapping `{}` has no `{}` → `{}`",
                            keys[0], keys[1], keys[2]
                        ),
                    );
                    Some(unknown(span, "Fn::FindInMap"))
                }
            },
        }
    }

    // ----- Encoding and network functions -----------------------------------------

    /// `Fn::Base64`: the text, Base64-encoded.
    fn base64(&mut self, args: &Node, span: Span) -> Node {
        match self.resolve(args) {
            Some(node) => match node.value.scalar_text() {
                Some(text) => Node {
                    value: Value::String(BASE64_STANDARD.encode(text)),
                    span,
                    origins: node.origins,
                },
                None => unknown(span, "Fn::Base64"),
            },
            None => unknown(span, "Fn::Base64"),
        }
    }

    /// `Fn::Cidr: [ipBlock, count, cidrBits]`: the first `count` subnets of
    /// `cidrBits` host bits.
    fn cidr(&mut self, args: &Node, span: Span) -> Node {
        let Value::List(items) = &args.value else {
            self.error(span, "`Fn::Cidr` takes [ipBlock, count, cidrBits]".into());
            return unknown(span, "Fn::Cidr");
        };
        let resolved: Vec<Option<Node>> = items.iter().map(|i| self.resolve(i)).collect();
        let [Some(block), Some(count), Some(bits)] = resolved.as_slice() else {
            if items.len() != 3 {
                self.error(span, "`Fn::Cidr` takes [ipBlock, count, cidrBits]".into());
            }
            return unknown(span, "Fn::Cidr");
        };
        let (Some(text), Some(count), Some(bits)) = (
            block.value.scalar_text(),
            count.value.as_number(),
            bits.value.as_number(),
        ) else {
            return unknown(span, "Fn::Cidr");
        };
        match intrinsics::cidr(&text, count as usize, bits as u32) {
            Some(subnets) => Node::new(
                Value::List(
                    subnets
                        .into_iter()
                        .map(|s| Node {
                            value: Value::String(s),
                            span,
                            origins: block.origins.clone(),
                        })
                        .collect(),
                ),
                span,
            ),
            None => {
                self.error(
                    span,
                    format!("`Fn::Cidr` cannot make {count} subnets of {bits} host bits in {text}"),
                );
                unknown(span, "Fn::Cidr")
            }
        }
    }

    /// `Fn::Length`: the number of elements of a list.
    fn length(&mut self, args: &Node, span: Span) -> Node {
        match self.resolve(args).map(|n| n.value) {
            Some(Value::List(items)) => Node::new(Value::Number(items.len() as f64), span),
            _ => unknown(span, "Fn::Length"),
        }
    }

    /// `Fn::ToJsonString`: a map or list as compact JSON text.
    fn json_string(&mut self, args: &Node, span: Span) -> Node {
        match self.resolve(args) {
            Some(node) => match intrinsics::to_json(&node) {
                Some(json) => Node::new(Value::String(json.to_string()), span),
                None => unknown(span, "Fn::ToJsonString"),
            },
            None => unknown(span, "Fn::ToJsonString"),
        }
    }
}

/// What `Fn::Split` makes of its text.
enum Split {
    /// The text is known: the list of its pieces.
    Known(Node),
    /// The delimiter, and the text known in part (with its origins).
    Partial(String, PartialText, Vec<Origin>),
    Unknown,
}

/// Whether a map node is an intrinsic function call (one key).
fn list_is_call(node: &Node) -> bool {
    matches!(&node.value, Value::Map(entries) if entries.len() == 1)
}

/// Element `index` of `Fn::Split` over text known in part. The elements that
/// end inside the leading known text are known: a hole cannot move a
/// delimiter found before it. The element that runs into the first hole is
/// its known start and a hole, less any tail that could begin a delimiter
/// completed by the hole. Later elements are unknown.
pub(super) fn split_element(text: &PartialText, delimiter: &str, index: usize) -> Value {
    let lead = match text.pieces().first() {
        Some(Piece::Text(lead)) => lead.as_str(),
        _ => "",
    };
    let complete = lead.matches(delimiter).count();
    let mut elements = lead.split(delimiter);
    if index < complete {
        return Value::String(elements.nth(index).unwrap_or_default().to_string());
    }
    if index > complete {
        return Value::Unknown("Fn::Select".into());
    }
    let tail = elements.last().unwrap_or_default();
    let cut = (tail.len().saturating_sub(delimiter.len() - 1)..tail.len())
        .find(|&r| tail.is_char_boundary(r) && delimiter.starts_with(&tail[r..]))
        .unwrap_or(tail.len());
    let mut start = PartialText::default();
    start.push_text(&tail[..cut]);
    start.push_hole(None);
    start.into_value("Fn::Select")
}

/// Adds a value to a string being built: its text when known, its known
/// pieces when known in part, a hole (written at `place`, when known) when
/// known only at deploy. False for a list, map or null, which CloudFormation
/// does not turn into text.
fn push_text(text: &mut PartialText, node: &Node, place: Option<Span>) -> bool {
    if let Some(known) = node.value.scalar_text() {
        text.push_text(&known);
    } else if let Some(partial) = node.value.partial_text() {
        text.append(partial);
    } else if matches!(node.value, Value::Ref(_) | Value::Unknown(_)) {
        text.push_hole(place);
    } else {
        return false;
    }
    true
}

/// A declared parameter's value: the command line, then the parameters
/// files, then `Default`; typed by the parameter's `Type`.
fn declared_parameter(entry: &Entry, overrides: &Overrides, errors: &mut Vec<UnitError>) -> Param {
    let name = entry.key.as_str();
    let declaration = &entry.value;
    let kind = declaration
        .get("Type")
        .and_then(Node::as_str)
        .unwrap_or("String");
    let given = overrides.values.get(name);
    let (value, label, at) = match given {
        Some(given) => match &given.source {
            Source::CommandLine => (
                Node::new(given.value.value.clone(), entry.key_span),
                format!("parameter `{name}` set with --cfn-param"),
                OriginAt::Fixed(entry.key_span),
            ),
            Source::File => (
                given.value.clone(),
                format!("parameter `{name}` from --cfn-params"),
                OriginAt::Value,
            ),
        },
        None if overrides.broken => {
            return Param {
                value: Err(format!("parameter {name} (parameters file unreadable)")),
                label: String::new(),
                at: OriginAt::Value,
                size: 1,
            }
        }
        None => match declaration.get("Default") {
            Some(default) => (
                default.clone(),
                format!("default of parameter `{name}`"),
                OriginAt::Value,
            ),
            None => {
                return Param {
                    value: Err(format!("parameter {name}")),
                    label: String::new(),
                    at: OriginAt::Value,
                    size: 1,
                }
            }
        },
    };
    let value = typed(value, kind, name).map_err(|(span, message, reason)| {
        if let Some(message) = message {
            errors.push(UnitError {
                file: span.file,
                span: Some(span),
                message,
            });
        }
        reason
    });
    let size = value.as_ref().map_or(1, node_count);
    Param {
        value,
        label,
        at,
        size,
    }
}

/// A note when a parameter's value is not one of its `AllowedValues`:
/// CloudFormation would refuse it, but the value is still what is evaluated.
fn outside_allowed_values(entry: &Entry, param: &Param) -> Option<UnitError> {
    let Value::List(allowed) = &entry.value.get("AllowedValues")?.value else {
        return None;
    };
    let allowed: Vec<String> = allowed
        .iter()
        .filter_map(|a| a.value.scalar_text())
        .collect();
    let value = param.value.as_ref().ok()?;
    let values: Vec<&Node> = match &value.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![value],
    };
    let outside = values
        .iter()
        .filter_map(|v| v.value.scalar_text())
        .find(|text| !allowed.contains(text))?;
    let span = match param.at {
        OriginAt::Fixed(span) => span,
        _ => value.span,
    };
    Some(UnitError {
        file: span.file,
        span: Some(span),
        message: format!(
            "`{outside}` is not one of the AllowedValues of parameter `{}`; CloudFormation would reject it, and it is evaluated as given",
            entry.key
        ),
    })
}

/// A parameter value as `Ref` yields it for its type: `Number` a number,
/// `CommaDelimitedList` and `List<...>` a list, everything else text. SSM
/// parameter types are read from Parameter Store at deploy: unknown. The
/// error carries (span, error message if any, unknown reason).
fn typed(node: Node, kind: &str, name: &str) -> Result<Node, (Span, Option<String>, String)> {
    if kind.starts_with("AWS::SSM::Parameter::Value<") {
        return Err((
            node.span,
            None,
            format!("parameter {name} (read from SSM Parameter Store at deploy)"),
        ));
    }
    if let Value::Unknown(reason) = &node.value {
        return Err((node.span, None, reason.to_string()));
    }
    let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
    let span = node.span;
    let text = node.value.scalar_text();
    if text.as_deref().is_some_and(|t| t.contains("{{resolve:")) {
        return Err((span, None, format!("parameter {name} (dynamic reference)")));
    }
    let value = match (&node.value, is_list) {
        (Value::List(items), true) => Value::List(
            items
                .iter()
                .map(|i| {
                    Node::new(
                        Value::String(i.value.scalar_text().unwrap_or_default()),
                        i.span,
                    )
                })
                .collect(),
        ),
        (_, true) => match text {
            Some(text) => Value::List(
                text.split(',')
                    .map(|item| Node::new(Value::String(item.trim().to_string()), span))
                    .collect(),
            ),
            None => return Err((span, None, format!("parameter {name}"))),
        },
        (_, false) if kind == "Number" => match text.as_deref().map(str::trim).map(str::parse) {
            Some(Ok(n)) => Value::Number(n),
            _ => {
                return Err((
                    span,
                    Some(format!(
                        "value `{}` of Number parameter `{name}` is not a number",
                        node.value.display()
                    )),
                    format!("parameter {name}"),
                ))
            }
        },
        (_, false) => match text {
            Some(text) => Value::String(text),
            None => return Err((span, None, format!("parameter {name}"))),
        },
    };
    Ok(Node {
        value,
        span,
        origins: node.origins,
    })
}

/// Pseudo parameters given with `--cfn-param AWS::Region=...` (or in a
/// parameters file); `AWS::Partition` and `AWS::URLSuffix` follow from a
/// known region. The rest stay unknown.
fn pseudo_parameters(overrides: &Overrides, parameters: &mut HashMap<String, Param>) {
    for name in PSEUDO_PARAMETERS {
        let Some(given) = overrides.values.get(name) else {
            continue;
        };
        let (label, at) = match &given.source {
            Source::CommandLine => (format!("`{name}` set with --cfn-param"), OriginAt::Use),
            Source::File => (format!("`{name}` from --cfn-params"), OriginAt::Value),
        };
        let kind = if name == "AWS::NotificationARNs" {
            "CommaDelimitedList"
        } else {
            "String"
        };
        let value = typed(given.value.clone(), kind, name).map_err(|(_, _, reason)| reason);
        let size = value.as_ref().map_or(1, node_count);
        parameters.insert(
            name.to_string(),
            Param {
                value,
                label,
                at,
                size,
            },
        );
    }
    let region = parameters
        .get("AWS::Region")
        .and_then(|p| p.value.as_ref().ok())
        .and_then(|n| n.as_str().map(str::to_string));
    if let Some(region) = region {
        let (partition, suffix) = intrinsics::partition_of(&region);
        for (name, value) in [("AWS::Partition", partition), ("AWS::URLSuffix", suffix)] {
            parameters.entry(name.to_string()).or_insert_with(|| Param {
                value: Ok(Node::new(Value::String(value.into()), Span::default())),
                label: format!("`{name}` of region `{region}`"),
                at: OriginAt::Use,
                size: 1,
            });
        }
    }
}

/// The nodes in a value, plus one per 64 bytes of text: the cost of a copy.
fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.value)).sum(),
        Value::String(s) => s.len() / 64,
        _ => 0,
    }
}

/// Whether a `Fn::ForEach::*` loop appears anywhere in the node.
fn has_loop(node: &Node) -> bool {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .any(|e| e.key.starts_with("Fn::ForEach::") || has_loop(&e.value)),
        Value::List(items) => items.iter().any(has_loop),
        _ => false,
    }
}

/// A single-key map that is an intrinsic function call. `Condition` counts
/// only with a condition name, so a property named `Condition` holding a map
/// is left alone.
pub(super) fn is_intrinsic(entry: &Entry) -> bool {
    match entry.key.as_str() {
        "Ref" => true,
        "Condition" => entry.value.as_str().is_some(),
        key => key.starts_with("Fn::"),
    }
}

pub(super) fn unknown(span: Span, reason: &str) -> Node {
    Node::new(Value::Unknown(reason.to_string().into()), span)
}

pub(super) fn ref_node(target: &str, attribute: Option<String>, span: Span) -> Node {
    Node::new(
        Value::Ref(Reference {
            target: target.to_string(),
            attribute,
        }),
        span,
    )
}

/// A value written elsewhere (a parameter's value, a mapping entry) used at
/// `span`: every node of it takes the use's span and records where it was set.
fn import(node: &Node, span: Span, label: &str, at: OriginAt) -> Node {
    let origin_span = match at {
        OriginAt::Value => node.span,
        OriginAt::Fixed(s) => s,
        OriginAt::Use => span,
    };
    let mut origins = vec![Origin {
        span: origin_span,
        label: label.to_string(),
    }];
    extend_origins(&mut origins, &node.origins);
    let value = match &node.value {
        Value::List(items) => {
            Value::List(items.iter().map(|i| import(i, span, label, at)).collect())
        }
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|e| Entry {
                    key: e.key.clone(),
                    key_span: e.key_span,
                    value: import(&e.value, span, label, at),
                })
                .collect(),
        ),
        v => v.clone(),
    };
    Node {
        value,
        span,
        origins,
    }
}

/// Records, on a node and everything in it, one more step of provenance
/// nearer to the use than the ones it has.
fn prepend_origin(node: &mut Node, origin: &Origin) {
    node.origins.insert(0, origin.clone());
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(|i| prepend_origin(i, origin)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|e| prepend_origin(&mut e.value, origin)),
        _ => {}
    }
}

fn extend_origins(into: &mut Vec<Origin>, more: &[Origin]) {
    for origin in more {
        if !into.contains(origin) {
            into.push(origin.clone());
        }
    }
}

/// Whether two resolved values are the same (spans and provenance aside):
/// `None` when that depends on something unknown. Scalars compare as text,
/// as `Fn::Equals` compares them.
pub(super) fn same_value(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Ref(x), Value::Ref(y)) if x == y => Some(true),
        (Value::Ref(_) | Value::Unknown(_), _) | (_, Value::Ref(_) | Value::Unknown(_)) => None,
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_same(x.iter().zip(y).map(|(a, b)| same_value(&a.value, &b.value)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_same(x.iter().map(|e| match y.iter().find(|f| f.key == e.key) {
                Some(f) => same_value(&e.value.value, &f.value.value),
                None => Some(false),
            }))
        }
        (Value::Null, Value::Null) => Some(true),
        _ => match (a.scalar_text(), b.scalar_text()) {
            (Some(x), Some(y)) => Some(x == y),
            _ => Some(false),
        },
    }
}

fn all_same(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut undecided = false;
    for result in results {
        match result {
            Some(false) => return Some(false),
            None => undecided = true,
            Some(true) => {}
        }
    }
    (!undecided).then_some(true)
}
