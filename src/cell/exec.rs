//! The executor: a [`Cell`] run over a batch of input sets on ndarray.
//!
//! The batch is processed in chunks of rows small enough that a chunk's
//! registers and inputs stay in the L1 cache while it goes through every
//! step (one pass per chunk, not one pass over the whole batch per step).
//! Within a step, each instruction runs its operation's kernel
//! ([`super::kernels`]) over the chunk's rows; every operation is
//! [`crate::arith`]'s, so each row computes exactly what the interpreter
//! computes.
//!
//! A chunk takes one of three paths through a step, all computing the same:
//! - the [`Plan`]: the first top-level steps, with every register worked out
//!   before the first chunk, while every row is on and nothing fails;
//! - the quick path: any step whose writes all set their unit, when every
//!   row is on and nothing fails, its registers looked up as it runs;
//! - the general path: anything else — gated and accumulating writes, rows
//!   that are off (finished streams, failed rows), and a step where a row
//!   fails. The other two hand such a step to it before committing anything.
//!
//! Errors are per row: a row whose statement fails is reported with the
//! interpreter's diagnostic (code, statement, element) and takes no further
//! part; the other rows go on. Within a fused step the first failing
//! statement of a row (in source order) is its error, the statements before
//! it take effect and the ones after it do not, as in the interpreter.

use ndarray::Array2;

use super::kernels::Kernel;
use super::{ActionKind, Cell, EachNode, Instr, InstrOp, Node, Operand, Step, WriteMode};
use crate::arith::{self, ArithError};
use crate::board::Board;
use crate::diag::{Code, Diagnostic};
use crate::interp::{
    board_line, runtime_error, statement_head, Applied, Bindings, Fault, FileElements, Observer,
    Read, StreamFiles, Whereabout, STREAM_FILE_HELP,
};
use crate::number;
use crate::syntax::{BinOp, Span};

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

    /// A step finished, on an engine made with [`Engine::traced`] (never
    /// called otherwise): `state` is the cell state `c` of the chunk's
    /// first row, unit by unit, when that row is still running. `false`
    /// stops the run there (the trace's output is gone).
    fn step(&mut self, _step: &Step, _state: &[f64]) -> bool {
        true
    }

    /// A loop starts an iteration, on a traced engine: the loop statement
    /// (index into [`Cell::stmts`]) and `element 0: x = 1` or `iteration 2
    /// of 5`, as the interpreter's trace says it, for the first row.
    fn iteration(&mut self, _stmt: usize, _label: String) {}
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
    /// A failure of `each` itself while reading element `e`
    /// (`Some(e)`): the diagnostic leaves out that element's level, which
    /// has no values yet, and gives `e` as its element.
    reading: Option<u64>,
    /// The diagnostic's help, if it has one.
    help: Option<&'static str>,
}

/// A cell ready to run, with its buffers. Reuse one engine for many batches:
/// buffers are allocated once, at the chunk size.
pub struct Engine<'c> {
    cell: &'c Cell,
    /// Rows in the current chunk.
    n: usize,
    /// First batch row of the current chunk.
    start: usize,
    /// The chunk's registers.
    file: Regfile,
    /// Per step (by [`Step::id`]): its commit when every row of the chunk
    /// is on and no instruction failed, if it has one (see [`Quick`]).
    quick: Vec<Option<Vec<Quick>>>,
    /// The first top-level steps with their registers resolved.
    plan: Plan,
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
    peak: usize,
    extent: usize,
    failures: Vec<(usize, Diagnostic)>,
    /// Whether the sink hears of every step ([`Engine::traced`]).
    trace: bool,
    /// The first row's cell state, for a traced step.
    traced: Vec<f64>,
    /// Set from outside to stop the run (Ctrl-C, or its output was closed).
    stop: Option<&'c std::sync::atomic::AtomicBool>,
    /// Whether `stop` was seen set.
    stopped: bool,
}

/// The L1 data cache assumed when the machine does not say (the size on
/// most x86-64 and ARM cores of the last decade).
pub const FALLBACK_L1D: usize = 32 * 1024;

/// The first CPU's L1 data cache in bytes, as Linux reports it under
/// `/sys/devices/system/cpu/cpu0/cache/index*/` (the entry with `level` 1
/// and `type` `Data`), else [`FALLBACK_L1D`]. Read once.
pub fn l1d_bytes() -> usize {
    static L1D: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *L1D.get_or_init(|| {
        l1d_from(std::path::Path::new("/sys/devices/system/cpu/cpu0/cache")).unwrap_or(FALLBACK_L1D)
    })
}

/// The L1 data cache size described under `dir` (the layout of
/// `/sys/devices/system/cpu/cpuN/cache`), if it is there and readable.
pub fn l1d_from(dir: &std::path::Path) -> Option<usize> {
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).ok();
    for k in 0..16 {
        let index = dir.join(format!("index{k}"));
        let (Some(level), Some(kind)) = (read(index.join("level")), read(index.join("type")))
        else {
            continue;
        };
        if level.trim() == "1" && kind.trim() == "Data" {
            return read(index.join("size")).and_then(|s| cache_size(&s));
        }
    }
    None
}

/// A cache size as sysfs writes it: `32K`, `48K`, `1M`, or plain bytes;
/// `None` for anything else or a size too small to be a cache (under 1 KB)
/// or too big to be an L1 (over 16 MB).
pub fn cache_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: usize = digits.parse().ok()?;
    let bytes = match unit.trim() {
        "" => n,
        "K" | "k" | "KB" | "KiB" => n.checked_mul(1024)?,
        "M" | "MB" | "MiB" => n.checked_mul(1024 * 1024)?,
        _ => return None,
    };
    (1024..=16 * 1024 * 1024).contains(&bytes).then_some(bytes)
}

/// Rows per chunk for a cell with `columns` registers and inputs on a
/// machine whose L1 data cache has `l1d` bytes: the chunk's columns take a
/// third of it, so that they stay there while the inputs stream through
/// and the outputs are written; a multiple of [`CHUNK_ALIGN`], from 16 to
/// 1024 rows. On 1M rows of `examples/whiteboard.wb` (`bench/README.md`,
/// section "cell"), with a 32 KB L1d, chunks of 128 rows (10 KB) ran the
/// batch in half the time chunks of 512 (40 KB) took.
pub fn chunk_rows(l1d: usize, columns: usize) -> usize {
    let k = l1d / 3 / (8 * columns.max(1)) / CHUNK_ALIGN * CHUNK_ALIGN;
    k.clamp(CHUNK_ALIGN, 1024)
}

/// Chunks are a multiple of this many rows: the kernels' unrolled loops
/// then have no remainder.
pub const CHUNK_ALIGN: usize = 16;

impl<'c> Engine<'c> {
    /// An engine with a chunk size that keeps a chunk's registers and
    /// inputs in cache.
    pub fn new(cell: &'c Cell) -> Engine<'c> {
        let columns =
            cell.units + cell.temps + cell.streams.len() + cell.consts.len() + cell.inputs.len();
        Engine::with_chunk(cell, chunk_rows(l1d_bytes(), columns))
    }

    /// An engine processing `k` rows at a time (at least 1).
    pub fn with_chunk(cell: &'c Cell, k: usize) -> Engine<'c> {
        let k = k.max(1);
        let consts = cell
            .consts
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, k))
            .collect();
        let mut quick = vec![None; cell.step_count()];
        quick_commits(&cell.nodes, &mut quick);
        let plan = Plan::new(cell, &quick);
        Engine {
            cell,
            n: 0,
            start: 0,
            file: Regfile {
                k,
                regs: vec![0.0; (cell.units + cell.temps) * k],
                unit_reg: plan.end.0.clone(),
                temp_reg: plan.end.1.clone(),
                elems: vec![0.0; cell.streams.len() * k],
                consts,
            },
            quick,
            plan,
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
            peak: 0,
            extent: 0,
            failures: Vec::new(),
            trace: false,
            traced: Vec::new(),
            stop: None,
            stopped: false,
        }
    }

    /// This engine, telling its sink of every step and loop iteration
    /// ([`Sink::step`], [`Sink::iteration`]) for `wb run --trace --engine
    /// cell`. The steps then all run on the general path (the plan runs
    /// steps as one flat list, with no point between them to look at).
    /// An engine not traced pays one test of a flag per step.
    pub fn traced(mut self) -> Engine<'c> {
        self.trace = true;
        self
    }

    /// Stops [`Engine::run_one_with_files`] with `wb::interrupted` at the
    /// next loop iteration or statement group after `flag` becomes true.
    pub fn with_stop(mut self, flag: &'c std::sync::atomic::AtomicBool) -> Engine<'c> {
        self.stop = Some(flag);
        self
    }

    /// Whether the run was told to stop; once told, no row runs on.
    fn halted(&mut self) -> bool {
        if !self.stopped
            && self
                .stop
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
        {
            self.stopped = true;
        }
        if self.stopped {
            self.any_on = false;
        }
        self.stopped
    }

    /// Rows per chunk.
    pub fn chunk(&self) -> usize {
        self.file.k
    }

    /// Runs every row of `batch`; reads go to `sink`. A batch whose shape
    /// does not fit the cell is refused.
    pub fn run(&mut self, batch: &Batch, sink: &mut dyn Sink) -> Result<Outcome, Diagnostic> {
        self.run_with(batch, None, sink)
    }

    /// [`Engine::run`], with the streams `files` names read from their files
    /// when the batch has one row.
    fn run_with(
        &mut self,
        batch: &Batch,
        files: Option<&StreamFiles>,
        sink: &mut dyn Sink,
    ) -> Result<Outcome, Diagnostic> {
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
        while start < rows {
            self.n = self.file.k.min(rows - start);
            self.start = start;
            self.all_alive();
            self.peak = 0;
            self.extent = 0;
            let data = Data {
                scalars,
                rows,
                streams: &batch.streams,
                files: files.filter(|_| rows == 1),
            };
            let cell = self.cell;
            let planned = if self.trace {
                self.unplanned()
            } else {
                self.run_plan(&data, sink)
            };
            self.nodes(&cell.nodes[planned..], &data, sink);
            outcome.peak = outcome.peak.max(self.peak);
            outcome.failures.append(&mut self.failures);
            start += self.n;
        }
        outcome.failures.sort_by_key(|f| f.0);
        Ok(outcome)
    }

    /// Runs the plan on the current chunk (every row on) and returns how
    /// many top-level nodes it ran: all the planned steps, or those before
    /// the step where an instruction left a row without a value. The
    /// general path goes on from there, with the registers as it expects
    /// them before that step.
    fn run_plan(&mut self, data: &Data, sink: &mut dyn Sink) -> usize {
        let plan = &self.plan;
        let file = &mut self.file;
        let (k, n, start) = (file.k, self.n, self.start);
        let regs = file.regs.as_mut_slice();
        let consts = file.consts.as_slice();
        let stopped = 'ops: {
            for op in &plan.ops {
                match *op {
                    PlanOp::Kernel {
                        kernel,
                        out,
                        a,
                        b,
                        step,
                    } => {
                        let (o, lo, hi) = split(regs, out, k);
                        let a = a.rows(lo, hi, out, consts, data, (start, n, k));
                        let b = b.rows(lo, hi, out, consts, data, (start, n, k));
                        if kernel.run(&mut o[..n], a, b) {
                            break 'ops Some(step);
                        }
                    }
                    PlanOp::Copy { out, from } => {
                        let (o, lo, hi) = split(regs, out, k);
                        o[..n].copy_from_slice(from.rows(lo, hi, out, consts, data, (start, n, k)));
                    }
                    PlanOp::Read { site, from } => {
                        let none = usize::MAX;
                        let values = from.rows(regs, &[], none, consts, data, (start, n, k));
                        sink.read(site, start, values, None, None);
                    }
                }
            }
            None
        };
        let done = stopped.unwrap_or(plan.steps.len());
        plan.renaming_before(done, &mut file.unit_reg, &mut file.temp_reg);
        for s in &plan.steps[..done] {
            self.peak = self.peak.max(s.peak);
            self.extent = self.extent.max(s.extent);
        }
        done
    }

    /// The registers as the general path expects them at the first step,
    /// for a chunk that does not run the plan: none of the plan ran.
    fn unplanned(&mut self) -> usize {
        let (unit_reg, temp_reg) = match self.plan.steps.first() {
            Some(_) => (&self.plan.start.0, &self.plan.start.1),
            None => (&self.plan.end.0, &self.plan.end.1),
        };
        self.file.unit_reg.copy_from_slice(unit_reg);
        self.file.temp_reg.copy_from_slice(temp_reg);
        0
    }

    /// Tells a traced run's sink the state after `step`.
    fn report(&mut self, step: &Step, sink: &mut dyn Sink) {
        if !self.alive[0] {
            return;
        }
        let k = self.file.k;
        self.traced.clear();
        for &reg in &self.file.unit_reg {
            self.traced.push(self.file.regs[reg * k]);
        }
        if !sink.step(step, &self.traced) {
            // Nobody reads on: every row stops here, quietly.
            let n = self.n;
            self.alive[..n].fill(false);
            self.on[..n].fill(false);
            self.refresh_on();
        }
    }

    /// [`Engine::run_one_with_files`] on a traced engine, telling `sink`
    /// (reads, steps, iterations) directly.
    pub fn run_one_traced(
        &mut self,
        bindings: &Bindings,
        files: &StreamFiles,
        sink: &mut dyn Sink,
    ) -> Result<usize, Diagnostic> {
        let batch = Batch::from_bindings(self.cell, std::slice::from_ref(bindings));
        let mut outcome = self.run_with(&batch, Some(files), sink)?;
        match outcome.failures.pop() {
            Some((_, d)) => Err(d),
            None => Ok(outcome.peak),
        }
    }

    /// Runs one input set, reporting reads to `obs` as the interpreter does;
    /// returns the peak occupancy, or the run's error.
    pub fn run_one(
        &mut self,
        bindings: &Bindings,
        obs: &mut dyn Observer,
    ) -> Result<usize, Diagnostic> {
        self.run_one_with_files(bindings, &StreamFiles::default(), obs)
    }

    /// [`Engine::run_one`], with the streams `files` names read from their
    /// files element by element while `each` runs, as the interpreter reads
    /// them: memory stays flat however long they are, and a bad file fails
    /// where the interpreter fails (`wb::stream_file`, `wb::stream_length`).
    pub fn run_one_with_files(
        &mut self,
        bindings: &Bindings,
        files: &StreamFiles,
        obs: &mut dyn Observer,
    ) -> Result<usize, Diagnostic> {
        let batch = Batch::from_bindings(self.cell, std::slice::from_ref(bindings));
        let mut sink = ObserverSink {
            cell: self.cell,
            obs,
        };
        let mut outcome = self.run_with(&batch, Some(files), &mut sink)?;
        if self.stopped {
            return Err(Diagnostic::global(
                Code::Interrupted,
                "the run was interrupted",
            ));
        }
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
            if !self.any_on || self.halted() {
                return;
            }
            match node {
                Node::Step(step) => {
                    self.step(step, data, sink);
                    if self.trace {
                        self.report(step, sink);
                    }
                }
                Node::Each(e) => self.each(e, data, sink),
                Node::Repeat(r) => {
                    for iteration in 0..r.count {
                        if !self.any_on || self.halted() {
                            break;
                        }
                        if self.trace && self.alive[0] {
                            let label = format!("iteration {} of {}", iteration + 1, r.count);
                            sink.iteration(r.stmt, label);
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
        if let Some(files) = data.files {
            if n == 1 && node.streams.iter().any(|&(s, _, _)| files.get(s).is_some()) {
                return self.each_files(node, data, files, sink);
            }
        }
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
                let (a, b_name) = (names.text(a.1), names.text(b.1));
                self.pending.push(Pending {
                    row: k,
                    action: usize::MAX,
                    stmt: node.stmt,
                    fault: Fault::lengths_differ(a, len, b_name, lens[bad], b.2),
                    reading: None,
                    help: None,
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
        let ids = node.streams.iter().map(|&(s, id, _)| (s, id)).collect();
        let outer = std::mem::replace(&mut self.each_streams, ids);
        for element in 0..longest {
            for k in 0..n {
                self.on[k] = self.alive[k] && element < self.lens[k];
            }
            self.refresh_on();
            if !self.any_on || self.halted() {
                break;
            }
            for (s, _, _) in &node.streams {
                let Some(col) = data.streams.get(*s) else {
                    continue;
                };
                let k = self.file.k;
                let row = &mut self.file.elems[s * k..s * k + n];
                for (r, slot) in row.iter_mut().enumerate() {
                    if self.on[r] {
                        *slot = col.row(self.start + r).get(element).copied().unwrap_or(0.0);
                    }
                }
            }
            if let Some(Level::Each { element: e }) = self.levels.last_mut() {
                *e = element as u64;
            }
            if self.trace && self.on[0] {
                self.each_label(node, element as u64, sink);
            }
            self.nodes(&node.body, data, sink);
        }
        self.levels.pop();
        self.each_streams = outer;
        self.reset_on();
    }

    /// `each` over streams of which some are read from files, for a chunk
    /// of one row ([`Engine::run_one_with_files`]): the elements are pulled
    /// one at a time, as the interpreter pulls them, so memory does not
    /// grow with the streams, and a stream that ends early or holds
    /// something that is not a number fails at the element where the
    /// interpreter fails.
    fn each_files(
        &mut self,
        node: &EachNode,
        data: &Data,
        files: &StreamFiles,
        sink: &mut dyn Sink,
    ) {
        if !self.on[0] {
            return;
        }
        let names = &self.cell.names;
        let mut cursors = Vec::with_capacity(node.streams.len());
        for &(s, id, span) in &node.streams {
            cursors.push(match files.get(s) {
                Some(file) => match file.open() {
                    Ok(e) => Cursor::File(Box::new(e)),
                    Err(e) => {
                        let fault = Fault::stream_file(names.text(id), &e, span);
                        return self.each_failed(node, fault, None, Some(STREAM_FILE_HELP));
                    }
                },
                None => Cursor::Memory {
                    values: data.streams.get(s).map_or(&[][..], |c| c.row(self.start)),
                    next: 0,
                },
            });
        }
        self.levels.push(Level::Each { element: 0 });
        let ids = node.streams.iter().map(|&(s, id, _)| (s, id)).collect();
        let outer = std::mem::replace(&mut self.each_streams, ids);
        let k = self.file.k;
        'elements: for element in 0u64.. {
            self.on[0] = self.alive[0];
            self.refresh_on();
            if self.halted() {
                break;
            }
            // One element from every stream before judging, so that a
            // stream that ends is told apart from one that goes on.
            let (mut ended, mut going) = (None, None);
            for (c, cursor) in cursors.iter_mut().enumerate() {
                let (s, id, span) = node.streams[c];
                let next = match cursor {
                    Cursor::Memory { values, next } => {
                        let v = values.get(*next).copied();
                        *next += usize::from(v.is_some());
                        Ok(v)
                    }
                    Cursor::File(f) => f.next_value(),
                };
                match next {
                    Ok(Some(v)) => {
                        self.file.elems[s * k] = v;
                        going.get_or_insert(c);
                    }
                    Ok(None) => {
                        ended.get_or_insert(c);
                    }
                    Err(e) => {
                        let fault = Fault::stream_file(names.text(id), &e, span);
                        let help = Some(STREAM_FILE_HELP);
                        self.each_failed(node, fault, Some(element), help);
                        break 'elements;
                    }
                }
            }
            match (ended, going) {
                (None, _) => {}
                (Some(_), None) => break,
                (Some(e), Some(g)) => {
                    let (ended, going) = (node.streams[e], node.streams[g]);
                    let (e_name, g_name) = (names.text(ended.1), names.text(going.1));
                    let fault = Fault::ended_early(e_name, g_name, element, ended.2);
                    self.each_failed(node, fault, Some(element), None);
                    break;
                }
            }
            if let Some(Level::Each { element: e }) = self.levels.last_mut() {
                *e = element;
            }
            if self.trace {
                self.each_label(node, element, sink);
            }
            self.nodes(&node.body, data, sink);
            if !self.alive[0] {
                break;
            }
        }
        self.levels.pop();
        self.each_streams = outer;
        self.reset_on();
    }

    /// Tells a traced run's sink of element `element` of `each`, with the
    /// first row's values: `element 0: x = 1, y = 2`.
    fn each_label(&self, node: &EachNode, element: u64, sink: &mut dyn Sink) {
        let k = self.file.k;
        let values: Vec<String> = node
            .streams
            .iter()
            .map(|&(s, id, _)| {
                let v = self.file.elems[s * k];
                format!(
                    "{} = {}",
                    self.cell.names.text(id),
                    crate::number::format(v)
                )
            })
            .collect();
        sink.iteration(
            node.stmt,
            format!("element {element}: {}", values.join(", ")),
        );
    }

    /// The one row of a chunk fails in the `each` statement itself.
    fn each_failed(
        &mut self,
        node: &EachNode,
        fault: Fault,
        reading: Option<u64>,
        help: Option<&'static str>,
    ) {
        self.pending.push(Pending {
            row: 0,
            action: usize::MAX,
            stmt: node.stmt,
            fault,
            reading,
            help,
        });
        self.settle_failures(None);
    }

    fn step(&mut self, step: &Step, data: &Data, sink: &mut dyn Sink) {
        let (n, start) = (self.n, self.start);
        let cell = self.cell;
        if self.all_on {
            if let Some(Some(quick)) = self.quick.get(step.id) {
                let index = self.element();
                if self.file.quick(step, quick, data, (start, n), sink, index) {
                    self.peak = self.peak.max(step.peak);
                    self.extent = self.extent.max(step.extent);
                    return;
                }
            }
        }
        let mut errors = false;
        for instr in &step.instrs {
            let dst = self.file.temp_reg[instr.dst];
            let (out, regs) = self.file.open(data, (start, n), Some(dst));
            let a = regs.get(instr.a);
            let b = regs.get(instr.b);
            if Kernel::of(instr.op).run(&mut out[..n], a, b) {
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
                            fault: arith_fault(&cell.src, err, instr, a[row], b[row]),
                            reading: None,
                            help: None,
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
        let (n, start) = (self.n, self.start);
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
                    let file = &mut self.file;
                    std::mem::swap(&mut file.unit_reg[*unit], &mut file.temp_reg[*t]);
                }
                ActionKind::Write {
                    unit, value, mode, ..
                } => {
                    let dst = self.file.unit_reg[*unit];
                    let (c, regs) = self.file.open(data, (start, n), Some(dst));
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
                            reading: None,
                            help: None,
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
                                        let (l, r) = if *x_first { (x, e) } else { (e, x) };
                                        let applied = Applied::Bin(BinOp::Add, l, r);
                                        fail(row, not_finite(&cell.src, *span, Some(applied)));
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
                                        fail(row, not_finite(&cell.src, *value_span, None));
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
                    let (_, regs) = self.file.open(data, (start, n), None);
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
        // A failure while reading an element is outside that element.
        let shown = match p.reading {
            Some(_) => self.levels.len().saturating_sub(1),
            None => self.levels.len(),
        };
        let levels: Vec<Whereabout> = self.levels[..shown]
            .iter()
            .map(|l| match l {
                Level::Each { element } => Whereabout::Element {
                    index: *element,
                    values: self
                        .each_streams
                        .iter()
                        .map(|&(s, id)| {
                            let at = s * self.file.k + p.row;
                            let v = self.file.elems.get(at).copied().unwrap_or(0.0);
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
        let mut d = runtime_error(f, stmt.span, &head, &levels, &board);
        if p.reading.is_some() {
            d.index = p.reading;
        }
        match p.help {
            Some(help) => d.with_help(help),
            None => d,
        }
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
                    .file
                    .unit_reg
                    .get(slot)
                    .and_then(|&r| self.file.regs.get(r * self.file.k + row))
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

fn arith_fault(src: &str, err: ArithError, instr: &Instr, a: f64, b: f64) -> Fault {
    let applied = match instr.op {
        InstrOp::Bin(o) => Some(Applied::Bin(o, a, b)),
        InstrOp::Call(_) => Some(Applied::Call(a)),
        InstrOp::Neg | InstrOp::Copy => None,
    };
    Fault::arith(
        src,
        err,
        instr.span,
        instr.op == InstrOp::Bin(BinOp::Rem),
        applied,
    )
}

fn not_finite(src: &str, span: Span, applied: Option<Applied>) -> Fault {
    Fault::arith(src, ArithError::NotFinite, span, false, applied)
}

/// The batch's inputs, shared by every chunk.
struct Data<'a> {
    /// `inputs × rows`, row-major.
    scalars: &'a [f64],
    rows: usize,
    streams: &'a [StreamColumn],
    /// The streams read from files, for a batch of one row.
    files: Option<&'a StreamFiles>,
}

/// Where the next element of one stream comes from, in
/// [`Engine::each_files`].
enum Cursor<'a> {
    /// The row's sequence in the batch.
    Memory { values: &'a [f64], next: usize },
    /// A file, read as the loop goes.
    File(Box<FileElements>),
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

/// The registers of a chunk: `k` rows each, a register's rows contiguous,
/// row-major `registers × k` like the batch's inputs. They are plain
/// vectors, not ndarray arrays: every instruction slices them, and on a
/// chunk of 128 rows ndarray's layout checks cost as much as the kernel.
struct Regfile {
    /// Rows per chunk.
    k: usize,
    /// The cell state `c` and the step's temporaries, `(units + temps) × k`.
    /// Which register holds which unit or temporary is renamed as writes
    /// commit, so a write of a computed candidate moves no data.
    regs: Vec<f64>,
    /// Unit → its register.
    unit_reg: Vec<usize>,
    /// Temporary → its register.
    temp_reg: Vec<usize>,
    /// The current stream elements, `streams × k`.
    elems: Vec<f64>,
    /// The constants, each repeated `k` times.
    consts: Vec<f64>,
}

impl Regfile {
    /// Opens the registers: the one numbered `dst` (if any) for writing,
    /// every other one and the inputs for reading. `at` is (first batch
    /// row, rows) of the chunk.
    #[inline(always)]
    fn open<'a>(
        &'a mut self,
        data: &'a Data<'a>,
        at: (usize, usize),
        dst: Option<usize>,
    ) -> (&'a mut [f64], Regs<'a>) {
        let (start, n) = at;
        let k = self.k;
        let flat = self.regs.as_mut_slice();
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
            unit_reg: &self.unit_reg,
            temp_reg: &self.temp_reg,
            elems: &self.elems,
            consts: &self.consts,
            data,
            start,
            n,
            k,
        };
        (out, r)
    }

    /// Runs `step` on a chunk whose rows are all on, committing it with
    /// `quick`. Returns false, having committed nothing, if an instruction
    /// left a row without a value: the general path then runs the step
    /// again and reports the row (its instructions only write temporaries,
    /// so running them twice computes the same).
    #[inline(never)]
    fn quick(
        &mut self,
        step: &Step,
        quick: &[Quick],
        data: &Data,
        at: (usize, usize),
        sink: &mut dyn Sink,
        index: Option<u64>,
    ) -> bool {
        let (start, n) = at;
        if n == 1 {
            // One row (`wb run --engine cell`): each instruction on its
            // value directly, the same IEEE operation the kernel runs, with
            // no slices to cut and no kernel to call.
            for instr in &step.instrs {
                let (a, b) = (
                    self.scalar(instr.a, data, start),
                    self.scalar(instr.b, data, start),
                );
                let v = match instr.op {
                    InstrOp::Bin(o) => arith::binary_value(o, a, b),
                    InstrOp::Call(f) => arith::call_value(f, a, b),
                    InstrOp::Neg => arith::neg(a),
                    InstrOp::Copy => a,
                };
                if !v.is_finite() && !matches!(instr.op, InstrOp::Neg | InstrOp::Copy) {
                    return false;
                }
                let dst = self.temp_reg[instr.dst];
                self.regs[dst * self.k] = v;
            }
        } else {
            for instr in &step.instrs {
                let dst = self.temp_reg[instr.dst];
                let (out, regs) = self.open(data, at, Some(dst));
                let kernel = Kernel::of(instr.op);
                if kernel.run(&mut out[..n], regs.get(instr.a), regs.get(instr.b)) {
                    return false;
                }
            }
        }
        for q in quick {
            match *q {
                Quick::Take { unit, temp } => {
                    std::mem::swap(&mut self.unit_reg[unit], &mut self.temp_reg[temp]);
                }
                Quick::Copy { unit, from } => {
                    let dst = self.unit_reg[unit];
                    let (c, regs) = self.open(data, at, Some(dst));
                    c[..n].copy_from_slice(regs.get(from));
                }
                Quick::Read { site, from } => {
                    let (_, regs) = self.open(data, at, None);
                    sink.read(site, start, regs.get(from), None, index);
                }
            }
        }
        true
    }
}

impl Regfile {
    /// An operand's value in the chunk's first row.
    #[inline(always)]
    fn scalar(&self, op: Operand, data: &Data, start: usize) -> f64 {
        let k = self.k;
        match op {
            Operand::Unit(u) => self.regs[self.unit_reg[u] * k],
            Operand::Temp(t) => self.regs[self.temp_reg[t] * k],
            Operand::Input(i) => data.scalars[i * data.rows + start],
            Operand::Elem(s) => self.elems[s * k],
            Operand::Const(c) => self.consts[c * k],
        }
    }
}

/// The first top-level steps of the schedule as one flat program, with the
/// register of every unit and temporary worked out once.
///
/// At the start of a chunk no unit holds a value that will be read, so the
/// renaming of registers starts from the same assignment in every chunk.
/// From there, for as long as every row is on and no instruction fails,
/// which register holds which unit or temporary at each step is the same in
/// every chunk: the plan follows it here, and a chunk then runs these steps
/// with no renaming, no operand lookup and no per-step bookkeeping.
/// Planning stops at the first loop or step without a quick commit.
struct Plan {
    ops: Vec<PlanOp>,
    /// Per planned step, in order: where its renamings start in `swaps`
    /// (to hand the step to the general path if it fails) and its occupancy.
    steps: Vec<Planned>,
    /// Every renaming the planned steps make, in order: unit `u` and
    /// temporary `t` swap registers. The renaming before step `s` is
    /// `end` with the swaps from `steps[s].swaps` on undone, so the plan
    /// keeps what the steps change, not a copy of every register per step.
    swaps: Vec<(usize, usize)>,
    /// The renaming before the first step: unit `u` in register `u`,
    /// temporary `t` in register `units + t`.
    start: (Vec<usize>, Vec<usize>),
    /// The renaming after the last planned step (every chunk's renaming
    /// before its first step does not matter: the planned steps use their
    /// registers as worked out here, and `run_plan` then sets this).
    end: (Vec<usize>, Vec<usize>),
}

/// A planned step.
struct Planned {
    /// Its first renaming in [`Plan::swaps`].
    swaps: usize,
    peak: usize,
    extent: usize,
}

/// One operation of a [`Plan`]; registers are numbers in [`Regfile::regs`].
#[derive(Clone, Copy)]
enum PlanOp {
    /// An instruction of planned step `step`.
    Kernel {
        kernel: Kernel,
        out: usize,
        a: Src,
        b: Src,
        step: usize,
    },
    /// `c' = g`, `g` not a temporary.
    Copy { out: usize, from: Src },
    /// A read.
    Read { site: usize, from: Src },
}

/// An operand of a [`PlanOp`].
#[derive(Clone, Copy)]
enum Src {
    Reg(usize),
    Input(usize),
    Const(usize),
}

impl Plan {
    fn new(cell: &Cell, quick: &[Option<Vec<Quick>>]) -> Plan {
        let units = cell.units;
        let start: (Vec<usize>, Vec<usize>) =
            ((0..units).collect(), (units..units + cell.temps).collect());
        let (mut unit_reg, mut temp_reg) = start.clone();
        let mut plan = Plan {
            ops: Vec::new(),
            steps: Vec::new(),
            swaps: Vec::new(),
            start,
            end: (Vec::new(), Vec::new()),
        };
        for node in &cell.nodes {
            let Node::Step(step) = node else { break };
            let Some(Some(commits)) = quick.get(step.id) else {
                break;
            };
            let number = plan.steps.len();
            let first = plan.swaps.len();
            let planned = plan_step(
                step,
                commits,
                number,
                (&mut unit_reg, &mut temp_reg),
                &mut plan.swaps,
            );
            match planned {
                Some(ops) => plan.ops.extend(ops),
                None => {
                    undo(&plan.swaps[first..], &mut unit_reg, &mut temp_reg);
                    plan.swaps.truncate(first);
                    break;
                }
            }
            plan.steps.push(Planned {
                swaps: first,
                peak: step.peak,
                extent: step.extent,
            });
        }
        plan.end = (unit_reg, temp_reg);
        plan
    }

    /// Sets `unit_reg` and `temp_reg` to the renaming before planned step
    /// `step` (after the last one if `step` is past them).
    fn renaming_before(&self, step: usize, unit_reg: &mut [usize], temp_reg: &mut [usize]) {
        unit_reg.copy_from_slice(&self.end.0);
        temp_reg.copy_from_slice(&self.end.1);
        if let Some(s) = self.steps.get(step) {
            undo(&self.swaps[s.swaps..], unit_reg, temp_reg);
        }
    }
}

/// Undoes `swaps` (made in order) on a renaming.
fn undo(swaps: &[(usize, usize)], unit_reg: &mut [usize], temp_reg: &mut [usize]) {
    for &(u, t) in swaps.iter().rev() {
        if let (Some(ur), Some(tr)) = (unit_reg.get_mut(u), temp_reg.get_mut(t)) {
            std::mem::swap(ur, tr);
        }
    }
}

/// A step's plan operations, following the renaming; `None` if an operand
/// is not plannable (a stream element) or is the register being written.
fn plan_step(
    step: &Step,
    commits: &[Quick],
    number: usize,
    (unit_reg, temp_reg): (&mut [usize], &mut [usize]),
    swaps: &mut Vec<(usize, usize)>,
) -> Option<Vec<PlanOp>> {
    let src = |op: Operand, unit_reg: &[usize], temp_reg: &[usize], out: usize| {
        let s = match op {
            Operand::Unit(u) => Src::Reg(*unit_reg.get(u)?),
            Operand::Temp(t) => Src::Reg(*temp_reg.get(t)?),
            Operand::Input(i) => Src::Input(i),
            Operand::Const(c) => Src::Const(c),
            Operand::Elem(_) => return None,
        };
        match s {
            Src::Reg(r) if r == out => None,
            s => Some(s),
        }
    };
    let mut ops = Vec::new();
    for instr in &step.instrs {
        let out = *temp_reg.get(instr.dst)?;
        ops.push(PlanOp::Kernel {
            kernel: Kernel::of(instr.op),
            out,
            a: src(instr.a, unit_reg, temp_reg, out)?,
            b: src(instr.b, unit_reg, temp_reg, out)?,
            step: number,
        });
    }
    for c in commits {
        match *c {
            Quick::Take { unit, temp } => {
                let (u, t) = (unit_reg.get_mut(unit)?, temp_reg.get_mut(temp)?);
                std::mem::swap(u, t);
                swaps.push((unit, temp));
            }
            Quick::Copy { unit, from } => {
                let out = *unit_reg.get(unit)?;
                let from = src(from, unit_reg, temp_reg, out)?;
                ops.push(PlanOp::Copy { out, from });
            }
            Quick::Read { site, from } => {
                let from = src(from, unit_reg, temp_reg, usize::MAX)?;
                ops.push(PlanOp::Read { site, from });
            }
        }
    }
    Some(ops)
}

/// Splits the registers into the one numbered `out` (`k` rows) and those
/// below and above it.
#[inline(always)]
fn split(regs: &mut [f64], out: usize, k: usize) -> (&mut [f64], &[f64], &[f64]) {
    let (lo, rest) = regs.split_at_mut(out * k);
    let (o, hi) = rest.split_at_mut(k);
    (o, lo, hi)
}

impl Src {
    /// The operand's rows of the chunk; `lo` and `hi` are the registers
    /// below and above register `out` (`usize::MAX`: `lo` is them all).
    #[inline(always)]
    fn rows<'a>(
        self,
        lo: &'a [f64],
        hi: &'a [f64],
        out: usize,
        consts: &'a [f64],
        data: &'a Data,
        at: (usize, usize, usize),
    ) -> &'a [f64] {
        let (start, n, k) = at;
        match self {
            Src::Reg(r) if r < out => &lo[r * k..r * k + n],
            Src::Reg(r) => &hi[(r - out - 1) * k..][..n],
            Src::Input(i) => &data.scalars[i * data.rows + start..][..n],
            Src::Const(c) => &consts[c * k..c * k + n],
        }
    }
}

/// One action of a step committed on the quick path: every row of the
/// chunk on, no instruction failed. Only steps whose writes all set their
/// unit (`f = 0, i = 1`) have one; `forget` does nothing to the registers.
#[derive(Clone, Copy, Debug)]
enum Quick {
    /// `c' = g` with `g` a temporary: the unit takes its register.
    Take { unit: usize, temp: usize },
    /// `c' = g` with `g` read from elsewhere: copied into the unit.
    Copy { unit: usize, from: Operand },
    /// A read: one output.
    Read { site: usize, from: Operand },
}

/// Fills `quick[step.id]` for every step of `nodes` that has a quick commit.
fn quick_commits(nodes: &[Node], quick: &mut [Option<Vec<Quick>>]) {
    for node in nodes {
        match node {
            Node::Step(step) => {
                let mut commits = Vec::new();
                let ok = step.actions.iter().all(|action| match &action.kind {
                    ActionKind::Write {
                        unit,
                        value,
                        mode: WriteMode::Set,
                        ..
                    } => {
                        commits.push(match *value {
                            Operand::Temp(temp) => Quick::Take { unit: *unit, temp },
                            from => Quick::Copy { unit: *unit, from },
                        });
                        true
                    }
                    ActionKind::Write { .. } => false,
                    ActionKind::Forget(_) => true,
                    ActionKind::Read(outs) => {
                        commits.extend(outs.iter().map(|&(site, from)| Quick::Read { site, from }));
                        true
                    }
                });
                if let Some(slot) = quick.get_mut(step.id) {
                    *slot = ok.then_some(commits);
                }
            }
            Node::Each(e) => quick_commits(&e.body, quick),
            Node::Repeat(r) => quick_commits(&r.body, quick),
        }
    }
}

impl<'a> Regs<'a> {
    #[inline(always)]
    fn row(&self, r: usize) -> &'a [f64] {
        let (n, k) = (self.n, self.k);
        if r < self.split {
            &self.lo[r * k..r * k + n]
        } else {
            let at = (r - self.split - 1) * k;
            &self.hi[at..at + n]
        }
    }

    #[inline(always)]
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
