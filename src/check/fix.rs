//! `wb check --fix`: put every `forget` right after the last read.
//!
//! The plan comes from liveness (a forget after each statement where a value
//! dies, within the loop body that put it on the board). The rewrite is a
//! set of text edits, so comments and layout survive: forgets already where
//! they belong stay as written, a misplaced or redundant one is removed, and
//! a missing one is added on its own line after the statement (or after a
//! `;` when the statement shares its line).

use std::collections::{HashMap, HashSet};

use crate::diag::{Code, Diagnostic};
use crate::syntax::{NameId, Names, Program, Span, StmtKind};

use super::liveness::{self, Index, Liveness, StmtId};
use super::Analysis;

/// A rewritten program.
#[derive(Clone, Debug, PartialEq)]
pub struct Fixed {
    /// The new source text.
    pub text: String,
    /// Names added to `forget` statements.
    pub added: usize,
    /// Names removed from `forget` statements.
    pub removed: usize,
}

impl Fixed {
    /// Whether the text changed.
    pub fn changed(&self) -> bool {
        self.added + self.removed > 0
    }
}

/// The codes `--fix` can repair by placing forgets; any other error stops it.
const FIXABLE: [Code; 4] = [
    Code::BoardFull,
    Code::Forgotten,
    Code::NotOnBoard,
    Code::LoopNotNeutral,
];

/// Rewrites `program` (parsed from `src`, checked as `analysis`) with every
/// forget right after the last read. The errors that moving forgets cannot
/// repair are returned instead, untouched.
pub fn fix(program: &Program, src: &str, analysis: &Analysis) -> Result<Fixed, Vec<Diagnostic>> {
    let blocking: Vec<Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !FIXABLE.contains(&d.code))
        .cloned()
        .collect();
    if !blocking.is_empty() {
        return Err(blocking);
    }
    let index = Index::of(program);
    let live = Liveness::of_index(&index, program, &analysis.symbols, &HashSet::new());
    let mut desired: HashMap<StmtId, Vec<NameId>> = HashMap::new();
    for &(id, n) in &live.plan {
        desired.entry(id).or_default().push(n);
    }
    let mut rewrite = Rewrite {
        src,
        names: &program.names,
        index: &index,
        desired,
        edits: Vec::new(),
        added: 0,
        removed: 0,
    };
    let top = liveness::top_level(&index);
    // After the last statement that writes, a forget frees a slot nobody
    // takes: add none there (keep those the program has, if well placed).
    let tail = top
        .iter()
        .rposition(|&id| writes(&index, id))
        .map_or(0, |i| i + 1);
    rewrite.block(&top, Some(tail));
    let text = rewrite.apply();
    Ok(Fixed {
        text,
        added: rewrite.added,
        removed: rewrite.removed,
    })
}

fn writes(index: &Index, id: StmtId) -> bool {
    match &index.stmts[id as usize].kind {
        StmtKind::Write { .. } => true,
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => index.summary[id as usize]
            .as_ref()
            .is_some_and(|s| !s.writes.is_empty()),
        _ => false,
    }
}

/// One text edit: replace `start..end` with `text`.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

struct Rewrite<'a, 'p> {
    src: &'a str,
    names: &'a Names,
    index: &'a Index<'p>,
    desired: HashMap<StmtId, Vec<NameId>>,
    edits: Vec<Edit>,
    added: usize,
    removed: usize,
}

impl Rewrite<'_, '_> {
    /// Fixes the gaps of one block; `tail` (top level only) is the position
    /// from which no forget is added.
    fn block(&mut self, ids: &[StmtId], tail: Option<usize>) {
        let mut i = 0;
        // Forgets at the very start of a block free nothing the block needs.
        let mut after: Option<(usize, StmtId)> = None;
        while i <= ids.len() {
            let run_start = i;
            while i < ids.len() && liveness_is_forget(self.index, ids[i]) {
                i += 1;
            }
            let run = &ids[run_start..i];
            let want = match after {
                Some((_, id)) => self.desired.remove(&id).unwrap_or_default(),
                None => Vec::new(),
            };
            let in_tail = match (after, tail) {
                (Some((pos, _)), Some(t)) => pos + 1 >= t,
                (None, Some(_)) => false,
                _ => false,
            };
            self.gap(after.map(|(_, id)| id), run, want, in_tail);
            if i == ids.len() {
                break;
            }
            let id = ids[i];
            if body_of(self.index, id) {
                let inner = liveness::children(self.index, id);
                self.block(&inner, None);
            }
            after = Some((i, id));
            i += 1;
        }
    }

    /// One gap: the forgets `run` that follow statement `after`, which should
    /// forget `want`.
    fn gap(&mut self, after: Option<StmtId>, run: &[StmtId], want: Vec<NameId>, in_tail: bool) {
        let mut have: Vec<NameId> = Vec::new();
        let mut seen: HashSet<NameId> = HashSet::new();
        let mut spans: Vec<Span> = Vec::new();
        let mut dup = false;
        for &f in run {
            let s = self.index.stmts[f as usize];
            spans.push(s.span);
            if let StmtKind::Forget(list) = &s.kind {
                for n in list {
                    if seen.insert(n.id) {
                        have.push(n.id);
                    } else {
                        dup = true;
                    }
                }
            }
        }
        let has: HashSet<NameId> = have.iter().copied().collect();
        let mut want = want;
        if in_tail {
            want.retain(|n| has.contains(n));
        }
        let wants: HashSet<NameId> = want.iter().copied().collect();
        if !dup && has == wants {
            return;
        }
        self.added += want.iter().filter(|n| !has.contains(n)).count();
        self.removed += have.iter().filter(|n| !wants.contains(n)).count();
        // Keep the program's order for names it already forgets here.
        let mut order: Vec<NameId> = have.iter().copied().filter(|n| wants.contains(n)).collect();
        order.extend(want.iter().copied().filter(|n| !has.contains(n)));
        let stmt = if order.is_empty() {
            String::new()
        } else {
            let list: Vec<&str> = order.iter().map(|&n| self.names.text(n)).collect();
            format!("forget {}", list.join(", "))
        };
        match spans.split_first() {
            Some((first, rest)) => {
                if stmt.is_empty() {
                    self.delete(*first);
                } else {
                    self.edits.push(Edit {
                        start: first.start as usize,
                        end: first.end as usize,
                        text: stmt,
                    });
                }
                for s in rest {
                    self.delete(*s);
                }
            }
            None => {
                if let (Some(id), false) = (after, stmt.is_empty()) {
                    let span = self.index.stmts[id as usize].span;
                    self.insert_after(span, &stmt);
                }
            }
        }
    }

    /// Removes a statement with its separator, or its whole line when it is
    /// alone there (a comment on that line goes with it).
    fn delete(&mut self, span: Span) {
        let src = self.src;
        let (start, end) = (span.start as usize, span.end as usize);
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[end..].find('\n').map_or(src.len(), |i| end + i);
        let before = &src[line_start..start];
        let after = src[end..line_end].trim_end_matches('\r');
        let after_t = after.trim_start_matches([' ', '\t']);
        let edit = if before.trim().is_empty() && (after_t.is_empty() || after_t.starts_with('#')) {
            let to = if line_end < src.len() {
                line_end + 1
            } else {
                line_end
            };
            (line_start, to)
        } else if before.trim_end().ends_with(';') {
            (line_start + before.trim_end().len() - 1, end)
        } else if after_t.starts_with(';') {
            let semi = end + (after.len() - after_t.len()) + 1;
            let rest = &src[semi..line_end];
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            (start, semi + spaces)
        } else {
            (start, end)
        };
        self.edits.push(Edit {
            start: edit.0,
            end: edit.1,
            text: String::new(),
        });
    }

    /// Adds `stmt` right after the statement at `span`: on a new line with
    /// the same indentation, or after `; ` when the line goes on.
    fn insert_after(&mut self, span: Span, stmt: &str) {
        let src = self.src;
        let end = span.end as usize;
        let line_start = src[..span.start as usize].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = src[line_start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let nl = src[end..].find('\n').map(|i| end + i);
        let line_end = nl.unwrap_or(src.len());
        let crlf = line_end > end && src.as_bytes()[line_end - 1] == b'\r';
        let rest = src[end..line_end]
            .trim_end_matches('\r')
            .trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest.starts_with('#') {
            let (at, eol) = if crlf {
                (line_end - 1, "\r\n")
            } else {
                (line_end, "\n")
            };
            self.edits.push(Edit {
                start: at,
                end: at,
                text: format!("{eol}{indent}{stmt}"),
            });
        } else {
            self.edits.push(Edit {
                start: end,
                end,
                text: format!("; {stmt}"),
            });
        }
    }

    fn apply(&mut self) -> String {
        let mut edits = std::mem::take(&mut self.edits);
        edits.sort_by_key(|e| (e.start, e.end));
        let mut out = String::with_capacity(self.src.len() + edits.len() * 16);
        let mut pos = 0;
        for e in edits {
            // Edits never overlap; a defensive skip keeps the text valid
            // UTF-8 if they ever did.
            if e.start < pos {
                continue;
            }
            out.push_str(&self.src[pos..e.start]);
            out.push_str(&e.text);
            pos = e.end;
        }
        out.push_str(&self.src[pos..]);
        out
    }
}

fn liveness_is_forget(index: &Index, id: StmtId) -> bool {
    matches!(index.stmts[id as usize].kind, StmtKind::Forget(_))
}

fn body_of(index: &Index, id: StmtId) -> bool {
    matches!(
        index.stmts[id as usize].kind,
        StmtKind::Each { .. } | StmtKind::Repeat { .. }
    )
}
