//! The three-way check's inputs and its verdict: input sets inside the
//! domain (range edges, near-ties, the longest stream, random ones), and the
//! comparison of each engine's reads with `wb run`'s against the bound.
//!
//! Running the engines is the caller's (the interpreter and the cell through
//! their public entry points, the exported files through a real ONNX
//! runtime and an f64 LSTMCell); this module only compares.

use super::fragment::GateKind;
use super::Export;

/// One input set: a value per declared input, a sequence per stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Per declared scalar input.
    pub scalars: Vec<f64>,
    /// Per declared stream.
    pub streams: Vec<Vec<f64>>,
    /// What the set tries.
    pub kind: &'static str,
}

/// The longest stream a check feeds (the f64 reference runs in Python).
pub const CHECK_MAX_LEN: u64 = 100_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        // xorshift64*: enough to spread test inputs.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Input sets inside the domain: both edges, alternating edges, near-ties
/// (a slowly rising stream, one value repeated, values a hair apart), the
/// longest stream, length 1, and `random` uniform ones.
pub fn cases(ex: &Export, defaults: &[Option<f64>], random: usize, seed: u64) -> Vec<Case> {
    let mut rng = Rng(seed | 1);
    let scalar_range = |i: usize| ex.ranges.scalars.get(i).copied().flatten();
    let stream_range = |i: usize| {
        ex.ranges
            .streams
            .get(i)
            .copied()
            .flatten()
            .unwrap_or((0.0, 0.0))
    };
    let longest = ex.max_len.clamp(1, CHECK_MAX_LEN) as usize;
    let each = ex.plan.repeat.is_none();
    let len = |n: usize| if each { n } else { 0 };
    let scalars = |pick: &mut dyn FnMut(f64, f64) -> f64| -> Vec<f64> {
        (0..ex.inputs.len())
            .map(|i| match scalar_range(i) {
                Some((lo, hi)) => pick(lo, hi),
                None => defaults.get(i).copied().flatten().unwrap_or(0.0),
            })
            .collect()
    };
    let mut out = Vec::new();
    let mk = |kind: &'static str, s: Vec<f64>, f: &dyn Fn(usize, f64, f64) -> f64, n: usize| Case {
        scalars: s,
        streams: (0..ex.streams.len())
            .map(|i| {
                let (lo, hi) = stream_range(i);
                (0..n).map(|k| f(k, lo, hi)).collect()
            })
            .collect(),
        kind,
    };
    out.push(mk(
        "low edge",
        scalars(&mut |lo, _| lo),
        &|_, lo, _| lo,
        len(longest.min(64)),
    ));
    out.push(mk(
        "high edge",
        scalars(&mut |_, hi| hi),
        &|_, _, hi| hi,
        len(longest.min(64)),
    ));
    out.push(mk(
        "alternating edges",
        scalars(&mut |lo, hi| (lo + hi) / 2.0),
        &|k, lo, hi| if k % 2 == 0 { lo } else { hi },
        len(longest.min(64)),
    ));
    if each {
        out.push(mk("length 1", scalars(&mut |lo, _| lo), &|_, _, hi| hi, 1));
        let has_selection = ex.plan.phases.iter().any(|p| {
            p.write
                .as_ref()
                .is_some_and(|w| matches!(w.gate, GateKind::Max | GateKind::Min))
        });
        let step = ex.bound.max.max(f64::MIN_POSITIVE) / 8.0;
        out.push(mk(
            "near-ties: rising by an eighth of the bound",
            scalars(&mut |lo, _| lo),
            &move |k, lo, hi| (lo + (hi - lo) / 2.0 + k as f64 * step).min(hi),
            len(longest.min(4096)),
        ));
        out.push(mk(
            "near-ties: one value, then a hair above and below",
            scalars(&mut |lo, _| lo),
            &|k, lo, hi| {
                let m = lo + (hi - lo) / 2.0;
                match k % 3 {
                    0 => m,
                    1 => m + m.abs().max(1.0) * 1e-12,
                    _ => m - m.abs().max(1.0) * 1e-12,
                }
            },
            len(longest.min(4096)),
        ));
        if has_selection {
            out.push(mk(
                "near-ties: each element a hair above the last",
                scalars(&mut |lo, _| lo),
                &|k, lo, hi| {
                    let m = lo + (hi - lo) / 4.0;
                    (m + k as f64 * (hi - lo).abs() * 1e-9).min(hi)
                },
                len(longest.min(4096)),
            ));
        }
        let mut r2 = Rng(seed.wrapping_mul(31) | 1);
        let long: Vec<Vec<f64>> = (0..ex.streams.len())
            .map(|i| {
                let (lo, hi) = stream_range(i);
                (0..longest).map(|_| r2.range(lo, hi)).collect()
            })
            .collect();
        out.push(Case {
            scalars: scalars(&mut |lo, hi| (lo + hi) / 2.0),
            streams: long,
            kind: "the longest stream",
        });
    }
    for _ in 0..random {
        let n = if each {
            1 + (rng.next() * longest.min(512) as f64) as usize
        } else {
            0
        };
        let s: Vec<f64> = (0..ex.inputs.len())
            .map(|i| match scalar_range(i) {
                Some((lo, hi)) => rng.range(lo, hi),
                None => defaults.get(i).copied().flatten().unwrap_or(0.0),
            })
            .collect();
        let streams = (0..ex.streams.len())
            .map(|i| {
                let (lo, hi) = stream_range(i);
                (0..n).map(|_| rng.range(lo, hi)).collect()
            })
            .collect();
        out.push(Case {
            scalars: s,
            streams,
            kind: "random",
        });
    }
    out
}

/// One engine's reads: per plan read, its values in order.
pub type Reads = Vec<Vec<f64>>;

/// Where an engine first left the bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The engine.
    pub engine: String,
    /// Which input set.
    pub case: usize,
    /// The read (index into the plan's reads).
    pub read: usize,
    /// The loop element (in-loop reads) or the stream length less one.
    pub element: usize,
    /// The LSTM step: element × steps per element + the read's phase.
    pub step: usize,
    /// The engine's value and `wb run`'s.
    pub got: f64,
    /// `wb run`'s value.
    pub want: f64,
    /// The bound there.
    pub bound: f64,
}

/// The verdict of a check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// Per engine: the largest error seen and the bound where it was seen.
    pub worst: Vec<(String, f64, f64)>,
    /// The first place any engine left the bound (or, for the cell, differed
    /// from the interpreter at all).
    pub first: Option<Violation>,
    /// Values compared.
    pub compared: usize,
}

impl Verdict {
    /// Compares `got` (one engine, one case) with the interpreter's reads.
    #[allow(clippy::too_many_arguments)]
    pub fn compare(
        &mut self,
        ex: &Export,
        engine: &str,
        case: usize,
        len: usize,
        want: &Reads,
        got: &Reads,
        exact: bool,
    ) {
        let at = match self.worst.iter().position(|w| w.0 == engine) {
            Some(i) => i,
            None => {
                self.worst.push((engine.to_owned(), 0.0, 0.0));
                self.worst.len() - 1
            }
        };
        for (r, (w, g)) in want.iter().zip(got).enumerate() {
            let read = &ex.plan.reads[r];
            let per = &ex.bound.per_read[r];
            let n = w.len().max(g.len());
            for k in 0..n {
                let (Some(&wv), Some(&gv)) = (w.get(k), g.get(k)) else {
                    self.note(
                        engine,
                        case,
                        r,
                        k,
                        ex,
                        f64::NAN,
                        w.get(k).copied().unwrap_or(f64::NAN),
                        0.0,
                    );
                    continue;
                };
                self.compared += 1;
                // Inside the loop the bound is the element's; after it, the
                // stream length's.
                let bound_at = if read.phase.is_some() {
                    per.get(k).copied().unwrap_or(ex.bound.max)
                } else {
                    after_bound(ex, r, len)
                };
                let err = (gv - wv).abs();
                let limit = if exact { 0.0 } else { bound_at };
                if err > self.worst[at].1 || err.is_nan() {
                    self.worst[at].1 = err;
                    self.worst[at].2 = bound_at;
                }
                if err.is_nan() || err > limit || (exact && gv.to_bits() != wv.to_bits()) {
                    self.note(engine, case, r, k, ex, gv, wv, limit);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        engine: &str,
        case: usize,
        read: usize,
        element: usize,
        ex: &Export,
        got: f64,
        want: f64,
        bound: f64,
    ) {
        if self.first.is_some() {
            return;
        }
        let phase = ex.plan.reads[read].phase.unwrap_or(ex.lstm.phases - 1);
        self.first = Some(Violation {
            engine: engine.to_owned(),
            case,
            read,
            element,
            step: element * ex.lstm.phases + phase,
            got,
            want,
            bound,
        });
    }
}

/// The bound for after-loop reads at stream length `len` (1-based).
pub fn after_bound(ex: &Export, read: usize, len: usize) -> f64 {
    let per = &ex.bound.per_read[read];
    match ex.plan.repeat {
        Some(_) => per.first().copied().unwrap_or(ex.bound.max),
        None => per
            .get(len.saturating_sub(1))
            .copied()
            .unwrap_or(ex.bound.max),
    }
}
