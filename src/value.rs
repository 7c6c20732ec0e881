//! The value model shared by both frameworks.
//!
//! Every node keeps the span it came from. A value is either known (null, bool,
//! number, string, list, map), a reference to another resource (linkable, but
//! its value is known only after apply), or unknown. Rules never fire on
//! references or unknowns; see [`Value::is_known`]. An unknown string may
//! keep the text known around its unknown parts ([`PartialText`]), which only
//! the text tests that this known text settles read.

use crate::source::Span;

/// A value with the span of the source text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the value is used (the attribute's expression), which is where
    /// a finding points.
    pub span: Span,
    /// Where the value was set, when it reached this use through a variable,
    /// local, tfvars entry, module input, parameter default, mapping or
    /// condition branch: nearest first. Empty for a literal written in place.
    pub origins: Vec<Origin>,
}

/// One step of a value's provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub span: Span,
    /// What happened there, e.g. "default of variable `admin_cidr`",
    /// "set in terraform.tfvars", "default of parameter `SshCidr`".
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Terraform `null`, YAML `~`/`null`, JSON `null`: the same as absent.
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Node>),
    /// Entries in source order. Terraform nested blocks are entries too: all
    /// blocks of one type become one entry whose value is a list of maps.
    Map(Vec<Entry>),
    /// An attribute of another resource (or a CloudFormation `Ref`/`GetAtt`):
    /// unknown as a value, but it links the two resources.
    Ref(Reference),
    /// A value that cannot be known before apply, with the reason.
    Unknown(Unknown),
}

/// Why a value is unknown: rules never fire on any kind, but evaluation
/// tells them apart (`try` catches a failure, a crossed limit is reported).
#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    pub kind: UnknownKind,
    pub reason: String,
    /// For a string built around unknown parts (a template, `format`,
    /// `join`): the text known around them. It lives inside the unknown, so
    /// every reader that does not ask for it sees an unknown and nothing
    /// that is unknown can raise a finding by accident.
    pub text: Option<Box<PartialText>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownKind {
    /// Known only after apply or deploy: a data source, a computed
    /// attribute, a variable or parameter with no value.
    AfterApply,
    /// An expression Terraform or CloudFormation would reject (a missing map
    /// key, a division by zero).
    Failure,
    /// A value demarc did not build because it would cross one of demarc's
    /// limits (the real tool has none there).
    OverLimit,
}

impl Unknown {
    pub fn new(kind: UnknownKind, reason: impl Into<String>) -> Unknown {
        Unknown {
            kind,
            reason: reason.into(),
            text: None,
        }
    }
}

/// A string of which some pieces are known: `"arn:${x}/*"` is the text
/// `arn:`, a hole, and the text `/*`. A hole stands for any text, the empty
/// text included, so a test is decided only when the known pieces alone
/// settle it whatever the holes hold; otherwise it stays unknown.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PartialText {
    /// No two texts in a row, and no empty text.
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    /// Unknown text, with the span of the expression that made it when that
    /// was written in place (policy decoding maps it back into the source).
    Hole(Option<Span>),
}

impl PartialText {
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.pieces.last_mut() {
            Some(Piece::Text(last)) => last.push_str(text),
            _ => self.pieces.push(Piece::Text(text.to_string())),
        }
    }

    pub fn push_hole(&mut self, at: Option<Span>) {
        self.pieces.push(Piece::Hole(at));
    }

    pub fn append(&mut self, other: &PartialText) {
        for piece in &other.pieces {
            match piece {
                Piece::Text(text) => self.push_text(text),
                Piece::Hole(at) => self.push_hole(*at),
            }
        }
    }

    /// Bytes of known text, for the limits on string size.
    pub fn known_len(&self) -> usize {
        self.known().map(str::len).sum()
    }

    fn known(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Text(text) => Some(text.as_str()),
            Piece::Hole(_) => None,
        })
    }

    pub fn has_holes(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Hole(_)))
    }

    /// A string when nothing is missing, else an unknown keeping this text.
    pub fn into_value(mut self, reason: &str) -> Value {
        if !self.has_holes() {
            // One piece at most: no text is copied.
            return Value::String(match self.pieces.pop() {
                Some(Piece::Text(text)) => text,
                _ => String::new(),
            });
        }
        Value::Unknown(Unknown {
            text: Some(Box::new(self)),
            ..Unknown::new(UnknownKind::AfterApply, reason)
        })
    }

    /// The known text before the first hole and after the last one.
    fn ends(&self) -> (&str, &str) {
        fn text(piece: Option<&Piece>) -> &str {
            match piece {
                Some(Piece::Text(t)) => t,
                _ => "",
            }
        }
        (text(self.pieces.first()), text(self.pieces.last()))
    }

    /// True when the leading text starts with `prefix`; false when the two
    /// differ within the leading text; unknown when a hole comes first.
    pub fn starts_with(&self, prefix: &str) -> Option<bool> {
        let (lead, _) = self.ends();
        if lead.starts_with(prefix) {
            Some(true)
        } else if prefix.starts_with(lead) {
            None
        } else {
            Some(false)
        }
    }

    pub fn ends_with(&self, suffix: &str) -> Option<bool> {
        let (_, tail) = self.ends();
        if tail.ends_with(suffix) {
            Some(true)
        } else if suffix.ends_with(tail) {
            None
        } else {
            Some(false)
        }
    }

    /// True when a known piece holds `part`; never false, since a hole may.
    pub fn contains(&self, part: &str) -> Option<bool> {
        self.known().any(|t| t.contains(part)).then_some(true)
    }

    /// True when the regex matches inside a known piece where the match
    /// cannot depend on the holes: a pattern without assertions anywhere, one
    /// asserting only a start (`^`) in the leading text, one asserting only
    /// an end (`$`) in the trailing text. Never false, since a hole may match.
    pub fn matches(&self, regex: &regex::Regex) -> Option<bool> {
        use regex_syntax::hir::Look;
        let looks = regex_syntax::parse(regex.as_str())
            .ok()?
            .properties()
            .look_set();
        let only = |allowed: &[Look]| looks.iter().all(|l| allowed.contains(&l));
        let last = self.pieces.len() - 1;
        let decides = self.pieces.iter().enumerate().any(|(i, piece)| {
            let Piece::Text(text) = piece else {
                return false;
            };
            let placed = looks.is_empty()
                || (i == 0 && only(&[Look::Start, Look::StartLF]))
                || (i == last && only(&[Look::End, Look::EndLF]));
            placed && regex.is_match(text)
        });
        decides.then_some(true)
    }

    pub fn to_lowercase(&self) -> PartialText {
        let pieces = self.pieces.iter().map(|p| match p {
            Piece::Text(text) => Piece::Text(text.to_lowercase()),
            hole => hole.clone(),
        });
        PartialText {
            pieces: pieces.collect(),
        }
    }

    /// The text with `${...}` for each hole, for messages.
    pub fn display(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(text) => text.as_str(),
                Piece::Hole(_) => "${...}",
            })
            .collect()
    }
}

/// A plain reason is a value known only after apply.
impl From<String> for Unknown {
    fn from(reason: String) -> Unknown {
        Unknown::new(UnknownKind::AfterApply, reason)
    }
}

impl From<&str> for Unknown {
    fn from(reason: &str) -> Unknown {
        Unknown::new(UnknownKind::AfterApply, reason)
    }
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// A reference to another resource of the same unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Terraform address without attribute (`aws_s3_bucket.logs`,
    /// `data.aws_iam_policy_document.p`) or CloudFormation logical ID.
    pub target: String,
    /// The attribute read (`id`, `arn`, `GroupId`); `None` for a plain `Ref`.
    pub attribute: Option<String>,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node {
            value,
            span,
            origins: Vec::new(),
        }
    }

    /// The entry for `key` when this node is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Resolves a path such as `ingress[*].cidr_blocks[*]` or
    /// `Properties.PolicyDocument.Statement`.
    ///
    /// A key step applied to a list applies to every element, because
    /// Terraform writes a single nested block and a list of blocks alike.
    pub fn lookup(&self, path: &Path) -> Lookup<'_> {
        self.lookup_with(path, &structured_only)
    }

    /// [`Node::lookup`] with a decoder for `|json` steps: it returns the
    /// decoded document, or `None` when the value cannot be decoded (which
    /// makes that branch unknown).
    pub fn lookup_with<'a>(
        &'a self,
        path: &Path,
        decode: &dyn Fn(&'a Node) -> Option<&'a Node>,
    ) -> Lookup<'a> {
        let mut current = vec![self];
        let mut unknown = Vec::new();
        for step in &path.steps {
            let mut next = Vec::new();
            for node in current {
                match (&node.value, step) {
                    // A JSON text with unknown parts may still decode.
                    (Value::Unknown(u), Step::Json) if u.text.is_some() => match decode(node) {
                        Some(decoded) => next.push(decoded),
                        None => unknown.push(node),
                    },
                    // It is a string for sure: `[*]` is the string itself.
                    (Value::Unknown(u), Step::Each) if u.text.is_some() => next.push(node),
                    (Value::Unknown(_) | Value::Ref(_), _) => unknown.push(node),
                    (Value::Null, Step::Json) => {}
                    (_, Step::Json) => match decode(node) {
                        Some(decoded) => next.push(decoded),
                        None => unknown.push(node),
                    },
                    _ => step_into(node, step, &mut next, &mut unknown),
                }
            }
            current = next;
        }
        // A null at the end of a path is the attribute being unset.
        current.retain(|n| n.value != Value::Null);
        Lookup {
            nodes: current,
            unknown,
        }
    }
}

fn step_into<'a>(
    node: &'a Node,
    step: &Step,
    out: &mut Vec<&'a Node>,
    unknown: &mut Vec<&'a Node>,
) {
    match (&node.value, step) {
        (Value::Unknown(_) | Value::Ref(_), _) => unknown.push(node),
        (Value::Map(entries), Step::Key(key)) => {
            out.extend(entries.iter().filter(|e| &e.key == key).map(|e| &e.value));
        }
        (Value::List(items), Step::Key(_)) => {
            for item in items {
                step_into(item, step, out, unknown);
            }
        }
        (Value::List(items), Step::Each) => out.extend(items.iter()),
        (Value::List(items), Step::Index(i)) => out.extend(items.get(*i)),
        // `[*]` on a map is each of its values.
        (Value::Map(entries), Step::Each) => out.extend(entries.iter().map(|e| &e.value)),
        // `[*]` on a single value is the value itself, as in Terraform splats.
        (_, Step::Each) => out.push(node),
        _ => {}
    }
}

/// The `|json` decoder of [`Node::lookup`]: a map or list (already
/// structured, e.g. from `jsonencode`) is itself; a string cannot be decoded
/// without a place to keep the result, so it is unknown.
fn structured_only(node: &Node) -> Option<&Node> {
    matches!(node.value, Value::Map(_) | Value::List(_)).then_some(node)
}

/// The result of a path lookup: the nodes found and the unknown nodes that
/// stopped the walk on some branch.
#[derive(Debug)]
pub struct Lookup<'a> {
    pub nodes: Vec<&'a Node>,
    pub unknown: Vec<&'a Node>,
}

impl Lookup<'_> {
    /// Nothing found and nothing unknown: the attribute is absent.
    pub fn is_absent(&self) -> bool {
        self.nodes.is_empty() && self.unknown.is_empty()
    }
}

impl Value {
    /// Known values are everything but references and unknowns; a list or map
    /// is known even when some of its elements are not.
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Ref(_) | Value::Unknown(_))
    }

    /// A short rendering for messages (`"0.0.0.0/0"`, `true`, `22`).
    pub fn display(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => s.clone(),
            Value::List(_) => "[...]".into(),
            Value::Map(_) => "{...}".into(),
            Value::Ref(r) => match &r.attribute {
                Some(a) => format!("{}.{}", r.target, a),
                None => r.target.clone(),
            },
            Value::Unknown(Unknown {
                text: Some(text), ..
            }) => text.display(),
            Value::Unknown(_) => "(known after apply)".into(),
        }
    }

    /// The known text of a string known only in part.
    pub fn partial_text(&self) -> Option<&PartialText> {
        match self {
            Value::Unknown(Unknown {
                text: Some(text), ..
            }) => Some(text),
            _ => None,
        }
    }
}

impl Value {
    /// A scalar as text, the way Terraform and CloudFormation convert them:
    /// `"22"`, `22` and `true` compare as their text.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(_) | Value::Bool(_) => Some(self.display()),
            _ => None,
        }
    }

    /// A number, or a string holding one (`"22"`); never infinite or NaN
    /// (`1e400` overflows: no port, size or count is infinite).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|n: &f64| n.is_finite())
    }
}

impl Node {
    /// Gives this node and everything below it one span: for values decoded
    /// from a string whose inner positions cannot be mapped back to the file.
    pub fn respan(&mut self, span: Span) {
        self.span = span;
        match &mut self.value {
            Value::List(items) => items.iter_mut().for_each(|n| n.respan(span)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key_span = span;
                e.value.respan(span);
            }),
            _ => {}
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A parsed attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// `[*]`: every element of a list, every value of a map.
    Each,
    /// `|json`: the JSON document a string holds.
    Json,
}

impl Path {
    /// Parses `a.b[*].c[0]`; keys may be quoted to hold dots or colons
    /// (`Condition."aws:SourceIp"`). `|json` after a step decodes the JSON
    /// string found there (`container_definitions|json[*].image`). The
    /// empty path is the node itself.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut steps = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                rest = r;
            }
            if let Some(r) = rest.strip_prefix('|') {
                let end = r.find(['.', '[', '|']).unwrap_or(r.len());
                if &r[..end] != "json" {
                    return Err(format!(
                        "unknown step `|{}` in path `{text}`; the only one is `|json`",
                        &r[..end]
                    ));
                }
                steps.push(Step::Json);
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let close = r
                    .find(']')
                    .ok_or_else(|| format!("unclosed `[` in path `{text}`"))?;
                let inner = &r[..close];
                steps.push(if inner == "*" {
                    Step::Each
                } else {
                    Step::Index(
                        inner
                            .parse()
                            .map_err(|_| format!("bad index `[{inner}]` in path `{text}`"))?,
                    )
                });
                rest = &r[close + 1..];
            } else if let Some(r) = rest.strip_prefix('"') {
                let close = r
                    .find('"')
                    .ok_or_else(|| format!("unclosed quote in path `{text}`"))?;
                steps.push(Step::Key(r[..close].to_string()));
                rest = &r[close + 1..];
            } else {
                let end = rest.find(['.', '[', '|']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(format!("empty key in path `{text}`"));
                }
                steps.push(Step::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        Ok(Path { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Value) -> Node {
        Node::new(v, Span::default())
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        s(Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.into(),
                    key_span: Span::default(),
                    value: v,
                })
                .collect(),
        ))
    }

    #[test]
    fn path_parses_keys_indexes_wildcards_and_quoted_keys() {
        let p = Path::parse(r#"ingress[*].cidr_blocks[0]."aws:SourceIp""#).unwrap();
        assert_eq!(
            p.steps,
            vec![
                Step::Key("ingress".into()),
                Step::Each,
                Step::Key("cidr_blocks".into()),
                Step::Index(0),
                Step::Key("aws:SourceIp".into()),
            ]
        );
        assert!(Path::parse("a[x]").is_err());
        assert_eq!(
            Path::parse("defs|json[*].image").unwrap().steps,
            vec![
                Step::Key("defs".into()),
                Step::Json,
                Step::Each,
                Step::Key("image".into()),
            ]
        );
        assert!(Path::parse("defs|yaml").is_err());
    }

    #[test]
    fn each_on_a_map_yields_its_values() {
        let doc = map(vec![(
            "tags",
            map(vec![
                ("a", s(Value::String("x".into()))),
                ("b", s(Value::String("y".into()))),
            ]),
        )]);
        let found = doc.lookup(&Path::parse("tags[*]").unwrap());
        let values: Vec<_> = found.nodes.iter().filter_map(|n| n.as_str()).collect();
        assert_eq!(values, ["x", "y"]);
    }

    #[test]
    fn json_steps_pass_structures_and_leave_strings_to_the_decoder() {
        let doc = map(vec![
            ("m", map(vec![("k", s(Value::Bool(true)))])),
            ("t", s(Value::String("{}".into()))),
        ]);
        let found = doc.lookup(&Path::parse("m|json.k").unwrap());
        assert_eq!(found.nodes[0].value, Value::Bool(true));
        // Without a decoder a JSON string is unknown, never absent.
        let found = doc.lookup(&Path::parse("t|json.k").unwrap());
        assert!(found.nodes.is_empty());
        assert_eq!(found.unknown.len(), 1);
    }

    /// `"a${x}b"` style: `None` marks a hole.
    fn partial(pieces: &[Option<&str>]) -> PartialText {
        let mut text = PartialText::default();
        for piece in pieces {
            match piece {
                Some(known) => text.push_text(known),
                None => text.push_hole(None),
            }
        }
        text
    }

    #[test]
    fn partial_text_decides_prefix_and_suffix_tests_only_from_known_ends() {
        let member = partial(&[Some("serviceAccount:"), None]);
        assert_eq!(member.starts_with("serviceAccount:"), Some(true));
        assert_eq!(member.starts_with("service"), Some(true));
        assert_eq!(member.starts_with("user:"), Some(false));
        // The hole may complete a longer prefix.
        assert_eq!(member.starts_with("serviceAccount:ci@"), None);
        assert_eq!(member.ends_with(".com"), None, "the end is the hole");
        let arn = partial(&[None, Some("/*")]);
        assert_eq!(arn.ends_with("/*"), Some(true));
        assert_eq!(arn.ends_with("x/*"), None);
        assert_eq!(arn.ends_with("*/"), Some(false));
        assert_eq!(arn.starts_with("arn:"), None, "the start is the hole");
        assert_eq!(arn.display(), "${...}/*");
    }

    #[test]
    fn partial_text_finds_substrings_and_patterns_but_never_denies_them() {
        let text = partial(&[Some("arn:aws:s3:::"), None, Some("-logs/*")]);
        assert_eq!(text.contains("s3"), Some(true));
        assert_eq!(text.contains("s3:::b"), None, "may span the hole");
        assert_eq!(text.contains("nowhere"), None, "the hole may hold it");
        let re = |p: &str| regex::Regex::new(p).unwrap();
        assert_eq!(text.matches(&re("s3|ec2")), Some(true));
        assert_eq!(
            text.matches(&re("^arn:")),
            Some(true),
            "a start in the lead"
        );
        assert_eq!(
            text.matches(&re("logs/\\*$")),
            Some(true),
            "an end in the tail"
        );
        // `$` in the leading text would be the hole's start, not the end.
        assert_eq!(text.matches(&re("^arn:aws:s3:::$")), None);
        assert_eq!(text.matches(&re("^-logs")), None);
        // A word boundary next to a hole depends on what the hole holds.
        assert_eq!(text.matches(&re("\\blogs")), None);
        assert_eq!(text.matches(&re("^x")), None);
        let lower = partial(&[Some("Admin-"), None]).to_lowercase();
        assert_eq!(lower.starts_with("admin-"), Some(true));
    }

    #[test]
    fn partial_text_is_a_string_once_complete_and_an_unknown_otherwise() {
        assert_eq!(
            partial(&[Some("a"), Some("b")]).into_value("t"),
            Value::String("ab".into())
        );
        let value = partial(&[Some("a"), None]).into_value("t");
        assert!(!value.is_known());
        assert_eq!(value.display(), "a${...}");
        assert_eq!(value.partial_text().unwrap().known_len(), 1);
        // Nothing that reads values without asking for the known text sees it.
        let doc = map(vec![("m", s(value))]);
        let found = doc.lookup(&Path::parse("m.k").unwrap());
        assert_eq!((found.nodes.len(), found.unknown.len()), (0, 1));
        assert_eq!(doc.lookup(&Path::parse("m[*]").unwrap()).nodes.len(), 1);
        assert_eq!(Value::Unknown("x".into()).partial_text(), None);
    }

    #[test]
    fn key_steps_flatten_lists_and_report_unknowns() {
        let doc = map(vec![(
            "ingress",
            s(Value::List(vec![
                map(vec![("cidr", s(Value::String("0.0.0.0/0".into())))]),
                map(vec![("cidr", s(Value::Unknown("var".into())))]),
                s(Value::Ref(Reference {
                    target: "x.y".into(),
                    attribute: None,
                })),
            ])),
        )]);
        let found = doc.lookup(&Path::parse("ingress.cidr").unwrap());
        assert_eq!(found.nodes.len(), 2);
        assert_eq!(found.nodes[0].as_str(), Some("0.0.0.0/0"));
        assert_eq!(found.unknown.len(), 1, "the Ref element stops its branch");
        assert!(doc.lookup(&Path::parse("egress").unwrap()).is_absent());
    }
}
