//! `terraform show -json` plans: a plan file is its own scan unit.
//!
//! Resources come from `planned_values` (the root module and every child
//! module); attributes that `resource_changes[].change.after_unknown` marks
//! are unknown. Nested blocks, which a plan writes as arrays (empty when
//! absent), read like the configuration's: an empty list or a null is an
//! absent attribute.
//!
//! When the plan's directory is a scanned root module, the configuration is
//! evaluated too (in the plan's unit; the module is also a unit of its own,
//! so a plan never hides what the configuration says, and the scan reports
//! a finding both give once) and each planned resource is matched to its configured one
//! by address (ignoring instance keys when the configuration could not know
//! them): findings then point at the configuration's lines, with its
//! provenance, and its references link companions. Otherwise findings point
//! into the plan file, and an unknown attribute whose configuration
//! expression refers to another resource (`configuration` section) becomes
//! a reference to it, so companions still link.

use super::{evaluate_root, Library, TerraformOptions};
use crate::model::{Framework, Resource, Unit, UnitError};
use crate::parse::json::parse_json;
use crate::source::{SourceFile, Span};
use crate::value::{Entry, Node, Reference, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A cheap look at a file's text: could it be a plan? (The top level is
/// checked after parsing.)
pub fn looks_like_plan(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && text.contains("\"format_version\"")
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
}

/// Loads a plan file as a unit; `None` when the text is not a plan.
pub fn load_plan(
    display: String,
    text: Arc<str>,
    path: &Path,
    library: &Library,
    options: &TerraformOptions,
) -> Option<Unit> {
    if !looks_like_plan(&text) {
        return None;
    }
    // The configuration, when the plan sits in a scanned root module.
    let configured = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|dir| dir.canonicalize().ok())
        .filter(|dir| library.is_root(dir))
        .and_then(|dir| evaluate_root(library, &dir, options));
    let has_configuration = configured.is_some();
    let mut unit = configured.unwrap_or_default();
    let configured_resources = std::mem::take(&mut unit.resources);
    let file = unit.files.len() as u32;
    unit.files.push(SourceFile::new(display, text.clone()));
    // A plan that cannot be read still leaves its configuration scanned (its
    // directory is not scanned on its own).
    let document = match parse_json(&text, file, 0) {
        Ok(document) => document,
        Err(error) => {
            unit.errors.push(error);
            unit.resources = configured_resources;
            return Some(unit);
        }
    };
    let is_plan = document.get("format_version").is_some()
        && (document.get("planned_values").is_some() || document.get("resource_changes").is_some());
    if !is_plan {
        if has_configuration {
            unit.files.pop();
            unit.resources = configured_resources;
            return Some(unit);
        }
        return None;
    }
    let after_unknown: HashMap<String, &Node> = list(document.get("resource_changes"))
        .iter()
        .filter_map(|change| {
            let address = change.get("address")?.as_str()?.to_string();
            Some((address, change.get("change")?.get("after_unknown")?))
        })
        .collect();
    let mut planned = Vec::new();
    let mut malformed = Vec::new();
    match document
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        Some(root) => collect_module(root, &mut planned, &mut malformed),
        // Without planned values, each change's `after` is the planned state.
        None => {
            for change in list(document.get("resource_changes")) {
                let deleted = change
                    .get("change")
                    .and_then(|c| c.get("actions"))
                    .is_some_and(|a| list(Some(a)).iter().all(|x| x.as_str() == Some("delete")));
                let values = change.get("change").and_then(|c| c.get("after"));
                if let (false, Some(values)) = (deleted, values) {
                    planned.push(Planned {
                        object: change,
                        values,
                    });
                }
            }
        }
    }
    let by_address: HashMap<&str, &Resource> = configured_resources
        .iter()
        .map(|r| (r.address.as_str(), r))
        .collect();
    let mut by_config: HashMap<String, &Resource> = HashMap::new();
    for resource in &configured_resources {
        by_config
            .entry(without_keys(&resource.address))
            .or_insert(resource);
    }
    let configuration = Configuration::new(document.get("configuration"));
    for Planned { object, values } in planned {
        let (Some(address), Some(kind)) = (
            object.get("address").and_then(Node::as_str),
            object.get("type").and_then(Node::as_str),
        ) else {
            malformed.push((
                object.span,
                "a planned resource without a string `address` and `type`",
            ));
            continue;
        };
        if !matches!(values.value, Value::Map(_)) {
            malformed.push((
                values.span,
                "planned resource values that are not an object",
            ));
            continue;
        }
        let is_data = object.get("mode").and_then(Node::as_str) == Some("data");
        let mut body = values.clone();
        normalize(&mut body);
        if let Some(marks) = after_unknown.get(address) {
            mark_unknown(&mut body, marks);
        }
        let configured = by_address
            .get(address)
            .or_else(|| by_config.get(&without_keys(address)))
            .copied();
        let header = match configured {
            Some(resource) => {
                align(&mut body, Some(&resource.body), resource.body.span);
                resource.header
            }
            None => {
                configuration.link(address, &mut body);
                object.get("address").map_or(object.span, |a| a.span)
            }
        };
        unit.resources.push(Resource {
            framework: Framework::Terraform,
            resource_type: kind.to_string(),
            address: address.to_string(),
            is_data,
            body,
            header,
            generated_by: None,
        });
    }
    // Terraform never writes these; a plan edited to hide a resource must
    // not pass quietly.
    unit.errors
        .extend(malformed.into_iter().map(|(span, what)| UnitError {
            file: span.file,
            span: Some(span),
            message: format!("malformed plan: {what}; it is not scanned"),
        }));
    Some(unit)
}

struct Planned<'d> {
    /// The resource object (address, type, mode, ...).
    object: &'d Node,
    values: &'d Node,
}

fn list(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::List(items)) => items,
        _ => &[],
    }
}

/// Where a plan entry is malformed, and how.
type Malformed = Vec<(Span, &'static str)>;

/// The list at `key` of `node`; absent or null is empty, anything else that
/// is not a list is malformed.
fn entries<'d>(node: &'d Node, key: &str, malformed: &mut Malformed) -> &'d [Node] {
    match node.get(key) {
        Some(Node {
            value: Value::List(items),
            ..
        }) => items,
        None
        | Some(Node {
            value: Value::Null, ..
        }) => &[],
        Some(other) => {
            malformed.push((
                other.span,
                "a module's `resources` or `child_modules` that is not a list",
            ));
            &[]
        }
    }
}

/// The resources of a planned module and, recursively, its child modules.
fn collect_module<'d>(module: &'d Node, out: &mut Vec<Planned<'d>>, malformed: &mut Malformed) {
    if !matches!(module.value, Value::Map(_)) {
        malformed.push((module.span, "a planned module that is not an object"));
        return;
    }
    for resource in entries(module, "resources", malformed) {
        match resource.get("values") {
            Some(values) => out.push(Planned {
                object: resource,
                values,
            }),
            None => malformed.push((resource.span, "a planned resource without `values`")),
        }
    }
    for child in entries(module, "child_modules", malformed) {
        collect_module(child, out, malformed);
    }
}

/// Drops nulls and empty lists: a plan writes absent attributes and blocks
/// that way, the configuration leaves them out.
fn normalize(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|e| match &e.value.value {
                Value::Null => false,
                Value::List(items) => !items.is_empty(),
                _ => true,
            });
            entries.iter_mut().for_each(|e| normalize(&mut e.value));
        }
        Value::List(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// Marks the attributes `after_unknown` says are known only after apply.
fn mark_unknown(node: &mut Node, marks: &Node) {
    let unknown = |span: Span| Node::new(Value::Unknown("known after apply".into()), span);
    match (&mut node.value, &marks.value) {
        (_, Value::Bool(true)) => node.value = Value::Unknown("known after apply".into()),
        (Value::Map(entries), Value::Map(marked)) => {
            for mark in marked {
                match entries.iter_mut().find(|e| e.key == mark.key) {
                    Some(entry) => mark_unknown(&mut entry.value, &mark.value),
                    None if mark.value.value == Value::Bool(true) => entries.push(Entry {
                        key: mark.key.clone(),
                        key_span: node.span,
                        value: unknown(node.span),
                    }),
                    None => {}
                }
            }
        }
        (Value::List(items), Value::List(marked)) => {
            for (i, mark) in marked.iter().enumerate() {
                match items.get_mut(i) {
                    Some(item) => mark_unknown(item, mark),
                    None if mark.value == Value::Bool(true) => items.push(unknown(node.span)),
                    None => {}
                }
            }
        }
        _ => {}
    }
}

/// Points a planned body at the configuration: every node takes the span
/// (and provenance) of the configured node at the same path, or of the
/// nearest configured ancestor; an unknown planned value takes the
/// configuration's reference, so companions link.
fn align(node: &mut Node, configured: Option<&Node>, fallback: Span) {
    let here = configured.map_or(fallback, |c| c.span);
    node.span = here;
    node.origins = configured.map(|c| c.origins.clone()).unwrap_or_default();
    if let (
        Value::Unknown(_),
        Some(Node {
            value: value @ Value::Ref(_),
            ..
        }),
    ) = (&node.value, configured)
    {
        node.value = value.clone();
        return;
    }
    match &mut node.value {
        Value::Map(entries) => {
            // A configured block is a list of one map; a planned one too,
            // but a JSON-syntax configuration may hold the map itself.
            let configured_map = match configured.map(|c| &c.value) {
                Some(Value::List(items)) if items.len() == 1 => Some(&items[0]),
                _ => configured,
            };
            for entry in entries {
                let counterpart = configured_map.and_then(|c| c.entry(&entry.key));
                entry.key_span = counterpart.map_or(here, |c| c.key_span);
                align(&mut entry.value, counterpart.map(|c| &c.value), here);
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let counterpart = match configured.map(|c| &c.value) {
                    Some(Value::List(configured_items)) => configured_items.get(i),
                    Some(Value::Map(_)) if i == 0 => configured,
                    _ => None,
                };
                align(item, counterpart, here);
            }
        }
        _ => {}
    }
}

/// An address without instance keys: `module.a["x"].aws_s3_bucket.b[0]` is
/// `module.a.aws_s3_bucket.b`.
pub fn without_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in address.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '"' if depth > 0 => in_string = true,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The module part of an instance address (`module.a["x"]`) and the
/// resource part (`aws_s3_bucket.b[0]`).
fn split_address(address: &str) -> (String, String) {
    // Walk dotted segments, keeping bracketed keys with their segment.
    let mut segments: Vec<String> = Vec::new();
    let mut current = String::new();
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for c in address.chars() {
        if in_string {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '.' if depth == 0 => segments.push(std::mem::take(&mut current)),
            '[' => {
                depth += 1;
                current.push(c);
            }
            ']' => {
                depth -= 1;
                current.push(c);
            }
            '"' => {
                in_string = true;
                current.push(c);
            }
            c => current.push(c),
        }
    }
    segments.push(current);
    let mut module = Vec::new();
    let mut i = 0;
    while i + 1 < segments.len() && segments[i] == "module" {
        module.push(format!("module.{}", segments[i + 1]));
        i += 2;
    }
    (module.join("."), segments[i..].join("."))
}

/// The plan's `configuration` section: each configured resource's
/// expressions, by module path and resource address (no instance keys).
struct Configuration<'d> {
    expressions: HashMap<String, &'d Node>,
}

impl<'d> Configuration<'d> {
    fn new(configuration: Option<&'d Node>) -> Self {
        let mut expressions = HashMap::new();
        if let Some(root) = configuration.and_then(|c| c.get("root_module")) {
            Self::collect(root, "", &mut expressions);
        }
        Configuration { expressions }
    }

    fn collect(module: &'d Node, prefix: &str, out: &mut HashMap<String, &'d Node>) {
        for resource in list(module.get("resources")) {
            if let (Some(address), Some(expressions)) = (
                resource.get("address").and_then(Node::as_str),
                resource.get("expressions"),
            ) {
                out.insert(format!("{prefix}{address}"), expressions);
            }
        }
        if let Some(Value::Map(calls)) = module.get("module_calls").map(|m| &m.value) {
            for call in calls {
                if let Some(child) = call.value.get("module") {
                    Self::collect(child, &format!("{prefix}module.{}.", call.key), out);
                }
            }
        }
    }

    /// Turns unknown top-level attributes that the configuration wrote as a
    /// reference to another resource into that reference.
    fn link(&self, address: &str, body: &mut Node) {
        let (module, _) = split_address(address);
        let config_key = without_keys(address);
        let Some(expressions) = self.expressions.get(&config_key) else {
            return;
        };
        let Value::Map(entries) = &mut body.value else {
            return;
        };
        for entry in entries {
            if entry.value.value.is_known() {
                continue;
            }
            let references = expressions
                .get(&entry.key)
                .map(|e| list(e.get("references")))
                .unwrap_or_default();
            if let Some(reference) = references
                .iter()
                .filter_map(Node::as_str)
                .find_map(|r| resource_reference(r, &module))
            {
                entry.value.value = Value::Ref(reference);
            }
        }
    }
}

/// A reference string of the configuration section (`aws_s3_bucket.b.id`,
/// `data.x.y[0].arn`) as a reference to a resource instance of `module`.
fn resource_reference(text: &str, module: &str) -> Option<Reference> {
    let (_, path) = split_address(text);
    if !split_address(text).0.is_empty() {
        return None;
    }
    let segments: Vec<&str> = path.split('.').collect();
    let (target_len, rest) = match segments.first()? {
        &"var" | &"local" | &"module" | &"each" | &"count" | &"path" | &"self" | &"terraform" => {
            return None
        }
        &"data" => (3, &segments[3.min(segments.len())..]),
        _ => (2, &segments[2.min(segments.len())..]),
    };
    if segments.len() < target_len {
        return None;
    }
    let mut target = String::new();
    if !module.is_empty() {
        target.push_str(module);
        target.push('.');
    }
    target.push_str(&segments[..target_len].join("."));
    Some(Reference {
        target,
        attribute: rest.first().map(|a| a.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_and_lose_their_keys() {
        assert_eq!(
            without_keys(r#"module.a["x.y"].module.b[0].aws_s3_bucket.c["k]"]"#),
            "module.a.module.b.aws_s3_bucket.c"
        );
        assert_eq!(
            split_address(r#"module.a["x.y"].aws_s3_bucket.c[1]"#),
            (
                r#"module.a["x.y"]"#.to_string(),
                "aws_s3_bucket.c[1]".to_string()
            )
        );
        assert_eq!(
            split_address("aws_s3_bucket.c"),
            (String::new(), "aws_s3_bucket.c".to_string())
        );
    }

    #[test]
    fn configuration_references_become_resource_references() {
        let r = resource_reference("aws_s3_bucket.b.id", r#"module.m["a"]"#).unwrap();
        assert_eq!(r.target, r#"module.m["a"].aws_s3_bucket.b"#);
        assert_eq!(r.attribute.as_deref(), Some("id"));
        let r = resource_reference("aws_s3_bucket.b[0].id", "").unwrap();
        assert_eq!(r.target, "aws_s3_bucket.b[0]");
        let r = resource_reference("data.aws_vpc.v", "").unwrap();
        assert_eq!(r.target, "data.aws_vpc.v");
        assert_eq!(r.attribute, None);
        assert!(resource_reference("var.x", "").is_none());
        assert!(resource_reference("module.m.out", "").is_none());
    }

    #[test]
    fn after_unknown_marks_nested_values_and_empty_blocks_are_absent() {
        let values = parse_json(
            r#"{"acl": null, "logging": [], "ingress": [{"cidr_blocks": ["0.0.0.0/0"]}], "tags": {}}"#,
            0,
            0,
        )
        .unwrap();
        let marks = parse_json(
            r#"{"id": true, "ingress": [{"cidr_blocks": [false, true]}]}"#,
            0,
            0,
        )
        .unwrap();
        let mut body = values;
        normalize(&mut body);
        mark_unknown(&mut body, &marks);
        let keys: Vec<&str> = match &body.value {
            Value::Map(e) => e.iter().map(|e| e.key.as_str()).collect(),
            _ => panic!(),
        };
        assert_eq!(keys, ["ingress", "tags", "id"]);
        assert!(!body.get("id").unwrap().value.is_known());
        let cidrs = body.lookup(&crate::value::Path::parse("ingress[0].cidr_blocks").unwrap());
        let Value::List(items) = &cidrs.nodes[0].value else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert!(items[0].value.is_known() && !items[1].value.is_known());
    }
}
