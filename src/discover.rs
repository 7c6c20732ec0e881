//! Finds the IaC files under the given paths and groups them into scan units.
//!
//! The walk only classifies by name; reading and content checks (is this YAML
//! a CloudFormation template?) happen later, in parallel, per unit. Like
//! ripgrep, the walker is separate from what consumes it.

use crate::model::ScanError;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
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
    /// Report directory links that leave the scan root or loop. Links to
    /// directories inside it are scanned once, under their real path;
    /// links to files are read either way, inside the root only.
    pub follow_symlinks: bool,
    /// Walker threads; 0 lets the walker choose.
    pub threads: usize,
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
    let real_roots: Vec<PathBuf> = paths.iter().filter_map(|p| p.canonicalize().ok()).collect();
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
        // `.gitignore` does not hide IaC: Terraform loads every `.tf` file of
        // a directory whatever git ignores, and a committed `.gitignore` is
        // as untrusted as the rest of the repository.
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .filter_entry(|e| {
                !(e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && SKIPPED_DIRS.iter().any(|s| e.file_name() == *s))
            })
            .threads(options.threads)
            .build_parallel();
        let real_roots = &real_roots;
        walker.run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let path = entry.path();
                        let kind = classify(path);
                        match entry.file_type() {
                            Some(t) if t.is_file() => {
                                if let Some(kind) = kind {
                                    found.lock().unwrap().push((kind, path.to_path_buf()))
                                }
                            }
                            Some(t) if t.is_symlink() => match std::fs::metadata(path) {
                                Ok(target) if target.is_dir() => {
                                    if options.follow_symlinks {
                                        if let Some(e) = directory_link(path, real_roots) {
                                            errors.lock().unwrap().push(e);
                                        }
                                    }
                                }
                                // A link to a file, or to nowhere: read as
                                // Terraform reads it, and the read refuses a
                                // target outside the scan root.
                                _ => {
                                    if let Some(kind) = kind {
                                        found.lock().unwrap().push((kind, path.to_path_buf()))
                                    }
                                }
                            },
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
    let mut modules: HashMap<PathBuf, (Vec<PathBuf>, bool)> = HashMap::new();
    let mut templates = Vec::new();
    let mut found = found.into_inner().unwrap();
    found.par_sort_by_cached_key(|(kind, path)| (*kind, path_order(path)));
    found.dedup();
    for (kind, path) in found {
        match kind {
            Kind::Terraform | Kind::TerraformVars => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let module = modules.entry(dir).or_default();
                module.0.push(path);
                module.1 |= kind == Kind::Terraform;
            }
            Kind::TemplateCandidate => templates.push(UnitSource::TemplateCandidate(path)),
        }
    }
    let mut modules: Vec<(PathBuf, Vec<PathBuf>)> = modules
        .into_iter()
        .filter_map(|(dir, (files, config))| config.then_some((dir, files)))
        .collect();
    modules.par_sort_by_cached_key(|(dir, _)| path_order(dir));
    // In `UnitSource` order: modules by directory, then templates by path.
    let mut units: Vec<UnitSource> = modules
        .into_iter()
        .map(|(dir, mut files)| {
            files.sort_by_cached_key(|f| path_order(f));
            UnitSource::TerraformModule { dir, files }
        })
        .collect();
    units.extend(templates);
    let mut errors = errors.into_inner().unwrap();
    errors.sort();
    Discovery { units, errors }
}

/// A sort key in `Path`'s order (component by component): tens of
/// thousands of paths sort by comparing bytes, where comparing paths splits
/// both into components at every step.
pub fn path_order(path: &Path) -> Vec<u8> {
    let mut key = Vec::with_capacity(path.as_os_str().len() + 16);
    for component in path.components() {
        // Kinds of component order as `Component` declares them.
        key.push(match component {
            Component::Prefix(_) => 0,
            Component::RootDir => 1,
            Component::CurDir => 2,
            Component::ParentDir => 3,
            Component::Normal(_) => 4,
        });
        key.extend_from_slice(component.as_os_str().as_encoded_bytes());
        // Ends the component below any byte in a name: `a` before `ab`.
        key.push(0);
    }
    key
}

/// With `--follow-symlinks`, a link to a directory: one inside a scanned
/// root is that directory, which the walk reaches under its real path, so
/// following it too would only scan it again (doubled links would multiply
/// every finding); one leading out of the roots, or back to an ancestor,
/// is reported.
fn directory_link(link: &Path, real_roots: &[PathBuf]) -> Option<ScanError> {
    let target = link.canonicalize().ok()?;
    if !real_roots.iter().any(|root| target.starts_with(root)) {
        return Some(error(
            link,
            &format!(
                "symbolic link to {}, outside the scan root; not followed",
                target.display()
            ),
        ));
    }
    let parent = link.parent().and_then(|p| p.canonicalize().ok())?;
    parent.starts_with(&target).then(|| {
        error(
            link,
            &format!(
                "symbolic link loop (points back to {})",
                display_path(&target)
            ),
        )
    })
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
    fn path_order_sorts_as_paths_do() {
        let paths: Vec<PathBuf> = [
            "a",
            "a/b",
            "a-b",
            "a0",
            "ab",
            "a/b/c",
            "a/.b",
            "/a",
            "/",
            "./a",
            "../a",
            "a/../b",
            "a//b",
            "b",
            "a b",
            "a/b.tf",
            "a/b/main.tf",
            "a.tf",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        for x in &paths {
            for y in &paths {
                assert_eq!(
                    path_order(x).cmp(&path_order(y)),
                    x.cmp(y),
                    "{} against {}",
                    x.display(),
                    y.display()
                );
            }
        }
    }

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
