//! The rule language from a user's side: a rule directory with fragments,
//! anchors, several checks per framework and type tests, and the warning for
//! resource types the catalog does not list.

use assert_cmd::Command;
use demarc::attribution::Attribution;
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use serde_json::Value;
use std::path::Path;

const HEADER: &str = r#"slug: acme-open-ports
summary: Open ports
severity: low
layer: network
provider: aws
service: ec2
docs:
  what: Flags things.
  why: Because.
  fix:
    terraform: Fix it.
"#;

/// A rule with this id and checks, in `dir`.
fn write_rule(dir: &Path, id: &str, checks: &str) {
    let text = format!("id: {id}\n{HEADER}{checks}");
    std::fs::write(dir.join(format!("{id}.yaml")), text).unwrap();
}

const MODULE: &str = r#"resource "aws_security_group" "inline" {
  ingress {
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "separate" {
  type        = "ingress"
  from_port   = 8080
  to_port     = 8080
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "egress" {
  type        = "egress"
  from_port   = 8080
  to_port     = 8080
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
}
"#;

/// (rule id, line) of every finding of a scan of `module` with the rules of `dir`.
fn findings(dir: &Path, module: &Path) -> Vec<(String, usize)> {
    let mut rules = RuleSet::embedded().unwrap();
    rules.add_dir(dir).unwrap();
    let result = scan(
        &ScanOptions {
            paths: vec![module.to_path_buf()],
            ..Default::default()
        },
        &rules,
        &Attribution::embedded().unwrap(),
    );
    let mut found: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule.id.starts_with("ACME"))
        .map(|f| (f.rule.id.clone(), f.location.start_line))
        .collect();
    found.sort();
    found
}

#[test]
fn user_rules_share_fragments_anchors_and_checks_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.yaml"),
        "fragments:\n  web_ports: [8080, 8443]\n",
    )
    .unwrap();
    // One matcher for inline blocks and separate rules (an anchor), the
    // ports from a user fragment spliced with a built-in one.
    write_rule(
        dir.path(),
        "ACME-1",
        r#"terraform:
  - resources: [aws_security_group]
    match:
      each: ingress
      match: &open
        all:
          - {$ref: aws_cidr_blocks_open_to_internet}
          - ports: { from: from_port, to: to_port, protocol: protocol, includes: [{$ref: web_ports}, {$ref: admin_ports}] }
  - resources: [aws_security_group_rule]
    match:
      all:
        - *open
        - { path: type, equals: ingress }
"#,
    );
    let module = tempfile::tempdir().unwrap();
    std::fs::write(module.path().join("main.tf"), MODULE).unwrap();
    assert_eq!(
        findings(dir.path(), module.path()),
        [("ACME-1".into(), 6), ("ACME-1".into(), 15)]
    );
}

#[test]
fn type_tests_tell_kinds_apart_inside_one_check() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME-2",
        r#"terraform:
  resources: [aws_security_group, aws_security_group_rule]
  match:
    all:
      - { path: "cidr_blocks[*]", open_to_internet: true }
      - type: aws_security_group_rule
"#,
    );
    let module = tempfile::tempdir().unwrap();
    std::fs::write(module.path().join("main.tf"), MODULE).unwrap();
    assert_eq!(
        findings(dir.path(), module.path()),
        [("ACME-2".into(), 15), ("ACME-2".into(), 23)]
    );
}

#[test]
fn a_fragment_defined_twice_or_unknown_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.yaml"),
        "fragments:\n  admin_ports: [1]\n",
    )
    .unwrap();
    write_rule(
        dir.path(),
        "ACME-3",
        "terraform:\n  resources: [aws_instance]\n  match: {$ref: no_such_fragment}\n",
    );
    let mut rules = RuleSet::embedded().unwrap();
    let errors: Vec<String> = rules
        .add_dir(dir.path())
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.ends_with(
            "lib.yaml:2:3: fragment `admin_ports` is already defined in rules/fragments.yaml"
        )),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("ACME-3.yaml:15:10: unknown fragment `no_such_fragment`")),
        "{errors:?}"
    );
}

#[test]
fn a_resource_type_in_two_checks_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME-5",
        "terraform:\n  - resources: [aws_instance]\n    match: {path: a, exists: true}\n  - resources: [aws_ebs_volume, aws_instance]\n    match: {path: b, exists: true}\n",
    );
    let errors = RuleSet::embedded()
        .unwrap()
        .add_dir(dir.path())
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (Some(16), Some(33)));
    assert!(errors[0]
        .message
        .contains("`aws_instance` is in two checks"));
}

#[test]
fn built_in_rules_name_only_catalogued_resource_types() {
    let rules = RuleSet::embedded().unwrap();
    let warnings = Attribution::embedded().unwrap().unlisted_rule_types(&rules);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn an_uncatalogued_resource_type_is_a_warning_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME-4",
        "terraform:\n  resources: [aws_instance, acme_widget]\n  match: {path: x, exists: true}\n",
    );
    let module = tempfile::tempdir().unwrap();
    std::fs::write(module.path().join("main.tf"), "").unwrap();
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .args(["scan", "--format", "json", "--rules"])
        .arg(dir.path())
        .arg(module.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    let ours: Vec<&Value> = warnings
        .iter()
        .filter(|w| w["file"].as_str().unwrap().ends_with("ACME-4.yaml"))
        .collect();
    assert_eq!(ours.len(), 1, "{report}");
    assert_eq!(ours[0]["line"], 14);
    assert_eq!(ours[0]["column"], 29);
    let message = ours[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`acme_widget` is not in the catalog"),
        "{message}"
    );
    assert!(message.contains("service model iaas"), "{message}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not change the exit code"
    );
}

#[test]
fn value_tests_flag_the_marked_lines_of_their_fixtures() {
    let dir = Path::new("tests/rule_language/rules");
    let mut rules = RuleSet::embedded().unwrap();
    rules.add_dir(dir).unwrap();
    let tested = rules.find("ACME-VALUES").expect("the test rule loads");
    let report = demarc::fixtures::check(
        &rules,
        &[tested],
        &dir.join(demarc::fixtures::FIXTURES_DIR),
        &Attribution::embedded().unwrap(),
    );
    assert!(report.all_passed(), "{report:?}");
    assert_eq!(report.passed(), 1);
}

#[test]
fn demarc_test_warns_of_uncatalogued_resource_types() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME-6",
        "terraform:\n  resources: [acme_widget]\n  match: {path: x, exists: true}\n",
    );
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .arg("test")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "ACME-6.yaml:14:15: rule ACME-6: resource type `acme_widget` is not in the catalog"
        ),
        "{stderr}"
    );
}

#[test]
fn a_type_test_outside_the_checks_resources_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME-7",
        "terraform:\n  resources: [aws_db_instance]\n  match: {all: [{path: a, exists: true}, {type: aws_rds_clustr}]}\n",
    );
    let errors = RuleSet::embedded()
        .unwrap()
        .add_dir(dir.path())
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, Some(15));
    assert!(
        errors[0]
            .message
            .contains("`type: aws_rds_clustr` can never match"),
        "{errors:?}"
    );
}
