//! `maestroc lsp`: the language server, over stdio, on rust-analyzer's `lsp-server`.
//!
//! One thread, one loop: a message is handled, then every message already queued behind it,
//! and only then are diagnostics computed and published for the documents that changed. A
//! burst of keystrokes is checked once, at its end, without a timer that would delay the
//! last one (debouncing by draining the queue).
//!
//! - `text`: positions in the negotiated encoding, URIs, the one-edit diff
//! - `documents`: open documents and what each version computed, lazily
//! - `diagnostics`: `check`'s findings as LSP diagnostics
//! - `symbols`: where every name is declared and used (definition, references)
//! - `hover`, `complete`, `actions`: the requests of those names
//! - `requests`: the dispatch of requests to them

mod actions;
mod complete;
mod diagnostics;
mod documents;
mod hover;
mod requests;
mod symbols;
pub mod text;

use lsp_server::{Connection, Message, Notification};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    InitializeParams, OneOf, PositionEncodingKind, PublishDiagnosticsParams, SaveOptions,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use documents::{Doc, Documents, Kind};
use text::Encoding;

/// The server's state between messages.
pub struct Server {
    pub docs: Documents,
    pub encoding: Encoding,
    /// `shutdown` was asked: only `exit` is expected now.
    shut_down: bool,
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(true.into()),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["\"", "{", "=", " "].map(String::from).to_vec()),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Serves one client on `connection` until it says `exit`.
pub fn serve(connection: &Connection) -> Result<()> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    // UTF-8 positions are byte offsets, the spans' own unit: take them when offered.
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities(encoding),
            "serverInfo": { "name": "maestroc", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let mut server = Server {
        docs: Documents::default(),
        encoding,
        shut_down: false,
    };
    while let Ok(msg) = connection.receiver.recv() {
        if server.handle(connection, msg)? {
            return Ok(());
        }
        while let Ok(msg) = connection.receiver.try_recv() {
            if server.handle(connection, msg)? {
                return Ok(());
            }
        }
        server.publish(connection)?;
    }
    Ok(())
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

impl Server {
    /// Handles one message; true when the client asked to exit.
    fn handle(&mut self, connection: &Connection, msg: Message) -> Result<bool> {
        match msg {
            Message::Request(req) => {
                // Shutdown is answered here rather than by lsp-server's `handle_shutdown`,
                // which fails on anything but `exit` after it: Neovim 0.7 sends `shutdown`
                // twice when it quits, and a second one deserves an answer, not an error.
                let resp = if req.method == "shutdown" {
                    self.shut_down = true;
                    lsp_server::Response::new_ok(req.id, ())
                } else if self.shut_down {
                    lsp_server::Response::new_err(
                        req.id,
                        lsp_server::ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    )
                } else {
                    requests::answer(self, req)
                };
                connection.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) if n.method == "exit" => return Ok(true),
            Message::Notification(n) => self.notify(connection, n)?,
            Message::Response(_) => {}
        }
        Ok(false)
    }

    fn notify(&mut self, connection: &Connection, n: Notification) -> Result<()> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let d = p.text_document;
                let key = d.uri.as_str().to_string();
                let doc = Doc::new(d.uri, d.text, d.version, self.encoding);
                self.docs.docs.insert(key.clone(), doc);
                self.docs.touched(&key);
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                // Full sync: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Ok(());
                };
                let key = p.text_document.uri.as_str().to_string();
                if let Some(doc) = self.docs.docs.get_mut(&key) {
                    doc.replace(change.text, p.text_document.version, self.encoding);
                }
                self.docs.touched(&key);
            }
            DidSaveTextDocument::METHOD => {
                // Files the spec names (`patch file=`) may have changed with it.
                let p: lsp_types::DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.docs.get_mut(p.text_document.uri.as_str()) {
                    doc.invalidate();
                }
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.docs.remove(p.text_document.uri.as_str()) {
                    if doc.kind == Kind::Config {
                        self.docs.config_changed(doc.dir());
                    }
                    // The editor keeps a closed file's diagnostics until told otherwise.
                    send_diagnostics(connection, doc.uri, Vec::new(), None)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Computes and sends the diagnostics of every document whose findings are stale.
    fn publish(&mut self, connection: &Connection) -> Result<()> {
        let mut stale: Vec<String> = self
            .docs
            .docs
            .iter()
            .filter(|(_, d)| d.is_stale())
            .map(|(k, _)| k.clone())
            .collect();
        // In URI order, so a client sees the same sequence every time.
        stale.sort();
        for key in stale {
            let Some(doc) = self.docs.analyzed(&key) else {
                continue;
            };
            let diags = doc
                .findings()
                .iter()
                .map(|f| diagnostics::to_lsp(f, &doc.text, &doc.lines, &doc.uri))
                .collect();
            send_diagnostics(connection, doc.uri.clone(), diags, Some(doc.version))?;
        }
        Ok(())
    }
}

fn send_diagnostics(
    connection: &Connection,
    uri: lsp_types::Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) -> Result<()> {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    connection
        .sender
        .send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )))?;
    Ok(())
}

/// `maestroc lsp`: serves on stdin/stdout.
pub fn run_stdio() -> Result<()> {
    let (connection, io) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io.join()?;
    Ok(())
}
