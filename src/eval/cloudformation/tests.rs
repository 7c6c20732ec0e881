//! Loading templates and evaluating them as CloudFormation would: one test
//! per mechanism, on small templates.

use super::*;
use crate::source::LineCol;
use crate::value::{Path, Reference};

fn load(text: &str, syntax: Syntax) -> Option<Unit> {
    load_with(text, syntax, &CloudFormationOptions::default())
}

fn load_with(text: &str, syntax: Syntax, options: &CloudFormationOptions) -> Option<Unit> {
    load_template("t".into(), text.into(), syntax, options)
}

/// A YAML template that must load without errors.
fn clean(text: &str) -> Unit {
    let unit = load(text, Syntax::Yaml).expect("a template");
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    unit
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

fn absent(unit: &Unit, address: &str, path: &str) -> bool {
    let resource = unit.resource(address).unwrap();
    resource
        .body
        .lookup(&Path::parse(path).unwrap())
        .is_absent()
}

fn line_of(unit: &Unit, span: Span) -> usize {
    unit.files[span.file as usize].line_col(span.start).line
}

fn slice(unit: &Unit, span: Span) -> &str {
    unit.files[span.file as usize].slice(span)
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn strings(node: &Node) -> Vec<String> {
    match &node.value {
        Value::List(items) => items.iter().map(|i| i.value.display()).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

/// The known text of a string known in part, `${...}` for each hole.
fn known_text(value: &Value) -> Option<String> {
    value.partial_text().map(|t| t.display())
}

/// The source text where each hole of a string known in part was written.
fn hole_places(unit: &Unit, value: &Value) -> Vec<Option<String>> {
    value
        .partial_text()
        .expect("a string known in part")
        .pieces()
        .iter()
        .filter_map(|piece| match piece {
            crate::value::Piece::Hole(at) => Some(at.map(|at| slice(unit, at).to_string())),
            crate::value::Piece::Text(_) => None,
        })
        .collect()
}

fn reference(target: &str, attribute: Option<&str>) -> Value {
    Value::Ref(Reference {
        target: target.into(),
        attribute: attribute.map(str::to_string),
    })
}

/// (label, source text, line) of each origin of a node.
fn origins(unit: &Unit, node: &Node) -> Vec<(String, String, usize)> {
    node.origins
        .iter()
        .map(|o| {
            (
                o.label.clone(),
                slice(unit, o.span).to_string(),
                line_of(unit, o.span),
            )
        })
        .collect()
}

/// The template with `body` as the properties of resource `R` (an SNS
/// topic), after `head` (Parameters, Mappings, Conditions).
fn template(head: &str, body: &str) -> String {
    format!(
        "AWSTemplateFormatVersion: '2010-09-09'\n{head}Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n{body}"
    )
}

fn prop(unit: &Unit, name: &str) -> Value {
    at(unit, "R", &format!("Properties.{name}")).value.clone()
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
    let unit = clean(YAML);
    assert_eq!(unit.files.len(), 1);
    let addresses: Vec<_> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, vec!["Logs", "Bucket", "Group"]);
    let bucket = unit.resource("Bucket").unwrap();
    assert_eq!(bucket.resource_type, "AWS::S3::Bucket");
    assert_eq!(bucket.framework, Framework::Cloudformation);
    assert!(!bucket.is_data);
    assert_eq!(unit.files[0].slice(bucket.header), "Bucket");
    assert_eq!(line_of(&unit, bucket.header), 15);

    // Ref to a resource links it, with the span of the call.
    let dest = at(
        &unit,
        "Bucket",
        "Properties.LoggingConfiguration.DestinationBucketName",
    );
    assert_eq!(dest.value, reference("Logs", None));
    assert_eq!(slice(&unit, dest.span), "!Ref Logs");

    // NoValue removes the map entry and the list element.
    let logging = at(&unit, "Bucket", "Properties.LoggingConfiguration");
    assert!(logging.get("LogFilePrefix").is_none());
    let Value::List(tags) = &at(&unit, "Bucket", "Properties.Tags").value else {
        panic!("tags")
    };
    assert_eq!(tags.len(), 2);

    // Parameters without a value and pseudo parameters are unknown.
    assert_eq!(
        tags[0].get("Value").unwrap().value,
        Value::Unknown("parameter Env".into())
    );
    assert_eq!(
        tags[1].get("Value").unwrap().value,
        Value::Unknown("pseudo parameter AWS::Region".into())
    );

    // Fn::Sub: literal text is known; around an unknown substitution only
    // the text is.
    assert_eq!(
        at(&unit, "Bucket", "Properties.Plain").value,
        s("static-name")
    );
    let name = &at(&unit, "Bucket", "Properties.BucketName").value;
    assert!(!name.is_known());
    assert_eq!(known_text(name).as_deref(), Some("${...}-data"));

    // A parameter default is the deployed value, at the Ref's span.
    let cidr = at(&unit, "Group", "Properties.SecurityGroupIngress[0].CidrIp");
    assert_eq!(cidr.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr.span), "!Ref Cidr");
    assert_eq!(
        origins(&unit, cidr),
        vec![("default of parameter `Cidr`".into(), "0.0.0.0/0".into(), 6)]
    );
    assert_eq!(
        strings(at(&unit, "Group", "Properties.SubnetIds")),
        vec!["subnet-a", "subnet-b"]
    );

    // GetAtt in both forms.
    assert_eq!(
        at(&unit, "Group", "Properties.Arn").value,
        reference("Bucket", Some("Arn"))
    );
    assert_eq!(
        at(&unit, "Group", "Properties.Other").value,
        reference("Logs", Some("DomainName"))
    );
    let joined = at(&unit, "Group", "Properties.Joined");
    assert_eq!(joined.value, s("ab"));
    assert_eq!(slice(&unit, joined.span), "!Join [\"\", [a, b]]");
}

#[test]
fn json_template() {
    let text = r#"{
  "Parameters": {"Port": {"Type": "Number", "Default": 3389}},
  "Conditions": {"IsProd": {"Fn::Equals": ["prod", "prod"]}},
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
    assert_eq!(roles[0].value, reference("Role", None));
    assert_eq!(unit.files[0].slice(roles[0].span), r#"{"Ref": "Role"}"#);
    assert_eq!(
        at(&unit, "Profile", "Properties.Arn").value,
        reference("Role", Some("Arn"))
    );
    assert_eq!(
        at(&unit, "Profile", "Properties.Port").value,
        Value::Number(3389.0)
    );
    let name = at(&unit, "Profile", "Properties.Name");
    assert_eq!(name.value, s("a"));
    assert_eq!(
        origins(&unit, name),
        vec![(
            "true branch of `Fn::If` on condition `IsProd`".into(),
            "\"a\"".into(),
            13
        )]
    );
    // A property named Condition holding a map is not an intrinsic.
    let policy = at(&unit, "Profile", "Properties.Policy.Condition.Bool");
    assert_eq!(
        policy.get("aws:SecureTransport").unwrap().as_str(),
        Some("false")
    );
}

// ----- Parameters ---------------------------------------------------------------

const PARAMETERS: &str = "Parameters:
  Port:
    Type: Number
    Default: '22'
  Name:
    Type: String
    Default: 42
    NoEcho: true
    AllowedValues: [41, 43]
  Cidrs:
    Type: CommaDelimitedList
    Default: 10.0.0.0/8,0.0.0.0/0
  Ids:
    Type: List<AWS::EC2::Subnet::Id>
    Default: subnet-1
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami
  Secret:
    Type: String
    Default: '{{resolve:ssm:/app/secret}}'
  Open:
    Type: String
";

#[test]
fn parameter_values_are_typed_by_their_type() {
    let unit = clean(&template(
        PARAMETERS,
        "      Port: !Ref Port\n      Name: !Ref Name\n      Cidrs: !Ref Cidrs\n      Ids: !Ref Ids\n      Ami: !Ref Ami\n      Secret: !Ref Secret\n      Open: !Ref Open\n      Literal: '{{resolve:secretsmanager:s}}'\n",
    ));
    assert_eq!(prop(&unit, "Port"), Value::Number(22.0));
    // A number written as a String parameter's default is text; NoEcho and
    // AllowedValues change nothing.
    assert_eq!(prop(&unit, "Name"), s("42"));
    assert_eq!(
        strings(at(&unit, "R", "Properties.Cidrs")),
        vec!["10.0.0.0/8", "0.0.0.0/0"]
    );
    assert_eq!(strings(at(&unit, "R", "Properties.Ids")), vec!["subnet-1"]);
    // SSM parameter types and dynamic references are read at deploy.
    assert!(matches!(prop(&unit, "Ami"), Value::Unknown(r) if r.reason.contains("SSM")));
    assert!(matches!(prop(&unit, "Secret"), Value::Unknown(r) if r.reason.contains("dynamic")));
    assert!(matches!(prop(&unit, "Literal"), Value::Unknown(r) if r.reason.contains("dynamic")));
    assert_eq!(prop(&unit, "Open"), Value::Unknown("parameter Open".into()));
    // List elements carry the provenance of the default.
    let Value::List(cidrs) = &at(&unit, "R", "Properties.Cidrs").value else {
        panic!()
    };
    assert_eq!(
        origins(&unit, &cidrs[1])[0].0,
        "default of parameter `Cidrs`"
    );
    assert_eq!(slice(&unit, cidrs[1].span), "!Ref Cidrs");
}

#[test]
fn command_line_values_beat_defaults() {
    let options = CloudFormationOptions {
        parameters: vec![
            ("Port".into(), "3389".into()),
            ("Open".into(), "0.0.0.0/0".into()),
            ("Cidrs".into(), "1.1.1.1/32, ::/0".into()),
            ("Port".into(), "5432".into()),
        ],
        ..Default::default()
    };
    let text = template(
        PARAMETERS,
        "      Port: !Ref Port\n      Open: !Ref Open\n      Cidrs: !Ref Cidrs\n",
    );
    let unit = load_with(&text, Syntax::Yaml, &options).unwrap();
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    assert_eq!(
        prop(&unit, "Port"),
        Value::Number(5432.0),
        "the last one wins"
    );
    let open = at(&unit, "R", "Properties.Open");
    assert_eq!(open.value, s("0.0.0.0/0"));
    assert_eq!(
        origins(&unit, open),
        vec![(
            "parameter `Open` set with --cfn-param".into(),
            "Open".into(),
            23
        )]
    );
    assert_eq!(
        strings(at(&unit, "R", "Properties.Cidrs")),
        vec!["1.1.1.1/32", "::/0"]
    );
}

#[test]
fn a_number_parameter_that_is_not_a_number_is_an_error() {
    let options = CloudFormationOptions {
        parameters: vec![("Port".into(), "ssh".into())],
        ..Default::default()
    };
    let text = template(PARAMETERS, "      Port: !Ref Port\n");
    let unit = load_with(&text, Syntax::Yaml, &options).unwrap();
    assert_eq!(unit.errors.len(), 1);
    assert!(unit.errors[0].message.contains("not a number"));
    assert!(!prop(&unit, "Port").is_known());
}

#[test]
fn pseudo_parameters_are_unknown_unless_given() {
    let body = "      Region: !Ref AWS::Region\n      Partition: !Ref AWS::Partition\n      Suffix: !Ref AWS::URLSuffix\n      Account: !Ref AWS::AccountId\n      Arns: !Ref AWS::NotificationARNs\n      Arn: !Sub 'arn:${AWS::Partition}:s3:::x-${AWS::Region}'\n";
    let unit = clean(&template("", body));
    for name in ["Region", "Partition", "Suffix", "Account", "Arns", "Arn"] {
        assert!(!prop(&unit, name).is_known(), "{name}");
    }
    let options = CloudFormationOptions {
        parameters: vec![
            ("AWS::Region".into(), "cn-north-1".into()),
            ("AWS::NotificationARNs".into(), "arn:a,arn:b".into()),
        ],
        ..Default::default()
    };
    let unit = load_with(&template("", body), Syntax::Yaml, &options).unwrap();
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    assert_eq!(prop(&unit, "Region"), s("cn-north-1"));
    assert_eq!(prop(&unit, "Partition"), s("aws-cn"));
    assert_eq!(prop(&unit, "Suffix"), s("amazonaws.com.cn"));
    assert!(!prop(&unit, "Account").is_known());
    assert_eq!(
        strings(at(&unit, "R", "Properties.Arns")),
        vec!["arn:a", "arn:b"]
    );
    let arn = at(&unit, "R", "Properties.Arn");
    assert_eq!(arn.value, s("arn:aws-cn:s3:::x-cn-north-1"));
    // Given on the command line, declared nowhere: the origin is the use.
    assert_eq!(
        origins(&unit, arn)[0].0,
        "`AWS::Partition` of region `cn-north-1`"
    );
}

// ----- Intrinsic functions ---------------------------------------------------------

#[test]
fn sub_substitutes_parameters_pseudo_parameters_variables_and_escapes() {
    let head = "Parameters:\n  Prefix:\n    Type: String\n    Default: '0.0.0.0'\n  Open:\n    Type: String\n";
    let body = "      A: !Sub '${Prefix}/0'\n      B: !Sub ['${Net}/${Bits}', {Net: !Ref Prefix, Bits: 0}]\n      C: !Sub '${!Literal}-${Prefix}'\n      D: !Sub '${R.Arn}/*'\n      E: !Sub '${R}'\n      F: !Sub '${Open}/0'\n      G:\n        Fn::Sub: 'x-${AWS::StackName}'\n";
    let unit = clean(&template(head, body));
    let a = at(&unit, "R", "Properties.A");
    assert_eq!(a.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, a.span), "!Sub '${Prefix}/0'");
    assert_eq!(
        origins(&unit, a),
        vec![(
            "default of parameter `Prefix`".into(),
            "'0.0.0.0'".into(),
            5
        )]
    );
    assert_eq!(prop(&unit, "B"), s("0.0.0.0/0"));
    assert_eq!(prop(&unit, "C"), s("${Literal}-0.0.0.0"));
    // A resource attribute is known only after deploy; a lone resource is a link.
    assert_eq!(prop(&unit, "E"), reference("R", None));
    // Around what is known only at deploy (an attribute, a parameter without
    // a value, a pseudo parameter) the text stays known, each hole at the
    // name that made it.
    for (name, text, place) in [
        ("D", "${...}/*", "R.Arn"),
        ("F", "${...}/0", "Open"),
        ("G", "x-${...}", "AWS::StackName"),
    ] {
        let value = prop(&unit, name);
        assert!(!value.is_known(), "{name}");
        assert_eq!(known_text(&value).as_deref(), Some(text), "{name}");
        assert_eq!(hole_places(&unit, &value), [Some(place.to_string())]);
    }
}

#[test]
fn sub_keeps_known_text_around_unknown_variables() {
    let head = "Parameters:\n  Open:\n    Type: String\n";
    let body = "      Map: !Sub ['${Net}/${Bits}', {Net: !Ref Open, Bits: 0}]\n      Escaped: !Sub '${!Literal}-${AWS::Region}'\n      Nested: !Sub ['${A}/*', {A: !Join ['', ['arn-', !Ref Open]]}]\n      Spaced: !Sub 'arn:${ AWS::Partition }:s3:::${R}/*'\n      Lone: !Sub '${Open}'\n      Long:\n        Fn::Sub:\n          - 'a-${X}-b'\n          - X: !GetAtt R.TopicName\n      NotText: !Sub ['${L}-x', {L: [a, b]}]\n";
    let unit = clean(&template(head, body));
    let value = prop(&unit, "Map");
    assert_eq!(known_text(&value).as_deref(), Some("${...}/0"));
    assert_eq!(hole_places(&unit, &value), [Some("Net".to_string())]);
    // `${!Literal}` is text, not a hole (the pieces tell them apart).
    let value = prop(&unit, "Escaped");
    let pieces = value.partial_text().unwrap().pieces();
    assert_eq!(
        pieces[0],
        crate::value::Piece::Text("${Literal}-".into()),
        "{pieces:?}"
    );
    assert_eq!(pieces.len(), 2);
    // A variable known in part brings its own known text and holes.
    assert_eq!(
        known_text(&prop(&unit, "Nested")).as_deref(),
        Some("arn-${...}/*")
    );
    let value = prop(&unit, "Spaced");
    assert_eq!(
        known_text(&value).as_deref(),
        Some("arn:${...}:s3:::${...}/*")
    );
    assert_eq!(
        hole_places(&unit, &value),
        [Some("AWS::Partition".to_string()), Some("R".to_string())]
    );
    assert_eq!(known_text(&prop(&unit, "Lone")).as_deref(), Some("${...}"));
    assert_eq!(
        known_text(&prop(&unit, "Long")).as_deref(),
        Some("a-${...}-b")
    );
    // A list is not text: CloudFormation rejects it, nothing is known.
    assert_eq!(prop(&unit, "NotText"), Value::Unknown("Fn::Sub".into()));
}

#[test]
fn sub_in_a_json_template_finds_its_holes_in_the_escaped_string() {
    let text = r#"{"Parameters": {"Open": {"Type": "String"}}, "Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"A": {"Fn::Sub": "arn:aws:s3:::${Open}/*"}}}}}"#;
    let unit = load(text, Syntax::Json).unwrap();
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    let value = prop(&unit, "A");
    assert_eq!(known_text(&value).as_deref(), Some("arn:aws:s3:::${...}/*"));
    assert_eq!(hole_places(&unit, &value), [Some("Open".to_string())]);
}

#[test]
fn join_select_split_and_length() {
    let head = "Parameters:\n  Cidrs:\n    Type: CommaDelimitedList\n    Default: 10.0.0.0/8,0.0.0.0/0\n  Open:\n    Type: String\n  Index:\n    Type: Number\n    Default: 1\n";
    let body = "      Joined: !Join ['/', ['0.0.0.0', 0]]\n      JoinedList: !Join [',', !Ref Cidrs]\n      Partial: !Join ['', [a, !Ref Open]]\n      Picked: !Select [!Ref Index, !Ref Cidrs]\n      PickedKnown: !Select [1, [!Ref Open, '::/0']]\n      PickedLink: !Select [0, [!Ref R]]\n      PickedUnknown: !Select [0, [!Ref Open, x]]\n      Split: !Split [',', 'a,b,c']\n      SplitPick: !Select [2, !Split ['.', 'a.b.0.0.0.0/0']]\n      Length: !Length [a, b, c]\n      LengthParam: !Length\n        Ref: Cidrs\n";
    let unit = clean(&template(head, body));
    assert_eq!(prop(&unit, "Joined"), s("0.0.0.0/0"));
    assert_eq!(prop(&unit, "JoinedList"), s("10.0.0.0/8,0.0.0.0/0"));
    // An unknown element leaves a hole where it is written; the rest is known.
    let partial = prop(&unit, "Partial");
    assert!(!partial.is_known());
    assert_eq!(known_text(&partial).as_deref(), Some("a${...}"));
    assert_eq!(
        hole_places(&unit, &partial),
        [Some("!Ref Open".to_string())]
    );
    let picked = at(&unit, "R", "Properties.Picked");
    assert_eq!(picked.value, s("0.0.0.0/0"));
    assert_eq!(
        slice(&unit, picked.span),
        "!Select [!Ref Index, !Ref Cidrs]"
    );
    assert_eq!(origins(&unit, picked)[0].0, "default of parameter `Cidrs`");
    assert_eq!(prop(&unit, "PickedKnown"), s("::/0"));
    assert_eq!(prop(&unit, "PickedLink"), reference("R", None));
    assert_eq!(
        prop(&unit, "PickedUnknown"),
        Value::Unknown("parameter Open".into())
    );
    assert_eq!(
        strings(at(&unit, "R", "Properties.Split")),
        vec!["a", "b", "c"]
    );
    assert_eq!(prop(&unit, "SplitPick"), s("0"));
    assert_eq!(prop(&unit, "Length"), Value::Number(3.0));
    assert_eq!(prop(&unit, "LengthParam"), Value::Number(2.0));
}

#[test]
fn join_select_and_split_over_text_known_in_part() {
    let head = "Parameters:\n  Open:\n    Type: String\n  Names:\n    Type: CommaDelimitedList\n";
    let body = "      Around: !Join [':', [arn, !Ref 'AWS::Partition', s3, '', !Ref Open]]\n      Nested: !Join ['/', [!Sub 'arn:aws:s3:::${Open}', '*']]\n      OfList: !Join ['', [a, [b]]]\n      UnknownList: !Join [',', !Ref Names]\n      Split: !Split [':', !Sub 'arn:aws:s3:::${Open}']\n      Known: !Select [2, !Split [':', !Sub 'arn:aws:s3:::${Open}']]\n      Straddling: !Select [5, !Split [':', !Sub 'arn:aws:s3:::pre-${Open}']]\n      After: !Select [6, !Split [':', !Sub 'arn:aws:s3:::pre-${Open}:x']]\n      HoleFirst: !Select [0, !Split ['-', !Ref 'AWS::StackName']]\n      Wide: !Select [1, !Split ['::', !Sub 'a::b:${Open}']]\n      Beyond: !Select [9, !Split [':', !Sub 'a:${Open}']]\n";
    let unit = clean(&template(head, body));
    let around = prop(&unit, "Around");
    assert_eq!(
        known_text(&around).as_deref(),
        Some("arn:${...}:s3::${...}")
    );
    assert_eq!(
        hole_places(&unit, &around),
        [
            Some("!Ref 'AWS::Partition'".to_string()),
            Some("!Ref Open".to_string())
        ]
    );
    assert_eq!(
        known_text(&prop(&unit, "Nested")).as_deref(),
        Some("arn:aws:s3:::${...}/*")
    );
    // Not text, or not even a list: nothing is known.
    assert_eq!(prop(&unit, "OfList"), Value::Unknown("Fn::Join".into()));
    assert_eq!(
        prop(&unit, "UnknownList"),
        Value::Unknown("Fn::Join".into())
    );
    // A hole may hold any number of delimiters: the list is unknown...
    assert_eq!(prop(&unit, "Split"), Value::Unknown("Fn::Split".into()));
    // ...but the elements before the first hole are known,
    assert_eq!(prop(&unit, "Known"), s("s3"));
    // the one that runs into it keeps its known start,
    let straddling = prop(&unit, "Straddling");
    assert!(!straddling.is_known());
    assert_eq!(known_text(&straddling).as_deref(), Some("pre-${...}"));
    // and what comes after it is unknown, whatever text follows.
    assert!(!prop(&unit, "After").is_known());
    assert_eq!(known_text(&prop(&unit, "After")), None);
    assert_eq!(known_text(&prop(&unit, "HoleFirst")), None);
    // `b:` may be the start of `::` completed by the hole: only `b` is sure.
    assert_eq!(known_text(&prop(&unit, "Wide")).as_deref(), Some("b${...}"));
    // The list's length is unknown: no index is out of range.
    assert_eq!(known_text(&prop(&unit, "Beyond")), None);
}

#[test]
fn select_out_of_range_is_an_error() {
    let unit = load(
        &template("", "      X: !Select [3, [a, b]]\n"),
        Syntax::Yaml,
    )
    .unwrap();
    assert_eq!(unit.errors.len(), 1);
    assert!(
        unit.errors[0].message.contains("outside"),
        "{:?}",
        unit.errors
    );
    assert!(!prop(&unit, "X").is_known());
}

const MAPPINGS: &str = "Parameters:
  Env:
    Type: String
    Default: dev
  Unset:
    Type: String
Mappings:
  Net:
    dev:
      Cidr: 0.0.0.0/0
      Ports: [22, 3389]
    prod:
      Cidr: 10.0.0.0/8
";

#[test]
fn find_in_map_reads_mappings_with_provenance() {
    let body = "      Cidr: !FindInMap [Net, !Ref Env, Cidr]\n      Ports: !FindInMap [Net, dev, Ports]\n      Unset: !FindInMap [Net, !Ref Unset, Cidr]\n      Default: !FindInMap [Net, test, Cidr, {DefaultValue: 192.168.0.0/16}]\n      Found:\n        Fn::FindInMap: [Net, prod, Cidr, {DefaultValue: x}]\n";
    let unit = clean(&template(MAPPINGS, body));
    let cidr = at(&unit, "R", "Properties.Cidr");
    assert_eq!(cidr.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr.span), "!FindInMap [Net, !Ref Env, Cidr]");
    assert_eq!(
        origins(&unit, cidr),
        vec![
            (
                "mapping `Net` → `dev` → `Cidr`".into(),
                "0.0.0.0/0".into(),
                11
            ),
            ("default of parameter `Env`".into(), "dev".into(), 5),
        ]
    );
    let Value::List(ports) = &at(&unit, "R", "Properties.Ports").value else {
        panic!()
    };
    assert_eq!(ports[1].value, Value::Number(3389.0));
    assert_eq!(origins(&unit, &ports[1])[0].1, "3389");
    assert_eq!(prop(&unit, "Unset"), Value::Unknown("Fn::FindInMap".into()));
    let default = at(&unit, "R", "Properties.Default");
    assert_eq!(default.value, s("192.168.0.0/16"));
    assert_eq!(
        origins(&unit, default)[0].0,
        "`DefaultValue` of `Fn::FindInMap` on mapping `Net`"
    );
    assert_eq!(prop(&unit, "Found"), s("10.0.0.0/8"));
}

#[test]
fn find_in_map_without_the_key_is_an_error() {
    let unit = load(
        &template(
            MAPPINGS,
            "      X: !FindInMap [Net, test, Cidr]\n      Y: !FindInMap [Nope, a, b]\n",
        ),
        Syntax::Yaml,
    )
    .unwrap();
    let messages: Vec<_> = unit.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("has no `test` → `Cidr`"));
    assert!(messages[1].contains("no mapping `Nope`"));
    assert_eq!(line_of(&unit, unit.errors[0].span.unwrap()), 19);
}

#[test]
fn encoding_network_and_account_functions() {
    let body = "      B64: !Base64 \"#!/bin/bash\\n\"\n      Subnets: !Cidr ['10.0.0.0/16', 2, 8]\n      Second: !Select [1, !Cidr ['10.0.0.0/16', 2, 8]]\n      Json: !ToJsonString {a: [1, x], b: true}\n      JsonUnknown: !ToJsonString {a: !Ref AWS::Region}\n      Azs: !GetAZs ''\n      Import: !ImportValue shared-vpc\n      Macro:\n        Fn::Transform: {Name: AWS::Include}\n";
    let unit = clean(&template("", body));
    assert_eq!(prop(&unit, "B64"), s("IyEvYmluL2Jhc2gK"));
    assert_eq!(
        strings(at(&unit, "R", "Properties.Subnets")),
        vec!["10.0.0.0/24", "10.0.1.0/24"]
    );
    assert_eq!(prop(&unit, "Second"), s("10.0.1.0/24"));
    assert_eq!(prop(&unit, "Json"), s(r#"{"a":[1,"x"],"b":true}"#));
    assert!(!prop(&unit, "JsonUnknown").is_known());
    assert_eq!(prop(&unit, "Azs"), Value::Unknown("Fn::GetAZs".into()));
    assert_eq!(
        prop(&unit, "Import"),
        Value::Unknown("Fn::ImportValue".into())
    );
    assert!(!prop(&unit, "Macro").is_known());
}

#[test]
fn get_att_in_every_form_is_a_link() {
    let head = "Parameters:\n  Attr:\n    Type: String\n    Default: Arn\n";
    let body = "      A: !GetAtt R.Arn\n      B: !GetAtt [R, Endpoint.Address]\n      C: !GetAtt [R, !Ref Attr]\n      D:\n        Fn::GetAtt: [R, TopicName]\n";
    let unit = clean(&template(head, body));
    assert_eq!(prop(&unit, "A"), reference("R", Some("Arn")));
    assert_eq!(prop(&unit, "B"), reference("R", Some("Endpoint.Address")));
    assert_eq!(prop(&unit, "C"), reference("R", Some("Arn")));
    assert_eq!(prop(&unit, "D"), reference("R", Some("TopicName")));
}

// ----- Conditions -----------------------------------------------------------------

const CONDITIONS: &str = "Parameters:
  Env:
    Type: String
    Default: dev
  Unset:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Equals [!Ref Unset, x]]
  Decided: !Or [!Condition IsDev, !Equals [!Ref Unset, x]]
  Undecided: !Equals [!Ref Unset, prod]
  AndFalse: !And [!Condition IsProd, !Condition Undecided]
";

#[test]
fn conditions_evaluate_from_parameter_values() {
    let body = "      A: !If [IsProd, 10.0.0.0/8, 0.0.0.0/0]\n      B: !If [Both, yes, no]\n      C: !If [Either, x, y]\n      D: !If [Decided, x, y]\n      E: !If [Undecided, same, same]\n      F: !If [Undecided, one, other]\n      G: !If [AndFalse, x, y]\n      H: !If [IsProd, x, !Ref AWS::NoValue]\n      I: !If [Undecided, !Ref AWS::NoValue, !Ref AWS::NoValue]\n      J: !If [Undecided, x, !Ref AWS::NoValue]\n      K: !Condition IsDev\n";
    let unit = clean(&template(CONDITIONS, body));
    let a = at(&unit, "R", "Properties.A");
    assert_eq!(a.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, a.span), "!If [IsProd, 10.0.0.0/8, 0.0.0.0/0]");
    assert_eq!(
        origins(&unit, a),
        vec![(
            "false branch of `Fn::If` on condition `IsProd`".into(),
            "0.0.0.0/0".into(),
            20
        )]
    );
    assert_eq!(prop(&unit, "B"), Value::Bool(true), "YAML 1.1 `yes`");
    assert!(!prop(&unit, "C").is_known(), "false or unknown");
    assert_eq!(prop(&unit, "D"), s("x"), "true or unknown");
    assert_eq!(prop(&unit, "E"), s("same"), "both branches agree");
    assert!(!prop(&unit, "F").is_known());
    assert_eq!(prop(&unit, "G"), s("y"), "false and unknown");
    assert!(
        absent(&unit, "R", "Properties.H"),
        "NoValue removes the property"
    );
    assert!(absent(&unit, "R", "Properties.I"));
    assert!(!prop(&unit, "J").is_known(), "present or absent: unknown");
    assert_eq!(prop(&unit, "K"), Value::Bool(true));
}

#[test]
fn if_branches_carry_provenance_into_maps_and_through_parameters() {
    let head = "Parameters:\n  Admin:\n    Type: String\n    Default: 0.0.0.0/0\nConditions:\n  Locked: !Equals [a, b]\n";
    let body = "      Rule: !If\n        - Locked\n        - !Ref AWS::NoValue\n        - CidrIp: !Ref Admin\n          FromPort: 22\n";
    let unit = clean(&template(head, body));
    let cidr = at(&unit, "R", "Properties.Rule.CidrIp");
    assert_eq!(cidr.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr.span), "!Ref Admin");
    let labels: Vec<_> = origins(&unit, cidr).into_iter().map(|o| o.0).collect();
    assert_eq!(
        labels,
        vec![
            "false branch of `Fn::If` on condition `Locked`",
            "default of parameter `Admin`"
        ]
    );
}

#[test]
fn resources_whose_condition_is_false_do_not_exist() {
    let text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\n{CONDITIONS}Resources:\n  Prod:\n    Type: AWS::SNS::Topic\n    Condition: IsProd\n  Dev:\n    Type: AWS::SNS::Topic\n    Condition: IsDev\n  Maybe:\n    Type: AWS::SNS::Topic\n    Condition: Undecided\n"
    );
    let unit = clean(&text);
    let addresses: Vec<_> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, vec!["Dev", "Maybe"]);
}

#[test]
fn undefined_and_cyclic_conditions_are_errors() {
    let head = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n";
    let text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\n{head}Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Condition: Missing\n    Properties:\n      X: !If [A, a, b]\n"
    );
    let unit = load(&text, Syntax::Yaml).unwrap();
    let messages: Vec<_> = unit.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`Missing` is not defined")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("depends on itself")),
        "{messages:?}"
    );
    assert!(!prop(&unit, "X").is_known());
}

// ----- References -----------------------------------------------------------------

#[test]
fn unresolvable_references_are_errors_at_their_line() {
    let body = "      A: !Ref Nowhere\n      B: !GetAtt Ghost.Arn\n      C: !Sub '${Missing}-${Phantom.Arn}'\n";
    let unit = load(&template("", body), Syntax::Yaml).unwrap();
    let found: Vec<_> = unit
        .errors
        .iter()
        .map(|e| (line_of(&unit, e.span.unwrap()), e.message.clone()))
        .collect();
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(found[0].0, 6);
    assert!(found[0].1.contains("`Ref` to `Nowhere`"));
    assert_eq!(found[1].0, 7);
    assert!(found[1].1.contains("`Ghost`"));
    assert_eq!(found[2].0, 8);
    assert!(found[2].1.contains("`Missing`"));
    assert!(found[3].1.contains("`Phantom`"));
    assert!(!prop(&unit, "A").is_known());
}

#[test]
fn companions_refer_to_what_they_configure() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
  Policy2:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Sub '${Bucket}'
  Group:
    Type: AWS::EC2::SecurityGroup
  Ingress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt Group.GroupId
  Egress:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref Group
  Vpc:
    Type: AWS::EC2::VPC
  Flow:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: !Ref Vpc
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: !Ref Bucket
  Fn:
    Type: AWS::Lambda::Function
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Fn.Arn
";
    let unit = clean(text);
    for (address, path, target) in [
        ("Policy", "Bucket", "Bucket"),
        ("Policy2", "Bucket", "Bucket"),
        ("Ingress", "GroupId", "Group"),
        ("Egress", "GroupId", "Group"),
        ("Flow", "ResourceId", "Vpc"),
        ("Trail", "S3BucketName", "Bucket"),
        ("Permission", "FunctionName", "Fn"),
    ] {
        let node = at(&unit, address, &format!("Properties.{path}"));
        assert!(
            matches!(&node.value, Value::Ref(r) if r.target == target),
            "{address}: {:?}",
            node.value
        );
    }
}

// ----- Template hygiene ----------------------------------------------------------

#[test]
fn duplicate_keys_keep_the_last_value_and_are_errors() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      CidrIp: 10.0.0.0/8
      CidrIp: 0.0.0.0/0
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      CidrIp: 10.0.0.0/8
      Other: x
      CidrIp: 0.0.0.0/0
";
    let unit = load(text, Syntax::Yaml).unwrap();
    assert_eq!(unit.resources.len(), 1);
    assert_eq!(line_of(&unit, unit.resources[0].header), 8);
    assert_eq!(
        at(&unit, "Group", "Properties.CidrIp").value,
        s("0.0.0.0/0")
    );
    assert_eq!(at(&unit, "Group", "Properties.Other").value, s("x"));
    let found: Vec<_> = unit
        .errors
        .iter()
        .map(|e| (line_of(&unit, e.span.unwrap()), e.message.clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                3,
                "duplicate key `Group`: CloudFormation ignores this value and uses the one on line 8"
                    .to_string()
            ),
            (
                11,
                "duplicate key `CidrIp`: CloudFormation ignores this value and uses the one on line 13"
                    .to_string()
            ),
        ]
    );

    let json = "{\"Resources\": {\"T\": {\"Type\": \"AWS::SNS::Topic\",\n \"Properties\": {\"A\": 1,\n \"A\": 2}}}}";
    let unit = load(json, Syntax::Json).unwrap();
    assert_eq!(unit.errors.len(), 1);
    assert_eq!(line_of(&unit, unit.errors[0].span.unwrap()), 2);
    assert_eq!(at(&unit, "T", "Properties.A").value, Value::Number(2.0));
}

#[test]
fn yaml_1_1_scalars_read_as_cloudformation_reads_them() {
    let body = "      Yes: yes\n      On: on\n      Off: Off\n      Mode: 0755\n      Quoted: 'yes'\n      Version: 1.10\n";
    let unit = clean(&template("", body));
    assert_eq!(prop(&unit, "Yes"), Value::Bool(true));
    assert_eq!(prop(&unit, "On"), Value::Bool(true));
    assert_eq!(prop(&unit, "Off"), Value::Bool(false));
    assert_eq!(prop(&unit, "Mode"), Value::Number(493.0));
    assert_eq!(prop(&unit, "Quoted"), s("yes"));
    assert_eq!(prop(&unit, "Version"), Value::Number(1.1));
}

#[test]
fn for_each_loops_make_their_resources_at_the_lines_written() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::LanguageExtensions\nParameters:\n  Envs:\n    Type: CommaDelimitedList\n    Default: prod,dev-1\nResources:\n  Fn::ForEach::Buckets:\n    - Env\n    - !Ref Envs\n    - Logs&{Env}:\n        Type: AWS::S3::Bucket\n        Properties:\n          BucketName: !Sub 'logs-${Env}'\n          Tags: [{Key: env, Value: !Ref Env}]\n      Fn::ForEach::Nested:\n        - Kind\n        - [a, b]\n        - Queue&{Env}${Kind}:\n            Type: AWS::SQS::Queue\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Other: !Ref Logsprod\n";
    let unit = clean(text);
    assert!(unit.notes.is_empty(), "{:?}", unit.notes);
    let addresses: Vec<&str> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "T",
            "Logsprod",
            "Queueproda",
            "Queueprodb",
            "Logsdev1",
            "Queuedev1a",
            "Queuedev1b"
        ]
    );
    assert_eq!(
        at(&unit, "Logsdev1", "Properties.BucketName").value,
        s("logs-dev-1")
    );
    assert_eq!(
        at(&unit, "Logsprod", "Properties.Tags[0].Value").value,
        s("prod")
    );
    // At the line of the loop's body.
    let name = at(&unit, "Logsprod", "Properties.BucketName");
    assert_eq!(line_of(&unit, name.span), 14);
    // A reference to a resource a loop makes is a reference.
    assert!(matches!(
        at(&unit, "T", "Properties.Other").value,
        Value::Ref(_)
    ));
}

#[test]
fn for_each_with_an_unknown_collection_is_a_note_and_its_names_are_not_errors() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n    - Name\n    - !GetAZs ''\n    - Topic${Name}:\n        Type: AWS::SNS::Topic\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Other: !Ref Topica\n";
    let unit = clean(text);
    assert_eq!(unit.resources.len(), 1);
    assert_eq!(unit.notes.len(), 1);
    assert!(unit.notes[0].message.contains("not expanded"));
    assert!(!at(&unit, "T", "Properties.Other").value.is_known());
    assert_eq!(line_of(&unit, unit.notes[0].span.unwrap()), 4);
}

#[test]
fn for_each_loops_are_bounded_and_malformed_ones_are_errors() {
    let many: Vec<String> = (0..600).map(|i| format!("n{i}")).collect();
    let text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn::ForEach::Many:\n    - N\n    - [{}]\n    - T${{N}}:\n        Type: AWS::SNS::Topic\n  Fn::ForEach::Bad:\n    - N\n    - [a]\n",
        many.join(", ")
    );
    let unit = load(&text, Syntax::Yaml).expect("a template");
    assert_eq!(unit.resources.len(), foreach::MAX_GENERATED);
    let messages: Vec<&str> = unit.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("more than 500 resources"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("must be a list of an identifier"),
        "{messages:?}"
    );
}

#[test]
fn a_value_outside_allowed_values_is_a_note_and_still_used() {
    let head = "Parameters:\n  Env:\n    Type: String\n    Default: qa\n    AllowedValues: [dev, prod]\n  Ok:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n";
    let unit = clean(&template(head, "      Env: !Ref Env\n      Ok: !Ref Ok\n"));
    assert_eq!(prop(&unit, "Env"), s("qa"));
    assert_eq!(unit.notes.len(), 1, "{:?}", unit.notes);
    assert!(unit.notes[0]
        .message
        .contains("AllowedValues of parameter `Env`"));
    assert_eq!(line_of(&unit, unit.notes[0].span.unwrap()), 5);
}

#[test]
fn macros_are_not_run_and_say_so() {
    let unit = clean(&template(
        "",
        "      X:\n        Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k}}\n",
    ));
    assert!(!prop(&unit, "X").is_known());
    assert_eq!(unit.notes.len(), 1);
    assert!(unit.notes[0].message.contains("macro"));
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
// ----- Parameters files -----------------------------------------------------------

const OPEN_SSH: &str = "AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  SshCidr:
    Type: String
    Default: 10.0.0.0/8
  Port:
    Type: Number
    Default: 443
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - CidrIp: !Ref SshCidr
          FromPort: !Ref Port
          ToPort: !Ref Port
";

fn with_files(files: &[(&str, &str)]) -> (tempfile::TempDir, CloudFormationOptions) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = CloudFormationOptions::default();
    for (name, text) in files {
        let path = dir.path().join(name);
        if !text.is_empty() {
            std::fs::write(&path, text).unwrap();
        }
        options.parameter_files.push(path);
    }
    (dir, options)
}

#[test]
fn parameters_files_in_both_formats_set_values_with_provenance() {
    let (_dir, options) = with_files(&[
        (
            "cli.json",
            r#"[{"ParameterKey": "SshCidr", "ParameterValue": "0.0.0.0/0"}, {"ParameterKey": "Port", "ParameterValue": "80"}]"#,
        ),
        ("map.json", "{\n  \"Port\": 22\n}\n"),
        ("unrelated.json", r#"{"Other": "x"}"#),
    ]);
    let unit = load_with(OPEN_SSH, Syntax::Yaml, &options).unwrap();
    assert!(unit.errors.is_empty(), "{:?}", unit.errors);
    // The template and the two files that set its parameters.
    assert_eq!(unit.files.len(), 3);
    assert!(unit.files[1].display.ends_with("cli.json"));
    assert!(unit.files[2].display.ends_with("map.json"));
    let cidr = at(&unit, "Group", "Properties.SecurityGroupIngress[0].CidrIp");
    assert_eq!(cidr.value, s("0.0.0.0/0"));
    assert_eq!(slice(&unit, cidr.span), "!Ref SshCidr");
    assert_eq!(cidr.origins.len(), 1);
    assert_eq!(cidr.origins[0].span.file, 1);
    assert_eq!(slice(&unit, cidr.origins[0].span), "\"0.0.0.0/0\"");
    assert_eq!(
        cidr.origins[0].label,
        "parameter `SshCidr` from --cfn-params"
    );
    // The later file wins, and a Number parameter is a number.
    let port = at(
        &unit,
        "Group",
        "Properties.SecurityGroupIngress[0].FromPort",
    );
    assert_eq!(port.value, Value::Number(22.0));
    assert_eq!(line_of(&unit, port.origins[0].span), 2);
}

#[test]
fn a_broken_parameters_file_is_an_error_naming_it_and_leaves_parameters_unknown() {
    let (_dir, options) = with_files(&[("missing.json", "")]);
    let unit = load_with(OPEN_SSH, Syntax::Yaml, &options).unwrap();
    assert_eq!(unit.errors.len(), 1);
    let error = &unit.errors[0];
    assert!(unit.files[error.file as usize]
        .display
        .ends_with("missing.json"));
    assert!(
        error.message.contains("cannot read parameters file"),
        "{}",
        error.message
    );
    assert!(
        !at(&unit, "Group", "Properties.SecurityGroupIngress[0].CidrIp")
            .value
            .is_known()
    );

    let (_dir, options) = with_files(&[("bad.json", "[\n  {\"ParameterValue\": \"x\"}\n]")]);
    let unit = load_with(OPEN_SSH, Syntax::Yaml, &options).unwrap();
    assert_eq!(unit.errors.len(), 1);
    let error = &unit.errors[0];
    assert_eq!(error.file, 1);
    assert_eq!(line_of(&unit, error.span.unwrap()), 2);
}

// ----- SAM ------------------------------------------------------------------------

const SAM: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        STAGE: prod
    Tags:
      team: a
  Api:
    AccessLogSetting:
      DestinationArn: arn:aws:logs:eu-west-1:1:log-group:api
      Format: $context.requestId
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: s3://code/worker.zip
      Environment:
        Variables:
          TABLE: t
      Policies:
        - AWSLambdaExecute
        - S3CrudPolicy:
            BucketName: data
        - Statement:
            - Effect: Allow
              Action: "*"
              Resource: "*"
      Events:
        Get:
          Type: Api
          Properties:
            Path: /
            Method: get
        Web:
          Type: HttpApi
        Queue:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:eu-west-1:1:q
      FunctionUrlConfig:
        AuthType: NONE
  WithRole:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      InlineCode: "print(1)"
      Role: arn:aws:iam::1:role/x
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      EndpointConfiguration: REGIONAL
      Domain:
        DomainName: api.example.com
        CertificateArn: arn:aws:acm:eu-west-1:1:certificate/x
        SecurityPolicy: TLS_1_0
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      AccessLogSettings:
        DestinationArn: arn:aws:logs:eu-west-1:1:log-group:http
        Format: x
  Table:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: pk, Type: Number}
      SSESpecification: {SSEEnabled: false}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
      Logging: {Level: "OFF"}
      Policies:
        - Statement: [{Effect: Allow, Action: "*", Resource: "*"}]
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: s3://b/k
  Out:
    Type: AWS::SNS::Topic
    Properties:
      Role: !GetAtt WorkerRole.Arn
      Api: !Ref ServerlessRestApi
      Alias: !Ref Worker.Alias
"#;

#[test]
fn sam_resources_become_the_resources_sam_generates() {
    let unit = clean(SAM);
    let found: Vec<_> = unit
        .resources
        .iter()
        .map(|r| (r.address.as_str(), r.resource_type.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("Worker", "AWS::Lambda::Function"),
            ("WorkerRole", "AWS::IAM::Role"),
            ("WorkerUrl", "AWS::Lambda::Url"),
            ("WorkerUrlPublicPermissions", "AWS::Lambda::Permission"),
            ("WorkerGetPermissionProd", "AWS::Lambda::Permission"),
            ("WorkerWebPermission", "AWS::Lambda::Permission"),
            ("WithRole", "AWS::Lambda::Function"),
            ("Api", "AWS::ApiGateway::RestApi"),
            ("Apiv1Stage", "AWS::ApiGateway::Stage"),
            (
                "ApiGatewayDomainName1bc412bb08",
                "AWS::ApiGateway::DomainName"
            ),
            ("Http", "AWS::ApiGatewayV2::Api"),
            ("HttpApiGatewayDefaultStage", "AWS::ApiGatewayV2::Stage"),
            ("Table", "AWS::DynamoDB::Table"),
            ("Machine", "AWS::StepFunctions::StateMachine"),
            ("MachineRole", "AWS::IAM::Role"),
            ("Layer", "AWS::Serverless::LayerVersion"),
            ("Out", "AWS::SNS::Topic"),
            ("ServerlessRestApi", "AWS::ApiGateway::RestApi"),
            ("ServerlessRestApiProdStage", "AWS::ApiGateway::Stage"),
            ("ServerlessHttpApi", "AWS::ApiGatewayV2::Api"),
            (
                "ServerlessHttpApiApiGatewayDefaultStage",
                "AWS::ApiGatewayV2::Stage"
            ),
        ]
    );
    // Generated resources point at the SAM resource they come from.
    let role = unit.resource("WorkerRole").unwrap();
    assert_eq!(slice(&unit, role.header), "Worker");
    assert_eq!(
        at(&unit, "Worker", "Properties.Role").value,
        reference("WorkerRole", Some("Arn"))
    );

    // Inline statements become the role's inline policies, named by their
    // index in Policies, with their spans in the SAM template.
    let policy = at(&unit, "WorkerRole", "Properties.Policies[0]");
    assert_eq!(
        policy.get("PolicyName").unwrap().value,
        s("WorkerRolePolicy2")
    );
    let action = at(
        &unit,
        "WorkerRole",
        "Properties.Policies[*].PolicyDocument.Statement[0].Action",
    );
    assert_eq!(action.value, s("*"));
    assert_eq!(line_of(&unit, action.span), 30);
    let Value::List(managed) = &at(&unit, "WorkerRole", "Properties.ManagedPolicyArns").value
    else {
        panic!()
    };
    assert_eq!(managed.len(), 2, "basic execution and AWSLambdaExecute");
    assert_eq!(
        at(
            &unit,
            "WorkerRole",
            "Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service[0]"
        )
        .value,
        s("lambda.amazonaws.com")
    );

    // Globals merge: maps key by key, the resource's values win.
    let runtime = at(&unit, "Worker", "Properties.Runtime");
    assert_eq!(runtime.value, s("python3.12"));
    assert_eq!(line_of(&unit, runtime.span), 5, "points into Globals");
    let variables = at(&unit, "Worker", "Properties.Environment.Variables");
    assert!(variables.get("STAGE").is_some() && variables.get("TABLE").is_some());
    let tags: Vec<String> = match &at(&unit, "Worker", "Properties.Tags").value {
        Value::List(items) => items
            .iter()
            .map(|t| t.get("Key").unwrap().value.display())
            .collect(),
        _ => panic!(),
    };
    assert_eq!(tags, vec!["lambda:createdBy", "team"]);
    assert_eq!(
        at(&unit, "Worker", "Properties.Code.S3Key").value,
        s("worker.zip")
    );
    assert_eq!(
        at(&unit, "WithRole", "Properties.Code.ZipFile").value,
        s("print(1)")
    );
    assert_eq!(
        at(&unit, "WithRole", "Properties.Role").value,
        s("arn:aws:iam::1:role/x")
    );

    // The public function URL is a permission for everyone, at its AuthType.
    let principal = at(&unit, "WorkerUrlPublicPermissions", "Properties.Principal");
    assert_eq!(principal.value, s("*"));
    assert_eq!(slice(&unit, principal.span), "NONE");

    // APIs: stages with access logging (the implicit one from Globals.Api),
    // the custom domain's TLS policy.
    assert_eq!(
        at(
            &unit,
            "ServerlessRestApiProdStage",
            "Properties.AccessLogSetting.Format"
        )
        .value,
        s("$context.requestId")
    );
    assert_eq!(
        at(&unit, "ServerlessRestApiProdStage", "Properties.StageName").value,
        s("Prod")
    );
    assert!(!absent(
        &unit,
        "Apiv1Stage",
        "Properties.AccessLogSetting.Format"
    ));
    assert_eq!(
        at(
            &unit,
            "ApiGatewayDomainName1bc412bb08",
            "Properties.SecurityPolicy"
        )
        .value,
        s("TLS_1_0")
    );
    assert_eq!(
        at(&unit, "Api", "Properties.EndpointConfiguration.Types[0]").value,
        s("REGIONAL")
    );
    assert_eq!(
        at(
            &unit,
            "HttpApiGatewayDefaultStage",
            "Properties.AccessLogSettings.Format"
        )
        .value,
        s("x")
    );
    assert!(absent(
        &unit,
        "ServerlessHttpApiApiGatewayDefaultStage",
        "Properties.AccessLogSettings"
    ));

    // Tables and state machines.
    assert_eq!(
        at(
            &unit,
            "Table",
            "Properties.AttributeDefinitions[0].AttributeType"
        )
        .value,
        s("N")
    );
    assert_eq!(
        at(&unit, "Table", "Properties.SSESpecification.SSEEnabled").value,
        Value::Bool(false)
    );
    assert_eq!(
        at(&unit, "Table", "Properties.BillingMode").value,
        s("PAY_PER_REQUEST")
    );
    assert_eq!(
        at(&unit, "Machine", "Properties.LoggingConfiguration.Level").value,
        s("OFF")
    );
    assert_eq!(
        at(
            &unit,
            "MachineRole",
            "Properties.Policies[0].PolicyDocument.Statement[0].Action"
        )
        .value,
        s("*")
    );
    // References to generated resources resolve.
    assert_eq!(
        at(&unit, "Out", "Properties.Api").value,
        reference("ServerlessRestApi", None)
    );
}

#[test]
fn sam_resources_follow_conditions_and_unknown_policies() {
    let text = "Transform: AWS::Serverless-2016-10-31
Parameters:
  Extra:
    Type: String
Conditions:
  Never: !Equals [a, b]
  Maybe: !Equals [!Ref Extra, x]
Resources:
  Off:
    Type: AWS::Serverless::Function
    Condition: Never
    Properties:
      Handler: a.b
  On:
    Type: AWS::Serverless::Function
    Metadata:
      demarc:
        ignore: [{id: AWS-IAM-001, reason: reviewed}]
    Properties:
      Handler: a.b
      Policies:
        - !If [Maybe, {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}, !Ref AWS::NoValue]
        - !Ref Extra
";
    let unit = clean(text);
    let addresses: Vec<_> = unit.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, vec!["On", "OnRole"]);
    // Metadata (where suppressions live) follows to every generated resource.
    for address in addresses {
        let metadata = at(&unit, address, "Metadata.demarc.ignore[0].id");
        assert_eq!(metadata.value, s("AWS-IAM-001"));
    }
    // An undecided policy is unknown, not absent.
    let document = at(&unit, "OnRole", "Properties.Policies[0].PolicyDocument");
    assert!(!document.value.is_known());
}

#[test]
fn templates_without_the_transform_keep_serverless_types() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n";
    let unit = clean(text);
    assert_eq!(unit.resources.len(), 1);
    assert_eq!(unit.resources[0].resource_type, "AWS::Serverless::Function");
}

// ----- Limits ---------------------------------------------------------------------

#[test]
fn long_condition_chains_are_refused_without_exhausting_the_stack() {
    let mut head = String::from("Conditions:\n  C0: !Equals [a, a]\n");
    for i in 1..20_000 {
        head.push_str(&format!("  C{i}: !Not [!Condition C{}]\n", i - 1));
    }
    let text = template(&head, "      X: !If [C19999, a, b]\n");
    let unit = load(&text, Syntax::Yaml).unwrap();
    assert!(unit
        .errors
        .iter()
        .any(|e| e.message.contains("levels deep")));
    assert!(!prop(&unit, "X").is_known());
}

#[test]
fn repeated_copies_of_large_values_stop_at_the_step_limit() {
    let started = std::time::Instant::now();
    let items = vec!["10.0.0.0/8"; 200_000].join(",");
    let head =
        format!("Parameters:\n  Big:\n    Type: CommaDelimitedList\n    Default: '{items}'\n");
    let body: String = (0..200)
        .map(|i| format!("      P{i}: !Ref Big\n"))
        .collect();
    let unit = load(&template(&head, &body), Syntax::Yaml).unwrap();
    assert_eq!(unit.errors.len(), 1, "{:?}", unit.errors);
    assert!(unit.errors[0].message.contains("evaluation stopped"));
    assert!(!prop(&unit, "P199").is_known());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    let text = "x".repeat(1 << 20);
    let head = format!("Parameters:\n  Big:\n    Type: String\n    Default: {text}\n");
    let body = format!("      S: !Sub '{}'\n", "${Big}".repeat(5_000));
    let unit = load(&template(&head, &body), Syntax::Yaml).unwrap();
    assert!(unit.errors[0].message.contains("evaluation stopped"));
}
