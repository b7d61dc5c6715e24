//! The language server's latency, in process over lsp-server's memory transport (the same
//! loop `maestroc lsp` runs on stdio, without the pipe): a keystroke (`didChange` with the
//! whole text, as editors send it) until its `publishDiagnostics` arrives, and a hover, at 100
//! and 1,000 services. Its peer in the same run is `compile` of the same text, the work a
//! keystroke cannot avoid. `cargo bench --bench lsp`.

use std::sync::OnceLock;
use std::thread::JoinHandle;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

// The allocator of the `maestroc` binary (src/main.rs), so the server here allocates as
// `maestroc lsp` does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [100, 1000];

mod common;

fn text(n: usize) -> &'static str {
    static SPECS: OnceLock<Vec<(usize, String)>> = OnceLock::new();
    let specs = SPECS.get_or_init(|| SIZES.iter().map(|&n| (n, common::spec(n, false))).collect());
    specs
        .iter()
        .find(|(k, _)| *k == n)
        .map_or("", |(_, t)| t.as_str())
}

const URI: &str = "file:///bench/platform.kdl";

struct Session {
    client: Connection,
    server: Option<JoinHandle<()>>,
    version: i32,
}

impl Session {
    fn start(text: &str) -> Self {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || {
            maestroc::lsp::serve(&server).expect("serves");
        });
        let init = Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({"capabilities": {"general": {"positionEncodings": ["utf-8"]}}}),
        );
        client.sender.send(Message::Request(init)).expect("send");
        loop {
            if let Message::Response(_) = client.receiver.recv().expect("initialize answered") {
                break;
            }
        }
        let s = Self {
            client,
            server: Some(handle),
            version: 1,
        };
        s.notify("initialized", json!({}));
        s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "kdl", "version": 1, "text": text}}),
        );
        s.diagnostics(1);
        s
    }

    fn notify(&self, method: &str, params: serde_json::Value) {
        let n = Notification::new(method.into(), params);
        self.client
            .sender
            .send(Message::Notification(n))
            .expect("send");
    }

    /// Waits for the diagnostics of `version`; their count.
    fn diagnostics(&self, version: i32) -> usize {
        loop {
            if let Message::Notification(n) = self.client.receiver.recv().expect("published")
                && n.method == "textDocument/publishDiagnostics"
                && n.params["version"] == version
            {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len);
            }
        }
    }

    /// One keystroke: the text with `typed` appended as the editor sends it, then its
    /// diagnostics.
    fn keystroke(&mut self, text: &str) -> usize {
        self.version += 1;
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": self.version},
                   "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(self.version)
    }

    fn hover(&self, line: u32, character: u32) -> serde_json::Value {
        let r = Request::new(
            RequestId::from(2),
            "textDocument/hover".into(),
            json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}),
        );
        self.client.sender.send(Message::Request(r)).expect("send");
        loop {
            if let Message::Response(r) = self.client.receiver.recv().expect("answered") {
                return r.response_result.unwrap_or_default();
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.notify("exit", json!(null));
        if let Some(h) = self.server.take() {
            let _ = h.join();
        }
    }
}

/// A keystroke to its diagnostics: each iteration types one more character into a comment at
/// the end, so every text is new to the server.
#[divan::bench(args = SIZES, sample_count = 30)]
fn keystroke_to_diagnostics(bencher: divan::Bencher, n: usize) {
    let base = text(n);
    let mut session = Session::start(base);
    let mut typed = String::from("\n// ");
    bencher.bench_local(|| {
        typed.push('x');
        session.keystroke(&format!("{base}{typed}"))
    });
}

/// Hover on a `depends-on` name in the last service (the model is cached per version).
#[divan::bench(args = SIZES, sample_count = 30)]
fn hover(bencher: divan::Bencher, n: usize) {
    let base = text(n);
    let line = base
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("depends-on"))
        .last()
        .map_or(0, |(i, _)| i as u32);
    let session = Session::start(base);
    bencher.bench_local(|| session.hover(line, 16));
}

/// The peer: parse, resolve, lint and graph of the same text, with nothing around it.
#[divan::bench(args = SIZES, sample_count = 30)]
fn compile(n: usize) -> bool {
    maestroc::resolve::compile(text(n)).0.is_some()
}
