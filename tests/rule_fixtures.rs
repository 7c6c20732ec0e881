//! Finds every rule and its fixtures by itself and checks each rule flags
//! exactly the marked lines of its `bad` fixtures and nothing of its own in its
//! `good` ones, then that each rule is complete. Adding a rule needs no edit
//! here.

use demarc::attribution::Attribution;
use demarc::fixtures;
use demarc::model::Framework;
use demarc::rules::RuleSet;
use std::collections::BTreeSet;
use std::path::Path;

/// Runs every built-in rule's fixtures with the code `demarc test` uses, so
/// `fixtures/` is checked exactly as users' fixture directories are: every
/// framework of every rule has `bad/` and `good/`, only those are present,
/// every directory under `fixtures/` belongs to a rule, and each rule flags
/// exactly the marked lines.
#[test]
fn every_rule_flags_its_bad_fixtures_at_the_marked_lines_and_spares_the_good() {
    let rules = RuleSet::embedded().expect("embedded rules load");
    let attribution = Attribution::embedded().expect("catalog and matrix load");
    let tested: Vec<_> = rules.rules.iter().collect();
    let report = fixtures::check(&rules, &tested, Path::new("fixtures"), &attribution);
    let checked: usize = report.rules.iter().map(|r| r.fixtures).sum();
    assert!(
        checked >= 2 * rules.rules.len(),
        "only {checked} fixture directories were checked"
    );
    let mut failures: Vec<String> = report.stray.iter().map(|p| p.to_string()).collect();
    for rule in report.rules.iter().filter(|r| !r.passed()) {
        failures.push(format!("FAIL {}", rule.rule_id));
        failures.extend(rule.problems.iter().map(|p| format!("  {p}")));
    }
    assert!(
        report.all_passed() && failures.is_empty(),
        "{} rules failed:\n{}",
        report.failed(),
        failures.join("\n")
    );
}

#[test]
fn rules_have_unique_ids_slugs_and_complete_docs() {
    let rules = RuleSet::embedded().unwrap();
    assert!(rules.rules.len() >= 2);
    let mut ids = BTreeSet::new();
    let mut slugs = BTreeSet::new();
    let id_shape = regex::Regex::new(r"^[A-Z]+-[A-Z0-9]+-\d{3}$").unwrap();
    let slug_shape = regex::Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    for rule in &rules.rules {
        let i = &rule.info;
        assert!(ids.insert(i.id.clone()), "duplicate id {}", i.id);
        assert!(slugs.insert(i.slug.clone()), "duplicate slug {}", i.slug);
        assert!(id_shape.is_match(&i.id), "{}: id shape", i.id);
        assert!(slug_shape.is_match(&i.slug), "{}: slug shape", i.id);
        assert!(
            !i.summary.is_empty() && !i.summary.contains('\n'),
            "{}: one-line summary",
            i.id
        );
        assert!(i.docs.what.len() > 40, "{}: docs.what too short", i.id);
        assert!(i.docs.why.len() > 40, "{}: docs.why too short", i.id);
        assert!(!i.docs.references.is_empty(), "{}: no references", i.id);
        for f in &i.frameworks {
            assert!(
                i.docs
                    .fix
                    .iter()
                    .any(|(name, text)| name == f.name() && !text.trim().is_empty()),
                "{}: no fix for {}",
                i.id,
                f.name()
            );
        }
        // The rule file lives at rules/<provider>/<service>/<ID>.yaml.
        let expected_path = format!("rules/{}/{}/{}.yaml", i.provider, i.service, i.id);
        assert_eq!(rule.path, expected_path, "{}: rule file location", i.id);
    }
}

#[test]
fn every_rule_resource_type_is_in_the_catalog() {
    let rules = RuleSet::embedded().unwrap();
    let attribution = Attribution::embedded().unwrap();
    let mut missing = Vec::new();
    for rule in &rules.rules {
        for check in &rule.checks {
            for t in &check.resource_types {
                if attribution.service_model(t).is_none() {
                    missing.push(format!("{} ({})", t, rule.info.id));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "resource types missing from rules/catalog.yaml: {missing:?}"
    );
    // Every framework demarc reads has rules to check it with.
    for framework in Framework::ALL {
        assert!(
            rules
                .rules
                .iter()
                .any(|r| r.checks.iter().any(|c| c.framework == framework)),
            "no rule checks {}",
            framework.name()
        );
    }
}
