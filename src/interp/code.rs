//! Statements with their names resolved, and the evaluation of their
//! expressions: the interpreter's hot path.
//!
//! Before a statement runs (a loop: once, before its first iteration), every
//! value an expression can read gets a place in one array, the *frame*: board
//! values by name id, then the scalar inputs, the current stream elements,
//! the constants, and temporaries. Each expression becomes a short list of
//! three-address instructions over frame indices (`t1 = x - mean`), one per
//! operator; names and numbers cost nothing at run time.
//!
//! That fast form assumes every board name it reads is on the board (checked
//! before it runs) and that no operation fails. When either is not so, the
//! expression is evaluated again by the *exact* evaluator, which walks the
//! postfix operations one by one as LANGUAGE.md defines them and reports the
//! first failure in that order. Both call `wb::arith` with the same operands,
//! so a value is the same bit for bit whichever path computed it.

use std::collections::{HashMap, HashSet};

use super::fault::Applied;
use crate::arith::{self, ArithError};
use crate::board::Board;
use crate::check::NameKind;
use crate::syntax::{BinOp, Expr, Func, Ident, NameId, OpKind, Span, Stmt};

/// One postfix operation for the exact evaluator, its operand resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Ins {
    /// Push `frame[i]`: an input, a stream element or a constant.
    Load(u32),
    /// Push board value `id` (an error if it is not on the board).
    Value(u32),
    /// A stream named outside its `each`: an error when reached.
    Outside(u32),
    /// An input without a bound value: an error when reached.
    Unbound(u32),
    Neg,
    Bin(BinOp),
    Call(Func),
}

/// What a three-address instruction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RegOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Neg,
    Min,
    Max,
    Abs,
    Sqrt,
    Exp,
    Ln,
    Tanh,
    Sigmoid,
}

/// `frame[dst] = op(frame[a], frame[b])` (`b` unused by one-operand ops).
#[derive(Clone, Copy, Debug)]
pub(super) struct Reg {
    pub(super) op: RegOp,
    pub(super) dst: u32,
    pub(super) a: u32,
    pub(super) b: u32,
}

/// A half-open range of `u32` indices into one of [`Code`]'s lists.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Span32 {
    start: u32,
    end: u32,
}

impl Span32 {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A compiled expression: its fast form and its exact form.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fast {
    /// The postfix operations, for the exact evaluator.
    ops: Span32,
    /// The three-address instructions.
    regs: Span32,
    /// The board names it reads (each once), checked before `regs` run.
    reads: Span32,
    /// Where the value is in the frame after `regs` ran.
    result: u32,
    /// The fast form cannot be used (the expression names a stream outside
    /// its `each`, or an input without a value): it always fails exactly.
    exact_only: bool,
}

/// The compiled form of one top-level statement (with its loop bodies).
#[derive(Debug, Default)]
pub(super) struct Code {
    ins: Vec<Ins>,
    /// The source of each of `ins`, for errors.
    spans: Vec<Span>,
    regs: Vec<Reg>,
    reads: Vec<NameId>,
    /// Constants and where they go in the frame.
    consts: Vec<(u32, f64)>,
    /// The frame's size.
    pub(super) frame_len: usize,
    /// The deepest stack the exact evaluator needs.
    pub(super) depth: usize,
}

/// A statement ready to run.
#[derive(Debug)]
pub(super) struct Compiled<'s> {
    pub(super) stmt: &'s Stmt,
    pub(super) kind: Kind<'s>,
}

/// What a compiled statement does.
#[derive(Debug)]
pub(super) enum Kind<'s> {
    Write {
        target: Ident,
        value: Fast,
        value_span: Span,
        gate: Option<Gated>,
    },
    /// A write to an input or a stream: fails when it runs.
    WriteInput(Ident),
    Forget(&'s [Ident]),
    Read(Vec<(Fast, Span)>),
    Each {
        streams: &'s [Ident],
        /// The stream index of each, or the position of the first name that
        /// is not a stream (which fails when the loop starts).
        indices: Result<Vec<usize>, usize>,
        body: Vec<Compiled<'s>>,
    },
    Repeat {
        count: u64,
        body: Vec<Compiled<'s>>,
    },
}

/// A gated write's gate.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gated {
    /// `gate g` (soft) rather than `when c` (hard).
    pub(super) soft: bool,
    pub(super) value: Fast,
    pub(super) span: Span,
}

/// Where things are in the frame, and what names mean, while a statement
/// is compiled.
pub(super) struct Scope<'a> {
    /// What each name is, by id.
    pub(super) kinds: &'a [NameKind],
    /// Board values take frame indices `0..names`.
    pub(super) names: usize,
    /// How many scalar inputs have values: frame `names..names + scalars`.
    pub(super) scalars: usize,
    /// Stream elements follow the inputs: frame `elements + i` is stream `i`'s.
    pub(super) elements: usize,
    /// How many streams there are.
    pub(super) streams: usize,
    /// The streams of the enclosing `each`.
    pub(super) each: Vec<NameId>,
}

impl Scope<'_> {
    fn kind(&self, id: NameId) -> NameKind {
        self.kinds
            .get(id.index())
            .copied()
            .unwrap_or(NameKind::Undeclared)
    }
}

/// Up to this many reads, an expression's reads are checked for a repeat
/// by scanning them; past it, through a set.
const FEW_READS: usize = 16;

/// The compiler's working state.
pub(super) struct Compiler<'a> {
    code: Code,
    scope: Scope<'a>,
    /// Frame index of each constant, by its bits.
    consts: HashMap<u64, u32>,
    /// Frame index of the temporary at each stack position.
    temps: Vec<u32>,
    /// The names the current expression reads, once each, when it reads
    /// more than [`FEW_READS`] (fewer are looked up in `code.reads` itself).
    /// Its size is the expression's, never the name table's: the compiler
    /// runs once per statement, and a table as long as the program's names
    /// cleared for every statement made a straight-line program of distinct
    /// names quadratic.
    seen: HashSet<NameId>,
    /// Where the current expression's reads start in `code.reads`.
    reads_start: usize,
    stack: Vec<u32>,
}

impl<'a> Compiler<'a> {
    /// A compiler with this scope.
    pub(super) fn new(scope: Scope<'a>) -> Compiler<'a> {
        let frame_len = scope.elements + scope.streams;
        Compiler {
            code: Code {
                frame_len,
                ..Code::default()
            },
            scope,
            consts: HashMap::new(),
            temps: Vec::new(),
            seen: HashSet::new(),
            reads_start: 0,
            stack: Vec::new(),
        }
    }

    /// The code compiled so far.
    pub(super) fn finish(self) -> Code {
        self.code
    }

    /// Compiles `stmt` (and its loop bodies).
    pub(super) fn stmt<'s>(&mut self, stmt: &'s Stmt) -> Compiled<'s> {
        use crate::syntax::{Gate, StmtKind};
        let kind = match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => match self.scope.kind(target.id) {
                NameKind::Input(_) | NameKind::Stream(_) => Kind::WriteInput(*target),
                _ => {
                    let fast = self.expr(value);
                    let gate = gate.as_deref().map(|g| Gated {
                        soft: matches!(g, Gate::Soft(_)),
                        value: self.expr(g.expr()),
                        span: g.expr().span,
                    });
                    Kind::Write {
                        target: *target,
                        value: fast,
                        value_span: value.span,
                        gate,
                    }
                }
            },
            StmtKind::Forget(list) => Kind::Forget(list),
            StmtKind::Read(exprs) => {
                Kind::Read(exprs.iter().map(|e| (self.expr(e), e.span)).collect())
            }
            StmtKind::Each { streams, body } => {
                let indices = streams
                    .iter()
                    .enumerate()
                    .map(|(k, s)| match self.scope.kind(s.id) {
                        NameKind::Stream(i) if i < self.scope.streams => Ok(i),
                        _ => Err(k),
                    })
                    .collect();
                let ids: Vec<NameId> = streams.iter().map(|s| s.id).collect();
                // The body sees this loop's streams, and no other's.
                let outer = std::mem::replace(&mut self.scope.each, ids);
                let body = body.iter().map(|s| self.stmt(s)).collect();
                self.scope.each = outer;
                Kind::Each {
                    streams,
                    indices,
                    body,
                }
            }
            StmtKind::Repeat { count, body } => Kind::Repeat {
                count: *count,
                body: body.iter().map(|s| self.stmt(s)).collect(),
            },
        };
        Compiled { stmt, kind }
    }
}

impl Compiler<'_> {
    /// Compiles one expression into both forms.
    fn expr(&mut self, e: &Expr) -> Fast {
        let ops_start = self.code.ins.len() as u32;
        let regs_start = self.code.regs.len() as u32;
        let reads_start = self.code.reads.len() as u32;
        self.seen.clear();
        self.reads_start = reads_start as usize;
        self.stack.clear();
        let mut exact_only = false;
        for op in &e.ops {
            let ins = match op.kind() {
                OpKind::Num(v) => {
                    let at = self.constant(v);
                    self.stack.push(at);
                    Ins::Load(at)
                }
                OpKind::Name(id) => {
                    let (ins, at) = self.name(id);
                    exact_only |= matches!(ins, Ins::Outside(_) | Ins::Unbound(_));
                    self.stack.push(at);
                    ins
                }
                OpKind::Neg => {
                    self.unary(RegOp::Neg);
                    Ins::Neg
                }
                OpKind::Bin(b) => {
                    self.binary(match b {
                        BinOp::Add => RegOp::Add,
                        BinOp::Sub => RegOp::Sub,
                        BinOp::Mul => RegOp::Mul,
                        BinOp::Div => RegOp::Div,
                        BinOp::Rem => RegOp::Rem,
                        BinOp::Pow => RegOp::Pow,
                        BinOp::Lt => RegOp::Lt,
                        BinOp::Le => RegOp::Le,
                        BinOp::Gt => RegOp::Gt,
                        BinOp::Ge => RegOp::Ge,
                        BinOp::Eq => RegOp::Eq,
                        BinOp::Ne => RegOp::Ne,
                    });
                    Ins::Bin(b)
                }
                OpKind::Call(f) => {
                    let op = match f {
                        Func::Min => RegOp::Min,
                        Func::Max => RegOp::Max,
                        Func::Abs => RegOp::Abs,
                        Func::Sqrt => RegOp::Sqrt,
                        Func::Exp => RegOp::Exp,
                        Func::Ln => RegOp::Ln,
                        Func::Tanh => RegOp::Tanh,
                        Func::Sigmoid => RegOp::Sigmoid,
                    };
                    if f.arity() == 2 {
                        self.binary(op);
                    } else {
                        self.unary(op);
                    }
                    Ins::Call(f)
                }
            };
            self.code.ins.push(ins);
            self.code.spans.push(op.span());
            self.code.depth = self.code.depth.max(self.stack.len());
        }
        let result = self.stack.pop().unwrap_or(0);
        Fast {
            ops: Span32 {
                start: ops_start,
                end: self.code.ins.len() as u32,
            },
            regs: Span32 {
                start: regs_start,
                end: self.code.regs.len() as u32,
            },
            reads: Span32 {
                start: reads_start,
                end: self.code.reads.len() as u32,
            },
            result,
            exact_only,
        }
    }

    /// What a name reads, for each form, and its frame index.
    fn name(&mut self, id: NameId) -> (Ins, u32) {
        let s = &self.scope;
        match s.kind(id) {
            NameKind::Input(i) if i < s.scalars => {
                let at = (s.names + i) as u32;
                (Ins::Load(at), at)
            }
            NameKind::Input(_) => (Ins::Unbound(id.0), 0),
            NameKind::Stream(i) if i < s.streams && s.each.contains(&id) => {
                let at = (s.elements + i) as u32;
                (Ins::Load(at), at)
            }
            NameKind::Stream(_) => (Ins::Outside(id.0), 0),
            NameKind::Board | NameKind::Undeclared => {
                self.read(id);
                (Ins::Value(id.0), id.0)
            }
        }
    }

    /// Lists `id` in the current expression's reads (from `reads_start`),
    /// unless it is there already.
    fn read(&mut self, id: NameId) {
        let listed = &self.code.reads[self.reads_start..];
        let new = if listed.len() < FEW_READS {
            !listed.contains(&id)
        } else {
            if self.seen.is_empty() {
                self.seen.extend(listed.iter().copied());
            }
            self.seen.insert(id)
        };
        if new {
            self.code.reads.push(id);
        }
    }

    fn constant(&mut self, v: f64) -> u32 {
        let next = self.code.frame_len as u32;
        let at = *self.consts.entry(v.to_bits()).or_insert(next);
        if at == next {
            self.code.frame_len += 1;
            self.code.consts.push((at, v));
        }
        at
    }

    /// The frame index of the temporary at stack position `p`.
    fn temp(&mut self, p: usize) -> u32 {
        while self.temps.len() <= p {
            self.temps.push(self.code.frame_len as u32);
            self.code.frame_len += 1;
        }
        self.temps[p]
    }

    fn unary(&mut self, op: RegOp) {
        let a = self.stack.pop().unwrap_or(0);
        let dst = self.temp(self.stack.len());
        self.code.regs.push(Reg { op, dst, a, b: a });
        self.stack.push(dst);
    }

    fn binary(&mut self, op: RegOp) {
        let b = self.stack.pop().unwrap_or(0);
        let a = self.stack.pop().unwrap_or(0);
        let dst = self.temp(self.stack.len());
        self.code.regs.push(Reg { op, dst, a, b });
        self.stack.push(dst);
    }
}

impl Code {
    /// Writes the constants into a frame of [`Code::frame_len`] values.
    pub(super) fn fill(&self, frame: &mut [f64]) {
        for &(at, v) in &self.consts {
            if let Some(slot) = frame.get_mut(at as usize) {
                *slot = v;
            }
        }
    }

    /// The source span of the exact evaluator's operation `at`.
    pub(super) fn span(&self, at: usize) -> Span {
        self.spans.get(at).copied().unwrap_or_default()
    }

    /// The three-address instructions of `x`, and where its value is after
    /// they ran (the hot loop builds its own form from them, `hot.rs`).
    pub(super) fn regs_of(&self, x: Fast) -> (&[Reg], u32) {
        (&self.regs[x.regs.range()], x.result)
    }

    /// Whether operation `at` is `%` (its division by zero is a remainder).
    pub(super) fn is_remainder(&self, at: usize) -> bool {
        matches!(self.ins.get(at), Some(Ins::Bin(BinOp::Rem)))
    }

    /// The value of `x` by the fast form: `None` when a board name it reads
    /// is not on the board or an operation fails (then the exact evaluator
    /// says why).
    #[inline(always)]
    pub(super) fn fast(&self, x: Fast, frame: &mut [f64], board: &Board) -> Option<f64> {
        if !self.reads_on_board(x, board) {
            return None;
        }
        self.computed(x, frame)
    }

    /// Whether the fast form of `x` can run on `board`: every board name it
    /// reads is on it (and it needs nothing unbound).
    #[inline(always)]
    pub(super) fn reads_on_board(&self, x: Fast, board: &Board) -> bool {
        !x.exact_only
            && self.reads[x.reads.range()]
                .iter()
                .all(|&id| board.slot_of(id).is_some())
    }

    /// [`Code::fast`] once [`Code::reads_on_board`] holds: `None` when an
    /// operation fails.
    ///
    /// Each operation computes its IEEE value (`wb::arith`'s `*_value`, the
    /// very values `arith::binary` and `arith::call` return when they
    /// succeed); that an operation failed is noted, not branched on, and
    /// the result is refused at the end. An operation fails exactly when
    /// its value is not finite: a division or remainder by zero has no
    /// finite value either. Temporaries are written before they are read
    /// within one expression, so a failed evaluation leaves nothing that a
    /// later one reads, and the exact evaluator says which operation failed.
    #[inline(always)]
    pub(super) fn computed(&self, x: Fast, frame: &mut [f64]) -> Option<f64> {
        let mut finite = true;
        for r in &self.regs[x.regs.range()] {
            let a = frame[r.a as usize];
            let b = frame[r.b as usize];
            let v = match r.op {
                RegOp::Add => arith::binary_value(BinOp::Add, a, b),
                RegOp::Sub => arith::binary_value(BinOp::Sub, a, b),
                RegOp::Mul => arith::binary_value(BinOp::Mul, a, b),
                RegOp::Div => arith::binary_value(BinOp::Div, a, b),
                RegOp::Rem => arith::binary_value(BinOp::Rem, a, b),
                RegOp::Pow => arith::binary_value(BinOp::Pow, a, b),
                RegOp::Lt => arith::binary_value(BinOp::Lt, a, b),
                RegOp::Le => arith::binary_value(BinOp::Le, a, b),
                RegOp::Gt => arith::binary_value(BinOp::Gt, a, b),
                RegOp::Ge => arith::binary_value(BinOp::Ge, a, b),
                RegOp::Eq => arith::binary_value(BinOp::Eq, a, b),
                RegOp::Ne => arith::binary_value(BinOp::Ne, a, b),
                RegOp::Neg => arith::neg(a),
                RegOp::Min => arith::call_value(Func::Min, a, b),
                RegOp::Max => arith::call_value(Func::Max, a, b),
                RegOp::Abs => arith::call_value(Func::Abs, a, 0.0),
                RegOp::Sqrt => arith::call_value(Func::Sqrt, a, 0.0),
                RegOp::Exp => arith::call_value(Func::Exp, a, 0.0),
                RegOp::Ln => arith::call_value(Func::Ln, a, 0.0),
                RegOp::Tanh => arith::call_value(Func::Tanh, a, 0.0),
                RegOp::Sigmoid => arith::call_value(Func::Sigmoid, a, 0.0),
            };
            finite &= v.is_finite();
            frame[r.dst as usize] = v;
        }
        finite.then(|| frame[x.result as usize])
    }

    /// The value of `x` by the exact evaluator: the postfix operations one
    /// by one, left to right; on failure, the failing operation's index.
    pub(super) fn exact(
        &self,
        x: Fast,
        frame: &[f64],
        board: &Board,
        stack: &mut Vec<f64>,
    ) -> Result<f64, (usize, EvalError)> {
        stack.clear();
        let pop = |stack: &mut Vec<f64>| stack.pop().unwrap_or(0.0);
        for at in x.ops.range() {
            let fail = |e| (at, e);
            let v = match self.ins[at] {
                Ins::Load(i) => frame[i as usize],
                Ins::Value(id) => {
                    if board.slot_of(NameId(id)).is_none() {
                        return Err(fail(EvalError::Off(NameId(id))));
                    }
                    frame[id as usize]
                }
                Ins::Outside(id) => return Err(fail(EvalError::Outside(NameId(id)))),
                Ins::Unbound(id) => return Err(fail(EvalError::Unbound(NameId(id)))),
                Ins::Neg => arith::neg(pop(stack)),
                Ins::Bin(b) => {
                    let rhs = pop(stack);
                    let lhs = pop(stack);
                    arith::binary(b, lhs, rhs)
                        .map_err(|e| fail(EvalError::Arith(e, Applied::Bin(b, lhs, rhs))))?
                }
                Ins::Call(f) => {
                    let (a, b) = if f.arity() == 2 {
                        let b = pop(stack);
                        (pop(stack), b)
                    } else {
                        (pop(stack), 0.0)
                    };
                    arith::call(f, a, b).map_err(|e| fail(EvalError::Arith(e, Applied::Call(a))))?
                }
            };
            stack.push(v);
        }
        Ok(pop(stack))
    }
}

/// Why an expression has no value, before it is dressed as a diagnostic.
#[derive(Clone, Copy, Debug)]
pub(super) enum EvalError {
    /// A board name that is not on the board.
    Off(NameId),
    /// A stream named outside its `each`.
    Outside(NameId),
    /// An input with no value.
    Unbound(NameId),
    /// An operation without a finite value, and what it was applied to.
    Arith(ArithError, Applied),
}

/// The largest name id `stmt` mentions (0 if none).
pub(super) fn max_name(stmt: &Stmt) -> usize {
    use crate::syntax::StmtKind;
    let of_expr = |e: &Expr| e.names().map(|n| n.id.index()).max().unwrap_or(0);
    match &stmt.kind {
        StmtKind::Write {
            target,
            value,
            gate,
        } => target
            .id
            .index()
            .max(of_expr(value))
            .max(gate.as_ref().map_or(0, |g| of_expr(g.expr()))),
        StmtKind::Forget(list) => list.iter().map(|n| n.id.index()).max().unwrap_or(0),
        StmtKind::Read(exprs) => exprs.iter().map(of_expr).max().unwrap_or(0),
        StmtKind::Each { streams, body } => streams
            .iter()
            .map(|n| n.id.index())
            .chain(body.iter().map(max_name))
            .max()
            .unwrap_or(0),
        StmtKind::Repeat { body, .. } => body.iter().map(max_name).max().unwrap_or(0),
    }
}
