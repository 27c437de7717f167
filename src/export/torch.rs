//! The PyTorch layout: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` of a
//! `torch.nn.LSTMCell` (gates i, f, g, o) in safetensors, and the JSON
//! sidecar (format `wb-export`, version 1) that says how to build each
//! step's input and decode each read. docs/export.md §5 is its schema.

use std::collections::HashMap;

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde_json::{json, Value};

use super::Export;
use crate::syntax::{BinOp, Names, Op, OpKind};

/// The sidecar's format version.
pub const SIDECAR_VERSION: u64 = 1;

fn bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The safetensors file; `metadata` goes into its header.
pub fn safetensors(ex: &Export, metadata: HashMap<String, String>) -> Result<Vec<u8>, String> {
    let l = &ex.lstm;
    let (h, d) = (l.hidden, l.input());
    let data = [
        ("weight_ih", bytes(&l.w_ih), vec![4 * h, d]),
        ("weight_hh", bytes(&l.w_hh), vec![4 * h, h]),
        ("bias_ih", bytes(&l.b_ih), vec![4 * h]),
        ("bias_hh", bytes(&l.b_hh), vec![4 * h]),
    ];
    let mut views = Vec::new();
    for (name, raw, shape) in &data {
        let v = TensorView::new(Dtype::F32, shape.clone(), raw).map_err(|e| e.to_string())?;
        views.push((*name, v));
    }
    safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())
}

/// A postfix expression as JSON tokens: numbers, `{"name": …}`, operator
/// and function names (`"+"`, `"neg"`, `"min"`, …).
pub fn postfix(ops: &[Op], names: &Names) -> Value {
    Value::Array(
        ops.iter()
            .map(|o| match o.kind() {
                OpKind::Num(v) => json!(v),
                OpKind::Name(id) => json!({ "name": names.text(id) }),
                OpKind::Neg => json!("neg"),
                OpKind::Bin(b) => json!(b.symbol()),
                OpKind::Call(f) => json!(f.name()),
            })
            .collect(),
    )
}

/// The sidecar.
pub fn sidecar(ex: &Export, names: &Names, program: &str) -> Value {
    let l = &ex.lstm;
    let mut layout = Vec::new();
    for p in 0..l.phases {
        layout.push(json!({ "column": p, "kind": "clock", "phase": p }));
    }
    for (j, f) in l.features.iter().enumerate() {
        layout.push(json!({
            "column": l.phases + j,
            "kind": "feature",
            "phase": f.phase,
            "postfix": postfix(&f.ops, names),
            "transform": if f.logit { "logit" } else { "value" },
        }));
    }
    let units: Vec<Value> = ex
        .plan
        .units
        .iter()
        .enumerate()
        .map(|(u, unit)| {
            json!({
                "unit": u,
                "name": unit.text,
                "start": postfix(&unit.init, names),
            })
        })
        .collect();
    let reads: Vec<Value> = ex
        .plan
        .reads
        .iter()
        .enumerate()
        .map(|(r, read)| {
            let units: serde_json::Map<String, Value> = ex
                .plan
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| read.expr.iter().any(|o| o.kind() == OpKind::Name(u.name)))
                .map(|(i, u)| (u.text.clone(), json!(i)))
                .collect();
            json!({
                "output": super::onnx::read_name(r),
                "text": read.text,
                "line": read.line,
                "where": if read.phase.is_some() { "loop" } else { "after" },
                "phase": read.phase,
                "units": units,
                "postfix": postfix(&read.expr, names),
                "bound": ex.bound.per_read[r].iter().copied().fold(0.0, f64::max),
            })
        })
        .collect();
    let domain = domain(ex);
    json!({
        "format": "wb-export",
        "version": SIDECAR_VERSION,
        "program": program,
        "cell": "torch.nn.LSTMCell",
        "gate_order": "i,f,g,o",
        "input_size": l.input(),
        "hidden_size": l.hidden,
        "steps_per_element": l.phases,
        "scale": l.scale,
        "gain": l.gain,
        "comparison_gain": l.k,
        "loop": match ex.plan.repeat {
            Some(n) => json!({ "kind": "repeat", "count": n }),
            None => json!({
                "kind": "each",
                "streams": ex.streams.iter().filter(|s| s.1).map(|s| s.0.clone()).collect::<Vec<_>>(),
            }),
        },
        "inputs": ex.inputs.iter().filter(|i| i.1).map(|i| i.0.clone()).collect::<Vec<_>>(),
        "input_layout": layout,
        "units": units,
        "h0_mask": l.open[l.phases - 1],
        "reads": reads,
        "bound": ex.bound.max,
        "domain": domain,
        "assumptions": assumptions(),
    })
}

/// The domain the bound is stated for, as JSON.
pub fn domain(ex: &Export) -> Value {
    let mut ranges = serde_json::Map::new();
    for (i, (name, used)) in ex.inputs.iter().enumerate() {
        if let (true, Some((lo, hi))) = (*used, ex.ranges.scalars.get(i).copied().flatten()) {
            ranges.insert(name.clone(), json!([lo, hi]));
        }
    }
    for (i, (name, _)) in ex.streams.iter().enumerate() {
        if let Some((lo, hi)) = ex.ranges.streams.get(i).copied().flatten() {
            ranges.insert(name.clone(), json!([lo, hi]));
        }
    }
    json!({
        "ranges": ranges,
        "min_len": ex.bound.min_len,
        "max_len": ex.max_len,
    })
}

/// The activation accuracy the bound assumes, as JSON.
pub fn assumptions() -> Value {
    let a = super::ASSUMED;
    json!({
        "tanh_relative": a.tanh_rel,
        "sigmoid_absolute": a.sigmoid_abs,
        "sigmoid_saturated_beyond_gain": a.saturated,
    })
}

/// The operator a postfix token names (for readers of the sidecar).
pub fn binop(symbol: &str) -> Option<BinOp> {
    BinOp::ALL.into_iter().find(|b| b.symbol() == symbol)
}
