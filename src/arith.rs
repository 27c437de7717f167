//! The arithmetic of `.wb`: the one definition of every operation.
//!
//! The interpreter and the cell both call these functions, so that they agree
//! bit for bit: IEEE-754 binary64, every result finite.

use crate::syntax::{BinOp, Func};

/// Why an operation has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithError {
    /// Division or `%` by zero.
    DivZero,
    /// An infinite or NaN result.
    NotFinite,
}

/// `a op b`.
#[inline]
pub fn binary(op: BinOp, a: f64, b: f64) -> Result<f64, ArithError> {
    if matches!(op, BinOp::Div | BinOp::Rem) && b == 0.0 {
        return Err(ArithError::DivZero);
    }
    finite(binary_value(op, a, b))
}

/// The IEEE result of `a op b`, finite or not: [`binary`] is this value when
/// it is finite, and an error exactly when it is not (a division by zero
/// gives an infinity or NaN here). The cell's kernels compute it for a whole
/// chunk of rows and ask [`binary`] why only for the rows that have none.
#[inline(always)]
pub fn binary_value(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Rem => a % b,
        BinOp::Pow => a.powf(b),
        BinOp::Lt => truth(a < b),
        BinOp::Le => truth(a <= b),
        BinOp::Gt => truth(a > b),
        BinOp::Ge => truth(a >= b),
        BinOp::Eq => truth(a == b),
        BinOp::Ne => truth(a != b),
    }
}

/// `f(a)` or `f(a, b)`; `b` is ignored by one-argument functions.
#[inline]
pub fn call(f: Func, a: f64, b: f64) -> Result<f64, ArithError> {
    finite(call_value(f, a, b))
}

/// The IEEE result of `f(a)` or `f(a, b)`, finite or not: [`call`] is this
/// value when it is finite, and an error exactly when it is not.
#[inline(always)]
pub fn call_value(f: Func, a: f64, b: f64) -> f64 {
    match f {
        Func::Min => {
            if a <= b {
                a
            } else {
                b
            }
        }
        Func::Max => {
            if a >= b {
                a
            } else {
                b
            }
        }
        Func::Abs => a.abs(),
        Func::Sqrt => a.sqrt(),
        Func::Exp => a.exp(),
        Func::Ln => a.ln(),
        Func::Tanh => a.tanh(),
        Func::Sigmoid => 1.0 / (1.0 + (-a).exp()),
    }
}

/// `-a`.
#[inline]
pub fn neg(a: f64) -> f64 {
    -a
}

/// The soft-gate blend, exactly in the form `(1 - g) * x + g * e`.
#[inline]
pub fn blend(x: f64, e: f64, g: f64) -> Result<f64, ArithError> {
    finite((1.0 - g) * x + g * e)
}

#[inline]
fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

#[inline]
fn finite(v: f64) -> Result<f64, ArithError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ArithError::NotFinite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remainder_has_the_dividends_sign() {
        assert_eq!(binary(BinOp::Rem, -7.0, 3.0), Ok(-1.0));
        assert_eq!(binary(BinOp::Rem, 7.0, -3.0), Ok(1.0));
    }

    #[test]
    fn errors() {
        assert_eq!(binary(BinOp::Div, 1.0, 0.0), Err(ArithError::DivZero));
        assert_eq!(binary(BinOp::Rem, 1.0, -0.0), Err(ArithError::DivZero));
        assert_eq!(call(Func::Sqrt, -1.0, 0.0), Err(ArithError::NotFinite));
        assert_eq!(call(Func::Ln, 0.0, 0.0), Err(ArithError::NotFinite));
        assert_eq!(binary(BinOp::Mul, 1e300, 1e300), Err(ArithError::NotFinite));
        assert_eq!(binary(BinOp::Pow, 0.0, -1.0), Err(ArithError::NotFinite));
    }

    #[test]
    fn the_value_is_the_result_exactly_when_it_is_finite() {
        let xs = [
            0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -7.25, 1e300, -1e300, 5e-324, 710.0, -745.5,
        ];
        for &a in &xs {
            for &b in &xs {
                for op in BinOp::ALL {
                    let v = binary_value(op, a, b);
                    match binary(op, a, b) {
                        Ok(r) => assert_eq!(r.to_bits(), v.to_bits(), "{a} {op:?} {b}"),
                        Err(_) => assert!(!v.is_finite(), "{a} {op:?} {b} gave {v}"),
                    }
                }
                for f in Func::ALL {
                    let v = call_value(f, a, b);
                    match call(f, a, b) {
                        Ok(r) => assert_eq!(r.to_bits(), v.to_bits(), "{f:?}({a}, {b})"),
                        Err(_) => assert!(!v.is_finite(), "{f:?}({a}, {b}) gave {v}"),
                    }
                }
            }
        }
    }

    #[test]
    fn min_max_pick_the_first_on_ties() {
        assert_eq!(
            call(Func::Min, 0.0, -0.0).unwrap().to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(
            call(Func::Max, -0.0, 0.0).unwrap().to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(call(Func::Sigmoid, 0.0, 0.0), Ok(0.5));
        // `exp(800)` is infinite inside the one operation, whose result,
        // 0, is finite and is the exact value rounded (docs/diagnostics.md).
        assert_eq!(call(Func::Sigmoid, -800.0, 0.0), Ok(0.0));
        assert_eq!(call(Func::Sigmoid, 800.0, 0.0), Ok(1.0));
    }
}
