//! Named predicates for what the declarative form cannot say well: IAM policy
//! documents, whichever way they were written (a map from `jsonencode` or a
//! CloudFormation `PolicyDocument`, a JSON string or heredoc, or the statement
//! blocks of `data "aws_iam_policy_document"`, which evaluation turns into the
//! same JSON shape).

use super::matcher::{union, Context, Outcome, Witness};
use crate::value::{Node, Value};
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// An `Allow` statement whose principal is everyone (`*`, `{"AWS": "*"}`)
    /// and that no condition narrows to known callers.
    PolicyPublicPrincipal,
    /// An `Allow` of every action (`*`) on every resource (`*`).
    PolicyAdminWildcard,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 2] = [
        ("policy_public_principal", Builtin::PolicyPublicPrincipal),
        ("policy_admin_wildcard", Builtin::PolicyAdminWildcard),
    ];

    pub fn parse(name: &str) -> Option<Builtin> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

/// Condition keys that restrict *who* or *from where* a statement applies;
/// an `Allow *` carrying one of these is not public. Keys such as
/// `aws:SecureTransport` restrict how, not who, so they do not count.
const NARROWING_CONDITION_KEYS: [&str; 16] = [
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceowner",
    "aws:userid",
    "aws:username",
    "aws:principalservicename",
    "aws:vpcsourceip",
];

pub fn eval(builtin: Builtin, node: &Node, ctx: &Context) -> Outcome {
    let Some(document) = policy_document(node, ctx) else {
        return if node.value.is_known() {
            Outcome::NoMatch
        } else {
            Outcome::Unknown
        };
    };
    let statements = match document.get("Statement") {
        None => return Outcome::NoMatch,
        Some(s) => s,
    };
    let each: Vec<&Node> = match &statements.value {
        Value::List(items) => items.iter().collect(),
        Value::Map(_) => vec![statements],
        v if !v.is_known() => return Outcome::Unknown,
        _ => return Outcome::NoMatch,
    };
    union(each.into_iter().map(|statement| match builtin {
        Builtin::PolicyPublicPrincipal => public_principal(statement),
        Builtin::PolicyAdminWildcard => admin_wildcard(statement),
    }))
}

/// The policy as a map: a map as is, a JSON string decoded (pointing inside
/// the string where its source allows, see [`super::values::decode_json`]).
fn policy_document<'a>(node: &'a Node, ctx: &Context) -> Option<Cow<'a, Node>> {
    match &node.value {
        Value::Map(_) => Some(Cow::Borrowed(node)),
        Value::String(_) => super::values::decode_json(node, ctx.unit).map(Cow::Owned),
        _ => None,
    }
}

/// `Some(true)` for an `Allow`, `None` when the effect is not known.
fn is_allow(statement: &Node) -> Option<bool> {
    match statement.get("Effect").map(|e| &e.value) {
        Some(Value::String(effect)) => Some(effect == "Allow"),
        Some(v) if !v.is_known() => None,
        _ => Some(false),
    }
}

fn public_principal(statement: &Node) -> Outcome {
    match is_allow(statement) {
        None => return Outcome::Unknown,
        Some(false) => return Outcome::NoMatch,
        Some(true) => {}
    }
    // `Allow` with `NotPrincipal` grants everyone but the named principals.
    let not_principal = statement.get("NotPrincipal");
    let public = match (statement.get("Principal"), not_principal) {
        (Some(p), _) => wildcard_principal(p),
        (None, Some(np)) => Some(Ok(Witness::at(np))),
        (None, None) => None,
    };
    let witness = match public {
        None => return Outcome::NoMatch,
        Some(Err(())) => return Outcome::Unknown,
        Some(Ok(w)) => w,
    };
    match narrowed_by_condition(statement) {
        Some(true) => Outcome::NoMatch,
        Some(false) => Outcome::Match(vec![witness]),
        None => Outcome::Unknown,
    }
}

/// The `*` principal element, `Err` when the principal is not known.
fn wildcard_principal(principal: &Node) -> Option<Result<Witness, ()>> {
    match &principal.value {
        Value::String(s) if s == "*" => Some(Ok(Witness::at(principal))),
        Value::Map(entries) => {
            let mut unknown = false;
            for entry in entries {
                // `{"AWS": "*"}`, and `{"*": ["*"]}` from a policy document's `type = "*"`.
                if entry.key != "AWS" && entry.key != "*" {
                    continue;
                }
                for id in ids(&entry.value) {
                    match &id.value {
                        Value::String(s) if s == "*" => return Some(Ok(Witness::at(id))),
                        v if !v.is_known() => unknown = true,
                        _ => {}
                    }
                }
            }
            unknown.then_some(Err(()))
        }
        v if !v.is_known() => Some(Err(())),
        _ => None,
    }
}

fn ids(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

/// Whether a condition limits the callers; `None` when it cannot be read.
fn narrowed_by_condition(statement: &Node) -> Option<bool> {
    let Some(condition) = statement.get("Condition") else {
        return Some(false);
    };
    let Value::Map(operators) = &condition.value else {
        return if condition.value.is_known() {
            Some(false)
        } else {
            None
        };
    };
    let mut unknown = false;
    for operator in operators {
        match &operator.value.value {
            Value::Map(keys)
                if keys.iter().any(|k| {
                    NARROWING_CONDITION_KEYS.contains(&k.key.to_ascii_lowercase().as_str())
                }) =>
            {
                return Some(true);
            }
            v if !v.is_known() => unknown = true,
            _ => {}
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

fn admin_wildcard(statement: &Node) -> Outcome {
    match is_allow(statement) {
        None => return Outcome::Unknown,
        Some(false) => return Outcome::NoMatch,
        Some(true) => {}
    }
    let wildcard = |key: &str, values: &[&str]| -> Result<Option<Witness>, ()> {
        let Some(node) = statement.get(key) else {
            return Ok(None);
        };
        let mut unknown = !node.value.is_known();
        for item in ids(node) {
            match &item.value {
                Value::String(s) if values.contains(&s.as_str()) => {
                    return Ok(Some(Witness::at(item)))
                }
                v if !v.is_known() => unknown = true,
                _ => {}
            }
        }
        if unknown {
            Err(())
        } else {
            Ok(None)
        }
    };
    match (
        wildcard("Action", &["*", "*:*"]),
        wildcard("Resource", &["*"]),
    ) {
        (Ok(Some(action)), Ok(Some(_))) => Outcome::Match(vec![action]),
        (Ok(None), _) | (_, Ok(None)) => Outcome::NoMatch,
        _ => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;
    use crate::value::Reference;

    fn statement(json: &str) -> Node {
        parse_json(json, 0, 0).unwrap()
    }

    fn outcome_kind(o: Outcome) -> &'static str {
        match o {
            Outcome::Match(_) => "match",
            Outcome::NoMatch => "no match",
            Outcome::Unknown => "unknown",
        }
    }

    #[test]
    fn public_principal_needs_allow_and_no_narrowing_condition() {
        let cases = [
            (r#"{"Effect": "Allow", "Principal": "*"}"#, "match"),
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
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}"#,
                "no match",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(
                outcome_kind(public_principal(&statement(json))),
                want,
                "{json}"
            );
        }
    }

    #[test]
    fn unknown_principal_or_effect_is_unknown() {
        let mut s = statement(r#"{"Effect": "Allow", "Principal": {"AWS": "x"}}"#);
        let principal = match &mut s.value {
            Value::Map(entries) => &mut entries[1].value.value,
            _ => unreachable!(),
        };
        *principal = Value::Ref(Reference {
            target: "aws_iam_role.r".into(),
            attribute: Some("arn".into()),
        });
        assert_eq!(outcome_kind(public_principal(&s)), "unknown");
        let mut s = statement(r#"{"Effect": "x", "Principal": "*"}"#);
        if let Value::Map(entries) = &mut s.value {
            entries[0].value.value = Value::Unknown("var.effect".into());
        }
        assert_eq!(outcome_kind(public_principal(&s)), "unknown");
    }

    #[test]
    fn admin_wildcard_needs_star_action_on_star_resource() {
        let cases = [
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
        ];
        for (json, want) in cases {
            assert_eq!(
                outcome_kind(admin_wildcard(&statement(json))),
                want,
                "{json}"
            );
        }
    }
}
