//! Rules as data: one YAML file per rule, embedded at build time or read from
//! `--rules DIR`, each with a matcher per framework.

pub mod fragments;
pub mod index;
pub mod load;
pub mod matcher;
pub mod policy;
pub mod relations;
pub mod resource_id;
pub mod secrets;
pub mod values;

use crate::finding::RuleInfo;
use crate::model::{Framework, Resource, ScanError, Unit};
use crate::source::SourceFile;
use fragments::Fragments;
use matcher::{Context, Matcher, Outcome, Witness};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// Files under `rules/` that are data for attribution, not rules.
pub const CATALOG_FILE: &str = "catalog.yaml";
pub const MATRIX_FILE: &str = "matrix.yaml";
/// The directory under `rules/` holding the compliance frameworks
/// (`crate::compliance`), one file per framework.
pub const COMPLIANCE_DIR: &str = "compliance";
/// The directory in a user rule directory that holds its rules' fixtures
/// (`fixtures/<ID>/<framework>/{bad,good}/`), as `fixtures/` beside `rules/`
/// does for the built-in ones; its YAML files are templates, not rules.
pub const FIXTURES_DIR: &str = "fixtures";

/// A rule's example from its fixtures: framework, whether it is flagged
/// ("bad") or clean ("good"), the file name and its text.
pub struct Example {
    pub framework: &'static str,
    pub kind: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

/// The built-in examples of a rule, flagged before clean, per framework.
pub fn examples(rule_id: &str) -> impl Iterator<Item = Example> + '_ {
    embedded::EXAMPLES
        .iter()
        .filter(move |(id, ..)| *id == rule_id)
        .map(|&(_, framework, kind, file, text)| Example {
            framework,
            kind,
            file,
            text,
        })
}

/// Every embedded file: (path relative to `rules/`, contents).
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::EMBEDDED
}

/// The embedded file with this path relative to `rules/`.
pub fn embedded_file(name: &str) -> Option<&'static str> {
    embedded::EMBEDDED
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, text)| *text)
}

#[derive(Debug)]
pub struct Rule {
    pub info: Arc<RuleInfo>,
    pub checks: Vec<Check>,
    /// Finding message; `{value}` is replaced by the offending value.
    pub message: Option<String>,
    /// The rule file, for error messages and `demarc explain`.
    pub path: String,
}

/// One framework's matcher of a rule.
#[derive(Debug)]
pub struct Check {
    pub framework: Framework,
    pub resource_types: Vec<String>,
    /// Line and column of each resource type in the rule file, for warnings.
    pub resource_type_positions: Vec<(usize, usize)>,
    pub matcher: Matcher,
    /// `scope: unit`: evaluated once per unit, on its first resource of
    /// `resource_types` (unit order), where its finding attaches.
    pub once_per_unit: bool,
}

/// A rule matched on a resource, pointing at one place.
pub struct Hit<'a> {
    pub rule: &'a Rule,
    pub resource: &'a Resource,
    pub witness: Witness,
}

impl Rule {
    pub fn message(&self, witness: &Witness) -> String {
        match (&self.message, &witness.value) {
            (Some(template), Some(value)) => template.replace("{value}", value),
            (Some(template), None) if !template.contains("{value}") => template.clone(),
            _ => self.info.summary.clone(),
        }
    }
}

/// All rules of a scan, indexed by the resource types they look at.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// (framework, resource type) → (rule index, check index).
    index: HashMap<(Framework, String), Vec<(usize, usize)>>,
    /// The fragments rules may refer to: built-in, then user directories'.
    fragments: Fragments,
}

impl RuleSet {
    /// The rules built into the binary.
    pub fn embedded() -> Result<RuleSet, Vec<ScanError>> {
        let mut set = RuleSet::default();
        if let Some(file) = fragments::builtin_file() {
            set.fragments.add_file(&file)?;
        }
        let files = embedded::EMBEDDED
            .iter()
            .filter(|(path, _)| {
                path.contains('/') && path.split('/').next() != Some(COMPLIANCE_DIR)
            })
            .map(|(path, text)| SourceFile::new(format!("rules/{path}"), Arc::from(*text)));
        set.rules = Self::from_files(files.collect(), &set.fragments)?;
        set.reindex();
        Ok(set)
    }

    /// Adds the rules of a user directory (every `.yaml`/`.yml` below it,
    /// except in its `fixtures/`).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), Vec<ScanError>> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for entry in ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .filter_entry(|e| !(e.depth() == 1 && e.file_name() == FIXTURES_DIR))
            .build()
        {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    let path = e.path();
                    if !matches!(
                        path.extension().and_then(|x| x.to_str()),
                        Some("yaml" | "yml")
                    ) {
                        continue;
                    }
                    match crate::read::text(path, None) {
                        Ok(text) => {
                            files.push(SourceFile::new(crate::discover::display_path(path), text))
                        }
                        Err(err) => errors.push(file_error(path, &err)),
                    }
                }
                Ok(_) => {}
                Err(err) => errors.push(file_error(dir, &err.to_string())),
            }
        }
        let (fragment_files, files): (Vec<_>, Vec<_>) =
            files.into_iter().partition(Fragments::is_fragment_file);
        for file in &fragment_files {
            if let Err(e) = self.fragments.add_file(file) {
                errors.extend(e);
            }
        }
        if files.is_empty() && errors.is_empty() {
            errors.push(file_error(dir, "no rule files (*.yaml) found"));
        }
        let mut added = Self::from_files(files, &self.fragments).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        for rule in &added {
            if self.rules.iter().any(|r| r.info.id == rule.info.id) {
                errors.push(ScanError {
                    file: rule.path.clone(),
                    line: Some(1),
                    column: Some(1),
                    message: format!("rule id `{}` is already defined", rule.info.id),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.rules.append(&mut added);
        self.reindex();
        Ok(())
    }

    fn from_files(
        files: Vec<SourceFile>,
        fragments: &Fragments,
    ) -> Result<Vec<Rule>, Vec<ScanError>> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for file in &files {
            match load::read_rule_with(file, fragments) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }

    fn reindex(&mut self) {
        self.rules.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        self.index.clear();
        for (r, rule) in self.rules.iter().enumerate() {
            for (c, check) in rule.checks.iter().enumerate() {
                for t in &check.resource_types {
                    self.index
                        .entry((check.framework, t.clone()))
                        .or_default()
                        .push((r, c));
                }
            }
        }
    }

    /// Keeps only the rules `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        self.rules.retain(|r| keep(r));
        self.reindex();
    }

    /// Finds a rule by id, slug or alias (case-insensitive).
    pub fn find(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.info.is_named(name))
    }

    /// Runs every applicable check on every resource of a unit. Returns the
    /// hits and how many (rule, resource) pairs stayed undecided because a
    /// value was unknown.
    pub fn run<'a>(&'a self, unit: &'a Unit) -> (Vec<Hit<'a>>, usize) {
        let mut hits = Vec::new();
        let mut undecided = 0;
        // JSON strings `|json` decodes, each once for the whole unit.
        let arena = typed_arena::Arena::new();
        let decoder = values::Decoder::new(unit, &arena);
        let index = index::UnitIndex::new(unit);
        let mut unit_checks_done = Vec::new();
        for resource in unit.resources.iter().filter(|r| !r.is_data) {
            let Some(checks) = self
                .index
                .get(&(resource.framework, resource.resource_type.clone()))
            else {
                continue;
            };
            let ctx = Context {
                unit,
                resource,
                index: &index,
                header: resource.header,
                decoder: &decoder,
            };
            for &(r, c) in checks {
                let rule = &self.rules[r];
                if rule.checks[c].once_per_unit {
                    if unit_checks_done.contains(&(r, c)) {
                        continue;
                    }
                    unit_checks_done.push((r, c));
                }
                match rule.checks[c].matcher.eval(&resource.body, &ctx) {
                    Outcome::Match(witnesses) => {
                        hits.extend(witnesses.into_iter().map(|witness| Hit {
                            rule,
                            resource,
                            witness,
                        }))
                    }
                    Outcome::Unknown => undecided += 1,
                    Outcome::NoMatch => {}
                }
            }
        }
        (hits, undecided)
    }
}

fn file_error(path: &Path, message: &str) -> ScanError {
    ScanError {
        file: crate::discover::display_path(path),
        line: None,
        column: None,
        message: message.to_string(),
    }
}
