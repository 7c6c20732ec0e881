//! `scope: unit`: a check evaluated once per unit, reported at the unit's
//! first resource of its types (a unit-wide existence control).

use demarc::attribution::Attribution;
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use std::path::Path;

fn findings(dir: &str) -> Vec<(String, usize)> {
    let mut rules = RuleSet::embedded().unwrap();
    rules.retain(|_| false);
    rules
        .add_dir(Path::new("tests/data/unit-scope/rules"))
        .expect("the test rule loads");
    let result = scan(
        &ScanOptions {
            paths: vec![Path::new("tests/data/unit-scope").join(dir)],
            ..Default::default()
        },
        &rules,
        &Attribution::embedded().unwrap(),
    );
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
        .findings
        .iter()
        .map(|f| (f.rule.id.clone(), f.location.start_line))
        .collect()
}

#[test]
fn unit_without_the_resource_is_reported_once_at_its_first_listed_resource() {
    // Three resources of the listed types, a detector that is switched off:
    // one finding, at the first of them.
    assert_eq!(findings("bad"), [("TEST-UNIT-001".to_string(), 1)]);
}

#[test]
fn unit_with_the_resource_is_clean() {
    assert_eq!(findings("good"), []);
}
