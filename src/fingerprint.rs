//! Finding fingerprints: an identity that survives line shifts, reformatting
//! and reordering, so a baseline and code-scanning alerts follow a finding
//! as the file around it changes.
//!
//! The fingerprint hashes what names the problem, never where it is:
//! the rule id, the file (from the repository root), the resource address
//! (the generated one's, for a resource SAM generates),
//! the key path to the offending value (`ingress.cidr_blocks`, list
//! positions left out) and the value with whitespace removed. Findings that
//! agree on all of that (two ingress blocks open to `0.0.0.0/0`) are told
//! apart by an ordinal in report order; swapping them swaps nothing visible.

use crate::finding::Finding;
use crate::repo::RepoPaths;
use crate::source::Span;
use crate::value::{Node, Value};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The key of SARIF `partialFingerprints`, and the scheme's version: a
/// change to what is hashed gets a new name, so old baselines are not
/// silently misread.
pub const SCHEME: &str = "demarc/v1";

/// Sets every finding's fingerprint. `findings` must be in report order.
pub fn assign(findings: &mut [Finding], repo: &RepoPaths) {
    // Identities and hashes in parallel; only the ordinals need report order.
    let identities: Vec<Vec<u8>> = findings.par_iter().map(|f| identity(f, repo)).collect();
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    let ordinals: Vec<usize> = identities
        .iter()
        .map(|identity| {
            let ordinal = seen.entry(identity).or_insert(0);
            *ordinal += 1;
            *ordinal - 1
        })
        .collect();
    findings
        .par_iter_mut()
        .zip(identities.par_iter().zip(ordinals))
        .for_each(|(finding, (identity, ordinal))| {
            let mut hasher = Sha256::new();
            hasher.update(SCHEME.as_bytes());
            hasher.update([0]);
            hasher.update(identity);
            hasher.update(ordinal.to_string().as_bytes());
            let digest = hasher.finalize();
            // 128 bits: far beyond any repository's number of findings.
            finding.fingerprint = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        });
}

fn identity(finding: &Finding, repo: &RepoPaths) -> Vec<u8> {
    let value: String = finding
        .value
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    // A resource SAM generated is identified by its own logical ID: two
    // resources of one SAM resource stay apart, and fingerprints are those
    // findings had when they named the generated resource.
    let resource = finding
        .generated
        .as_ref()
        .map_or(&finding.resource, |generated| &generated.resource);
    let parts = [
        finding.rule.id.as_str(),
        &repo.relative(&finding.location.file),
        resource,
        &finding.value_path,
        &value,
    ];
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(0);
    }
    bytes
}

/// The keys from `body` down to the node at `span` (`ingress.cidr_blocks`),
/// list positions left out; empty when no node of the body has that span
/// (the header, a companion resource's value).
pub fn value_path(body: &Node, span: Span) -> String {
    // Depth-first with an explicit stack: bodies nest as deep as the input.
    let mut stack: Vec<(&Node, Vec<&str>)> = vec![(body, Vec::new())];
    while let Some((node, path)) = stack.pop() {
        if node.span == span && !path.is_empty() {
            return path.join(".");
        }
        match &node.value {
            Value::Map(entries) => {
                for entry in entries.iter().rev() {
                    let mut next = path.clone();
                    next.push(&entry.key);
                    stack.push((&entry.value, next));
                }
            }
            Value::List(items) => {
                for item in items.iter().rev() {
                    stack.push((item, path.clone()));
                }
            }
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Entry;

    fn at(start: u32, value: Value) -> Node {
        Node::new(
            value,
            Span {
                file: 0,
                start,
                end: start + 1,
            },
        )
    }

    #[test]
    fn value_paths_name_keys_not_positions() {
        let cidr = |start| {
            at(
                start,
                Value::Map(vec![Entry {
                    key: "cidr_blocks".into(),
                    key_span: Span::default(),
                    value: at(start + 1, Value::String("0.0.0.0/0".into())),
                }]),
            )
        };
        let body = at(
            0,
            Value::Map(vec![Entry {
                key: "ingress".into(),
                key_span: Span::default(),
                value: at(1, Value::List(vec![cidr(10), cidr(20)])),
            }]),
        );
        let target = |start| Span {
            file: 0,
            start,
            end: start + 1,
        };
        assert_eq!(value_path(&body, target(21)), "ingress.cidr_blocks");
        assert_eq!(value_path(&body, target(11)), "ingress.cidr_blocks");
        assert_eq!(value_path(&body, target(99)), "");
        assert_eq!(value_path(&body, target(0)), "");
    }
}
