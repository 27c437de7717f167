//! `wb compile --emit json`: the whole cell as one JSON object, written as
//! it is produced (no tree of the whole cell is built). The schema,
//! `wb-cell/2`, is documented in `docs/cell.md`: a step lists the gates of
//! the units it touches only, so the output's size is the program's, not
//! steps × units.
//!
//! This module knows the cell and JSON's syntax, nothing of where the text
//! goes.

use std::io::{self, Write};

use super::table::{touched, GateValue};
use super::{ActionKind, Cell, InstrOp, Node, Operand, Step, WriteMode};
use crate::syntax::{LineIndex, Span};

/// The schema's name and version, the object's `format`.
pub const FORMAT: &str = "wb-cell/2";

/// Writes the cell as one JSON object and a line end to `out`.
pub fn write(cell: &Cell, out: &mut dyn Write) -> io::Result<()> {
    let mut j = Json { out };
    let lines = LineIndex::new(&cell.src);
    j.raw("{\"format\":")?;
    j.str(FORMAT)?;
    write!(
        j.out,
        ",\"units\":{},\"capacity\":{},\"inputs\":",
        cell.units, cell.capacity
    )?;
    j.list(&cell.inputs, |j, &n| j.str(cell.names.text(n)))?;
    j.raw(",\"streams\":")?;
    j.list(&cell.streams, |j, &n| j.str(cell.names.text(n)))?;
    j.raw(",\"constants\":")?;
    j.list(&cell.consts, |j, &v| j.num(v))?;
    write!(j.out, ",\"registers\":{},\"unit_map\":", cell.temps)?;
    j.list(&cell.residences, |j, r| {
        write!(j.out, "{{\"unit\":{},\"name\":", r.unit)?;
        j.str(cell.names.text(r.name))?;
        write!(
            j.out,
            ",\"from_line\":{},\"to_line\":{}}}",
            r.from_line, r.to_line
        )
    })?;
    j.raw(",\"reads\":")?;
    j.list(cell.reads.iter().enumerate(), |j, (i, r)| {
        write!(j.out, "{{\"site\":{i},\"text\":")?;
        j.str(&r.text)?;
        write!(j.out, ",\"line\":{},\"in_loop\":{}}}", r.line, r.in_loop)
    })?;
    j.raw(",\"schedule\":")?;
    let mut number = 0;
    j.nodes(cell, &lines, &cell.nodes, &mut number)?;
    j.raw("}\n")
}

/// The cell as JSON text (for tests and small cells; `wb compile` streams
/// with [`write`]).
pub fn to_string(cell: &Cell) -> String {
    let mut out = Vec::new();
    // Writing to a vector cannot fail.
    let _ = write(cell, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

struct Json<'a> {
    out: &'a mut dyn Write,
}

impl Json<'_> {
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, s).map_err(io::Error::other)
    }

    fn num(&mut self, v: f64) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, &v).map_err(io::Error::other)
    }

    fn list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.raw("[")?;
        for (k, item) in items.into_iter().enumerate() {
            if k > 0 {
                self.raw(",")?;
            }
            each(self, item)?;
        }
        self.raw("]")
    }

    fn nodes(
        &mut self,
        cell: &Cell,
        lines: &LineIndex,
        list: &[Node],
        number: &mut usize,
    ) -> io::Result<()> {
        self.list(list, |j, n| j.node(cell, lines, n, number))
    }

    fn node(
        &mut self,
        cell: &Cell,
        lines: &LineIndex,
        n: &Node,
        number: &mut usize,
    ) -> io::Result<()> {
        match n {
            Node::Each(e) => {
                write!(
                    self.out,
                    "{{\"each\":{{\"line\":{},\"streams\":",
                    cell.stmts[e.stmt].line
                )?;
                self.list(&e.streams, |j, s| j.str(cell.names.text(s.1)))?;
                self.raw(",\"body\":")?;
                self.nodes(cell, lines, &e.body, number)?;
                self.raw("}}")
            }
            Node::Repeat(r) => {
                write!(
                    self.out,
                    "{{\"repeat\":{{\"line\":{},\"count\":{},\"body\":",
                    cell.stmts[r.stmt].line, r.count
                )?;
                self.nodes(cell, lines, &r.body, number)?;
                self.raw("}}")
            }
            Node::Step(step) => {
                *number += 1;
                self.step(cell, lines, step, *number)
            }
        }
    }

    fn step(
        &mut self,
        cell: &Cell,
        lines: &LineIndex,
        step: &Step,
        number: usize,
    ) -> io::Result<()> {
        write!(self.out, "{{\"step\":{number},\"statements\":")?;
        self.list(&step.actions, |j, a| {
            let s = &cell.stmts[a.stmt];
            write!(j.out, "{{\"line\":{},\"text\":", s.line)?;
            j.str(s.span.text(&cell.src))?;
            j.raw("}")
        })?;
        self.raw(",\"gates\":")?;
        self.list(touched(step), |j, g| {
            write!(j.out, "{{\"unit\":{},\"f\":", g.unit)?;
            j.gate(g.f)?;
            j.raw(",\"i\":")?;
            j.gate(g.i)?;
            j.raw(",\"o\":")?;
            j.gate(g.o)?;
            j.raw("}")
        })?;
        self.raw(",\"instructions\":")?;
        let line = |s: Span| lines.line(s.start as usize);
        self.list(&step.instrs, |j, i| {
            j.raw("{\"op\":")?;
            j.str(op_name(i.op))?;
            j.raw(",\"a\":")?;
            j.operand(i.a)?;
            j.raw(",\"b\":")?;
            let binary = matches!(i.op, InstrOp::Bin(_))
                || matches!(i.op, InstrOp::Call(f) if f.arity() == 2);
            if binary {
                j.operand(i.b)?;
            } else {
                j.raw("null")?;
            }
            write!(
                j.out,
                ",\"dst\":{},\"action\":{},\"guard\":",
                i.dst, i.action
            )?;
            match i.guard {
                Some(g) => j.operand(g)?,
                None => j.raw("null")?,
            }
            write!(j.out, ",\"line\":{}}}", line(i.span))
        })?;
        self.raw(",\"actions\":")?;
        self.list(&step.actions, |j, a| {
            j.raw("{")?;
            match &a.kind {
                ActionKind::Write {
                    unit, value, mode, ..
                } => {
                    write!(j.out, "\"write\":{{\"unit\":{unit},\"value\":")?;
                    j.operand(*value)?;
                    match mode {
                        WriteMode::Set => j.raw(",\"mode\":\"set\"")?,
                        WriteMode::Accumulate { x_first, .. } => {
                            write!(j.out, ",\"mode\":\"accumulate\",\"x_first\":{x_first}")?
                        }
                        WriteMode::When { gate, .. } => {
                            j.raw(",\"mode\":\"when\",\"gate\":")?;
                            j.operand(*gate)?;
                        }
                        WriteMode::Soft { gate, .. } => {
                            j.raw(",\"mode\":\"soft\",\"gate\":")?;
                            j.operand(*gate)?;
                        }
                    }
                    j.raw("}")?;
                }
                ActionKind::Forget(us) => {
                    j.raw("\"forget\":")?;
                    j.list(us, |j, u| write!(j.out, "{u}"))?;
                }
                ActionKind::Read(outs) => {
                    j.raw("\"read\":")?;
                    j.list(outs, |j, (site, op)| {
                        write!(j.out, "{{\"site\":{site},\"value\":")?;
                        j.operand(*op)?;
                        j.raw("}")
                    })?;
                }
            }
            write!(
                j.out,
                ",\"statement_line\":{},\"candidate\":",
                cell.stmts[a.stmt].line
            )?;
            j.str(&a.shows)?;
            j.raw("}")
        })?;
        self.raw("}")
    }

    fn gate(&mut self, g: GateValue) -> io::Result<()> {
        self.raw(match g {
            GateValue::Zero => "0",
            GateValue::One => "1",
            GateValue::Data => "\"~\"",
        })
    }

    fn operand(&mut self, o: Operand) -> io::Result<()> {
        match o {
            Operand::Unit(u) => write!(self.out, "{{\"unit\":{u}}}"),
            Operand::Input(i) => write!(self.out, "{{\"input\":{i}}}"),
            Operand::Elem(s) => write!(self.out, "{{\"element\":{s}}}"),
            Operand::Const(c) => write!(self.out, "{{\"const\":{c}}}"),
            Operand::Temp(t) => write!(self.out, "{{\"temp\":{t}}}"),
        }
    }
}

fn op_name(op: InstrOp) -> &'static str {
    match op {
        InstrOp::Bin(b) => b.symbol(),
        InstrOp::Neg => "neg",
        InstrOp::Call(f) => f.name(),
        InstrOp::Copy => "copy",
    }
}
