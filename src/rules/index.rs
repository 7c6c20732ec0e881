//! One index per scan unit, so that every relation between resources is a
//! lookup rather than a scan of the unit.
//!
//! Built when the unit's rules start: resources by type and by address. The
//! per-relation tables (who refers to what at a given path, which resource
//! carries a given literal name) are built the first time a relation asks
//! for them and kept for the rest of the unit, so a rule costs time linear
//! in the resources it examines.

use super::resource_id::{ResourceId, ResourceIds};
use crate::model::{Resource, Unit};
use crate::value::{Path, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub struct UnitIndex<'a> {
    pub unit: &'a Unit,
    by_type: HashMap<&'a str, Vec<usize>>,
    by_address: HashMap<&'a str, usize>,
    /// Keyed by the relation's identity (see [`RelationKey`]).
    referrers: RefCell<HashMap<RelationKey, Rc<ReferrerTable>>>,
    names: RefCell<HashMap<RelationKey, Rc<Names>>>,
}

/// A relation of a loaded rule, by address: rule sets outlive every unit
/// they scan, and each relation is one node of a rule's matcher, so its
/// address names its (types, path) pair without hashing paths.
pub type RelationKey = usize;

/// The resources of some types that refer to others at one path.
#[derive(Debug, Default)]
pub struct ReferrerTable {
    /// Reference target address → referring resources (unit order).
    pub by_target: HashMap<String, Vec<usize>>,
    /// Literal string at the path → referring resources (unit order).
    pub by_literal: HashMap<String, Vec<usize>>,
    /// Referring resources whose value at the path is not known before
    /// apply: they may refer to any resource.
    pub unknown: Vec<usize>,
    /// Referring resources holding an Azure resource id, known or in part.
    pub resource_ids: ResourceIds,
}

/// Literal value at one path → the resources of some types holding it.
pub type Names = HashMap<String, Vec<usize>>;

impl<'a> UnitIndex<'a> {
    pub fn new(unit: &'a Unit) -> Self {
        let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_address = HashMap::with_capacity(unit.resources.len());
        for (i, r) in unit.resources.iter().enumerate() {
            by_type.entry(r.resource_type.as_str()).or_default().push(i);
            // The first of duplicated addresses wins, as `Unit::resource` does.
            by_address.entry(r.address.as_str()).or_insert(i);
        }
        UnitIndex {
            unit,
            by_type,
            by_address,
            referrers: RefCell::new(HashMap::new()),
            names: RefCell::new(HashMap::new()),
        }
    }

    pub fn resource(&self, i: usize) -> &'a Resource {
        &self.unit.resources[i]
    }

    /// The resources of these types, in unit order.
    pub fn of_types(&self, types: &[String]) -> Vec<usize> {
        let mut all: Vec<usize> = types
            .iter()
            .flat_map(|t| self.by_type.get(t.as_str()).into_iter().flatten().copied())
            .collect();
        if types.len() > 1 {
            all.sort_unstable();
            all.dedup();
        }
        all
    }

    pub fn by_address(&self, address: &str) -> Option<usize> {
        self.by_address.get(address).copied()
    }

    /// Who among `types` refers to what at `via`.
    pub fn referrers(&self, key: RelationKey, types: &[String], via: &Path) -> Rc<ReferrerTable> {
        if let Some(found) = self.referrers.borrow().get(&key) {
            return found.clone();
        }
        let mut table = ReferrerTable::default();
        for i in self.of_types(types) {
            let found = self.resource(i).body.lookup(via);
            let mut unknown = false;
            for node in found.nodes.iter().chain(found.unknown.iter()) {
                match &node.value {
                    Value::Ref(r) => push_once(table.by_target.entry(r.target.clone()), i),
                    Value::String(s) => push_once(table.by_literal.entry(s.clone()), i),
                    _ => {}
                }
                match ResourceId::parse(&node.value) {
                    Some(id) => table.resource_ids.insert(i, id),
                    None if matches!(node.value, Value::Unknown(_)) => unknown = true,
                    _ => {}
                }
            }
            if unknown {
                table.unknown.push(i);
            }
        }
        let table = Rc::new(table);
        self.referrers.borrow_mut().insert(key, table.clone());
        table
    }

    /// The resources among `types` by the literal string at `name`.
    pub fn names(&self, key: RelationKey, types: &[String], name: &Path) -> Rc<Names> {
        if let Some(found) = self.names.borrow().get(&key) {
            return found.clone();
        }
        let mut table = Names::new();
        for i in self.of_types(types) {
            for node in self.resource(i).body.lookup(name).nodes {
                if let Some(s) = node.as_str() {
                    push_once(table.entry(s.to_owned()), i);
                }
            }
        }
        let table = Rc::new(table);
        self.names.borrow_mut().insert(key, table.clone());
        table
    }
}

/// Resources are visited in unit order, so a repeat can only be the last one.
fn push_once(entry: std::collections::hash_map::Entry<String, Vec<usize>>, i: usize) {
    let list = entry.or_default();
    if list.last() != Some(&i) {
        list.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Framework;
    use crate::source::Span;
    use crate::value::{Entry, Node, Reference};

    fn node(value: Value) -> Node {
        Node::new(value, Span::default())
    }

    pub(crate) fn resource(kind: &str, name: &str, attrs: Vec<(&str, Value)>) -> Resource {
        Resource {
            framework: Framework::Terraform,
            resource_type: kind.into(),
            address: format!("{kind}.{name}"),
            is_data: false,
            body: node(Value::Map(
                attrs
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_span: Span::default(),
                        value: node(v),
                    })
                    .collect(),
            )),
            header: Span::default(),
            generated_by: None,
        }
    }

    fn reference(target: &str) -> Value {
        Value::Ref(Reference {
            target: target.into(),
            attribute: Some("id".into()),
        })
    }

    #[test]
    fn index_groups_by_type_and_address_and_referrers_by_target_name_and_unknown() {
        let unit = Unit {
            resources: vec![
                resource(
                    "aws_s3_bucket",
                    "a",
                    vec![("bucket", Value::String("a".into()))],
                ),
                resource(
                    "aws_s3_bucket_logging",
                    "by_ref",
                    vec![("bucket", reference("aws_s3_bucket.a"))],
                ),
                resource(
                    "aws_s3_bucket_logging",
                    "by_name",
                    vec![("bucket", Value::String("a".into()))],
                ),
                resource(
                    "aws_s3_bucket_logging",
                    "unknown",
                    vec![("bucket", Value::Unknown("var.b".into()))],
                ),
                resource(
                    "aws_s3_bucket_logging",
                    "list",
                    vec![(
                        "bucket",
                        Value::List(vec![
                            node(reference("aws_s3_bucket.a")),
                            node(reference("aws_s3_bucket.a")),
                        ]),
                    )],
                ),
            ],
            ..Default::default()
        };
        let index = UnitIndex::new(&unit);
        assert_eq!(
            index.of_types(&["aws_s3_bucket_logging".into()]),
            [1, 2, 3, 4]
        );
        assert_eq!(
            index.of_types(&["aws_s3_bucket_logging".into(), "aws_s3_bucket".into()]),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(index.by_address("aws_s3_bucket_logging.by_name"), Some(2));
        let via = Path::parse("bucket[*]").unwrap();
        let table = index.referrers(1, &["aws_s3_bucket_logging".into()], &via);
        assert_eq!(
            table.by_target["aws_s3_bucket.a"],
            [1, 4],
            "one entry per referrer"
        );
        assert_eq!(table.by_literal["a"], [2]);
        assert_eq!(table.unknown, [3]);
        // Built once: the second call returns the same table.
        let again = index.referrers(1, &[], &via);
        assert!(Rc::ptr_eq(&table, &again));
        let names = index.names(
            2,
            &["aws_s3_bucket".into()],
            &Path::parse("bucket").unwrap(),
        );
        assert_eq!(names["a"], [0]);
    }
}
