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
    let v = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => {
            if b == 0.0 {
                return Err(ArithError::DivZero);
            }
            a / b
        }
        BinOp::Rem => {
            if b == 0.0 {
                return Err(ArithError::DivZero);
            }
            a % b
        }
        BinOp::Pow => a.powf(b),
        BinOp::Lt => truth(a < b),
        BinOp::Le => truth(a <= b),
        BinOp::Gt => truth(a > b),
        BinOp::Ge => truth(a >= b),
        BinOp::Eq => truth(a == b),
        BinOp::Ne => truth(a != b),
    };
    finite(v)
}

/// `f(a)` or `f(a, b)`; `b` is ignored by one-argument functions.
#[inline]
pub fn call(f: Func, a: f64, b: f64) -> Result<f64, ArithError> {
    let v = match f {
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
    };
    finite(v)
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
    }
}
