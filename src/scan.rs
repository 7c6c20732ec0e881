//! Drives a scan: discover units, then read, parse, evaluate, match and
//! attribute each unit in parallel. A unit is independent of every other, so
//! a panic or a limit in one is reported for that unit and the rest go on.

use crate::attribution::Attribution;
use crate::discover::{self, display_path, Discovery, UnitSource, WalkOptions};
use crate::eval::cloudformation::{self, Syntax};
use crate::eval::terraform;
use crate::finding::{Finding, Location, Provenance, ScanResult, ServiceModel};
use crate::model::{ScanError, Unit};
use crate::parse::limits::MAX_FILE_BYTES;
use crate::rules::{Hit, RuleSet};
use crate::source::{SourceFile, Span};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    pub terraform: terraform::TerraformOptions,
    pub cloudformation: cloudformation::CloudFormationOptions,
}

/// Stack for unit threads: parsers are recursive, and nesting limits keep
/// them far below this, but a generous stack costs only address space.
const UNIT_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What one unit contributes to the result.
#[derive(Default)]
struct UnitOutput {
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    sources: Vec<(String, Arc<str>)>,
    files: usize,
    undecided: usize,
}

pub fn scan(options: &ScanOptions, rules: &RuleSet, attribution: &Attribution) -> ScanResult {
    let Discovery { units, errors } = discover::discover(&options.paths, options.walk);
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(UNIT_STACK_BYTES)
        .build()
        .expect("thread pool");
    let outputs: Vec<UnitOutput> = pool.install(|| {
        units
            .par_iter()
            .map(|source| scan_unit_guarded(source, options, rules, attribution))
            .collect()
    });

    let mut result = ScanResult {
        errors,
        rules: rules.rules.iter().map(|r| r.info.clone()).collect(),
        ..ScanResult::default()
    };
    for output in outputs {
        result.findings.extend(output.findings);
        result.errors.extend(output.errors);
        result.sources.extend(output.sources);
        result.files_scanned += output.files;
        result.undecided += output.undecided;
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result.errors.sort();
    result.errors.dedup();
    result
}

fn scan_unit_guarded(
    source: &UnitSource,
    options: &ScanOptions,
    rules: &RuleSet,
    attribution: &Attribution,
) -> UnitOutput {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_unit(source, options, rules, attribution)
    }))
    .unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let path = match source {
            UnitSource::TerraformModule { dir, .. } => dir,
            UnitSource::TemplateCandidate(path) => path,
        };
        UnitOutput {
            errors: vec![ScanError {
                file: display_path(path),
                line: None,
                column: None,
                message: format!(
                    "internal error while scanning this unit (please report it): {detail}"
                ),
            }],
            ..UnitOutput::default()
        }
    })
}

fn scan_unit(
    source: &UnitSource,
    options: &ScanOptions,
    rules: &RuleSet,
    attribution: &Attribution,
) -> UnitOutput {
    let mut output = UnitOutput::default();
    let unit = match source {
        UnitSource::TerraformModule { files, .. } => {
            let mut texts = Vec::new();
            for path in files {
                match read_source(path, true) {
                    Read::Text(text) => texts.push((display_path(path), text)),
                    Read::Skip => {}
                    Read::Error(e) => output.errors.push(e),
                }
            }
            if texts.is_empty() {
                return output;
            }
            terraform::load_module(texts, &options.terraform)
        }
        UnitSource::TemplateCandidate(path) => {
            let text = match read_source(path, false) {
                Read::Text(text) => text,
                Read::Skip => return output,
                Read::Error(e) => {
                    output.errors.push(e);
                    return output;
                }
            };
            let syntax = if text.trim_start().starts_with(['{', '[']) {
                Syntax::Json
            } else {
                Syntax::Yaml
            };
            match cloudformation::load_template(
                display_path(path),
                text,
                syntax,
                &options.cloudformation,
            ) {
                Some(unit) => unit,
                None => return output,
            }
        }
    };
    output.files = unit.files.len();
    output.errors.extend(
        unit.errors
            .iter()
            .map(|e| locate_error(&unit, e.file, e.span, &e.message)),
    );
    let (hits, undecided) = rules.run(&unit);
    output.undecided = undecided;
    output.findings = hits
        .iter()
        .map(|hit| to_finding(hit, &unit, attribution))
        .collect();
    // Two checks of a rule may point at the same place (e.g. a port range
    // matching twice); report each place once.
    output.findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id && a.location == b.location && a.resource == b.resource
    });
    let mut with_findings: Vec<&str> = output
        .findings
        .iter()
        .map(|f| f.location.file.as_str())
        .collect();
    with_findings.sort();
    with_findings.dedup();
    output.sources = unit
        .files
        .iter()
        .filter(|f| with_findings.contains(&f.display.as_str()))
        .map(|f| (f.display.clone(), f.text.clone()))
        .collect();
    output
}

fn to_finding(hit: &Hit, unit: &Unit, attribution: &Attribution) -> Finding {
    let info = &hit.rule.info;
    // The catalog test guarantees every rule's resource types are listed;
    // an unlisted type from a user rule counts as infrastructure.
    let service_model = attribution
        .service_model(&hit.resource.resource_type)
        .unwrap_or(ServiceModel::Iaas);
    let (owner, reason) = attribution.owner(info.layer, service_model);
    Finding {
        rule: info.clone(),
        severity: info.severity,
        service_model,
        owner,
        owner_reason: reason.to_string(),
        framework: hit.resource.framework,
        resource: hit.resource.address.clone(),
        resource_type: hit.resource.resource_type.clone(),
        location: locate(unit.file(hit.witness.span), hit.witness.span),
        message: hit.rule.message(&hit.witness),
        value: hit.witness.value.clone(),
        provenance: hit
            .witness
            .origins
            .iter()
            .map(|origin| Provenance {
                location: locate(unit.file(origin.span), origin.span),
                label: origin.label.clone(),
            })
            .collect(),
    }
}

pub fn locate(file: &SourceFile, span: Span) -> Location {
    let start = file.line_col(span.start);
    let end = file.line_col(span.end.max(span.start));
    Location {
        file: file.display.clone(),
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
        byte_start: span.start as usize,
        byte_end: span.end as usize,
    }
}

fn locate_error(unit: &Unit, file: u32, span: Option<Span>, message: &str) -> ScanError {
    let source = &unit.files[file as usize];
    let at = span.map(|s| source.line_col(s.start));
    ScanError {
        file: source.display.clone(),
        line: at.map(|a| a.line),
        column: at.map(|a| a.column),
        message: message.to_string(),
    }
}

enum Read {
    Text(Arc<str>),
    /// Not IaC after all: ignored quietly.
    Skip,
    Error(ScanError),
}

/// Reads a file as UTF-8 text within the size limit. `known_iac` files (by
/// name) report every problem; template candidates report one only when their
/// content looks like a template, so unrelated YAML/JSON never makes noise.
fn read_source(path: &Path, known_iac: bool) -> Read {
    let fail = |line: Option<usize>, message: String| {
        Read::Error(ScanError {
            file: display_path(path),
            line,
            column: None,
            message,
        })
    };
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            if !known_iac && !looks_like_template(path) {
                return Read::Skip;
            }
            return fail(
                None,
                format!(
                    "file is {} MiB; files over {} MiB are not scanned",
                    m.len() >> 20,
                    MAX_FILE_BYTES >> 20
                ),
            );
        }
        Ok(_) => std::fs::read(path),
        Err(e) => Err(e),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return fail(None, format!("cannot read: {}", discover::io_message(&e))),
    };
    let is_iac = |text: &str| known_iac || cloudformation::may_be_template(text);
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return if is_iac(&String::from_utf8_lossy(&bytes)) {
            fail(
                Some(line_of(&bytes, nul)),
                "binary file (contains NUL bytes)".into(),
            )
        } else {
            Read::Skip
        };
    }
    match String::from_utf8(bytes) {
        Ok(text) => Read::Text(Arc::from(text)),
        Err(e) => {
            let bytes = e.as_bytes();
            if is_iac(&String::from_utf8_lossy(bytes)) {
                let at = e.utf8_error().valid_up_to();
                fail(
                    Some(line_of(bytes, at)),
                    format!("not valid UTF-8 (byte {at})"),
                )
            } else {
                Read::Skip
            }
        }
    }
}

fn looks_like_template(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = vec![0; 64 * 1024];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    cloudformation::may_be_template(&String::from_utf8_lossy(&head[..read]))
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}
