//! Requests, each answered from the document's current version.

use lsp_server::{ErrorCode, Request, Response};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    References, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CompletionResponse, DocumentSymbol,
    DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents, Location, MarkupContent,
    MarkupKind, Position, SymbolKind, TextDocumentIdentifier, WorkspaceEdit,
};

use super::Server;
use super::documents::{Doc, Kind};
use super::symbols::Symbol;
use super::text::edit_between;

type Answer = Result<serde_json::Value, String>;

pub fn answer(server: &mut Server, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => hover(server, req),
        GotoDefinition::METHOD => definition(server, req),
        References::METHOD => references(server, req),
        Completion::METHOD => completion(server, req),
        CodeActionRequest::METHOD => code_actions(server, req),
        Formatting::METHOD => formatting(server, req),
        DocumentSymbolRequest::METHOD => symbols(server, req),
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("maestroc lsp does not answer {}", req.method),
            );
        }
    };
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
    }
}

fn params<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, String> {
    serde_json::from_value(req.params).map_err(|e| e.to_string())
}

fn doc<'a>(server: &'a mut Server, id: &TextDocumentIdentifier) -> Result<&'a mut Doc, String> {
    server
        .docs
        .docs
        .get_mut(id.uri.as_str())
        .ok_or_else(|| format!("{} is not open", id.uri.as_str()))
}

fn json(v: impl serde::Serialize) -> Answer {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// The symbol under the cursor and the model it belongs to.
fn symbol_at(doc: &mut Doc, pos: Position) -> Option<(super::documents::Model, Symbol)> {
    let offset = doc.lines.offset(&doc.text, pos);
    let model = doc.model()?;
    let symbol = model.1.at(offset)?.symbol.clone();
    Some((model, symbol))
}

fn hover(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::HoverParams = params(req)?;
    let doc = doc(server, &p.text_document_position_params.text_document)?;
    let pos = p.text_document_position_params.position;
    let offset = doc.lines.offset(&doc.text, pos);
    let Some((model, symbol)) = symbol_at(doc, pos) else {
        return json(None::<Hover>);
    };
    let occurrence = model.1.at(offset).map(|o| o.span.clone());
    json(
        super::hover::markdown(&model.0, &symbol).map(|value| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: occurrence.map(|r| doc.lines.range(&doc.text, r.start, r.end)),
        }),
    )
}

fn definition(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::GotoDefinitionParams = params(req)?;
    let doc = doc(server, &p.text_document_position_params.text_document)?;
    let Some((model, symbol)) = symbol_at(doc, p.text_document_position_params.position) else {
        return json(None::<GotoDefinitionResponse>);
    };
    json(model.1.definition(&symbol).map(|r| {
        GotoDefinitionResponse::Scalar(Location::new(
            doc.uri.clone(),
            doc.lines.range(&doc.text, r.start, r.end),
        ))
    }))
}

fn references(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::ReferenceParams = params(req)?;
    let doc = doc(server, &p.text_document_position.text_document)?;
    let Some((model, symbol)) = symbol_at(doc, p.text_document_position.position) else {
        return json(Vec::<Location>::new());
    };
    let with_decl = p.context.include_declaration;
    let found: Vec<Location> = model
        .1
        .references(&symbol)
        .filter(|o| with_decl || !o.definition)
        .map(|o| {
            Location::new(
                doc.uri.clone(),
                doc.lines.range(&doc.text, o.span.start, o.span.end),
            )
        })
        .collect();
    json(found)
}

fn completion(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::CompletionParams = params(req)?;
    let doc = doc(server, &p.text_document_position.text_document)?;
    let offset = doc
        .lines
        .offset(&doc.text, p.text_document_position.position);
    let items = match doc.kind {
        Kind::Config => super::complete::config(&doc.text, offset),
        Kind::Spec => {
            let cx = super::complete::context(&doc.text, offset);
            let model = doc.any_model();
            super::complete::spec(model.as_ref().map(|m| &m.0), &cx)
        }
    };
    json(CompletionResponse::Array(items))
}

fn code_actions(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::CodeActionParams = params(req)?;
    let uri = p.text_document.uri.as_str();
    let doc = server
        .docs
        .analyzed(uri)
        .ok_or_else(|| format!("{uri} is not open"))?;
    let model = doc.model();
    let model = model.as_ref().map(|m| &m.0);
    let start = doc.lines.offset(&doc.text, p.range.start);
    let end = doc.lines.offset(&doc.text, p.range.end);
    let mut actions = Vec::new();
    for (span, fix) in doc.fixes() {
        if span.end < start || span.start > end {
            continue;
        }
        let Some((title, new)) = super::actions::apply(fix, &doc.text, doc.path.as_deref(), model)
        else {
            continue;
        };
        let edit = edit_between(&doc.text, &new, &doc.lines);
        // The map type is lsp-types' own; the URI key is never mutated.
        #[allow(clippy::mutable_key_type)]
        let changes = std::collections::HashMap::from([(doc.uri.clone(), vec![edit])]);
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    json(actions)
}

/// `maestroc fmt`'s output as one edit; nothing while the spec does not parse.
fn formatting(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::DocumentFormattingParams = params(req)?;
    let doc = doc(server, &p.text_document)?;
    if doc.kind != Kind::Spec {
        return json(None::<Vec<lsp_types::TextEdit>>);
    }
    match crate::fmt::format(&doc.text) {
        Ok(new) if new != doc.text => json(vec![edit_between(&doc.text, &new, &doc.lines)]),
        _ => json(Vec::<lsp_types::TextEdit>::new()),
    }
}

/// Services (with their ports), secrets and environments.
fn symbols(server: &mut Server, req: Request) -> Answer {
    let p: lsp_types::DocumentSymbolParams = params(req)?;
    let doc = doc(server, &p.text_document)?;
    let Some(model) = doc.any_model() else {
        return json(DocumentSymbolResponse::Nested(Vec::new()));
    };
    let pl = &model.0;
    let sym = |name: &str, kind: SymbolKind, whole: miette::SourceSpan, at: miette::SourceSpan| {
        let range =
            |s: miette::SourceSpan| doc.lines.range(&doc.text, s.offset(), s.offset() + s.len());
        #[allow(deprecated)]
        DocumentSymbol {
            name: name.to_string(),
            detail: None,
            kind,
            tags: None,
            deprecated: None,
            range: range(whole),
            selection_range: range(at),
            children: None,
        }
    };
    let mut out = Vec::new();
    for s in &pl.secrets {
        out.push(sym(&s.name.value, SymbolKind::KEY, s.span, s.name.span));
    }
    for svc in &pl.services {
        let mut s = sym(&svc.name.value, SymbolKind::MODULE, svc.span, svc.name.span);
        s.children = Some(
            svc.ports
                .iter()
                .map(|p| {
                    let mut c = sym(&p.name.value, SymbolKind::FIELD, p.span, p.name.span);
                    c.detail = Some(p.number.value.to_string());
                    c
                })
                .collect(),
        );
        out.push(s);
    }
    for e in &pl.environments {
        out.push(sym(
            &e.name.value,
            SymbolKind::NAMESPACE,
            e.span,
            e.name.span,
        ));
    }
    json(DocumentSymbolResponse::Nested(out))
}
