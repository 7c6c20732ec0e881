//! Embeds every file under `rules/` in the binary, so `demarc` needs no data
//! files at run time and adding a rule needs no Rust edit; and, for
//! `demarc explain`, each rule's shortest flagged and clean fixture file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read at run time, not with env!(): a build script compiled for one
    // checkout must not embed another checkout's rules when target/ is shared
    // or copied.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let root = Path::new(&manifest_dir).join("rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("/// Every file under `rules/`: (path relative to `rules/`, contents).\npub static EMBEDDED: &[(&str, &str)] = &[\n");
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    embed_examples(
        Path::new(&manifest_dir).join("fixtures").as_path(),
        &mut out,
    );
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

/// `fixtures/<ID>/<framework>/<bad|good>/`: the shortest top-level file of
/// each that shows a resource (and, in `bad/`, a flagged line).
fn embed_examples(root: &Path, out: &mut String) {
    println!("cargo:rerun-if-changed={}", root.display());
    out.push_str("/// (rule id, framework, \"bad\" or \"good\", file name, contents).\npub static EXAMPLES: &[(&str, &str, &str, &str, &str)] = &[\n");
    let mut examples = Vec::new();
    for rule in sorted_dirs(root) {
        for framework in sorted_dirs(&rule) {
            for kind in ["bad", "good"] {
                let Ok(entries) = std::fs::read_dir(framework.join(kind)) else {
                    continue;
                };
                // A variable file sets values but shows no resource, and a
                // flagged example should show the flagged line: such files
                // go first, then the shortest.
                let shortest = entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "expect.txt"))
                    .min_by_key(|p| {
                        let name = p.to_string_lossy().to_ascii_lowercase();
                        let variables = name.ends_with(".tfvars") || name.ends_with(".tfvars.json");
                        let text = std::fs::read_to_string(p).unwrap_or_default();
                        let unmarked = kind == "bad" && !text.contains("expect:");
                        (variables, unmarked, text.len(), p.clone())
                    });
                if let Some(file) = shortest {
                    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().to_string();
                    examples.push((
                        name(&rule),
                        name(&framework),
                        kind,
                        name(&file),
                        file.display().to_string(),
                    ));
                }
            }
        }
    }
    for (rule, framework, kind, file, path) in examples {
        writeln!(
            out,
            "    ({rule:?}, {framework:?}, {kind:?}, {file:?}, include_str!({path:?})),"
        )
        .unwrap();
    }
    out.push_str("];\n");
}

fn sorted_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}
