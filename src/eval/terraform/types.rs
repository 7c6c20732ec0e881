//! Variable type constraints (`type = list(string)`), read leniently: what is
//! not understood is `any`. They decide how a value typed on the command line
//! is read and convert values the way Terraform does before a module sees
//! them (`"22"` to `22` for a `number`, optional object attributes filled).

use super::syntax::{Expr, ExprKind, ObjectKey};

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(Vec<ObjectAttribute>),
    Tuple(Vec<Type>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttribute {
    pub name: String,
    pub ty: Type,
    /// `optional(T)` or `optional(T, default)`.
    pub optional: bool,
    pub default: Option<ExprRef>,
}

/// An optional attribute's default expression (compared by identity only).
#[derive(Clone, Debug)]
pub struct ExprRef(pub Box<Expr>);

impl PartialEq for ExprRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.at == other.0.at
    }
}

impl Type {
    /// Reads a type expression; anything not understood is `any`.
    pub fn parse(expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Name(name) => match name.as_str() {
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                // Legacy bare collection types.
                "list" => Type::List(Box::new(Type::Any)),
                "map" => Type::Map(Box::new(Type::Any)),
                _ => Type::Any,
            },
            // Terraform 0.11 wrote types as strings.
            ExprKind::String(s) => match s.as_str() {
                "string" => Type::String,
                "list" => Type::List(Box::new(Type::Any)),
                "map" => Type::Map(Box::new(Type::Any)),
                _ => Type::Any,
            },
            ExprKind::Call(call) => {
                let arg = call.args.first();
                match (call.name.as_str(), arg) {
                    ("list", Some(a)) => Type::List(Box::new(Type::parse(a))),
                    ("set", Some(a)) => Type::Set(Box::new(Type::parse(a))),
                    ("map", Some(a)) => Type::Map(Box::new(Type::parse(a))),
                    (
                        "tuple",
                        Some(Expr {
                            kind: ExprKind::Tuple(items),
                            ..
                        }),
                    ) => Type::Tuple(items.iter().map(Type::parse).collect()),
                    (
                        "object",
                        Some(Expr {
                            kind: ExprKind::Object(items),
                            ..
                        }),
                    ) => Type::Object(
                        items
                            .iter()
                            .filter_map(|item| {
                                let name = match &item.key {
                                    ObjectKey::Name(n, _) => n.clone(),
                                    ObjectKey::Expr(e) => e
                                        .as_literal_str()
                                        .or_else(|| e.as_name().map(str::to_string))?,
                                };
                                Some(object_attribute(name, &item.value))
                            })
                            .collect(),
                    ),
                    _ => Type::Any,
                }
            }
            _ => Type::Any,
        }
    }

    /// Values for primitive types are taken from the command line and the
    /// environment as literal strings (and then converted); other types,
    /// `any` included, are read as HCL expressions, as Terraform does. A
    /// variable with no type at all reads them literally too.
    pub fn reads_cli_literally(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }
}

fn object_attribute(name: String, expr: &Expr) -> ObjectAttribute {
    if let ExprKind::Call(call) = &expr.kind {
        if call.name == "optional" {
            return ObjectAttribute {
                name,
                ty: call.args.first().map_or(Type::Any, Type::parse),
                optional: true,
                default: call.args.get(1).map(|d| ExprRef(Box::new(d.clone()))),
            };
        }
    }
    ObjectAttribute {
        name,
        ty: Type::parse(expr),
        optional: false,
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::terraform::syntax::lower_expr;

    fn ty(text: &str) -> Type {
        Type::parse(&lower_expr(&hcl_edit::parser::parse_expr(text).unwrap(), 0))
    }

    #[test]
    fn parses_primitive_collection_and_object_types() {
        assert_eq!(ty("string"), Type::String);
        assert_eq!(ty("list(number)"), Type::List(Box::new(Type::Number)));
        assert_eq!(
            ty("map(set(bool))"),
            Type::Map(Box::new(Type::Set(Box::new(Type::Bool))))
        );
        assert_eq!(
            ty("tuple([string, any])"),
            Type::Tuple(vec![Type::String, Type::Any])
        );
        let Type::Object(attrs) = ty("object({ a = string, b = optional(number, 5) })") else {
            panic!()
        };
        assert_eq!(attrs.len(), 2);
        assert!(!attrs[0].optional);
        assert!(attrs[1].optional && attrs[1].default.is_some());
        assert_eq!(attrs[1].ty, Type::Number);
        assert_eq!(ty("whatever(1)"), Type::Any);
        assert!(ty("number").reads_cli_literally());
        assert!(!ty("list(string)").reads_cli_literally());
        assert!(!ty("any").reads_cli_literally());
    }
}
