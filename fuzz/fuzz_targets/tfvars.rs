//! A variable file loaded automatically with its module: `terraform.tfvars`,
//! or `terraform.tfvars.json` when the input starts with `{` (no HCL body
//! can). The module declares the variables the seeds set, with and without
//! types, and uses them in resources the rules look at, so values flow
//! through type conversion into the rule engine.
#![no_main]

use demarc::eval::terraform::{load_module, TerraformOptions};
use libfuzzer_sys::fuzz_target;

const MODULE: &str = r#"
variable "name" {}
variable "cidr" { type = string }
variable "cidrs" { type = list(string) }
variable "ports" { type = map(number) }
variable "rules" {
  type = list(object({ port = number, cidr = optional(string, "10.0.0.0/8") }))
}
variable "tags" { type = map(any) }
variable "enabled" { type = bool }

resource "aws_s3_bucket" "b" {
  bucket = var.name
  tags   = var.tags
}

resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = concat([ingress.value.cidr, var.cidr], var.cidrs)
    }
  }
}

resource "aws_security_group_rule" "r" {
  for_each          = var.ports
  type              = "ingress"
  from_port         = each.value
  to_port           = each.value
  protocol          = "tcp"
  cidr_blocks       = var.cidrs
  security_group_id = aws_security_group.sg.id
}

resource "aws_cloudtrail" "t" {
  name           = var.name
  enable_logging = var.enabled
}
"#;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let name = if text.trim_start().starts_with('{') {
        "terraform.tfvars.json"
    } else {
        "terraform.tfvars"
    };
    let unit = load_module(
        vec![
            ("main.tf".into(), MODULE.into()),
            (name.into(), text.into()),
        ],
        &TerraformOptions::default(),
    );
    demarc_fuzz::check_unit(&unit);
});
