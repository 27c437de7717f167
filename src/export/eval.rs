//! Postfix expressions evaluated three ways: in f64 as `wb run` does, over
//! intervals (the range of a feature), and over (interval, error) pairs (how
//! far a readout can move when its board values carry an error).

use crate::arith;
use crate::syntax::{BinOp, Func, NameId, Op, OpKind};

/// Evaluates `ops` with `value(name)` for names, with `wb`'s arithmetic.
pub fn eval(ops: &[Op], value: &mut dyn FnMut(NameId) -> f64) -> Result<f64, arith::ArithError> {
    let mut st: Vec<f64> = Vec::with_capacity(8);
    for op in ops {
        let v = match op.kind() {
            OpKind::Num(v) => v,
            OpKind::Name(id) => value(id),
            OpKind::Neg => {
                let a = st.pop().unwrap_or(0.0);
                arith::neg(a)
            }
            OpKind::Bin(b) => {
                let y = st.pop().unwrap_or(0.0);
                let x = st.pop().unwrap_or(0.0);
                arith::binary(b, x, y)?
            }
            OpKind::Call(f) => {
                let (x, y) = if f.arity() == 2 {
                    let y = st.pop().unwrap_or(0.0);
                    (st.pop().unwrap_or(0.0), y)
                } else {
                    (st.pop().unwrap_or(0.0), 0.0)
                };
                arith::call(f, x, y)?
            }
        };
        st.push(v);
    }
    Ok(st.pop().unwrap_or(0.0))
}

/// A closed interval with an error bound: every true value lies in
/// `[lo, hi]`, and the exported model's value is within `err` of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Val {
    /// Lower end of the true value.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Largest distance of the computed value from the true one.
    pub err: f64,
}

impl Val {
    /// An exact interval.
    pub fn exact(lo: f64, hi: f64) -> Val {
        Val { lo, hi, err: 0.0 }
    }
    /// The largest magnitude of a true value.
    pub fn mag(self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }
    /// The largest magnitude of a computed value.
    pub fn reach(self) -> f64 {
        self.mag() + self.err
    }
    /// Both intervals' hull, the larger error.
    pub fn hull(self, o: Val) -> Val {
        Val {
            lo: self.lo.min(o.lo),
            hi: self.hi.max(o.hi),
            err: self.err.max(o.err),
        }
    }
}

/// Relative rounding of one f64 operation.
const U64: f64 = 1.0 / 9_007_199_254_740_992.0; // 2^-53

/// Why an expression has no bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Unbounded {
    /// The op at fault.
    pub op: Op,
    /// In words.
    pub why: String,
}

fn minmax(v: [f64; 4]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// Evaluates `ops` over [`Val`]s: the range of the true value and how far
/// an f64 evaluation on inputs off by their errors can be from it.
pub fn bound(ops: &[Op], value: &mut dyn FnMut(NameId) -> Val) -> Result<Val, Unbounded> {
    let mut st: Vec<Val> = Vec::with_capacity(8);
    let fail = |op: Op, why: &str| Unbounded {
        op,
        why: why.to_owned(),
    };
    for &op in ops {
        let v = match op.kind() {
            OpKind::Num(v) => Val::exact(v, v),
            OpKind::Name(id) => value(id),
            OpKind::Neg => {
                let a = st.pop().ok_or_else(|| fail(op, "malformed"))?;
                Val {
                    lo: -a.hi,
                    hi: -a.lo,
                    err: a.err,
                }
            }
            OpKind::Bin(b) => {
                let y = st.pop().ok_or_else(|| fail(op, "malformed"))?;
                let x = st.pop().ok_or_else(|| fail(op, "malformed"))?;
                binary(b, x, y).map_err(|w| fail(op, w))?
            }
            OpKind::Call(f) => {
                let (x, y) = if f.arity() == 2 {
                    let y = st.pop().ok_or_else(|| fail(op, "malformed"))?;
                    (st.pop().ok_or_else(|| fail(op, "malformed"))?, y)
                } else {
                    (
                        st.pop().ok_or_else(|| fail(op, "malformed"))?,
                        Val::exact(0.0, 0.0),
                    )
                };
                call(f, x, y).map_err(|w| fail(op, w))?
            }
        };
        if !(v.lo.is_finite() && v.hi.is_finite() && v.err.is_finite()) {
            return Err(fail(op, "its value can overflow within the ranges"));
        }
        st.push(v);
    }
    st.pop().ok_or_else(|| Unbounded {
        op: Op::new(OpKind::Num(0.0), crate::syntax::Span::new(0, 0)),
        why: "empty".into(),
    })
}

fn round(v: Val) -> Val {
    Val {
        err: v.err + U64 * v.reach(),
        ..v
    }
}

fn binary(b: BinOp, x: Val, y: Val) -> Result<Val, &'static str> {
    Ok(match b {
        BinOp::Add => round(Val {
            lo: x.lo + y.lo,
            hi: x.hi + y.hi,
            err: x.err + y.err,
        }),
        BinOp::Sub => round(Val {
            lo: x.lo - y.hi,
            hi: x.hi - y.lo,
            err: x.err + y.err,
        }),
        BinOp::Mul => {
            let (lo, hi) = minmax([x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi]);
            round(Val {
                lo,
                hi,
                err: x.mag() * y.err + y.reach() * x.err,
            })
        }
        BinOp::Div => {
            // The computed divisor too must stay away from zero.
            let gap = if y.lo > 0.0 {
                y.lo - y.err
            } else if y.hi < 0.0 {
                -y.hi - y.err
            } else {
                0.0
            };
            if gap <= 0.0 {
                return Err("it divides by a value that can be zero (or within its error of zero) within the ranges");
            }
            let (lo, hi) = minmax([x.lo / y.lo, x.lo / y.hi, x.hi / y.lo, x.hi / y.hi]);
            let ymin = gap + y.err;
            round(Val {
                lo,
                hi,
                err: (x.err * y.mag() + x.mag() * y.err) / (ymin * gap),
            })
        }
        BinOp::Pow => return Err("`^` has no bound here: write a power as a product"),
        BinOp::Rem => {
            return Err("`%` is discontinuous: a remainder of an inexact value has no bound")
        }
        _ => {
            if x.err == 0.0 && y.err == 0.0 {
                Val::exact(0.0, 1.0)
            } else {
                return Err("a comparison of inexact values is off by 1 at a near-tie");
            }
        }
    })
}

fn call(f: Func, x: Val, y: Val) -> Result<Val, &'static str> {
    let mono = |g: fn(f64) -> f64, lip: f64| {
        round(Val {
            lo: g(x.lo),
            hi: g(x.hi),
            err: lip * x.err,
        })
    };
    Ok(match f {
        Func::Min => round(Val {
            lo: x.lo.min(y.lo),
            hi: x.hi.min(y.hi),
            err: x.err.max(y.err),
        }),
        Func::Max => round(Val {
            lo: x.lo.max(y.lo),
            hi: x.hi.max(y.hi),
            err: x.err.max(y.err),
        }),
        Func::Abs => {
            let lo = if x.lo <= 0.0 && x.hi >= 0.0 {
                0.0
            } else {
                x.lo.abs().min(x.hi.abs())
            };
            Val {
                lo,
                hi: x.mag(),
                err: x.err,
            }
        }
        Func::Tanh => mono(f64::tanh, 1.0),
        Func::Sigmoid => mono(|v| 1.0 / (1.0 + (-v).exp()), 0.25),
        Func::Exp => mono(f64::exp, (x.hi + x.err).exp()),
        Func::Sqrt => {
            let low = x.lo - x.err;
            if low <= 0.0 && x.err > 0.0 {
                return Err("a square root of an inexact value near zero has no bound");
            }
            if x.lo < 0.0 {
                return Err("a square root of a value that can be negative");
            }
            let lip = if x.err == 0.0 { 0.0 } else { 0.5 / low.sqrt() };
            mono(f64::sqrt, lip)
        }
        Func::Ln => {
            let low = x.lo - x.err;
            if low <= 0.0 {
                return Err("a logarithm of a value that can be zero or negative");
            }
            mono(f64::ln, 1.0 / low)
        }
    })
}
