//! The declarative matcher language and its three-valued evaluation.
//!
//! A matcher describes the *bad* shape. Evaluated on a node it yields
//! [`Outcome::Match`] with the places to point at, [`Outcome::NoMatch`], or
//! [`Outcome::Unknown`] when the answer depends on a value not known before
//! apply. Only a match raises a finding, so unknowns never do.

use super::index::UnitIndex;
use super::policy::PolicyMatcher;
use super::relations::{InUnit, References, Referrers};
use super::secrets::{self, SecretKind};
use super::values::{self, Decoder, VersionTest};
use crate::model::{Resource, Unit};
use crate::source::Span;
use crate::value::{Lookup, Node, Origin, Path, Value};
use regex::Regex;

#[derive(Debug)]
pub enum Matcher {
    /// Every child matches; points where the first child points.
    All(Vec<Matcher>),
    /// Some child matches; points where each matching child points.
    Any(Vec<Matcher>),
    /// The child does not match; points at the focus (block or resource header).
    Not(Box<Matcher>),
    /// Some element at `path` matches `matcher`; points at each such element's witness.
    Each { path: Path, matcher: Box<Matcher> },
    /// A test on the values at `path`.
    Test {
        path: Path,
        test: Test,
        default: Option<Value>,
    },
    /// A port range that includes one of the listed ports.
    Ports(PortsSpec),
    /// Some statement of the policy document at a path fits a pattern.
    Policy(PolicyMatcher),
    /// Resources of the unit that refer to this one (`referrers`, and
    /// `companion` with `via`).
    Referrers(Referrers),
    /// Resources this one refers to.
    References(References),
    /// Some resource of the unit (`in_unit`, and `companion` without `via`).
    InUnit(InUnit),
    /// The resource in context is of one of these types; points at its header.
    Type(Vec<String>),
}

#[derive(Debug)]
pub enum Test {
    Equals(Value),
    EqualsIgnoreCase(String),
    In(Vec<Value>),
    Matches(Regex),
    Exists(bool),
    Compare(Comparison, f64),
    /// `0.0.0.0/0`, `::/0`, any `/0`, and Azure's `*`, `Internet`, `Any`.
    OpenToInternet,
    /// A scalar other than this one (points at it, unlike `not`).
    NotEquals(Value),
    /// A scalar none of these.
    NotIn(Vec<Value>),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    /// Every bound holds on the length of a string, list or map.
    Length(Vec<(values::Order, f64)>),
    Version(VersionTest),
    /// The inner test, whose operands are lowercase, on the value lowercased.
    IgnoreCase(Box<Test>),
    /// A credential name, a credential written out, or a text holding one.
    Secret(SecretKind),
}

#[derive(Clone, Copy, Debug)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Ports written as `from`/`to` numbers (AWS) or as range strings (`"22"`,
/// `"20-30"`, `"*"` in Azure and GCP).
#[derive(Debug)]
pub struct PortsSpec {
    pub from: Option<Path>,
    pub to: Option<Path>,
    pub ranges: Option<Path>,
    /// Protocol attribute; `-1`, `all`, `*` mean every port whatever the range says.
    pub protocol: Option<Path>,
    /// The ports that must not be reachable; empty means "every port" (the rule
    /// is about ranges that open all of them).
    pub includes: Vec<u16>,
    /// An absent port specification opens all ports (GCP `allow` without `ports`).
    pub absent_is_all: bool,
}

/// A place a finding points at, with the offending value when there is one
/// and where that value was set.
#[derive(Clone, Debug, PartialEq)]
pub struct Witness {
    pub span: Span,
    pub value: Option<String>,
    pub origins: Vec<Origin>,
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Match(Vec<Witness>),
    NoMatch,
    Unknown,
}

/// What a matcher can see besides its focus node.
pub struct Context<'a> {
    pub unit: &'a Unit,
    pub resource: &'a Resource,
    /// The unit's index, through which relations are looked up.
    pub index: &'a UnitIndex<'a>,
    /// Where "something is missing" findings point.
    pub header: Span,
    /// Decodes JSON strings for `|json` path steps.
    pub decoder: &'a Decoder<'a>,
}

impl Context<'_> {
    /// The values at `path` below `focus`, decoding JSON at `|json` steps.
    pub fn lookup<'n>(&'n self, focus: &'n Node, path: &Path) -> Lookup<'n> {
        focus.lookup_with(path, &|n| self.decoder.decode(n))
    }
}

impl Witness {
    pub fn at(node: &Node) -> Self {
        let value = match &node.value {
            Value::List(_) | Value::Map(_) => None,
            v => Some(v.display()),
        };
        Witness {
            span: node.span,
            value,
            origins: node.origins.clone(),
        }
    }

    /// A place with no offending value: something missing is reported there.
    pub(super) fn place(span: Span) -> Self {
        Witness {
            span,
            value: None,
            origins: Vec::new(),
        }
    }

    fn header(ctx: &Context) -> Self {
        Witness::place(ctx.header)
    }
}

impl Matcher {
    pub fn eval(&self, focus: &Node, ctx: &Context) -> Outcome {
        match self {
            Matcher::All(children) => {
                let mut first = None;
                let mut unknown = false;
                for child in children {
                    match child.eval(focus, ctx) {
                        Outcome::NoMatch => return Outcome::NoMatch,
                        Outcome::Unknown => unknown = true,
                        Outcome::Match(w) => {
                            first.get_or_insert(w);
                        }
                    }
                }
                match (unknown, first) {
                    (true, _) => Outcome::Unknown,
                    (false, Some(w)) => Outcome::Match(w),
                    (false, None) => Outcome::NoMatch,
                }
            }
            Matcher::Any(children) => union(children.iter().map(|c| c.eval(focus, ctx))),
            Matcher::Not(child) => match child.eval(focus, ctx) {
                Outcome::Match(_) => Outcome::NoMatch,
                Outcome::Unknown => Outcome::Unknown,
                Outcome::NoMatch => Outcome::Match(vec![absent_witness(focus, ctx)]),
            },
            Matcher::Each { path, matcher } => {
                let found = ctx.lookup(focus, path);
                let unknown = (!found.unknown.is_empty()).then_some(Outcome::Unknown);
                // The elements of a list (repeated blocks), or a lone value.
                let elements = found.nodes.iter().flat_map(|n| match &n.value {
                    Value::List(items) => items.iter().collect(),
                    _ => vec![*n],
                });
                union(elements.map(|n| matcher.eval(n, ctx)).chain(unknown))
            }
            Matcher::Test {
                path,
                test,
                default,
            } => eval_test(focus, path, test, default.as_ref(), ctx),
            Matcher::Ports(spec) => eval_ports(focus, spec, ctx),
            Matcher::Policy(policy) => policy.eval(focus, ctx),
            Matcher::Referrers(relation) => relation.eval(ctx),
            Matcher::References(relation) => relation.eval(ctx),
            Matcher::InUnit(relation) => relation.eval(ctx),
            Matcher::Type(types) => {
                if types.contains(&ctx.resource.resource_type) {
                    Outcome::Match(vec![Witness::header(ctx)])
                } else {
                    Outcome::NoMatch
                }
            }
        }
    }
}

/// Some outcome matches: the union of their witnesses; else unknown if any is.
pub(super) fn union(outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let mut witnesses: Vec<Witness> = Vec::new();
    let mut unknown = false;
    for outcome in outcomes {
        match outcome {
            Outcome::Match(w) => {
                for w in w {
                    if !witnesses.contains(&w) {
                        witnesses.push(w);
                    }
                }
            }
            Outcome::Unknown => unknown = true,
            Outcome::NoMatch => {}
        }
    }
    if !witnesses.is_empty() {
        Outcome::Match(witnesses)
    } else if unknown {
        Outcome::Unknown
    } else {
        Outcome::NoMatch
    }
}

fn eval_test(
    focus: &Node,
    path: &Path,
    test: &Test,
    default: Option<&Value>,
    ctx: &Context,
) -> Outcome {
    let found = ctx.lookup(focus, path);
    if let Test::Exists(want) = test {
        // Presence is decided by the nodes found; an unknown branch could be
        // either, as could a value not known before apply (it may be null, or
        // blocks a `dynamic` block may or may not generate) unless it is text.
        let (present, maybe): (Vec<&Node>, Vec<&Node>) = found
            .nodes
            .iter()
            .partition(|n| !matches!(&n.value, Value::Unknown(u) if u.text.is_none()));
        return match (
            !present.is_empty(),
            found.unknown.is_empty() && maybe.is_empty(),
        ) {
            (true, _) if *want => Outcome::Match(vec![Witness::at(present[0])]),
            (true, _) => Outcome::NoMatch,
            (false, false) => Outcome::Unknown,
            (false, true) if *want => Outcome::NoMatch,
            (false, true) => Outcome::Match(vec![absent_witness(focus, ctx)]),
        };
    }
    if found.is_absent() {
        // Absent means the provider default, when the rule names one.
        return match default {
            Some(value) if test_value(test, value) == Some(true) => {
                Outcome::Match(vec![absent_witness(focus, ctx)])
            }
            _ => Outcome::NoMatch,
        };
    }
    let mut unknown = !found.unknown.is_empty();
    // An environment points at each entry that holds a credential, in
    // every environment found (one per container).
    let mut entries = Vec::new();
    for node in &found.nodes {
        if let (Test::Secret(SecretKind::Content), Value::Map(_) | Value::List(_)) =
            (test, &node.value)
        {
            match secrets::secret_entries(&node.value) {
                Some(hits) => entries.extend(hits.into_iter().map(Witness::at)),
                None => unknown = true,
            }
            continue;
        }
        match test_value(test, &node.value) {
            Some(true) => return Outcome::Match(vec![Witness::at(node)]),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if !entries.is_empty() {
        Outcome::Match(entries)
    } else if unknown {
        Outcome::Unknown
    } else {
        Outcome::NoMatch
    }
}

/// A missing thing is reported where its block starts: the resource header
/// for the resource itself, else the nested block in focus.
fn absent_witness(focus: &Node, ctx: &Context) -> Witness {
    if focus.span == ctx.resource.body.span {
        Witness::header(ctx)
    } else {
        Witness::place(focus.span)
    }
}

/// `None` when the value is not known.
fn test_value(test: &Test, value: &Value) -> Option<bool> {
    if let Some(text) = value.partial_text() {
        return values::partial_test(test, text);
    }
    if !value.is_known() {
        return None;
    }
    Some(match test {
        Test::Equals(want) => loosely_equal(value, want),
        Test::EqualsIgnoreCase(want) => value
            .scalar_text()
            .is_some_and(|s| s.eq_ignore_ascii_case(want)),
        Test::In(options) => options.iter().any(|o| loosely_equal(value, o)),
        Test::Matches(regex) => value.scalar_text().is_some_and(|s| regex.is_match(&s)),
        Test::Exists(_) => true,
        Test::Compare(op, bound) => {
            let Some(n) = value.as_number() else {
                return Some(false);
            };
            match op {
                Comparison::Gt => n > *bound,
                Comparison::Gte => n >= *bound,
                Comparison::Lt => n < *bound,
                Comparison::Lte => n <= *bound,
            }
        }
        Test::OpenToInternet => value.scalar_text().is_some_and(|s| is_open_to_internet(&s)),
        // Negations judge scalars only: a list or map is neither equal nor unequal.
        Test::NotEquals(want) => value.scalar_text().is_some() && !loosely_equal(value, want),
        Test::NotIn(options) => {
            value.scalar_text().is_some() && !options.iter().any(|o| loosely_equal(value, o))
        }
        Test::Contains(part) => values::text_test(value, |s| s.contains(part.as_str())),
        Test::StartsWith(prefix) => values::text_test(value, |s| s.starts_with(prefix.as_str())),
        Test::EndsWith(suffix) => values::text_test(value, |s| s.ends_with(suffix.as_str())),
        Test::Length(bounds) => values::length_holds(bounds, value),
        Test::Version(test) => test.holds(value),
        Test::IgnoreCase(inner) => return test_value(inner, &values::lowercase(value)),
        Test::Secret(kind) => secrets::holds(*kind, value),
    })
}

/// Scalars compare by text so that `"true"` and `true`, `"22"` and `22` agree,
/// as they do once Terraform and CloudFormation convert them.
fn loosely_equal(value: &Value, want: &Value) -> bool {
    match (value.scalar_text(), want.scalar_text()) {
        (Some(a), Some(b)) => a == b,
        _ => value == want,
    }
}

pub fn is_open_to_internet(text: &str) -> bool {
    let text = text.trim();
    if ["*", "internet", "any", "0.0.0.0"]
        .iter()
        .any(|w| text.eq_ignore_ascii_case(w))
    {
        return true;
    }
    text.parse::<ipnet::IpNet>()
        .is_ok_and(|net| net.prefix_len() == 0)
}

const ALL_PORTS: (u32, u32) = (0, 65535);

fn eval_ports(focus: &Node, spec: &PortsSpec, ctx: &Context) -> Outcome {
    let mut ranges: Vec<((u32, u32), &Node)> = Vec::new();
    let mut unknown = false;
    // Protocol "all" opens every port whatever the range says.
    if let Some(path) = &spec.protocol {
        let found = ctx.lookup(focus, path);
        unknown |= !found.unknown.is_empty();
        for node in found.nodes {
            match node.value.scalar_text() {
                Some(p) if ["-1", "all", "*"].contains(&p.to_ascii_lowercase().as_str()) => {
                    ranges.push((ALL_PORTS, node))
                }
                Some(_) => {}
                None => unknown = true,
            }
        }
    }
    if let (Some(from), Some(to)) = (&spec.from, &spec.to) {
        let (f, t) = (ctx.lookup(focus, from), ctx.lookup(focus, to));
        unknown |= !f.unknown.is_empty() || !t.unknown.is_empty();
        if let (Some(fnode), Some(tnode)) = (f.nodes.first(), t.nodes.first()) {
            match (fnode.value.as_number(), tnode.value.as_number()) {
                // AWS writes -1 for "all" in from/to with protocol -1.
                (Some(a), Some(b)) if a < 0.0 || b < 0.0 => ranges.push((ALL_PORTS, fnode)),
                (Some(a), Some(b)) => ranges.push(((a as u32, b as u32), fnode)),
                _ if !fnode.value.is_known() || !tnode.value.is_known() => unknown = true,
                _ => {}
            }
        }
    }
    if let Some(path) = &spec.ranges {
        let found = ctx.lookup(
            focus,
            &Path {
                steps: path
                    .steps
                    .iter()
                    .cloned()
                    .chain([crate::value::Step::Each])
                    .collect(),
            },
        );
        unknown |= !found.unknown.is_empty();
        if found.is_absent() && spec.absent_is_all {
            ranges.push((ALL_PORTS, focus));
        }
        for node in found.nodes {
            match node.value.scalar_text().map(|s| parse_port_range(&s)) {
                Some(Some(range)) => ranges.push((range, node)),
                Some(None) => {}
                None => unknown = true,
            }
        }
    }
    let hit = ranges.iter().find(|((lo, hi), _)| {
        if spec.includes.is_empty() {
            (*lo, *hi) == ALL_PORTS || (*lo <= 1 && *hi >= 65535)
        } else {
            spec.includes
                .iter()
                .any(|&p| *lo <= p as u32 && p as u32 <= *hi)
        }
    });
    match hit {
        Some((_, node)) => Outcome::Match(vec![Witness::at(node)]),
        None if unknown => Outcome::Unknown,
        None => Outcome::NoMatch,
    }
}

/// `"22"`, `"20-30"`, `"*"`.
fn parse_port_range(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    if text == "*" {
        return Some(ALL_PORTS);
    }
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => text.parse().ok().map(|p| (p, p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_to_internet_covers_cidrs_and_azure_words() {
        for open in ["0.0.0.0/0", "::/0", "*", "Internet", "any", " 0.0.0.0/0 "] {
            assert!(is_open_to_internet(open), "{open}");
        }
        for closed in [
            "10.0.0.0/8",
            "192.168.1.1/32",
            "VirtualNetwork",
            "2001:db8::/32",
        ] {
            assert!(!is_open_to_internet(closed), "{closed}");
        }
    }

    #[test]
    fn port_ranges_parse_single_ranges_and_wildcards() {
        assert_eq!(parse_port_range("22"), Some((22, 22)));
        assert_eq!(parse_port_range("1000-2000"), Some((1000, 2000)));
        assert_eq!(parse_port_range("*"), Some(ALL_PORTS));
        assert_eq!(parse_port_range("ssh"), None);
    }
}
