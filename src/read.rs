//! The one way demarc reads a file: every IaC file, variable and parameter
//! file, CODEOWNERS, `.demarc.yaml`, baseline and `file()` target goes
//! through [`bounded`].
//!
//! Everything in a scanned repository is untrusted, symbolic links included:
//! a committed `CODEOWNERS -> /dev/zero` or `main.tf -> /etc/passwd` must
//! neither exhaust memory nor leak a file from outside the repository. So a
//! read refuses what is not a regular file (FIFOs, devices, sockets), stops
//! after [`MAX_FILE_BYTES`] whatever the file claims its size is (files in
//! `/proc` report 0), and, when given roots, resolves links and refuses a
//! target outside them.

use crate::parse::limits::MAX_FILE_BYTES;
use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// A symbolic link that leads nowhere (dangling, or a loop).
    BrokenLink,
    /// A FIFO, device, socket or directory.
    NotRegular,
    TooLarge,
    /// The real path lies outside every allowed root.
    OutsideRoot(PathBuf),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => f.write_str(&crate::discover::io_message(e)),
            ReadError::BrokenLink => f.write_str("dangling symbolic link (or a link loop)"),
            ReadError::NotRegular => f.write_str("not a regular file; not read"),
            ReadError::TooLarge => write!(
                f,
                "file is over {} MiB; files over {} MiB are not read",
                MAX_FILE_BYTES >> 20,
                MAX_FILE_BYTES >> 20
            ),
            ReadError::OutsideRoot(real) => write!(
                f,
                "symbolic link to {}, outside the scan root; not read",
                real.display()
            ),
        }
    }
}

/// The canonical directories reads may lead into. It remembers the real
/// path of each directory it has resolved: a scan reads tens of thousands
/// of files from a few thousand directories, and resolving every file's
/// path anew, a system call per component from the root down, was a tenth
/// of its time. Made per scan, so a directory replaced by a link later is
/// seen as it is then.
#[derive(Debug, Default)]
pub struct Confinement {
    roots: Vec<PathBuf>,
    real_dirs: RwLock<HashMap<PathBuf, Option<PathBuf>>>,
}

impl Confinement {
    pub fn new(roots: Vec<PathBuf>) -> Confinement {
        Confinement {
            roots,
            real_dirs: RwLock::default(),
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether a real (canonical) path lies in one of the directories.
    pub fn contains(&self, real: &Path) -> bool {
        self.roots.iter().any(|root| real.starts_with(root))
    }

    /// `path` made absolute and free of links, or as given when it cannot be.
    pub fn real(&self, path: &Path) -> PathBuf {
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        self.real_path(path).unwrap_or_else(|_| path.to_path_buf())
    }

    /// `path` with every link resolved, as [`Path::canonicalize`] gives it:
    /// one that is not itself a link is where its directory really is.
    fn real_path(&self, path: &Path) -> std::io::Result<PathBuf> {
        let not_a_link = std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_symlink());
        if let (true, Some(dir), Some(name)) = (not_a_link, path.parent(), path.file_name()) {
            if let Some(real_dir) = self.real_dir(dir) {
                return Ok(real_dir.join(name));
            }
        }
        path.canonicalize()
    }

    /// The real path of a directory, resolved once, through its parent's.
    fn real_dir(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.real_dirs.read().expect("not poisoned").get(dir) {
            return known.clone();
        }
        let spelled = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let real = self.real_path(spelled).ok();
        self.real_dirs
            .write()
            .expect("not poisoned")
            .insert(dir.to_path_buf(), real.clone());
        real
    }
}

/// Reads `path` whole, at most [`MAX_FILE_BYTES`]. With `within`, the
/// file's real path (links resolved) must lie in it; without, the caller
/// vouches for the path (a file named on the command line).
pub fn bounded(path: &Path, within: Option<&Confinement>) -> Result<Vec<u8>, ReadError> {
    let real = match within {
        Some(confinement) => {
            let real = confinement.real_path(path).map_err(|e| {
                let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                if is_link {
                    ReadError::BrokenLink
                } else {
                    ReadError::Io(e)
                }
            })?;
            if !confinement.contains(&real) {
                return Err(ReadError::OutsideRoot(real));
            }
            real
        }
        None => path.to_path_buf(),
    };
    let metadata = std::fs::metadata(&real).map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular);
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let file = open(&real).map_err(ReadError::Io)?;
    // The file checked above may have been swapped since: check the handle.
    if !file.metadata().map_err(ReadError::Io)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// [`bounded`], as UTF-8 text; errors as messages.
pub fn text(path: &Path, within: Option<&Confinement>) -> Result<Arc<str>, String> {
    let bytes = bounded(path, within).map_err(|e| e.to_string())?;
    String::from_utf8(bytes)
        .map(Arc::from)
        .map_err(|e| format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// Texts that take precedence over the files on disk: an editor's unsaved
/// buffers, by path. Cheap to clone; empty for a command-line scan.
#[derive(Clone, Debug, Default)]
pub struct Overlay(Arc<std::collections::HashMap<PathBuf, Arc<str>>>);

impl Overlay {
    pub fn new(texts: impl IntoIterator<Item = (PathBuf, Arc<str>)>) -> Overlay {
        Overlay(Arc::new(
            texts
                .into_iter()
                .map(|(path, text)| (overlay_key(&path), text))
                .collect(),
        ))
    }

    /// The buffer for `path`, however the path is written (relative,
    /// through links), if there is one.
    pub fn get(&self, path: &Path) -> Option<Arc<str>> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(&overlay_key(path)).cloned()
    }

    /// The buffer paths directly inside `dir`, for files not yet on disk.
    pub fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        let dir = overlay_key(dir);
        self.0
            .keys()
            .filter(|path| path.parent() == Some(dir.as_path()))
            .cloned()
            .collect()
    }

    /// [`text`], the buffer first.
    pub fn text(&self, path: &Path, within: Option<&Confinement>) -> Result<Arc<str>, String> {
        match self.get(path) {
            Some(text) => Ok(text),
            None => text(path, within),
        }
    }
}

/// A path made absolute with its links resolved where it exists (else its
/// directory's), so that every spelling of one file finds one buffer.
fn overlay_key(path: &Path) -> PathBuf {
    let absolute = crate::repo::absolute(path);
    if let Ok(real) = absolute.canonicalize() {
        return real;
    }
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map(|d| d.join(name)).unwrap_or(absolute),
        _ => absolute,
    }
}

/// Opens for reading without blocking on a FIFO swapped in after the check.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn root_of(dir: &tempfile::TempDir) -> Confinement {
        Confinement::new(vec![dir.path().canonicalize().unwrap()])
    }

    #[test]
    fn regular_files_inside_the_root_are_read_through_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.tf"), "x = 1\n").unwrap();
        symlink("a.tf", dir.path().join("b.tf")).unwrap();
        let roots = root_of(&dir);
        assert_eq!(
            bounded(&dir.path().join("b.tf"), Some(&roots)).unwrap(),
            b"x = 1\n"
        );
    }

    #[test]
    fn devices_and_proc_files_are_refused_or_bounded() {
        // Named directly (no root): a device is not a regular file.
        assert!(matches!(
            bounded(Path::new("/dev/zero"), None),
            Err(ReadError::NotRegular)
        ));
        // /proc files say they are empty and regular; the read stops at the cap.
        if let Ok(bytes) = bounded(Path::new("/proc/self/status"), None) {
            assert!(bytes.len() as u64 <= MAX_FILE_BYTES);
        }
        // Through a link in the root, both are outside it.
        let dir = tempfile::tempdir().unwrap();
        symlink("/dev/zero", dir.path().join("CODEOWNERS")).unwrap();
        symlink("/proc/self/pagemap", dir.path().join("pagemap.yaml")).unwrap();
        let roots = root_of(&dir);
        for name in ["CODEOWNERS", "pagemap.yaml"] {
            let err = bounded(&dir.path().join(name), Some(&roots)).unwrap_err();
            assert!(matches!(err, ReadError::OutsideRoot(_)), "{name}: {err}");
        }
    }

    #[test]
    fn fifos_dangling_links_and_outside_targets_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.tf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo is part of coreutils"
        );
        let roots = root_of(&dir);
        assert!(matches!(
            bounded(&fifo, Some(&roots)),
            Err(ReadError::NotRegular)
        ));
        symlink("missing.tf", dir.path().join("dangling.tf")).unwrap();
        assert!(matches!(
            bounded(&dir.path().join("dangling.tf"), Some(&roots)),
            Err(ReadError::BrokenLink)
        ));
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        symlink(outside.path().join("secret"), dir.path().join("leak.tf")).unwrap();
        let err = bounded(&dir.path().join("leak.tf"), Some(&roots)).unwrap_err();
        assert!(err.to_string().contains("outside the scan root"), "{err}");
    }

    #[test]
    fn directories_are_resolved_once_and_a_linked_one_still_confines() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/main.tf"), "x = 1\n").unwrap();
        std::fs::write(outside.path().join("main.tf"), "y = 2\n").unwrap();
        symlink(outside.path(), dir.path().join("a/out")).unwrap();
        let roots = root_of(&dir);
        // A plain file in plain directories, twice: the second read takes
        // the remembered directory and gives the same.
        for _ in 0..2 {
            assert_eq!(
                bounded(&dir.path().join("a/b/main.tf"), Some(&roots)).unwrap(),
                b"x = 1\n"
            );
        }
        // The file itself is no link, but its directory leads outside.
        let err = bounded(&dir.path().join("a/out/main.tf"), Some(&roots)).unwrap_err();
        assert!(matches!(err, ReadError::OutsideRoot(_)), "{err}");
        assert_eq!(
            roots.real(&dir.path().join("a/b/../b/main.tf")),
            dir.path().canonicalize().unwrap().join("a/b/main.tf")
        );
    }

    #[test]
    fn overlay_buffers_win_over_disk_however_the_path_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.tf"), "on disk").unwrap();
        symlink("a.tf", dir.path().join("link.tf")).unwrap();
        let overlay = Overlay::new([
            (dir.path().join("a.tf"), Arc::from("buffer")),
            (dir.path().join("new.tf"), Arc::from("unsaved")),
        ]);
        let roots = root_of(&dir);
        for name in ["a.tf", "link.tf", "./a.tf"] {
            let text = overlay.text(&dir.path().join(name), Some(&roots)).unwrap();
            assert_eq!(&*text, "buffer", "{name}");
        }
        assert_eq!(
            &*overlay.text(&dir.path().join("new.tf"), None).unwrap(),
            "unsaved"
        );
        assert_eq!(overlay.files_in(dir.path()).len(), 2);
        // Without a buffer, the file on disk.
        let empty = Overlay::default();
        assert_eq!(
            &*empty.text(&dir.path().join("a.tf"), None).unwrap(),
            "on disk"
        );
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.tf");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        assert!(matches!(bounded(&big, None), Err(ReadError::TooLarge)));
    }
}
