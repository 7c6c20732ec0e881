//! Credentials written into code: the `secret:` value test, and the masking
//! that keeps a sensitive rule's findings from repeating what they found.
//!
//! Three questions, one per kind of the test:
//! - `name`: does a key name say it holds a credential (`DB_PASSWORD`,
//!   `api_key`, but not `DB_PASSWORD_ARN`)?
//! - `value`: is a value a credential written out, rather than a
//!   placeholder or a pointer to one kept elsewhere (`{{resolve:...}}`,
//!   `${VAR}`, an ARN)?
//! - `content`: does a text hold one: an AWS access key id, a private key,
//!   or a credential-named key set to a credential (`PASSWORD=...`,
//!   `"token": "..."`, `--password ...`), also inside base64?

use crate::finding::{Location, ScanResult};
use crate::value::{Node, Value};
use aho_corasick::AhoCorasick;
use base64::Engine;
use rayon::prelude::*;
use regex::Regex;
use std::collections::HashMap;
use std::ops::Not;
use std::sync::Arc;
use std::sync::LazyLock;

/// What a `secret:` test asks of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    Name,
    Value,
    Content,
}

impl SecretKind {
    pub const NAMES: [(&'static str, SecretKind); 3] = [
        ("name", SecretKind::Name),
        ("value", SecretKind::Value),
        ("content", SecretKind::Content),
    ];
}

/// What a masked secret reads as, whatever its length.
pub const MASK: &str = "****";

/// Words a credential-named key is called by.
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth[_-]?key)",
    )
    .expect("valid regex")
});

/// Endings that make such a key name a pointer to, or a property of, the
/// credential rather than the credential (`DB_PASSWORD_ARN`, `TOKEN_TTL`).
static POINTER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[_.-]?(arn|name|id|path|url|uri|file|param|parameter|ttl|length|len|region|type|version|expiry|expires|seconds|timeout|enabled|mode|policy|ref|endpoint|location|header|host|port|user|username|hash|digest|fingerprint|count|limit|size|issuer|audience|scope|format|algorithm|secret_?id)$",
    )
    .expect("valid regex")
});

/// AWS access key ids: long-term (`AKIA`) and temporary (`ASIA`).
static ACCESS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b").expect("valid regex"));

/// A PEM private key, up to its end line (or the end of the text).
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    )
    .expect("valid regex")
});

/// An AWS secret access key (40 base64 characters) after its name, however
/// it is set (`aws configure set aws_secret_access_key KEY` too).
static SECRET_ACCESS_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)secret_?access_?key["']?(?:[ \t]*[=:][ \t]*|[ \t]+)["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|\z)"#)
        .expect("valid regex")
});

/// `NAME=VALUE`, `NAME: VALUE`, `--NAME VALUE`: the name (group 1 after
/// `--`, else 2) and the value, quoted (groups 3, 4) or bare (group 5). A
/// space separates only an option's value (in prose a word after "token"
/// is no token), and a colon needs a space after it (`$env:API_TOKEN` names
/// a variable; JSON's `"key":"value"` is [`JSON_PAIR`]).
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:^|[^A-Za-z0-9_-])(?:--([A-Za-z][A-Za-z0-9_-]*)(?:[ \t]+|=)|([A-Za-z][A-Za-z0-9_.-]*)["']?(?:[ \t]*=[ \t]*|[ \t]*:[ \t]+))(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"',;&|)(\\]+))"#,
    )
    .expect("valid regex")
});

/// `"NAME": "VALUE"` with or without spaces (minified JSON in a script).
static JSON_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""([A-Za-z][A-Za-z0-9_.-]*)"[ \t]*:[ \t]*"([^"\n]*)""#).expect("valid regex")
});

/// Values that stand for a credential rather than being one.
const PLACEHOLDER_WORDS: [&str; 16] = [
    "changeme",
    "change_me",
    "change-me",
    "replaceme",
    "replace_me",
    "placeholder",
    "redacted",
    "secret",
    "password",
    "none",
    "null",
    "nil",
    "undefined",
    "todo",
    "example",
    "dummy",
];

/// The shortest value a credential-named key in a text is taken to hold a
/// credential with: shorter ones are flags, counts and abbreviations.
const MIN_ASSIGNED_LENGTH: usize = 6;

/// Texts longer than this are not searched (user data is at most 16 KiB,
/// an environment a few KiB): bounded work on hostile input.
const MAX_SEARCHED: usize = 1 << 20;

/// Whether a key name says it holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(name) && !POINTER_NAME.is_match(name)
}

/// Whether a value written as it is would be a credential: not empty, not
/// a placeholder (`<password>`, `xxxx`, `changeme`), not a reference the
/// platform resolves (`{{resolve:...}}`, `${VAR}`, `$(cmd)`, an ARN).
pub fn is_credential(text: &str) -> bool {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    !(text.is_empty()
        || text.starts_with(['$', '%', '<'])
        || text.contains("{{")
        || text.contains("${")
        || lower.starts_with("arn:")
        || text.chars().all(|c| "*xX.-_#?".contains(c))
        || PLACEHOLDER_WORDS.contains(&lower.as_str()))
}

/// A credential assigned in a text: long enough, not a number, a switch, a
/// path or an address.
fn is_assigned_credential(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    is_credential(text)
        && text.chars().count() >= MIN_ASSIGNED_LENGTH
        && !text.chars().all(|c| c.is_ascii_digit())
        && !["true", "false", "yes", "no"].contains(&lower.as_str())
        && !text.starts_with(['/', '.', '~'])
        && !lower.starts_with("http://")
        && !lower.starts_with("https://")
}

/// The credentials a text holds, each as written in it; for text that is
/// base64, the whole text and what its decoded form holds (so either
/// spelling can be masked).
pub fn find_secrets(text: &str) -> Vec<String> {
    if text.len() > MAX_SEARCHED {
        return Vec::new();
    }
    let mut found: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        if !found.iter().any(|f| f == s) {
            found.push(s.to_string());
        }
    };
    for m in ACCESS_KEY_ID.find_iter(text) {
        // AWS's documentation key (`AKIAIOSFODNN7EXAMPLE`) is not anyone's.
        if !m.as_str().ends_with("EXAMPLE") {
            add(m.as_str());
        }
    }
    for c in SECRET_ACCESS_KEY.captures_iter(text) {
        add(&c[1]);
    }
    for m in PRIVATE_KEY.find_iter(text) {
        add(m.as_str());
    }
    for c in ASSIGNMENT.captures_iter(text) {
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        let value = c.get(3).or_else(|| c.get(4)).or_else(|| c.get(5));
        if let Some(value) = value {
            if is_secret_name(name) && is_assigned_credential(value.as_str()) {
                add(value.as_str());
            }
        }
    }
    for c in JSON_PAIR.captures_iter(text) {
        if is_secret_name(&c[1]) && is_assigned_credential(&c[2]) {
            add(&c[2]);
        }
    }
    if let Some(decoded) = base64_text(text) {
        let inner = find_secrets(&decoded);
        if !inner.is_empty() {
            add(text.trim());
            inner.iter().for_each(|s| add(s));
        }
    }
    found
}

/// The text a base64 string decodes to, when it is base64 (with or without
/// line breaks) of UTF-8 text.
fn base64_text(text: &str) -> Option<String> {
    let compact: String = text.split_whitespace().collect();
    let alphabet = |c: char| c.is_ascii_alphanumeric() || "+/=".contains(c);
    if compact.len() < 16 || !compact.chars().all(alphabet) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Whether a known value passes `secret: KIND`. A map passes `content` when
/// one of its entries does (see [`secret_entries`]).
pub fn holds(kind: SecretKind, value: &Value) -> bool {
    match (kind, value) {
        (SecretKind::Name, v) => v.scalar_text().is_some_and(|s| is_secret_name(&s)),
        (SecretKind::Value, Value::String(s)) => is_credential(s),
        (SecretKind::Value, Value::Number(_)) => true,
        (SecretKind::Value, _) => false,
        (SecretKind::Content, Value::Map(_) | Value::List(_)) => {
            secret_entries(value).is_some_and(|hits| !hits.is_empty())
        }
        (SecretKind::Content, v) => v
            .scalar_text()
            .is_some_and(|s| !find_secrets(&s).is_empty()),
    }
}

/// The entries of an environment that hold a credential: a
/// credential-named key set to a credential, or any value whose text holds
/// one. An environment is a map (Lambda), or a list of `name`/`value` pairs
/// (ECS container definitions, either case). `None` when none does for sure
/// but some value is not known.
pub fn secret_entries(environment: &Value) -> Option<Vec<&Node>> {
    let entries: Vec<(String, &Node)> = match environment {
        Value::Map(entries) => entries.iter().map(|e| (e.key.clone(), &e.value)).collect(),
        Value::List(items) => items.iter().filter_map(name_value_pair).collect(),
        _ => Vec::new(),
    };
    let mut unknown = false;
    let mut hits = Vec::new();
    for (name, node) in entries {
        let value = &node.value;
        if !value.is_known() {
            unknown = true;
            continue;
        }
        let named = is_secret_name(&name)
            && value
                .scalar_text()
                .is_some_and(|text| is_assigned_credential(&text));
        if named || holds(SecretKind::Content, value) {
            hits.push(node);
        }
    }
    (hits.is_empty() && unknown).not().then_some(hits)
}

/// `{name: N, value: V}` (or `Name`/`Value`) as the entry `N = V`; an
/// unknown name reads as no name, so only the value's content can flag it.
fn name_value_pair(item: &Node) -> Option<(String, &Node)> {
    let Value::Map(fields) = &item.value else {
        return None;
    };
    let field = |key: &str| fields.iter().find(|f| f.key.eq_ignore_ascii_case(key));
    let value = &field("value")?.value;
    let name = field("name")
        .and_then(|f| f.value.value.scalar_text())
        .unwrap_or_default();
    Some((name, value))
}

/// The credentials a sensitive finding's value holds, to be masked wherever
/// they appear: those [`find_secrets`] finds, or the whole value when it is
/// itself the credential (a password attribute).
pub fn secrets_of(value: &str) -> Vec<String> {
    let found = find_secrets(value);
    if found.is_empty() && !value.trim().is_empty() {
        vec![value.to_string()]
    } else {
        found
    }
}

/// `text` with every occurrence of each secret replaced by [`MASK`].
pub fn mask(text: &str, secrets: &[impl AsRef<str>]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|s| !s.is_empty()) {
        out = out.replace(secret, MASK);
    }
    out
}

/// `text` with the bytes of `range` overwritten by `*`, line breaks kept, so
/// offsets and line numbers into it stay valid.
pub fn blank(text: &mut String, range: std::ops::Range<usize>) {
    let Some(part) = text.get(range.clone()) else {
        return;
    };
    let masked: String = part
        .chars()
        .flat_map(|c| {
            let keep = c == '\n' || c == '\r';
            std::iter::repeat_n(
                if keep { c } else { '*' },
                if keep { 1 } else { c.len_utf8() },
            )
        })
        .collect();
    text.replace_range(range, &masked);
}

/// Secrets shorter than this are not searched for across a file (every
/// `abc` would go), only inside the values sensitive findings point at.
const MIN_SEARCHED_SECRET: usize = 4;

/// The secrets of a scan, indexed so that each text is searched once for
/// all of them (an Aho-Corasick automaton) rather than once per secret: a
/// large repository holds thousands of secrets and of texts to clean.
struct SecretIndex<'a> {
    secrets: &'a [String],
    finder: AhoCorasick,
    /// For each pattern of `finder`, the positions in `secrets` that hold it.
    holders: Vec<Vec<usize>>,
    /// The positions of secrets with a `*`.
    starred: Vec<usize>,
}

impl<'a> SecretIndex<'a> {
    fn new(secrets: &'a [String]) -> SecretIndex<'a> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut holders: Vec<Vec<usize>> = Vec::new();
        for (at, secret) in secrets.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            let id = *ids.entry(secret).or_insert_with(|| {
                patterns.push(secret);
                holders.push(Vec::new());
                patterns.len() - 1
            });
            holders[id].push(at);
        }
        let finder = AhoCorasick::new(&patterns).expect("literal patterns build");
        let starred = (0..secrets.len())
            .filter(|&at| secrets[at].contains('*'))
            .collect();
        SecretIndex {
            secrets,
            finder,
            holders,
            starred,
        }
    }

    /// The secrets, in their order, that masking `text` can find: those in
    /// it, and those with a `*`, which replacing another by [`MASK`] can
    /// bring about. Masking with these alone gives what masking with all
    /// gives. Costs the length of the text and what it holds, not the
    /// number of secrets.
    fn in_text(&self, text: &str) -> Vec<&'a str> {
        // Any occurrence makes a match: most texts hold none, and this
        // search skips ahead where the overlapping one walks every byte.
        if self.starred.is_empty() && !self.finder.is_match(text) {
            return Vec::new();
        }
        let mut found: Vec<usize> = self
            .finder
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize())
            .collect();
        found.sort_unstable();
        found.dedup();
        let mut positions: Vec<usize> = found
            .iter()
            .flat_map(|&pattern| self.holders[pattern].iter().copied())
            .chain(self.starred.iter().copied())
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
            .into_iter()
            .map(|at| self.secrets[at].as_str())
            .collect()
    }

    fn mask(&self, text: &str) -> String {
        mask(text, &self.in_text(text))
    }
}

/// Removes the secrets sensitive rules found from everything a report can
/// show: every finding's value and message (another rule may point at the
/// same text), and the source text snippets are drawn from. There each
/// occurrence is overwritten in place (offsets stay valid); inside a
/// sensitive finding's value, or a place it came through, short secrets
/// too; and such a place that is a literal showing none of them as written
/// (escaped in a quoted string) is blanked whole. A reference there
/// (`var.db_password`, `!Ref Password`) stays readable.
pub fn redact(result: &mut ScanResult, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    let index = SecretIndex::new(secrets);
    result.findings.par_iter_mut().for_each(|finding| {
        finding.message = index.mask(&finding.message);
        finding.value = finding.value.as_deref().map(|v| index.mask(v));
    });
    let mut places: HashMap<&str, Vec<&Location>> = HashMap::new();
    for finding in result
        .findings
        .iter()
        .filter(|f| f.rule.sensitive && f.value.is_some())
    {
        for place in
            std::iter::once(&finding.location).chain(finding.provenance.iter().map(|p| &p.location))
        {
            places.entry(place.file.as_str()).or_default().push(place);
        }
    }
    result.sources.par_iter_mut().for_each(|(file, text)| {
        let original: &str = text;
        let present = index.in_text(original);
        let placed = places.get(file.as_str());
        // Most files hold no secret: nothing to copy.
        if present.is_empty() && placed.is_none() {
            return;
        }
        let mut masked = original.to_string();
        let blank_all = |masked: &mut String, within: &str, offset: usize, min: usize| {
            let mut shown = false;
            for secret in present.iter().filter(|s| s.len() >= min.max(1)) {
                for (at, _) in within.match_indices(*secret) {
                    blank(masked, offset + at..offset + at + secret.len());
                    shown = true;
                }
            }
            shown
        };
        blank_all(&mut masked, original, 0, MIN_SEARCHED_SECRET);
        for place in placed.into_iter().flatten() {
            let range = place.byte_start..place.byte_end;
            let Some(raw) = original.get(range.clone()) else {
                continue;
            };
            let shown = blank_all(&mut masked, raw, range.start, 1);
            let literal = raw.starts_with(['"', '\'']) || raw.starts_with("<<");
            if !shown && literal {
                blank(&mut masked, range);
            }
        }
        if masked != original {
            *text = Arc::from(masked);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_that_hold_credentials_and_names_that_point_at_them() {
        for name in [
            "DB_PASSWORD",
            "password",
            "MasterUserPassword",
            "api_key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "client-secret",
            "passwd",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "DB_PASSWORD_ARN",
            "SECRET_NAME",
            "TOKEN_TTL",
            "AWS_ACCESS_KEY_ID",
            "password_file",
            "DB_HOST",
            "author",
            "X-aws-ec2-metadata-token-ttl-seconds",
            "discovery-token-ca-cert-hash",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn placeholders_and_references_are_not_credentials() {
        for text in ["Sup3r-S3cret!", "hunter2", "x9"] {
            assert!(is_credential(text), "{text}");
        }
        for text in [
            "",
            "  ",
            "{{resolve:secretsmanager:db:SecretString:password}}",
            "{{resolve:ssm-secure:/db/pw:1}}",
            "${DB_PASSWORD}",
            "$(cat /run/pw)",
            "$TOKEN",
            "<your password>",
            "xxxxxxxx",
            "********",
            "CHANGEME",
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db",
        ] {
            assert!(!is_credential(text), "{text:?}");
        }
    }

    #[test]
    fn texts_holding_keys_and_assigned_credentials() {
        let keys =
            "aws configure set aws_secret_access_key wJ9rXtn7Qb2Lm4Zc8Vd1Ke6Yh3Pa5Su0Gf7Ri2Oq\n";
        assert_eq!(
            find_secrets(keys),
            ["wJ9rXtn7Qb2Lm4Zc8Vd1Ke6Yh3Pa5Su0Gf7Ri2Oq"]
        );
        assert_eq!(
            find_secrets("kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef\n"),
            ["abcdef.0123456789abcdef"]
        );
        let script = "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986\n\
                      export DB_PASSWORD='Tr0ub4dor&3'\nmysql --password hunter2hunter2\n";
        assert_eq!(
            find_secrets(script),
            ["AKIA2E0A8F3B244C9986", "Tr0ub4dor&3", "hunter2hunter2"]
        );
        let json = r#"{"api_key": "k-49f1c0d2aa", "region": "eu-west-1"}"#;
        assert_eq!(find_secrets(json), ["k-49f1c0d2aa"]);
        let minified = r#"echo '{"region":"eu-west-1","client_secret":"cs-81aa02bb"}'"#;
        assert_eq!(find_secrets(minified), ["cs-81aa02bb"]);
        let powershell = "$env:API_TOKEN = 'wrk-9f8e7d6c'";
        assert_eq!(find_secrets(powershell), ["wrk-9f8e7d6c"]);
        let yaml = "db:\n  password: n0t-a-placeholder\n";
        assert_eq!(find_secrets(yaml), ["n0t-a-placeholder"]);
        let pem =
            "key: |\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            find_secrets(pem),
            ["-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"]
        );
    }

    #[test]
    fn texts_without_credentials_stay_clean() {
        for text in [
            "#!/bin/bash\nTOKEN=$(curl -X PUT http://169.254.169.254/latest/api/token \\\n  -H \"X-aws-ec2-metadata-token-ttl-seconds: 21600\")\n",
            "export DB_PASSWORD=${db_password}\n",
            "export DB_PASSWORD_ARN=arn:aws:secretsmanager:eu-west-1:1:secret:x\n",
            "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE\n",
            "echo password: changeme\n",
            "MAX_TOKENS=4096\n",
            "kubeadm join 10.0.0.5:6443 --discovery-token-ca-cert-hash sha256:8f2a9c1d7e\n",
            "export TOKEN_ISSUER=accounts.example.internal PASSWORD_USER=svc-backup\n",
            "yum install -y httpd && systemctl start httpd\n",
        ] {
            assert_eq!(find_secrets(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn base64_text_is_searched_decoded() {
        let plain = "#!/bin/sh\nexport SECRET_KEY=9f8e7d6c5b4a39281706\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
        assert_eq!(
            find_secrets(&encoded),
            [encoded.as_str(), "9f8e7d6c5b4a39281706"]
        );
        let clean = base64::engine::general_purpose::STANDARD.encode("#!/bin/sh\necho hi\n");
        assert!(find_secrets(&clean).is_empty());
    }

    /// The values [`secret_entries`] flags in an environment written in YAML.
    fn flagged(environment: &str) -> Vec<String> {
        let node = crate::parse::yaml::parse_yaml(environment, 0).unwrap();
        secret_entries(&node.value)
            .unwrap()
            .iter()
            .map(|n| n.value.display())
            .collect()
    }

    #[test]
    fn environment_maps_flag_named_and_shaped_entries() {
        let map = "DB_PASSWORD: s3cr3t-value\nDB_PASSWORD_ARN: arn:aws:x\n\
                   LOG_LEVEL: debug\nKEY: AKIA2E0A8F3B244C9986\nTOKEN: ''\n";
        assert_eq!(flagged(map), ["s3cr3t-value", "AKIA2E0A8F3B244C9986"]);
        let pairs = "- {name: API_KEY, value: k-77a1b2c3}\n- {Name: MAX_TOKENS, Value: '4096'}\n\
                     - {name: STAGE, value: prod}\n";
        assert_eq!(flagged(pairs), ["k-77a1b2c3"]);
    }

    #[test]
    fn indexed_masking_masks_as_masking_with_every_secret() {
        // Duplicates, a secret inside another, secrets absent from the text,
        // and ones with `*` that only replacing another brings about.
        let secrets: Vec<String> = [
            "hunter2",
            "",
            "hunter2hunter2",
            "absent",
            "a****b",
            "hunter2",
            "**",
            "x",
        ]
        .map(String::from)
        .to_vec();
        let index = SecretIndex::new(&secrets);
        for text in [
            "a hunter2hunter2 b hunter2",
            "ahunter2b and x",
            "nothing here",
            "",
            "**",
        ] {
            assert_eq!(index.mask(text), mask(text, &secrets), "{text:?}");
        }
        // `a****b` appears only once `hunter2` is masked, and is masked too.
        assert_ne!(index.mask("ahunter2b"), mask("ahunter2b", &secrets[..1]));
    }

    #[test]
    fn masking_keeps_offsets_and_hides_every_occurrence() {
        let secrets = secrets_of("export DB_PASSWORD=hunter2hunter2\n");
        assert_eq!(secrets, ["hunter2hunter2"]);
        assert_eq!(
            mask("a hunter2hunter2 b hunter2hunter2", &secrets),
            "a **** b ****"
        );
        assert_eq!(secrets_of("plainpassword"), ["plainpassword"]);
        let mut text = String::from("pw = \"é1\nz\"");
        let end = text.len();
        blank(&mut text, 5..end);
        assert_eq!(text.len(), "pw = \"é1\nz\"".len());
        assert_eq!(text, "pw = ****\n**");
    }
}
