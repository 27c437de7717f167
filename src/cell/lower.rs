//! Lowering: a checked program to a [`Cell`].
//!
//! The board is simulated once over the text with [`Board`] (lowest free
//! slot first, as in the interpreter), so a name's unit is its slot. Each
//! statement becomes an [`Action`]; consecutive statements fuse into one
//! [`Step`] while none depends on another in the group:
//!
//! - it reads no unit an earlier one writes or forgets (read after write),
//! - it writes or forgets no unit an earlier one reads (write after read),
//! - it writes or forgets no unit an earlier one writes (a unit is written
//!   once per step); a write may take a unit an earlier `forget` freed.
//!
//! Loops are barriers: a body is lowered once into its own schedule.

use std::collections::{HashMap, HashSet};

use super::{
    Action, ActionKind, Cell, EachNode, Instr, InstrOp, Node, Operand, ReadSite, RepeatNode,
    Residence, Step, StmtInfo, WriteMode,
};
use crate::board::Board;
use crate::check::{Analysis, NameKind};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{BinOp, Expr, Gate, Item, NameId, Op, OpKind, Program, Span, Stmt, StmtKind};

/// Lowers a program that passed [`crate::check::check`] (`analysis` is its
/// result) to a cell. A program the checker rejected is refused.
pub fn compile(program: &Program, analysis: &Analysis, src: &str) -> Result<Cell, Diagnostic> {
    if analysis.has_errors() {
        return Err(Diagnostic::global(
            Code::Syntax,
            "the program has errors; `wb check` shows them",
        ));
    }
    let kinds = analysis.symbols.kinds();
    let last_line = program.items.last().map_or(1, |i| {
        program.lines.line(i.span().end.saturating_sub(1) as usize)
    });
    let mut l = Lowerer {
        program,
        src,
        kinds,
        board: Board::default(),
        consts: Vec::new(),
        const_index: HashMap::new(),
        stmts: Vec::new(),
        residences: Vec::new(),
        open: HashMap::new(),
        reads: Vec::new(),
        temps: 0,
        steps: 0,
        loops: 0,
        last_line,
    };
    let stmts: Vec<&Stmt> = program
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Stmt(s) => Some(s),
            _ => None,
        })
        .collect();
    let nodes = l.block(&stmts)?;
    let units = l.board.extent();
    Ok(Cell {
        units,
        capacity: analysis.capacity.unwrap_or(units),
        inputs: analysis.symbols.inputs.iter().map(|i| i.name).collect(),
        streams: analysis.symbols.streams.iter().map(|s| s.name).collect(),
        consts: l.consts,
        temps: l.temps,
        nodes,
        residences: l.residences,
        reads: l.reads,
        stmts: l.stmts,
        names: program.names.clone(),
        src: src.to_owned(),
    })
}

struct Lowerer<'a> {
    program: &'a Program,
    src: &'a str,
    kinds: &'a [NameKind],
    board: Board,
    consts: Vec<f64>,
    const_index: HashMap<u64, usize>,
    stmts: Vec<StmtInfo>,
    residences: Vec<Residence>,
    /// Name → its open residence.
    open: HashMap<NameId, usize>,
    reads: Vec<ReadSite>,
    temps: usize,
    /// Steps numbered so far.
    steps: usize,
    loops: usize,
    last_line: usize,
}

/// The units a statement touches, for the fusion rule.
#[derive(Default)]
struct Touch {
    reads: Vec<usize>,
    writes: Vec<usize>,
    forgets: Vec<usize>,
}

/// The step being built and what its statements touch so far (sets, so
/// that fusing many statements costs what they touch, not its square).
#[derive(Default)]
struct Group {
    step: Step,
    read: HashSet<usize>,
    written: HashSet<usize>,
    forgotten: HashSet<usize>,
    /// The next free temporary register.
    base: usize,
}

impl Group {
    fn fuses(&self, t: &Touch) -> bool {
        let hit = |set: &HashSet<usize>, us: &[usize]| us.iter().any(|u| set.contains(u));
        !(hit(&self.written, &t.reads)
            || hit(&self.forgotten, &t.reads)
            || hit(&self.written, &t.writes)
            || hit(&self.read, &t.writes)
            || hit(&self.written, &t.forgets)
            || hit(&self.read, &t.forgets)
            || hit(&self.forgotten, &t.forgets))
    }

    fn add(&mut self, t: Touch) {
        self.read.extend(t.reads);
        self.written.extend(t.writes);
        self.forgotten.extend(t.forgets);
    }
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::Syntax,
        format!("the cell compiler cannot lower this statement: {what}"),
        span,
        "here",
    )
}

impl Lowerer<'_> {
    fn block(&mut self, stmts: &[&Stmt]) -> Result<Vec<Node>, Diagnostic> {
        let mut nodes = Vec::new();
        let mut group = Group::default();
        for s in stmts {
            match &s.kind {
                StmtKind::Each { streams, body } => {
                    self.flush(&mut group, &mut nodes);
                    let stmt = self.info(s);
                    let mut zipped = Vec::new();
                    for ident in streams {
                        match self.kind(ident.id) {
                            NameKind::Stream(i) => zipped.push((i, ident.id, ident.span)),
                            _ => return Err(internal(ident.span, "not a stream")),
                        }
                    }
                    let body = self.body(s, body)?;
                    nodes.push(Node::Each(EachNode {
                        stmt,
                        streams: zipped,
                        body,
                    }));
                }
                StmtKind::Repeat { count, body } => {
                    self.flush(&mut group, &mut nodes);
                    let stmt = self.info(s);
                    let body = self.body(s, body)?;
                    nodes.push(Node::Repeat(RepeatNode {
                        stmt,
                        count: *count,
                        body,
                    }));
                }
                _ => {
                    let touch = self.touch(s)?;
                    if !group.fuses(&touch) {
                        self.flush(&mut group, &mut nodes);
                    }
                    group.add(touch);
                    self.action(s, &mut group)?;
                }
            }
        }
        self.flush(&mut group, &mut nodes);
        Ok(nodes)
    }

    fn body(&mut self, s: &Stmt, body: &[Stmt]) -> Result<Vec<Node>, Diagnostic> {
        let before: Vec<NameId> = self.board.names().collect();
        self.loops += 1;
        let refs: Vec<&Stmt> = body.iter().collect();
        let nodes = self.block(&refs)?;
        self.loops -= 1;
        let after: Vec<NameId> = self.board.names().collect();
        if before != after {
            return Err(internal(s.span, "the loop body is not neutral"));
        }
        Ok(nodes)
    }

    fn flush(&mut self, group: &mut Group, nodes: &mut Vec<Node>) {
        let mut g = std::mem::take(group);
        if !g.step.actions.is_empty() {
            self.temps = self.temps.max(g.base);
            g.step.id = self.steps;
            self.steps += 1;
            nodes.push(Node::Step(g.step));
        }
    }

    fn kind(&self, id: NameId) -> NameKind {
        self.kinds
            .get(id.index())
            .copied()
            .unwrap_or(NameKind::Board)
    }

    fn info(&mut self, s: &Stmt) -> usize {
        self.stmts.push(StmtInfo {
            span: s.span,
            line: self.program.lines.line(s.span.start as usize),
            places: None,
            frees: Vec::new(),
        });
        self.stmts.len() - 1
    }

    fn unit(&self, id: NameId, span: Span) -> Result<usize, Diagnostic> {
        self.board
            .slot_of(id)
            .ok_or_else(|| internal(span, "a name that is not on the board"))
    }

    fn expr_units(&self, e: &Expr, into: &mut Vec<usize>) -> Result<(), Diagnostic> {
        for n in e.names() {
            if self.kind(n.id) == NameKind::Board {
                into.push(self.unit(n.id, n.span)?);
            }
        }
        Ok(())
    }

    fn touch(&self, s: &Stmt) -> Result<Touch, Diagnostic> {
        let mut t = Touch::default();
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                self.expr_units(value, &mut t.reads)?;
                let unit = match self.board.slot_of(target.id) {
                    Some(u) => u,
                    None => self.board.next_free(),
                };
                if let Some(g) = gate {
                    self.expr_units(g.expr(), &mut t.reads)?;
                    // The blend reads the old value.
                    t.reads.push(unit);
                }
                t.writes.push(unit);
            }
            StmtKind::Forget(list) => {
                for n in list {
                    t.forgets.push(self.unit(n.id, n.span)?);
                }
            }
            StmtKind::Read(exprs) => {
                for e in exprs {
                    self.expr_units(e, &mut t.reads)?;
                }
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {}
        }
        Ok(t)
    }

    /// An expression's text with each board name replaced by `h[N]`, the
    /// output of the unit it is read from (`h = o ⊙ c`), and the name at
    /// `carried` (an accumulation's own `x`) by `c[N]`, the unit kept by
    /// its forget gate. Brackets cannot appear in a name, so the notation
    /// never reads as one.
    fn shown(&self, e: &Expr, carried: Option<Span>) -> String {
        let mut subs: Vec<(Span, String)> = e
            .names()
            .filter(|n| self.kind(n.id) == NameKind::Board)
            .filter_map(|n| {
                let u = self.board.slot_of(n.id)?;
                Some(match carried {
                    Some(c) if c == n.span => (n.span, format!("c[{u}]")),
                    _ => (n.span, format!("h[{u}]")),
                })
            })
            .collect();
        subs.sort_by_key(|(s, _)| s.start);
        let mut out = String::new();
        let mut at = e.span.start as usize;
        for (span, text) in subs {
            if (span.start as usize) < at {
                continue;
            }
            out.push_str(Span::new(at, span.start as usize).text(self.src));
            out.push_str(&text);
            at = span.end as usize;
        }
        out.push_str(Span::new(at, (e.span.end as usize).max(at)).text(self.src));
        out
    }

    /// The gate table's text for a statement's candidates: `u[2] ← h[1] + a`
    /// (unit 2 takes the candidate), `u[0] ← c[0] + 1` (an accumulation:
    /// `f = 1` keeps `c[0]`, `i = 1` adds the candidate), `u[0]: g = x,
    /// i = alpha, f = 1 − i` (a gated write: candidate and gates), and
    /// `y[K] ← e` for the cell's output K (a read); one entry per line.
    fn shows(&self, s: &Stmt) -> String {
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                let unit = self
                    .board
                    .slot_of(target.id)
                    .unwrap_or_else(|| self.board.next_free());
                let carried = match (gate, accumulation(target.id, &value.ops)) {
                    (None, Some((_, _, x_first))) if self.board.slot_of(target.id).is_some() => {
                        let n = value.ops.len();
                        Some(value.ops[if x_first { 0 } else { n - 2 }].span())
                    }
                    _ => None,
                };
                let g = self.shown(value, carried);
                match gate.as_deref() {
                    None => format!("u[{unit}] ← {g}"),
                    Some(Gate::When(c)) => format!(
                        "u[{unit}]: g = {g}, i = ({}) ≠ 0, f = 1 − i",
                        self.shown(c, None)
                    ),
                    Some(Gate::Soft(c)) => {
                        format!("u[{unit}]: g = {g}, i = {}, f = 1 − i", self.shown(c, None))
                    }
                }
            }
            StmtKind::Read(exprs) => {
                let first = self.reads.len();
                exprs
                    .iter()
                    .enumerate()
                    .map(|(k, e)| format!("y[{}] ← {}", first + k, self.shown(e, None)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            _ => String::new(),
        }
    }

    fn action(&mut self, s: &Stmt, group: &mut Group) -> Result<(), Diagnostic> {
        let shows = self.shows(s);
        let stmt = self.info(s);
        let index = group.step.actions.len();
        let kind = match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                let on_board = self.board.slot_of(target.id);
                let (value_op, mode) = match gate.as_deref() {
                    None => match on_board.and_then(|_| accumulation(target.id, &value.ops)) {
                        Some((range, add, x_first)) => {
                            let v = self.ops(&value.ops[range], group, index, None)?;
                            (v, WriteMode::Accumulate { span: add, x_first })
                        }
                        None => (self.ops(&value.ops, group, index, None)?, WriteMode::Set),
                    },
                    Some(Gate::When(c)) => {
                        let g = self.ops(&c.ops, group, index, None)?;
                        let v = self.ops(&value.ops, group, index, Some(g))?;
                        (
                            v,
                            WriteMode::When {
                                gate: g,
                                expr: c.span,
                            },
                        )
                    }
                    Some(Gate::Soft(gx)) => {
                        let v = self.ops(&value.ops, group, index, None)?;
                        let g = self.ops(&gx.ops, group, index, None)?;
                        (
                            v,
                            WriteMode::Soft {
                                gate: g,
                                gate_span: gx.span,
                                value_span: value.span,
                            },
                        )
                    }
                };
                // The executor updates `c` in place: a unit the write reads
                // is copied to a register first.
                let value_op = settle(value_op, group, index, value.span);
                let mode = match mode {
                    WriteMode::When { gate, expr } => WriteMode::When {
                        gate: settle(gate, group, index, expr),
                        expr,
                    },
                    WriteMode::Soft {
                        gate,
                        gate_span,
                        value_span,
                    } => WriteMode::Soft {
                        gate: settle(gate, group, index, gate_span),
                        gate_span,
                        value_span,
                    },
                    m => m,
                };
                self.temps = self.temps.max(group.base);
                let unit = match on_board {
                    Some(u) => u,
                    None => {
                        if gate.is_some() {
                            return Err(internal(target.span, "a gated write to a new name"));
                        }
                        let u = self.board.place(target.id);
                        self.stmts[stmt].places = Some((target.id, u));
                        group.step.extent = group.step.extent.max(u + 1);
                        self.residences.push(Residence {
                            unit: u,
                            name: target.id,
                            from_line: self.stmts[stmt].line,
                            to_line: self.last_line,
                        });
                        self.open.insert(target.id, self.residences.len() - 1);
                        u
                    }
                };
                ActionKind::Write {
                    unit,
                    value: value_op,
                    mode,
                    expr: value.span,
                }
            }
            StmtKind::Forget(list) => {
                let mut units = Vec::new();
                for n in list {
                    let u = self
                        .board
                        .remove(n.id)
                        .ok_or_else(|| internal(n.span, "forget of a name not on the board"))?;
                    units.push(u);
                    if let Some(r) = self.open.remove(&n.id) {
                        self.residences[r].to_line = self.stmts[stmt].line;
                    }
                }
                self.stmts[stmt].frees = units.clone();
                ActionKind::Forget(units)
            }
            StmtKind::Read(exprs) => {
                let mut outs = Vec::new();
                for e in exprs {
                    let v = self.ops(&e.ops, group, index, None)?;
                    self.reads.push(ReadSite {
                        text: e.span.text(self.src).to_owned(),
                        span: e.span,
                        line: self.program.lines.line(e.span.start as usize),
                        in_loop: self.loops > 0,
                    });
                    outs.push((self.reads.len() - 1, v));
                }
                ActionKind::Read(outs)
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
                return Err(internal(s.span, "a loop inside a step"))
            }
        };
        group.step.peak = group.step.peak.max(self.board.occupancy());
        group.step.actions.push(Action { stmt, kind, shows });
        Ok(())
    }

    fn constant(&mut self, v: f64) -> Operand {
        let next = self.consts.len();
        let i = *self.const_index.entry(v.to_bits()).or_insert(next);
        if i == next {
            self.consts.push(v);
        }
        Operand::Const(i)
    }

    /// Compiles postfix `ops` into the group's step; returns where the value
    /// is. Stack position `p` uses registers `base + 2p` and `base + 2p + 1`
    /// in turn, so an instruction never writes a register it reads.
    fn ops(
        &mut self,
        ops: &[Op],
        group: &mut Group,
        action: usize,
        guard: Option<Operand>,
    ) -> Result<Operand, Diagnostic> {
        let base = group.base;
        let mut stack: Vec<Operand> = Vec::new();
        let mut top = base;
        let reg = |p: usize, below: Option<Operand>| {
            let r = base + 2 * p;
            if below == Some(Operand::Temp(r)) {
                r + 1
            } else {
                r
            }
        };
        for op in ops {
            let (iop, a, b) = match op.kind() {
                OpKind::Num(v) => {
                    let c = self.constant(v);
                    stack.push(c);
                    continue;
                }
                OpKind::Name(id) => {
                    let o = match self.kind(id) {
                        NameKind::Input(i) => Operand::Input(i),
                        NameKind::Stream(i) => Operand::Elem(i),
                        NameKind::Board | NameKind::Undeclared => {
                            Operand::Unit(self.unit(id, op.span())?)
                        }
                    };
                    stack.push(o);
                    continue;
                }
                OpKind::Neg => {
                    let a = pop(&mut stack, op.span())?;
                    (InstrOp::Neg, a, a)
                }
                OpKind::Bin(bop) => {
                    let b = pop(&mut stack, op.span())?;
                    let a = pop(&mut stack, op.span())?;
                    (InstrOp::Bin(bop), a, b)
                }
                OpKind::Call(f) => {
                    if f.arity() == 2 {
                        let b = pop(&mut stack, op.span())?;
                        let a = pop(&mut stack, op.span())?;
                        (InstrOp::Call(f), a, b)
                    } else {
                        let a = pop(&mut stack, op.span())?;
                        (InstrOp::Call(f), a, a)
                    }
                }
            };
            let dst = reg(stack.len(), Some(a));
            top = top.max(dst + 1);
            group.step.instrs.push(Instr {
                op: iop,
                a,
                b,
                dst,
                span: op.span(),
                action,
                guard,
            });
            stack.push(Operand::Temp(dst));
        }
        let result = pop(&mut stack, Span::default())?;
        if !stack.is_empty() {
            return Err(internal(
                Span::default(),
                "an expression with values left over",
            ));
        }
        // Later expressions of the step must not overwrite this result.
        group.base = match result {
            Operand::Temp(t) => t + 1,
            _ => base,
        };
        self.temps = self.temps.max(top).max(group.base);
        Ok(result)
    }
}

/// A unit operand copied into a fresh register; any other operand as is.
fn settle(op: Operand, group: &mut Group, action: usize, span: Span) -> Operand {
    match op {
        Operand::Unit(_) => {
            let dst = group.base;
            group.base += 1;
            group.step.instrs.push(Instr {
                op: InstrOp::Copy,
                a: op,
                b: op,
                dst,
                span,
                action,
                guard: None,
            });
            Operand::Temp(dst)
        }
        _ => op,
    }
}

fn pop(stack: &mut Vec<Operand>, span: Span) -> Result<Operand, Diagnostic> {
    stack
        .pop()
        .ok_or_else(|| internal(span, "an operator without operands"))
}

fn depth_change(op: &Op) -> isize {
    match op.kind() {
        OpKind::Num(_) | OpKind::Name(_) => 1,
        OpKind::Neg => 0,
        OpKind::Bin(_) => -1,
        OpKind::Call(f) => 1 - f.arity() as isize,
    }
}

/// Whether `ops` is `x + e` or `e + x` with `x` the target: then the write is
/// an accumulation, `c' = c + g` with `g = e`, which is the same IEEE sum as
/// the interpreter's. Returns `e`'s ops, the `+`'s span and whether `x` is
/// first. `x + a + b` is `(x + a) + b`, not an accumulation.
fn accumulation(target: NameId, ops: &[Op]) -> Option<(std::ops::Range<usize>, Span, bool)> {
    let n = ops.len();
    if n < 3 {
        return None;
    }
    let last = ops[n - 1];
    if last.kind() != OpKind::Bin(BinOp::Add) {
        return None;
    }
    // `x e +`: `e` never touches `x` below it on the stack.
    if ops[0].kind() == OpKind::Name(target) {
        let mut depth = 1;
        let mut ok = true;
        for op in &ops[1..n - 1] {
            depth += depth_change(op);
            if depth < 2 {
                ok = false;
                break;
            }
        }
        if ok && depth == 2 {
            return Some((1..n - 1, last.span(), true));
        }
    }
    // `e x +`: `e` is complete before `x`.
    if ops[n - 2].kind() == OpKind::Name(target) {
        let depth: isize = ops[..n - 2].iter().map(depth_change).sum();
        if depth == 1 {
            return Some((0..n - 2, last.span(), false));
        }
    }
    None
}
