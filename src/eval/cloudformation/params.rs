//! Parameter values given outside the template: `--cfn-params FILE` (the AWS
//! CLI's `[{"ParameterKey": ..., "ParameterValue": ...}]` list, a plain
//! `{"Key": "Value"}` map, or CodePipeline's `{"Parameters": {...}}` template
//! configuration) and `--cfn-param KEY=VALUE`.
//!
//! The files are read again for every template: they are small, and reading
//! them here keeps each unit independent of the others. A file that names a
//! parameter of the template joins the unit's files, so a finding whose value
//! came from it can point into it; a file with an error joins too, so the
//! error names it.

use super::CloudFormationOptions;
use crate::discover::display_path;
use crate::model::{Unit, UnitError};
use crate::parse::json::parse_json;
use crate::source::{SourceFile, Span};
use crate::value::{Node, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A value given for a parameter outside the template.
#[derive(Debug)]
pub(super) struct Given {
    /// The value; its span points into the parameters file, or is unused for
    /// a command-line value.
    pub value: Node,
    pub source: Source,
}

#[derive(Debug)]
pub(super) enum Source {
    /// A parameters file (the value's span points into it).
    File,
    CommandLine,
}

#[derive(Debug, Default)]
pub(super) struct Overrides {
    pub values: HashMap<String, Given>,
    /// A parameters file could not be read: parameters not set on the command
    /// line may have had a value there, so they are unknown.
    pub broken: bool,
}

/// Collects the values the options give, for a template whose parameters
/// `declared` recognises. Later files beat earlier ones; the command line beats
/// every file.
pub(super) fn overrides(
    options: &CloudFormationOptions,
    declared: &dyn Fn(&str) -> bool,
    unit: &mut Unit,
) -> Overrides {
    let mut out = Overrides::default();
    for path in &options.parameter_files {
        let display = display_path(path);
        let file_id = unit.files.len() as u32;
        let fail = |unit: &mut Unit, text: Arc<str>, span: Option<Span>, message: String| {
            unit.files.push(SourceFile::new(display.clone(), text));
            unit.errors.push(UnitError {
                file: file_id,
                span,
                message,
            });
        };
        let text: Arc<str> = match crate::read::text(path, None) {
            Ok(text) => text,
            Err(e) => {
                fail(
                    unit,
                    Arc::from(""),
                    None,
                    format!("cannot read parameters file: {e}"),
                );
                out.broken = true;
                continue;
            }
        };
        let entries = parse_json(&text, file_id, 0)
            .map_err(|e| (e.span, format!("parameters file: {}", e.message)))
            .and_then(|doc| entries(&doc).map_err(|(span, message)| (Some(span), message)));
        match entries {
            Ok(entries) => {
                if !entries.iter().any(|(key, _)| declared(key)) {
                    continue;
                }
                unit.files.push(SourceFile::new(display.clone(), text));
                for (key, value) in entries {
                    out.values.insert(
                        key,
                        Given {
                            value,
                            source: Source::File,
                        },
                    );
                }
            }
            Err((span, message)) => {
                fail(unit, text, span, message);
                out.broken = true;
            }
        }
    }
    for (key, value) in &options.parameters {
        out.values.insert(
            key.clone(),
            Given {
                value: Node::new(Value::String(value.clone()), Span::default()),
                source: Source::CommandLine,
            },
        );
    }
    out
}

/// The (key, value) pairs of a parameters file, in order.
fn entries(doc: &Node) -> Result<Vec<(String, Node)>, (Span, String)> {
    match &doc.value {
        Value::List(items) => items.iter().map(cli_entry).collect(),
        Value::Map(entries) => {
            // CodePipeline's template configuration file.
            let pipeline = entries
                .iter()
                .all(|e| matches!(e.key.as_str(), "Parameters" | "Tags" | "StackPolicy"))
                && matches!(doc.get("Parameters").map(|p| &p.value), Some(Value::Map(_)));
            let entries = match (pipeline, doc.get("Parameters")) {
                (
                    true,
                    Some(Node {
                        value: Value::Map(inner),
                        ..
                    }),
                ) => inner,
                _ => entries,
            };
            entries
                .iter()
                .map(|e| Ok((e.key.clone(), value(&e.value)?)))
                .collect()
        }
        _ => Err((
            doc.span,
            "a parameters file is a list of {\"ParameterKey\", \"ParameterValue\"} objects \
             or a map of parameter names to values"
                .into(),
        )),
    }
}

/// One `{"ParameterKey": K, "ParameterValue": V}` element of the CLI's format.
fn cli_entry(item: &Node) -> Result<(String, Node), (Span, String)> {
    let key = item.get("ParameterKey").and_then(Node::as_str);
    let previous = item
        .get("UsePreviousValue")
        .is_some_and(|v| v.value == Value::Bool(true));
    match (key, item.get("ParameterValue")) {
        (Some(key), Some(v)) => Ok((key.to_string(), value(v)?)),
        (Some(key), None) if previous => Ok((
            key.to_string(),
            Node::new(
                Value::Unknown(format!("previous value of parameter {key}").into()),
                item.span,
            ),
        )),
        _ => Err((
            item.span,
            "each element of a parameters list needs \"ParameterKey\" and \"ParameterValue\""
                .into(),
        )),
    }
}

/// A parameter value: text, a number or boolean (read as text by
/// CloudFormation), or a list (for list parameters).
fn value(node: &Node) -> Result<Node, (Span, String)> {
    match &node.value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(node.clone()),
        Value::List(items) if items.iter().all(|i| value(i).is_ok()) => Ok(node.clone()),
        _ => Err((
            node.span,
            "a parameter value must be text, a number, a boolean or a list of them".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<(String, String)>, String> {
        let doc = parse_json(text, 0, 0).map_err(|e| e.message)?;
        entries(&doc)
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.value.display()))
                    .collect()
            })
            .map_err(|(_, message)| message)
    }

    #[test]
    fn both_file_formats_and_the_pipeline_configuration_are_read() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            read(
                r#"[{"ParameterKey": "Cidr", "ParameterValue": "0.0.0.0/0"}, {"ParameterKey": "Port", "ParameterValue": 22}]"#
            ),
            Ok(pairs(&[("Cidr", "0.0.0.0/0"), ("Port", "22")]))
        );
        assert_eq!(
            read(r#"{"Cidr": "0.0.0.0/0", "Enabled": true}"#),
            Ok(pairs(&[("Cidr", "0.0.0.0/0"), ("Enabled", "true")]))
        );
        assert_eq!(
            read(r#"{"Parameters": {"Env": "prod"}, "Tags": {"team": "a"}}"#),
            Ok(pairs(&[("Env", "prod")]))
        );
        assert_eq!(
            read(r#"[{"ParameterKey": "Old", "UsePreviousValue": true}]"#),
            Ok(pairs(&[("Old", "(known after apply)")]))
        );
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(read(r#"[{"ParameterValue": "x"}]"#)
            .unwrap_err()
            .contains("ParameterKey"));
        assert!(read(r#"{"A": {"nested": 1}}"#)
            .unwrap_err()
            .contains("must be text"));
        assert!(read(r#""text""#).unwrap_err().contains("parameters file"));
    }
}
