//! Exact derivatives of a run: every read with respect to every scalar input
//! and every stream element, by automatic differentiation in f64.
//!
//! Owns: the local derivative rules of every operation of [`crate::arith`]
//! and the conventions where one does not exist (`rules.rs`); the program in
//! the form the differentiation walks (`program.rs`); reverse mode with
//! checkpoints, the default (`reverse.rs`); forward mode, the second method
//! the tests compare it with (`forward.rs`); the `gradients` lint
//! (`lint.rs`); the SVG chart of gradient flow (`svg.rs`).
//!
//! Must not know: the interpreter's internals or output formats. The
//! values are computed with `arith` in the interpreter's order, so every
//! read's value is the one `wb run` prints; when the run fails, the caller
//! runs the interpreter to report the error in its words.
//!
//! Reverse mode over a long stream does not keep a tape of the whole run:
//! the board is checkpointed every `k` iterations of a top-level loop, and
//! the iterations between two checkpoints are run again, backwards from the
//! last segment, when their adjoints are needed — the whiteboard strategy
//! applied to its own tape. Time is about three plain runs; memory is
//! `O(N / k + k)` boards and statements with `k ≈ √N`.

pub mod forward;
pub mod lint;

pub mod program;
pub mod reverse;
pub mod rules;
pub mod svg;

use std::collections::BTreeMap;

pub use program::{compile, Compiled, Output};
pub use rules::Convention;

/// The most read expressions differentiated at once (each is one component
/// of every adjoint).
pub const MAX_OUTPUTS: usize = 256;

/// What to differentiate and with which values.
#[derive(Clone, Copy, Debug)]
pub struct Spec<'a> {
    /// The compiled program.
    pub compiled: &'a Compiled,
    /// Scalar input values, by input index.
    pub scalars: &'a [f64],
    /// Stream values, by stream index.
    pub streams: &'a [Vec<f64>],
    /// For reads inside `each`: the element whose read is differentiated
    /// (default: the last).
    pub at: Option<u64>,
    /// Set (by Ctrl-C) to stop.
    pub interrupt: Option<&'a std::sync::atomic::AtomicBool>,
}

/// The derivatives of one read expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadGrad {
    /// The read's value at the differentiated occurrence; `None` if that
    /// occurrence never ran (a loop over an empty stream, `--at` past its end).
    pub value: Option<f64>,
    /// The `each` element of that occurrence.
    pub index: Option<u64>,
    /// ∂read/∂input, by input index.
    pub inputs: Vec<f64>,
    /// ∂read/∂x[t], by stream index, then element.
    pub streams: Vec<Vec<f64>>,
}

/// Where a convention was used: how often, and first where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Use {
    /// How many times.
    pub count: u64,
    /// The first statement's span.
    pub span: crate::syntax::Span,
    /// The `each` element, if inside one.
    pub index: Option<u64>,
}

/// The conventions a differentiation used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notes {
    /// By convention.
    pub used: BTreeMap<Convention, Use>,
}

impl Notes {
    /// Records one use.
    #[inline]
    pub fn note(&mut self, c: Convention, span: crate::syntax::Span, index: Option<u64>) {
        self.used
            .entry(c)
            .and_modify(|u| u.count += 1)
            .or_insert(Use {
                count: 1,
                span,
                index,
            });
    }
}

/// How reverse mode split its loops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpointing {
    /// The largest segment (iterations between two checkpoints).
    pub every: u64,
    /// The most checkpoints one loop kept.
    pub checkpoints: u64,
}

/// Every derivative of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// One per read expression, as [`Compiled::outputs`].
    pub reads: Vec<ReadGrad>,
    /// Where derivatives do not exist and what was taken.
    pub notes: Notes,
    /// Reverse mode's checkpoints (zero for forward mode).
    pub checkpointing: Checkpointing,
}

/// Why there are no gradients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The run fails: run the interpreter for its diagnostic.
    Run,
    /// Ctrl-C.
    Interrupted,
    /// More than the mode can hold (the message says what).
    TooLarge(String),
}

impl From<program::Fails> for Failure {
    fn from(_: program::Fails) -> Failure {
        Failure::Run
    }
}
