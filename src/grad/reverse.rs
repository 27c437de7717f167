//! Reverse mode with checkpoints: one forward run that keeps the board
//! every `k` iterations of each top-level loop, then a backward sweep that
//! runs each segment again from its checkpoint, taping the value of every
//! operation of the segment (and the value each write overwrote), and walks
//! that tape backwards with the adjoints.
//!
//! The adjoint of a name is a vector with one component per read (a read
//! expression, or a read inside `each` at one selected element), so one
//! sweep differentiates every read; with a single read the adjoints are
//! plain numbers. A segment's tape is `k` iterations long, so memory stays
//! `O(N / k + k)` however long the stream.

use std::sync::atomic::Ordering;

use super::program::{COp, Code, Compiled, Gate, Loop, Node};
use super::rules::{self, chain, Convention};
use super::{Checkpointing, Curves, Failure, Gradients, ReadGrad, Spec, Tally, MAX_OUTPUTS};
use crate::arith;
use crate::syntax::Span;

/// The largest adjoint table (names × reads) reverse mode builds.
const MAX_ADJOINTS: usize = 1 << 25;

/// Differentiates every read of the run with respect to every input and
/// stream element.
pub fn gradients(spec: Spec<'_>) -> Result<Gradients, Failure> {
    let c = spec.compiled;
    let curves = Curves::new(&spec)?;
    let r = curves.len();
    if r > MAX_OUTPUTS {
        return Err(Failure::TooLarge(format!(
            "the program has {r} reads to differentiate; `wb grad` differentiates at most {MAX_OUTPUTS} at once (`--at K` picks one element of a read inside `each`)"
        )));
    }
    if c.names.saturating_mul(r) > MAX_ADJOINTS {
        return Err(Failure::TooLarge(format!(
            "{} names × {r} reads is more adjoints than `wb grad` holds ({MAX_ADJOINTS})",
            c.names
        )));
    }
    // Adjoint rows are arrays of a fixed width, the next power of two (the
    // components past `r` stay 0), so the chain rule's loops have a length
    // the compiler knows.
    match r.next_power_of_two() {
        1 => run::<1>(spec, curves),
        2 => run::<2>(spec, curves),
        4 => run::<4>(spec, curves),
        8 => run::<8>(spec, curves),
        16 => run::<16>(spec, curves),
        32 => run::<32>(spec, curves),
        64 => run::<64>(spec, curves),
        128 => run::<128>(spec, curves),
        _ => run::<MAX_OUTPUTS>(spec, curves),
    }
}

fn run<const W: usize>(spec: Spec<'_>, curves: Curves) -> Result<Gradients, Failure> {
    let mut rev = Rev::<W>::new(spec, curves);
    let mut seg = Seg::default();
    let mut records = Vec::new();
    rev.forward_top(&mut seg, &mut records)?;
    rev.walk_back(&seg, &records)?;
    Ok(rev.finish())
}

/// One entry of a log: what walking back over it needs. `at` is where the
/// statement's operation values start on the tape.
#[derive(Clone, Copy)]
enum Event<'a> {
    /// A write, the value it overwrote, whether its gate was open.
    Write {
        node: &'a Node,
        old: f64,
        open: bool,
        at: usize,
    },
    /// A read that is differentiated here, at this position of its loop's
    /// selection (0 outside `each`).
    Read {
        node: &'a Node,
        pos: usize,
        at: usize,
    },
    /// Element `it` of an `each` starts (walking back: it is finished, its
    /// stream elements' adjoints are their gradients).
    Start(&'a Loop, u64),
    /// Element `it` of an `each` ends (walking back: it begins).
    End(u64),
    /// A top-level loop, with its record.
    Loop(&'a Loop, usize),
}

/// A log and the tape of operation values its events point into.
#[derive(Default)]
struct Seg<'a> {
    events: Vec<Event<'a>>,
    tape: Vec<f64>,
}

impl Seg<'_> {
    fn clear(&mut self) {
        self.events.clear();
        self.tape.clear();
    }
}

/// A top-level loop as the forward run left it.
struct Record {
    /// Iterations.
    n: u64,
    /// Iterations between checkpoints.
    k: u64,
    /// The loop's written names at iterations 0, k, 2k, … (flattened).
    checkpoints: Vec<f64>,
}

/// Reverse mode's state; adjoints have `W` components, the first `r` of
/// them the reads'.
struct Rev<'a, const W: usize> {
    spec: Spec<'a>,
    c: &'a Compiled,
    curves: Curves,
    /// Reads.
    r: usize,
    vals: Vec<f64>,
    adj: Vec<[f64; W]>,
    stack: Vec<f64>,
    ta: Vec<[f64; W]>,
    seeded: Vec<bool>,
    values: Vec<Option<f64>>,
    index: Vec<Option<u64>>,
    /// By stream, read, element.
    stream_grads: Vec<Vec<Vec<f64>>>,
    element: Option<u64>,
    notes: Tally,
    ckpt: Checkpointing,
}

impl<'a, const W: usize> Rev<'a, W> {
    fn new(spec: Spec<'a>, curves: Curves) -> Self {
        let c = spec.compiled;
        let r = curves.len();
        let mut vals = vec![0.0; c.names];
        for (i, &n) in c.inputs.iter().enumerate() {
            vals[n as usize] = spec.scalars.get(i).copied().unwrap_or(0.0);
        }
        Rev {
            spec,
            c,
            curves,
            r,
            vals,
            adj: vec![[0.0; W]; c.names],
            stack: Vec::with_capacity(16),
            ta: Vec::new(),
            seeded: vec![false; r],
            values: vec![None; r],
            index: vec![None; r],
            stream_grads: spec
                .streams
                .iter()
                .map(|s| (0..r).map(|_| vec![0.0; s.len()]).collect())
                .collect(),
            element: None,
            notes: Tally::default(),
            ckpt: Checkpointing::default(),
        }
    }

    fn interrupted(&self) -> bool {
        self.spec
            .interrupt
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn forward_top(&mut self, seg: &mut Seg<'a>, records: &mut Vec<Record>) -> Result<(), Failure> {
        let c = self.c;
        for node in &c.top {
            match node {
                Node::Loop(l) => {
                    let rec = self.forward_loop(l)?;
                    records.push(rec);
                    seg.events.push(Event::Loop(l, records.len() - 1));
                }
                _ => self.taped(node, Some(0), seg)?,
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

    /// Runs a write or a read, taping its operations' values and logging
    /// it (a read only when it is differentiated, `pos` given).
    #[inline]
    fn taped(
        &mut self,
        node: &'a Node,
        pos: Option<usize>,
        seg: &mut Seg<'a>,
    ) -> Result<(), Failure> {
        let at = seg.tape.len();
        match node {
            Node::Write {
                target,
                value,
                gate,
                ..
            } => {
                let t = *target as usize;
                let old = self.vals[t];
                let open = match gate {
                    Gate::None => {
                        self.vals[t] = value.eval_into(&self.vals, &mut seg.tape)?;
                        true
                    }
                    Gate::When(cond) => {
                        let open = cond.eval(&self.vals, &mut self.stack)? != 0.0;
                        if open {
                            self.vals[t] = value.eval_into(&self.vals, &mut seg.tape)?;
                        }
                        open
                    }
                    Gate::Soft(g) => {
                        let e = value.eval_into(&self.vals, &mut seg.tape)?;
                        let gv = g.eval_into(&self.vals, &mut seg.tape)?;
                        if !(0.0..=1.0).contains(&gv) {
                            return Err(Failure::Run);
                        }
                        self.vals[t] = arith::blend(old, e, gv).map_err(|_| Failure::Run)?;
                        true
                    }
                };
                seg.events.push(Event::Write {
                    node,
                    old,
                    open,
                    at,
                });
            }
            Node::Read(exprs) => match pos {
                Some(pos) => {
                    for (code, r) in exprs {
                        let v = code.eval_into(&self.vals, &mut seg.tape)?;
                        self.record(*r, pos, v);
                    }
                    seg.events.push(Event::Read { node, pos, at });
                }
                None => {
                    for (code, _) in exprs {
                        code.eval(&self.vals, &mut self.stack)?;
                    }
                }
            },
            Node::Loop(_) => {}
        }
        Ok(())
    }

    /// A differentiated read's value (the last occurrence counts).
    #[inline]
    fn record(&mut self, r: usize, pos: usize, v: f64) {
        let k = self.curves.base[r] + pos;
        self.values[k] = Some(v);
        self.index[k] = self.element;
    }

    fn set_element(&mut self, l: &Loop, it: u64) {
        for &(name, s) in &l.streams {
            if let Some(v) = self.spec.streams.get(s).and_then(|v| v.get(it as usize)) {
                self.vals[name as usize] = *v;
            }
        }
        self.element = Some(it);
    }

    /// Where iteration `it` of a loop stands in what is differentiated:
    /// the position in an `each`'s selection, or, for a top-level
    /// `repeat`, its last iteration; `outer` is the enclosing position.
    #[inline]
    fn position(
        &self,
        l: &Loop,
        it: u64,
        n: u64,
        outer: Option<usize>,
        top: bool,
    ) -> Option<usize> {
        outer?;
        if l.is_each() {
            self.curves.selected[l.id].binary_search(&it).ok()
        } else if top {
            (it + 1 == n).then_some(0)
        } else {
            outer
        }
    }

    fn forward_loop(&mut self, l: &'a Loop) -> Result<Record, Failure> {
        let n = Curves::length(l, self.spec.streams)?;
        let w = l.written.len().max(1) as f64;
        let work = self.curves.work[l.id] as f64;
        let k = ((n as f64 * w / work).sqrt().ceil() as u64).clamp(1, n.max(1));
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
            if l.is_each() {
                self.set_element(l, it);
            }
            let pos = self.position(l, it, n, Some(0), true);
            self.body(&l.body, pos)?;
        }
        self.element = None;
        Ok(Record { n, k, checkpoints })
    }

    /// Runs a loop body without a log (the forward run).
    fn body(&mut self, nodes: &'a [Node], pos: Option<usize>) -> Result<(), Failure> {
        for node in nodes {
            match node {
                Node::Write { .. } => {
                    self.write(node)?;
                }
                Node::Read(exprs) => {
                    for (code, r) in exprs {
                        let v = code.eval(&self.vals, &mut self.stack)?;
                        if let Some(pos) = pos {
                            self.record(*r, pos, v);
                        }
                    }
                }
                Node::Loop(inner) => {
                    let n = Curves::length(inner, self.spec.streams)?;
                    for it in 0..n {
                        if inner.is_each() {
                            self.set_element(inner, it);
                        }
                        let p = self.position(inner, it, n, pos, false);
                        self.body(&inner.body, p)?;
                    }
                    if inner.is_each() {
                        self.element = None;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs a loop body again, taping it.
    fn body_taped(
        &mut self,
        nodes: &'a [Node],
        pos: Option<usize>,
        seg: &mut Seg<'a>,
    ) -> Result<(), Failure> {
        for node in nodes {
            match node {
                Node::Loop(inner) => {
                    let n = Curves::length(inner, self.spec.streams)?;
                    for it in 0..n {
                        if inner.is_each() {
                            self.set_element(inner, it);
                            seg.events.push(Event::Start(inner, it));
                        }
                        let p = self.position(inner, it, n, pos, false);
                        self.body_taped(&inner.body, p, seg)?;
                        if inner.is_each() {
                            seg.events.push(Event::End(it));
                        }
                    }
                    if inner.is_each() {
                        self.element = None;
                    }
                }
                _ => self.taped(node, pos, seg)?,
            }
        }
        Ok(())
    }

    /// Walks a log backwards.
    fn walk_back(&mut self, seg: &Seg<'a>, records: &[Record]) -> Result<(), Failure> {
        for ev in seg.events.iter().rev() {
            match *ev {
                Event::Write {
                    node,
                    old,
                    open,
                    at,
                } => self.back_write(node, old, open, &seg.tape[at..]),
                Event::Read { node, pos, at } => self.back_read(node, pos, &seg.tape[at..]),
                Event::Start(l, it) => {
                    self.harvest(l, it);
                    self.element = None;
                }
                Event::End(it) => self.element = Some(it),
                Event::Loop(l, id) => self.back_loop(l, &records[id])?,
            }
        }
        Ok(())
    }

    fn back_loop(&mut self, l: &'a Loop, rec: &Record) -> Result<(), Failure> {
        let w = l.written.len();
        let mut seg = Seg::default();
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
            seg.clear();
            for it in start..end {
                if l.is_each() {
                    self.set_element(l, it);
                    seg.events.push(Event::Start(l, it));
                }
                let pos = self.position(l, it, rec.n, Some(0), true);
                self.body_taped(&l.body, pos, &mut seg)?;
                if l.is_each() {
                    seg.events.push(Event::End(it));
                }
            }
            self.element = None;
            self.walk_back(&seg, &[])?;
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
            let a = std::mem::replace(&mut self.adj[name as usize], [0.0; W]);
            for (curve, &v) in g.iter_mut().zip(&a[..r]) {
                curve[it as usize] += v;
            }
        }
    }

    fn back_write(&mut self, node: &Node, old: f64, open: bool, tape: &[f64]) {
        let Node::Write {
            target,
            value,
            gate,
            span,
        } = node
        else {
            return;
        };
        let t = *target as usize;
        self.vals[t] = old;
        let seed = self.adj[t];
        if seed.iter().all(|&a| a == 0.0) {
            return;
        }
        let cx = Ctx {
            span: *span,
            element: self.element,
        };
        match gate {
            Gate::None => {
                self.adj[t] = [0.0; W];
                backprop(
                    value,
                    tape,
                    seed,
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
                    self.adj[t] = [0.0; W];
                    backprop(
                        value,
                        tape,
                        seed,
                        &mut self.adj,
                        &mut self.ta,
                        &mut self.notes,
                        cx,
                    );
                }
            }
            Gate::Soft(g) => {
                let m = value.ops.len();
                let (e, gv) = (tape[m - 1], tape[m + g.ops.len() - 1]);
                self.adj[t] = seed.map(|s| chain(1.0 - gv, s));
                let (tv, tg) = tape.split_at(m);
                let through_value = seed.map(|s| chain(gv, s));
                backprop(
                    value,
                    tv,
                    through_value,
                    &mut self.adj,
                    &mut self.ta,
                    &mut self.notes,
                    cx,
                );
                let through_gate = seed.map(|s| chain(e - old, s));
                backprop(
                    g,
                    tg,
                    through_gate,
                    &mut self.adj,
                    &mut self.ta,
                    &mut self.notes,
                    cx,
                );
            }
        }
    }

    fn back_read(&mut self, node: &Node, pos: usize, tape: &[f64]) {
        let Node::Read(exprs) = node else {
            return;
        };
        let mut at = 0;
        for (code, out) in exprs {
            let tv = &tape[at..at + code.ops.len()];
            at += code.ops.len();
            let k = self.curves.base[*out] + pos;
            if self.seeded[k] {
                // Only the last occurrence of a read counts.
                continue;
            }
            self.seeded[k] = true;
            let mut seed = [0.0; W];
            seed[k] = 1.0;
            let cx = Ctx {
                span: code.span,
                element: self.element,
            };
            backprop(
                code,
                tv,
                seed,
                &mut self.adj,
                &mut self.ta,
                &mut self.notes,
                cx,
            );
        }
    }

    fn finish(self) -> Gradients {
        let mut streams: Vec<std::vec::IntoIter<Vec<f64>>> = self
            .stream_grads
            .into_iter()
            .map(|g| g.into_iter())
            .collect();
        let reads = self
            .curves
            .list
            .iter()
            .enumerate()
            .map(|(o, &(output, _))| ReadGrad {
                output,
                value: self.values[o],
                index: self.index[o],
                inputs: self
                    .c
                    .inputs
                    .iter()
                    .map(|&n| self.adj[n as usize][o])
                    .collect(),
                streams: streams
                    .iter_mut()
                    .map(|g| g.next().unwrap_or_default())
                    .collect(),
            })
            .collect();
        Gradients {
            reads,
            counts: self.curves.counts,
            notes: self.notes.notes(),
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

/// Whether operation `op` has two operands.
#[inline(always)]
fn binary_op(op: COp) -> bool {
    match op {
        COp::Bin(_) => true,
        COp::Call(f) => f.arity() == 2,
        _ => false,
    }
}

/// Adds `seed · ∂code/∂name` to every name's adjoint; `tv` holds the
/// values of `code`'s operations.
#[inline]
fn backprop<const W: usize>(
    code: &Code,
    tv: &[f64],
    seed: [f64; W],
    adj: &mut [[f64; W]],
    ta: &mut Vec<[f64; W]>,
    notes: &mut Tally,
    cx: Ctx,
) {
    let m = code.ops.len();
    if m == 1 {
        // A name or a number alone: the commonest operands of a gate.
        if let COp::Name(n) = code.ops[0] {
            add(&mut adj[n as usize], &seed);
        }
        return;
    }
    ta.clear();
    ta.resize(m, [0.0; W]);
    ta[m - 1] = seed;
    for i in (0..m).rev() {
        let d = ta[i];
        if d.iter().all(|&x| x == 0.0) {
            continue;
        }
        let op = code.ops[i];
        let [a, b] = code.args[i].map(|x| x as usize);
        let (pa, pb, note) = match op {
            COp::Num(_) => continue,
            COp::Name(n) => {
                add(&mut adj[n as usize], &d);
                continue;
            }
            COp::Neg => (-1.0, 0.0, None),
            COp::Bin(op) => rules::binary(op, tv[a], tv[b], tv[i]),
            COp::Call(f) => rules::call(f, tv[a], tv[b], tv[i]),
        };
        if let Some(c) = note {
            notes.note(c, cx.span, cx.element);
        }
        for (x, &dk) in ta[a].iter_mut().zip(&d) {
            *x += chain(pa, dk);
        }
        if binary_op(op) {
            for (x, &dk) in ta[b].iter_mut().zip(&d) {
                *x += chain(pb, dk);
            }
        }
    }
}

#[inline(always)]
fn add<const W: usize>(dst: &mut [f64; W], src: &[f64; W]) {
    for (x, &y) in dst.iter_mut().zip(src) {
        *x += y;
    }
}
