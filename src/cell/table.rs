//! The gate table `wb compile` shows: the unit map, then one row per step
//! with its forget / input / output gates per unit (`1`, `0`, or `~` where
//! the gate depends on the data) under unit numbers, its statements and
//! their candidates, then a legend of the notation; laid out to fit a width
//! (wrapping and cutting long text, listing the gates when a grid of them
//! would not fit).

use super::{ActionKind, Cell, Node, Operand, Step, WriteMode};
use crate::layout::{self, chars, cut, pad, pad_left, wrap};

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

/// The gates of one unit in one step, for a unit whose gates are not at
/// rest (`f = 1, i = 0, o = 0`: kept, not written, not read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitGates {
    /// The unit.
    pub unit: usize,
    /// `f`.
    pub f: GateValue,
    /// `i`.
    pub i: GateValue,
    /// `o`.
    pub o: GateValue,
}

/// The gates of `step` for the units it touches (writes, forgets or reads),
/// by unit number; every other unit's gates are at rest. Its size is what
/// the step's statements touch, not the cell's units.
pub fn touched(step: &Step) -> Vec<UnitGates> {
    use GateValue::*;
    // Every setting in the order the step makes it (`None`: the unit is
    // read), then sorted by unit, keeping that order within a unit.
    let mut events: Vec<(usize, Option<(GateValue, GateValue)>)> = Vec::new();
    let read = |op: Operand, events: &mut Vec<(usize, Option<(GateValue, GateValue)>)>| {
        if let Operand::Unit(u) = op {
            events.push((u, None));
        }
    };
    for instr in &step.instrs {
        read(instr.a, &mut events);
        read(instr.b, &mut events);
    }
    for a in &step.actions {
        match &a.kind {
            ActionKind::Write { unit, mode, .. } => {
                let fi = match mode {
                    WriteMode::Set => (Zero, One),
                    WriteMode::Accumulate { .. } => (One, One),
                    WriteMode::When { .. } | WriteMode::Soft { .. } => (Data, Data),
                };
                events.push((*unit, Some(fi)));
            }
            ActionKind::Forget(us) => events.extend(us.iter().map(|&u| (u, Some((Zero, Zero))))),
            ActionKind::Read(outs) => {
                for (_, op) in outs {
                    read(*op, &mut events);
                }
            }
        }
    }
    events.sort_by_key(|e| e.0);
    let mut g: Vec<UnitGates> = Vec::new();
    for (unit, set) in events {
        if g.last().is_none_or(|x| x.unit != unit) {
            g.push(UnitGates {
                unit,
                f: One,
                i: Zero,
                o: Zero,
            });
        }
        if let Some(x) = g.last_mut() {
            match set {
                Some((f, i)) => {
                    x.f = f;
                    x.i = i;
                }
                None => x.o = One,
            }
        }
    }
    g
}

/// The gates of `step` in a cell of `units` units, every unit's (the
/// pictures draw them all); units past `units` are left out.
pub fn gates(step: &Step, units: usize) -> Gates {
    use GateValue::*;
    let mut g = Gates {
        f: vec![One; units],
        i: vec![Zero; units],
        o: vec![Zero; units],
    };
    for t in touched(step) {
        if t.unit < units {
            g.f[t.unit] = t.f;
            g.i[t.unit] = t.i;
            g.o[t.unit] = t.o;
        }
    }
    g
}

/// Lines a statement or a candidate may wrap to before it is cut with `…`.
const MAX_LINES: usize = 3;

/// The narrowest column of statements and candidates beside a grid of
/// gates; with less room the gates are listed instead.
const MIN_TEXT: usize = 28;

/// The whole display, unit map, gate table and legend, in lines of at most
/// `width` characters (at least [`layout::MIN_WIDTH`]).
pub fn render(cell: &Cell, width: usize) -> String {
    let width = width.max(layout::MIN_WIDTH);
    let mut out = Vec::new();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    out.push(format!(
        "{} (board {}), {}",
        plural(cell.units, "unit"),
        cell.capacity,
        plural(cell.step_count(), "step")
    ));
    let intro = "each unit holds these names, from the write to the forget (lines):";
    out.extend(wrap(intro, width, MAX_LINES));
    let label_w = chars(&format!("u[{}]", cell.units.saturating_sub(1)));
    // Each unit's stays, in the order they were made.
    let mut by_unit: Vec<usize> = (0..cell.residences.len()).collect();
    by_unit.sort_by_key(|&r| cell.residences[r].unit);
    let mut next = 0;
    for u in 0..cell.units {
        let first = next;
        while by_unit
            .get(next)
            .is_some_and(|&r| cell.residences[r].unit == u)
        {
            next += 1;
        }
        let stays: Vec<String> = by_unit[first..next]
            .iter()
            .map(|&r| &cell.residences[r])
            .map(|r| {
                let name = cut(cell.names.text(r.name), width / 2);
                format!("{name} ({}–{})", r.from_line, r.to_line)
            })
            .collect();
        let label = pad(&format!("u[{u}]"), label_w);
        let text_w = width - 4 - label_w;
        for (k, line) in wrap(&stays.join(", "), text_w, MAX_LINES)
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                label.clone()
            } else {
                pad("", label_w)
            };
            out.push(format!("  {head}  {line}"));
        }
    }
    let mut rows = Vec::new();
    let mut number = 0;
    collect(cell, &cell.nodes, 0, &mut number, &mut rows);
    out.push(String::new());
    Grid::new(cell.units, width).table(&rows, &mut out);
    out.push(String::new());
    legend(width, &mut out);
    let mut text = String::new();
    for line in out {
        // Every line was laid out to fit; this only makes sure of it.
        text.push_str(cut(&line, width).trim_end());
        text.push('\n');
    }
    text
}

/// One of a unit's three gates.
type Pick = fn(&UnitGates) -> GateValue;

/// How the gates are shown: a grid of one column per unit, or, when that
/// leaves too little room, a list of the units whose gates are not at rest.
struct Grid {
    units: usize,
    width: usize,
    /// Characters per unit number.
    digits: usize,
    /// Characters of one gate's column (0 when the gates are listed).
    gate_w: usize,
}

impl Grid {
    fn new(units: usize, width: usize) -> Grid {
        let digits = units.saturating_sub(1).to_string().len();
        let gate_w = (units * (digits + 1)).saturating_sub(1).max(1);
        let grid = Grid {
            units,
            width,
            digits,
            gate_w,
        };
        if grid.text_w() >= MIN_TEXT {
            grid
        } else {
            Grid { gate_w: 0, ..grid }
        }
    }

    /// Where the statements start.
    fn prefix(&self) -> usize {
        if self.gate_w == 0 {
            6
        } else {
            6 + 3 * (self.gate_w + 2)
        }
    }

    fn text_w(&self) -> usize {
        self.width.saturating_sub(self.prefix())
    }

    /// One gate of every unit, in the grid's columns (only drawn when a
    /// column per unit fits the width).
    fn cells(
        &self,
        gates: &[UnitGates],
        pick: fn(&UnitGates) -> GateValue,
        rest: GateValue,
    ) -> String {
        let mut v = vec![rest; self.units];
        for g in gates {
            if let Some(x) = v.get_mut(g.unit) {
                *x = pick(g);
            }
        }
        let cells: Vec<String> = v
            .iter()
            .map(|g| pad_left(&g.symbol().to_string(), self.digits))
            .collect();
        cells.join(" ")
    }

    /// The gates of a step as lines: `f 0: u[0] u[1]` …; the units whose
    /// gate is at rest (f = 1, i = 0, o = 0) are left out.
    fn listed(&self, gates: &[UnitGates]) -> Vec<String> {
        use GateValue::*;
        let mut parts = Vec::new();
        let picks: [(&str, Pick, GateValue); 3] = [
            ("f", |g| g.f, One),
            ("i", |g| g.i, Zero),
            ("o", |g| g.o, Zero),
        ];
        for (name, pick, rest) in picks {
            for value in [Zero, One, Data] {
                if value == rest {
                    continue;
                }
                let units: Vec<String> = gates
                    .iter()
                    .filter(|g| pick(g) == value)
                    .map(|g| g.unit.to_string())
                    .collect();
                if !units.is_empty() {
                    parts.push(format!("{name}={}: {}", value.symbol(), units.join(" ")));
                }
            }
        }
        if parts.is_empty() {
            parts.push("every unit kept, none written or read".to_owned());
        }
        wrap(
            &format!("gates {}", parts.join("; ")),
            self.text_w(),
            usize::MAX,
        )
    }

    fn table(&self, rows: &[Row], out: &mut Vec<String>) {
        let text_w = self.text_w();
        // Statements beside their candidates if every pair fits.
        let (mut stmt_w, mut cand_w) = ("statement".len(), 0);
        for r in rows {
            if let Row::Step { entries, depth, .. } = r {
                for (stmt, cands) in entries {
                    stmt_w = stmt_w.max(2 * depth + chars(stmt));
                    cand_w = cands.iter().map(|c| chars(c)).fold(cand_w, usize::max);
                }
            }
        }
        let side = stmt_w + 2 + cand_w.max("candidate".len()) <= text_w;
        let gates_head = if self.gate_w == 0 {
            String::new()
        } else {
            let units: Vec<String> = (0..self.units)
                .map(|u| pad_left(&u.to_string(), self.digits))
                .collect();
            let units = units.join(" ");
            out.push(format!(
                "      {}  {}  {}",
                pad("f", self.gate_w),
                pad("i", self.gate_w),
                pad("o", self.gate_w)
            ));
            format!("{units}  {units}  {units}  ")
        };
        out.push(if side {
            format!("step  {gates_head}{}  candidate", pad("statement", stmt_w))
        } else {
            format!("step  {gates_head}statement, then its candidate")
        });
        for r in rows {
            match r {
                Row::Note { depth, text } => {
                    let indent = "  "
                        .repeat(*depth)
                        .chars()
                        .take(self.width / 2)
                        .collect::<String>();
                    out.push(format!(
                        "      {}",
                        cut(&format!("{indent}{text}"), self.width - 6)
                    ));
                }
                Row::Step {
                    number,
                    depth,
                    gates,
                    entries,
                } => {
                    let mut lines = Vec::new();
                    if self.gate_w == 0 {
                        lines.extend(self.listed(gates));
                    }
                    let indent = (2 * depth).min(text_w / 2);
                    let indent_s = " ".repeat(indent);
                    for (stmt, cands) in entries {
                        if side {
                            let stmt_lines = [format!("{indent_s}{stmt}")];
                            let cands = pack(cands, text_w - stmt_w - 2);
                            let n = stmt_lines.len().max(cands.len());
                            for k in 0..n {
                                let s = stmt_lines.get(k).map_or("", String::as_str);
                                let c = cands.get(k).map_or("", String::as_str);
                                lines.push(format!("{}  {c}", pad(s, stmt_w)));
                            }
                        } else {
                            let w = text_w - indent;
                            for l in wrap(stmt, w, MAX_LINES) {
                                lines.push(format!("{indent_s}{l}"));
                            }
                            for l in pack(cands, w.saturating_sub(2).max(1)) {
                                lines.push(format!("{indent_s}  {l}"));
                            }
                        }
                    }
                    let blank = " ".repeat(self.prefix());
                    for (k, line) in lines.into_iter().enumerate() {
                        let head = if k > 0 {
                            blank.clone()
                        } else if self.gate_w == 0 {
                            format!("{}  ", pad_left(&number.to_string(), 4))
                        } else {
                            format!(
                                "{}  {}  {}  {}  ",
                                pad_left(&number.to_string(), 4),
                                self.cells(gates, |g| g.f, GateValue::One),
                                self.cells(gates, |g| g.i, GateValue::Zero),
                                self.cells(gates, |g| g.o, GateValue::Zero)
                            )
                        };
                        out.push(format!("{head}{line}"));
                    }
                }
            }
        }
    }
}

/// Candidates in lines of at most `w` characters, as many to a line as fit
/// (three spaces apart); one too long for a line wraps on its own.
fn pack(cands: &[String], w: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for c in cands {
        let n = chars(c);
        if !line.is_empty() && chars(&line) + 3 + n <= w {
            line.push_str("   ");
            line.push_str(c);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if n <= w {
            line = c.clone();
        } else {
            lines.extend(wrap(c, w, MAX_LINES));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// What the notation means, wrapped to `width`.
fn legend(width: usize, out: &mut Vec<String>) {
    const LEGEND: [&str; 5] = [
        "f, i, o: each unit's forget, input and output gate (units by number): \
         f = 1 keeps the unit, 0 erases it; i = 1 writes the candidate; o = 1 \
         reads the unit; ~ is set by the data, row by row.",
        "u[N] ← e: unit N takes the value of e (f = 0, i = 1). h[N] is unit N \
         as the step reads it (o = 1); other names are inputs and stream elements.",
        "u[N] ← c[N] + e: an accumulation: f = 1 keeps c[N], i = 1 adds e.",
        "u[N]: g = e, i = …, f = 1 − i: a gated write of the candidate g, \
         c[N] becomes f · c[N] + i · g.",
        "y[K] ← e: the cell's output K, a read.",
    ];
    for item in LEGEND {
        for (k, line) in wrap(item, width - 2, usize::MAX).into_iter().enumerate() {
            out.push(if k == 0 { line } else { format!("  {line}") });
        }
    }
}

enum Row {
    Step {
        number: usize,
        depth: usize,
        /// The units the step touches.
        gates: Vec<UnitGates>,
        /// Each statement with its candidates.
        entries: Vec<(String, Vec<String>)>,
    },
    Note {
        depth: usize,
        text: String,
    },
}

fn collect(cell: &Cell, nodes: &[Node], depth: usize, number: &mut usize, rows: &mut Vec<Row>) {
    for node in nodes {
        match node {
            Node::Step(step) => {
                *number += 1;
                let entries = step
                    .actions
                    .iter()
                    .map(|a| {
                        let text = first_line(cell.stmts[a.stmt].span.text(&cell.src));
                        let cands = a.shows.lines().map(str::to_owned).collect();
                        (text, cands)
                    })
                    .collect();
                rows.push(Row::Step {
                    number: *number,
                    depth,
                    gates: touched(step),
                    entries,
                });
            }
            Node::Each(e) => {
                let names: Vec<&str> = e.streams.iter().map(|s| cell.names.text(s.1)).collect();
                rows.push(Row::Note {
                    depth,
                    text: format!(
                        "each {} (line {}): once per element",
                        names.join(", "),
                        cell.stmts[e.stmt].line
                    ),
                });
                collect(cell, &e.body, depth + 1, number, rows);
                rows.push(Row::Note {
                    depth,
                    text: "end each".to_owned(),
                });
            }
            Node::Repeat(r) => {
                rows.push(Row::Note {
                    depth,
                    text: format!("repeat {} (line {}):", r.count, cell.stmts[r.stmt].line),
                });
                collect(cell, &r.body, depth + 1, number, rows);
                rows.push(Row::Note {
                    depth,
                    text: "end repeat".to_owned(),
                });
            }
        }
    }
}

/// The first line of a statement, `…` if there is more.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim_end();
    if line.len() < s.trim_end().len() {
        format!("{line} …")
    } else {
        line.to_owned()
    }
}
