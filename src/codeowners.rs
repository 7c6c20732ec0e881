//! CODEOWNERS: which team answers for a finding.
//!
//! Read as GitHub reads it: the first of `.github/CODEOWNERS`, `CODEOWNERS`,
//! `docs/CODEOWNERS` at the repository root; one `PATTERN OWNER...` per
//! line, `#` comments; the last matching line wins, and a line without owners
//! makes its paths unowned. Patterns follow gitignore's rules as GitHub
//! applies them: a pattern with a `/` at its start or in its middle is
//! anchored at the root, one without matches at any depth; a trailing `/`
//! matches a directory's contents; `*` stays within one path segment and
//! `**` crosses them; `docs/*` matches files directly in `docs/` only.
//! Negation (`!`) and character ranges (`[ ]`) are not supported by GitHub
//! and are reported as warnings here.

use crate::model::ScanError;
use globset::{GlobBuilder, GlobSetBuilder};
use std::path::Path;

/// Where GitHub looks, in its order of precedence.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

#[derive(Debug)]
pub struct CodeOwners {
    /// The owners of each rule, in file order.
    owners: Vec<Vec<String>>,
    set: globset::GlobSet,
    /// Glob index in `set` → rule index.
    glob_rule: Vec<usize>,
}

impl CodeOwners {
    /// The CODEOWNERS file of the repository at `root`, if there is one, and
    /// the warnings its lines gave.
    /// One that exists but cannot be read (a link out of the repository, a
    /// device, too large) gives no owners and a warning saying why.
    pub fn load(root: &Path) -> Option<(CodeOwners, Vec<ScanError>)> {
        let roots = crate::read::Confinement::new(vec![root.canonicalize().ok()?]);
        LOCATIONS.iter().find_map(|name| {
            let path = root.join(name);
            std::fs::symlink_metadata(&path).ok()?;
            let display = crate::discover::display_path(&path);
            Some(match crate::read::text(&path, Some(&roots)) {
                Ok(text) => CodeOwners::parse(&text, &display),
                Err(message) => {
                    let (empty, _) = CodeOwners::parse("", &display);
                    let message = format!("not read: {message}; findings have no owners");
                    (empty, vec![warning(&display, None, message)])
                }
            })
        })
    }

    pub fn parse(text: &str, display: &str) -> (CodeOwners, Vec<ScanError>) {
        let mut warnings = Vec::new();
        let mut owners = Vec::new();
        // Per rule: its line and globs.
        let mut compiled: Vec<(usize, Vec<globset::Glob>)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut warn =
                |message: String| warnings.push(warning(display, Some(index + 1), message));
            // An inline comment ends the owner list.
            let line = line.split(" #").next().unwrap_or(line);
            let mut fields = line.split_whitespace();
            let Some(pattern) = fields.next() else {
                continue;
            };
            if pattern.starts_with('!') || pattern.contains('[') {
                warn(format!(
                    "pattern `{pattern}` uses syntax CODEOWNERS does not support (`!`, `[ ]`); the line is ignored"
                ));
                continue;
            }
            let globs = match globs_for(pattern) {
                Ok(globs) => globs,
                Err(e) => {
                    warn(format!("pattern `{pattern}` is not valid: {e}"));
                    continue;
                }
            };
            owners.push(fields.map(str::to_string).collect());
            compiled.push((index + 1, globs));
        }
        let (set, glob_rule) = match build(&compiled, |_| true) {
            Ok(built) => built,
            // One pattern too large to match with can sink the whole set:
            // name each such line and keep the others.
            Err(_) => {
                let mut fits = vec![true; compiled.len()];
                for (rule, (line, _)) in compiled.iter().enumerate() {
                    if let Err(e) = build(&compiled, |r| r == rule) {
                        fits[rule] = false;
                        warnings.push(warning(
                            display,
                            Some(*line),
                            format!("pattern cannot be matched ({e}); the line is ignored"),
                        ));
                    }
                }
                build(&compiled, |r| fits[r]).unwrap_or_else(|e| {
                    warnings.push(warning(
                        display,
                        None,
                        format!(
                            "patterns cannot be matched together ({e}); no owners are assigned"
                        ),
                    ));
                    (globset::GlobSet::empty(), Vec::new())
                })
            }
        };
        (
            CodeOwners {
                owners,
                set,
                glob_rule,
            },
            warnings,
        )
    }

    /// Whether any line names `owner` (see [`same_owner`]).
    pub fn names(&self, owner: &str) -> bool {
        self.owners.iter().flatten().any(|o| same_owner(o, owner))
    }

    /// The owners of a path relative to the repository root (`/`-separated).
    pub fn owners_of(&self, path: &str) -> &[String] {
        self.set
            .matches(path)
            .into_iter()
            .map(|glob| self.glob_rule[glob])
            .max()
            .map_or(&[], |rule| &self.owners[rule])
    }
}

/// Whether two spellings name the same owner: `@org/team` and `org/team`
/// alike, and without regard to case, as GitHub compares them.
pub fn same_owner(a: &str, b: &str) -> bool {
    a.trim_start_matches('@')
        .eq_ignore_ascii_case(b.trim_start_matches('@'))
}

/// The glob set of the rules `keep` selects, and each glob's rule.
fn build(
    compiled: &[(usize, Vec<globset::Glob>)],
    keep: impl Fn(usize) -> bool,
) -> Result<(globset::GlobSet, Vec<usize>), globset::Error> {
    let mut builder = GlobSetBuilder::new();
    let mut glob_rule = Vec::new();
    for (rule, (_, globs)) in compiled.iter().enumerate().filter(|(r, _)| keep(*r)) {
        for glob in globs {
            builder.add(glob.clone());
            glob_rule.push(rule);
        }
    }
    Ok((builder.build()?, glob_rule))
}

fn warning(display: &str, line: Option<usize>, message: String) -> ScanError {
    ScanError {
        file: display.to_string(),
        line,
        column: None,
        message,
    }
}

/// The globs one pattern stands for.
fn globs_for(pattern: &str) -> Result<Vec<globset::Glob>, globset::Error> {
    let directory_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let body = trimmed.trim_start_matches('/');
    let base = if anchored || body.starts_with("**/") {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let mut texts = Vec::new();
    if body.is_empty() {
        // `/` alone: the whole repository.
        texts.push("**".to_string());
    } else if directory_only {
        texts.push(format!("{base}/**"));
    } else {
        texts.push(base.clone());
        // A name may be a directory: everything below it. Not for `dir/*`,
        // which GitHub limits to the files directly in `dir`.
        if !body.ends_with("/*") && body != "*" {
            texts.push(format!("{base}/**"));
        }
    }
    texts
        .into_iter()
        .map(|t| GlobBuilder::new(&t).literal_separator(true).build())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# Default owners
*                 @org/platform
*.tf              @org/terraform
/infra/network/   @org/network   # inline comment
docs/*            @org/docs
apps/             @org/apps
**/logs           @org/logging
/infra/legacy/    
!negated          @org/nobody
";

    #[test]
    fn github_pattern_rules_last_match_wins() {
        let (owners, warnings) = CodeOwners::parse(FILE, "CODEOWNERS");
        let of = |p: &str| owners.owners_of(p).join(" ");
        assert_eq!(of("README.md"), "@org/platform");
        assert_eq!(of("modules/x/main.tf"), "@org/terraform");
        assert_eq!(of("infra/network/vpc.tf"), "@org/network");
        assert_eq!(of("infra/network/deep/sg.yaml"), "@org/network");
        // Not anchored elsewhere.
        assert_eq!(of("other/infra/network/vpc.yaml"), "@org/platform");
        assert_eq!(of("docs/guide.md"), "@org/docs");
        assert_eq!(of("docs/deep/guide.md"), "@org/platform");
        assert_eq!(of("src/apps/web/main.tf"), "@org/apps");
        assert_eq!(of("a/b/logs/x.yaml"), "@org/logging");
        // An owner-less line un-owns.
        assert_eq!(of("infra/legacy/old.tf"), "");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(9));
    }

    #[test]
    fn a_pattern_too_large_to_match_is_named_and_the_others_kept() {
        // A 50,000-way alternation compiles as a glob but not into a matcher.
        let huge: Vec<String> = (0..50_000).map(|i| format!("x{i}*y")).collect();
        let text = format!(
            "*.tf @org/terraform\n{{{}}} @org/huge\n/infra/ @org/infra\n",
            huge.join(",")
        );
        let (owners, warnings) = CodeOwners::parse(&text, "CODEOWNERS");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(2));
        assert!(warnings[0].message.contains("cannot be matched"));
        assert_eq!(owners.owners_of("infra/main.tf"), ["@org/infra"]);
        assert_eq!(owners.owners_of("app/main.tf"), ["@org/terraform"]);
    }
}
