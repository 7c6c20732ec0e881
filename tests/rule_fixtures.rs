//! Finds every rule and its fixtures by itself and checks each rule flags
//! exactly the marked lines of its `bad` fixtures and nothing of its own in its
//! `good` ones. Adding a rule needs no edit here.

use demarc::attribution::Attribution;
use demarc::model::Framework;
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (file relative to the fixture directory, line) per rule id.
type Expected = BTreeMap<String, BTreeSet<(String, usize)>>;

fn fixture_root() -> PathBuf {
    Path::new("fixtures").to_path_buf()
}

/// Reads `# expect: ID, ID` markers from every file and `expect.txt` sidecars.
fn expectations(dir: &Path) -> Expected {
    let mut expected = Expected::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if relative == "expect.txt" {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let (location, id) = line
                        .split_once(' ')
                        .expect("expect.txt lines are `FILE:LINE ID`");
                    let (file, number) = location.rsplit_once(':').unwrap();
                    expected
                        .entry(id.trim().to_string())
                        .or_default()
                        .insert((file.to_string(), number.parse().unwrap()));
                }
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                if let Some((_, ids)) = line.split_once("# expect:") {
                    for id in ids.split(',') {
                        expected
                            .entry(id.trim().to_string())
                            .or_default()
                            .insert((relative.clone(), n + 1));
                    }
                }
            }
        }
    }
    expected
}

fn findings(dir: &Path, rules: &RuleSet, attribution: &Attribution) -> (Expected, Vec<String>) {
    let result = scan(
        &ScanOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        },
        rules,
        attribution,
    );
    let prefix = format!("{}/", dir.to_string_lossy().replace('\\', "/"));
    let mut found = Expected::new();
    for f in &result.findings {
        let file = f
            .location
            .file
            .strip_prefix(&prefix)
            .unwrap_or(&f.location.file)
            .to_string();
        found
            .entry(f.rule.id.clone())
            .or_default()
            .insert((file, f.location.start_line));
    }
    (found, result.errors.iter().map(|e| e.to_string()).collect())
}

#[test]
fn every_rule_flags_its_bad_fixtures_at_the_marked_lines_and_spares_the_good() {
    let rules = RuleSet::embedded().expect("embedded rules load");
    let attribution = Attribution::embedded().expect("catalog and matrix load");
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in &rules.rules {
        let id = &rule.info.id;
        for framework in &rule.info.frameworks {
            for kind in ["bad", "good"] {
                let dir = fixture_root().join(id).join(framework.name()).join(kind);
                if !dir.is_dir() {
                    failures.push(format!("{id}: missing fixture directory {}", dir.display()));
                    continue;
                }
                checked += 1;
                let expected = expectations(&dir);
                let (found, errors) = findings(&dir, &rules, &attribution);
                if !errors.is_empty() {
                    failures.push(format!("{}: scan errors: {errors:?}", dir.display()));
                }
                if kind == "bad" && expected.get(id.as_str()).is_none_or(|e| e.is_empty()) {
                    failures.push(format!("{}: no `# expect: {id}` marker", dir.display()));
                }
                // Every rule named by a marker must match exactly; the rule under
                // test must also stay silent where nothing is marked.
                let mut named: BTreeSet<&String> = expected.keys().collect();
                named.insert(id);
                for rule_id in named {
                    let want = expected.get(rule_id).cloned().unwrap_or_default();
                    let got = found.get(rule_id).cloned().unwrap_or_default();
                    if want != got {
                        failures.push(format!(
                            "{} [{rule_id}]:\n    missing: {:?}\n    unexpected: {:?}",
                            dir.display(),
                            want.difference(&got).collect::<Vec<_>>(),
                            got.difference(&want).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no fixtures were checked");
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_directories_belong_to_rules_and_their_frameworks() {
    let rules = RuleSet::embedded().unwrap();
    for entry in std::fs::read_dir(fixture_root()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !entry.path().is_dir() || name.starts_with('_') {
            continue;
        }
        let rule = rules.rules.iter().find(|r| r.info.id == name);
        let rule = rule.unwrap_or_else(|| panic!("fixtures/{name} has no rule"));
        for fw in std::fs::read_dir(entry.path()).unwrap().flatten() {
            let fw_name = fw.file_name().to_string_lossy().to_string();
            assert!(
                rule.info.frameworks.iter().any(|f| f.name() == fw_name),
                "fixtures/{name}/{fw_name}: the rule has no {fw_name} matcher"
            );
            // Only `bad/` and `good/` are scanned: anything else would be a
            // fixture no test ever reads.
            for kind in std::fs::read_dir(fw.path()).unwrap().flatten() {
                let kind_name = kind.file_name().to_string_lossy().to_string();
                assert!(
                    kind.path().is_dir() && (kind_name == "bad" || kind_name == "good"),
                    "fixtures/{name}/{fw_name}/{kind_name}: only bad/ and good/ belong here"
                );
            }
        }
    }
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
    assert!(Framework::ALL.len() == 2);
}
