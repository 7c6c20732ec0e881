//! `demarc test`: runs the fixtures of the rules in user rule directories
//! and prints what each one missed or flagged beyond its markers.

use super::{print_config_errors, usage_error, EXIT_CLEAN, EXIT_FINDINGS};
use crate::attribution::Attribution;
use crate::config::Config;
use crate::fixtures::{self, FIXTURES_DIR};
use crate::report::summary::plural;
use crate::rules::RuleSet;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(super) struct TestArgs {
    /// Rule directories: rules (*.yaml, any depth) with their fixtures in DIR/fixtures/<ID>/<framework>/{bad,good}/ [default: `rules.dirs` of .demarc.yaml]
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Read `rules.dirs` from FILE instead of the `.demarc.yaml` found here or above (up to the repository root)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub(super) fn run(args: TestArgs) -> u8 {
    let dirs = if args.dirs.is_empty() {
        let path = args.config.or_else(|| crate::config::find(Path::new(".")));
        let root = super::config_root(Path::new("."));
        let config = match path.as_deref().map(|path| Config::load(path, &root)) {
            Some(Ok(config)) => config,
            Some(Err(errors)) => return print_config_errors(errors),
            None => Config::default(),
        };
        if config.rule_dirs.is_empty() {
            return usage_error(
                "no rule directory to test: name one (`demarc test DIR`) or list them under `rules: {dirs: [...]}` in .demarc.yaml",
            );
        }
        config.rule_dirs
    } else {
        args.dirs
    };

    // Built-in rules load too: user ids must not clash with them, and a
    // fixture may mark a built-in rule's findings as well.
    let mut rules = match RuleSet::embedded() {
        Ok(rules) => rules,
        Err(errors) => return print_config_errors(errors),
    };
    let mut tested_ids = Vec::new();
    for dir in &dirs {
        let before: BTreeSet<String> = rules.rules.iter().map(|r| r.info.id.clone()).collect();
        if let Err(errors) = rules.add_dir(dir) {
            return print_config_errors(errors);
        }
        let added: BTreeSet<String> = rules
            .rules
            .iter()
            .map(|r| r.info.id.clone())
            .filter(|id| !before.contains(id))
            .collect();
        tested_ids.push(added);
    }
    let attribution = match Attribution::embedded() {
        Ok(a) => a,
        Err(errors) => return print_config_errors(errors),
    };
    for warning in attribution.unlisted_rule_types(&rules) {
        eprintln!("warning: {warning}");
    }

    let mut out = String::new();
    let (mut passed, mut failed, mut stray) = (0, 0, 0);
    for (dir, ids) in dirs.iter().zip(&tested_ids) {
        let tested: Vec<_> = rules
            .rules
            .iter()
            .filter(|r| ids.contains(&r.info.id))
            .collect();
        let report = fixtures::check(&rules, &tested, &dir.join(FIXTURES_DIR), &attribution);
        for rule in &report.rules {
            if rule.passed() {
                out.push_str(&format!(
                    "ok {} ({})\n",
                    rule.rule_id,
                    plural(rule.fixtures, "fixture", "fixtures")
                ));
            } else {
                out.push_str(&format!("FAIL {}\n", rule.rule_id));
                for problem in &rule.problems {
                    out.push_str(&format!("  {problem}\n"));
                }
            }
        }
        for problem in &report.stray {
            out.push_str(&format!("stray: {problem}\n"));
        }
        passed += report.passed();
        failed += report.failed();
        stray += report.stray.len();
    }
    out.push_str(&format!("{passed} passed, {failed} failed"));
    if stray > 0 {
        out.push_str(&format!(
            ", {}",
            plural(
                stray,
                "stray fixture directory",
                "stray fixture directories"
            )
        ));
    }
    out.push('\n');
    if let Err(e) = super::print_stdout(&out) {
        return usage_error(&format!("cannot write output: {e}"));
    }
    if failed == 0 && stray == 0 {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }
}
