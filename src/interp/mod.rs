//! The interpreter: runs a program statement by statement on a [`Board`]
//! whose capacity it enforces as an invariant.
//!
//! It is normally given a checked program (then no board error can happen),
//! but it does not rely on that: every board rule is also guarded here, so a
//! program run unchecked fails at the statement that breaks a rule. A
//! statement that fails changes nothing: values are computed first and the
//! board is touched only when the whole statement succeeded.

mod code;
mod each;
mod fault;
mod hot;
mod inputs;
mod source;

pub use inputs::{bind, bind_with_files, Bindings, Overrides, StreamFiles};
pub use source::{
    parse_list, parse_number, Elements, FileElements, Source, StreamError, StreamFile,
};

use std::sync::atomic::{AtomicBool, Ordering};

use self::code::{Compiled, Compiler, Fast, Kind, Scope};
pub use self::fault::{
    board_line, runtime_error, statement_head, whereabouts, Applied, Fault, Whereabout,
    STREAM_FILE_HELP,
};
use crate::arith;
use crate::board::Board;
use crate::check::{NameKind, Symbols};
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{Ident, Item, LineIndex, NameId, Names, Program, Span, Stmt};

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
    /// The frame of the statement running (see `code.rs`): first the value
    /// of each board name, by name id; then inputs, stream elements,
    /// constants and temporaries.
    values: Vec<f64>,
    bindings: Bindings,
    /// The streams read from files rather than from `bindings`.
    files: StreamFiles,
    /// Where stream 0's current element is in `values`.
    elements: usize,
    each_streams: Vec<NameId>,
    stack: Vec<f64>,
    steps: u64,
    peak: usize,
    levels: Vec<Level>,
    /// The gate value of the last gated write evaluated (see
    /// [`Machine::last_gate`]).
    gate: Option<f64>,
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
            elements: program.names.len(),
            bindings,
            files: StreamFiles::default(),
            each_streams: Vec::new(),
            stack: Vec::with_capacity(16),
            steps: 0,
            peak: 0,
            levels: Vec::new(),
            gate: None,
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
        // The frame past the board values is scratch for the last statement.
        let mut values = self.values;
        values.truncate(self.names.len().max(self.kinds.len()));
        State {
            board: self.board,
            values,
            bindings: self.bindings,
            steps: self.steps,
            peak: self.peak,
        }
    }

    /// The machine, with these streams read from their files as `each`
    /// runs (see [`bind_with_files`]).
    pub fn with_stream_files(mut self, files: StreamFiles) -> Self {
        self.files = files;
        self
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

    /// The value of the gate of the last gated write that evaluated its
    /// gate: the condition of `when c` (the write happened where it is not
    /// 0), the `g` of `gate g`. Read in [`Observer::after`] of a gated
    /// write, it is that write's gate (pictures draw gates over time).
    pub fn last_gate(&self) -> Option<f64> {
        self.gate
    }

    /// The names of the program.
    pub fn names(&self) -> &Names {
        self.names
    }

    /// The board on one line: `[ ac=5 | bd=33 | · ]`, free slots as `·`.
    pub fn board_line(&self) -> String {
        let slots = (0..self.board.extent()).map(|slot| {
            self.board
                .name_in(slot)
                .map(|id| (self.names.text(id), self.values[id.index()]))
        });
        board_line(slots, self.board.occupancy(), self.capacity)
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
    ///
    /// The statement is compiled first: its names are resolved to where
    /// their values live, once, however often a loop runs its body.
    pub fn exec(
        &mut self,
        stmt: &Stmt,
        obs: &mut dyn Observer,
        limits: Limits,
    ) -> Result<(), Diagnostic> {
        let (code, compiled) = self.compile(stmt);
        let mut run = Run {
            watch: obs.wants_steps(),
            obs,
            max_steps: limits.max_steps.unwrap_or(u64::MAX),
            interrupt: limits.interrupt,
        };
        self.step(&code, &compiled, &mut run)
    }

    /// Compiles `stmt` and lays out the frame it runs on.
    fn compile<'s>(&mut self, stmt: &'s Stmt) -> (code::Code, Compiled<'s>) {
        let names = self
            .names
            .len()
            .max(self.kinds.len())
            .max(code::max_name(stmt) + 1);
        self.kinds.resize(names, NameKind::Undeclared);
        let scalars = self.bindings.scalars.len();
        let scope = Scope {
            kinds: &self.kinds,
            names,
            scalars,
            elements: names + scalars,
            streams: self.bindings.streams.len().max(self.files.len()),
            each: self.each_streams.clone(),
        };
        let mut compiler = Compiler::new(scope);
        let compiled = compiler.stmt(stmt);
        let code = compiler.finish();
        self.values.resize(names, 0.0);
        self.values.extend_from_slice(&self.bindings.scalars);
        self.values.resize(code.frame_len, 0.0);
        code.fill(&mut self.values);
        self.elements = names + scalars;
        self.stack.reserve(code.depth + 1);
        (code, compiled)
    }

    /// Runs one compiled statement: the step count, the limits, then the
    /// statement itself.
    fn step(&mut self, code: &code::Code, c: &Compiled, run: &mut Run) -> Result<(), Diagnostic> {
        if self.steps >= run.max_steps {
            return Err(self.stopped(
                c.stmt,
                Code::StepLimit,
                format!("the step limit of {} was reached", run.max_steps),
            ));
        }
        self.steps += 1;
        if let Some(flag) = run.interrupt {
            if flag.load(Ordering::Relaxed) {
                return Err(self.stopped(
                    c.stmt,
                    Code::Interrupted,
                    "the run was interrupted".to_owned(),
                ));
            }
        }
        match &c.kind {
            Kind::Write {
                target,
                value,
                value_span,
                gate,
            } => self
                .write(code, *target, *value, *value_span, gate.as_ref())
                .map_err(|f| self.fail(c.stmt, f))?,
            Kind::WriteInput(target) => {
                let f = Fault {
                    code: Code::WriteInput,
                    message: format!(
                        "`{}` is an input and cannot be written",
                        self.names.text(target.id)
                    ),
                    span: target.span,
                    label: "an input".into(),
                };
                return Err(self.fail(c.stmt, f));
            }
            Kind::Forget(list) => self.forget(list).map_err(|f| self.fail(c.stmt, f))?,
            Kind::Read(exprs) => {
                let mut values = Vec::with_capacity(exprs.len());
                for (x, _) in exprs {
                    values.push(self.eval(code, *x).map_err(|f| self.fail(c.stmt, f))?);
                }
                let index = self.element();
                for (&(_, span), value) in exprs.iter().zip(values) {
                    run.obs.read(Read {
                        text: span.text(self.src).to_owned(),
                        span,
                        line: self.lines.line(span.start as usize),
                        value,
                        index,
                    });
                }
            }
            Kind::Each {
                streams,
                indices,
                body,
            } => return self.each(code, c.stmt, streams, indices, body, run),
            Kind::Repeat { count, body } => {
                let count = *count;
                self.levels.push(Level::Repeat {
                    iteration: 0,
                    count,
                });
                let mut result = Ok(());
                // Where the plain loop takes over from the hot one.
                let (first, from) = self.hot_repeat(code, count, body, run);
                'iterations: for iteration in first..count {
                    if let Some(Level::Repeat { iteration: i, .. }) = self.levels.last_mut() {
                        *i = iteration;
                    }
                    if run.watch {
                        run.obs
                            .iteration(c.stmt, format!("iteration {} of {count}", iteration + 1));
                    }
                    let skip = if iteration == first { from } else { 0 };
                    for s in &body[skip..] {
                        if self.overwrite(code, s, run) {
                            continue;
                        }
                        if let Err(e) = self.step(code, s, run) {
                            result = Err(e);
                            break 'iterations;
                        }
                    }
                }
                self.levels.pop();
                result?;
            }
        }
        if run.watch {
            run.obs.after(c.stmt, self);
        }
        Ok(())
    }

    /// The `each` element the run is at, if it is inside `each`.
    fn element(&self) -> Option<u64> {
        self.levels.iter().find_map(|l| match l {
            Level::Each { element } => Some(*element),
            Level::Repeat { .. } => None,
        })
    }

    fn write(
        &mut self,
        code: &code::Code,
        target: Ident,
        value: Fast,
        value_span: Span,
        gate: Option<&code::Gated>,
    ) -> Result<(), Fault> {
        let id = target.id;
        let on_board = self.board.slot_of(id).is_some();
        let new = match gate {
            None => self.eval(code, value)?,
            Some(g) => {
                if !on_board {
                    return Err(Fault {
                        code: Code::GatedNewSlot,
                        message: format!(
                            "`{}` is not on the board, so a gated write cannot blend with it",
                            self.names.text(id)
                        ),
                        span: target.span,
                        label: "not on the board".into(),
                    });
                }
                let old = self.values[id.index()];
                if g.soft {
                    let e = self.eval(code, value)?;
                    let gv = self.eval(code, g.value)?;
                    self.gate = Some(gv);
                    if !(0.0..=1.0).contains(&gv) {
                        return Err(Fault {
                            code: Code::GateRange,
                            message: format!("the gate is {}, outside [0, 1]", number::format(gv)),
                            span: g.span,
                            label: format!("= {}", number::format(gv)),
                        });
                    }
                    arith::blend(old, e, gv)
                        .map_err(|err| self.arith_fault(err, value_span, false, None))?
                } else {
                    let c = self.eval(code, g.value)?;
                    self.gate = Some(c);
                    if c == 0.0 {
                        return Ok(());
                    }
                    self.eval(code, value)?
                }
            }
        };
        if !on_board {
            if self.board.occupancy() >= self.capacity {
                return Err(Fault {
                    code: Code::BoardFull,
                    message: format!(
                        "the board is full: `{}` needs a slot, and none of the {} is free",
                        self.names.text(id),
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

    fn forget(&mut self, list: &[Ident]) -> Result<(), Fault> {
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

    /// Evaluates a compiled expression, left to right, every result finite:
    /// by its fast form, or, where that fails, exactly.
    #[inline]
    fn eval(&mut self, code: &code::Code, x: Fast) -> Result<f64, Fault> {
        match code.fast(x, &mut self.values, &self.board) {
            Some(v) => Ok(v),
            None => self.eval_exact(code, x),
        }
    }

    /// The exact evaluation, which says which operation fails and why.
    #[cold]
    #[inline(never)]
    fn eval_exact(&mut self, code: &code::Code, x: Fast) -> Result<f64, Fault> {
        match code.exact(x, &self.values, &self.board, &mut self.stack) {
            Ok(v) => Ok(v),
            Err((at, err)) => Err(self.eval_fault(code, at, err)),
        }
    }
}

/// What one call of [`Machine::exec`] runs with.
struct Run<'o, 'l> {
    obs: &'o mut dyn Observer,
    /// Whether the observer wants every statement ([`Observer::wants_steps`]).
    watch: bool,
    max_steps: u64,
    interrupt: Option<&'l AtomicBool>,
}
