//! `demarc scan --compliance` and `demarc compliance` as a user meets them:
//! every control of a framework with its state in the scan, in JSON, text,
//! Markdown, SARIF tags and GitLab identifiers.

use assert_cmd::Command;
use serde_json::Value;

fn demarc() -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn scan_mixed(format: &str, frameworks: &[&str]) -> (String, i32) {
    let mut cmd = demarc();
    cmd.args(["scan", "examples/mixed", "--format", format]);
    for f in frameworks {
        cmd.args(["--compliance", f]);
    }
    let output = cmd.output().unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap(),
    )
}

fn controls(report: &Value) -> &Vec<Value> {
    report["controls"].as_array().unwrap()
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    controls(report)
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

#[test]
fn the_example_gives_cis_aws_controls_in_each_of_the_four_states() {
    let (stdout, code) = scan_mixed("json", &["cis-aws-3.0"]);
    assert_eq!(code, 1, "the example has findings");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let reports = json["compliance"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report["framework"], "cis-aws-3.0");
    assert_eq!(report["version"], "3.0.0");
    assert_eq!(controls(report).len(), 62);

    // fail: SSH open to the internet in examples/mixed/network/main.tf.
    let fail = control(report, "5.2");
    assert_eq!(fail["status"], "fail");
    assert!(fail["findings"].as_u64().unwrap() >= 1);
    assert_eq!(
        fail["rules"],
        serde_json::json!(["AWS-EC2-001", "AWS-EC2-003"])
    );
    // Each resource examined says where it is: file, line, address, sorted.
    let examined = fail["resources_checked"].as_array().unwrap();
    assert!(examined.contains(&serde_json::json!({
        "file": "examples/mixed/network/main.tf",
        "line": 16,
        "resource": "aws_security_group.bastion"
    })));
    let places: Vec<(String, u64)> = examined
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(places.windows(2).all(|w| w[0] <= w[1]), "{places:?}");
    assert_eq!(fail["finding_owners"], serde_json::json!(["shared"]));
    // The example's .demarc.yaml gives the network team its findings.
    assert_eq!(fail["owners"], serde_json::json!(["@example/network"]));
    assert_eq!(fail["unowned"], 0);
    assert_eq!(fail["section"], "Networking");
    assert_eq!(fail["responsibility"]["iaas"], "shared");

    // fail, with no team: cloudformation/ is left out of `owners:`.
    let unowned = control(report, "2.3.1");
    assert_eq!(unowned["status"], "fail");
    assert_eq!(unowned["owners"], serde_json::json!([]));
    assert_eq!(unowned["unowned"], unowned["findings"]);
    // Every failing control names its teams or counts its unowned findings.
    for c in controls(report).iter().filter(|c| c["status"] == "fail") {
        let teams = c["owners"].as_array().unwrap().len() as u64;
        assert!(teams > 0 || c["unowned"].as_u64() > Some(0), "{c}");
    }

    // pass: the trail validates its log files.
    let pass = control(report, "3.2");
    assert_eq!(pass["status"], "pass");
    assert_eq!(pass["findings"], 0);
    assert_eq!(
        pass["resources_checked"].as_array().unwrap().len(),
        1,
        "{pass}"
    );

    // not_applicable: the example has no EFS file system.
    let not_applicable = control(report, "2.4.1");
    assert_eq!(not_applicable["status"], "not_applicable");
    assert_eq!(not_applicable["rules"], serde_json::json!(["AWS-EFS-001"]));
    assert!(not_applicable["resources_checked"]
        .as_array()
        .unwrap()
        .is_empty());

    // not_checked: root MFA cannot be shown by code, and says so.
    let not_checked = control(report, "1.5");
    assert_eq!(not_checked["status"], "not_checked");
    assert_eq!(not_checked["checkable"], false);
    assert!(not_checked["status_reason"]
        .as_str()
        .unwrap()
        .starts_with("a customer process outside code"));

    let totals = &report["totals"]["by_status"];
    let counted: u64 = ["fail", "pass", "not_applicable", "not_checked"]
        .iter()
        .map(|s| totals[s].as_u64().unwrap_or_else(|| panic!("no {s} total")))
        .sum();
    assert_eq!(counted, 62);
    assert_eq!(report["totals"]["by_layer"]["network"]["fail"], 4);
}

#[test]
fn without_compliance_the_json_report_has_no_compliance_key() {
    let (stdout, _) = scan_mixed("json", &[]);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert!(json.get("compliance").is_none());
}

#[test]
fn an_unknown_framework_is_a_usage_error_naming_the_known_ones() {
    let output = demarc()
        .args(["scan", "examples/mixed", "--compliance", "cis-aws-9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cis-aws-9"), "{stderr}");
    assert!(stderr.contains("cis-aws-3.0, cis-azure-3.0"), "{stderr}");
}

#[test]
fn text_and_markdown_show_the_totals_and_the_controls() {
    let (text, _) = scan_mixed("text", &["cis-aws-3.0", "nist-800-53"]);
    assert!(text.contains(
        "Compliance: CIS Amazon Web Services Foundations Benchmark 3.0.0 (cis-aws-3.0, 62 controls)"
    ));
    assert!(text.contains("Compliance: NIST SP 800-53"));
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("fail") && l.contains(" 5.2 "))
        .expect("the failing control 5.2 is listed");
    assert!(line.contains("AWS-EC2-001"), "{line}");

    let (markdown, _) = scan_mixed("markdown", &["cis-aws-3.0"]);
    assert!(markdown.contains(
        "### Compliance: CIS Amazon Web Services Foundations Benchmark 3.0.0 (`cis-aws-3.0`)"
    ));
    assert!(markdown.contains(
        "| 2.4.1 | EFS file systems are encrypted | not_applicable | customer/customer/customer |"
    ));
}

#[test]
fn sarif_tags_and_gitlab_identifiers_carry_the_controls() {
    let (sarif, _) = scan_mixed("sarif", &[]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ssh = rules.iter().find(|r| r["id"] == "AWS-EC2-001").unwrap();
    let tags = ssh["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("cis-aws-3.0/5.2")), "{tags:?}");

    let (gitlab, _) = scan_mixed("gitlab", &[]);
    let gitlab: Value = serde_json::from_str(&gitlab).unwrap();
    let identifiers: Vec<&Value> = gitlab["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["identifiers"].as_array().unwrap())
        .collect();
    assert!(identifiers.iter().any(|i| i["type"] == "cis-aws-3.0"
        && i["value"] == "5.2"
        && i["name"] == "cis-aws-3.0 5.2"));
}

#[test]
fn the_compliance_command_counts_controls_from_the_data() {
    let output = demarc().arg("compliance").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let row = stdout
        .lines()
        .find(|l| l.starts_with("cis-aws-3.0 "))
        .expect("a row per framework");
    let numbers: Vec<usize> = row
        .split_whitespace()
        .skip(2)
        .take(3)
        .map(|n| n.parse().unwrap())
        .collect();
    let (total, checkable, evidenced) = (numbers[0], numbers[1], numbers[2]);
    assert_eq!(total, 62);
    assert!(evidenced <= checkable && checkable <= total, "{row}");
    for key in ["aws-fsbp", "cis-azure-3.0", "cis-gcp-2.0", "nist-800-53"] {
        assert!(stdout.lines().any(|l| l.starts_with(key)), "{key}");
    }
}

#[test]
fn the_readme_shows_what_demarc_compliance_prints() {
    let output = demarc().arg("compliance").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let table: String = stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.contains(&table),
        "README's `demarc compliance` table is out of date; it should read:\n{table}"
    );
}

/// With `--owner`, a control is judged on the team's files only: a team with
/// no security group does not "pass" 5.2 on another team's resources.
#[test]
fn with_an_owner_filter_controls_are_judged_on_the_teams_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("network")).unwrap();
    std::fs::create_dir_all(root.join("storage")).unwrap();
    std::fs::create_dir_all(root.join(".github")).unwrap();
    std::fs::write(
        root.join("network/main.tf"),
        "resource \"aws_security_group_rule\" \"ssh\" {\n  type = \"ingress\"\n  from_port = 22\n  to_port = 22\n  protocol = \"tcp\"\n  cidr_blocks = [\"0.0.0.0/0\"]\n  security_group_id = \"sg-1\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("storage/main.tf"),
        "resource \"aws_ebs_volume\" \"data\" {\n  availability_zone = \"eu-west-1a\"\n  size = 10\n  encrypted = true\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".github/CODEOWNERS"),
        "/network/ @org/network\n/storage/ @org/storage\n",
    )
    .unwrap();
    let control_of = |team: &str, id: &str| -> Value {
        let output = demarc()
            .current_dir(root)
            .args([
                "scan",
                ".",
                "--format",
                "json",
                "--compliance",
                "cis-aws-3.0",
            ])
            .args(["--owner", team])
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        control(&json["compliance"][0], id).clone()
    };
    let network = control_of("@org/network", "5.2");
    assert_eq!(network["status"], "fail");
    assert_eq!(network["owners"], serde_json::json!(["@org/network"]));
    assert_eq!(
        control_of("@org/storage", "5.2")["status"],
        "not_applicable"
    );
    let storage = control_of("@org/storage", "2.2.1");
    assert_eq!(storage["status"], "pass");
    assert_eq!(
        storage["resources_checked"],
        serde_json::json!([{"file": "storage/main.tf", "line": 1, "resource": "aws_ebs_volume.data"}])
    );
}
