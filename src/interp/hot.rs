//! The hot loop: a `repeat` whose body only overwrites values already on
//! the board, run as a tree of closures with its checks hoisted.
//!
//! Such a body leaves the board as it found it, so what each statement
//! checks before it runs (its target and every value it reads are on the
//! board) is checked once for the whole loop. Each expression then becomes
//! a tree of closures whose values pass in registers, not through the
//! frame; a value the body never writes (an input, a constant, a board
//! value no statement of the body overwrites) is read once, before the
//! loop, and kept in its closure. Every operation is still the one
//! `wb::arith` defines, on the same operands in the same order, so the bits
//! are the plain loop's.
//!
//! An operation fails exactly when its value is not finite (a division by
//! zero has no finite value either). Each closure makes sure that a value
//! that is not finite reaches the root, where it is tested once: `+`, `-`,
//! `*`, `-x`, `abs`, `sqrt`, `ln` and a dividend pass an infinity or NaN on
//! by themselves (IEEE: no finite result has a non-finite operand there);
//! every other operand that is not finite makes its operation's value NaN.
//! So the root is finite exactly when every operation was, and then every
//! value is the one the plain loop computes. When the root is not finite,
//! the plain loop takes over at that statement and says which operation
//! failed, through the exact evaluator.
//!
//! The steps are counted a run of iterations at a time, sized so that the
//! step limit falls outside it, and the interrupt flag is looked at before
//! each run (at most [`BETWEEN_LOOKS`] iterations apart): the first
//! statement that would stop or fail hands over to the plain loop there,
//! which does exactly what it would have done from that point.

use std::sync::atomic::Ordering;

use super::code::{Code as Instructions, Compiled, Fast, Kind, Reg, RegOp};
use super::{Machine, Run};
use crate::arith;
use crate::syntax::{BinOp, Func};

/// The most iterations between two looks at the interrupt flag.
const BETWEEN_LOOKS: u64 = 4096;

/// Below this many iterations the closures cost more to build than they
/// save: the body runs on the three-address form.
const FEW_ITERATIONS: u64 = 64;

/// The deepest expression made into closures (their calls nest as deep):
/// deeper ones run on the three-address form, so that no program can
/// exhaust the stack.
const MAX_DEPTH: usize = 48;

/// An expression's value from the frame.
type Closure<'c> = Box<dyn Fn(&[f64]) -> f64 + 'c>;

/// How one statement of the hot body computes its value.
enum Value<'c> {
    /// A tree of closures: not finite when an operation failed.
    Tree(Closure<'c>),
    /// The three-address form (`None` when an operation failed).
    Regs(Fast),
}

impl Machine<'_> {
    /// Runs a `repeat` body made only of plain writes over values already
    /// on the board, as far as it can, and returns the iteration and the
    /// statement where the plain loop goes on (`(count, 0)`: done).
    pub(super) fn hot_repeat(
        &mut self,
        code: &Instructions,
        count: u64,
        body: &[Compiled],
        run: &Run,
    ) -> (u64, usize) {
        if run.watch || body.is_empty() {
            return (0, 0);
        }
        let mut writes = Vec::with_capacity(body.len());
        for c in body {
            match &c.kind {
                Kind::Write {
                    target,
                    value,
                    gate: None,
                    ..
                } if self.board.slot_of(target.id).is_some()
                    && code.reads_on_board(*value, &self.board) =>
                {
                    writes.push((target.id.index(), *value));
                }
                _ => return (0, 0),
            }
        }
        let targets: Vec<usize> = writes.iter().map(|&(t, _)| t).collect();
        let body: Vec<(usize, Value)> = writes
            .iter()
            .map(|&(target, x)| {
                let tree = (count >= FEW_ITERATIONS)
                    .then(|| tree(code, x, &self.values, &targets))
                    .flatten();
                (target, tree.map_or(Value::Regs(x), Value::Tree))
            })
            .collect();
        let per = body.len() as u64;
        let mut iteration = 0;
        while iteration < count {
            if run.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                return (iteration, 0);
            }
            // Whole iterations within the step limit; the plain loop runs
            // the one the limit falls in.
            let room = run.max_steps.saturating_sub(self.steps) / per;
            let chunk = (count - iteration).min(room).min(BETWEEN_LOOKS);
            if chunk == 0 {
                return (iteration, 0);
            }
            for i in 0..chunk {
                for (k, (target, value)) in body.iter().enumerate() {
                    let v = match value {
                        Value::Tree(f) => f(&self.values),
                        Value::Regs(x) => code.computed(*x, &mut self.values).unwrap_or(f64::NAN),
                    };
                    if !v.is_finite() {
                        self.steps += i * per + k as u64;
                        return (iteration + i, k);
                    }
                    self.values[*target] = v;
                }
            }
            self.steps += chunk * per;
            iteration += chunk;
        }
        (count, 0)
    }
}

/// Where an operand of a closure comes from.
enum Operand<'c> {
    /// A frame value the body writes: read at each evaluation.
    Slot(usize),
    /// A value the loop does not change, read before it.
    Fixed(f64),
    /// An operation's value.
    Tree(Closure<'c>, usize),
}

/// The closures of `x`, or `None` if it is deeper than [`MAX_DEPTH`] (or
/// reads past the frame, which no compiled expression does).
/// `frame` holds every value the body does not write (`written`).
fn tree<'c>(code: &Instructions, x: Fast, frame: &[f64], written: &[usize]) -> Option<Closure<'c>> {
    let (regs, result) = code.regs_of(x);
    // The value of each temporary not yet used, by its frame index (in a
    // stack evaluation each is used once, by a later operation).
    let mut pending: Vec<(u32, Closure<'c>, usize)> = Vec::new();
    let operand = |pending: &mut Vec<(u32, Closure<'c>, usize)>, at: u32| {
        if let Some(k) = pending.iter().rposition(|p| p.0 == at) {
            let (_, f, depth) = pending.remove(k);
            return Some(Operand::Tree(f, depth));
        }
        let at = at as usize;
        if written.contains(&at) {
            Some(Operand::Slot(at))
        } else {
            // Outside the frame: no closures (the three-address form runs).
            frame.get(at).copied().map(Operand::Fixed)
        }
    };
    for r in regs {
        let a = operand(&mut pending, r.a)?;
        let (f, depth) = if unary(r.op) {
            let depth = depth_of(&a) + 1;
            (one(r.op, a), depth)
        } else {
            let b = operand(&mut pending, r.b)?;
            let depth = depth_of(&a).max(depth_of(&b)) + 1;
            (two(*r, a, b), depth)
        };
        if depth > MAX_DEPTH {
            return None;
        }
        pending.push((r.dst, f, depth));
    }
    Some(match operand(&mut pending, result)? {
        Operand::Tree(f, _) => f,
        Operand::Slot(at) => Box::new(move |frame: &[f64]| frame[at]),
        Operand::Fixed(v) => Box::new(move |_: &[f64]| v),
    })
}

fn depth_of(o: &Operand) -> usize {
    match o {
        Operand::Tree(_, depth) => *depth,
        _ => 0,
    }
}

fn unary(op: RegOp) -> bool {
    use RegOp::*;
    matches!(op, Neg | Abs | Sqrt | Exp | Ln | Tanh | Sigmoid)
}

/// A value that reads an operand: from the frame, kept, or computed.
trait Ev {
    fn ev(&self, frame: &[f64]) -> f64;
}

struct SlotOf(usize);
struct FixedOf(f64);
struct TreeOf<'c>(Closure<'c>);

impl Ev for SlotOf {
    #[inline(always)]
    fn ev(&self, frame: &[f64]) -> f64 {
        frame[self.0]
    }
}

impl Ev for FixedOf {
    #[inline(always)]
    fn ev(&self, _: &[f64]) -> f64 {
        self.0
    }
}

impl Ev for TreeOf<'_> {
    #[inline(always)]
    fn ev(&self, frame: &[f64]) -> f64 {
        (self.0)(frame)
    }
}

/// `v`, or NaN when `ok` is false: an operand that is not finite makes
/// the value of an operation that could hide it not finite.
#[inline(always)]
fn unless(ok: bool, v: f64) -> f64 {
    if ok {
        v
    } else {
        f64::NAN
    }
}

/// A one-operand operation's closure.
fn one<'c>(op: RegOp, a: Operand<'c>) -> Closure<'c> {
    match a {
        Operand::Slot(at) => one_of(op, SlotOf(at)),
        Operand::Fixed(v) => one_of(op, FixedOf(v)),
        Operand::Tree(f, _) => one_of(op, TreeOf(f)),
    }
}

fn one_of<'c, A: Ev + 'c>(op: RegOp, a: A) -> Closure<'c> {
    // `-x`, `abs`, `sqrt` and `ln` of an infinity or NaN are not finite;
    // `exp`, `tanh` and `sigmoid` can be (`exp(-inf)` is 0).
    let call = |f: Func, a: A| -> Closure<'c> {
        Box::new(move |frame: &[f64]| {
            let x = a.ev(frame);
            unless(x.is_finite(), arith::call_value(f, x, 0.0))
        })
    };
    match op {
        RegOp::Neg => Box::new(move |frame: &[f64]| arith::neg(a.ev(frame))),
        RegOp::Abs => Box::new(move |frame: &[f64]| arith::call_value(Func::Abs, a.ev(frame), 0.0)),
        RegOp::Sqrt => {
            Box::new(move |frame: &[f64]| arith::call_value(Func::Sqrt, a.ev(frame), 0.0))
        }
        RegOp::Ln => Box::new(move |frame: &[f64]| arith::call_value(Func::Ln, a.ev(frame), 0.0)),
        RegOp::Exp => call(Func::Exp, a),
        RegOp::Tanh => call(Func::Tanh, a),
        _ => call(Func::Sigmoid, a),
    }
}

/// A two-operand operation's closure.
fn two<'c>(r: Reg, a: Operand<'c>, b: Operand<'c>) -> Closure<'c> {
    use Operand::{Fixed, Slot, Tree};
    match (a, b) {
        (Slot(x), Slot(y)) => two_of(r.op, SlotOf(x), SlotOf(y)),
        (Slot(x), Fixed(y)) => two_of(r.op, SlotOf(x), FixedOf(y)),
        (Slot(x), Tree(y, _)) => two_of(r.op, SlotOf(x), TreeOf(y)),
        (Fixed(x), Slot(y)) => two_of(r.op, FixedOf(x), SlotOf(y)),
        (Fixed(x), Fixed(y)) => two_of(r.op, FixedOf(x), FixedOf(y)),
        (Fixed(x), Tree(y, _)) => two_of(r.op, FixedOf(x), TreeOf(y)),
        (Tree(x, _), Slot(y)) => two_of(r.op, TreeOf(x), SlotOf(y)),
        (Tree(x, _), Fixed(y)) => two_of(r.op, TreeOf(x), FixedOf(y)),
        (Tree(x, _), Tree(y, _)) => two_of(r.op, TreeOf(x), TreeOf(y)),
    }
}

fn two_of<'c, A: Ev + 'c, B: Ev + 'c>(op: RegOp, a: A, b: B) -> Closure<'c> {
    // `+`, `-` and `*` of an infinity or NaN are not finite (`inf - inf`
    // and `inf * 0` are NaN), nor is a quotient or remainder of one; the
    // divisor, both operands of `^`, of a comparison and of `min`/`max`
    // can hide one (`1 / inf` is 0, `1 ^ NaN` is 1, `NaN < 1` is 0).
    macro_rules! both_checked {
        ($value:expr) => {
            Box::new(move |frame: &[f64]| {
                let (x, y) = (a.ev(frame), b.ev(frame));
                unless(x.is_finite() & y.is_finite(), $value(x, y))
            })
        };
    }
    macro_rules! bin {
        ($b:expr) => {
            both_checked!(|x, y| arith::binary_value($b, x, y))
        };
    }
    match op {
        RegOp::Add => Box::new(move |frame: &[f64]| a.ev(frame) + b.ev(frame)),
        RegOp::Sub => Box::new(move |frame: &[f64]| a.ev(frame) - b.ev(frame)),
        RegOp::Mul => Box::new(move |frame: &[f64]| a.ev(frame) * b.ev(frame)),
        RegOp::Div => Box::new(move |frame: &[f64]| {
            let (x, y) = (a.ev(frame), b.ev(frame));
            unless(y.is_finite(), arith::binary_value(BinOp::Div, x, y))
        }),
        RegOp::Rem => Box::new(move |frame: &[f64]| {
            let (x, y) = (a.ev(frame), b.ev(frame));
            unless(y.is_finite(), arith::binary_value(BinOp::Rem, x, y))
        }),
        RegOp::Pow => bin!(BinOp::Pow),
        RegOp::Lt => bin!(BinOp::Lt),
        RegOp::Le => bin!(BinOp::Le),
        RegOp::Gt => bin!(BinOp::Gt),
        RegOp::Ge => bin!(BinOp::Ge),
        RegOp::Eq => bin!(BinOp::Eq),
        RegOp::Ne => bin!(BinOp::Ne),
        RegOp::Min => both_checked!(|x, y| arith::call_value(Func::Min, x, y)),
        _ => both_checked!(|x, y| arith::call_value(Func::Max, x, y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the closures rely on: where an operation passes a non-finite
    /// operand on by itself, its value is not finite for every operand.
    #[test]
    fn the_unchecked_operands_pass_a_non_finite_value_on() {
        let odd = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        let any = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            3.0,
            1e300,
            -1e300,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for &x in &odd {
            for &y in &any {
                for op in [BinOp::Add, BinOp::Sub, BinOp::Mul] {
                    assert!(!arith::binary_value(op, x, y).is_finite(), "{x} {op:?} {y}");
                    assert!(!arith::binary_value(op, y, x).is_finite(), "{y} {op:?} {x}");
                }
                for op in [BinOp::Div, BinOp::Rem] {
                    assert!(!arith::binary_value(op, x, y).is_finite(), "{x} {op:?} {y}");
                }
            }
            assert!(!arith::neg(x).is_finite());
            for f in [Func::Abs, Func::Sqrt, Func::Ln] {
                assert!(!arith::call_value(f, x, 0.0).is_finite(), "{f:?}({x})");
            }
        }
        // And the checked ones need their check.
        assert!(arith::binary_value(BinOp::Div, 1.0, f64::INFINITY).is_finite());
        assert!(arith::call_value(Func::Exp, f64::NEG_INFINITY, 0.0).is_finite());
    }
}
