//! `wb run --json` as a stream, and its trace as data (`--json --trace`).
//!
//! The object is written as the run goes: `{"reads":[` first, each read as
//! it happens, then — once the run is over and its outcome known — the
//! trace (with `--trace`), the diagnostics (warnings and the error) and the
//! summary. So memory does not grow with the number of reads, and a reader
//! that stops reading (`| head -c 100`) stops the run at once: the writer's
//! first error is kept and nothing more is written.
//!
//! The trace (`"trace_version": 1`, docs/json.md) has one event per
//! statement the interpreter finished and per loop iteration begun: the
//! statement's span, the board's slots and values after it, the board names
//! it read, its gate. It is the one thing kept in memory, so it is bounded:
//! at most [`TRACE_EVENTS`] events and [`TRACE_CELLS`] slots in all, past
//! which recording stops and the trace says `"complete": false` with the
//! number of events the run had in all.
//!
//! This module owns the format; it does not know who asked for it (the
//! command line or `wb serve`).

use std::io::Write;

use serde_json::{json, Value};

use crate::diag::Diagnostic;
use crate::interp::{Machine, Observer, Read};
use crate::layout::cut;
use crate::number;
use crate::syntax::{Gate, LineIndex, Program, Span, Stmt, StmtKind};

/// The version of the trace's format; a change that a reader could
/// misread raises it.
pub const TRACE_VERSION: u32 = 1;

/// The most trace events kept.
pub const TRACE_EVENTS: usize = 20_000;

/// The most board slots kept over all the trace's events (an event of a
/// board of N slots costs N).
pub const TRACE_CELLS: usize = 1_000_000;

/// The longest text (a statement, a name) a trace event holds, in
/// characters; longer ones are cut with `…`.
const TEXT_MAX: usize = 200;

/// One read as JSON: `{"text","line","value"}` and `"index"` inside `each`.
pub fn read_json(r: &Read) -> Value {
    let mut o = json!({ "text": r.text, "line": r.line, "value": number::to_json(r.value) });
    if let Some(i) = r.index {
        o["index"] = json!(i);
    }
    o
}

/// What a trace keeps.
struct Recording<'p> {
    src: &'p str,
    lines: LineIndex,
    events: Vec<Value>,
    cells: usize,
    /// Events the run had, kept or not.
    total: u64,
    /// The reads of the statement being run, for its event.
    pending: Vec<Value>,
}

impl Recording<'_> {
    fn full(&self) -> bool {
        self.events.len() >= TRACE_EVENTS || self.cells >= TRACE_CELLS
    }

    fn span(&self, span: Span) -> Value {
        let (line, column) = self.lines.line_col(self.src, span.start as usize);
        let (end_line, end_column) = self.lines.line_col(self.src, span.end as usize);
        json!({
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "start": span.start,
            "end": span.end,
        })
    }

    fn push(&mut self, mut event: Value, stmt: &Stmt, cells: usize) {
        self.total += 1;
        if self.full() {
            return;
        }
        self.cells += cells;
        event["step"] = json!(self.total);
        event["span"] = self.span(stmt.span);
        event["text"] = json!(cut(&super::head(stmt, self.src), TEXT_MAX));
        self.events.push(event);
    }
}

/// The streamed writer of `wb run --json` (an interpreter [`Observer`];
/// the cell feeds it reads through [`JsonRun::read`] as well).
pub struct JsonRun<'w, 'p> {
    out: &'w mut dyn Write,
    reads: u64,
    error: Option<std::io::Error>,
    trace: Option<Recording<'p>>,
}

impl<'w, 'p> JsonRun<'w, 'p> {
    /// Starts the object on `out`: `{"reads":[`.
    pub fn new(out: &'w mut dyn Write) -> Self {
        let mut run = JsonRun {
            out,
            reads: 0,
            error: None,
            trace: None,
        };
        run.write(b"{\"reads\":[");
        run
    }

    /// Starts the object with a trace of `program` (its source `src`):
    /// `{"trace_version":1,"reads":[`.
    pub fn with_trace(out: &'w mut dyn Write, program: &Program, src: &'p str) -> Self {
        let mut run = JsonRun {
            out,
            reads: 0,
            error: None,
            trace: Some(Recording {
                src,
                lines: program.lines.clone(),
                events: Vec::new(),
                cells: 0,
                total: 0,
                pending: Vec::new(),
            }),
        };
        let head = format!("{{\"trace_version\":{TRACE_VERSION},\"reads\":[");
        run.write(head.as_bytes());
        run
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    /// The first write error, if any: output stopped there.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    /// Reads written so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// Ends the object: the trace (if any), `diagnostics` (in the order
    /// given), then `summary`'s keys, a newline; flushes. Returns the first
    /// write error of the whole object.
    pub fn finish(
        mut self,
        diags: &[Diagnostic],
        src: &str,
        lines: &LineIndex,
        summary: &[(&str, Value)],
    ) -> std::io::Result<()> {
        let mut tail = String::from("]");
        if let Some(t) = self.trace.take() {
            tail.push_str(",\"trace\":{\"complete\":");
            tail.push_str(if t.full() && t.total > t.events.len() as u64 {
                "false"
            } else {
                "true"
            });
            tail.push_str(&format!(",\"events_total\":{},\"events\":[", t.total));
            for (i, e) in t.events.iter().enumerate() {
                if i > 0 {
                    tail.push(',');
                }
                tail.push_str(&e.to_string());
                if tail.len() > 1 << 16 {
                    self.write(tail.as_bytes());
                    tail.clear();
                }
            }
            tail.push_str("]}");
        }
        tail.push_str(",\"diagnostics\":[");
        for (i, d) in diags.iter().enumerate() {
            if i > 0 {
                tail.push(',');
            }
            tail.push_str(&d.to_json(src, lines).to_string());
        }
        tail.push(']');
        for (key, value) in summary {
            tail.push_str(&format!(",{}:{value}", Value::from(*key)));
        }
        tail.push_str("}\n");
        self.write(tail.as_bytes());
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
        self.error.map_or(Ok(()), Err)
    }

    fn board_event(&mut self, stmt: &Stmt, machine: &Machine) {
        let Some(t) = &mut self.trace else { return };
        if t.full() {
            t.total += 1;
            return;
        }
        let board = machine.board();
        let names = machine.names();
        let slots: Vec<Value> = (0..board.extent())
            .map(|i| match board.name_in(i) {
                Some(id) => json!([
                    cut(names.text(id), TEXT_MAX),
                    number::to_json(machine.value(id).unwrap_or(0.0))
                ]),
                None => Value::Null,
            })
            .collect();
        let read: Vec<Value> = super::reads_of(stmt, machine)
            .into_iter()
            .map(|id| json!(cut(names.text(id), TEXT_MAX)))
            .collect();
        let n = slots.len().max(1);
        let mut event = json!({
            "kind": "board",
            "slots": slots,
            "read": read,
            "used": board.occupancy(),
            "capacity": machine.capacity(),
        });
        if let StmtKind::Write { gate: Some(g), .. } = &stmt.kind {
            let v = machine.last_gate().unwrap_or(0.0);
            event["gate"] = match **g {
                Gate::When(_) => json!({"kind": "when", "open": v != 0.0}),
                Gate::Soft(_) => json!({"kind": "soft", "value": number::to_json(v)}),
            };
        }
        t.push(event, stmt, n);
    }
}

impl Observer for JsonRun<'_, '_> {
    fn read(&mut self, read: Read) {
        if self.error.is_some() {
            return;
        }
        let mut text = if self.reads == 0 {
            String::new()
        } else {
            String::from(",")
        };
        text.push_str(&read_json(&read).to_string());
        self.reads += 1;
        self.write(text.as_bytes());
        if let Some(t) = &mut self.trace {
            if !t.full() && t.pending.len() < TRACE_EVENTS {
                let mut v = json!({"text": cut(&read.text, TEXT_MAX), "value": number::to_json(read.value)});
                if let Some(i) = read.index {
                    v["index"] = json!(i);
                }
                t.pending.push(v);
            }
        }
    }

    fn wants_steps(&self) -> bool {
        self.trace.is_some()
    }

    fn iteration(&mut self, stmt: &Stmt, label: String) {
        let Some(t) = &mut self.trace else { return };
        let event = json!({"kind": "iteration", "label": cut(&label, TEXT_MAX)});
        t.push(event, stmt, 1);
    }

    fn after(&mut self, stmt: &Stmt, machine: &Machine) {
        let Some(t) = &mut self.trace else { return };
        match &stmt.kind {
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {}
            StmtKind::Read(_) => {
                let values = std::mem::take(&mut t.pending);
                let n = values.len().max(1);
                t.push(json!({"kind": "read", "values": values}), stmt, n);
            }
            _ => self.board_event(stmt, machine),
        }
    }
}
