//! The kernels: one instruction of a step over every row of a chunk.
//!
//! Each operation has its own small function, compiled twice — portable, and
//! for AVX2 (four rows per instruction) — and [`Kernel::of`] picks one when a
//! cell is made ready to run, so that running an instruction is one indirect
//! call into a single loop, with no dispatch on the operation per call. IEEE
//! results do not depend on the instruction set, and every operation is
//! [`crate::arith`]'s, so each row computes exactly what the interpreter
//! computes.

use super::InstrOp;
use crate::arith;
use crate::syntax::{BinOp, Func};

/// `out[r] = a[r] op b[r]` over a chunk's rows (`b` is ignored by one-operand
/// operations); true if some row has no value: that row's `out` is then
/// infinite or NaN and must be ignored ([`crate::arith::binary`] says why).
#[derive(Clone, Copy)]
pub(super) struct Kernel(KernelFn);

/// A kernel function. It is `unsafe` only because the AVX2 versions must run
/// on a CPU that has AVX2: [`Kernel::of`] picks them only after checking.
type KernelFn = unsafe fn(&mut [f64], &[f64], &[f64]) -> bool;

impl Kernel {
    /// The kernel of `op` for this CPU.
    pub(super) fn of(op: InstrOp) -> Kernel {
        let code = code(op) as usize;
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel(AVX2[code]);
            }
        }
        Kernel(PORTABLE[code])
    }

    /// Runs the kernel; `a` and `b` have at least `out.len()` rows.
    #[inline(always)]
    pub(super) fn run(self, out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
        // SAFETY: `Kernel::of` chose an AVX2 function only on a CPU with
        // AVX2; the portable ones have no requirement.
        unsafe { (self.0)(out, a, b) }
    }
}

/// The kernel tables' numbering: operators and functions in their
/// declaration order (`BinOp::ALL`, `Func::ALL`), then `-`, then copy.
const FUNCS: u8 = BinOp::ALL.len() as u8;
const NEG: u8 = FUNCS + Func::ALL.len() as u8;
const COPY: u8 = NEG + 1;

/// How many operations there are.
const OPS: usize = COPY as usize + 1;

/// The operation's number in the kernel tables.
fn code(op: InstrOp) -> u8 {
    match op {
        InstrOp::Bin(o) => o as u8,
        InstrOp::Call(f) => FUNCS + f as u8,
        InstrOp::Neg => NEG,
        InstrOp::Copy => COPY,
    }
}

/// The operation numbered `code` ([`code`]'s inverse); a constant in each
/// kernel, so the match folds away.
#[inline(always)]
fn op(code: u8) -> InstrOp {
    match code {
        c if c < FUNCS => InstrOp::Bin(BinOp::ALL[c as usize]),
        c if c < NEG => InstrOp::Call(Func::ALL[(c - FUNCS) as usize]),
        NEG => InstrOp::Neg,
        _ => InstrOp::Copy,
    }
}

/// The portable kernel of operation `C`.
fn portable<const C: u8>(out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    apply(op(C), out, a, b)
}

/// The kernel of operation `C` compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<const C: u8>(out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    apply(op(C), out, a, b)
}

macro_rules! table {
    ($f:ident: $($c:literal)*) => {
        [$($f::<$c> as KernelFn),*]
    };
}

static PORTABLE: [KernelFn; OPS] =
    table!(portable: 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21);

#[cfg(target_arch = "x86_64")]
static AVX2: [KernelFn; OPS] =
    table!(avx2: 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21);

#[inline(always)]
fn apply(op: InstrOp, out: &mut [f64], a: &[f64], b: &[f64]) -> bool {
    match op {
        InstrOp::Bin(o) => map2(out, a, b, |x, y| arith::binary_value(o, x, y)),
        InstrOp::Call(f) => map2(out, a, b, |x, y| arith::call_value(f, x, y)),
        InstrOp::Neg => {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = arith::neg(x);
            }
            false
        }
        InstrOp::Copy => {
            let n = out.len();
            out.copy_from_slice(&a[..n]);
            false
        }
    }
}

/// The exponent bits of an f64: all ones exactly for ±inf and NaN.
const EXPONENT: u64 = 0x7FF0_0000_0000_0000;

#[inline(always)]
fn map2(out: &mut [f64], a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> bool {
    let n = out.len();
    let (a, b) = (&a[..n], &b[..n]);
    // `f` is the operation's IEEE value (`arith::binary_value`): a row
    // without a value gets an infinity or NaN, which one integer test per
    // row finds (the exponent plus one carries into the sign bit only when
    // it is all ones), so the loop vectorises.
    let mut any = 0u64;
    for i in 0..n {
        let v = f(a[i], b[i]);
        any |= (v.to_bits() & EXPONENT).wrapping_add(1 << 52);
        out[i] = v;
    }
    any >> 63 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_kernel() {
        for c in 0..OPS as u8 {
            assert_eq!(code(op(c)), c);
        }
    }

    #[test]
    fn a_kernel_computes_the_interpreters_values_and_flags_rows_without_one() {
        let a = [1.0, 6.0, -2.0, 0.0];
        let b = [2.0, 0.0, 4.0, 0.0];
        let mut out = [0.0; 4];
        assert!(Kernel::of(InstrOp::Bin(BinOp::Div)).run(&mut out, &a, &b));
        assert_eq!(out[0], 0.5);
        assert_eq!(out[2], -0.5);
        assert!(!out[1].is_finite() && !out[3].is_finite());
        assert!(!Kernel::of(InstrOp::Bin(BinOp::Mul)).run(&mut out, &a, &b));
        assert_eq!(out, [2.0, 0.0, -8.0, 0.0]);
        assert!(Kernel::of(InstrOp::Call(Func::Sqrt)).run(&mut out, &a, &b));
        assert!(!Kernel::of(InstrOp::Neg).run(&mut out, &a, &b));
        assert_eq!(out, [-1.0, -6.0, 2.0, -0.0]);
    }
}
