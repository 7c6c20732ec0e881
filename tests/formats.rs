//! The formats for the places demarc runs: JUnit (parsed back as XML),
//! GitLab SAST (validated against GitLab's published schema, vendored in
//! tests/data), GitHub workflow commands (escaping), Markdown for a
//! pull-request comment (snapshot); and several formats in one run.

use assert_cmd::Command;
use demarc::finding::{
    BaselineCounts, CheckedResource, Finding, Layer, Location, Owner, RuleDocs, RuleInfo,
    ScanResult, ServiceModel, Severity, Suppression, SuppressionKind,
};
use demarc::model::{Framework, ScanError};
use demarc::report::{render, Format, RenderOptions};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

fn options() -> RenderOptions {
    RenderOptions {
        tool_version: "0.1.0-test".into(),
        // 2024-05-01T12:00:00Z, and two and a half seconds.
        started: Some(UNIX_EPOCH + Duration::from_secs(1_714_564_800)),
        elapsed: Some(Duration::from_millis(2500)),
        ..RenderOptions::default()
    }
}

fn rule(id: &str, slug: &str, severity: Severity, layer: Layer, aliases: &[&str]) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.into(),
        slug: slug.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        summary: format!("Summary of {id}"),
        severity,
        layer,
        provider: "aws".into(),
        service: "ec2".into(),
        frameworks: vec![Framework::Terraform],
        docs: RuleDocs {
            what: format!("What {id} checks."),
            why: "Why it matters.".into(),
            fix: vec![(
                "terraform".into(),
                "Narrow the range.\n\nMore detail.".into(),
            )],
            references: vec!["https://example.com/ref".into()],
        },
        compliance: vec![],
        help_uri: None,
        sensitive: false,
        profile: None,
    })
}

fn at(file: &str, line: usize, column: usize) -> Location {
    Location {
        file: file.into(),
        start_line: line,
        start_column: column,
        end_line: line,
        end_column: column + 11,
        byte_start: 0,
        byte_end: 0,
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &Arc<RuleInfo>,
    resource: &str,
    file: &str,
    line: usize,
    message: &str,
    owners: &[&str],
    suppression: Option<Suppression>,
    fingerprint: &str,
) -> Finding {
    Finding {
        rule: rule.clone(),
        severity: rule.severity,
        service_model: ServiceModel::Iaas,
        owner: Owner::Shared,
        owner_reason: "The provider enforces it; the rule is yours.".into(),
        framework: Framework::Terraform,
        resource: resource.into(),
        resource_type: "aws_security_group_rule".into(),
        generated: None,
        location: at(file, line, 23),
        message: message.into(),
        value: Some("0.0.0.0/0".into()),
        provenance: vec![],
        resource_location: Location {
            end_line: line + 3,
            ..at(file, line.saturating_sub(5).max(1), 1)
        },
        value_path: "cidr_blocks".into(),
        fingerprint: fingerprint.into(),
        suppression,
        owners: owners.iter().map(|o| o.to_string()).collect(),
        owners_from: (!owners.is_empty()).then_some(demarc::finding::OwnersSource::Codeowners),
        notes: vec![],
    }
}

/// Three rules; an open SSH rule owned by the network team, a hostile
/// message in a file whose name needs escaping, a suppressed finding, a
/// passing check, an error and a warning.
fn sample() -> ScanResult {
    let ssh = rule(
        "AWS-EC2-001",
        "security-group-admin-port-open-to-internet",
        Severity::Critical,
        Layer::Network,
        &[
            "CKV_AWS_24",
            "AVD-AWS-0107",
            "aws-ec2-no-public-ingress-sgr",
        ],
    );
    let logs = rule(
        "AWS-S3-004",
        "s3-bucket-access-logging-disabled",
        Severity::Medium,
        Layer::Logging,
        &["CKV_AWS_18"],
    );
    let imds = rule(
        "AWS-EC2-004",
        "ec2-imdsv1-allowed",
        Severity::Low,
        Layer::Host,
        &[],
    );
    let findings = vec![
        finding(
            &ssh,
            "aws_security_group_rule.ssh",
            "infra/network/main.tf",
            6,
            "Ingress from 0.0.0.0/0 reaches SSH or RDP",
            &["@org/network"],
            None,
            "00112233445566778899aabbccddeeff",
        ),
        finding(
            &logs,
            "aws_s3_bucket.data",
            "infra/odd,name:1.tf",
            3,
            "Bucket <data> has no \"access\" logging & 100% of reads go unrecorded\nsecond line",
            &[],
            None,
            "ffeeddccbbaa99887766554433221100",
        ),
        finding(
            &ssh,
            "aws_security_group_rule.bastion",
            "infra/network/main.tf",
            20,
            "Ingress from 0.0.0.0/0 reaches SSH or RDP",
            &["@org/network"],
            Some(Suppression {
                kind: SuppressionKind::InSource,
                reason: "bastion, reviewed".into(),
                until: None,
            }),
            "0123456789abcdef0123456789abcdef",
        ),
    ];
    ScanResult {
        findings,
        errors: vec![ScanError {
            file: "broken/bad.tf".into(),
            line: Some(3),
            column: Some(5),
            message: "expected `=`".into(),
        }],
        warnings: vec![ScanError {
            file: "infra/network/main.tf".into(),
            line: Some(1),
            column: Some(1),
            message: "suppression names unknown rule `AWS-NOPE-1`".into(),
        }],
        rules: vec![ssh, logs, imds],
        checked: vec![
            CheckedResource {
                rule_id: "AWS-EC2-001".into(),
                resource: "aws_security_group_rule.internal".into(),
                file: "infra/network/main.tf".into(),
                line: 30,
            },
            CheckedResource {
                rule_id: "AWS-EC2-001".into(),
                resource: "aws_security_group_rule.ssh".into(),
                file: "infra/network/main.tf".into(),
                line: 1,
            },
        ],
        files_scanned: 4,
        baseline: Some(BaselineCounts {
            matched: 1,
            new: 2,
            gone: 3,
        }),
        ..ScanResult::default()
    }
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_is_well_formed_and_follows_the_usual_shape() {
    let xml = render(Format::Junit, &sample(), &options());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap_or("").to_string();
    // Suites: one per rule (sorted by id), then the scan errors.
    let suites: Vec<roxmltree::Node> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<String> = suites.iter().map(|s| attr(*s, "name")).collect();
    assert_eq!(
        names,
        [
            "AWS-EC2-001 security-group-admin-port-open-to-internet",
            "AWS-EC2-004 ec2-imdsv1-allowed",
            "AWS-S3-004 s3-bucket-access-logging-disabled",
            "scan errors"
        ]
    );
    // Every count adds up, at every level.
    let mut totals = [0usize; 4];
    for suite in &suites {
        let cases: Vec<roxmltree::Node> = suite.children().filter(|n| n.is_element()).collect();
        let count = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|k| k.tag_name().name() == tag))
                .count()
        };
        let counts = [
            cases.len(),
            count("failure"),
            count("error"),
            count("skipped"),
        ];
        let declared = ["tests", "failures", "errors", "skipped"]
            .map(|a| attr(*suite, a).parse::<usize>().unwrap());
        assert_eq!(counts, declared, "{}", attr(*suite, "name"));
        for i in 0..4 {
            totals[i] += counts[i];
        }
    }
    let declared =
        ["tests", "failures", "errors", "skipped"].map(|a| attr(root, a).parse::<usize>().unwrap());
    assert_eq!(totals, declared);
    assert_eq!(totals, [6, 2, 1, 1]);

    // The SSH suite: a failing case, a skipped (suppressed) one, a passing one.
    let ssh: Vec<roxmltree::Node> = suites[0].children().filter(|n| n.is_element()).collect();
    let case = |name: &str| {
        *ssh.iter()
            .find(|c| c.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no case {name}"))
    };
    let failing = case("aws_security_group_rule.ssh");
    assert_eq!(attr(failing, "classname"), "AWS-EC2-001");
    assert_eq!(attr(failing, "file"), "infra/network/main.tf");
    assert_eq!(attr(failing, "line"), "1");
    let failure = failing
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        attr(failure, "message"),
        "infra/network/main.tf:6: Ingress from 0.0.0.0/0 reaches SSH or RDP"
    );
    assert_eq!(attr(failure, "type"), "critical");
    assert!(failure
        .text()
        .unwrap()
        .contains("infra/network/main.tf:6:23: [critical] Ingress from 0.0.0.0/0"));
    let skipped = case("aws_security_group_rule.bastion");
    let skip = skipped
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert_eq!(attr(skip, "message"), "suppressed: bastion, reviewed");
    assert!(case("aws_security_group_rule.internal")
        .children()
        .all(|n| !n.is_element()));

    // Hostile text survives the round trip: exactly in the failure text; in
    // the message attribute, where XML reads a line break as a space, but
    // for that.
    let logs = suites[2].children().find(|n| n.is_element()).unwrap();
    let failure = logs.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(
        attr(failure, "message"),
        "infra/odd,name:1.tf:3: Bucket <data> has no \"access\" logging & 100% of reads go unrecorded second line"
    );
    assert!(failure.text().unwrap().contains(
        "Bucket <data> has no \"access\" logging & 100% of reads go unrecorded\nsecond line"
    ));
    // A rule that looked at nothing is one passing case.
    assert_eq!(attr(suites[1], "tests"), "1");
    // The error suite.
    let error = suites[3]
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .unwrap();
    assert_eq!(attr(error, "message"), "expected `=`");
}

// ---------------------------------------------------------------- GitLab

#[test]
fn gitlab_report_is_valid_against_the_published_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("data/gitlab-sast-report-format-15.0.7.json")).unwrap();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the GitLab schema compiles without network access");
    let report: Value =
        serde_json::from_str(&render(Format::Gitlab, &sample(), &options())).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let empty: Value =
        serde_json::from_str(&render(Format::Gitlab, &ScanResult::default(), &options())).unwrap();
    assert!(validator.is_valid(&empty));
    // The schema does reject a broken report, so the checks mean something.
    let mut broken = report.clone();
    broken["vulnerabilities"][0]["severity"] = json!("critical");
    assert!(!validator.is_valid(&broken));

    assert_eq!(report["version"], "15.0.7");
    let scan = &report["scan"];
    assert_eq!(scan["type"], "sast");
    assert_eq!(scan["start_time"], "2024-05-01T12:00:00");
    assert_eq!(scan["end_time"], "2024-05-01T12:00:02");
    assert_eq!(scan["status"], "success");
    assert_eq!(scan["scanner"]["id"], "demarc");
    assert_eq!(scan["messages"].as_array().unwrap().len(), 2);

    // Suppressed findings are decisions made: not vulnerabilities.
    let vulns = report["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    let ssh = &vulns[0];
    assert_eq!(ssh["id"], "00112233-4455-6677-8899-aabbccddeeff");
    assert_eq!(ssh["category"], "sast");
    assert_eq!(ssh["name"], "Summary of AWS-EC2-001");
    assert_eq!(ssh["severity"], "Critical");
    assert_eq!(vulns[1]["severity"], "Medium");
    assert_eq!(
        ssh["location"],
        json!({ "file": "infra/network/main.tf", "start_line": 6, "end_line": 6 })
    );
    assert_eq!(ssh["scanner"], json!({ "id": "demarc", "name": "demarc" }));
    let identifiers = ssh["identifiers"].as_array().unwrap();
    assert_eq!(
        identifiers[0],
        json!({ "type": "demarc_rule_id", "name": "demarc AWS-EC2-001", "value": "AWS-EC2-001" })
    );
    let kinds: Vec<&str> = identifiers
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["demarc_rule_id", "checkov_id", "trivy_id", "tfsec_id"]
    );
    assert!(ssh["description"]
        .as_str()
        .unwrap()
        .contains("Ingress from 0.0.0.0/0 reaches SSH or RDP"));
    assert_eq!(ssh["solution"], "Narrow the range.\n\nMore detail.");
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_commands_are_escaped_for_the_runner() {
    let text = render(Format::Github, &sample(), &options());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=infra/network/main.tf,line=6,col=23,endLine=6,endColumn=34,title=AWS-EC2-001 [critical] Summary of AWS-EC2-001::\
Ingress from 0.0.0.0/0 reaches SSH or RDP%0Anetwork/shared (iaas) · aws_security_group_rule.ssh%0Ateam: @org/network (CODEOWNERS)%0AFix: Narrow the range."
    );
    // `,` and `:` in a property, `%`, `\n` in data.
    assert_eq!(
        lines[1],
        "::warning file=infra/odd%2Cname%3A1.tf,line=3,col=23,endLine=3,endColumn=34,title=AWS-S3-004 [medium] Summary of AWS-S3-004::\
Bucket <data> has no \"access\" logging & 100%25 of reads go unrecorded%0Asecond line%0Alogging/shared (iaas) · aws_s3_bucket.data%0Ateam: unowned%0AFix: Narrow the range."
    );
    // The suppressed finding is not annotated; the error and warning are.
    assert_eq!(
        lines[2],
        "::error file=broken/bad.tf,line=3,col=5,title=demarc error::expected `=`"
    );
    assert!(lines[3]
        .starts_with("::warning file=infra/network/main.tf,line=1,col=1,title=demarc warning::"));
    assert_eq!(
        lines[4],
        "demarc: 2 findings in 2 of 4 files scanned; 1 suppressed; 1 error"
    );
    assert_eq!(lines.len(), 5);
    // Every command is one line: no raw line break survives inside one.
    for line in &lines[..4] {
        assert!(line.starts_with("::"));
    }
}

// ---------------------------------------------------------------- Markdown

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(render(Format::Markdown, &sample(), &options()));
}

#[test]
fn markdown_groups_by_team_then_layer_and_escapes_what_it_quotes() {
    let md = render(Format::Markdown, &sample(), &options());
    let team = md.find("#### @org/network (1)").expect("team heading");
    let no_team = md
        .find("#### Unowned (no team in .demarc.yaml owners or CODEOWNERS) (1)")
        .expect("no-team heading");
    assert!(team < no_team, "teams first, the team-less group last");
    assert!(md.contains("**network** (1)"));
    assert!(md.contains("**logging** (1)"));
    assert!(md.contains("| identity | 0 | 0 | 0 | 0 |"));
    assert!(md.contains(
        "**2 findings** (1 critical, 1 medium) in 2 of 4 files scanned · 1 unowned · 1 suppressed · 1 error · 1 warning"
    ));
    assert!(md.contains("Baseline: 2 new · 1 already in the baseline (not counted) · 3 in the baseline no longer found"));
    // The hostile message cannot open a tag or break the table.
    assert!(!md.contains("<data>"));
    assert!(md.contains("Bucket &lt;data&gt; has no \"access\" logging &amp; 100% of reads go unrecorded second line"));
    assert_eq!(md.matches("<details>").count(), 2);
    assert_eq!(md.matches("</details>").count(), 2);
    // The suppressed finding is counted, not listed.
    assert!(!md.contains("aws_security_group_rule.bastion"));
}

// ---------------------------------------------------------------- CLI

const OPEN_SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

/// A scan with `n` findings spread over severities, layers, teams and
/// files, given in file order as reporters receive them, and as many errors.
fn many_findings(n: usize) -> ScanResult {
    // Every severity in each of two layers.
    let rules: Vec<Arc<RuleInfo>> = (0..10)
        .map(|i| {
            let (severity, layer) = (Severity::ALL[i % 5], Layer::ALL[i % 2]);
            rule(
                &format!("AWS-GEN-{i:03}"),
                "generated",
                severity,
                layer,
                &[],
            )
        })
        .collect();
    let teams = [&["@org/network"][..], &["@org/data"], &[]];
    let mut findings: Vec<Finding> = (0..n)
        .map(|i| {
            finding(
                &rules[(i * 7) % rules.len()],
                &format!("aws_security_group_rule.r{i}"),
                &format!("infra/module{:03}/main.tf", i % 97),
                1 + i,
                "Ingress from 0.0.0.0/0 reaches SSH or RDP, and the message is long enough to count",
                teams[i % teams.len()],
                None,
                &format!("{i:032x}"),
            )
        })
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let errors = (0..n)
        .map(|i| ScanError {
            file: format!("broken/{i}.tf"),
            line: Some(1),
            column: Some(1),
            message: "expected `=`".into(),
        })
        .collect();
    ScanResult {
        findings,
        errors,
        rules,
        files_scanned: n,
        ..ScanResult::default()
    }
}

/// The severities of the findings a Markdown report lists, in its order.
fn listed_severities(md: &str) -> Vec<Severity> {
    md.lines()
        .filter_map(|line| line.strip_prefix("<summary>"))
        .map(|summary| {
            let name = summary
                .split("<b>")
                .nth(1)
                .unwrap()
                .split("</b>")
                .next()
                .unwrap();
            Severity::parse(name).unwrap()
        })
        .collect()
}

#[test]
fn markdown_lists_the_most_severe_first_in_every_group() {
    let md = render(Format::Markdown, &many_findings(40), &options());
    assert!(!md.contains("Not shown"), "40 findings fit whole");
    // Groups: a team heading, then a layer line such as `**network** (3)`.
    let is_layer_line = |line: &str| {
        Layer::ALL
            .iter()
            .any(|l| line.starts_with(&format!("**{}** (", l.name())))
    };
    let mut groups: Vec<String> = Vec::new();
    for line in md.lines() {
        if is_layer_line(line) || line.starts_with("#### ") {
            groups.push(String::new());
        }
        if let Some(group) = groups.last_mut() {
            group.push_str(line);
            group.push('\n');
        }
    }
    assert!(groups.len() > 6, "{md}");
    for group in &groups {
        let severities = listed_severities(group);
        if group.starts_with("**") {
            assert!(
                severities.len() > 3,
                "a layer group mixes severities: {group}"
            );
        }
        assert!(severities.windows(2).all(|w| w[0] >= w[1]), "{group}");
    }
    assert_eq!(listed_severities(&md).len(), 40);
}

#[test]
fn markdown_fits_a_github_comment_and_says_what_it_left_out() {
    let result = many_findings(1000);
    let md = render(Format::Markdown, &result, &options());
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    let listed = listed_severities(&md);
    assert!(
        listed.len() > 50,
        "room for many findings: {}",
        listed.len()
    );
    assert!(listed.len() < 1000);
    // The findings kept are the most severe: none left out is more severe
    // than one listed.
    let least_listed = *listed.iter().min().unwrap();
    let listed_at = |s: Severity| listed.iter().filter(|&&l| l == s).count();
    let total_at = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    for severity in Severity::ALL.into_iter().filter(|&s| s > least_listed) {
        assert_eq!(listed_at(severity), total_at(severity), "{severity:?}");
    }
    let note = format!(
        "> **Not shown:** {} of 1000 findings, ",
        1000 - listed.len()
    );
    assert!(md.contains(&note), "{}", &md[..2000]);
    assert!(md.contains(" of 1000 errors, to keep this comment within GitHub's 65,536 characters."));
    assert!(md.contains("`demarc scan --format text`"));
    // The summary is whole.
    assert!(md.contains("## demarc: 1000 findings"));
    assert!(md.contains("### Responsibility matrix"));
}

/// `many_findings(n)` whose rules evidence controls of every embedded
/// framework (rule `i`, the framework's control `7 * i`, wrapping), with every
/// framework evaluated as `--compliance` would.
fn many_findings_with_compliance(n: usize) -> ScanResult {
    let frameworks = demarc::compliance::embedded().unwrap();
    let mut result = many_findings(n);
    let with_controls = |rule: &RuleInfo| -> Arc<RuleInfo> {
        let i: usize = rule.id.trim_start_matches("AWS-GEN-").parse().unwrap();
        let mut rule = rule.clone();
        rule.compliance = frameworks
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.controls[(7 * i) % f.controls.len()].id.clone(),
                )
            })
            .collect();
        Arc::new(rule)
    };
    result.rules = result.rules.iter().map(|r| with_controls(r)).collect();
    for finding in &mut result.findings {
        finding.rule = with_controls(&finding.rule);
    }
    result.compliance = frameworks
        .iter()
        .map(|f| demarc::compliance::evaluate(f, &result))
        .collect();
    result
}

/// The compliance section counts against GitHub's limit: the failing
/// controls of every framework stay, with findings, and the controls left
/// out are named per framework and in the note.
#[test]
fn markdown_with_compliance_fits_a_github_comment() {
    let result = many_findings_with_compliance(1000);
    let md = render(Format::Markdown, &result, &options());
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    let all: usize = result.compliance.iter().map(|r| r.controls.len()).sum();
    let mut listed = 0;
    for report in &result.compliance {
        let section = md
            .split(&format!("(`{}`)", report.framework))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {}", report.framework));
        let section = section.split("</details>").next().unwrap();
        let rows: Vec<&str> = section
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| control |"))
            .filter(|l| !l.starts_with("| **all controls**") && l.split(" | ").count() == 6)
            .collect();
        listed += rows.len();
        // Every failing control is listed, before any other.
        let failing = report
            .controls
            .iter()
            .filter(|c| c.status.name() == "fail")
            .count();
        assert!(failing > 0, "{}", report.framework);
        let states: Vec<&str> = rows
            .iter()
            .map(|r| r.split(" | ").nth(2).unwrap())
            .collect();
        assert!(states.len() >= failing, "{}", report.framework);
        assert!(states[..failing].iter().all(|s| *s == "fail"), "{states:?}");
        if rows.len() < report.controls.len() {
            let line = format!(
                "_Not listed, to keep the comment within its limit: {} of {} controls (",
                report.controls.len() - rows.len(),
                report.controls.len()
            );
            assert!(section.contains(&line), "{section}");
        }
    }
    assert!(listed < all, "five frameworks' controls cannot all fit");
    assert!(
        md.contains(&format!(
            ", {} of {all} compliance controls, ",
            all - listed
        )),
        "{}",
        &md[..2000]
    );
    // Findings still have room after the failing controls.
    assert!(listed_severities(&md).len() > 50);
}

fn demarc(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

#[test]
fn several_formats_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), OPEN_SSH).unwrap();
    let out = demarc(dir.path())
        .args([
            "scan",
            "main.tf",
            "--format",
            "sarif=out.sarif",
            "--format",
            "text",
            "--format",
            "junit=junit.xml",
            "-f",
            "gitlab=gl-sast-report.json",
            "-f",
            "markdown=comment.md",
            "-f",
            "github=annotations.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[critical] AWS-EC2-001"), "{text}");
    // The CLI adds the time taken to the text summary.
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("1 finding (1 critical) in 1 of 1 file scanned (") && last.ends_with("s)"),
        "{last}"
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let sarif: Value = serde_json::from_str(&read("out.sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "AWS-EC2-001");
    roxmltree::Document::parse(&read("junit.xml")).unwrap();
    let gitlab: Value = serde_json::from_str(&read("gl-sast-report.json")).unwrap();
    assert_eq!(gitlab["vulnerabilities"][0]["severity"], "Critical");
    assert!(read("comment.md").starts_with("## demarc: 1 finding"));
    assert!(read("annotations.txt").starts_with("::error file=main.tf,line=6,"));

    // Two reports cannot share standard output.
    let out = demarc(dir.path())
        .args(["scan", ".", "-f", "json", "-f", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than one --format"));
    // --output takes the standard-output report.
    let out = demarc(dir.path())
        .args([
            "scan",
            ".",
            "-f",
            "json",
            "-f",
            "junit=j.xml",
            "-o",
            "r.json",
        ])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    let report: Value = serde_json::from_str(&read("r.json")).unwrap();
    assert_eq!(report["version"], 1);
    // An unknown format is a usage error.
    demarc(dir.path())
        .args(["scan", ".", "-f", "pdf"])
        .assert()
        .code(2);
}

#[test]
fn quiet_prints_only_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), OPEN_SSH).unwrap();
    let out = demarc(dir.path())
        .args(["scan", ".", "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AWS-EC2-001"));
    assert!(
        !text.contains("Summary") && !text.contains("finding (1 critical)"),
        "{text}"
    );
    assert!(out.stderr.is_empty());
    assert_eq!(out.status.code(), Some(1));
}
