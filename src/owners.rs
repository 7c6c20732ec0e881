//! Named accountability: the `owners:` section of `.demarc.yaml`, which
//! gives findings a team by rule selector or by path, ahead of CODEOWNERS.
//!
//! ```yaml
//! owners:
//!   AWS-S3-001: "@org/storage"            # a rule id, slug or alias
//!   layer:logging: "@org/observability"   # any rule selector
//!   service:iam: ["@org/security", "@org/platform"]
//!   path:infra/network/**: "@org/network" # a glob from this file's directory
//! ```
//!
//! The order, first that gives a team wins: a selector entry (the last one
//! in the file that matches), then a `path:` entry (the last that matches),
//! then CODEOWNERS. A rule's owner is a standing decision about a kind of
//! control (who runs logging), so it overrides where the file happens to
//! live; CODEOWNERS is the fallback that covers everything else.

use crate::config::{Placed, Selector};
use crate::finding::Finding;
use crate::rules::load::Reader;
use crate::value::Node;
use globset::{GlobBuilder, GlobMatcher};
use std::path::{Path, PathBuf};

/// The `owners:` section, in file order within each kind.
#[derive(Clone, Debug, Default)]
pub struct OwnerRules {
    pub selectors: Vec<(Placed<Selector>, Vec<String>)>,
    paths: Vec<(GlobMatcher, Vec<String>)>,
    /// The directory `path:` globs start from (the config file's).
    base: PathBuf,
}

impl OwnerRules {
    /// Reads the `owners:` mapping; globs are relative to `base`.
    pub fn parse(r: &mut Reader, node: &Node, base: &Path) -> OwnerRules {
        let mut rules = OwnerRules {
            base: base.to_path_buf(),
            ..OwnerRules::default()
        };
        for entry in r.map(node, "`owners`") {
            let teams = r.strings(&entry.value, "a team");
            if teams.is_empty() || teams.iter().any(|t| t.trim().is_empty()) {
                r.error(
                    entry.value.span,
                    "an owner entry names one team or a list of teams",
                );
                continue;
            }
            if let Some(glob) = entry.key.strip_prefix("path:") {
                let pattern = glob.trim_start_matches("./");
                if Path::new(pattern).has_root() || pattern.split('/').any(|p| p == "..") {
                    r.error(
                        entry.key_span,
                        format!("glob `{glob}` reaches outside this file's directory; globs match paths below it"),
                    );
                    continue;
                }
                match GlobBuilder::new(pattern).literal_separator(true).build() {
                    Ok(glob) => rules.paths.push((glob.compile_matcher(), teams)),
                    Err(e) => r.error(entry.key_span, format!("bad glob `{glob}`: {}", e.kind())),
                }
                continue;
            }
            match Selector::parse(&entry.key) {
                Ok(value) => rules.selectors.push((
                    Placed {
                        value,
                        text: entry.key.clone(),
                        span: entry.key_span,
                    },
                    teams,
                )),
                Err(e) => r.error(entry.key_span, e),
            }
        }
        rules
    }

    /// The teams the section gives `finding`, if any (see the module
    /// documentation for the order).
    pub fn teams_of(&self, finding: &Finding) -> Option<&[String]> {
        self.teams_for(&finding.rule, &finding.location.file)
    }

    /// The teams of what `rule` finds in `file` (a display path), as for a
    /// finding there: also for the resources a rule looked at.
    pub fn teams_for(&self, rule: &crate::finding::RuleInfo, file: &str) -> Option<&[String]> {
        let by_rule = self
            .selectors
            .iter()
            .rev()
            .find(|(selector, _)| selector.value.matches(rule));
        if let Some((_, teams)) = by_rule {
            return Some(teams);
        }
        if self.paths.is_empty() {
            return None;
        }
        let absolute = crate::repo::absolute(Path::new(file));
        let relative = absolute.strip_prefix(&self.base).ok()?;
        let relative = relative.to_string_lossy().replace('\\', "/");
        self.paths
            .iter()
            .rev()
            .find(|(glob, _)| glob.is_match(&relative))
            .map(|(_, teams)| teams.as_slice())
    }

    /// Whether an entry names `team` (`@org/team` and `org/team` alike).
    pub fn names(&self, team: &str) -> bool {
        self.selectors
            .iter()
            .map(|(_, teams)| teams)
            .chain(self.paths.iter().map(|(_, teams)| teams))
            .flatten()
            .any(|t| crate::codeowners::same_owner(t, team))
    }
}
