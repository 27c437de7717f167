//! Suggestions as edits: the text changes behind the checker's help, laid
//! out like the program around them, and checked by following them.
//!
//! The checker (`mod.rs`) words each suggestion and builds its edits from
//! spans alone, in a form that is valid wherever it lands (`forget v; `
//! before a statement, `; forget v` after one). With the source text at
//! hand, [`layout`] puts them on lines of their own with the indentation
//! and line ending around them, moves a forget's comment with it, and
//! [`verify`] applies each machine-applicable suggestion, checks the whole
//! program again and keeps the mark only when that error is gone and no new
//! one appeared; otherwise the help says what following it leaves behind.
//!
//! It owns no board rule: what is an error is the checker's to say.

use crate::diag::{Applicability, Code, Edit, Fix};
use crate::syntax::{self, Span};

use super::reads::ForgetAt;
use super::Analysis;

/// The text-free insertion of `stmt` before the statement at `before`.
pub(crate) fn insert_before(before: Span, stmt: &str) -> Edit {
    Edit {
        span: Span::new(before.start as usize, before.start as usize),
        replacement: format!("{stmt}; "),
    }
}

/// The text-free insertion of `stmt` after the statement at `after`.
pub(crate) fn insert_after(after: Span, stmt: &str) -> Edit {
    Edit {
        span: Span::new(after.end as usize, after.end as usize),
        replacement: format!("; {stmt}"),
    }
}

/// Takes one name out of a `forget` (the whole statement if it is alone).
pub(crate) fn remove_forget(f: &ForgetAt) -> Edit {
    let span = match (f.prev_end, f.next_start) {
        (None, None) => f.stmt,
        (_, Some(next)) => Span::new(f.name.start as usize, next as usize),
        (Some(prev), None) => Span::new(prev as usize, f.name.end as usize),
    };
    Edit {
        span,
        replacement: String::new(),
    }
}

/// Replaces the bytes of `span`.
pub(crate) fn replace(span: Span, text: &str) -> Edit {
    Edit {
        span,
        replacement: text.to_owned(),
    }
}

/// A fix from its words and edits (sorted by position).
pub(crate) fn fix(message: String, mut edits: Vec<Edit>, applicability: Applicability) -> Fix {
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    Fix {
        message,
        edits,
        applicability,
    }
}

/// Applies `edits` (sorted, not overlapping) to `src`.
pub fn apply(src: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(src.len() + 64);
    let mut pos = 0;
    for e in edits {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if s < pos || t > src.len() || !src.is_char_boundary(s) || !src.is_char_boundary(t) {
            continue;
        }
        out.push_str(&src[pos..s]);
        out.push_str(&e.replacement);
        pos = t;
    }
    out.push_str(&src[pos..]);
    out
}

/// Where byte `old` of the text before `edits` lands after them.
fn map_pos(edits: &[Edit], old: u32) -> i64 {
    let mut delta: i64 = 0;
    for e in edits {
        if e.span.end <= old && !(e.span.start == e.span.end && e.span.start == old) {
            delta += e.replacement.len() as i64 - i64::from(e.span.end - e.span.start);
        } else if e.span.start < old {
            return i64::from(e.span.start) + delta;
        }
    }
    i64::from(old) + delta
}

/// Where byte `new` of the text after `edits` was before them (a byte an
/// edit wrote maps to that edit's start).
fn unmap_pos(edits: &[Edit], new: u32) -> usize {
    let mut delta: i64 = 0;
    for e in edits {
        let start_new = i64::from(e.span.start) + delta;
        let end_new = start_new + e.replacement.len() as i64;
        if i64::from(new) < start_new {
            break;
        }
        if i64::from(new) < end_new {
            return e.span.start as usize;
        }
        delta += e.replacement.len() as i64 - i64::from(e.span.end - e.span.start);
    }
    (i64::from(new) - delta).max(0) as usize
}

fn line_bounds(src: &str, at: usize) -> (usize, usize, &'static str) {
    let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let nl = src[at..].find('\n').map(|i| at + i);
    let end = nl.unwrap_or(src.len());
    let crlf = end > start && src.as_bytes()[end - 1] == b'\r' && nl.is_some();
    let end = if crlf { end - 1 } else { end };
    (start, end, if crlf { "\r\n" } else { "\n" })
}

fn blank(s: &str) -> bool {
    s.bytes().all(|b| b == b' ' || b == b'\t')
}

/// The comment at the end of the line holding `at`, with the spaces before it.
fn comment_of(src: &str, at: usize) -> Option<&str> {
    let (_, end, _) = line_bounds(src, at);
    let rest = &src[at..end];
    let hash = rest.find('#')?;
    let before = rest[..hash].trim_end_matches([' ', '\t']);
    Some(&rest[before.len()..])
}

/// Lays out a fix's edits like the text around them: an insertion before a
/// statement that starts its line goes on a line of its own above it, one
/// after a statement that ends its line on a line of its own below it; a
/// `forget` taken out alone goes with its line (its comment kept, unless
/// the forget moves: then the comment moves with it).
pub fn layout(src: &str, fix: &mut Fix) {
    let mut moved_comment: Option<String> = None;
    let inserts_forget = fix
        .edits
        .iter()
        .any(|e| e.span.start == e.span.end && e.replacement.contains("forget"));
    for e in &mut fix.edits {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if t > src.len() || s > t || !src.is_char_boundary(s) || !src.is_char_boundary(t) {
            return;
        }
        if !e.replacement.is_empty() || s == t {
            continue;
        }
        if !src[s..t].starts_with("forget") {
            // A name out of a list: a comment on the line describes the
            // rest too; a moved name takes a copy along.
            if let Some(c) = comment_of(src, t) {
                moved_comment = Some(c.to_owned());
            }
            continue;
        }
        let (ls, le, eol) = line_bounds(src, s);
        let before = &src[ls..s];
        let after = &src[t..le];
        let after_t = after.trim_start_matches([' ', '\t']);
        let to_next = if le < src.len() { le + eol.len() } else { le };
        if blank(before) && after_t.is_empty() {
            e.span = Span::new(ls, to_next);
        } else if blank(before) && after_t.starts_with('#') {
            if inserts_forget {
                // The forget moves, its comment with it.
                moved_comment = Some(after.to_owned());
                e.span = Span::new(ls, to_next);
            } else {
                // Taken out: the comment stays on its line.
                e.span = Span::new(s, t + (after.len() - after_t.len()));
            }
        } else if before.trim_end().ends_with(';') {
            let semi = ls + before.trim_end().len() - 1;
            e.span = Span::new(semi, t);
        } else if after_t.starts_with(';') {
            let semi = t + (after.len() - after_t.len()) + 1;
            let rest = &src[semi..le];
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            e.span = Span::new(s, semi + spaces);
        }
    }
    for e in &mut fix.edits {
        if e.span.start != e.span.end {
            continue;
        }
        let at = e.span.start as usize;
        if at > src.len() || !src.is_char_boundary(at) {
            continue;
        }
        let (ls, le, eol) = line_bounds(src, at);
        if let Some(stmt) = e.replacement.strip_suffix("; ") {
            if blank(&src[ls..at]) {
                let mut line = format!("{}{stmt}", &src[ls..at]);
                if let (Some(c), true) = (&moved_comment, stmt.starts_with("forget")) {
                    line.push_str(c);
                }
                line.push_str(eol);
                e.span = Span::new(ls, ls);
                e.replacement = line;
            }
        } else if let Some(stmt) = e.replacement.strip_prefix("; ") {
            let rest = src[at..le].trim_start_matches([' ', '\t']);
            if rest.is_empty() || rest.starts_with('#') {
                let line = &src[ls..le];
                let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
                let mut text = format!("{eol}{indent}{stmt}");
                if let (Some(c), true) = (&moved_comment, stmt.starts_with("forget")) {
                    text.push_str(c);
                }
                e.span = Span::new(le, le);
                e.replacement = text;
            }
        }
    }
    fix.edits.sort_by_key(|e| (e.span.start, e.span.end));
}

/// How much re-checking [`verify`] may do, in bytes of source checked, for a
/// source of `len` bytes: a few checks of the whole text, so that a program
/// with thousands of errors is not checked thousands of times.
fn budget(len: usize) -> usize {
    4 * len + (1 << 20)
}

/// Follows every machine-applicable fix of `analysis` on `src`: applies it,
/// parses and checks the whole result on `capacity`, and keeps the mark
/// only if this error is gone and every error left was there before (at the
/// same place, the edits accounted for). A fix that does not keep its
/// promise becomes `MaybeIncorrect`, and its diagnostic's help says what
/// following it leaves. A fix for an error that follows another error is
/// `MaybeIncorrect` (the checker's board there is its recovery, not a
/// run's), saying so. Past the budget, fixes are left unverified and
/// marked `MaybeIncorrect`, saying so.
pub fn verify(src: &str, capacity: Option<usize>, analysis: &mut Analysis) {
    let before: Vec<(Code, u32)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.position()))
        .collect();
    let mut spent = 0usize;
    let limit = budget(src.len());
    for d in &mut analysis.diagnostics {
        if !d.is_error() {
            continue;
        }
        let me = (d.code, d.position());
        // The board the checker knows past an error is its recovery (a
        // failed write left out, a loop's board put back), not what a run
        // would hold: a fix for a later error is sure only once the
        // earlier ones are fixed (`--fix` re-checks after each).
        let earlier = before.iter().any(|&(_, p)| p < me.1);
        let mut outcome: Option<String> = None;
        for f in &mut d.fixes {
            layout(src, f);
            if f.applicability != Applicability::MachineApplicable {
                continue;
            }
            if earlier {
                f.applicability = Applicability::MaybeIncorrect;
                outcome = Some(
                    "(an earlier error changes what is on the board here: fix it first, then \
                     check again; `--fix` does so in order)"
                        .to_owned(),
                );
                continue;
            }
            if spent > limit {
                f.applicability = Applicability::MaybeIncorrect;
                outcome = Some(
                    "(not applied by `--fix`: this program has too many errors to follow every \
                     suggestion; fix some and check again)"
                        .to_owned(),
                );
                continue;
            }
            spent += src.len();
            match follow(src, &f.edits, capacity, &before, me) {
                Ok(()) => {}
                Err(why) => {
                    f.applicability = Applicability::MaybeIncorrect;
                    outcome = Some(why);
                }
            }
        }
        if let Some(why) = outcome {
            d.help = Some(match d.help.take() {
                Some(h) => format!("{h}\n{why}"),
                None => why,
            });
        }
    }
}

/// Applies `edits` and checks the result: `Err` says what is wrong with it.
fn follow(
    src: &str,
    edits: &[Edit],
    capacity: Option<usize>,
    before: &[(Code, u32)],
    me: (Code, u32),
) -> Result<(), String> {
    let text = apply(src, edits);
    let parsed = syntax::parse(&text);
    if let Some(d) = parsed.diagnostics.first() {
        return Err(format!(
            "(following this leaves a syntax error: {})",
            d.message
        ));
    }
    let after = super::check(&parsed.program, capacity);
    let mapped: Vec<(Code, i64)> = before
        .iter()
        .map(|&(c, p)| (c, map_pos(edits, p)))
        .collect();
    let me = (me.0, map_pos(edits, me.1));
    for d in after.diagnostics.iter().filter(|d| d.is_error()) {
        let at = (d.code, i64::from(d.position()));
        if at == me || !mapped.contains(&at) {
            // The line in the text as it is now.
            let old = unmap_pos(edits, d.position());
            let line = src[..old.min(src.len())]
                .bytes()
                .filter(|&b| b == b'\n')
                .count()
                + 1;
            let why = if at == me {
                "this error stays".to_owned()
            } else {
                format!("line {line} then fails: {}", d.message)
            };
            return Err(format!("(following only this is not enough: {why})"));
        }
    }
    Ok(())
}

/// The first suggestion of `analysis` (checked from `src` on `capacity`,
/// without [`verify`]) that is machine-applicable and keeps its promise when
/// followed, laid out: what `wb check --fix` applies next.
pub fn next_fix(src: &str, capacity: Option<usize>, analysis: &Analysis) -> Option<Fix> {
    let before: Vec<(Code, u32)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.position()))
        .collect();
    // Each try checks the whole program once: a bounded number of them.
    let mut tries = 32;
    for d in analysis.diagnostics.iter().filter(|d| d.is_error()) {
        for f in &d.fixes {
            if f.applicability != Applicability::MachineApplicable {
                continue;
            }
            if tries == 0 {
                return None;
            }
            tries -= 1;
            let mut f = f.clone();
            layout(src, &mut f);
            if follow(src, &f.edits, capacity, &before, (d.code, d.position())).is_ok() {
                return Some(f);
            }
        }
    }
    None
}

/// The first suggestion of `analysis` that is machine-applicable by its
/// kind (moving forgets, a rename no `read` prints), whether or not it is
/// enough alone, laid out: `--fix` tries it when no suggestion is enough
/// alone, and keeps the result only if the program then checks clean.
pub fn next_step(src: &str, analysis: &Analysis) -> Option<Fix> {
    let f = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .flat_map(|d| &d.fixes)
        .find(|f| f.applicability == Applicability::MachineApplicable)?;
    let mut f = f.clone();
    layout(src, &mut f);
    Some(f)
}
