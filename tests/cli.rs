//! The command line as a CI pipeline or a developer meets it: flags, formats,
//! exit codes, user rule directories.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn demarc() -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

fn json_scan(args: &[&str]) -> (Value, i32) {
    let output = demarc()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (report, output.status.code().unwrap())
}

/// A module no rule objects to: SSH only from a private network.
const CLEAN: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
  security_group_id = "sg-123"
}
"#;

/// A module with one open SSH rule (line 6) and one open RDP rule (line 12).
const OPEN_ADMIN_PORTS: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}

resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = "sg-123"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
"#;

/// A scan root holding `module` as `main.tf`.
fn module(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    dir
}

fn open_admin_ports() -> tempfile::TempDir {
    module(OPEN_ADMIN_PORTS)
}

#[test]
fn version_and_help_name_the_tool_and_its_commands() {
    let out = demarc().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("demarc {}", env!("CARGO_PKG_VERSION"))
    );
    let help = demarc().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for command in ["scan", "rules", "explain", "Exit codes"] {
        assert!(text.contains(command), "help lacks {command}: {text}");
    }
}

#[test]
fn findings_exit_1_clean_scans_exit_0() {
    let bad = open_admin_ports();
    demarc().arg("scan").arg(bad.path()).assert().code(1);
    let clean = module(CLEAN);
    demarc().arg("scan").arg(clean.path()).assert().code(0);
}

#[test]
fn fail_on_sets_the_threshold() {
    // Open admin ports are critical.
    let bad = open_admin_ports();
    demarc()
        .arg("scan")
        .arg(bad.path())
        .args(["--fail-on", "critical"])
        .assert()
        .code(1);
    demarc()
        .arg("scan")
        .arg(bad.path())
        .args(["--fail-on", "none"])
        .assert()
        .code(0);
    demarc()
        .arg("scan")
        .arg(bad.path())
        .args(["--fail-on", "bogus"])
        .assert()
        .code(2);
}

#[test]
fn json_report_keeps_the_contract() {
    let bad = open_admin_ports();
    let (report, code) = json_scan(&[bad.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "AWS-EC2-001")
        .collect();
    assert_eq!(findings.len(), 2);
    let first = &findings[0];
    for field in [
        "rule_id",
        "slug",
        "summary",
        "severity",
        "layer",
        "service_model",
        "owner",
        "framework",
        "resource",
        "resource_type",
        "file",
        "start_line",
        "start_column",
        "end_line",
        "end_column",
        "message",
    ] {
        assert!(!first[field].is_null(), "missing {field} in {first}");
    }
    let file = bad
        .path()
        .join("main.tf")
        .to_string_lossy()
        .replace('\\', "/");
    assert_eq!(first["file"], file.as_str());
    assert_eq!(
        (&first["start_line"], &first["start_column"]),
        (&6.into(), &24.into())
    );
    assert_eq!(
        (&first["end_line"], &first["end_column"]),
        (&6.into(), &35.into())
    );
    assert_eq!(first["resource"], "aws_security_group_rule.ssh");
    assert_eq!(first["severity"], "critical");
    assert_eq!(findings[1]["start_line"], 12);
    assert_eq!(first["layer"], "network");
    assert_eq!(first["service_model"], "iaas");
    assert_eq!(first["owner"], "shared");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    assert!(report["summary"]["by_layer"]["network"].as_u64().unwrap() >= 2);
}

#[test]
fn checks_left_undecided_by_unknown_values_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let module = OPEN_ADMIN_PORTS
        .replace(r#"["0.0.0.0/0"]"#, "[var.admin_cidr]")
        .replace(r#""0.0.0.0/0""#, "var.admin_cidr");
    std::fs::write(dir.path().join("main.tf"), module).unwrap();
    let (report, code) = json_scan(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "unknown values never raise findings: {report}");
    assert!(
        report["summary"]["undecided"].as_u64().unwrap() >= 2,
        "{report}"
    );
}

#[test]
fn output_file_receives_the_report_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let bad = open_admin_ports();
    let result = demarc()
        .arg("scan")
        .arg(bad.path())
        .args(["--format", "sarif", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    assert!(result.stdout.is_empty());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .filter(|r| r["ruleId"] == "AWS-EC2-001")
            .count()
            == 2
    );
}

#[test]
fn text_report_has_no_colour_when_not_a_terminal() {
    let bad = open_admin_ports();
    let out = demarc().arg("scan").arg(bad.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}'), "ANSI escape in piped output");
    assert!(text.contains("AWS-EC2-001"));
    assert!(text.contains("main.tf:6:24"), "{text}");
}

#[test]
fn missing_path_is_an_error_with_exit_2() {
    let out = demarc()
        .args(["scan", "does/not/exist", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["file"], "does/not/exist");
}

#[test]
fn rules_lists_every_rule_and_explain_finds_by_id_slug_or_alias() {
    let out = demarc().arg("rules").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AWS-EC2-001") && text.contains("critical") && text.contains("network"));
    // Errors and selectors ask for slugs, so the table shows them.
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "SLUG", "SEVERITY", "LAYER", "FRAMEWORKS", "SUMMARY"]
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("AWS-EC2-001 "))
        .unwrap();
    assert_eq!(
        row.split_whitespace().nth(1),
        Some("security-group-admin-port-open-to-internet")
    );

    let json = demarc().args(["rules", "--json"]).output().unwrap();
    let rules: Value = serde_json::from_slice(&json.stdout).unwrap();
    let ec2 = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "AWS-EC2-001")
        .unwrap();
    // How to fix, keyed by framework.
    let fix = ec2["docs"]["fix"].as_object().unwrap();
    let frameworks: Vec<&String> = fix.keys().collect();
    assert_eq!(frameworks, ["terraform", "cloudformation"]);
    assert!(fix["terraform"].as_str().unwrap().contains("cidr_blocks"));

    for name in [
        "AWS-EC2-001",
        "security-group-admin-port-open-to-internet",
        "CKV_AWS_24",
    ] {
        let out = demarc().args(["explain", name]).output().unwrap();
        assert!(out.status.success(), "explain {name}");
        let text = String::from_utf8_lossy(&out.stdout);
        for section in [
            "What it checks",
            "Why it matters",
            "How to fix (terraform)",
            "How to fix (cloudformation)",
            "References",
            "Example (terraform, flagged",
            "Example (terraform, not flagged",
            "Example (cloudformation, flagged",
            "cidr_blocks = [\"10.0.0.0/8\", \"0.0.0.0/0\"]\n",
        ] {
            assert!(text.contains(section), "explain {name} lacks {section}");
        }
        // The examples are shown as a user would write them: no test
        // markers, no paths into demarc's source tree.
        assert!(!text.contains("expect:"), "{text}");
        assert!(!text.contains("fixtures/"), "{text}");
    }
    demarc().args(["explain", "NOPE-000"]).assert().code(2);
}

const USER_RULE: &str = r#"id: ACME-S3-001
slug: acme-bucket-needs-owner-tag
aliases: [ACME_1]
summary: Buckets must carry an owner tag
severity: low
layer: data
provider: aws
service: s3
docs:
  what: Every S3 bucket must be tagged with the team that owns it, for accountability.
  why: Untagged buckets end up with nobody accountable for what they hold and who reads it.
  fix:
    terraform: Add `tags = { owner = "team" }`.
  references: [https://example.com/tagging]
terraform:
  resources: [aws_s3_bucket]
  match:
    not: { path: tags.owner, exists: true }
"#;

#[test]
fn user_rule_directories_add_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("owner-tag.yaml"), USER_RULE).unwrap();
    let iac = dir.path().join("iac");
    std::fs::create_dir(&iac).unwrap();
    std::fs::write(
        iac.join("main.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    )
    .unwrap();
    let out = demarc()
        .args(["scan", "--format", "json", "--rules"])
        .arg(dir.path())
        .arg(&iac)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "ACME-S3-001")
        .collect();
    assert_eq!(ours.len(), 1, "{report}");
    assert_eq!(
        ours[0]["start_line"], 1,
        "missing things point at the resource header"
    );
}

#[test]
fn rules_and_explain_read_the_rule_directories_of_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/owner-tag.yaml"), USER_RULE).unwrap();
    std::fs::write(
        dir.path().join(".demarc.yaml"),
        "rules:\n  dirs: [policies]\n",
    )
    .unwrap();
    let out = demarc()
        .current_dir(dir.path())
        .arg("rules")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("ACME-S3-001 ")),
        "{text}"
    );
    let out = demarc()
        .current_dir(dir.path())
        .args(["explain", "acme-bucket-needs-owner-tag"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ACME-S3-001 "));
    // The config's mistakes stop them as they stop a scan.
    std::fs::write(dir.path().join(".demarc.yaml"), "rules:\n  dirs: [../x]\n").unwrap();
    let out = demarc()
        .current_dir(dir.path())
        .arg("rules")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".demarc.yaml:2:10:"));
}

#[test]
fn rule_file_errors_point_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let broken = USER_RULE
        .replace("severity: low", "severity: urgent")
        .replace("    not: { path: tags.owner, exists: true }", "    nope: 1");
    std::fs::write(dir.path().join("broken.yaml"), broken).unwrap();
    let clean = module(CLEAN);
    let out = demarc()
        .args(["scan", "--rules"])
        .arg(dir.path())
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = Path::new(dir.path())
        .join("broken.yaml")
        .to_string_lossy()
        .replace('\\', "/");
    assert!(
        stderr.contains(&format!("{file}:5:11: unknown severity `urgent`")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:18:5: a matcher needs one of")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "one error per problem: {stderr}");
}

/// Runs demarc with its standard output a pipe whose reader is already
/// gone, so the first write meets a closed pipe whatever its size.
fn run_with_closed_stdout(dir: &Path, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(assert_cmd::cargo::cargo_bin("demarc"))
        .args(args)
        .current_dir(dir)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    let dir = open_admin_ports();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/owner-tag.yaml"), USER_RULE).unwrap();
    let cases: [(&[&str], i32); 7] = [
        // The rule has no fixtures: a failed test, exit 1.
        (&["test", "rules"], 1),
        (&["rules"], 0),
        (&["rules", "--json"], 0),
        (&["explain", "AWS-S3-001"], 0),
        (&["scan", "."], 1),
        (&["scan", ".", "--format", "json"], 1),
        (&["--help"], 0),
    ];
    for (args, code) in cases {
        let out = run_with_closed_stdout(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    }
}

/// `demarc … | head -1`: the reader takes one line of a report larger than
/// the pipe's buffer and goes away while demarc is still writing.
#[test]
fn a_reader_that_stops_after_one_line_ends_the_scan_quietly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..100)
        .map(|i| {
            OPEN_ADMIN_PORTS
                .replace("\"ssh\"", &format!("\"ssh{i}\""))
                .replace("\"rdp\"", &format!("\"rdp{i}\""))
        })
        .collect();
    std::fs::write(dir.path().join("main.tf"), many).unwrap();
    for args in [&["scan", "."][..], &["rules", "--json"]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("demarc"))
            .args(args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}");
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {stderr}"
        );
    }
}

/// Mistakes that used to pass without a word: a PATH with nothing to scan,
/// a `--var` no root declares, two reports to one file.
#[test]
fn silent_mistakes_are_warnings_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/README.md"), "# notes\n").unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(
        dir.path().join("app/main.tf"),
        format!("variable \"env\" {{\n  default = \"dev\"\n}}\n{CLEAN}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("net")).unwrap();
    std::fs::write(dir.path().join("net/main.tf"), CLEAN).unwrap();
    let run = |args: &[&str]| {
        demarc()
            .current_dir(dir.path())
            .arg("scan")
            .args(args)
            .output()
            .unwrap()
    };

    // Nothing to scan: a warning naming the path, in text and JSON.
    let out = run(&["docs", "missing-typo"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: docs: no Terraform or CloudFormation file to scan here"),
        "{text}"
    );
    let out = run(&["docs", "app", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["warnings"][0]["file"], "docs");
    assert_eq!(report["warnings"][0]["line"], Value::Null);
    assert_eq!(report["summary"]["warnings"], 1);
    // A path with IaC in it gives no such warning.
    let out = run(&["app", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"], serde_json::json!([]));

    // --var: an error (exit 2, the scan still reported) unless some
    // scanned root declares it.
    let out = run(&["app", "net", "--var", "env=prod", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "one of two roots declares it");
    let out = run(&["net", "--var", "env=prod", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["file"], "--var");
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no scanned root module declares a variable `env`"));

    // Two reports to one file, counting --output.
    for args in [
        &[
            "app",
            "--format",
            "json=r.json",
            "--format",
            "sarif=./r.json",
        ][..],
        &[
            "app",
            "--format",
            "text",
            "--format",
            "json=r.json",
            "--output",
            "r.json",
        ],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("two reports would be written to"),
            "{args:?}"
        );
        assert!(!dir.path().join("r.json").exists(), "{args:?}");
    }
}

/// The report is the same whatever the number of threads: units, their
/// findings and the redaction of secrets finish in any order, and the
/// output must not show it. The rule fixtures are a repository of over a
/// thousand files in both frameworks, secrets among them.
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let scan_with = |threads: &str| {
        let output = demarc()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["scan", "fixtures", "--format", "json", "-j", threads])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "findings, no errors");
        output.stdout
    };
    let one = scan_with("1");
    let report: Value = serde_json::from_slice(&one).expect("stdout is JSON");
    assert!(report["findings"].as_array().unwrap().len() > 1000);
    assert!(
        one == scan_with("3"),
        "1 and 3 threads give different reports"
    );
}

/// `explain` shows a fixture as each rule's example: a flagged one must show
/// the resource and its flagged line, never a variable file that only sets
/// the value (`x_public = true`).
#[test]
fn explain_examples_show_resources_not_variable_files() {
    let out = demarc()
        .args(["explain", "AZURE-IOTHUB-001"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let flagged = text
        .split("Example (terraform, flagged)")
        .nth(1)
        .expect("a flagged Terraform example");
    assert!(flagged.contains("resource \"azurerm_iothub\""), "{text}");
    let ids = demarc::rules::embedded_files()
        .iter()
        .filter_map(|(path, _)| Path::new(path).file_stem()?.to_str())
        .filter(|stem| {
            stem.contains('-')
                && stem
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        });
    let mut examples = 0;
    for id in ids {
        for example in demarc::rules::examples(id) {
            examples += 1;
            let name = example.file.to_ascii_lowercase();
            assert!(
                !name.ends_with(".tfvars") && !name.ends_with(".tfvars.json"),
                "{id}: {}",
                example.file
            );
        }
    }
    assert!(examples > 500, "{examples} examples found");
}
