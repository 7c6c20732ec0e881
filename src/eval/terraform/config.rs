//! One module directory, parsed once: its files, the declarations they make
//! (variables, locals, outputs, resources, module calls) and its automatically
//! loaded variable files. Evaluation reads these; nothing here depends on the
//! unit that evaluates the directory.

use super::json_syntax::{self, JsonFile};
use super::syntax::{lower_body, At, Attribute, Block, Body, Expr, ExprKind, Item};
use super::types::Type;
use crate::model::UnitError;
use crate::parse::hcl::{parse_hcl, repeated_object_keys};
use crate::parse::json::parse_json;
use crate::source::SourceFile;
use crate::value::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Module block arguments Terraform interprets itself; the rest are inputs.
const MODULE_META: [&str; 6] = [
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// A module directory as read from disk (or given in memory).
#[derive(Debug)]
pub struct ModuleDir {
    /// The directory (canonical when read from disk); module sources are
    /// resolved against it.
    pub path: PathBuf,
    pub files: Vec<DirFile>,
    pub config: ModuleConfig,
    /// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars(.json)`
    /// in lexical order: the order in which they override each other.
    pub var_files: Vec<VarFile>,
    /// Parse errors; `file` indexes `files`.
    pub errors: Vec<UnitError>,
    /// What Terraform accepts but loses silently (a repeated object key).
    pub warnings: Vec<UnitError>,
}

#[derive(Debug)]
pub struct DirFile {
    pub display: String,
    pub text: Arc<str>,
}

/// Variable values from one `.tfvars` or `.tfvars.json` file.
#[derive(Debug)]
pub struct VarFile {
    /// Index in the directory's files.
    pub file: u32,
    /// How provenance names it: "set in terraform.tfvars".
    pub label: String,
    pub values: Vec<(String, Expr)>,
}

/// What kind of file a name is, for a module directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Hcl,
    Json,
    VarsHcl,
    VarsJson,
}

fn file_kind(name: &str) -> Option<FileKind> {
    let name = name.to_ascii_lowercase();
    if name.ends_with(".tf") {
        Some(FileKind::Hcl)
    } else if name.ends_with(".tf.json") {
        Some(FileKind::Json)
    } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
        Some(FileKind::VarsHcl)
    } else if name == "terraform.tfvars.json" || name.ends_with(".auto.tfvars.json") {
        Some(FileKind::VarsJson)
    } else {
        None
    }
}

/// Precedence of automatically loaded variable files (lower loads first and
/// is overridden by higher).
fn var_file_rank(name: &str) -> u8 {
    match name.to_ascii_lowercase().as_str() {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ => 2,
    }
}

fn file_name(display: &str) -> &str {
    display.rsplit(['/', '\\']).next().unwrap_or(display)
}

impl ModuleDir {
    /// Parses the files of one directory, given as (display path, text). Files
    /// that are not part of a module (other `.tfvars`) are left out.
    pub fn parse(path: PathBuf, files: Vec<(String, Arc<str>)>) -> ModuleDir {
        let mut dir = ModuleDir {
            path,
            files: Vec::new(),
            config: ModuleConfig::default(),
            var_files: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let mut var_files = Vec::new();
        // Terraform reads override files after every primary file.
        let (overrides, primaries): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|(display, _)| is_override(display));
        for (display, text) in primaries.into_iter().chain(overrides) {
            let Some(kind) = file_kind(file_name(&display)) else {
                continue;
            };
            let index = dir.files.len() as u32;
            match kind {
                FileKind::Hcl => match parse_hcl(&text, index) {
                    Ok(body) => {
                        dir.warnings
                            .extend(repeated_object_keys(&body, &text, index));
                        let body = lower_body(&body, index);
                        dir.config.add(body, is_override(&display), &mut dir.errors)
                    }
                    Err(e) => dir.errors.push(e),
                },
                FileKind::Json => match parse_json(&text, index, 0) {
                    Ok(node) => {
                        let mut json = JsonFile {
                            text: &text,
                            file: index,
                            errors: Vec::new(),
                        };
                        let body = json.config_body(&node);
                        dir.errors.append(&mut json.errors);
                        dir.config.add(body, is_override(&display), &mut dir.errors);
                    }
                    Err(e) => dir.errors.push(e),
                },
                FileKind::VarsHcl | FileKind::VarsJson => {
                    let label = format!("set in {}", file_name(&display));
                    match read_var_file(&text, index, kind == FileKind::VarsJson, label) {
                        Ok(vars) => var_files.push((file_name(&display).to_string(), vars)),
                        Err(e) => dir.errors.push(e),
                    }
                }
            }
            dir.files.push(DirFile { display, text });
        }
        var_files.sort_by(|(a, _), (b, _)| {
            (var_file_rank(a), a.as_str()).cmp(&(var_file_rank(b), b.as_str()))
        });
        dir.var_files = var_files.into_iter().map(|(_, v)| v).collect();
        dir.report_duplicates();
        dir
    }

    /// One error per repeated declaration, at the repeat, naming where the
    /// first one is.
    fn report_duplicates(&mut self) {
        let duplicates = std::mem::take(&mut self.config.duplicates);
        // Line indexes only of the files holding first declarations, each
        // built once.
        let mut indexed: HashMap<u32, SourceFile> = HashMap::new();
        for (what, first, again) in duplicates {
            let file = &self.files[first.file as usize];
            let line = indexed
                .entry(first.file)
                .or_insert_with(|| SourceFile::new(file.display.clone(), file.text.clone()))
                .line_col(first.start)
                .line;
            self.errors.push(UnitError {
                file: again.file,
                span: Some(again.in_unit(0)),
                message: format!(
                    "duplicate {what}: already declared at {}:{line}; Terraform refuses this configuration (the first declaration is scanned)",
                    file.display
                ),
            });
        }
    }
}

/// The error for an override file's block that names no block of the
/// primary files: Terraform refuses it.
fn missing_base(what: String, at: At) -> UnitError {
    UnitError {
        file: at.file,
        span: Some(at.in_unit(0)),
        message: format!(
            "{what} is in an override file but declared in no other file; Terraform refuses this configuration"
        ),
    }
}

/// Merges an override file's resource body into the original, as Terraform
/// does: each argument replaces the original's argument of that name; the
/// nested blocks of a type (written plain or `dynamic`) replace all the
/// original's blocks of that type, except `lifecycle`, whose arguments merge
/// one by one.
pub(super) fn merge_override(base: &mut Body, over: Body) {
    fn block_type(block: &Block) -> &str {
        match (block.kind.as_str(), block.labels.first()) {
            ("dynamic", Some((label, _))) => label,
            (kind, _) => kind,
        }
    }
    let replaced: HashSet<String> = over
        .blocks()
        .filter(|b| b.kind != "lifecycle")
        .map(|b| block_type(b).to_string())
        .collect();
    base.items.retain(|item| match item {
        Item::Block(b) => !replaced.contains(block_type(b)),
        Item::Attribute(_) => true,
    });
    for item in over.items {
        match item {
            Item::Attribute(attribute) => {
                let old = base.items.iter_mut().find_map(|i| match i {
                    Item::Attribute(a) if a.name == attribute.name => Some(a),
                    _ => None,
                });
                match old {
                    Some(old) => *old = attribute,
                    None => base.items.push(Item::Attribute(attribute)),
                }
            }
            Item::Block(block) if block.kind == "lifecycle" => {
                let old = base.items.iter_mut().find_map(|i| match i {
                    Item::Block(b) if b.kind == "lifecycle" => Some(b),
                    _ => None,
                });
                match old {
                    Some(old) => merge_override(&mut old.body, block.body),
                    None => base.items.push(Item::Block(block)),
                }
            }
            Item::Block(block) => base.items.push(Item::Block(block)),
        }
    }
}

/// Override files (`override.tf`, `*_override.tf` and their `.json` forms)
/// merge into the blocks they repeat rather than declaring them again.
fn is_override(display: &str) -> bool {
    let name = file_name(display);
    let stem = name
        .strip_suffix(".tf")
        .or_else(|| name.strip_suffix(".tf.json"))
        .unwrap_or(name);
    stem == "override" || stem.ends_with("_override")
}

/// Reads a variable file given on the command line (`--var-file`): HCL, or
/// JSON when its name ends with `.json`. `file` is its index in its own
/// one-file directory.
pub fn read_var_file(
    text: &str,
    file: u32,
    json: bool,
    label: String,
) -> Result<VarFile, UnitError> {
    let mut values = Vec::new();
    if json {
        let node = parse_json(text, file, 0)?;
        let Value::Map(entries) = &node.value else {
            return Err(UnitError {
                file,
                span: Some(node.span),
                message: "a variable file must hold an object".into(),
            });
        };
        for entry in entries {
            values.push((entry.key.clone(), json_syntax::literal(&entry.value, file)));
        }
    } else {
        let body = lower_body(&parse_hcl(text, file)?, file);
        for attribute in body.attributes() {
            values.push((attribute.name.clone(), attribute.expr.clone()));
        }
    }
    Ok(VarFile {
        file,
        label,
        values,
    })
}

/// Every declaration of a module, from all of its files.
#[derive(Debug, Default)]
pub struct ModuleConfig {
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub outputs: Vec<Output>,
    pub resources: Vec<ResourceConfig>,
    pub calls: Vec<ModuleCall>,
    variable_index: HashMap<String, usize>,
    local_index: HashMap<String, usize>,
    output_index: HashMap<String, usize>,
    resource_index: HashMap<(bool, String, String), usize>,
    call_index: HashMap<String, usize>,
    /// Names declared twice: (what, the first declaration, the repeat).
    duplicates: Vec<(String, At, At)>,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    /// `variable "name"`.
    pub header: At,
    pub default: Option<Expr>,
    /// `None` when the variable declares no type.
    pub ty: Option<Type>,
    /// `nullable = false`: a null input means the default.
    pub nullable: bool,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub name_at: At,
    pub expr: Expr,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub header: At,
    pub expr: Option<Expr>,
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub struct ResourceConfig {
    pub is_data: bool,
    pub kind: String,
    pub name: String,
    /// `resource "type" "name"`: where findings about something missing point.
    pub header: At,
    pub at: At,
    pub body: Body,
}

#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub header: At,
    /// The whole block, header to closing brace.
    pub at: At,
    pub source: Option<(String, At)>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub inputs: Vec<Attribute>,
}

impl ResourceConfig {
    pub fn count(&self) -> Option<&Expr> {
        self.body.attribute("count").map(|a| &a.expr)
    }

    pub fn for_each(&self) -> Option<&Expr> {
        self.body.attribute("for_each").map(|a| &a.expr)
    }
}

impl ModuleConfig {
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variable_index.get(name).map(|&i| &self.variables[i])
    }

    pub fn local(&self, name: &str) -> Option<&Local> {
        self.local_index.get(name).map(|&i| &self.locals[i])
    }

    pub fn output(&self, name: &str) -> Option<&Output> {
        self.output_index.get(name).map(|&i| &self.outputs[i])
    }

    pub fn resource_index(&self, is_data: bool, kind: &str, name: &str) -> Option<usize> {
        self.resource_index
            .get(&(is_data, kind.to_string(), name.to_string()))
            .copied()
    }

    pub fn call_index(&self, name: &str) -> Option<usize> {
        self.call_index.get(name).copied()
    }

    /// Adds the declarations of one file's body. A name declared twice keeps
    /// its first declaration and is recorded as a duplicate (Terraform
    /// rejects the configuration). An override file's blocks (added after
    /// every primary file, as Terraform loads them) merge into the blocks
    /// they name, as Terraform merges them; one that names no block is an
    /// error, as in Terraform.
    ///
    /// It takes the body by value so resource bodies, the bulk of a
    /// configuration, move into place instead of being copied.
    fn add(&mut self, body: Body, is_override: bool, errors: &mut Vec<UnitError>) {
        let mut duplicate = |what: String, first: At, again: At| {
            self.duplicates.push((what, first, again));
        };
        let blocks = body.items.into_iter().filter_map(|item| match item {
            Item::Block(block) => Some(block),
            Item::Attribute(_) => None,
        });
        for block in blocks {
            let header = block
                .labels
                .last()
                .map_or(block.kind_at, |(_, at)| block.kind_at.to(*at));
            let labels: Vec<String> = block.labels.iter().map(|(l, _)| l.clone()).collect();
            let label = |i: usize| labels.get(i).cloned();
            match block.kind.as_str() {
                "variable" => {
                    let Some(name) = label(0) else { continue };
                    let attr = |n: &str| block.body.attribute(n).map(|a| a.expr.clone());
                    let is_nullable = |e: Expr| !matches!(e.kind, ExprKind::Bool(false));
                    if let Some(&first) = self.variable_index.get(&name) {
                        let base = &mut self.variables[first];
                        if is_override {
                            base.default = attr("default").or(base.default.take());
                            base.ty = attr("type").map(|t| Type::parse(&t)).or(base.ty.take());
                            base.nullable = attr("nullable").map_or(base.nullable, is_nullable);
                        } else {
                            duplicate(format!("variable `{name}`"), base.header, header);
                        }
                        continue;
                    }
                    if is_override {
                        errors.push(missing_base(format!("variable `{name}`"), header));
                        continue;
                    }
                    let nullable = attr("nullable").is_none_or(is_nullable);
                    self.variable_index
                        .insert(name.clone(), self.variables.len());
                    self.variables.push(Variable {
                        name,
                        header,
                        default: attr("default"),
                        ty: attr("type").map(|t| Type::parse(&t)),
                        nullable,
                    });
                }
                "locals" => {
                    for attribute in block.body.attributes() {
                        if let Some(&first) = self.local_index.get(&attribute.name) {
                            let base = &mut self.locals[first];
                            if is_override {
                                base.name_at = attribute.name_at;
                                base.expr = attribute.expr.clone();
                            } else {
                                duplicate(
                                    format!("local value `{}`", attribute.name),
                                    base.name_at,
                                    attribute.name_at,
                                );
                            }
                            continue;
                        }
                        if is_override {
                            let what = format!("local value `{}`", attribute.name);
                            errors.push(missing_base(what, attribute.name_at));
                            continue;
                        }
                        self.local_index
                            .insert(attribute.name.clone(), self.locals.len());
                        self.locals.push(Local {
                            name: attribute.name.clone(),
                            name_at: attribute.name_at,
                            expr: attribute.expr.clone(),
                        });
                    }
                }
                "output" => {
                    let Some(name) = label(0) else { continue };
                    if let Some(&first) = self.output_index.get(&name) {
                        let base = &mut self.outputs[first];
                        if is_override {
                            if let Some(value) = block.body.attribute("value") {
                                base.expr = Some(value.expr.clone());
                            }
                        } else {
                            duplicate(format!("output `{name}`"), base.header, header);
                        }
                        continue;
                    }
                    if is_override {
                        errors.push(missing_base(format!("output `{name}`"), header));
                        continue;
                    }
                    self.output_index.insert(name.clone(), self.outputs.len());
                    self.outputs.push(Output {
                        name,
                        header,
                        expr: block.body.attribute("value").map(|a| a.expr.clone()),
                    });
                }
                "resource" | "data" => {
                    let is_data = block.kind == "data";
                    let (Some(kind), Some(name), 2) = (label(0), label(1), block.labels.len())
                    else {
                        errors.push(UnitError {
                            file: block.kind_at.file,
                            span: Some(block.kind_at.in_unit(0)),
                            message: format!(
                                "a `{}` block needs two labels, a type and a name",
                                block.kind
                            ),
                        });
                        continue;
                    };
                    let key = (is_data, kind.clone(), name.clone());
                    let what = if is_data { "data source" } else { "resource" };
                    if let Some(&first) = self.resource_index.get(&key) {
                        let base = &mut self.resources[first];
                        if is_override {
                            merge_override(&mut base.body, block.body);
                        } else {
                            duplicate(format!("{what} `{kind}.{name}`"), base.header, header);
                        }
                        continue;
                    }
                    if is_override {
                        errors.push(missing_base(format!("{what} `{kind}.{name}`"), header));
                        continue;
                    }
                    self.resource_index.insert(key, self.resources.len());
                    self.resources.push(ResourceConfig {
                        is_data,
                        kind,
                        name,
                        header,
                        at: block.at,
                        body: block.body,
                    });
                }
                "module" => {
                    let Some(name) = label(0) else { continue };
                    let attr = |n: &str| block.body.attribute(n);
                    if let Some(&first) = self.call_index.get(&name) {
                        let base = &mut self.calls[first];
                        if is_override {
                            if let Some(a) = attr("source") {
                                base.source = a.expr.as_literal_str().map(|s| (s, a.expr.at));
                            }
                            base.count =
                                attr("count").map(|a| a.expr.clone()).or(base.count.take());
                            base.for_each = attr("for_each")
                                .map(|a| a.expr.clone())
                                .or(base.for_each.take());
                            for input in block.body.attributes() {
                                if MODULE_META.contains(&input.name.as_str()) {
                                    continue;
                                }
                                match base.inputs.iter_mut().find(|i| i.name == input.name) {
                                    Some(old) => *old = input.clone(),
                                    None => base.inputs.push(input.clone()),
                                }
                            }
                        } else {
                            duplicate(format!("module call `{name}`"), base.header, header);
                        }
                        continue;
                    }
                    if is_override {
                        errors.push(missing_base(format!("module call `{name}`"), header));
                        continue;
                    }
                    let source = attr("source")
                        .and_then(|a| a.expr.as_literal_str().map(|s| (s, a.expr.at)));
                    self.call_index.insert(name.clone(), self.calls.len());
                    self.calls.push(ModuleCall {
                        name,
                        header,
                        at: block.at,
                        source,
                        count: attr("count").map(|a| a.expr.clone()),
                        for_each: attr("for_each").map(|a| a.expr.clone()),
                        inputs: block
                            .body
                            .attributes()
                            .filter(|a| !MODULE_META.contains(&a.name.as_str()))
                            .cloned()
                            .collect(),
                    });
                }
                _ => {}
            }
        }
    }
}

/// A module source that Terraform reads from the local file system.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> ModuleDir {
        ModuleDir::parse(
            PathBuf::from("/m"),
            files
                .iter()
                .map(|(n, t)| (n.to_string(), Arc::from(*t)))
                .collect(),
        )
    }

    #[test]
    fn declarations_from_hcl_and_json_files() {
        let d = dir(&[
            (
                "m/main.tf",
                "variable \"a\" {\n  type = number\n  default = 1\n  nullable = false\n}\nlocals {\n  x = 1\n}\nmodule \"net\" {\n  source = \"./net\"\n  count = 2\n  cidr = \"10.0.0.0/8\"\n}\n",
            ),
            (
                "m/extra.tf.json",
                r#"{"output": {"id": {"value": "${local.x}"}}, "data": {"aws_vpc": {"main": {}}}}"#,
            ),
            ("m/notes.txt", "ignored"),
            ("m/b.auto.tfvars", "a = 3\n"),
            ("m/terraform.tfvars.json", r#"{"a": 2}"#),
            ("m/terraform.tfvars", "a = 1\n"),
            ("m/prod.tfvars", "a = 9\n"),
        ]);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(
            d.files.len(),
            5,
            "notes.txt and prod.tfvars are not module files"
        );
        let a = d.config.variable("a").unwrap();
        assert_eq!(a.ty, Some(Type::Number));
        assert!(!a.nullable);
        assert!(d.config.local("x").is_some());
        assert!(d.config.output("id").unwrap().expr.is_some());
        assert!(d.config.resource_index(true, "aws_vpc", "main").is_some());
        let call = &d.config.calls[d.config.call_index("net").unwrap()];
        assert_eq!(call.source.as_ref().unwrap().0, "./net");
        assert!(call.count.is_some());
        assert_eq!(call.inputs.len(), 1);
        let labels: Vec<&str> = d.var_files.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "set in terraform.tfvars",
                "set in terraform.tfvars.json",
                "set in b.auto.tfvars"
            ]
        );
    }

    #[test]
    fn parse_errors_are_kept_per_file() {
        let d = dir(&[("a.tf", "resource \"x\" {\n}\n"), ("b.tf", "x = = 1")]);
        assert_eq!(d.errors.len(), 2, "{:?}", d.errors);
        assert!(d.errors[0].message.contains("two labels"));
        assert_eq!(d.errors[1].file, 1);
    }

    #[test]
    fn local_sources() {
        assert!(is_local_source("./modules/sg"));
        assert!(is_local_source("../shared"));
        assert!(!is_local_source("terraform-aws-modules/vpc/aws"));
        assert!(!is_local_source("git::https://example.com/m.git"));
    }
}
