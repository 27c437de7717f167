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
//! applied to its own tape. Time is a few plain runs (the benchmark
//! measures it against the interpreter); memory is
//! `O(N / k + k)` boards and statements with `k ≈ √N`.

pub mod forward;
pub mod lint;

pub mod program;
pub mod reverse;
pub mod rules;
pub mod svg;

use std::collections::BTreeMap;

pub use program::{compile, Compiled, Output};
use program::{Loop, Node};
pub use rules::Convention;

/// The most reads differentiated at once (each is one component of every
/// adjoint).
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
    /// (default: the first and the last [`FOLD`], see [`selection`]).
    pub at: Option<u64>,
    /// Set (by Ctrl-C) to stop.
    pub interrupt: Option<&'a std::sync::atomic::AtomicBool>,
}

/// How many reads of a read expression inside `each` are differentiated
/// when no element is asked for: those at the first `FOLD` and the last
/// `FOLD` elements (every one of a stream of at most `2 · FOLD`).
pub const FOLD: u64 = 3;

/// The elements of an `each` over `n` elements whose reads are
/// differentiated: element `at` alone if asked for (none if past the end),
/// else the first and last [`FOLD`].
pub fn selection(n: u64, at: Option<u64>) -> Vec<u64> {
    match at {
        Some(k) => (k < n).then_some(k).into_iter().collect(),
        None if n <= 2 * FOLD => (0..n).collect(),
        None => (0..FOLD).chain(n - FOLD..n).collect(),
    }
}

/// The derivatives of one read: a read expression, or, inside `each`, the
/// read at one element (one curve of the gradient flow).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadGrad {
    /// Which read expression, as [`Compiled::outputs`].
    pub output: usize,
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

/// The conventions' uses as a differentiation counts them: one entry per
/// convention, so counting costs no lookup. The place kept is the earliest
/// (by element, then by position in the text), whichever way the run is
/// walked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally([Option<Use>; Convention::ALL.len()]);

impl Tally {
    /// Records one use.
    #[inline]
    pub(crate) fn note(&mut self, c: Convention, span: crate::syntax::Span, index: Option<u64>) {
        let u = &mut self.0[c as usize];
        match u {
            None => {
                *u = Some(Use {
                    count: 1,
                    span,
                    index,
                })
            }
            Some(u) => {
                u.count += 1;
                if (index, span.start) < (u.index, u.span.start) {
                    (u.span, u.index) = (span, index);
                }
            }
        }
    }

    /// The uses, by convention.
    pub(crate) fn notes(&self) -> Notes {
        Notes {
            used: Convention::ALL
                .iter()
                .filter_map(|&c| self.0[c as usize].map(|u| (c, u)))
                .collect(),
        }
    }
}

/// The reads a differentiation computes, numbered: one per read
/// expression, or, for a read inside `each`, one per element of its
/// [`selection`] (at least one: a read that never ran has one, with no
/// value).
#[derive(Clone, Debug)]
pub(crate) struct Curves {
    /// Each curve's read expression and element.
    pub list: Vec<(usize, Option<u64>)>,
    /// The first curve of each read expression.
    pub base: Vec<usize>,
    /// How many times each read expression is read: the elements of its
    /// `each`, else 1 (0 for a loop that never runs).
    pub counts: Vec<u64>,
    /// By loop id: the elements selected (`each`), else empty.
    pub selected: Vec<Vec<u64>>,
    /// By loop id: statements one pass over the body executes, nested loops
    /// counted with their actual lengths (at least 1).
    pub work: Vec<u64>,
}

impl Curves {
    /// The curves of a run with these streams.
    pub(crate) fn new(spec: &Spec<'_>) -> Result<Curves, Failure> {
        let c = spec.compiled;
        let mut cv = Curves {
            list: Vec::new(),
            base: vec![0; c.outputs.len()],
            counts: vec![1; c.outputs.len()],
            selected: vec![Vec::new(); c.loops],
            work: vec![1; c.loops],
        };
        let mut elements: Vec<Option<Vec<u64>>> = vec![None; c.outputs.len()];
        cv.walk(&c.top, spec, &mut elements)?;
        for (r, e) in elements.into_iter().enumerate() {
            cv.base[r] = cv.list.len();
            match e {
                Some(sel) if !sel.is_empty() => cv.list.extend(sel.iter().map(|&t| (r, Some(t)))),
                _ => cv.list.push((r, None)),
            }
        }
        Ok(cv)
    }

    /// The iterations of a loop.
    pub(crate) fn length(l: &Loop, streams: &[Vec<f64>]) -> Result<u64, Failure> {
        if !l.is_each() {
            return Ok(l.count);
        }
        let mut n = None;
        for &(_, s) in &l.streams {
            let len = streams.get(s).map_or(0, Vec::len) as u64;
            match n {
                Some(m) if m != len => return Err(Failure::Run),
                _ => n = Some(len),
            }
        }
        Ok(n.unwrap_or(0))
    }

    /// Fills in the loops' selections and work; returns the body's work.
    fn walk(
        &mut self,
        nodes: &[Node],
        spec: &Spec<'_>,
        elements: &mut [Option<Vec<u64>>],
    ) -> Result<u64, Failure> {
        let mut work = 0u64;
        for node in nodes {
            work = work.saturating_add(match node {
                Node::Write { .. } | Node::Read(_) => 1,
                Node::Loop(l) => {
                    let n = Self::length(l, spec.streams)?;
                    if l.is_each() {
                        let sel = selection(n, spec.at);
                        for r in l.reads.clone() {
                            self.counts[r] = n;
                            elements[r] = Some(sel.clone());
                        }
                        self.selected[l.id] = sel;
                    } else if n == 0 {
                        for r in l.reads.clone() {
                            self.counts[r] = 0;
                        }
                    }
                    let w = self.walk(&l.body, spec, elements)?.max(1);
                    self.work[l.id] = w;
                    n.saturating_mul(w)
                }
            });
        }
        Ok(work)
    }

    /// How many curves.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
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
    /// One per read expression, in the order of [`Compiled::outputs`]; a
    /// read inside `each` has one per element of its [`selection`], in
    /// order of the elements.
    pub reads: Vec<ReadGrad>,
    /// How many times each read expression is read (by output): the
    /// elements of its `each`, of which `reads` holds the selection.
    pub counts: Vec<u64>,
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
