//! The executor: a [`Cell`] run over a batch of input sets on ndarray.
//!
//! The batch is processed in chunks of rows small enough that a chunk's
//! state, inputs and registers stay in cache while it goes through every
//! step (one pass per chunk, not one pass over the whole batch per step).
//! Within a step, each instruction runs over the chunk's rows in a tight
//! loop; every operation is [`crate::arith`]'s, so each row computes exactly
//! what the interpreter computes.
//!
//! Errors are per row: a row whose statement fails is reported with the
//! interpreter's diagnostic (code, statement, element) and takes no further
//! part; the other rows go on. Within a fused step the first failing
//! statement of a row (in source order) is its error, the statements before
//! it take effect and the ones after it do not, as in the interpreter.

use ndarray::Array2;

use super::{ActionKind, Cell, EachNode, Instr, InstrOp, Node, Operand, Step, WriteMode};
use crate::arith::{self, ArithError};
use crate::board::Board;
use crate::diag::{Code, Diagnostic};
use crate::interp::{
    board_line, runtime_error, statement_head, Bindings, Fault, Observer, Read, Whereabout,
};
use crate::number;
use crate::syntax::{BinOp, Func, Span};

/// The input sets of a batch.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `scalars[[i, r]]` is input `i` of row `r`: each input's values are
    /// contiguous, so a chunk reads them in place.
    pub scalars: Array2<f64>,
    /// Each stream's sequences, by stream index.
    pub streams: Vec<StreamColumn>,
}

/// One stream's sequences for every row of a batch, flat.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamColumn {
    /// Every row's elements, one row after another.
    pub values: Vec<f64>,
    /// Row `r`'s elements are `values[offsets[r]..offsets[r + 1]]`.
    pub offsets: Vec<usize>,
}

impl StreamColumn {
    /// A column with no rows.
    pub fn new() -> StreamColumn {
        StreamColumn {
            values: Vec::new(),
            offsets: vec![0],
        }
    }

    /// Appends a row's sequence.
    pub fn push(&mut self, seq: &[f64]) {
        self.values.extend_from_slice(seq);
        self.offsets.push(self.values.len());
    }

    fn row(&self, r: usize) -> &[f64] {
        match (self.offsets.get(r), self.offsets.get(r + 1)) {
            (Some(&a), Some(&b)) if a <= b && b <= self.values.len() => &self.values[a..b],
            _ => &[],
        }
    }
}

impl Batch {
    /// A batch of `rows` rows for `cell`: inputs 0, streams empty.
    pub fn zeros(cell: &Cell, rows: usize) -> Batch {
        let mut empty = StreamColumn::new();
        empty.offsets.resize(rows + 1, 0);
        Batch {
            scalars: Array2::zeros((cell.inputs.len(), rows)),
            streams: vec![empty; cell.streams.len()],
        }
    }

    /// A batch with one row per binding.
    pub fn from_bindings(cell: &Cell, rows: &[Bindings]) -> Batch {
        let mut b = Batch::zeros(cell, rows.len());
        for s in &mut b.streams {
            *s = StreamColumn::new();
        }
        for (r, bind) in rows.iter().enumerate() {
            for (i, v) in bind.scalars.iter().enumerate().take(cell.inputs.len()) {
                b.scalars[[i, r]] = *v;
            }
            for (s, col) in b.streams.iter_mut().enumerate() {
                col.push(bind.streams.get(s).map_or(&[][..], |v| v.as_slice()));
            }
        }
        b
    }

    /// How many rows.
    pub fn rows(&self) -> usize {
        self.scalars.ncols()
    }
}

/// Where the reads of a run go.
pub trait Sink {
    /// Read site `site` (index into [`Cell::reads`]) produced `values[k]` for
    /// batch row `first + k`, for the rows where `rows[k]` is true (every row
    /// when `rows` is `None`). `index` is the `each` element, inside `each`.
    fn read(
        &mut self,
        site: usize,
        first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        index: Option<u64>,
    );
}

/// What a batch run reports.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The rows that failed, in row order, with the interpreter's diagnostic.
    pub failures: Vec<(usize, Diagnostic)>,
    /// The most units occupied at once, over the steps that ran.
    pub peak: usize,
}

/// Where in the loops the run is, as the interpreter says it.
#[derive(Clone, Copy, Debug)]
enum Level {
    Each { element: u64 },
    Repeat { iteration: u64, count: u64 },
}

/// A row's failure in the current step.
struct Pending {
    row: usize,
    /// The action (index in the step), or `usize::MAX` outside steps.
    action: usize,
    stmt: usize,
    fault: Fault,
}

/// A cell ready to run, with its buffers. Reuse one engine for many batches:
/// buffers are allocated once, at the chunk size.
pub struct Engine<'c> {
    cell: &'c Cell,
    /// Rows per chunk.
    k: usize,
    /// Rows in the current chunk.
    n: usize,
    /// First batch row of the current chunk.
    start: usize,
    /// Every register of the chunk, `(units + temps) × k` (a register's
    /// rows contiguous): the cell state `c` and the step's temporaries.
    /// Which register holds which unit or temporary is renamed as writes
    /// commit, so a write of a computed candidate moves no data.
    regs: Array2<f64>,
    /// Unit → its register.
    unit_reg: Vec<usize>,
    /// Temporary → its register.
    temp_reg: Vec<usize>,
    /// The current stream elements, `streams × k`.
    elems: Array2<f64>,
    /// The constants, each repeated `k` times.
    consts: Array2<f64>,
    alive: Vec<bool>,
    on: Vec<bool>,
    all_on: bool,
    any_on: bool,
    apply: Vec<bool>,
    /// Per row: the action of the step where it failed (`usize::MAX` if not).
    fail_action: Vec<usize>,
    pending: Vec<Pending>,
    lens: Vec<usize>,
    levels: Vec<Level>,
    /// The streams of the `each` running, with their names.
    each_streams: Vec<(usize, crate::syntax::NameId)>,
    /// The next chunk's rows not yet prefetched: `pf_next..pf_end`.
    pf_next: usize,
    pf_end: usize,
    peak: usize,
    extent: usize,
    failures: Vec<(usize, Diagnostic)>,
}

/// Rows of the next chunk prefetched before each instruction.
const PREFETCH_ROWS: usize = 176;

/// Bytes of registers a chunk should fit in (about half an L1 data cache).
const CHUNK_BYTES: usize = 24 * 1024;

impl<'c> Engine<'c> {
    /// An engine with a chunk size that keeps a chunk's registers in cache.
    pub fn new(cell: &'c Cell) -> Engine<'c> {
        let regs = cell.units + cell.streams.len() + cell.consts.len() + cell.temps + 1;
        let k = (CHUNK_BYTES / (8 * regs)).clamp(1, 1024);
        Engine::with_chunk(cell, k)
    }

    /// An engine processing `k` rows at a time (at least 1).
    pub fn with_chunk(cell: &'c Cell, k: usize) -> Engine<'c> {
        let k = k.max(1);
        let mut consts = Array2::zeros((cell.consts.len(), k));
        for (i, v) in cell.consts.iter().enumerate() {
            consts.row_mut(i).fill(*v);
        }
        Engine {
            cell,
            k,
            n: 0,
            start: 0,
            regs: Array2::zeros((cell.units + cell.temps, k)),
            unit_reg: (0..cell.units).collect(),
            temp_reg: (cell.units..cell.units + cell.temps).collect(),
            elems: Array2::zeros((cell.streams.len(), k)),
            consts,
            alive: vec![false; k],
            on: vec![false; k],
            all_on: false,
            any_on: false,
            apply: vec![false; k],
            fail_action: vec![usize::MAX; k],
            pending: Vec::new(),
            lens: vec![0; k],
            levels: Vec::new(),
            each_streams: Vec::new(),
            pf_next: 0,
            pf_end: 0,
            peak: 0,
            extent: 0,
            failures: Vec::new(),
        }
    }

    /// Rows per chunk.
    pub fn chunk(&self) -> usize {
        self.k
    }

    /// Runs every row of `batch`; reads go to `sink`. A batch whose shape
    /// does not fit the cell is refused.
    pub fn run(&mut self, batch: &Batch, sink: &mut dyn Sink) -> Result<Outcome, Diagnostic> {
        let rows = batch.rows();
        let shape_ok = batch.scalars.nrows() == self.cell.inputs.len()
            && batch.streams.len() == self.cell.streams.len()
            && batch.streams.iter().all(|s| s.offsets.len() == rows + 1);
        if !shape_ok {
            return Err(Diagnostic::global(
                Code::MissingInput,
                "the batch does not have the program's inputs and streams",
            ));
        }
        let standard;
        let scalars = match batch.scalars.as_slice() {
            Some(s) => s,
            None => {
                standard = batch.scalars.as_standard_layout().into_owned();
                standard.as_slice().unwrap_or(&[])
            }
        };
        let mut outcome = Outcome::default();
        let mut start = 0;
        self.pf_next = 0;
        while start < rows {
            self.n = self.k.min(rows - start);
            self.start = start;
            self.all_alive();
            self.peak = 0;
            self.extent = 0;
            let data = Data {
                scalars,
                rows,
                streams: &batch.streams,
            };
            // The rest of this chunk's inputs, then the next chunk's a
            // little before each instruction, so loading overlaps compute.
            prefetch(scalars, rows, self.pf_next, start + self.n);
            self.pf_next = start + self.n;
            self.pf_end = (start + self.n + self.k).min(rows);
            let cell = self.cell;
            self.nodes(&cell.nodes, &data, sink);
            outcome.peak = outcome.peak.max(self.peak);
            outcome.failures.append(&mut self.failures);
            start += self.n;
        }
        outcome.failures.sort_by_key(|f| f.0);
        Ok(outcome)
    }

    /// Runs one input set, reporting reads to `obs` as the interpreter does;
    /// returns the peak occupancy, or the run's error.
    pub fn run_one(
        &mut self,
        bindings: &Bindings,
        obs: &mut dyn Observer,
    ) -> Result<usize, Diagnostic> {
        let batch = Batch::from_bindings(self.cell, std::slice::from_ref(bindings));
        let mut sink = ObserverSink {
            cell: self.cell,
            obs,
        };
        let mut outcome = self.run(&batch, &mut sink)?;
        match outcome.failures.pop() {
            Some((_, d)) => Err(d),
            None => Ok(outcome.peak),
        }
    }

    fn reset_on(&mut self) {
        let n = self.n;
        self.on[..n].copy_from_slice(&self.alive[..n]);
        self.refresh_on();
    }

    /// Every row of a new chunk is alive.
    fn all_alive(&mut self) {
        let n = self.n;
        self.alive[..n].fill(true);
        self.on[..n].fill(true);
        self.all_on = n > 0;
        self.any_on = n > 0;
    }

    fn refresh_on(&mut self) {
        let on = &self.on[..self.n];
        self.all_on = on.iter().all(|&b| b);
        self.any_on = on.iter().any(|&b| b);
    }

    fn nodes(&mut self, nodes: &[Node], data: &Data, sink: &mut dyn Sink) {
        for node in nodes {
            if !self.any_on {
                return;
            }
            match node {
                Node::Step(step) => self.step(step, data, sink),
                Node::Each(e) => self.each(e, data, sink),
                Node::Repeat(r) => {
                    for iteration in 0..r.count {
                        if !self.any_on {
                            break;
                        }
                        self.levels.push(Level::Repeat {
                            iteration,
                            count: r.count,
                        });
                        self.nodes(&r.body, data, sink);
                        self.levels.pop();
                    }
                }
            }
        }
    }

    fn each(&mut self, node: &EachNode, data: &Data, sink: &mut dyn Sink) {
        let n = self.n;
        let mut longest = 0;
        for k in 0..n {
            if !self.on[k] {
                continue;
            }
            let row = self.start + k;
            let lens: Vec<usize> = node
                .streams
                .iter()
                .map(|(s, _, _)| data.streams.get(*s).map_or(0, |c| c.row(row).len()))
                .collect();
            let len = lens.first().copied().unwrap_or(0);
            if let Some(bad) = lens.iter().position(|&l| l != len) {
                let (a, b) = (node.streams[0], node.streams[bad]);
                let names = &self.cell.names;
                self.pending.push(Pending {
                    row: k,
                    action: usize::MAX,
                    stmt: node.stmt,
                    fault: Fault {
                        code: Code::StreamLength,
                        message: format!(
                            "the zipped streams have different lengths: `{}` has {} elements, `{}` has {}",
                            names.text(a.1),
                            len,
                            names.text(b.1),
                            lens[bad]
                        ),
                        span: b.2,
                        label: format!("{} elements", lens[bad]),
                    },
                });
                continue;
            }
            self.lens[k] = len;
            longest = longest.max(len);
        }
        if !self.pending.is_empty() {
            self.settle_failures(None);
        }
        self.levels.push(Level::Each { element: 0 });
        self.each_streams = node.streams.iter().map(|&(s, id, _)| (s, id)).collect();
        for element in 0..longest {
            for k in 0..n {
                self.on[k] = self.alive[k] && element < self.lens[k];
            }
            self.refresh_on();
            if !self.any_on {
                break;
            }
            for (s, _, _) in &node.streams {
                let Some(col) = data.streams.get(*s) else {
                    continue;
                };
                let mut row = self.elems.row_mut(*s);
                for k in 0..n {
                    if self.on[k] {
                        row[k] = col.row(self.start + k).get(element).copied().unwrap_or(0.0);
                    }
                }
            }
            if let Some(Level::Each { element: e }) = self.levels.last_mut() {
                *e = element as u64;
            }
            self.nodes(&node.body, data, sink);
        }
        self.levels.pop();
        self.each_streams.clear();
        self.reset_on();
    }

    fn step(&mut self, step: &Step, data: &Data, sink: &mut dyn Sink) {
        let (n, k) = (self.n, self.k);
        let cell = self.cell;
        let mut errors = false;
        for instr in &step.instrs {
            if self.pf_next < self.pf_end {
                let to = (self.pf_next + PREFETCH_ROWS).min(self.pf_end);
                prefetch(data.scalars, data.rows, self.pf_next, to);
                self.pf_next = to;
            }
            let dst = self.temp_reg[instr.dst];
            let (out, regs) = open(
                &mut self.regs,
                &self.unit_reg,
                &self.temp_reg,
                &self.elems,
                &self.consts,
                data,
                (self.start, n, k),
                Some(dst),
            );
            let a = regs.get(instr.a);
            let b = regs.get(instr.b);
            if kernel(instr.op, &mut out[..n], a, b) {
                let guard = instr.guard.map(|g| regs.get(g));
                for row in 0..n {
                    if !self.on[row] || self.fail_action[row] != usize::MAX {
                        continue;
                    }
                    if guard.is_some_and(|g| g[row] == 0.0) {
                        continue;
                    }
                    if let Some(err) = row_error(instr.op, a[row], b[row]) {
                        self.fail_action[row] = instr.action;
                        errors = true;
                        self.pending.push(Pending {
                            row,
                            action: instr.action,
                            stmt: step.actions[instr.action].stmt,
                            fault: arith_fault(&cell.src, err, instr),
                        });
                    }
                }
            }
        }
        self.commit(step, data, sink, errors);
        self.peak = self.peak.max(step.peak);
        if !self.pending.is_empty() {
            self.settle_failures(Some(step));
        }
        self.extent = self.extent.max(step.extent);
    }

    fn commit(&mut self, step: &Step, data: &Data, sink: &mut dyn Sink, mut errors: bool) {
        let (n, k) = (self.n, self.k);
        let cell = self.cell;
        let index = self.element();
        for (j, action) in step.actions.iter().enumerate() {
            let fast = self.all_on && !errors;
            if !fast {
                for row in 0..n {
                    self.apply[row] = self.on[row] && self.fail_action[row] > j;
                }
            }
            match &action.kind {
                ActionKind::Write {
                    unit,
                    value: Operand::Temp(t),
                    mode: WriteMode::Set,
                    ..
                } if fast => {
                    // c' = g for every row: the unit now lives in g's
                    // register, and the temporary takes the old one.
                    std::mem::swap(&mut self.unit_reg[*unit], &mut self.temp_reg[*t]);
                }
                ActionKind::Write {
                    unit, value, mode, ..
                } => {
                    let (c, regs) = open(
                        &mut self.regs,
                        &self.unit_reg,
                        &self.temp_reg,
                        &self.elems,
                        &self.consts,
                        data,
                        (self.start, n, k),
                        Some(self.unit_reg[*unit]),
                    );
                    let c = &mut c[..n];
                    let g = regs.get(*value);
                    let apply = &self.apply[..n];
                    let mut fail = |row: usize, fault: Fault| {
                        self.fail_action[row] = j;
                        // A failure here comes before any later action's.
                        self.pending.retain(|p| p.row != row);
                        self.pending.push(Pending {
                            row,
                            action: j,
                            stmt: action.stmt,
                            fault,
                        });
                    };
                    match mode {
                        WriteMode::Set => {
                            for row in 0..n {
                                if fast || apply[row] {
                                    c[row] = g[row];
                                }
                            }
                        }
                        WriteMode::Accumulate { span, x_first } => {
                            for row in 0..n {
                                if !fast && !apply[row] {
                                    continue;
                                }
                                let (x, e) = (c[row], g[row]);
                                let sum = if *x_first {
                                    arith::binary(BinOp::Add, x, e)
                                } else {
                                    arith::binary(BinOp::Add, e, x)
                                };
                                match sum {
                                    Ok(v) => c[row] = v,
                                    Err(_) => {
                                        errors = true;
                                        fail(row, not_finite(&cell.src, *span));
                                    }
                                }
                            }
                        }
                        WriteMode::When { gate, .. } => {
                            let open = regs.get(*gate);
                            for row in 0..n {
                                if (fast || apply[row]) && open[row] != 0.0 {
                                    c[row] = g[row];
                                }
                            }
                        }
                        WriteMode::Soft {
                            gate,
                            gate_span,
                            value_span,
                        } => {
                            let gv = regs.get(*gate);
                            for row in 0..n {
                                if !fast && !apply[row] {
                                    continue;
                                }
                                let w = gv[row];
                                if !(0.0..=1.0).contains(&w) {
                                    errors = true;
                                    fail(
                                        row,
                                        Fault {
                                            code: Code::GateRange,
                                            message: format!(
                                                "the gate is {}, outside [0, 1]",
                                                number::format(w)
                                            ),
                                            span: *gate_span,
                                            label: format!("= {}", number::format(w)),
                                        },
                                    );
                                    continue;
                                }
                                match arith::blend(c[row], g[row], w) {
                                    Ok(v) => c[row] = v,
                                    Err(_) => {
                                        errors = true;
                                        fail(row, not_finite(&cell.src, *value_span));
                                    }
                                }
                            }
                        }
                    }
                }
                // `f = 0, i = 0`: nothing reads a forgotten unit again before
                // a write sets it (the checker guarantees it), so erasing the
                // value would be work without effect.
                ActionKind::Forget(_) => {}
                ActionKind::Read(outs) => {
                    let (_, regs) = open(
                        &mut self.regs,
                        &self.unit_reg,
                        &self.temp_reg,
                        &self.elems,
                        &self.consts,
                        data,
                        (self.start, n, k),
                        None,
                    );
                    let rows = if fast { None } else { Some(&self.apply[..n]) };
                    for (site, op) in outs {
                        sink.read(*site, self.start, regs.get(*op), rows, index);
                    }
                }
            }
        }
    }

    /// Turns the pending failures into diagnostics and takes their rows out.
    fn settle_failures(&mut self, step: Option<&Step>) {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            // The board as the failing statement found it: the actions of
            // the step before it took effect.
            let extent = match step {
                Some(s) => s.actions[..p.action.min(s.actions.len())]
                    .iter()
                    .filter_map(|a| self.cell.stmts[a.stmt].places.map(|(_, u)| u + 1))
                    .fold(self.extent, usize::max),
                None => self.extent,
            };
            let d = self.diagnostic(&p, extent);
            self.failures.push((self.start + p.row, d));
            self.alive[p.row] = false;
            self.on[p.row] = false;
            self.fail_action[p.row] = usize::MAX;
        }
        self.refresh_on();
    }

    fn element(&self) -> Option<u64> {
        self.levels.iter().find_map(|l| match l {
            Level::Each { element } => Some(*element),
            Level::Repeat { .. } => None,
        })
    }

    /// The interpreter's diagnostic for a failure.
    fn diagnostic(&self, p: &Pending, extent: usize) -> Diagnostic {
        let cell = self.cell;
        let stmt = &cell.stmts[p.stmt];
        let f = &p.fault;
        let text = stmt.span.text(&cell.src);
        let head = statement_head(text, is_loop(text));
        let levels: Vec<Whereabout> = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Each { element } => Whereabout::Element {
                    index: *element,
                    values: self
                        .each_streams
                        .iter()
                        .map(|&(s, id)| {
                            let v = self.elems.get([s, p.row]).copied().unwrap_or(0.0);
                            (cell.names.text(id), v)
                        })
                        .collect(),
                },
                Level::Repeat { iteration, count } => Whereabout::Iteration {
                    iteration: *iteration,
                    count: *count,
                },
            })
            .collect();
        let board = self.board_line(p.stmt, p.row, extent);
        runtime_error(f, stmt.span, &head, &levels, &board)
    }

    /// The board as the interpreter shows it, before statement `upto`.
    fn board_line(&self, upto: usize, row: usize, extent: usize) -> String {
        let cell = self.cell;
        let mut board = Board::default();
        for s in &cell.stmts[..upto] {
            for &u in &s.frees {
                if let Some(id) = board.name_in(u) {
                    board.remove(id);
                }
            }
            if let Some((id, _)) = s.places {
                board.place(id);
            }
        }
        let slots = (0..extent).map(|slot| {
            board.name_in(slot).map(|id| {
                let v = self
                    .unit_reg
                    .get(slot)
                    .and_then(|&r| self.regs.get([r, row]))
                    .copied()
                    .unwrap_or(0.0);
                (cell.names.text(id), v)
            })
        });
        board_line(slots, board.occupancy(), cell.capacity)
    }
}

/// Whether a statement's text is a loop (`each …` or `repeat …`).
fn is_loop(text: &str) -> bool {
    ["each", "repeat"].iter().any(|k| {
        text.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(|c: char| !c.is_alphanumeric() && c != '_'))
    })
}

fn arith_fault(src: &str, err: ArithError, instr: &Instr) -> Fault {
    Fault::arith(src, err, instr.span, instr.op == InstrOp::Bin(BinOp::Rem))
}

fn not_finite(src: &str, span: Span) -> Fault {
    Fault::arith(src, ArithError::NotFinite, span, false)
}

/// Asks the CPU to start loading the next chunk's inputs while this chunk
/// computes: a chunk reads each input column in one burst, which the
/// hardware prefetchers alone do not see coming. The lines go to L2, not L1:
/// the chunk's registers take most of L1, and the next chunk's inputs
/// brought into L1 evicted them (measured: 2.9x the hand loop into L1, 2.0x
/// into L2, on 1M rows of `examples/whiteboard.wb`).
fn prefetch(scalars: &[f64], rows: usize, next: usize, end: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
        if next >= end || rows == 0 {
            return;
        }
        for col in scalars.chunks(rows) {
            // One hint per 64-byte line (8 values).
            for row in (next..end).step_by(8) {
                if let Some(v) = col.get(row) {
                    // SAFETY: a prefetch never faults, and the address is
                    // inside the slice.
                    unsafe { _mm_prefetch::<_MM_HINT_T1>((v as *const f64).cast::<i8>()) };
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (scalars, rows, next, end);
}

/// The batch's inputs, shared by every chunk.
struct Data<'a> {
    /// `inputs × rows`, row-major.
    scalars: &'a [f64],
    rows: usize,
    streams: &'a [StreamColumn],
}

/// Where operands are read from, for one chunk: the registers except the
/// one being written (`lo` is below it, `hi` above it), and the inputs.
struct Regs<'a> {
    lo: &'a [f64],
    hi: &'a [f64],
    /// The register being written (`usize::MAX`: none).
    split: usize,
    unit_reg: &'a [usize],
    temp_reg: &'a [usize],
    elems: &'a [f64],
    consts: &'a [f64],
    data: &'a Data<'a>,
    start: usize,
    n: usize,
    k: usize,
}

/// Opens the registers: the one numbered `dst` (if any) for writing, every
/// other one and the inputs for reading. `at` is (first row, rows, chunk).
#[allow(clippy::too_many_arguments)]
fn open<'a>(
    regs: &'a mut Array2<f64>,
    unit_reg: &'a [usize],
    temp_reg: &'a [usize],
    elems: &'a Array2<f64>,
    consts: &'a Array2<f64>,
    data: &'a Data<'a>,
    at: (usize, usize, usize),
    dst: Option<usize>,
) -> (&'a mut [f64], Regs<'a>) {
    let (start, n, k) = at;
    let flat = regs.as_slice_mut().unwrap_or(&mut []);
    let (out, lo, hi, split): (&mut [f64], &[f64], &[f64], usize) = match dst {
        Some(d) if (d + 1) * k <= flat.len() => {
            let (lo, rest) = flat.split_at_mut(d * k);
            let (out, hi) = rest.split_at_mut(k);
            (out, lo, hi, d)
        }
        _ => (&mut [], flat, &[], usize::MAX),
    };
    let r = Regs {
        lo,
        hi,
        split,
        unit_reg,
        temp_reg,
        elems: elems.as_slice().unwrap_or(&[]),
        consts: consts.as_slice().unwrap_or(&[]),
        data,
        start,
        n,
        k,
    };
    (out, r)
}

impl<'a> Regs<'a> {
    fn row(&self, r: usize) -> &'a [f64] {
        let (n, k) = (self.n, self.k);
        if r < self.split {
            &self.lo[r * k..r * k + n]
        } else {
            let at = (r - self.split - 1) * k;
            &self.hi[at..at + n]
        }
    }

    fn get(&self, op: Operand) -> &'a [f64] {
        let (n, k) = (self.n, self.k);
        match op {
            Operand::Unit(u) => self.row(self.unit_reg[u]),
            Operand::Temp(t) => self.row(self.temp_reg[t]),
            Operand::Input(i) => {
                let at = i * self.data.rows + self.start;
                &self.data.scalars[at..at + n]
            }
            Operand::Elem(s) => &self.elems[s * k..s * k + n],
            Operand::Const(i) => &self.consts[i * k..i * k + n],
        }
    }
}

/// The error `op` gives on one row, if any.
fn row_error(op: InstrOp, a: f64, b: f64) -> Option<ArithError> {
    match op {
        InstrOp::Bin(o) => arith::binary(o, a, b).err(),
        InstrOp::Call(f) => arith::call(f, a, b).err(),
        InstrOp::Neg | InstrOp::Copy => None,
    }
}

/// `out[k] = a[k] op b[k]` over the chunk; true if some row has no value
/// (that row's `out` is then infinite and must be ignored).
fn kernel(op: InstrOp, out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { kernel_avx2(op, out, a, b) };
        }
    }
    kernel_any(op, out, a, b)
}

/// [`kernel_any`] compiled for AVX2: the same operations (IEEE results do
/// not depend on the instruction set), four rows per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn kernel_avx2(op: InstrOp, out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    kernel_any(op, out, a, b)
}

#[inline(always)]
fn kernel_any(op: InstrOp, out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    macro_rules! bin {
        ($o:expr) => {
            map2(out, a, b, |x, y| arith::binary($o, x, y))
        };
    }
    macro_rules! call {
        ($f:expr) => {
            map2(out, a, b, |x, y| arith::call($f, x, y))
        };
    }
    match op {
        InstrOp::Bin(o) => match o {
            BinOp::Add => bin!(BinOp::Add),
            BinOp::Sub => bin!(BinOp::Sub),
            BinOp::Mul => bin!(BinOp::Mul),
            BinOp::Div => bin!(BinOp::Div),
            BinOp::Rem => bin!(BinOp::Rem),
            BinOp::Pow => bin!(BinOp::Pow),
            BinOp::Lt => bin!(BinOp::Lt),
            BinOp::Le => bin!(BinOp::Le),
            BinOp::Gt => bin!(BinOp::Gt),
            BinOp::Ge => bin!(BinOp::Ge),
            BinOp::Eq => bin!(BinOp::Eq),
            BinOp::Ne => bin!(BinOp::Ne),
        },
        InstrOp::Call(f) => match f {
            Func::Min => call!(Func::Min),
            Func::Max => call!(Func::Max),
            Func::Abs => call!(Func::Abs),
            Func::Sqrt => call!(Func::Sqrt),
            Func::Exp => call!(Func::Exp),
            Func::Ln => call!(Func::Ln),
            Func::Tanh => call!(Func::Tanh),
            Func::Sigmoid => call!(Func::Sigmoid),
        },
        InstrOp::Neg => {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = arith::neg(x);
            }
            false
        }
        InstrOp::Copy => {
            out.copy_from_slice(&a[..out.len()]);
            false
        }
    }
}

/// The exponent bits of an f64: all ones exactly for ±inf and NaN.
const EXPONENT: u64 = 0x7FF0_0000_0000_0000;

#[inline(always)]
fn map2(
    out: &mut [f64],
    a: &[f64],
    b: &[f64],
    f: impl Fn(f64, f64) -> Result<f64, ArithError>,
) -> bool {
    let n = out.len();
    let (a, b) = (&a[..n], &b[..n]);
    // A row without a value gets infinity; one integer test per row then
    // finds whether any row failed (the exponent plus one carries into the
    // sign bit only when it is all ones), which vectorises.
    let mut any = 0u64;
    for i in 0..n {
        let v = f(a[i], b[i]).unwrap_or(f64::INFINITY);
        any |= (v.to_bits() & EXPONENT).wrapping_add(1 << 52);
        out[i] = v;
    }
    any >> 63 != 0
}

/// Turns a one-row run's reads into the interpreter's [`Read`]s.
struct ObserverSink<'a, 'o> {
    cell: &'a Cell,
    obs: &'o mut dyn Observer,
}

impl Sink for ObserverSink<'_, '_> {
    fn read(
        &mut self,
        site: usize,
        _first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        index: Option<u64>,
    ) {
        let s = &self.cell.reads[site];
        for (k, &value) in values.iter().enumerate() {
            if rows.is_some_and(|r| !r[k]) {
                continue;
            }
            self.obs.read(Read {
                text: s.text.clone(),
                span: s.span,
                line: s.line,
                value,
                index,
            });
        }
    }
}
