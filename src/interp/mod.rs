//! The interpreter: runs a program statement by statement on a [`Board`]
//! whose capacity it enforces as an invariant.
//!
//! It is normally given a checked program (then no board error can happen),
//! but it does not rely on that: every board rule is also guarded here, so a
//! program run unchecked fails at the statement that breaks a rule. A
//! statement that fails changes nothing: values are computed first and the
//! board is touched only when the whole statement succeeded.

mod inputs;

pub use inputs::{bind, Bindings, Overrides};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::arith::{self, ArithError};
use crate::board::Board;
use crate::check::{NameKind, Symbols};
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{
    Expr, Gate, Item, LineIndex, NameId, Names, OpKind, Program, Span, Stmt, StmtKind,
};

/// One value a `read` produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    /// The expression as written.
    pub text: String,
    /// Its span.
    pub span: Span,
    /// The 1-based line.
    pub line: usize,
    /// The value.
    pub value: f64,
    /// The `each` element, inside `each`.
    pub index: Option<u64>,
}

/// What a run reports as it goes: reads, and (for `--trace`) each statement.
pub trait Observer {
    /// A read produced a value.
    fn read(&mut self, read: Read);
    /// A statement finished; `machine` shows the board after it.
    fn after(&mut self, _stmt: &Stmt, _machine: &Machine) {}
    /// Whether [`Observer::after`] and [`Observer::iteration`] are wanted
    /// (they cost a call per statement).
    fn wants_steps(&self) -> bool {
        false
    }
    /// A loop starts an iteration: `element 0: x = 1`, `iteration 2 of 5`.
    fn iteration(&mut self, _stmt: &Stmt, _label: String) {}
}

/// Collects reads into a vector.
impl Observer for Vec<Read> {
    fn read(&mut self, read: Read) {
        self.push(read);
    }
}

/// Limits on a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits<'a> {
    /// Stop with `wb::step_limit` after this many statements.
    pub max_steps: Option<u64>,
    /// Stop with `wb::interrupted` when this becomes true (Ctrl-C).
    pub interrupt: Option<&'a AtomicBool>,
}

/// Where in the loops a statement runs.
#[derive(Clone, Copy, Debug)]
enum Level {
    Each { element: u64 },
    Repeat { iteration: u64, count: u64 },
}

/// What a run leaves behind and can be resumed from: the board, the values,
/// the inputs. The REPL keeps one between entries (and a copy to undo).
#[derive(Clone, Debug, Default)]
pub struct State {
    board: Board,
    /// Value of each board name, by name id.
    values: Vec<f64>,
    bindings: Bindings,
    steps: u64,
    peak: usize,
}

impl State {
    /// A state with an empty board and these inputs.
    pub fn new(bindings: Bindings) -> State {
        State {
            bindings,
            ..State::default()
        }
    }

    /// The inputs (the REPL adds to them as inputs are declared).
    pub fn bindings_mut(&mut self) -> &mut Bindings {
        &mut self.bindings
    }

    /// The board's slots.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The value of a board name, if it is on the board.
    pub fn value(&self, id: NameId) -> Option<f64> {
        self.board.slot_of(id).map(|_| self.values[id.index()])
    }

    /// The most slots in use at once so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Statements executed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

/// A running program: a [`State`] and the program text it runs.
#[derive(Clone, Debug)]
pub struct Machine<'p> {
    names: &'p Names,
    lines: &'p LineIndex,
    src: &'p str,
    kinds: Vec<NameKind>,
    capacity: usize,
    board: Board,
    /// Value of each board name, by name id.
    values: Vec<f64>,
    bindings: Bindings,
    /// The current element of each stream, by stream index.
    elements: Vec<f64>,
    each_streams: Vec<NameId>,
    stack: Vec<f64>,
    steps: u64,
    peak: usize,
    levels: Vec<Level>,
}

/// A run-time failure, before it is dressed as a diagnostic.
struct Fault {
    code: Code,
    message: String,
    span: Span,
    label: String,
}

impl<'p> Machine<'p> {
    /// A machine for `program` with `capacity` slots and bound inputs.
    pub fn new(
        program: &'p Program,
        src: &'p str,
        symbols: &Symbols,
        capacity: usize,
        bindings: Bindings,
    ) -> Self {
        let mut kinds = symbols.kinds().to_vec();
        kinds.resize(program.names.len(), NameKind::Undeclared);
        Machine {
            names: &program.names,
            lines: &program.lines,
            src,
            kinds,
            capacity,
            board: Board::default(),
            values: vec![0.0; program.names.len()],
            elements: vec![0.0; bindings.streams.len()],
            bindings,
            each_streams: Vec::new(),
            stack: Vec::with_capacity(16),
            steps: 0,
            peak: 0,
            levels: Vec::new(),
        }
    }

    /// A machine that continues from `state`, as a previous machine left it
    /// (see [`Machine::into_state`]): the REPL runs a session entry by entry,
    /// each entry with a machine over the session text so far. Names interned
    /// since the state was saved start off the board.
    pub fn resume(
        program: &'p Program,
        src: &'p str,
        symbols: &Symbols,
        capacity: usize,
        state: State,
    ) -> Self {
        let mut machine = Machine::new(program, src, symbols, capacity, state.bindings);
        let mut values = state.values;
        values.resize(program.names.len().max(values.len()), 0.0);
        machine.values = values;
        machine.board = state.board;
        machine.steps = state.steps;
        machine.peak = state.peak;
        machine
    }

    /// What the run leaves behind, to resume from with [`Machine::resume`].
    pub fn into_state(self) -> State {
        State {
            board: self.board,
            values: self.values,
            bindings: self.bindings,
            steps: self.steps,
            peak: self.peak,
        }
    }

    /// The board's slots.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value of a board name, if it is on the board.
    pub fn value(&self, id: NameId) -> Option<f64> {
        self.board.slot_of(id).map(|_| self.values[id.index()])
    }

    /// The most slots in use at once so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Statements executed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The names of the program.
    pub fn names(&self) -> &Names {
        self.names
    }

    /// The board on one line: `[ ac=5 | bd=33 | · ]`, free slots as `·`.
    pub fn board_line(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for slot in 0..self.board.extent() {
            parts.push(match self.board.name_in(slot) {
                Some(id) => format!(
                    "{}={}",
                    self.names.text(id),
                    number::format(self.values[id.index()])
                ),
                None => "·".to_owned(),
            });
        }
        let free = self.capacity.saturating_sub(self.board.occupancy());
        let unused = self.capacity.saturating_sub(self.board.extent());
        if unused > 0 && unused <= 4 {
            parts.extend(std::iter::repeat_n("·".to_owned(), unused));
        }
        let mut s = format!("[ {} ]", parts.join(" | "));
        if unused > 4 || parts.is_empty() {
            s.push_str(&format!(" ({free} of {} slots free)", self.capacity));
        }
        s
    }

    /// Runs every statement of the program in order.
    pub fn run(
        &mut self,
        items: &[Item],
        obs: &mut dyn Observer,
        limits: Limits,
    ) -> Result<(), Diagnostic> {
        for item in items {
            if let Item::Stmt(s) = item {
                self.exec(s, obs, limits)?;
            }
        }
        Ok(())
    }

    /// Runs one statement (with its loop body, if any).
    pub fn exec(
        &mut self,
        stmt: &Stmt,
        obs: &mut dyn Observer,
        limits: Limits,
    ) -> Result<(), Diagnostic> {
        self.steps += 1;
        if let Some(max) = limits.max_steps {
            if self.steps > max {
                self.steps -= 1;
                return Err(self.stopped(
                    stmt,
                    Code::StepLimit,
                    format!("the step limit of {max} was reached"),
                ));
            }
        }
        if let Some(flag) = limits.interrupt {
            if flag.load(Ordering::Relaxed) {
                return Err(self.stopped(
                    stmt,
                    Code::Interrupted,
                    "the run was interrupted".to_owned(),
                ));
            }
        }
        match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => self
                .write(*target, value, gate.as_ref())
                .map_err(|f| self.fail(stmt, f))?,
            StmtKind::Forget(list) => self.forget(list).map_err(|f| self.fail(stmt, f))?,
            StmtKind::Read(exprs) => {
                let mut values = Vec::with_capacity(exprs.len());
                for e in exprs {
                    values.push(self.eval(e).map_err(|f| self.fail(stmt, f))?);
                }
                let index = self.element();
                for (e, value) in exprs.iter().zip(values) {
                    obs.read(Read {
                        text: e.span.text(self.src).to_owned(),
                        span: e.span,
                        line: self.lines.line(e.span.start as usize),
                        value,
                        index,
                    });
                }
            }
            StmtKind::Each { streams, body } => return self.each(stmt, streams, body, obs, limits),
            StmtKind::Repeat { count, body } => {
                for iteration in 0..*count {
                    self.levels.push(Level::Repeat {
                        iteration,
                        count: *count,
                    });
                    if obs.wants_steps() {
                        obs.iteration(stmt, format!("iteration {} of {count}", iteration + 1));
                    }
                    let r = body.iter().try_for_each(|s| self.exec(s, obs, limits));
                    self.levels.pop();
                    r?;
                }
            }
        }
        if obs.wants_steps() {
            obs.after(stmt, self);
        }
        Ok(())
    }

    fn each(
        &mut self,
        stmt: &Stmt,
        streams: &[crate::syntax::Ident],
        body: &[Stmt],
        obs: &mut dyn Observer,
        limits: Limits,
    ) -> Result<(), Diagnostic> {
        let mut indices = Vec::with_capacity(streams.len());
        for s in streams {
            match self.kinds[s.id.index()] {
                NameKind::Stream(i) => indices.push(i),
                _ => {
                    return Err(self.fail(
                        stmt,
                        Fault {
                            code: Code::NotAStream,
                            message: format!("`{}` is not a stream", self.names.text(s.id)),
                            span: s.span,
                            label: "not a stream".into(),
                        },
                    ))
                }
            }
        }
        let lens: Vec<usize> = indices
            .iter()
            .map(|&i| self.bindings.streams[i].len())
            .collect();
        let len = lens.first().copied().unwrap_or(0);
        if let Some(k) = lens.iter().position(|&l| l != len) {
            let (a, b) = (streams[0], streams[k]);
            return Err(self.fail(
                stmt,
                Fault {
                    code: Code::StreamLength,
                    message: format!(
                        "the zipped streams have different lengths: `{}` has {} elements, `{}` has {}",
                        self.names.text(a.id),
                        len,
                        self.names.text(b.id),
                        lens[k]
                    ),
                    span: b.span,
                    label: format!("{} elements", lens[k]),
                },
            ));
        }
        let outer = std::mem::replace(
            &mut self.each_streams,
            streams.iter().map(|s| s.id).collect(),
        );
        let mut result = Ok(());
        'elements: for element in 0..len {
            for &i in &indices {
                self.elements[i] = self.bindings.streams[i][element];
            }
            self.levels.push(Level::Each {
                element: element as u64,
            });
            if obs.wants_steps() {
                let values: Vec<String> = streams
                    .iter()
                    .zip(&indices)
                    .map(|(s, &i)| {
                        format!(
                            "{} = {}",
                            self.names.text(s.id),
                            number::format(self.elements[i])
                        )
                    })
                    .collect();
                obs.iteration(stmt, format!("element {element}: {}", values.join(", ")));
            }
            for s in body {
                if let Err(e) = self.exec(s, obs, limits) {
                    result = Err(e);
                    self.levels.pop();
                    break 'elements;
                }
            }
            self.levels.pop();
        }
        self.each_streams = outer;
        result?;
        if obs.wants_steps() {
            obs.after(stmt, self);
        }
        Ok(())
    }

    fn element(&self) -> Option<u64> {
        self.levels.iter().find_map(|l| match l {
            Level::Each { element } => Some(*element),
            Level::Repeat { .. } => None,
        })
    }

    fn write(
        &mut self,
        target: crate::syntax::Ident,
        value: &Expr,
        gate: Option<&Gate>,
    ) -> Result<(), Fault> {
        let id = target.id;
        let text = self.names.text(id);
        if matches!(
            self.kinds[id.index()],
            NameKind::Input(_) | NameKind::Stream(_)
        ) {
            return Err(Fault {
                code: Code::WriteInput,
                message: format!("`{text}` is an input and cannot be written"),
                span: target.span,
                label: "an input".into(),
            });
        }
        let on_board = self.board.slot_of(id).is_some();
        let new = match gate {
            None => self.eval(value)?,
            Some(g) => {
                if !on_board {
                    return Err(Fault {
                        code: Code::GatedNewSlot,
                        message: format!(
                            "`{text}` is not on the board, so a gated write cannot blend with it"
                        ),
                        span: target.span,
                        label: "not on the board".into(),
                    });
                }
                let old = self.values[id.index()];
                match g {
                    Gate::When(c) => {
                        if self.eval(c)? == 0.0 {
                            return Ok(());
                        }
                        self.eval(value)?
                    }
                    Gate::Soft(gx) => {
                        let e = self.eval(value)?;
                        let gv = self.eval(gx)?;
                        if !(0.0..=1.0).contains(&gv) {
                            return Err(Fault {
                                code: Code::GateRange,
                                message: format!(
                                    "the gate is {}, outside [0, 1]",
                                    number::format(gv)
                                ),
                                span: gx.span,
                                label: format!("= {}", number::format(gv)),
                            });
                        }
                        arith::blend(old, e, gv)
                            .map_err(|err| self.arith_fault(err, value.span, None))?
                    }
                }
            }
        };
        if !on_board {
            if self.board.occupancy() >= self.capacity {
                return Err(Fault {
                    code: Code::BoardFull,
                    message: format!(
                        "the board is full: `{text}` needs a slot, and none of the {} is free",
                        self.capacity
                    ),
                    span: target.span,
                    label: "needs a free slot".into(),
                });
            }
            self.board.place(id);
            self.kinds[id.index()] = NameKind::Board;
            self.peak = self.peak.max(self.board.occupancy());
        }
        self.values[id.index()] = new;
        Ok(())
    }

    fn forget(&mut self, list: &[crate::syntax::Ident]) -> Result<(), Fault> {
        for (k, n) in list.iter().enumerate() {
            if self.board.slot_of(n.id).is_none() || list[..k].iter().any(|m| m.id == n.id) {
                return Err(Fault {
                    code: Code::NotOnBoard,
                    message: format!("`{}` is not on the board", self.names.text(n.id)),
                    span: n.span,
                    label: "not on the board".into(),
                });
            }
        }
        for n in list {
            self.board.remove(n.id);
        }
        Ok(())
    }

    /// Evaluates an expression, left to right, every result finite.
    fn eval(&mut self, e: &Expr) -> Result<f64, Fault> {
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        let r = self.eval_on(e, &mut stack);
        self.stack = stack;
        r
    }

    fn eval_on(&self, e: &Expr, stack: &mut Vec<f64>) -> Result<f64, Fault> {
        for op in &e.ops {
            let v = match op.kind {
                OpKind::Num(v) => v,
                OpKind::Name(id) => self.lookup(id, op.span)?,
                OpKind::Neg => {
                    let a = stack.pop().unwrap_or(0.0);
                    arith::neg(a)
                }
                OpKind::Bin(b) => {
                    let rhs = stack.pop().unwrap_or(0.0);
                    let lhs = stack.pop().unwrap_or(0.0);
                    arith::binary(b, lhs, rhs)
                        .map_err(|err| self.arith_fault(err, op.span, Some((b, rhs))))?
                }
                OpKind::Call(f) => {
                    let (a, b) = if f.arity() == 2 {
                        let b = stack.pop().unwrap_or(0.0);
                        (stack.pop().unwrap_or(0.0), b)
                    } else {
                        (stack.pop().unwrap_or(0.0), 0.0)
                    };
                    arith::call(f, a, b).map_err(|err| self.arith_fault(err, op.span, None))?
                }
            };
            stack.push(v);
        }
        Ok(stack.pop().unwrap_or(0.0))
    }

    #[inline]
    fn lookup(&self, id: NameId, span: Span) -> Result<f64, Fault> {
        match self.kinds[id.index()] {
            NameKind::Input(i) => Ok(self.bindings.scalars[i]),
            NameKind::Stream(i) => {
                if self.each_streams.contains(&id) {
                    Ok(self.elements[i])
                } else {
                    Err(Fault {
                        code: Code::StreamOutsideEach,
                        message: format!(
                            "the stream `{}` is read outside its `each`",
                            self.names.text(id)
                        ),
                        span,
                        label: "outside `each`".into(),
                    })
                }
            }
            NameKind::Board if self.board.slot_of(id).is_some() => Ok(self.values[id.index()]),
            NameKind::Board => Err(Fault {
                code: Code::Forgotten,
                message: format!("`{}` is read after it was forgotten", self.names.text(id)),
                span,
                label: "not on the board".into(),
            }),
            NameKind::Undeclared => Err(Fault {
                code: Code::UnknownName,
                message: format!("`{}` has no value", self.names.text(id)),
                span,
                label: "unknown name".into(),
            }),
        }
    }

    fn arith_fault(
        &self,
        err: ArithError,
        span: Span,
        divisor: Option<(crate::syntax::BinOp, f64)>,
    ) -> Fault {
        let text = span.text(self.src);
        match err {
            ArithError::DivZero => Fault {
                code: Code::DivZero,
                message: match divisor {
                    Some((crate::syntax::BinOp::Rem, _)) => {
                        format!("remainder by zero in `{text}`")
                    }
                    _ => format!("division by zero in `{text}`"),
                },
                span,
                label: "the divisor is 0".into(),
            },
            ArithError::NotFinite => Fault {
                code: Code::NotFinite,
                message: format!("`{text}` has no finite value"),
                span,
                label: "infinite or not a number".into(),
            },
        }
    }

    /// Where the run is, in words: `element 3 of `each``, `iteration 2 of 5`.
    fn whereabouts(&self) -> String {
        let parts: Vec<String> = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Each { element } => {
                    let values: Vec<String> = self
                        .each_streams
                        .iter()
                        .filter_map(|&id| match self.kinds[id.index()] {
                            NameKind::Stream(i) => Some(format!(
                                "{} = {}",
                                self.names.text(id),
                                number::format(self.elements[i])
                            )),
                            _ => None,
                        })
                        .collect();
                    format!("element {element}: {}", values.join(", "))
                }
                Level::Repeat { iteration, count } => {
                    format!("repeat iteration {} of {count}", iteration + 1)
                }
            })
            .collect();
        parts.join(", ")
    }

    fn fail(&self, stmt: &Stmt, f: Fault) -> Diagnostic {
        let stmt_text = statement_head(stmt, self.src);
        let mut message = format!("{}, in `{stmt_text}`", f.message);
        let at = self.whereabouts();
        if !at.is_empty() {
            message.push_str(&format!(" ({at})"));
        }
        let mut d = Diagnostic::error(f.code, message, f.span, f.label);
        if f.span != stmt.span && !stmt.span.range().contains(&(f.span.start as usize)) {
            d = d.with_label(stmt.span, "in this statement");
        }
        d.index = self.element();
        d.with_note(format!("board when it failed: {}", self.board_line()))
    }

    fn stopped(&self, stmt: &Stmt, code: Code, message: String) -> Diagnostic {
        let mut d = Diagnostic::error(
            code,
            format!("{message} after {} statements", self.steps),
            stmt.span,
            "the next statement would run here",
        );
        let at = self.whereabouts();
        if !at.is_empty() {
            d.message.push_str(&format!(" ({at})"));
        }
        d.index = self.element();
        if code == Code::StepLimit {
            d = d.with_help("raise `--max-steps`, or run fewer iterations");
        }
        d.with_note(format!("board when it stopped: {}", self.board_line()))
    }
}

/// A statement in a few words: its first line, or a loop's head (`each x, y`).
fn statement_head(stmt: &Stmt, src: &str) -> String {
    let text = stmt.span.text(src);
    match stmt.kind {
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
            text.split('{').next().unwrap_or("").trim_end().to_owned()
        }
        _ => text.lines().next().unwrap_or("").trim_end().to_owned(),
    }
}
