//! The composite GitHub Action (`action.yml`): its shape, and its scan step
//! run the way the runner runs it (bash -eo pipefail, inputs as environment
//! variables, `GITHUB_OUTPUT`) against the binary this build made. The
//! install step (`cargo install --path`) is the one part not run here.

use demarc::value::{Node, Value};
use std::path::Path;
use std::process::Command;

fn action() -> Node {
    let text = include_str!("../action.yml");
    demarc::parse::yaml::parse_yaml(text, 0).expect("action.yml is YAML")
}

fn text(node: &Node) -> String {
    match &node.value {
        Value::String(s) => s.clone(),
        other => other.display(),
    }
}

fn entries(node: &Node) -> Vec<(String, &Node)> {
    match &node.value {
        Value::Map(entries) => entries.iter().map(|e| (e.key.clone(), &e.value)).collect(),
        _ => panic!("not a mapping"),
    }
}

fn list(node: &Node) -> &[Node] {
    match &node.value {
        Value::List(items) => items,
        _ => panic!("not a list"),
    }
}

#[test]
fn the_action_is_composite_with_the_documented_inputs_and_outputs() {
    let action = action();
    assert_eq!(
        text(action.get("runs").unwrap().get("using").unwrap()),
        "composite"
    );
    let inputs: Vec<String> = entries(action.get("inputs").unwrap())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for name in [
        "paths",
        "sarif-file",
        "fail-on",
        "changed-since",
        "baseline",
        "args",
        "fail",
    ] {
        assert!(inputs.contains(&name.to_string()), "input {name}");
    }
    let outputs = action.get("outputs").unwrap();
    assert_eq!(
        text(outputs.get("exit-code").unwrap().get("value").unwrap()),
        "${{ steps.scan.outputs.exit-code }}"
    );
    let steps = list(action.get("runs").unwrap().get("steps").unwrap());
    let install = text(steps[0].get("run").unwrap());
    assert!(install.contains("cargo install --locked --path \"$ACTION_PATH\""));
    assert_eq!(
        text(steps[0].get("env").unwrap().get("ACTION_PATH").unwrap()),
        "${{ github.action_path }}"
    );
}

/// Runs the scan step with `inputs` (name → value; the rest default).
fn run_scan_step(dir: &Path, inputs: &[(&str, &str)]) -> (i32, String, String) {
    let action = action();
    let defaults: Vec<(String, String)> = entries(action.get("inputs").unwrap())
        .into_iter()
        .map(|(k, v)| (k, text(v.get("default").unwrap())))
        .collect();
    let input = |name: &str| {
        inputs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| {
                defaults
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default()
    };
    let steps = list(action.get("runs").unwrap().get("steps").unwrap());
    let step = steps
        .iter()
        .find(|s| s.get("id").map(text).as_deref() == Some("scan"))
        .expect("a step with id scan");
    let script = text(step.get("run").unwrap());
    let bin = Path::new(env!("CARGO_BIN_EXE_demarc")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let output_file = dir.join("github-output.txt");
    std::fs::write(&output_file, "").unwrap();
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output_file);
    // Each env entry is `${{ inputs.NAME }}`: the runner's substitution.
    for (key, value) in entries(step.get("env").unwrap()) {
        let expression = text(value);
        let name = expression
            .trim_start_matches("${{ inputs.")
            .trim_end_matches(" }}");
        command.env(key, input(name));
    }
    let out = command.output().expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        std::fs::read_to_string(&output_file).unwrap(),
    )
}

#[test]
fn the_scan_step_writes_sarif_annotates_and_reports_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::write(
        dir.path().join("infra/main.tf"),
        "resource \"aws_security_group_rule\" \"ssh\" {\n  type = \"ingress\"\n  from_port = 22\n  to_port = 22\n  protocol = \"tcp\"\n  cidr_blocks = [\"0.0.0.0/0\"]\n  security_group_id = \"sg-1\"\n}\n",
    )
    .unwrap();

    let (code, stdout, outputs) = run_scan_step(dir.path(), &[("paths", "infra")]);
    assert_eq!(code, 1, "fails the step by default: {stdout}");
    assert!(
        stdout.contains("::error file=infra/main.tf,line=6,"),
        "{stdout}"
    );
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains("sarif-file=demarc.sarif\n"), "{outputs}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("demarc.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "AWS-EC2-001");

    // `fail: false` lets the workflow decide; the exit code is still there.
    let (code, _, outputs) = run_scan_step(
        dir.path(),
        &[
            ("paths", "infra"),
            ("fail", "false"),
            ("sarif-file", "out/x.sarif"),
        ],
    );
    assert_eq!(code, 0);
    assert!(
        outputs.contains("exit-code=2\n"),
        "no out/ directory: {outputs}"
    );

    // fail-on and extra arguments reach demarc.
    let (code, _, outputs) = run_scan_step(
        dir.path(),
        &[
            ("paths", "infra"),
            ("fail-on", "none"),
            ("args", "--quiet --no-suppressions"),
        ],
    );
    assert_eq!(code, 0);
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
}
