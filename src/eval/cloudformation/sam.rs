//! The SAM transform (`Transform: AWS::Serverless-2016-10-31`): each
//! `AWS::Serverless::*` resource becomes the CloudFormation resources SAM
//! generates for it, named as SAM names them, so the rules for those resource
//! types apply. Every generated node keeps the span of the SAM source it came
//! from, so findings point at the SAM template; what SAM adds by itself
//! points at the SAM resource's logical ID.
//!
//! Covered: `Function` (the function, its execution role with inline
//! `Policies` statements, policy templates and managed policies,
//! `FunctionUrlConfig`, `Api` and `HttpApi` events with the implicit APIs
//! and permissions they create), `Api`, `HttpApi` (API, stage with access
//! logging, custom domain with its TLS security policy), `SimpleTable`,
//! `StateMachine` (with its role and policy templates), and `Globals` merged
//! into each. Other SAM types pass through unchanged.
//!
//! Policy templates (`S3ReadPolicy: {BucketName: ...}`) become the inline
//! policy SAM writes for them (`policy_templates` has SAM's published list),
//! their parameters substituted as CloudFormation substitutes them, so an
//! unknown parameter leaves the resource it names unknown. A name SAM does
//! not know is left out with a note (SAM's transform rejects it).
//!
//! An event's method lives in the API's generated OpenAPI document, not in
//! a resource: it is modelled as the `AWS::ApiGateway::Method` (or
//! `AWS::ApiGatewayV2::Route`) that configures the same thing, with the
//! authorization SAM gives it from the event's and the API's `Auth`, so the
//! method rules read it.
//!
//! Every generated resource records the SAM resource it came from
//! (`Resource::generated_by`): findings name that one, the generated one as
//! detail, and its `Metadata` suppressions cover them.

mod policy_templates;

use super::resolve::{is_intrinsic, ref_node, unknown, Resolver};
use crate::model::{Framework, Resource, UnitError, WrittenResource};
use crate::source::Span;
use crate::value::{Entry, Node, Value};
use policy_templates::PolicyTemplate;

const TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Whether the template declares the SAM transform (alone or in a list).
pub(super) fn is_sam(doc: &Node) -> bool {
    match doc.get("Transform").map(|t| &t.value) {
        Some(Value::String(t)) => t == TRANSFORM,
        Some(Value::List(items)) => items.iter().any(|i| i.as_str() == Some(TRANSFORM)),
        _ => false,
    }
}

/// Properties an `AWS::Serverless::Function` shares with `AWS::Lambda::Function`.
const FUNCTION_PROPERTIES: [&str; 21] = [
    "Architectures",
    "CodeSigningConfigArn",
    "Description",
    "Environment",
    "EphemeralStorage",
    "FileSystemConfigs",
    "FunctionName",
    "Handler",
    "ImageConfig",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "MemorySize",
    "PackageType",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "Runtime",
    "RuntimeManagementConfig",
    "SnapStart",
    "Timeout",
    "VpcConfig",
];

const REST_API_PROPERTIES: [&str; 8] = [
    "Name",
    "Description",
    "BinaryMediaTypes",
    "MinimumCompressionSize",
    "ApiKeySourceType",
    "DisableExecuteApiEndpoint",
    "Mode",
    "FailOnWarnings",
];

const REST_STAGE_PROPERTIES: [&str; 8] = [
    "StageName",
    "AccessLogSetting",
    "MethodSettings",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "TracingEnabled",
    "Variables",
    "CanarySetting",
];

const HTTP_API_PROPERTIES: [&str; 5] = [
    "Name",
    "Description",
    "CorsConfiguration",
    "DisableExecuteApiEndpoint",
    "FailOnWarnings",
];

const HTTP_STAGE_PROPERTIES: [&str; 4] = [
    "AccessLogSettings",
    "DefaultRouteSettings",
    "RouteSettings",
    "StageVariables",
];

/// AWS managed policies SAM names by name that live under `service-role/`.
const SERVICE_ROLE_POLICIES: [&str; 6] = [
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaMSKExecutionRole",
];

/// The transform's state across a template: its `Globals` and the implicit
/// APIs that `Api`/`HttpApi` events ask for.
pub(super) struct Sam<'d> {
    globals: Option<&'d Node>,
    /// The first event that needs `ServerlessRestApi`, with its function:
    /// findings on the implicit API name it.
    implicit_rest: Option<ImplicitApi>,
    implicit_http: Option<ImplicitApi>,
    /// `StageName` of each `AWS::Serverless::Api`, for permission names.
    stages: Vec<(&'d str, String)>,
    /// Each `AWS::Serverless::Api` and `HttpApi` with its properties
    /// (`Globals` merged, unresolved): what its events' methods inherit.
    apis: Vec<(&'d str, Node)>,
}

/// The event that asked for an implicit API, and its function (with the
/// function's `Condition` entry).
struct ImplicitApi {
    event: Span,
    condition: Option<Entry>,
    function: WrittenResource,
}

/// Where generated resources come from: the SAM resource.
#[derive(Clone)]
struct Source<'a> {
    /// The logical ID SAM derives the generated ones' from.
    id: &'a str,
    /// The SAM resource the user wrote (for an implicit API, the function
    /// whose event asked for it).
    written: WrittenResource,
    header: Span,
    body_span: Span,
    type_span: Span,
    props_span: Span,
    /// `Condition` and `Metadata` of the SAM resource, carried to each
    /// resource it becomes (so suppressions written on it apply to them).
    condition: Option<Entry>,
    metadata: Option<Entry>,
}

impl Source<'_> {
    fn resource(&self, resource_type: &str, address: String, props: Vec<Entry>) -> Resource {
        let mut entries = vec![entry("Type", string(resource_type, self.type_span))];
        entries.extend(self.condition.clone());
        entries.extend(self.metadata.clone());
        entries.push(entry("Properties", map(props, self.props_span)));
        Resource {
            framework: Framework::Cloudformation,
            resource_type: resource_type.to_string(),
            address,
            is_data: false,
            body: map(entries, self.body_span),
            header: self.header,
            generated_by: Some(self.written.clone()),
        }
    }
}

impl<'d> Sam<'d> {
    pub(super) fn new(doc: &'d Node) -> Self {
        let stages = match doc.get("Resources").map(|r| &r.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .filter(|e| {
                    e.value.get("Type").and_then(Node::as_str) == Some("AWS::Serverless::Api")
                })
                .filter_map(|e| {
                    let stage = e.value.get("Properties")?.get("StageName")?.as_str()?;
                    Some((e.key.as_str(), stage.to_string()))
                })
                .collect(),
            _ => Vec::new(),
        };
        let globals = doc.get("Globals");
        let apis = match doc.get("Resources").map(|r| &r.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .filter_map(|e| {
                    let section = match e.value.get("Type").and_then(Node::as_str)? {
                        "AWS::Serverless::Api" => "Api",
                        "AWS::Serverless::HttpApi" => "HttpApi",
                        _ => return None,
                    };
                    let global = globals.and_then(|g| g.get(section));
                    let props = merge(global, e.value.get("Properties"))
                        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), e.value.span));
                    Some((e.key.as_str(), props))
                })
                .collect(),
            _ => Vec::new(),
        };
        Sam {
            globals,
            implicit_rest: None,
            implicit_http: None,
            stages,
            apis,
        }
    }

    fn global(&self, section: &str) -> Option<&'d Node> {
        self.globals.and_then(|g| g.get(section))
    }

    /// The resources one SAM resource becomes (itself, unchanged, for types
    /// this transform does not model).
    pub(super) fn expand(&mut self, resource: &Entry, resolver: &mut Resolver) -> Vec<Resource> {
        let raw = &resource.value;
        let resource_type = raw.get("Type").and_then(Node::as_str).unwrap_or("");
        let section = resource_type
            .strip_prefix("AWS::Serverless::")
            .unwrap_or("");
        let global = match section {
            "Function" | "Api" | "HttpApi" | "SimpleTable" | "StateMachine" => self.global(section),
            _ => None,
        };
        let merged = merge(global, raw.get("Properties"));
        let raw_body = with_entry(raw, "Properties", merged);
        let body = resolver
            .resolve(&raw_body)
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), raw.span));
        let empty = Node::new(Value::Map(Vec::new()), raw.span);
        let props = body.get("Properties").unwrap_or(&empty);
        let source = Source {
            id: &resource.key,
            written: WrittenResource {
                address: resource.key.clone(),
                resource_type: resource_type.to_string(),
            },
            header: resource.key_span,
            body_span: body.span,
            type_span: body.get("Type").map_or(raw.span, |t| t.span),
            props_span: props.span,
            condition: body.entry("Condition").cloned(),
            metadata: body.entry("Metadata").cloned(),
        };
        match section {
            "Function" => self.function(&source, props, resolver),
            "Api" => rest_api(&source, props),
            "HttpApi" => http_api(&source, props),
            "SimpleTable" => vec![simple_table(&source, props)],
            "StateMachine" => state_machine(&source, props, resolver),
            _ => vec![Resource {
                framework: Framework::Cloudformation,
                resource_type: resource_type.to_string(),
                address: resource.key.clone(),
                is_data: false,
                body,
                header: resource.key_span,
                generated_by: None,
            }],
        }
    }

    /// The implicit APIs events asked for, configured by `Globals`.
    pub(super) fn finish(self, resolver: &mut Resolver) -> Vec<Resource> {
        let mut out = Vec::new();
        if let Some(implicit) = &self.implicit_rest {
            let span = implicit.event;
            let props = self.implicit_props("Api", span, resolver);
            let source = implicit.source("ServerlessRestApi");
            // The implicit API's stage is always `Prod`.
            let props = with_entry(&props, "StageName", Some(string("Prod", span)));
            out.extend(rest_api(&source, &props));
        }
        if let Some(implicit) = &self.implicit_http {
            let props = self.implicit_props("HttpApi", implicit.event, resolver);
            let source = implicit.source("ServerlessHttpApi");
            out.extend(http_api(&source, &props));
        }
        out
    }

    fn implicit_props(&self, section: &str, span: Span, resolver: &mut Resolver) -> Node {
        self.global(section)
            .and_then(|g| resolver.resolve(g))
            .filter(|g| matches!(g.value, Value::Map(_)))
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), span))
    }

    /// `AWS::Serverless::Function`: the function, its role, its URL, and
    /// the permissions and implicit APIs of its `Api`/`HttpApi` events.
    fn function(
        &mut self,
        source: &Source,
        props: &Node,
        resolver: &mut Resolver,
    ) -> Vec<Resource> {
        let id = source.id;
        let mut out = Vec::new();
        let mut lambda: Vec<Entry> = FUNCTION_PROPERTIES
            .iter()
            .filter_map(|key| props.entry(key).cloned())
            .collect();
        if let Some(code) = function_code(props) {
            lambda.push(code);
        }
        if let Some(e) = props.entry("Tracing") {
            lambda.push(Entry {
                key: "TracingConfig".into(),
                key_span: e.key_span,
                value: map(vec![entry("Mode", e.value.clone())], e.value.span),
            });
        }
        if let Some(e) = props.entry("DeadLetterQueue") {
            if let Some(target) = e.value.get("TargetArn") {
                lambda.push(Entry {
                    key: "DeadLetterConfig".into(),
                    key_span: e.key_span,
                    value: map(vec![entry("TargetArn", target.clone())], e.value.span),
                });
            }
        }
        lambda.push(tags(props, Some("lambda:createdBy"), source.header));
        match props.entry("Role") {
            Some(role) => lambda.push(role.clone()),
            None => {
                lambda.push(entry(
                    "Role",
                    ref_node(&format!("{id}Role"), Some("Arn".into()), source.header),
                ));
                let mut managed = vec!["AWSLambdaBasicExecutionRole"];
                if props.get("VpcConfig").is_some() {
                    managed.push("AWSLambdaVPCAccessExecutionRole");
                }
                if props.get("Tracing").and_then(Node::as_str) == Some("Active") {
                    managed.push("AWSXrayWriteOnlyAccess");
                }
                out.push(execution_role(
                    source,
                    props,
                    "lambda.amazonaws.com",
                    &managed,
                    resolver,
                ));
            }
        }
        out.insert(
            0,
            source.resource("AWS::Lambda::Function", id.to_string(), lambda),
        );

        if let Some(config) = props.get("FunctionUrlConfig") {
            out.extend(function_url(source, config));
        }
        let implicit = |event: &Entry| ImplicitApi {
            event: event.key_span,
            condition: source.condition.clone(),
            function: source.written.clone(),
        };
        if let Some(Value::Map(events)) = props.get("Events").map(|e| &e.value) {
            for event in events {
                let kind = event.value.get("Type").and_then(Node::as_str);
                let event_props = event.value.get("Properties");
                let has = |key: &str| event_props.and_then(|p| p.get(key)).is_some();
                let target = |key: &str| {
                    event_props
                        .and_then(|p| p.get(key))
                        .and_then(|r| match &r.value {
                            Value::Ref(r) => Some(r.target.clone()),
                            _ => None,
                        })
                };
                let (suffix, api) = match kind {
                    Some("Api") if !has("RestApiId") => {
                        self.implicit_rest.get_or_insert_with(|| implicit(event));
                        ("Prod".to_string(), Some("ServerlessRestApi".to_string()))
                    }
                    Some("Api") => {
                        let api = target("RestApiId");
                        let suffix = self
                            .stages
                            .iter()
                            .find(|(name, _)| Some(*name) == api.as_deref())
                            .map(|(_, stage)| stage.clone())
                            .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
                            .unwrap_or_default();
                        (suffix, api)
                    }
                    Some("HttpApi") if !has("ApiId") => {
                        self.implicit_http.get_or_insert_with(|| implicit(event));
                        (String::new(), Some("ServerlessHttpApi".to_string()))
                    }
                    Some("HttpApi") => (String::new(), target("ApiId")),
                    _ => continue,
                };
                let span = event.value.span;
                let permission = vec![
                    entry("Action", string("lambda:InvokeFunction", span)),
                    entry("FunctionName", ref_node(id, None, span)),
                    entry("Principal", string("apigateway.amazonaws.com", span)),
                    entry("SourceArn", unknown(span, "execute-api ARN")),
                ];
                let event_source = Source {
                    header: event.key_span,
                    body_span: span,
                    props_span: span,
                    ..source.clone()
                };
                out.push(event_source.resource(
                    "AWS::Lambda::Permission",
                    format!("{id}{}Permission{suffix}", event.key),
                    permission,
                ));
                let http = kind == Some("HttpApi");
                let settings = self.api_settings(api.as_deref(), http, resolver);
                out.push(api_method(&event_source, event, api, settings, http));
            }
        }
        out
    }

    /// What a method of API `api` inherits: its resolved `Auth`, and
    /// whether it has a definition document of its own (which may secure
    /// the method itself). `None` when `api` is not a SAM API of the
    /// template (not known).
    fn api_settings(
        &self,
        api: Option<&str>,
        http: bool,
        resolver: &mut Resolver,
    ) -> Option<ApiSettings> {
        let api = api?;
        let implicit = if http {
            "ServerlessHttpApi"
        } else {
            "ServerlessRestApi"
        };
        let props = match self.apis.iter().find(|(id, _)| *id == api) {
            Some((_, props)) => Some(props),
            None if api == implicit => None,
            None => return None,
        };
        let section = if http { "HttpApi" } else { "Api" };
        let get = |key: &str| match props {
            Some(props) => props.get(key),
            None => self.global(section).and_then(|g| g.get(key)),
        };
        Some(ApiSettings {
            auth: get("Auth").and_then(|auth| resolver.resolve(auth)),
            defined: get("DefinitionBody").is_some() || get("DefinitionUri").is_some(),
        })
    }
}

/// What an API gives the methods its events add.
struct ApiSettings {
    auth: Option<Node>,
    defined: bool,
}

/// An `Api` event's method as `AWS::ApiGateway::Method`, an `HttpApi`
/// event's route as `AWS::ApiGatewayV2::Route`. SAM writes them into the
/// API's generated OpenAPI document rather than as resources; modelled as
/// the resources that configure the same thing, so the method rules read
/// them. Named `<Api> <METHOD> <path>` (not a logical ID: SAM makes none).
fn api_method(
    source: &Source,
    event: &Entry,
    api: Option<String>,
    settings: Option<ApiSettings>,
    http: bool,
) -> Resource {
    let span = event.value.span;
    let at = event.key_span;
    let props = event.value.get("Properties");
    let field = |key: &str| props.and_then(|p| p.get(key));
    let auth = field("Auth");
    let method = field("Method");
    let verb = match method.map(|m| &m.value) {
        Some(Value::String(m)) if m.eq_ignore_ascii_case("any") => "ANY".to_string(),
        Some(Value::String(m)) => m.to_ascii_uppercase(),
        _ => String::new(),
    };
    let path = field("Path").and_then(Node::as_str).unwrap_or("");
    let api_name = api.as_deref().unwrap_or("?");
    let mut entries = Vec::new();
    let address = if http {
        let route_key = match (verb.as_str(), path) {
            ("", "") => "$default".to_string(),
            (verb, path) => format!("{} {path}", if verb.is_empty() { "ANY" } else { verb }),
        };
        entries.push(entry("ApiId", api_ref(api.as_deref(), span)));
        entries.push(entry("RouteKey", string(&route_key, span)));
        format!("{api_name} {route_key}")
    } else {
        entries.push(entry("RestApiId", api_ref(api.as_deref(), span)));
        entries.push(entry(
            "HttpMethod",
            match method {
                Some(m) if !verb.is_empty() => string(&verb, m.span),
                _ => unknown(span, "Method"),
            },
        ));
        entries.push(entry(
            "ResourceId",
            unknown(span, "API resource of the path"),
        ));
        format!("{api_name} {verb} {path}")
    };
    let api_auth = settings.as_ref().and_then(|s| s.auth.as_ref());
    let authorizer = auth
        .and_then(|a| a.get("Authorizer"))
        .or_else(|| api_auth.and_then(|a| a.get("DefaultAuthorizer")));
    let authorization = match (authorizer, &settings) {
        (Some(name), _) => authorization_type(name, api_auth, http),
        // No authorizer anywhere: SAM writes no security for the method,
        // unless the API's own definition document has it.
        (None, Some(settings)) if !settings.defined => string("NONE", at),
        (None, _) => unknown(at, "authorization of a method SAM did not define"),
    };
    entries.push(entry("AuthorizationType", authorization));
    if !http {
        let required = auth
            .and_then(|a| a.get("ApiKeyRequired"))
            .or_else(|| api_auth.and_then(|a| a.get("ApiKeyRequired")));
        if let Some(required) = required {
            entries.push(entry("ApiKeyRequired", required.clone()));
        }
    }
    if let Some(scopes) = auth.and_then(|a| a.entry("AuthorizationScopes")) {
        entries.push(scopes.clone());
    }
    let resource_type = if http {
        "AWS::ApiGatewayV2::Route"
    } else {
        "AWS::ApiGateway::Method"
    };
    source.resource(resource_type, address, entries)
}

/// `Ref` to the API, or unknown when the event names none SAM can read.
fn api_ref(api: Option<&str>, span: Span) -> Node {
    match api {
        Some(api) => ref_node(api, None, span),
        None => unknown(span, "API of the event"),
    }
}

/// The authorization type an authorizer name gives a method: `NONE` and
/// `AWS_IAM` as written; an authorizer of the API's `Auth.Authorizers` by
/// its kind (a Cognito user pool, a JWT issuer, a Lambda function); unknown
/// otherwise. It keeps the span of the name, where a finding points.
fn authorization_type(name: &Node, api_auth: Option<&Node>, http: bool) -> Node {
    let span = name.span;
    let Some(text) = name.as_str() else {
        return unknown(span, "authorizer");
    };
    let kind = match text {
        "NONE" => "NONE",
        "AWS_IAM" => "AWS_IAM",
        _ => {
            let Some(authorizer) = api_auth
                .and_then(|a| a.get("Authorizers"))
                .and_then(|a| a.get(text))
            else {
                return unknown(span, "authorizer not defined on the API");
            };
            if authorizer.get("FunctionArn").is_some() {
                "CUSTOM"
            } else if http && authorizer.get("JwtConfiguration").is_some() {
                "JWT"
            } else if !http && authorizer.get("UserPoolArn").is_some() {
                "COGNITO_USER_POOLS"
            } else {
                return unknown(span, "authorizer kind");
            }
        }
    };
    let mut node = string(kind, span);
    node.origins = name.origins.clone();
    node
}

impl ImplicitApi {
    fn source<'a>(&self, id: &'a str) -> Source<'a> {
        let span = self.event;
        Source {
            id,
            written: self.function.clone(),
            header: span,
            body_span: span,
            type_span: span,
            props_span: span,
            condition: self.condition.clone(),
            metadata: None,
        }
    }
}

/// `CodeUri` (an `s3://` URI or `{Bucket, Key, Version}`), `InlineCode` or
/// `ImageUri` as the function's `Code`.
fn function_code(props: &Node) -> Option<Entry> {
    let code = |key_span: Span, entries: Vec<Entry>, span: Span| Entry {
        key: "Code".into(),
        key_span,
        value: map(entries, span),
    };
    if let Some(e) = props.entry("InlineCode") {
        return Some(code(
            e.key_span,
            vec![entry("ZipFile", e.value.clone())],
            e.value.span,
        ));
    }
    if let Some(e) = props.entry("ImageUri") {
        return Some(code(
            e.key_span,
            vec![entry("ImageUri", e.value.clone())],
            e.value.span,
        ));
    }
    let e = props.entry("CodeUri")?;
    let span = e.value.span;
    let entries = match &e.value.value {
        Value::String(uri) => match parse_s3_uri(uri) {
            Some((bucket, key, version)) => {
                let mut entries = vec![
                    entry("S3Bucket", string(&bucket, span)),
                    entry("S3Key", string(&key, span)),
                ];
                if let Some(version) = version {
                    entries.push(entry("S3ObjectVersion", string(&version, span)));
                }
                entries
            }
            // A local path: `sam package` uploads it.
            None => vec![
                entry("S3Bucket", unknown(span, "uploaded by sam package")),
                entry("S3Key", unknown(span, "uploaded by sam package")),
            ],
        },
        Value::Map(_) => [
            ("Bucket", "S3Bucket"),
            ("Key", "S3Key"),
            ("Version", "S3ObjectVersion"),
        ]
        .iter()
        .filter_map(|(from, to)| Some(entry(to, e.value.get(from)?.clone())))
        .collect(),
        _ => vec![
            entry("S3Bucket", unknown(span, "CodeUri")),
            entry("S3Key", unknown(span, "CodeUri")),
        ],
    };
    Some(code(e.key_span, entries, span))
}

/// `s3://bucket/key?versionId=v`.
fn parse_s3_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    let (key, version) = match key.split_once("?versionId=") {
        Some((key, version)) => (key, Some(version.to_string())),
        None => (key, None),
    };
    Some((bucket.to_string(), key.to_string(), version))
}

/// `<Id>Role`, as SAM builds it for a function or state machine without a
/// `Role`: the trust policy, SAM's managed policies and those named in
/// `Policies`, and one inline policy `<Id>RolePolicy<N>` per statement
/// document in `Policies` (N its index there).
fn execution_role(
    source: &Source,
    props: &Node,
    service: &str,
    managed_defaults: &[&str],
    resolver: &mut Resolver,
) -> Resource {
    let id = source.id;
    let header = source.header;
    let mut entries = Vec::new();
    let trust = match props.entry("AssumeRolePolicyDocument") {
        Some(e) => e.value.clone(),
        None => trust_policy(service, header),
    };
    entries.push(entry("AssumeRolePolicyDocument", trust));
    let mut managed: Vec<Node> = managed_defaults
        .iter()
        .map(|name| managed_policy_arn(name, header, resolver))
        .collect();
    let mut inline = Vec::new();
    if let Some(policies) = props.get("Policies") {
        let items = match &policies.value {
            Value::List(items) => items.as_slice(),
            _ => std::slice::from_ref(policies),
        };
        for (index, item) in items.iter().enumerate() {
            let name = || string(&format!("{id}RolePolicy{index}"), item.span);
            match &item.value {
                Value::String(name) => managed.push(match name.starts_with("arn:") {
                    true => item.clone(),
                    false => managed_policy_arn(name, item.span, resolver),
                }),
                // A customer managed policy of the template.
                Value::Ref(_) => managed.push(item.clone()),
                Value::Map(_) if item.get("Statement").is_some() => inline.push(map(
                    vec![
                        entry("PolicyName", name()),
                        entry("PolicyDocument", item.clone()),
                    ],
                    item.span,
                )),
                // A policy template ({S3CrudPolicy: {...}}): the statements
                // SAM writes for it.
                Value::Map(_) => {
                    if let Some(document) = policy_template(item, resolver) {
                        inline.push(map(
                            vec![
                                entry("PolicyName", name()),
                                entry("PolicyDocument", document),
                            ],
                            item.span,
                        ));
                    }
                }
                // Not known before deploy: a document or an ARN, either way
                // nothing is decided on it.
                _ => inline.push(map(
                    vec![
                        entry("PolicyName", name()),
                        entry("PolicyDocument", item.clone()),
                    ],
                    item.span,
                )),
            }
        }
    }
    let policies_span = props.get("Policies").map_or(header, |p| p.span);
    entries.push(entry("ManagedPolicyArns", list(managed, header)));
    if !inline.is_empty() {
        entries.push(Entry {
            key: "Policies".into(),
            key_span: props.entry("Policies").map_or(header, |e| e.key_span),
            value: list(inline, policies_span),
        });
    }
    if let Some(e) = props.entry("PermissionsBoundary") {
        entries.push(e.clone());
    }
    if let Some(e) = props.entry("RolePath") {
        entries.push(Entry {
            key: "Path".into(),
            ..e.clone()
        });
    }
    let created_by = match service {
        "states.amazonaws.com" => "stateMachine:createdBy",
        _ => "lambda:createdBy",
    };
    entries.push(tags(props, Some(created_by), header));
    source.resource("AWS::IAM::Role", format!("{id}Role"), entries)
}

/// The policy document SAM writes for a policy template entry
/// `{Name: {Parameter: value, ...}}`: one Allow statement per grant, each
/// resource the template's ARN pattern with the parameters substituted as
/// CloudFormation substitutes them (`Fn::Sub`), so a parameter not known
/// before deploy leaves that resource unknown. Template-made parts point at
/// the template's name, resources at the parameter they use. `None` for a
/// name that is not a policy template: SAM rejects it, and there is nothing
/// to check (a note says so).
fn policy_template(item: &Node, resolver: &mut Resolver) -> Option<Node> {
    let Value::Map(entries) = &item.value else {
        return None;
    };
    let [call] = entries.as_slice() else {
        resolver.notes.push(UnitError {
            file: item.span.file,
            span: Some(item.span),
            message: "a `Policies` entry that is neither a statement document nor one policy template is not checked (SAM rejects it)".into(),
        });
        return None;
    };
    let at = call.key_span;
    let Some(template) = PolicyTemplate::find(&call.key) else {
        resolver.notes.push(UnitError {
            file: at.file,
            span: Some(at),
            message: format!(
                "`{}` is not a SAM policy template demarc knows; its permissions are not checked",
                call.key
            ),
        });
        return None;
    };
    let values = &call.value;
    let mut variables = Vec::new();
    for name in template.parameters() {
        let value = match &values.value {
            Value::Map(_) => values.get(name).cloned().unwrap_or_else(|| {
                resolver.notes.push(UnitError {
                    file: at.file,
                    span: Some(at),
                    message: format!("policy template `{}` needs `{name}` (SAM rejects it without); the resources it names are unknown", template.name),
                });
                unknown(at, &format!("{name} of {} not given", template.name))
            }),
            // Not known before deploy (or not a map, which SAM rejects).
            _ => unknown(values.span, &format!("parameters of {}", template.name)),
        };
        variables.push((name, value));
    }
    let substitute = |pattern: &'static str, resolver: &mut Resolver| {
        if pattern == "*" {
            return string(pattern, at);
        }
        let used: Vec<&(&str, Node)> = variables
            .iter()
            .filter(|(name, _)| policy_templates::placeholders(pattern).any(|p| p == *name))
            .collect();
        let span = used.first().map_or(at, |(_, value)| value.span);
        let vars = used
            .iter()
            .map(|(name, value)| entry(name, value.clone()))
            .collect();
        let sub = map(
            vec![entry(
                "Fn::Sub",
                list(
                    vec![
                        string(&policy_templates::sub_template(pattern), span),
                        map(vars, span),
                    ],
                    span,
                ),
            )],
            span,
        );
        resolver
            .resolve(&sub)
            .unwrap_or_else(|| unknown(span, template.name))
    };
    let statements = template
        .grants
        .iter()
        .map(|grant| {
            let actions = grant.actions.iter().map(|a| string(a, at)).collect();
            let resources = grant
                .resources
                .iter()
                .map(|r| substitute(r, resolver))
                .collect();
            let mut statement = vec![
                entry("Effect", string("Allow", at)),
                entry("Action", list(actions, at)),
                entry("Resource", list(resources, at)),
            ];
            if let Some((operator, key, pattern)) = grant.condition {
                let test = map(vec![entry(key, substitute(pattern, resolver))], at);
                statement.push(entry("Condition", map(vec![entry(operator, test)], at)));
            }
            map(statement, at)
        })
        .collect();
    Some(map(
        vec![entry("Statement", list(statements, at))],
        item.span,
    ))
}

/// `arn:${AWS::Partition}:iam::aws:policy/<Name>` (under `service-role/`
/// for the Lambda execution policies), resolved as SAM writes it.
fn managed_policy_arn(name: &str, span: Span, resolver: &mut Resolver) -> Node {
    let path = if SERVICE_ROLE_POLICIES.contains(&name) {
        "service-role/"
    } else {
        ""
    };
    let sub = map(
        vec![entry(
            "Fn::Sub",
            string(
                &format!("arn:${{AWS::Partition}}:iam::aws:policy/{path}{name}"),
                span,
            ),
        )],
        span,
    );
    resolver
        .resolve(&sub)
        .unwrap_or_else(|| unknown(span, name))
}

fn trust_policy(service: &str, span: Span) -> Node {
    let statement = map(
        vec![
            entry("Effect", string("Allow", span)),
            entry(
                "Principal",
                map(
                    vec![entry("Service", list(vec![string(service, span)], span))],
                    span,
                ),
            ),
            entry("Action", list(vec![string("sts:AssumeRole", span)], span)),
        ],
        span,
    );
    map(
        vec![
            entry("Version", string("2012-10-17", span)),
            entry("Statement", list(vec![statement], span)),
        ],
        span,
    )
}

/// `FunctionUrlConfig`: `<Id>Url`, and with `AuthType: NONE` the public
/// permission `<Id>UrlPublicPermissions` (pointing at the `AuthType`).
fn function_url(source: &Source, config: &Node) -> Vec<Resource> {
    let id = source.id;
    let span = config.span;
    let mut url: Vec<Entry> = ["AuthType", "Cors", "InvokeMode"]
        .iter()
        .filter_map(|k| config.entry(k).cloned())
        .collect();
    url.push(entry("TargetFunctionArn", ref_node(id, None, span)));
    let url_source = Source {
        body_span: span,
        props_span: span,
        ..source.clone()
    };
    let mut out = vec![url_source.resource("AWS::Lambda::Url", format!("{id}Url"), url)];
    if let Some(auth) = config
        .get("AuthType")
        .filter(|a| a.as_str() == Some("NONE"))
    {
        let at = auth.span;
        out.push(url_source.resource(
            "AWS::Lambda::Permission",
            format!("{id}UrlPublicPermissions"),
            vec![
                entry("Action", string("lambda:InvokeFunctionUrl", at)),
                entry("FunctionName", ref_node(id, None, at)),
                entry("FunctionUrlAuthType", string("NONE", at)),
                entry("Principal", string("*", at)),
            ],
        ));
    }
    out
}

/// `AWS::Serverless::Api` (or the implicit `ServerlessRestApi`): the REST
/// API, its stage, and its custom domain.
fn rest_api(source: &Source, props: &Node) -> Vec<Resource> {
    let id = source.id;
    let mut api: Vec<Entry> = REST_API_PROPERTIES
        .iter()
        .filter_map(|k| props.entry(k).cloned())
        .collect();
    if let Some(e) = props.entry("DefinitionBody") {
        api.push(renamed(e, "Body"));
    }
    if let Some(e) = props.entry("DefinitionUri") {
        api.push(body_s3_location(e));
    }
    if let Some(e) = props.entry("EndpointConfiguration") {
        api.push(endpoint_configuration(e));
    }
    let mut out = vec![source.resource("AWS::ApiGateway::RestApi", id.to_string(), api)];

    let stage_name = props.get("StageName");
    let mut stage: Vec<Entry> = vec![entry("RestApiId", ref_node(id, None, source.header))];
    stage.extend(
        REST_STAGE_PROPERTIES
            .iter()
            .filter_map(|k| props.entry(k).cloned()),
    );
    stage.push(tags(props, None, source.header));
    out.push(source.resource(
        "AWS::ApiGateway::Stage",
        stage_id(id, stage_name.and_then(Node::as_str), None),
        stage,
    ));

    if let Some(domain) = props.get("Domain") {
        let span = domain.span;
        let endpoint = domain
            .get("EndpointConfiguration")
            .and_then(Node::as_str)
            .unwrap_or("REGIONAL");
        let mut entries: Vec<Entry> = [
            "DomainName",
            "SecurityPolicy",
            "MutualTlsAuthentication",
            "OwnershipVerificationCertificateArn",
        ]
        .iter()
        .filter_map(|k| domain.entry(k).cloned())
        .collect();
        if let Some(e) = domain.entry("CertificateArn") {
            let key = if endpoint == "EDGE" {
                "CertificateArn"
            } else {
                "RegionalCertificateArn"
            };
            entries.push(renamed(e, key));
        }
        entries.push(entry(
            "EndpointConfiguration",
            map(
                vec![entry("Types", list(vec![string(endpoint, span)], span))],
                span,
            ),
        ));
        let domain_source = Source {
            body_span: span,
            props_span: span,
            ..source.clone()
        };
        out.push(domain_source.resource(
            "AWS::ApiGateway::DomainName",
            format!("ApiGatewayDomainName{}", domain_hash(domain)),
            entries,
        ));
    }
    out
}

/// `AWS::Serverless::HttpApi` (or the implicit `ServerlessHttpApi`): the
/// HTTP API, its stage, and its custom domain.
fn http_api(source: &Source, props: &Node) -> Vec<Resource> {
    let id = source.id;
    let header = source.header;
    let mut api: Vec<Entry> = HTTP_API_PROPERTIES
        .iter()
        .filter_map(|k| props.entry(k).cloned())
        .collect();
    api.push(entry("ProtocolType", string("HTTP", header)));
    if let Some(e) = props.entry("DefinitionBody") {
        api.push(renamed(e, "Body"));
    }
    if let Some(e) = props.entry("DefinitionUri") {
        api.push(body_s3_location(e));
    }
    let mut out = vec![source.resource("AWS::ApiGatewayV2::Api", id.to_string(), api)];

    let stage_name = props
        .entry("StageName")
        .cloned()
        .unwrap_or_else(|| entry("StageName", string("$default", header)));
    let mut stage: Vec<Entry> = vec![entry("ApiId", ref_node(id, None, header))];
    stage.extend(
        HTTP_STAGE_PROPERTIES
            .iter()
            .filter_map(|k| props.entry(k).cloned()),
    );
    stage.push(entry("AutoDeploy", Node::new(Value::Bool(true), header)));
    let address = stage_id(id, stage_name.value.as_str(), Some("$default"));
    stage.push(stage_name);
    out.push(source.resource("AWS::ApiGatewayV2::Stage", address, stage));

    if let Some(domain) = props.get("Domain") {
        let span = domain.span;
        let mut configuration = vec![entry(
            "EndpointType",
            domain
                .get("EndpointConfiguration")
                .cloned()
                .unwrap_or_else(|| string("REGIONAL", span)),
        )];
        configuration.extend(
            [
                "CertificateArn",
                "SecurityPolicy",
                "OwnershipVerificationCertificateArn",
            ]
            .iter()
            .filter_map(|k| domain.entry(k).cloned()),
        );
        let mut entries: Vec<Entry> = ["DomainName", "MutualTlsAuthentication"]
            .iter()
            .filter_map(|k| domain.entry(k).cloned())
            .collect();
        entries.push(entry(
            "DomainNameConfigurations",
            list(vec![map(configuration, span)], span),
        ));
        let domain_source = Source {
            body_span: span,
            props_span: span,
            ..source.clone()
        };
        out.push(domain_source.resource(
            "AWS::ApiGatewayV2::DomainName",
            format!("ApiGatewayDomainNameV2{}", domain_hash(domain)),
            entries,
        ));
    }
    out
}

/// The stage's logical ID as SAM derives it from the stage name.
fn stage_id(api: &str, stage: Option<&str>, default_stage: Option<&str>) -> String {
    let name = stage.unwrap_or("");
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric()) {
        format!("{api}{name}Stage")
    } else if default_stage.is_some_and(|d| d == name) {
        format!("{api}ApiGatewayDefaultStage")
    } else if name.is_empty() {
        format!("{api}Stage")
    } else {
        format!("{api}Stage{}", &sha1_hex(name.as_bytes())[..10])
    }
}

/// The hash SAM appends to a custom domain's logical ID: the SHA-1 of the
/// domain name (its JSON text when it is not a plain string).
fn domain_hash(domain: &Node) -> String {
    let text = match domain.get("DomainName") {
        Some(name) => match &name.value {
            Value::String(s) => s.clone(),
            _ => name.value.display(),
        },
        None => String::new(),
    };
    if text.is_empty() {
        return String::new();
    }
    sha1_hex(text.as_bytes())[..10].to_string()
}

/// `AWS::Serverless::SimpleTable` → `AWS::DynamoDB::Table`.
fn simple_table(source: &Source, props: &Node) -> Resource {
    let header = source.header;
    let mut table: Vec<Entry> = [
        "TableName",
        "SSESpecification",
        "PointInTimeRecoverySpecification",
        "ProvisionedThroughput",
    ]
    .iter()
    .filter_map(|k| props.entry(k).cloned())
    .collect();
    let key = props.get("PrimaryKey");
    let span = key.map_or(header, |k| k.span);
    let name = key
        .and_then(|k| k.get("Name").cloned())
        .unwrap_or_else(|| string("id", span));
    let kind = key.and_then(|k| k.get("Type"));
    let attribute_type = match kind.map(|k| &k.value) {
        Some(Value::String(t)) => match t.as_str() {
            "Number" => string("N", kind.expect("kind").span),
            "Binary" => string("B", kind.expect("kind").span),
            _ => string("S", kind.expect("kind").span),
        },
        Some(_) => unknown(span, "PrimaryKey.Type"),
        None => string("S", span),
    };
    table.push(entry(
        "AttributeDefinitions",
        list(
            vec![map(
                vec![
                    entry("AttributeName", name.clone()),
                    entry("AttributeType", attribute_type),
                ],
                span,
            )],
            span,
        ),
    ));
    table.push(entry(
        "KeySchema",
        list(
            vec![map(
                vec![
                    entry("AttributeName", name),
                    entry("KeyType", string("HASH", span)),
                ],
                span,
            )],
            span,
        ),
    ));
    if props.get("ProvisionedThroughput").is_none() {
        table.push(entry("BillingMode", string("PAY_PER_REQUEST", header)));
    }
    table.push(tags(props, None, header));
    source.resource("AWS::DynamoDB::Table", source.id.to_string(), table)
}

/// `AWS::Serverless::StateMachine` → `AWS::StepFunctions::StateMachine`,
/// with `<Id>Role` when it has no `Role`.
fn state_machine(source: &Source, props: &Node, resolver: &mut Resolver) -> Vec<Resource> {
    let id = source.id;
    let mut machine: Vec<Entry> = ["Definition", "DefinitionSubstitutions"]
        .iter()
        .filter_map(|k| props.entry(k).cloned())
        .collect();
    for (from, to) in [
        ("Logging", "LoggingConfiguration"),
        ("Tracing", "TracingConfiguration"),
        ("Name", "StateMachineName"),
        ("Type", "StateMachineType"),
    ] {
        if let Some(e) = props.entry(from) {
            machine.push(renamed(e, to));
        }
    }
    if let Some(e) = props.entry("DefinitionUri") {
        let mut location = body_s3_location(e);
        location.key = "DefinitionS3Location".into();
        machine.push(location);
    }
    machine.push(tags(props, None, source.header));
    let mut out = Vec::new();
    match props.entry("Role") {
        Some(role) => machine.push(renamed(role, "RoleArn")),
        None => {
            machine.push(entry(
                "RoleArn",
                ref_node(&format!("{id}Role"), Some("Arn".into()), source.header),
            ));
            out.push(execution_role(
                source,
                props,
                "states.amazonaws.com",
                &[],
                resolver,
            ));
        }
    }
    out.insert(
        0,
        source.resource("AWS::StepFunctions::StateMachine", id.to_string(), machine),
    );
    out
}

/// `DefinitionUri` as `BodyS3Location`: an `s3://` URI or `{Bucket, Key, Version}`.
fn body_s3_location(e: &Entry) -> Entry {
    let span = e.value.span;
    let value = match &e.value.value {
        Value::String(uri) => match parse_s3_uri(uri) {
            Some((bucket, key, version)) => {
                let mut entries = vec![
                    entry("Bucket", string(&bucket, span)),
                    entry("Key", string(&key, span)),
                ];
                if let Some(version) = version {
                    entries.push(entry("Version", string(&version, span)));
                }
                map(entries, span)
            }
            None => unknown(span, "uploaded by sam package"),
        },
        _ => e.value.clone(),
    };
    Entry {
        key: "BodyS3Location".into(),
        key_span: e.key_span,
        value,
    }
}

/// `EndpointConfiguration: REGIONAL` or `{Type, VPCEndpointIds}` as the
/// REST API's `{Types: [...], VpcEndpointIds}`.
fn endpoint_configuration(e: &Entry) -> Entry {
    let span = e.value.span;
    let value = match &e.value.value {
        Value::String(_) => map(
            vec![entry("Types", list(vec![e.value.clone()], span))],
            span,
        ),
        Value::Map(_) => {
            let mut entries = Vec::new();
            if let Some(t) = e.value.get("Type") {
                entries.push(entry("Types", list(vec![t.clone()], t.span)));
            }
            if let Some(ids) = e.value.entry("VPCEndpointIds") {
                entries.push(renamed(ids, "VpcEndpointIds"));
            }
            map(entries, span)
        }
        _ => e.value.clone(),
    };
    Entry { value, ..e.clone() }
}

/// SAM's `Tags` map as CloudFormation's `[{Key, Value}]` list, with SAM's
/// own tag when `created_by` names it.
fn tags(props: &Node, created_by: Option<&str>, header: Span) -> Entry {
    let mut items = Vec::new();
    if let Some(key) = created_by {
        items.push(map(
            vec![
                entry("Key", string(key, header)),
                entry("Value", string("SAM", header)),
            ],
            header,
        ));
    }
    let source = props.entry("Tags");
    match source.map(|e| &e.value.value) {
        Some(Value::Map(entries)) => {
            for e in entries {
                items.push(map(
                    vec![
                        Entry {
                            key: "Key".into(),
                            key_span: e.key_span,
                            value: string(&e.key, e.key_span),
                        },
                        entry("Value", e.value.clone()),
                    ],
                    e.key_span,
                ));
            }
        }
        Some(_) => items.push(source.expect("tags").value.clone()),
        None => {}
    }
    let span = source.map_or(header, |e| e.value.span);
    Entry {
        key: "Tags".into(),
        key_span: source.map_or(header, |e| e.key_span),
        value: list(items, span),
    }
}

/// `Globals` merged into a resource's properties as SAM merges them: maps
/// merge key by key (the resource wins), lists concatenate (globals first),
/// anything else the resource's value wins. An intrinsic function is a value,
/// not a map to merge.
pub(super) fn merge(global: Option<&Node>, local: Option<&Node>) -> Option<Node> {
    match (global, local) {
        (None, local) => local.cloned(),
        (Some(global), None) => Some(global.clone()),
        (Some(global), Some(local)) => Some(merge_nodes(global, local)),
    }
}

fn merge_nodes(global: &Node, local: &Node) -> Node {
    let intrinsic =
        |n: &Node| matches!(&n.value, Value::Map(e) if e.len() == 1 && is_intrinsic(&e[0]));
    match (&global.value, &local.value) {
        (Value::Map(g), Value::Map(l)) if !intrinsic(global) && !intrinsic(local) => {
            let mut entries: Vec<Entry> = l
                .iter()
                .map(|le| match g.iter().find(|ge| ge.key == le.key) {
                    Some(ge) => Entry {
                        value: merge_nodes(&ge.value, &le.value),
                        ..le.clone()
                    },
                    None => le.clone(),
                })
                .collect();
            entries.extend(
                g.iter()
                    .filter(|ge| !l.iter().any(|le| le.key == ge.key))
                    .cloned(),
            );
            Node {
                value: Value::Map(entries),
                span: local.span,
                origins: local.origins.clone(),
            }
        }
        (Value::List(g), Value::List(l)) => Node {
            value: Value::List(g.iter().chain(l).cloned().collect()),
            span: local.span,
            origins: local.origins.clone(),
        },
        _ => local.clone(),
    }
}

/// The map `node` with its `key` entry replaced (or removed when `None`).
fn with_entry(node: &Node, key: &str, value: Option<Node>) -> Node {
    let Value::Map(entries) = &node.value else {
        return node.clone();
    };
    let mut entries: Vec<Entry> = entries.clone();
    let position = entries.iter().position(|e| e.key == key);
    match (position, value) {
        (Some(i), Some(v)) => entries[i].value = v,
        (Some(i), None) => {
            entries.remove(i);
        }
        (None, Some(v)) => entries.push(Entry {
            key: key.to_string(),
            key_span: v.span,
            value: v,
        }),
        (None, None) => {}
    }
    Node {
        value: Value::Map(entries),
        ..node.clone()
    }
}

fn renamed(e: &Entry, key: &str) -> Entry {
    Entry {
        key: key.to_string(),
        ..e.clone()
    }
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_span: value.span,
        value,
    }
}

fn string(text: &str, span: Span) -> Node {
    Node::new(Value::String(text.to_string()), span)
}

fn map(entries: Vec<Entry>, span: Span) -> Node {
    Node::new(Value::Map(entries), span)
}

fn list(items: Vec<Node>, span: Span) -> Node {
    Node::new(Value::List(items), span)
}

/// SHA-1, hex-encoded: SAM derives some logical IDs from it.
fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest as _;
    sha1::Sha1::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_known_digests() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(&[b'a'; 1000]),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }

    #[test]
    fn stage_ids_follow_sam() {
        assert_eq!(stage_id("Api", Some("Prod"), None), "ApiProdStage");
        assert_eq!(
            stage_id("Http", Some("$default"), Some("$default")),
            "HttpApiGatewayDefaultStage"
        );
        assert_eq!(stage_id("Api", None, None), "ApiStage");
        assert!(stage_id("Api", Some("v1-beta"), None).starts_with("ApiStage"));
        assert_eq!(
            stage_id("Api", Some("v1-beta"), None).len(),
            "ApiStage".len() + 10
        );
    }

    #[test]
    fn s3_uris_split_into_bucket_key_and_version() {
        assert_eq!(
            parse_s3_uri("s3://b/path/k.zip?versionId=3"),
            Some(("b".into(), "path/k.zip".into(), Some("3".into())))
        );
        assert_eq!(parse_s3_uri("./src"), None);
    }
}
