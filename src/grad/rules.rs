//! The local derivative of every operation of [`crate::arith`], and the
//! conventions taken where a derivative does not exist.
//!
//! Both modes (reverse and forward) take their partials from here, so they
//! differ only in how they chain them; finite differences check the rules.

use crate::syntax::{BinOp, Func};

/// A place where an operation has no derivative (or an infinite one), and
/// what `wb grad` takes instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Convention {
    /// `abs(a)` at `a = 0`: the derivative is taken as 0.
    AbsAtZero,
    /// `min(a, b)` or `max(a, b)` with `a = b`: through `a`, the argument the
    /// value is taken from (1 for `a`, 0 for `b`).
    Tie,
    /// `a % b` where the remainder is 0 (a jump): the derivative of the
    /// piece the value is on, `1` for `a` and `-trunc(a / b)` for `b`.
    RemJump,
    /// A comparison: 0 (it is constant almost everywhere, and jumps where
    /// its sides are equal).
    Comparison,
    /// The condition of a `when`: 0; the derivative goes through the branch
    /// taken (the new value when open, the old one when closed).
    WhenCondition,
    /// `sqrt(a)` at `a = 0`: the one-sided derivative, `+inf`.
    SqrtAtZero,
    /// `a ^ b` with `a ≤ 0`: the derivative with respect to the exponent is
    /// taken as 0 (the power is then 0, or defined only at whole `b`).
    PowBase,
}

impl Convention {
    /// Every convention, in the order the docs list them.
    pub const ALL: [Convention; 7] = [
        Convention::AbsAtZero,
        Convention::Tie,
        Convention::RemJump,
        Convention::Comparison,
        Convention::WhenCondition,
        Convention::SqrtAtZero,
        Convention::PowBase,
    ];

    /// A short identifier, for JSON.
    pub fn id(self) -> &'static str {
        match self {
            Convention::AbsAtZero => "abs_at_zero",
            Convention::Tie => "min_max_tie",
            Convention::RemJump => "remainder_jump",
            Convention::Comparison => "comparison",
            Convention::WhenCondition => "when_condition",
            Convention::SqrtAtZero => "sqrt_at_zero",
            Convention::PowBase => "power_base_not_positive",
        }
    }

    /// What is taken, in words.
    pub fn text(self) -> &'static str {
        match self {
            Convention::AbsAtZero => "abs at 0: derivative 0",
            Convention::Tie => "min/max at a tie: through the first argument",
            Convention::RemJump => "% at a jump: the piece the value is on (1, -trunc(a/b))",
            Convention::Comparison => "comparison: derivative 0",
            Convention::WhenCondition => "`when` condition: derivative 0, through the branch taken",
            Convention::SqrtAtZero => "sqrt at 0: derivative +inf",
            Convention::PowBase => "a ^ b with a <= 0: derivative 0 with respect to b",
        }
    }
}

/// The partials `(∂v/∂a, ∂v/∂b)` of `v = a op b`, and the convention used,
/// if one was.
#[inline]
pub fn binary(op: BinOp, a: f64, b: f64, v: f64) -> (f64, f64, Option<Convention>) {
    match op {
        BinOp::Add => (1.0, 1.0, None),
        BinOp::Sub => (1.0, -1.0, None),
        BinOp::Mul => (b, a, None),
        BinOp::Div => (1.0 / b, -(v / b), None),
        BinOp::Rem => {
            // a % b = a - q·b exactly, q = trunc(a / b).
            let q = ((a - v) / b).round();
            let note = (v == 0.0).then_some(Convention::RemJump);
            (1.0, -q, note)
        }
        BinOp::Pow => {
            let da = if b == 0.0 { 0.0 } else { b * a.powf(b - 1.0) };
            if a > 0.0 {
                (da, v * a.ln(), None)
            } else {
                (da, 0.0, Some(Convention::PowBase))
            }
        }
        _ => (0.0, 0.0, Some(Convention::Comparison)),
    }
}

/// The partials of `v = f(a)` or `f(a, b)` (the second is 0 for one-argument
/// functions), and the convention used, if one was.
#[inline]
pub fn call(f: Func, a: f64, b: f64, v: f64) -> (f64, f64, Option<Convention>) {
    let tie = (a == b).then_some(Convention::Tie);
    match f {
        // arith takes `a` when `a <= b` (min) or `a >= b` (max).
        Func::Min => {
            if a <= b {
                (1.0, 0.0, tie)
            } else {
                (0.0, 1.0, None)
            }
        }
        Func::Max => {
            if a >= b {
                (1.0, 0.0, tie)
            } else {
                (0.0, 1.0, None)
            }
        }
        Func::Abs => {
            if a > 0.0 {
                (1.0, 0.0, None)
            } else if a < 0.0 {
                (-1.0, 0.0, None)
            } else {
                (0.0, 0.0, Some(Convention::AbsAtZero))
            }
        }
        Func::Sqrt => {
            if v == 0.0 {
                (f64::INFINITY, 0.0, Some(Convention::SqrtAtZero))
            } else {
                (0.5 / v, 0.0, None)
            }
        }
        Func::Exp => (v, 0.0, None),
        Func::Ln => (1.0 / a, 0.0, None),
        Func::Tanh => (1.0 - v * v, 0.0, None),
        Func::Sigmoid => (v * (1.0 - v), 0.0, None),
    }
}

/// `p · d` in the chain rule, with `0 · anything = 0`: a derivative that does
/// not reach the result (its adjoint or tangent is 0) is not made NaN by an
/// infinite partial on the way.
#[inline(always)]
pub fn chain(p: f64, d: f64) -> f64 {
    if d == 0.0 {
        0.0
    } else {
        p * d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_match_central_differences_away_from_kinks() {
        let h = 1e-6;
        for op in [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Pow] {
            let (a, b) = (1.7, 0.6);
            let v = crate::arith::binary_value(op, a, b);
            let (da, db, _) = binary(op, a, b, v);
            let fa = (crate::arith::binary_value(op, a + h, b)
                - crate::arith::binary_value(op, a - h, b))
                / (2.0 * h);
            let fb = (crate::arith::binary_value(op, a, b + h)
                - crate::arith::binary_value(op, a, b - h))
                / (2.0 * h);
            assert!((da - fa).abs() < 1e-8, "{op:?} a: {da} vs {fa}");
            assert!((db - fb).abs() < 1e-8, "{op:?} b: {db} vs {fb}");
        }
        for f in Func::ALL {
            let (a, b) = (0.7, 0.2);
            let v = crate::arith::call_value(f, a, b);
            let (da, _, _) = call(f, a, b, v);
            let fa = (crate::arith::call_value(f, a + h, b)
                - crate::arith::call_value(f, a - h, b))
                / (2.0 * h);
            assert!((da - fa).abs() < 1e-8, "{f:?}: {da} vs {fa}");
        }
    }

    #[test]
    fn conventions_at_the_kinks() {
        assert_eq!(
            call(Func::Abs, 0.0, 0.0, 0.0),
            (0.0, 0.0, Some(Convention::AbsAtZero))
        );
        assert_eq!(
            call(Func::Min, 2.0, 2.0, 2.0),
            (1.0, 0.0, Some(Convention::Tie))
        );
        assert_eq!(
            call(Func::Max, 2.0, 2.0, 2.0),
            (1.0, 0.0, Some(Convention::Tie))
        );
        let (d, _, c) = call(Func::Sqrt, 0.0, 0.0, 0.0);
        assert_eq!((d, c), (f64::INFINITY, Some(Convention::SqrtAtZero)));
        assert_eq!(
            binary(BinOp::Rem, 6.0, 3.0, 0.0),
            (1.0, -2.0, Some(Convention::RemJump))
        );
        assert_eq!(binary(BinOp::Rem, -7.0, 3.0, -1.0), (1.0, 2.0, None));
        assert_eq!(
            binary(BinOp::Pow, -2.0, 3.0, -8.0),
            (12.0, 0.0, Some(Convention::PowBase))
        );
        assert_eq!(binary(BinOp::Pow, 0.0, 0.0, 1.0).0, 0.0);
        assert_eq!(
            binary(BinOp::Lt, 1.0, 2.0, 1.0),
            (0.0, 0.0, Some(Convention::Comparison))
        );
        assert_eq!(chain(f64::INFINITY, 0.0), 0.0);
    }
}
