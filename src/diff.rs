//! `--changed-since GIT_REF`: the files changed since a commit, so a pull
//! request or a developer's branch is judged on what it touches.
//!
//! Runs git on the repository around the current directory (`git diff
//! --name-only REF`, plus untracked files that are not ignored, which a
//! developer's new module is). Deleted files are listed apart: there is
//! nothing to scan in them, but the module they leave behind has changed
//! (a deleted `flowlog.tf` can leave a VPC without flow logs). A rename is a
//! deletion and an addition, so both places are judged again.
//!
//! The scanned repository is untrusted, so git must not be steered by it.
//! The repository is the one holding `.git` at or above the current
//! directory, never found from a scanned path: a pull request can commit
//! `infra/HEAD`, `infra/objects/`, `infra/refs/` and an `infra/config` with
//! `core.worktree = ..` and `core.fsmonitor = <command>`, and git started in
//! `infra/` would take that for a repository and run the command. git gets
//! that repository explicitly (`GIT_DIR`, `GIT_WORK_TREE`), none of the
//! inherited `GIT_*` variables, no system configuration, and command-line
//! settings that switch off everything able to run a program or reach the
//! network (fsmonitor, hooks, external diff and textconv, pagers,
//! transports). Its ownership check (`safe.directory`) stays as the user
//! configured it: demarc does not widen it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Settings that keep git from running anything or fetching: they beat the
/// repository's and the user's configuration.
const HARDENING: [&str; 7] = [
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "protocol.allow=never",
    // Never take a directory holding HEAD, objects and refs for a bare
    // repository unless told to.
    "safe.bareRepository=explicit",
    "submodule.recurse=false",
];

/// What changed since a git ref, as paths relative to the current
/// directory when below it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files added, modified or renamed to, and untracked files that are not
    /// ignored; links are kept (reading them is the scan's business, which
    /// stays inside the scan root).
    pub files: Vec<PathBuf>,
    /// Files deleted or renamed away from.
    pub deleted: Vec<PathBuf>,
}

/// The files changed since `git_ref` in the repository around the current
/// directory.
pub fn changed_since(git_ref: &str) -> Result<Changes, String> {
    if git_ref.starts_with('-') {
        return Err(format!("`{git_ref}` is not a git revision"));
    }
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let top = crate::repo::find_root(&cwd).ok_or_else(|| {
        "the current directory is not in a git repository (run demarc from the repository)"
            .to_string()
    })?;
    let changed = diff_names(&top, git_ref, "--diff-filter=d")?;
    let deleted = diff_names(&top, git_ref, "--diff-filter=D")?;
    let untracked = git(
        &top,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "--full-name",
            "-z",
        ],
    )?;
    let relative = |path: PathBuf| match path.strip_prefix(&cwd) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => path,
    };
    let mut files: Vec<PathBuf> = names(&changed)
        .chain(names(&untracked))
        .map(|name| top.join(name))
        // A file or a link, never what a link leads to (a directory).
        .filter(|path| std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() || m.is_symlink()))
        .map(relative)
        .collect();
    files.sort();
    files.dedup();
    let mut deleted: Vec<PathBuf> = names(&deleted)
        .map(|name| top.join(name))
        // Gone from the work tree too: a file deleted and made again is
        // among the changed files.
        .filter(|path| std::fs::symlink_metadata(path).is_err())
        .map(relative)
        .collect();
    deleted.sort();
    Ok(Changes { files, deleted })
}

/// `git diff --name-only` against `git_ref`, keeping the files `filter`
/// (a `--diff-filter=` argument) selects. No rename detection, so a rename
/// is its deletion and its addition.
fn diff_names(top: &Path, git_ref: &str, filter: &str) -> Result<String, String> {
    // `--` ends the revisions, so a file named like the ref is not a pathspec.
    git(
        top,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules=all",
            filter,
            git_ref,
            "--",
        ],
    )
}

/// The names in git's NUL-separated output.
fn names(output: &str) -> impl Iterator<Item = &str> {
    output.split('\0').filter(|name| !name.is_empty())
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

/// Runs git on the repository whose work tree is `top`, hardened.
fn git(top: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GIT_") {
            command.env_remove(name);
        }
    }
    command
        .env("GIT_DIR", top.join(".git"))
        .env("GIT_WORK_TREE", top)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .current_dir(top)
        .arg("--no-pager");
    for setting in HARDENING {
        command.arg("-c").arg(setting);
    }
    let output = command
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(format!("git {} failed: {first}", args[0]));
    }
    String::from_utf8(output.stdout).map_err(|_| "git printed a path that is not UTF-8".into())
}
