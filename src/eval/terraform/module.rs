//! Module instances and resource instances.
//!
//! The root module is one [`Instance`]; each module call expands into one
//! child instance per `count`/`for_each` key (`module.x[0]`,
//! `module.y["a"]`), evaluated in the context of that call: its variables are
//! the call's arguments, its outputs flow back as `module.x.name`. Resources
//! expand the same way into instances with Terraform's addresses.
//!
//! Everything is evaluated on demand and remembered per instance (locals,
//! variables, outputs, expansions, data source bodies), so each declaration
//! is evaluated once per instance and references may point in any order; a
//! value that depends on itself is unknown (and an error for locals).

use super::config::{is_local_source, ModuleCall, ModuleDir, ResourceConfig};
use super::eval::{propagate, reference_text, Evaluator, Scope, Symbol};
use super::syntax::{Block, Body, Expr, Item, Operator};
use super::values::{failure, primitive_text, unknown, InstanceKey};
use super::vars::VarValue;
use crate::model::{Framework, Resource, UnitError};
use crate::source::{FileId, SourceFile, Span};
use crate::value::{Entry, Node, Reference, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Instances one resource or module call may expand into.
pub const MAX_INSTANCES: usize = 10_000;

/// How deep module calls may nest.
pub const MAX_MODULE_DEPTH: usize = 32;

/// Resource arguments Terraform itself interprets; they are not part of the
/// resource's configuration as the provider sees it.
const META_ARGUMENTS: [&str; 7] = [
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

/// The data source whose `json` attribute is built from its body.
pub const POLICY_DOCUMENT: &str = "aws_iam_policy_document";

/// What `count.index` or `each.key`/`each.value` are in an instance.
#[derive(Debug)]
pub enum Binding {
    None,
    Count(usize),
    Each {
        key: Node,
        value: Node,
        /// Provenance step of `each.value`.
        label: String,
    },
    /// `count`/`for_each` is not known before apply: so are these.
    Unknown,
}

/// How a resource or module call expands.
#[derive(Debug)]
pub enum Expansion {
    /// Neither `count` nor `for_each`: one instance, no key.
    Single,
    /// Known keys (possibly none). `by_count` says whether the whole
    /// resource reads as a list (count) or a map (for_each).
    Keyed {
        by_count: bool,
        instances: Vec<(InstanceKey, Binding)>,
    },
    /// Not known before apply: one instance with no key, whose `count.index`
    /// and `each` are unknown.
    Unknown,
    /// Over the instance limit (an error was reported): no instance.
    TooMany,
}

static NONE: Binding = Binding::None;
static UNKNOWN: Binding = Binding::Unknown;

impl Expansion {
    /// How many instances there are.
    fn len(&self) -> usize {
        match self {
            Expansion::Single | Expansion::Unknown => 1,
            Expansion::Keyed { instances, .. } => instances.len(),
            Expansion::TooMany => 0,
        }
    }

    /// The instance with `key` (`None`: the one instance without a key).
    /// Keyed instances are sorted by key, so this is a binary search.
    fn instance(&self, key: Option<&InstanceKey>) -> Option<(Option<&InstanceKey>, &Binding)> {
        match (self, key) {
            (Expansion::Single, None) => Some((None, &NONE)),
            (Expansion::Unknown, None) => Some((None, &UNKNOWN)),
            (Expansion::Keyed { instances, .. }, Some(key)) => instances
                .binary_search_by(|(k, _)| k.cmp(key))
                .ok()
                .map(|i| (Some(&instances[i].0), &instances[i].1)),
            _ => None,
        }
    }

    /// Every instance: its key and binding.
    fn instances(&self) -> Vec<(Option<&InstanceKey>, &Binding)> {
        match self {
            Expansion::Single => vec![(None, &NONE)],
            Expansion::Unknown => vec![(None, &UNKNOWN)],
            Expansion::Keyed { instances, .. } => {
                instances.iter().map(|(k, b)| (Some(k), b)).collect()
            }
            Expansion::TooMany => Vec::new(),
        }
    }
}

/// A module call's child instances.
pub enum Children {
    /// The module was not read: its outputs are unknown (a note says why).
    Unavailable(String),
    Instances {
        expansion: Rc<Expansion>,
        members: Vec<Rc<Instance>>,
    },
}

/// Memo slot: `None` while being evaluated (a second visit is a cycle).
type Slot<T> = Option<T>;

/// A data source instance: its index in the configuration and its key.
pub type DataInstance = (usize, Option<InstanceKey>);

/// One instance of a module.
pub struct Instance {
    pub dir: Arc<ModuleDir>,
    /// Where the directory's files start in the unit.
    pub base: FileId,
    /// `""` for the root, else `module.a[0].module.b`.
    pub address: String,
    /// Module call names from the root (`["net", "bastion_sg"]`), the key of
    /// `.terraform/modules/modules.json`.
    pub call_path: Vec<String>,
    /// `path.module`: the directory relative to the root module's.
    pub path_module: String,
    pub depth: usize,
    /// The call this instance is evaluated for; `None` for the root.
    pub call: Option<CallSite>,
    pub variables: RefCell<HashMap<String, Slot<Rc<VarValue>>>>,
    pub locals: RefCell<HashMap<String, Slot<Rc<Node>>>>,
    pub outputs: RefCell<HashMap<String, Slot<Rc<Node>>>>,
    expansions: RefCell<HashMap<usize, Slot<Rc<Expansion>>>>,
    data_bodies: RefCell<HashMap<DataInstance, Slot<Rc<Node>>>>,
    children: RefCell<HashMap<usize, Slot<Rc<Children>>>>,
}

pub struct CallSite {
    pub parent: Rc<Instance>,
    /// Index of the call in the parent's configuration.
    pub call: usize,
    pub binding: Binding,
}

impl Instance {
    pub fn new(
        dir: Arc<ModuleDir>,
        base: FileId,
        address: String,
        call_path: Vec<String>,
        path_module: String,
        call: Option<CallSite>,
    ) -> Instance {
        let depth = call_path.len();
        Instance {
            dir,
            base,
            address,
            call_path,
            path_module,
            depth,
            call,
            variables: RefCell::default(),
            locals: RefCell::default(),
            outputs: RefCell::default(),
            expansions: RefCell::default(),
            data_bodies: RefCell::default(),
            children: RefCell::default(),
        }
    }

    /// The address of a resource instance of this module.
    fn resource_address(&self, config: &ResourceConfig, key: Option<&InstanceKey>) -> String {
        let mut address = String::new();
        if !self.address.is_empty() {
            address.push_str(&self.address);
            address.push('.');
        }
        if config.is_data {
            address.push_str("data.");
        }
        address.push_str(&config.kind);
        address.push('.');
        address.push_str(&config.name);
        if let Some(key) = key {
            address.push_str(&key.suffix());
        }
        address
    }
}

impl Instance {
    /// Drops the module instances this one created. Children point back at
    /// their parent, so the tree is released explicitly when evaluation ends.
    pub fn release(&self) {
        let children = std::mem::take(&mut *self.children.borrow_mut());
        for slot in children.into_values().flatten() {
            if let Children::Instances { members, .. } = &*slot {
                for member in members {
                    member.release();
                }
            }
        }
    }
}

impl Evaluator<'_> {
    /// Places a directory's files in the unit (once) and returns where they
    /// start. Errors of directories read during this evaluation are the
    /// unit's; those of discovered directories too (the scan removes repeats).
    pub fn place(&self, dir: &ModuleDir) -> FileId {
        if let Some(&base) = self.placed.borrow().get(&dir.path) {
            return base;
        }
        let mut files = self.files.borrow_mut();
        let base = files.len() as FileId;
        for file in &dir.files {
            files.push(SourceFile::new(file.display.clone(), file.text.clone()));
        }
        drop(files);
        self.placed.borrow_mut().insert(dir.path.clone(), base);
        self.module_blocks
            .borrow_mut()
            .extend(
                dir.config
                    .calls
                    .iter()
                    .map(|call| crate::model::ModuleBlock {
                        name: call.name.clone(),
                        span: call.at.in_unit(base),
                    }),
            );
        let in_unit = |e: &UnitError| {
            let mut e = e.clone();
            e.file += base;
            if let Some(span) = &mut e.span {
                span.file += base;
            }
            e
        };
        self.errors
            .borrow_mut()
            .extend(dir.errors.iter().map(in_unit));
        self.notes
            .borrow_mut()
            .extend(dir.warnings.iter().map(in_unit));
        base
    }

    /// Evaluates an instance and, recursively, every module it calls,
    /// collecting resource instances.
    pub fn run(&self, instance: &Rc<Instance>) {
        for (index, config) in instance.dir.config.resources.iter().enumerate() {
            let expansion = self.resource_expansion(instance, index);
            for (key, binding) in expansion.instances() {
                let body = if config.is_data {
                    // Kept where policy documents read it until the end.
                    let body = self.data_body(instance, index, key, binding);
                    let position = self.resources.borrow().len();
                    self.pending_data.borrow_mut().push((
                        position,
                        instance.clone(),
                        (index, key.cloned()),
                    ));
                    Node::new(Value::Null, body.span)
                } else {
                    self.resource_body(instance, config, binding)
                };
                self.resources.borrow_mut().push(Resource {
                    framework: Framework::Terraform,
                    resource_type: config.kind.clone(),
                    address: instance.resource_address(config, key),
                    is_data: config.is_data,
                    body,
                    header: config.header.in_unit(instance.base),
                    generated_by: None,
                });
            }
        }
        for index in 0..instance.dir.config.calls.len() {
            if let Children::Instances { members, .. } = &*self.children(instance, index) {
                for child in members {
                    self.run(child);
                }
            }
        }
    }

    /// Moves data source bodies into their resources once evaluation is
    /// over (no reference can need them any more).
    pub fn finish_data_sources(&self) {
        let pending = std::mem::take(&mut *self.pending_data.borrow_mut());
        let mut resources = self.resources.borrow_mut();
        for (position, instance, slot) in pending {
            let body = instance.data_bodies.borrow_mut().remove(&slot).flatten();
            if let Some(body) = body {
                resources[position].body = Rc::try_unwrap(body).unwrap_or_else(|rc| (*rc).clone());
            }
        }
    }

    fn resource_body(
        &self,
        instance: &Rc<Instance>,
        config: &ResourceConfig,
        binding: &Binding,
    ) -> Node {
        let scope = Scope::module(instance);
        let scope = scope.with_binding(binding);
        self.eval_body(&config.body, scope.span(config.at), &scope, &META_ARGUMENTS)
    }

    /// A data source instance's body, evaluated once (policy documents are
    /// built from it wherever they are referred to).
    fn data_body(
        &self,
        instance: &Rc<Instance>,
        index: usize,
        key: Option<&InstanceKey>,
        binding: &Binding,
    ) -> Rc<Node> {
        let slot = (index, key.cloned());
        let config = &instance.dir.config.resources[index];
        match instance.data_bodies.borrow().get(&slot) {
            Some(Some(done)) => return done.clone(),
            Some(None) => {
                return Rc::new(Node::new(
                    unknown("cyclic reference"),
                    config.at.in_unit(instance.base),
                ))
            }
            None => {}
        }
        instance.data_bodies.borrow_mut().insert(slot.clone(), None);
        let body = Rc::new(self.resource_body(instance, config, binding));
        instance
            .data_bodies
            .borrow_mut()
            .insert(slot, Some(body.clone()));
        body
    }

    /// A block body as a map: attributes by name, nested blocks grouped by
    /// type into one list entry each, `dynamic` blocks expanded.
    pub fn eval_body(&self, body: &Body, span: Span, scope: &Scope, skip: &[&str]) -> Node {
        let mut entries: Vec<Entry> = Vec::new();
        // Entry index of each nested block type.
        let mut groups: HashMap<&str, usize> = HashMap::new();
        for item in &body.items {
            match item {
                Item::Attribute(attr) => {
                    if skip.contains(&attr.name.as_str()) {
                        continue;
                    }
                    entries.push(Entry {
                        key: attr.name.clone(),
                        key_span: scope.span(attr.name_at),
                        value: self.eval(&attr.expr, scope),
                    });
                }
                Item::Block(block) => {
                    if skip.contains(&block.kind.as_str()) {
                        continue;
                    }
                    let (kind, kind_span, blocks) = if block.kind == "dynamic" {
                        let Some((label, label_at)) = block.labels.first() else {
                            continue;
                        };
                        (
                            label.as_str(),
                            scope.span(*label_at),
                            self.dynamic(block, label, scope),
                        )
                    } else {
                        let node = self.eval_body(&block.body, scope.span(block.at), scope, &[]);
                        (block.kind.as_str(), scope.span(block.kind_at), vec![node])
                    };
                    let block_span = scope.span(block.at);
                    match groups.get(kind) {
                        Some(&i) => {
                            let list = &mut entries[i].value;
                            if let Value::List(items) = &mut list.value {
                                items.extend(blocks);
                                list.span.end = list.span.end.max(block_span.end);
                            }
                        }
                        None => {
                            groups.insert(kind, entries.len());
                            entries.push(Entry {
                                key: kind.to_string(),
                                key_span: kind_span,
                                value: Node::new(Value::List(blocks), block_span),
                            });
                        }
                    }
                }
            }
        }
        let block_entries: Vec<usize> = groups.into_values().collect();
        let mut i = 0;
        entries.retain_mut(|entry| {
            let is_blocks = block_entries.contains(&i);
            i += 1;
            !is_blocks || settle_blocks(&mut entry.value)
        });
        Node::new(Value::Map(entries), span)
    }

    /// The blocks a `dynamic "label"` block generates: one per element of its
    /// `for_each`, with the iterator (`label`, or `iterator = name`) bound to
    /// `{key, value}`. An unknown `for_each` is one unknown block.
    fn dynamic(&self, block: &Block, label: &str, scope: &Scope) -> Vec<Node> {
        let span = scope.span(block.at);
        let Some(content) = block.body.blocks().find(|b| b.kind == "content") else {
            return Vec::new();
        };
        let Some(for_each) = block.body.attribute("for_each") else {
            return vec![Node::new(failure("dynamic block without for_each"), span)];
        };
        let iterator = block
            .body
            .attribute("iterator")
            .and_then(|a| a.expr.as_name())
            .unwrap_or(label);
        let collection = self.eval(&for_each.expr, scope);
        let elements = match self.iterate(&collection) {
            Ok(elements) => elements,
            Err(_) if collection.value == Value::Null => Vec::new(),
            Err(value) if super::values::is_failure(&value) => return vec![Node::new(value, span)],
            // Which blocks exist is known only after apply.
            Err(_) => return vec![Node::new(unknown("dynamic block"), span)],
        };
        let mut blocks = Vec::with_capacity(elements.len());
        for (key, value) in elements {
            if !self.tick(1, span) {
                break;
            }
            let element_label = match primitive_text(&key.value) {
                Some(k) if collection_is_map(&collection) => {
                    format!("`for_each` element `{k}` of dynamic block `{label}`")
                }
                _ => format!("`for_each` element of dynamic block `{label}`"),
            };
            let object = Node::new(
                Value::Map(vec![
                    Entry {
                        key: "key".into(),
                        key_span: key.span,
                        value: key,
                    },
                    Entry {
                        key: "value".into(),
                        key_span: value.span,
                        value,
                    },
                ]),
                span,
            );
            let symbol = Symbol {
                name: iterator,
                value: &object,
                label: Some(&element_label),
                parent: scope.symbols,
            };
            let inner = Scope {
                symbols: Some(&symbol),
                ..*scope
            };
            blocks.push(self.eval_body(&content.body, scope.span(content.at), &inner, &[]));
        }
        blocks
    }

    // ----- expansion ---------------------------------------------------------

    /// How a resource expands, evaluated once per module instance.
    pub fn resource_expansion(&self, instance: &Rc<Instance>, index: usize) -> Rc<Expansion> {
        match instance.expansions.borrow().get(&index) {
            Some(Some(done)) => return done.clone(),
            Some(None) => return Rc::new(Expansion::Unknown),
            None => {}
        }
        instance.expansions.borrow_mut().insert(index, None);
        let config = &instance.dir.config.resources[index];
        let mut expansion =
            self.expand(config.count(), config.for_each(), &Scope::module(instance));
        if !self.reserve_instances(expansion.len(), config.header.in_unit(instance.base)) {
            expansion = Expansion::TooMany;
        }
        let expansion = Rc::new(expansion);
        instance
            .expansions
            .borrow_mut()
            .insert(index, Some(expansion.clone()));
        expansion
    }

    /// Evaluates `count` or `for_each` into instance keys.
    pub fn expand(
        &self,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
        scope: &Scope,
    ) -> Expansion {
        if let Some(count) = count {
            let value = self.eval(count, scope);
            let n = match super::values::as_number(&value.value) {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => n as usize,
                _ => return Expansion::Unknown,
            };
            if n > MAX_INSTANCES {
                self.error(
                    value.span,
                    format!("count is {n}; more than {MAX_INSTANCES} instances are not evaluated"),
                );
                return Expansion::TooMany;
            }
            return Expansion::Keyed {
                by_count: true,
                instances: (0..n)
                    .map(|i| (InstanceKey::Index(i), Binding::Count(i)))
                    .collect(),
            };
        }
        let Some(for_each) = for_each else {
            return Expansion::Single;
        };
        let collection = self.eval(for_each, scope);
        let mut instances: Vec<(InstanceKey, Binding)> = Vec::new();
        match collection.value {
            Value::Map(entries) => {
                for entry in entries {
                    let label = format!("`for_each` element `{}`", entry.key);
                    instances.push((
                        InstanceKey::Key(entry.key.clone()),
                        Binding::Each {
                            key: Node::new(Value::String(entry.key), entry.key_span),
                            value: entry.value,
                            label,
                        },
                    ));
                }
            }
            // A set of strings: each key is its value.
            Value::List(items) => {
                let mut seen = std::collections::HashSet::new();
                for item in items {
                    let Some(key) = primitive_text(&item.value) else {
                        return Expansion::Unknown;
                    };
                    if !seen.insert(key.clone()) {
                        continue;
                    }
                    let label = format!("`for_each` element `{key}`");
                    instances.push((
                        InstanceKey::Key(key.clone()),
                        Binding::Each {
                            key: Node::new(Value::String(key), item.span),
                            value: item,
                            label,
                        },
                    ));
                }
            }
            _ => return Expansion::Unknown,
        }
        if instances.len() > MAX_INSTANCES {
            self.error(
                collection.span,
                format!(
                    "for_each has {} elements; more than {MAX_INSTANCES} instances are not evaluated",
                    instances.len()
                ),
            );
            return Expansion::TooMany;
        }
        instances.sort_by(|a, b| a.0.cmp(&b.0));
        Expansion::Keyed {
            by_count: false,
            instances,
        }
    }

    // ----- module calls ------------------------------------------------------

    /// The instances of a module call, created once.
    pub fn children(&self, instance: &Rc<Instance>, index: usize) -> Rc<Children> {
        match instance.children.borrow().get(&index) {
            Some(Some(done)) => return done.clone(),
            Some(None) => {
                return Rc::new(Children::Unavailable(
                    "module instances depend on themselves".into(),
                ))
            }
            None => {}
        }
        instance.children.borrow_mut().insert(index, None);
        let children = Rc::new(self.make_children(instance, index));
        instance
            .children
            .borrow_mut()
            .insert(index, Some(children.clone()));
        children
    }

    fn make_children(&self, instance: &Rc<Instance>, index: usize) -> Children {
        let call = &instance.dir.config.calls[index];
        let header = call.header.in_unit(instance.base);
        let (dir, path_module) = match self.module_dir(instance, call) {
            Ok(found) => found,
            Err(reason) => return Children::Unavailable(reason),
        };
        if instance.depth + 1 > MAX_MODULE_DEPTH {
            self.error(
                header,
                format!("modules nest deeper than {MAX_MODULE_DEPTH} levels; module `{}` is not evaluated", call.name),
            );
            return Children::Unavailable("module depth limit".into());
        }
        let base = self.place(&dir);
        let mut expansion = self.expand(
            call.count.as_ref(),
            call.for_each.as_ref(),
            &Scope::module(instance),
        );
        if !self.reserve_instances(expansion.len(), header) {
            expansion = Expansion::TooMany;
        }
        let mut call_path = instance.call_path.clone();
        call_path.push(call.name.clone());
        let mut members = Vec::new();
        let prefix = if instance.address.is_empty() {
            format!("module.{}", call.name)
        } else {
            format!("{}.module.{}", instance.address, call.name)
        };
        let make = |address: String, binding: Binding| {
            Rc::new(Instance::new(
                dir.clone(),
                base,
                address,
                call_path.clone(),
                path_module.clone(),
                Some(CallSite {
                    parent: instance.clone(),
                    call: index,
                    binding,
                }),
            ))
        };
        let expansion = match expansion {
            Expansion::Single => {
                members.push(make(prefix, Binding::None));
                Expansion::Single
            }
            Expansion::Unknown => {
                members.push(make(prefix, Binding::Unknown));
                Expansion::Unknown
            }
            Expansion::TooMany => Expansion::TooMany,
            Expansion::Keyed {
                by_count,
                instances,
            } => {
                let mut keys = Vec::with_capacity(instances.len());
                for (key, binding) in instances {
                    members.push(make(format!("{prefix}{}", key.suffix()), binding));
                    keys.push((key, Binding::None));
                }
                Expansion::Keyed {
                    by_count,
                    instances: keys,
                }
            }
        };
        Children::Instances {
            expansion: Rc::new(expansion),
            members,
        }
    }

    /// The directory a module call reads, with its `path.module`. A note
    /// explains a module that is not read.
    fn module_dir(
        &self,
        instance: &Instance,
        call: &ModuleCall,
    ) -> Result<(Arc<ModuleDir>, String), String> {
        let header = call.header.in_unit(instance.base);
        let Some((source, source_at)) = &call.source else {
            return Err(format!("module `{}` has no source", call.name));
        };
        let at = source_at.in_unit(instance.base);
        let (dir, path_module) = if is_local_source(source) {
            let path_module = slashed(&normalize(&Path::new(&instance.path_module).join(source)));
            let candidate = normalize(&instance.dir.path.join(source));
            match self.local_dir(&candidate) {
                Some(Ok(dir)) => (dir, path_module),
                Some(Err(reason)) => {
                    self.note(
                        at,
                        format!("module `{}` (source `{source}`) is not read: {reason}; its outputs are unknown", call.name),
                    );
                    return Err(reason);
                }
                None => {
                    let reason = "no such directory".to_string();
                    self.note(
                        at,
                        format!("module `{}` (source `{source}`) is not read: {reason}; its outputs are unknown", call.name),
                    );
                    return Err(reason);
                }
            }
        } else {
            let mut key = instance.call_path.join(".");
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(&call.name);
            match self.installed_module(&key) {
                Some((dir, path_module)) => (dir, path_module),
                None => {
                    self.note(
                        at,
                        format!(
                            "remote module `{}` (source `{source}`) is not read: run `terraform init` to download it to .terraform/modules; its outputs are unknown",
                            call.name
                        ),
                    );
                    return Err(format!("remote module {source}"));
                }
            }
        };
        // A module calling itself, directly or not, is not followed.
        let mut ancestor = Some(instance);
        while let Some(current) = ancestor {
            if current.dir.path == dir.path {
                self.note(
                    header,
                    format!("module `{}` calls a module that calls it (a cycle); it is not followed and its outputs are unknown", call.name),
                );
                return Err("module cycle".into());
            }
            ancestor = current.call.as_ref().map(|c| &*c.parent);
        }
        Ok((dir, path_module))
    }

    /// A local module directory: one discovery found, or one read now when it
    /// is inside a scan root. `None` when it does not exist.
    fn local_dir(&self, candidate: &Path) -> Option<Result<Arc<ModuleDir>, String>> {
        if let Some(dir) = self.library.dir(candidate) {
            return Some(Ok(dir));
        }
        let canonical = candidate.canonicalize().ok()?;
        if let Some(dir) = self.library.dir(&canonical) {
            return Some(Ok(dir));
        }
        if !self.library.is_inside_scan_root(&canonical) {
            return Some(Err("it is outside the scanned directories".into()));
        }
        Some(
            self.load_from_disk(&canonical)
                .ok_or_else(|| "it holds no Terraform files".into()),
        )
    }

    /// A remote module `terraform init` installed: `.terraform/modules/modules.json`
    /// of the root names its directory.
    fn installed_module(&self, key: &str) -> Option<(Arc<ModuleDir>, String)> {
        let root = self.root_dir.as_ref()?;
        let modules = self
            .modules_json
            .get_or_init(|| read_modules_json(root, self.library));
        let relative = modules.get(key)?;
        let canonical = root.join(relative).canonicalize().ok()?;
        if !self.library.is_inside_scan_root(&canonical) {
            return None;
        }
        let dir = match self.library.dir(&canonical) {
            Some(dir) => dir,
            None => self.load_from_disk(&canonical)?,
        };
        Some((dir, slashed(&normalize(Path::new(relative)))))
    }

    fn load_from_disk(&self, canonical: &Path) -> Option<Arc<ModuleDir>> {
        if let Some(found) = self.loaded.borrow().get(canonical) {
            return found.clone();
        }
        let dir =
            super::read_dir_from_disk(canonical, self.library.scan_roots(), &self.library.overlay)
                .map(Arc::new);
        self.loaded
            .borrow_mut()
            .insert(canonical.to_path_buf(), dir.clone());
        dir
    }

    // ----- references into modules and resources ------------------------------

    /// `module.NAME`, `module.NAME[key]`, `module.NAME.output...`.
    pub fn module_reference(
        &self,
        instance: &Rc<Instance>,
        ops: &[Operator],
        span: Span,
        scope: &Scope,
    ) -> Node {
        let Some(Operator::Attr(name)) = ops.first() else {
            return Node::new(failure("`module` needs a module name"), span);
        };
        let Some(index) = instance.dir.config.call_index(name) else {
            return Node::new(unknown(reference_text("module", ops)), span);
        };
        let children = self.children(instance, index);
        let (expansion, members) = match &*children {
            Children::Unavailable(reason) => {
                return Node::new(
                    unknown(format!("output of module `{name}` ({reason})")),
                    span,
                )
            }
            Children::Instances { expansion, members } => (expansion, members),
        };
        let mut rest = &ops[1..];
        let member = match &**expansion {
            Expansion::Single => members.first(),
            // Instances not known before apply: any key names the one
            // unknown instance; all of them is a list of unknown length.
            Expansion::Unknown => match rest.first() {
                Some(Operator::Index(_) | Operator::LegacyIndex(_)) => {
                    rest = &rest[1..];
                    members.first()
                }
                Some(Operator::FullSplat | Operator::AttrSplat) => {
                    return Node::new(unknown(reference_text("module", ops)), span)
                }
                _ => members.first(),
            },
            Expansion::TooMany => None,
            Expansion::Keyed {
                by_count,
                instances,
            } => match rest.first() {
                Some(Operator::Index(key_expr)) => {
                    let key = self.eval(key_expr, scope);
                    let Some(wanted) = instance_key(&key.value, *by_count) else {
                        return Node::new(propagate(&key.value, "module instance key"), span);
                    };
                    rest = &rest[1..];
                    // Instances are sorted by key.
                    match instances.binary_search_by(|(k, _)| k.cmp(&wanted)) {
                        Ok(i) => members.get(i),
                        Err(_) => return Node::new(failure("no such module instance"), span),
                    }
                }
                // The whole set of instances: a list (count) or map (for_each).
                _ => {
                    let objects: Vec<(String, Node)> = instances
                        .iter()
                        .zip(members)
                        .map(|((key, _), member)| {
                            let name = match key {
                                InstanceKey::Index(i) => i.to_string(),
                                InstanceKey::Key(k) => k.clone(),
                            };
                            (name, self.outputs_object(member, name_of(member), span))
                        })
                        .collect();
                    let value = if *by_count {
                        Value::List(objects.into_iter().map(|(_, n)| n).collect())
                    } else {
                        Value::Map(
                            objects
                                .into_iter()
                                .map(|(key, value)| Entry {
                                    key,
                                    key_span: span,
                                    value,
                                })
                                .collect(),
                        )
                    };
                    return self.apply_ops(Node::new(value, span), rest, span, scope);
                }
            },
        };
        let Some(member) = member else {
            return Node::new(unknown(reference_text("module", ops)), span);
        };
        match rest.first() {
            Some(Operator::Attr(output)) => match self.output(member, output) {
                Some(value) => {
                    let label = format!("output `{output}` of module `{name}`");
                    self.read_through(&value, &rest[1..], span, scope, Some(&label))
                }
                None => Node::new(
                    failure(format!("module `{name}` has no output `{output}`")),
                    span,
                ),
            },
            _ => {
                let object = self.outputs_object(member, name, span);
                self.apply_ops(object, rest, span, scope)
            }
        }
    }

    /// Every output of a module instance as one object.
    fn outputs_object(&self, member: &Rc<Instance>, name: &str, span: Span) -> Node {
        let label = format!("output of module `{name}`");
        let entries = member
            .dir
            .config
            .outputs
            .iter()
            .filter_map(|o| {
                let value = self.output(member, &o.name)?;
                Some(Entry {
                    key: o.name.clone(),
                    key_span: span,
                    value: self.rehome(&value, span, Some(&label)),
                })
            })
            .collect();
        Node::new(Value::Map(entries), span)
    }

    /// An output's value, evaluated once in its instance.
    pub fn output(&self, instance: &Rc<Instance>, name: &str) -> Option<Rc<Node>> {
        let output = instance.dir.config.output(name)?;
        match instance.outputs.borrow().get(name) {
            Some(Some(done)) => return Some(done.clone()),
            Some(None) => {
                return Some(Rc::new(Node::new(
                    unknown("cyclic reference"),
                    Span::default(),
                )))
            }
            None => {}
        }
        instance.outputs.borrow_mut().insert(name.to_string(), None);
        let node = match &output.expr {
            Some(expr) => self.eval(expr, &Scope::module(instance)),
            None => Node::new(Value::Null, Span::default()),
        };
        let node = Rc::new(node);
        instance
            .outputs
            .borrow_mut()
            .insert(name.to_string(), Some(node.clone()));
        Some(node)
    }

    /// A reference to a resource or data source of this module instance:
    /// [`Value::Ref`] to the instance address (`aws_s3_bucket.b[0]`), a list
    /// or map of them for the whole of a counted resource, or the built
    /// policy for `data.aws_iam_policy_document.N.json`.
    #[allow(clippy::too_many_arguments)]
    pub fn resource_reference(
        &self,
        instance: &Rc<Instance>,
        is_data: bool,
        kind: &str,
        name: &str,
        ops: &[Operator],
        span: Span,
        scope: &Scope,
    ) -> Node {
        let config_index = instance.dir.config.resource_index(is_data, kind, name);
        let expansion = config_index.map(|i| self.resource_expansion(instance, i));
        let mut address = String::new();
        if !instance.address.is_empty() {
            address.push_str(&instance.address);
            address.push('.');
        }
        if is_data {
            address.push_str("data.");
        }
        address.push_str(kind);
        address.push('.');
        address.push_str(name);
        let by_count = match expansion.as_deref() {
            Some(Expansion::Keyed { by_count, .. }) => Some(*by_count),
            _ => None,
        };
        let (key, rest): (Option<Option<InstanceKey>>, &[Operator]) = match ops.first() {
            Some(Operator::Index(key_expr)) => {
                let key = self.eval(key_expr, scope);
                let Some(key) = instance_key(&key.value, by_count.unwrap_or(true)) else {
                    return Node::new(propagate(&key.value, "resource instance key"), span);
                };
                (Some(Some(key)), &ops[1..])
            }
            Some(Operator::LegacyIndex(i)) => {
                (Some(Some(InstanceKey::Index(*i as usize))), &ops[1..])
            }
            Some(Operator::FullSplat | Operator::AttrSplat) => {
                // Every instance, as a list of references.
                let targets: Vec<String> = match expansion.as_deref() {
                    Some(Expansion::Keyed { instances, .. }) => instances
                        .iter()
                        .map(|(k, _)| format!("{address}{}", k.suffix()))
                        .collect(),
                    Some(Expansion::Unknown) => {
                        return Node::new(unknown(reference_text(kind, ops)), span)
                    }
                    _ => vec![address.clone()],
                };
                if !self.tick(targets.len() as u64, span) {
                    return Node::new(unknown("evaluation limit"), span);
                }
                let list = targets
                    .into_iter()
                    .map(|target| {
                        Node::new(
                            Value::Ref(Reference {
                                target,
                                attribute: None,
                            }),
                            span,
                        )
                    })
                    .collect();
                return self.apply_ops(Node::new(Value::List(list), span), ops, span, scope);
            }
            _ => (None, ops),
        };
        // Which instance: a resource whose instances are not known is one
        // instance with the bare address, whatever key is used.
        let instance_key = key.clone().flatten();
        let target = match (key, expansion.as_deref()) {
            (_, Some(Expansion::Unknown)) => address.clone(),
            (Some(Some(key)), _) => format!("{address}{}", key.suffix()),
            (
                _,
                Some(Expansion::Keyed {
                    by_count,
                    instances,
                }),
            ) => {
                if rest.is_empty() {
                    return self.whole_resource(&address, *by_count, instances, span);
                }
                // An attribute of a counted resource needs an instance key.
                return Node::new(failure(format!("`{address}` needs an instance key")), span);
            }
            _ => address.clone(),
        };
        if is_data
            && kind == POLICY_DOCUMENT
            && matches!(rest.first(), Some(Operator::Attr(a)) if a == "json" || a == "minified_json")
        {
            if let Some(index) = config_index {
                let key = if target == address {
                    None
                } else {
                    instance_key.as_ref()
                };
                if let Some(document) = self.policy_document(instance, index, key, span) {
                    return self.apply_ops(document, &rest[1..], span, scope);
                }
            }
        }
        let reference = Node::new(
            Value::Ref(Reference {
                target,
                attribute: None,
            }),
            span,
        );
        self.apply_ops(reference, rest, span, scope)
    }

    /// A counted resource as a whole: a list (count) or map (for_each) of
    /// references to its instances.
    fn whole_resource(
        &self,
        address: &str,
        by_count: bool,
        instances: &[(InstanceKey, Binding)],
        span: Span,
    ) -> Node {
        if !self.tick(instances.len() as u64, span) {
            return Node::new(unknown("evaluation limit"), span);
        }
        let reference = |key: &InstanceKey| {
            Node::new(
                Value::Ref(Reference {
                    target: format!("{address}{}", key.suffix()),
                    attribute: None,
                }),
                span,
            )
        };
        let value = if by_count {
            Value::List(instances.iter().map(|(k, _)| reference(k)).collect())
        } else {
            Value::Map(
                instances
                    .iter()
                    .map(|(k, _)| Entry {
                        key: match k {
                            InstanceKey::Key(s) => s.clone(),
                            InstanceKey::Index(i) => i.to_string(),
                        },
                        key_span: span,
                        value: reference(k),
                    })
                    .collect(),
            )
        };
        Node::new(value, span)
    }

    /// The policy a `data.aws_iam_policy_document` instance stands for.
    /// `key` is the instance key, `None` without one.
    fn policy_document(
        &self,
        instance: &Rc<Instance>,
        index: usize,
        key: Option<&InstanceKey>,
        span: Span,
    ) -> Option<Node> {
        let expansion = self.resource_expansion(instance, index);
        let found = expansion.instance(key).map(|(k, b)| (k.cloned(), b))?;
        let body = self.data_body(instance, index, found.0.as_ref(), found.1);
        // Building copies the body: paid for before it is done.
        if !self.tick(super::policy::node_count(&body) as u64, span) {
            return Some(Node::new(unknown("evaluation limit"), span));
        }
        Some(super::policy::document(self, &body))
    }
}

/// The instance key an index value names.
fn instance_key(value: &Value, by_count: bool) -> Option<InstanceKey> {
    match value {
        Value::Number(n) if by_count && *n >= 0.0 && n.fract() == 0.0 => {
            Some(InstanceKey::Index(*n as usize))
        }
        Value::String(s) if by_count => s.parse().ok().map(InstanceKey::Index),
        value => primitive_text(value).map(InstanceKey::Key),
    }
}

fn collection_is_map(node: &Node) -> bool {
    matches!(node.value, Value::Map(_))
}

/// The call name of a module instance (last element of its call path).
fn name_of(instance: &Instance) -> &str {
    instance.call_path.last().map_or("", String::as_str)
}

/// `a/./b/../c` as `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A relative path as `path.module` shows it, with `/` separators.
fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// `.terraform/modules/modules.json`: each installed module's key and
/// directory (relative to the root module).
fn read_modules_json(root: &Path, library: &super::Library) -> HashMap<String, String> {
    let path = root.join(".terraform").join("modules").join("modules.json");
    let Ok(canonical) = path.canonicalize() else {
        return HashMap::new();
    };
    if !library.is_inside_scan_root(&canonical) {
        return HashMap::new();
    }
    let Ok(text) = crate::read::text(&canonical, Some(library.scan_roots())) else {
        return HashMap::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return HashMap::new();
    };
    let mut modules = HashMap::new();
    for module in json
        .get("Modules")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
    {
        if let (Some(key), Some(dir)) = (
            module.get("Key").and_then(|k| k.as_str()),
            module.get("Dir").and_then(|d| d.as_str()),
        ) {
            if !key.is_empty() {
                modules.insert(key.to_string(), dir.to_string());
            }
        }
    }
    modules
}

/// The blocks of one type as Terraform sees them: none when `dynamic`
/// blocks generated none (false: the type is absent, as if never written),
/// and not known when only `dynamic` blocks with a `for_each` not known
/// before apply wrote them (the list becomes that unknown: absent or present
/// is not known). A block written plain, or generated for sure, is there.
fn settle_blocks(blocks: &mut Node) -> bool {
    let Value::List(items) = &mut blocks.value else {
        return true;
    };
    if items.is_empty() {
        return false;
    }
    if !items.iter().any(|b| matches!(b.value, Value::Map(_))) {
        *blocks = items.swap_remove(0);
    }
    true
}
