//! `wb lsp`: the Language Server Protocol over a [`Connection`], a thin loop
//! over [`crate::ide`].
//!
//! This module owns the protocol: the handshake, the open documents and
//! their edits, turning byte spans into protocol ranges (UTF-16 unless the
//! client offers UTF-8) and `ide`'s answers into protocol types, and never
//! failing on what a client sends (a request it cannot read gets an error
//! response; a notification it cannot read is dropped). It knows nothing of
//! the language: every answer comes from `ide` (or `fmt` for formatting).
//!
//! Messages are handled one at a time, in the order they arrive, so answers
//! come in order. After a change, diagnostics are published once the next
//! message waiting (if any) is not another edit: a burst of edits is checked
//! once, at its end, and before the request that follows it is answered.

mod convert;
mod transport;

use std::collections::HashMap;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;

use crate::ide::position::{Encoding, LineMap};
use crate::ide::Document;

use convert::Converter;

pub use transport::serve_io;

/// An open document: its text, version, and (once asked) what the checker
/// found.
struct Open {
    uri: lsp::Uri,
    version: i32,
    text: String,
    doc: Option<Document>,
    /// Diagnostics not yet published for this version.
    dirty: bool,
}

impl Open {
    fn doc(&mut self) -> &Document {
        let text = &self.text;
        self.doc.get_or_insert_with(|| Document::new(text.clone()))
    }
}

/// The server's state.
struct Server<'c> {
    conn: &'c Connection,
    encoding: Encoding,
    docs: HashMap<String, Open>,
    shut_down: bool,
}

/// Runs the server on `conn` until the client says `exit` (or the
/// connection closes). `Err` holds what went wrong with the protocol itself
/// (no `initialize`, a channel closed early).
pub fn serve(conn: &Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": {"name": "wb", "version": env!("CARGO_PKG_VERSION")},
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server {
        conn,
        encoding,
        docs: HashMap::new(),
        shut_down: false,
    };
    let mut pending: Option<Message> = None;
    loop {
        let msg = match pending.take() {
            Some(m) => m,
            None => match conn.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
        };
        match msg {
            Message::Request(req) => {
                if req.method == "shutdown" {
                    server.shut_down = true;
                    server.respond(Response::new_ok(req.id, Value::Null));
                    continue;
                }
                let resp = server.request(req);
                server.respond(resp);
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return if server.shut_down {
                        Ok(())
                    } else {
                        Err("the client sent `exit` before `shutdown`".to_owned())
                    };
                }
                server.notification(n);
            }
            Message::Response(_) => {}
        }
        // Publish once the burst of edits is over: before anything that is
        // not another edit, or when nothing else is waiting.
        pending = conn.receiver.try_recv().ok();
        let edit = matches!(&pending, Some(Message::Notification(n))
            if n.method == "textDocument/didChange" || n.method == "textDocument/didOpen");
        if !edit {
            server.publish_dirty();
        }
    }
}

fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions::default()),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp::CodeActionKind::QUICKFIX,
                    lsp::CodeActionKind::SOURCE_FIX_ALL,
                ]),
                ..Default::default()
            },
        )),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

/// A request that could not be answered: the error code and why.
type Failure = (ErrorCode, String);

fn invalid(e: impl std::fmt::Display) -> Failure {
    (ErrorCode::InvalidParams, e.to_string())
}

impl Server<'_> {
    fn respond(&self, resp: Response) {
        let _ = self.conn.sender.send(Message::Response(resp));
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        let n = Notification::new(method.to_owned(), params);
        let _ = self.conn.sender.send(Message::Notification(n));
    }

    fn request(&mut self, req: Request) -> Response {
        let id: RequestId = req.id.clone();
        if self.shut_down {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shut down".to_owned(),
            );
        }
        let result = match req.method.as_str() {
            "textDocument/hover" => self.hover(req.params),
            "textDocument/completion" => self.completion(req.params),
            "textDocument/definition" => self.definition(req.params),
            "textDocument/references" => self.references(req.params),
            "textDocument/prepareRename" => self.prepare_rename(req.params),
            "textDocument/rename" => self.rename(req.params),
            "textDocument/documentSymbol" => self.symbols(req.params),
            "textDocument/codeAction" => self.code_actions(req.params),
            "textDocument/formatting" => self.formatting(req.params),
            "textDocument/inlayHint" => self.inlay_hints(req.params),
            "initialize" => Err((
                ErrorCode::InvalidRequest,
                "the server is initialized already".to_owned(),
            )),
            m => Err((
                ErrorCode::MethodNotFound,
                format!("`wb lsp` does not answer `{m}`"),
            )),
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    let d = p.text_document;
                    self.docs.insert(
                        d.uri.as_str().to_owned(),
                        Open {
                            uri: d.uri,
                            version: d.version,
                            text: d.text,
                            doc: None,
                            dirty: true,
                        },
                    );
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                {
                    let enc = self.encoding;
                    if let Some(open) = self.docs.get_mut(p.text_document.uri.as_str()) {
                        for change in p.content_changes {
                            apply_change(&mut open.text, change, enc);
                        }
                        open.version = p.text_document.version;
                        open.doc = None;
                        open.dirty = true;
                    }
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    if let Some(open) = self.docs.remove(p.text_document.uri.as_str()) {
                        // Closed: its diagnostics go away.
                        self.notify(
                            "textDocument/publishDiagnostics",
                            lsp::PublishDiagnosticsParams {
                                uri: open.uri,
                                diagnostics: Vec::new(),
                                version: None,
                            },
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn publish_dirty(&mut self) {
        let enc = self.encoding;
        let mut out = Vec::new();
        for open in self.docs.values_mut() {
            if !open.dirty {
                continue;
            }
            open.dirty = false;
            let (uri, version) = (open.uri.clone(), open.version);
            let doc = open.doc();
            let conv = Converter::new(doc.text(), enc);
            let diagnostics = doc
                .diagnostics()
                .iter()
                .map(|d| conv.diagnostic(d, &uri))
                .collect();
            out.push(lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: Some(version),
            });
        }
        for p in out {
            self.notify("textDocument/publishDiagnostics", p);
        }
    }

    /// The open document `uri` names.
    fn open(&mut self, uri: &lsp::Uri) -> Result<&mut Open, Failure> {
        self.docs
            .get_mut(uri.as_str())
            .ok_or_else(|| invalid(format!("`{}` is not open", uri.as_str())))
    }

    /// The document and the byte offset of a text position.
    fn at(
        &mut self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<(&Document, Converter<'_>, usize), Failure> {
        let enc = self.encoding;
        let open = self.open(&params.text_document.uri)?;
        let doc = open.doc();
        let conv = Converter::new(doc.text(), enc);
        let offset = conv.offset(doc.text(), params.position);
        Ok((doc, conv, offset))
    }

    fn hover(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::HoverParams = serde_json::from_value(params).map_err(invalid)?;
        let (doc, conv, offset) = self.at(p.text_document_position_params)?;
        let Some(h) = doc.hover(offset) else {
            return Ok(Value::Null);
        };
        let hover = lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: h.markdown,
            }),
            range: Some(conv.range(h.span)),
        };
        Ok(serde_json::to_value(hover).unwrap_or(Value::Null))
    }

    fn completion(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::CompletionParams = serde_json::from_value(params).map_err(invalid)?;
        let (doc, conv, offset) = self.at(p.text_document_position)?;
        let c = doc.completion(offset);
        let range = conv.range(crate::syntax::Span::new(c.start, offset));
        let items: Vec<lsp::CompletionItem> = c
            .candidates
            .iter()
            .map(|cand| convert::completion_item(cand, range))
            .collect();
        Ok(serde_json::to_value(items).unwrap_or(Value::Null))
    }

    fn definition(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::GotoDefinitionParams = serde_json::from_value(params).map_err(invalid)?;
        let uri = p.text_document_position_params.text_document.uri.clone();
        let (doc, conv, offset) = self.at(p.text_document_position_params)?;
        let locations: Vec<lsp::Location> = doc
            .definition(offset)
            .into_iter()
            .map(|s| conv.location(&uri, s))
            .collect();
        Ok(serde_json::to_value(locations).unwrap_or(Value::Null))
    }

    fn references(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::ReferenceParams = serde_json::from_value(params).map_err(invalid)?;
        let uri = p.text_document_position.text_document.uri.clone();
        let with_decl = p.context.include_declaration;
        let (doc, conv, offset) = self.at(p.text_document_position)?;
        let locations: Vec<lsp::Location> = doc
            .references(offset, with_decl)
            .into_iter()
            .map(|s| conv.location(&uri, s))
            .collect();
        Ok(serde_json::to_value(locations).unwrap_or(Value::Null))
    }

    fn prepare_rename(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::TextDocumentPositionParams = serde_json::from_value(params).map_err(invalid)?;
        let (doc, conv, offset) = self.at(p)?;
        let Some(o) = doc.occurrence_at(offset) else {
            return Ok(Value::Null);
        };
        Ok(
            serde_json::to_value(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: conv.range(o.span),
                placeholder: doc.name(o.id).to_owned(),
            })
            .unwrap_or(Value::Null),
        )
    }

    fn rename(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::RenameParams = serde_json::from_value(params).map_err(invalid)?;
        let uri = p.text_document_position.text_document.uri.clone();
        let new_name = p.new_name;
        let (doc, conv, offset) = self.at(p.text_document_position)?;
        let r = doc
            .rename(offset, &new_name)
            .map_err(|e| (ErrorCode::RequestFailed, e))?;
        let edits: Vec<lsp::TextEdit> = r
            .edits
            .iter()
            .map(|&s| lsp::TextEdit {
                range: conv.range(s),
                new_text: new_name.clone(),
            })
            .collect();
        let what = r.what;
        let edit = lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(uri, edits)])),
            ..Default::default()
        };
        let value = serde_json::to_value(edit).unwrap_or(Value::Null);
        // Say what was renamed: one value's life, not every `x`.
        self.notify(
            "window/showMessage",
            lsp::ShowMessageParams {
                typ: lsp::MessageType::INFO,
                message: what,
            },
        );
        Ok(value)
    }

    fn symbols(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::DocumentSymbolParams = serde_json::from_value(params).map_err(invalid)?;
        let enc = self.encoding;
        let doc = self.open(&p.text_document.uri)?.doc();
        let conv = Converter::new(doc.text(), enc);
        let symbols: Vec<lsp::DocumentSymbol> =
            doc.symbols().iter().map(|s| conv.symbol(s)).collect();
        Ok(serde_json::to_value(symbols).unwrap_or(Value::Null))
    }

    fn code_actions(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::CodeActionParams = serde_json::from_value(params).map_err(invalid)?;
        let enc = self.encoding;
        let uri = p.text_document.uri.clone();
        let doc = self.open(&p.text_document.uri)?.doc();
        let conv = Converter::new(doc.text(), enc);
        let range = conv.span(doc.text(), p.range);
        let actions: Vec<lsp::CodeActionOrCommand> = doc
            .code_actions(range)
            .iter()
            .map(|a| lsp::CodeActionOrCommand::CodeAction(conv.code_action(a, &uri)))
            .collect();
        Ok(serde_json::to_value(actions).unwrap_or(Value::Null))
    }

    fn formatting(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::DocumentFormattingParams = serde_json::from_value(params).map_err(invalid)?;
        let enc = self.encoding;
        let open = self.open(&p.text_document.uri)?;
        let formatted = crate::fmt::format(&open.text).map_err(|_| {
            (
                ErrorCode::RequestFailed,
                "the file does not parse; `wb fmt` formats programs that parse".to_owned(),
            )
        })?;
        if formatted == open.text {
            return Ok(serde_json::json!([]));
        }
        let conv = Converter::new(&open.text, enc);
        let edit = lsp::TextEdit {
            range: conv.range(crate::syntax::Span::new(0, open.text.len())),
            new_text: formatted,
        };
        Ok(serde_json::to_value(vec![edit]).unwrap_or(Value::Null))
    }

    fn inlay_hints(&mut self, params: Value) -> Result<Value, Failure> {
        let p: lsp::InlayHintParams = serde_json::from_value(params).map_err(invalid)?;
        let enc = self.encoding;
        let doc = self.open(&p.text_document.uri)?.doc();
        let conv = Converter::new(doc.text(), enc);
        let range = conv.span(doc.text(), p.range);
        let hints: Vec<lsp::InlayHint> = doc
            .inlay_hints()
            .iter()
            .filter(|h| range.start as usize <= h.offset && h.offset <= range.end as usize)
            .map(|h| conv.inlay_hint(h))
            .collect();
        Ok(serde_json::to_value(hints).unwrap_or(Value::Null))
    }
}

/// Applies one change of `didChange` (a range and its new text, or the whole
/// text) to `text`. Positions past the text are clamped to it.
fn apply_change(text: &mut String, change: lsp::TextDocumentContentChangeEvent, enc: Encoding) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let map = LineMap::new(text);
    let start = map.offset(text, convert::position(range.start), enc);
    let end = map
        .offset(text, convert::position(range.end), enc)
        .max(start);
    text.replace_range(start..end, &change.text);
}
