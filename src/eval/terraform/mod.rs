//! Terraform evaluated as `terraform plan` would see it with no `-var` flags
//! beyond those given to demarc: from the configuration of a root module
//! (and every module it calls) to resources whose bodies are [`Node`] trees.
//!
//! The pipeline, per scan:
//! 1. Every module directory discovery found is parsed once ([`ModuleDir`],
//!    `config.rs`; HCL in `syntax.rs`, JSON syntax in `json_syntax.rs`) into a
//!    [`Library`]. A directory that another scanned directory calls as a local
//!    module is not a root: it is evaluated in the context of each call.
//! 2. Each root is evaluated ([`evaluate_root`]): variables from their
//!    defaults, variable files and the command line (`vars.rs`), locals,
//!    module calls and resources with their `count`/`for_each` instances
//!    (`module.rs`), expressions and functions (`eval.rs`, `functions.rs`),
//!    `aws_iam_policy_document` policies (`policy.rs`).
//! 3. A `terraform show -json` plan is its own unit (`plan.rs`), pointed at the
//!    configuration's lines when the configuration is scanned too.
//!
//! Whatever cannot be known before apply is [`crate::value::Value::Unknown`];
//! an attribute of another resource is a [`crate::value::Value::Ref`] to that
//! resource's instance address, which is how companion resources link. A
//! reference to a whole counted resource (`aws_s3_bucket.b[*]`, or
//! `for_each = aws_s3_bucket.b`) is a list or map of references to each
//! instance; a reference to a resource whose `count`/`for_each` is not known
//! targets its single unknown instance, whose address has no key.

mod config;
mod eval;
mod functions;
mod json_syntax;
mod module;
pub mod plan;
mod policy;
mod syntax;
mod types;
mod values;
mod vars;

pub use config::ModuleDir;

use crate::model::{ScanError, Unit};
use crate::source::SourceFile;
use config::{is_local_source, read_var_file, DirFile, VarFile};
use eval::Evaluator;
use module::{normalize, Instance};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use vars::RootInput;

/// What the command line adds to a Terraform evaluation.
#[derive(Clone, Debug, Default)]
pub struct TerraformOptions {
    /// `--var-file FILE`, in the order given (later files win).
    pub var_files: Vec<std::path::PathBuf>,
    /// `--var NAME=VALUE`, in the order given (later win; they beat files).
    pub vars: Vec<(String, String)>,
}

/// A `--var-file`, read and parsed once for every root.
struct CliVarFile {
    file: DirFile,
    values: VarFile,
}

/// Every module directory of a scan, parsed once, and which of them are
/// roots.
pub struct Library {
    dirs: HashMap<PathBuf, Arc<ModuleDir>>,
    roots: BTreeSet<PathBuf>,
    /// Canonical scanned paths: nothing outside them is read.
    scan_roots: crate::read::Confinement,
    var_files: Vec<CliVarFile>,
    /// `TF_VAR_name` values from the environment.
    env: Vec<(String, String)>,
    errors: Vec<ScanError>,
    /// Unsaved editor buffers, read instead of the files on disk.
    overlay: crate::read::Overlay,
}

impl Library {
    /// `dirs` are the parsed module directories discovery found (paths
    /// canonical), `scan_roots` the canonical paths given to the scan.
    pub fn new(
        dirs: Vec<ModuleDir>,
        scan_roots: Vec<PathBuf>,
        options: &TerraformOptions,
    ) -> Library {
        // Names and values that are not Unicode cannot be Terraform's either.
        let env = std::env::vars_os()
            .filter_map(|(k, v)| {
                let name = k.to_str()?.strip_prefix("TF_VAR_")?.to_string();
                Some((name, v.into_string().ok()?))
            })
            .collect();
        let mut library = Library::from_parts(dirs, scan_roots, env);
        library.read_var_files(options);
        library.check_cli_vars(options);
        library
    }

    /// Reads what it reads from disk itself (`file()`, modules discovery did
    /// not find) through `overlay` first.
    pub fn with_overlay(mut self, overlay: crate::read::Overlay) -> Library {
        self.overlay = overlay;
        self
    }

    /// A `--var` for a variable no scanned root module declares is an
    /// error, as Terraform refuses it: a typo would otherwise leave the
    /// default in place unnoticed. With several roots, one declaring it is
    /// enough; with none (CloudFormation only), there is nothing to set.
    fn check_cli_vars(&mut self, options: &TerraformOptions) {
        let roots: Vec<&ModuleDir> = self
            .roots
            .iter()
            .filter_map(|r| self.dirs.get(r))
            .map(|d| &**d)
            .collect();
        if roots.is_empty() {
            return;
        }
        for (name, value) in &options.vars {
            let declared = roots
                .iter()
                .any(|dir| dir.config.variables.iter().any(|v| &v.name == name));
            if !declared {
                self.errors.push(ScanError {
                    file: "--var".into(),
                    line: None,
                    column: None,
                    message: format!(
                        "`{name}={value}`: no scanned root module declares a variable `{name}`; Terraform refuses a value for an undeclared variable"
                    ),
                });
            }
        }
    }

    fn from_parts(
        dirs: Vec<ModuleDir>,
        scan_roots: Vec<PathBuf>,
        env: Vec<(String, String)>,
    ) -> Library {
        let dirs: HashMap<PathBuf, Arc<ModuleDir>> = dirs
            .into_iter()
            .map(|d| (d.path.clone(), Arc::new(d)))
            .collect();
        let mut library = Library {
            roots: BTreeSet::new(),
            scan_roots: crate::read::Confinement::new(scan_roots),
            var_files: Vec::new(),
            env,
            errors: Vec::new(),
            dirs,
            overlay: crate::read::Overlay::default(),
        };
        library.roots = library.find_roots();
        // A called directory's parse errors are reported here, since no unit
        // may include it (a call with `count = 0`); roots report their own.
        let mut errors = Vec::new();
        for dir in library.dirs.values() {
            if !library.roots.contains(&dir.path) {
                errors.extend(dir_errors(dir));
            }
        }
        library.errors = errors;
        library
    }

    /// The directories not called by another scanned directory. Directories
    /// that only call each other (a cycle with no outside caller) are roots
    /// too, the first of each in path order.
    fn find_roots(&self) -> BTreeSet<PathBuf> {
        let callees = |dir: &ModuleDir| -> Vec<PathBuf> {
            dir.config
                .calls
                .iter()
                .filter_map(|call| call.source.as_ref())
                .filter(|(source, _)| is_local_source(source))
                .filter_map(|(source, _)| {
                    let candidate = normalize(&dir.path.join(source));
                    if self.dirs.contains_key(&candidate) {
                        return Some(candidate);
                    }
                    let canonical = candidate.canonicalize().ok()?;
                    self.dirs.contains_key(&canonical).then_some(canonical)
                })
                .filter(|callee| *callee != dir.path)
                .collect()
        };
        let edges: HashMap<&PathBuf, Vec<PathBuf>> =
            self.dirs.par_iter().map(|(p, d)| (p, callees(d))).collect();
        let called: HashSet<&PathBuf> = edges.values().flatten().collect();
        let mut ordered: Vec<&PathBuf> = self.dirs.keys().collect();
        ordered.par_sort_by_cached_key(|p| crate::discover::path_order(p));
        let mut roots: BTreeSet<PathBuf> = ordered
            .iter()
            .filter(|p| !called.contains(**p))
            .map(|p| (*p).clone())
            .collect();
        let mut reached: HashSet<PathBuf> = HashSet::new();
        let visit = |start: &PathBuf, reached: &mut HashSet<PathBuf>| {
            let mut stack = vec![start.clone()];
            while let Some(p) = stack.pop() {
                if let Some(callees) = edges.get(&p) {
                    if reached.insert(p) {
                        stack.extend(callees.iter().cloned());
                    }
                }
            }
        };
        for root in &roots {
            visit(root, &mut reached);
        }
        for path in ordered {
            if !reached.contains(path) {
                roots.insert(path.clone());
                visit(path, &mut reached);
            }
        }
        roots
    }

    fn read_var_files(&mut self, options: &TerraformOptions) {
        for path in &options.var_files {
            let display = crate::discover::display_path(path);
            let text = match crate::read::text(path, None) {
                Ok(text) => text,
                Err(message) => {
                    self.errors.push(ScanError {
                        file: display,
                        line: None,
                        column: None,
                        message,
                    });
                    continue;
                }
            };
            let json = display.to_ascii_lowercase().ends_with(".json");
            match read_var_file(&text, 0, json, format!("set in {display}")) {
                Ok(values) => self.var_files.push(CliVarFile {
                    file: DirFile { display, text },
                    values,
                }),
                Err(error) => {
                    let file = SourceFile::new(display, text);
                    self.errors.push(locate(&file, &error));
                }
            }
        }
    }

    fn var_file(&self, index: usize) -> &CliVarFile {
        &self.var_files[index]
    }

    pub fn dir(&self, path: &Path) -> Option<Arc<ModuleDir>> {
        self.dirs.get(path).cloned()
    }

    /// Whether a directory is a root module (called by no scanned directory),
    /// evaluated as a scan unit of its own. A plan file beside it is a unit
    /// too and never stands in for it: a file that merely looks like a plan
    /// must not hide the configuration's findings.
    pub fn is_root(&self, dir: &Path) -> bool {
        self.roots.contains(dir)
    }

    /// The canonical directories the scan may read in.
    pub fn scan_roots(&self) -> &crate::read::Confinement {
        &self.scan_roots
    }

    pub fn is_inside_scan_root(&self, canonical: &Path) -> bool {
        self.scan_roots.contains(canonical)
    }

    /// Errors that belong to no unit: unreadable `--var-file`s, parse errors
    /// of called module directories.
    pub fn errors(&self) -> &[ScanError] {
        &self.errors
    }
}

/// Evaluates the root module in `dir` (a directory of the library) with
/// every module it calls. `None` when `dir` is not in the library.
pub fn evaluate_root(library: &Library, dir: &Path, options: &TerraformOptions) -> Option<Unit> {
    let root = library.dirs.get(dir)?;
    let mut ev = Evaluator::new(library, Some(root.path.clone()));
    let base = ev.place(root);

    // Root variable values from outside the configuration, lowest first.
    let mut sources: Vec<(&str, RootInput)> = Vec::new();
    for (name, value) in &library.env {
        sources.push((name, RootInput::Text(value)));
    }
    for file in &root.var_files {
        for (name, expr) in &file.values {
            sources.push((
                name,
                RootInput::File {
                    expr,
                    // Positions in the file already name it within the directory.
                    base,
                    label: &file.label,
                },
            ));
        }
    }
    // `--var-file`s are placed in the unit when a value is taken from them.
    for (index, cli) in library.var_files.iter().enumerate() {
        for (name, expr) in &cli.values.values {
            sources.push((
                name,
                RootInput::VarFile {
                    expr,
                    index,
                    label: &cli.values.label,
                },
            ));
        }
    }
    for (name, value) in &options.vars {
        sources.push((name, RootInput::Text(value)));
    }
    ev.root_inputs = vars::root_inputs(sources);

    let instance = Rc::new(Instance::new(
        root.clone(),
        base,
        String::new(),
        Vec::new(),
        ".".into(),
        None,
    ));
    ev.instances.borrow_mut().push(instance.clone());
    ev.run(&instance);
    ev.finish_data_sources();
    Some(Unit {
        files: ev.files.take(),
        resources: ev.resources.take(),
        errors: ev.errors.take(),
        notes: ev.notes.take(),
        module_blocks: ev.module_blocks.take(),
    })
}

/// Evaluates files given in memory as one root module (no directory on
/// disk: local module calls are not followed). Each file becomes a
/// SourceFile (FileId = index among the module files).
pub fn load_module(files: Vec<(String, Arc<str>)>, options: &TerraformOptions) -> Unit {
    let path = PathBuf::from("<memory>");
    let dir = ModuleDir::parse(path.clone(), files);
    let library = Library::from_parts(vec![dir], Vec::new(), Vec::new());
    evaluate_root(&library, &path, options).expect("the module is in the library")
}

/// Reads a module directory discovery did not find (a remote module under
/// `.terraform/modules`, an ignored directory). `None` when it holds no
/// Terraform files.
fn read_dir_from_disk(
    dir: &Path,
    roots: &crate::read::Confinement,
    overlay: &crate::read::Overlay,
) -> Option<ModuleDir> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        // Links are read as Terraform reads them, within the scan root.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.path())
        .collect();
    paths.sort();
    let mut files = Vec::new();
    let mut any_config = false;
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let config = name.ends_with(".tf") || name.ends_with(".tf.json");
        if !config && !name.ends_with(".tfvars") && !name.ends_with(".tfvars.json") {
            continue;
        }
        if let Ok(text) = overlay.text(&path, Some(roots)) {
            any_config |= config;
            files.push((crate::discover::display_path(&path), text));
        }
    }
    any_config.then(|| ModuleDir::parse(dir.to_path_buf(), files))
}

/// A directory's parse errors as user-facing errors.
fn dir_errors(dir: &ModuleDir) -> Vec<ScanError> {
    dir.errors
        .iter()
        .map(|error| {
            let file = &dir.files[error.file as usize];
            locate(
                &SourceFile::new(file.display.clone(), file.text.clone()),
                error,
            )
        })
        .collect()
}

fn locate(file: &SourceFile, error: &crate::model::UnitError) -> ScanError {
    let at = error.span.map(|s| file.line_col(s.start));
    ScanError {
        file: file.display.clone(),
        line: at.map(|a| a.line),
        column: at.map(|a| a.column),
        message: error.message.clone(),
    }
}

#[cfg(test)]
mod tests;
