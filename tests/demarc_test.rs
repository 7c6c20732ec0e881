//! `demarc test`: a user's rule directory with fixtures beside its rules,
//! checked the way the built-in library is.

use assert_cmd::Command;
use std::path::Path;

/// A rule with a check per framework: a bucket given the shared name
/// `scratch`. Findings point at the name.
const RULE: &str = r#"id: ACME-S3-001
slug: acme-bucket-uses-scratch-name
aliases: [ACME_1]
summary: Bucket uses the shared scratch name
severity: low
layer: data
provider: aws
service: s3
docs:
  what: Flags S3 buckets named `scratch`, the name every team reaches for first.
  why: A shared scratch bucket ends up holding data nobody owns or cleans up.
  fix:
    terraform: Name the bucket after its owner.
    cloudformation: Name the bucket after its owner.
  references: [https://example.com/naming]
terraform:
  resources: [aws_s3_bucket]
  match: { path: bucket, equals: scratch }
cloudformation:
  resources: [AWS::S3::Bucket]
  match: { path: Properties.BucketName, equals: scratch }
"#;

const TF_BAD: &str = r#"resource "aws_s3_bucket" "tmp" {
  force_destroy = true
  bucket        = "scratch" # expect: ACME-S3-001
}
"#;

const TF_GOOD: &str = r#"resource "aws_s3_bucket" "logs" {
  bucket = "team-logs"
}
"#;

/// `"BucketName": "scratch"` is on line 6.
const CFN_BAD_JSON: &str = r#"{
  "Resources": {
    "Tmp": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": "scratch"
      }
    }
  }
}
"#;

/// YAML in `fixtures/` must not be read as a rule.
const CFN_GOOD_YAML: &str = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: team-logs\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project directory holding `rules/` with the rule (nested, as the
/// built-in library nests its rules) and complete, passing fixtures.
fn project() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let rules = root.path().join("rules");
    write(&rules.join("aws/s3/ACME-S3-001.yaml"), RULE);
    let fixtures = rules.join("fixtures/ACME-S3-001");
    write(&fixtures.join("terraform/bad/main.tf"), TF_BAD);
    write(&fixtures.join("terraform/good/main.tf"), TF_GOOD);
    write(&fixtures.join("cloudformation/bad/tmp.json"), CFN_BAD_JSON);
    write(
        &fixtures.join("cloudformation/bad/expect.txt"),
        "tmp.json:6 ACME-S3-001\n",
    );
    write(
        &fixtures.join("cloudformation/good/logs.yaml"),
        CFN_GOOD_YAML,
    );
    root
}

/// Runs `demarc test ARGS` in `dir`: (exit code, stdout, stderr).
fn demarc_test(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir)
        .arg("test")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn passing_fixtures_exit_0_with_an_ok_line() {
    let root = project();
    let (code, out, err) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        lines(&out),
        ["ok ACME-S3-001 (4 fixtures)", "1 passed, 0 failed"]
    );
}

#[test]
fn a_marker_on_the_wrong_line_is_missing_there_and_unexpected_where_flagged() {
    let root = project();
    // The marker moves from the name (line 3) to the header (line 1).
    write(
        &root
            .path()
            .join("rules/fixtures/ACME-S3-001/terraform/bad/main.tf"),
        &TF_BAD
            .replace(" # expect: ACME-S3-001", "")
            .replace("\"tmp\" {", "\"tmp\" { # expect: ACME-S3-001"),
    );
    let (code, out, err) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        lines(&out),
        [
            "FAIL ACME-S3-001",
            "  missing: rules/fixtures/ACME-S3-001/terraform/bad/main.tf:1 ACME-S3-001",
            "  unexpected: rules/fixtures/ACME-S3-001/terraform/bad/main.tf:3 ACME-S3-001",
            "0 passed, 1 failed",
        ]
    );
}

#[test]
fn expect_txt_locates_findings_in_json_templates() {
    let root = project();
    write(
        &root
            .path()
            .join("rules/fixtures/ACME-S3-001/cloudformation/bad/expect.txt"),
        "tmp.json:5 ACME-S3-001\n",
    );
    let (code, out, _) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 1, "{out}");
    let fixture = "rules/fixtures/ACME-S3-001/cloudformation/bad/tmp.json";
    assert!(
        out.contains(&format!("  missing: {fixture}:5 ACME-S3-001\n"))
            && out.contains(&format!("  unexpected: {fixture}:6 ACME-S3-001\n")),
        "{out}"
    );
}

#[test]
fn a_rule_without_fixtures_fails_with_what_it_needs() {
    let root = project();
    write(
        &root.path().join("rules/aws/s3/ACME-S3-002.yaml"),
        &RULE
            .replace("ACME-S3-001", "ACME-S3-002")
            .replace("acme-bucket-uses-scratch-name", "acme-bucket-uses-tmp-name"),
    );
    let (code, out, _) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        lines(&out),
        [
            "ok ACME-S3-001 (4 fixtures)",
            "FAIL ACME-S3-002",
            "  rules/fixtures/ACME-S3-002: no fixtures: expected terraform/bad/ and terraform/good/, \
             cloudformation/bad/ and cloudformation/good/ here",
            "1 passed, 1 failed",
        ]
    );
}

#[test]
fn bad_without_good_and_misplaced_or_stray_fixtures_fail() {
    let root = project();
    let fixtures = root.path().join("rules/fixtures");
    std::fs::remove_dir_all(fixtures.join("ACME-S3-001/cloudformation/good")).unwrap();
    write(&fixtures.join("ACME-S3-001/terraform/notes.md"), "notes\n");
    write(&fixtures.join("OLD-001/terraform/bad/main.tf"), TF_BAD);
    let (code, out, _) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        lines(&out),
        [
            "FAIL ACME-S3-001",
            "  rules/fixtures/ACME-S3-001/terraform/notes.md: only bad/ and good/ belong here",
            "  rules/fixtures/ACME-S3-001/cloudformation/good: missing; each framework a rule \
             checks needs bad/ and good/ fixtures",
            "stray: rules/fixtures/OLD-001: fixtures for `OLD-001`, but no rule here has that id",
            "0 passed, 1 failed, 1 stray fixture directory",
        ]
    );
}

#[test]
fn a_bad_fixture_without_a_marker_or_with_an_unreadable_one_fails() {
    let root = project();
    let bad = root.path().join("rules/fixtures/ACME-S3-001/terraform/bad");
    write(
        &bad.join("main.tf"),
        &TF_BAD.replace(" # expect: ACME-S3-001", ""),
    );
    write(&bad.join("other.tf"), "# expect: ACME S3\n");
    let (code, out, _) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 1, "{out}");
    let dir = "rules/fixtures/ACME-S3-001/terraform/bad";
    for line in [
        format!(
            "  error: {dir}/other.tf:1: expected `# expect: ID[, ID]`, found `# expect: ACME S3`"
        ),
        format!("  {dir}: no `# expect: ACME-S3-001` marker (or expect.txt line)"),
        format!("  unexpected: {dir}/main.tf:3 ACME-S3-001"),
    ] {
        assert!(out.lines().any(|l| l == line), "no `{line}` in:\n{out}");
    }
}

#[test]
fn without_a_dir_the_config_names_the_rule_directories() {
    let root = project();
    let (code, out, err) = demarc_test(root.path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("no rule directory to test"), "{err}");

    // As rules/README.md advises: the rules load from the config, and the
    // deliberately bad fixtures stay out of the repository's scan.
    write(
        &root.path().join(".demarc.yaml"),
        "rules:\n  dirs: [rules]\nexclude: [rules/fixtures]\n",
    );
    let (code, out, err) = demarc_test(root.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok ACME-S3-001 (4 fixtures)\n"), "{out}");
    let scan = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(root.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scan.stdout)
    );
}

#[test]
fn rules_that_do_not_load_exit_2() {
    let root = project();
    write(
        &root.path().join("rules/aws/s3/broken.yaml"),
        "id: ACME-S3-003\nseverity: [\n",
    );
    let (code, out, err) = demarc_test(root.path(), &["rules"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("broken.yaml"), "{err}");

    let (code, _, err) = demarc_test(root.path(), &["no-such-dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-dir"), "{err}");
}

#[test]
fn scan_with_the_rule_directory_ignores_its_fixtures() {
    let root = project();
    let iac = root.path().join("iac/main.tf");
    write(&iac, TF_BAD);
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(root.path())
        .args(["scan", "--rules", "rules", "--format", "json", "iac"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let ours: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "ACME-S3-001")
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours, [("iac/main.tf", 3)]);
}
