//! Hostile and broken input: every case must end in an error with file (and
//! line where there is one), exit 2, and the rest of the scan reported in
//! full — never a panic, a hang or a stack overflow.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// A normal module scanned beside the hostile file; its finding must survive.
const HEALTHY: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
"#;

struct Outcome {
    code: i32,
    report: Value,
}

impl Outcome {
    /// The errors reported for files whose path ends with `name`.
    fn errors_for(&self, name: &str) -> Vec<&Value> {
        self.report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["file"].as_str().unwrap().ends_with(name))
            .collect()
    }

    fn assert_healthy_module_still_reported(&self) {
        let found = self.report["findings"].as_array().unwrap().iter().any(|f| {
            f["rule_id"] == "AWS-EC2-001"
                && f["file"].as_str().unwrap().ends_with("healthy/main.tf")
                && f["start_line"] == 6
        });
        assert!(
            found,
            "the healthy module's finding is missing: {}",
            self.report
        );
    }
}

fn scan(root: &Path, extra: &[&str]) -> Outcome {
    let healthy = root.join("healthy");
    std::fs::create_dir_all(&healthy).unwrap();
    std::fs::write(healthy.join("main.tf"), HEALTHY).unwrap();
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .arg("scan")
        .arg(root)
        .args(["--format", "json"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Outcome {
        code: out.status.code().expect("exited, not killed"),
        report,
    }
}

/// Scans a directory holding `name` with `contents` and checks the common
/// contract; returns the error reported for it.
fn scan_one(name: &str, contents: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), contents).unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    outcome.assert_healthy_module_still_reported();
    let errors = outcome.errors_for(name);
    assert_eq!(
        errors.len(),
        1,
        "expected one error for {name}: {}",
        outcome.report
    );
    errors[0].clone()
}

fn position(error: &Value) -> (u64, u64) {
    (
        error["line"].as_u64().expect("line"),
        error["column"].as_u64().expect("column"),
    )
}

#[test]
fn malformed_hcl_is_located() {
    let error = scan_one(
        "broken.tf",
        b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  acl =\n}\n",
    );
    assert_eq!(position(&error).0, 3, "{error}");
}

#[test]
fn malformed_cloudformation_yaml_and_json_are_located() {
    let yaml = scan_one("stack.yaml", b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: {a: [1, 2}\n");
    assert_eq!(position(&yaml).0, 5, "{yaml}");
    let json = scan_one("stack.json", b"{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\",}}\n}\n");
    assert_eq!(position(&json).0, 3, "{json}");
}

#[test]
fn broken_yaml_and_json_that_are_not_templates_are_ignored_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(
        dir.path().join(".github/workflows/ci.yml"),
        "on: [push\njobs: {",
    )
    .unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\",}").unwrap();
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx\n",
    )
    .unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(
        outcome.code, 1,
        "findings but no errors: {}",
        outcome.report
    );
    assert_eq!(outcome.report["errors"], Value::Array(vec![]));
    outcome.assert_healthy_module_still_reported();
}

#[test]
fn binary_and_non_utf8_files_are_errors() {
    let binary = scan_one("blob.tf", b"resource \"x\" \"y\" {\n\x00\x01\x02}\n");
    assert_eq!(binary["line"], 2, "{binary}");
    let latin1 = scan_one(
        "latin1.tf",
        b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"caf\xe9\"\n}\n",
    );
    assert_eq!(latin1["line"], 2, "{latin1}");
    assert!(latin1["message"].as_str().unwrap().contains("UTF-8"));
}

#[test]
fn hundred_thousand_deep_nesting_is_refused_in_every_syntax() {
    let deep = 100_000;
    let tf = format!("x = {}{}\n", "[".repeat(deep), "]".repeat(deep));
    assert_eq!(position(&scan_one("deep.tf", tf.as_bytes())).0, 1);
    let json = format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}{}}}",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    assert_eq!(position(&scan_one("deep.json", json.as_bytes())).0, 1);
    let yaml = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}{}\n",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    assert_eq!(position(&scan_one("deep.yaml", yaml.as_bytes())).0, 2);
    let block: String = (0..deep).map(|_| "- ").collect();
    let yaml_block = format!("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  {block}x\n");
    scan_one("deep-block.yaml", yaml_block.as_bytes());
}

#[test]
fn yaml_alias_bomb_is_refused_at_the_first_alias() {
    let mut bomb = String::from("AWSTemplateFormatVersion: '2010-09-09'\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    let error = scan_one("bomb.yaml", bomb.as_bytes());
    assert_eq!(position(&error).0, 3, "{error}");
}

#[test]
fn oversized_files_are_reported_and_large_ones_scanned() {
    // Over the 16 MiB limit: reported, not read.
    let huge = format!("# {}\n", "x".repeat(17 * 1024 * 1024));
    let error = scan_one("huge.tf", huge.as_bytes());
    assert!(
        error["message"].as_str().unwrap().contains("MiB"),
        "{error}"
    );

    // A few megabytes of real resources: scanned in full.
    let dir = tempfile::tempdir().unwrap();
    let mut big = String::new();
    for i in 0..50_000 {
        big.push_str(&format!(
            "resource \"aws_security_group\" \"g{i}\" {{\n  name = \"g{i}\"\n}}\n"
        ));
    }
    big.push_str(HEALTHY);
    assert!(big.len() > 2 * 1024 * 1024);
    std::fs::write(dir.path().join("big.tf"), &big).unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.report["errors"], Value::Array(vec![]));
    let in_big = outcome.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "AWS-EC2-001" && f["file"].as_str().unwrap().ends_with("big.tf")
        })
        .count();
    assert_eq!(in_big, 1);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_errors_not_hangs() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    symlink("..", links.join("up")).unwrap();
    symlink("self.tf", links.join("self.tf")).unwrap();
    symlink("/nonexistent/main.tf", links.join("dangling.tf")).unwrap();

    // Not following links (the default), the dangling IaC link is still reported.
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.code, 2);
    outcome.assert_healthy_module_still_reported();
    assert_eq!(
        outcome.errors_for("links/dangling.tf").len(),
        1,
        "{}",
        outcome.report
    );

    // Following them, the loop is detected and named.
    let outcome = scan(dir.path(), &["--follow-symlinks"]);
    assert_eq!(outcome.code, 2);
    outcome.assert_healthy_module_still_reported();
    let messages: Vec<String> = outcome.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].to_string())
        .collect();
    assert!(messages.iter().any(|m| m.contains("loop")), "{messages:?}");
}

#[test]
fn operands_that_fail_to_parse_are_not_reparsed_per_nesting_level() {
    // Each `a<b/{` doubled hcl-edit 0.10.0's work: 30 of them (155 bytes)
    // ran for more than ten minutes; the scan's timeout catches a relapse.
    let hostile = format!("d=8/{}\n", "a<b/{".repeat(30));
    let error = scan_one("hostile.tf", hostile.as_bytes());
    assert_eq!(position(&error).0, 1, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("HCL syntax error"),
        "{error}"
    );
}

#[test]
fn a_bare_path_reference_is_a_located_error_and_the_module_is_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("paths");
    std::fs::create_dir_all(&module).unwrap();
    let main = format!("resource \"aws_s3_bucket\" \"b\" {{\n  bucket = path\n}}\n{HEALTHY}");
    std::fs::write(module.join("main.tf"), main).unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    outcome.assert_healthy_module_still_reported();
    let errors = outcome.errors_for("paths/main.tf");
    assert_eq!(errors.len(), 1, "{}", outcome.report);
    assert_eq!(position(errors[0]), (2, 12), "{}", errors[0]);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("invalid reference"),
        "{}",
        errors[0]
    );
    // The same module's other resources keep their findings.
    let findings = outcome.report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule_id"] == "AWS-EC2-001"
            && f["file"].as_str().unwrap().ends_with("paths/main.tf")),
        "{}",
        outcome.report
    );
}

#[test]
fn malformed_plan_entries_are_located_errors() {
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_security_group_rule.ssh", "mode": "managed", "type": "aws_security_group_rule",
     "values": {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
                "cidr_blocks": ["0.0.0.0/0"], "security_group_id": "sg-1"}},
    {"mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "hidden"}},
    {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket"}
  ], "child_modules": {"not": "a list"}}}
}"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.json"), plan).unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    outcome.assert_healthy_module_still_reported();
    let mut lines: Vec<u64> = outcome
        .errors_for("plan.json")
        .iter()
        .map(|e| {
            assert!(
                e["message"].as_str().unwrap().contains("malformed plan"),
                "{e}"
            );
            position(e).0
        })
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, [7, 8, 9], "{}", outcome.report);
    // The well-formed entry is still scanned.
    assert!(
        outcome.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| {
                f["rule_id"] == "AWS-EC2-001" && f["file"].as_str().unwrap().ends_with("plan.json")
            }),
        "{}",
        outcome.report
    );
}

#[test]
fn numbers_that_overflow_are_not_ports() {
    // 1e400 is infinite as a float; read as a port it opened every port.
    let yaml = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Wide:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: sg-1\n      IpProtocol: tcp\n      FromPort: 0\n      ToPort: 1e400\n      CidrIp: 0.0.0.0/0\n";
    let json = r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Wide": {
  "Type": "AWS::EC2::SecurityGroupIngress",
  "Properties": {"GroupId": "sg-1", "IpProtocol": "tcp", "FromPort": 0, "ToPort": 1e400, "CidrIp": "0.0.0.0/0"}}}}"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wide.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("wide.json"), json).unwrap();
    let outcome = scan(dir.path(), &[]);
    outcome.assert_healthy_module_still_reported();
    let flagged: Vec<&Value> = outcome.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().contains("wide."))
        .collect();
    assert!(flagged.is_empty(), "{flagged:?}");
}

#[test]
fn duplicate_declarations_are_located_errors_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("dup");
    std::fs::create_dir_all(&module).unwrap();
    let bucket = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"x\"\n}\n";
    std::fs::write(module.join("a.tf"), format!("{bucket}{bucket}")).unwrap();
    std::fs::write(module.join("b.tf"), format!("\n{bucket}{HEALTHY}")).unwrap();
    // An override file merges into the block it repeats: no error.
    std::fs::write(module.join("b_override.tf"), bucket).unwrap();
    let outcome = scan(dir.path(), &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    outcome.assert_healthy_module_still_reported();
    let mut errors: Vec<(String, u64, String)> = outcome.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                position(e).0,
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    errors.sort();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("a.tf", 4));
    assert_eq!((errors[1].0.as_str(), errors[1].1), ("b.tf", 2));
    for (_, _, message) in &errors {
        assert!(
            message.contains("duplicate resource `aws_s3_bucket.a`") && message.contains("a.tf:1"),
            "{message}"
        );
    }
    // The module's other resources are still scanned.
    assert!(
        outcome.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| {
                f["rule_id"] == "AWS-EC2-001" && f["file"].as_str().unwrap().ends_with("dup/b.tf")
            }),
        "{}",
        outcome.report
    );
}

/// Address space the scan of one hostile module may use: every case below
/// asked for gigabytes before its budget charged by size.
const MEMORY_CAP_KIB: u64 = 1 << 20;

/// Scans `files` as a module `hostile/` (directories in names are created)
/// beside the healthy module, under [`MEMORY_CAP_KIB`]; checks that the
/// healthy module is reported and returns the errors of `hostile/`.
fn scan_hostile(files: &[(&str, String)]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join("hostile").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let healthy = dir.path().join("healthy");
    std::fs::create_dir_all(&healthy).unwrap();
    std::fs::write(healthy.join("main.tf"), HEALTHY).unwrap();
    let demarc = assert_cmd::cargo::cargo_bin("demarc");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(demarc)
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let outcome = Outcome {
        code: out.status.code().expect("exited, not killed"),
        report,
    };
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    outcome.assert_healthy_module_still_reported();
    let errors: Vec<Value> = outcome.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"].as_str().unwrap().contains("hostile/"))
        .cloned()
        .collect();
    assert!(!errors.is_empty(), "no error: {}", outcome.report);
    errors
}

/// The one error of a hostile module: at `line` of `file`, saying `says`.
fn assert_one_error(errors: &[Value], file: &str, line: u64, says: &str) {
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert!(error["file"].as_str().unwrap().ends_with(file), "{error}");
    assert_eq!(position(error).0, line, "{error}");
    assert!(error["message"].as_str().unwrap().contains(says), "{error}");
}

/// A 64 KiB string in a local (a width of 65536 is the most `format` pads).
const WIDE: &str = "locals {\n  s = format(\"%65536s\", \"\")\n}\n";

#[test]
fn copies_pay_for_their_size() {
    // 100,000 copies of 64 KiB: 6.5 GB if a copy costs one step.
    let main =
        format!("{WIDE}resource \"x\" \"y\" {{\n  v = [for i in range(100000) : local.s]\n}}\n");
    let errors = scan_hostile(&[("main.tf", main)]);
    assert_one_error(&errors, "main.tf", 5, "evaluation stopped");
}

#[test]
fn replace_checks_the_result_size_before_building_it() {
    // Every one of 128 Ki spaces replaced by 128 KiB: 16 GiB.
    let main = "locals {\n  s = format(\"%65536s%65536s\", \"\", \"\")\n}\nresource \"x\" \"y\" {\n  v = replace(local.s, \" \", local.s)\n}\n".to_string();
    let errors = scan_hostile(&[("main.tf", main)]);
    assert_one_error(&errors, "main.tf", 5, "a string of more than 16 MiB");
}

#[test]
fn formatlist_rows_pay_as_they_grow() {
    let main = "resource \"x\" \"y\" {\n  v = formatlist(\"%65536d%65536d\", range(100000), range(100000))\n}\n".to_string();
    let errors = scan_hostile(&[("main.tf", main)]);
    assert_one_error(&errors, "main.tf", 2, "evaluation stopped");
}

#[test]
fn regular_expressions_are_bounded_in_size_and_input() {
    // Compiled, this repetition is far past the size limit.
    let big = format!(
        "{WIDE}resource \"x\" \"y\" {{\n  v = regexall(\"(a{{1,100}}){{1,100}}b\", local.s)\n}}\n"
    );
    let errors = scan_hostile(&[("main.tf", big)]);
    assert_one_error(&errors, "main.tf", 5, "regular expression larger than");
    // Within the size limit, the input pays by its length: 16 MiB scanned
    // 40 times is past the budget.
    let long = format!(
        "{WIDE}locals {{\n  m = join(\"\", [for i in range(256) : local.s])\n}}\nresource \"x\" \"y\" {{\n  v = [for i in range(40) : regexall(\"[a-z]{{1,20}}b\", local.m)]\n}}\n"
    );
    let errors = scan_hostile(&[("main.tf", long)]);
    assert_one_error(&errors, "main.tf", 8, "evaluation stopped");
}

#[test]
fn instances_are_limited_across_the_module_tree() {
    // Two levels of count = 10000: 10^8 instances.
    let errors = scan_hostile(&[
        (
            "main.tf",
            "module \"a\" {\n  source = \"./a\"\n  count  = 10000\n}\n".into(),
        ),
        (
            "a/main.tf",
            "module \"b\" {\n  source = \"../b\"\n  count  = 10000\n}\n".into(),
        ),
        ("b/main.tf", "resource \"x\" \"y\" {}\n".into()),
    ]);
    // Reported where the budget ran out: the inner call, and the resource
    // of the instances already made.
    assert_all_say(&errors, "100000 resource and module instances");
    assert!(
        errors
            .iter()
            .any(|e| e["file"].as_str().unwrap().ends_with("a/main.tf") && position(e) == (1, 1)),
        "{errors:?}"
    );
    // 31 levels of two calls each: 2^31 instances.
    let mut files = vec![(
        "main.tf",
        "module \"l\" {\n  source = \"./n\"\n}\nmodule \"r\" {\n  source = \"./n\"\n}\n"
            .to_string(),
    )];
    let mut paths = vec![String::new()];
    for level in 0..31 {
        let dir = format!("{}n/", paths[level]);
        paths.push(dir);
    }
    let texts: Vec<String> = (1..=31)
        .map(|level| {
            if level == 31 {
                "resource \"x\" \"y\" {}\n".to_string()
            } else {
                "module \"l\" {\n  source = \"./n\"\n}\nmodule \"r\" {\n  source = \"./n\"\n}\n"
                    .to_string()
            }
        })
        .collect();
    let names: Vec<String> = (1..=31).map(|l| format!("{}main.tf", paths[l])).collect();
    for (name, text) in names.iter().zip(texts) {
        files.push((name.as_str(), text));
    }
    assert_all_say(
        &scan_hostile(&files),
        "100000 resource and module instances",
    );
}

fn assert_all_say(errors: &[Value], says: &str) {
    assert!(
        errors
            .iter()
            .all(|e| e["message"].as_str().unwrap().contains(says) && e["line"].is_u64()),
        "{errors:?}"
    );
}

#[test]
fn sixteen_megabytes_of_list_are_refused_before_they_are_parsed() {
    // 8 million elements: 1.3 GB parsed as JSON, 1.7 GB as HCL.
    let zeros = vec!["0"; (8 << 20) - 64].join(",");
    let errors = scan_hostile(&[
        ("main.tf", "variable \"v\" {}\nvariable \"w\" {}\n".into()),
        ("terraform.tfvars", format!("v = [{zeros}]\n")),
        ("terraform.tfvars.json", format!("{{\"w\": [{zeros}]}}")),
    ]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_all_say(&errors, "more than 2000000 elements");
}
