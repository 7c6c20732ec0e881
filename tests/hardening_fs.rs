//! The scanned repository is untrusted (issue 18): a fake git directory or a
//! hostile `.gitattributes` must not make `--changed-since` run anything;
//! symbolic links must not lead a read out of the scan root, into a device
//! or into a multiplied walk; and nothing in the repository (a file that
//! looks like a plan, `.gitignore`, a broken CODEOWNERS) may silently hide
//! what Terraform would load.
//!
//! These tests run git (installed by `.ci/run` when missing).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

const OPEN_SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// git as a test's own tool: no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    let output = Process::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git is installed (.ci/run installs it)");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    output
}

fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn commit_all(dir: &Path) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "change"]);
}

fn demarc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("demarc").unwrap();
    cmd.current_dir(dir)
        .env("HOME", dir)
        .timeout(Duration::from_secs(120));
    cmd
}

struct Outcome {
    code: i32,
    report: Value,
}

impl Outcome {
    /// `(file, rule)` of every finding, sorted.
    fn findings(&self) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["rule_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    }

    /// `file: message` of every error (or warning).
    fn messages(&self, kind: &str) -> Vec<String> {
        self.report[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}:{}: {}", e["file"], e["line"], e["message"]))
            .collect()
    }
}

fn scan(dir: &Path, args: &[&str]) -> Outcome {
    scan_with(demarc(dir), args)
}

fn scan_with(mut cmd: Command, args: &[&str]) -> Outcome {
    let out = cmd
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON report: {}", String::from_utf8_lossy(&out.stderr)));
    Outcome {
        code: out.status.code().unwrap(),
        report,
    }
}

fn ssh(file: &str) -> (String, String) {
    (file.to_string(), "AWS-EC2-001".to_string())
}

/// Defect 1: a pull request commits a fake git directory into the scanned
/// path, whose config points its work tree at the repository and names an
/// fsmonitor command. git started in that path runs it; demarc must not.
#[test]
fn a_fake_git_directory_in_a_scanned_path_runs_nothing() {
    let dir = git_repo();
    let root = dir.path();
    write(root, "infra/main.tf", "locals {}\n");
    commit_all(root);
    // What the pull request adds: a git directory's files under infra/ (a
    // copy of the real one, so every revision resolves), and a change.
    for part in ["objects", "refs"] {
        let copied = Process::new("cp")
            .arg("-r")
            .arg(root.join(".git").join(part))
            .arg(root.join("infra"))
            .status()
            .unwrap();
        assert!(copied.success());
    }
    std::fs::copy(root.join(".git/HEAD"), root.join("infra/HEAD")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("fsmonitor-ran");
    write(
        root,
        "infra/config",
        &format!(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ..\n\tfsmonitor = \"touch '{}'\"\n",
            marker.display()
        ),
    );
    write(root, "infra/open.tf", OPEN_SSH);

    // The setup is hostile: git run in infra/ would run the command.
    git(&root.join("infra"), &["diff", "--name-only", "HEAD", "--"]);
    assert!(marker.exists(), "plain git ran the fsmonitor command");
    std::fs::remove_file(&marker).unwrap();

    // An inherited GIT_DIR pointing at the fake directory is ignored too.
    for git_dir in [None, Some(root.join("infra"))] {
        let mut cmd = demarc(root);
        if let Some(git_dir) = &git_dir {
            cmd.env("GIT_DIR", git_dir);
        }
        let outcome = scan_with(cmd, &["infra", "--changed-since", "HEAD"]);
        assert!(!marker.exists(), "demarc let git run the fsmonitor command");
        // The real repository answered: the new file is scanned.
        assert_eq!(
            outcome.findings(),
            [ssh("infra/open.tf")],
            "{}",
            outcome.report
        );
        assert_eq!(outcome.code, 1);
    }

    // Started inside infra/, demarc still finds the real repository (the
    // one holding .git), not the fake one.
    let outcome = scan(&root.join("infra"), &[".", "--changed-since", "HEAD"]);
    assert!(!marker.exists(), "demarc let git run the fsmonitor command");
    assert_eq!(outcome.findings(), [ssh("open.tf")], "{}", outcome.report);
}

/// Defect 1: drivers that run programs (fsmonitor, textconv, external diff)
/// named by the repository's configuration and its `.gitattributes` do not
/// run.
#[test]
fn git_runs_without_fsmonitor_textconv_or_external_diff() {
    let dir = git_repo();
    let root = dir.path();
    write(root, "infra/main.tf", OPEN_SSH);
    commit_all(root);
    let outside = tempfile::tempdir().unwrap();
    let marker = |name: &str| outside.path().join(name);
    let touch = |name: &str| format!("touch '{}'", marker(name).display());
    git(root, &["config", "core.fsmonitor", &touch("fsmonitor")]);
    git(root, &["config", "diff.external", &touch("external")]);
    git(root, &["config", "diff.evil.textconv", &touch("textconv")]);
    git(root, &["config", "diff.evil.command", &touch("command")]);
    write(root, ".gitattributes", "*.tf diff=evil\n");
    write(root, "infra/main.tf", &format!("{OPEN_SSH}\n# changed\n"));

    let outcome = scan(root, &["--changed-since", "HEAD"]);
    for name in ["fsmonitor", "external", "textconv", "command"] {
        assert!(!marker(name).exists(), "git ran the {name} command");
    }
    assert_eq!(
        outcome.findings(),
        [ssh("infra/main.tf")],
        "{}",
        outcome.report
    );
}

/// Outside a git repository, `--changed-since` is a usage error naming why.
#[test]
fn changed_since_needs_a_repository_around_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", OPEN_SSH);
    let out = demarc(dir.path())
        .args(["scan", "--changed-since", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not in a git repository"), "{stderr}");
}

#[cfg(unix)]
mod links {
    use super::*;
    use std::os::unix::fs::symlink;

    /// Defect 3: a link to a file outside the root is an error with its path,
    /// whether walked, named or changed; nothing of the target is read.
    #[test]
    fn links_out_of_the_root_are_errors_and_never_read() {
        let dir = git_repo();
        let root = dir.path();
        write(root, "infra/main.tf", "locals {}\n");
        commit_all(root);
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.tf", OPEN_SSH);
        symlink(outside.path().join("secret.tf"), root.join("infra/leak.tf")).unwrap();
        symlink("/dev/zero", root.join("infra/zero.tf")).unwrap();

        for args in [
            vec!["infra"],
            vec!["infra/leak.tf", "infra/zero.tf"],
            vec!["--changed-since", "HEAD"],
        ] {
            let outcome = scan(root, &args);
            assert_eq!(outcome.findings(), [], "{args:?}: {}", outcome.report);
            assert_eq!(outcome.code, 2, "{args:?}");
            let errors = outcome.messages("errors");
            for name in ["infra/leak.tf", "infra/zero.tf"] {
                assert!(
                    errors
                        .iter()
                        .any(|e| e.contains(name) && e.contains("outside the scan root")),
                    "{args:?}: {name}: {errors:?}"
                );
            }
        }
    }

    /// Defect 7c: a link in a module to a file inside the root is loaded as
    /// Terraform loads it, and its findings point at the link's path.
    #[test]
    fn a_link_inside_the_root_is_loaded_as_terraform_loads_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "infra/main.tf", "locals {}\n");
        write(root, "infra/evil.txt", OPEN_SSH);
        symlink("evil.txt", root.join("infra/zz.tf")).unwrap();
        for args in [vec!["infra"], vec!["infra/zz.tf"]] {
            let outcome = scan(root, &args);
            assert_eq!(
                outcome.findings(),
                [ssh("infra/zz.tf")],
                "{args:?}: {}",
                outcome.report
            );
            assert_eq!(outcome.code, 1);
        }
    }

    /// In a repository, a module file may link to a shared file outside the
    /// scanned PATH but inside the repository: it is read.
    #[test]
    fn a_link_to_a_shared_file_in_the_repository_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        write(root, "envs/prod/main.tf", "locals {}\n");
        write(root, "shared/rules.tf", OPEN_SSH);
        symlink("../../shared/rules.tf", root.join("envs/prod/rules.tf")).unwrap();
        let outcome = scan(root, &["envs/prod"]);
        assert_eq!(
            outcome.findings(),
            [ssh("envs/prod/rules.tf")],
            "{}",
            outcome.report
        );
    }

    /// Defect 3: CODEOWNERS and .demarc.yaml linked to endless files end the
    /// scan promptly with a message, not by exhausting memory.
    #[test]
    fn codeowners_and_config_linked_to_devices_or_proc_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        write(root, "infra/main.tf", OPEN_SSH);
        std::fs::create_dir(root.join(".github")).unwrap();
        symlink("/dev/zero", root.join(".github/CODEOWNERS")).unwrap();

        let outcome = scan(root, &["."]);
        assert_eq!(outcome.findings(), [ssh("infra/main.tf")]);
        assert!(
            outcome
                .messages("warnings")
                .iter()
                .any(|w| w.contains(".github/CODEOWNERS") && w.contains("not read")),
            "{}",
            outcome.report
        );

        symlink("/proc/self/pagemap", root.join(".demarc.yaml")).unwrap();
        let out = demarc(root).args(["scan", "."]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot read the configuration") && stderr.contains("outside"),
            "{stderr}"
        );
    }

    /// Defect 3: doubled directory links (each level links twice to the
    /// next) must not multiply findings; each is reported once, under its
    /// real path.
    #[test]
    fn doubled_directory_links_scan_each_directory_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let levels = 5;
        for level in 0..levels {
            std::fs::create_dir_all(root.join(format!("l{level}"))).unwrap();
            write(root, &format!("l{level}/main.tf"), OPEN_SSH);
            if level + 1 < levels {
                for link in ["a", "b"] {
                    symlink(
                        format!("../l{}", level + 1),
                        root.join(format!("l{level}/{link}")),
                    )
                    .unwrap();
                }
            }
        }
        for args in [vec!["."], vec![".", "--follow-symlinks"]] {
            let outcome = scan(root, &args);
            let expected: Vec<_> = (0..levels).map(|l| ssh(&format!("l{l}/main.tf"))).collect();
            assert_eq!(outcome.findings(), expected, "{args:?}: {}", outcome.report);
            assert_eq!(outcome.messages("errors"), Vec::<String>::new());
        }
    }

    /// With `--follow-symlinks`, a directory link leaving the root is
    /// reported, and nothing below it is read.
    #[test]
    fn followed_directory_links_never_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "main.tf", OPEN_SSH);
        write(dir.path(), "infra/main.tf", "locals {}\n");
        symlink(outside.path(), dir.path().join("infra/shared")).unwrap();
        let outcome = scan(dir.path(), &["infra", "--follow-symlinks"]);
        assert_eq!(outcome.findings(), []);
        assert_eq!(outcome.code, 2);
        assert!(
            outcome
                .messages("errors")
                .iter()
                .any(|e| e.contains("infra/shared") && e.contains("outside the scan root")),
            "{}",
            outcome.report
        );
    }
}

/// Defect 7a: a JSON file that merely looks like a plan does not replace the
/// module beside it.
#[test]
fn a_file_that_looks_like_a_plan_hides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "infra/main.tf", OPEN_SSH);
    write(
        dir.path(),
        "infra/plan.json",
        r#"{"format_version": "1.2", "planned_values": {"root_module": {}}}"#,
    );
    let outcome = scan(dir.path(), &["."]);
    assert_eq!(
        outcome.findings(),
        [ssh("infra/main.tf")],
        "{}",
        outcome.report
    );
    assert_eq!(outcome.code, 1);
}

/// The plan's findings replace only its own configuration's: two roots
/// calling one module under the same name each keep their finding.
#[test]
fn roots_sharing_a_module_keep_their_findings_beside_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let call = "module \"net\" {\n  source = \"../modules/net\"\n}\n";
    write(dir.path(), "a/main.tf", call);
    write(dir.path(), "b/main.tf", call);
    write(
        dir.path(),
        "b/plan.json",
        r#"{"format_version": "1.2", "planned_values": {"root_module": {}}}"#,
    );
    write(dir.path(), "modules/net/main.tf", OPEN_SSH);
    let outcome = scan(dir.path(), &["."]);
    assert_eq!(
        outcome.findings(),
        [ssh("modules/net/main.tf"), ssh("modules/net/main.tf")],
        "{}",
        outcome.report
    );
}

/// Defect 7b: a committed `.gitignore` does not hide a tracked `.tf` file
/// (Terraform loads it whatever git ignores).
#[test]
fn gitignore_does_not_hide_terraform_files() {
    let dir = git_repo();
    write(dir.path(), "infra/main.tf", OPEN_SSH);
    write(dir.path(), ".gitignore", "main.tf\ninfra/\n");
    git(dir.path(), &["add", "-f", "."]);
    let outcome = scan(dir.path(), &["."]);
    assert_eq!(
        outcome.findings(),
        [ssh("infra/main.tf")],
        "{}",
        outcome.report
    );
}

/// Defect 7d: a CODEOWNERS pattern too large to match is named with its
/// line; with `--owner` it is an error (exit 2), never a silent exit 0.
#[test]
fn a_codeowners_pattern_that_cannot_be_matched_is_never_silent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    write(root, "infra/main.tf", OPEN_SSH);
    let huge: Vec<String> = (0..50_000).map(|i| format!("x{i}*y")).collect();
    write(
        root,
        "CODEOWNERS",
        &format!("/infra/ @org/network\n{{{}}} @org/huge\n", huge.join(",")),
    );

    let outcome = scan(root, &["."]);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.report["findings"][0]["owners"][0], "@org/network");
    let warnings = outcome.messages("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("\"CODEOWNERS\":2:") && w.contains("cannot be matched")),
        "{warnings:?}"
    );

    let outcome = scan(root, &[".", "--owner", "@org/huge"]);
    assert_eq!(outcome.code, 2, "{}", outcome.report);
    assert!(outcome
        .messages("errors")
        .iter()
        .any(|e| e.starts_with("\"CODEOWNERS\":2:")));
}

/// Newcomer item: a module called from an included root is evaluated
/// wherever it lives (Terraform loads it), but findings located in files
/// `exclude` names are not reported.
#[test]
fn exclude_drops_findings_in_called_module_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "infra/main.tf",
        "module \"vendor\" {\n  source = \"../modules/vendor\"\n}\nmodule \"own\" {\n  source = \"../modules/own\"\n}\n",
    );
    write(root, "modules/vendor/main.tf", OPEN_SSH);
    write(root, "modules/own/main.tf", OPEN_SSH);
    write(root, ".demarc.yaml", "exclude: [\"modules/vendor/**\"]\n");
    let outcome = scan(root, &["."]);
    assert_eq!(
        outcome.findings(),
        [ssh("modules/own/main.tf")],
        "{}",
        outcome.report
    );
}
