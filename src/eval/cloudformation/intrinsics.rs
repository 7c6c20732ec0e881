//! The pure computations behind some intrinsic functions: `Fn::Sub`
//! templates, `Fn::Cidr`, `Fn::ToJsonString`, and what a region
//! says about its partition.

use crate::value::{Node, Value};

/// A piece of an `Fn::Sub` template.
#[derive(Debug, PartialEq)]
pub(super) enum SubPart<'t> {
    Text(String),
    /// `${Name}`: the name, trimmed.
    Var(&'t str),
}

/// Splits an `Fn::Sub` template into text and `${Name}` variables.
/// `${!Literal}` is the text `${Literal}`; an unclosed `${` is text.
pub(super) fn sub_parts(template: &str) -> Vec<SubPart<'_>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        if let Some(literal) = after.strip_prefix('!') {
            text.push_str("${");
            rest = literal;
            continue;
        }
        match after.find('}') {
            Some(close) => {
                if !text.is_empty() {
                    parts.push(SubPart::Text(std::mem::take(&mut text)));
                }
                parts.push(SubPart::Var(after[..close].trim()));
                rest = &after[close + 1..];
            }
            None => {
                text.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(SubPart::Text(text));
    }
    parts
}

/// Each `${Name}` of a template as it is written in `source` (the template
/// scalar with its quotes or tag): the name and the byte range of the name
/// in `source`, in order. Finds where the unknown parts of a substituted
/// string sit in the file.
pub(super) fn sub_variables(source: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    sub_parts(source)
        .into_iter()
        .filter_map(|part| match part {
            SubPart::Var(name) => {
                // `name` is a slice of `source`: its offset is its place.
                let start = name.as_ptr() as usize - source.as_ptr() as usize;
                Some((name, start..start + name.len()))
            }
            SubPart::Text(_) => None,
        })
        .collect()
}

/// `Fn::Cidr`: the first `count` subnets with `bits` host bits inside
/// `block`; `None` when they do not fit or the arguments are out of range.
pub(super) fn cidr(block: &str, count: usize, bits: u32) -> Option<Vec<String>> {
    let net: ipnet::IpNet = block.trim().parse().ok()?;
    let width = match net {
        ipnet::IpNet::V4(_) => 32,
        ipnet::IpNet::V6(_) => 128,
    };
    if !(1..=256).contains(&count) || bits == 0 || bits > width {
        return None;
    }
    let prefix = u8::try_from(width - bits).ok()?;
    if prefix < net.prefix_len() {
        return None;
    }
    let subnets: Vec<String> = net
        .trunc()
        .subnets(prefix)
        .ok()?
        .take(count)
        .map(|n| n.to_string())
        .collect();
    (subnets.len() == count).then_some(subnets)
}

/// A resolved value as JSON, for `Fn::ToJsonString`; `None` when any part
/// of it is unknown.
pub(super) fn to_json(node: &Node) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => J::from(*n as i64),
        Value::Number(n) => J::from(*n),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) => J::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|e| Some((e.key.clone(), to_json(&e.value)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Ref(_) | Value::Unknown(_) => return None,
    })
}

/// `AWS::Partition` and `AWS::URLSuffix` of a region.
pub(super) fn partition_of(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else if region.starts_with("us-isob-") {
        ("aws-iso-b", "sc2s.sgov.gov")
    } else if region.starts_with("us-iso-") {
        ("aws-iso", "c2s.ic.gov")
    } else {
        ("aws", "amazonaws.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_templates_split_into_text_and_variables() {
        use SubPart::{Text, Var};
        assert_eq!(
            sub_parts("arn:${AWS::Partition}:s3:::${ Bucket }/*"),
            vec![
                Text("arn:".into()),
                Var("AWS::Partition"),
                Text(":s3:::".into()),
                Var("Bucket"),
                Text("/*".into())
            ]
        );
        assert_eq!(
            sub_parts("${!Literal}-${A}"),
            vec![Text("${Literal}-".into()), Var("A")]
        );
        assert_eq!(
            sub_parts("cost $5 ${open"),
            vec![Text("cost $5 ${open".into())]
        );
        assert_eq!(sub_parts(""), vec![]);
        assert_eq!(sub_parts("${A}${B.Arn}"), vec![Var("A"), Var("B.Arn")]);
    }

    #[test]
    fn sub_variables_are_found_where_the_source_names_them() {
        let source = "!Sub '${!Lit} ${ Bucket }/${AWS::Region}'";
        let found = sub_variables(source);
        assert_eq!(
            found.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            ["Bucket", "AWS::Region"]
        );
        for (name, range) in found {
            assert_eq!(&source[range], name);
        }
    }

    #[test]
    fn cidr_carves_subnets_like_cloudformation() {
        assert_eq!(
            cidr("10.0.0.0/16", 3, 8).unwrap(),
            vec!["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
        );
        assert_eq!(
            cidr("192.168.0.0/24", 2, 6).unwrap(),
            vec!["192.168.0.0/26", "192.168.0.64/26"]
        );
        assert_eq!(cidr("2001:db8::/56", 1, 64).unwrap(), vec!["2001:db8::/64"]);
        assert_eq!(cidr("10.0.0.0/24", 5, 6), None, "only four /26 fit");
        assert_eq!(cidr("10.0.0.0/24", 1, 9), None, "larger than the block");
        assert_eq!(cidr("nonsense", 1, 8), None);
    }

    #[test]
    fn to_json_is_compact_and_refuses_unknowns() {
        let doc = crate::parse::yaml::parse_yaml("a: [1, x, true]\nb: {c: 2.5}\n", 0).unwrap();
        assert_eq!(
            to_json(&doc).unwrap().to_string(),
            r#"{"a":[1,"x",true],"b":{"c":2.5}}"#
        );
        let unknown = Node::new(Value::Unknown("x".into()), Default::default());
        assert!(to_json(&unknown).is_none());
    }

    #[test]
    fn partitions_follow_regions() {
        assert_eq!(partition_of("eu-west-1"), ("aws", "amazonaws.com"));
        assert_eq!(partition_of("cn-north-1").0, "aws-cn");
        assert_eq!(partition_of("us-gov-west-1").0, "aws-us-gov");
    }
}
