//! The command line: `demarc scan`, `demarc baseline`, `demarc rules`,
//! `demarc explain`, `demarc test`, `demarc lsp`.
//!
//! A scan runs the same way wherever it is started: `.demarc.yaml` (found
//! from the scan root up to the repository root, or `--config`) supplies
//! the standing choices and flags override it; then the scan, the
//! post-processing stage (CODEOWNERS teams, the baseline, `--owner`), and
//! one or more reports.

use crate::attribution::Attribution;
use crate::baseline::Baseline;
use crate::codeowners::CodeOwners;
use crate::config::Config;
use crate::discover::WalkOptions;
use crate::eval::cloudformation::CloudFormationOptions;
use crate::eval::terraform::TerraformOptions;
use crate::finding::{ScanResult, Severity};
use crate::model::{Framework, ScanError};
use crate::postprocess;
use crate::repo::RepoPaths;
use crate::report::{self, Format, Output, RenderOptions};
use crate::rules::RuleSet;
use crate::scan::{self, ScanOptions};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

mod lsp;
mod rule_test;

/// Exit codes (design.md): what a CI gate reads.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
/// `--require-owner`, and an unsuppressed finding no team answers for.
pub const EXIT_UNOWNED: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "demarc",
    version,
    about = "Find customer-side cloud misconfigurations in Terraform and CloudFormation before deploy",
    long_about = "demarc scans Terraform (.tf) and CloudFormation (YAML/JSON) for misconfigurations that sit on the \
customer's side of the cloud shared-responsibility model: public storage, open network paths, disabled logging, \
weak host settings, unencrypted data. Every finding names its responsibility layer and owner.\n\n\
Start with `demarc scan .` in a repository.",
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 such findings; 2 usage/configuration error or input that could not be scanned."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan files and directories for misconfigurations
    Scan(ScanArgs),
    /// Record today's findings in a baseline file, so `scan --baseline` reports only new ones
    Baseline(BaselineArgs),
    /// List the rules: id, severity, layer, summary
    Rules(RulesArgs),
    /// Show a rule's documentation: what it checks, why, how to fix
    Explain(ExplainArgs),
    /// Run the bad/good fixtures of the rules in user rule directories
    Test(rule_test::TestArgs),
    /// List the compliance frameworks: version, controls, how many code can check and demarc's rules evidence
    Compliance(ComplianceArgs),
    /// Run a Language Server on standard input and output, for editors
    Lsp(lsp::LspArgs),
}

#[derive(clap::Args, Debug)]
struct ComplianceArgs {
    /// Also count the rules in DIR as evidence
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

/// What to scan and how to read it: shared by `scan` and `baseline`.
#[derive(clap::Args, Debug)]
struct InputArgs {
    /// Files or directories to scan. A file brings in its module or template and reports only what lies in it (as pre-commit passes files)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Read settings from FILE instead of the `.demarc.yaml` found at the scan root or above it (up to the repository root)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also load the rules in DIR (YAML files in the built-in rule format); repeatable
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// Also run the rules of PROFILE, which are off by default (e.g. `account-baseline` for the root module that sets up an account); repeatable, adds to `rules.profiles` of .demarc.yaml
    #[arg(long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Report links to directories that leave the scan root or loop (a directory link inside the root is scanned once, under its real path; file links are read inside the root either way)
    #[arg(long)]
    follow_symlinks: bool,
    /// Worker threads (default: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Terraform: read variable values from FILE (.tfvars or .tfvars.json); repeatable, later files win
    #[arg(long, value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// Terraform: set a variable, as `terraform plan -var`; repeatable, beats every file
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = key_value)]
    vars: Vec<(String, String)>,
    /// CloudFormation: read parameter values from FILE (the CLI's ParameterKey/ParameterValue list or a {"Key": "Value"} map); repeatable
    #[arg(long = "cfn-params", value_name = "FILE")]
    cfn_param_files: Vec<PathBuf>,
    /// CloudFormation: set a parameter; repeatable, beats every file
    #[arg(long = "cfn-param", value_name = "KEY=VALUE", value_parser = key_value)]
    cfn_params: Vec<(String, String)>,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Report format: text, json, sarif, junit, gitlab, github, markdown or html; FORMAT=FILE writes that report to FILE. Repeatable; at most one to standard output
    #[arg(long, short, value_name = "FORMAT[=FILE]", value_parser = Output::parse)]
    format: Vec<Output>,
    /// Write the standard-output report to FILE instead
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a finding has this severity or higher (`none`: never) [default: low]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Report only findings not in this baseline (see `demarc baseline`); the others count as suppressed
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Scan only files changed since GIT_REF (git diff, plus untracked files, in the git repository around the current directory), each with its module or template as context
    #[arg(long, value_name = "GIT_REF")]
    changed_since: Option<String>,
    /// Keep only findings .demarc.yaml `owners:` or CODEOWNERS gives to TEAM (e.g. @org/network); repeatable
    #[arg(long, value_name = "TEAM")]
    owner: Vec<String>,
    /// Exit with 3 when an unsuppressed finding has no owning team (neither .demarc.yaml `owners:` nor CODEOWNERS names one)
    #[arg(long)]
    require_owner: bool,
    /// Ignore inline and Metadata suppressions: report everything (for audits)
    #[arg(long)]
    no_suppressions: bool,
    /// Print only the findings (and errors): no summary, warnings or progress
    #[arg(long, short)]
    quiet: bool,
    /// Never colour the text report (colour is also off when NO_COLOR is set or output is not a terminal)
    #[arg(long)]
    no_color: bool,
    /// Report each control of FRAMEWORK (e.g. cis-aws-3.0) as fail, pass, not_applicable or not_checked in this scan; repeatable. `demarc compliance` lists them
    #[arg(long, value_name = "FRAMEWORK")]
    compliance: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct BaselineArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Write the baseline to FILE
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

/// Parses `NAME=VALUE` (the value may itself contain `=`).
fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    None,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

#[derive(clap::Args, Debug)]
struct RulesArgs {
    /// Also list the rules in DIR
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct ExplainArgs {
    /// Rule id, slug, or a Checkov/Trivy alias (e.g. AWS-S3-001, CKV_AWS_24)
    rule: String,
    /// Also search the rules in DIR
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    let code = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Baseline(args) => run_baseline(args),
        Command::Rules(args) => run_rules(args),
        Command::Explain(args) => run_explain(args),
        Command::Test(args) => rule_test::run(args),
        Command::Compliance(args) => run_compliance(args),
        Command::Lsp(args) => lsp::run(args),
    };
    ExitCode::from(code)
}

/// The built-in rules plus those of `dirs`; configuration errors are printed.
fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, u8> {
    let mut rules = RuleSet::embedded().map_err(print_config_errors)?;
    for dir in dirs {
        rules.add_dir(dir).map_err(print_config_errors)?;
    }
    Ok(rules)
}

fn print_config_errors(errors: Vec<ScanError>) -> u8 {
    for e in errors {
        eprintln!("error: {e}");
    }
    EXIT_ERROR
}

fn usage_error(message: &str) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

/// `a` when the command line gave one, else the config's.
fn or_config<T: Clone>(cli: &[T], config: &[T]) -> Vec<T> {
    if cli.is_empty() {
        config.to_vec()
    } else {
        cli.to_vec()
    }
}

/// Where the paths of `.demarc.yaml` must stay: the repository around the
/// scan root (the directory holding `.git`), else the scan root itself.
fn config_root(scan_root: &std::path::Path) -> PathBuf {
    let dir = crate::repo::absolute(scan_root);
    let dir = match dir.parent() {
        Some(parent) if dir.is_file() => parent.to_path_buf(),
        _ => dir,
    };
    crate::repo::find_root(&dir).unwrap_or(dir)
}

/// Everything a scan needs, settled from the command line and the config.
struct Prepared {
    config: Config,
    rules: RuleSet,
    attribution: Attribution,
    options: ScanOptions,
    repo: RepoPaths,
    /// The progress bar the scan drives, cleared when it ends.
    progress: Option<indicatif::ProgressBar>,
    /// Rule resource types the catalog does not list.
    rule_warnings: Vec<ScanError>,
}

/// The settings for a scan of `scan_root`: `config`, else the
/// `.demarc.yaml` found from it upwards, and the rules that config and
/// `rule_dirs` (which win over its `rules.dirs`) select.
fn configured_rules(
    scan_root: &std::path::Path,
    config: Option<PathBuf>,
    rule_dirs: &[PathBuf],
    profiles: &[String],
) -> Result<(Config, RuleSet), Vec<ScanError>> {
    let config = match config.or_else(|| crate::config::find(scan_root)) {
        Some(path) => Config::load(&path, &config_root(scan_root))?,
        None => Config::default(),
    };
    let mut rules = RuleSet::embedded()?;
    for dir in or_config(rule_dirs, &config.rule_dirs) {
        rules.add_dir(&dir)?;
    }
    config.apply_to_rules(&mut rules)?;
    config.apply_profiles(&mut rules, profiles)?;
    Ok((config, rules))
}

fn prepare(input: InputArgs, progress: bool, no_suppressions: bool) -> Result<Prepared, u8> {
    let scan_root = input.paths.first().cloned().unwrap_or_else(|| ".".into());
    let (config, rules) = configured_rules(
        &scan_root,
        input.config.clone(),
        &input.rule_dirs,
        &input.profiles,
    )
    .map_err(print_config_errors)?;
    let attribution = Attribution::embedded().map_err(print_config_errors)?;
    let progress = progress.then(progress_bar);
    let rule_warnings = attribution.unlisted_rule_types(&rules);
    let options = ScanOptions {
        paths: input.paths,
        walk: WalkOptions {
            follow_symlinks: input.follow_symlinks,
            ..WalkOptions::default()
        },
        terraform: TerraformOptions {
            var_files: or_config(&input.var_file, &config.var_files),
            vars: input.vars,
        },
        cloudformation: CloudFormationOptions {
            parameter_files: or_config(&input.cfn_param_files, &config.parameter_files),
            parameters: input.cfn_params,
        },
        threads: input.threads,
        no_suppressions,
        file_filter: config.filter.clone(),
        progress: progress.as_ref().map(progress_sink),
        list_checked: false,
        overlay: Default::default(),
        deleted: Default::default(),
    };
    let repo = RepoPaths::around(Some(&scan_root));
    Ok(Prepared {
        config,
        rules,
        attribution,
        options,
        repo,
        progress,
        rule_warnings,
    })
}

/// A progress bar on standard error, hidden until the scan has taken a
/// second so that a quick scan never flickers.
fn progress_bar() -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("demarc: {msg} {pos}/{len} {wide_bar}")
    {
        bar.set_style(style);
    }
    bar
}

/// Feeds the scan's progress to `bar`.
fn progress_sink(bar: &indicatif::ProgressBar) -> scan::ProgressSink {
    let bar = bar.clone();
    let started = Instant::now();
    let shown = std::sync::atomic::AtomicBool::new(false);
    scan::ProgressSink(std::sync::Arc::new(move |progress: scan::Progress| {
        let late = started.elapsed() >= std::time::Duration::from_secs(1);
        if late && !shown.swap(true, std::sync::atomic::Ordering::Relaxed) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_message(progress.stage.name());
        bar.set_length(progress.total as u64);
        bar.set_position(progress.done as u64);
    }))
}

/// Runs the scan and the post-processing stage (CODEOWNERS teams, the
/// baseline, the owner filter).
fn scan_and_finish(prepared: &Prepared, finish: postprocess::Finish) -> ScanResult {
    let mut result = scan::scan(&prepared.options, &prepared.rules, &prepared.attribution);
    if let Some(bar) = &prepared.progress {
        bar.finish_and_clear();
    }
    result
        .warnings
        .extend(prepared.rule_warnings.iter().cloned());
    postprocess::finish(&mut result, &prepared.repo, finish);
    result
}

fn run_scan(args: ScanArgs) -> u8 {
    let started = SystemTime::now();
    let clock = Instant::now();
    let progress = std::io::stderr().is_terminal() && !args.quiet;
    let mut prepared = match prepare(args.input, progress, args.no_suppressions) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Reports render in parallel on rayon's global pool: `-j` holds there too.
    if let Some(threads) = prepared.options.threads {
        // Fails only if the pool already exists, which then serves as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global();
    }

    // Where each report goes: the command line's formats, else the
    // config's, else text; `--output` takes the one meant for stdout.
    let mut outputs = args.format.clone();
    if outputs.is_empty() {
        outputs.push(Output {
            format: prepared.config.format.unwrap_or(Format::Text),
            path: None,
        });
    }
    let to_stdout = outputs.iter().filter(|o| o.path.is_none()).count();
    if to_stdout > 1 {
        return usage_error(
            "more than one --format writes to standard output; give the others a file (FORMAT=FILE)",
        );
    }
    if let Some(file) = &args.output {
        match outputs.iter_mut().find(|o| o.path.is_none()) {
            Some(output) => output.path = Some(file.clone()),
            None => {
                return usage_error(
                    "--output names the file for the standard-output report, but every --format has its own file",
                )
            }
        }
    }

    if let Some(git_ref) = &args.changed_since {
        match crate::diff::changed_since(git_ref) {
            Ok(changes) => {
                let roots = std::mem::take(&mut prepared.options.paths);
                let deleted = crate::diff::under_roots(changes.deleted, &roots);
                prepared.options.paths = crate::diff::under_roots(changes.files, &roots);
                prepared.options.paths.extend(deleted.iter().cloned());
                prepared.options.deleted = deleted.into_iter().collect();
            }
            Err(message) => return usage_error(&format!("--changed-since: {message}")),
        }
    }

    let baseline = match args.baseline.clone().or(prepared.config.baseline.clone()) {
        Some(path) => match Baseline::load(&path) {
            Ok(b) => Some(b),
            Err(message) => return usage_error(&message),
        },
        None => None,
    };

    if let Some(message) = shared_output_file(&outputs) {
        return usage_error(&message);
    }
    if let Err(message) = check_owner_teams(&prepared.repo, &prepared.config.owners, &args.owner) {
        return usage_error(&message);
    }

    let frameworks = match compliance_frameworks(&args.compliance) {
        Ok(f) => f,
        Err(message) => return usage_error(&message),
    };
    // Passing controls need the (rule, resource) pairs looked at, as JUnit does.
    prepared.options.list_checked =
        !frameworks.is_empty() || outputs.iter().any(|o| o.format == Format::Junit);
    let mut result = scan_and_finish(
        &prepared,
        postprocess::Finish {
            baseline: baseline.as_ref(),
            owners: &args.owner,
            owner_rules: Some(&prepared.config.owners),
        },
    );
    if args.changed_since.is_none() {
        warn_of_paths_without_iac(&mut result, &prepared.options);
    }
    result.compliance = frameworks
        .iter()
        .map(|f| crate::compliance::evaluate(f, &result))
        .collect();

    let fail_on = match (args.fail_on, prepared.config.fail_on) {
        (Some(cli), _) => cli.threshold(),
        (None, Some(config)) => config,
        (None, None) => FailOn::Low.threshold(),
    };
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let elapsed = clock.elapsed();
    for output in &outputs {
        let to_terminal = output.path.is_none() && std::io::stdout().is_terminal();
        let render = RenderOptions {
            color: to_terminal && !no_color_env && !args.no_color,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            quiet: args.quiet,
            width: text_width(to_terminal),
            started: Some(started),
            elapsed: Some(elapsed),
        };
        let write = |out: &mut dyn Write| report::write(output.format, &result, &render, out);
        let written = match &output.path {
            Some(path) => std::fs::File::create(path)
                .and_then(|mut file| write(&mut file))
                .map_err(|e| format!("cannot write {}: {e}", path.display())),
            None => write_stdout(write).map_err(|e| format!("cannot write output: {e}")),
        };
        if let Err(message) = written {
            return usage_error(&message);
        }
    }
    let code = match exit_code(&result, fail_on) {
        EXIT_ERROR => EXIT_ERROR,
        _ if args.require_owner && result.active_findings().any(|f| f.is_unowned()) => EXIT_UNOWNED,
        code => code,
    };
    // Freeing a large result takes a while on one thread, and the process
    // ends now: let it go beside the exit.
    std::thread::spawn(move || drop(result));
    code
}

/// The text report's width: the terminal's when it is written to one, else
/// `COLUMNS` when set (as shells export it), else the default. Never under
/// 40 columns, where a snippet could not show a line.
fn text_width(to_terminal: bool) -> usize {
    let terminal = to_terminal
        .then(|| terminal_size::terminal_size_of(std::io::stdout()))
        .flatten()
        .map(|(width, _)| usize::from(width.0));
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    };
    terminal
        .or_else(columns)
        .unwrap_or(report::DEFAULT_WIDTH)
        .max(40)
}

/// Writes to standard output. A reader that stopped early (`| head`)
/// closed the pipe: that is not an error, and the command ends quietly
/// with the exit code it would have had.
fn print_stdout(text: &str) -> std::io::Result<()> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// [`print_stdout`] for what `write` writes.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Two reports written to one file would leave only the last: a mistake.
fn shared_output_file(outputs: &[Output]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    outputs
        .iter()
        .filter_map(|o| o.path.as_ref())
        .find(|path| !seen.insert(crate::repo::absolute(path)))
        .map(|path| {
            format!(
                "two reports would be written to {}; give each --format (and --output) its own file",
                path.display()
            )
        })
}

/// `--owner` must name a team `owners:` or CODEOWNERS knows: a typo would
/// otherwise keep no finding and pass the gate.
fn check_owner_teams(
    repo: &RepoPaths,
    configured: &crate::owners::OwnerRules,
    teams: &[String],
) -> Result<(), String> {
    let teams: Vec<&String> = teams.iter().filter(|t| !configured.names(t)).collect();
    if teams.is_empty() {
        return Ok(());
    }
    let Some((owners, _)) = repo.root().and_then(CodeOwners::load) else {
        return Err(format!(
            "--owner needs a CODEOWNERS file ({} at the repository root), and there is none",
            crate::codeowners::LOCATIONS.join(", ")
        ));
    };
    match teams.iter().find(|team| !owners.names(team)) {
        Some(team) => Err(format!(
            "--owner {team}: CODEOWNERS names no such owner; `--owner` takes a team or user as CODEOWNERS writes it"
        )),
        None => Ok(()),
    }
}

/// A PATH in which nothing was scanned is most likely a mistake (a typo, the
/// wrong directory): a warning, rather than a clean "no findings".
fn warn_of_paths_without_iac(result: &mut ScanResult, options: &ScanOptions) {
    let under = |file: &str, root: &std::path::Path| {
        crate::repo::absolute(std::path::Path::new(file)).starts_with(root)
    };
    for path in options.paths.iter().filter(|p| p.exists()) {
        let root = crate::repo::absolute(path);
        let scanned = result.scanned_files.iter().any(|f| under(f, &root))
            || result.errors.iter().any(|e| under(&e.file, &root));
        if !scanned {
            let filtered = if options.file_filter.is_some() {
                " after `.demarc.yaml`'s include and exclude"
            } else {
                ""
            };
            result.warnings.push(ScanError {
                file: crate::discover::display_path(path),
                line: None,
                column: None,
                message: format!("no Terraform or CloudFormation file to scan here{filtered}; nothing was scanned"),
            });
        }
    }
}

fn run_baseline(args: BaselineArgs) -> u8 {
    let output = args.output.clone();
    let prepared = match prepare(args.input, std::io::stderr().is_terminal(), false) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let result = scan_and_finish(&prepared, postprocess::Finish::default());
    let baseline = Baseline::of(&result, &prepared.repo);
    if let Err(e) = std::fs::write(&output, baseline.to_json()) {
        return usage_error(&format!("cannot write {}: {e}", output.display()));
    }
    for error in &result.errors {
        eprintln!("error: {error}");
    }
    eprintln!(
        "demarc: wrote {} to {}",
        crate::report::summary::plural(
            baseline.entries.len(),
            "baseline entry",
            "baseline entries"
        ),
        crate::discover::display_path(&output)
    );
    if result.errors.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    }
}

fn exit_code(result: &ScanResult, threshold: Option<Severity>) -> u8 {
    if !result.errors.is_empty() {
        return EXIT_ERROR;
    }
    let failing = threshold.is_some_and(|t| result.active_findings().any(|f| f.severity >= t));
    if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// The rules `rules` and `explain` show: the built-in ones plus the
/// directories of `--rules`, else of the `.demarc.yaml` a scan of the
/// current directory reads.
fn listed_rules(cli_dirs: &[PathBuf]) -> Result<RuleSet, u8> {
    if !cli_dirs.is_empty() {
        return load_rules(cli_dirs);
    }
    let here = std::path::Path::new(".");
    let config = match crate::config::find(here) {
        Some(path) => Config::load(&path, &config_root(here)).map_err(print_config_errors)?,
        None => Config::default(),
    };
    load_rules(&config.rule_dirs)
}

/// The frameworks `--compliance` names, in the order given; an unknown
/// name is an error that lists the known ones.
fn compliance_frameworks(names: &[String]) -> Result<Vec<crate::compliance::Framework>, String> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let all = crate::compliance::embedded().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        lines.join("\n")
    })?;
    let mut chosen: Vec<crate::compliance::Framework> = Vec::new();
    for name in names {
        let Some(framework) = all.iter().find(|f| f.key.eq_ignore_ascii_case(name)) else {
            let keys: Vec<&str> = all.iter().map(|f| f.key.as_str()).collect();
            return Err(format!(
                "--compliance {name}: no such framework; expected one of: {}",
                keys.join(", ")
            ));
        };
        if !chosen.iter().any(|f| f.key == framework.key) {
            chosen.push(framework.clone());
        }
    }
    Ok(chosen)
}

fn run_compliance(args: ComplianceArgs) -> u8 {
    let rules = match listed_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let frameworks = match crate::compliance::embedded() {
        Ok(f) => f,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return EXIT_ERROR;
        }
    };
    let mut out = format!(
        "{:<14} {:<10} {:>8} {:>9} {:>9}  NAME\n",
        "FRAMEWORK", "VERSION", "CONTROLS", "CHECKABLE", "EVIDENCED"
    );
    for framework in &frameworks {
        let c = crate::compliance::coverage(framework, rules.rules.iter().map(|r| &*r.info));
        out.push_str(&format!(
            "{:<14} {:<10} {:>8} {:>9} {:>9}  {}\n",
            framework.key, framework.version, c.total, c.checkable, c.evidenced, framework.name
        ));
    }
    out.push_str("\nCHECKABLE: controls infrastructure code can show at all; EVIDENCED: controls a rule names in its `compliance:` field.\n`demarc scan --compliance FRAMEWORK` reports each control's state.\n");
    match print_stdout(&out) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(&format!("cannot write output: {e}")),
    }
}

fn run_rules(args: RulesArgs) -> u8 {
    let rules = match listed_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut out = String::new();
    if args.json {
        let infos: Vec<_> = rules.rules.iter().map(|r| &*r.info).collect();
        out = serde_json::to_string_pretty(&infos).expect("rules serialize") + "\n";
    } else {
        let slug_width = rules
            .rules
            .iter()
            .map(|r| r.info.slug.len())
            .max()
            .unwrap_or(0);
        out.push_str(&format!(
            "{:<18} {:<slug_width$} {:<9} {:<12} {:<11} SUMMARY\n",
            "ID", "SLUG", "SEVERITY", "LAYER", "FRAMEWORKS"
        ));
        for rule in &rules.rules {
            let i = &rule.info;
            let frameworks: Vec<&str> = i.frameworks.iter().map(|f| short_framework(*f)).collect();
            let profile = i
                .profile
                .as_ref()
                .map(|p| format!(" [profile {p}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<18} {:<slug_width$} {:<9} {:<12} {:<11} {}{profile}\n",
                i.id,
                i.slug,
                i.severity.name(),
                i.layer.name(),
                frameworks.join(","),
                i.summary
            ));
        }
        out.push_str(&format!(
            "\n{} rules. `demarc explain ID` shows one in full.\n",
            rules.rules.len()
        ));
        if rules.rules.iter().any(|r| r.info.profile.is_some()) {
            out.push_str("Rules of a [profile] run only when it is turned on: `--profile NAME` or `rules: {profiles: [NAME]}` in .demarc.yaml.\n");
        }
    }
    match print_stdout(&out) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(&format!("cannot write output: {e}")),
    }
}

/// A fixture line as a reader should see it: without the test harness's
/// `# expect: ID` marker (a line that is only a marker is dropped).
fn without_expect_marker(line: &str) -> Option<&str> {
    match line.split_once("# expect:") {
        Some((code, _)) if code.trim().is_empty() => None,
        Some((code, _)) => Some(code.trim_end()),
        None => Some(line),
    }
}

fn short_framework(f: Framework) -> &'static str {
    match f {
        Framework::Terraform => "tf",
        Framework::Cloudformation => "cfn",
    }
}

fn run_explain(args: ExplainArgs) -> u8 {
    let rules = match listed_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Some(rule) = rules.find(&args.rule) else {
        eprintln!(
            "error: no rule named `{}`; `demarc rules` lists them",
            args.rule
        );
        return EXIT_ERROR;
    };
    let i = &rule.info;
    let mut out = format!("{} ({}) — {}\n", i.id, i.slug, i.summary);
    out.push_str(&format!(
        "severity: {}   layer: {}   provider: {}   service: {}\n",
        i.severity.name(),
        i.layer.name(),
        i.provider,
        i.service
    ));
    if let Some(profile) = &i.profile {
        out.push_str(&format!(
            "profile: {profile} (off unless turned on: `--profile {profile}` or `rules: {{profiles: [{profile}]}}` in .demarc.yaml)\n"
        ));
    }
    if !i.aliases.is_empty() {
        out.push_str(&format!("aliases: {}\n", i.aliases.join(", ")));
    }
    if !i.compliance.is_empty() {
        let controls: Vec<String> = i
            .compliance
            .iter()
            .map(|(f, c)| format!("{f} {c}"))
            .collect();
        out.push_str(&format!("compliance: {}\n", controls.join(", ")));
    }
    out.push_str(&format!(
        "\nWhat it checks\n{}\n\nWhy it matters\n{}\n",
        i.docs.what.trim_end(),
        i.docs.why.trim_end()
    ));
    for (framework, fix) in &i.docs.fix {
        out.push_str(&format!("\nHow to fix ({framework})\n{}\n", fix.trim_end()));
    }
    for example in crate::rules::examples(&i.id) {
        let verdict = if example.kind == "bad" {
            "flagged"
        } else {
            "not flagged"
        };
        out.push_str(&format!("\nExample ({}, {verdict})\n", example.framework));
        for line in example.text.lines().filter_map(without_expect_marker) {
            out.push_str(&format!("    {line}\n"));
        }
    }
    if !i.docs.references.is_empty() {
        out.push_str("\nReferences\n");
        for r in &i.docs.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    out.push_str(&format!("\nDefined in {}\n", rule.path));
    match print_stdout(&out) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(&format!("cannot write output: {e}")),
    }
}
