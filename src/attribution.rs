//! Who owns a finding: the service model of its resource type (the catalog)
//! and the owner of its layer under that model (the matrix). Both are data
//! under `rules/`, so a provider-specific variant is a data change.

use crate::finding::{Layer, Owner, ServiceModel};
use crate::model::ScanError;
use crate::rules::load::Reader;
use crate::source::SourceFile;
use std::collections::HashMap;
use std::sync::Arc;

/// The service model of a resource type the catalog does not list.
pub const FALLBACK_MODEL: ServiceModel = ServiceModel::Iaas;

#[derive(Debug)]
pub struct Attribution {
    models: HashMap<String, ServiceModel>,
    cells: HashMap<(Layer, ServiceModel), Cell>,
}

#[derive(Debug)]
struct Cell {
    owner: Owner,
    reason: String,
}

impl Attribution {
    /// The catalog and matrix built into the binary.
    pub fn embedded() -> Result<Attribution, Vec<ScanError>> {
        let read = |name: &str| {
            SourceFile::new(
                format!("rules/{name}"),
                Arc::from(crate::rules::embedded_file(name).unwrap_or("")),
            )
        };
        Self::parse(
            &read(crate::rules::CATALOG_FILE),
            &read(crate::rules::MATRIX_FILE),
        )
    }

    pub fn parse(catalog: &SourceFile, matrix: &SourceFile) -> Result<Attribution, Vec<ScanError>> {
        let mut r = Reader::new(catalog);
        let mut models = HashMap::new();
        match crate::parse::yaml::parse_yaml(&catalog.text, 0) {
            Err(e) => r.error(e.span.unwrap_or_default(), e.message),
            Ok(root) => {
                for entry in r.map(&root, "the catalog") {
                    let Some(model) = ServiceModel::parse(&entry.key) else {
                        r.error(
                            entry.key_span,
                            format!(
                                "unknown service model `{}`; expected iaas, paas or saas",
                                entry.key
                            ),
                        );
                        continue;
                    };
                    for resource_type in r.strings(&entry.value, "a resource type") {
                        if models.insert(resource_type.clone(), model).is_some() {
                            r.error(
                                entry.value.span,
                                format!("`{resource_type}` is listed twice"),
                            );
                        }
                    }
                }
            }
        }
        let mut errors = r.errors;
        let mut r = Reader::new(matrix);
        let mut cells = HashMap::new();
        match crate::parse::yaml::parse_yaml(&matrix.text, 0) {
            Err(e) => r.error(e.span.unwrap_or_default(), e.message),
            Ok(root) => {
                for entry in r.map(&root, "the matrix") {
                    let Some(layer) = Layer::parse(&entry.key) else {
                        r.error(entry.key_span, format!("unknown layer `{}`", entry.key));
                        continue;
                    };
                    let fields = r.map(&entry.value, "a layer");
                    r.only_keys(fields, &["iaas", "paas", "saas"], "a layer");
                    for field in fields {
                        let Some(model) = ServiceModel::parse(&field.key) else {
                            continue;
                        };
                        let cell = r.map(&field.value, "a matrix cell");
                        r.only_keys(cell, &["owner", "why"], "a matrix cell");
                        let owner = cell
                            .iter()
                            .find(|e| e.key == "owner")
                            .and_then(|e| r.string(&e.value, "owner"));
                        let reason = cell
                            .iter()
                            .find(|e| e.key == "why")
                            .and_then(|e| r.string(&e.value, "why"));
                        let owner = match owner.as_deref() {
                            Some("customer") => Owner::Customer,
                            Some("shared") => Owner::Shared,
                            _ => {
                                r.error(field.value.span, "a matrix cell needs `owner: customer|shared` (never provider: a setting in the customer's code is at least shared)");
                                continue;
                            }
                        };
                        let Some(reason) = reason else {
                            r.error(field.value.span, "a matrix cell needs `why`");
                            continue;
                        };
                        cells.insert((layer, model), Cell { owner, reason });
                    }
                }
                for layer in Layer::ALL {
                    for model in ServiceModel::ALL {
                        if !cells.contains_key(&(layer, model)) {
                            r.error(
                                root.span,
                                format!(
                                    "the matrix has no cell for {} on {}",
                                    layer.name(),
                                    model.name()
                                ),
                            );
                        }
                    }
                }
            }
        }
        errors.extend(r.errors);
        if errors.is_empty() {
            Ok(Attribution { models, cells })
        } else {
            Err(errors)
        }
    }

    /// The service model of a resource type, if the catalog lists it.
    pub fn service_model(&self, resource_type: &str) -> Option<ServiceModel> {
        self.models.get(resource_type).copied()
    }

    /// A warning for each resource type a rule checks that the catalog does
    /// not list: its findings get [`FALLBACK_MODEL`], which may be wrong.
    pub fn unlisted_rule_types(&self, rules: &crate::rules::RuleSet) -> Vec<ScanError> {
        let mut warnings = Vec::new();
        for rule in &rules.rules {
            for check in &rule.checks {
                let positions = check.resource_type_positions.iter();
                for (t, &(line, column)) in check.resource_types.iter().zip(positions) {
                    if self.service_model(t).is_none() {
                        warnings.push(ScanError {
                            file: rule.path.clone(),
                            line: Some(line),
                            column: Some(column),
                            message: format!(
                                "rule {}: resource type `{t}` is not in the catalog; its findings assume the service model {} (add the type to rules/catalog.yaml)",
                                rule.info.id,
                                FALLBACK_MODEL.name()
                            ),
                        });
                    }
                }
            }
        }
        warnings
    }

    /// Owner and the sentence saying why, for a layer under a service model.
    pub fn owner(&self, layer: Layer, model: ServiceModel) -> (Owner, &str) {
        let cell = &self.cells[&(layer, model)];
        (cell.owner, &cell.reason)
    }
}
