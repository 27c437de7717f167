//! `wb compile --emit json`: the whole cell as one JSON object. The schema
//! is documented in `docs/cell.md`.

use serde_json::{json, Value};

use super::table::{gates, GateValue};
use super::{ActionKind, Cell, InstrOp, Node, Operand, WriteMode};
use crate::syntax::{LineIndex, Span};

/// The cell as JSON.
pub fn emit(cell: &Cell) -> Value {
    let mut number = 0;
    let lines = LineIndex::new(&cell.src);
    json!({
        "format": "wb-cell/1",
        "units": cell.units,
        "capacity": cell.capacity,
        "inputs": cell.inputs.iter().map(|&n| cell.names.text(n)).collect::<Vec<_>>(),
        "streams": cell.streams.iter().map(|&n| cell.names.text(n)).collect::<Vec<_>>(),
        "constants": cell.consts,
        "registers": cell.temps,
        "unit_map": cell.residences.iter().map(|r| json!({
            "unit": r.unit,
            "name": cell.names.text(r.name),
            "from_line": r.from_line,
            "to_line": r.to_line,
        })).collect::<Vec<_>>(),
        "reads": cell.reads.iter().enumerate().map(|(i, r)| json!({
            "site": i,
            "text": r.text,
            "line": r.line,
            "in_loop": r.in_loop,
        })).collect::<Vec<_>>(),
        "schedule": nodes(cell, &lines, &cell.nodes, &mut number),
    })
}

fn nodes(cell: &Cell, lines: &LineIndex, list: &[Node], number: &mut usize) -> Vec<Value> {
    list.iter().map(|n| node(cell, lines, n, number)).collect()
}

fn node(cell: &Cell, lines: &LineIndex, n: &Node, number: &mut usize) -> Value {
    match n {
        Node::Each(e) => json!({ "each": {
            "line": cell.stmts[e.stmt].line,
            "streams": e.streams.iter().map(|s| cell.names.text(s.1)).collect::<Vec<_>>(),
            "body": nodes(cell, lines, &e.body, number),
        }}),
        Node::Repeat(r) => json!({ "repeat": {
            "line": cell.stmts[r.stmt].line,
            "count": r.count,
            "body": nodes(cell, lines, &r.body, number),
        }}),
        Node::Step(step) => {
            *number += 1;
            let g = gates(step, cell.units);
            let line = |s: Span| lines.line(s.start as usize);
            json!({
                "step": *number,
                "statements": step.actions.iter().map(|a| {
                    let s = &cell.stmts[a.stmt];
                    json!({ "line": s.line, "text": s.span.text(&cell.src) })
                }).collect::<Vec<_>>(),
                "f": gate_list(&g.f),
                "i": gate_list(&g.i),
                "o": gate_list(&g.o),
                "instructions": step.instrs.iter().map(|i| json!({
                    "op": op_name(i.op),
                    "a": operand(i.a),
                    "b": if matches!(i.op, InstrOp::Bin(_)) || matches!(i.op, InstrOp::Call(f) if f.arity() == 2) { operand(i.b) } else { Value::Null },
                    "dst": i.dst,
                    "action": i.action,
                    "guard": i.guard.map_or(Value::Null, operand),
                    "line": line(i.span),
                })).collect::<Vec<_>>(),
                "actions": step.actions.iter().map(|a| {
                    let mut v = match &a.kind {
                        ActionKind::Write { unit, value, mode, .. } => {
                            let mut w = json!({ "unit": unit, "value": operand(*value) });
                            match mode {
                                WriteMode::Set => w["mode"] = json!("set"),
                                WriteMode::Accumulate { x_first, .. } => {
                                    w["mode"] = json!("accumulate");
                                    w["x_first"] = json!(x_first);
                                }
                                WriteMode::When { gate, .. } => {
                                    w["mode"] = json!("when");
                                    w["gate"] = operand(*gate);
                                }
                                WriteMode::Soft { gate, .. } => {
                                    w["mode"] = json!("soft");
                                    w["gate"] = operand(*gate);
                                }
                            }
                            json!({ "write": w })
                        }
                        ActionKind::Forget(us) => json!({ "forget": us }),
                        ActionKind::Read(outs) => json!({ "read": outs.iter().map(|(site, op)| json!({
                            "site": site, "value": operand(*op)
                        })).collect::<Vec<_>>() }),
                    };
                    v["statement_line"] = json!(cell.stmts[a.stmt].line);
                    v["candidate"] = json!(a.shows);
                    v
                }).collect::<Vec<_>>(),
            })
        }
    }
}

fn gate_list(v: &[GateValue]) -> Value {
    Value::Array(
        v.iter()
            .map(|g| match g {
                GateValue::Zero => json!(0),
                GateValue::One => json!(1),
                GateValue::Data => json!("~"),
            })
            .collect(),
    )
}

fn operand(o: Operand) -> Value {
    match o {
        Operand::Unit(u) => json!({ "unit": u }),
        Operand::Input(i) => json!({ "input": i }),
        Operand::Elem(s) => json!({ "element": s }),
        Operand::Const(c) => json!({ "const": c }),
        Operand::Temp(t) => json!({ "temp": t }),
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
