//! Relations between the resources of a unit, in both directions, each a
//! lookup in the unit's [`UnitIndex`]:
//!
//! - `referrers`: the resources that refer to this one at a path (an
//!   `aws_s3_bucket_logging` whose `bucket` is this bucket), by reference,
//!   by this resource's literal name (within a scope they share, with
//!   `same`), or by an Azure resource id naming it ([`super::resource_id`]);
//! - `references`: the resources this one refers to at a path (an
//!   instance's `vpc_security_group_ids[*]`), by reference or by the
//!   target's literal name;
//! - `in_unit`: some resource of the unit, wherever it is (account-wide
//!   settings such as `aws_ebs_encryption_by_default` refer to nothing).
//!
//! Each may carry a matcher evaluated on the related resource, which may hold
//! relations itself, so relations chain. A link whose value is not known
//! before apply may be the one that matters: it makes the result unknown
//! unless a known link decides it.

use super::index::RelationKey;
use super::load::{get, read_matcher, Reader};
use super::matcher::{union, Context, Matcher, Outcome, Witness};
use super::resource_id::Target;
use crate::value::{Node, Path, Value};

#[derive(Debug)]
pub struct Referrers {
    pub types: Vec<String>,
    /// The path in the referring resource that holds the reference.
    pub via: Path,
    /// A path in *this* resource whose literal value also counts as a
    /// reference when the referrer holds it (a bucket's `bucket` name).
    pub name: Option<Path>,
    /// A path whose value a referrer linked by literal name must share with
    /// this resource: the name is unique only within it (a stage name
    /// within its REST API).
    pub same: Option<Path>,
    pub matcher: Option<Box<Matcher>>,
}

#[derive(Debug)]
pub struct References {
    /// The path in this resource that holds the references.
    pub path: Path,
    pub types: Vec<String>,
    /// A path in the target whose literal value, held at `path`, links the
    /// two (a trail's `s3_bucket_name` holding a bucket's `bucket`).
    pub by_name: Option<Path>,
    pub matcher: Option<Box<Matcher>>,
}

#[derive(Debug)]
pub struct InUnit {
    pub types: Vec<String>,
    pub matcher: Option<Box<Matcher>>,
}

fn key<T>(spec: &T) -> RelationKey {
    std::ptr::from_ref(spec) as usize
}

/// The related resource `i` linked for sure: its matcher's outcome there, or
/// (without a matcher) a match at `place`.
fn related(ctx: &Context, i: usize, matcher: Option<&Matcher>, place: Witness) -> Outcome {
    let other = ctx.index.resource(i);
    let other_ctx = Context {
        unit: ctx.unit,
        index: ctx.index,
        resource: other,
        header: other.header,
        decoder: ctx.decoder,
    };
    match matcher {
        None => Outcome::Match(vec![place]),
        Some(m) => m.eval(&other.body, &other_ctx),
    }
}

fn is_focus(ctx: &Context, i: usize) -> bool {
    std::ptr::eq(ctx.index.resource(i), ctx.resource)
}

impl Referrers {
    pub fn eval(&self, ctx: &Context) -> Outcome {
        let table = ctx.index.referrers(key(self), &self.types, &self.via);
        let own_names = self.name.as_ref().map(|p| ctx.resource.body.lookup(p));
        let named = own_names
            .iter()
            .flat_map(|found| found.nodes.iter().filter_map(|n| n.as_str()))
            .filter_map(|name| table.by_literal.get(name))
            .flatten();
        let (mut by_name, mut maybe_by_name) = (Vec::new(), Vec::new());
        for &i in named {
            let scope = self.same.as_ref().map(|p| {
                let referrer = &ctx.index.resource(i).body;
                same_value(&ctx.resource.body, referrer, p)
            });
            match scope {
                None | Some(Some(true)) => by_name.push(i),
                Some(None) => maybe_by_name.push(i),
                Some(Some(false)) => {}
            }
        }
        // An Azure resource id naming this resource links it too.
        let (by_id, maybe_by_id) = Target::of(ctx.resource, |v| referenced_name(ctx, v))
            .map(|target| table.resource_ids.links(&target))
            .unwrap_or_default();
        let mut linked: Vec<usize> = table
            .by_target
            .get(&ctx.resource.address)
            .into_iter()
            .flatten()
            .chain(&by_name)
            .chain(&by_id)
            .copied()
            .filter(|&i| !is_focus(ctx, i))
            .collect();
        linked.sort_unstable();
        linked.dedup();
        // An unknown link that is not also a known one may be this resource.
        let maybe = table
            .unknown
            .iter()
            .chain(&maybe_by_id)
            .chain(&maybe_by_name)
            .any(|&i| !is_focus(ctx, i) && linked.binary_search(&i).is_err());
        let matcher = self.matcher.as_deref();
        union(
            linked
                .into_iter()
                .map(|i| {
                    let place = Witness::place(ctx.index.resource(i).header);
                    related(ctx, i, matcher, place)
                })
                .chain(maybe.then_some(Outcome::Unknown)),
        )
    }
}

/// Whether two bodies hold the same value at `path`: a reference to the
/// same resource, or the same text; `None` when that is not known.
fn same_value(a: &Node, b: &Node, path: &Path) -> Option<bool> {
    fn single<'a>(found: &crate::value::Lookup<'a>) -> Option<&'a Value> {
        match found.nodes.as_slice() {
            [node] if found.unknown.is_empty() => Some(&node.value),
            _ => None,
        }
    }
    let (a, b) = (a.lookup(path), b.lookup(path));
    match (single(&a)?, single(&b)?) {
        (Value::Ref(x), Value::Ref(y)) => Some(x.target == y.target),
        (Value::String(x), Value::String(y)) => Some(x == y),
        _ => None,
    }
}

/// The literal name of the resource a reference reads the `name` of
/// (`resource_group_name = azurerm_resource_group.main.name`).
fn referenced_name(ctx: &Context, value: &Value) -> Option<String> {
    let Value::Ref(r) = value else {
        return None;
    };
    if r.attribute.as_deref() != Some("name") {
        return None;
    }
    let target = ctx.index.resource(ctx.index.by_address(&r.target)?);
    target.body.get("name")?.as_str().map(str::to_owned)
}

impl References {
    pub fn eval(&self, ctx: &Context) -> Outcome {
        let found = ctx.resource.body.lookup(&self.path);
        let names = self
            .by_name
            .as_ref()
            .map(|p| ctx.index.names(key(self), &self.types, p));
        let mut linked: Vec<(usize, &Node)> = Vec::new();
        let mut unknown = false;
        // A path ending at a list (`vpc_security_group_ids`) reads as its elements.
        let values = found
            .nodes
            .iter()
            .chain(found.unknown.iter())
            .flat_map(|n| match &n.value {
                Value::List(items) => items.iter().collect(),
                _ => vec![*n],
            });
        for node in values {
            match &node.value {
                Value::Ref(r) => match ctx.index.by_address(&r.target) {
                    // A data source's settings live outside this code.
                    Some(i) if ctx.index.resource(i).is_data => unknown = true,
                    Some(i) if self.types.contains(&ctx.index.resource(i).resource_type) => {
                        linked.push((i, node))
                    }
                    Some(_) => {}
                    // Not a resource of this unit: it cannot be told apart.
                    None => unknown = true,
                },
                Value::String(s) => {
                    let targets = names.as_ref().and_then(|n| n.get(s.as_str()));
                    linked.extend(targets.into_iter().flatten().map(|&i| (i, node)));
                }
                Value::Unknown(_) => unknown = true,
                _ => {}
            }
        }
        linked.sort_by_key(|&(i, _)| i);
        linked.dedup_by_key(|&mut (i, _)| i);
        let matcher = self.matcher.as_deref();
        union(
            linked
                .into_iter()
                .map(|(i, node)| related(ctx, i, matcher, Witness::at(node)))
                .chain(unknown.then_some(Outcome::Unknown)),
        )
    }
}

impl InUnit {
    pub fn eval(&self, ctx: &Context) -> Outcome {
        let matcher = self.matcher.as_deref();
        union(
            ctx.index
                .of_types(&self.types)
                .into_iter()
                .filter(|&i| !is_focus(ctx, i))
                .map(|i| {
                    let place = Witness::place(ctx.index.resource(i).header);
                    related(ctx, i, matcher, place)
                }),
        )
    }
}

/// Reads a relation matcher: `referrers`, `references`, `in_unit`, or
/// `companion` (the old name: `referrers` with `via`, else `in_unit`).
pub fn read(r: &mut Reader, relation: &str, node: &Node) -> Option<Matcher> {
    let fields = r.map(node, relation);
    let allowed: &[&str] = match relation {
        "companion" => &["types", "via", "name", "same", "match"],
        "referrers" => &["types", "via", "name", "same", "match"],
        "references" => &["path", "types", "by_name", "match"],
        _ => &["types", "match"],
    };
    r.only_keys(fields, allowed, relation);
    let types = r
        .required(node, fields, "types", relation)
        .map(|t| r.strings(t, "a resource type"))?;
    let optional_path = |r: &mut Reader, key: &str| match get(fields, key) {
        Some(p) => r.path(p).map(Some),
        None => Some(None),
    };
    let via = optional_path(r, "via")?;
    let name = optional_path(r, "name")?;
    let same = optional_path(r, "same")?;
    let by_name = optional_path(r, "by_name")?;
    let matcher = match get(fields, "match") {
        Some(m) => Some(Box::new(read_matcher(r, m)?)),
        None => None,
    };
    if relation == "references" {
        let path = r
            .required(node, fields, "path", relation)
            .and_then(|p| r.path(p))?;
        return Some(Matcher::References(References {
            path,
            types,
            by_name,
            matcher,
        }));
    }
    match via {
        Some(_) if same.is_some() && name.is_none() => {
            r.error(
                node.span,
                "`same` needs `name`: it scopes links by literal name",
            );
            None
        }
        Some(via) => Some(Matcher::Referrers(Referrers {
            types,
            via,
            name,
            same,
            matcher,
        })),
        None if relation == "referrers" => {
            r.error(
                node.span,
                "`referrers` needs `via`; for any resource of the unit use `in_unit`",
            );
            None
        }
        None if name.is_some() || same.is_some() => {
            r.error(node.span, "`name` and `same` need `via`");
            None
        }
        None => Some(Matcher::InUnit(InUnit { types, matcher })),
    }
}

/// A check's `scope`: `resource` (the default: every resource of its types)
/// or `unit` (once per unit); true for `unit`.
pub fn read_scope(r: &mut Reader, node: Option<&Node>) -> Option<bool> {
    let Some(node) = node else {
        return Some(false);
    };
    match r.string(node, "scope")?.as_str() {
        "resource" => Some(false),
        "unit" => Some(true),
        other => {
            r.error(
                node.span,
                format!("unknown scope `{other}`; expected resource or unit"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Unit;
    use crate::rules::index::UnitIndex;
    use crate::rules::load::{read_matcher, Reader};
    use crate::rules::matcher::{Context, Matcher, Outcome};
    use crate::source::SourceFile;
    use std::sync::Arc;

    fn matcher(yaml: &str) -> Matcher {
        let file = SourceFile::new("rule.yaml".into(), Arc::from(yaml));
        let node = crate::parse::yaml::parse_yaml(yaml, 0).unwrap();
        let mut reader = Reader::new(&file);
        let m = read_matcher(&mut reader, &node);
        assert!(reader.errors.is_empty(), "{:?}", reader.errors);
        m.unwrap()
    }

    fn terraform(text: &str) -> Unit {
        crate::eval::terraform::load_module(
            vec![("main.tf".into(), Arc::from(text))],
            &Default::default(),
        )
    }

    /// The outcome on each resource of `kind`, by address: "match" with
    /// the matched lines, "no match" or "unknown".
    fn outcomes(unit: &Unit, kind: &str, m: &Matcher) -> Vec<(String, String)> {
        let index = UnitIndex::new(unit);
        let arena = typed_arena::Arena::new();
        let decoder = crate::rules::values::Decoder::new(unit, &arena);
        unit.resources
            .iter()
            .filter(|r| r.resource_type == kind)
            .map(|r| {
                let ctx = Context {
                    unit,
                    index: &index,
                    resource: r,
                    header: r.header,
                    decoder: &decoder,
                };
                let text = match m.eval(&r.body, &ctx) {
                    Outcome::Match(w) => {
                        let lines: Vec<String> = w
                            .iter()
                            .map(|w| {
                                let file = unit.file(w.span);
                                file.line_col(w.span.start).line.to_string()
                            })
                            .collect();
                        format!("match {}", lines.join(","))
                    }
                    Outcome::NoMatch => "no match".into(),
                    Outcome::Unknown => "unknown".into(),
                };
                (r.address.clone(), text)
            })
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn referrers_link_by_reference_and_by_name_and_unknown_links_are_unknown() {
        let unit = terraform(
            r#"
resource "aws_s3_bucket" "by_ref" { bucket = "one" }
resource "aws_s3_bucket" "by_name" { bucket = "two" }
resource "aws_s3_bucket" "alone" { bucket = "three" }
resource "aws_s3_bucket_logging" "a" {
  bucket = aws_s3_bucket.by_ref.id
}
resource "aws_s3_bucket_logging" "b" {
  bucket = "two"
}
"#,
        );
        let m = matcher("referrers: {types: [aws_s3_bucket_logging], via: bucket, name: bucket}");
        assert_eq!(
            outcomes(&unit, "aws_s3_bucket", &m),
            pairs(&[
                ("aws_s3_bucket.by_ref", "match 5"),
                ("aws_s3_bucket.by_name", "match 8"),
                ("aws_s3_bucket.alone", "no match"),
            ])
        );
        // `companion` is the same relation under its old name.
        let alias =
            matcher("companion: {types: [aws_s3_bucket_logging], via: bucket, name: bucket}");
        assert_eq!(
            outcomes(&unit, "aws_s3_bucket", &alias),
            outcomes(&unit, "aws_s3_bucket", &m)
        );

        let unknown = terraform(
            r#"
variable "target" {}
resource "aws_s3_bucket" "a" { bucket = "one" }
resource "aws_s3_bucket" "b" { bucket = "two" }
resource "aws_s3_bucket_logging" "known" { bucket = aws_s3_bucket.a.id }
resource "aws_s3_bucket_logging" "unknown" { bucket = var.target }
"#,
        );
        assert_eq!(
            outcomes(&unknown, "aws_s3_bucket", &m),
            pairs(&[
                // A known link decides; the unknown one could only add to it.
                ("aws_s3_bucket.a", "match 5"),
                ("aws_s3_bucket.b", "unknown"),
            ])
        );
    }

    /// Not a relation, but this module has the harness: presence as a rule
    /// sees blocks a `dynamic` block generates, or may.
    #[test]
    fn blocks_a_dynamic_block_may_generate_are_neither_present_nor_absent() {
        let unit = terraform(
            r#"
variable "rules" {}
resource "aws_security_group" "none" {
  dynamic "ingress" {
    for_each = []
    content {}
  }
}
resource "aws_security_group" "maybe" {
  dynamic "ingress" {
    for_each = var.rules
    content {}
  }
}
resource "aws_security_group" "plain_and_maybe" {
  ingress {}
  dynamic "ingress" {
    for_each = var.rules
    content {}
  }
}
resource "aws_security_group" "attribute_unknown" {
  ingress = var.rules
}
"#,
        );
        let absent = matcher("{path: ingress, exists: false}");
        let present = matcher("{path: ingress, exists: true}");
        assert_eq!(
            outcomes(&unit, "aws_security_group", &absent),
            pairs(&[
                ("aws_security_group.none", "match 3"),
                ("aws_security_group.maybe", "unknown"),
                ("aws_security_group.plain_and_maybe", "no match"),
                // Set to a value not known before apply: it may be null.
                ("aws_security_group.attribute_unknown", "unknown"),
            ])
        );
        assert_eq!(
            outcomes(&unit, "aws_security_group", &present),
            pairs(&[
                ("aws_security_group.none", "no match"),
                ("aws_security_group.maybe", "unknown"),
                ("aws_security_group.plain_and_maybe", "match 16"),
                ("aws_security_group.attribute_unknown", "unknown"),
            ])
        );
    }

    #[test]
    fn referrers_link_azure_resources_by_literal_resource_id() {
        let endpoint = matcher(
            "referrers: {types: [azurerm_private_endpoint], via: private_service_connection.private_connection_resource_id}",
        );
        let unit = terraform(
            r#"
variable "vault_id" {
  default = "/subscriptions/0000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-by-var"
}
locals { subscription = "0000" }
resource "azurerm_resource_group" "secrets" { name = "RG-Secrets" }
resource "azurerm_key_vault" "literal" {
  name                = "kv-literal"
  resource_group_name = azurerm_resource_group.secrets.name
}
resource "azurerm_key_vault" "by_var" { name = "kv-by-var" }
resource "azurerm_key_vault" "by_format" {
  name                = "kv-format"
  resource_group_name = "rg-secrets"
}
resource "azurerm_key_vault" "other_group" {
  name                = "kv-elsewhere"
  resource_group_name = "rg-other"
}
resource "azurerm_storage_account" "same_name" { name = "kv-literal" }
resource "azurerm_storage_account" "child" { name = "acct" }
resource "azurerm_private_endpoint" "literal" {
  private_service_connection {
    private_connection_resource_id = "/SUBSCRIPTIONS/0000/resourcegroups/rg-secrets/providers/microsoft.keyvault/VAULTS/KV-Literal"
  }
}
resource "azurerm_private_endpoint" "by_var" {
  private_service_connection { private_connection_resource_id = var.vault_id }
}
resource "azurerm_private_endpoint" "by_format" {
  private_service_connection {
    private_connection_resource_id = format("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s", local.subscription, "rg-secrets", "kv-format")
  }
}
resource "azurerm_private_endpoint" "other_group" {
  private_service_connection {
    private_connection_resource_id = "/subscriptions/0000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-elsewhere"
  }
}
resource "azurerm_private_endpoint" "child" {
  private_service_connection {
    private_connection_resource_id = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default"
  }
}
"#,
        );
        assert_eq!(
            outcomes(&unit, "azurerm_key_vault", &endpoint),
            pairs(&[
                ("azurerm_key_vault.literal", "match 22"),
                ("azurerm_key_vault.by_var", "match 27"),
                ("azurerm_key_vault.by_format", "match 30"),
                // Same name, another resource group.
                ("azurerm_key_vault.other_group", "no match"),
            ])
        );
        assert_eq!(
            outcomes(&unit, "azurerm_storage_account", &endpoint),
            pairs(&[
                // A vault's id does not name an account of the same name.
                ("azurerm_storage_account.same_name", "no match"),
                ("azurerm_storage_account.child", "match 40"),
            ])
        );

        // Ids with parts not known before apply.
        let partial = terraform(
            r#"
variable "subscription" {}
variable "name" {}
resource "azurerm_key_vault" "a" { name = "kv-a" }
resource "azurerm_key_vault" "b" { name = "kv-b" }
resource "azurerm_storage_account" "acct" { name = "acct" }
resource "azurerm_private_endpoint" "known_name" {
  private_service_connection {
    private_connection_resource_id = "/subscriptions/${var.subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a"
  }
}
resource "azurerm_private_endpoint" "unknown_name" {
  private_service_connection {
    private_connection_resource_id = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${var.name}"
  }
}
"#,
        );
        assert_eq!(
            outcomes(&partial, "azurerm_key_vault", &endpoint),
            pairs(&[
                ("azurerm_key_vault.a", "match 7"),
                // The id names another vault, and the other one no vault.
                ("azurerm_key_vault.b", "no match"),
            ])
        );
        assert_eq!(
            outcomes(&partial, "azurerm_storage_account", &endpoint),
            pairs(&[("azurerm_storage_account.acct", "unknown")])
        );
        // An id after an unknown prefix may name a child of anything: it
        // links when it names the resource, and may link otherwise.
        let prefixed = terraform(
            r#"
variable "group_id" {}
resource "azurerm_storage_account" "acct" { name = "acct" }
resource "azurerm_storage_account" "other" { name = "other" }
resource "azurerm_private_endpoint" "e" {
  private_service_connection {
    private_connection_resource_id = "${var.group_id}/providers/Microsoft.Storage/storageAccounts/acct"
  }
}
"#,
        );
        assert_eq!(
            outcomes(&prefixed, "azurerm_storage_account", &endpoint),
            pairs(&[
                ("azurerm_storage_account.acct", "match 5"),
                ("azurerm_storage_account.other", "unknown"),
            ])
        );
    }

    #[test]
    fn a_literal_name_links_only_within_the_same_scope() {
        let m = matcher(
            "referrers: {types: [aws_api_gateway_method_settings], via: stage_name, name: stage_name, same: rest_api_id}",
        );
        let unit = terraform(
            r#"
resource "aws_api_gateway_rest_api" "shop" {}
resource "aws_api_gateway_rest_api" "admin" {}
resource "aws_api_gateway_stage" "shop" {
  rest_api_id = aws_api_gateway_rest_api.shop.id
  stage_name  = "prod"
}
resource "aws_api_gateway_stage" "admin" {
  rest_api_id = aws_api_gateway_rest_api.admin.id
  stage_name  = "prod"
}
resource "aws_api_gateway_stage" "by_id" {
  rest_api_id = "a1b2c3"
  stage_name  = "beta"
}
resource "aws_api_gateway_stage" "by_other_id" {
  rest_api_id = "d4e5f6"
  stage_name  = "beta"
}
resource "aws_api_gateway_method_settings" "shop" {
  rest_api_id = aws_api_gateway_rest_api.shop.id
  stage_name  = "prod"
}
resource "aws_api_gateway_method_settings" "by_id" {
  rest_api_id = "a1b2c3"
  stage_name  = "beta"
}
"#,
        );
        assert_eq!(
            outcomes(&unit, "aws_api_gateway_stage", &m),
            pairs(&[
                ("aws_api_gateway_stage.shop", "match 20"),
                // Same stage name, another REST API.
                ("aws_api_gateway_stage.admin", "no match"),
                ("aws_api_gateway_stage.by_id", "match 24"),
                ("aws_api_gateway_stage.by_other_id", "no match"),
            ])
        );
        let unknown_api = terraform(
            r#"
variable "api" {}
resource "aws_api_gateway_stage" "prod" {
  rest_api_id = "a1b2c3"
  stage_name  = "prod"
}
resource "aws_api_gateway_method_settings" "prod" {
  rest_api_id = var.api
  stage_name  = "prod"
}
"#,
        );
        assert_eq!(
            outcomes(&unknown_api, "aws_api_gateway_stage", &m),
            pairs(&[("aws_api_gateway_stage.prod", "unknown")])
        );
    }

    #[test]
    fn same_without_name_is_an_error() {
        let yaml = "referrers: {types: [aws_api_gateway_method_settings], via: stage_name, same: rest_api_id}";
        let file = SourceFile::new("rule.yaml".into(), Arc::from(yaml));
        let node = crate::parse::yaml::parse_yaml(yaml, 0).unwrap();
        let mut reader = Reader::new(&file);
        assert!(read_matcher(&mut reader, &node).is_none());
        assert!(
            reader
                .errors
                .iter()
                .any(|e| e.message.contains("`same` needs `name`")),
            "{:?}",
            reader.errors
        );
    }

    #[test]
    fn references_link_by_reference_and_by_name_and_unknown_links_are_unknown() {
        let unit = terraform(
            r#"
variable "group" {}
resource "aws_security_group" "open" {
  ingress {
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "closed" {
  name = "closed"
}
resource "aws_cloudtrail" "t" { s3_bucket_name = "logs" }
resource "aws_instance" "uses_open" {
  vpc_security_group_ids = [aws_security_group.closed.id, aws_security_group.open.id]
}
resource "aws_instance" "uses_closed_by_name" {
  security_groups = ["closed"]
}
resource "aws_instance" "uses_unknown" {
  vpc_security_group_ids = [var.group]
}
resource "aws_instance" "uses_other_kind" {
  vpc_security_group_ids = [aws_cloudtrail.t.id]
}
"#,
        );
        let m = matcher(
            r#"
any:
  - references:
      path: vpc_security_group_ids
      types: [aws_security_group]
      match: {path: "ingress[*].cidr_blocks[*]", open_to_internet: true}
  - references:
      path: "security_groups[*]"
      types: [aws_security_group]
      by_name: name
      match: {path: "ingress[*].cidr_blocks[*]", open_to_internet: true}
"#,
        );
        assert_eq!(
            outcomes(&unit, "aws_instance", &m),
            pairs(&[
                ("aws_instance.uses_open", "match 5"),
                ("aws_instance.uses_closed_by_name", "no match"),
                ("aws_instance.uses_unknown", "unknown"),
                ("aws_instance.uses_other_kind", "no match"),
            ])
        );
        // Without `match` a link is found and the finding points at it.
        let linked = matcher("references: {path: \"security_groups[*]\", types: [aws_security_group], by_name: name}");
        assert_eq!(
            outcomes(&unit, "aws_instance", &linked)[1],
            ("aws_instance.uses_closed_by_name".into(), "match 16".into())
        );
    }

    #[test]
    fn relations_chain_instance_to_groups_to_their_rules() {
        let unit = terraform(
            r#"
resource "aws_security_group" "web" {}
resource "aws_security_group" "db" {}
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.web.id
  cidr_ipv4         = "0.0.0.0/0"
}
resource "aws_security_group_rule" "internal" {
  security_group_id = aws_security_group.db.id
  cidr_blocks       = ["10.0.0.0/8"]
}
resource "aws_instance" "web" {
  vpc_security_group_ids = [aws_security_group.web.id]
}
resource "aws_instance" "db" {
  vpc_security_group_ids = [aws_security_group.db.id]
}
"#,
        );
        let m = matcher(
            r#"
references:
  path: vpc_security_group_ids
  types: [aws_security_group]
  match:
    referrers:
      types: [aws_security_group_rule, aws_vpc_security_group_ingress_rule]
      via: security_group_id
      match:
        any:
          - {path: cidr_ipv4, open_to_internet: true}
          - {path: "cidr_blocks[*]", open_to_internet: true}
"#,
        );
        assert_eq!(
            outcomes(&unit, "aws_instance", &m),
            pairs(&[
                ("aws_instance.web", "match 6"),
                ("aws_instance.db", "no match"),
            ])
        );
    }

    #[test]
    fn cloudformation_refs_and_getatts_link_both_ways() {
        let unit = crate::eval::cloudformation::load_template(
            "t.yaml".into(),
            Arc::from(
                r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
  Other:
    Type: AWS::EC2::VPC
  Log:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: !Ref Vpc
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: !Ref Bucket
      KMSKeyId: !GetAtt Key.Arn
  Bucket:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
"#,
            ),
            crate::eval::cloudformation::Syntax::Yaml,
            &Default::default(),
        )
        .unwrap();
        let flow = matcher("referrers: {types: [AWS::EC2::FlowLog], via: Properties.ResourceId}");
        assert_eq!(
            outcomes(&unit, "AWS::EC2::VPC", &flow),
            pairs(&[("Vpc", "match 8"), ("Other", "no match")])
        );
        let key = matcher("references: {path: Properties.KMSKeyId, types: [AWS::KMS::Key]}");
        assert_eq!(
            outcomes(&unit, "AWS::CloudTrail::Trail", &key),
            pairs(&[("Trail", "match 16")])
        );
        let bucket_is_key =
            matcher("references: {path: Properties.S3BucketName, types: [AWS::KMS::Key]}");
        assert_eq!(
            outcomes(&unit, "AWS::CloudTrail::Trail", &bucket_is_key),
            pairs(&[("Trail", "no match")])
        );
    }

    #[test]
    fn in_unit_finds_any_resource_of_the_types_but_the_focus() {
        let unit = terraform(
            r#"
resource "aws_ebs_encryption_by_default" "on" { enabled = true }
resource "aws_ebs_volume" "v" {}
"#,
        );
        let m = matcher("in_unit: {types: [aws_ebs_encryption_by_default], match: {path: enabled, equals: true}}");
        assert_eq!(
            outcomes(&unit, "aws_ebs_volume", &m),
            pairs(&[("aws_ebs_volume.v", "match 2")])
        );
        let self_excluded = matcher("in_unit: {types: [aws_ebs_volume]}");
        assert_eq!(
            outcomes(&unit, "aws_ebs_volume", &self_excluded),
            pairs(&[("aws_ebs_volume.v", "no match")])
        );
    }
}
