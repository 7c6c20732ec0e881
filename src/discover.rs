//! Finds the IaC files under the given paths and groups them into scan units.
//!
//! The walk only classifies by name; reading and content checks (is this YAML
//! a CloudFormation template?) happen later, in parallel, per unit. Like
//! ripgrep, the walker is separate from what consumes it.

use crate::model::ScanError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Directories never worth scanning: VCS data, Terraform's download cache,
/// JavaScript dependencies.
const SKIPPED_DIRS: [&str; 3] = [".git", ".terraform", "node_modules"];

/// What a unit is made of, before anything is read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitSource {
    /// A Terraform module directory and its files, sorted: `.tf` and
    /// `.tf.json` configuration, and `.tfvars`/`.tfvars.json` variable files
    /// (a directory with only variable files is not a module).
    TerraformModule { dir: PathBuf, files: Vec<PathBuf> },
    /// A file that may be a CloudFormation template (decided on its content).
    TemplateCandidate(PathBuf),
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub units: Vec<UnitSource>,
    pub errors: Vec<ScanError>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
}

/// How a file name classifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Terraform,
    /// `.tfvars`, `.tfvars.json`: joins its directory's module, if any.
    TerraformVars,
    TemplateCandidate,
}

fn classify(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    // Terraform JSON syntax and variable files are read by Terraform
    // evaluation, never as CloudFormation templates.
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        Some(Kind::Terraform)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        Some(Kind::TerraformVars)
    } else if [".yaml", ".yml", ".json", ".template"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        Some(Kind::TemplateCandidate)
    } else {
        None
    }
}

/// Walks every path in parallel and groups what it finds into units, in a
/// deterministic order.
pub fn discover(paths: &[PathBuf], options: WalkOptions) -> Discovery {
    let found: Mutex<Vec<(Kind, PathBuf)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<ScanError>> = Mutex::new(Vec::new());
    for root in paths {
        let metadata = if options.follow_symlinks {
            std::fs::metadata(root)
        } else {
            std::fs::symlink_metadata(root)
        };
        match metadata {
            Err(err) => {
                errors
                    .lock()
                    .unwrap()
                    .push(error(root, &format!("cannot read: {}", io_message(&err))));
                continue;
            }
            // A file named explicitly is scanned whatever its extension says.
            Ok(m) if m.is_file() || (m.is_symlink() && root.is_file()) => {
                let kind = classify(root).unwrap_or(Kind::TemplateCandidate);
                found.lock().unwrap().push((kind, root.clone()));
                continue;
            }
            Ok(_) => {}
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .ignore(false)
            .git_global(false)
            .follow_links(options.follow_symlinks)
            .filter_entry(|e| {
                !(e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && SKIPPED_DIRS.iter().any(|s| e.file_name() == *s))
            })
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let path = entry.path();
                        match (entry.file_type(), classify(path)) {
                            (Some(t), Some(kind)) if t.is_file() => {
                                found.lock().unwrap().push((kind, path.to_path_buf()))
                            }
                            // Not followed, but a dangling link named like IaC is
                            // input the user expected us to read.
                            (Some(t), Some(_))
                                if t.is_symlink() && std::fs::metadata(path).is_err() =>
                            {
                                errors
                                    .lock()
                                    .unwrap()
                                    .push(error(path, "dangling symbolic link"));
                            }
                            _ => {}
                        }
                    }
                    Err(err) => errors.lock().unwrap().push(walk_error(&err)),
                }
                ignore::WalkState::Continue
            })
        });
    }
    // Per directory: its files, and whether any is configuration.
    let mut modules: BTreeMap<PathBuf, (Vec<PathBuf>, bool)> = BTreeMap::new();
    let mut units = Vec::new();
    let mut found = found.into_inner().unwrap();
    found.sort();
    found.dedup();
    for (kind, path) in found {
        match kind {
            Kind::Terraform | Kind::TerraformVars => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let module = modules.entry(dir).or_default();
                module.0.push(path);
                module.1 |= kind == Kind::Terraform;
            }
            Kind::TemplateCandidate => units.push(UnitSource::TemplateCandidate(path)),
        }
    }
    units.extend(
        modules
            .into_iter()
            .filter_map(|(dir, (mut files, config))| {
                files.sort();
                config.then_some(UnitSource::TerraformModule { dir, files })
            }),
    );
    units.sort();
    let mut errors = errors.into_inner().unwrap();
    errors.sort();
    Discovery { units, errors }
}

fn walk_error(err: &ignore::Error) -> ScanError {
    // The walker's errors wrap the path they happened at; unwrap to say it plainly.
    let mut err = err;
    let mut path = None;
    loop {
        match err {
            ignore::Error::WithPath {
                path: p,
                err: inner,
            } => {
                path = Some(p.clone());
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            ignore::Error::Loop { child, ancestor } => {
                return error(
                    child,
                    &format!(
                        "symbolic link loop (points back to {})",
                        display_path(ancestor)
                    ),
                );
            }
            ignore::Error::Io(io) => {
                return error(path.as_deref().unwrap_or(Path::new(".")), &io_message(io))
            }
            other => {
                return error(
                    path.as_deref().unwrap_or(Path::new(".")),
                    &other.to_string(),
                )
            }
        }
    }
}

pub fn io_message(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}

fn error(path: &Path, message: &str) -> ScanError {
    ScanError {
        file: display_path(path),
        line: None,
        column: None,
        message: message.to_string(),
    }
}

/// A path as every report shows it: relative to the current directory when
/// below it, else as given, with `/` separators.
pub fn display_path(path: &Path) -> String {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok());
    let shown = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let shown = shown.strip_prefix(".").unwrap_or(shown);
    let text = shown.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        ".".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify(Path::new("a/main.tf")), Some(Kind::Terraform));
        assert_eq!(classify(Path::new("a/x.tf.json")), Some(Kind::Terraform));
        assert_eq!(
            classify(Path::new("prod.tfvars")),
            Some(Kind::TerraformVars)
        );
        assert_eq!(
            classify(Path::new("terraform.tfvars.json")),
            Some(Kind::TerraformVars)
        );
        assert_eq!(
            classify(Path::new("t.template")),
            Some(Kind::TemplateCandidate)
        );
        assert_eq!(
            classify(Path::new("stack.YAML")),
            Some(Kind::TemplateCandidate)
        );
        assert_eq!(classify(Path::new("README.md")), None);
    }

    #[test]
    fn terraform_files_group_by_directory_and_variable_files_only_join() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "a/main.tf",
            "a/terraform.tfvars",
            "a/prod.tfvars.json",
            "b/main.tf.json",
            "c/only.tfvars",
            "a/.terraform/modules/m/main.tf",
        ] {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found = discover(&[root.to_path_buf()], WalkOptions::default());
        let modules: Vec<(String, Vec<String>)> = found
            .units
            .iter()
            .map(|unit| match unit {
                UnitSource::TerraformModule { dir, files } => (
                    dir.strip_prefix(root).unwrap().display().to_string(),
                    files
                        .iter()
                        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
                        .collect(),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            modules,
            [
                (
                    "a".to_string(),
                    vec![
                        "main.tf".to_string(),
                        "prod.tfvars.json".to_string(),
                        "terraform.tfvars".to_string()
                    ]
                ),
                ("b".to_string(), vec!["main.tf.json".to_string()]),
            ]
        );
    }

    #[test]
    fn display_paths_are_relative_with_forward_slashes() {
        assert_eq!(display_path(Path::new("./a/b.tf")), "a/b.tf");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(display_path(&cwd.join("x").join("y.tf")), "x/y.tf");
    }
}
