//! Named fragments shared by rules: a file whose top level is `fragments:`
//! defines them (`database_ports: [3306, 5432]`), and a rule uses one by
//! writing `{$ref: database_ports}` wherever the fragment's YAML would go.
//! In a list, a reference to a list is spliced in, so a rule can extend a
//! shared list: `includes: [{$ref: admin_ports}, 8080]`.
//!
//! Built-in fragments live in `rules/fragments.yaml`; a user rule directory
//! may add its own fragment files and use the built-in ones.

use super::load::Reader;
use crate::model::ScanError;
use crate::source::SourceFile;
use crate::value::{Entry, Node, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The key of a fragment file's top level.
pub const FRAGMENTS_KEY: &str = "fragments";
/// The key of a reference.
pub const REF_KEY: &str = "$ref";
/// The built-in fragment file, relative to `rules/`.
pub const FRAGMENTS_FILE: &str = "fragments.yaml";
/// Nodes that aliases, and separately fragment references, may copy into
/// one rule file. A rule is a few hundred nodes; this leaves room for large
/// shared lists while an alias or reference bomb stops at once.
pub const MAX_COPIED_NODES: usize = 10_000;
/// How deep fragments may refer to fragments (a cycle reaches it at once).
const MAX_DEPTH: usize = 8;

/// Fragments by name, with the file that defined each (for duplicate errors).
#[derive(Debug, Default)]
pub struct Fragments {
    defined: HashMap<String, (Node, String)>,
}

impl Fragments {
    /// The fragments of `rules/fragments.yaml`. Its errors are reported by
    /// [`super::RuleSet::embedded`]; here a broken file gives no fragments.
    pub fn builtin() -> &'static Fragments {
        static BUILTIN: OnceLock<Fragments> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut fragments = Fragments::default();
            if let Some(file) = builtin_file() {
                let _ = fragments.add_file(&file);
            }
            fragments
        })
    }

    /// Whether a file is a fragment file: its top level has `fragments`.
    pub fn is_fragment_file(file: &SourceFile) -> bool {
        parse(file).is_ok_and(|root| root.get(FRAGMENTS_KEY).is_some())
    }

    /// Adds the fragments a file defines; a name defined twice is an error.
    pub fn add_file(&mut self, file: &SourceFile) -> Result<(), Vec<ScanError>> {
        let mut r = Reader::new(file);
        let root = match parse(file) {
            Ok(root) => root,
            Err(e) => {
                r.error(e.span.unwrap_or_default(), e.message);
                return Err(r.errors);
            }
        };
        let top = r.map(&root, "a fragment file");
        r.only_keys(top, &[FRAGMENTS_KEY], "a fragment file");
        if let Some(node) = root.get(FRAGMENTS_KEY) {
            for entry in r.map(node, "fragments") {
                if let Some((_, other)) = self.defined.get(&entry.key) {
                    let message = format!("fragment `{}` is already defined in {other}", entry.key);
                    r.error(entry.key_span, message);
                    continue;
                }
                self.defined.insert(
                    entry.key.clone(),
                    (entry.value.clone(), file.display.clone()),
                );
            }
        }
        if r.errors.is_empty() {
            Ok(())
        } else {
            Err(r.errors)
        }
    }

    /// `node` with every `{$ref: NAME}` replaced by its fragment. A copy
    /// takes the span of the reference, so errors in it point there.
    pub fn resolve(&self, r: &mut Reader, node: Node) -> Node {
        let mut budget = MAX_COPIED_NODES;
        self.resolve_in(r, node, &mut budget, 0)
    }

    fn resolve_in(&self, r: &mut Reader, node: Node, budget: &mut usize, depth: usize) -> Node {
        if let Some(name) = reference(&node) {
            return self.expand(r, &node, name, budget, depth);
        }
        let Node {
            value,
            span,
            origins,
        } = node;
        let value = match value {
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let spliced = reference(&item).is_some();
                    match self.resolve_in(r, item, budget, depth) {
                        Node {
                            value: Value::List(inner),
                            ..
                        } if spliced => out.extend(inner),
                        resolved => out.push(resolved),
                    }
                }
                Value::List(out)
            }
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|e| Entry {
                        value: self.resolve_in(r, e.value, budget, depth),
                        ..e
                    })
                    .collect(),
            ),
            v => v,
        };
        Node {
            value,
            span,
            origins,
        }
    }

    fn expand(
        &self,
        r: &mut Reader,
        at: &Node,
        name: &str,
        budget: &mut usize,
        depth: usize,
    ) -> Node {
        let null = Node::new(Value::Null, at.span);
        let Some((fragment, _)) = self.defined.get(name) else {
            let mut known: Vec<&str> = self.defined.keys().map(String::as_str).collect();
            known.sort_unstable();
            r.error(
                at.span,
                format!("unknown fragment `{name}`; defined: {}", known.join(", ")),
            );
            return null;
        };
        if depth >= MAX_DEPTH {
            r.error(
                at.span,
                format!(
                    "fragment `{name}` refers to fragments more than {MAX_DEPTH} deep (a cycle?)"
                ),
            );
            return null;
        }
        let count = crate::parse::yaml::node_count(fragment);
        if count > *budget {
            r.error(
                at.span,
                format!("fragments expand to more than {MAX_COPIED_NODES} nodes"),
            );
            return null;
        }
        *budget -= count;
        let mut copy = fragment.clone();
        copy.respan(at.span);
        self.resolve_in(r, copy, budget, depth + 1)
    }
}

/// The name in `{$ref: NAME}`.
fn reference(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Map(entries) if entries.len() == 1 && entries[0].key == REF_KEY => {
            entries[0].value.as_str()
        }
        _ => None,
    }
}

/// Reads a rule or fragment file: YAML with aliases, within the budget.
pub fn parse(file: &SourceFile) -> Result<Node, crate::model::UnitError> {
    crate::parse::yaml::parse_yaml_with_aliases(&file.text, 0, MAX_COPIED_NODES)
}

/// `rules/fragments.yaml` as a source file.
pub fn builtin_file() -> Option<SourceFile> {
    super::embedded_file(FRAGMENTS_FILE)
        .map(|text| SourceFile::new(format!("rules/{FRAGMENTS_FILE}"), text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile::new(name.into(), Arc::from(text))
    }

    fn resolve(fragments: &Fragments, text: &str) -> (Node, Vec<String>) {
        let f = file("rule.yaml", text);
        let mut r = Reader::new(&f);
        let node = fragments.resolve(&mut r, parse(&f).unwrap());
        (node, r.errors.iter().map(|e| e.to_string()).collect())
    }

    fn numbers(node: &Node) -> Vec<f64> {
        match &node.value {
            Value::List(items) => items.iter().filter_map(|n| n.value.as_number()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn references_are_replaced_and_lists_spliced() {
        let mut fragments = Fragments::default();
        let lib = "fragments:\n  admin: [22, 3389]\n  more: [{$ref: admin}, 8080]\n";
        fragments.add_file(&file("lib.yaml", lib)).unwrap();
        let (node, errors) = resolve(
            &fragments,
            "a: {$ref: admin}\nb: [{$ref: admin}, 1]\nc: {$ref: more}\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(numbers(node.get("a").unwrap()), [22.0, 3389.0]);
        assert_eq!(numbers(node.get("b").unwrap()), [22.0, 3389.0, 1.0]);
        assert_eq!(numbers(node.get("c").unwrap()), [22.0, 3389.0, 8080.0]);
    }

    #[test]
    fn unknown_duplicate_and_cyclic_fragments_are_errors_with_lines() {
        let mut fragments = Fragments::default();
        let lib = "fragments:\n  loop: {$ref: loop}\n  x: 1\n";
        fragments.add_file(&file("lib.yaml", lib)).unwrap();
        let errors = fragments
            .add_file(&file("other.yaml", "fragments:\n  x: 2\n"))
            .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "other.yaml:2:3: fragment `x` is already defined in lib.yaml"
        );
        let (_, errors) = resolve(&fragments, "a: 1\nb: {$ref: nope}\n");
        assert_eq!(
            errors,
            ["rule.yaml:2:4: unknown fragment `nope`; defined: loop, x"]
        );
        let (_, errors) = resolve(&fragments, "b: {$ref: loop}\n");
        assert!(errors[0].contains("more than 8 deep"), "{errors:?}");
    }

    #[test]
    fn reference_bombs_stop_at_the_budget() {
        let mut lib = String::from("fragments:\n  f0: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        for i in 1..8 {
            let refs = vec![format!("{{$ref: f{}}}", i - 1); 10].join(", ");
            lib.push_str(&format!("  f{i}: [[{refs}]]\n"));
        }
        let mut fragments = Fragments::default();
        fragments.add_file(&file("lib.yaml", &lib)).unwrap();
        let (_, errors) = resolve(&fragments, "a: {$ref: f7}\n");
        assert!(errors[0].contains("more than 10000 nodes"), "{errors:?}");
    }

    #[test]
    fn builtin_fragments_load() {
        let file = builtin_file().expect("rules/fragments.yaml is embedded");
        let mut fragments = Fragments::default();
        fragments.add_file(&file).unwrap();
        assert!(Fragments::is_fragment_file(&file));
        assert!(fragments.defined.contains_key("database_ports"));
    }
}
