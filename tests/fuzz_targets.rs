//! Every reader of untrusted input keeps a fuzz target with seeds (issue 18):
//! `.ci/run` fuzzes what `fuzz/Cargo.toml` declares, from `fuzz/corpus/`.

use std::path::Path;

/// The readers a scanned repository can feed, each with its target.
const READERS: [&str; 9] = [
    "hcl",
    "tf_json",
    "tfvars",
    "plan_json",
    "cfn_yaml",
    "cfn_json",
    "config",
    "codeowners",
    "rule_file",
];

/// CI replays the whole corpus on every run.
const MAX_CORPUS_BYTES: u64 = 2 << 20;

fn declared_targets() -> Vec<String> {
    let manifest = std::fs::read_to_string("fuzz/Cargo.toml").unwrap();
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(name) = line.strip_prefix("name = ").filter(|_| in_bin) {
            targets.push(name.trim_matches('"').to_string());
        }
    }
    targets
}

#[test]
fn every_reader_has_a_fuzz_target_with_seeds() {
    let targets = declared_targets();
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut total = 0;
    for reader in READERS {
        assert!(
            targets.iter().any(|t| t == reader),
            "fuzz/Cargo.toml declares no target `{reader}` (it has {targets:?})"
        );
        assert!(
            Path::new("fuzz/fuzz_targets")
                .join(format!("{reader}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{reader}.rs is missing"
        );
        assert!(
            readme.contains(&format!("`{reader}`")),
            "README's Fuzzing section does not name `{reader}`"
        );
        let seeds: Vec<_> = std::fs::read_dir(Path::new("fuzz/corpus").join(reader))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{reader}: {e}"))
            .map(|e| e.unwrap())
            .collect();
        assert!(!seeds.is_empty(), "fuzz/corpus/{reader} has no seeds");
        for seed in seeds {
            total += seed.metadata().unwrap().len();
            // A seed named like IaC would be scanned along with the repository.
            let name = seed.file_name().into_string().unwrap();
            assert!(
                !name.contains('.'),
                "fuzz/corpus/{reader}/{name}: seed names carry no extension"
            );
        }
    }
    assert_eq!(targets.len(), READERS.len(), "targets: {targets:?}");
    assert!(
        total < MAX_CORPUS_BYTES,
        "the fuzz corpus is {total} bytes; keep it under {MAX_CORPUS_BYTES}"
    );
}
