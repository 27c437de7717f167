//! The fragment a standard LSTM computes: reading a checked program into a
//! [`Plan`], or refusing each statement outside it with the rule it breaks.
//!
//! The shape (docs/export.md §1): start values that are functions of the
//! inputs; one loop whose writes are affine in board values with constant
//! coefficients, gated by constants, by functions of the inputs, or by a
//! comparison that selects between the old value and the new one (a running
//! maximum or minimum); reads of any expression, inside the loop or after it.

use crate::check::{Analysis, NameKind};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{BinOp, Gate, Item, NameId, Op, OpKind, Program, Span, Stmt, StmtKind};

/// A program in the fragment, ready to become weights.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The board values the loop carries, one LSTM unit each.
    pub units: Vec<Unit>,
    /// `repeat N`: the count; `each`: `None`.
    pub repeat: Option<u64>,
    /// The streams `each` zips (indices into the declared streams).
    pub streams: Vec<usize>,
    /// The LSTM steps of one loop iteration, in order.
    pub phases: Vec<Phase>,
    /// Every read of the program, in source order.
    pub reads: Vec<ReadOut>,
}

/// One LSTM unit: a board value carried by the loop.
#[derive(Clone, Debug)]
pub struct Unit {
    /// The board name.
    pub name: NameId,
    /// Its text.
    pub text: String,
    /// Its value when the loop starts: postfix over inputs (empty: 0, a
    /// value first written inside the loop).
    pub init: Vec<Op>,
}

/// One LSTM step of the loop body: the write it performs, if any.
#[derive(Clone, Debug)]
pub struct Phase {
    /// The write (none: a step that only shows values to a read).
    pub write: Option<Write>,
    /// The statement's span (the loop's for a step with no write).
    pub span: Span,
    /// The units the step's statement reads (candidate and gate).
    pub reads: Vec<usize>,
}

/// A write in the loop body, as gates and a candidate.
#[derive(Clone, Debug)]
pub struct Write {
    /// The unit written.
    pub unit: usize,
    /// The candidate: the written value, less the old value when
    /// `accumulate`.
    pub cand: Affine,
    /// `write x = x + e`: the forget gate stays open and the candidate is `e`.
    pub accumulate: bool,
    /// What opens the input gate.
    pub gate: GateKind,
}

/// An affine expression: constant coefficients on board values plus a
/// function of the inputs alone.
#[derive(Clone, Debug, Default)]
pub struct Affine {
    /// `(unit, coefficient)`, no unit twice, no zero coefficient.
    pub board: Vec<(usize, f64)>,
    /// The rest, postfix over inputs and numbers (empty: 0).
    pub rest: Vec<Op>,
}

impl Affine {
    /// The coefficient on `unit`.
    pub fn coef(&self, unit: usize) -> f64 {
        self.board
            .iter()
            .find(|(u, _)| *u == unit)
            .map_or(0.0, |(_, a)| *a)
    }
}

/// What opens a write's gates.
#[derive(Clone, Debug)]
pub enum GateKind {
    /// Always written.
    Always,
    /// `when c` with `c` a function of the inputs: postfix of `c != 0`.
    When(Vec<Op>),
    /// `gate g` with `g` a function of the inputs: postfix of `g`.
    Soft(Vec<Op>),
    /// `write v = e when e > v`: `max(v, e)`.
    Max,
    /// `write v = e when e < v`: `min(v, e)`.
    Min,
}

/// A `read` expression.
#[derive(Clone, Debug)]
pub struct ReadOut {
    /// As written.
    pub text: String,
    /// Its span.
    pub span: Span,
    /// Its 1-based line.
    pub line: usize,
    /// Postfix over board names, inputs and numbers.
    pub expr: Vec<Op>,
    /// Inside the loop: the step whose output it reads. After it: `None`.
    pub phase: Option<usize>,
}

fn refuse(span: Span, message: String, label: &str, help: &str) -> Diagnostic {
    Diagnostic::error(Code::NotExportable, message, span, label).with_help(help)
}

/// Reads `program` into a plan, or every reason it is outside the fragment.
pub fn plan(program: &Program, analysis: &Analysis, src: &str) -> Result<Plan, Vec<Diagnostic>> {
    let mut b = Builder {
        program,
        analysis,
        src,
        units: Vec::new(),
        errors: Vec::new(),
    };
    let stmts: Vec<&Stmt> = program
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Stmt(s) => Some(s),
            _ => None,
        })
        .collect();
    let loops: Vec<usize> = stmts
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, StmtKind::Each { .. } | StmtKind::Repeat { .. }))
        .map(|(i, _)| i)
        .collect();
    let Some(&at) = loops.first() else {
        let span = stmts.first().map_or(Span::new(0, 0), |s| s.span);
        return Err(vec![refuse(
            span,
            "nothing is recurrent: the program has no `each` or `repeat` loop".into(),
            "a plain function of the inputs starts here",
            "a standard LSTM carries values from one step to the next; without a loop the \
             program is a function of its inputs alone: `wb run` computes it exactly, and any \
             ONNX graph of plain arithmetic would too",
        )]);
    };
    for &other in &loops[1..] {
        b.errors.push(refuse(
            stmts[other].span,
            "a second loop: an export is one LSTM layer, the recurrence of one loop".into(),
            "second loop",
            "export the loops as separate programs, or merge their bodies into one loop",
        ));
    }
    for s in &stmts[..at] {
        b.prologue(s);
    }
    let (repeat, streams, body) = match &stmts[at].kind {
        StmtKind::Each { streams, body } => {
            let idx = streams
                .iter()
                .filter_map(|s| match analysis.symbols.kind(s.id) {
                    NameKind::Stream(i) => Some(i),
                    _ => None,
                })
                .collect();
            (None, idx, body)
        }
        StmtKind::Repeat { count, body } => (Some(*count), Vec::new(), body),
        _ => unreachable!("filtered to loops"),
    };
    let (phases, mut reads) = b.body(body, stmts[at].span);
    for s in &stmts[at + 1..] {
        b.epilogue(s, &mut reads);
    }
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    Ok(Plan {
        units: b.units,
        repeat,
        streams,
        phases,
        reads,
    })
}

struct Builder<'a> {
    program: &'a Program,
    analysis: &'a Analysis,
    src: &'a str,
    units: Vec<Unit>,
    errors: Vec<Diagnostic>,
}

/// A value during the affine reading of an expression.
#[derive(Clone)]
struct Lin {
    board: Vec<(usize, f64)>,
    /// `None`: zero.
    rest: Option<Vec<Op>>,
}

impl Lin {
    fn is_board_free(&self) -> bool {
        self.board.is_empty()
    }
    fn rest_or_zero(self, span: Span) -> Vec<Op> {
        self.rest
            .unwrap_or_else(|| vec![Op::new(OpKind::Num(0.0), span)])
    }
    fn constant(&self) -> Option<f64> {
        if !self.board.is_empty() {
            return None;
        }
        match &self.rest {
            None => Some(0.0),
            Some(ops) => eval_constant(ops),
        }
    }
    fn scale(mut self, c: f64, span: Span) -> Lin {
        for (_, a) in &mut self.board {
            *a *= c;
        }
        self.board.retain(|(_, a)| *a != 0.0);
        if let Some(r) = &mut self.rest {
            r.push(Op::new(OpKind::Num(c), span));
            r.push(Op::new(OpKind::Bin(BinOp::Mul), span));
        }
        self
    }
}

/// The value of a postfix expression of numbers alone.
pub fn eval_constant(ops: &[Op]) -> Option<f64> {
    if ops.iter().any(|o| matches!(o.kind(), OpKind::Name(_))) {
        return None;
    }
    crate::export::eval::eval(ops, &mut |_| 0.0).ok()
}

fn add_board(a: &mut Vec<(usize, f64)>, b: &[(usize, f64)], sign: f64) {
    for &(u, c) in b {
        match a.iter_mut().find(|(v, _)| *v == u) {
            Some((_, x)) => *x += sign * c,
            None => a.push((u, sign * c)),
        }
    }
    a.retain(|(_, x)| *x != 0.0);
}

impl Builder<'_> {
    fn text(&self, span: Span) -> &str {
        span.text(self.src)
    }

    fn unit_of(&mut self, id: NameId) -> usize {
        if let Some(u) = self.units.iter().position(|u| u.name == id) {
            return u;
        }
        self.units.push(Unit {
            name: id,
            text: self.program.names.text(id).to_owned(),
            init: Vec::new(),
        });
        self.units.len() - 1
    }

    fn reads_board(&self, ops: &[Op]) -> Option<Span> {
        ops.iter().find_map(|o| match o.kind() {
            OpKind::Name(id) if self.analysis.symbols.kind(id) == NameKind::Board => Some(o.span()),
            _ => None,
        })
    }

    fn prologue(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                if gate.is_some() {
                    self.errors.push(refuse(
                        s.span,
                        format!("`{}`: a gated write before the loop", self.text(s.span)),
                        "gated start value",
                        "start values are functions of the inputs: write the value the gate \
                         selects, or move the write into the loop",
                    ));
                    return;
                }
                if let Some(at) = self.reads_board(&value.ops) {
                    self.errors.push(
                        refuse(
                            s.span,
                            format!(
                                "`{}`: a start value that reads the board value `{}`",
                                self.text(s.span),
                                self.text(at)
                            ),
                            "start value",
                            "a start value becomes the LSTM's initial cell state, computed \
                             from the inputs alone: write it in terms of inputs and numbers",
                        )
                        .with_label(at, "a board value"),
                    );
                    return;
                }
                let u = self.unit_of(target.id);
                self.units[u].init = value.ops.to_vec();
            }
            StmtKind::Forget(_) => self.errors.push(refuse(
                s.span,
                format!("`{}`: a forget before the loop", self.text(s.span)),
                "forget",
                "each board value the loop carries is one LSTM unit: drop the write and the \
                 forget of a value the loop does not use",
            )),
            StmtKind::Read(_) => self.errors.push(refuse(
                s.span,
                format!("`{}`: a read before the loop", self.text(s.span)),
                "read before the loop",
                "the exported model's outputs come from the LSTM: read this value with `wb run`, \
                 or read it after the loop",
            )),
            _ => {}
        }
    }

    fn epilogue(&mut self, s: &Stmt, reads: &mut Vec<ReadOut>) {
        match &s.kind {
            StmtKind::Read(exprs) => {
                for e in exprs {
                    reads.push(self.read_out(e, None));
                }
            }
            StmtKind::Forget(_) => {}
            StmtKind::Write { .. } => self.errors.push(refuse(
                s.span,
                format!("`{}`: a write after the loop", self.text(s.span)),
                "write after the loop",
                "what follows the loop is a readout of the final state: put the expression into \
                 the `read` itself (as in `read m2 / n`)",
            )),
            _ => {}
        }
    }

    fn read_out(&mut self, e: &crate::syntax::Expr, phase: Option<usize>) -> ReadOut {
        for name in e.names() {
            if self.analysis.symbols.kind(name.id) == NameKind::Board {
                self.unit_of(name.id);
            }
        }
        ReadOut {
            text: self.text(e.span).to_owned(),
            span: e.span,
            line: self.program.lines.line(e.span.start as usize),
            expr: e.ops.to_vec(),
            phase,
        }
    }

    fn body(&mut self, body: &[Stmt], loop_span: Span) -> (Vec<Phase>, Vec<ReadOut>) {
        let mut phases: Vec<Phase> = Vec::new();
        // Each read with the number of writes before it in the body.
        let mut reads: Vec<(usize, ReadOut)> = Vec::new();
        for s in body {
            match &s.kind {
                StmtKind::Write {
                    target,
                    value,
                    gate,
                } => {
                    if let Some(w) = self.write(s, target.id, value, gate.as_deref()) {
                        // What the step must see: the candidate's board
                        // values, and for a selection the old value too (an
                        // accumulation keeps its own through the forget gate).
                        let mut r: Vec<usize> = w.cand.board.iter().map(|(u, _)| *u).collect();
                        if matches!(w.gate, GateKind::Max | GateKind::Min) && !r.contains(&w.unit) {
                            r.push(w.unit);
                        }
                        phases.push(Phase {
                            write: Some(w),
                            span: s.span,
                            reads: r,
                        });
                    }
                }
                StmtKind::Read(exprs) => {
                    for e in exprs {
                        let r = self.read_out(e, None);
                        reads.push((phases.len(), r));
                    }
                }
                StmtKind::Forget(_) => {}
                StmtKind::Each { .. } | StmtKind::Repeat { .. } => self.errors.push(refuse(
                    s.span,
                    "a loop inside the loop: one LSTM layer runs one loop".into(),
                    "nested loop",
                    "unroll the inner `repeat` into its statements",
                )),
            }
        }
        // A read before the body's first write sees the values the iteration
        // starts with: a first step that writes nothing shows them.
        let lead = phases.is_empty() || reads.iter().any(|(n, _)| *n == 0);
        if lead {
            phases.insert(
                0,
                Phase {
                    write: None,
                    span: loop_span,
                    reads: Vec::new(),
                },
            );
        }
        let shift = usize::from(lead);
        let reads = reads
            .into_iter()
            .map(|(n, mut r)| {
                // Read from the step that last wrote one of its values (the
                // steps after it change none of them), so the output gate
                // opens as few steps as it can.
                let last = (0..n).rev().find(|&q| {
                    phases[q + shift].write.as_ref().is_some_and(|w| {
                        r.expr
                            .iter()
                            .any(|o| o.kind() == OpKind::Name(self.units[w.unit].name))
                    })
                });
                let latest = if lead { n } else { n - 1 };
                let earliest = last.map_or(latest, |q| q + shift);
                // A running maximum it shows must be written by the next
                // step (docs/export.md §1, rule 5): pick such a step if one
                // is free, else the latest (and the weights refuse it).
                let selections: Vec<usize> = phases
                    .iter()
                    .filter_map(|p| p.write.as_ref())
                    .filter(|w| matches!(w.gate, GateKind::Max | GateKind::Min))
                    .map(|w| w.unit)
                    .filter(|&u| {
                        r.expr
                            .iter()
                            .any(|o| o.kind() == OpKind::Name(self.units[u].name))
                    })
                    .collect();
                let fits = |q: usize| {
                    let next = &phases[(q + 1) % phases.len()];
                    selections
                        .iter()
                        .all(|&u| next.write.as_ref().is_some_and(|w| w.unit == u))
                };
                r.phase = Some(
                    (earliest..=latest)
                        .rev()
                        .find(|&q| fits(q))
                        .unwrap_or(latest),
                );
                r
            })
            .collect();
        (phases, reads)
    }

    fn write(
        &mut self,
        s: &Stmt,
        target: NameId,
        value: &crate::syntax::Expr,
        gate: Option<&Gate>,
    ) -> Option<Write> {
        let unit = self.unit_of(target);
        let lin = self.affine(s, &value.ops)?;
        let gate = match gate {
            None => GateKind::Always,
            Some(Gate::Soft(g)) => {
                if let Some(at) = self.reads_board(&g.ops) {
                    self.errors.push(
                        refuse(
                            s.span,
                            format!(
                                "`{}`: a soft gate that reads the board value `{}`",
                                self.text(s.span),
                                self.text(at)
                            ),
                            "this statement",
                            "the blend (1 - g) * x + g * e multiplies board values when g reads \
                             the board; a standard LSTM can only approximate it. A soft gate \
                             may read inputs alone",
                        )
                        .with_label(at, "a board value"),
                    );
                    return None;
                }
                GateKind::Soft(g.ops.to_vec())
            }
            Some(Gate::When(c)) => {
                if self.reads_board(&c.ops).is_none() {
                    let mut ops = c.ops.to_vec();
                    ops.push(Op::new(OpKind::Num(0.0), c.span));
                    ops.push(Op::new(OpKind::Bin(BinOp::Ne), c.span));
                    GateKind::When(ops)
                } else {
                    match selection(&c.ops, target, &value.ops) {
                        Some(g) => g,
                        None => {
                            self.errors.push(refuse(
                                c.span,
                                format!(
                                    "`{}`: a condition on board values that does not select \
                                     between `{}` and the value written",
                                    self.text(s.span),
                                    self.program.names.text(target)
                                ),
                                "condition reads the board",
                                "a comparison of board values is exportable as a running \
                                 maximum or minimum, `write v = e when e > v` (or `<`): near a \
                                 tie the LSTM's gate is soft, and only then is the error bounded \
                                 by the band. Any other use (a counter gated by it) can be off by \
                                 its whole increment at every near-tie",
                            ));
                            return None;
                        }
                    }
                }
            }
        };
        let own = lin.board.iter().find(|(u, _)| *u == unit).map(|(_, a)| *a);
        let accumulate = own == Some(1.0) && matches!(gate, GateKind::Always | GateKind::When(_));
        let mut board = lin.board;
        if accumulate {
            board.retain(|(u, _)| *u != unit);
        }
        Some(Write {
            unit,
            cand: Affine {
                board,
                rest: lin.rest.unwrap_or_default(),
            },
            accumulate,
            gate,
        })
    }

    /// The affine reading of `ops`, or a refusal naming the statement.
    fn affine(&mut self, s: &Stmt, ops: &[Op]) -> Option<Lin> {
        let mut stack: Vec<Lin> = Vec::new();
        for op in ops.iter().copied() {
            let span = op.span();
            let v = match op.kind() {
                OpKind::Num(_) => Lin {
                    board: Vec::new(),
                    rest: Some(vec![op]),
                },
                OpKind::Name(id) => {
                    if self.analysis.symbols.kind(id) == NameKind::Board {
                        Lin {
                            board: vec![(self.unit_of(id), 1.0)],
                            rest: None,
                        }
                    } else {
                        Lin {
                            board: Vec::new(),
                            rest: Some(vec![op]),
                        }
                    }
                }
                OpKind::Neg => {
                    let mut a = stack.pop()?;
                    for (_, c) in &mut a.board {
                        *c = -*c;
                    }
                    if let Some(r) = &mut a.rest {
                        r.push(op);
                    }
                    a
                }
                OpKind::Bin(bop) => {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    self.binary(s, bop, a, b, op)?
                }
                OpKind::Call(f) => {
                    let n = f.arity();
                    let args: Vec<Lin> = stack.split_off(stack.len().checked_sub(n)?);
                    if args.iter().any(|a| !a.is_board_free()) {
                        self.errors.push(refuse(
                            s.span,
                            format!("`{}`: `{}` of a board value", self.text(s.span), f.name()),
                            "this statement",
                            "a candidate must be affine in board values (constant coefficients): \
                             a standard LSTM can only approximate a nonlinear function of its \
                             state",
                        ));
                        self.errors.last_mut()?.labels.push(crate::diag::Label {
                            span,
                            text: "nonlinear in a board value".into(),
                            primary: false,
                        });
                        return None;
                    }
                    let mut rest = Vec::new();
                    for a in args {
                        rest.extend(a.rest_or_zero(span));
                    }
                    rest.push(op);
                    Lin {
                        board: Vec::new(),
                        rest: Some(rest),
                    }
                }
            };
            stack.push(v);
        }
        stack.pop()
    }

    fn binary(&mut self, s: &Stmt, bop: BinOp, a: Lin, b: Lin, op: Op) -> Option<Lin> {
        let span = op.span();
        if a.is_board_free() && b.is_board_free() {
            let mut rest = a.rest_or_zero(span);
            rest.extend(b.rest_or_zero(span));
            rest.push(op);
            return Some(Lin {
                board: Vec::new(),
                rest: Some(rest),
            });
        }
        let stmt = self.text(s.span).to_owned();
        let why = |this: &mut Self, message: String, help: &str| {
            let d = refuse(s.span, message, "this statement", help).with_label(span, "here");
            this.errors.push(d);
        };
        const SUMS: &str = "a standard LSTM's candidate is affine in its state with constant \
                            coefficients; it can only approximate a product or quotient of board \
                            values. Where the quotient is a mean, keep sums instead — `write s = \
                            s + x`, `write q = q + x * x`, `write n = n + 1` in the loop — and \
                            divide in a read after it: `read s / n, q / n - (s / n) * (s / n)` \
                            (examples/sums.wb)";
        match bop {
            BinOp::Add | BinOp::Sub => {
                let sign = if bop == BinOp::Add { 1.0 } else { -1.0 };
                let mut board = a.board;
                add_board(&mut board, &b.board, sign);
                let rest = match (a.rest, b.rest) {
                    (Some(mut x), Some(y)) => {
                        x.extend(y);
                        x.push(op);
                        Some(x)
                    }
                    (Some(x), None) => Some(x),
                    (None, Some(mut y)) => {
                        if bop == BinOp::Sub {
                            y.push(Op::new(OpKind::Neg, span));
                        }
                        Some(y)
                    }
                    (None, None) => None,
                };
                Some(Lin { board, rest })
            }
            BinOp::Mul => {
                if let Some(c) = a.constant() {
                    return Some(b.scale(c, span));
                }
                if let Some(c) = b.constant() {
                    return Some(a.scale(c, span));
                }
                if !a.is_board_free() && !b.is_board_free() {
                    why(self, format!("`{stmt}`: multiplies two board values"), SUMS);
                } else {
                    why(
                        self,
                        format!("`{stmt}`: multiplies a board value by an input"),
                        "the LSTM's recurrent weights are constants, the same at every step: a \
                         board value may be multiplied by numbers only",
                    );
                }
                None
            }
            BinOp::Div => {
                if !b.is_board_free() {
                    why(self, format!("`{stmt}`: divides by a board value"), SUMS);
                    return None;
                }
                match b.constant() {
                    Some(c) if c != 0.0 => Some(a.scale(1.0 / c, span)),
                    _ => {
                        why(
                            self,
                            format!("`{stmt}`: divides a board value by an input"),
                            "the LSTM's recurrent weights are constants: a board value may be \
                             divided by a nonzero number only",
                        );
                        None
                    }
                }
            }
            _ => {
                why(
                    self,
                    format!("`{stmt}`: `{}` on a board value", bop.symbol()),
                    "a candidate must be affine in board values; a comparison of board values \
                     may only gate a running maximum or minimum (`write v = e when e > v`)",
                );
                None
            }
        }
    }
}

/// The two operands of a postfix expression whose last op is binary.
pub fn split_binary(ops: &[Op]) -> Option<(&[Op], &[Op], BinOp)> {
    let (last, body) = ops.split_last()?;
    let OpKind::Bin(op) = last.kind() else {
        return None;
    };
    // Walk back from the end until the right operand's values balance.
    let mut need = 1i64;
    let mut i = body.len();
    while need > 0 {
        i = i.checked_sub(1)?;
        need += match body[i].kind() {
            OpKind::Num(_) | OpKind::Name(_) => -1,
            OpKind::Neg => 0,
            OpKind::Bin(_) => 1,
            OpKind::Call(f) => f.arity() as i64 - 1,
        };
    }
    Some((&body[..i], &body[i..], op))
}

fn same(a: &[Op], b: &[Op]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.kind() == y.kind())
}

/// `write v = e when e > v` and its mirror images: which selection it is.
fn selection(cond: &[Op], target: NameId, value: &[Op]) -> Option<GateKind> {
    let (l, r, op) = split_binary(cond)?;
    let is_target = |x: &[Op]| matches!(x, [o] if o.kind() == OpKind::Name(target));
    // Normalise to `e OP v`.
    let op = if same(l, value) && is_target(r) {
        op
    } else if same(r, value) && is_target(l) {
        match op {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            other => other,
        }
    } else {
        return None;
    };
    match op {
        BinOp::Gt | BinOp::Ge => Some(GateKind::Max),
        BinOp::Lt | BinOp::Le => Some(GateKind::Min),
        _ => None,
    }
}
