//! A deterministic generator of realistic IaC repositories for benchmarks.
//!
//! The same seed and size always give the same files. The mix: Terraform
//! root modules that call shared local modules with variables, tfvars,
//! `for_each` maps, `dynamic` blocks and policies written with `jsonencode`
//! and `aws_iam_policy_document`; CloudFormation templates with parameters,
//! conditions and intrinsics; SAM templates. A known share of them carry
//! misconfigurations, counted in `manifest.json` by the rule they violate.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// splitmix64: tiny, fast and reproducible everywhere; statistical quality is
/// irrelevant here, determinism is what matters.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// What was generated: files, bytes, and injected misconfigurations by rule.
#[derive(Default)]
pub struct Manifest {
    pub files: usize,
    pub bytes: usize,
    pub injected: BTreeMap<&'static str, usize>,
}

impl Manifest {
    fn inject(&mut self, rule: &'static str) {
        *self.injected.entry(rule).or_default() += 1;
    }

    fn to_json(&self, seed: u64) -> String {
        let injected: Vec<String> = self
            .injected
            .iter()
            .map(|(k, v)| format!("    \"{k}\": {v}"))
            .collect();
        format!(
            "{{\n  \"seed\": {seed},\n  \"files\": {},\n  \"bytes\": {},\n  \"injected\": {{\n{}\n  }}\n}}\n",
            self.files,
            self.bytes,
            injected.join(",\n")
        )
    }
}

struct Writer<'a> {
    root: &'a Path,
    manifest: Manifest,
}

impl Writer<'_> {
    fn write(&mut self, relative: &str, text: &str) {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        self.manifest.files += 1;
        self.manifest.bytes += text.len();
    }
}

/// Writes about `files` files under `root` (which must be empty or absent).
pub fn generate(root: &Path, files: usize, seed: u64) -> Manifest {
    let mut rng = Rng::new(seed);
    let mut out = Writer {
        root,
        manifest: Manifest::default(),
    };
    // Shared modules: one per 50 roots, at least two.
    let shared_modules = (files / 200).max(2);
    let without_flow_logs: Vec<bool> = (0..shared_modules)
        .map(|m| network_module(&mut out, m, &mut rng))
        .collect();
    let mut unit = 0;
    while out.manifest.files < files {
        match unit % 5 {
            0 => cloudformation_stack(&mut out, unit, &mut rng),
            1 => sam_stack(&mut out, unit, &mut rng),
            _ => terraform_root(&mut out, unit, &without_flow_logs, &mut rng),
        }
        unit += 1;
    }
    let manifest_json = out.manifest.to_json(seed);
    std::fs::write(root.join("manifest.json"), manifest_json).unwrap();
    out.manifest
}

/// Writes a shared network module; true when it has no flow log, which every
/// call of it then reports.
fn network_module(out: &mut Writer, index: usize, rng: &mut Rng) -> bool {
    let flow_logs = !rng.chance(30);
    let mut main = String::from(
        r#"variable "cidr" {
  type = string
}

variable "ingress_cidrs" {
  type    = map(string)
  default = {}
}

variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}

resource "aws_security_group" "this" {
  name   = "${var.name}-sg"
  vpc_id = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each          = var.ingress_cidrs
  security_group_id = aws_security_group.this.id
  cidr_ipv4         = each.value
  from_port         = 22
  to_port           = 22
  ip_protocol       = "tcp"
  description       = "admin from ${each.key}"
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "security_group_id" {
  value = aws_security_group.this.id
}
"#,
    );
    if flow_logs {
        main.push_str(
            r#"
resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = "arn:aws:s3:::central-flow-logs"
}
"#,
        );
    }
    out.write(&format!("modules/network-{index}/main.tf"), &main);
    !flow_logs
}

fn terraform_root(out: &mut Writer, index: usize, without_flow_logs: &[bool], rng: &mut Rng) {
    let dir = format!("live/app-{index:05}");
    let module = rng.below(without_flow_logs.len() as u64);
    if without_flow_logs[module as usize] {
        out.manifest.inject("AWS-VPC-001");
    }
    let open_ssh = rng.chance(10);
    let public_policy = rng.chance(8);
    let imdsv1 = rng.chance(15);
    let unencrypted = rng.chance(12);
    let open_db_dynamic = rng.chance(6);
    if open_ssh {
        out.manifest.inject("AWS-EC2-001");
    }
    if public_policy {
        out.manifest.inject("AWS-S3-001");
    }
    if imdsv1 {
        // Two instances (`instance_count` defaults to 2), two findings.
        out.manifest.inject("AWS-EC2-004");
        out.manifest.inject("AWS-EC2-004");
    }
    if unencrypted {
        out.manifest.inject("AWS-EBS-001");
    }
    if open_db_dynamic {
        out.manifest.inject("AWS-EC2-002");
    }

    let mut main = String::new();
    let _ = write!(
        main,
        r#"terraform {{
  required_version = ">= 1.5"
}}

locals {{
  name = "app-{index:05}"
  tags = merge(var.tags, {{ service = local.name }})
}}

module "network" {{
  source        = "../../modules/network-{module}"
  name          = local.name
  cidr          = var.vpc_cidr
  ingress_cidrs = var.admin_cidrs
}}

resource "aws_s3_bucket" "data" {{
  bucket = "${{local.name}}-data"
  tags   = local.tags
}}

resource "aws_s3_bucket_logging" "data" {{
  bucket        = aws_s3_bucket.data.id
  target_bucket = "central-access-logs"
  target_prefix = "${{local.name}}/"
}}

resource "aws_s3_bucket_public_access_block" "data" {{
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_policy" "data" {{
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.data.json
}}

data "aws_iam_policy_document" "data" {{
  statement {{
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["${{aws_s3_bucket.data.arn}}/*"]
    principals {{
      type        = "{principal_type}"
      identifiers = [{principal}]
    }}
  }}
  statement {{
    sid       = "TLSOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["${{aws_s3_bucket.data.arn}}/*"]
    principals {{
      type        = "*"
      identifiers = ["*"]
    }}
    condition {{
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }}
  }}
}}

resource "aws_iam_policy" "app" {{
  name = "${{local.name}}-app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "${{aws_s3_bucket.data.arn}}/*"
    }}]
  }})
}}

resource "aws_security_group" "db" {{
  name   = "${{local.name}}-db"
  vpc_id = module.network.vpc_id

  dynamic "ingress" {{
    for_each = var.db_ingress
    content {{
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ingress.value.cidrs
    }}
  }}
}}

resource "aws_instance" "app" {{
  count                  = var.instance_count
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.small"
  vpc_security_group_ids = [module.network.security_group_id]

  metadata_options {{
    http_tokens = "{http_tokens}"
  }}

  root_block_device {{
    encrypted = true
  }}

  tags = local.tags
}}

resource "aws_ebs_volume" "scratch" {{
  availability_zone = "eu-west-1a"
  size              = 100
  encrypted         = {encrypted}
}}
"#,
        principal_type = if public_policy { "*" } else { "AWS" },
        principal = if public_policy {
            "\"*\"".to_string()
        } else {
            format!("\"arn:aws:iam::{:012}:root\"", 100_000_000_000 + index)
        },
        http_tokens = if imdsv1 { "optional" } else { "required" },
        encrypted = !unencrypted,
    );
    out.write(&format!("{dir}/main.tf"), &main);

    out.write(
        &format!("{dir}/variables.tf"),
        r#"variable "vpc_cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "admin_cidrs" {
  type    = map(string)
  default = {}
}

variable "db_ingress" {
  type = map(object({
    port  = number
    cidrs = list(string)
  }))
  default = {}
}

variable "instance_count" {
  type    = number
  default = 2
}

variable "tags" {
  type    = map(string)
  default = {}
}
"#,
    );

    let admin = if open_ssh {
        "0.0.0.0/0"
    } else {
        "10.20.0.0/16"
    };
    let db_cidr = if open_db_dynamic {
        "0.0.0.0/0"
    } else {
        "10.0.0.0/8"
    };
    out.write(
        &format!("{dir}/terraform.tfvars"),
        &format!(
            "vpc_cidr = \"10.{}.0.0/16\"\n\nadmin_cidrs = {{\n  office = \"{admin}\"\n}}\n\ndb_ingress = {{\n  postgres = {{ port = 5432, cidrs = [\"{db_cidr}\"] }}\n}}\n\ntags = {{\n  team = \"team-{}\"\n}}\n",
            index % 250,
            index % 17
        ),
    );
    out.write(
        &format!("{dir}/outputs.tf"),
        "output \"bucket\" {\n  value = aws_s3_bucket.data.id\n}\n\noutput \"instance_ids\" {\n  value = aws_instance.app[*].id\n}\n",
    );
}

fn cloudformation_stack(out: &mut Writer, index: usize, rng: &mut Rng) {
    let open_rdp = rng.chance(10);
    let public_db = rng.chance(8);
    if open_rdp {
        out.manifest.inject("AWS-EC2-001");
    }
    if public_db {
        out.manifest.inject("AWS-RDS-001");
    }
    let text = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Stack {index}
Parameters:
  Environment:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  AdminCidr:
    Type: String
    Default: {admin}
  DbPublic:
    Type: String
    Default: "{public_db}"
Mappings:
  EnvironmentMap:
    dev:
      InstanceClass: db.t3.micro
    prod:
      InstanceClass: db.r6g.large
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  AppSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub "app ${{Environment}} {index}"
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 3389
          ToPort: 3389
          CidrIp: !Ref AdminCidr
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: !FindInMap [EnvironmentMap, !Ref Environment, InstanceClass]
      AllocatedStorage: "20"
      StorageEncrypted: true
      PubliclyAccessible: !Ref DbPublic
      DBSubnetGroupName: private
      VPCSecurityGroups:
        - !GetAtt AppSecurityGroup.GroupId
  ProdAlarmTopic:
    Type: AWS::SNS::Topic
    Condition: IsProd
    Properties:
      TopicName: !Join ["-", [alarms, !Ref Environment, "{index}"]]
"#,
        admin = if open_rdp {
            "0.0.0.0/0"
        } else {
            "10.30.0.0/16"
        },
    );
    out.write(&format!("stacks/stack-{index:05}.yaml"), &text);
}

fn sam_stack(out: &mut Writer, index: usize, rng: &mut Rng) {
    let admin_policy = rng.chance(10);
    if admin_policy {
        out.manifest.inject("AWS-IAM-001");
    }
    let action = if admin_policy {
        "\"*\""
    } else {
        "dynamodb:GetItem"
    };
    let text = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Policies:
        - Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: {action}
              Resource: "*"
      Events:
        Api:
          Type: Api
          Properties:
            Path: /items/{index}
            Method: get
  Table:
    Type: AWS::Serverless::SimpleTable
"#
    );
    out.write(&format!("serverless/sam-{index:05}.yaml"), &text);
}

/// One Terraform module of about `resources` resources: buckets, most with an
/// `aws_s3_bucket_logging` that names its bucket by reference or by literal
/// name and sends the logs to one log bucket. The shape of a large
/// monorepo module, and of a pull request that tries to slow the gate down:
/// every bucket asks "who logs me?", so relations must be lookups.
pub fn generate_bucket_module(root: &Path, resources: usize, seed: u64) -> Manifest {
    let mut rng = Rng::new(seed);
    let mut out = Writer {
        root,
        manifest: Manifest::default(),
    };
    const PER_FILE: usize = 1000;
    let mut text = String::from(
        "resource \"aws_s3_bucket\" \"access_logs\" {\n  bucket = \"bench-access-logs\"\n}\n",
    );
    let (mut written, mut file) = (1, 0);
    let mut bucket = 0;
    while written < resources {
        let name = format!("bench-bucket-{bucket}");
        writeln!(
            text,
            "resource \"aws_s3_bucket\" \"b{bucket}\" {{\n  bucket = \"{name}\"\n}}"
        )
        .unwrap();
        written += 1;
        if rng.chance(10) {
            out.manifest.inject("AWS-S3-004");
        } else {
            let target = if bucket % 2 == 0 {
                format!("aws_s3_bucket.b{bucket}.id")
            } else {
                format!("\"{name}\"")
            };
            writeln!(
                text,
                "resource \"aws_s3_bucket_logging\" \"b{bucket}\" {{\n  bucket        = {target}\n  target_bucket = aws_s3_bucket.access_logs.id\n  target_prefix = \"{name}/\"\n}}"
            )
            .unwrap();
            written += 1;
        }
        bucket += 1;
        if bucket % PER_FILE == 0 {
            out.write(&format!("module/buckets_{file}.tf"), &text);
            text.clear();
            file += 1;
        }
    }
    if !text.is_empty() {
        out.write(&format!("module/buckets_{file}.tf"), &text);
    }
    std::fs::write(root.join("manifest.json"), out.manifest.to_json(seed)).unwrap();
    out.manifest
}
