//! The error bound of docs/export.md §3: every unit's true range and the
//! largest distance of the exported model's value from it, step by step
//! over every stream length up to `--max-len`, carried through the reads.

use std::sync::atomic::{AtomicBool, Ordering};

use super::eval::{self, Val};
use super::fragment::{GateKind, Plan, Write};
use super::lstm::Lstm;
use crate::check::{NameKind, Symbols};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{NameId, Op, Span};

/// f32's unit roundoff, 2^-24.
pub const U32: f64 = 1.0 / 16_777_216.0;

/// The activation accuracy the bound assumes of every evaluator it is
/// claimed for (docs/export.md §4; measured in tests/python).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assumptions {
    /// `tanh` within this relative error of the exact value.
    pub tanh_rel: f64,
    /// `sigmoid` within this absolute error of the exact value.
    pub sigmoid_abs: f64,
    /// For |z| ≥ gain, `sigmoid(z)` within this of 0 or 1.
    pub saturated: f64,
}

/// What `wb export` assumes: tanh to 4 half-ulps of f32, sigmoid to 2^-22,
/// and a saturated sigmoid within 2^-88 of 0 or 1 (e^-64 ≈ 2^-92.3).
pub const ASSUMED: Assumptions = Assumptions {
    tanh_rel: 4.0 * U32,
    sigmoid_abs: 1.0 / 4_194_304.0,
    saturated: 3.2e-27,
};

/// The gate gain: past every claimed evaluator's saturation (onnxruntime's
/// sigmoid is exactly 0/1 from |z| ≥ 18, an exact f32 one near 17.3, f64
/// needs about 37).
pub const GAIN: f64 = 64.0;

/// The ranges the user stated.
#[derive(Clone, Debug, Default)]
pub struct Ranges {
    /// Per scalar input (declaration order).
    pub scalars: Vec<Option<(f64, f64)>>,
    /// Per stream (declaration order), of every element.
    pub streams: Vec<Option<(f64, f64)>>,
}

/// The bound, per read, as a function of the loop element or the length.
#[derive(Clone, Debug, Default)]
pub struct Bound {
    /// Per read: the bound at each iteration (inside the loop) or after
    /// each stream length (after it), index 0 = the first element / length 1
    /// (for `repeat`, the only length).
    pub per_read: Vec<Vec<f64>>,
    /// The largest of all.
    pub max: f64,
    /// The largest magnitude of any value the LSTM carries or computes.
    pub magnitude: f64,
    /// The shortest stream length in the domain (1: an empty stream is
    /// outside it).
    pub min_len: u64,
}

fn unbounded(span: Span, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::NotExportable,
        format!("no error bound: {why}"),
        span,
        "here",
    )
    .with_help(
        "state narrower ranges with `--range`, or read a form of this value that stays bounded",
    )
}

/// The value of an input name over its range.
fn input_val(symbols: &Symbols, ranges: &Ranges, id: NameId) -> Val {
    let r = match symbols.kind(id) {
        NameKind::Input(i) => ranges.scalars.get(i).copied().flatten(),
        NameKind::Stream(i) => ranges.streams.get(i).copied().flatten(),
        _ => None,
    };
    let (lo, hi) = r.unwrap_or((0.0, 0.0));
    Val::exact(lo, hi)
}

/// Error terms of one f32 rounding at value magnitude `m` (value units).
fn f32_round(m: f64, scale: f64) -> f64 {
    U32 * m + scale * 2f64.powi(-149)
}

/// Runs the analysis. With `lstm` absent only the ranges are computed
/// (to choose the scale); errors are then meaningless.
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    plan: &Plan,
    symbols: &Symbols,
    ranges: &Ranges,
    max_len: u64,
    lstm: Option<&Lstm>,
    a: Assumptions,
    stop: Option<&AtomicBool>,
) -> Result<Bound, Diagnostic> {
    let scale = lstm.map_or(1.0, |l| l.scale);
    let h = plan.units.len();
    let mut vals: Vec<Val> = Vec::with_capacity(h);
    let mut magnitude: f64 = 0.0;
    for u in &plan.units {
        let v = if u.init.is_empty() {
            Val::exact(0.0, 0.0)
        } else {
            let v = eval::bound(&u.init, &mut |id| input_val(symbols, ranges, id))
                .map_err(|e| unbounded(e.op.span(), &e.why))?;
            Val {
                err: f32_round(v.mag(), scale),
                ..v
            }
        };
        magnitude = magnitude.max(v.mag());
        vals.push(v);
    }
    let (first, lengths) = match plan.repeat {
        Some(n) => (n, n),
        None => (1, max_len),
    };
    let p = plan.phases.len();
    let mut per_read: Vec<Vec<f64>> = vec![Vec::new(); plan.reads.len()];
    let unit_of = |id: NameId| plan.units.iter().position(|u| u.name == id);
    let show = |v: Val| -> f64 {
        // |h̃·scale - v|: the output gate, tanh's accuracy and its cube, the
        // product's rounding.
        let r = v.reach();
        v.err
            + (a.saturated + a.tanh_rel + U32) * r
            + r * r * r / (3.0 * scale * scale)
            + scale * 2f64.powi(-149)
    };
    for k in 1..=lengths {
        if k % 4096 == 0 && stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Err(Diagnostic::global(
                Code::Interrupted,
                "interrupted: the bound was not finished",
            ));
        }
        for ph in 0..p {
            let phase = &plan.phases[ph];
            if let Some(w) = &phase.write {
                let nv = step(w, &vals, symbols, ranges, lstm, a, scale, show, phase.span)?;
                magnitude = magnitude.max(nv.1).max(nv.0.mag());
                for (u, v) in vals.iter_mut().enumerate() {
                    if u != w.unit {
                        v.err += 3.0 * a.saturated * (v.reach() + scale);
                    }
                }
                vals[w.unit] = nv.0;
                if lstm.is_none() {
                    // Ranges only: errors wait for the scale.
                    vals.iter_mut().for_each(|v| v.err = 0.0);
                }
            } else {
                for v in vals.iter_mut() {
                    v.err += 3.0 * a.saturated * (v.reach() + scale);
                }
            }
            for (r, read) in plan.reads.iter().enumerate() {
                if read.phase == Some(ph) && lstm.is_some() {
                    let b = eval::bound(&read.expr, &mut |id| match unit_of(id) {
                        Some(u) => Val {
                            err: show(vals[u]),
                            ..vals[u]
                        },
                        None => input_val(symbols, ranges, id),
                    })
                    .map_err(|e| unbounded(e.op.span(), &e.why))?;
                    per_read[r].push(b.err);
                }
            }
        }
        if k >= first && lstm.is_some() {
            for (r, read) in plan.reads.iter().enumerate() {
                if read.phase.is_none() {
                    let b = eval::bound(&read.expr, &mut |id| match unit_of(id) {
                        Some(u) => vals[u],
                        None => input_val(symbols, ranges, id),
                    })
                    .map_err(|e| unbounded(e.op.span(), &e.why))?;
                    per_read[r].push(b.err);
                }
            }
        }
    }
    let max = per_read.iter().flatten().copied().fold(0.0f64, f64::max);
    Ok(Bound {
        per_read,
        max,
        magnitude,
        min_len: first,
    })
}

/// One write: the new value of its unit and the largest candidate magnitude.
#[allow(clippy::too_many_arguments)]
fn step(
    w: &Write,
    vals: &[Val],
    symbols: &Symbols,
    ranges: &Ranges,
    lstm: Option<&Lstm>,
    a: Assumptions,
    scale: f64,
    show: impl Fn(Val) -> f64,
    span: Span,
) -> Result<(Val, f64), Diagnostic> {
    let feature = |ops: &[Op]| -> Result<Val, Diagnostic> {
        eval::bound(ops, &mut |id| input_val(symbols, ranges, id))
            .map_err(|e| unbounded(e.op.span(), &e.why))
    };
    // The candidate's pre-activation, in value units.
    let mut lo = 0.0;
    let mut hi = 0.0;
    let mut err = 0.0;
    let mut terms = 0.0;
    let mut count = 2.0;
    for &(j, c) in &w.cand.board {
        let v = vals[j];
        let (x, y) = (c * v.lo, c * v.hi);
        lo += x.min(y);
        hi += x.max(y);
        let hv = show(v);
        err += c.abs() * hv;
        if f64::from(c as f32) != c {
            err += U32 * c.abs() * (v.reach() + hv);
        }
        terms += c.abs() * (v.reach() + hv);
        count += 1.0;
    }
    if !w.cand.rest.is_empty() {
        let f = feature(&w.cand.rest)?;
        lo += f.lo;
        hi += f.hi;
        err += f32_round(f.mag(), scale);
        terms += f.mag();
        count += 1.0;
    }
    let gamma = count * U32 / (1.0 - count * U32);
    err += gamma * terms + count * scale * 2f64.powi(-149);
    let pre = Val { lo, hi, err };
    let rp = pre.reach();
    let g_err =
        err + a.tanh_rel * rp + rp * rp * rp / (3.0 * scale * scale) + scale * 2f64.powi(-149);
    let cand = Val { err: g_err, ..pre };
    let v = vals[w.unit];
    let sat = a.saturated;
    let written = |base: Val, err_in: f64| -> Val {
        let r_new = base.reach();
        Val {
            err: err_in
                + 2.0 * sat * (v.reach() + cand.reach())
                + U32 * (v.reach() + cand.reach() + r_new)
                + 3.0 * scale * 2f64.powi(-149),
            ..base
        }
    };
    let new = if w.accumulate {
        Val {
            lo: v.lo + cand.lo,
            hi: v.hi + cand.hi,
            err: 0.0,
        }
    } else {
        cand
    };
    let kept = Val {
        err: v.err + 3.0 * sat * (v.reach() + scale),
        ..v
    };
    let out = match &w.gate {
        GateKind::Always => written(new, if w.accumulate { v.err + g_err } else { g_err }),
        GateKind::When(_) => {
            let open = written(new, if w.accumulate { v.err + g_err } else { g_err });
            Val {
                lo: open.lo.min(kept.lo),
                hi: open.hi.max(kept.hi),
                err: open.err.max(kept.err),
            }
        }
        GateKind::Soft(ops) => {
            let g = feature(ops)?;
            if g.lo <= 0.0 || g.hi >= 1.0 {
                return Err(Diagnostic::error(
                    Code::NotExportable,
                    format!(
                        "the soft gate can be {} within the stated ranges: its logit is infinite there",
                        if g.lo <= 0.0 { "0" } else { "1" }
                    ),
                    ops.last().map_or(span, |o| o.span()),
                    "this gate",
                )
                .with_help("state a range strictly inside (0, 1) for what the gate reads, e.g. `--range alpha=0.01..0.99`"));
            }
            let logit = (g.hi / (1.0 - g.hi))
                .ln()
                .abs()
                .max((g.lo / (1.0 - g.lo)).ln().abs());
            let ds = a.sigmoid_abs + U32 * logit / 4.0;
            let hull = Val {
                lo: v.lo.min(cand.lo),
                hi: v.hi.max(cand.hi),
                err: 0.0,
            };
            written(hull, v.err.max(g_err) + ds * (v.reach() + cand.reach()))
        }
        GateKind::Max | GateKind::Min => {
            let k = lstm.map_or(1.0, |l| l.k);
            let gain = lstm.map_or(GAIN, |l| l.gain);
            // How far the gate's margin, read through h and the
            // pre-activation, is from the candidate less the state.
            let dz = 2.0 * gamma * (terms + show(v) + v.reach())
                + a.tanh_rel * rp
                + rp * rp * rp / (3.0 * scale * scale)
                + (sat + a.tanh_rel + U32) * v.reach()
                + v.reach().powi(3) / (3.0 * scale * scale);
            let band = scale * gain / k + dz;
            let sel = if matches!(w.gate, GateKind::Max) {
                Val {
                    lo: v.lo.max(cand.lo),
                    hi: v.hi.max(cand.hi),
                    err: 0.0,
                }
            } else {
                Val {
                    lo: v.lo.min(cand.lo),
                    hi: v.hi.min(cand.hi),
                    err: 0.0,
                }
            };
            written(
                sel,
                v.err.max(g_err)
                    + band
                    + 2.0 * a.sigmoid_abs * v.reach().max(cand.reach())
                    + 2.0 * sat * (v.reach() + cand.reach()),
            )
        }
    };
    Ok((out, pre.mag()))
}
