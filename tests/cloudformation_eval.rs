//! CloudFormation evaluated as the service would deploy it, end to end:
//! provenance of values that came through parameters, mappings and
//! conditions, SAM, and `--cfn-params` / `--cfn-param` on the command line.

use assert_cmd::Command;
use demarc::attribution::Attribution;
use demarc::finding::Finding;
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use serde_json::Value;
use std::path::Path;

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  SshCidr:
    Type: String
    Default: 10.0.0.0/8
  Stage:
    Type: String
    Default: dev
Mappings:
  Networks:
    dev:
      Rdp: 0.0.0.0/0
    prod:
      Rdp: 10.0.0.0/8
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Bastion:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref SshCidr
        - IpProtocol: tcp
          FromPort: 3389
          ToPort: 3389
          CidrIp: !FindInMap [Networks, !Ref Stage, Rdp]
  Debug:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt Bastion.GroupId
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: !If [IsProd, 10.0.0.0/8, 0.0.0.0/0]
"#;

/// The findings of `rule` in `dir`: other rules may fire on the same
/// resources, and their findings are not what evaluation is tested on.
fn scan_dir(dir: &Path, rule: &str) -> Vec<Finding> {
    let rules = RuleSet::embedded().expect("embedded rules");
    let attribution = Attribution::embedded().expect("catalog and matrix");
    let result = scan(
        &ScanOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        },
        &rules,
        &attribution,
    );
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
        .findings
        .into_iter()
        .filter(|f| f.rule.id == rule)
        .collect()
}

/// (rule, line, [(label, line of the origin)]) of a finding.
type Summary = (String, usize, Vec<(String, usize)>);

fn summary(findings: &[Finding]) -> Vec<Summary> {
    findings
        .iter()
        .map(|f| {
            (
                f.rule.id.clone(),
                f.location.start_line,
                f.provenance
                    .iter()
                    .map(|p| (p.label.clone(), p.location.start_line))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn findings_list_where_their_values_were_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TEMPLATE).unwrap();
    let found = summary(&scan_dir(dir.path(), "AWS-EC2-001"));
    assert_eq!(
        found,
        vec![
            (
                "AWS-EC2-001".to_string(),
                30,
                vec![
                    ("mapping `Networks` → `dev` → `Rdp`".to_string(), 12),
                    ("default of parameter `Stage`".to_string(), 8),
                ]
            ),
            (
                "AWS-EC2-001".to_string(),
                38,
                vec![(
                    "false branch of `Fn::If` on condition `IsProd`".to_string(),
                    38
                )]
            ),
        ]
    );
}

#[test]
fn sam_findings_point_at_the_sam_template() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: s3://b/k.zip\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: '*'\n              Resource: '*'\n";
    std::fs::write(dir.path().join("template.yaml"), text).unwrap();
    let findings = scan_dir(dir.path(), "AWS-IAM-001");
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.rule.id, "AWS-IAM-001");
    assert_eq!(f.location.start_line, 12);
    assert!(f.location.file.ends_with("template.yaml"));
}

/// Two SAM functions granting everything; the second suppresses it in its
/// `Metadata`.
fn sam_names() -> String {
    let function = |name: &str, metadata: &str| {
        format!("  {name}:\n    Type: AWS::Serverless::Function\n{metadata}    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: s3://b/k.zip\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: '*'\n              Resource: '*'\n")
    };
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}{}",
        function("Worker", ""),
        function(
            "Reviewed",
            "    Metadata:\n      demarc:\n        ignore:\n          - id: AWS-IAM-001\n            reason: break-glass function, reviewed\n"
        )
    )
}

#[test]
fn sam_findings_name_the_sam_resource_with_the_generated_one_as_detail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), sam_names()).unwrap();
    let findings = scan_dir(dir.path(), "AWS-IAM-001");
    let named: Vec<_> = findings
        .iter()
        .map(|f| {
            let generated = f.generated.as_ref().expect("generated by SAM");
            (
                f.resource.as_str(),
                f.resource_type.as_str(),
                generated.resource.as_str(),
                generated.resource_type.as_str(),
                f.suppression.is_some(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (
                "Worker",
                "AWS::Serverless::Function",
                "WorkerRole",
                "AWS::IAM::Role",
                false
            ),
            // `Metadata` on the SAM resource suppresses findings on what it generates.
            (
                "Reviewed",
                "AWS::Serverless::Function",
                "ReviewedRole",
                "AWS::IAM::Role",
                true
            ),
        ]
    );

    // Every format shows it.
    let json = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let admin = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "AWS-IAM-001" && f["resource"] == "Worker")
        .expect("the Worker finding");
    assert_eq!(admin["resource_type"], "AWS::Serverless::Function");
    assert_eq!(
        admin["generated"],
        serde_json::json!({"resource": "WorkerRole", "resource_type": "AWS::IAM::Role"})
    );
    let sarif = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "AWS-IAM-001" && r["properties"]["resource"] == "Worker")
        .expect("the Worker result");
    assert_eq!(result["properties"]["generated"]["resource"], "WorkerRole");
    let text = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["scan", "."])
        .output()
        .unwrap();
    for format in ["markdown", "html", "github", "gitlab"] {
        let out = Command::cargo_bin("demarc")
            .unwrap()
            .current_dir(dir.path())
            .args(["scan", ".", "--format", format])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            report.contains("generated by SAM as WorkerRole (AWS::IAM::Role)"),
            "{format}: {report}"
        );
    }
    // The diagnostic wraps at the terminal's width: compare words.
    let words: Vec<&str> = std::str::from_utf8(&text.stdout)
        .unwrap()
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    assert!(
        words
            .join(" ")
            .contains("· Worker, generated by SAM as WorkerRole (AWS::IAM::Role)"),
        "{words:?}"
    );
}

/// Runs `demarc scan . --format json ARGS` in `dir`, with only AWS-EC2-001
/// enabled (the rule the parameter tests are about).
fn cli(dir: &Path, args: &[&str]) -> (i32, Value) {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "rules:\n  enable: [AWS-EC2-001]\n").unwrap();
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir)
        .args(["scan", ".", "--format", "json", "--config"])
        .arg(config.path())
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

/// The line of each finding of a rule, with the files and lines of its provenance.
fn located(report: &Value) -> Vec<(u64, Vec<(String, u64)>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "AWS-EC2-001")
        .map(|f| {
            let origins = f["provenance"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .map(|o| {
                            (
                                o["file"].as_str().unwrap().to_string(),
                                o["start_line"].as_u64().unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (f["start_line"].as_u64().unwrap(), origins)
        })
        .collect()
}

#[test]
fn cfn_params_files_in_both_formats_and_cfn_param_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("stack")).unwrap();
    std::fs::write(root.join("stack/template.yaml"), TEMPLATE).unwrap();
    // The AWS CLI's list: SSH opens to the world, Stage becomes prod (RDP
    // and the Fn::If branch close).
    std::fs::write(
        root.join("cli.json"),
        "[\n  {\"ParameterKey\": \"SshCidr\", \"ParameterValue\": \"0.0.0.0/0\"},\n  {\"ParameterKey\": \"Stage\", \"ParameterValue\": \"prod\"}\n]\n",
    )
    .unwrap();
    // A plain map.
    std::fs::write(root.join("map.json"), "{\"Stage\": \"prod\"}\n").unwrap();

    let (code, report) = cli(root, &["--cfn-params", "cli.json"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        located(&report),
        vec![(26, vec![("cli.json".to_string(), 2)])],
        "only SSH, from the parameters file"
    );

    let (code, report) = cli(root, &["--cfn-params", "map.json"]);
    assert_eq!(code, 0, "{report}");
    assert!(located(&report).is_empty());

    // The command line beats the files.
    let (code, report) = cli(
        root,
        &[
            "--cfn-params",
            "cli.json",
            "--cfn-param",
            "SshCidr=192.168.0.0/16",
            "--cfn-param",
            "Stage=dev",
        ],
    );
    assert_eq!(code, 1);
    let lines: Vec<u64> = located(&report).iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, vec![30, 38]);
}

#[test]
fn an_unreadable_parameters_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TEMPLATE).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"SshCidr\": ").unwrap();
    let (code, report) = cli(dir.path(), &["--cfn-params", "broken.json"]);
    assert_eq!(code, 2, "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "broken.json");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("parameters file:"));

    let (code, report) = cli(dir.path(), &["--cfn-params", "absent.json"]);
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0]["file"], "absent.json");
}

#[test]
fn resources_a_for_each_loop_makes_are_checked_at_the_loop_body() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loop.yaml"),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nTransform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Admin:\n    - Port\n    - [\"22\", \"443\"]\n    - Ingress${Port}:\n        Type: AWS::EC2::SecurityGroupIngress\n        Properties:\n          GroupId: sg-123\n          IpProtocol: tcp\n          FromPort: !Ref Port\n          ToPort: !Ref Port\n          CidrIp: 0.0.0.0/0\n",
    )
    .unwrap();
    let findings = scan_dir(dir.path(), "AWS-EC2-001");
    let found: Vec<(&str, usize)> = findings
        .iter()
        .map(|f| (f.resource.as_str(), f.location.start_line))
        .collect();
    // Port 22 opens SSH to the internet; 443 is not an admin port.
    assert_eq!(found, [("Ingress22", 14)], "{findings:?}");
}

/// A policy written as JSON text through `Fn::Sub` keeps its known
/// statements: the "*" principal is found, pointed at inside the text when
/// the template holds it verbatim (a block scalar after `!Sub` or
/// `Fn::Sub:`), else at the `Fn::Sub`. A variable anywhere but inside a JSON
/// string (a key, a bare value) leaves the document unknown, as does one that
/// makes the whole principal. Plain JSON text in a block scalar is read in
/// place the same way.
#[test]
fn sub_policies_with_unknown_parts_are_read_where_their_structure_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let policy = |name: &str, document: &str| {
        format!("  {name}:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Bucket\n      PolicyDocument: {document}\n")
    };
    let statement = |principal: &str| {
        format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": "s3:GetObject", "Resource": "arn:${{AWS::Partition}}:s3:::${{Bucket}}/*"}}]}}"#
        )
    };
    let block = |principal: &str| format!("!Sub |\n        {}", statement(principal));
    let text = [
        "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Reader:\n    Type: String\n  Principal:\n    Type: String\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n".to_string(),
        policy("InBlock", &block(r#""*""#)),
        policy("LongForm", &format!("\n        Fn::Sub: |-\n          {}", statement(r#"{"AWS": "*"}"#))),
        policy("ListForm", &format!("!Sub\n        - '{}'\n        - {{}}", statement(r#""*""#))),
        policy("Escaped", &format!("!Sub |\n        {}", statement(r#""*", "Sid": "${!aws:username}""#))),
        policy("Account", &block(r#"{"AWS": "arn:aws:iam::${Reader}:root"}"#)),
        policy("WholePrincipal", &block(r#"{"AWS": "${Principal}"}"#)),
        policy("Key", &block(r#"{"${Principal}": "*"}"#)),
        policy("Bare", &block("${Principal}")),
        // Not substituted: plain JSON text, read in place the same way.
        policy("Plain", &format!("|\n        {}", statement(r#""*""#))),
    ]
    .concat();
    std::fs::write(dir.path().join("template.yaml"), &text).unwrap();
    let findings = scan_dir(dir.path(), "AWS-S3-001");
    let found: Vec<(&str, usize, usize)> = findings
        .iter()
        .map(|f| {
            (
                f.resource.as_str(),
                f.location.start_line,
                f.location.start_column,
            )
        })
        .collect();
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let star = |resource: &str| {
        let at = line(&format!("  {resource}:"));
        let l = text
            .lines()
            .skip(at)
            .position(|l| l.contains("\"*\""))
            .unwrap()
            + at
            + 1;
        let column = text.lines().nth(l - 1).unwrap().find("\"*\"").unwrap() + 1;
        (l, column)
    };
    let sub = |resource: &str| {
        let at = line(&format!("  {resource}:"));
        let l = text
            .lines()
            .skip(at)
            .position(|l| l.contains("Sub"))
            .unwrap()
            + at
            + 1;
        let column = text.lines().nth(l - 1).unwrap().find("Sub").unwrap();
        (l, column)
    };
    let (in_block, long_form) = (star("InBlock"), star("LongForm"));
    let (list_form, escaped) = (sub("ListForm"), sub("Escaped"));
    let plain = star("Plain");
    assert_eq!(
        found,
        [
            ("InBlock", in_block.0, in_block.1),
            ("LongForm", long_form.0, long_form.1),
            // Not verbatim (the variable map follows; `${!...}` is written
            // apart from its text): the finding points at the function.
            ("ListForm", list_form.0, list_form.1),
            ("Escaped", escaped.0, escaped.1),
            ("Plain", plain.0, plain.1),
        ],
        "{text}"
    );
}

#[test]
fn fingerprints_of_two_resources_one_sam_resource_generates_are_distinct_and_stable() {
    let event = |name: &str, path: &str| {
        format!("        {name}:\n          Type: Api\n          Properties:\n            Path: {path}\n            Method: get\n")
    };
    let template = |events: &[String]| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Status:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: s3://b/k.zip\n      Events:\n{}",
            events.concat()
        )
    };
    let health = event("Health", "/health");
    let ping = event("Ping", "/ping");
    // One directory: the file's path is part of the fingerprint.
    let dir = tempfile::tempdir().unwrap();
    let fingerprints = |text: String| {
        std::fs::write(dir.path().join("template.yaml"), text).unwrap();
        let mut found: Vec<(String, String)> = scan_dir(dir.path(), "AWS-APIGATEWAY-003")
            .into_iter()
            .map(|f| {
                assert_eq!(f.resource, "Status");
                (f.generated.unwrap().resource, f.fingerprint)
            })
            .collect();
        found.sort();
        found
    };
    let first = fingerprints(template(&[health.clone(), ping.clone()]));
    let generated: Vec<&str> = first.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(
        generated,
        [
            "ServerlessRestApi GET /health",
            "ServerlessRestApi GET /ping"
        ]
    );
    assert_ne!(first[0].1, first[1].1);
    // Reordered, each method keeps its fingerprint (no ordinal decides).
    assert_eq!(fingerprints(template(&[ping, health])), first);
}
