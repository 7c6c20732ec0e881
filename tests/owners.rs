//! Named accountability: CODEOWNERS at the repository root gives every
//! finding its teams (JSON `owners`, SARIF properties, a text line, the
//! Markdown grouping), and `--owner TEAM` keeps one team's findings.

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
    assert!(text.contains("CODEOWNERS: @org/network @alice"), "{text}");

    let out = demarc(dir.path())
        .args(["scan", ".", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("#### @org/network, @alice (1)"), "{md}");
    assert!(md.contains("#### @org/storage (1)"), "{md}");
    assert!(md.contains("#### No CODEOWNERS team (1)"), "{md}");
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
