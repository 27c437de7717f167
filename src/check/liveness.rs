//! Liveness: which board values are read again, and what follows from it.
//!
//! One backward pass over the program finds, for every statement, the board
//! names it touches that are not read afterwards (they "die" there). From
//! that come the `dead_write` warnings (a value no path reads), and one
//! forward pass places a `forget` right after each death, which gives
//! `min_capacity` and the plan that `wb check --fix` writes.
//!
//! Existing `forget`s are ignored: the analysis asks where forgets should be,
//! not where they are. A loop may run any number of times, so a name read
//! anywhere in a loop body before the body writes it is live at the loop's
//! head (the standard dataflow join, which one pass reaches because the
//! effect of a body is "kill some names, read some others"). Rule 3 decides
//! where a death may become a `forget`: only in the loop body where the name
//! was put on the board; a value carried into a loop stays through it.

use std::collections::HashSet;

use crate::diag::{Code, Diagnostic};
use crate::syntax::{Expr, Gate, Item, LineIndex, NameId, Names, Program, Span, Stmt, StmtKind};

use super::{NameKind, Symbols};

/// A statement's number in pre-order over the whole program (loop bodies
/// follow their loop).
pub(crate) type StmtId = u32;

/// What a loop body does to names, seen from outside: the names it reads
/// before writing them (`gen`), and every name it writes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    gen: Vec<NameId>,
    pub(crate) writes: Vec<NameId>,
}

/// The statements in pre-order, each with the id one past its subtree.
pub(crate) struct Index<'p> {
    pub(crate) stmts: Vec<&'p Stmt>,
    end: Vec<StmtId>,
    /// Each loop's summary (boxed: most statements are not loops).
    pub(crate) summary: Vec<Option<Box<Summary>>>,
}

impl<'p> Index<'p> {
    /// Numbers the statements of `program`.
    pub(crate) fn of(program: &'p Program) -> Index<'p> {
        let mut index = Index {
            stmts: Vec::new(),
            end: Vec::new(),
            summary: Vec::new(),
        };
        for item in &program.items {
            if let Item::Stmt(s) = item {
                index.add(s);
            }
        }
        index
    }

    fn add(&mut self, s: &'p Stmt) -> StmtId {
        let id = self.stmts.len();
        self.stmts.push(s);
        self.end.push(0);
        self.summary.push(None);
        if let Some(body) = body(s) {
            let mut inner = Vec::with_capacity(body.len());
            for b in body {
                inner.push(self.add(b));
            }
            self.summary[id] = Some(Box::new(self.summarize(&inner)));
        }
        self.end[id] = self.stmts.len() as StmtId;
        id as StmtId
    }

    /// The summary of a body, from its statements' ids, last to first.
    fn summarize(&self, body: &[StmtId]) -> Summary {
        let mut gen: HashSet<NameId> = HashSet::new();
        let mut writes: HashSet<NameId> = HashSet::new();
        for &id in body.iter().rev() {
            let s = self.stmts[id as usize];
            match &s.kind {
                StmtKind::Write { target, gate, .. } => {
                    if gate.is_none() {
                        gen.remove(&target.id);
                    } else {
                        gen.insert(target.id);
                    }
                    gen.extend(own_reads(s).map(|n| n.id));
                    writes.insert(target.id);
                }
                StmtKind::Read(_) => gen.extend(own_reads(s).map(|n| n.id)),
                StmtKind::Forget(_) => {}
                StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
                    if let Some(inner) = &self.summary[id as usize] {
                        gen.extend(inner.gen.iter().copied());
                        writes.extend(inner.writes.iter().copied());
                    }
                }
            }
        }
        // Sorted, so that everything computed from them is deterministic.
        let mut gen: Vec<NameId> = gen.into_iter().collect();
        gen.sort_unstable();
        let mut writes: Vec<NameId> = writes.into_iter().collect();
        writes.sort_unstable();
        Summary { gen, writes }
    }
}

fn body(s: &Stmt) -> Option<&[Stmt]> {
    match &s.kind {
        StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => Some(body),
        _ => None,
    }
}

/// Reads of a statement's own expressions (not its body), in source order.
fn own_reads(s: &Stmt) -> impl Iterator<Item = crate::syntax::Ident> + '_ {
    let (value, gate, exprs): (Option<&Expr>, Option<&Expr>, &[Expr]) = match &s.kind {
        StmtKind::Write { value, gate, .. } => (Some(value), gate.as_deref().map(Gate::expr), &[]),
        StmtKind::Read(exprs) => (None, None, exprs),
        _ => (None, None, &[]),
    };
    value
        .into_iter()
        .chain(gate)
        .chain(exprs)
        .flat_map(|e| e.names())
}

/// What comes next for a name, in the text: for wording dead writes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Event {
    Read,
    Write(Span),
    Forget(Span),
}

/// A write whose value no path reads.
#[derive(Clone, Debug)]
struct DeadWrite {
    name: NameId,
    target: Span,
    next: Option<Event>,
}

/// The result of the analysis.
#[derive(Clone, Debug, Default)]
pub(crate) struct Liveness {
    /// The fewest slots the program needs with every forget placed right
    /// after the last read.
    pub min_capacity: usize,
    /// Where forgets belong: `(after statement, name)`, in statement order
    /// and, per statement, in the order the names are read.
    pub plan: Vec<(StmtId, NameId)>,
    /// Writes whose value is never read.
    dead_writes: Vec<DeadWrite>,
    /// Inputs and streams never read.
    unused: Vec<NameId>,
}

impl Liveness {
    /// Runs the analysis. `skip` names are left out of the warnings (their
    /// write failed; they were reported already).
    pub(crate) fn of(program: &Program, symbols: &Symbols, skip: &HashSet<NameId>) -> Liveness {
        Liveness::of_index(&Index::of(program), program, symbols, skip)
    }

    /// [`Liveness::of`] over an index already built.
    pub(crate) fn of_index(
        index: &Index,
        program: &Program,
        symbols: &Symbols,
        skip: &HashSet<NameId>,
    ) -> Liveness {
        let n = program.names.len();
        let is_board: Vec<bool> = (0..n)
            .map(|i| symbols.kind(NameId(i as u32)) == NameKind::Board)
            .collect();
        let mut back = Backward {
            index,
            is_board: &is_board,
            live: vec![false; n],
            stamp: vec![u32::MAX; n],
            next: vec![None; n],
            deaths: Vec::new(),
            dead_writes: Vec::new(),
        };
        let top: Vec<StmtId> = top_level(index);
        back.block(&top);
        let mut deaths = back.deaths;
        deaths.sort_by_key(|&(id, _)| id);
        let mut dead_writes = back.dead_writes;
        dead_writes.retain(|d| !skip.contains(&d.name));
        dead_writes.reverse();

        let mut fwd = Forward {
            index,
            is_board: &is_board,
            deaths: &deaths,
            on: vec![false; n],
            depth_of: vec![0; n],
            count: 0,
            peak: 0,
            depth: 0,
            plan: Vec::new(),
        };
        fwd.block(&top);
        let mut plan = fwd.plan;
        plan.sort_by_key(|&(id, _)| id);

        let mut used = vec![false; n];
        for s in &index.stmts {
            for r in own_reads(s) {
                used[r.id.index()] = true;
            }
            if let StmtKind::Each { streams, .. } = &s.kind {
                for st in streams {
                    used[st.id.index()] = true;
                }
            }
        }
        let mut unused: Vec<NameId> = symbols
            .inputs
            .iter()
            .map(|i| i.name)
            .chain(symbols.streams.iter().map(|s| s.name))
            .filter(|id| !used[id.index()])
            .collect();
        unused.sort_unstable();

        Liveness {
            min_capacity: fwd.peak,
            plan,
            dead_writes,
            unused,
        }
    }

    /// The inputs and streams the program never reads.
    pub(crate) fn unused(&self) -> &[NameId] {
        &self.unused
    }

    /// The warnings: `dead_write` and `unused_input`.
    pub(crate) fn warnings(
        &self,
        names: &Names,
        symbols: &Symbols,
        lines: &LineIndex,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for d in &self.dead_writes {
            let text = names.text(d.name);
            let line = |s: Span| lines.line(s.start as usize);
            let (why, help, second) = match d.next {
                Some(Event::Write(at)) => (
                    format!("overwritten on line {} before it is read", line(at)),
                    format!(
                        "remove this write, or read `{text}` before line {} overwrites it",
                        line(at)
                    ),
                    Some((at, "overwritten here")),
                ),
                Some(Event::Forget(at)) => (
                    format!("forgotten on line {} before it is read", line(at)),
                    format!("remove this write, or read `{text}` before it is forgotten"),
                    Some((at, "forgotten here")),
                ),
                _ => (
                    "never read: it is still on the board, unread, when the program ends"
                        .to_owned(),
                    format!("remove this write, or read `{text}` later"),
                    None,
                ),
            };
            let mut diag = Diagnostic::warning(
                Code::DeadWrite,
                format!("the value written to `{text}` is {why}"),
                d.target,
                "written here",
            )
            .with_help(help);
            if let Some((at, label)) = second {
                diag = diag.with_label(at, label);
            }
            out.push(diag);
        }
        for &id in &self.unused {
            let text = names.text(id);
            let (span, what) = match symbols.kind(id) {
                NameKind::Stream(i) => (symbols.streams[i].span, "stream"),
                NameKind::Input(i) => (symbols.inputs[i].span, "input"),
                _ => continue,
            };
            let help = if what == "stream" {
                format!("remove `{text}` from the `stream` declaration, or run `each {text} {{ … }}` over it")
            } else {
                format!("remove `{text}` from the `input` declaration, or read it")
            };
            out.push(
                Diagnostic::warning(
                    Code::UnusedInput,
                    format!("the {what} `{text}` is never read"),
                    span,
                    "declared here",
                )
                .with_help(help),
            );
        }
        out
    }
}

/// The ids of the top-level statements.
pub(crate) fn top_level(index: &Index) -> Vec<StmtId> {
    let mut ids = Vec::new();
    let mut id = 0;
    while (id as usize) < index.stmts.len() {
        ids.push(id);
        id = index.end[id as usize];
    }
    ids
}

/// The ids of a loop's body statements.
pub(crate) fn children(index: &Index, id: StmtId) -> Vec<StmtId> {
    let mut ids = Vec::new();
    let mut c = id + 1;
    while c < index.end[id as usize] {
        ids.push(c);
        c = index.end[c as usize];
    }
    ids
}

/// The backward pass: liveness and deaths.
struct Backward<'a, 'p> {
    index: &'a Index<'p>,
    is_board: &'a [bool],
    /// Whether each name may be read later (at the current point).
    live: Vec<bool>,
    /// The statement that last recorded a death of each name (dedupes).
    stamp: Vec<StmtId>,
    /// The next event on each name in the text.
    next: Vec<Option<Event>>,
    deaths: Vec<(StmtId, NameId)>,
    dead_writes: Vec<DeadWrite>,
}

impl Backward<'_, '_> {
    fn block(&mut self, ids: &[StmtId]) {
        for &id in ids.iter().rev() {
            self.stmt(id);
        }
    }

    fn death(&mut self, id: StmtId, n: NameId) {
        if self.is_board[n.index()] && !self.live[n.index()] && self.stamp[n.index()] != id {
            self.stamp[n.index()] = id;
            self.deaths.push((id, n));
        }
    }

    fn stmt(&mut self, id: StmtId) {
        let s = self.index.stmts[id as usize];
        match &s.kind {
            StmtKind::Write { target, gate, .. } => {
                for r in own_reads(s) {
                    self.death(id, r.id);
                }
                let t = target.id.index();
                if self.is_board[t] && !self.live[t] {
                    self.dead_writes.push(DeadWrite {
                        name: target.id,
                        target: target.span,
                        next: self.next[t],
                    });
                }
                self.death(id, target.id);
                self.live[t] = false;
                for r in own_reads(s) {
                    self.read(r.id);
                }
                self.next[t] = Some(Event::Write(target.span));
                if gate.is_some() {
                    self.read(target.id);
                }
            }
            StmtKind::Read(_) => {
                for r in own_reads(s) {
                    self.death(id, r.id);
                }
                for r in own_reads(s) {
                    self.read(r.id);
                }
            }
            StmtKind::Forget(list) => {
                for n in list {
                    self.next[n.id.index()] = Some(Event::Forget(s.span));
                }
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => self.looped(id),
        }
    }

    fn read(&mut self, n: NameId) {
        self.live[n.index()] = true;
        self.next[n.index()] = Some(Event::Read);
    }

    fn looped(&mut self, id: StmtId) {
        let Some(summary) = self.index.summary[id as usize].as_ref() else {
            return;
        };
        // After the loop: what the body touched and nothing later reads.
        for &n in summary.gen.iter().chain(&summary.writes) {
            self.death(id, n);
        }
        // The loop's head: live after it, or read by the body first.
        for &n in &summary.gen {
            self.live[n.index()] = true;
        }
        let head: Vec<bool> = summary
            .writes
            .iter()
            .map(|n| self.live[n.index()])
            .collect();
        let body = children(self.index, id);
        self.block(&body);
        // Before the loop the live set is the head's again (the body only
        // killed names it writes).
        for (n, was) in summary.writes.iter().zip(head) {
            self.live[n.index()] = was;
        }
    }
}

/// The forward pass: the board with a forget after each death.
struct Forward<'a, 'p> {
    index: &'a Index<'p>,
    is_board: &'a [bool],
    deaths: &'a [(StmtId, NameId)],
    on: Vec<bool>,
    /// The loop depth at which each name on the board was put there.
    depth_of: Vec<u32>,
    count: usize,
    peak: usize,
    depth: u32,
    plan: Vec<(StmtId, NameId)>,
}

impl Forward<'_, '_> {
    fn block(&mut self, ids: &[StmtId]) {
        let mut placed: Vec<NameId> = Vec::new();
        for &id in ids {
            let s = self.index.stmts[id as usize];
            match &s.kind {
                StmtKind::Write { target, .. } => {
                    let t = target.id.index();
                    if self.is_board[t] && !self.on[t] {
                        self.on[t] = true;
                        self.depth_of[t] = self.depth;
                        self.count += 1;
                        self.peak = self.peak.max(self.count);
                        placed.push(target.id);
                    }
                }
                StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
                    let body = children(self.index, id);
                    self.depth += 1;
                    self.block(&body);
                    self.depth -= 1;
                }
                StmtKind::Read(_) | StmtKind::Forget(_) => {}
            }
            // Deaths are sorted by statement (a loop's own come before its
            // body's, but are reached after them): find this one's.
            let mut k = self.deaths.partition_point(|&(d, _)| d < id);
            while k < self.deaths.len() && self.deaths[k].0 == id {
                let n = self.deaths[k].1;
                k += 1;
                self.forget_after(id, n);
            }
        }
        // Rule 3: a body forgets whatever it put on the board (after its
        // last statement that is not itself a `forget`).
        if self.depth > 0 {
            let last = ids
                .iter()
                .rev()
                .find(|&&id| !matches!(self.index.stmts[id as usize].kind, StmtKind::Forget(_)));
            if let Some(&last) = last {
                for n in placed {
                    self.forget_after(last, n);
                }
            }
        }
    }

    fn forget_after(&mut self, id: StmtId, n: NameId) {
        let i = n.index();
        if self.on[i] && self.depth_of[i] == self.depth {
            self.on[i] = false;
            self.count -= 1;
            self.plan.push((id, n));
        }
    }
}
