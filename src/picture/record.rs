//! What the pictures draw of a run, recorded through the interpreter's
//! [`Observer`]: the board after each statement, what each statement wrote,
//! read and forgot, loop iterations as bands, the reads, the gates of gated
//! writes over time, and where a run failed.
//!
//! Everything kept is bounded, however long the run: the first
//! [`SHOW_ITERATIONS`] iterations of each loop are kept statement by
//! statement and the rest folded into one column with a count; past
//! [`MAX_COLUMNS`] columns the rest of the run is folded too (its last
//! statement kept); at most [`MAX_ROWS`] slots are kept; the gates over
//! time are binned into at most [`MAX_BINS`] bins.

use crate::diag::Diagnostic;
use crate::interp::{Machine, Observer, Read};
use crate::syntax::{Expr, Gate, Item, Program, Span, Stmt, StmtKind};

/// Iterations of a loop drawn statement by statement; the rest are folded.
pub const SHOW_ITERATIONS: u64 = 3;
/// The most columns a board picture has (then the rest is folded).
pub const MAX_COLUMNS: usize = 120;
/// The most slots a board picture draws (the others are counted).
pub const MAX_ROWS: usize = 64;
/// The most reads kept (the others are counted).
pub const MAX_READS: usize = 200;
/// The most columns of the gates over time (then elements are binned).
pub const MAX_BINS: usize = 200;
/// The most gated writes followed over time (the others are counted).
pub const MAX_SERIES: usize = 32;

/// A value on the board: the name (index into [`Recording::names`]) and
/// its value.
pub type Value = (u32, f64);

/// A run, as the pictures need it.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// The program's names, by name id.
    pub names: Vec<String>,
    /// The board's capacity.
    pub capacity: usize,
    /// The most slots ever used (the board's extent at its widest).
    pub extent: usize,
    /// The columns, in time order.
    pub columns: Vec<Column>,
    /// The first [`MAX_READS`] reads.
    pub reads: Vec<Read>,
    /// How many reads the run made in all.
    pub reads_total: u64,
    /// How many statements ran (loop headers not counted).
    pub statements: u64,
    /// The gated writes inside loops, followed over time.
    pub series: Vec<Series>,
    /// Gated writes in loops not followed (past [`MAX_SERIES`]).
    pub series_hidden: usize,
}

/// One moment of the board picture.
#[derive(Clone, Debug)]
pub struct Column {
    /// What happened.
    pub kind: ColumnKind,
    /// The board after it: the first [`MAX_ROWS`] slots.
    pub slots: Vec<Option<Value>>,
    /// Values on the board in slots past the drawn ones.
    pub hidden: usize,
    /// How many slots hold a value.
    pub occupancy: usize,
    /// Whether every slot is taken.
    pub full: bool,
    /// The loop iteration it belongs to, innermost.
    pub band: Option<Band>,
}

/// A loop iteration: consecutive columns with the same `id` are one band.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Unique per iteration.
    pub id: u64,
    /// The interpreter's label: `element 0: x = 3`, `iteration 2 of 5`.
    pub label: String,
    /// How many loops enclose it (1 for a top-level loop).
    pub depth: usize,
    /// The iteration's number, from 0.
    pub iteration: u64,
}

/// What a column shows.
#[derive(Clone, Debug)]
pub enum ColumnKind {
    /// A statement ran.
    Stmt {
        /// Its line.
        line: usize,
        /// Its text (first line).
        head: String,
        /// What it did to which slot.
        marks: Vec<Mark>,
        /// What its `read` printed (`result = 181`).
        outputs: Vec<String>,
    },
    /// Statements not drawn one by one.
    Fold {
        /// What was folded, in words (`each x`, `the rest of the run`).
        what: String,
        /// How many loop iterations (0 for the rest of a run).
        iterations: u64,
        /// How many statements.
        statements: u64,
    },
    /// The statement where the run stopped: the board is as it was before.
    Failure {
        /// Its line.
        line: usize,
        /// Its text (first line).
        head: String,
        /// The diagnostic's code (`wb::board_full`).
        code: String,
        /// Its message.
        message: String,
        /// Its help, if any.
        help: Option<String>,
        /// The name the help says to forget, if the diagnostic says one.
        forget: Option<u32>,
    },
}

/// What a statement did to a slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// The slot (from 0).
    pub slot: usize,
    /// The name (index into [`Recording::names`]).
    pub name: u32,
    /// What.
    pub kind: MarkKind,
}

/// The three selective operations.
#[derive(Clone, Debug, PartialEq)]
pub enum MarkKind {
    /// A write: `arrived` when the value took a free slot; `gate` is a
    /// gated write's gate value (a closed `when` wrote nothing).
    Write {
        /// The value is new on the board.
        arrived: bool,
        /// The gate, for a gated write: its value and whether it is soft.
        gate: Option<(f64, bool)>,
    },
    /// The statement read the value.
    Read,
    /// The value was erased.
    Forget,
}

/// One gated write inside a loop, its gate at every execution.
#[derive(Clone, Debug)]
pub struct Series {
    /// Where the statement starts (identifies it).
    pub start: u32,
    /// Its line.
    pub line: usize,
    /// Its text.
    pub head: String,
    /// The name written.
    pub name: u32,
    /// The slot it is in (the cell's unit).
    pub slot: usize,
    /// `gate g` rather than `when c`.
    pub soft: bool,
    /// The gate's values, binned.
    pub bins: Bins,
}

/// Values binned into at most `2 · MAX_BINS` bins of `width` consecutive
/// values each; when full, neighbours merge and the width doubles, so
/// memory stays bounded and the result does not depend on knowing the
/// length in advance.
#[derive(Clone, Debug)]
pub struct Bins {
    /// Values per bin (a power of two).
    pub width: u64,
    /// Per bin: sum, count, minimum, maximum.
    pub bins: Vec<Bin>,
    /// How many values in all.
    pub total: u64,
}

/// One bin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bin {
    /// Sum of the values.
    pub sum: f64,
    /// How many values.
    pub count: u64,
    /// The least.
    pub min: f64,
    /// The greatest.
    pub max: f64,
}

impl Bin {
    /// The mean.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

impl Default for Bins {
    fn default() -> Self {
        Bins {
            width: 1,
            bins: Vec::new(),
            total: 0,
        }
    }
}

impl Bins {
    /// Adds the next value.
    pub fn push(&mut self, v: f64) {
        self.total += 1;
        match self.bins.last_mut() {
            Some(b) if b.count < self.width => {
                b.sum += v;
                b.count += 1;
                b.min = b.min.min(v);
                b.max = b.max.max(v);
            }
            _ => {
                if self.bins.len() == 2 * MAX_BINS {
                    self.merge();
                    return self.push_again(v);
                }
                self.bins.push(Bin {
                    sum: v,
                    count: 1,
                    min: v,
                    max: v,
                });
            }
        }
    }

    fn push_again(&mut self, v: f64) {
        self.total -= 1;
        self.push(v);
    }

    fn merge(&mut self) {
        let merged = self
            .bins
            .chunks(2)
            .map(|p| {
                p.iter().skip(1).fold(p[0], |a, b| Bin {
                    sum: a.sum + b.sum,
                    count: a.count + b.count,
                    min: a.min.min(b.min),
                    max: a.max.max(b.max),
                })
            })
            .collect();
        self.bins = merged;
        self.width *= 2;
    }

    /// The bins as drawn: at most [`MAX_BINS`], `width` values each (the
    /// last may hold fewer).
    pub fn drawn(&self) -> (u64, Vec<Bin>) {
        let mut b = self.clone();
        while b.bins.len() > MAX_BINS {
            b.merge();
        }
        (b.width, b.bins)
    }
}

struct Loop {
    start: u32,
    iteration: u64,
    band: Band,
    fold: Option<usize>,
}

/// The observer that records a [`Recording`].
pub struct Recorder<'p> {
    rec: Recording,
    program: &'p Program,
    src: &'p str,
    loops: Vec<Loop>,
    bands: u64,
    pending: Vec<String>,
    /// The slot each name was last put in (to mark forgets).
    last_slot: Vec<u32>,
    /// The rest of the run, folded, once [`MAX_COLUMNS`] is reached.
    tail: Option<usize>,
    /// The last statement's column while the tail is folded.
    last: Option<Column>,
    /// The board after the last statement.
    now: (Vec<Option<Value>>, usize, usize),
}

const NO_SLOT: u32 = u32::MAX;

impl<'p> Recorder<'p> {
    /// A recorder for a run of `program` (source `src`) on `capacity` slots.
    pub fn new(program: &'p Program, src: &'p str, capacity: usize) -> Self {
        Recorder {
            rec: Recording {
                names: program.names.iter().map(|(_, t)| t.to_owned()).collect(),
                capacity,
                ..Recording::default()
            },
            program,
            src,
            loops: Vec::new(),
            bands: 0,
            pending: Vec::new(),
            last_slot: vec![NO_SLOT; program.names.len()],
            tail: None,
            last: None,
            now: (Vec::new(), 0, 0),
        }
    }

    /// The recording of a run that ended normally.
    pub fn finish(mut self) -> Recording {
        if let Some(last) = self.last.take() {
            self.rec.columns.push(last);
        }
        self.rec
    }

    /// The recording of a run that stopped with `diag`: the board up to the
    /// failing statement, which is marked. `forget` is the name a help says
    /// to forget, if any (see [`forget_hint`]).
    pub fn fail(mut self, diag: &Diagnostic, forget: Option<&str>) -> Recording {
        if let Some(last) = self.last.take() {
            self.rec.columns.push(last);
        }
        let span = diag.primary_span();
        let stmt = span.and_then(|s| statement_at(self.program, s));
        let (line, head) = match (stmt, span) {
            (Some(st), _) => (
                self.program.lines.line(st.span.start as usize),
                head(st, self.src),
            ),
            (None, Some(s)) => (self.program.lines.line(s.start as usize), String::new()),
            (None, None) => (0, String::new()),
        };
        let forget = forget.and_then(|n| self.rec.names.iter().position(|m| m == n));
        let (slots, hidden, occupancy) = self.now.clone();
        self.rec.columns.push(Column {
            kind: ColumnKind::Failure {
                line,
                head,
                code: diag.code.as_str().to_owned(),
                message: diag.message.clone(),
                help: diag.help.clone(),
                forget: forget.map(|n| n as u32),
            },
            full: occupancy >= self.rec.capacity,
            slots,
            hidden,
            occupancy,
            band: self.loops.last().map(|l| l.band.clone()),
        });
        self.rec
    }

    fn snapshot(&mut self, machine: &Machine) {
        let board = machine.board();
        let extent = board.extent();
        self.rec.extent = self.rec.extent.max(extent);
        let drawn = extent.min(MAX_ROWS);
        let slots = &mut self.now.0;
        slots.clear();
        let mut shown = 0;
        for s in 0..drawn {
            let v = board
                .name_in(s)
                .map(|id| (id.0, machine.value(id).unwrap_or(0.0)));
            shown += usize::from(v.is_some());
            slots.push(v);
        }
        self.now.1 = board.occupancy() - shown;
        self.now.2 = board.occupancy();
    }

    fn column(&self, kind: ColumnKind) -> Column {
        Column {
            kind,
            slots: self.now.0.clone(),
            hidden: self.now.1,
            occupancy: self.now.2,
            full: self.now.2 >= self.rec.capacity,
            band: self.loops.last().map(|l| l.band.clone()),
        }
    }

    /// The outermost loop whose current iteration is folded.
    fn folded(&self) -> Option<usize> {
        self.loops
            .iter()
            .position(|l| l.iteration >= SHOW_ITERATIONS)
    }

    fn update_fold(&mut self, at: usize, statements: u64) {
        let (slots, hidden, occupancy) = self.now.clone();
        let c = &mut self.rec.columns[at];
        if let ColumnKind::Fold { statements: s, .. } = &mut c.kind {
            *s += statements;
        }
        c.slots = slots;
        c.hidden = hidden;
        c.occupancy = occupancy;
        c.full = occupancy >= self.rec.capacity;
    }

    fn marks(&mut self, stmt: &Stmt, machine: &Machine) -> Vec<Mark> {
        let board = machine.board();
        let mut marks = Vec::new();
        let reads = |e: &Expr, marks: &mut Vec<Mark>| {
            for n in e.names() {
                if let Some(slot) = board.slot_of(n.id) {
                    let m = Mark {
                        slot,
                        name: n.id.0,
                        kind: MarkKind::Read,
                    };
                    if !marks.contains(&m) {
                        marks.push(m);
                    }
                }
            }
        };
        match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                reads(value, &mut marks);
                if let Some(g) = gate {
                    reads(g.expr(), &mut marks);
                }
                if let Some(slot) = board.slot_of(target.id) {
                    let before = self.last_slot[target.id.index()];
                    let gate = gate.as_ref().map(|g| {
                        (
                            machine.last_gate().unwrap_or(0.0),
                            matches!(**g, Gate::Soft(_)),
                        )
                    });
                    marks.push(Mark {
                        slot,
                        name: target.id.0,
                        kind: MarkKind::Write {
                            arrived: before == NO_SLOT,
                            gate,
                        },
                    });
                }
            }
            StmtKind::Read(exprs) => {
                for e in exprs {
                    reads(e, &mut marks);
                }
            }
            StmtKind::Forget(names) => {
                for n in names {
                    let slot = self.last_slot[n.id.index()];
                    if slot != NO_SLOT {
                        marks.push(Mark {
                            slot: slot as usize,
                            name: n.id.0,
                            kind: MarkKind::Forget,
                        });
                    }
                }
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {}
        }
        marks
    }

    fn follow_slots(&mut self, stmt: &Stmt, machine: &Machine) {
        match &stmt.kind {
            StmtKind::Write { target, .. } => {
                if let Some(s) = machine.board().slot_of(target.id) {
                    self.last_slot[target.id.index()] = s as u32;
                }
            }
            StmtKind::Forget(names) => {
                for n in names {
                    self.last_slot[n.id.index()] = NO_SLOT;
                }
            }
            _ => {}
        }
    }

    fn follow_gate(&mut self, stmt: &Stmt, machine: &Machine) {
        let StmtKind::Write {
            target,
            gate: Some(g),
            ..
        } = &stmt.kind
        else {
            return;
        };
        if self.loops.is_empty() {
            return;
        }
        let Some(v) = machine.last_gate() else {
            return;
        };
        let start = stmt.span.start;
        let k = match self.rec.series.iter().position(|s| s.start == start) {
            Some(k) => k,
            None if self.rec.series.len() < MAX_SERIES => {
                self.rec.series.push(Series {
                    start,
                    line: self.program.lines.line(start as usize),
                    head: head(stmt, self.src),
                    name: target.id.0,
                    slot: machine.board().slot_of(target.id).unwrap_or(0),
                    soft: matches!(**g, Gate::Soft(_)),
                    bins: Bins::default(),
                });
                self.rec.series.len() - 1
            }
            None => {
                self.rec.series_hidden += 1;
                return;
            }
        };
        // `when c` opens where c ≠ 0: drawn as 1.
        let v = if self.rec.series[k].soft {
            v
        } else {
            f64::from(u8::from(v != 0.0))
        };
        self.rec.series[k].bins.push(v);
    }
}

impl Observer for Recorder<'_> {
    fn read(&mut self, read: Read) {
        self.rec.reads_total += 1;
        self.pending.push(format!(
            "{} = {}",
            read.text,
            crate::number::format(read.value)
        ));
        if self.rec.reads.len() < MAX_READS {
            self.rec.reads.push(read);
        }
    }

    fn wants_steps(&self) -> bool {
        true
    }

    fn iteration(&mut self, stmt: &Stmt, label: String) {
        self.bands += 1;
        let depth = self.loops.len();
        let same = self
            .loops
            .last()
            .is_some_and(|l| l.start == stmt.span.start);
        if !same {
            self.loops.push(Loop {
                start: stmt.span.start,
                iteration: 0,
                band: Band {
                    id: self.bands,
                    label,
                    depth: depth + 1,
                    iteration: 0,
                },
                fold: None,
            });
        } else if let Some(l) = self.loops.last_mut() {
            l.iteration += 1;
            l.band = Band {
                id: self.bands,
                label,
                depth,
                iteration: l.iteration,
            };
        }
        // A loop past its first iterations folds them into one column.
        if let Some(k) = self.folded().filter(|_| self.tail.is_none()) {
            if self.loops[k].fold.is_none() {
                let what = match &self.program_stmt_kind(k) {
                    Some(w) => w.clone(),
                    None => "loop".to_owned(),
                };
                let band = if k == 0 {
                    None
                } else {
                    Some(self.loops[k - 1].band.clone())
                };
                let mut c = self.column(ColumnKind::Fold {
                    what,
                    iterations: 0,
                    statements: 0,
                });
                c.band = band;
                self.rec.columns.push(c);
                self.loops[k].fold = Some(self.rec.columns.len() - 1);
            }
            if k == self.loops.len() - 1 {
                if let Some(at) = self.loops[k].fold {
                    if let ColumnKind::Fold { iterations, .. } = &mut self.rec.columns[at].kind {
                        *iterations += 1;
                    }
                }
            }
        }
    }

    fn after(&mut self, stmt: &Stmt, machine: &Machine) {
        if let StmtKind::Each { .. } | StmtKind::Repeat { .. } = &stmt.kind {
            if self
                .loops
                .last()
                .is_some_and(|l| l.start == stmt.span.start)
            {
                self.loops.pop();
            }
            return;
        }
        self.rec.statements += 1;
        self.snapshot(machine);
        self.follow_gate(stmt, machine);
        if let Some(at) = self.folded().and_then(|k| self.loops[k].fold) {
            self.pending.clear();
            self.update_fold(at, 1);
            self.follow_slots(stmt, machine);
            return;
        }
        let marks = self.marks(stmt, machine);
        self.follow_slots(stmt, machine);
        let kind = ColumnKind::Stmt {
            line: self.program.lines.line(stmt.span.start as usize),
            head: head(stmt, self.src),
            marks,
            outputs: std::mem::take(&mut self.pending),
        };
        if self.tail.is_none() && self.rec.columns.len() + 1 >= MAX_COLUMNS {
            let mut c = self.column(ColumnKind::Fold {
                what: "the rest of the run".to_owned(),
                iterations: 0,
                statements: 0,
            });
            c.band = None;
            self.rec.columns.push(c);
            self.tail = Some(self.rec.columns.len() - 1);
        }
        match self.tail {
            Some(at) => {
                // The previous statement joins the fold; this one is kept
                // as the last column until another comes.
                if self.last.is_some() {
                    let before = self.last.take().map(|c| (c.slots, c.hidden, c.occupancy));
                    if let Some(b) = before {
                        let now = std::mem::replace(&mut self.now, b);
                        self.update_fold(at, 1);
                        self.now = now;
                    }
                }
                self.last = Some(self.column(kind));
            }
            None => {
                let c = self.column(kind);
                self.rec.columns.push(c);
            }
        }
    }
}

impl Recorder<'_> {
    /// `each x` / `repeat 5` for the loop at depth `k`.
    fn program_stmt_kind(&self, k: usize) -> Option<String> {
        let start = self.loops[k].start as usize;
        let text = self.src.get(start..)?;
        let header = text.split('{').next()?.trim_end();
        Some(header.to_owned())
    }
}

/// The first line of a statement; a loop's header with `{ … }`.
pub fn head(stmt: &Stmt, src: &str) -> String {
    let text = stmt.span.text(src);
    match &stmt.kind {
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
            text.split('{').next().unwrap_or("").trim_end().to_owned() + " { … }"
        }
        _ => text.lines().next().unwrap_or("").trim_end().to_owned(),
    }
}

/// The innermost statement whose span holds `span`.
pub fn statement_at(program: &Program, span: Span) -> Option<&Stmt> {
    fn inner<'a>(stmts: impl Iterator<Item = &'a Stmt>, span: Span) -> Option<&'a Stmt> {
        for s in stmts {
            if s.span.start <= span.start && span.end <= s.span.end {
                if let StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } = &s.kind {
                    if let Some(i) = inner(body.iter(), span) {
                        return Some(i);
                    }
                }
                return Some(s);
            }
        }
        None
    }
    inner(
        program.items.iter().filter_map(|i| match i {
            Item::Stmt(s) => Some(s),
            _ => None,
        }),
        span,
    )
}

/// The name a diagnostic's suggestion forgets: a fix whose edit inserts
/// `forget NAME`, else the first `` `NAME` `` of a help that says to
/// forget it.
pub fn forget_hint(diag: &Diagnostic) -> Option<String> {
    for fix in &diag.fixes {
        for edit in &fix.edits {
            if let Some(rest) = edit.replacement.trim().strip_prefix("forget ") {
                let name = rest.split([',', ' ', '\n', ';']).next().unwrap_or("");
                if !name.is_empty() {
                    return Some(name.to_owned());
                }
            }
        }
    }
    let help = diag.help.as_deref()?;
    let at = help.find("forget ")?;
    let name = help[at + "forget ".len()..]
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_stay_bounded_and_keep_every_value() {
        let mut b = Bins::default();
        for i in 0..100_000u64 {
            b.push((i % 2) as f64);
        }
        assert!(b.bins.len() <= 2 * MAX_BINS);
        let (width, drawn) = b.drawn();
        assert!(drawn.len() <= MAX_BINS);
        assert_eq!(drawn.iter().map(|x| x.count).sum::<u64>(), 100_000);
        assert_eq!(b.total, 100_000);
        assert!(width >= 100_000 / MAX_BINS as u64);
        assert!((drawn[0].mean() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_short_series_is_not_binned() {
        let mut b = Bins::default();
        for v in [0.0, 1.0, 1.0] {
            b.push(v);
        }
        let (width, drawn) = b.drawn();
        assert_eq!(width, 1);
        assert_eq!(drawn.len(), 3);
    }
}
