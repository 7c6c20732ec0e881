//! Inline suppressions as a team writes them: demarc's own comments (above
//! the resource, above or after the attribute, inside the block, with an
//! expiry date), CloudFormation Metadata in YAML and JSON templates, and the
//! Checkov, tfsec and Trivy forms users bring with them. Suppressed findings
//! stay in JSON and SARIF, leave text and the exit code, and
//! `--no-suppressions` brings them all back.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

/// The rules these tests suppress: other rules may fire on the same
/// resources, and their findings are not what suppression is tested on.
const RULES: &str = "rules:\n  enable: [AWS-EC2-001, AWS-RDS-001, AWS-RDS-002, AWS-S3-001]\n";

/// Scans `dir` (as the current directory) with JSON output.
fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), RULES).unwrap();
    let out = demarc(dir)
        .args(["scan", ".", "--format", "json", "--config"])
        .arg(config.path())
        .args(args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// `(rule, line, suppressed kind or "")` per finding.
fn rows(report: &Value) -> Vec<(String, u64, String)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["start_line"].as_u64().unwrap(),
                f["suppressed"]["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn warnings(report: &Value) -> Vec<(u64, String)> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["line"].as_u64().unwrap(),
                w["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const SSH_RULE: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

const RDP_RULE: &str = r#"
resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = "sg-123"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
"#;

#[test]
fn a_comment_above_the_resource_suppresses_it_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# demarc:ignore AWS-EC2-001 bastion host, reviewed by security in TICKET-12\n{SSH_RULE}{RDP_RULE}"
    );
    write(dir.path(), "main.tf", &text);
    let (report, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        rows(&report),
        [
            ("AWS-EC2-001".into(), 7, "in_source".into()),
            ("AWS-EC2-001".into(), 13, "".into()),
        ]
    );
    assert_eq!(
        findings(&report)[0]["suppressed"],
        serde_json::json!({
            "kind": "in_source",
            "reason": "bastion host, reviewed by security in TICKET-12",
        })
    );
    assert_eq!(report["summary"]["total"], 1);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(code, 1, "the other finding still fails");
    assert_eq!(report["warnings"], serde_json::json!([]));

    // Text leaves the suppressed finding out and counts it.
    let out = demarc(dir.path()).args(["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("main.tf:7:"), "{text}");
    assert!(text.contains("main.tf:13:"), "{text}");
    assert!(
        text.contains("1 finding (1 critical) in 1 of 1 file scanned (")
            && text.contains("); 1 suppressed\n"),
        "{text}"
    );
}

#[test]
fn comments_on_the_attribute_inside_the_block_or_trailing_all_work() {
    let placements = [
        // Above the offending attribute.
        SSH_RULE.replace(
            "  cidr_blocks",
            "  // demarc:ignore security-group-admin-port-open-to-internet VPN range\n  cidr_blocks",
        ),
        // Trailing on the offending line.
        SSH_RULE.replace(
            "[\"0.0.0.0/0\"]",
            "[\"0.0.0.0/0\"] # demarc:ignore AWS-EC2-001 VPN range",
        ),
        // Anywhere inside the block.
        SSH_RULE.replace(
            "  type ",
            "  # demarc:ignore AWS-EC2-001 VPN range\n  type ",
        ),
    ];
    for text in placements {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "main.tf", &text);
        let (report, code) = scan_json(dir.path(), &[]);
        let rows = rows(&report);
        assert_eq!(rows.len(), 1, "{text}");
        assert_eq!(rows[0].2, "in_source", "{text}");
        assert_eq!(code, 0, "{text}");
        assert_eq!(report["warnings"], serde_json::json!([]), "{text}");
    }
}

#[test]
fn until_dates_expire_into_a_note_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# demarc:ignore AWS-EC2-001 until=2001-01-31 temporary during migration\n{SSH_RULE}\n# demarc:ignore AWS-EC2-001 until=2999-12-31 accepted risk{RDP_RULE}"
    );
    write(dir.path(), "main.tf", &text);
    let (report, code) = scan_json(dir.path(), &[]);
    let f = findings(&report);
    assert_eq!(f.len(), 2);
    // The expired one is back, with a note.
    assert!(f[0]["suppressed"].is_null());
    let note = f[0]["notes"][0].as_str().unwrap();
    assert!(
        note.contains("main.tf:1 expired on 2001-01-31 (temporary during migration)"),
        "{note}"
    );
    // The other holds until its date.
    assert_eq!(f[1]["suppressed"]["until"], "2999-12-31");
    assert_eq!(code, 1);
    let warnings = warnings(&report);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 1);
    assert!(warnings[0].1.contains("expired on 2001-01-31"));

    let out = demarc(dir.path()).args(["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note: a suppression at main.tf:1 expired"),
        "{text}"
    );
    assert!(text.contains("warning: main.tf:1:1: suppression"), "{text}");
}

#[test]
fn unknown_rules_and_suppressions_of_nothing_are_warnings_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# demarc:ignore AWS-EC2-999 typo in the id\n{SSH_RULE}\n# demarc:ignore AWS-S3-001 nothing of that rule here\nresource \"aws_security_group\" \"empty\" {{\n  name = \"x\"\n}}\n# demarc:ignore AWS-EC2-001\nlocals {{\n  x = 1\n}}\n"
    );
    write(dir.path(), "main.tf", &text);
    let (report, code) = scan_json(dir.path(), &["--fail-on", "none"]);
    assert_eq!(code, 0, "warnings never change the exit code");
    let warnings = warnings(&report);
    let summary: Vec<(u64, bool)> = warnings
        .iter()
        .map(|(line, m)| {
            (
                *line,
                m.contains("unknown rule")
                    || m.contains("suppresses nothing")
                    || m.contains("no reason"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(1, true), (11, true), (15, true), (15, true)],
        "{warnings:?}"
    );
    assert!(warnings[0].1.contains("unknown rule `AWS-EC2-999`"));
    assert!(warnings[1]
        .1
        .contains("`demarc:ignore AWS-S3-001` suppresses nothing"));
    assert_eq!(report["summary"]["warnings"], 4);
    // The SSH finding is still there: the typo suppressed nothing.
    assert_eq!(rows(&report)[0].2, "");

    let sarif = demarc(dir.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 4);
    assert!(notes.iter().all(|n| n["level"] == "warning"));
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn checkov_tfsec_and_trivy_suppressions_work_through_aliases() {
    let cases = [
        (
            "  #checkov:skip=CKV_AWS_24:bastion reviewed\n",
            "bastion reviewed",
        ),
        (
            "  #tfsec:ignore:aws-ec2-no-public-ingress-sgr:exp:2999-01-01\n",
            "tfsec:ignore:aws-ec2-no-public-ingress-sgr",
        ),
        (
            "  # trivy:ignore:AVD-AWS-0107\n",
            "trivy:ignore:AVD-AWS-0107",
        ),
    ];
    for (comment, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let text = SSH_RULE.replace("  cidr_blocks", &format!("{comment}  cidr_blocks"));
        // A Checkov skip of a check demarc does not have is not our business.
        let text = format!("{text}# checkov:skip=CKV_AWS_999:other tool\n");
        write(dir.path(), "main.tf", &text);
        let (report, code) = scan_json(dir.path(), &[]);
        assert_eq!(code, 0, "{comment}");
        let f = &findings(&report)[0];
        assert_eq!(f["suppressed"]["kind"], "in_source", "{comment}");
        assert_eq!(f["suppressed"]["reason"], reason, "{comment}");
        assert_eq!(report["warnings"], serde_json::json!([]), "{comment}");
    }
    // An expired tfsec ignore returns the finding.
    let dir = tempfile::tempdir().unwrap();
    let text = SSH_RULE.replace(
        "  cidr_blocks",
        "  #tfsec:ignore:aws-ec2-no-public-ingress-sgr:exp:2001-01-01\n  cidr_blocks",
    );
    write(dir.path(), "main.tf", &text);
    let (report, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(findings(&report)[0]["suppressed"].is_null());
    // The finding says so in a note; the expired date is tfsec's to warn of.
    assert!(findings(&report)[0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("expired on 2001-01-01"));
    assert_eq!(report["warnings"], serde_json::json!([]));
}

/// In a repository that runs Checkov or Trivy too, their suppressions are
/// theirs: one that suppresses nothing here, or has a bad date, gives no
/// warning. The same mistakes in demarc's own syntax do.
#[test]
fn only_demarc_suppressions_give_warnings() {
    let quiet_bucket = "resource \"aws_s3_bucket_acl\" \"private\" {\n  bucket = \"b\"\n  acl    = \"private\"\n}\n";
    let foreign = [
        "#checkov:skip=CKV_AWS_24:nothing to skip here\n",
        "#tfsec:ignore:aws-ec2-no-public-ingress-sgr\n",
        "# trivy:ignore:AVD-AWS-0107:exp:2030-13-45\n",
    ];
    for comment in foreign {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "main.tf", &format!("{comment}{quiet_bucket}"));
        let (report, code) = scan_json(dir.path(), &[]);
        assert_eq!(code, 0, "{comment}");
        assert_eq!(report["warnings"], serde_json::json!([]), "{comment}");
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!("# demarc:ignore AWS-EC2-001 nothing to skip here\n{quiet_bucket}"),
    );
    let (report, _) = scan_json(dir.path(), &[]);
    let warnings = warnings(&report);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].1.contains("suppresses nothing"));

    // CloudFormation: `Metadata.checkov` skipping a check with no finding,
    // or an entry without an id, is Checkov's business.
    let dir = tempfile::tempdir().unwrap();
    let text = BUCKET_YAML
        .replace("PubliclyAccessible: true", "PubliclyAccessible: false")
        .replace(
            "          - id: CKV_AWS_17\n",
            "          - id: CKV_AWS_17\n          - comment: no id\n",
        );
    write(dir.path(), "db.yaml", &text);
    let (report, _) = scan_json(dir.path(), &[]);
    assert_eq!(report["warnings"], serde_json::json!([]), "{text}");
}

const BUCKET_YAML: &str = "AWSTemplateFormatVersion: \"2010-09-09\"
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    Metadata:
      demarc:
        ignore:
          - id: AWS-RDS-002
            reason: test data only, destroyed nightly
      checkov:
        skip:
          - id: CKV_AWS_17
            comment: private subnet group
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      StorageEncrypted: false
      PubliclyAccessible: true
  Other:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      StorageEncrypted: false
";

#[test]
fn cloudformation_metadata_suppresses_in_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db.yaml", BUCKET_YAML);
    let (report, _) = scan_json(dir.path(), &[]);
    let by_resource: Vec<(String, String, String)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["suppressed"]["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        by_resource.contains(&(
            "Database".into(),
            "AWS-RDS-002".into(),
            "test data only, destroyed nightly".into()
        )),
        "{by_resource:?}"
    );
    assert!(
        by_resource.contains(&(
            "Database".into(),
            "AWS-RDS-001".into(),
            "private subnet group".into()
        )),
        "{by_resource:?}"
    );
    assert!(
        by_resource.contains(&("Other".into(), "AWS-RDS-002".into(), "".into())),
        "{by_resource:?}"
    );
    assert_eq!(report["warnings"], serde_json::json!([]));

    // The same template in JSON.
    let json_dir = tempfile::tempdir().unwrap();
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Database": {
                "Type": "AWS::RDS::DBInstance",
                "Metadata": { "demarc": { "ignore": [
                    { "id": "rds-storage-unencrypted", "reason": "test data only", "until": "2999-01-01" }
                ] } },
                // Nothing wrong with it but the suppressed finding.
                "Properties": {
                    "Engine": "postgres",
                    "StorageEncrypted": false,
                    "PubliclyAccessible": false,
                    "DeletionProtection": true,
                    "EnableIAMDatabaseAuthentication": true,
                    "EnableCloudwatchLogsExports": ["postgresql"]
                }
            }
        }
    });
    write(
        json_dir.path(),
        "db.json",
        &serde_json::to_string_pretty(&template).unwrap(),
    );
    let (report, code) = scan_json(json_dir.path(), &[]);
    let f = findings(&report);
    assert_eq!(f.len(), 1, "{report}");
    assert_eq!(
        f[0]["suppressed"],
        serde_json::json!({ "kind": "in_source", "reason": "test data only", "until": "2999-01-01" })
    );
    assert_eq!(code, 0);
}

#[test]
fn metadata_problems_are_warnings_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = BUCKET_YAML
        .replace("id: AWS-RDS-002", "id: AWS-NOPE-002")
        .replace(
            "            reason: test data only, destroyed nightly\n",
            "",
        );
    write(dir.path(), "db.yaml", &text);
    let (report, _) = scan_json(dir.path(), &[]);
    let warnings = warnings(&report);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().all(|(line, _)| *line == 8));
    assert!(warnings
        .iter()
        .any(|(_, m)| m.contains("unknown rule `AWS-NOPE-002`")));
    assert!(warnings.iter().any(|(_, m)| m.contains("gives no reason")));
}

#[test]
fn no_suppressions_shows_everything_and_sarif_marks_suppressed_results() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!("# demarc:ignore AWS-EC2-001 bastion\n{SSH_RULE}"),
    );
    let (report, code) = scan_json(dir.path(), &["--no-suppressions"]);
    assert_eq!(code, 1);
    assert!(findings(&report)[0]["suppressed"].is_null());
    assert_eq!(report["warnings"], serde_json::json!([]));

    let out = demarc(dir.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        result["suppressions"],
        serde_json::json!([{ "kind": "inSource", "justification": "bastion" }])
    );
    let fingerprint = result["partialFingerprints"]["demarc/v1"].as_str().unwrap();
    assert_eq!(fingerprint.len(), 32);
}

#[test]
fn a_comment_above_a_module_call_covers_what_that_instance_produces() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "# demarc:ignore AWS-EC2-001 the bastion's SSH is reviewed in TICKET-7\nmodule \"bastion\" {\n  source = \"./sg\"\n}\n\nmodule \"web\" {\n  source = \"./sg\"\n}\n",
    );
    std::fs::create_dir(dir.path().join("sg")).unwrap();
    write(&dir.path().join("sg"), "main.tf", SSH_RULE);
    let (report, code) = scan_json(dir.path(), &[]);
    let by_resource: Vec<(String, String)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_string(),
                f["suppressed"]["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_resource,
        [
            (
                "module.bastion.aws_security_group_rule.ssh".to_string(),
                "in_source".to_string()
            ),
            (
                "module.web.aws_security_group_rule.ssh".to_string(),
                "".to_string()
            ),
        ],
        "{report}"
    );
    assert_eq!(code, 1);
    assert_eq!(report["warnings"], serde_json::json!([]));
}

#[test]
fn a_comment_where_the_value_is_set_covers_the_finding_it_feeds() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!(
            "variable \"cidr\" {{\n  type = string\n}}\n\n{}",
            SSH_RULE.replace("[\"0.0.0.0/0\"]", "[var.cidr]")
        ),
    );
    write(
        dir.path(),
        "terraform.tfvars",
        "# demarc:ignore AWS-EC2-001 office egress range, reviewed\ncidr = \"0.0.0.0/0\"\n",
    );
    let (report, code) = scan_json(dir.path(), &[]);
    let f = findings(&report);
    assert_eq!(f.len(), 1, "{report}");
    assert_eq!(f[0]["provenance"][0]["file"], "terraform.tfvars");
    assert_eq!(
        f[0]["suppressed"]["reason"],
        "office egress range, reviewed"
    );
    assert_eq!(code, 0);
}
