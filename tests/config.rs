//! `.demarc.yaml`: found at the scan root or above it up to the repository
//! root, or named with `--config`; rule choices, severity overrides,
//! fail-on, include/exclude, default formats, baseline; errors with their
//! line exit 2; flags override the file.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32, String) {
    let out = demarc(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (report, out.status.code().unwrap(), stderr)
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// An open SSH rule (critical, network) and a bucket without access logging
/// (medium, logging).
const MAIN_TF: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}

resource "aws_s3_bucket" "data" {
  bucket = "data"
}
"#;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "infra/main.tf", MAIN_TF);
    dir
}

#[test]
fn rules_can_be_switched_off_by_id_layer_and_severity_overridden() {
    let dir = repo();
    let (report, _, _) = scan_json(dir.path(), &["infra"]);
    let all = rule_ids(&report);
    assert!(all.contains(&"AWS-EC2-001".to_string()), "{all:?}");
    assert!(all.contains(&"AWS-S3-004".to_string()), "{all:?}");

    write(
        dir.path(),
        ".demarc.yaml",
        "rules:\n  disable: [layer:logging]\nseverity:\n  security-group-admin-port-open-to-internet: low\nfail-on: high\n",
    );
    let (report, code, stderr) = scan_json(dir.path(), &["infra"]);
    let ids = rule_ids(&report);
    assert!(!ids.iter().any(|id| id == "AWS-S3-004"), "{ids:?} {stderr}");
    let ssh = &report["findings"][0];
    assert_eq!(ssh["rule_id"], "AWS-EC2-001");
    assert_eq!(ssh["severity"], "low");
    // Only low findings left, and the config fails on high.
    assert_eq!(code, 0);
    // The flag beats the file.
    let (_, code, _) = scan_json(dir.path(), &["infra", "--fail-on", "low"]);
    assert_eq!(code, 1);
}

#[test]
fn enable_keeps_only_matching_rules() {
    let dir = repo();
    write(
        dir.path(),
        ".demarc.yaml",
        "rules:\n  enable: [AWS-S3-004]\n",
    );
    let (report, code, _) = scan_json(dir.path(), &["infra"]);
    assert_eq!(rule_ids(&report), ["AWS-S3-004"]);
    assert_eq!(code, 1);
    let rules = demarc(dir.path())
        .args(["scan", "infra", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&rules.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_file_is_found_up_to_the_repository_root_but_not_beyond() {
    let outer = tempfile::tempdir().unwrap();
    // A config above the repository does not apply.
    write(
        outer.path(),
        ".demarc.yaml",
        "rules:\n  disable: [AWS-EC2-001]\n",
    );
    let repo_dir = outer.path().join("repo");
    std::fs::create_dir_all(repo_dir.join(".git")).unwrap();
    write(&repo_dir, "infra/main.tf", MAIN_TF);
    let (report, _, _) = scan_json(&repo_dir, &["infra"]);
    assert!(rule_ids(&report).contains(&"AWS-EC2-001".to_string()));

    // One at the repository root applies to a scan of a subdirectory.
    write(
        &repo_dir,
        ".demarc.yml",
        "rules:\n  disable: [AWS-EC2-001]\n",
    );
    let (report, _, _) = scan_json(&repo_dir.join("infra"), &["."]);
    assert!(!rule_ids(&report).contains(&"AWS-EC2-001".to_string()));

    // --config names another file.
    write(
        &repo_dir,
        "ci/strict.yaml",
        "rules:\n  enable: [AWS-EC2-001]\n",
    );
    let (report, _, _) = scan_json(&repo_dir, &["infra", "--config", "ci/strict.yaml"]);
    assert_eq!(rule_ids(&report), ["AWS-EC2-001"]);
}

#[test]
fn include_and_exclude_choose_the_files() {
    let dir = repo();
    write(dir.path(), "examples/demo/main.tf", MAIN_TF);
    write(dir.path(), "infra/test/main.tf", MAIN_TF);
    let files = |report: &Value| -> Vec<String> {
        let mut files: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect();
        files.dedup();
        files
    };
    write(
        dir.path(),
        ".demarc.yaml",
        "exclude: [examples, \"**/test\"]\n",
    );
    let (report, _, _) = scan_json(dir.path(), &[]);
    assert_eq!(files(&report), ["infra/main.tf"]);

    write(dir.path(), ".demarc.yaml", "include: [\"examples/**\"]\n");
    let (report, _, _) = scan_json(dir.path(), &[]);
    assert_eq!(files(&report), ["examples/demo/main.tf"]);
    // Explicit files obey it too (pre-commit passes every changed file).
    let (report, _, _) = scan_json(dir.path(), &["infra/main.tf"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn default_formats_and_baseline_come_from_the_file() {
    let dir = repo();
    write(dir.path(), ".demarc.yaml", "format: sarif\n");
    let out = demarc(dir.path()).args(["scan", "infra"]).output().unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // The command line says where it goes.
    let out = demarc(dir.path())
        .args(["scan", "infra", "--output", "demarc.sarif"])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("demarc.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // A baseline named in the file is used: it matches every finding (how
    // many depends on the rule library, so count them).
    let (unbaselined, _, _) = scan_json(dir.path(), &["infra"]);
    let total = unbaselined["findings"].as_array().unwrap().len();
    assert!(total >= 2, "{unbaselined}");
    demarc(dir.path())
        .args(["baseline", "infra", "--output", "base.json"])
        .assert()
        .code(0);
    write(dir.path(), ".demarc.yaml", "baseline: base.json\n");
    let (report, code, _) = scan_json(dir.path(), &["infra"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["baseline"]["matched"], total);
}

#[test]
fn mistakes_are_errors_with_file_and_line() {
    let dir = repo();
    write(
        dir.path(),
        ".demarc.yaml",
        "rules:\n  disable: [AWS-EC2-001]\n  disabel: [x]\nfail-on: sometimes\n",
    );
    let (_, code, stderr) = scan_json(dir.path(), &["infra"]);
    assert_eq!(code, 2);
    // Shown relative to the current directory, like every path.
    let shown = ".demarc.yaml";
    assert!(
        stderr.contains(&format!("{shown}:3:3: unknown key `disabel`")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{shown}:4:10: unknown `fail-on` level `sometimes`"
        )),
        "{stderr}"
    );

    // A selector that names no rule is caught too, so a typo never leaves
    // a rule on by accident.
    write(
        dir.path(),
        ".demarc.yaml",
        "rules:\n  disable:\n    - AWS-EC2-0001\n",
    );
    let (_, code, stderr) = scan_json(dir.path(), &["infra"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":3:7: `AWS-EC2-0001` selects no rule"),
        "{stderr}"
    );

    // A missing --config file is an error too.
    let (_, code, stderr) = scan_json(dir.path(), &["infra", "--config", "nope.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nope.yaml: cannot read the configuration"),
        "{stderr}"
    );
}

/// The config is part of the scanned repository, so it is untrusted: it
/// names no report file, and every path in it stays inside the repository.
#[test]
fn the_file_cannot_write_or_read_outside_the_repository() {
    let outer = tempfile::tempdir().unwrap();
    let outside = outer.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    write(&outside, "secret.tfvars", "x = 1\n");
    write(&outside, "victim.txt", "keep me\n");
    let repo_dir = outer.path().join("repo");
    std::fs::create_dir_all(repo_dir.join(".git")).unwrap();
    write(&repo_dir, "infra/main.tf", MAIN_TF);
    let victim = outside.join("victim.txt");

    // A report file named by the config is refused: nothing is created or
    // truncated, inside the repository or out.
    for format in [
        format!("json={}", victim.display()),
        "markdown=../outside/victim.txt".to_string(),
        "json=report.json".to_string(),
    ] {
        write(
            &repo_dir,
            ".demarc.yaml",
            &format!("format: [\"{format}\"]\n"),
        );
        let (_, code, stderr) = scan_json(&repo_dir, &["infra"]);
        assert_eq!(code, 2, "{format}: {stderr}");
        assert!(
            stderr.contains(".demarc.yaml:1:10: `") && stderr.contains("cannot name a report file"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
        assert!(!repo_dir.join("report.json").exists());
    }

    // Paths that leave: absolute, `..`, and a symbolic link out.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, repo_dir.join("env")).unwrap();
    let secret = outside.join("secret.tfvars");
    let cases = [
        format!("terraform:\n  var-files: [\"{}\"]\n", secret.display()),
        "terraform:\n  var-files: [../outside/secret.tfvars]\n".to_string(),
        "cloudformation:\n  parameter-files: [infra/../../outside/p.json]\n".to_string(),
        "rules:\n  dirs: [../outside]\n".to_string(),
        "baseline:\n  ../outside/secret.tfvars\n".to_string(),
        #[cfg(unix)]
        "terraform:\n  var-files: [env/secret.tfvars]\n".to_string(),
        #[cfg(unix)]
        "rules:\n  dirs: [env]\n".to_string(),
    ];
    for config in cases {
        write(&repo_dir, ".demarc.yaml", &config);
        let (report, code, stderr) = scan_json(&repo_dir, &["infra"]);
        assert_eq!(code, 2, "{config}: {stderr}");
        assert!(stderr.contains(".demarc.yaml:2:"), "{config}: {stderr}");
        assert!(
            stderr.contains("outside the repository"),
            "{config}: {stderr}"
        );
        assert_eq!(report, Value::Null, "no scan runs: {config}");
    }

    // Inside the repository, paths work (through `..` that stays inside too).
    write(&repo_dir, "env-prod/prod.tfvars", "x = 1\n");
    write(
        &repo_dir,
        ".demarc.yaml",
        "terraform:\n  var-files: [infra/../env-prod/prod.tfvars]\n",
    );
    let (_, code, stderr) = scan_json(&repo_dir, &["infra"]);
    assert_eq!(code, 1, "{stderr}");

    // Outside a git repository the scan root is the boundary.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "shared.tfvars", "x = 1\n");
    write(plain.path(), "root/main.tf", MAIN_TF);
    write(
        plain.path(),
        "root/.demarc.yaml",
        "terraform:\n  var-files: [../shared.tfvars]\n",
    );
    let (_, code, stderr) = scan_json(plain.path(), &["root"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("root/.demarc.yaml:2:15: `../shared.tfvars` is outside"),
        "{stderr}"
    );

    // A config named on the command line from outside the repository
    // cannot aim include/exclude globs at it.
    write(&outside, "ci.yaml", "exclude: [infra]\n");
    let (_, code, stderr) = scan_json(
        &repo_dir,
        &[
            "infra",
            "--config",
            &outside.join("ci.yaml").to_string_lossy(),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("ci.yaml:1:1: `exclude` globs start from this file's directory"),
        "{stderr}"
    );
}
