//! Completion from the document's own check: the rule is
//! [`crate::complete`]'s (the REPL's), and the board at the cursor's
//! statement comes from the checker's [`BoardEvent`] log of this version of
//! the text instead of a new check of the text before the cursor. Where
//! the log cannot tell (the text before the cursor does not parse, the
//! cursor is in a loop the parser dropped, or in an `each` nested in an
//! `each`, whose body the checker skips), the shared rule checks the text
//! before the cursor itself. `tests/ide_complete.rs` checks that both give
//! the same answer at every offset of the examples and of generated texts.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::board::Board;
use crate::check::{BoardEvent, NameKind};
use crate::complete::{self, Completion, Place, Scene};
use crate::syntax::{Item, NameId, Stmt, StmtKind};

use super::{Document, Role};

impl Document {
    /// The completions of the word that ends at byte `offset`: the same
    /// answer as [`complete::complete`] on this text (a `.wb` file).
    pub fn completion(&self, offset: usize) -> Completion {
        complete::complete_with(&self.text, offset, Place::File, |start| self.scene(start))
    }

    /// The scene where the cursor's statement starts (byte `start`), from
    /// this document's check; `None` where the check does not cover it.
    fn scene(&self, start: usize) -> Option<Scene<'_>> {
        let at = u32::try_from(start).ok()?;
        if self.broken_at.is_some_and(|b| b < at) {
            return None;
        }
        let program = &self.parsed.program;
        // The loops around the cursor, outermost first.
        let mut loops = 0;
        let mut each: Option<Vec<NameId>> = None;
        let mut level: Vec<&Stmt> = Vec::new();
        for item in &program.items {
            let span = item.span();
            if span.start < at && at < span.end {
                match item {
                    Item::Stmt(s) => level.push(s),
                    _ => return None,
                }
            }
        }
        while let Some(s) = level.pop() {
            if !level.is_empty() {
                return None;
            }
            let body = match &s.kind {
                StmtKind::Each { streams, body } => {
                    if each.is_some() {
                        // Nested: the checker does not go into its body.
                        return None;
                    }
                    each = Some(streams.iter().map(|i| i.id).collect());
                    body
                }
                StmtKind::Repeat { body, .. } => body,
                _ => return None,
            };
            loops += 1;
            level.extend(body.iter().filter(|b| b.span.start < at && at < b.span.end));
        }
        if complete::open_blocks(&self.text[..start]) != loops {
            return None;
        }
        // The board: replayed up to the last statement that ends before the
        // cursor's (in the checker's one pass over the text).
        let mut upto = 0;
        for (i, e) in self.log.iter().enumerate() {
            if let BoardEvent::After(s) = *e {
                if s.end <= at {
                    upto = i + 1;
                } else {
                    break;
                }
            }
        }
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
        let symbols = &self.analysis.symbols;
        let before = |span: crate::syntax::Span| span.end <= at;
        // Board values: written (not gated, which puts nothing on a board
        // that lacks the name) before the cursor's statement.
        let occurrences = self.occurrences();
        let end = occurrences.partition_point(|o| o.span.start < at);
        let mut written: HashSet<NameId> = HashSet::new();
        let mut forgotten = HashMap::new();
        for o in &occurrences[..end] {
            match o.role {
                Role::Written { gated: false } => {
                    written.insert(o.id);
                }
                Role::Forgotten => {
                    forgotten.insert(o.id, self.line(o.span.start));
                }
                _ => {}
            }
        }
        forgotten.retain(|&id, _| symbols.kind(id) == NameKind::Board && written.contains(&id));
        Some(Scene {
            names: Cow::Borrowed(&program.names),
            slots: board.slots().collect(),
            inputs: symbols
                .inputs
                .iter()
                .filter(|i| before(i.span))
                .map(|i| i.name)
                .collect(),
            streams: symbols
                .streams
                .iter()
                .filter(|s| before(s.span))
                .map(|s| s.name)
                .collect(),
            each,
            loops,
            first: !program.items.iter().any(|i| i.span().start < at),
            forgotten,
        })
    }
}
