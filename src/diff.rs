//! `--changed-since GIT_REF`: the files changed since a commit, so a pull
//! request or a developer's branch is judged on what it touches.
//!
//! Runs git on the user's own repository (`git diff --name-only REF`, plus
//! untracked files that are not ignored, which a developer's new module is);
//! nothing from the scanned repository is executed. Deleted files are left
//! out: there is nothing to scan in them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files changed since `git_ref` in the repository around `dir`,
/// relative to the current directory when below it.
pub fn changed_since(git_ref: &str, dir: &Path) -> Result<Vec<PathBuf>, String> {
    if git_ref.starts_with('-') {
        return Err(format!("`{git_ref}` is not a git revision"));
    }
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    // `--` ends the revisions, so a file named like the ref is not a pathspec.
    let changed = git(
        dir,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=d",
            git_ref,
            "--",
        ],
    )?;
    let untracked = git(
        dir,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "--full-name",
            "-z",
        ],
    )?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut files: Vec<PathBuf> = changed
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|name| !name.is_empty())
        .map(|name| top.join(name))
        .filter(|path| path.is_file())
        .map(|path| match path.strip_prefix(&cwd) {
            Ok(relative) => relative.to_path_buf(),
            Err(_) => path,
        })
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Keeps the files that lie under one of `roots` (the scan's PATHs).
pub fn under_roots(files: Vec<PathBuf>, roots: &[PathBuf]) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = roots.iter().map(|r| crate::repo::absolute(r)).collect();
    files
        .into_iter()
        .filter(|file| {
            let file = crate::repo::absolute(file);
            roots.iter().any(|root| file.starts_with(root))
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(format!("git {} failed: {first}", args[0]));
    }
    String::from_utf8(output.stdout).map_err(|_| "git printed a path that is not UTF-8".into())
}
