//! The per-scan summary every format shows: counts by severity, by layer, by
//! owner, and the layer × service-model matrix (responsibility-model.md).
//!
//! Every key is always present (zeros included) and iterated in the fixed
//! orders of `Severity::ALL`, `Layer::ALL` and `ServiceModel::ALL`, so the
//! output does not depend on which findings happen to exist.

use crate::finding::{
    BaselineCounts, Finding, Layer, Owner, OwnersSource, ScanResult, ServiceModel, Severity,
};
use serde_json::{json, Map, Value};

/// Owners in the order reports list them.
pub const OWNERS: [Owner; 2] = [Owner::Customer, Owner::Shared];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Findings that count: suppressed ones are left out of every count
    /// but `suppressed`.
    pub total: usize,
    /// In `Severity::ALL` order (highest first).
    pub by_severity: [(Severity, usize); 5],
    /// In `Layer::ALL` order.
    pub by_layer: [(Layer, usize); 6],
    /// In `OWNERS` order.
    pub by_owner: [(Owner, usize); 2],
    /// Rows in `Layer::ALL` order, columns in `ServiceModel::ALL` order.
    pub matrix: [[usize; 3]; 6],
    pub files_scanned: usize,
    /// Files with at least one finding that counts.
    pub files_with_findings: usize,
    pub errors: usize,
    /// Checks left undecided because a value is known only after apply.
    pub undecided: usize,
    /// Findings suppressed inline, in Metadata or by a baseline.
    pub suppressed: usize,
    pub warnings: usize,
    pub baseline: Option<BaselineCounts>,
    /// Findings that count and that no team answers for.
    pub unowned: usize,
}

impl Summary {
    pub fn of(result: &ScanResult) -> Summary {
        let mut summary = Summary {
            total: result.active_findings().count(),
            by_severity: Severity::ALL.map(|s| (s, 0)),
            by_layer: Layer::ALL.map(|l| (l, 0)),
            by_owner: OWNERS.map(|o| (o, 0)),
            matrix: [[0; 3]; 6],
            files_scanned: result.files_scanned,
            files_with_findings: 0,
            errors: result.errors.len(),
            undecided: result.undecided,
            suppressed: result.suppressed_count(),
            warnings: result.warnings.len(),
            baseline: result.baseline,
            unowned: result.active_findings().filter(|f| f.is_unowned()).count(),
        };
        let mut files = std::collections::BTreeSet::new();
        for finding in result.active_findings() {
            files.insert(finding.location.file.as_str());
            let layer = finding.rule.layer;
            bump(&mut summary.by_severity, finding.severity);
            bump(&mut summary.by_layer, layer);
            bump(&mut summary.by_owner, finding.owner);
            let row = layer_index(layer);
            let column = model_index(finding.service_model);
            summary.matrix[row][column] += 1;
        }
        summary.files_with_findings = files.len();
        summary
    }

    /// `in 2 of 12 files scanned`, or `in 12 files scanned` when nothing
    /// was found: where the findings are, and how much was looked at.
    pub fn where_found(&self) -> String {
        let scanned = plural(self.files_scanned, "file", "files");
        if self.total == 0 {
            format!("in {scanned} scanned")
        } else {
            format!("in {} of {scanned} scanned", self.files_with_findings)
        }
    }

    pub fn severity_count(&self, severity: Severity) -> usize {
        count_of(&self.by_severity, severity)
    }

    pub fn layer_count(&self, layer: Layer) -> usize {
        count_of(&self.by_layer, layer)
    }

    pub fn owner_count(&self, owner: Owner) -> usize {
        count_of(&self.by_owner, owner)
    }

    pub fn cell(&self, layer: Layer, model: ServiceModel) -> usize {
        self.matrix[layer_index(layer)][model_index(model)]
    }

    /// Findings on one service model, all layers.
    pub fn model_count(&self, model: ServiceModel) -> usize {
        let column = model_index(model);
        self.matrix.iter().map(|row| row[column]).sum()
    }

    /// The summary object of the JSON report, keys in a fixed order.
    pub fn to_json(&self) -> Value {
        let mut by_severity = Map::new();
        for (severity, n) in self.by_severity {
            by_severity.insert(severity.name().to_string(), json!(n));
        }
        let mut by_layer = Map::new();
        for (layer, n) in self.by_layer {
            by_layer.insert(layer.name().to_string(), json!(n));
        }
        let mut by_owner = Map::new();
        for (owner, n) in self.by_owner {
            by_owner.insert(owner.name().to_string(), json!(n));
        }
        let mut matrix = Map::new();
        for layer in Layer::ALL {
            let mut row = Map::new();
            for model in ServiceModel::ALL {
                row.insert(model.name().to_string(), json!(self.cell(layer, model)));
            }
            matrix.insert(layer.name().to_string(), Value::Object(row));
        }
        let mut object = Map::new();
        object.insert("total".into(), json!(self.total));
        object.insert("by_severity".into(), Value::Object(by_severity));
        object.insert("by_layer".into(), Value::Object(by_layer));
        object.insert("by_owner".into(), Value::Object(by_owner));
        object.insert("matrix".into(), Value::Object(matrix));
        object.insert("files_scanned".into(), json!(self.files_scanned));
        object.insert("errors".into(), json!(self.errors));
        object.insert("undecided".into(), json!(self.undecided));
        object.insert("suppressed".into(), json!(self.suppressed));
        object.insert("warnings".into(), json!(self.warnings));
        object.insert("unowned".into(), json!(self.unowned));
        object.insert(
            "baseline".into(),
            match self.baseline {
                Some(b) => json!({ "matched": b.matched, "new": b.new, "gone": b.gone }),
                None => Value::Null,
            },
        );
        Value::Object(object)
    }
}

fn bump<K: PartialEq + Copy, const N: usize>(counts: &mut [(K, usize); N], key: K) {
    if let Some(entry) = counts.iter_mut().find(|(k, _)| *k == key) {
        entry.1 += 1;
    }
}

fn count_of<K: PartialEq + Copy, const N: usize>(counts: &[(K, usize); N], key: K) -> usize {
    counts
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, n)| *n)
}

fn layer_index(layer: Layer) -> usize {
    Layer::ALL
        .iter()
        .position(|l| *l == layer)
        .expect("Layer::ALL lists every layer")
}

fn model_index(model: ServiceModel) -> usize {
    ServiceModel::ALL
        .iter()
        .position(|m| *m == model)
        .expect("ServiceModel::ALL lists every model")
}

/// `n thing` / `n things`.
/// `["2 suppressed", "1 error", "3 warnings"]`: the side counts that are not
/// zero, for a summary line.
pub fn side_counts(summary: &Summary) -> Vec<String> {
    let mut counts = Vec::new();
    if summary.suppressed > 0 {
        counts.push(format!("{} suppressed", summary.suppressed));
    }
    if summary.errors > 0 {
        counts.push(plural(summary.errors, "error", "errors"));
    }
    if summary.warnings > 0 {
        counts.push(plural(summary.warnings, "warning", "warnings"));
    }
    counts
}

pub fn plural(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// `team: @org/a @org/b (CODEOWNERS)`, or `team: unowned`: who answers for
/// a finding and how that was decided, for the formats that read as text.
pub fn team_line(finding: &Finding) -> String {
    match finding.owners_from {
        _ if finding.is_unowned() => "team: unowned".to_string(),
        Some(OwnersSource::Config) => {
            format!("team: {} (.demarc.yaml owners)", finding.owners.join(" "))
        }
        _ => format!("team: {} (CODEOWNERS)", finding.owners.join(" ")),
    }
}
