//! The compiler: a checked program lowered to an LSTM-style cell, and the
//! cell run on ndarray over a batch of input sets (LANGUAGE.md §4).
//!
//! - [`lower`]: names to units (a freed unit reused, U = peak occupancy), one
//!   step per statement, then independent statements fused into one step;
//!   loop bodies lowered once.
//! - [`exec`]: the executor: per chunk of batch rows, every step computes its
//!   candidates from `h = o ⊙ c` and the inputs, then applies
//!   `c' = f ⊙ c + i ⊙ g` unit by unit, with preallocated buffers.
//! - [`table`]: the gate table `wb compile` shows; [`json`]: `--emit json`.
//! - [`batch`]: `wb run --batch`: CSV rows in, CSV reads out, in chunks.
//!
//! Every operation goes through [`crate::arith`], in the interpreter's order,
//! so the cell and the interpreter agree bit for bit.

pub mod batch;
pub mod exec;
pub mod json;
mod kernels;
pub mod lower;
pub mod table;

pub use exec::{Batch, Engine, Outcome, Sink, StreamColumn};
pub use lower::compile;

use crate::syntax::{BinOp, Func, NameId, Names, Span};

/// A compiled program: its units, its schedule of steps, and what the
/// executor needs to report reads and errors as the interpreter does.
#[derive(Clone, Debug)]
pub struct Cell {
    /// How many units the cell state has (the program's peak occupancy).
    pub units: usize,
    /// The board's capacity (for the board shown in error notes).
    pub capacity: usize,
    /// The scalar inputs' names, by input index.
    pub inputs: Vec<NameId>,
    /// The streams' names, by stream index.
    pub streams: Vec<NameId>,
    /// Constants, by [`Operand::Const`] index.
    pub consts: Vec<f64>,
    /// The most temporary registers any step uses.
    pub temps: usize,
    /// The schedule, in order.
    pub nodes: Vec<Node>,
    /// Which name lives in which unit, over which lines.
    pub residences: Vec<Residence>,
    /// Every read expression of the program, by site index.
    pub reads: Vec<ReadSite>,
    /// Every statement, in source order (actions and loops point here).
    pub stmts: Vec<StmtInfo>,
    /// The program's names.
    pub names: Names,
    /// The source text (for error messages and the gate table).
    pub src: String,
}

/// A name's stay in a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Residence {
    /// The unit.
    pub unit: usize,
    /// The name.
    pub name: NameId,
    /// The line of the write that put it there.
    pub from_line: usize,
    /// The line of the `forget` that freed it, else the program's last line.
    pub to_line: usize,
}

/// A read expression: one output of the cell.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadSite {
    /// The expression as written.
    pub text: String,
    /// Its span.
    pub span: Span,
    /// Its 1-based line.
    pub line: usize,
    /// Whether it is inside a loop (then it gives one value per iteration).
    pub in_loop: bool,
}

/// A statement as the executor and the displays need it.
#[derive(Clone, Debug, PartialEq)]
pub struct StmtInfo {
    /// Where it is written.
    pub span: Span,
    /// Its 1-based line.
    pub line: usize,
    /// The name it puts on the board, and the unit.
    pub places: Option<(NameId, usize)>,
    /// The units it frees.
    pub frees: Vec<usize>,
}

/// One element of a schedule.
#[derive(Clone, Debug)]
pub enum Node {
    /// Statements fused into one update of the cell.
    Step(Step),
    /// `each x, y { … }`: the body's schedule once per element.
    Each(EachNode),
    /// `repeat N { … }`: the body's schedule N times.
    Repeat(RepeatNode),
}

/// `each` lowered: the zipped streams and the body's schedule.
#[derive(Clone, Debug)]
pub struct EachNode {
    /// The `each` statement (index into [`Cell::stmts`]).
    pub stmt: usize,
    /// The zipped streams: stream index, name and where it is written.
    pub streams: Vec<(usize, NameId, Span)>,
    /// The body.
    pub body: Vec<Node>,
}

/// `repeat` lowered.
#[derive(Clone, Debug)]
pub struct RepeatNode {
    /// The `repeat` statement (index into [`Cell::stmts`]).
    pub stmt: usize,
    /// How many times.
    pub count: u64,
    /// The body.
    pub body: Vec<Node>,
}

/// One update of the cell: candidates computed from the old state, then
/// applied through the gates, statement by statement.
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// The step's number, from 0 in schedule order (a loop body's steps
    /// numbered once): the executor keeps per-step data under it.
    pub id: usize,
    /// The fused statements' actions, in source order.
    pub actions: Vec<Action>,
    /// The computation of every candidate, gate and read, in the order the
    /// interpreter evaluates them.
    pub instrs: Vec<Instr>,
    /// The most units occupied at any point of the step.
    pub peak: usize,
    /// One past the highest unit the step places a name in (0 if none).
    pub extent: usize,
}

/// What one statement does to the cell.
#[derive(Clone, Debug)]
pub struct Action {
    /// The statement (index into [`Cell::stmts`]).
    pub stmt: usize,
    /// The effect.
    pub kind: ActionKind,
    /// The candidate as the gate table shows it (`u[2] ← h[1] + a`), with board
    /// names replaced by the units they are read from; empty for `forget`.
    pub shows: String,
}

/// The effect of a statement on its units.
#[derive(Clone, Debug)]
pub enum ActionKind {
    /// `write`: unit `unit` through its gates.
    Write {
        /// The unit written.
        unit: usize,
        /// The candidate `g`.
        value: Operand,
        /// How `f` and `i` are set.
        mode: WriteMode,
        /// The candidate's expression (for display).
        expr: Span,
    },
    /// `forget`: `f = 0, i = 0` on these units.
    Forget(Vec<usize>),
    /// `read`: the output gate opens; one output per expression.
    Read(Vec<(usize, Operand)>),
}

/// The gates of a write.
#[derive(Clone, Debug)]
pub enum WriteMode {
    /// `f = 0, i = 1`: `c' = g` (a new name or an overwrite).
    Set,
    /// `write x = x + e`: `f = 1, i = 1`, `c' = c + g` (the constant
    /// carousel). `x_first` is false for `write x = e + x`.
    Accumulate {
        /// The `+` operator (where a non-finite sum is reported).
        span: Span,
        /// Whether `x` is written first.
        x_first: bool,
    },
    /// `when c`: `f = 1 - i`, `i = (c ≠ 0)`, applied as a selection.
    When {
        /// The condition.
        gate: Operand,
        /// The condition's expression (for display).
        expr: Span,
    },
    /// `gate g`: `f = 1 - g`, `i = g`, blended as `(1 - g) * c + g * e`.
    Soft {
        /// The gate value.
        gate: Operand,
        /// The gate's expression (where a gate out of range is reported).
        gate_span: Span,
        /// The value's expression (where a non-finite blend is reported).
        value_span: Span,
    },
}

/// Where an instruction's operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// `h_u`: a unit of the state as the step found it.
    Unit(usize),
    /// A scalar input.
    Input(usize),
    /// The current element of a stream.
    Elem(usize),
    /// A constant.
    Const(usize),
    /// A temporary register of the step.
    Temp(usize),
}

/// One operation of a candidate, over every row of a chunk.
#[derive(Clone, Copy, Debug)]
pub struct Instr {
    /// The operation.
    pub op: InstrOp,
    /// The first operand.
    pub a: Operand,
    /// The second operand (ignored by one-operand operations).
    pub b: Operand,
    /// The temporary register written.
    pub dst: usize,
    /// The operator's span (where an error is reported).
    pub span: Span,
    /// The action (index in the step) it computes for.
    pub action: usize,
    /// Errors count only in rows where this operand is not 0: the value of
    /// a `when` write is ignored where the gate is closed.
    pub guard: Option<Operand>,
}

/// The operation of an [`Instr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstrOp {
    /// A binary operator.
    Bin(BinOp),
    /// Unary minus.
    Neg,
    /// A function call.
    Call(Func),
    /// A copy of a unit, so that a write can update the state in place.
    Copy,
}

impl Cell {
    /// How many steps the schedule has, loop bodies counted once.
    pub fn step_count(&self) -> usize {
        fn count(nodes: &[Node]) -> usize {
            nodes
                .iter()
                .map(|n| match n {
                    Node::Step(_) => 1,
                    Node::Each(e) => count(&e.body),
                    Node::Repeat(r) => count(&r.body),
                })
                .sum()
        }
        count(&self.nodes)
    }
}
