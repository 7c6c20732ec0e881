//! `demarc lsp` spoken to as an editor does: Content-Length framed JSON-RPC
//! over the process's standard input and output. Every wait has a timeout,
//! so a server that hangs fails the test instead of stalling it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_demarc"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("demarc lsp starts");
        let stdout = child.stdout.take().unwrap();
        let (send, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if send.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send(&mut self, message: Value) {
        self.send_all(&[message]);
    }

    /// Writes the messages at once, so that they arrive together.
    fn send_all(&mut self, messages: &[Value]) {
        let mut frames = String::new();
        for message in messages {
            let body = message.to_string();
            frames.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        }
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(frames.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.response(method, params);
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }

    /// Sends a request and returns the whole response.
    fn response(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// The next message `matches` accepts (others are skipped), or a failure.
    fn wait_for(&self, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if matches(&message) => return message,
                Ok(_) => {}
                Err(e) => panic!("no expected message from demarc lsp within {WAIT:?}: {e}"),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.send(did_change(uri, version, text));
    }

    fn initialize(&mut self, dir: &Path) {
        let root = uri_of(dir);
        let result = self.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        let capabilities = &result["capabilities"];
        assert_eq!(capabilities["hoverProvider"], true, "{result}");
        assert_eq!(capabilities["codeActionProvider"], true, "{result}");
        assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full sync");
        self.notify("initialized", json!({}));
    }

    /// shutdown, exit, and the process ends with status 0.
    fn shut_down(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "demarc lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "demarc lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn did_change(uri: &str, version: i64, text: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
           "params": {"textDocument": {"uri": uri, "version": version},
                      "contentChanges": [{"text": text}]}})
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// A repository with a module whose file on disk is harmless.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("variables.tf"),
        "variable \"admin_cidrs\" {\n  default = [\"0.0.0.0/0\"]\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("main.tf"), rule_tf("[\"10.0.0.0/8\"]")).unwrap();
    dir
}

fn rule_tf(cidrs: &str) -> String {
    format!(
        "resource \"aws_security_group_rule\" \"ssh\" {{\n  type              = \"ingress\"\n  security_group_id = \"sg-123\"\n  from_port         = 22\n  to_port           = 22\n  protocol          = \"tcp\"\n  cidr_blocks       = {cidrs}\n}}\n"
    )
}

fn position(line: u64, character: u64) -> Value {
    json!({"line": line, "character": character})
}

#[test]
fn diagnostics_follow_the_buffer_with_hover_and_a_suppression_quick_fix() {
    let dir = repository();
    let mut client = Client::start(dir.path());
    client.initialize(dir.path());
    let uri = uri_of(&dir.path().join("main.tf"));

    // The buffer, not the harmless file on disk: the CIDR comes from a
    // variable declared in a sibling file, so the module is the context.
    let open = rule_tf("var.admin_cidrs");
    client.open(&uri, "terraform", &open);
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "AWS-EC2-001");
    assert_eq!(diagnostic["source"], "demarc");
    assert_eq!(diagnostic["severity"], 1, "critical is an error");
    // The range is the offending value, `var.admin_cidrs` on line 7.
    assert_eq!(diagnostic["range"]["start"], position(6, 22));
    assert_eq!(diagnostic["range"]["end"], position(6, 37));
    let message = diagnostic["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "AWS-EC2-001 Security group allows SSH or RDP from the internet [network/shared]"
        ),
        "{message}"
    );
    // Where the value was set: the variable's default.
    let related = &diagnostic["relatedInformation"][0];
    assert_eq!(
        related["location"]["uri"],
        uri_of(&dir.path().join("variables.tf"))
    );
    assert_eq!(related["location"]["range"]["start"], position(1, 13));
    assert!(related["message"].as_str().unwrap().contains("admin_cidrs"));

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position(6, 25)}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(markdown.contains("**AWS-EC2-001**"), "{markdown}");
    assert!(markdown.contains("#### Why it matters"), "{markdown}");
    assert!(
        markdown.contains("#### How to fix (terraform)"),
        "{markdown}"
    );
    assert!(!markdown.contains("(cloudformation)"), "{markdown}");
    // Nothing is flagged on the first line.
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position(0, 3)}),
    );
    assert_eq!(nothing, Value::Null);

    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostic["range"],
               "context": {"diagnostics": [diagnostic]}}),
    );
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][&uri][0];
    assert_eq!(edit["range"]["start"], position(0, 0));
    let inserted = edit["newText"].as_str().unwrap();
    assert!(
        inserted.starts_with("# demarc:ignore AWS-EC2-001 "),
        "{inserted}"
    );

    // The quick fix applied: demarc reads it and the finding is suppressed.
    client.change(&uri, 2, &format!("{inserted}{open}"));
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    // Back to the problem, then fixed by typing: cleared again.
    client.change(&uri, 3, &open);
    assert_eq!(client.diagnostics(&uri).len(), 1);
    client.change(&uri, 4, &rule_tf("[\"10.1.0.0/16\"]"));
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    client.shut_down();
}

#[test]
fn keystrokes_are_debounced_into_one_scan_of_the_last_text() {
    let dir = repository();
    let mut client = Client::start(dir.path());
    client.initialize(dir.path());
    let uri = uri_of(&dir.path().join("main.tf"));
    client.open(&uri, "terraform", &rule_tf("[\"10.0.0.0/8\"]"));
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    // Three changes arriving together (keystrokes): only the last text is
    // scanned, once.
    client.send_all(&[
        did_change(&uri, 2, &rule_tf("[\"0.0.0.0/0\"]")),
        did_change(&uri, 3, &rule_tf("[\"0.0.0.0/0\", \"10.0.0.0/8\"]")),
        did_change(&uri, 4, &rule_tf("[\"10.0.0.0/8\", \"0.0.0.0/0\"]")),
    ]);
    let published = client.wait_for(|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(published["params"]["version"], 4, "{published}");
    let diagnostics = published["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0]["range"]["start"], position(6, 37));
    // What the server does not answer, or cannot read, is an error reply,
    // not silence.
    let unknown = client.response("textDocument/completion", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let malformed = client.response("textDocument/hover", json!({"position": 3}));
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    client.shut_down();
}

#[test]
fn cloudformation_templates_and_demarc_yaml_apply() {
    let dir = repository();
    // A severity override and a disabled rule, as `demarc scan` reads them.
    std::fs::write(
        dir.path().join(".demarc.yaml"),
        "rules:\n  disable: [AWS-EC2-009]\nseverity:\n  AWS-EC2-001: medium\n",
    )
    .unwrap();
    let template = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Ssh:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: ssh\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n";
    // Not on disk at all: an unsaved new file.
    let uri = uri_of(dir.path()) + "/stack.yaml";
    let mut client = Client::start(dir.path());
    client.initialize(dir.path());
    client.open(&uri, "yaml", template);
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "AWS-EC2-001");
    assert_eq!(diagnostics[0]["severity"], 2, "medium by .demarc.yaml");
    assert_eq!(diagnostics[0]["range"]["start"], position(10, 18));

    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
               "context": {"diagnostics": diagnostics}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["range"]["start"], position(2, 0));
    let inserted = edit["newText"].as_str().unwrap();
    assert!(
        inserted.starts_with("  # demarc:ignore AWS-EC2-001 "),
        "{inserted}"
    );
    let (head, tail) = template.split_at(template.find("  Ssh:").unwrap());
    client.change(&uri, 2, &format!("{head}{inserted}{tail}"));
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    client.shut_down();
}

#[test]
fn a_tfvars_buffer_shows_the_findings_its_values_cause() {
    let dir = repository();
    std::fs::write(dir.path().join("main.tf"), rule_tf("var.admin_cidrs")).unwrap();
    let mut client = Client::start(dir.path());
    client.initialize(dir.path());
    // Not saved yet, and it narrows the variable: nothing to report.
    let uri = uri_of(dir.path()) + "/terraform.tfvars";
    client.open(&uri, "terraform-vars", "admin_cidrs = [\"10.2.0.0/16\"]\n");
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    // Typed open to the internet: flagged on the tfvars value, which is
    // where the finding's value is set.
    client.change(&uri, 2, "admin_cidrs = [\"0.0.0.0/0\"]\n");
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "AWS-EC2-001");
    assert_eq!(diagnostics[0]["range"]["start"], position(0, 15));
    // Its quick fix suppresses the finding where the resource is.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
               "context": {"diagnostics": diagnostics}}),
    );
    let main = uri_of(&dir.path().join("main.tf"));
    let edit = &actions[0]["edit"]["changes"][&main][0];
    assert_eq!(edit["range"]["start"], position(0, 0), "{actions}");
    client.shut_down();
}
