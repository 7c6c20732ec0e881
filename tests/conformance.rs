//! The conformance set (tests/conformance/, see its README): shapes of
//! Terraform and CloudFormation whose verdict the real tools gave, filed
//! under `accepted/` or `rejected/`. demarc must agree: scan what they
//! accept without an error (reading the same values), and refuse what they
//! refuse with the file, line and column.
//!
//! The recorded verdicts are checked on every run; the tools themselves
//! (cfn-lint with PyYAML, and Terraform 1.x, which .ci/run installs into
//! target/ci-venv) are asked again so a recorded verdict cannot drift from
//! the tool's.

use assert_cmd::Command;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

fn conformance(framework: &str, verdict: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(framework)
        .join(verdict)
}

/// The cases of one verdict: template files, or module directories.
fn cases(framework: &str, verdict: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(conformance(framework, verdict))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no {framework} cases {verdict}");
    cases
}

fn scan(path: &Path) -> (Json, i32) {
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .arg("scan")
        .arg(path)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

fn assert_accepted(case: &Path) -> Json {
    let (report, code) = scan(case);
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "{}",
        case.display()
    );
    assert_eq!(code, 0, "{}", case.display());
    assert!(
        report["summary"]["files_scanned"].as_u64() >= Some(1),
        "{}: nothing scanned",
        case.display()
    );
    report
}

fn assert_rejected(case: &Path) {
    let (report, code) = scan(case);
    assert_eq!(code, 2, "{}: {report}", case.display());
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"].as_u64().is_some() && e["column"].as_u64().is_some()),
        "{}: no located error in {report}",
        case.display()
    );
}

/// A parsed YAML node as JSON, numbers as floats (PyYAML reads `5` as an
/// integer, demarc as a number).
fn to_json(node: &demarc::value::Node) -> Json {
    use demarc::value::Value;
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::json!(n),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
        other => panic!("not plain YAML: {other:?}"),
    }
}

fn numbers_as_floats(value: Json) -> Json {
    match value {
        Json::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Json::Array(items) => Json::Array(items.into_iter().map(numbers_as_floats).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

#[test]
fn templates_cloudformation_tools_accept_are_scanned_and_read_as_pyyaml_reads_them() {
    for case in cases("cloudformation", "accepted") {
        assert_accepted(&case);
        let text = std::fs::read_to_string(&case).unwrap();
        let parsed = demarc::parse::yaml::parse_yaml(&text, 0).unwrap();
        let recorded: Json = serde_json::from_str(
            &std::fs::read_to_string(case.with_extension("pyyaml.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            numbers_as_floats(to_json(&parsed)),
            numbers_as_floats(recorded),
            "{}",
            case.display()
        );
    }
}

#[test]
fn templates_cloudformation_tools_reject_are_errors_with_their_place() {
    for case in cases("cloudformation", "rejected") {
        assert_rejected(&case);
    }
}

#[test]
fn modules_terraform_accepts_are_scanned() {
    for case in cases("terraform", "accepted") {
        let report = assert_accepted(&case);
        let warnings = report["warnings"].as_array().unwrap();
        let repeats: Vec<(u64, u64)> = warnings
            .iter()
            .filter(|w| w["message"].as_str().unwrap().contains("is repeated"))
            .map(|w| (w["line"].as_u64().unwrap(), w["column"].as_u64().unwrap()))
            .collect();
        let name = case.file_name().unwrap().to_str().unwrap();
        // Terraform keeps the last value of a repeated key and says nothing;
        // demarc keeps it too and warns at the repeat.
        let expected: &[(u64, u64)] = match name {
            "object_key_repeated" => &[(5, 5)],
            "object_key_repeated_bare_and_quoted" => &[(2, 23)],
            _ => &[],
        };
        assert_eq!(repeats, expected, "{name}: {report}");
    }
}

#[test]
fn modules_terraform_rejects_are_errors_with_their_place() {
    for case in cases("terraform", "rejected") {
        assert_rejected(&case);
    }
}

/// A tool from target/ci-venv (where .ci/run installs it), else from PATH.
fn tool(names: &[&str]) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin");
    names
        .iter()
        .flat_map(|name| [venv.join(name), PathBuf::from(name)])
        .find(|path| {
            Process::new(path)
                .arg("--version")
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("none of {names:?} is installed: run .ci/run, which installs them from PyPI")
        })
}

#[test]
fn cfn_lint_gives_the_recorded_verdicts() {
    let cfn_lint = tool(&["cfn-lint"]);
    let mut cases = cases("cloudformation", "accepted");
    cases.extend(self::cases("cloudformation", "rejected"));
    let out = Process::new(&cfn_lint)
        .args(["--format", "json", "--"])
        .args(&cases)
        .output()
        .unwrap();
    let matches: Json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    // E0000: the template could not be parsed.
    let unparsable: Vec<PathBuf> = matches
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["Rule"]["Id"] == "E0000")
        .map(|m| PathBuf::from(m["Filename"].as_str().unwrap()))
        .collect();
    for case in cases {
        let rejected = case.parent().unwrap().ends_with("rejected");
        assert_eq!(
            unparsable.contains(&case),
            rejected,
            "cfn-lint on {}",
            case.display()
        );
    }
}

#[test]
fn terraform_gives_the_recorded_verdicts() {
    let terraform = tool(&["terraform", "tofu"]);
    let version = Process::new(&terraform)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with("Terraform v1.") || version.starts_with("OpenTofu v1."),
        "{version}"
    );
    let mut cases = cases("terraform", "accepted");
    cases.extend(self::cases("terraform", "rejected"));
    for case in cases {
        // A copy: validate writes nothing for a module without providers,
        // but the source tree stays untouched whatever it does.
        let work = tempfile::tempdir().unwrap();
        std::fs::copy(case.join("main.tf"), work.path().join("main.tf")).unwrap();
        let out = Process::new(&terraform)
            .args(["validate", "-no-color"])
            .current_dir(work.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("HOME", work.path())
            .output()
            .unwrap();
        let rejected = case.parent().unwrap().ends_with("rejected");
        assert_eq!(
            !out.status.success(),
            rejected,
            "terraform validate on {}: {}{}",
            case.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
