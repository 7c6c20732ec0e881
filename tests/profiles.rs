//! Rule profiles: a rule with `profile: NAME` is off until the profile is
//! turned on (`--profile NAME` or `rules: {profiles: [NAME]}` in
//! .demarc.yaml); `demarc rules` and `explain` show it, and `demarc test`
//! runs its fixtures whatever is turned on.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// An account-wide control: a module with a bucket but no detector.
const RULE: &str = r#"id: ACME-GD-001
slug: acme-no-detector
summary: Account baseline defines no GuardDuty detector
severity: medium
layer: logging
provider: aws
service: guardduty
profile: acme-baseline
docs:
  what: Flags a module with an S3 bucket and no GuardDuty detector.
  why: Nobody watches the account for threats.
  fix:
    terraform: Add an `aws_guardduty_detector`.
  references: [https://example.com/guardduty]
terraform:
  scope: unit
  resources: [aws_s3_bucket]
  match:
    not:
      in_unit: { types: [aws_guardduty_detector] }
"#;

const BAD: &str =
    "resource \"aws_s3_bucket\" \"logs\" { # expect: ACME-GD-001\n  bucket = \"logs\"\n}\n";
const GOOD: &str = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n\nresource \"aws_guardduty_detector\" \"main\" {}\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository with the rule and its fixtures under `policies/`, and a
/// module under `infra/` that the rule flags when it runs.
fn repo() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(".git")).unwrap();
    let policies = root.path().join("policies");
    write(&policies.join("ACME-GD-001.yaml"), RULE);
    write(
        &policies.join("fixtures/ACME-GD-001/terraform/bad/main.tf"),
        BAD,
    );
    write(
        &policies.join("fixtures/ACME-GD-001/terraform/good/main.tf"),
        GOOD,
    );
    write(
        &root.path().join("infra/main.tf"),
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n",
    );
    root
}

fn demarc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether a JSON scan of `infra` with `args` reports the profile rule.
fn flags_profile_rule(dir: &Path, args: &[&str]) -> bool {
    let mut all = vec!["scan", "infra", "--rules", "policies", "--format", "json"];
    all.extend(args);
    let (_, out, err) = demarc(dir, &all);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "ACME-GD-001")
}

#[test]
fn a_profile_rule_runs_only_when_its_profile_is_turned_on() {
    let root = repo();
    let dir = root.path();
    assert!(!flags_profile_rule(dir, &[]), "off by default");
    assert!(flags_profile_rule(dir, &["--profile", "acme-baseline"]));

    write(
        &dir.join(".demarc.yaml"),
        "rules:\n  profiles: [acme-baseline]\n",
    );
    assert!(flags_profile_rule(dir, &[]), "turned on in .demarc.yaml");
}

#[test]
fn an_unknown_profile_is_an_error_with_its_line() {
    let root = repo();
    let dir = root.path();
    let (code, _, err) = demarc(
        dir,
        &[
            "scan",
            "infra",
            "--rules",
            "policies",
            "--profile",
            "acme-basline",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`acme-basline` is no rule's profile"), "{err}");

    write(&dir.join(".demarc.yaml"), "rules:\n  profiles: [nope]\n");
    let (code, _, err) = demarc(dir, &["scan", "infra", "--rules", "policies"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".demarc.yaml:2:"), "{err}");
    assert!(err.contains("`nope` is no rule's profile"), "{err}");
}

#[test]
fn rules_and_explain_show_the_profile() {
    let root = repo();
    let dir = root.path();
    let (code, out, _) = demarc(dir, &["rules", "--rules", "policies"]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.starts_with("ACME-GD-001"))
        .expect("the rule is listed although its profile is off");
    assert!(line.ends_with("[profile acme-baseline]"), "{line}");

    let (_, out, _) = demarc(dir, &["rules", "--rules", "policies", "--json"]);
    let rules: Value = serde_json::from_str(&out).unwrap();
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ACME-GD-001")
        .unwrap();
    assert_eq!(rule["profile"], "acme-baseline");

    let (_, out, _) = demarc(dir, &["explain", "ACME-GD-001", "--rules", "policies"]);
    assert!(
        out.contains("profile: acme-baseline (off unless turned on"),
        "{out}"
    );
}

#[test]
fn demarc_test_runs_the_fixtures_of_a_profile_rule() {
    let root = repo();
    let (code, out, err) = demarc(root.path(), &["test", "policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok ACME-GD-001 (2 fixtures)"), "{out}");
}

#[test]
fn a_profile_name_must_be_lowercase_words() {
    let root = repo();
    let dir = root.path();
    write(
        &dir.join("policies/ACME-GD-001.yaml"),
        &RULE.replace("profile: acme-baseline", "profile: Acme Baseline"),
    );
    let (code, _, err) = demarc(dir, &["rules", "--rules", "policies"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ACME-GD-001.yaml:8:"), "{err}");
}

#[test]
fn the_built_in_account_baseline_profile_is_off_until_turned_on() {
    let root = env!("CARGO_MANIFEST_DIR");
    let fixture = "fixtures/AWS-GUARDDUTY-002/terraform/bad";
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", fixture, "--format", "json"];
        args.extend(extra);
        let (_, out, err) = demarc(Path::new(root), &args);
        let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "AWS-GUARDDUTY-002")
            .count()
    };
    assert_eq!(scan(&[]), 0);
    assert_eq!(scan(&["--profile", "account-baseline"]), 1);

    let (_, out, _) = demarc(Path::new(root), &["rules"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("AWS-GUARDDUTY-002"))
        .unwrap();
    assert!(line.ends_with("[profile account-baseline]"), "{line}");
}
