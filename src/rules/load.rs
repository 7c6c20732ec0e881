//! Reads rule files (YAML) into [`Rule`]s. Every error points at the line of
//! the rule file it is about, so a user rule directory is easy to debug.

use super::fragments::Fragments;
use super::matcher::{Comparison, Matcher, PortsSpec, Test};
use super::values::{self, IGNORE_CASE, VALUE_TEST_KEYS};
use super::{Check, Rule};
use crate::finding::{Layer, RuleDocs, RuleInfo, Severity};
use crate::model::{Framework, ScanError};
use crate::source::{SourceFile, Span};
use crate::value::{Entry, Node, Path, Value};
use std::sync::Arc;

/// Collects errors against one file while reading it.
pub struct Reader<'a> {
    pub file: &'a SourceFile,
    pub errors: Vec<ScanError>,
}

impl<'a> Reader<'a> {
    pub fn new(file: &'a SourceFile) -> Self {
        Reader {
            file,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        let at = self.file.line_col(span.start);
        self.errors.push(ScanError {
            file: self.file.display.clone(),
            line: Some(at.line),
            column: Some(at.column),
            message: message.into(),
        });
    }

    /// The entries of a map node, or an error.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            _ => {
                self.error(node.span, format!("{what} must be a mapping"));
                &[]
            }
        }
    }

    /// Reports keys outside `allowed`.
    pub fn only_keys(&mut self, entries: &[Entry], allowed: &[&str], what: &str) {
        for entry in entries {
            if !allowed.contains(&entry.key.as_str()) {
                self.error(
                    entry.key_span,
                    format!(
                        "unknown key `{}` in {what}; expected one of: {}",
                        entry.key,
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// Line and column of a place in the file.
    pub fn position(&self, span: Span) -> (usize, usize) {
        let at = self.file.line_col(span.start);
        (at.line, at.column)
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::String(s) => Some(s.clone()),
            Value::Number(_) | Value::Bool(_) => Some(node.value.display()),
            _ => {
                self.error(node.span, format!("{what} must be a string"));
                None
            }
        }
    }

    pub fn strings(&mut self, node: &Node, what: &str) -> Vec<String> {
        match &node.value {
            Value::List(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            _ => self.string(node, what).into_iter().collect(),
        }
    }

    pub fn required<'n>(
        &mut self,
        parent: &Node,
        entries: &'n [Entry],
        key: &str,
        what: &str,
    ) -> Option<&'n Node> {
        let found = entries.iter().find(|e| e.key == key).map(|e| &e.value);
        if found.is_none() {
            self.error(parent.span, format!("{what} is missing `{key}`"));
        }
        found
    }

    pub fn path(&mut self, node: &Node) -> Option<Path> {
        let text = self.string(node, "a path")?;
        Path::parse(&text)
            .map_err(|e| self.error(node.span, e))
            .ok()
    }
}

pub fn get<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
    entries.iter().find(|e| e.key == key).map(|e| &e.value)
}

const RULE_KEYS: [&str; 17] = [
    "id",
    "slug",
    "aliases",
    "summary",
    "severity",
    "layer",
    "provider",
    "service",
    "docs",
    "compliance",
    "message",
    "help_uri",
    "sensitive",
    "terraform",
    "cloudformation",
    "tags",
    "profile",
];

/// Reads one rule file. `Err` carries every problem found, each with its line.
/// `{$ref: NAME}` names a built-in fragment.
pub fn read_rule(file: &SourceFile) -> Result<Rule, Vec<ScanError>> {
    read_rule_with(file, Fragments::builtin())
}

/// [`read_rule`] with the fragments of user rule directories too.
pub fn read_rule_with(file: &SourceFile, fragments: &Fragments) -> Result<Rule, Vec<ScanError>> {
    let mut r = Reader::new(file);
    let root = match super::fragments::parse(file) {
        Ok(root) => fragments.resolve(&mut r, root),
        Err(e) => {
            r.error(e.span.unwrap_or_default(), e.message);
            return Err(r.errors);
        }
    };
    let entries = r.map(&root, "a rule file");
    r.only_keys(entries, &RULE_KEYS, "a rule");
    let text = |r: &mut Reader, key: &str| {
        r.required(&root, entries, key, "the rule")
            .and_then(|n| r.string(n, key))
    };
    let id = text(&mut r, "id");
    let slug = text(&mut r, "slug");
    let summary = text(&mut r, "summary");
    let provider = text(&mut r, "provider");
    let service = text(&mut r, "service");
    let severity = r
        .required(&root, entries, "severity", "the rule")
        .and_then(|n| {
            let s = r.string(n, "severity")?;
            Severity::parse(&s).or_else(|| {
                r.error(
                    n.span,
                    format!("unknown severity `{s}`; expected critical, high, medium, low or info"),
                );
                None
            })
        });
    let layer = r.required(&root, entries, "layer", "the rule").and_then(|n| {
        let s = r.string(n, "layer")?;
        Layer::parse(&s).or_else(|| {
            r.error(n.span, format!("unknown layer `{s}`; expected identity, network, data, logging, host or application"));
            None
        })
    });
    let aliases = get(entries, "aliases")
        .map(|n| r.strings(n, "an alias"))
        .unwrap_or_default();
    let message = get(entries, "message").and_then(|n| r.string(n, "message"));
    let help_uri = get(entries, "help_uri").and_then(|n| r.string(n, "help_uri"));
    let sensitive = match get(entries, "sensitive").map(|n| (n, &n.value)) {
        None => false,
        Some((_, Value::Bool(b))) => *b,
        Some((n, _)) => {
            r.error(n.span, "`sensitive` takes true or false");
            false
        }
    };
    let profile = get(entries, "profile").and_then(|n| {
        let name = r.string(n, "profile")?;
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            r.error(
                n.span,
                format!("profile `{name}` must be lowercase letters, digits and `-`"),
            );
        }
        valid.then_some(name)
    });
    let compliance = get(entries, "compliance")
        .map(|n| {
            let items = r.map(n, "compliance");
            items
                .iter()
                .flat_map(|e| {
                    r.strings(&e.value, "a control")
                        .into_iter()
                        .map(|c| (e.key.clone(), c))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default();
    let docs = r
        .required(&root, entries, "docs", "the rule")
        .map(|n| read_docs(&mut r, n))
        .unwrap_or_default();

    let mut checks = Vec::new();
    for framework in Framework::ALL {
        if let Some(node) = get(entries, framework.name()) {
            checks.extend(read_checks(&mut r, node, framework));
        }
    }
    if !Framework::ALL
        .iter()
        .any(|f| get(entries, f.name()).is_some())
    {
        r.error(
            root.span,
            "the rule has no `terraform` or `cloudformation` matcher",
        );
    }
    for check in &checks {
        if !docs.fix.iter().any(|(f, _)| f == check.framework.name()) {
            r.error(
                root.span,
                format!("docs.fix has no `{}` entry", check.framework.name()),
            );
        }
    }
    match (id, slug, summary, severity, layer, provider, service) {
        (
            Some(id),
            Some(slug),
            Some(summary),
            Some(severity),
            Some(layer),
            Some(provider),
            Some(service),
        ) if r.errors.is_empty() => Ok(Rule {
            info: Arc::new(RuleInfo {
                id,
                slug,
                aliases,
                summary,
                severity,
                layer,
                provider,
                service,
                frameworks: Framework::ALL
                    .into_iter()
                    .filter(|f| checks.iter().any(|c| c.framework == *f))
                    .collect(),
                docs,
                compliance,
                help_uri,
                sensitive,
                profile,
            }),
            checks,
            message,
            path: file.display.clone(),
        }),
        _ => Err(r.errors),
    }
}

fn read_docs(r: &mut Reader, node: &Node) -> RuleDocs {
    let entries = r.map(node, "docs");
    r.only_keys(entries, &["what", "why", "fix", "references"], "docs");
    let section = |r: &mut Reader, key: &str| {
        r.required(node, entries, key, "docs")
            .and_then(|n| r.string(n, key))
            .unwrap_or_default()
    };
    let what = section(r, "what");
    let why = section(r, "why");
    let fix = r
        .required(node, entries, "fix", "docs")
        .map(|n| {
            let items = r.map(n, "docs.fix");
            items
                .iter()
                .filter_map(|e| Some((e.key.clone(), r.string(&e.value, "a fix")?)))
                .collect()
        })
        .unwrap_or_default();
    let references = get(entries, "references")
        .map(|n| r.strings(n, "a reference"))
        .unwrap_or_default();
    RuleDocs {
        what,
        why,
        fix,
        references,
    }
}

/// A framework's checks: one `{resources, match}` map, or a list of them
/// (one per kind of resource the control covers).
fn read_checks(r: &mut Reader, node: &Node, framework: Framework) -> Vec<Check> {
    match &node.value {
        Value::List(items) if items.is_empty() => {
            r.error(node.span, format!("`{}` lists no checks", framework.name()));
            Vec::new()
        }
        Value::List(items) => {
            let checks: Vec<Check> = items
                .iter()
                .filter_map(|item| read_check(r, item, framework))
                .collect();
            // A type in two checks would be reported twice for one problem.
            let mut seen = std::collections::HashSet::new();
            for check in &checks {
                let at = check.resource_type_positions.iter();
                for (t, &(line, column)) in check.resource_types.iter().zip(at) {
                    if !seen.insert(t) {
                        r.errors.push(ScanError {
                            file: r.file.display.clone(),
                            line: Some(line),
                            column: Some(column),
                            message: format!("resource type `{t}` is in two checks; give it one"),
                        });
                    }
                }
            }
            checks
        }
        _ => read_check(r, node, framework).into_iter().collect(),
    }
}

fn read_check(r: &mut Reader, node: &Node, framework: Framework) -> Option<Check> {
    let entries = r.map(node, framework.name());
    r.only_keys(entries, &["resources", "match", "scope"], framework.name());
    let once_per_unit = super::relations::read_scope(r, get(entries, "scope"))?;
    let types_node = r.required(node, entries, "resources", framework.name())?;
    let resource_types = r.strings(types_node, "a resource type");
    let resource_type_positions = match &types_node.value {
        Value::List(items) => items.iter().map(|i| r.position(i.span)).collect(),
        _ => vec![r.position(types_node.span)],
    };
    let matcher_node = r.required(node, entries, "match", framework.name())?;
    let matcher = read_matcher(r, matcher_node)?;
    let mut tested = Vec::new();
    own_type_tests(&matcher, &mut tested);
    for t in tested.into_iter().filter(|t| !resource_types.contains(t)) {
        r.error(
            matcher_node.span,
            format!("`type: {t}` can never match: the check's resources are {resource_types:?}"),
        );
    }
    Some(Check {
        framework,
        resource_types,
        resource_type_positions,
        matcher,
        once_per_unit,
    })
}

/// The types named by `type` tests about the resource itself (those inside
/// a relation are about the related resource).
fn own_type_tests<'m>(matcher: &'m Matcher, out: &mut Vec<&'m String>) {
    match matcher {
        Matcher::Type(types) => out.extend(types),
        Matcher::All(children) | Matcher::Any(children) => {
            children.iter().for_each(|c| own_type_tests(c, out))
        }
        Matcher::Not(child) => own_type_tests(child, out),
        Matcher::Each { matcher, .. } => own_type_tests(matcher, out),
        _ => {}
    }
}

const TEST_KEYS: [&str; 10] = [
    "equals",
    "equals_ignore_case",
    "in",
    "matches",
    "exists",
    "gt",
    "gte",
    "lt",
    "lte",
    "open_to_internet",
];

/// Reads one matcher: a mapping naming exactly one operator.
pub fn read_matcher(r: &mut Reader, node: &Node) -> Option<Matcher> {
    let entries = r.map(node, "a matcher");
    let children = |r: &mut Reader, n: &Node| -> Option<Vec<Matcher>> {
        match &n.value {
            Value::List(items) => items.iter().map(|i| read_matcher(r, i)).collect(),
            _ => {
                r.error(n.span, "`all` and `any` take a list of matchers");
                None
            }
        }
    };
    if let Some(n) = get(entries, "all") {
        r.only_keys(entries, &["all"], "an `all` matcher");
        return children(r, n).map(Matcher::All);
    }
    if let Some(n) = get(entries, "any") {
        r.only_keys(entries, &["any"], "an `any` matcher");
        return children(r, n).map(Matcher::Any);
    }
    if let Some(n) = get(entries, "not") {
        r.only_keys(entries, &["not"], "a `not` matcher");
        return read_matcher(r, n).map(|m| Matcher::Not(Box::new(m)));
    }
    if let Some(n) = get(entries, "each") {
        r.only_keys(entries, &["each", "match"], "an `each` matcher");
        let path = r.path(n)?;
        let matcher_node = r.required(node, entries, "match", "an `each` matcher")?;
        let matcher = read_matcher(r, matcher_node)?;
        return Some(Matcher::Each {
            path,
            matcher: Box::new(matcher),
        });
    }
    if get(entries, "policy").is_some() {
        return super::policy::read(r, node, entries);
    }
    if let Some(n) = get(entries, "ports") {
        r.only_keys(entries, &["ports"], "a `ports` matcher");
        return read_ports(r, n).map(Matcher::Ports);
    }
    for relation in ["companion", "referrers", "references", "in_unit"] {
        if let Some(n) = get(entries, relation) {
            r.only_keys(entries, &[relation], &format!("a `{relation}` matcher"));
            return super::relations::read(r, relation, n);
        }
    }
    if let Some(n) = get(entries, "type") {
        r.only_keys(entries, &["type"], "a `type` matcher");
        return Some(Matcher::Type(r.strings(n, "a resource type")));
    }
    if let Some(n) = get(entries, "path") {
        let mut allowed = vec!["path", "default", IGNORE_CASE];
        allowed.extend(TEST_KEYS);
        allowed.extend(VALUE_TEST_KEYS);
        r.only_keys(entries, &allowed, "a `path` matcher");
        let path = r.path(n)?;
        let is_test = |key: &str| TEST_KEYS.contains(&key) || VALUE_TEST_KEYS.contains(&key);
        let tests: Vec<&Entry> = entries.iter().filter(|e| is_test(&e.key)).collect();
        let [test] = tests.as_slice() else {
            r.error(
                node.span,
                format!(
                    "a `path` matcher needs exactly one test of: {}, {}",
                    TEST_KEYS.join(", "),
                    VALUE_TEST_KEYS.join(", ")
                ),
            );
            return None;
        };
        let read = if VALUE_TEST_KEYS.contains(&test.key.as_str()) {
            values::read_test(r, test)?
        } else {
            read_test(r, test)?
        };
        let test = match get(entries, IGNORE_CASE) {
            Some(flag) => values::ignore_case(r, flag, &test.key, read)?,
            None => read,
        };
        let default = get(entries, "default").map(|d| d.value.clone());
        return Some(Matcher::Test {
            path,
            test,
            default,
        });
    }
    r.error(
        node.span,
        "a matcher needs one of: all, any, not, each, path, ports, policy, referrers, references, in_unit, companion, type",
    );
    None
}

fn read_test(r: &mut Reader, entry: &Entry) -> Option<Test> {
    let node = &entry.value;
    let number = |r: &mut Reader| match node.value {
        Value::Number(n) => Some(n),
        _ => {
            r.error(node.span, format!("`{}` takes a number", entry.key));
            None
        }
    };
    let flag = |r: &mut Reader| match node.value {
        Value::Bool(b) => Some(b),
        _ => {
            r.error(node.span, format!("`{}` takes true or false", entry.key));
            None
        }
    };
    Some(match entry.key.as_str() {
        "equals" => Test::Equals(node.value.clone()),
        "equals_ignore_case" => Test::EqualsIgnoreCase(r.string(node, "equals_ignore_case")?),
        "in" => match &node.value {
            Value::List(items) => Test::In(items.iter().map(|i| i.value.clone()).collect()),
            _ => {
                r.error(node.span, "`in` takes a list");
                return None;
            }
        },
        "matches" => {
            let text = r.string(node, "matches")?;
            Test::Matches(
                regex::Regex::new(&text)
                    .map_err(|e| r.error(node.span, format!("bad regex: {e}")))
                    .ok()?,
            )
        }
        "exists" => Test::Exists(flag(r)?),
        "open_to_internet" => {
            if !flag(r)? {
                r.error(
                    node.span,
                    "`open_to_internet: false` is not supported; wrap it in `not`",
                );
                return None;
            }
            Test::OpenToInternet
        }
        "gt" => Test::Compare(Comparison::Gt, number(r)?),
        "gte" => Test::Compare(Comparison::Gte, number(r)?),
        "lt" => Test::Compare(Comparison::Lt, number(r)?),
        _ => Test::Compare(Comparison::Lte, number(r)?),
    })
}

fn read_ports(r: &mut Reader, node: &Node) -> Option<PortsSpec> {
    let fields = r.map(node, "ports");
    r.only_keys(
        fields,
        &[
            "from",
            "to",
            "ranges",
            "protocol",
            "includes",
            "absent_is_all",
        ],
        "ports",
    );
    let path = |r: &mut Reader, key: &str| get(fields, key).and_then(|p| r.path(p));
    let (from, to, ranges, protocol) = (
        path(r, "from"),
        path(r, "to"),
        path(r, "ranges"),
        path(r, "protocol"),
    );
    if from.is_some() != to.is_some() || (from.is_none() && ranges.is_none()) {
        r.error(node.span, "`ports` needs `from` and `to`, or `ranges`");
        return None;
    }
    let includes = match get(fields, "includes") {
        Some(Node {
            value: Value::String(s),
            ..
        }) if s == "all" => Vec::new(),
        Some(
            n @ Node {
                value: Value::List(items),
                ..
            },
        ) => {
            let ports: Option<Vec<u16>> = items
                .iter()
                .map(|i| match i.value {
                    Value::Number(p) if (0.0..=65535.0).contains(&p) => Some(p as u16),
                    _ => None,
                })
                .collect();
            ports.or_else(|| {
                r.error(n.span, "`includes` takes a list of port numbers");
                None
            })?
        }
        _ => {
            r.error(
                node.span,
                "`ports` needs `includes`: a list of ports, or `all`",
            );
            return None;
        }
    };
    let absent_is_all = matches!(
        get(fields, "absent_is_all").map(|n| &n.value),
        Some(Value::Bool(true))
    );
    Some(PortsSpec {
        from,
        to,
        ranges,
        protocol,
        includes,
        absent_is_all,
    })
}
