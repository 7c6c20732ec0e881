//! Terraform's built-in functions, those met in security-relevant attributes:
//! strings, collections, encodings, numbers, networks and files.
//!
//! Every function takes evaluated arguments and propagates unknowns: an
//! argument not known before apply makes the result unknown, except where
//! the result does not depend on it (`length` of a list with an unknown
//! element, `merge` of maps with unknown values). Functions that pick among
//! their arguments (`lookup`, `coalesce`, `concat`, `element`) return the
//! picked nodes themselves, so provenance and positions survive; computed
//! values carry the provenance of their arguments. Functions not listed
//! here, and those whose result is not knowable before apply (`timestamp`,
//! `uuid`), are unknown.

use super::eval::{
    propagate, Evaluator, Scope, Symbol, MAX_COLLECTION, MAX_STRING_BYTES, TOO_LARGE, TOO_LONG,
};
use super::syntax::{lower_template_text, At};
use super::values::{
    add_origins, as_bool, as_number, cost, failure, first_unknown, json_text, over_limit,
    primitive_text, same_value, text_hole, unknown, MapBuilder, BYTES_PER_STEP,
};
use crate::source::Span;
use crate::value::{format_number, Entry, Node, Origin, PartialText, Piece, Value};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use std::net::IpAddr;

/// A function's result: a node it picked, or a value it computed.
enum Out {
    Node(Node),
    Value(Value),
}

/// `Err` carries the unknown (or failure) to return.
type R<T> = Result<T, Value>;

pub fn call(ev: &Evaluator, name: &str, args: Vec<Node>, span: Span, scope: &Scope) -> Node {
    let mut origins: Vec<Origin> = Vec::new();
    for arg in &args {
        add_origins(&mut origins, &arg.origins);
    }
    let result = dispatch(ev, name, args, span, scope, &mut origins);
    let node = match result {
        // A picked argument was paid for when it was evaluated.
        Ok(Out::Node(node)) => return node,
        Ok(Out::Value(value)) => Node {
            value,
            span,
            origins,
        },
        Err(value) => return ev.located(value, span),
    };
    // A computed value pays for its size; functions whose result can be
    // much larger than their arguments also pay before they build it.
    if !ev.tick(cost(&node) - 1, span) {
        return Node::new(unknown("evaluation limit"), span);
    }
    node
}

/// Checks that `bytes` of text about to be built fit [`MAX_STRING_BYTES`]
/// and the unit's budget (the result pays when it is returned).
fn fits_text(ev: &Evaluator, bytes: usize, span: Span) -> R<()> {
    if bytes > MAX_STRING_BYTES {
        return Err(over_limit(TOO_LONG));
    }
    if !ev.affords(bytes as u64 / BYTES_PER_STEP, span) {
        return Err(unknown("evaluation limit"));
    }
    Ok(())
}

fn dispatch(
    ev: &Evaluator,
    name: &str,
    mut args: Vec<Node>,
    span: Span,
    scope: &Scope,
    origins: &mut Vec<Origin>,
) -> R<Out> {
    use Out::Value as V;
    let n = args.len();
    let arity = |min: usize, max: usize| -> R<()> {
        if n < min || n > max {
            Err(failure(format!(
                "{name} takes {min} to {max} arguments, not {n}"
            )))
        } else {
            Ok(())
        }
    };
    Ok(match name {
        // ----- encoding ---------------------------------------------------
        // Rules read a policy's structure, so the encoded value is kept.
        "jsonencode" => {
            arity(1, 1)?;
            Out::Node(args.remove(0))
        }
        "jsondecode" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            match &arg.value {
                Value::Map(_) | Value::List(_) => Out::Node(arg),
                _ => {
                    let text = string(&arg)?;
                    // Decoded nodes (each with the argument's provenance)
                    // weigh far more than their text: paid for before
                    // decoding.
                    let nodes = json_node_bound(&text) * (1 + arg.origins.len() as u64);
                    if !ev.tick(nodes + text.len() as u64 / BYTES_PER_STEP, span) {
                        return Err(unknown("evaluation limit"));
                    }
                    let json: serde_json::Value = serde_json::from_str(&text)
                        .map_err(|e| failure(format!("invalid JSON: {e}")))?;
                    Out::Node(from_json(&json, span, &arg.origins))
                }
            }
        }
        "yamlencode" => {
            arity(1, 1)?;
            known_deep(&args[0])?;
            let mut out = String::new();
            yaml(&args[0], 0, &mut out);
            V(Value::String(out))
        }
        "base64encode" => {
            arity(1, 1)?;
            V(Value::String(BASE64.encode(string(&args[0])?)))
        }
        "base64decode" => {
            arity(1, 1)?;
            let bytes = BASE64
                .decode(string(&args[0])?)
                .map_err(|_| failure("invalid base64"))?;
            V(Value::String(
                String::from_utf8(bytes).map_err(|_| failure("decoded base64 is not UTF-8"))?,
            ))
        }
        "urlencode" => {
            arity(1, 1)?;
            V(Value::String(url_encode(&string(&args[0])?)))
        }
        "sensitive" | "nonsensitive" => {
            arity(1, 1)?;
            Out::Node(args.remove(0))
        }

        // ----- conversion -------------------------------------------------
        "tostring" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            match &arg.value {
                // A reference stays a reference: it still links resources.
                Value::Null | Value::Ref(_) | Value::String(_) => Out::Node(arg),
                Value::Number(_) | Value::Bool(_) => V(Value::String(
                    primitive_text(&arg.value).unwrap_or_default(),
                )),
                Value::Unknown(_) => Out::Node(arg),
                _ => return Err(failure("tostring of a collection")),
            }
        }
        "tonumber" => {
            arity(1, 1)?;
            match &args[0].value {
                Value::Null => V(Value::Null),
                value if !value.is_known() => return Err(propagate(value, "tonumber")),
                value => V(Value::Number(
                    as_number(value).ok_or_else(|| failure("not a number"))?,
                )),
            }
        }
        "tobool" => {
            arity(1, 1)?;
            match &args[0].value {
                Value::Null => V(Value::Null),
                value if !value.is_known() => return Err(propagate(value, "tobool")),
                value => V(Value::Bool(
                    as_bool(value).ok_or_else(|| failure("not a bool"))?,
                )),
            }
        }
        "tolist" | "tuple" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            match &arg.value {
                Value::List(_) | Value::Null | Value::Ref(_) | Value::Unknown(_) => Out::Node(arg),
                _ => return Err(failure("tolist of a non-list")),
            }
        }
        "toset" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            let span = arg.span;
            match arg.value {
                Value::List(items) => Out::Node(Node {
                    value: Value::List(set_of(items)),
                    span,
                    origins: arg.origins,
                }),
                Value::Null => V(Value::Null),
                value if !value.is_known() => return Err(propagate(&value, "toset")),
                _ => return Err(failure("toset of a non-list")),
            }
        }
        "tomap" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            match &arg.value {
                Value::Map(_) | Value::Null | Value::Unknown(_) | Value::Ref(_) => Out::Node(arg),
                _ => return Err(failure("tomap of a non-map")),
            }
        }

        // ----- strings ----------------------------------------------------
        "format" => {
            arity(1, usize::MAX)?;
            let format = string(&args[0])?;
            V(go_format(&format, &args[1..])?
                .into_value("format with arguments known only after apply"))
        }
        "formatlist" => {
            arity(1, usize::MAX)?;
            let format = string(&args[0])?;
            let mut length: Option<usize> = None;
            for arg in &args[1..] {
                match &arg.value {
                    Value::List(items) => match length {
                        Some(l) if l != items.len() => {
                            return Err(failure("formatlist lists differ in length"))
                        }
                        _ => length = Some(items.len()),
                    },
                    value if !value.is_known() => return Err(propagate(value, "formatlist")),
                    _ => {}
                }
            }
            let length = length.unwrap_or(1);
            let mut out = Vec::with_capacity(length);
            let mut bytes = 0;
            for i in 0..length {
                let row: Vec<Node> = args[1..]
                    .iter()
                    .map(|a| match &a.value {
                        Value::List(items) => items[i].clone(),
                        _ => a.clone(),
                    })
                    .collect();
                let text = match go_format(&format, &row)?.into_value("formatlist") {
                    Value::String(text) => text,
                    _ => return Err(unknown("formatlist")),
                };
                // Each row is bounded; the rows together must fit the
                // budget as they grow.
                bytes += text.len();
                if !ev.affords(bytes as u64 / BYTES_PER_STEP, span) {
                    return Err(unknown("evaluation limit"));
                }
                out.push(Node::new(Value::String(text), span));
            }
            V(Value::List(out))
        }
        "join" => {
            arity(2, usize::MAX)?;
            // Elements known only after apply leave holes in the text.
            let separator = string(&args[0])?;
            let mut joined = PartialText::default();
            let mut first = true;
            for list in &args[1..] {
                for item in list_ref(list)? {
                    if !first {
                        joined.push_text(&separator);
                    }
                    first = false;
                    match string(item) {
                        Ok(text) => joined.push_text(&text),
                        Err(_) => joined.append(&text_hole(item)?),
                    }
                    if joined.known_len() > MAX_STRING_BYTES {
                        return Err(over_limit(TOO_LONG));
                    }
                }
            }
            V(joined.into_value("join of elements known only after apply"))
        }
        "split" => {
            arity(2, 2)?;
            let separator = string(&args[0])?;
            let text = string(&args[1])?;
            let parts = if separator.is_empty() {
                text.chars().count()
            } else {
                text.matches(separator.as_str()).count() + 1
            };
            if parts > MAX_COLLECTION {
                return Err(over_limit(TOO_LARGE));
            }
            let parts: Vec<Node> = if separator.is_empty() {
                text.chars()
                    .map(|c| Node::new(Value::String(c.to_string()), span))
                    .collect()
            } else {
                text.split(separator.as_str())
                    .map(|s| Node::new(Value::String(s.to_string()), span))
                    .collect()
            };
            V(Value::List(parts))
        }
        "lower" => V(Value::String(string(one(&args, name)?)?.to_lowercase())),
        "upper" => V(Value::String(string(one(&args, name)?)?.to_uppercase())),
        "title" => V(Value::String(title(&string(one(&args, name)?)?))),
        "trimspace" => V(Value::String(string(one(&args, name)?)?.trim().to_string())),
        "chomp" => V(Value::String(
            string(one(&args, name)?)?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        )),
        "strrev" => V(Value::String(
            string(one(&args, name)?)?.chars().rev().collect(),
        )),
        "trim" => {
            arity(2, 2)?;
            let cutset: Vec<char> = string(&args[1])?.chars().collect();
            V(Value::String(
                string(&args[0])?
                    .trim_matches(cutset.as_slice())
                    .to_string(),
            ))
        }
        "trimprefix" | "trimsuffix" => {
            arity(2, 2)?;
            let text = string(&args[0])?;
            let affix = string(&args[1])?;
            let trimmed = if name == "trimprefix" {
                text.strip_prefix(affix.as_str())
            } else {
                text.strip_suffix(affix.as_str())
            };
            V(Value::String(trimmed.unwrap_or(&text).to_string()))
        }
        "startswith" | "endswith" | "strcontains" => {
            arity(2, 2)?;
            let text = string(&args[0])?;
            let part = string(&args[1])?;
            V(Value::Bool(match name {
                "startswith" => text.starts_with(&part),
                "endswith" => text.ends_with(&part),
                _ => text.contains(&part),
            }))
        }
        "substr" => {
            arity(3, 3)?;
            let chars: Vec<char> = string(&args[0])?.chars().collect();
            let offset = integer(&args[1])?;
            let length = integer(&args[2])?;
            let len = chars.len() as i64;
            let start = if offset < 0 { len + offset } else { offset };
            if start < 0 || start > len {
                return Err(failure("substr offset out of range"));
            }
            let end = if length < 0 {
                len
            } else {
                (start + length).min(len)
            };
            V(Value::String(
                chars[start as usize..end as usize].iter().collect(),
            ))
        }
        "replace" => {
            arity(3, 3)?;
            let search = string(&args[1])?;
            let replacement = string(&args[2])?;
            if let Some(partial) = args[0].value.partial_text() {
                let replaced = replace_partial(partial, &search, &replacement)
                    .ok_or_else(|| unknown("replace in text known only in part"))?;
                fits_text(ev, replaced.known_len(), span)?;
                return Ok(V(replaced.into_value("replace in text known only in part")));
            }
            let text = string(&args[0])?;
            let replaced = match search
                .strip_prefix('/')
                .and_then(|s| s.strip_suffix('/'))
                .filter(|_| search.len() > 1)
            {
                Some(pattern) => {
                    let pattern = regex(pattern)?;
                    pay_for_regex(ev, &text, span)?;
                    // Built piece by piece, so a growing result stops at the
                    // limit rather than after it is allocated.
                    let mut out = String::new();
                    let mut last = 0;
                    for found in pattern.captures_iter(&text) {
                        let whole = found.get(0).expect("group 0 is the match");
                        out.push_str(&text[last..whole.start()]);
                        found.expand(&replacement, &mut out);
                        last = whole.end();
                        if out.len() > MAX_STRING_BYTES {
                            return Err(over_limit(TOO_LONG));
                        }
                    }
                    out.push_str(&text[last..]);
                    out
                }
                None => {
                    // The result's size is known before it is built.
                    let (found, removed) = if search.is_empty() {
                        (text.chars().count() + 1, 0)
                    } else {
                        let found = text.matches(search.as_str()).count();
                        (found, found * search.len())
                    };
                    let size = (text.len() - removed)
                        .saturating_add(found.saturating_mul(replacement.len()));
                    fits_text(ev, size, span)?;
                    text.replace(&search, &replacement)
                }
            };
            V(Value::String(replaced))
        }
        "regex" | "regexall" => {
            arity(2, 2)?;
            let pattern = regex(&string(&args[0])?)?;
            let text = string(&args[1])?;
            pay_for_regex(ev, &text, span)?;
            let mut matches = pattern
                .captures_iter(&text)
                .map(|c| captures(&pattern, &c, span));
            if name == "regex" {
                V(matches
                    .next()
                    .ok_or_else(|| failure("pattern does not match"))?)
            } else {
                // An empty pattern matches between every two characters.
                let all: Vec<Node> = matches
                    .take(MAX_COLLECTION + 1)
                    .map(|v| Node::new(v, span))
                    .collect();
                V(Value::List(bounded(all)?))
            }
        }

        // ----- collections ------------------------------------------------
        "length" => {
            arity(1, 1)?;
            V(Value::Number(match &args[0].value {
                Value::List(items) => items.len(),
                Value::Map(entries) => entries.len(),
                Value::String(s) => s.chars().count(),
                value => return Err(propagate(value, "length")),
            } as f64))
        }
        "concat" => {
            let mut out = Vec::new();
            for arg in args {
                out.extend(list(arg)?);
            }
            V(Value::List(bounded(out)?))
        }
        "merge" => {
            let mut out = MapBuilder::default();
            for arg in args {
                match arg.value {
                    Value::Null => continue,
                    Value::Map(entries) => entries.into_iter().for_each(|e| out.insert(e)),
                    value => return Err(propagate(&value, "merge")),
                }
            }
            V(Value::Map(out.into_entries()))
        }
        "lookup" => {
            arity(2, 3)?;
            let key = string(&args[1])?;
            let default = (args.len() == 3).then(|| args.pop().unwrap());
            let map = args.remove(0);
            if !ev.charge_search(&map.value, span) {
                return Err(unknown("evaluation limit"));
            }
            match map.value {
                Value::Map(entries) => match entries.into_iter().find(|e| e.key == key) {
                    Some(entry) => Out::Node(entry.value),
                    None => Out::Node(default.ok_or_else(|| failure(format!("no key `{key}`")))?),
                },
                value => return Err(propagate(&value, "lookup")),
            }
        }
        "element" => {
            arity(2, 2)?;
            let index = integer(&args[1])?;
            let items = list(args.remove(0))?;
            if items.is_empty() {
                return Err(failure("element of an empty list"));
            }
            if index < 0 {
                return Err(failure("negative index"));
            }
            let i = index as usize % items.len();
            Out::Node(items.into_iter().nth(i).unwrap())
        }
        "index" => {
            arity(2, 2)?;
            known_deep(&args[1])?;
            let items = list_ref(&args[0])?;
            for (i, item) in items.iter().enumerate() {
                known_deep(item)?;
                if same_value(item, &args[1]) {
                    return Ok(V(Value::Number(i as f64)));
                }
            }
            return Err(failure("value not in list"));
        }
        "contains" => {
            arity(2, 2)?;
            known_deep(&args[1])?;
            let mut unknown_element = None;
            for item in list_ref(&args[0])? {
                if let Some(value) = first_unknown(item) {
                    unknown_element = Some(value.clone());
                } else if same_value(item, &args[1]) {
                    return Ok(V(Value::Bool(true)));
                }
            }
            match unknown_element {
                Some(value) => return Err(propagate(&value, "contains")),
                None => V(Value::Bool(false)),
            }
        }
        "flatten" => {
            arity(1, 1)?;
            let mut out = Vec::new();
            flatten(list(args.remove(0))?, &mut out)?;
            V(Value::List(bounded(out)?))
        }
        "distinct" => {
            arity(1, 1)?;
            let items = list(args.remove(0))?;
            for item in &items {
                known_deep(item)?;
            }
            V(Value::List(distinct_nodes(items)))
        }
        "keys" | "values" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            let mut entries = map(arg)?;
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            V(Value::List(
                entries
                    .into_iter()
                    .map(|e| {
                        if name == "keys" {
                            Node::new(Value::String(e.key), e.key_span)
                        } else {
                            e.value
                        }
                    })
                    .collect(),
            ))
        }
        "coalesce" => {
            for arg in args {
                match &arg.value {
                    Value::Null => continue,
                    Value::String(s) if s.is_empty() => continue,
                    value if !value.is_known() => return Err(propagate(value, "coalesce")),
                    _ => return Ok(Out::Node(arg)),
                }
            }
            return Err(failure("no non-null, non-empty argument"));
        }
        "coalescelist" => {
            for arg in args {
                match &arg.value {
                    Value::List(items) if items.is_empty() => continue,
                    Value::List(_) => return Ok(Out::Node(arg)),
                    value => return Err(propagate(value, "coalescelist")),
                }
            }
            return Err(failure("no non-empty list"));
        }
        "compact" => {
            arity(1, 1)?;
            let mut out = Vec::new();
            for item in list(args.remove(0))? {
                match &item.value {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    value if !value.is_known() => return Err(propagate(value, "compact")),
                    _ => out.push(item),
                }
            }
            V(Value::List(out))
        }
        "zipmap" => {
            arity(2, 2)?;
            let values = list(args.pop().unwrap())?;
            let keys = list(args.pop().unwrap())?;
            if keys.len() != values.len() {
                return Err(failure("zipmap lists differ in length"));
            }
            let mut out = MapBuilder::default();
            for (key, value) in keys.into_iter().zip(values) {
                out.insert(Entry {
                    key: string(&key)?,
                    key_span: key.span,
                    value,
                });
            }
            V(Value::Map(out.into_entries()))
        }
        "range" => {
            arity(1, 3)?;
            let numbers: Vec<f64> = args.iter().map(number).collect::<R<_>>()?;
            let (start, limit, step) = match numbers.as_slice() {
                [limit] => (0.0, *limit, 1.0),
                [start, limit] => (*start, *limit, if start <= limit { 1.0 } else { -1.0 }),
                [start, limit, step] => (*start, *limit, *step),
                _ => unreachable!(),
            };
            if step == 0.0 {
                return Err(failure("range step is zero"));
            }
            let count = ((limit - start) / step).ceil().max(0.0);
            if count > MAX_COLLECTION as f64 {
                return Err(over_limit(TOO_LARGE));
            }
            V(Value::List(
                (0..count as usize)
                    .map(|i| Node::new(Value::Number(start + step * i as f64), span))
                    .collect(),
            ))
        }
        "slice" => {
            arity(3, 3)?;
            let end = integer(&args[2])?;
            let start = integer(&args[1])?;
            let items = list(args.remove(0))?;
            if start < 0 || end < start || end as usize > items.len() {
                return Err(failure("slice bounds out of range"));
            }
            V(Value::List(
                items
                    .into_iter()
                    .skip(start as usize)
                    .take((end - start) as usize)
                    .collect(),
            ))
        }
        "one" => {
            arity(1, 1)?;
            let arg = args.remove(0);
            match arg.value {
                Value::Null => V(Value::Null),
                Value::List(mut items) => match items.len() {
                    0 => Out::Node(Node::new(Value::Null, arg.span)),
                    1 => Out::Node(items.pop().unwrap()),
                    _ => return Err(failure("one of a list with more than one element")),
                },
                value => return Err(propagate(&value, "one")),
            }
        }
        "reverse" => {
            arity(1, 1)?;
            let mut items = list(args.remove(0))?;
            items.reverse();
            V(Value::List(items))
        }
        "sort" => {
            arity(1, 1)?;
            let items = list(args.remove(0))?;
            let mut keyed = items
                .into_iter()
                .map(|item| Ok((string(&item)?, item)))
                .collect::<R<Vec<_>>>()?;
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            V(Value::List(
                keyed.into_iter().map(|(_, item)| item).collect(),
            ))
        }
        "setunion" | "setintersection" | "setsubtract" => {
            let sets = args.into_iter().map(list).collect::<R<Vec<_>>>()?;
            for item in sets.iter().flatten() {
                known_deep(item)?;
            }
            let mut sets = sets.into_iter();
            let mut out = sets.next().unwrap_or_default();
            for other in sets {
                let texts: std::collections::HashSet<String> =
                    other.iter().filter_map(json_text).collect();
                let member = |node: &Node| json_text(node).is_some_and(|t| texts.contains(&t));
                match name {
                    "setunion" => out.extend(other),
                    "setintersection" => out.retain(member),
                    _ => out.retain(|i| !member(i)),
                }
            }
            V(Value::List(set_of(out)))
        }
        "alltrue" | "anytrue" => {
            arity(1, 1)?;
            let mut unknown_element = None;
            let all = name == "alltrue";
            for item in list_ref(&args[0])? {
                match as_bool(&item.value) {
                    Some(b) if b != all => return Ok(V(Value::Bool(!all))),
                    Some(_) => {}
                    None if item.value.is_known() => return Err(failure("not a bool")),
                    None => unknown_element = Some(item.value.clone()),
                }
            }
            match unknown_element {
                Some(value) => return Err(propagate(&value, name)),
                None => V(Value::Bool(all)),
            }
        }
        "sum" => {
            arity(1, 1)?;
            let total = list_ref(&args[0])?.iter().map(number).sum::<R<f64>>()?;
            V(Value::Number(total))
        }

        // ----- numbers ----------------------------------------------------
        "min" | "max" => {
            let numbers: Vec<f64> = args.iter().map(number).collect::<R<_>>()?;
            let pick = if name == "min" { f64::min } else { f64::max };
            V(Value::Number(numbers.into_iter().reduce(pick).ok_or_else(
                || failure(format!("{name} needs an argument")),
            )?))
        }
        "abs" => V(Value::Number(number(one(&args, name)?)?.abs())),
        "ceil" => V(Value::Number(number(one(&args, name)?)?.ceil())),
        "floor" => V(Value::Number(number(one(&args, name)?)?.floor())),
        "signum" => V(Value::Number(number(one(&args, name)?)?.signum())),
        "pow" => {
            arity(2, 2)?;
            V(Value::Number(number(&args[0])?.powf(number(&args[1])?)))
        }
        "parseint" => {
            arity(2, 2)?;
            let text = string(&args[0])?;
            let base = integer(&args[1])?;
            if !(2..=62).contains(&base) {
                return Err(failure("parseint base out of range"));
            }
            let parsed = i64::from_str_radix(&text, base as u32)
                .map_err(|_| failure(format!("cannot parse `{text}` in base {base}")))?;
            V(Value::Number(parsed as f64))
        }

        // ----- networks ---------------------------------------------------
        "cidrsubnet" => {
            arity(3, 3)?;
            let net = Net::parse(&string(&args[0])?)?;
            V(Value::String(
                net.subnet(integer(&args[1])?, integer(&args[2])?)?,
            ))
        }
        "cidrhost" => {
            arity(2, 2)?;
            let net = Net::parse(&string(&args[0])?)?;
            V(Value::String(net.host(integer(&args[1])?)?))
        }
        "cidrnetmask" => {
            arity(1, 1)?;
            let net = Net::parse(&string(&args[0])?)?;
            V(Value::String(net.netmask()?))
        }
        "cidrsubnets" => {
            arity(1, usize::MAX)?;
            let net = Net::parse(&string(&args[0])?)?;
            let newbits = args[1..].iter().map(integer).collect::<R<Vec<_>>>()?;
            V(Value::List(
                net.subnets(&newbits)?
                    .into_iter()
                    .map(|s| Node::new(Value::String(s), span))
                    .collect(),
            ))
        }

        // ----- files ------------------------------------------------------
        "file" | "filebase64" => {
            arity(1, 1)?;
            let path = string(&args[0])?;
            let (file, text) = ev.read_file(&path)?;
            origins.insert(
                0,
                Origin {
                    span: Span::new(file, 0..text.len()),
                    label: format!("contents of `{path}`"),
                },
            );
            V(Value::String(if name == "file" {
                text.to_string()
            } else {
                BASE64.encode(text.as_bytes())
            }))
        }
        "fileexists" => {
            arity(1, 1)?;
            let path = string(&args[0])?;
            V(Value::Bool(ev.read_file(&path).is_ok()))
        }
        "templatefile" => {
            arity(2, 2)?;
            let path = string(&args[0])?;
            let vars = args.pop().unwrap();
            let entries = match vars.value {
                Value::Map(entries) => entries,
                value => return Err(propagate(&value, "templatefile variables")),
            };
            let (file, text) = ev.read_file(&path)?;
            let template = hcl_edit::parser::parse_template(&text)
                .map_err(|e| failure(format!("invalid template: {}", e.message())))?;
            let whole = At::new(0, 0..text.len());
            let template = lower_template_text(&template, 0, Some(0), whole);
            let nodes: Vec<(String, Node)> =
                entries.into_iter().map(|e| (e.key, e.value)).collect();
            let rendered = with_symbols(&nodes, None, &mut |symbols| {
                let inner = Scope {
                    instance: None,
                    base: file,
                    binding: scope.binding,
                    symbols,
                };
                ev.eval_template(&template, Span::new(file, 0..text.len()), &inner)
            });
            origins.insert(
                0,
                Origin {
                    span: Span::new(file, 0..text.len()),
                    label: format!("template `{path}`"),
                },
            );
            add_origins(origins, &rendered.origins);
            match rendered.value {
                Value::String(s) => V(Value::String(s)),
                value if !value.is_known() => return Err(value),
                value => V(Value::String(primitive_text(&value).unwrap_or_default())),
            }
        }
        "dirname" | "basename" => {
            let path = string(one(&args, name)?)?;
            let trimmed = path.trim_end_matches('/');
            let (dir, base) = match trimmed.rsplit_once('/') {
                Some(("", base)) => ("/", base),
                Some((dir, base)) => (dir, base),
                None => (".", trimmed),
            };
            V(Value::String(
                if name == "dirname" { dir } else { base }.to_string(),
            ))
        }

        // Everything else is not known before apply, or not evaluated here.
        _ => return Err(unknown(format!("function {name}"))),
    })
}

/// Binds each (name, value) as a symbol, then calls `f` with the innermost.
fn with_symbols<'s>(
    nodes: &'s [(String, Node)],
    parent: Option<&'s Symbol<'s>>,
    f: &mut dyn FnMut(Option<&Symbol<'_>>) -> Node,
) -> Node {
    match nodes.split_first() {
        None => f(parent),
        Some(((name, value), rest)) => {
            let symbol = Symbol {
                name,
                value,
                label: None,
                parent,
            };
            with_symbols(rest, Some(&symbol), f)
        }
    }
}

// ----- argument helpers ------------------------------------------------------

fn one<'n>(args: &'n [Node], name: &str) -> R<&'n Node> {
    match args {
        [arg] => Ok(arg),
        _ => Err(failure(format!("{name} takes one argument"))),
    }
}

/// A string argument. A structure kept from `jsonencode` reads as its JSON.
fn string(node: &Node) -> R<String> {
    if let Some(text) = primitive_text(&node.value) {
        return Ok(text);
    }
    match &node.value {
        Value::Null => Err(failure("null where a string is needed")),
        Value::List(_) | Value::Map(_) => match first_unknown(node) {
            Some(value) => Err(propagate(value, "string")),
            None => json_text(node).ok_or_else(|| unknown("string")),
        },
        value => Err(propagate(value, "string")),
    }
}

fn number(node: &Node) -> R<f64> {
    match &node.value {
        value if !value.is_known() => Err(propagate(value, "number")),
        value => as_number(value).ok_or_else(|| failure("not a number")),
    }
}

fn integer(node: &Node) -> R<i64> {
    let n = number(node)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(failure("not a whole number"));
    }
    Ok(n as i64)
}

fn list(node: Node) -> R<Vec<Node>> {
    match node.value {
        Value::List(items) => Ok(items),
        Value::Null => Err(failure("null where a list is needed")),
        value if !value.is_known() => Err(propagate(&value, "list")),
        _ => Err(failure("not a list")),
    }
}

fn list_ref(node: &Node) -> R<&[Node]> {
    match &node.value {
        Value::List(items) => Ok(items),
        Value::Null => Err(failure("null where a list is needed")),
        value if !value.is_known() => Err(propagate(value, "list")),
        _ => Err(failure("not a list")),
    }
}

fn map(node: Node) -> R<Vec<Entry>> {
    match node.value {
        Value::Map(entries) => Ok(entries),
        Value::Null => Err(failure("null where a map is needed")),
        value if !value.is_known() => Err(propagate(&value, "map")),
        _ => Err(failure("not a map")),
    }
}

fn known_deep(node: &Node) -> R<()> {
    match first_unknown(node) {
        Some(value) => Err(propagate(value, "value")),
        None => Ok(()),
    }
}

fn bounded(items: Vec<Node>) -> R<Vec<Node>> {
    if items.len() > MAX_COLLECTION {
        Err(over_limit(TOO_LARGE))
    } else {
        Ok(items)
    }
}

fn flatten(items: Vec<Node>, out: &mut Vec<Node>) -> R<()> {
    for item in items {
        match item.value {
            Value::List(inner) => flatten(inner, out)?,
            // An unknown element might be a list: the result's shape is unknown.
            ref value if !value.is_known() => return Err(propagate(value, "flatten")),
            _ => out.push(item),
        }
        if out.len() > MAX_COLLECTION {
            return Err(over_limit(TOO_LARGE));
        }
    }
    Ok(())
}

/// A set: duplicates removed; known strings in lexical order, as Terraform
/// orders sets of strings.
fn set_of(items: Vec<Node>) -> Vec<Node> {
    let mut out = distinct_nodes(items);
    if out.iter().all(|n| matches!(n.value, Value::String(_))) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    out
}

/// The first of each group of equal known values, in order (unknowns are
/// kept: they may or may not equal another). Linear: values are compared
/// by their JSON text.
fn distinct_nodes(items: Vec<Node>) -> Vec<Node> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| match json_text(item) {
            Some(text) => seen.insert(text),
            None => true,
        })
        .collect()
}

fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for c in text.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '_' && c != '\'';
    }
    out
}

/// Compiled size allowed for a pattern. Validation patterns such as
/// `^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_-]{1,64}$` take a few KiB;
/// a large bounded repetition, which makes matching slow in proportion to
/// its size, is refused: under 1 MiB (the regex crate's old setting here)
/// `(a{1,100}){1,100}b` took 55 s on 2 MB, under 64 KiB the slowest pattern
/// measured took 0.1 s. (The lazy DFA's cache keeps its default: a smaller
/// one falls back to slower matching sooner.)
const MAX_REGEX_BYTES: usize = 64 << 10;

/// Haystack bytes one step pays for when a regex scans them: a scan costs
/// more than a copy (real inputs are names and ARNs well under a KiB).
const REGEX_BYTES_PER_STEP: u64 = 16;

fn regex(pattern: &str) -> R<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => over_limit(format!(
                "a regular expression larger than {} KiB compiled",
                MAX_REGEX_BYTES >> 10
            )),
            e => failure(format!("invalid regular expression: {e}")),
        })
}

/// Pays for scanning `text` with a regex.
fn pay_for_regex(ev: &Evaluator, text: &str, span: Span) -> R<()> {
    if ev.tick(text.len() as u64 / REGEX_BYTES_PER_STEP, span) {
        Ok(())
    } else {
        Err(unknown("evaluation limit"))
    }
}

/// At most how many nodes decoding the JSON `text` makes: one more than its
/// separators and openings outside strings.
fn json_node_bound(text: &str) -> u64 {
    let mut nodes = 1;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        match (in_string, byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') => in_string = false,
            (true, _) => {}
            (false, b'"') => in_string = true,
            (false, b',' | b'[' | b'{') => nodes += 1,
            (false, _) => {}
        }
    }
    nodes
}

/// A match as `regex` returns it: the text without groups, a list of groups,
/// or a map of named groups.
fn captures(pattern: &regex::Regex, captures: &regex::Captures, span: Span) -> Value {
    let text = |m: Option<regex::Match>| match m {
        Some(m) => Node::new(Value::String(m.as_str().to_string()), span),
        None => Node::new(Value::Null, span),
    };
    let names: Vec<Option<&str>> = pattern.capture_names().skip(1).collect();
    if names.is_empty() {
        return Value::String(captures[0].to_string());
    }
    if names.iter().all(Option::is_some) {
        return Value::Map(
            names
                .iter()
                .map(|n| Entry {
                    key: n.unwrap().to_string(),
                    key_span: span,
                    value: text(captures.name(n.unwrap())),
                })
                .collect(),
        );
    }
    Value::List((1..=names.len()).map(|i| text(captures.get(i))).collect())
}

fn from_json(json: &serde_json::Value, span: Span, origins: &[Origin]) -> Node {
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|i| from_json(i, span, origins)).collect())
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Entry {
                    key: k.clone(),
                    key_span: span,
                    value: from_json(v, span, origins),
                })
                .collect(),
        ),
    };
    Node {
        value,
        span,
        origins: origins.to_vec(),
    }
}

/// YAML as Terraform's `yamlencode` writes it: keys sorted, strings quoted.
fn yaml(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            let mut sorted: Vec<&Entry> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            for (i, entry) in sorted.into_iter().enumerate() {
                if i > 0 || !out.ends_with("- ") {
                    out.push_str(&pad);
                }
                out.push_str(&quoted(&entry.key));
                out.push(':');
                yaml_child(&entry.value, indent, out);
            }
        }
        Value::List(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 || !out.ends_with("- ") {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                match &item.value {
                    Value::Map(e) if !e.is_empty() => yaml(item, indent + 2, out),
                    Value::List(l) if !l.is_empty() => yaml(item, indent + 2, out),
                    _ => {
                        out.push_str(&yaml_scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&pad);
            out.push_str(&yaml_scalar(node));
            out.push('\n');
        }
    }
}

fn yaml_child(node: &Node, indent: usize, out: &mut String) {
    match &node.value {
        Value::Map(e) if !e.is_empty() => {
            out.push('\n');
            yaml(node, indent + 2, out);
        }
        Value::List(l) if !l.is_empty() => {
            out.push('\n');
            yaml(node, indent, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_scalar(node));
            out.push('\n');
        }
    }
}

fn yaml_scalar(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) => quoted(s),
        Value::List(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
        Value::Ref(_) | Value::Unknown(_) => "null".into(),
    }
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ----- format ----------------------------------------------------------------

/// Go's `fmt` verbs as Terraform's `format` supports them: `%v %#v %s %q %d
/// %b %o %x %X %e %E %f %g %G %t %%`, with flags, width, precision and
/// `%[n]` argument indexes.
/// `replace` of a literal in a string known only in part, piece by piece.
/// That is exact when no occurrence can run into a hole: then the holes'
/// own occurrences end inside them, and each piece is searched as if alone.
/// An occurrence can run into a hole when a piece before one ends with the
/// start of `search`, or a piece after one starts with the end of it; then,
/// as for a regex search, the result is unknown (`None`).
fn replace_partial(text: &PartialText, search: &str, replacement: &str) -> Option<PartialText> {
    let is_regex = search.len() > 1 && search.starts_with('/') && search.ends_with('/');
    if search.is_empty() || is_regex {
        return None;
    }
    let pieces = text.pieces();
    let hole_at = |i: Option<usize>| {
        i.and_then(|i| pieces.get(i))
            .is_some_and(|p| matches!(p, Piece::Hole(_)))
    };
    let mut out = PartialText::default();
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Hole(at) => out.push_hole(*at),
            Piece::Text(known) => {
                // Proper prefixes and suffixes of `search`, at char boundaries.
                let cuts = || search.char_indices().skip(1).map(|(cut, _)| cut);
                let runs_out =
                    hole_at(Some(i + 1)) && cuts().any(|cut| known.ends_with(&search[..cut]));
                let runs_in = hole_at(i.checked_sub(1))
                    && cuts().any(|cut| known.starts_with(&search[cut..]));
                if runs_out || runs_in {
                    return None;
                }
                out.push_text(&known.replace(search, replacement));
            }
        }
    }
    Some(out)
}

/// Go's `fmt` as Terraform's `format` applies it. An argument known only
/// after apply, printed whole by `%s` or `%v`, leaves a hole in the text;
/// anywhere else (a width, a number) it makes the result unknown.
fn go_format(format: &str, args: &[Node]) -> R<PartialText> {
    // Failures and crossed limits propagate whether printed or not.
    for arg in args {
        if known_deep(arg).is_err() {
            text_hole(arg)?;
        }
    }
    let mut out = PartialText::default();
    let mut chars = format.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push_text(c.encode_utf8(&mut [0; 4]));
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push_text("%");
            continue;
        }
        let (mut minus, mut plus, mut zero, mut sharp, mut space) =
            (false, false, false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => minus = true,
                '+' => plus = true,
                '0' => zero = true,
                '#' => sharp = true,
                ' ' => space = true,
                _ => break,
            }
            chars.next();
        }
        let digits = |chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        if chars.peek() == Some(&'[') {
            chars.next();
            let index = digits(&mut chars).ok_or_else(|| failure("bad argument index"))?;
            if chars.next() != Some(']') || index == 0 {
                return Err(failure("bad argument index"));
            }
            next_arg = index - 1;
        }
        let width = digits(&mut chars).unwrap_or(0).min(1 << 16);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(digits(&mut chars).unwrap_or(0).min(1 << 16))
        } else {
            None
        };
        let verb = chars.next().ok_or_else(|| failure("format ends after %"))?;
        let arg = args
            .get(next_arg)
            .ok_or_else(|| failure("not enough arguments for format"))?;
        next_arg += 1;
        if first_unknown(arg).is_some() {
            if matches!(verb, 's' | 'v') && width == 0 && precision.is_none() {
                out.append(&text_hole(arg)?);
                continue;
            }
            return Err(unknown("format"));
        }
        let numeric = matches!(
            verb,
            'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G'
        );
        let mut text = match verb {
            'v' if sharp => json_text(arg).unwrap_or_default(),
            'v' => match &arg.value {
                Value::List(_) | Value::Map(_) => json_text(arg).unwrap_or_default(),
                Value::Null => "null".into(),
                value => primitive_text(value).unwrap_or_default(),
            },
            's' => {
                let s = string(arg)?;
                match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'q' => quoted(&string(arg)?),
            't' => as_bool(&arg.value)
                .ok_or_else(|| failure("%t needs a bool"))?
                .to_string(),
            'd' | 'b' | 'o' | 'x' | 'X' => {
                let n = integer(arg)?;
                let magnitude = n.unsigned_abs();
                let digits = match verb {
                    'd' => magnitude.to_string(),
                    'b' => format!("{magnitude:b}"),
                    'o' => format!("{magnitude:o}"),
                    'x' => format!("{magnitude:x}"),
                    _ => format!("{magnitude:X}"),
                };
                sign(n < 0, plus, space) + &digits
            }
            'e' | 'E' | 'f' | 'g' | 'G' => {
                let n = number(arg)?;
                let p = precision.unwrap_or(6);
                let body = match verb {
                    'f' => format!("{:.*}", p, n.abs()),
                    'e' => go_exponent(&format!("{:.*e}", p, n.abs())),
                    'E' => go_exponent(&format!("{:.*e}", p, n.abs())).to_uppercase(),
                    _ => match precision {
                        Some(p) => format!("{:.*}", p, n.abs()),
                        None => format_number(n.abs()),
                    },
                };
                sign(n < 0.0, plus, space) + &body
            }
            other => return Err(failure(format!("unsupported format verb %{other}"))),
        };
        let len = text.chars().count();
        if len < width {
            let fill = width - len;
            if minus {
                text.push_str(&" ".repeat(fill));
            } else if zero && numeric {
                let split = usize::from(text.starts_with(['-', '+', ' ']));
                text.insert_str(split, &"0".repeat(fill));
            } else {
                text.insert_str(0, &" ".repeat(fill));
            }
        }
        out.push_text(&text);
        if out.known_len() > MAX_STRING_BYTES {
            return Err(over_limit(TOO_LONG));
        }
    }
    Ok(out)
}

fn sign(negative: bool, plus: bool, space: bool) -> String {
    if negative {
        "-".into()
    } else if plus {
        "+".into()
    } else if space {
        " ".into()
    } else {
        String::new()
    }
}

/// Rust writes `1.5e2`; Go writes `1.5e+02`.
fn go_exponent(text: &str) -> String {
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text.to_string(),
    }
}

// ----- networks --------------------------------------------------------------

/// An address prefix as a number range, for the `cidr*` functions.
struct Net {
    v6: bool,
    /// First address of the prefix.
    start: u128,
    prefix: u32,
}

impl Net {
    fn parse(text: &str) -> R<Net> {
        let net: ipnet::IpNet = text
            .parse()
            .map_err(|_| failure(format!("invalid CIDR `{text}`")))?;
        let (v6, address) = match net.network() {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        Ok(Net {
            v6,
            start: address,
            prefix: u32::from(net.prefix_len()),
        })
    }

    fn bits(&self) -> u32 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    /// The host part of a prefix of `length` bits: the offset of its last
    /// address.
    fn host_mask(&self, length: u32) -> u128 {
        let host_bits = self.bits() - length;
        if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        }
    }

    fn show(&self, address: u128, length: Option<u32>) -> String {
        let ip = if self.v6 {
            IpAddr::from(std::net::Ipv6Addr::from(address))
        } else {
            IpAddr::from(std::net::Ipv4Addr::from(address as u32))
        };
        match length {
            Some(l) => format!("{ip}/{l}"),
            None => ip.to_string(),
        }
    }

    fn subnet(&self, newbits: i64, netnum: i64) -> R<String> {
        let length = self.prefix as i64 + newbits;
        if newbits < 0 || length > self.bits() as i64 {
            return Err(failure("cidrsubnet: not enough address bits"));
        }
        let length = length as u32;
        if netnum < 0 || (newbits < 63 && netnum >= 1i64 << newbits) {
            return Err(failure("cidrsubnet: netnum does not fit"));
        }
        // newbits >= 1 here unless netnum is 0, so the size fits.
        let size = self.host_mask(length).wrapping_add(1);
        Ok(self.show(
            self.start + (netnum as u128).wrapping_mul(size),
            Some(length),
        ))
    }

    fn host(&self, hostnum: i64) -> R<String> {
        let last = self.host_mask(self.prefix);
        let offset = if hostnum >= 0 {
            hostnum as u128
        } else {
            last.checked_sub(hostnum.unsigned_abs() as u128 - 1)
                .ok_or_else(|| failure("cidrhost: host number out of range"))?
        };
        if offset > last {
            return Err(failure("cidrhost: host number out of range"));
        }
        Ok(self.show(self.start + offset, None))
    }

    fn netmask(&self) -> R<String> {
        if self.v6 {
            return Err(failure("cidrnetmask only supports IPv4"));
        }
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        Ok(std::net::Ipv4Addr::from(mask).to_string())
    }

    fn subnets(&self, newbits: &[i64]) -> R<Vec<String>> {
        let last = self.start + self.host_mask(self.prefix);
        let full = || failure("cidrsubnets: not enough space in the prefix");
        // The next free address; `None` once the prefix is used up.
        let mut next = Some(self.start);
        let mut out = Vec::with_capacity(newbits.len());
        for &bits in newbits {
            let length = self.prefix as i64 + bits;
            if bits < 1 || length > self.bits() as i64 {
                return Err(failure("cidrsubnets: not enough address bits"));
            }
            let mask = self.host_mask(length as u32);
            // Each subnet starts at the next boundary of its own size.
            let start = next.ok_or_else(full)?.checked_add(mask).ok_or_else(full)? & !mask;
            let end = start.checked_add(mask).ok_or_else(full)?;
            if end > last {
                return Err(full());
            }
            out.push(self.show(start, Some(length as u32)));
            next = end.checked_add(1);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node {
        Node::new(Value::String(text.into()), Span::default())
    }

    fn num(n: f64) -> Node {
        Node::new(Value::Number(n), Span::default())
    }

    #[test]
    fn go_format_verbs() {
        let f = |fmt: &str, args: &[Node]| go_format(fmt, args).unwrap().display();
        assert_eq!(f("%s/%d", &[s("10.0.0.0"), num(16.0)]), "10.0.0.0/16");
        assert_eq!(
            f("%05d|%-4s|%x", &[num(42.0), s("ab"), num(255.0)]),
            "00042|ab  |ff"
        );
        assert_eq!(
            f(
                "%.2f %q %t %%",
                &[
                    num(1.005),
                    s("a\"b"),
                    Node::new(Value::Bool(true), Span::default())
                ]
            ),
            "1.00 \"a\\\"b\" true %"
        );
        assert_eq!(f("%[2]s-%[1]s", &[s("a"), s("b")]), "b-a");
        assert_eq!(f("%e", &[num(150.0)]), "1.500000e+02");
        assert_eq!(f("%v", &[num(1.5)]), "1.5");
        assert!(go_format("%d", &[s("x")]).is_err());
        assert!(go_format("%s %s", &[s("x")]).is_err());
    }

    #[test]
    fn replace_in_partial_text_is_exact_or_unknown() {
        let mut text = PartialText::default();
        text.push_text("a.b-");
        text.push_hole(None);
        text.push_text("-c.d");
        let replaced =
            |search: &str, with: &str| replace_partial(&text, search, with).map(|t| t.display());
        assert_eq!(replaced(".", "/").as_deref(), Some("a/b-${...}-c/d"));
        assert_eq!(replaced("b", "B").as_deref(), Some("a.B-${...}-c.d"));
        // "-x" may begin at the "-" before the hole; "x-" may end after it.
        assert_eq!(replaced("-x", ""), None);
        assert_eq!(replaced("x-", ""), None);
        assert_eq!(replaced("/./", ""), None, "a regex");
        assert_eq!(replaced("", "x"), None);
    }

    #[test]
    fn go_format_leaves_a_hole_for_an_argument_printed_whole() {
        let later = Node::new(Value::Unknown("email".into()), Span::default());
        let text = go_format("serviceAccount:%s", std::slice::from_ref(&later)).unwrap();
        assert_eq!(text.display(), "serviceAccount:${...}");
        assert!(text.has_holes());
        assert_eq!(text.starts_with("serviceAccount:"), Some(true));
        // Padded, cut or read as a number, its length or value matters.
        for format in ["%20s", "%.3s", "%d"] {
            assert!(go_format(format, std::slice::from_ref(&later)).is_err());
        }
        // A failure is not a hole, printed or not.
        let failed = Node::new(failure("division by zero"), Span::default());
        assert_eq!(
            go_format("%s", &[s("x"), failed]).unwrap_err(),
            failure("division by zero")
        );
    }

    #[test]
    fn cidr_functions_match_terraform() {
        let net = |t: &str| Net::parse(t).unwrap();
        assert_eq!(net("10.1.2.0/24").subnet(4, 15).unwrap(), "10.1.2.240/28");
        assert_eq!(net("172.16.0.0/12").subnet(4, 2).unwrap(), "172.18.0.0/16");
        assert_eq!(
            net("fd00:fd12:3456:7890::/56").subnet(16, 162).unwrap(),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(net("10.12.112.0/20").host(16).unwrap(), "10.12.112.16");
        assert_eq!(net("10.12.112.0/20").host(-2).unwrap(), "10.12.127.254");
        assert_eq!(net("172.16.0.0/12").netmask().unwrap(), "255.240.0.0");
        assert_eq!(
            net("10.1.0.0/16").subnets(&[4, 4, 8, 4]).unwrap(),
            [
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]
        );
        assert!(net("10.0.0.0/30").subnet(2, 3).is_ok());
        assert!(net("10.0.0.0/30").subnet(3, 0).is_err());
        assert!(net("10.0.0.0/24").subnet(2, 4).is_err());
        assert!(Net::parse("nope").is_err());
        // The whole IPv6 space does not overflow.
        assert_eq!(net("::/0").subnets(&[1, 1]).unwrap(), ["::/1", "8000::/1"]);
        assert!(net("::/0").subnets(&[1, 1, 1]).is_err());
        assert_eq!(
            net("::/0").host(-1).unwrap(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        assert_eq!(net("10.0.0.0/24").host(-1).unwrap(), "10.0.0.255");
        assert!(net("10.0.0.0/24").host(256).is_err());
        assert!(net("10.0.0.0/24").host(-257).is_err());
    }

    #[test]
    fn encodings_round_trip() {
        assert_eq!(url_encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
        assert_eq!(title("hello wide-world"), "Hello Wide-World");
        let map = Node::new(
            Value::Map(vec![
                Entry {
                    key: "b".into(),
                    key_span: Span::default(),
                    value: Node::new(Value::List(vec![s("x"), num(1.0)]), Span::default()),
                },
                Entry {
                    key: "a".into(),
                    key_span: Span::default(),
                    value: s("y"),
                },
            ]),
            Span::default(),
        );
        let mut out = String::new();
        yaml(&map, 0, &mut out);
        assert_eq!(out, "\"a\": \"y\"\n\"b\":\n- \"x\"\n- 1\n");
    }
}
