//! Named accountability: CODEOWNERS at the repository root gives every
//! finding its teams (JSON `owners`, SARIF properties, a text line, the
//! Markdown grouping), and `--owner TEAM` keeps one team's findings.
//! `.demarc.yaml` `owners:` comes first (selectors, then paths), and
//! `--require-owner` fails the run (exit 3) on an unowned finding.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

const OPEN_SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "network/main.tf", OPEN_SSH);
    write(dir.path(), "storage/main.tf", OPEN_SSH);
    write(dir.path(), "misc/main.tf", OPEN_SSH);
    write(
        dir.path(),
        ".github/CODEOWNERS",
        "# teams\n*.tf @org/platform\n/network/ @org/network @alice\nstorage/ @org/storage\n/misc/\n",
    );
    dir
}

fn owners_by_file(report: &Value) -> Vec<(String, Vec<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["owners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn codeowners_names_the_teams_of_each_finding() {
    let dir = repo();
    let out = demarc(dir.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        owners_by_file(&report),
        [
            ("misc/main.tf".to_string(), vec![]),
            (
                "network/main.tf".to_string(),
                vec!["@org/network".to_string(), "@alice".to_string()]
            ),
            (
                "storage/main.tf".to_string(),
                vec!["@org/storage".to_string()]
            ),
        ]
    );

    // From a subdirectory the paths still resolve against the root.
    let out = demarc(&dir.path().join("network"))
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["owners"],
        serde_json::json!(["@org/network", "@alice"])
    );

    let out = demarc(dir.path())
        .args(["scan", "network"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("team: @org/network @alice (CODEOWNERS)"),
        "{text}"
    );

    let out = demarc(dir.path())
        .args(["scan", ".", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("#### @org/network, @alice (1)"), "{md}");
    assert!(md.contains("#### @org/storage (1)"), "{md}");
    assert!(
        md.contains("#### Unowned (no team in .demarc.yaml owners or CODEOWNERS) (1)"),
        "{md}"
    );
}

#[test]
fn owner_filters_to_one_team() {
    let dir = repo();
    for team in ["@org/storage", "org/STORAGE"] {
        let out = demarc(dir.path())
            .args(["scan", ".", "--format", "json", "--owner", team])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let files: Vec<String> = owners_by_file(&report)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(files, ["storage/main.tf"], "{team}");
        assert_eq!(report["summary"]["total"], 1);
        assert_eq!(out.status.code(), Some(1));
    }
    // A team CODEOWNERS names, whose lines later ones override: no finding.
    let out = demarc(dir.path())
        .args(["scan", ".", "--owner", "@org/platform"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "no finding of that team");
    // A team CODEOWNERS never names is a typo, not a clean result.
    let out = demarc(dir.path())
        .args([
            "scan",
            ".",
            "--owner",
            "@org/network",
            "--owner",
            "@org/nobody",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--owner @org/nobody: CODEOWNERS names no such owner"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // So is --owner without a CODEOWNERS file.
    std::fs::remove_file(dir.path().join(".github/CODEOWNERS")).unwrap();
    let out = demarc(dir.path())
        .args(["scan", ".", "--owner", "@org/network"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--owner needs a CODEOWNERS file"));
}

const PUBLIC_BUCKET: &str = r#"resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = "public-read"
}
"#;

/// The CODEOWNERS repository plus an `owners:` section: a rule selector,
/// a layer selector and a path glob.
fn configured_repo() -> tempfile::TempDir {
    let dir = repo();
    write(dir.path(), "storage/bucket.tf", PUBLIC_BUCKET);
    write(
        dir.path(),
        ".demarc.yaml",
        "owners:\n  path:misc/**: \"@org/misc\"\n  path:storage/**: [\"@org/data\", \"@bob\"]\n  layer:logging: \"@org/observability\"\n  AWS-EC2-001: \"@org/firewall\"\n",
    );
    dir
}

fn findings(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = demarc(dir)
        .args(["scan", ".", "--format", "json", "--fail-on", "none"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).expect("json report");
    (out.status.code(), report)
}

#[test]
fn config_owners_come_before_codeowners_selectors_before_paths() {
    let dir = configured_repo();
    let (code, report) = findings(dir.path(), &[]);
    assert_eq!(code, Some(0));
    for finding in report["findings"].as_array().unwrap() {
        let (rule, file) = (
            finding["rule_id"].as_str().unwrap(),
            finding["file"].as_str().unwrap(),
        );
        let layer = finding["layer"].as_str().unwrap();
        let expected: (&[&str], &str) = if rule == "AWS-EC2-001" {
            // The rule selector beats the path glob and CODEOWNERS.
            (&["@org/firewall"], "config")
        } else if layer == "logging" {
            (&["@org/observability"], "config")
        } else if file.starts_with("storage/") {
            (&["@org/data", "@bob"], "config")
        } else {
            panic!("unexpected finding {finding}");
        };
        assert_eq!(
            finding["owners"],
            serde_json::json!(expected.0),
            "{finding}"
        );
        assert_eq!(finding["owners_from"], expected.1, "{finding}");
        assert_eq!(finding["unowned"], false, "{finding}");
    }
    assert_eq!(report["summary"]["unowned"], 0);
    let teams: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["owners"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        teams.into_iter().collect::<Vec<_>>(),
        ["@org/data", "@org/firewall", "@org/observability"]
    );
    // Without the rule entry, paths come next, then CODEOWNERS.
    write(
        dir.path(),
        ".demarc.yaml",
        "owners:\n  path:misc/**: \"@org/misc\"\n",
    );
    let (_, report) = findings(dir.path(), &[]);
    let by_file: Vec<(String, Vec<String>)> = owners_by_file(&report)
        .into_iter()
        .filter(|(f, _)| f.ends_with("main.tf"))
        .collect();
    assert_eq!(
        by_file,
        [
            ("misc/main.tf".to_string(), vec!["@org/misc".to_string()]),
            (
                "network/main.tf".to_string(),
                vec!["@org/network".to_string(), "@alice".to_string()]
            ),
            (
                "storage/main.tf".to_string(),
                vec!["@org/storage".to_string()]
            ),
        ]
    );
    let sources: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("main.tf"))
        .map(|f| f["owners_from"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["config", "codeowners", "codeowners"]);
}

#[test]
fn an_owner_selector_that_selects_no_rule_is_an_error_with_its_line() {
    let dir = repo();
    write(
        dir.path(),
        ".demarc.yaml",
        "owners:\n  AWS-NOPE-999: \"@org/x\"\n",
    );
    let out = demarc(dir.path()).args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".demarc.yaml:2:3") && err.contains("selects no rule"),
        "{err}"
    );
    write(dir.path(), ".demarc.yaml", "owners:\n  layer:logging: []\n");
    let out = demarc(dir.path()).args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".demarc.yaml:2:"), "{err}");
}

#[test]
fn unowned_findings_are_listed_in_every_format_and_fail_with_require_owner() {
    let dir = repo();
    // misc/ is un-owned by its CODEOWNERS line.
    let (code, report) = findings(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["summary"]["unowned"], 1);
    let unowned: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["unowned"] == true)
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(unowned, ["misc/main.tf"]);

    let render = |format: &str| {
        let out = demarc(dir.path())
            .args(["scan", ".", "--fail-on", "none", "--format", format])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = render("text");
    assert!(text.contains("team: unowned"), "{text}");
    assert!(text.contains("team      1 of 3 unowned"), "{text}");
    let sarif: Value = serde_json::from_str(&render("sarif")).unwrap();
    let flags: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["properties"]["unowned"])
        .collect();
    assert_eq!(flags.iter().filter(|f| **f == true).count(), 1);
    assert!(render("markdown").contains("· 1 unowned"));
    assert!(render("junit").contains("(team: unowned)"));
    assert!(render("github").contains("team: unowned"));
    assert!(render("gitlab").contains("team: unowned"));
    assert!(render("html").contains("<strong class=\"unowned\">unowned</strong>"));

    // --require-owner: exit 3, over 1 (findings) and 0; an error (2) wins.
    let code = |args: &[&str]| {
        demarc(dir.path())
            .args(["scan", "."])
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["--require-owner"]), Some(3));
    assert_eq!(code(&["--require-owner", "--fail-on", "none"]), Some(3));
    assert_eq!(code(&[]), Some(1));
    // Suppressed findings do not count.
    write(
        dir.path(),
        "misc/main.tf",
        &format!("# demarc:ignore AWS-EC2-001 lab only\n{OPEN_SSH}"),
    );
    assert_eq!(code(&["--require-owner"]), Some(1));
    // Owned by the config: passes.
    write(
        dir.path(),
        ".demarc.yaml",
        "owners:\n  path:misc/**: \"@org/misc\"\n",
    );
    write(dir.path(), "misc/main.tf", OPEN_SSH);
    assert_eq!(code(&["--require-owner", "--fail-on", "none"]), Some(0));
    // A team only the config names is a valid --owner.
    let (code, report) = findings(dir.path(), &["--owner", "@org/misc"]);
    assert_eq!(code, Some(0));
    assert_eq!(owners_by_file(&report).len(), 1);
    write(dir.path(), "bad.tf", "resource \"x\" {");
    assert_eq!(
        demarc(dir.path())
            .args(["scan", ".", "--require-owner"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}
