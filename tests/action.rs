//! The composite GitHub Action (`action.yml`): its shape, and its scan step
//! run the way the runner runs it (bash -eo pipefail, inputs as environment
//! variables, `GITHUB_OUTPUT`) against the binary this build made; the
//! version step; and the release download script against a local directory
//! standing in for a release (file:// URLs, no network), checksum mismatch
//! included. The `cargo install --path` step is the one part not run here.

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
        "version",
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
    let source = step_named(&action, "Build demarc from source");
    assert!(
        text(source.get("run").unwrap()).contains("cargo install --locked --path \"$ACTION_PATH\"")
    );
    assert_eq!(
        text(source.get("if").unwrap()),
        "steps.version.outputs.version == 'source'"
    );
    // The release path runs the script the tests below exercise.
    let download = step_named(&action, "Download demarc");
    assert_eq!(
        text(download.get("run").unwrap()),
        "bash \"$GITHUB_ACTION_PATH/.github/scripts/install-demarc.sh\""
    );
    assert!(text(download.get("if").unwrap()).contains("cache-hit != 'true'"));
}

fn step_named<'a>(action: &'a Node, name: &str) -> &'a Node {
    list(action.get("runs").unwrap().get("steps").unwrap())
        .iter()
        .find(|s| s.get("name").map(text).as_deref() == Some(name))
        .unwrap_or_else(|| panic!("a step named {name}"))
}

/// Runs the version step with the `version` input; returns its output line.
fn resolve_version(input: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let action = action();
    let step = step_named(&action, "Resolve demarc version");
    let output_file = dir.path().join("github-output.txt");
    let status = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(text(step.get("run").unwrap()))
        .env("ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        .env("VERSION", input)
        .env("GITHUB_OUTPUT", &output_file)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(output_file).unwrap()
}

#[test]
fn the_version_defaults_to_the_actions_own_release() {
    assert_eq!(
        resolve_version(""),
        format!("version={}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(resolve_version("v1.2.3"), "version=1.2.3\n");
    assert_eq!(resolve_version("source"), "version=source\n");
}

/// A directory laid out as a release of demarc 9.9.9 for Linux x86_64: the
/// archive (whose binary prints a marker) and SHA256SUMS with `listed_sum`
/// (None: the real checksum).
fn fake_release(root: &Path, listed_sum: Option<&str>) -> std::path::PathBuf {
    use sha2::{Digest, Sha256};
    let stem = "demarc-9.9.9-x86_64-unknown-linux-musl";
    let staging = root.join("staging").join(stem);
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("demarc"), "#!/bin/sh\necho released-demarc\n").unwrap();
    let release = root.join("release");
    std::fs::create_dir_all(&release).unwrap();
    let archive = release.join(format!("{stem}.tar.gz"));
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(root.join("staging"))
        .arg(stem)
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let sum = match listed_sum {
        Some(sum) => sum.to_string(),
        None => format!("{:x}", Sha256::digest(std::fs::read(&archive).unwrap())),
    };
    std::fs::write(
        release.join("SHA256SUMS"),
        format!("{}  other-file.zip\n{sum}  {stem}.tar.gz\n", "0".repeat(64)),
    )
    .unwrap();
    release
}

/// Runs the install script for Linux/X64 against `release`; returns its
/// status, standard error and the installed binary if any.
fn install_from(release: &Path, dest: &Path) -> (bool, String, Option<std::path::PathBuf>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/scripts/install-demarc.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("DEMARC_VERSION", "v9.9.9")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("DEST", dest)
        .env("RELEASE_URL", format!("file://{}", release.display()))
        .output()
        .expect("bash runs");
    let bin = dest.join("bin/demarc");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
        bin.exists().then_some(bin),
    )
}

#[test]
fn the_install_script_installs_a_release_whose_checksum_matches() {
    let dir = tempfile::tempdir().unwrap();
    let release = fake_release(dir.path(), None);
    let (ok, stderr, bin) = install_from(&release, &dir.path().join("dest"));
    assert!(ok, "{stderr}");
    let out = Command::new(bin.expect("binary installed"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "released-demarc\n");
}

#[test]
fn the_install_script_refuses_a_checksum_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let release = fake_release(dir.path(), Some(&"ab".repeat(32)));
    let (ok, stderr, bin) = install_from(&release, &dir.path().join("dest"));
    assert!(!ok);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert_eq!(bin, None, "nothing installed");
}

#[test]
fn the_install_script_refuses_an_archive_missing_from_sha256sums() {
    let dir = tempfile::tempdir().unwrap();
    let release = fake_release(dir.path(), None);
    let sums = std::fs::read_to_string(release.join("SHA256SUMS")).unwrap();
    let other_only: String = sums.lines().take(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(release.join("SHA256SUMS"), other_only).unwrap();
    let (ok, stderr, bin) = install_from(&release, &dir.path().join("dest"));
    assert!(!ok);
    assert!(stderr.contains("not listed"), "{stderr}");
    assert_eq!(bin, None);
}

#[test]
fn the_install_script_fails_when_the_release_has_no_such_archive() {
    let dir = tempfile::tempdir().unwrap();
    let release = fake_release(dir.path(), None);
    std::fs::remove_file(release.join("demarc-9.9.9-x86_64-unknown-linux-musl.tar.gz")).unwrap();
    let (ok, _, bin) = install_from(&release, &dir.path().join("dest"));
    assert!(!ok);
    assert_eq!(bin, None);
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
