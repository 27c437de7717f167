//! `--trace`: the board after every statement, drawn like a whiteboard, and
//! (`--engine cell`) the cell state after every step.
//!
//! ```text
//! line  statement              board (3 slots)
//!    5  write ac = a * c       [ ac=5 | ·     | ·       ]
//!    7  write bd_a = bd + a    [ ac=5 | bd=33 | bd_a=34 ]  reads bd  full
//!   14  read result            result = 181
//! ```
//!
//! A row says what the statement did for the strategy: the board slots it
//! read, whether a `when` gate was open, a soft gate's value, a full board.
//! Free slots are `·`. Everything fits a width: long statements and values
//! are cut with `…` (numbers keep their magnitude: `3.33333…`,
//! `-1.797…e308`), and a board too wide to stand beside the statements goes
//! on the lines below them, wrapped if it must be.
//!
//! Rows are buffered in small blocks so that columns line up; a column only
//! ever widens (up to what the width allows), so a long loop streams out
//! without being held in memory.

pub mod json;

use std::collections::HashMap;
use std::io::Write;

use crate::cell::{ActionKind, Cell, Node, Sink, Step};
use crate::interp::{Machine, Observer, Read};
use crate::layout::{self, chars, cut, pad, pad_left, short_number, wrap};
use crate::number;
use crate::syntax::{Gate, Item, NameId, Program, Stmt, StmtKind};

const BLOCK: usize = 64;

/// Lines a read's values or a step's statements may take before `…`.
const MAX_LINES: usize = 3;

/// The narrowest a board cell is made (`mean=3.3…`) before the board is
/// wrapped onto more lines.
const MIN_CELL: usize = 9;

enum Row {
    /// A statement or step that changed the board: the board after it.
    Board {
        number: String,
        text: String,
        slots: Vec<Option<(String, f64)>>,
        notes: Vec<String>,
    },
    /// A statement or step that read: the values.
    Values {
        number: String,
        text: String,
        values: String,
    },
    /// A loop's iteration begins.
    Iteration {
        number: String,
        text: String,
        label: String,
    },
}

/// Where the board goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Beside the statement.
    Beside,
    /// On its own lines below the statement, this many cells a line.
    Below { per_line: usize },
}

/// The rows of a trace, laid out to a width and written in blocks.
struct Printer<'w> {
    out: &'w mut dyn Write,
    width: usize,
    stmt_w: usize,
    place: Place,
    /// The widest a cell may be.
    cell_max: usize,
    slot_widths: Vec<usize>,
    header: Option<String>,
    rows: Vec<Row>,
    error: Option<std::io::Error>,
}

impl<'w> Printer<'w> {
    /// A printer for `slots` board cells, statements `widest` characters
    /// wide at most, `number` heading the first column (`line`, `step`) and
    /// `board` the board's (`board (3 slots)`).
    fn new(
        out: &'w mut dyn Write,
        width: usize,
        widest: usize,
        slots: usize,
        number: &str,
        board: &str,
    ) -> Printer<'w> {
        let width = width.max(layout::MIN_WIDTH);
        let stmt_w = widest.max("statement".len()).min(width / 2);
        let frame = |cells: usize| 4 + 3 * cells.saturating_sub(1);
        let cells = slots.max(1);
        let beside = width.saturating_sub(6 + stmt_w + 2);
        let beside_cell = beside.saturating_sub(frame(cells)) / cells;
        let below = width - 6;
        let (place, cell_max) = if beside_cell >= MIN_CELL {
            (Place::Beside, beside_cell)
        } else {
            let cell = below.saturating_sub(frame(cells)) / cells;
            if cell >= MIN_CELL {
                (Place::Below { per_line: cells }, cell)
            } else {
                let per_line = ((below - 4 + 3) / (MIN_CELL + 3)).max(1);
                let cell = below.saturating_sub(frame(per_line)) / per_line;
                (Place::Below { per_line }, cell.max(1))
            }
        };
        let header = match place {
            Place::Beside => format!("{}  {}  {board}", pad(number, 4), pad("statement", stmt_w)),
            Place::Below { .. } => {
                let text = format!("statement, and below it the {board}");
                let lines = wrap(&text, width - 6, MAX_LINES);
                let mut header = format!("{}  {}", pad(number, 4), lines[0]);
                for l in &lines[1..] {
                    header.push_str(&format!("\n      {l}"));
                }
                header
            }
        };
        Printer {
            out,
            width,
            stmt_w,
            place,
            cell_max,
            slot_widths: vec![0; slots],
            header: Some(header),
            rows: Vec::new(),
            error: None,
        }
    }

    /// Buffers a row; after a write error, rows are dropped.
    fn push(&mut self, row: Row) {
        if self.error.is_some() {
            return;
        }
        self.rows.push(row);
        if self.rows.len() >= BLOCK {
            self.flush();
        }
    }

    /// Writes out the buffered rows.
    fn flush(&mut self) {
        if self.error.is_some() {
            self.rows.clear();
            return;
        }
        for row in &self.rows {
            if let Row::Board { slots, .. } = row {
                if slots.len() > self.slot_widths.len() {
                    self.slot_widths.resize(slots.len(), 0);
                }
                for (w, s) in self.slot_widths.iter_mut().zip(slots) {
                    *w = (*w).max(natural(s).min(self.cell_max));
                }
            }
        }
        let mut text = String::new();
        if let Some(h) = self.header.take() {
            for line in h.lines() {
                text.push_str(cut(line, self.width).trim_end());
                text.push('\n');
            }
        }
        let rows = std::mem::take(&mut self.rows);
        for row in rows {
            for line in self.lines(row) {
                // Every line was laid out to fit; this only makes sure of it.
                text.push_str(cut(&line, self.width).trim_end());
                text.push('\n');
            }
        }
        if let Err(e) = self.out.write_all(text.as_bytes()) {
            self.error = Some(e);
        }
    }

    /// The lines of one row.
    fn lines(&self, row: Row) -> Vec<String> {
        let head = |number: &str, text: &str| {
            format!("{}  {}  ", pad_left(number, 4), pad(text, self.stmt_w))
        };
        let after = 6 + self.stmt_w + 2;
        let room = self.width.saturating_sub(after).max(1);
        // A step of the cell has a statement a line: the first heads the
        // row, the others follow it.
        let more = |text: &str| -> Vec<String> {
            text.lines()
                .skip(1)
                .map(|l| format!("      {}", cut(l, self.stmt_w)))
                .collect()
        };
        let first = |text: &str| text.lines().next().unwrap_or("").to_owned();
        match row {
            Row::Board {
                number,
                text,
                slots,
                notes,
            } => {
                let notes = notes.join("; ");
                let board = self.board(&slots);
                let mut lines = Vec::new();
                let rest = more(&text);
                let text = first(&text);
                match self.place {
                    Place::Beside => {
                        let board = board.into_iter().next().unwrap_or_default();
                        let line = head(&number, &text) + &board;
                        if notes.is_empty() {
                            lines.push(line);
                        } else if chars(&line) + 2 + chars(&notes) <= self.width {
                            lines.push(format!("{line}  {notes}"));
                        } else {
                            lines.push(line);
                            for l in wrap(&notes, room, MAX_LINES) {
                                lines.push(format!("{}{l}", " ".repeat(after)));
                            }
                        }
                        lines.extend(rest);
                    }
                    Place::Below { .. } => {
                        let mut first = head(&number, &text);
                        if !notes.is_empty() {
                            first.push_str(&cut(&notes, room));
                        }
                        lines.push(first);
                        lines.extend(rest);
                        for b in board {
                            lines.push(format!("      {b}"));
                        }
                    }
                }
                lines
            }
            Row::Values {
                number,
                text,
                values,
            } => {
                let mut lines = self.beside(head(&number, &first(&text)), &values, room, after);
                lines.extend(more(&text));
                lines
            }
            Row::Iteration {
                number,
                text,
                label,
            } => {
                let label = format!("── {label}");
                let mut lines = self.beside(head(&number, &first(&text)), &label, room, after);
                lines.extend(more(&text));
                lines
            }
        }
    }

    /// `first` followed by `text` wrapped into the `room` columns after
    /// column `after`.
    fn beside(&self, first: String, text: &str, room: usize, after: usize) -> Vec<String> {
        let mut lines = Vec::new();
        for (k, l) in wrap(text, room, MAX_LINES).into_iter().enumerate() {
            if k == 0 {
                lines.push(format!("{first}{l}"));
            } else {
                lines.push(format!("{}{l}", " ".repeat(after)));
            }
        }
        lines
    }

    /// The board as lines: `[ a=1 | · | b=2 ]`, wrapped after `per_line`
    /// cells when it is below the statements.
    fn board(&self, slots: &[Option<(String, f64)>]) -> Vec<String> {
        let cells: Vec<String> = self
            .slot_widths
            .iter()
            .enumerate()
            .map(|(i, &w)| pad(&cell(slots.get(i).and_then(Option::as_ref), w), w))
            .collect();
        let per_line = match self.place {
            Place::Beside => cells.len().max(1),
            Place::Below { per_line } => per_line,
        };
        if cells.is_empty() {
            return vec!["[ ]".to_owned()];
        }
        let chunks: Vec<&[String]> = cells.chunks(per_line).collect();
        let last = chunks.len() - 1;
        chunks
            .iter()
            .enumerate()
            .map(|(k, chunk)| {
                let open = if k == 0 { "[ " } else { "  " };
                let close = if k == last { " ]" } else { " |" };
                format!("{open}{}{close}", chunk.join(" | "))
            })
            .collect()
    }
}

/// How wide a cell's text is before any shortening.
fn natural(slot: &Option<(String, f64)>) -> usize {
    match slot {
        None => 1,
        Some((name, v)) => chars(name) + 1 + number::format(*v).len(),
    }
}

/// A slot as text in at most `w` characters: `name=value`, the value
/// shortened first, then the name; `·` when the slot is free.
fn cell(slot: Option<&(String, f64)>, w: usize) -> String {
    let Some((name, v)) = slot else {
        return "·".to_owned();
    };
    let value = number::format(*v);
    let full = chars(name) + 1 + value.len();
    if full <= w {
        return format!("{name}={value}");
    }
    let name_len = chars(name);
    let name_w = if name_len + 1 + 6 <= w {
        name_len
    } else {
        (w / 2).max(1)
    };
    let value = short_number(*v, &value, w.saturating_sub(name_w + 1).max(1));
    let name_w = name_w.min(w.saturating_sub(chars(&value) + 1).max(1));
    cut(&format!("{}={value}", cut(name, name_w)), w)
}

/// The `--trace` observer of the interpreter: writes rows to `out`.
pub struct Trace<'w> {
    printer: Printer<'w>,
    src: &'w str,
    lines: crate::syntax::LineIndex,
    /// Each statement's loop depth, by where it starts.
    depths: HashMap<u32, usize>,
    pending_reads: Vec<Read>,
    program_capacity: usize,
    peak: usize,
    widest: usize,
}

impl<'w> Trace<'w> {
    /// A trace of `program` (its source is `src`) on a board of `capacity`
    /// slots, of which at most `peak` are used, laid out for 80 columns
    /// (see [`Trace::with_width`]).
    pub fn new(
        out: &'w mut dyn Write,
        program: &Program,
        src: &'w str,
        capacity: usize,
        peak: usize,
    ) -> Self {
        let mut widest = 0;
        let mut depths = HashMap::new();
        for item in &program.items {
            if let Item::Stmt(s) = item {
                walk(s, src, 0, &mut widest, &mut depths);
            }
        }
        let printer = Printer::new(
            out,
            layout::DEFAULT_WIDTH,
            widest,
            peak.min(capacity),
            "line",
            &board_title(capacity, peak),
        );
        Trace {
            printer,
            src,
            lines: program.lines.clone(),
            depths,
            pending_reads: Vec::new(),
            program_capacity: capacity,
            peak,
            widest,
        }
    }

    /// The same trace laid out for `width` columns (at least
    /// [`layout::MIN_WIDTH`]).
    pub fn with_width(self, width: usize) -> Self {
        let Trace {
            printer,
            src,
            lines,
            depths,
            pending_reads,
            program_capacity,
            peak,
            widest,
        } = self;
        let printer = Printer::new(
            printer.out,
            width,
            widest,
            peak.min(program_capacity),
            "line",
            &board_title(program_capacity, peak),
        );
        Trace {
            printer,
            src,
            lines,
            depths,
            pending_reads,
            program_capacity,
            peak,
            widest,
        }
    }

    /// Writes out the buffered rows.
    pub fn flush(&mut self) {
        self.printer.flush();
    }

    /// The first write error (a closed pipe), taken: output stopped there.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.printer.error.take()
    }

    fn push(&mut self, row: Row) {
        self.printer.push(row);
    }

    fn stmt_text(&self, stmt: &Stmt) -> String {
        let depth = self.depths.get(&stmt.span.start).copied().unwrap_or(0);
        let indent = (2 * depth).min(self.printer.stmt_w / 2);
        format!("{}{}", " ".repeat(indent), head(stmt, self.src))
    }
}

fn board_title(capacity: usize, peak: usize) -> String {
    let slots = if capacity == 1 { "slot" } else { "slots" };
    if peak < capacity {
        format!("board ({capacity} {slots}, at most {peak} used)")
    } else {
        format!("board ({capacity} {slots})")
    }
}

/// A statement's first line, or a loop's header with `{ … }`.
pub(crate) fn head(stmt: &Stmt, src: &str) -> String {
    let text = stmt.span.text(src);
    match &stmt.kind {
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
            text.split('{').next().unwrap_or("").trim_end().to_owned() + " { … }"
        }
        _ => text.lines().next().unwrap_or("").to_owned(),
    }
}

/// Records each statement's depth and the widest statement (at most a
/// few hundred characters are looked at).
fn walk(stmt: &Stmt, src: &str, depth: usize, w: &mut usize, depths: &mut HashMap<u32, usize>) {
    depths.insert(stmt.span.start, depth);
    let head: String = head(stmt, src).chars().take(layout::MAX_WIDTH).collect();
    *w = (*w).max(chars(&head) + 2 * depth);
    if let StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } = &stmt.kind {
        for s in body {
            walk(s, src, depth + 1, w, depths);
        }
    }
}

/// The board names a write read, in order, each once: those of its value
/// (unless a closed `when` skipped it), of its gate, and the old value a
/// soft gate blends with.
pub(crate) fn reads_of(stmt: &Stmt, machine: &Machine) -> Vec<NameId> {
    let StmtKind::Write {
        target,
        value,
        gate,
    } = &stmt.kind
    else {
        return Vec::new();
    };
    let mut ids: Vec<NameId> = Vec::new();
    let mut add = |id: NameId| {
        if machine.board().slot_of(id).is_some() && !ids.contains(&id) {
            ids.push(id);
        }
    };
    match gate.as_deref() {
        None => value.names().for_each(|n| add(n.id)),
        Some(Gate::When(c)) => {
            c.names().for_each(|n| add(n.id));
            if machine.last_gate().is_some_and(|c| c != 0.0) {
                value.names().for_each(|n| add(n.id));
            }
        }
        Some(Gate::Soft(g)) => {
            value.names().for_each(|n| add(n.id));
            g.names().for_each(|n| add(n.id));
            add(target.id);
        }
    }
    ids
}

impl Observer for Trace<'_> {
    fn read(&mut self, read: Read) {
        self.pending_reads.push(read);
    }

    fn wants_steps(&self) -> bool {
        true
    }

    fn iteration(&mut self, stmt: &Stmt, label: String) {
        let number = self.lines.line(stmt.span.start as usize).to_string();
        let text = self.stmt_text(stmt);
        self.push(Row::Iteration {
            number,
            text,
            label,
        });
    }

    fn after(&mut self, stmt: &Stmt, machine: &Machine) {
        let number = self.lines.line(stmt.span.start as usize).to_string();
        match &stmt.kind {
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {}
            StmtKind::Read(_) => {
                let values: Vec<String> = self
                    .pending_reads
                    .drain(..)
                    .map(|r| {
                        let text = cut(&r.text, layout::MAX_WIDTH);
                        format!("{text} = {}", number::format(r.value))
                    })
                    .collect();
                let text = self.stmt_text(stmt);
                self.push(Row::Values {
                    number,
                    text,
                    values: values.join(", "),
                });
            }
            _ => {
                let board = machine.board();
                let names = machine.names();
                let slots = (0..board.extent())
                    .map(|i| {
                        board.name_in(i).map(|id| {
                            let name = cut(names.text(id), layout::MAX_WIDTH);
                            (name, machine.value(id).unwrap_or(0.0))
                        })
                    })
                    .collect();
                let mut notes = Vec::new();
                let read: Vec<String> = reads_of(stmt, machine)
                    .into_iter()
                    .map(|id| cut(names.text(id), 24))
                    .collect();
                if !read.is_empty() {
                    notes.push(format!("reads {}", read.join(", ")));
                }
                if let StmtKind::Write { gate: Some(g), .. } = &stmt.kind {
                    let v = machine.last_gate().unwrap_or(0.0);
                    notes.push(match **g {
                        Gate::When(_) if v != 0.0 => "when: open".to_owned(),
                        Gate::When(_) => "when: closed, kept".to_owned(),
                        Gate::Soft(_) => format!("gate {}", number::format(v)),
                    });
                }
                if board.occupancy() >= machine.capacity() {
                    notes.push("full".to_owned());
                }
                let text = self.stmt_text(stmt);
                self.push(Row::Board {
                    number,
                    text,
                    slots,
                    notes,
                });
            }
        }
    }
}

/// Runs `cell` on one input set with its trace written to `out`: the run's
/// result, and the first error writing the trace (which stopped the run).
pub fn run_cell(
    out: &mut dyn Write,
    cell: &Cell,
    bindings: &crate::interp::Bindings,
    files: &crate::interp::StreamFiles,
    width: usize,
) -> (
    Result<usize, crate::diag::Diagnostic>,
    Option<std::io::Error>,
) {
    let mut trace = CellTrace::new(out, cell, width);
    let result = crate::cell::Engine::with_chunk(cell, 1)
        .traced()
        .run_one_traced(bindings, files, &mut trace);
    trace.flush();
    (result, trace.take_error())
}

/// The `--trace --engine cell` sink: the cell state after every step, the
/// units named by the names they hold, with each step's reads.
pub struct CellTrace<'w, 'c> {
    printer: Printer<'w>,
    cell: &'c Cell,
    /// Per step id: its number in the table and its loop depth.
    numbers: Vec<(usize, usize)>,
    /// Each loop statement's depth.
    loops: HashMap<usize, usize>,
    /// Which name each unit holds.
    holds: Vec<Option<NameId>>,
    pending_reads: Vec<String>,
}

impl<'w, 'c> CellTrace<'w, 'c> {
    /// A trace of `cell`'s steps, laid out for `width` columns.
    pub fn new(out: &'w mut dyn Write, cell: &'c Cell, width: usize) -> Self {
        let mut numbers = vec![(0, 0); cell.step_count()];
        let mut widest = 0;
        let mut counter = 0;
        let mut loops = HashMap::new();
        let mut at = Numbering {
            counter: &mut counter,
            numbers: &mut numbers,
            loops: &mut loops,
            widest: &mut widest,
        };
        number_steps(cell, &cell.nodes, 0, &mut at);
        let units = if cell.units == 1 { "unit" } else { "units" };
        let title = format!("cell state c ({} {units})", cell.units);
        let printer = Printer::new(out, width, widest, cell.units, "step", &title);
        CellTrace {
            printer,
            cell,
            numbers,
            loops,
            holds: vec![None; cell.units],
            pending_reads: Vec::new(),
        }
    }

    /// Writes out the buffered rows.
    pub fn flush(&mut self) {
        self.printer.flush();
    }

    /// The first write error (a closed pipe), taken: output stopped there.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.printer.error.take()
    }

    fn push(&mut self, row: Row) {
        self.printer.push(row);
    }

    fn text(&self, step: &Step) -> String {
        let (_, depth) = self.numbers.get(step.id).copied().unwrap_or((0, 0));
        let indent = "  ".repeat(depth.min(8));
        let lines: Vec<String> = step_text(self.cell, step)
            .into_iter()
            .map(|l| format!("{indent}{l}"))
            .collect();
        lines.join("\n")
    }
}

/// The statements of a step, each's first line, at most a thousand
/// characters of it.
fn step_text(cell: &Cell, step: &Step) -> Vec<String> {
    step.actions
        .iter()
        .map(|a| {
            let text = cell.stmts[a.stmt].span.text(&cell.src);
            cut(text.lines().next().unwrap_or(""), layout::MAX_WIDTH)
        })
        .collect()
}

/// Where the numbering of a cell's steps is.
struct Numbering<'a> {
    counter: &'a mut usize,
    numbers: &'a mut [(usize, usize)],
    loops: &'a mut HashMap<usize, usize>,
    widest: &'a mut usize,
}

fn number_steps(cell: &Cell, nodes: &[Node], depth: usize, at: &mut Numbering) {
    for node in nodes {
        let (stmt, body) = match node {
            Node::Step(s) => {
                *at.counter += 1;
                if let Some(n) = at.numbers.get_mut(s.id) {
                    *n = (*at.counter, depth);
                }
                for line in step_text(cell, s) {
                    *at.widest = (*at.widest).max(2 * depth + chars(&line));
                }
                continue;
            }
            Node::Each(e) => (e.stmt, &e.body),
            Node::Repeat(r) => (r.stmt, &r.body),
        };
        at.loops.insert(stmt, depth);
        *at.widest = (*at.widest).max(2 * depth + chars(&loop_head(cell, stmt)));
        number_steps(cell, body, depth + 1, at);
    }
}

/// A loop's header: `each x { … }`.
fn loop_head(cell: &Cell, stmt: usize) -> String {
    let text = cell.stmts[stmt].span.text(&cell.src);
    let head = cut(text.split('{').next().unwrap_or("").trim_end(), 200);
    format!("{head} {{ … }}")
}

impl Sink for CellTrace<'_, '_> {
    fn read(
        &mut self,
        site: usize,
        _first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        _index: Option<u64>,
    ) {
        if rows.is_some_and(|r| !r.first().copied().unwrap_or(false)) {
            return;
        }
        if let (Some(s), Some(v)) = (self.cell.reads.get(site), values.first()) {
            let text = cut(&s.text, layout::MAX_WIDTH);
            self.pending_reads
                .push(format!("{text} = {}", number::format(*v)));
        }
    }

    fn step(&mut self, step: &Step, state: &[f64]) -> bool {
        let mut opened = vec![false; self.cell.units];
        for instr in &step.instrs {
            for op in [instr.a, instr.b] {
                if let crate::cell::Operand::Unit(u) = op {
                    if let Some(o) = opened.get_mut(u) {
                        *o = true;
                    }
                }
            }
        }
        // What the output gate opened, named by what the units held.
        let names = &self.cell.names;
        let read: Vec<String> = (0..self.cell.units)
            .filter(|&u| opened[u])
            .map(|u| match self.holds[u] {
                Some(id) => cut(names.text(id), 24),
                None => format!("u[{u}]"),
            })
            .collect();
        let mut changed = false;
        for a in &step.actions {
            let info = &self.cell.stmts[a.stmt];
            match &a.kind {
                ActionKind::Write { .. } => {
                    if let Some((name, u)) = info.places {
                        if let Some(h) = self.holds.get_mut(u) {
                            *h = Some(name);
                        }
                    }
                    changed = true;
                }
                ActionKind::Forget(units) => {
                    for &u in units {
                        if let Some(h) = self.holds.get_mut(u) {
                            *h = None;
                        }
                    }
                    changed = true;
                }
                ActionKind::Read(outs) => {
                    for (_, op) in outs {
                        if let crate::cell::Operand::Unit(u) = op {
                            if let Some(o) = opened.get_mut(*u) {
                                *o = true;
                            }
                        }
                    }
                }
            }
        }
        let number = self.numbers.get(step.id).map_or(0, |n| n.0).to_string();
        let text = self.text(step);
        if changed || self.pending_reads.is_empty() {
            let slots = self
                .holds
                .iter()
                .zip(state)
                .map(|(h, &v)| h.map(|id| (cut(names.text(id), layout::MAX_WIDTH), v)))
                .collect();
            let mut notes = Vec::new();
            if !read.is_empty() {
                notes.push(format!("reads {}", read.join(", ")));
            }
            self.push(Row::Board {
                number: number.clone(),
                text: text.clone(),
                slots,
                notes,
            });
        }
        if !self.pending_reads.is_empty() {
            let values = std::mem::take(&mut self.pending_reads).join(", ");
            let text = if changed { String::new() } else { text };
            self.push(Row::Values {
                number,
                text,
                values,
            });
        }
        self.printer.error.is_none()
    }

    fn iteration(&mut self, stmt: usize, label: String) {
        if stmt >= self.cell.stmts.len() {
            return;
        }
        let depth = self.loops.get(&stmt).copied().unwrap_or(0);
        self.push(Row::Iteration {
            number: String::new(),
            text: format!(
                "{}{}",
                "  ".repeat(depth.min(8)),
                loop_head(self.cell, stmt)
            ),
            label,
        });
    }
}
