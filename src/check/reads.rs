//! Where each name is read and written, and where the loops are: the
//! positions the help of a diagnostic looks ahead (or back) to.

use crate::syntax::{Item, NameId, Program, Span, Stmt, StmtKind};

/// One name in a `forget` list: where it is, its statement, and its
/// neighbours in the list (to remove it with its comma).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForgetAt {
    /// The name.
    pub name: Span,
    /// The whole `forget` statement.
    pub stmt: Span,
    /// The end of the name before it in the list, if any.
    pub prev_end: Option<u32>,
    /// The start of the name after it in the list, if any.
    pub next_start: Option<u32>,
}

/// For every name, the byte offsets where it is read (and where it is
/// written), in source order; and every loop's span.
#[derive(Clone, Debug, Default)]
pub struct Reads {
    at: Vec<Vec<u32>>,
    writes: Vec<Vec<u32>>,
    /// Reads by `read` statements (whose text a run prints).
    printed: Vec<Vec<u32>>,
    /// Every name in a `forget`, per name, in source order.
    forgets: Vec<Vec<ForgetAt>>,
    /// Every statement's span, in source order (by start).
    stmts: Vec<Span>,
    /// Loops in source order (by start), each with its enclosing loop.
    loops: Vec<(Span, Option<u32>)>,
    /// The loops open while statements are added (indices into `loops`).
    open: Vec<u32>,
}

impl Reads {
    /// Collects every read of the program.
    pub fn of(program: &Program) -> Reads {
        let mut reads = Reads::default();
        for item in &program.items {
            if let Item::Stmt(s) = item {
                reads.stmt(s);
            }
        }
        reads
    }

    /// Adds the reads of one more statement (the REPL grows its program).
    pub fn stmt(&mut self, s: &Stmt) {
        self.stmts.push(s.span);
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                self.expr(value);
                if let Some(g) = gate {
                    self.expr(g.expr());
                }
                push(&mut self.writes, target.id, target.span.start);
            }
            StmtKind::Read(exprs) => {
                for e in exprs {
                    self.expr(e);
                    for n in e.names() {
                        push(&mut self.printed, n.id, n.span.start);
                    }
                }
            }
            StmtKind::Forget(list) => {
                for (i, n) in list.iter().enumerate() {
                    let at = ForgetAt {
                        name: n.span,
                        stmt: s.span,
                        prev_end: i.checked_sub(1).map(|p| list[p].span.end),
                        next_start: list.get(i + 1).map(|m| m.span.start),
                    };
                    let table = &mut self.forgets;
                    if table.len() <= n.id.index() {
                        table.resize(n.id.index() + 1, Vec::new());
                    }
                    table[n.id.index()].push(at);
                }
            }
            StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                let index = self.loops.len() as u32;
                self.loops.push((s.span, self.open.last().copied()));
                self.open.push(index);
                body.iter().for_each(|b| self.stmt(b));
                self.open.pop();
            }
        }
    }

    fn expr(&mut self, e: &crate::syntax::Expr) {
        for n in e.names() {
            self.push(n.id, n.span.start);
        }
    }

    fn push(&mut self, id: NameId, at: u32) {
        push(&mut self.at, id, at);
    }

    /// The first write of `id` at or after `pos`.
    pub fn next_write(&self, id: NameId, pos: u32) -> Option<u32> {
        let w = self
            .writes
            .get(id.index())
            .map_or(&[][..], |v| v.as_slice());
        let i = w.partition_point(|&p| p < pos);
        w.get(i).copied()
    }

    /// The writes of `id`, in source order.
    pub fn writes_of(&self, id: NameId) -> &[u32] {
        self.writes.get(id.index()).map_or(&[], |v| v.as_slice())
    }

    /// The first `forget` of `id` at or after `pos`.
    pub fn next_forget(&self, id: NameId, pos: u32) -> Option<ForgetAt> {
        let f = self
            .forgets
            .get(id.index())
            .map_or(&[][..], |v| v.as_slice());
        let i = f.partition_point(|a| a.name.start < pos);
        f.get(i).copied()
    }

    /// Whether a `read` statement reads `id` within `start..end` (its text
    /// is what a run prints).
    pub fn printed_within(&self, id: NameId, start: u32, end: u32) -> bool {
        let r = self
            .printed
            .get(id.index())
            .map_or(&[][..], |v| v.as_slice());
        let i = r.partition_point(|&p| p < start);
        r.get(i).is_some_and(|&p| p < end)
    }

    /// The reads of `id` within `start..end`.
    pub fn within(&self, id: NameId, start: u32, end: u32) -> &[u32] {
        let r = self.of_name(id);
        let a = r.partition_point(|&p| p < start);
        let b = r.partition_point(|&p| p < end);
        &r[a..b]
    }

    /// The innermost statement that holds `pos`.
    pub fn stmt_at(&self, pos: u32) -> Option<Span> {
        let i = self.stmts.partition_point(|s| s.start <= pos);
        let s = *self.stmts.get(i.checked_sub(1)?)?;
        (s.start <= pos && pos < s.end).then_some(s)
    }

    /// The innermost loop that contains `pos`.
    pub fn loop_at(&self, pos: u32) -> Option<Span> {
        let contains = |s: Span, p: u32| s.start <= p && p < s.end;
        let i = self.loops.partition_point(|(s, _)| s.start <= pos);
        let mut cur = i.checked_sub(1).map(|i| i as u32);
        while let Some(c) = cur {
            let (span, parent) = self.loops[c as usize];
            if contains(span, pos) {
                return Some(span);
            }
            cur = parent;
        }
        None
    }

    /// The outermost loop that contains `pos` but not `outside`: the
    /// statement after which something at `pos` is over, seen from
    /// `outside`. `None` when every loop around `pos` also holds `outside`.
    pub fn loop_around(&self, pos: u32, outside: u32) -> Option<Span> {
        let contains = |s: Span, p: u32| s.start <= p && p < s.end;
        let i = self.loops.partition_point(|(s, _)| s.start <= pos);
        let mut cur = i.checked_sub(1).map(|i| i as u32);
        // Up to the innermost loop that holds `pos`.
        while let Some(c) = cur {
            let (span, parent) = self.loops[c as usize];
            if contains(span, pos) {
                break;
            }
            cur = parent;
        }
        let mut best = None;
        while let Some(c) = cur {
            let (span, parent) = self.loops[c as usize];
            if contains(span, outside) {
                break;
            }
            best = Some(span);
            cur = parent;
        }
        best
    }

    /// The reads of `id`, in source order.
    pub fn of_name(&self, id: NameId) -> &[u32] {
        self.at.get(id.index()).map_or(&[], |v| v.as_slice())
    }

    /// The first read of `id` at or after `pos`.
    pub fn next_after(&self, id: NameId, pos: u32) -> Option<u32> {
        let r = self.of_name(id);
        let i = r.partition_point(|&p| p < pos);
        r.get(i).copied()
    }

    /// The last read of `id` before `pos`.
    pub fn last_before(&self, id: NameId, pos: u32) -> Option<u32> {
        let r = self.of_name(id);
        let i = r.partition_point(|&p| p < pos);
        i.checked_sub(1).map(|i| r[i])
    }

    /// The first read of `id` within `start..end`.
    pub fn first_within(&self, id: NameId, start: u32, end: u32) -> Option<u32> {
        self.next_after(id, start).filter(|&p| p < end)
    }
}

fn push(table: &mut Vec<Vec<u32>>, id: NameId, at: u32) {
    if table.len() <= id.index() {
        table.resize(id.index() + 1, Vec::new());
    }
    table[id.index()].push(at);
}
