//! The gate table `wb compile` shows: the unit map, then one row per step
//! with its statements, its forget / input / output gates per unit (`1`,
//! `0`, or `~` where the gate depends on the data) and its candidates.

use super::{ActionKind, Cell, Node, Operand, Step, WriteMode};

/// A gate's setting for one unit in one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateValue {
    /// Closed.
    Zero,
    /// Open.
    One,
    /// Set per row by the data (`when`, `gate`).
    Data,
}

impl GateValue {
    /// `0`, `1` or `~`.
    pub fn symbol(self) -> char {
        match self {
            GateValue::Zero => '0',
            GateValue::One => '1',
            GateValue::Data => '~',
        }
    }
}

/// The forget, input and output gates of a step, one entry per unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gates {
    /// `f`: 1 keeps the unit, 0 erases it.
    pub f: Vec<GateValue>,
    /// `i`: 1 writes the candidate.
    pub i: Vec<GateValue>,
    /// `o`: 1 where the step reads the unit.
    pub o: Vec<GateValue>,
}

/// The gates of `step` in a cell of `units` units.
pub fn gates(step: &Step, units: usize) -> Gates {
    use GateValue::*;
    let mut g = Gates {
        f: vec![One; units],
        i: vec![Zero; units],
        o: vec![Zero; units],
    };
    let read = |op: Operand, o: &mut Vec<GateValue>| {
        if let Operand::Unit(u) = op {
            if let Some(x) = o.get_mut(u) {
                *x = One;
            }
        }
    };
    for instr in &step.instrs {
        read(instr.a, &mut g.o);
        read(instr.b, &mut g.o);
    }
    for a in &step.actions {
        match &a.kind {
            ActionKind::Write { unit, mode, .. } => {
                let (f, i) = match mode {
                    WriteMode::Set => (Zero, One),
                    WriteMode::Accumulate { .. } => (One, One),
                    WriteMode::When { .. } | WriteMode::Soft { .. } => (Data, Data),
                };
                if let (Some(fu), Some(iu)) = (g.f.get_mut(*unit), g.i.get_mut(*unit)) {
                    *fu = f;
                    *iu = i;
                }
            }
            ActionKind::Forget(us) => {
                for &u in us {
                    if let (Some(fu), Some(iu)) = (g.f.get_mut(u), g.i.get_mut(u)) {
                        *fu = Zero;
                        *iu = Zero;
                    }
                }
            }
            ActionKind::Read(outs) => {
                for (_, op) in outs {
                    read(*op, &mut g.o);
                }
            }
        }
    }
    g
}

/// The whole display: unit map and gate table.
pub fn render(cell: &Cell) -> String {
    let mut out = String::new();
    let plural = if cell.units == 1 { "" } else { "s" };
    out.push_str(&format!(
        "{} unit{plural} (board {}), {} step{}\n",
        cell.units,
        cell.capacity,
        cell.step_count(),
        if cell.step_count() == 1 { "" } else { "s" }
    ));
    for u in 0..cell.units {
        let stays: Vec<String> = cell
            .residences
            .iter()
            .filter(|r| r.unit == u)
            .map(|r| {
                format!(
                    "{} ({}–{})",
                    cell.names.text(r.name),
                    r.from_line,
                    r.to_line
                )
            })
            .collect();
        out.push_str(&format!("  u{u}: {}\n", stays.join(", ")));
    }
    let mut rows = Vec::new();
    let mut number = 0;
    collect(cell, &cell.nodes, 0, &mut number, &mut rows);
    let width = rows
        .iter()
        .filter_map(|r| match r {
            Row::Step { text, .. } => Some(text.chars().count()),
            Row::Note(_) => None,
        })
        .max()
        .unwrap_or(10)
        .max(10);
    let gw = (2 * cell.units).max(2).saturating_sub(1).max(1);
    out.push('\n');
    out.push_str(&format!(
        "step  {:<width$}  {:<gw$}  {:<gw$}  {:<gw$}  candidates\n",
        "statements", "f", "i", "o"
    ));
    for r in rows {
        match r {
            Row::Note(text) => out.push_str(&format!("      {text}\n")),
            Row::Step {
                number,
                text,
                gates,
                candidates,
            } => {
                let show = |v: &[GateValue]| {
                    v.iter()
                        .map(|g| g.symbol().to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let pad = width - text.chars().count();
                let line = format!(
                    "{number:>4}  {text}{}  {:<gw$}  {:<gw$}  {:<gw$}  {candidates}",
                    " ".repeat(pad),
                    show(&gates.f),
                    show(&gates.i),
                    show(&gates.o),
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
    out
}

enum Row {
    Step {
        number: usize,
        text: String,
        gates: Gates,
        candidates: String,
    },
    Note(String),
}

fn collect(cell: &Cell, nodes: &[Node], depth: usize, number: &mut usize, rows: &mut Vec<Row>) {
    let indent = "  ".repeat(depth);
    for node in nodes {
        match node {
            Node::Step(step) => {
                *number += 1;
                let text: Vec<String> = step
                    .actions
                    .iter()
                    .map(|a| first_line(cell.stmts[a.stmt].span.text(&cell.src)))
                    .collect();
                let candidates: Vec<&str> = step
                    .actions
                    .iter()
                    .filter(|a| !a.shows.is_empty())
                    .map(|a| a.shows.as_str())
                    .collect();
                rows.push(Row::Step {
                    number: *number,
                    text: format!("{indent}{}", text.join("; ")),
                    gates: gates(step, cell.units),
                    candidates: candidates.join("   "),
                });
            }
            Node::Each(e) => {
                let names: Vec<&str> = e.streams.iter().map(|s| cell.names.text(s.1)).collect();
                rows.push(Row::Note(format!(
                    "{indent}each {} (line {}): once per element",
                    names.join(", "),
                    cell.stmts[e.stmt].line
                )));
                collect(cell, &e.body, depth + 1, number, rows);
                rows.push(Row::Note(format!("{indent}end each")));
            }
            Node::Repeat(r) => {
                rows.push(Row::Note(format!(
                    "{indent}repeat {} (line {}):",
                    r.count, cell.stmts[r.stmt].line
                )));
                collect(cell, &r.body, depth + 1, number, rows);
                rows.push(Row::Note(format!("{indent}end repeat")));
            }
        }
    }
}

/// The first line of a statement (a loop's header), `…` if there is more.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim_end();
    if line.len() < s.trim_end().len() {
        format!("{line} …")
    } else {
        line.to_owned()
    }
}
