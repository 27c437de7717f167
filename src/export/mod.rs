//! `wb export`: the recurrent part of a checked program as one standard LSTM
//! layer, with an error bound computed from the ranges the user states.
//!
//! Owns: the fragment and its refusals (`fragment.rs`), the construction of
//! the weights (`lstm.rs`), the bound (`bound.rs`, over the evaluators in
//! `eval.rs`), the files: an ONNX graph (`onnx.rs`, the ONNX messages as
//! prost structs) and PyTorch-layout safetensors with a JSON sidecar
//! (`torch.rs`), and the three-way check's comparison (`verify.rs`).
//!
//! Must not know: the interpreter's or the cell's internals (it reads the
//! AST and `check`'s results; the check runs both engines through their
//! public entry points), command-line flags or output formats of `wb run`.
//! docs/export.md is the statement it implements.

pub mod bound;
pub mod eval;
pub mod fragment;
pub mod lstm;
pub mod onnx;
pub mod torch;
pub mod verify;

use std::sync::atomic::AtomicBool;

use crate::check::{Analysis, NameKind};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{NameId, OpKind, Program};

pub use bound::{Bound, Ranges, ASSUMED, GAIN};
pub use fragment::Plan;
pub use lstm::Lstm;

/// A program exported: the plan, the weights, the bound, and the domain.
#[derive(Clone, Debug)]
pub struct Export {
    /// The program as phases and units.
    pub plan: Plan,
    /// The weights and their input layout.
    pub lstm: Lstm,
    /// The bound.
    pub bound: Bound,
    /// The stated ranges.
    pub ranges: Ranges,
    /// The longest stream in the domain (`repeat`: its count).
    pub max_len: u64,
    /// Scalar inputs in declaration order: name and whether the model reads it.
    pub inputs: Vec<(String, bool)>,
    /// Streams in declaration order: name and whether `each` reads it.
    pub streams: Vec<(String, bool)>,
}

/// The largest scale: weights `1/scale` stay normal f32 numbers.
const MAX_SCALE_LOG2: i32 = 100;

/// Exports a checked program, or every reason it cannot be.
pub fn export(
    program: &Program,
    analysis: &Analysis,
    src: &str,
    ranges: Ranges,
    max_len: Option<u64>,
    stop: Option<&AtomicBool>,
) -> Result<Export, Vec<Diagnostic>> {
    let plan = fragment::plan(program, analysis, src)?;
    let symbols = &analysis.symbols;
    let used = used_inputs(program, &plan);
    let mut errors = Vec::new();
    for (i, inp) in symbols.inputs.iter().enumerate() {
        if used.contains(&inp.name) && ranges.scalars.get(i).copied().flatten().is_none() {
            let name = program.names.text(inp.name);
            let mut d = Diagnostic::error(
                Code::MissingRange,
                format!("input `{name}` has no range: the bound is a function of the ranges"),
                inp.span,
                "declared here",
            );
            d = match inp.default {
                Some(v) if v.abs() > 1e30 => d.with_help(format!(
                    "its default {} is outside what the scaled f32 state can hold next to the \
                     other values: state the values you will feed, e.g. `--range {name}=-100..-100` \
                     (a start no larger than your smallest element) and feed the same value to \
                     the model",
                    crate::number::format(v)
                )),
                _ => d.with_help(format!("state it: `--range {name}=LO..HI`")),
            };
            errors.push(d);
        }
    }
    for (i, s) in symbols.streams.iter().enumerate() {
        if used.contains(&s.name) && ranges.streams.get(i).copied().flatten().is_none() {
            let name = program.names.text(s.name);
            errors.push(
                Diagnostic::error(
                    Code::MissingRange,
                    format!(
                        "stream `{name}` has no range: an example's default stream says nothing \
                         about the data the model will see"
                    ),
                    s.span,
                    "declared here",
                )
                .with_help(format!("state it: `--range {name}=LO..HI`")),
            );
        }
    }
    if plan.repeat.is_none() && max_len.is_none() {
        let span = symbols
            .streams
            .first()
            .map_or(crate::syntax::Span::new(0, 0), |s| s.span);
        errors.push(
            Diagnostic::error(
                Code::MissingRange,
                "the streams have no length limit: leakage and rounding grow with the length",
                span,
                "a stream",
            )
            .with_help("state the longest stream the model will see: `--max-len N`"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let max_len = plan.repeat.or(max_len).unwrap_or(0);
    let first = bound::analyse(&plan, symbols, &ranges, max_len, None, ASSUMED, stop)
        .map_err(|d| vec![d])?;
    let m = first.magnitude.max(f64::MIN_POSITIVE);
    let e = m.log2().ceil() as i32 + 12;
    if e > MAX_SCALE_LOG2 {
        let span = plan.phases[0].span;
        return Err(vec![Diagnostic::error(
            Code::NotExportable,
            format!(
                "values reach {} within the stated ranges: scaled into tanh's linear regime \
                 they would need weights below f32's range",
                crate::number::format(first.magnitude)
            ),
            span,
            "in this loop",
        )
        .with_help("state narrower ranges with `--range` (a start of -1e300 cannot be exported: give the start a range like the data's)")]);
    }
    let scale = 2f64.powi(e.max(-MAX_SCALE_LOG2));
    let k_log = (GAIN * scale / (bound::U32 * m)).log2().ceil() as i32;
    let k = 2f64.powi(k_log.clamp(0, MAX_SCALE_LOG2 + e.max(0)));
    let lstm = lstm::build(&plan, scale, GAIN, k, src)?;
    let bound = bound::analyse(&plan, symbols, &ranges, max_len, Some(&lstm), ASSUMED, stop)
        .map_err(|d| vec![d])?;
    let inputs = symbols
        .inputs
        .iter()
        .map(|i| {
            (
                program.names.text(i.name).to_owned(),
                used.contains(&i.name),
            )
        })
        .collect();
    let streams = symbols
        .streams
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                program.names.text(s.name).to_owned(),
                plan.streams.contains(&i),
            )
        })
        .collect();
    Ok(Export {
        plan,
        lstm,
        bound,
        ranges,
        max_len,
        inputs,
        streams,
    })
}

/// The inputs and streams the exported model reads.
fn used_inputs(program: &Program, plan: &Plan) -> Vec<NameId> {
    let _ = program;
    let mut out = Vec::new();
    let mut add = |ops: &[crate::syntax::Op]| {
        for o in ops {
            if let OpKind::Name(id) = o.kind() {
                if !plan.units.iter().any(|u| u.name == id) && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    };
    for u in &plan.units {
        add(&u.init);
    }
    for p in &plan.phases {
        if let Some(w) = &p.write {
            add(&w.cand.rest);
            if let fragment::GateKind::When(ops) | fragment::GateKind::Soft(ops) = &w.gate {
                add(ops);
            }
        }
    }
    for r in &plan.reads {
        add(&r.expr);
    }
    out
}

/// Whether `id` is a stream.
pub fn is_stream(analysis: &Analysis, id: NameId) -> Option<usize> {
    match analysis.symbols.kind(id) {
        NameKind::Stream(i) => Some(i),
        _ => None,
    }
}
