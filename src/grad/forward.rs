//! Forward mode: every value carries its tangent, one component per input
//! and per stream element, through one plain run. Its cost grows with the
//! number of those, so it is the second method (for tests and small runs),
//! not the default; it shares only the local rules with reverse mode.

use std::sync::atomic::Ordering;

use super::program::{COp, Code, Gate, Loop, Node};
use super::rules::{self, chain, Convention};
use super::{Checkpointing, Curves, Failure, Gradients, ReadGrad, Spec, Tally};
use crate::arith;

/// The largest tangent table (names × directions) forward mode builds.
const MAX_TANGENTS: usize = 1 << 24;

/// The same derivatives as [`super::reverse::gradients`], by forward mode.
pub fn gradients(spec: Spec<'_>) -> Result<Gradients, Failure> {
    let c = spec.compiled;
    let offsets: Vec<usize> = spec
        .streams
        .iter()
        .scan(c.inputs.len(), |at, s| {
            let o = *at;
            *at += s.len();
            Some(o)
        })
        .collect();
    let d = c.inputs.len() + spec.streams.iter().map(Vec::len).sum::<usize>();
    if c.names.saturating_mul(d) > MAX_TANGENTS {
        return Err(Failure::TooLarge(format!(
            "forward mode needs {} names × {d} directions of tangents, more than it holds ({MAX_TANGENTS}); reverse mode does not",
            c.names
        )));
    }
    let curves = Curves::new(&spec)?;
    let reads = curves
        .list
        .iter()
        .map(|&(output, _)| ReadGrad {
            output,
            value: None,
            index: None,
            inputs: vec![0.0; c.inputs.len()],
            streams: spec.streams.iter().map(|s| vec![0.0; s.len()]).collect(),
        })
        .collect();
    let mut f = Fwd {
        spec,
        curves,
        d,
        offsets,
        vals: vec![0.0; c.names],
        tan: vec![0.0; c.names * d],
        tv: Vec::new(),
        tv2: Vec::new(),
        tt: Vec::new(),
        tt2: Vec::new(),
        element: None,
        notes: Tally::default(),
        reads,
    };
    for (i, &n) in c.inputs.iter().enumerate() {
        f.vals[n as usize] = spec.scalars.get(i).copied().unwrap_or(0.0);
        f.tan[n as usize * d + i] = 1.0;
    }
    f.block(&c.top, Some(0), true)?;
    let Fwd {
        reads,
        notes,
        curves,
        ..
    } = f;
    Ok(Gradients {
        reads,
        counts: curves.counts,
        notes: notes.notes(),
        checkpointing: Checkpointing::default(),
    })
}

struct Fwd<'a> {
    spec: Spec<'a>,
    curves: Curves,
    d: usize,
    offsets: Vec<usize>,
    vals: Vec<f64>,
    tan: Vec<f64>,
    tv: Vec<f64>,
    tv2: Vec<f64>,
    tt: Vec<f64>,
    tt2: Vec<f64>,
    element: Option<u64>,
    notes: Tally,
    reads: Vec<ReadGrad>,
}

impl Fwd<'_> {
    /// Runs statements; `pos` is where their reads stand in what is
    /// differentiated (`None`: not differentiated here).
    fn block(&mut self, nodes: &[Node], pos: Option<usize>, top: bool) -> Result<(), Failure> {
        for node in nodes {
            match node {
                Node::Write { .. } => self.write(node)?,
                Node::Read(exprs) => {
                    for (code, r) in exprs {
                        let v = self.eval(code, false)?;
                        if let Some(pos) = pos {
                            self.record(*r, pos, v);
                        }
                    }
                }
                Node::Loop(l) => self.looped(l, pos, top)?,
            }
        }
        Ok(())
    }

    fn looped(&mut self, l: &Loop, pos: Option<usize>, top: bool) -> Result<(), Failure> {
        if !l.is_each() {
            for it in 0..l.count {
                // The last occurrence of a read is the one kept: a later
                // record replaces an earlier one.
                let p = if top && it + 1 < l.count { None } else { pos };
                self.block(&l.body, p, false)?;
            }
            return Ok(());
        }
        let n = Curves::length(l, self.spec.streams)?;
        for it in 0..n {
            if self
                .spec
                .interrupt
                .is_some_and(|f| f.load(Ordering::Relaxed))
            {
                return Err(Failure::Interrupted);
            }
            for &(name, s) in &l.streams {
                let n = name as usize;
                self.vals[n] = self.spec.streams[s][it as usize];
                let row = &mut self.tan[n * self.d..(n + 1) * self.d];
                row.fill(0.0);
                row[self.offsets[s] + it as usize] = 1.0;
            }
            self.element = Some(it);
            let p = pos.and_then(|_| self.curves.selected[l.id].binary_search(&it).ok());
            self.block(&l.body, p, false)?;
        }
        self.element = None;
        Ok(())
    }

    fn record(&mut self, r: usize, pos: usize, v: f64) {
        let c = self.spec.compiled;
        let t = &self.tt[self.tt.len() - self.d..];
        let read = &mut self.reads[self.curves.base[r] + pos];
        read.value = Some(v);
        read.index = self.element;
        read.inputs = t[..c.inputs.len()].to_vec();
        read.streams = self
            .spec
            .streams
            .iter()
            .zip(&self.offsets)
            .map(|(s, &o)| t[o..o + s.len()].to_vec())
            .collect();
    }

    /// The value of `code`, its tangent the last `d` entries of `tt` (or of
    /// `tt2` with `second`).
    fn eval(&mut self, code: &Code, second: bool) -> Result<f64, Failure> {
        let (tv, tt) = if second {
            (&mut self.tv2, &mut self.tt2)
        } else {
            (&mut self.tv, &mut self.tt)
        };
        let v = code.eval_all(&self.vals, tv)?;
        let d = self.d;
        tt.clear();
        tt.resize(code.ops.len() * d, 0.0);
        for i in 0..code.ops.len() {
            let [a, b] = code.args[i].map(|x| x as usize);
            let (pa, pb, note) = match code.ops[i] {
                COp::Num(_) => continue,
                COp::Name(n) => {
                    let n = n as usize;
                    tt[i * d..(i + 1) * d].copy_from_slice(&self.tan[n * d..(n + 1) * d]);
                    continue;
                }
                COp::Neg => (-1.0, 0.0, None),
                COp::Bin(op) => rules::binary(op, tv[a], tv[b], tv[i]),
                COp::Call(f) => rules::call(f, tv[a], tv[b], tv[i]),
            };
            let two = matches!(code.ops[i], COp::Bin(_))
                || matches!(code.ops[i], COp::Call(f) if f.arity() == 2);
            let (lo, hi) = tt.split_at_mut(i * d);
            let out = &mut hi[..d];
            let mut live = false;
            for k in 0..d {
                let mut x = chain(pa, lo[a * d + k]);
                if two {
                    x += chain(pb, lo[b * d + k]);
                }
                live |= x != 0.0;
                out[k] = x;
            }
            if let Some(c) = note {
                if live || lo[a * d..(a + 1) * d].iter().any(|&x| x != 0.0) {
                    self.notes.note(c, code.span, self.element);
                }
            }
        }
        Ok(v)
    }

    fn write(&mut self, node: &Node) -> Result<(), Failure> {
        let Node::Write {
            target,
            value,
            gate,
            span,
        } = node
        else {
            return Ok(());
        };
        let (t, d) = (*target as usize, self.d);
        match gate {
            Gate::None => {
                self.vals[t] = self.eval(value, false)?;
                let src = self.tt.len() - d;
                self.tan[t * d..(t + 1) * d].copy_from_slice(&self.tt[src..]);
            }
            Gate::When(cond) => {
                self.notes
                    .note(Convention::WhenCondition, *span, self.element);
                if self.eval(cond, false)? == 0.0 {
                    return Ok(());
                }
                self.vals[t] = self.eval(value, false)?;
                let src = self.tt.len() - d;
                self.tan[t * d..(t + 1) * d].copy_from_slice(&self.tt[src..]);
            }
            Gate::Soft(g) => {
                let e = self.eval(value, false)?;
                let gv = self.eval(g, true)?;
                if !(0.0..=1.0).contains(&gv) {
                    return Err(Failure::Run);
                }
                let old = self.vals[t];
                self.vals[t] = arith::blend(old, e, gv).map_err(|_| Failure::Run)?;
                let (te, tg) = (self.tt.len() - d, self.tt2.len() - d);
                for k in 0..d {
                    let x = &mut self.tan[t * d + k];
                    *x = chain(1.0 - gv, *x)
                        + chain(gv, self.tt[te + k])
                        + chain(e - old, self.tt2[tg + k]);
                }
            }
        }
        Ok(())
    }
}
