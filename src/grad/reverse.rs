//! Reverse mode with checkpoints: one forward run that keeps the board
//! every `k` iterations of each top-level loop, then a backward sweep that
//! runs each segment again from its checkpoint, logging the values its
//! writes overwrite, and walks that log backwards with the adjoints.
//!
//! The adjoint of a name is a vector with one component per read
//! expression, so one sweep differentiates every read. Expressions are
//! evaluated again during the sweep to recover their intermediate values
//! (a statement's log entry is only the value it overwrote).

use std::sync::atomic::Ordering;

use super::program::{COp, Code, Compiled, Gate, Loop, Node};
use super::rules::{self, chain, Convention};
use super::{Checkpointing, Failure, Gradients, Notes, ReadGrad, Spec, MAX_OUTPUTS};
use crate::arith;
use crate::syntax::Span;

/// The largest adjoint table (names × reads) reverse mode builds.
const MAX_ADJOINTS: usize = 1 << 25;

/// Differentiates every read of the run with respect to every input and
/// stream element.
pub fn gradients(spec: Spec<'_>) -> Result<Gradients, Failure> {
    let c = spec.compiled;
    let r = c.outputs.len();
    if r > MAX_OUTPUTS {
        return Err(Failure::TooLarge(format!(
            "the program has {r} read expressions; `wb grad` differentiates at most {MAX_OUTPUTS} at once"
        )));
    }
    if c.names.saturating_mul(r) > MAX_ADJOINTS {
        return Err(Failure::TooLarge(format!(
            "{} names × {r} reads is more adjoints than `wb grad` holds ({MAX_ADJOINTS})",
            c.names
        )));
    }
    let mut rev = Rev::new(spec);
    let mut log = Vec::new();
    let mut records = Vec::new();
    rev.forward_top(&mut log, &mut records)?;
    for ev in log.iter().rev() {
        match *ev {
            Event::Write { node, old, open } => rev.back_write(node, old, open)?,
            Event::Read(node) => rev.back_read(node)?,
            Event::Loop(l, id) => rev.back_loop(l, &records[id])?,
            Event::Iter(_) => {}
        }
    }
    Ok(rev.finish())
}

/// One entry of a log: what walking back over it needs.
#[derive(Clone, Copy)]
enum Event<'a> {
    /// A write, the value it overwrote, whether its gate was open.
    Write {
        node: &'a Node,
        old: f64,
        open: bool,
    },
    /// A read that is differentiated here.
    Read(&'a Node),
    /// An iteration of the loop being replayed starts.
    Iter(u64),
    /// A top-level loop, with its record.
    Loop(&'a Loop, usize),
}

/// A top-level loop as the forward run left it.
struct Record {
    /// Iterations.
    n: u64,
    /// Iterations between checkpoints.
    k: u64,
    /// The iteration whose reads are differentiated.
    sel: Option<u64>,
    /// The loop's written names at iterations 0, k, 2k, … (flattened).
    checkpoints: Vec<f64>,
}

struct Rev<'a> {
    spec: Spec<'a>,
    c: &'a Compiled,
    /// Outputs: the adjoint vectors' length.
    r: usize,
    vals: Vec<f64>,
    adj: Vec<f64>,
    stack: Vec<f64>,
    tv: Vec<f64>,
    tv2: Vec<f64>,
    ta: Vec<f64>,
    seed: Vec<f64>,
    seed2: Vec<f64>,
    seeded: Vec<bool>,
    values: Vec<Option<f64>>,
    index: Vec<Option<u64>>,
    stream_grads: Vec<Vec<f64>>,
    element: Option<u64>,
    notes: Notes,
    ckpt: Checkpointing,
}

impl<'a> Rev<'a> {
    fn new(spec: Spec<'a>) -> Rev<'a> {
        let c = spec.compiled;
        let r = c.outputs.len();
        let mut vals = vec![0.0; c.names];
        for (i, &n) in c.inputs.iter().enumerate() {
            vals[n as usize] = spec.scalars.get(i).copied().unwrap_or(0.0);
        }
        Rev {
            spec,
            c,
            r,
            vals,
            adj: vec![0.0; c.names * r],
            stack: Vec::with_capacity(16),
            tv: Vec::new(),
            tv2: Vec::new(),
            ta: Vec::new(),
            seed: vec![0.0; r],
            seed2: vec![0.0; r],
            seeded: vec![false; r],
            values: vec![None; r],
            index: vec![None; r],
            stream_grads: spec
                .streams
                .iter()
                .map(|s| vec![0.0; s.len() * r])
                .collect(),
            element: None,
            notes: Notes::default(),
            ckpt: Checkpointing::default(),
        }
    }

    fn interrupted(&self) -> bool {
        self.spec
            .interrupt
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn forward_top(
        &mut self,
        log: &mut Vec<Event<'a>>,
        records: &mut Vec<Record>,
    ) -> Result<(), Failure> {
        let c = self.c;
        for node in &c.top {
            match node {
                Node::Write { target, .. } => {
                    let old = self.vals[*target as usize];
                    let open = self.write(node)?;
                    log.push(Event::Write { node, old, open });
                }
                Node::Read(exprs) => {
                    for (code, r) in exprs {
                        let v = code.eval(&self.vals, &mut self.stack)?;
                        self.values[*r] = Some(v);
                    }
                    log.push(Event::Read(node));
                }
                Node::Loop(l) => {
                    let rec = self.forward_loop(l)?;
                    records.push(rec);
                    log.push(Event::Loop(l, records.len() - 1));
                }
            }
        }
        Ok(())
    }

    /// Runs a write; returns whether its gate was open.
    #[inline]
    fn write(&mut self, node: &Node) -> Result<bool, Failure> {
        let Node::Write {
            target,
            value,
            gate,
            ..
        } = node
        else {
            return Ok(false);
        };
        let t = *target as usize;
        match gate {
            Gate::None => self.vals[t] = value.eval(&self.vals, &mut self.stack)?,
            Gate::When(cond) => {
                if cond.eval(&self.vals, &mut self.stack)? == 0.0 {
                    return Ok(false);
                }
                self.vals[t] = value.eval(&self.vals, &mut self.stack)?;
            }
            Gate::Soft(g) => {
                let e = value.eval(&self.vals, &mut self.stack)?;
                let gv = g.eval(&self.vals, &mut self.stack)?;
                if !(0.0..=1.0).contains(&gv) {
                    return Err(Failure::Run);
                }
                self.vals[t] = arith::blend(self.vals[t], e, gv).map_err(|_| Failure::Run)?;
            }
        }
        Ok(true)
    }

    /// The iterations of a loop, and the one whose reads count.
    fn extent(&self, l: &Loop) -> Result<(u64, Option<u64>), Failure> {
        if !l.is_each() {
            return Ok((l.count, l.count.checked_sub(1)));
        }
        let mut n = None;
        for &(_, s) in &l.streams {
            let len = self.spec.streams.get(s).map_or(0, Vec::len) as u64;
            match n {
                Some(m) if m != len => return Err(Failure::Run),
                _ => n = Some(len),
            }
        }
        let n = n.unwrap_or(0);
        let sel = match self.spec.at {
            Some(k) => (k < n).then_some(k),
            None => n.checked_sub(1),
        };
        Ok((n, sel))
    }

    fn set_element(&mut self, l: &Loop, it: u64) {
        if !l.is_each() {
            return;
        }
        for &(name, s) in &l.streams {
            if let Some(v) = self.spec.streams.get(s).and_then(|v| v.get(it as usize)) {
                self.vals[name as usize] = *v;
            }
        }
        self.element = Some(it);
    }

    fn forward_loop(&mut self, l: &'a Loop) -> Result<Record, Failure> {
        let (n, sel) = self.extent(l)?;
        let w = l.written.len().max(1) as f64;
        let k = ((n as f64 * w / l.work as f64).sqrt().ceil() as u64).clamp(1, n.max(1));
        let segments = n.div_ceil(k);
        self.ckpt.every = self.ckpt.every.max(k.min(n));
        self.ckpt.checkpoints = self.ckpt.checkpoints.max(segments);
        let mut checkpoints = Vec::with_capacity(segments as usize * l.written.len());
        for it in 0..n {
            if it % k == 0 {
                if self.interrupted() {
                    return Err(Failure::Interrupted);
                }
                checkpoints.extend(l.written.iter().map(|&w| self.vals[w as usize]));
            }
            self.set_element(l, it);
            self.body(&l.body, Some(it) == sel, None)?;
        }
        self.element = None;
        Ok(Record {
            n,
            k,
            sel,
            checkpoints,
        })
    }

    /// Runs a loop body; with a log, records what the sweep needs.
    fn body(
        &mut self,
        nodes: &'a [Node],
        selected: bool,
        mut log: Option<&mut Vec<Event<'a>>>,
    ) -> Result<(), Failure> {
        for node in nodes {
            match node {
                Node::Write { target, .. } => {
                    let old = self.vals[*target as usize];
                    let open = self.write(node)?;
                    if let Some(log) = log.as_deref_mut() {
                        log.push(Event::Write { node, old, open });
                    }
                }
                Node::Read(exprs) => {
                    for (code, r) in exprs {
                        let v = code.eval(&self.vals, &mut self.stack)?;
                        if selected {
                            self.values[*r] = Some(v);
                            self.index[*r] = self.element;
                        }
                    }
                    if selected {
                        if let Some(log) = log.as_deref_mut() {
                            log.push(Event::Read(node));
                        }
                    }
                }
                Node::Loop(inner) => {
                    for _ in 0..inner.count {
                        self.body(&inner.body, selected, log.as_deref_mut())?;
                    }
                }
            }
        }
        Ok(())
    }

    fn back_loop(&mut self, l: &'a Loop, rec: &Record) -> Result<(), Failure> {
        let w = l.written.len();
        let mut seglog: Vec<Event<'a>> = Vec::new();
        for j in (0..rec.n.div_ceil(rec.k)).rev() {
            if self.interrupted() {
                return Err(Failure::Interrupted);
            }
            let start = j * rec.k;
            let end = (start + rec.k).min(rec.n);
            let saved = &rec.checkpoints[j as usize * w..(j as usize + 1) * w];
            for (&name, &v) in l.written.iter().zip(saved) {
                self.vals[name as usize] = v;
            }
            seglog.clear();
            for it in start..end {
                seglog.push(Event::Iter(it));
                self.set_element(l, it);
                self.body(&l.body, Some(it) == rec.sel, Some(&mut seglog))?;
            }
            for ev in seglog.iter().rev() {
                match *ev {
                    Event::Iter(it) => {
                        self.harvest(l, it);
                        if it > 0 {
                            self.set_element(l, it - 1);
                        }
                    }
                    Event::Write { node, old, open } => self.back_write(node, old, open)?,
                    Event::Read(node) => self.back_read(node)?,
                    Event::Loop(..) => {}
                }
            }
        }
        self.element = None;
        Ok(())
    }

    /// The adjoints of the current elements are the gradients at `it`.
    fn harvest(&mut self, l: &Loop, it: u64) {
        let r = self.r;
        for &(name, s) in &l.streams {
            let Some(g) = self.stream_grads.get_mut(s) else {
                continue;
            };
            let a = &mut self.adj[name as usize * r..(name as usize + 1) * r];
            let at = it as usize * r;
            for (dst, src) in g[at..at + r].iter_mut().zip(a.iter_mut()) {
                *dst += *src;
                *src = 0.0;
            }
        }
    }

    fn back_write(&mut self, node: &Node, old: f64, open: bool) -> Result<(), Failure> {
        let Node::Write {
            target,
            value,
            gate,
            span,
        } = node
        else {
            return Ok(());
        };
        let (t, r) = (*target as usize, self.r);
        self.seed.copy_from_slice(&self.adj[t * r..(t + 1) * r]);
        self.vals[t] = old;
        if self.seed.iter().all(|&a| a == 0.0) {
            return Ok(());
        }
        let cx = Ctx {
            span: *span,
            element: self.element,
        };
        match gate {
            Gate::None => {
                self.adj[t * r..(t + 1) * r].fill(0.0);
                value.eval_all(&self.vals, &mut self.tv)?;
                backprop(
                    value,
                    &self.tv,
                    &self.seed,
                    &mut self.adj,
                    &mut self.ta,
                    &mut self.notes,
                    cx,
                );
            }
            Gate::When(_) => {
                self.notes
                    .note(Convention::WhenCondition, *span, self.element);
                if open {
                    self.adj[t * r..(t + 1) * r].fill(0.0);
                    value.eval_all(&self.vals, &mut self.tv)?;
                    backprop(
                        value,
                        &self.tv,
                        &self.seed,
                        &mut self.adj,
                        &mut self.ta,
                        &mut self.notes,
                        cx,
                    );
                }
            }
            Gate::Soft(g) => {
                let e = value.eval_all(&self.vals, &mut self.tv)?;
                let gv = g.eval_all(&self.vals, &mut self.tv2)?;
                for (a, &s) in self.adj[t * r..(t + 1) * r].iter_mut().zip(&self.seed) {
                    *a = chain(1.0 - gv, s);
                }
                for (s2, &s) in self.seed2.iter_mut().zip(&self.seed) {
                    *s2 = chain(gv, s);
                }
                backprop(
                    value,
                    &self.tv,
                    &self.seed2,
                    &mut self.adj,
                    &mut self.ta,
                    &mut self.notes,
                    cx,
                );
                for (s2, &s) in self.seed2.iter_mut().zip(&self.seed) {
                    *s2 = chain(e - old, s);
                }
                backprop(
                    g,
                    &self.tv2,
                    &self.seed2,
                    &mut self.adj,
                    &mut self.ta,
                    &mut self.notes,
                    cx,
                );
            }
        }
        Ok(())
    }

    fn back_read(&mut self, node: &Node) -> Result<(), Failure> {
        let Node::Read(exprs) = node else {
            return Ok(());
        };
        for (code, out) in exprs {
            if self.seeded[*out] {
                continue;
            }
            self.seeded[*out] = true;
            self.seed.fill(0.0);
            self.seed[*out] = 1.0;
            code.eval_all(&self.vals, &mut self.tv)?;
            let cx = Ctx {
                span: code.span,
                element: self.element,
            };
            backprop(
                code,
                &self.tv,
                &self.seed,
                &mut self.adj,
                &mut self.ta,
                &mut self.notes,
                cx,
            );
        }
        Ok(())
    }

    fn finish(self) -> Gradients {
        let r = self.r;
        let reads = (0..r)
            .map(|o| ReadGrad {
                value: self.values[o],
                index: self.index[o],
                inputs: self
                    .c
                    .inputs
                    .iter()
                    .map(|&n| self.adj[n as usize * r + o])
                    .collect(),
                streams: self
                    .stream_grads
                    .iter()
                    .map(|g| g.iter().skip(o).step_by(r.max(1)).copied().collect())
                    .collect(),
            })
            .collect();
        Gradients {
            reads,
            notes: self.notes,
            checkpointing: self.ckpt,
        }
    }
}

/// Where a backpropagation happens, for the notes.
#[derive(Clone, Copy)]
struct Ctx {
    span: Span,
    element: Option<u64>,
}

/// Adds `seed · ∂code/∂name` to every name's adjoint; `tv` holds the
/// values of `code`'s operations.
fn backprop(
    code: &Code,
    tv: &[f64],
    seed: &[f64],
    adj: &mut [f64],
    ta: &mut Vec<f64>,
    notes: &mut Notes,
    cx: Ctx,
) {
    let r = seed.len();
    let m = code.ops.len();
    ta.clear();
    ta.resize(m * r, 0.0);
    ta[(m - 1) * r..].copy_from_slice(seed);
    for i in (0..m).rev() {
        let (lo, hi) = ta.split_at_mut(i * r);
        let d = &hi[..r];
        if d.iter().all(|&x| x == 0.0) {
            continue;
        }
        let [a, b] = code.args[i].map(|x| x as usize);
        let (pa, pb, note) = match code.ops[i] {
            COp::Num(_) => continue,
            COp::Name(n) => {
                let n = n as usize;
                for (dst, &x) in adj[n * r..(n + 1) * r].iter_mut().zip(d) {
                    *dst += x;
                }
                continue;
            }
            COp::Neg => (-1.0, 0.0, None),
            COp::Bin(op) => rules::binary(op, tv[a], tv[b], tv[i]),
            COp::Call(f) => rules::call(f, tv[a], tv[b], tv[i]),
        };
        if let Some(c) = note {
            notes.note(c, cx.span, cx.element);
        }
        let two = matches!(code.ops[i], COp::Bin(_))
            || matches!(code.ops[i], COp::Call(f) if f.arity() == 2);
        for k in 0..r {
            lo[a * r + k] += chain(pa, d[k]);
        }
        if two {
            for k in 0..r {
                lo[b * r + k] += chain(pb, d[k]);
            }
        }
    }
}
