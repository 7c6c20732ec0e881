//! After the scan, before the reports: the one stage that turns what the
//! rules found into what a team gates on. Each finding gets its teams
//! (`.demarc.yaml` `owners:`, else CODEOWNERS: see `crate::owners`), the baseline suppresses what it already records, and `--owner`
//! keeps the findings of the teams asked for. A library caller gets the same
//! result as the command line by calling [`finish`] after `scan::scan`.
//!
//! Inline and Metadata suppressions are applied earlier, per unit inside the
//! scan, where each unit's parsed files are at hand.

use crate::baseline::Baseline;
use crate::codeowners::CodeOwners;
use crate::finding::{OwnersSource, ScanResult, SuppressionKind};
use crate::owners::OwnerRules;
use crate::repo::RepoPaths;

/// What to apply to a scan's result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Finish<'a> {
    /// Findings in it are suppressed (kind `external`) and counted.
    pub baseline: Option<&'a Baseline>,
    /// Keep only the findings CODEOWNERS gives to one of these teams
    /// (`@org/team` and `org/team` name the same team); empty keeps all.
    pub owners: &'a [String],
    /// The `owners:` section of `.demarc.yaml`, ahead of CODEOWNERS.
    pub owner_rules: Option<&'a OwnerRules>,
}

/// Gives each finding its teams (the config's `owners:`, else the
/// repository's CODEOWNERS, when there is one), then applies the baseline
/// and the owner filter.
/// With an owner filter, a CODEOWNERS line that could not be used is an
/// error, not a warning: the filter would drop its findings unseen.
pub fn finish(result: &mut ScanResult, repo: &RepoPaths, finish: Finish) {
    let codeowners = repo
        .root()
        .and_then(CodeOwners::load)
        .map(|(owners, problems)| {
            match finish.owners.is_empty() {
                true => result.warnings.extend(problems),
                false => result.errors.extend(problems),
            }
            owners
        });
    if let Some(owners) = &codeowners {
        for finding in &mut result.findings {
            let path = repo.relative(&finding.location.file);
            finding.owners = owners.owners_of(&path).to_vec();
            finding.owners_from = (!finding.owners.is_empty()).then_some(OwnersSource::Codeowners);
        }
    }
    if let Some(rules) = finish.owner_rules {
        for finding in &mut result.findings {
            if let Some(teams) = rules.teams_of(finding) {
                finding.owners = teams.to_vec();
                finding.owners_from = Some(OwnersSource::Config);
            }
        }
    }
    if let Some(baseline) = finish.baseline {
        baseline.apply(result, repo);
    }
    if !finish.owners.is_empty() {
        keep_owned_by(result, finish.owners);
        keep_checked_by(result, repo, codeowners.as_ref(), &finish);
    }
}

/// With an owner filter, the resources looked at are the team's too (teams
/// decided as for a finding there), so a compliance control of theirs never
/// passes on other teams' resources.
fn keep_checked_by(
    result: &mut ScanResult,
    repo: &RepoPaths,
    codeowners: Option<&CodeOwners>,
    finish: &Finish,
) {
    let rules = &result.rules;
    result.checked.retain(|c| {
        let by_config = rules
            .iter()
            .find(|r| r.id == c.rule_id)
            .and_then(|rule| finish.owner_rules?.teams_for(rule, &c.file));
        let teams = by_config
            .or_else(|| codeowners.map(|o| o.owners_of(&repo.relative(&c.file))))
            .unwrap_or_default();
        teams.iter().any(|o| {
            finish
                .owners
                .iter()
                .any(|t| crate::codeowners::same_owner(o, t))
        })
    });
}

/// Keeps the findings (and the baseline counts) of the named teams.
fn keep_owned_by(result: &mut ScanResult, teams: &[String]) {
    result.findings.retain(|f| {
        f.owners
            .iter()
            .any(|o| teams.iter().any(|t| crate::codeowners::same_owner(o, t)))
    });
    if let Some(counts) = &mut result.baseline {
        counts.new = result.findings.iter().filter(|f| f.is_active()).count();
        counts.matched = result
            .findings
            .iter()
            .filter(|f| {
                f.suppression
                    .as_ref()
                    .is_some_and(|s| s.kind == SuppressionKind::External)
            })
            .count();
    }
}
