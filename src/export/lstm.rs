//! The construction: a [`Plan`] as the weights of one standard LSTM layer,
//! in PyTorch's layout (gates i, f, g, o; `weight_ih`, `weight_hh`, both
//! biases), with the input layout (clock, then features) that drives it.
//!
//! Gate pre-activations are ±`gain` (driven by the one-hot clock), a feature
//! of the inputs times `2 * gain`, a logit, or `k` times a margin for a
//! running maximum; candidates are the written values divided by `scale`, a
//! power of two that keeps every value in tanh's linear regime.

use super::fragment::{Affine, GateKind, Plan};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{Op, Span};

/// Gate rows, in PyTorch's order.
pub const I: usize = 0;
/// Forget gate.
pub const F: usize = 1;
/// Candidate.
pub const G: usize = 2;
/// Output gate.
pub const O: usize = 3;

/// One input feature: a function of the inputs, fed at one phase only.
#[derive(Clone, Debug)]
pub struct Feature {
    /// The phase whose steps carry it (0 at the others).
    pub phase: usize,
    /// Postfix over inputs and stream elements, computed in f64.
    pub ops: Vec<Op>,
    /// Fed as `ln(v) - ln(1 - v)` (a soft gate's logit) instead of `v`.
    pub logit: bool,
}

/// The weights and the layout of their input.
#[derive(Clone, Debug)]
pub struct Lstm {
    /// Units (`hidden_size`).
    pub hidden: usize,
    /// Steps per loop iteration (the clock's width).
    pub phases: usize,
    /// `[4H, D]`, gates i, f, g, o; D = phases + features.
    pub w_ih: Vec<f32>,
    /// `[4H, H]`.
    pub w_hh: Vec<f32>,
    /// `[4H]`.
    pub b_ih: Vec<f32>,
    /// `[4H]`.
    pub b_hh: Vec<f32>,
    /// The input columns after the clock.
    pub features: Vec<Feature>,
    /// Per phase: which units the output gate opens.
    pub open: Vec<Vec<bool>>,
    /// Values are stored divided by this (a power of two).
    pub scale: f64,
    /// Gate pre-activations are ±gain where a gate is shut or open.
    pub gain: f64,
    /// The comparison gain of a running maximum (a power of two).
    pub k: f64,
}

impl Lstm {
    /// The input size D.
    pub fn input(&self) -> usize {
        self.phases + self.features.len()
    }
}

/// Which units each phase's output gate opens: those the next step's
/// statement reads, and those a read at this step shows.
pub fn open_sets(plan: &Plan) -> Vec<Vec<bool>> {
    let p = plan.phases.len();
    let h = plan.units.len();
    let mut open = vec![vec![false; h]; p];
    for (i, set) in open.iter_mut().enumerate() {
        for &u in &plan.phases[(i + 1) % p].reads {
            set[u] = true;
        }
    }
    for r in &plan.reads {
        if let Some(ph) = r.phase {
            for op in &r.expr {
                if let crate::syntax::OpKind::Name(id) = op.kind() {
                    if let Some(u) = plan.units.iter().position(|u| u.name == id) {
                        open[ph][u] = true;
                    }
                }
            }
        }
    }
    open
}

fn refuse(span: Span, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(Code::NotExportable, message, span, "this statement").with_help(help)
}

/// Builds the weights; a refusal where two statements would need different
/// recurrent weights for one unit.
pub fn build(
    plan: &Plan,
    scale: f64,
    gain: f64,
    k: f64,
    src: &str,
) -> Result<Lstm, Vec<Diagnostic>> {
    let h = plan.units.len();
    let p = plan.phases.len();
    let open = open_sets(plan);
    let mut features: Vec<Feature> = Vec::new();
    // Per phase and gate row: the clock's contribution (the bias at that step).
    let mut clock = vec![vec![0.0f64; 4 * h]; p];
    // Feature weights: (row, feature column, weight).
    let mut fw: Vec<(usize, usize, f64)> = Vec::new();
    // Recurrent rows, with the phase that set them.
    let mut rec: Vec<Option<(usize, Vec<f64>)>> = vec![None; 4 * h];
    let mut errors = Vec::new();
    for (ph, phase) in plan.phases.iter().enumerate() {
        for u in 0..h {
            clock[ph][I * h + u] = -gain;
            clock[ph][F * h + u] = gain;
            clock[ph][O * h + u] = if open[ph][u] { gain } else { -gain };
        }
        let Some(w) = &phase.write else { continue };
        let u = w.unit;
        let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
        let feature = |f: &mut Vec<Feature>, ops: Vec<Op>, logit: bool| {
            f.push(Feature {
                phase: ph,
                ops,
                logit,
            });
            f.len() - 1
        };
        // The candidate: coefficients on the shown values, the rest as a
        // feature (or a constant on the clock).
        let cand = &w.cand;
        let (rest_col, rest_const) = match rest_constant(cand) {
            Some(c) => (None, c),
            None => (Some(feature(&mut features, cand.rest.clone(), false)), 0.0),
        };
        let mut g_row = vec![0.0; h];
        for &(j, a) in &cand.board {
            g_row[j] = a;
        }
        rows.push((G * h + u, g_row.clone()));
        clock[ph][G * h + u] = rest_const / scale;
        if let Some(c) = rest_col {
            fw.push((G * h + u, c, 1.0 / scale));
        }
        match &w.gate {
            GateKind::Always => {
                clock[ph][I * h + u] = gain;
                clock[ph][F * h + u] = if w.accumulate { gain } else { -gain };
            }
            GateKind::When(ops) => {
                let c = feature(&mut features, ops.clone(), false);
                clock[ph][I * h + u] = -gain;
                fw.push((I * h + u, c, 2.0 * gain));
                if !w.accumulate {
                    clock[ph][F * h + u] = gain;
                    fw.push((F * h + u, c, -2.0 * gain));
                }
            }
            GateKind::Soft(ops) => {
                let c = feature(&mut features, ops.clone(), true);
                clock[ph][I * h + u] = 0.0;
                clock[ph][F * h + u] = 0.0;
                fw.push((I * h + u, c, 1.0));
                fw.push((F * h + u, c, -1.0));
            }
            GateKind::Max | GateKind::Min => {
                // z = k (e - v) / scale for a maximum, k (v - e) / scale for
                // a minimum; the forget gate gets -z.
                let sign = if matches!(w.gate, GateKind::Max) {
                    1.0
                } else {
                    -1.0
                };
                let mut z_row: Vec<f64> = g_row.iter().map(|a| sign * k * a).collect();
                z_row[u] -= sign * k;
                let f_row: Vec<f64> = z_row.iter().map(|a| -a).collect();
                rows.push((I * h + u, z_row));
                rows.push((F * h + u, f_row));
                clock[ph][I * h + u] = sign * k * rest_const / scale;
                clock[ph][F * h + u] = -sign * k * rest_const / scale;
                if let Some(c) = rest_col {
                    fw.push((I * h + u, c, sign * k / scale));
                    fw.push((F * h + u, c, -sign * k / scale));
                }
            }
        }
        for (row, weights) in rows {
            match &rec[row] {
                None => rec[row] = Some((ph, weights)),
                Some((first, old)) if *old != weights => errors.push(refuse(
                    phase.span,
                    format!(
                        "`{}` needs recurrent weights for `{}` other than `{}` does",
                        phase.span.text(src),
                        plan.units[u].text,
                        plan.phases[*first].span.text(src)
                    ),
                    "a standard LSTM's recurrent weights are the same at every step, so a unit's \
                     candidate and gates read the board values with the same coefficients at \
                     every write: write the value at one statement, or use another name",
                )),
                Some(_) => {}
            }
        }
    }
    // A gate row that reads the board must see nothing at the steps where
    // it should stay shut.
    for (ph, phase) in plan.phases.iter().enumerate() {
        let shown = &open[(ph + p - 1) % p];
        for u in 0..h {
            if phase.write.as_ref().is_some_and(|w| w.unit == u) {
                continue;
            }
            for gate in [I, F] {
                if let Some((first, row)) = &rec[gate * h + u] {
                    if let Some(j) = (0..h).find(|&j| shown[j] && row[j] != 0.0) {
                        errors.push(refuse(
                            plan.phases[*first].span,
                            format!(
                                "the comparison in `{}` would also see `{}` at `{}`, and open \
                                 its gate there",
                                plan.phases[*first].span.text(src),
                                plan.units[j].text,
                                phase.span.text(src)
                            ),
                            "a gate that compares board values reads them through fixed \
                             recurrent weights at every step: no other statement may show the \
                             compared values the step before it. Reorder the loop body so the \
                             comparison's operands are read only by it",
                        ));
                        break;
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let d = p + features.len();
    let mut w_ih = vec![0.0f32; 4 * h * d];
    let mut w_hh = vec![0.0f32; 4 * h * h];
    let mut b_ih = vec![0.0f32; 4 * h];
    let mut b_hh = vec![0.0f32; 4 * h];
    for row in 0..4 * h {
        // A gate's usual value is the bias, split over both biases (as
        // PyTorch and ONNX add them); the clock carries the differences.
        let bias = if row / h == G { 0.0 } else { clock[0][row] };
        b_ih[row] = (bias / 2.0) as f32;
        b_hh[row] = (bias / 2.0) as f32;
        for (ph, c) in clock.iter().enumerate() {
            w_ih[row * d + ph] = (c[row] - bias) as f32;
        }
        if let Some((_, r)) = &rec[row] {
            for (j, a) in r.iter().enumerate() {
                w_hh[row * h + j] = *a as f32;
            }
        }
    }
    for (row, col, w) in fw {
        w_ih[row * d + p + col] = w as f32;
    }
    Ok(Lstm {
        hidden: h,
        phases: p,
        w_ih,
        w_hh,
        b_ih,
        b_hh,
        features,
        open,
        scale,
        gain,
        k,
    })
}

/// The rest of a candidate as a constant, or `None` when it reads inputs
/// (and becomes a feature column).
fn rest_constant(cand: &Affine) -> Option<f64> {
    if cand.rest.is_empty() {
        return Some(0.0);
    }
    super::fragment::eval_constant(&cand.rest)
}
