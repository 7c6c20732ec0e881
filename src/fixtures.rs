//! Rule fixtures: each rule's `bad` and `good` examples, scanned and compared
//! with the findings they mark. The built-in library's test harness and
//! `demarc test` (user rule directories) both run them through here, so a
//! user's rules are held to the same standard as demarc's own.
//!
//! Layout, below a fixtures directory: `<ID>/<framework>/{bad,good}/`, each
//! scanned as a whole (a Terraform module, or CloudFormation templates).
//! A line that must be flagged carries `# expect: ID[, ID]` (or
//! `// expect: ...` in HCL); files that take no comments (JSON) list theirs in
//! the directory's `expect.txt`, one `FILE:LINE ID[, ID]` a line. For every
//! rule a directory's expectations name, and for the rule under test, the
//! findings must be exactly the marked lines.

use crate::attribution::Attribution;
use crate::discover::display_path;
use crate::model::ScanError;
pub use crate::rules::FIXTURES_DIR;
use crate::rules::{Rule, RuleSet};
use crate::scan::{scan, ScanOptions};
use std::collections::BTreeSet;
use std::path::Path;

/// The file in a `bad`/`good` directory that lists expectations for files
/// that cannot carry comments.
pub const EXPECT_FILE: &str = "expect.txt";
const MARKERS: [&str; 2] = ["# expect:", "// expect:"];
const KINDS: [&str; 2] = ["bad", "good"];

/// A finding at a place: expected by a marker, or reported by the scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    /// The fixture file, as displayed (relative to the current directory
    /// when below it).
    pub file: String,
    pub line: usize,
    pub rule_id: String,
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} {}", self.file, self.line, self.rule_id)
    }
}

/// Why a rule's fixtures fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Marked, but the rule reported nothing there.
    Missing(Mark),
    /// Reported where nothing is marked.
    Unexpected(Mark),
    /// A fixture directory that is missing, empty, misplaced or unmarked.
    Layout { path: String, message: String },
    /// The fixture could not be scanned, or a marker could not be read.
    Error(ScanError),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing(mark) => write!(f, "missing: {mark}"),
            Problem::Unexpected(mark) => write!(f, "unexpected: {mark}"),
            Problem::Layout { path, message } => write!(f, "{path}: {message}"),
            Problem::Error(error) => write!(f, "error: {error}"),
        }
    }
}

/// One rule's fixtures: how many `bad`/`good` directories ran, and what failed.
#[derive(Debug)]
pub struct RuleReport {
    pub rule_id: String,
    pub fixtures: usize,
    pub problems: Vec<Problem>,
}

impl RuleReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The fixtures of a set of rules, and the fixture directories no rule owns.
#[derive(Debug, Default)]
pub struct Report {
    pub rules: Vec<RuleReport>,
    pub stray: Vec<Problem>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.rules.iter().filter(|r| r.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.rules.len() - self.passed()
    }

    pub fn all_passed(&self) -> bool {
        self.failed() == 0 && self.stray.is_empty()
    }
}

/// Runs the fixtures under `root` of each rule in `tested`, scanning with
/// every rule of `rules` (so markers may name any loaded rule). Directories
/// under `root` whose names start with `_` are left alone (shared material).
pub fn check(rules: &RuleSet, tested: &[&Rule], root: &Path, attribution: &Attribution) -> Report {
    let mut report = Report::default();
    for rule in tested {
        report
            .rules
            .push(check_rule(rules, rule, root, attribution));
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return report;
    };
    let mut orphans: Vec<String> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.path().is_dir()
            && !name.starts_with('_')
            && !tested.iter().any(|r| r.info.id == name)
        {
            orphans.push(name);
        }
    }
    orphans.sort();
    report.stray = orphans
        .into_iter()
        .map(|name| Problem::Layout {
            path: display_path(&root.join(&name)),
            message: format!("fixtures for `{name}`, but no rule here has that id"),
        })
        .collect();
    report
}

fn check_rule(rules: &RuleSet, rule: &Rule, root: &Path, attribution: &Attribution) -> RuleReport {
    let id = &rule.info.id;
    let rule_dir = root.join(id);
    let mut report = RuleReport {
        rule_id: id.clone(),
        fixtures: 0,
        problems: Vec::new(),
    };
    let frameworks: Vec<&str> = rule.info.frameworks.iter().map(|f| f.name()).collect();
    if !rule_dir.is_dir() {
        let wanted: Vec<String> = frameworks
            .iter()
            .map(|f| format!("{f}/bad/ and {f}/good/"))
            .collect();
        report.problems.push(Problem::Layout {
            path: display_path(&rule_dir),
            message: format!("no fixtures: expected {} here", wanted.join(", ")),
        });
        return report;
    }
    report.problems.extend(misplaced(&rule_dir, &frameworks));
    for framework in &frameworks {
        for kind in KINDS {
            let dir = rule_dir.join(framework).join(kind);
            if !dir.is_dir() {
                report.problems.push(Problem::Layout {
                    path: display_path(&dir),
                    message: "missing; each framework a rule checks needs bad/ and good/ fixtures"
                        .into(),
                });
                continue;
            }
            report.fixtures += 1;
            report
                .problems
                .extend(check_dir(rules, id, &dir, kind == "bad", attribution));
        }
    }
    report
}

/// Entries of a rule's fixture directory that no test would read: a
/// framework the rule has no check for, or anything beside `bad/` and `good/`.
fn misplaced(rule_dir: &Path, frameworks: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for framework in sorted_entries(rule_dir) {
        let name = file_name(&framework);
        if !frameworks.contains(&name.as_str()) {
            problems.push(Problem::Layout {
                path: display_path(&framework),
                message: format!("the rule has no {name} check"),
            });
            continue;
        }
        for kind in sorted_entries(&framework) {
            if !(kind.is_dir() && KINDS.contains(&file_name(&kind).as_str())) {
                problems.push(Problem::Layout {
                    path: display_path(&kind),
                    message: "only bad/ and good/ belong here".into(),
                });
            }
        }
    }
    problems
}

/// Scans one `bad` or `good` directory and compares its findings with its
/// expectations.
fn check_dir(
    rules: &RuleSet,
    rule_id: &str,
    dir: &Path,
    is_bad: bool,
    attribution: &Attribution,
) -> Vec<Problem> {
    let known = |id: &str| rules.rules.iter().any(|r| r.info.id == id);
    let (expected, mut problems) = expectations(dir, &known);
    // Findings name files as displayed; so do expectations from here on.
    let expected: BTreeSet<Mark> = expected
        .into_iter()
        .map(|m| Mark {
            file: display_path(&dir.join(&m.file)),
            ..m
        })
        .collect();
    let result = scan(
        &ScanOptions {
            paths: vec![dir.to_path_buf()],
            // A fixture tests its rule; a suppression comment must not hide that.
            no_suppressions: true,
            ..Default::default()
        },
        rules,
        attribution,
    );
    problems.extend(result.errors.into_iter().map(Problem::Error));
    if result.files_scanned == 0 {
        problems.push(Problem::Layout {
            path: display_path(dir),
            message: "no Terraform or CloudFormation file to scan".into(),
        });
    }
    if is_bad && !expected.iter().any(|m| m.rule_id == rule_id) {
        problems.push(Problem::Layout {
            path: display_path(dir),
            message: format!("no `# expect: {rule_id}` marker (or {EXPECT_FILE} line)"),
        });
    }
    let found: BTreeSet<Mark> = result
        .findings
        .iter()
        .map(|f| Mark {
            file: f.location.file.clone(),
            line: f.location.start_line,
            rule_id: f.rule.id.clone(),
        })
        .collect();
    // Every rule an expectation names must match exactly; the rule under
    // test must also stay silent where nothing is marked.
    let compared: BTreeSet<&str> = expected
        .iter()
        .map(|m| m.rule_id.as_str())
        .chain([rule_id])
        .collect();
    let in_view = |m: &&Mark| compared.contains(m.rule_id.as_str());
    for mark in expected.difference(&found).filter(in_view) {
        problems.push(Problem::Missing(mark.clone()));
    }
    for mark in found.difference(&expected).filter(in_view) {
        problems.push(Problem::Unexpected(mark.clone()));
    }
    problems
}

/// The expectations of a fixture directory (files relative to it), from
/// markers in every file and its `expect.txt`, and the lines that could
/// not be read as one or name a rule `known` does not know.
fn expectations(dir: &Path, known: &dyn Fn(&str) -> bool) -> (BTreeSet<Mark>, Vec<Problem>) {
    let mut expected = BTreeSet::new();
    let mut problems = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for path in sorted_entries(&current) {
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Binary or non-UTF-8 files carry no markers; the scan reports them.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let is_expect_file = relative == EXPECT_FILE;
            for (n, line) in text.lines().enumerate() {
                let parsed = if is_expect_file {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    expect_line(line)
                        .map(|(file, number, ids)| (file.to_string(), number, ids))
                        .ok_or_else(|| format!("expected `FILE:LINE ID[, ID]`, found `{line}`"))
                } else {
                    let Some(ids) = MARKERS
                        .iter()
                        .find_map(|m| line.split_once(m).map(|(_, ids)| ids))
                    else {
                        continue;
                    };
                    rule_ids(ids)
                        .map(|ids| (relative.clone(), n + 1, ids))
                        .ok_or_else(|| {
                            format!("expected `# expect: ID[, ID]`, found `{}`", line.trim())
                        })
                };
                let here = |message| {
                    Problem::Error(ScanError {
                        file: display_path(&path),
                        line: Some(n + 1),
                        column: None,
                        message,
                    })
                };
                match parsed {
                    Ok((file, number, ids)) => {
                        for id in ids {
                            if !known(id) {
                                problems.push(here(format!("`{id}` is the id of no loaded rule")));
                            }
                            expected.insert(Mark {
                                file: file.clone(),
                                line: number,
                                rule_id: id.to_string(),
                            });
                        }
                    }
                    Err(message) => problems.push(here(message)),
                }
            }
        }
    }
    (expected, problems)
}

/// `FILE:LINE ID[, ID]`.
fn expect_line(line: &str) -> Option<(&str, usize, Vec<&str>)> {
    let (location, ids) = line.split_once(char::is_whitespace)?;
    let (file, number) = location.rsplit_once(':')?;
    let file = file.trim_start_matches("./");
    let number = number.parse().ok().filter(|&n| n > 0)?;
    Some((file, number, rule_ids(ids)?)).filter(|_| !file.is_empty())
}

/// `ID[, ID]`: none empty, none with spaces inside.
fn rule_ids(text: &str) -> Option<Vec<&str>> {
    text.split(',')
        .map(str::trim)
        .map(|id| Some(id).filter(|id| !id.is_empty() && !id.contains(char::is_whitespace)))
        .collect()
}

fn sorted_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_lines_name_a_file_a_line_and_rules() {
        assert_eq!(
            expect_line("uploads.json:19 AWS-S3-001"),
            Some(("uploads.json", 19, vec!["AWS-S3-001"]))
        );
        assert_eq!(
            expect_line("./a/b.json:3 X-1, Y-2"),
            Some(("a/b.json", 3, vec!["X-1", "Y-2"]))
        );
        for bad in [
            "uploads.json AWS-S3-001",
            "f.json:x ID",
            "f.json:0 ID",
            ":3 ID",
            "f.json:3",
            "f.json:3 A B",
        ] {
            assert_eq!(expect_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn markers_in_hash_and_slash_comments_and_expect_txt_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            "a = 1 # expect: R-1\nb = 2 // expect: R-2, R-3\nc = 3 # expect:\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("t.json"), "{}\n").unwrap();
        std::fs::write(
            dir.path().join(EXPECT_FILE),
            "# comment\n\nt.json:1 R-4\nnot a line\nt.json:1 R-5\n",
        )
        .unwrap();
        let (expected, problems) = expectations(dir.path(), &|id: &str| id != "R-5");
        let got: Vec<(String, usize, String)> = expected
            .into_iter()
            .map(|m| (m.file, m.line, m.rule_id))
            .collect();
        let mark = |f: &str, l, r: &str| (f.to_string(), l, r.to_string());
        assert_eq!(
            got,
            [
                mark("main.tf", 1, "R-1"),
                mark("main.tf", 2, "R-2"),
                mark("main.tf", 2, "R-3"),
                mark("t.json", 1, "R-4"),
                mark("t.json", 1, "R-5"),
            ]
        );
        // Each problem points at the marker's own line: main.tf's empty
        // marker, expect.txt's unreadable line and its unknown rule.
        let mut places: Vec<(String, usize)> = problems
            .iter()
            .map(|p| match p {
                Problem::Error(e) => (
                    e.file.rsplit('/').next().unwrap().to_string(),
                    e.line.unwrap(),
                ),
                other => panic!("unexpected problem {other}"),
            })
            .collect();
        places.sort();
        let place = |f: &str, l| (f.to_string(), l);
        assert_eq!(
            places,
            [
                place(EXPECT_FILE, 4),
                place(EXPECT_FILE, 5),
                place("main.tf", 3)
            ]
        );
    }
}
