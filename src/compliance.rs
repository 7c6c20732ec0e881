//! Compliance frameworks as data, and their controls' state in a scan.
//!
//! Each framework is one file, `rules/compliance/<key>.yaml`, embedded at
//! build time: its sections (with a default responsibility and whether their
//! controls can be checked from code) and its controls (id, a short title,
//! overrides). The rules' `compliance:` fields are the only link between
//! rules and controls: a control is evidenced by the rules that name it.
//!
//! [`evaluate`] turns a finished scan into a [`ComplianceReport`] per
//! framework; reporters only render it.

use crate::finding::{
    ComplianceReport, ComplianceTotals, ControlReport, ControlState, ExaminedResource, Finding,
    Owner, Party, Responsibility, ScanResult,
};
use crate::model::ScanError;
use crate::rules::load::{get, Reader};
use crate::source::SourceFile;
use crate::value::{Entry, Node};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Framework {
    /// The key rules use, e.g. `cis-aws-3.0`: the file's name.
    pub key: String,
    pub name: String,
    pub version: String,
    pub sections: Vec<Section>,
    pub controls: Vec<Control>,
}

#[derive(Clone, Debug)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// The title of its section.
    pub section: String,
    pub checkable: bool,
    pub checkable_reason: Option<String>,
    pub responsibility: Responsibility,
}

impl Framework {
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }
}

/// Every framework built into the binary, sorted by key.
pub fn embedded() -> Result<Vec<Framework>, Vec<ScanError>> {
    let prefix = format!("{}/", crate::rules::COMPLIANCE_DIR);
    let mut frameworks = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in crate::rules::embedded_files() {
        let Some(name) = path.strip_prefix(&prefix) else {
            continue;
        };
        let key = name.trim_end_matches(".yaml").trim_end_matches(".yml");
        let file = SourceFile::new(format!("rules/{path}"), Arc::from(*text));
        match parse(key, &file) {
            Ok(framework) => frameworks.push(framework),
            Err(e) => errors.extend(e),
        }
    }
    frameworks.sort_by(|a, b| a.key.cmp(&b.key));
    match errors.is_empty() {
        true => Ok(frameworks),
        false => Err(errors),
    }
}

/// What a section gives its controls unless a control says otherwise.
struct Defaults {
    title: String,
    checkable: bool,
    checkable_reason: Option<String>,
    responsibility: Option<Responsibility>,
}

/// Reads one framework file. Every error carries its line.
pub fn parse(key: &str, file: &SourceFile) -> Result<Framework, Vec<ScanError>> {
    let mut r = Reader::new(file);
    let root = match crate::parse::yaml::parse_yaml(&file.text, 0) {
        Ok(root) => root,
        Err(e) => {
            r.error(e.span.unwrap_or_default(), e.message);
            return Err(r.errors);
        }
    };
    let top = r.map(&root, "a framework file");
    r.only_keys(
        top,
        &["name", "version", "sections", "controls"],
        "a framework file",
    );
    let text = |r: &mut Reader, key: &str| {
        r.required(&root, top, key, "a framework file")
            .and_then(|n| r.string(n, key))
            .unwrap_or_default()
    };
    let name = text(&mut r, "name");
    let version = text(&mut r, "version");

    let mut sections = Vec::new();
    let mut defaults: BTreeMap<String, Defaults> = BTreeMap::new();
    if let Some(node) = r.required(&root, top, "sections", "a framework file") {
        for entry in r.map(node, "`sections`") {
            let fields = r.map(&entry.value, "a section");
            r.only_keys(fields, SECTION_KEYS, "a section");
            let title = get(fields, "title")
                .and_then(|n| r.string(n, "title"))
                .unwrap_or_default();
            let (checkable, checkable_reason) = checkability(&mut r, &entry.value, fields, true);
            let responsibility = responsibility(&mut r, fields, None);
            sections.push(Section {
                id: entry.key.clone(),
                title: title.clone(),
            });
            defaults.insert(
                entry.key.clone(),
                Defaults {
                    title,
                    checkable,
                    checkable_reason,
                    responsibility,
                },
            );
        }
    }

    let mut controls: Vec<Control> = Vec::new();
    let items = match r.required(&root, top, "controls", "a framework file") {
        Some(Node {
            value: crate::value::Value::List(items),
            ..
        }) => items.as_slice(),
        Some(other) => {
            r.error(other.span, "`controls` must be a list");
            &[]
        }
        None => &[],
    };
    for item in items {
        let fields = r.map(item, "a control");
        r.only_keys(fields, CONTROL_KEYS, "a control");
        let Some(id) = r
            .required(item, fields, "id", "a control")
            .and_then(|n| r.string(n, "id"))
        else {
            continue;
        };
        if controls.iter().any(|c| c.id == id) {
            r.error(item.span, format!("control `{id}` is listed twice"));
            continue;
        }
        let title = r
            .required(item, fields, "title", "a control")
            .and_then(|n| r.string(n, "title"))
            .unwrap_or_default();
        let section_id = match get(fields, "section") {
            Some(n) => r.string(n, "section"),
            None => section_of(&id, &defaults),
        };
        let Some(section) = section_id.as_ref().and_then(|s| defaults.get(s)) else {
            r.error(
                item.span,
                format!("control `{id}` belongs to no section of `sections`"),
            );
            continue;
        };
        let (checkable, checkable_reason) = match get(fields, "checkable") {
            Some(_) => checkability(&mut r, item, fields, section.checkable),
            None => (section.checkable, section.checkable_reason.clone()),
        };
        let Some(responsibility) = responsibility(&mut r, fields, section.responsibility.as_ref())
        else {
            r.error(
                item.span,
                format!("control `{id}` has no `responsibility` and its section gives none"),
            );
            continue;
        };
        controls.push(Control {
            id,
            title,
            section: section.title.clone(),
            checkable,
            checkable_reason,
            responsibility,
        });
    }
    match r.errors.is_empty() {
        true => Ok(Framework {
            key: key.to_string(),
            name,
            version,
            sections,
            controls,
        }),
        false => Err(r.errors),
    }
}

const SECTION_KEYS: &[&str] = &[
    "title",
    "checkable",
    "checkable_reason",
    "responsibility",
    "reasoning",
];
const CONTROL_KEYS: &[&str] = &[
    "id",
    "title",
    "section",
    "checkable",
    "checkable_reason",
    "responsibility",
    "reasoning",
];

/// The section a control id belongs to when it names none: the longest
/// section id it starts with, followed by `.`, `-` or nothing more
/// (`2.1.4` → `2.1`, `EC2.9` → `EC2`, `AC-6(1)` → `AC`).
fn section_of(id: &str, sections: &BTreeMap<String, Defaults>) -> Option<String> {
    sections
        .keys()
        .filter(|s| {
            id.strip_prefix(s.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-']))
        })
        .max_by_key(|s| s.len())
        .cloned()
}

/// `checkable` (default `default`) and, when false, its required reason.
fn checkability(
    r: &mut Reader,
    node: &Node,
    fields: &[Entry],
    default: bool,
) -> (bool, Option<String>) {
    let checkable = match get(fields, "checkable").map(|n| &n.value) {
        None => default,
        Some(crate::value::Value::Bool(b)) => *b,
        Some(_) => {
            r.error(node.span, "`checkable` must be true or false");
            default
        }
    };
    let reason = get(fields, "checkable_reason").and_then(|n| r.string(n, "checkable_reason"));
    if !checkable && reason.is_none() {
        r.error(
            node.span,
            "`checkable: false` needs a `checkable_reason` saying why code cannot show it",
        );
    }
    (checkable, reason.filter(|_| !checkable))
}

/// `responsibility: {iaas, paas, saas}` with `reasoning`, or a shorthand
/// `responsibility: customer` for all three; else the section's.
fn responsibility(
    r: &mut Reader,
    fields: &[Entry],
    default: Option<&Responsibility>,
) -> Option<Responsibility> {
    let reasoning = get(fields, "reasoning").and_then(|n| r.string(n, "reasoning"));
    let Some(node) = get(fields, "responsibility") else {
        let mut inherited = default.cloned()?;
        if let Some(reasoning) = reasoning {
            inherited.reasoning = reasoning;
        }
        return Some(inherited);
    };
    let cells: [Option<&Node>; 3] = match &node.value {
        crate::value::Value::Map(entries) => {
            r.only_keys(entries, &["iaas", "paas", "saas"], "`responsibility`");
            let cells = ["iaas", "paas", "saas"].map(|m| get(entries, m));
            if cells.iter().any(Option::is_none) {
                r.error(node.span, "`responsibility` needs iaas, paas and saas");
                return None;
            }
            cells
        }
        _ => [Some(node); 3],
    };
    let [iaas, paas, saas] = cells.map(|cell| {
        let node = cell?;
        let name = r.string(node, "a responsibility")?;
        let party = Party::parse(&name);
        if party.is_none() {
            r.error(
                node.span,
                format!("unknown party `{name}`; expected customer, shared or provider"),
            );
        }
        party
    });
    let Some(reasoning) = reasoning.or_else(|| default.map(|d| d.reasoning.clone())) else {
        r.error(node.span, "a `responsibility` needs its `reasoning`");
        return None;
    };
    Some(Responsibility {
        iaas: iaas?,
        paas: paas?,
        saas: saas?,
        reasoning,
    })
}

/// The controls named by rules' `compliance:` fields that resolve to no
/// control: (rule id, framework key, control id), for the consistency test
/// and for users' own rules.
pub fn unresolved<'a>(
    frameworks: &[Framework],
    rules: impl IntoIterator<Item = &'a crate::finding::RuleInfo>,
) -> Vec<(String, String, String)> {
    let mut missing = Vec::new();
    for rule in rules {
        for (key, control) in &rule.compliance {
            let found = frameworks
                .iter()
                .find(|f| &f.key == key)
                .is_some_and(|f| f.control(control).is_some());
            if !found {
                missing.push((rule.id.clone(), key.clone(), control.clone()));
            }
        }
    }
    missing
}

/// How many controls a framework has, how many code can show, and how many
/// the given rules evidence (for `demarc compliance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub total: usize,
    pub checkable: usize,
    pub evidenced: usize,
}

pub fn coverage<'a>(
    framework: &Framework,
    rules: impl IntoIterator<Item = &'a crate::finding::RuleInfo>,
) -> Coverage {
    let named: BTreeSet<&str> = rules
        .into_iter()
        .flat_map(|r| r.compliance.iter())
        .filter(|(key, _)| key == &framework.key)
        .map(|(_, control)| control.as_str())
        .collect();
    Coverage {
        total: framework.controls.len(),
        checkable: framework.controls.iter().filter(|c| c.checkable).count(),
        evidenced: framework
            .controls
            .iter()
            .filter(|c| named.contains(c.id.as_str()))
            .count(),
    }
}

/// Each control of `framework` in this scan. The scan must have recorded
/// the (rule, resource) pairs it looked at (`ScanOptions::list_checked`),
/// or no control can pass.
pub fn evaluate(framework: &Framework, result: &ScanResult) -> ComplianceReport {
    let mut totals = ComplianceTotals::default();
    let mut controls = Vec::new();
    for control in &framework.controls {
        let rules: Vec<&crate::finding::RuleInfo> = result
            .rules
            .iter()
            .filter(|r| {
                r.compliance
                    .iter()
                    .any(|(key, id)| key == &framework.key && id == &control.id)
            })
            .map(|r| &**r)
            .collect();
        let is_evidence = |rule_id: &str| rules.iter().any(|r| r.id == rule_id);
        let findings: Vec<_> = result
            .findings
            .iter()
            .filter(|f| is_evidence(&f.rule.id))
            .collect();
        let active: Vec<_> = findings.iter().filter(|f| f.is_active()).collect();
        let resources_checked = examined(result, &is_evidence, &findings);
        let (status, status_reason) = if rules.is_empty() {
            (ControlState::NotChecked, Some(not_checked_reason(control)))
        } else if !active.is_empty() {
            (ControlState::Fail, None)
        } else if !resources_checked.is_empty() {
            (ControlState::Pass, None)
        } else {
            (ControlState::NotApplicable, None)
        };
        let layers: BTreeSet<_> = rules.iter().map(|r| r.layer).collect();
        *totals.by_status.entry(status).or_default() += 1;
        for layer in &layers {
            *totals
                .by_layer
                .entry(*layer)
                .or_default()
                .entry(status)
                .or_default() += 1;
        }
        let owners: BTreeSet<&String> = active.iter().flat_map(|f| &f.owners).collect();
        let finding_owners: BTreeSet<Owner> = active.iter().map(|f| f.owner).collect();
        controls.push(ControlReport {
            id: control.id.clone(),
            title: control.title.clone(),
            section: control.section.clone(),
            responsibility: control.responsibility.clone(),
            checkable: control.checkable,
            checkable_reason: control.checkable_reason.clone(),
            status,
            status_reason,
            rules: rules.iter().map(|r| r.id.clone()).collect(),
            layers: layers.into_iter().collect(),
            findings: active.len(),
            suppressed: findings.len() - active.len(),
            resources_checked,
            owners: owners.into_iter().cloned().collect(),
            unowned: active.iter().filter(|f| f.is_unowned()).count(),
            finding_owners: finding_owners.into_iter().collect(),
        });
    }
    ComplianceReport {
        framework: framework.key.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        controls,
        totals,
    }
}

/// The resources the evidencing rules looked at, each once, at its header's
/// file and line, sorted by file, line and address. A finding on a
/// resource no check listed (a rule on a data source) adds its resource at
/// the finding's line.
fn examined(
    result: &ScanResult,
    is_evidence: &dyn Fn(&str) -> bool,
    findings: &[&Finding],
) -> Vec<ExaminedResource> {
    let mut examined: BTreeSet<ExaminedResource> = BTreeSet::new();
    for checked in result.checked.iter().filter(|c| is_evidence(&c.rule_id)) {
        examined.insert(ExaminedResource {
            file: checked.file.clone(),
            line: checked.line,
            resource: checked.resource.clone(),
        });
    }
    // By address alone: a finding's value can sit in another file than its
    // resource's header (a module input), and is the same resource.
    let listed: BTreeSet<String> = examined.iter().map(|e| e.resource.clone()).collect();
    for finding in findings {
        if !listed.contains(&finding.resource) {
            examined.insert(ExaminedResource {
                file: finding.location.file.clone(),
                line: finding.location.start_line,
                resource: finding.resource.clone(),
            });
        }
    }
    examined.into_iter().collect()
}

/// Why no rule evidences a control: the provider answers for it, it is
/// a process code cannot show, or demarc simply has no rule for it yet.
fn not_checked_reason(control: &Control) -> String {
    let r = &control.responsibility;
    if [r.iaas, r.paas, r.saas]
        .iter()
        .all(|p| *p == Party::Provider)
    {
        format!("inherited from the provider: {}", r.reasoning)
    } else if let Some(reason) = &control.checkable_reason {
        format!("a customer process outside code: {reason}")
    } else {
        "customer-side and checkable from code, but no demarc rule evidences it yet".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framework(text: &str) -> Result<Framework, Vec<ScanError>> {
        parse(
            "test-1.0",
            &SourceFile::new("t.yaml".into(), Arc::from(text)),
        )
    }

    #[test]
    fn controls_take_their_section_defaults_and_override_them() {
        let f = framework(
            "name: T\nversion: '1'\nsections:\n  '1':\n    title: Identity\n    responsibility: customer\n    reasoning: yours\n  '1.2':\n    title: Keys\n    checkable: false\n    checkable_reason: a process\n    responsibility: {iaas: customer, paas: shared, saas: provider}\n    reasoning: split\ncontrols:\n  - {id: '1.1', title: One}\n  - {id: '1.2.1', title: Two, checkable: true}\n  - {id: '1.3', title: Three, responsibility: provider, reasoning: theirs}\n",
        )
        .unwrap();
        let one = f.control("1.1").unwrap();
        assert_eq!((one.section.as_str(), one.checkable), ("Identity", true));
        assert_eq!(one.responsibility.paas, Party::Customer);
        let two = f.control("1.2.1").unwrap();
        assert_eq!(two.section, "Keys");
        assert!(two.checkable && two.checkable_reason.is_none());
        assert_eq!(two.responsibility.saas, Party::Provider);
        let three = f.control("1.3").unwrap();
        assert_eq!(three.responsibility.reasoning, "theirs");
        assert_eq!(three.responsibility.iaas, Party::Provider);
    }

    #[test]
    fn a_bad_framework_file_names_the_line() {
        let errors = framework(
            "name: T\nversion: '1'\nsections:\n  '1': {title: A, responsibility: customer, reasoning: r}\ncontrols:\n  - {id: '1.1', title: One}\n  - {id: '1.1', title: Again}\n  - {id: '2.1', title: Nowhere}\n  - {id: '1.2', title: Hidden, checkable: false}\n",
        )
        .unwrap_err();
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(7), Some(8), Some(9)], "{errors:?}");
    }

    #[test]
    fn every_rule_compliance_id_resolves_to_a_framework_control() {
        let frameworks = embedded().unwrap();
        let rules = crate::rules::RuleSet::embedded().unwrap();
        let missing = unresolved(&frameworks, rules.rules.iter().map(|r| &*r.info));
        assert!(
            missing.is_empty(),
            "rule compliance ids with no framework control: {missing:?}"
        );
    }

    #[test]
    fn every_control_a_rule_evidences_is_marked_checkable() {
        let frameworks = embedded().unwrap();
        let rules = crate::rules::RuleSet::embedded().unwrap();
        let mut wrong = Vec::new();
        for rule in &rules.rules {
            for (key, id) in &rule.info.compliance {
                let control = frameworks
                    .iter()
                    .find(|f| &f.key == key)
                    .and_then(|f| f.control(id));
                if control.is_some_and(|c| !c.checkable) {
                    wrong.push(format!("{} {key} {id}", rule.info.id));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "evidenced but marked not checkable: {wrong:?}"
        );
    }

    #[test]
    fn the_embedded_frameworks_are_the_five_the_rules_use() {
        let keys: Vec<_> = embedded().unwrap().into_iter().map(|f| f.key).collect();
        assert_eq!(
            keys,
            [
                "aws-fsbp",
                "cis-aws-3.0",
                "cis-azure-3.0",
                "cis-gcp-2.0",
                "nist-800-53"
            ]
        );
    }
}
