//! The command line: `demarc scan`, `demarc rules`, `demarc explain`.

use crate::attribution::Attribution;
use crate::discover::WalkOptions;
use crate::eval::cloudformation::CloudFormationOptions;
use crate::eval::terraform::TerraformOptions;
use crate::finding::{ScanResult, Severity};
use crate::model::{Framework, ScanError};
use crate::report::{self, Format, RenderOptions};
use crate::rules::RuleSet;
use crate::scan::{self, ScanOptions};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes (design.md): what a CI gate reads.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

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
    /// List the rules: id, severity, layer, summary
    Rules(RulesArgs),
    /// Show a rule's documentation: what it checks, why, how to fix
    Explain(ExplainArgs),
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a finding has this severity or higher (`none`: never)
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    fail_on: FailOn,
    /// Also load the rules in DIR (YAML files in the built-in rule format); repeatable
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// Follow symbolic links (loops are detected and reported)
    #[arg(long)]
    follow_symlinks: bool,
    /// Never colour the text report (colour is also off when NO_COLOR is set or output is not a terminal)
    #[arg(long)]
    no_color: bool,
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
        Command::Rules(args) => run_rules(args),
        Command::Explain(args) => run_explain(args),
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

fn run_scan(args: ScanArgs) -> u8 {
    let rules = match load_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let attribution = match Attribution::embedded() {
        Ok(a) => a,
        Err(e) => return print_config_errors(e),
    };
    let options = ScanOptions {
        paths: args.paths,
        walk: WalkOptions {
            follow_symlinks: args.follow_symlinks,
        },
        terraform: TerraformOptions {
            var_files: args.var_file,
            vars: args.vars,
        },
        cloudformation: CloudFormationOptions {
            parameter_files: args.cfn_param_files,
            parameters: args.cfn_params,
        },
    };
    let result = scan::scan(&options, &rules, &attribution);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let render = RenderOptions {
        color: to_terminal && !no_color_env && !args.no_color,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let text = report::render(args.format, &result, &render);
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write output: {e}")),
    };
    if let Err(message) = written {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    exit_code(&result, args.fail_on)
}

fn exit_code(result: &ScanResult, fail_on: FailOn) -> u8 {
    if !result.errors.is_empty() {
        return EXIT_ERROR;
    }
    let failing = fail_on
        .threshold()
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn run_rules(args: RulesArgs) -> u8 {
    let rules = match load_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut out = String::new();
    if args.json {
        let infos: Vec<_> = rules.rules.iter().map(|r| &*r.info).collect();
        out = serde_json::to_string_pretty(&infos).expect("rules serialize") + "\n";
    } else {
        out.push_str(&format!(
            "{:<18} {:<9} {:<12} {:<11} SUMMARY\n",
            "ID", "SEVERITY", "LAYER", "FRAMEWORKS"
        ));
        for rule in &rules.rules {
            let i = &rule.info;
            let frameworks: Vec<&str> = i.frameworks.iter().map(|f| short_framework(*f)).collect();
            out.push_str(&format!(
                "{:<18} {:<9} {:<12} {:<11} {}\n",
                i.id,
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
    }
    print!("{out}");
    EXIT_CLEAN
}

fn short_framework(f: Framework) -> &'static str {
    match f {
        Framework::Terraform => "tf",
        Framework::Cloudformation => "cfn",
    }
}

fn run_explain(args: ExplainArgs) -> u8 {
    let rules = match load_rules(&args.rule_dirs) {
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
        out.push_str(&format!(
            "\nExample ({}, {verdict}: fixtures/{}/{}/{}/{})\n",
            example.framework, i.id, example.framework, example.kind, example.file
        ));
        for line in example.text.lines() {
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
    print!("{out}");
    EXIT_CLEAN
}
