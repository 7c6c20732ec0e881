//! Variable values, in Terraform's order of precedence.
//!
//! A root module variable takes, from lowest to highest: its default, the
//! environment (`TF_VAR_name`), `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars(.json)` in lexical order, `--var-file` files in order, then
//! `--var` values in order. A called module's variable takes the call's
//! argument, else its default. With none of these it is unknown.
//!
//! Provenance: a value from a file or an argument carries the place it was
//! set ("set in terraform.tfvars", "input `cidr` of module `bastion`",
//! "default of variable `admin_cidr`"); values typed on the command line or
//! in the environment have no place in a file and add no step.

use super::eval::{Evaluator, Scope};
use super::module::Instance;
use super::syntax::Expr;
use super::types::Type;
use super::values::{as_bool, as_number, primitive_text, unknown};
use crate::source::FileId;
use crate::value::{Entry, Node, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// A variable's value with the provenance step its uses add.
#[derive(Debug)]
pub struct VarValue {
    pub node: Node,
    pub label: Option<String>,
}

/// Where a root variable's value comes from, when not from its default.
pub enum RootInput<'a> {
    /// A value in a variable file placed in the unit at `base`.
    File {
        expr: &'a Expr,
        base: FileId,
        label: &'a str,
    },
    /// A value in the `--var-file` with this index, placed in the unit
    /// when used.
    VarFile {
        expr: &'a Expr,
        index: usize,
        label: &'a str,
    },
    /// A value typed on the command line or in the environment.
    Text(&'a str),
}

/// The winning value of every root variable set from outside the
/// configuration, later sources overriding earlier ones.
pub fn root_inputs<'a>(
    sources: impl IntoIterator<Item = (&'a str, RootInput<'a>)>,
) -> HashMap<&'a str, RootInput<'a>> {
    let mut inputs = HashMap::new();
    for (name, input) in sources {
        inputs.insert(name, input);
    }
    inputs
}

impl Evaluator<'_> {
    /// The value of variable `name` in an instance, decided once.
    pub fn variable(&self, instance: &Rc<Instance>, name: &str) -> Option<Rc<VarValue>> {
        let declaration = instance.dir.config.variable(name)?;
        match instance.variables.borrow().get(name) {
            Some(Some(done)) => return Some(done.clone()),
            Some(None) => {
                return Some(Rc::new(VarValue {
                    node: Node::new(
                        unknown("cyclic reference"),
                        declaration.header.in_unit(instance.base),
                    ),
                    label: None,
                }))
            }
            None => {}
        }
        instance
            .variables
            .borrow_mut()
            .insert(name.to_string(), None);
        let value = Rc::new(self.decide_variable(instance, name));
        instance
            .variables
            .borrow_mut()
            .insert(name.to_string(), Some(value.clone()));
        Some(value)
    }

    fn decide_variable(&self, instance: &Rc<Instance>, name: &str) -> VarValue {
        let declaration = instance
            .dir
            .config
            .variable(name)
            .expect("declared variable");
        let header = declaration.header.in_unit(instance.base);
        let mut value = match (&instance.call, self.root_input(name)) {
            (Some(site), _) => {
                let call = &site.parent.dir.config.calls[site.call];
                match call.inputs.iter().find(|a| a.name == name) {
                    Some(argument) => {
                        let scope = Scope::module(&site.parent).with_binding(&site.binding);
                        let node = self.eval(&argument.expr, &scope);
                        // `nullable = false`: null means "use the default".
                        if node.value == Value::Null && !declaration.nullable {
                            None
                        } else {
                            Some(VarValue {
                                node,
                                label: Some(format!("input `{name}` of module `{}`", call.name)),
                            })
                        }
                    }
                    None => None,
                }
            }
            (None, Some(RootInput::File { expr, base, label })) => Some(VarValue {
                node: self.eval(expr, &Scope::detached(*base)),
                label: Some(label.to_string()),
            }),
            (None, Some(RootInput::VarFile { expr, index, label })) => Some(VarValue {
                node: self.eval(expr, &Scope::detached(self.place_var_file(*index))),
                label: Some(label.to_string()),
            }),
            (None, Some(RootInput::Text(text))) => {
                let literal = declaration
                    .ty
                    .as_ref()
                    .is_none_or(Type::reads_cli_literally);
                Some(VarValue {
                    node: self.cli_value(text, literal, declaration.header, instance.base),
                    label: None,
                })
            }
            (None, None) => None,
        };
        if value.is_none() {
            value = declaration.default.as_ref().map(|default| VarValue {
                node: self.eval(default, &Scope::detached(instance.base)),
                label: Some(format!("default of variable `{name}`")),
            });
        }
        let mut value = value.unwrap_or_else(|| VarValue {
            node: Node::new(unknown(format!("var.{name} (no value set)")), header),
            label: None,
        });
        if let Some(ty) = &declaration.ty {
            value.node = self.convert(value.node, ty, instance.base);
        }
        value
    }

    /// Where the `--var-file` with this index is in the unit (placed once).
    fn place_var_file(&self, index: usize) -> FileId {
        if let Some(&id) = self.placed_var_files.borrow().get(&index) {
            return id;
        }
        let file = &self.library.var_file(index).file;
        let mut files = self.files.borrow_mut();
        let id = files.len() as FileId;
        files.push(crate::source::SourceFile::new(
            file.display.clone(),
            file.text.clone(),
        ));
        self.placed_var_files.borrow_mut().insert(index, id);
        id
    }

    fn root_input(&self, name: &str) -> Option<&RootInput<'_>> {
        self.root_inputs.get(name)
    }

    /// A value typed on the command line: the text itself, or an HCL
    /// expression for variables of collection or `any` type.
    fn cli_value(
        &self,
        text: &str,
        literal: bool,
        header: super::syntax::At,
        base: FileId,
    ) -> Node {
        let span = header.in_unit(base);
        if literal {
            return Node::new(Value::String(text.to_string()), span);
        }
        match hcl_edit::parser::parse_expr(text) {
            Ok(parsed) => {
                let mut expr = super::syntax::lower_expr(&parsed, header.file);
                expr.place_all_at(header);
                self.eval(&expr, &Scope::detached(base))
            }
            Err(_) => Node::new(
                super::values::failure("invalid value on the command line"),
                span,
            ),
        }
    }

    /// Converts a value to a variable's type as Terraform does before the
    /// module sees it; what does not convert is left as it is.
    pub fn convert(&self, node: Node, ty: &Type, base: FileId) -> Node {
        if !node.value.is_known() || node.value == Value::Null {
            return node;
        }
        let Node {
            value,
            span,
            origins,
        } = node;
        let value = match (ty, value) {
            (Type::String, value @ (Value::Number(_) | Value::Bool(_))) => {
                Value::String(primitive_text(&value).unwrap_or_default())
            }
            (Type::Number, Value::String(s)) => match as_number(&Value::String(s.clone())) {
                Some(n) => Value::Number(n),
                None => Value::String(s),
            },
            (Type::Bool, Value::String(s)) => match as_bool(&Value::String(s.clone())) {
                Some(b) => Value::Bool(b),
                None => Value::String(s),
            },
            (Type::List(element) | Type::Set(element), Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .map(|item| self.convert(item, element, base))
                    .collect(),
            ),
            (Type::Tuple(elements), Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match elements.get(i) {
                        Some(element) => self.convert(item, element, base),
                        None => item,
                    })
                    .collect(),
            ),
            (Type::Map(element), Value::Map(entries)) => Value::Map(
                entries
                    .into_iter()
                    .map(|e| Entry {
                        value: self.convert(e.value, element, base),
                        ..e
                    })
                    .collect(),
            ),
            (Type::Object(attributes), Value::Map(mut entries)) => {
                for attribute in attributes {
                    match entries.iter().position(|e| e.key == attribute.name) {
                        Some(i) => {
                            let entry = &mut entries[i];
                            let value =
                                std::mem::replace(&mut entry.value, Node::new(Value::Null, span));
                            entry.value = self.convert(value, &attribute.ty, base);
                        }
                        // An optional attribute left out takes its default.
                        None if attribute.optional => {
                            let value = match &attribute.default {
                                Some(default) => {
                                    let value = self.eval(&default.0, &Scope::detached(base));
                                    self.convert(value, &attribute.ty, base)
                                }
                                None => Node::new(Value::Null, span),
                            };
                            entries.push(Entry {
                                key: attribute.name.clone(),
                                key_span: span,
                                value,
                            });
                        }
                        None => {}
                    }
                }
                Value::Map(entries)
            }
            (_, value) => value,
        };
        Node {
            value,
            span,
            origins,
        }
    }
}
