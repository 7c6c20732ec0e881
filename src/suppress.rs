//! Inline suppressions: a team silences a finding where the code is, with a
//! reason, and optionally until a date.
//!
//! Accepted forms (the last three so that users coming from Checkov, tfsec or
//! Trivy keep their suppressions; their ids are matched through each rule's
//! `aliases`):
//!
//! - `# demarc:ignore RULE[,RULE] [until=YYYY-MM-DD] reason` (or `//`), where
//!   RULE is a rule id, slug or alias;
//! - CloudFormation `Metadata: {demarc: {ignore: [{id, reason, until?}]}}`;
//! - `#checkov:skip=CKV_AWS_20:reason` and CloudFormation
//!   `Metadata: {checkov: {skip: [{id, comment}]}}`;
//! - `#tfsec:ignore:ID[:exp:YYYY-MM-DD]`, `#trivy:ignore:ID[:exp:YYYY-MM-DD]`.
//!
//! A comment covers, for the rules it names: the finding on the line it sits
//! on (a trailing comment) or on the next line of code; the whole resource
//! whose block starts on that next line or that contains the comment; and,
//! above or inside a `module "NAME"` block, every finding of that module
//! instance (addresses `module.NAME.…` and `module.NAME[…]…`). A Metadata
//! entry covers its resource.
//!
//! Suppressions are read per scan unit, where every file of the unit is at
//! hand; the scan then merges what each unit saw (a file may belong to more
//! than one unit) and turns unknown rules, missing reasons, expired dates and
//! suppressions that cover nothing into warnings.

use crate::date::Date;
use crate::finding::{Finding, Location, Suppression, SuppressionKind};
use crate::model::{Framework, Resource, ScanError, Unit};
use crate::rules::RuleSet;
use crate::source::SourceFile;
use crate::value::{Node, Value};
use regex::Regex;
use std::sync::OnceLock;

/// Who wrote the suppression's syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Demarc,
    Checkov,
    Tfsec,
    Trivy,
}

impl Dialect {
    /// Foreign suppressions name checks demarc mostly does not have; they
    /// are another tool's business and never give a warning.
    fn is_foreign(self) -> bool {
        self != Dialect::Demarc
    }
}

/// What a suppression is placed against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A comment on `comment_line`; `anchor_line` is the line it speaks of
    /// (its own line for a trailing comment, else the next line of code);
    /// `module` the module block it sits above or inside, if any.
    Comment {
        comment_line: usize,
        anchor_line: usize,
        module: Option<String>,
    },
    /// A CloudFormation resource's `Metadata`.
    Resource { address: String },
}

/// One suppression as read from the source.
#[derive(Clone, Debug)]
pub struct Directive {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub dialect: Dialect,
    /// The ids of the rules it covers (names resolved through ids, slugs and
    /// aliases).
    pub rule_ids: Vec<String>,
    /// As written, for messages.
    pub names: Vec<String>,
    pub reason: String,
    pub until: Option<Date>,
    pub target: Target,
    /// What is wrong with it (unknown rule, no reason, bad date).
    pub problems: Vec<String>,
    /// Unusable (a bad date): it suppresses nothing and is not reported as
    /// unused either.
    pub void: bool,
    /// It matched a finding (even if expired).
    pub used: bool,
    /// It matched a finding after its date.
    pub expired: bool,
}

impl Directive {
    /// Where the suppression sits, the key units merge on.
    pub fn key(&self) -> (String, usize, usize) {
        (self.file.clone(), self.line, self.column)
    }

    fn covers(&self, finding: &Finding) -> bool {
        if self.void || !self.rule_ids.contains(&finding.rule.id) {
            return false;
        }
        match &self.target {
            Target::Resource { address } => {
                finding.framework == Framework::Cloudformation
                    && &finding.resource == address
                    && finding.resource_location.file == self.file
            }
            Target::Comment {
                comment_line,
                anchor_line,
                module,
            } => {
                let on_anchor = |l: &Location| l.file == self.file && l.start_line == *anchor_line;
                let resource = &finding.resource_location;
                let in_resource = resource.file == self.file
                    && (resource.start_line == *anchor_line
                        || (resource.start_line..=resource.end_line).contains(comment_line));
                let in_module = module.as_ref().is_some_and(|name| {
                    let rest = finding.resource.strip_prefix("module.");
                    rest.and_then(|r| r.strip_prefix(name.as_str()))
                        .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
                });
                on_anchor(&finding.location)
                    || finding.provenance.iter().any(|p| on_anchor(&p.location))
                    || in_resource
                    || in_module
            }
        }
    }

    fn describe(&self) -> String {
        let prefix = match self.dialect {
            Dialect::Demarc => "demarc:ignore",
            Dialect::Checkov => "checkov:skip",
            Dialect::Tfsec => "tfsec:ignore",
            Dialect::Trivy => "trivy:ignore",
        };
        format!("`{prefix} {}`", self.names.join(","))
    }
}

/// Every suppression in a unit: comments in its files and CloudFormation
/// `Metadata` on its resources.
pub fn collect(unit: &Unit, rules: &RuleSet) -> Vec<Directive> {
    let mut directives = Vec::new();
    for (id, file) in unit.files.iter().enumerate() {
        let modules: Vec<ModuleLines> = unit
            .module_blocks
            .iter()
            .filter(|block| block.span.file as usize == id)
            .map(|block| ModuleLines {
                name: block.name.clone(),
                start_line: file.line_col(block.span.start).line,
                end_line: file.line_col(block.span.end).line,
            })
            .collect();
        collect_comments(file, &modules, rules, &mut directives);
    }
    for resource in &unit.resources {
        if resource.framework == Framework::Cloudformation {
            collect_metadata(unit, resource, rules, &mut directives);
        }
    }
    directives
}

/// Applies the directives to a unit's findings: the first directive in
/// force that covers a finding suppresses it; one past its date leaves the
/// finding in with a note.
pub fn apply(directives: &mut [Directive], findings: &mut [Finding], today: Date) {
    for finding in findings.iter_mut() {
        let mut suppression = None;
        let mut expired_notes = Vec::new();
        for directive in directives.iter_mut() {
            if !directive.covers(finding) {
                continue;
            }
            directive.used = true;
            match directive.until {
                Some(until) if until < today => {
                    directive.expired = true;
                    expired_notes.push(format!(
                        "a suppression at {}:{} expired on {until} ({}); the finding is reported again",
                        directive.file, directive.line, directive.reason
                    ));
                }
                _ => {
                    suppression.get_or_insert_with(|| Suppression {
                        kind: SuppressionKind::InSource,
                        reason: directive.reason.clone(),
                        until: directive.until.map(|d| d.to_string()),
                    });
                }
            }
        }
        match suppression {
            Some(s) => finding.suppression = Some(s),
            None => finding.notes.extend(expired_notes),
        }
    }
}

/// Merges what several units saw of the same directives (a file read by
/// two units): a directive is used when any unit used it.
pub fn merge(directives: Vec<Directive>) -> Vec<Directive> {
    let mut merged: std::collections::BTreeMap<(String, usize, usize), Directive> =
        std::collections::BTreeMap::new();
    for directive in directives {
        match merged.get_mut(&directive.key()) {
            Some(seen) => {
                seen.used |= directive.used;
                seen.expired |= directive.expired;
            }
            None => {
                merged.insert(directive.key(), directive);
            }
        }
    }
    merged.into_values().collect()
}

/// The warnings a set of merged directives gives: demarc's own only. Another
/// tool's suppression (`checkov:skip`, `tfsec:ignore`, `trivy:ignore`,
/// `Metadata.checkov`) answers to that tool; in a repository that runs both,
/// one that suppresses nothing here, or expired, is not demarc's to report.
pub fn warnings(directives: &[Directive]) -> Vec<ScanError> {
    let mut out = Vec::new();
    for d in directives.iter().filter(|d| !d.dialect.is_foreign()) {
        let mut warn = |message: String| {
            out.push(ScanError {
                file: d.file.clone(),
                line: Some(d.line),
                column: Some(d.column),
                message,
            })
        };
        for problem in &d.problems {
            warn(problem.clone());
        }
        if d.expired {
            if let Some(until) = d.until {
                warn(format!(
                    "suppression {} expired on {until}; the findings it covered are reported again",
                    d.describe()
                ));
            }
        }
        if !d.used && !d.void && !d.rule_ids.is_empty() {
            warn(format!(
                "suppression {} suppresses nothing: no finding of {} on the next line, in the resource or module it belongs to",
                d.describe(),
                if d.rule_ids.len() == 1 {
                    "that rule"
                } else {
                    "those rules"
                }
            ));
        }
    }
    out
}

// ------------------------------------------------------------ comments

/// Cheap test before any line is looked at: most files have no suppression.
const MARKERS: [&str; 4] = [
    "demarc:ignore",
    "checkov:skip",
    "tfsec:ignore",
    "trivy:ignore",
];

fn comment_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:#|//)\s*(demarc:ignore|checkov:skip=|tfsec:ignore:|trivy:ignore:)")
            .expect("valid regex")
    })
}

/// `tfsec:ignore:ID[...]:exp:DATE...`, possibly several on one line.
fn tfsec_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(tfsec|trivy):ignore:([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?((?::[a-z]+:[^\s:#]+)*)")
            .expect("valid regex")
    })
}

fn collect_comments(
    file: &SourceFile,
    modules: &[ModuleLines],
    rules: &RuleSet,
    out: &mut Vec<Directive>,
) {
    let text = &*file.text;
    if !MARKERS.iter().any(|m| text.contains(m)) {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let Some(found) = comment_regex().captures(line) else {
            continue;
        };
        let whole = found.get(0).expect("match");
        let line_no = index + 1;
        let trailing = !line[..whole.start()].trim().is_empty();
        let anchor_line = if trailing {
            line_no
        } else {
            next_code_line(&lines, index).unwrap_or(line_no)
        };
        let module = modules
            .iter()
            .find(|m| m.start_line == anchor_line || (m.start_line..=m.end_line).contains(&line_no))
            .map(|m| m.name.clone());
        let target = Target::Comment {
            comment_line: line_no,
            anchor_line,
            module,
        };
        let column = |byte: usize| line[..byte].chars().count() + 1;
        let rest = &line[whole.end()..];
        let base = |dialect| Directive {
            file: file.display.clone(),
            line: line_no,
            column: column(whole.start()),
            dialect,
            rule_ids: Vec::new(),
            names: Vec::new(),
            reason: String::new(),
            until: None,
            target: target.clone(),
            problems: Vec::new(),
            void: false,
            used: false,
            expired: false,
        };
        match &found[1] {
            "demarc:ignore" => out.extend(read_demarc(base(Dialect::Demarc), rest, rules)),
            "checkov:skip=" => out.extend(read_checkov(base(Dialect::Checkov), rest, rules)),
            _ => {
                // tfsec/trivy: every `…:ignore:ID` from the comment on.
                let comment = &line[whole.start()..];
                for m in tfsec_regex().captures_iter(comment) {
                    let dialect = if &m[1] == "tfsec" {
                        Dialect::Tfsec
                    } else {
                        Dialect::Trivy
                    };
                    let mut d = base(dialect);
                    d.column = column(whole.start() + m.get(0).expect("match").start());
                    out.extend(read_tfsec(d, &m[2], &m[3], rules));
                }
            }
        }
    }
}

/// `RULE[,RULE] [until=YYYY-MM-DD] reason text`.
fn read_demarc(mut d: Directive, rest: &str, rules: &RuleSet) -> Option<Directive> {
    let mut tokens = rest.split_whitespace().peekable();
    let mut names_text = String::new();
    while let Some(token) = tokens.next() {
        names_text.push_str(token);
        // `A, B`: a list split by a space after the comma goes on.
        if !token.ends_with(',') {
            break;
        }
        if tokens.peek().is_none() {
            break;
        }
    }
    let mut reason = Vec::new();
    for token in tokens {
        match token.strip_prefix("until=") {
            Some(date) => match Date::parse(date) {
                Some(date) => d.until = Some(date),
                None => {
                    d.problems.push(format!(
                        "`until={date}` is not a date (YYYY-MM-DD); the suppression is ignored"
                    ));
                    d.void = true;
                }
            },
            None => reason.push(token),
        }
    }
    d.names = split_names(&names_text);
    if d.names.is_empty() {
        d.problems
            .push("`demarc:ignore` names no rule; write `demarc:ignore RULE reason`".into());
        d.void = true;
        return Some(d);
    }
    d.reason = reason.join(" ");
    if d.reason.is_empty() {
        d.problems.push(
            "suppression gives no reason; write it after the rule ids so the next reader knows why"
                .into(),
        );
        d.reason = "(no reason given)".into();
    }
    resolve(d, rules)
}

/// `ID[,ID][:reason]`.
fn read_checkov(mut d: Directive, rest: &str, rules: &RuleSet) -> Option<Directive> {
    let (ids, reason) = rest.split_once(':').unwrap_or((rest, ""));
    let ids = ids.split_whitespace().next().unwrap_or("");
    d.names = split_names(ids);
    d.reason = match reason.trim() {
        "" => format!("checkov:skip={ids}"),
        reason => reason.to_string(),
    };
    resolve(d, rules)
}

/// `ID` with `:exp:YYYY-MM-DD` (and `:ws:NAME`, which is ignored) after it.
fn read_tfsec(mut d: Directive, id: &str, modifiers: &str, rules: &RuleSet) -> Option<Directive> {
    d.names = vec![id.to_string()];
    d.reason = format!(
        "{}:ignore:{id}",
        if d.dialect == Dialect::Tfsec {
            "tfsec"
        } else {
            "trivy"
        }
    );
    let parts: Vec<&str> = modifiers.split(':').filter(|p| !p.is_empty()).collect();
    for pair in parts.chunks(2) {
        if let [key, value] = pair {
            if *key == "exp" {
                match Date::parse(value) {
                    Some(date) => d.until = Some(date),
                    None => {
                        d.problems.push(format!(
                            "`exp:{value}` is not a date (YYYY-MM-DD); the suppression is ignored"
                        ));
                        d.void = true;
                    }
                }
            }
        }
    }
    resolve(d, rules)
}

fn split_names(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// Resolves the directive's names to rule ids. Unknown names are a problem
/// in demarc's own syntax; in another tool's they are that tool's checks, and
/// a directive naming none of ours is dropped.
fn resolve(mut d: Directive, rules: &RuleSet) -> Option<Directive> {
    let mut known_names = Vec::new();
    for name in &d.names {
        let ids = rule_ids_named(rules, name);
        if ids.is_empty() {
            if !d.dialect.is_foreign() {
                d.problems.push(format!(
                    "suppression names unknown rule `{name}`; `demarc rules` lists them"
                ));
            }
            continue;
        }
        known_names.push(name.clone());
        for id in ids {
            if !d.rule_ids.contains(&id) {
                d.rule_ids.push(id);
            }
        }
    }
    if d.dialect.is_foreign() {
        if d.rule_ids.is_empty() {
            return None;
        }
        d.names = known_names;
    }
    Some(d)
}

/// Every rule whose id, slug or alias is `name` (aliases are shared: several
/// demarc rules may cover one Checkov check).
fn rule_ids_named(rules: &RuleSet, name: &str) -> Vec<String> {
    rules
        .rules
        .iter()
        .filter(|r| r.info.is_named(name))
        .map(|r| r.info.id.clone())
        .collect()
}

/// The line (0-based index `from`'s successor on) of the next line that is
/// neither blank nor only a comment, one-based.
fn next_code_line(lines: &[&str], from: usize) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .skip(from + 1)
        .find(|(_, l)| {
            let t = l.trim_start();
            !(t.is_empty() || t.starts_with('#') || t.starts_with("//"))
        })
        .map(|(i, _)| i + 1)
}

/// A `module "NAME" { ... }` block of a file, by lines (from the unit's
/// evaluation, so no file is parsed twice).
struct ModuleLines {
    name: String,
    start_line: usize,
    end_line: usize,
}

// ------------------------------------------------------------ metadata

fn collect_metadata(unit: &Unit, resource: &Resource, rules: &RuleSet, out: &mut Vec<Directive>) {
    let Some(metadata) = resource.body.get("Metadata") else {
        return;
    };
    let sources = [
        (Dialect::Demarc, "demarc", "ignore", "reason"),
        (Dialect::Checkov, "checkov", "skip", "comment"),
    ];
    for (dialect, tool, list_key, reason_key) in sources {
        let Some(section) = metadata.get(tool) else {
            continue;
        };
        let file = unit.file(section.span);
        let problem = |node: &Node, message: String| {
            let at = file.line_col(node.span.start);
            Directive {
                file: file.display.clone(),
                line: at.line,
                column: at.column,
                dialect,
                rule_ids: Vec::new(),
                names: Vec::new(),
                reason: String::new(),
                until: None,
                target: Target::Resource {
                    address: resource.written_address().to_string(),
                },
                problems: vec![message],
                void: true,
                used: false,
                expired: false,
            }
        };
        let entries = match section.get(list_key).map(|n| (n, &n.value)) {
            Some((_, Value::List(items))) => items,
            _ => {
                if dialect == Dialect::Demarc {
                    out.push(problem(
                        section,
                        format!(
                            "`Metadata.{tool}` needs `{list_key}`: a list of {{id, {reason_key}}}"
                        ),
                    ));
                }
                continue;
            }
        };
        for entry in entries {
            let Some(id_node) = entry.get("id") else {
                out.push(problem(
                    entry,
                    format!("a `Metadata.{tool}.{list_key}` entry needs an `id`"),
                ));
                continue;
            };
            let at = file.line_col(id_node.span.start);
            let text = |n: &Node| match &n.value {
                Value::Null => None,
                v if v.is_known() => Some(v.display()),
                _ => None,
            };
            let ids = text(id_node).unwrap_or_default();
            let mut d = Directive {
                file: file.display.clone(),
                line: at.line,
                column: at.column,
                dialect,
                rule_ids: Vec::new(),
                names: split_names(&ids),
                reason: entry
                    .get(reason_key)
                    .and_then(text)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                until: None,
                target: Target::Resource {
                    address: resource.written_address().to_string(),
                },
                problems: Vec::new(),
                void: false,
                used: false,
                expired: false,
            };
            if let Some(until) = entry.get("until").and_then(text) {
                match Date::parse(&until) {
                    Some(date) => d.until = Some(date),
                    None => {
                        d.problems.push(format!(
                            "`until: {until}` is not a date (YYYY-MM-DD); the suppression is ignored"
                        ));
                        d.void = true;
                    }
                }
            }
            if d.reason.is_empty() {
                if dialect == Dialect::Demarc {
                    d.problems.push(
                        "suppression gives no reason; add `reason:` so the next reader knows why"
                            .into(),
                    );
                    d.reason = "(no reason given)".into();
                } else {
                    d.reason = format!("checkov skip {ids}");
                }
            }
            out.extend(resolve(d, rules));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        RuleSet::embedded().expect("built-in rules load")
    }

    /// The directives of one Terraform file, read as a scan reads it: from
    /// the evaluated unit, which knows its module blocks.
    fn directives(name: &str, text: &str) -> Vec<Directive> {
        let unit = crate::eval::terraform::load_module(
            vec![(name.to_string(), text.into())],
            &Default::default(),
        );
        collect(&unit, &rules())
    }

    #[test]
    fn demarc_comments_name_rules_reason_and_date() {
        let found = directives(
            "main.tf",
            "# demarc:ignore AWS-EC2-001, s3-bucket-access-logging-disabled until=2030-01-31 bastion host, reviewed\nresource \"a\" \"b\" {}\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.dialect, Dialect::Demarc);
        assert_eq!(
            d.names,
            ["AWS-EC2-001", "s3-bucket-access-logging-disabled"]
        );
        assert!(d.rule_ids.contains(&"AWS-EC2-001".to_string()));
        assert_eq!(d.reason, "bastion host, reviewed");
        assert_eq!(d.until, Date::parse("2030-01-31"));
        assert_eq!(
            d.target,
            Target::Comment {
                comment_line: 1,
                anchor_line: 2,
                module: None
            }
        );
    }

    #[test]
    fn foreign_comments_keep_known_aliases_only() {
        let found = directives(
            "main.tf",
            "resource \"a\" \"b\" {\n  x = 1 #tfsec:ignore:aws-ec2-no-public-ingress-sgr:exp:2020-01-01 tfsec:ignore:aws-unknown-check\n  #checkov:skip=CKV_AWS_24:needed for the bastion\n  #checkov:skip=CKV_AWS_99999:not ours\n  // trivy:ignore:AVD-AWS-0107\n}\n",
        );
        let summary: Vec<(Dialect, usize, &str)> = found
            .iter()
            .map(|d| (d.dialect, d.line, d.reason.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Dialect::Tfsec,
                    2,
                    "tfsec:ignore:aws-ec2-no-public-ingress-sgr"
                ),
                (Dialect::Checkov, 3, "needed for the bastion"),
                (Dialect::Trivy, 5, "trivy:ignore:AVD-AWS-0107"),
            ]
        );
        assert_eq!(found[0].until, Date::parse("2020-01-01"));
        assert!(found.iter().all(|d| d.problems.is_empty()));
        // A trailing comment speaks of its own line.
        assert!(matches!(
            found[0].target,
            Target::Comment { anchor_line: 2, .. }
        ));
    }

    #[test]
    fn problems_unknown_rule_missing_reason_bad_date() {
        let found = directives(
            "main.tf",
            "# demarc:ignore NOPE-001 because\n# demarc:ignore AWS-EC2-001\n# demarc:ignore AWS-EC2-001 until=2030-02-30 x\n# demarc:ignore\nx = 1\n",
        );
        let problems: Vec<&str> = found
            .iter()
            .flat_map(|d| d.problems.iter().map(String::as_str))
            .collect();
        assert!(
            problems[0].contains("unknown rule `NOPE-001`"),
            "{problems:?}"
        );
        assert!(problems[1].contains("gives no reason"));
        assert!(problems[2].contains("`until=2030-02-30` is not a date"));
        assert!(problems[3].contains("names no rule"));
        // Each of the stacked comments speaks of the code line after them.
        assert!(found
            .iter()
            .all(|d| matches!(d.target, Target::Comment { anchor_line: 5, .. })));
    }

    fn location(file: &str, start_line: usize, end_line: usize) -> Location {
        Location {
            file: file.into(),
            start_line,
            start_column: 1,
            end_line,
            end_column: 1,
            byte_start: 0,
            byte_end: 0,
        }
    }

    /// An AWS-EC2-001 finding on `resource`, its value at `line` of
    /// `file`, the resource block spanning `block` there.
    fn finding(resource: &str, file: &str, line: usize, block: (usize, usize)) -> Finding {
        let rules = rules();
        let rule = rules.find("AWS-EC2-001").unwrap().info.clone();
        Finding {
            severity: rule.severity,
            rule,
            service_model: crate::finding::ServiceModel::Iaas,
            owner: crate::finding::Owner::Shared,
            owner_reason: String::new(),
            framework: Framework::Terraform,
            resource: resource.into(),
            resource_type: "aws_security_group_rule".into(),
            generated: None,
            location: location(file, line, line),
            message: String::new(),
            value: None,
            provenance: Vec::new(),
            resource_location: location(file, block.0, block.1),
            value_path: String::new(),
            fingerprint: String::new(),
            suppression: None,
            owners: Vec::new(),
            owners_from: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_module_suppression_covers_that_module_instance_only() {
        let main = "# demarc:ignore AWS-EC2-001 the bastion module is reviewed upstream\nmodule \"bastion\" {\n  source = \"./bastion\"\n}\n\nmodule \"web\" {\n  source = \"./web\"\n}\n";
        let mut directives = directives("main.tf", main);
        let mut findings = vec![
            // Resources of the module live in the module's own files.
            finding(
                "module.bastion.aws_security_group_rule.ssh",
                "bastion/main.tf",
                6,
                (1, 8),
            ),
            finding(
                "module.bastion[\"a\"].aws_security_group_rule.ssh",
                "bastion/main.tf",
                6,
                (1, 8),
            ),
            finding(
                "module.bastion_two.aws_security_group_rule.ssh",
                "bastion/main.tf",
                6,
                (1, 8),
            ),
            finding(
                "module.web.aws_security_group_rule.ssh",
                "web/main.tf",
                6,
                (1, 8),
            ),
        ];
        apply(
            &mut directives,
            &mut findings,
            Date::parse("2025-01-01").unwrap(),
        );
        let suppressed: Vec<bool> = findings.iter().map(|f| f.suppression.is_some()).collect();
        assert_eq!(suppressed, [true, true, false, false]);
        assert!(directives[0].used);
        assert!(warnings(&directives).is_empty());
    }

    #[test]
    fn line_and_block_placement_decide_what_a_comment_covers() {
        let text = "resource \"a\" \"one\" {\n  # demarc:ignore AWS-EC2-001 inside one\n  x = 1\n}\n# demarc:ignore AWS-EC2-001 above two\nresource \"a\" \"two\" {\n  y = 2\n}\nresource \"a\" \"three\" {\n  z = 3\n}\n";
        let mut directives = directives("main.tf", text);
        let mut findings = vec![
            finding("a.one", "main.tf", 3, (1, 4)),
            finding("a.two", "main.tf", 6, (6, 8)),
            finding("a.three", "main.tf", 10, (9, 11)),
            // Same lines, another file: not covered.
            finding("a.one", "other.tf", 3, (1, 4)),
        ];
        apply(
            &mut directives,
            &mut findings,
            Date::parse("2025-01-01").unwrap(),
        );
        let reasons: Vec<Option<&str>> = findings
            .iter()
            .map(|f| f.suppression.as_ref().map(|s| s.reason.as_str()))
            .collect();
        assert_eq!(reasons, [Some("inside one"), Some("above two"), None, None]);
    }

    #[test]
    fn comments_above_or_inside_module_blocks_name_the_module() {
        let found = directives(
            "main.tf",
            "# demarc:ignore AWS-EC2-001 shared bastion module\nmodule \"bastion\" {\n  source = \"./bastion\"\n  # demarc:ignore AWS-EC2-002 inside\n}\n",
        );
        for d in &found {
            let Target::Comment { module, .. } = &d.target else {
                panic!("comment");
            };
            assert_eq!(module.as_deref(), Some("bastion"));
        }
        assert_eq!(found.len(), 2);
    }
}
