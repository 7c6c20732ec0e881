//! CloudFormation templates as scan units.
//!
//! A candidate file is filtered cheaply on its text ([`may_be_template`]),
//! parsed (YAML or JSON, short-form tags already in long form), recognised by
//! its shape ([`is_template`]), and each entry of `Resources` becomes a
//! [`Resource`] whose body has had its intrinsic functions resolved as far as
//! they can be before deployment ([`Resolver`]).

use crate::model::{Framework, Resource, Unit, UnitError};
use crate::parse::{json::parse_json, yaml::parse_yaml};
use crate::source::{SourceFile, Span};
use crate::value::{Entry, Node, Reference, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The syntax a candidate template is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

/// Resource type prefixes that mark a `Resources` map as CloudFormation's.
const TYPE_PREFIXES: [&str; 3] = ["AWS::", "Alexa::", "Custom::"];

/// Cheap textual pre-filter, so unrelated YAML/JSON (workflows, k8s
/// manifests, package.json, docker-compose) is never parsed: true when the
/// text contains "AWSTemplateFormatVersion" or "AWS::".
pub fn may_be_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion") || text.contains("AWS::")
}

/// Whether text that failed to parse still looks enough like a template to
/// report its parse error (rather than ignore the file): it names the format
/// version, or it has both resource types and a `Resources` section.
fn looks_like_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || (text.contains("AWS::") && text.contains("Resources"))
}

/// The top level is a map with `AWSTemplateFormatVersion`, or with a
/// `Resources` map in which some entry has a `Type` string starting with
/// `AWS::` (or `Alexa::`, `Custom::`).
pub fn is_template(doc: &Node) -> bool {
    if !matches!(doc.value, Value::Map(_)) {
        return false;
    }
    if doc.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    match doc.get("Resources").map(|r| &r.value) {
        Some(Value::Map(entries)) => entries.iter().any(|e| {
            e.value
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| TYPE_PREFIXES.iter().any(|p| t.starts_with(p)))
        }),
        _ => false,
    }
}

/// What the command line adds to a CloudFormation evaluation.
#[derive(Clone, Debug, Default)]
pub struct CloudFormationOptions {
    /// `--cfn-params FILE`: the CLI's `[{"ParameterKey", "ParameterValue"}]`
    /// list or a plain `{"Key": "Value"}` map; later files win.
    pub parameter_files: Vec<std::path::PathBuf>,
    /// `--cfn-param KEY=VALUE`, in the order given (later win; they beat files).
    pub parameters: Vec<(String, String)>,
}

/// Loads one candidate file (display path, text) as a scan unit.
///
/// Returns `None` when the file is not a CloudFormation template (ignored
/// quietly: wrong shape, or it fails to parse and does not look like a
/// template). Returns a unit with an error and no resources when it looks like
/// a template but cannot be parsed.
pub fn load_template(
    display: String,
    text: Arc<str>,
    syntax: Syntax,
    _options: &CloudFormationOptions,
) -> Option<Unit> {
    if !may_be_template(&text) {
        return None;
    }
    let parsed = match syntax {
        Syntax::Yaml => parse_yaml(&text, 0),
        Syntax::Json => parse_json(&text, 0, 0),
    };
    let mut unit = Unit::default();
    let doc = match parsed {
        Ok(doc) if is_template(&doc) => doc,
        Ok(_) => return None,
        Err(error) if looks_like_template(&text) => {
            unit.files.push(SourceFile::new(display, text));
            unit.errors.push(error);
            return Some(unit);
        }
        Err(_) => return None,
    };
    unit.files.push(SourceFile::new(display, text));
    load_resources(&doc, &mut unit);
    Some(unit)
}

fn load_resources(doc: &Node, unit: &mut Unit) {
    let entries = match doc.get("Resources").map(|r| &r.value) {
        Some(Value::Map(entries)) => entries.as_slice(),
        Some(_) => {
            let key_span = doc.entry("Resources").map(|e| e.key_span);
            unit.errors.push(error(
                key_span,
                "Resources must be a map of logical IDs to resources".into(),
            ));
            return;
        }
        None => &[],
    };
    let resolver = Resolver::new(doc);
    let mut seen = HashSet::new();
    for entry in entries {
        let Some(resource_type) = entry.value.get("Type").and_then(Node::as_str) else {
            unit.errors.push(error(
                Some(entry.key_span),
                format!("resource {} has no Type", entry.key),
            ));
            continue;
        };
        if !seen.insert(entry.key.as_str()) {
            unit.errors.push(error(
                Some(entry.key_span),
                format!("duplicate resource {}", entry.key),
            ));
            continue;
        }
        let body = resolver
            .resolve(entry.value.clone())
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), entry.value.span));
        unit.resources.push(Resource {
            framework: Framework::Cloudformation,
            resource_type: resource_type.to_string(),
            address: entry.key.clone(),
            is_data: false,
            body,
            header: entry.key_span,
        });
    }
}

fn error(span: Option<Span>, message: String) -> UnitError {
    UnitError {
        file: 0,
        span,
        message,
    }
}

/// Resolves intrinsic functions in resource bodies.
///
/// For now: `Ref` to resources (a link), to parameters (their `Default`) and
/// to `AWS::NoValue` (the property is removed); `Fn::GetAtt` (a link); a
/// `Fn::Sub` with nothing to substitute. Everything else is unknown. Parameter
/// files, pseudo parameter values, `Conditions` and the remaining `Fn::*`
/// belong here.
struct Resolver<'d> {
    resources: HashSet<&'d str>,
    parameters: HashMap<&'d str, Parameter<'d>>,
}

struct Parameter<'d> {
    default: Option<&'d Node>,
    /// `CommaDelimitedList` and `List<...>`: `Ref` yields a list.
    is_list: bool,
}

impl<'d> Resolver<'d> {
    fn new(doc: &'d Node) -> Self {
        let resources = match doc.get("Resources").map(|r| &r.value) {
            Some(Value::Map(entries)) => entries.iter().map(|e| e.key.as_str()).collect(),
            _ => HashSet::new(),
        };
        let parameters = match doc.get("Parameters").map(|p| &p.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .map(|e| {
                    let kind = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
                    let parameter = Parameter {
                        default: e.value.get("Default"),
                        is_list: kind == "CommaDelimitedList" || kind.starts_with("List<"),
                    };
                    (e.key.as_str(), parameter)
                })
                .collect(),
            _ => HashMap::new(),
        };
        Resolver {
            resources,
            parameters,
        }
    }

    /// The node with its intrinsics resolved; `None` when it is
    /// `Ref: AWS::NoValue` (the property is absent). Depth is bounded by the
    /// parsers' nesting limit.
    fn resolve(&self, node: Node) -> Option<Node> {
        let span = node.span;
        match node.value {
            Value::Map(entries) if entries.len() == 1 && is_intrinsic(&entries[0]) => {
                let entry = entries.into_iter().next().expect("one entry");
                self.intrinsic(entry, span)
            }
            Value::Map(entries) => {
                let entries = entries
                    .into_iter()
                    .filter_map(|e| {
                        let value = self.resolve(e.value)?;
                        Some(Entry { value, ..e })
                    })
                    .collect();
                Some(Node::new(Value::Map(entries), span))
            }
            Value::List(items) => {
                let items = items.into_iter().filter_map(|n| self.resolve(n)).collect();
                Some(Node::new(Value::List(items), span))
            }
            value => Some(Node::new(value, span)),
        }
    }

    /// One intrinsic function call; the result takes the call's span.
    fn intrinsic(&self, call: Entry, span: Span) -> Option<Node> {
        let value = match call.key.as_str() {
            "Ref" => match call.value.as_str() {
                Some("AWS::NoValue") => return None,
                Some(name) => return Some(self.reference(name, span)),
                None => Value::Unknown("Ref".into()),
            },
            "Fn::GetAtt" => match get_att(&call.value) {
                Some((target, attribute)) => Value::Ref(Reference {
                    target,
                    attribute: Some(attribute),
                }),
                None => Value::Unknown("Fn::GetAtt".into()),
            },
            "Fn::Sub" => match call.value.as_str() {
                Some(text) if !text.contains("${") => Value::String(text.to_string()),
                _ => Value::Unknown("Fn::Sub".into()),
            },
            other => Value::Unknown(other.to_string()),
        };
        Some(Node::new(value, span))
    }

    /// `Ref` to a resource (a link), a parameter with a default (the
    /// default, as deployed without overrides), or anything else (unknown).
    fn reference(&self, name: &str, span: Span) -> Node {
        if self.resources.contains(name) {
            return Node::new(
                Value::Ref(Reference {
                    target: name.to_string(),
                    attribute: None,
                }),
                span,
            );
        }
        match self.parameters.get(name) {
            Some(Parameter {
                default: Some(default),
                is_list,
            }) => {
                let mut value = (*default).clone();
                if let (true, Value::String(text)) = (*is_list, &value.value) {
                    let items = text
                        .split(',')
                        .map(|item| Node::new(Value::String(item.trim().to_string()), span))
                        .collect();
                    value.value = Value::List(items);
                }
                value.span = span;
                value
            }
            _ => Node::new(Value::Unknown(format!("parameter {name}")), span),
        }
    }
}

/// A single-key map that is an intrinsic function call. `Condition` counts
/// only with a condition name, so a property named `Condition` holding a map
/// is left alone.
fn is_intrinsic(entry: &Entry) -> bool {
    match entry.key.as_str() {
        "Ref" => true,
        "Condition" => entry.value.as_str().is_some(),
        key => key.starts_with("Fn::"),
    }
}

/// The `(resource, attribute)` of `Fn::GetAtt`: `[A, B]` or `"A.B"`.
fn get_att(args: &Node) -> Option<(String, String)> {
    match &args.value {
        Value::List(items) => match items.as_slice() {
            [a, b] => Some((a.as_str()?.to_string(), b.as_str()?.to_string())),
            _ => None,
        },
        Value::String(text) => {
            let (a, b) = text.split_once('.')?;
            Some((a.to_string(), b.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LineCol;
    use crate::value::Path;

    fn load(text: &str, syntax: Syntax) -> Option<Unit> {
        load_template(
            "t".into(),
            text.into(),
            syntax,
            &CloudFormationOptions::default(),
        )
    }

    fn at<'u>(unit: &'u Unit, address: &str, path: &str) -> &'u Node {
        let resource = unit
            .resource(address)
            .unwrap_or_else(|| panic!("no resource {address}"));
        let found = resource.body.lookup(&Path::parse(path).unwrap());
        found
            .nodes
            .first()
            .or(found.unknown.first())
            .copied()
            .unwrap_or_else(|| panic!("nothing at {address}.{path}"))
    }

    fn line_of(unit: &Unit, span: Span) -> usize {
        unit.files[0].line_col(span.start).line
    }

    const YAML: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Ünïcode before the values
Parameters:
  Cidr:
    Type: String
    Default: 0.0.0.0/0
  Env:
    Type: String
  Subnets:
    Type: CommaDelimitedList
    Default: "subnet-a, subnet-b"
Resources:
  Logs:
    Type: AWS::S3::Bucket
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Env}-data"
      Plain: !Sub static-name
      LoggingConfiguration:
        DestinationBucketName: !Ref Logs
        LogFilePrefix: !Ref AWS::NoValue
      Tags:
        - Key: env
          Value: !Ref Env
        - !Ref AWS::NoValue
        - Key: region
          Value: !Ref AWS::Region
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - CidrIp: !Ref Cidr
          FromPort: 22
          ToPort: 22
          IpProtocol: tcp
      SubnetIds: !Ref Subnets
      Arn: !GetAtt Bucket.Arn
      Other: !GetAtt [Logs, DomainName]
      Joined: !Join ["", [a, b]]
"#;

    #[test]
    fn yaml_template_with_short_form_tags() {
        let unit = load(YAML, Syntax::Yaml).expect("a template");
        assert!(unit.errors.is_empty(), "{:?}", unit.errors);
        assert_eq!(unit.files.len(), 1);
        let addresses: Vec<_> = unit.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, vec!["Logs", "Bucket", "Group"]);
        let bucket = unit.resource("Bucket").unwrap();
        assert_eq!(bucket.resource_type, "AWS::S3::Bucket");
        assert_eq!(bucket.framework, Framework::Cloudformation);
        assert!(!bucket.is_data);
        assert_eq!(unit.files[0].slice(bucket.header), "Bucket");
        assert_eq!(line_of(&unit, bucket.header), 15);
        assert_eq!(
            unit.resource("Group").unwrap().resource_type,
            "AWS::EC2::SecurityGroup"
        );

        // Ref to a resource links it, with the span of the call.
        let dest = at(
            &unit,
            "Bucket",
            "Properties.LoggingConfiguration.DestinationBucketName",
        );
        assert_eq!(
            dest.value,
            Value::Ref(Reference {
                target: "Logs".into(),
                attribute: None
            })
        );
        assert_eq!(unit.files[0].slice(dest.span), "!Ref Logs");

        // NoValue removes the map entry and the list element.
        let logging = at(&unit, "Bucket", "Properties.LoggingConfiguration");
        assert!(logging.get("LogFilePrefix").is_none());
        assert!(logging.get("DestinationBucketName").is_some());
        let Value::List(tags) = &at(&unit, "Bucket", "Properties.Tags").value else {
            panic!("tags")
        };
        assert_eq!(tags.len(), 2);

        // Parameters without a default and pseudo parameters are unknown.
        assert_eq!(
            tags[0].get("Value").unwrap().value,
            Value::Unknown("parameter Env".into())
        );
        assert_eq!(
            tags[1].get("Value").unwrap().value,
            Value::Unknown("parameter AWS::Region".into())
        );

        // Fn::Sub: literal text is known; substitutions are not.
        assert_eq!(
            at(&unit, "Bucket", "Properties.Plain").value,
            Value::String("static-name".into())
        );
        assert_eq!(
            at(&unit, "Bucket", "Properties.BucketName").value,
            Value::Unknown("Fn::Sub".into())
        );

        // A parameter default is the deployed value, at the Ref's span.
        let cidr = at(&unit, "Group", "Properties.SecurityGroupIngress[0].CidrIp");
        assert_eq!(cidr.value, Value::String("0.0.0.0/0".into()));
        assert_eq!(unit.files[0].slice(cidr.span), "!Ref Cidr");
        assert_eq!(
            at(
                &unit,
                "Group",
                "Properties.SecurityGroupIngress[0].FromPort"
            )
            .value,
            Value::Number(22.0)
        );
        let Value::List(subnets) = &at(&unit, "Group", "Properties.SubnetIds").value else {
            panic!("subnets")
        };
        assert_eq!(
            subnets
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect::<Vec<_>>(),
            vec!["subnet-a", "subnet-b"]
        );

        // GetAtt in both forms.
        assert_eq!(
            at(&unit, "Group", "Properties.Arn").value,
            Value::Ref(Reference {
                target: "Bucket".into(),
                attribute: Some("Arn".into())
            })
        );
        assert_eq!(
            at(&unit, "Group", "Properties.Other").value,
            Value::Ref(Reference {
                target: "Logs".into(),
                attribute: Some("DomainName".into())
            })
        );
        let joined = at(&unit, "Group", "Properties.Joined");
        assert_eq!(joined.value, Value::Unknown("Fn::Join".into()));
        assert_eq!(unit.files[0].slice(joined.span), "!Join [\"\", [a, b]]");
    }

    #[test]
    fn json_template() {
        let text = r#"{
  "Parameters": {"Port": {"Type": "Number", "Default": 3389}},
  "Resources": {
    "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/"}},
    "Profile": {
      "Type": "AWS::IAM::InstanceProfile",
      "Condition": "IsProd",
      "Properties": {
        "Roles": [{"Ref": "Role"}, {"Ref": "AWS::NoValue"}],
        "Arn": {"Fn::GetAtt": ["Role", "Arn"]},
        "Port": {"Ref": "Port"},
        "Name": {"Fn::If": ["IsProd", "a", "b"]},
        "Policy": {"Condition": {"Bool": {"aws:SecureTransport": "false"}}}
      }
    }
  }
}"#;
        let unit = load(text, Syntax::Json).expect("a template");
        assert!(unit.errors.is_empty(), "{:?}", unit.errors);
        let profile = unit.resource("Profile").unwrap();
        assert_eq!(profile.resource_type, "AWS::IAM::InstanceProfile");
        assert_eq!(unit.files[0].slice(profile.header), "\"Profile\"");
        assert_eq!(
            profile.body.get("Condition").unwrap().as_str(),
            Some("IsProd")
        );
        let Value::List(roles) = &at(&unit, "Profile", "Properties.Roles").value else {
            panic!("roles")
        };
        assert_eq!(roles.len(), 1);
        assert_eq!(
            roles[0].value,
            Value::Ref(Reference {
                target: "Role".into(),
                attribute: None
            })
        );
        assert_eq!(unit.files[0].slice(roles[0].span), r#"{"Ref": "Role"}"#);
        assert_eq!(
            at(&unit, "Profile", "Properties.Arn").value,
            Value::Ref(Reference {
                target: "Role".into(),
                attribute: Some("Arn".into())
            })
        );
        assert_eq!(
            at(&unit, "Profile", "Properties.Port").value,
            Value::Number(3389.0)
        );
        assert_eq!(
            at(&unit, "Profile", "Properties.Name").value,
            Value::Unknown("Fn::If".into())
        );
        // A property named Condition holding a map is not an intrinsic.
        let policy = at(&unit, "Profile", "Properties.Policy.Condition.Bool");
        assert_eq!(
            policy.get("aws:SecureTransport").unwrap().as_str(),
            Some("false")
        );
    }

    #[test]
    fn resources_without_type_are_errors() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Good:\n    Type: AWS::SNS::Topic\n  Bad:\n    Properties: {}\n";
        let unit = load(text, Syntax::Yaml).unwrap();
        assert_eq!(unit.resources.len(), 1);
        assert_eq!(unit.errors.len(), 1);
        assert_eq!(unit.errors[0].message, "resource Bad has no Type");
        assert_eq!(line_of(&unit, unit.errors[0].span.unwrap()), 5);
    }

    #[test]
    fn template_shape_is_recognised() {
        let by_resources = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n";
        assert!(load(by_resources, Syntax::Yaml).is_some());
        let custom = parse_yaml("Resources:\n  T:\n    Type: Custom::Thing\n", 0).unwrap();
        assert!(is_template(&custom));
        let other = parse_yaml("Resources:\n  T:\n    Type: Something\n", 0).unwrap();
        assert!(!is_template(&other));
        assert!(!is_template(&parse_yaml("- AWS::S3::Bucket\n", 0).unwrap()));
        assert!(may_be_template("x: AWS::S3::Bucket"));
        assert!(!may_be_template("name: CI\non: push\n"));
    }

    #[test]
    fn unrelated_files_are_ignored() {
        let workflow = "name: CI\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: aws cloudformation deploy --template-file t.yaml # AWS::S3::Bucket\n";
        assert!(load(workflow, Syntax::Yaml).is_none());
        let k8s = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    note: \"AWS::S3::Bucket\"\ndata:\n  key: value\n---\napiVersion: apps/v1\nkind: Deployment\n";
        assert!(load(k8s, Syntax::Yaml).is_none());
        let package = r#"{"name": "x", "version": "1.0.0", "scripts": {"test": "jest"}, "description": "AWS::CDK helper"}"#;
        assert!(load(package, Syntax::Json).is_none());
        let compose = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n";
        assert!(load(compose, Syntax::Yaml).is_none());
        // Helm-style text that is not valid YAML and does not look like a template.
        let helm = "metadata:\n  name: {{ .Values.name }\n  note: AWS::S3\n";
        assert!(load(helm, Syntax::Yaml).is_none());
    }

    #[test]
    fn broken_template_is_a_unit_with_one_error() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: [a, b\n  Other:\n    Type: AWS::SNS::Topic\n";
        let unit = load(text, Syntax::Yaml).expect("reported as a template");
        assert!(unit.resources.is_empty());
        assert_eq!(unit.errors.len(), 1);
        let span = unit.errors[0].span.expect("a position");
        let LineCol { line, .. } = unit.files[0].line_col(span.start);
        assert_eq!(line, 6, "{}", unit.errors[0].message);

        let json = "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\n    \"B\": {\"Type\": \"AWS::S3::Bucket\",}\n  }\n}\n";
        let unit = load(json, Syntax::Json).expect("reported as a template");
        assert_eq!(unit.errors.len(), 1);
        assert_eq!(
            unit.files[0]
                .line_col(unit.errors[0].span.unwrap().start)
                .line,
            4
        );
        assert_eq!(unit.files[0].display, "t");
    }

    #[test]
    fn aliases_make_a_template_unit_with_an_error() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: &p {TopicName: x}\n  B:\n    Type: AWS::SNS::Topic\n    Properties: *p\n";
        let unit = load(text, Syntax::Yaml).unwrap();
        assert_eq!(unit.errors.len(), 1);
        assert!(unit.errors[0].message.contains("aliases"));
        assert_eq!(line_of(&unit, unit.errors[0].span.unwrap()), 8);
    }
}
