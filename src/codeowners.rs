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
    pub fn load(root: &Path) -> Option<(CodeOwners, Vec<ScanError>)> {
        LOCATIONS.iter().find_map(|name| {
            let path = root.join(name);
            let text = std::fs::read_to_string(&path).ok()?;
            Some(CodeOwners::parse(
                &text,
                &crate::discover::display_path(&path),
            ))
        })
    }

    pub fn parse(text: &str, display: &str) -> (CodeOwners, Vec<ScanError>) {
        let mut warnings = Vec::new();
        let mut owners = Vec::new();
        let mut builder = GlobSetBuilder::new();
        let mut glob_rule = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut warn = |message: String| {
                warnings.push(ScanError {
                    file: display.to_string(),
                    line: Some(index + 1),
                    column: None,
                    message,
                })
            };
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
            let rule = owners.len();
            owners.push(fields.map(str::to_string).collect());
            for glob in globs {
                builder.add(glob);
                glob_rule.push(rule);
            }
        }
        let set = builder
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty());
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
}
