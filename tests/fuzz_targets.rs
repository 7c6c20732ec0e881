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

/// (name, version, source) of every package a lock file pins; the source
/// is `None` for a path dependency, so a crate patched with a local copy
/// differs from the registry's release of the same version.
type Locked = (String, String, Option<String>);

fn locked_packages(path: &str) -> Vec<Locked> {
    let lock = std::fs::read_to_string(path).unwrap();
    lock.split("[[package]]")
        .skip(1)
        .map(|package| {
            let field = |key: &str| {
                package
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim_matches('"').to_string())
            };
            let required = |key: &str| {
                field(key).unwrap_or_else(|| panic!("{path}: a package without `{key}`"))
            };
            (
                required("name = "),
                required("version = "),
                field("source = "),
            )
        })
        .collect()
}

/// The fuzz targets are their own workspace, with their own lock file and
/// without the main manifest's `[patch]` sections: without this check they
/// could fuzz other versions of the parsers than demarc ships with.
#[test]
fn fuzz_targets_build_demarc_with_its_own_dependency_versions() {
    let shipped = locked_packages("Cargo.lock");
    let mismatched: Vec<Locked> = locked_packages("fuzz/Cargo.lock")
        .into_iter()
        .filter(|(name, _, _)| shipped.iter().any(|(n, _, _)| n == name))
        .filter(|package| !shipped.contains(package))
        .collect();
    assert!(
        mismatched.is_empty(),
        "fuzz/Cargo.lock pins {mismatched:?}, which Cargo.lock does not; refresh it with \
         `cp Cargo.lock fuzz/Cargo.lock && cargo metadata --manifest-path fuzz/Cargo.toml >/dev/null` \
         (and copy any [patch] of Cargo.toml into fuzz/Cargo.toml)"
    );
}
