//! Value tests beyond equality: negations that point at the offending value,
//! case-insensitive comparison, substrings, lengths and versions, and the
//! decoding of JSON strings met on a path (`container_definitions|json`).

use super::load::Reader;
use super::matcher::Test;
use super::secrets::SecretKind;
use crate::model::Unit;
use crate::parse::json::{mark_holes, parse_json_with_holes, HOLE, PAD};
use crate::value::{Entry, Node, PartialText, Piece, Value};
use regex::Regex;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use typed_arena::Arena;

/// Test keys read here (the others are read in `load`).
pub const VALUE_TEST_KEYS: [&str; 8] = [
    "not_equals",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
    "length",
    "version",
    "secret",
];

/// The modifier that makes a text test compare without regard to case.
pub const IGNORE_CASE: &str = "ignore_case";

/// Tests `ignore_case: true` applies to.
const CASE_TESTS: [&str; 7] = [
    "equals",
    "in",
    "not_equals",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
];

/// A comparison with a bound, as written in `length: {gte: 1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Lt,
    Lte,
    Gt,
    Gte,
    Eq,
}

impl Order {
    const KEYS: [(&'static str, Order); 5] = [
        ("lt", Order::Lt),
        ("lte", Order::Lte),
        ("gt", Order::Gt),
        ("gte", Order::Gte),
        ("equals", Order::Eq),
    ];

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Order::Lt => ordering.is_lt(),
            Order::Lte => ordering.is_le(),
            Order::Gt => ordering.is_gt(),
            Order::Gte => ordering.is_ge(),
            Order::Eq => ordering.is_eq(),
        }
    }
}

/// `version: {lt: "1.2", from: REGEX}`: every bound holds on the version the
/// value names (see [`version_of`]).
#[derive(Debug)]
pub struct VersionTest {
    pub bounds: Vec<(Order, Vec<u64>)>,
    /// Where the version sits in the text: the first capture group that took
    /// part in the match (the whole match when there is none).
    pub from: Option<Regex>,
}

impl VersionTest {
    /// False for a value that names no version: it is known, just not one.
    pub fn holds(&self, value: &Value) -> bool {
        let Some(text) = value.scalar_text() else {
            return false;
        };
        let text = match &self.from {
            None => text.as_str(),
            Some(regex) => match regex.captures(&text) {
                Some(c) => match c.iter().skip(1).flatten().next().or_else(|| c.get(0)) {
                    Some(m) => &text[m.range()],
                    None => return false,
                },
                None => return false,
            },
        };
        let Some(version) = version_of(text) else {
            return false;
        };
        self.bounds
            .iter()
            .all(|(order, bound)| order.holds(compare_versions(&version, bound)))
    }
}

/// The version a text names: the numbers from its first digit on, joined by
/// `.`; `_` and `-` join single digits too (`TLS1_2`, `TLS-1-2` are 1.2),
/// but not a longer number, which is a date or a build (`TLSv1.2_2021` is
/// 1.2, `TLSv1_2016` is 1). `8.0.32` is 8.0.32, `5.7.mysql_aurora.2.11` is 5.7.
pub fn version_of(text: &str) -> Option<Vec<u64>> {
    let bytes = text.as_bytes();
    let digits_at = |i: usize| bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = bytes.iter().position(u8::is_ascii_digit)?;
    let mut parts = Vec::new();
    loop {
        let len = digits_at(i);
        parts.push(text[i..i + len].parse().ok()?);
        let next = i + len + 1;
        if next >= bytes.len() {
            break;
        }
        let following = digits_at(next);
        let joins = match bytes[i + len] {
            b'.' => following > 0,
            b'_' | b'-' => len == 1 && following == 1,
            _ => false,
        };
        if !joins {
            break;
        }
        i = next;
    }
    Some(parts)
}

/// Component by component; a missing component is 0 (`1.2` = `1.2.0`).
pub fn compare_versions(a: &[u64], b: &[u64]) -> Ordering {
    (0..a.len().max(b.len()))
        .map(|i| {
            let part = |v: &[u64]| v.get(i).copied().unwrap_or(0);
            part(a).cmp(&part(b))
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// `length: {gte: 2}`: characters of a string, elements of a list, entries
/// of a map. Other values have no length and pass no length test.
pub fn length_holds(bounds: &[(Order, f64)], value: &Value) -> bool {
    let length = match value {
        Value::String(s) => s.chars().count(),
        Value::List(items) => items.len(),
        Value::Map(entries) => entries.len(),
        _ => return false,
    } as f64;
    bounds
        .iter()
        .all(|(order, bound)| order.holds(length.partial_cmp(bound).unwrap_or(Ordering::Less)))
}

/// A value with its text lowercased (strings, and the strings in lists),
/// for `ignore_case`.
pub fn lowercase(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_lowercase()),
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|n| Node {
                    value: lowercase(&n.value),
                    ..n.clone()
                })
                .collect(),
        ),
        v => v.clone(),
    }
}

/// The scalar text of a value for the substring tests; lists and maps have none.
pub fn text_test(value: &Value, test: impl Fn(&str) -> bool) -> bool {
    value.scalar_text().is_some_and(|s| test(&s))
}

/// A test on a string known only in part: the substring and regex tests
/// decide when the known pieces settle them (see [`PartialText`]); every
/// other test, equality above all, stays unknown.
pub fn partial_test(test: &Test, text: &PartialText) -> Option<bool> {
    match test {
        Test::StartsWith(prefix) => text.starts_with(prefix),
        Test::EndsWith(suffix) => text.ends_with(suffix),
        Test::Contains(part) => text.contains(part),
        Test::Matches(regex) => text.matches(regex),
        Test::IgnoreCase(inner) => partial_test(inner, &text.to_lowercase()),
        _ => None,
    }
}

/// Reads one of [`VALUE_TEST_KEYS`].
pub fn read_test(r: &mut Reader, entry: &Entry) -> Option<Test> {
    let node = &entry.value;
    let list = |r: &mut Reader| match &node.value {
        Value::List(items) => Some(items.iter().map(|i| i.value.clone()).collect()),
        _ => {
            r.error(node.span, format!("`{}` takes a list", entry.key));
            None
        }
    };
    Some(match entry.key.as_str() {
        "not_equals" => Test::NotEquals(node.value.clone()),
        "not_in" => Test::NotIn(list(r)?),
        "contains" => Test::Contains(r.string(node, "contains")?),
        "starts_with" => Test::StartsWith(r.string(node, "starts_with")?),
        "ends_with" => Test::EndsWith(r.string(node, "ends_with")?),
        "secret" => {
            let kind = r.string(node, "secret")?;
            match SecretKind::NAMES.iter().find(|(name, _)| *name == kind) {
                Some((_, kind)) => Test::Secret(*kind),
                None => {
                    r.error(node.span, "`secret` takes name, value or content");
                    return None;
                }
            }
        }
        "length" => Test::Length(read_bounds(r, node, "length", &[], |r, n| match n.value {
            Value::Number(x) => Some(x),
            _ => {
                r.error(n.span, "a length bound is a number");
                None
            }
        })?),
        _ => {
            let from = node
                .get("from")
                .and_then(|n| r.string(n, "from"))
                .and_then(|text| {
                    Regex::new(&text)
                        .map_err(|e| r.error(node.span, format!("bad regex in `from`: {e}")))
                        .ok()
                });
            let bounds = read_bounds(r, node, "version", &["from"], |r, n| match &n.value {
                Value::String(s) => version_of(s).or_else(|| {
                    r.error(n.span, format!("`{s}` names no version"));
                    None
                }),
                _ => {
                    r.error(
                        n.span,
                        "quote a version bound (\"1.10\"), or YAML reads it as a number",
                    );
                    None
                }
            })?;
            Test::Version(VersionTest { bounds, from })
        }
    })
}

/// `{lt: X, gte: Y, ...}`: at least one bound, each read by `bound`.
fn read_bounds<T>(
    r: &mut Reader,
    node: &Node,
    what: &str,
    extra: &[&str],
    bound: impl Fn(&mut Reader, &Node) -> Option<T>,
) -> Option<Vec<(Order, T)>> {
    let entries = r.map(node, what);
    let mut allowed: Vec<&str> = Order::KEYS.iter().map(|(k, _)| *k).collect();
    allowed.extend(extra);
    r.only_keys(entries, &allowed, what);
    let mut bounds = Vec::new();
    let mut ok = true;
    for entry in entries {
        if let Some((_, order)) = Order::KEYS.iter().find(|(k, _)| *k == entry.key) {
            match bound(r, &entry.value) {
                Some(b) => bounds.push((*order, b)),
                None => ok = false,
            }
        }
    }
    if bounds.is_empty() && ok {
        r.error(
            node.span,
            format!("`{what}` needs a bound: lt, lte, gt, gte or equals"),
        );
        return None;
    }
    ok.then_some(bounds)
}

/// `ignore_case: true` beside a test: the test with its operands lowercased,
/// applied to the value lowercased.
pub fn ignore_case(r: &mut Reader, flag: &Node, key: &str, test: Test) -> Option<Test> {
    match flag.value {
        Value::Bool(false) => return Some(test),
        Value::Bool(true) => {}
        _ => {
            r.error(flag.span, "`ignore_case` takes true or false");
            return None;
        }
    }
    if !CASE_TESTS.contains(&key) {
        r.error(
            flag.span,
            format!(
                "`ignore_case` applies to {}, not `{key}`",
                CASE_TESTS.join(", ")
            ),
        );
        return None;
    }
    let lower = |s: String| s.to_lowercase();
    Some(Test::IgnoreCase(Box::new(match test {
        Test::Equals(v) => Test::Equals(lowercase(&v)),
        Test::NotEquals(v) => Test::NotEquals(lowercase(&v)),
        Test::In(vs) => Test::In(vs.iter().map(lowercase).collect()),
        Test::NotIn(vs) => Test::NotIn(vs.iter().map(lowercase).collect()),
        Test::Contains(s) => Test::Contains(lower(s)),
        Test::StartsWith(s) => Test::StartsWith(lower(s)),
        Test::EndsWith(s) => Test::EndsWith(lower(s)),
        other => other,
    })))
}

/// Decodes the JSON documents `|json` steps meet while a unit is checked,
/// each once; lookups borrow them for as long as the unit's checks run.
pub struct Decoder<'a> {
    unit: &'a Unit,
    arena: &'a Arena<Node>,
    /// By the address of the string node: its document, or `None` when the
    /// string is not JSON.
    decoded: RefCell<HashMap<usize, Option<&'a Node>>>,
}

impl<'a> Decoder<'a> {
    pub fn new(unit: &'a Unit, arena: &'a Arena<Node>) -> Self {
        Decoder {
            unit,
            arena,
            decoded: RefCell::default(),
        }
    }

    /// The document at a `|json` step: a map or list is itself (already
    /// structured, as `jsonencode(...)` evaluates); a string, or a string
    /// known in part, is decoded; a string that is not JSON, and any other
    /// value, is unknown (`None`).
    pub fn decode<'n>(&self, node: &'n Node) -> Option<&'n Node>
    where
        'a: 'n,
    {
        match &node.value {
            Value::Map(_) | Value::List(_) => Some(node),
            Value::String(_) | Value::Unknown(_) => {
                let key = node as *const Node as usize;
                if let Some(done) = self.decoded.borrow().get(&key) {
                    return *done;
                }
                let document = decode_json(node, self.unit).map(|d| &*self.arena.alloc(d));
                self.decoded.borrow_mut().insert(key, document);
                document
            }
            _ => None,
        }
    }
}

/// A JSON string decoded. When the source text under the string's span is
/// the string itself (a heredoc, a quoted string without escapes), or differs
/// only in indentation (a `<<-` heredoc, a YAML block scalar: JSON ignores
/// it), maybe after a tag and block indicator (`!Sub |`), the source is
/// decoded so findings point inside it; otherwise every node gets the
/// string's span.
///
/// A string known only in part (a heredoc with `${...}` unknown before
/// apply) decodes when every unknown part lies inside a JSON string: the
/// structure is known, and each string holding a hole is an unknown string
/// keeping its known text. A hole anywhere else (a key, a bare value) leaves
/// the whole document unknown.
pub fn decode_json(node: &Node, unit: &Unit) -> Option<Node> {
    let whole;
    let text = match &node.value {
        Value::String(s) => {
            let mut known = PartialText::default();
            known.push_text(s);
            whole = known;
            &whole
        }
        value => value.partial_text()?,
    };
    let (marked, holes) = mark_holes(text)?;
    let parse = |text: &str, base| parse_json_with_holes(text, holes, node.span.file, base);
    match marked_source(node, text, unit).and_then(|raw| {
        let at = document_start(&raw, &marked)?;
        parse(&raw[at..], node.span.start + at as u32)
    }) {
        Some(doc) => Some(doc),
        None => {
            let mut doc = parse(&marked, 0)?;
            doc.respan(node.span);
            Some(doc)
        }
    }
}

/// Words of YAML that may come before a string's text under its span: a
/// tag, an anchor, a block indicator (`!Sub |`, `Fn::Sub: |-`).
const MAX_LEADING_WORDS: usize = 3;

/// Where the string's text starts in its source (holes marked), when the
/// source from there is the text up to whitespace; at most
/// [`MAX_LEADING_WORDS`] words may come first.
fn document_start(raw: &str, marked: &str) -> Option<usize> {
    let mut at = 0;
    for _ in 0..=MAX_LEADING_WORDS {
        let rest = &raw[at..];
        if rest
            .replace(PAD, "")
            .split_whitespace()
            .eq(marked.split_whitespace())
        {
            return Some(at);
        }
        let word = rest.trim_start();
        let start = at + rest.len() - word.len();
        at = start + word.find(char::is_whitespace)?;
    }
    None
}

/// The source under the node's span with each hole's `${...}` replaced by a
/// [`HOLE`] padded to its length; `None` when a hole is not written there.
fn marked_source(node: &Node, text: &PartialText, unit: &Unit) -> Option<String> {
    let start = node.span.start as usize;
    let raw = unit.file(node.span).slice(node.span);
    let mut marked = String::with_capacity(raw.len());
    let mut done = 0;
    for piece in text.pieces() {
        let Piece::Hole(at) = piece else { continue };
        let at = at.filter(|at| at.file == node.span.file)?;
        let (inner_start, inner_end) = (
            (at.start as usize).checked_sub(start)?,
            (at.end as usize).checked_sub(start)?,
        );
        // Widen the expression to its `${` and `}` (with `~` strip marks).
        let before = raw.get(done..inner_start)?.trim_end();
        let before = before.strip_suffix('~').unwrap_or(before);
        let open = done + before.strip_suffix("${")?.len();
        let after = raw.get(inner_end..)?.trim_start();
        let after = after.strip_prefix('~').unwrap_or(after);
        let close = raw.len() - after.strip_prefix('}')?.len();
        marked.push_str(&raw[done..open]);
        marked.push(HOLE);
        marked.extend(std::iter::repeat_n(
            PAD,
            (close - open).checked_sub(HOLE.len_utf8())?,
        ));
        done = close;
    }
    marked.push_str(raw.get(done..)?);
    Some(marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Framework, Resource};
    use crate::rules::matcher::{Context, Outcome};
    use crate::source::SourceFile;
    use std::sync::Arc;

    /// Evaluates a matcher (YAML) on a resource body (YAML) and returns the
    /// values the match points at, or `None` for no match, or `Some([?])`
    /// for unknown.
    fn eval(matcher: &str, body: &str) -> Option<Vec<String>> {
        eval_as("aws_thing", matcher, body)
    }

    fn eval_as(resource_type: &str, matcher: &str, body: &str) -> Option<Vec<String>> {
        let rule_file = SourceFile::new("rule.yaml".into(), Arc::from(matcher));
        let mut r = Reader::new(&rule_file);
        let node = crate::parse::yaml::parse_yaml(matcher, 0).unwrap();
        let m = super::super::load::read_matcher(&mut r, &node);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let unit = Unit {
            files: vec![SourceFile::new("main.yaml".into(), Arc::from(body))],
            resources: vec![Resource {
                framework: Framework::Terraform,
                resource_type: resource_type.into(),
                address: "r".into(),
                is_data: false,
                body: crate::parse::yaml::parse_yaml(body, 0).unwrap(),
                header: crate::source::Span::new(0, 0..0),
            }],
            ..Unit::default()
        };
        let arena = Arena::new();
        let decoder = Decoder::new(&unit, &arena);
        let resource = &unit.resources[0];
        let index = crate::rules::index::UnitIndex::new(&unit);
        let ctx = Context {
            unit: &unit,
            resource,
            index: &index,
            header: resource.header,
            decoder: &decoder,
        };
        match m.unwrap().eval(&resource.body, &ctx) {
            Outcome::Match(ws) => Some(
                ws.into_iter()
                    .map(|w| {
                        w.value.unwrap_or_else(|| {
                            body[w.span.start as usize..w.span.end as usize].into()
                        })
                    })
                    .collect(),
            ),
            Outcome::NoMatch => None,
            Outcome::Unknown => Some(vec!["?".into()]),
        }
    }

    /// The error a matcher gives when read.
    fn error(matcher: &str) -> String {
        let rule_file = SourceFile::new("rule.yaml".into(), Arc::from(matcher));
        let mut r = Reader::new(&rule_file);
        let node = crate::parse::yaml::parse_yaml(matcher, 0).unwrap();
        super::super::load::read_matcher(&mut r, &node);
        r.errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn negated_tests_point_at_the_offending_value() {
        let m = "{path: \"rules[*].proto\", not_in: [tcp, udp]}";
        assert_eq!(
            eval(m, "rules: [{proto: tcp}, {proto: icmp}]"),
            Some(vec!["icmp".into()])
        );
        assert_eq!(eval(m, "rules: [{proto: tcp}]"), None);
        // Absent passes no test without a default; a list is not a scalar.
        assert_eq!(eval(m, "other: 1"), None);
        assert_eq!(eval("{path: rules, not_equals: x}", "rules: [a]"), None);
        assert_eq!(
            eval("{path: mode, not_equals: strict, default: lax}", "x: 1"),
            Some(vec!["".into()]),
            "the default is tested, the header pointed at"
        );
        assert_eq!(
            eval("{path: mode, not_equals: strict}", "mode: lax"),
            Some(vec!["lax".into()])
        );
    }

    #[test]
    fn ignore_case_applies_to_text_tests_and_nothing_else() {
        let m = "{path: who, in: [allusers], ignore_case: true}";
        assert_eq!(eval(m, "who: AllUsers"), Some(vec!["AllUsers".into()]));
        assert_eq!(eval("{path: who, in: [allusers]}", "who: AllUsers"), None);
        let m = "{path: p, starts_with: TLS, ignore_case: true}";
        assert_eq!(eval(m, "p: tlsv1"), Some(vec!["tlsv1".into()]));
        let m = "{path: p, not_equals: Inbound, ignore_case: true}";
        assert_eq!(eval(m, "p: INBOUND"), None);
        assert!(error("{path: p, gt: 1, ignore_case: true}").contains("ignore_case"));
    }

    #[test]
    fn substring_tests_read_scalars() {
        assert_eq!(
            eval("{path: a, contains: \"*\"}", "a: \"s3:*\""),
            Some(vec!["s3:*".into()])
        );
        assert_eq!(eval("{path: a, ends_with: \":*\"}", "a: \"s3:Get\""), None);
        assert_eq!(
            eval("{path: a, contains: x}", "a: [x]"),
            None,
            "lists: use [*]"
        );
        assert_eq!(
            eval("{path: \"a[*]\", contains: x}", "a: [yxy]"),
            Some(vec!["yxy".into()])
        );
    }

    #[test]
    fn length_and_version_tests_read_from_rule_yaml() {
        assert_eq!(
            eval("{path: a, length: {lt: 2}}", "a: [x]"),
            Some(vec!["[x]".into()])
        );
        assert_eq!(eval("{path: a, length: {gte: 2}}", "a: [x]"), None);
        let m = "{path: v, version: {lt: \"1.2\"}}";
        assert_eq!(eval(m, "v: TLSv1_2016"), Some(vec!["TLSv1_2016".into()]));
        assert_eq!(eval(m, "v: TLSv1.2_2021"), None);
        assert!(error("{path: v, version: {lt: 1.2}}").contains("quote"));
        assert!(error("{path: v, version: {}}").contains("needs a bound"));
        assert!(error("{path: v, version: {lt: \"x\"}}").contains("names no version"));
    }

    #[test]
    fn json_steps_decode_strings_and_leave_bad_json_unknown() {
        let m = "{path: \"defs|json[*].privileged\", equals: true}";
        let body = "defs: '[{\"privileged\": true}]'\n";
        let hit = eval(m, body).unwrap();
        assert_eq!(hit, ["true"]);
        // Not JSON: unknown, never a finding.
        assert_eq!(eval(m, "defs: '[{'\n"), Some(vec!["?".into()]));
        // Already structured (jsonencode): read as it is.
        assert_eq!(
            eval(m, "defs: [{privileged: true}]"),
            Some(vec!["true".into()])
        );
        // Inside an `each`, the elements decoded are the focus.
        let m = "{each: \"defs|json[*]\", match: {path: image, starts_with: \"docker.io/\"}}";
        assert_eq!(
            eval(
                m,
                "defs: '[{\"image\": \"docker.io/x\"}, {\"image\": \"ecr/y\"}]'\n"
            ),
            Some(vec!["docker.io/x".into()])
        );
    }

    #[test]
    fn secret_tests_read_names_values_and_environments() {
        let value = "{path: pw, secret: value}";
        assert_eq!(eval(value, "pw: hunter2"), Some(vec!["hunter2".into()]));
        assert_eq!(eval(value, "pw: 12345678"), Some(vec!["12345678".into()]));
        assert_eq!(eval(value, "pw: '{{resolve:secretsmanager:db}}'"), None);
        assert_eq!(eval(value, "other: 1"), None, "absent is no secret");
        assert_eq!(
            eval("{path: n, secret: name}", "n: API_KEY"),
            Some(vec!["API_KEY".into()])
        );
        let content = "{path: env, secret: content}";
        assert_eq!(
            eval(
                content,
                "env: {DB_PASSWORD: s3cr3t-value, STAGE: prod, K: AKIA2E0A8F3B244C9986}"
            ),
            Some(vec!["s3cr3t-value".into(), "AKIA2E0A8F3B244C9986".into()]),
            "every offending entry, each at its value"
        );
        assert_eq!(eval(content, "env: {STAGE: prod}"), None);
        assert_eq!(
            eval(content, "env: \"export TOKEN=t0k3n-v4lue\""),
            Some(vec!["export TOKEN=t0k3n-v4lue".into()])
        );
        assert!(error("{path: p, secret: maybe}").contains("name, value or content"));
    }

    #[test]
    fn type_tests_name_the_resource_in_context() {
        let m = "{all: [{path: a, equals: 1}, {type: [aws_db_instance]}]}";
        assert_eq!(
            eval_as("aws_db_instance", m, "a: 1"),
            Some(vec!["1".into()])
        );
        assert_eq!(eval_as("aws_rds_cluster", m, "a: 1"), None);
    }

    #[test]
    fn only_text_tests_read_the_known_part_of_a_string() {
        let mut member = PartialText::default();
        member.push_text("serviceAccount:");
        member.push_hole(None);
        let starts = |p: &str| Test::StartsWith(p.into());
        assert_eq!(
            partial_test(&starts("serviceAccount:"), &member),
            Some(true)
        );
        assert_eq!(partial_test(&starts("user:"), &member), Some(false));
        let lower = Test::IgnoreCase(Box::new(starts("serviceaccount:")));
        assert_eq!(partial_test(&lower, &member), Some(true));
        // Equality, membership, negations and lengths never guess.
        let whole = Value::String("serviceAccount:".into());
        for test in [
            Test::Equals(whole.clone()),
            Test::In(vec![whole.clone()]),
            Test::NotEquals(whole.clone()),
            Test::NotIn(vec![whole]),
            Test::Length(vec![(Order::Gte, 1.0)]),
        ] {
            assert_eq!(partial_test(&test, &member), None, "{test:?}");
        }
    }

    fn v(text: &str) -> Vec<u64> {
        version_of(text).unwrap()
    }

    #[test]
    fn versions_are_read_from_tls_policy_names_and_engine_versions() {
        assert_eq!(v("TLSv1.2_2021"), [1, 2]);
        assert_eq!(v("TLSv1_2016"), [1]);
        assert_eq!(v("TLSv1.1_2016"), [1, 1]);
        assert_eq!(v("TLS1_2"), [1, 2]);
        assert_eq!(v("1.2"), [1, 2]);
        assert_eq!(v("ELBSecurityPolicy-TLS-1-2-2017-01"), [1, 2]);
        assert_eq!(v("8.0.32"), [8, 0, 32]);
        assert_eq!(v("5.7.mysql_aurora.2.11.2"), [5, 7]);
        assert_eq!(v("13"), [13]);
        assert_eq!(version_of("SSLv"), None);
        assert_eq!(version_of(""), None);
        // A number too long for any version is not one.
        assert_eq!(version_of("99999999999999999999999"), None);
    }

    #[test]
    fn versions_compare_by_component_with_missing_parts_zero() {
        assert_eq!(compare_versions(&[1, 2], &[1, 2, 0]), Ordering::Equal);
        assert_eq!(compare_versions(&[1, 10], &[1, 2]), Ordering::Greater);
        assert_eq!(compare_versions(&[1], &[1, 2]), Ordering::Less);
        assert_eq!(compare_versions(&[8, 0, 32], &[8, 0, 4]), Ordering::Greater);
    }

    #[test]
    fn version_test_extracts_with_from_and_skips_non_versions() {
        let below_1_2 = VersionTest {
            bounds: vec![(Order::Lt, vec![1, 2])],
            from: None,
        };
        let s = |t: &str| Value::String(t.into());
        assert!(below_1_2.holds(&s("TLSv1_2016")));
        assert!(below_1_2.holds(&s("TLS1_0")));
        assert!(!below_1_2.holds(&s("TLSv1.2_2021")));
        assert!(!below_1_2.holds(&s("SSL")), "no version: known, not lower");
        assert!(!below_1_2.holds(&Value::List(vec![])));
        let elb = VersionTest {
            from: Some(Regex::new(r"TLS(?:13)?-(\d-\d)").unwrap()),
            ..below_1_2
        };
        assert!(elb.holds(&s("ELBSecurityPolicy-TLS13-1-0-2021-06")));
        assert!(!elb.holds(&s("ELBSecurityPolicy-TLS13-1-2-2021-06")));
        assert!(elb.holds(&s("ELBSecurityPolicy-TLS-1-1-2017-01")));
        assert!(!elb.holds(&s("ELBSecurityPolicy-2016-08")), "no match");
    }

    #[test]
    fn lengths_count_characters_elements_and_entries() {
        let at_least_two = [(Order::Gte, 2.0)];
        let list = |n: usize| {
            Value::List(vec![
                Node::new(Value::Null, crate::source::Span::default());
                n
            ])
        };
        assert!(length_holds(&at_least_two, &list(2)));
        assert!(!length_holds(&at_least_two, &list(1)));
        assert!(length_holds(&at_least_two, &Value::String("ab".into())));
        assert!(!length_holds(&at_least_two, &Value::Number(22.0)));
        let between = [(Order::Gt, 0.0), (Order::Lte, 1.0)];
        assert!(length_holds(&between, &list(1)));
        assert!(!length_holds(&between, &list(0)));
    }

    #[test]
    fn lowercase_reaches_strings_in_lists() {
        let value = Value::List(vec![Node::new(
            Value::String("AllUsers".into()),
            crate::source::Span::default(),
        )]);
        let Value::List(items) = lowercase(&value) else {
            panic!("a list stays a list");
        };
        assert_eq!(items[0].as_str(), Some("allusers"));
        assert_eq!(lowercase(&Value::Bool(true)), Value::Bool(true));
    }

    #[test]
    fn a_document_is_read_in_place_after_a_yaml_tag_and_block_indicator() {
        let doc = "{\"a\": [1,\n  2]}";
        assert_eq!(document_start(doc, "{\"a\": [1, 2]}"), Some(0));
        // From the end of the last word skipped: JSON ignores the whitespace.
        for raw in [
            format!("!Sub |-\n  {doc}"),
            format!("Fn::Sub: &p |\n  {doc}"),
        ] {
            let at = document_start(&raw, doc).unwrap();
            assert_eq!(raw[at..].trim_start(), doc);
            assert!(raw[..at].ends_with('|') || raw[..at].ends_with("|-"));
        }
        // Quotes, escapes or more than a few words first: not in place.
        assert_eq!(document_start("'{\"a\": 1}'", "{\"a\": 1}"), None);
        assert_eq!(document_start("a b c d {}", "{}"), None);
        assert_eq!(document_start("!Sub", "{}"), None);
    }
}
