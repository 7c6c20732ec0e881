//! A sensitive rule's finding never repeats the secret it found: not in its
//! message, value, source snippet or provenance, in any output format, and
//! not in its fingerprint.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Every secret the module below holds, each one a rule must flag.
const SECRETS: [&str; 7] = [
    "Default-Pass-4411",
    "AKIA2E0A8F3B244C9986",
    "Boot-Script-Pass-88",
    "Esc4ped-Secret-19",
    "Q7z",
    "lambda-token-5e6f7a",
    // Written with an escape (`\\`): not found as evaluated, so blanked whole.
    "lash-Pass-21",
];

const MODULE: &str = r#"variable "db_password" {
  type    = string
  default = "Default-Pass-4411"
}

locals {
  boot = <<-SCRIPT
    #!/bin/bash
    export AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986
    export DB_PASSWORD='Boot-Script-Pass-88'
  SCRIPT
}

resource "aws_db_instance" "orders" {
  identifier = "orders"
  password   = var.db_password
}

resource "aws_instance" "app" {
  ami       = "ami-0c55b159cbfafe1f0"
  user_data = local.boot
}

resource "aws_instance" "escaped" {
  ami       = "ami-0c55b159cbfafe1f0"
  user_data = "export DB_PASSWORD=\"Esc4ped-Secret-19\"\n"
}

resource "aws_elasticache_replication_group" "short" {
  replication_group_id = "short"
  description          = "a token too short to search the file for"
  auth_token           = "Q7z"
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = "arn:aws:iam::111122223333:role/fn"
  environment {
    variables = { API_TOKEN = "lambda-token-5e6f7a" }
  }
}

resource "aws_rds_cluster" "escaped" {
  cluster_identifier = "escaped"
  master_password    = "Bs\\lash-Pass-21"
}
"#;

fn module(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    dir
}

fn scan(dir: &Path, format: &str) -> String {
    let output = Command::cargo_bin("demarc")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["scan", ".", "--format", format])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{format}: findings exit 1");
    String::from_utf8(output.stdout).unwrap()
}

fn secret_findings(report: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(report).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("AWS-SECRETS-"))
        .cloned()
        .collect()
}

#[test]
fn no_output_format_prints_a_secret() {
    let dir = module(MODULE);
    let json = scan(dir.path(), "json");
    // Every secret was found (so its absence below means masked, not missed).
    let found = secret_findings(&json);
    let lines: Vec<u64> = found
        .iter()
        .map(|f| f["start_line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [16, 21, 26, 32, 39, 45], "{json}");
    assert!(found
        .iter()
        .all(|f| f["value"].as_str().unwrap().contains("****")));
    for format in [
        "text", "json", "sarif", "junit", "gitlab", "github", "markdown",
    ] {
        let report = if format == "json" {
            json.clone()
        } else {
            scan(dir.path(), format)
        };
        assert!(!report.is_empty(), "{format}");
        for secret in SECRETS {
            assert!(
                !report.contains(secret),
                "{format} shows {secret}:\n{report}"
            );
        }
    }
}

#[test]
fn the_text_report_keeps_the_snippet_around_the_masked_value() {
    let dir = module(MODULE);
    let text = scan(dir.path(), "text");
    assert!(text.contains("password   = var.db_password"), "{text}");
    assert!(
        text.contains("export DB_PASSWORD='*******************'"),
        "{text}"
    );
    assert!(text.contains("auth_token           = \"***\""), "{text}");
    assert!(
        text.contains("master_password    = *****************"),
        "{text}"
    );
}

#[test]
fn fingerprints_do_not_depend_on_the_secret() {
    let fingerprints = |text: &str| -> Vec<String> {
        let dir = module(text);
        secret_findings(&scan(dir.path(), "json"))
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let other = MODULE
        .replace("Default-Pass-4411", "Another-Pass-7733")
        .replace("lambda-token-5e6f7a", "different-token-1b2c3d");
    let (a, b) = (fingerprints(MODULE), fingerprints(&other));
    assert_eq!(a.len(), 6);
    assert_eq!(a, b, "a changed secret keeps the finding's identity");
}
