//! `.demarc.yaml`: a repository's standing choices, so CI, the pre-commit
//! hook and a developer's terminal run the same scan.
//!
//! ```yaml
//! include: ["infra/**"]                # scan only these (globs from this file's directory)
//! exclude: ["**/examples/**", "test"]  # and never these
//! rules:
//!   enable: [provider:aws]             # only rules matching one of these (default: all)
//!   disable: [AWS-VPC-001, layer:logging, severity:info]
//!   dirs: [policies/]                  # extra rule directories, like --rules
//!   profiles: [account-baseline]       # turn on rules that are off by default, like --profile
//! severity:                            # per-rule (or per-selector) severity overrides
//!   s3-bucket-access-logging-disabled: low
//! fail-on: high                        # like --fail-on
//! terraform:
//!   var-files: [env/prod.tfvars]       # like --var-file
//! cloudformation:
//!   parameter-files: [params/prod.json]   # like --cfn-params
//! baseline: .demarc-baseline.json      # like --baseline
//! format: sarif                        # the standard-output report, like --format
//! owners:                              # teams by rule selector or path (crate::owners)
//!   layer:logging: "@org/observability"
//! ```
//!
//! A rule selector is a rule id, slug or alias, or `layer:NAME`,
//! `provider:NAME`, `service:NAME`, `severity:LEVEL`. Unknown keys and bad
//! values are errors with their line; command-line flags override the file.
//!
//! A rule with a `profile` (e.g. `account-baseline`: controls that only
//! make sense in the root module that sets up an account) runs only when
//! its profile is turned on, in `rules.profiles` or with `--profile`.
//!
//! The file is part of the scanned repository, so it is untrusted input:
//! every path in it is relative to its directory and must stay inside the
//! repository (the directory holding `.git`, or the scan root outside a
//! repository), symbolic links included; an absolute path or a `..` that
//! leaves is an error with its line. It names no output file: where reports
//! are written comes from the command line only, so a pull request cannot
//! make demarc create or truncate a file (a CI script, a git hook).
//!
//! The file is found at the scan root or above it, up to the repository root
//! (the directory holding `.git`); outside a repository only at the scan
//! root. `--config FILE` names one explicitly.

use crate::finding::{Layer, RuleInfo, Severity};
use crate::model::ScanError;
use crate::report::{Format, Output};
use crate::rules::load::Reader;
use crate::rules::RuleSet;
use crate::source::{SourceFile, Span};
use crate::value::{Entry, Node, Value};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The names the file is looked for under, in order.
pub const FILE_NAMES: [&str; 2] = [".demarc.yaml", ".demarc.yml"];

const TOP_KEYS: [&str; 10] = [
    "include",
    "exclude",
    "rules",
    "severity",
    "fail-on",
    "terraform",
    "cloudformation",
    "baseline",
    "format",
    "owners",
];

/// Which rules a selector picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Id, slug or alias.
    Rule(String),
    Layer(Layer),
    Provider(String),
    Service(String),
    Severity(Severity),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let Some((kind, value)) = text.split_once(':') else {
            return Ok(Selector::Rule(text.to_string()));
        };
        match kind {
            "layer" => Layer::parse(value).map(Selector::Layer).ok_or_else(|| {
                format!("unknown layer `{value}`; expected identity, network, data, logging, host or application")
            }),
            "provider" => Ok(Selector::Provider(value.to_string())),
            "service" => Ok(Selector::Service(value.to_string())),
            "severity" => Severity::parse(value).map(Selector::Severity).ok_or_else(|| {
                format!("unknown severity `{value}`; expected critical, high, medium, low or info")
            }),
            // Checkov ids have no colon, but a future alias might: an
            // unknown prefix is a rule name.
            _ => Ok(Selector::Rule(text.to_string())),
        }
    }

    pub fn matches(&self, rule: &RuleInfo) -> bool {
        match self {
            Selector::Rule(name) => rule.is_named(name),
            Selector::Layer(layer) => rule.layer == *layer,
            Selector::Provider(p) => rule.provider.eq_ignore_ascii_case(p),
            Selector::Service(s) => rule.service.eq_ignore_ascii_case(s),
            Selector::Severity(s) => rule.severity == *s,
        }
    }
}

/// A selector with where it was written, for errors.
#[derive(Clone, Debug)]
pub struct Placed<T> {
    pub value: T,
    pub text: String,
    pub span: Span,
}

/// Which files a scan reads: include and exclude globs, relative to `base`.
#[derive(Clone, Debug)]
pub struct FileFilter {
    pub base: PathBuf,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
}

impl FileFilter {
    /// Whether `path` (as discovered) is scanned. Files outside `base` are
    /// not the config's business.
    pub fn accepts(&self, path: &Path) -> bool {
        self.relative(path).is_none_or(|relative| {
            let included = self
                .include
                .as_ref()
                .is_none_or(|set| set.is_match(&relative));
            included
                && !self
                    .exclude
                    .as_ref()
                    .is_some_and(|set| set.is_match(&relative))
        })
    }

    /// Whether `path` matches an `exclude` glob (`include` aside).
    pub fn excludes(&self, path: &Path) -> bool {
        self.relative(path).is_some_and(|relative| {
            self.exclude
                .as_ref()
                .is_some_and(|set| set.is_match(&relative))
        })
    }

    /// `path` relative to `base`, `/`-separated; `None` outside it.
    fn relative(&self, path: &Path) -> Option<String> {
        let absolute = crate::repo::absolute(path);
        let relative = absolute.strip_prefix(&self.base).ok()?;
        Some(relative.to_string_lossy().replace('\\', "/"))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file, as displayed.
    pub path: String,
    pub filter: Option<FileFilter>,
    pub enable: Vec<Placed<Selector>>,
    pub disable: Vec<Placed<Selector>>,
    pub rule_dirs: Vec<PathBuf>,
    /// Profiles turned on: their rules run besides those of no profile.
    pub profiles: Vec<Placed<String>>,
    pub severity: Vec<(Placed<Selector>, Severity)>,
    /// `Some(None)` is `fail-on: none`.
    pub fail_on: Option<Option<Severity>>,
    pub var_files: Vec<PathBuf>,
    pub parameter_files: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// The standard-output report's format (never a file: see the module
    /// documentation).
    pub format: Option<Format>,
    /// Teams by rule selector or path (see `crate::owners`).
    pub owners: crate::owners::OwnerRules,
    /// The file's text, for locating selector errors found later.
    source: Option<Arc<SourceFile>>,
}

/// The config file that applies to a scan of `scan_root`: at it or above it
/// up to the repository root.
pub fn find(scan_root: &Path) -> Option<PathBuf> {
    let start = crate::repo::absolute(scan_root);
    let start = if start.is_file() {
        start.parent().map(Path::to_path_buf).unwrap_or(start)
    } else {
        start
    };
    let repo_root = crate::repo::find_root(&start);
    for dir in start.ancestors() {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        // Stop at the repository root; outside a repository, at the start.
        match &repo_root {
            Some(root) if dir == root => break,
            None => break,
            _ => {}
        }
    }
    None
}

impl Config {
    /// Reads the file at `path`; the paths in it must stay inside `root`.
    pub fn load(path: &Path, root: &Path) -> Result<Config, Vec<ScanError>> {
        let display = crate::discover::display_path(path);
        let text =
            crate::read::text(path, crate::repo::confinement(path).as_ref()).map_err(|e| {
                vec![ScanError {
                    file: display.clone(),
                    line: None,
                    column: None,
                    message: format!("cannot read the configuration: {e}"),
                }]
            })?;
        let base = crate::repo::absolute(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Config::parse(SourceFile::new(display, text), &base, root)
    }

    /// Reads the file's text; paths in it are relative to `base` and must
    /// stay inside `root`.
    pub fn parse(
        file: SourceFile,
        base: &Path,
        repo_root: &Path,
    ) -> Result<Config, Vec<ScanError>> {
        let file = Arc::new(file);
        let mut r = Reader::new(&file);
        let root = match crate::parse::yaml::parse_yaml(&file.text, 0) {
            Ok(root) => root,
            Err(e) => {
                r.error(e.span.unwrap_or_default(), e.message);
                return Err(r.errors);
            }
        };
        let mut config = Config {
            path: file.display.clone(),
            source: Some(file.clone()),
            ..Config::default()
        };
        if root.value == Value::Null {
            return Ok(config);
        }
        let entries = r.map(&root, "the configuration");
        r.only_keys(entries, &TOP_KEYS, "the configuration");
        let paths = |r: &mut Reader, node: &Node, what: &str| -> Vec<PathBuf> {
            items(node)
                .into_iter()
                .filter_map(|item| {
                    let text = r.string(item, what)?;
                    confine(repo_root, base, &text)
                        .map_err(|e| r.error(item.span, e))
                        .ok()
                })
                .collect()
        };

        let include = get(entries, "include").map(|n| globs(&mut r, n));
        let exclude = get(entries, "exclude").map(|n| globs(&mut r, n));
        if let Some(key) = entries
            .iter()
            .find(|e| (e.key == "include" || e.key == "exclude") && !base.starts_with(repo_root))
        {
            r.error(
                key.key_span,
                format!(
                    "`{}` globs start from this file's directory, which is outside the repository ({})",
                    key.key,
                    repo_root.display()
                ),
            );
        }
        if include.is_some() || exclude.is_some() {
            config.filter = Some(FileFilter {
                base: base.to_path_buf(),
                include: include.flatten(),
                exclude: exclude.flatten(),
            });
        }
        if let Some(rules) = get(entries, "rules") {
            let fields = r.map(rules, "`rules`");
            r.only_keys(
                fields,
                &["enable", "disable", "dirs", "profiles"],
                "`rules`",
            );
            if let Some(n) = get(fields, "enable") {
                config.enable = selectors(&mut r, n);
            }
            if let Some(n) = get(fields, "disable") {
                config.disable = selectors(&mut r, n);
            }
            if let Some(n) = get(fields, "dirs") {
                config.rule_dirs = paths(&mut r, n, "a rule directory");
            }
            if let Some(n) = get(fields, "profiles") {
                config.profiles = items(n)
                    .into_iter()
                    .filter_map(|item| {
                        let text = r.string(item, "a profile name")?;
                        Some(Placed {
                            value: text.clone(),
                            text,
                            span: item.span,
                        })
                    })
                    .collect();
            }
        }
        if let Some(n) = get(entries, "severity") {
            for entry in r.map(n, "`severity`") {
                let selector = Selector::parse(&entry.key).map_err(|e| r.error(entry.key_span, e));
                let level = r.string(&entry.value, "a severity").and_then(|s| {
                    Severity::parse(&s).or_else(|| {
                        r.error(entry.value.span, format!("unknown severity `{s}`; expected critical, high, medium, low or info"));
                        None
                    })
                });
                if let (Ok(selector), Some(level)) = (selector, level) {
                    config.severity.push((
                        Placed {
                            value: selector,
                            text: entry.key.clone(),
                            span: entry.key_span,
                        },
                        level,
                    ));
                }
            }
        }
        if let Some(n) = get(entries, "fail-on") {
            if let Some(s) = r.string(n, "`fail-on`") {
                match (s.as_str(), Severity::parse(&s)) {
                    ("none", _) => config.fail_on = Some(None),
                    (_, Some(level)) => config.fail_on = Some(Some(level)),
                    _ => r.error(n.span, format!("unknown `fail-on` level `{s}`; expected critical, high, medium, low, info or none")),
                }
            }
        }
        if let Some(n) = get(entries, "terraform") {
            let fields = r.map(n, "`terraform`");
            r.only_keys(fields, &["var-files"], "`terraform`");
            if let Some(n) = get(fields, "var-files") {
                config.var_files = paths(&mut r, n, "a var file");
            }
        }
        if let Some(n) = get(entries, "cloudformation") {
            let fields = r.map(n, "`cloudformation`");
            r.only_keys(fields, &["parameter-files"], "`cloudformation`");
            if let Some(n) = get(fields, "parameter-files") {
                config.parameter_files = paths(&mut r, n, "a parameter file");
            }
        }
        if let Some(n) = get(entries, "baseline") {
            if let Some(text) = r.string(n, "`baseline`") {
                config.baseline = confine(repo_root, base, &text)
                    .map_err(|e| r.error(n.span, e))
                    .ok();
            }
        }
        if let Some(n) = get(entries, "format") {
            config.format = read_format(&mut r, n);
        }
        if let Some(n) = get(entries, "owners") {
            config.owners = crate::owners::OwnerRules::parse(&mut r, n, base);
        }
        if r.errors.is_empty() {
            Ok(config)
        } else {
            Err(r.errors)
        }
    }

    /// Applies the rule choices to a rule set: `enable` keeps only matching
    /// rules, `disable` drops matching ones, `severity` overrides. A
    /// selector that picks no rule is an error, so a typo never silently
    /// leaves a rule on.
    pub fn apply_to_rules(&self, rules: &mut RuleSet) -> Result<(), Vec<ScanError>> {
        let Some(file) = &self.source else {
            return Ok(());
        };
        let mut r = Reader::new(file);
        let all: Vec<&Placed<Selector>> = self
            .enable
            .iter()
            .chain(&self.disable)
            .chain(self.severity.iter().map(|(s, _)| s))
            .chain(self.owners.selectors.iter().map(|(s, _)| s))
            .collect();
        for selector in all {
            if !rules
                .rules
                .iter()
                .any(|rule| selector.value.matches(&rule.info))
            {
                r.error(
                    selector.span,
                    format!(
                        "`{}` selects no rule; `demarc rules` lists them",
                        selector.text
                    ),
                );
            }
        }
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        let enabled = |info: &RuleInfo| {
            self.enable.is_empty() || self.enable.iter().any(|s| s.value.matches(info))
        };
        let disabled = |info: &RuleInfo| self.disable.iter().any(|s| s.value.matches(info));
        rules.retain(|rule| enabled(&rule.info) && !disabled(&rule.info));
        for rule in &mut rules.rules {
            // The last override that matches wins, as in the file's order.
            if let Some((_, level)) = self
                .severity
                .iter()
                .rev()
                .find(|(s, _)| s.value.matches(&rule.info))
            {
                let mut info = (*rule.info).clone();
                info.severity = *level;
                rule.info = Arc::new(info);
            }
        }
        Ok(())
    }

    /// Keeps the rules of no profile and those of the profiles turned on,
    /// in `rules.profiles` or in `cli` (`--profile`). Naming a profile no
    /// loaded rule has is an error, so a typo never silently leaves a
    /// profile off.
    pub fn apply_profiles(
        &self,
        rules: &mut RuleSet,
        cli: &[String],
    ) -> Result<(), Vec<ScanError>> {
        let known = |name: &str| {
            rules
                .rules
                .iter()
                .any(|rule| rule.info.profile.as_deref() == Some(name))
        };
        let unknown = |name: &str| {
            format!("`{name}` is no rule's profile; `demarc rules` shows each rule's profile")
        };
        let mut errors = Vec::new();
        if let Some(file) = &self.source {
            let mut r = Reader::new(file);
            for profile in self.profiles.iter().filter(|p| !known(&p.value)) {
                r.error(profile.span, unknown(&profile.value));
            }
            errors = r.errors;
        }
        errors.extend(
            cli.iter()
                .filter(|name| !known(name))
                .map(|name| ScanError {
                    file: "--profile".into(),
                    line: None,
                    column: None,
                    message: unknown(name),
                }),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        let on =
            |name: &String| self.profiles.iter().any(|p| &p.value == name) || cli.contains(name);
        rules.retain(|rule| rule.info.profile.as_ref().is_none_or(on));
        Ok(())
    }
}

fn get<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
    entries.iter().find(|e| e.key == key).map(|e| &e.value)
}

/// A list's items, or the node itself: a single value may stand for a
/// list of one.
fn items(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

/// `text`, a path from the configuration in `base`, checked to stay inside
/// `root`: not absolute, no `..` past the root, and no symbolic link on the
/// way that leads out. A path that does not exist yet is checked as far as
/// it exists (its reader reports it missing).
fn confine(root: &Path, base: &Path, text: &str) -> Result<PathBuf, String> {
    let outside = || {
        format!(
            "`{text}` is outside the repository ({}); paths in the configuration are relative to it and stay inside the repository",
            root.display()
        )
    };
    let written = Path::new(text);
    if written.is_absolute() || written.has_root() {
        return Err(outside());
    }
    let path = crate::repo::absolute(&base.join(written));
    if !path.starts_with(root) {
        return Err(outside());
    }
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let existing = path
        .ancestors()
        .take_while(|p| p.starts_with(root))
        .find(|p| p.symlink_metadata().is_ok());
    if let Some(existing) = existing {
        let real = existing.canonicalize().map_err(|e| {
            format!(
                "cannot resolve `{text}`: {}",
                crate::discover::io_message(&e)
            )
        })?;
        if !real.starts_with(&real_root) {
            return Err(format!(
                "`{text}` leads outside the repository ({}) through a symbolic link",
                root.display()
            ));
        }
    }
    Ok(path)
}

/// `format`: the format of the standard-output report. Report files come
/// from the command line only, so `FORMAT=FILE` is an error here.
fn read_format(r: &mut Reader, node: &Node) -> Option<Format> {
    let list = items(node);
    if let Some(extra) = list.get(1) {
        r.error(
            extra.span,
            "`format` names one format, the standard-output report's; write more reports with `--format FORMAT=FILE` on the command line",
        );
    }
    let item = list.first()?;
    let text = r.string(item, "a format")?;
    match Output::parse(&text) {
        Ok(Output { path: Some(_), .. }) => {
            r.error(
                item.span,
                format!("`{text}`: the configuration cannot name a report file, so a scanned repository cannot choose where demarc writes; use `--format {text}` or `--output` on the command line"),
            );
            None
        }
        Ok(output) => Some(output.format),
        Err(e) => {
            r.error(item.span, e);
            None
        }
    }
}

fn selectors(r: &mut Reader, node: &Node) -> Vec<Placed<Selector>> {
    let mut out = Vec::new();
    for item in items(node) {
        let Some(text) = r.string(item, "a rule selector") else {
            continue;
        };
        match Selector::parse(&text) {
            Ok(value) => out.push(Placed {
                value,
                text,
                span: item.span,
            }),
            Err(e) => r.error(item.span, e),
        }
    }
    out
}

/// A glob list; each pattern also matches everything below a directory of
/// that name (`examples` excludes `examples/…`).
fn globs(r: &mut Reader, node: &Node) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for item in items(node) {
        let Some(text) = r.string(item, "a glob") else {
            continue;
        };
        let pattern = text.trim_start_matches("./").trim_end_matches('/');
        // Globs match paths below this file's directory: an absolute or
        // `..` pattern could never match, so it is a mistake to report.
        if Path::new(pattern).has_root() || pattern.split('/').any(|part| part == "..") {
            r.error(
                item.span,
                format!("glob `{text}` reaches outside this file's directory; globs match paths below it"),
            );
            continue;
        }
        for p in [pattern.to_string(), format!("{pattern}/**")] {
            match GlobBuilder::new(&p).literal_separator(true).build() {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(e) => {
                    r.error(item.span, format!("bad glob `{text}`: {}", e.kind()));
                    break;
                }
            }
        }
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<ScanError>> {
        Config::parse(
            SourceFile::new(".demarc.yaml".into(), text.into()),
            Path::new("/repo"),
            Path::new("/repo"),
        )
    }

    #[test]
    fn reads_every_key() {
        let config = parse(
            "include: [\"infra/**\"]\nexclude: \"**/examples\"\nrules:\n  enable: [provider:aws]\n  disable: [AWS-VPC-001, layer:logging]\n  dirs: [policies]\n  profiles: [account-baseline]\nseverity:\n  AWS-EC2-001: low\nfail-on: none\nterraform:\n  var-files: [prod.tfvars]\ncloudformation:\n  parameter-files: [p.json]\nbaseline: base.json\nformat: [sarif]\n",
        )
        .unwrap();
        let filter = config.filter.unwrap();
        assert!(filter.accepts(Path::new("/repo/infra/main.tf")));
        assert!(!filter.accepts(Path::new("/repo/other/main.tf")));
        assert!(!filter.accepts(Path::new("/repo/infra/examples/x.tf")));
        assert!(filter.accepts(Path::new("/elsewhere/x.tf")));
        assert_eq!(config.enable[0].value, Selector::Provider("aws".into()));
        assert_eq!(config.disable[1].value, Selector::Layer(Layer::Logging));
        assert_eq!(config.rule_dirs, [PathBuf::from("/repo/policies")]);
        assert_eq!(config.profiles[0].value, "account-baseline");
        assert_eq!(config.severity[0].1, Severity::Low);
        assert_eq!(config.fail_on, Some(None));
        assert_eq!(config.var_files, [PathBuf::from("/repo/prod.tfvars")]);
        assert_eq!(config.parameter_files, [PathBuf::from("/repo/p.json")]);
        assert_eq!(config.baseline, Some(PathBuf::from("/repo/base.json")));
        assert_eq!(config.format, Some(Format::Sarif));
    }

    #[test]
    fn errors_name_their_line() {
        let errors = parse("rules:\n  disabel: [x]\nfail-on: urgent\nformat: [pdf]\nseverity:\n  layer:nope: low\n")
            .unwrap_err();
        let lines: Vec<(Option<usize>, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0].0, Some(2));
        assert!(lines[0].1.contains("unknown key `disabel`"));
        assert_eq!(lines[1].0, Some(6));
        assert!(lines[1].1.contains("unknown layer `nope`"));
        assert_eq!(lines[2].0, Some(3));
        assert_eq!(lines[3].0, Some(4));
        assert!(lines[3].1.contains("unknown format `pdf`"));
    }

    #[test]
    fn paths_stay_inside_the_repository_and_formats_name_no_file() {
        let errors = parse(
            "terraform:\n  var-files: [/etc/passwd, ok.tfvars, ../up.tfvars]\ncloudformation:\n  parameter-files: [a/../../b.json]\nbaseline: /tmp/b.json\nrules:\n  dirs: [\"..\"]\nformat: json=out.json\ninclude: [\"../**\"]\n",
        )
        .unwrap_err();
        let lines: Vec<(Option<usize>, Option<usize>)> =
            errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            lines,
            [
                (Some(9), Some(11)),
                (Some(7), Some(10)),
                (Some(2), Some(15)),
                (Some(2), Some(39)),
                (Some(4), Some(21)),
                (Some(5), Some(11)),
                (Some(8), Some(9)),
            ],
            "{errors:?}"
        );
        assert!(errors[2]
            .message
            .contains("`/etc/passwd` is outside the repository"));
        assert!(errors[6].message.contains("cannot name a report file"));
        assert!(errors[0].message.contains("reaches outside"));
        let errors = parse("format: [text, json]\n").unwrap_err();
        assert_eq!(errors[0].line, Some(1));
        assert!(errors[0].message.contains("names one format"));
    }

    #[test]
    fn empty_file_is_an_empty_config() {
        let config = parse("# nothing yet\n").unwrap();
        assert!(config.filter.is_none() && config.format.is_none());
    }

    #[test]
    fn rule_choices_apply_and_unknown_selectors_are_errors() {
        let mut rules = RuleSet::embedded().unwrap();
        let total = rules.rules.len();
        let config = parse(
            "rules:\n  disable: [layer:logging, CKV_AWS_24]\nseverity:\n  AWS-EC2-002: low\n",
        )
        .unwrap();
        config.apply_to_rules(&mut rules).unwrap();
        assert!(rules.rules.len() < total);
        assert!(rules.rules.iter().all(|r| r.info.layer != Layer::Logging));
        assert!(rules.find("AWS-EC2-001").is_none(), "disabled by its alias");
        assert_eq!(
            rules.find("AWS-EC2-002").unwrap().info.severity,
            Severity::Low
        );

        let mut rules = RuleSet::embedded().unwrap();
        let config =
            parse("rules:\n  enable: [provider:gcp]\n  disable:\n    - AWS-NOPE-1\n").unwrap();
        let errors = config.apply_to_rules(&mut rules).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(4));
        assert!(errors[0].message.contains("`AWS-NOPE-1` selects no rule"));
    }
}
