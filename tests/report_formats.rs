//! The report formats over a hand-built ScanResult: SARIF against the official
//! 2.1.0 schema (vendored in tests/data), the JSON contract, snapshots of the
//! text and JSON reports.

use demarc::finding::{
    Finding, Layer, Location, Owner, Provenance, RuleDocs, RuleInfo, ScanResult, ServiceModel,
    Severity,
};
use demarc::model::{Framework, ScanError};
use demarc::report::{render, Format, RenderOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const MAIN_TF: &str = r#"resource "aws_s3_bucket_policy" "public" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.site.arn}/*"
    }]
  })
}

resource "aws_security_group" "ssh" {
  name = "ssh"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_cidr]
  }
}

variable "ssh_cidr" {
  default = "0.0.0.0/0"
}
"#;

const TFVARS: &str = "ssh_cidr = \"0.0.0.0/0\"\n";

const TEMPLATE_YAML: &str = "AWSTemplateFormatVersion: \"2010-09-09\"
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      StorageEncrypted: false
";

fn options(color: bool) -> RenderOptions {
    RenderOptions {
        color,
        tool_version: "0.1.0-test".to_string(),
        ..RenderOptions::default()
    }
}

/// The location of the `nth` (0-based) occurrence of `needle` in `text`, with
/// one-based line and column counted in characters, end exclusive.
fn locate(file: &str, text: &str, needle: &str, nth: usize) -> Location {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in {file}"))
        .0;
    let end = start + needle.len();
    let line_col = |offset: usize| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, text[line_start..offset].chars().count() + 1)
    };
    let (start_line, start_column) = line_col(start);
    let (end_line, end_column) = line_col(end);
    Location {
        file: file.to_string(),
        start_line,
        start_column,
        end_line,
        end_column,
        byte_start: start,
        byte_end: end,
    }
}

#[allow(clippy::too_many_arguments)]
fn rule(
    id: &str,
    slug: &str,
    summary: &str,
    severity: Severity,
    layer: Layer,
    service: &str,
    fix: &[(&str, &str)],
    help_uri: Option<&str>,
) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.to_string(),
        slug: slug.to_string(),
        aliases: vec![format!("CKV_{}", id.replace('-', "_"))],
        summary: summary.to_string(),
        severity,
        layer,
        provider: "aws".to_string(),
        service: service.to_string(),
        frameworks: vec![Framework::Terraform, Framework::Cloudformation],
        docs: RuleDocs {
            what: format!("Checks that {}.", summary.to_lowercase()),
            why: "Anyone on the internet can reach what this setting exposes.".to_string(),
            fix: fix
                .iter()
                .map(|(framework, text)| (framework.to_string(), text.to_string()))
                .collect(),
            references: vec![
                "https://docs.aws.amazon.com/securityhub/latest/userguide/".to_string(),
                "CIS AWS Foundations Benchmark 3.0".to_string(),
            ],
        },
        compliance: vec![("cis-aws-3.0".to_string(), "2.1.1".to_string())],
        help_uri: help_uri.map(str::to_string),
        sensitive: false,
        profile: None,
    })
}

fn rules() -> Vec<Arc<RuleInfo>> {
    vec![
        rule(
            "AWS-S3-001",
            "s3-bucket-policy-public-principal",
            "S3 bucket policy allows a public principal",
            Severity::Critical,
            Layer::Identity,
            "s3",
            &[
                (
                    "terraform",
                    "Replace `Principal = \"*\"` with the account or role that needs access,\n\
                     or add a `Condition` that narrows it.\n\nSee also the public access block.",
                ),
                (
                    "cloudformation",
                    "Replace `Principal: \"*\"` in the `PolicyDocument` with a specific principal.",
                ),
            ],
            Some("https://github.com/demarc-scanner/demarc/blob/main/docs/rules/AWS-S3-001.md"),
        ),
        rule(
            "AWS-EC2-002",
            "security-group-ssh-open-to-world",
            "Security group allows SSH from anywhere",
            Severity::High,
            Layer::Network,
            "ec2",
            &[(
                "terraform",
                "Limit `cidr_blocks` to the addresses that administer the host, or use SSM Session Manager.",
            )],
            None,
        ),
        rule(
            "AWS-RDS-003",
            "rds-storage-unencrypted",
            "RDS instance storage is not encrypted",
            Severity::Medium,
            Layer::Data,
            "rds",
            &[
                ("terraform", "Set `storage_encrypted = true`."),
                ("cloudformation", "Set `StorageEncrypted: true`."),
            ],
            None,
        ),
        rule(
            "AWS-CT-001",
            "cloudtrail-single-region",
            "CloudTrail trail is not multi-region",
            Severity::Low,
            Layer::Logging,
            "cloudtrail",
            &[("terraform", "Set `is_multi_region_trail = true`.")],
            None,
        ),
    ]
}

fn sample() -> ScanResult {
    let rules = rules();
    let by_id = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .expect("rule in table")
    };
    let findings = vec![
        Finding {
            rule: by_id("AWS-S3-001"),
            severity: Severity::Critical,
            service_model: ServiceModel::Saas,
            owner: Owner::Shared,
            owner_reason:
                "AWS runs S3 access control, but the bucket policy is written in this code."
                    .to_string(),
            framework: Framework::Terraform,
            resource: "aws_s3_bucket_policy.public".to_string(),
            resource_type: "aws_s3_bucket_policy".to_string(),
            generated: None,
            location: locate("infra/main.tf", MAIN_TF, "\"*\"", 0),
            message: "Bucket policy allows s3:GetObject to any principal (\"*\")".to_string(),
            value: Some("*".to_string()),
            provenance: vec![],
            resource_location: locate(
                "infra/main.tf",
                MAIN_TF,
                "resource \"aws_s3_bucket_policy\"",
                0,
            ),
            value_path: "policy.Statement.Principal".to_string(),
            fingerprint: "5f1c0d2e9a7b4c3d8e6f0a1b2c3d4e5f".to_string(),
            suppression: None,
            owners: vec![],
            owners_from: None,
            notes: vec![],
        },
        Finding {
            rule: by_id("AWS-EC2-002"),
            severity: Severity::High,
            service_model: ServiceModel::Iaas,
            owner: Owner::Shared,
            owner_reason: "AWS enforces security groups; the rules in them are the customer's."
                .to_string(),
            framework: Framework::Terraform,
            resource: "aws_security_group.ssh".to_string(),
            resource_type: "aws_security_group".to_string(),
            generated: None,
            location: locate("infra/main.tf", MAIN_TF, "var.ssh_cidr", 0),
            message: "Ingress to port 22 is open to 0.0.0.0/0".to_string(),
            value: Some("0.0.0.0/0".to_string()),
            provenance: vec![
                Provenance {
                    location: locate("infra/terraform.tfvars", TFVARS, "\"0.0.0.0/0\"", 0),
                    label: "set in terraform.tfvars".to_string(),
                },
                Provenance {
                    location: locate("infra/main.tf", MAIN_TF, "\"0.0.0.0/0\"", 0),
                    label: "default of variable `ssh_cidr`".to_string(),
                },
            ],
            resource_location: locate(
                "infra/main.tf",
                MAIN_TF,
                "resource \"aws_security_group\"",
                0,
            ),
            value_path: "ingress.cidr_blocks".to_string(),
            fingerprint: "a1b2c3d4e5f60718293a4b5c6d7e8f90".to_string(),
            suppression: None,
            owners: vec![],
            owners_from: None,
            notes: vec![],
        },
        Finding {
            rule: by_id("AWS-RDS-003"),
            severity: Severity::Medium,
            service_model: ServiceModel::Paas,
            owner: Owner::Customer,
            owner_reason:
                "Encryption at rest is the customer's data protection on every service model."
                    .to_string(),
            framework: Framework::Cloudformation,
            resource: "Database".to_string(),
            resource_type: "AWS::RDS::DBInstance".to_string(),
            generated: None,
            location: locate("stack/template.yaml", TEMPLATE_YAML, "false", 0),
            message: "StorageEncrypted is false".to_string(),
            value: Some("false".to_string()),
            provenance: vec![],
            resource_location: locate("stack/template.yaml", TEMPLATE_YAML, "Database", 0),
            value_path: "Properties.StorageEncrypted".to_string(),
            fingerprint: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".to_string(),
            suppression: None,
            owners: vec![],
            owners_from: None,
            notes: vec![],
        },
    ];
    let mut sources: BTreeMap<String, Arc<str>> = BTreeMap::new();
    sources.insert("infra/main.tf".to_string(), Arc::from(MAIN_TF));
    sources.insert("stack/template.yaml".to_string(), Arc::from(TEMPLATE_YAML));
    ScanResult {
        findings,
        errors: vec![ScanError {
            file: "broken/bad.tf".to_string(),
            line: Some(3),
            column: Some(5),
            message: "expected `=` or `{`, found `}`".to_string(),
        }],
        rules,
        sources,
        files_scanned: 12,
        ..ScanResult::default()
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("output is JSON")
}

// ---------------------------------------------------------------- SARIF

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let schema_text = include_str!("data/sarif-2.1.0.json");
    let schema: Value = serde_json::from_str(schema_text).expect("schema is JSON");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles without network access");

    let sarif = parse(&render(Format::Sarif, &sample(), &options(false)));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );

    // The empty report is valid too.
    let empty = ScanResult {
        files_scanned: 3,
        ..ScanResult::default()
    };
    let sarif = parse(&render(Format::Sarif, &empty, &options(false)));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        json!(true)
    );

    // And the schema does reject a broken log, so the check above means something.
    let mut broken = parse(&render(Format::Sarif, &sample(), &options(false)));
    broken["runs"][0]["results"][0]["level"] = json!("critical");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_carries_the_contract_fields() {
    let sarif = parse(&render(Format::Sarif, &sample(), &options(false)));
    assert_eq!(
        sarif["$schema"],
        json!("https://json.schemastore.org/sarif-2.1.0.json")
    );
    assert_eq!(sarif["version"], json!("2.1.0"));
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], json!("demarc"));
    assert_eq!(driver["version"], json!("0.1.0-test"));
    // No informationUri until the project has a public home to point at.
    assert!(driver.get("informationUri").is_none());

    // Every rule that ran, in the given order, including one with no finding.
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["AWS-S3-001", "AWS-EC2-002", "AWS-RDS-003", "AWS-CT-001"]
    );
    let security: Vec<&str> = rules
        .iter()
        .map(|r| r["properties"]["security-severity"].as_str().unwrap())
        .collect();
    assert_eq!(security, ["9.5", "8.0", "5.5", "2.0"]);
    let default_levels: Vec<&str> = rules
        .iter()
        .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
        .collect();
    assert_eq!(default_levels, ["error", "error", "warning", "note"]);

    let s3 = &rules[0];
    assert_eq!(s3["name"], json!("s3-bucket-policy-public-principal"));
    assert_eq!(
        s3["shortDescription"]["text"],
        json!("S3 bucket policy allows a public principal")
    );
    assert_eq!(
        s3["fullDescription"]["text"],
        json!("Checks that s3 bucket policy allows a public principal.")
    );
    assert_eq!(
        s3["helpUri"],
        json!("https://github.com/demarc-scanner/demarc/blob/main/docs/rules/AWS-S3-001.md")
    );
    assert!(rules[1].get("helpUri").is_none());
    assert_eq!(
        s3["properties"]["tags"],
        json!(["security", "identity", "aws", "cis-aws-3.0/2.1.1"])
    );
    assert_eq!(s3["properties"]["precision"], json!("high"));
    let markdown = s3["help"]["markdown"].as_str().unwrap();
    for heading in [
        "## What it checks",
        "## Why it matters",
        "## How to fix",
        "### Terraform",
        "### CloudFormation",
        "## References",
        "- <https://docs.aws.amazon.com/securityhub/latest/userguide/>",
        "- CIS AWS Foundations Benchmark 3.0",
    ] {
        assert!(
            markdown.contains(heading),
            "{heading:?} missing from\n{markdown}"
        );
    }
    let text = s3["help"]["text"].as_str().unwrap();
    assert!(text.contains("How to fix (Terraform):"), "{text}");

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "error", "warning"]);
    let rule_indexes: Vec<u64> = results
        .iter()
        .map(|r| r["ruleIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(rule_indexes, [0, 1, 2]);
    // Where the value was set travels as relatedLocations, nearest first.
    assert!(results[0].get("relatedLocations").is_none());
    let related = results[1]["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(
        related[0]["message"]["text"],
        json!("set in terraform.tfvars")
    );
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        json!("infra/terraform.tfvars")
    );
    assert_eq!(
        related[1]["physicalLocation"]["region"]["startLine"],
        json!(25)
    );

    let first = &results[0];
    assert_eq!(first["ruleId"], json!("AWS-S3-001"));
    assert_eq!(
        first["message"]["text"],
        json!("Bucket policy allows s3:GetObject to any principal (\"*\")")
    );
    let physical = &first["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"],
        json!({ "uri": "infra/main.tf", "uriBaseId": "%SRCROOT%" })
    );
    // `Principal = "*"` is line 6; the quoted star spans columns 19..22.
    assert_eq!(
        physical["region"],
        json!({ "startLine": 6, "startColumn": 19, "endLine": 6, "endColumn": 22 })
    );
    assert_eq!(
        first["properties"],
        json!({
            "layer": "identity",
            "service_model": "saas",
            "owner": "shared",
            "owner_reason": "AWS runs S3 access control, but the bucket policy is written in this code.",
            "resource": "aws_s3_bucket_policy.public",
            "resource_type": "aws_s3_bucket_policy",
            "framework": "terraform",
            "severity": "critical",
            "unowned": true,
        })
    );
    let third = &results[2];
    assert_eq!(
        third["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        json!("stack/template.yaml")
    );
    assert_eq!(
        third["locations"][0]["physicalLocation"]["region"],
        json!({ "startLine": 8, "startColumn": 25, "endLine": 8, "endColumn": 30 })
    );
    assert_eq!(third["properties"]["owner"], json!("customer"));
    assert_eq!(third["properties"]["service_model"], json!("paas"));

    // Scan errors are tool execution notifications of the one invocation.
    let invocations = run["invocations"].as_array().unwrap();
    assert_eq!(invocations.len(), 1);
    assert_eq!(invocations[0]["executionSuccessful"], json!(false));
    assert_eq!(
        invocations[0]["toolExecutionNotifications"],
        json!([{
            "level": "error",
            "message": { "text": "expected `=` or `{`, found `}`" },
            "locations": [{ "physicalLocation": {
                "artifactLocation": { "uri": "broken/bad.tf", "uriBaseId": "%SRCROOT%" },
                "region": { "startLine": 3, "startColumn": 5 },
            } }],
        }])
    );
}

#[test]
fn sarif_info_severity_is_a_note_with_zero_security_severity() {
    let mut result = sample();
    let info = rule(
        "AWS-X-009",
        "informational",
        "Informational",
        Severity::Info,
        Layer::Host,
        "ec2",
        &[],
        None,
    );
    result.rules = vec![info];
    let sarif = parse(&render(Format::Sarif, &result, &options(false)));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules[0]["properties"]["security-severity"], json!("0.0"));
    assert_eq!(rules[0]["defaultConfiguration"]["level"], json!("note"));
    // Rules only findings know are appended, so every ruleIndex resolves.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["AWS-X-009", "AWS-S3-001", "AWS-EC2-002", "AWS-RDS-003"]
    );
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_has_the_contract_shape() {
    let report = parse(&render(Format::Json, &sample(), &options(false)));
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["version", "findings", "errors", "warnings", "summary"]
    );
    assert_eq!(report["version"], json!(1));

    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let keys: Vec<&String> = findings[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "rule_id",
            "slug",
            "summary",
            "severity",
            "layer",
            "service_model",
            "owner",
            "framework",
            "resource",
            "resource_type",
            "file",
            "start_line",
            "start_column",
            "end_line",
            "end_column",
            "message",
            "owner_reason",
            "value",
            "provenance",
            "aliases",
            "help",
            "fingerprint",
            "owners",
            "owners_from",
            "unowned",
            "suppressed",
            "notes",
        ]
    );
    assert_eq!(
        findings[1],
        json!({
            "rule_id": "AWS-EC2-002",
            "slug": "security-group-ssh-open-to-world",
            "summary": "Security group allows SSH from anywhere",
            "severity": "high",
            "layer": "network",
            "service_model": "iaas",
            "owner": "shared",
            "framework": "terraform",
            "resource": "aws_security_group.ssh",
            "resource_type": "aws_security_group",
            "file": "infra/main.tf",
            "start_line": 20,
            "start_column": 20,
            "end_line": 20,
            "end_column": 32,
            "message": "Ingress to port 22 is open to 0.0.0.0/0",
            "owner_reason": "AWS enforces security groups; the rules in them are the customer's.",
            "value": "0.0.0.0/0",
            "provenance": [
                {"file": "infra/terraform.tfvars", "start_line": 1, "start_column": 12, "end_line": 1, "end_column": 23, "label": "set in terraform.tfvars"},
                {"file": "infra/main.tf", "start_line": 25, "start_column": 13, "end_line": 25, "end_column": 24, "label": "default of variable `ssh_cidr`"},
            ],
            "aliases": ["CKV_AWS_EC2_002"],
            "help": "Limit `cidr_blocks` to the addresses that administer the host, or use SSM Session Manager.",
            "fingerprint": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "owners": [],
            "owners_from": null,
            "unowned": true,
            "suppressed": null,
            "notes": [],
        })
    );
    // The help is the fix for the finding's own framework.
    assert_eq!(findings[2]["framework"], json!("cloudformation"));
    assert_eq!(findings[2]["help"], json!("Set `StorageEncrypted: true`."));

    assert_eq!(
        report["errors"],
        json!([{
            "file": "broken/bad.tf",
            "line": 3,
            "column": 5,
            "message": "expected `=` or `{`, found `}`",
        }])
    );

    let summary = &report["summary"];
    assert_eq!(summary["total"], json!(3));
    assert_eq!(
        summary["by_severity"],
        json!({ "critical": 1, "high": 1, "medium": 1, "low": 0, "info": 0 })
    );
    let severity_keys: Vec<&String> = summary["by_severity"].as_object().unwrap().keys().collect();
    assert_eq!(severity_keys, ["critical", "high", "medium", "low", "info"]);
    assert_eq!(
        summary["by_layer"],
        json!({
            "identity": 1, "network": 1, "data": 1,
            "logging": 0, "host": 0, "application": 0,
        })
    );
    assert_eq!(summary["by_owner"], json!({ "customer": 1, "shared": 2 }));
    let zero = json!({ "iaas": 0, "paas": 0, "saas": 0 });
    assert_eq!(
        summary["matrix"],
        json!({
            "identity": { "iaas": 0, "paas": 0, "saas": 1 },
            "network": { "iaas": 1, "paas": 0, "saas": 0 },
            "data": { "iaas": 0, "paas": 1, "saas": 0 },
            "logging": zero,
            "host": zero,
            "application": zero,
        })
    );
    let layer_keys: Vec<&String> = summary["matrix"].as_object().unwrap().keys().collect();
    assert_eq!(
        layer_keys,
        [
            "identity",
            "network",
            "data",
            "logging",
            "host",
            "application"
        ]
    );
    assert_eq!(summary["files_scanned"], json!(12));
    assert_eq!(summary["errors"], json!(1));
}

#[test]
fn json_errors_without_position_have_null_line_and_column() {
    let result = ScanResult {
        errors: vec![ScanError {
            file: "unreadable.tf".to_string(),
            line: None,
            column: None,
            message: "permission denied".to_string(),
        }],
        files_scanned: 1,
        ..ScanResult::default()
    };
    let text = render(Format::Json, &result, &options(false));
    assert!(text.ends_with("}\n"));
    let report = parse(&text);
    assert_eq!(
        report["errors"],
        json!([{ "file": "unreadable.tf", "line": null, "column": null, "message": "permission denied" }])
    );
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["summary"]["total"], json!(0));
}

/// The findings are rendered apart and spliced in: the text must be what
/// pretty-printing the whole value gives, and writing what rendering gives.
#[test]
fn json_is_the_pretty_printed_value_whether_rendered_or_written() {
    for result in [sample(), ScanResult::default()] {
        let text = render(Format::Json, &result, &options(false));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&value).unwrap() + "\n");
        let mut written = Vec::new();
        demarc::report::write(Format::Json, &result, &options(false), &mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), text);
    }
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render(Format::Json, &sample(), &options(false)));
}

// ---------------------------------------------------------------- text

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(render(Format::Text, &sample(), &options(false)));
}

#[test]
fn text_without_color_has_no_ansi_escapes() {
    let text = render(Format::Text, &sample(), &options(false));
    assert!(!text.contains('\u{1b}'), "escape code in:\n{text}");
    // With colour on there are some, so the check above is not vacuous.
    let colored = render(Format::Text, &sample(), &options(true));
    assert!(colored.contains("\u{1b}["));
}

#[test]
fn text_shows_each_finding_with_its_snippet_help_and_attribution() {
    let wide = RenderOptions {
        width: 100,
        ..options(false)
    };
    let text = render(Format::Text, &sample(), &wide);
    assert!(text.contains("[critical] AWS-S3-001 S3 bucket policy allows a public principal"));
    assert!(text.contains("identity/shared (saas) · aws_s3_bucket_policy.public"));
    assert!(text.contains("[infra/main.tf:6:19]"), "{text}");
    assert!(text.contains(r#"      Principal = "*""#));
    // Only the first paragraph of the Terraform fix, lines joined.
    assert!(text.contains(
        "help: Replace `Principal = \"*\"` with the account or role that needs access, or add a"
    ));
    assert!(!text.contains("See also the public access block."));
    assert!(text.contains("that narrows it. Full fix: `demarc explain AWS-S3-001`."));
    // The CloudFormation finding gets the CloudFormation fix.
    assert!(text.contains("help: Set `StorageEncrypted: true`."));
    assert!(text.contains("error: broken/bad.tf:3:5: expected `=` or `{`, found `}`"));
    // The files with findings, and the files looked at.
    assert!(text.ends_with(
        "3 findings (1 critical, 1 high, 1 medium) in 2 of 12 files scanned; 1 error\n"
    ));
    // Provenance in another file names it; the step the snippet draws in the
    // finding's own file is not repeated in words.
    assert!(text.contains("↳ set in terraform.tfvars at infra/terraform.tfvars:1:12"));
    assert!(
        text.contains("╰── default of variable `ssh_cidr`"),
        "{text}"
    );
    assert!(!text.contains("↳ default of variable"), "{text}");
}

#[test]
fn text_fits_the_width_it_is_given() {
    for width in [60, 80, 120] {
        let text = render(
            Format::Text,
            &sample(),
            &RenderOptions {
                width,
                ..options(false)
            },
        );
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "over {width}: {line:?}\n{text}"
            );
        }
    }
    // Wider output wraps less.
    let lines = |width| {
        let options = RenderOptions {
            width,
            ..options(false)
        };
        render(Format::Text, &sample(), &options).lines().count()
    };
    assert!(lines(120) < lines(60));
}

#[test]
fn text_critical_and_high_look_different_in_colour() {
    let text = render(Format::Text, &sample(), &options(true));
    let style_before = |tag: &str| {
        let at = text
            .find(tag)
            .unwrap_or_else(|| panic!("{tag} missing: {text}"));
        let escape = text[..at].rfind('\u{1b}').expect("a style before the tag");
        text[escape..at].to_string()
    };
    let (critical, high) = (style_before("[critical]"), style_before("[high]"));
    assert_ne!(critical, high);
    assert!(
        critical.contains("41"),
        "critical on a red background: {critical:?}"
    );
}

#[test]
fn text_falls_back_to_file_line_column_without_source() {
    let mut result = sample();
    result.sources.remove("stack/template.yaml");
    let text = render(Format::Text, &result, &options(false));
    assert!(
        text.contains("stack/template.yaml:8:25: StorageEncrypted is false"),
        "{text}"
    );
    // The Terraform findings still have their snippets.
    assert!(text.contains("[infra/main.tf:6:19]"));

    // Without a snippet, a provenance step in the finding's own file is
    // given by line and column, without repeating the path.
    result.sources.clear();
    let text = render(Format::Text, &result, &options(false));
    assert!(
        text.contains("↳ default of variable `ssh_cidr` at line 25, column 13"),
        "{text}"
    );
    assert!(text.contains("↳ set in terraform.tfvars at infra/terraform.tfvars:1:12"));
}

#[test]
fn text_with_no_findings() {
    let result = ScanResult {
        files_scanned: 1,
        ..ScanResult::default()
    };
    assert_eq!(
        render(Format::Text, &result, &options(false)),
        "No findings in 1 file scanned.\n"
    );
    let result = ScanResult {
        files_scanned: 4,
        errors: vec![ScanError {
            file: "a.tf".to_string(),
            line: Some(1),
            column: None,
            message: "unexpected end of file".to_string(),
        }],
        ..ScanResult::default()
    };
    assert_eq!(
        render(Format::Text, &result, &options(false)),
        "error: a.tf:1: unexpected end of file\n\nNo findings in 4 files scanned; 1 error.\n"
    );
}

/// A finding past column 65,535 (a minified, one-line CloudFormation JSON
/// template) used to panic miette's snippet drawing: exit 101, no report.
#[test]
fn text_report_shows_a_finding_past_column_65535() {
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        concat!(
            r#"{{"AWSTemplateFormatVersion":"2010-09-09","Description":"{}","#,
            r#""Resources":{{"Ssh":{{"Type":"AWS::EC2::SecurityGroup","Properties":{{"#,
            r#""GroupDescription":"ssh","SecurityGroupIngress":[{{"IpProtocol":"tcp","#,
            r#""FromPort":22,"ToPort":22,"CidrIp":"0.0.0.0/0"}}]}}}}}}}}"#
        ),
        "d".repeat(70_000)
    );
    assert!(!template.contains('\n'));
    // The finding points at the JSON string, quotes included.
    let column = template.find("\"0.0.0.0/0\"").unwrap() + 1;
    assert!(column > 70_000);
    std::fs::write(dir.path().join("template.json"), &template).unwrap();

    let out = assert_cmd::Command::cargo_bin("demarc")
        .unwrap()
        .arg("scan")
        .arg(dir.path())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("AWS-EC2-001"), "{stdout}");
    assert!(
        stdout.contains(&format!("template.json:1:{column}]")),
        "{stdout}"
    );
    // The snippet shows the offending value on a clipped line, not all of it.
    assert!(stdout.contains("\"CidrIp\":\"0.0.0.0/0\""), "{stdout}");
    assert!(
        stdout.lines().all(|line| line.chars().count() < 200),
        "{stdout}"
    );
}

/// Piped, the text report is as wide as `COLUMNS` says, else 80 columns.
#[test]
fn text_report_width_follows_columns_when_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), MAIN_TF).unwrap();
    let widest = |columns: Option<&str>| {
        let mut cmd = assert_cmd::Command::cargo_bin("demarc").unwrap();
        cmd.arg("scan").arg(dir.path()).env_remove("COLUMNS");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().map(|l| l.chars().count()).max().unwrap()
    };
    let default = widest(None);
    assert!((70..=80).contains(&default), "{default}");
    assert!(widest(Some("60")) <= 60);
    assert!(widest(Some("200")) > 80);
}
