//! Scanning what changed: files named on the command line (as pre-commit
//! passes them) and `--changed-since GIT_REF` evaluate the module or
//! template a file belongs to with full context, report only what lies in
//! the named files, and leave every other unit unread.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::process::Command as Process;

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The rules these tests are about: other rules may fire on the same
/// resources, and their findings are not what diff scope is tested on.
const RULES: &str = "rules:\n  enable: [AWS-EC2-001, AWS-S3-004, AWS-RDS-002, AWS-VPC-001]\n";

fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), RULES).unwrap();
    let out = demarc(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--config"])
        .arg(config.path())
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

/// `(file, rule)` per finding.
fn places(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const OPEN_SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

/// A bucket whose access logging is configured in a sibling file: judged
/// alone, the bucket has no logging; with its module, it has.
const BUCKET: &str = "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"data\"\n}\n";
const BUCKET_LOGGING: &str = r#"resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = "logs"
  target_prefix = "data/"
}
"#;

#[test]
fn a_named_file_is_evaluated_with_its_module_and_reported_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "infra/bucket.tf", BUCKET);
    write(dir.path(), "infra/logging.tf", BUCKET_LOGGING);
    write(dir.path(), "infra/network.tf", OPEN_SSH);

    // The bucket's logging lives in logging.tf: no S3-004 finding.
    let (report, code) = scan_json(dir.path(), &["infra/bucket.tf"]);
    assert_eq!(places(&report), []);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["files_scanned"], 1);

    // network.tf's finding is reported only when network.tf is named.
    let (report, code) = scan_json(dir.path(), &["infra/bucket.tf", "infra/network.tf"]);
    assert_eq!(
        places(&report),
        [("infra/network.tf".to_string(), "AWS-EC2-001".to_string())]
    );
    assert_eq!(code, 1);

    // The whole directory reports everything, once, even when a file of it
    // is named too.
    let (report, _) = scan_json(dir.path(), &["infra", "infra/bucket.tf"]);
    assert_eq!(places(&report).len(), 1);
}

#[test]
fn other_units_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/main.tf", OPEN_SSH);
    // Broken and noisy units elsewhere: a full scan meets them.
    write(dir.path(), "broken/main.tf", "resource \"x\" {\n");
    for i in 0..50 {
        write(dir.path(), &format!("mod{i}/main.tf"), OPEN_SSH);
    }
    let (full, code) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_eq!(full["findings"].as_array().unwrap().len(), 51);

    let (report, code) = scan_json(dir.path(), &["app/main.tf"]);
    assert_eq!(code, 1, "no error from the broken unit: {report}");
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(places(&report).len(), 1);
}

#[test]
fn a_named_tfvars_file_reports_the_findings_whose_value_it_sets() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "env/main.tf",
        &format!(
            "variable \"cidr\" {{\n  type = string\n}}\n\n{}\n{BUCKET}",
            OPEN_SSH.replace("[\"0.0.0.0/0\"]", "[var.cidr]")
        ),
    );
    write(dir.path(), "env/terraform.tfvars", "cidr = \"0.0.0.0/0\"\n");
    let (report, code) = scan_json(dir.path(), &["env/terraform.tfvars"]);
    // The SSH rule takes its value from the tfvars file; the bucket's
    // finding has nothing to do with it.
    assert_eq!(
        places(&report),
        [("env/main.tf".to_string(), "AWS-EC2-001".to_string())],
        "{report}"
    );
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["files_scanned"], 1);
}

fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn changed_since_scans_the_files_changed_since_a_commit() {
    // git is a requirement of this test, not an option: .ci/run installs it.
    assert!(
        Process::new("git").arg("--version").output().is_ok(),
        "git is not installed; .ci/run installs it (apt-get install git)"
    );
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "infra/network.tf", OPEN_SSH);
    write(dir.path(), "infra/bucket.tf", BUCKET);
    write(dir.path(), "infra/logging.tf", BUCKET_LOGGING);
    write(dir.path(), "legacy/main.tf", OPEN_SSH);
    write(dir.path(), "README.md", "hello\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "start"]);

    // Nothing changed: nothing to report.
    let (report, code) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(places(&report), []);

    // A change to the bucket file and a new untracked template.
    write(
        dir.path(),
        "infra/bucket.tf",
        &format!("{BUCKET}\nresource \"aws_s3_bucket\" \"more\" {{\n  bucket = \"more\"\n}}\n"),
    );
    write(
        dir.path(),
        "stacks/db.yaml",
        // Unencrypted, and nothing else wrong with it, so AWS-RDS-002 is its
        // only finding.
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      StorageEncrypted: false\n      PubliclyAccessible: false\n      DeletionProtection: true\n      EnableIAMDatabaseAuthentication: true\n      EnableCloudwatchLogsExports: [postgresql]\n",
    );
    write(dir.path(), "README.md", "changed\n");
    let (report, _) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    let mut found = places(&report);
    found.sort();
    assert_eq!(
        found,
        [
            ("infra/bucket.tf".to_string(), "AWS-S3-004".to_string()),
            ("stacks/db.yaml".to_string(), "AWS-RDS-002".to_string()),
        ],
        "{report}"
    );
    // PATHs narrow it further.
    let (report, _) = scan_json(dir.path(), &["stacks", "--changed-since", "HEAD"]);
    assert_eq!(places(&report).len(), 1);

    // A bad ref is a usage error.
    let out = demarc(dir.path())
        .args(["scan", "--changed-since", "no-such-ref"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--changed-since: git diff failed"));
}

const VPC: &str = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
const FLOW_LOG: &str = r#"resource "aws_flow_log" "main" {
  vpc_id               = aws_vpc.main.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::flow-logs"
}
"#;

#[test]
fn changed_since_judges_again_the_module_a_deleted_or_renamed_file_leaves() {
    assert!(
        Process::new("git").arg("--version").output().is_ok(),
        "git is not installed; .ci/run installs it (apt-get install git)"
    );
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "net/vpc.tf", VPC);
    write(dir.path(), "net/flowlog.tf", FLOW_LOG);
    write(dir.path(), "legacy/main.tf", OPEN_SSH);
    write(dir.path(), "stacks/old.yaml", "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "start"]);
    let vpc_finding = [("net/vpc.tf".to_string(), "AWS-VPC-001".to_string())];

    // Deleting the flow log leaves the VPC without one; the unchanged
    // legacy module is not read, and a deleted template is no error.
    std::fs::remove_file(dir.path().join("net/flowlog.tf")).unwrap();
    std::fs::remove_file(dir.path().join("stacks/old.yaml")).unwrap();
    let (report, code) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(places(&report), vpc_finding, "{report}");
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(code, 1);
    // Staged or not, the same.
    git(dir.path(), &["add", "-A"]);
    let (report, _) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(places(&report), vpc_finding, "{report}");
    // PATHs narrow deletions too.
    let (report, code) = scan_json(dir.path(), &["legacy", "--changed-since", "HEAD"]);
    assert_eq!(places(&report), []);
    assert_eq!(code, 0);

    // Moving it to another module is a deletion here and an addition there.
    git(dir.path(), &["reset", "-q", "--hard"]);
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    git(dir.path(), &["mv", "net/flowlog.tf", "logs/flowlog.tf"]);
    let (report, _) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(places(&report), vpc_finding, "{report}");

    // A file deleted and written again is a change, not a deletion.
    git(dir.path(), &["reset", "-q", "--hard"]);
    git(dir.path(), &["rm", "-q", "net/flowlog.tf"]);
    write(dir.path(), "net/flowlog.tf", FLOW_LOG);
    let (report, code) = scan_json(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(places(&report), [], "{report}");
    assert_eq!(code, 0);
}
