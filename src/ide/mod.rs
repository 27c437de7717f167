//! Editor questions answered on the checker's own data: diagnostics, hover,
//! inlay hints, completion, definition, references, rename, document
//! symbols and code actions for one document.
//!
//! A [`Document`] parses and checks its text once ([`crate::syntax`],
//! [`crate::check::check_logged`]); what the questions need beyond that (the
//! name occurrences, the values' lives, the cell's units) is computed on the
//! first question that needs it and kept until the text changes. Offsets are
//! UTF-8 bytes here; [`position`] converts to the columns an editor counts.
//!
//! This module knows the language only through `syntax`, `check`, `cell` and
//! `board`; it knows nothing of the protocol (that is `crate::lsp`), so
//! every answer is plain data a test can look at.

mod actions;
mod complete;
mod hints;
mod hover;
mod nav;
pub mod position;

use std::cell::OnceCell;

pub use actions::{apply, CodeAction};
pub use hints::InlayHint;
pub use hover::Hover;
pub use nav::{Rename, Symbol, SymbolKind};

use crate::board::Board;
use crate::check::{self, Analysis, BoardEvent, NameKind};
use crate::diag::Diagnostic;
use crate::syntax::{self, Item, NameId, Parsed, Span, Stmt, StmtKind};

/// One open document: its text and what the checker found in it.
pub struct Document {
    text: String,
    parsed: Parsed,
    analysis: Analysis,
    log: Vec<BoardEvent>,
    /// Where the first syntax error starts (the text after it did not
    /// parse).
    broken_at: Option<u32>,
    facts: OnceCell<Facts>,
    units: OnceCell<Vec<crate::cell::Residence>>,
}

/// What a name's occurrence does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Declared by `input` or `stream`.
    Declared,
    /// The target of a `write` (`gated`: `when`/`gate`, blending with the old
    /// value).
    Written {
        /// Whether the write is gated.
        gated: bool,
    },
    /// Read in an expression, or named by `each`.
    Read,
    /// Named by `forget`.
    Forgotten,
}

/// A name at a place, with what it does there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occurrence {
    /// Which name.
    pub id: NameId,
    /// Where.
    pub span: Span,
    /// What it does.
    pub role: Role,
    /// The statement it is in (innermost).
    pub stmt: Span,
    /// The life of a board value it belongs to (index into the lives).
    pub life: Option<usize>,
}

/// One value of a board name: from the write that puts it on the board to
/// the `forget` that takes it off (or the end). Written again after a
/// forget, the name is a new value with a life of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Life {
    /// Which name.
    pub id: NameId,
    /// Its occurrences (indices into the occurrences), in source order.
    pub occurrences: Vec<usize>,
}

/// The facts the questions share, computed once per text.
#[derive(Debug, Default)]
struct Facts {
    /// Every name occurrence, in source order.
    occurrences: Vec<Occurrence>,
    lives: Vec<Life>,
    /// Every loop's span, in source order.
    loops: Vec<Span>,
    /// Every statement's span (loops included), in source order.
    stmts: Vec<Span>,
}

impl Document {
    /// Parses and checks `text`.
    pub fn new(text: impl Into<String>) -> Document {
        let text = text.into();
        let parsed = syntax::parse(&text);
        let (analysis, log) = check::check_logged(&parsed.program, &text, None);
        let broken_at = parsed
            .diagnostics
            .iter()
            .map(|d| d.primary_span().map_or(0, |s| s.start))
            .min();
        Document {
            text,
            parsed,
            analysis,
            log,
            broken_at,
            facts: OnceCell::new(),
            units: OnceCell::new(),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed program (the items before the first syntax error, if any).
    pub fn program(&self) -> &syntax::Program {
        &self.parsed.program
    }

    /// The checker's analysis of the program that parsed.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// Every diagnostic `wb check` reports, in source order. When the text
    /// does not parse, its syntax errors, and the checker's errors in the
    /// text before the first of them (the checker reads forward, so those
    /// are real); warnings, which depend on what comes later, are left out.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let Some(broken) = self.broken_at else {
            return self.analysis.diagnostics.clone();
        };
        let mut out: Vec<Diagnostic> = self
            .analysis
            .diagnostics
            .iter()
            .filter(|d| {
                d.is_error()
                    && d.primary_span().is_some_and(|s| s.end <= broken)
                    && d.code != crate::diag::Code::NoBoard
            })
            .cloned()
            .collect();
        out.extend(self.parsed.diagnostics.iter().cloned());
        crate::diag::sort(&mut out);
        out
    }

    fn facts(&self) -> &Facts {
        self.facts
            .get_or_init(|| Facts::of(&self.parsed.program, &self.analysis))
    }

    /// The occurrence of a name at `offset` (a cursor just after a name
    /// counts).
    pub fn occurrence_at(&self, offset: usize) -> Option<&Occurrence> {
        let occ = &self.facts().occurrences;
        let at = offset as u32;
        let i = occ.partition_point(|o| o.span.end < at);
        occ[i..]
            .iter()
            .take_while(|o| o.span.start <= at)
            .find(|o| o.span.start <= at && at <= o.span.end)
    }

    /// The innermost statement at `offset`.
    pub fn stmt_at(&self, offset: usize) -> Option<Span> {
        let at = offset as u32;
        self.facts()
            .stmts
            .iter()
            .filter(|s| s.start <= at && at <= s.end)
            .min_by_key(|s| s.end - s.start)
            .copied()
    }

    /// The lives of the board values.
    pub fn lives(&self) -> &[Life] {
        &self.facts().lives
    }

    /// Every name occurrence, in source order.
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.facts().occurrences
    }

    /// The board just before and just after the statement `stmt` (after a
    /// loop: after its body, which leaves the board as it found it). `None`
    /// for a span that is no statement.
    pub fn boards_around(&self, stmt: Span) -> Option<(Board, Board)> {
        let mut last_after = 0;
        let mut end = None;
        for (i, e) in self.log.iter().enumerate() {
            if let BoardEvent::After(s) = *e {
                if s == stmt {
                    end = Some(i);
                    break;
                }
                last_after = i + 1;
            }
        }
        let end = end?;
        let replay = |upto: usize| {
            let mut board = Board::default();
            for e in &self.log[..upto] {
                match *e {
                    BoardEvent::Placed(id, _) => {
                        board.place(id);
                    }
                    BoardEvent::Removed(id) => {
                        board.remove(id);
                    }
                    BoardEvent::After(_) => {}
                }
            }
            board
        };
        Some((replay(last_after), replay(end)))
    }

    /// Calls `f` with every statement and the board after it, in the order
    /// the checker went through them (a loop after its body).
    pub fn each_board(&self, mut f: impl FnMut(Span, &Board)) {
        let mut board = Board::default();
        for e in &self.log {
            match *e {
                BoardEvent::Placed(id, _) => {
                    board.place(id);
                }
                BoardEvent::Removed(id) => {
                    board.remove(id);
                }
                BoardEvent::After(s) => f(s, &board),
            }
        }
    }

    /// The cell's units, when the program checks clean (the cell is compiled
    /// from checked programs only).
    fn units(&self) -> &[crate::cell::Residence] {
        self.units.get_or_init(|| {
            if self.broken_at.is_some() || self.analysis.has_errors() {
                return Vec::new();
            }
            crate::cell::compile(&self.parsed.program, &self.analysis, &self.text)
                .map(|c| c.residences)
                .unwrap_or_default()
        })
    }

    /// What `id` is.
    pub fn kind(&self, id: NameId) -> NameKind {
        self.analysis.symbols.kind(id)
    }

    /// The 1-based line of an offset.
    pub fn line(&self, offset: u32) -> usize {
        self.parsed.program.lines.line(offset as usize)
    }

    /// The text of a name.
    pub fn name(&self, id: NameId) -> &str {
        self.parsed.program.names.text(id)
    }
}

impl Facts {
    fn of(program: &syntax::Program, analysis: &Analysis) -> Facts {
        let mut f = Facts::default();
        for item in &program.items {
            match item {
                Item::Board(b) => f.stmts.push(b.span),
                Item::Input(decls, span) => {
                    f.stmts.push(*span);
                    for d in decls {
                        f.push(d.name.id, d.name.span, Role::Declared, *span);
                    }
                }
                Item::Stream(decls, span) => {
                    f.stmts.push(*span);
                    for d in decls {
                        f.push(d.name.id, d.name.span, Role::Declared, *span);
                    }
                }
                Item::Stmt(s) => f.stmt(s),
            }
        }
        // Source order: a write's target comes before its value's names in
        // the text, but is pushed after them.
        f.occurrences.sort_by_key(|o| o.span.start);
        f.stmts.sort_by_key(|s| s.start);
        f.lives(analysis);
        f
    }

    fn push(&mut self, id: NameId, span: Span, role: Role, stmt: Span) {
        self.occurrences.push(Occurrence {
            id,
            span,
            role,
            stmt,
            life: None,
        });
    }

    fn stmt(&mut self, s: &Stmt) {
        self.stmts.push(s.span);
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                for n in value.names() {
                    self.push(n.id, n.span, Role::Read, s.span);
                }
                if let Some(g) = gate {
                    for n in g.expr().names() {
                        self.push(n.id, n.span, Role::Read, s.span);
                    }
                }
                let gated = gate.is_some();
                self.push(target.id, target.span, Role::Written { gated }, s.span);
            }
            StmtKind::Forget(list) => {
                for n in list {
                    self.push(n.id, n.span, Role::Forgotten, s.span);
                }
            }
            StmtKind::Read(exprs) => {
                for e in exprs {
                    for n in e.names() {
                        self.push(n.id, n.span, Role::Read, s.span);
                    }
                }
            }
            StmtKind::Each { streams, body } => {
                self.loops.push(s.span);
                for n in streams {
                    self.push(n.id, n.span, Role::Read, s.span);
                }
                body.iter().for_each(|b| self.stmt(b));
            }
            StmtKind::Repeat { body, .. } => {
                self.loops.push(s.span);
                body.iter().for_each(|b| self.stmt(b));
            }
        }
    }

    /// Splits each board name's occurrences into lives: a write of a name
    /// not alive starts one, a `forget` ends it.
    fn lives(&mut self, analysis: &Analysis) {
        let mut alive: std::collections::HashMap<NameId, usize> = Default::default();
        for (i, o) in self.occurrences.iter_mut().enumerate() {
            if analysis.symbols.kind(o.id) != NameKind::Board {
                continue;
            }
            let life = match (o.role, alive.get(&o.id).copied()) {
                (_, Some(l)) => Some(l),
                (Role::Written { .. }, None) => {
                    self.lives.push(Life {
                        id: o.id,
                        occurrences: Vec::new(),
                    });
                    alive.insert(o.id, self.lives.len() - 1);
                    Some(self.lives.len() - 1)
                }
                _ => None,
            };
            if let Some(l) = life {
                o.life = Some(l);
                self.lives[l].occurrences.push(i);
                if o.role == Role::Forgotten {
                    alive.remove(&o.id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
