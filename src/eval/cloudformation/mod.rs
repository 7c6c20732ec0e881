//! CloudFormation templates as scan units, evaluated as CloudFormation would
//! deploy them.
//!
//! A candidate file is filtered cheaply on its text ([`may_be_template`]),
//! parsed (YAML or JSON, short-form tags already in long form), recognised by
//! its shape ([`is_template`]), cleaned of duplicate keys (the last wins, as
//! in CloudFormation, and each duplicate is an error), and each entry of
//! `Resources` whose `Condition` does not rule it out becomes a [`Resource`]
//! whose body has had parameters, mappings, conditions and intrinsic
//! functions resolved as far as they can be before deployment
//! ([`resolve::Resolver`]). SAM resources become the resources the SAM
//! transform generates ([`sam`]).
//!
//! A resource whose `Condition` cannot be decided before deployment is kept:
//! it may exist, and its values say what it would be if it does.

mod foreach;
mod intrinsics;
mod params;
mod resolve;
mod sam;

use crate::model::{Framework, Resource, Unit, UnitError};
use crate::parse::{json::parse_json, yaml::parse_yaml};
use crate::source::{SourceFile, Span};
use crate::value::{Entry, Node, Value};
use resolve::Resolver;
use std::collections::HashMap;
use std::sync::Arc;

/// The syntax a candidate template is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

/// Resource type prefixes that mark a `Resources` map as CloudFormation's.
const TYPE_PREFIXES: [&str; 3] = ["AWS::", "Alexa::", "Custom::"];

/// Cheap textual pre-filter, so unrelated YAML/JSON (workflows, k8s
/// manifests, package.json, docker-compose) is never parsed: true when the
/// text contains "AWSTemplateFormatVersion" or "AWS::".
pub fn may_be_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion") || text.contains("AWS::")
}

/// Whether text that failed to parse still looks enough like a template to
/// report its parse error (rather than ignore the file): it names the format
/// version, or it has both resource types and a `Resources` section.
fn looks_like_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || (text.contains("AWS::") && text.contains("Resources"))
}

/// The top level is a map with `AWSTemplateFormatVersion`, or with a
/// `Resources` map in which some entry has a `Type` string starting with
/// `AWS::` (or `Alexa::`, `Custom::`).
pub fn is_template(doc: &Node) -> bool {
    if !matches!(doc.value, Value::Map(_)) {
        return false;
    }
    if doc.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    match doc.get("Resources").map(|r| &r.value) {
        Some(Value::Map(entries)) => entries.iter().any(|e| {
            e.value
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| TYPE_PREFIXES.iter().any(|p| t.starts_with(p)))
        }),
        _ => false,
    }
}

/// What the command line adds to a CloudFormation evaluation.
#[derive(Clone, Debug, Default)]
pub struct CloudFormationOptions {
    /// `--cfn-params FILE`: the CLI's `[{"ParameterKey", "ParameterValue"}]`
    /// list or a plain `{"Key": "Value"}` map; later files win. Paths are
    /// relative to the current directory; each template reads them again.
    pub parameter_files: Vec<std::path::PathBuf>,
    /// `--cfn-param KEY=VALUE`, in the order given (later win; they beat files).
    /// Pseudo parameters too: `--cfn-param AWS::Region=eu-west-1`.
    pub parameters: Vec<(String, String)>,
}

/// Loads one candidate file (display path, text) as a scan unit.
///
/// Returns `None` when the file is not a CloudFormation template (ignored
/// quietly: wrong shape, or it fails to parse and does not look like a
/// template). Returns a unit with an error and no resources when it looks like
/// a template but cannot be parsed.
pub fn load_template(
    display: String,
    text: Arc<str>,
    syntax: Syntax,
    options: &CloudFormationOptions,
) -> Option<Unit> {
    if !may_be_template(&text) {
        return None;
    }
    let parsed = match syntax {
        Syntax::Yaml => parse_yaml(&text, 0),
        Syntax::Json => parse_json(&text, 0, 0),
    };
    let mut unit = Unit::default();
    let mut doc = match parsed {
        Ok(doc) if is_template(&doc) => doc,
        Ok(_) => return None,
        Err(error) if looks_like_template(&text) => {
            unit.files.push(SourceFile::new(display, text));
            unit.errors.push(error);
            return Some(unit);
        }
        Err(_) => return None,
    };
    unit.files.push(SourceFile::new(display, text));
    let mut errors = Vec::new();
    drop_duplicate_keys(&mut doc, &unit.files[0], &mut errors);
    unit.errors.extend(errors);
    load_resources(&doc, &mut unit, options);
    Some(unit)
}

/// CloudFormation keeps the last of duplicate keys (YAML and JSON alike); a
/// reader sees the first. Each value it ignores is an error at its key, and
/// only the last stays in the tree.
fn drop_duplicate_keys(node: &mut Node, file: &SourceFile, errors: &mut Vec<UnitError>) {
    match &mut node.value {
        Value::Map(entries) => {
            let mut last: HashMap<&str, usize> = HashMap::new();
            for (i, e) in entries.iter().enumerate() {
                last.insert(e.key.as_str(), i);
            }
            if last.len() < entries.len() {
                let keep: Vec<bool> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| last[e.key.as_str()] == i)
                    .collect();
                for (e, _) in entries.iter().zip(&keep).filter(|(_, kept)| !**kept) {
                    let used = &entries[last[e.key.as_str()]];
                    errors.push(error(
                        Some(e.key_span),
                        format!(
                            "duplicate key `{}`: CloudFormation ignores this value and uses the one on line {}",
                            e.key,
                            file.line_col(used.key_span.start).line
                        ),
                    ));
                }
                let mut index = 0;
                entries.retain(|_| {
                    index += 1;
                    keep[index - 1]
                });
            }
            for e in entries.iter_mut() {
                drop_duplicate_keys(&mut e.value, file, errors);
            }
        }
        Value::List(items) => {
            for item in items {
                drop_duplicate_keys(item, file, errors);
            }
        }
        _ => {}
    }
}

fn load_resources(doc: &Node, unit: &mut Unit, options: &CloudFormationOptions) {
    let entries = match doc.get("Resources").map(|r| &r.value) {
        Some(Value::Map(entries)) => entries.as_slice(),
        Some(_) => {
            let key_span = doc.entry("Resources").map(|e| e.key_span);
            unit.errors.push(error(
                key_span,
                "Resources must be a map of logical IDs to resources".into(),
            ));
            return;
        }
        None => &[],
    };
    let declared = |name: &str| {
        doc.get("Parameters").and_then(|p| p.get(name)).is_some()
            || resolve::PSEUDO_PARAMETERS.contains(&name)
    };
    let overrides = params::overrides(options, &declared, unit);
    let is_sam = sam::is_sam(doc);
    let source = Arc::clone(&unit.files[0].text);
    let mut resolver = Resolver::new(doc, &source, overrides, is_sam);
    let mut transform = is_sam.then(|| sam::Sam::new(doc));
    let looped = foreach::expand(entries, &mut resolver);
    for entry in &looped.entries {
        resolver.add_resource(entry.key.clone());
    }
    unit.errors.extend(looped.errors);
    unit.notes.extend(looped.notes);
    let written = entries
        .iter()
        .filter(|e| !e.key.starts_with(foreach::LOOP_PREFIX));
    for entry in written.chain(&looped.entries) {
        let Some(resource_type) = entry.value.get("Type").and_then(Node::as_str) else {
            unit.errors.push(error(
                Some(entry.key_span),
                format!("resource {} has no Type", entry.key),
            ));
            continue;
        };
        if !exists(entry, &mut resolver) {
            continue;
        }
        match &mut transform {
            Some(sam) if resource_type.starts_with("AWS::Serverless::") => {
                unit.resources.extend(sam.expand(entry, &mut resolver));
            }
            _ => {
                let body = resolver
                    .resolve(&entry.value)
                    .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), entry.value.span));
                unit.resources.push(Resource {
                    framework: Framework::Cloudformation,
                    resource_type: resource_type.to_string(),
                    address: entry.key.clone(),
                    is_data: false,
                    body,
                    header: entry.key_span,
                });
            }
        }
    }
    if let Some(sam) = transform {
        unit.resources.extend(sam.finish(&mut resolver));
    }
    unit.errors.append(&mut resolver.errors);
    unit.notes.append(&mut resolver.notes);
}

/// Whether a resource exists with the parameter values: its `Condition` is
/// true, or cannot be decided before deployment (then it may exist, and is
/// kept).
fn exists(entry: &Entry, resolver: &mut Resolver) -> bool {
    let Some(condition) = entry.value.get("Condition") else {
        return true;
    };
    match condition.as_str() {
        Some(name) => resolver.condition(name, condition.span) != Some(false),
        None => {
            resolver.error(
                condition.span,
                format!(
                    "the Condition of resource {} must be a condition name",
                    entry.key
                ),
            );
            true
        }
    }
}

fn error(span: Option<Span>, message: String) -> UnitError {
    UnitError {
        file: 0,
        span,
        message,
    }
}

#[cfg(test)]
mod tests;
