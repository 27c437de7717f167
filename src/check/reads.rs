//! Where each name is read: the positions the board-full help looks ahead to.

use crate::syntax::{Item, NameId, Program, Stmt, StmtKind};

/// For every name, the byte offsets where it is read, in source order.
#[derive(Clone, Debug, Default)]
pub struct Reads {
    at: Vec<Vec<u32>>,
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
        match &s.kind {
            StmtKind::Write { value, gate, .. } => {
                self.expr(value);
                if let Some(g) = gate {
                    self.expr(g.expr());
                }
            }
            StmtKind::Read(exprs) => exprs.iter().for_each(|e| self.expr(e)),
            StmtKind::Forget(_) => {}
            StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                body.iter().for_each(|b| self.stmt(b))
            }
        }
    }

    fn expr(&mut self, e: &crate::syntax::Expr) {
        for n in e.names() {
            self.push(n.id, n.span.start);
        }
    }

    fn push(&mut self, id: NameId, at: u32) {
        if self.at.len() <= id.index() {
            self.at.resize(id.index() + 1, Vec::new());
        }
        self.at[id.index()].push(at);
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
