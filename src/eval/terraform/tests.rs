//! Evaluation tests: each mechanism on small in-memory modules.

use super::*;
use crate::model::{Framework, Resource};
use crate::source::Span;
use crate::value::{Node, Path, Reference, Value};
use std::path::{Path as FsPath, PathBuf};

fn load(files: &[(&str, &str)]) -> Unit {
    load_module(
        files
            .iter()
            .map(|(name, text)| (name.to_string(), Arc::from(*text)))
            .collect(),
        &TerraformOptions::default(),
    )
}

fn resource<'u>(unit: &'u Unit, address: &str) -> &'u Resource {
    unit.resource(address)
        .unwrap_or_else(|| panic!("no resource {address}; errors: {:?}", unit.errors))
}

fn at<'n>(node: &'n Node, path: &str) -> &'n Node {
    let found = node.lookup(&Path::parse(path).unwrap());
    assert_eq!(found.nodes.len(), 1, "path {path}: {found:?}");
    found.nodes[0]
}

fn slice<'u>(unit: &'u Unit, node: &Node) -> &'u str {
    span_text(unit, node.span)
}

fn span_text(unit: &Unit, span: Span) -> &str {
    unit.file(span).slice(span)
}

#[test]
fn security_group_ingress_blocks_become_a_list_of_maps() {
    let text = r#"
resource "aws_security_group" "web" {
  name = "web"
  ingress {
from_port   = 22
to_port     = 22
cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
from_port   = 443
cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
  }
  tags = { Name = "web", "team:owner" = "ops" }
}
"#;
    let unit = load(&[("main.tf", text)]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let sg = resource(&unit, "aws_security_group.web");
    assert_eq!(sg.resource_type, "aws_security_group");
    assert!(!sg.is_data);
    assert_eq!(sg.framework, Framework::Terraform);
    assert_eq!(
        unit.file(sg.header).slice(sg.header),
        r#"resource "aws_security_group" "web""#
    );
    assert!(slice(&unit, &sg.body).starts_with("resource \"aws_security_group\""));
    assert!(slice(&unit, &sg.body).ends_with('}'));

    let ingress = sg.body.get("ingress").unwrap();
    let Value::List(blocks) = &ingress.value else {
        panic!("{ingress:?}")
    };
    assert_eq!(blocks.len(), 2);
    assert!(slice(&unit, &blocks[0]).starts_with("ingress {"));
    assert_eq!(
        blocks[0].get("from_port").unwrap().value,
        Value::Number(22.0)
    );
    assert_eq!(
        span_text(&unit, sg.body.entry("ingress").unwrap().key_span),
        "ingress"
    );

    let cidrs = sg
        .body
        .lookup(&Path::parse("ingress[*].cidr_blocks[*]").unwrap());
    let values: Vec<&str> = cidrs.nodes.iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(values, ["0.0.0.0/0", "10.0.0.0/8", "0.0.0.0/0"]);
    for node in &cidrs.nodes {
        assert_eq!(
            slice(&unit, node),
            format!("\"{}\"", node.as_str().unwrap())
        );
    }
    assert_ne!(cidrs.nodes[0].span, cidrs.nodes[2].span);

    assert_eq!(
        span_text(&unit, sg.body.entry("name").unwrap().key_span),
        "name"
    );
    let tags = sg.body.get("tags").unwrap();
    assert_eq!(
        span_text(&unit, tags.entry("Name").unwrap().key_span),
        "Name"
    );
    assert_eq!(at(tags, "Name").as_str(), Some("web"));
    assert_eq!(at(tags, "\"team:owner\"").as_str(), Some("ops"));
    assert_eq!(
        span_text(&unit, tags.entry("team:owner").unwrap().key_span),
        "\"team:owner\""
    );
}

#[test]
fn jsonencode_keeps_the_policy_structure() {
    let text = r#"
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
Version = "2012-10-17"
Statement = [{
  Effect    = "Allow"
  Principal = "*"
  Action    = ["s3:GetObject"]
  Resource  = "${aws_s3_bucket.b.arn}/*"
}]
  })
}
"#;
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_s3_bucket_policy.p")
        .body
        .get("policy")
        .unwrap();
    assert!(matches!(policy.value, Value::Map(_)), "{policy:?}");
    let principal = at(policy, "Statement[0].Principal");
    assert_eq!(principal.as_str(), Some("*"));
    assert_eq!(slice(&unit, principal), "\"*\"");
    assert_eq!(
        at(policy, "Statement[0].Action[0]").as_str(),
        Some("s3:GetObject")
    );
    let resource = &at(policy, "Statement[0].Resource").value;
    assert!(!resource.is_known());
    assert_eq!(resource.display(), "${...}/*");
}

#[test]
fn heredoc_policy_span_is_exactly_the_body() {
    let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}\nEOF\n}\n";
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_iam_policy.p")
        .body
        .get("policy")
        .unwrap();
    let string = policy
        .as_str()
        .expect("a heredoc without interpolation is a string");
    assert_eq!(string, "{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}\n");
    assert_eq!(slice(&unit, policy), string);
}

#[test]
fn indented_heredoc_is_dedented() {
    let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<-EOT\n    {\n      \"a\": 1\n    }\n  EOT\n}\n";
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_iam_policy.p")
        .body
        .get("policy")
        .unwrap();
    assert_eq!(policy.as_str(), Some("{\n  \"a\": 1\n}\n"));
    assert_eq!(slice(&unit, policy), "    {\n      \"a\": 1\n    }\n");
}

#[test]
fn policy_document_from_another_file() {
    let main = r#"
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.public.json
}
"#;
    let policies = r#"
data "aws_iam_policy_document" "public" {
  statement {
sid     = "PublicRead"
actions = ["s3:GetObject"]
resources = ["arn:aws:s3:::b/*"]
principals {
  type        = "AWS"
  identifiers = ["*"]
}
principals {
  type        = "AWS"
  identifiers = ["arn:aws:iam::123456789012:root"]
}
condition {
  test     = "StringEquals"
  variable = "aws:SourceVpce"
  values   = ["vpce-1"]
}
  }
  statement {
effect    = "Deny"
actions   = ["s3:*"]
resources = ["*"]
not_principals {
  type        = "Service"
  identifiers = ["cloudtrail.amazonaws.com"]
}
  }
}
"#;
    let unit = load(&[("main.tf", main), ("policies.tf", policies)]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let policy = resource(&unit, "aws_s3_bucket_policy.p")
        .body
        .get("policy")
        .unwrap();
    assert_eq!(
        policy.span.file, 1,
        "the document's nodes point into policies.tf"
    );
    assert_eq!(at(policy, "Version").as_str(), Some("2012-10-17"));

    let effect = at(policy, "Statement[0].Effect");
    assert_eq!(effect.as_str(), Some("Allow"));
    assert!(
        slice(&unit, effect).starts_with("statement {"),
        "default Effect points at the statement"
    );
    assert_eq!(at(policy, "Statement[0].Sid").as_str(), Some("PublicRead"));
    assert_eq!(
        at(policy, "Statement[0].Action[0]").as_str(),
        Some("s3:GetObject")
    );

    let aws = at(policy, "Statement[0].Principal.AWS");
    let Value::List(ids) = &aws.value else {
        panic!("{aws:?}")
    };
    let ids: Vec<&str> = ids.iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(ids, ["*", "arn:aws:iam::123456789012:root"]);
    let star = at(policy, "Statement[0].Principal.AWS[0]");
    assert_eq!(slice(&unit, star), "\"*\"");
    assert_eq!(star.span.file, 1);

    let vpce = at(
        policy,
        "Statement[0].Condition.StringEquals.\"aws:SourceVpce\"[0]",
    );
    assert_eq!(vpce.as_str(), Some("vpce-1"));
    assert_eq!(slice(&unit, vpce), "\"vpce-1\"");

    assert_eq!(at(policy, "Statement[1].Effect").as_str(), Some("Deny"));
    assert_eq!(
        at(policy, "Statement[1].NotPrincipal.Service[0]").as_str(),
        Some("cloudtrail.amazonaws.com")
    );
    assert!(at(policy, "Statement[1]").get("Principal").is_none());

    // The data source itself is a resource with its ordinary body.
    let data = resource(&unit, "data.aws_iam_policy_document.public");
    assert!(data.is_data);
    assert_eq!(data.resource_type, "aws_iam_policy_document");
    let statements = data.body.lookup(&Path::parse("statement[*]").unwrap());
    assert_eq!(statements.nodes.len(), 2);
    assert_eq!(
        unit.file(data.header).slice(data.header),
        r#"data "aws_iam_policy_document" "public""#
    );
}

#[test]
fn source_and_override_documents_are_combined() {
    let text = r#"
data "aws_iam_policy_document" "base" {
  statement {
sid     = "Read"
actions = ["s3:GetObject"]
  }
  statement {
sid     = "List"
actions = ["s3:ListBucket"]
  }
}
data "aws_iam_policy_document" "extra" {
  statement {
sid     = "List"
actions = ["s3:*"]
  }
}
data "aws_iam_policy_document" "combined" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json, var.more]
  override_policy_documents = [data.aws_iam_policy_document.extra.json]
  statement {
sid     = "Read"
actions = ["s3:GetObjectVersion"]
  }
  statement {
actions = ["s3:PutObject"]
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.combined.json
}
"#;
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_iam_policy.p")
        .body
        .get("policy")
        .unwrap();
    let Value::List(statements) = &at(policy, "Statement").value else {
        panic!("{policy:?}")
    };
    assert_eq!(statements.len(), 4, "{statements:?}");
    assert_eq!(
        at(&statements[0], "Action[0]").as_str(),
        Some("s3:GetObjectVersion")
    );
    assert_eq!(at(&statements[1], "Action[0]").as_str(), Some("s3:*"));
    assert_eq!(statements[2].value, Value::Unknown("var.more".into()));
    assert_eq!(
        at(&statements[3], "Action[0]").as_str(),
        Some("s3:PutObject")
    );
}

#[test]
fn source_documents_with_unknown_parts_in_strings_keep_their_structure() {
    let text = r#"
data "aws_iam_policy_document" "combined" {
  source_policy_documents = [
    <<EOT
{"Statement": [{"Principal": "*", "Resource": "${aws_s3_bucket.b.arn}/*"}]}
EOT
    ,
    <<EOT
{"Statement": [{"${var.key}": "*"}]}
EOT
  ]
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.combined.json
}
"#;
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_iam_policy.p")
        .body
        .get("policy")
        .unwrap();
    let Value::List(statements) = &at(policy, "Statement").value else {
        panic!("{policy:?}")
    };
    assert_eq!(statements.len(), 2, "{statements:?}");
    assert_eq!(at(&statements[0], "Principal").as_str(), Some("*"));
    assert_eq!(at(&statements[0], "Resource").value.display(), "${...}/*");
    // A key known only after apply: the statement is unknown.
    assert!(!statements[1].value.is_known());
}

#[test]
fn references_to_resources_and_other_data_sources() {
    let text = r#"
resource "aws_s3_bucket_logging" "l" {
  bucket        = aws_s3_bucket.b.id
  target_bucket = aws_s3_bucket.logs[0].id
  others        = aws_s3_bucket.many[*].arn
  whole         = aws_s3_bucket.b
  vpc           = data.aws_vpc.main.id
  doc           = data.aws_iam_policy_document.missing.json
}
"#;
    let unit = load(&[("main.tf", text)]);
    let body = &resource(&unit, "aws_s3_bucket_logging.l").body;
    let reference = |target: &str, attribute: Option<&str>| {
        Value::Ref(Reference {
            target: target.into(),
            attribute: attribute.map(str::to_string),
        })
    };
    assert_eq!(
        body.get("bucket").unwrap().value,
        reference("aws_s3_bucket.b", Some("id"))
    );
    assert_eq!(
        slice(&unit, body.get("bucket").unwrap()),
        "aws_s3_bucket.b.id"
    );
    // The instance key is part of the target: it is the instance address.
    assert_eq!(
        body.get("target_bucket").unwrap().value,
        reference("aws_s3_bucket.logs[0]", Some("id"))
    );
    // A resource the module does not declare has one instance, no key.
    let Value::List(others) = &body.get("others").unwrap().value else {
        panic!("{:?}", body.get("others"))
    };
    assert_eq!(
        others[0].value,
        reference("aws_s3_bucket.many", Some("arn"))
    );
    assert_eq!(
        body.get("whole").unwrap().value,
        reference("aws_s3_bucket.b", None)
    );
    assert_eq!(
        body.get("vpc").unwrap().value,
        reference("data.aws_vpc.main", Some("id"))
    );
    assert_eq!(
        body.get("doc").unwrap().value,
        reference("data.aws_iam_policy_document.missing", Some("json"))
    );
}

#[test]
fn undeclared_names_and_unknown_inputs_stay_unknown() {
    let text = r#"
resource "aws_s3_bucket" "b" {
  bucket    = var.x
  acl       = local.acl
  name      = each.key
  name2     = count.index
  tagged    = "prefix-${var.x}"
  joined    = "a-${1}-${true}"
  single    = "${"lit"}"
  cond      = var.x ? 1 : 0
  sum       = 1 + 2
  upper     = upper("x")
  str       = tostring(5)
  num       = tonumber("7")
  list      = tolist(["a"])
  nested    = { a = [1, { b = null }] }[ "a" ][1].b
  paren     = ("p")
  badkey    = { (var.k) = 1 }
  exprkey   = { ("k") = 1 }
  forexpr   = [for s in var.l : s]
  directive = "%{if true}x%{endif}"
}
"#;
    let unit = load(&[("main.tf", text)]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let body = &resource(&unit, "aws_s3_bucket.b").body;
    let value = |key: &str| body.get(key).unwrap().value.clone();
    let unknown = |reason: &str| Value::Unknown(reason.into());
    assert_eq!(value("bucket"), unknown("var.x"));
    assert!(!value("bucket").is_known());
    assert_eq!(value("acl"), unknown("local.acl"));
    // `each` outside for_each is an error Terraform reports; unknown here.
    assert!(matches!(value("name"), Value::Unknown(_)));
    assert!(matches!(value("name2"), Value::Unknown(_)));
    assert!(!value("tagged").is_known());
    assert_eq!(value("tagged").display(), "prefix-${...}");
    assert_eq!(value("joined"), Value::String("a-1-true".into()));
    assert_eq!(value("single"), Value::String("lit".into()));
    assert!(matches!(value("cond"), Value::Unknown(_)));
    assert_eq!(value("sum"), Value::Number(3.0));
    assert_eq!(value("upper"), Value::String("X".into()));
    assert_eq!(value("str"), Value::String("5".into()));
    assert_eq!(value("num"), Value::Number(7.0));
    assert!(matches!(value("list"), Value::List(ref l) if l.len() == 1));
    assert_eq!(value("nested"), Value::Null);
    assert_eq!(value("paren"), Value::String("p".into()));
    assert_eq!(value("badkey"), unknown("object key"));
    assert_eq!(at(body, "exprkey.k").value, Value::Number(1.0));
    assert!(matches!(value("forexpr"), Value::Unknown(_)));
    assert_eq!(value("directive"), Value::String("x".into()));
}

#[test]
fn strings_built_around_unknown_parts_keep_their_known_text() {
    let text = r#"
variable "later" {}
variable "names" {
  default = ["a", "b"]
}
resource "google_project_iam_member" "m" {
  member    = "serviceAccount:${google_service_account.x.email}"
  nested    = "${local.member}@x"
  formatted = format("%d-%s", var.later, "x")
  printed   = format("user:%s", var.later)
  joined    = join("/", ["arn", var.later, "*"])
  unknown   = join("/", var.later)
  directive = "a%{if var.later}b%{endif}c"
  looped    = "a%{for n in var.later}${n}%{endfor}c"
  known     = "%{for n in var.names}${n}%{endfor}"
  failed    = "a-${var.names[5]}"
  caught    = try("a-${var.names[5]}", "fallback")
}
locals {
  member = "sa-${var.later}"
}
"#;
    let unit = load(&[("main.tf", text)]);
    let body = &resource(&unit, "google_project_iam_member.m").body;
    let value = |key: &str| body.get(key).unwrap().value.clone();
    let partial = |key: &str| {
        let value = value(key);
        assert!(!value.is_known(), "{key} is not known as a whole");
        value.partial_text().map(|t| t.display())
    };
    assert_eq!(partial("member").as_deref(), Some("serviceAccount:${...}"));
    assert_eq!(partial("nested").as_deref(), Some("sa-${...}@x"));
    // A number format needs the value: unknown as a whole.
    assert_eq!(partial("formatted"), None);
    assert_eq!(partial("printed").as_deref(), Some("user:${...}"));
    assert_eq!(partial("joined").as_deref(), Some("arn/${...}/*"));
    assert_eq!(partial("unknown"), None, "a list not known: nothing known");
    assert_eq!(partial("directive").as_deref(), Some("a${...}c"));
    assert_eq!(partial("looped").as_deref(), Some("a${...}c"));
    assert_eq!(value("known"), Value::String("ab".into()));
    // An error in a part stays an error, which `try` catches.
    assert!(values::is_failure(&value("failed")));
    assert_eq!(value("caught"), Value::String("fallback".into()));
}

#[test]
fn count_zero_drops_the_resource_and_meta_arguments_are_left_out() {
    let text = r#"
resource "aws_s3_bucket" "gone" {
  count  = 0
  bucket = "x"
}
resource "aws_s3_bucket" "gone_too" {
  count = "0"
}
resource "aws_s3_bucket" "none" {
  for_each = {}
}
resource "aws_s3_bucket" "kept" {
  count      = 2
  for_each   = var.m
  depends_on = [aws_s3_bucket.gone]
  provider   = aws.east
  bucket     = "y"
  lifecycle {
prevent_destroy = true
  }
}
"#;
    let unit = load(&[("main.tf", text)]);
    assert!(unit.resource("aws_s3_bucket.gone").is_none());
    assert!(unit.resource("aws_s3_bucket.none").is_none());
    assert!(unit.resource("aws_s3_bucket.gone_too").is_none());
    // count wins over for_each (Terraform rejects both together).
    assert!(unit.resource("aws_s3_bucket.kept[1]").is_some());
    let kept = resource(&unit, "aws_s3_bucket.kept[0]");
    let Value::Map(entries) = &kept.body.value else {
        panic!()
    };
    let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["bucket"]);
}

#[test]
fn dynamic_blocks_with_unknown_for_each_are_unknown_blocks() {
    let text = r#"
resource "aws_security_group" "a" {
  dynamic "ingress" {
for_each = var.rules
content {
  cidr_blocks = ingress.value.cidrs
}
  }
}
resource "aws_security_group" "b" {
  ingress {
cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "ingress" {
for_each = var.rules
content {}
  }
  egress {
cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;
    let unit = load(&[("main.tf", text)]);
    // Whether any block exists is not known: the block type reads as unknown.
    let a = &resource(&unit, "aws_security_group.a").body;
    assert_eq!(
        a.get("ingress").unwrap().value,
        Value::Unknown("dynamic block".into())
    );
    assert_eq!(
        span_text(&unit, a.entry("ingress").unwrap().key_span),
        "\"ingress\""
    );
    // A static block of the same type is still read.
    let b = &resource(&unit, "aws_security_group.b").body;
    let found = b.lookup(&Path::parse("ingress[*].cidr_blocks[*]").unwrap());
    assert_eq!(found.nodes.len(), 1);
    assert_eq!(found.nodes[0].as_str(), Some("0.0.0.0/0"));
    assert_eq!(found.unknown.len(), 1);
    assert!(matches!(b.get("egress").unwrap().value, Value::List(_)));
}

#[test]
fn syntax_error_in_one_file_keeps_the_others() {
    let good = "resource \"aws_s3_bucket\" \"ok\" {\n  bucket = \"ok\"\n}\n";
    let bad = "resource \"aws_s3_bucket\" \"bad\" {\n  bucket = \n}\n";
    let unit = load(&[("bad.tf", bad), ("good.tf", good)]);
    assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
    assert_eq!(unit.errors[0].file, 0);
    assert_eq!(unit.files.len(), 2);
    assert_eq!(unit.files[0].display, "bad.tf");
    let ok = resource(&unit, "aws_s3_bucket.ok");
    assert_eq!(ok.header.file, 1);
    assert_eq!(ok.body.get("bucket").unwrap().as_str(), Some("ok"));
    assert!(unit.resource("aws_s3_bucket.bad").is_none());
}

#[test]
fn policy_document_cycles_and_dynamic_statements_stay_unknown() {
    let text = r#"
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.a.json
}
data "aws_iam_policy_document" "a" {
  statement {
resources = [data.aws_iam_policy_document.b.json]
  }
}
data "aws_iam_policy_document" "b" {
  version = "2008-10-17"
  statement {
resources = [data.aws_iam_policy_document.a.json]
  }
  dynamic "statement" {
for_each = var.s
content {}
  }
}
"#;
    let unit = load(&[("main.tf", text)]);
    let policy = resource(&unit, "aws_iam_policy.p")
        .body
        .get("policy")
        .unwrap();
    let inner = at(policy, "Statement[0].Resource[0]");
    assert_eq!(at(inner, "Version").as_str(), Some("2008-10-17"));
    assert_eq!(
        at(inner, "Statement[0].Resource[0]").value,
        Value::Unknown("cyclic reference".into())
    );
    assert_eq!(
        at(inner, "Statement[1]").value,
        Value::Unknown("dynamic block".into())
    );
}

#[test]
fn exponential_document_inclusion_is_bounded() {
    let mut text = String::from("data \"aws_iam_policy_document\" \"d0\" {\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n}\n");
    for i in 1..40 {
        let prev = i - 1;
        text.push_str(&format!(
            "data \"aws_iam_policy_document\" \"d{i}\" {{\n  statement {{\n    resources = [data.aws_iam_policy_document.d{prev}.json, data.aws_iam_policy_document.d{prev}.json]\n  }}\n}}\n"
        ));
    }
    text.push_str("resource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d39.json\n}\n");
    let unit = load(&[("main.tf", &text)]);
    assert!(unit.resource("aws_iam_policy.p").is_some());
    assert!(!unit.errors.is_empty(), "the copy limit is reported");
}

#[test]
fn resource_blocks_need_two_labels() {
    let unit = load(&[("main.tf", "resource \"aws_s3_bucket\" {\n}\n")]);
    assert!(unit.resources.is_empty());
    assert_eq!(unit.errors.len(), 1);
    assert!(unit.errors[0].message.contains("two labels"));
}

// ----- helpers for multi-directory and option tests --------------------------

/// Evaluates in-memory directories (the first is the root) under `/mem`.
fn evaluate(
    dirs: &[(&str, &[(&str, &str)])],
    options: &TerraformOptions,
    env: &[(&str, &str)],
) -> Unit {
    let parsed = dirs
        .iter()
        .map(|(path, files)| {
            ModuleDir::parse(
                PathBuf::from(path),
                files
                    .iter()
                    .map(|(name, text)| (format!("{path}/{name}"), Arc::from(*text)))
                    .collect(),
            )
        })
        .collect();
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let library = Library::from_parts(parsed, vec![PathBuf::from("/mem")], env);
    evaluate_root(&library, FsPath::new(dirs[0].0), options).expect("root in library")
}

/// The value at `path` in a resource's body (exactly one node).
fn value_at<'u>(unit: &'u Unit, address: &str, path: &str) -> &'u Node {
    at(&resource(unit, address).body, path)
}

fn labels(node: &Node) -> Vec<&str> {
    node.origins.iter().map(|o| o.label.as_str()).collect()
}

fn origin_text<'u>(unit: &'u Unit, node: &Node, index: usize) -> &'u str {
    span_text(unit, node.origins[index].span)
}

fn addresses(unit: &Unit) -> Vec<&str> {
    let mut all: Vec<&str> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    all.sort();
    all
}

// ----- variables ---------------------------------------------------------------

const CIDR_VARIABLE: &str = r#"
variable "admin_cidr" {
  type    = string
  default = "10.0.0.0/8"
}
variable "ports" {
  type    = list(number)
  default = [22]
}
resource "aws_security_group_rule" "ssh" {
  cidr_blocks = [var.admin_cidr]
  from_port   = var.ports[0]
}
"#;

#[test]
fn a_variable_default_is_used_and_its_place_is_the_provenance() {
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", CIDR_VARIABLE)])],
        &TerraformOptions::default(),
        &[],
    );
    let cidr = value_at(&unit, "aws_security_group_rule.ssh", "cidr_blocks[0]");
    assert_eq!(cidr.as_str(), Some("10.0.0.0/8"));
    assert_eq!(slice(&unit, cidr), "var.admin_cidr", "the span is the use");
    assert_eq!(labels(cidr), ["default of variable `admin_cidr`"]);
    assert_eq!(origin_text(&unit, cidr, 0), "\"10.0.0.0/8\"");
    let port = value_at(&unit, "aws_security_group_rule.ssh", "from_port");
    assert_eq!(port.value, Value::Number(22.0));
    assert_eq!(
        origin_text(&unit, port, 0),
        "22",
        "an element points at itself"
    );
}

#[test]
fn variable_sources_override_each_other_in_terraform_order() {
    let files: &[(&str, &str)] = &[
        ("main.tf", CIDR_VARIABLE),
        ("terraform.tfvars", "admin_cidr = \"1.1.1.1/32\"\n"),
        ("terraform.tfvars.json", r#"{"admin_cidr": "2.2.2.2/32"}"#),
        ("b.auto.tfvars", "admin_cidr = \"4.4.4.4/32\"\n"),
        ("a.auto.tfvars.json", r#"{"admin_cidr": "3.3.3.3/32"}"#),
        ("other.tfvars", "admin_cidr = \"9.9.9.9/32\"\n"),
    ];
    let cidr = |unit: &Unit| {
        value_at(unit, "aws_security_group_rule.ssh", "cidr_blocks[0]")
            .as_str()
            .unwrap()
            .to_string()
    };
    let none = TerraformOptions::default();
    // Environment < terraform.tfvars < .json < *.auto.tfvars* (lexical).
    let unit = evaluate(
        &[("/mem/root", files)],
        &none,
        &[("admin_cidr", "5.5.5.5/32")],
    );
    assert_eq!(cidr(&unit), "4.4.4.4/32");
    let node = value_at(&unit, "aws_security_group_rule.ssh", "cidr_blocks[0]");
    assert_eq!(labels(node), ["set in b.auto.tfvars"]);
    assert_eq!(origin_text(&unit, node, 0), "\"4.4.4.4/32\"");
    assert!(unit.files[node.origins[0].span.file as usize]
        .display
        .ends_with("b.auto.tfvars"));

    let unit = evaluate(
        &[("/mem/root", &files[..3])],
        &none,
        &[("admin_cidr", "5.5.5.5/32")],
    );
    assert_eq!(cidr(&unit), "2.2.2.2/32");
    let unit = evaluate(
        &[("/mem/root", &files[..2])],
        &none,
        &[("admin_cidr", "5.5.5.5/32")],
    );
    assert_eq!(cidr(&unit), "1.1.1.1/32");
    let unit = evaluate(
        &[("/mem/root", &files[..1])],
        &none,
        &[("admin_cidr", "5.5.5.5/32")],
    );
    assert_eq!(cidr(&unit), "5.5.5.5/32");
    // A value typed outside any file has no place to point at.
    let node = value_at(&unit, "aws_security_group_rule.ssh", "cidr_blocks[0]");
    assert!(node.origins.is_empty());

    // --var beats everything, the last one winning.
    let cli = TerraformOptions {
        var_files: Vec::new(),
        vars: vec![
            ("admin_cidr".into(), "6.6.6.6/32".into()),
            ("admin_cidr".into(), "7.7.7.7/32".into()),
        ],
    };
    let unit = evaluate(&[("/mem/root", files)], &cli, &[]);
    assert_eq!(cidr(&unit), "7.7.7.7/32");
}

#[test]
fn command_line_values_are_parsed_for_collection_types_and_converted() {
    let options = TerraformOptions {
        var_files: Vec::new(),
        vars: vec![
            ("ports".into(), "[3389, \"22\"]".into()),
            ("admin_cidr".into(), "[not parsed]".into()),
        ],
    };
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", CIDR_VARIABLE)])],
        &options,
        &[],
    );
    assert_eq!(
        value_at(&unit, "aws_security_group_rule.ssh", "from_port").value,
        Value::Number(3389.0)
    );
    assert_eq!(
        value_at(&unit, "aws_security_group_rule.ssh", "cidr_blocks[0]").as_str(),
        Some("[not parsed]"),
        "a string variable takes the text as it is"
    );
}

#[test]
fn a_variable_without_a_value_is_unknown_and_types_convert() {
    let text = r#"
variable "open" {}
variable "port" {
  type    = number
  default = "22"
}
variable "rule" {
  type = object({
    cidr = optional(string, "0.0.0.0/0")
    port = number
  })
  default = { port = 22 }
}
resource "x" "y" {
  a    = var.open
  b    = var.port
  c    = var.rule.cidr
  d    = "${var.open}/32"
  e    = [var.open, "fixed"]
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    let body = &resource(&unit, "x.y").body;
    assert!(!body.get("a").unwrap().value.is_known());
    assert_eq!(body.get("b").unwrap().value, Value::Number(22.0));
    assert_eq!(body.get("c").unwrap().as_str(), Some("0.0.0.0/0"));
    assert!(!body.get("d").unwrap().value.is_known());
    let Value::List(items) = &body.get("e").unwrap().value else {
        panic!()
    };
    assert!(!items[0].value.is_known(), "one unknown element");
    assert_eq!(items[1].as_str(), Some("fixed"));
}

// ----- locals --------------------------------------------------------------------

#[test]
fn locals_refer_to_locals_in_any_order_and_record_the_chain() {
    let text = r#"
resource "aws_security_group_rule" "r" {
  cidr_blocks = local.open_cidrs
}
locals {
  open_cidrs = [local.anywhere]
}
locals {
  anywhere = var.everyone
}
variable "everyone" {
  default = "0.0.0.0/0"
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    let cidr = value_at(&unit, "aws_security_group_rule.r", "cidr_blocks[0]");
    assert_eq!(cidr.as_str(), Some("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr), "local.open_cidrs");
    assert_eq!(
        labels(cidr),
        [
            "local `open_cidrs`",
            "local `anywhere`",
            "default of variable `everyone`"
        ]
    );
    assert_eq!(origin_text(&unit, cidr, 0), "local.anywhere");
    assert_eq!(origin_text(&unit, cidr, 1), "var.everyone");
    assert_eq!(origin_text(&unit, cidr, 2), "\"0.0.0.0/0\"");
}

#[test]
fn a_cycle_between_locals_is_an_error_at_the_local() {
    let text =
        "locals {\n  a = local.b\n  b = [local.a]\n}\nresource \"x\" \"y\" {\n  v = local.a\n}\n";
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
    assert!(unit.errors[0].message.contains("cycle"));
    let span = unit.errors[0].span.unwrap();
    assert_eq!(span_text(&unit, span), "a");
    assert!(
        !value_at(&unit, "x.y", "v").value.is_known()
            || matches!(value_at(&unit, "x.y", "v").value, Value::List(_))
    );
}

// ----- expressions -----------------------------------------------------------------

#[test]
fn expressions_evaluate_like_terraform() {
    let text = r#"
variable "unknown" {}
locals {
  m = { b = 2, a = 1 }
  l = ["x", "y", "z"]
  people = [{ name = "a", tags = ["t1"] }, { name = "b", tags = ["t2"] }]
}
resource "x" "y" {
  cond_true   = 1 > 0 ? "yes" : "no"
  cond_unk    = var.unknown ? "a" : "b"
  cond_same   = var.unknown ? "same" : "same"
  arith       = (2 + 3) * 4 - 10 / 4 % 2
  compare     = [1 < 2, 2 <= 2, 3 > 4, "a" == "a", 1 == "1", [1] != [2]]
  logic       = [true && false, true || false, !true, false && var.unknown, true || var.unknown]
  unk_logic   = true && var.unknown
  neg         = -5
  for_list    = [for s in local.l : upper(s) if s != "y"]
  for_map     = { for k, v in local.m : v => k }
  for_group   = { for s in ["a", "ab", "b"] : substr(s, 0, 1) => s... }
  for_keys    = [for k, v in local.m : k]
  splat       = local.people[*].name
  splat_attr  = local.people.*.tags[0]
  splat_null  = null[*]
  splat_one   = "x"[*]
  index       = local.l[1]
  index_str   = local.m["a"]
  legacy      = local.l.2
  try_ok      = try(local.m.nope, "fallback")
  try_unknown = try(var.unknown, "fallback")
  can_no      = can(local.m.nope)
  can_yes     = can(local.m.a)
  template    = "%{ for s in local.l ~}${s},%{ endfor ~}"
  template_if = "%{ if length(local.l) > 2 }many%{ else }few%{ endif }"
  heredoc     = <<-EOT
    cidr: ${local.l[0]}
    EOT
  interp      = "p=${jsonencode(local.m)}"
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let body = &resource(&unit, "x.y").body;
    let v = |key: &str| body.get(key).unwrap();
    let json = |key: &str| {
        super::values::json_text(v(key)).unwrap_or_else(|| format!("unknown: {:?}", v(key).value))
    };
    assert_eq!(json("cond_true"), "\"yes\"");
    assert!(!v("cond_unk").value.is_known());
    assert_eq!(json("cond_same"), "\"same\"");
    assert_eq!(json("arith"), "19.5");
    assert_eq!(json("compare"), "[true,true,false,true,false,true]");
    assert_eq!(json("logic"), "[false,true,false,false,true]");
    assert!(!v("unk_logic").value.is_known());
    assert_eq!(json("neg"), "-5");
    assert_eq!(json("for_list"), r#"["X","Z"]"#);
    assert_eq!(json("for_map"), r#"{"1":"a","2":"b"}"#);
    assert_eq!(json("for_group"), r#"{"a":["a","ab"],"b":["b"]}"#);
    assert_eq!(
        json("for_keys"),
        r#"["a","b"]"#,
        "maps iterate in key order"
    );
    assert_eq!(json("splat"), r#"["a","b"]"#);
    assert_eq!(json("splat_attr"), r#"["t1"]"#);
    assert_eq!(json("splat_null"), "[]");
    assert_eq!(json("splat_one"), r#"["x"]"#);
    assert_eq!(json("index"), "\"y\"");
    assert_eq!(json("index_str"), "1");
    assert_eq!(json("legacy"), "\"z\"");
    assert_eq!(json("try_ok"), "\"fallback\"");
    assert!(
        !v("try_unknown").value.is_known(),
        "unknown is not an error"
    );
    assert_eq!(json("can_no"), "false");
    assert_eq!(json("can_yes"), "true");
    assert_eq!(json("template"), "\"x,y,z,\"");
    assert_eq!(json("template_if"), "\"many\"");
    assert_eq!(json("heredoc"), "\"cidr: x\\n\"");
    assert_eq!(json("interp"), r#""p={\"a\":1,\"b\":2}""#);
}

#[test]
fn derived_values_keep_the_provenance_of_their_inputs() {
    let text = r#"
variable "prefix" {
  default = "0.0.0.0"
}
resource "x" "y" {
  cidr = "${var.prefix}/0"
  fn   = format("%s/%d", var.prefix, 0)
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    for key in ["cidr", "fn"] {
        let node = value_at(&unit, "x.y", key);
        assert_eq!(node.as_str(), Some("0.0.0.0/0"));
        assert_eq!(labels(node), ["default of variable `prefix`"]);
    }
}

#[test]
fn functions_compute_known_values() {
    let text = r##"
variable "unknown" {}
resource "x" "y" {
  format      = format("%s:%03d", "a", 7)
  formatlist  = formatlist("%s-%s", ["a", "b"], "z")
  join        = join(",", ["a", "b"], ["c"])
  split       = split(",", "a,b")
  case        = [lower("AB"), upper("ab"), title("hello world")]
  replace     = [replace("a-b-c", "-", "+"), replace("a1b22", "/[0-9]+/", "#")]
  trims       = [trimspace("  a "), trim("xxaxx", "x"), trimprefix("ab", "a"), trimsuffix("ab", "b")]
  substr      = [substr("hello", 1, 3), substr("hello", -3, -1)]
  tests       = [startswith("abc", "ab"), endswith("abc", "bc"), strcontains("abc", "x")]
  regex       = [regex("[a-z]+", "123abc"), regex("(\\d+)-(\\d+)", "10-20")]
  regex_named = regex("(?P<a>\\d+)", "x42")
  regexall    = regexall("\\d", "a1b2")
  concat      = concat(["a"], ["b", "c"])
  merge       = merge({ a = 1 }, null, { b = 2, a = 3 })
  lookup      = [lookup({ a = 1 }, "a"), lookup({ a = 1 }, "b", "d")]
  element     = element(["a", "b"], 3)
  flatten     = flatten([["a"], [["b"]], []])
  distinct    = distinct(["a", "b", "a"])
  keys        = keys({ b = 1, a = 2 })
  values      = values({ b = 1, a = 2 })
  length      = [length("héllo"), length([1, 2]), length({ a = 1 })]
  contains    = [contains(["a"], "a"), contains(["a"], "b")]
  coalesce    = coalesce(null, "", "x")
  coalescel   = coalescelist([], ["a"])
  compact     = compact(["a", "", null, "b"])
  zipmap      = zipmap(["a", "b"], [1, 2])
  conv        = [tolist(["a"]), toset(["b", "a", "b"]), tomap({ a = 1 }), tostring(1), tonumber("2"), tobool("true")]
  range       = [range(3), range(1, 4, 2)]
  slice       = slice(["a", "b", "c"], 1, 3)
  one         = [one([]), one(["a"])]
  sets        = [setunion(["b"], ["a", "b"]), setintersection(["a", "b"], ["b", "c"])]
  index       = index(["a", "b"], "b")
  reverse     = reverse([1, 2])
  sort        = sort(["b", "a"])
  json        = jsondecode("{\"a\": [1, true]}")
  yaml        = yamlencode({ a = "b" })
  b64         = [base64encode("hi"), base64decode("aGk=")]
  url         = urlencode("a b")
  numbers     = [min(3, 1, 2), max(1, 5), abs(-2), ceil(1.2), floor(1.8), parseint("ff", 16)]
  cidrs       = [cidrsubnet("10.0.0.0/16", 8, 2), cidrhost("10.0.0.0/24", 5), cidrnetmask("10.0.0.0/8")]
  cidrsubnets = cidrsubnets("10.0.0.0/16", 8, 8)
  expand      = max([1, 9]...)
  ts          = timestamp()
  unknown_fn  = no_such_function(1)
  unk_arg     = upper(var.unknown)
  len_unknown = length([var.unknown, 1])
}
"##;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let body = &resource(&unit, "x.y").body;
    let json = |key: &str| {
        let node = body.get(key).unwrap_or_else(|| panic!("no {key}"));
        super::values::json_text(node).unwrap_or_else(|| format!("unknown: {:?}", node.value))
    };
    assert_eq!(json("format"), r#""a:007""#);
    assert_eq!(json("formatlist"), r#"["a-z","b-z"]"#);
    assert_eq!(json("join"), r#""a,b,c""#);
    assert_eq!(json("split"), r#"["a","b"]"#);
    assert_eq!(json("case"), r#"["ab","AB","Hello World"]"#);
    assert_eq!(json("replace"), r##"["a+b+c","a#b#"]"##);
    assert_eq!(json("trims"), r#"["a","a","b","a"]"#);
    assert_eq!(json("substr"), r#"["ell","llo"]"#);
    assert_eq!(json("tests"), "[true,true,false]");
    assert_eq!(json("regex"), r#"["abc",["10","20"]]"#);
    assert_eq!(json("regex_named"), r#"{"a":"42"}"#);
    assert_eq!(json("regexall"), r#"["1","2"]"#);
    assert_eq!(json("concat"), r#"["a","b","c"]"#);
    assert_eq!(json("merge"), r#"{"a":3,"b":2}"#);
    assert_eq!(json("lookup"), r#"[1,"d"]"#);
    assert_eq!(json("element"), r#""b""#);
    assert_eq!(json("flatten"), r#"["a","b"]"#);
    assert_eq!(json("distinct"), r#"["a","b"]"#);
    assert_eq!(json("keys"), r#"["a","b"]"#);
    assert_eq!(json("values"), "[2,1]");
    assert_eq!(json("length"), "[5,2,1]");
    assert_eq!(json("contains"), "[true,false]");
    assert_eq!(json("coalesce"), r#""x""#);
    assert_eq!(json("coalescel"), r#"["a"]"#);
    assert_eq!(json("compact"), r#"["a","b"]"#);
    assert_eq!(json("zipmap"), r#"{"a":1,"b":2}"#);
    assert_eq!(json("conv"), r#"[["a"],["a","b"],{"a":1},"1",2,true]"#);
    assert_eq!(json("range"), "[[0,1,2],[1,3]]");
    assert_eq!(json("slice"), r#"["b","c"]"#);
    assert_eq!(json("one"), r#"[null,"a"]"#);
    assert_eq!(json("sets"), r#"[["a","b"],["b"]]"#);
    assert_eq!(json("index"), "1");
    assert_eq!(json("reverse"), "[2,1]");
    assert_eq!(json("sort"), r#"["a","b"]"#);
    assert_eq!(json("json"), r#"{"a":[1,true]}"#);
    assert_eq!(json("yaml"), r#""\"a\": \"b\"\n""#);
    assert_eq!(json("b64"), r#"["aGk=","hi"]"#);
    assert_eq!(json("url"), r#""a%20b""#);
    assert_eq!(json("numbers"), "[1,5,2,2,1,255]");
    assert_eq!(json("cidrs"), r#"["10.0.2.0/24","10.0.0.5","255.0.0.0"]"#);
    assert_eq!(json("cidrsubnets"), r#"["10.0.0.0/24","10.0.1.0/24"]"#);
    assert_eq!(json("expand"), "9");
    assert!(json("ts").starts_with("unknown"));
    assert!(json("unknown_fn").starts_with("unknown"));
    assert!(json("unk_arg").starts_with("unknown"));
    assert_eq!(json("len_unknown"), "2");
}

// ----- instances -------------------------------------------------------------------

#[test]
fn count_and_for_each_expand_into_addressed_instances() {
    let text = r#"
variable "unknown" {}
locals {
  rules = {
    ssh = { port = 22, cidr = "0.0.0.0/0" }
    web = { port = 443, cidr = "10.0.0.0/8" }
  }
}
resource "aws_security_group_rule" "open" {
  count       = 2
  cidr_blocks = ["10.${count.index}.0.0/16"]
}
resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each  = local.rules
  cidr_ipv4 = each.value.cidr
  from_port = each.value.port
  name      = each.key
}
resource "aws_s3_bucket" "set" {
  for_each = toset(["b", "a"])
  bucket   = each.value
}
resource "aws_s3_bucket" "none" {
  count = 0
}
resource "aws_s3_bucket" "maybe" {
  count  = var.unknown ? 1 : 0
  bucket = "fixed"
  name   = "n-${count.index}"
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert_eq!(
        addresses(&unit),
        [
            "aws_s3_bucket.maybe",
            "aws_s3_bucket.set[\"a\"]",
            "aws_s3_bucket.set[\"b\"]",
            "aws_security_group_rule.open[0]",
            "aws_security_group_rule.open[1]",
            "aws_vpc_security_group_ingress_rule.this[\"ssh\"]",
            "aws_vpc_security_group_ingress_rule.this[\"web\"]",
        ]
    );
    assert_eq!(
        value_at(&unit, "aws_security_group_rule.open[1]", "cidr_blocks[0]").as_str(),
        Some("10.1.0.0/16")
    );
    let ssh = "aws_vpc_security_group_ingress_rule.this[\"ssh\"]";
    let cidr = value_at(&unit, ssh, "cidr_ipv4");
    assert_eq!(cidr.as_str(), Some("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr), "each.value.cidr");
    assert_eq!(labels(cidr), ["`for_each` element `ssh`", "local `rules`"]);
    assert_eq!(value_at(&unit, ssh, "name").as_str(), Some("ssh"));
    assert_eq!(
        value_at(&unit, "aws_s3_bucket.set[\"a\"]", "bucket").as_str(),
        Some("a")
    );
    // Unknown count: one instance, whose count-dependent values are unknown.
    assert_eq!(
        value_at(&unit, "aws_s3_bucket.maybe", "bucket").as_str(),
        Some("fixed")
    );
    assert!(!value_at(&unit, "aws_s3_bucket.maybe", "name")
        .value
        .is_known());
}

#[test]
fn references_to_instances_use_instance_addresses() {
    let text = r#"
variable "unknown" {}
resource "aws_s3_bucket" "b" {
  count = 2
}
resource "aws_s3_bucket" "m" {
  for_each = toset(["x", "y"])
}
resource "aws_s3_bucket" "u" {
  count = var.unknown
}
resource "aws_s3_bucket_logging" "l" {
  count  = 2
  bucket = aws_s3_bucket.b[count.index].id
}
resource "aws_s3_bucket_logging" "each" {
  for_each = aws_s3_bucket.m
  bucket   = each.value.id
}
resource "x" "refs" {
  keyed   = aws_s3_bucket.m["x"].arn
  splat   = aws_s3_bucket.b[*].id
  unknown = aws_s3_bucket.u[0].id
  nokey   = aws_s3_bucket.b.id
  one     = one(aws_s3_bucket.b[*].id)
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    let target = |node: &Node| match &node.value {
        Value::Ref(r) => format!("{}.{}", r.target, r.attribute.clone().unwrap_or_default()),
        other => format!("{other:?}"),
    };
    assert_eq!(
        target(value_at(&unit, "aws_s3_bucket_logging.l[1]", "bucket")),
        "aws_s3_bucket.b[1].id"
    );
    assert_eq!(
        target(value_at(
            &unit,
            "aws_s3_bucket_logging.each[\"y\"]",
            "bucket"
        )),
        "aws_s3_bucket.m[\"y\"].id"
    );
    assert_eq!(
        target(value_at(&unit, "x.refs", "keyed")),
        "aws_s3_bucket.m[\"x\"].arn"
    );
    assert_eq!(
        target(value_at(&unit, "x.refs", "splat[1]")),
        "aws_s3_bucket.b[1].id"
    );
    assert_eq!(
        target(value_at(&unit, "x.refs", "unknown")),
        "aws_s3_bucket.u.id"
    );
    assert!(!value_at(&unit, "x.refs", "nokey").value.is_known());
    assert!(
        matches!(value_at(&unit, "x.refs", "one").value, Value::Unknown(_)),
        "one() of two elements is an error"
    );
}

#[test]
fn dynamic_blocks_expand_with_their_iterator() {
    let text = r#"
variable "rules" {
  default = {
    ssh = { port = 22, cidrs = ["0.0.0.0/0"] }
    web = { port = 443, cidrs = ["10.0.0.0/8"] }
  }
}
resource "aws_security_group" "sg" {
  ingress {
    from_port = 80
  }
  dynamic "ingress" {
    for_each = var.rules
    iterator = rule
    content {
      from_port   = rule.value.port
      cidr_blocks = rule.value.cidrs
      description = rule.key
      dynamic "nested" {
        for_each = rule.value.cidrs
        content {
          cidr = nested.value
        }
      }
    }
  }
  dynamic "egress" {
    for_each = []
    content {}
  }
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    let sg = &resource(&unit, "aws_security_group.sg").body;
    let Value::List(blocks) = &sg.get("ingress").unwrap().value else {
        panic!()
    };
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[1].get("description").unwrap().as_str(), Some("ssh"));
    let cidr = at(&blocks[1], "cidr_blocks[0]");
    assert_eq!(cidr.as_str(), Some("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr), "rule.value.cidrs");
    assert_eq!(
        labels(cidr),
        [
            "`for_each` element `ssh` of dynamic block `ingress`",
            "default of variable `rules`"
        ]
    );
    assert_eq!(
        at(&blocks[2], "nested[0].cidr").as_str(),
        Some("10.0.0.0/8")
    );
    // Over nothing, a dynamic block generates no block: the type is absent.
    assert!(sg.get("egress").is_none(), "{sg:?}");
}

#[test]
fn dynamic_blocks_over_nothing_are_absent_and_over_unknowns_unknown() {
    let text = r#"
variable "logging" {
  type    = bool
  default = true
}
variable "target" {
  type = string
}
resource "aws_s3_bucket" "b" {
  dynamic "logging" {
    for_each = var.logging ? [1] : []
    content {
      target_bucket = "logs"
    }
  }
  dynamic "versioning" {
    for_each = var.target == "" ? [] : [var.target]
    content {
      enabled = true
    }
  }
}
"#;
    let presence = |tfvars: &str| {
        let files: &[(&str, &str)] = &[("main.tf", text), ("terraform.tfvars", tfvars)];
        let unit = evaluate(&[("/mem/root", files)], &TerraformOptions::default(), &[]);
        let bucket = &resource(&unit, "aws_s3_bucket.b").body;
        ["logging", "versioning"].map(|block| {
            let found = bucket.lookup(&Path::parse(block).unwrap());
            match found.nodes.as_slice() {
                [] => "absent",
                [blocks] if matches!(blocks.value, Value::Unknown(_)) => "unknown",
                [_] => "present",
                _ => panic!("{found:?}"),
            }
        })
    };
    assert_eq!(presence(""), ["present", "unknown"]);
    assert_eq!(
        presence("logging = false\ntarget = \"\"\n"),
        ["absent", "absent"]
    );
    assert_eq!(presence("target = \"on\"\n"), ["present", "present"]);
}

#[test]
fn instance_limits_are_errors_not_hangs() {
    let text = "resource \"x\" \"many\" {\n  count = 100000\n}\nresource \"x\" \"range\" {\n  for_each = toset([for i in range(20000) : tostring(i)])\n}\n";
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.resources.is_empty());
    assert_eq!(unit.errors.len(), 2, "{:?}", unit.errors);
    assert!(unit.errors[0].message.contains("10000"));
}

// ----- modules ---------------------------------------------------------------------

const SG_MODULE: &str = r#"
variable "cidr" {}
variable "name" {
  default = "sg"
}
resource "aws_security_group" "this" {
  name = var.name
  ingress {
    from_port   = 22
    to_port     = 22
    cidr_blocks = [var.cidr]
  }
}
output "id" {
  value = aws_security_group.this.id
}
output "cidr" {
  value = var.cidr
}
"#;

#[test]
fn modules_bind_inputs_return_outputs_and_address_their_resources() {
    let root = r#"
variable "admin_cidr" {
  default = "0.0.0.0/0"
}
module "bastion" {
  source = "./modules/sg"
  cidr   = var.admin_cidr
}
module "many" {
  source = "./modules/sg"
  count  = 2
  cidr   = "10.${count.index}.0.0/16"
}
module "named" {
  source   = "./modules/sg"
  for_each = { a = "1.1.1.1/32" }
  cidr     = each.value
  name     = each.key
}
module "net" {
  source = "./modules/net"
}
resource "aws_security_group_rule" "r" {
  security_group_id = module.bastion.id
  cidr_blocks       = [module.many[1].cidr, module.named["a"].cidr]
  all               = module.many[*].cidr
  nested            = module.net.inner_id
}
"#;
    let net = r#"
module "bastion_sg" {
  source = "../sg"
  cidr   = "192.168.0.0/16"
}
output "inner_id" {
  value = module.bastion_sg.id
}
"#;
    let unit = evaluate(
        &[
            ("/mem/root", &[("main.tf", root)]),
            ("/mem/root/modules/sg", &[("main.tf", SG_MODULE)]),
            ("/mem/root/modules/net", &[("main.tf", net)]),
        ],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    assert!(unit.notes.is_empty(), "{:?}", unit.notes);
    assert_eq!(
        addresses(&unit),
        [
            "aws_security_group_rule.r",
            "module.bastion.aws_security_group.this",
            "module.many[0].aws_security_group.this",
            "module.many[1].aws_security_group.this",
            "module.named[\"a\"].aws_security_group.this",
            "module.net.module.bastion_sg.aws_security_group.this",
        ]
    );
    let cidr = value_at(
        &unit,
        "module.bastion.aws_security_group.this",
        "ingress[0].cidr_blocks[0]",
    );
    assert_eq!(cidr.as_str(), Some("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr), "var.cidr");
    assert!(unit.file(cidr.span).display.ends_with("modules/sg/main.tf"));
    assert_eq!(
        labels(cidr),
        [
            "input `cidr` of module `bastion`",
            "default of variable `admin_cidr`"
        ]
    );
    assert_eq!(origin_text(&unit, cidr, 0), "var.admin_cidr");
    assert_eq!(
        value_at(&unit, "module.named[\"a\"].aws_security_group.this", "name").as_str(),
        Some("a")
    );
    let rule = "aws_security_group_rule.r";
    let Value::Ref(reference) = &value_at(&unit, rule, "security_group_id").value else {
        panic!()
    };
    assert_eq!(reference.target, "module.bastion.aws_security_group.this");
    assert_eq!(
        value_at(&unit, rule, "cidr_blocks[0]").as_str(),
        Some("10.1.0.0/16")
    );
    assert_eq!(
        value_at(&unit, rule, "cidr_blocks[1]").as_str(),
        Some("1.1.1.1/32")
    );
    assert_eq!(
        value_at(&unit, rule, "all[0]").as_str(),
        Some("10.0.0.0/16")
    );
    let Value::Ref(nested) = &value_at(&unit, rule, "nested").value else {
        panic!()
    };
    assert_eq!(
        nested.target,
        "module.net.module.bastion_sg.aws_security_group.this"
    );
    // The module's files are the unit's, each once.
    let displays: Vec<&str> = unit.files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(
        displays,
        [
            "/mem/root/main.tf",
            "/mem/root/modules/sg/main.tf",
            "/mem/root/modules/net/main.tf"
        ]
    );
}

#[test]
fn modules_not_read_are_notes_and_their_outputs_unknown() {
    let root = r#"
module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}
module "missing" {
  source = "./nowhere"
}
module "self" {
  source = "./"
}
resource "x" "y" {
  a = module.remote.vpc_id
  b = module.missing.id
}
"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", root)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    assert_eq!(unit.notes.len(), 3, "{:?}", unit.notes);
    assert!(
        unit.notes[0].message.contains("terraform init"),
        "{}",
        unit.notes[0].message
    );
    assert!(unit.notes[1].message.contains("no such directory"));
    assert!(unit.notes[2].message.contains("cycle"));
    assert!(!value_at(&unit, "x.y", "a").value.is_known());
    assert!(!value_at(&unit, "x.y", "b").value.is_known());
}

#[test]
fn module_depth_is_limited() {
    let nested = "module \"again\" {\n  source = \"./next\"\n}\nresource \"x\" \"y\" {}\n";
    let mut paths = vec!["/mem/m".to_string()];
    for _ in 0..40 {
        let next = format!("{}/next", paths.last().unwrap());
        paths.push(next);
    }
    let files: Vec<[(&str, &str); 1]> = paths.iter().map(|_| [("main.tf", nested)]).collect();
    let dirs: Vec<(&str, &[(&str, &str)])> = paths
        .iter()
        .zip(&files)
        .map(|(p, f)| (p.as_str(), &f[..]))
        .collect();
    let unit = evaluate(&dirs, &TerraformOptions::default(), &[]);
    assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
    assert!(unit.errors[0].message.contains("deeper than 32"));
    assert_eq!(unit.resources.len(), 33);
}

#[test]
fn called_directories_are_not_roots_unless_uncalled() {
    let dir = |path: &str, text: &str| {
        ModuleDir::parse(
            PathBuf::from(path),
            vec![(format!("{path}/main.tf"), Arc::from(text))],
        )
    };
    let library = Library::from_parts(
        vec![
            dir("/r/env", "module \"a\" {\n  source = \"../modules/a\"\n}\n"),
            dir("/r/modules/a", "module \"b\" {\n  source = \"../b\"\n}\n"),
            dir("/r/modules/b", ""),
            dir("/r/loop/x", "module \"y\" {\n  source = \"../y\"\n}\n"),
            dir("/r/loop/y", "module \"x\" {\n  source = \"../x\"\n}\n"),
            dir("/r/alone", ""),
        ],
        vec![PathBuf::from("/r")],
        Vec::new(),
    );
    let roots: Vec<&str> = library.roots.iter().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(roots, ["/r/alone", "/r/env", "/r/loop/x"]);
}

// ----- JSON syntax -------------------------------------------------------------------

#[test]
fn terraform_json_files_evaluate_like_hcl() {
    let json = r#"{
  "variable": {"cidr": {"default": "0.0.0.0/0"}},
  "locals": {"port": 22},
  "resource": {
    "aws_security_group": {
      "sg": {
        "ingress": [{"from_port": "${local.port}", "cidr_blocks": ["${var.cidr}"]}],
        "dynamic": {"egress": {"for_each": "${[1, 2]}", "content": {"n": "${egress.value}"}}}
      }
    }
  }
}"#;
    let unit = evaluate(
        &[("/mem/root", &[("main.tf.json", json)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let cidr = value_at(&unit, "aws_security_group.sg", "ingress[0].cidr_blocks[0]");
    assert_eq!(cidr.as_str(), Some("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr), "var.cidr");
    assert_eq!(origin_text(&unit, cidr, 0), "\"0.0.0.0/0\"");
    assert_eq!(
        value_at(&unit, "aws_security_group.sg", "ingress[0].from_port").value,
        Value::Number(22.0)
    );
    assert_eq!(
        value_at(&unit, "aws_security_group.sg", "egress[1].n").value,
        Value::Number(2.0)
    );
    let header = resource(&unit, "aws_security_group.sg").header;
    assert_eq!(span_text(&unit, header), "\"sg\"");
}

#[test]
fn evaluation_steps_are_bounded() {
    // Each local doubles the previous one: 2^40 elements unless stopped.
    let mut text = String::from("locals {\n  l0 = [1]\n");
    for i in 1..40 {
        text.push_str(&format!(
            "  l{i} = concat(local.l{p}, local.l{p})\n",
            p = i - 1
        ));
    }
    text.push_str("}\nresource \"x\" \"y\" {\n  v = local.l39\n}\n");
    let start = std::time::Instant::now();
    let unit = evaluate(
        &[("/mem/root", &[("main.tf", &text)])],
        &TerraformOptions::default(),
        &[],
    );
    assert!(start.elapsed().as_secs() < 30);
    assert!(unit.resource("x.y").is_some());
    assert!(
        !value_at(&unit, "x.y", "v").value.is_known()
            || unit.errors.iter().any(|e| e.message.contains("too large"))
    );
}

#[test]
fn long_reference_chains_are_bounded_in_depth_and_provenance() {
    // Run on a thread with a unit's stack, as the scan does.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let chain = |n: usize| {
                let mut text = String::from("locals {\n  l0 = \"0.0.0.0/0\"\n");
                for i in 1..n {
                    text.push_str(&format!("  l{i} = local.l{}\n", i - 1));
                }
                text.push_str(&format!(
                    "}}\nresource \"x\" \"y\" {{\n  v = local.l{}\n}}\n",
                    n - 1
                ));
                text
            };
            let text = chain(100);
            let unit = load(&[("main.tf", &text)]);
            assert!(unit.errors.is_empty(), "{:?}", unit.errors);
            let v = value_at(&unit, "x.y", "v");
            assert_eq!(v.as_str(), Some("0.0.0.0/0"));
            assert_eq!(v.origins.len(), super::eval::MAX_ORIGINS);
            assert_eq!(v.origins[0].label, "local `l99`");
            assert_eq!(
                v.origins.last().unwrap().label,
                "local `l0`",
                "the first place the value was set is kept"
            );
            assert_eq!(origin_text(&unit, v, v.origins.len() - 1), "\"0.0.0.0/0\"");

            let text = chain(5_000);
            let unit = load(&[("main.tf", &text)]);
            assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
            assert!(unit.errors[0].message.contains("levels deep"));
            assert!(!value_at(&unit, "x.y", "v").value.is_known());
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn modules_with_unknown_instances_are_one_instance_without_a_key() {
    let root = r#"
variable "enabled" {}
module "maybe" {
  source = "./modules/sg"
  count  = var.enabled ? 1 : 0
  cidr   = "0.0.0.0/0"
  name   = "n-${count.index}"
}
resource "x" "y" {
  indexed = module.maybe[0].cidr
  all     = module.maybe[*].cidr
}
"#;
    let unit = evaluate(
        &[
            ("/mem/root", &[("main.tf", root)]),
            ("/mem/root/modules/sg", &[("main.tf", SG_MODULE)]),
        ],
        &TerraformOptions::default(),
        &[],
    );
    let sg = "module.maybe.aws_security_group.this";
    assert_eq!(
        value_at(&unit, sg, "ingress[0].cidr_blocks[0]").as_str(),
        Some("0.0.0.0/0")
    );
    assert!(!value_at(&unit, sg, "name").value.is_known());
    assert_eq!(
        value_at(&unit, "x.y", "indexed").as_str(),
        Some("0.0.0.0/0")
    );
    assert!(!value_at(&unit, "x.y", "all").value.is_known());
}

#[test]
fn policy_documents_expand_dynamic_statements_and_read_variables() {
    let text = r#"
variable "readers" {
  default = ["*"]
}
locals {
  grants = {
    read  = ["s3:GetObject"]
    write = ["s3:PutObject"]
  }
}
data "aws_iam_policy_document" "p" {
  dynamic "statement" {
    for_each = local.grants
    content {
      sid     = statement.key
      actions = statement.value
      principals {
        type        = "AWS"
        identifiers = var.readers
      }
    }
  }
}
resource "aws_s3_bucket_policy" "b" {
  policy = data.aws_iam_policy_document.p.json
}
"#;
    let unit = load(&[("main.tf", text)]);
    let policy = value_at(&unit, "aws_s3_bucket_policy.b", "policy");
    assert_eq!(at(policy, "Statement[0].Sid").as_str(), Some("read"));
    assert_eq!(
        at(policy, "Statement[1].Action[0]").as_str(),
        Some("s3:PutObject")
    );
    let principal = at(policy, "Statement[0].Principal.AWS[0]");
    assert_eq!(principal.as_str(), Some("*"));
    assert_eq!(slice(&unit, principal), "var.readers");
    assert_eq!(labels(principal), ["default of variable `readers`"]);
}

#[test]
fn templatefile_renders_directives_with_its_variables() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("rules.tftpl"),
        "%{ for c in cidrs ~}\n${c};\n%{ endfor ~}\nport=${port}",
    )
    .unwrap();
    let main = "resource \"x\" \"y\" {\n  v = templatefile(\"rules.tftpl\", { cidrs = [\"a\", \"b\"], port = 22 })\n  missing = templatefile(\"nope.tftpl\", {})\n}\n";
    let module = ModuleDir::parse(root.clone(), vec![("main.tf".into(), Arc::from(main))]);
    let library = Library::from_parts(vec![module], vec![root.clone()], Vec::new());
    let unit = evaluate_root(&library, &root, &TerraformOptions::default()).unwrap();
    let v = value_at(&unit, "x.y", "v");
    assert_eq!(v.as_str(), Some("a;\nb;\nport=22"));
    assert_eq!(labels(v), ["template `rules.tftpl`"]);
    assert!(!value_at(&unit, "x.y", "missing").value.is_known());
}

#[test]
fn large_maps_build_in_linear_time() {
    // Keys were de-duplicated by a linear search, which made 100,000 keys
    // from `for` or `zipmap` take 17 s and a 200,000-key object over 300 s
    // (hcl-edit's parser searched every key too: 50,000 took minutes). Half
    // those sizes stay within one unit's step budget; the object literal is
    // written both in HCL and in JSON.
    let maps = r#"
locals {
  keys   = [for i in range(50000) : "k${i}"]
  by_for = { for k in local.keys : k => k }
  by_zip = zipmap(local.keys, local.keys)
}
resource "x" "y" {
  a = length(local.by_for)
  b = length(local.by_zip)
  c = length(local.big)
  d = local.by_zip["k49999"]
  e = length(local.literal)
}
"#;
    let big: serde_json::Map<String, serde_json::Value> = (0..100_000)
        .map(|i| (format!("k{i}"), serde_json::Value::from(i)))
        .collect();
    let big = serde_json::json!({ "locals": { "big": big } }).to_string();
    let literal: String = (0..100_000).map(|i| format!("    k{i} = {i}\n")).collect();
    let literal = format!("locals {{\n  literal = {{\n{literal}  }}\n}}\n");
    let unit = load(&[
        ("main.tf", maps),
        ("big.tf.json", &big),
        ("literal.tf", &literal),
    ]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let y = resource(&unit, "x.y");
    assert_eq!(at(&y.body, "a").value, Value::Number(50_000.0));
    assert_eq!(at(&y.body, "b").value, Value::Number(50_000.0));
    assert_eq!(at(&y.body, "c").value, Value::Number(100_000.0));
    assert_eq!(at(&y.body, "d").value, Value::String("k49999".into()));
    assert_eq!(at(&y.body, "e").value, Value::Number(100_000.0));
}

#[test]
fn repeated_object_keys_keep_the_last_value_in_the_first_place() {
    let unit = load(&[(
        "main.tf",
        "resource \"x\" \"y\" {\n  m = { a = 1, b = 2, \"a\" = 3 }\n  z = zipmap([\"p\", \"q\", \"p\"], [1, 2, 3])\n  g = merge({ a = 1, b = 2 }, { a = 4 })\n}\n",
    )]);
    let y = resource(&unit, "x.y");
    for (path, want) in [
        ("m", [("a", 3.0), ("b", 2.0)]),
        ("z", [("p", 3.0), ("q", 2.0)]),
        ("g", [("a", 4.0), ("b", 2.0)]),
    ] {
        let Value::Map(entries) = &at(&y.body, path).value else {
            panic!("{path} is not a map")
        };
        let got: Vec<(&str, Value)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.value.clone()))
            .collect();
        let want: Vec<(&str, Value)> = want.iter().map(|(k, v)| (*k, Value::Number(*v))).collect();
        assert_eq!(got, want, "{path}");
    }
}

#[test]
fn limit_messages_state_the_limits() {
    use super::eval::{MAX_COLLECTION, MAX_STRING_BYTES, TOO_LARGE, TOO_LONG};
    assert!(
        TOO_LARGE.contains(&MAX_COLLECTION.to_string()),
        "{TOO_LARGE}"
    );
    assert!(
        TOO_LONG.contains(&format!("{} MiB", MAX_STRING_BYTES >> 20)),
        "{TOO_LONG}"
    );
}

#[test]
fn override_files_merge_into_the_blocks_they_name_as_terraform_merges() {
    let main = r#"
variable "cidr" {
  default = "10.0.0.0/8"
}
locals {
  port = 22
  name = "web"
}
resource "aws_security_group" "web" {
  name        = local.name
  description = "kept"
  name_prefix = var.cidr
  ingress {
    from_port   = local.port
    to_port     = local.port
    cidr_blocks = [var.cidr]
  }
  egress {
    from_port = 0
  }
  lifecycle {
    create_before_destroy = true
    prevent_destroy       = false
  }
}
"#;
    // Sorted before main.tf, yet applied after it, as Terraform loads
    // override files after every primary file.
    let first_override = r#"
variable "cidr" {
  default = "0.0.0.0/0"
}
resource "aws_security_group" "web" {
  name = "web-override"
  ingress {
    from_port = 443
  }
  lifecycle {
    prevent_destroy = true
  }
}
"#;
    let later_override = "locals {\n  port = 3389\n}\n";
    let unit = load(&[
        ("a_override.tf", first_override),
        ("main.tf", main),
        ("z_override.tf", later_override),
    ]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let sg = &resource(&unit, "aws_security_group.web").body;
    // An argument replaces the original's; the others stay.
    assert_eq!(at(sg, "name").as_str(), Some("web-override"));
    assert_eq!(at(sg, "description").as_str(), Some("kept"));
    // Nested blocks of a type replace all of the original's of that type.
    let ingress = sg.get("ingress").unwrap();
    let Value::List(blocks) = &ingress.value else {
        panic!("{ingress:?}")
    };
    assert_eq!(blocks.len(), 1);
    assert_eq!(at(&blocks[0], "from_port").value, Value::Number(443.0));
    assert!(blocks[0].get("cidr_blocks").is_none());
    assert!(sg.get("egress").is_some());
    // A later override of a local reaches the resource through it.
    let unit = load(&[("main.tf", main), ("z_override.tf", later_override)]);
    let sg = &resource(&unit, "aws_security_group.web").body;
    assert_eq!(at(sg, "ingress[0].from_port").value, Value::Number(3389.0));
    // A variable's default is overridden.
    assert_eq!(at(sg, "name_prefix").as_str(), Some("10.0.0.0/8"));
    let unit = load(&[("main.tf", main), ("a_override.tf", first_override)]);
    let sg = &resource(&unit, "aws_security_group.web").body;
    assert_eq!(at(sg, "name_prefix").as_str(), Some("0.0.0.0/0"));
}

#[test]
fn lifecycle_arguments_of_an_override_merge_one_by_one() {
    use super::syntax::{lower_body, ExprKind};
    let mut base = lower_body(
        &crate::parse::hcl::parse_hcl(
            "lifecycle {\n  create_before_destroy = true\n  prevent_destroy = false\n}\n",
            0,
        )
        .unwrap(),
        0,
    );
    let over = lower_body(
        &crate::parse::hcl::parse_hcl("lifecycle {\n  prevent_destroy = true\n}\n", 0).unwrap(),
        0,
    );
    super::config::merge_override(&mut base, over);
    let lifecycle = base.blocks().next().unwrap();
    let values: Vec<(String, bool)> = lifecycle
        .body
        .attributes()
        .map(|a| (a.name.clone(), matches!(a.expr.kind, ExprKind::Bool(true))))
        .collect();
    assert_eq!(
        values,
        [
            ("create_before_destroy".to_string(), true),
            ("prevent_destroy".to_string(), true)
        ]
    );
}

#[test]
fn an_override_of_nothing_is_an_error_as_in_terraform() {
    let unit = load(&[
        ("main.tf", "locals {\n  a = 1\n}\n"),
        (
            "main_override.tf",
            "resource \"aws_s3_bucket\" \"missing\" {\n  bucket = \"x\"\n}\nlocals {\n  b = 2\n}\n",
        ),
    ]);
    let messages: Vec<&str> = unit.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("resource `aws_s3_bucket.missing` is in an override file"));
    assert!(messages[1].contains("local value `b`"));
    assert!(unit.resource("aws_s3_bucket.missing").is_none());
}

#[test]
fn moved_import_removed_and_check_blocks_are_accepted_without_noise() {
    let text = r#"
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
moved {
  from = aws_s3_bucket.old
  to   = aws_s3_bucket.logs
}
import {
  to = aws_s3_bucket.logs
  id = "logs"
}
removed {
  from = aws_s3_bucket.gone
  lifecycle {
    destroy = false
  }
}
check "reachable" {
  data "http" "site" {
    url = "https://example.com"
  }
  assert {
    condition     = data.http.site.status_code == 200
    error_message = "down"
  }
}
"#;
    let unit = load(&[("main.tf", text)]);
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    assert!(unit.notes.is_empty(), "{:?}", unit.notes);
    let addresses: Vec<&str> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, ["aws_s3_bucket.logs"]);
}

#[test]
fn provider_blocks_are_checked_as_provider_resources() {
    let text = r#"
variable "key" {
  default = "from-default"
}
provider "aws" {
  region     = "eu-west-1"
  secret_key = var.key
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
provider "aws" {
  alias  = "west"
  region = "us-west-1"
}
"#;
    let unit = load(&[("main.tf", text)]);
    let default = resource(&unit, "provider.aws");
    assert_eq!(default.resource_type, "provider");
    assert_eq!(
        at(&default.body, "secret_key").value.display(),
        "from-default"
    );
    let west = resource(&unit, "provider.aws.west");
    assert_eq!(at(&west.body, "region").value.display(), "us-west-2");
    assert_eq!(
        unit.resources
            .iter()
            .filter(|r| r.resource_type == "provider")
            .count(),
        2,
        "a repeated configuration is read once"
    );
    assert!(
        unit.errors
            .iter()
            .any(|e| e.message.contains("provider configuration `aws.west`")),
        "and reported, as Terraform rejects it: {:?}",
        unit.errors
    );
}
