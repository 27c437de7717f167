//! `--trace`: the board after every statement, drawn like a whiteboard.
//!
//! ```text
//! line  statement              board (3 slots)
//!    5  write ac = a * c       [ ac=5  |        |         ]
//!    7  write bd_a = bd + a    [ ac=5  | bd=33  | bd_a=34 ]  full
//!   14  read result            result = 181
//! ```
//!
//! Rows are buffered in small blocks so that columns line up; a column only
//! ever widens, so a long loop streams out without being held in memory.

use std::io::Write;

use crate::interp::{Machine, Observer, Read};
use crate::number;
use crate::syntax::{Program, Stmt, StmtKind};

const BLOCK: usize = 64;

enum Row {
    Stmt {
        line: usize,
        text: String,
        slots: Vec<Option<String>>,
        full: bool,
    },
    Read {
        line: usize,
        text: String,
        values: String,
    },
    Iteration {
        line: usize,
        text: String,
        label: String,
    },
}

/// The `--trace` observer: writes rows to `out`.
pub struct Trace<'w> {
    out: &'w mut dyn Write,
    src: &'w str,
    lines: crate::syntax::LineIndex,
    rows: Vec<Row>,
    stmt_width: usize,
    slot_widths: Vec<usize>,
    header: Option<String>,
    pending_reads: Vec<Read>,
    /// The first write error (a closed pipe): output stops there.
    pub error: Option<std::io::Error>,
}

impl<'w> Trace<'w> {
    /// A trace of `program` (its source is `src`) on a board of `capacity`
    /// slots, of which at most `peak` are used.
    pub fn new(
        out: &'w mut dyn Write,
        program: &Program,
        src: &'w str,
        capacity: usize,
        peak: usize,
    ) -> Self {
        let mut stmt_width = "statement".len();
        for item in &program.items {
            if let crate::syntax::Item::Stmt(s) = item {
                widest(s, src, 0, &mut stmt_width);
            }
        }
        let slots = if capacity == 1 { "slot" } else { "slots" };
        let header = if peak < capacity {
            format!("board ({capacity} {slots}, at most {peak} used)")
        } else {
            format!("board ({capacity} {slots})")
        };
        Trace {
            out,
            src,
            lines: program.lines.clone(),
            rows: Vec::new(),
            stmt_width: stmt_width.min(48),
            slot_widths: vec![0; peak.min(capacity)],
            header: Some(header),
            pending_reads: Vec::new(),
            error: None,
        }
    }

    fn push(&mut self, row: Row) {
        self.rows.push(row);
        if self.rows.len() >= BLOCK {
            self.flush();
        }
    }

    /// Writes out the buffered rows.
    pub fn flush(&mut self) {
        if self.error.is_some() {
            self.rows.clear();
            return;
        }
        for row in &self.rows {
            if let Row::Stmt { slots, .. } = row {
                if slots.len() > self.slot_widths.len() {
                    self.slot_widths.resize(slots.len(), 0);
                }
                for (w, s) in self.slot_widths.iter_mut().zip(slots) {
                    *w = (*w).max(s.as_ref().map_or(0, |s| s.chars().count()));
                }
            }
        }
        let mut text = String::new();
        if let Some(h) = self.header.take() {
            text.push_str(&format!(
                "line  {:<w$}  {h}\n",
                "statement",
                w = self.stmt_width
            ));
        }
        for row in self.rows.drain(..) {
            match row {
                Row::Stmt {
                    line,
                    text: stmt,
                    slots,
                    full,
                } => {
                    let cells: Vec<String> = self
                        .slot_widths
                        .iter()
                        .enumerate()
                        .map(|(i, &w)| {
                            let s = slots.get(i).cloned().flatten().unwrap_or_default();
                            format!("{s:<w$}")
                        })
                        .collect();
                    let board = format!("[ {} ]", cells.join(" | "));
                    let mark = if full { "  full" } else { "" };
                    text.push_str(&format!(
                        "{line:>4}  {stmt:<w$}  {board}{mark}\n",
                        w = self.stmt_width
                    ));
                }
                Row::Read {
                    line,
                    text: stmt,
                    values,
                } => {
                    text.push_str(&format!(
                        "{line:>4}  {stmt:<w$}  {values}\n",
                        w = self.stmt_width
                    ));
                }
                Row::Iteration {
                    line,
                    text: stmt,
                    label,
                } => {
                    text.push_str(&format!(
                        "{line:>4}  {stmt:<w$}  ── {label}\n",
                        w = self.stmt_width
                    ));
                }
            }
        }
        if let Err(e) = self.out.write_all(text.as_bytes()) {
            self.error = Some(e);
        }
    }

    fn stmt_text(&self, stmt: &Stmt, depth: usize) -> String {
        let mut t = format!("{}{}", "  ".repeat(depth), head(stmt, self.src));
        if t.chars().count() > self.stmt_width {
            t = t
                .chars()
                .take(self.stmt_width.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        t
    }
}

fn head(stmt: &Stmt, src: &str) -> String {
    let text = stmt.span.text(src);
    match &stmt.kind {
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
            text.split('{').next().unwrap_or("").trim_end().to_owned() + " { … }"
        }
        _ => text.lines().next().unwrap_or("").to_owned(),
    }
}

fn widest(stmt: &Stmt, src: &str, depth: usize, w: &mut usize) {
    *w = (*w).max(head(stmt, src).chars().count() + 2 * depth);
    if let StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } = &stmt.kind {
        for s in body {
            widest(s, src, depth + 1, w);
        }
    }
}

fn depth_of(stmt: &Stmt, lines: &crate::syntax::LineIndex, src: &str) -> usize {
    // Indentation as written, in steps of two spaces or a tab.
    let start = lines.line_start(lines.line(stmt.span.start as usize));
    let indent = &src[start..stmt.span.start as usize];
    indent
        .chars()
        .map(|c| if c == '\t' { 2 } else { 1 })
        .sum::<usize>()
        / 2
}

impl Observer for Trace<'_> {
    fn read(&mut self, read: Read) {
        self.pending_reads.push(read);
    }

    fn wants_steps(&self) -> bool {
        true
    }

    fn iteration(&mut self, stmt: &Stmt, label: String) {
        let line = self.lines.line(stmt.span.start as usize);
        let text = self.stmt_text(stmt, depth_of(stmt, &self.lines, self.src).min(4));
        self.push(Row::Iteration { line, text, label });
    }

    fn after(&mut self, stmt: &Stmt, machine: &Machine) {
        let line = self.lines.line(stmt.span.start as usize);
        let depth = depth_of(stmt, &self.lines, self.src).min(4);
        match &stmt.kind {
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => {}
            StmtKind::Read(_) => {
                let values: Vec<String> = self
                    .pending_reads
                    .drain(..)
                    .map(|r| format!("{} = {}", r.text, number::format(r.value)))
                    .collect();
                let text = self.stmt_text(stmt, depth);
                self.push(Row::Read {
                    line,
                    text,
                    values: values.join(", "),
                });
            }
            _ => {
                let board = machine.board();
                let slots = (0..board.extent())
                    .map(|i| {
                        board.name_in(i).map(|id| {
                            let v = machine.value(id).unwrap_or(0.0);
                            format!("{}={}", machine.names().text(id), number::format(v))
                        })
                    })
                    .collect();
                let full = board.occupancy() >= machine.capacity();
                let text = self.stmt_text(stmt, depth);
                self.push(Row::Stmt {
                    line,
                    text,
                    slots,
                    full,
                });
            }
        }
    }
}
