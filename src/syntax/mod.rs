//! Syntax: source text to [`Program`].
//!
//! `grammar/wb.pest` is the single source of the syntax; this module drives it
//! one top-level item at a time, turns pest's pairs into the AST, and turns
//! pest's errors into diagnostics in words. Before pest sees the text, a
//! linear scan bounds the nesting depth ([`MAX_PAREN_DEPTH`],
//! [`MAX_BLOCK_DEPTH`]), since pest recurses once per nested group.

pub mod ast;
mod build;
mod expr;
mod fast;
mod scan;
pub mod span;
mod words;

pub use ast::*;
pub use scan::{is_incomplete, MAX_BLOCK_DEPTH, MAX_PAREN_DEPTH};
pub use span::{LineIndex, Span};

use crate::diag::Diagnostic;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/wb.pest"]
pub(crate) struct WbParser;

/// The result of parsing: the items that parsed, and every syntax error.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The program (the items that parsed, its names).
    pub program: Program,
    /// Syntax diagnostics; the program is usable only when there are none.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole source text.
pub fn parse(src: &str) -> Parsed {
    parse_whole(src, true)
}

fn parse_whole(src: &str, fast_path: bool) -> Parsed {
    let mut names = Names::default();
    let (items, diagnostics) = parse_items_with(src, 0, &mut names, fast_path);
    Parsed {
        program: Program {
            items,
            names,
            lines: LineIndex::new(src),
        },
        diagnostics,
    }
}

/// How many syntax errors one parse reports before it stops.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// Parses `src` as a sequence of items whose spans start at `offset`,
/// interning names into `names` (the REPL parses each entry this way).
///
/// After an error pest reports, parsing resumes at the next statement
/// boundary (a newline or `;`; a block the failed statement opened is
/// skipped to its `}`), so every syntax error is reported, up to
/// [`MAX_SYNTAX_ERRORS`]; errors found while building the tree (a malformed
/// number, a wrong number of arguments) are collected and parsing goes on.
pub fn parse_items(src: &str, offset: usize, names: &mut Names) -> (Vec<Item>, Vec<Diagnostic>) {
    parse_items_with(src, offset, names, true)
}

/// Parses with pest alone, without the fast path: the reference the fast
/// path is tested against.
#[doc(hidden)]
pub fn parse_reference(src: &str) -> Parsed {
    parse_whole(src, false)
}

fn parse_items_with(
    src: &str,
    offset: usize,
    names: &mut Names,
    fast_path: bool,
) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut diags = Vec::new();
    if src.len() > u32::MAX as usize / 2 {
        diags.push(Diagnostic::global(
            crate::diag::Code::Syntax,
            "the source is larger than 2 GiB; `wb` reads programs up to 2 GiB",
        ));
        return (items, diags);
    }
    // The nesting scan must cover whatever pest will see. The fast path
    // reads no blocks and backs out past MAX_PAREN_DEPTH, so the text it
    // took has nothing to report: the scan starts where pest is first needed
    // (not at all for a program the fast path reads whole), and finds the
    // same first error a scan of the whole text would.
    let names_before = names.len();
    let mut scanned = false;
    let mut pos = 0;
    let mut scratch = fast::Scratch::default();
    // Blocks opened by statements that failed to parse, not yet closed.
    let mut unclosed = 0usize;
    loop {
        // A block whose header failed is skipped; its `}` is not an error too.
        while unclosed > 0 {
            match scan::closing_brace(src, pos) {
                Some(next) => {
                    pos = next;
                    unclosed -= 1;
                }
                None => break,
            }
        }
        if fast_path {
            match fast::next_item(src, pos, names, &mut scratch) {
                Some((None, _)) => break,
                Some((Some(item), next)) => {
                    items.push(item);
                    pos = next;
                    continue;
                }
                None => {}
            }
        }
        if !scanned {
            scanned = true;
            if let Some(d) = scan::check_depth(&src[pos..]) {
                // As if nothing had been read: the one diagnostic, no items.
                names.truncate(names_before);
                items.clear();
                diags.push(d.shifted(pos + offset));
                return (items, diags);
            }
        }
        match build::Builder::new(src, names).next_item(pos) {
            Ok(None) => break,
            Ok(Some((item, next))) => {
                match item {
                    Ok(item) => items.push(item),
                    Err(errs) => diags.extend(errs),
                }
                pos = next;
            }
            Err(d) => {
                // Recover at the next statement boundary, so that every
                // syntax error is reported, not only the first.
                let at = d.primary_span().map_or(src.len(), |s| s.start as usize);
                diags.push(d);
                if diags.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
                match scan::recover(src, pos, at) {
                    Some((next, opened)) if next > pos => {
                        pos = next;
                        unclosed += opened;
                    }
                    _ => break,
                }
            }
        }
    }
    if offset != 0 {
        for item in &mut items {
            shift_item(item, offset);
        }
        for d in &mut diags {
            *d = d.clone().shifted(offset);
        }
    }
    (items, diags)
}

fn shift_item(item: &mut Item, offset: usize) {
    match item {
        Item::Board(b) => {
            b.span = b.span.shift(offset);
            b.value_span = b.value_span.shift(offset);
        }
        Item::Input(decls, span) => {
            *span = span.shift(offset);
            for d in decls {
                d.name.span = d.name.span.shift(offset);
            }
        }
        Item::Stream(decls, span) => {
            *span = span.shift(offset);
            for d in decls {
                d.name.span = d.name.span.shift(offset);
            }
        }
        Item::Stmt(s) => shift_stmt(s, offset),
    }
}

fn shift_stmt(stmt: &mut Stmt, offset: usize) {
    stmt.span = stmt.span.shift(offset);
    let shift_expr = |e: &mut Expr| {
        e.span = e.span.shift(offset);
        for op in &mut e.ops {
            *op = op.with_span(op.span().shift(offset));
        }
    };
    match &mut stmt.kind {
        StmtKind::Write {
            target,
            value,
            gate,
        } => {
            target.span = target.span.shift(offset);
            shift_expr(value);
            if let Some(g) = gate.as_deref_mut() {
                match g {
                    Gate::When(e) | Gate::Soft(e) => shift_expr(e),
                }
            }
        }
        StmtKind::Forget(names) => {
            for n in names {
                n.span = n.span.shift(offset);
            }
        }
        StmtKind::Read(exprs) => exprs.iter_mut().for_each(shift_expr),
        StmtKind::Each { streams, body } => {
            for n in streams {
                n.span = n.span.shift(offset);
            }
            body.iter_mut().for_each(|s| shift_stmt(s, offset));
        }
        StmtKind::Repeat { body, .. } => body.iter_mut().for_each(|s| shift_stmt(s, offset)),
    }
}

impl Diagnostic {
    /// The diagnostic with every span moved right by `offset` bytes.
    pub fn shifted(mut self, offset: usize) -> Diagnostic {
        for l in &mut self.labels {
            l.span = l.span.shift(offset);
        }
        self
    }
}

#[cfg(test)]
mod tests;
