//! Fingerprints and baselines: `demarc baseline` records today's findings;
//! `scan --baseline` reports only new ones, even after lines shift, the
//! file is reformatted or resources are reordered, and counts what is gone.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = demarc(dir)
        .args(["scan", ".", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

fn fingerprints(report: &Value) -> Vec<String> {
    let mut prints: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    prints.sort();
    prints
}

const SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

const RDP: &str = r#"resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = "sg-123"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
"#;

/// One security group with two identical open ingress blocks: told apart
/// by an ordinal, not by their lines.
const TWIN: &str = r#"resource "aws_security_group" "twin" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

#[test]
fn fingerprints_survive_line_shifts_reformatting_and_reordering() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", &format!("{SSH}\n{RDP}\n{TWIN}"));
    let (before, _) = scan_json(dir.path(), &[]);
    let prints = fingerprints(&before);
    assert_eq!(prints.len(), 4, "{before}");
    let mut unique = prints.clone();
    unique.dedup();
    assert_eq!(unique.len(), 4, "every finding has its own fingerprint");
    assert!(prints
        .iter()
        .all(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit())));

    // Comments above, resources in another order, different alignment.
    let reformatted = format!(
        "# Network rules\n\n\n{TWIN}\n\n{}\n# SSH for the bastion\n{}",
        RDP.replace("         = ", " = "),
        SSH.replace("[\"0.0.0.0/0\"]", "[ \"0.0.0.0/0\" ]")
    );
    write(dir.path(), "main.tf", &reformatted);
    let (after, _) = scan_json(dir.path(), &[]);
    assert_eq!(fingerprints(&after), prints);

    // A different value is a different finding.
    write(
        dir.path(),
        "main.tf",
        &format!("{}\n{RDP}\n{TWIN}", SSH.replace("0.0.0.0/0", "::/0")),
    );
    let (changed, _) = scan_json(dir.path(), &[]);
    let changed = fingerprints(&changed);
    assert_eq!(changed.iter().filter(|p| prints.contains(p)).count(), 3);
}

#[test]
fn a_baseline_gates_only_on_new_findings_and_counts_gone_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", &format!("{SSH}\n{RDP}"));
    let out = demarc(dir.path())
        .args(["baseline", ".", "--output", "demarc-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("wrote 2 baseline entries to demarc-baseline.json"));
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("demarc-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(baseline["version"], 1);
    let entries = baseline["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let keys: Vec<&String> = entries[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["fingerprint", "rule_id", "file", "resource"]);
    assert_eq!(entries[0]["file"], "main.tf");
    assert_eq!(entries[0]["resource"], "aws_security_group_rule.ssh");

    // Nothing new: exit 0, both suppressed as external.
    let (report, code) = scan_json(dir.path(), &["--baseline", "demarc-baseline.json"]);
    assert_eq!(code, 0);
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(
            f["suppressed"],
            serde_json::json!({ "kind": "external", "reason": "in baseline" })
        );
    }
    assert_eq!(
        report["summary"]["baseline"],
        serde_json::json!({ "matched": 2, "new": 0, "gone": 0 })
    );

    // Lines shift, one finding is fixed, one is added.
    let text = format!(
        "# moved down\n\n{}\n{RDP}\n{}",
        SSH.replace("0.0.0.0/0", "10.0.0.0/8"),
        SSH.replace("\"ssh\"", "\"ssh2\"")
    );
    write(dir.path(), "main.tf", &text);
    let (report, code) = scan_json(dir.path(), &["--baseline", "demarc-baseline.json"]);
    assert_eq!(code, 1, "the new finding fails the gate");
    assert_eq!(
        report["summary"]["baseline"],
        serde_json::json!({ "matched": 1, "new": 1, "gone": 1 })
    );
    assert_eq!(report["summary"]["total"], 1);
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .collect();
    assert_eq!(new[0]["resource"], "aws_security_group_rule.ssh2");

    let out = demarc(dir.path())
        .args(["scan", ".", "--baseline", "demarc-baseline.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "Baseline: 1 new, 1 already in the baseline (not counted), 1 in the baseline no longer found"
        ),
        "{text}"
    );
    assert!(text.contains("; 1 suppressed"), "{text}");

    // SARIF shows the baselined result as suppressed, external.
    let out = demarc(dir.path())
        .args([
            "scan",
            ".",
            "--format",
            "sarif",
            "--baseline",
            "demarc-baseline.json",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let suppressed: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        suppressed[0]["suppressions"],
        serde_json::json!([{ "kind": "external", "justification": "in baseline" }])
    );
}

#[test]
fn a_broken_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", SSH);
    write(
        dir.path(),
        "bad.json",
        "{\"version\": 1, \"entries\": [{\"fingerprint\": 3}]}",
    );
    let out = demarc(dir.path())
        .args(["scan", ".", "--baseline", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.json:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = demarc(dir.path())
        .args(["scan", ".", "--baseline", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
