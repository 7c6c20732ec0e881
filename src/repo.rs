//! The repository a scan runs in: its root (the directory holding `.git`),
//! and file paths relative to it. CODEOWNERS patterns and fingerprints speak
//! of paths from the repository root, so they do not change with the
//! directory demarc is started from.

use std::path::{Component, Path, PathBuf};

/// The nearest directory at or above `start` that contains `.git` (a
/// directory, or a file as in worktrees and submodules).
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = absolute(start);
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` made absolute against the current directory, with `.` and `..`
/// resolved lexically (symbolic links are left alone, as in display paths).
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where a file found in or named inside a repository may be read from: the
/// repository's root (canonical), so a committed link cannot lead a read
/// out of it. `None` (anywhere) for a file outside every repository, which
/// only the user can have named.
pub fn confinement(file: &Path) -> Option<crate::read::Confinement> {
    let dir = absolute(file);
    let root = find_root(dir.parent().unwrap_or(&dir))?;
    Some(crate::read::Confinement::new(vec![root
        .canonicalize()
        .ok()?]))
}

/// Paths as the repository sees them.
#[derive(Clone, Debug, Default)]
pub struct RepoPaths {
    root: Option<PathBuf>,
}

impl RepoPaths {
    /// The repository around `scan_root` (a scanned path), else around the
    /// current directory.
    pub fn around(scan_root: Option<&Path>) -> RepoPaths {
        let root = scan_root
            .and_then(find_root)
            .or_else(|| find_root(Path::new(".")));
        RepoPaths { root }
    }

    pub fn at(root: Option<PathBuf>) -> RepoPaths {
        RepoPaths {
            root: root.map(|r| absolute(&r)),
        }
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// A display path (relative to the current directory, or absolute) as a
    /// `/`-separated path from the repository root; unchanged when there is
    /// no repository or the file lies outside it.
    pub fn relative(&self, display: &str) -> String {
        let Some(root) = &self.root else {
            return display.to_string();
        };
        match absolute(Path::new(display)).strip_prefix(root) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => display.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("infra/net")).unwrap();
        let root = find_root(&dir.path().join("infra/net")).unwrap();
        assert_eq!(root, absolute(dir.path()));
        let repo = RepoPaths::at(Some(root));
        let file = dir.path().join("infra/net/../main.tf");
        assert_eq!(repo.relative(&file.to_string_lossy()), "infra/main.tf");
        assert_eq!(repo.relative("/elsewhere/x.tf"), "/elsewhere/x.tf");
        assert_eq!(RepoPaths::default().relative("a/b.tf"), "a/b.tf");
    }
}
