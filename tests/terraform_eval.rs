//! Terraform evaluated as `terraform plan` would see it, end to end through
//! `demarc::scan::scan` and the JSON report: module addresses, provenance,
//! variable files and flags, plans pointed at their configuration, remote
//! modules installed by `terraform init`, files read by `file()`.

use demarc::attribution::Attribution;
use demarc::eval::terraform::{self, Library, ModuleDir, TerraformOptions};
use demarc::report::{render, Format, RenderOptions};
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Scans `path` and returns the JSON report.
fn scan_json(path: &Path, terraform: TerraformOptions) -> Value {
    let rules = RuleSet::embedded().unwrap();
    let attribution = Attribution::embedded().unwrap();
    let result = scan(
        &ScanOptions {
            paths: vec![path.to_path_buf()],
            terraform,
            ..Default::default()
        },
        &rules,
        &attribution,
    );
    serde_json::from_str(&render(Format::Json, &result, &RenderOptions::default())).unwrap()
}

/// (rule, resource, file name relative to `root`, line) of every finding.
fn findings(report: &Value, root: &Path) -> Vec<(String, String, String, u64)> {
    let prefix = format!("{}/", root.display());
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
                f["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&prefix)
                    .to_string(),
                f["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn finding<'r>(report: &'r Value, resource: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"] == resource)
        .unwrap_or_else(|| panic!("no finding for {resource}: {report:#}"))
}

/// (label, file name, line) of each provenance step.
fn provenance(finding: &Value, root: &Path) -> Vec<(String, String, u64)> {
    let prefix = format!("{}/", root.display());
    finding["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["label"].as_str().unwrap().to_string(),
                p["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&prefix)
                    .to_string(),
                p["start_line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    (dir, root)
}

const SG_MODULE: &str = r#"variable "cidr" {
  type = string
}

resource "aws_security_group" "this" {
  name = "bastion"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}

output "id" {
  value = aws_security_group.this.id
}
"#;

#[test]
fn nested_module_resources_have_full_addresses_and_provenance() {
    let (_guard, root) = tempdir();
    write(
        &root,
        &[
            (
                "env/main.tf",
                r#"variable "admin_cidr" {
  type    = string
  default = "10.0.0.0/8"
}

module "net" {
  source     = "../modules/net"
  count      = 1
  admin_cidr = var.admin_cidr
}
"#,
            ),
            ("env/terraform.tfvars", "admin_cidr = \"0.0.0.0/0\"\n"),
            (
                "modules/net/main.tf",
                r#"variable "admin_cidr" {}

locals {
  bastion_cidr = var.admin_cidr
}

module "bastion_sg" {
  source = "../sg"
  cidr   = local.bastion_cidr
}
"#,
            ),
            ("modules/sg/main.tf", SG_MODULE),
        ],
    );
    let report = scan_json(&root, TerraformOptions::default());
    // Reported once, under its full address: the module directories are
    // evaluated in the context of their calls, not again as roots.
    assert_eq!(
        findings(&report, &root),
        [(
            "AWS-EC2-001".to_string(),
            "module.net[0].module.bastion_sg.aws_security_group.this".to_string(),
            "modules/sg/main.tf".to_string(),
            11
        )]
    );
    let f = finding(
        &report,
        "module.net[0].module.bastion_sg.aws_security_group.this",
    );
    assert_eq!(
        provenance(f, &root),
        [
            (
                "input `cidr` of module `bastion_sg`".to_string(),
                "modules/net/main.tf".to_string(),
                9
            ),
            (
                "local `bastion_cidr`".to_string(),
                "modules/net/main.tf".to_string(),
                4
            ),
            (
                "input `admin_cidr` of module `net`".to_string(),
                "env/main.tf".to_string(),
                9
            ),
            (
                "set in terraform.tfvars".to_string(),
                "env/terraform.tfvars".to_string(),
                1
            ),
        ]
    );
    assert!(report["errors"].as_array().unwrap().is_empty());
}

#[test]
fn a_module_directory_scanned_alone_is_a_root() {
    let (_guard, root) = tempdir();
    write(
        &root,
        &[
            (
                "env/main.tf",
                "module \"sg\" {\n  source = \"../modules/sg\"\n  cidr   = \"0.0.0.0/0\"\n}\n",
            ),
            ("modules/sg/main.tf", SG_MODULE),
        ],
    );
    // Only the module directory: nothing scanned calls it, its variable has
    // no value, so nothing is known and nothing is reported.
    let report = scan_json(&root.join("modules/sg"), TerraformOptions::default());
    assert!(findings(&report, &root).is_empty());
    assert_eq!(report["summary"]["undecided"], 1);
    // Only the caller: the module is outside the scanned path and not read;
    // a note says so.
    let report = scan_json(&root.join("env"), TerraformOptions::default());
    assert!(findings(&report, &root).is_empty());
    let env = root.join("env");
    let text: Arc<str> = Arc::from(std::fs::read_to_string(env.join("main.tf")).unwrap());
    let dir = ModuleDir::parse(env.clone(), vec![("env/main.tf".into(), text)]);
    let library = Library::new(vec![dir], vec![env.clone()], &TerraformOptions::default());
    let unit = terraform::evaluate_root(&library, &env, &TerraformOptions::default()).unwrap();
    assert_eq!(unit.notes.len(), 1, "{:?}", unit.notes);
    assert!(
        unit.notes[0]
            .message
            .contains("outside the scanned directories"),
        "{}",
        unit.notes[0].message
    );
    // Both: evaluated once, through the call.
    let report = scan_json(&root, TerraformOptions::default());
    assert_eq!(
        findings(&report, &root),
        [(
            "AWS-EC2-001".to_string(),
            "module.sg.aws_security_group.this".to_string(),
            "modules/sg/main.tf".to_string(),
            11
        )]
    );
}

#[test]
fn var_files_and_flags_override_files_in_order() {
    let (_guard, root) = tempdir();
    write(
        &root,
        &[
            ("main.tf", SG_MODULE),
            ("terraform.tfvars", "cidr = \"0.0.0.0/0\"\n"),
            ("prod.tfvars", "cidr = \"10.0.0.0/8\"\n"),
            ("open.tfvars.json", "{\"cidr\": \"::/0\"}\n"),
        ],
    );
    let flagged = |options: TerraformOptions| {
        let report = scan_json(&root, options);
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["value"].as_str().unwrap_or_default().to_string(),
                    provenance(f, &root),
                )
            })
            .collect::<Vec<_>>()
    };
    let tfvars = flagged(TerraformOptions::default());
    assert_eq!(tfvars.len(), 1);
    assert_eq!(tfvars[0].0, "0.0.0.0/0");
    assert_eq!(tfvars[0].1[0].0, "set in terraform.tfvars");

    let prod = root.join("prod.tfvars");
    let open = root.join("open.tfvars.json");
    assert!(flagged(TerraformOptions {
        var_files: vec![prod.clone()],
        vars: Vec::new(),
    })
    .is_empty());
    let last_file_wins = flagged(TerraformOptions {
        var_files: vec![prod.clone(), open.clone()],
        vars: Vec::new(),
    });
    assert_eq!(last_file_wins[0].0, "::/0");
    assert!(last_file_wins[0].1[0].0.starts_with("set in "));
    assert!(last_file_wins[0].1[0].1.ends_with("open.tfvars.json"));
    // --var beats every file and has no place in a file.
    let flag = flagged(TerraformOptions {
        var_files: vec![prod],
        vars: vec![("cidr".into(), "0.0.0.0/0".into())],
    });
    assert_eq!(flag.len(), 1);
    assert!(flag[0].1.is_empty());
}

#[test]
fn a_plan_points_at_the_configuration_when_it_is_scanned() {
    let (_guard, root) = tempdir();
    let main = r#"variable "cidr" {
  type = string
}

resource "aws_security_group" "web" {
  name = "web"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}

resource "aws_s3_bucket" "logs" {
  count  = var.cidr == "" ? 0 : 1
  bucket = "logs"
}
"#;
    // `terraform plan -var cidr=0.0.0.0/0`, then `terraform show -json`.
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_security_group.web",
          "mode": "managed",
          "type": "aws_security_group",
          "name": "web",
          "values": {
            "name": "web",
            "egress": [],
            "ingress": [
              {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp",
               "ipv6_cidr_blocks": [], "self": false}
            ]
          }
        },
        {
          "address": "aws_s3_bucket.logs[0]",
          "mode": "managed",
          "type": "aws_s3_bucket",
          "name": "logs",
          "index": 0,
          "values": {"bucket": "logs", "logging": []}
        }
      ]
    }
  },
  "resource_changes": [
    {"address": "aws_security_group.web", "change": {"actions": ["create"], "after_unknown": {"id": true}}}
  ]
}
"#;
    write(&root, &[("main.tf", main), ("plan.json", plan)]);
    let report = scan_json(&root, TerraformOptions::default());
    // The plan knows the value; the finding points at the configuration,
    // once (the directory is not scanned again without the plan). Only the
    // two rules this plan is about are compared, so new rules do not move it.
    let about = ["AWS-EC2-001", "AWS-S3-004"];
    let found: Vec<_> = findings(&report, &root)
        .into_iter()
        .filter(|(rule, ..)| about.contains(&rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "AWS-EC2-001".to_string(),
                "aws_security_group.web".to_string(),
                "main.tf".to_string(),
                12
            ),
            (
                "AWS-S3-004".to_string(),
                "aws_s3_bucket.logs[0]".to_string(),
                "main.tf".to_string(),
                16
            ),
        ]
    );
    let f = finding(&report, "aws_security_group.web");
    assert_eq!(f["value"], "0.0.0.0/0");
    assert_eq!(f["start_column"], 20);

    // Without the configuration, the plan file itself is pointed at.
    let (_guard2, alone) = tempdir();
    write(&alone, &[("plan.json", plan)]);
    let report = scan_json(&alone, TerraformOptions::default());
    let lines: Vec<(String, String, u64)> = findings(&report, &alone)
        .into_iter()
        .filter(|(rule, ..)| about.contains(&rule.as_str()))
        .map(|(rule, _, file, line)| (rule, file, line))
        .collect();
    assert_eq!(
        lines,
        [
            ("AWS-EC2-001".to_string(), "plan.json".to_string(), 15),
            ("AWS-S3-004".to_string(), "plan.json".to_string(), 21),
        ]
    );
}

#[test]
fn plan_references_from_the_configuration_section_link_companions() {
    let (_guard, root) = tempdir();
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data",
     "values": {"bucket": "data"}},
    {"address": "aws_s3_bucket_logging.data", "mode": "managed", "type": "aws_s3_bucket_logging",
     "name": "data", "values": {"target_bucket": "logs"}}
  ]}},
  "resource_changes": [
    {"address": "aws_s3_bucket_logging.data", "change": {"actions": ["create"], "after_unknown": {"bucket": true}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "aws_s3_bucket_logging.data", "mode": "managed", "type": "aws_s3_bucket_logging",
     "name": "data", "expressions": {"bucket": {"references": ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]}}}
  ]}}
}
"#;
    write(&root, &[("plan.json", plan)]);
    let report = scan_json(&root, TerraformOptions::default());
    assert!(
        findings(&report, &root)
            .iter()
            .all(|(rule, ..)| rule != "AWS-S3-004"),
        "{report:#}"
    );
}

#[test]
fn remote_modules_are_read_from_terraform_init_or_noted() {
    let (_guard, root) = tempdir();
    let main = "module \"bastion\" {\n  source  = \"terraform-aws-modules/security-group/aws\"\n  version = \"5.1.0\"\n  cidr    = \"0.0.0.0/0\"\n}\n";
    write(&root, &[("main.tf", main)]);
    // Not initialised: nothing is read; a note says why.
    let dir = ModuleDir::parse(
        root.clone(),
        vec![(format!("{}/main.tf", root.display()), Arc::from(main))],
    );
    let library = Library::new(vec![dir], vec![root.clone()], &TerraformOptions::default());
    let unit = terraform::evaluate_root(&library, &root, &TerraformOptions::default()).unwrap();
    assert!(unit.errors.is_empty());
    assert_eq!(unit.notes.len(), 1, "{:?}", unit.notes);
    assert!(unit.notes[0].message.contains("terraform init"));
    assert!(unit.resources.is_empty());

    // After `terraform init`: read from .terraform/modules.
    write(
        &root,
        &[
            (
                ".terraform/modules/modules.json",
                r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"bastion","Source":"registry.terraform.io/terraform-aws-modules/security-group/aws","Version":"5.1.0","Dir":".terraform/modules/bastion"}]}"#,
            ),
            (".terraform/modules/bastion/main.tf", SG_MODULE),
        ],
    );
    let report = scan_json(&root, TerraformOptions::default());
    assert_eq!(
        findings(&report, &root),
        [(
            "AWS-EC2-001".to_string(),
            "module.bastion.aws_security_group.this".to_string(),
            ".terraform/modules/bastion/main.tf".to_string(),
            11
        )]
    );
}

#[test]
fn files_are_read_only_inside_the_scanned_paths() {
    let (_guard, outer) = tempdir();
    let root = outer.join("repo");
    let policy = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    write(
        &outer,
        &[
            (
                "repo/main.tf",
                r#"resource "aws_iam_policy" "inside" {
  policy = file("${path.module}/policies/admin.json")
}

resource "aws_iam_policy" "templated" {
  policy = templatefile("policies/admin.tftpl", { action = "*" })
}

resource "aws_iam_policy" "outside" {
  policy = file("../secret.json")
}

resource "aws_vpc_security_group_ingress_rule" "from_file" {
  cidr_ipv4   = trimspace(file("allowed.txt"))
  from_port   = 22
  to_port     = 22
  ip_protocol = "tcp"
}
"#,
            ),
            ("repo/allowed.txt", "0.0.0.0/0\n"),
            ("repo/policies/admin.json", policy),
            (
                "repo/policies/admin.tftpl",
                r#"{"Statement": [{"Effect": "Allow", "Action": "${action}", "Resource": "*"}]}"#,
            ),
            ("secret.json", policy),
        ],
    );
    let report = scan_json(&root, TerraformOptions::default());
    let found = findings(&report, &root);
    let mut resources: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    resources.sort();
    assert_eq!(
        resources,
        [
            "aws_iam_policy.inside",
            "aws_iam_policy.templated",
            "aws_vpc_security_group_ingress_rule.from_file"
        ]
    );
    let f = finding(&report, "aws_iam_policy.inside");
    assert_eq!(f["start_line"], 2);
    let f = finding(&report, "aws_vpc_security_group_ingress_rule.from_file");
    assert_eq!(f["start_line"], 14);
    assert_eq!(
        provenance(f, &root),
        [(
            "contents of `allowed.txt`".to_string(),
            "allowed.txt".to_string(),
            1
        )]
    );
}

#[test]
fn terraform_json_and_variable_files_join_their_directory() {
    let (_guard, root) = tempdir();
    write(
        &root,
        &[
            (
                "main.tf.json",
                r#"{"variable": {"cidr": {}},
 "resource": {"aws_vpc_security_group_ingress_rule": {"ssh": {
   "cidr_ipv4": "${var.cidr}", "from_port": 22, "to_port": 22, "ip_protocol": "tcp"}}}}
"#,
            ),
            ("ci.auto.tfvars.json", "{\"cidr\": \"0.0.0.0/0\"}\n"),
            // Only variable files: not a module.
            ("vars-only/terraform.tfvars", "cidr = \"0.0.0.0/0\"\n"),
        ],
    );
    let report = scan_json(&root, TerraformOptions::default());
    assert_eq!(
        findings(&report, &root),
        [(
            "AWS-EC2-001".to_string(),
            "aws_vpc_security_group_ingress_rule.ssh".to_string(),
            "main.tf.json".to_string(),
            3
        )]
    );
    let f = finding(&report, "aws_vpc_security_group_ingress_rule.ssh");
    assert_eq!(provenance(f, &root)[0].0, "set in ci.auto.tfvars.json");
    assert!(report["errors"].as_array().unwrap().is_empty());
}
