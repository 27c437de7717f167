//! `ide`'s answers (byte spans, plain data) as protocol types.

use lsp_types as lsp;

use crate::complete::{Candidate, Kind};
use crate::diag::{Diagnostic, Severity};
use crate::ide::position::{Encoding, LineMap, Position};
use crate::ide::{CodeAction, InlayHint, Symbol, SymbolKind};
use crate::syntax::Span;

/// Spans of one text as protocol ranges.
pub struct Converter<'t> {
    text: &'t str,
    map: LineMap,
    enc: Encoding,
}

/// A protocol position as `ide`'s.
pub fn position(p: lsp::Position) -> Position {
    Position {
        line: p.line,
        column: p.character,
    }
}

impl<'t> Converter<'t> {
    pub fn new(text: &'t str, enc: Encoding) -> Converter<'t> {
        Converter {
            text,
            map: LineMap::new(text),
            enc,
        }
    }

    fn pos(&self, offset: usize) -> lsp::Position {
        let p = self.map.position(self.text, offset, self.enc);
        lsp::Position {
            line: p.line,
            character: p.column,
        }
    }

    pub fn range(&self, span: Span) -> lsp::Range {
        lsp::Range {
            start: self.pos(span.start as usize),
            end: self.pos(span.end as usize),
        }
    }

    /// The byte offset of a protocol position in `text`.
    pub fn offset(&self, text: &str, p: lsp::Position) -> usize {
        self.map.offset(text, position(p), self.enc)
    }

    /// A protocol range as a byte span.
    pub fn span(&self, text: &str, r: lsp::Range) -> Span {
        let start = self.offset(text, r.start);
        Span::new(start, self.offset(text, r.end).max(start))
    }

    pub fn location(&self, uri: &lsp::Uri, span: Span) -> lsp::Location {
        lsp::Location {
            uri: uri.clone(),
            range: self.range(span),
        }
    }

    /// A diagnostic: the primary span as the range, the other labels as
    /// related information, the help (and note) after the message.
    pub fn diagnostic(&self, d: &Diagnostic, uri: &lsp::Uri) -> lsp::Diagnostic {
        let range = self.range(d.primary_span().unwrap_or_default());
        let mut message = d.message.clone();
        let primary = d.labels.iter().find(|l| l.primary).or(d.labels.first());
        if let Some(l) = primary.filter(|l| !l.text.is_empty()) {
            message.push_str(&format!(" ({})", l.text));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        if let Some(n) = &d.note {
            message.push_str(&format!("\nnote: {n}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter(|l| Some(*l) != primary)
            .map(|l| lsp::DiagnosticRelatedInformation {
                location: self.location(uri, l.span),
                message: l.text.clone(),
            })
            .collect();
        lsp::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.as_str().to_owned())),
            source: Some("wb".to_owned()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    pub fn code_action(&self, a: &CodeAction, uri: &lsp::Uri) -> lsp::CodeAction {
        let edits: Vec<lsp::TextEdit> = a
            .edits
            .iter()
            .map(|e| lsp::TextEdit {
                range: self.range(e.span),
                new_text: e.replacement.clone(),
            })
            .collect();
        lsp::CodeAction {
            title: a.title.clone(),
            kind: Some(if a.fixes.is_some() {
                lsp::CodeActionKind::QUICKFIX
            } else {
                lsp::CodeActionKind::SOURCE_FIX_ALL
            }),
            diagnostics: a.fixes.as_ref().map(|d| vec![self.diagnostic(d, uri)]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(std::collections::HashMap::from([(uri.clone(), edits)])),
                ..Default::default()
            }),
            is_preferred: a.preferred.then_some(true),
            ..Default::default()
        }
    }

    #[allow(deprecated)] // `DocumentSymbol::deprecated` has to be written.
    pub fn symbol(&self, s: &Symbol) -> lsp::DocumentSymbol {
        lsp::DocumentSymbol {
            name: s.name.clone(),
            detail: (!s.detail.is_empty()).then(|| s.detail.clone()),
            kind: match s.kind {
                SymbolKind::Board => lsp::SymbolKind::NAMESPACE,
                SymbolKind::Input => lsp::SymbolKind::CONSTANT,
                SymbolKind::Stream => lsp::SymbolKind::ARRAY,
                SymbolKind::Value => lsp::SymbolKind::VARIABLE,
                SymbolKind::Loop => lsp::SymbolKind::STRUCT,
            },
            tags: None,
            deprecated: None,
            range: self.range(s.span),
            selection_range: self.range(s.selection),
            children: None,
        }
    }

    pub fn inlay_hint(&self, h: &InlayHint) -> lsp::InlayHint {
        lsp::InlayHint {
            position: self.pos(h.offset),
            label: lsp::InlayHintLabel::String(h.label.clone()),
            kind: None,
            text_edits: None,
            tooltip: Some(lsp::InlayHintTooltip::String(h.board.clone())),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        }
    }
}

pub fn completion_item(c: &Candidate, range: lsp::Range) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: c.word.clone(),
        kind: Some(match c.kind {
            Kind::Keyword => lsp::CompletionItemKind::KEYWORD,
            Kind::Function => lsp::CompletionItemKind::FUNCTION,
            Kind::Slot(_) | Kind::Forgotten { .. } => lsp::CompletionItemKind::VARIABLE,
            Kind::Input => lsp::CompletionItemKind::CONSTANT,
            Kind::StreamElement | Kind::Stream => lsp::CompletionItemKind::VALUE,
        }),
        detail: Some(c.detail()),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range,
            new_text: c.word.clone(),
        })),
        ..Default::default()
    }
}
