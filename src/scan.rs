//! Drives a scan: discover units, then read, parse, evaluate, match and
//! attribute each unit in parallel. A unit is independent of every other, so
//! a panic or a limit in one is reported for that unit and the rest go on.

use crate::attribution::Attribution;
use crate::config::FileFilter;
use crate::discover::{self, display_path, Discovery, UnitSource, WalkOptions};
use crate::eval::cloudformation::{self, Syntax};
use crate::eval::terraform;
use crate::finding::{
    CheckedResource, Finding, Generated, Location, Provenance, ScanResult, StageTimes,
};
use crate::model::{ScanError, Unit};
use crate::read::{Confinement, ReadError};
use crate::rules::{Hit, RuleSet};
use crate::source::{SourceFile, Span};
use crate::suppress::{self, Directive};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    pub terraform: terraform::TerraformOptions,
    pub cloudformation: cloudformation::CloudFormationOptions,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// `--no-suppressions`: report everything, for audits.
    pub no_suppressions: bool,
    /// Include/exclude globs from `.demarc.yaml`.
    pub file_filter: Option<FileFilter>,
    /// Told how far the scan has come as it goes, for a progress display
    /// (the library prints nothing itself).
    pub progress: Option<ProgressSink>,
    /// Record every (rule, resource) pair looked at, for reports that list
    /// passing checks (JUnit); off otherwise, since it costs an entry per pair.
    pub list_checked: bool,
    /// Unsaved editor buffers, read instead of the files on disk.
    pub overlay: crate::read::Overlay,
    /// Files among `paths` that were deleted (`--changed-since`): the
    /// module each leaves behind is evaluated and reported whole, since
    /// taking a file away can change any finding of its module.
    pub deleted: BTreeSet<PathBuf>,
}

/// How far a scan has come: `done` of `total` in a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// The stages a scan reports progress in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Terraform module directories read and parsed (most of a large
    /// Terraform scan).
    Parsing,
    /// Units evaluated and checked.
    Scanning,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Parsing => "parsing",
            Stage::Scanning => "scanning",
        }
    }
}

/// Where a scan sends its [`Progress`]; called from worker threads, in no
/// guaranteed order.
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Counts the work done in one stage and tells the sink, if any.
struct StageCounter<'a> {
    sink: Option<&'a ProgressSink>,
    stage: Stage,
    done: AtomicUsize,
    total: usize,
}

impl<'a> StageCounter<'a> {
    fn start(sink: Option<&'a ProgressSink>, stage: Stage, total: usize) -> Self {
        let counter = StageCounter {
            sink,
            stage,
            done: AtomicUsize::new(0),
            total,
        };
        counter.tell(0);
        counter
    }

    fn one_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.tell(done);
    }

    fn tell(&self, done: usize) {
        if let Some(sink) = self.sink {
            (sink.0)(Progress {
                stage: self.stage,
                done,
                total: self.total,
            });
        }
    }
}

/// Stack for unit threads: parsers are recursive, and nesting limits keep
/// them far below this, but a generous stack costs only address space.
const UNIT_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What one unit contributes to the result.
#[derive(Default)]
struct UnitOutput {
    /// CPU time spent loading and evaluating the unit, and running rules on it.
    evaluate_time: Duration,
    rules_time: Duration,
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    sources: Vec<(String, Arc<str>)>,
    /// Non-fatal notes from evaluation (a remote module not installed).
    notes: Vec<ScanError>,
    undecided: usize,
    /// Display paths of the files read.
    file_names: Vec<String>,
    directives: Vec<Directive>,
    checked: Vec<CheckedResource>,
    /// What sensitive rules found, in clear: masked out of every report.
    secrets: Vec<String>,
}

pub fn scan(options: &ScanOptions, rules: &RuleSet, attribution: &Attribution) -> ScanResult {
    let walk_started = Instant::now();
    let (units, mut errors) = plan_units(options);
    let walk = walk_started.elapsed();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .stack_size(UNIT_STACK_BYTES)
        .build()
        .expect("thread pool");
    let parse_started = Instant::now();
    let read_roots = read_roots(&options.paths);
    let (terraform, units) =
        pool.install(|| prepare_terraform(units, options, &read_roots, &mut errors));
    let parse = parse_started.elapsed();
    let units_started = Instant::now();
    let counter = StageCounter::start(options.progress.as_ref(), Stage::Scanning, units.len());
    let mut outputs: Vec<UnitOutput> = pool.install(|| {
        units
            .par_iter()
            // Units differ in cost by orders of magnitude and come sorted by
            // kind (Terraform modules first): one unit a job, so an idle
            // thread can always take the next one. Rayon's default split
            // leaves a thread a run of units it cannot share.
            .with_max_len(1)
            .map(|planned| {
                let output = scan_unit_guarded(
                    &planned.source,
                    options,
                    rules,
                    attribution,
                    &terraform,
                    &read_roots,
                );
                counter.one_done();
                match &planned.focus {
                    Some(focus) => focus_output(output, focus),
                    None => output,
                }
            })
            .collect()
    });

    pool.install(|| drop_repeats(&units, &mut outputs, &read_roots));
    let units_wall = units_started.elapsed();
    let finish_started = Instant::now();
    // Freeing every parsed module takes long enough to matter and nothing
    // needs it any more: let it happen beside the work that remains.
    std::thread::spawn(move || drop(terraform));

    let mut directives = Vec::new();
    let mut secrets = Vec::new();
    let mut result = ScanResult {
        errors,
        rules: rules.rules.iter().map(|r| r.info.clone()).collect(),
        ..ScanResult::default()
    };
    // Sized once: growing these by doubling copies every finding again.
    let total = |len: fn(&UnitOutput) -> usize| outputs.iter().map(len).sum::<usize>();
    result.findings.reserve(total(|o| o.findings.len()));
    result.checked.reserve(total(|o| o.checked.len()));
    let mut sources = Vec::with_capacity(total(|o| o.sources.len()));
    let mut file_names = Vec::with_capacity(total(|o| o.file_names.len()));
    let (mut evaluate_cpu, mut rules_cpu) = (Duration::ZERO, Duration::ZERO);
    for output in outputs {
        evaluate_cpu += output.evaluate_time;
        rules_cpu += output.rules_time;
        result.findings.extend(output.findings);
        result.errors.extend(output.errors);
        sources.extend(output.sources);
        result.warnings.extend(output.notes);
        result.undecided += output.undecided;
        file_names.extend(output.file_names);
        directives.extend(output.directives);
        result.checked.extend(output.checked);
        secrets.extend(output.secrets);
    }
    // Only snippets read the texts, and a snippet shows its finding's file.
    let shown: HashSet<&str> = result
        .findings
        .iter()
        .map(|f| f.location.file.as_str())
        .collect();
    sources.retain(|(file, _)| shown.contains(file.as_str()));
    // Sorted in parallel, the maps build in one pass rather than by a
    // search per insertion. The sort is stable: a file read by several
    // units keeps its last text, as inserting in unit order did.
    pool.install(|| {
        rayon::join(
            || sources.par_sort_by(|a, b| a.0.cmp(&b.0)),
            || file_names.par_sort_unstable(),
        )
    });
    result.sources = sources.into_iter().collect();
    result.scanned_files = file_names.into_iter().collect();
    pool.install(|| crate::rules::secrets::redact(&mut result, &secrets));
    // Stable, as the serial sort was: findings equal in key keep unit order.
    pool.install(|| {
        result
            .findings
            .par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()))
    });
    // A module a root calls is evaluated wherever it lives, as Terraform
    // loads it; what lies in files the config excludes is not reported.
    if let Some(filter) = &options.file_filter {
        result
            .findings
            .retain(|f| !filter.excludes(Path::new(&f.location.file)));
    }
    pool.install(|| result.errors.par_sort());
    result.errors.dedup();
    // A module's files are read once per root that calls it: count them once.
    result.files_scanned = result.scanned_files.len();
    result
        .warnings
        .extend(suppress::warnings(&suppress::merge(directives)));
    result.warnings.sort();
    result.warnings.dedup();
    result.checked.sort();
    result.checked.dedup();
    let repo = crate::repo::RepoPaths::around(options.paths.first().map(PathBuf::as_path));
    pool.install(|| crate::fingerprint::assign(&mut result.findings, &repo));
    let rules_share = rules_cpu.as_secs_f64() / (evaluate_cpu + rules_cpu).as_secs_f64().max(1e-9);
    result.stage_times = StageTimes {
        walk,
        parse,
        evaluate: units_wall.mul_f64(1.0 - rules_share),
        rules: units_wall.mul_f64(rules_share),
        finish: finish_started.elapsed(),
    };
    result
}

/// A plan's unit evaluates its configuration, which is also a unit of its
/// own (so a plan can never hide it): the configuration's unit drops the
/// findings the plan's unit gives too. Those are the same rule at the same
/// place on the same resource, or on the resource the configuration could
/// not key (an unknown `count`) where the plan knows the key.
fn drop_repeats(units: &[PlannedUnit], outputs: &mut [UnitOutput], read_roots: &Confinement) {
    let modules: HashMap<PathBuf, usize> = units
        .par_iter()
        .enumerate()
        .filter_map(|(i, unit)| match &unit.source {
            UnitSource::TerraformModule { dir, .. } => Some((read_roots.real(dir), i)),
            UnitSource::TemplateCandidate(_) => None,
        })
        .collect();
    let plans: Vec<(usize, usize)> = units
        .par_iter()
        .enumerate()
        .filter_map(|(i, unit)| {
            let UnitSource::TemplateCandidate(path) = &unit.source else {
                return None;
            };
            if outputs[i].findings.is_empty() {
                return None;
            }
            let module = modules.get(&read_roots.real(path.parent().unwrap_or(Path::new("."))))?;
            Some((i, *module))
        })
        .collect();
    for (i, module) in plans {
        let given: BTreeSet<(String, Location, String)> = outputs[i]
            .findings
            .iter()
            .flat_map(|f| {
                [
                    f.resource.clone(),
                    terraform::plan::without_keys(&f.resource),
                ]
                .map(|resource| (f.rule.id.clone(), f.location.clone(), resource))
            })
            .collect();
        outputs[module].findings.retain(|f| {
            !given.contains(&(f.rule.id.clone(), f.location.clone(), f.resource.clone()))
        });
    }
}

/// A unit to scan, and, when it was named through some of its files rather
/// than found by a walk, the files its results are reported for.
struct PlannedUnit {
    source: UnitSource,
    focus: Option<BTreeSet<String>>,
}

/// The units of a scan. Directories are walked (discovery). A file named on
/// the command line (as pre-commit and `--changed-since` pass them) brings
/// in the unit it belongs to, so it is evaluated with full context: a `.tf`
/// or `.tfvars` file its whole module directory (variables, locals,
/// companions in sibling files), any other file itself. Such a unit reports
/// only what lies in the named files or takes its value from them. The
/// include/exclude globs of `.demarc.yaml` then drop files and units.
fn plan_units(options: &ScanOptions) -> (Vec<PlannedUnit>, Vec<ScanError>) {
    let (files, roots): (Vec<PathBuf>, Vec<PathBuf>) =
        options.paths.iter().cloned().partition(|p| {
            p.is_file()
                || (p.is_symlink() && !p.is_dir())
                || options.deleted.contains(p)
                || options.overlay.get(p).is_some()
        });
    let Discovery { units, mut errors } = if roots.is_empty() {
        Discovery::default()
    } else {
        // The walk keeps to the scan's thread count too.
        let walk = WalkOptions {
            threads: options.threads.unwrap_or(0),
            ..options.walk
        };
        discover::discover(&roots, walk)
    };
    let mut planned: Vec<PlannedUnit> = units
        .into_iter()
        .map(|source| PlannedUnit {
            source,
            focus: None,
        })
        .collect();
    let walked: BTreeSet<PathBuf> = planned.iter().map(|p| unit_key(&p.source)).collect();
    let mut focused: Vec<PlannedUnit> = Vec::new();
    for file in &files {
        let deleted = options.deleted.contains(file);
        // A deleted template leaves nothing behind to evaluate.
        if deleted && terraform_file_kind(file).is_none() {
            continue;
        }
        let Some(source) = unit_of_file(file, &options.overlay) else {
            continue;
        };
        // A unit the walk found already reports everything.
        if walked.contains(&unit_key(&source)) {
            continue;
        }
        let unit = match focused
            .iter_mut()
            .find(|p| unit_key(&p.source) == unit_key(&source))
        {
            Some(unit) => unit,
            None => {
                focused.push(PlannedUnit {
                    source,
                    focus: Some(BTreeSet::new()),
                });
                focused.last_mut().expect("just pushed")
            }
        };
        match &mut unit.focus {
            _ if deleted => unit.focus = None,
            Some(focus) => {
                focus.insert(display_path(file));
            }
            None => {}
        }
    }
    planned.extend(focused);
    if let Some(filter) = &options.file_filter {
        planned.retain_mut(|unit| match &mut unit.source {
            UnitSource::TerraformModule { files, .. } => {
                files.retain(|f| filter.accepts(f));
                files
                    .iter()
                    .any(|f| terraform_file_kind(f) == Some(TerraformFile::Configuration))
            }
            UnitSource::TemplateCandidate(path) => filter.accepts(path),
        });
        errors.retain(|e| filter.accepts(Path::new(&e.file)));
    }
    (planned, errors)
}

/// What identifies a unit whichever way its path was written.
fn unit_key(source: &UnitSource) -> PathBuf {
    match source {
        UnitSource::TerraformModule { dir, .. } => crate::repo::absolute(dir),
        UnitSource::TemplateCandidate(path) => crate::repo::absolute(path),
    }
}

/// Terraform configuration and variable files, by name (as discovery
/// classifies them).
fn terraform_file_kind(path: &Path) -> Option<TerraformFile> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        Some(TerraformFile::Configuration)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        Some(TerraformFile::Variables)
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TerraformFile {
    Configuration,
    Variables,
}

/// The unit a file named on the command line belongs to: a Terraform file
/// (`.tf`, `.tf.json`, `.tfvars`, `.tfvars.json`) its module directory with
/// the same files discovery would give it, read without its subdirectories
/// (which are modules of their own); any other file itself. `None` for a
/// Terraform file in a directory without configuration (a lone tfvars file).
fn unit_of_file(file: &Path, overlay: &crate::read::Overlay) -> Option<UnitSource> {
    if terraform_file_kind(file).is_none() {
        return Some(UnitSource::TemplateCandidate(file.to_path_buf()));
    }
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        // Links too, as Terraform loads them; their reads stay in the root.
        .filter(|path| {
            terraform_file_kind(path).is_some()
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() || m.is_symlink())
        })
        .collect();
    // Buffers not yet saved belong to the module too.
    for path in overlay.files_in(&dir) {
        let on_disk = files.iter().any(|f| f.file_name() == path.file_name());
        if !on_disk && terraform_file_kind(&path).is_some() {
            files.push(dir.join(path.file_name().unwrap_or_default()));
        }
    }
    files.sort();
    let has_configuration = files
        .iter()
        .any(|f| terraform_file_kind(f) == Some(TerraformFile::Configuration));
    has_configuration.then_some(UnitSource::TerraformModule { dir, files })
}

/// Narrows a unit's output to its focus files: findings located in them or
/// whose value comes from them (a provenance step in a changed tfvars file),
/// and the errors, warnings and checks of those files.
fn focus_output(mut output: UnitOutput, focus: &BTreeSet<String>) -> UnitOutput {
    let in_focus = |file: &str| focus.contains(file);
    output.findings.retain(|f| {
        in_focus(&f.location.file) || f.provenance.iter().any(|p| in_focus(&p.location.file))
    });
    let unit_files: BTreeSet<&String> = output.file_names.iter().collect();
    output
        .errors
        .retain(|e| in_focus(&e.file) || !unit_files.contains(&e.file));
    output.directives.retain(|d| in_focus(&d.file));
    output.checked.retain(|c| in_focus(&c.file));
    output.notes.retain(|n| in_focus(&n.file));
    // The focus files count as scanned when the unit was read, tfvars
    // files included (evaluation reads those itself).
    let read = !output.file_names.is_empty();
    output.file_names.retain(|f| in_focus(f));
    if read {
        output.file_names.extend(focus.iter().cloned());
    }
    output.file_names.sort();
    output.file_names.dedup();
    output
}

/// What follows the rules in every unit: the files read, which rules looked
/// at which resources, and the unit's suppressions applied to its findings
/// (here, where every file of the unit is at hand).
fn after_rules(unit: &Unit, output: &mut UnitOutput, options: &ScanOptions, rules: &RuleSet) {
    output.file_names = unit.files.iter().map(|f| f.display.clone()).collect();
    if options.list_checked {
        output.checked = checked_resources(unit, rules);
    }
    if !options.no_suppressions {
        let mut directives = suppress::collect(unit, rules);
        if !directives.is_empty() {
            suppress::apply(
                &mut directives,
                &mut output.findings,
                crate::date::Date::today(),
            );
        }
        output.directives = directives;
    }
}

/// Every (rule, resource) pair of the unit that a rule has a check for.
fn checked_resources(unit: &Unit, rules: &RuleSet) -> Vec<CheckedResource> {
    let mut checked = Vec::new();
    for resource in unit.resources.iter().filter(|r| !r.is_data) {
        for rule in &rules.rules {
            let applies = rule.checks.iter().any(|c| {
                c.framework == resource.framework
                    && c.resource_types.contains(&resource.resource_type)
            });
            if applies {
                let file = unit.file(resource.header);
                checked.push(CheckedResource {
                    rule_id: rule.info.id.clone(),
                    resource: resource.written_address().to_string(),
                    file: file.display.clone(),
                    line: file.line_col(resource.header.start).line,
                });
            }
        }
    }
    checked
}

/// The Terraform pre-pass: every module directory is read and parsed once,
/// in parallel, into a library. A directory another scanned directory calls
/// as a local module is then evaluated in the context of each call, not
/// again as a root. Returns the library and the units left to scan.
fn prepare_terraform(
    mut units: Vec<PlannedUnit>,
    options: &ScanOptions,
    read_roots: &Confinement,
    errors: &mut Vec<ScanError>,
) -> (terraform::Library, Vec<PlannedUnit>) {
    let scan_roots = scan_roots(&options.paths);
    let modules = units
        .iter()
        .filter(|p| matches!(p.source, UnitSource::TerraformModule { .. }))
        .count();
    let counter = StageCounter::start(options.progress.as_ref(), Stage::Parsing, modules);
    let parsed: Vec<(terraform::ModuleDir, Vec<ScanError>)> = units
        .par_iter()
        // One directory a job, as for units in `scan`.
        .with_max_len(1)
        .filter_map(|planned| match &planned.source {
            UnitSource::TerraformModule { dir, files } => {
                let mut texts = Vec::new();
                let mut read_errors = Vec::new();
                for path in files {
                    match read_source(path, true, read_roots, &options.overlay) {
                        Read::Text(text) => texts.push((display_path(path), text)),
                        Read::Skip => {}
                        Read::Error(e) => read_errors.push(e),
                    }
                }
                let dir = terraform::ModuleDir::parse(read_roots.real(dir), texts);
                counter.one_done();
                Some((dir, read_errors))
            }
            UnitSource::TemplateCandidate(_) => None,
        })
        .collect();
    let mut dirs = Vec::with_capacity(parsed.len());
    // Each module unit's real directory, in unit order: resolved once, above.
    let mut real_dirs = Vec::with_capacity(parsed.len());
    for (dir, read_errors) in parsed {
        errors.extend(read_errors);
        real_dirs.push(dir.path.clone());
        dirs.push(dir);
    }
    let library = terraform::Library::new(dirs, scan_roots, &options.terraform)
        .with_overlay(options.overlay.clone());
    errors.extend(library.errors().iter().cloned());
    // `retain` visits units once each, in order, as `parsed` was made.
    let mut real_dirs = real_dirs.into_iter();
    units.retain(|planned| match &planned.source {
        UnitSource::TerraformModule { .. } => library.is_root(
            &real_dirs
                .next()
                .expect("a parsed directory per module unit"),
        ),
        UnitSource::TemplateCandidate(_) => true,
    });
    (library, units)
}

/// The canonical directories a scan may read in: each directory PATH, and
/// for a file named on the command line (as pre-commit passes them) its
/// repository, so module calls such as `../../modules/x` still resolve.
fn scan_roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                return canonical(p);
            }
            // Where the file is, not where a link named on the command line
            // (or changed) leads.
            let absolute = crate::repo::absolute(p);
            let dir = canonical(absolute.parent().unwrap_or(&absolute));
            crate::repo::find_root(&dir).unwrap_or(dir)
        })
        .collect()
}

/// Where the files of units may be read from, links resolved: the
/// repository of each PATH (the directory holding `.git`), else its scan
/// root. Anything in the repository under scan is harmless to read (a
/// module's `providers.tf` may link to a shared file outside the PATH);
/// outside it, nothing is the scan's to read.
fn read_roots(paths: &[PathBuf]) -> Confinement {
    Confinement::new(
        scan_roots(paths)
            .into_iter()
            .map(|root| crate::repo::find_root(&root).unwrap_or(root))
            .collect(),
    )
}

/// A path made absolute and free of links, or as given when it cannot be.
fn canonical(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn scan_unit_guarded(
    source: &UnitSource,
    options: &ScanOptions,
    rules: &RuleSet,
    attribution: &Attribution,
    terraform: &terraform::Library,
    read_roots: &Confinement,
) -> UnitOutput {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_unit(source, options, rules, attribution, terraform, read_roots)
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
    terraform: &terraform::Library,
    read_roots: &Confinement,
) -> UnitOutput {
    let evaluate_started = Instant::now();
    let mut output = UnitOutput::default();
    let unit = match source {
        // Read and parsed by `prepare_terraform`; evaluated here as a root
        // with every module it calls.
        UnitSource::TerraformModule { dir, .. } => {
            match terraform::evaluate_root(terraform, &read_roots.real(dir), &options.terraform) {
                Some(unit) => unit,
                None => return output,
            }
        }
        UnitSource::TemplateCandidate(path) => {
            let text = match read_source(path, false, read_roots, &options.overlay) {
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
            // A `terraform show -json` plan is a unit of its own.
            let plan = match syntax {
                Syntax::Json => terraform::plan::load_plan(
                    display_path(path),
                    text.clone(),
                    path,
                    terraform,
                    &options.terraform,
                ),
                Syntax::Yaml => None,
            };
            match plan {
                Some(unit) => unit,
                None => match cloudformation::load_template(
                    display_path(path),
                    text,
                    syntax,
                    &options.cloudformation,
                ) {
                    Some(unit) => unit,
                    None => return output,
                },
            }
        }
    };
    output.notes.extend(
        unit.notes
            .iter()
            .map(|n| locate_error(&unit, n.file, n.span, &n.message)),
    );
    output.errors.extend(
        unit.errors
            .iter()
            .map(|e| locate_error(&unit, e.file, e.span, &e.message)),
    );
    output.evaluate_time = evaluate_started.elapsed();
    let rules_started = Instant::now();
    let (hits, undecided) = rules.run(&unit);
    output.undecided = undecided;
    output.findings = hits
        .iter()
        .map(|hit| to_finding(hit, &unit, attribution))
        .collect();
    output.secrets = hits
        .iter()
        .filter(|hit| hit.rule.info.sensitive)
        .filter_map(|hit| hit.witness.value.as_deref())
        .flat_map(crate::rules::secrets::secrets_of)
        .collect();
    // Two checks of a rule may point at the same place (e.g. a port range
    // matching twice); report each place once.
    output.findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id
            && a.location == b.location
            && a.resource == b.resource
            && a.generated == b.generated
    });
    after_rules(&unit, &mut output, options, rules);
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
    output.rules_time = rules_started.elapsed();
    output
}

fn to_finding(hit: &Hit, unit: &Unit, attribution: &Attribution) -> Finding {
    let info = &hit.rule.info;
    // The catalog test guarantees every rule's resource types are listed;
    // an unlisted type from a user rule counts as infrastructure.
    let service_model = attribution
        .service_model(&hit.resource.resource_type)
        .unwrap_or(crate::attribution::FALLBACK_MODEL);
    let (owner, reason) = attribution.owner(info.layer, service_model);
    let witness = match &hit.witness.value {
        Some(value) if info.sensitive => crate::rules::matcher::Witness {
            value: Some(crate::rules::secrets::mask(
                value,
                &crate::rules::secrets::secrets_of(value),
            )),
            ..hit.witness.clone()
        },
        _ => hit.witness.clone(),
    };
    Finding {
        rule: info.clone(),
        severity: info.severity,
        service_model,
        owner,
        owner_reason: reason.to_string(),
        framework: hit.resource.framework,
        resource: hit.resource.written_address().to_string(),
        resource_type: match &hit.resource.generated_by {
            Some(written) => written.resource_type.clone(),
            None => hit.resource.resource_type.clone(),
        },
        generated: hit.resource.generated_by.as_ref().map(|_| Generated {
            resource: hit.resource.address.clone(),
            resource_type: hit.resource.resource_type.clone(),
        }),
        location: locate(unit.file(hit.witness.span), hit.witness.span),
        // A secret is masked before it reaches the finding, so neither a
        // report nor the fingerprint ever sees it.
        message: hit.rule.message(&witness),
        value: witness.value.clone(),
        provenance: hit
            .witness
            .origins
            .iter()
            .map(|origin| Provenance {
                location: locate(unit.file(origin.span), origin.span),
                label: origin.label.clone(),
            })
            .collect(),
        resource_location: {
            let span = resource_span(hit.resource);
            locate(unit.file(span), span)
        },
        value_path: crate::fingerprint::value_path(&hit.resource.body, hit.witness.span),
        fingerprint: String::new(),
        suppression: None,
        owners: Vec::new(),
        owners_from: None,
        notes: Vec::new(),
    }
}

/// The whole resource, header to end of body, when both lie in one file;
/// else the header.
fn resource_span(resource: &crate::model::Resource) -> Span {
    let (header, body) = (resource.header, resource.body.span);
    if body.file == header.file && body.end > header.end {
        Span {
            end: body.end,
            ..header
        }
    } else {
        header
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

/// Reads a file as UTF-8 text within the size limit, its real path inside
/// `roots`. `known_iac` files (by name) report every problem; template
/// candidates report one only when their content looks like a template, so
/// unrelated YAML/JSON never makes noise (a link out of the root or to
/// nowhere is reported either way: what it hides is unknown).
fn read_source(
    path: &Path,
    known_iac: bool,
    roots: &Confinement,
    overlay: &crate::read::Overlay,
) -> Read {
    if let Some(text) = overlay.get(path) {
        return Read::Text(text);
    }
    let fail = |line: Option<usize>, message: String| {
        Read::Error(ScanError {
            file: display_path(path),
            line,
            column: None,
            message,
        })
    };
    let bytes = match crate::read::bounded(path, Some(roots)) {
        Ok(bytes) => bytes,
        Err(ReadError::TooLarge) if !known_iac && !looks_like_template(path) => return Read::Skip,
        Err(ReadError::NotRegular) if !known_iac => return Read::Skip,
        Err(e @ (ReadError::TooLarge | ReadError::NotRegular)) => return fail(None, e.to_string()),
        Err(e) => return fail(None, format!("cannot read: {e}")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn overlay_buffers_are_scanned_instead_of_disk_and_join_their_module() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let rule = |cidrs: &str| {
            format!(
                "resource \"aws_security_group_rule\" \"ssh\" {{\n  type = \"ingress\"\n  security_group_id = \"sg-1\"\n  from_port = 22\n  to_port = 22\n  protocol = \"tcp\"\n  cidr_blocks = {cidrs}\n}}\n"
            )
        };
        let main = dir.path().join("main.tf");
        std::fs::write(&main, rule("[\"10.0.0.0/8\"]")).unwrap();
        let rules = RuleSet::embedded().unwrap();
        let attribution = Attribution::embedded().unwrap();
        let scan_with = |overlay: crate::read::Overlay| {
            let options = ScanOptions {
                paths: vec![main.clone()],
                overlay,
                ..ScanOptions::default()
            };
            scan(&options, &rules, &attribution).findings
        };
        assert!(scan_with(crate::read::Overlay::default()).is_empty());
        // The buffer reads a variable from a sibling file that is not saved yet.
        let overlay = crate::read::Overlay::new([
            (main.clone(), Arc::from(rule("var.open"))),
            (
                dir.path().join("variables.tf"),
                Arc::from("variable \"open\" {\n  default = [\"0.0.0.0/0\"]\n}\n"),
            ),
        ]);
        let findings = scan_with(overlay);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule.id, "AWS-EC2-001");
        assert_eq!(findings[0].location.start_line, 7);
        assert!(findings[0].provenance[0]
            .location
            .file
            .ends_with("variables.tf"));
    }

    #[test]
    fn progress_covers_parsing_then_scanning_and_reaches_every_total() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let events = Arc::clone(&events);
            ProgressSink(Arc::new(move |p: Progress| events.lock().unwrap().push(p)))
        };
        let options = ScanOptions {
            paths: vec![PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/mixed"
            ))],
            progress: Some(sink),
            ..ScanOptions::default()
        };
        let rules = RuleSet::embedded().unwrap();
        let attribution = Attribution::embedded().unwrap();
        let result = scan(&options, &rules, &attribution);
        assert!(!result.findings.is_empty());

        let events = events.lock().unwrap();
        let last = |stage: Stage| {
            let of_stage: Vec<&Progress> = events.iter().filter(|p| p.stage == stage).collect();
            let total = of_stage[0].total;
            assert!(of_stage.iter().all(|p| p.total == total && p.done <= total));
            assert_eq!(of_stage.iter().map(|p| p.done).max(), Some(total));
            (
                total,
                events.iter().rposition(|p| p.stage == stage).unwrap(),
            )
        };
        let (modules, parsing_ends) = last(Stage::Parsing);
        let (units, _) = last(Stage::Scanning);
        let scanning_starts = events
            .iter()
            .position(|p| p.stage == Stage::Scanning)
            .unwrap();
        assert!(
            parsing_ends < scanning_starts,
            "parsing is reported before scanning"
        );
        // examples/mixed: two Terraform module directories, and two units
        // more for its YAML files.
        assert_eq!(modules, 2, "{events:?}");
        assert!(units >= 3, "{events:?}");
    }
}
