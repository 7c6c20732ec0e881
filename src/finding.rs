//! The vocabulary of a finding, shared by the rule engine, attribution and the
//! reporters. Reporters see only these types, never parser or value types.

use crate::model::{Framework, ScanError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Highest first, the order reports list them in.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == text)
    }
}

/// The responsibility layer a rule belongs to (responsibility-model.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Identity,
    Network,
    Data,
    Logging,
    Host,
    Application,
}

impl Layer {
    pub const ALL: [Layer; 6] = [
        Layer::Identity,
        Layer::Network,
        Layer::Data,
        Layer::Logging,
        Layer::Host,
        Layer::Application,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Network => "network",
            Layer::Data => "data",
            Layer::Logging => "logging",
            Layer::Host => "host",
            Layer::Application => "application",
        }
    }

    pub fn parse(text: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceModel {
    Iaas,
    Paas,
    Saas,
}

impl ServiceModel {
    pub const ALL: [ServiceModel; 3] = [ServiceModel::Iaas, ServiceModel::Paas, ServiceModel::Saas];

    pub fn name(self) -> &'static str {
        match self {
            ServiceModel::Iaas => "iaas",
            ServiceModel::Paas => "paas",
            ServiceModel::Saas => "saas",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceModel> {
        ServiceModel::ALL.into_iter().find(|m| m.name() == text)
    }
}

/// Who must fix a finding. Never `provider`: a provider-run control set in the
/// customer's code is shared (responsibility-model.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    Customer,
    Shared,
}

impl Owner {
    pub fn name(self) -> &'static str {
        match self {
            Owner::Customer => "customer",
            Owner::Shared => "shared",
        }
    }
}

/// Per-framework fix text and the rest of a rule's documentation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleDocs {
    pub what: String,
    pub why: String,
    /// `(framework name, how to fix)` in the rule file's order; an object
    /// keyed by framework in JSON.
    #[serde(serialize_with = "pairs_as_object")]
    pub fix: Vec<(String, String)>,
    pub references: Vec<String>,
}

fn pairs_as_object<S: serde::Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, value)| (key, value)))
}

/// What reporters need to know about a rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub slug: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub severity: Severity,
    pub layer: Layer,
    pub provider: String,
    pub service: String,
    pub frameworks: Vec<Framework>,
    pub docs: RuleDocs,
    /// `(framework, control)`, e.g. `("cis-aws-3.0", "5.2")`.
    pub compliance: Vec<(String, String)>,
    /// Where `demarc explain` and SARIF `helpUri` send a reader, if anywhere.
    pub help_uri: Option<String>,
    /// The offending value is a secret: findings show it masked, never in
    /// clear (`sensitive: true` in the rule file).
    pub sensitive: bool,
    /// The profile that must be turned on for the rule to run (e.g.
    /// `account-baseline`); `None` runs by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl RuleInfo {
    /// Whether `name` names this rule: its id, slug or one of its aliases,
    /// ignoring ASCII case. Every place that takes a rule name from a user
    /// (`explain`, `.demarc.yaml` selectors, suppressions) asks this.
    pub fn is_named(&self, name: &str) -> bool {
        self.id.eq_ignore_ascii_case(name)
            || self.slug.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// A position resolved for output: relative path, one-based line and column
/// (end exclusive), and the byte range for snippets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip)]
    pub byte_start: usize,
    #[serde(skip)]
    pub byte_end: usize,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: Arc<RuleInfo>,
    pub severity: Severity,
    pub service_model: ServiceModel,
    pub owner: Owner,
    /// One sentence on why this is the customer's to fix.
    pub owner_reason: String,
    pub framework: Framework,
    /// The resource as the user wrote it: for one SAM generates, the SAM
    /// resource (`generated` names the generated one).
    pub resource: String,
    pub resource_type: String,
    /// The resource the finding is really on when SAM generated it from
    /// `resource` (`FnRole`, an `AWS::IAM::Role`, from the function `Fn`).
    pub generated: Option<Generated>,
    pub location: Location,
    pub message: String,
    /// The offending value as written, when the finding points at one.
    pub value: Option<String>,
    /// Where the value was set, when it came through a variable, tfvars
    /// entry, local, module input, parameter default, mapping or condition:
    /// nearest first.
    pub provenance: Vec<Provenance>,
    /// The whole resource: from its header (`resource "t" "n"`, the logical
    /// ID) to the end of its body. Suppression comments are placed against
    /// it ("on the line above the resource", "inside the block").
    pub resource_location: Location,
    /// Keys from the resource body down to the offending value, list
    /// positions left out (`ingress.cidr_blocks`); empty when the finding
    /// points at the resource header. Part of the fingerprint: it names the
    /// place without depending on lines or order.
    pub value_path: String,
    /// Stable identity of the finding across line shifts, reformatting and
    /// reordering (see `crate::fingerprint`); set once a scan is complete.
    pub fingerprint: String,
    /// Why the finding is not counted, when it is not: an inline comment, a
    /// CloudFormation `Metadata` entry or a baseline.
    pub suppression: Option<Suppression>,
    /// The teams that answer for the finding: from `.demarc.yaml`
    /// `owners:`, else CODEOWNERS; empty when it is unowned.
    pub owners: Vec<String>,
    /// Where `owners` came from; `None` when the finding is unowned.
    pub owners_from: Option<OwnersSource>,
    /// Remarks for the reader, e.g. a suppression that has expired.
    pub notes: Vec<String>,
}

/// A resource SAM generated from the one a finding names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub resource: String,
    pub resource_type: String,
}

impl Generated {
    /// `generated by SAM as FnRole (AWS::IAM::Role)`, for reports.
    pub fn describe(&self) -> String {
        format!(
            "generated by SAM as {} ({})",
            self.resource, self.resource_type
        )
    }
}

/// What assigned a finding its teams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnersSource {
    /// The `owners:` section of `.demarc.yaml`.
    Config,
    /// The repository's CODEOWNERS file.
    Codeowners,
}

impl OwnersSource {
    /// The reports' name (`config`, `codeowners`).
    pub fn name(self) -> &'static str {
        match self {
            OwnersSource::Config => "config",
            OwnersSource::Codeowners => "codeowners",
        }
    }
}

/// Where a suppression comes from, in SARIF's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SuppressionKind {
    /// Written next to the code: a comment or CloudFormation `Metadata`.
    InSource,
    /// Kept outside the code: a baseline file.
    External,
}

impl SuppressionKind {
    /// The JSON report's name (`in_source`, `external`).
    pub fn name(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "in_source",
            SuppressionKind::External => "external",
        }
    }

    /// SARIF's `suppression.kind` (`inSource`, `external`).
    pub fn sarif_name(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        }
    }
}

/// A decision not to count a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: String,
    /// `YYYY-MM-DD`: the last day the suppression holds.
    pub until: Option<String>,
}

/// One place a finding's value passed through on its way to the finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    #[serde(flatten)]
    pub location: Location,
    pub label: String,
}

impl Finding {
    /// Counted: shown in text, failing the exit code. Suppressed findings are
    /// only listed (JSON, SARIF) for audit.
    pub fn is_active(&self) -> bool {
        self.suppression.is_none()
    }

    /// The resource as reports name it: the one the user wrote, and for a
    /// resource SAM generated from it, which one.
    pub fn resource_described(&self) -> String {
        match &self.generated {
            Some(generated) => format!("{}, {}", self.resource, generated.describe()),
            None => self.resource.clone(),
        }
    }

    /// No team answers for it (every finding is customer-side: its owner
    /// is `customer` or `shared`, never the provider).
    pub fn is_unowned(&self) -> bool {
        self.owners.is_empty()
    }

    /// The order every report uses: file, line, column, rule, resource.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.location.file,
            self.location.start_line,
            self.location.start_column,
            &self.rule.id,
            &self.resource,
        )
    }
}

/// Where a scan's time went, for benchmarks: wall time of the walk, of
/// reading and parsing the Terraform modules, and of the work after the
/// units; the units' own wall time split between evaluation (CloudFormation
/// parsing included) and rules by their share of CPU time.
#[derive(Clone, Copy, Debug, Default)]
pub struct StageTimes {
    pub walk: std::time::Duration,
    pub parse: std::time::Duration,
    pub evaluate: std::time::Duration,
    pub rules: std::time::Duration,
    pub finish: std::time::Duration,
}

/// Everything a scan produced, ready for a reporter.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Where the time went (not part of any report: it is never the same twice).
    pub stage_times: StageTimes,
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    /// Every rule that was run, for SARIF's rule table.
    pub rules: Vec<Arc<RuleInfo>>,
    /// Source text by display path, for snippets.
    pub sources: std::collections::BTreeMap<String, Arc<str>>,
    pub files_scanned: usize,
    /// (rule, resource) pairs left undecided because a value was unknown.
    pub undecided: usize,
    /// Problems that do not stop the scan or change the exit code: a
    /// suppression naming an unknown rule or suppressing nothing, an expired
    /// suppression, an unreadable CODEOWNERS line.
    pub warnings: Vec<ScanError>,
    /// Every (rule, resource) pair a rule looked at, found or not, for
    /// reports that list passing checks too (JUnit).
    pub checked: Vec<CheckedResource>,
    /// Display paths of every file read, for telling a baseline entry whose
    /// file was scanned from one outside this scan.
    pub scanned_files: std::collections::BTreeSet<String>,
    /// How the scan compared with a baseline, when one was given.
    pub baseline: Option<BaselineCounts>,
    /// The frameworks asked for with `--compliance`, evaluated (filled by
    /// `compliance::evaluate` after post-processing).
    pub compliance: Vec<ComplianceReport>,
}

impl ScanResult {
    /// The findings that count (not suppressed), in report order.
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_active())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings.iter().filter(|f| !f.is_active()).count()
    }
}

/// Who answers for a compliance control under one service model. Unlike a
/// finding's [`Owner`], a control can be `provider`: inherited from the
/// provider's own certifications, nothing for the customer to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Customer,
    Shared,
    Provider,
}

impl Party {
    pub fn name(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Shared => "shared",
            Party::Provider => "provider",
        }
    }

    pub fn parse(text: &str) -> Option<Party> {
        [Party::Customer, Party::Shared, Party::Provider]
            .into_iter()
            .find(|p| p.name() == text)
    }
}

/// A control's party under each service model, with the reason as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Responsibility {
    pub iaas: Party,
    pub paas: Party,
    pub saas: Party,
    pub reasoning: String,
}

/// A control's state in one scan (`demarc scan --compliance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlState {
    /// Its rules found something (not suppressed).
    Fail,
    /// Its rules looked at resources in scope and found nothing.
    Pass,
    /// Its rules exist, but nothing scanned is of a type they look at.
    NotApplicable,
    /// No rule evidences it: provider-inherited or a process outside code.
    NotChecked,
}

impl ControlState {
    pub const ALL: [ControlState; 4] = [
        ControlState::Fail,
        ControlState::Pass,
        ControlState::NotApplicable,
        ControlState::NotChecked,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ControlState::Fail => "fail",
            ControlState::Pass => "pass",
            ControlState::NotApplicable => "not_applicable",
            ControlState::NotChecked => "not_checked",
        }
    }
}

/// One framework evaluated against a scan.
#[derive(Clone, Debug, Serialize)]
pub struct ComplianceReport {
    pub framework: String,
    pub name: String,
    pub version: String,
    pub controls: Vec<ControlReport>,
    pub totals: ComplianceTotals,
}

/// One control of a [`ComplianceReport`].
#[derive(Clone, Debug, Serialize)]
pub struct ControlReport {
    pub id: String,
    pub title: String,
    pub section: String,
    pub responsibility: Responsibility,
    pub checkable: bool,
    /// Why it cannot be checked from code, when it cannot.
    pub checkable_reason: Option<String>,
    pub status: ControlState,
    /// For `not_checked`: whether the provider answers for it or it is a
    /// customer process outside code (or simply has no rule yet).
    pub status_reason: Option<String>,
    /// The rules of this scan that evidence it.
    pub rules: Vec<String>,
    /// The layers of those rules.
    pub layers: Vec<Layer>,
    /// Unsuppressed findings of those rules.
    pub findings: usize,
    pub suppressed: usize,
    /// Resources those rules looked at, sorted by file, line and address.
    pub resources_checked: Vec<ExaminedResource>,
    /// The teams (`.demarc.yaml` `owners:`, CODEOWNERS) of its unsuppressed
    /// findings.
    pub owners: Vec<String>,
    /// How many of those findings no team answers for.
    pub unowned: usize,
    /// The attribution owners (customer, shared) of those findings.
    pub finding_owners: Vec<Owner>,
}

/// A resource a control's rules examined, and where an auditor finds it:
/// the file and line of its header (the resource's own line, not a value).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExaminedResource {
    pub file: String,
    pub line: usize,
    pub resource: String,
}

/// Controls counted by status, overall and per layer of their rules (a
/// control with rules in two layers counts in both; one with no rule in
/// none).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ComplianceTotals {
    pub by_status: BTreeMap<ControlState, usize>,
    pub by_layer: BTreeMap<Layer, BTreeMap<ControlState, usize>>,
}

/// A rule that looked at a resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckedResource {
    pub rule_id: String,
    pub resource: String,
    pub file: String,
    pub line: usize,
}

/// The comparison with a baseline: findings in it, findings not in it, and
/// baseline entries (of the files scanned) that no longer occur.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaselineCounts {
    pub matched: usize,
    pub new: usize,
    pub gone: usize,
}

#[cfg(test)]
mod tests {
    use crate::rules::RuleSet;

    #[test]
    fn a_rule_is_named_by_id_slug_or_alias_in_any_case() {
        let rules = RuleSet::embedded().unwrap();
        let rule = &rules.find("AWS-EC2-001").unwrap().info;
        let alias = rule.aliases.first().expect("AWS-EC2-001 has aliases");
        for name in [&rule.id, &rule.slug, alias] {
            for spelled in [name.to_string(), name.to_lowercase(), name.to_uppercase()] {
                assert!(rule.is_named(&spelled), "{spelled}");
            }
        }
        // `explain` finds it the same way (the slug used to be matched
        // case-sensitively there alone). Aliases may be shared, so by id
        // and slug only.
        for name in [&rule.id, &rule.slug] {
            for spelled in [name.to_lowercase(), name.to_uppercase()] {
                assert_eq!(rules.find(&spelled).map(|r| &r.info.id), Some(&rule.id));
            }
        }
        assert!(!rule.is_named("AWS-EC2-00"));
    }
}
