//! `demarc lsp`: a Language Server on standard input and output.
//!
//! Each open Terraform or CloudFormation document is scanned as
//! `demarc scan FILE` scans it: with its module or template as context,
//! reporting what lies in it. Open buffers are read instead of the files on
//! disk (an [`Overlay`]), so diagnostics follow what is typed, not what was
//! saved. A change is scanned once the document has been quiet for
//! [`DEBOUNCE`]; opening and saving scan at once. Only the unit of the
//! document is scanned, never the repository around it.
//!
//! The server is synchronous (rust-analyzer's `lsp-server`): one thread
//! reads messages and scans; a scan of one unit takes milliseconds, so there
//! is nothing to gain from a runtime. Everything the server has to say goes
//! to the client (`window/logMessage`), never to standard output.

mod convert;

use super::{configured_rules, EXIT_CLEAN, EXIT_ERROR};
use crate::attribution::Attribution;
use crate::config::Config;
use crate::eval::cloudformation::CloudFormationOptions;
use crate::eval::terraform::TerraformOptions;
use crate::finding::{Finding, ScanResult};
use crate::model::ScanError;
use crate::read::Overlay;
use crate::rules::RuleSet;
use crate::scan::ScanOptions;
use convert::LineIndex;
use crossbeam_channel::{RecvTimeoutError, Sender};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeActionProviderCapability, Diagnostic, HoverProviderCapability, MessageType,
    PublishDiagnosticsParams, Range, SaveOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Url,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long a document must be left alone after a change before it is
/// scanned: long enough to skip the keystrokes of a word, short enough to
/// feel immediate.
const DEBOUNCE: Duration = Duration::from_millis(200);

#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// Read settings from FILE instead of the `.demarc.yaml` found above each document
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also load the rules in DIR; repeatable (default: `.demarc.yaml`'s `rules.dirs`)
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

pub fn run(args: LspArgs) -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = serde_json::to_value(capabilities()).expect("capabilities serialize");
    if let Err(e) = connection.initialize(capabilities) {
        eprintln!("error: demarc lsp: {e}");
        return EXIT_ERROR;
    }
    let attribution = match Attribution::embedded() {
        Ok(a) => a,
        Err(errors) => return super::print_config_errors(errors),
    };
    let served = Server {
        args,
        sender: connection.sender.clone(),
        attribution,
        documents: HashMap::new(),
        due: HashMap::new(),
        flagged: HashMap::new(),
        settings: HashMap::new(),
    }
    .serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match served.and(joined.map_err(|e| e.to_string())) {
        Ok(()) => EXIT_CLEAN,
        Err(message) => {
            eprintln!("error: demarc lsp: {message}");
            EXIT_ERROR
        }
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(true),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// An open document: its buffer and where it lives.
struct Document {
    path: PathBuf,
    text: Arc<str>,
    version: Option<i32>,
}

/// A published diagnostic's finding, for hover and code actions.
struct Flagged {
    range: Range,
    finding: Finding,
}

/// The rules and settings for the documents under one `.demarc.yaml` (or
/// none), and the config's modification time they were loaded at.
struct Settings {
    config: Config,
    rules: RuleSet,
    loaded_at: Option<SystemTime>,
}

struct Server {
    args: LspArgs,
    sender: Sender<Message>,
    attribution: Attribution,
    documents: HashMap<Url, Document>,
    /// Documents waiting to be scanned, and when.
    due: HashMap<Url, Instant>,
    flagged: HashMap<Url, Vec<Flagged>>,
    /// By config file path (`None`: no config).
    settings: HashMap<Option<PathBuf>, Arc<Settings>>,
}

impl Server {
    fn serve(mut self, connection: &Connection) -> Result<(), String> {
        loop {
            let next_due = self.due.values().min().copied();
            let message = match next_due {
                Some(due) => {
                    match connection
                        .receiver
                        .recv_timeout(due.saturating_duration_since(Instant::now()))
                    {
                        Ok(message) => Some(message),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
                None => match connection.receiver.recv() {
                    Ok(message) => Some(message),
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Some(Message::Request(request)) => {
                    if connection
                        .handle_shutdown(&request)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    self.on_request(request);
                }
                Some(Message::Notification(notification)) => self.on_notification(notification),
                Some(Message::Response(_)) | None => {}
            }
            self.scan_due();
        }
    }

    fn on_request(&mut self, request: Request) {
        let id = request.id.clone();
        let answer = match request.method.as_str() {
            HoverRequest::METHOD => request
                .extract::<lsp_types::HoverParams>(HoverRequest::METHOD)
                .map(|(_, params)| {
                    let at = params.text_document_position_params;
                    serde_json::to_value(self.hover(&at.text_document.uri, at.position))
                }),
            CodeActionRequest::METHOD => request
                .extract::<lsp_types::CodeActionParams>(CodeActionRequest::METHOD)
                .map(|(_, params)| {
                    serde_json::to_value(self.code_actions(&params.text_document.uri, params.range))
                }),
            _ => {
                let message = format!("demarc lsp does not answer {}", request.method);
                let code = lsp_server::ErrorCode::MethodNotFound as i32;
                return self.send(Message::Response(Response::new_err(id, code, message)));
            }
        };
        let response = match answer {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err(e)) => Response::new_err(
                id,
                lsp_server::ErrorCode::InternalError as i32,
                e.to_string(),
            ),
            Err(e) => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidParams as i32,
                format!("{e:?}"),
            ),
        };
        self.send(Message::Response(response));
    }

    /// The rule's documentation, over a flagged range.
    fn hover(&self, uri: &Url, position: lsp_types::Position) -> Option<lsp_types::Hover> {
        let flagged = self.flagged_at(uri, position)?;
        Some(lsp_types::Hover {
            contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                kind: lsp_types::MarkupKind::Markdown,
                value: convert::hover_markdown(&flagged.finding),
            }),
            range: Some(flagged.range),
        })
    }

    fn on_notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let document = params.text_document;
                    let uri = document.uri;
                    self.update(uri.clone(), Some(document.text), Some(document.version));
                    self.due.insert(uri, Instant::now());
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = notification.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) {
                    // Full sync: the last change holds the whole text.
                    let text = params.content_changes.into_iter().last().map(|c| c.text);
                    let uri = params.text_document.uri;
                    self.update(uri.clone(), text, Some(params.text_document.version));
                    self.due.insert(uri, Instant::now() + DEBOUNCE);
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidSaveTextDocumentParams>(DidSaveTextDocument::METHOD)
                {
                    let uri = params.text_document.uri;
                    if self.is_settings_file(&uri) {
                        // A changed `.demarc.yaml` or rule file: reload and rescan all.
                        self.settings.clear();
                        let now = Instant::now();
                        self.due
                            .extend(self.documents.keys().map(|u| (u.clone(), now)));
                    } else if self.documents.contains_key(&uri) {
                        let version = self.documents[&uri].version;
                        self.update(uri.clone(), params.text, version);
                        self.due.insert(uri, Instant::now());
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    let uri = params.text_document.uri;
                    self.documents.remove(&uri);
                    self.due.remove(&uri);
                    self.flagged.remove(&uri);
                    self.publish(uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    /// Records a document's text (when given) and version; a URI that is
    /// not a file is ignored.
    fn update(&mut self, uri: Url, text: Option<String>, version: Option<i32>) {
        let Ok(path) = uri.to_file_path() else {
            return;
        };
        match (self.documents.get_mut(&uri), text) {
            (Some(document), text) => {
                if let Some(text) = text {
                    document.text = Arc::from(text);
                }
                document.version = version;
            }
            (None, Some(text)) => {
                self.documents.insert(
                    uri,
                    Document {
                        path,
                        text: Arc::from(text),
                        version,
                    },
                );
            }
            (None, None) => {}
        }
    }

    fn is_settings_file(&self, uri: &Url) -> bool {
        let Ok(path) = uri.to_file_path() else {
            return false;
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        name == ".demarc.yaml"
            || name == ".demarc.yml"
            || self.settings.values().any(|s| {
                s.config
                    .rule_dirs
                    .iter()
                    .chain(&self.args.rule_dirs)
                    .any(|dir| path.starts_with(crate::repo::absolute(dir)))
            })
    }

    fn scan_due(&mut self) {
        let now = Instant::now();
        let ready: Vec<Url> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in ready {
            // Scanned already with a peer of its unit.
            if self.due.remove(&uri).is_some() {
                self.scan(&uri);
            }
        }
    }

    /// Scans the unit of `uri` and publishes the diagnostics of each of its
    /// open documents: one evaluation of a module serves every open file of
    /// it.
    fn scan(&mut self, uri: &Url) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let targets: Vec<Url> = if convert::is_terraform(&document.path) {
            let dir = document.path.parent();
            self.documents
                .iter()
                .filter(|(_, d)| convert::is_terraform(&d.path) && d.path.parent() == dir)
                .map(|(u, _)| u.clone())
                .collect()
        } else {
            vec![uri.clone()]
        };
        for target in &targets {
            self.due.remove(target);
        }
        let path = document.path.clone();
        let settings = match self.settings_for(&path) {
            Ok(settings) => settings,
            Err(errors) => {
                let message = errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n");
                self.log(MessageType::ERROR, message.clone());
                for target in targets {
                    let diagnostic = Diagnostic {
                        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
                        source: Some("demarc".into()),
                        message: format!("demarc cannot load its settings: {message}"),
                        ..Diagnostic::default()
                    };
                    let version = self.documents[&target].version;
                    self.publish(target, vec![diagnostic], version);
                }
                return;
            }
        };
        let config = &settings.config;
        let options = ScanOptions {
            paths: targets
                .iter()
                .map(|t| self.documents[t].path.clone())
                .collect(),
            terraform: TerraformOptions {
                var_files: config.var_files.clone(),
                vars: Vec::new(),
            },
            cloudformation: CloudFormationOptions {
                parameter_files: config.parameter_files.clone(),
                parameters: Vec::new(),
            },
            threads: Some(1),
            file_filter: config.filter.clone(),
            overlay: Overlay::new(
                self.documents
                    .values()
                    .map(|d| (d.path.clone(), d.text.clone())),
            ),
            ..ScanOptions::default()
        };
        let started = Instant::now();
        let result = crate::scan::scan(&options, &settings.rules, &self.attribution);
        self.log(
            MessageType::LOG,
            format!(
                "scanned {} in {:.1} ms: {} findings, {} errors",
                crate::discover::display_path(&path),
                started.elapsed().as_secs_f64() * 1000.0,
                result.findings.len(),
                result.errors.len()
            ),
        );
        for target in targets {
            let document = &self.documents[&target];
            let (diagnostics, flagged) = self.diagnostics(document, &result);
            let version = document.version;
            self.flagged.insert(target.clone(), flagged);
            self.publish(target, diagnostics, version);
        }
    }

    /// The diagnostics of one document: findings located in it (or whose
    /// value is set in it, as a tfvars entry), then errors and warnings.
    fn diagnostics(
        &self,
        document: &Document,
        result: &ScanResult,
    ) -> (Vec<Diagnostic>, Vec<Flagged>) {
        let index = LineIndex::new(&document.text);
        let here = convert::file_key(&document.path);
        let is_here = |file: &str| convert::file_key(Path::new(file)) == here;
        let mut diagnostics = Vec::new();
        let mut flagged = Vec::new();
        for finding in result.findings.iter().filter(|f| f.suppression.is_none()) {
            let at = if is_here(&finding.location.file) {
                &finding.location
            } else if let Some(step) = finding
                .provenance
                .iter()
                .find(|p| is_here(&p.location.file))
            {
                &step.location
            } else {
                continue;
            };
            let range = index.range(at.byte_start, at.byte_end);
            diagnostics.push(convert::finding_diagnostic(finding, range, |file| {
                self.text_of(file)
            }));
            flagged.push(Flagged {
                range,
                finding: finding.clone(),
            });
        }
        let problems = [
            (&result.errors, lsp_types::DiagnosticSeverity::ERROR),
            (&result.warnings, lsp_types::DiagnosticSeverity::WARNING),
        ];
        for (problems, severity) in problems {
            for problem in problems.iter().filter(|p| is_here(&p.file)) {
                diagnostics.push(problem_diagnostic(problem, severity, &index));
            }
        }
        (diagnostics, flagged)
    }

    /// The text of a file as the scan saw it: its buffer, else the disk's.
    fn text_of(&self, file: &Path) -> Option<Arc<str>> {
        let key = convert::file_key(file);
        self.documents
            .values()
            .find(|d| convert::file_key(&d.path) == key)
            .map(|d| d.text.clone())
            .or_else(|| crate::read::text(file, None).ok())
    }

    fn settings_for(&mut self, path: &Path) -> Result<Arc<Settings>, Vec<ScanError>> {
        // The document's directory: the document itself may not be on disk.
        let dir = path.parent().unwrap_or(path);
        let config_path = self
            .args
            .config
            .clone()
            .or_else(|| crate::config::find(dir));
        let modified = config_path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        if let Some(settings) = self.settings.get(&config_path) {
            if settings.loaded_at == modified {
                return Ok(settings.clone());
            }
        }
        let (config, rules) =
            configured_rules(dir, config_path.clone(), &self.args.rule_dirs, &[])?;
        let settings = Arc::new(Settings {
            config,
            rules,
            loaded_at: modified,
        });
        self.settings.insert(config_path, settings.clone());
        Ok(settings)
    }

    fn flagged_at(&self, uri: &Url, position: lsp_types::Position) -> Option<&Flagged> {
        self.flagged
            .get(uri)?
            .iter()
            .find(|f| f.range.start <= position && position <= f.range.end)
    }

    /// A quick fix per rule flagged in `range`: the suppression demarc
    /// reads, written where it covers the finding's resource.
    fn code_actions(&self, uri: &Url, range: Range) -> Vec<lsp_types::CodeActionOrCommand> {
        let Some(flagged) = self.flagged.get(uri) else {
            return Vec::new();
        };
        let mut seen = Vec::new();
        let mut actions = Vec::new();
        for f in flagged
            .iter()
            .filter(|f| f.range.start <= range.end && range.start <= f.range.end)
        {
            let resource = &f.finding.resource_location;
            let key = (
                f.finding.rule.id.clone(),
                resource.file.clone(),
                resource.start_line,
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let file = crate::repo::absolute(Path::new(&resource.file));
            let Some(text) = self.text_of(&file) else {
                continue;
            };
            let (Some(edit), Ok(target)) = (
                convert::suppression_edit(&f.finding, &file, &text),
                Url::from_file_path(&file),
            ) else {
                continue;
            };
            let title = format!(
                "Suppress {} for {} (demarc:ignore)",
                f.finding.rule.id, f.finding.resource
            );
            actions.push(lsp_types::CodeActionOrCommand::CodeAction(
                lsp_types::CodeAction {
                    title,
                    kind: Some(lsp_types::CodeActionKind::QUICKFIX),
                    edit: Some(lsp_types::WorkspaceEdit {
                        changes: Some(HashMap::from([(target, vec![edit])])),
                        ..lsp_types::WorkspaceEdit::default()
                    }),
                    ..lsp_types::CodeAction::default()
                },
            ));
        }
        actions
    }

    fn publish(&self, uri: Url, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.into(),
            params,
        )));
    }

    fn log(&self, typ: MessageType, message: String) {
        let params = lsp_types::LogMessageParams { typ, message };
        self.send(Message::Notification(Notification::new(
            LogMessage::METHOD.into(),
            params,
        )));
    }

    /// A closed channel means the client is gone; the loop ends on its own.
    fn send(&self, message: Message) {
        let _ = self.sender.send(message);
    }
}

fn problem_diagnostic(
    problem: &ScanError,
    severity: lsp_types::DiagnosticSeverity,
    index: &LineIndex,
) -> Diagnostic {
    let start = index.position_at(problem.line.unwrap_or(1), problem.column.unwrap_or(1));
    let end = index.line_end(start.line);
    Diagnostic {
        range: Range { start, end },
        severity: Some(severity),
        source: Some("demarc".into()),
        message: problem.message.clone(),
        ..Diagnostic::default()
    }
}
