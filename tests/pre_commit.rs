//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run for real by the
//! `pre-commit` tool (PyPI) in a throwaway repository.
//!
//! The `demarc-system` hook runs against the binary this build made (put on
//! PATH). The `demarc` hook (`language: rust`) makes pre-commit build demarc
//! from source with `cargo install`, which takes minutes and crates.io: it
//! is `#[ignore]`d, run it with `cargo test --test pre_commit -- --ignored`.
//! Without `pre-commit` the tests fail rather than pass unchecked: `.ci/run`
//! installs it (`pip install pre-commit`, in a virtualenv under `target/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OPEN_SSH: &str = r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#;

/// How to start pre-commit here: the virtualenv `.ci/run` makes, its script
/// on PATH, or the module when pip put the script off PATH. Its absence is
/// a failure: a hook test that cannot run has checked nothing.
fn pre_commit() -> Vec<String> {
    let works = |argv: &[String]| {
        Command::new(&argv[0])
            .args(&argv[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/pre-commit");
    let candidates: [Vec<String>; 3] = [
        vec![venv.to_string_lossy().into_owned()],
        vec!["pre-commit".into()],
        vec!["python3".into(), "-m".into(), "pre_commit".into()],
    ];
    candidates
        .into_iter()
        .find(|argv| works(argv))
        .expect("`pre-commit` is not installed: run .ci/run, or `pip install pre-commit`")
}

/// PATH with the freshly built demarc first.
fn path_with_demarc() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_demarc"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn run(dir: &Path, program: &str, args: &[&str], home: &Path) -> Output {
    Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("PATH", path_with_demarc())
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
}

fn git(dir: &Path, args: &[&str], home: &Path) -> String {
    let out = run(dir, "git", args, home);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A git repository holding this crate's hook manifest (and, for the rust
/// hook, the sources `cargo install --path .` needs); returns its commit.
fn hook_repository(dir: &Path, home: &Path, with_sources: bool) -> String {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    git(dir, &["init", "-q"], home);
    std::fs::copy(
        crate_dir.join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    if with_sources {
        for file in ["Cargo.toml", "Cargo.lock", "build.rs", "README.md"] {
            std::fs::copy(crate_dir.join(file), dir.join(file)).unwrap();
        }
        for tree in ["src", "rules", "fixtures", "benches", "examples"] {
            if crate_dir.join(tree).exists() {
                copy_tree(&crate_dir.join(tree), &dir.join(tree));
            }
        }
    }
    git(dir, &["add", "-A"], home);
    git(dir, &["commit", "-q", "-m", "hooks"], home);
    git(dir, &["rev-parse", "HEAD"], home)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Commits a clean module and a legacy module with a finding, configures the
/// hook, then stages a new module with a finding: the hook fails on it
/// alone, and passes once it is fixed.
fn exercise_hook(pre_commit: &[String], hook_id: &str, with_sources: bool) {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path();
    let hooks = home.join("hooks");
    let project = home.join("project");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    let rev = hook_repository(&hooks, home, with_sources);

    git(&project, &["init", "-q"], home);
    write(
        &project,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook_id}\n",
            hooks.display()
        ),
    );
    write(&project, "legacy/main.tf", OPEN_SSH);
    write(&project, "README.md", "# project\n");
    git(&project, &["add", "-A"], home);
    git(
        &project,
        &["commit", "-q", "--no-verify", "-m", "start"],
        home,
    );

    write(&project, "app/main.tf", OPEN_SSH);
    write(
        &project,
        "app/variables.tf",
        "variable \"region\" {\n  default = \"eu-west-1\"\n}\n",
    );
    git(&project, &["add", "app"], home);
    let run_hooks = || {
        let mut args: Vec<&str> = pre_commit[1..].iter().map(String::as_str).collect();
        args.push("run");
        run(&project, &pre_commit[0], &args, home)
    };
    let out = run_hooks();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("AWS-EC2-001"), "{stdout}");
    assert!(stdout.contains("app/main.tf:6:"), "{stdout}");
    assert!(
        !stdout.contains("legacy/main.tf"),
        "only staged files: {stdout}"
    );

    write(
        &project,
        "app/main.tf",
        &OPEN_SSH.replace("0.0.0.0/0", "10.0.0.0/8"),
    );
    git(&project, &["add", "app"], home);
    let out = run_hooks();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn system_hook_gates_staged_files() {
    exercise_hook(&pre_commit(), "demarc-system", false);
}

#[test]
#[ignore = "builds demarc with cargo install (minutes, needs crates.io): cargo test --test pre_commit -- --ignored"]
fn rust_hook_builds_and_gates_staged_files() {
    exercise_hook(&pre_commit(), "demarc", true);
}
