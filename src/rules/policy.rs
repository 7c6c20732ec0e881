//! IAM-style policy documents as data: `policy: PATH` with a `statement`
//! pattern, matched when some statement of the document at PATH fits it.
//!
//! A document is read from every form it comes in: a map (`jsonencode`,
//! CloudFormation), a JSON string or heredoc, or the JSON that evaluation
//! builds for `data "aws_iam_policy_document"`; `Statement` as one map or a
//! list; `Action`/`Resource` as a string or a list; `Principal` as `"*"` or a
//! map of `AWS`/`Service`/`Federated`/`CanonicalUser` to one id or a list.
//! Condition keys compare without regard to case, as IAM does.

use super::load::{get, Reader};
use super::matcher::{union, Context, Matcher, Outcome, Witness};
use crate::value::{Node, Path, Value};
use std::borrow::Cow;

#[derive(Debug)]
pub struct PolicyMatcher {
    /// Where the document may be: one path or several (a role's inline
    /// policies and its attached policy resources alike).
    pub paths: Vec<Path>,
    pub statement: StatementPattern,
}

/// Every test given must pass on one statement.
#[derive(Debug, Default)]
pub struct StatementPattern {
    /// `Allow` or `Deny`, as written (IAM spells them one way).
    pub effect: Option<String>,
    /// Everyone: `"*"`, `{"AWS": "*"}`, `{"*": "*"}` (a policy document's
    /// `type = "*"`), or `NotPrincipal` (everyone but the named).
    pub public_principal: bool,
    /// A whole AWS account: an `AWS` principal that is an account id or
    /// `arn:<partition>:iam::<account>:root` (every principal of it).
    pub account_principal: bool,
    pub action: Option<ElementTest>,
    pub not_action: Option<ElementTest>,
    pub resource: Option<ElementTest>,
    pub not_resource: Option<ElementTest>,
    pub condition_keys: Option<KeysTest>,
    /// `Condition` is (not) there, whatever it tests.
    pub condition_exists: Option<bool>,
    /// The statement must not fit this pattern (`Fail` when it does), so a
    /// rule can leave out the statements another rule already reports.
    pub not: Option<Box<StatementPattern>>,
}

/// A test on one statement element (`Action`, `Resource`, ...): a string or
/// a list of strings.
#[derive(Debug)]
pub enum ElementTest {
    /// Some value equals one of these (actions without regard to case).
    AnyOf(Vec<String>),
    /// Some value, read as an IAM pattern (`*`, `?`), covers one of these
    /// (`iam:*` covers `iam:PassRole`); without regard to case.
    Covers(Vec<String>),
    Exists(bool),
}

#[derive(Debug)]
pub enum KeysTest {
    /// No condition uses one of these keys (lower case).
    NoneOf(Vec<String>),
    /// Some condition uses one of these keys (lower case).
    AnyOf(Vec<String>),
}

impl PolicyMatcher {
    pub fn eval(&self, focus: &Node, ctx: &Context) -> Outcome {
        union(self.paths.iter().map(|path| {
            let found = ctx.lookup(focus, path);
            let unknown = (!found.unknown.is_empty()).then_some(Outcome::Unknown);
            union(
                found
                    .nodes
                    .iter()
                    .map(|n| self.eval_document(n, ctx))
                    .chain(unknown),
            )
        }))
    }

    fn eval_document(&self, node: &Node, ctx: &Context) -> Outcome {
        let Some(document) = document(node, ctx) else {
            return if node.value.is_known() {
                Outcome::NoMatch
            } else {
                Outcome::Unknown
            };
        };
        let Some(statements) = document.get("Statement") else {
            return Outcome::NoMatch;
        };
        let each: Vec<&Node> = match &statements.value {
            Value::List(items) => items.iter().collect(),
            Value::Map(_) => vec![statements],
            v if !v.is_known() => return Outcome::Unknown,
            _ => return Outcome::NoMatch,
        };
        union(each.into_iter().map(|s| self.statement.eval(s)))
    }
}

/// The document as a map: a map as is, a JSON string decoded (pointing
/// inside the string where its source allows, see
/// [`super::values::decode_json`]).
fn document<'a>(node: &'a Node, ctx: &Context) -> Option<Cow<'a, Node>> {
    match &node.value {
        Value::Map(_) => Some(Cow::Borrowed(node)),
        Value::String(_) => super::values::decode_json(node, ctx.unit).map(Cow::Owned),
        _ => None,
    }
}

/// One part of a statement test: passed (with the place it points at, if
/// any), failed, or not known.
enum Part {
    Pass(Option<Witness>),
    Fail,
    Unknown,
}

impl StatementPattern {
    /// All parts must pass; a failed part decides even when another is not
    /// known. The finding points at the first tested element, in the order
    /// principal, action, not_action, resource, not_resource, else at the
    /// statement.
    pub fn eval(&self, statement: &Node) -> Outcome {
        let mut parts = Vec::new();
        if let Some(effect) = &self.effect {
            parts.push(match statement.get("Effect").map(|e| &e.value) {
                Some(Value::String(s)) if s == effect => Part::Pass(None),
                Some(v) if !v.is_known() => Part::Unknown,
                _ => Part::Fail,
            });
        }
        if self.public_principal {
            parts.push(public_principal(statement));
        }
        if self.account_principal {
            parts.push(account_principal(statement));
        }
        for (key, test) in [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ] {
            if let Some(test) = test {
                parts.push(test.eval(statement.get(key), key.ends_with("Action")));
            }
        }
        if let Some(test) = &self.condition_keys {
            parts.push(test.eval(statement.get("Condition")));
        }
        if let Some(want) = self.condition_exists {
            parts.push(match statement.get("Condition") {
                Some(c) if want => Part::Pass(Some(Witness::at(c))),
                None if !want => Part::Pass(None),
                _ => Part::Fail,
            });
        }
        if let Some(excluded) = &self.not {
            parts.push(match excluded.eval(statement) {
                Outcome::Match(_) => Part::Fail,
                Outcome::NoMatch => Part::Pass(None),
                Outcome::Unknown => Part::Unknown,
            });
        }
        let mut witness = None;
        let mut unknown = false;
        for part in parts {
            match part {
                Part::Fail => return Outcome::NoMatch,
                Part::Unknown => unknown = true,
                Part::Pass(w) => {
                    if witness.is_none() {
                        witness = w;
                    }
                }
            }
        }
        if unknown {
            Outcome::Unknown
        } else {
            Outcome::Match(vec![witness.unwrap_or_else(|| Witness::at(statement))])
        }
    }
}

/// A string or each string of a list.
fn values(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

fn public_principal(statement: &Node) -> Part {
    let principal = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(p), _) => p,
        (None, Some(everyone_but)) => return Part::Pass(Some(Witness::at(everyone_but))),
        (None, None) => return Part::Fail,
    };
    match &principal.value {
        Value::String(s) if s == "*" => Part::Pass(Some(Witness::at(principal))),
        Value::Map(entries) => {
            let mut unknown = false;
            // `Service`, `Federated` and `CanonicalUser` name no one at large.
            for entry in entries.iter().filter(|e| e.key == "AWS" || e.key == "*") {
                for id in values(&entry.value) {
                    match &id.value {
                        Value::String(s) if s == "*" => return Part::Pass(Some(Witness::at(id))),
                        v if !v.is_known() => unknown = true,
                        _ => {}
                    }
                }
            }
            if unknown {
                Part::Unknown
            } else {
                Part::Fail
            }
        }
        v if !v.is_known() => Part::Unknown,
        _ => Part::Fail,
    }
}

fn account_principal(statement: &Node) -> Part {
    let Some(principal) = statement.get("Principal") else {
        return Part::Fail;
    };
    let entries = match &principal.value {
        Value::Map(entries) => entries,
        v if !v.is_known() => return Part::Unknown,
        _ => return Part::Fail,
    };
    let mut unknown = false;
    for entry in entries.iter().filter(|e| e.key == "AWS") {
        for id in values(&entry.value) {
            match &id.value {
                Value::String(s) if names_whole_account(s) => {
                    return Part::Pass(Some(Witness::at(id)))
                }
                v if !v.is_known() => unknown = true,
                _ => {}
            }
        }
    }
    if unknown {
        Part::Unknown
    } else {
        Part::Fail
    }
}

/// `123456789012` or `arn:<partition>:iam::123456789012:root`.
fn names_whole_account(id: &str) -> bool {
    let account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if account(id) {
        return true;
    }
    let parts: Vec<&str> = id.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", acct, "root"]
        if partition.starts_with("aws") && account(acct))
}

impl ElementTest {
    fn eval(&self, element: Option<&Node>, is_action: bool) -> Part {
        let wanted = match self {
            ElementTest::Exists(want) => {
                return match element {
                    Some(_) if *want => Part::Pass(element.map(Witness::at)),
                    None if !want => Part::Pass(None),
                    _ => Part::Fail,
                }
            }
            ElementTest::AnyOf(w) | ElementTest::Covers(w) => w,
        };
        let Some(element) = element else {
            return Part::Fail;
        };
        let mut unknown = !element.value.is_known();
        for item in values(element) {
            match &item.value {
                Value::String(s) if wanted.iter().any(|w| self.accepts(s, w, is_action)) => {
                    return Part::Pass(Some(Witness::at(item)))
                }
                v if !v.is_known() => unknown = true,
                _ => {}
            }
        }
        if unknown {
            Part::Unknown
        } else {
            Part::Fail
        }
    }

    fn accepts(&self, value: &str, wanted: &str, is_action: bool) -> bool {
        match self {
            ElementTest::Covers(_) => {
                pattern_covers(&value.to_ascii_lowercase(), &wanted.to_ascii_lowercase())
            }
            _ if is_action => value.eq_ignore_ascii_case(wanted),
            _ => value == wanted,
        }
    }
}

/// Whether an IAM pattern (`*` any run, `?` any one character) matches `text`.
fn pattern_covers(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Greedy match with backtracking to the last `*`: linear in practice.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl KeysTest {
    fn eval(&self, condition: Option<&Node>) -> Part {
        let used = match condition_uses(condition, self.keys()) {
            Some(used) => used,
            None => return Part::Unknown,
        };
        match (self, used) {
            (KeysTest::NoneOf(_), false) | (KeysTest::AnyOf(_), true) => Part::Pass(None),
            _ => Part::Fail,
        }
    }

    fn keys(&self) -> &[String] {
        match self {
            KeysTest::NoneOf(k) | KeysTest::AnyOf(k) => k,
        }
    }
}

/// Whether some operator of the condition tests one of `keys` (lower case);
/// `None` when the condition cannot be read.
fn condition_uses(condition: Option<&Node>, keys: &[String]) -> Option<bool> {
    let Some(condition) = condition else {
        return Some(false);
    };
    let Value::Map(operators) = &condition.value else {
        return condition.value.is_known().then_some(false);
    };
    let mut unknown = false;
    for operator in operators {
        match &operator.value.value {
            Value::Map(tested)
                if tested
                    .iter()
                    .any(|k| keys.contains(&k.key.to_ascii_lowercase())) =>
            {
                return Some(true);
            }
            v if !v.is_known() => unknown = true,
            _ => {}
        }
    }
    (!unknown).then_some(false)
}

/// Reads `policy: PATH` (or a list of paths) + `statement: {...}`.
pub fn read(r: &mut Reader, node: &Node, entries: &[crate::value::Entry]) -> Option<Matcher> {
    r.only_keys(entries, &["policy", "statement"], "a `policy` matcher");
    let paths_node = get(entries, "policy")?;
    let paths = match &paths_node.value {
        Value::List(items) => items
            .iter()
            .map(|p| r.path(p))
            .collect::<Option<Vec<_>>>()?,
        _ => vec![r.path(paths_node)?],
    };
    let statement_node = r.required(node, entries, "statement", "a `policy` matcher")?;
    let statement = read_statement(r, statement_node)?;
    Some(Matcher::Policy(PolicyMatcher { paths, statement }))
}

fn read_statement(r: &mut Reader, statement_node: &Node) -> Option<StatementPattern> {
    let fields = r.map(statement_node, "statement");
    r.only_keys(
        fields,
        &[
            "effect",
            "principal",
            "action",
            "not_action",
            "resource",
            "not_resource",
            "condition_keys",
            "condition",
            "not",
        ],
        "statement",
    );
    let mut pattern = StatementPattern::default();
    if let Some(n) = get(fields, "effect") {
        let effect = r.string(n, "effect")?;
        if effect != "Allow" && effect != "Deny" {
            r.error(n.span, "`effect` is `Allow` or `Deny`");
            return None;
        }
        pattern.effect = Some(effect);
    }
    if let Some(n) = get(fields, "principal") {
        let principal = r.map(n, "principal");
        r.only_keys(principal, &["public", "account"], "principal");
        match principal {
            [entry] if entry.value.value == Value::Bool(true) && entry.key == "public" => {
                pattern.public_principal = true
            }
            [entry] if entry.value.value == Value::Bool(true) && entry.key == "account" => {
                pattern.account_principal = true
            }
            _ => {
                r.error(
                    n.span,
                    "`principal` takes `public: true` or `account: true`",
                );
                return None;
            }
        }
    }
    for (key, slot) in [
        ("action", &mut pattern.action),
        ("not_action", &mut pattern.not_action),
        ("resource", &mut pattern.resource),
        ("not_resource", &mut pattern.not_resource),
    ] {
        if let Some(n) = get(fields, key) {
            *slot = Some(read_element_test(r, n, key)?);
        }
    }
    if let Some(n) = get(fields, "condition_keys") {
        let test = r.map(n, "condition_keys");
        r.only_keys(test, &["none_of", "any_of"], "condition_keys");
        let [entry] = test else {
            r.error(n.span, "`condition_keys` takes one of `none_of`, `any_of`");
            return None;
        };
        let keys = read_keys(r, &entry.value)?;
        pattern.condition_keys = Some(match entry.key.as_str() {
            "none_of" => KeysTest::NoneOf(keys),
            _ => KeysTest::AnyOf(keys),
        });
    }
    if let Some(n) = get(fields, "condition") {
        let test = r.map(n, "condition");
        r.only_keys(test, &["exists"], "condition");
        match test {
            [entry] if matches!(entry.value.value, Value::Bool(_)) => {
                pattern.condition_exists = Some(entry.value.value == Value::Bool(true))
            }
            _ => {
                r.error(
                    n.span,
                    "`condition` takes `exists: true` or `exists: false`",
                );
                return None;
            }
        }
    }
    if let Some(n) = get(fields, "not") {
        pattern.not = Some(Box::new(read_statement(r, n)?));
    }
    Some(pattern)
}

fn read_element_test(r: &mut Reader, node: &Node, what: &str) -> Option<ElementTest> {
    let fields = r.map(node, what);
    r.only_keys(fields, &["any_of", "covers", "exists"], what);
    let [entry] = fields else {
        r.error(
            node.span,
            format!("`{what}` takes one of `any_of`, `covers`, `exists`"),
        );
        return None;
    };
    Some(match entry.key.as_str() {
        "any_of" => ElementTest::AnyOf(r.strings(&entry.value, "a value")),
        "covers" => ElementTest::Covers(r.strings(&entry.value, "an action")),
        _ => match entry.value.value {
            Value::Bool(b) => ElementTest::Exists(b),
            _ => {
                r.error(entry.value.span, "`exists` takes true or false");
                return None;
            }
        },
    })
}

/// A list of condition keys (a shared one through a fragment,
/// `{$ref: narrowing_condition_keys}`), compared in lower case.
fn read_keys(r: &mut Reader, node: &Node) -> Option<Vec<String>> {
    if !matches!(node.value, Value::List(_)) {
        r.error(node.span, "condition keys are a list");
        return None;
    }
    let keys = r.strings(node, "a condition key");
    Some(keys.iter().map(|k| k.to_ascii_lowercase()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;
    use crate::rules::fragments::Fragments;
    use crate::rules::load::read_matcher;
    use crate::source::SourceFile;
    use crate::value::Reference;

    fn pattern(yaml: &str) -> StatementPattern {
        let text = format!("{{policy: p, statement: {yaml}}}");
        let file = SourceFile::new("rule.yaml".into(), text.as_str().into());
        let mut reader = Reader::new(&file);
        let node = crate::parse::yaml::parse_yaml(&text, 0).unwrap();
        let node = Fragments::builtin().resolve(&mut reader, node);
        let m = read_matcher(&mut reader, &node);
        assert!(reader.errors.is_empty(), "{:?}", reader.errors);
        match m {
            Some(Matcher::Policy(p)) => p.statement,
            other => panic!("{other:?}"),
        }
    }

    fn kind(o: Outcome) -> &'static str {
        match o {
            Outcome::Match(_) => "match",
            Outcome::NoMatch => "no match",
            Outcome::Unknown => "unknown",
        }
    }

    fn check(pattern_yaml: &str, cases: &[(&str, &str)]) {
        let p = pattern(pattern_yaml);
        for (json, want) in cases {
            let statement = parse_json(json, 0, 0).unwrap();
            assert_eq!(kind(p.eval(&statement)), *want, "{pattern_yaml} on {json}");
        }
    }

    const PUBLIC: &str =
        "{effect: Allow, principal: {public: true}, condition_keys: {none_of: {$ref: narrowing_condition_keys}}}";

    #[test]
    fn public_principal_in_every_shape_unless_a_condition_narrows_it() {
        check(
            PUBLIC,
            &[
                (r#"{"Effect": "Allow", "Principal": "*"}"#, "match"),
                (r#"{"Effect": "Allow", "Principal": {"AWS": "*"}}"#, "match"),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}}"#,
                    "match",
                ),
                (r#"{"Effect": "Allow", "Principal": {"*": ["*"]}}"#, "match"),
                (
                    r#"{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}}"#,
                    "match",
                ),
                // How, not who: still public.
                (
                    r#"{"Effect": "Allow", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}"#,
                    "match",
                ),
                // Keys compare without regard to case.
                (
                    r#"{"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"AWS:PrincipalOrgID": "o-1"}}}"#,
                    "no match",
                ),
                (r#"{"Effect": "Deny", "Principal": "*"}"#, "no match"),
                (
                    r#"{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"CanonicalUser": "79a59df900b949e5"}}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}"#,
                    "no match",
                ),
            ],
        );
    }

    #[test]
    fn unknown_principal_effect_or_condition_is_unknown_unless_another_part_fails() {
        let p = pattern(PUBLIC);
        let reference = Value::Ref(Reference {
            target: "aws_iam_role.r".into(),
            attribute: Some("arn".into()),
        });
        let mut s = parse_json(r#"{"Effect": "Allow", "Principal": {"AWS": "x"}}"#, 0, 0).unwrap();
        if let Value::Map(entries) = &mut s.value {
            entries[1].value.value = reference.clone();
        }
        assert_eq!(kind(p.eval(&s)), "unknown");
        let mut s = parse_json(r#"{"Effect": "x", "Principal": "*"}"#, 0, 0).unwrap();
        if let Value::Map(entries) = &mut s.value {
            entries[0].value.value = Value::Unknown("var.effect".into());
        }
        assert_eq!(kind(p.eval(&s)), "unknown");
        let mut s = parse_json(
            r#"{"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": 1}}"#,
            0,
            0,
        )
        .unwrap();
        if let Value::Map(entries) = &mut s.value {
            entries[2].value = Node::new(
                Value::Map(vec![crate::value::Entry {
                    key: "StringEquals".into(),
                    key_span: Default::default(),
                    value: Node::new(Value::Unknown("var.c".into()), Default::default()),
                }]),
                Default::default(),
            );
        }
        assert_eq!(kind(p.eval(&s)), "unknown");
        // A definite "no" elsewhere decides.
        let mut s = parse_json(r#"{"Effect": "x", "Principal": {"Service": "s"}}"#, 0, 0).unwrap();
        if let Value::Map(entries) = &mut s.value {
            entries[0].value.value = Value::Unknown("var.effect".into());
        }
        assert_eq!(kind(p.eval(&s)), "no match");
    }

    #[test]
    fn admin_wildcard_needs_star_action_on_star_resource() {
        check(
            r#"{effect: Allow, action: {any_of: ["*", "*:*"]}, resource: {any_of: ["*"]}}"#,
            &[
                (
                    r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["*"]}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#,
                    "no match",
                ),
            ],
        );
    }

    #[test]
    fn pass_role_on_every_resource_through_wildcards_and_any_case() {
        check(
            r#"{effect: Allow, action: {covers: ["iam:PassRole"]}, resource: {any_of: ["*"]}}"#,
            &[
                (
                    r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "IAM:passrole", "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": ["s3:*", "iam:Pass*"], "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "iam:P?ssRole", "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/x"}"#,
                    "no match",
                ),
            ],
        );
    }

    #[test]
    fn trust_policy_without_external_id() {
        check(
            r#"{effect: Allow, action: {covers: ["sts:AssumeRole"]}, condition_keys: {none_of: ["sts:ExternalId"]}}"#,
            &[
                (
                    r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::1:root"}}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Condition": {"stringequals": {"STS:EXTERNALID": "x"}}}"#,
                    "no match",
                ),
            ],
        );
        check(
            r#"{not_action: {exists: true}}"#,
            &[
                (r#"{"Effect": "Allow", "NotAction": "iam:*"}"#, "match"),
                (r#"{"Effect": "Allow", "Action": "iam:*"}"#, "no match"),
            ],
        );
    }

    #[test]
    fn not_leaves_out_statements_another_pattern_fits() {
        // Every action, but not on every resource (the admin shape).
        check(
            r#"{effect: Allow, action: {any_of: ["*"]}, not: {resource: {any_of: ["*"]}}}"#,
            &[
                (
                    r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:s3:::b", "*"]}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"}"#,
                    "match",
                ),
            ],
        );
        let p = pattern(r#"{action: {any_of: ["*"]}, not: {resource: {any_of: ["*"]}}}"#);
        let mut s = parse_json(r#"{"Action": "*", "Resource": "x"}"#, 0, 0).unwrap();
        if let Value::Map(entries) = &mut s.value {
            entries[1].value.value = Value::Unknown("var.resource".into());
        }
        assert_eq!(kind(p.eval(&s)), "unknown");
    }

    #[test]
    fn condition_present_or_absent_whatever_it_tests() {
        check(
            r#"{effect: Allow, condition: {exists: false}}"#,
            &[
                (r#"{"Effect": "Allow", "Action": "s3:*"}"#, "match"),
                (
                    r#"{"Effect": "Allow", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}"#,
                    "no match",
                ),
            ],
        );
    }

    #[test]
    fn account_principal_is_an_account_id_or_its_root() {
        check(
            r#"{effect: Allow, principal: {account: true}}"#,
            &[
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:role/x", "210987654321"]}}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws-us-gov:iam::123456789012:root"}}"#,
                    "match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/deploy"}}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"AWS": "*"}}"#,
                    "no match",
                ),
                (
                    r#"{"Effect": "Allow", "Principal": {"Service": "123456789012"}}"#,
                    "no match",
                ),
                (r#"{"Effect": "Allow", "Principal": "*"}"#, "no match"),
            ],
        );
    }

    #[test]
    fn principal_takes_one_kind() {
        let text = "{policy: p, statement: {principal: {public: true, account: true}}}";
        let file = SourceFile::new("rule.yaml".into(), text.into());
        let node = crate::parse::yaml::parse_yaml(text, 0).unwrap();
        let mut reader = Reader::new(&file);
        assert!(read_matcher(&mut reader, &node).is_none());
        assert!(reader.errors[0].message.contains("`account: true`"));
    }

    #[test]
    fn iam_patterns() {
        assert!(pattern_covers("*", "iam:passrole"));
        assert!(pattern_covers("iam:*role", "iam:passrole"));
        assert!(pattern_covers("*:*", "iam:passrole"));
        assert!(!pattern_covers("iam:*x", "iam:passrole"));
        assert!(!pattern_covers("iam:passrol", "iam:passrole"));
    }

    #[test]
    fn condition_keys_are_a_list() {
        let text = "{policy: p, statement: {condition_keys: {none_of: aws:SourceIp}}}";
        let file = SourceFile::new("rule.yaml".into(), text.into());
        let node = crate::parse::yaml::parse_yaml(text, 0).unwrap();
        let mut reader = Reader::new(&file);
        assert!(read_matcher(&mut reader, &node).is_none());
        assert!(reader.errors[0]
            .message
            .contains("condition keys are a list"));
    }
}
